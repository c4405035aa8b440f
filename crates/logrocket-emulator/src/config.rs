//! How an emulator is set up: its API key, where it listens, how much it remembers.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

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
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            api_key: "test".to_owned(),
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            request_log_limit: 10_000,
            rate_limit: None,
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
            .finish()
    }
}
