//! `lr_emulator`: the API's emulator in this process, for users' own tests.

use std::ffi::{CString, c_char};
use std::ptr;

use logrocket_emulator::{Emulator, EmulatorConfig, Fault, FaultRate, RecordedRequest};
use logrocket_identify::User;
use serde_json::Value;

use crate::args;
use crate::error::{c_string, lr_error, run, run_accessor};
use crate::status::lr_status;
use crate::user::lr_user;

/// A running emulator of the User Identification API on 127.0.0.1 (a free port), serving on a
/// background thread of its own. Opaque and thread-safe. Stopped by `lr_emulator_stop`.
#[derive(Debug)]
pub struct lr_emulator {
    inner: Emulator,
    url: CString,
    api_key: CString,
}

/// One API request the emulator received, as it arrived. Opaque; its strings are owned by it
/// until `lr_recorded_request_free`.
#[derive(Debug)]
pub struct lr_recorded_request {
    method: CString,
    path: CString,
    body: CString,
    status: u16,
}

impl From<RecordedRequest> for lr_recorded_request {
    fn from(request: RecordedRequest) -> Self {
        lr_recorded_request {
            method: c_string(&request.method),
            path: c_string(&request.path),
            body: c_string(&request.body),
            status: request.status,
        }
    }
}

/// Starts an emulator that accepts `api_key` (`NULL`: `"test"`). When this returns `LR_OK`, it
/// accepts connections at `lr_emulator_url`. `*out` owns it; stop and free it with
/// `lr_emulator_stop`.
///
/// # Safety
///
/// `api_key` is `NULL` or a NUL-terminated string read only during the call; `out` is valid for
/// writing one pointer; `error` is `NULL` or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_emulator_start(
    api_key: *const c_char,
    out: *mut *mut lr_emulator,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            args::clear_out(out, "out")?;
            let mut config = EmulatorConfig::default();
            if let Some(key) = args::optional_string(api_key, "api_key")? {
                config.api_key = key.to_owned();
            }
            let inner = Emulator::start(config)
                .map_err(|e| lr_error::emulator(format!("cannot start the emulator: {e}")))?;
            let url = c_string(inner.url());
            let api_key = c_string(inner.api_key());
            args::give(
                out,
                lr_emulator {
                    inner,
                    url,
                    api_key,
                },
            )
        })
    }
}

/// Stops the emulator, waits for its thread, and frees it. `NULL` does nothing.
///
/// # Safety
///
/// `emulator` is `NULL` or an emulator from `lr_emulator_start` not stopped yet, with no call
/// in progress on it; its strings become invalid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_emulator_stop(emulator: *mut lr_emulator) {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe { args::free(emulator) }
}

/// The base URL to configure clients with, e.g. `http://127.0.0.1:38211`. Owned by the
/// emulator. `NULL` gives `NULL`.
///
/// # Safety
///
/// `emulator` is `NULL` or a live emulator; the string lives as long as the emulator.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_emulator_url(emulator: *const lr_emulator) -> *const c_char {
    // SAFETY: the caller guarantees `emulator` is NULL or live.
    run_accessor(ptr::null(), || {
        // SAFETY: the caller guarantees the pointer is NULL or live.
        unsafe { emulator.as_ref() }.map_or(ptr::null(), |e| e.url.as_ptr())
    })
}

/// The API key the emulator accepts. Owned by the emulator. `NULL` gives `NULL`.
///
/// # Safety
///
/// As `lr_emulator_url`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_emulator_api_key(emulator: *const lr_emulator) -> *const c_char {
    // SAFETY: the caller guarantees `emulator` is NULL or live.
    run_accessor(ptr::null(), || {
        // SAFETY: the caller guarantees the pointer is NULL or live.
        unsafe { emulator.as_ref() }.map_or(ptr::null(), |e| e.api_key.as_ptr())
    })
}

/// Forgets every stored user and recorded request, and clears injected faults. The rate limit
/// (`lr_emulator_set_rate_limit`) stays.
///
/// # Safety
///
/// `emulator` is a live emulator; `error` is `NULL` or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_emulator_reset(
    emulator: *const lr_emulator,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            args::handle(emulator, "emulator")?.inner.state().reset();
            Ok(())
        })
    }
}

/// Sets the emulator's own rate limit: past `per_second` API requests per second it answers
/// 429 with a `Retry-After` header (whole seconds, at least 1) and records the request with
/// that status, as a real API protecting itself would. 0 lifts the limit. Each call starts
/// with a full second's worth of requests. The limit stays through `lr_emulator_reset`. To
/// start an emulator with a limit, call this right after `lr_emulator_start`, before any client
/// is pointed at it.
///
/// # Safety
///
/// `emulator` is a live emulator; `error` is `NULL` or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_emulator_set_rate_limit(
    emulator: *const lr_emulator,
    per_second: u32,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            // The state reads 0 as no limit too; `None` says so without relying on it.
            let limit = (per_second > 0).then_some(per_second);
            args::handle(emulator, "emulator")?
                .inner
                .state()
                .set_rate_limit(limit);
            Ok(())
        })
    }
}

/// The emulator's rate limit in API requests per second; 0 when it has none, and for `NULL`.
///
/// # Safety
///
/// `emulator` is `NULL` or a live emulator.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_emulator_rate_limit(emulator: *const lr_emulator) -> u32 {
    // SAFETY: the caller guarantees `emulator` is NULL or live.
    run_accessor(0, || {
        // SAFETY: the caller guarantees the pointer is NULL or live.
        unsafe { emulator.as_ref() }.map_or(0, |e| e.inner.state().rate_limit().unwrap_or(0))
    })
}

/// How many API requests the emulator has recorded since it started or was reset (the log keeps
/// the latest 10000). 0 for `NULL`.
///
/// # Safety
///
/// `emulator` is `NULL` or a live emulator.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_emulator_request_count(emulator: *const lr_emulator) -> usize {
    // SAFETY: the caller guarantees `emulator` is NULL or live.
    run_accessor(0, || {
        // SAFETY: the caller guarantees the pointer is NULL or live.
        unsafe { emulator.as_ref() }.map_or(0, |e| e.inner.state().request_count())
    })
}

/// Copies recorded request `index` (0 is the oldest kept). `*out` owns the copy; free it with
/// `lr_recorded_request_free`. An index out of range gives `LR_ERR_INVALID_ARGUMENT`.
///
/// # Safety
///
/// `emulator` is a live emulator; `out` is valid for writing one pointer; `error` is `NULL` or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_emulator_request(
    emulator: *const lr_emulator,
    index: usize,
    out: *mut *mut lr_recorded_request,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            args::clear_out(out, "out")?;
            let emulator = args::handle(emulator, "emulator")?;
            let request = emulator.inner.state().request(index).ok_or_else(|| {
                lr_error::invalid_argument("index", format!("no recorded request {index}"))
            })?;
            args::give(out, lr_recorded_request::from(request))
        })
    }
}

/// Frees a recorded request. `NULL` does nothing.
///
/// # Safety
///
/// `request` is `NULL` or one from `lr_emulator_request` not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_recorded_request_free(request: *mut lr_recorded_request) {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe { args::free(request) }
}

/// Reads a recorded request's string field, or `NULL`.
///
/// # Safety
///
/// `request` is `NULL` or a live recorded request.
unsafe fn recorded(
    request: *const lr_recorded_request,
    field: impl FnOnce(&lr_recorded_request) -> &CString,
) -> *const c_char {
    // SAFETY: the caller guarantees `request` is NULL or live.
    run_accessor(ptr::null(), || {
        // SAFETY: the caller guarantees the pointer is NULL or live.
        unsafe { request.as_ref() }.map_or(ptr::null(), |r| field(r).as_ptr())
    })
}

/// The HTTP method, e.g. `"PUT"`. Owned by the recorded request.
///
/// # Safety
///
/// `request` is `NULL` or a live recorded request; the string lives as long as it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_recorded_request_method(
    request: *const lr_recorded_request,
) -> *const c_char {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe { recorded(request, |r| &r.method) }
}

/// The raw request target as it arrived, percent-encoding intact. Owned by the recorded request.
///
/// # Safety
///
/// As `lr_recorded_request_method`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_recorded_request_path(
    request: *const lr_recorded_request,
) -> *const c_char {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe { recorded(request, |r| &r.path) }
}

/// The request body as text. Owned by the recorded request.
///
/// # Safety
///
/// As `lr_recorded_request_method`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_recorded_request_body(
    request: *const lr_recorded_request,
) -> *const c_char {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe { recorded(request, |r| &r.body) }
}

/// The status the emulator answered (0 when it dropped the connection; 0 for `NULL`).
///
/// # Safety
///
/// `request` is `NULL` or a live recorded request.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_recorded_request_status(request: *const lr_recorded_request) -> u16 {
    // SAFETY: the caller guarantees `request` is NULL or live.
    run_accessor(0, || unsafe { request.as_ref() }.map_or(0, |r| r.status))
}

/// The argument name `lr_emulator_add_faults` reports errors under.
const FAULTS_JSON: &str = "faults_json";

/// The body of `lr_emulator_add_faults`: faults to append, and a rate to set (`Some(None)`
/// clears it).
struct Faults {
    script: Option<Vec<Fault>>,
    rate: Option<Option<FaultRate>>,
}

/// Reads the body of `lr_emulator_add_faults`, checking every fault before any is applied.
fn read_faults(text: &str) -> Result<Faults, String> {
    let Value::Object(mut body) = serde_json::from_str::<Value>(text).map_err(|e| e.to_string())?
    else {
        return Err("expected a JSON object".to_owned());
    };
    let script = body
        .remove("script")
        .map(serde_json::from_value::<Vec<Fault>>)
        .transpose()
        .map_err(|e| format!("script: {e}"))?;
    let rate = body
        .remove("rate")
        .map(serde_json::from_value::<Option<FaultRate>>)
        .transpose()
        .map_err(|e| format!("rate: {e}"))?;
    if let Some(key) = body.keys().next() {
        return Err(format!("unknown key \"{key}\""));
    }
    if script.is_none() && rate.is_none() {
        return Err(
            "expected \"script\" (a list of faults) or \"rate\" (a fault rate or null)".to_owned(),
        );
    }
    script.iter().flatten().try_for_each(Fault::check)?;
    if let Some(Some(rate)) = &rate {
        rate.check()?;
    }
    Ok(Faults { script, rate })
}

/// Injects failures, with the body the emulator's control route `POST /_emulator/faults`
/// takes: `{"script": [fault, ...]}` appends faults that the next API requests consume one
/// each, in order; `{"rate": {"probability": p, "fault": fault}}` makes a fault fire at random
/// once the script is empty (`{"rate": null}` stops it); both may come together. A fault is
/// `{"status": 503}`, `{"status": 429, "retry_after": "1"}`, `{"delay_ms": 2000}` (then
/// answered normally), `{"drop_connection": true}`, or a combination. A body that cannot be
/// read gives `LR_ERR_INVALID_ARGUMENT` (field `"faults_json"`) and changes nothing.
/// `lr_emulator_reset` clears every fault.
///
/// # Safety
///
/// `emulator` is a live emulator; `faults_json` is a NUL-terminated string only read during the
/// call; `error` is `NULL` or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_emulator_add_faults(
    emulator: *const lr_emulator,
    faults_json: *const c_char,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            let emulator = args::handle(emulator, "emulator")?;
            let text = args::string(faults_json, FAULTS_JSON)?;
            let Faults { script, rate } = read_faults(text).map_err(|why| {
                lr_error::invalid_argument(FAULTS_JSON, format!("invalid faults: {why}"))
            })?;
            let state = emulator.inner.state();
            if let Some(script) = script {
                state.push_faults(script);
            }
            if let Some(rate) = rate {
                state.set_fault_rate(rate);
            }
            Ok(())
        })
    }
}

/// How many users the emulator stores (every org and app together). 0 for `NULL`.
///
/// # Safety
///
/// `emulator` is `NULL` or a live emulator.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_emulator_user_count(emulator: *const lr_emulator) -> usize {
    // SAFETY: the caller guarantees `emulator` is NULL or live.
    run_accessor(0, || {
        // SAFETY: the caller guarantees the pointer is NULL or live.
        unsafe { emulator.as_ref() }.map_or(0, |e| e.inner.state().users().len())
    })
}

/// Copies the user the emulator stores for (`org_id`, `app_id`, `user_id`), ids as sent
/// (decoded). `*out` owns the copy (free it with `lr_user_free`), or is `NULL` with `LR_OK`
/// when no such user is stored.
///
/// # Safety
///
/// `emulator` is a live emulator; the three ids are NUL-terminated strings only read during
/// the call; `out` is valid for writing one pointer; `error` is `NULL` or valid for writing one
/// pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_emulator_user(
    emulator: *const lr_emulator,
    org_id: *const c_char,
    app_id: *const c_char,
    user_id: *const c_char,
    out: *mut *mut lr_user,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            args::clear_out(out, "out")?;
            let emulator = args::handle(emulator, "emulator")?;
            let org_id = args::string(org_id, "org_id")?;
            let app_id = args::string(app_id, "app_id")?;
            let user_id = args::string(user_id, "user_id")?;
            match emulator.inner.state().user(org_id, app_id, user_id) {
                None => Ok(()),
                Some(stored) => args::give(
                    out,
                    lr_user::from(User {
                        user_id: stored.user_id,
                        name: stored.name,
                        email: stored.email,
                        traits: stored.traits,
                    }),
                ),
            }
        })
    }
}
