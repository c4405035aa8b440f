//! Background delivery: `lr_client_enqueue` hands an update to the client's queue and returns
//! without waiting for the network; `lr_client_flush` and `lr_client_close` wait for the queue
//! with a deadline; `lr_client_counters` reads how it went. The settings (`lr_config_set_queue_*`,
//! `lr_config_set_when_full`, `lr_config_set_on_failure`) live here too. Every rule (capacity,
//! policy, coalescing, retries) is the core's; this module converts arguments.

use std::ffi::{c_char, c_void};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use logrocket_identify::{
    Counters, DEFAULT_CLOSE_TIMEOUT, DEFAULT_ENQUEUE_BLOCK, DeliveryFailure, FlushSummary, WhenFull,
};

use crate::args;
use crate::client::lr_client;
use crate::config::{lr_config, update};
use crate::error::{c_string, lr_error, run};
use crate::request::lr_request;
use crate::status::lr_status;

/// What `lr_client_enqueue` does when the queue is full (by items or by bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum lr_when_full {
    /// Wait up to the block timeout for room, then fail with `LR_ERR_QUEUE_FULL` (the default).
    LR_WHEN_FULL_BLOCK = 0,
    /// Fail at once with `LR_ERR_QUEUE_FULL`.
    LR_WHEN_FULL_ERROR = 1,
    /// Queue the new update and drop the oldest pending one, which reaches the failure callback
    /// with `LR_ERR_QUEUE_FULL` and is counted as dropped.
    LR_WHEN_FULL_DROP_OLDEST = 2,
}

/// The policy argument as it arrives from C: any integer, since C does not keep an enum to its
/// values, and a Rust enum holding another value would be undefined behaviour. The header names
/// it `lr_when_full` (cbindgen.toml renames it), so C callers see the enum.
#[repr(transparent)]
#[derive(Debug, Clone, Copy)]
pub struct WhenFullArg(u32);

impl WhenFullArg {
    fn policy(self, block_timeout_ms: u64) -> Result<WhenFull, lr_error> {
        let block = match block_timeout_ms {
            0 => DEFAULT_ENQUEUE_BLOCK,
            ms => Duration::from_millis(ms),
        };
        match self.0 {
            v if v == lr_when_full::LR_WHEN_FULL_BLOCK as u32 => Ok(WhenFull::Block(block)),
            v if v == lr_when_full::LR_WHEN_FULL_ERROR as u32 => Ok(WhenFull::Error),
            v if v == lr_when_full::LR_WHEN_FULL_DROP_OLDEST as u32 => Ok(WhenFull::DropOldest),
            v => Err(lr_error::invalid_argument(
                "policy",
                format!("policy {v} is not an lr_when_full value"),
            )),
        }
    }
}

/// Called once for each pending request that will not be delivered: it failed for good (after
/// its retries, or with a status that is never retried), it was dropped to make room
/// (`LR_WHEN_FULL_DROP_OLDEST`), or it was still pending when `lr_client_close`'s deadline
/// passed. `user_id` and `error` are owned by the library and valid only during the call;
/// `updates` is how many enqueued updates the lost request stood for (more than 1 when updates
/// of that user were coalesced).
///
/// It is called on a library thread for failed updates, on the thread calling
/// `lr_client_enqueue` for one dropped to make room, and on the thread calling
/// `lr_client_close` (or `lr_client_free`) for abandoned ones: it may run on several threads at
/// once and must be thread-safe. Keep it short (delivery waits for it), and never call
/// `lr_client_enqueue`, `lr_client_flush`, `lr_client_close` or `lr_client_free` from it. It must
/// not unwind (C++ exception, `longjmp`) out of the call.
pub type lr_failure_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        user_id: *const c_char,
        error: *const lr_error,
        updates: u64,
    ),
>;

/// A C failure callback and the pointer it is given back.
#[derive(Clone, Copy)]
pub(crate) struct FailureHook {
    callback: unsafe extern "C" fn(*mut c_void, *const c_char, *const lr_error, u64),
    user_data: *mut c_void,
}

// SAFETY: `lr_config_set_on_failure` requires the callback and its user data to be usable from
// any thread, at once; the library never reads through `user_data` itself.
unsafe impl Send for FailureHook {}
// SAFETY: as above.
unsafe impl Sync for FailureHook {}

impl fmt::Debug for FailureHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FailureHook")
            .field("user_data", &self.user_data)
            .finish_non_exhaustive()
    }
}

impl FailureHook {
    /// Hands one failure to C. A panic here (there should be none) is kept from the runtime's
    /// thread: the failure is then only counted.
    pub(crate) fn call(self, failure: &DeliveryFailure) {
        let _ = catch_unwind(AssertUnwindSafe(|| {
            let user_id = c_string(&failure.user_id);
            let error = lr_error::from(failure.error.clone());
            // SAFETY: the caller of `lr_config_set_on_failure` gave a callback that takes these
            // arguments from any thread; both pointers outlive the call, as documented.
            unsafe {
                (self.callback)(self.user_data, user_id.as_ptr(), &error, failure.updates);
            }
        }));
    }
}

/// Sets how many updates the queue holds at most (the core's default applies when unset). 0 is
/// refused by `lr_client_new` (`LR_ERR_CONFIG`). When the queue is full, the `lr_when_full`
/// policy decides.
///
/// # Safety
///
/// `config` is a live configuration used by no other thread during the call; `error` is `NULL`
/// or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_config_set_queue_capacity(
    config: *mut lr_config,
    items: usize,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe { update(config, error, |b| Ok(b.queue_capacity(items))) }
}

/// Sets how many bytes of encoded updates the queue holds at most (the core's default applies
/// when unset). 0 is refused by `lr_client_new` (`LR_ERR_CONFIG`).
///
/// # Safety
///
/// As `lr_config_set_queue_capacity`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_config_set_queue_max_bytes(
    config: *mut lr_config,
    bytes: usize,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe { update(config, error, |b| Ok(b.queue_max_bytes(bytes))) }
}

/// Sets what `lr_client_enqueue` does when the queue is full. `block_timeout_ms` is read only
/// with `LR_WHEN_FULL_BLOCK`: how long the enqueuing thread may wait for room before
/// `LR_ERR_QUEUE_FULL` (0: the library's default, a brief wait). A value outside `lr_when_full`
/// gives `LR_ERR_INVALID_ARGUMENT` (field `"policy"`) and changes nothing.
///
/// # Safety
///
/// As `lr_config_set_queue_capacity`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_config_set_when_full(
    config: *mut lr_config,
    policy: WhenFullArg,
    block_timeout_ms: u64,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        update(config, error, |b| {
            Ok(b.when_full(policy.policy(block_timeout_ms)?))
        })
    }
}

/// Sets the function called for every update that failed for good or was dropped (see
/// `lr_failure_fn`), and the `user_data` it is given back. A `NULL` callback clears it; then
/// such updates are only counted (`lr_client_counters`). Clients built earlier keep theirs.
///
/// # Safety
///
/// As `lr_config_set_queue_capacity`; `callback` is `NULL` or a thread-safe function that may
/// be called from any thread, several at once, with `user_data`, for as long as a client built
/// from this configuration lives (until `lr_client_free` has returned).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_config_set_on_failure(
    config: *mut lr_config,
    callback: lr_failure_fn,
    user_data: *mut c_void,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            let config = args::handle_mut(config, "config")?;
            config.on_failure = callback.map(|callback| FailureHook {
                callback,
                user_data,
            });
            Ok(())
        })
    }
}

/// What `lr_client_flush` or `lr_client_close` found when it returned. The counts are those of
/// `lr_counters` at that moment (totals since the client was created).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct lr_flush_summary {
    /// Every update enqueued before the call was delivered or failed within the timeout.
    pub completed: bool,
    /// Requests the API accepted.
    pub delivered: u64,
    /// Requests that failed for good.
    pub failed: u64,
    /// Requests dropped to make room or abandoned at close.
    pub dropped: u64,
    /// Requests still queued or in flight when the call returned.
    pub pending: u64,
}

impl From<FlushSummary> for lr_flush_summary {
    fn from(s: FlushSummary) -> Self {
        lr_flush_summary {
            completed: s.completed,
            delivered: s.delivered,
            failed: s.failed,
            dropped: s.dropped,
            pending: s.pending,
        }
    }
}

/// The client's delivery counters, totals since it was created. Pending updates of one user
/// may be coalesced into one request, so the counts after `enqueued` and `coalesced` are of
/// requests, each standing for one update plus those coalesced into it; they add up:
/// `enqueued == coalesced + delivered + failed + dropped + pending` (`pending` includes
/// `in_flight`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct lr_counters {
    /// Updates accepted by `lr_client_enqueue`.
    pub enqueued: u64,
    /// Requests the API accepted.
    pub delivered: u64,
    /// Requests that failed for good: after their retries, or with a status never retried.
    /// Each reached the failure callback.
    pub failed: u64,
    /// Retries made by this client, for background delivery and bulk calls alike.
    pub retried: u64,
    /// Requests dropped by `LR_WHEN_FULL_DROP_OLDEST` or abandoned when `lr_client_close`'s
    /// deadline passed. Each reached the failure callback.
    pub dropped: u64,
    /// Updates folded into an earlier pending update of the same user, and sent with it.
    pub coalesced: u64,
    /// Requests queued or in flight.
    pub pending: u64,
    /// Of those, in flight.
    pub in_flight: u64,
}

impl From<Counters> for lr_counters {
    fn from(c: Counters) -> Self {
        lr_counters {
            enqueued: c.enqueued,
            delivered: c.delivered,
            failed: c.failed,
            retried: c.retried,
            dropped: c.dropped,
            coalesced: c.coalesced,
            pending: c.pending,
            in_flight: c.in_flight,
        }
    }
}

/// Validates `request` and queues it for background delivery, returning without waiting for the
/// network. A request that breaks the API's rules gives `LR_ERR_VALIDATION` at once, as
/// `lr_client_identify` would, and is not queued. When the queue is full the configured
/// `lr_when_full` policy applies (with `LR_WHEN_FULL_BLOCK` this thread may wait up to its
/// timeout): `LR_ERR_QUEUE_FULL` means the update was not queued. After `lr_client_close`:
/// `LR_ERR_CLOSED`. An update that later fails for good reaches the failure callback. The
/// request is only read: it may be reused or freed at once.
///
/// # Safety
///
/// `client` is a live client; `request` is a live request not modified during the call;
/// `error` is `NULL` or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_client_enqueue(
    client: *const lr_client,
    request: *const lr_request,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            let client = args::handle(client, "client")?;
            let request = args::handle(request, "request")?;
            client.inner.enqueue(request.inner.clone())?;
            Ok(())
        })
    }
}

/// Writes `summary` to `out` when the caller asked for it.
///
/// # Safety
///
/// `out` is `NULL` or valid for writing one `lr_flush_summary`.
unsafe fn give_summary(out: *mut lr_flush_summary, summary: FlushSummary) {
    if !out.is_null() {
        // SAFETY: non-NULL and writable per the caller.
        unsafe { out.write(summary.into()) };
    }
}

/// Waits until every update enqueued before this call has been delivered or has failed, but
/// never longer than `timeout_ms` (0: do not wait, only report). Returns `LR_OK` either way:
/// `summary->completed` says whether everything finished in time, and `summary->pending` what
/// is left. `summary` may be `NULL`. Call it from your own threads, never from the failure
/// callback.
///
/// # Safety
///
/// `client` is a live client; `summary` is `NULL` or valid for writing one `lr_flush_summary`;
/// `error` is `NULL` or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_client_flush(
    client: *const lr_client,
    timeout_ms: u64,
    summary: *mut lr_flush_summary,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            let client = args::handle(client, "client")?;
            let flushed = client.inner.flush(Duration::from_millis(timeout_ms));
            give_summary(summary, flushed);
            Ok(())
        })
    }
}

/// Stops accepting updates (`lr_client_enqueue` then gives `LR_ERR_CLOSED`), waits up to
/// `timeout_ms` for everything pending to be delivered or fail, then abandons what is left:
/// each abandoned update reaches the failure callback with `LR_ERR_CLOSED` and is counted as
/// dropped. `summary` (may be `NULL`) says how it went. Closing again only reports. The client
/// still answers `lr_client_identify` and the bulk calls; free it with `lr_client_free`.
///
/// # Safety
///
/// As `lr_client_flush`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_client_close(
    client: *const lr_client,
    timeout_ms: u64,
    summary: *mut lr_flush_summary,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            let client = args::handle(client, "client")?;
            let closed = client.inner.close(Duration::from_millis(timeout_ms));
            give_summary(summary, closed);
            Ok(())
        })
    }
}

/// The deadline `lr_client_free` gives `lr_client_close`, in milliseconds (the core's
/// `DEFAULT_CLOSE_TIMEOUT`): for a binding or program that wants the same bound on its own
/// flush or close without repeating the number.
///
/// # Safety
///
/// Always safe to call.
#[unsafe(no_mangle)]
pub extern "C" fn lr_default_close_timeout_ms() -> u64 {
    u64::try_from(DEFAULT_CLOSE_TIMEOUT.as_millis()).unwrap_or(u64::MAX)
}

/// Reads the client's delivery counters into `*counters`.
///
/// # Safety
///
/// `client` is a live client; `counters` is valid for writing one `lr_counters`; `error` is
/// `NULL` or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_client_counters(
    client: *const lr_client,
    counters: *mut lr_counters,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantees.
    unsafe {
        run(error, || {
            let client = args::handle(client, "client")?;
            if counters.is_null() {
                return Err(lr_error::invalid_argument("counters", "counters is NULL"));
            }
            counters.write(client.inner.counters().into());
            Ok(())
        })
    }
}
