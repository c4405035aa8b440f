//! The coalescing rule, proven against the emulator: random sequences of updates sent one by
//! one and the same sequences enqueued (and coalesced) leave identical stored users, first and
//! last seen included wherever the updates carry a timestamp.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{builder, emulator};
use logrocket_emulator::{Fault, StoredUser};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use logrocket_identify::{IdentifyRequest, TraitValue};

const USERS: usize = 12;
const UPDATES: usize = 300;

/// Users 0..6 always send a timestamp (from a small set, so some are equal and coalesce);
/// the others never do, and the server stamps the time of arrival.
fn timed(user: usize) -> bool {
    user < USERS / 2
}

fn random_updates(seed: u64) -> Vec<IdentifyRequest> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..UPDATES)
        .map(|_| {
            let user = rng.random_range(0..USERS);
            let mut request = IdentifyRequest::new(format!("user-{user}"));
            if timed(user) {
                request = request.timestamp_ms(1_700_000_000_000 + 1_000 * rng.random_range(0..3));
            }
            if rng.random_bool(0.3) {
                request = request.name(format!("name-{}", rng.random_range(0..5)));
            }
            if rng.random_bool(0.2) {
                request = request.email(format!("e{}@example.com", rng.random_range(0..5)));
            }
            for _ in 0..rng.random_range(0..4) {
                let key = ["plan", "seats", "trial", "campaign"][rng.random_range(0..4)];
                let value = match rng.random_range(0..5) {
                    0 => TraitValue::Remove,
                    1 => TraitValue::Integer(rng.random_range(0..100)),
                    2 => TraitValue::Bool(rng.random_bool(0.5)),
                    3 => TraitValue::Float(f64::from(rng.random_range(0..100u32)) / 4.0),
                    _ => TraitValue::String(format!("v{}", rng.random_range(0..3))),
                };
                request = request.trait_value(key, value);
            }
            request
        })
        .collect()
}

/// What must match: every stored field, and first/last seen for users that send timestamps.
fn comparable(users: Vec<StoredUser>) -> BTreeMap<String, StoredUser> {
    users
        .into_iter()
        .map(|mut user| {
            let index: usize = user.user_id.trim_start_matches("user-").parse().unwrap();
            if !timed(index) {
                user.first_seen = 0;
                user.last_seen = 0;
            }
            (user.user_id.clone(), user)
        })
        .collect()
}

#[test]
fn coalesced_updates_store_what_the_updates_sent_in_order_store() {
    let mut coalesced_total = 0;
    for seed in 0..6 {
        let updates = random_updates(seed);

        let one_by_one = emulator();
        let client = builder(&one_by_one).build_blocking().unwrap();
        for update in &updates {
            client.identify(update).unwrap();
        }

        let queued = emulator();
        // The first request hangs, so the rest pile up behind it and coalesce: all of them with
        // one request in flight, some with four.
        queued.state().push_faults(vec![Fault {
            delay_ms: 300,
            ..Fault::default()
        }]);
        let concurrency = if seed % 2 == 0 { 1 } else { 4 };
        let client = builder(&queued)
            .concurrency(concurrency)
            .build_blocking()
            .unwrap();
        for update in &updates {
            client.enqueue(update.clone()).unwrap();
        }
        assert!(client.flush(Duration::from_secs(30)).completed);
        let counters = client.counters();
        assert_eq!(counters.enqueued, UPDATES as u64);
        assert_eq!(counters.delivered + counters.coalesced, UPDATES as u64);
        assert_eq!(queued.state().request_count() as u64, counters.delivered);
        coalesced_total += counters.coalesced;

        assert_eq!(
            comparable(one_by_one.state().users()),
            comparable(queued.state().users()),
            "seed {seed}: coalescing changed what was stored"
        );
    }
    assert!(
        coalesced_total > 0,
        "nothing was coalesced: the test proves nothing"
    );
}
