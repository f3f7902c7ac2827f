//! Activation: turning deployed `0xEFF000` code into a runnable, metered
//! program, and the costs Nitro fixes at activation (prover `binary.rs`) and
//! charges for it (prover `programs/mod.rs`). Formulas are facts read from
//! OffchainLabs/nitro; the code is this crate's own.

use std::{num::NonZeroUsize, rc::Rc};

use labelmint_wasm::WasmError;
use revm::primitives::{keccak256, B256};

use crate::meter::{self, MeterError, ModuleStats};

/// Wasm call frames wasmi allows. Nitro's stack budget
/// ([`crate::params::StylusParams::max_stack_depth`] words, at least 6 per
/// frame) binds long before this.
pub const MAX_RECURSION_DEPTH: usize = 65_536;

/// Gas charged up front by every activation.
pub const ACTIVATION_FIXED_GAS: u64 = 1_659_168;

/// Why activation failed.
#[derive(Debug, thiserror::Error)]
pub enum ActivationError {
    /// The code is not a Stylus program or cannot be decompressed.
    #[error(transparent)]
    Wasm(#[from] WasmError),
    /// Instrumentation failed (or one of Nitro's limits was hit).
    #[error(transparent)]
    Meter(#[from] MeterError),
    /// The engine refused the instrumented module.
    #[error("engine rejected program: {0}")]
    Engine(String),
    /// A cost does not fit the field Nitro stores it in.
    #[error("{0} too high")]
    CostOverflow(&'static str),
}

/// The figures Nitro stores for an activated program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgramCosts {
    /// Init cost (u16): the size-dependent part of an uncached entry.
    pub init_cost: u16,
    /// Cached init cost (u16): the size-dependent part of every entry.
    pub cached_cost: u16,
    /// Predicted size of the native code, in bytes.
    pub asm_estimate: u32,
    /// Initial memory pages.
    pub footprint: u16,
}

/// Nitro's activation-time cost prediction from a module's figures, for
/// Stylus `version` (on version 1 the init cost includes the cached cost):
///
/// ```text
/// cached = funcs·13420/10⁵ + type_len·89/10⁵ + wasm_len·122/10⁵
///        + globals·1628/10³ + data_len·75244/10⁵ + footprint·5
/// init   = funcs·8252/10³ + type_len·1059/10³ + wasm_len·1286/10⁴
/// asm    = 512000 + funcs·996829/10³ + type_len·11416/10³ + wasm_len·62628/10⁴
/// ```
///
/// each term rounded down on its own; `data_len` counts data and element
/// segment entries with their headers. Init and cached costs must fit 16 bits.
pub fn costs(stats: &ModuleStats, version: u16) -> Result<ProgramCosts, ActivationError> {
    let ModuleStats {
        wasm_len,
        funcs,
        globals,
        type_len,
        ..
    } = *stats;
    let data_len = stats.data_entry_len.saturating_add(stats.elem_len);
    let term = |n: u64, num: u64, den: u64| n.saturating_mul(num) / den;

    let asm = 512_000u64
        .saturating_add(term(funcs, 996_829, 1_000))
        .saturating_add(term(type_len, 11_416, 1_000))
        .saturating_add(term(wasm_len, 62_628, 10_000));

    let cached = term(funcs, 13_420, 100_000)
        .saturating_add(term(type_len, 89, 100_000))
        .saturating_add(term(wasm_len, 122, 100_000))
        .saturating_add(term(globals, 1_628, 1_000))
        .saturating_add(term(data_len, 75_244, 100_000))
        .saturating_add(u64::from(stats.footprint) * 5);

    let mut init = if version == 1 { cached } else { 0 };
    init = init
        .saturating_add(term(funcs, 8_252, 1_000))
        .saturating_add(term(type_len, 1_059, 1_000))
        .saturating_add(term(wasm_len, 1_286, 10_000));

    Ok(ProgramCosts {
        init_cost: u16::try_from(init).map_err(|_| ActivationError::CostOverflow("init cost"))?,
        cached_cost: u16::try_from(cached)
            .map_err(|_| ActivationError::CostOverflow("cached cost"))?,
        asm_estimate: u32::try_from(asm)
            .map_err(|_| ActivationError::CostOverflow("asm estimate"))?,
        footprint: stats.footprint,
    })
}

/// Gas of compiling a module at activation: 28 gas per estimated
/// microsecond, each part rounded down on its own:
///
/// ```text
/// wasm_len·31733/10⁵ (from ArbOS 32) + funcs·17263/10⁵ + data_bytes·17376/10⁵
/// + elem_len·17376/10⁵ + pages·2217 + instrumented_ops·535/10³
/// ```
pub fn compile_gas(stats: &ModuleStats, arbos_version: u64) -> u64 {
    let us_to_gas = |us: u64| us.saturating_mul(2 * 7_000_000) / (1_000_000 / 2);
    let term = |n: u64, num: u64, den: u64| us_to_gas(n.saturating_mul(num) / den);
    let mut gas = 0u64;
    if arbos_version >= crate::params::ARBOS_STYLUS_CHARGING_FIXES {
        gas = gas.saturating_add(term(stats.wasm_len, 31_733, 100_000));
    }
    gas.saturating_add(term(stats.funcs, 17_263, 100_000))
        .saturating_add(term(stats.data_bytes, 17_376, 100_000))
        .saturating_add(term(stats.elem_len, 17_376, 100_000))
        .saturating_add(us_to_gas(u64::from(stats.footprint).saturating_mul(2_217)))
        .saturating_add(term(stats.instrumented_ops, 535, 1_000))
}

/// A compiled program.
pub struct Program {
    /// Engine module compiled from the instrumented wasm.
    pub module: wasmi::Module,
    /// Hash of the instrumented wasm (stands in for Nitro's module hash).
    pub module_hash: B256,
    /// The figures its costs derive from.
    pub stats: ModuleStats,
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Program")
            .field("module_hash", &self.module_hash)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
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
        .set_max_stack_height(64 * 1024 * 1024)
        // Fuel lets a running program be paused to look at the clock
        // (crate::budget); ink, not fuel, is what a program pays.
        .consume_fuel(true);
    wasmi::Engine::new(&config)
}

/// Compiles deployed `code`: decompress, validate, instrument, compile.
pub fn compile(engine: &wasmi::Engine, code: &[u8]) -> Result<Program, ActivationError> {
    let wasm = labelmint_wasm::from_stylus_code(code)?;
    labelmint_wasm::validate(&wasm)?;
    let instrumented = meter::instrument(&wasm)?;
    let module = wasmi::Module::new(engine, &instrumented.wasm[..])
        .map_err(|e| ActivationError::Engine(e.to_string()))?;
    Ok(Program {
        module,
        module_hash: keccak256(&instrumented.wasm),
        stats: instrumented.stats,
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
        let program = Rc::new(compile(engine, code)?);
        self.programs.put(codehash, Rc::clone(&program));
        Ok(program)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats() -> ModuleStats {
        ModuleStats {
            wasm_len: 76_188,
            funcs: 250,
            globals: 3 + 4,
            type_len: 700,
            data_entry_len: 5_000,
            data_bytes: 4_990,
            elem_len: 40,
            footprint: 2,
            instrumented_ops: 60_000,
        }
    }

    #[test]
    fn activation_costs_match_hand_computed_values() {
        let c = costs(&stats(), 2).unwrap();
        // cached: 250·13420/10⁵ = 33, 700·89/10⁵ = 0, 76188·122/10⁵ = 92,
        // 7·1628/10³ = 11, 5040·75244/10⁵ = 3792, 2·5 = 10
        assert_eq!(c.cached_cost, 33 + 92 + 11 + 3_792 + 10);
        // init: 250·8252/10³ = 2063, 700·1059/10³ = 741, 76188·1286/10⁴ = 9797
        assert_eq!(c.init_cost, 2_063 + 741 + 9_797);
        // asm: 512000 + 249207 + 7991 + 477150
        assert_eq!(c.asm_estimate, 512_000 + 249_207 + 7_991 + 477_150);
        // Version 1 folds the cached cost into the init cost.
        let v1 = costs(&stats(), 1).unwrap();
        assert_eq!(v1.init_cost, c.init_cost + c.cached_cost);
    }

    #[test]
    fn costs_over_sixteen_bits_are_refused() {
        let mut s = stats();
        s.data_entry_len = 100_000; // 100000·75244/10⁵ = 75,244 > 65,535
        assert!(matches!(
            costs(&s, 2),
            Err(ActivationError::CostOverflow("cached cost"))
        ));
        let mut s = stats();
        s.funcs = 8_000; // 8000·8252/10³ = 66,016
        assert!(matches!(
            costs(&s, 2),
            Err(ActivationError::CostOverflow("init cost"))
        ));
    }

    #[test]
    fn compile_gas_matches_hand_computed_values() {
        // µs: 76188·31733/10⁵ = 24176, 250·17263/10⁵ = 43, 4990·17376/10⁵ = 867,
        // 40·17376/10⁵ = 6, 2·2217 = 4434, 60000·535/10³ = 32100; × 28 gas
        let us = 24_176 + 43 + 867 + 6 + 4_434 + 32_100;
        assert_eq!(compile_gas(&stats(), 51), 28 * us);
        assert_eq!(
            compile_gas(&stats(), 31),
            28 * (us - 24_176),
            "no wasm term before ArbOS 32"
        );
    }
}
