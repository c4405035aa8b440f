//! The API's result: the user as stored, and how error bodies are read.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde_json::Value;

/// The user as the API stored it after the request. Every trait value is a string, as the API
/// returns them (ARCHITECTURE.md, ruling 7).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct User {
    /// The API's `userID`.
    pub user_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub traits: BTreeMap<String, String>,
}

impl User {
    /// Reads a 200 body. Lenient about shape: a trait value that is not a string is turned into
    /// one, and a missing `userID` falls back to the id that was sent.
    ///
    /// Public only for the fuzz target `fuzz/fuzz_targets/answer_body.rs`; not part of the API.
    #[doc(hidden)]
    pub fn from_body(body: &[u8], sent_user_id: &str) -> Option<User> {
        // Read straight into the fields rather than through a `serde_json::Value` tree: a bulk
        // run reads one of these per user.
        let body: Body = serde_json::from_slice(body).ok()?;
        Some(User {
            user_id: body
                .user_id
                .and_then(Text::into_string)
                .unwrap_or_else(|| sent_user_id.to_owned()),
            name: body.name.and_then(Text::into_string),
            email: body.email.and_then(Text::into_string),
            traits: match body.traits {
                Some(Traits(traits)) => traits,
                None => BTreeMap::new(),
            },
        })
    }
}

/// A 200 body as the API documents it; other keys are ignored, and a repeated key takes its
/// last value, as JSON.parse does. Read by hand: a derived struct would refuse a repeated key
/// (failing a call whose update was stored) and would take an array of four values as a user
/// (both found by the fuzz target `fuzz/fuzz_targets/answer_body.rs`).
#[derive(Default)]
struct Body {
    user_id: Option<Text>,
    name: Option<Text>,
    email: Option<Text>,
    traits: Option<Traits>,
}

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(BodyVisitor)
    }
}

struct BodyVisitor;

impl<'de> Visitor<'de> for BodyVisitor {
    type Value = Body;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a user object")
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Body, A::Error> {
        let mut body = Body::default();
        while let Some(key) = map.next_key::<BodyKey>()? {
            match key {
                BodyKey::UserId => body.user_id = map.next_value()?,
                BodyKey::Name => body.name = map.next_value()?,
                BodyKey::Email => body.email = map.next_value()?,
                BodyKey::Traits => body.traits = map.next_value()?,
                BodyKey::Other => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(body)
    }
}

/// A key of a 200 body, recognised without allocating.
enum BodyKey {
    UserId,
    Name,
    Email,
    Traits,
    Other,
}

impl<'de> Deserialize<'de> for BodyKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = BodyKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<BodyKey, E> {
                Ok(match key {
                    "userID" => BodyKey::UserId,
                    "name" => BodyKey::Name,
                    "email" => BodyKey::Email,
                    "traits" => BodyKey::Traits,
                    _ => BodyKey::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// A field that should be a string; any other JSON value counts as absent.
struct Text(Option<String>);

impl Text {
    fn into_string(self) -> Option<String> {
        self.0
    }
}

/// `traits` should be an object; any other JSON value reads as no traits.
struct Traits(BTreeMap<String, String>);

/// A stored trait value: a string as the API returns them, any other JSON value as its text,
/// null as blank.
struct TraitText(String);

impl TraitText {
    fn into_trait_string(self) -> String {
        self.0
    }
}

// Hand-written visitors rather than `#[serde(untagged)]`, which would buffer every value
// before choosing a variant.

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor(|value: Value| match value {
            Value::String(s) => Text(Some(s)),
            _ => Text(None),
        }))
    }
}

impl<'de> Deserialize<'de> for TraitText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor(|value: Value| {
            TraitText(match value {
                Value::String(s) => s,
                Value::Null => String::new(),
                other => other.to_string(),
            })
        }))
    }
}

impl<'de> Deserialize<'de> for Traits {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TraitsVisitor)
    }
}

/// Reads any JSON value; strings without going through a `Value`, the rest (rare in a user
/// body) as a `Value` handed to the closure.
struct ValueVisitor<F>(F);

impl<'de, T, F: FnOnce(Value) -> T> Visitor<'de> for ValueVisitor<F> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        Ok((self.0)(Value::String(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<T, E> {
        Ok((self.0)(Value::String(v)))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
        Ok((self.0)(Value::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        Ok((self.0)(Value::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        Ok((self.0)(Value::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        Ok((self.0)(Value::from(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok((self.0)(Value::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        Ok((self.0)(Value::Null))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        let value = Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        Ok((self.0)(value))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        let value = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok((self.0)(value))
    }
}

struct TraitsVisitor;

impl<'de> Visitor<'de> for TraitsVisitor {
    type Value = Traits;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of traits")
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Traits, A::Error> {
        let mut traits = BTreeMap::new();
        while let Some((key, value)) = map.next_entry::<String, TraitText>()? {
            traits.insert(key, value.into_trait_string());
        }
        Ok(Traits(traits))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Traits, A::Error> {
        de::IgnoredAny.visit_seq(seq)?;
        Ok(Traits(BTreeMap::new()))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Traits, E> {
        Ok(Traits(BTreeMap::new()))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Traits, E> {
        Ok(Traits(BTreeMap::new()))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Traits, E> {
        Ok(Traits(BTreeMap::new()))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Traits, E> {
        Ok(Traits(BTreeMap::new()))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Traits, E> {
        Ok(Traits(BTreeMap::new()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Traits, E> {
        Ok(Traits(BTreeMap::new()))
    }
}

/// The message of an error answer: a JSON object's `message` or `error`, else the plain text,
/// else the status line (ARCHITECTURE.md, ruling 3).
///
/// Public only for the fuzz target `fuzz/fuzz_targets/answer_body.rs`; not part of the API.
#[doc(hidden)]
pub fn error_message(status: http::StatusCode, body: &[u8]) -> String {
    if let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) {
        for key in ["message", "error"] {
            if let Some(Value::String(message)) = object.get(key) {
                return message.clone();
            }
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    // A JSON string body ("Missing request body") reads as the string itself.
    if let Ok(Value::String(message)) = serde_json::from_str::<Value>(text) {
        return message;
    }
    if !text.is_empty() && !text.starts_with('{') && !text.starts_with('<') {
        // Bounded, so a proxy's error page cannot flood a log line.
        return text.chars().take(500).collect();
    }
    let reason = status.canonical_reason().unwrap_or("error");
    format!("{} {reason}", status.as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    #[test]
    fn user_bodies_read_leniently() {
        let user = User::from_body(
            br#"{"userID":"u1","name":"Ann","email":null,"traits":{"a":"x","n":5,"b":true,"z":null,"o":{"k":1}},"extra":[1]}"#,
            "sent",
        );
        let expected = User {
            user_id: "u1".into(),
            name: Some("Ann".into()),
            email: None,
            traits: [
                ("a", "x"),
                ("n", "5"),
                ("b", "true"),
                ("z", ""),
                ("o", r#"{"k":1}"#),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        };
        assert_eq!(user, Some(expected));
        let bare = User::from_body(br#"{"userID":7,"traits":[1]}"#, "sent");
        assert_eq!(
            bare.map(|u| (u.user_id, u.traits.len())),
            Some(("sent".into(), 0))
        );
        assert_eq!(User::from_body(b"[1]", "sent"), None);
        assert_eq!(User::from_body(br#"["u",null,null,null]"#, "sent"), None);
        let repeated = User::from_body(br#"{"userID":"a","name":"x","userID":"b"}"#, "sent");
        assert_eq!(
            repeated.map(|u| (u.user_id, u.name)),
            Some(("b".into(), Some("x".into())))
        );
        assert_eq!(User::from_body(b"not json", "sent"), None);
    }

    #[test]
    fn error_bodies_in_every_shape() {
        let bad = StatusCode::BAD_REQUEST;
        assert_eq!(
            error_message(bad, br#"{"message":"Malformed request"}"#),
            "Malformed request"
        );
        assert_eq!(error_message(bad, br#"{"error":"nope"}"#), "nope");
        assert_eq!(
            error_message(bad, br#""Missing request body""#),
            "Missing request body"
        );
        assert_eq!(error_message(bad, b"plain words\n"), "plain words");
        assert_eq!(
            error_message(StatusCode::SERVICE_UNAVAILABLE, b""),
            "503 Service Unavailable"
        );
        assert_eq!(error_message(bad, b"<html>proxy</html>"), "400 Bad Request");
        assert_eq!(error_message(bad, br#"{"other":1}"#), "400 Bad Request");
    }
}
