//! `lr_config`: the settings a client is built from.

use std::ffi::c_char;
use std::time::Duration;

use logrocket_identify::{CaCert, ClientBuilder, DEFAULT_CONNECT_TIMEOUT};

use crate::args;
use crate::delivery::FailureHook;
use crate::error::{lr_error, run};
use crate::status::lr_status;

/// A client's settings, filled in with the `lr_config_set_*` calls and read by
/// `lr_client_new`. Opaque. Not thread-safe: set it up on one thread.
#[derive(Debug, Default)]
pub struct lr_config {
    builder: ClientBuilder,
    // Kept apart from the builder, which cannot forget a hook once given one: a NULL callback
    // must clear it.
    pub(crate) on_failure: Option<FailureHook>,
}

impl lr_config {
    pub(crate) fn builder(&self) -> ClientBuilder {
        let builder = self.builder.clone();
        match self.on_failure {
            Some(hook) => builder.on_failure(move |failure| hook.call(failure)),
            None => builder,
        }
    }
}

/// Creates an empty configuration. With `from_env` true, settings left unset fall back to the
/// environment: `LOGROCKET_API_KEY`, `LOGROCKET_APP_ID` ("org/app") and `LOGROCKET_BASE_URL`.
/// On success `*out` owns a new configuration; free it with `lr_config_free`.
///
/// # Safety
///
/// `out` is valid for writing one pointer; `error` is `NULL` or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_config_new(
    from_env: bool,
    out: *mut *mut lr_config,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: `out` and `error` are forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            args::clear_out(out, "out")?;
            let builder = if from_env {
                ClientBuilder::from_env()
            } else {
                ClientBuilder::new()
            };
            args::give(
                out,
                lr_config {
                    builder,
                    on_failure: None,
                },
            )
        })
    }
}

/// Frees a configuration. `NULL` does nothing. Clients built from it are unaffected.
///
/// # Safety
///
/// `config` is `NULL` or a configuration from `lr_config_new` not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_config_free(config: *mut lr_config) {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe { args::free(config) }
}

/// Applies one change to the configuration behind `config`.
///
/// # Safety
///
/// `config` is `NULL` or a live configuration used by no other thread; `error` as in [`run`].
pub(crate) unsafe fn update(
    config: *mut lr_config,
    error: *mut *mut lr_error,
    change: impl FnOnce(ClientBuilder) -> Result<ClientBuilder, lr_error>,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            let config = args::handle_mut(config, "config")?;
            config.builder = change(std::mem::take(&mut config.builder))?;
            Ok(())
        })
    }
}

/// Sets a string setting named `name` through `method`.
///
/// # Safety
///
/// As [`update`]; `value` is `NULL` or a NUL-terminated string.
unsafe fn set_string(
    config: *mut lr_config,
    value: *const c_char,
    name: &str,
    error: *mut *mut lr_error,
    method: fn(ClientBuilder, String) -> ClientBuilder,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        update(config, error, |builder| {
            Ok(method(builder, args::string(value, name)?.to_owned()))
        })
    }
}

/// Sets the API key (LogRocket: Settings > General Settings). It never appears in an error.
///
/// # Safety
///
/// `config` is a live configuration used by no other thread during the call; `value` is a
/// NUL-terminated string only read during the call (the configuration keeps a copy); `error` is
/// `NULL` or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_config_set_api_key(
    config: *mut lr_config,
    value: *const c_char,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe { set_string(config, value, "api_key", error, |b, v| b.api_key(v)) }
}

/// Sets the app as `"org/app"`, the form LogRocket's own SDK uses.
///
/// # Safety
///
/// As `lr_config_set_api_key`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_config_set_app(
    config: *mut lr_config,
    value: *const c_char,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe { set_string(config, value, "app", error, |b, v| b.app(v)) }
}

/// Sets the organisation, when giving org and app separately.
///
/// # Safety
///
/// As `lr_config_set_api_key`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_config_set_org_id(
    config: *mut lr_config,
    value: *const c_char,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe { set_string(config, value, "org_id", error, |b, v| b.org_id(v)) }
}

/// Sets the app id: `"org/app"`, or the bare app id together with `lr_config_set_org_id`.
///
/// # Safety
///
/// As `lr_config_set_api_key`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_config_set_app_id(
    config: *mut lr_config,
    value: *const c_char,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe { set_string(config, value, "app_id", error, |b, v| b.app_id(v)) }
}

/// Sets the base URL (default `https://api.logrocket.com`). Plain `http://` is refused except
/// for loopback hosts unless `lr_config_set_allow_insecure_http` allows it.
///
/// # Safety
///
/// As `lr_config_set_api_key`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_config_set_base_url(
    config: *mut lr_config,
    value: *const c_char,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe { set_string(config, value, "base_url", error, |b, v| b.base_url(v)) }
}

/// Sets a user agent prepended to the library's own.
///
/// # Safety
///
/// As `lr_config_set_api_key`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_config_set_user_agent(
    config: *mut lr_config,
    value: *const c_char,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe { set_string(config, value, "user_agent", error, |b, v| b.user_agent(v)) }
}

/// Sets the limit for one attempt, in milliseconds (default 10000). 0 is refused by
/// `lr_client_new`.
///
/// # Safety
///
/// `config` is a live configuration used by no other thread during the call; `error` is `NULL`
/// or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_config_set_timeout_ms(
    config: *mut lr_config,
    timeout_ms: u64,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        update(config, error, |b| {
            Ok(b.timeout(Duration::from_millis(timeout_ms)))
        })
    }
}

/// Sets how many times a retryable failure is retried (default 3; 0 disables retries).
///
/// # Safety
///
/// As `lr_config_set_timeout_ms`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_config_set_max_retries(
    config: *mut lr_config,
    max_retries: u32,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe { update(config, error, |b| Ok(b.max_retries(max_retries))) }
}

/// Sets the most requests the bulk calls (given `LR_CLIENT_CONCURRENCY`) and background
/// delivery keep in flight (default 1024). Below it, the client finds the server's pace by
/// itself (adaptive concurrency). 0 is refused by `lr_client_new` (`LR_ERR_CONFIG`).
///
/// # Safety
///
/// As `lr_config_set_timeout_ms`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_config_set_concurrency(
    config: *mut lr_config,
    concurrency: usize,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe { update(config, error, |b| Ok(b.concurrency(concurrency))) }
}

/// Allows plain `http://` to hosts that are not loopback (off by default: the key would travel
/// in clear text).
///
/// # Safety
///
/// As `lr_config_set_timeout_ms`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_config_set_allow_insecure_http(
    config: *mut lr_config,
    allow: bool,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe { update(config, error, |b| Ok(b.allow_insecure_http(allow))) }
}

/// Limits the client to `per_second` attempts per second at most, across every request it makes
/// (single, bulk and background, retries included), spaced evenly: for a known quota, so that
/// the server never sees a burst above it. Unset (the default): no limit. Fractions are allowed
/// (0.5: one attempt every two seconds). The value is checked by `lr_client_new`, like every
/// other setting: one the core refuses (0, negative, NaN, infinite, or above 1e9) gives
/// `LR_ERR_CONFIG` there, with the core's message; this call only records it.
///
/// # Safety
///
/// As `lr_config_set_timeout_ms`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_config_set_rate_limit(
    config: *mut lr_config,
    per_second: f64,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe { update(config, error, |b| Ok(b.rate_limit(per_second))) }
}

/// Sends every request through this proxy, `http://user:password@host:port` (an `https://`
/// proxy URL is allowed too), whatever the environment's proxy variables say; `NO_PROXY` still
/// names the hosts reached directly unless `lr_config_set_proxy_from_env` turns the environment
/// off. The credentials are kept as secret as the API key: they never appear in an error. The
/// URL is checked by `lr_client_new`, which gives `LR_ERR_CONFIG` for one it cannot use (its
/// message never holds the password); this call only records it. Calling it again replaces it.
///
/// # Safety
///
/// As `lr_config_set_api_key`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_config_set_proxy(
    config: *mut lr_config,
    url: *const c_char,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe { set_string(config, url, "proxy", error, |b, v| b.proxy(v)) }
}

/// Whether the proxy environment variables apply: `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and
/// `NO_PROXY`, in either case (default true, as curl does). They are read by `lr_client_new`:
/// set them before building the client. Turn this off for a client that must ignore them.
///
/// # Safety
///
/// As `lr_config_set_timeout_ms`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_config_set_proxy_from_env(
    config: *mut lr_config,
    honour: bool,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe { update(config, error, |b| Ok(b.proxy_from_env(honour))) }
}

/// Trusts one more CA certificate, on top of the system's trust store and Mozilla's roots: a
/// corporate or TLS-inspecting proxy's CA, or a test server's (`lr_emulator_ca_cert_path`).
/// `pem_or_path` is PEM text when it contains `-----BEGIN`, else the path of a PEM file; either
/// may hold several certificates. May be called more than once; each call adds. A file that
/// cannot be read, or text holding no certificate, gives `LR_ERR_CONFIG` from `lr_client_new`
/// (the file is read there); this call only records it. Certificates are always verified:
/// nothing turns that off.
///
/// # Safety
///
/// As `lr_config_set_api_key`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_config_add_ca_cert(
    config: *mut lr_config,
    pem_or_path: *const c_char,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        set_string(config, pem_or_path, "ca_cert", error, |b, v| {
            b.ca_cert(CaCert::from_pem_or_path(&v))
        })
    }
}

/// Speaks HTTP/1.1 even to a server that offers HTTP/2 (default false: HTTP/2 when the server
/// offers it over TLS).
///
/// # Safety
///
/// As `lr_config_set_timeout_ms`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_config_set_http1_only(
    config: *mut lr_config,
    only: bool,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe { update(config, error, |b| Ok(b.http1_only(only))) }
}

/// Sets how long opening a connection (TCP, the proxy's tunnel, TLS) may take, in milliseconds
/// (default `lr_default_connect_timeout_ms`, 5000), apart from the per-attempt timeout: a host
/// that does not answer fails fast (a retryable transport error, reason `"connect"`) rather than
/// using up the whole attempt. It never exceeds the attempt's timeout. 0 is refused by
/// `lr_client_new` (`LR_ERR_CONFIG`).
///
/// # Safety
///
/// As `lr_config_set_timeout_ms`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_config_set_connect_timeout_ms(
    config: *mut lr_config,
    timeout_ms: u64,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        update(config, error, |b| {
            Ok(b.connect_timeout(Duration::from_millis(timeout_ms)))
        })
    }
}

/// The connect timeout a client has unless `lr_config_set_connect_timeout_ms` sets another, in
/// milliseconds (the core's `DEFAULT_CONNECT_TIMEOUT`, 5000).
///
/// # Safety
///
/// Always safe to call.
#[unsafe(no_mangle)]
pub extern "C" fn lr_default_connect_timeout_ms() -> u64 {
    u64::try_from(DEFAULT_CONNECT_TIMEOUT.as_millis()).unwrap_or(u64::MAX)
}
