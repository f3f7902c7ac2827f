//! The precompile provider of the chain: Ethereum's precompiles, ArbWasm at
//! `0x…71` and ArbWasmCache at `0x…72` (every method Nitro answers, with
//! Nitro's return layouts and gas), and the execution of every Stylus
//! program (code that starts with `0xEFF000`) with Nitro's entry cost.
//!
//! Program records live in ArbWasm's storage in Nitro's packed layout
//! (version, init cost, cached cost, footprint, activation hour, asm size in
//! KiB, cached flag), so snapshots and reverts cover them.

use std::{
    cell::{Cell, RefCell},
    collections::VecDeque,
    rc::Rc,
};

use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolInterface};
use revm::{
    context::{Block, ContextTr, JournalTr},
    handler::{EthPrecompiles, PrecompileProvider},
    interpreter::{CallInputs, Gas, InstructionResult, InterpreterResult},
    primitives::{
        address, hardfork::SpecId, keccak256, Address, AddressSet, Bytes, Log, B256, U256,
    },
};

use labelmint_wasm::WasmError;

use crate::{
    evm::{infallible, Ctx},
    host::{execute, linker, HostState, Outcome},
    params::{
        age_seconds, evm_memory_cost, hours_since_arbitrum, DataPricer, Pages, StylusParams,
        ARBOS_60, ARBOS_STYLUS_CHARGING_FIXES, ARBOS_STYLUS_FIXES,
    },
    program::{self, ActivationError, Program, ProgramCache, ACTIVATION_FIXED_GAS},
};

/// Address of the ArbWasm precompile.
pub const ARB_WASM: Address = address!("0000000000000000000000000000000000000071");
/// Address of the ArbWasmCache precompile.
pub const ARB_WASM_CACHE: Address = address!("0000000000000000000000000000000000000072");

sol! {
    /// ArbWasm, as Nitro exposes it.
    interface ArbWasm {
        function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
        function stylusVersion() external view returns (uint16 version);
        function codehashVersion(bytes32 codehash) external view returns (uint16 version);
        function codehashKeepalive(bytes32 codehash) external payable;
        function codehashAsmSize(bytes32 codehash) external view returns (uint32 size);
        function programVersion(address program) external view returns (uint16 version);
        function programInitGas(address program) external view returns (uint64 gas, uint64 gasWhenCached);
        function programMemoryFootprint(address program) external view returns (uint16 footprint);
        function programTimeLeft(address program) external view returns (uint64 _secs);
        function inkPrice() external view returns (uint32 price);
        function maxStackDepth() external view returns (uint32 depth);
        function freePages() external view returns (uint16 pages);
        function pageGas() external view returns (uint16 gas);
        function pageRamp() external view returns (uint64 ramp);
        function pageLimit() external view returns (uint16 limit);
        function minInitGas() external view returns (uint64 gas, uint64 cached);
        function initCostScalar() external view returns (uint64 percent);
        function expiryDays() external view returns (uint16 _days);
        function keepaliveDays() external view returns (uint16 _days);
        function blockCacheSize() external view returns (uint16 count);
        function activationGas() external view returns (uint64 gas);

        event ProgramActivated(bytes32 indexed codehash, bytes32 moduleHash, address program, uint256 dataFee, uint16 version);
        event ProgramLifetimeExtended(bytes32 indexed codehash, uint256 dataFee);

        error ProgramNotWasm();
        error ProgramNotActivated();
        error ProgramNeedsUpgrade(uint16 version, uint16 stylusVersion);
        error ProgramExpired(uint64 ageInSeconds);
        error ProgramUpToDate();
        error ProgramKeepaliveTooSoon(uint64 ageInSeconds);
        error ProgramInsufficientValue(uint256 have, uint256 want);
    }
}

sol! {
    /// ArbWasmCache, as Nitro exposes it: programs in the cache pay the cached
    /// entry cost on every call. On Arbitrum One the CacheManager contract
    /// (bids) is the cache manager; on this devnet every account may cache
    /// and evict (dev mode).
    interface ArbWasmCache {
        function isCacheManager(address manager) external view returns (bool);
        function allCacheManagers() external view returns (address[] memory managers);
        function cacheProgram(address addr) external;
        function evictCodehash(bytes32 codehash) external;
        function codehashIsCached(bytes32 codehash) external view returns (bool);

        event UpdateProgramCache(address indexed manager, bytes32 indexed codehash, bool cached);
    }
}

/// Gas Nitro's ArbOS storage charges.
mod arbos_gas {
    /// Reading a word of ArbOS state.
    pub(super) const READ: u64 = 800;
    /// Writing a non-zero word.
    pub(super) const WRITE: u64 = 20_000;
    /// Writing a zero word.
    pub(super) const WRITE_ZERO: u64 = 5_000;
    /// Reading an account's code hash.
    pub(super) const CODE_HASH: u64 = 2_600;
    /// Reading the Stylus parameters (assumed warm).
    pub(super) const PARAMS: u64 = 100;
    /// Copying a word of arguments or results.
    pub(super) const COPY_WORD: u64 = 3;
    /// LOG base and per topic.
    pub(super) const LOG_TOPIC: u64 = 375;
    /// Per log data byte.
    pub(super) const LOG_BYTE: u64 = 8;
}

/// A program's record, packed into one word as Nitro packs it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProgramRecord {
    /// Stylus version it was activated at (0: not activated).
    pub version: u16,
    /// Init cost.
    pub init_cost: u16,
    /// Cached init cost.
    pub cached_cost: u16,
    /// Initial memory pages.
    pub footprint: u16,
    /// Hours since Arbitrum began, at activation (24 bits).
    pub activated_at: u32,
    /// Predicted native code size in KiB, rounded up (24 bits).
    pub asm_estimate_kb: u32,
    /// Whether it is in the ArbWasmCache.
    pub cached: bool,
}

impl ProgramRecord {
    /// The word Nitro stores: version ‖ init ‖ cached ‖ footprint (2 bytes
    /// each) ‖ activatedAt ‖ asmEstimateKb (3 bytes each) ‖ cached (1 byte).
    pub fn pack(&self) -> B256 {
        let mut w = [0u8; 32];
        w[0..2].copy_from_slice(&self.version.to_be_bytes());
        w[2..4].copy_from_slice(&self.init_cost.to_be_bytes());
        w[4..6].copy_from_slice(&self.cached_cost.to_be_bytes());
        w[6..8].copy_from_slice(&self.footprint.to_be_bytes());
        w[8..11].copy_from_slice(&self.activated_at.to_be_bytes()[1..]);
        w[11..14].copy_from_slice(&self.asm_estimate_kb.to_be_bytes()[1..]);
        w[14] = u8::from(self.cached);
        B256::from(w)
    }

    /// The inverse of [`Self::pack`].
    pub fn unpack(word: B256) -> Self {
        let w = word.0;
        let u16_at = |i: usize| u16::from_be_bytes([w[i], w[i + 1]]);
        let u24_at = |i: usize| u32::from_be_bytes([0, w[i], w[i + 1], w[i + 2]]);
        Self {
            version: u16_at(0),
            init_cost: u16_at(2),
            cached_cost: u16_at(4),
            footprint: u16_at(6),
            activated_at: u24_at(8),
            asm_estimate_kb: u24_at(11),
            cached: w[14] != 0,
        }
    }

    /// Predicted native code size in bytes.
    pub fn asm_size(&self) -> u32 {
        self.asm_estimate_kb.saturating_mul(1_024)
    }

    /// Seconds since activation (from the activation hour).
    pub fn age(&self, time: u64) -> u64 {
        age_seconds(time, self.activated_at)
    }
}

/// Storage key of a record: the code hash itself.
fn record_key(codehash: B256) -> U256 {
    codehash.into()
}

fn derived_key(tag: &[u8], codehash: B256) -> U256 {
    let mut preimage = b"labelmint-devnet:".to_vec();
    preimage.extend_from_slice(tag);
    preimage.extend_from_slice(codehash.as_slice());
    keccak256(preimage).into()
}

fn sload(ctx: &mut Ctx, key: U256) -> U256 {
    let journal = ctx.journal_mut();
    infallible(journal.load_account(ARB_WASM));
    infallible(journal.sload(ARB_WASM, key)).data
}

fn sstore(ctx: &mut Ctx, key: U256, value: U256) {
    let journal = ctx.journal_mut();
    infallible(journal.load_account(ARB_WASM));
    let _ = infallible(journal.sstore(ARB_WASM, key, value));
}

/// The record of `codehash` (all zero when never activated).
pub fn program_record(ctx: &mut Ctx, codehash: B256) -> ProgramRecord {
    ProgramRecord::unpack(sload(ctx, record_key(codehash)).into())
}

fn set_program_record(ctx: &mut Ctx, codehash: B256, record: &ProgramRecord) {
    sstore(ctx, record_key(codehash), record.pack().into());
}

/// Activation record of `codehash` (its Stylus version), if activated.
pub fn activated_version(ctx: &mut Ctx, codehash: B256) -> Option<u16> {
    let version = program_record(ctx, codehash).version;
    (version != 0).then_some(version)
}

/// Whether `codehash` is in the program cache.
pub fn is_cached(ctx: &mut Ctx, codehash: B256) -> bool {
    program_record(ctx, codehash).cached
}

fn data_pricer(ctx: &mut Ctx) -> DataPricer {
    let demand = sload(ctx, derived_key(b"data-pricer:demand", B256::ZERO));
    let last = sload(ctx, derived_key(b"data-pricer:last-update", B256::ZERO));
    let default = DataPricer::default();
    DataPricer {
        demand: demand.saturating_to(),
        last_update: if last.is_zero() {
            default.last_update
        } else {
            last.saturating_to()
        },
    }
}

fn set_data_pricer(ctx: &mut Ctx, pricer: DataPricer) {
    sstore(
        ctx,
        derived_key(b"data-pricer:demand", B256::ZERO),
        U256::from(pricer.demand),
    );
    sstore(
        ctx,
        derived_key(b"data-pricer:last-update", B256::ZERO),
        U256::from(pricer.last_update),
    );
}

/// Why a program cannot run (Nitro's `getActiveProgram`).
fn active_program(
    ctx: &mut Ctx,
    codehash: B256,
    params: &StylusParams,
    time: u64,
) -> Result<ProgramRecord, Vec<u8>> {
    let record = program_record(ctx, codehash);
    if record.version == 0 {
        return Err(ArbWasm::ProgramNotActivated {}.abi_encode());
    }
    if record.version != params.version {
        return Err(ArbWasm::ProgramNeedsUpgrade {
            version: record.version,
            stylusVersion: params.version,
        }
        .abi_encode());
    }
    let age = record.age(time);
    if age > params.expiry_seconds() {
        return Err(ArbWasm::ProgramExpired { ageInSeconds: age }.abi_encode());
    }
    Ok(record)
}

/// The programs entered in the current block, most recent first, for the
/// same-block discount (ArbOS 60): an LRU of `BlockCacheSize` code hashes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecentPrograms {
    lru: VecDeque<B256>,
}

impl RecentPrograms {
    /// Records an entry of `codehash`; returns whether it was already among
    /// the `retain` most recent.
    pub fn insert(&mut self, codehash: B256, retain: u16) -> bool {
        if let Some(at) = self.lru.iter().position(|h| *h == codehash) {
            self.lru.remove(at);
            self.lru.push_front(codehash);
            return true;
        }
        self.lru.push_front(codehash);
        self.lru.truncate(usize::from(retain));
        false
    }
}

/// A Stylus program that stopped without returning or reverting: it
/// trapped (an `unreachable`, a bad memory access, a host fault …), ran out
/// of ink or out of stack. The call reverts without data, so this is the
/// only place the reason survives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StylusFailure {
    /// The program's address.
    pub program: Address,
    /// Why it stopped (wasmi's trap message, or the host's reason).
    pub reason: String,
}

/// What Stylus programs did in the latest execution (a transaction, a call,
/// or the last step of a gas estimate): for the node's logs and trap reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StylusTrace {
    /// Programs entered, nested ones included.
    pub entries: u32,
    /// Gas the outermost programs paid to be entered: their memory
    /// footprint plus the init (or cached) entry cost.
    pub entry_gas: u64,
    /// Ink the outermost programs spent running (what nested calls cost is
    /// paid out of it, so it is counted once).
    pub ink_used: u64,
    /// `ink_used` in gas (ink divided by the ink price).
    pub ink_gas: u64,
    /// Programs that trapped, ran out of ink or out of stack, in order.
    pub failures: Vec<StylusFailure>,
}

/// State shared by every copy of the provider (nested frames get copies).
struct Shared {
    engine: wasmi::Engine,
    linker: wasmi::Linker<HostState>,
    programs: RefCell<ProgramCache>,
    /// Stylus programs currently on the call stack (for `msg_reentrant`).
    stack: RefCell<Vec<Address>>,
    /// Programs entered in the current block.
    recent: RefCell<RecentPrograms>,
    /// Memory pages of the current transaction.
    pages: Cell<Pages>,
    /// The chain's Stylus parameters.
    params: Cell<StylusParams>,
    /// Dev switch: run programs without activation.
    auto_activate: Cell<bool>,
    /// What programs did in the current execution.
    trace: RefCell<StylusTrace>,
}

/// Ethereum precompiles + ArbWasm + ArbWasmCache + Stylus execution.
#[derive(Clone)]
pub struct StylusPrecompiles {
    eth: EthPrecompiles,
    warm: AddressSet,
    shared: Rc<Shared>,
}

impl std::fmt::Debug for StylusPrecompiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StylusPrecompiles").finish_non_exhaustive()
    }
}

impl StylusPrecompiles {
    /// A provider for `spec` with Nitro's default parameters.
    pub fn new(spec: SpecId) -> Self {
        Self::with_params(spec, StylusParams::default())
    }

    /// A provider for `spec` with the given Stylus parameters.
    pub fn with_params(spec: SpecId, params: StylusParams) -> Self {
        let engine = program::engine();
        let linker = linker(&engine);
        let eth = EthPrecompiles::new(spec);
        let mut warm = eth.warm_addresses().clone();
        warm.insert(ARB_WASM);
        warm.insert(ARB_WASM_CACHE);
        Self {
            eth,
            warm,
            shared: Rc::new(Shared {
                engine,
                linker,
                programs: RefCell::new(ProgramCache::default()),
                stack: RefCell::new(Vec::new()),
                recent: RefCell::new(RecentPrograms::default()),
                pages: Cell::new(Pages::default()),
                params: Cell::new(params),
                auto_activate: Cell::new(false),
                trace: RefCell::new(StylusTrace::default()),
            }),
        }
    }

    /// The chain's Stylus parameters.
    pub fn params(&self) -> StylusParams {
        self.shared.params.get()
    }

    /// Replaces the chain's Stylus parameters (what an ArbOS upgrade or the
    /// chain owner does).
    pub fn set_params(&self, params: StylusParams) {
        self.shared.params.set(params);
    }

    /// Lets programs run without `activateProgram` (development only).
    pub fn set_auto_activate(&self, on: bool) {
        self.shared.auto_activate.set(on);
    }

    /// Starts a transaction: no memory pages open yet, no programs traced.
    pub fn begin_tx(&self) {
        self.shared.pages.set(Pages::default());
        *self.shared.trace.borrow_mut() = StylusTrace::default();
    }

    /// What Stylus programs did in the latest execution.
    pub fn trace(&self) -> StylusTrace {
        self.shared.trace.borrow().clone()
    }

    /// Opens `new` memory pages in the current transaction; returns the
    /// counts before.
    pub fn add_pages(&self, new: u16) -> Pages {
        let mut pages = self.shared.pages.get();
        let before = pages.add(new);
        self.shared.pages.set(pages);
        before
    }

    /// The memory pages of the current transaction.
    pub fn pages(&self) -> Pages {
        self.shared.pages.get()
    }

    /// Which programs ran in the current block (saved around `eth_call`s, so
    /// a call cannot make a later transaction's program entry cheaper).
    pub fn recent_programs(&self) -> RecentPrograms {
        self.shared.recent.borrow().clone()
    }

    /// Restores what [`Self::recent_programs`] saved.
    pub fn restore_recent_programs(&self, recent: RecentPrograms) {
        *self.shared.recent.borrow_mut() = recent;
    }

    /// Forgets which programs ran in the current block (a new block starts).
    pub fn new_block(&self) {
        *self.shared.recent.borrow_mut() = RecentPrograms::default();
    }

    /// The compiled program for `code` (kept in the bounded cache: only
    /// for code hashes that are activated, or run under auto-activation).
    pub fn program(&self, codehash: B256, code: &[u8]) -> Result<Rc<Program>, ActivationError> {
        self.shared
            .programs
            .borrow_mut()
            .get_or_compile(&self.shared.engine, codehash, code)
    }

    /// The compiled program for `code` from the cache, or compiled and not
    /// kept (activation: an `eth_call` may activate any code it overrides).
    fn program_uncached(
        &self,
        codehash: B256,
        code: &[u8],
    ) -> Result<Rc<Program>, ActivationError> {
        if let Some(p) = self.shared.programs.borrow_mut().get(&codehash) {
            return Ok(p);
        }
        crate::program::compile(&self.shared.engine, code).map(Rc::new)
    }

    /// Compiled programs held in memory.
    pub fn compiled_programs(&self) -> usize {
        self.shared.programs.borrow().len()
    }
}

/// An interpreter result with `output`.
pub(crate) fn result(result: InstructionResult, output: Vec<u8>, gas: Gas) -> InterpreterResult {
    InterpreterResult {
        result,
        output: Bytes::from(output),
        gas,
    }
}

/// A revert with the ABI encoding of `error`.
pub(crate) fn revert<E: SolError>(error: &E, gas: Gas) -> InterpreterResult {
    result(InstructionResult::Revert, error.abi_encode(), gas)
}

fn out_of_gas(mut gas: Gas) -> InterpreterResult {
    gas.spend_all();
    result(InstructionResult::OutOfGas, Vec::new(), gas)
}

impl PrecompileProvider<Ctx> for StylusPrecompiles {
    type Output = InterpreterResult;

    fn set_spec(&mut self, spec: SpecId) -> bool {
        <EthPrecompiles as PrecompileProvider<Ctx>>::set_spec(&mut self.eth, spec)
    }

    fn run(
        &mut self,
        ctx: &mut Ctx,
        inputs: &CallInputs,
    ) -> Result<Option<InterpreterResult>, String> {
        // The precompiles act for themselves only: under DELEGATECALL or
        // CALLCODE the value is only apparent (a refund would be paid from the
        // precompile's own balance) and the state is the caller's.
        let system = [ARB_WASM, ARB_WASM_CACHE, crate::deployer::STYLUS_DEPLOYER];
        if system.contains(&inputs.bytecode_address)
            && inputs.target_address != inputs.bytecode_address
        {
            return Ok(Some(result(
                InstructionResult::Revert,
                Vec::new(),
                Gas::new(inputs.gas_limit),
            )));
        }
        if inputs.bytecode_address == ARB_WASM {
            return Ok(Some(self.arb_wasm(ctx, inputs)));
        }
        if inputs.bytecode_address == ARB_WASM_CACHE {
            return Ok(Some(self.arb_wasm_cache(ctx, inputs)));
        }
        if inputs.bytecode_address == crate::deployer::STYLUS_DEPLOYER {
            return crate::deployer::run(ctx, self, inputs).map(Some);
        }
        if self.eth.contains(&inputs.bytecode_address) {
            return self.eth.run(ctx, inputs);
        }
        let code = inputs.known_bytecode.1.original_byte_slice();
        if !labelmint_wasm::is_stylus_code(code) {
            return Ok(None);
        }
        Ok(Some(self.run_program(ctx, inputs)))
    }

    fn warm_addresses(&self) -> &AddressSet {
        &self.warm
    }
}

fn block_time(ctx: &Ctx) -> u64 {
    ctx.block().timestamp().saturating_to()
}

/// What a program pays to be entered, given the pages already open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryCost {
    /// Memory for the program's footprint.
    pub memory: u64,
    /// Init and cached gas.
    pub init: u64,
}

impl StylusPrecompiles {
    /// The record a program runs with: its stored one, or (dev switch) one
    /// computed on the spot.
    fn runnable_record(
        &self,
        ctx: &mut Ctx,
        codehash: B256,
        code: &[u8],
        params: &StylusParams,
    ) -> Result<ProgramRecord, Vec<u8>> {
        match active_program(ctx, codehash, params, block_time(ctx)) {
            Ok(record) => Ok(record),
            Err(e)
                if self.shared.auto_activate.get()
                    && program_record(ctx, codehash).version == 0 =>
            {
                let _ = e;
                let program = self
                    .program(codehash, code)
                    .map_err(|_| ArbWasm::ProgramNotWasm {}.abi_encode())?;
                let costs = program::costs(&program.stats, params.version)
                    .map_err(|_| ArbWasm::ProgramNotWasm {}.abi_encode())?;
                Ok(ProgramRecord {
                    version: params.version,
                    init_cost: costs.init_cost,
                    cached_cost: costs.cached_cost,
                    footprint: costs.footprint,
                    ..ProgramRecord::default()
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Runs the Stylus program the call targets (Nitro's `CallProgram`).
    fn run_program(&self, ctx: &mut Ctx, inputs: &CallInputs) -> InterpreterResult {
        let params = self.params();
        let starting_gas = inputs.gas_limit;
        let mut gas = Gas::new(starting_gas);
        // Each nested program runs on the chain thread's native stack: past
        // the bound the call fails, like an EVM call past the depth limit
        // (its gas is returned), and the budget is looked at on the way.
        if self.shared.stack.borrow().len() >= crate::chain::MAX_STYLUS_DEPTH
            || crate::budget::check()
        {
            return result(InstructionResult::Revert, Vec::new(), gas);
        }
        let (codehash, bytecode) = (&inputs.known_bytecode.0, &inputs.known_bytecode.1);
        let code = bytecode.original_byte_slice();
        let record = match self.runnable_record(ctx, *codehash, code, &params) {
            Ok(r) => r,
            Err(data) => return result(InstructionResult::Revert, data, gas),
        };
        let Ok(program) = self.program(*codehash, code) else {
            return revert(&ArbWasm::ProgramNotWasm {}, gas);
        };

        // Pay for the footprint's pages and for entering the program.
        let pages = self.pages();
        let memory = params
            .memory()
            .gas_cost(record.footprint, pages.open, pages.ever);
        let recent = params.arbos_version >= ARBOS_60
            && self
                .shared
                .recent
                .borrow_mut()
                .insert(*codehash, params.block_cache_size);
        let cached = record.cached || recent;
        let entry = params.entry_gas(record.version, record.init_cost, record.cached_cost, cached);
        if !gas.record_regular_cost(memory.saturating_add(entry)) {
            return out_of_gas(gas);
        }
        let before = self.add_pages(record.footprint);
        let outermost = self.record_entry(memory.saturating_add(entry));

        let args = inputs.input.bytes(ctx).to_vec();
        let address = inputs.target_address;
        let reentrant = self.shared.stack.borrow().contains(&address);
        self.shared.stack.borrow_mut().push(address);
        let owned = std::mem::replace(ctx, crate::evm::placeholder());
        let state = HostState::new(
            owned,
            self.clone(),
            address,
            inputs.caller,
            inputs.value.get(),
            inputs.is_static,
            reentrant,
            args,
        );
        let ink_price = u64::from(params.ink_price).max(1);
        // The ink global is an i64: give the program at most what fits and
        // keep the rest of the gas outside, so no amount saturates.
        let ink = gas
            .remaining()
            .min((i64::MAX as u64) / ink_price)
            .saturating_mul(ink_price);
        let (outcome, ink_left, state) = execute(
            &self.shared.engine,
            &self.shared.linker,
            &program.module,
            state,
            ink,
        );
        *ctx = state.ctx;
        self.shared.stack.borrow_mut().pop();
        // The callee's pages close when it returns; the most ever open stays.
        let mut pages = self.pages();
        pages.open = before.open;
        self.shared.pages.set(pages);

        // Gas above the ink cap never entered the program: it stays unused.
        let gas_left = ink_left / ink_price;
        let used = (ink / ink_price).saturating_sub(gas_left);
        self.record_run(
            address,
            outermost,
            &outcome,
            ink.saturating_sub(ink_left),
            ink_price,
        );
        let (status, data) = match outcome {
            Outcome::Success(data) => {
                gas.record_refund(state.refund);
                (InstructionResult::Return, data)
            }
            Outcome::Revert(data) => (InstructionResult::Revert, data),
            Outcome::Failure(_) => (InstructionResult::Revert, Vec::new()),
            Outcome::OutOfInk => return out_of_gas(gas),
            Outcome::OutOfStack => {
                gas.spend_all();
                return result(InstructionResult::CallTooDeep, Vec::new(), gas);
            }
        };
        let _ = gas.record_regular_cost(used);
        // Return data costs at least what EVM memory for it would.
        if !data.is_empty() && params.arbos_version >= ARBOS_STYLUS_FIXES {
            let floor = evm_memory_cost(data.len() as u64);
            if starting_gas < floor {
                return out_of_gas(gas);
            }
            let most_left = starting_gas - floor;
            if gas.remaining() > most_left {
                let _ = gas.record_regular_cost(gas.remaining() - most_left);
            }
        }
        result(status, data, gas)
    }

    /// Counts a program entry in the execution's [`StylusTrace`] (its entry
    /// gas when it is outermost); returns whether it is.
    fn record_entry(&self, entry_gas: u64) -> bool {
        let outermost = self.shared.stack.borrow().is_empty();
        let mut trace = self.shared.trace.borrow_mut();
        trace.entries = trace.entries.saturating_add(1);
        if outermost {
            trace.entry_gas = trace.entry_gas.saturating_add(entry_gas);
        }
        outermost
    }

    /// Adds a finished program run to the execution's [`StylusTrace`]
    /// (with `LABELMINT_DEVNET_TRACE` set, a failure is also printed to
    /// stderr).
    fn record_run(
        &self,
        address: Address,
        outermost: bool,
        outcome: &Outcome,
        ink_spent: u64,
        ink_price: u64,
    ) {
        let mut trace = self.shared.trace.borrow_mut();
        if outermost {
            trace.ink_used = trace.ink_used.saturating_add(ink_spent);
            trace.ink_gas = trace.ink_gas.saturating_add(ink_spent / ink_price);
        }
        let reason = match outcome {
            Outcome::Success(_) | Outcome::Revert(_) => return,
            Outcome::Failure(reason) => reason.clone(),
            Outcome::OutOfInk => "out of ink".to_string(),
            Outcome::OutOfStack => "out of stack (call depth past the stack budget)".to_string(),
        };
        if std::env::var_os("LABELMINT_DEVNET_TRACE").is_some() {
            eprintln!("stylus program {address} failed: {reason}");
        }
        trace.failures.push(StylusFailure {
            program: address,
            reason,
        });
    }

    /// Entry cost of the activated program at `address` if it were called
    /// now, with `pages` open (for reports and tests).
    pub fn entry_cost(&self, ctx: &mut Ctx, address: Address, pages: Pages) -> Option<EntryCost> {
        let params = self.params();
        let codehash = infallible(ctx.journal_mut().load_account_with_code(address))
            .info
            .code_hash;
        let record = active_program(ctx, codehash, &params, block_time(ctx)).ok()?;
        Some(EntryCost {
            memory: params
                .memory()
                .gas_cost(record.footprint, pages.open, pages.ever),
            init: params.entry_gas(
                record.version,
                record.init_cost,
                record.cached_cost,
                record.cached,
            ),
        })
    }
}

/// Gas accounting of an ArbOS precompile call.
struct Burner {
    gas: Gas,
}

/// Why a precompile call stopped early.
enum Stop {
    /// Out of gas: all of it is gone.
    OutOfGas,
    /// A Solidity error: revert with its data, keeping the gas left.
    Error(Vec<u8>),
    /// Any other failure: revert without data; `burn_all` for activation
    /// failures.
    Fail { burn_all: bool },
}

impl Burner {
    fn burn(&mut self, gas: u64) -> Result<(), Stop> {
        if self.gas.record_regular_cost(gas) {
            Ok(())
        } else {
            Err(Stop::OutOfGas)
        }
    }

    /// Ends the call: results (and error data) cost 3 gas per word.
    fn finish(mut self, outcome: Result<Vec<u8>, Stop>) -> InterpreterResult {
        let copy = |len: usize| arbos_gas::COPY_WORD * (len as u64).div_ceil(32);
        match outcome {
            Ok(data) => {
                if self.burn(copy(data.len())).is_err() {
                    return out_of_gas(self.gas);
                }
                result(InstructionResult::Return, data, self.gas)
            }
            Err(Stop::Error(data)) => {
                if self.burn(copy(data.len())).is_err() {
                    return out_of_gas(self.gas);
                }
                result(InstructionResult::Revert, data, self.gas)
            }
            Err(Stop::OutOfGas) => out_of_gas(self.gas),
            Err(Stop::Fail { burn_all }) => {
                if burn_all {
                    self.gas.spend_all();
                }
                result(InstructionResult::Revert, Vec::new(), self.gas)
            }
        }
    }
}

fn sol_error<E: SolError>(e: &E) -> Stop {
    Stop::Error(e.abi_encode())
}

/// Cost of a precompile's event with `indexed` indexed arguments and `data`
/// bytes: LOG base 375, 375 per topic (the signature is one), 8 per byte.
fn event_gas(indexed: usize, data: usize) -> u64 {
    arbos_gas::LOG_TOPIC * (2 + indexed as u64) + arbos_gas::LOG_BYTE * data as u64
}

fn write_gas(value: u64) -> u64 {
    if value == 0 {
        arbos_gas::WRITE_ZERO
    } else {
        arbos_gas::WRITE
    }
}

impl StylusPrecompiles {
    /// Opens a precompile call as Nitro does: method checks, the ArbOS
    /// version read and the argument copy.
    fn open_call(
        inputs: &CallInputs,
        input: &[u8],
        payable: bool,
        writes: bool,
    ) -> Result<Burner, InterpreterResult> {
        let mut gas = Gas::new(inputs.gas_limit);
        let refused = (!payable && !inputs.value.get().is_zero()) || (writes && inputs.is_static);
        if refused {
            gas.spend_all();
            return Err(result(InstructionResult::Revert, Vec::new(), gas));
        }
        let mut burner = Burner { gas };
        let args = arbos_gas::COPY_WORD * (input.len().saturating_sub(4) as u64).div_ceil(32);
        if burner.burn(arbos_gas::READ + args).is_err() {
            return Err(out_of_gas(burner.gas));
        }
        Ok(burner)
    }

    /// The ArbWasm precompile.
    #[allow(clippy::too_many_lines)]
    fn arb_wasm(&self, ctx: &mut Ctx, inputs: &CallInputs) -> InterpreterResult {
        use ArbWasm::ArbWasmCalls as C;
        let params = self.params();
        let input = inputs.input.bytes(ctx).to_vec();
        let call = match C::abi_decode(&input) {
            Ok(C::activationGas(_)) if params.arbos_version < ARBOS_60 => None,
            Ok(C::minInitGas(_)) if params.arbos_version < ARBOS_STYLUS_CHARGING_FIXES => None,
            Ok(call) => Some(call),
            Err(_) => None,
        };
        let Some(call) = call else {
            let mut gas = Gas::new(inputs.gas_limit);
            gas.spend_all();
            return result(InstructionResult::Revert, Vec::new(), gas);
        };
        let payable = matches!(call, C::activateProgram(_) | C::codehashKeepalive(_));
        let mut b = match Self::open_call(inputs, &input, payable, payable) {
            Ok(b) => b,
            Err(r) => return r,
        };
        let time = block_time(ctx);
        let code_hash_of = |ctx: &mut Ctx, b: &mut Burner, a: Address| -> Result<B256, Stop> {
            b.burn(arbos_gas::CODE_HASH)?;
            Ok(infallible(ctx.journal_mut().load_account_with_code(a))
                .info
                .code_hash)
        };
        let active =
            |ctx: &mut Ctx, b: &mut Burner, codehash: B256| -> Result<ProgramRecord, Stop> {
                b.burn(arbos_gas::PARAMS + arbos_gas::READ)?;
                active_program(ctx, codehash, &params, time).map_err(Stop::Error)
            };
        let param = |b: &mut Burner, data: Vec<u8>| -> Result<Vec<u8>, Stop> {
            b.burn(arbos_gas::PARAMS)?;
            Ok(data)
        };
        let outcome = match call {
            C::stylusVersion(_) => param(
                &mut b,
                ArbWasm::stylusVersionCall::abi_encode_returns(&params.version),
            ),
            C::inkPrice(_) => param(
                &mut b,
                ArbWasm::inkPriceCall::abi_encode_returns(&params.ink_price),
            ),
            C::maxStackDepth(_) => param(
                &mut b,
                ArbWasm::maxStackDepthCall::abi_encode_returns(&params.max_stack_depth),
            ),
            C::freePages(_) => param(
                &mut b,
                ArbWasm::freePagesCall::abi_encode_returns(&params.free_pages),
            ),
            C::pageGas(_) => param(
                &mut b,
                ArbWasm::pageGasCall::abi_encode_returns(&params.page_gas),
            ),
            C::pageRamp(_) => param(
                &mut b,
                ArbWasm::pageRampCall::abi_encode_returns(&params.page_ramp),
            ),
            C::pageLimit(_) => param(
                &mut b,
                ArbWasm::pageLimitCall::abi_encode_returns(&params.page_limit),
            ),
            C::minInitGas(_) => param(
                &mut b,
                ArbWasm::minInitGasCall::abi_encode_returns(&ArbWasm::minInitGasReturn {
                    gas: u64::from(params.min_init_gas) * crate::params::MIN_INIT_GAS_UNITS,
                    cached: u64::from(params.min_cached_init_gas)
                        * crate::params::MIN_CACHED_GAS_UNITS,
                }),
            ),
            C::initCostScalar(_) => param(
                &mut b,
                ArbWasm::initCostScalarCall::abi_encode_returns(
                    &(u64::from(params.init_cost_scalar) * crate::params::COST_SCALAR_PERCENT),
                ),
            ),
            C::expiryDays(_) => param(
                &mut b,
                ArbWasm::expiryDaysCall::abi_encode_returns(&params.expiry_days),
            ),
            C::keepaliveDays(_) => param(
                &mut b,
                ArbWasm::keepaliveDaysCall::abi_encode_returns(&params.keepalive_days),
            ),
            C::blockCacheSize(_) => param(
                &mut b,
                ArbWasm::blockCacheSizeCall::abi_encode_returns(&params.block_cache_size),
            ),
            C::activationGas(_) => b
                .burn(arbos_gas::READ)
                .map(|()| ArbWasm::activationGasCall::abi_encode_returns(&params.activation_gas)),
            C::codehashVersion(c) => active(ctx, &mut b, c.codehash)
                .map(|r| ArbWasm::codehashVersionCall::abi_encode_returns(&r.version)),
            C::codehashAsmSize(c) => active(ctx, &mut b, c.codehash)
                .map(|r| ArbWasm::codehashAsmSizeCall::abi_encode_returns(&r.asm_size())),
            C::programVersion(c) => code_hash_of(ctx, &mut b, c.program)
                .and_then(|h| active(ctx, &mut b, h))
                .map(|r| ArbWasm::programVersionCall::abi_encode_returns(&r.version)),
            C::programInitGas(c) => code_hash_of(ctx, &mut b, c.program)
                .and_then(|h| active(ctx, &mut b, h))
                .map(|r| {
                    let (gas, cached) = params.program_init_gas_view(r.init_cost, r.cached_cost);
                    ArbWasm::programInitGasCall::abi_encode_returns(
                        &ArbWasm::programInitGasReturn {
                            gas,
                            gasWhenCached: cached,
                        },
                    )
                }),
            C::programMemoryFootprint(c) => code_hash_of(ctx, &mut b, c.program)
                .and_then(|h| active(ctx, &mut b, h))
                .map(|r| ArbWasm::programMemoryFootprintCall::abi_encode_returns(&r.footprint)),
            C::programTimeLeft(c) => code_hash_of(ctx, &mut b, c.program)
                .and_then(|h| active(ctx, &mut b, h))
                .map(|r| {
                    let left = params.expiry_seconds().saturating_sub(r.age(time));
                    ArbWasm::programTimeLeftCall::abi_encode_returns(&left)
                }),
            C::activateProgram(c) => self.activate(ctx, inputs, &mut b, c.program, &params),
            C::codehashKeepalive(c) => Self::keepalive(ctx, inputs, &mut b, c.codehash, &params),
        };
        b.finish(outcome)
    }

    /// Charges the data fee: the excess goes back to the caller.
    fn pay_data_fee(
        ctx: &mut Ctx,
        inputs: &CallInputs,
        b: &mut Burner,
        fee: U256,
    ) -> Result<(), Stop> {
        let paid = inputs.value.get();
        if paid < fee {
            return Err(sol_error(&ArbWasm::ProgramInsufficientValue {
                have: paid,
                want: fee,
            }));
        }
        b.burn(arbos_gas::READ)?; // the network fee account
        if paid > fee {
            let _ = infallible(
                ctx.journal_mut()
                    .transfer(ARB_WASM, inputs.caller, paid - fee),
            );
        }
        Ok(())
    }

    /// Updates the data pricer for `bytes` at `time`, charging its storage.
    fn data_fee(ctx: &mut Ctx, b: &mut Burner, bytes: u32, time: u64) -> Result<U256, Stop> {
        b.burn(5 * arbos_gas::READ)?;
        let mut pricer = data_pricer(ctx);
        let fee = pricer.update(bytes, time);
        b.burn(write_gas(u64::from(pricer.demand)) + write_gas(pricer.last_update))?;
        set_data_pricer(ctx, pricer);
        Ok(fee)
    }

    /// `activateProgram(program)` (Nitro's `ActivateProgram`).
    fn activate(
        &self,
        ctx: &mut Ctx,
        inputs: &CallInputs,
        b: &mut Burner,
        address: Address,
        params: &StylusParams,
    ) -> Result<Vec<u8>, Stop> {
        if params.arbos_version >= ARBOS_60 {
            b.burn(arbos_gas::READ)?;
            b.burn(params.activation_gas)?;
        }
        b.burn(ACTIVATION_FIXED_GAS)?;
        b.burn(arbos_gas::PARAMS + arbos_gas::READ)?;
        let time = block_time(ctx);
        let acc = infallible(ctx.journal_mut().load_account_with_code(address));
        let (codehash, code) = (
            acc.info.code_hash,
            acc.info.code.clone().unwrap_or_default(),
        );
        let old = program_record(ctx, codehash);
        let expired = old.activated_at == 0 || old.age(time) > params.expiry_seconds();
        if old.version == params.version && !expired {
            return Err(sol_error(&ArbWasm::ProgramUpToDate {}));
        }
        let code = code.original_byte_slice();
        if !labelmint_wasm::is_stylus_code(code) {
            return Err(sol_error(&ArbWasm::ProgramNotWasm {}));
        }
        let compiled = match self.program_uncached(codehash, code) {
            Ok(p) => p,
            // Decompression: a plain error (revert, gas kept).
            Err(ActivationError::Wasm(
                WasmError::Decompress(_)
                | WasmError::UnknownDictionary(_)
                | WasmError::TooLarge { .. },
            )) => return Err(Stop::Fail { burn_all: false }),
            // Anything the prover refuses: all gas is taken.
            Err(_) => return Err(Stop::Fail { burn_all: true }),
        };
        let open = self.pages().open;
        b.burn(program::compile_gas(&compiled.stats, params.arbos_version))
            .map_err(|_| Stop::Fail { burn_all: true })?;
        let costs = program::costs(&compiled.stats, params.version)
            .map_err(|_| Stop::Fail { burn_all: true })?;
        if costs.footprint > params.page_limit.saturating_sub(open) {
            return Err(Stop::Fail { burn_all: true });
        }
        if old.cached {
            b.burn(arbos_gas::READ)?; // the old module hash, to evict
        }
        b.burn(arbos_gas::WRITE)?; // module hash
        let asm_kb = costs.asm_estimate.div_ceil(1_024);
        let fee = Self::data_fee(ctx, b, costs.asm_estimate, time)?;
        b.burn(arbos_gas::WRITE)?; // the record
        let record = ProgramRecord {
            version: params.version,
            init_cost: costs.init_cost,
            cached_cost: costs.cached_cost,
            footprint: costs.footprint,
            activated_at: hours_since_arbitrum(time),
            asm_estimate_kb: asm_kb,
            cached: old.cached,
        };
        set_program_record(ctx, codehash, &record);
        sstore(
            ctx,
            derived_key(b"module-hash:", codehash),
            compiled.module_hash.into(),
        );
        Self::pay_data_fee(ctx, inputs, b, fee)?;
        b.burn(event_gas(1, 4 * 32))?;
        ctx.journal_mut().log(Log {
            address: ARB_WASM,
            data: ArbWasm::ProgramActivated {
                codehash,
                moduleHash: compiled.module_hash,
                program: address,
                dataFee: fee,
                version: params.version,
            }
            .encode_log_data(),
        });
        Ok(ArbWasm::activateProgramCall::abi_encode_returns(
            &ArbWasm::activateProgramReturn {
                version: params.version,
                dataFee: fee,
            },
        ))
    }

    /// `codehashKeepalive(codehash)`: renews the activation for a data fee.
    fn keepalive(
        ctx: &mut Ctx,
        inputs: &CallInputs,
        b: &mut Burner,
        codehash: B256,
        params: &StylusParams,
    ) -> Result<Vec<u8>, Stop> {
        let time = block_time(ctx);
        b.burn(arbos_gas::PARAMS + arbos_gas::READ)?;
        let mut record = active_program(ctx, codehash, params, time).map_err(Stop::Error)?;
        let age = record.age(time);
        if age < params.keepalive_seconds() {
            return Err(sol_error(&ArbWasm::ProgramKeepaliveTooSoon {
                ageInSeconds: age,
            }));
        }
        let fee = Self::data_fee(ctx, b, record.asm_size(), time)?;
        record.activated_at = hours_since_arbitrum(time);
        b.burn(arbos_gas::WRITE)?;
        set_program_record(ctx, codehash, &record);
        Self::pay_data_fee(ctx, inputs, b, fee)?;
        b.burn(event_gas(1, 32))?; // ProgramLifetimeExtended
        ctx.journal_mut().log(Log {
            address: ARB_WASM,
            data: ArbWasm::ProgramLifetimeExtended {
                codehash,
                dataFee: fee,
            }
            .encode_log_data(),
        });
        Ok(Vec::new())
    }

    /// The ArbWasmCache precompile.
    fn arb_wasm_cache(&self, ctx: &mut Ctx, inputs: &CallInputs) -> InterpreterResult {
        use ArbWasmCache::ArbWasmCacheCalls as C;
        let params = self.params();
        let input = inputs.input.bytes(ctx).to_vec();
        let Ok(call) = C::abi_decode(&input) else {
            let mut gas = Gas::new(inputs.gas_limit);
            gas.spend_all();
            return result(InstructionResult::Revert, Vec::new(), gas);
        };
        let writes = matches!(call, C::cacheProgram(_) | C::evictCodehash(_));
        let mut b = match Self::open_call(inputs, &input, false, writes) {
            Ok(b) => b,
            Err(r) => return r,
        };
        let time = block_time(ctx);
        let outcome = match call {
            C::isCacheManager(_) => b
                .burn(arbos_gas::READ)
                .map(|()| ArbWasmCache::isCacheManagerCall::abi_encode_returns(&true)),
            C::allCacheManagers(_) => b
                .burn(arbos_gas::READ)
                .map(|()| ArbWasmCache::allCacheManagersCall::abi_encode_returns(&Vec::new())),
            C::codehashIsCached(c) => b.burn(arbos_gas::READ).map(|()| {
                let cached = is_cached(ctx, c.codehash);
                ArbWasmCache::codehashIsCachedCall::abi_encode_returns(&cached)
            }),
            C::cacheProgram(c) => b.burn(arbos_gas::CODE_HASH).and_then(|()| {
                let codehash = infallible(ctx.journal_mut().load_account_with_code(c.addr))
                    .info
                    .code_hash;
                Self::set_cached(ctx, inputs, &mut b, codehash, true, &params, time)
            }),
            C::evictCodehash(c) => {
                Self::set_cached(ctx, inputs, &mut b, c.codehash, false, &params, time)
            }
        };
        b.finish(outcome)
    }

    /// Nitro's `SetProgramCached`.
    fn set_cached(
        ctx: &mut Ctx,
        inputs: &CallInputs,
        b: &mut Burner,
        codehash: B256,
        cache: bool,
        params: &StylusParams,
        time: u64,
    ) -> Result<Vec<u8>, Stop> {
        // Access check (every account is a cache manager here), params, record.
        b.burn(arbos_gas::READ + arbos_gas::PARAMS + arbos_gas::READ)?;
        let mut record = program_record(ctx, codehash);
        let age = record.age(time);
        if cache && record.version != params.version {
            return Err(sol_error(&ArbWasm::ProgramNeedsUpgrade {
                version: record.version,
                stylusVersion: params.version,
            }));
        }
        if cache && age > params.expiry_seconds() {
            return Err(sol_error(&ArbWasm::ProgramExpired { ageInSeconds: age }));
        }
        if record.cached == cache {
            return Ok(Vec::new());
        }
        b.burn(event_gas(2, 32))?;
        ctx.journal_mut().log(Log {
            address: ARB_WASM_CACHE,
            data: ArbWasmCache::UpdateProgramCache {
                manager: inputs.caller,
                codehash,
                cached: cache,
            }
            .encode_log_data(),
        });
        // Paying to (re)compile into the cache, the module hash, the record.
        b.burn(u64::from(record.init_cost))?;
        b.burn(arbos_gas::READ)?;
        b.burn(arbos_gas::WRITE)?;
        record.cached = cache;
        set_program_record(ctx, codehash, &record);
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_pack_as_nitro_packs_them() {
        let r = ProgramRecord {
            version: 2,
            init_cost: 0x1234,
            cached_cost: 0x0567,
            footprint: 3,
            activated_at: 0x0A_BCDE,
            asm_estimate_kb: 0x00_1122,
            cached: true,
        };
        let w = r.pack();
        assert_eq!(
            &w.0[..15],
            &[0, 2, 0x12, 0x34, 0x05, 0x67, 0, 3, 0x0A, 0xBC, 0xDE, 0, 0x11, 0x22, 1]
        );
        assert_eq!(ProgramRecord::unpack(w), r);
        assert_eq!(r.asm_size(), 0x1122 * 1_024);
    }

    #[test]
    fn recent_programs_are_an_lru() {
        let (a, b, c) = (
            B256::repeat_byte(1),
            B256::repeat_byte(2),
            B256::repeat_byte(3),
        );
        let mut lru = RecentPrograms::default();
        assert!(!lru.insert(a, 2));
        assert!(!lru.insert(b, 2));
        assert!(lru.insert(a, 2), "a is recent");
        assert!(!lru.insert(c, 2), "c evicts b, the least recently used");
        assert!(lru.insert(a, 2));
        assert!(!lru.insert(b, 2));
    }
}
