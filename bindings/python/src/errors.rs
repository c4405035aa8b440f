//! Core errors as instances of the Python classes in `logrocket_identify._errors`.

use logrocket_identify::{Error, ValidationError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

const MODULE: &str = "logrocket_identify._errors";

static VALIDATION: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static API: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TRANSPORT: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TIMEOUT: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static CONFIG: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static QUEUE_FULL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static CLOSED: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// The Python exception for a core error. If the class itself cannot be had (the package is
/// half installed), that failure is what is raised.
pub fn to_py_err(py: Python<'_>, error: Error) -> PyErr {
    instance(py, error).unwrap_or_else(|failure| failure)
}

pub fn validation_to_py_err(py: Python<'_>, error: ValidationError) -> PyErr {
    to_py_err(py, Error::Validation(error))
}

fn instance(py: Python<'_>, error: Error) -> PyResult<PyErr> {
    let value = match error {
        Error::Validation(v) => VALIDATION
            .import(py, MODULE, "ValidationError")?
            .call1((v.message, v.field, v.detail))?,
        Error::Api {
            status,
            message,
            retryable,
        } => API
            .import(py, MODULE, "ApiError")?
            .call1((message, status, retryable))?,
        Error::Transport { message } => TRANSPORT
            .import(py, MODULE, "TransportError")?
            .call1((message,))?,
        timeout @ Error::Timeout { .. } => TIMEOUT
            .import(py, MODULE, "TimeoutError")?
            .call1((timeout.message(),))?,
        Error::Config(message) => CONFIG
            .import(py, MODULE, "ConfigError")?
            .call1((message,))?,
        Error::QueueFull(message) => QUEUE_FULL
            .import(py, MODULE, "QueueFullError")?
            .call1((message,))?,
        Error::Closed(message) => CLOSED
            .import(py, MODULE, "ClosedError")?
            .call1((message,))?,
    };
    Ok(PyErr::from_value(value))
}
