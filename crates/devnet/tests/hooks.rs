//! Conformance of every `vm_hooks` import, on small purpose-written WAT
//! programs deployed and activated on the devnet like any other program.
#![allow(
    missing_docs,
    clippy::unreadable_literal,
    clippy::many_single_char_names,
    clippy::needless_raw_string_hashes
)]

mod common;

use common::{call_data, caller_program, deploy, module, returning, send, CALLS, STORAGE};
use labelmint_devnet::{precompiles::ArbWasm, Devnet, Receipt};
use revm::primitives::{keccak256, Address, Bytes, B256, U256};

#[test]
fn read_args_and_write_result_echo_calldata() {
    let mut chain = Devnet::new();
    let echo = deploy(
        &mut chain,
        &module(
            "",
            "(call $write_result (i32.const 0) (local.get $len)) (i32.const 0)",
        ),
    );
    let data: Vec<u8> = (0u8..100).collect();
    let r = send(&mut chain, echo, &data);
    r.expect_success();
    assert_eq!(&r.output[..], &data[..]);
}

#[test]
fn msg_and_tx_context_hooks_report_the_call() {
    let mut chain = Devnet::new();
    let imports = r#"(import "vm_hooks" "msg_sender" (func $sender (param i32)))
        (import "vm_hooks" "msg_value" (func $value (param i32)))
        (import "vm_hooks" "tx_origin" (func $origin (param i32)))
        (import "vm_hooks" "contract_address" (func $me (param i32)))"#;
    let body = "(call $sender (i32.const 100)) (call $origin (i32.const 120)) (call $me (i32.const 140)) (call $value (i32.const 160))";
    let p = deploy(
        &mut chain,
        &module(
            imports,
            &format!("{body} (call $write_result (i32.const 100) (i32.const 92)) (i32.const 0)"),
        ),
    );
    let from = chain.account(3);
    let r = chain
        .send(from, Some(p), U256::from(777), Bytes::new(), 5_000_000)
        .unwrap();
    r.expect_success();
    assert_eq!(&r.output[..20], from.as_slice());
    assert_eq!(&r.output[20..40], from.as_slice());
    assert_eq!(&r.output[40..60], p.as_slice());
    assert_eq!(U256::from_be_slice(&r.output[60..92]), U256::from(777));
    assert_eq!(chain.balance(p), U256::from(777));
}

#[test]
fn block_hooks_report_the_block() {
    let mut chain = Devnet::new();
    let imports = r#"(import "vm_hooks" "block_timestamp" (func $ts (result i64)))
        (import "vm_hooks" "block_number" (func $num (result i64)))
        (import "vm_hooks" "chainid" (func $chain (result i64)))
        (import "vm_hooks" "block_gas_limit" (func $limit (result i64)))
        (import "vm_hooks" "tx_ink_price" (func $ink_price (result i32)))"#;
    let body = "(i64.store (i32.const 100) (call $ts)) (i64.store (i32.const 108) (call $num))
        (i64.store (i32.const 116) (call $chain)) (i64.store (i32.const 124) (call $limit))
        (i32.store (i32.const 132) (call $ink_price))";
    let p = deploy(&mut chain, &returning(imports, body, 100, 36));
    // (within the 365 days before an activated program expires)
    let ts = chain.timestamp() + 30 * 86_400;
    chain.set_timestamp(ts);
    let block = chain.block_number();
    let r = send(&mut chain, p, &[]);
    r.expect_success();
    let word = |i: usize| u64::from_le_bytes(r.output[i..i + 8].try_into().unwrap());
    assert_eq!(word(0), ts);
    assert_eq!(word(8), block);
    assert_eq!(word(16), 412_346);
    assert_eq!(word(24), labelmint_devnet::chain::BLOCK_GAS_LIMIT);
    assert_eq!(
        u32::from_le_bytes(r.output[32..36].try_into().unwrap()),
        10_000
    );
}

/// calldata: key(32) ‖ value(32). Non-empty value: store; always return the
/// value read back before the write.
fn storage_program() -> Vec<u8> {
    returning(
        STORAGE,
        "(call $load (i32.const 0) (i32.const 200))
         (if (i32.eq (local.get $len) (i32.const 64))
            (then (call $cache (i32.const 0) (i32.const 32)) (call $flush (i32.const 0))))",
        200,
        32,
    )
}

#[test]
fn storage_hooks_persist_through_the_cache() {
    let mut chain = Devnet::new();
    let p = deploy(&mut chain, &storage_program());
    let key = B256::repeat_byte(7);
    let value = B256::repeat_byte(9);
    let mut data = key.to_vec();
    data.extend_from_slice(value.as_slice());
    let first = send(&mut chain, p, &data);
    first.expect_success();
    assert_eq!(&first.output[..], &[0u8; 32]);
    let again = send(&mut chain, p, key.as_slice());
    assert_eq!(&again.output[..], value.as_slice());
    assert_eq!(
        chain.storage(p, U256::from_be_bytes(key.0)),
        U256::from_be_bytes(value.0)
    );
    // A fresh slot costs the 22,100 of a cold SSTORE of a new value.
    assert!(
        first.gas_used > again.gas_used + 20_000,
        "{} vs {}",
        first.gas_used,
        again.gas_used
    );
}

#[test]
fn unflushed_cache_is_not_written() {
    // Nitro's host never flushes by itself: stylus-sdk calls
    // storage_flush_cache before calls and at the end of the entrypoint.
    let mut chain = Devnet::new();
    let p = deploy(
        &mut chain,
        &returning(STORAGE, "(call $cache (i32.const 0) (i32.const 32))", 0, 0),
    );
    let mut data = B256::repeat_byte(1).to_vec();
    data.extend_from_slice(B256::repeat_byte(2).as_slice());
    send(&mut chain, p, &data).expect_success();
    assert_eq!(chain.storage(p, U256::from_be_bytes([1; 32])), U256::ZERO);
}

#[test]
fn transient_storage_lives_for_one_transaction() {
    let mut chain = Devnet::new();
    let imports = r#"(import "vm_hooks" "transient_load_bytes32" (func $tload (param i32 i32)))
        (import "vm_hooks" "transient_store_bytes32" (func $tstore (param i32 i32)))"#;
    let body =
        "(call $tload (i32.const 0) (i32.const 200)) (call $tstore (i32.const 0) (i32.const 32))
        (call $tload (i32.const 0) (i32.const 232))";
    let p = deploy(&mut chain, &returning(imports, body, 200, 64));
    let mut data = B256::repeat_byte(1).to_vec();
    data.extend_from_slice(B256::repeat_byte(5).as_slice());
    let r = send(&mut chain, p, &data);
    assert_eq!(&r.output[..32], &[0u8; 32]);
    assert_eq!(&r.output[32..], &[5u8; 32]);
    let r = send(&mut chain, p, &data);
    assert_eq!(&r.output[..32], &[0u8; 32], "transient storage was cleared");
}

#[test]
fn native_keccak256_hashes_like_keccak() {
    let mut chain = Devnet::new();
    let imports = r#"(import "vm_hooks" "native_keccak256" (func $keccak (param i32 i32 i32)))"#;
    let p = deploy(
        &mut chain,
        &returning(
            imports,
            "(call $keccak (i32.const 0) (local.get $len) (i32.const 4000))",
            4000,
            32,
        ),
    );
    let data = b"labelmint keccak conformance with more than one word of input".to_vec();
    assert_eq!(
        &send(&mut chain, p, &data).output[..],
        keccak256(&data).as_slice()
    );
}

#[test]
fn emit_log_emits_topics_and_data() {
    let mut chain = Devnet::new();
    let imports = r#"(import "vm_hooks" "emit_log" (func $log (param i32 i32 i32)))"#;
    let p = deploy(
        &mut chain,
        &returning(
            imports,
            "(call $log (i32.const 0) (local.get $len) (i32.const 2))",
            0,
            0,
        ),
    );
    let mut data = B256::repeat_byte(1).to_vec();
    data.extend_from_slice(B256::repeat_byte(2).as_slice());
    data.extend_from_slice(b"payload");
    let r = send(&mut chain, p, &data);
    r.expect_success();
    assert_eq!(r.logs.len(), 1);
    assert_eq!(r.logs[0].address, p);
    assert_eq!(
        r.logs[0].data.topics(),
        &[B256::repeat_byte(1), B256::repeat_byte(2)]
    );
    assert_eq!(&r.logs[0].data.data[..], b"payload");
}

#[test]
fn account_hooks_read_other_accounts() {
    let mut chain = Devnet::new();
    let imports = r#"(import "vm_hooks" "account_balance" (func $bal (param i32 i32)))
        (import "vm_hooks" "account_codehash" (func $hash (param i32 i32)))
        (import "vm_hooks" "account_code_size" (func $size (param i32) (result i32)))
        (import "vm_hooks" "account_code" (func $code (param i32 i32 i32 i32) (result i32)))"#;
    let body = "(call $bal (i32.const 0) (i32.const 100)) (call $hash (i32.const 0) (i32.const 132))
        (i32.store (i32.const 164) (call $size (i32.const 0)))
        (i32.store (i32.const 168) (call $code (i32.const 0) (i32.const 0) (i32.const 4) (i32.const 172)))";
    let p = deploy(&mut chain, &returning(imports, body, 100, 76));
    let rich = chain.account(5);
    let r = send(&mut chain, p, rich.as_slice());
    assert_eq!(U256::from_be_slice(&r.output[..32]), chain.balance(rich));
    assert_eq!(
        &r.output[32..64],
        keccak256([]).as_slice(),
        "codehash of an EOA"
    );
    let r = send(&mut chain, p, p.as_slice());
    let code = chain.code(p);
    assert_eq!(&r.output[32..64], keccak256(&code).as_slice());
    assert_eq!(
        u32::from_le_bytes(r.output[64..68].try_into().unwrap()) as usize,
        code.len()
    );
    assert_eq!(u32::from_le_bytes(r.output[68..72].try_into().unwrap()), 4);
    assert_eq!(
        &r.output[72..76],
        &code[..4],
        "starts with the Stylus prefix"
    );
    assert_eq!(&r.output[72..75], &[0xEF, 0xF0, 0x00]);
}

#[test]
fn math_hooks_compute_modular_arithmetic() {
    let mut chain = Devnet::new();
    let imports = r#"(import "vm_hooks" "math_div" (func $div (param i32 i32)))
        (import "vm_hooks" "math_mod" (func $mod (param i32 i32)))
        (import "vm_hooks" "math_pow" (func $pow (param i32 i32)))
        (import "vm_hooks" "math_add_mod" (func $addmod (param i32 i32 i32)))
        (import "vm_hooks" "math_mul_mod" (func $mulmod (param i32 i32 i32)))"#;
    // args: a, b, n at 0, 32, 64; results copy a into 200.. and operate.
    let body = "(memory.copy (i32.const 200) (i32.const 0) (i32.const 32)) (call $div (i32.const 200) (i32.const 32))
        (memory.copy (i32.const 232) (i32.const 0) (i32.const 32)) (call $mod (i32.const 232) (i32.const 32))
        (memory.copy (i32.const 264) (i32.const 0) (i32.const 32)) (call $pow (i32.const 264) (i32.const 32))
        (memory.copy (i32.const 296) (i32.const 0) (i32.const 32)) (call $addmod (i32.const 296) (i32.const 32) (i32.const 64))
        (memory.copy (i32.const 328) (i32.const 0) (i32.const 32)) (call $mulmod (i32.const 328) (i32.const 32) (i32.const 64))";
    let p = deploy(&mut chain, &returning(imports, body, 200, 160));
    let (a, b, n) = (
        U256::from(1_000_003u64),
        U256::from(7u64),
        U256::from(1_000u64),
    );
    let mut data = a.to_be_bytes::<32>().to_vec();
    data.extend_from_slice(&b.to_be_bytes::<32>());
    data.extend_from_slice(&n.to_be_bytes::<32>());
    let r = send(&mut chain, p, &data);
    r.expect_success();
    let w = |i: usize| U256::from_be_slice(&r.output[i * 32..i * 32 + 32]);
    assert_eq!(w(0), a / b);
    assert_eq!(w(1), a % b);
    assert_eq!(w(2), a.pow(b));
    assert_eq!(w(3), a.add_mod(b, n));
    assert_eq!(w(4), a.mul_mod(b, n));
}

#[test]
fn gas_and_ink_left_decrease_while_running() {
    let mut chain = Devnet::new();
    let imports = r#"(import "vm_hooks" "evm_gas_left" (func $gas (result i64)))
        (import "vm_hooks" "evm_ink_left" (func $ink (result i64)))"#;
    let body = "(i64.store (i32.const 100) (call $ink)) (i64.store (i32.const 108) (call $ink)) (i64.store (i32.const 116) (call $gas))";
    let p = deploy(&mut chain, &returning(imports, body, 100, 24));
    let r = send(&mut chain, p, &[]);
    let word = |i: usize| u64::from_le_bytes(r.output[i..i + 8].try_into().unwrap());
    assert!(word(0) > word(8), "ink decreases between calls");
    let gas = word(16);
    // gas is ink / 10,000; one hostio and a few instructions happen between.
    assert!(
        gas <= word(8) / 10_000 && gas + 3 >= word(8) / 10_000,
        "gas is ink / 10,000"
    );
}

#[test]
fn exit_early_returns_status_and_result() {
    let mut chain = Devnet::new();
    let imports = r#"(import "vm_hooks" "exit_early" (func $exit (param i32)))"#;
    let body = "(call $write_result (i32.const 0) (local.get $len)) (call $exit (i32.load8_u (i32.const 0))) (unreachable)";
    let p = deploy(&mut chain, &module(imports, body));
    let ok = send(&mut chain, p, &[0, 42]);
    ok.expect_success();
    assert_eq!(&ok.output[..], &[0, 42]);
    let failed = send(&mut chain, p, &[1, 43]);
    assert!(!failed.success);
    assert_eq!(&failed.output[..], &[1, 43]);
}

#[test]
fn call_contract_returns_the_callees_data() {
    let mut chain = Devnet::new();
    let echo = deploy(
        &mut chain,
        &module(
            "",
            "(call $write_result (i32.const 0) (local.get $len)) (i32.const 0)",
        ),
    );
    let caller = deploy(&mut chain, &caller_program());
    let r = send(&mut chain, caller, &call_data(0, echo, b"hello"));
    r.expect_success();
    assert_eq!(&r.output[..4], &[0, 0, 0, 0]);
    assert_eq!(&r.output[4..], b"hello");
}

#[test]
fn nested_revert_propagates_data_and_rolls_back_the_callee() {
    let mut chain = Devnet::new();
    // Stores, then reverts with its calldata.
    let reverter = deploy(
        &mut chain,
        &module(STORAGE, "(call $cache (i32.const 0) (i32.const 0)) (call $flush (i32.const 0)) (call $write_result (i32.const 0) (local.get $len)) (i32.const 1)"),
    );
    let caller = deploy(&mut chain, &caller_program());
    let mut inner = vec![3u8; 32];
    inner.extend_from_slice(b"why");
    let r = send(&mut chain, caller, &call_data(0, reverter, &inner));
    assert!(!r.success);
    assert_eq!(&r.output[..4], &[2, 0, 0, 0], "Nitro's failure status");
    assert_eq!(&r.output[4..], &inner[..]);
    assert_eq!(
        chain.storage(reverter, U256::from_be_bytes([3; 32])),
        U256::ZERO
    );
}

#[test]
fn static_call_forbids_writes_in_the_callee() {
    let mut chain = Devnet::new();
    let writer = deploy(&mut chain, &storage_program());
    let caller = deploy(&mut chain, &caller_program());
    let mut inner = vec![4u8; 32];
    inner.extend_from_slice(&[5u8; 32]);
    let r = send(&mut chain, caller, &call_data(1, writer, &inner));
    assert!(
        !r.success,
        "the static callee's write failed, so the caller reverted"
    );
    assert_eq!(&r.output[..4], &[2, 0, 0, 0], "Nitro's failure status");
    // A read-only static call is fine.
    let r = send(&mut chain, caller, &call_data(1, writer, &[4u8; 32]));
    r.expect_success();
}

#[test]
fn delegate_call_writes_the_callers_storage() {
    let mut chain = Devnet::new();
    let writer = deploy(&mut chain, &storage_program());
    let caller = deploy(&mut chain, &caller_program());
    let mut inner = vec![6u8; 32];
    inner.extend_from_slice(&[7u8; 32]);
    send(&mut chain, caller, &call_data(2, writer, &inner)).expect_success();
    assert_eq!(
        chain.storage(caller, U256::from_be_bytes([6; 32])),
        U256::from_be_bytes([7; 32])
    );
    assert_eq!(
        chain.storage(writer, U256::from_be_bytes([6; 32])),
        U256::ZERO
    );
}

#[test]
fn call_contract_moves_value() {
    let mut chain = Devnet::new();
    let payee = chain.account(7);
    let before = chain.balance(payee);
    // Forwards all of msg.value to the address in its calldata.
    let imports = r#"(import "vm_hooks" "call_contract" (func $call (param i32 i32 i32 i32 i64 i32) (result i32)))
        (import "vm_hooks" "msg_value" (func $value (param i32)))"#;
    let forward = deploy(
        &mut chain,
        &module(imports, "(call $value (i32.const 100)) (call $call (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 100) (i64.const 100000) (i32.const 200))"),
    );
    let from = chain.account(0);
    let r = chain
        .send(
            from,
            Some(forward),
            U256::from(12_345),
            Bytes::copy_from_slice(payee.as_slice()),
            5_000_000,
        )
        .unwrap();
    r.expect_success();
    assert_eq!(chain.balance(payee), before + U256::from(12_345));
    assert_eq!(chain.balance(forward), U256::ZERO);
}

#[test]
fn msg_reentrant_is_true_only_when_reentered() {
    let mut chain = Devnet::new();
    // With empty calldata: return msg_reentrant. Otherwise call itself with
    // empty calldata and return what the inner call returned.
    let imports =
        format!(r#"{CALLS} (import "vm_hooks" "contract_address" (func $me (param i32)))"#);
    let body = "(if (result i32) (i32.eqz (local.get $len))
          (then (i32.store (i32.const 100) (call $reentrant)) (call $write_result (i32.const 100) (i32.const 4)) (i32.const 0))
          (else (call $me (i32.const 200)) (i32.store (i32.const 300) (i32.const 0))
                (drop (call $call (i32.const 200) (i32.const 0) (i32.const 0) (i32.const 400) (i64.const 1000000) (i32.const 500)))
                (drop (call $rrd (i32.const 600) (i32.const 0) (i32.const 4)))
                (call $write_result (i32.const 600) (i32.const 4)) (i32.const 0)))";
    let p = deploy(&mut chain, &module(&imports, body));
    assert_eq!(&send(&mut chain, p, &[]).output[..], &[0, 0, 0, 0]);
    assert_eq!(&send(&mut chain, p, &[1]).output[..], &[1, 0, 0, 0]);
}

#[test]
fn create1_and_create2_deploy_from_a_program() {
    let mut chain = Devnet::new();
    let imports = r#"(import "vm_hooks" "create1" (func $create1 (param i32 i32 i32 i32 i32)))
        (import "vm_hooks" "create2" (func $create2 (param i32 i32 i32 i32 i32 i32)))"#;
    // calldata: kind(1) ‖ init code. Endowment word at 5000 (zero), salt at 5032.
    let body = "(if (i32.eqz (i32.load8_u (i32.const 0)))
            (then (call $create1 (i32.const 1) (i32.sub (local.get $len) (i32.const 1)) (i32.const 5000) (i32.const 6000) (i32.const 6100)))
            (else (i32.store8 (i32.const 5063) (i32.const 9))
                  (call $create2 (i32.const 1) (i32.sub (local.get $len) (i32.const 1)) (i32.const 5000) (i32.const 5032) (i32.const 6000) (i32.const 6100))))
        (call $write_result (i32.const 6000) (i32.const 20)) (i32.const 0)";
    let factory = deploy(&mut chain, &module(imports, body));
    // Init code returning the runtime code 0x602a (PUSH1 42).
    let init = labelmint_devnet::chain::init_code_returning(&[0x60, 0x2a]);
    let mut data = vec![0u8];
    data.extend_from_slice(&init);
    let r = send(&mut chain, factory, &data);
    r.expect_success();
    let created = Address::from_slice(&r.output[..20]);
    // A contract's nonce starts at 1 (EIP-161).
    assert_eq!(created, factory.create(1));
    assert_eq!(&chain.code(created)[..], &[0x60, 0x2a]);
    data[0] = 1;
    let r = send(&mut chain, factory, &data);
    let created2 = Address::from_slice(&r.output[..20]);
    let mut salt = [0u8; 32];
    salt[31] = 9;
    assert_eq!(created2, factory.create2(salt, keccak256(&init)));
    assert_eq!(&chain.code(created2)[..], &[0x60, 0x2a]);
}

#[test]
fn memory_grow_is_paid_for_and_capped() {
    let mut chain = Devnet::new();
    let body = "(drop (memory.grow (i32.load8_u (i32.const 0)))) (i32.const 0)";
    let p = deploy(&mut chain, &module("", body));
    let small = send(&mut chain, p, &[1]);
    small.expect_success();
    let big = send(&mut chain, p, &[100]);
    big.expect_success();
    assert!(
        big.gas_used > small.gas_used + 90_000,
        "{} vs {}",
        big.gas_used,
        small.gas_used
    );
    let too_big = send(&mut chain, p, &[200]);
    assert!(!too_big.success, "past the 128-page limit");
}

#[test]
fn infinite_loop_runs_out_of_ink_and_consumes_all_gas() {
    let mut chain = Devnet::new();
    let p = deploy(
        &mut chain,
        &module(
            STORAGE,
            "(call $cache (i32.const 0) (i32.const 0)) (loop $l (br $l)) (i32.const 0)",
        ),
    );
    let from = chain.account(0);
    let r = chain
        .send(
            from,
            Some(p),
            U256::ZERO,
            Bytes::copy_from_slice(&[8u8; 32]),
            300_000,
        )
        .unwrap();
    assert!(!r.success);
    assert_eq!(r.gas_used, 300_000, "all gas of the transaction");
    assert_eq!(chain.storage(p, U256::from_be_bytes([8; 32])), U256::ZERO);
}

#[test]
fn deep_recursion_fails_cleanly() {
    let mut chain = Devnet::new();
    let wat = r#"(module
        (import "vm_hooks" "read_args" (func $read_args (param i32)))
        (import "vm_hooks" "pay_for_memory_grow" (func $pay (param i32)))
        (memory (export "memory") 1)
        (func $rec (param i32) (result i32) (call $rec (i32.add (local.get 0) (i32.const 1))))
        (func (export "user_entrypoint") (param i32) (result i32) (call $rec (i32.const 0))))"#;
    let p = deploy(&mut chain, &wat::parse_str(wat).unwrap());
    let r = send(&mut chain, p, &[]);
    assert!(!r.success);
    assert!(
        chain.balance(chain.account(0)) > U256::ZERO,
        "the chain survived"
    );
}

#[test]
fn traps_revert_with_empty_data() {
    let mut chain = Devnet::new();
    let p = deploy(&mut chain, &module("", "(unreachable)"));
    let r = send(&mut chain, p, &[]);
    assert!(!r.success);
    assert!(r.output.is_empty());
    let oob = deploy(
        &mut chain,
        &module("", "(drop (i32.load (i32.const 70000))) (i32.const 0)"),
    );
    assert!(!send(&mut chain, oob, &[]).success);
}

fn activation_error(wat_text: &str) -> Receipt {
    let mut chain = Devnet::new();
    let from = chain.account(0);
    let wasm = wat::parse_str(wat_text).unwrap();
    let deployed = chain.deploy_program(from, &wasm).unwrap();
    let address = deployed.contract_address.unwrap();
    let call = ArbWasm::activateProgramCall { program: address };
    chain
        .send(
            from,
            Some(labelmint_devnet::precompiles::ARB_WASM),
            U256::from(10).pow(U256::from(18)),
            alloy_sol_types::SolCall::abi_encode(&call),
            30_000_000,
        )
        .unwrap()
}

#[test]
fn activation_rejects_what_nitro_rejects() {
    let entry = r#"(memory (export "memory") 1) (func (export "user_entrypoint") (param i32) (result i32) i32.const 0)"#;
    let cases = [
        ("foreign import", format!(r#"(module (import "env" "f" (func)) {entry})"#)),
        ("start function", format!(r#"(module {entry} (func $s) (start $s))"#)),
        ("simd", format!(r#"(module {entry} (func (drop (v128.const i64x2 0 0))))"#)),
        ("reference types", format!(r#"(module {entry} (table 1 externref))"#)),
        ("threads", r#"(module (memory (export "memory") 1 1 shared) (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#.to_string()),
        ("memory.init / DataCount", format!(r#"(module {entry} (data $d "x") (func i32.const 0 i32.const 0 i32.const 1 memory.init $d))"#)),
        ("table ops", format!(r#"(module {entry} (table 1 funcref) (func (drop (table.size 0))))"#)),
        ("too many pages", r#"(module (memory (export "memory") 200) (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#.to_string()),
        ("no entrypoint", r#"(module (memory (export "memory") 1))"#.to_string()),
    ];
    for (what, text) in cases {
        // Nitro: a module the prover refuses takes all the gas, without data.
        let r = activation_error(&text);
        assert!(!r.success && r.output.is_empty(), "{what}: {r:?}");
        assert_eq!(r.gas_used, 30_000_000, "{what}: all gas");
    }
}

#[test]
fn bad_brotli_and_non_wasm_code_are_rejected() {
    let mut chain = Devnet::new();
    let from = chain.account(0);
    for code in [
        vec![0xEF, 0xF0, 0x00, 0x00, 0xFF, 0xFF],
        vec![0xEF, 0xF0, 0x00, 0x00],
    ] {
        let init = labelmint_devnet::chain::init_code_returning(&code);
        let r = chain.send(from, None, U256::ZERO, init, 5_000_000).unwrap();
        let address = r.contract_address.unwrap();
        let call = ArbWasm::activateProgramCall { program: address };
        let r = chain
            .send(
                from,
                Some(labelmint_devnet::precompiles::ARB_WASM),
                U256::from(10).pow(U256::from(18)),
                alloy_sol_types::SolCall::abi_encode(&call),
                30_000_000,
            )
            .unwrap();
        // Corrupt brotli is a plain error (gas kept); brotli of nothing is
        // an empty module the prover refuses (all gas taken).
        assert!(!r.success && r.output.is_empty(), "{r:?}");
        let call_it = chain
            .send(from, Some(address), U256::ZERO, Bytes::new(), 1_000_000)
            .unwrap();
        assert!(!call_it.success);
    }
}

#[test]
fn arbwasm_views_describe_the_program() {
    let mut chain = Devnet::new();
    let p = deploy(&mut chain, &module("", "(i32.const 0)"));
    let arb = labelmint_devnet::precompiles::ARB_WASM;
    assert_eq!(chain.read(arb, &ArbWasm::stylusVersionCall {}).unwrap(), 2);
    assert_eq!(chain.read(arb, &ArbWasm::inkPriceCall {}).unwrap(), 10_000);
    assert_eq!(
        chain
            .read(arb, &ArbWasm::programVersionCall { program: p })
            .unwrap(),
        2
    );
    assert_eq!(
        chain
            .read(arb, &ArbWasm::programMemoryFootprintCall { program: p })
            .unwrap(),
        1
    );
    let init = chain
        .read(arb, &ArbWasm::programInitGasCall { program: p })
        .unwrap();
    assert!(init.gas > init.gasWhenCached);
    let hash = keccak256(chain.code(p));
    assert_eq!(
        chain
            .read(arb, &ArbWasm::codehashVersionCall { codehash: hash })
            .unwrap(),
        2
    );
    let unknown = chain.read(
        arb,
        &ArbWasm::codehashVersionCall {
            codehash: B256::repeat_byte(1),
        },
    );
    assert!(unknown.is_err());
}

#[test]
fn oversized_programs_are_refused() {
    let mut chain = Devnet::new();
    let from = chain.account(0);
    // 130 KiB of data: compresses to almost nothing, but is over 128 KiB uncompressed.
    let big = format!(
        r#"(module (memory (export "memory") 3) (data (i32.const 0) "{}")
            (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
        "\\00".repeat(130 * 1024)
    );
    let r = activation_error(&big);
    assert!(!r.success && r.output.is_empty(), "{r:?}");
    assert!(
        r.gas_used < 30_000_000,
        "a decompression error keeps the gas: {r:?}"
    );
    // Deployed code over 24,576 bytes is refused at creation (EIP-170).
    let code: Vec<u8> = (0..30_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let r = chain
        .send(
            from,
            None,
            U256::ZERO,
            labelmint_devnet::chain::init_code_returning(&code),
            30_000_000,
        )
        .unwrap();
    assert!(!r.success);
    assert!(
        r.halt
            .as_deref()
            .unwrap_or_default()
            .contains("CreateContractSizeLimit"),
        "{r:?}"
    );
}
