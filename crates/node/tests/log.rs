//! The node's log: one line per transaction naming the labelmint contract
//! and function from the deployments manifest, its gas with the Stylus
//! entry and ink part, the decoded revert and the trap reason; with
//! `--trace-traps`, the trap reasons of reverted calls too.
#![allow(missing_docs)]

use std::{
    fmt::Write as _,
    io::Write,
    path::PathBuf,
    sync::{Arc, Mutex},
};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolError};
use labelmint_client::{
    deployments::{Deployed, Manifest},
    hub::IHub,
    market::IMarket,
};
use labelmint_devnet::Devnet;
use labelmint_node::{labels::Labels, logging::Plain, rpc::Node};
use serde_json::{json, Value};
use tracing_subscriber::fmt::MakeWriter;

const DEV0: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const DEV1: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/// What the subscriber wrote.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Self;
    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

impl Buffer {
    fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// Runs `f` with the node's log format captured.
fn logged(f: impl FnOnce()) -> Vec<String> {
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(buffer.clone())
        .event_format(Plain)
        .with_max_level(tracing::Level::INFO)
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    buffer.lines()
}

fn ok(node: &mut Node, method: &str, params: Value) -> Value {
    let (r, _) = node.dispatch(method, &params);
    r.unwrap_or_else(|e| panic!("{method}: {e:?}"))
}

fn hex(bytes: &[u8]) -> String {
    format!("0x{}", alloy_primitives::hex::encode(bytes))
}

/// A Stylus program running `body` (after reading its arguments), with a
/// data segment at 0.
fn program(data: &[u8], body: &str) -> Vec<u8> {
    let escaped = data.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "\\{b:02x}");
        s
    });
    wat::parse_str(format!(
        r#"(module
            (import "vm_hooks" "read_args" (func $read_args (param i32)))
            (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
            (import "vm_hooks" "pay_for_memory_grow" (func $pay (param i32)))
            (memory (export "memory") 1)
            (data (i32.const 0) "{escaped}")
            (func (export "user_entrypoint") (param $len i32) (result i32)
                (call $read_args (i32.const 1024))
                {body}))"#
    ))
    .expect("program assembles")
}

/// A folder whose `412346.json` will name contracts (written later).
fn manifest_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("labelmint-node-log-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_manifest(dir: &std::path::Path, contracts: &[(&str, Address)]) {
    let mut manifest = Manifest {
        chain_id: 412_346,
        ..Manifest::default()
    };
    for (name, address) in contracts {
        manifest.contracts.insert(
            (*name).to_string(),
            Deployed {
                address: *address,
                code_hash: B256::ZERO,
                tx_hash: B256::ZERO,
                block: 1,
                gas_used: 0,
            },
        );
    }
    std::fs::write(
        dir.join("412346.json"),
        serde_json::to_string(&manifest).unwrap(),
    )
    .unwrap();
}

#[test]
fn each_transaction_is_one_line_with_contract_function_gas_and_decoded_revert() {
    let dir = manifest_dir("tx");
    // The manifest does not exist when the node starts: it is read when a
    // deployment writes it.
    let mut n = Node::new(Devnet::new()).with_labels(Labels::at(&dir, 412_346));
    let from = n.chain.account(0);
    let taken = IMarket::TaskTaken { taskId: 3 }.abi_encode();
    let market = n
        .chain
        .deploy_wasm(
            from,
            &program(
                &taken,
                "(call $write_result (i32.const 0) (i32.const 36)) (i32.const 1)",
            ),
            None,
        )
        .unwrap()
        .0;
    let hub = n
        .chain
        .deploy_wasm(from, &program(&[], "unreachable"), None)
        .unwrap()
        .0;
    write_manifest(&dir, &[("AnnotationMarket", market), ("QualityHub", hub)]);

    let claim = IMarket::claimTasksCall {
        jobId: U256::from(1),
        taskIds: vec![3],
    }
    .abi_encode();
    let close = IHub::closeJobCall {
        jobId: U256::from(2),
    }
    .abi_encode();
    let lines = logged(|| {
        ok(
            &mut n,
            "eth_sendTransaction",
            json!([{ "from": DEV0, "to": market, "data": hex(&claim), "gas": "0x100000" }]),
        );
        ok(
            &mut n,
            "eth_sendTransaction",
            json!([{ "from": DEV0, "to": hub, "data": hex(&close), "gas": "0x100000" }]),
        );
        ok(
            &mut n,
            "eth_sendTransaction",
            json!([{ "from": DEV0, "to": DEV1, "value": "0x1" }]),
        );
        let code = labelmint_wasm::to_stylus_code(&program(&[], "(i32.const 0)"));
        let init = labelmint_devnet::chain::init_code_returning(&code);
        ok(
            &mut n,
            "eth_sendTransaction",
            json!([{ "from": DEV0, "data": hex(&init), "gas": "0x400000" }]),
        );
    });
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(lines.len(), 4, "{lines:#?}");
    let from = DEV0.parse::<Address>().unwrap();
    let revert = &lines[0];
    assert!(revert.starts_with("tx 0x"), "{revert}");
    assert!(
        revert.contains(&format!("from {from}: AnnotationMarket.claimTasks, gas ")),
        "{revert}"
    );
    assert!(revert.contains("(Stylus: entry "), "{revert}");
    assert!(
        revert.ends_with(": reverted TaskTaken { taskId: 3 }"),
        "{revert}"
    );
    let trap = &lines[1];
    assert!(trap.contains("QualityHub.closeJob, gas "), "{trap}");
    assert!(
        trap.contains(&format!(
            "reverted without data [trap in QualityHub ({hub}): "
        )),
        "{trap}"
    );
    assert!(trap.contains("unreachable"), "{trap}");
    let transfer = &lines[2];
    assert!(
        transfer.contains(&format!(
            "{}(value transfer), gas 21000: ok",
            DEV1.parse::<Address>().unwrap().to_string() + " "
        )),
        "{transfer}"
    );
    assert!(!transfer.contains("Stylus"), "{transfer}");
    assert!(
        lines[3].contains(": create Stylus program 0x"),
        "{}",
        lines[3]
    );
    assert!(lines[3].ends_with(": ok"), "{}", lines[3]);
}

#[test]
fn trace_traps_reports_why_a_stylus_call_reverted() {
    let mut n = Node::new(Devnet::new());
    let from = n.chain.account(0);
    let trapping = n
        .chain
        .deploy_wasm(from, &program(&[], "unreachable"), None)
        .unwrap()
        .0;
    let call = json!([{ "to": trapping, "data": "0x01020304" }]);
    let quiet = logged(|| {
        let (r, _) = n.dispatch("eth_call", &call);
        assert_eq!(r.unwrap_err().code, 3);
    });
    assert!(quiet.is_empty(), "{quiet:#?}");
    n.set_trace_traps(true);
    let traced = logged(|| {
        let (r, _) = n.dispatch("eth_call", &call);
        assert_eq!(r.unwrap_err().code, 3);
        let (r, _) = n.dispatch("eth_estimateGas", &call);
        assert_eq!(r.unwrap_err().code, 3);
    });
    assert_eq!(traced.len(), 2, "{traced:#?}");
    assert!(
        traced[0].starts_with(&format!(
            "eth_call {trapping}.0x01020304: trap in {trapping}: "
        )),
        "{}",
        traced[0]
    );
    assert!(traced[0].contains("unreachable"), "{}", traced[0]);
    assert!(traced[1].starts_with("eth_estimateGas "), "{}", traced[1]);
}
