//! The in-process emulator, for users' own tests (`logrocket_identify.testing.Emulator`).

use std::sync::{Mutex, PoisonError};

use logrocket_emulator::{Emulator, EmulatorConfig, EmulatorState, Fault, FaultRate};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

#[pyclass(frozen, module = "logrocket_identify._native")]
pub struct NativeEmulator {
    url: String,
    api_key: String,
    /// In TLS mode: the throwaway CA's certificate, and the temporary file holding it (removed
    /// at `stop`).
    ca_cert_pem: Option<String>,
    ca_cert_path: Option<String>,
    state: EmulatorState,
    running: Mutex<Option<Emulator>>,
}

// By hand, so the key stays out of Debug output.
impl std::fmt::Debug for NativeEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeEmulator")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

fn fault(
    status: Option<u16>,
    retry_after: Option<String>,
    body: Option<String>,
    drop_connection: bool,
    delay_ms: u64,
) -> Fault {
    Fault {
        status,
        retry_after,
        body,
        drop_connection,
        delay_ms,
    }
}

/// A rate limit from Python: a whole number of requests per second, where 0 (like `None`)
/// means no limit. Taken as a wide integer so that a negative or huge value is a `ValueError`
/// that says what is expected, not pyo3's bare overflow message.
fn requests_per_second(per_second: Option<i64>) -> PyResult<Option<u32>> {
    per_second
        .map(|n| {
            u32::try_from(n).map_err(|_| {
                PyValueError::new_err(format!(
                    "rate_limit must be a whole number of requests per second from 0 to {} \
                     (0 or None: no limit), got {n}",
                    u32::MAX
                ))
            })
        })
        .transpose()
}

#[pymethods]
impl NativeEmulator {
    #[new]
    #[pyo3(signature = (api_key="test".to_owned(), request_log_limit=10_000, rate_limit=None, tls=false))]
    fn new(
        py: Python<'_>,
        api_key: String,
        request_log_limit: usize,
        rate_limit: Option<i64>,
        tls: bool,
    ) -> PyResult<Self> {
        let config = EmulatorConfig {
            api_key,
            request_log_limit,
            rate_limit: requests_per_second(rate_limit)?,
            tls,
            ..EmulatorConfig::default()
        };
        let emulator = py
            .detach(|| Emulator::start(config))
            .map_err(|e| PyRuntimeError::new_err(format!("cannot start the emulator: {e}")))?;
        Ok(NativeEmulator {
            url: emulator.url().to_owned(),
            api_key: emulator.api_key().to_owned(),
            ca_cert_pem: emulator.ca_cert_pem().map(str::to_owned),
            ca_cert_path: emulator
                .ca_cert_path()
                .map(|path| path.to_string_lossy().into_owned()),
            state: emulator.state().clone(),
            running: Mutex::new(Some(emulator)),
        })
    }

    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    #[getter]
    fn api_key(&self) -> &str {
        &self.api_key
    }

    #[getter]
    fn ca_cert_pem(&self) -> Option<&str> {
        self.ca_cert_pem.as_deref()
    }

    #[getter]
    fn ca_cert_path(&self) -> Option<&str> {
        self.ca_cert_path.as_deref()
    }

    fn users<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        self.state
            .users()
            .into_iter()
            .map(|user| {
                let dict = PyDict::new(py);
                dict.set_item("org_id", user.org_id)?;
                dict.set_item("app_id", user.app_id)?;
                dict.set_item("user_id", user.user_id)?;
                dict.set_item("name", user.name)?;
                dict.set_item("email", user.email)?;
                dict.set_item("traits", user.traits)?;
                dict.set_item("first_seen", user.first_seen)?;
                dict.set_item("last_seen", user.last_seen)?;
                Ok(dict)
            })
            .collect()
    }

    fn requests<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        self.state
            .requests()
            .into_iter()
            .map(|request| {
                let dict = PyDict::new(py);
                dict.set_item("method", request.method)?;
                dict.set_item("path", request.path)?;
                dict.set_item("protocol", request.protocol)?;
                dict.set_item("headers", request.headers)?;
                dict.set_item("body", request.body)?;
                dict.set_item("status", request.status)?;
                Ok(dict)
            })
            .collect()
    }

    fn request_count(&self) -> usize {
        self.state.requests().len()
    }

    fn reset(&self) {
        self.state.reset();
    }

    #[pyo3(signature = (status=None, *, retry_after=None, body=None, drop_connection=false, delay_ms=0, times=1))]
    fn fail_next(
        &self,
        status: Option<u16>,
        retry_after: Option<String>,
        body: Option<String>,
        drop_connection: bool,
        delay_ms: u64,
        times: usize,
    ) {
        let one = fault(status, retry_after, body, drop_connection, delay_ms);
        self.state.push_faults(vec![one; times]);
    }

    #[pyo3(signature = (probability, status=None, *, retry_after=None, body=None, drop_connection=false, delay_ms=0))]
    fn set_fault_rate(
        &self,
        probability: f64,
        status: Option<u16>,
        retry_after: Option<String>,
        body: Option<String>,
        drop_connection: bool,
        delay_ms: u64,
    ) -> PyResult<()> {
        if !(0.0..=1.0).contains(&probability) {
            return Err(PyValueError::new_err(
                "probability must be between 0.0 and 1.0",
            ));
        }
        let rate = (probability > 0.0).then(|| FaultRate {
            probability,
            fault: fault(status, retry_after, body, drop_connection, delay_ms),
        });
        self.state.set_fault_rate(rate);
        Ok(())
    }

    #[getter]
    fn rate_limit(&self) -> Option<u32> {
        self.state.rate_limit()
    }

    #[pyo3(signature = (per_second))]
    fn set_rate_limit(&self, per_second: Option<i64>) -> PyResult<()> {
        self.state.set_rate_limit(requests_per_second(per_second)?);
        Ok(())
    }

    fn stop(&self, py: Python<'_>) {
        let running = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(emulator) = running {
            py.detach(|| emulator.shutdown());
        }
    }
}
