//! The `labelmint` binary's on-chain subcommands against a JSON-RPC node
//! with the real contracts: a creator, four annotators (one through a
//! relayer) and a buyer run a job from escrow to a verified dataset
//! download, and bad input gets clear errors.
#![allow(missing_docs, clippy::too_many_lines)]

use std::{path::Path, process::Command};

#[path = "../../zg/tests/fake/mod.rs"]
mod fake;

use labelmint_devnet::chain::DEV_KEYS;

struct Cli<'a> {
    rpc: String,
    deployments: &'a Path,
    store: &'a Path,
}

impl Cli<'_> {
    fn run(&self, key: usize, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_labelmint"))
            .args(args)
            .args([
                "--rpc",
                &self.rpc,
                "--deployments",
                self.deployments.to_str().unwrap(),
                "--store",
                self.store.to_str().unwrap(),
            ])
            .env("LABELMINT_PRIVATE_KEY", DEV_KEYS[key])
            .env("RUST_BACKTRACE", "0")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        )
    }

    fn ok(&self, key: usize, args: &[&str]) -> String {
        let (ok, out, err) = self.run(key, args);
        assert!(ok, "labelmint {args:?} failed: {err}");
        out
    }

    fn fails(&self, key: usize, args: &[&str], expect: &str) {
        let (ok, out, err) = self.run(key, args);
        assert!(!ok, "labelmint {args:?} should fail, printed {out}");
        assert!(
            err.contains(expect),
            "labelmint {args:?}: expected {expect:?} in {err}"
        );
    }
}

/// A fresh directory and a JSON-RPC node with every contract deployed
/// (keep the runtime alive while the node is used).
fn start(
    name: &str,
) -> (
    std::path::PathBuf,
    tokio::runtime::Runtime,
    labelmint_deploy::harness::LocalChain,
) {
    let dir = std::env::temp_dir().join(format!("labelmint-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let chain = rt
        .block_on(labelmint_deploy::harness::local_chain(
            &labelmint::artifacts::artifacts_dir(),
            &dir,
        ))
        .unwrap();
    (dir, rt, chain)
}

/// The `&str` view of an owned argument list.
fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn write(dir: &Path, name: &str, v: &serde_json::Value) -> String {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec(v).unwrap()).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn a_job_runs_from_escrow_to_a_verified_dataset_download_through_the_cli() {
    let (dir, _rt, chain) = start("chain");
    let store = dir.join("store");
    let cli = Cli {
        rpc: chain.url(),
        deployments: &dir,
        store: &store,
    };

    // Account 7 offers to arbitrate ETH jobs (fee 10, bond 20, one hour each).
    let terms = cli.ok(
        7,
        &[
            "arbiter",
            "register",
            "--fee",
            "10",
            "--bond",
            "20",
            "--dispute-secs",
            "3600",
            "--ruling-secs",
            "3600",
        ],
    );
    assert_eq!(terms, "1");
    // Creator (account 0): 8 tasks, 3 classes, 1,000 wei per label.
    let job = cli.ok(
        0,
        &[
            "job",
            "create",
            "--data-root",
            &format!("0x{}", "11".repeat(32)),
            "--tasks",
            "8",
            "--reward",
            "1000",
            "--classes",
            "3",
            "--terms",
            &terms,
        ],
    );
    assert_eq!(job, "1");
    let status: serde_json::Value =
        serde_json::from_str(&cli.ok(0, &["job", "status", "1"])).unwrap();
    assert_eq!(
        (status["status"].as_str(), status["escrow"].as_str()),
        (Some("open"), Some("8000"))
    );

    // Annotator 1 submits directly, annotator 2 claims first, annotator 3
    // signs once and a relayer (the creator) pays the gas, annotator 4
    // submits the rest.
    let batch = |name: &str, tasks: serde_json::Value, labels: serde_json::Value| {
        write(
            &dir,
            name,
            &serde_json::json!({"tasks": tasks, "labels": labels}),
        )
    };
    let first = batch(
        "b1.json",
        serde_json::json!([0, 1]),
        serde_json::json!([0, 1]),
    );
    cli.ok(1, &["task", "submit", "1", "--batch", &first]);
    assert!(cli
        .ok(2, &["task", "claim", "1", "2,3"])
        .starts_with("claimed 2 tasks"));
    let second = batch(
        "b2.json",
        serde_json::json!([2, 3]),
        serde_json::json!([2, 1]),
    );
    cli.ok(2, &["task", "submit", "1", "--batch", &second]);
    let third = batch(
        "b3.json",
        serde_json::json!([4, 5]),
        serde_json::json!([0, 0]),
    );
    let signed = dir.join("signed.json");
    cli.ok(
        3,
        &[
            "task",
            "submit",
            "1",
            "--batch",
            &third,
            "--sign-only",
            signed.to_str().unwrap(),
        ],
    );
    assert!(cli
        .ok(0, &["task", "relay", signed.to_str().unwrap()])
        .contains("relayed 2 tasks"));
    let fourth = batch(
        "b4.json",
        serde_json::json!([6, 7]),
        serde_json::json!([1, 2]),
    );
    cli.ok(4, &["task", "submit", "1", "--batch", &fourth]);

    // The creator rejects task 1 of batch 1; annotator 1 disputes and the
    // arbiter overturns; the rest is approved.
    assert!(cli
        .ok(
            0,
            &["review", "reject", "1", "1", "--tasks", "1", "--reason", "2"],
        )
        .contains("1 tasks rejected"));
    cli.fails(1, &["review", "settle", "1", "1"], "DisputeOpen");
    assert!(cli
        .ok(1, &["review", "dispute", "1", "1"])
        .contains("bond 20 wei"));
    cli.fails(
        0,
        &["review", "rule", "1", "1", "--overturn"],
        "Unauthorized",
    );
    cli.fails(7, &["review", "rule", "1", "1"], "<--overturn|--uphold>");
    assert!(cli
        .ok(7, &["review", "rule", "1", "1", "--overturn"])
        .contains("overturned"));
    cli.ok(0, &["review", "approve", "1", "2,3,4"]);
    let status: serde_json::Value =
        serde_json::from_str(&cli.ok(0, &["job", "status", "1"])).unwrap();
    assert_eq!(status["status"], "completed");
    assert_eq!(status["approved"], 8);

    // The audit reads every batch from the chain: all verified, labels
    // unanimous, but submitted seconds after claiming: flagged as too fast.
    let report: serde_json::Value =
        serde_json::from_str(&cli.ok(0, &["audit", "1", "--json"])).unwrap();
    assert_eq!(report["batches"], 4);
    assert_eq!(report["verified_batches"], 4);
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["finding"] == "too_fast"));
    assert_eq!(report["accept"], false);
    assert!(cli.ok(0, &["audit", "1"]).contains("verdict: REJECT"));

    // Publish the dataset file, sell a licence, download and verify.
    let data = dir.join("data.jsonl");
    std::fs::write(&data, "{\"messages\": []}\n".repeat(50)).unwrap();
    let put = Command::new(env!("CARGO_BIN_EXE_labelmint"))
        .args([
            "storage",
            "put",
            data.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let root = String::from_utf8_lossy(&put.stdout).trim().to_string();
    let id = cli.ok(
        0,
        &[
            "dataset",
            "publish",
            "--root",
            &root,
            "--job",
            "1",
            "--format",
            "jsonl-chat",
            "--price",
            "5000",
        ],
    );
    assert_eq!(id, "1");
    let out = dir.join("bought.jsonl");
    let (ok, _, note) = cli.run(
        5,
        &["dataset", "download", "1", "--out", out.to_str().unwrap()],
    );
    assert!(ok && note.contains("holds no licence"), "{note}");
    assert!(cli.ok(5, &["dataset", "buy", "1"]).contains("for 5000 wei"));
    let (ok, printed, note) = cli.run(
        5,
        &["dataset", "download", "1", "--out", out.to_str().unwrap()],
    );
    assert!(
        ok && printed.contains(&format!("verified against {root}")) && !note.contains("no licence")
    );
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&data).unwrap());

    // --json: one JSON document on stdout, on reads and on transactions.
    let parse = |text: String| -> serde_json::Value {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    };
    let status = parse(cli.ok(0, &["job", "status", "1", "--json"]));
    assert_eq!(status["job"], "1");
    assert!(!cli.ok(0, &["job", "status", "1", "--json"]).contains('\n'));
    let terms = parse(cli.ok(
        7,
        &["--json", "arbiter", "register", "--fee", "1", "--bond", "2"],
    ));
    assert_eq!(terms["terms"], 2);
    let bought = parse(cli.ok(8, &["dataset", "buy", "1", "--json"]));
    assert_eq!(bought["price"], "5000");
    assert_eq!(bought["licensee"], address(8).to_lowercase());

    // Bad input: clear errors, nothing changes.
    cli.fails(5, &["dataset", "buy", "1"], "AlreadyLicensed");
    cli.fails(1, &["task", "claim", "9", "0"], "JobNotFound");
    cli.fails(0, &["job", "status", "9"], "job 9 does not exist");
    cli.fails(6, &["task", "submit", "1", "--batch", &first], "JobNotOpen");
    cli.fails(0, &["review", "approve", "1", "77"], "no batch 77 in job 1");
    let bad = write(
        &dir,
        "bad.json",
        &serde_json::json!({"tasks": [0, 1], "labels": [0]}),
    );
    let open = cli.ok(
        0,
        &[
            "job",
            "create",
            "--data-root",
            &format!("0x{}", "22".repeat(32)),
            "--tasks",
            "2",
            "--reward",
            "10",
            "--terms",
            "1",
        ],
    );
    cli.fails(
        1,
        &["task", "submit", &open, "--batch", &bad],
        "1 labels for 2 tasks",
    );
    let empty = dir.join("empty");
    let elsewhere = Cli {
        rpc: chain.url(),
        deployments: &dir,
        store: &empty,
    };
    elsewhere.fails(
        0,
        &["dataset", "download", "1", "--out", out.to_str().unwrap()],
        "fetching",
    );
    let dead = Cli {
        rpc: "http://127.0.0.1:1".into(),
        deployments: &dir,
        store: &store,
    };
    dead.fails(0, &["job", "status", "1"], "unreachable");
    let (ok, err) = Command::new(env!("CARGO_BIN_EXE_labelmint"))
        .args(["job", "status", "1", "--rpc", &chain.url()])
        .env_remove("LABELMINT_PRIVATE_KEY")
        .output()
        .map(|o| {
            (
                o.status.success(),
                String::from_utf8_lossy(&o.stderr).to_string(),
            )
        })
        .unwrap();
    assert!(!ok && err.contains("LABELMINT_PRIVATE_KEY"), "{err}");
    cli.fails(
        0,
        &["finetune", "models", "--provider", "http://127.0.0.1:1"],
        "unreachable",
    );
    drop(chain);
}

/// One JSON-RPC call to the node over plain HTTP (time travel for windows,
/// balances); its `result`.
fn rpc(url: &str, method: &str, params: &str) -> serde_json::Value {
    use std::io::{Read, Write};
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let body = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{params}}}"#);
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.contains("\"result\""),
        "{method}: {answer}"
    );
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(body)
        .map_or(serde_json::Value::Null, |v| v["result"].clone())
}

fn address(key: usize) -> String {
    let k: alloy_primitives::B256 = DEV_KEYS[key].parse().unwrap();
    labelmint_devnet::chain::address_of_key(&k).to_string()
}

/// A box job judged off chain, through `labelmint court`: the oracle's
/// payouts from an IoU consensus, a Merkle result, the audit seed, a
/// dispute, the expert's overturning ruling, claims, withdrawal, status, and
/// clear errors for bad input.
#[test]
fn a_box_job_is_judged_disputed_and_paid_through_the_court_cli() {
    let (dir, _rt, chain) = start("court");
    let store = dir.join("store");
    let cli = Cli {
        rpc: chain.url(),
        deployments: &dir,
        store: &store,
    };
    let (oracle, arbiter) = (address(1), address(2));
    let people = [address(3), address(4), address(5)];
    let seeds = dir.join("seeds.json");
    let seeds = seeds.to_str().unwrap();
    // The expert (key 2) offers its terms for ETH jobs in the market's
    // registry, the one every program reads: fee 1,000, bond 5,000, an hour
    // to dispute and an hour to rule.
    let terms = cli.ok(
        2,
        &[
            "arbiter",
            "register",
            "--fee",
            "1000",
            "--bond",
            "5000",
            "--dispute-secs",
            "3600",
            "--ruling-secs",
            "3600",
        ],
    );
    assert_eq!(terms, "1");
    let job = cli.ok(
        0,
        &[
            "court",
            "create",
            "--oracle",
            &oracle,
            "--terms",
            &terms,
            "--escrow",
            "1000000",
            "--audit-bps",
            "10000",
            "--seed-file",
            seeds,
            "--results",
            "8",
        ],
    );
    assert_eq!(job, "1");
    cli.fails(
        0,
        &[
            "court",
            "create",
            "--oracle",
            &oracle,
            "--terms",
            &terms,
            "--escrow",
            "1",
            "--audit-bps",
            "100",
            "--seed-file",
            seeds,
        ],
        "holds another job's secret",
    );
    cli.fails(
        0,
        &[
            "court", "create", "--oracle", &oracle, "--terms", "99", "--escrow", "1",
        ],
        "InvalidParameter { field: 2 }",
    );
    // Nobody judges its own results: the arbiter cannot be the oracle.
    cli.fails(
        0,
        &[
            "court", "create", "--oracle", &arbiter, "--terms", &terms, "--escrow", "1",
        ],
        "InvalidParameter { field: 2 }",
    );

    // Boxes: annotator 3 is 6 px off on every image (IoU 0.79).
    let labels: Vec<serde_json::Value> = (0..3)
        .flat_map(|t| {
            (0..3).map(move |a| {
                let shift = [0.0, 1.0, 6.0][a];
                serde_json::json!({"task": t, "annotator": a, "category": 0,
                    "shape": {"bbox": [10.0 + shift, 20.0, 50.0, 40.0]}})
            })
        })
        .collect();
    let labels = write(&dir, "labels.json", &serde_json::Value::Array(labels));
    let annotators = people.join(",");
    let strict = dir.join("strict.json");
    let fair = dir.join("fair.json");
    // `court payouts` over the boxes at 100 wei a shape, written to `out`, with `extra` flags.
    let box_payouts = |out: &Path, extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "court",
            "payouts",
            "--labels",
            &labels,
            "--annotators",
            &annotators,
            "--per-shape",
            "100",
            "--out",
            out.to_str().unwrap(),
        ]
        .map(str::to_string)
        .to_vec();
        v.extend(extra.iter().map(|s| (*s).to_string()));
        v
    };
    let total = cli.ok(1, &strs(&box_payouts(&strict, &["--iou", "0.9"])));
    assert_eq!(total, "600", "annotator 3 matched nothing at IoU 0.9");
    let total = cli.ok(2, &strs(&box_payouts(&fair, &[])));
    assert_eq!(total, "900", "everyone matched at IoU 0.5");
    cli.fails(
        1,
        &[
            "court",
            "payouts",
            "--labels",
            &labels,
            "--annotators",
            &people[0],
            "--per-shape",
            "1",
            "--out",
            "x.json",
        ],
        "unknown annotator index",
    );

    // Only the oracle posts.
    cli.fails(
        3,
        &["court", "post", "1", "--payouts", strict.to_str().unwrap()],
        "Unauthorized",
    );
    // The oracle declares the most a ruling may set the total to: every box
    // of every annotator paid (9 × 100).
    assert_eq!(
        cli.ok(
            1,
            &[
                "court",
                "post",
                "1",
                "--payouts",
                strict.to_str().unwrap(),
                "--max",
                "900"
            ]
        ),
        "1"
    );
    assert_eq!(
        cli.ok(0, &["court", "reveal-seed", "1", "1", "--seed-file", seeds]),
        "audited"
    );
    cli.fails(
        0,
        &["court", "reveal-seed", "1", "1", "--seed-file", seeds],
        "SeedOutOfOrder",
    );
    // Annotator 3 (key 5) disputes; the expert (key 2) re-judges at 0.5.
    cli.ok(5, &["court", "dispute", "1", "1"]);
    cli.fails(5, &["court", "dispute", "1", "1"], "WrongState");
    cli.fails(1, &["court", "rule", "1", "1", "--uphold"], "Unauthorized");
    cli.ok(
        2,
        &[
            "court",
            "rule",
            "1",
            "1",
            "--payouts",
            fair.to_str().unwrap(),
        ],
    );
    cli.fails(
        5,
        &[
            "court",
            "claim",
            "1",
            "1",
            "--payouts",
            strict.to_str().unwrap(),
        ],
        "use the file the result was posted (or ruled) with",
    );
    assert_eq!(
        cli.ok(
            5,
            &[
                "court",
                "claim",
                "1",
                "1",
                "--payouts",
                fair.to_str().unwrap(),
                "--index",
                "2"
            ]
        ),
        "300"
    );
    assert_eq!(
        cli.ok(
            0,
            &[
                "court",
                "claim",
                "1",
                "1",
                "--payouts",
                fair.to_str().unwrap()
            ]
        ),
        "600",
        "the two leaves left"
    );
    assert_eq!(
        cli.ok(5, &["court", "withdraw"]),
        "5300",
        "pay and bond back"
    );
    cli.fails(5, &["court", "withdraw"], "nothing to withdraw");
    let status: serde_json::Value =
        serde_json::from_str(&cli.ok(0, &["court", "status", "1", "1"])).unwrap();
    assert_eq!(status["result"]["state"], "final");
    assert_eq!(status["result"]["paid"], "900");
    assert_eq!(status["result"]["audit"], "sampled");
    assert_eq!(status["reserved"], "0");
    // A categorical batch under the weighted policy: task 2 is a tie, so it
    // is escalated until the expert labels it; reputations from the hub.
    let votes = write(
        &dir,
        "votes.json",
        &serde_json::json!([
            {"task": 0, "annotator": 0, "label": 1}, {"task": 0, "annotator": 1, "label": 1},
            {"task": 0, "annotator": 2, "label": 0}, {"task": 1, "annotator": 0, "label": 2},
            {"task": 1, "annotator": 2, "label": 2}, {"task": 2, "annotator": 0, "label": 0},
            {"task": 2, "annotator": 1, "label": 1}
        ]),
    );
    let weighted = dir.join("weighted.json");
    let escalated = dir.join("escalated.json");
    let base = [
        "court",
        "payouts",
        "--votes",
        &votes,
        "--classes",
        "3",
        "--annotators",
        &annotators,
        "--per-task",
        "600",
        "--out",
        weighted.to_str().unwrap(),
        "--escalated",
        escalated.to_str().unwrap(),
        "--reputations",
        "hub",
    ];
    assert_eq!(cli.ok(1, &base), "1200", "two decided tasks of 600");
    assert_eq!(std::fs::read_to_string(&escalated).unwrap(), "[2]");
    let expert = write(&dir, "expert.json", &serde_json::json!({"2": 1}));
    let mut with_expert = base.to_vec();
    with_expert.extend(["--expert", &expert]);
    assert_eq!(cli.ok(1, &with_expert), "1800");
    assert_eq!(std::fs::read_to_string(&escalated).unwrap(), "[]");
    let paid: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&weighted).unwrap()).unwrap();
    assert_eq!(
        paid[1]["payout"], "900",
        "annotator 2: half of task 0, all of task 2"
    );
    // Rewards by difficulty: tasks 1 and 2 weigh 3, so each pays 3 × 600
    // and an agreeing label on it counts 3 royalty shares.
    let mut hard = with_expert.clone();
    hard.extend(["--difficulty", "1:1,3:3", "--tasks", "3"]);
    assert_eq!(cli.ok(1, &hard), "4200", "600 + 1800 + 1800");
    let paid: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&weighted).unwrap()).unwrap();
    assert_eq!(
        (paid[1]["payout"].as_str(), paid[1]["labels"].as_u64()),
        (Some("2100"), Some(4)),
        "annotator 2: half of task 0 (300, 1 share), all of task 2 (1800, 3 shares)"
    );
    // Classes are checked against the job's task count, which the votes
    // must not exceed; without --tasks there is nothing to check them by.
    for (classes, tasks, expect) in [
        (
            "2:1",
            "2",
            "the file names task 2, but the job has --tasks 2",
        ),
        ("2:1", "3", "the last = the task count (3)"),
        ("1:1,3:0", "3", "weights 1-255"),
        ("1000:255", "10", "the last = the task count (10)"),
    ] {
        let mut bad = with_expert.clone();
        bad.extend(["--difficulty", classes, "--tasks", tasks]);
        cli.fails(1, &bad, expect);
    }
    let mut untied = with_expert.clone();
    untied.extend(["--difficulty", "3:2"]);
    cli.fails(1, &untied, "--tasks");
    let hard_boxes = dir.join("hard-boxes.json");
    let boxes = box_payouts(&hard_boxes, &["--difficulty", "1:1,3:2", "--tasks", "3"]);
    assert_eq!(
        cli.ok(1, &strs(&boxes)),
        "1500",
        "each annotator: 100 + 200 + 200"
    );
    let paid: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&hard_boxes).unwrap()).unwrap();
    for (i, p) in paid.as_array().unwrap().iter().enumerate() {
        assert_eq!(
            (p["payout"].as_str(), p["labels"].as_u64()),
            (Some("500"), Some(5)),
            "annotator {i}"
        );
    }
    let bad = write(
        &dir,
        "bad-votes.json",
        &serde_json::json!([{"task": 0, "annotator": 5, "label": 1}]),
    );
    let mut bad_args = base.to_vec();
    bad_args[3] = &bad;
    cli.fails(1, &bad_args, "out of range");

    // An undisputed result of a second job: `court finalize` waits for the
    // challenge window, then makes the result final and claimable.
    let job2 = cli.ok(
        0,
        &[
            "court", "create", "--oracle", &oracle, "--terms", &terms, "--escrow", "100000",
        ],
    );
    let result = cli.ok(
        1,
        &["court", "post", &job2, "--payouts", fair.to_str().unwrap()],
    );
    cli.fails(3, &["court", "finalize", &job2, &result], "TooEarly");
    rpc(&chain.url(), "evm_increaseTime", "[7200]");
    rpc(&chain.url(), "evm_mine", "[]");
    assert_eq!(cli.ok(3, &["court", "finalize", &job2, &result]), "final");
    let status = cli.ok(3, &["court", "status", &job2, &result]);
    assert!(status.contains("\"final\""), "{status}");
    cli.fails(3, &["court", "finalize", &job2, &result], "WrongState");

    // The creator closes: 1,000,000 − 900 paid − 1,000 fee.
    assert_eq!(cli.ok(0, &["court", "close", "1"]), "998100");
    cli.fails(
        1,
        &["court", "post", "1", "--payouts", fair.to_str().unwrap()],
        "JobIsClosed",
    );
    chain.node.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A categorical text job from `data add` to a fine-tuned model, through
/// the binary: three texts labelled by two annotators, the job exported from
/// the chain as instruction JSONL (labels of approved tasks only), the file
/// published and bought; the buyer downloads it from a 0G node
/// (`--storage 0g`) verified against the registry's root, then fine-tunes
/// on it through a broker that checks the request's signature, follows the
/// task with `--wait` and downloads the model verified against the root it
/// expects.
#[test]
fn a_text_job_is_exported_published_fetched_from_0g_and_fine_tuned_through_the_cli() {
    let (dir, _rt, chain) = start("text");
    let store = dir.join("store");
    let cli = Cli {
        rpc: chain.url(),
        deployments: &dir,
        store: &store,
    };
    let parse = |text: String| -> serde_json::Value {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    };
    let texts = dir.join("texts");
    std::fs::create_dir_all(&texts).unwrap();
    for (name, text) in [
        ("a.txt", "The battery died after an hour."),
        ("b.txt", "Fast delivery and it works perfectly."),
        ("c.txt", "Exactly what I ordered, love it."),
    ] {
        std::fs::write(texts.join(name), text).unwrap();
    }
    let added = parse(cli.ok(0, &["data", "add", texts.to_str().unwrap(), "--json"]));
    assert_eq!(added["tasks"], 3);
    let root = added["root"].as_str().unwrap().to_string();
    let terms = cli.ok(7, &["arbiter", "register", "--fee", "1", "--bond", "2"]);
    let job = cli.ok(
        0,
        &[
            "job",
            "create",
            "--data-root",
            &root,
            "--tasks",
            "3",
            "--reward",
            "100",
            "--classes",
            "2",
            "--terms",
            &terms,
        ],
    );
    let batch = |name: &str, tasks: serde_json::Value, labels: serde_json::Value| {
        write(
            &dir,
            name,
            &serde_json::json!({"tasks": tasks, "labels": labels}),
        )
    };
    // Annotator 1 labels texts 0 and 1, annotator 2 text 2; texts are files
    // sorted by name: a (negative), b (positive), c (positive).
    let first = batch(
        "t1.json",
        serde_json::json!([0, 1]),
        serde_json::json!([0, 1]),
    );
    cli.ok(1, &["task", "submit", &job, "--batch", &first]);
    let second = batch("t2.json", serde_json::json!([2]), serde_json::json!([1]));
    cli.ok(2, &["task", "submit", &job, "--batch", &second]);
    // Before any approval nothing is exported.
    let out = dir.join("sentiment.jsonl");
    let out_s = out.to_str().unwrap();
    let export = [
        "job",
        "export",
        &job,
        "--format",
        "jsonl-instruction",
        "--classes",
        "negative,positive",
        "--out",
        out_s,
    ];
    cli.fails(
        0,
        &export,
        "no approved label yet (3 tasks tied or unapproved)",
    );
    assert!(!out.exists(), "a file was written with nothing to export");
    cli.ok(0, &["review", "approve", &job, "1,2"]);
    let printed = cli.ok(0, &export);
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    let record = |needle: &str| {
        lines
            .iter()
            .find(|l| l.to_string().contains(needle))
            .unwrap_or_else(|| panic!("no record for {needle}: {lines:?}"))
            .to_string()
    };
    assert!(record("battery died").contains("negative"));
    assert!(record("Fast delivery").contains("positive"));
    assert!(record("love it").contains("positive"));
    let file_root = labelmint_storage::root_of_bytes(&std::fs::read(&out).unwrap())
        .unwrap()
        .to_string();
    assert!(printed.contains(&file_root), "{printed} names {file_root}");

    // Published from the job, bought by account 5.
    let put = parse(cli.ok(0, &["storage", "put", out_s, "--json"]));
    assert_eq!(put["root"], file_root);
    let dataset = cli.ok(
        0,
        &[
            "dataset",
            "publish",
            "--root",
            &file_root,
            "--job",
            &job,
            "--format",
            "jsonl-instruction",
            "--price",
            "700",
        ],
    );
    cli.ok(5, &["dataset", "buy", &dataset]);

    // The same file on a 0G node: the buyer downloads it from there,
    // verified against the registry's root; a node serving other bytes
    // under that root is caught.
    let (zg, zg_state) = fake::zg_node();
    let bytes = std::fs::read(&out).unwrap();
    // The flow contract's log of the file, which a 0G node waits for.
    zg_state
        .lock()
        .unwrap()
        .submit(file_root.parse().unwrap(), bytes.len() as u64);
    let zg_store = labelmint_zg::ZgStorage::new(
        &zg.url,
        None,
        labelmint_zg::Retry {
            attempts: 2,
            timeout: std::time::Duration::from_secs(10),
            backoff: std::time::Duration::from_millis(10),
        },
        labelmint_zg::transfer::UploadOptions::default(),
    )
    .unwrap();
    let uploaded = labelmint_zg::Storage::put(&zg_store, &std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(uploaded.to_string(), file_root);
    let fetched = dir.join("fetched.jsonl");
    let from_0g = [
        "dataset",
        "download",
        &dataset,
        "--out",
        fetched.to_str().unwrap(),
        "--storage",
        "0g",
        "--zg-node",
        &zg.url,
    ];
    let printed = cli.ok(5, &from_0g);
    assert!(
        printed.contains(&format!("verified against {file_root}")),
        "{printed}"
    );
    assert_eq!(
        std::fs::read(&fetched).unwrap(),
        std::fs::read(&out).unwrap()
    );
    zg_state.lock().unwrap().corrupt_next = 1_000;
    let _ = std::fs::remove_file(&fetched);
    let (ok, _, err) = cli.run(5, &from_0g);
    assert!(!ok, "corrupt bytes from the node were accepted");
    assert!(!fetched.exists(), "corrupt download written: {err}");
    zg_state.lock().unwrap().corrupt_next = 0;

    // Fine-tuning on the bought dataset: the broker fetches the dataset by
    // its root and recovers the buyer from the request's signature.
    let (broker, broker_state) = fake::broker();
    broker_state
        .lock()
        .unwrap()
        .datasets
        .push(file_root.parse().unwrap());
    let model = b"fine-tuned weights".repeat(64);
    let model_path = dir.join("model.bin");
    std::fs::write(&model_path, &model).unwrap();
    let model_root = parse(cli.ok(
        0,
        &["storage", "put", model_path.to_str().unwrap(), "--json"],
    ))["root"]
        .as_str()
        .unwrap()
        .to_string();
    broker_state.lock().unwrap().output = Some(model_root.parse().unwrap());
    let provider = ["--provider", broker.url.as_str()];
    let models = cli.ok(5, &[&["finetune", "models"][..], &provider[..]].concat());
    assert!(models.contains("Qwen2.5-0.5B-Instruct"), "{models}");
    let start = |key: usize, dataset: &str, model: &str| {
        cli.run(
            key,
            &[
                &[
                    "finetune",
                    "start",
                    "--dataset",
                    dataset,
                    "--model",
                    model,
                    "--fee",
                    "10",
                ][..],
                &provider[..],
            ]
            .concat(),
        )
    };
    let (ok, _, err) = start(6, &dataset, "Qwen2.5-0.5B-Instruct");
    assert!(
        !ok && err.contains("licence"),
        "a buyer without a licence: {err}"
    );
    let (ok, _, err) = start(5, &dataset, "no-such-model");
    assert!(!ok && err.contains("no-such-model"), "{err}");
    let (ok, task, err) = start(5, &dataset, "Qwen2.5-0.5B-Instruct");
    assert!(ok, "{err}");
    let (user, _) = broker_state
        .lock()
        .unwrap()
        .nonces
        .iter()
        .next()
        .map(|(a, n)| (*a, *n))
        .unwrap();
    assert_eq!(
        user.to_string().to_lowercase(),
        address(5).to_lowercase(),
        "the broker recovered the buyer"
    );
    let done = parse(
        cli.ok(
            5,
            &[
                &["finetune", "status", &task, "--wait", "--poll-ms", "1"][..],
                &provider[..],
            ]
            .concat(),
        ),
    );
    assert!(
        done.to_string().contains("Delivered") || done.to_string().contains("Finished"),
        "{done}"
    );
    let model_out = dir.join("model-out.bin");
    let download = |expect: &str| {
        cli.run(
            5,
            &[
                &[
                    "finetune",
                    "download",
                    &task,
                    "--out",
                    model_out.to_str().unwrap(),
                    "--expect-root",
                    expect,
                ][..],
                &provider[..],
            ]
            .concat(),
        )
    };
    let (ok, _, err) = download(&format!("0x{}", "ab".repeat(32)));
    assert!(!ok && err.contains("not the expected"), "{err}");
    assert!(!model_out.exists());
    let (ok, printed, err) = download(&model_root);
    assert!(ok, "{err}");
    assert!(printed.contains("verified against"), "{printed}");
    assert_eq!(std::fs::read(&model_out).unwrap(), model);
    drop(chain);
}

#[test]
fn a_consensus_job_runs_from_stakes_to_withdrawals_through_the_hub_cli() {
    let (dir, _rt, chain) = start("hub");
    let store = dir.join("store");
    let cli = Cli {
        rpc: chain.url(),
        deployments: &dir,
        store: &store,
    };
    let votes = |n: usize| {
        dir.join(format!("votes-{n}.json"))
            .to_str()
            .unwrap()
            .to_string()
    };
    let balance = |n: usize| -> u128 { cli.ok(n, &["token", "balance"]).parse().unwrap() };
    let warp = |secs: u64| {
        rpc(&chain.url(), "evm_increaseTime", &format!("[{secs}]"));
        rpc(&chain.url(), "evm_mine", "[]");
    };

    // The deployer mints RewardToken for the creator and four annotators.
    let token = cli.ok(0, &["token", "address"]);
    for n in 0..=4 {
        cli.ok(0, &["token", "mint", &address(n), "1000000"]);
    }
    cli.fails(1, &["token", "mint", &address(1), "5"], "Unauthorized");
    // Account 7 arbitrates hub tasks for 500 token wei each.
    let terms = cli.ok(
        7,
        &[
            "arbiter",
            "register",
            "--token",
            &token,
            "--fee",
            "500",
            "--bond",
            "500",
            "--dispute-secs",
            "3600",
            "--ruling-secs",
            "3600",
        ],
    );

    // The creator: 10 tasks x 4 votes, 3 classes, 1,000 per agreeing vote;
    // task 0 is gold (class 1). The key is written privately and once.
    let gold = dir.join("gold.json");
    let gold_s = gold.to_str().unwrap();
    let create = [
        "hub",
        "create",
        "--tasks",
        "10",
        "--k",
        "4",
        "--classes",
        "3",
        "--reward",
        "1000",
        "--terms",
        &terms,
        "--commit-secs",
        "3600",
        "--reveal-secs",
        "3600",
        "--settle-secs",
        "3600",
        "--gold",
        "0:1",
        "--gold-key",
        gold_s,
    ];
    let creator_before = balance(0);
    assert_eq!(cli.ok(0, &create), "1");
    // Escrow 10 x 4 x 1,000 and a gold bond of one reward and one fee.
    assert_eq!(creator_before - balance(0), 40_000 + 1_500);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&gold).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the gold key is readable by its owner only"
        );
    }
    cli.fails(0, &create, "exists");
    let (ok, _, err) = cli.run(
        0,
        &[
            "hub",
            "create",
            "--tasks",
            "10",
            "--classes",
            "3",
            "--reward",
            "1",
            "--terms",
            "1",
        ],
    );
    assert!(
        !ok && err.contains("--gold"),
        "gold or --no-gold is required: {err}"
    );
    let weighted = |classes: &str| -> Vec<String> {
        let args = "hub create --tasks 10 --classes 3 --reward 1000 --stake 5000 --gold 0:1";
        let mut v: Vec<String> = args.split(' ').map(str::to_string).collect();
        v.extend([
            "--terms".into(),
            terms.clone(),
            "--difficulty".into(),
            classes.into(),
            "--gold-key".into(),
            dir.join("gold-weighted.json").to_str().unwrap().into(),
        ]);
        v
    };
    let args = weighted("5:1,9:3");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    cli.fails(0, &args, "the last = --tasks (10)");
    // Tasks 5-9 weigh 3: escrow 3 x 1,000 x (5 + 15), bond 1,500.
    let before = balance(0);
    let args = weighted("5:1,10:3");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(cli.ok(0, &args), "2");
    assert_eq!(before - balance(0), 60_000 + 1_500);

    // Annotators 1-4 stake; the stake per vote is 3 x the reward.
    cli.fails(
        4,
        &[
            "hub",
            "commit",
            "1",
            "--tasks",
            "1",
            "--labels",
            "0",
            "--votes",
            &votes(4),
        ],
        "InsufficientStake",
    );
    assert!(
        std::fs::read_to_string(votes(4)).unwrap_or_default().trim() == "[]",
        "a refused commit leaves no vote behind"
    );
    for n in 1..=4 {
        assert_eq!(cli.ok(n, &["hub", "stake", "100000"]), "100000");
    }
    // Truth: class t % 3, gold task 0 is class 1. Annotator 3 is wrong on
    // tasks 1 and 2; task 9 splits three ways (0, 1, 2) and is escalated.
    let all = "0,1,2,3,4,5,6,7,8,9";
    let honest = "1,1,2,0,1,2,0,1,2,0";
    let sloppy = "1,0,0,0,1,2,0,1,2,2";
    let third = "1,1,2,0,1,2,0,1,2,1";
    cli.fails(
        1,
        &[
            "hub",
            "commit",
            "1",
            "--tasks",
            "1,2",
            "--labels",
            "0,3",
            "--votes",
            &votes(1),
        ],
        "out of range",
    );
    cli.fails(
        1,
        &[
            "hub",
            "commit",
            "1",
            "--tasks",
            "1,2",
            "--labels",
            "0",
            "--votes",
            &votes(1),
        ],
        "one class per task",
    );
    for (n, labels) in [(1, honest), (2, third), (3, sloppy), (4, honest)] {
        let batch = cli.ok(
            n,
            &[
                "hub",
                "commit",
                "1",
                "--tasks",
                all,
                "--labels",
                labels,
                "--votes",
                &votes(n),
            ],
        );
        assert_eq!(batch, n.to_string());
    }
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(votes(1)).unwrap()).unwrap();
    assert_eq!(saved[0]["batch"], "0x1", "{saved}");
    assert!(saved[0]["salt"].as_str().unwrap().len() == 66);
    cli.fails(
        1,
        &["hub", "reveal", "1", "--votes", &votes(1)],
        "WrongPhase",
    );

    // Reveal phase: the status reminds annotator 1; three reveal, 4 never does.
    warp(3_601);
    let status = cli.ok(1, &["hub", "status", "1", "--votes", &votes(1)]);
    assert!(status.contains("REVEAL NOW"), "{status}");
    for n in 1..=3 {
        assert_eq!(
            cli.ok(n, &["hub", "reveal", "1", "--votes", &votes(n)]),
            n.to_string()
        );
    }
    cli.fails(
        1,
        &["hub", "reveal", "1", "--votes", &votes(1)],
        "no unrevealed batch",
    );
    cli.fails(
        0,
        &["hub", "reveal-gold", "2", "--gold-key", gold_s],
        "is the key of job 1",
    );
    assert_eq!(
        cli.ok(0, &["hub", "reveal-gold", "1", "--gold-key", gold_s]),
        "1"
    );
    let status: serde_json::Value =
        serde_json::from_str(&cli.ok(1, &["--json", "hub", "status", "1", "--votes", &votes(1)]))
            .unwrap();
    assert_eq!(
        (status["phase"].as_str(), status["goldRevealed"].as_bool()),
        (Some("reveal"), Some(true))
    );

    // Ruling window: the arbiter decides the split task; others cannot.
    warp(3_601);
    cli.fails(5, &["hub", "settle", "1"], "AwaitingRuling");
    cli.fails(
        2,
        &["hub", "rule", "1", "--tasks", "9", "--labels", "0"],
        "Unauthorized",
    );
    assert_eq!(
        cli.ok(7, &["hub", "rule", "1", "--tasks", "9", "--labels", "0"]),
        "1"
    );

    // Settle phase: a keeper (account 5) settles the revealed batches and
    // forfeits annotator 4's unrevealed one.
    warp(3_601);
    assert_eq!(cli.ok(5, &["hub", "settle", "1"]), "1,2,3");
    assert_eq!(cli.ok(5, &["hub", "forfeit", "1"]), "4");
    cli.fails(5, &["hub", "settle", "1"], "no revealed, unsettled batch");
    let record = |n: usize| -> serde_json::Value {
        serde_json::from_str::<serde_json::Value>(&cli.ok(n, &["--json", "hub", "status", "1"]))
            .unwrap()["record"]
            .clone()
    };
    // Annotator 1 agreed on all ten labels, annotator 3 on seven.
    assert_eq!(
        (record(1)["agreed"].as_u64(), record(1)["judged"].as_u64()),
        (Some(10), Some(10))
    );
    assert_eq!(record(3)["agreed"].as_u64(), Some(7));

    // After the settle phase the creator closes the job; slash shares and
    // credits are withdrawn in RewardToken.
    cli.fails(0, &["hub", "close", "1"], "WrongPhase");
    warp(3_601);
    let refund: u128 = cli.ok(0, &["hub", "close", "1"]).parse().unwrap();
    assert!(refund > 0, "the votes never paid are refunded");
    let mut earned = Vec::new();
    for n in 1..=3 {
        let _ = cli.run(n, &["hub", "claim-slash", "1"]);
        let before = balance(n);
        let paid: u128 = cli.ok(n, &["hub", "withdraw"]).parse().unwrap();
        assert_eq!(balance(n) - before, paid);
        earned.push(paid);
    }
    assert!(
        earned[0] >= 10_000 && earned[0] > earned[2],
        "honest work earns most: {earned:?}"
    );
    cli.fails(1, &["hub", "withdraw"], "no credit");
    assert_eq!(
        cli.ok(0, &["hub", "withdraw"]).parse::<u128>().unwrap(),
        refund
    );

    // The consensus labels become a dataset whose sales pay the agreeing
    // annotators: published with the hub as its source, bought, and each
    // annotator's royalty withdrawn once.
    let data = dir.join("consensus.jsonl");
    std::fs::write(&data, "{\"messages\": []}\n".repeat(10)).unwrap();
    let root = cli.ok(0, &["storage", "put", data.to_str().unwrap()]);
    cli.fails(
        0,
        &[
            "dataset",
            "publish",
            "--root",
            &root,
            "--source",
            "hub",
            "--format",
            "jsonl-chat",
            "--price",
            "100000",
        ],
        "--job",
    );
    let dataset = cli.ok(
        0,
        &[
            "dataset",
            "publish",
            "--root",
            &root,
            "--job",
            "1",
            "--source",
            "hub",
            "--format",
            "jsonl-chat",
            "--price",
            "100000",
        ],
    );
    cli.ok(5, &["dataset", "buy", &dataset]);
    let owed = |n: usize| -> serde_json::Value {
        serde_json::from_str(&cli.ok(n, &["--json", "dataset", "royalties"])).unwrap()
    };
    let pools = owed(1);
    let pool = &pools["pools"][0];
    assert_eq!(
        (pool["source"].as_str(), pool["job"].as_str()),
        (Some("hub"), Some("1")),
        "{pools}"
    );
    let amount = |v: &serde_json::Value| -> u128 { v["amount"].as_str().unwrap().parse().unwrap() };
    let mine = amount(pool);
    assert!(mine > 0, "{pools}");
    assert!(cli
        .ok(1, &["dataset", "royalties"])
        .contains("withdraw-royalties --job 1 --source hub"));
    // Annotator 1 (ten agreeing labels) earns more than annotator 3 (seven).
    let theirs = amount(&owed(3)["pools"][0]);
    assert!(mine > theirs && theirs > 0, "{mine} vs {theirs}");
    let eth = |n: usize| -> u128 {
        let hex = rpc(
            &chain.url(),
            "eth_getBalance",
            &format!(r#"["{}", "latest"]"#, address(n)),
        );
        u128::from_str_radix(hex.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
    };
    let to = 9;
    let before = eth(to);
    let withdrawn: serde_json::Value = serde_json::from_str(&cli.ok(
        1,
        &[
            "--json",
            "dataset",
            "withdraw-royalties",
            "--job",
            "1",
            "--source",
            "hub",
            "--to",
            &address(to),
        ],
    ))
    .unwrap();
    assert_eq!(amount(&withdrawn), mine);
    assert_eq!(eth(to) - before, mine);
    cli.fails(
        1,
        &[
            "dataset",
            "withdraw-royalties",
            "--job",
            "1",
            "--source",
            "hub",
        ],
        "NothingToWithdraw",
    );
    assert!(owed(1)["pools"].as_array().unwrap().is_empty());
    assert!(cli
        .ok(1, &["dataset", "royalties"])
        .contains("nothing to withdraw"));
    // The creator's sale proceeds come from the same pool.
    let proceeds = amount(&owed(0)["pools"][0]);
    assert_eq!(proceeds, 80_000, "the price less the 20 % royalty share");

    // Reputation follows the record; annotator 4 lost part of its stake.
    let rep: serde_json::Value =
        serde_json::from_str(&cli.ok(1, &["--json", "hub", "reputation"])).unwrap();
    assert_eq!(rep["judged"].as_u64(), Some(10));
    let rep4: serde_json::Value =
        serde_json::from_str(&cli.ok(4, &["--json", "hub", "reputation"])).unwrap();
    assert!(
        rep4["staked"].as_str().unwrap().parse::<u128>().unwrap() < 100_000,
        "{rep4}"
    );

    // Unstaking waits for its cooldown.
    cli.ok(1, &["hub", "request-unstake", "100000"]);
    cli.fails(1, &["hub", "withdraw-stake"], "CooldownActive");
    warp(3 * 86_400 + 1);
    let before = balance(1);
    assert_eq!(cli.ok(1, &["hub", "withdraw-stake"]), "100000");
    assert_eq!(balance(1) - before, 100_000);
}

/// `job create --mode`: one creator-facing choice, the right program behind
/// it (#16 item 5) — review on the market, majority on the hub, weighted,
/// expert and optimistic on the court with their escrow, oracle and audit
/// share; flags of another mode and missing mode flags are refused before
/// any transaction.
#[test]
fn each_quality_mode_creates_its_job_on_the_program_behind_it() {
    let (dir, _rt, chain) = start("modes");
    let store = dir.join("store");
    let cli = Cli {
        rpc: chain.url(),
        deployments: &dir,
        store: &store,
    };
    let root = format!("0x{}", "22".repeat(32));
    let job = |mode: &str, extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "job",
            "create",
            "--mode",
            mode,
            "--data-root",
            &root,
            "--tasks",
            "10",
            "--reward",
            "1000",
        ]
        .map(str::to_string)
        .to_vec();
        v.extend(extra.iter().map(|s| (*s).to_string()));
        v
    };
    let run = |key: usize, args: Vec<String>| {
        cli.run(key, &args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let ok = |key: usize, args: Vec<String>| {
        let (ok, out, err) = run(key, args);
        assert!(ok, "{err}");
        out
    };
    let fails = |key: usize, args: Vec<String>, expect: &str| {
        let (ok, out, err) = run(key, args);
        assert!(!ok, "should fail, printed {out}");
        assert!(err.contains(expect), "expected {expect:?} in {err}");
    };
    let eth_terms = cli.ok(
        7,
        &[
            "arbiter",
            "register",
            "--fee",
            "10",
            "--bond",
            "20",
            "--dispute-secs",
            "3600",
            "--ruling-secs",
            "3600",
        ],
    );
    let token = cli.ok(0, &["token", "address"]);
    let lmr_terms = cli.ok(
        7,
        &[
            "arbiter",
            "register",
            "--token",
            &token,
            "--fee",
            "10",
            "--bond",
            "20",
            "--dispute-secs",
            "3600",
            "--ruling-secs",
            "3600",
        ],
    );
    cli.ok(0, &["token", "mint", &address(0), "1000000"]);

    // A weighted court job with ETH terms, oracle account 5, and `extra` flags.
    let oracle5 = address(5);
    let weighted = |extra: &[&str]| {
        let mut v = vec!["--terms", eth_terms.as_str(), "--oracle", oracle5.as_str()];
        v.extend_from_slice(extra);
        job("weighted", &v)
    };
    // Flags of another mode, and missing mode flags, never reach the chain.
    fails(
        0,
        job("review", &["--terms", &eth_terms, "--oracle", &address(5)]),
        "--oracle does not apply to --mode review",
    );
    fails(
        0,
        weighted(&["--gold", "0:1"]),
        "--gold does not apply to --mode weighted",
    );
    fails(
        0,
        job("weighted", &["--terms", &eth_terms]),
        "needs --oracle",
    );
    fails(
        0,
        job("majority", &["--terms", &lmr_terms]),
        "needs --classes",
    );
    fails(
        0,
        job("majority", &["--terms", &lmr_terms, "--classes", "3"]),
        "needs gold tasks",
    );
    fails(
        0,
        job(
            "optimistic",
            &["--terms", &eth_terms, "--oracle", &address(5)],
        ),
        "needs --audit-bps",
    );
    let (ok_, _, err) = run(0, job("weighed", &["--terms", &eth_terms]));
    assert!(!ok_ && err.contains("invalid value 'weighed'"), "{err}");

    // review → AnnotationMarket job 1: 10 × 1,000 wei.
    assert_eq!(
        ok(0, job("review", &["--terms", &eth_terms, "--classes", "3"])),
        "1"
    );
    let status: serde_json::Value =
        serde_json::from_str(&cli.ok(0, &["job", "status", "1"])).unwrap();
    assert_eq!(status["escrow"], "10000");
    // majority → QualityHub job 1: 3 votes × 10 tasks × 1,000 + gold bond (1,000 + 10).
    let gold_key = dir.join("mode-gold.json");
    let before: u128 = cli.ok(0, &["token", "balance"]).parse().unwrap();
    assert_eq!(
        ok(
            0,
            job(
                "majority",
                &[
                    "--terms",
                    &lmr_terms,
                    "--classes",
                    "3",
                    "--gold",
                    "4:2",
                    "--gold-key",
                    gold_key.to_str().unwrap()
                ]
            )
        ),
        "1"
    );
    let after: u128 = cli.ok(0, &["token", "balance"]).parse().unwrap();
    assert_eq!(before - after, 30_000 + 1_010);
    let hub: serde_json::Value =
        serde_json::from_str(&cli.ok(0, &["--json", "hub", "status", "1"])).unwrap();
    assert_eq!(
        (hub["k"].as_u64(), hub["goldTasks"].as_u64()),
        (Some(3), Some(1))
    );
    // weighted → QualityCourt job 1, 3 votes a task; expert → job 2, one.
    assert_eq!(
        ok(
            0,
            job(
                "weighted",
                &["--terms", &eth_terms, "--oracle", &address(5)]
            )
        ),
        "1"
    );
    assert_eq!(
        ok(
            0,
            job("expert", &["--terms", &eth_terms, "--oracle", &address(6)])
        ),
        "2"
    );
    let seed = dir.join("mode-seed.json");
    assert_eq!(
        ok(
            0,
            job(
                "optimistic",
                &[
                    "--terms",
                    &eth_terms,
                    "--oracle",
                    &address(5),
                    "--audit-bps",
                    "2500",
                    "--seed-file",
                    seed.to_str().unwrap()
                ]
            )
        ),
        "3"
    );
    // Rewards by difficulty: tasks 6–9 weigh 3, so a review job escrows
    // 1,000 × (6 + 4 × 3) on the market, and a weighted court job 3 votes ×
    // that + the fee; bad classes never reach the chain.
    let review_weighted = |extra: &[&str]| {
        let mut args = job("review", &["--terms", &eth_terms, "--classes", "3"]);
        args.extend(extra.iter().map(ToString::to_string));
        args
    };
    fails(
        0,
        review_weighted(&["--difficulty", "6:1,9:3"]),
        "the last = --tasks (10)",
    );
    assert_eq!(ok(0, review_weighted(&["--difficulty", "6:1,10:3"])), "2");
    let status: serde_json::Value =
        serde_json::from_str(&cli.ok(0, &["job", "status", "2"])).unwrap();
    assert_eq!(
        (status["escrow"].as_str(), status["units"].as_str()),
        (Some("18000"), Some("18"))
    );
    fails(
        0,
        weighted(&["--difficulty", "6:1,9:3"]),
        "the last = the task count (10)",
    );
    assert_eq!(ok(0, weighted(&["--difficulty", "6:1,10:3"])), "4");
    // Pay for every label plus the arbiter's fee (10) a live result reserves.
    for (id, escrow, oracle, audit) in [
        ("1", "30010", 5, 0),
        ("2", "10010", 6, 0),
        ("3", "10010", 5, 2500),
        ("4", "54010", 5, 0),
    ] {
        let s: serde_json::Value =
            serde_json::from_str(&cli.ok(0, &["court", "status", id])).unwrap();
        assert_eq!(s["escrow"], escrow, "court job {id}");
        assert_eq!(
            s["oracle"].as_str().unwrap().to_lowercase(),
            address(oracle).to_lowercase()
        );
        assert_eq!(s["auditBps"].as_u64(), Some(audit));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        for f in [&gold_key, &seed] {
            assert_eq!(
                std::fs::metadata(f).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
}

/// `labelmint timelock`: a governed parameter change is proposed in the
/// open, refused before its delay and run by anyone after it; a cancelled
/// one never runs; a change the registry would refuse is caught before
/// anything is scheduled; only the proposer proposes and only a canceller
/// cancels; a role granted through the Timelock takes effect.
#[test]
fn governed_parameters_change_through_the_timelock_cli() {
    use alloy_sol_types::SolCall;
    let (dir, _rt, chain) = start("timelock");
    let store = dir.join("store");
    let cli = Cli {
        rpc: chain.url(),
        deployments: &dir,
        store: &store,
    };
    let warp = |secs: u64| {
        rpc(&chain.url(), "evm_increaseTime", &format!("[{secs}]"));
        rpc(&chain.url(), "evm_mine", "[]");
    };
    let registry = chain.manifest.contracts["DatasetRegistry"].address;
    let royalty = || -> u64 {
        let data = labelmint::registry::IRegistry::royaltyBpsCall {}.abi_encode();
        let params = format!(
            r#"[{{"to": "{registry:#x}", "data": "0x{}"}}, "latest"]"#,
            alloy_primitives::hex::encode(data)
        );
        let out = rpc(&chain.url(), "eth_call", &params);
        u64::from_str_radix(out.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
    };
    let delay = labelmint_deploy::DEFAULT_TIMELOCK_DELAY;
    assert_eq!(royalty(), 2_000);
    // The deployment's bootstrap operation is on record, done.
    let list = cli.ok(5, &["timelock", "list"]);
    assert!(
        list.contains(" done ") && list.contains("DatasetRegistry.acceptAdmin"),
        "{list}"
    );

    // Only the proposer proposes; a refused change is caught before scheduling.
    let royalty_change = ["timelock", "propose", "royalty", "--bps", "1500"];
    cli.fails(1, &royalty_change, "AccessControlUnauthorizedAccount");
    cli.fails(
        0,
        &[
            "timelock",
            "propose",
            "fee",
            "--recipient",
            &address(7),
            "--bps",
            "1001",
        ],
        "InvalidParameter",
    );
    let out = cli.ok(0, &royalty_change);
    let id = out.lines().next().unwrap().to_string();
    assert!(
        out.contains("DatasetRegistry.setRoyaltyBps(uint16)"),
        "{out}"
    );
    assert!(cli
        .ok(5, &["timelock", "list"])
        .contains(&format!("{id} waiting (ready at")));
    cli.fails(
        5,
        &["timelock", "execute", &id],
        "TimelockUnexpectedOperationState",
    );
    assert_eq!(royalty(), 2_000, "nothing changes before the delay");
    warp(delay);
    assert!(cli
        .ok(5, &["timelock", "list"])
        .contains(&format!("{id} ready")));
    assert!(cli
        .ok(5, &["timelock", "execute", &id])
        .starts_with(&format!("executed {id}")));
    assert_eq!(royalty(), 1_500);
    assert!(cli
        .ok(5, &["timelock", "list"])
        .contains(&format!("{id} done")));
    cli.fails(
        5,
        &["timelock", "execute", &id],
        "TimelockUnexpectedOperationState",
    );

    // A cancelled change never runs.
    let out = cli.ok(0, &["timelock", "propose", "pauser", &address(6)]);
    let pauser = out.lines().next().unwrap().to_string();
    cli.fails(
        5,
        &["timelock", "cancel", &pauser],
        "AccessControlUnauthorizedAccount",
    );
    assert_eq!(
        cli.ok(0, &["timelock", "cancel", &pauser]),
        format!("cancelled {pauser}")
    );
    assert!(cli
        .ok(5, &["timelock", "list"])
        .contains(&format!("{pauser} cancelled")));
    warp(delay);
    cli.fails(
        5,
        &["timelock", "execute", &pauser],
        "TimelockUnexpectedOperationState",
    );

    // A new minter only through the Timelock; the same change again needs a salt.
    cli.fails(
        3,
        &["token", "mint", &address(3), "5"],
        "AccessControlUnauthorizedAccount",
    );
    let grant = ["timelock", "propose", "grant", "minter", &address(3)];
    let minter = cli.ok(0, &grant).lines().next().unwrap().to_string();
    warp(delay);
    cli.ok(5, &["timelock", "execute", &minter]);
    assert_eq!(cli.ok(3, &["token", "mint", &address(3), "5"]), "5");
    cli.fails(0, &grant, "TimelockUnexpectedOperationState");
    let salt = format!("0x{}", "01".repeat(32));
    let mut again = grant.to_vec();
    again.extend(["--salt", &salt]);
    let second = cli.ok(0, &again).lines().next().unwrap().to_string();
    assert_ne!(second, minter, "the salt makes another operation");
    cli.fails(
        5,
        &["timelock", "execute", &format!("0x{}", "ab".repeat(32))],
        "no operation",
    );
    drop(chain);
}
