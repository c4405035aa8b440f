//! How an emulator is set up: its API key, where it listens, how much it remembers.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

/// Settings for an emulator instance.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// The key clients must send as `Authorization: token <api_key>`. Default `"test"`.
    pub api_key: String,
    /// The address to listen on. Default `127.0.0.1`, so nothing outside the machine reaches it.
    pub host: IpAddr,
    /// The port to listen on. Default `0`: the system picks a free one.
    pub port: u16,
    /// How many recorded API requests to keep; older ones are dropped first, so a
    /// million-row import does not grow memory without bound. Default `10_000`.
    pub request_log_limit: usize,
    /// API requests per second answered before it says 429 with `Retry-After`, as a real
    /// API's rate limit would (a token bucket holding one second's worth). `None` (the
    /// default) or 0: no limit.
    pub rate_limit: Option<u32>,
    /// Serve HTTPS instead of plain HTTP. Default `false`.
    ///
    /// The real API is only reached over HTTPS, where clients negotiate HTTP/2 by ALPN and
    /// verify certificates; this mode exercises those paths. Each start makes a throwaway CA
    /// and a server certificate it signs for `localhost`, `127.0.0.1` and `::1` (and `host`
    /// when that is a specific other address); clients trust the CA from
    /// [`crate::Emulator::ca_cert_pem`] or the file at [`crate::Emulator::ca_cert_path`].
    pub tls: bool,
    /// Where to write the CA certificate (PEM) in TLS mode, for clients in other processes
    /// (`curl --cacert`, `SSL_CERT_FILE`, `NODE_EXTRA_CA_CERTS`, ...). Left in place on
    /// shutdown, since the caller named it. Default `None`: a fresh file under
    /// [`std::env::temp_dir`] named `logrocket-emulator-ca-<pid>-<port>.pem`, removed on
    /// shutdown. Ignored when `tls` is off.
    pub ca_cert_path: Option<PathBuf>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            api_key: "test".to_owned(),
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            request_log_limit: 10_000,
            rate_limit: None,
            tls: false,
            ca_cert_path: None,
        }
    }
}

// Written by hand so the key never lands in a log line, even a fake one that may have been
// copied from a real configuration.
impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("api_key", &"<redacted>")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("request_log_limit", &self.request_log_limit)
            .field("rate_limit", &self.rate_limit)
            .field("tls", &self.tls)
            .field("ca_cert_path", &self.ca_cert_path)
            .finish()
    }
}
