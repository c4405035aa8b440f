//! `identify_many` fed lazily from Python, on the core's sending engine: each row is converted
//! as it is pulled from the caller's iterable and pushed into a run the core schedules, and
//! the next row is pulled only once the run has room for it.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, PoisonError};

use logrocket_identify::{BulkFeeder, BulkReport, Client, FailedInput, IdentifyRequest};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use tokio::task::JoinHandle;

use crate::convert;
use crate::errors::to_py_err;
use crate::runtime::{WAIT_SLICE, runtime, wait_blocking};

/// One `identify_many` call in progress.
#[pyclass(frozen, module = "logrocket_identify._native")]
#[derive(Debug)]
pub struct BulkRun {
    feeder: Arc<BulkFeeder>,
    /// The run, until `finish` or `finish_blocking` takes it to wait for its report.
    task: Mutex<Option<JoinHandle<BulkReport>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn finished() -> PyErr {
    PyRuntimeError::new_err("this identify_many run has already finished or was cancelled")
}

/// A row as the engine's input. A bad row is not raised: it is reported with its index and,
/// when it had a usable one, its user id.
enum Row {
    Ready(IdentifyRequest),
    Failed(FailedInput),
}

fn to_row(py: Python<'_>, row: &Bound<'_, PyAny>) -> Row {
    match convert::row(row) {
        Ok(request) => Row::Ready(request),
        Err((field, rejected)) => Row::Failed(FailedInput {
            user_id: row_user_id(row),
            error: rejected.into_validation(py, &field).into(),
        }),
    }
}

fn row_user_id(row: &Bound<'_, PyAny>) -> String {
    row.cast::<PyDict>()
        .ok()
        .and_then(|dict| dict.get_item("user_id").ok().flatten())
        .and_then(|id| {
            id.cast::<PyString>()
                .ok()?
                .to_cow()
                .ok()
                .map(Cow::into_owned)
        })
        .unwrap_or_default()
}

impl BulkRun {
    pub fn start(py: Python<'_>, core: &Client, concurrency: Option<usize>) -> PyResult<BulkRun> {
        let runtime = runtime()?;
        let (feeder, run) = {
            let _in_runtime = runtime.enter();
            core.bulk_run(concurrency).map_err(|e| to_py_err(py, e))?
        };
        let task = runtime.spawn(run);
        Ok(BulkRun {
            feeder: Arc::new(feeder),
            task: Mutex::new(Some(task)),
        })
    }

    /// Queues a row; whether the run has room for another.
    fn push_row(&self, py: Python<'_>, row: &Bound<'_, PyAny>) -> PyResult<bool> {
        let pushed = match to_row(py, row) {
            Row::Ready(request) => self.feeder.push(request),
            Row::Failed(failed) => self.feeder.push(failed),
        };
        pushed.map_err(|e| to_py_err(py, e))
    }

    fn take_task(&self) -> PyResult<JoinHandle<BulkReport>> {
        self.feeder.finish();
        lock(&self.task).take().ok_or_else(finished)
    }
}

fn report_to_py(py: Python<'_>, report: BulkReport) -> PyResult<Py<PyAny>> {
    let failures = report
        .failures
        .into_iter()
        .map(|failure| {
            (
                failure.index,
                failure.user_id,
                to_py_err(py, failure.error).into_value(py),
            )
        })
        .collect::<Vec<_>>();
    let total = report.total;
    let succeeded = report.succeeded;
    py.import("logrocket_identify._report")?
        .getattr("BulkReport")?
        .call1((total, succeeded, failures))
        .map(Bound::unbind)
}

#[pymethods]
impl BulkRun {
    /// Queues a row; `False` means wait for `wait_room` before pushing the next one.
    fn push(&self, py: Python<'_>, row: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.push_row(py, row)
    }

    /// Queues a row, then waits with the GIL released until the run has room for the next
    /// one (Ctrl-C still interrupts).
    fn push_blocking(&self, py: Python<'_>, row: &Bound<'_, PyAny>) -> PyResult<()> {
        if self.push_row(py, row)? {
            return Ok(());
        }
        loop {
            match py.detach(|| self.feeder.wait_room_blocking(WAIT_SLICE)) {
                Some(_room_or_ended) => return Ok(()),
                None => py.check_signals()?,
            }
        }
    }

    /// Calls `callback(has_room, None)` from an I/O thread once the run has room for a row
    /// (`False`: the run ended, and the next push says why).
    fn wait_room(&self, callback: Py<PyAny>) -> PyResult<()> {
        let feeder = Arc::clone(&self.feeder);
        runtime()?.spawn(async move {
            let room = feeder.room().await;
            Python::try_attach(|py| {
                if let Err(error) = callback.call1(py, (room, py.None())) {
                    error.write_unraisable(py, None);
                }
            });
        });
        Ok(())
    }

    /// No more rows: waits for the report with the GIL released.
    fn finish_blocking(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let task = self.take_task()?;
        let abort = task.abort_handle();
        let report = wait_blocking(py, task);
        match report {
            Ok(Ok(report)) => report_to_py(py, report),
            Ok(Err(join_error)) => Err(PyRuntimeError::new_err(format!(
                "identify_many failed: {join_error}"
            ))),
            Err(interrupted) => {
                self.feeder.abort();
                abort.abort();
                Err(interrupted)
            }
        }
    }

    /// No more rows: `callback(ok, report_or_exception)` is called from an I/O thread.
    fn finish(&self, callback: Py<PyAny>) -> PyResult<()> {
        let task = self.take_task()?;
        runtime()?.spawn(async move {
            let report = task.await;
            Python::try_attach(|py| {
                let settled = match report
                    .map_err(|e| PyRuntimeError::new_err(format!("identify_many failed: {e}")))
                {
                    Ok(report) => report_to_py(py, report),
                    Err(error) => Err(error),
                };
                let called = match settled {
                    Ok(report) => callback.call1(py, (true, report)),
                    Err(error) => callback.call1(py, (false, error.into_value(py))),
                };
                if let Err(error) = called {
                    error.write_unraisable(py, None);
                }
            });
        });
        Ok(())
    }

    /// Stops the run: nothing more is sent. Harmless after `finish`.
    fn abort(&self) {
        self.feeder.abort();
        if let Some(task) = lock(&self.task).take() {
            task.abort();
        }
    }
}
