//! The API's result: the user as stored, and how error bodies are read.

use std::collections::BTreeMap;

use serde_json::Value;

/// The user as the API stored it after the request. Every trait value is a string, as the API
/// returns them (DESIGN.md, ruling 7).
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
    pub(crate) fn from_body(body: &[u8], sent_user_id: &str) -> Option<User> {
        let Value::Object(object) = serde_json::from_slice(body).ok()? else {
            return None;
        };
        let text = |key: &str| match object.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        let traits = match object.get("traits") {
            Some(Value::Object(traits)) => traits
                .iter()
                .map(|(k, v)| (k.clone(), value_as_string(v)))
                .collect(),
            _ => BTreeMap::new(),
        };
        Some(User {
            user_id: text("userID").unwrap_or_else(|| sent_user_id.to_owned()),
            name: text("name"),
            email: text("email"),
            traits,
        })
    }
}

fn value_as_string(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The message of an error answer: a JSON object's `message` or `error`, else the plain text,
/// else the status line (DESIGN.md, ruling 3).
pub(crate) fn error_message(status: reqwest::StatusCode, body: &[u8]) -> String {
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
    use reqwest::StatusCode;

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
