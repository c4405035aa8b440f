//! Reading an identify request body into typed fields, refusing anything off-schema.
//!
//! Written as serde visitors rather than via `serde_json::Value` for two reasons: traits keep
//! the order they were sent in (validation reports the first bad trait as sent, whatever
//! features `serde_json` is built with), and the body is read once without an intermediate tree.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

/// The fields of an identify body, types already checked.
#[derive(Debug, Default)]
pub(crate) struct IdentifyBody {
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) timestamp: Option<i64>,
    /// Traits in the order sent; `None` is a blank value (`""` or `null`): remove the trait.
    pub(crate) traits: Vec<(String, Option<String>)>,
}

impl<'de> Deserialize<'de> for IdentifyBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(BodyVisitor)
    }
}

struct BodyVisitor;

impl<'de> Visitor<'de> for BodyVisitor {
    type Value = IdentifyBody;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<IdentifyBody, A::Error> {
        let mut body = IdentifyBody::default();
        // A repeated field takes its last value, as JSON.parse does.
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                // Plain `String` (not `Option`) so `null` is a wrong type, not an absent field.
                "name" => body.name = Some(map.next_value::<String>()?),
                "email" => body.email = Some(map.next_value::<String>()?),
                "timestamp" => body.timestamp = Some(map.next_value::<Timestamp>()?.0),
                "traits" => body.traits = map.next_value::<Traits>()?.0,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(body)
    }
}

/// Unix milliseconds: a non-negative integer number.
struct Timestamp(i64);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TimestampVisitor)
    }
}

struct TimestampVisitor;

impl Visitor<'_> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a non-negative integer number of milliseconds")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
        i64::try_from(v)
            .map(Timestamp)
            .map_err(|_| E::custom("timestamp out of range"))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
        if v < 0 {
            return Err(E::custom("negative timestamp"));
        }
        Ok(Timestamp(v))
    }

    // JSON has one number type: `1.7e12` is an integer number too, as it is to a JavaScript
    // server. Fractions, negatives and values past i64 are not.
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Timestamp, E> {
        const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63, the first value past i64
        if v.fract() != 0.0 || !(0.0..LIMIT).contains(&v) {
            return Err(E::custom("timestamp is not a non-negative integer"));
        }
        // Whole and in range (checked above), so the cast is exact.
        Ok(Timestamp(v as i64))
    }
}

/// The `traits` object, in the order sent.
struct Traits(Vec<(String, Option<String>)>);

impl<'de> Deserialize<'de> for Traits {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(TraitsVisitor)
    }
}

struct TraitsVisitor;

impl<'de> Visitor<'de> for TraitsVisitor {
    type Value = Traits;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of trait values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Traits, A::Error> {
        let mut traits = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value::<TraitValue>()?;
            traits.push((key, value.0));
        }
        Ok(Traits(traits))
    }
}

/// One trait value in the string form the API stores; `None` when blank.
struct TraitValue(Option<String>);

impl<'de> Deserialize<'de> for TraitValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TraitValueVisitor)
    }
}

struct TraitValueVisitor;

impl Visitor<'_> for TraitValueVisitor {
    type Value = TraitValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number, boolean or null")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<TraitValue, E> {
        Ok(TraitValue((!v.is_empty()).then(|| v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<TraitValue, E> {
        Ok(TraitValue((!v.is_empty()).then_some(v)))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<TraitValue, E> {
        Ok(TraitValue(Some(v.to_string())))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<TraitValue, E> {
        Ok(TraitValue(Some(v.to_string())))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<TraitValue, E> {
        Ok(TraitValue(Some(v.to_string())))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<TraitValue, E> {
        Ok(TraitValue(Some(render_float(v))))
    }

    fn visit_unit<E: de::Error>(self) -> Result<TraitValue, E> {
        Ok(TraitValue(None))
    }

    fn visit_none<E: de::Error>(self) -> Result<TraitValue, E> {
        Ok(TraitValue(None))
    }
}

/// A float as the API's JavaScript server would print it: whole values below 1e15 without a
/// fraction (`1.0` is `"1"`), anything else in Rust's shortest round-trip form (`"99.5"`).
pub(crate) fn render_float(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        // Whole and below 1e15 (checked above), so the cast is exact; `-0.0` becomes `0`.
        (v as i64).to_string()
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::render_float;

    #[test]
    fn floats_render_like_javascript_when_whole() {
        assert_eq!(render_float(1.0), "1");
        assert_eq!(render_float(-0.0), "0");
        assert_eq!(render_float(-3.0), "-3");
        assert_eq!(render_float(99.5), "99.5");
        assert_eq!(render_float(0.1), "0.1");
        assert_eq!(render_float(999_999_999_999_999.0), "999999999999999");
    }
}
