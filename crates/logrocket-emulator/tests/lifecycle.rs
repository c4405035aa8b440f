//! Starting and stopping: `serve` with a shutdown future, and `Emulator` started and dropped
//! from sync code and from inside tokio runtimes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use common::{client, put};
use logrocket_emulator::{Emulator, EmulatorConfig, EmulatorState, serve};

/// A blocking GET of the health route, without any async machinery.
fn blocking_health(addr: SocketAddr) -> std::io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream
        .write_all(b"GET /_emulator/health HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    Ok(reply)
}

#[test]
fn start_and_drop_outside_any_runtime() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let addr = emulator.addr();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    assert_eq!(emulator.url(), format!("http://127.0.0.1:{}", addr.port()));
    assert_eq!(emulator.api_key(), "test");
    let reply = blocking_health(addr).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.ends_with("ok"), "{reply}");
    drop(emulator);
    assert!(TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err());
}

#[test]
fn shutdown_outside_any_runtime() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let addr = emulator.addr();
    emulator.shutdown();
    assert!(TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err());
}

#[tokio::test]
async fn start_and_drop_inside_a_current_thread_runtime() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let client = client();
    assert_eq!(put(&client, &emulator, "u1", "{}").await.status, 200);
    // The client keeps its keep-alive connection open: shutdown must not wait on it forever.
    let addr = emulator.addr();
    drop(emulator);
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_and_shutdown_inside_a_multi_thread_runtime() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let client = client();
    assert_eq!(put(&client, &emulator, "u1", "{}").await.status, 200);
    let addr = emulator.addr();
    emulator.shutdown();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn shutdown_is_bounded_with_a_request_stuck_in_a_delay() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    emulator
        .state()
        .push_faults(vec![logrocket_emulator::Fault {
            delay_ms: 60_000,
            ..Default::default()
        }]);
    let url = common::user_url(&emulator, "u1");
    let stuck = tokio::spawn(async move { client().put(url).body("{}").send().await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    emulator.shutdown();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(stuck.await.unwrap().is_err());
}

#[test]
fn start_reports_a_port_in_use() {
    let first = Emulator::start(EmulatorConfig::default()).unwrap();
    let config = EmulatorConfig {
        port: first.addr().port(),
        ..Default::default()
    };
    assert!(Emulator::start(config).is_err());
}

#[test]
fn config_debug_hides_the_api_key() {
    let config = EmulatorConfig {
        api_key: "very-secret".to_owned(),
        ..Default::default()
    };
    assert!(!format!("{config:?}").contains("very-secret"));
    let emulator = Emulator::start(config).unwrap();
    assert!(!format!("{emulator:?}").contains("very-secret"));
    assert!(!format!("{:?}", emulator.state()).contains("very-secret"));
}

#[tokio::test]
async fn serve_runs_until_its_shutdown_future_completes() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = EmulatorState::new(&EmulatorConfig::default());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));
    let client = client();
    let response = client
        .put(format!("http://{addr}/v1/orgs/o/apps/a/users/u1"))
        .header("authorization", "token test")
        .body(r#"{"name":"A"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        state.user("o", "a", "u1").unwrap().name.as_deref(),
        Some("A")
    );
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("serve returns promptly")
        .unwrap()
        .unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
