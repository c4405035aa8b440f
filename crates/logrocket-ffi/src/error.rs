//! The error object handed to C, and the landing pad that turns every failure (including a
//! panic) into a status and, when asked for, an error object.

use std::any::Any;
use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;

use logrocket_identify::{Error, TransportReason};

use crate::status::lr_status;

/// Why a call failed: its status, kind, whole text, bare message and, when known, the field at
/// fault, the HTTP status, the transport failure's reason and whether a retry could succeed. Opaque; read it with the
/// `lr_error_*` accessors.
#[derive(Debug)]
pub struct lr_error {
    status: lr_status,
    /// The whole text, the same every language shows (the core error's `Display`).
    text: CString,
    /// The bare message: for validation and API errors, the API's own words.
    message: CString,
    field: Option<CString>,
    detail: Option<CString>,
    http_status: u16,
    transport_reason: Option<TransportReason>,
    retryable: bool,
}

impl lr_error {
    /// An error that exists only at the C boundary. The core has no text for it, so its
    /// whole text is its message.
    fn of_ffi(status: lr_status, message: &str) -> Self {
        let message = c_string(message);
        lr_error {
            status,
            text: message.clone(),
            message,
            field: None,
            detail: None,
            http_status: 0,
            transport_reason: None,
            retryable: false,
        }
    }

    /// A `NULL` or non-UTF-8 argument, named by `field`.
    pub(crate) fn invalid_argument(field: &str, message: impl Into<String>) -> Self {
        lr_error {
            field: Some(c_string(field)),
            ..Self::of_ffi(lr_status::LR_ERR_INVALID_ARGUMENT, &message.into())
        }
    }

    pub(crate) fn emulator(message: impl Into<String>) -> Self {
        Self::of_ffi(lr_status::LR_ERR_EMULATOR, &message.into())
    }

    pub(crate) fn canceled() -> Self {
        Self::of_ffi(
            lr_status::LR_ERR_CANCELED,
            "the call was canceled (its lr_cancel was fired)",
        )
    }

    fn panic(payload: &(dyn Any + Send)) -> Self {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        Self::of_ffi(
            lr_status::LR_ERR_PANIC,
            &format!("internal error (panic): {what}"),
        )
    }
}

impl From<Error> for lr_error {
    fn from(error: Error) -> Self {
        let detail = match &error {
            Error::Validation(v) => v.detail.as_deref().map(c_string),
            _ => None,
        };
        lr_error {
            status: error.kind().into(),
            text: c_string(&error.to_string()),
            message: c_string(&error.message()),
            field: error.field().map(c_string),
            detail,
            http_status: error.status().unwrap_or(0),
            transport_reason: error.transport_reason(),
            retryable: error.is_retryable(),
        }
    }
}

impl From<logrocket_identify::ValidationError> for lr_error {
    fn from(error: logrocket_identify::ValidationError) -> Self {
        Error::Validation(error).into()
    }
}

/// A C string of `text`, cut at its first NUL byte (C strings cannot hold one).
pub(crate) fn c_string(text: &str) -> CString {
    let bytes = text.as_bytes();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).unwrap_or_default()
}

/// Runs `body`, catching any panic, and reports its failure through `error_out`.
///
/// # Safety
///
/// `error_out` is `NULL` or valid for writing one pointer.
pub(crate) unsafe fn run(
    error_out: *mut *mut lr_error,
    body: impl FnOnce() -> Result<(), lr_error>,
) -> lr_status {
    if !error_out.is_null() {
        // SAFETY: the caller guarantees a non-NULL `error_out` is writable.
        unsafe { error_out.write(ptr::null_mut()) };
    }
    let failure = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return lr_status::LR_OK,
        Ok(Err(error)) => error,
        Err(payload) => lr_error::panic(payload.as_ref()),
    };
    let status = failure.status;
    if !error_out.is_null() {
        // SAFETY: as above; ownership of the box passes to the caller (lr_error_free).
        unsafe { error_out.write(Box::into_raw(Box::new(failure))) };
    }
    status
}

/// Runs an accessor, giving `fallback` when it panics.
pub(crate) fn run_accessor<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

fn opt_ptr(text: Option<&CString>) -> *const c_char {
    text.map_or(ptr::null(), |t| t.as_ptr())
}

/// Frees an error object. `NULL` does nothing.
///
/// # Safety
///
/// `error` is `NULL` or an error this library returned and that was not freed yet. Strings read
/// from it become invalid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_error_free(error: *mut lr_error) {
    if error.is_null() {
        return;
    }
    run_accessor((), || {
        // SAFETY: `error` came from `Box::into_raw` in this library and is freed only once.
        drop(unsafe { Box::from_raw(error) });
    });
}

/// The error's status (`LR_ERR_PANIC` for `NULL`, which no failing call ever gives).
///
/// # Safety
///
/// `error` is `NULL` or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_error_status(error: *const lr_error) -> lr_status {
    // SAFETY: the caller guarantees `error` is NULL or live.
    run_accessor(lr_status::LR_ERR_PANIC, || {
        // SAFETY: the caller guarantees the pointer is NULL or live.
        unsafe { error.as_ref() }.map_or(lr_status::LR_ERR_PANIC, |e| e.status)
    })
}

/// The error's kind as a lower-case word: `"validation"`, `"api"`, `"transport"`, `"timeout"`,
/// `"config"`, `"invalid_argument"`, `"panic"`, `"emulator"`, `"canceled"`, `"queue_full"` or
/// `"closed"`. Static: never free it. `NULL` gives `NULL`.
///
/// # Safety
///
/// `error` is `NULL` or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_error_kind(error: *const lr_error) -> *const c_char {
    // SAFETY: the caller guarantees `error` is NULL or live.
    run_accessor(ptr::null(), || match unsafe { error.as_ref() } {
        None => ptr::null(),
        Some(e) => kind_name(e.status).as_ptr(),
    })
}

fn kind_name(status: lr_status) -> &'static CStr {
    match status {
        lr_status::LR_OK => c"ok",
        lr_status::LR_ERR_VALIDATION => c"validation",
        lr_status::LR_ERR_API => c"api",
        lr_status::LR_ERR_TRANSPORT => c"transport",
        lr_status::LR_ERR_TIMEOUT => c"timeout",
        lr_status::LR_ERR_CONFIG => c"config",
        lr_status::LR_ERR_INVALID_ARGUMENT => c"invalid_argument",
        lr_status::LR_ERR_PANIC => c"panic",
        lr_status::LR_ERR_EMULATOR => c"emulator",
        lr_status::LR_ERR_CANCELED => c"canceled",
        lr_status::LR_ERR_QUEUE_FULL => c"queue_full",
        lr_status::LR_ERR_CLOSED => c"closed",
    }
}

/// The error's whole text, the same that Rust's `Display`, Python's `str()`, Node's `message`
/// and Go's `Error()` show: the kind, the field (and detail) when there is one, and the message
/// (for example `"invalid input: name: name too large (max 1024 characters)"` or
/// `"LogRocket API error 400: Malformed request"`). For the kinds only the C API has
/// (`invalid_argument`, `panic`, `emulator`, `canceled`) it is the same as
/// `lr_error_api_message`. Owned by the error. `NULL` gives `NULL`.
///
/// # Safety
///
/// `error` is `NULL` or a live error object; the string lives as long as the error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_error_message(error: *const lr_error) -> *const c_char {
    // SAFETY: the caller guarantees `error` is NULL or live.
    run_accessor(ptr::null(), || {
        // SAFETY: the caller guarantees the pointer is NULL or live.
        opt_ptr(unsafe { error.as_ref() }.map(|e| &e.text))
    })
}

/// The bare message, without the kind and field that `lr_error_message` adds: for validation
/// and API errors, the API's own text (for example `"name too large (max 1024 characters)"`),
/// for the program to compare or translate. Owned by the error. `NULL` gives `NULL`.
///
/// # Safety
///
/// `error` is `NULL` or a live error object; the string lives as long as the error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_error_api_message(error: *const lr_error) -> *const c_char {
    // SAFETY: the caller guarantees `error` is NULL or live.
    run_accessor(ptr::null(), || {
        // SAFETY: the caller guarantees the pointer is NULL or live.
        opt_ptr(unsafe { error.as_ref() }.map(|e| &e.message))
    })
}

/// The field at fault (`"user_id"`, `"name"`, `"traits.plan"`, or for an invalid argument the
/// argument's name), or `NULL` when the error is not about one field. Owned by the error.
///
/// # Safety
///
/// `error` is `NULL` or a live error object; the string lives as long as the error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_error_field(error: *const lr_error) -> *const c_char {
    // SAFETY: the caller guarantees `error` is NULL or live.
    run_accessor(ptr::null(), || {
        // SAFETY: the caller guarantees the pointer is NULL or live.
        opt_ptr(unsafe { error.as_ref() }.and_then(|e| e.field.as_ref()))
    })
}

/// What exactly is wrong, when the API's message alone does not say it (for example why a trait
/// value is malformed), or `NULL`. Owned by the error.
///
/// # Safety
///
/// `error` is `NULL` or a live error object; the string lives as long as the error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_error_detail(error: *const lr_error) -> *const c_char {
    // SAFETY: the caller guarantees `error` is NULL or live.
    run_accessor(ptr::null(), || {
        // SAFETY: the caller guarantees the pointer is NULL or live.
        opt_ptr(unsafe { error.as_ref() }.and_then(|e| e.detail.as_ref()))
    })
}

/// The HTTP status of an API error, or 0.
///
/// # Safety
///
/// `error` is `NULL` or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_error_http_status(error: *const lr_error) -> u16 {
    // SAFETY: the caller guarantees `error` is NULL or live.
    run_accessor(0, || unsafe { error.as_ref() }.map_or(0, |e| e.http_status))
}

/// Why a transport error (`LR_ERR_TRANSPORT`) happened, as a lower-case word, or `NULL` for
/// every other kind of error (and for `NULL`). Static: never free it. The reasons, and whether
/// the client retries them (`lr_error_retryable` says the same):
///
/// - `"dns"`: the host name did not resolve. Not retried.
/// - `"connect"`: no connection could be opened (refused, unreachable, or the connect timeout
///   passed). Retried.
/// - `"tls"`: the TLS handshake failed, most often a certificate that is not trusted (add its
///   CA with `lr_config_add_ca_cert`) or does not name the host. Not retried.
/// - `"proxy"`: the proxy refused: it wants credentials or rejected the ones given (407), or
///   would not open a tunnel. Not retried.
/// - `"reset"`: the connection was closed or reset before the answer was read. Retried.
/// - `"protocol"`: the server (or something in between) broke the HTTP protocol. Not retried.
/// - `"body_too_large"`: the answer was larger than any answer of the API can be. Not retried.
/// - `"other"`: anything else. Retried.
///
/// `lr_error_message` holds the reason too (`"transport error (tls): ..."`); this is the part
/// for a program to compare.
///
/// # Safety
///
/// `error` is `NULL` or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_error_transport_reason(error: *const lr_error) -> *const c_char {
    // SAFETY: the caller guarantees `error` is NULL or live.
    run_accessor(ptr::null(), || {
        // SAFETY: the caller guarantees the pointer is NULL or live.
        unsafe { error.as_ref() }
            .and_then(|e| e.transport_reason)
            .map_or(ptr::null(), |reason| reason_name(reason).as_ptr())
    })
}

fn reason_name(reason: TransportReason) -> &'static CStr {
    match reason {
        TransportReason::Dns => c"dns",
        TransportReason::Connect => c"connect",
        TransportReason::Tls => c"tls",
        TransportReason::Proxy => c"proxy",
        TransportReason::Reset => c"reset",
        TransportReason::Protocol => c"protocol",
        TransportReason::BodyTooLarge => c"body_too_large",
        TransportReason::Other => c"other",
    }
}

/// Whether sending the same request again later could succeed.
///
/// # Safety
///
/// `error` is `NULL` or a live error object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_error_retryable(error: *const lr_error) -> bool {
    // SAFETY: the caller guarantees `error` is NULL or live.
    run_accessor(false, || {
        // SAFETY: the caller guarantees the pointer is NULL or live.
        unsafe { error.as_ref() }.is_some_and(|e| e.retryable)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The C names are the core's own (`TransportReason::as_str`), which every binding shows.
    #[test]
    fn reason_names_are_the_cores() {
        for reason in [
            TransportReason::Dns,
            TransportReason::Connect,
            TransportReason::Tls,
            TransportReason::Proxy,
            TransportReason::Reset,
            TransportReason::Protocol,
            TransportReason::BodyTooLarge,
            TransportReason::Other,
        ] {
            assert_eq!(reason_name(reason).to_str(), Ok(reason.as_str()));
        }
    }
}
