//! Bulk identify: a lazy stream in, at most `concurrency` requests in flight, every outcome out.

use futures::{Stream, StreamExt};

use crate::client::Client;
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

impl Client {
    /// Sends every input of `inputs`, pulling the next one only when a slot is free so that no
    /// more than `concurrency` (default: the client's) are ever buffered or in flight, and calls
    /// `on_outcome` for each as it completes. Inputs that are already errors (a row that could
    /// not be read) are reported as failures without being sent. Returns the counts.
    ///
    /// Inputs may be requests, references to them (anything that borrows as one), so a caller
    /// that keeps its requests need not copy them, or requests prepared ahead
    /// ([`IdentifyRequest::prepare`](crate::IdentifyRequest::prepare)) on another thread.
    pub async fn identify_each<S, R, F>(
        &self,
        inputs: S,
        concurrency: Option<usize>,
        mut on_outcome: F,
    ) -> BulkSummary
    where
        S: Stream<Item = Result<R>>,
        R: BulkInput,
        F: FnMut(BulkOutcome),
    {
        let concurrency = concurrency.unwrap_or(self.config().concurrency).max(1);
        let mut summary = BulkSummary::default();
        let outcomes = inputs
            .enumerate()
            .map(|(index, input)| async move {
                let index = index as u64;
                match input {
                    Ok(input) => {
                        let (user_id, body) = input.into_parts();
                        let result = match body {
                            Ok(body) => self.send_body(&user_id, body).await,
                            Err(invalid) => Err(invalid.into()),
                        };
                        BulkOutcome {
                            index,
                            result,
                            user_id,
                        }
                    }
                    Err(error) => BulkOutcome {
                        index,
                        user_id: String::new(),
                        result: Err(error),
                    },
                }
            })
            .buffer_unordered(concurrency);
        futures::pin_mut!(outcomes);
        while let Some(outcome) = outcomes.next().await {
            summary.total += 1;
            if outcome.result.is_ok() {
                summary.succeeded += 1;
            } else {
                summary.failed += 1;
            }
            on_outcome(outcome);
        }
        summary
    }

    /// Sends every input and returns a report holding every failure. For inputs too large to
    /// keep their failures in memory, use [`Client::identify_each`].
    pub async fn identify_many<S, R>(&self, inputs: S, concurrency: Option<usize>) -> BulkReport
    where
        S: Stream<Item = Result<R>>,
        R: BulkInput,
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
            .await;
        failures.sort_by_key(|f| f.index);
        BulkReport {
            total: summary.total,
            succeeded: summary.succeeded,
            failures,
        }
    }
}
