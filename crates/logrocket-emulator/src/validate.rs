//! The API's body checks, in its order, with its exact messages.

use std::collections::HashMap;

use crate::body::IdentifyBody;

/// The most characters (Unicode scalar values) a string may have. The documentation says both
/// "max 1024" and "less than 1024"; the emulator takes the permissive reading (DESIGN ruling 1).
pub(crate) const MAX_CHARS: usize = 1024;

pub(crate) const MISSING_BODY: &str = "Missing request body";
pub(crate) const MALFORMED: &str = "Malformed request";
const USER_ID_TOO_LARGE: &str = "userID too large (max 1024 characters)";
const NAME_TOO_LARGE: &str = "name too large (max 1024 characters)";
const EMAIL_TOO_LARGE: &str = "email too large (max 1024 characters)";
const TRAIT_KEY_TOO_LARGE: &str = "user trait key too large";
const TRAIT_VALUE_TOO_LARGE: &str = "user trait value too large (max 1024 characters)";

fn too_large(text: &str) -> bool {
    // Bytes bound chars from above, so short strings skip the count.
    text.len() > MAX_CHARS && text.chars().count() > MAX_CHARS
}

/// Checks a request for `user_id` with body `raw`: presence, schema, then sizes in the order
/// userID, name, email, then each trait as sent (key, then value). On failure returns the
/// message the API answers with status 400.
pub(crate) fn check(user_id: &str, raw: &[u8]) -> Result<IdentifyBody, &'static str> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(MISSING_BODY);
    }
    let body: IdentifyBody = serde_json::from_slice(raw).map_err(|_| MALFORMED)?;
    if too_large(user_id) {
        return Err(USER_ID_TOO_LARGE);
    }
    if body.name.as_deref().is_some_and(too_large) {
        return Err(NAME_TOO_LARGE);
    }
    if body.email.as_deref().is_some_and(too_large) {
        return Err(EMAIL_TOO_LARGE);
    }
    // A repeated trait takes its last value, as JSON.parse does (and as the merge applies them
    // in order): only that one is checked, so a value the body itself replaced cannot fail it.
    // Found by the fuzz target fuzz/fuzz_targets/emulator.rs.
    let last: HashMap<&str, usize> = body
        .traits
        .iter()
        .enumerate()
        .map(|(i, (key, _))| (key.as_str(), i))
        .collect();
    for (i, (key, value)) in body.traits.iter().enumerate() {
        if last.get(key.as_str()) != Some(&i) {
            continue;
        }
        if too_large(key) {
            return Err(TRAIT_KEY_TOO_LARGE);
        }
        if value.as_deref().is_some_and(too_large) {
            return Err(TRAIT_VALUE_TOO_LARGE);
        }
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_counts_chars_not_bytes() {
        assert!(!too_large(&"a".repeat(1024)));
        assert!(too_large(&"a".repeat(1025)));
        assert!(!too_large(&"\u{1F600}".repeat(1024)));
        assert!(too_large(&"\u{1F600}".repeat(1025)));
    }

    #[test]
    fn whitespace_only_is_missing() {
        assert_eq!(check("u", b" \r\n\t").err(), Some(MISSING_BODY));
        assert_eq!(check("u", b"").err(), Some(MISSING_BODY));
    }

    #[test]
    fn a_repeated_trait_is_checked_by_its_last_value() {
        let long = "a".repeat(1025);
        let replaced = format!(r#"{{"traits": {{"k": "{long}", "k": "ok"}}}}"#);
        let body = check("u", replaced.as_bytes()).map_err(|e| e.to_owned());
        assert_eq!(
            body.map(|b| b.traits),
            Ok(vec![
                ("k".to_owned(), Some(long.clone())),
                ("k".to_owned(), Some("ok".to_owned()))
            ])
        );
        let kept = format!(r#"{{"traits": {{"k": "ok", "k": "{long}"}}}}"#);
        assert_eq!(
            check("u", kept.as_bytes()).err(),
            Some(TRAIT_VALUE_TOO_LARGE)
        );
    }

    #[test]
    fn wrong_shapes_are_malformed() {
        for raw in [
            &b"[]"[..],
            b"null",
            b"\"x\"",
            b"{\"name\": 1}",
            b"{\"name\": null}",
            b"{\"timestamp\": -1}",
            b"{\"timestamp\": 1.5}",
            b"{\"timestamp\": \"1\"}",
            b"{\"traits\": []}",
            b"{\"traits\": {\"a\": {}}}",
            b"{\"traits\": {\"a\": [1]}}",
            b"{} x",
        ] {
            assert_eq!(check("u", raw).err(), Some(MALFORMED), "{raw:?}");
        }
    }
}
