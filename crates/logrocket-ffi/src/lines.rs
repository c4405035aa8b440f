//! Reading a buffer of JSON Lines (one identify input a line) into requests, for
//! `lr_client_identify_many_json`.
//!
//! The core's reader (`IdentifyRequest::from_json_str`) goes through a `serde_json::Value` and
//! then converts it; for a bulk call that is an allocation per key and per string twice over, on
//! the thread that also drives the requests. Here a line is first read straight into the
//! request's own fields. That fast reader accepts only the common shapes (string `user_id`;
//! string or null `name`/`email`; integer or null `timestamp`; traits holding null, booleans,
//! numbers and strings; a list of names in `unset`) and gives up on anything else; the line then
//! goes through the core's reader, which decides it, with the core's own messages. So the result
//! is always the core's: the fast reader only ever agrees with it, sooner (see the tests).

use std::collections::BTreeMap;
use std::fmt;

use logrocket_identify::{IdentifyRequest, TraitValue};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::error::lr_error;

/// The lines of `buffer`: split at `\n`, where a final `\n` ends the last line rather than
/// starting an empty one. Every other line is an input, blank ones included, so that an input's
/// index is its line number counting from 0.
pub(crate) fn lines(buffer: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = buffer.strip_suffix(b"\n").unwrap_or(buffer);
    let mut parts = body.split(|&b| b == b'\n');
    // An empty buffer holds no line (split would yield one empty part).
    if buffer.is_empty() {
        parts.next();
    }
    parts
}

/// A line that could not become a request: why, and its user id when the line says it.
#[derive(Debug)]
pub(crate) struct BadLine {
    pub(crate) user_id: String,
    pub(crate) error: LineError,
}

/// Why a line was refused: not UTF-8 (an invalid argument, as for every string given to this
/// library), or not the input form (the core's validation error).
#[derive(Debug)]
pub(crate) enum LineError {
    NotUtf8(std::str::Utf8Error),
    Invalid(logrocket_identify::ValidationError),
}

impl LineError {
    pub(crate) fn into_error(self, argument: &str) -> lr_error {
        match self {
            LineError::NotUtf8(e) => {
                lr_error::invalid_argument(argument, format!("the line is not valid UTF-8 ({e})"))
            }
            LineError::Invalid(e) => e.into(),
        }
    }
}

/// Reads one line in the JSON input form, exactly as `IdentifyRequest::from_json_str` would.
pub(crate) fn parse_line(line: &[u8]) -> Result<IdentifyRequest, BadLine> {
    let text = std::str::from_utf8(line).map_err(|e| BadLine {
        user_id: String::new(),
        error: LineError::NotUtf8(e),
    })?;
    if let Ok(FastLine(input)) = serde_json::from_str::<FastLine>(text) {
        return Ok(input.into_request());
    }
    match serde_json::from_str::<Value>(text) {
        Ok(value) => IdentifyRequest::from_json_value(&value).map_err(|e| BadLine {
            user_id: user_id_of(&value),
            error: LineError::Invalid(e),
        }),
        // Not JSON: the core words the error.
        Err(_) => IdentifyRequest::from_json_str(text).map_err(|e| BadLine {
            user_id: String::new(),
            error: LineError::Invalid(e),
        }),
    }
}

/// The user id a refused line names, as the core would read it, or "".
fn user_id_of(value: &Value) -> String {
    match value.get("user_id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// A line holding an input object. Only an object: a derived struct would also take an array
/// of its fields in order, which the core refuses.
struct FastLine(FastInput);

impl<'de> Deserialize<'de> for FastLine {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LineVisitor;
        impl<'de> Visitor<'de> for LineVisitor {
            type Value = FastLine;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an input object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<FastLine, A::Error> {
                FastInput::deserialize(de::value::MapAccessDeserializer::new(map)).map(FastLine)
            }
        }
        deserializer.deserialize_map(LineVisitor)
    }
}

/// The common shape of an input. `unset` has no `Option`: the core refuses `"unset": null`, so
/// this reader must give up on it too.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FastInput {
    user_id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    timestamp: Option<i64>,
    #[serde(default)]
    traits: Option<FastTraits>,
    #[serde(default)]
    unset: Vec<String>,
}

impl FastInput {
    fn into_request(self) -> IdentifyRequest {
        let mut request = IdentifyRequest::new(self.user_id);
        request.name = self.name;
        request.email = self.email;
        request.timestamp_ms = self.timestamp;
        if let Some(FastTraits(traits)) = self.traits {
            request.traits = traits;
        }
        // After the traits, as the core applies them (its keys are read in sorted order).
        for key in self.unset {
            request.traits.insert(key, TraitValue::Remove);
        }
        request
    }
}

/// A traits object; a repeated key keeps its last value, as in the core.
struct FastTraits(BTreeMap<String, TraitValue>);

impl<'de> Deserialize<'de> for FastTraits {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TraitsVisitor;
        impl<'de> Visitor<'de> for TraitsVisitor {
            type Value = FastTraits;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of trait values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FastTraits, A::Error> {
                let mut traits = BTreeMap::new();
                while let Some((key, FastTrait(value))) = map.next_entry::<String, FastTrait>()? {
                    traits.insert(key, value);
                }
                Ok(FastTraits(traits))
            }
        }
        deserializer.deserialize_map(TraitsVisitor)
    }
}

/// A scalar trait value, converted as the core converts a JSON value. Objects and arrays (the
/// `$float`/`$bigint` markers, or values the API refuses) are left to the core's reader.
struct FastTrait(TraitValue);

impl<'de> Deserialize<'de> for FastTrait {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TraitVisitor;
        impl Visitor<'_> for TraitVisitor {
            type Value = FastTrait;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("null, a boolean, a number or a string")
            }
            fn visit_unit<E: de::Error>(self) -> Result<FastTrait, E> {
                Ok(FastTrait(TraitValue::Remove))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<FastTrait, E> {
                Ok(FastTrait(TraitValue::Bool(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<FastTrait, E> {
                Ok(FastTrait(TraitValue::Integer(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FastTrait, E> {
                // An integer when it fits, else its decimal string: the core's rule.
                Ok(FastTrait(TraitValue::from(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<FastTrait, E> {
                Ok(FastTrait(TraitValue::Float(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FastTrait, E> {
                Ok(FastTrait(TraitValue::String(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<FastTrait, E> {
                Ok(FastTrait(TraitValue::String(v)))
            }
        }
        deserializer.deserialize_any(TraitVisitor)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// What the core's own reader makes of a line: the request, or the error's field, message
    /// and detail, and the user id the line names.
    fn core(line: &str) -> Result<IdentifyRequest, (String, String, Option<String>)> {
        IdentifyRequest::from_json_str(line).map_err(|e| (e.field, e.message, e.detail))
    }

    fn ours(line: &str) -> Result<IdentifyRequest, (String, String, Option<String>)> {
        parse_line(line.as_bytes()).map_err(|bad| match bad.error {
            LineError::Invalid(e) => (e.field, e.message, e.detail),
            LineError::NotUtf8(e) => panic!("{line}: not UTF-8? {e}"),
        })
    }

    /// Requests compare NaN floats as unequal; compare their debug forms instead.
    fn same(
        a: &Result<IdentifyRequest, (String, String, Option<String>)>,
        b: &Result<IdentifyRequest, (String, String, Option<String>)>,
    ) -> bool {
        format!("{a:?}") == format!("{b:?}")
    }

    /// Lines the fast reader takes itself.
    const FAST_LINES: &[&str] = &[
        r#"{"user_id": "u"}"#,
        r#"{"user_id": "u", "name": "N", "email": "e@x", "timestamp": 1700000000000}"#,
        r#"{"user_id": "u", "name": null, "email": null, "timestamp": null, "traits": null}"#,
        r#"{"user_id": "u", "traits": {"a": 1, "b": -2, "c": 2.5, "d": true, "e": null, "f": "s", "g": ""}}"#,
        r#"{"user_id": "u", "traits": {"big": 18446744073709551615, "i64max": 9223372036854775807, "i64min": -9223372036854775808}}"#,
        r#"{"user_id": "u", "traits": {"huge": 123456789012345678901234567890, "neg": -123456789012345678901234567890}}"#,
        r#"{"user_id": "u", "traits": {"x": 1e3, "y": -0, "z": -0.0, "w": 1E-7, "v": 0.1}}"#,
        r#"{"user_id": "u", "traits": {"a": 1, "a": 2}}"#,
        r#"{"user_id": "u", "traits": {"a": 1}, "unset": ["a", "b"]}"#,
        r#"{"unset": ["a"], "traits": {"a": 1, "c": 3}, "user_id": "u"}"#,
        r#"{"user_id": "u", "unset": []}"#,
        r#"{"user_id": "esc \" \\ \n \u00e9 \ud83d\ude00 \u0000", "name": "tab\tname", "traits": {"k\"": "v\\"}}"#,
        r#"  {"user_id": "spaces"}  "#,
        "{\"user_id\": \"crlf\"}\r",
        r#"{"user_id": "é 😀"}"#,
    ];

    /// Lines the fast reader leaves to the core: other shapes, then errors.
    const OTHER_LINES: &[&str] = &[
        r#"{"user_id": 42}"#,
        r#"{"user_id": 4.5}"#,
        r#"{"user_id": "u", "traits": {"f": {"$float": "NaN"}, "g": {"$bigint": "-12345678901234567890123"}}}"#,
        r#"{"user_id": "u", "traits": {"o": {"x": 1}, "l": [1], "m": {"$float": "nope"}}}"#,
        r#"{"user_id": "u", "user_id": "v"}"#,
        r#"{"user_id": "u", "name": "a", "name": "b"}"#,
        // Errors, in the core's words.
        r#"{"user_id": "u", "trait": {}}"#,
        r#"{"name": "no id"}"#,
        r#"{"user_id": null}"#,
        r#"{"user_id": ["u"]}"#,
        r#"{"user_id": "u", "name": 5}"#,
        r#"{"user_id": "u", "email": false}"#,
        r#"{"user_id": "u", "timestamp": 1.5}"#,
        r#"{"user_id": "u", "timestamp": "1700000000000"}"#,
        r#"{"user_id": "u", "timestamp": 1e3}"#,
        r#"{"user_id": "u", "timestamp": 18446744073709551615}"#,
        r#"{"user_id": "u", "traits": [1]}"#,
        r#"{"user_id": "u", "traits": "x"}"#,
        r#"{"user_id": "u", "unset": "a"}"#,
        r#"{"user_id": "u", "unset": null}"#,
        r#"{"user_id": "u", "unset": [1]}"#,
        r#"["u"]"#,
        r#""u""#,
        "null",
        "",
        "   ",
        "not json",
        r#"{"user_id": "u"} trailing"#,
        r#"{"user_id": "u""#,
        r#"{"user_id": "raw	tab"}"#,
    ];

    #[test]
    fn every_line_reads_as_the_core_reads_it() {
        for (line, fast) in FAST_LINES
            .iter()
            .map(|l| (l, true))
            .chain(OTHER_LINES.iter().map(|l| (l, false)))
        {
            let fast_read = serde_json::from_str::<FastLine>(line).is_ok();
            assert_eq!(
                fast_read, fast,
                "{line}: read by the fast reader: {fast_read}"
            );
            let (core, ours) = (core(line), ours(line));
            assert!(
                same(&core, &ours),
                "{line}\n core: {core:?}\n ours: {ours:?}"
            );
        }
    }

    #[test]
    fn every_conformance_vector_input_reads_as_the_core_reads_it() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors");
        let mut inputs = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let doc: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            for case in doc["cases"].as_array().unwrap() {
                let setup = case
                    .get("setup")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for input in setup.iter().chain(case.get("input")) {
                    let line = serde_json::to_string(input).unwrap();
                    let (core, ours) = (core(&line), ours(&line));
                    assert!(
                        same(&core, &ours),
                        "{}: {line}\n core: {core:?}\n ours: {ours:?}",
                        path.display()
                    );
                    inputs += 1;
                }
            }
        }
        assert!(inputs > 50, "only {inputs} vector inputs");
    }

    #[test]
    fn refused_lines_keep_the_user_id_they_name() {
        let bad = parse_line(br#"{"user_id": "u-1", "trait": {}}"#).unwrap_err();
        assert_eq!(bad.user_id, "u-1");
        let bad = parse_line(br#"{"user_id": 7, "timestamp": "x"}"#).unwrap_err();
        assert_eq!(bad.user_id, "7");
        let bad = parse_line(b"not json").unwrap_err();
        assert_eq!(bad.user_id, "");
        let bad = parse_line(b"{\"user_id\": \"a\xffb\"}").unwrap_err();
        assert!(matches!(bad.error, LineError::NotUtf8(_)));
    }

    #[test]
    fn lines_split_at_newlines_and_keep_blank_ones() {
        let split = |b: &'static [u8]| lines(b).collect::<Vec<_>>();
        assert!(split(b"").is_empty());
        assert_eq!(split(b"\n"), vec![b"" as &[u8]]);
        assert_eq!(split(b"a"), vec![b"a" as &[u8]]);
        assert_eq!(split(b"a\n"), vec![b"a" as &[u8]]);
        assert_eq!(split(b"a\n\nb"), vec![b"a" as &[u8], b"", b"b"]);
        assert_eq!(split(b"a\nb\n\n"), vec![b"a" as &[u8], b"b", b""]);
    }
}
