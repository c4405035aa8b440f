//! Background delivery: enqueue, flush, close, the full-queue policies, the on-failure hook and
//! the counters, against the emulator with faults.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{builder, emulator, status};
use logrocket_emulator::{Fault, FaultRate};
use logrocket_identify::{
    Counters, DeliveryFailure, ErrorKind, IdentifyRequest, TraitValue, WhenFull,
};

fn hang(ms: u64) -> Fault {
    Fault {
        delay_ms: ms,
        ..Fault::default()
    }
}

fn too_many(retry_after: &str) -> Fault {
    Fault {
        status: Some(429),
        retry_after: Some(retry_after.into()),
        ..Fault::default()
    }
}

/// Every failure the hook saw: (user id, error kind, updates).
type Seen = Arc<Mutex<Vec<(String, ErrorKind, u64)>>>;

fn recording_hook() -> (Seen, impl Fn(&DeliveryFailure) + Send + Sync + 'static) {
    let seen: Seen = Arc::default();
    let sink = Arc::clone(&seen);
    (seen, move |failure: &DeliveryFailure| {
        sink.lock().unwrap().push((
            failure.user_id.clone(),
            failure.error.kind(),
            failure.updates,
        ));
    })
}

fn assert_adds_up(counters: &Counters) {
    assert_eq!(
        counters.enqueued,
        counters.coalesced
            + counters.delivered
            + counters.failed
            + counters.dropped
            + counters.pending,
        "{counters:?}"
    );
}

#[test]
fn ten_thousand_enqueues_through_5xx_and_429_bursts_all_arrive() {
    let emulator = emulator();
    let state = emulator.state();
    state.push_faults((0..10).map(|_| too_many("1")).collect());
    state.set_fault_rate(Some(FaultRate {
        probability: 0.2,
        fault: status(503),
    }));
    let (seen, hook) = recording_hook();
    let client = builder(&emulator)
        .max_retries(12)
        .concurrency(32)
        .on_failure(hook)
        .build_blocking()
        .unwrap();
    for i in 0..10_000u64 {
        if i == 5_000 {
            // A second burst while the queue is busy.
            state.push_faults((0..10).map(|_| too_many("1")).collect());
        }
        client
            .enqueue(IdentifyRequest::new(format!("user-{i}")).trait_value("revenue", i))
            .unwrap();
    }
    let summary = client.flush(Duration::from_secs(120));
    assert!(summary.completed, "{summary:?}");
    assert_eq!(summary.pending, 0);
    let counters = client.counters();
    assert_adds_up(&counters);
    assert_eq!(counters.enqueued, 10_000);
    assert_eq!(counters.delivered, 10_000, "{counters:?}");
    assert!(counters.retried > 0, "a 20% fault rate caused no retry");
    assert!(seen.lock().unwrap().is_empty());
    let users = state.users();
    assert_eq!(users.len(), 10_000);
    for user in users {
        let i: u64 = user.user_id.trim_start_matches("user-").parse().unwrap();
        assert_eq!(user.traits["revenue"], i.to_string());
    }
}

#[test]
fn enqueue_validates_at_once_and_queues_nothing_bad() {
    let emulator = emulator();
    let client = builder(&emulator).build_blocking().unwrap();
    let error = client
        .enqueue(IdentifyRequest::new("u").trait_value("score", f64::NAN))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Validation);
    assert_eq!(error.field(), Some("traits.score"));
    assert_eq!(client.counters().enqueued, 0);
    assert!(client.flush(Duration::from_secs(5)).completed);
    assert!(emulator.state().requests().is_empty());
}

#[test]
fn a_full_queue_is_an_error_with_the_error_policy() {
    let emulator = emulator();
    emulator.state().push_faults(vec![hang(1_500)]);
    let client = builder(&emulator)
        .concurrency(1)
        .queue_capacity(2)
        .when_full(WhenFull::Error)
        .build_blocking()
        .unwrap();
    client.enqueue(IdentifyRequest::new("a")).unwrap();
    // "a" goes in flight (and hangs); two more fill the queue.
    wait_until(|| client.counters().in_flight == 1);
    client.enqueue(IdentifyRequest::new("b")).unwrap();
    client.enqueue(IdentifyRequest::new("c")).unwrap();
    let started = Instant::now();
    let error = client.enqueue(IdentifyRequest::new("d")).unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(error.kind(), ErrorKind::QueueFull);
    assert!(error.message().contains("queue is full"), "{error}");
    assert!(client.flush(Duration::from_secs(10)).completed);
    assert_eq!(emulator.state().users().len(), 3);
    assert_eq!(client.counters().enqueued, 3);
}

#[test]
fn the_block_policy_waits_for_room_then_gives_up() {
    let emulator = emulator();
    emulator.state().push_faults(vec![hang(300), hang(3_000)]);
    let client = builder(&emulator)
        .concurrency(1)
        .queue_capacity(1)
        .coalesce(false)
        .when_full(WhenFull::Block(Duration::from_secs(2)))
        .build_blocking()
        .unwrap();
    client.enqueue(IdentifyRequest::new("a")).unwrap();
    wait_until(|| client.counters().in_flight == 1);
    client.enqueue(IdentifyRequest::new("b")).unwrap();
    // Room comes when "a" is answered (300 ms): this one waits for it and gets in.
    client.enqueue(IdentifyRequest::new("c")).unwrap();
    // "b" now hangs for 3 s with "c" queued: the next waits its 2 s and gives up.
    let started = Instant::now();
    let error = client.enqueue(IdentifyRequest::new("d")).unwrap_err();
    let waited = started.elapsed();
    assert_eq!(error.kind(), ErrorKind::QueueFull);
    assert!(waited >= Duration::from_millis(1_900), "{waited:?}");
    assert!(client.flush(Duration::from_secs(10)).completed);
    assert_eq!(emulator.state().users().len(), 3);
}

#[test]
fn drop_oldest_makes_room_and_tells_the_hook() {
    let emulator = emulator();
    emulator.state().push_faults(vec![hang(800)]);
    let (seen, hook) = recording_hook();
    let client = builder(&emulator)
        .concurrency(1)
        .queue_capacity(2)
        .when_full(WhenFull::DropOldest)
        .on_failure(hook)
        .build_blocking()
        .unwrap();
    client.enqueue(IdentifyRequest::new("a")).unwrap();
    wait_until(|| client.counters().in_flight == 1);
    for user in ["b", "c", "d", "e"] {
        client.enqueue(IdentifyRequest::new(user)).unwrap();
    }
    assert!(client.flush(Duration::from_secs(10)).completed);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            ("b".to_owned(), ErrorKind::QueueFull, 1),
            ("c".to_owned(), ErrorKind::QueueFull, 1)
        ]
    );
    let counters = client.counters();
    assert_eq!((counters.dropped, counters.delivered), (2, 3));
    assert_adds_up(&counters);
    let stored: Vec<String> = emulator
        .state()
        .users()
        .into_iter()
        .map(|u| u.user_id)
        .collect();
    assert_eq!(stored, ["a", "d", "e"]);
}

#[test]
fn flush_and_close_keep_their_deadline_while_the_server_hangs() {
    let emulator = emulator();
    emulator.state().set_fault_rate(Some(FaultRate {
        probability: 1.0,
        fault: hang(10_000),
    }));
    let (seen, hook) = recording_hook();
    let client = builder(&emulator)
        .concurrency(2)
        .timeout(Duration::from_secs(30))
        .on_failure(hook)
        .build_blocking()
        .unwrap();
    for i in 0..5 {
        client
            .enqueue(IdentifyRequest::new(format!("u{i}")))
            .unwrap();
    }
    let started = Instant::now();
    let flushed = client.flush(Duration::from_millis(300));
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(!flushed.completed);
    assert_eq!(flushed.pending, 5);

    let started = Instant::now();
    let closed = client.close(Duration::from_millis(300));
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(!closed.completed);
    assert_eq!((closed.pending, closed.dropped), (0, 5));
    // Two in flight and three queued: every one reaches the hook as abandoned at close.
    let mut seen = seen.lock().unwrap().clone();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    let expected: Vec<(String, ErrorKind, u64)> = (0..5)
        .map(|i| (format!("u{i}"), ErrorKind::Closed, 1))
        .collect();
    assert_eq!(seen, expected);
    assert_adds_up(&client.counters());

    let error = client.enqueue(IdentifyRequest::new("late")).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Closed);
    // Closing again is harmless.
    assert_eq!(client.close(Duration::from_millis(10)).dropped, 5);
}

#[test]
fn close_delivers_what_is_pending_and_then_refuses_more() {
    let emulator = emulator();
    let client = builder(&emulator).build_blocking().unwrap();
    for i in 0..200 {
        client
            .enqueue(IdentifyRequest::new(format!("u{i}")).trait_value("n", i))
            .unwrap();
    }
    let summary = client.close(Duration::from_secs(30));
    assert!(summary.completed);
    assert_eq!((summary.delivered, summary.pending), (200, 0));
    assert_eq!(emulator.state().users().len(), 200);
    let error = client.enqueue(IdentifyRequest::new("late")).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Closed);
}

#[test]
fn dropping_a_blocking_client_delivers_what_is_pending() {
    let emulator = emulator();
    {
        let client = builder(&emulator).build_blocking().unwrap();
        for i in 0..100 {
            client
                .enqueue(IdentifyRequest::new(format!("u{i}")))
                .unwrap();
        }
    }
    assert_eq!(emulator.state().users().len(), 100);
}

#[test]
fn permanent_failures_reach_the_hook_and_are_counted() {
    let emulator = emulator();
    emulator.state().push_faults(vec![Fault {
        status: Some(400),
        body: Some(r#"{"message":"Malformed request"}"#.into()),
        ..Fault::default()
    }]);
    let (seen, hook) = recording_hook();
    let client = builder(&emulator)
        .concurrency(1)
        .on_failure(hook)
        .build_blocking()
        .unwrap();
    client.enqueue(IdentifyRequest::new("bad")).unwrap();
    client.enqueue(IdentifyRequest::new("good")).unwrap();
    assert!(client.flush(Duration::from_secs(10)).completed);
    assert_eq!(
        seen.lock().unwrap().clone(),
        [("bad".to_owned(), ErrorKind::Api, 1)]
    );
    let counters = client.counters();
    assert_eq!((counters.failed, counters.delivered), (1, 1));
    assert_adds_up(&counters);
}

#[test]
fn a_hook_that_panics_does_not_stop_delivery() {
    let emulator = emulator();
    emulator.state().push_faults(vec![status(400)]);
    let client = builder(&emulator)
        .concurrency(1)
        .on_failure(|_: &DeliveryFailure| panic!("a careless hook"))
        .build_blocking()
        .unwrap();
    client.enqueue(IdentifyRequest::new("bad")).unwrap();
    client.enqueue(IdentifyRequest::new("good")).unwrap();
    assert!(client.flush(Duration::from_secs(10)).completed);
    assert_eq!(client.counters().delivered, 1);
}

/// One user's updates go out in order, one at a time, even with many requests in flight: a
/// trait set and then removed ends removed.
#[test]
fn one_users_updates_are_sent_in_order() {
    let emulator = emulator();
    emulator.state().set_fault_rate(Some(FaultRate {
        probability: 0.3,
        fault: hang(20),
    }));
    let client = builder(&emulator)
        .concurrency(16)
        .coalesce(false)
        .build_blocking()
        .unwrap();
    for round in 0..50 {
        for user in 0..4 {
            client
                .enqueue(
                    IdentifyRequest::new(format!("u{user}"))
                        .trait_value("round", round)
                        .trait_value(
                            "flag",
                            if round % 2 == 0 {
                                "on".into()
                            } else {
                                TraitValue::Remove
                            },
                        ),
                )
                .unwrap();
        }
    }
    assert!(client.flush(Duration::from_secs(30)).completed);
    for user in emulator.state().users() {
        assert_eq!(user.traits["round"], "49");
        assert!(!user.traits.contains_key("flag"), "{user:?}");
    }
    assert_eq!(client.counters().delivered, 200);
}

#[tokio::test]
async fn the_async_client_enqueues_on_its_runtime() {
    let emulator = emulator();
    let client = builder(&emulator).build().unwrap();
    for i in 0..50 {
        client
            .enqueue(IdentifyRequest::new(format!("u{i}")))
            .unwrap();
    }
    let summary = client.flush(Duration::from_secs(10)).await;
    assert!(summary.completed);
    assert_eq!(summary.delivered, 50);
    assert!(client.close(Duration::from_secs(1)).await.completed);
}

#[test]
fn the_async_client_needs_a_runtime_to_enqueue() {
    let emulator = emulator();
    let client = builder(&emulator).build().unwrap();
    let error = client.enqueue(IdentifyRequest::new("u")).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
    assert!(error.message().contains("runtime"), "{error}");
}

#[test]
fn queue_limits_of_zero_are_configuration_errors() {
    let emulator = emulator();
    for builder in [
        builder(&emulator).queue_capacity(0),
        builder(&emulator).queue_max_bytes(0),
        builder(&emulator).concurrency(0),
    ] {
        let error = builder.build().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Config, "{error}");
    }
}

fn wait_until(condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "condition not met in 10 s");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[tokio::test]
async fn close_refuses_updates_from_the_moment_it_is_called() {
    let emulator = emulator();
    let client = builder(&emulator).build().unwrap();
    client.enqueue(IdentifyRequest::new("early")).unwrap();
    let closing = client.close(Duration::from_secs(10));
    let error = client.enqueue(IdentifyRequest::new("late")).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Closed);
    assert!(closing.await.completed);
    assert_eq!(emulator.state().users().len(), 1);
}

/// Dropping every clone of an async client without `close` tells its sending loop to deliver
/// what is pending and end, rather than keep the client alive for good.
#[tokio::test]
async fn dropping_every_clone_still_delivers_what_is_pending() {
    let emulator = emulator();
    let client = builder(&emulator).build().unwrap();
    let clone = client.clone();
    for i in 0..100 {
        clone
            .enqueue(IdentifyRequest::new(format!("u{i}")))
            .unwrap();
    }
    drop(client);
    drop(clone);
    let deadline = Instant::now() + Duration::from_secs(10);
    while emulator.state().users().len() < 100 {
        assert!(
            Instant::now() < deadline,
            "pending updates were not delivered"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// "Forever" is a deadline like any other: no timeout overflows a clock, whatever a binding
/// passes on (C's UINT64_MAX milliseconds, Python's 1e18 seconds).
#[test]
fn waits_without_an_end_are_accepted() {
    let emulator = emulator();
    let client = builder(&emulator)
        .when_full(WhenFull::Block(Duration::MAX))
        .build_blocking()
        .unwrap();
    for i in 0..20 {
        client
            .enqueue(IdentifyRequest::new(format!("u{i}")))
            .unwrap();
    }
    assert!(client.flush(Duration::MAX).completed);
    assert!(client.close(Duration::MAX).completed);
    assert_eq!(emulator.state().users().len(), 20);
}

/// The queue is bounded in bytes as well as in updates: one update always fits, however large,
/// but a second waits for room.
#[test]
fn the_queue_is_bounded_in_bytes_too() {
    let emulator = emulator();
    emulator.state().push_faults(vec![hang(1_000)]);
    let client = builder(&emulator)
        .concurrency(1)
        .queue_capacity(1_000)
        .queue_max_bytes(2_000)
        .when_full(WhenFull::Error)
        .build_blocking()
        .unwrap();
    client.enqueue(IdentifyRequest::new("first")).unwrap();
    wait_until(|| client.counters().in_flight == 1);
    let large = |user: &str| IdentifyRequest::new(user).name("n".repeat(1_000));
    client.enqueue(large("a")).unwrap();
    let error = client.enqueue(large("b")).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::QueueFull);
    assert_eq!(client.counters().pending, 2);
    assert!(client.flush(Duration::from_secs(10)).completed);
    assert_eq!(emulator.state().users().len(), 2);
}
