//! Core errors as plain records; `index.js` turns each into its `LogRocketError` subclass.

use logrocket_identify::Error;
use napi_derive::napi;

/// What went wrong, by kind. Never holds the API key (the core's errors never do).
#[napi(object)]
#[derive(Debug, Clone)]
pub struct ErrorRecord {
    /// `validation`, `api`, `transport`, `timeout`, `config`, `queue_full` or `closed`.
    pub kind: String,
    /// The core's whole text (its `Display`), the same in every language: what JS shows as
    /// the error's `message`.
    pub text: String,
    /// The bare message: for validation and API errors the API's own text. JS keeps it as
    /// `apiMessage`, beside the whole text.
    pub message: String,
    /// The input at fault, for validation errors.
    pub field: Option<String>,
    /// What exactly is wrong, when the API's message alone would not say it.
    pub detail: Option<String>,
    /// The HTTP status, for API errors.
    pub status: Option<u32>,
    /// Why the request could not be delivered, for transport errors: `dns`, `connect`, `tls`,
    /// `proxy`, `reset`, `protocol`, `body_too_large` or `other` (the core's names).
    pub reason: Option<String>,
    /// Whether trying the same request again later could succeed.
    pub retryable: bool,
}

impl From<Error> for ErrorRecord {
    fn from(error: Error) -> Self {
        let detail = match &error {
            Error::Validation(v) => v.detail.clone(),
            _ => None,
        };
        ErrorRecord {
            kind: error.kind().as_str().to_owned(),
            text: error.to_string(),
            message: error.message(),
            field: error.field().map(str::to_owned),
            detail,
            status: error.status().map(u32::from),
            reason: error
                .transport_reason()
                .map(|reason| reason.as_str().to_owned()),
            retryable: error.is_retryable(),
        }
    }
}
