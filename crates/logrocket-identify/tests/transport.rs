//! The HTTP layer itself: keep-alive reuse, servers that close connections, oversized answers,
//! and TLS that is always verified.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use logrocket_identify::{Client, ErrorKind, IdentifyRequest, TransportReason};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use common::{builder, emulator};

#[tokio::test]
async fn requests_name_the_host_as_the_base_url_does() {
    let emulator = emulator();
    let client = builder(&emulator).build().unwrap();
    client.identify(&IdentifyRequest::new("u")).await.unwrap();
    let sent = &emulator.state().requests()[0];
    assert_eq!(
        sent.headers["host"],
        emulator.url().trim_start_matches("http://")
    );
    assert_eq!(sent.headers["content-length"], "2");
}

/// Reads one request (headers and a Content-Length body) from `stream`; false at its end.
async fn read_request(stream: &mut tokio::net::TcpStream) -> bool {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap_or(0));
            if buffer.len() >= end + 4 + length {
                return true;
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// How a test server treats a connection after its first answer.
#[derive(Clone, Copy, PartialEq)]
enum AfterAnswer {
    KeepAlive,
    /// Closes it, saying so with `Connection: close`.
    CloseSaying,
    /// Closes it without a word, as a server whose idle timeout just passed does: the client
    /// finds out only when it tries to reuse it.
    CloseSilently,
}

/// A plain HTTP/1.1 server answering every request 200. Returns its URL and a count of the
/// connections it accepted.
async fn counting_server(after: AfterAnswer) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&connections);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                while read_request(&mut stream).await {
                    let body = r#"{"userID":"u","traits":{}}"#;
                    let header = if after == AfterAnswer::CloseSaying {
                        "Connection: close\r\n"
                    } else {
                        ""
                    };
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                         Content-Length: {}\r\n{header}\r\n{body}",
                        body.len()
                    );
                    if stream.write_all(answer.as_bytes()).await.is_err()
                        || after != AfterAnswer::KeepAlive
                    {
                        return;
                    }
                }
            });
        }
    });
    (url, connections)
}

fn client_for(url: &str) -> Client {
    Client::builder()
        .api_key("k")
        .app("acme/web")
        .base_url(url)
        .max_retries(0)
        .build()
        .unwrap()
}

#[tokio::test]
async fn sequential_requests_reuse_one_connection() {
    let (url, connections) = counting_server(AfterAnswer::KeepAlive).await;
    let client = client_for(&url);
    for _ in 0..5 {
        client.identify(&IdentifyRequest::new("u")).await.unwrap();
    }
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

/// "localhost" may resolve to ::1 before 127.0.0.1: an address that refuses is passed over for
/// the next.
#[tokio::test]
async fn localhost_reaches_a_server_on_127_0_0_1_whatever_the_resolver_gives_first() {
    let (url, connections) = counting_server(AfterAnswer::KeepAlive).await;
    let port = url.rsplit(':').next().unwrap();
    let client = client_for(&format!("http://localhost:{port}"));
    client.identify(&IdentifyRequest::new("u")).await.unwrap();
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

/// No request may be lost to a connection the pool kept after the server said it would close
/// it: with no retries allowed, every request still succeeds, each on a new connection.
#[tokio::test]
async fn a_server_closing_each_connection_costs_no_retry() {
    let (url, connections) = counting_server(AfterAnswer::CloseSaying).await;
    let client = client_for(&url);
    for _ in 0..5 {
        client.identify(&IdentifyRequest::new("u")).await.unwrap();
    }
    assert_eq!(connections.load(Ordering::SeqCst), 5);
}

/// A pooled connection the server closed without saying so is not the request's problem: with
/// no retries allowed, every request still succeeds.
#[tokio::test]
async fn a_server_closing_idle_connections_silently_costs_no_retry() {
    let (url, connections) = counting_server(AfterAnswer::CloseSilently).await;
    let client = client_for(&url);
    for _ in 0..5 {
        client.identify(&IdentifyRequest::new("u")).await.unwrap();
        // Long enough for the close to arrive, as after an idle spell.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(connections.load(Ordering::SeqCst), 5);
}

fn self_signed_server_config() -> rustls::ServerConfig {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(format!("{fixtures}/self-signed.crt"))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
    let key = PrivateKeyDer::from_pem_file(format!("{fixtures}/self-signed.key")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap()
}

/// A certificate no trusted authority signed is refused before anything (the key included) is
/// sent: the server sees a handshake and no request, and no retry (it would fail alike).
#[tokio::test]
async fn an_untrusted_certificate_is_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(self_signed_server_config()));
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&requests);
    let connections = Arc::new(AtomicUsize::new(0));
    let handshakes = Arc::clone(&connections);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            handshakes.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            let counted = Arc::clone(&counted);
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(stream).await {
                    let mut byte = [0u8; 1];
                    if matches!(tls.read(&mut byte).await, Ok(n) if n > 0) {
                        counted.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    let client = Client::builder()
        .api_key("k")
        .app("acme/web")
        .base_url(&url)
        .max_retries(3)
        .build()
        .unwrap();
    let error = client
        .identify(&IdentifyRequest::new("u"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
    assert_eq!(
        error.transport_reason(),
        Some(TransportReason::Tls),
        "{error}"
    );
    assert!(!error.is_retryable());
    assert!(error.message().contains("UnknownIssuer"), "{error}");
    assert_eq!(requests.load(Ordering::SeqCst), 0);
    assert_eq!(connections.load(Ordering::SeqCst), 1, "not retried");
}

/// https:// to a server that does not speak TLS is a transport error naming the handshake.
#[tokio::test]
async fn https_to_a_plain_server_is_a_transport_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .await;
        }
    });
    let client = client_for(&url);
    let error = client
        .identify(&IdentifyRequest::new("u"))
        .await
        .unwrap_err();
    assert_eq!(
        error.transport_reason(),
        Some(TransportReason::Tls),
        "{error}"
    );
    assert!(error.message().contains("TLS handshake"), "{error}");
}

/// An answer body past 4 MiB (a misconfigured proxy, say) is an error, not memory spent on it.
#[tokio::test]
async fn an_oversized_answer_is_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                if read_request(&mut stream).await {
                    let size = 5 << 20;
                    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n");
                    let _ = stream.write_all(head.as_bytes()).await;
                    let chunk = vec![b' '; 64 << 10];
                    for _ in 0..size / chunk.len() {
                        if stream.write_all(&chunk).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    let error = client_for(&url)
        .identify(&IdentifyRequest::new("u"))
        .await
        .unwrap_err();
    assert_eq!(
        error.transport_reason(),
        Some(TransportReason::BodyTooLarge),
        "{error}"
    );
    assert!(error.message().contains("larger than 4 MiB"), "{error}");
}

/// A refused connection is worth retrying (the server may be restarting): every attempt is
/// made, and the error says connect.
#[tokio::test]
async fn a_refused_connection_is_retried_and_says_connect() {
    let closed = {
        let spare = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        spare.local_addr().unwrap()
    };
    let client = Client::builder()
        .api_key("k")
        .app("acme/web")
        .base_url(format!("http://{closed}"))
        .max_retries(2)
        .initial_backoff(std::time::Duration::from_millis(1))
        .build()
        .unwrap();
    let error = client
        .identify(&IdentifyRequest::new("secret-user"))
        .await
        .unwrap_err();
    assert_eq!(
        error.transport_reason(),
        Some(TransportReason::Connect),
        "{error}"
    );
    assert!(error.is_retryable());
    let text = error.to_string();
    assert!(
        text.starts_with("transport error (connect): cannot connect to 127.0.0.1"),
        "{text}"
    );
    assert!(
        !text.contains("secret-user") && !text.contains("/v1/"),
        "{text}"
    );
}

/// A host name that does not exist fails fast, once, with the dns reason.
#[tokio::test]
async fn a_name_that_does_not_resolve_is_not_retried() {
    let client = Client::builder()
        .api_key("k")
        .app("acme/web")
        .base_url("https://no-such-host.invalid")
        .max_retries(3)
        .initial_backoff(std::time::Duration::from_secs(5))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let error = client
        .identify(&IdentifyRequest::new("u"))
        .await
        .unwrap_err();
    assert_eq!(
        error.transport_reason(),
        Some(TransportReason::Dns),
        "{error}"
    );
    assert!(!error.is_retryable());
    assert!(
        error
            .to_string()
            .contains("cannot resolve no-such-host.invalid"),
        "{error}"
    );
    // A retry would have waited out the 5 s backoff first.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}
