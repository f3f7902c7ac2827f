//! The Ethereum JSON-RPC methods, answered synchronously on the chain thread.

use std::collections::HashMap;

use alloy_consensus::{
    Receipt as ConsensusReceipt, ReceiptEnvelope, ReceiptWithBloom, SignableTransaction,
    Transaction as _, TxEip1559, TxEnvelope,
};
use alloy_eips::{eip2718::Decodable2718, eip2718::Encodable2718, Typed2718};
use alloy_primitives::{Address, Bloom, Bytes, Signature, TxKind, B256, U256};
use alloy_rpc_types_eth::{
    state::StateOverride, Filter, FilterBlockOption, Log as RpcLog, Transaction as RpcTransaction,
    TransactionReceipt, TransactionRequest,
};
use labelmint_devnet::{
    chain::{AccountOverride, DEFAULT_TX_GAS},
    Devnet, Receipt,
};
use revm::context::TxEnv;
use serde_json::{json, Value};

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
    fn invalid_params(msg: impl std::fmt::Display) -> Self {
        Self {
            code: -32602,
            message: format!("invalid params: {msg}"),
            data: None,
        }
    }

    fn server(msg: impl std::fmt::Display) -> Self {
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
}

type R = Result<Value, RpcError>;

fn arg<T: serde::de::DeserializeOwned>(params: &Value, i: usize) -> Result<T, RpcError> {
    let v = params.get(i).cloned().unwrap_or(Value::Null);
    serde_json::from_value(v).map_err(RpcError::invalid_params)
}

fn opt_arg<T: serde::de::DeserializeOwned>(
    params: &Value,
    i: usize,
) -> Result<Option<T>, RpcError> {
    match params.get(i) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v.clone())
            .map(Some)
            .map_err(RpcError::invalid_params),
    }
}

/// Decodes an `eth_sendRawTransaction` parameter and recovers its signer.
pub fn decode_raw(params: &Value) -> Result<(TxEnvelope, Address), RpcError> {
    let raw: Bytes = arg(params, 0)?;
    let envelope = TxEnvelope::decode_2718(&mut raw.as_ref()).map_err(RpcError::invalid_params)?;
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

/// A JSON-RPC quantity: a `0x` hex string of at most 16 digits, or a
/// non-negative JSON integer.
fn parse_quantity(v: &Value, what: &str) -> Result<u64, RpcError> {
    let bad = || RpcError::invalid_params(format!("{what}: expected a 64-bit quantity, got {v}"));
    match v {
        Value::Number(n) => n.as_u64().ok_or_else(bad),
        Value::String(s) => {
            let digits = s
                .strip_prefix("0x")
                .or_else(|| s.strip_prefix("0X"))
                .ok_or_else(bad)?;
            if digits.is_empty()
                || digits.len() > 16
                || !digits.chars().all(|c| c.is_ascii_hexdigit())
            {
                return Err(bad());
            }
            u64::from_str_radix(digits, 16).map_err(|_| bad())
        }
        _ => Err(bad()),
    }
}

impl Node {
    /// A node around `chain`.
    pub fn new(chain: Devnet) -> Self {
        Self {
            chain,
            txs: HashMap::new(),
            receipts: HashMap::new(),
            time_offset: 0,
        }
    }

    fn latest(&self) -> u64 {
        self.chain.blocks().last().map_or(0, |b| b.number)
    }

    /// Resolves a block tag or number (not necessarily mined).
    fn block_number_of(&self, tag: Option<&Value>) -> Result<u64, RpcError> {
        match tag {
            None | Some(Value::Null) => Ok(self.latest()),
            Some(Value::String(s)) => match s.as_str() {
                "latest" | "pending" | "safe" | "finalized" => Ok(self.latest()),
                "earliest" => Ok(0),
                _ => parse_quantity(&Value::String(s.clone()), "block number"),
            },
            // EIP-1898 `{ "blockNumber": … }` / `{ "blockHash": … }`.
            Some(Value::Object(o)) => {
                if let Some(n) = o.get("blockNumber") {
                    return self.block_number_of(Some(n));
                }
                let hash: B256 = o
                    .get("blockHash")
                    .cloned()
                    .map(serde_json::from_value)
                    .transpose()
                    .map_err(RpcError::invalid_params)?
                    .ok_or_else(|| {
                        RpcError::invalid_params("block: expected a tag, number or hash")
                    })?;
                self.chain
                    .blocks()
                    .iter()
                    .find(|b| b.hash == hash)
                    .map(|b| b.number)
                    .ok_or_else(|| RpcError::server(format!("block {hash} not found")))
            }
            Some(other) => parse_quantity(other, "block number"),
        }
    }

    /// A block number that exists (for `eth_feeHistory`, `eth_getLogs`).
    fn mined_block(&self, tag: Option<&Value>) -> Result<u64, RpcError> {
        let n = self.block_number_of(tag)?;
        if n > self.latest() {
            return Err(RpcError::invalid_params(format!(
                "block {n} is beyond the head ({})",
                self.latest()
            )));
        }
        Ok(n)
    }

    /// State queries are answered for the latest state only.
    fn require_latest(&self, tag: Option<&Value>) -> Result<(), RpcError> {
        let n = self.block_number_of(tag)?;
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

    /// Answers one JSON-RPC call; also returns the number of a block it
    /// mined, if any (subscribers are told about it).
    #[allow(clippy::too_many_lines)]
    pub fn dispatch(&mut self, method: &str, params: &Value) -> (R, Option<u64>) {
        let mut event = None;
        let result = match method {
            "web3_clientVersion" => Ok(json!(format!(
                "labelmint-devnet/{}",
                env!("CARGO_PKG_VERSION")
            ))),
            "net_version" => Ok(json!(self.chain.chain_id().to_string())),
            "net_listening" => Ok(json!(true)),
            "eth_chainId" => Ok(quantity(self.chain.chain_id())),
            "eth_syncing" => Ok(json!(false)),
            "eth_accounts" => Ok(json!(self
                .chain
                .accounts()
                .iter()
                .map(|a| a.address)
                .collect::<Vec<_>>())),
            "eth_blockNumber" => Ok(quantity(self.latest())),
            "eth_gasPrice" | "eth_maxPriorityFeePerGas" | "eth_blobBaseFee" => Ok(quantity(0)),
            "eth_feeHistory" => self.fee_history(params),
            "eth_getBalance" => (|| {
                let a: Address = arg(params, 0)?;
                self.require_latest(params.get(1))?;
                Ok(json!(self.chain.balance(a)))
            })(),
            "eth_getTransactionCount" => (|| {
                let a: Address = arg(params, 0)?;
                self.require_latest(params.get(1))?;
                Ok(quantity(self.chain.nonce(a)))
            })(),
            "eth_getCode" => (|| {
                let a: Address = arg(params, 0)?;
                self.require_latest(params.get(1))?;
                Ok(json!(self.chain.code(a)))
            })(),
            "eth_getStorageAt" => (|| {
                let a: Address = arg(params, 0)?;
                let slot: U256 = arg(params, 1)?;
                self.require_latest(params.get(2))?;
                Ok(json!(B256::from(self.chain.storage(a, slot))))
            })(),
            "eth_call" => self.eth_call(params),
            "eth_estimateGas" => self.estimate_gas(params),
            "eth_sendRawTransaction" => self.send_raw(params, &mut event),
            "eth_sendTransaction" => self.send_unsigned(params, &mut event),
            "eth_getTransactionByHash" => self.tx_by_hash(params),
            "eth_getTransactionReceipt" => self.receipt_by_hash(params),
            "eth_getBlockByNumber" => (|| {
                let n = self.block_number_of(params.get(0))?;
                let full: bool = opt_arg(params, 1)?.unwrap_or(false);
                Ok(self.block_json(n, full).unwrap_or(Value::Null))
            })(),
            "eth_getBlockByHash" => (|| {
                let h: B256 = arg(params, 0)?;
                let full: bool = opt_arg(params, 1)?.unwrap_or(false);
                let n = self
                    .chain
                    .blocks()
                    .iter()
                    .find(|b| b.hash == h)
                    .map(|b| b.number);
                Ok(n.and_then(|n| self.block_json(n, full))
                    .unwrap_or(Value::Null))
            })(),
            "eth_getLogs" => (|| {
                let f: Filter = arg(params, 0)?;
                Ok(json!(self.logs(&f)?))
            })(),
            "evm_increaseTime" => (|| {
                let secs = parse_quantity(&arg::<Value>(params, 0)?, "seconds")?;
                let next = self
                    .chain
                    .timestamp()
                    .checked_add(secs)
                    .filter(|t| *t <= MAX_TIMESTAMP)
                    .ok_or_else(|| {
                        RpcError::invalid_params(format!(
                            "seconds: the clock would pass {MAX_TIMESTAMP}"
                        ))
                    })?;
                self.time_offset = self.time_offset.saturating_add(secs);
                self.chain.set_timestamp(next);
                Ok(json!(self.time_offset))
            })(),
            "evm_setNextBlockTimestamp" => (|| {
                let t = parse_quantity(&arg::<Value>(params, 0)?, "timestamp")?;
                if t > MAX_TIMESTAMP {
                    return Err(RpcError::invalid_params(format!(
                        "timestamp: at most {MAX_TIMESTAMP}"
                    )));
                }
                self.chain.set_timestamp(t);
                Ok(Value::Null)
            })(),
            "evm_mine" => {
                self.chain.mine();
                event = Some(self.latest());
                Ok(json!("0x0"))
            }
            "evm_snapshot" => self
                .chain
                .try_snapshot()
                .map(quantity)
                .map_err(RpcError::server),
            "evm_revert" => (|| {
                let id = parse_quantity(&arg::<Value>(params, 0)?, "snapshot id")?;
                let ok = self.chain.revert(id).is_ok();
                let latest = self.latest();
                self.txs.retain(|_, t| t.block <= latest);
                self.receipts
                    .retain(|_, i| *i < self.chain.receipts().len());
                Ok(json!(ok))
            })(),
            "anvil_setBalance" | "hardhat_setBalance" => (|| {
                let a: Address = arg(params, 0)?;
                let b: U256 = arg(params, 1)?;
                self.chain.set_balance(a, b);
                Ok(Value::Null)
            })(),
            _ => Err(RpcError {
                code: -32601,
                message: format!("method {method} not found"),
                data: None,
            }),
        };
        (result, event)
    }

    /// `eth_feeHistory(blockCount, newestBlock, rewardPercentiles?)`, checked
    /// as geth checks it: the newest block must exist, at most 1,024 blocks
    /// and 100 percentiles, percentiles in [0, 100] and non-decreasing.
    fn fee_history(&self, params: &Value) -> R {
        let count = parse_quantity(&arg::<Value>(params, 0)?, "blockCount")?;
        let newest = self.mined_block(params.get(1))?;
        let percentiles: Vec<f64> = opt_arg(params, 2)?.unwrap_or_default();
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

    fn eth_call(&mut self, params: &Value) -> R {
        let req: TransactionRequest = arg(params, 0)?;
        self.require_latest(params.get(1))?;
        let overrides: Option<StateOverride> = opt_arg(params, 2)?;
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
        let mut env = self.request_env(&req);
        // A call's sender may be overridden or fresh: use the nonce it has then.
        if let Some(o) = overrides.iter().find(|o| o.address == env.caller) {
            if let Some(n) = o.nonce {
                env.nonce = n;
            }
        }
        let r = self
            .chain
            .call_env(env, &overrides)
            .map_err(RpcError::server)?;
        if r.success {
            Ok(json!(r.output))
        } else {
            Err(RpcError::from_failure(&r))
        }
    }

    fn estimate_gas(&mut self, params: &Value) -> R {
        let req: TransactionRequest = arg(params, 0)?;
        let env = self.request_env(&req);
        match self.chain.estimate_gas(env).map_err(RpcError::server)? {
            Ok(gas) => Ok(quantity(gas)),
            Err(r) => Err(RpcError::from_failure(&r)),
        }
    }

    /// Executes a decoded, signed transaction.
    fn execute(&mut self, envelope: TxEnvelope, from: Address, event: &mut Option<u64>) -> R {
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
        let receipt = self
            .chain
            .send_env(env, Some(hash))
            .map_err(|e| RpcError::server(e.to_string()))?;
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

    fn send_raw(&mut self, params: &Value, event: &mut Option<u64>) -> R {
        let (envelope, from) = decode_raw(params)?;
        self.execute(envelope, from, event)
    }

    /// `eth_sendRawTransaction` for a transaction already decoded and
    /// recovered (the server does that off the chain thread).
    pub fn send_decoded(&mut self, envelope: TxEnvelope, from: Address) -> (R, Option<u64>) {
        let mut event = None;
        let r = self.execute(envelope, from, &mut event);
        (r, event)
    }

    /// `eth_sendTransaction` for the dev accounts: fills in the fields, signs
    /// an EIP-1559 transaction with the account's key, executes it.
    fn send_unsigned(&mut self, params: &Value, event: &mut Option<u64>) -> R {
        let req: TransactionRequest = arg(params, 0)?;
        let from = req
            .from
            .ok_or_else(|| RpcError::invalid_params("from is required"))?;
        let key = self
            .chain
            .accounts()
            .iter()
            .find(|a| a.address == from)
            .map(|a| a.key)
            .ok_or_else(|| {
                RpcError::server(format!(
                    "{from} is not a dev account; sign the transaction yourself"
                ))
            })?;
        if let Some(gas) = req.gas {
            let cap = self.chain.gas_cap();
            if gas > cap {
                return Err(RpcError::server(format!(
                    "gas limit {gas} exceeds the per-transaction cap {cap}"
                )));
            }
        }
        let mut env = self.request_env(&req);
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
        let signing =
            k256::ecdsa::SigningKey::from_slice(key.as_slice()).map_err(RpcError::server)?;
        let (sig, recid) = signing
            .sign_prehash_recoverable(tx.signature_hash().as_slice())
            .map_err(RpcError::server)?;
        let signature = Signature::from_signature_and_parity(sig, recid.is_y_odd());
        let envelope = TxEnvelope::Eip1559(tx.into_signed(signature));
        self.execute(envelope, from, event)
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

    fn tx_by_hash(&self, params: &Value) -> R {
        let h: B256 = arg(params, 0)?;
        Ok(self.rpc_tx(&h).map_or(Value::Null, |t| json!(t)))
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

    fn receipt_by_hash(&self, params: &Value) -> R {
        let h: B256 = arg(params, 0)?;
        let Some(r) = self
            .receipts
            .get(&h)
            .and_then(|i| self.chain.receipts().get(*i))
        else {
            return Ok(Value::Null);
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
        Ok(json!(TransactionReceipt {
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
        }))
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
