//! The chain as a library: funded dev accounts, transactions and calls,
//! deployment and activation of Stylus programs, time travel and snapshots.

use alloy_sol_types::{SolCall, SolError, SolEvent};
use revm::{
    bytecode::Bytecode,
    context::{BlockEnv, CfgEnv, Context, TxEnv},
    context_interface::result::{ExecutionResult, Output},
    database::{CacheDB, EmptyDB},
    primitives::{keccak256, Address, Bytes, Log, TxKind, B256, U256},
    state::AccountInfo,
    ExecuteCommitEvm, ExecuteEvm,
};

use crate::{
    deployer::{IStylusDeployer, STYLUS_DEPLOYER},
    evm::{build, Ctx, Db, DevError, SPEC},
    params::StylusParams,
    precompiles::{ArbWasm, StylusPrecompiles, StylusTrace, ARB_WASM},
};

/// Default chain id (Nitro's dev chain).
pub const DEFAULT_CHAIN_ID: u64 = 412_346;
/// Balance of every dev account at genesis: 10,000 ETH.
pub const DEV_BALANCE_WEI: u128 = 10_000 * 10u128.pow(18);
/// Gas limit of a block.
pub const BLOCK_GAS_LIMIT: u64 = 1_125_899_906_842_624;
/// Gas limit used when a caller does not give one.
pub const DEFAULT_TX_GAS: u64 = 30_000_000;
/// Largest gas limit one transaction may carry (Arbitrum's per-transaction
/// limit, 32 M): more is refused, and calls are capped to it. Configurable
/// with [`Devnet::set_gas_cap`].
pub const MAX_TX_GAS: u64 = 32_000_000;
/// Largest EVM memory of one transaction's frames, in bytes (revm's
/// memory limit; gas already bounds memory, this bounds it outright).
pub const MAX_EVM_MEMORY: u64 = 32 * 1024 * 1024;
/// Most Stylus programs on one call stack (a program calling out runs its
/// callee on the native stack of the chain thread): a call that would nest
/// deeper fails like an EVM call past the depth limit.
pub const MAX_STYLUS_DEPTH: usize = 128;
/// Native stack the chain thread needs for [`MAX_STYLUS_DEPTH`] nested
/// programs, with room to spare (checked at the bound by the
/// `nested_programs_stop_at_the_bound_within_the_chain_stack` test, on a
/// debug build, whose frames are the largest). Run a [`Devnet`] on a thread
/// with at least this stack (`labelmint-devnet` does).
pub const CHAIN_STACK_SIZE: usize = 64 * 1024 * 1024;
/// Most snapshots kept at once (each holds a copy of the state); reverting
/// one frees it and every later one.
pub const MAX_SNAPSHOTS: usize = 100;
/// First block's timestamp.
const GENESIS_TIMESTAMP: u64 = 1_767_225_600;

/// Private keys of the first ten accounts of the well-known test mnemonic
/// ("test test test test test test test test test test test junk").
pub const DEV_KEYS: [&str; 10] = [
    "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "dbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
];

/// A funded account whose key is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevAccount {
    /// Its address.
    pub address: Address,
    /// Its secp256k1 private key.
    pub key: B256,
}

/// The address of a secp256k1 private key.
pub fn address_of_key(key: &B256) -> Address {
    let signing = k256::ecdsa::SigningKey::from_slice(key.as_slice()).expect("valid dev key");
    let point = signing.verifying_key().to_encoded_point(false);
    Address::from_slice(&keccak256(&point.as_bytes()[1..])[12..])
}

/// What a transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Hash identifying the transaction on this chain.
    pub tx_hash: B256,
    /// Block it was mined in.
    pub block_number: u64,
    /// Sender.
    pub from: Address,
    /// Recipient (`None` for a creation).
    pub to: Option<Address>,
    /// Whether it succeeded.
    pub success: bool,
    /// Gas used, as a receipt reports it (after refunds).
    pub gas_used: u64,
    /// Logs emitted (empty when it failed).
    pub logs: Vec<Log>,
    /// Return data, or revert data.
    pub output: Bytes,
    /// Created contract, for a successful creation.
    pub contract_address: Option<Address>,
    /// Why it halted, when it halted without revert data.
    pub halt: Option<String>,
}

impl Receipt {
    /// Fails with the revert data decoded as `E`, or a description.
    pub fn expect_success(&self) -> &Self {
        assert!(
            self.success,
            "transaction failed: halt={:?} output=0x{}",
            self.halt,
            hex(&self.output)
        );
        self
    }

    /// Whether it reverted with exactly the error `e` (selector and arguments).
    pub fn reverted_with<E: SolError>(&self, e: &E) -> bool {
        !self.success && self.output[..] == e.abi_encode()[..]
    }
}

fn hex(b: &[u8]) -> String {
    use std::fmt::Write as _;
    b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

/// A mined block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRecord {
    /// Its number.
    pub number: u64,
    /// Its hash: keccak256 over number, parent hash, timestamp and the
    /// transaction hashes (consistent on this chain; not an RLP header hash).
    pub hash: B256,
    /// The previous block's hash.
    pub parent_hash: B256,
    /// Its timestamp.
    pub timestamp: u64,
    /// Gas used by its transactions.
    pub gas_used: u64,
    /// Its transactions, in order.
    pub transactions: Vec<B256>,
}

/// Why a chain operation failed before producing a receipt.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// revm rejected the transaction (nonce, balance, gas limit, …).
    #[error("transaction rejected: {0}")]
    Rejected(String),
    /// A transaction the helper sent failed.
    #[error("transaction failed: {0:?}")]
    Failed(Box<Receipt>),
    /// Return data did not decode.
    #[error("cannot decode return data: {0}")]
    Decode(String),
    /// Unknown snapshot id.
    #[error("unknown snapshot {0}")]
    UnknownSnapshot(u64),
    /// [`MAX_SNAPSHOTS`] snapshots are already kept.
    #[error("{0} snapshots are kept already: revert one first")]
    TooManySnapshots(usize),
    /// The execution ran past its wall-clock budget; nothing was committed.
    #[error("execution stopped after its {0:?} time budget; nothing was committed")]
    TimeBudget(std::time::Duration),
    /// Code revm cannot hold: it starts with `0xef01` (EIP-7702) but is no
    /// 23-byte delegation designator.
    #[error("invalid code: {0}")]
    InvalidCode(String),
    /// A state given to [`Devnet::restore_state`] is inconsistent.
    #[error("invalid chain state: {0}")]
    BadState(String),
}

/// `code` as revm bytecode, refusing a malformed EIP-7702 designator
/// (`Bytecode::new_raw` would panic on it).
fn bytecode(code: Bytes) -> Result<Bytecode, ChainError> {
    Bytecode::new_raw_checked(code).map_err(|e| ChainError::InvalidCode(format!("{e:?}")))
}

/// One account as [`Devnet::account_states`] reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountState {
    /// The account.
    pub address: Address,
    /// Its balance in wei.
    pub balance: U256,
    /// Its nonce.
    pub nonce: u64,
    /// Its code (empty for an EOA); a Stylus program's `0xEFF000 ‖ …` code.
    pub code: Bytes,
    /// Its non-zero storage slots, in slot order.
    pub storage: Vec<(U256, U256)>,
}

/// What [`Devnet::export_state`] saves and [`Devnet::restore_state`] loads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainState {
    /// Every account, in address order.
    pub accounts: Vec<AccountState>,
    /// Every mined block, genesis first (numbered 0, 1, 2, …).
    pub blocks: Vec<BlockRecord>,
    /// Every receipt, in order.
    pub receipts: Vec<Receipt>,
    /// Timestamp the next block gets.
    pub next_timestamp: u64,
    /// Transactions executed so far (seeds the synthetic hashes of
    /// transactions sent without one).
    pub tx_counter: u64,
}

/// State changes applied to a copy of the state for one call
/// (`eth_call` state overrides).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountOverride {
    /// The account.
    pub address: Address,
    /// Replacement balance.
    pub balance: Option<U256>,
    /// Replacement nonce.
    pub nonce: Option<u64>,
    /// Replacement code.
    pub code: Option<Bytes>,
    /// Replacement of the whole storage.
    pub state: Option<Vec<(U256, U256)>>,
    /// Individual storage slots to set.
    pub state_diff: Vec<(U256, U256)>,
}

/// A saved state.
struct Snapshot {
    db: Db,
    block: BlockEnv,
    receipts: usize,
    blocks: usize,
}

/// A local Stylus chain.
pub struct Devnet {
    ctx: Option<Ctx>,
    precompiles: StylusPrecompiles,
    accounts: Vec<DevAccount>,
    receipts: Vec<Receipt>,
    blocks: Vec<BlockRecord>,
    current: Vec<B256>,
    snapshots: Vec<Option<Snapshot>>,
    tx_counter: u64,
    time_budget: std::time::Duration,
}

impl Default for Devnet {
    fn default() -> Self {
        Self::new()
    }
}

impl Devnet {
    /// A chain with id 412346 and ten funded dev accounts.
    pub fn new() -> Self {
        Self::with_chain_id(DEFAULT_CHAIN_ID)
    }

    /// A chain with `chain_id`, ten funded dev accounts and Nitro's default
    /// Stylus parameters.
    pub fn with_chain_id(chain_id: u64) -> Self {
        Self::with_config(chain_id, StylusParams::default())
    }

    /// A chain with `chain_id`, ten funded dev accounts and the given Stylus
    /// parameters (e.g. `StylusParams::for_arbos(60)`).
    pub fn with_config(chain_id: u64, params: StylusParams) -> Self {
        let mut db = CacheDB::new(EmptyDB::new());
        let accounts: Vec<DevAccount> = DEV_KEYS
            .iter()
            .map(|k| {
                let key: B256 = k.parse().expect("dev key hex");
                DevAccount {
                    address: address_of_key(&key),
                    key,
                }
            })
            .collect();
        for a in &accounts {
            db.insert_account_info(
                a.address,
                AccountInfo {
                    balance: U256::from(DEV_BALANCE_WEI),
                    ..AccountInfo::default()
                },
            );
        }
        // System accounts carry a one-byte code so they are never "empty";
        // the deployer's nonce starts at 1 like any contract's.
        for (address, nonce) in [(ARB_WASM, 0), (STYLUS_DEPLOYER, 1)] {
            db.insert_account_info(
                address,
                AccountInfo {
                    nonce,
                    code: Some(Bytecode::new_raw(Bytes::from_static(&[0xfe]))),
                    code_hash: keccak256([0xfe]),
                    ..AccountInfo::default()
                },
            );
        }
        let mut cfg = CfgEnv::new_with_spec(SPEC);
        cfg.chain_id = chain_id;
        cfg.disable_eip3541 = true;
        // Nitro applies the EIP-7623 calldata floor only when the chain owner
        // enables "increased calldata price" (off by default).
        cfg.disable_eip7623 = true;
        cfg.limit_contract_code_size = Some(labelmint_wasm::MAX_CODE_SIZE);
        cfg.tx_gas_limit_cap = Some(MAX_TX_GAS);
        cfg.memory_limit = MAX_EVM_MEMORY;
        let block = BlockEnv {
            number: U256::from(1),
            timestamp: U256::from(GENESIS_TIMESTAMP),
            gas_limit: BLOCK_GAS_LIMIT,
            basefee: 0,
            ..BlockEnv::default()
        };
        let mut ctx: Ctx = Context::new(db, SPEC);
        ctx.cfg = cfg;
        ctx.block = block;
        Self {
            ctx: Some(ctx),
            precompiles: StylusPrecompiles::with_params(SPEC, params),
            accounts,
            receipts: Vec::new(),
            blocks: vec![BlockRecord {
                number: 0,
                hash: keccak256(b"labelmint devnet genesis"),
                parent_hash: B256::ZERO,
                timestamp: GENESIS_TIMESTAMP - 1,
                gas_used: 0,
                transactions: Vec::new(),
            }],
            current: Vec::new(),
            snapshots: Vec::new(),
            tx_counter: 0,
            time_budget: crate::budget::DEFAULT_TIME_BUDGET,
        }
    }

    fn ctx(&self) -> &Ctx {
        self.ctx.as_ref().expect("context present between calls")
    }

    fn ctx_mut(&mut self) -> &mut Ctx {
        self.ctx.as_mut().expect("context present between calls")
    }

    fn db(&self) -> &Db {
        &self.ctx().journaled_state.database
    }

    /// The funded dev accounts.
    pub fn accounts(&self) -> &[DevAccount] {
        &self.accounts
    }

    /// Address of dev account `i`.
    pub fn account(&self, i: usize) -> Address {
        self.accounts[i].address
    }

    /// The chain's Stylus parameters.
    pub fn stylus_params(&self) -> StylusParams {
        self.precompiles.params()
    }

    /// Replaces the chain's Stylus parameters (as an ArbOS upgrade or the
    /// chain owner would).
    pub fn set_stylus_params(&self, params: StylusParams) {
        self.precompiles.set_params(params);
    }

    /// The precompile provider (ArbWasm, ArbWasmCache, program execution).
    pub fn precompiles(&self) -> &StylusPrecompiles {
        &self.precompiles
    }

    /// Lets Stylus programs run without activation (development only).
    pub fn set_auto_activate(&self, on: bool) {
        self.precompiles.set_auto_activate(on);
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.ctx().cfg.chain_id
    }

    /// Number of the block the next transaction goes into.
    pub fn block_number(&self) -> u64 {
        self.ctx().block.number.saturating_to()
    }

    /// Timestamp of the block the next transaction goes into.
    pub fn timestamp(&self) -> u64 {
        self.ctx().block.timestamp.saturating_to()
    }

    /// Balance of `address`.
    pub fn balance(&self, address: Address) -> U256 {
        self.db()
            .cache
            .accounts
            .get(&address)
            .map_or(U256::ZERO, |a| a.info.balance)
    }

    /// Nonce of `address`.
    pub fn nonce(&self, address: Address) -> u64 {
        self.db()
            .cache
            .accounts
            .get(&address)
            .map_or(0, |a| a.info.nonce)
    }

    /// Code of `address`.
    pub fn code(&self, address: Address) -> Bytes {
        self.db()
            .cache
            .accounts
            .get(&address)
            .and_then(|a| a.info.code.as_ref())
            .map_or_else(Bytes::new, Bytecode::original_bytes)
    }

    /// Storage slot of `address`.
    pub fn storage(&self, address: Address, slot: U256) -> U256 {
        self.db()
            .cache
            .accounts
            .get(&address)
            .and_then(|a| a.storage.get(&slot).copied())
            .unwrap_or_default()
    }

    /// Sets the balance of `address`.
    pub fn set_balance(&mut self, address: Address, balance: U256) {
        let db = &mut self.ctx_mut().journaled_state.database;
        let mut info = db
            .cache
            .accounts
            .get(&address)
            .map(|a| a.info.clone())
            .unwrap_or_default();
        info.balance = balance;
        db.insert_account_info(address, info);
    }

    /// Sets storage slot `slot` of `address` to `value` (as
    /// `anvil_setStorageAt` does): a test can put a counter at its limit
    /// without the millions of transactions it would take to get there.
    pub fn set_storage(&mut self, address: Address, slot: U256, value: U256) {
        let db = &mut self.ctx_mut().journaled_state.database;
        // A new entry is an existing, empty account (not revm's "not
        // existing", which a state dump leaves out): anvil keeps it too.
        match db.cache.accounts.entry(address) {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                let account = e.get_mut();
                if account.account_state == revm::database::AccountState::NotExisting {
                    account.account_state = revm::database::AccountState::None;
                }
                account.storage.insert(slot, value);
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(revm::database::DbAccount::default())
                    .storage
                    .insert(slot, value);
            }
        }
    }

    /// Sets the code of `address` (as `anvil_setCode` does); an EIP-7702
    /// delegation designator `0xef0100 ‖ address` makes it a delegated EOA.
    ///
    /// # Panics
    /// When `code` starts with `0xef01` but is no valid delegation
    /// designator; [`Devnet::try_set_code`] returns an error instead.
    pub fn set_code(&mut self, address: Address, code: Bytes) {
        self.try_set_code(address, code)
            .expect("valid code (see try_set_code)");
    }

    /// [`Devnet::set_code`], refusing code that starts with `0xef01` but is
    /// no 23-byte EIP-7702 delegation designator (revm cannot hold it).
    pub fn try_set_code(&mut self, address: Address, code: Bytes) -> Result<(), ChainError> {
        let code = bytecode(code)?;
        let db = &mut self.ctx_mut().journaled_state.database;
        let mut info = db
            .cache
            .accounts
            .get(&address)
            .map(|a| a.info.clone())
            .unwrap_or_default();
        info.code_hash = code.hash_slow();
        info.code = Some(code);
        db.insert_account_info(address, info);
        Ok(())
    }

    /// Every account of the state with its balance, nonce, code and
    /// non-zero storage, in address order (system accounts and program
    /// activation records included: they live in ArbWasm's storage).
    pub fn account_states(&self) -> Vec<AccountState> {
        let mut accounts: Vec<AccountState> = self
            .db()
            .cache
            .accounts
            .iter()
            .filter(|(_, a)| a.account_state != revm::database::AccountState::NotExisting)
            .map(|(address, a)| {
                let mut storage: Vec<(U256, U256)> = a
                    .storage
                    .iter()
                    .filter(|(_, v)| !v.is_zero())
                    .map(|(k, v)| (*k, *v))
                    .collect();
                storage.sort_unstable();
                AccountState {
                    address: *address,
                    balance: a.info.balance,
                    nonce: a.info.nonce,
                    code: a
                        .info
                        .code
                        .as_ref()
                        .map_or_else(Bytes::new, Bytecode::original_bytes),
                    storage,
                }
            })
            .collect();
        accounts.sort_unstable_by_key(|a| a.address);
        accounts
    }

    /// Everything the chain holds that outlives a restart: accounts,
    /// blocks, receipts, the next block's timestamp (see
    /// [`Devnet::restore_state`]). Snapshots are not part of it.
    pub fn export_state(&self) -> ChainState {
        ChainState {
            accounts: self.account_states(),
            blocks: self.blocks.clone(),
            receipts: self.receipts.clone(),
            next_timestamp: self.timestamp(),
            tx_counter: self.tx_counter,
        }
    }

    /// Replaces the whole state with `state` (what [`Devnet::export_state`]
    /// returned, possibly from another process): accounts, blocks and
    /// receipts; the next block follows the last one. Snapshots are
    /// forgotten. Checked first, so a refused state changes nothing.
    pub fn restore_state(&mut self, state: ChainState) -> Result<(), ChainError> {
        let bad = |why: String| ChainError::BadState(why);
        if state.blocks.is_empty() {
            return Err(bad("no blocks (the genesis block is required)".into()));
        }
        for (i, b) in state.blocks.iter().enumerate() {
            if b.number != i as u64 {
                return Err(bad(format!(
                    "block {i} is numbered {} (blocks must run 0, 1, 2, …)",
                    b.number
                )));
            }
        }
        let head = state.blocks.len() as u64 - 1;
        if let Some(r) = state.receipts.iter().find(|r| r.block_number > head) {
            return Err(bad(format!(
                "receipt {} is in block {}, past the last block {head}",
                r.tx_hash, r.block_number
            )));
        }
        let mut db = CacheDB::new(EmptyDB::new());
        for a in state.accounts {
            let code = bytecode(a.code).map_err(|e| bad(format!("code of {}: {e}", a.address)))?;
            db.insert_account_info(
                a.address,
                AccountInfo {
                    balance: a.balance,
                    nonce: a.nonce,
                    code_hash: code.hash_slow(),
                    code: Some(code),
                    ..AccountInfo::default()
                },
            );
            for (slot, value) in a.storage {
                crate::evm::infallible(db.insert_account_storage(a.address, slot, value));
            }
        }
        let ctx = self.ctx_mut();
        ctx.journaled_state.database = db;
        ctx.block.number = U256::from(head + 1);
        ctx.block.timestamp = U256::from(state.next_timestamp);
        self.blocks = state.blocks;
        self.receipts = state.receipts;
        self.tx_counter = state.tx_counter;
        self.current.clear();
        self.snapshots.clear();
        self.precompiles.new_block();
        Ok(())
    }

    /// What Stylus programs did in the latest transaction or call: entries,
    /// entry gas, ink, and the programs that trapped.
    pub fn stylus_trace(&self) -> StylusTrace {
        self.precompiles.trace()
    }

    /// Moves time forward by `seconds` (takes effect for the next block).
    pub fn warp(&mut self, seconds: u64) {
        let t = self.timestamp().saturating_add(seconds);
        self.set_timestamp(t);
    }

    /// Sets the next block's timestamp.
    pub fn set_timestamp(&mut self, timestamp: u64) {
        self.ctx_mut().block.timestamp = U256::from(timestamp);
    }

    /// Mines the current block (with the transactions sent since the last
    /// one; empty if none) and opens the next.
    pub fn mine(&mut self) {
        let number = self.block_number();
        let timestamp = self.timestamp();
        let parent_hash = self.blocks.last().map_or(B256::ZERO, |b| b.hash);
        let transactions = std::mem::take(&mut self.current);
        let gas_used = self
            .receipts
            .iter()
            .rev()
            .take(transactions.len())
            .map(|r| r.gas_used)
            .sum();
        let mut preimage = number.to_be_bytes().to_vec();
        preimage.extend_from_slice(parent_hash.as_slice());
        preimage.extend_from_slice(&timestamp.to_be_bytes());
        for t in &transactions {
            preimage.extend_from_slice(t.as_slice());
        }
        self.blocks.push(BlockRecord {
            number,
            hash: keccak256(preimage),
            parent_hash,
            timestamp,
            gas_used,
            transactions,
        });
        let block = &mut self.ctx_mut().block;
        block.number += U256::from(1);
        block.timestamp += U256::from(1);
        self.precompiles.new_block();
    }

    /// Every mined block, genesis first.
    pub fn blocks(&self) -> &[BlockRecord] {
        &self.blocks
    }

    /// The per-transaction gas cap ([`MAX_TX_GAS`] unless changed).
    pub fn gas_cap(&self) -> u64 {
        self.ctx().cfg.tx_gas_limit_cap.unwrap_or(MAX_TX_GAS)
    }

    /// Changes the per-transaction gas cap.
    pub fn set_gas_cap(&mut self, cap: u64) {
        self.ctx_mut().cfg.tx_gas_limit_cap = Some(cap);
    }

    /// The wall-clock budget of one execution.
    pub fn time_budget(&self) -> std::time::Duration {
        self.time_budget
    }

    /// Changes the wall-clock budget of one execution (a transaction, a
    /// call, a whole gas estimate).
    pub fn set_time_budget(&mut self, budget: std::time::Duration) {
        self.time_budget = budget;
    }

    /// Compiled programs held in memory (bounded, see
    /// [`crate::program::PROGRAM_CACHE_SIZE`]).
    pub fn compiled_programs(&self) -> usize {
        self.precompiles.compiled_programs()
    }

    /// [`Devnet::snapshot`], refused when [`MAX_SNAPSHOTS`] are kept.
    pub fn try_snapshot(&mut self) -> Result<u64, ChainError> {
        if self.snapshots.len() >= MAX_SNAPSHOTS {
            return Err(ChainError::TooManySnapshots(self.snapshots.len()));
        }
        Ok(self.snapshot())
    }

    /// Saves the state; returns an id for [`Devnet::revert`].
    pub fn snapshot(&mut self) -> u64 {
        let snap = Snapshot {
            db: self.db().clone(),
            block: self.ctx().block.clone(),
            receipts: self.receipts.len(),
            blocks: self.blocks.len(),
        };
        self.snapshots.push(Some(snap));
        (self.snapshots.len() - 1) as u64
    }

    /// Restores the state saved as `id` (and forgets later snapshots).
    pub fn revert(&mut self, id: u64) -> Result<(), ChainError> {
        let snap = usize::try_from(id)
            .ok()
            .and_then(|i| self.snapshots.get_mut(i))
            .and_then(Option::take)
            .ok_or(ChainError::UnknownSnapshot(id))?;
        self.snapshots
            .truncate(usize::try_from(id).unwrap_or(usize::MAX));
        let ctx = self.ctx_mut();
        ctx.journaled_state.database = snap.db;
        ctx.block = snap.block;
        self.receipts.truncate(snap.receipts);
        self.blocks.truncate(snap.blocks);
        self.current.clear();
        self.precompiles.new_block();
        Ok(())
    }

    /// Every receipt so far.
    pub fn receipts(&self) -> &[Receipt] {
        &self.receipts
    }

    /// A transaction environment for `from` with its current nonce, zero
    /// gas price and this chain's id.
    pub fn tx_env(
        &self,
        from: Address,
        to: Option<Address>,
        value: U256,
        data: Bytes,
        gas_limit: u64,
    ) -> TxEnv {
        TxEnv {
            caller: from,
            kind: to.map_or(TxKind::Create, TxKind::Call),
            value,
            data,
            gas_limit,
            gas_price: 0,
            nonce: self.nonce(from),
            chain_id: Some(self.chain_id()),
            ..TxEnv::default()
        }
    }

    /// Sends a transaction from `from` (any address: dev mode) and mines it in
    /// a block of its own.
    pub fn send(
        &mut self,
        from: Address,
        to: Option<Address>,
        value: U256,
        data: impl Into<Bytes>,
        gas_limit: u64,
    ) -> Result<Receipt, ChainError> {
        let tx = self.tx_env(from, to, value, data.into(), gas_limit);
        self.send_env(tx, None)
    }

    /// Executes `tx` as given (nonce, fees and chain id are checked by revm),
    /// records it under `hash` (a synthetic hash when `None`) and mines it in
    /// a block of its own.
    pub fn send_env(&mut self, tx: TxEnv, hash: Option<B256>) -> Result<Receipt, ChainError> {
        self.send_env_with(tx, hash, false)
    }

    /// [`Devnet::send_env`] for a sender nobody signed for (anvil's
    /// impersonation): the sender may also be a contract, which EIP-3607
    /// otherwise forbids. Nonce, balance and gas are checked as usual.
    pub fn send_impersonated(
        &mut self,
        tx: TxEnv,
        hash: Option<B256>,
    ) -> Result<Receipt, ChainError> {
        self.send_env_with(tx, hash, true)
    }

    fn send_env_with(
        &mut self,
        tx: TxEnv,
        hash: Option<B256>,
        sender_may_have_code: bool,
    ) -> Result<Receipt, ChainError> {
        let (from, to) = (tx.caller, tx.kind.to().copied());
        self.precompiles.begin_tx();
        let budget = crate::budget::start(self.time_budget);
        let mut ctx = self.ctx.take().expect("context");
        ctx.cfg.disable_eip3607 = sender_may_have_code;
        let mut evm = build(ctx, self.precompiles.clone());
        let result = evm.transact_one(tx);
        // Past the time budget nothing is committed (as for a rejection).
        let over = crate::budget::exceeded();
        if result.is_err() || over {
            let _ = evm.finalize();
        } else {
            evm.commit_inner();
        }
        evm.ctx.cfg.disable_eip3607 = false;
        self.ctx = Some(evm.ctx);
        drop(budget);
        let result = result.map_err(|e: DevError| ChainError::Rejected(format!("{e:?}")))?;
        if over {
            return Err(ChainError::TimeBudget(self.time_budget));
        }
        self.tx_counter += 1;
        let hash = hash.unwrap_or_else(|| {
            let mut preimage = self.chain_id().to_be_bytes().to_vec();
            preimage.extend_from_slice(&self.tx_counter.to_be_bytes());
            keccak256(preimage)
        });
        let receipt = receipt(hash, self.block_number(), from, to, &result);
        self.receipts.push(receipt.clone());
        self.current.push(hash);
        self.mine();
        Ok(receipt)
    }

    /// Executes `tx` without committing (`eth_call`, `eth_estimateGas`), on
    /// the current state or on a copy with `overrides` applied.
    pub fn call_env(
        &mut self,
        tx: TxEnv,
        overrides: &[AccountOverride],
    ) -> Result<Receipt, ChainError> {
        let (from, to) = (tx.caller, tx.kind.to().copied());
        let mut tx = tx;
        tx.gas_limit = tx.gas_limit.min(self.gas_cap());
        let mut ctx = self.ctx.take().expect("context");
        let saved = if overrides.is_empty() {
            None
        } else {
            let copy = ctx.journaled_state.database.clone();
            let db = &mut ctx.journaled_state.database;
            for o in overrides {
                let mut info = db
                    .cache
                    .accounts
                    .get(&o.address)
                    .map(|a| a.info.clone())
                    .unwrap_or_default();
                if let Some(b) = o.balance {
                    info.balance = b;
                }
                if let Some(n) = o.nonce {
                    info.nonce = n;
                }
                if let Some(code) = &o.code {
                    let code = match bytecode(code.clone()) {
                        Ok(code) => code,
                        Err(e) => {
                            ctx.journaled_state.database = copy;
                            self.ctx = Some(ctx);
                            return Err(e);
                        }
                    };
                    info.code_hash = code.hash_slow();
                    info.code = Some(code);
                }
                db.insert_account_info(o.address, info);
                if let Some(state) = &o.state {
                    let _ = db.replace_account_storage(
                        o.address,
                        state.iter().map(|(k, v)| (*k, *v)).collect(),
                    );
                }
                for (k, v) in &o.state_diff {
                    let _ = db.insert_account_storage(o.address, *k, *v);
                }
            }
            Some(copy)
        };
        // Calls may carry a stale or future nonce (tools estimate pending
        // txs), and may come from a contract (geth skips EIP-3607 for calls).
        ctx.cfg.disable_nonce_check = true;
        ctx.cfg.disable_eip3607 = true;
        // A call leaves no trace, not even in the "entered this block" cache.
        let recent = self.precompiles.recent_programs();
        self.precompiles.begin_tx();
        let budget = crate::budget::start(self.time_budget);
        let mut evm = build(ctx, self.precompiles.clone());
        let result = evm.transact(tx);
        let over = crate::budget::exceeded();
        drop(budget);
        let mut ctx = evm.ctx;
        ctx.cfg.disable_nonce_check = false;
        ctx.cfg.disable_eip3607 = false;
        self.precompiles.restore_recent_programs(recent);
        if let Some(copy) = saved {
            ctx.journaled_state.database = copy;
        }
        self.ctx = Some(ctx);
        let result = result.map_err(|e: DevError| ChainError::Rejected(format!("{e:?}")))?;
        if over {
            return Err(ChainError::TimeBudget(self.time_budget));
        }
        Ok(receipt(
            B256::ZERO,
            self.block_number(),
            from,
            to,
            &result.result,
        ))
    }

    /// The smallest gas limit with which `tx` succeeds (binary search over
    /// `call_env`), or the failing receipt at the full limit.
    pub fn estimate_gas(&mut self, mut tx: TxEnv) -> Result<Result<u64, Receipt>, ChainError> {
        // One budget for the whole search.
        let _budget = crate::budget::start(self.time_budget);
        let cap = tx.gas_limit.min(self.gas_cap());
        let first = self.call_env(tx.clone(), &[])?;
        if !first.success {
            return Ok(Err(first));
        }
        let (mut lo, mut hi) = (first.gas_used.saturating_sub(1), cap);
        while lo + 1 < hi {
            let mid = lo + (hi - lo) / 2;
            tx.gas_limit = mid;
            let ok = match self.call_env(tx.clone(), &[]) {
                Ok(r) => r.success,
                Err(e @ ChainError::TimeBudget(_)) => return Err(e),
                Err(_) => false,
            };
            if ok {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(Ok(hi))
    }

    /// Executes a call without committing anything (`eth_call`).
    pub fn call(
        &mut self,
        from: Address,
        to: Address,
        data: impl Into<Bytes>,
    ) -> Result<Receipt, ChainError> {
        let tx = self.tx_env(from, Some(to), U256::ZERO, data.into(), DEFAULT_TX_GAS);
        self.call_env(tx, &[])
    }

    /// Sends a typed call to `to`.
    pub fn send_call<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: &C,
    ) -> Result<Receipt, ChainError> {
        self.send(
            from,
            Some(to),
            U256::ZERO,
            call.abi_encode(),
            DEFAULT_TX_GAS,
        )
    }

    /// Reads with a typed call; fails with the receipt when it reverts.
    pub fn read<C: SolCall>(&mut self, to: Address, call: &C) -> Result<C::Return, ChainError> {
        let from = self.account(0);
        let r = self.call(from, to, call.abi_encode())?;
        if !r.success {
            return Err(ChainError::Failed(Box::new(r)));
        }
        C::abi_decode_returns(&r.output).map_err(|e| ChainError::Decode(e.to_string()))
    }

    /// Deploys `wasm` as a Stylus program with plain CREATE (init code that
    /// returns `0xEFF000 ‖ 0x00 ‖ brotli(wasm)`). Not activated yet.
    pub fn deploy_program(&mut self, from: Address, wasm: &[u8]) -> Result<Receipt, ChainError> {
        let code = labelmint_wasm::to_stylus_code(wasm);
        let r = self.send(
            from,
            None,
            U256::ZERO,
            init_code_returning(&code),
            DEFAULT_TX_GAS,
        )?;
        if !r.success {
            return Err(ChainError::Failed(Box::new(r)));
        }
        Ok(r)
    }

    /// Activates the program at `program` through ArbWasm, paying its data fee.
    pub fn activate(&mut self, from: Address, program: Address) -> Result<Receipt, ChainError> {
        let call = ArbWasm::activateProgramCall { program };
        // Learn the fee with a call first, as cargo-stylus does.
        let probe = self.call(from, ARB_WASM, call.abi_encode())?;
        let fee = if probe.success {
            ArbWasm::activateProgramCall::abi_decode_returns(&probe.output)
                .map_err(|e| ChainError::Decode(e.to_string()))?
                .dataFee
        } else if let Ok(e) = ArbWasm::ProgramInsufficientValue::abi_decode(&probe.output) {
            e.want
        } else {
            return Err(ChainError::Failed(Box::new(probe)));
        };
        let r = self.send(from, Some(ARB_WASM), fee, call.abi_encode(), DEFAULT_TX_GAS)?;
        if !r.success {
            return Err(ChainError::Failed(Box::new(r)));
        }
        Ok(r)
    }

    /// Puts the program at `program` into the ArbWasmCache (what a winning
    /// CacheManager bid does on Arbitrum One): every later call pays the
    /// cached entry cost.
    pub fn cache_program(
        &mut self,
        from: Address,
        program: Address,
    ) -> Result<Receipt, ChainError> {
        let call = crate::precompiles::ArbWasmCache::cacheProgramCall { addr: program };
        let r = self.send(
            from,
            Some(crate::precompiles::ARB_WASM_CACHE),
            U256::ZERO,
            call.abi_encode(),
            DEFAULT_TX_GAS,
        )?;
        if !r.success {
            return Err(ChainError::Failed(Box::new(r)));
        }
        Ok(r)
    }

    /// Deploys, activates and (if `constructor` is given) constructs a
    /// program; `constructor` is the ABI-encoded constructor arguments.
    /// Returns the address and the three receipts.
    pub fn deploy_wasm(
        &mut self,
        from: Address,
        wasm: &[u8],
        constructor: Option<&[u8]>,
    ) -> Result<(Address, Vec<Receipt>), ChainError> {
        let deployed = self.deploy_program(from, wasm)?;
        let address = deployed
            .contract_address
            .expect("creation receipt has an address");
        let activated = self.activate(from, address)?;
        let mut receipts = vec![deployed, activated];
        if let Some(args) = constructor {
            let r = self.send(
                from,
                Some(address),
                U256::ZERO,
                constructor_calldata(args),
                DEFAULT_TX_GAS,
            )?;
            if !r.success {
                return Err(ChainError::Failed(Box::new(r)));
            }
            receipts.push(r);
        }
        Ok((address, receipts))
    }
}

impl Devnet {
    /// Deploys `wasm` the way `cargo stylus deploy` does for a program with a
    /// constructor: one transaction to the StylusDeployer that creates,
    /// activates (paid from `value - init_value`) and constructs it. Returns
    /// the program's address (from `ContractDeployed`) and the receipt.
    pub fn deploy_via_deployer(
        &mut self,
        from: Address,
        wasm: &[u8],
        constructor_args: &[u8],
        init_value: U256,
        salt: B256,
        value: U256,
    ) -> Result<(Address, Receipt), ChainError> {
        let init = constructor_calldata(constructor_args);
        self.deploy_via_deployer_with(from, wasm, &init, init_value, salt, value)
    }

    /// [`Devnet::deploy_via_deployer`] with raw `initData` (empty: the
    /// program has no constructor, as `cargo stylus deploy` sends it then).
    pub fn deploy_via_deployer_with(
        &mut self,
        from: Address,
        wasm: &[u8],
        init_data: &[u8],
        init_value: U256,
        salt: B256,
        value: U256,
    ) -> Result<(Address, Receipt), ChainError> {
        let code = labelmint_wasm::to_stylus_code(wasm);
        let call = IStylusDeployer::deployCall {
            bytecode: init_code_returning(&code).into(),
            initData: init_data.to_vec().into(),
            initValue: init_value,
            salt,
        };
        let r = self.send(
            from,
            Some(STYLUS_DEPLOYER),
            value,
            call.abi_encode(),
            DEFAULT_TX_GAS,
        )?;
        let address = r
            .logs
            .iter()
            .filter(|l| l.address == STYLUS_DEPLOYER)
            .find_map(|l| IStylusDeployer::ContractDeployed::decode_log_data(&l.data).ok())
            .map(|e| e.deployedContract);
        match address {
            Some(a) if r.success => Ok((a, r)),
            _ => Err(ChainError::Failed(Box::new(r))),
        }
    }
}

/// Calldata that runs a stylus-sdk constructor: the selector of
/// `stylus_constructor()` followed by the ABI-encoded arguments.
pub fn constructor_calldata(args: &[u8]) -> Vec<u8> {
    let mut data = keccak256("stylus_constructor()")[..4].to_vec();
    data.extend_from_slice(args);
    data
}

/// EVM init code that returns `code`: `PUSH2 len DUP1 PUSH1 off PUSH1 0
/// CODECOPY PUSH1 0 RETURN ‖ code`.
pub fn init_code_returning(code: &[u8]) -> Vec<u8> {
    let len = u16::try_from(code.len()).expect("code under 64 KiB");
    let [hi, lo] = len.to_be_bytes();
    let prelude = [
        0x61, hi, lo, 0x80, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3,
    ];
    let mut init = prelude.to_vec();
    init.extend_from_slice(code);
    init
}

fn receipt(
    tx_hash: B256,
    block_number: u64,
    from: Address,
    to: Option<Address>,
    result: &ExecutionResult,
) -> Receipt {
    // A failed transaction keeps no logs and creates nothing.
    let failed = Receipt {
        tx_hash,
        block_number,
        from,
        to,
        success: false,
        gas_used: result.gas().tx_gas_used(),
        logs: Vec::new(),
        output: Bytes::new(),
        contract_address: None,
        halt: None,
    };
    match result {
        ExecutionResult::Success { logs, output, .. } => Receipt {
            success: true,
            logs: logs.clone(),
            output: output.data().clone(),
            contract_address: match output {
                Output::Create(_, address) => *address,
                Output::Call(_) => None,
            },
            ..failed
        },
        ExecutionResult::Revert { output, .. } => Receipt {
            output: output.clone(),
            ..failed
        },
        ExecutionResult::Halt { reason, .. } => Receipt {
            halt: Some(format!("{reason:?}")),
            ..failed
        },
    }
}
