//! Configuration checks, and the API key never showing up anywhere it could leak.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{builder, emulator};
use logrocket_emulator::Fault;
use logrocket_identify::{BlockingClient, Client, ClientBuilder, ErrorKind, IdentifyRequest};

const SECRET: &str = "sk-live-VERY-SECRET-KEY-9f8e7d";

fn config_error(builder: ClientBuilder) -> String {
    let error = builder.build().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
    error.to_string()
}

#[test]
fn plain_http_to_a_remote_host_is_refused_unless_allowed() {
    let remote = Client::builder().api_key(SECRET).app("acme/web");
    let message = config_error(remote.clone().base_url("http://api.example.com"));
    assert!(
        message.contains("http://") && message.contains("api.example.com"),
        "{message}"
    );
    remote
        .clone()
        .base_url("http://api.example.com")
        .allow_insecure_http(true)
        .build()
        .unwrap();
    for loopback in [
        "http://127.0.0.1:9",
        "http://localhost:9",
        "http://[::1]:9",
        "http://127.8.9.10",
    ] {
        remote.clone().base_url(loopback).build().unwrap();
    }
    remote
        .clone()
        .base_url("https://api.example.com")
        .build()
        .unwrap();
    assert!(config_error(remote.base_url("ftp://x")).contains("https"));
}

/// A configuration's fields are public: one edited after the builder checked it is checked
/// again when a client is made from it.
#[test]
fn an_edited_configuration_is_checked_again() {
    let mut config = Client::builder()
        .api_key(SECRET)
        .app("acme/web")
        .base_url("http://127.0.0.1:9")
        .into_config()
        .unwrap();
    config.base_url = "http://api.example.com".into();
    let error = Client::new(config.clone()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
    assert!(error.to_string().contains("api.example.com"), "{error}");
    assert_eq!(
        BlockingClient::new(config.clone()).unwrap_err().kind(),
        ErrorKind::Config
    );
    config.base_url = "ftp://x".into();
    assert_eq!(Client::new(config).unwrap_err().kind(), ErrorKind::Config);
}

#[test]
fn missing_settings_say_what_to_set() {
    let no_key = config_error(Client::builder().app("acme/web"));
    assert!(no_key.contains("LOGROCKET_API_KEY"), "{no_key}");
    let no_app = config_error(Client::builder().api_key(SECRET));
    assert!(
        no_app.contains("LOGROCKET_APP_ID") && no_app.contains("org/app"),
        "{no_app}"
    );
    let no_org = config_error(Client::builder().api_key(SECRET).app_id("web"));
    assert!(no_org.contains("org/app"), "{no_org}");
    let bad_url = config_error(
        Client::builder()
            .api_key(SECRET)
            .app("acme/web")
            .base_url("not a url"),
    );
    assert!(bad_url.contains("base URL"), "{bad_url}");
    let zero = config_error(
        Client::builder()
            .api_key(SECRET)
            .app("acme/web")
            .concurrency(0),
    );
    assert!(zero.contains("concurrency"), "{zero}");
}

/// A "key" too long for any server's header limit is a configuration error that says so, and
/// does not show the key; one at the limit is taken.
#[test]
fn an_api_key_longer_than_any_real_one_is_refused() {
    let huge = "k".repeat(1 << 20);
    let message = config_error(Client::builder().api_key(huge.as_str()).app("acme/web"));
    assert!(
        message.contains("API key is 1048576 bytes long") && !message.contains("kkkk"),
        "{message}"
    );
    let longest = "k".repeat(logrocket_identify::MAX_API_KEY_BYTES);
    Client::builder()
        .api_key(longest.as_str())
        .app("acme/web")
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
}

#[test]
fn dot_segments_are_no_org_or_app() {
    for builder in [
        Client::builder().app("acme/.."),
        Client::builder().app("./web"),
        Client::builder().app(" .. / web "),
        Client::builder().org_id("acme").app_id("."),
        Client::builder().org_id("..").app_id("web"),
    ] {
        let error = config_error(builder.api_key(SECRET));
        assert!(error.contains("are not org or app ids"), "{error}");
    }
    // Dots inside an id are fine.
    let client = Client::builder()
        .api_key(SECRET)
        .app("a.b/...")
        .build()
        .unwrap();
    assert_eq!(client.config().app_id, "...");
}

#[test]
fn the_app_can_be_given_whole_or_in_parts() {
    for builder in [
        Client::builder().app("acme/web"),
        Client::builder().app_id("acme/web"),
        Client::builder().org_id("acme").app_id("web"),
    ] {
        let client = builder.api_key(SECRET).build().unwrap();
        assert_eq!(
            (
                client.config().org_id.as_str(),
                client.config().app_id.as_str()
            ),
            ("acme", "web")
        );
    }
}

#[test]
fn the_key_never_appears_in_debug_output() {
    let builder = Client::builder().api_key(SECRET).app("acme/web");
    let client = builder.clone().build().unwrap();
    let blocking = builder.clone().build_blocking().unwrap();
    for text in [
        format!("{builder:?}"),
        format!("{client:?}"),
        format!("{:?}", client.config()),
        format!("{:#?}", client.config()),
        format!("{blocking:?}"),
        format!("{:?}", client.config().api_key),
    ] {
        assert!(!text.contains(SECRET), "the key leaked: {text}");
        assert!(
            !text.contains("VERY-SECRET"),
            "part of the key leaked: {text}"
        );
    }
}

#[tokio::test]
async fn the_key_never_appears_in_any_error() {
    let emulator = emulator();
    let mut errors = Vec::new();
    // api: the emulator rejects this key with 401.
    let wrong_key = builder(&emulator)
        .api_key(SECRET)
        .max_retries(0)
        .build()
        .unwrap();
    errors.push(
        wrong_key
            .identify(&IdentifyRequest::new("u"))
            .await
            .unwrap_err(),
    );
    // validation
    errors.push(
        wrong_key
            .identify(&IdentifyRequest::new(""))
            .await
            .unwrap_err(),
    );
    // transport: a port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let refused = Client::builder()
        .api_key(SECRET)
        .app("acme/web")
        .base_url(format!("http://127.0.0.1:{port}"))
        .max_retries(0)
        .build()
        .unwrap();
    errors.push(
        refused
            .identify(&IdentifyRequest::new("u"))
            .await
            .unwrap_err(),
    );
    // timeout
    emulator.state().push_faults(vec![Fault {
        delay_ms: 1000,
        ..Fault::default()
    }]);
    let impatient = builder(&emulator)
        .api_key(SECRET)
        .timeout(Duration::from_millis(100))
        .max_retries(0)
        .build()
        .unwrap();
    errors.push(
        impatient
            .identify(&IdentifyRequest::new("u"))
            .await
            .unwrap_err(),
    );
    // config
    errors.push(
        Client::builder()
            .api_key(SECRET)
            .app("acme/web")
            .base_url("http://example.com")
            .build()
            .unwrap_err(),
    );

    let kinds: Vec<ErrorKind> = errors.iter().map(|e| e.kind()).collect();
    assert_eq!(
        kinds,
        [
            ErrorKind::Api,
            ErrorKind::Validation,
            ErrorKind::Transport,
            ErrorKind::Timeout,
            ErrorKind::Config
        ]
    );
    for error in &errors {
        for text in [error.to_string(), format!("{error:?}"), error.message()] {
            assert!(!text.contains(SECRET), "the key leaked: {text}");
        }
    }
}

#[tokio::test]
async fn the_key_is_sent_as_a_token_header() {
    let emulator = emulator();
    let client = builder(&emulator).build().unwrap();
    client.identify(&IdentifyRequest::new("u")).await.unwrap();
    let sent = &emulator.state().requests()[0];
    assert_eq!(sent.headers["authorization"], "token test");
    assert_eq!(sent.headers["content-type"], "application/json");
    assert!(sent.headers["user-agent"].starts_with("logrocket-identify/"));
}

#[tokio::test]
async fn a_base_url_path_prefix_is_kept() {
    let emulator = emulator();
    let client = builder(&emulator)
        .base_url(format!("{}/proxy/", emulator.url()))
        .max_retries(0)
        .build()
        .unwrap();
    // The emulator has no such prefix, so it answers 404; its log shows where the request went.
    let error = client
        .identify(&IdentifyRequest::new("a/b"))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(404));
    assert_eq!(
        emulator.state().requests()[0].path,
        "/proxy/v1/orgs/acme/apps/web/users/a%2Fb"
    );
}
