//! Idle keep-alive connections, reused most-recent-first.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1::SendRequest;

pub(crate) type Sender = SendRequest<Full<Bytes>>;

/// How long a connection may sit unused before it is closed rather than reused. Below the
/// common 60-second idle timeout of load balancers, so a reused connection is rarely one the
/// server is closing at that moment (and one that was is handled: see `Transport::send`).
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// No cap on the number kept: a cap below the number of requests in flight would close and
/// reopen a connection for most requests of a bulk run.
#[derive(Default)]
pub(crate) struct Pool {
    idle: Mutex<Vec<Idle>>,
}

struct Idle {
    sender: Sender,
    since: Instant,
}

impl Pool {
    /// The most recently used open connection, if any; stale ones are dropped (which closes them).
    pub fn take(&self) -> Option<Sender> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some(connection) = idle.pop() {
            if connection.since.elapsed() < IDLE_TIMEOUT && !connection.sender.is_closed() {
                return Some(connection.sender);
            }
        }
        None
    }

    /// Keeps a connection whose last answer was read in full, for the next request.
    pub fn put(&self, sender: Sender) {
        if sender.is_closed() {
            return;
        }
        let now = Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        // The oldest sit at the front; those past the timeout will never be taken again.
        let stale = idle
            .iter()
            .take_while(|c| now.duration_since(c.since) >= IDLE_TIMEOUT)
            .count();
        idle.drain(..stale);
        idle.push(Idle { sender, since: now });
    }
}
