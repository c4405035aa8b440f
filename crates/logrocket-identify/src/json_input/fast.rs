//! A fast reader for the common shapes of the JSON input form, straight into the request's
//! fields.
//!
//! The general reader (`mod.rs`) goes through a `serde_json::Value` and then converts it: an
//! allocation per key and per string twice over, paid per user in a bulk run. This one accepts
//! only the common shapes (a string `user_id`; string or null `name`/`email`; integer or null
//! `timestamp`; traits holding null, booleans, numbers and strings; a list of names in `unset`)
//! and gives up on anything else, which then goes through the general reader and its messages.
//! So it only ever agrees with the general reader, sooner (see the tests).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::request::IdentifyRequest;
use crate::trait_value::TraitValue;

/// Reads `text` if it is an input object of a common shape; `None` leaves it to the general
/// reader.
pub(super) fn read(text: &str) -> Option<IdentifyRequest> {
    serde_json::from_str::<FastLine>(text)
        .ok()
        .map(|FastLine(input)| input.into_request())
}

/// A line holding an input object. Only an object: a derived struct would also take an array
/// of its fields in order, which the general reader refuses.
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

/// The common shape of an input. A key set to null is the key left out, as the general reader
/// has it.
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
    unset: Option<Vec<String>>,
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
        // After the traits, as the general reader applies them (it reads keys in sorted order).
        for key in self.unset.into_iter().flatten() {
            request.traits.insert(key, TraitValue::Remove);
        }
        request
    }
}

/// A traits object; a repeated key keeps its last value, as in the general reader.
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

/// A scalar trait value, converted as the general reader converts a JSON value. Objects and arrays (the
/// `$float`/`$bigint` markers, or values the API refuses) are left to the general reader.
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
                // An integer when it fits, else its decimal string, as `TraitValue::from(u64)` rules.
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
    use serde_json::Value;

    use super::*;

    type Outcome = Result<IdentifyRequest, (String, String, Option<String>)>;

    /// What the general reader makes of a line.
    fn general(line: &str) -> Outcome {
        super::super::read_through_value(line).map_err(|e| (e.field, e.message, e.detail))
    }

    /// What `from_json_str` (the fast reader, then the general one) makes of it.
    fn public(line: &str) -> Outcome {
        IdentifyRequest::from_json_str(line).map_err(|e| (e.field, e.message, e.detail))
    }

    /// Requests compare NaN floats as unequal; compare their debug forms instead.
    fn same(a: &Outcome, b: &Outcome) -> bool {
        format!("{a:?}") == format!("{b:?}")
    }
    /// Lines the fast reader takes itself.
    const FAST_LINES: &[&str] = &[
        r#"{"user_id": "u"}"#,
        r#"{"user_id": "u", "name": "N", "email": "e@x", "timestamp": 1700000000000}"#,
        r#"{"user_id": "u", "name": null, "email": null, "timestamp": null, "traits": null}"#,
        r#"{"user_id": "u", "traits": {"a": 1}, "unset": null}"#,
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

    /// Lines the fast reader leaves to the general reader: other shapes, then errors.
    const OTHER_LINES: &[&str] = &[
        r#"{"user_id": 42}"#,
        r#"{"user_id": 4.5}"#,
        r#"{"user_id": "u", "traits": {"f": {"$float": "NaN"}, "g": {"$bigint": "-12345678901234567890123"}}}"#,
        r#"{"user_id": "u", "traits": {"o": {"x": 1}, "l": [1], "m": {"$float": "nope"}}}"#,
        r#"{"user_id": "u", "user_id": "v"}"#,
        r#"{"user_id": "u", "name": "a", "name": "b"}"#,
        // Errors, in the general reader's words.
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
        // JSON a `Value` cannot hold, which the general reader reads field by field.
        r#"{"user_id": "u\ud800"}"#,
        r#"{"user_id": "u", "name": "\udc00"}"#,
        r#"{"user_id": "u", "traits": {"k\ud800": 1}}"#,
        r#"{"user_id": "u", "traits": {"plan": "\ud83d"}}"#,
        r#"{"user_id": "u", "unset": ["\udfff"]}"#,
        r#"{"user_id": "u", "traits": {"t": 1e400}}"#,
    ];

    #[test]
    fn every_line_reads_as_the_general_reader_reads_it() {
        for (line, fast) in FAST_LINES
            .iter()
            .map(|l| (l, true))
            .chain(OTHER_LINES.iter().map(|l| (l, false)))
        {
            let fast_read = read(line).is_some();
            assert_eq!(
                fast_read, fast,
                "{line}: read by the fast reader: {fast_read}"
            );
            let (general, public) = (general(line), public(line));
            assert!(
                same(&general, &public),
                "{line}\n general: {general:?}\n public: {public:?}"
            );
        }
    }

    #[test]
    fn every_conformance_vector_input_reads_as_the_general_reader_reads_it() {
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
                    let (general, public) = (general(&line), public(&line));
                    assert!(
                        same(&general, &public),
                        "{}: {line}\n general: {general:?}\n public: {public:?}",
                        path.display()
                    );
                    inputs += 1;
                }
            }
        }
        assert!(inputs > 50, "only {inputs} vector inputs");
    }
}
