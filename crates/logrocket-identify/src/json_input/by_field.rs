//! The general reader's way through JSON text that a `serde_json::Value` cannot hold, field by
//! field, so that its answer names the field at fault as the JSON value reader and the bindings'
//! native paths do:
//!
//! - values nested past serde_json's recursion limit (128 levels). No rule of the input form
//!   looks more than two levels into a field's value (a trait value inside `traits`, and the
//!   member of a `$float`/`$bigint` marker inside that), so containers below are read as empty
//!   ones of their kind, which every rule judges alike. Nothing here recurses on the depth of
//!   the input: serde_json skips and captures values (`RawValue`) without recursion.
//! - `\uD800`-style escapes of lone surrogates, which no Rust string can hold. Every binding
//!   refuses such text on the field holding it before anything else is judged, so this reader
//!   does too: `user_id`, `name`, `email` (or whichever key holds it), `traits` for a trait key
//!   or a name to unset, `traits.<key>` for a trait value.
//!
//! Everything else is judged by [`IdentifyRequest::from_json_value`] on the input with its deep
//! containers emptied, so the rules and their messages stay in one place.

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::malformed;
use crate::error::ValidationError;
use crate::request::IdentifyRequest;

/// How many levels below a field's own value the rules look: `traits` → a trait value → the
/// member of a marker.
const FIELD_LEVELS: u32 = 2;

/// The fields in the order the input form's rules (and the bindings) check them; any other key
/// comes after them, in the order of the document.
const FIELD_ORDER: [&str; 6] = ["user_id", "name", "email", "timestamp", "traits", "unset"];

/// Reads `input` field by field. `None` when it is not JSON even so (a syntax error, a number
/// out of range), which the caller then reports as the `Value` parser did.
pub(super) fn read(input: &str) -> Option<Result<IdentifyRequest, ValidationError>> {
    // The whole document, checked as JSON without a recursion limit or surrogate checks.
    let document: &RawValue = serde_json::from_str(input).ok()?;
    if !document.get().starts_with('{') {
        return Some(Err(malformed("input", "the input must be a JSON object")));
    }
    let fields = last_wins(members(document)?);

    let known = |key: &Key| key.valid && FIELD_ORDER.contains(&key.text.as_str());
    let in_order = FIELD_ORDER
        .iter()
        .filter_map(|name| {
            fields
                .iter()
                .find(|(key, _)| key.valid && key.text == *name)
        })
        .chain(fields.iter().filter(|(key, _)| !known(key)));
    for (key, value) in in_order {
        if let Some(error) = lone_surrogate(key, value) {
            return Some(Err(error));
        }
    }

    let mut object = Map::new();
    for (key, value) in fields {
        object.insert(key.text, shallow(value, FIELD_LEVELS)?);
    }
    Some(IdentifyRequest::from_json_value(&Value::Object(object)))
}

/// The error for a lone surrogate's escape in a member of the input, on the field holding it;
/// `None` when there is none.
fn lone_surrogate(key: &Key, value: &RawValue) -> Option<ValidationError> {
    if !key.valid {
        return Some(invalid_text("input", "a key of the input"));
    }
    if !holds_lone_surrogate(value.get()) {
        return None;
    }
    match key.text.as_str() {
        "traits" if value.get().starts_with('{') => {
            // Only a member that counts: of a repeated key, the last.
            for (name, member) in last_wins(members(value)?) {
                if !name.valid {
                    return Some(invalid_text("traits", "a trait name"));
                }
                if holds_lone_surrogate(member.get()) {
                    let field = format!("traits.{}", name.text);
                    return Some(invalid_text(&field, &field));
                }
            }
            None
        }
        // A name to unset is a trait key.
        "unset" => Some(invalid_text("traits", "a trait name to unset")),
        field => Some(invalid_text(field, field)),
    }
}

fn invalid_text(field: &str, what: &str) -> ValidationError {
    malformed(
        field,
        format!(
            "{what} must be valid Unicode text: the JSON escapes a lone surrogate (\\uD800 to \
             \\uDFFF), which has no UTF-8 form"
        ),
    )
}

/// Whether the JSON text `json` (valid JSON) escapes a lone surrogate in any string: a
/// `\uD800`-`\uDBFF` escape not followed by a `\uDC00`-`\uDFFF` escape, or such a low one alone.
/// A backslash occurs only in strings, and each escape is taken whole, so `\\u` is no escape.
fn holds_lone_surrogate(json: &str) -> bool {
    let bytes = json.as_bytes();
    let escaped_unit = |at: usize| -> Option<u16> {
        if bytes.get(at) != Some(&b'\\') || bytes.get(at + 1) != Some(&b'u') {
            return None;
        }
        let hex = std::str::from_utf8(bytes.get(at + 2..at + 6)?).ok()?;
        u16::from_str_radix(hex, 16).ok()
    };
    let mut at = 0;
    while let Some(offset) = bytes
        .get(at..)
        .and_then(|rest| rest.iter().position(|&b| b == b'\\'))
    {
        at += offset;
        match escaped_unit(at) {
            Some(0xD800..=0xDBFF) => match escaped_unit(at + 6) {
                Some(0xDC00..=0xDFFF) => at += 12,
                _ => return true,
            },
            Some(0xDC00..=0xDFFF) => return true,
            Some(_) => at += 6,
            // Any other escape is two characters.
            None => at += 2,
        }
    }
    false
}

/// `value` (free of lone surrogates) as a `Value` for the input form's rules: containers
/// `levels` deep and beyond read as empty ones of their kind. `None` when a scalar is not one a
/// `Value` holds (a number out of range).
fn shallow(value: &RawValue, levels: u32) -> Option<Value> {
    let text = value.get();
    match text.as_bytes().first() {
        Some(b'[') if levels == 0 => Some(Value::Array(Vec::new())),
        Some(b'{') if levels == 0 => Some(Value::Object(Map::new())),
        Some(b'[') => serde_json::from_str::<Vec<&RawValue>>(text)
            .ok()?
            .into_iter()
            .map(|item| shallow(item, levels - 1))
            .collect::<Option<_>>()
            .map(Value::Array),
        Some(b'{') => {
            let mut object = Map::new();
            for (key, member) in last_wins(members(value)?) {
                object.insert(key.text, shallow(member, levels - 1)?);
            }
            Some(Value::Object(object))
        }
        _ => serde_json::from_str(text).ok(),
    }
}

/// An object's key. Read as bytes, so that a key escaping a lone surrogate is read too (its
/// bytes, as WTF-8 writes it, are not UTF-8: `valid` is false and `text` is lossy).
struct Key {
    text: String,
    valid: bool,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Key, E> {
                Ok(match std::str::from_utf8(bytes) {
                    Ok(text) => Key {
                        text: text.to_owned(),
                        valid: true,
                    },
                    Err(_) => Key {
                        text: String::from_utf8_lossy(bytes).into_owned(),
                        valid: false,
                    },
                })
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Key, E> {
                self.visit_bytes(text.as_bytes())
            }
        }
        deserializer.deserialize_bytes(KeyVisitor)
    }
}

/// The members of a JSON object (`object` is one), in order, their values as written.
fn members(object: &RawValue) -> Option<Vec<(Key, &RawValue)>> {
    struct Members<'a>(Vec<(Key, &'a RawValue)>);
    impl<'de> Deserialize<'de> for Members<'de> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct MembersVisitor;
            impl<'de> Visitor<'de> for MembersVisitor {
                type Value = Members<'de>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Members<'de>, A::Error> {
                    let mut out = Vec::new();
                    while let Some(key) = map.next_key::<Key>()? {
                        out.push((key, map.next_value::<&'de RawValue>()?));
                    }
                    Ok(Members(out))
                }
            }
            deserializer.deserialize_map(MembersVisitor)
        }
    }
    serde_json::from_str::<Members>(object.get())
        .ok()
        .map(|members| members.0)
}

/// `members` with each repeated key once, where it first appears, holding its last value: what
/// a `serde_json::Map` makes of them, whichever order it keeps.
fn last_wins(members: Vec<(Key, &RawValue)>) -> Vec<(Key, &RawValue)> {
    let mut out: Vec<(Key, &RawValue)> = Vec::with_capacity(members.len());
    // By text and validity: a lossy key's U+FFFD is not the same key as a real one.
    let mut index: HashMap<(String, bool), usize> = HashMap::with_capacity(members.len());
    for (key, value) in members {
        match index.get(&(key.text.clone(), key.valid)) {
            Some(&at) => out[at].1 = value,
            None => {
                index.insert((key.text.clone(), key.valid), out.len());
                out.push((key, value));
            }
        }
    }
    out
}
