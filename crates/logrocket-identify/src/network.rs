//! How the client reaches the API: proxy, trusted certificates, HTTP version, connect timeout.
//!
//! The defaults are what `curl` does: proxies from `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and
//! `NO_PROXY` (either case), the operating system's trust store (honouring `SSL_CERT_FILE` and
//! `SSL_CERT_DIR`) plus Mozilla's roots, HTTP/2 when the server offers it over TLS. Certificates
//! are always verified; nothing here turns that off.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};

/// How long opening a connection (TCP, the proxy's tunnel, TLS) may take, apart from the
/// per-attempt timeout: a host that does not answer fails fast and is retried, rather than
/// using up the whole attempt.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Network settings of a client. Its `Debug` hides the proxy's credentials.
#[derive(Debug, Clone)]
pub struct NetworkConfig {
    /// A proxy for every request, overriding the environment's. `None`: the environment's, if
    /// `proxy_from_env`.
    pub proxy: Option<ProxyUrl>,
    /// Whether `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` apply (default: yes).
    /// With an explicit `proxy`, `NO_PROXY` still names the hosts reached directly.
    pub proxy_from_env: bool,
    /// CA certificates trusted on top of the system's and Mozilla's (a corporate or
    /// TLS-inspecting proxy's CA, a test server's).
    pub ca_certs: Vec<CaCert>,
    /// Speak HTTP/1.1 even to a server that offers HTTP/2.
    pub http1_only: bool,
    /// See [`DEFAULT_CONNECT_TIMEOUT`]; never longer than the attempt's own timeout.
    pub connect_timeout: Duration,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            proxy: None,
            proxy_from_env: true,
            ca_certs: Vec::new(),
            http1_only: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }
}

/// A proxy URL such as `http://user:password@proxy.internal:3128`. Like the API key, it has no
/// `Display` and its `Debug` shows `<redacted>` for the credentials, so a logged configuration
/// or an error never reveals them.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl(url::Url);

impl ProxyUrl {
    /// Parses and checks a proxy URL: `http://` or `https://` (the scheme of the proxy itself,
    /// not of the API), with a host; credentials, if any, as `user:password@`.
    pub fn parse(raw: &str) -> Result<ProxyUrl> {
        // The raw text may hold a password: error messages name only what is wrong.
        let url = url::Url::parse(raw.trim()).map_err(|e| {
            Error::config(format!(
                "the proxy URL is not valid ({e}); expected e.g. http://proxy.internal:3128"
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::config(format!(
                "proxy scheme {:?} is not supported; use an http:// or https:// proxy URL",
                url.scheme()
            )));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(Error::config("the proxy URL has no host"));
        }
        Ok(ProxyUrl(url))
    }

    /// The URL itself, credentials included. Named so reviews notice it.
    pub fn expose_secret(&self) -> &str {
        self.0.as_str()
    }

    /// The URL with its credentials replaced by `<redacted>`: safe to show.
    pub fn redacted(&self) -> String {
        let mut shown = self.0.clone();
        if !shown.username().is_empty() || shown.password().is_some() {
            // Both setters only fail for URLs that cannot hold credentials, which a parsed
            // http(s) URL with a host always can.
            let _ = shown.set_username("<redacted>");
            let _ = shown.set_password(None);
        }
        shown.as_str().replace("%3Credacted%3E", "<redacted>")
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProxyUrl({})", self.redacted())
    }
}

/// A CA certificate to trust, as PEM text or a PEM file (either may hold several).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaCert {
    Pem(String),
    File(PathBuf),
}

impl CaCert {
    /// PEM text when `pem_or_path` holds a PEM block, else a path to a PEM file: what a single
    /// setting in the bindings and `--ca-cert` accept.
    pub fn from_pem_or_path(pem_or_path: &str) -> CaCert {
        if pem_or_path.contains("-----BEGIN") {
            CaCert::Pem(pem_or_path.to_owned())
        } else {
            CaCert::File(PathBuf::from(pem_or_path))
        }
    }

    /// The PEM text: read from the file for `File`.
    pub(crate) fn load(&self) -> Result<Vec<u8>> {
        match self {
            CaCert::Pem(pem) => Ok(pem.as_bytes().to_vec()),
            CaCert::File(path) => std::fs::read(path).map_err(|e| {
                Error::config(format!(
                    "cannot read the CA certificate file {}: {e}",
                    path.display()
                ))
            }),
        }
    }

    /// Where it came from, for error messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            CaCert::Pem(_) => "the CA certificate PEM text".to_owned(),
            CaCert::File(path) => format!("the CA certificate file {}", path.display()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn proxy_credentials_never_show() {
        let proxy = ProxyUrl::parse("http://alice:s3cret@proxy.internal:3128").unwrap();
        let shown = format!("{proxy:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("alice"),
            "{shown}"
        );
        assert_eq!(proxy.redacted(), "http://<redacted>@proxy.internal:3128/");
        assert_eq!(
            proxy.expose_secret(),
            "http://alice:s3cret@proxy.internal:3128/"
        );
        let plain = ProxyUrl::parse("http://proxy.internal:3128").unwrap();
        assert_eq!(plain.redacted(), "http://proxy.internal:3128/");
    }

    #[test]
    fn bad_proxy_urls_say_what_is_wrong_without_the_password() {
        for raw in [
            "not a url s3cret",
            "ftp://u:s3cret@proxy:21",
            "http://u:s3cret@:3128",
        ] {
            let error = ProxyUrl::parse(raw).unwrap_err().to_string();
            assert!(error.contains("proxy"), "{error}");
            assert!(!error.contains("s3cret"), "{error}");
        }
    }

    #[test]
    fn a_ca_setting_is_pem_text_or_a_path() {
        assert!(matches!(
            CaCert::from_pem_or_path("-----BEGIN CERTIFICATE-----\nMII...\n"),
            CaCert::Pem(_)
        ));
        assert_eq!(
            CaCert::from_pem_or_path("/etc/ssl/corp.pem"),
            CaCert::File("/etc/ssl/corp.pem".into())
        );
    }
}
