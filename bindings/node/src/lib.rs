//! The napi face of the core: conversion, error mapping and runtime glue only. The JS package
//! (`index.js`) builds the public API on these exports: it turns JS values into the plain
//! shapes below, and the error records returned here into `LogRocketError` subclasses.
//!
//! Nothing here throws for a core error: calls resolve to a record that says what went wrong,
//! so the JS side alone decides which class to raise and no error message is parsed.

// Public so the exports count as used in `cargo test`/clippy builds, where napi's macros do not
// register them with a module.
pub mod bulk;
pub mod client;
pub mod convert;
pub mod delivery;
pub mod emulator;
pub mod errors;

/// One I/O thread for every client of this process: the work is waiting on sockets, and with
/// every connection and request on one thread an answer needs no wake-up of another thread,
/// the larger cost on a small machine shared with the server. If the runtime cannot be built
/// here, napi falls back to its default one.
#[napi_derive::module_init]
fn init_runtime() {
    if let Ok(runtime) = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("logrocket-identify")
        .enable_all()
        .build()
    {
        napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
    }
}

/// The handle of napi's runtime (the one above, or napi's fallback), where bulk runs and the
/// clients' background delivery run. `None` only while Node tears the environment down, when
/// napi has shut its runtime and there is nowhere left to run.
pub fn runtime_handle() -> Option<tokio::runtime::Handle> {
    // napi's accessor panics instead of failing when the runtime is gone; that stays here.
    std::panic::catch_unwind(|| {
        napi::bindgen_prelude::within_runtime_if_available(tokio::runtime::Handle::try_current)
    })
    .ok()
    .and_then(Result::ok)
}
