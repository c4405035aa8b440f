//! Python arguments to an `IdentifyRequest`, and a `User` back to Python.
//!
//! Only types are decided here; every rule about values (limits, NaN, nested values, empty user
//! id) is the core's, so a wrong value reaches the core as is (`TraitValue::Unsupported` for a
//! type the API cannot hold) and comes back with the API's own message.

use std::collections::BTreeMap;

use logrocket_identify::{IdentifyRequest, TraitValue, User, ValidationError};
use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDateTime, PyDict, PyFloat, PyInt, PyString};

/// Why arguments could not become a request: the wrong Python type (a `TypeError`), or a value
/// the binding can already tell is invalid (a naive datetime).
#[derive(Debug)]
pub enum Rejected {
    Type(PyErr),
    Invalid(ValidationError),
}

impl From<PyErr> for Rejected {
    fn from(error: PyErr) -> Self {
        Rejected::Type(error)
    }
}

impl Rejected {
    /// As a Python exception, for a single call.
    pub fn into_py_err(self, py: Python<'_>) -> PyErr {
        match self {
            Rejected::Type(error) => error,
            Rejected::Invalid(error) => crate::errors::validation_to_py_err(py, error),
        }
    }

    /// As a core validation error, for a bulk row: reported with the row, never raised.
    pub fn into_validation(self, py: Python<'_>, field: &str) -> ValidationError {
        match self {
            Rejected::Invalid(error) => error,
            Rejected::Type(error) => ValidationError::malformed(field, error.value(py).to_string()),
        }
    }
}

/// The keyword arguments of `identify` and `validate`, still as Python objects.
#[derive(Debug, Default)]
pub struct Args<'py> {
    pub name: Option<Bound<'py, PyAny>>,
    pub email: Option<Bound<'py, PyAny>>,
    pub timestamp: Option<Bound<'py, PyAny>>,
    pub traits: Option<Bound<'py, PyAny>>,
    pub unset: Option<Bound<'py, PyAny>>,
}

/// The request the arguments make, or the field that was wrong and why.
pub fn request(
    user_id: &Bound<'_, PyAny>,
    args: Args<'_>,
) -> Result<IdentifyRequest, (String, Rejected)> {
    // Names the field a conversion error belongs to, so a bulk row reports it as a single
    // call's exception would have said it.
    fn at<T, E: Into<Rejected>>(
        field: &str,
        result: Result<T, E>,
    ) -> Result<T, (String, Rejected)> {
        result.map_err(|e| (field.to_owned(), e.into()))
    }
    let mut request = IdentifyRequest::new(at("user_id", string(user_id, "user_id"))?);
    request.name = at("name", optional_string(args.name.as_ref(), "name"))?;
    request.email = at("email", optional_string(args.email.as_ref(), "email"))?;
    request.timestamp_ms = match args.timestamp.as_ref().filter(|t| !t.is_none()) {
        Some(timestamp) => Some(at("timestamp", timestamp_ms(timestamp))?),
        None => None,
    };
    if let Some(traits) = args.traits.as_ref().filter(|t| !t.is_none()) {
        for item in at(
            "traits",
            traits.call_method0("items").and_then(|i| i.try_iter()),
        )? {
            let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) =
                at("traits", item.and_then(|i| i.extract()))?;
            let key = at("traits", string(&key, "trait keys"))?;
            let value = at(&format!("traits.{key}"), trait_value(&value))?;
            request.traits.insert(key, value);
        }
    }
    if let Some(unset) = args.unset.as_ref().filter(|u| !u.is_none()) {
        if unset.is_instance_of::<PyString>() {
            return Err((
                "unset".to_owned(),
                PyTypeError::new_err("unset must be a list of trait names, not a single str")
                    .into(),
            ));
        }
        for key in at("unset", unset.try_iter())? {
            let key = at("unset", key.and_then(|k| string(&k, "unset entries")))?;
            request.traits.insert(key, TraitValue::Remove);
        }
    }
    Ok(request)
}

/// One row of `identify_many`: a mapping with the keyword arguments of `identify`.
pub fn row(row: &Bound<'_, PyAny>) -> Result<IdentifyRequest, (String, Rejected)> {
    let dict = row.cast::<PyDict>().map_err(|_| {
        let what = type_name(row);
        (
            "input".to_owned(),
            Rejected::Type(PyTypeError::new_err(format!(
                "each row must be a dict with user_id and optional name, email, timestamp, \
                 traits, unset; got {what}"
            ))),
        )
    })?;
    let fail = |e: PyErr| ("input".to_owned(), Rejected::Type(e));
    let mut args = Args::default();
    let mut user_id = None;
    for (key, value) in dict.iter() {
        let key: String = key.extract().map_err(|_| {
            fail(PyTypeError::new_err(format!(
                "row keys must be str, got {}",
                type_name(&key)
            )))
        })?;
        match key.as_str() {
            "user_id" => user_id = Some(value),
            "name" => args.name = Some(value),
            "email" => args.email = Some(value),
            "timestamp" => args.timestamp = Some(value),
            "traits" => args.traits = Some(value),
            "unset" => args.unset = Some(value),
            other => {
                return Err((
                    other.to_owned(),
                    Rejected::Type(PyTypeError::new_err(format!(
                        "unknown key {other:?}; expected user_id, name, email, timestamp, \
                         traits or unset"
                    ))),
                ));
            }
        }
    }
    let Some(user_id) = user_id else {
        return Ok(IdentifyRequest::new(""));
    };
    request(&user_id, args)
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .qualname()
        .map_or_else(|_| "object".to_owned(), |name| name.to_string())
}

fn string(value: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    match value.cast::<PyString>() {
        Ok(s) => Ok(s.to_str()?.to_owned()),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{what} must be str, got {}",
            type_name(value)
        ))),
    }
}

fn optional_string(value: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Option<String>> {
    match value.filter(|v| !v.is_none()) {
        Some(value) => string(value, what).map(Some),
        None => Ok(None),
    }
}

fn trait_value(value: &Bound<'_, PyAny>) -> PyResult<TraitValue> {
    if value.is_none() {
        return Ok(TraitValue::Remove);
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(TraitValue::String(s.to_str()?.to_owned()));
    }
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(TraitValue::Bool(b.is_true()));
    }
    if value.is_instance_of::<PyInt>() {
        return match value.extract::<i64>() {
            Ok(i) => Ok(TraitValue::Integer(i)),
            Err(e) if e.is_instance_of::<PyOverflowError>(value.py()) => {
                Ok(TraitValue::big_integer(value.str()?.to_str()?))
            }
            Err(e) => Err(e),
        };
    }
    if let Ok(f) = value.cast::<PyFloat>() {
        return Ok(TraitValue::Float(f.value()));
    }
    Ok(TraitValue::Unsupported(type_name(value)))
}

static EPOCH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static ONE_MS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn timestamp_ms(value: &Bound<'_, PyAny>) -> Result<i64, Rejected> {
    let py = value.py();
    if value.is_instance_of::<PyDateTime>() {
        if value.call_method0("utcoffset")?.is_none() {
            return Err(Rejected::Invalid(ValidationError::malformed(
                "timestamp",
                "naive datetime: its time zone is unknown, so the instant is ambiguous; \
                     pass an aware datetime such as datetime.now(timezone.utc)",
            )));
        }
        let epoch = EPOCH.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            let datetime = py.import("datetime")?;
            let utc = datetime.getattr("timezone")?.getattr("utc")?;
            Ok(datetime
                .getattr("datetime")?
                .call1((1970, 1, 1, 0, 0, 0, 0, utc))?
                .unbind())
        })?;
        let one_ms = ONE_MS.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            let datetime = py.import("datetime")?;
            let delta = datetime.getattr("timedelta")?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("milliseconds", 1)?;
            Ok(delta.call((), Some(&kwargs))?.unbind())
        })?;
        let ms = value.sub(epoch.bind(py))?.floor_div(one_ms.bind(py))?;
        return ms.extract::<i64>().map_err(Rejected::from);
    }
    if value.is_instance_of::<PyInt>() && !value.is_instance_of::<PyBool>() {
        return value.extract::<i64>().map_err(|_| {
            Rejected::Invalid(ValidationError::malformed(
                "timestamp",
                "the timestamp does not fit in 64-bit Unix milliseconds",
            ))
        });
    }
    Err(PyTypeError::new_err(format!(
        "timestamp must be int Unix milliseconds or an aware datetime, got {}",
        type_name(value)
    ))
    .into())
}

/// The user as the API stored it. Trait values are strings, as the API returns them.
#[pyclass(frozen, module = "logrocket_identify", name = "User")]
#[derive(Debug)]
pub struct PyUser {
    #[pyo3(get)]
    user_id: String,
    #[pyo3(get)]
    name: Option<String>,
    #[pyo3(get)]
    email: Option<String>,
    #[pyo3(get)]
    traits: BTreeMap<String, String>,
}

impl From<User> for PyUser {
    fn from(user: User) -> Self {
        PyUser {
            user_id: user.user_id,
            name: user.name,
            email: user.email,
            traits: user.traits,
        }
    }
}

#[pymethods]
impl PyUser {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let fields = (&self.user_id, &self.name, &self.email, &self.traits).into_pyobject(py)?;
        let repr = |i: usize| -> PyResult<String> { Ok(fields.get_item(i)?.repr()?.to_string()) };
        Ok(format!(
            "User(user_id={}, name={}, email={}, traits={})",
            repr(0)?,
            repr(1)?,
            repr(2)?,
            repr(3)?
        ))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PyUser>().is_ok_and(|other| {
            let other = other.get();
            self.user_id == other.user_id
                && self.name == other.name
                && self.email == other.email
                && self.traits == other.traits
        })
    }
}
