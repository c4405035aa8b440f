//! The async client: one attempt at a time over a shared connection pool, with retries.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::StatusCode;
use http::header::RETRY_AFTER;

use crate::config::{ClientBuilder, ClientConfig, check_base_url};
use crate::engine::adaptive::{Adaptive, Signal};
use crate::engine::delivery::Delivery;
use crate::error::{Error, Result};
use crate::pace::Pacer;
use crate::path::{push_segment, users_path};
use crate::request::IdentifyRequest;
use crate::retry::{SharedPause, backoff, is_retryable_status, parse_retry_after};
use crate::transport::{Reply, Transport};
use crate::user::{User, error_message};

/// Sends identify requests. Cheap to clone: clones share one connection pool and one
/// `Retry-After` pause. Safe to use from many tasks at once.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    /// Shared by the caller's clones only, not by the background sending loop's: when the last
    /// of them goes, the loop is told to finish what is pending and end, rather than keep the
    /// client alive for good.
    _owner: Option<Arc<Owner>>,
}

struct Owner {
    inner: std::sync::Weak<Inner>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        if let Some(delivery) = self
            .inner
            .upgrade()
            .and_then(|inner| inner.delivery.get().cloned())
        {
            delivery.finish_input();
        }
    }
}

struct Inner {
    config: ClientConfig,
    transport: Transport,
    /// The base URL with the path `/v1/orgs/<org>/apps/<app>/users/`, parsed once: each
    /// request only sets its own path (parsing the whole URL again, host and all, was a few
    /// percent of a bulk run's CPU).
    users_url: reqwest::Url,
    /// That URL's path, to which each request appends its user id.
    users_path: String,
    pause: SharedPause,
    /// The configured rate limit, shared by every request.
    pacer: Option<Pacer>,
    /// How many requests to keep in flight and how fast to send, learned from the answers.
    adaptive: Adaptive,
    /// Background delivery, started by the first `enqueue`.
    delivery: OnceLock<Delivery>,
    /// Set by `close`, even when nothing was ever enqueued.
    closed: AtomicBool,
    /// Retries made by any request of this client.
    retried: AtomicU64,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The config's own Debug redacts the key.
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Checks the configuration and builds an async client.
    pub fn build(self) -> Result<Client> {
        Client::new(self.into_config()?)
    }
}

/// What one attempt came to.
enum Attempt {
    Done(Result<User>),
    Retry {
        error: Error,
        retry_after: Option<Duration>,
    },
}

impl Attempt {
    /// What this attempt says about the server's load; `fresh_connection`: it was answered
    /// on a connection opened for it.
    fn signal(&self, fresh_connection: bool) -> Signal {
        let answered = Signal::Answered { fresh_connection };
        let error = match self {
            Attempt::Done(Ok(_)) => return answered,
            Attempt::Done(Err(error)) | Attempt::Retry { error, .. } => error,
        };
        match error {
            Error::Api { status: 429, .. } => Signal::Overloaded {
                pause: match self {
                    Attempt::Retry { retry_after, .. } => *retry_after,
                    Attempt::Done(_) => None,
                },
                fresh_connection,
            },
            Error::Api { .. } => answered,
            Error::Timeout { .. } => Signal::TimedOut,
            _ => Signal::Nothing,
        }
    }
}

impl Client {
    /// A builder with nothing set; see also [`Client::from_env`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured entirely from `LOGROCKET_API_KEY`, `LOGROCKET_APP_ID` and
    /// `LOGROCKET_BASE_URL`.
    pub fn from_env() -> Result<Client> {
        ClientBuilder::from_env().build()
    }

    /// A client for a checked configuration.
    pub fn new(config: ClientConfig) -> Result<Client> {
        // The builder checked the base URL, but a configuration's fields are public: check it
        // here too, so plain http to a remote host is refused however the client is made.
        let base_url = check_base_url(&config.base_url, config.allow_insecure_http)?;
        let transport = Transport::new(&config)?;
        let users_url = reqwest::Url::parse(&format!(
            "{base_url}{}",
            users_path(&config.org_id, &config.app_id)
        ))
        .map_err(|e| Error::config(format!("base URL {base_url:?}: {e}")))?;
        let users_path = users_url.path().to_owned();
        let inner = Arc::new(Inner {
            pacer: config.rate_limit.map(|rate| Pacer::new(Some(rate))),
            adaptive: Adaptive::new(config.adaptive_concurrency, config.concurrency),
            config,
            transport,
            users_url,
            users_path,
            pause: SharedPause::default(),
            delivery: OnceLock::new(),
            closed: AtomicBool::new(false),
            retried: AtomicU64::new(0),
        });
        let owner = Arc::new(Owner {
            inner: Arc::downgrade(&inner),
        });
        Ok(Client {
            inner,
            _owner: Some(owner),
        })
    }

    /// A clone for the background sending loop: it does not keep the client's owners counted.
    pub(crate) fn for_sending_loop(&self) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            _owner: None,
        }
    }

    /// The configuration this client was built with (its key redacted in `Debug`).
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// Validates and sends one request, retrying as configured, and returns the stored user.
    pub async fn identify(&self, request: &IdentifyRequest) -> Result<User> {
        let body = Bytes::from(request.encode_body()?);
        self.send_body(&request.user_id, body).await
    }

    /// Sends an encoded body for `user_id`, retrying as configured.
    pub(crate) async fn send_body(&self, user_id: &str, body: Bytes) -> Result<User> {
        let config = &self.inner.config;
        let mut path = String::with_capacity(self.inner.users_path.len() + 3 * user_id.len());
        path.push_str(&self.inner.users_path);
        // Every byte pushed is an unreserved character or a percent escape, which a URL path
        // keeps as it is.
        push_segment(&mut path, user_id);
        let mut url = self.inner.users_url.clone();
        url.set_path(&path);
        let mut retry = 0;
        loop {
            // Any pause in force, then this attempt's slots (the configured rate's, the learned
            // one's). A pause that began while it waited for a slot (a 429 to another request)
            // holds it too, then it takes new slots: requests queued for slots must not go out
            // into a server that just said 429.
            loop {
                self.inner.pause.wait().await;
                if let Some(pacer) = &self.inner.pacer {
                    pacer.wait().await;
                }
                self.inner.adaptive.pace().await;
                if !self.inner.pause.in_force() {
                    break;
                }
            }
            let attempt_started = self.inner.adaptive.start();
            let attempt = tokio::time::timeout(
                config.timeout,
                self.attempt(url.clone(), body.clone(), user_id),
            )
            .await
            .unwrap_or_else(|_| {
                (
                    Attempt::Retry {
                        error: Error::Timeout {
                            timeout: config.timeout,
                            attempts: retry + 1,
                        },
                        retry_after: None,
                    },
                    false,
                )
            });
            let (attempt, fresh_connection) = attempt;
            attempt_started.finish(attempt.signal(fresh_connection));
            let (error, retry_after) = match attempt {
                Attempt::Done(result) => return result,
                Attempt::Retry { error, .. } if retry >= config.max_retries => return Err(error),
                Attempt::Retry { error, retry_after } => (error, retry_after),
            };
            tracing::debug!(
                attempt = retry + 1,
                kind = %error.kind(),
                status = error.status(),
                "identify attempt failed; retrying"
            );
            match retry_after {
                // Shared: every request of this client waits it out, not just this one.
                Some(wait) => self.inner.pause.pause_for(wait),
                None => {
                    // Not under the adaptive limit while it sleeps: it puts no load on the server.
                    let _backing_off = self.inner.adaptive.backing_off();
                    tokio::time::sleep(backoff(retry, config.initial_backoff, config.max_backoff))
                        .await
                }
            }
            retry += 1;
            self.inner.retried.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// How many requests the engine may keep in flight now: the adaptive limit, at most `cap`.
    pub(crate) fn in_flight_limit(&self, cap: usize) -> usize {
        self.inner.adaptive.limit(cap)
    }

    /// Resolves when `in_flight_limit` may have grown without an answer (a request began to
    /// back off).
    pub(crate) async fn in_flight_limit_may_have_grown(&self) {
        self.inner.adaptive.may_have_grown().await;
    }

    /// Background delivery, if it was started.
    pub(crate) fn delivery(&self) -> Option<&Delivery> {
        self.inner.delivery.get()
    }

    /// Background delivery, started on first use on the configured runtime (or the current
    /// one).
    pub(crate) fn start_delivery(&self) -> Result<&Delivery> {
        if let Some(delivery) = self.inner.delivery.get() {
            return Ok(delivery);
        }
        let runtime = match &self.inner.config.delivery.runtime {
            Some(runtime) => runtime.clone(),
            None => tokio::runtime::Handle::try_current().map_err(|_| {
                Error::config(
                    "enqueue needs a tokio runtime to deliver on: call it from inside one, or \
                     give the client one (ClientBuilder::runtime), or use BlockingClient",
                )
            })?,
        };
        Ok(self
            .inner
            .delivery
            .get_or_init(|| Delivery::start(self, &runtime)))
    }

    pub(crate) fn mark_closed(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::SeqCst)
    }

    pub(crate) fn retried(&self) -> u64 {
        self.inner.retried.load(Ordering::Relaxed)
    }

    /// One attempt, and whether it was answered on a connection opened for it.
    async fn attempt(&self, url: reqwest::Url, body: Bytes, user_id: &str) -> (Attempt, bool) {
        let response = match self.inner.transport.put(url, body).await {
            Ok(response) => response,
            Err(error) if error.is_retryable() => {
                let retry = Attempt::Retry {
                    error,
                    retry_after: None,
                };
                return (retry, false);
            }
            Err(error) => return (Attempt::Done(Err(error)), false),
        };
        let fresh_connection = response.fresh_connection;
        (self.answer(response, user_id), fresh_connection)
    }

    /// What an answer of the API comes to.
    fn answer(&self, response: Reply, user_id: &str) -> Attempt {
        let status = response.status;
        let retry_after = response
            .headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let body = response.body;
        if status.is_success() {
            return Attempt::Done(User::from_body(&body, user_id).ok_or_else(|| Error::Api {
                status: status.as_u16(),
                message: "the API answered success with a body that is not a user object".into(),
                retryable: false,
            }));
        }
        let error = api_error(status, &body);
        if is_retryable_status(status.as_u16()) {
            Attempt::Retry { error, retry_after }
        } else {
            Attempt::Done(Err(error))
        }
    }
}

fn api_error(status: StatusCode, body: &[u8]) -> Error {
    Error::Api {
        status: status.as_u16(),
        message: error_message(status, body),
        retryable: is_retryable_status(status.as_u16()),
    }
}
