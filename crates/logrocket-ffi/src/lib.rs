//! The C ABI of `logrocket-identify`, declared in `include/logrocket_identify.h` (generated from
//! this crate by cbindgen in `build.rs`).
//!
//! Rules every export follows, so a C caller can rely on them:
//!
//! - Every symbol starts with `lr_`. Handles (`lr_config`, `lr_client`, `lr_request`, `lr_user`,
//!   `lr_report`, `lr_error`, `lr_emulator`, `lr_recorded_request`) are opaque; each has a
//!   `_free` that accepts `NULL` and does nothing then.
//! - Fallible calls return an [`lr_status`]; `LR_OK` is 0. When they take an `lr_error **error`
//!   and it is not `NULL`, `*error` is set to `NULL` on success and to a new error object (freed
//!   with `lr_error_free`) on failure.
//! - A `NULL` argument or a string that is not UTF-8 gives `LR_ERR_INVALID_ARGUMENT`, never a
//!   crash; a panic inside the library gives `LR_ERR_PANIC` and never unwinds into C.
//! - Strings the library returns are owned by the object they came from and stay valid until it
//!   is freed. Strings the caller passes are only read during the call.
//! - `lr_client` is thread-safe: one client may serve any number of threads at once.
//!
//! Every rule about the API itself (validation, encoding, retries, bulk scheduling, background
//! delivery) lives in the
//! core crate; this one converts arguments and maps errors.
#![allow(non_camel_case_types)]

mod args;
mod bulk;
mod bulk_run;
mod cancel;
mod client;
mod config;
mod delivery;
mod emulator;
mod error;
mod lines;
mod log;
mod request;
mod sigpipe;
mod status;
mod user;
mod version;

pub use bulk::*;
pub use bulk_run::*;
pub use cancel::*;
pub use client::*;
pub use config::*;
pub use delivery::*;
pub use emulator::*;
pub use error::*;
pub use log::*;
pub use request::*;
pub use status::lr_status;
pub use user::*;
pub use version::lr_version;
