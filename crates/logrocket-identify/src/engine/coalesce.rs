//! A pending update as the delivery queue keeps it, and when two of one user may become one
//! PUT.
//!
//! The API keeps what a request leaves out, replaces what it sends (a blank trait removes it),
//! and uses `timestamp` for the user's first and last seen (the time of arrival when there is
//! none). Sending A then B therefore stores: B's name and email where B has them, A's
//! otherwise; A's traits updated by B's; and first/last seen moved by both timestamps. One PUT
//! carrying the merge stores the same fields. It can carry only one timestamp, so the rule is:
//!
//! **A later update is folded into a pending one of the same user only when both carry the same
//! timestamp, or neither carries one.** Without a timestamp the server stamps the time of
//! arrival, which only the moment of delivery decides, for the separate PUTs as for the merged
//! one.

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::request::{IdentifyRequest, WireBody};
use crate::trait_value::TraitValue;

/// An update waiting in the delivery queue: an [`IdentifyRequest`] in a compact form (boxed
/// strings, traits in a sorted vector rather than a tree), since a queue may hold a hundred
/// thousand of them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PendingUpdate {
    pub user_id: Box<str>,
    name: Option<Box<str>>,
    email: Option<Box<str>>,
    timestamp_ms: Option<i64>,
    /// Sorted by key, without duplicates.
    traits: Vec<(Box<str>, TraitValue)>,
}

impl From<IdentifyRequest> for PendingUpdate {
    fn from(request: IdentifyRequest) -> Self {
        PendingUpdate {
            user_id: request.user_id.into_boxed_str(),
            name: request.name.map(String::into_boxed_str),
            email: request.email.map(String::into_boxed_str),
            timestamp_ms: request.timestamp_ms,
            // A BTreeMap iterates in key order: the vector comes out sorted.
            traits: request
                .traits
                .into_iter()
                .map(|(key, value)| (key.into_boxed_str(), value))
                .collect(),
        }
    }
}

impl PendingUpdate {
    /// The request it stands for (the tests compare through it).
    #[cfg(test)]
    pub fn to_request(&self) -> IdentifyRequest {
        IdentifyRequest {
            user_id: self.user_id.to_string(),
            name: self.name.as_deref().map(str::to_owned),
            email: self.email.as_deref().map(str::to_owned),
            timestamp_ms: self.timestamp_ms,
            traits: self
                .traits
                .iter()
                .map(|(key, value)| (key.to_string(), value.clone()))
                .collect(),
        }
    }

    /// The JSON body, written straight from this form. Every update was validated when it was
    /// enqueued, and folding valid updates together keeps them valid (each trait and field is
    /// one of theirs), so only the encoding is left.
    pub fn encode_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&WireBody {
            name: self.name.as_deref(),
            email: self.email.as_deref(),
            timestamp: self.timestamp_ms,
            traits: (!self.traits.is_empty()).then_some(TraitsMap(&self.traits)),
        })
    }

    /// Roughly the bytes it holds, for the queue's byte limit.
    pub fn size(&self) -> usize {
        const TRAIT_ENTRY: usize = std::mem::size_of::<(Box<str>, TraitValue)>();
        std::mem::size_of::<Self>()
            + self.user_id.len()
            + self.name.as_deref().map_or(0, str::len)
            + self.email.as_deref().map_or(0, str::len)
            + self
                .traits
                .iter()
                .map(|(key, value)| TRAIT_ENTRY + key.len() + value.heap_size())
                .sum::<usize>()
    }

    /// Folds `later` into this update when that stores the same as sending both in order;
    /// otherwise gives `later` back untouched.
    pub fn absorb(&mut self, later: PendingUpdate) -> Result<(), PendingUpdate> {
        if self.user_id != later.user_id || self.timestamp_ms != later.timestamp_ms {
            return Err(later);
        }
        if later.name.is_some() {
            self.name = later.name;
        }
        if later.email.is_some() {
            self.email = later.email;
        }
        // Later values win, removals included: the same as the server applying both in order.
        self.traits = merge_sorted(std::mem::take(&mut self.traits), later.traits);
        Ok(())
    }
}

/// A sorted trait list, written as a JSON object.
struct TraitsMap<'a>(&'a [(Box<str>, TraitValue)]);

impl Serialize for TraitsMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in self.0 {
            map.serialize_entry(&**key, value)?;
        }
        map.end()
    }
}

/// Merges two key-sorted trait lists, `later`'s value winning for a key in both; linear in
/// their lengths, however many traits an update carries.
fn merge_sorted(
    earlier: Vec<(Box<str>, TraitValue)>,
    later: Vec<(Box<str>, TraitValue)>,
) -> Vec<(Box<str>, TraitValue)> {
    if earlier.is_empty() {
        return later;
    }
    let mut merged = Vec::with_capacity(earlier.len() + later.len());
    let mut earlier = earlier.into_iter().peekable();
    let mut later = later.into_iter().peekable();
    loop {
        let take_later = match (earlier.peek(), later.peek()) {
            (None, None) => break,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (Some((a, _)), Some((b, _))) => {
                if a == b {
                    earlier.next();
                    true
                } else {
                    b < a
                }
            }
        };
        let next = if take_later {
            later.next()
        } else {
            earlier.next()
        };
        merged.extend(next);
    }
    merged.shrink_to_fit();
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(request: IdentifyRequest) -> PendingUpdate {
        PendingUpdate::from(request)
    }

    #[test]
    fn later_fields_win_and_removals_are_kept() {
        let mut update = pending(
            IdentifyRequest::new("u")
                .name("A")
                .email("a@x")
                .trait_value("plan", "free")
                .trait_value("seats", 3i64),
        );
        let later = IdentifyRequest::new("u")
            .name("B")
            .unset("plan")
            .trait_value("team", "core")
            .trait_value("alpha", 1i64);
        assert!(update.absorb(pending(later)).is_ok());
        let merged = update.to_request();
        assert_eq!(merged.name.as_deref(), Some("B"));
        assert_eq!(merged.email.as_deref(), Some("a@x"));
        assert_eq!(merged.traits["plan"], TraitValue::Remove);
        assert_eq!(merged.traits["seats"], TraitValue::Integer(3));
        assert_eq!(merged.traits["team"], TraitValue::String("core".into()));
        assert_eq!(merged.traits["alpha"], TraitValue::Integer(1));
        assert_eq!(merged.traits.len(), 4);
    }

    #[test]
    fn different_timestamps_are_not_folded() {
        let later = pending(IdentifyRequest::new("u").timestamp_ms(2));
        let mut timed = pending(IdentifyRequest::new("u").timestamp_ms(1));
        assert_eq!(timed.absorb(later.clone()), Err(later.clone()));
        let mut untimed = pending(IdentifyRequest::new("u"));
        assert!(untimed.absorb(later.clone()).is_err());
        let mut same = pending(IdentifyRequest::new("u").timestamp_ms(2).name("x"));
        assert!(same.absorb(later).is_ok());
        assert_eq!(same.to_request().name.as_deref(), Some("x"));
    }

    #[test]
    fn the_compact_form_encodes_the_same_body() {
        for request in [
            IdentifyRequest::new("u"),
            IdentifyRequest::new("u")
                .name("n")
                .email("e@x")
                .timestamp_ms(5)
                .trait_value("b", 2i64)
                .trait_value("a", "x")
                .trait_value("f", 1.5)
                .trait_value("t", true)
                .unset("c"),
        ] {
            let expected = request.encode_body().map_err(|e| e.to_string());
            let compact = pending(request).encode_body().map_err(|e| e.to_string());
            assert_eq!(compact, expected);
        }
    }

    #[test]
    fn a_request_survives_the_compact_form() {
        let request = IdentifyRequest::new("u")
            .name("n")
            .timestamp_ms(5)
            .trait_value("b", 2i64)
            .trait_value("a", "x")
            .unset("c");
        assert_eq!(pending(request.clone()).to_request(), request);
    }

    #[test]
    fn merging_is_linear_and_sorted() {
        let many = |offset: usize| {
            (0..10_000).fold(IdentifyRequest::new("u"), |r, i| {
                r.trait_value(format!("k{:05}", i * 2 + offset), i as i64)
            })
        };
        let mut update = pending(many(0));
        assert!(update.absorb(pending(many(1))).is_ok());
        let merged = update.to_request();
        assert_eq!(merged.traits.len(), 20_000);
        assert!(update.traits.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
