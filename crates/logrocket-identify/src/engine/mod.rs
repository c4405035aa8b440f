//! The sending engine: one queue-and-loop design under every way of sending many updates.
//!
//! - [`queue`]: bounded in items and bytes; one user's jobs in order and one at a time;
//!   coalescing; the sequence numbers `flush` waits on.
//! - [`drive`]: the loop that keeps requests in flight on one client.
//! - [`adaptive`]: how many may be in flight, and how fast to send, learned from the answers.
//! - [`bulk`]: `identify_many`/`identify_each` and the feeder bindings push into.
//! - [`delivery`]: background delivery (`enqueue`, `flush`, `close`, counters, the hook).
//! - [`coalesce`]: when two pending updates of one user may become one PUT.
//! - [`options`]: background delivery's settings and defaults.

pub(crate) mod adaptive;
pub(crate) mod bulk;
pub(crate) mod coalesce;
pub(crate) mod delivery;
pub(crate) mod drive;
pub(crate) mod options;
pub(crate) mod queue;
