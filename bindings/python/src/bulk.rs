//! `identify_many` fed lazily from Python: rows are converted one at a time and handed to the
//! core's bulk scheduler through a bounded channel, so at most about twice `concurrency` rows
//! have been pulled from the caller's iterable ahead of the requests that finished.

use std::sync::{Arc, Mutex, PoisonError};

use logrocket_identify::{BulkReport, Client, IdentifyRequest, Result as CoreResult};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::mpsc::{self, OwnedPermit, Sender};
use tokio::task::JoinHandle;

use crate::convert;
use crate::errors::to_py_err;
use crate::runtime::{WAIT_SLICE, runtime, wait_blocking};

type Row = CoreResult<IdentifyRequest>;

/// One `identify_many` call in progress.
#[pyclass(frozen, module = "logrocket_identify._native")]
#[derive(Debug)]
pub struct BulkRun {
    sender: Mutex<Option<Sender<Row>>>,
    /// A slot reserved by `reserve`, used by the next `push`.
    permit: Arc<Mutex<Option<OwnedPermit<Row>>>>,
    task: Mutex<Option<JoinHandle<BulkReport>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn closed() -> PyErr {
    PyRuntimeError::new_err("this identify_many run has already finished or was cancelled")
}

impl BulkRun {
    pub fn start(core: Client, concurrency: Option<usize>) -> PyResult<BulkRun> {
        let in_flight = concurrency.unwrap_or(core.config().concurrency).max(1);
        let (sender, receiver) = mpsc::channel::<Row>(in_flight);
        let rows = futures::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|row| (row, receiver))
        });
        let task = runtime()?.spawn(async move { core.identify_many(rows, Some(in_flight)).await });
        Ok(BulkRun {
            sender: Mutex::new(Some(sender)),
            permit: Arc::new(Mutex::new(None)),
            task: Mutex::new(Some(task)),
        })
    }

    fn sender(&self) -> PyResult<Sender<Row>> {
        lock(&self.sender).clone().ok_or_else(closed)
    }

    fn close_input(&self) {
        lock(&self.sender).take();
        lock(&self.permit).take();
    }

    fn take_task(&self) -> PyResult<JoinHandle<BulkReport>> {
        self.close_input();
        lock(&self.task).take().ok_or_else(closed)
    }
}

/// A bad row is not raised: it becomes that row's failure in the report.
fn to_row(py: Python<'_>, row: &Bound<'_, PyAny>) -> Row {
    convert::row(row).map_err(|(field, rejected)| rejected.into_validation(py, &field).into())
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
    /// Queues a row if there is room; `False` means call `reserve` and push it again.
    fn push(&self, py: Python<'_>, row: &Bound<'_, PyAny>) -> PyResult<bool> {
        let row = to_row(py, row);
        if let Some(permit) = lock(&self.permit).take() {
            permit.send(row);
            return Ok(true);
        }
        match self.sender()?.try_send(row) {
            Ok(()) => Ok(true),
            Err(TrySendError::Full(_)) => Ok(false),
            Err(TrySendError::Closed(_)) => Err(closed()),
        }
    }

    /// Queues a row, waiting for room with the GIL released (Ctrl-C still interrupts).
    fn push_blocking(&self, py: Python<'_>, row: &Bound<'_, PyAny>) -> PyResult<()> {
        let mut row = to_row(py, row);
        let sender = self.sender()?;
        let runtime = runtime()?;
        loop {
            row = match sender.try_send(row) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Closed(_)) => return Err(closed()),
                Err(TrySendError::Full(row)) => row,
            };
            let waiting = sender.clone();
            let reserved = py.detach(|| {
                runtime.block_on(async {
                    tokio::time::timeout(WAIT_SLICE, waiting.reserve_owned()).await
                })
            });
            match reserved {
                Ok(Ok(permit)) => {
                    permit.send(row);
                    return Ok(());
                }
                Ok(Err(_)) => return Err(closed()),
                Err(_no_room_yet) => py.check_signals()?,
            }
        }
    }

    /// Calls `callback(True, None)` from an I/O thread once there is room for a row.
    fn reserve(&self, callback: Py<PyAny>) -> PyResult<()> {
        let sender = self.sender()?;
        let slot = Arc::clone(&self.permit);
        runtime()?.spawn(async move {
            let reserved = sender.reserve_owned().await;
            let ok = match reserved {
                Ok(permit) => {
                    *lock(&slot) = Some(permit);
                    true
                }
                Err(_) => false,
            };
            Python::attach(|py| {
                if let Err(error) = callback.call1(py, (ok, py.None())) {
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
            Python::attach(|py| {
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
        self.close_input();
        if let Some(task) = lock(&self.task).take() {
            task.abort();
        }
    }
}
