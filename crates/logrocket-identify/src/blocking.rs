//! A blocking client for code without an async runtime (and for the C and Go bindings).

use std::fmt;
use std::time::Duration;

use futures::stream;

use crate::cancel::Cancel;
use crate::client::Client;
use crate::config::{ClientBuilder, ClientConfig};
use crate::engine::bulk::{BulkOutcome, BulkReport, BulkSummary};
use crate::engine::delivery::{Counters, FlushSummary};
use crate::engine::options::DEFAULT_CLOSE_TIMEOUT;
use crate::error::{Error, Result};
use crate::prepared::BulkInput;
use crate::request::IdentifyRequest;
use crate::user::User;

/// The same client behind blocking calls. It owns a small runtime of its own; calls from many
/// threads at once share it and its connection pool. Do not call it from inside an async
/// runtime: use [`Client`] there.
pub struct BlockingClient {
    client: Client,
    runtime: tokio::runtime::Runtime,
}

impl fmt::Debug for BlockingClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingClient")
            .field("config", self.client.config())
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Checks the configuration and builds a blocking client.
    pub fn build_blocking(self) -> Result<BlockingClient> {
        BlockingClient::new(self.into_config()?)
    }
}

impl BlockingClient {
    pub fn new(mut config: ClientConfig) -> Result<BlockingClient> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("logrocket-identify")
            .enable_all()
            .build()
            .map_err(|e| Error::config(format!("cannot start the I/O runtime: {e}")))?;
        // Background delivery runs on this client's own runtime unless told otherwise.
        if config.delivery.runtime.is_none() {
            config.delivery.runtime = Some(runtime.handle().clone());
        }
        Ok(BlockingClient {
            client: Client::new(config)?,
            runtime,
        })
    }

    /// A blocking client configured from the environment, like [`Client::from_env`].
    pub fn from_env() -> Result<BlockingClient> {
        ClientBuilder::from_env().build_blocking()
    }

    pub fn config(&self) -> &ClientConfig {
        self.client.config()
    }

    /// The runtime this client runs its requests and background delivery on: for callers that
    /// drive the async client's futures (a bulk run they feed themselves) from a plain thread.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        self.runtime.handle()
    }

    /// The async client underneath, sharing this one's pool and pause.
    pub fn async_client(&self) -> &Client {
        &self.client
    }

    /// Validates and sends one request; see [`Client::identify`].
    pub fn identify(&self, request: &IdentifyRequest) -> Result<User> {
        self.runtime.block_on(self.client.identify(request))
    }

    /// [`identify`](Self::identify), unless `cancel` fires first: then `None` at once, and the
    /// request is abandoned (its connection closed, nothing retried).
    pub fn identify_unless_cancelled(
        &self,
        request: &IdentifyRequest,
        cancel: &Cancel,
    ) -> Option<Result<User>> {
        self.runtime.block_on(async {
            tokio::select! {
                biased;
                () = cancel.fired() => None,
                result = self.client.identify(request) => Some(result),
            }
        })
    }

    /// Sends every input of an iterator, pulled lazily; see [`Client::identify_each`].
    pub fn identify_each<I, F>(
        &self,
        inputs: I,
        concurrency: Option<usize>,
        on_outcome: F,
    ) -> Result<BulkSummary>
    where
        I: IntoIterator,
        I::Item: BulkInput,
        F: FnMut(BulkOutcome),
    {
        self.runtime.block_on(self.client.identify_each(
            stream::iter(inputs),
            concurrency,
            on_outcome,
        ))
    }

    /// Sends every input of an iterator and reports every failure; see [`Client::identify_many`].
    pub fn identify_many<I>(&self, inputs: I, concurrency: Option<usize>) -> Result<BulkReport>
    where
        I: IntoIterator,
        I::Item: BulkInput,
    {
        self.runtime
            .block_on(self.client.identify_many(stream::iter(inputs), concurrency))
    }

    /// [`identify_many`](Self::identify_many), unless `cancel` fires first: then `None` at
    /// once; no further input is read, and requests in flight are abandoned.
    pub fn identify_many_unless_cancelled<I>(
        &self,
        inputs: I,
        concurrency: Option<usize>,
        cancel: &Cancel,
    ) -> Option<Result<BulkReport>>
    where
        I: IntoIterator,
        I::Item: BulkInput,
    {
        self.runtime.block_on(async {
            tokio::select! {
                biased;
                () = cancel.fired() => None,
                report = self.client.identify_many(stream::iter(inputs), concurrency) => Some(report),
            }
        })
    }

    /// Queues `request` for background delivery; see [`Client::enqueue`].
    pub fn enqueue(&self, request: IdentifyRequest) -> Result<()> {
        self.client.enqueue(request)
    }

    /// Waits for what was enqueued before, up to `timeout`; see [`Client::flush`].
    pub fn flush(&self, timeout: Duration) -> FlushSummary {
        self.client.flush_blocking(timeout)
    }

    /// Delivers what is pending for up to `timeout`, then stops; see [`Client::close`].
    pub fn close(&self, timeout: Duration) -> FlushSummary {
        self.client.close_blocking(timeout)
    }

    /// Where the enqueued updates stand; see [`Client::counters`].
    pub fn counters(&self) -> Counters {
        self.client.counters()
    }
}

impl Drop for BlockingClient {
    /// Delivers what is still pending (for up to [`DEFAULT_CLOSE_TIMEOUT`]) before the runtime
    /// goes: dropping a client never loses an update silently.
    fn drop(&mut self) {
        if self.client.delivery().is_some() {
            self.client.close_blocking(DEFAULT_CLOSE_TIMEOUT);
        }
    }
}
