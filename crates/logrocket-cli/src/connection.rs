//! Turning flags and environment into a client, or into an embedded emulator and a client for it.

use std::time::Duration;

use logrocket_emulator::{Emulator, EmulatorConfig};
use logrocket_identify::{CaCert, Client, ClientBuilder, ENV_API_KEY, ENV_APP_ID};

use crate::cli::ConnectionArgs;
use crate::failure::CliError;

/// The app used against the embedded emulator when none is given.
const EMULATOR_APP: &str = "emulator/app";

/// A client, and the emulator it talks to when `--emulator` was given.
pub struct Connection {
    pub client: Client,
    pub emulator: Option<Emulator>,
}

impl Connection {
    /// `concurrency`, when given, becomes the client's own: the most requests bulk calls keep
    /// in flight (exactly that many when `fixed`, else an adaptive number up to it).
    pub fn open(
        args: &ConnectionArgs,
        concurrency: Option<usize>,
        fixed: bool,
    ) -> Result<Connection, CliError> {
        let mut builder = ClientBuilder::new()
            .timeout(seconds(args.timeout, "--timeout")?)
            .connect_timeout(seconds(args.connect_timeout, "--connect-timeout")?)
            .max_retries(args.max_retries)
            .allow_insecure_http(args.allow_insecure_http)
            .proxy_from_env(!args.no_proxy_env)
            .http1_only(args.http1)
            .user_agent(concat!("logrocket-cli/", env!("CARGO_PKG_VERSION")));
        if let Some(concurrency) = concurrency {
            builder = builder.concurrency(concurrency);
        }
        builder = builder.fixed_concurrency(fixed);
        if let Some(per_second) = args.rate_limit {
            builder = builder.rate_limit(per_second);
        }
        if let Some(proxy) = &args.proxy {
            builder = builder.proxy(proxy);
        }
        for cert in &args.ca_cert {
            builder = builder.ca_cert(CaCert::from_pem_or_path(cert));
        }
        let emulator = if args.emulator {
            let emulator = Emulator::start(EmulatorConfig::default())
                .map_err(|e| CliError::usage(format!("cannot start the emulator: {e}")))?;
            eprintln!("emulator listening on {}", emulator.url());
            builder = builder
                .api_key(emulator.api_key())
                .app(args.app.as_deref().unwrap_or(EMULATOR_APP))
                .base_url(emulator.url());
            Some(emulator)
        } else {
            let api_key = args.api_key.as_deref().ok_or_else(|| {
                CliError::usage(format!(
                    "no API key: pass --api-key or set {ENV_API_KEY} (or use --emulator to try \
                     it locally)"
                ))
            })?;
            let app = args.app.as_deref().ok_or_else(|| {
                CliError::usage(format!(
                    "no app: pass --app org/app or set {ENV_APP_ID} (or use --emulator to try it \
                     locally)"
                ))
            })?;
            builder = builder.api_key(api_key).app(app);
            if let Some(base_url) = &args.base_url {
                builder = builder.base_url(base_url);
            }
            None
        };
        let client = builder.build().map_err(CliError::from_sdk)?;
        Ok(Connection { client, emulator })
    }
}

fn seconds(value: f64, flag: &str) -> Result<Duration, CliError> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| CliError::usage(format!("{flag} must be a positive number of seconds")))
}
