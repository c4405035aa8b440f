//! The API key and the proxy's credentials appear in no log output, with everything at TRACE
//! (issue 11 §4): a `tracing` subscriber for every target (h2, hyper-util, the emulator, this
//! crate) and a `log` logger for the crates that log through `log` (reqwest, rustls), both
//! capturing into memory, while a client with a recognisable key and an explicit proxy URL with
//! recognisable credentials (tinyproxy asking for them) sends successes, a 500 retried and given
//! up, a 400, a bulk call and a background update that fails. Its own test binary: it installs
//! the process's subscriber and logger.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::proxy::Tinyproxy;
use common::status;
use logrocket_emulator::{Emulator, EmulatorConfig};
use logrocket_identify::{Client, IdentifyRequest};

const KEY: &str = "secret-key-4f9a2c7e1b";
const PROXY_CREDENTIALS: &str = "proxyuser:proxy-secret-77";
/// What must appear nowhere: the key, the proxy password, and the Proxy-Authorization header's
/// base64 of "proxyuser:proxy-secret-77".
const SECRETS: [&str; 3] = [
    KEY,
    "proxy-secret-77",
    "cHJveHl1c2VyOnByb3h5LXNlY3JldC03Nw==",
];

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `log` records (reqwest's, rustls's), with their target, into the same buffer.
struct LogCapture(Captured);

impl log::Log for LogCapture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let line = format!("{} {} {}\n", record.level(), record.target(), record.args());
        self.0.0.lock().unwrap().extend_from_slice(line.as_bytes());
    }
    fn flush(&self) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_any_log_at_trace() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    log::set_logger(Box::leak(Box::new(LogCapture(captured.clone())))).unwrap();
    log::set_max_level(log::LevelFilter::Trace);

    let proxy = Tinyproxy::start(Some(PROXY_CREDENTIALS));
    let emulator = Emulator::start(EmulatorConfig {
        api_key: KEY.into(),
        ..EmulatorConfig::default()
    })
    .expect("emulator starts");
    let client = Client::builder()
        .api_key(KEY)
        .app("acme/web")
        .base_url(emulator.url())
        .proxy_from_env(false)
        .proxy(proxy.url(Some(PROXY_CREDENTIALS)))
        .max_retries(2)
        .initial_backoff(Duration::from_millis(5))
        .build()
        .unwrap();
    let mut errors = Vec::new();
    // Faults after clearing any left over (and counting the requests seen so far): through
    // tinyproxy an attempt now and then fails on a pooled connection the proxy has closed (a
    // transport error, retried), which would leave a fault for the next request.
    let mut requests = 0;
    let mut faults = |script| {
        requests += emulator.state().requests().len();
        emulator.state().reset();
        emulator.state().push_faults(script);
    };

    client.identify(&IdentifyRequest::new("u1")).await.unwrap();
    faults(vec![status(500), status(500), status(500)]);
    errors.push(
        client
            .identify(&IdentifyRequest::new("u-500"))
            .await
            .unwrap_err(),
    );
    faults(vec![status(400)]);
    errors.push(
        client
            .identify(&IdentifyRequest::new("u-400"))
            .await
            .unwrap_err(),
    );
    faults(vec![status(422)]);
    let report = client
        .identify_many(
            futures::stream::iter(["b1", "b2", "b3"].map(|id| Ok(IdentifyRequest::new(id)))),
            Some(2),
        )
        .await
        .unwrap();
    assert_eq!(report.failures.len(), 1, "{report:?}");
    faults(vec![status(400)]);
    client.enqueue(IdentifyRequest::new("q1")).unwrap();
    let summary = client.close(Duration::from_secs(10)).await;
    assert_eq!(summary.failed, 1, "{summary:?}");

    requests += emulator.state().requests().len();
    assert!(requests >= 8, "the emulator saw {requests} requests");
    let through_proxy = proxy.requests().len();
    assert!(
        through_proxy >= 8,
        "tinyproxy logged {through_proxy} requests"
    );

    let mut text = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    let lines = text.lines().count();
    if std::env::var_os("LR_TEST_SECRETS_SHOW").is_some() {
        eprintln!("{text}");
    }
    assert!(
        text.contains("logrocket_identify") && text.contains("reqwest"),
        "the log at trace should hold this crate's and reqwest's lines: {text}"
    );
    for error in &errors {
        text.push_str(&format!("{error}\n{error:?}\n"));
    }
    text.push_str(&format!("{report:?}\n{summary:?}\n{client:?}\n"));
    for secret in SECRETS {
        if let Some(at) = text.find(secret) {
            let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
            panic!("{secret} leaked in: {}", &text[line_start..line_end]);
        }
    }
    eprintln!(
        "no secret in {lines} log lines at trace ({through_proxy} requests through the proxy)"
    );
}
