//! Client configuration: a builder, the environment, and the checks that make bad configuration
//! fail at construction with a message saying what to set.

use std::net::IpAddr;
use std::time::Duration;

use crate::api_key::ApiKey;
use crate::engine::options::{DeliveryConfig, DeliveryFailure, FailureHook, WhenFull};
use crate::error::{Error, Result};
use crate::network::{CaCert, NetworkConfig, ProxyUrl};

pub const ENV_API_KEY: &str = "LOGROCKET_API_KEY";
pub const ENV_APP_ID: &str = "LOGROCKET_APP_ID";
pub const ENV_BASE_URL: &str = "LOGROCKET_BASE_URL";
pub const DEFAULT_BASE_URL: &str = "https://api.logrocket.com";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// The most requests in flight at once. With adaptive concurrency (the default) this is a
/// ceiling the engine reaches only while the server answers fast: room for well over 10,000
/// updates a second over a 50 ms round trip. Over HTTP/2 that is one connection per 100 in
/// flight; over HTTP/1.1 one per request in flight.
pub const DEFAULT_CONCURRENCY: usize = 1024;
pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_millis(200);
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(10);
/// The longest API key taken, in bytes: far above any LogRocket key, well below what servers
/// and proxies take in one header line (commonly 8 KiB). A longer "key" is something else (a
/// file's contents, another token), and would be answered by a 431 or a closed connection.
pub const MAX_API_KEY_BYTES: usize = 4096;

/// A checked, complete configuration. Its `Debug` shows everything but the key.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub api_key: ApiKey,
    pub org_id: String,
    pub app_id: String,
    /// Scheme, host and optional port, without a trailing slash.
    pub base_url: String,
    /// The limit for one attempt (connect, send, read the answer).
    pub timeout: Duration,
    /// Attempts after the first for retryable failures.
    pub max_retries: u32,
    /// The most requests in flight at once (bulk and background); with
    /// `adaptive_concurrency`, the ceiling of the adaptive limit.
    pub concurrency: usize,
    /// Whether the engine finds the server's pace itself: requests in flight grow while
    /// answers stay fast and shrink on 429s or rising latency, and a 429 sets a send rate.
    pub adaptive_concurrency: bool,
    /// Attempts per second at most, across every request of the client; `None`: no limit.
    pub rate_limit: Option<f64>,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub user_agent: String,
    pub allow_insecure_http: bool,
    /// Background delivery (`enqueue`): queue limits, full-queue policy, on-failure hook.
    pub delivery: DeliveryConfig,
    /// Proxy, trusted certificates, HTTP version, connect timeout.
    pub network: NetworkConfig,
}

/// Builds a [`ClientConfig`] (and from it a client). Settings left unset fall back to the
/// environment only when the builder came from [`ClientBuilder::from_env`].
#[derive(Debug, Clone, Default)]
pub struct ClientBuilder {
    api_key: Option<ApiKey>,
    app: Option<String>,
    org_id: Option<String>,
    app_id: Option<String>,
    base_url: Option<String>,
    timeout: Option<Duration>,
    max_retries: Option<u32>,
    concurrency: Option<usize>,
    fixed_concurrency: bool,
    rate_limit: Option<f64>,
    initial_backoff: Option<Duration>,
    max_backoff: Option<Duration>,
    user_agent: Option<String>,
    allow_insecure_http: bool,
    delivery: DeliveryConfig,
    /// Kept as given until `into_config`, which reports a bad one.
    proxy: Option<String>,
    network: NetworkConfig,
}

impl ClientBuilder {
    /// A builder with nothing set.
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder pre-filled from `LOGROCKET_API_KEY`, `LOGROCKET_APP_ID` ("org/app") and
    /// `LOGROCKET_BASE_URL`; anything set on it afterwards wins. Empty variables count as unset.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        ClientBuilder {
            api_key: var(ENV_API_KEY).map(ApiKey::new),
            app: var(ENV_APP_ID),
            base_url: var(ENV_BASE_URL),
            ..Self::default()
        }
    }

    pub fn api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The app as `"org/app"`, the form LogRocket's own SDK uses.
    pub fn app(mut self, org_slash_app: impl Into<String>) -> Self {
        self.app = Some(org_slash_app.into());
        self
    }

    /// The organisation, when giving org and app separately.
    pub fn org_id(mut self, org_id: impl Into<String>) -> Self {
        self.org_id = Some(org_id.into());
        self
    }

    /// The app: either `"org/app"`, or the bare app id together with [`ClientBuilder::org_id`].
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = Some(app_id.into());
        self
    }

    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    pub fn timeout(mut self, per_attempt: Duration) -> Self {
        self.timeout = Some(per_attempt);
        self
    }

    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = Some(retries);
        self
    }

    /// The most requests in flight at once (default [`DEFAULT_CONCURRENCY`]); see
    /// [`ClientBuilder::fixed_concurrency`].
    pub fn concurrency(mut self, in_flight: usize) -> Self {
        self.concurrency = Some(in_flight);
        self
    }

    /// Keeps exactly `concurrency` requests in flight, rather than adapting to the server's
    /// pace (the default: start at 16, grow while answers stay fast, back off on 429s and
    /// rising latency, never past `concurrency`).
    pub fn fixed_concurrency(mut self, fixed: bool) -> Self {
        self.fixed_concurrency = fixed;
        self
    }

    /// At most this many attempts per second, across every request of the client (single,
    /// bulk and background, retries included): for a known quota. Attempts are spaced evenly,
    /// so the server never sees a burst above the rate.
    pub fn rate_limit(mut self, per_second: f64) -> Self {
        self.rate_limit = Some(per_second);
        self
    }

    /// The first retry's backoff ceiling; it doubles each retry up to `max_backoff`.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = Some(backoff);
        self
    }

    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = Some(backoff);
        self
    }

    /// Prepended to this library's own user agent.
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = Some(agent.into());
        self
    }

    /// Allows plain `http://` to a host that is not loopback. Off by default: the key would
    /// travel in clear text.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Sends every request through this proxy (`http://user:password@host:port`), whatever
    /// the environment says; `NO_PROXY` still applies unless [`ClientBuilder::proxy_from_env`]
    /// is off. The credentials are kept as secret as the key.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
        self
    }

    /// Whether the proxy environment variables apply: `HTTPS_PROXY`, `HTTP_PROXY`,
    /// `ALL_PROXY`, `NO_PROXY`, in either case (default: yes, as curl does).
    pub fn proxy_from_env(mut self, honour: bool) -> Self {
        self.network.proxy_from_env = honour;
        self
    }

    /// Trusts this CA too (PEM text or a PEM file; see [`CaCert::from_pem_or_path`]), on top of
    /// the system's trust store and Mozilla's roots. May be called more than once.
    pub fn ca_cert(mut self, cert: CaCert) -> Self {
        self.network.ca_certs.push(cert);
        self
    }

    /// Speaks HTTP/1.1 even to a server that offers HTTP/2 (default: HTTP/2 when offered).
    pub fn http1_only(mut self, only: bool) -> Self {
        self.network.http1_only = only;
        self
    }

    /// How long opening a connection may take (default 5 s), apart from the attempt timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.network.connect_timeout = timeout;
        self
    }

    /// How many updates background delivery keeps waiting at most (default 10,000).
    pub fn queue_capacity(mut self, updates: usize) -> Self {
        self.delivery.queue_capacity = updates;
        self
    }

    /// How many bytes of updates background delivery keeps waiting at most (default 32 MiB).
    pub fn queue_max_bytes(mut self, bytes: usize) -> Self {
        self.delivery.queue_max_bytes = bytes;
        self
    }

    /// What `enqueue` does when the queue is full (default: wait 100 ms for room, then
    /// return a queue-full error).
    pub fn when_full(mut self, policy: WhenFull) -> Self {
        self.delivery.when_full = policy;
        self
    }

    /// Called for every enqueued update that will not be delivered (failed for good, dropped to
    /// make room, or abandoned at close), on the client's I/O thread.
    pub fn on_failure(mut self, hook: impl Fn(&DeliveryFailure) + Send + Sync + 'static) -> Self {
        self.delivery.on_failure = Some(FailureHook::from(hook));
        self
    }

    /// Whether a pending update of a user absorbs that user's next one where the API would
    /// store the same (default: yes).
    pub fn coalesce(mut self, coalesce: bool) -> Self {
        self.delivery.coalesce = coalesce;
        self
    }

    /// The tokio runtime background delivery runs on. Without it, the runtime current at the
    /// first `enqueue`.
    pub fn runtime(mut self, runtime: tokio::runtime::Handle) -> Self {
        self.delivery.runtime = Some(runtime);
        self
    }

    /// Checks everything and returns the complete configuration.
    pub fn into_config(self) -> Result<ClientConfig> {
        let api_key = self.api_key.filter(|k| !k.is_empty()).ok_or_else(|| {
            Error::config(format!(
                "no API key: set the client's API key or the {ENV_API_KEY} environment variable \
                 (find it in LogRocket under Settings > General Settings)"
            ))
        })?;
        if api_key
            .expose_secret()
            .bytes()
            .any(|b| b.is_ascii_control())
        {
            return Err(Error::config(
                "the API key contains control characters and cannot be sent in a header",
            ));
        }
        let key_bytes = api_key.expose_secret().len();
        if key_bytes > MAX_API_KEY_BYTES {
            return Err(Error::config(format!(
                "the API key is {key_bytes} bytes long, more than any LogRocket API key (at most \
                 {MAX_API_KEY_BYTES} are taken): give the key itself, not a file's contents or \
                 another token"
            )));
        }
        let (org_id, app_id) = resolve_app(self.app, self.org_id, self.app_id)?;
        let base_url = check_base_url(
            self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL),
            self.allow_insecure_http,
        )?;
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        if timeout.is_zero() {
            return Err(Error::config("the timeout must be greater than zero"));
        }
        let concurrency = check_concurrency(self.concurrency.unwrap_or(DEFAULT_CONCURRENCY))?;
        if let Some(rate) = self.rate_limit
            && !(rate.is_finite() && rate > 0.0 && rate <= 1e9)
        {
            return Err(Error::config(format!(
                "the rate limit must be a number of requests per second above 0, got {rate}"
            )));
        }
        if self.delivery.queue_capacity == 0 {
            return Err(Error::config(
                "the queue capacity must be at least 1 update",
            ));
        }
        if self.delivery.queue_max_bytes == 0 {
            return Err(Error::config(
                "the queue's byte limit must be at least 1 byte",
            ));
        }
        if self.network.connect_timeout.is_zero() {
            return Err(Error::config(
                "the connect timeout must be greater than zero",
            ));
        }
        let mut network = self.network;
        network.proxy = self.proxy.as_deref().map(ProxyUrl::parse).transpose()?;
        let own_agent = concat!("logrocket-identify/", env!("CARGO_PKG_VERSION"));
        Ok(ClientConfig {
            api_key,
            org_id,
            app_id,
            base_url,
            timeout,
            max_retries: self.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
            concurrency,
            adaptive_concurrency: !self.fixed_concurrency,
            rate_limit: self.rate_limit,
            initial_backoff: self.initial_backoff.unwrap_or(DEFAULT_INITIAL_BACKOFF),
            max_backoff: self.max_backoff.unwrap_or(DEFAULT_MAX_BACKOFF),
            user_agent: match self.user_agent {
                Some(agent) => format!("{agent} {own_agent}"),
                None => own_agent.to_owned(),
            },
            allow_insecure_http: self.allow_insecure_http,
            delivery: self.delivery,
            network,
        })
    }
}

/// The one rule for concurrency, wherever it is given: at least one request in flight.
pub(crate) fn check_concurrency(concurrency: usize) -> Result<usize> {
    if concurrency == 0 {
        return Err(Error::config("concurrency must be at least 1"));
    }
    Ok(concurrency)
}

/// Accepts `app = "org/app"`, or `app_id = "org/app"`, or `org_id` + bare `app_id`.
fn resolve_app(
    app: Option<String>,
    org_id: Option<String>,
    app_id: Option<String>,
) -> Result<(String, String)> {
    let missing = || {
        Error::config(format!(
            "no app: set the client's app id as \"org/app\" (or org id and app id separately), \
             or the {ENV_APP_ID} environment variable"
        ))
    };
    let (org, app) = match (org_id, app_id.or(app)) {
        (Some(org), Some(app)) if !app.contains('/') => (org, app),
        (_, Some(combined)) => match combined.split_once('/') {
            Some((org, app)) => (org.to_owned(), app.to_owned()),
            None => {
                return Err(Error::config(format!(
                    "app id {combined:?} has no org: write it as \"org/app\", as shown in \
                     LogRocket's setup snippet, or also set the org id"
                )));
            }
        },
        (_, None) => return Err(missing()),
    };
    let (org, app) = (org.trim().to_owned(), app.trim().to_owned());
    if org.is_empty() || app.is_empty() || app.contains('/') {
        return Err(Error::config(format!(
            "app id \"{org}/{app}\" is not of the form \"org/app\""
        )));
    }
    // Each is one segment of every request's path, where "." and ".." are dot segments that a
    // URL parser, proxy or server resolves, sending the PUT to another resource (as for user
    // ids, ARCHITECTURE.md ruling 5). Found by the fuzz target fuzz_targets/user_path.rs.
    if [&org, &app].into_iter().any(|id| id == "." || id == "..") {
        return Err(Error::config(format!(
            "app id \"{org}/{app}\" cannot be used: \".\" and \"..\" are not org or app ids"
        )));
    }
    Ok((org, app))
}

pub(crate) fn check_base_url(raw: &str, allow_insecure_http: bool) -> Result<String> {
    let url = url::Url::parse(raw.trim()).map_err(|e| {
        Error::config(format!(
            "base URL {raw:?} is not a valid URL ({e}); expected e.g. {DEFAULT_BASE_URL}"
        ))
    })?;
    let host = url.host_str().unwrap_or_default();
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback(host) => {}
        "http" => {
            return Err(Error::config(format!(
                "refusing plain http:// to {host}: the API key would travel unencrypted; use \
                 https://, or allow insecure http explicitly"
            )));
        }
        other => {
            return Err(Error::config(format!(
                "base URL scheme {other:?} is not supported; use https://"
            )));
        }
    }
    if host.is_empty() {
        return Err(Error::config(format!("base URL {raw:?} has no host")));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
