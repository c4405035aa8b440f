//! Cancelling a blocking call from another thread: it returns at once, and what it had in flight
//! is abandoned.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use logrocket_identify::{BlockingClient, Cancel, Client, IdentifyRequest};

use common::{builder, emulator};

/// A server that reads requests and never answers; says on `arrived` when a request's first
/// bytes have come in.
fn silent_server() -> (String, mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (arrived, arrivals) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let arrived = arrived.clone();
            std::thread::spawn(move || {
                let mut buffer = [0u8; 1024];
                if matches!(stream.read(&mut buffer), Ok(n) if n > 0) {
                    let _ = arrived.send(());
                }
                // Hold the connection open, unanswered, until the client closes it.
                while matches!(stream.read(&mut buffer), Ok(n) if n > 0) {}
            });
        }
    });
    (url, arrivals)
}

fn slow_client(url: &str) -> BlockingClient {
    // A timeout far longer than any test: only the cancel can end these calls.
    Client::builder()
        .api_key("k")
        .app("acme/web")
        .base_url(url)
        .timeout(Duration::from_secs(600))
        .max_retries(0)
        .build_blocking()
        .unwrap()
}

#[test]
fn a_call_whose_switch_already_fired_sends_nothing() {
    let emulator = emulator();
    let client = builder(&emulator).build_blocking().unwrap();
    let cancel = Cancel::new();
    cancel.fire();
    assert!(
        client
            .identify_unless_cancelled(&IdentifyRequest::new("u"), &cancel)
            .is_none()
    );
    let inputs = (0..5).map(|i| Ok(IdentifyRequest::new(format!("u{i}"))));
    assert!(
        client
            .identify_many_unless_cancelled(inputs, None, &cancel)
            .is_none()
    );
    assert!(emulator.state().requests().is_empty());
    // An unfired switch changes nothing.
    let user = client
        .identify_unless_cancelled(&IdentifyRequest::new("u"), &Cancel::new())
        .unwrap()
        .unwrap();
    assert_eq!(user.user_id, "u");
}

#[test]
fn firing_ends_a_call_in_flight() {
    let (url, arrivals) = silent_server();
    let client = slow_client(&url);
    let cancel = Cancel::new();
    let fire = cancel.clone();
    std::thread::spawn(move || {
        arrivals.recv().unwrap();
        fire.fire();
    });
    assert!(
        client
            .identify_unless_cancelled(&IdentifyRequest::new("u"), &cancel)
            .is_none()
    );
    assert!(cancel.is_fired());
}

#[test]
fn firing_ends_a_bulk_run_in_flight() {
    let (url, arrivals) = silent_server();
    let client = slow_client(&url);
    let cancel = Cancel::new();
    let fire = cancel.clone();
    std::thread::spawn(move || {
        arrivals.recv().unwrap();
        fire.fire();
    });
    let inputs = (0..100).map(|i| Ok(IdentifyRequest::new(format!("u{i}"))));
    assert!(
        client
            .identify_many_unless_cancelled(inputs, Some(4), &cancel)
            .is_none()
    );
}
