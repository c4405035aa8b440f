//! The emulator's own rate limit: past N requests per second, 429 with `Retry-After`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{client, put};
use logrocket_emulator::{Emulator, EmulatorConfig};

#[tokio::test]
async fn past_its_rate_it_answers_429_with_retry_after_and_records_it() {
    let emulator = Emulator::start(EmulatorConfig {
        rate_limit: Some(5),
        ..EmulatorConfig::default()
    })
    .unwrap();
    let client = client();
    let started = Instant::now();
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for i in 0..12 {
        let answer = put(&client, &emulator, &format!("u{i}"), "{}").await;
        if answer.status == 429 {
            retry_after = answer.retry_after.clone();
            assert_eq!(answer.message(), "Too Many Requests");
        }
        statuses.push(answer.status);
    }
    let elapsed = started.elapsed().as_secs_f64();
    // A second's worth at once, then one more per 200 ms that passed meanwhile.
    let granted = statuses.iter().filter(|s| **s == 200).count();
    assert!(statuses[..5].iter().all(|s| *s == 200), "{statuses:?}");
    assert!(
        granted <= 5 + (elapsed * 5.0).ceil() as usize,
        "{granted} granted in {elapsed:.2} s"
    );
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(retry_after.as_deref(), Some("1"));
    // Rate-limited requests are in the log, with their status, and stored nothing.
    let log = emulator.state().requests();
    assert_eq!(log.iter().filter(|r| r.status == 429).count(), 12 - granted);
    assert_eq!(emulator.state().users().len(), granted);

    // Once Retry-After has passed, requests go through again.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(put(&client, &emulator, "later", "{}").await.status, 200);
}

#[tokio::test]
async fn the_rate_limit_is_set_and_lifted_over_http_and_in_process() {
    let emulator = common::emulator();
    let client = client();
    let url = format!("{}/_emulator/rate-limit", emulator.url());
    let set = client
        .post(&url)
        .json(&serde_json::json!({"per_second": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 204);
    assert_eq!(emulator.state().rate_limit(), Some(1));
    assert_eq!(put(&client, &emulator, "a", "{}").await.status, 200);
    assert_eq!(put(&client, &emulator, "b", "{}").await.status, 429);

    let lifted = client
        .post(&url)
        .json(&serde_json::json!({"per_second": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(lifted.status(), 204);
    assert_eq!(emulator.state().rate_limit(), None);
    for i in 0..20 {
        assert_eq!(
            put(&client, &emulator, &format!("c{i}"), "{}").await.status,
            200
        );
    }

    let bad = client
        .post(&url)
        .json(&serde_json::json!({"per_second": "many"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    emulator.state().set_rate_limit(Some(2));
    assert_eq!(emulator.state().rate_limit(), Some(2));
    emulator.state().set_rate_limit(Some(0));
    assert_eq!(emulator.state().rate_limit(), None);
}
