//! The status every fallible export returns.

use logrocket_identify::ErrorKind;

/// The outcome of a call. `LR_OK` is 0; every other value names the kind of failure, and the
/// call's `lr_error` (when asked for) says more.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum lr_status {
    /// Success.
    LR_OK = 0,
    /// The input broke one of the API's rules; nothing was sent. The error names the field.
    LR_ERR_VALIDATION = 1,
    /// The API answered with an error status (after any retries); see `lr_error_http_status`.
    LR_ERR_API = 2,
    /// The request could not be delivered or its answer could not be read;
    /// `lr_error_transport_reason` says why.
    LR_ERR_TRANSPORT = 3,
    /// Every attempt ran past the per-attempt timeout.
    LR_ERR_TIMEOUT = 4,
    /// The configuration is incomplete or wrong; the message says what to set.
    LR_ERR_CONFIG = 5,
    /// An argument was `NULL`, or a string other than the user's data (a configuration value,
    /// JSON Lines) was not valid UTF-8. The error's field names it. (A user id, name, email or
    /// trait that is not UTF-8 is `LR_ERR_VALIDATION`, as in every binding.)
    LR_ERR_INVALID_ARGUMENT = 6,
    /// The library panicked; the call was abandoned and the panic did not reach the caller.
    LR_ERR_PANIC = 7,
    /// The in-process emulator could not be started.
    LR_ERR_EMULATOR = 8,
    /// The call's `lr_cancel` was fired before it finished; what it had in flight was abandoned.
    LR_ERR_CANCELED = 9,
    /// `lr_client_enqueue` found the queue full and, under the configured `lr_when_full`
    /// policy, did not wait (any longer) for room; the update was not queued. Also the error an
    /// update dropped by `LR_WHEN_FULL_DROP_OLDEST` reaches the failure callback with.
    LR_ERR_QUEUE_FULL = 10,
    /// The client was closed (`lr_client_close`): it accepts no more updates. Also the error of
    /// an update still pending when `lr_client_close`'s deadline passed (it reaches the failure
    /// callback).
    LR_ERR_CLOSED = 11,
}

impl From<ErrorKind> for lr_status {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::Validation => lr_status::LR_ERR_VALIDATION,
            ErrorKind::Api => lr_status::LR_ERR_API,
            ErrorKind::Transport => lr_status::LR_ERR_TRANSPORT,
            ErrorKind::Timeout => lr_status::LR_ERR_TIMEOUT,
            ErrorKind::Config => lr_status::LR_ERR_CONFIG,
            ErrorKind::QueueFull => lr_status::LR_ERR_QUEUE_FULL,
            ErrorKind::Closed => lr_status::LR_ERR_CLOSED,
        }
    }
}
