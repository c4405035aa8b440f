//! Requests validated and encoded ahead of sending, and what a bulk run accepts as input.

use std::borrow::Borrow;

use bytes::Bytes;

use crate::error::ValidationError;
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

/// One input of a bulk run: an [`IdentifyRequest`], a reference to one (anything that borrows
/// as one), or a [`PreparedRequest`].
pub trait BulkInput {
    /// The user id, and the encoded body or why there is none.
    fn into_parts(self) -> (String, Result<Bytes, ValidationError>);
}

impl<R: Borrow<IdentifyRequest>> BulkInput for R {
    fn into_parts(self) -> (String, Result<Bytes, ValidationError>) {
        let request = self.borrow();
        (
            request.user_id.clone(),
            request.encode_body().map(Bytes::from),
        )
    }
}

impl BulkInput for PreparedRequest {
    fn into_parts(self) -> (String, Result<Bytes, ValidationError>) {
        (self.user_id, Ok(self.body))
    }
}
