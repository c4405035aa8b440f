//! Everything an emulator remembers: users, the request log and the fault plan, shared by
//! all connections.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};

use crate::body::IdentifyBody;
use crate::config::EmulatorConfig;
use crate::faults::{Fault, FaultPlan, FaultRate};
use crate::rate_limit::RateLimit;
use crate::store::UserStore;

/// A user as the emulator stores it, one per (org, app, user id).
///
/// This is the form users are read in ([`EmulatorState::users`], [`EmulatorState::user`],
/// `GET /_emulator/users`); inside, the emulator keeps them packed, about a tenth of this
/// type's size (issue #11: a million users in well under 300 MB), and converts on the way out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredUser {
    /// The organization from the request path.
    #[serde(rename = "orgID")]
    pub org_id: String,
    /// The app from the request path.
    #[serde(rename = "appID")]
    pub app_id: String,
    /// The user id, percent-decoded from its path segment.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// The latest name sent, if one ever was.
    #[serde(default)]
    pub name: Option<String>,
    /// The latest email sent, if one ever was.
    #[serde(default)]
    pub email: Option<String>,
    /// Traits, every value stored as a string as the API does.
    #[serde(default)]
    pub traits: BTreeMap<String, String>,
    /// Earliest `timestamp` (or arrival time when none was sent), Unix milliseconds.
    #[serde(rename = "firstSeen")]
    pub first_seen: i64,
    /// Latest `timestamp` (or arrival time when none was sent), Unix milliseconds.
    #[serde(rename = "lastSeen")]
    pub last_seen: i64,
}

/// One API request as it arrived, and what it was answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// The HTTP method, e.g. `PUT`.
    pub method: String,
    /// The raw request target exactly as received: still percent-encoded, with the query if any.
    pub path: String,
    /// The HTTP version it came over, as `http::Version` prints it: `"HTTP/1.1"`, or
    /// `"HTTP/2.0"` when an HTTPS client negotiated HTTP/2. Lets a test check that a client
    /// really uses the protocol it is configured for. Empty in a log read back from JSON
    /// written before the field existed.
    #[serde(default)]
    pub protocol: String,
    /// Headers by lowercased name; repeated headers are joined with `", "`.
    pub headers: BTreeMap<String, String>,
    /// The body, decoded as UTF-8 with invalid bytes replaced.
    pub body: String,
    /// The status answered, or `0` when the connection was dropped without an answer.
    pub status: u16,
}

struct Shared {
    api_key: String,
    request_log_limit: usize,
    // Three locks rather than one so recording a request never waits on a merge, and each is
    // held only for a map or queue operation.
    // Packed, not a map of `StoredUser`s: see `store` for the memory per user.
    users: Mutex<UserStore>,
    requests: Mutex<VecDeque<RecordedRequest>>,
    faults: Mutex<FaultPlan>,
    rate_limit: Mutex<Option<RateLimit>>,
    // Totals over every connection and API request since the last reset, unlike the request
    // log, which keeps only the newest.
    connections_accepted: AtomicU64,
    status_counts: Mutex<BTreeMap<u16, u64>>,
}

/// Totals since the emulator started or was last reset, as `GET /_emulator/stats` serves them:
/// `{"connections": N, "statuses": {"200": n, "429": m}}`.
///
/// Unlike the request log ([`EmulatorState::requests`]), which keeps only the newest requests,
/// these count everything, so a benchmark of a million requests can still tell how many were
/// answered 429 and how many TCP connections its client opened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmulatorStats {
    /// TCP connections accepted, plain or TLS (a TLS connection counts even if its handshake
    /// then fails). Control-route connections count too.
    pub connections: u64,
    /// API requests by the status they were answered (`0`: the connection was dropped by a
    /// fault without an answer). Control routes (`/_emulator/...`) are not counted.
    pub statuses: BTreeMap<u16, u64>,
}

/// The emulator's shared state. Cloning is cheap: clones share the same state.
#[derive(Clone)]
pub struct EmulatorState {
    shared: Arc<Shared>,
}

// By hand so the API key stays out of Debug output.
impl fmt::Debug for EmulatorState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorState")
            .field("request_log_limit", &self.shared.request_log_limit)
            .finish_non_exhaustive()
    }
}

// A panic while a lock was held cannot leave these collections half-updated in a way that
// matters for a test server, so a poisoned lock is simply used again.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl EmulatorState {
    /// Empty state using the config's API key and request log limit.
    pub fn new(config: &EmulatorConfig) -> Self {
        Self {
            shared: Arc::new(Shared {
                api_key: config.api_key.clone(),
                request_log_limit: config.request_log_limit,
                users: Mutex::new(UserStore::default()),
                requests: Mutex::new(VecDeque::new()),
                faults: Mutex::new(FaultPlan::default()),
                rate_limit: Mutex::new(config.rate_limit.and_then(RateLimit::new)),
                connections_accepted: AtomicU64::new(0),
                status_counts: Mutex::new(BTreeMap::new()),
            }),
        }
    }

    /// Every stored user, sorted by (org id, app id, user id).
    pub fn users(&self) -> Vec<StoredUser> {
        lock(&self.shared.users).all()
    }

    /// One stored user, by its decoded ids.
    pub fn user(&self, org_id: &str, app_id: &str, user_id: &str) -> Option<StoredUser> {
        lock(&self.shared.users).get(org_id, app_id, user_id)
    }

    /// Every stored user as the JSON array `GET /_emulator/users` serves, in the order of
    /// [`EmulatorState::users`], written one user at a time: a million users cost their
    /// JSON text, not a copy of each as a [`StoredUser`] as well.
    pub(crate) fn users_json(&self) -> Vec<u8> {
        let users = lock(&self.shared.users);
        let mut json = Vec::with_capacity(users.len() * 256 + 2);
        json.push(b'[');
        users.for_each_sorted(|user| {
            if json.len() > 1 {
                json.push(b',');
            }
            // Writing a derived `Serialize` of strings and integers into a `Vec` cannot fail.
            let _ = serde_json::to_writer(&mut json, &user);
        });
        json.push(b']');
        json
    }

    /// The recorded API requests still kept, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).iter().cloned().collect()
    }

    /// How many requests are recorded, without copying them.
    pub fn request_count(&self) -> usize {
        lock(&self.shared.requests).len()
    }

    /// A copy of recorded request `index` (0 is the oldest kept), without copying the others:
    /// reading a log of n requests one at a time stays linear.
    pub fn request(&self, index: usize) -> Option<RecordedRequest> {
        lock(&self.shared.requests).get(index).cloned()
    }

    /// Forgets all users and recorded requests, clears the fault script and rate, and sets
    /// the counts of [`EmulatorState::stats`] back to zero.
    pub fn reset(&self) {
        lock(&self.shared.users).clear();
        lock(&self.shared.requests).clear();
        lock(&self.shared.faults).clear();
        lock(&self.shared.status_counts).clear();
        self.shared.connections_accepted.store(0, Ordering::Relaxed);
    }

    /// TCP connections accepted since the start or the last reset, plain or TLS, whatever
    /// they then sent (control routes included, and TLS handshakes that failed).
    pub fn connections_accepted(&self) -> u64 {
        self.shared.connections_accepted.load(Ordering::Relaxed)
    }

    /// API requests answered since the start or the last reset, by status (`0`: dropped by
    /// a fault without an answer), over every request, not only those the log still keeps.
    pub fn status_counts(&self) -> BTreeMap<u16, u64> {
        lock(&self.shared.status_counts).clone()
    }

    /// Both totals at once: [`EmulatorState::connections_accepted`] and
    /// [`EmulatorState::status_counts`].
    pub fn stats(&self) -> EmulatorStats {
        EmulatorStats {
            connections: self.connections_accepted(),
            statuses: self.status_counts(),
        }
    }

    pub(crate) fn count_connection(&self) {
        self.shared
            .connections_accepted
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Appends faults to the script; each API request consumes the next one.
    pub fn push_faults(&self, script: Vec<Fault>) {
        lock(&self.shared.faults).push(script);
    }

    /// Sets (or with `None` clears) the fault that fires at random once the script is empty.
    pub fn set_fault_rate(&self, rate: Option<FaultRate>) {
        lock(&self.shared.faults).set_rate(rate);
    }

    pub(crate) fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    pub(crate) fn next_fault(&self) -> Option<Fault> {
        lock(&self.shared.faults).next()
    }

    /// Sets the rate limit in API requests per second (`None` or 0: none), starting with a
    /// full second's worth. It stays through `reset`, like the configuration it came from.
    pub fn set_rate_limit(&self, per_second: Option<u32>) {
        *lock(&self.shared.rate_limit) = per_second.and_then(RateLimit::new);
    }

    /// The rate limit in force, in API requests per second.
    pub fn rate_limit(&self) -> Option<u32> {
        lock(&self.shared.rate_limit)
            .as_ref()
            .map(RateLimit::per_second)
    }

    /// Takes a token for one API request; `Err` with the wait until the next when over the
    /// rate limit.
    pub(crate) fn take_rate_token(&self) -> Result<(), std::time::Duration> {
        match lock(&self.shared.rate_limit).as_mut() {
            Some(limit) => limit.take(std::time::Instant::now()),
            None => Ok(()),
        }
    }

    /// The API key this emulator accepts (`Authorization: token <key>`).
    pub fn api_key(&self) -> &str {
        &self.shared.api_key
    }

    /// Counts the request's status, then keeps it in the log (dropping the oldest past the
    /// limit).
    pub(crate) fn record(&self, request: RecordedRequest) {
        *lock(&self.shared.status_counts)
            .entry(request.status)
            .or_insert(0) += 1;
        let limit = self.shared.request_log_limit;
        if limit == 0 {
            return;
        }
        let mut requests = lock(&self.shared.requests);
        while requests.len() >= limit {
            requests.pop_front();
        }
        requests.push_back(request);
    }

    /// Applies one identify request and returns the user as it now is.
    pub(crate) fn merge(
        &self,
        org_id: String,
        app_id: String,
        user_id: String,
        update: IdentifyBody,
        seen_at: i64,
    ) -> StoredUser {
        lock(&self.shared.users).merge(org_id, app_id, user_id, update, seen_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_json_is_the_users_serialized() {
        let state = EmulatorState::new(&EmulatorConfig::default());
        assert_eq!(state.users_json(), b"[]");
        for (org, app, id) in [
            ("o", "b", "2"),
            ("o", "a", "1"),
            ("n", "a", "x"),
            ("o", "a", "0"),
        ] {
            let update = IdentifyBody {
                name: Some(format!("{org}{app}{id}")),
                traits: vec![("plan".to_owned(), Some("pro".to_owned()))],
                ..IdentifyBody::default()
            };
            state.merge(org.into(), app.into(), id.into(), update, 7);
        }
        let users = state.users();
        assert_eq!(users.len(), 4);
        let expected = serde_json::to_vec(&users).unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&state.users_json()),
            String::from_utf8_lossy(&expected)
        );
    }
}
