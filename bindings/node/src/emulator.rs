//! The in-process emulator, for users' own tests (`Emulator.start()` in JS).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use logrocket_emulator::{Emulator, EmulatorConfig, EmulatorState, Fault, FaultRate};
use napi::bindgen_prelude::{PromiseRaw, spawn_blocking};
use napi::{Env, Result};
use napi_derive::napi;

#[napi(object)]
#[derive(Default)]
pub struct EmulatorOptions {
    /// The key clients must send. Default `"test"`.
    pub api_key: Option<String>,
    /// The port on 127.0.0.1; default 0, a free one.
    pub port: Option<u32>,
    /// How many API requests to remember. Default 10,000.
    pub request_log_limit: Option<u32>,
    /// API requests per second served before answering 429 with `Retry-After`; 0 or none:
    /// no limit.
    pub rate_limit: Option<u32>,
    /// Serve HTTPS (HTTP/2 or HTTP/1.1 by ALPN) with a throwaway CA. Default false.
    pub tls: Option<bool>,
    /// With `tls`, where to write the CA certificate (kept at stop); default a temporary file,
    /// removed at stop.
    pub ca_cert_path: Option<String>,
}

impl std::fmt::Debug for EmulatorOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorOptions")
            .field("port", &self.port)
            .field("rate_limit", &self.rate_limit)
            .field("tls", &self.tls)
            .field("ca_cert_path", &self.ca_cert_path)
            .finish_non_exhaustive()
    }
}

/// One injected failure: wait `delayMs`, then drop the connection, or answer `status`
/// (with `retryAfter` and `body` if given), or else proceed normally.
#[napi(object)]
#[derive(Debug, Default)]
pub struct FaultInput {
    pub status: Option<u32>,
    pub retry_after: Option<String>,
    pub body: Option<String>,
    pub drop_connection: Option<bool>,
    pub delay_ms: Option<u32>,
}

impl FaultInput {
    fn into_fault(self) -> Result<Fault> {
        let status = self
            .status
            .map(u16::try_from)
            .transpose()
            .map_err(|_| napi::Error::from_reason("fault status must be an HTTP status"))?;
        Ok(Fault {
            status,
            retry_after: self.retry_after,
            body: self.body,
            drop_connection: self.drop_connection.unwrap_or(false),
            delay_ms: u64::from(self.delay_ms.unwrap_or(0)),
        })
    }
}

#[napi(object)]
#[derive(Debug)]
pub struct StoredUserRecord {
    pub org_id: String,
    pub app_id: String,
    pub user_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub traits: BTreeMap<String, String>,
    pub first_seen: i64,
    pub last_seen: i64,
}

#[napi(object)]
#[derive(Debug)]
pub struct RecordedRequestRecord {
    pub method: String,
    /// The raw request target, percent-encoding intact.
    pub path: String,
    /// The HTTP version it came over: `"HTTP/1.1"`, or `"HTTP/2.0"` when an HTTPS client
    /// negotiated HTTP/2.
    pub protocol: String,
    pub headers: BTreeMap<String, String>,
    pub body: String,
    /// The status answered; 0 when the connection was dropped.
    pub status: u32,
}

#[napi]
pub struct NativeEmulator {
    url: String,
    /// In TLS mode, the CA certificate clients trust, and the file holding it.
    ca_cert_pem: Option<String>,
    ca_cert_path: Option<String>,
    state: EmulatorState,
    running: Mutex<Option<Emulator>>,
}

// By hand, so the key stays out of Debug output.
impl std::fmt::Debug for NativeEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeEmulator")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Starts an emulator on a background thread; resolves once it accepts connections.
#[napi(ts_return_type = "Promise<NativeEmulator>")]
pub fn start_emulator<'env>(
    env: &'env Env,
    options: Option<EmulatorOptions>,
) -> Result<PromiseRaw<'env, NativeEmulator>> {
    let options = options.unwrap_or_default();
    let defaults = EmulatorConfig::default();
    let port = u16::try_from(options.port.unwrap_or(0))
        .map_err(|_| napi::Error::from_reason("port must be between 0 and 65535"))?;
    let config = EmulatorConfig {
        api_key: options.api_key.unwrap_or(defaults.api_key),
        port,
        request_log_limit: options
            .request_log_limit
            .map_or(defaults.request_log_limit, |n| n as usize),
        rate_limit: options.rate_limit,
        tls: options.tls.unwrap_or(defaults.tls),
        ca_cert_path: options.ca_cert_path.map(PathBuf::from),
        ..defaults
    };
    env.spawn_future(async move {
        let started = spawn_blocking(move || Emulator::start(config))
            .await
            .map_err(|e| napi::Error::from_reason(format!("cannot start the emulator: {e}")))?;
        let emulator = started
            .map_err(|e| napi::Error::from_reason(format!("cannot start the emulator: {e}")))?;
        Ok(NativeEmulator {
            url: emulator.url().to_owned(),
            ca_cert_pem: emulator.ca_cert_pem().map(str::to_owned),
            ca_cert_path: emulator
                .ca_cert_path()
                .map(|path| path.to_string_lossy().into_owned()),
            state: emulator.state().clone(),
            running: Mutex::new(Some(emulator)),
        })
    })
}

#[napi]
impl NativeEmulator {
    #[napi(getter)]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    #[napi(getter)]
    pub fn api_key(&self) -> String {
        self.state.api_key().to_owned()
    }

    /// In TLS mode, the throwaway CA's certificate as PEM (a client's `caCert`); `null` over
    /// plain HTTP.
    #[napi(getter)]
    pub fn ca_cert_pem(&self) -> Option<String> {
        self.ca_cert_pem.clone()
    }

    /// In TLS mode, the file holding `caCertPem`, for other processes (`NODE_EXTRA_CA_CERTS`,
    /// `curl --cacert`); `null` over plain HTTP.
    #[napi(getter)]
    pub fn ca_cert_path(&self) -> Option<String> {
        self.ca_cert_path.clone()
    }

    #[napi]
    pub fn users(&self) -> Vec<StoredUserRecord> {
        self.state
            .users()
            .into_iter()
            .map(|user| StoredUserRecord {
                org_id: user.org_id,
                app_id: user.app_id,
                user_id: user.user_id,
                name: user.name,
                email: user.email,
                traits: user.traits,
                first_seen: user.first_seen,
                last_seen: user.last_seen,
            })
            .collect()
    }

    #[napi]
    pub fn requests(&self) -> Vec<RecordedRequestRecord> {
        self.state
            .requests()
            .into_iter()
            .map(|request| RecordedRequestRecord {
                method: request.method,
                path: request.path,
                protocol: request.protocol,
                headers: request.headers,
                body: request.body,
                status: u32::from(request.status),
            })
            .collect()
    }

    /// The rate limit in force, in API requests per second; `null` when there is none.
    #[napi(getter)]
    pub fn rate_limit(&self) -> Option<u32> {
        self.state.rate_limit()
    }

    /// Sets the rate limit in API requests per second (`null` or 0: none), starting with a
    /// full second's worth of requests.
    #[napi]
    pub fn set_rate_limit(&self, per_second: Option<u32>) {
        self.state.set_rate_limit(per_second);
    }

    /// Forgets users and requests, and clears every fault; the rate limit stays.
    #[napi]
    pub fn reset(&self) {
        self.state.reset();
    }

    /// Appends faults to the script; each API request consumes the next one.
    #[napi]
    pub fn push_faults(&self, faults: Vec<FaultInput>) -> Result<()> {
        let script = faults
            .into_iter()
            .map(FaultInput::into_fault)
            .collect::<Result<Vec<_>>>()?;
        self.state.push_faults(script);
        Ok(())
    }

    /// A fault that fires with `probability` once the script is empty; `null` clears it.
    #[napi]
    pub fn set_fault_rate(
        &self,
        probability: Option<f64>,
        fault: Option<FaultInput>,
    ) -> Result<()> {
        let rate = match (probability, fault) {
            (Some(probability), Some(fault)) => Some(FaultRate {
                probability,
                fault: fault.into_fault()?,
            }),
            _ => None,
        };
        self.state.set_fault_rate(rate);
        Ok(())
    }

    /// Stops serving; resolves once the server thread has ended.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn stop<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        let running = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        env.spawn_future(async move {
            if let Some(emulator) = running {
                spawn_blocking(move || emulator.shutdown())
                    .await
                    .map_err(|e| napi::Error::from_reason(format!("stopping: {e}")))?;
            }
            Ok(())
        })
    }
}
