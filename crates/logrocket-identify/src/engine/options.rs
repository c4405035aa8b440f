//! How background delivery is configured: queue limits, what `enqueue` does when the queue is
//! full, and the hook every update that is not delivered reaches.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::error::Error;

/// Updates waiting at most, by default: as other server-side analytics SDKs keep.
pub const DEFAULT_QUEUE_CAPACITY: usize = 10_000;
/// Bytes of updates waiting at most, by default.
pub const DEFAULT_QUEUE_MAX_BYTES: usize = 32 * 1024 * 1024;
/// How long `enqueue` waits for room by default before it returns a queue-full error: brief,
/// so that a request handler is never held up for long.
pub const DEFAULT_ENQUEUE_BLOCK: Duration = Duration::from_millis(100);
/// The deadline of the flush made at exit or when a client is dropped without `close`.
pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// What `enqueue` does when the queue is full. Whatever the choice, nothing is lost silently:
/// a refused update is an error to the caller, a dropped one reaches the on-failure hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenFull {
    /// Wait up to this long for room, then return [`Error::QueueFull`].
    Block(Duration),
    /// Return [`Error::QueueFull`] at once.
    Error,
    /// Make room by dropping the update that has waited longest (it reaches the hook).
    DropOldest,
}

impl Default for WhenFull {
    fn default() -> Self {
        WhenFull::Block(DEFAULT_ENQUEUE_BLOCK)
    }
}

/// An update that will not be delivered: it failed for good, was dropped to make room, or was
/// still pending when `close` gave up.
#[derive(Debug, Clone)]
pub struct DeliveryFailure {
    pub user_id: String,
    pub error: Error,
    /// How many enqueued updates it stood for (more than 1 when several were coalesced).
    pub updates: u64,
}

/// The on-failure hook: called on the client's I/O thread, so it should return quickly.
#[derive(Clone)]
pub struct FailureHook(pub(crate) Arc<dyn Fn(&DeliveryFailure) + Send + Sync>);

impl fmt::Debug for FailureHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FailureHook(..)")
    }
}

impl<F: Fn(&DeliveryFailure) + Send + Sync + 'static> From<F> for FailureHook {
    fn from(hook: F) -> Self {
        FailureHook(Arc::new(hook))
    }
}

/// Background delivery's settings, part of [`ClientConfig`](crate::ClientConfig).
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    pub queue_capacity: usize,
    pub queue_max_bytes: usize,
    pub when_full: WhenFull,
    pub on_failure: Option<FailureHook>,
    /// Fold a pending update of a user into the next one where that changes nothing stored.
    pub coalesce: bool,
    /// Where the sending loop runs; `None`: the tokio runtime current at the first `enqueue`.
    pub runtime: Option<tokio::runtime::Handle>,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            queue_max_bytes: DEFAULT_QUEUE_MAX_BYTES,
            when_full: WhenFull::default(),
            on_failure: None,
            coalesce: true,
            runtime: None,
        }
    }
}
