//! Contract wallets for the market tests: tiny Stylus programs written in
//! WAT that answer EIP-1271 checks, refuse or burn ETH, and forward a
//! relayer's call to the market, so a test can be a smart-account user.
#![allow(dead_code, unreachable_pub, clippy::needless_raw_string_hashes)]

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use labelmint::market::{batch_digest, Batch, IMarket, Market, SubmitBatch};
use labelmint_devnet::{chain::DEFAULT_TX_GAS, Receipt};

use super::ok;

/// A Stylus program from WAT (user_entrypoint plus the given body).
pub fn program(body: &str, extra_imports: &str) -> Vec<u8> {
    let text = format!(
        r#"(module
            (import "vm_hooks" "read_args" (func $read_args (param i32)))
            (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
            (import "vm_hooks" "pay_for_memory_grow" (func $pay (param i32)))
            {extra_imports}
            (memory (export "memory") 1)
            (func (export "user_entrypoint") (param $len i32) (result i32)
                (call $read_args (i32.const 0))
                {body}))"#
    );
    wat::parse_str(text).expect("assembles")
}

pub fn deploy_program(m: &mut Market, wasm: &[u8]) -> Address {
    let admin = m.admin;
    m.chain.deploy_wasm(admin, wasm, None).unwrap().0
}

/// An EIP-1271 wallet that accepts a signature iff its first 32 bytes equal
/// the hash it is asked about (so a test can prove which digest the market
/// computed); any other signature is refused. A plain ETH transfer (empty
/// calldata) runs `on_eth` first: `(return (i32.const 1))` makes it revert,
/// `(loop $l (br $l))` burns all the gas it gets.
pub fn wallet(m: &mut Market, on_eth: &str) -> Address {
    let body = format!(
        r#"
        (if (i32.eqz (local.get $len)) (then {on_eth}))
        (if (i32.eq (i32.load (i32.const 0)) (i32.const -1))
            (then
                (local.set $len (call $call (i32.const 4) (i32.const 24)
                    (i32.sub (local.get $len) (i32.const 24)) (i32.const 2000)
                    (i64.const -1) (i32.const 2100)))
                (drop (call $rrd (i32.const 4000) (i32.const 0) (i32.load (i32.const 2100))))
                (call $write_result (i32.const 4000) (i32.load (i32.const 2100)))
                (return (local.get $len))))
        (i32.store (i32.const 1000) (i32.const 0))
        (if (i32.and
                (i32.and (i64.eq (i64.load (i32.const 4)) (i64.load (i32.const 100)))
                         (i64.eq (i64.load (i32.const 12)) (i64.load (i32.const 108))))
                (i32.and (i64.eq (i64.load (i32.const 20)) (i64.load (i32.const 116)))
                         (i64.eq (i64.load (i32.const 28)) (i64.load (i32.const 124)))))
            (then (i32.store (i32.const 1000) (i32.const 0x7eba2616))))
        (call $write_result (i32.const 1000) (i32.const 32))
        (i32.const 0)"#
    );
    let imports = r#"(import "vm_hooks" "call_contract" (func $call (param i32 i32 i32 i32 i64 i32) (result i32)))
        (import "vm_hooks" "read_return_data" (func $rrd (param i32 i32 i32) (result i32)))"#;
    let wasm = program(&body, imports);
    deploy_program(m, &wasm)
}

/// Makes [`wallet`] `w` call the market with `call` (sent by a relayer).
pub fn via<C: SolCall>(m: &mut Market, w: Address, call: &C) -> Receipt {
    let market = m.market;
    via_to(m, w, market, call)
}

/// Makes [`wallet`] `w` call `target` with `call` (sent by a relayer).
pub fn via_to<C: SolCall>(m: &mut Market, w: Address, target: Address, call: &C) -> Receipt {
    let mut data = vec![0xff; 4];
    data.extend_from_slice(target.as_slice());
    data.extend_from_slice(&call.abi_encode());
    let relayer = m.chain.account(9);
    m.chain
        .send(relayer, Some(w), U256::ZERO, data, DEFAULT_TX_GAS)
        .unwrap()
}

/// `submitBatchBySig` for a [`wallet`] annotator (signature = digest, nonce
/// = the chain's clock); fails unless it succeeds.
pub fn wallet_submit(
    m: &mut Market,
    wallet: Address,
    job: U256,
    tasks: &[u32],
    payload: &[u8],
) -> Batch {
    let nonce = U256::from(m.chain.timestamp());
    let r = relay_submit(m, wallet, job, tasks, payload, nonce);
    ok(&r);
    Batch::from_logs(&r.logs).unwrap()
}

/// `submitBatchBySig` for a [`wallet`] annotator with `nonce`, sent by
/// account 9 as relayer; the receipt, whatever it says.
pub fn relay_submit(
    m: &mut Market,
    wallet: Address,
    job: U256,
    tasks: &[u32],
    payload: &[u8],
    nonce: U256,
) -> Receipt {
    let deadline = U256::from(m.chain.timestamp() + 600);
    let batch = SubmitBatch {
        annotator: wallet,
        jobId: job,
        taskIds: tasks.to_vec(),
        payload: payload.to_vec().into(),
        nonce,
        deadline,
    };
    let digest = batch_digest(m.market, m.chain.chain_id(), &batch);
    let call = IMarket::submitBatchBySigCall {
        annotator: wallet,
        jobId: job,
        taskIds: tasks.to_vec(),
        payload: payload.to_vec().into(),
        nonce,
        deadline,
        signature: digest.to_vec().into(),
    };
    let relayer = m.chain.account(9);
    m.send(relayer, &call, U256::ZERO).unwrap()
}
