//! Send user data (name, email, traits such as revenue, plan, campaign) to LogRocket's
//! User Identification API, one user or millions.
//!
//! ```no_run
//! use logrocket_identify::{Client, IdentifyRequest};
//!
//! # async fn run() -> Result<(), logrocket_identify::Error> {
//! let client = Client::builder().api_key("key").app("acme/web").build()?;
//! let user = client
//!     .identify(&IdentifyRequest::new("user-42").name("John Smith").trait_value("plan", "pro"))
//!     .await?;
//! assert_eq!(user.traits["plan"], "pro");
//! # Ok(()) }
//! ```
//!
//! In the background, from a request handler that must not wait: `enqueue` validates and
//! returns at once, and the client delivers on its runtime (retrying, coalescing pending updates
//! of one user where the API would store the same); `flush` and `close` wait, never past their
//! deadline; every update that is not delivered reaches the on-failure hook.
//!
//! ```no_run
//! use std::time::Duration;
//! use logrocket_identify::{Client, IdentifyRequest, WhenFull};
//!
//! # async fn run() -> Result<(), logrocket_identify::Error> {
//! let client = Client::builder()
//!     .api_key("key")
//!     .app("acme/web")
//!     .when_full(WhenFull::DropOldest)
//!     .on_failure(|failure| eprintln!("not delivered: {}: {}", failure.user_id, failure.error))
//!     .build()?;
//! client.enqueue(IdentifyRequest::new("user-42").trait_value("plan", "pro"))?;
//! let summary = client.close(Duration::from_secs(5)).await;
//! assert!(summary.completed);
//! # Ok(()) }
//! ```
//!
//! Validation follows the API's documented limits and messages exactly; retries, `Retry-After`
//! and the sending engine are described in the repository's `ARCHITECTURE.md`. Every binding
//! (Python, Node, C, Go) wraps this crate.

mod api_key;
mod blocking;
mod cancel;
mod client;
mod config;
mod engine;
mod error;
mod json_input;
pub mod limits;
mod network;
mod pace;
mod path;
mod prepared;
mod request;
mod retry;
mod trait_value;
mod transport;
mod user;

pub use api_key::ApiKey;
pub use blocking::BlockingClient;
pub use cancel::Cancel;
pub use client::Client;
pub use config::{
    ClientBuilder, ClientConfig, DEFAULT_BASE_URL, DEFAULT_CONCURRENCY, DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT, ENV_API_KEY, ENV_APP_ID, ENV_BASE_URL, MAX_API_KEY_BYTES,
};
pub use engine::bulk::{BulkFailure, BulkFeeder, BulkOutcome, BulkReport, BulkSummary};
pub use engine::delivery::{Counters, FlushSummary};
pub use engine::options::{
    DEFAULT_CLOSE_TIMEOUT, DEFAULT_ENQUEUE_BLOCK, DEFAULT_QUEUE_CAPACITY, DEFAULT_QUEUE_MAX_BYTES,
    DeliveryConfig, DeliveryFailure, FailureHook, WhenFull,
};
pub use error::{Error, ErrorKind, Result, TransportReason, ValidationError};
pub use network::{CaCert, DEFAULT_CONNECT_TIMEOUT, NetworkConfig, ProxyUrl};
pub use path::{encode_segment, user_path};
pub use prepared::{BulkInput, FailedInput, PreparedRequest};
pub use request::IdentifyRequest;
pub use retry::is_retryable_status;
pub use trait_value::TraitValue;
pub use user::User;
#[doc(hidden)]
pub use user::error_message;
