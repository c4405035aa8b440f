//! The client: configuration in, one identify as a Promise out, background delivery
//! (`enqueue`, `flush`, `close`, counters), and `validate`.

use std::sync::Arc;
use std::time::Duration;

use logrocket_identify::{
    CaCert, Client, ClientBuilder, DEFAULT_CLOSE_TIMEOUT, DEFAULT_CONCURRENCY, Error,
    IdentifyRequest, ProxyUrl,
};
use napi::bindgen_prelude::{Either, PromiseRaw};
use napi::{Env, Result};
use napi_derive::napi;

use crate::bulk::BulkRun;
use crate::convert::{self, RequestInput, UserRecord};
use crate::delivery::{self, CountersRecord, FlushSummaryRecord, Hook};
use crate::errors::ErrorRecord;

/// Client settings; anything left out comes from the environment (`LOGROCKET_API_KEY`,
/// `LOGROCKET_APP_ID`, `LOGROCKET_BASE_URL`) or the core's defaults.
#[napi(object)]
#[derive(Default)]
pub struct ClientOptions {
    pub api_key: Option<String>,
    /// `"org/app"`, or the bare app id together with `orgId`.
    pub app_id: Option<String>,
    pub org_id: Option<String>,
    pub base_url: Option<String>,
    /// Per attempt.
    pub timeout_ms: Option<u32>,
    pub max_retries: Option<u32>,
    /// Requests in flight at once in `identifyMany`.
    pub concurrency: Option<u32>,
    /// Attempts per second at most, across every request of the client. Passed to the core
    /// as given (NaN and infinities included), so that it alone says which rates it takes.
    pub rate_limit: Option<f64>,
    /// The first retry's backoff ceiling.
    pub initial_backoff_ms: Option<u32>,
    pub max_backoff_ms: Option<u32>,
    pub user_agent: Option<String>,
    pub allow_insecure_http: Option<bool>,
    /// Background delivery: updates the queue holds at most.
    pub queue_capacity: Option<u32>,
    /// Background delivery: bytes the queued updates hold at most.
    pub queue_max_bytes: Option<i64>,
    /// `block`, `error` or `dropOldest`.
    pub when_full: Option<String>,
    /// How long `block` waits for room; the Node default is 0 (see `delivery::when_full`).
    pub enqueue_timeout_ms: Option<u32>,
    /// Fold a user's pending updates into one PUT where that stores the same.
    pub coalesce: Option<bool>,
    /// A proxy for every request (`http://user:password@host:port`), over the environment's.
    /// Secret like the key: never in Debug output.
    pub proxy: Option<String>,
    /// Whether `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` apply; default true.
    pub proxy_from_env: Option<bool>,
    /// A CA to trust on top of the system's: PEM text, or a path to a PEM file.
    pub ca_cert: Option<String>,
    /// HTTP/1.1 even to a server that offers HTTP/2.
    pub http1_only: Option<bool>,
    /// How long opening a connection may take (TCP, the proxy's tunnel, TLS), apart from the
    /// attempt's timeout; left out, the core's `DEFAULT_CONNECT_TIMEOUT`.
    pub connect_timeout_ms: Option<u32>,
}

// By hand, so the key never reaches a Debug line.
impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("app_id", &self.app_id)
            .field("org_id", &self.org_id)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

fn millis(ms: u32) -> Duration {
    Duration::from_millis(u64::from(ms))
}

fn builder(
    options: ClientOptions,
    hook: Option<Arc<Hook>>,
) -> std::result::Result<ClientBuilder, Error> {
    let mut builder = ClientBuilder::from_env();
    if let Some(key) = options.api_key {
        builder = builder.api_key(key);
    }
    if let Some(app_id) = options.app_id {
        builder = builder.app_id(app_id);
    }
    if let Some(org_id) = options.org_id {
        builder = builder.org_id(org_id);
    }
    if let Some(url) = options.base_url {
        builder = builder.base_url(url);
    }
    if let Some(ms) = options.timeout_ms {
        builder = builder.timeout(millis(ms));
    }
    if let Some(retries) = options.max_retries {
        builder = builder.max_retries(retries);
    }
    if let Some(concurrency) = options.concurrency {
        builder = builder.concurrency(concurrency as usize);
    }
    if let Some(per_second) = options.rate_limit {
        builder = builder.rate_limit(per_second);
    }
    if let Some(ms) = options.initial_backoff_ms {
        builder = builder.initial_backoff(millis(ms));
    }
    if let Some(ms) = options.max_backoff_ms {
        builder = builder.max_backoff(millis(ms));
    }
    if let Some(agent) = options.user_agent {
        builder = builder.user_agent(agent);
    }
    if let Some(items) = options.queue_capacity {
        builder = builder.queue_capacity(items as usize);
    }
    if let Some(bytes) = options.queue_max_bytes {
        // A negative count is no size at all: the core refuses 0 with its own message.
        builder = builder.queue_max_bytes(usize::try_from(bytes).unwrap_or(0));
    }
    let when_full = delivery::when_full(
        options.when_full.as_deref(),
        options.enqueue_timeout_ms.map(millis),
    )
    .map_err(Error::Config)?;
    builder = builder.when_full(when_full);
    if let Some(coalesce) = options.coalesce {
        builder = builder.coalesce(coalesce);
    }
    if let Some(proxy) = options.proxy {
        builder = builder.proxy(proxy);
    }
    if let Some(honour) = options.proxy_from_env {
        builder = builder.proxy_from_env(honour);
    }
    if let Some(pem_or_path) = options.ca_cert {
        builder = builder.ca_cert(CaCert::from_pem_or_path(&pem_or_path));
    }
    if let Some(only) = options.http1_only {
        builder = builder.http1_only(only);
    }
    if let Some(ms) = options.connect_timeout_ms {
        builder = builder.connect_timeout(millis(ms));
    }
    if let Some(hook) = hook {
        builder = builder.on_failure(move |failure| delivery::report_failure(&hook, failure));
    }
    if let Some(runtime) = crate::runtime_handle() {
        builder = builder.runtime(runtime);
    }
    Ok(builder.allow_insecure_http(options.allow_insecure_http.unwrap_or(false)))
}

/// The outcome of one identify: exactly one of `user` and `error` is set.
#[napi(object)]
#[derive(Debug)]
pub struct IdentifyOutcome {
    pub user: Option<UserRecord>,
    pub error: Option<ErrorRecord>,
}

impl From<std::result::Result<logrocket_identify::User, Error>> for IdentifyOutcome {
    fn from(result: std::result::Result<logrocket_identify::User, Error>) -> Self {
        match result {
            Ok(user) => IdentifyOutcome {
                user: Some(user.into()),
                error: None,
            },
            Err(error) => IdentifyOutcome {
                user: None,
                error: Some(error.into()),
            },
        }
    }
}

/// Where the client sends to, for `util.inspect` (never the key).
#[napi(object)]
#[derive(Debug)]
pub struct ClientSummary {
    pub base_url: String,
    pub org_id: String,
    pub app_id: String,
    pub concurrency: u32,
    /// The explicit proxy with its credentials replaced by `<redacted>`; none when not set.
    pub proxy: Option<String>,
}

#[napi]
#[derive(Clone)]
pub struct NativeClient {
    core: Client,
    /// Kept beside the core's copy to send barriers behind the failures (see `hook_barrier`).
    hook: Option<Arc<Hook>>,
}

impl std::fmt::Debug for NativeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeClient")
            .field("core", &self.core)
            .finish_non_exhaustive()
    }
}

/// Builds a client, or says why the configuration is wrong (a `config` error record).
/// `on_failure` receives every update that failed for good or was dropped, and barriers.
#[napi(
    ts_args_type = "options: ClientOptions | undefined | null, onFailure?: (message: HookMessage) => void"
)]
pub fn create_client(
    options: Option<ClientOptions>,
    on_failure: Option<Hook>,
) -> Either<NativeClient, ErrorRecord> {
    let hook = on_failure.map(Arc::new);
    match builder(options.unwrap_or_default(), hook.clone()).and_then(ClientBuilder::build) {
        Ok(core) => Either::A(NativeClient { core, hook }),
        Err(error) => Either::B(error.into()),
    }
}

/// The core's delivery deadlines, so that `index.js` repeats no number.
#[napi(object)]
#[derive(Debug)]
pub struct DeliveryDefaults {
    /// What `close()` and the exit drain wait at most.
    pub close_timeout_ms: u32,
}

#[napi]
pub fn delivery_defaults() -> DeliveryDefaults {
    DeliveryDefaults {
        close_timeout_ms: u32::try_from(DEFAULT_CLOSE_TIMEOUT.as_millis()).unwrap_or(u32::MAX),
    }
}

/// What the package reports of the core it was built from, so that `index.js` repeats no number.
#[napi(object)]
#[derive(Debug)]
pub struct CoreInfo {
    /// The workspace's version, the one every package of the project carries.
    pub version: String,
    /// The most requests in flight at once unless `concurrency` says otherwise.
    pub default_concurrency: u32,
}

#[napi]
pub fn core_info() -> CoreInfo {
    CoreInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        default_concurrency: u32::try_from(DEFAULT_CONCURRENCY).unwrap_or(u32::MAX),
    }
}

#[napi]
impl NativeClient {
    /// Sends one request on the I/O runtime; the Promise settles on the JS thread, so the
    /// event loop never waits, and (being pending) keeps the process alive until then.
    #[napi(ts_return_type = "Promise<IdentifyOutcome>")]
    pub fn identify<'env>(
        &self,
        env: &'env Env,
        input: RequestInput,
    ) -> Result<PromiseRaw<'env, IdentifyOutcome>> {
        let core = self.core.clone();
        let request = convert::request(input);
        env.spawn_future(async move {
            let result = match request {
                Ok(request) => core.identify(&request).await,
                Err(invalid) => Err(Error::Validation(invalid)),
            };
            Ok(IdentifyOutcome::from(result))
        })
    }

    /// `identify` for input in the core's JSON form (`{"user_id", "name", ...}`), which
    /// `index.js` uses for plain values: one string crosses over instead of an object per trait.
    #[napi(ts_return_type = "Promise<IdentifyOutcome>")]
    pub fn identify_json<'env>(
        &self,
        env: &'env Env,
        input: String,
    ) -> Result<PromiseRaw<'env, IdentifyOutcome>> {
        let core = self.core.clone();
        env.spawn_future(async move {
            let result = match IdentifyRequest::from_json_str(&input) {
                Ok(request) => core.identify(&request).await,
                Err(invalid) => Err(Error::Validation(invalid)),
            };
            Ok(IdentifyOutcome::from(result))
        })
    }

    /// Starts an `identifyMany` run (the JS side feeds it rows), or a `config` record when
    /// the core refuses the concurrency.
    #[napi]
    pub fn start_bulk(&self, concurrency: Option<u32>) -> Either<BulkRun, ErrorRecord> {
        BulkRun::start(&self.core, concurrency.map(|c| c as usize))
    }

    /// Queues one update for background delivery: `null`, or the error record saying why not
    /// (validation, queue full, closed). Never waits for the network.
    #[napi]
    pub fn enqueue(&self, input: RequestInput) -> Option<ErrorRecord> {
        let request = convert::request(input).map_err(Error::from);
        request
            .and_then(|request| self.core.enqueue(request))
            .err()
            .map(Into::into)
    }

    /// `enqueue` for input in the core's JSON form (see `identify_json`).
    #[napi]
    pub fn enqueue_json(&self, input: String) -> Option<ErrorRecord> {
        let request = IdentifyRequest::from_json_str(&input).map_err(Error::from);
        request
            .and_then(|request| self.core.enqueue(request))
            .err()
            .map(Into::into)
    }

    /// Waits until every update enqueued before the call is delivered or failed, at most
    /// `timeout_ms`; on the runtime, so the event loop never waits.
    #[napi(ts_return_type = "Promise<FlushSummaryRecord>")]
    pub fn flush<'env>(
        &self,
        env: &'env Env,
        timeout_ms: u32,
    ) -> Result<PromiseRaw<'env, FlushSummaryRecord>> {
        let core = self.core.clone();
        env.spawn_future(async move { Ok(core.flush(millis(timeout_ms)).await.into()) })
    }

    /// Stops taking updates, flushes up to `timeout_ms`, and abandons what is left (each to
    /// the hook as a `closed` error).
    #[napi(ts_return_type = "Promise<FlushSummaryRecord>")]
    pub fn close<'env>(
        &self,
        env: &'env Env,
        timeout_ms: u32,
    ) -> Result<PromiseRaw<'env, FlushSummaryRecord>> {
        let core = self.core.clone();
        env.spawn_future(async move { Ok(core.close(millis(timeout_ms)).await.into()) })
    }

    #[napi]
    pub fn counters(&self) -> CountersRecord {
        self.core.counters().into()
    }

    /// Sends barrier `id` to the hook behind every failure reported so far; `false` when there
    /// is no hook or it is gone, so that nothing waits for a barrier that will not come.
    #[napi]
    pub fn hook_barrier(&self, id: u32) -> bool {
        self.hook
            .as_deref()
            .is_some_and(|hook| delivery::send_barrier(hook, id))
    }

    #[napi]
    pub fn summary(&self) -> ClientSummary {
        let config = self.core.config();
        ClientSummary {
            base_url: config.base_url.clone(),
            org_id: config.org_id.clone(),
            app_id: config.app_id.clone(),
            concurrency: u32::try_from(config.concurrency).unwrap_or(u32::MAX),
            proxy: config.network.proxy.as_ref().map(ProxyUrl::redacted),
        }
    }
}

/// Checks a request against every documented rule without sending it: `null` when valid,
/// else the validation error's record.
#[napi]
pub fn validate_request(input: RequestInput) -> Option<ErrorRecord> {
    convert::request(input)
        .and_then(|request| request.validate().map(|()| request))
        .err()
        .map(|invalid| Error::Validation(invalid).into())
}

/// `validate_request` for input in the core's JSON form (see `identify_json`): one string
/// across instead of an object per trait, several times cheaper.
#[napi]
pub fn validate_json(input: String) -> Option<ErrorRecord> {
    IdentifyRequest::from_json_str(&input)
        .and_then(|request| request.validate())
        .err()
        .map(|invalid| Error::Validation(invalid).into())
}
