//! Where requests go: the base URL taken apart once, when the client is built.

use http::HeaderValue;
use url::{Host, Url};

use crate::error::{Error, Result};

/// The API's address as the transport needs it.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub tls: bool,
    /// The host to connect to and to name in TLS: a DNS name or an IP address without brackets.
    pub host: String,
    pub port: u16,
    /// The `Host` header: the host as written in the URL, with its port when not the default.
    pub authority: HeaderValue,
    /// The base URL's own path (a proxy prefix, say) without its trailing slash.
    pub base_path: String,
}

impl Endpoint {
    /// Takes apart a base URL already checked by `config::check_base_url` (valid, http or
    /// https, with a host).
    pub fn parse(base_url: &str) -> Result<Endpoint> {
        let url = Url::parse(base_url)
            .map_err(|e| Error::config(format!("base URL {base_url:?}: {e}")))?;
        let tls = url.scheme() == "https";
        let host = match url.host() {
            Some(Host::Domain(name)) => name.to_owned(),
            Some(Host::Ipv4(ip)) => ip.to_string(),
            Some(Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(Error::config(format!("base URL {base_url:?} has no host"))),
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| Error::config(format!("base URL {base_url:?} has no port")))?;
        let authority = match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => String::new(),
        };
        let authority = HeaderValue::from_str(&authority)
            .map_err(|_| Error::config(format!("base URL {base_url:?} has an invalid host")))?;
        Ok(Endpoint {
            tls,
            host,
            port,
            authority,
            base_path: url.path().trim_end_matches('/').to_owned(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_taken_apart() {
        let api = Endpoint::parse("https://api.logrocket.com").unwrap();
        assert_eq!(
            (api.tls, api.host.as_str(), api.port, api.base_path.as_str()),
            (true, "api.logrocket.com", 443, "")
        );
        assert_eq!(api.authority, "api.logrocket.com");

        let local = Endpoint::parse("http://127.0.0.1:8080/proxy/lr/").unwrap();
        assert_eq!(
            (
                local.tls,
                local.host.as_str(),
                local.port,
                local.base_path.as_str()
            ),
            (false, "127.0.0.1", 8080, "/proxy/lr")
        );
        assert_eq!(local.authority, "127.0.0.1:8080");

        let v6 = Endpoint::parse("http://[::1]:9000").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 9000));
        assert_eq!(v6.authority, "[::1]:9000");
    }
}
