//! The Ethereum JSON-RPC methods, answered synchronously on the chain thread:
//! [`Node::handle`] matches on a typed [`Request`] (declared once in
//! [`crate::request`]); [`Node::dispatch`] parses and handles in one step.

use std::collections::{HashMap, HashSet};

use alloy_consensus::{
    Receipt as ConsensusReceipt, ReceiptEnvelope, ReceiptWithBloom, SignableTransaction, Signed,
    Transaction as _, TxEip1559, TxEnvelope,
};
use alloy_eips::{eip2718::Decodable2718, eip2718::Encodable2718, Typed2718};
use alloy_primitives::{keccak256, Address, Bloom, Signature, TxKind, B256, U256};
use alloy_rpc_types_eth::{
    state::StateOverride, Filter, FilterBlockOption, Log as RpcLog, Transaction as RpcTransaction,
    TransactionReceipt, TransactionRequest,
};
use labelmint_devnet::{
    chain::{AccountOverride, DEFAULT_TX_GAS},
    ChainError, Devnet, Receipt, StylusTrace,
};
use revm::context::TxEnv;
use serde_json::{json, Value};

use crate::{
    labels::Labels,
    request::{BlockRef, Quantity, Request},
    state::{StateDump, TransactionDump, STATE_VERSION},
};

/// A JSON-RPC error: code, message, optional data.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    /// JSON-RPC error code.
    pub code: i32,
    /// Message.
    pub message: String,
    /// Extra data (revert data as hex).
    pub data: Option<Value>,
}

impl RpcError {
    /// -32602: the parameters did not parse or make no sense.
    pub fn invalid_params(msg: impl std::fmt::Display) -> Self {
        Self {
            code: -32602,
            message: format!("invalid params: {msg}"),
            data: None,
        }
    }

    /// -32601: no such method.
    pub fn method_not_found(method: &str) -> Self {
        Self {
            code: -32601,
            message: format!("method {method} not found"),
            data: None,
        }
    }

    /// -32000: the request was understood but cannot be served.
    pub fn server(msg: impl std::fmt::Display) -> Self {
        Self {
            code: -32000,
            message: msg.to_string(),
            data: None,
        }
    }

    /// The error for a failed call: code 3 with revert data, as geth and
    /// anvil answer.
    fn from_failure(r: &Receipt) -> Self {
        if let Some(halt) = &r.halt {
            return Self::server(format!("execution halted: {halt}"));
        }
        let mut message = "execution reverted".to_string();
        // Error(string) reason, when present.
        if r.output.len() >= 68 && r.output[..4] == [0x08, 0xc3, 0x79, 0xa0] {
            let len = U256::from_be_slice(&r.output[36..68]).saturating_to::<usize>();
            let text = 68usize
                .checked_add(len)
                .and_then(|end| r.output.get(68..end))
                .and_then(|b| std::str::from_utf8(b).ok());
            if let Some(text) = text {
                message = format!("execution reverted: {text}");
            }
        }
        Self {
            code: 3,
            message,
            data: Some(json!(r.output)),
        }
    }
}

/// Events pushed to subscribers after each block.
#[derive(Debug, Clone)]
pub struct BlockEvent {
    /// The block header as `eth_getBlockByNumber` shows it.
    pub header: Value,
    /// The block's logs as `eth_getLogs` shows them.
    pub logs: Vec<RpcLog>,
}

/// A transaction as it was sent.
struct SentTx {
    envelope: TxEnvelope,
    from: Address,
    block: u64,
}

/// The node's state: the chain plus what JSON-RPC needs to answer about it.
pub struct Node {
    /// The chain.
    pub chain: Devnet,
    txs: HashMap<B256, SentTx>,
    receipts: HashMap<B256, usize>,
    time_offset: u64,
    /// Senders `eth_sendTransaction` accepts without a key.
    impersonated: HashSet<Address>,
    /// Contract names for the transaction log.
    labels: Labels,
    /// Report Stylus traps of calls and estimates too, not only of
    /// transactions.
    trace_traps: bool,
    /// The ArbOS version the chain runs (recorded in dumps).
    arbos_version: u64,
}

type R = Result<Value, RpcError>;

/// Decodes an `eth_sendRawTransaction` parameter and recovers its signer.
pub fn decode_raw(raw: &[u8]) -> Result<(TxEnvelope, Address), RpcError> {
    let envelope = TxEnvelope::decode_2718(&mut &raw[..]).map_err(RpcError::invalid_params)?;
    let from = alloy_consensus::transaction::SignerRecoverable::recover_signer(&envelope)
        .map_err(|e| RpcError::invalid_params(format!("bad signature: {e}")))?;
    Ok((envelope, from))
}

fn quantity(n: u64) -> Value {
    json!(format!("{n:#x}"))
}

/// Most blocks one `eth_feeHistory` covers (geth and anvil: 1,024).
pub const MAX_FEE_HISTORY_BLOCKS: u64 = 1_024;
/// Most reward percentiles one `eth_feeHistory` takes (geth: 100).
pub const MAX_FEE_HISTORY_PERCENTILES: usize = 100;
/// Most logs one `eth_getLogs` returns (as hosted nodes cap it); a wider
/// query is an error asking for a narrower range.
pub const MAX_LOGS: usize = 10_000;
/// Latest timestamp `evm_increaseTime` / `evm_setNextBlockTimestamp` may
/// reach (2^63 − 1: fits every client's signed 64-bit time).
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;

/// The signature impersonated transactions carry (r = s = 1: recovers to
/// no one; the node records the sender itself).
fn impersonated_signature() -> Signature {
    Signature::new(U256::from(1), U256::from(1), false)
}

/// `tx` signed with a dev account's `key`.
fn sign_with(tx: TxEip1559, key: &B256) -> Result<TxEnvelope, RpcError> {
    let signing = k256::ecdsa::SigningKey::from_slice(key.as_slice()).map_err(RpcError::server)?;
    let (sig, recid) = signing
        .sign_prehash_recoverable(tx.signature_hash().as_slice())
        .map_err(RpcError::server)?;
    let signature = Signature::from_signature_and_parity(sig, recid.is_y_odd());
    Ok(TxEnvelope::Eip1559(tx.into_signed(signature)))
}

/// `tx` from an impersonated `from`: the placeholder signature, and a hash
/// over its bytes and the sender (two senders' identical transactions
/// differ).
fn impersonated_envelope(tx: TxEip1559, from: Address) -> TxEnvelope {
    let signed = tx.into_signed(impersonated_signature());
    let mut preimage = signed.encoded_2718();
    preimage.extend_from_slice(from.as_slice());
    let hash = keccak256(preimage);
    let (tx, signature, _) = signed.into_parts();
    TxEnvelope::Eip1559(Signed::new_unchecked(tx, signature, hash))
}

/// `, Stylus: entry 9876, ink 12345 gas (2 programs)` when programs ran.
fn stylus_part(t: &StylusTrace) -> String {
    if t.entries == 0 {
        return String::new();
    }
    let programs = if t.entries == 1 {
        String::new()
    } else {
        format!(", {} programs", t.entries)
    };
    format!(
        " (Stylus: entry {}, ink {} = {} gas{programs})",
        t.entry_gas, t.ink_used, t.ink_gas
    )
}

impl Node {
    /// A node around `chain`.
    pub fn new(chain: Devnet) -> Self {
        let arbos_version = chain.stylus_params().arbos_version;
        Self {
            chain,
            txs: HashMap::new(),
            receipts: HashMap::new(),
            time_offset: 0,
            impersonated: HashSet::new(),
            labels: Labels::none(),
            trace_traps: false,
            arbos_version,
        }
    }

    /// Names contracts in the transaction log from `labels`.
    #[must_use]
    pub fn with_labels(mut self, labels: Labels) -> Self {
        self.labels = labels;
        self
    }

    /// Also logs the trap reasons of Stylus programs in `eth_call` and
    /// `eth_estimateGas` (transactions always show theirs).
    pub fn set_trace_traps(&mut self, on: bool) {
        self.trace_traps = on;
    }

    /// The contract names the log uses.
    pub fn labels(&self) -> &Labels {
        &self.labels
    }

    fn latest(&self) -> u64 {
        self.chain.blocks().last().map_or(0, |b| b.number)
    }

    /// Resolves a block parameter (not necessarily mined; absent: the head).
    fn block_number_of(&self, block: Option<BlockRef>) -> Result<u64, RpcError> {
        match block {
            None | Some(BlockRef::Latest) => Ok(self.latest()),
            Some(BlockRef::Earliest) => Ok(0),
            Some(BlockRef::Number(n)) => Ok(n),
            Some(BlockRef::Hash(hash)) => self
                .chain
                .blocks()
                .iter()
                .find(|b| b.hash == hash)
                .map(|b| b.number)
                .ok_or_else(|| RpcError::server(format!("block {hash} not found"))),
        }
    }

    /// A block number that exists (for `eth_feeHistory`, `eth_getLogs`).
    fn mined_block(&self, block: Option<BlockRef>) -> Result<u64, RpcError> {
        let n = self.block_number_of(block)?;
        if n > self.latest() {
            return Err(RpcError::invalid_params(format!(
                "block {n} is beyond the head ({})",
                self.latest()
            )));
        }
        Ok(n)
    }

    /// State queries are answered for the latest state only.
    fn require_latest(&self, block: Option<BlockRef>) -> Result<(), RpcError> {
        let n = self.block_number_of(block)?;
        let latest = self.latest();
        match n.cmp(&latest) {
            std::cmp::Ordering::Equal => Ok(()),
            std::cmp::Ordering::Greater => Err(RpcError::server(format!(
                "block {n} not found (head is {latest})"
            ))),
            std::cmp::Ordering::Less => Err(RpcError::server(format!(
                "historical state (block {n}) is not kept by this devnet"
            ))),
        }
    }

    /// Parses and answers one JSON-RPC call; also returns the number of a
    /// block it mined, if any (subscribers are told about it).
    pub fn dispatch(&mut self, method: &str, params: &Value) -> (R, Option<u64>) {
        match Request::parse(method, params) {
            Ok(request) => self.handle(request),
            Err(e) => (Err(e), None),
        }
    }

    /// Answers one typed request; also returns the number of a block it
    /// mined, if any.
    #[allow(clippy::too_many_lines)]
    pub fn handle(&mut self, request: Request) -> (R, Option<u64>) {
        let mut event = None;
        let result = match request {
            Request::ClientVersion {} => Ok(json!(format!(
                "labelmint-node/{}",
                env!("CARGO_PKG_VERSION")
            ))),
            Request::NetVersion {} => Ok(json!(self.chain.chain_id().to_string())),
            Request::NetListening {} => Ok(json!(true)),
            Request::ChainId {} => Ok(quantity(self.chain.chain_id())),
            Request::Syncing {} => Ok(json!(false)),
            Request::Accounts {} => Ok(json!(self
                .chain
                .accounts()
                .iter()
                .map(|a| a.address)
                .collect::<Vec<_>>())),
            Request::BlockNumber {} => Ok(quantity(self.latest())),
            Request::GasPrice {} | Request::MaxPriorityFeePerGas {} | Request::BlobBaseFee {} => {
                Ok(quantity(0))
            }
            Request::FeeHistory {
                block_count,
                newest_block,
                reward_percentiles,
            } => self.fee_history(block_count.0, newest_block, reward_percentiles),
            Request::GetBalance { address, block } => self
                .require_latest(block)
                .map(|()| json!(self.chain.balance(address))),
            Request::GetTransactionCount { address, block } => self
                .require_latest(block)
                .map(|()| quantity(self.chain.nonce(address))),
            Request::GetCode { address, block } => self
                .require_latest(block)
                .map(|()| json!(self.chain.code(address))),
            Request::GetStorageAt {
                address,
                slot,
                block,
            } => self
                .require_latest(block)
                .map(|()| json!(B256::from(self.chain.storage(address, slot)))),
            Request::Call {
                request,
                block,
                overrides,
            } => self.eth_call(&request, block, overrides),
            Request::EstimateGas { request, block } => self.estimate_gas(&request, block),
            Request::SendRawTransaction { raw } => decode_raw(&raw)
                .and_then(|(envelope, from)| self.execute(envelope, from, false, &mut event)),
            Request::SendTransaction { request } => self.send_unsigned(&request, &mut event),
            Request::GetTransactionByHash { hash } => {
                Ok(self.rpc_tx(&hash).map_or(Value::Null, |t| json!(t)))
            }
            Request::GetTransactionReceipt { hash } => Ok(self.receipt_by_hash(hash)),
            Request::GetBlockByNumber { block, full } => self.block_number_of(block).map(|n| {
                self.block_json(n, full.unwrap_or(false))
                    .unwrap_or(Value::Null)
            }),
            Request::GetBlockByHash { hash, full } => {
                let n = self
                    .chain
                    .blocks()
                    .iter()
                    .find(|b| b.hash == hash)
                    .map(|b| b.number);
                Ok(n.and_then(|n| self.block_json(n, full.unwrap_or(false)))
                    .unwrap_or(Value::Null))
            }
            Request::GetLogs { filter } => self.logs(&filter).map(|logs| json!(logs)),
            Request::IncreaseTime { seconds } => self.increase_time(seconds.0),
            Request::SetNextBlockTimestamp { timestamp } => {
                self.set_next_timestamp(timestamp.0).map(|()| Value::Null)
            }
            Request::Mine { timestamp } => (|| {
                if let Some(Quantity(t)) = timestamp {
                    self.set_next_timestamp(t)?;
                }
                self.chain.mine();
                event = Some(self.latest());
                Ok(json!("0x0"))
            })(),
            Request::Snapshot {} => self
                .chain
                .try_snapshot()
                .map(quantity)
                .map_err(RpcError::server),
            Request::Revert { id } => {
                let ok = self.chain.revert(id.0).is_ok();
                self.forget_reverted();
                Ok(json!(ok))
            }
            Request::SetBalance { address, balance } => {
                self.chain.set_balance(address, balance);
                Ok(Value::Null)
            }
            Request::SetCode { address, code } => self
                .chain
                .try_set_code(address, code)
                .map(|()| Value::Null)
                .map_err(RpcError::invalid_params),
            Request::SetStorageAt {
                address,
                slot,
                value,
            } => {
                self.chain.set_storage(address, slot, value.into());
                Ok(json!(true))
            }
            Request::ImpersonateAccount { address } => {
                self.impersonated.insert(address);
                Ok(Value::Null)
            }
            Request::StopImpersonatingAccount { address } => {
                self.impersonated.remove(&address);
                Ok(Value::Null)
            }
            Request::DumpState {} => {
                serde_json::to_value(self.dump_state()).map_err(RpcError::server)
            }
            Request::LoadState { state } => self
                .load_state(&state)
                .map(|()| json!(true))
                .map_err(RpcError::invalid_params),
        };
        (result, event)
    }

    /// Drops the transactions and receipts of blocks a revert removed.
    fn forget_reverted(&mut self) {
        let latest = self.latest();
        self.txs.retain(|_, t| t.block <= latest);
        let kept = self.chain.receipts().len();
        self.receipts.retain(|_, i| *i < kept);
    }

    fn increase_time(&mut self, secs: u64) -> R {
        let next = self
            .chain
            .timestamp()
            .checked_add(secs)
            .filter(|t| *t <= MAX_TIMESTAMP)
            .ok_or_else(|| {
                RpcError::invalid_params(format!("seconds: the clock would pass {MAX_TIMESTAMP}"))
            })?;
        self.time_offset = self.time_offset.saturating_add(secs);
        self.chain.set_timestamp(next);
        Ok(json!(self.time_offset))
    }

    fn set_next_timestamp(&mut self, t: u64) -> Result<(), RpcError> {
        if t > MAX_TIMESTAMP {
            return Err(RpcError::invalid_params(format!(
                "timestamp: at most {MAX_TIMESTAMP}"
            )));
        }
        self.chain.set_timestamp(t);
        Ok(())
    }

    /// The whole state, as `--dump-state` writes it.
    pub fn dump_state(&self) -> StateDump {
        let chain = self.chain.export_state();
        let mut transactions: Vec<TransactionDump> = self
            .txs
            .iter()
            .map(|(hash, t)| TransactionDump {
                hash: *hash,
                from: t.from,
                block: t.block,
                raw: t.envelope.encoded_2718().into(),
            })
            .collect();
        transactions.sort_by_key(|t| (t.block, t.hash));
        StateDump {
            version: STATE_VERSION,
            chain_id: self.chain.chain_id(),
            arbos_version: self.arbos_version,
            block_number: self.latest(),
            next_timestamp: chain.next_timestamp,
            time_offset: self.time_offset,
            tx_counter: chain.tx_counter,
            accounts: chain
                .accounts
                .iter()
                .map(|a| (a.address, a.into()))
                .collect(),
            blocks: chain.blocks.iter().map(Into::into).collect(),
            transactions,
            receipts: chain.receipts.iter().map(Into::into).collect(),
        }
    }

    /// Replaces the whole state with `dump` (checked first: a refused dump
    /// changes nothing).
    pub fn load_state(&mut self, dump: &StateDump) -> Result<(), String> {
        if dump.version != STATE_VERSION {
            return Err(format!(
                "state format version {} (this node reads version {STATE_VERSION})",
                dump.version
            ));
        }
        if dump.chain_id != self.chain.chain_id() {
            return Err(format!(
                "the state is of chain {}, this node runs chain {}: start it with --chain-id {}",
                dump.chain_id,
                self.chain.chain_id(),
                dump.chain_id
            ));
        }
        if dump.blocks.last().map(|b| b.number) != Some(dump.block_number) {
            return Err(format!(
                "blockNumber {} is not the last block's number",
                dump.block_number
            ));
        }
        let mut txs = HashMap::new();
        for t in &dump.transactions {
            let envelope = TxEnvelope::decode_2718(&mut t.raw.as_ref())
                .map_err(|e| format!("transaction {}: {e}", t.hash))?;
            let envelope = if *envelope.tx_hash() == t.hash {
                envelope
            } else {
                // An impersonated transaction: its hash also covers the sender.
                match envelope {
                    TxEnvelope::Eip1559(signed) => {
                        let (tx, signature, _) = signed.into_parts();
                        TxEnvelope::Eip1559(Signed::new_unchecked(tx, signature, t.hash))
                    }
                    _ => return Err(format!("transaction {}: hash does not match", t.hash)),
                }
            };
            txs.insert(
                t.hash,
                SentTx {
                    envelope,
                    from: t.from,
                    block: t.block,
                },
            );
        }
        self.chain
            .restore_state(dump.chain_state())
            .map_err(|e| e.to_string())?;
        // Receipts are served for the transactions sent over JSON-RPC, as
        // before the dump.
        self.receipts = self
            .chain
            .receipts()
            .iter()
            .enumerate()
            .filter(|(_, r)| txs.contains_key(&r.tx_hash))
            .map(|(i, r)| (r.tx_hash, i))
            .collect();
        self.txs = txs;
        self.time_offset = dump.time_offset;
        Ok(())
    }

    /// `eth_feeHistory(blockCount, newestBlock, rewardPercentiles?)`, checked
    /// as geth checks it: the newest block must exist, at most 1,024 blocks
    /// and 100 percentiles, percentiles in [0, 100] and non-decreasing.
    fn fee_history(
        &self,
        count: u64,
        newest: Option<BlockRef>,
        percentiles: Option<Vec<f64>>,
    ) -> R {
        let newest = self.mined_block(newest)?;
        let percentiles = percentiles.unwrap_or_default();
        if percentiles.len() > MAX_FEE_HISTORY_PERCENTILES {
            return Err(RpcError::invalid_params(format!(
                "rewardPercentiles: at most {MAX_FEE_HISTORY_PERCENTILES} values"
            )));
        }
        let mut previous = 0.0;
        for &p in &percentiles {
            if !(0.0..=100.0).contains(&p) || p < previous {
                return Err(RpcError::invalid_params(format!(
                    "rewardPercentiles: {p} is out of [0, 100] or below the one before"
                )));
            }
            previous = p;
        }
        if count == 0 {
            return Ok(json!({
                "oldestBlock": quantity(0), "baseFeePerGas": [], "gasUsedRatio": [], "reward": [],
            }));
        }
        // newest ≤ head < u64::MAX, so newest + 1 cannot overflow.
        let count = count.min(MAX_FEE_HISTORY_BLOCKS).min(newest + 1);
        let oldest = newest + 1 - count;
        let blocks = self.chain.blocks();
        let ratios: Vec<f64> = (oldest..=newest)
            .map(|n| {
                #[allow(clippy::cast_precision_loss)]
                blocks.get(n as usize).map_or(0.0, |b| {
                    b.gas_used as f64 / labelmint_devnet::chain::BLOCK_GAS_LIMIT as f64
                })
            })
            .collect();
        Ok(json!({
            "oldestBlock": quantity(oldest),
            "baseFeePerGas": vec![quantity(0); usize::try_from(count + 1).unwrap_or(1)],
            "gasUsedRatio": ratios,
            "reward": vec![vec![quantity(0); percentiles.len()]; usize::try_from(count).unwrap_or(0)],
        }))
    }

    /// A TxEnv for an `eth_call` / `eth_estimateGas` request: gas defaults
    /// to, and is capped at, the chain's per-transaction cap (as geth's
    /// `RPCGasCap` caps calls).
    fn request_env(&self, req: &TransactionRequest) -> TxEnv {
        let from = req.from.unwrap_or_default();
        let to = match req.to {
            Some(TxKind::Call(a)) => Some(a),
            _ => None,
        };
        let data = req.input.input().cloned().unwrap_or_default();
        let cap = self.chain.gas_cap();
        let gas = req.gas.unwrap_or(DEFAULT_TX_GAS.min(cap)).min(cap);
        let mut env = self
            .chain
            .tx_env(from, to, req.value.unwrap_or_default(), data, gas);
        if let Some(n) = req.nonce {
            env.nonce = n;
        }
        env
    }

    /// With `--trace-traps`: the Stylus traps of the call just made.
    fn report_call_traps(&self, what: &str, req: &TransactionRequest) {
        if !self.trace_traps {
            return;
        }
        let trace = self.chain.stylus_trace();
        if trace.failures.is_empty() {
            return;
        }
        let to = req.to.as_ref().and_then(TxKind::to).copied();
        let input = req.input.input().map_or(&[][..], |b| &b[..]);
        tracing::info!(
            target: "labelmint_node::trap",
            "{what} {}: {}",
            self.labels.describe_call(to, input),
            self.traps(&trace)
        );
    }

    /// `trap in AnnotationMarket (0x…): wasm trap: unreachable; …`
    fn traps(&self, trace: &StylusTrace) -> String {
        trace
            .failures
            .iter()
            .map(|f| match self.labels.name(f.program) {
                Some(name) => format!("trap in {name} ({}): {}", f.program, f.reason),
                None => format!("trap in {}: {}", f.program, f.reason),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn eth_call(
        &mut self,
        req: &TransactionRequest,
        block: Option<BlockRef>,
        overrides: Option<StateOverride>,
    ) -> R {
        self.require_latest(block)?;
        let overrides: Vec<AccountOverride> = overrides
            .map(|o| {
                o.into_iter()
                    .map(|(address, a)| AccountOverride {
                        address,
                        balance: a.balance,
                        nonce: a.nonce,
                        code: a.code,
                        state: a.state.map(|s| {
                            s.into_iter()
                                .map(|(k, v)| (U256::from_be_bytes(k.0), U256::from_be_bytes(v.0)))
                                .collect()
                        }),
                        state_diff: a
                            .state_diff
                            .map(|s| {
                                s.into_iter()
                                    .map(|(k, v)| {
                                        (U256::from_be_bytes(k.0), U256::from_be_bytes(v.0))
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut env = self.request_env(req);
        // A call's sender may be overridden or fresh: use the nonce it has then.
        if let Some(o) = overrides.iter().find(|o| o.address == env.caller) {
            if let Some(n) = o.nonce {
                env.nonce = n;
            }
        }
        let r = self.chain.call_env(env, &overrides).map_err(|e| match e {
            ChainError::InvalidCode(_) => RpcError::invalid_params(format!("state override: {e}")),
            e => RpcError::server(e),
        })?;
        if r.success {
            Ok(json!(r.output))
        } else {
            self.report_call_traps("eth_call", req);
            Err(RpcError::from_failure(&r))
        }
    }

    fn estimate_gas(&mut self, req: &TransactionRequest, block: Option<BlockRef>) -> R {
        self.require_latest(block)?;
        let env = self.request_env(req);
        match self.chain.estimate_gas(env).map_err(RpcError::server)? {
            Ok(gas) => Ok(quantity(gas)),
            Err(r) => {
                self.report_call_traps("eth_estimateGas", req);
                Err(RpcError::from_failure(&r))
            }
        }
    }

    /// Executes a decoded transaction (signed, or from an impersonated
    /// sender) and logs one line about it.
    fn execute(
        &mut self,
        envelope: TxEnvelope,
        from: Address,
        impersonated: bool,
        event: &mut Option<u64>,
    ) -> R {
        let hash = *envelope.tx_hash();
        if self.txs.contains_key(&hash) {
            return Err(RpcError::server("already known"));
        }
        let access_list = envelope.access_list().cloned().unwrap_or_default();
        let env = TxEnv {
            tx_type: envelope.ty(),
            caller: from,
            gas_limit: envelope.gas_limit(),
            gas_price: envelope.max_fee_per_gas(),
            kind: envelope.kind(),
            value: envelope.value(),
            data: envelope.input().clone(),
            nonce: envelope.nonce(),
            chain_id: envelope.chain_id(),
            access_list,
            gas_priority_fee: envelope.max_priority_fee_per_gas(),
            ..TxEnv::default()
        };
        let sent = if impersonated {
            self.chain.send_impersonated(env, Some(hash))
        } else {
            self.chain.send_env(env, Some(hash))
        };
        let receipt = match sent {
            Ok(r) => r,
            Err(e) => {
                tracing::info!(
                    target: "labelmint_node::tx",
                    "tx {hash} from {from} -> {}: refused: {e}",
                    self.labels.describe_call(envelope.to(), envelope.input())
                );
                return Err(RpcError::server(e.to_string()));
            }
        };
        self.log_transaction(&receipt, envelope.input());
        let block = receipt.block_number;
        self.txs.insert(
            hash,
            SentTx {
                envelope,
                from,
                block,
            },
        );
        self.receipts.insert(hash, self.chain.receipts().len() - 1);
        *event = Some(block);
        Ok(json!(hash))
    }

    /// One line per transaction: hash, block, sender, contract and function
    /// by name, gas (with the Stylus entry and ink part), and the outcome
    /// with the revert decoded and the trap reasons of Stylus programs.
    fn log_transaction(&mut self, r: &Receipt, input: &[u8]) {
        if !tracing::enabled!(target: "labelmint_node::tx", tracing::Level::INFO) {
            return;
        }
        if let Err(e) = self.labels.refresh() {
            tracing::warn!(target: "labelmint_node::tx", "deployments manifest: {e}");
        }
        let call = match (r.to, r.contract_address) {
            (None, Some(created)) => {
                let kind = if labelmint_wasm::is_stylus_code(&self.chain.code(created)) {
                    "Stylus program"
                } else {
                    "contract"
                };
                format!("create {kind} {created}")
            }
            (to, _) => {
                let call = self.labels.describe_call(to, input);
                match r
                    .success
                    .then(|| self.labels.system_effect(to, input, &r.logs))
                {
                    Some(Some(effect)) => format!("{call} ({effect})"),
                    _ => call,
                }
            }
        };
        let trace = self.chain.stylus_trace();
        let outcome = if r.success {
            "ok".to_string()
        } else if let Some(halt) = &r.halt {
            format!("halted: {halt}")
        } else {
            format!("reverted {}", self.labels.describe_revert(r.to, &r.output))
        };
        let traps = if trace.failures.is_empty() {
            String::new()
        } else {
            format!(" [{}]", self.traps(&trace))
        };
        tracing::info!(
            target: "labelmint_node::tx",
            "tx {} block {} from {}: {call}, gas {}{}: {outcome}{traps}",
            r.tx_hash,
            r.block_number,
            r.from,
            r.gas_used,
            stylus_part(&trace)
        );
    }

    /// `eth_sendRawTransaction` for a transaction already decoded and
    /// recovered (the server does that off the chain thread).
    pub fn send_decoded(&mut self, envelope: TxEnvelope, from: Address) -> (R, Option<u64>) {
        let mut event = None;
        let r = self.execute(envelope, from, false, &mut event);
        (r, event)
    }

    /// `eth_sendTransaction` for the dev accounts and impersonated senders:
    /// fills in the fields, signs an EIP-1559 transaction with the account's
    /// key (an impersonated sender's carries a placeholder signature and a
    /// hash over its bytes and sender), executes it.
    fn send_unsigned(&mut self, req: &TransactionRequest, event: &mut Option<u64>) -> R {
        let from = req
            .from
            .ok_or_else(|| RpcError::invalid_params("from is required"))?;
        let key = self
            .chain
            .accounts()
            .iter()
            .find(|a| a.address == from)
            .map(|a| a.key);
        let impersonated = key.is_none() && self.impersonated.contains(&from);
        if key.is_none() && !impersonated {
            return Err(RpcError::server(format!(
                "{from} is not a dev account; sign the transaction yourself, or impersonate it with anvil_impersonateAccount"
            )));
        }
        if let Some(gas) = req.gas {
            let cap = self.chain.gas_cap();
            if gas > cap {
                return Err(RpcError::server(format!(
                    "gas limit {gas} exceeds the per-transaction cap {cap}"
                )));
            }
        }
        let mut env = self.request_env(req);
        if req.gas.is_none() {
            env.gas_limit = match self
                .chain
                .estimate_gas(env.clone())
                .map_err(RpcError::server)?
            {
                Ok(g) => g,
                Err(r) => return Err(RpcError::from_failure(&r)),
            };
        }
        let tx = TxEip1559 {
            chain_id: self.chain.chain_id(),
            nonce: req.nonce.unwrap_or(env.nonce),
            gas_limit: env.gas_limit,
            max_fee_per_gas: req.max_fee_per_gas.or(req.gas_price).unwrap_or(0),
            max_priority_fee_per_gas: req.max_priority_fee_per_gas.unwrap_or(0),
            to: req.to.unwrap_or(TxKind::Create),
            value: env.value,
            access_list: req.access_list.clone().unwrap_or_default(),
            input: env.data.clone(),
        };
        let envelope = match key {
            Some(key) => sign_with(tx, &key)?,
            None => impersonated_envelope(tx, from),
        };
        self.execute(envelope, from, impersonated, event)
    }

    fn rpc_tx(&self, hash: &B256) -> Option<RpcTransaction> {
        let sent = self.txs.get(hash)?;
        let block = self.chain.blocks().get(usize::try_from(sent.block).ok()?)?;
        Some(RpcTransaction {
            inner: alloy_consensus::transaction::Recovered::new_unchecked(
                sent.envelope.clone(),
                sent.from,
            ),
            block_hash: Some(block.hash),
            block_number: Some(block.number),
            transaction_index: Some(0),
            effective_gas_price: Some(sent.envelope.effective_gas_price(Some(0))),
        })
    }

    fn rpc_logs(&self, r: &Receipt) -> Vec<RpcLog> {
        let block = self
            .chain
            .blocks()
            .get(usize::try_from(r.block_number).unwrap_or(usize::MAX));
        r.logs
            .iter()
            .enumerate()
            .map(|(i, l)| RpcLog {
                inner: l.clone(),
                block_hash: block.map(|b| b.hash),
                block_number: Some(r.block_number),
                block_timestamp: block.map(|b| b.timestamp),
                transaction_hash: Some(r.tx_hash),
                transaction_index: Some(0),
                log_index: Some(i as u64),
                removed: false,
            })
            .collect()
    }

    fn receipt_by_hash(&self, h: B256) -> Value {
        let Some(r) = self
            .receipts
            .get(&h)
            .and_then(|i| self.chain.receipts().get(*i))
        else {
            return Value::Null;
        };
        let logs = self.rpc_logs(r);
        let mut bloom = Bloom::default();
        for l in &r.logs {
            bloom.accrue_log(l);
        }
        let receipt = ReceiptWithBloom {
            receipt: ConsensusReceipt {
                status: r.success.into(),
                cumulative_gas_used: r.gas_used,
                logs,
            },
            logs_bloom: bloom,
        };
        let ty = self.txs.get(&h).map_or(2, |t| t.envelope.ty());
        let inner = match ty {
            0 => ReceiptEnvelope::Legacy(receipt),
            1 => ReceiptEnvelope::Eip2930(receipt),
            4 => ReceiptEnvelope::Eip7702(receipt),
            _ => ReceiptEnvelope::Eip1559(receipt),
        };
        let block_hash = self
            .chain
            .blocks()
            .get(usize::try_from(r.block_number).unwrap_or(usize::MAX))
            .map(|b| b.hash);
        json!(TransactionReceipt {
            inner,
            transaction_hash: r.tx_hash,
            transaction_index: Some(0),
            block_hash,
            block_number: Some(r.block_number),
            gas_used: r.gas_used,
            effective_gas_price: 0,
            blob_gas_used: None,
            blob_gas_price: None,
            from: r.from,
            to: r.to,
            contract_address: r.contract_address,
        })
    }

    fn block_json(&self, n: u64, full: bool) -> Option<Value> {
        let b = self.chain.blocks().get(usize::try_from(n).ok()?)?;
        let mut bloom = Bloom::default();
        for h in &b.transactions {
            if let Some(r) = self
                .receipts
                .get(h)
                .and_then(|i| self.chain.receipts().get(*i))
            {
                for l in &r.logs {
                    bloom.accrue_log(l);
                }
            }
        }
        let txs: Vec<Value> = b
            .transactions
            .iter()
            .map(|h| {
                if full {
                    self.rpc_tx(h).map_or(json!(h), |t| json!(t))
                } else {
                    json!(h)
                }
            })
            .collect();
        Some(json!({
            "number": quantity(b.number),
            "hash": b.hash,
            "parentHash": b.parent_hash,
            "nonce": "0x0000000000000000",
            "sha3Uncles": "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347",
            "logsBloom": bloom,
            "transactionsRoot": B256::ZERO,
            "stateRoot": B256::ZERO,
            "receiptsRoot": B256::ZERO,
            "miner": Address::ZERO,
            "difficulty": "0x0",
            "totalDifficulty": "0x0",
            "extraData": "0x",
            "size": "0x0",
            "gasLimit": quantity(labelmint_devnet::chain::BLOCK_GAS_LIMIT),
            "gasUsed": quantity(b.gas_used),
            "timestamp": quantity(b.timestamp),
            "transactions": txs,
            "uncles": [],
            "baseFeePerGas": "0x0",
            "mixHash": B256::ZERO,
            "withdrawals": [],
            "withdrawalsRoot": "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421",
        }))
    }

    fn logs(&self, f: &Filter) -> Result<Vec<RpcLog>, RpcError> {
        let latest = self.latest();
        let (from, to) = match &f.block_option {
            FilterBlockOption::AtBlockHash(h) => {
                let n = self
                    .chain
                    .blocks()
                    .iter()
                    .find(|b| b.hash == *h)
                    .map(|b| b.number)
                    .ok_or_else(|| RpcError::server("unknown block hash"))?;
                (n, n)
            }
            FilterBlockOption::Range {
                from_block,
                to_block,
            } => {
                let resolve = |b: &Option<alloy_eips::BlockNumberOrTag>, default: u64| match b {
                    Some(alloy_eips::BlockNumberOrTag::Number(n)) => *n,
                    Some(alloy_eips::BlockNumberOrTag::Earliest) => 0,
                    _ => default,
                };
                let (from, to) = (resolve(from_block, latest), resolve(to_block, latest));
                if from > latest {
                    return Err(RpcError::invalid_params(format!(
                        "fromBlock {from} is beyond the head ({latest})"
                    )));
                }
                if from > to {
                    return Err(RpcError::invalid_params(format!(
                        "fromBlock {from} is after toBlock {to}"
                    )));
                }
                (from, to)
            }
        };
        let mut out = Vec::new();
        for r in self.chain.receipts() {
            if r.block_number < from || r.block_number > to || !r.success {
                continue;
            }
            out.extend(
                self.rpc_logs(r)
                    .into_iter()
                    .filter(|log| Self::log_matches(f, log)),
            );
            if out.len() > MAX_LOGS {
                return Err(RpcError::server(format!(
                    "query returns more than {MAX_LOGS} logs; narrow the block range"
                )));
            }
        }
        Ok(out)
    }

    /// What subscribers learn about block `n`.
    pub fn event_for(&self, n: u64) -> BlockEvent {
        let mut header = self.block_json(n, false).unwrap_or(Value::Null);
        if let Some(o) = header.as_object_mut() {
            o.remove("transactions");
        }
        let logs = self
            .chain
            .receipts()
            .iter()
            .filter(|r| r.block_number == n && r.success)
            .flat_map(|r| self.rpc_logs(r))
            .collect();
        BlockEvent { header, logs }
    }

    /// Whether a log matches an `eth_subscribe("logs", filter)` filter.
    pub fn log_matches(filter: &Filter, log: &RpcLog) -> bool {
        let topics = log.inner.data.topics();
        (filter.address.is_empty() || filter.address.matches(&log.inner.address))
            && filter
                .topics
                .iter()
                .enumerate()
                .all(|(i, t)| t.is_empty() || topics.get(i).is_some_and(|v| t.matches(v)))
    }

    /// The raw bytes of a sent transaction (for tests).
    pub fn raw_tx(&self, hash: &B256) -> Option<Vec<u8>> {
        self.txs.get(hash).map(|t| t.envelope.encoded_2718())
    }
}
