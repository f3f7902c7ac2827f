//! anvil's dev methods on the node state (no sockets): `anvil_setCode`,
//! `anvil_setStorageAt`, `anvil_impersonateAccount` / `anvil_stopImpersonatingAccount`, and
//! `anvil_dumpState` / `anvil_loadState` with a Stylus program in the state.
#![allow(missing_docs)]

use alloy_primitives::Address;
use labelmint_devnet::Devnet;
use labelmint_node::{rpc::Node, state::StateDump};
use serde_json::{json, Value};

const DEV0: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const DEV1: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

fn ok(node: &mut Node, method: &str, params: Value) -> Value {
    let (r, _) = node.dispatch(method, &params);
    r.unwrap_or_else(|e| panic!("{method}: {e:?}"))
}

fn err(node: &mut Node, method: &str, params: Value) -> (i32, String) {
    let (r, _) = node.dispatch(method, &params);
    let e = r.expect_err(method);
    (e.code, e.message)
}

/// A Stylus program: `key ‖ value` stores value at key, `key` alone
/// returns the value at key.
fn storage_program() -> Vec<u8> {
    wat::parse_str(
        r#"(module
            (import "vm_hooks" "read_args" (func $read_args (param i32)))
            (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
            (import "vm_hooks" "pay_for_memory_grow" (func $pay (param i32)))
            (import "vm_hooks" "storage_load_bytes32" (func $load (param i32 i32)))
            (import "vm_hooks" "storage_cache_bytes32" (func $cache (param i32 i32)))
            (import "vm_hooks" "storage_flush_cache" (func $flush (param i32)))
            (memory (export "memory") 1)
            (func (export "user_entrypoint") (param $len i32) (result i32)
                (call $read_args (i32.const 0))
                (call $load (i32.const 0) (i32.const 200))
                (if (i32.eq (local.get $len) (i32.const 64))
                    (then (call $cache (i32.const 0) (i32.const 32)) (call $flush (i32.const 0))))
                (call $write_result (i32.const 200) (i32.const 32))
                (i32.const 0)))"#,
    )
    .expect("program assembles")
}

fn word(byte: u8) -> String {
    format!("0x{}", format!("{byte:02x}").repeat(32))
}

fn hex(bytes: &[u8]) -> String {
    format!("0x{}", alloy_primitives::hex::encode(bytes))
}

/// Deploys and activates the storage program; returns its address.
fn deploy_program(n: &mut Node) -> Address {
    let from = n.chain.account(0);
    n.chain
        .deploy_wasm(from, &storage_program(), None)
        .expect("deploys")
        .0
}

#[test]
fn set_code_installs_evm_and_stylus_code_and_refuses_malformed_code() {
    let mut n = Node::new(Devnet::new());
    let target = "0x00000000000000000000000000000000000000aa";
    // EVM: return SELFBALANCE as a word.
    ok(
        &mut n,
        "anvil_setCode",
        json!([target, "0x4760005260206000f3"]),
    );
    ok(&mut n, "anvil_setBalance", json!([target, "0x2a"]));
    assert_eq!(
        ok(&mut n, "eth_call", json!([{ "to": target }])),
        json!(format!("0x{:064x}", 42))
    );
    // Stylus: the code runs once activated, like deployed code.
    let code = labelmint_wasm::to_stylus_code(&storage_program());
    let stylus = "0x00000000000000000000000000000000000000bb";
    ok(&mut n, "hardhat_setCode", json!([stylus, hex(&code)]));
    assert_eq!(
        ok(&mut n, "eth_getCode", json!([stylus, "latest"])),
        json!(hex(&code))
    );
    let (code3, _) = err(
        &mut n,
        "eth_call",
        json!([{ "to": stylus, "data": word(1) }]),
    );
    assert_eq!(code3, 3, "not activated yet: ProgramNotActivated");
    let from = n.chain.account(0);
    n.chain.activate(from, stylus.parse().unwrap()).unwrap();
    assert_eq!(
        ok(
            &mut n,
            "eth_call",
            json!([{ "to": stylus, "data": word(1) }])
        ),
        json!(word(0))
    );
    // A malformed EIP-7702 designator is a parameter error, not a panic.
    let (code, message) = err(&mut n, "anvil_setCode", json!([target, "0xef0100aa"]));
    assert_eq!(code, -32602, "{message}");
    let (code, message) = err(
        &mut n,
        "eth_call",
        json!([{ "to": target }, "latest", { target: { "code": "0xef0100aa" } }]),
    );
    assert_eq!(code, -32602, "{message}");
    let (code, message) = err(&mut n, "anvil_setCode", json!([target]));
    assert_eq!(code, -32602);
    assert!(message.contains("missing param 1 (code)"), "{message}");
    assert_eq!(ok(&mut n, "eth_chainId", json!([])), json!("0x64aba"));
}

#[test]
fn set_storage_at_changes_what_a_stylus_program_reads_and_refuses_a_short_value() {
    let mut n = Node::new(Devnet::new());
    let program = deploy_program(&mut n);
    let at = format!("{program:#x}");
    let read = |n: &mut Node| ok(n, "eth_call", json!([{ "to": at, "data": word(1) }]));
    assert_eq!(read(&mut n), json!(word(0)));
    assert_eq!(
        ok(&mut n, "anvil_setStorageAt", json!([at, word(1), word(7)])),
        json!(true)
    );
    assert_eq!(
        read(&mut n),
        json!(word(7)),
        "the program reads the new value"
    );
    assert_eq!(
        ok(&mut n, "eth_getStorageAt", json!([at, word(1), "latest"])),
        json!(word(7))
    );
    // hardhat's name, a quantity slot, on an account with no code yet.
    ok(
        &mut n,
        "hardhat_setStorageAt",
        json!([DEV1, "0x2", word(9)]),
    );
    assert_eq!(
        ok(&mut n, "eth_getStorageAt", json!([DEV1, "0x2", "latest"])),
        json!(word(9))
    );
    // On an address that held nothing, the slot makes the account exist:
    // the state dump keeps it.
    let fresh: Address = "0x00000000000000000000000000000000000000cc"
        .parse()
        .unwrap();
    // A zero-value send to it first: the account is in the cache before its slot is set.
    ok(
        &mut n,
        "eth_sendTransaction",
        json!([{ "from": DEV0, "to": fresh, "value": "0x0" }]),
    );
    ok(&mut n, "anvil_setStorageAt", json!([fresh, "0x3", word(5)]));
    let five = alloy_primitives::U256::from_be_bytes([5u8; 32]);
    assert!(
        n.chain
            .account_states()
            .iter()
            .any(|a| a.address == fresh
                && a.storage == vec![(alloy_primitives::U256::from(3), five)]),
        "the fresh account and its slot are in the dump"
    );
    // A value that is not 32 bytes, or a missing one, is a parameter error.
    let (code, message) = err(&mut n, "anvil_setStorageAt", json!([at, word(1), "0x07"]));
    assert_eq!(code, -32602, "{message}");
    let (code, message) = err(&mut n, "anvil_setStorageAt", json!([at, word(1)]));
    assert_eq!(code, -32602, "{message}");
    assert_eq!(
        read(&mut n),
        json!(word(7)),
        "a refused call changes nothing"
    );
}

#[test]
fn impersonated_accounts_send_without_their_key_until_stopped() {
    let mut n = Node::new(Devnet::new());
    let whale = "0x000000000000000000000000000000000000beef";
    ok(
        &mut n,
        "anvil_setBalance",
        json!([whale, "0xde0b6b3a7640000"]),
    );
    let send = json!([{ "from": whale, "to": DEV1, "value": "0x3e8" }]);
    let (code, message) = err(&mut n, "eth_sendTransaction", send.clone());
    assert_eq!(code, -32000);
    assert!(message.contains("anvil_impersonateAccount"), "{message}");

    assert_eq!(
        ok(&mut n, "anvil_impersonateAccount", json!([whale])),
        Value::Null
    );
    let hash = ok(&mut n, "eth_sendTransaction", send.clone());
    let receipt = ok(&mut n, "eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], json!("0x1"));
    assert_eq!(receipt["from"], json!(whale));
    let tx = ok(&mut n, "eth_getTransactionByHash", json!([hash]));
    assert_eq!(tx["hash"], hash);
    assert_eq!(tx["from"], json!(whale));
    assert_eq!(
        ok(&mut n, "eth_getTransactionCount", json!([whale])),
        json!("0x1")
    );
    // The same transfer again is a new transaction with its own hash.
    let again = ok(&mut n, "eth_sendTransaction", send.clone());
    assert_ne!(again, hash);

    // A contract can be impersonated too (EIP-3607 is lifted for it).
    let contract = "0x00000000000000000000000000000000000000cc";
    ok(&mut n, "anvil_setCode", json!([contract, "0x00"]));
    ok(&mut n, "anvil_setBalance", json!([contract, "0x100"]));
    ok(&mut n, "anvil_impersonateAccount", json!([contract]));
    ok(
        &mut n,
        "eth_sendTransaction",
        json!([{ "from": contract, "to": DEV1, "value": "0x1" }]),
    );

    ok(&mut n, "anvil_stopImpersonatingAccount", json!([whale]));
    assert_eq!(err(&mut n, "eth_sendTransaction", send).0, -32000);
    assert_eq!(
        err(&mut n, "anvil_impersonateAccount", json!(["whale"])).0,
        -32602
    );
}

#[test]
fn a_dumped_state_loads_into_a_fresh_node_identically_and_its_program_still_runs() {
    let mut n = Node::new(Devnet::new());
    let program = deploy_program(&mut n);
    let mut store = vec![7u8; 32];
    store.extend_from_slice(&[9u8; 32]);
    let stored = ok(
        &mut n,
        "eth_sendTransaction",
        json!([{ "from": DEV0, "to": program, "data": hex(&store), "gas": "0x200000" }]),
    );
    let transfer = ok(
        &mut n,
        "eth_sendTransaction",
        json!([{ "from": DEV0, "to": DEV1, "value": "0x1234" }]),
    );
    ok(&mut n, "evm_increaseTime", json!([3600]));
    ok(&mut n, "evm_mine", json!([]));

    // Through JSON text, as --dump-state writes it.
    let dumped = ok(&mut n, "anvil_dumpState", json!([]));
    let text = serde_json::to_string(&dumped).unwrap();
    let parsed: StateDump = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed, n.dump_state());
    assert!(parsed.blocks.len() >= 5);

    let mut fresh = Node::new(Devnet::new());
    assert_eq!(
        ok(
            &mut fresh,
            "anvil_loadState",
            serde_json::from_str(&format!("[{text}]")).unwrap()
        ),
        json!(true)
    );
    assert_eq!(fresh.dump_state(), n.dump_state());
    let same = |fresh: &mut Node, n: &mut Node, method: &str, params: Value| {
        assert_eq!(
            ok(fresh, method, params.clone()),
            ok(n, method, params),
            "{method}"
        );
    };
    for (method, params) in [
        ("eth_blockNumber", json!([])),
        ("eth_getBalance", json!([DEV0])),
        ("eth_getBalance", json!([DEV1])),
        ("eth_getTransactionCount", json!([DEV0])),
        ("eth_getCode", json!([program])),
        ("eth_getStorageAt", json!([program, word(7)])),
        ("eth_getBlockByNumber", json!(["latest", true])),
        ("eth_getBlockByNumber", json!(["0x2", true])),
        ("eth_getTransactionReceipt", json!([stored])),
        ("eth_getTransactionByHash", json!([transfer])),
        ("eth_getLogs", json!([{ "fromBlock": "0x0" }])),
    ] {
        same(&mut fresh, &mut n, method, params);
    }
    // The program is still activated and keeps its storage, and the next
    // block follows the loaded head with the loaded clock.
    assert_eq!(
        ok(
            &mut fresh,
            "eth_call",
            json!([{ "to": program, "data": word(7) }])
        ),
        json!(word(9))
    );
    let before: Value = ok(&mut fresh, "eth_getBlockByNumber", json!(["latest", false]));
    let mut update = vec![7u8; 32];
    update.extend_from_slice(&[10u8; 32]);
    ok(
        &mut fresh,
        "eth_sendTransaction",
        json!([{ "from": DEV0, "to": program, "data": hex(&update), "gas": "0x200000" }]),
    );
    let after = ok(&mut fresh, "eth_getBlockByNumber", json!(["latest", false]));
    assert_eq!(after["parentHash"], before["hash"]);
    assert_eq!(
        ok(
            &mut fresh,
            "eth_call",
            json!([{ "to": program, "data": word(7) }])
        ),
        json!(word(10))
    );
}

#[test]
fn a_state_of_another_chain_or_version_is_refused_and_changes_nothing() {
    let mut n = Node::new(Devnet::new());
    ok(
        &mut n,
        "eth_sendTransaction",
        json!([{ "from": DEV0, "to": DEV1, "value": "0x1" }]),
    );
    let mut dump = n.dump_state();
    let mut other = Node::new(Devnet::with_chain_id(5));
    let (code, message) = err(&mut other, "anvil_loadState", json!([dump]));
    assert_eq!(code, -32602);
    assert!(message.contains("--chain-id 412346"), "{message}");
    dump.version = 99;
    let (_, message) = err(&mut n, "anvil_loadState", json!([dump]));
    assert!(message.contains("version 99"), "{message}");
    let (code, _) = err(&mut n, "anvil_loadState", json!([{ "accounts": 1 }]));
    assert_eq!(code, -32602);
    assert_eq!(ok(&mut n, "eth_blockNumber", json!([])), json!("0x1"));
    assert_eq!(ok(&mut other, "eth_blockNumber", json!([])), json!("0x0"));
}
