//! The accept loop: each connection is served by hyper directly (not `axum::serve`) so that a
//! fault can make its connection close without any response.
//!
//! Plain connections speak HTTP/1.1 only. TLS connections speak what ALPN settled on: HTTP/2
//! for `h2`, HTTP/1.1 for `http/1.1`, and either (told apart by the HTTP/2 preface) when the
//! client offered no ALPN at all.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower_service::Service;

use crate::state::EmulatorState;
use crate::tls::TlsCertificates;
use crate::{routes_api, routes_control};

/// How long in-flight requests may take to finish once shutdown is asked for. Idle keep-alive
/// connections close at once (HTTP/2 ones within [`CLOSE_LINGER`]); only a request stuck in a
/// long delay fault waits this long.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// How long a client may take to complete the TLS handshake. A client that connects and then
/// says nothing would otherwise hold a task until shutdown.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Once shutdown is asked for and a connection has no request left in flight, how long it may
/// still take to close by itself (flushing its last answer, or an HTTP/2 client acknowledging
/// GOAWAY) before it is dropped.
const CLOSE_LINGER: Duration = Duration::from_millis(100);

/// Put into every request's extensions: lets a handler close its own connection unanswered.
///
/// Over HTTP/2 that closes the whole connection, so every other request in flight on it fails
/// too: HTTP/2 has no way to end one stream "without an answer" short of a reset, which a
/// client reports differently from a dropped connection.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionAbort(Arc<Notify>);

impl ConnectionAbort {
    pub(crate) fn trigger(&self) {
        // notify_one keeps a permit if the connection task is not waiting yet, so no race.
        self.0.notify_one();
    }
}

/// The emulator's whole router (API and `/_emulator/` routes) over `state`, without a server.
/// Public only so the fuzz target `fuzz/fuzz_targets/emulator.rs` can call it in-process (a
/// request that would drop its connection answers 500 there instead); not part of the API.
#[doc(hidden)]
pub fn router(state: EmulatorState) -> Router {
    routes_control::routes()
        .fallback(routes_api::handle)
        .with_state(state)
}

/// Serves the emulator over plain HTTP/1.1 on `listener` until `shutdown` completes.
///
/// Then it stops accepting, lets in-flight requests finish for a short grace period (about a
/// second), closes every connection and returns. `logrocket emulator` runs this in its own
/// runtime until Ctrl-C; tests usually prefer [`crate::Emulator::start`]. For HTTPS, see
/// [`serve_tls`].
///
/// # Errors
///
/// None at present: failed accepts (for example when out of file descriptors) are logged and
/// retried, so the server keeps running. The `Result` leaves room for setup failures.
pub async fn serve(
    listener: TcpListener,
    state: EmulatorState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    serve_with(listener, state, None, shutdown).await
}

/// Like [`serve`], but over TLS with `certificates`, as the real API is only ever reached.
///
/// ALPN offers `h2` and `http/1.1`: a client that picks `h2` is served HTTP/2, one that picks
/// `http/1.1` (or offers no ALPN and does not send the HTTP/2 preface) HTTP/1.1. Clients must
/// trust [`TlsCertificates::ca_cert_pem`]; a client that does not fails the handshake, and
/// nothing is recorded. A handshake not finished within ten seconds is abandoned.
///
/// Faults behave as in [`serve`], except that a dropped connection over HTTP/2 drops every
/// request in flight on that connection, not only the faulted one.
///
/// # Errors
///
/// As [`serve`]: none at present.
pub async fn serve_tls(
    listener: TcpListener,
    state: EmulatorState,
    certificates: TlsCertificates,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    serve_with(listener, state, Some(certificates.acceptor()), shutdown).await
}

async fn serve_with(
    listener: TcpListener,
    state: EmulatorState,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let router = router(state.clone());
    let (stop_sender, stop_receiver) = watch::channel(());
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        // Reap finished connections so the set does not grow with every one ever accepted.
        while connections.try_join_next().is_some() {}
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    state.count_connection();
                    connections.spawn(serve_connection(
                        stream,
                        tls.clone(),
                        router.clone(),
                        stop_receiver.clone(),
                    ));
                }
                Err(error) => {
                    // Usually transient (a reset before accept, or descriptors exhausted):
                    // back off briefly rather than spin or stop serving.
                    tracing::warn!(%error, "emulator: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    drop(listener);
    drop(stop_sender);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.shutdown().await;
    }
    Ok(())
}

/// Which HTTP versions a connection may speak.
#[derive(Debug, Clone, Copy)]
enum Versions {
    Http1,
    Http2,
    /// Told apart by whether the client opens with the HTTP/2 preface.
    Either,
}

async fn serve_connection(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    router: Router,
    mut stop: watch::Receiver<()>,
) {
    // Small request/response pairs on keep-alive connections: Nagle would only add latency.
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "emulator: could not set TCP_NODELAY");
    }
    let Some(acceptor) = tls else {
        return serve_http(TokioIo::new(stream), Versions::Http1, router, stop).await;
    };
    let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
    let stream = tokio::select! {
        result = handshake => match result {
            Ok(Ok(stream)) => stream,
            // Most often a client that does not trust the CA, which is its to report.
            Ok(Err(error)) => {
                tracing::debug!(%error, "emulator: TLS handshake failed");
                return;
            }
            Err(_) => {
                tracing::debug!("emulator: TLS handshake timed out");
                return;
            }
        },
        // Shutting down: a connection with no request yet has nothing to finish.
        _ = stop.changed() => return,
    };
    let versions = match stream.get_ref().1.alpn_protocol() {
        Some(b"h2") => Versions::Http2,
        Some(_) => Versions::Http1,
        None => Versions::Either,
    };
    serve_http(TokioIo::new(stream), versions, router, stop).await;
}

/// Serves HTTP on an established connection (plain or TLS) until it ends, a fault aborts it,
/// or shutdown has let it finish gracefully.
async fn serve_http<I>(io: I, versions: Versions, router: Router, mut stop: watch::Receiver<()>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let abort = ConnectionAbort(Arc::new(Notify::new()));
    let in_flight = InFlight::default();
    let service = {
        let abort = abort.clone();
        let in_flight = in_flight.clone();
        hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(abort.clone());
            let guard = in_flight.enter();
            let answer = router.clone().call(request);
            async move {
                let response = answer.await;
                drop(guard);
                response
            }
        })
    };
    // HTTP/2 runs each request as its own task, hence the executor. When the connection is
    // dropped (abort or shutdown), h2 fails its open streams and hyper ends those tasks.
    let builder = auto::Builder::new(TokioExecutor::new());
    let builder = match versions {
        Versions::Http1 => builder.http1_only(),
        Versions::Http2 => builder.http2_only(),
        Versions::Either => builder,
    };
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);

    // Serving, until the connection ends, a fault aborts it or shutdown is asked for.
    tokio::select! {
        result = connection.as_mut() => return log_end(result),
        // Returning drops the connection, and with it the socket and the waiting handler:
        // the client sees the connection close with no response. Over HTTP/2 that is every
        // request on the connection, not only the faulted one.
        () = abort.0.notified() => return,
        // The sender is dropped to ask for shutdown, so `changed` then returns an error.
        _ = stop.changed() => {}
    }

    // Shutting down: no new requests (HTTP/1.1 closes after the current answer, HTTP/2 sends
    // GOAWAY), in-flight ones finish. HTTP/2 only closes once the client acknowledges the
    // GOAWAY, which a client whose runtime is blocked on this very shutdown (a test's
    // current-thread runtime calling `Emulator::shutdown`) never does; so once no request is
    // in flight the connection gets a moment to flush its last frames, then is dropped.
    connection.as_mut().graceful_shutdown();
    let idle_then_linger = async {
        in_flight.idle().await;
        tokio::time::sleep(CLOSE_LINGER).await;
    };
    tokio::select! {
        result = connection.as_mut() => log_end(result),
        () = abort.0.notified() => {}
        () = idle_then_linger => {}
    }
}

fn log_end(result: Result<(), Box<dyn std::error::Error + Send + Sync>>) {
    if let Err(error) = result {
        tracing::debug!(%error, "emulator: connection ended with an error");
    }
}

/// How many requests on one connection are being handled, so shutdown knows when a
/// connection has nothing left to answer.
#[derive(Debug, Clone, Default)]
struct InFlight(Arc<InFlightShared>);

#[derive(Debug, Default)]
struct InFlightShared {
    count: AtomicUsize,
    /// Notified whenever the count drops to zero.
    idle: Notify,
}

/// One request being handled; dropping it (answered, or its task ended) counts it out.
struct InFlightGuard(InFlight);

impl InFlight {
    fn enter(&self) -> InFlightGuard {
        self.0.count.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(self.clone())
    }

    /// Returns once no request is in flight.
    async fn idle(&self) {
        loop {
            let notified = self.0.idle.notified();
            tokio::pin!(notified);
            // Registered before the check, so a drop to zero in between still wakes us.
            notified.as_mut().enable();
            if self.0.count.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        if self.0.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.0.idle.notify_waiters();
        }
    }
}
