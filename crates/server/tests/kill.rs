//! Killing the server (SIGKILL) at every point of relaying loses no
//! accepted submission and sends none twice; two instances on one database
//! with one killed mid-relay finish its work exactly once.

mod common;

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use alloy_primitives::{Address, B256};
use common::{call, create_job, sample_texts, sign_in, upload, wait_final, Env, ANN_A, CREATOR};
use labelmint_client::market::IMarket;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A server process and its stderr lines.
struct Proc {
    child: Child,
    lines: mpsc::Receiver<String>,
    url: String,
}

impl Proc {
    /// Starts `labelmint-server` against the test chain.
    fn start(env: &Env, database: &str, relayer: B256, instance: &str, extra: &[&str]) -> Self {
        let manifest = env
            .dir
            .join("deployments")
            .join(format!("{}.json", env.server.state.rpc.chain_id));
        let mut child = Command::new(env!("CARGO_BIN_EXE_labelmint-server"))
            .args([
                "--rpc",
                &env.chain.rpc_url,
                "--manifest",
                &manifest.display().to_string(),
                "--database",
                database,
                "--store",
                &env.dir.join("store").display().to_string(),
                "--port",
                "0",
                "--instance",
                instance,
                "--lease-secs",
                "2",
                "--poll-ms",
                "50",
                "--address-rate",
                "1000",
                "--address-burst",
                "1000",
            ])
            .args(extra)
            .env("LABELMINT_RELAYER_KEY", relayer.to_string())
            .env("RUST_LOG", "warn")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("labelmint-server starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut p = Self {
            child,
            lines,
            url: String::new(),
        };
        let line = p.wait_line("API on http://");
        let url = line
            .split("API on ")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap();
        p.url = url.to_string();
        p
    }

    /// Waits for a stderr line containing `needle` (a liveness bound of two minutes).
    fn wait_line(&mut self, needle: &str) -> String {
        loop {
            match self.lines.recv_timeout(Duration::from_mins(2)) {
                Ok(l) if l.contains(needle) => return l,
                Ok(_) => {}
                Err(e) => panic!("no line with {needle:?}: {e}"),
            }
        }
    }

    /// SIGKILL.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How many `LabelsSubmitted` of `annotator` the chain holds, and the
/// relayer's transaction count.
async fn chain_counts(env: &Env, annotator: Address, relayer: Address) -> (usize, u64) {
    let logs = env
        .rpc(
            "eth_getLogs",
            json!([{"fromBlock": "0x0", "toBlock": "latest", "address": env.chain.contracts.market,
                "topics": [format!("{:#x}", <IMarket::LabelsSubmitted as alloy_sol_types::SolEvent>::SIGNATURE_HASH),
                    null, null, format!("{:#x}", B256::left_padding_from(annotator.as_slice()))]}]),
        )
        .await;
    let n = env
        .rpc("eth_getTransactionCount", json!([relayer, "latest"]))
        .await;
    let n = u64::from_str_radix(n.as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    (logs.as_array().unwrap().len(), n)
}

async fn submit(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    key: B256,
    job: u64,
    task: u32,
) -> i64 {
    common::wait_for("the job indexed by this instance", || async {
        let (st, _) = call(
            http,
            base,
            Method::GET,
            &format!("/api/jobs/{job}"),
            None,
            None,
        )
        .await;
        (st == StatusCode::OK).then_some(())
    })
    .await;
    let (st, v) = common::submit_batch(http, base, token, key, job, &[task], json!([1])).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{v}");
    v["id"].as_i64().unwrap()
}

fn database_for(env: &Env) -> String {
    env.database.clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_at_every_relay_point_loses_nothing_and_sends_nothing_twice() {
    // The in-process server only hosts the chain and the job; relaying is
    // done by server processes on their own database.
    let env = Env::new("kill", |c| c.relayer_key = None).await;
    let creator = env.sign_in(CREATOR).await;
    let root = upload(&env, &creator, &sample_texts()).await;
    let job = create_job(&env, &creator, &root, "categorical", &["n", "p"], json!({})).await;
    let database = common::database_url(&env.dir.join("kill-db")).await;
    std::fs::create_dir_all(env.dir.join("kill-db")).unwrap();
    let relayer_key = env.key(7);
    let relayer = env.address(7);
    let annotator = env.address(ANN_A);
    let http = reqwest::Client::new();
    let mut expected_batches = 0;
    for (task, point) in [(0u32, "claimed"), (1, "signed"), (2, "sent")] {
        let (batches_before, nonce_before) = chain_counts(&env, annotator, relayer).await;
        let mut p = Proc::start(
            &env,
            &database,
            relayer_key,
            "killed",
            &["--pause-relayer-at", point],
        );
        let token = sign_in(&http, &p.url, env.key(ANN_A)).await;
        let id = submit(&http, &p.url, &token, env.key(ANN_A), job, task).await;
        p.wait_line(&format!("relayer paused at {point}"));
        p.kill();
        // Restarted (same instance name, so it resumes its own claims at once).
        let p = Proc::start(&env, &database, relayer_key, "killed", &[]);
        let token = sign_in(&http, &p.url, env.key(ANN_A)).await;
        let s = wait_final(&http, &p.url, &token, id).await;
        assert_eq!(s["status"], "mined", "killed at {point}: {s}");
        expected_batches += 1;
        let (batches, nonce) = chain_counts(&env, annotator, relayer).await;
        assert_eq!(
            batches,
            batches_before + 1,
            "killed at {point}: exactly one batch on chain"
        );
        assert_eq!(
            nonce,
            nonce_before + 1,
            "killed at {point}: exactly one relayer transaction"
        );
        // Nothing else left in the outbox.
        let (_, mine) = call(
            &http,
            &p.url,
            Method::GET,
            "/api/me/submissions",
            Some(&token),
            None,
        )
        .await;
        assert!(
            mine.as_array()
                .unwrap()
                .iter()
                .all(|s| s["status"] == "mined"),
            "{mine}"
        );
        drop(p);
    }
    assert_eq!(
        chain_counts(&env, annotator, relayer).await.0,
        expected_batches
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_instances_on_one_database_finish_a_killed_instances_relay_exactly_once() {
    let env = Env::new("twoinst", |c| c.relayer_key = None).await;
    let creator = env.sign_in(CREATOR).await;
    let root = upload(&env, &creator, &sample_texts()).await;
    let job = create_job(&env, &creator, &root, "categorical", &["n", "p"], json!({})).await;
    std::fs::create_dir_all(env.dir.join("shared-db")).unwrap();
    let database = common::database_url(&env.dir.join("shared-db")).await;
    let (key_a, key_b) = (env.key(7), env.key(8));
    let annotator = env.address(ANN_A);
    let http = reqwest::Client::new();
    let (before, _) = chain_counts(&env, annotator, env.address(7)).await;

    // Instance A accepts two batches and is stopped after broadcasting the first.
    let mut a = Proc::start(
        &env,
        &database,
        key_a,
        "instance-a",
        &["--pause-relayer-at", "sent"],
    );
    let token_a = sign_in(&http, &a.url, env.key(ANN_A)).await;
    let first = submit(&http, &a.url, &token_a, env.key(ANN_A), job, 3).await;
    a.wait_line("relayer paused at sent");
    let second = submit(&http, &a.url, &token_a, env.key(ANN_A), job, 4).await;
    // Instance B runs on the same database; A is killed mid-relay.
    let b = Proc::start(&env, &database, key_b, "instance-b", &[]);
    a.kill();
    let token_b = sign_in(&http, &b.url, env.key(ANN_A)).await;
    let s1 = wait_final(&http, &b.url, &token_b, first).await;
    let s2 = wait_final(&http, &b.url, &token_b, second).await;
    assert_eq!(s1["status"], "mined", "{s1}");
    assert_eq!(s2["status"], "mined", "{s2}");
    let (after, _) = chain_counts(&env, annotator, env.address(7)).await;
    assert_eq!(after, before + 2, "each accepted batch exactly once");
    let _ = (Path::new("."), Value::Null, database_for(&env));
}
