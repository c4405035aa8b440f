//! Injected faults: statuses with Retry-After, custom bodies, dropped connections, delays,
//! scripts and rates.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{APP, ORG, client, emulator, post_faults, put, user_url};
use logrocket_emulator::{Fault, FaultRate};
use serde_json::json;

#[tokio::test]
async fn status_fault_answers_with_retry_after_and_standard_message() {
    let emulator = emulator();
    let client = client();
    let answer = post_faults(
        &client,
        &emulator,
        &json!({"script": [{"status": 429, "retry_after": "7"}]}),
    )
    .await;
    assert_eq!(answer.status, 204);
    let answer = put(&client, &emulator, "u1", "{}").await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.retry_after.as_deref(), Some("7"));
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    assert_eq!(answer.json(), json!({"message": "Too Many Requests"}));
    // The faulted request was not processed, but it was recorded.
    assert!(emulator.state().user(ORG, APP, "u1").is_none());
    assert_eq!(emulator.state().requests()[0].status, 429);
    // The script is consumed: the next request goes through.
    assert_eq!(put(&client, &emulator, "u1", "{}").await.status, 200);
}

#[tokio::test]
async fn status_500_uses_the_documented_message() {
    let emulator = emulator();
    emulator.state().push_faults(vec![Fault {
        status: Some(500),
        ..Default::default()
    }]);
    let answer = put(&client(), &emulator, "u1", "{}").await;
    assert_eq!(answer.status, 500);
    assert_eq!(answer.retry_after, None);
    assert_eq!(
        answer.json(),
        json!({"message": "Error processing user data"})
    );
}

#[tokio::test]
async fn custom_body_is_sent_as_plain_text() {
    let emulator = emulator();
    emulator.state().push_faults(vec![Fault {
        status: Some(503),
        retry_after: Some("Wed, 21 Oct 2037 07:28:00 GMT".to_owned()),
        body: Some("upstream unavailable".to_owned()),
        ..Default::default()
    }]);
    let answer = put(&client(), &emulator, "u1", "{}").await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.text, "upstream unavailable");
    assert!(answer.content_type.unwrap().starts_with("text/plain"));
    assert_eq!(
        answer.retry_after.as_deref(),
        Some("Wed, 21 Oct 2037 07:28:00 GMT")
    );
}

#[tokio::test]
async fn script_is_consumed_in_order_one_per_request() {
    let emulator = emulator();
    let client = client();
    post_faults(&client, &emulator, &json!({"script": [{"status": 503}]})).await;
    post_faults(
        &client,
        &emulator,
        &json!({"script": [{"status": 502}, {"delay_ms": 1}]}),
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(put(&client, &emulator, "u1", "{}").await.status);
    }
    assert_eq!(statuses, [503, 502, 200, 200]);
}

#[tokio::test]
async fn fault_comes_before_auth() {
    let emulator = emulator();
    let client = client();
    emulator.state().push_faults(vec![Fault {
        status: Some(503),
        ..Default::default()
    }]);
    let response = client
        .put(user_url(&emulator, "u1"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
}

#[tokio::test]
async fn dropped_connection_is_a_transport_error_not_a_response() {
    let emulator = emulator();
    let client = client();
    // A request first, so the drop happens on a pooled keep-alive connection too.
    assert_eq!(put(&client, &emulator, "warm", "{}").await.status, 200);
    post_faults(
        &client,
        &emulator,
        &json!({"script": [{"drop_connection": true}]}),
    )
    .await;
    let error = client
        .put(user_url(&emulator, "u1"))
        .header("authorization", "token test")
        .body("{}")
        .send()
        .await
        .expect_err("a dropped connection must not produce a response");
    assert!(error.is_connect() || error.is_request(), "{error:?}");
    assert!(error.status().is_none());
    assert!(emulator.state().user(ORG, APP, "u1").is_none());
    let logged = emulator.state().requests();
    assert_eq!(logged.last().unwrap().status, 0);
    assert_eq!(logged.last().unwrap().body, "{}");
    // The server goes on serving on new connections.
    assert_eq!(put(&client, &emulator, "u1", "{}").await.status, 200);
}

#[tokio::test]
async fn dropped_connection_on_a_fresh_connection() {
    let emulator = emulator();
    emulator.state().push_faults(vec![Fault {
        drop_connection: true,
        delay_ms: 50,
        ..Default::default()
    }]);
    let error = client()
        .put(user_url(&emulator, "u1"))
        .header("authorization", "token test")
        .body("{}")
        .send()
        .await
        .unwrap_err();
    assert!(error.is_connect() || error.is_request(), "{error:?}");
}

#[tokio::test]
async fn delay_alone_slows_the_request_then_proceeds() {
    let emulator = emulator();
    emulator.state().push_faults(vec![Fault {
        delay_ms: 300,
        ..Default::default()
    }]);
    let started = Instant::now();
    let answer = put(&client(), &emulator, "u1", r#"{"name":"A"}"#).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["name"], "A");
}

#[tokio::test]
async fn delay_with_status_waits_then_answers_the_status() {
    let emulator = emulator();
    emulator.state().push_faults(vec![Fault {
        delay_ms: 200,
        status: Some(504),
        ..Default::default()
    }]);
    let started = Instant::now();
    let answer = put(&client(), &emulator, "u1", "{}").await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(answer.status, 504);
    assert_eq!(answer.message(), "Gateway Timeout");
}

#[tokio::test]
async fn delay_does_not_block_other_requests() {
    let emulator = emulator();
    let client = client();
    emulator.state().push_faults(vec![Fault {
        delay_ms: 1_000,
        ..Default::default()
    }]);
    let slow = tokio::spawn({
        let client = client.clone();
        let url = user_url(&emulator, "slow");
        async move {
            client
                .put(url)
                .header("authorization", "token test")
                .body("{}")
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    assert_eq!(put(&client, &emulator, "fast", "{}").await.status, 200);
    assert!(started.elapsed() < Duration::from_millis(800));
    assert_eq!(slow.await.unwrap().as_u16(), 200);
}

#[tokio::test]
async fn rate_one_faults_every_request_until_cleared() {
    let emulator = emulator();
    let client = client();
    let answer = post_faults(
        &client,
        &emulator,
        &json!({"rate": {"probability": 1.0, "fault": {"status": 503, "retry_after": "1"}}}),
    )
    .await;
    assert_eq!(answer.status, 204);
    for _ in 0..5 {
        let answer = put(&client, &emulator, "u1", "{}").await;
        assert_eq!(answer.status, 503);
        assert_eq!(answer.retry_after.as_deref(), Some("1"));
    }
    let answer = post_faults(&client, &emulator, &json!({"rate": null})).await;
    assert_eq!(answer.status, 204);
    assert_eq!(put(&client, &emulator, "u1", "{}").await.status, 200);
}

#[tokio::test]
async fn rate_zero_never_fires_and_script_goes_first() {
    let emulator = emulator();
    let client = client();
    emulator.state().set_fault_rate(Some(FaultRate {
        probability: 0.0,
        fault: Fault {
            status: Some(503),
            ..Default::default()
        },
    }));
    for _ in 0..20 {
        assert_eq!(put(&client, &emulator, "u1", "{}").await.status, 200);
    }
    emulator.state().set_fault_rate(Some(FaultRate {
        probability: 1.0,
        fault: Fault {
            status: Some(503),
            ..Default::default()
        },
    }));
    emulator.state().push_faults(vec![Fault {
        status: Some(429),
        ..Default::default()
    }]);
    assert_eq!(put(&client, &emulator, "u1", "{}").await.status, 429);
    assert_eq!(put(&client, &emulator, "u1", "{}").await.status, 503);
    emulator.state().set_fault_rate(None);
    assert_eq!(put(&client, &emulator, "u1", "{}").await.status, 200);
}

#[tokio::test]
async fn rate_half_fires_sometimes() {
    let emulator = emulator();
    let client = client();
    emulator.state().set_fault_rate(Some(FaultRate {
        probability: 0.5,
        fault: Fault {
            status: Some(503),
            ..Default::default()
        },
    }));
    let mut faulted = 0;
    for _ in 0..200 {
        if put(&client, &emulator, "u1", "{}").await.status == 503 {
            faulted += 1;
        }
    }
    // Binomial(200, 0.5): outside 50..150 has probability far below 1e-12.
    assert!((50..150).contains(&faulted), "{faulted}");
}

#[tokio::test]
async fn delete_clears_script_and_rate() {
    let emulator = emulator();
    let client = client();
    post_faults(
        &client,
        &emulator,
        &json!({
            "script": [{"status": 500}, {"status": 500}],
            "rate": {"probability": 1.0, "fault": {"status": 503}}
        }),
    )
    .await;
    let response = client
        .delete(format!("{}/_emulator/faults", emulator.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(put(&client, &emulator, "u1", "{}").await.status, 200);
}

#[tokio::test]
async fn control_routes_are_never_faulted() {
    let emulator = emulator();
    let client = client();
    emulator.state().set_fault_rate(Some(FaultRate {
        probability: 1.0,
        fault: Fault {
            drop_connection: true,
            ..Default::default()
        },
    }));
    let response = client
        .get(format!("{}/_emulator/health", emulator.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}
