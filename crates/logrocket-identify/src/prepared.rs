//! Requests validated and encoded ahead of sending, and what a bulk run accepts as input.

use bytes::Bytes;

use crate::error::{Error, ValidationError};
use crate::request::IdentifyRequest;

/// A request already validated and encoded: all that is left is sending it. A bulk caller that
/// reads its input on one thread and sends on another (the CLI does) makes these on the reading
/// thread, so the sending one only sends. Made by [`IdentifyRequest::prepare`].
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    user_id: String,
    body: Bytes,
}

impl PreparedRequest {
    pub fn user_id(&self) -> &str {
        &self.user_id
    }
}

impl IdentifyRequest {
    /// Validates and encodes the request now rather than when it is sent.
    pub fn prepare(&self) -> Result<PreparedRequest, ValidationError> {
        Ok(PreparedRequest {
            user_id: self.user_id.clone(),
            body: Bytes::from(self.encode_body()?),
        })
    }
}

/// An input that failed before it could be sent (a row that could not be read): a bulk run
/// reports it with its index, this user id (empty when unknown) and this error, and sends
/// nothing for it.
#[derive(Debug, Clone)]
pub struct FailedInput {
    pub user_id: String,
    pub error: Error,
}

/// One input of a bulk run: an [`IdentifyRequest`] or a reference to one, a
/// [`PreparedRequest`], a [`FailedInput`], or a `Result` of one of these (an `Err` is a failed
/// input whose user id is unknown).
pub trait BulkInput {
    /// The user id, and the encoded body or why there is none.
    fn into_parts(self) -> (String, Result<Bytes, Error>);
}

impl BulkInput for IdentifyRequest {
    fn into_parts(self) -> (String, Result<Bytes, Error>) {
        let body = self.encode_body().map(Bytes::from).map_err(Error::from);
        (self.user_id, body)
    }
}

impl BulkInput for &IdentifyRequest {
    fn into_parts(self) -> (String, Result<Bytes, Error>) {
        let body = self.encode_body().map(Bytes::from).map_err(Error::from);
        (self.user_id.clone(), body)
    }
}

impl BulkInput for PreparedRequest {
    fn into_parts(self) -> (String, Result<Bytes, Error>) {
        (self.user_id, Ok(self.body))
    }
}

impl BulkInput for FailedInput {
    fn into_parts(self) -> (String, Result<Bytes, Error>) {
        (self.user_id, Err(self.error))
    }
}

impl<R: BulkInput> BulkInput for Result<R, Error> {
    fn into_parts(self) -> (String, Result<Bytes, Error>) {
        match self {
            Ok(input) => input.into_parts(),
            Err(error) => (String::new(), Err(error)),
        }
    }
}
