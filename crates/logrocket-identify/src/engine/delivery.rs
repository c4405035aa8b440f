//! Background delivery: `enqueue` validates and returns; the engine delivers on the client's
//! runtime; `flush` and `close` wait, never past their deadline; counters say where every
//! update went, and every update not delivered reaches the on-failure hook.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;

use crate::client::Client;
use crate::engine::coalesce::PendingUpdate;
use crate::engine::drive::{Sendable, drive};
use crate::engine::options::{DeliveryFailure, FailureHook, WhenFull};
use crate::engine::queue::{Job, Limits, Payload, Pushed, Queue, deadline_after};
use crate::error::{Error, Result, ValidationError};
use crate::request::IdentifyRequest;

/// One pending update (or several of one user, coalesced).
#[derive(Debug)]
pub(crate) struct Update {
    pending: PendingUpdate,
    updates: u64,
}

impl Payload for Update {
    fn user_id(&self) -> &str {
        &self.pending.user_id
    }

    fn size(&self) -> usize {
        self.pending.size()
    }

    fn updates(&self) -> u64 {
        self.updates
    }

    fn absorb(&mut self, later: Self) -> Result<(), Self> {
        match self.pending.absorb(later.pending) {
            Ok(()) => {
                self.updates += later.updates;
                Ok(())
            }
            Err(pending) => Err(Update {
                pending,
                updates: later.updates,
            }),
        }
    }
}

impl Sendable for Update {
    fn body(&self) -> Result<Bytes> {
        self.pending.encode_body().map(Bytes::from).map_err(|e| {
            Error::Validation(ValidationError::malformed(
                "traits",
                format!("encoding: {e}"),
            ))
        })
    }
}

/// Where background updates stand. `enqueued == coalesced + delivered + failed + dropped +
/// pending` once no `enqueue` is under way: each enqueued update is folded into another, or
/// ends up in exactly one of the other four.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Updates accepted by `enqueue`.
    pub enqueued: u64,
    /// PUTs the API accepted.
    pub delivered: u64,
    /// PUTs that failed for good (after retries, or not retryable).
    pub failed: u64,
    /// Retries of background PUTs and bulk requests alike, by this client.
    pub retried: u64,
    /// Updates dropped to make room, or abandoned when `close` gave up.
    pub dropped: u64,
    /// Updates folded into a pending update of the same user.
    pub coalesced: u64,
    /// Updates queued or in flight.
    pub pending: u64,
    /// Of those, in flight.
    pub in_flight: u64,
}

/// What `flush` or `close` came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlushSummary {
    /// Every update enqueued before the call was delivered or failed in time.
    pub completed: bool,
    /// Totals since the client started.
    pub delivered: u64,
    pub failed: u64,
    pub dropped: u64,
    /// Updates still queued or in flight when the call returned.
    pub pending: u64,
}

#[derive(Debug, Default)]
struct Tally {
    enqueued: AtomicU64,
    delivered: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    coalesced: AtomicU64,
}

/// A client's background delivery: its queue, its tallies and its sending loop. Clones share
/// them.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    queue: Arc<Queue<Update>>,
    tally: Arc<Tally>,
    hook: Option<FailureHook>,
    when_full: WhenFull,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

fn report(hook: Option<&FailureHook>, failure: DeliveryFailure) {
    tracing::warn!(
        kind = %failure.error.kind(),
        status = failure.error.status(),
        updates = failure.updates,
        "an enqueued update was not delivered"
    );
    if let Some(hook) = hook {
        // A hook that panics must not take the sending loop down with it.
        if catch_unwind(AssertUnwindSafe(|| (hook.0)(&failure))).is_err() {
            tracing::error!("the on-failure hook panicked");
        }
    }
}

impl Delivery {
    /// Starts the sending loop for `client` on `runtime`.
    pub fn start(client: &Client, runtime: &tokio::runtime::Handle) -> Delivery {
        let config = &client.config().delivery;
        let queue = Arc::new(Queue::new(Limits {
            items: config.queue_capacity,
            bytes: config.queue_max_bytes,
            coalesce: config.coalesce,
        }));
        let tally = Arc::new(Tally::default());
        let hook = config.on_failure.clone();
        let concurrency = client.config().concurrency;
        {
            let (queue, tally, hook, client) = (
                Arc::clone(&queue),
                Arc::clone(&tally),
                hook.clone(),
                client.for_sending_loop(),
            );
            runtime.spawn(async move {
                drive(
                    &queue,
                    &client,
                    concurrency,
                    |job: Job<Update>, result| match result {
                        Ok(_) => bump(&tally.delivered),
                        Err(error) => {
                            bump(&tally.failed);
                            report(
                                hook.as_ref(),
                                DeliveryFailure {
                                    user_id: job.payload.pending.user_id.into(),
                                    error,
                                    updates: job.payload.updates,
                                },
                            );
                        }
                    },
                )
                .await;
            });
        }
        Delivery {
            queue,
            tally,
            hook,
            when_full: config.when_full,
        }
    }

    /// Queues a validated request under the full-queue policy.
    pub fn enqueue(&self, request: IdentifyRequest) -> Result<()> {
        let mut update = Update {
            pending: PendingUpdate::from(request),
            updates: 1,
        };
        loop {
            let pushed = match self.when_full {
                WhenFull::Block(wait) => self.queue.push_blocking(update, deadline_after(wait)),
                _ => self.queue.push(update, false).0,
            };
            match pushed {
                Pushed::Queued => {
                    bump(&self.tally.enqueued);
                    return Ok(());
                }
                Pushed::Coalesced => {
                    bump(&self.tally.enqueued);
                    bump(&self.tally.coalesced);
                    return Ok(());
                }
                Pushed::Closed(_) => return Err(closed_error()),
                Pushed::Full(back) => update = back,
            }
            match self.when_full {
                WhenFull::DropOldest => {
                    if let Some(job) = self.queue.evict_oldest() {
                        self.drop_job(
                            job,
                            Error::QueueFull(
                                "dropped to make room: the queue was full and the drop-oldest \
                                 policy is set"
                                    .into(),
                            ),
                        );
                    }
                }
                // Blocking waited its time already; the error policy does not wait.
                WhenFull::Block(_) | WhenFull::Error => return Err(full_error()),
            }
        }
    }

    fn drop_job(&self, job: Job<Update>, error: Error) {
        bump(&self.tally.dropped);
        report(
            self.hook.as_ref(),
            DeliveryFailure {
                user_id: job.payload.pending.user_id.into(),
                error,
                updates: job.payload.updates,
            },
        );
    }

    /// No more updates will come (the client's last owner is gone): the loop delivers what is
    /// pending, then ends.
    pub fn finish_input(&self) {
        self.queue.close();
    }

    pub async fn flush(&self, timeout: Duration) -> FlushSummary {
        let target = self.queue.next_seq();
        let completed = tokio::time::timeout(timeout, self.queue.wait_done(target))
            .await
            .is_ok();
        self.summary(completed)
    }

    pub fn flush_blocking(&self, timeout: Duration) -> FlushSummary {
        let target = self.queue.next_seq();
        let completed = self
            .queue
            .wait_done_blocking(target, deadline_after(timeout));
        self.summary(completed)
    }

    /// Stops taking updates now (before the returned future is first polled), then waits.
    pub fn close(&self, timeout: Duration) -> impl Future<Output = FlushSummary> + '_ {
        self.queue.close();
        async move {
            let summary = self.flush(timeout).await;
            self.give_up_if(summary)
        }
    }

    pub fn close_blocking(&self, timeout: Duration) -> FlushSummary {
        self.queue.close();
        let summary = self.flush_blocking(timeout);
        self.give_up_if(summary)
    }

    /// After `close`'s deadline: stops the loop and reports what never got through.
    fn give_up_if(&self, summary: FlushSummary) -> FlushSummary {
        if summary.completed {
            return summary;
        }
        let (queued, in_flight) = self.queue.stop();
        for job in queued {
            self.drop_job(
                job,
                Error::Closed("still queued when close's deadline passed".into()),
            );
        }
        for job in in_flight {
            bump(&self.tally.dropped);
            report(
                self.hook.as_ref(),
                DeliveryFailure {
                    user_id: job.user_id.to_string(),
                    error: Error::Closed(
                        "abandoned in flight when close's deadline passed; the API may or may \
                         not have stored it"
                            .into(),
                    ),
                    updates: job.updates,
                },
            );
        }
        self.summary(false)
    }

    fn summary(&self, completed: bool) -> FlushSummary {
        let (queued, in_flight) = self.queue.lengths();
        FlushSummary {
            completed,
            delivered: self.tally.delivered.load(Ordering::Relaxed),
            failed: self.tally.failed.load(Ordering::Relaxed),
            dropped: self.tally.dropped.load(Ordering::Relaxed),
            pending: queued + in_flight,
        }
    }

    pub fn counters(&self, retried: u64) -> Counters {
        let (queued, in_flight) = self.queue.lengths();
        Counters {
            enqueued: self.tally.enqueued.load(Ordering::Relaxed),
            delivered: self.tally.delivered.load(Ordering::Relaxed),
            failed: self.tally.failed.load(Ordering::Relaxed),
            retried,
            dropped: self.tally.dropped.load(Ordering::Relaxed),
            coalesced: self.tally.coalesced.load(Ordering::Relaxed),
            pending: queued + in_flight,
            in_flight,
        }
    }
}

pub(crate) fn closed_error() -> Error {
    Error::Closed("the client was closed: no more updates can be enqueued".into())
}

fn full_error() -> Error {
    Error::QueueFull(
        "the delivery queue is full: raise the queue capacity, or choose another full-queue \
         policy (block longer, or drop the oldest update)"
            .into(),
    )
}

impl Client {
    /// Queues `request` for delivery in the background and returns without waiting for the
    /// network. It is validated now: a bad request is the same [`Error::Validation`] that
    /// [`identify`](Self::identify) returns, and nothing is queued. When the queue is full, the
    /// configured [`WhenFull`] policy applies (by default: wait up to 100 ms for room, then
    /// [`Error::QueueFull`]). After [`close`](Self::close): [`Error::Closed`].
    ///
    /// Pending updates of one user are sent in order, and folded into one PUT where the API
    /// would store the same (same timestamp, or none). Every update that is not delivered
    /// reaches the on-failure hook ([`ClientBuilder::on_failure`](crate::ClientBuilder::on_failure))
    /// and the [`counters`](Self::counters). Delivery runs on the runtime given to the builder,
    /// or else the one current at the first call.
    pub fn enqueue(&self, request: IdentifyRequest) -> Result<()> {
        request.validate()?;
        if self.is_closed() {
            return Err(closed_error());
        }
        self.start_delivery()?.enqueue(request)
    }

    /// Waits until every update enqueued before this call has been delivered or has failed for
    /// good, but never longer than `timeout`.
    pub async fn flush(&self, timeout: Duration) -> FlushSummary {
        match self.delivery() {
            Some(delivery) => delivery.flush(timeout).await,
            None => idle_summary(),
        }
    }

    /// [`flush`](Self::flush) for a thread that is not one of an async runtime's: it blocks.
    pub fn flush_blocking(&self, timeout: Duration) -> FlushSummary {
        match self.delivery() {
            Some(delivery) => delivery.flush_blocking(timeout),
            None => idle_summary(),
        }
    }

    /// Stops taking updates, delivers what is pending for up to `timeout`, then gives up on
    /// the rest (each reaches the hook with [`Error::Closed`] and counts as dropped). Calling
    /// it again does no harm. The client refuses new updates from the moment of the call, not
    /// from when the returned future is first polled.
    pub fn close(&self, timeout: Duration) -> impl Future<Output = FlushSummary> + '_ {
        self.mark_closed();
        let closing = self.delivery().map(|delivery| delivery.close(timeout));
        async move {
            match closing {
                Some(closing) => closing.await,
                None => idle_summary(),
            }
        }
    }

    /// [`close`](Self::close) for a thread that is not one of an async runtime's: it blocks.
    pub fn close_blocking(&self, timeout: Duration) -> FlushSummary {
        self.mark_closed();
        match self.delivery() {
            Some(delivery) => delivery.close_blocking(timeout),
            None => idle_summary(),
        }
    }

    /// Where the enqueued updates stand.
    pub fn counters(&self) -> Counters {
        match self.delivery() {
            Some(delivery) => delivery.counters(self.retried()),
            None => Counters {
                retried: self.retried(),
                ..Counters::default()
            },
        }
    }
}

fn idle_summary() -> FlushSummary {
    FlushSummary {
        completed: true,
        ..FlushSummary::default()
    }
}
