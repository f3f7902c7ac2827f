//! The JSON-RPC methods, called directly on the node state (no sockets).
#![allow(missing_docs)]

use labelmint_devnet::Devnet;
use labelmint_node::rpc::Node;
use serde_json::{json, Value};

fn node() -> Node {
    Node::new(Devnet::new())
}

fn ok(node: &mut Node, method: &str, params: Value) -> Value {
    let (r, _) = node.dispatch(method, &params);
    r.unwrap_or_else(|e| panic!("{method}: {e:?}"))
}

const DEV0: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const DEV1: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

#[test]
fn chain_identity_methods_answer() {
    let mut n = node();
    assert_eq!(ok(&mut n, "eth_chainId", json!([])), json!("0x64aba"));
    assert_eq!(ok(&mut n, "net_version", json!([])), json!("412346"));
    assert_eq!(ok(&mut n, "eth_blockNumber", json!([])), json!("0x0"));
    assert_eq!(
        ok(&mut n, "eth_getBalance", json!([DEV0, "latest"])),
        json!("0x21e19e0c9bab2400000")
    );
    assert_eq!(
        ok(&mut n, "eth_accounts", json!([]))[0],
        json!(DEV0.to_lowercase())
    );
}

#[test]
fn unknown_methods_and_bad_params_get_standard_codes() {
    let mut n = node();
    let (r, _) = n.dispatch("eth_foo", &json!([]));
    assert_eq!(r.unwrap_err().code, -32601);
    let (r, _) = n.dispatch("eth_getBalance", &json!(["not an address"]));
    assert_eq!(r.unwrap_err().code, -32602);
    let (r, _) = n.dispatch("eth_sendRawTransaction", &json!(["0x1234"]));
    assert_eq!(r.unwrap_err().code, -32602);
}

#[test]
fn send_transaction_mines_a_block_with_a_receipt() {
    let mut n = node();
    let hash = ok(
        &mut n,
        "eth_sendTransaction",
        json!([{ "from": DEV0, "to": DEV1, "value": "0x3e8" }]),
    );
    let receipt = ok(&mut n, "eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["status"], json!("0x1"));
    assert_eq!(receipt["gasUsed"], json!("0x5208"));
    assert_eq!(receipt["blockNumber"], json!("0x1"));
    let tx = ok(&mut n, "eth_getTransactionByHash", json!([hash]));
    assert_eq!(tx["from"], json!(DEV0.to_lowercase()));
    assert_eq!(tx["type"], json!("0x2"));
    let block = ok(&mut n, "eth_getBlockByNumber", json!(["latest", false]));
    assert_eq!(block["transactions"][0], hash);
    let by_hash = ok(&mut n, "eth_getBlockByHash", json!([block["hash"], true]));
    assert_eq!(by_hash["transactions"][0]["hash"], hash);
    assert_eq!(
        ok(&mut n, "eth_getTransactionCount", json!([DEV0, "pending"])),
        json!("0x1")
    );
}

#[test]
fn send_transaction_refuses_unknown_accounts() {
    let mut n = node();
    let (r, _) = n.dispatch(
        "eth_sendTransaction",
        &json!([{ "from": "0x0000000000000000000000000000000000000001", "to": DEV1 }]),
    );
    assert_eq!(r.unwrap_err().code, -32000);
}

/// Init code of a contract whose runtime always reverts with `Error("no")`.
fn reverting_contract(n: &mut Node) -> Value {
    // runtime: write Error(string) "no" (selector, offset 0x20, length 2,
    // data) to memory and revert with its 100 bytes.
    let runtime = format!(
        "7f08c379a0{}600052602060045260026024527f6e6f{}60445260646000fd",
        "00".repeat(28),
        "00".repeat(30)
    );
    let len = runtime.len() / 2;
    let init = format!("0x61{len:04x}80600c6000396000f3{runtime}");
    let hash = ok(
        n,
        "eth_sendTransaction",
        json!([{ "from": DEV0, "data": init, "gas": "0x100000" }]),
    );
    ok(n, "eth_getTransactionReceipt", json!([hash]))["contractAddress"].clone()
}

#[test]
fn reverting_calls_return_code_3_with_data_and_reason() {
    let mut n = node();
    let target = reverting_contract(&mut n);
    let (r, _) = n.dispatch(
        "eth_call",
        &json!([{ "to": target, "data": "0x" }, "latest"]),
    );
    let e = r.unwrap_err();
    assert_eq!(e.code, 3);
    assert_eq!(e.message, "execution reverted: no");
    assert!(e.data.unwrap().as_str().unwrap().starts_with("0x08c379a0"));
    let (r, _) = n.dispatch("eth_estimateGas", &json!([{ "from": DEV0, "to": target }]));
    assert_eq!(r.unwrap_err().code, 3);
}

#[test]
fn eth_call_applies_state_overrides_to_a_copy() {
    let mut n = node();
    // Runtime: return SELFBALANCE as a word.
    let code = "0x4760005260206000f3";
    let target = "0x00000000000000000000000000000000000000aa";
    let out = ok(
        &mut n,
        "eth_call",
        json!([{ "to": target }, "latest", { target: { "code": code, "balance": "0x2a" } }]),
    );
    assert_eq!(out, json!(format!("0x{:064x}", 42)));
    assert_eq!(
        ok(&mut n, "eth_getCode", json!([target, "latest"])),
        json!("0x")
    );
    assert_eq!(
        ok(&mut n, "eth_getBalance", json!([target, "latest"])),
        json!("0x0")
    );
}

#[test]
fn estimate_gas_is_enough_and_tight() {
    let mut n = node();
    let gas = ok(
        &mut n,
        "eth_estimateGas",
        json!([{ "from": DEV0, "to": DEV1, "value": "0x1" }]),
    );
    assert_eq!(gas, json!("0x5208"));
}

#[test]
fn snapshots_time_and_balances_are_controllable() {
    let mut n = node();
    let id = ok(&mut n, "evm_snapshot", json!([]));
    ok(
        &mut n,
        "eth_sendTransaction",
        json!([{ "from": DEV0, "to": DEV1, "value": "0x1" }]),
    );
    assert_eq!(ok(&mut n, "eth_blockNumber", json!([])), json!("0x1"));
    assert_eq!(ok(&mut n, "evm_revert", json!([id])), json!(true));
    assert_eq!(ok(&mut n, "eth_blockNumber", json!([])), json!("0x0"));
    let before = ok(&mut n, "eth_getBlockByNumber", json!(["latest", false]))["timestamp"].clone();
    ok(&mut n, "evm_increaseTime", json!([3600]));
    ok(&mut n, "evm_mine", json!([]));
    let after = ok(&mut n, "eth_getBlockByNumber", json!(["latest", false]))["timestamp"].clone();
    let t =
        |v: &Value| u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    assert!(t(&after) >= t(&before) + 3600);
    ok(&mut n, "anvil_setBalance", json!([DEV1, "0x7"]));
    assert_eq!(
        ok(&mut n, "eth_getBalance", json!([DEV1, "latest"])),
        json!("0x7")
    );
    let (r, _) = n.dispatch("eth_getBalance", &json!([DEV1, "0x0"]));
    assert_eq!(
        r.unwrap_err().code,
        -32000,
        "historical state is refused, not faked"
    );
}

#[test]
fn get_logs_filters_by_address_and_topic() {
    let mut n = node();
    // Runtime: LOG1 with topic 0x..01 and no data.
    let runtime = "600160006000a1";
    let init = format!("0x61{:04x}80600c6000396000f3{runtime}", runtime.len() / 2);
    let hash = ok(
        &mut n,
        "eth_sendTransaction",
        json!([{ "from": DEV0, "data": init, "gas": "0x100000" }]),
    );
    let emitter = ok(&mut n, "eth_getTransactionReceipt", json!([hash]))["contractAddress"].clone();
    for _ in 0..2 {
        ok(
            &mut n,
            "eth_sendTransaction",
            json!([{ "from": DEV0, "to": emitter, "gas": "0x100000" }]),
        );
    }
    let topic = format!("0x{:064x}", 1);
    let logs = ok(
        &mut n,
        "eth_getLogs",
        json!([{ "fromBlock": "0x0", "toBlock": "latest", "address": emitter, "topics": [topic] }]),
    );
    assert_eq!(logs.as_array().unwrap().len(), 2);
    let none = ok(
        &mut n,
        "eth_getLogs",
        json!([{ "fromBlock": "0x0", "address": emitter, "topics": [format!("0x{:064x}", 2)] }]),
    );
    assert!(none.as_array().unwrap().is_empty());
    let fee = ok(&mut n, "eth_feeHistory", json!(["0x2", "latest", [50]]));
    assert_eq!(fee["reward"].as_array().unwrap().len(), 2);
}

// ---- Hostile parameters (issue #18, item 1 and 5): each is refused with
// -32602 or -32000, and the node keeps answering.

fn refused(n: &mut Node, method: &str, params: Value) -> i32 {
    let (r, _) = n.dispatch(method, &params);
    let code = r.expect_err(method).code;
    // The node still answers afterwards.
    assert_eq!(ok(n, "eth_chainId", json!([])), json!("0x64aba"));
    code
}

#[test]
fn fee_history_of_a_block_beyond_the_head_is_an_error_not_an_overflow() {
    let mut n = node();
    assert_eq!(
        refused(
            &mut n,
            "eth_feeHistory",
            json!(["0x1", "0xffffffffffffffff", []])
        ),
        -32602
    );
    refused(&mut n, "eth_feeHistory", json!(["0x1", "0x5", []]));
}

#[test]
fn fee_history_caps_blocks_and_percentiles_as_geth_does() {
    let mut n = node();
    for _ in 0..3 {
        ok(&mut n, "evm_mine", json!([]));
    }
    let many: Vec<u32> = (0..101).collect();
    assert_eq!(
        refused(&mut n, "eth_feeHistory", json!(["0x2", "latest", many])),
        -32602
    );
    for bad in [json!([50, 10]), json!([-1]), json!([101]), json!(["x"])] {
        refused(&mut n, "eth_feeHistory", json!(["0x2", "latest", bad]));
    }
    refused(&mut n, "eth_feeHistory", json!(["nonsense", "latest", []]));
    // A huge count is clamped to what exists (and never past 1,024 blocks).
    let fee = ok(
        &mut n,
        "eth_feeHistory",
        json!(["0xffffffffffffffff", "latest", [10, 50, 90]]),
    );
    assert_eq!(fee["gasUsedRatio"].as_array().unwrap().len(), 4);
    assert_eq!(fee["reward"][0].as_array().unwrap().len(), 3);
    assert_eq!(fee["oldestBlock"], json!("0x0"));
}

#[test]
fn state_queries_for_blocks_beyond_the_head_are_errors() {
    let mut n = node();
    for method in ["eth_getBalance", "eth_getTransactionCount", "eth_getCode"] {
        refused(&mut n, method, json!([DEV0, "0x10"]));
        refused(&mut n, method, json!([DEV0, "0xffffffffffffffffff"]));
    }
    refused(&mut n, "eth_call", json!([{ "to": DEV1 }, "0x99"]));
}

#[test]
fn increase_time_cannot_overflow_the_clock() {
    let mut n = node();
    refused(&mut n, "evm_increaseTime", json!(["0xffffffffffffffff"]));
    refused(&mut n, "evm_increaseTime", json!([u64::MAX]));
    refused(&mut n, "evm_increaseTime", json!([-5]));
    refused(&mut n, "evm_setNextBlockTimestamp", json!([u64::MAX]));
    ok(&mut n, "evm_increaseTime", json!([60]));
    ok(&mut n, "evm_mine", json!([]));
}

#[test]
fn snapshots_are_bounded() {
    let mut n = node();
    for _ in 0..labelmint_devnet::chain::MAX_SNAPSHOTS {
        ok(&mut n, "evm_snapshot", json!([]));
    }
    assert_eq!(refused(&mut n, "evm_snapshot", json!([])), -32000);
    // Reverting frees room again.
    assert_eq!(ok(&mut n, "evm_revert", json!(["0x0"])), json!(true));
    ok(&mut n, "evm_snapshot", json!([]));
}

#[test]
fn log_queries_with_a_reversed_or_unknown_range_are_errors() {
    let mut n = node();
    ok(&mut n, "evm_mine", json!([]));
    refused(
        &mut n,
        "eth_getLogs",
        json!([{ "fromBlock": "0x1", "toBlock": "0x0" }]),
    );
    refused(&mut n, "eth_getLogs", json!([{ "fromBlock": "0x100" }]));
    refused(&mut n, "eth_getLogs", json!([{ "address": "nonsense" }]));
}

#[test]
fn call_and_send_gas_is_capped() {
    let mut n = node();
    let (r, _) = n.dispatch(
        "eth_sendTransaction",
        &json!([{ "from": DEV0, "to": DEV1, "gas": "0x4000000000000" }]),
    );
    assert_eq!(r.unwrap_err().code, -32000);
    // A call asking for more than the cap runs with the cap.
    ok(
        &mut n,
        "eth_call",
        json!([{ "to": DEV1, "gas": "0xffffffffffffffff" }, "latest"]),
    );
}
