//! `lr_set_log_callback`: the library's own log (the core's `tracing` events: retries, updates
//! not delivered) handed to a C function, the C way of logging. The core never puts the API key
//! or payload values in an event, so neither reaches the callback.

use std::ffi::{c_char, c_void};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{OnceLock, PoisonError, RwLock};

use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

use crate::error::{c_string, lr_error, run};
use crate::status::lr_status;

/// How much the library logs, from least to most.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum lr_log_level {
    /// Something the library could not recover from on its own (a failure callback panicked).
    LR_LOG_ERROR = 1,
    /// An update was not delivered (it also reaches the failure callback).
    LR_LOG_WARN = 2,
    LR_LOG_INFO = 3,
    /// Each attempt that failed and is retried, and connection trouble.
    LR_LOG_DEBUG = 4,
    LR_LOG_TRACE = 5,
}

impl lr_log_level {
    fn of(level: Level) -> Self {
        match level {
            Level::ERROR => lr_log_level::LR_LOG_ERROR,
            Level::WARN => lr_log_level::LR_LOG_WARN,
            Level::INFO => lr_log_level::LR_LOG_INFO,
            Level::DEBUG => lr_log_level::LR_LOG_DEBUG,
            _ => lr_log_level::LR_LOG_TRACE,
        }
    }
}

/// The level argument as it arrives from C (any integer; see `WhenFullArg` for why). The header
/// names it `lr_log_level`.
#[repr(transparent)]
#[derive(Debug, Clone, Copy)]
pub struct LogLevelArg(u32);

/// Receives one log line: its level, the module it comes from (e.g.
/// `"logrocket_identify::engine::delivery"`) and the message with its fields (e.g.
/// `"an enqueued update was not delivered kind=api status=400 updates=1"`). Both strings are
/// valid only during the call. Called on whichever library or caller thread logs, possibly
/// several at once: it must be thread-safe, must not block for long, and must not call
/// `lr_set_log_callback`.
pub type lr_log_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        level: lr_log_level,
        target: *const c_char,
        message: *const c_char,
    ),
>;

/// Where log lines go, once a callback is set.
#[derive(Clone, Copy)]
struct Sink {
    callback: unsafe extern "C" fn(*mut c_void, lr_log_level, *const c_char, *const c_char),
    user_data: *mut c_void,
}

// SAFETY: `lr_set_log_callback` requires a callback and user data usable from any thread at
// once; the library never reads through `user_data` itself.
unsafe impl Send for Sink {}
// SAFETY: as above.
unsafe impl Sync for Sink {}

/// The callback, read-locked while it runs: once `lr_set_log_callback` has replaced it, the
/// old one is never called again, so its user data may be freed.
static SINK: RwLock<Option<Sink>> = RwLock::new(None);
/// The most verbose level passed on (as `lr_log_level`); 0 while no callback is set, so
/// events are not even formatted then.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);
/// Whether this library's subscriber became the process's, tried once.
static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();

/// Only the library's own events: not the in-process emulator's, nor dependencies'.
const TARGET: &str = "logrocket_identify";

struct ToC;

impl<S: Subscriber> Layer<S> for ToC {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        // Asked again at each event, since the level and the callback may change at any time.
        if metadata.target().starts_with(TARGET) {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        metadata.target().starts_with(TARGET)
            && lr_log_level::of(*metadata.level()) as u8 <= MAX_LEVEL.load(Ordering::Relaxed)
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let sink = SINK.read().unwrap_or_else(PoisonError::into_inner);
        let Some(sink) = *sink else { return };
        let mut line = Line::default();
        event.record(&mut line);
        let message = c_string(&line.text());
        let target = c_string(event.metadata().target());
        let level = lr_log_level::of(*event.metadata().level());
        // SAFETY: the caller of `lr_set_log_callback` gave a thread-safe callback taking these
        // arguments; both strings outlive the call.
        unsafe { (sink.callback)(sink.user_data, level, target.as_ptr(), message.as_ptr()) };
    }
}

/// An event's message and its other fields as ` name=value`.
#[derive(Default)]
struct Line {
    message: String,
    fields: String,
}

impl Line {
    fn text(self) -> String {
        self.message + &self.fields
    }
}

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }
}

/// Sends the library's log lines up to `max_level` to `callback` with `user_data`, for the whole
/// process (every client). A `NULL` callback stops them; once this returns, the previous
/// callback is not called again. A level outside `lr_log_level` gives
/// `LR_ERR_INVALID_ARGUMENT` (field `"max_level"`). The library uses the Rust `tracing` crate: if
/// the process already installed another `tracing` subscriber (a Rust program linking this
/// library), this gives `LR_ERR_CONFIG`. Lines never hold the API key or payload values.
///
/// # Safety
///
/// `callback` is `NULL` or a thread-safe function that may be called from any thread, several
/// at once, with `user_data`, until `lr_set_log_callback` is called again; `error` is `NULL` or
/// valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lr_set_log_callback(
    callback: lr_log_fn,
    user_data: *mut c_void,
    max_level: LogLevelArg,
    error: *mut *mut lr_error,
) -> lr_status {
    // SAFETY: forwarded under the caller's guarantee.
    unsafe {
        run(error, || {
            let level = u8::try_from(max_level.0)
                .ok()
                .filter(|l| (1..=lr_log_level::LR_LOG_TRACE as u8).contains(l))
                .ok_or_else(|| {
                    lr_error::invalid_argument(
                        "max_level",
                        format!("max_level {} is not an lr_log_level value", max_level.0),
                    )
                })?;
            if callback.is_some() {
                INSTALLED
                    .get_or_init(|| {
                        let subscriber = tracing_subscriber::registry().with(ToC);
                        tracing::subscriber::set_global_default(subscriber).map_err(|_| {
                            "another tracing subscriber is already installed in this process: \
                             its own log is where this library logs"
                                .to_owned()
                        })
                    })
                    .clone()
                    .map_err(|message| {
                        lr_error::from(logrocket_identify::Error::Config(message))
                    })?;
            }
            let mut sink = SINK.write().unwrap_or_else(PoisonError::into_inner);
            *sink = callback.map(|callback| Sink {
                callback,
                user_data,
            });
            MAX_LEVEL.store(
                if callback.is_some() { level } else { 0 },
                Ordering::Relaxed,
            );
            Ok(())
        })
    }
}
