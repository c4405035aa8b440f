//! When two pending updates of one user may become one PUT, and how.
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

use crate::request::IdentifyRequest;

/// Folds `later` into `pending` when that stores the same as sending both in order; otherwise
/// gives `later` back untouched.
pub(crate) fn absorb(
    pending: &mut IdentifyRequest,
    later: IdentifyRequest,
) -> Result<(), IdentifyRequest> {
    if pending.user_id != later.user_id || pending.timestamp_ms != later.timestamp_ms {
        return Err(later);
    }
    if later.name.is_some() {
        pending.name = later.name;
    }
    if later.email.is_some() {
        pending.email = later.email;
    }
    // Later values win, removals included: the same as the server applying both in order.
    pending.traits.extend(later.traits);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trait_value::TraitValue;

    #[test]
    fn later_fields_win_and_removals_are_kept() {
        let mut pending = IdentifyRequest::new("u")
            .name("A")
            .email("a@x")
            .trait_value("plan", "free")
            .trait_value("seats", 3i64);
        let later = IdentifyRequest::new("u")
            .name("B")
            .unset("plan")
            .trait_value("team", "core");
        absorb(&mut pending, later).unwrap_or_else(|_| panic!("same user, no timestamps"));
        assert_eq!(pending.name.as_deref(), Some("B"));
        assert_eq!(pending.email.as_deref(), Some("a@x"));
        assert_eq!(pending.traits["plan"], TraitValue::Remove);
        assert_eq!(pending.traits["seats"], TraitValue::Integer(3));
        assert_eq!(pending.traits["team"], TraitValue::String("core".into()));
    }

    #[test]
    fn different_timestamps_are_not_folded() {
        let mut pending = IdentifyRequest::new("u").timestamp_ms(1);
        let later = IdentifyRequest::new("u").timestamp_ms(2);
        assert!(absorb(&mut pending, later.clone()).is_err());
        let mut untimed = IdentifyRequest::new("u");
        assert!(absorb(&mut untimed, later).is_err());
        let mut same = IdentifyRequest::new("u").timestamp_ms(2).name("x");
        assert!(absorb(&mut same, IdentifyRequest::new("u").timestamp_ms(2)).is_ok());
        assert_eq!(same.name.as_deref(), Some("x"));
    }
}
