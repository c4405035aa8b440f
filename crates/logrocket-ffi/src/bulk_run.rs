//! `lr_bulk_run`: one bulk run fed with JSON Lines in pieces, and the run behind
//! `lr_client_identify_many_json` (one piece, then finish).
//!
//! A caller with a large input (Go's `IdentifyMany`, a C program reading a file) would
//! otherwise cut it into several calls, and each call is a run of its own: it starts the
//! adaptive in-flight limit again from slow start, and the next call waits for the last slow
//! request of the one before (a retry in a 10-second backoff holds up everything behind it). A
//! run fed in pieces is one run, however many pieces: requests flow from one piece into the
//! next, and memory stays at one piece.
//!
//! The run is spawned on the client's runtime, whose threads send; the caller's thread reads,
//! validates and encodes the lines it pushes, waiting while the run holds enough.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use logrocket_identify::{BulkFeeder, BulkSummary, Cancel, Error};
use tokio::task::JoinHandle;

use crate::args;
use crate::bulk::{Failure, JSON_LINES, concurrency_of, lr_report};
use crate::cancel::lr_cancel;
use crate::client::lr_client;
use crate::error::{lr_error, run};
use crate::lines;
use crate::status::lr_status;

/// A bulk run fed in pieces: `lr_client_bulk_start`, then `lr_bulk_run_push_json` as often as
/// needed, then `lr_bulk_run_finish` for the report; `lr_bulk_run_free` in every case. Opaque.
/// Pushes come from one thread at a time; `lr_bulk_run_abort` may come from any thread, also
/// while another is blocked in a push or in finish.
#[derive(Debug)]
pub struct lr_bulk_run {
    feeder: Arc<BulkFeeder<Option<lr_error>>>,
    runtime: tokio::runtime::Handle,
    /// The run, spawned on the client's runtime: its counts, or `None` when it was cancelled
    /// or aborted. Taken by finish.
    outcome: Mutex<Option<JoinHandle<Option<BulkSummary>>>>,
    failures: Arc<Mutex<Vec<Failure>>>,
    cancel: Option<Cancel>,
    /// `lr_bulk_run_abort` was called: finish gives no report, even if the run ended.
    aborted: AtomicBool,
}

impl lr_bulk_run {
    /// A run on `client` with at most `concurrency` in flight (`LR_CLIENT_CONCURRENCY`: the
    /// client's setting), ended early by `cancel` when it fires.
    pub(crate) fn start(
        client: &lr_client,
        concurrency: usize,
        cancel: Option<Cancel>,
    ) -> Result<lr_bulk_run, lr_error> {
        if cancel.as_ref().is_some_and(Cancel::is_fired) {
            return Err(lr_error::canceled());
        }
        let failures = Arc::new(Mutex::new(Vec::new()));
        let collected = Arc::clone(&failures);
        let (feeder, sending) = client.inner.async_client().bulk_run_with(
            concurrency_of(concurrency),
            move |outcome, own: Option<lr_error>| {
                if let Some(failure) = Failure::of(outcome, own) {
                    collected
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(failure);
                }
            },
        )?;
        let feeder = Arc::new(feeder);
        let runtime = client.inner.runtime().clone();
        let watched = cancel.clone();
        let aborts = Arc::clone(&feeder);
        let outcome = runtime.spawn(async move {
            let summary = match watched {
                None => Some(sending.await),
                Some(cancel) => tokio::select! {
                    biased;
                    () = cancel.fired() => None,
                    summary = sending => Some(summary),
                },
            };
            // After a cancel, a push blocked for room must not wait forever; after a run that
            // finished, this does nothing.
            aborts.abort();
            summary
        });
        Ok(lr_bulk_run {
            feeder,
            runtime,
            outcome: Mutex::new(Some(outcome)),
            failures,
            cancel,
            aborted: AtomicBool::new(false),
        })
    }

    /// Pushes every line of `buffer`, blocking while the run's queue is full. A line that
    /// cannot be read goes in as a failed input (index and user id kept), its tag its own error
    /// when the core has no kind for it (not UTF-8).
    pub(crate) fn push(&self, buffer: &[u8]) -> Result<(), lr_error> {
        for line in lines::lines(buffer) {
            let pushed = match lines::prepare_line(line) {
                Ok(prepared) => self.feeder.push_blocking_with(prepared, None),
                Err(bad) => {
                    let (input, own) = bad.into_input(JSON_LINES);
                    self.feeder.push_blocking_with(input, own)
                }
            };
            pushed.map_err(|e| self.over(e))?;
        }
        Ok(())
    }

    /// Ends the input and waits for every outcome: the report, or why there is none.
    pub(crate) fn finish(&self) -> Result<lr_report, lr_error> {
        self.feeder.finish();
        let over = || {
            self.over(Error::Closed(
                "this bulk run has finished or was aborted: it has no report to give".into(),
            ))
        };
        let outcome = self
            .outcome
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .ok_or_else(over)?;
        let summary = match self.runtime.block_on(outcome) {
            Ok(summary) => summary.ok_or_else(over)?,
            // The run's task panicked: the landing pad reports it as a panic.
            Err(joined) => std::panic::resume_unwind(joined.into_panic()),
        };
        if self.aborted.load(Ordering::SeqCst) {
            return Err(over());
        }
        let failures =
            std::mem::take(&mut *self.failures.lock().unwrap_or_else(PoisonError::into_inner));
        Ok(lr_report::new(summary.total, summary.succeeded, failures))
    }

    /// Why the run takes no more input: cancelled, or over (finished or aborted).
    fn over(&self, error: Error) -> lr_error {
        if self.cancel.as_ref().is_some_and(Cancel::is_fired) {
            lr_error::canceled()
        } else {
            error.into()
        }
    }
}

impl Drop for lr_bulk_run {
    fn drop(&mut self) {
        // A run freed before it finished sends nothing more; after finish this does nothing.
        self.feeder.abort();
    }
}

/// Starts a bulk run on `client`'s connection pool with at most `concurrency` requests in flight
/// (`LR_CLIENT_CONCURRENCY`: the client's setting; 0 gives `LR_ERR_CONFIG`), and returns at once
/// with the run in `*out` (owned by the caller, freed with `lr_bulk_run_free`). Requests go out
/// from the first push on, on the client's own threads.
///
/// `cancel` may be `NULL`. Otherwise, once it is fired, the run sends nothing more and abandons
/// its requests in flight (some users may already be stored): a push or finish under way or to
/// come returns `LR_ERR_CANCELED`. The run keeps its own reference to the switch, so `cancel`
/// may be freed at any time after this call.
///
/// # Safety
///
/// `client` is a live client that outlives the run; `cancel` is `NULL` or a live switch; `out`
/// is valid for writing one pointer; `error` is `NULL` or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_client_bulk_start(
    client: *const lr_client,
    concurrency: usize,
    cancel: *const lr_cancel,
    out: *mut *mut lr_bulk_run,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            args::clear_out(out, "out")?;
            let client = args::handle(client, "client")?;
            let cancel = cancel.as_ref().map(|c| c.inner.clone());
            args::give(out, lr_bulk_run::start(client, concurrency, cancel)?)
        })
    }
}

/// Adds the users of a piece of JSON Lines to the run, in the form and with the rules of
/// `lr_client_identify_many_json` (a line that cannot be read is a failure with its index and
/// reason, never skipped). Each piece holds whole lines: a final `\n` is optional, and a line is
/// never continued in the next piece. Indices run on across pieces: the first line of a piece
/// comes after the last line of the one before.
///
/// Blocks while the run holds as many waiting inputs as its concurrency (so memory stays at
/// about one piece), and returns once every line is queued, before it is sent. After
/// `lr_bulk_run_finish` or `lr_bulk_run_abort` it fails with `LR_ERR_CLOSED`, and after the
/// run's `cancel` fired with `LR_ERR_CANCELED` (lines queued before that may have been sent).
/// The buffer is only read, and only during the call.
///
/// # Safety
///
/// `bulk` is a live run not pushed to by another thread at the same time; `json_lines` points to
/// `len` readable bytes not modified during the call (or is `NULL` with `len` 0); `error` is
/// `NULL` or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_bulk_run_push_json(
    bulk: *mut lr_bulk_run,
    json_lines: *const std::ffi::c_char,
    len: usize,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            let bulk = args::handle(bulk.cast_const(), "bulk")?;
            let buffer = args::slice(json_lines.cast::<u8>(), len, JSON_LINES)?;
            bulk.push(buffer)
        })
    }
}

/// Ends the run's input, waits until every input pushed has its outcome, and puts the report in
/// `*report` (owned by the caller, freed with `lr_report_free`): the counts and every failure
/// with its index, user id and error, sorted by index. The status is `LR_OK` when the run
/// completed, even if some inputs failed; `LR_ERR_CANCELED` when its `cancel` fired, and
/// `LR_ERR_CLOSED` when it was aborted or finished already (no report then). Free the run
/// afterwards with `lr_bulk_run_free`.
///
/// # Safety
///
/// `bulk` is a live run, not pushed to during the call; `report` is valid for writing one
/// pointer; `error` is `NULL` or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_bulk_run_finish(
    bulk: *mut lr_bulk_run,
    report: *mut *mut lr_report,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            args::clear_out(report, "report")?;
            let bulk = args::handle(bulk.cast_const(), "bulk")?;
            args::give(report, bulk.finish()?)
        })
    }
}

/// Ends the run now: nothing more is sent, requests in flight are abandoned (some users may
/// already be stored), and a push or finish blocked in another thread returns `LR_ERR_CLOSED`.
/// Safe from any thread while the run is live; `NULL` does nothing.
///
/// # Safety
///
/// `bulk` is `NULL` or a live run.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_bulk_run_abort(bulk: *const lr_bulk_run) {
    crate::error::run_accessor((), || {
        // SAFETY: per the caller, `NULL` or live.
        if let Some(bulk) = unsafe { bulk.as_ref() } {
            bulk.aborted.store(true, Ordering::SeqCst);
            bulk.feeder.abort();
        }
    });
}

/// Frees a run, aborting it first if it has not finished. `NULL` does nothing.
///
/// # Safety
///
/// `bulk` is `NULL` or a run from `lr_client_bulk_start` not freed yet, that no other thread is
/// using.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_bulk_run_free(bulk: *mut lr_bulk_run) {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe { args::free(bulk) }
}
