//! The client object Python's `Client` and `AsyncClient` share: configuration, the core client
//! (made again after a fork), blocking and callback-based calls, background delivery.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use logrocket_identify::{
    CaCert, Client, ClientBuilder, ClientConfig, DEFAULT_CLOSE_TIMEOUT, DeliveryFailure, Error,
    WhenFull,
};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyString;
use tokio::task::AbortHandle;

use crate::bulk::BulkRun;
use crate::convert::{self, Args, PyUser};
use crate::delivery::{Counters, FlushSummary};
use crate::errors::to_py_err;
use crate::runtime::{runtime, wait_blocking};

#[pyclass(frozen, module = "logrocket_identify._native")]
pub struct NativeClient {
    config: ClientConfig,
    /// The core client and the process it was made in: its connection pool and its background
    /// queue belong to that process's runtime, so a forked child makes its own, empty one.
    core: Mutex<(u32, Client)>,
    /// How long the exit hook waits for pending updates.
    exit_timeout: Duration,
    /// The process of the last enqueue, so the first one in each process is reported (the
    /// Python side then provides for that process's exit).
    enqueued_in: AtomicU32,
    /// Set by `close`, so that a client closed before a fork is closed in the child too.
    closed: AtomicBool,
}

// By hand, to name what the client talks to and never its key or its proxy's credentials.
impl std::fmt::Debug for NativeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl NativeClient {
    fn describe(&self) -> String {
        format!(
            "base_url={:?}, org_id={:?}, app_id={:?}, timeout={}, max_retries={}, concurrency={}, \
             rate_limit={}, proxy={}, proxy_from_env={}, ca_certs={}, http1_only={}, \
             connect_timeout={}",
            self.config.base_url,
            self.config.org_id,
            self.config.app_id,
            self.config.timeout.as_secs_f64(),
            self.config.max_retries,
            self.config.concurrency,
            self.config
                .rate_limit
                .map_or_else(|| "None".to_owned(), |rate| rate.to_string()),
            // Credentials shown as `<redacted>`, like the key: never the password.
            self.config.network.proxy.as_ref().map_or_else(
                || "None".to_owned(),
                |proxy| format!("{:?}", proxy.redacted())
            ),
            python_bool(self.config.network.proxy_from_env),
            self.config.network.ca_certs.len(),
            python_bool(self.config.network.http1_only),
            self.config.network.connect_timeout.as_secs_f64(),
        )
    }

    pub fn core(&self, py: Python<'_>) -> PyResult<Client> {
        let pid = std::process::id();
        let mut core = self.core.lock().unwrap_or_else(PoisonError::into_inner);
        if core.0 != pid {
            let fresh = new_core(py, &self.config)?;
            if self.closed.load(Ordering::Acquire) {
                // Nothing was enqueued on it, so this only marks it closed: no wait, and so
                // no need to release the GIL while this lock is held.
                fresh.close_blocking(Duration::ZERO);
            }
            // The parent's pool and queue hold its sockets and its runtime's registrations;
            // dropping them here could deregister them from an epoll instance the parent
            // still uses, and the parent's pending updates are the parent's to send.
            std::mem::forget(std::mem::replace(&mut core.1, fresh));
            core.0 = pid;
        }
        Ok(core.1.clone())
    }

    /// The core client if it was made in this process: a client inherited through fork and
    /// not used since has nothing of this process's pending.
    fn core_of_this_process(&self) -> Option<Client> {
        let core = self.core.lock().unwrap_or_else(PoisonError::into_inner);
        (core.0 == std::process::id()).then(|| core.1.clone())
    }
}

fn python_bool(value: bool) -> &'static str {
    if value { "True" } else { "False" }
}

/// The `ca_cert` setting: a `str` is PEM text when it holds a PEM block, else a path (the
/// core's one rule, `CaCert::from_pem_or_path`); any other `os.PathLike` is a path.
fn ca_cert_setting(value: &Bound<'_, PyAny>) -> PyResult<CaCert> {
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(CaCert::from_pem_or_path(&text.to_cow()?));
    }
    match value.extract::<PathBuf>() {
        Ok(path) => Ok(CaCert::File(path)),
        Err(_) => Err(PyTypeError::new_err(format!(
            "ca_cert must be PEM text (str) or the path of a PEM file (str or os.PathLike), \
             got {}",
            value.get_type().name()?
        ))),
    }
}

/// A core client whose background delivery runs on this process's runtime.
fn new_core(py: Python<'_>, config: &ClientConfig) -> PyResult<Client> {
    let mut config = config.clone();
    config.delivery.runtime = Some(runtime()?.handle().clone());
    Client::new(config).map_err(|e| to_py_err(py, e))
}

/// Seconds from Python as a `Duration`, or a `ConfigError` naming the setting.
fn setting_seconds(py: Python<'_>, name: &str, seconds: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        to_py_err(
            py,
            Error::Config(format!(
                "{name} must be a positive number of seconds, got {seconds}"
            )),
        )
    })
}

/// The deadline of a `flush` or `close`; `None` is the core's default.
fn wait_limit(timeout: Option<f64>) -> PyResult<Duration> {
    match timeout {
        None => Ok(DEFAULT_CLOSE_TIMEOUT),
        Some(seconds) => Duration::try_from_secs_f64(seconds).map_err(|_| {
            PyValueError::new_err(format!(
                "timeout must be a number of seconds, 0 or more, got {seconds}"
            ))
        }),
    }
}

fn full_queue_policy(
    py: Python<'_>,
    policy: Option<&str>,
    enqueue_timeout: Option<f64>,
) -> PyResult<Option<WhenFull>> {
    let only_for_block = |policy: &str| {
        to_py_err(
            py,
            Error::Config(format!(
                "enqueue_timeout applies only to when_full=\"block\", not {policy:?}"
            )),
        )
    };
    match (policy, enqueue_timeout) {
        (None | Some("block"), None) => Ok(None),
        (None | Some("block"), Some(seconds)) => Ok(Some(WhenFull::Block(setting_seconds(
            py,
            "enqueue_timeout",
            seconds,
        )?))),
        (Some("error"), None) => Ok(Some(WhenFull::Error)),
        (Some("drop_oldest"), None) => Ok(Some(WhenFull::DropOldest)),
        (Some(policy @ ("error" | "drop_oldest")), Some(_)) => Err(only_for_block(policy)),
        (Some(other), _) => Err(to_py_err(
            py,
            Error::Config(format!(
                "when_full must be \"block\", \"error\" or \"drop_oldest\", got {other:?}"
            )),
        )),
    }
}

/// The core's on-failure hook: hands each lost update to the Python reporter (which logs it
/// and calls the user's `on_failure`). Whatever the reporter raises goes to
/// `sys.unraisablehook`: the engine's thread is no place for a Python exception.
fn failure_hook(reporter: Py<PyAny>) -> impl Fn(&DeliveryFailure) + Send + Sync + 'static {
    move |failure: &DeliveryFailure| {
        // None once the interpreter is shutting down: the update is still counted.
        Python::try_attach(|py| {
            let error = to_py_err(py, failure.error.clone()).into_value(py);
            let args = (failure.user_id.as_str(), error, failure.updates);
            if let Err(raised) = reporter.call1(py, args) {
                raised.write_unraisable(py, Some(reporter.bind(py)));
            }
        });
    }
}

/// Refuses a blocking wait from the I/O thread itself (an `on_failure` hook calling `flush`),
/// which could never end: that thread is the one that would deliver.
fn not_on_io_thread() -> PyResult<()> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(PyRuntimeError::new_err(
            "flush and close cannot be called from on_failure or another callback of this \
             library: they would wait on the thread that delivers",
        ));
    }
    Ok(())
}

/// Calls `callback(True, summary)` on an I/O thread once `work` is done.
fn settle_with_summary<F>(callback: Py<PyAny>, work: F) -> PyResult<()>
where
    F: Future<Output = logrocket_identify::FlushSummary> + Send + 'static,
{
    runtime()?.spawn(async move {
        let summary = FlushSummary::from(work.await);
        Python::try_attach(|py| {
            if let Err(error) = callback.call1(py, (true, summary)) {
                error.write_unraisable(py, None);
            }
        });
    });
    Ok(())
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (api_key=None, app_id=None, org_id=None, base_url=None, timeout=None,
                        max_retries=None, concurrency=None, allow_insecure_http=false,
                        queue_capacity=None, queue_max_bytes=None, when_full=None,
                        enqueue_timeout=None, on_failure=None, exit_timeout=None,
                        rate_limit=None, proxy=None, proxy_from_env=true, ca_cert=None,
                        http1_only=false, connect_timeout=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        api_key: Option<String>,
        app_id: Option<String>,
        org_id: Option<String>,
        base_url: Option<String>,
        timeout: Option<f64>,
        max_retries: Option<u32>,
        concurrency: Option<usize>,
        allow_insecure_http: bool,
        queue_capacity: Option<usize>,
        queue_max_bytes: Option<usize>,
        when_full: Option<String>,
        enqueue_timeout: Option<f64>,
        on_failure: Option<Py<PyAny>>,
        exit_timeout: Option<f64>,
        rate_limit: Option<f64>,
        proxy: Option<String>,
        proxy_from_env: bool,
        ca_cert: Option<Bound<'_, PyAny>>,
        http1_only: bool,
        connect_timeout: Option<f64>,
    ) -> PyResult<Self> {
        let mut builder = ClientBuilder::from_env().allow_insecure_http(allow_insecure_http);
        if let Some(key) = api_key {
            builder = builder.api_key(key);
        }
        if let Some(app) = app_id {
            builder = builder.app_id(app);
        }
        if let Some(org) = org_id {
            builder = builder.org_id(org);
        }
        if let Some(url) = base_url {
            builder = builder.base_url(url);
        }
        if let Some(seconds) = timeout {
            builder = builder.timeout(setting_seconds(py, "timeout", seconds)?);
        }
        if let Some(retries) = max_retries {
            builder = builder.max_retries(retries);
        }
        if let Some(in_flight) = concurrency {
            builder = builder.concurrency(in_flight);
        }
        // Passed through as given: the core's check is the one rule (and message) for a bad
        // rate, in every language.
        if let Some(per_second) = rate_limit {
            builder = builder.rate_limit(per_second);
        }
        // The core checks the URL (and never repeats its password in the error).
        if let Some(url) = proxy {
            builder = builder.proxy(url);
        }
        builder = builder
            .proxy_from_env(proxy_from_env)
            .http1_only(http1_only);
        if let Some(cert) = ca_cert {
            builder = builder.ca_cert(ca_cert_setting(&cert)?);
        }
        if let Some(seconds) = connect_timeout {
            builder = builder.connect_timeout(setting_seconds(py, "connect_timeout", seconds)?);
        }
        if let Some(items) = queue_capacity {
            builder = builder.queue_capacity(items);
        }
        if let Some(bytes) = queue_max_bytes {
            builder = builder.queue_max_bytes(bytes);
        }
        if let Some(policy) = full_queue_policy(py, when_full.as_deref(), enqueue_timeout)? {
            builder = builder.when_full(policy);
        }
        if let Some(reporter) = on_failure {
            builder = builder.on_failure(failure_hook(reporter));
        }
        let exit_timeout = match exit_timeout {
            Some(seconds) => setting_seconds(py, "exit_timeout", seconds)?,
            None => DEFAULT_CLOSE_TIMEOUT,
        };
        let config = builder.into_config().map_err(|e| to_py_err(py, e))?;
        let core = new_core(py, &config)?;
        Ok(NativeClient {
            config,
            core: Mutex::new((std::process::id(), core)),
            exit_timeout,
            enqueued_in: AtomicU32::new(0),
            closed: AtomicBool::new(false),
        })
    }

    fn __repr__(&self) -> String {
        self.describe()
    }

    #[getter]
    fn base_url(&self) -> &str {
        &self.config.base_url
    }

    #[getter]
    fn org_id(&self) -> &str {
        &self.config.org_id
    }

    #[getter]
    fn app_id(&self) -> &str {
        &self.config.app_id
    }

    #[getter]
    fn concurrency(&self) -> usize {
        self.config.concurrency
    }

    #[getter]
    fn rate_limit(&self) -> Option<f64> {
        self.config.rate_limit
    }

    /// The explicit proxy with its credentials replaced by `<redacted>`.
    #[getter]
    fn proxy(&self) -> Option<String> {
        self.config.network.proxy.as_ref().map(|p| p.redacted())
    }

    #[getter]
    fn proxy_from_env(&self) -> bool {
        self.config.network.proxy_from_env
    }

    #[getter]
    fn http1_only(&self) -> bool {
        self.config.network.http1_only
    }

    #[getter]
    fn connect_timeout(&self) -> f64 {
        self.config.network.connect_timeout.as_secs_f64()
    }

    /// Sends one user and waits, with the GIL released.
    #[pyo3(signature = (user_id, *, name=None, email=None, timestamp=None, traits=None, unset=None))]
    #[allow(clippy::too_many_arguments)]
    fn identify<'py>(
        &self,
        py: Python<'py>,
        user_id: &Bound<'py, PyAny>,
        name: Option<Bound<'py, PyAny>>,
        email: Option<Bound<'py, PyAny>>,
        timestamp: Option<Bound<'py, PyAny>>,
        traits: Option<Bound<'py, PyAny>>,
        unset: Option<Bound<'py, PyAny>>,
    ) -> PyResult<PyUser> {
        let args = Args {
            name,
            email,
            timestamp,
            traits,
            unset,
        };
        let request = convert::request(user_id, args).map_err(|(_, r)| r.into_py_err(py))?;
        let core = self.core(py)?;
        let outcome = wait_blocking(py, async move { core.identify(&request).await })?;
        outcome.map(PyUser::from).map_err(|e| to_py_err(py, e))
    }

    /// Starts sending one user; `callback(ok, user_or_exception)` is called from an I/O thread
    /// when done. Argument errors are raised here, before anything starts.
    #[pyo3(signature = (user_id, callback, *, name=None, email=None, timestamp=None, traits=None, unset=None))]
    #[allow(clippy::too_many_arguments)]
    fn identify_with_callback<'py>(
        &self,
        py: Python<'py>,
        user_id: &Bound<'py, PyAny>,
        callback: Py<PyAny>,
        name: Option<Bound<'py, PyAny>>,
        email: Option<Bound<'py, PyAny>>,
        timestamp: Option<Bound<'py, PyAny>>,
        traits: Option<Bound<'py, PyAny>>,
        unset: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Task> {
        let args = Args {
            name,
            email,
            timestamp,
            traits,
            unset,
        };
        let request = convert::request(user_id, args).map_err(|(_, r)| r.into_py_err(py))?;
        let core = self.core(py)?;
        let task = runtime()?.spawn(async move {
            let outcome = core.identify(&request).await;
            Python::attach(|py| {
                let settled = match outcome {
                    Ok(user) => Py::new(py, PyUser::from(user))
                        .and_then(|user| callback.call1(py, (true, user))),
                    Err(error) => callback.call1(py, (false, to_py_err(py, error).into_value(py))),
                };
                if let Err(error) = settled {
                    error.write_unraisable(py, None);
                }
            });
        });
        Ok(Task {
            abort: task.abort_handle(),
        })
    }

    /// Starts a bulk run fed row by row (see `BulkRun`).
    #[pyo3(signature = (concurrency=None))]
    fn bulk(&self, py: Python<'_>, concurrency: Option<usize>) -> PyResult<BulkRun> {
        BulkRun::start(py, &self.core(py)?, concurrency)
    }

    /// Validates and queues one update for background delivery. The GIL is released while
    /// the full-queue policy may wait (and so that the I/O thread, which needs the GIL to
    /// report a dropped update, is never held up by this thread). True on this client's
    /// first enqueue in this process.
    #[pyo3(signature = (user_id, *, name=None, email=None, timestamp=None, traits=None, unset=None))]
    #[allow(clippy::too_many_arguments)]
    fn enqueue<'py>(
        &self,
        py: Python<'py>,
        user_id: &Bound<'py, PyAny>,
        name: Option<Bound<'py, PyAny>>,
        email: Option<Bound<'py, PyAny>>,
        timestamp: Option<Bound<'py, PyAny>>,
        traits: Option<Bound<'py, PyAny>>,
        unset: Option<Bound<'py, PyAny>>,
    ) -> PyResult<bool> {
        let args = Args {
            name,
            email,
            timestamp,
            traits,
            unset,
        };
        let request = convert::request(user_id, args).map_err(|(_, r)| r.into_py_err(py))?;
        let core = self.core(py)?;
        py.detach(|| core.enqueue(request))
            .map_err(|e| to_py_err(py, e))?;
        let pid = std::process::id();
        Ok(self.enqueued_in.swap(pid, Ordering::Relaxed) != pid)
    }

    /// Waits with the GIL released until what was enqueued before is done, up to `timeout`.
    #[pyo3(signature = (timeout=None))]
    fn flush(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<FlushSummary> {
        not_on_io_thread()?;
        let limit = wait_limit(timeout)?;
        let core = self.core(py)?;
        let summary = wait_blocking(py, async move { core.flush(limit).await })?;
        Ok(summary.into())
    }

    /// Stops accepting, delivers what it can within `timeout`, abandons the rest.
    #[pyo3(signature = (timeout=None))]
    fn close(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<FlushSummary> {
        not_on_io_thread()?;
        let limit = wait_limit(timeout)?;
        self.closed.store(true, Ordering::Release);
        let core = self.core(py)?;
        let summary = wait_blocking(py, async move { core.close(limit).await })?;
        Ok(summary.into())
    }

    /// `flush` for asyncio: `callback(True, summary)` is called from an I/O thread.
    fn flush_with_callback(
        &self,
        py: Python<'_>,
        timeout: Option<f64>,
        callback: Py<PyAny>,
    ) -> PyResult<()> {
        let limit = wait_limit(timeout)?;
        let core = self.core(py)?;
        settle_with_summary(callback, async move { core.flush(limit).await })
    }

    /// `close` for asyncio: `callback(True, summary)` is called from an I/O thread.
    fn close_with_callback(
        &self,
        py: Python<'_>,
        timeout: Option<f64>,
        callback: Py<PyAny>,
    ) -> PyResult<()> {
        let limit = wait_limit(timeout)?;
        self.closed.store(true, Ordering::Release);
        let core = self.core(py)?;
        settle_with_summary(callback, async move { core.close(limit).await })
    }

    /// The exit hook's close: within `exit_timeout`, and nothing at all for a client this
    /// process inherited and never used.
    fn close_at_exit(&self, py: Python<'_>) -> PyResult<()> {
        let Some(core) = self.core_of_this_process() else {
            return Ok(());
        };
        self.closed.store(true, Ordering::Release);
        let limit = self.exit_timeout;
        wait_blocking(py, async move { core.close(limit).await })?;
        Ok(())
    }

    /// A snapshot of the delivery counters.
    fn counters(&self, py: Python<'_>) -> PyResult<Counters> {
        let core = self.core(py)?;
        Ok(py.detach(|| core.counters()).into())
    }
}

/// A started request; `cancel()` stops it (an asyncio task was cancelled).
#[pyclass(frozen, module = "logrocket_identify._native")]
#[derive(Debug)]
pub struct Task {
    abort: AbortHandle,
}

#[pymethods]
impl Task {
    fn cancel(&self) {
        self.abort.abort();
    }
}

/// Checks a request offline, exactly as sending would, and raises what sending would raise.
/// Nothing is sent.
#[pyfunction]
#[pyo3(signature = (user_id, *, name=None, email=None, timestamp=None, traits=None, unset=None))]
pub fn validate<'py>(
    py: Python<'py>,
    user_id: &Bound<'py, PyAny>,
    name: Option<Bound<'py, PyAny>>,
    email: Option<Bound<'py, PyAny>>,
    timestamp: Option<Bound<'py, PyAny>>,
    traits: Option<Bound<'py, PyAny>>,
    unset: Option<Bound<'py, PyAny>>,
) -> PyResult<()> {
    let args = Args {
        name,
        email,
        timestamp,
        traits,
        unset,
    };
    let request = convert::request(user_id, args).map_err(|(_, r)| r.into_py_err(py))?;
    request
        .validate()
        .map_err(|e| crate::errors::validation_to_py_err(py, e))
}
