//! Helpers shared by the devnet integration tests: WAT program templates and
//! a deploy-and-send harness.
#![allow(dead_code, unreachable_pub)]

use labelmint_devnet::{Devnet, Receipt};
use revm::primitives::{Address, Bytes, U256};

/// The imports every test program has, plus the test's own.
pub fn module(imports: &str, body: &str) -> Vec<u8> {
    let text = format!(
        r#"(module
            (import "vm_hooks" "read_args" (func $read_args (param i32)))
            (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
            (import "vm_hooks" "pay_for_memory_grow" (func $pay (param i32)))
            {imports}
            (memory (export "memory") 1)
            (func (export "user_entrypoint") (param $len i32) (result i32)
                (local $status i32) (local $size i32)
                (call $read_args (i32.const 0))
                {body}))"#
    );
    wat::parse_str(text).expect("test program assembles")
}

pub fn deploy(chain: &mut Devnet, wasm: &[u8]) -> Address {
    let from = chain.account(0);
    chain.deploy_wasm(from, wasm, None).expect("deploys").0
}

pub fn send(chain: &mut Devnet, to: Address, data: &[u8]) -> Receipt {
    let from = chain.account(0);
    chain
        .send(
            from,
            Some(to),
            U256::ZERO,
            Bytes::copy_from_slice(data),
            5_000_000,
        )
        .unwrap()
}

/// A program that returns `len` bytes at `ptr` after running `body`.
pub fn returning(imports: &str, body: &str, ptr: u32, len: u32) -> Vec<u8> {
    module(
        imports,
        &format!("{body} (call $write_result (i32.const {ptr}) (i32.const {len})) (i32.const 0)"),
    )
}

pub const STORAGE: &str = r#"(import "vm_hooks" "storage_load_bytes32" (func $load (param i32 i32)))
    (import "vm_hooks" "storage_cache_bytes32" (func $cache (param i32 i32)))
    (import "vm_hooks" "storage_flush_cache" (func $flush (param i32)))"#;

pub const CALLS: &str = r#"(import "vm_hooks" "call_contract" (func $call (param i32 i32 i32 i32 i64 i32) (result i32)))
    (import "vm_hooks" "static_call_contract" (func $static (param i32 i32 i32 i64 i32) (result i32)))
    (import "vm_hooks" "delegate_call_contract" (func $delegate (param i32 i32 i32 i64 i32) (result i32)))
    (import "vm_hooks" "read_return_data" (func $rrd (param i32 i32 i32) (result i32)))
    (import "vm_hooks" "return_data_size" (func $rds (result i32)))
    (import "vm_hooks" "msg_reentrant" (func $reentrant (result i32)))"#;

/// calldata: kind(1) ‖ target(20) ‖ inner calldata. kind 0 = call, 1 =
/// static, 2 = delegate. Returns status(4) ‖ return data, and reverts when
/// the inner call failed.
pub fn caller_program() -> Vec<u8> {
    module(
        &format!("{CALLS} {STORAGE}"),
        "(local.set $status
            (if (result i32) (i32.eqz (i32.load8_u (i32.const 0)))
              (then (call $call (i32.const 1) (i32.const 21) (i32.sub (local.get $len) (i32.const 21)) (i32.const 8000) (i64.const 1000000) (i32.const 9000)))
              (else (if (result i32) (i32.eq (i32.load8_u (i32.const 0)) (i32.const 1))
                (then (call $static (i32.const 1) (i32.const 21) (i32.sub (local.get $len) (i32.const 21)) (i64.const 1000000) (i32.const 9000)))
                (else (call $delegate (i32.const 1) (i32.const 21) (i32.sub (local.get $len) (i32.const 21)) (i64.const 1000000) (i32.const 9000)))))))
         (local.set $size (call $rds))
         (i32.store (i32.const 10000) (local.get $status))
         (drop (call $rrd (i32.const 10004) (i32.const 0) (local.get $size)))
         (call $write_result (i32.const 10000) (i32.add (local.get $size) (i32.const 4)))
         (local.get $status)",
    )
}

pub fn call_data(kind: u8, target: Address, inner: &[u8]) -> Vec<u8> {
    let mut d = vec![kind];
    d.extend_from_slice(target.as_slice());
    d.extend_from_slice(inner);
    d
}

/// The RewardToken program built by `cargo xtask wasm`.
pub fn reward_token_wasm() -> Vec<u8> {
    stylus_wasm("reward_token")
}

/// The AnnotationMarket wasm built by `cargo xtask wasm`.
pub fn annotation_market_wasm() -> Vec<u8> {
    stylus_wasm("annotation_market")
}

/// `target/stylus/<name>.wasm`, refused (the test panics naming `cargo
/// xtask wasm`) when it is missing or was built from other sources than the
/// tree's.
pub fn stylus_wasm(name: &str) -> Vec<u8> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target: std::path::PathBuf =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), Into::into);
    labelmint_wasm::sources::current_program(&root, &target.join("stylus"), name)
        .unwrap_or_else(|e| panic!("{e}"))
}
