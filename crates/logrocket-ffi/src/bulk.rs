//! `lr_client_identify_many`, `lr_client_identify_many_json` and their `lr_report`.

use std::ffi::{CString, c_char};
use std::ptr;
use std::sync::mpsc;

use logrocket_identify::{BulkReport, Cancel, Error, PreparedRequest};

use crate::args;
use crate::client::lr_client;
use crate::error::{c_string, lr_error, run, run_accessor};
use crate::lines::{self, BadLine};
use crate::request::lr_request;
use crate::status::lr_status;

/// The outcome of a bulk call: counts, and every failure with its input index, user id and
/// error, sorted by index. Opaque; everything it returns is owned by it until `lr_report_free`.
#[derive(Debug)]
pub struct lr_report {
    total: u64,
    succeeded: u64,
    failures: Vec<Failure>,
}

#[derive(Debug)]
struct Failure {
    index: u64,
    user_id: CString,
    error: lr_error,
}

/// Sends `count` requests with at most `concurrency` in flight (0: the client's setting) on the
/// client's connection pool, and blocks until all are done. The status is `LR_OK` when the run
/// itself could be made, even if some requests failed: `*report` (owned by the caller, freed
/// with `lr_report_free`) counts them and holds every failure. Nothing is dropped silently. The
/// requests are only read.
///
/// # Safety
///
/// `client` is a live client; `requests` points to `count` pointers to live requests (it may be
/// `NULL` when `count` is 0), none modified during the call; `report` is valid for writing one
/// pointer; `error` is `NULL` or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_client_identify_many(
    client: *const lr_client,
    requests: *const *const lr_request,
    count: usize,
    concurrency: usize,
    report: *mut *mut lr_report,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            args::clear_out(report, "report")?;
            let client = args::handle(client, "client")?;
            let pointers = args::slice(requests, count, "requests")?;
            let mut checked = Vec::with_capacity(pointers.len());
            for (i, &pointer) in pointers.iter().enumerate() {
                checked.push(args::handle(pointer, &format!("requests[{i}]"))?);
            }
            let outcome = client.inner.identify_many(
                checked.iter().map(|r| Ok(&r.inner)),
                (concurrency > 0).then_some(concurrency),
            );
            args::give(report, lr_report::from_outcome(outcome, Vec::new()))
        })
    }
}

/// A line of `lr_client_identify_many_json`, ready to send or refused.
type PreparedLine = Result<PreparedRequest, BadLine>;

/// Lines handed from the reading thread to the sending one at a time, and batches read ahead.
const BATCH: usize = 64;
const AHEAD: usize = 8;

/// The argument name `lr_client_identify_many_json` reports errors under.
const JSON_LINES: &str = "json_lines";

/// Sends the users of a buffer of JSON Lines, one input a line in the JSON input form of
/// `lr_request_from_json`, with at most `concurrency` requests in flight (0: the client's
/// setting), and blocks until all are done. It is `lr_client_identify_many` without a request
/// object per user: the whole batch crosses in one call and each line is read while the run
/// goes, so it suits bindings and callers that already hold JSON.
///
/// Lines are separated by `\n` (a `\r` before it is ignored), and a final `\n` ends the last
/// line. Every line is an input, so an input's index in the report is its line number counting
/// from 0: a line that cannot be read (blank, not JSON, not the input form, or not UTF-8) is a
/// failure with its index and reason, never skipped, and the other lines are still sent. A line
/// that is not UTF-8 fails with `LR_ERR_INVALID_ARGUMENT` (field `"json_lines"`); every other
/// unreadable line fails with `LR_ERR_VALIDATION`, as `lr_request_from_json` would, and with the
/// user id when the line names one. The buffer needs no NUL terminator (a NUL byte in a line
/// makes that line unreadable).
///
/// The status is `LR_OK` when the run itself could be made, even if some inputs failed:
/// `*report` (owned by the caller, freed with `lr_report_free`) counts them and holds every
/// failure. `json_lines` may be `NULL` only when `len` is 0. The buffer is only read, and only
/// during the call.
///
/// # Safety
///
/// `client` is a live client; `json_lines` points to `len` readable bytes not modified during
/// the call (or is `NULL` with `len` 0); `report` is valid for writing one pointer; `error` is
/// `NULL` or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_client_identify_many_json(
    client: *const lr_client,
    json_lines: *const c_char,
    len: usize,
    concurrency: usize,
    report: *mut *mut lr_report,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            identify_many_json(client, json_lines, len, concurrency, None, report)
        })
    }
}

/// The body of `lr_client_identify_many_json` and its cancellable form.
///
/// # Safety
///
/// As `lr_client_identify_many_json`.
pub(crate) unsafe fn identify_many_json(
    client: *const lr_client,
    json_lines: *const c_char,
    len: usize,
    concurrency: usize,
    cancel: Option<&Cancel>,
    report: *mut *mut lr_report,
) -> Result<(), lr_error> {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        args::clear_out(report, "report")?;
        let client = args::handle(client, "client")?;
        let buffer = args::slice(json_lines.cast::<u8>(), len, JSON_LINES)?;
        let concurrency = (concurrency > 0).then_some(concurrency);
        let mut bad_lines = Vec::new();
        let outcome = std::thread::scope(|scope| {
            // Lines are read, validated and encoded on a thread of their own, a few batches
            // ahead, so the calling thread (which drives the requests) only sends.
            let (batches, received) = mpsc::sync_channel::<Vec<PreparedLine>>(AHEAD);
            scope.spawn(move || {
                let mut batch = Vec::with_capacity(BATCH);
                for line in lines::lines(buffer) {
                    batch.push(lines::prepare_line(line));
                    if batch.len() == BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        if batches.send(full).is_err() {
                            return; // the run ended early (cancelled)
                        }
                    }
                }
                let _ = batches.send(batch);
            });
            // Lines that cannot be read go to the core as failed inputs, so they keep their
            // index; their reason and user id are kept here, since the core knows neither.
            let inputs = received
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(index, prepared)| {
                    prepared.map_err(|bad| {
                        bad_lines.push((index as u64, bad));
                        // A placeholder, replaced in the report by the line's own error.
                        Error::Config(String::new())
                    })
                });
            match cancel {
                None => Some(client.inner.identify_many(inputs, concurrency)),
                Some(cancel) => {
                    client
                        .inner
                        .identify_many_unless_cancelled(inputs, concurrency, cancel)
                }
            }
        });
        let outcome = outcome.ok_or_else(lr_error::canceled)?;
        args::give(report, lr_report::from_outcome(outcome, bad_lines))
    }
}

impl lr_report {
    /// The report of a core bulk run. `bad_lines` (sorted by index) replace the placeholder
    /// failures the core recorded for inputs that could not be read.
    fn from_outcome(outcome: BulkReport, bad_lines: Vec<(u64, BadLine)>) -> Self {
        let mut bad_lines = bad_lines.into_iter().peekable();
        let failures = outcome
            .failures
            .into_iter()
            .map(
                |f| match bad_lines.next_if(|(index, _)| *index == f.index) {
                    Some((index, bad)) => Failure {
                        index,
                        user_id: c_string(&bad.user_id),
                        error: bad.error.into_error(JSON_LINES),
                    },
                    None => Failure {
                        index: f.index,
                        user_id: c_string(&f.user_id),
                        error: f.error.into(),
                    },
                },
            )
            .collect();
        lr_report {
            total: outcome.total,
            succeeded: outcome.succeeded,
            failures,
        }
    }
}

/// Frees a report and every failure it holds. `NULL` does nothing.
///
/// # Safety
///
/// `report` is `NULL` or a report from this library not freed yet; everything read from it
/// becomes invalid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_report_free(report: *mut lr_report) {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe { args::free(report) }
}

/// Reads `report` with `read`, giving `fallback` for `NULL` or a panic.
///
/// # Safety
///
/// `report` is `NULL` or a live report.
unsafe fn read<T>(report: *const lr_report, fallback: T, read: impl FnOnce(&lr_report) -> T) -> T
where
    T: Copy,
{
    // SAFETY: the caller guarantees `report` is NULL or live.
    run_accessor(fallback, || {
        // SAFETY: the caller guarantees the pointer is NULL or live.
        unsafe { report.as_ref() }.map_or(fallback, read)
    })
}

/// How many requests the run took (0 for `NULL`).
///
/// # Safety
///
/// `report` is `NULL` or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_report_total(report: *const lr_report) -> u64 {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe { read(report, 0, |r| r.total) }
}

/// How many succeeded (0 for `NULL`).
///
/// # Safety
///
/// `report` is `NULL` or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_report_succeeded(report: *const lr_report) -> u64 {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe { read(report, 0, |r| r.succeeded) }
}

/// How many failed: the number of failures to read by index (0 for `NULL`).
///
/// # Safety
///
/// `report` is `NULL` or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_report_failure_count(report: *const lr_report) -> usize {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe { read(report, 0, |r| r.failures.len()) }
}

/// The input index (position in the `requests` array, or line number from 0 for
/// `lr_client_identify_many_json`) of failure `i`, or `UINT64_MAX` when `i`
/// is out of range.
///
/// # Safety
///
/// `report` is `NULL` or a live report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_report_failure_index(report: *const lr_report, i: usize) -> u64 {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe {
        read(report, u64::MAX, |r| {
            r.failures.get(i).map_or(u64::MAX, |f| f.index)
        })
    }
}

/// The user id of failure `i`, or `NULL` when `i` is out of range. Owned by the report.
///
/// # Safety
///
/// `report` is `NULL` or a live report; the string lives as long as the report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_report_failure_user_id(
    report: *const lr_report,
    i: usize,
) -> *const c_char {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe {
        read(report, ptr::null(), |r| {
            r.failures
                .get(i)
                .map_or(ptr::null(), |f| f.user_id.as_ptr())
        })
    }
}

/// The error of failure `i` (read it with the `lr_error_*` accessors), or `NULL` when `i` is out
/// of range. Owned by the report: never pass it to `lr_error_free`.
///
/// # Safety
///
/// `report` is `NULL` or a live report; the error lives as long as the report.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_report_failure_error(
    report: *const lr_report,
    i: usize,
) -> *const lr_error {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe {
        read(report, ptr::null(), |r| {
            r.failures
                .get(i)
                .map_or(ptr::null(), |f| &f.error as *const lr_error)
        })
    }
}
