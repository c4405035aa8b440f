//! The tokio runtime behind every client, made again in a forked child.
//!
//! A runtime's worker threads do not survive `fork()`: in the child the old runtime is a shell
//! whose drop would wait on threads that do not exist. So the runtime is keyed by process id,
//! and a child builds its own on first use and leaks the parent's (once per fork).

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::runtime::Runtime;

static RUNTIME: Mutex<Option<(u32, Arc<Runtime>)>> = Mutex::new(None);

/// How long a blocking call waits with the GIL released before it looks for signals (Ctrl-C).
pub const WAIT_SLICE: Duration = Duration::from_millis(50);

/// The runtime of the current process.
pub fn runtime() -> PyResult<Arc<Runtime>> {
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((owner, runtime)) = slot.as_ref()
        && *owner == pid
    {
        return Ok(Arc::clone(runtime));
    }
    forget_stale(&mut slot);
    // One I/O thread: the work is waiting on sockets, and with every connection and request on
    // one thread an answer needs no wake-up of another thread, which on a small machine shared
    // with the server (the emulator in tests, a proxy in production) is the larger cost.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("logrocket-identify")
        .enable_all()
        .build()
        .map(Arc::new)
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start the I/O runtime: {e}")))?;
    *slot = Some((pid, Arc::clone(&runtime)));
    Ok(runtime)
}

/// Called in a forked child (through `os.register_at_fork`): drops the parent's runtime
/// without waiting for its threads, which the child does not have.
#[pyfunction]
pub fn _after_fork_in_child() {
    let mut slot = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
    if slot
        .as_ref()
        .is_some_and(|(owner, _)| *owner != std::process::id())
    {
        forget_stale(&mut slot);
    }
}

fn forget_stale(slot: &mut Option<(u32, Arc<Runtime>)>) {
    if let Some((_, stale)) = slot.take() {
        std::mem::forget(stale);
    }
}

/// Runs `work` on the runtime and waits for it with the GIL released, in slices, running
/// Python's signal handlers between them: Ctrl-C raises KeyboardInterrupt promptly and the
/// work is cancelled.
pub fn wait_blocking<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    let runtime = runtime()?;
    let mut task = runtime.spawn(work);
    loop {
        let waited = py.detach(|| {
            runtime.block_on(async { tokio::time::timeout(WAIT_SLICE, &mut task).await })
        });
        match waited {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(join_error)) => {
                return Err(PyRuntimeError::new_err(format!(
                    "the request task failed: {join_error}"
                )));
            }
            Err(_still_running) => {
                if let Err(interrupted) = py.check_signals() {
                    task.abort();
                    return Err(interrupted);
                }
            }
        }
    }
}
