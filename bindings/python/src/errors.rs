//! Core errors as instances of the Python classes in `logrocket_identify._errors`.

use logrocket_identify::{Error, ValidationError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};

const MODULE: &str = "logrocket_identify._errors";

static VALIDATION: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static WRONG_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
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

/// A validation error for an argument of the wrong Python type: `WrongTypeError`, which is both
/// a `ValidationError` and a `TypeError`.
pub fn wrong_type_to_py_err(py: Python<'_>, error: ValidationError) -> PyErr {
    let make = || -> PyResult<PyErr> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("text", Error::Validation(error.clone()).to_string())?;
        let value = WRONG_TYPE.import(py, MODULE, "WrongTypeError")?.call(
            (
                error.message.clone(),
                error.field.clone(),
                error.detail.clone(),
            ),
            Some(&kwargs),
        )?;
        Ok(PyErr::from_value(value))
    };
    make().unwrap_or_else(|failure| failure)
}

fn instance(py: Python<'_>, error: Error) -> PyResult<PyErr> {
    // `str()` of every exception is the core's whole text, as in every other language.
    let kwargs = PyDict::new(py);
    kwargs.set_item("text", error.to_string())?;
    let kwargs = Some(&kwargs);
    let value = match error {
        Error::Validation(v) => VALIDATION
            .import(py, MODULE, "ValidationError")?
            .call((v.message, v.field, v.detail), kwargs)?,
        Error::Api {
            status,
            message,
            retryable,
        } => API
            .import(py, MODULE, "ApiError")?
            .call((message, status, retryable), kwargs)?,
        Error::Transport { reason, message } => TRANSPORT
            .import(py, MODULE, "TransportError")?
            .call((message, reason.as_str()), kwargs)?,
        timeout @ Error::Timeout { .. } => TIMEOUT
            .import(py, MODULE, "TimeoutError")?
            .call((timeout.message(),), kwargs)?,
        Error::Config(message) => CONFIG
            .import(py, MODULE, "ConfigError")?
            .call((message,), kwargs)?,
        Error::QueueFull(message) => QUEUE_FULL
            .import(py, MODULE, "QueueFullError")?
            .call((message,), kwargs)?,
        Error::Closed(message) => CLOSED
            .import(py, MODULE, "ClosedError")?
            .call((message,), kwargs)?,
    };
    Ok(PyErr::from_value(value))
}
