//! Turning reqwest's errors into a [`TransportReason`] and a message that says what to fix.
//!
//! reqwest keeps the cause of a failure in a chain of sources: its own error, hyper-util's,
//! then the resolver's, the socket's, rustls' or the proxy tunnel's. Some of those types are
//! private, so a few are recognised by their text; `tests/network.rs` pins each case against a
//! real server, proxy or resolver, so an upgrade that changes one fails there.

use std::error::Error as StdError;
use std::io;

use crate::error::{Error, TransportReason};

const PROXY_REFUSED: &str = "the proxy wants credentials, or refused the ones given (407 Proxy \
                             Authentication Required); check the user and password in the proxy \
                             URL";

/// A proxy's 407, whether it came as the answer to a tunnel or to a forwarded request.
pub(super) fn proxy_refused() -> Error {
    Error::transport(TransportReason::Proxy, PROXY_REFUSED)
}

/// The reason and message for a failed request. The message is built from the causes only,
/// never from reqwest's own text (which names the URL, and with it the user id).
pub(crate) fn classify(error: &reqwest::Error) -> Error {
    let host = error
        .url()
        .and_then(|url| url.host_str())
        .unwrap_or("the API's host")
        .to_owned();
    let chain: Vec<&(dyn StdError + 'static)> = causes(error).collect();
    let (reason, lead) = reason_of(error, &chain, &host);
    let detail = describe_chain(&chain);
    let message = if detail.is_empty() {
        lead
    } else {
        format!("{lead}: {detail}")
    };
    Error::transport(reason, message)
}

/// The causes under `error`, looking inside `io::Error`s too (whose own `source` skips the
/// error they wrap, which is where rustls puts a certificate error).
fn causes(error: &reqwest::Error) -> impl Iterator<Item = &(dyn StdError + 'static)> {
    let mut next = error.source();
    std::iter::from_fn(move || {
        let current = next?;
        next = match current.downcast_ref::<io::Error>() {
            Some(io_error) => io_error
                .get_ref()
                .map(|inner| inner as &(dyn StdError + 'static)),
            None => current.source(),
        };
        Some(current)
    })
}

fn reason_of(
    error: &reqwest::Error,
    chain: &[&(dyn StdError + 'static)],
    host: &str,
) -> (TransportReason, String) {
    let texts: Vec<String> = chain.iter().map(|e| e.to_string()).collect();
    let has_text = |needle: &str| texts.iter().any(|t| t.contains(needle));
    let io_kind = chain
        .iter()
        .find_map(|e| e.downcast_ref::<io::Error>())
        .map(io::Error::kind);
    if has_text("tunnel error: proxy authorization required") {
        return (TransportReason::Proxy, PROXY_REFUSED.to_owned());
    }
    if has_text("tunnel error: unsuccessful") || has_text("tunnel error: proxy response headers") {
        return (
            TransportReason::Proxy,
            format!("the proxy would not open a tunnel to {host}"),
        );
    }
    let through_proxy = has_text("tunnel error");
    if chain.iter().any(|e| e.is::<rustls::Error>()) {
        return (
            TransportReason::Tls,
            format!(
                "the TLS handshake with {host} failed (if a proxy or server uses a private CA, \
                 trust it with the CA certificate option)"
            ),
        );
    }
    if has_text("dns error") {
        let what = if through_proxy {
            "the proxy's host"
        } else {
            host
        };
        return (TransportReason::Dns, format!("cannot resolve {what}"));
    }
    let connect_lead = if through_proxy {
        "cannot connect to the proxy".to_owned()
    } else {
        format!("cannot connect to {host}")
    };
    match io_kind {
        Some(
            io::ErrorKind::ConnectionRefused
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::AddrNotAvailable,
        ) => return (TransportReason::Connect, connect_lead),
        Some(
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof,
        ) => {
            return (
                TransportReason::Reset,
                "the connection was closed or reset".to_owned(),
            );
        }
        _ => {}
    }
    if error.is_connect() && error.is_timeout() {
        return (
            TransportReason::Connect,
            format!("{connect_lead}: no answer within the connect timeout"),
        );
    }
    if let Some(hyper_error) = chain.iter().find_map(|e| e.downcast_ref::<hyper::Error>()) {
        if hyper_error.is_parse() || hyper_error.is_parse_status() || hyper_error.is_user() {
            return (
                TransportReason::Protocol,
                "the answer was not valid HTTP".to_owned(),
            );
        }
        return (
            TransportReason::Reset,
            "the connection was closed before the answer was read".to_owned(),
        );
    }
    if error.is_connect() {
        return (TransportReason::Connect, connect_lead);
    }
    (TransportReason::Other, "the request failed".to_owned())
}

/// The causes on one line, each once, leaving out the generic wrappers ("client error
/// (Connect)") that say nothing a reader can act on.
fn describe_chain(chain: &[&(dyn StdError + 'static)]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in chain {
        let text = cause.to_string();
        if text.starts_with("client error (") || text.is_empty() {
            continue;
        }
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

/// An error and its causes on one line, for errors other than a request's (building the
/// client). Callers strip any URL first.
pub(crate) fn describe(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
