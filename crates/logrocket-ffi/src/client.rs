//! `lr_client`: the core's blocking client, shared by any number of threads.

use std::ptr;

use logrocket_identify::BlockingClient;

use crate::args;
use crate::config::lr_config;
use crate::error::{lr_error, run};
use crate::request::lr_request;
use crate::status::lr_status;
use crate::user::lr_user;

/// A client of the User Identification API. Opaque and thread-safe: any number of threads may
/// call it at once; they share its connection pool and its pause after a 429.
#[derive(Debug)]
pub struct lr_client {
    pub(crate) inner: BlockingClient,
}

/// Checks the configuration and creates a client. Bad configuration gives `LR_ERR_CONFIG` with a
/// message saying what to set. On success `*out` owns the client; free it with `lr_client_free`.
/// `config` is only read: it may be freed or reused afterwards.
///
/// The threads the client starts keep SIGPIPE blocked, so a peer that closes a connection fails
/// a request (a transport error) rather than ending the process; the program's own signal
/// handling is left alone. The blocking calls may also use the network on the calling thread
/// (a TLS handshake, for one): a program that has not set SIGPIPE to `SIG_IGN`, as network
/// programs usually do, may want to.
///
/// # Safety
///
/// `config` is a live configuration not being modified during the call; `out` is valid for
/// writing one pointer; `error` is `NULL` or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_client_new(
    config: *const lr_config,
    out: *mut *mut lr_client,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            args::clear_out(out, "out")?;
            let config = args::handle(config, "config")?;
            // The client's runtime starts its threads here: they keep SIGPIPE blocked.
            let inner =
                crate::sigpipe::blocked_in_new_threads(|| config.builder().build_blocking())?;
            args::give(out, lr_client { inner })
        })
    }
}

/// Closes the client as `lr_client_close` does, with the library's default deadline
/// (`lr_default_close_timeout_ms`), then frees it: updates still pending are delivered, or
/// reach the failure callback, before it goes. Call `lr_client_close` first to choose the
/// deadline or read the summary.
/// Call it once every call using the client has returned, and never from the failure callback.
/// `NULL` does nothing.
///
/// # Safety
///
/// `client` is `NULL` or a client from `lr_client_new` not freed yet, with no call in progress
/// on any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_client_free(client: *mut lr_client) {
    // SAFETY: forwarded under the caller's guarantee. Dropping the core's client closes it with
    // its default deadline (DEFAULT_CLOSE_TIMEOUT) before its runtime goes.
    unsafe { args::free(client) }
}

/// Validates and sends one request, retrying as configured, and blocks until it is done. On
/// success `*user` owns the user as the API stored it (free it with `lr_user_free`); on failure
/// `*user` is `NULL` and the status (and `*error`) say why. The request is only read: it may be
/// sent again or freed afterwards.
///
/// # Safety
///
/// `client` is a live client; `request` is a live request not modified during the call; `user`
/// is valid for writing one pointer; `error` is `NULL` or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_client_identify(
    client: *const lr_client,
    request: *const lr_request,
    user: *mut *mut lr_user,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees; a NULL switch watches nothing.
    unsafe {
        crate::cancel::lr_client_identify_cancellable(client, request, ptr::null(), user, error)
    }
}
