//! Sending a request and reading its answer, over reqwest.
//!
//! reqwest brings what real networks need: proxies (from the environment or the
//! configuration), the system's trust store, HTTP/2 by ALPN, both address families raced
//! (happy eyeballs), a pool of keep-alive connections, and a request that was never written
//! on a pooled connection the server had just closed sent again on another without costing a
//! retry. This module adds what the API client wants on top: answers read in full but capped,
//! and every failure given a [`TransportReason`] that decides whether it is retried.

mod build;
mod classify;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

use crate::config::ClientConfig;
use crate::error::{Error, Result, TransportReason};
use classify::classify;

/// The most of an answer's body that is read. The API answers with a small user object or an
/// error message; a larger body (a misconfigured proxy, say) is an error rather than memory
/// spent on it.
pub(crate) const MAX_ANSWER_BYTES: usize = 4 << 20;

/// An answer, read in full.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

pub(crate) struct Transport {
    client: reqwest::Client,
}

impl Transport {
    /// The HTTP client for `config`: its proxy, trusted certificates, HTTP version and
    /// timeouts, and the headers every request carries (the key's marked sensitive).
    pub fn new(config: &ClientConfig) -> Result<Transport> {
        Ok(Transport {
            client: build::http_client(config)?,
        })
    }

    /// PUTs `body` to `url` and reads the whole answer. Errors are transport errors; an
    /// answer of any status is a `Reply`.
    pub async fn put(&self, url: reqwest::Url, body: Bytes) -> Result<Reply> {
        let mut response = self
            .client
            .put(url)
            .body(body)
            .send()
            .await
            .map_err(|e| classify(&e))?;
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
        })
    }
}
