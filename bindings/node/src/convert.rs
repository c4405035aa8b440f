//! The plain shapes `index.js` hands over, to core requests, and core users back.
//!
//! `index.js` has already sorted each JS value by its type (a Date into its time value, a
//! BigInt into its digits, an object into a description of what it is). Every rule about the
//! values themselves (limits, NaN, unsupported types, empty user id) is the core's, so a wrong
//! value reaches the core as is and comes back with the API's own message, naming the field.

use std::collections::BTreeMap;

use logrocket_identify::{IdentifyRequest, TraitValue, User, ValidationError};
use napi_derive::napi;

/// The largest integer a JS number holds exactly (2^53 - 1).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// One identify call's input.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct RequestInput {
    pub user_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Unix milliseconds (a Date's time value; NaN for an invalid Date).
    pub timestamp: Option<f64>,
    pub traits: Option<Vec<TraitInput>>,
}

/// One trait, sorted by its JS type.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct TraitInput {
    pub key: String,
    /// `string`, `number`, `boolean`, `bigint` (digits in `text`), `remove`, or `unsupported`
    /// (what was given in `text`, e.g. "an array").
    pub kind: String,
    pub text: Option<String>,
    pub number: Option<f64>,
    pub flag: Option<bool>,
}

/// The user as the API stored it; trait values are strings, as the API returns them.
#[napi(object)]
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub user_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub traits: BTreeMap<String, String>,
}

impl From<User> for UserRecord {
    fn from(user: User) -> Self {
        UserRecord {
            user_id: user.user_id,
            name: user.name,
            email: user.email,
            traits: user.traits,
        }
    }
}

pub fn request(input: RequestInput) -> Result<IdentifyRequest, ValidationError> {
    let mut request = IdentifyRequest::new(input.user_id);
    request.name = input.name;
    request.email = input.email;
    request.timestamp_ms = input.timestamp.map(timestamp_ms).transpose()?;
    for entry in input.traits.into_iter().flatten() {
        let value = trait_value(&entry);
        request.traits.insert(entry.key, value);
    }
    Ok(request)
}

fn timestamp_ms(value: f64) -> Result<i64, ValidationError> {
    // Within ±2^53 every whole f64 converts to i64 exactly.
    if value.is_finite() && value.fract() == 0.0 && value.abs() <= MAX_SAFE_INTEGER {
        #[allow(clippy::cast_possible_truncation)]
        return Ok(value as i64);
    }
    let given = if value.is_nan() {
        "NaN (an invalid Date?)".to_owned()
    } else {
        value.to_string()
    };
    Err(ValidationError::malformed(
        "timestamp",
        format!("the timestamp must be whole Unix milliseconds or a valid Date, got {given}"),
    ))
}

fn trait_value(entry: &TraitInput) -> TraitValue {
    let text = || entry.text.clone().unwrap_or_default();
    match entry.kind.as_str() {
        "string" => TraitValue::String(text()),
        "boolean" => TraitValue::Bool(entry.flag.unwrap_or_default()),
        "number" => number(entry.number.unwrap_or(f64::NAN)),
        "bigint" => {
            let digits = text();
            match digits.parse::<i64>() {
                Ok(small) => TraitValue::Integer(small),
                Err(_) => TraitValue::big_integer(digits),
            }
        }
        "remove" => TraitValue::Remove,
        _ => TraitValue::Unsupported(text()),
    }
}

/// A JS number: whole ones within the safe range are integers (`43`, not `43.0`, on the
/// wire), the rest floats; NaN and infinities go to the core, which rejects them.
fn number(value: f64) -> TraitValue {
    if value.fract() == 0.0 && value.abs() <= MAX_SAFE_INTEGER {
        #[allow(clippy::cast_possible_truncation)]
        TraitValue::Integer(value as i64)
    } else {
        TraitValue::Float(value)
    }
}
