//! Shared by the integration tests: an emulator and a client pointed at it.
#![allow(dead_code)]

pub mod proxy;

use std::time::Duration;

use logrocket_emulator::{Emulator, EmulatorConfig, Fault};
use logrocket_identify::{Client, ClientBuilder};

pub fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default()).expect("emulator starts")
}

/// A builder for `emulator`, with short backoffs so retry tests stay quick.
pub fn builder(emulator: &Emulator) -> ClientBuilder {
    Client::builder()
        .api_key(emulator.api_key())
        .app("acme/web")
        .base_url(emulator.url())
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(Duration::from_millis(50))
}

pub fn status(status: u16) -> Fault {
    Fault {
        status: Some(status),
        ..Fault::default()
    }
}

/// How many API requests the emulator has seen.
pub fn attempts(emulator: &Emulator) -> usize {
    emulator.state().requests().len()
}
