//! `lr_cancel`: a switch another thread fires to end a blocking call at once, and the calls that
//! watch one.

use std::ffi::c_char;

use logrocket_identify::Cancel;

use crate::args;
use crate::bulk::{identify_many_json, lr_report};
use crate::client::lr_client;
use crate::error::{lr_error, run, run_accessor};
use crate::request::lr_request;
use crate::status::lr_status;
use crate::user::lr_user;

/// A one-way switch: once fired, every call watching it returns `LR_ERR_CANCELED` at once and
/// abandons what it had in flight. Opaque; safe to fire from any thread, while calls watch it.
#[derive(Debug)]
pub struct lr_cancel {
    pub(crate) inner: Cancel,
}

/// Makes an unfired switch in `*out`, owned by the caller and freed with `lr_cancel_free` once
/// no call watches it.
///
/// # Safety
///
/// `out` is valid for writing one pointer; `error` is `NULL` or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_cancel_new(
    out: *mut *mut lr_cancel,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            args::clear_out(out, "out")?;
            args::give(
                out,
                lr_cancel {
                    inner: Cancel::new(),
                },
            )
        })
    }
}

/// Fires the switch: calls watching it now end with `LR_ERR_CANCELED`, and so does any call
/// made with it later. Firing again does nothing; `NULL` does nothing.
///
/// # Safety
///
/// `cancel` is `NULL` or a live switch.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_cancel_fire(cancel: *const lr_cancel) {
    run_accessor((), || {
        // SAFETY: the caller guarantees the pointer is NULL or live.
        if let Some(cancel) = unsafe { cancel.as_ref() } {
            cancel.inner.fire();
        }
    });
}

/// Frees a switch. `NULL` does nothing.
///
/// # Safety
///
/// `cancel` is `NULL` or a switch from `lr_cancel_new`, not freed yet, that no call is
/// watching.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_cancel_free(cancel: *mut lr_cancel) {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe { args::free(cancel) }
}

/// `lr_client_identify`, watching `cancel`: if it is fired before the call is done, the call
/// returns `LR_ERR_CANCELED` at once (`*user` `NULL`) and the request in flight is abandoned. A
/// `NULL` `cancel` watches nothing (exactly `lr_client_identify`).
///
/// # Safety
///
/// As `lr_client_identify`; `cancel` is `NULL` or a live switch, not freed during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_client_identify_cancellable(
    client: *const lr_client,
    request: *const lr_request,
    cancel: *const lr_cancel,
    user: *mut *mut lr_user,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            args::clear_out(user, "user")?;
            let client = args::handle(client, "client")?;
            let request = args::handle(request, "request")?;
            let stored = match cancel.as_ref() {
                None => client.inner.identify(&request.inner)?,
                Some(cancel) => client
                    .inner
                    .identify_unless_cancelled(&request.inner, &cancel.inner)
                    .ok_or_else(lr_error::canceled)??,
            };
            args::give(user, lr_user::from(stored))
        })
    }
}

/// `lr_client_identify_many_json`, watching `cancel`: if it is fired before the run is done,
/// the call returns `LR_ERR_CANCELED` at once (`*report` `NULL`), reads no further line and
/// abandons the requests in flight (some users may already be stored). A `NULL` `cancel`
/// watches nothing (exactly `lr_client_identify_many_json`).
///
/// # Safety
///
/// As `lr_client_identify_many_json`; `cancel` is `NULL` or a live switch, not freed during
/// the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_client_identify_many_json_cancellable(
    client: *const lr_client,
    json_lines: *const c_char,
    len: usize,
    concurrency: usize,
    cancel: *const lr_cancel,
    report: *mut *mut lr_report,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            identify_many_json(
                client,
                json_lines,
                len,
                concurrency,
                cancel.as_ref().map(|c| &c.inner),
                report,
            )
        })
    }
}
