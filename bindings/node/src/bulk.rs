//! `identifyMany` fed lazily from JS: rows are handed one at a time to the core's bulk
//! scheduler through a bounded channel of `concurrency` slots, so at most that many rows wait
//! beside the `concurrency` requests in flight. When the channel is full, `push` says so and
//! `ready()` resolves once a slot is free; the JS side pulls its next row only then.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use logrocket_identify::{BulkReport, Client, IdentifyRequest, Result as CoreResult};
use napi::bindgen_prelude::{PromiseRaw, spawn};
use napi::{Env, Result};
use napi_derive::napi;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::mpsc::{self, OwnedPermit, Sender};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::convert::{self, RequestInput};
use crate::errors::ErrorRecord;

type Row = CoreResult<IdentifyRequest>;

/// A failed row: where it was, whose it was, why.
#[napi(object)]
#[derive(Debug)]
pub struct FailureRecord {
    pub index: i64,
    pub user_id: String,
    pub error: ErrorRecord,
}

/// The counts of a run and every failure, by input index.
#[napi(object)]
#[derive(Debug)]
pub struct ReportRecord {
    pub total: i64,
    pub succeeded: i64,
    pub failures: Vec<FailureRecord>,
}

impl From<BulkReport> for ReportRecord {
    fn from(report: BulkReport) -> Self {
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        ReportRecord {
            total: count(report.total),
            succeeded: count(report.succeeded),
            failures: report
                .failures
                .into_iter()
                .map(|failure| FailureRecord {
                    index: count(failure.index),
                    user_id: failure.user_id,
                    error: failure.error.into(),
                })
                .collect(),
        }
    }
}

/// One `identifyMany` call in progress.
#[napi]
#[derive(Debug)]
pub struct BulkRun {
    sender: Mutex<Option<Sender<Row>>>,
    /// A slot reserved by `ready`, used by the next `push`.
    permit: Arc<Mutex<Option<OwnedPermit<Row>>>>,
    task: Mutex<Option<JoinHandle<()>>>,
    report: Mutex<Option<oneshot::Receiver<BulkReport>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn closed() -> napi::Error {
    napi::Error::from_reason("this identifyMany run has already finished or was aborted")
}

impl BulkRun {
    pub fn start(core: Client, concurrency: Option<usize>) -> BulkRun {
        let in_flight = concurrency.unwrap_or(core.config().concurrency).max(1);
        let (sender, receiver) = mpsc::channel::<Row>(in_flight);
        let rows = futures::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|row| (row, receiver))
        });
        let (report_sender, report) = oneshot::channel();
        // napi's `spawn` takes only unit futures, so the report comes back on its own channel.
        let task = spawn(async move {
            let _ = report_sender.send(core.identify_many(rows, Some(in_flight)).await);
        });
        BulkRun {
            sender: Mutex::new(Some(sender)),
            permit: Arc::new(Mutex::new(None)),
            task: Mutex::new(Some(task)),
            report: Mutex::new(Some(report)),
        }
    }

    /// Queues a row (in the slot `ready` reserved, if any) and says whether another fits now.
    fn send(&self, row: Row) -> Result<bool> {
        let sender = lock(&self.sender).clone().ok_or_else(closed)?;
        if let Some(permit) = lock(&self.permit).take() {
            permit.send(row);
        } else {
            match sender.try_send(row) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    return Err(napi::Error::from_reason(
                        "identifyMany: no room for a row; await ready() before pushing",
                    ));
                }
                Err(TrySendError::Closed(_)) => return Err(closed()),
            }
        }
        Ok(sender.capacity() > 0)
    }
}

#[napi]
impl BulkRun {
    /// Queues a row; `false` means the channel is now full: await `ready()` before the next.
    #[napi]
    pub fn push(&self, row: RequestInput) -> Result<bool> {
        self.send(convert::request(row).map_err(Into::into))
    }

    /// `push` for a row in the core's JSON form (see `NativeClient::identify_json`).
    #[napi]
    pub fn push_json(&self, row: String) -> Result<bool> {
        self.send(IdentifyRequest::from_json_str(&row).map_err(Into::into))
    }

    /// Queues a row that could not even be read (not an object, a user id that is not a
    /// string): it is reported as that row's failure, never sent.
    #[napi]
    pub fn push_unreadable(&self, field: String, detail: String) -> Result<bool> {
        let invalid = logrocket_identify::ValidationError::malformed(field, detail);
        self.send(Err(invalid.into()))
    }

    /// Resolves `true` once there is room for a row (kept for the next `push`), `false` if
    /// the run is over.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn ready<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, bool>> {
        let sender = lock(&self.sender).clone().ok_or_else(closed)?;
        let slot = Arc::clone(&self.permit);
        env.spawn_future(async move {
            Ok(match sender.reserve_owned().await {
                Ok(permit) => {
                    *lock(&slot) = Some(permit);
                    true
                }
                Err(_) => false,
            })
        })
    }

    /// No more rows: resolves to the report once every row has its outcome.
    #[napi(ts_return_type = "Promise<ReportRecord>")]
    pub fn finish<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ReportRecord>> {
        lock(&self.sender).take();
        lock(&self.permit).take();
        let report = lock(&self.report).take().ok_or_else(closed)?;
        env.spawn_future(async move { report.await.map(ReportRecord::from).map_err(|_| closed()) })
    }

    /// Stops the run: nothing more is sent. Harmless after `finish`.
    #[napi]
    pub fn abort(&self) {
        lock(&self.sender).take();
        lock(&self.permit).take();
        lock(&self.report).take();
        if let Some(task) = lock(&self.task).take() {
            task.abort();
        }
    }
}
