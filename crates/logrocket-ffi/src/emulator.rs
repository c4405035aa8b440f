//! `lr_emulator`: the API's emulator in this process, for users' own tests.

use std::ffi::{CString, c_char};
use std::path::PathBuf;
use std::ptr;

use logrocket_emulator::{Emulator, EmulatorConfig, Fault, FaultRate, RecordedRequest};
use logrocket_identify::User;
use serde_json::Value;

use crate::args;
use crate::error::{c_string, lr_error, run, run_accessor};
use crate::status::lr_status;
use crate::user::lr_user;

/// A running emulator of the User Identification API on 127.0.0.1 (a free port), serving on a
/// background thread of its own: plain HTTP (`lr_emulator_start`) or HTTPS with a throwaway CA
/// (`lr_emulator_start_tls`). Opaque and thread-safe. Stopped by `lr_emulator_stop`.
#[derive(Debug)]
pub struct lr_emulator {
    inner: Emulator,
    url: CString,
    api_key: CString,
    /// With TLS: the CA certificate as PEM, and the file holding it.
    ca_cert_pem: Option<CString>,
    ca_cert_path: Option<CString>,
}

/// One API request the emulator received, as it arrived. Opaque; its strings are owned by it
/// until `lr_recorded_request_free`.
#[derive(Debug)]
pub struct lr_recorded_request {
    method: CString,
    path: CString,
    body: CString,
    protocol: CString,
    status: u16,
}

impl From<RecordedRequest> for lr_recorded_request {
    fn from(request: RecordedRequest) -> Self {
        lr_recorded_request {
            method: c_string(&request.method),
            path: c_string(&request.path),
            body: c_string(&request.body),
            protocol: c_string(&request.protocol),
            status: request.status,
        }
    }
}

/// Starts an emulator serving plain HTTP that accepts `api_key` (`NULL`: `"test"`). When this
/// returns `LR_OK`, it accepts connections at `lr_emulator_url`. `*out` owns it; stop and free
/// it with `lr_emulator_stop`. For HTTPS, see `lr_emulator_start_tls`.
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
    // SAFETY: forwarded under the caller's guarantees; a NULL path is not read.
    unsafe { start(api_key, false, ptr::null(), out, error) }
}

/// Starts an emulator as `lr_emulator_start` does, but serving HTTPS (HTTP/2 or HTTP/1.1, as
/// the client negotiates by ALPN) with a certificate signed by a throwaway CA made for this
/// start, valid for `127.0.0.1`, `localhost` and `::1`. `lr_emulator_url` is then
/// `https://127.0.0.1:<port>`. A client trusts it like a real server, verification on, once
/// given the CA: `lr_config_add_ca_cert` with `lr_emulator_ca_cert_path` or
/// `lr_emulator_ca_cert_pem`. Without the CA, its requests fail with a transport error of reason
/// `"tls"`.
///
/// `ca_cert_path` names the file the CA certificate (PEM) is written to, left in place when the
/// emulator stops; `NULL` writes it to a fresh temporary file that `lr_emulator_stop` removes.
/// Either way the file exists when this returns `LR_OK`.
///
/// # Safety
///
/// `api_key` and `ca_cert_path` are `NULL` or NUL-terminated strings read only during the call;
/// `out` is valid for writing one pointer; `error` is `NULL` or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_emulator_start_tls(
    api_key: *const c_char,
    ca_cert_path: *const c_char,
    out: *mut *mut lr_emulator,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe { start(api_key, true, ca_cert_path, out, error) }
}

/// Starts an emulator, over TLS or not.
///
/// # Safety
///
/// As `lr_emulator_start_tls`.
unsafe fn start(
    api_key: *const c_char,
    tls: bool,
    ca_cert_path: *const c_char,
    out: *mut *mut lr_emulator,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            args::clear_out(out, "out")?;
            let mut config = EmulatorConfig {
                tls,
                ..EmulatorConfig::default()
            };
            if let Some(key) = args::optional_string(api_key, "api_key")? {
                config.api_key = key.to_owned();
            }
            if let Some(path) = args::optional_string(ca_cert_path, "ca_cert_path")? {
                config.ca_cert_path = Some(PathBuf::from(path));
            }
            // The emulator's thread starts here, and its runtime's from it: they keep SIGPIPE
            // blocked.
            let inner = crate::sigpipe::blocked_in_new_threads(|| Emulator::start(config))
                .map_err(|e| lr_error::emulator(format!("cannot start the emulator: {e}")))?;
            let url = c_string(inner.url());
            let api_key = c_string(inner.api_key());
            let ca_cert_pem = inner.ca_cert_pem().map(c_string);
            let ca_cert_path = inner
                .ca_cert_path()
                .map(|path| c_string(&path.to_string_lossy()));
            args::give(
                out,
                lr_emulator {
                    inner,
                    url,
                    api_key,
                    ca_cert_pem,
                    ca_cert_path,
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

/// The base URL to configure clients with, e.g. `http://127.0.0.1:38211`, or
/// `https://127.0.0.1:38211` for an emulator from `lr_emulator_start_tls`. Owned by the
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

/// For an emulator from `lr_emulator_start_tls`, the path of the file holding its CA
/// certificate (PEM), for `lr_config_add_ca_cert` or another process (`curl --cacert`,
/// `SSL_CERT_FILE`). `NULL` for a plain HTTP emulator, and for `NULL`. Owned by the emulator.
///
/// # Safety
///
/// As `lr_emulator_url`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_emulator_ca_cert_path(emulator: *const lr_emulator) -> *const c_char {
    // SAFETY: the caller guarantees `emulator` is NULL or live.
    run_accessor(ptr::null(), || {
        // SAFETY: the caller guarantees the pointer is NULL or live.
        unsafe { emulator.as_ref() }
            .and_then(|e| e.ca_cert_path.as_ref())
            .map_or(ptr::null(), |path| path.as_ptr())
    })
}

/// For an emulator from `lr_emulator_start_tls`, its CA certificate as PEM text, for
/// `lr_config_add_ca_cert`. `NULL` for a plain HTTP emulator, and for `NULL`. Owned by the
/// emulator.
///
/// # Safety
///
/// As `lr_emulator_url`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_emulator_ca_cert_pem(emulator: *const lr_emulator) -> *const c_char {
    // SAFETY: the caller guarantees `emulator` is NULL or live.
    run_accessor(ptr::null(), || {
        // SAFETY: the caller guarantees the pointer is NULL or live.
        unsafe { emulator.as_ref() }
            .and_then(|e| e.ca_cert_pem.as_ref())
            .map_or(ptr::null(), |pem| pem.as_ptr())
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

/// The HTTP version the request came over: `"HTTP/1.1"`, or `"HTTP/2.0"` when an HTTPS
/// client negotiated HTTP/2 (`lr_emulator_start_tls`; see `lr_config_set_http1_only`). Owned by
/// the recorded request.
///
/// # Safety
///
/// As `lr_recorded_request_method`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_recorded_request_protocol(
    request: *const lr_recorded_request,
) -> *const c_char {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe { recorded(request, |r| &r.protocol) }
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
