//! The chain over JSON-RPC (alloy): reads, simulations with decoded
//! reverts, raw transactions, receipts, blocks and logs.

use std::time::Duration;

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_provider::{DynProvider, Provider, ProviderBuilder};
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter, Log, TransactionReceipt, TransactionRequest};
use alloy_sol_types::SolCall;
use labelmint_client::revert::{self, Program, Revert};

/// Why a call or a transaction failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RpcError {
    /// The call reverted (with the decoded error when it is one of ours).
    #[error("{}", revert_text(.revert.as_ref(), .data))]
    Reverted {
        /// The decoded error.
        revert: Option<Revert>,
        /// The raw revert data.
        data: Bytes,
    },
    /// The node refused or did not answer.
    #[error("{0}")]
    Transport(String),
    /// The answer could not be decoded.
    #[error("cannot decode the answer: {0}")]
    Decode(String),
}

fn revert_text(revert: Option<&Revert>, data: &Bytes) -> String {
    match revert {
        Some(r) => format!("reverted with {}", r.detail),
        None => revert::explain(data),
    }
}

impl RpcError {
    /// The revert's name (`TaskTaken`), if it reverted with a known error.
    pub fn revert_name(&self) -> Option<&str> {
        match self {
            Self::Reverted {
                revert: Some(r), ..
            } => Some(&r.name),
            _ => None,
        }
    }
}

/// Most JSON-RPC requests in flight at once: a node caps its connections
/// (the devnet at 100, hosted nodes lower), and a burst of API requests
/// must queue here rather than be refused there.
pub const MAX_IN_FLIGHT: usize = 32;

/// A connection to the chain.
#[derive(Clone, Debug)]
pub struct Rpc {
    provider: DynProvider,
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    clock: std::sync::Arc<std::sync::Mutex<Option<(std::time::Instant, u64)>>>,
    /// The chain id the node reports.
    pub chain_id: u64,
    /// The URL.
    pub url: String,
}

fn transport(e: impl std::fmt::Display) -> RpcError {
    RpcError::Transport(e.to_string())
}

/// `e` as a revert of `program` when the node sent revert data, else a
/// transport error.
fn classify(program: Program, e: &alloy_provider::transport::TransportError) -> RpcError {
    if let Some(data) = e
        .as_error_resp()
        .and_then(alloy_json_rpc::ErrorPayload::as_revert_data)
    {
        return RpcError::Reverted {
            revert: revert::decode_for(program, &data),
            data,
        };
    }
    if let Some(resp) = e.as_error_resp() {
        if resp.message.contains("revert") {
            return RpcError::Reverted {
                revert: None,
                data: Bytes::new(),
            };
        }
    }
    transport(e)
}

impl Rpc {
    async fn permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.permits.acquire().await.ok()
    }

    /// Connects to `url` and reads the chain id (10 s at most).
    pub async fn connect(url: &str) -> Result<Self, RpcError> {
        let parsed: url::Url = url
            .parse()
            .map_err(|e| transport(format!("bad RPC URL {url}: {e}")))?;
        let provider = ProviderBuilder::new()
            .disable_recommended_fillers()
            .connect_http(parsed)
            .erased();
        let chain_id = tokio::time::timeout(Duration::from_secs(10), provider.get_chain_id())
            .await
            .map_err(|_| transport(format!("{url} did not answer within 10 s")))?
            .map_err(|e| transport(format!("{url}: {e}")))?;
        Ok(Self {
            provider,
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT)),
            clock: std::sync::Arc::default(),
            chain_id,
            url: url.to_string(),
        })
    }

    /// Runs `data` against `to` from `from` (a simulation), returning the output.
    pub async fn call_raw(
        &self,
        program: Program,
        from: Option<Address>,
        to: Address,
        data: Bytes,
        value: U256,
    ) -> Result<Bytes, RpcError> {
        let _permit = self.permit().await;
        let mut tx = TransactionRequest::default()
            .to(to)
            .input(data.into())
            .value(value);
        if let Some(from) = from {
            tx = tx.from(from);
        }
        self.provider
            .call(tx)
            .await
            .map_err(|e| classify(program, &e))
    }

    /// Reads a view of `program` at `to`.
    pub async fn read<C: SolCall>(
        &self,
        program: Program,
        to: Address,
        call: &C,
    ) -> Result<C::Return, RpcError> {
        let out = self
            .call_raw(program, None, to, call.abi_encode().into(), U256::ZERO)
            .await?;
        C::abi_decode_returns(&out).map_err(|e| RpcError::Decode(format!("{}: {e}", C::SIGNATURE)))
    }

    /// Gas a transaction would use (reverts decoded).
    pub async fn estimate(
        &self,
        program: Program,
        from: Address,
        to: Address,
        data: Bytes,
        value: U256,
    ) -> Result<u64, RpcError> {
        let _permit = self.permit().await;
        let tx = TransactionRequest::default()
            .from(from)
            .to(to)
            .input(data.into())
            .value(value);
        self.provider
            .estimate_gas(tx)
            .await
            .map_err(|e| classify(program, &e))
    }

    /// Broadcasts a signed transaction; its hash.
    pub async fn send_raw(&self, raw: &[u8]) -> Result<B256, RpcError> {
        let _permit = self.permit().await;
        self.provider
            .send_raw_transaction(raw)
            .await
            .map(|p| *p.tx_hash())
            .map_err(|e| classify(Program::AnnotationMarket, &e))
    }

    /// The receipt of `hash`, if mined.
    pub async fn receipt(&self, hash: B256) -> Result<Option<TransactionReceipt>, RpcError> {
        let _permit = self.permit().await;
        self.provider
            .get_transaction_receipt(hash)
            .await
            .map_err(transport)
    }

    /// Whether the node knows the transaction `hash` (pending or mined).
    pub async fn knows(&self, hash: B256) -> Result<bool, RpcError> {
        let _permit = self.permit().await;
        Ok(self
            .provider
            .get_transaction_by_hash(hash)
            .await
            .map_err(transport)?
            .is_some())
    }

    /// The latest block number.
    pub async fn block_number(&self) -> Result<u64, RpcError> {
        let _permit = self.permit().await;
        self.provider.get_block_number().await.map_err(transport)
    }

    /// Hash and timestamp of block `number`, if it exists.
    pub async fn block(&self, number: u64) -> Result<Option<(B256, u64)>, RpcError> {
        let _permit = self.permit().await;
        let b = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(transport)?;
        Ok(b.map(|b| (b.header.hash, b.header.timestamp)))
    }

    /// Timestamp of the latest block (deadlines are in chain time), read
    /// at most every 200 ms.
    pub async fn now(&self) -> Result<u64, RpcError> {
        if let Ok(c) = self.clock.lock() {
            if let Some((at, t)) = *c {
                if at.elapsed() < std::time::Duration::from_millis(200) {
                    return Ok(t);
                }
            }
        }
        let t = self.latest_time().await?;
        if let Ok(mut c) = self.clock.lock() {
            *c = Some((std::time::Instant::now(), t));
        }
        Ok(t)
    }

    /// Forgets the cached chain time (after the clock was moved on a dev
    /// chain), so the next [`Self::now`] asks the node.
    pub fn forget_time(&self) {
        if let Ok(mut c) = self.clock.lock() {
            *c = None;
        }
    }

    async fn latest_time(&self) -> Result<u64, RpcError> {
        let _permit = self.permit().await;
        let b = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(transport)?
            .ok_or_else(|| transport("no latest block"))?;
        Ok(b.header.timestamp)
    }

    /// Logs of `addresses` in blocks `from..=to`.
    pub async fn logs(
        &self,
        addresses: Vec<Address>,
        from: u64,
        to: u64,
    ) -> Result<Vec<Log>, RpcError> {
        let _permit = self.permit().await;
        let filter = Filter::new()
            .address(addresses)
            .from_block(from)
            .to_block(to);
        self.provider.get_logs(&filter).await.map_err(transport)
    }

    /// The account's next nonce (`pending` includes unmined transactions).
    pub async fn nonce(&self, address: Address, pending: bool) -> Result<u64, RpcError> {
        let _permit = self.permit().await;
        let call = self.provider.get_transaction_count(address);
        if pending {
            call.pending().await.map_err(transport)
        } else {
            call.latest().await.map_err(transport)
        }
    }

    /// ETH balance.
    pub async fn balance(&self, address: Address) -> Result<U256, RpcError> {
        let _permit = self.permit().await;
        self.provider.get_balance(address).await.map_err(transport)
    }

    /// Whether `address` holds code (a contract wallet).
    pub async fn has_code(&self, address: Address) -> Result<bool, RpcError> {
        let _permit = self.permit().await;
        Ok(!self
            .provider
            .get_code_at(address)
            .await
            .map_err(transport)?
            .is_empty())
    }

    /// The node's gas price.
    pub async fn gas_price(&self) -> Result<u128, RpcError> {
        let _permit = self.permit().await;
        self.provider.get_gas_price().await.map_err(transport)
    }

    /// A raw JSON-RPC request (dev methods such as `evm_snapshot`).
    pub async fn raw_request(
        &self,
        method: &'static str,
        params: serde_json::Value,
    ) -> Result<serde_json::Value, RpcError> {
        let _permit = self.permit().await;
        self.provider
            .raw_request(method.into(), params)
            .await
            .map_err(transport)
    }
}
