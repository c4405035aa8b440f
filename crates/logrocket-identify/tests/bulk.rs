//! Bulk identify: lazy input, bounded concurrency, and every failure reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicU64, Ordering};

use common::{builder, emulator, status};
use logrocket_emulator::{Fault, FaultRate};
use logrocket_identify::{
    Error, ErrorKind, IdentifyRequest, PreparedRequest, TraitValue, ValidationError,
};

fn user(i: u64) -> IdentifyRequest {
    IdentifyRequest::new(format!("user-{i}")).trait_value("revenue", i)
}

#[tokio::test]
async fn every_failure_is_reported_with_its_index_and_user_id() {
    let emulator = emulator();
    let client = builder(&emulator).max_retries(0).build().unwrap();
    let inputs = (0..100u64).map(|i| match i {
        7 => Ok(user(i).trait_value("score", f64::NAN)),
        13 => Ok(IdentifyRequest::new("x".repeat(1025))),
        42 => Err(Error::Validation(ValidationError::new(
            "input",
            "Malformed request",
        ))),
        _ => Ok(user(i)),
    });
    let report = client
        .identify_many(futures::stream::iter(inputs), Some(8))
        .await
        .unwrap();
    assert_eq!((report.total, report.succeeded), (100, 97));
    let failed: Vec<(u64, &str, &str)> = report
        .failures
        .iter()
        .map(|f| (f.index, f.user_id.as_str(), f.error.field().unwrap_or("")))
        .collect();
    assert_eq!(failed[0], (7, "user-7", "traits.score"));
    assert_eq!((failed[1].0, failed[1].2), (13, "user_id"));
    assert_eq!(failed[2], (42, "", "input"));
    assert_eq!(emulator.state().users().len(), 97);
}

#[tokio::test]
async fn server_failures_in_bulk_are_reported_not_dropped() {
    let emulator = emulator();
    emulator.state().set_fault_rate(Some(FaultRate {
        probability: 0.3,
        fault: status(500),
    }));
    let client = builder(&emulator).max_retries(0).build().unwrap();
    let report = client
        .identify_many(
            futures::stream::iter((0..200).map(|i| Ok(user(i)))),
            Some(16),
        )
        .await
        .unwrap();
    assert_eq!(report.total, 200);
    assert_eq!(report.succeeded + report.failures.len() as u64, 200);
    assert!(
        !report.failures.is_empty(),
        "a 30% fault rate produced no failure"
    );
    assert!(
        report
            .failures
            .iter()
            .all(|f| f.error.status() == Some(500))
    );
    assert_eq!(emulator.state().users().len() as u64, report.succeeded);
}

#[tokio::test]
async fn input_is_pulled_lazily_and_in_flight_stays_under_the_limit() {
    let emulator = emulator();
    // Slow answers, so that an eager reader would race far ahead.
    emulator.state().set_fault_rate(Some(FaultRate {
        probability: 1.0,
        fault: Fault {
            delay_ms: 20,
            ..Fault::default()
        },
    }));
    let client = builder(&emulator).build().unwrap();
    let pulled = AtomicU64::new(0);
    let finished = AtomicU64::new(0);
    let max_ahead = AtomicU64::new(0);
    let concurrency = 4;
    let inputs = futures::stream::iter((0..40).map(|i| {
        let ahead = pulled.fetch_add(1, Ordering::SeqCst) + 1 - finished.load(Ordering::SeqCst);
        max_ahead.fetch_max(ahead, Ordering::SeqCst);
        Ok(user(i))
    }));
    let summary = client
        .identify_each(inputs, Some(concurrency), |outcome| {
            assert!(outcome.result.is_ok());
            finished.fetch_add(1, Ordering::SeqCst);
        })
        .await
        .unwrap();
    assert_eq!(
        (summary.total, summary.succeeded, summary.failed),
        (40, 40, 0)
    );
    assert!(
        // `concurrency` in flight, as many waiting, and the one waiting for room.
        max_ahead.load(Ordering::SeqCst) <= 2 * concurrency as u64 + 1,
        "read {} inputs ahead of the finished ones with concurrency {concurrency}",
        max_ahead.load(Ordering::SeqCst)
    );
}

#[test]
fn the_blocking_client_sends_one_and_many() {
    let emulator = emulator();
    let client = builder(&emulator).build_blocking().unwrap();
    let one = client
        .identify(
            &IdentifyRequest::new("solo")
                .trait_value("trial", true)
                .trait_value("legacy", TraitValue::Remove),
        )
        .unwrap();
    assert_eq!(one.traits.get("trial").map(String::as_str), Some("true"));
    let report = client
        .identify_many((0..50).map(|i| Ok(user(i))), None)
        .unwrap();
    assert_eq!(
        (report.total, report.succeeded, report.is_success()),
        (50, 50, true)
    );
    let users = emulator.state().users();
    assert_eq!(users.len(), 51);
    assert_eq!(
        emulator
            .state()
            .user("acme", "web", "user-49")
            .unwrap()
            .traits["revenue"],
        "49"
    );
}

/// A caller that keeps its requests lends them rather than copying them.
#[test]
fn requests_can_be_lent_to_a_bulk_run() {
    let emulator = emulator();
    let client = builder(&emulator).build_blocking().unwrap();
    let requests: Vec<IdentifyRequest> = (0..20).map(user).collect();
    let report = client.identify_many(requests.iter().map(Ok), None).unwrap();
    assert_eq!((report.total, report.succeeded), (20, 20));
    let report = client
        .identify_many([Ok(&requests[0]), Ok(&IdentifyRequest::new(""))], Some(2))
        .unwrap();
    assert_eq!(report.failures.len(), 1);
    assert_eq!(
        (
            report.failures[0].index,
            report.failures[0].user_id.as_str()
        ),
        (1, "")
    );
}

/// Requests validated and encoded ahead (on a reading thread, say) send as the same bytes as
/// the requests they came from; an invalid one is refused by `prepare` itself.
#[test]
fn prepared_requests_send_what_their_requests_would() {
    let emulator = emulator();
    let client = builder(&emulator).build_blocking().unwrap();
    let requests: Vec<IdentifyRequest> = (0..10).map(user).collect();
    let prepared: Vec<PreparedRequest> = requests.iter().map(|r| r.prepare().unwrap()).collect();
    assert_eq!(prepared[3].user_id(), "user-3");
    let report = client
        .identify_many(prepared.into_iter().map(Ok), None)
        .unwrap();
    assert_eq!((report.total, report.succeeded), (10, 10));
    let mut sent_prepared: Vec<(String, String)> = emulator
        .state()
        .requests()
        .into_iter()
        .map(|r| (r.path, r.body))
        .collect();
    emulator.state().reset();
    client
        .identify_many(requests.iter().map(Ok), Some(1))
        .unwrap();
    let mut sent_plain: Vec<(String, String)> = emulator
        .state()
        .requests()
        .into_iter()
        .map(|r| (r.path, r.body))
        .collect();
    sent_prepared.sort();
    sent_plain.sort();
    assert_eq!(sent_prepared, sent_plain);

    let invalid = IdentifyRequest::new("u")
        .trait_value("score", f64::NAN)
        .prepare();
    assert_eq!(invalid.unwrap_err().field, "traits.score");
}

#[test]
fn the_blocking_client_is_shared_across_threads() {
    let emulator = emulator();
    let client = builder(&emulator).build_blocking().unwrap();
    std::thread::scope(|scope| {
        for t in 0..4 {
            let client = &client;
            scope.spawn(move || {
                for i in 0..10 {
                    client
                        .identify(&IdentifyRequest::new(format!("t{t}-{i}")))
                        .unwrap();
                }
            });
        }
    });
    assert_eq!(emulator.state().users().len(), 40);
    let error = client.identify(&IdentifyRequest::new("")).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Validation);
}

/// Concurrency 0 has one meaning wherever it is given: a configuration error, before anything
/// is read or sent.
#[tokio::test]
async fn a_concurrency_of_zero_is_a_configuration_error() {
    let emulator = emulator();
    let client = builder(&emulator).build().unwrap();
    let error = client
        .identify_many(futures::stream::iter([user(1)]), Some(0))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
    assert_eq!(error.message(), "concurrency must be at least 1");
    assert!(client.bulk_run(Some(0)).is_err());
    assert!(emulator.state().requests().is_empty());
}
