//! Exporting and restoring the whole chain state, code that revm cannot
//! hold, impersonated senders, and what the Stylus trace records.
#![allow(missing_docs)]

mod common;

use common::{deploy, module, returning, send, STORAGE};
use labelmint_devnet::{chain::AccountOverride, ChainError, Devnet};
use revm::primitives::{Address, Bytes, B256, U256};

/// `key ‖ value` stores value at key; `key` alone returns the value.
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

fn key_value(key: u8, value: u8) -> Vec<u8> {
    let mut data = B256::repeat_byte(key).to_vec();
    data.extend_from_slice(B256::repeat_byte(value).as_slice());
    data
}

#[test]
fn a_restored_state_is_identical_and_its_programs_still_run() {
    let mut chain = Devnet::new();
    let program = deploy(&mut chain, &storage_program());
    send(&mut chain, program, &key_value(7, 9)).expect_success();
    let (a, b) = (chain.account(0), chain.account(1));
    chain
        .send(a, Some(b), U256::from(1_000), Bytes::new(), 21_000)
        .unwrap()
        .expect_success();
    chain.warp(3_600);
    let saved = chain.export_state();

    let mut fresh = Devnet::new();
    fresh.restore_state(saved.clone()).unwrap();
    assert_eq!(fresh.export_state(), saved);
    assert_eq!(fresh.block_number(), chain.block_number());
    assert_eq!(fresh.timestamp(), chain.timestamp());
    assert_eq!(fresh.blocks(), chain.blocks());
    assert_eq!(fresh.receipts(), chain.receipts());
    assert_eq!(fresh.balance(b), chain.balance(b));
    assert_eq!(fresh.nonce(a), chain.nonce(a));
    assert_eq!(fresh.code(program), chain.code(program));
    // The program is still activated (its record lives in ArbWasm's
    // storage) and keeps its storage.
    let read = send(&mut fresh, program, B256::repeat_byte(7).as_slice());
    read.expect_success();
    assert_eq!(&read.output[..], B256::repeat_byte(9).as_slice());
    send(&mut fresh, program, &key_value(7, 10)).expect_success();
    assert_eq!(
        fresh.storage(program, U256::from_be_bytes([7; 32])),
        U256::from_be_bytes([10; 32])
    );
}

#[test]
fn an_inconsistent_state_is_refused_and_changes_nothing() {
    let mut chain = Devnet::new();
    let before = chain.export_state();
    let mut gap = before.clone();
    gap.blocks[0].number = 5;
    assert!(matches!(
        chain.restore_state(gap),
        Err(ChainError::BadState(_))
    ));
    let mut bad_code = before.clone();
    bad_code.accounts[0].code = Bytes::from_static(&[0xef, 0x01, 0x00, 0x01]);
    assert!(matches!(
        chain.restore_state(bad_code),
        Err(ChainError::BadState(_))
    ));
    assert!(chain
        .restore_state(labelmint_devnet::ChainState::default())
        .is_err());
    assert_eq!(chain.export_state(), before);
}

#[test]
fn malformed_delegation_code_is_an_error_not_a_panic() {
    let mut chain = Devnet::new();
    let target = Address::repeat_byte(0x44);
    let bad = Bytes::from_static(&[0xef, 0x01, 0x00, 0xaa]);
    assert!(matches!(
        chain.try_set_code(target, bad.clone()),
        Err(ChainError::InvalidCode(_))
    ));
    let from = chain.account(0);
    let tx = chain.tx_env(from, Some(target), U256::ZERO, Bytes::new(), 100_000);
    let err = chain
        .call_env(
            tx,
            &[AccountOverride {
                address: target,
                code: Some(bad),
                ..AccountOverride::default()
            }],
        )
        .unwrap_err();
    assert!(matches!(err, ChainError::InvalidCode(_)), "{err}");
    // The chain still answers, without the override.
    assert!(chain.code(target).is_empty());
    chain
        .try_set_code(target, Bytes::from_static(&[0x00]))
        .unwrap();
    assert_eq!(&chain.code(target)[..], &[0x00]);
}

#[test]
fn impersonated_senders_may_be_contracts() {
    let mut chain = Devnet::new();
    let contract = Address::repeat_byte(0x55);
    chain.set_code(contract, Bytes::from_static(&[0x00]));
    chain.set_balance(contract, U256::from(10u64.pow(18)));
    let to = chain.account(3);
    let before = chain.balance(to);
    let tx = chain.tx_env(contract, Some(to), U256::from(5), Bytes::new(), 21_000);
    // EIP-3607 refuses a sender with code…
    assert!(matches!(
        chain.send_env(tx.clone(), None),
        Err(ChainError::Rejected(_))
    ));
    // …unless the sender is impersonated.
    chain.send_impersonated(tx, None).unwrap().expect_success();
    assert_eq!(chain.balance(to), before + U256::from(5));
    assert_eq!(chain.nonce(contract), 1);
    // Calls from a contract are served, as geth serves them.
    assert!(chain.call(contract, to, Bytes::new()).unwrap().success);
    // The exemption does not outlive the transaction.
    let again = chain.tx_env(contract, Some(to), U256::from(5), Bytes::new(), 21_000);
    assert!(chain.send_env(again, None).is_err());
}

#[test]
fn the_stylus_trace_names_the_trap_and_counts_entry_and_ink() {
    let mut chain = Devnet::new();
    let trapping = deploy(&mut chain, &module("", "unreachable"));
    let r = send(&mut chain, trapping, &[1, 2, 3]);
    assert!(!r.success);
    let trace = chain.stylus_trace();
    assert_eq!(trace.entries, 1);
    assert_eq!(trace.failures.len(), 1);
    assert_eq!(trace.failures[0].program, trapping);
    assert!(
        trace.failures[0].reason.contains("unreachable"),
        "{}",
        trace.failures[0].reason
    );

    let program = deploy(&mut chain, &storage_program());
    let ok = send(&mut chain, program, &key_value(1, 2));
    ok.expect_success();
    let trace = chain.stylus_trace();
    assert_eq!(trace.entries, 1);
    assert!(trace.failures.is_empty());
    assert!(trace.entry_gas > 0 && trace.ink_used > 0);
    assert_eq!(
        trace.ink_gas,
        trace.ink_used / u64::from(chain.stylus_params().ink_price)
    );
    assert!(trace.entry_gas + trace.ink_gas < ok.gas_used);
    // A plain transfer enters no program.
    let (a, b) = (chain.account(0), chain.account(1));
    chain
        .send(a, Some(b), U256::from(1), Bytes::new(), 21_000)
        .unwrap();
    assert_eq!(
        chain.stylus_trace(),
        labelmint_devnet::StylusTrace::default()
    );
}
