//! The engine's sending loop: takes jobs from a queue and keeps requests in flight on one client
//! (its connection pool, retry policy and shared `Retry-After` pause): as many as the client's
//! adaptive limit allows (see `adaptive.rs`), never more than `concurrency`.
//!
//! The loop is a future, not a spawned task per request: a bulk run drives it inside the
//! caller's own future, and background delivery spawns it once on the client's runtime.

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::FuturesUnordered;

use crate::client::Client;
use crate::engine::queue::{Job, Next, Payload, Queue};
use crate::error::Result;
use crate::user::User;

/// A payload the engine can send.
pub(crate) trait Sendable: Payload {
    /// The encoded body, or why this job fails without being sent (an input that could not
    /// be read or validated).
    fn body(&self) -> Result<Bytes>;
}

/// Sends every job of `queue` until it is closed and drained, or stopped; calls `on_done` with
/// each job and its result (on this future's task, so it may borrow from the caller).
pub(crate) async fn drive<P, F>(
    queue: &Queue<P>,
    client: &Client,
    concurrency: usize,
    mut on_done: F,
) where
    P: Sendable,
    F: FnMut(Job<P>, Result<User>),
{
    let mut sending = FuturesUnordered::new();
    loop {
        let limit = client.in_flight_limit(concurrency);
        while sending.len() < limit {
            match queue.pop() {
                Next::Job(job) => sending.push(send(client, job)),
                Next::Empty => break,
                // Stopped: what is still in flight was abandoned (and reported) by `stop`, and
                // dropping the futures closes their connections.
                Next::Finished => return,
            }
        }
        if sending.is_empty() {
            tokio::select! {
                () = queue.work_arrived() => {}
                () = queue.stopping() => return,
            }
            continue;
        }
        tokio::select! {
            biased;
            () = queue.stopping() => return,
            Some((job, result)) = sending.next() => {
                if queue.claim(job.seq) {
                    let seq = job.seq;
                    on_done(job, result);
                    queue.complete(seq);
                }
            }
            () = queue.work_arrived(), if sending.len() < limit => {}
            // A request began to back off: room for another under the adaptive limit.
            () = client.in_flight_limit_may_have_grown() => {}
        }
    }
}

async fn send<P: Sendable>(client: &Client, job: Job<P>) -> (Job<P>, Result<User>) {
    let result = match job.payload.body() {
        Ok(body) => client.send_body(job.payload.user_id(), body).await,
        Err(error) => Err(error),
    };
    (job, result)
}
