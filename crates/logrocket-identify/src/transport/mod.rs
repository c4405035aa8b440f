//! Sending a request and reading its answer, over reqwest.
//!
//! reqwest brings what real networks need: proxies (from the environment or the
//! configuration), the system's trust store, HTTP/2 by ALPN, both address families raced
//! (happy eyeballs), a pool of keep-alive connections, and a request that was never written
//! on a pooled connection the server had just closed sent again on another without costing a
//! retry. This module adds what the API client wants on top:
//! - answers read in full but capped, and every failure given a [`TransportReason`] that
//!   decides whether it is retried (`classify.rs`);
//! - more than one HTTP/2 connection. reqwest keeps one connection per host for HTTP/2, and a
//!   server allows only so many streams on one (hyper's default is 200, nginx's 128), which
//!   would cap a bulk run at that many requests in flight: one round trip's worth. Once the
//!   server speaks HTTP/2, requests are spread over more reqwest clients (each with its own
//!   connection) as the number in flight grows, one per [`STREAMS_PER_CONNECTION`];
//! - whether an answer came on a connection opened for it, so the adaptive engine does not
//!   read a TLS handshake's round trips as a server that got slower.

mod build;
mod classify;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use bytes::Bytes;
use http::{HeaderMap, StatusCode, Version};
use hyper_util::client::legacy::connect::HttpInfo;

use crate::config::ClientConfig;
use crate::error::{Error, Result, TransportReason};
use classify::classify;

/// The most of an answer's body that is read. The API answers with a small user object or an
/// error message; a larger body (a misconfigured proxy, say) is an error rather than memory
/// spent on it.
pub(crate) const MAX_ANSWER_BYTES: usize = 4 << 20;

/// Requests in flight per HTTP/2 connection before another connection is used: the number
/// RFC 9113 asks servers to allow at least.
const STREAMS_PER_CONNECTION: usize = 100;

/// Local addresses remembered to tell new connections from reused ones; past this the memory
/// is cleared (a connection then counts as new once more, which only skips one latency sample).
const CONNECTIONS_REMEMBERED: usize = 8192;

/// An answer, read in full.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The request opened the connection it was answered on (its round trip includes the
    /// TCP, TLS and proxy handshakes).
    pub fresh_connection: bool,
}

pub(crate) struct Transport {
    config: ClientConfig,
    /// Built at once, so a bad configuration fails the client's construction.
    first: reqwest::Client,
    /// Built when HTTP/2 needs another connection, speaking HTTP/2 from the start.
    extra: Box<[OnceLock<reqwest::Client>]>,
    http2: AtomicBool,
    in_flight: AtomicUsize,
    next: AtomicUsize,
    connections: Mutex<HashSet<SocketAddr>>,
}

impl Transport {
    /// The HTTP client for `config`: its proxy, trusted certificates, HTTP version and
    /// timeouts, and the headers every request carries (the key's marked sensitive).
    pub fn new(config: &ClientConfig) -> Result<Transport> {
        let first = build::http_client(config, false)?;
        let extra = if config.network.http1_only {
            0
        } else {
            config
                .concurrency
                .div_ceil(STREAMS_PER_CONNECTION)
                .saturating_sub(1)
        };
        Ok(Transport {
            config: config.clone(),
            first,
            extra: (0..extra).map(|_| OnceLock::new()).collect(),
            http2: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            next: AtomicUsize::new(0),
            connections: Mutex::new(HashSet::new()),
        })
    }

    /// The reqwest client for the next request: the first, until HTTP/2 with more requests in
    /// flight than one connection should carry.
    fn pick(&self, in_flight: usize) -> &reqwest::Client {
        if !self.http2.load(Ordering::Relaxed) {
            return &self.first;
        }
        let wanted = (in_flight / STREAMS_PER_CONNECTION + 1).min(self.extra.len() + 1);
        let Some(cell) = (self.next.fetch_add(1, Ordering::Relaxed) % wanted)
            .checked_sub(1)
            .and_then(|index| self.extra.get(index))
        else {
            return &self.first;
        };
        if cell.get().is_none()
            && let Ok(client) = build::http_client(&self.config, true)
        {
            // Another request may have built it meanwhile; either is as good.
            let _ = cell.set(client);
        }
        cell.get().unwrap_or(&self.first)
    }

    /// PUTs `body` to `url` and reads the whole answer. Errors are transport errors; an
    /// answer of any status is a `Reply`.
    pub async fn put(&self, url: reqwest::Url, body: Bytes) -> Result<Reply> {
        let in_flight = self.in_flight.fetch_add(1, Ordering::Relaxed);
        let _counted = InFlight(&self.in_flight);
        let mut response = self
            .pick(in_flight)
            .put(url)
            .body(body)
            .send()
            .await
            .map_err(|e| classify(&e))?;
        if response.version() == Version::HTTP_2 {
            self.http2.store(true, Ordering::Relaxed);
        }
        let fresh_connection = response
            .extensions()
            .get::<HttpInfo>()
            .is_some_and(|info| self.first_seen(info.local_addr()));
        let status = response.status();
        if status == StatusCode::PROXY_AUTHENTICATION_REQUIRED {
            // A proxy forwarding plain http answers 407 itself (the API never does), and may
            // close the connection before its body is read: decide on the status alone.
            return Err(classify::proxy_refused());
        }
        let headers = std::mem::take(response.headers_mut());
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e))? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(Error::transport(
                    TransportReason::BodyTooLarge,
                    format!(
                        "the answer's body is larger than {} MiB, more than any answer of the \
                         API; is something other than the API answering?",
                        MAX_ANSWER_BYTES >> 20
                    ),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Reply {
            status,
            headers,
            body: Bytes::from(body),
            fresh_connection,
        })
    }

    /// Whether this is the first answer seen on the connection from `local`.
    fn first_seen(&self, local: SocketAddr) -> bool {
        let mut seen = self
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if seen.len() >= CONNECTIONS_REMEMBERED {
            seen.clear();
        }
        seen.insert(local)
    }
}

/// Counts a request out when it ends, however it ends (dropped futures included).
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
