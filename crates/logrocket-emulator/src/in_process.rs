//! An emulator running in the current process, on its own thread and runtime.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::config::EmulatorConfig;
use crate::server::serve;
use crate::state::EmulatorState;

/// An emulator serving in the background of the current process.
///
/// Runs on its own background thread with its own multi-thread tokio runtime (2 workers), so
/// it can be started from sync or async code alike, and the caller's runtime (if any) never
/// has to drive it. Stops on [`Emulator::shutdown`] or when dropped.
pub struct Emulator {
    url: String,
    addr: SocketAddr,
    state: EmulatorState,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Binds `config.host:config.port` and starts serving. When this returns, the port is
    /// bound and connections are accepted.
    ///
    /// # Errors
    ///
    /// Binding the address, creating the runtime or spawning the thread failed.
    pub fn start(config: EmulatorConfig) -> io::Result<Emulator> {
        // Bound here, on the caller's thread, so a bind error comes back from `start` itself.
        let listener = std::net::TcpListener::bind((config.host, config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let state = EmulatorState::new(&config);
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
                if let Err(error) = runtime.block_on(serve(listener, served_state, shutdown)) {
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
        Ok(Emulator {
            url: format!("http://{addr}"),
            addr,
            state,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The base URL to give clients, e.g. `http://127.0.0.1:38211` (no trailing slash).
    pub fn url(&self) -> &str {
        &self.url
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

    /// Stops serving and waits (about a second at most) for the thread to end. Dropping the
    /// emulator does the same. Safe to call from inside a tokio runtime: it only blocks.
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
            .field("running", &self.thread.is_some())
            .finish_non_exhaustive()
    }
}
