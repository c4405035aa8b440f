//! Background delivery's glue: the full-queue policy from its JS name, the summaries and
//! counters as plain records, and the on-failure hook as a weak threadsafe function.
//!
//! The hook is the client's only way to reach JS from the runtime's threads. It is weak
//! (unref'd), so a client never keeps an idle process alive; `index.js` keeps the process alive
//! itself while it waits for hook calls it must not lose (see `HookMessage::barrier`).

use std::time::Duration;

use logrocket_identify::{Counters, DeliveryFailure, FlushSummary, WhenFull};
use napi::Status;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

use crate::errors::ErrorRecord;

/// What the runtime's threads send to the JS dispatcher in `index.js`: a failure, or a
/// barrier that says every failure sent before it has been handed over.
#[napi(object)]
#[derive(Debug)]
pub struct HookMessage {
    /// Set for a barrier: the id `index.js` waits for.
    pub barrier: Option<u32>,
    pub user_id: Option<String>,
    pub error: Option<ErrorRecord>,
    /// How many enqueued updates the failed PUT carried (> 1 when coalesced).
    pub updates: Option<i64>,
}

/// The hook: called without waiting for JS (`NonBlocking`), weak so it holds no process open,
/// and "callee handled" off, so JS gets the message as its only argument.
pub type Hook = ThreadsafeFunction<HookMessage, (), HookMessage, Status, false, true>;

/// Hands one failure to JS. Never blocks the runtime thread; if the JS side is gone (the
/// environment is shutting down) there is no one left to tell, and the counters still hold it.
pub fn report_failure(hook: &Hook, failure: &DeliveryFailure) {
    let _ = hook.call(
        HookMessage {
            barrier: None,
            user_id: Some(failure.user_id.clone()),
            error: Some(failure.error.clone().into()),
            updates: Some(count(failure.updates)),
        },
        ThreadsafeFunctionCallMode::NonBlocking,
    );
}

/// Queues a barrier behind every failure already sent; `false` if it could not be queued.
pub fn send_barrier(hook: &Hook, id: u32) -> bool {
    let message = HookMessage {
        barrier: Some(id),
        user_id: None,
        error: None,
        updates: None,
    };
    hook.call(message, ThreadsafeFunctionCallMode::NonBlocking) == Status::Ok
}

/// A JS number holds every count a process reaches; saturate rather than wrap.
pub fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The full-queue policy from its JS spelling.
///
/// `block` waits at most `enqueue_timeout` on the calling thread, which for `enqueue` is the
/// JS thread: so unless the caller asked for a wait, the Node binding waits zero (a full queue
/// throws `QueueFullError` at once) instead of the core's default brief block, because a
/// blocked JS thread stalls every request a server is handling.
pub fn when_full(
    policy: Option<&str>,
    enqueue_timeout: Option<Duration>,
) -> Result<WhenFull, String> {
    match policy {
        None | Some("block") => Ok(WhenFull::Block(enqueue_timeout.unwrap_or(Duration::ZERO))),
        Some("error") => Ok(WhenFull::Error),
        Some("dropOldest") => Ok(WhenFull::DropOldest),
        Some(other) => Err(format!(
            "whenFull must be 'block', 'error' or 'dropOldest', got {other:?}"
        )),
    }
}

/// What a `flush` or `close` achieved; the counts are totals since the client started.
#[napi(object)]
#[derive(Debug)]
pub struct FlushSummaryRecord {
    /// Everything enqueued before the call was delivered or failed in time.
    pub completed: bool,
    pub delivered: i64,
    pub failed: i64,
    pub dropped: i64,
    /// Still queued or in flight when the call returned.
    pub pending: i64,
}

impl From<FlushSummary> for FlushSummaryRecord {
    fn from(summary: FlushSummary) -> Self {
        FlushSummaryRecord {
            completed: summary.completed,
            delivered: count(summary.delivered),
            failed: count(summary.failed),
            dropped: count(summary.dropped),
            pending: count(summary.pending),
        }
    }
}

/// The client's delivery counters; `enqueued` = `coalesced + delivered + failed + dropped + pending`.
#[napi(object)]
#[derive(Debug)]
pub struct CountersRecord {
    pub enqueued: i64,
    pub delivered: i64,
    pub failed: i64,
    pub retried: i64,
    pub dropped: i64,
    pub coalesced: i64,
    /// Queued or in flight.
    pub pending: i64,
    pub in_flight: i64,
}

impl From<Counters> for CountersRecord {
    fn from(counters: Counters) -> Self {
        CountersRecord {
            enqueued: count(counters.enqueued),
            delivered: count(counters.delivered),
            failed: count(counters.failed),
            retried: count(counters.retried),
            dropped: count(counters.dropped),
            coalesced: count(counters.coalesced),
            pending: count(counters.pending),
            in_flight: count(counters.in_flight),
        }
    }
}
