//! The `labelmint` binary as a user meets it (issue #19): every `--help`
//! works without keys or a chain, bad flags are usage errors (exit code 2),
//! runtime errors are one `error:` line and a `hint:` line, `--json` prints
//! one JSON document, the global options come from flags, environment and
//! `labelmint.toml` in that order, and the README's Commands table lists
//! exactly the commands clap knows.
#![allow(missing_docs, clippy::too_many_lines)]

use std::{
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
};

use clap::CommandFactory as _;

const DEV_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("labelmint-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

/// `labelmint` in `dir` with no LABELMINT_* variable (no key, no config)
/// and a dead RPC endpoint should anything try to reach a chain.
fn labelmint(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_labelmint"));
    for (k, _) in std::env::vars() {
        if k.starts_with("LABELMINT_") {
            cmd.env_remove(k);
        }
    }
    cmd.current_dir(dir)
        .stdin(Stdio::null())
        // Nothing in these tests may build the contracts.
        .env("LABELMINT_ARTIFACTS", dir.join("no-artifacts"))
        .env("CARGO_TARGET_DIR", dir.join("no-target"));
    cmd
}

fn run(dir: &Path, args: &[&str]) -> Output {
    labelmint(dir).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs and expects success; returns stdout.
fn ok(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "labelmint {args:?}: {}",
        stderr(&o)
    );
    stdout(&o)
}

/// Runs with `--json` and parses stdout as one JSON document.
fn json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = ok(dir, &all);
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("labelmint {all:?}: {e}: {out}"))
}

/// Every command path of the clap tree (`[]`, `["job"]`, `["job", "create"]`, …).
fn command_paths() -> Vec<(Vec<String>, bool)> {
    fn walk(cmd: &clap::Command, prefix: &[String], out: &mut Vec<(Vec<String>, bool)>) {
        let leaf = cmd.get_subcommands().next().is_none();
        out.push((prefix.to_vec(), leaf));
        for sub in cmd.get_subcommands() {
            let mut p = prefix.to_vec();
            p.push(sub.get_name().to_string());
            walk(sub, &p, out);
        }
    }
    let mut out = Vec::new();
    walk(&labelmint::cmd::Cli::command(), &[], &mut out);
    out
}

#[test]
fn the_command_tree_is_consistent() {
    labelmint::cmd::Cli::command().debug_assert();
}

#[test]
fn every_help_exits_zero_without_keys_or_chain() {
    let dir = temp_dir("help");
    let paths = command_paths();
    assert!(paths.len() > 60, "{} commands", paths.len());
    for (path, leaf) in &paths {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let o = run(&dir, &args);
        let out = stdout(&o);
        assert_eq!(
            o.status.code(),
            Some(0),
            "labelmint {args:?}: {}",
            stderr(&o)
        );
        assert!(
            out.contains("Usage: labelmint"),
            "labelmint {args:?}: {out}"
        );
        if *leaf && !path.is_empty() {
            assert!(
                out.contains("Example"),
                "labelmint {args:?} shows no example: {out}"
            );
        }
    }
    // -h and `help <cmd>` work too.
    assert!(ok(&dir, &["job", "create", "-h"]).contains("--data-root"));
    assert!(ok(&dir, &["help", "court", "payouts"]).contains("--annotators"));
    assert!(!dir.join("no-target").exists(), "a --help built something");
}

#[test]
fn a_typo_in_a_flag_is_a_usage_error() {
    let dir = temp_dir("typo");
    let o = labelmint(&dir)
        .args(["job", "create", "--replicaton", "3"])
        .env("LABELMINT_PRIVATE_KEY", DEV_KEY)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(errors[0].contains("--replicaton"), "{err}");
    assert!(stdout(&o).is_empty());
    // Unknown subcommands and extra positionals too.
    assert_eq!(run(&dir, &["jbo", "status", "1"]).status.code(), Some(2));
    assert_eq!(
        run(&dir, &["job", "status", "1", "2"]).status.code(),
        Some(2)
    );
    assert_eq!(run(&dir, &["job"]).status.code(), Some(2));
    assert_eq!(run(&dir, &[]).status.code(), Some(2));
    // A bad value is refused before anything runs.
    let o = run(&dir, &["job", "status", "one"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("invalid value 'one'"), "{}", stderr(&o));
}

#[test]
fn a_value_starting_with_dashes_is_not_taken_silently() {
    let dir = temp_dir("dashes");
    for args in [
        vec!["job", "create", "--data-root", "--tasks", "3"],
        vec![
            "export",
            "0x0000000000000000000000000000000000000000000000000000000000000000",
            "--labels",
            "--format",
            "coco",
            "--out",
            "x",
        ],
        vec!["review", "rule", "1", "1", "--overturn", "--uphold"],
        vec!["review", "rule", "1", "1"],
        vec!["court", "rule", "1", "1", "--payouts", "--uphold"],
        vec!["quality", "aggregate", "--method", "--json"],
    ] {
        let o = run(&dir, &args);
        assert_eq!(
            o.status.code(),
            Some(2),
            "labelmint {args:?}: {}",
            stderr(&o)
        );
        assert!(!stderr(&o).contains("panicked"));
    }
}

#[test]
fn runtime_errors_are_one_line_with_a_hint_and_no_backtrace() {
    let dir = temp_dir("errors");
    let o = labelmint(&dir)
        .args(["job", "status", "1"])
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(lines[0].starts_with("error: signing key"), "{err}");
    assert!(
        lines[1].starts_with("hint: ") && lines[1].contains("LABELMINT_PRIVATE_KEY"),
        "{err}"
    );
    // No node: the hint says how to start one.
    let o = labelmint(&dir)
        .args(["job", "status", "1", "--rpc", "http://127.0.0.1:9"])
        .env("LABELMINT_PRIVATE_KEY", DEV_KEY)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(
        err.contains("127.0.0.1:9") && err.contains("hint: start a node"),
        "{err}"
    );
    // A missing file.
    let o = run(&dir, &["quality", "aggregate", "missing.csv"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("error: reading missing.csv"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("hint: see `labelmint quality aggregate --help`"));
}

#[test]
fn global_options_come_from_flags_then_environment_then_labelmint_toml() {
    let dir = temp_dir("config");
    std::fs::write(dir.join("labelmint.toml"), "rpc = \"http://127.0.0.1:7\"\n").unwrap();
    let rpc_in_error = |extra_env: Option<&str>, flag: Option<&str>| {
        let mut cmd = labelmint(&dir);
        cmd.args(["job", "status", "1"])
            .env("LABELMINT_PRIVATE_KEY", DEV_KEY);
        if let Some(e) = extra_env {
            cmd.env("LABELMINT_RPC", e);
        }
        if let Some(f) = flag {
            cmd.args(["--rpc", f]);
        }
        stderr(&cmd.output().unwrap())
    };
    assert!(rpc_in_error(None, None).contains("127.0.0.1:7"));
    assert!(rpc_in_error(Some("http://127.0.0.1:8"), None).contains("127.0.0.1:8"));
    assert!(
        rpc_in_error(Some("http://127.0.0.1:8"), Some("http://127.0.0.1:9"))
            .contains("127.0.0.1:9")
    );
    // The flag may come before the command too.
    let o = labelmint(&dir)
        .args(["--rpc", "http://127.0.0.1:6", "job", "status", "1"])
        .env("LABELMINT_PRIVATE_KEY", DEV_KEY)
        .output()
        .unwrap();
    assert!(stderr(&o).contains("127.0.0.1:6"));
    // A typo in the file is an error, not ignored.
    std::fs::write(dir.join("labelmint.toml"), "rcp = \"http://x\"\n").unwrap();
    let o = run(&dir, &["quality", "agreement", &fixture("votes.csv")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("labelmint.toml") && stderr(&o).contains("rcp"),
        "{}",
        stderr(&o)
    );
    // json = true in the file turns JSON on.
    std::fs::write(dir.join("labelmint.toml"), "json = true\n").unwrap();
    let out = ok(&dir, &["quality", "agreement", &fixture("votes.csv")]);
    assert!(
        serde_json::from_str::<serde_json::Value>(&out).is_ok(),
        "{out}"
    );
}

fn close(a: &serde_json::Value, b: f64) -> bool {
    (a.as_f64().unwrap() - b).abs() < 1e-9
}

#[test]
fn quality_commands_on_a_csv_file() {
    let dir = temp_dir("quality-csv");
    let votes = fixture("votes.csv");
    // Majority by hand: t1 cat 2/3, t2 dog 3/3, t3 a three-way tie (bird,
    // the first class, flagged), t4 bird 2/3.
    let v = json(&dir, &["quality", "aggregate", &votes]);
    assert_eq!(v["classes"], serde_json::json!(["bird", "cat", "dog"]));
    let tasks = v["tasks"].as_array().unwrap();
    let labels: Vec<&str> = tasks.iter().map(|t| t["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["cat", "dog", "bird", "bird"]);
    assert!(close(&tasks[0]["confidence"], 2.0 / 3.0));
    assert!(close(&tasks[1]["confidence"], 1.0));
    assert_eq!(tasks[2]["tied"], true);
    assert_eq!(tasks[0]["tied"], false);
    // Wawa: weights 3/4, 3/4, 1/2 (agreement with the majority) turn t3
    // into a cat/dog tie (0.75 each) won by cat.
    let v = json(&dir, &["quality", "aggregate", &votes, "--method", "wawa"]);
    let labels: Vec<&str> = v["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["cat", "dog", "cat", "bird"]);
    assert!(close(&v["tasks"][0]["confidence"], 1.5 / 2.0));
    let v = json(
        &dir,
        &["quality", "aggregate", &votes, "--method", "dawid-skene"],
    );
    assert_eq!(v["tasks"].as_array().unwrap().len(), 4);
    assert_eq!(v["tasks"][1]["label"], "dog");
    // Agreement: Fleiss' κ = 5/47, Krippendorff's α = 17/94 (by hand).
    let v = json(&dir, &["quality", "agreement", &votes]);
    assert!(close(&v["fleissKappa"], 5.0 / 47.0), "{v}");
    assert!(close(&v["krippendorffAlpha"], 17.0 / 94.0), "{v}");
    let rates: Vec<f64> = v["agreementWithMajority"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["rate"].as_f64().unwrap())
        .collect();
    assert_eq!(rates, [0.75, 0.75, 0.5]);
    // Audit against gold: alice 4/4, bob 3/4, carol 1/4, and carol's confusion.
    let v = json(
        &dir,
        &[
            "quality",
            "audit-file",
            &votes,
            "--gold",
            &fixture("gold.csv"),
        ],
    );
    let acc: Vec<f64> = v["annotators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["accuracy"].as_f64().unwrap())
        .collect();
    assert_eq!(acc, [1.0, 0.75, 0.25]);
    assert_eq!(v["annotators"][2]["annotator"], "carol");
    assert_eq!(
        v["annotators"][2]["confusion"],
        serde_json::json!([[0, 1, 0], [1, 0, 1], [0, 0, 1]])
    );
    // Tables for people.
    let table = ok(&dir, &["quality", "agreement", &votes]);
    assert!(
        table.contains("Fleiss' kappa: 0.1064")
            && table.contains("Krippendorff's alpha (nominal): 0.1809"),
        "{table}"
    );
    let table = ok(
        &dir,
        &["quality", "audit-file", &votes, "--method", "majority"],
    );
    assert!(
        table.contains("confusion (rows: reference, columns: answer)"),
        "{table}"
    );
    // --classes fixes the order; a label outside it is an error.
    let v = json(
        &dir,
        &["quality", "aggregate", &votes, "--classes", "dog,cat,bird"],
    );
    assert_eq!(v["tasks"][2]["label"], "dog");
    let o = run(
        &dir,
        &["quality", "aggregate", &votes, "--classes", "dog,cat"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("\"bird\""), "{}", stderr(&o));
}

#[test]
fn quality_commands_on_jsonl_and_label_studio() {
    let dir = temp_dir("quality-ls");
    // JSONL with numeric ids; unequal answers per task: κ is refused, α is not.
    let v = json(&dir, &["quality", "agreement", &fixture("votes.jsonl")]);
    assert!(v["fleissKappa"].is_null());
    assert!(v["fleissKappaNote"]
        .as_str()
        .unwrap()
        .contains("same number of ratings"));
    assert!(v["krippendorffAlpha"].is_number());
    let v = json(&dir, &["quality", "aggregate", &fixture("votes.jsonl")]);
    let labels: Vec<&str> = v["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["0", "1", "2"]);
    // Label Studio: tasks by id (101, 102, 103); the cancelled annotation
    // does not count; annotators by email.
    let ls = fixture("label_studio_sentiment.json");
    let v = json(&dir, &["quality", "aggregate", &ls]);
    assert_eq!(
        v["classes"],
        serde_json::json!(["Negative", "Neutral", "Positive"])
    );
    let rows = v["tasks"].as_array().unwrap();
    let got: Vec<(&str, &str, u64)> = rows
        .iter()
        .map(|t| {
            (
                t["task"].as_str().unwrap(),
                t["label"].as_str().unwrap(),
                t["answers"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("101", "Positive", 2),
            ("102", "Negative", 3),
            ("103", "Neutral", 3)
        ]
    );
    let v = json(&dir, &["quality", "agreement", &ls]);
    let who: Vec<&str> = v["agreementWithMajority"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["annotator"].as_str().unwrap())
        .collect();
    assert_eq!(
        who,
        ["ana@example.com", "ben@example.com", "cy@example.com"]
    );
    let cy = &v["agreementWithMajority"][2];
    assert_eq!(
        (cy["answered"].as_u64(), cy["agreed"].as_u64()),
        (Some(2), Some(0))
    );
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
    b.extend_from_slice(b"IHDR");
    b.extend_from_slice(&width.to_be_bytes());
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    b
}

#[test]
fn a_label_studio_image_project_imports_exports_and_packages() {
    let dir = temp_dir("import-boxes");
    let export = fixture("label_studio_boxes.json");
    // Without a data root: tasks in the export's order (ids 7, 8).
    let v = json(
        &dir,
        &["import", "label-studio", &export, "--out", "labels.json"],
    );
    assert_eq!(v["kind"], "image");
    assert_eq!(v["labels"], 3);
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("labels.json")).unwrap()).unwrap();
    assert_eq!(file["categories"], serde_json::json!(["Cat", "Dog"]));
    // 10 %, 20 %, 25 %, 50 % of 640 × 480.
    assert_eq!(
        file["labels"][0],
        serde_json::json!({"task": 0, "category": 0, "bbox": [64.0, 96.0, 160.0, 240.0], "polygon": null})
    );
    assert_eq!(
        file["labels"][1]["polygon"],
        serde_json::json!([320.0, 240.0, 480.0, 240.0, 400.0, 480.0])
    );
    assert_eq!(
        file["labels"][2],
        serde_json::json!({"task": 1, "category": 1, "bbox": [400.0, 300.0, 80.0, 60.0], "polygon": null})
    );
    assert_eq!(file["info"]["date_created"], "2024-06-11");
    // With the job's data: tasks matched by file name (garden.png is item 0).
    let images = dir.join("images");
    std::fs::create_dir_all(&images).unwrap();
    std::fs::write(images.join("kitchen.png"), png(640, 480)).unwrap();
    std::fs::write(images.join("garden.png"), png(800, 600)).unwrap();
    let added = json(&dir, &["data", "add", "images", "--store", "store"]);
    let root = added["root"].as_str().unwrap().to_string();
    assert_eq!(added["tasks"], 2);
    let v = json(
        &dir,
        &[
            "import",
            "label-studio",
            &export,
            "--data-root",
            &root,
            "--store",
            "store",
            "--out",
            "matched.json",
        ],
    );
    assert_eq!(v["labels"], 3);
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("matched.json")).unwrap()).unwrap();
    let tasks: Vec<u64> = file["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["task"].as_u64().unwrap())
        .collect();
    assert_eq!(tasks, [1, 1, 0]);
    // Then COCO and the dataset package, flags in any order.
    let coco = json(
        &dir,
        &[
            "export",
            &root,
            "--out",
            "coco.json",
            "--format",
            "coco",
            "--labels",
            "matched.json",
            "--store",
            "store",
        ],
    );
    let coco_file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("coco.json")).unwrap()).unwrap();
    assert_eq!(coco_file["annotations"].as_array().unwrap().len(), 3);
    assert_eq!(coco_file["categories"][1]["name"], "Dog");
    assert_eq!(
        coco["root"].as_str().unwrap(),
        labelmint_storage::root_of_file(&dir.join("coco.json"))
            .unwrap()
            .to_string()
    );
    let pkg = json(
        &dir,
        &[
            "--store",
            "store",
            "package",
            &root,
            "--labels",
            "matched.json",
            "--format",
            "coco",
            "--out",
            "ds.zip",
        ],
    );
    assert_eq!(
        pkg["root"].as_str().unwrap(),
        labelmint_storage::root_of_file(&dir.join("ds.zip"))
            .unwrap()
            .to_string()
    );
    // Storage round trip, JSON all the way.
    let put = json(&dir, &["storage", "put", "ds.zip", "--store", "store"]);
    assert_eq!(put["root"], pkg["root"]);
    let root_only = json(&dir, &["storage", "root", "ds.zip"]);
    assert_eq!(root_only["root"], pkg["root"]);
    let got = json(
        &dir,
        &[
            "storage",
            "get",
            pkg["root"].as_str().unwrap(),
            "copy.zip",
            "--store",
            "store",
        ],
    );
    assert_eq!(
        got["bytes"].as_u64().unwrap(),
        std::fs::metadata(dir.join("ds.zip")).unwrap().len()
    );
}

#[test]
fn a_label_studio_text_project_imports_and_exports_as_jsonl() {
    let dir = temp_dir("import-text");
    let v = json(
        &dir,
        &[
            "import",
            "label-studio",
            &fixture("label_studio_sentiment.json"),
            "--out",
            "labels.json",
        ],
    );
    assert_eq!(v["kind"], "text");
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("labels.json")).unwrap()).unwrap();
    assert_eq!(
        file["classes"],
        serde_json::json!(["Negative", "Neutral", "Positive"])
    );
    // Majority per task by hand: 101 Positive (2 of 2), 102 Negative (2 of 3), 103 Neutral (2 of 3).
    assert_eq!(
        file["labels"],
        serde_json::json!([{"task": 0, "label": 2}, {"task": 1, "label": 0}, {"task": 2, "label": 1}])
    );
    let texts = dir.join("texts");
    std::fs::create_dir_all(&texts).unwrap();
    std::fs::write(texts.join("a.txt"), "The battery lasts all day.").unwrap();
    std::fs::write(texts.join("b.txt"), "The screen cracked after a week.").unwrap();
    std::fs::write(texts.join("c.txt"), "It does what the box says.").unwrap();
    let root = json(&dir, &["data", "add", "texts"])["root"]
        .as_str()
        .unwrap()
        .to_string();
    json(
        &dir,
        &[
            "export",
            &root,
            "--labels",
            "labels.json",
            "--format",
            "jsonl-chat",
            "--out",
            "train.jsonl",
        ],
    );
    let lines = std::fs::read_to_string(dir.join("train.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 3);
    assert!(
        lines.lines().next().unwrap().contains("Positive"),
        "{lines}"
    );
}

#[test]
fn completions_for_every_shell() {
    let dir = temp_dir("completions");
    for shell in ["bash", "zsh", "fish"] {
        let out = ok(&dir, &["completions", shell]);
        assert!(
            out.contains("labelmint") && out.contains("quality"),
            "{shell}"
        );
    }
    assert_eq!(run(&dir, &["completions", "tcsh"]).status.code(), Some(2));
    // `labelmint completions bash | head -1`: a closed pipe is no panic.
    let mut child = labelmint(&dir)
        .args(["completions", "bash"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    assert_eq!(o.status.code(), Some(0));
}

const BEGIN: &str = "<!-- labelmint commands: generated from the CLI's help by the test the_readme_commands_table_matches_the_cli (LABELMINT_BLESS=1 rewrites it) -->";
const END: &str = "<!-- end of labelmint commands -->";

/// The README's table of `labelmint` commands, one row per leaf command
/// with its `--help` summary.
fn commands_table() -> String {
    let root = labelmint::cmd::Cli::command();
    let mut rows = vec![
        BEGIN.to_string(),
        String::new(),
        "| `labelmint` command | What it does (`labelmint <command> --help` for flags and examples) |".to_string(),
        "|---|---|".to_string(),
    ];
    for (path, leaf) in command_paths() {
        if !leaf || path.is_empty() {
            continue;
        }
        let mut cmd = &root;
        for name in &path {
            cmd = cmd.find_subcommand(name).unwrap();
        }
        let about = cmd.get_about().map(ToString::to_string).unwrap_or_default();
        rows.push(format!(
            "| `labelmint {}` | {} |",
            path.join(" "),
            about.replace('|', "\\|")
        ));
    }
    rows.push(String::new());
    rows.push(END.to_string());
    rows.join("\n")
}

/// The README's Commands section lists every leaf command clap knows with
/// its help summary, and nothing else; `LABELMINT_BLESS=1` rewrites it.
#[test]
fn the_readme_commands_table_matches_the_cli() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let commands = readme
        .find("\n## Commands\n")
        .expect("README has a ## Commands section");
    let begin = readme
        .find(BEGIN)
        .expect("the Commands section has the generated table");
    let end = readme.find(END).expect("the generated table ends") + END.len();
    assert!(
        begin > commands,
        "the generated table is in the Commands section"
    );
    let want = commands_table();
    if std::env::var_os("LABELMINT_BLESS").is_some() {
        std::fs::write(
            &path,
            format!("{}{want}{}", &readme[..begin], &readme[end..]),
        )
        .unwrap();
        return;
    }
    assert!(
        readme[begin..end] == want,
        "README's labelmint commands differ from the CLI; rerun with LABELMINT_BLESS=1 or paste:\n{want}"
    );
}
