//! Reading only some keys of a JSON object, for the targets' reference models.
//!
//! The code under test reads bodies with serde visitors that skip every other key's value as
//! serde_json skips it (`IgnoredAny`): without checking that its strings are UTF-8 or that its
//! numbers fit an f64. A reference that parsed the whole body as a `serde_json::Value` would
//! refuse such bodies where the code under test (rightly: a JavaScript server's JSON.parse
//! does not mind either) reads them. So the references read the keys they use as `Value`s and
//! skip the rest the same way.

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

/// The object's values for `keys` (a repeated key: its last value), or `None` if `body` is not
/// one JSON object.
pub fn read(body: &[u8], keys: &'static [&'static str]) -> Option<Map<String, Value>> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let object = KnownKeys(keys).deserialize(&mut deserializer).ok()?;
    deserializer.end().ok()?;
    Some(object)
}

struct KnownKeys(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for KnownKeys {
    type Value = Map<String, Value>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KnownKeys {
    type Value = Map<String, Value>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if self.0.contains(&key.as_str()) {
                object.insert(key, map.next_value::<Value>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(object)
    }
}
