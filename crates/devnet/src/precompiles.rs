//! The precompile provider of the chain: Ethereum's precompiles, the ArbWasm
//! precompile at `0x…71`, and the execution of every Stylus program (code that
//! starts with `0xEFF000`).

use std::{
    cell::{Cell, RefCell},
    collections::HashSet,
    rc::Rc,
};

use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolInterface};
use revm::{
    context::{ContextTr, JournalTr},
    handler::{EthPrecompiles, PrecompileProvider},
    interpreter::{CallInputs, Gas, InstructionResult, InterpreterResult},
    primitives::{address, hardfork::SpecId, Address, AddressSet, Bytes, Log, B256, U256},
};

use crate::{
    evm::{infallible, Ctx},
    host::{execute, linker, HostState, Outcome},
    pricing::{gas_to_ink, INK_PER_GAS},
    program::{
        engine, ActivationError, Program, ProgramCache, FREE_PAGES, PAGE_GAS, STYLUS_VERSION,
    },
};

/// Most gas one program invocation receives as ink (`i64::MAX` ink); the
/// rest of a larger allowance stays with the caller's frame.
pub const MAX_PROGRAM_GAS: u64 = (i64::MAX as u64) / INK_PER_GAS;

/// Address of the ArbWasm precompile.
pub const ARB_WASM: Address = address!("0000000000000000000000000000000000000071");
/// Address of the ArbWasmCache precompile.
pub const ARB_WASM_CACHE: Address = address!("0000000000000000000000000000000000000072");

sol! {
    /// ArbWasm, as Nitro exposes it (the subset a deployer and tools use).
    interface ArbWasm {
        function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
        function stylusVersion() external view returns (uint16 version);
        function inkPrice() external view returns (uint32 price);
        function codehashVersion(bytes32 codehash) external view returns (uint16 version);
        function programVersion(address program) external view returns (uint16 version);
        function programInitGas(address program) external view returns (uint64 gas, uint64 gasWhenCached);
        function programMemoryFootprint(address program) external view returns (uint16 footprint);
        function freePages() external view returns (uint16 pages);
        function pageGas() external view returns (uint16 gas);
        function pageLimit() external view returns (uint16 limit);

        event ProgramActivated(bytes32 indexed codehash, bytes32 moduleHash, address program, uint256 dataFee, uint16 version);

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

/// ArbWasm storage key of the "cached" flag of a code hash.
fn cache_key(codehash: B256) -> U256 {
    let mut preimage = b"labelmint-devnet:cached".to_vec();
    preimage.extend_from_slice(codehash.as_slice());
    revm::primitives::keccak256(preimage).into()
}

/// Whether `codehash` is in the program cache (chain state, so snapshots and
/// reverts keep it consistent).
pub fn is_cached(ctx: &mut Ctx, codehash: B256) -> bool {
    let journal = ctx.journal_mut();
    infallible(journal.load_account(ARB_WASM));
    !infallible(journal.sload(ARB_WASM, cache_key(codehash)))
        .data
        .is_zero()
}

/// State shared by every copy of the provider (nested frames get copies).
struct Shared {
    engine: wasmi::Engine,
    linker: wasmi::Linker<HostState>,
    programs: RefCell<ProgramCache>,
    /// Stylus programs currently on the call stack (for `msg_reentrant`).
    stack: RefCell<Vec<Address>>,
    /// Programs entered in the current block (priced as cached).
    recent: RefCell<HashSet<B256>>,
    /// Dev switch: run programs without activation.
    auto_activate: Cell<bool>,
}

/// Ethereum precompiles + ArbWasm + Stylus execution.
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
    /// A provider for `spec`.
    pub fn new(spec: SpecId) -> Self {
        let engine = engine();
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
                recent: RefCell::new(HashSet::new()),
                auto_activate: Cell::new(false),
            }),
        }
    }

    /// Lets programs run without `activateProgram` (development only).
    pub fn set_auto_activate(&self, on: bool) {
        self.shared.auto_activate.set(on);
    }

    /// Which programs ran in the current block (saved around `eth_call`s, so
    /// a call cannot make a later transaction's program entry cheaper).
    pub fn recent_programs(&self) -> HashSet<B256> {
        self.shared.recent.borrow().clone()
    }

    /// Restores what [`Self::recent_programs`] saved.
    pub fn restore_recent_programs(&self, recent: HashSet<B256>) {
        *self.shared.recent.borrow_mut() = recent;
    }

    /// Forgets which programs ran in the current block (a new block starts).
    pub fn new_block(&self) {
        self.shared.recent.borrow_mut().clear();
    }

    /// The compiled program for `code` (kept in the bounded cache: only
    /// for code hashes that are activated, or run under auto-activation).
    fn program(&self, codehash: B256, code: &[u8]) -> Result<Rc<Program>, ActivationError> {
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
        crate::program::activate(&self.shared.engine, code).map(Rc::new)
    }

    /// Compiled programs held in memory.
    pub fn compiled_programs(&self) -> usize {
        self.shared.programs.borrow().len()
    }
}

/// Activation record of `codehash` (its Stylus version), if activated.
pub fn activated_version(ctx: &mut Ctx, codehash: B256) -> Option<u16> {
    let journal = ctx.journal_mut();
    infallible(journal.load_account(ARB_WASM));
    let v = infallible(journal.sload(ARB_WASM, codehash.into())).data;
    (!v.is_zero()).then(|| v.saturating_to::<u16>())
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
            return Ok(Some(arb_wasm_cache(ctx, inputs)));
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

impl StylusPrecompiles {
    /// Runs the Stylus program the call targets.
    fn run_program(&self, ctx: &mut Ctx, inputs: &CallInputs) -> InterpreterResult {
        let mut gas = Gas::new(inputs.gas_limit);
        // Each nested program runs on the chain thread's native stack: past
        // the bound the call fails, like an EVM call past the depth limit
        // (its gas is returned), and the budget is looked at on the way.
        if self.shared.stack.borrow().len() >= crate::chain::MAX_STYLUS_DEPTH
            || crate::budget::check()
        {
            return result(InstructionResult::Revert, Vec::new(), gas);
        }
        let (codehash, bytecode) = (&inputs.known_bytecode.0, &inputs.known_bytecode.1);
        let version = activated_version(ctx, *codehash);
        if version.is_none() && !self.shared.auto_activate.get() {
            return revert(&ArbWasm::ProgramNotActivated {}, gas);
        }
        let Ok(program) = self.program(*codehash, bytecode.original_byte_slice()) else {
            return revert(&ArbWasm::ProgramNotWasm {}, gas);
        };
        let recent = !self.shared.recent.borrow_mut().insert(*codehash);
        let cached = recent || is_cached(ctx, *codehash);
        let entry = if cached {
            program.cached_init_gas
        } else {
            program.init_gas
        };
        let extra_pages = u64::from(program.footprint.saturating_sub(FREE_PAGES));
        if !gas.record_regular_cost(entry.saturating_add(PAGE_GAS * extra_pages)) {
            gas.spend_all();
            return result(InstructionResult::OutOfGas, Vec::new(), gas);
        }

        let args = inputs.input.bytes(ctx).to_vec();
        let address = inputs.target_address;
        let reentrant = self.shared.stack.borrow().contains(&address);
        self.shared.stack.borrow_mut().push(address);
        let owned = std::mem::replace(ctx, crate::evm::placeholder());
        let mut state = HostState::new(
            owned,
            self.clone(),
            address,
            inputs.caller,
            inputs.value.get(),
            inputs.is_static,
            reentrant,
            args,
        );
        state.pages = program.footprint;
        // The ink global is an i64: give the program at most what fits and
        // keep the rest of the gas outside, so no amount saturates.
        let ink = gas_to_ink(gas.remaining().min(MAX_PROGRAM_GAS));
        let (outcome, ink_left, state) = execute(
            &self.shared.engine,
            &self.shared.linker,
            &program.module,
            state,
            ink,
        );
        *ctx = state.ctx;
        self.shared.stack.borrow_mut().pop();

        let used = (ink.saturating_sub(ink_left)).div_ceil(INK_PER_GAS);
        match outcome {
            Outcome::Success(data) => {
                let _ = gas.record_regular_cost(used);
                gas.record_refund(state.refund);
                result(InstructionResult::Return, data, gas)
            }
            Outcome::Revert(data) => {
                let _ = gas.record_regular_cost(used);
                result(InstructionResult::Revert, data, gas)
            }
            Outcome::OutOfInk => {
                gas.spend_all();
                result(InstructionResult::OutOfGas, Vec::new(), gas)
            }
            Outcome::Failure(reason) => {
                if std::env::var_os("LABELMINT_DEVNET_TRACE").is_some() {
                    eprintln!("stylus program {address} failed: {reason}");
                }
                // A trap is an exceptional halt: all gas of the frame is gone.
                gas.spend_all();
                result(InstructionResult::Revert, Vec::new(), gas)
            }
        }
    }

    /// The ArbWasm precompile.
    fn arb_wasm(&self, ctx: &mut Ctx, inputs: &CallInputs) -> InterpreterResult {
        use ArbWasm::ArbWasmCalls as C;
        let mut gas = Gas::new(inputs.gas_limit);
        // Reads are priced like a warm SLOAD.
        if !gas.record_regular_cost(crate::host::gas::WARM) {
            gas.spend_all();
            return result(InstructionResult::OutOfGas, Vec::new(), gas);
        }
        let input = inputs.input.bytes(ctx);
        let Ok(call) = C::abi_decode(&input) else {
            return result(InstructionResult::Revert, Vec::new(), gas);
        };
        let code_of = |ctx: &mut Ctx, a: Address| -> (B256, revm::bytecode::Bytecode) {
            let acc = infallible(ctx.journal_mut().load_account_with_code(a));
            (
                acc.info.code_hash,
                acc.info.code.clone().unwrap_or_default(),
            )
        };
        let ok = |data: Vec<u8>, gas: Gas| result(InstructionResult::Return, data, gas);
        match call {
            C::stylusVersion(_) => ok(
                ArbWasm::stylusVersionCall::abi_encode_returns(&STYLUS_VERSION),
                gas,
            ),
            C::inkPrice(_) => ok(
                ArbWasm::inkPriceCall::abi_encode_returns(
                    &u32::try_from(INK_PER_GAS).unwrap_or(u32::MAX),
                ),
                gas,
            ),
            C::freePages(_) => ok(ArbWasm::freePagesCall::abi_encode_returns(&FREE_PAGES), gas),
            C::pageGas(_) => ok(
                ArbWasm::pageGasCall::abi_encode_returns(
                    &u16::try_from(PAGE_GAS).unwrap_or(u16::MAX),
                ),
                gas,
            ),
            C::pageLimit(_) => ok(
                ArbWasm::pageLimitCall::abi_encode_returns(&crate::program::PAGE_LIMIT),
                gas,
            ),
            C::codehashVersion(c) => match activated_version(ctx, c.codehash) {
                Some(v) => ok(ArbWasm::codehashVersionCall::abi_encode_returns(&v), gas),
                None => revert(&ArbWasm::ProgramNotActivated {}, gas),
            },
            C::programVersion(c) => {
                let (hash, _) = code_of(ctx, c.program);
                match activated_version(ctx, hash) {
                    Some(v) => ok(ArbWasm::programVersionCall::abi_encode_returns(&v), gas),
                    None => revert(&ArbWasm::ProgramNotActivated {}, gas),
                }
            }
            C::programInitGas(c) => match self.activated_program(ctx, c.program) {
                Some(p) => ok(
                    ArbWasm::programInitGasCall::abi_encode_returns(
                        &ArbWasm::programInitGasReturn {
                            gas: p.init_gas,
                            gasWhenCached: p.cached_init_gas,
                        },
                    ),
                    gas,
                ),
                None => revert(&ArbWasm::ProgramNotActivated {}, gas),
            },
            C::programMemoryFootprint(c) => match self.activated_program(ctx, c.program) {
                Some(p) => ok(
                    ArbWasm::programMemoryFootprintCall::abi_encode_returns(&p.footprint),
                    gas,
                ),
                None => revert(&ArbWasm::ProgramNotActivated {}, gas),
            },
            C::activateProgram(c) => self.activate(ctx, inputs, c.program, gas),
        }
    }

    /// The compiled program at `address`, if its code hash is activated.
    fn activated_program(&self, ctx: &mut Ctx, address: Address) -> Option<Rc<Program>> {
        let acc = infallible(ctx.journal_mut().load_account_with_code(address));
        let (codehash, code) = (
            acc.info.code_hash,
            acc.info.code.clone().unwrap_or_default(),
        );
        activated_version(ctx, codehash)?;
        self.program(codehash, code.original_byte_slice()).ok()
    }

    /// `activateProgram(program)`.
    fn activate(
        &self,
        ctx: &mut Ctx,
        inputs: &CallInputs,
        program: Address,
        mut gas: Gas,
    ) -> InterpreterResult {
        let acc = infallible(ctx.journal_mut().load_account_with_code(program));
        let (codehash, code) = (
            acc.info.code_hash,
            acc.info.code.clone().unwrap_or_default(),
        );
        if activated_version(ctx, codehash) == Some(STYLUS_VERSION) {
            return revert(&ArbWasm::ProgramUpToDate {}, gas);
        }
        let Ok(compiled) = self.program_uncached(codehash, code.original_byte_slice()) else {
            return revert(&ArbWasm::ProgramNotWasm {}, gas);
        };
        if !gas.record_regular_cost(compiled.activation_gas) {
            gas.spend_all();
            return result(InstructionResult::OutOfGas, Vec::new(), gas);
        }
        let fee = U256::from(compiled.data_fee);
        let paid = inputs.value.get();
        if paid < fee {
            return revert(
                &ArbWasm::ProgramInsufficientValue {
                    have: paid,
                    want: fee,
                },
                gas,
            );
        }
        let journal = ctx.journal_mut();
        if paid > fee {
            // Refund the excess; the fee stays with ArbWasm.
            let _ = infallible(journal.transfer(ARB_WASM, inputs.caller, paid - fee));
        }
        infallible(journal.load_account(ARB_WASM));
        let _ = infallible(journal.sstore(ARB_WASM, codehash.into(), U256::from(STYLUS_VERSION)));
        journal.log(Log {
            address: ARB_WASM,
            data: ArbWasm::ProgramActivated {
                codehash,
                moduleHash: compiled.module_hash,
                program,
                dataFee: fee,
                version: STYLUS_VERSION,
            }
            .encode_log_data(),
        });
        result(
            InstructionResult::Return,
            ArbWasm::activateProgramCall::abi_encode_returns(&ArbWasm::activateProgramReturn {
                version: STYLUS_VERSION,
                dataFee: fee,
            }),
            gas,
        )
    }
}

/// The ArbWasmCache precompile.
fn arb_wasm_cache(ctx: &mut Ctx, inputs: &CallInputs) -> InterpreterResult {
    use ArbWasmCache::ArbWasmCacheCalls as C;
    let mut gas = Gas::new(inputs.gas_limit);
    if !gas.record_regular_cost(crate::host::gas::WARM) {
        gas.spend_all();
        return result(InstructionResult::OutOfGas, Vec::new(), gas);
    }
    let input = inputs.input.bytes(ctx);
    let Ok(call) = C::abi_decode(&input) else {
        return result(InstructionResult::Revert, Vec::new(), gas);
    };
    let ok = |data: Vec<u8>, gas: Gas| result(InstructionResult::Return, data, gas);
    let set = |ctx: &mut Ctx, codehash: B256, cached: bool, mut gas: Gas| {
        if inputs.is_static {
            return result(InstructionResult::Revert, Vec::new(), gas);
        }
        // Priced like a storage write.
        if !gas.record_regular_cost(crate::host::gas::SSTORE_SET) {
            gas.spend_all();
            return result(InstructionResult::OutOfGas, Vec::new(), gas);
        }
        let journal = ctx.journal_mut();
        infallible(journal.load_account(ARB_WASM));
        let _ =
            infallible(journal.sstore(ARB_WASM, cache_key(codehash), U256::from(u8::from(cached))));
        journal.log(Log {
            address: ARB_WASM_CACHE,
            data: ArbWasmCache::UpdateProgramCache {
                manager: inputs.caller,
                codehash,
                cached,
            }
            .encode_log_data(),
        });
        ok(Vec::new(), gas)
    };
    match call {
        C::isCacheManager(_) => ok(
            ArbWasmCache::isCacheManagerCall::abi_encode_returns(&true),
            gas,
        ),
        C::allCacheManagers(_) => ok(
            ArbWasmCache::allCacheManagersCall::abi_encode_returns(&Vec::new()),
            gas,
        ),
        C::codehashIsCached(c) => {
            let cached = is_cached(ctx, c.codehash);
            ok(
                ArbWasmCache::codehashIsCachedCall::abi_encode_returns(&cached),
                gas,
            )
        }
        C::cacheProgram(c) => {
            let acc = infallible(ctx.journal_mut().load_account_with_code(c.addr));
            let codehash = acc.info.code_hash;
            if activated_version(ctx, codehash).is_none() {
                return revert(&ArbWasm::ProgramNotActivated {}, gas);
            }
            set(ctx, codehash, true, gas)
        }
        C::evictCodehash(c) => set(ctx, c.codehash, false, gas),
    }
}
