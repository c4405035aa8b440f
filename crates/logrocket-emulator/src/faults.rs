//! Injected failures: what a fault is, the queue and rate they come from, and which one (if
//! any) applies to the next API request.

use std::collections::VecDeque;

use axum::http::{HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};

/// One injected failure, applied to a single API request.
///
/// The fault first waits `delay_ms`. Then, if `drop_connection` is set, the connection is
/// closed without any response; else if `status` is set, that status is answered (with
/// `Retry-After: retry_after` if given, and `body` as plain text if given, else the
/// standard JSON message); else the request proceeds normally, only later.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
// Unknown fields are refused so a misspelt field in a test fails loudly instead of being ignored.
#[serde(default, deny_unknown_fields)]
pub struct Fault {
    /// The status to answer instead of processing the request.
    pub status: Option<u16>,
    /// The `Retry-After` header value to send with `status` (seconds or an HTTP date).
    pub retry_after: Option<String>,
    /// A body sent as-is (`text/plain`) with `status`, instead of `{"message": ...}`.
    pub body: Option<String>,
    /// Close the TCP connection without answering.
    pub drop_connection: bool,
    /// Milliseconds to wait before anything else happens.
    pub delay_ms: u64,
}

/// A fault that fires at random on each API request with the given probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRate {
    /// Chance per request, from `0.0` (never) to `1.0` (always).
    pub probability: f64,
    /// What happens when it fires.
    pub fault: Fault,
}

impl Fault {
    /// Rejects what could not be sent on the wire, so the mistake surfaces when the fault is
    /// configured rather than as a broken response later. `/_emulator/faults` applies it; the
    /// bindings call it before `push_faults` so their users get the same answer in-process.
    pub fn check(&self) -> Result<(), String> {
        if let Some(status) = self.status {
            // 1xx are not final responses; anything outside 200..=999 is not a status at all.
            if !(200..=999).contains(&status) {
                return Err(format!("fault status {status} is not between 200 and 999"));
            }
        }
        if let Some(retry_after) = &self.retry_after {
            if HeaderValue::from_str(retry_after).is_err() {
                return Err("fault retry_after is not a valid header value".to_owned());
            }
        }
        Ok(())
    }
}

impl FaultRate {
    /// Like [`Fault::check`], and the probability must be between 0 and 1.
    pub fn check(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.probability) {
            return Err("fault rate probability must be between 0.0 and 1.0".to_owned());
        }
        self.fault.check()
    }
}

/// The text of `{"message": ...}` for a fault answered without a custom body.
pub(crate) fn standard_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        // The one server error the API documents, with its documented text.
        500 => "Error processing user data",
        401 => "Unauthorized",
        _ => status.canonical_reason().unwrap_or("Error"),
    }
}

/// Where faults come from: a script consumed one per request, then a random rate.
#[derive(Debug, Default)]
pub(crate) struct FaultPlan {
    script: VecDeque<Fault>,
    rate: Option<FaultRate>,
}

impl FaultPlan {
    pub(crate) fn push(&mut self, script: Vec<Fault>) {
        self.script.extend(script);
    }

    pub(crate) fn set_rate(&mut self, rate: Option<FaultRate>) {
        self.rate = rate;
    }

    pub(crate) fn clear(&mut self) {
        self.script.clear();
        self.rate = None;
    }

    /// The fault for the next API request, if any. The script goes first so a test can
    /// script exact sequences even while a background rate is set.
    pub(crate) fn next(&mut self) -> Option<Fault> {
        if let Some(fault) = self.script.pop_front() {
            return Some(fault);
        }
        let rate = self.rate.as_ref()?;
        // random() is in [0, 1), so probability 1.0 always fires and 0.0 never does.
        (rand::random::<f64>() < rate.probability).then(|| rate.fault.clone())
    }
}
