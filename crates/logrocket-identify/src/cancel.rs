//! Stopping a blocking call from another thread: how the C and Go bindings end a call whose
//! caller has given up (a Go context that ended), instead of letting it run to its timeout.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

/// A one-way switch shared by the caller and a blocking call. Once fired it stays fired. Cheap
/// to clone; clones are the same switch.
#[derive(Clone, Default)]
pub struct Cancel {
    state: Arc<State>,
}

#[derive(Default)]
struct State {
    fired: AtomicBool,
    notify: Notify,
}

impl fmt::Debug for Cancel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cancel")
            .field("fired", &self.is_fired())
            .finish()
    }
}

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Ends every call watching this switch, now or later. Safe from any thread.
    pub fn fire(&self) {
        self.state.fired.store(true, Ordering::SeqCst);
        self.state.notify.notify_waiters();
    }

    pub fn is_fired(&self) -> bool {
        self.state.fired.load(Ordering::SeqCst)
    }

    /// Resolves once the switch is fired (at once if it already was): race a call against it
    /// to end the call when the switch fires.
    pub async fn fired(&self) {
        loop {
            let notified = self.state.notify.notified();
            tokio::pin!(notified);
            // Registered before the check, so a fire between the two is not missed.
            notified.as_mut().enable();
            if self.is_fired() {
                return;
            }
            notified.await;
        }
    }
}
