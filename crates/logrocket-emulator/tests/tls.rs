//! HTTPS mode: a throwaway CA that clients trust, HTTP/2 or HTTP/1.1 by ALPN, the CA file on
//! disk, the protocol in the request log, and faults over TLS.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};

use common::{APP, ORG, answer, client, emulator, put, user_url};
use logrocket_emulator::{
    Emulator, EmulatorConfig, EmulatorState, Fault, RecordedRequest, TlsCertificates, serve_tls,
};
use serde_json::{Value, json};

/// An emulator serving HTTPS, its CA file in the temp directory.
fn tls_emulator() -> Emulator {
    Emulator::start(EmulatorConfig {
        tls: true,
        ..EmulatorConfig::default()
    })
    .expect("TLS emulator starts")
}

/// A client trusting `pem` and nothing else: no built-in roots, no proxy.
fn trusting_builder(pem: &str) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .no_proxy()
}

fn trusting(emulator: &Emulator) -> reqwest::Client {
    trusting_builder(emulator.ca_cert_pem().expect("TLS mode has a CA"))
        .build()
        .unwrap()
}

async fn put_ok(client: &reqwest::Client, url: &str) -> reqwest::Response {
    let response = client
        .put(url)
        .header("authorization", "token test")
        .header("content-type", "application/json")
        .body(r#"{"name":"Ann","email":"ann@example.com","traits":{"plan":"pro","seats":3}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response
}

#[tokio::test]
async fn put_over_https_is_stored_and_negotiates_http2() {
    let emulator = tls_emulator();
    let port = emulator.addr().port();
    assert_eq!(emulator.url(), format!("https://127.0.0.1:{port}"));
    let client = trusting(&emulator);

    let response = put_ok(&client, &user_url(&emulator, "u%2F1")).await;
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["userID"], "u/1");

    let stored = emulator.state().user(ORG, APP, "u/1").expect("user stored");
    assert_eq!(stored.name.as_deref(), Some("Ann"));
    assert_eq!(stored.email.as_deref(), Some("ann@example.com"));
    assert_eq!(stored.traits["seats"], "3");
    let logged = emulator.state().requests();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].protocol, "HTTP/2.0");
    assert_eq!(logged[0].status, 200);

    // The control API's request log carries the protocol too, under that name.
    let raw: Value = client
        .get(format!("{}/_emulator/requests", emulator.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(raw[0]["protocol"], "HTTP/2.0");
    let typed: Vec<RecordedRequest> = serde_json::from_value(raw).unwrap();
    assert_eq!(typed, logged);
}

#[tokio::test]
async fn http1_only_client_is_served_http1_1() {
    let emulator = tls_emulator();
    let client = trusting_builder(emulator.ca_cert_pem().unwrap())
        .http1_only()
        .build()
        .unwrap();
    let response = put_ok(&client, &user_url(&emulator, "u1")).await;
    assert_eq!(response.version(), reqwest::Version::HTTP_11);
    // Keep-alive over TLS: a second request on the same client works too.
    put_ok(&client, &user_url(&emulator, "u2")).await;
    let protocols: Vec<String> = emulator
        .state()
        .requests()
        .into_iter()
        .map(|request| request.protocol)
        .collect();
    assert_eq!(protocols, ["HTTP/1.1", "HTTP/1.1"]);
}

#[tokio::test]
async fn certificate_verifies_for_127_0_0_1_and_localhost() {
    let emulator = tls_emulator();
    let client = trusting(&emulator);
    let port = emulator.addr().port();
    for base in [
        format!("https://127.0.0.1:{port}"),
        format!("https://localhost:{port}"),
    ] {
        let response = client
            .get(format!("{base}/_emulator/health"))
            .send()
            .await
            .unwrap_or_else(|error| panic!("{base}: {error:?}"));
        assert_eq!(response.status().as_u16(), 200, "{base}");
        put_ok(
            &client,
            &format!("{base}/v1/orgs/{ORG}/apps/{APP}/users/u1"),
        )
        .await;
    }
}

#[tokio::test]
async fn certificate_verifies_for_ipv6_loopback() {
    let Ok(emulator) = Emulator::start(EmulatorConfig {
        host: IpAddr::V6(Ipv6Addr::LOCALHOST),
        tls: true,
        ..EmulatorConfig::default()
    }) else {
        eprintln!("skipped: cannot listen on [::1] here");
        return;
    };
    let port = emulator.addr().port();
    assert_eq!(emulator.url(), format!("https://[::1]:{port}"));
    put_ok(&trusting(&emulator), &user_url(&emulator, "u1")).await;
}

#[tokio::test]
async fn client_not_trusting_the_ca_fails_the_handshake() {
    let emulator = tls_emulator();
    // The system's and Mozilla's roots: what an unconfigured client trusts.
    let default_roots = client();
    // Another emulator's CA: each start makes a new one, so trusting one trusts no other.
    let other = tls_emulator();
    let other_ca = trusting(&other);
    assert_ne!(emulator.ca_cert_pem(), other.ca_cert_pem());
    for client in [default_roots, other_ca] {
        let error = client
            .put(user_url(&emulator, "u1"))
            .header("authorization", "token test")
            .body("{}")
            .send()
            .await
            .expect_err("an untrusted certificate must fail the handshake");
        assert!(error.is_connect(), "{error:?}");
        assert!(error.status().is_none());
    }
    assert_eq!(emulator.state().request_count(), 0);
    assert!(emulator.state().user(ORG, APP, "u1").is_none());
}

#[test]
fn ca_file_chosen_by_the_emulator_holds_the_pem_and_is_removed_on_shutdown() {
    let emulator = tls_emulator();
    let path = emulator
        .ca_cert_path()
        .expect("TLS mode writes the CA")
        .to_owned();
    assert_eq!(path.parent(), Some(std::env::temp_dir().as_path()));
    assert_eq!(
        path.file_name().unwrap().to_str().unwrap(),
        format!(
            "logrocket-emulator-ca-{}-{}.pem",
            std::process::id(),
            emulator.addr().port()
        )
    );
    let pem = std::fs::read_to_string(&path).unwrap();
    assert_eq!(Some(pem.as_str()), emulator.ca_cert_pem());
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    // A certificate a client accepts as a root, not just any PEM.
    reqwest::Certificate::from_pem(pem.as_bytes()).unwrap();
    emulator.shutdown();
    assert!(!path.exists(), "{} left behind", path.display());
}

#[test]
fn ca_file_named_by_the_caller_is_written_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ca.pem");
    let emulator = Emulator::start(EmulatorConfig {
        tls: true,
        ca_cert_path: Some(path.clone()),
        ..EmulatorConfig::default()
    })
    .unwrap();
    assert_eq!(emulator.ca_cert_path(), Some(path.as_path()));
    let pem = emulator.ca_cert_pem().unwrap().to_owned();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), pem);
    drop(emulator);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), pem);
}

#[test]
fn unwritable_ca_path_fails_start() {
    let dir = tempfile::tempdir().unwrap();
    let result = Emulator::start(EmulatorConfig {
        tls: true,
        ca_cert_path: Some(dir.path().join("missing-dir").join("ca.pem")),
        ..EmulatorConfig::default()
    });
    assert!(result.is_err());
}

#[tokio::test]
async fn plain_http_records_http1_1_and_has_no_ca() {
    let emulator = emulator();
    assert!(emulator.url().starts_with("http://"));
    assert_eq!(emulator.ca_cert_pem(), None);
    assert_eq!(emulator.ca_cert_path(), None);
    assert_eq!(put(&client(), &emulator, "u1", "{}").await.status, 200);
    assert_eq!(emulator.state().requests()[0].protocol, "HTTP/1.1");
}

#[test]
fn plain_mode_ignores_a_ca_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ca.pem");
    let emulator = Emulator::start(EmulatorConfig {
        ca_cert_path: Some(path.clone()),
        ..EmulatorConfig::default()
    })
    .unwrap();
    assert_eq!(emulator.ca_cert_path(), None);
    assert!(!path.exists());
}

#[tokio::test]
async fn dropped_connection_over_http2_is_a_transport_error_then_serving_goes_on() {
    let emulator = tls_emulator();
    let client = trusting(&emulator);
    // A request first, so the drop happens on an established HTTP/2 connection.
    put_ok(&client, &user_url(&emulator, "warm")).await;
    emulator.state().push_faults(vec![Fault {
        drop_connection: true,
        ..Default::default()
    }]);
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
    let dropped = emulator.state().requests().pop().unwrap();
    assert_eq!(dropped.status, 0);
    assert_eq!(dropped.protocol, "HTTP/2.0");
    // The client reconnects (a new TLS handshake) and the server answers as before.
    let response = put_ok(&client, &user_url(&emulator, "u1")).await;
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
}

#[tokio::test]
async fn dropped_connection_over_tls_http1_1() {
    let emulator = tls_emulator();
    let client = trusting_builder(emulator.ca_cert_pem().unwrap())
        .http1_only()
        .build()
        .unwrap();
    emulator.state().push_faults(vec![Fault {
        drop_connection: true,
        delay_ms: 50,
        ..Default::default()
    }]);
    let error = client
        .put(user_url(&emulator, "u1"))
        .header("authorization", "token test")
        .body("{}")
        .send()
        .await
        .unwrap_err();
    assert!(error.is_connect() || error.is_request(), "{error:?}");
    put_ok(&client, &user_url(&emulator, "u1")).await;
}

#[tokio::test]
async fn delay_over_http2_slows_only_its_own_stream() {
    let emulator = tls_emulator();
    let client = trusting(&emulator);
    put_ok(&client, &user_url(&emulator, "warm")).await;
    emulator.state().push_faults(vec![Fault {
        delay_ms: 1_000,
        ..Default::default()
    }]);
    let started = Instant::now();
    let slow = tokio::spawn({
        let client = client.clone();
        let url = user_url(&emulator, "slow");
        async move { put_ok(&client, &url).await.version() }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Same client, so the same HTTP/2 connection: the delayed stream must not hold it up.
    let fast_started = Instant::now();
    let fast = put_ok(&client, &user_url(&emulator, "fast")).await;
    assert!(fast_started.elapsed() < Duration::from_millis(800));
    assert_eq!(fast.version(), reqwest::Version::HTTP_2);
    assert_eq!(slow.await.unwrap(), reqwest::Version::HTTP_2);
    assert!(started.elapsed() >= Duration::from_millis(1_000));
    assert!(emulator.state().user(ORG, APP, "slow").is_some());
}

#[tokio::test]
async fn status_fault_over_http2_answers_with_retry_after() {
    let emulator = tls_emulator();
    let client = trusting(&emulator);
    emulator.state().push_faults(vec![Fault {
        status: Some(429),
        retry_after: Some("3".to_owned()),
        ..Default::default()
    }]);
    let answer = put(&client, &emulator, "u1", "{}").await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.retry_after.as_deref(), Some("3"));
    assert_eq!(answer.json(), json!({"message": "Too Many Requests"}));
}

#[tokio::test]
async fn control_routes_work_over_https() {
    let emulator = tls_emulator();
    let client = trusting(&emulator);
    let response = client
        .post(format!("{}/_emulator/faults", emulator.url()))
        .json(&json!({"script": [{"status": 503}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer(response).await.status, 204);
    assert_eq!(put(&client, &emulator, "u1", "{}").await.status, 503);
    let response = client
        .post(format!("{}/_emulator/reset", emulator.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(emulator.state().request_count(), 0);
}

// Current-thread on purpose: the client's connection task cannot run while `shutdown` blocks
// this thread, so it never acknowledges the GOAWAY; an idle connection must close anyway.
#[tokio::test]
async fn shutdown_with_an_idle_http2_connection_is_prompt() {
    let emulator = tls_emulator();
    let client = trusting(&emulator);
    put_ok(&client, &user_url(&emulator, "u1")).await;
    let addr = emulator.addr();
    // The client keeps its HTTP/2 connection open; it must close well inside the one-second
    // grace period.
    let started = Instant::now();
    emulator.shutdown();
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn shutdown_is_bounded_with_an_http2_request_stuck_in_a_delay() {
    let emulator = tls_emulator();
    emulator.state().push_faults(vec![Fault {
        delay_ms: 60_000,
        ..Default::default()
    }]);
    let client = trusting(&emulator);
    let url = user_url(&emulator, "u1");
    let stuck = tokio::spawn(async move { client.put(url).body("{}").send().await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    emulator.shutdown();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(stuck.await.unwrap().is_err());
}

/// HTTP/2 runs each request as its own task; an aborted connection must end them all, not
/// leave the faulted handler waiting forever.
#[tokio::test]
async fn dropped_http2_connection_leaves_no_task_behind() {
    let certificates = TlsCertificates::generate().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = EmulatorState::new(&EmulatorConfig::default());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_tls(
        listener,
        state.clone(),
        certificates.clone(),
        async {
            let _ = stopped.await;
        },
    ));
    let metrics = tokio::runtime::Handle::current().metrics();
    tokio::task::yield_now().await;
    let baseline = metrics.num_alive_tasks();

    state.push_faults(vec![Fault {
        drop_connection: true,
        ..Default::default()
    }]);
    let client = trusting_builder(certificates.ca_cert_pem())
        .build()
        .unwrap();
    let error = client
        .put(format!(
            "https://localhost:{}/v1/orgs/o/apps/a/users/u1",
            addr.port()
        ))
        .header("authorization", "token test")
        .body("{}")
        .send()
        .await
        .unwrap_err();
    assert!(error.is_connect() || error.is_request(), "{error:?}");
    assert_eq!(state.requests()[0].protocol, "HTTP/2.0");
    drop(client);

    let deadline = Instant::now() + Duration::from_secs(5);
    while metrics.num_alive_tasks() > baseline {
        assert!(
            Instant::now() < deadline,
            "{} tasks alive, {baseline} before the connection",
            metrics.num_alive_tasks()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("serve_tls returns promptly")
        .unwrap()
        .unwrap();
}

#[test]
fn debug_output_shows_no_key_material() {
    let certificates = TlsCertificates::generate().unwrap();
    let shown = format!("{certificates:?}");
    assert!(!shown.contains("PRIVATE"), "{shown}");
    let emulator = tls_emulator();
    let shown = format!("{emulator:?}");
    assert!(shown.contains("ca_cert_path"), "{shown}");
}
