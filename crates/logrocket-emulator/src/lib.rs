//! A faithful local emulator of LogRocket's User Identification API.
//!
//! It is a real HTTP server, not a mock object: the API's route
//! (`PUT /v1/orgs/{org_id}/apps/{app_id}/users/{user_id}`), token auth, validation with the
//! API's exact messages, merge semantics and first/last seen. Test-only routes under
//! `/_emulator/` read and reset its state and inject faults (status codes with `Retry-After`,
//! dropped connections, delays), either as a script or at a rate. It can also enforce a rate
//! limit of its own (429 with `Retry-After` past N requests per second).
//!
//! Start one in-process with [`Emulator::start`], or serve it on a listener you own with
//! [`serve`] (that is what `logrocket emulator` does).

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
mod validate;

pub use config::EmulatorConfig;
pub use faults::{Fault, FaultRate};
pub use in_process::Emulator;
pub use server::serve;
pub use state::{EmulatorState, RecordedRequest, StoredUser};
