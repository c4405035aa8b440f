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
pub mod emulator;
pub mod errors;
