//! A probe program and a set of transactions whose gas is derived by hand
//! from Nitro's formulas (entry, memory, metering, host I/O, calls, ArbOS
//! storage), checked against what the devnet charges, to the gas.
//!
//! The probe dispatches on its first calldata byte; bytes 1..5 are a
//! little-endian `n`. Its basic blocks and their ink (operator prices + the
//! 2,450-ink header) are listed next to the code; every path starts with
//! block A (`read_args`, 6,251 ink) and block B (the dispatch, 8,359 ink).
#![allow(missing_docs, clippy::unreadable_literal)]
// The derivations keep the formulas' terms that round to zero for this probe.
#![allow(clippy::identity_op, clippy::erasing_op)]

use alloy_sol_types::SolCall;
use labelmint_devnet::{
    chain::DEFAULT_CHAIN_ID,
    params::StylusParams,
    precompiles::{ArbWasm, ArbWasmCache, ARB_WASM, ARB_WASM_CACHE},
    Devnet,
};
use revm::primitives::{Address, Bytes, U256};
use wasmparser::{Operator, Parser, Payload};

const PROBE: &str = r#"(module
  (import "vm_hooks" "read_args" (func $read_args (param i32)))
  (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
  (import "vm_hooks" "pay_for_memory_grow" (func $pay (param i32)))
  (import "vm_hooks" "storage_cache_bytes32" (func $cache (param i32 i32)))
  (import "vm_hooks" "storage_flush_cache" (func $flush (param i32)))
  (import "vm_hooks" "emit_log" (func $log (param i32 i32 i32)))
  (import "vm_hooks" "native_keccak256" (func $keccak (param i32 i32 i32)))
  (import "vm_hooks" "call_contract" (func $call (param i32 i32 i32 i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "user_entrypoint") (param $len i32) (result i32)
    (local $n i32)
    i32.const 0           ;; A: 1 + call 3,800 + 2,450 = 6,251
    call $read_args
    i32.const 1           ;; B: 1 + 670 + 210 + 7 blocks + 1 + 670 + br_table (2,400 + 325 × 6)
    i32.load              ;;    + 2,450 = 8,359
    local.set $n
    block $revert
    block $call
    block $grow
    block $loop
    block $keccak
    block $log
    block $store
    i32.const 0
    i32.load8_u
    br_table $store $log $keccak $loop $grow $call $revert
    end
    ;; 0 store(key@5, value@37): 6,252 + 6,251 + 2,452
    i32.const 5
    i32.const 37
    call $cache
    i32.const 0
    call $flush
    i32.const 0
    return
    end
    ;; 1 log(2 topics @5, n bytes): 6,398 + 2,452
    i32.const 5
    i32.const 64
    local.get $n
    i32.add
    i32.const 2
    call $log
    i32.const 0
    return
    end
    ;; 2 keccak(n bytes @5): 6,327 + 6,252 + 2,452
    i32.const 5
    local.get $n
    i32.const 0
    call $keccak
    i32.const 0
    i32.const 32
    call $write_result
    i32.const 0
    return
    end
    ;; 3 loop n times: 2,451 + n × 3,436 + 2,451 + 2,452
    loop $l
      local.get $n
      i32.const 1
      i32.sub
      local.tee $n
      br_if $l
    end
    i32.const 0
    return
    end
    ;; 4 grow n pages: 75 + 8,050 + 9 + 1 + 1 + 2,450 = 10,586
    local.get $n
    memory.grow
    drop
    i32.const 0
    return
    end
    ;; 5 call(target@5, value@25, calldata@57..len): 6,401 + 2,451
    i32.const 5
    i32.const 57
    local.get $len
    i32.const 57
    i32.sub
    i32.const 25
    i64.const -1
    i32.const 0
    call $call
    return
    end
    ;; 6 revert with n bytes @5: 6,326 + 2,452
    i32.const 5
    local.get $n
    call $write_result
    i32.const 1))"#;

const A: u64 = 6_251;
const B: u64 = 8_359;

/// Prints the line of the probe table and asserts the devnet charged the
/// hand-derived gas.
fn check(what: &str, devnet: u64, derived: u64) {
    println!("| {what} | {derived} | {devnet} |");
    assert_eq!(devnet, derived, "{what}");
}

/// Gas of `ink`, rounded up (the program keeps ⌊ink left / 10,000⌋ gas).
fn gas_of(ink: u64) -> u64 {
    ink.div_ceil(10_000)
}

/// Intrinsic calldata gas.
fn calldata_gas(data: &[u8]) -> u64 {
    data.iter().map(|b| if *b == 0 { 4 } else { 16 }).sum()
}

/// `read_args` of `len` bytes: 8,400 + 5,040 + 30 per byte past 32.
fn read_args(len: u64) -> u64 {
    8_400 + 5_040 + 30 * len.saturating_sub(32)
}

/// `write_result` of `len` bytes: 8,400 + 2 × (16,381 + 55 per byte past 32).
fn write_result(len: u64) -> u64 {
    8_400 + 2 * (16_381 + 55 * len.saturating_sub(32))
}

fn request(mode: u8, n: u32, rest: &[u8]) -> Vec<u8> {
    let mut d = vec![mode];
    d.extend_from_slice(&n.to_le_bytes());
    d.extend_from_slice(rest);
    d
}

/// The probe's module figures, counted here from the binary.
struct Figures {
    wasm_len: u64,
    ops: u64,
    block_ends: u64,
    returns: u64,
    grows: u64,
}

fn figures(wasm: &[u8]) -> Figures {
    let mut f = Figures {
        wasm_len: wasm.len() as u64,
        ops: 0,
        block_ends: 0,
        returns: 0,
        grows: 0,
    };
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::CodeSectionEntry(body) = payload.unwrap() {
            let mut r = body.get_operators_reader().unwrap();
            while !r.eof() {
                let op = r.read().unwrap();
                f.ops += 1;
                if matches!(
                    op,
                    Operator::End
                        | Operator::Else
                        | Operator::Return
                        | Operator::Loop { .. }
                        | Operator::Br { .. }
                        | Operator::BrIf { .. }
                        | Operator::BrTable { .. }
                        | Operator::If { .. }
                        | Operator::Call { .. }
                        | Operator::CallIndirect { .. }
                ) {
                    f.block_ends += 1;
                }
                f.returns += u64::from(matches!(op, Operator::Return));
                f.grows += u64::from(matches!(op, Operator::MemoryGrow { .. }));
            }
        }
    }
    f
}

/// Init and cached cost of the probe: one function of type (i32) → i32
/// (type_len 2), 0 + 4 globals, no data, 1 page.
fn probe_costs(wasm_len: u64) -> (u64, u64) {
    let init = 8_252 / 1_000 + 2 * 1_059 / 1_000 + wasm_len * 1_286 / 10_000;
    let cached =
        13_420 / 100_000 + 2 * 89 / 100_000 + wasm_len * 122 / 100_000 + 4 * 1_628 / 1_000 + 5;
    (init, cached)
}

struct Probe {
    chain: Devnet,
    from: Address,
    a: Address,
    b: Address,
    wasm_len: u64,
    activation: u64,
    fee: U256,
}

fn probe(params: StylusParams) -> Probe {
    let wasm = wat::parse_str(PROBE).unwrap();
    let mut chain = Devnet::with_config(DEFAULT_CHAIN_ID, params);
    let from = chain.account(0);
    let a = chain
        .deploy_program(from, &wasm)
        .unwrap()
        .contract_address
        .unwrap();
    let before = chain.balance(from);
    let activation = chain.activate(from, a).unwrap().gas_used;
    let fee = before - chain.balance(from);
    // A second copy shares the code hash, hence the activation.
    let b = chain
        .deploy_program(from, &wasm)
        .unwrap()
        .contract_address
        .unwrap();
    Probe {
        chain,
        from,
        a,
        b,
        wasm_len: wasm.len() as u64,
        activation,
        fee,
    }
}

impl Probe {
    fn send(&mut self, to: Address, value: u64, data: &[u8]) -> labelmint_devnet::Receipt {
        self.chain
            .send(
                self.from,
                Some(to),
                U256::from(value),
                Bytes::copy_from_slice(data),
                10_000_000,
            )
            .unwrap()
    }

    /// Uncached entry on Stylus v2: 8,832 + init + 352 + cached (a 1-page
    /// footprint is free).
    fn entry(&self) -> u64 {
        let (init, cached) = probe_costs(self.wasm_len);
        8_832 + init + 352 + cached
    }

    fn entry_cached(&self) -> u64 {
        let (_, cached) = probe_costs(self.wasm_len);
        352 + cached
    }
}

#[test]
fn activation_charges_nitros_gas_and_data_fee() {
    let p = probe(StylusParams::default());
    let wasm = wat::parse_str(PROBE).unwrap();
    let f = figures(&wasm);
    // Instrumentation: a 12-op header per basic block, the depth check (12
    // ops, a `return` added before the final `end`, 4 ops before every
    // return), 4 ops before each memory.grow.
    let instrumented = f.ops + 12 * f.block_ends + 12 + 1 + 4 * (f.returns + 1) + 4 * f.grows;
    // 28 gas per µs: wasm_len·31733/10⁵ + 1 func·17263/10⁵ + 1 page·2217 + ops·535/10³
    let compile = 28 * (f.wasm_len * 31_733 / 100_000)
        + 28 * (17_263 / 100_000)
        + 28 * 2_217
        + 28 * (instrumented * 535 / 1_000);
    // ArbOS state: version read 800, args 3, params 100, record 800, module
    // hash 20,000, data pricer 5 × 800 + 2 × 20,000, record 20,000, network
    // account 800, ProgramActivated 375 + 375 × 2 + 8 × 128, results 2 words 6.
    let storage = 800 + 3 + 100 + 800 + 20_000 + 4_000 + 40_000 + 20_000 + 800 + 2_149 + 6;
    let call = ArbWasm::activateProgramCall { program: p.a }.abi_encode();
    check(
        "activation",
        p.activation,
        21_000 + calldata_gas(&call) + 1_659_168 + storage + compile,
    );
    // Data fee: asm estimate 512,000 + 996 + 22 + wasm_len·62628/10⁴ bytes at
    // 82,928,201 wei × e^(demand / 21,360,419) with demand = the estimate.
    let asm = 512_000 + 996_829 / 1_000 + 2 * 11_416 / 1_000 + f.wasm_len * 62_628 / 10_000;
    let exponent = 10_000 * asm / 21_360_419;
    let per_byte = 82_928_201 * labelmint_devnet::params::approx_exp_bips(exponent, 12) / 10_000;
    assert_eq!(p.fee, U256::from(per_byte * asm));
}

#[test]
fn storage_event_keccak_loop_and_memory_cost_what_nitro_charges() {
    let mut p = probe(StylusParams::default());
    let (a, entry) = (p.a, p.entry());

    // Store a fresh slot: cache 18,480 ink, flush 68,073 ink + a cold SSTORE
    // of a new value (22,100 gas).
    let mut kv = vec![1u8; 32];
    kv.extend_from_slice(&[2u8; 32]);
    let data = request(0, 0, &kv);
    let ink = read_args(69) + A + B + 6_252 + 6_251 + 2_452 + 18_480 + 68_073;
    let r = p.send(a, 0, &data);
    r.expect_success();
    check(
        "store (fresh slot)",
        r.gas_used,
        21_000 + calldata_gas(&data) + entry + 22_100 + gas_of(ink),
    );

    // Rewrite it: a cold SSTORE of a changed value is 2,100 + 2,900.
    kv[32..].copy_from_slice(&[3u8; 32]);
    let data = request(0, 0, &kv);
    let r = p.send(a, 0, &data);
    check(
        "store (rewrite)",
        r.gas_used,
        21_000 + calldata_gas(&data) + entry + 5_000 + gas_of(ink),
    );

    // A log with 2 topics and 100 bytes: 68,073 ink + read of 164 bytes
    // (16,381 + 55 × 132) + (1 + 2) × 375 + 8 × 100 gas.
    let data = request(1, 100, &[9u8; 164]);
    let ink = read_args(169) + A + B + 6_398 + 2_452 + 68_073 + 16_381 + 55 * 132;
    let r = p.send(a, 0, &data);
    assert_eq!(r.logs.len(), 1);
    check(
        "log (2 topics, 100 B)",
        r.gas_used,
        21_000 + calldata_gas(&data) + entry + 1_925 + gas_of(ink),
    );

    // keccak over 1,000 bytes: 121,800 + 21,000 × (32 − 2) words, then a
    // 32-byte result.
    let data = request(2, 1_000, &[0xAB; 1_000]);
    let ink =
        read_args(1_005) + A + B + 6_327 + 6_252 + 2_452 + 121_800 + 21_000 * 30 + write_result(32);
    let r = p.send(a, 0, &data);
    assert_eq!(
        &r.output[..],
        revm::primitives::keccak256([0xABu8; 1_000]).as_slice()
    );
    check(
        "keccak (1,000 B)",
        r.gas_used,
        21_000 + calldata_gas(&data) + entry + gas_of(ink),
    );

    // A 1,000-iteration loop: 3,436 ink per iteration.
    let data = request(3, 1_000, &[]);
    let ink = read_args(5) + A + B + 2_451 + 1_000 * 3_436 + 2_451 + 2_452;
    let r = p.send(a, 0, &data);
    check(
        "loop (1,000 iterations)",
        r.gas_used,
        21_000 + calldata_gas(&data) + entry + gas_of(ink),
    );

    // Growing 40 pages past the 1-page footprint: 39 linear pages × 1,000 +
    // exp(41) − exp(1) = 253 − 1.
    let data = request(4, 40, &[]);
    let ink = read_args(5) + A + B + 10_586;
    let r = p.send(a, 0, &data);
    r.expect_success();
    check(
        "grow (40 pages)",
        r.gas_used,
        21_000 + calldata_gas(&data) + entry + 39_252 + gas_of(ink),
    );

    // A revert with 64 bytes of data.
    let data = request(6, 64, &[5u8; 64]);
    let ink = read_args(69) + A + B + 6_326 + 2_452 + write_result(64);
    let r = p.send(a, 0, &data);
    assert!(!r.success);
    assert_eq!(&r.output[..], &[5u8; 64]);
    check(
        "revert (64 B)",
        r.gas_used,
        21_000 + calldata_gas(&data) + entry + gas_of(ink),
    );
}

/// Calldata of the probe's call mode: target, value, inner calldata.
fn call_request(target: Address, value: u64, inner: &[u8]) -> Vec<u8> {
    let mut rest = target.to_vec();
    rest.extend_from_slice(&U256::from(value).to_be_bytes::<32>());
    rest.extend_from_slice(inner);
    request(5, 0, &rest)
}

/// The caller's own ink in call mode with `inner` bytes of calldata:
/// call_contract 83,193 + 2 reads of the calldata.
fn caller_ink(data: &[u8], inner: u64) -> u64 {
    read_args(data.len() as u64)
        + A
        + B
        + 6_401
        + 2_451
        + 83_193
        + 2 * (16_381 + 55 * inner.saturating_sub(32))
}

#[test]
fn program_to_program_calls_share_the_transactions_pages() {
    let mut p = probe(StylusParams::default());
    let (a, b, entry) = (p.a, p.b, p.entry());
    // A calls B (cold: 2,600), which grows 3 pages. B's 1-page footprint
    // opens pages 2 (free); its 3 pages open 3..5: 3 × 1,000 + exp(5) − exp(2) = 0.
    let inner = request(4, 3, &[]);
    let callee = entry + 3_000 + gas_of(read_args(5) + A + B + 10_586);
    let data = call_request(b, 0, &inner);
    let r = p.send(a, 0, &data);
    r.expect_success();
    check(
        "program → program (callee grows 3 pages)",
        r.gas_used,
        21_000 + calldata_gas(&data) + entry + 2_600 + callee + gas_of(caller_ink(&data, 5)),
    );
}

#[test]
fn value_transfers_pay_the_evm_call_costs() {
    let mut p = probe(StylusParams::default());
    let (a, entry) = (p.a, p.entry());
    // 1 wei to a fresh account: cold 2,600 + new account 25,000 + value 9,000;
    // the stipend comes back unused.
    let to = Address::repeat_byte(0x77);
    let data = call_request(to, 1, &[]);
    let r = p.send(a, 1, &data);
    r.expect_success();
    assert_eq!(p.chain.balance(to), U256::from(1));
    check(
        "value transfer (1 wei, new account)",
        r.gas_used,
        21_000 + calldata_gas(&data) + entry + 36_600 + gas_of(caller_ink(&data, 0)),
    );
}

#[test]
fn same_code_reentered_in_a_transaction_is_cached_from_arbos_60() {
    let mut p = probe(StylusParams::for_arbos(60));
    let (a, b, entry, cached) = (p.a, p.b, p.entry(), p.entry_cached());
    let inner = request(4, 3, &[]);
    let data = call_request(b, 0, &inner);
    let r = p.send(a, 0, &data);
    r.expect_success();
    // B has A's code hash, entered earlier in the block: 352 + cached only.
    let callee = cached + 3_000 + gas_of(read_args(5) + A + B + 10_586);
    check(
        "program → same code, ArbOS 60",
        r.gas_used,
        21_000 + calldata_gas(&data) + entry + 2_600 + callee + gas_of(caller_ink(&data, 5)),
    );
    // ArbOS 60 activation also reads the configurable activation gas (800).
    let base = probe(StylusParams::default());
    check("activation, ArbOS 60", p.activation, base.activation + 800);
}

#[test]
fn arbwasm_cache_makes_every_call_pay_the_cached_entry() {
    let mut p = probe(StylusParams::default());
    let (a, from) = (p.a, p.from);
    let (init_cost, _) = probe_costs(p.wasm_len);
    let r = p.chain.cache_program(from, a).unwrap();
    // version read 800, args 3, code hash 2,600, manager 800, params 100,
    // record 800, UpdateProgramCache 375 + 375 × 3 + 8 × 32, compile init cost,
    // module hash 800, record 20,000
    let call = ArbWasmCache::cacheProgramCall { addr: a }.abi_encode();
    check(
        "cacheProgram",
        r.gas_used,
        21_000
            + calldata_gas(&call)
            + 800
            + 3
            + 2_600
            + 800
            + 100
            + 800
            + 1_756
            + init_cost
            + 800
            + 20_000,
    );
    let data = request(3, 1, &[]);
    let ink = read_args(5) + A + B + 2_451 + 3_436 + 2_451 + 2_452;
    let r = p.send(a, 0, &data);
    check(
        "loop (1 iteration), cached",
        r.gas_used,
        21_000 + calldata_gas(&data) + p.entry_cached() + gas_of(ink),
    );
    // A view sent as a transaction: version read 800, args 3, params 100,
    // code hash 2,600, record 800, two result words 6.
    let view = ArbWasm::programInitGasCall { program: a }.abi_encode();
    let r = p.send(ARB_WASM, 0, &view);
    check(
        "programInitGas view as a transaction",
        r.gas_used,
        21_000 + calldata_gas(&view) + 4_309,
    );
    let _ = ARB_WASM_CACHE;
}
