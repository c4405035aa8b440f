//! The accept loop: each connection is served by hyper directly (not `axum::serve`) so that a
//! fault can make its connection close without any response.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tower_service::Service;

use crate::state::EmulatorState;
use crate::{routes_api, routes_control};

/// How long in-flight requests may take to finish once shutdown is asked for. Idle keep-alive
/// connections close at once; only a request stuck in a long delay fault waits this long.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Put into every request's extensions: lets a handler close its own connection unanswered.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionAbort(Arc<Notify>);

impl ConnectionAbort {
    pub(crate) fn trigger(&self) {
        // notify_one keeps a permit if the connection task is not waiting yet, so no race.
        self.0.notify_one();
    }
}

fn router(state: EmulatorState) -> Router {
    routes_control::routes()
        .fallback(routes_api::handle)
        .with_state(state)
}

/// Serves the emulator on `listener` until `shutdown` completes.
///
/// Then it stops accepting, lets in-flight requests finish for a short grace period (about a
/// second), closes every connection and returns. `logrocket emulator` runs this in its own
/// runtime until Ctrl-C; tests usually prefer [`crate::Emulator::start`].
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
    let router = router(state);
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
                    connections.spawn(serve_connection(stream, router.clone(), stop_receiver.clone()));
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

async fn serve_connection(stream: TcpStream, router: Router, mut stop: watch::Receiver<()>) {
    // Small request/response pairs on keep-alive connections: Nagle would only add latency.
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "emulator: could not set TCP_NODELAY");
    }
    let abort = ConnectionAbort(Arc::new(Notify::new()));
    let service = {
        let abort = abort.clone();
        hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(abort.clone());
            let mut router = router.clone();
            router.call(request)
        })
    };
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut stopping = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "emulator: connection ended with an error");
                }
                return;
            }
            // Returning drops the connection, and with it the socket and the waiting handler:
            // the client sees the connection close with no response.
            () = abort.0.notified() => return,
            // The sender is dropped to ask for shutdown, so `changed` then returns an error.
            _ = stop.changed(), if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}
