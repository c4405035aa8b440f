//! Adaptive concurrency against the emulator's own rate limit (a token bucket answering 429
//! with Retry-After): the client finds the server's pace from the 429s, so it hears far fewer
//! of them than a client sending at a fixed concurrency, and still delivers everything.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::builder;
use logrocket_emulator::{Emulator, EmulatorConfig};
use logrocket_identify::IdentifyRequest;

fn users(count: usize) -> impl Iterator<Item = IdentifyRequest> {
    (0..count).map(|i| IdentifyRequest::new(format!("u{i}")))
}

fn refusals(emulator: &Emulator) -> usize {
    emulator
        .state()
        .requests()
        .iter()
        .filter(|r| r.status == 429)
        .count()
}

/// Runs 4,000 users through a server allowing 500 a second, and returns its 429s.
fn run(fixed: bool) -> usize {
    let emulator = Emulator::start(EmulatorConfig {
        rate_limit: Some(500),
        ..EmulatorConfig::default()
    })
    .unwrap();
    let client = builder(&emulator)
        .max_retries(20)
        .concurrency(64)
        .fixed_concurrency(fixed)
        .build_blocking()
        .unwrap();
    let report = client.identify_many(users(4_000), None).unwrap();
    assert_eq!(report.succeeded, 4_000, "{:?}", report.failures.first());
    assert_eq!(emulator.state().users().len(), 4_000);
    refusals(&emulator)
}

#[test]
fn a_rate_limited_server_is_found_with_few_429s() {
    // Side by side, each with its own emulator, to keep the test short.
    let fixed = std::thread::spawn(|| run(true));
    let adaptive = run(false);
    let fixed = fixed.join().unwrap();
    eprintln!("429s: fixed {fixed}, adaptive {adaptive}");
    assert!(
        adaptive * 3 < fixed * 2,
        "adaptive heard {adaptive} 429s, fixed concurrency {fixed}"
    );
}
