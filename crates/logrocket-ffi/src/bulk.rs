//! `lr_client_identify_many`, `lr_client_identify_many_json` and their `lr_report`. Both run
//! on the core's bulk engine; the JSON Lines call is a run of `bulk_run.rs` fed one piece.

use std::ffi::{CString, c_char};
use std::ptr;

use logrocket_identify::{BulkOutcome, BulkReport, Cancel};

use crate::args;
use crate::bulk_run::lr_bulk_run;
use crate::client::lr_client;
use crate::error::{c_string, lr_error, run, run_accessor};
use crate::request::lr_request;
use crate::status::lr_status;

/// Passed as `concurrency` to a bulk call: use the client's setting (`lr_config_set_concurrency`,
/// or the library's default). Any other value is the number of requests kept in flight; 0 gives
/// `LR_ERR_CONFIG`.
// Written so that cbindgen can put it in the header (as `(size_t)~0`): it reads no `usize::MAX`,
// and drops a bare `!0` to an `int`.
#[allow(clippy::unnecessary_cast)]
pub const LR_CLIENT_CONCURRENCY: usize = !0 as usize;
const _: () = assert!(LR_CLIENT_CONCURRENCY == usize::MAX);

/// The core's reading of a bulk call's `concurrency` argument: `None` asks for the client's.
pub(crate) fn concurrency_of(concurrency: usize) -> Option<usize> {
    (concurrency != LR_CLIENT_CONCURRENCY).then_some(concurrency)
}

/// The outcome of a bulk call: counts, and every failure with its input index, user id and
/// error, sorted by index. Opaque; everything it returns is owned by it until `lr_report_free`.
#[derive(Debug)]
pub struct lr_report {
    total: u64,
    succeeded: u64,
    failures: Vec<Failure>,
}

#[derive(Debug)]
pub(crate) struct Failure {
    index: u64,
    user_id: CString,
    error: lr_error,
}

impl Failure {
    /// The failure an outcome of a JSON Lines run stands for, if it failed: with the line's own
    /// error when the core has no kind for it (see `lines::BadLine::into_input`).
    pub(crate) fn of(outcome: BulkOutcome, own: Option<lr_error>) -> Option<Failure> {
        let error = outcome.result.err()?;
        Some(Failure {
            index: outcome.index,
            user_id: c_string(&outcome.user_id),
            error: own.unwrap_or_else(|| error.into()),
        })
    }
}

impl lr_report {
    /// A run's report: its counts, and its failures sorted by index.
    pub(crate) fn new(total: u64, succeeded: u64, mut failures: Vec<Failure>) -> Self {
        failures.sort_by_key(|f| f.index);
        lr_report {
            total,
            succeeded,
            failures,
        }
    }
}

/// Sends `count` requests with at most `concurrency` in flight (`LR_CLIENT_CONCURRENCY`: the
/// client's setting; 0 gives `LR_ERR_CONFIG`) on the client's connection pool, and blocks until
/// all are done. The status is `LR_OK` when the run itself could be made, even if some requests
/// failed: `*report` (owned by the caller, freed with `lr_report_free`) counts them and holds
/// every failure. Nothing is dropped silently. The requests are only read.
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
                checked.iter().map(|r| &r.inner),
                concurrency_of(concurrency),
            )?;
            args::give(report, lr_report::from(outcome))
        })
    }
}

/// The argument name `lr_client_identify_many_json` reports errors under.
pub(crate) const JSON_LINES: &str = "json_lines";

/// Sends the users of a buffer of JSON Lines, one input a line in the JSON input form of
/// `lr_request_from_json`, with at most `concurrency` requests in flight
/// (`LR_CLIENT_CONCURRENCY`: the client's setting; 0 gives `LR_ERR_CONFIG`), and blocks until
/// all are done. It is `lr_client_identify_many` without a request object per user: the whole
/// batch crosses in one call and each line is read while the run goes, so it suits bindings and
/// callers that already hold JSON.
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
    let (client, buffer) = unsafe {
        args::clear_out(report, "report")?;
        (
            args::handle(client, "client")?,
            args::slice(json_lines.cast::<u8>(), len, JSON_LINES)?,
        )
    };
    // One piece, then finish: the run fed in pieces (`lr_bulk_run`) with a single piece.
    let bulk = lr_bulk_run::start(client, concurrency, cancel.cloned())?;
    bulk.push(buffer)?;
    let outcome = bulk.finish()?;
    // SAFETY: `report` was checked writable above.
    unsafe { args::give(report, outcome) }
}

impl From<BulkReport> for lr_report {
    fn from(outcome: BulkReport) -> Self {
        let failures = outcome
            .failures
            .into_iter()
            .map(|f| Failure {
                index: f.index,
                user_id: c_string(&f.user_id),
                error: f.error.into(),
            })
            .collect();
        lr_report::new(outcome.total, outcome.succeeded, failures)
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
