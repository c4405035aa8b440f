//! The async client: one attempt at a time over a shared connection pool, with retries.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER, USER_AGENT};

use crate::config::{ClientBuilder, ClientConfig};
use crate::error::{Error, Result};
use crate::path::user_path;
use crate::request::IdentifyRequest;
use crate::retry::{SharedPause, backoff, is_retryable_status, parse_retry_after};
use crate::user::{User, error_message};

/// Sends identify requests. Cheap to clone: clones share one connection pool and one
/// `Retry-After` pause. Safe to use from many tasks at once.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClientConfig,
    base_url: reqwest::Url,
    /// The base URL's own path (a proxy prefix, say) without its trailing slash.
    base_path: String,
    http: reqwest::Client,
    authorization: HeaderValue,
    user_agent: HeaderValue,
    pause: SharedPause,
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
        let mut authorization =
            HeaderValue::from_str(&format!("token {}", config.api_key.expose_secret()))
                .map_err(|_| Error::config("the API key is not valid in an HTTP header"))?;
        // Marks the header so hyper's own debug output leaves it out.
        authorization.set_sensitive(true);
        let user_agent = HeaderValue::from_str(&config.user_agent)
            .map_err(|_| Error::config("the user agent is not valid in an HTTP header"))?;
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeout)
            // No cap on idle connections: a cap below the number of requests in flight (a bulk
            // call asking for more than the client's default concurrency) would close and reopen
            // a connection for most requests. Idle ones still time out on their own.
            .tcp_nodelay(true)
            // Redirects would carry the key elsewhere; the API does not redirect.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::config(format!("cannot set up HTTP: {}", describe(&e))))?;
        let base_url = reqwest::Url::parse(&config.base_url)
            .map_err(|e| Error::config(format!("base URL {:?}: {e}", config.base_url)))?;
        let base_path = base_url.path().trim_end_matches('/').to_owned();
        Ok(Client {
            inner: Arc::new(Inner {
                base_url,
                base_path,
                config,
                http,
                authorization,
                user_agent,
                pause: SharedPause::default(),
            }),
        })
    }

    /// The configuration this client was built with (its key redacted in `Debug`).
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// Validates and sends one request, retrying as configured, and returns the stored user.
    pub async fn identify(&self, request: &IdentifyRequest) -> Result<User> {
        let body = Bytes::from(request.encode_body()?);
        let config = &self.inner.config;
        // Only the path changes per request: the base URL was parsed once, so a bulk run does
        // not parse and IDNA-check the host again for every user.
        let mut url = self.inner.base_url.clone();
        url.set_path(&format!(
            "{}{}",
            self.inner.base_path,
            user_path(&config.org_id, &config.app_id, &request.user_id)
        ));
        let mut retry = 0;
        loop {
            self.inner.pause.wait().await;
            let attempt = tokio::time::timeout(
                config.timeout,
                self.attempt(url.clone(), body.clone(), &request.user_id),
            )
            .await
            .unwrap_or_else(|_| Attempt::Retry {
                error: Error::Timeout {
                    timeout: config.timeout,
                    attempts: retry + 1,
                },
                retry_after: None,
            });
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
                    tokio::time::sleep(backoff(retry, config.initial_backoff, config.max_backoff))
                        .await
                }
            }
            retry += 1;
        }
    }

    async fn attempt(&self, url: reqwest::Url, body: Bytes, user_id: &str) -> Attempt {
        let inner = &self.inner;
        let sent = inner
            .http
            .put(url)
            .header(AUTHORIZATION, inner.authorization.clone())
            .header(USER_AGENT, inner.user_agent.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) => {
                return Attempt::Retry {
                    error: transport_error(&e),
                    retry_after: None,
                };
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(e) => {
                return Attempt::Retry {
                    error: transport_error(&e),
                    retry_after: None,
                };
            }
        };
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

fn transport_error(error: &reqwest::Error) -> Error {
    Error::Transport {
        message: describe(error),
    }
}

/// The error and its causes on one line, without the URL (it holds the user id, which is PII).
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text
            .replace(&format!(" for url ({url})"), "")
            .replace(url.as_str(), "<url>");
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
