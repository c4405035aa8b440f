//! Bulk identify on the engine: inputs pulled lazily (from a stream, or pushed by a feeder on
//! any thread), at most `concurrency` requests in flight, every outcome reported.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};

use crate::client::Client;
use crate::config::check_concurrency;
use crate::engine::drive::{Sendable, drive};
use crate::engine::queue::{Job, Limits, Payload, Pushed, Queue, deadline_after};
use crate::error::{Error, Result};
use crate::prepared::BulkInput;
use crate::user::User;

/// One input's outcome, reported as soon as it is known (in completion order, not input order).
#[derive(Debug)]
pub struct BulkOutcome {
    /// The input's position, counting from 0.
    pub index: u64,
    /// The input's user id; empty when the input could not even be read.
    pub user_id: String,
    pub result: Result<User>,
}

/// A failed input: where it was, whose it was and why.
#[derive(Debug)]
pub struct BulkFailure {
    pub index: u64,
    pub user_id: String,
    pub error: Error,
}

/// The counts of a bulk run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BulkSummary {
    pub total: u64,
    pub succeeded: u64,
    pub failed: u64,
}

/// The result of [`Client::identify_many`]: counts, and every failure (sorted by index).
#[derive(Debug, Default)]
pub struct BulkReport {
    pub total: u64,
    pub succeeded: u64,
    pub failures: Vec<BulkFailure>,
}

impl BulkReport {
    /// True when every input succeeded.
    pub fn is_success(&self) -> bool {
        self.failures.is_empty()
    }
}

/// One input of a run, with the caller's tag.
struct BulkJob<T> {
    index: u64,
    user_id: String,
    body: Result<Bytes>,
    tag: T,
}

impl<T: Send + 'static> Payload for BulkJob<T> {
    fn user_id(&self) -> &str {
        &self.user_id
    }

    fn size(&self) -> usize {
        self.body.as_ref().map_or(0, Bytes::len) + self.user_id.len()
    }
}

impl<T: Send + 'static> Sendable for BulkJob<T> {
    fn body(&self) -> Result<Bytes> {
        self.body.clone()
    }
}

/// The input side of a bulk run started with [`Client::bulk_run`]: push inputs from any thread
/// (one producer at a time), then [`finish`](Self::finish). Each input's index is the number of
/// inputs pushed before it. Dropping the feeder finishes the run's input.
pub struct BulkFeeder<T = ()> {
    queue: Arc<Queue<BulkJob<T>>>,
    next_index: AtomicU64,
}

impl<T> std::fmt::Debug for BulkFeeder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkFeeder")
            .field("pushed", &self.next_index.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

fn run_over() -> Error {
    Error::Closed("this bulk run has finished or was aborted: it takes no more input".into())
}

impl<T: Send + 'static> BulkFeeder<T> {
    /// Queues `input` with `tag` (handed back with its outcome). `Ok(true)` when there is room
    /// for another input now; `Ok(false)` asks the caller to wait for [`room`](Self::room) (or
    /// [`wait_room_blocking`](Self::wait_room_blocking)) before the next, which keeps at most
    /// `concurrency` inputs waiting. `Err` ([`Error::Closed`]) once the run is over.
    pub fn push_with(&self, input: impl BulkInput, tag: T) -> Result<bool> {
        let job = self.job(input, tag);
        match self.queue.push(job, true) {
            (Pushed::Queued | Pushed::Coalesced, room) => Ok(room),
            (Pushed::Full(_) | Pushed::Closed(_), _) => Err(run_over()),
        }
    }

    fn job(&self, input: impl BulkInput, tag: T) -> BulkJob<T> {
        let (user_id, body) = input.into_parts();
        BulkJob {
            index: self.next_index.fetch_add(1, Ordering::Relaxed),
            user_id,
            body,
            tag,
        }
    }

    /// Waits (blocking the thread) for room, then queues `input` with `tag`.
    pub fn push_blocking_with(&self, input: impl BulkInput, tag: T) -> Result<()> {
        match self.queue.push_blocking(self.job(input, tag), None) {
            Pushed::Queued | Pushed::Coalesced => Ok(()),
            Pushed::Full(_) | Pushed::Closed(_) => Err(run_over()),
        }
    }

    /// Waits for room, then queues `input` with `tag`.
    pub async fn push_async_with(&self, input: impl BulkInput, tag: T) -> Result<()> {
        if self.queue.wait_room().await {
            self.push_with(input, tag).map(drop)
        } else {
            Err(run_over())
        }
    }

    /// Resolves once another input fits; `false` when the run is over.
    pub async fn room(&self) -> bool {
        self.queue.wait_room().await
    }

    /// Blocks until another input fits (`Some(true)`), the run is over (`Some(false)`), or
    /// `timeout` passes (`None`): callers that must look at signals wait in slices.
    pub fn wait_room_blocking(&self, timeout: Duration) -> Option<bool> {
        self.queue.wait_room_blocking(deadline_after(timeout))
    }

    /// No more input: the run ends once every input pushed has its outcome.
    pub fn finish(&self) {
        self.queue.close();
    }

    /// Ends the run now: nothing more is sent, requests in flight are abandoned, and the run
    /// resolves with the outcomes it had.
    pub fn abort(&self) {
        let _ = self.queue.stop();
    }
}

impl BulkFeeder<()> {
    /// [`push_with`](Self::push_with) without a tag.
    pub fn push(&self, input: impl BulkInput) -> Result<bool> {
        self.push_with(input, ())
    }

    /// [`push_blocking_with`](Self::push_blocking_with) without a tag.
    pub fn push_blocking(&self, input: impl BulkInput) -> Result<()> {
        self.push_blocking_with(input, ())
    }

    /// [`push_async_with`](Self::push_async_with) without a tag.
    pub async fn push_async(&self, input: impl BulkInput) -> Result<()> {
        self.push_async_with(input, ()).await
    }
}

impl<T> Drop for BulkFeeder<T> {
    fn drop(&mut self) {
        self.queue.close();
    }
}

impl Client {
    /// Starts a bulk run fed by pushing: returns the feeder and the run, a future that sends
    /// with at most `concurrency` (default: the client's) requests in flight and calls
    /// `on_outcome` with each input's outcome and tag, and resolves to the counts once the
    /// feeder is finished and every input is done. The run is driven wherever it is awaited
    /// or spawned; `on_outcome` runs there.
    ///
    /// A concurrency of 0 is refused ([`Error::Config`]).
    pub fn bulk_run_with<T, F>(
        &self,
        concurrency: Option<usize>,
        mut on_outcome: F,
    ) -> Result<(BulkFeeder<T>, impl Future<Output = BulkSummary> + use<T, F>)>
    where
        T: Send + 'static,
        F: FnMut(BulkOutcome, T),
    {
        let (feeder, run) = self.start_run(concurrency, (), move |(), outcome, tag| {
            on_outcome(outcome, tag)
        })?;
        Ok((feeder, async move { run.await.0 }))
    }

    /// A bulk run fed by pushing that collects every failure into a [`BulkReport`]: for
    /// bindings, which spawn the run on their runtime while their own thread pushes. See
    /// [`bulk_run_with`](Self::bulk_run_with).
    pub fn bulk_run(
        &self,
        concurrency: Option<usize>,
    ) -> Result<(
        BulkFeeder,
        impl Future<Output = BulkReport> + Send + 'static,
    )> {
        let (feeder, run) = self.start_run(concurrency, Vec::new(), |failures, outcome, ()| {
            if let Err(error) = outcome.result {
                failures.push(BulkFailure {
                    index: outcome.index,
                    user_id: outcome.user_id,
                    error,
                });
            }
        })?;
        Ok((feeder, async move {
            let (summary, failures) = run.await;
            report(summary, failures)
        }))
    }

    /// The run behind both: `on_outcome` folds each outcome into `acc`, returned at the end.
    fn start_run<T, A, F>(
        &self,
        concurrency: Option<usize>,
        acc: A,
        mut on_outcome: F,
    ) -> Result<(
        BulkFeeder<T>,
        impl Future<Output = (BulkSummary, A)> + use<T, A, F>,
    )>
    where
        T: Send + 'static,
        F: FnMut(&mut A, BulkOutcome, T),
    {
        let concurrency = check_concurrency(concurrency.unwrap_or(self.config().concurrency))?;
        let queue = Arc::new(Queue::new(Limits {
            // As many waiting as in flight: enough to keep every slot busy, and memory does
            // not grow with the input.
            items: concurrency,
            bytes: usize::MAX,
            coalesce: false,
        }));
        let feeder = BulkFeeder {
            queue: Arc::clone(&queue),
            next_index: AtomicU64::new(0),
        };
        let client = self.clone();
        let run = async move {
            let mut acc = acc;
            let mut summary = BulkSummary::default();
            drive(
                &queue,
                &client,
                concurrency,
                |job: Job<BulkJob<T>>, result| {
                    summary.total += 1;
                    if result.is_ok() {
                        summary.succeeded += 1;
                    } else {
                        summary.failed += 1;
                    }
                    let BulkJob {
                        index,
                        user_id,
                        tag,
                        ..
                    } = job.payload;
                    on_outcome(
                        &mut acc,
                        BulkOutcome {
                            index,
                            user_id,
                            result,
                        },
                        tag,
                    );
                },
            )
            .await;
            (summary, acc)
        };
        Ok((feeder, run))
    }

    /// Sends every input of `inputs`, pulling the next one only when there is room, so that
    /// no more than `concurrency` (default: the client's) are in flight and as many wait; calls
    /// `on_outcome` for each as it completes. Inputs that already failed (a row that could not
    /// be read: [`FailedInput`](crate::FailedInput), or an `Err`) are reported without being
    /// sent. One user's inputs are sent in order, one at a time. Returns the counts; `Err` only
    /// for a concurrency of 0.
    ///
    /// Inputs may be requests, references to them, or requests prepared ahead
    /// ([`IdentifyRequest::prepare`](crate::IdentifyRequest::prepare)) on another thread.
    pub async fn identify_each<S, F>(
        &self,
        inputs: S,
        concurrency: Option<usize>,
        mut on_outcome: F,
    ) -> Result<BulkSummary>
    where
        S: Stream,
        S::Item: BulkInput,
        F: FnMut(BulkOutcome),
    {
        let (feeder, run) = self.bulk_run_with(concurrency, |outcome, ()| on_outcome(outcome))?;
        let feed = async {
            futures::pin_mut!(inputs);
            while let Some(input) = inputs.next().await {
                if feeder.push_async(input).await.is_err() {
                    break;
                }
            }
            feeder.finish();
        };
        let ((), summary) = futures::join!(feed, run);
        Ok(summary)
    }

    /// Sends every input and returns a report holding every failure. For inputs too large to
    /// keep their failures in memory, use [`Client::identify_each`].
    pub async fn identify_many<S>(
        &self,
        inputs: S,
        concurrency: Option<usize>,
    ) -> Result<BulkReport>
    where
        S: Stream,
        S::Item: BulkInput,
    {
        let mut failures = Vec::new();
        let summary = self
            .identify_each(inputs, concurrency, |outcome| {
                if let Err(error) = outcome.result {
                    failures.push(BulkFailure {
                        index: outcome.index,
                        user_id: outcome.user_id,
                        error,
                    });
                }
            })
            .await?;
        Ok(report(summary, failures))
    }
}

fn report(summary: BulkSummary, mut failures: Vec<BulkFailure>) -> BulkReport {
    failures.sort_by_key(|f| f.index);
    BulkReport {
        total: summary.total,
        succeeded: summary.succeeded,
        failures,
    }
}
