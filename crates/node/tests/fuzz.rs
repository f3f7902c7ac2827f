//! Property tests (issue #18, item 6): random JSON-RPC requests, random raw
//! transactions and random wasm programs thrown at the node and the chain.
//! Each case must get an answer (a result or a standard JSON-RPC error) and
//! nothing may panic; the chain must keep answering afterwards.
//!
//! Case counts are bounded (`LABELMINT_FUZZ_CASES`, else `PROPTEST_CASES`,
//! else 300 per property) so `cargo test` stays quick; raise it for a
//! longer run: `LABELMINT_FUZZ_CASES=20000 cargo test --release -p
//! labelmint-node --test fuzz`.
#![allow(missing_docs, clippy::format_push_string, clippy::format_collect)]

use std::cell::RefCell;

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, Signature, TxKind, U256};
use labelmint_devnet::{chain::DEV_KEYS, Devnet};
use labelmint_node::{rpc::Node, METHODS};
use proptest::{
    prelude::*,
    test_runner::{Config, TestRunner},
};
use serde_json::{json, Map, Value};

fn cases(default: u32) -> u32 {
    ["LABELMINT_FUZZ_CASES", "PROPTEST_CASES"]
        .iter()
        .find_map(|name| std::env::var(name).ok().and_then(|v| v.parse().ok()))
        .unwrap_or(default)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

const DEV0: &str = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";

/// Strings a JSON-RPC parameter is likely to be, and some it should not be.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("latest".to_string()),
        Just("pending".to_string()),
        Just("earliest".to_string()),
        Just("0x".to_string()),
        Just("0x0".to_string()),
        Just("0xffffffffffffffff".to_string()),
        Just("0x10000000000000000".to_string()),
        Just(DEV0.to_string()),
        Just(format!("0x{}", "ff".repeat(32))),
        "0x[0-9a-f]{0,70}",
        "[a-zA-Z0-9 _:/.-]{0,20}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e30f64..1e30).prop_map(Value::from),
        text().prop_map(Value::from),
    ]
}

const KEYS: &[&str] = &[
    "from",
    "to",
    "gas",
    "gasPrice",
    "value",
    "data",
    "input",
    "nonce",
    "fromBlock",
    "toBlock",
    "address",
    "topics",
    "blockHash",
    "code",
    "balance",
    "state",
    "stateDiff",
];

fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 32, 6, |inner| {
        let key = prop_oneof![prop::sample::select(KEYS).prop_map(str::to_string), text()];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(METHODS).prop_map(str::to_string),
        1 => "[a-z_]{0,20}",
    ]
}

/// A standard answer: a result, or an error with a JSON-RPC code.
fn answered(node: &mut Node, method: &str, params: &Value) -> Result<(), TestCaseError> {
    let (r, _) = node.dispatch(method, params);
    if let Err(e) = r {
        prop_assert!(
            [-32700, -32600, -32601, -32602, -32603, -32000, 3].contains(&e.code),
            "{method} {params}: code {}",
            e.code
        );
    }
    let (r, _) = node.dispatch("eth_chainId", &json!([]));
    prop_assert_eq!(r.ok(), Some(json!("0x64aba")));
    Ok(())
}

#[test]
fn random_json_rpc_requests_always_get_an_answer() {
    let node = RefCell::new(Node::new(Devnet::new()));
    let params = prop_oneof![
        6 => prop::collection::vec(json(), 0..4).prop_map(Value::Array),
        1 => json(),
    ];
    let n = cases(300);
    runner(n)
        .run(&(method(), params), |(m, p)| {
            answered(&mut node.borrow_mut(), &m, &p)
        })
        .unwrap();
    eprintln!("fuzz: {n} random JSON-RPC requests answered");
}

/// A signed EIP-1559 transaction from dev account `key`, its bytes, with
/// one byte flipped when `flip` is given.
fn raw_tx(
    key: usize,
    nonce: u64,
    gas: u64,
    value: u128,
    to: Option<[u8; 20]>,
    data: Vec<u8>,
    flip: Option<(usize, u8)>,
) -> Vec<u8> {
    let tx = TxEip1559 {
        chain_id: labelmint_devnet::chain::DEFAULT_CHAIN_ID,
        nonce,
        gas_limit: gas,
        max_fee_per_gas: 0,
        max_priority_fee_per_gas: 0,
        to: to.map_or(TxKind::Create, |a| TxKind::Call(Address::from(a))),
        value: U256::from(value),
        access_list: alloy_eips::eip2930::AccessList::default(),
        input: Bytes::from(data),
    };
    let secret: alloy_primitives::B256 = DEV_KEYS[key].parse().unwrap();
    let signing = k256::ecdsa::SigningKey::from_slice(secret.as_slice()).unwrap();
    let (sig, recid) = signing
        .sign_prehash_recoverable(tx.signature_hash().as_slice())
        .unwrap();
    let signature = Signature::from_signature_and_parity(sig, recid.is_y_odd());
    let mut raw = TxEnvelope::Eip1559(tx.into_signed(signature)).encoded_2718();
    if let Some((at, bits)) = flip {
        let at = at % raw.len();
        raw[at] ^= bits.max(1);
    }
    raw
}

#[test]
fn random_raw_transactions_always_get_an_answer() {
    let node = RefCell::new(Node::new(Devnet::new()));
    let signed = (
        0..3usize,
        0..4u64,
        prop_oneof![
            Just(21_000u64),
            0..100_000u64,
            Just(1u64 << 40),
            any::<u64>()
        ],
        prop_oneof![Just(0u128), any::<u128>()],
        prop::option::of(any::<[u8; 20]>()),
        prop::collection::vec(any::<u8>(), 0..64),
        prop::option::of((any::<usize>(), any::<u8>())),
    )
        .prop_map(|(k, n, g, v, to, d, f)| raw_tx(k, n, g, v, to, d, f));
    let bytes = prop_oneof![
        3 => signed,
        1 => prop::collection::vec(any::<u8>(), 0..200),
    ];
    let n = cases(300);
    runner(n)
        .run(&bytes, |raw| {
            let params = json!([format!("0x{}", alloy_primitives::hex::encode(&raw))]);
            answered(&mut node.borrow_mut(), "eth_sendRawTransaction", &params)
        })
        .unwrap();
    eprintln!("fuzz: {n} random raw transactions answered");
}

/// Every `vm_hooks` import with its signature, for random programs.
const HOOKS: &[(&str, &str)] = &[
    ("read_args", "i"),
    ("write_result", "ii"),
    ("storage_load_bytes32", "ii"),
    ("storage_cache_bytes32", "ii"),
    ("storage_flush_cache", "i"),
    ("transient_load_bytes32", "ii"),
    ("transient_store_bytes32", "ii"),
    ("msg_sender", "i"),
    ("msg_value", "i"),
    ("tx_origin", "i"),
    ("contract_address", "i"),
    ("native_keccak256", "iii"),
    ("emit_log", "iii"),
    ("account_balance", "ii"),
    ("account_codehash", "ii"),
    ("read_return_data", "iii>i"),
    ("call_contract", "iiiiIi>i"),
    ("static_call_contract", "iiiIi>i"),
    ("delegate_call_contract", "iiiIi>i"),
    ("create1", "iiiii"),
    ("create2", "iiiiii"),
    ("math_div", "ii"),
    ("math_pow", "ii"),
    ("math_mul_mod", "iii"),
    ("pay_for_memory_grow", "i"),
    ("exit_early", "i"),
];

fn signature(sig: &str) -> String {
    let (params, result) = sig.split_once('>').unwrap_or((sig, ""));
    let ty = |c: char| if c == 'I' { "i64" } else { "i32" };
    let params: Vec<&str> = params.chars().map(ty).collect();
    let mut s = format!("(param {})", params.join(" "));
    if !result.is_empty() {
        s.push_str(&format!(
            " (result {})",
            ty(result.chars().next().unwrap_or('i'))
        ));
    }
    s
}

/// A program that makes `calls` (hook index, argument seeds) in order.
fn host_program(calls: &[(usize, Vec<i64>)]) -> Vec<u8> {
    let imports: String = HOOKS
        .iter()
        .map(|(name, sig)| {
            format!(
                r#"(import "vm_hooks" "{name}" (func ${name} {}))"#,
                signature(sig)
            )
        })
        .collect();
    let mut body = String::new();
    for (hook, seeds) in calls {
        let (name, sig) = HOOKS[hook % HOOKS.len()];
        let (params, result) = sig.split_once('>').unwrap_or((sig, ""));
        let args: Vec<String> = params
            .chars()
            .zip(seeds.iter().chain(std::iter::repeat(&0)))
            .map(|(t, v)| {
                if t == 'I' {
                    format!("(i64.const {v})")
                } else {
                    format!("(i32.const {})", *v as i32)
                }
            })
            .collect();
        let call = format!("(call ${name} {})", args.join(" "));
        body.push_str(&if result.is_empty() {
            call
        } else {
            format!("(drop {call})")
        });
    }
    let text = format!(
        r#"(module {imports}
            (memory (export "memory") 1)
            (func (export "user_entrypoint") (param i32) (result i32) {body} (i32.const 0)))"#
    );
    wat::parse_str(text).expect("generated program assembles")
}

fn seed() -> impl Strategy<Value = i64> {
    prop_oneof![
        prop::sample::select(vec![
            0i64,
            1,
            20,
            32,
            64,
            100,
            65_504,
            65_535,
            65_536,
            -1,
            -32,
            i64::from(i32::MAX)
        ]),
        any::<i64>(),
    ]
}

#[test]
fn random_wasm_programs_never_break_the_chain() {
    let chain = RefCell::new(Devnet::new());
    let calls = prop::collection::vec((any::<usize>(), prop::collection::vec(seed(), 0..7)), 0..12);
    let program = prop_oneof![
        // Structured: random host calls with hostile pointers and lengths.
        4 => calls.prop_map(|c| host_program(&c)),
        // A valid program with bytes flipped or cut.
        2 => (prop::collection::vec((any::<usize>(), any::<u8>()), 1..4), any::<usize>())
            .prop_map(|(flips, cut)| {
                let mut w = host_program(&[(0, vec![0]), (1, vec![0, 32])]);
                for (at, bits) in flips {
                    let at = at % w.len();
                    w[at] ^= bits.max(1);
                }
                let keep = w.len() - cut % 8;
                w.truncate(keep);
                w
            }),
        // Noise.
        1 => prop::collection::vec(any::<u8>(), 0..300),
    ];
    let n = cases(150);
    runner(n)
        .run(
            &(program, prop::collection::vec(any::<u8>(), 0..80)),
            |(wasm, calldata)| {
                let mut chain = chain.borrow_mut();
                let from = chain.account(0);
                // Deploying and activating may fail (ProgramNotWasm, …): it must
                // not panic. Then the program runs on random calldata.
                if let Ok((program, _)) = chain.deploy_wasm(from, &wasm, None) {
                    let r = chain.send(from, Some(program), U256::ZERO, calldata, 3_000_000);
                    prop_assert!(r.is_ok(), "{r:?}");
                }
                prop_assert!(chain.balance(from) > U256::ZERO);
                Ok(())
            },
        )
        .unwrap();
    eprintln!("fuzz: {n} random wasm programs deployed and run");
}

/// POSTs `body` to the node; returns the HTTP status (0: no answer).
fn post(addr: std::net::SocketAddr, body: &[u8]) -> u16 {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return 0;
    };
    let _ = s.set_read_timeout(Some(std::time::Duration::from_mins(1)));
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    if s.write_all(head.as_bytes())
        .and_then(|()| s.write_all(body))
        .is_err()
    {
        return 0;
    }
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer)
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[test]
fn random_http_bodies_always_get_an_http_answer() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let node = rt
        .block_on(labelmint_node::start(labelmint_node::Config {
            addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            ..labelmint_node::Config::default()
        }))
        .unwrap();
    let request = || {
        (method(), prop::collection::vec(json(), 0..3))
            .prop_map(|(m, p)| json!({"jsonrpc": "2.0", "id": 1, "method": m, "params": p}))
    };
    let body = prop_oneof![
        3 => request().prop_map(|r| r.to_string().into_bytes()),
        2 => prop::collection::vec(request(), 0..5).prop_map(|b| Value::Array(b).to_string().into_bytes()),
        1 => json().prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..200),
    ];
    let n = cases(300) / 3;
    let addr = node.addr;
    runner(n)
        .run(&body, |b: Vec<u8>| {
            let status = post(addr, &b);
            prop_assert!([200, 400, 413, 415].contains(&status), "HTTP {status}");
            Ok(())
        })
        .unwrap();
    let alive = post(
        addr,
        br#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#,
    );
    assert_eq!(alive, 200);
    node.stop();
    eprintln!("fuzz: {n} random HTTP bodies answered");
}
