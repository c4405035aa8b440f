//! `logrocket emulator`: prints its URL first on stdout and answers the API there; with
//! `--tls`, over HTTPS, the CA certificate's path on the next line.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, ChildStdout, Stdio};
use std::time::Duration;

use common::{logrocket, run};

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

/// The next line of the emulator's stdout, without its line ending.
fn next_line(stdout: &mut BufReader<ChildStdout>) -> String {
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    line.trim_end().to_owned()
}

/// Starts `logrocket emulator --tls` with `extra` arguments; returns it, its stdout, the URL
/// and the CA certificate path it printed.
fn serve_tls(dir: &Path, extra: &[&str]) -> (Served, BufReader<ChildStdout>, String, String) {
    let mut command = logrocket(dir);
    command
        .args(["emulator", "--port", "0", "--tls"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut served = Served(command.spawn().unwrap());
    let mut stdout = BufReader::new(served.0.stdout.take().unwrap());
    let url = next_line(&mut stdout);
    let ca_path = next_line(&mut stdout);
    (served, stdout, url, ca_path)
}

/// A client trusting only the CA certificate in `pem`.
fn trusting(pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .no_proxy()
        .build()
        .unwrap()
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

    // Plain HTTP prints the URL and nothing else: no CA certificate line.
    served.0.kill().unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "");
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

/// `--request-log-limit N` keeps only the last N requests in the log.
#[test]
fn the_request_log_keeps_the_last_n() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = logrocket(dir.path());
    command
        .args(["emulator", "--port", "0", "--request-log-limit", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut served = Served(command.spawn().unwrap());
    let mut stdout = BufReader::new(served.0.stdout.take().unwrap());
    let addr = next_line(&mut stdout)
        .trim_start_matches("http://")
        .to_owned();
    for name in ["first", "second", "third"] {
        let answer = put_user(&addr, "test", &format!(r#"{{"name":"{name}"}}"#));
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    let log = http(
        &addr,
        &format!("GET /_emulator/requests HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    );
    assert!(
        !log.contains("first") && log.contains("second") && log.contains("third"),
        "{log}"
    );
}

#[tokio::test]
async fn tls_serves_https_trusting_the_ca_it_writes() {
    let dir = tempfile::tempdir().unwrap();
    let ca_out = dir.path().join("emulator-ca.pem");
    let (mut served, _stdout, url, ca_path) = serve_tls(
        dir.path(),
        &[
            "--api-key",
            "served-key",
            "--ca-cert-out",
            ca_out.to_str().unwrap(),
        ],
    );
    let port = url
        .strip_prefix("https://127.0.0.1:")
        .unwrap_or_else(|| panic!("the first line is not an https loopback URL: {url:?}"));
    assert!(port.parse::<u16>().is_ok_and(|port| port != 0), "{url}");
    assert_eq!(Path::new(&ca_path), ca_out);
    let pem = std::fs::read_to_string(&ca_out).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");

    let client = trusting(&pem);
    let response = client
        .put(format!("{url}/v1/orgs/acme/apps/shop/users/u%2F1"))
        .header("authorization", "token served-key")
        .header("content-type", "application/json")
        .body(r#"{"name":"Ann","traits":{"age":43}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    let user: serde_json::Value = response.json().await.unwrap();
    assert_eq!(user["userID"], "u/1");
    assert_eq!(user["traits"]["age"], "43");

    // The name in the certificate matches `localhost` too, and the log says HTTP/2.
    let logged: serde_json::Value = client
        .get(format!("https://localhost:{port}/_emulator/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(logged[0]["protocol"], "HTTP/2.0");

    // A client that does not trust this CA is refused at the handshake.
    let untrusted = reqwest::Client::builder().no_proxy().build().unwrap();
    let error = untrusted
        .get(format!("{url}/_emulator/health"))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_connect(), "{error:?}");

    served.0.kill().unwrap();
    served.0.wait().unwrap();
    // The file was named by the user, so it stays.
    assert!(ca_out.exists());
}

#[cfg(unix)]
#[test]
fn tls_default_ca_file_is_a_temp_file_removed_on_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let (mut served, mut stdout, url, ca_path) = serve_tls(dir.path(), &[]);
    let port = url.rsplit(':').next().unwrap();
    let ca_path = Path::new(&ca_path).to_owned();
    assert_eq!(ca_path.parent(), Some(std::env::temp_dir().as_path()));
    assert_eq!(
        ca_path.file_name().unwrap().to_str().unwrap(),
        format!("logrocket-emulator-ca-{}-{port}.pem", served.0.id())
    );
    assert!(
        std::fs::read_to_string(&ca_path)
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );

    // Ctrl-C is SIGINT: the emulator stops, exits 0 and removes the file it chose.
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &served.0.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let status = served.0.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "");
    assert!(!ca_path.exists(), "{} left behind", ca_path.display());
}

#[test]
fn ca_cert_out_requires_tls() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = logrocket(dir.path());
    command.args(["emulator", "--port", "0", "--ca-cert-out", "ca.pem"]);
    let outcome = run(command, None);
    outcome.expect_code(2);
    assert!(outcome.stderr.contains("--tls"), "{}", outcome.stderr);
    assert!(!dir.path().join("ca.pem").exists());
}
