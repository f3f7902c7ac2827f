//! No argument combination panics the `labelmint` binary; secrets are
//! written for the owner only; a keystore without a password is a clear
//! error off a terminal (issue #18, item 12).
#![allow(missing_docs, clippy::too_many_lines)]

use std::{
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use labelmint_devnet::chain::DEV_KEYS;

#[path = "../../zg/tests/fake/mod.rs"]
mod fake;

/// Runs `labelmint args…` with no terminal on stdin, killed after a minute
/// (a run that takes longer counts as a hang). Returns (exit code, stderr).
fn run(args: &[&str], extra: &[&str], key: bool) -> (Option<i32>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_labelmint"));
    cmd.args(args)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .env_remove("LABELMINT_KEYSTORE_PASSWORD")
        .env("RUST_BACKTRACE", "0");
    if key {
        cmd.env("LABELMINT_PRIVATE_KEY", DEV_KEYS[0]);
    } else {
        cmd.env_remove("LABELMINT_PRIVATE_KEY");
    }
    let mut child = cmd.spawn().unwrap();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            return (status.code(), err);
        }
        if started.elapsed() > Duration::from_mins(1) {
            let _ = child.kill();
            let _ = child.wait();
            return (None, "still running after a minute".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn hostile_arguments_get_errors_not_panics() {
    let dir = std::env::temp_dir().join(format!("labelmint-cli-robust-{}", std::process::id()));
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
    let url = chain.url();
    let deployments = dir.to_str().unwrap().to_string();
    let store = dir.join("store");
    let seeds = dir.join("seeds.json");
    let opts = [
        "--rpc",
        url.as_str(),
        "--deployments",
        deployments.as_str(),
        "--store",
        store.to_str().unwrap(),
    ];
    let votes = dir.join("votes.json");
    std::fs::write(
        &votes,
        format!(r#"[{{"task": {}, "annotator": 0, "label": 1}}]"#, u32::MAX),
    )
    .unwrap();
    let zero = format!("{:#066x}", 0);
    let payouts = dir.join("p.json");
    let cases: Vec<Vec<&str>> = vec![
        vec!["review", "reject", "1", ","],
        vec!["review", "reject", "1", ",", "--tasks", ","],
        vec!["review", "approve", "1", ","],
        vec!["review", "reject", "1", "1,2", "--tasks", "1"],
        vec!["task", "claim", "1", ",,,"],
        vec!["audit", "340282366920938463463374607431768211456"],
        vec![
            "job",
            "status",
            "115792089237316195423570985008687907853269984665640564039457584007913129639935",
        ],
        vec![
            "job",
            "create",
            "--data-root",
            &zero,
            "--tasks",
            "1",
            "--reward",
            "1",
            "--deadline-secs",
            "18446744073709551615",
        ],
        vec![
            "court",
            "create",
            "--oracle",
            DEV_ADDR,
            "--terms",
            "1",
            "--escrow",
            "1",
            "--audit-bps",
            "1",
            "--seed-file",
            seeds.to_str().unwrap(),
            "--results",
            "18446744073709551615",
        ],
        vec![
            "court",
            "payouts",
            "--votes",
            votes.to_str().unwrap(),
            "--classes",
            "2",
            "--annotators",
            DEV_ADDR,
            "--per-task",
            "1",
            "--out",
            payouts.to_str().unwrap(),
        ],
        vec![
            "finetune",
            "download",
            "x",
            "--provider",
            "http://127.0.0.1:1",
            "--out",
            "/dev/null",
            "--expect-root",
            "nonsense",
        ],
        vec!["dataset", "download"],
        vec!["--"],
        vec!["job"],
    ];
    for args in &cases {
        let (code, err) = run(args, &opts, true);
        // 2: refused by the argument parser (a usage error); 1: refused at run time.
        assert!(
            matches!(code, Some(1 | 2)),
            "labelmint {args:?}: {code:?} {err}"
        );
        assert!(!err.contains("panicked"), "labelmint {args:?}: {err}");
    }
    assert!(!seeds.exists(), "a refused seed chain writes no secret");
    chain.node.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

const DEV_ADDR: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

#[test]
fn a_keystore_without_a_password_off_a_terminal_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("labelmint-keystore-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let keystore = dir.join("key.json");
    std::fs::write(&keystore, "{}").unwrap();
    let (code, err) = run(
        &[
            "job",
            "status",
            "1",
            "--keystore",
            keystore.to_str().unwrap(),
        ],
        &["--rpc", "http://127.0.0.1:1"],
        false,
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("LABELMINT_KEYSTORE_PASSWORD") && err.contains("terminal"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn private_files_are_created_for_the_owner_only_and_never_through_a_link() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = std::env::temp_dir().join(format!("labelmint-private-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("seed.json");
    drop(labelmint::cli::create_private(&path).unwrap());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // A link planted where the file goes is not followed.
    let target = dir.join("victim");
    std::fs::write(&target, b"keep").unwrap();
    let planted = dir.join("planted.json");
    std::os::unix::fs::symlink(&target, &planted).unwrap();
    assert!(labelmint::cli::create_private(Path::new(&planted)).is_err());
    assert_eq!(std::fs::read(&target).unwrap(), b"keep");
    let (tmp, _) = labelmint::cli::private_temp_file("labelmint-test").unwrap();
    assert_eq!(
        std::fs::metadata(&tmp).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let _ = std::fs::remove_file(tmp);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn finetune_download_says_verified_only_against_a_root_the_buyer_gives() {
    // The model the provider delivers, stored on a (fake) 0G node.
    let model = b"fine-tuned weights".repeat(1_000);
    let root = labelmint_storage::root_of_bytes(&model).unwrap();
    let (zg, zg_state) = fake::zg_node();
    zg_state.lock().unwrap().submit(root, model.len() as u64);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let node = labelmint_zg::node::StorageNode::new(&zg.url, labelmint_zg::Retry::default());
    rt.block_on(labelmint_zg::transfer::upload(
        &node,
        &model,
        &labelmint_zg::transfer::UploadOptions {
            batch: 4,
            wait: Duration::from_secs(5),
            poll: Duration::from_millis(20),
        },
        |_, _| {},
    ))
    .unwrap();
    // A provider whose task 1 has delivered that root.
    let (broker, broker_state) = fake::broker();
    {
        let mut st = broker_state.lock().unwrap();
        st.output = Some(root);
        st.frozen = true;
        st.tasks.push((
            serde_json::json!({
                "id": "task-1", "userAddress": DEV_ADDR,
                "preTrainedModelHash": format!("{:#066x}", 1), "datasetHash": format!("{:#066x}", 2),
                "trainingParams": "{}", "fee": "1", "nonce": "1", "signature": "0x"
            }),
            6,
            None,
        ));
    }
    let dir = std::env::temp_dir().join(format!("labelmint-finetune-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("model.bin");
    let download = |extra: &[&str]| {
        let mut args = vec![
            "finetune",
            "download",
            "task-1",
            "--provider",
            &broker.url,
            "--out",
            out.to_str().unwrap(),
            "--storage",
            "0g",
            "--zg-node",
            &zg.url,
        ];
        args.extend_from_slice(extra);
        let o = Command::new(env!("CARGO_BIN_EXE_labelmint"))
            .args(&args)
            .env("LABELMINT_PRIVATE_KEY", DEV_KEYS[0])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).to_string(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        )
    };
    let (code, stdout, stderr) = download(&[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("not verified"), "{stdout}");
    assert_eq!(std::fs::read(&out).unwrap(), model);
    let root_text = root.to_string();
    let (code, stdout, _) = download(&["--expect-root", &root_text]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("verified against") && !stdout.contains("not verified"),
        "{stdout}"
    );
    std::fs::remove_file(&out).unwrap();
    let other = format!("{:#066x}", 7);
    let (code, _, stderr) = download(&["--expect-root", &other]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("not the expected"), "{stderr}");
    assert!(!out.exists(), "nothing written for an unexpected root");
    let _ = std::fs::remove_dir_all(&dir);
}
