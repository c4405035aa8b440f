//! The client: configuration in, one identify as a Promise out, and `validate`.

use std::time::Duration;

use logrocket_identify::{Client, ClientBuilder, Error, IdentifyRequest};
use napi::bindgen_prelude::{Either, PromiseRaw};
use napi::{Env, Result};
use napi_derive::napi;

use crate::bulk::BulkRun;
use crate::convert::{self, RequestInput, UserRecord};
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
    /// The first retry's backoff ceiling.
    pub initial_backoff_ms: Option<u32>,
    pub max_backoff_ms: Option<u32>,
    pub user_agent: Option<String>,
    pub allow_insecure_http: Option<bool>,
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

fn builder(options: ClientOptions) -> ClientBuilder {
    let millis = |ms: u32| Duration::from_millis(u64::from(ms));
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
    if let Some(ms) = options.initial_backoff_ms {
        builder = builder.initial_backoff(millis(ms));
    }
    if let Some(ms) = options.max_backoff_ms {
        builder = builder.max_backoff(millis(ms));
    }
    if let Some(agent) = options.user_agent {
        builder = builder.user_agent(agent);
    }
    builder.allow_insecure_http(options.allow_insecure_http.unwrap_or(false))
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
}

#[napi]
#[derive(Debug, Clone)]
pub struct NativeClient {
    core: Client,
}

/// Builds a client, or says why the configuration is wrong (a `config` error record).
#[napi]
pub fn create_client(options: Option<ClientOptions>) -> Either<NativeClient, ErrorRecord> {
    match builder(options.unwrap_or_default()).build() {
        Ok(core) => Either::A(NativeClient { core }),
        Err(error) => Either::B(error.into()),
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

    /// Starts an `identifyMany` run; the JS side feeds it rows.
    #[napi]
    pub fn start_bulk(&self, concurrency: Option<u32>) -> BulkRun {
        BulkRun::start(self.core.clone(), concurrency.map(|c| c as usize))
    }

    #[napi]
    pub fn summary(&self) -> ClientSummary {
        let config = self.core.config();
        ClientSummary {
            base_url: config.base_url.clone(),
            org_id: config.org_id.clone(),
            app_id: config.app_id.clone(),
            concurrency: u32::try_from(config.concurrency).unwrap_or(u32::MAX),
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
