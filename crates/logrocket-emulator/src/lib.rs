//! A faithful local emulator of LogRocket's User Identification API.
//!
//! It is a real HTTP server, not a mock object: the API's route
//! (`PUT /v1/orgs/{org_id}/apps/{app_id}/users/{user_id}`), token auth, validation with the
//! API's exact messages, merge semantics and first/last seen. Test-only routes under
//! `/_emulator/` read and reset its state and inject faults (status codes with `Retry-After`,
//! dropped connections, delays), either as a script or at a rate. It can also enforce a rate
//! limit of its own (429 with `Retry-After` past N requests per second). `GET /_emulator/stats`
//! ([`EmulatorState::stats`]) counts the TCP connections accepted and the API requests answered
//! by status over the whole run, for benchmarks that outgrow the request log.
//!
//! Start one in-process with [`Emulator::start`], or serve it on a listener you own with
//! [`serve`] or [`serve_tls`] (that is what `logrocket emulator` does).
//!
//! # HTTPS mode
//!
//! The real API is only reached over HTTPS, where a client verifies the certificate and
//! usually negotiates HTTP/2, so plain HTTP leaves those code paths untested. With
//! [`EmulatorConfig::tls`] the emulator makes a throwaway CA on each start (a new key every
//! time, never written to disk) and a server certificate it signs for `localhost`,
//! `127.0.0.1` and `::1`, and serves TLS offering `h2` and `http/1.1` by ALPN.
//! [`Emulator::url`] is then `https://...`; trust [`Emulator::ca_cert_pem`] in-process, or the
//! file at [`Emulator::ca_cert_path`] from another process (`curl --cacert <path> <url>/...`).
//! Each [`RecordedRequest::protocol`] says which HTTP version the request came over. Faults
//! work as over plain HTTP, except that dropping a connection over HTTP/2 fails every request
//! in flight on it. Plain mode (the default) serves HTTP/1.1 only, as before.

mod body;
mod config;
mod faults;
mod in_process;
mod rate_limit;
mod responses;
mod routes_api;
mod routes_control;
mod server;
mod state;
mod store;
mod tls;
mod validate;

pub use config::EmulatorConfig;
pub use faults::{Fault, FaultRate};
pub use in_process::Emulator;
#[doc(hidden)]
pub use server::router;
pub use server::{serve, serve_tls};
pub use state::{EmulatorState, EmulatorStats, RecordedRequest, StoredUser};
pub use tls::{CaCertFile, TlsCertificates};
