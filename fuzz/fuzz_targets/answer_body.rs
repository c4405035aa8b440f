//! Answer and error body parsing (`user.rs`): `User::from_body` reads a 200 body with its own
//! serde visitors, checked here against a plain reading of the same rules through a
//! `serde_json::Value`; `error_message` must never panic and must say what its rules say.
//!
//! Input: two bytes of status code, then the body.

#![no_main]

mod known_keys;

use std::collections::BTreeMap;

use http::StatusCode;
use libfuzzer_sys::fuzz_target;
use logrocket_identify::{User, error_message};
use serde_json::Value;

const SENT_ID: &str = "sent-id";

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data {
        [high, low, body @ ..] => (u16::from_be_bytes([*high, *low]), body),
        _ => return,
    };
    let Ok(status) = StatusCode::from_u16(100 + status % 900) else {
        return;
    };

    let user = User::from_body(body, SENT_ID);
    assert_eq!(user, reference_user(body), "User::from_body on {body:?}");

    let message = error_message(status, body);
    check_error_message(status, body, &message);
});

/// The documented reading of a 200 body: a JSON object; `userID`, `name`, `email` used when
/// they are strings (a missing or non-string `userID` falls back to the id sent); `traits` used
/// when it is an object, each value a string as is, null as blank, any other value as its JSON
/// text; other keys skipped (see `known_keys`); a repeated key takes its last value, as
/// JSON.parse does.
fn reference_user(body: &[u8]) -> Option<User> {
    let object = known_keys::read(body, &["userID", "name", "email", "traits"])?;
    let text = |key: &str| match object.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    let traits = match object.get("traits") {
        Some(Value::Object(traits)) => traits
            .iter()
            .map(|(key, value)| {
                let value = match value {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                (key.clone(), value)
            })
            .collect(),
        _ => BTreeMap::new(),
    };
    Some(User {
        user_id: text("userID").unwrap_or_else(|| SENT_ID.to_owned()),
        name: text("name"),
        email: text("email"),
        traits,
    })
}

/// The message of an error answer: a JSON object's `message` or `error` (strings), else a JSON
/// string body, else the trimmed text (at most 500 characters) unless it is empty or looks like
/// JSON or HTML, else the status line.
fn check_error_message(status: StatusCode, body: &[u8], message: &str) {
    if let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) {
        for key in ["message", "error"] {
            if let Some(Value::String(expected)) = object.get(key) {
                assert_eq!(message, expected);
                return;
            }
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if let Ok(Value::String(expected)) = serde_json::from_str::<Value>(text) {
        assert_eq!(message, expected);
        return;
    }
    if !text.is_empty() && !text.starts_with('{') && !text.starts_with('<') {
        assert!(message.chars().count() <= 500, "an unbounded message");
        assert!(
            text.starts_with(message),
            "{message:?} is not the start of {text:?}"
        );
        return;
    }
    assert_eq!(
        message,
        format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("error")
        )
    );
}
