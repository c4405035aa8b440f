//! What background delivery reports to Python: a flush's summary and the counters.

use pyo3::prelude::*;

/// What `flush` or `close` came to; the counts are totals since the client started.
#[pyclass(
    frozen,
    get_all,
    eq,
    module = "logrocket_identify",
    name = "FlushSummary"
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushSummary {
    completed: bool,
    delivered: u64,
    failed: u64,
    dropped: u64,
    pending: u64,
}

impl From<logrocket_identify::FlushSummary> for FlushSummary {
    fn from(summary: logrocket_identify::FlushSummary) -> Self {
        FlushSummary {
            completed: summary.completed,
            delivered: summary.delivered,
            failed: summary.failed,
            dropped: summary.dropped,
            pending: summary.pending,
        }
    }
}

#[pymethods]
impl FlushSummary {
    fn __repr__(&self) -> String {
        let FlushSummary {
            completed,
            delivered,
            failed,
            dropped,
            pending,
        } = self;
        let completed = if *completed { "True" } else { "False" };
        format!(
            "FlushSummary(completed={completed}, delivered={delivered}, failed={failed}, \
             dropped={dropped}, pending={pending})"
        )
    }
}

/// Background delivery since the client started:
/// `enqueued == coalesced + delivered + failed + dropped + pending`.
#[pyclass(frozen, get_all, eq, module = "logrocket_identify", name = "Counters")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    enqueued: u64,
    delivered: u64,
    failed: u64,
    retried: u64,
    dropped: u64,
    coalesced: u64,
    pending: u64,
    in_flight: u64,
}

impl From<logrocket_identify::Counters> for Counters {
    fn from(counters: logrocket_identify::Counters) -> Self {
        Counters {
            enqueued: counters.enqueued,
            delivered: counters.delivered,
            failed: counters.failed,
            retried: counters.retried,
            dropped: counters.dropped,
            coalesced: counters.coalesced,
            pending: counters.pending,
            in_flight: counters.in_flight,
        }
    }
}

#[pymethods]
impl Counters {
    fn __repr__(&self) -> String {
        let Counters {
            enqueued,
            delivered,
            failed,
            retried,
            dropped,
            coalesced,
            pending,
            in_flight,
        } = self;
        format!(
            "Counters(enqueued={enqueued}, delivered={delivered}, failed={failed}, \
             retried={retried}, dropped={dropped}, coalesced={coalesced}, pending={pending}, \
             in_flight={in_flight})"
        )
    }
}
