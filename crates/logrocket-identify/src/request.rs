//! The identify request: a builder, validation with the API's exact messages, and its encoding.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::error::ValidationError;
use crate::limits::{
    MSG_EMAIL_TOO_LARGE, MSG_MALFORMED, MSG_NAME_TOO_LARGE, MSG_TRAIT_KEY_TOO_LARGE,
    MSG_TRAIT_VALUE_TOO_LARGE, MSG_USER_ID_REQUIRED, MSG_USER_ID_TOO_LARGE, too_large,
};
use crate::trait_value::TraitValue;

/// One user's data to send. Build it with [`IdentifyRequest::new`] and the chained setters;
/// nothing is checked until [`IdentifyRequest::validate`] or sending.
///
/// ```
/// use logrocket_identify::IdentifyRequest;
/// let request = IdentifyRequest::new("user-42")
///     .name("John Smith")
///     .email("john@example.com")
///     .timestamp_ms(1_700_000_000_000)
///     .trait_value("plan", "pro")
///     .trait_value("mrr", 99.5)
///     .unset("old_campaign");
/// assert!(request.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IdentifyRequest {
    pub user_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Unix milliseconds; the API uses it for first and last seen.
    pub timestamp_ms: Option<i64>,
    /// Sorted by key, so validation reports problems in the same order the server would.
    pub traits: BTreeMap<String, TraitValue>,
}

impl IdentifyRequest {
    pub fn new(user_id: impl Into<String>) -> Self {
        IdentifyRequest {
            user_id: user_id.into(),
            ..Default::default()
        }
    }

    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    pub fn timestamp_ms(mut self, unix_ms: i64) -> Self {
        self.timestamp_ms = Some(unix_ms);
        self
    }

    /// A point in time, converted to Unix milliseconds. Times before 1970 are rejected by
    /// validation, since the API takes an unsigned millisecond count.
    pub fn timestamp(mut self, at: SystemTime) -> Self {
        self.timestamp_ms = Some(system_time_to_ms(at));
        self
    }

    /// Sets a trait; `None` (or [`TraitValue::Remove`]) removes it.
    pub fn trait_value(mut self, key: impl Into<String>, value: impl Into<TraitValue>) -> Self {
        self.traits.insert(key.into(), value.into());
        self
    }

    /// Removes a trait (sent as a blank value, as the API documents).
    pub fn unset(self, key: impl Into<String>) -> Self {
        self.trait_value(key, TraitValue::Remove)
    }

    /// Checks every documented rule, in the order the server checks them: user id, name, email,
    /// timestamp, then each trait by key (key first, then value).
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.user_id.is_empty() {
            return Err(ValidationError::new("user_id", MSG_USER_ID_REQUIRED));
        }
        if too_large(&self.user_id) {
            return Err(ValidationError::new("user_id", MSG_USER_ID_TOO_LARGE));
        }
        if is_dot_segment(&self.user_id) {
            return Err(ValidationError::malformed(
                "user_id",
                format!(
                    "the user id {:?} cannot be sent: as a path segment a proxy or server \
                     resolves it, and the request would reach another resource",
                    self.user_id
                ),
            ));
        }
        if self.name.as_deref().is_some_and(too_large) {
            return Err(ValidationError::new("name", MSG_NAME_TOO_LARGE));
        }
        if self.email.as_deref().is_some_and(too_large) {
            return Err(ValidationError::new("email", MSG_EMAIL_TOO_LARGE));
        }
        if let Some(ms) = self.timestamp_ms
            && ms < 0
        {
            return Err(ValidationError::new("timestamp", MSG_MALFORMED)
                .with_detail("the timestamp must be Unix milliseconds at or after 1970-01-01"));
        }
        for (key, value) in &self.traits {
            validate_trait(key, value)?;
        }
        Ok(())
    }

    /// Validates, then encodes the JSON body. Only what was given is sent: a bare user id sends
    /// `{}`, which the API accepts.
    pub fn encode_body(&self) -> Result<Vec<u8>, ValidationError> {
        self.validate()?;
        let body = WireBody {
            name: self.name.as_deref(),
            email: self.email.as_deref(),
            timestamp: self.timestamp_ms,
            traits: (!self.traits.is_empty()).then_some(&self.traits),
        };
        // Serialising plain strings, numbers and a map of them cannot fail; map it anyway rather
        // than panic on a path user input reaches.
        serde_json::to_vec(&body).map_err(|e| {
            ValidationError::new("traits", MSG_MALFORMED).with_detail(format!("encoding: {e}"))
        })
    }
}

/// "." and ".." in a path are dot segments (RFC 3986, 5.2.4): percent-encoding them is no help,
/// since servers decode "%2E" back before resolving (ARCHITECTURE.md, ruling 5).
fn is_dot_segment(user_id: &str) -> bool {
    user_id == "." || user_id == ".."
}

fn validate_trait(key: &str, value: &TraitValue) -> Result<(), ValidationError> {
    if too_large(key) {
        return Err(ValidationError::new("traits", MSG_TRAIT_KEY_TOO_LARGE));
    }
    let field = || format!("traits.{key}");
    match value {
        TraitValue::String(s) if too_large(s) => {
            Err(ValidationError::new(field(), MSG_TRAIT_VALUE_TOO_LARGE))
        }
        TraitValue::Float(f) if !f.is_finite() => Err(ValidationError::malformed(
            field(),
            format!(
                "trait values must be finite numbers, got {}",
                non_finite_name(*f)
            ),
        )),
        TraitValue::Unsupported(what) => Err(ValidationError::new(field(), MSG_MALFORMED)
            .with_detail(format!(
                "trait values must be a string, number, boolean or null, got {what}"
            ))),
        _ => Ok(()),
    }
}

/// The names every binding's users know these values by (JavaScript's, and the vectors').
fn non_finite_name(f: f64) -> &'static str {
    if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

fn system_time_to_ms(at: SystemTime) -> i64 {
    match at.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

/// The body on the wire: only what was given. `Traits` is whatever holds the traits and
/// serialises as a JSON object (the request's map, or the delivery queue's sorted list).
#[derive(Serialize)]
pub(crate) struct WireBody<'a, Traits> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traits: Option<Traits>,
}
