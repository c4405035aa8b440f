//! The API route over real loopback HTTP: auth, body checks, limits, merge, ids, seen times.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{APP, ORG, client, emulator, put, put_json, user_url};
use serde_json::json;

#[tokio::test]
async fn spec_example_request_returns_the_spec_result_payload() {
    let emulator = emulator();
    let answer = put(
        &client(),
        &emulator,
        "1234",
        r#"{
            "name": "John Smith",
            "email": "jsmith@example.com",
            "traits": {"age": 43, "favoriteColor": "blue", "plan": "free"}
        }"#,
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        answer.json(),
        json!({
            "userID": "1234",
            "name": "John Smith",
            "email": "jsmith@example.com",
            "traits": {"age": "43", "favoriteColor": "blue", "plan": "free"}
        })
    );
    let stored = emulator.state().user(ORG, APP, "1234").unwrap();
    assert_eq!(stored.name.as_deref(), Some("John Smith"));
    assert_eq!(stored.traits["age"], "43");
}

#[tokio::test]
async fn empty_object_creates_the_user_and_omits_unset_name_and_email() {
    let emulator = emulator();
    let answer = put(&client(), &emulator, "u1", "{}").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json(), json!({"userID": "u1", "traits": {}}));
    assert!(emulator.state().user(ORG, APP, "u1").is_some());
}

#[tokio::test]
async fn wrong_or_missing_token_is_401() {
    let emulator = emulator();
    let client = client();
    for authorization in [
        None,
        Some("token wrong"),
        Some("Bearer test"),
        Some("token  test"),
        Some("Token test"),
        Some("test"),
    ] {
        let mut request = client.put(user_url(&emulator, "u1")).body("{}");
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let answer = common::answer(request.send().await.unwrap()).await;
        assert_eq!(answer.status, 401, "{authorization:?}");
        assert_eq!(answer.content_type.as_deref(), Some("application/json"));
        assert_eq!(answer.json(), json!({"message": "Unauthorized"}));
    }
    assert!(emulator.state().users().is_empty());
}

#[tokio::test]
async fn auth_is_checked_before_the_body() {
    let emulator = emulator();
    let response = client()
        .put(user_url(&emulator, "u1"))
        .header("authorization", "token nope")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
}

#[tokio::test]
async fn custom_api_key_is_required() {
    let config = logrocket_emulator::EmulatorConfig {
        api_key: "s3cret".to_owned(),
        ..Default::default()
    };
    let emulator = logrocket_emulator::Emulator::start(config).unwrap();
    assert_eq!(emulator.api_key(), "s3cret");
    let client = client();
    assert_eq!(put(&client, &emulator, "u1", "{}").await.status, 401);
    let response = client
        .put(user_url(&emulator, "u1"))
        .header("authorization", "token s3cret")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn missing_body_is_400() {
    let emulator = emulator();
    let client = client();
    for body in ["", " ", "\n\t \r\n"] {
        let answer = put(&client, &emulator, "u1", body).await;
        assert_eq!(answer.status, 400, "{body:?}");
        assert_eq!(answer.content_type.as_deref(), Some("application/json"));
        assert_eq!(answer.json(), json!({"message": "Missing request body"}));
    }
}

#[tokio::test]
async fn malformed_json_is_400() {
    let emulator = emulator();
    let client = client();
    for body in [
        "not json",
        "{",
        "{\"name\": \"a\"} trailing",
        "[]",
        "[{}]",
        "\"str\"",
        "42",
        "null",
        "true",
    ] {
        let answer = put(&client, &emulator, "u1", body).await;
        assert_eq!(answer.status, 400, "{body:?}");
        assert_eq!(answer.message(), "Malformed request", "{body:?}");
    }
    assert!(emulator.state().users().is_empty());
}

#[tokio::test]
async fn wrong_field_types_are_malformed() {
    let emulator = emulator();
    let client = client();
    for body in [
        json!({"name": 5}),
        json!({"name": null}),
        json!({"name": ["a"]}),
        json!({"email": true}),
        json!({"email": {}}),
        json!({"traits": "plan"}),
        json!({"traits": ["plan"]}),
        json!({"traits": 1}),
        json!({"timestamp": "1700000000000"}),
        json!({"timestamp": -1}),
        json!({"timestamp": 1.5}),
        json!({"timestamp": true}),
    ] {
        let answer = put_json(&client, &emulator, "u1", &body).await;
        assert_eq!(answer.status, 400, "{body}");
        assert_eq!(answer.message(), "Malformed request", "{body}");
    }
}

#[tokio::test]
async fn nested_trait_values_are_malformed() {
    let emulator = emulator();
    let client = client();
    for body in [
        json!({"traits": {"a": {"b": 1}}}),
        json!({"traits": {"a": [1, 2]}}),
        json!({"traits": {"ok": "x", "a": {}}}),
    ] {
        let answer = put_json(&client, &emulator, "u1", &body).await;
        assert_eq!(answer.status, 400, "{body}");
        assert_eq!(answer.message(), "Malformed request", "{body}");
    }
    assert!(emulator.state().users().is_empty());
}

#[tokio::test]
async fn unknown_top_level_fields_are_ignored() {
    let emulator = emulator();
    let answer = put_json(
        &client(),
        &emulator,
        "u1",
        &json!({"name": "A", "extra": {"deep": [1, {"x": null}]}, "other": 5}),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json(),
        json!({"userID": "u1", "name": "A", "traits": {}})
    );
}

/// `count` copies of `unit`, percent-encoded when used in a path.
fn repeat(unit: &str, count: usize) -> String {
    unit.repeat(count)
}

const EMOJI: &str = "\u{1F600}";
const EMOJI_ENCODED: &str = "%F0%9F%98%80";

#[tokio::test]
async fn user_id_limit_is_1024_characters() {
    let emulator = emulator();
    let client = client();
    assert_eq!(
        put(&client, &emulator, &repeat("a", 1024), "{}")
            .await
            .status,
        200
    );
    assert_eq!(
        put(&client, &emulator, &repeat(EMOJI_ENCODED, 1024), "{}")
            .await
            .status,
        200
    );
    for id in [repeat("a", 1025), repeat(EMOJI_ENCODED, 1025)] {
        let answer = put(&client, &emulator, &id, "{}").await;
        assert_eq!(answer.status, 400);
        assert_eq!(answer.message(), "userID too large (max 1024 characters)");
    }
    assert!(
        emulator
            .state()
            .user(ORG, APP, &repeat(EMOJI, 1024))
            .is_some()
    );
}

#[tokio::test]
async fn field_limits_are_1024_characters_with_exact_messages() {
    let emulator = emulator();
    let client = client();
    let cases = [
        ("name", "name too large (max 1024 characters)"),
        ("email", "email too large (max 1024 characters)"),
        (
            "trait value",
            "user trait value too large (max 1024 characters)",
        ),
        ("trait key", "user trait key too large"),
    ];
    for (field, message) in cases {
        let body = |text: String| match field {
            "name" => json!({ "name": text }),
            "email" => json!({ "email": text }),
            "trait value" => json!({ "traits": { "k": text } }),
            _ => json!({ "traits": { text: "v" } }),
        };
        for unit in ["a", EMOJI] {
            let fits = put_json(&client, &emulator, "u1", &body(repeat(unit, 1024))).await;
            assert_eq!(
                fits.status, 200,
                "{field} of 1024 x {unit:?}: {}",
                fits.text
            );
            let over = put_json(&client, &emulator, "u1", &body(repeat(unit, 1025))).await;
            assert_eq!(over.status, 400, "{field} of 1025 x {unit:?}");
            assert_eq!(over.message(), message, "{field} of 1025 x {unit:?}");
        }
    }
}

#[tokio::test]
async fn limits_are_checked_in_the_documented_order() {
    let emulator = emulator();
    let client = client();
    let long = repeat("x", 1025);
    let everything = json!({
        "name": long, "email": long, "traits": {long.clone(): long}
    });
    let answer = put_json(&client, &emulator, &long, &everything).await;
    assert_eq!(answer.message(), "userID too large (max 1024 characters)");
    let answer = put_json(&client, &emulator, "u1", &everything).await;
    assert_eq!(answer.message(), "name too large (max 1024 characters)");
    let no_name = json!({"email": long, "traits": {long.clone(): long}});
    let answer = put_json(&client, &emulator, "u1", &no_name).await;
    assert_eq!(answer.message(), "email too large (max 1024 characters)");
    let traits_only = json!({"traits": {long.clone(): long}});
    let answer = put_json(&client, &emulator, "u1", &traits_only).await;
    assert_eq!(answer.message(), "user trait key too large");
    // Traits are checked in the order sent, not sorted: "z" comes first here.
    let raw = format!(r#"{{"traits": {{"z": "{long}", "{long}": "v"}}}}"#);
    let answer = put(&client, &emulator, "u1", &raw).await;
    assert_eq!(
        answer.message(),
        "user trait value too large (max 1024 characters)"
    );
    // Type errors come before sizes.
    let answer = put_json(&client, &emulator, "u1", &json!({"name": long, "email": 1})).await;
    assert_eq!(answer.message(), "Malformed request");
}

#[tokio::test]
async fn merge_keeps_absent_removes_blank_and_stringifies() {
    let emulator = emulator();
    let client = client();
    let first = put_json(
        &client,
        &emulator,
        "u1",
        &json!({
            "name": "Ann",
            "traits": {
                "age": 43, "vip": true, "churned": false, "score": 99.5, "ratio": 1.0,
                "negative": -7, "big": 18_446_744_073_709_551_615_u64, "plan": "free",
                "gone": "x", "nulled": "y", "kept": "z"
            }
        }),
    )
    .await;
    assert_eq!(first.status, 200);
    assert_eq!(
        first.json()["traits"],
        json!({
            "age": "43", "vip": "true", "churned": "false", "score": "99.5", "ratio": "1",
            "negative": "-7", "big": "18446744073709551615", "plan": "free",
            "gone": "x", "nulled": "y", "kept": "z"
        })
    );
    let second = put_json(
        &client,
        &emulator,
        "u1",
        &json!({"email": "ann@example.com", "traits": {"plan": "pro", "gone": "", "nulled": null, "new": 0}}),
    )
    .await;
    assert_eq!(second.status, 200);
    assert_eq!(
        second.json(),
        json!({
            "userID": "u1",
            "name": "Ann",
            "email": "ann@example.com",
            "traits": {
                "age": "43", "vip": "true", "churned": "false", "score": "99.5", "ratio": "1",
                "negative": "-7", "big": "18446744073709551615", "plan": "pro", "kept": "z",
                "new": "0"
            }
        })
    );
    let third = put_json(&client, &emulator, "u1", &json!({"name": "Anne"})).await;
    assert_eq!(third.json()["name"], "Anne");
    assert_eq!(third.json()["email"], "ann@example.com");
    let stored = emulator.state().user(ORG, APP, "u1").unwrap();
    assert_eq!(stored.traits.len(), 10);
    assert!(!stored.traits.contains_key("gone"));
}

#[tokio::test]
async fn users_are_kept_per_org_and_app() {
    let emulator = emulator();
    let client = client();
    for (org, app, name) in [
        ("o1", "a1", "one"),
        ("o1", "a2", "two"),
        ("o2", "a1", "three"),
    ] {
        let url = format!("{}/v1/orgs/{org}/apps/{app}/users/same", emulator.url());
        let response = client
            .put(url)
            .header("authorization", "token test")
            .body(json!({ "name": name }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
    }
    let users = emulator.state().users();
    let keys: Vec<_> = users
        .iter()
        .map(|u| (u.org_id.as_str(), u.app_id.as_str(), u.name.as_deref()))
        .collect();
    assert_eq!(
        keys,
        [
            ("o1", "a1", Some("one")),
            ("o1", "a2", Some("two")),
            ("o2", "a1", Some("three"))
        ]
    );
}

#[tokio::test]
async fn tricky_user_ids_are_percent_decoded_and_logged_raw() {
    let emulator = emulator();
    let client = client();
    let cases = [
        ("a%2Fb", "a/b"),
        ("x%40y.com", "x@y.com"),
        ("x@y.com", "x@y.com"),
        ("with%20space", "with space"),
        ("what%3F", "what?"),
        ("hash%23tag", "hash#tag"),
        ("100%25", "100%"),
        ("%F0%9F%98%80", "\u{1F600}"),
        ("caf%C3%A9", "café"),
    ];
    for (encoded, decoded) in cases {
        let answer = put(&client, &emulator, encoded, "{}").await;
        assert_eq!(answer.status, 200, "{encoded}");
        assert_eq!(answer.json()["userID"], decoded, "{encoded}");
        assert!(
            emulator.state().user(ORG, APP, decoded).is_some(),
            "{encoded}"
        );
    }
    let paths: Vec<String> = emulator
        .state()
        .requests()
        .into_iter()
        .map(|r| r.path)
        .collect();
    let expected: Vec<String> = cases
        .iter()
        .map(|(encoded, _)| format!("/v1/orgs/{ORG}/apps/{APP}/users/{encoded}"))
        .collect();
    assert_eq!(paths, expected);
}

#[tokio::test]
async fn query_is_logged_but_not_part_of_the_user_id() {
    let emulator = emulator();
    let answer = put(&client(), &emulator, "u1?debug=1", "{}").await;
    assert_eq!(answer.json()["userID"], "u1");
    let logged = emulator.state().requests();
    assert_eq!(
        logged[0].path,
        format!("/v1/orgs/{ORG}/apps/{APP}/users/u1?debug=1")
    );
}

#[tokio::test]
async fn invalid_utf8_in_the_user_id_is_malformed() {
    let emulator = emulator();
    let answer = put(&client(), &emulator, "%FF%FE", "{}").await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.message(), "Malformed request");
}

#[tokio::test]
async fn unknown_paths_are_404_and_other_methods_405() {
    let emulator = emulator();
    let client = client();
    let base = emulator.url();
    for path in [
        "/v1/orgs/o/apps/a/users/".to_owned(),
        "/v1/orgs/o/apps/a/users".to_owned(),
        "/v1/orgs/o/apps/a/users/u/extra".to_owned(),
        "/v1/orgs//apps/a/users/u".to_owned(),
        "/".to_owned(),
        "/v2/orgs/o/apps/a/users/u".to_owned(),
    ] {
        let response = client
            .put(format!("{base}{path}"))
            .header("authorization", "token test")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 404, "{path}");
    }
    for method in [
        reqwest::Method::GET,
        reqwest::Method::POST,
        reqwest::Method::DELETE,
        reqwest::Method::PATCH,
    ] {
        let response = client
            .request(method.clone(), user_url(&emulator, "u1"))
            .header("authorization", "token test")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 405, "{method}");
        assert_eq!(response.headers()["allow"], "PUT");
    }
    // Every one of them is an API request, so every one is in the log with its status.
    let statuses: Vec<u16> = emulator
        .state()
        .requests()
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [404, 404, 404, 404, 404, 404, 405, 405, 405, 405]);
    assert!(emulator.state().users().is_empty());
}

#[tokio::test]
async fn first_and_last_seen_follow_timestamps() {
    let emulator = emulator();
    let client = client();
    for timestamp in [2_000_i64, 1_000, 3_000, 2_500] {
        let answer = put_json(&client, &emulator, "u1", &json!({ "timestamp": timestamp })).await;
        assert_eq!(answer.status, 200);
    }
    let user = emulator.state().user(ORG, APP, "u1").unwrap();
    assert_eq!((user.first_seen, user.last_seen), (1_000, 3_000));

    // A whole number written as a float is still an integer number of milliseconds.
    put(&client, &emulator, "u1", r#"{"timestamp": 5e3}"#).await;
    assert_eq!(
        emulator.state().user(ORG, APP, "u1").unwrap().last_seen,
        5_000
    );

    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
    };
    let before = now();
    put(&client, &emulator, "u2", "{}").await;
    let after = now();
    let user = emulator.state().user(ORG, APP, "u2").unwrap();
    assert!(before <= user.first_seen && user.first_seen <= after);
    assert_eq!(user.first_seen, user.last_seen);
}

#[tokio::test]
async fn requests_are_logged_with_headers_body_and_status() {
    let emulator = emulator();
    let client = client();
    put(&client, &emulator, "u1", r#"{"name":"A"}"#).await;
    put(&client, &emulator, "u1", "oops").await;
    let logged = emulator.state().requests();
    assert_eq!(logged.len(), 2);
    assert_eq!(logged[0].method, "PUT");
    assert_eq!(logged[0].body, r#"{"name":"A"}"#);
    assert_eq!(logged[0].status, 200);
    assert_eq!(logged[0].headers["authorization"], "token test");
    assert_eq!(logged[0].headers["content-type"], "application/json");
    assert_eq!(logged[1].status, 400);
    assert_eq!(logged[1].body, "oops");
}
