//! The `labelmint-node` binary itself: its banner lists the deployed
//! labelmint contracts, it logs methods and transactions, `--dump-state`
//! writes the state when it is interrupted (SIGINT), and `--load-state`
//! starts a fresh process from it with a Stylus program still callable.
#![cfg(unix)]
#![allow(missing_docs)]

use std::{
    fmt::Write as _,
    io::{BufRead, BufReader, Read, Write},
    net::{SocketAddr, TcpStream},
    path::{Path, PathBuf},
    process::{Child, ChildStdout, Command, Stdio},
    time::Duration,
};

use alloy_primitives::{Address, B256};
use alloy_sol_types::SolCall;
use labelmint_client::deployments::{Deployed, Manifest};
use labelmint_devnet::precompiles::{ArbWasm, ARB_WASM};
use serde_json::{json, Value};

const DEV0: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const DEV1: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/// A running node process and what it printed up to "Listening on".
struct Running {
    child: Child,
    addr: SocketAddr,
    banner: Vec<String>,
    stdout: BufReader<ChildStdout>,
}

// The child is waited for in `Running::stop`, or in its `Drop`.
#[allow(clippy::zombie_processes)]
fn spawn(args: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_labelmint-node"))
        .args(["--port", "0"])
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("LABELMINT_DEPLOYMENTS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut banner = Vec::new();
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            let mut err = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            let status = child.wait();
            panic!("node exited ({status:?}) before listening: {banner:#?}\n{err}");
        }
        let line = line.trim_end().to_string();
        if let Some(rest) = line.strip_prefix("Listening on http://") {
            let addr = rest.split_whitespace().next().unwrap().parse().unwrap();
            banner.push(line);
            return Running {
                child,
                addr,
                banner,
                stdout,
            };
        }
        banner.push(line);
    }
}

/// A test that fails midway does not leave its node running.
impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// Signals the process and returns its exit status, stdout rest and stderr.
    fn stop(mut self, signal: &str) -> (std::process::ExitStatus, String, String) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let mut err = String::new();
        let mut stderr = self.child.stderr.take().unwrap();
        let mut out = String::new();
        self.stdout.read_to_string(&mut out).unwrap();
        stderr.read_to_string(&mut err).unwrap();
        (self.child.wait().unwrap(), out, err)
    }

    fn rpc(&self, method: &str, params: Value) -> Value {
        let body =
            json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
        let mut s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_mins(1))).unwrap();
        let mut head = String::new();
        let _ = write!(
            head,
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            body.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body.as_bytes()).unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        let body = answer
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .unwrap_or_default();
        let start = body.find('{').unwrap_or(0);
        let end = body.rfind('}').map_or(body.len(), |e| e + 1);
        let v: Value = serde_json::from_str(&body[start..end]).unwrap_or(Value::Null);
        match v.get("result") {
            Some(r) => r.clone(),
            None => panic!("{method}: {v}"),
        }
    }
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

fn hex(bytes: &[u8]) -> String {
    format!("0x{}", alloy_primitives::hex::encode(bytes))
}

fn word(byte: u8) -> String {
    format!("0x{}", format!("{byte:02x}").repeat(32))
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("labelmint-node-bin-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_manifest(dir: &Path, name: &str, address: Address) {
    let mut manifest = Manifest {
        chain_id: 412_346,
        ..Manifest::default()
    };
    manifest.contracts.insert(
        name.to_string(),
        Deployed {
            address,
            code_hash: B256::ZERO,
            tx_hash: B256::ZERO,
            block: 1,
            gas_used: 0,
        },
    );
    std::fs::write(
        dir.join("412346.json"),
        serde_json::to_string(&manifest).unwrap(),
    )
    .unwrap();
}

/// Deploys and activates the storage program over JSON-RPC, as
/// `cargo stylus deploy --wasm-file` does (CREATE, then `activateProgram`
/// paying the data fee a call reported).
fn deploy_program(node: &Running) -> Address {
    let code = labelmint_wasm::to_stylus_code(&storage_program());
    let init = labelmint_devnet::chain::init_code_returning(&code);
    let hash = node.rpc(
        "eth_sendTransaction",
        json!([{ "from": DEV0, "data": hex(&init), "gas": "0x400000" }]),
    );
    let receipt = node.rpc("eth_getTransactionReceipt", json!([hash]));
    let program: Address = serde_json::from_value(receipt["contractAddress"].clone()).unwrap();
    let activate = ArbWasm::activateProgramCall { program }.abi_encode();
    let answer = node.rpc(
        "eth_call",
        json!([{ "from": DEV0, "to": ARB_WASM, "data": hex(&activate), "value": "0xffffffffffffffff" }]),
    );
    let answer: alloy_primitives::Bytes = serde_json::from_value(answer).unwrap();
    let fee = ArbWasm::activateProgramCall::abi_decode_returns(&answer)
        .unwrap()
        .dataFee;
    node.rpc(
        "eth_sendTransaction",
        json!([{ "from": DEV0, "to": ARB_WASM, "data": hex(&activate), "value": fee, "gas": "0x1000000" }]),
    );
    program
}

#[test]
fn interrupted_node_dumps_its_state_and_a_fresh_process_loads_it() {
    let dir = temp_dir("state");
    let dump = dir.join("state.json");
    let dump_arg = dump.to_str().unwrap();
    let dir_arg = dir.to_str().unwrap();
    let a = spawn(&[
        "--dump-state",
        dump_arg,
        "--deployments",
        dir_arg,
        "--log-methods",
    ]);
    assert!(
        a.banner
            .iter()
            .any(|l| l.starts_with("No labelmint deployments at")),
        "{:#?}",
        a.banner
    );
    let program = deploy_program(&a);
    write_manifest(&dir, "AnnotationMarket", program);
    let mut store = vec![7u8; 32];
    store.extend_from_slice(&[9u8; 32]);
    a.rpc(
        "eth_sendTransaction",
        json!([{ "from": DEV0, "to": program, "data": hex(&store), "gas": "0x200000" }]),
    );
    a.rpc(
        "eth_sendTransaction",
        json!([{ "from": DEV0, "to": DEV1, "value": "0x1234" }]),
    );
    let head = a.rpc("eth_blockNumber", json!([]));
    let balance = a.rpc("eth_getBalance", json!([DEV1]));
    let nonce = a.rpc("eth_getTransactionCount", json!([DEV0]));
    let block = a.rpc("eth_getBlockByNumber", json!(["latest", false]));
    let (status, _, log) = a.stop("-INT");
    assert!(status.success(), "{status:?}\n{log}");
    // Method names start their lines (CI counts them), one line per
    // transaction names the contract and function.
    assert!(log.lines().any(|l| l == "eth_sendTransaction"), "{log}");
    assert!(
        log.lines().any(|l| l.starts_with("tx ")
            && l.contains(&format!("AnnotationMarket.0x{}", "07".repeat(4)))
            && l.ends_with(": ok")),
        "{log}"
    );
    assert!(
        log.contains(&format!("ArbWasm.activateProgram (activated {program})")),
        "{log}"
    );
    assert!(log.contains("state written to"), "{log}");
    assert!(dump.exists());

    let b = spawn(&["--load-state", dump_arg, "--deployments", dir_arg]);
    assert!(
        b.banner.iter().any(|l| l.starts_with("State loaded from")),
        "{:#?}",
        b.banner
    );
    let listed = b
        .banner
        .iter()
        .find(|l| l.contains("AnnotationMarket"))
        .unwrap_or_else(|| panic!("{:#?}", b.banner));
    assert!(listed.contains(&program.to_string()), "{listed}");
    assert!(!listed.contains("no code"), "{listed}");
    assert_eq!(b.rpc("eth_blockNumber", json!([])), head);
    assert_eq!(b.rpc("eth_getBalance", json!([DEV1])), balance);
    assert_eq!(b.rpc("eth_getTransactionCount", json!([DEV0])), nonce);
    assert_eq!(
        b.rpc("eth_getBlockByNumber", json!(["latest", false])),
        block
    );
    assert_eq!(
        b.rpc("eth_call", json!([{ "to": program, "data": word(7) }])),
        json!(word(9))
    );
    let (status, _, _) = b.stop("-TERM");
    assert!(status.success(), "{status:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_banner_marks_manifest_contracts_without_code() {
    let dir = temp_dir("banner");
    let market = Address::repeat_byte(0x42);
    write_manifest(&dir, "AnnotationMarket", market);
    let node = spawn(&["--deployments", dir.to_str().unwrap()]);
    let heading = node
        .banner
        .iter()
        .position(|l| l.starts_with("Deployed labelmint contracts ("))
        .unwrap_or_else(|| panic!("{:#?}", node.banner));
    let line = &node.banner[heading + 1];
    assert!(line.contains("AnnotationMarket"), "{line}");
    assert!(line.contains(&market.to_string()), "{line}");
    assert!(line.ends_with("(no code on this chain)"), "{line}");
    let (status, _, _) = node.stop("-TERM");
    assert!(status.success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unknown_flags_are_refused_and_help_exits_zero() {
    let out = Command::new(env!("CARGO_BIN_EXE_labelmint-node"))
        .arg("--dump-stat")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown argument --dump-stat"));
    let help = Command::new(env!("CARGO_BIN_EXE_labelmint-node"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--dump-state",
        "--load-state",
        "--trace-traps",
        "--deployments",
    ] {
        assert!(text.contains(flag), "{flag}");
    }
}
