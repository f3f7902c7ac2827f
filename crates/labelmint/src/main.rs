//! `labelmint` command line.
//!
//! - `labelmint demo`: the whole lifecycle that exists so far, on the embedded
//!   local Stylus chain (no external services).
//! - `labelmint gas-snapshot [--check]`: writes `.gas-snapshot` (gasUsed per
//!   contract function), or fails when it differs from the committed file.
//! - `labelmint bench-market`: gas of a whole 100-task job lifecycle per flow,
//!   number of annotators and batch size (Markdown table).
//! - `labelmint bench-attacks`: what holding a 1,000-task job costs an
//!   attacker and what undoing it costs the creator (Markdown table).
//! - `labelmint data add <folder>`: a folder of images or text becomes a task
//!   manifest (item roots, sizes, image dimensions) in the local store; prints
//!   the data root a job escrows against.
//! - `labelmint export <dataRoot> --labels FILE --format F --out FILE`: COCO
//!   JSON (image jobs) or chat / instruction / completion JSONL (text jobs);
//!   prints the file's 0G root. `labelmint bench-export --out FILE`: 50,000
//!   images with 150,000 annotations exported as COCO, timed.
//! - `labelmint package <dataRoot> --labels FILE --format F --out FILE.zip`:
//!   the deterministic dataset ZIP (images or JSONL, annotations,
//!   `manifest.json` of roots); prints the package root for the registry.
//! - `labelmint storage root <file>`: the file's 0G Storage root hash
//!   (streaming); `storage put <file>` / `storage get <root> <out>`: the local
//!   content-addressed store (`--store DIR`, default `.labelmint/store`),
//!   verified on every read.
//! - `labelmint bench-quality`: Dawid–Skene on 100,000 tasks × 5 annotators
//!   × 10 classes, timed.
//! - `labelmint serve [--dev]`: the API server (`labelmint-server`); with
//!   `--dev` the embedded chain, every program deployed and a demo job.
//! - `labelmint bench-server [--annotators N] [--secs S] [--batch B]
//!   [--database URL]`: concurrent annotators against `serve --dev`.
//! - On-chain (see [`labelmint::cli`]): `job create|status`,
//!   `task claim|submit|relay`, `review approve|reject`, `audit`,
//!   `dataset publish|buy|download`, `finetune models|start|status`.

use anyhow::{bail, Result};

const USAGE: &str = "usage: labelmint serve --dev | labelmint serve --rpc URL --deployments DIR --database URL (labelmint serve --help)\n       labelmint bench-server [--annotators N] [--secs S] [--batch B] [--database URL]\n       labelmint demo | labelmint gas-snapshot [--check] | labelmint bench-market | labelmint bench-attacks\n       labelmint data add <folder> [--store DIR]\n       labelmint export <dataRoot> --labels FILE --format coco|jsonl-chat|jsonl-instruction|jsonl-completion --out FILE [--store DIR]\n       labelmint package <dataRoot> --labels FILE --format F --out FILE.zip [--store DIR]\n       labelmint bench-export --out FILE | labelmint bench-quality | labelmint simulate\n       labelmint storage root <file> | storage put <file> [--store DIR] | storage get <root> <out> [--store DIR]";

/// The local store from `--store DIR` (default `.labelmint/store`).
fn store(rest: &[&str]) -> Result<labelmint_storage::LocalStore> {
    let dir = match rest {
        [] => ".labelmint/store",
        ["--store", dir] => dir,
        _ => bail!("{USAGE}"),
    };
    Ok(labelmint_storage::LocalStore::open(dir)?)
}

/// The contract programs, built first when missing or stale.
fn ensure_programs() -> Result<std::path::PathBuf> {
    for lib in [
        "reward_token",
        "annotation_market",
        "annotation_market_ext",
        "dataset_registry",
        "quality_hub",
        "quality_court",
    ] {
        labelmint::artifacts::program(lib)?;
    }
    Ok(labelmint::artifacts::artifacts_dir())
}

/// `labelmint serve …`.
fn serve(rest: &[&str]) -> Result<()> {
    let artifacts = if rest.contains(&"--dev") {
        ensure_programs()?
    } else {
        labelmint::artifacts::artifacts_dir()
    };
    let args: Vec<String> = rest.iter().map(|s| (*s).to_string()).collect();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(labelmint_server::cli::serve(&args, &artifacts))
}

/// `labelmint bench-server …`.
fn bench_server(rest: &[&str]) -> Result<()> {
    let a = labelmint::cli::Args::parse(rest);
    let num = |name: &str, default: u64| -> Result<u64> {
        a.flag_value(name).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| anyhow::anyhow!("--{name} {v}: not a number"))
        })
    };
    let opts = labelmint_server::bench::BenchOptions {
        annotators: usize::try_from(num("annotators", 200)?)?.max(1),
        secs: num("secs", 10)?,
        batch: usize::try_from(num("batch", 1)?)?,
        database: a.flag_value("database").map(str::to_string),
    };
    let artifacts = ensure_programs()?;
    let report = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(labelmint_server::bench::run(&opts, &artifacts))?;
    println!("{}", labelmint_server::bench::BenchReport::header());
    println!("{}", report.row());
    eprintln!(
        "{} requests refused; lost and duplicated must be 0",
        report.refused
    );
    Ok(())
}

#[allow(clippy::too_many_lines)]
fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["demo"] => {
            print!("{}", labelmint::demo::run()?);
            Ok(())
        }
        ["gas-snapshot"] => {
            let text = labelmint::gas::render(&labelmint::gas::measure()?);
            let path = labelmint::artifacts::workspace_root().join(".gas-snapshot");
            std::fs::write(&path, &text)?;
            print!("{text}");
            println!("wrote {}", path.display());
            Ok(())
        }
        ["gas-snapshot", "--check"] => {
            let text = labelmint::gas::render(&labelmint::gas::measure()?);
            let path = labelmint::artifacts::workspace_root().join(".gas-snapshot");
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            if committed == text {
                println!(
                    ".gas-snapshot is current ({} entries)",
                    text.lines().count()
                );
                return Ok(());
            }
            let old: std::collections::BTreeMap<&str, &str> = committed
                .lines()
                .filter_map(|l| l.rsplit_once(" (gas: "))
                .collect();
            for line in text.lines() {
                if let Some((name, gas)) = line.rsplit_once(" (gas: ") {
                    let before = old.get(name).copied().unwrap_or("-)");
                    if before != gas {
                        eprintln!(
                            "{name}: {} -> {}",
                            before.trim_end_matches(')'),
                            gas.trim_end_matches(')')
                        );
                    }
                }
            }
            bail!(".gas-snapshot is out of date: run `cargo run --release -p labelmint -- gas-snapshot` and commit it")
        }
        ["data", "add", folder, rest @ ..] => {
            let store = store(rest)?;
            let (manifest, root) =
                labelmint_storage::build_manifest(std::path::Path::new(folder), Some(&store))?;
            println!("{root}");
            eprintln!(
                "{} {:?} tasks; manifest and every item stored and verifiable under their 0G roots; use the root as createJob's dataRoot",
                manifest.tasks.len(),
                manifest.kind
            );
            Ok(())
        }
        [cmd @ ("export" | "package"), root, "--labels", labels, "--format", format, "--out", out, rest @ ..] =>
        {
            let store = store(rest)?;
            let out_path = std::path::Path::new(out);
            let labels = std::path::Path::new(labels);
            let (file_root, hint) = if *cmd == "export" {
                (
                    labelmint::export::run(&store, root, labels, format, out_path)?,
                    "",
                )
            } else {
                let r = labelmint::export::package(&store, root, labels, format, out_path)?;
                (r, "; publish this root in the DatasetRegistry")
            };
            println!("{file_root}");
            eprintln!(
                "wrote {out} ({} bytes){hint}",
                std::fs::metadata(out_path)?.len()
            );
            Ok(())
        }
        ["bench-export", "--out", out] => {
            let images = 50_000;
            let secs = labelmint::export::bench(images, std::path::Path::new(out))?;
            let size = std::fs::metadata(out)?.len();
            println!(
                "COCO export: {images} images, {} annotations, {size} bytes in {secs:.2} s",
                images * 3
            );
            Ok(())
        }
        ["storage", "root", file] => {
            let started = std::time::Instant::now();
            let root = labelmint_storage::root_of_file(std::path::Path::new(file))?;
            let size = std::fs::metadata(file)?.len();
            println!("{root}");
            eprintln!(
                "{size} bytes, {} segments, {:.2} s",
                labelmint_storage::segments(size),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        ["storage", "put", file, rest @ ..] => {
            let root = store(rest)?.put_file(std::path::Path::new(file))?;
            println!("{root}");
            Ok(())
        }
        ["storage", "get", root, out, rest @ ..] => {
            let root: alloy_primitives::B256 = root.parse()?;
            let data = store(rest)?.get(&root)?;
            std::fs::write(out, &data)?;
            eprintln!("{} bytes verified against {root}", data.len());
            Ok(())
        }
        ["bench-quality"] => {
            let b = labelmint::quality::bench_dawid_skene(100_000, 5, 10);
            println!(
                "Dawid-Skene: 100000 tasks x 5 annotators x 10 classes ({} answers): {} EM iterations (converged: {}) in {:.2} s; accuracy {:.4} (majority vote {:.4})",
                b.answers, b.iterations, b.converged, b.seconds, b.ds_accuracy, b.mv_accuracy
            );
            Ok(())
        }
        ["simulate"] => {
            print!("{}", labelmint::sim::table(7)?);
            Ok(())
        }
        ["bench-attacks"] => {
            println!("| tasks | maxHeld | attacker addresses | garbage flood (attacker gas) | bulk reject + settle (creator gas) | of which settle | claim flood per claim duration (attacker gas) | gas spent releasing expired claims |");
            println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
            for max_held in [64u16, 256] {
                let c = labelmint::market::lock_attack_costs(1000, max_held)?;
                println!(
                    "| {} | {} | {} | {} | {} | {} | {} | {} |",
                    c.tasks,
                    c.max_held,
                    c.addresses,
                    c.attacker_submit,
                    c.creator_undo,
                    c.creator_settle,
                    c.attacker_claims,
                    c.claim_release
                );
            }
            Ok(())
        }
        ["serve", "--help"] => {
            println!("{}", labelmint_server::cli::USAGE);
            Ok(())
        }
        ["serve", rest @ ..] => serve(rest),
        ["bench-server", rest @ ..] => bench_server(rest),
        ["bench-market"] => {
            print!("{}", labelmint::market::bench_table()?);
            Ok(())
        }
        [cmd @ ("job" | "task" | "review" | "audit" | "dataset" | "finetune" | "court"
        | "arbiter"), rest @ ..] => labelmint::cli::run(cmd, rest),
        ["--help" | "-h" | "help"] => {
            println!(
                "{USAGE}\n{}\n{}\n{}",
                labelmint_server::cli::USAGE,
                labelmint::cli::USAGE,
                labelmint::cli::court::USAGE
            );
            Ok(())
        }
        _ => bail!(
            "{USAGE}\n{}\n{}",
            labelmint::cli::USAGE,
            labelmint::cli::court::USAGE
        ),
    }
}
