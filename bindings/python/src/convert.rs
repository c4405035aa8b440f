//! Python arguments to an `IdentifyRequest`, and a `User` back to Python.
//!
//! Only types are decided here; every rule about values (limits, NaN, nested values, empty user
//! id) is the core's, so a wrong value reaches the core as is (`TraitValue::Unsupported` for a
//! type the API cannot hold) and comes back with the API's own message.

use std::collections::BTreeMap;

use logrocket_identify::limits::{MAX_CHARS, MSG_TRAIT_VALUE_TOO_LARGE, MSG_USER_ID_REQUIRED};
use logrocket_identify::{IdentifyRequest, TraitValue, User, ValidationError};
use pyo3::exceptions::{PyOverflowError, PyTypeError, PyUnicodeEncodeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDateTime, PyDict, PyFloat, PyInt, PyMapping, PyString};

/// Why arguments could not become a request.
#[derive(Debug)]
pub enum Rejected {
    /// An exception raised by the caller's own objects while they were read (a mapping whose
    /// `items()` fails, an iterator that raises): passed on as it is.
    Raised(PyErr),
    /// A value of the wrong Python type: raised as `WrongTypeError`, a `ValidationError` naming
    /// the field that is also a `TypeError`, as Python code expects of a wrong type.
    WrongType(ValidationError),
    /// A value of the right type the binding can already tell is invalid (a naive datetime, a
    /// str with a lone surrogate): a `ValidationError`.
    Invalid(ValidationError),
}

impl From<PyErr> for Rejected {
    fn from(error: PyErr) -> Self {
        Rejected::Raised(error)
    }
}

impl Rejected {
    /// As a Python exception, for a single call.
    pub fn into_py_err(self, py: Python<'_>) -> PyErr {
        match self {
            Rejected::Raised(error) => error,
            Rejected::WrongType(error) => crate::errors::wrong_type_to_py_err(py, error),
            Rejected::Invalid(error) => crate::errors::validation_to_py_err(py, error),
        }
    }

    /// As a core validation error, for a bulk row: reported with the row, never raised.
    pub fn into_validation(self, py: Python<'_>, field: &str) -> ValidationError {
        match self {
            Rejected::WrongType(error) | Rejected::Invalid(error) => error,
            Rejected::Raised(error) => {
                ValidationError::malformed(field, error.value(py).to_string())
            }
        }
    }
}

fn wrong_type(field: &str, detail: String) -> Rejected {
    Rejected::WrongType(ValidationError::malformed(field, detail))
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
    if user_id.is_none() {
        // As the core reads a null id: a missing one.
        let missing = ValidationError::new("user_id", MSG_USER_ID_REQUIRED);
        return Err(("user_id".to_owned(), Rejected::WrongType(missing)));
    }
    let mut request = IdentifyRequest::new(at("user_id", string(user_id, "user_id", "user_id"))?);
    request.name = at("name", optional_string(args.name.as_ref(), "name"))?;
    request.email = at("email", optional_string(args.email.as_ref(), "email"))?;
    request.timestamp_ms = match args.timestamp.as_ref().filter(|t| !t.is_none()) {
        Some(timestamp) => Some(at("timestamp", timestamp_ms(timestamp))?),
        None => None,
    };
    if let Some(traits) = args.traits.as_ref().filter(|t| !t.is_none()) {
        if !at("traits", traits.hasattr("items"))? {
            let detail = format!(
                "traits must be a mapping of trait name to value, got {}",
                type_name(traits)
            );
            return Err(("traits".to_owned(), wrong_type("traits", detail)));
        }
        let items = at(
            "traits",
            traits.call_method0("items").and_then(|i| i.try_iter()),
        )?;
        for item in items {
            let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) =
                at("traits", item.and_then(|i| i.extract()))?;
            // A bad key is reported as `traits`, as a key too long to quote is.
            let key = at("traits", string(&key, "traits", "trait keys"))?;
            let field = format!("traits.{key}");
            let value = at(&field, trait_value(&value, &field))?;
            request.traits.insert(key, value);
        }
    }
    if let Some(unset) = args.unset.as_ref().filter(|u| !u.is_none()) {
        let not_a_list = |what: String| {
            let detail = format!("unset must be a list of trait names, {what}");
            ("unset".to_owned(), wrong_type("unset", detail))
        };
        if unset.is_instance_of::<PyString>() {
            return Err(not_a_list("not a single str".to_owned()));
        }
        if unset.cast::<PyMapping>().is_ok() {
            return Err(not_a_list(format!("not a mapping ({})", type_name(unset))));
        }
        let keys = match unset.try_iter() {
            Ok(keys) => keys,
            Err(e) if e.is_instance_of::<PyTypeError>(unset.py()) => {
                return Err(not_a_list(format!("got {}", type_name(unset))));
            }
            Err(e) => return Err(("unset".to_owned(), Rejected::Raised(e))),
        };
        for key in keys {
            let key = at("unset", key)?;
            if !key.is_instance_of::<PyString>() {
                let detail = format!("unset entries must be str, got {}", type_name(&key));
                return Err(("unset".to_owned(), wrong_type("unset", detail)));
            }
            // A name to unset is a trait key: text it cannot send is reported as `traits`.
            let key = at("traits", string(&key, "traits", "unset entries"))?;
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
            Rejected::Raised(PyTypeError::new_err(format!(
                "each row must be a dict with user_id and optional name, email, timestamp, \
                 traits, unset; got {what}"
            ))),
        )
    })?;
    let fail = |e: PyErr| ("input".to_owned(), Rejected::Raised(e));
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
                let detail = format!(
                    "unknown key {other:?}; expected user_id, name, email, timestamp, traits \
                     or unset"
                );
                return Err((other.to_owned(), wrong_type(other, detail)));
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

/// A `str` as UTF-8. `field` is where an error is reported, `what` how the message names it.
fn string(value: &Bound<'_, PyAny>, field: &str, what: &str) -> Result<String, Rejected> {
    let Ok(s) = value.cast::<PyString>() else {
        let detail = format!("{what} must be str, got {}", type_name(value));
        return Err(wrong_type(field, detail));
    };
    match s.to_cow() {
        Ok(text) => Ok(text.into_owned()),
        // The one str UTF-8 cannot encode: one holding a lone surrogate, as decoding bytes that
        // are not UTF-8 with errors="surrogateescape" (os.fsdecode, sys.argv) makes.
        Err(e) if e.is_instance_of::<PyUnicodeEncodeError>(value.py()) => {
            Err(Rejected::Invalid(ValidationError::malformed(
                field,
                format!(
                    "{what} must be valid Unicode text: this str holds a lone surrogate \
                     (U+D800 to U+DFFF), which has no UTF-8 form (as made by decoding bytes \
                     that are not UTF-8 with errors=\"surrogateescape\")"
                ),
            )))
        }
        Err(e) => Err(Rejected::Raised(e)),
    }
}

fn optional_string(
    value: Option<&Bound<'_, PyAny>>,
    what: &str,
) -> Result<Option<String>, Rejected> {
    match value.filter(|v| !v.is_none()) {
        Some(value) => string(value, what, what).map(Some),
        None => Ok(None),
    }
}

fn trait_value(value: &Bound<'_, PyAny>, field: &str) -> Result<TraitValue, Rejected> {
    if value.is_none() {
        return Ok(TraitValue::Remove);
    }
    if value.is_instance_of::<PyString>() {
        return string(value, field, "trait values").map(TraitValue::String);
    }
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(TraitValue::Bool(b.is_true()));
    }
    if value.is_instance_of::<PyInt>() {
        return match value.extract::<i64>() {
            Ok(i) => Ok(TraitValue::Integer(i)),
            Err(e) if e.is_instance_of::<PyOverflowError>(value.py()) => match value.str() {
                Ok(digits) => Ok(TraitValue::big_integer(digits.to_cow()?)),
                // Past Python's limit on int-to-str conversion (4300 digits by default): far
                // more than the 1024 characters a trait value may have, so the core's answer
                // is known without the digits.
                Err(e)
                    if e.is_instance_of::<PyValueError>(value.py())
                        && value
                            .call_method0("bit_length")?
                            .extract::<u64>()
                            .is_ok_and(|bits| bits * 3 / 10 > MAX_CHARS as u64) =>
                {
                    Err(Rejected::Invalid(ValidationError::new(
                        field,
                        MSG_TRAIT_VALUE_TOO_LARGE,
                    )))
                }
                Err(e) => Err(e.into()),
            },
            Err(e) => Err(e.into()),
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
    Err(wrong_type(
        "timestamp",
        format!(
            "timestamp must be int Unix milliseconds or an aware datetime, got {}",
            type_name(value)
        ),
    ))
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
