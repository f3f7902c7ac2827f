//! The chain state as JSON: what `--dump-state FILE` writes and
//! `anvil_dumpState` returns, and what `--load-state FILE` and
//! `anvil_loadState` start from.
//!
//! It holds every account (balance, nonce, code, non-zero storage — Stylus
//! programs are code like any other, and their activation records live in
//! ArbWasm's storage at `0x…71`, so they travel with it), every block
//! (number, hash, parent, timestamp, gas, transaction hashes), every
//! transaction (its signed EIP-2718 bytes and sender) and receipt, and the
//! next block's timestamp. Loading it gives the same answers to every
//! query; compiled programs are rebuilt on their first call. Snapshots
//! (`evm_snapshot`) and impersonations are not kept.

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bytes, Log, B256, U256};
use labelmint_devnet::{AccountState, BlockRecord, ChainState, Receipt};
use serde::{Deserialize, Serialize};

/// The format's version; a dump of another version is refused.
pub const STATE_VERSION: u32 = 1;

/// The whole state of a node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StateDump {
    /// [`STATE_VERSION`].
    pub version: u32,
    /// The chain id it was dumped from (a node with another id refuses it).
    pub chain_id: u64,
    /// The ArbOS version the chain ran (informative: a node started with
    /// another `--arbos-version` loads it, and programs activated at another
    /// Stylus version then need an upgrade, as on Arbitrum).
    pub arbos_version: u64,
    /// The head: the last mined block's number.
    pub block_number: u64,
    /// The timestamp the next block gets.
    pub next_timestamp: u64,
    /// Seconds `evm_increaseTime` added so far.
    pub time_offset: u64,
    /// Transactions executed (seeds synthetic hashes).
    pub tx_counter: u64,
    /// Every account, by address.
    pub accounts: BTreeMap<Address, AccountDump>,
    /// Every block, genesis first.
    pub blocks: Vec<BlockDump>,
    /// Every transaction sent over JSON-RPC.
    pub transactions: Vec<TransactionDump>,
    /// Every receipt, in order.
    pub receipts: Vec<ReceiptDump>,
}

/// One account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountDump {
    /// Balance in wei.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// Code (`0x` for an account without).
    pub code: Bytes,
    /// Non-zero storage slots.
    pub storage: BTreeMap<U256, U256>,
}

/// One block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BlockDump {
    /// Number.
    pub number: u64,
    /// Hash.
    pub hash: B256,
    /// Parent's hash.
    pub parent_hash: B256,
    /// Timestamp.
    pub timestamp: u64,
    /// Gas its transactions used.
    pub gas_used: u64,
    /// Its transactions' hashes.
    pub transactions: Vec<B256>,
}

/// One transaction as it was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransactionDump {
    /// Its hash on this chain (for an impersonated sender it is not the
    /// hash of `raw`).
    pub hash: B256,
    /// Its sender.
    pub from: Address,
    /// The block it is in.
    pub block: u64,
    /// Its EIP-2718 bytes.
    pub raw: Bytes,
}

/// One receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReceiptDump {
    /// Transaction hash.
    pub tx_hash: B256,
    /// Block number.
    pub block_number: u64,
    /// Sender.
    pub from: Address,
    /// Recipient (none for a creation).
    pub to: Option<Address>,
    /// Whether it succeeded.
    pub success: bool,
    /// Gas used.
    pub gas_used: u64,
    /// Logs.
    pub logs: Vec<Log>,
    /// Return or revert data.
    pub output: Bytes,
    /// Created contract.
    pub contract_address: Option<Address>,
    /// Why it halted.
    pub halt: Option<String>,
}

impl From<&AccountState> for AccountDump {
    fn from(a: &AccountState) -> Self {
        Self {
            balance: a.balance,
            nonce: a.nonce,
            code: a.code.clone(),
            storage: a.storage.iter().copied().collect(),
        }
    }
}

impl From<&BlockRecord> for BlockDump {
    fn from(b: &BlockRecord) -> Self {
        Self {
            number: b.number,
            hash: b.hash,
            parent_hash: b.parent_hash,
            timestamp: b.timestamp,
            gas_used: b.gas_used,
            transactions: b.transactions.clone(),
        }
    }
}

impl From<BlockDump> for BlockRecord {
    fn from(b: BlockDump) -> Self {
        Self {
            number: b.number,
            hash: b.hash,
            parent_hash: b.parent_hash,
            timestamp: b.timestamp,
            gas_used: b.gas_used,
            transactions: b.transactions,
        }
    }
}

impl From<&Receipt> for ReceiptDump {
    fn from(r: &Receipt) -> Self {
        Self {
            tx_hash: r.tx_hash,
            block_number: r.block_number,
            from: r.from,
            to: r.to,
            success: r.success,
            gas_used: r.gas_used,
            logs: r.logs.clone(),
            output: r.output.clone(),
            contract_address: r.contract_address,
            halt: r.halt.clone(),
        }
    }
}

impl From<ReceiptDump> for Receipt {
    fn from(r: ReceiptDump) -> Self {
        Self {
            tx_hash: r.tx_hash,
            block_number: r.block_number,
            from: r.from,
            to: r.to,
            success: r.success,
            gas_used: r.gas_used,
            logs: r.logs,
            output: r.output,
            contract_address: r.contract_address,
            halt: r.halt,
        }
    }
}

impl StateDump {
    /// The chain part of the dump, as the devnet restores it.
    pub fn chain_state(&self) -> ChainState {
        ChainState {
            accounts: self
                .accounts
                .iter()
                .map(|(address, a)| AccountState {
                    address: *address,
                    balance: a.balance,
                    nonce: a.nonce,
                    code: a.code.clone(),
                    storage: a.storage.iter().map(|(k, v)| (*k, *v)).collect(),
                })
                .collect(),
            blocks: self.blocks.iter().cloned().map(Into::into).collect(),
            receipts: self.receipts.iter().cloned().map(Into::into).collect(),
            next_timestamp: self.next_timestamp,
            tx_counter: self.tx_counter,
        }
    }
}
