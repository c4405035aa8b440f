//! A fixed client-side rate: every attempt of every request takes the next slot, so a client
//! kept under a server's rate limit never hears 429.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::builder;
use logrocket_emulator::{Emulator, EmulatorConfig};
use logrocket_identify::{ErrorKind, IdentifyRequest};

fn users(count: usize) -> impl Iterator<Item = IdentifyRequest> {
    (0..count).map(|i| IdentifyRequest::new(format!("u{i}")))
}

#[test]
fn a_rate_limit_spaces_requests_evenly() {
    let emulator = common::emulator();
    let client = builder(&emulator)
        .rate_limit(20.0)
        .build_blocking()
        .unwrap();
    let started = Instant::now();
    let report = client.identify_many(users(21), Some(16)).unwrap();
    assert_eq!(report.succeeded, 21);
    // The first at once, then one per 50 ms, whatever the concurrency.
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(990), "{elapsed:?}");
}

#[test]
fn under_the_servers_rate_no_request_is_refused() {
    let emulator = Emulator::start(EmulatorConfig {
        rate_limit: Some(20),
        ..EmulatorConfig::default()
    })
    .unwrap();

    // Unpaced, 100 requests at once overrun the server's second's worth: with no retries, the
    // refused ones are failures (this is what the client-side rate avoids).
    let unpaced = builder(&emulator).max_retries(0).build_blocking().unwrap();
    let report = unpaced.identify_many(users(100), Some(16)).unwrap();
    assert!(!report.failures.is_empty());
    assert!(
        report
            .failures
            .iter()
            .all(|f| f.error.kind() == ErrorKind::Api && f.error.status() == Some(429))
    );

    std::thread::sleep(Duration::from_millis(1_100));
    emulator.state().reset();
    let paced = builder(&emulator)
        .max_retries(0)
        .rate_limit(15.0)
        .build_blocking()
        .unwrap();
    let report = paced.identify_many(users(30), Some(16)).unwrap();
    assert_eq!(report.succeeded, 30, "{:?}", report.failures);
    assert!(emulator.state().requests().iter().all(|r| r.status == 200));
}

#[test]
fn a_rate_limit_must_be_a_positive_number() {
    let emulator = common::emulator();
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let error = builder(&emulator).rate_limit(bad).build().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Config, "{bad}");
        assert!(error.message().contains("rate limit"), "{error}");
    }
}
