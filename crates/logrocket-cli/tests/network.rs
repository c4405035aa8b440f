//! The CLI over real network components: the emulator over HTTPS trusted with --ca-cert, and a
//! real forward proxy (tinyproxy) taken from the environment the way curl takes it (each run is
//! its own process, so each sees the environment the test gives it), from --proxy, or skipped
//! for NO_PROXY hosts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "../../logrocket-identify/tests/common/proxy.rs"]
mod proxy;

use std::process::Command;

use logrocket_emulator::{Emulator, EmulatorConfig};

use common::{APP, ORG, Run, logrocket, run};
use proxy::Tinyproxy;

const PROXY_VARIABLES: [&str; 8] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

fn tls_emulator() -> Emulator {
    Emulator::start(EmulatorConfig {
        tls: true,
        ..EmulatorConfig::default()
    })
    .expect("the emulator starts")
}

/// `logrocket identify <user>` against `emulator`, trusting its CA, with no proxy variable
/// from the test's own environment.
fn identify(emulator: &Emulator, dir: &std::path::Path, user: &str) -> Command {
    let mut command = logrocket(dir);
    for variable in PROXY_VARIABLES {
        command.env_remove(variable);
    }
    command.args([
        "identify",
        user,
        "--base-url",
        emulator.url(),
        "--api-key",
        emulator.api_key(),
        "--app",
        &format!("{ORG}/{APP}"),
        "--ca-cert",
        emulator.ca_cert_path().unwrap().to_str().unwrap(),
        "--max-retries",
        "2",
    ]);
    command
}

fn connects(proxy: &Tinyproxy) -> usize {
    proxy
        .requests()
        .iter()
        .filter(|line| line.starts_with("CONNECT 127.0.0.1:"))
        .count()
}

fn ok(run: &Run) {
    run.expect_code(0);
}

#[test]
fn https_trusted_with_ca_cert_and_refused_without_it() {
    let emulator = tls_emulator();
    let dir = tempfile::tempdir().unwrap();
    ok(&run(identify(&emulator, dir.path(), "u1"), None));
    assert_eq!(emulator.state().requests()[0].protocol, "HTTP/2.0");

    let mut http1 = identify(&emulator, dir.path(), "u2");
    http1.arg("--http1");
    ok(&run(http1, None));
    assert_eq!(emulator.state().requests()[1].protocol, "HTTP/1.1");

    let mut untrusted = logrocket(dir.path());
    untrusted.args([
        "identify",
        "u3",
        "--base-url",
        emulator.url(),
        "--api-key",
        emulator.api_key(),
        "--app",
        "acme/shop",
        "--no-proxy-env",
    ]);
    let refused = run(untrusted, None);
    assert_ne!(refused.code(), Some(0));
    assert!(
        refused.stderr.contains("transport error (tls)"),
        "{}",
        refused.stderr
    );
    assert_eq!(emulator.state().requests().len(), 2);
}

#[test]
fn proxies_from_the_environment_in_either_case_and_no_proxy() {
    let proxy = Tinyproxy::start(None);
    let emulator = tls_emulator();
    let dir = tempfile::tempdir().unwrap();

    let mut upper = identify(&emulator, dir.path(), "u1");
    upper.env("HTTPS_PROXY", proxy.url(None));
    ok(&run(upper, None));
    assert_eq!(connects(&proxy), 1, "{:?}", proxy.requests());

    let mut lower = identify(&emulator, dir.path(), "u2");
    lower.env("https_proxy", proxy.url(None));
    ok(&run(lower, None));
    assert_eq!(connects(&proxy), 2, "{:?}", proxy.requests());

    let mut all = identify(&emulator, dir.path(), "u3");
    all.env("ALL_PROXY", proxy.url(None));
    ok(&run(all, None));
    assert_eq!(connects(&proxy), 3, "{:?}", proxy.requests());

    // NO_PROXY names the emulator's host: reached directly, the proxy sees nothing.
    let mut bypass = identify(&emulator, dir.path(), "u4");
    bypass
        .env("HTTPS_PROXY", proxy.url(None))
        .env("NO_PROXY", "example.com,127.0.0.1");
    ok(&run(bypass, None));
    assert_eq!(connects(&proxy), 3, "{:?}", proxy.requests());

    // --no-proxy-env: the variables are ignored.
    let mut ignored = identify(&emulator, dir.path(), "u5");
    ignored
        .env("HTTPS_PROXY", proxy.url(None))
        .arg("--no-proxy-env");
    ok(&run(ignored, None));
    assert_eq!(connects(&proxy), 3, "{:?}", proxy.requests());
    assert_eq!(emulator.state().requests().len(), 5);
}

#[test]
fn an_explicit_proxy_with_credentials_wins_and_a_wrong_password_is_the_proxy_reason() {
    let proxy = Tinyproxy::start(Some("alice:s3cret"));
    let emulator = tls_emulator();
    let dir = tempfile::tempdir().unwrap();

    let mut explicit = identify(&emulator, dir.path(), "u1");
    explicit
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .args(["--proxy", &proxy.url(Some("alice:s3cret"))]);
    ok(&run(explicit, None));
    assert_eq!(connects(&proxy), 1, "{:?}", proxy.requests());

    let mut wrong = identify(&emulator, dir.path(), "u2");
    wrong.args(["--proxy", &proxy.url(Some("alice:wrong-pass"))]);
    let refused = run(wrong, None);
    assert_ne!(refused.code(), Some(0));
    assert!(
        refused.stderr.contains("transport error (proxy)"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("wrong-pass"), "{}", refused.stderr);
    // Not retried (--max-retries 2 would have made three).
    assert_eq!(connects(&proxy), 2, "{:?}", proxy.requests());
}
