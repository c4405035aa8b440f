//! The client object Python's `Client` and `AsyncClient` share: configuration, the core client
//! (made again after a fork), blocking and callback-based calls.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use logrocket_identify::{Client, ClientBuilder, ClientConfig, Error};
use pyo3::prelude::*;
use tokio::task::AbortHandle;

use crate::bulk::BulkRun;
use crate::convert::{self, Args, PyUser};
use crate::errors::to_py_err;
use crate::runtime::{runtime, wait_blocking};

#[pyclass(frozen, module = "logrocket_identify._native")]
pub struct NativeClient {
    config: ClientConfig,
    /// The core client and the process it was made in: its connection pool belongs to that
    /// process's runtime, so a forked child makes its own.
    core: Mutex<(u32, Client)>,
}

// By hand, to name what the client talks to and never its key.
impl std::fmt::Debug for NativeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl NativeClient {
    fn describe(&self) -> String {
        format!(
            "base_url={:?}, org_id={:?}, app_id={:?}, timeout={}, max_retries={}, concurrency={}",
            self.config.base_url,
            self.config.org_id,
            self.config.app_id,
            self.config.timeout.as_secs_f64(),
            self.config.max_retries,
            self.config.concurrency
        )
    }

    pub fn core(&self, py: Python<'_>) -> PyResult<Client> {
        let pid = std::process::id();
        let mut core = self.core.lock().unwrap_or_else(PoisonError::into_inner);
        if core.0 != pid {
            let fresh = Client::new(self.config.clone()).map_err(|e| to_py_err(py, e))?;
            // The parent's pool holds its sockets and its runtime's registrations; dropping it
            // here could deregister them from an epoll instance the parent still uses.
            std::mem::forget(std::mem::replace(&mut core.1, fresh));
            core.0 = pid;
        }
        Ok(core.1.clone())
    }
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (api_key=None, app_id=None, org_id=None, base_url=None, timeout=None,
                        max_retries=None, concurrency=None, allow_insecure_http=false))]
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
            let per_attempt = Duration::try_from_secs_f64(seconds).map_err(|_| {
                to_py_err(
                    py,
                    Error::Config(format!(
                        "timeout must be a positive number of seconds, got {seconds}"
                    )),
                )
            })?;
            builder = builder.timeout(per_attempt);
        }
        if let Some(retries) = max_retries {
            builder = builder.max_retries(retries);
        }
        if let Some(in_flight) = concurrency {
            builder = builder.concurrency(in_flight);
        }
        let config = builder.into_config().map_err(|e| to_py_err(py, e))?;
        let core = Client::new(config.clone()).map_err(|e| to_py_err(py, e))?;
        Ok(NativeClient {
            config,
            core: Mutex::new((std::process::id(), core)),
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
        BulkRun::start(self.core(py)?, concurrency)
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
