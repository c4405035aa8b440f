//! HTTP/1.1 over hyper's client connections, with a keep-alive pool of its own.
//!
//! The client sends one kind of request to one host, so it needs none of what a general HTTP
//! client does per request (URL parsing, redirect and proxy policies, a pool keyed by host):
//! that work was a third of a bulk run's CPU time. What is left is the connection, TLS, and
//! reading the answer.

mod connect;
mod endpoint;
mod pool;

use bytes::Bytes;
use http::header::HOST;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use tokio_rustls::TlsConnector;

use crate::error::{Error, Result};
pub(crate) use endpoint::Endpoint;
use pool::Pool;

/// The most of an answer's body that is read. The API answers with a small user object or an
/// error message; a larger body (a misconfigured proxy, say) is an error rather than memory
/// spent on it.
const MAX_BODY: usize = 4 << 20;

/// An answer, read in full.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

pub(crate) struct Transport {
    endpoint: Endpoint,
    tls: Option<TlsConnector>,
    pool: Pool,
}

impl Transport {
    pub fn new(endpoint: Endpoint) -> Result<Transport> {
        let tls = if endpoint.tls {
            Some(connect::tls_connector()?)
        } else {
            None
        };
        Ok(Transport {
            endpoint,
            tls,
            pool: Pool::default(),
        })
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Sends `request` (its URI the path alone) on an idle connection or a new one, and reads
    /// the whole answer. Errors are transport errors; an answer of any status is a `Reply`.
    pub async fn send(&self, mut request: Request<Full<Bytes>>) -> Result<Reply> {
        request
            .headers_mut()
            .insert(HOST, self.endpoint.authority.clone());
        loop {
            let (mut sender, reused) = match self.pool.take() {
                Some(sender) => (sender, true),
                None => (
                    connect::connect(&self.endpoint, self.tls.as_ref()).await?,
                    false,
                ),
            };
            if let Err(e) = sender.ready().await {
                if reused {
                    // Closed while it sat in the pool: try the next one.
                    continue;
                }
                return Err(transport(&e));
            }
            match sender.try_send_request(request).await {
                Ok(response) => {
                    let (parts, body) = response.into_parts();
                    let body = Limited::new(body, MAX_BODY)
                        .collect()
                        .await
                        .map_err(|e| Error::Transport {
                            message: format!("reading the answer: {}", describe(&*e)),
                        })?
                        .to_bytes();
                    self.pool.put(sender);
                    return Ok(Reply {
                        status: parts.status,
                        headers: parts.headers,
                        body,
                    });
                }
                Err(mut failed) => match failed.take_message() {
                    // Never written: a pooled connection the server closed just then. Sending
                    // it again elsewhere cannot repeat it, so it costs no retry.
                    Some(unsent) if reused => request = unsent,
                    _ => return Err(transport(failed.error())),
                },
            }
        }
    }
}

fn transport(error: &hyper::Error) -> Error {
    Error::Transport {
        message: describe(error),
    }
}

/// An error and its causes on one line. hyper's errors never hold the URL, so the user id in
/// the path (PII) cannot reach a message.
pub(crate) fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
