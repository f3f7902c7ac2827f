//! # labelmint-zg
//!
//! Clients for 0G, the storage and compute network labelmint's datasets live
//! on, and the storage backend trait the CLI uses:
//!
//! - [`node::StorageNode`]: a storage node's JSON-RPC (`zgs_getFileInfo`,
//!   `zgs_uploadSegments`, `zgs_downloadSegmentWithProof`,
//!   `zgs_downloadSegment`).
//! - [`transfer`]: upload after the on-chain Flow submission (resumes from
//!   the node's `uploadedSegNum`, waits for finality) and download with every
//!   segment verified against the root before it is accepted; the indexer
//!   gateway (`GET /file?root=`), verified the same way.
//! - [`finetune::Broker`]: the fine-tuning provider API (models, quote,
//!   signed task creation, status through every state, logs, result).
//! - [`Storage`]: one trait over the local content-addressed store and 0G.
//!
//! Every network call has a timeout and a bounded number of retries with
//! backoff ([`Retry`]); every error names the endpoint and what failed.
//! The tests run these clients against local fake servers that implement the
//! published methods and their failure modes; live 0G was not exercised.

pub mod finetune;
mod http;
pub mod node;
pub mod transfer;

use std::time::Duration;

use alloy_primitives::B256;
pub use http::{Retry, MAX_JSON_BODY};
use labelmint_storage::{LocalStore, StorageError};

/// Why a 0G operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ZgError {
    /// The endpoint could not be reached (connection refused, DNS, TLS).
    #[error("{url} is unreachable: {detail}")]
    Unreachable {
        /// The endpoint.
        url: String,
        /// The transport error.
        detail: String,
    },
    /// No answer within the timeout.
    #[error("{url} did not answer within {timeout:?}")]
    Timeout {
        /// The endpoint.
        url: String,
        /// The per-request timeout.
        timeout: Duration,
    },
    /// An HTTP error status.
    #[error("{url} answered HTTP {status}: {body}")]
    Status {
        /// The endpoint.
        url: String,
        /// The status code.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// An answer larger than the client accepts (refused while streaming,
    /// before it is all in memory).
    #[error("{url} sent more than {limit} bytes")]
    TooLarge {
        /// The endpoint.
        url: String,
        /// The cap in bytes.
        limit: usize,
    },
    /// A JSON-RPC error object.
    #[error("{method} failed: {message} (code {code})")]
    Rpc {
        /// The method.
        method: String,
        /// JSON-RPC error code.
        code: i64,
        /// Its message.
        message: String,
    },
    /// An answer that does not have the published shape.
    #[error("unexpected answer from {what}: {detail}")]
    Decode {
        /// Which call.
        what: String,
        /// What was wrong.
        detail: String,
    },
    /// Retries used up; the last failure.
    #[error("gave up after {attempts} attempts: {last}")]
    Exhausted {
        /// Attempts made.
        attempts: u32,
        /// The last error.
        last: Box<ZgError>,
    },
    /// The node does not know the file (no Flow submission seen yet).
    #[error("no file {0} on the node (was the Flow submission made and synced?)")]
    NotFound(B256),
    /// The file did not become final in time.
    #[error("file {root} not finalized after {waited:?}")]
    NotFinalized {
        /// The file.
        root: B256,
        /// How long we waited.
        waited: Duration,
    },
    /// Served bytes do not prove against the root.
    #[error("segment {segment} of {root} failed verification: {detail}")]
    Verification {
        /// The file.
        root: B256,
        /// The segment index (`u64::MAX` for a whole file).
        segment: u64,
        /// What did not match.
        detail: String,
    },
    /// The fine-tuning task ended in `Failed`.
    #[error("fine-tuning task {id} failed: {log}")]
    TaskFailed {
        /// The task id.
        id: String,
        /// The end of its log.
        log: String,
    },
    /// A state the broker should not report after the previous one.
    #[error("fine-tuning task {id}: state went from {from} to {to}")]
    BadTransition {
        /// The task id.
        id: String,
        /// The previous state.
        from: String,
        /// The new state.
        to: String,
    },
    /// A local storage failure.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Result of this crate.
pub type Result<T, E = ZgError> = std::result::Result<T, E>;

/// Where content-addressed bytes live: one interface for the local store
/// (the embedded default) and 0G.
pub trait Storage {
    /// Stores `data`; returns its 0G root.
    fn put(&self, data: &[u8]) -> Result<B256>;
    /// The bytes stored under `root`, verified against it. A 0G root does
    /// not bind trailing zero bytes, so a remote backend takes the size from
    /// its node here: use [`Storage::get_sized`] when a manifest or the chain
    /// records the size.
    fn get(&self, root: &B256) -> Result<Vec<u8>>;
    /// The bytes stored under `root`, verified against it and exactly
    /// `size` bytes long (`size` from a trusted record, at most
    /// [`labelmint_storage::MAX_FILE_SIZE`]).
    fn get_sized(&self, root: &B256, size: u64) -> Result<Vec<u8>> {
        let bytes = self.get(root)?;
        if bytes.len() as u64 != size {
            return Err(ZgError::Verification {
                root: *root,
                segment: u64::MAX,
                detail: format!("{} bytes, the record says {size}", bytes.len()),
            });
        }
        Ok(bytes)
    }
}

impl Storage for LocalStore {
    fn put(&self, data: &[u8]) -> Result<B256> {
        Ok(LocalStore::put(self, data)?)
    }

    fn get(&self, root: &B256) -> Result<Vec<u8>> {
        Ok(LocalStore::get(self, root)?)
    }
}

/// 0G as a [`Storage`]: uploads through a storage node (the Flow
/// submission must already be on chain), downloads through the indexer
/// gateway when one is set, else segment by segment from the node.
pub struct ZgStorage {
    node: node::StorageNode,
    indexer: Option<transfer::Indexer>,
    options: transfer::UploadOptions,
    runtime: tokio::runtime::Runtime,
}

impl ZgStorage {
    /// A backend over the node at `node_url` (and the indexer at
    /// `indexer_url`, if any).
    pub fn new(
        node_url: &str,
        indexer_url: Option<&str>,
        retry: Retry,
        options: transfer::UploadOptions,
    ) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ZgError::Unreachable {
                url: node_url.to_string(),
                detail: format!("cannot start the I/O runtime: {e}"),
            })?;
        Ok(Self {
            node: node::StorageNode::new(node_url, retry.clone()),
            indexer: indexer_url.map(|u| transfer::Indexer::new(u, retry)),
            options,
            runtime,
        })
    }
}

impl Storage for ZgStorage {
    fn put(&self, data: &[u8]) -> Result<B256> {
        let report =
            self.runtime
                .block_on(transfer::upload(&self.node, data, &self.options, |_, _| {}))?;
        Ok(report.root)
    }

    fn get(&self, root: &B256) -> Result<Vec<u8>> {
        if let Some(indexer) = &self.indexer {
            return self.runtime.block_on(indexer.file(*root, None));
        }
        let size = self
            .runtime
            .block_on(transfer::size_on_node(&self.node, *root))?;
        self.get_sized(root, size)
    }

    fn get_sized(&self, root: &B256, size: u64) -> Result<Vec<u8>> {
        match &self.indexer {
            Some(indexer) => self.runtime.block_on(indexer.file(*root, Some(size))),
            None => self
                .runtime
                .block_on(transfer::download(&self.node, *root, size, |_, _| {})),
        }
    }
}
