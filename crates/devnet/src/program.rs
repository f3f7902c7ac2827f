//! Activation: turning deployed `0xEFF000` code into a runnable, metered
//! program, with the figures ArbWasm reports about it.

use std::{num::NonZeroUsize, rc::Rc};

use labelmint_wasm::WasmError;
use revm::primitives::{keccak256, B256};

use crate::meter::{self, MeterError};

/// Stylus version this chain activates programs at.
pub const STYLUS_VERSION: u16 = 2;
/// Free memory pages per transaction.
pub const FREE_PAGES: u16 = 2;
/// Gas per memory page beyond the free ones (linear part).
pub const PAGE_GAS: u64 = 1_000;
/// Largest memory a program may use, in 64 KiB pages.
pub const PAGE_LIMIT: u16 = 128;
/// Wasm call depth limit (frames), standing in for Nitro's stack-depth budget.
pub const MAX_RECURSION_DEPTH: usize = 1_024;

/// Reference point for the entry cost model: a 59 KB program paid 19,815 gas
/// per uncached call and 7,610 gas cached on a Nitro-derived dev node.
const INIT_GAS_REFERENCE_BYTES: u64 = 59_000;
const INIT_GAS_REFERENCE_UNCACHED: u64 = 19_815;
const INIT_GAS_REFERENCE_CACHED: u64 = 7_610;
/// Activation gas model: the same node charged 1,685,258 gas to activate that
/// program.
const ACTIVATION_GAS_REFERENCE: u64 = 1_685_258;
/// Data fee per byte of wasm (wei) charged by `activateProgram`.
pub const DATA_FEE_WEI_PER_BYTE: u64 = 1_000_000;

/// Why activation failed.
#[derive(Debug, thiserror::Error)]
pub enum ActivationError {
    /// The code is not a Stylus program or cannot be decompressed.
    #[error(transparent)]
    Wasm(#[from] WasmError),
    /// Instrumentation failed.
    #[error(transparent)]
    Meter(#[from] MeterError),
    /// The engine refused the instrumented module.
    #[error("engine rejected program: {0}")]
    Engine(String),
}

/// An activated program: its compiled module and its ArbWasm figures.
pub struct Program {
    /// Engine module compiled from the instrumented wasm.
    pub module: wasmi::Module,
    /// Hash of the instrumented wasm.
    pub module_hash: B256,
    /// Uncompressed wasm size.
    pub wasm_len: usize,
    /// Initial memory pages.
    pub footprint: u16,
    /// Gas to enter the program when not cached.
    pub init_gas: u64,
    /// Gas to enter the program when cached.
    pub cached_init_gas: u64,
    /// Gas charged for activation.
    pub activation_gas: u64,
    /// Data fee in wei charged for activation.
    pub data_fee: u64,
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Program")
            .field("module_hash", &self.module_hash)
            .field("wasm_len", &self.wasm_len)
            .field("footprint", &self.footprint)
            .field("init_gas", &self.init_gas)
            .finish_non_exhaustive()
    }
}

/// Scales a reference figure by program size, rounding up, with a floor.
fn scaled(reference: u64, len: usize, floor: u64) -> u64 {
    let len = u64::try_from(len).unwrap_or(u64::MAX);
    let value = reference
        .saturating_mul(len)
        .div_ceil(INIT_GAS_REFERENCE_BYTES);
    value.max(floor)
}

/// The wasmi engine configured for Stylus programs.
pub fn engine() -> wasmi::Engine {
    let mut config = wasmi::Config::default();
    config
        .wasm_reference_types(false)
        .wasm_tail_call(false)
        .wasm_extended_const(false)
        .wasm_multi_memory(false)
        .wasm_memory64(false)
        .wasm_custom_page_sizes(false)
        .wasm_wide_arithmetic(false)
        .set_max_recursion_depth(MAX_RECURSION_DEPTH)
        // Fuel lets a running program be paused to look at the clock
        // (crate::budget); ink, not fuel, is what a program pays.
        .consume_fuel(true);
    wasmi::Engine::new(&config)
}

/// Activates deployed `code`: decompress, validate, instrument, compile.
pub fn activate(engine: &wasmi::Engine, code: &[u8]) -> Result<Program, ActivationError> {
    let wasm = labelmint_wasm::from_stylus_code(code)?;
    let info = labelmint_wasm::validate(&wasm)?;
    let instrumented = meter::instrument(&wasm)?;
    let module = wasmi::Module::new(engine, &instrumented[..])
        .map_err(|e| ActivationError::Engine(e.to_string()))?;
    let wasm_len = wasm.len();
    Ok(Program {
        module,
        module_hash: keccak256(&instrumented),
        wasm_len,
        footprint: u16::try_from(info.initial_pages).unwrap_or(u16::MAX),
        init_gas: scaled(INIT_GAS_REFERENCE_UNCACHED, wasm_len, 2_048),
        cached_init_gas: scaled(INIT_GAS_REFERENCE_CACHED, wasm_len, 128),
        activation_gas: scaled(ACTIVATION_GAS_REFERENCE, wasm_len, 100_000),
        data_fee: DATA_FEE_WEI_PER_BYTE.saturating_mul(u64::try_from(wasm_len).unwrap_or(u64::MAX)),
    })
}

/// Most compiled programs kept in memory (least recently used first out).
pub const PROGRAM_CACHE_SIZE: usize = 128;

/// Compiled programs by code hash, the least recently used dropped past
/// [`PROGRAM_CACHE_SIZE`]. Compilation is a pure function of the code, so
/// this cache lives outside chain state; whether a code hash is *activated*
/// is chain state (see the ArbWasm precompile).
pub struct ProgramCache {
    programs: lru::LruCache<B256, Rc<Program>>,
}

impl Default for ProgramCache {
    fn default() -> Self {
        Self {
            programs: lru::LruCache::new(
                NonZeroUsize::new(PROGRAM_CACHE_SIZE).unwrap_or(NonZeroUsize::MIN),
            ),
        }
    }
}

impl ProgramCache {
    /// The cached program for `codehash`, if any.
    pub fn get(&mut self, codehash: &B256) -> Option<Rc<Program>> {
        self.programs.get(codehash).cloned()
    }

    /// Programs held.
    pub fn len(&self) -> usize {
        self.programs.len()
    }

    /// Whether no program is held.
    pub fn is_empty(&self) -> bool {
        self.programs.is_empty()
    }

    /// The compiled program for `codehash`, compiling `code` on first use.
    pub fn get_or_compile(
        &mut self,
        engine: &wasmi::Engine,
        codehash: B256,
        code: &[u8],
    ) -> Result<Rc<Program>, ActivationError> {
        if let Some(p) = self.programs.get(&codehash) {
            return Ok(Rc::clone(p));
        }
        let program = Rc::new(activate(engine, code)?);
        self.programs.put(codehash, Rc::clone(&program));
        Ok(program)
    }
}
