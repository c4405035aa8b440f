//! `logrocket emulator`: prints its URL first on stdout and answers the API there.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::Duration;

use common::logrocket;

/// Kills the served emulator however the test ends.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.1 request on a fresh connection; returns the whole response as text.
fn http(addr: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

fn put_user(addr: &str, key: &str, body: &str) -> String {
    http(
        addr,
        &format!(
            "PUT /v1/orgs/acme/apps/shop/users/u%2F1 HTTP/1.1\r\nHost: {addr}\r\n\
             Authorization: token {key}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

#[test]
fn serves_on_the_url_it_prints_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = logrocket(dir.path());
    command
        .args(["emulator", "--port", "0", "--api-key", "served-key"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut served = Served(command.spawn().unwrap());
    let mut stdout = BufReader::new(served.0.stdout.take().unwrap());
    let mut first_line = String::new();
    stdout.read_line(&mut first_line).unwrap();
    let url = first_line.trim_end();
    let addr = url
        .strip_prefix("http://127.0.0.1:")
        .map(|port| format!("127.0.0.1:{port}"))
        .unwrap_or_else(|| panic!("the first line is not a loopback URL: {first_line:?}"));
    assert!(
        addr[10..].parse::<u16>().is_ok_and(|port| port != 0),
        "{addr}"
    );

    let response = put_user(&addr, "served-key", r#"{"name":"Ann","traits":{"age":43}}"#);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    let user: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(user["userID"], "u/1");
    assert_eq!(user["traits"]["age"], "43");

    let refused = put_user(&addr, "another-key", "{}");
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");

    served.0.kill().unwrap();
    let status = served.0.wait().unwrap();
    assert!(!status.success());
}

#[test]
fn rate_limit_answers_429_with_retry_after_past_its_rate() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = logrocket(dir.path());
    command
        .args(["emulator", "--port", "0", "--rate-limit", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut served = Served(command.spawn().unwrap());
    let mut stdout = BufReader::new(served.0.stdout.take().unwrap());
    let mut first_line = String::new();
    stdout.read_line(&mut first_line).unwrap();
    let addr = first_line
        .trim_end()
        .trim_start_matches("http://")
        .to_owned();

    let first = put_user(&addr, "test", "{}");
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    let second = put_user(&addr, "test", "{}");
    assert!(second.starts_with("HTTP/1.1 429"), "{second}");
    assert!(
        second
            .to_ascii_lowercase()
            .contains("\r\nretry-after: 1\r\n"),
        "{second}"
    );
}
