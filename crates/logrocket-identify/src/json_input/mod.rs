//! The identify input as JSON: `{"user_id", "name", "email", "timestamp", "traits", "unset"}`.
//!
//! This one form serves the CLI's JSON Lines import, the C and Go bindings (which pass JSON across
//! the boundary) and the conformance vectors, so its rules live here once. `fast.rs` reads the
//! common shapes of it without a `serde_json::Value` tree, agreeing with the rules here.
//! `by_field.rs` reads, by the same rules, the JSON that a `Value` cannot hold (nesting past
//! serde_json's recursion limit, a lone surrogate's escape), so that its errors name the field
//! holding the problem rather than the whole input.

mod by_field;
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

/// The general reader: any JSON, as a `Value`, judged by `from_json_value`. JSON that a `Value`
/// cannot hold (nesting past serde_json's recursion limit, a lone surrogate's escape) is read
/// field by field instead, so its error names the field as the JSON value reader's does for the
/// same input; only what is not JSON even so fails on the whole `input`.
fn read_through_value(input: &str) -> Result<IdentifyRequest, ValidationError> {
    match serde_json::from_str::<Value>(input) {
        Ok(value) => IdentifyRequest::from_json_value(&value),
        Err(error) => by_field::read(input)
            .unwrap_or_else(|| Err(malformed("input", format!("not valid JSON: {error}")))),
    }
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
    let keys = match value {
        // As for every other optional key, null is the key left out (the bindings' native
        // paths read a null or None `unset` so).
        Value::Null => return Ok(()),
        Value::Array(keys) => keys,
        _ => return Err(malformed("unset", "unset must be a list of trait names")),
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

    fn text_error(input: &str) -> (String, String, Option<String>) {
        let e = IdentifyRequest::from_json_str(input).unwrap_err();
        (e.field, e.message, e.detail)
    }

    /// `leaf` in `depth` arrays (`[leaf]`) or objects (`{"n": leaf}`), as JSON text.
    fn nested(kind: &str, depth: usize, leaf: &str) -> String {
        let (open, close) = if kind == "array" {
            ("[", "]")
        } else {
            ("{\"n\":", "}")
        };
        format!("{}{leaf}{}", open.repeat(depth), close.repeat(depth))
    }

    /// The same as a `Value`, built without recursion.
    fn nested_value(kind: &str, depth: usize, leaf: Value) -> Value {
        (0..depth).fold(leaf, |inner, _| {
            if kind == "array" {
                Value::Array(vec![inner])
            } else {
                let mut object = Map::new();
                object.insert("n".into(), inner);
                Value::Object(object)
            }
        })
    }

    /// Drops a value without recursing on its depth.
    fn drop_deep(value: Value) {
        let mut stack = vec![value];
        while let Some(mut value) = stack.pop() {
            match &mut value {
                Value::Array(items) => stack.append(items),
                Value::Object(object) => stack.extend(std::mem::take(object).into_values()),
                _ => {}
            }
        }
    }

    #[test]
    fn deep_values_in_text_read_as_the_value_reader_reads_them() {
        // Each input with `DEEP` in some field, as text and as a value, past serde_json's
        // recursion limit of 128 and below it: the answers must be the same.
        let shapes = [
            r#"{"user_id": "u", "traits": {"a": "x", "deep": DEEP, "z": 1}}"#,
            r#"{"user_id": "u", "traits": {"m": {"$float": DEEP}}}"#,
            r#"{"user_id": "u", "traits": {"m": {"$bigint": DEEP}}}"#,
            r#"{"user_id": "u", "name": DEEP}"#,
            r#"{"user_id": "u", "email": DEEP}"#,
            r#"{"user_id": DEEP}"#,
            r#"{"user_id": "u", "timestamp": DEEP}"#,
            r#"{"user_id": "u", "traits": DEEP}"#,
            r#"{"user_id": "u", "unset": [DEEP]}"#,
            r#"{"user_id": "u", "unset": DEEP}"#,
            r#"{"user_id": "u", "other": DEEP}"#,
            r#"{"name": DEEP}"#,
        ];
        for shape in shapes {
            for kind in ["array", "object"] {
                for depth in [1, 2, 3, 126, 127, 128, 129, 1000, 100_000] {
                    let text = shape.replace("DEEP", &nested(kind, depth, r#""1""#));
                    let value: Value =
                        serde_json::from_str(&shape.replace("DEEP", "null")).unwrap();
                    let value = replace_null(value, nested_value(kind, depth, json!("1")));
                    let by_text = format!("{:?}", IdentifyRequest::from_json_str(&text));
                    let by_value = format!("{:?}", IdentifyRequest::from_json_value(&value));
                    drop_deep(value);
                    assert_eq!(by_text, by_value, "{kind} {depth} in {shape}");
                    assert!(
                        !by_text.contains("not valid JSON"),
                        "{kind} {depth} in {shape}: {by_text}"
                    );
                }
            }
        }
        // Not an object at all, however deep.
        assert_eq!(text_error(&nested("array", 100_000, "1")).0, "input");
        assert_eq!(
            text_error(&nested("array", 100_000, "1")).2.as_deref(),
            Some("the input must be a JSON object")
        );
    }

    /// `value` with its one `null` (at any depth) replaced by `with`.
    fn replace_null(mut value: Value, with: Value) -> Value {
        let mut with = Some(with);
        let mut stack = vec![&mut value];
        while let Some(v) = stack.pop() {
            match v {
                Value::Null => *v = with.take().unwrap(),
                Value::Array(items) => stack.extend(items.iter_mut()),
                Value::Object(object) => stack.extend(object.values_mut()),
                _ => {}
            }
        }
        value
    }

    #[test]
    fn lone_surrogates_in_text_are_refused_on_the_field_holding_them() {
        let cases = [
            (r#"{"user_id": "\ud800"}"#, "user_id"),
            (r#"{"user_id": "a\udc00b"}"#, "user_id"),
            (r#"{"user_id": "u", "name": "A\ud83d"}"#, "name"),
            (r#"{"user_id": "u", "name": "\ude00\ud83d"}"#, "name"),
            (r#"{"user_id": "u", "name": "\ud83d\u0041"}"#, "name"),
            (r#"{"user_id": "u", "name": "\ud83d\n"}"#, "name"),
            (r#"{"user_id": "u", "email": "\udfff@x"}"#, "email"),
            (r#"{"user_id": "u", "timestamp": "\ud800"}"#, "timestamp"),
            (r#"{"user_id": "u", "traits": {"k\ud800": "v"}}"#, "traits"),
            (
                r#"{"user_id": "u", "traits": {"a": 1, "plan": "p\udbff"}}"#,
                "traits.plan",
            ),
            (
                r#"{"user_id": "u", "traits": {"plan": ["\udbff"]}}"#,
                "traits.plan",
            ),
            (r#"{"user_id": "u", "traits": ["\udbff"]}"#, "traits"),
            (r#"{"user_id": "u", "unset": ["\udc00"]}"#, "traits"),
            (r#"{"user_id": "u", "other": "\udc00"}"#, "other"),
            (r#"{"user_id": "u", "k\udc00": 1}"#, "input"),
            // Before any other error, in the order the fields are checked.
            (r#"{"name": "\ud800"}"#, "name"),
            (r#"{"user_id": "u", "name": 5, "email": "\ud800"}"#, "email"),
            (
                r#"{"traits": {"a": "\ud800"}, "user_id": "u", "name": "\ud800"}"#,
                "name",
            ),
        ];
        for (input, field) in cases {
            let (got_field, message, detail) = text_error(input);
            assert_eq!(
                (got_field.as_str(), message.as_str()),
                (field, crate::limits::MSG_MALFORMED),
                "{input}"
            );
            assert!(detail.unwrap().contains("lone surrogate"), "{input}");
        }
        // Escapes that are no lone surrogate: a pair, an escaped backslash before "u".
        let request = IdentifyRequest::from_json_str(
            r#"{"user_id": "\ud83d\ude00", "name": "\\ud800", "traits": {"k": "v", "k": "\ud83d\ude00"}}"#,
        )
        .unwrap();
        assert_eq!(request.user_id, "\u{1F600}");
        assert_eq!(request.name.as_deref(), Some("\\ud800"));
        // Of a repeated key, the last value counts, as a `Value` keeps it.
        let request = IdentifyRequest::from_json_str(
            r#"{"user_id": "\ud800", "user_id": "u", "traits": {"k": "\ud800", "k": 1}}"#,
        )
        .unwrap();
        assert_eq!(request.user_id, "u");
        assert_eq!(request.traits["k"], TraitValue::Integer(1));
    }

    #[test]
    fn text_that_is_not_json_fails_on_the_input() {
        for input in [
            "",
            "{",
            r#"{"user_id": "u"} x"#,
            r#"{"user_id": "u", "timestamp": 1e400}"#,
            r#"{"user_id": "\ud800", "name": "\x"}"#,
        ] {
            let (field, _, detail) = text_error(input);
            assert_eq!(field, "input", "{input}");
            assert!(detail.unwrap().starts_with("not valid JSON: "), "{input}");
        }
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
