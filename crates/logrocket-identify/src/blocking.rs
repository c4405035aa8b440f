//! A blocking client for code without an async runtime (and for the C and Go bindings).

use std::fmt;

use futures::stream;

use crate::bulk::{BulkOutcome, BulkReport, BulkSummary};
use crate::cancel::Cancel;
use crate::client::Client;
use crate::config::{ClientBuilder, ClientConfig};
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
    pub fn new(config: ClientConfig) -> Result<BlockingClient> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("logrocket-identify")
            .enable_all()
            .build()
            .map_err(|e| Error::config(format!("cannot start the I/O runtime: {e}")))?;
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
    pub fn identify_each<I, R, F>(
        &self,
        inputs: I,
        concurrency: Option<usize>,
        on_outcome: F,
    ) -> BulkSummary
    where
        I: IntoIterator<Item = Result<R>>,
        R: BulkInput,
        F: FnMut(BulkOutcome),
    {
        self.runtime.block_on(self.client.identify_each(
            stream::iter(inputs),
            concurrency,
            on_outcome,
        ))
    }

    /// Sends every input of an iterator and reports every failure; see [`Client::identify_many`].
    pub fn identify_many<I, R>(&self, inputs: I, concurrency: Option<usize>) -> BulkReport
    where
        I: IntoIterator<Item = Result<R>>,
        R: BulkInput,
    {
        self.runtime
            .block_on(self.client.identify_many(stream::iter(inputs), concurrency))
    }

    /// [`identify_many`](Self::identify_many), unless `cancel` fires first: then `None` at
    /// once; no further input is read, and requests in flight are abandoned.
    pub fn identify_many_unless_cancelled<I, R>(
        &self,
        inputs: I,
        concurrency: Option<usize>,
        cancel: &Cancel,
    ) -> Option<BulkReport>
    where
        I: IntoIterator<Item = Result<R>>,
        R: BulkInput,
    {
        self.runtime.block_on(async {
            tokio::select! {
                biased;
                () = cancel.fired() => None,
                report = self.client.identify_many(stream::iter(inputs), concurrency) => Some(report),
            }
        })
    }
}
