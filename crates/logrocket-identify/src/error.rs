//! One set of error kinds for every language: validation, api, transport, timeout, config.

use std::fmt;
use std::time::Duration;

/// The kind of an [`Error`], stable across every binding (Python classes, Node `code`s, the C
/// status enum and Go types are all named after these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The input broke a documented rule; nothing was sent.
    Validation,
    /// The API answered with an error status.
    Api,
    /// The request could not be delivered or its answer could not be read.
    Transport,
    /// An attempt took longer than the configured per-attempt timeout.
    Timeout,
    /// The client was configured wrongly (missing key, bad base URL, ...).
    Config,
    /// Background delivery's queue had no room (`enqueue` refused), or an update was dropped
    /// to make room.
    QueueFull,
    /// The client (or bulk run) was closed: `enqueue` after `close`, or an update still
    /// pending when `close` gave up.
    Closed,
}

impl ErrorKind {
    /// The lower-case name used by the conformance vectors and every binding.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Validation => "validation",
            ErrorKind::Api => "api",
            ErrorKind::Transport => "transport",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Config => "config",
            ErrorKind::QueueFull => "queue_full",
            ErrorKind::Closed => "closed",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a request could not be delivered, for transport errors: the same names in every binding
/// (Python `TransportError.reason`, Node `err.reason`, C `lr_error_transport_reason`, Go
/// `TransportError.Reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportReason {
    /// The host name did not resolve. Not retried: a name that does not exist will not start
    /// existing between two attempts, and a typo should fail fast.
    Dns,
    /// No connection could be opened (refused, unreachable, or the connect timeout passed).
    /// Retried.
    Connect,
    /// The TLS handshake failed: most often a certificate that is not trusted (add the CA that
    /// signed it) or does not name the host. Not retried.
    Tls,
    /// The proxy refused: it wants credentials or did not accept the ones given (407), or it
    /// would not open a tunnel to the API. Not retried.
    Proxy,
    /// The connection was closed or reset before the answer was read in full. Retried.
    Reset,
    /// The server (or something in between) broke the HTTP protocol. Not retried.
    Protocol,
    /// The answer's body was larger than any answer of the API could be (over 4 MiB): a
    /// misconfigured proxy or server, say. Not retried.
    BodyTooLarge,
    /// Anything else. Retried, as a failure of the network is more likely than not passing.
    Other,
}

impl TransportReason {
    /// The lower-case name used by every binding: `dns`, `connect`, `tls`, `proxy`, `reset`,
    /// `protocol`, `body_too_large`, `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportReason::Dns => "dns",
            TransportReason::Connect => "connect",
            TransportReason::Tls => "tls",
            TransportReason::Proxy => "proxy",
            TransportReason::Reset => "reset",
            TransportReason::Protocol => "protocol",
            TransportReason::BodyTooLarge => "body_too_large",
            TransportReason::Other => "other",
        }
    }

    /// Whether another attempt could succeed: refused, reset and unknown failures yes; a name
    /// that does not resolve, an untrusted certificate, a proxy's refusal, a broken protocol
    /// and an oversized answer no.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            TransportReason::Connect | TransportReason::Reset | TransportReason::Other
        )
    }
}

impl fmt::Display for TransportReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An input that breaks one of the API's rules, caught before anything was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// Which input is at fault: `user_id`, `name`, `email`, `timestamp`, `traits` (a trait key
    /// too large to repeat) or `traits.<key>`.
    pub field: String,
    /// The API's own message for this case, exactly ("name too large (max 1024 characters)").
    pub message: String,
    /// What exactly is wrong when the API's message alone would not say it ("NaN is not a valid
    /// trait value").
    pub detail: Option<String>,
}

impl ValidationError {
    /// An error for `field` with one of the API's messages (see [`crate::limits`]).
    pub fn new(field: impl Into<String>, message: &str) -> Self {
        ValidationError {
            field: field.into(),
            message: message.to_owned(),
            detail: None,
        }
    }

    /// "Malformed request" for `field`, with what is wrong with it: the API's answer to a body
    /// that does not fit its schema (a wrong type, a timestamp out of range).
    pub fn malformed(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(field, crate::limits::MSG_MALFORMED).with_detail(detail)
    }

    /// Adds what exactly is wrong, for the human reading it.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationError {}

/// Everything that can go wrong, by kind. None of the variants ever holds the API key or a
/// request payload.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The input broke a documented rule; nothing was sent.
    #[error("invalid input: {0}")]
    Validation(#[from] ValidationError),
    /// The API answered with an error status (after any retries).
    #[error("LogRocket API error {status}: {message}")]
    Api {
        status: u16,
        /// The API's message from the body, or the status line when the body had none.
        message: String,
        /// Whether the status is one the client retries (408, 429, 5xx).
        retryable: bool,
    },
    /// The request could not be delivered (a name that does not resolve, a connection refused
    /// or reset, TLS, the proxy, ...). The message never holds the URL, the user id or any
    /// credential.
    #[error("transport error ({reason}): {message}")]
    Transport {
        reason: TransportReason,
        message: String,
    },
    /// Every attempt ran past the per-attempt timeout.
    #[error("request timed out after {timeout:?} on each of {attempts} attempt(s)")]
    Timeout { timeout: Duration, attempts: u32 },
    /// The client's configuration is incomplete or wrong; the message says what to set.
    #[error("configuration error: {0}")]
    Config(String),
    /// No room in background delivery's queue, or an update dropped to make room.
    #[error("queue full: {0}")]
    QueueFull(String),
    /// Closed: no more input is taken, or an update was abandoned at close.
    #[error("closed: {0}")]
    Closed(String),
}

impl Error {
    /// This error's kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Validation(_) => ErrorKind::Validation,
            Error::Api { .. } => ErrorKind::Api,
            Error::Transport { .. } => ErrorKind::Transport,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Config(_) => ErrorKind::Config,
            Error::QueueFull(_) => ErrorKind::QueueFull,
            Error::Closed(_) => ErrorKind::Closed,
        }
    }

    /// The bare message, without the kind prefix that `Display` adds: for validation and API
    /// errors it is the API's own text.
    pub fn message(&self) -> String {
        match self {
            Error::Validation(v) => v.message.clone(),
            Error::Api { message, .. } => message.clone(),
            Error::Transport { message, .. } => message.clone(),
            Error::Config(message) | Error::QueueFull(message) | Error::Closed(message) => {
                message.clone()
            }
            Error::Timeout { .. } => self.to_string(),
        }
    }

    /// The field at fault, for validation errors.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Validation(v) => Some(&v.field),
            _ => None,
        }
    }

    /// Why the request could not be delivered, for transport errors.
    pub fn transport_reason(&self) -> Option<TransportReason> {
        match self {
            Error::Transport { reason, .. } => Some(*reason),
            _ => None,
        }
    }

    /// The HTTP status, for API errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether trying the same request again later could succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api { retryable, .. } => *retryable,
            Error::Transport { reason, .. } => reason.is_retryable(),
            // A full queue has room again once the engine catches up.
            Error::Timeout { .. } | Error::QueueFull(_) => true,
            Error::Validation(_) | Error::Config(_) | Error::Closed(_) => false,
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::Config(message.into())
    }

    pub(crate) fn transport(reason: TransportReason, message: impl Into<String>) -> Self {
        Error::Transport {
            reason,
            message: message.into(),
        }
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
