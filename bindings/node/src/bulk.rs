//! `identifyMany` fed lazily from JS, on the core's sending engine: each row is pushed into a
//! `BulkFeeder`, whose run (spawned on napi's runtime) sends them with the concurrency limit.
//! When a push says there is no room, the JS side awaits `ready()` before pulling its next row,
//! so the input is read no faster than it is sent.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use logrocket_identify::{BulkFeeder, BulkReport, Client, Error, FailedInput, IdentifyRequest};
use napi::bindgen_prelude::{Either, PromiseRaw};
use napi::{Env, Result};
use napi_derive::napi;
use tokio::task::JoinHandle;

use crate::convert::{self, RequestInput};
use crate::delivery::count;
use crate::errors::ErrorRecord;

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
    feeder: Arc<BulkFeeder>,
    run: Mutex<Option<JoinHandle<BulkReport>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn already_finished() -> napi::Error {
    napi::Error::from_reason("this identifyMany run has already finished or was aborted")
}

/// A push refused by the core (the run was aborted) as a plain JS error: the JS side aborts
/// only after it stopped pushing, so reaching this is a bug in `index.js`, not a user error.
fn refused(error: &Error) -> napi::Error {
    napi::Error::from_reason(format!("identifyMany: {}", error.message()))
}

impl BulkRun {
    /// Starts a run on napi's runtime; a concurrency the core refuses (0) is a `config` record.
    pub fn start(core: &Client, concurrency: Option<usize>) -> Either<BulkRun, ErrorRecord> {
        let Some(runtime) = crate::runtime_handle() else {
            return Either::B(Error::Config("the async runtime is not available".into()).into());
        };
        match core.bulk_run(concurrency) {
            Ok((feeder, run)) => Either::A(BulkRun {
                feeder: Arc::new(feeder),
                run: Mutex::new(Some(runtime.spawn(run))),
            }),
            Err(error) => Either::B(error.into()),
        }
    }
}

#[napi]
impl BulkRun {
    /// Queues a row; `false` means there is no room now: await `ready()` before the next.
    #[napi]
    pub fn push(&self, row: RequestInput) -> Result<bool> {
        let input = convert::request(row).map_err(Error::from);
        self.feeder.push(input).map_err(|e| refused(&e))
    }

    /// `push` for a row in the core's JSON form (see `NativeClient::identify_json`).
    #[napi]
    pub fn push_json(&self, row: String) -> Result<bool> {
        let input = IdentifyRequest::from_json_str(&row).map_err(Error::from);
        self.feeder.push(input).map_err(|e| refused(&e))
    }

    /// Queues a row that could not even be read (not an object, a user id that is not a
    /// string): it is reported as that row's failure, never sent.
    #[napi]
    pub fn push_unreadable(&self, user_id: String, field: String, detail: String) -> Result<bool> {
        let error = logrocket_identify::ValidationError::malformed(field, detail).into();
        self.feeder
            .push(FailedInput { user_id, error })
            .map_err(|e| refused(&e))
    }

    /// Resolves `true` once there is room for a row, `false` if the run is over.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn ready<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, bool>> {
        let feeder = Arc::clone(&self.feeder);
        env.spawn_future(async move { Ok(feeder.room().await) })
    }

    /// No more rows: resolves to the report once every row has its outcome.
    #[napi(ts_return_type = "Promise<ReportRecord>")]
    pub fn finish<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ReportRecord>> {
        self.feeder.finish();
        let run = lock(&self.run).take().ok_or_else(already_finished)?;
        env.spawn_future(async move {
            run.await
                .map(ReportRecord::from)
                .map_err(|_| already_finished())
        })
    }

    /// Stops the run: nothing more is sent. Harmless after `finish`.
    #[napi]
    pub fn abort(&self) {
        self.feeder.abort();
        lock(&self.run).take();
    }
}
