//! The reqwest client for a configuration.

use std::time::Duration;

use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, USER_AGENT};

use crate::config::ClientConfig;
use crate::error::{Error, Result};

/// How long a connection may sit unused before it is closed rather than reused: below the
/// common 60-second idle timeout of load balancers, so a reused connection is rarely one the
/// server is closing at that moment.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// TCP keepalive probes on idle connections, so a connection silently dropped by a NAT or
/// firewall is noticed before a request is written on it.
const TCP_KEEPALIVE: Duration = Duration::from_secs(30);

/// `http2_known`: the server is known to speak HTTP/2 (an earlier answer came over it), so
/// the client starts with it rather than negotiating: its requests then wait for one connection
/// instead of each opening one while the first handshake is under way.
pub(super) fn http_client(config: &ClientConfig, http2_known: bool) -> Result<reqwest::Client> {
    let network = &config.network;
    let mut builder = reqwest::Client::builder()
        .default_headers(default_headers(config)?)
        // Redirects are never followed: they would carry the key elsewhere, and the API does
        // not redirect.
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(network.connect_timeout.min(config.timeout))
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .tcp_keepalive(TCP_KEEPALIVE)
        .tcp_nodelay(true)
        // Certificates are always verified; the system's store and Mozilla's roots are both
        // trusted (a machine without a store still reaches the API), plus the configured CAs.
        // Reading the system's store opens every file of its directory: skipped for a client
        // that never speaks TLS (plain http to a local emulator, with no https proxy), which
        // tests and forked workers build by the hundred.
        .tls_built_in_native_certs(speaks_tls(config))
        .tls_built_in_webpki_certs(true)
        .https_only(config.base_url.starts_with("https://"));
    if network.http1_only {
        builder = builder.http1_only();
    } else if http2_known {
        builder = builder.http2_prior_knowledge();
    }
    for cert in &network.ca_certs {
        let pem = cert.load()?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .ok()
            .filter(|certs| !certs.is_empty())
            .ok_or_else(|| {
                Error::config(format!(
                    "{} holds no PEM certificate (expected \"-----BEGIN CERTIFICATE-----\" \
                     blocks)",
                    cert.describe()
                ))
            })?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    if !network.proxy_from_env {
        builder = builder.no_proxy();
    }
    if let Some(proxy) = &network.proxy {
        let mut explicit = reqwest::Proxy::all(proxy.expose_secret()).map_err(|_| {
            Error::config(format!("the proxy URL {} is not usable", proxy.redacted()))
        })?;
        if network.proxy_from_env {
            explicit = explicit.no_proxy(reqwest::NoProxy::from_env());
        }
        builder = builder.proxy(explicit);
    }
    builder.build().map_err(|e| {
        // Building fails on a certificate the TLS library refuses, or a system trust store that
        // cannot be read; the error names neither the key nor the proxy's credentials.
        Error::config(format!(
            "cannot set up the HTTP client: {}",
            super::classify::describe(&e.without_url())
        ))
    })
}

/// Whether any connection of this client may use TLS: an https API, or an https proxy (given,
/// or in the environment when that is honoured).
fn speaks_tls(config: &ClientConfig) -> bool {
    let https = |url: &str| url.trim().to_ascii_lowercase().starts_with("https://");
    let network = &config.network;
    https(&config.base_url)
        || network
            .proxy
            .as_ref()
            .is_some_and(|proxy| https(proxy.expose_secret()))
        || (network.proxy_from_env
            && [
                "HTTPS_PROXY",
                "https_proxy",
                "HTTP_PROXY",
                "http_proxy",
                "ALL_PROXY",
                "all_proxy",
            ]
            .iter()
            .filter_map(|name| std::env::var(name).ok())
            .any(|url| https(&url)))
}

/// The headers every request carries, built once.
fn default_headers(config: &ClientConfig) -> Result<HeaderMap> {
    let mut authorization =
        HeaderValue::from_str(&format!("token {}", config.api_key.expose_secret()))
            .map_err(|_| Error::config("the API key is not valid in an HTTP header"))?;
    // Kept out of any debug output of the HTTP stack, and out of HTTP/2's header compression
    // table.
    authorization.set_sensitive(true);
    let user_agent = HeaderValue::from_str(&config.user_agent)
        .map_err(|_| Error::config("the user agent is not valid in an HTTP header"))?;
    let mut headers = HeaderMap::with_capacity(3);
    headers.insert(AUTHORIZATION, authorization);
    headers.insert(USER_AGENT, user_agent);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(headers)
}
