//! The network layer against real components: the emulator over HTTPS (its throwaway CA
//! trusted through the CA option, HTTP/2 by ALPN) and a real forward proxy (tinyproxy, whose
//! log shows each CONNECT). Proxies from the environment are tested through the CLI
//! (crates/logrocket-cli/tests/network.rs), where each run is its own process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use logrocket_emulator::{Emulator, EmulatorConfig};
use logrocket_identify::{CaCert, Client, ClientBuilder, IdentifyRequest, TransportReason};

use common::proxy::Tinyproxy;

fn tls_emulator() -> Emulator {
    Emulator::start(EmulatorConfig {
        tls: true,
        ..EmulatorConfig::default()
    })
    .expect("emulator starts")
}

/// A client for `emulator` that ignores any proxy in the environment, so each test decides.
fn builder(emulator: &Emulator) -> ClientBuilder {
    Client::builder()
        .api_key(emulator.api_key())
        .app("acme/web")
        .base_url(emulator.url())
        .proxy_from_env(false)
        .initial_backoff(std::time::Duration::from_millis(5))
}

fn trusted(emulator: &Emulator) -> ClientBuilder {
    builder(emulator).ca_cert(CaCert::Pem(emulator.ca_cert_pem().unwrap().to_owned()))
}

fn protocols(emulator: &Emulator) -> Vec<String> {
    emulator
        .state()
        .requests()
        .into_iter()
        .map(|r| r.protocol)
        .collect()
}

#[tokio::test]
async fn https_with_the_ca_trusted_negotiates_http2() {
    let emulator = tls_emulator();
    let client = trusted(&emulator).build().unwrap();
    let user = client
        .identify(&IdentifyRequest::new("u1").trait_value("plan", "pro"))
        .await
        .unwrap();
    assert_eq!(user.traits["plan"], "pro");
    assert_eq!(protocols(&emulator), ["HTTP/2.0"]);
}

#[tokio::test]
async fn http1_only_speaks_http1_to_a_server_that_offers_http2() {
    let emulator = tls_emulator();
    let client = trusted(&emulator).http1_only(true).build().unwrap();
    client.identify(&IdentifyRequest::new("u1")).await.unwrap();
    assert_eq!(protocols(&emulator), ["HTTP/1.1"]);
}

#[tokio::test]
async fn the_ca_may_be_given_as_a_file() {
    let emulator = tls_emulator();
    let path = emulator
        .ca_cert_path()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let client = builder(&emulator)
        .ca_cert(CaCert::from_pem_or_path(&path))
        .build()
        .unwrap();
    client.identify(&IdentifyRequest::new("u1")).await.unwrap();
}

#[tokio::test]
async fn a_ca_file_that_is_missing_or_holds_no_certificate_is_a_config_error() {
    let emulator = tls_emulator();
    let missing = builder(&emulator)
        .ca_cert(CaCert::File("/no/such/ca.pem".into()))
        .build()
        .unwrap_err();
    assert!(
        missing
            .to_string()
            .contains("cannot read the CA certificate file /no/such/ca.pem"),
        "{missing}"
    );
    let empty = builder(&emulator)
        .ca_cert(CaCert::Pem("-----BEGIN NOTHING-----\n".to_owned()))
        .build()
        .unwrap_err();
    assert!(
        empty.to_string().contains("holds no PEM certificate"),
        "{empty}"
    );
}

/// Without the CA the handshake fails with the tls reason, once: no request reaches the server.
#[tokio::test]
async fn https_without_the_ca_fails_with_tls_and_is_not_retried() {
    let emulator = tls_emulator();
    let client = builder(&emulator).max_retries(3).build().unwrap();
    let error = client
        .identify(&IdentifyRequest::new("u1"))
        .await
        .unwrap_err();
    assert_eq!(
        error.transport_reason(),
        Some(TransportReason::Tls),
        "{error}"
    );
    assert!(!error.is_retryable());
    assert!(emulator.state().requests().is_empty());
}

/// An explicit proxy carries HTTPS through a CONNECT tunnel: the proxy's log shows it, the
/// emulator stores the user.
#[tokio::test]
async fn an_explicit_proxy_tunnels_https() {
    let proxy = Tinyproxy::start(None);
    let emulator = tls_emulator();
    let client = trusted(&emulator).proxy(proxy.url(None)).build().unwrap();
    client.identify(&IdentifyRequest::new("u1")).await.unwrap();
    let port = emulator.addr().port();
    assert_eq!(
        proxy.requests(),
        [format!("CONNECT 127.0.0.1:{port} HTTP/1.1")]
    );
    assert_eq!(emulator.state().requests().len(), 1);
}

/// The proxy's credentials are sent (and accepted), and appear in no Debug output.
#[tokio::test]
async fn proxy_credentials_are_used_and_never_shown() {
    let proxy = Tinyproxy::start(Some("alice:s3cret"));
    let emulator = tls_emulator();
    let client = trusted(&emulator)
        .proxy(proxy.url(Some("alice:s3cret")))
        .build()
        .unwrap();
    client.identify(&IdentifyRequest::new("u1")).await.unwrap();
    let shown = format!("{client:?} {:?}", client.config());
    assert!(
        !shown.contains("s3cret") && !shown.contains("alice"),
        "{shown}"
    );
    assert!(shown.contains("<redacted>"), "{shown}");
}

/// A wrong password is the proxy's refusal: the proxy reason, not retried, nothing sent on.
#[tokio::test]
async fn a_wrong_proxy_password_gives_the_proxy_reason_and_is_not_retried() {
    let proxy = Tinyproxy::start(Some("alice:s3cret"));
    let emulator = tls_emulator();
    let client = trusted(&emulator)
        .proxy(proxy.url(Some("alice:wrong")))
        .max_retries(3)
        .build()
        .unwrap();
    let error = client
        .identify(&IdentifyRequest::new("u1"))
        .await
        .unwrap_err();
    assert_eq!(
        error.transport_reason(),
        Some(TransportReason::Proxy),
        "{error}"
    );
    assert!(!error.is_retryable());
    assert!(!error.to_string().contains("wrong"), "{error}");
    assert_eq!(
        proxy.requests().len(),
        1,
        "tried once: {:?}",
        proxy.requests()
    );
    assert!(emulator.state().requests().is_empty());
}

/// Plain http through a proxy is forwarded (no tunnel), and a 407 there is the proxy reason too.
#[tokio::test]
async fn plain_http_through_a_proxy_is_forwarded_and_a_407_is_the_proxy_reason() {
    let proxy = Tinyproxy::start(Some("alice:s3cret"));
    let emulator = common::emulator();
    let forwarded = common::builder(&emulator)
        .proxy_from_env(false)
        .proxy(proxy.url(Some("alice:s3cret")))
        .build()
        .unwrap();
    forwarded
        .identify(&IdentifyRequest::new("u1"))
        .await
        .unwrap();
    let port = emulator.addr().port();
    assert!(
        proxy.requests()[0].starts_with(&format!("PUT http://127.0.0.1:{port}/v1/orgs/acme/")),
        "{:?}",
        proxy.requests()
    );
    let refused = common::builder(&emulator)
        .proxy_from_env(false)
        .proxy(proxy.url(None))
        .max_retries(3)
        .build()
        .unwrap()
        .identify(&IdentifyRequest::new("u2"))
        .await
        .unwrap_err();
    assert_eq!(
        refused.transport_reason(),
        Some(TransportReason::Proxy),
        "{refused}"
    );
    assert_eq!(
        proxy.requests().len(),
        2,
        "tried once: {:?}",
        proxy.requests()
    );
}

#[tokio::test]
async fn a_bad_proxy_url_is_a_config_error_without_the_password() {
    let emulator = tls_emulator();
    let error = trusted(&emulator)
        .proxy("socks9://alice:s3cret@proxy:1080")
        .build()
        .unwrap_err();
    let text = error.to_string();
    assert!(
        text.starts_with("configuration error: proxy scheme"),
        "{text}"
    );
    assert!(!text.contains("s3cret"), "{text}");
}

/// One HTTP/2 connection carries only as many requests as the server allows streams (hyper's
/// default is 200): with more in flight, the client spreads them over more connections.
#[test]
fn many_requests_in_flight_over_http2_use_more_than_one_connection() {
    let emulator = tls_emulator();
    let client = trusted(&emulator)
        .concurrency(300)
        .fixed_concurrency(true)
        .build_blocking()
        .unwrap();
    // The first answer tells the client the server speaks HTTP/2.
    client.identify(&IdentifyRequest::new("first")).unwrap();
    emulator
        .state()
        .set_fault_rate(Some(logrocket_emulator::FaultRate {
            probability: 1.0,
            fault: logrocket_emulator::Fault {
                delay_ms: 300,
                ..Default::default()
            },
        }));
    let users = (0..300).map(|i| IdentifyRequest::new(format!("u{i}")));
    let report = client.identify_many(users, None).unwrap();
    assert_eq!(report.succeeded, 300);
    assert!(protocols(&emulator).iter().all(|p| p == "HTTP/2.0"));
    let connections = emulator.state().connections_accepted();
    assert!(connections >= 3, "{connections} connection(s)");
}
