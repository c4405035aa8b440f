//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "logrocket",
    version,
    about = "Send user data to LogRocket's User Identification API, one user or millions",
    long_about = None,
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Identify one user and print the user LogRocket stored, as JSON.
    Identify(IdentifyArgs),
    /// Identify every user of a CSV or JSON Lines file (or stdin), streaming.
    Import(ImportArgs),
    /// Serve the local emulator of the API until interrupted.
    Emulator(EmulatorArgs),
}

/// Where to send, and how. Every setting can also come from the environment.
#[derive(Debug, Args, Clone)]
pub struct ConnectionArgs {
    /// Your LogRocket API key (Settings > General Settings).
    #[arg(long, env = "LOGROCKET_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Your app as "org/app", as in LogRocket's setup snippet.
    #[arg(long, env = "LOGROCKET_APP_ID")]
    pub app: Option<String>,
    /// The API's base URL.
    #[arg(long, env = "LOGROCKET_BASE_URL")]
    pub base_url: Option<String>,
    /// Seconds allowed for each attempt.
    #[arg(long, default_value_t = logrocket_identify::DEFAULT_TIMEOUT.as_secs_f64())]
    pub timeout: f64,
    /// Attempts after the first for retryable failures (408, 429, 5xx, network).
    #[arg(long, default_value_t = logrocket_identify::DEFAULT_MAX_RETRIES)]
    pub max_retries: u32,
    /// Send at most N requests per second (retries included), spaced evenly: for a known quota.
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<f64>,
    /// Allow plain http:// to a host that is not loopback (the key travels unencrypted).
    #[arg(long)]
    pub allow_insecure_http: bool,
    /// Send through this proxy (http://user:password@host:port), whatever HTTPS_PROXY says.
    /// Without it, HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY apply, as for curl.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Ignore HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY.
    #[arg(long)]
    pub no_proxy_env: bool,
    /// Also trust this CA certificate (a PEM file), on top of the system's; repeat for several.
    #[arg(long, value_name = "PEM_FILE")]
    pub ca_cert: Vec<String>,
    /// Speak HTTP/1.1 even when the server offers HTTP/2.
    #[arg(long)]
    pub http1: bool,
    /// Seconds allowed to open a connection, apart from --timeout.
    #[arg(long, default_value_t = logrocket_identify::DEFAULT_CONNECT_TIMEOUT.as_secs_f64())]
    pub connect_timeout: f64,
    /// Run against an emulator started in this process (no credentials needed), then print
    /// what it stored.
    #[arg(long)]
    pub emulator: bool,
}

#[derive(Debug, Args)]
pub struct IdentifyArgs {
    /// The user's id in your system.
    pub user_id: String,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    /// When the data was true, in Unix milliseconds (default: now, as the API decides).
    #[arg(long)]
    pub timestamp: Option<i64>,
    /// A trait as key=value; repeat for several. Values are sent as strings.
    #[arg(long = "trait", value_name = "KEY=VALUE")]
    pub traits: Vec<String>,
    /// A trait to remove; repeat for several.
    #[arg(long, value_name = "KEY")]
    pub unset: Vec<String>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// A header row naming user_id, name, email, timestamp; every other column is a trait.
    Csv,
    /// One identify input per line: {"user_id", "name", "email", "timestamp", "traits", "unset"}.
    Jsonl,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to import, or - for stdin.
    pub file: PathBuf,
    /// The file's format (default: from its extension; CSV for stdin).
    #[arg(long, value_enum)]
    pub format: Option<InputFormat>,
    /// The most requests in flight at once. Below it the engine finds the server's pace
    /// itself: more in flight while answers stay fast, fewer on 429s or rising latency.
    #[arg(long, default_value_t = logrocket_identify::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// Keep exactly --concurrency requests in flight instead of adapting.
    #[arg(long)]
    pub fixed_concurrency: bool,
    /// Validate every row and report the bad ones, sending nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Where failed rows go, with their errors, as JSON Lines that `import` accepts back
    /// (default: FILE.rejects.jsonl, or rejects.jsonl for stdin).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Never draw a progress bar, even on a terminal.
    #[arg(long)]
    pub no_progress: bool,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The API key the emulator accepts.
    #[arg(long, default_value = "test")]
    pub api_key: String,
    /// Answer at most N API requests per second, then 429 with Retry-After, as a real API's
    /// rate limit would (a token bucket holding one second's worth).
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<u32>,
    /// Serve HTTPS (HTTP/2 or HTTP/1.1 by ALPN) with a throwaway CA made at start-up, as the
    /// real API is only reached over HTTPS. The CA certificate's path is printed on the line
    /// after the URL, for clients to trust (e.g. curl --cacert PATH URL/_emulator/health).
    #[arg(long)]
    pub tls: bool,
    /// Where to write the CA certificate (PEM) with --tls, kept after exit (default: a
    /// temporary file, logrocket-emulator-ca-PID-PORT.pem, removed on Ctrl-C).
    #[arg(long, value_name = "PATH", requires = "tls")]
    pub ca_cert_out: Option<PathBuf>,
    /// How many API requests to remember for GET /_emulator/requests (a ring: the oldest go
    /// first), so a million-row import keeps memory flat.
    #[arg(long, value_name = "N", default_value_t = logrocket_emulator::EmulatorConfig::default().request_log_limit)]
    pub request_log_limit: usize,
}
