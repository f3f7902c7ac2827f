//! Every JSON-RPC method the node answers, declared once: its name (and
//! aliases), its variant of [`Request`], and its positional parameters with
//! their types. [`Request::parse`] turns a method name and its `params`
//! into a typed request or a JSON-RPC error (-32601 for an unknown method,
//! -32602 naming the parameter that did not parse); the chain thread then
//! matches on the variant ([`crate::rpc::Node::handle`]).

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_rpc_types_eth::{state::StateOverride, Filter, TransactionRequest};
use serde::{de::DeserializeOwned, Deserialize, Deserializer};
use serde_json::Value;

use crate::{rpc::RpcError, state::StateDump};

/// A JSON-RPC quantity: a `0x` hex string of at most 16 digits, or a
/// non-negative JSON integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity(pub u64);

/// Parses a quantity; `what` names it in the error.
pub fn parse_quantity(v: &Value, what: &str) -> Result<u64, String> {
    let bad = || format!("{what}: expected a 64-bit quantity, got {v}");
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

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        parse_quantity(&v, "quantity")
            .map(Quantity)
            .map_err(serde::de::Error::custom)
    }
}

/// A block parameter: a tag, a number, or an EIP-1898 object
/// (`{ "blockNumber": … }` / `{ "blockHash": … }`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockRef {
    /// `latest`, `pending`, `safe`, `finalized`: the head.
    Latest,
    /// `earliest`: block 0.
    Earliest,
    /// A block number.
    Number(u64),
    /// A block hash.
    Hash(B256),
}

impl BlockRef {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::String(s) => match s.as_str() {
                "latest" | "pending" | "safe" | "finalized" => Ok(Self::Latest),
                "earliest" => Ok(Self::Earliest),
                _ => parse_quantity(v, "block number").map(Self::Number),
            },
            Value::Object(o) => {
                if let Some(n) = o.get("blockNumber") {
                    return Self::from_value(n);
                }
                match o.get("blockHash") {
                    Some(h) => serde_json::from_value(h.clone())
                        .map(Self::Hash)
                        .map_err(|e| format!("blockHash: {e}")),
                    None => Err("block: expected a tag, number or hash".into()),
                }
            }
            _ => parse_quantity(v, "block number").map(Self::Number),
        }
    }
}

impl<'de> Deserialize<'de> for BlockRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Self::from_value(&v).map_err(serde::de::Error::custom)
    }
}

/// The positional parameters of a call: absent or `null` params are none;
/// anything but an array is refused.
fn positional<'a>(method: &str, params: &'a Value) -> Result<&'a [Value], RpcError> {
    match params {
        Value::Null => Ok(&[]),
        Value::Array(a) => Ok(a),
        _ => Err(RpcError::invalid_params(format!(
            "{method}: params must be an array of positional parameters"
        ))),
    }
}

/// Parameter `i` (named `name`) of `method` as a `T`; a missing one reads
/// as `null`, so optional parameters (`Option<T>`) may be left out.
fn param<T: DeserializeOwned>(
    method: &str,
    params: &[Value],
    i: usize,
    name: &str,
) -> Result<T, RpcError> {
    match params.get(i) {
        Some(v) => T::deserialize(v)
            .map_err(|e| RpcError::invalid_params(format!("{method}: param {i} ({name}): {e}"))),
        None => T::deserialize(&Value::Null)
            .map_err(|_| RpcError::invalid_params(format!("{method}: missing param {i} ({name})"))),
    }
}

macro_rules! methods {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident [$($name:literal),+] { $( $(#[doc = $fdoc:literal])* $field:ident : $ty:ty ),* $(,)? }
    )*) => {
        /// A JSON-RPC request the node answers: one variant per method (its
        /// aliases share it), with its parameters typed.
        #[derive(Debug, Clone)]
        pub enum Request {
            $(
                $(#[doc = $doc])*
                $variant { $( $(#[doc = $fdoc])* $field: $ty ),* },
            )*
        }

        /// Every method name the node answers (aliases included; besides
        /// `eth_subscribe`).
        pub const METHODS: &[&str] = &[$($($name),+),*];

        impl Request {
            /// `method` with `params` (a JSON array of positional
            /// parameters) as a typed request: -32601 for an unknown method,
            /// -32602 for too many parameters or one that does not parse.
            #[allow(unused_assignments)]
            pub fn parse(method: &str, params: &Value) -> Result<Self, RpcError> {
                match method {
                    $(
                        $($name)|+ => {
                            let params = positional(method, params)?;
                            let names: &[&str] = &[$(stringify!($field)),*];
                            if params.len() > names.len() {
                                return Err(RpcError::invalid_params(format!(
                                    "{method} takes at most {} params ({}), got {}",
                                    names.len(),
                                    names.join(", "),
                                    params.len()
                                )));
                            }
                            #[allow(unused_mut, unused_variables)]
                            let mut i = 0;
                            $(
                                let $field: $ty = param(method, params, i, stringify!($field))?;
                                i += 1;
                            )*
                            Ok(Self::$variant { $($field),* })
                        }
                    )*
                    _ => Err(RpcError::method_not_found(method)),
                }
            }
        }
    };
}

methods! {
    /// The node's name and version.
    ClientVersion ["web3_clientVersion"] {}
    /// The chain id in decimal.
    NetVersion ["net_version"] {}
    /// Always true.
    NetListening ["net_listening"] {}
    /// The chain id.
    ChainId ["eth_chainId"] {}
    /// Always false.
    Syncing ["eth_syncing"] {}
    /// The dev accounts.
    Accounts ["eth_accounts"] {}
    /// The head's number.
    BlockNumber ["eth_blockNumber"] {}
    /// 0: fees are zero on this chain.
    GasPrice ["eth_gasPrice"] {}
    /// 0.
    MaxPriorityFeePerGas ["eth_maxPriorityFeePerGas"] {}
    /// 0.
    BlobBaseFee ["eth_blobBaseFee"] {}
    /// Gas used ratios of recent blocks (fees are zero).
    FeeHistory ["eth_feeHistory"] {
        /// How many blocks.
        block_count: Quantity,
        /// The newest block (default: the head).
        newest_block: Option<BlockRef>,
        /// Reward percentiles in [0, 100], non-decreasing.
        reward_percentiles: Option<Vec<f64>>,
    }
    /// An account's balance.
    GetBalance ["eth_getBalance"] {
        /// The account.
        address: Address,
        /// Must be the head (no historical state).
        block: Option<BlockRef>,
    }
    /// An account's nonce.
    GetTransactionCount ["eth_getTransactionCount"] {
        /// The account.
        address: Address,
        /// Must be the head.
        block: Option<BlockRef>,
    }
    /// An account's code.
    GetCode ["eth_getCode"] {
        /// The account.
        address: Address,
        /// Must be the head.
        block: Option<BlockRef>,
    }
    /// A storage slot.
    GetStorageAt ["eth_getStorageAt"] {
        /// The account.
        address: Address,
        /// The slot.
        slot: U256,
        /// Must be the head.
        block: Option<BlockRef>,
    }
    /// Executes a call without committing it.
    Call ["eth_call"] {
        /// The call.
        request: TransactionRequest,
        /// Must be the head.
        block: Option<BlockRef>,
        /// State overrides applied to a copy of the state.
        overrides: Option<StateOverride>,
    }
    /// The smallest gas limit with which a transaction succeeds.
    EstimateGas ["eth_estimateGas"] {
        /// The transaction.
        request: TransactionRequest,
        /// Must be the head.
        block: Option<BlockRef>,
    }
    /// Executes a signed transaction.
    SendRawTransaction ["eth_sendRawTransaction"] {
        /// Its EIP-2718 bytes.
        raw: Bytes,
    }
    /// Signs (dev accounts) or impersonates the sender, then executes.
    SendTransaction ["eth_sendTransaction"] {
        /// The transaction (`from` required).
        request: TransactionRequest,
    }
    /// A transaction by hash.
    GetTransactionByHash ["eth_getTransactionByHash"] {
        /// Its hash.
        hash: B256,
    }
    /// A receipt by transaction hash.
    GetTransactionReceipt ["eth_getTransactionReceipt"] {
        /// The transaction's hash.
        hash: B256,
    }
    /// A block by number or tag.
    GetBlockByNumber ["eth_getBlockByNumber"] {
        /// The block (default: the head).
        block: Option<BlockRef>,
        /// Whole transactions instead of hashes.
        full: Option<bool>,
    }
    /// A block by hash.
    GetBlockByHash ["eth_getBlockByHash"] {
        /// Its hash.
        hash: B256,
        /// Whole transactions instead of hashes.
        full: Option<bool>,
    }
    /// Logs matching a filter.
    GetLogs ["eth_getLogs"] {
        /// The filter.
        filter: Filter,
    }
    /// Moves the clock forward.
    IncreaseTime ["evm_increaseTime"] {
        /// Seconds.
        seconds: Quantity,
    }
    /// Sets the next block's timestamp.
    SetNextBlockTimestamp ["evm_setNextBlockTimestamp"] {
        /// The timestamp.
        timestamp: Quantity,
    }
    /// Mines an empty block.
    Mine ["evm_mine"] {
        /// Its timestamp (default: the next one).
        timestamp: Option<Quantity>,
    }
    /// Saves the state; returns an id.
    Snapshot ["evm_snapshot"] {}
    /// Restores a saved state (and forgets later ones).
    Revert ["evm_revert"] {
        /// The snapshot id.
        id: Quantity,
    }
    /// Sets an account's balance.
    SetBalance ["anvil_setBalance", "hardhat_setBalance"] {
        /// The account.
        address: Address,
        /// The balance in wei.
        balance: U256,
    }
    /// Sets an account's code (EVM bytecode or a Stylus `0xEFF000…` program).
    SetCode ["anvil_setCode", "hardhat_setCode"] {
        /// The account.
        address: Address,
        /// The code.
        code: Bytes,
    }
    /// Sets one storage slot of an account (the value is 32 bytes).
    SetStorageAt ["anvil_setStorageAt", "hardhat_setStorageAt"] {
        /// The account.
        address: Address,
        /// The slot.
        slot: U256,
        /// The new value, 32 bytes.
        value: B256,
    }
    /// Lets `eth_sendTransaction` send from an address without its key.
    ImpersonateAccount ["anvil_impersonateAccount", "hardhat_impersonateAccount"] {
        /// The address.
        address: Address,
    }
    /// Ends an impersonation.
    StopImpersonatingAccount ["anvil_stopImpersonatingAccount", "hardhat_stopImpersonatingAccount"] {
        /// The address.
        address: Address,
    }
    /// The whole chain state as JSON (the `--dump-state` format).
    DumpState ["anvil_dumpState"] {}
    /// Replaces the chain state with a dump.
    LoadState ["anvil_loadState"] {
        /// What `anvil_dumpState` returned (or a `--dump-state` file's content).
        state: Box<StateDump>,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn typed_params_parse_with_optional_ones_left_out() {
        let r = Request::parse(
            "eth_getBalance",
            &json!(["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]),
        )
        .unwrap();
        assert!(matches!(r, Request::GetBalance { block: None, .. }));
        let r = Request::parse("eth_getBlockByNumber", &json!(["0x10", true])).unwrap();
        assert!(matches!(
            r,
            Request::GetBlockByNumber {
                block: Some(BlockRef::Number(16)),
                full: Some(true)
            }
        ));
        assert!(matches!(
            Request::parse("hardhat_setBalance", &json!([Address::ZERO, "0x1"])).unwrap(),
            Request::SetBalance { .. }
        ));
        assert!(matches!(
            Request::parse("eth_chainId", &Value::Null).unwrap(),
            Request::ChainId {}
        ));
    }

    #[test]
    fn bad_params_name_the_parameter_with_code_32602() {
        let e = Request::parse("eth_getBalance", &json!(["nope"])).unwrap_err();
        assert_eq!(e.code, -32602);
        assert!(e.message.contains("param 0 (address)"), "{}", e.message);
        let e = Request::parse("eth_getStorageAt", &json!([Address::ZERO])).unwrap_err();
        assert_eq!(e.code, -32602);
        assert!(
            e.message.contains("missing param 1 (slot)"),
            "{}",
            e.message
        );
        let e = Request::parse("eth_chainId", &json!([1])).unwrap_err();
        assert!(e.message.contains("at most 0 params"), "{}", e.message);
        let e = Request::parse("eth_getCode", &json!({ "address": "0x0" })).unwrap_err();
        assert!(e.message.contains("must be an array"), "{}", e.message);
        let e = Request::parse("evm_increaseTime", &json!(["0x1ffffffffffffffff"])).unwrap_err();
        assert!(e.message.contains("64-bit quantity"), "{}", e.message);
    }

    #[test]
    fn unknown_methods_are_32601() {
        assert_eq!(
            Request::parse("eth_nothing", &json!([])).unwrap_err().code,
            -32601
        );
    }

    #[test]
    fn every_declared_method_parses_with_its_name() {
        for &m in METHODS {
            let e = Request::parse(m, &json!([]));
            assert!(
                e.as_ref().map_or_else(|e| e.code == -32602, |_| true),
                "{m}: {e:?}"
            );
        }
    }
}
