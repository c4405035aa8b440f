//! The values a user trait may take, and how each goes on the wire.

use serde::Serialize;

/// A trait value. The API stores every trait as a string; numbers and booleans are sent as JSON
/// numbers and booleans and come back as strings (ARCHITECTURE.md, ruling 4).
#[derive(Debug, Clone, PartialEq)]
pub enum TraitValue {
    String(String),
    Integer(i64),
    /// Must be finite: NaN and infinities are rejected by validation, naming the trait.
    Float(f64),
    Bool(bool),
    /// Removes the trait: sent as `""`, the API's "blank value".
    Remove,
    /// A value of a type the API cannot hold (an object, a list, bytes ...), kept so validation
    /// can reject it with the API's message while naming the trait. The text says what was given.
    Unsupported(String),
}

impl TraitValue {
    /// Bytes held on the heap, for the delivery queue's byte limit.
    pub(crate) fn heap_size(&self) -> usize {
        match self {
            TraitValue::String(s) | TraitValue::Unsupported(s) => s.len(),
            _ => 0,
        }
    }

    /// An integer too wide for 64 bits (a Python int, a JS BigInt), given as its decimal digits.
    /// It is sent as that string, since the API stores every trait as a string anyway.
    pub fn big_integer(decimal: impl Into<String>) -> Self {
        TraitValue::String(decimal.into())
    }
}

impl From<&str> for TraitValue {
    fn from(v: &str) -> Self {
        TraitValue::String(v.to_owned())
    }
}
impl From<String> for TraitValue {
    fn from(v: String) -> Self {
        TraitValue::String(v)
    }
}
impl From<bool> for TraitValue {
    fn from(v: bool) -> Self {
        TraitValue::Bool(v)
    }
}
impl From<f64> for TraitValue {
    fn from(v: f64) -> Self {
        TraitValue::Float(v)
    }
}
impl From<f32> for TraitValue {
    fn from(v: f32) -> Self {
        TraitValue::Float(f64::from(v))
    }
}
impl From<u64> for TraitValue {
    fn from(v: u64) -> Self {
        match i64::try_from(v) {
            Ok(v) => TraitValue::Integer(v),
            Err(_) => TraitValue::big_integer(v.to_string()),
        }
    }
}
impl From<i128> for TraitValue {
    fn from(v: i128) -> Self {
        match i64::try_from(v) {
            Ok(v) => TraitValue::Integer(v),
            Err(_) => TraitValue::big_integer(v.to_string()),
        }
    }
}

macro_rules! from_small_int {
    ($($t:ty),*) => {$(
        impl From<$t> for TraitValue {
            fn from(v: $t) -> Self {
                TraitValue::Integer(i64::from(v))
            }
        }
    )*};
}
from_small_int!(i8, i16, i32, i64, u8, u16, u32);

impl<T: Into<TraitValue>> From<Option<T>> for TraitValue {
    /// `None` removes the trait, as `None`/`null` do in every binding.
    fn from(v: Option<T>) -> Self {
        v.map_or(TraitValue::Remove, Into::into)
    }
}

impl Serialize for TraitValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TraitValue::String(v) => s.serialize_str(v),
            TraitValue::Integer(v) => s.serialize_i64(*v),
            TraitValue::Float(v) => s.serialize_f64(*v),
            TraitValue::Bool(v) => s.serialize_bool(*v),
            TraitValue::Remove => s.serialize_str(""),
            // Validation runs before encoding and rejects these; never reached on the wire.
            TraitValue::Unsupported(_) => s.serialize_unit(),
        }
    }
}
