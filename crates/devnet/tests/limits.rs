//! What a transaction or a program can do to hang, exhaust or rob the chain
//! (issue #18, items 2, 3, 4, 5), each bounded: gas cap, time budget, ink at
//! large gas, Stylus nesting, host allocations, the storage cache, tables,
//! the compiled-program cache, ArbWasm under DELEGATECALL.
#![allow(missing_docs, clippy::unreadable_literal)]

mod common;

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
    time::Duration,
};

use alloy_sol_types::SolCall;
use common::{deploy, module, CALLS, STORAGE};
use labelmint_devnet::{
    chain::{
        init_code_returning, AccountOverride, ChainError, CHAIN_STACK_SIZE, MAX_STYLUS_DEPTH,
        MAX_TX_GAS,
    },
    precompiles::{ArbWasm, ARB_WASM},
    program::PROGRAM_CACHE_SIZE,
    Devnet,
};
use revm::primitives::{Address, Bytes, U256};

/// Records the largest single allocation each thread asks for (tests run
/// in parallel: each looks at its own thread).
struct Tracking;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
}

fn reset_largest() {
    LARGEST.with(|l| l.set(0));
}

fn largest() -> usize {
    LARGEST.with(Cell::get)
}

unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Tracking = Tracking;

/// Deploys EVM `runtime` code; returns its address.
fn deploy_evm(chain: &mut Devnet, runtime: &[u8]) -> Address {
    let from = chain.account(0);
    let r = chain
        .send(
            from,
            None,
            U256::ZERO,
            init_code_returning(runtime),
            1_000_000,
        )
        .unwrap();
    r.contract_address.expect("created")
}

/// `JUMPDEST PUSH1 0 JUMP`: loops until its gas is gone.
const EVM_LOOP: &[u8] = &[0x5b, 0x60, 0x00, 0x56];

#[test]
fn transactions_above_the_gas_cap_are_refused() {
    let mut chain = Devnet::new();
    let looper = deploy_evm(&mut chain, EVM_LOOP);
    let from = chain.account(0);
    let err = chain
        .send(from, Some(looper), U256::ZERO, Bytes::new(), 1 << 50)
        .unwrap_err();
    assert!(
        matches!(err, ChainError::Rejected(ref m) if m.contains("Cap")),
        "{err}"
    );
    // At the cap, the endless loop simply runs out of gas.
    let r = chain
        .send(from, Some(looper), U256::ZERO, Bytes::new(), MAX_TX_GAS)
        .unwrap();
    assert!(!r.success);
    assert_eq!(r.gas_used, MAX_TX_GAS);
    // Calls asking for more run with the cap.
    let tx = chain.tx_env(from, Some(looper), U256::ZERO, Bytes::new(), u64::MAX);
    assert_eq!(chain.call_env(tx, &[]).unwrap().gas_used, MAX_TX_GAS);
}

#[test]
fn every_execution_has_a_wall_clock_budget() {
    let mut chain = Devnet::new();
    chain.set_gas_cap(u64::MAX / 4);
    let looper = deploy_evm(&mut chain, EVM_LOOP);
    let spin = deploy(&mut chain, &module("", "(loop $l (br $l)) (i32.const 0)"));
    chain.set_time_budget(Duration::from_millis(1));
    let from = chain.account(0);
    let nonce = chain.nonce(from);
    for target in [looper, spin] {
        // A transaction: refused, nothing committed (not even the nonce).
        let err = chain
            .send(from, Some(target), U256::ZERO, Bytes::new(), 1 << 48)
            .unwrap_err();
        assert!(matches!(err, ChainError::TimeBudget(_)), "{err}");
        assert_eq!(chain.nonce(from), nonce);
        // A call and a whole estimate: the same.
        let tx = chain.tx_env(from, Some(target), U256::ZERO, Bytes::new(), 1 << 48);
        let err = chain.call_env(tx.clone(), &[]).unwrap_err();
        assert!(matches!(err, ChainError::TimeBudget(_)), "{err}");
        let err = chain.estimate_gas(tx).unwrap_err();
        assert!(matches!(err, ChainError::TimeBudget(_)), "{err}");
    }
    // With the default budget the chain carries on.
    chain.set_time_budget(labelmint_devnet::budget::DEFAULT_TIME_BUDGET);
    chain
        .send(from, Some(from), U256::ZERO, Bytes::new(), 21_000)
        .unwrap()
        .expect_success();
}

#[test]
fn stylus_ink_does_not_saturate_at_large_gas() {
    let mut chain = Devnet::new();
    chain.set_gas_cap(u64::MAX);
    let p = deploy(&mut chain, &module("", "(i32.const 0)"));
    let from = chain.account(0);
    let mut used = Vec::new();
    for gas in [1_000_000, 1 << 40, labelmint_devnet::chain::BLOCK_GAS_LIMIT] {
        let tx = chain.tx_env(from, Some(p), U256::ZERO, Bytes::new(), gas);
        let r = chain.call_env(tx, &[]).unwrap();
        assert!(r.success, "{gas}: {r:?}");
        used.push(r.gas_used);
    }
    assert!(used.windows(2).all(|w| w[0] == w[1]), "{used:?}");
}

/// A program that calls itself with all its gas and returns the depth it
/// reached below it plus one (1 when its own call fails).
fn recursive_program() -> Vec<u8> {
    let imports =
        format!(r#"{CALLS} (import "vm_hooks" "contract_address" (func $me (param i32)))"#);
    module(
        &imports,
        "(call $me (i32.const 200))
         (local.set $status (call $call (i32.const 200) (i32.const 0) (i32.const 0) (i32.const 400) (i64.const -1) (i32.const 500)))
         (if (i32.eqz (local.get $status))
           (then (drop (call $rrd (i32.const 600) (i32.const 0) (i32.const 4)))
                 (i32.store (i32.const 600) (i32.add (i32.load (i32.const 600)) (i32.const 1))))
           (else (i32.store (i32.const 600) (i32.const 1))))
         (call $write_result (i32.const 600) (i32.const 4))
         (i32.const 0)",
    )
}

#[test]
fn nested_programs_stop_at_the_bound_within_the_chain_stack() {
    // On a thread with exactly the stack the node gives its chain thread: a
    // program recursing into itself reaches the bound and no further, and
    // the process survives.
    let depth = std::thread::Builder::new()
        .stack_size(CHAIN_STACK_SIZE)
        .spawn(|| {
            let mut chain = Devnet::new();
            // Each nested program opens its page: Nitro's exponential page
            // price makes 128 open pages cost ~32 M gas on their own, so
            // this test lifts the cap far enough for gas not to stop it first.
            let gas = 16 * MAX_TX_GAS;
            chain.set_gas_cap(gas);
            let p = deploy(&mut chain, &recursive_program());
            let from = chain.account(0);
            let r = chain
                .send(from, Some(p), U256::ZERO, Bytes::new(), gas)
                .unwrap();
            r.expect_success();
            u32::from_le_bytes(r.output[..4].try_into().unwrap())
        })
        .unwrap()
        .join()
        .expect("the chain thread survives");
    assert_eq!(depth as usize, MAX_STYLUS_DEPTH);
}

#[test]
fn host_functions_check_lengths_before_allocating() {
    let mut chain = Devnet::new();
    let imports = r#"(import "vm_hooks" "emit_log" (func $log (param i32 i32 i32)))
        (import "vm_hooks" "native_keccak256" (func $keccak (param i32 i32 i32)))"#;
    let log = deploy(
        &mut chain,
        &module(
            imports,
            "(call $log (i32.const 0) (i32.const -1) (i32.const 0)) (i32.const 0)",
        ),
    );
    let hash = deploy(
        &mut chain,
        &module(
            imports,
            "(call $keccak (i32.const 16) (i32.const -16) (i32.const 0)) (i32.const 0)",
        ),
    );
    let call = deploy(
        &mut chain,
        &module(
            CALLS,
            "(drop (call $call (i32.const 0) (i32.const 0) (i32.const -1) (i32.const 0) (i64.const 1000) (i32.const 0))) (i32.const 0)",
        ),
    );
    reset_largest();
    for p in [log, hash, call] {
        let r = common::send(&mut chain, p, &[]);
        assert!(!r.success, "a 4 GiB read fails");
    }
    let largest = largest();
    assert!(largest < 64 << 20, "largest allocation {largest} bytes");
}

#[test]
fn the_storage_cache_is_bounded_and_priced() {
    let mut chain = Devnet::new();
    // Caches 1,000,000 distinct dirty slots (keys 0..n at offset 0).
    let p = deploy(
        &mut chain,
        &module(
            STORAGE,
            "(local.set $size (i32.const 1000000))
             (loop $l
               (i32.store (i32.const 0) (local.get $size))
               (call $cache (i32.const 0) (i32.const 64))
               (local.set $size (i32.sub (local.get $size) (i32.const 1)))
               (br_if $l (local.get $size)))
             (i32.const 0)",
        ),
    );
    reset_largest();
    let from = chain.account(0);
    let r = chain
        .send(from, Some(p), U256::ZERO, Bytes::new(), MAX_TX_GAS)
        .unwrap();
    assert!(!r.success, "a million SSTOREs do not fit in the gas cap");
    let largest = largest();
    assert!(largest < 16 << 20, "largest allocation {largest} bytes");
}

#[test]
fn huge_tables_are_refused_at_activation() {
    let mut chain = Devnet::new();
    let from = chain.account(0);
    let wat = r#"(module
        (import "vm_hooks" "read_args" (func $read_args (param i32)))
        (memory (export "memory") 1)
        (table 10000000 funcref)
        (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#;
    let deployed = chain
        .deploy_program(from, &wat::parse_str(wat).unwrap())
        .unwrap();
    let call = ArbWasm::activateProgramCall {
        program: deployed.contract_address.unwrap(),
    };
    let r = chain
        .send(
            from,
            Some(ARB_WASM),
            U256::from(10).pow(U256::from(18)),
            call.abi_encode(),
            MAX_TX_GAS,
        )
        .unwrap();
    // Nitro's prover refuses the module: activation fails and, as on Nitro,
    // takes all the gas it was given (the table was never instantiated).
    assert!(!r.success && r.output.is_empty(), "{r:?}");
    assert_eq!(r.gas_used, MAX_TX_GAS);
}

#[test]
fn activations_in_calls_do_not_fill_the_program_cache() {
    let mut chain = Devnet::new();
    let from = chain.account(0);
    let target = Address::repeat_byte(0x42);
    for i in 0..(PROGRAM_CACHE_SIZE + 40) {
        // A different program each time, activated under a code override
        // (what `cargo stylus check` does).
        let wasm = module("", &format!("(drop (i32.const {i})) (i32.const 0)"));
        let code = labelmint_wasm::to_stylus_code(&wasm);
        let overrides = [AccountOverride {
            address: target,
            code: Some(Bytes::from(code)),
            ..AccountOverride::default()
        }];
        let call = ArbWasm::activateProgramCall { program: target };
        let tx = chain.tx_env(
            from,
            Some(ARB_WASM),
            U256::from(10).pow(U256::from(18)),
            call.abi_encode().into(),
            MAX_TX_GAS,
        );
        let r = chain.call_env(tx, &overrides).unwrap();
        assert!(r.success, "{i}: {r:?}");
    }
    assert!(
        chain.compiled_programs() <= PROGRAM_CACHE_SIZE,
        "{} compiled programs kept",
        chain.compiled_programs()
    );
}

#[test]
fn arbwasm_under_delegatecall_pays_out_nothing() {
    let mut chain = Devnet::new();
    let from = chain.account(0);
    chain.set_balance(ARB_WASM, U256::from(10).pow(U256::from(18)));
    let program = chain
        .deploy_program(from, &module("", "(i32.const 0)"))
        .unwrap()
        .contract_address
        .unwrap();
    // Runtime: copy calldata, DELEGATECALL 0x71 with it, stop.
    let proxy = deploy_evm(
        &mut chain,
        &[
            0x36, 0x60, 0x00, 0x60, 0x00, 0x37, // CALLDATACOPY(0, 0, size)
            0x60, 0x00, 0x60, 0x00, 0x36, 0x60, 0x00, 0x60, 0x71, 0x5a, 0xf4, // DELEGATECALL
            0x50, 0x00, // POP STOP
        ],
    );
    let before = chain.balance(ARB_WASM);
    let call = ArbWasm::activateProgramCall { program };
    let value = U256::from(10).pow(U256::from(17));
    chain
        .send(from, Some(proxy), value, call.abi_encode(), MAX_TX_GAS)
        .unwrap();
    assert_eq!(
        chain.balance(ARB_WASM),
        before,
        "ArbWasm's balance is untouched"
    );
    assert_eq!(chain.balance(proxy), value);
}
