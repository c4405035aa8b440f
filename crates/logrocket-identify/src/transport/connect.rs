//! Opening a connection: TCP, TLS when the endpoint is https, then an HTTP/1.1 handshake.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::describe;
use super::endpoint::Endpoint;
use super::pool::Sender;
use crate::error::{Error, Result};

/// A TLS client that verifies certificates against the webpki roots (Mozilla's), with ring as
/// its crypto. Offers only HTTP/1.1.
pub(crate) fn tls_connector() -> Result<TlsConnector> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config(format!("cannot set up TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsConnector::from(Arc::new(config)))
}

/// How long one address of several may take to accept before the next is tried: a host whose
/// first address (often IPv6) silently drops packets must not cost the whole attempt.
const NEXT_ADDRESS_AFTER: Duration = Duration::from_secs(1);

pub(crate) async fn connect(endpoint: &Endpoint, tls: Option<&TlsConnector>) -> Result<Sender> {
    let tcp = tcp_connect(&endpoint.host, endpoint.port).await?;
    // Requests are small and answered one at a time: send each at once.
    tcp.set_nodelay(true)
        .map_err(|e| transport(format!("cannot set up the connection: {e}")))?;
    match tls {
        None => handshake(tcp).await,
        Some(connector) => {
            let name = ServerName::try_from(endpoint.host.clone()).map_err(|e| {
                transport(format!(
                    "{:?} is not a valid TLS server name: {e}",
                    endpoint.host
                ))
            })?;
            let stream = connector.connect(name, tcp).await.map_err(|e| {
                transport(format!("TLS handshake with {} failed: {e}", endpoint.host))
            })?;
            handshake(stream).await
        }
    }
}

/// Connects to the first address of `host` that accepts, in the resolver's order.
async fn tcp_connect(host: &str, port: u16) -> Result<TcpStream> {
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| transport(format!("cannot resolve {host}: {e}")))?
        .collect();
    first_accepting(&addresses)
        .await
        .map_err(|last_error| transport(format!("cannot connect to {host}:{port}: {last_error}")))
}

/// The first of `addresses` to accept a connection, or the last one's error.
async fn first_accepting(addresses: &[SocketAddr]) -> std::result::Result<TcpStream, String> {
    let mut last_error = None;
    for (i, address) in addresses.iter().enumerate() {
        let attempt = TcpStream::connect(address);
        let outcome = if i + 1 < addresses.len() {
            tokio::time::timeout(NEXT_ADDRESS_AFTER, attempt)
                .await
                .unwrap_or_else(|_| {
                    Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "no answer",
                    ))
                })
        } else {
            // The last address has what is left of the attempt's own timeout.
            attempt.await
        };
        match outcome {
            Ok(tcp) => return Ok(tcp),
            Err(e) => last_error = Some(format!("{address}: {e}")),
        }
    }
    Err(last_error.unwrap_or_else(|| "the name resolved to no address".to_owned()))
}

async fn handshake<T>(io: T) -> Result<Sender>
where
    T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| transport(describe(&e)))?;
    // The connection does its reading and writing in a task of its own; it ends when the
    // server closes it or when the last handle to it (in a request or in the pool) is dropped.
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %describe(&e), "connection closed with an error");
        }
    });
    Ok(sender)
}

fn transport(message: String) -> Error {
    Error::Transport { message }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_address_that_refuses_is_passed_over_for_the_next() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = listener.local_addr().unwrap();
        // A port that was just free: nothing listens there now.
        let closed = {
            let spare = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            spare.local_addr().unwrap()
        };
        let tcp = first_accepting(&[closed, open]).await.unwrap();
        assert_eq!(tcp.peer_addr().unwrap(), open);
        let error = first_accepting(&[closed]).await.unwrap_err();
        assert!(error.starts_with(&closed.to_string()), "{error}");
        assert_eq!(
            first_accepting(&[]).await.unwrap_err(),
            "the name resolved to no address"
        );
    }
}
