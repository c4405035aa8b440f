//! Opening a connection: TCP, TLS when the endpoint is https, then an HTTP/1.1 handshake.

use std::sync::Arc;

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

pub(crate) async fn connect(endpoint: &Endpoint, tls: Option<&TlsConnector>) -> Result<Sender> {
    let address = (endpoint.host.as_str(), endpoint.port);
    let tcp = TcpStream::connect(address).await.map_err(|e| {
        transport(format!(
            "cannot connect to {}:{}: {e}",
            endpoint.host, endpoint.port
        ))
    })?;
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
