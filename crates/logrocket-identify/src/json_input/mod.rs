//! The identify input as JSON: `{"user_id", "name", "email", "timestamp", "traits", "unset"}`.
//!
//! This one form serves the CLI's JSON Lines import, the C and Go bindings (which pass JSON across
//! the boundary) and the conformance vectors, so its rules live here once. `fast.rs` reads the
//! common shapes of it without a `serde_json::Value` tree, agreeing with the rules here.

mod fast;

use serde_json::{Map, Value};

use crate::error::ValidationError;
use crate::limits::MSG_USER_ID_REQUIRED;
use crate::request::IdentifyRequest;
use crate::trait_value::TraitValue;

impl IdentifyRequest {
    /// Parses the JSON input form. Unknown keys are rejected, so a typo such as `"trait"` is
    /// reported instead of silently sending nothing. Trait values may also be the markers
    /// `{"$float": "NaN" | "Infinity" | "-Infinity"}` and `{"$bigint": "<digits>"}` for values
    /// that JSON cannot carry; any other object or array is an unsupported value.
    pub fn from_json_value(input: &Value) -> Result<Self, ValidationError> {
        let Some(object) = input.as_object() else {
            return Err(malformed("input", "the input must be a JSON object"));
        };
        let mut request = IdentifyRequest::new(required_string(object, "user_id")?);
        for (key, value) in object {
            match key.as_str() {
                "user_id" => {}
                "name" => request.name = optional_string(value, "name")?,
                "email" => request.email = optional_string(value, "email")?,
                "timestamp" => request.timestamp_ms = timestamp(value)?,
                "traits" => traits(value, &mut request)?,
                "unset" => unset(value, &mut request)?,
                other => {
                    return Err(malformed(
                        other,
                        "unknown key; expected user_id, name, email, timestamp, traits or unset",
                    ));
                }
            }
        }
        Ok(request)
    }

    /// Parses one JSON document in the input form, by the same rules as
    /// [`IdentifyRequest::from_json_value`].
    pub fn from_json_str(input: &str) -> Result<Self, ValidationError> {
        match fast::read(input) {
            Some(request) => Ok(request),
            None => read_through_value(input),
        }
    }

    /// The fast reader's and the general reader's answers, each on its own (`None`: the fast
    /// reader gave up), for the differential fuzz target `fuzz/fuzz_targets/json_input.rs`,
    /// which checks that they agree. Not part of the API.
    #[doc(hidden)]
    pub fn from_json_str_by_each_reader(
        input: &str,
    ) -> (Option<Self>, Result<Self, ValidationError>) {
        (fast::read(input), read_through_value(input))
    }
}

/// The general reader: any JSON, as a `Value`, judged by `from_json_value`.
fn read_through_value(input: &str) -> Result<IdentifyRequest, ValidationError> {
    let value: Value = serde_json::from_str(input)
        .map_err(|e| malformed("input", format!("not valid JSON: {e}")))?;
    IdentifyRequest::from_json_value(&value)
}

fn malformed(field: &str, detail: impl Into<String>) -> ValidationError {
    ValidationError::malformed(field, detail)
}

fn required_string(object: &Map<String, Value>, key: &str) -> Result<String, ValidationError> {
    match object.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        None | Some(Value::Null) => Err(ValidationError::new(key, MSG_USER_ID_REQUIRED)),
        _ => Err(malformed(key, format!("{key} must be a string"))),
    }
}

fn optional_string(value: &Value, key: &str) -> Result<Option<String>, ValidationError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(malformed(key, format!("{key} must be a string or null"))),
    }
}

fn timestamp(value: &Value) -> Result<Option<i64>, ValidationError> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => n.as_i64().map(Some).ok_or_else(|| {
            malformed(
                "timestamp",
                "timestamp must be an integer count of Unix milliseconds",
            )
        }),
        _ => Err(malformed(
            "timestamp",
            "timestamp must be an integer count of Unix milliseconds",
        )),
    }
}

fn traits(value: &Value, request: &mut IdentifyRequest) -> Result<(), ValidationError> {
    let object = match value {
        Value::Null => return Ok(()),
        Value::Object(object) => object,
        _ => return Err(malformed("traits", "traits must be an object")),
    };
    for (key, value) in object {
        request.traits.insert(key.clone(), trait_value(value));
    }
    Ok(())
}

fn trait_value(value: &Value) -> TraitValue {
    match value {
        Value::Null => TraitValue::Remove,
        Value::Bool(b) => TraitValue::Bool(*b),
        Value::String(s) => TraitValue::String(s.clone()),
        Value::Number(n) => match n.as_i64() {
            Some(i) => TraitValue::Integer(i),
            None => match n.as_u64() {
                Some(u) => TraitValue::from(u),
                None => TraitValue::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
        },
        Value::Object(object) => {
            marker(object).unwrap_or_else(|| TraitValue::Unsupported("an object".into()))
        }
        Value::Array(_) => TraitValue::Unsupported("an array".into()),
    }
}

fn marker(object: &Map<String, Value>) -> Option<TraitValue> {
    if object.len() != 1 {
        return None;
    }
    if let Some(Value::String(text)) = object.get("$float") {
        return match text.as_str() {
            "NaN" => Some(TraitValue::Float(f64::NAN)),
            "Infinity" => Some(TraitValue::Float(f64::INFINITY)),
            "-Infinity" => Some(TraitValue::Float(f64::NEG_INFINITY)),
            _ => None,
        };
    }
    if let Some(Value::String(digits)) = object.get("$bigint") {
        let sign = usize::from(digits.starts_with('-'));
        let is_integer = digits.len() > sign && digits[sign..].bytes().all(|b| b.is_ascii_digit());
        return is_integer.then(|| TraitValue::big_integer(digits.clone()));
    }
    None
}

fn unset(value: &Value, request: &mut IdentifyRequest) -> Result<(), ValidationError> {
    let Value::Array(keys) = value else {
        return Err(malformed("unset", "unset must be a list of trait names"));
    };
    for key in keys {
        let Value::String(key) = key else {
            return Err(malformed("unset", "unset must be a list of trait names"));
        };
        request.traits.insert(key.clone(), TraitValue::Remove);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::limits::MSG_MALFORMED;
    use serde_json::json;

    fn error_of(input: Value) -> (String, String) {
        let e = IdentifyRequest::from_json_value(&input).unwrap_err();
        (e.field, e.message)
    }

    #[test]
    fn unknown_keys_and_wrong_shapes_are_named() {
        assert_eq!(error_of(json!({"user_id": "u", "trait": {}})).0, "trait");
        assert_eq!(
            error_of(json!({"name": "x"})),
            ("user_id".into(), MSG_USER_ID_REQUIRED.into())
        );
        assert_eq!(
            error_of(json!({"user_id": "u", "timestamp": 1.5})).0,
            "timestamp"
        );
        assert_eq!(error_of(json!({"user_id": "u", "traits": [1]})).0, "traits");
        assert_eq!(
            error_of(json!({"user_id": "u", "unset": "plan"})).0,
            "unset"
        );
        assert_eq!(error_of(json!(["u"])).0, "input");
    }

    #[test]
    fn values_and_markers_become_trait_values() {
        let request = IdentifyRequest::from_json_value(&json!({
            "user_id": 42,
            "traits": {"a": 1, "b": 2.5, "c": true, "d": null, "e": {"$bigint": "-123456789012345678901234"},
                       "f": {"$float": "NaN"}, "g": {"x": 1}, "h": [1]},
            "unset": ["z"],
        }))
        .unwrap();
        assert_eq!(request.user_id, "42");
        let t = &request.traits;
        assert_eq!(t["a"], TraitValue::Integer(1));
        assert_eq!(t["b"], TraitValue::Float(2.5));
        assert_eq!(t["c"], TraitValue::Bool(true));
        assert_eq!(t["d"], TraitValue::Remove);
        assert_eq!(
            t["e"],
            TraitValue::String("-123456789012345678901234".into())
        );
        assert!(matches!(t["f"], TraitValue::Float(f) if f.is_nan()));
        assert_eq!(t["g"], TraitValue::Unsupported("an object".into()));
        assert_eq!(t["h"], TraitValue::Unsupported("an array".into()));
        assert_eq!(t["z"], TraitValue::Remove);
        let error = request.validate().unwrap_err();
        assert_eq!(
            (error.field.as_str(), error.message.as_str()),
            ("traits.f", MSG_MALFORMED)
        );
    }
}
