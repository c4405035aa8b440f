//! An emulator running in the current process, on its own thread and runtime.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::config::EmulatorConfig;
use crate::server::{serve, serve_tls};
use crate::state::EmulatorState;
use crate::tls::{CaCertFile, TlsCertificates};

/// An emulator serving in the background of the current process.
///
/// Runs on its own background thread with its own multi-thread tokio runtime (2 workers), so
/// it can be started from sync or async code alike, and the caller's runtime (if any) never
/// has to drive it. Stops on [`Emulator::shutdown`] or when dropped.
///
/// With [`EmulatorConfig::tls`] it serves HTTPS (HTTP/2 or HTTP/1.1 by ALPN) with a throwaway
/// CA: give clients [`Emulator::ca_cert_pem`] or [`Emulator::ca_cert_path`] to trust.
pub struct Emulator {
    url: String,
    addr: SocketAddr,
    state: EmulatorState,
    ca_cert_pem: Option<String>,
    // Fields drop after `Drop::drop` has stopped the thread, so a file the emulator chose is
    // removed only once nothing serves with it any more.
    ca_cert_file: Option<CaCertFile>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Binds `config.host:config.port` and starts serving. When this returns, the port is
    /// bound and connections are accepted.
    ///
    /// With `config.tls`, it first makes a new CA and server certificate and writes the CA
    /// certificate to `config.ca_cert_path` (or a temporary file), so a client can trust it
    /// as soon as this returns.
    ///
    /// # Errors
    ///
    /// Binding the address, making the certificates, writing the CA certificate file,
    /// creating the runtime or spawning the thread failed.
    pub fn start(config: EmulatorConfig) -> io::Result<Emulator> {
        // Bound here, on the caller's thread, so a bind error comes back from `start` itself.
        let listener = std::net::TcpListener::bind((config.host, config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let state = EmulatorState::new(&config);
        let (certificates, ca_cert_file) = if config.tls {
            let certificates = TlsCertificates::generate_for(Some(config.host))?;
            // Written before the thread starts: if it fails, nothing is left to stop.
            let file = certificates.write_ca_cert(config.ca_cert_path.clone(), addr.port())?;
            (Some(certificates), Some(file))
        } else {
            (None, None)
        };
        let ca_cert_pem = certificates
            .as_ref()
            .map(|certificates| certificates.ca_cert_pem().to_owned());
        let (stop, stopped) = oneshot::channel::<()>();
        let (ready_sender, ready) = mpsc::channel::<io::Result<()>>();
        let served_state = state.clone();
        // The runtime is created and dropped on the emulator's thread only: dropping a runtime
        // from inside another runtime's async context panics, and callers may be async.
        let thread = std::thread::Builder::new()
            .name("logrocket-emulator".to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("logrocket-emulator-worker")
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = ready_sender.send(Err(error));
                        return;
                    }
                };
                let listener = {
                    let _entered = runtime.enter();
                    tokio::net::TcpListener::from_std(listener)
                };
                let listener = match listener {
                    Ok(listener) => listener,
                    Err(error) => {
                        let _ = ready_sender.send(Err(error));
                        return;
                    }
                };
                let _ = ready_sender.send(Ok(()));
                let shutdown = async {
                    // A dropped sender means the same as a sent one: stop.
                    let _ = stopped.await;
                };
                let served = match certificates {
                    Some(certificates) => {
                        runtime.block_on(serve_tls(listener, served_state, certificates, shutdown))
                    }
                    None => runtime.block_on(serve(listener, served_state, shutdown)),
                };
                if let Err(error) = served {
                    tracing::error!(%error, "emulator stopped with an error");
                }
            })?;
        let started = ready
            .recv()
            .unwrap_or_else(|_| Err(io::Error::other("emulator thread exited before starting")));
        if let Err(error) = started {
            let _ = thread.join();
            return Err(error);
        }
        let scheme = if ca_cert_pem.is_some() {
            "https"
        } else {
            "http"
        };
        Ok(Emulator {
            url: format!("{scheme}://{addr}"),
            addr,
            state,
            ca_cert_pem,
            ca_cert_file,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The base URL to give clients, e.g. `http://127.0.0.1:38211` (no trailing slash), or
    /// `https://127.0.0.1:38211` in TLS mode. The certificate also verifies with `localhost`
    /// in place of `127.0.0.1`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// In TLS mode, the throwaway CA's certificate as PEM: add it to a client's trust store
    /// (for reqwest, `Certificate::from_pem`) and the emulator verifies like a real server,
    /// with no need to turn verification off. `None` over plain HTTP.
    pub fn ca_cert_pem(&self) -> Option<&str> {
        self.ca_cert_pem.as_deref()
    }

    /// In TLS mode, the file holding [`Emulator::ca_cert_pem`], for clients in other
    /// processes or languages (`curl --cacert`, `SSL_CERT_FILE`, `NODE_EXTRA_CA_CERTS`,
    /// `REQUESTS_CA_BUNDLE`). It is [`EmulatorConfig::ca_cert_path`] when one was given, else a
    /// temporary file removed on shutdown. `None` over plain HTTP.
    pub fn ca_cert_path(&self) -> Option<&Path> {
        self.ca_cert_file.as_ref().map(CaCertFile::path)
    }

    /// The address it listens on, with the port actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API key clients must send.
    pub fn api_key(&self) -> &str {
        self.state.api_key()
    }

    /// Its state: users, recorded requests, faults.
    pub fn state(&self) -> &EmulatorState {
        &self.state
    }

    /// Stops serving and waits (about a second at most) for the thread to end, then removes
    /// the CA certificate file if the emulator chose its path. Dropping the emulator does the
    /// same. Safe to call from inside a tokio runtime: it only blocks.
    pub fn shutdown(self) {
        drop(self);
    }

    fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // The thread owns its own runtime, so this wait never depends on the caller's.
            if thread.join().is_err() {
                tracing::error!("emulator thread panicked");
            }
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("url", &self.url)
            .field("ca_cert_path", &self.ca_cert_path())
            .field("running", &self.thread.is_some())
            .finish_non_exhaustive()
    }
}
