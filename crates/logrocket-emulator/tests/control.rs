//! The `/_emulator/` routes and the request log limit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{client, emulator, post_faults, put};
use logrocket_emulator::{Emulator, EmulatorConfig, EmulatorStats, RecordedRequest, StoredUser};
use serde_json::json;

#[tokio::test]
async fn health_answers_ok() {
    let emulator = emulator();
    let response = client()
        .get(format!("{}/_emulator/health", emulator.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn users_route_lists_stored_users_in_camel_case() {
    let emulator = emulator();
    let client = client();
    put(
        &client,
        &emulator,
        "b",
        r#"{"name":"B","timestamp":5,"traits":{"n":1}}"#,
    )
    .await;
    put(&client, &emulator, "a", r#"{"timestamp":7}"#).await;
    let response = client
        .get(format!("{}/_emulator/users", emulator.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let users: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        users,
        json!([
            {"orgID": "org1", "appID": "app1", "userID": "a", "name": null, "email": null,
             "traits": {}, "firstSeen": 7, "lastSeen": 7},
            {"orgID": "org1", "appID": "app1", "userID": "b", "name": "B", "email": null,
             "traits": {"n": "1"}, "firstSeen": 5, "lastSeen": 5}
        ])
    );
    let typed: Vec<StoredUser> = serde_json::from_value(users).unwrap();
    assert_eq!(typed, emulator.state().users());
}

#[tokio::test]
async fn requests_route_lists_api_requests_only() {
    let emulator = emulator();
    let client = client();
    put(&client, &emulator, "u1", "{}").await;
    client
        .get(format!("{}/_emulator/health", emulator.url()))
        .send()
        .await
        .unwrap();
    let logged: Vec<RecordedRequest> = client
        .get(format!("{}/_emulator/requests", emulator.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged, emulator.state().requests());
    assert_eq!(logged[0].path, "/v1/orgs/org1/apps/app1/users/u1");
}

#[tokio::test]
async fn requests_read_one_at_a_time_match_the_log() {
    let emulator = emulator();
    let client = client();
    for id in ["u1", "u2", "u3"] {
        put(&client, &emulator, id, "{}").await;
    }
    let state = emulator.state();
    assert_eq!(state.request_count(), 3);
    let one_by_one: Vec<RecordedRequest> = (0..3).filter_map(|i| state.request(i)).collect();
    assert_eq!(one_by_one, state.requests());
    assert_eq!(state.request(3), None);
}

#[tokio::test]
async fn unknown_control_routes_are_404_and_not_logged() {
    let emulator = emulator();
    let response = client()
        .get(format!("{}/_emulator/nope", emulator.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    assert!(emulator.state().requests().is_empty());
}

#[tokio::test]
async fn reset_route_forgets_users_requests_and_faults() {
    let emulator = emulator();
    let client = client();
    put(&client, &emulator, "u1", "{}").await;
    post_faults(
        &client,
        &emulator,
        &json!({"rate": {"probability": 1.0, "fault": {"status": 503}}}),
    )
    .await;
    let response = client
        .post(format!("{}/_emulator/reset", emulator.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    assert!(emulator.state().users().is_empty());
    assert!(emulator.state().requests().is_empty());
    assert_eq!(put(&client, &emulator, "u1", "{}").await.status, 200);
}

#[tokio::test]
async fn reset_method_forgets_everything() {
    let emulator = emulator();
    let client = client();
    put(&client, &emulator, "u1", "{}").await;
    emulator
        .state()
        .push_faults(vec![logrocket_emulator::Fault {
            status: Some(500),
            ..Default::default()
        }]);
    emulator.state().reset();
    assert!(emulator.state().users().is_empty());
    assert!(emulator.state().requests().is_empty());
    assert_eq!(put(&client, &emulator, "u1", "{}").await.status, 200);
}

#[tokio::test]
async fn bad_fault_bodies_are_400_with_a_message_and_change_nothing() {
    let emulator = emulator();
    let client = client();
    for body in [
        json!({}),
        json!({"script": "no"}),
        json!({"script": [{"status": 503, "retryAfter": "1"}]}),
        json!({"script": [{"status": 503}, {"status": 99}]}),
        json!({"script": [{"status": 503, "retry_after": "bad\nvalue"}]}),
        json!({"rate": {"probability": 1.5, "fault": {"status": 503}}}),
        json!({"rate": {"probability": 0.5}}),
        json!({"scripts": []}),
    ] {
        let answer = post_faults(&client, &emulator, &body).await;
        assert_eq!(answer.status, 400, "{body}");
        assert!(!answer.message().is_empty(), "{body}");
    }
    let raw = client
        .post(format!("{}/_emulator/faults", emulator.url()))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    // Nothing was queued by the rejected bodies.
    assert_eq!(put(&client, &emulator, "u1", "{}").await.status, 200);
}

#[tokio::test]
async fn request_log_keeps_only_the_newest() {
    let config = EmulatorConfig {
        request_log_limit: 3,
        ..Default::default()
    };
    let emulator = Emulator::start(config).unwrap();
    let client = client();
    for i in 0..5 {
        put(&client, &emulator, &format!("u{i}"), "{}").await;
    }
    let paths: Vec<String> = emulator
        .state()
        .requests()
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(
        paths,
        [
            "/v1/orgs/org1/apps/app1/users/u2",
            "/v1/orgs/org1/apps/app1/users/u3",
            "/v1/orgs/org1/apps/app1/users/u4"
        ]
    );
    assert_eq!(emulator.state().users().len(), 5);
}

#[tokio::test]
async fn request_log_limit_zero_records_nothing() {
    let config = EmulatorConfig {
        request_log_limit: 0,
        ..Default::default()
    };
    let emulator = Emulator::start(config).unwrap();
    assert_eq!(put(&client(), &emulator, "u1", "{}").await.status, 200);
    assert!(emulator.state().requests().is_empty());
}

#[tokio::test]
async fn stats_count_connections_and_statuses_until_reset() {
    let config = EmulatorConfig {
        // The totals go on past the log's limit.
        request_log_limit: 1,
        ..Default::default()
    };
    let emulator = Emulator::start(config).unwrap();
    let client = client();
    put(&client, &emulator, "u1", "{}").await;
    put(&client, &emulator, "u2", "{}").await;
    post_faults(&client, &emulator, &json!({"script": [{"status": 429}]})).await;
    assert_eq!(put(&client, &emulator, "u3", "{}").await.status, 429);
    // A second client opens its own connection.
    put(&common::client(), &emulator, "u4", "{}").await;

    let stats: serde_json::Value = client
        .get(format!("{}/_emulator/stats", emulator.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        stats,
        json!({"connections": 2, "statuses": {"200": 3, "429": 1}})
    );
    let typed: EmulatorStats = serde_json::from_value(stats).unwrap();
    assert_eq!(typed, emulator.state().stats());
    assert_eq!(emulator.state().connections_accepted(), 2);
    assert_eq!(emulator.state().status_counts().get(&200), Some(&3));
    assert_eq!(emulator.state().requests().len(), 1);

    let response = client
        .post(format!("{}/_emulator/reset", emulator.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(emulator.state().stats(), EmulatorStats::default());
    // Reset zeroes the count even for connections still open; new ones count from there.
    put(&common::client(), &emulator, "u5", "{}").await;
    let stats = emulator.state().stats();
    assert_eq!(stats.connections, 1);
    assert_eq!(stats.statuses.into_iter().collect::<Vec<_>>(), [(200, 1)]);
}
