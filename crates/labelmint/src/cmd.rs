//! The `labelmint` command tree (clap derive) and its dispatch.
//!
//! Every command and subcommand has `--help` with examples; flags come in any
//! order; unknown flags and bad values exit with code 2. The global options
//! (`--rpc`, `--keystore`, `--deployments`, `--store`, `--json`) also come
//! from `LABELMINT_*` environment variables and from `labelmint.toml` (see
//! [`crate::config`]). Adding a command group is one [`Command`] variant
//! plus its arm in [`run`].

use std::path::PathBuf;

use alloy_primitives::B256;
use anyhow::{bail, Context, Result};
use clap::{Args, CommandFactory, Parser, Subcommand};
use serde_json::json;

use crate::{
    cli::{
        court::CourtCmd, ArbiterCmd, ChainOpts, Ctx, DatasetCmd, ExportFormat, FinetuneCmd, JobCmd,
        ReviewCmd, TaskCmd, DEFAULT_DEPLOYMENTS, DEFAULT_RPC, DEFAULT_STORE,
    },
    config::FileConfig,
    output::{emit, WithHint},
};

const ABOUT: &str = "labelmint: a data-labelling marketplace on Arbitrum Stylus — the demo on an \
embedded chain, the on-chain commands over JSON-RPC, data, exports, quality tools and the API server";

const AFTER_HELP: &str = "Getting started:
  labelmint demo                                  # everything end to end on the embedded chain (no node needed)
  labelmint serve --dev                           # the API server over the embedded chain
  cargo run -p labelmint-node                     # a JSON-RPC node on 127.0.0.1:8547 for the on-chain commands
  export LABELMINT_PRIVATE_KEY=0x…                # the signer of the on-chain commands (or --keystore FILE)
  labelmint job create --help                     # every command explains itself

Global options also come from LABELMINT_RPC, LABELMINT_KEYSTORE, LABELMINT_DEPLOYMENTS, LABELMINT_STORE,
LABELMINT_JSON and from ./labelmint.toml (flags > environment > file > defaults).";

/// The `labelmint` command line.
#[derive(Debug, Parser)]
#[command(
    name = "labelmint",
    version,
    about = ABOUT,
    after_help = AFTER_HELP,
    propagate_version = true,
    subcommand_required = true,
    arg_required_else_help = true
)]
pub struct Cli {
    /// Options every command accepts.
    #[command(flatten)]
    pub global: Global,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts, anywhere on the line.
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// JSON-RPC URL of the chain [default: http://127.0.0.1:8547]
    #[arg(long, global = true, value_name = "URL", env = "LABELMINT_RPC")]
    pub rpc: Option<String>,
    /// Keystore of the signing key [default: the key in LABELMINT_PRIVATE_KEY]
    #[arg(long, global = true, value_name = "FILE", env = "LABELMINT_KEYSTORE")]
    pub keystore: Option<PathBuf>,
    /// Folder of deployments/<chainId>.json manifests [default: deployments]
    #[arg(long, global = true, value_name = "DIR", env = "LABELMINT_DEPLOYMENTS")]
    pub deployments: Option<PathBuf>,
    /// Local content-addressed store [default: .labelmint/store]
    #[arg(long, global = true, value_name = "DIR", env = "LABELMINT_STORE")]
    pub store: Option<PathBuf>,
    /// Print one machine-readable JSON result on stdout
    #[arg(long, global = true, env = "LABELMINT_JSON")]
    pub json: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Deploy and run everything that exists on the embedded local chain (no node needed)
    #[command(after_help = "Example:\n  cargo run --release -p labelmint -- demo")]
    Demo,
    /// Run the API server (with --dev: over the embedded chain, deployed and seeded)
    #[command(after_help = labelmint_server::cli::EXAMPLES)]
    Serve(labelmint_server::cli::ServeArgs),
    /// Turn a folder of images or text into a task manifest in the local store
    #[command(subcommand)]
    Data(DataCmd),
    /// Export a job's labels as COCO JSON or JSONL; prints the file's 0G root
    #[command(after_help = "Examples:
  labelmint export 0x<dataRoot> --labels labels.json --format coco --out coco.json
  labelmint export 0x<dataRoot> --format jsonl-chat --labels text-labels.json --out train.jsonl
  labelmint import label-studio project.json --out labels.json && labelmint export 0x<dataRoot> --labels labels.json --format coco --out coco.json

labels.json (images): {\"categories\": [..], \"labels\": [{\"task\", \"category\", \"bbox\"|\"polygon\"}], \"info\": {..}}
labels.json (text):   {\"classes\": [..], \"instruction\": \"..\", \"labels\": [{\"task\", \"label\"}]}")]
    Export(ExportArgs),
    /// Build the deterministic dataset ZIP; prints the package root for the registry
    #[command(after_help = "Example:
  labelmint package 0x<dataRoot> --labels labels.json --format coco --out dataset.zip")]
    Package(ExportArgs),
    /// 0G Storage roots and the local content-addressed store
    #[command(subcommand)]
    Storage(StorageCmd),
    /// Review-mode jobs on the AnnotationMarket: create, status, export
    Job {
        /// On-chain options.
        #[command(flatten)]
        chain: ChainOpts,
        /// The subcommand.
        #[command(subcommand)]
        cmd: JobCmd,
    },
    /// Arbiters of review disputes: offer terms
    Arbiter {
        /// On-chain options.
        #[command(flatten)]
        chain: ChainOpts,
        /// The subcommand.
        #[command(subcommand)]
        cmd: ArbiterCmd,
    },
    /// Annotators: claim, submit and relay batches
    Task {
        /// On-chain options.
        #[command(flatten)]
        chain: ChainOpts,
        /// The subcommand.
        #[command(subcommand)]
        cmd: TaskCmd,
    },
    /// Creators and arbiters: approve, reject, dispute, rule, settle
    Review {
        /// On-chain options.
        #[command(flatten)]
        chain: ChainOpts,
        /// The subcommand.
        #[command(subcommand)]
        cmd: ReviewCmd,
    },
    /// Audit a job: every on-chain commitment against its payload, anomalies, a verdict
    #[command(after_help = "Examples:\n  labelmint audit 1\n  labelmint audit 1 --json")]
    Audit {
        /// On-chain options.
        #[command(flatten)]
        chain: ChainOpts,
        /// Job id
        job: alloy_primitives::U256,
    },
    /// Datasets in the DatasetRegistry: publish, buy, download
    Dataset {
        /// On-chain options.
        #[command(flatten)]
        chain: ChainOpts,
        /// The subcommand.
        #[command(subcommand)]
        cmd: DatasetCmd,
    },
    /// Fine-tuning on 0G: models, start, status, download
    Finetune {
        /// On-chain options.
        #[command(flatten)]
        chain: ChainOpts,
        /// The subcommand.
        #[command(subcommand)]
        cmd: FinetuneCmd,
    },
    /// Jobs judged off chain on the QualityCourt: payouts, results, disputes, claims
    Court {
        /// On-chain options.
        #[command(flatten)]
        chain: ChainOpts,
        /// The subcommand.
        #[command(subcommand)]
        cmd: CourtCmd,
    },
    /// Consensus jobs on the QualityHub: stakes, commit–reveal votes, gold keys, settlement, reputation
    Hub {
        /// On-chain options.
        #[command(flatten)]
        chain: ChainOpts,
        /// The subcommand.
        #[command(subcommand)]
        cmd: crate::cli::hub::HubCmd,
    },
    /// The RewardToken the hub stakes and pays in: balance, mint, transfer
    Token {
        /// On-chain options.
        #[command(flatten)]
        chain: ChainOpts,
        /// The subcommand.
        #[command(subcommand)]
        cmd: crate::cli::token::TokenCmd,
    },
    /// Governed parameter changes through the Timelock: propose, list, execute, cancel
    Timelock {
        /// On-chain options.
        #[command(flatten)]
        chain: ChainOpts,
        /// The subcommand.
        #[command(subcommand)]
        cmd: crate::cli::timelock::TimelockCmd,
    },
    /// Quality of a labels file (CSV, JSONL, Label Studio): consensus, agreement, per-annotator audit
    #[command(subcommand)]
    Quality(crate::quality_cmd::QualityCmd),
    /// Import labels from other tools into labelmint's labels file
    #[command(subcommand)]
    Import(crate::quality_cmd::ImportCmd),
    /// Write the gas snapshot (gasUsed per contract function), or check it
    #[command(
        after_help = "Examples:\n  labelmint gas-snapshot\n  labelmint gas-snapshot --check"
    )]
    GasSnapshot {
        /// Fail when .gas-snapshot differs instead of writing it
        #[arg(long)]
        check: bool,
    },
    /// Gas of a 100-task job lifecycle per flow, annotators and batch size (Markdown)
    #[command(after_help = "Example:\n  cargo run --release -p labelmint -- bench-market")]
    BenchMarket,
    /// Gas per paid label of each quality mode, on the same 96-task job (Markdown)
    #[command(after_help = "Example:\n  cargo run --release -p labelmint -- bench-modes")]
    BenchModes,
    /// What holding a 1,000-task job costs an attacker and undoing it the creator (Markdown)
    #[command(after_help = "Example:\n  cargo run --release -p labelmint -- bench-attacks")]
    BenchAttacks,
    /// Export 50,000 images with 150,000 annotations as COCO, timed
    #[command(after_help = "Example:\n  labelmint bench-export --out /tmp/coco.json")]
    BenchExport {
        /// Output file
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Number of images
        #[arg(long, value_name = "N", default_value_t = 50_000)]
        images: u32,
    },
    /// Dawid–Skene on 100,000 tasks × 5 annotators × 10 classes, timed
    #[command(
        after_help = "Examples:\n  labelmint bench-quality\n  labelmint bench-quality --tasks 10000 --json"
    )]
    BenchQuality {
        /// Number of tasks
        #[arg(long, value_name = "N", default_value_t = 100_000)]
        tasks: u32,
    },
    /// Concurrent annotators against `serve --dev`
    #[command(
        after_help = "Example:\n  labelmint bench-server --annotators 200 --secs 10 --batch 4"
    )]
    BenchServer(BenchServerArgs),
    /// The QualityHub economics simulation (Markdown)
    #[command(after_help = "Example:\n  labelmint simulate")]
    Simulate,
    /// Print shell completions
    #[command(after_help = "Examples:
  labelmint completions bash > ~/.local/share/bash-completion/completions/labelmint
  labelmint completions zsh > \"${fpath[1]}/_labelmint\"
  labelmint completions fish > ~/.config/fish/completions/labelmint.fish")]
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `labelmint data …`.
#[derive(Debug, Subcommand)]
pub enum DataCmd {
    /// Store a folder's items and manifest; prints the data root a job escrows against
    #[command(
        after_help = "Examples:\n  labelmint data add ./images\n  labelmint data add ./texts --store /data/store"
    )]
    Add {
        /// Folder of images, .txt or .jsonl files
        folder: PathBuf,
    },
}

/// `labelmint export` and `labelmint package`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The job's data root (`labelmint data add`)
    pub data_root: B256,
    /// Labels file
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,
    /// Output format
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Output file
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `labelmint storage …`.
#[derive(Debug, Subcommand)]
pub enum StorageCmd {
    /// A file's 0G Storage root hash (streaming)
    #[command(after_help = "Example:\n  labelmint storage root dataset.zip")]
    Root {
        /// The file
        file: PathBuf,
    },
    /// Store a file in the local store; prints its root
    #[command(
        after_help = "Example:\n  labelmint storage put dataset.zip --store .labelmint/store"
    )]
    Put {
        /// The file
        file: PathBuf,
    },
    /// Fetch a file from the local store, verified against its root
    #[command(after_help = "Example:\n  labelmint storage get 0x… out.zip")]
    Get {
        /// The root
        root: B256,
        /// Output file
        out: PathBuf,
    },
}

/// `labelmint bench-server`.
#[derive(Debug, Args)]
pub struct BenchServerArgs {
    /// Concurrent annotators
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub annotators: usize,
    /// Seconds to run
    #[arg(long, value_name = "S", default_value_t = 10)]
    pub secs: u64,
    /// Tasks per batch
    #[arg(long, value_name = "B", default_value_t = 1)]
    pub batch: usize,
    /// Database URL [default: a SQLite file]
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
}

/// The merged context of an on-chain command.
fn ctx(g: &Global, chain: &ChainOpts, file: &FileConfig) -> Result<Ctx> {
    let addr = |flag: Option<alloy_primitives::Address>, text: &Option<String>, key: &str| {
        flag.map_or_else(
            || {
                text.as_deref()
                    .map(str::parse)
                    .transpose()
                    .with_context(|| format!("labelmint.toml: {key} is not an address"))
            },
            |a| Ok(Some(a)),
        )
    };
    let storage = match (chain.storage, file.storage.as_deref()) {
        (Some(s), _) => s,
        (None, None | Some("local")) => crate::cli::StorageKind::Local,
        (None, Some("0g")) => crate::cli::StorageKind::Zg,
        (None, Some(other)) => {
            bail!("labelmint.toml: storage = {other:?}: use \"local\" or \"0g\"")
        }
    };
    Ok(Ctx {
        rpc: g
            .rpc
            .clone()
            .or_else(|| file.rpc.clone())
            .unwrap_or_else(|| DEFAULT_RPC.into()),
        keystore: g.keystore.clone().or_else(|| file.keystore.clone()),
        deployments: g
            .deployments
            .clone()
            .or_else(|| file.deployments.clone())
            .unwrap_or_else(|| DEFAULT_DEPLOYMENTS.into()),
        store: store_dir(g, file),
        market: addr(chain.market, &file.market, "market")?,
        registry: addr(chain.registry, &file.registry, "registry")?,
        court: addr(chain.court, &file.court, "court")?,
        hub: addr(chain.hub, &file.hub, "hub")?,
        storage,
        zg_node: chain.zg_node.clone().or_else(|| file.zg_node.clone()),
        zg_indexer: chain.zg_indexer.clone().or_else(|| file.zg_indexer.clone()),
    })
}

fn store_dir(g: &Global, file: &FileConfig) -> PathBuf {
    g.store
        .clone()
        .or_else(|| file.store.clone())
        .unwrap_or_else(|| DEFAULT_STORE.into())
}

fn local_store(g: &Global, file: &FileConfig) -> Result<labelmint_storage::LocalStore> {
    let dir = store_dir(g, file);
    labelmint_storage::LocalStore::open(&dir)
        .with_context(|| format!("opening the store {}", dir.display()))
}

/// The contract programs, built first when missing or stale.
fn ensure_programs() -> Result<PathBuf> {
    for lib in [
        "reward_token",
        "annotation_market",
        "annotation_market_ext",
        "dataset_registry",
        "quality_hub",
        "quality_court",
    ] {
        crate::artifacts::program(lib)?;
    }
    Ok(crate::artifacts::artifacts_dir())
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Runs a parsed command line.
#[allow(clippy::too_many_lines)]
pub fn run(cli: Cli) -> Result<()> {
    let file = crate::config::load().hint("fix or remove labelmint.toml (or LABELMINT_CONFIG)")?;
    let g = &cli.global;
    crate::output::set_json(g.json || file.json.unwrap_or(false));
    match cli.command {
        Command::Demo => {
            let text = crate::demo::run()?;
            emit(text.trim_end(), json!({"ok": true, "log": text}));
        }
        Command::Serve(args) => {
            let artifacts = if args.dev {
                ensure_programs()?
            } else {
                crate::artifacts::artifacts_dir()
            };
            let ends = labelmint_server::cli::Endpoints {
                rpc: g.rpc.clone().or_else(|| file.rpc.clone()),
                deployments: g.deployments.clone().or_else(|| file.deployments.clone()),
                store: g.store.clone().or_else(|| file.store.clone()),
            };
            runtime()?.block_on(async {
                let running = labelmint_server::cli::start(&args, &ends, &artifacts).await?;
                if crate::output::json() {
                    crate::output::print_line(json!({
                        "api": running.server.url(),
                        "rpc": running.chain.as_ref().map(|c| c.rpc_url.clone()),
                    }));
                }
                labelmint_server::cli::run_until_signal(running).await
            })?;
        }
        Command::Data(DataCmd::Add { folder }) => {
            let store = local_store(g, &file)?;
            let (manifest, root) = crate::output::with_spinner(
                format!("hashing and storing {}", folder.display()),
                || labelmint_storage::build_manifest(&folder, Some(&store)),
            )?;
            emit(
                root,
                json!({"root": root, "tasks": manifest.tasks.len(), "kind": format!("{:?}", manifest.kind)}),
            );
            eprintln!(
                "{} {:?} tasks; manifest and every item stored and verifiable under their 0G roots; use the root as createJob's dataRoot",
                manifest.tasks.len(),
                manifest.kind
            );
        }
        Command::Export(a) => {
            let store = local_store(g, &file)?;
            let root = crate::export::run(
                &store,
                &a.data_root.to_string(),
                &a.labels,
                a.format.name(),
                &a.out,
            )?;
            let size = std::fs::metadata(&a.out)?.len();
            emit(root, json!({"root": root, "out": a.out, "bytes": size}));
            eprintln!("wrote {} ({size} bytes)", a.out.display());
        }
        Command::Package(a) => {
            let store = local_store(g, &file)?;
            let root = crate::export::package(
                &store,
                &a.data_root.to_string(),
                &a.labels,
                a.format.name(),
                &a.out,
            )?;
            let size = std::fs::metadata(&a.out)?.len();
            emit(root, json!({"root": root, "out": a.out, "bytes": size}));
            eprintln!(
                "wrote {} ({size} bytes); publish this root in the DatasetRegistry",
                a.out.display()
            );
        }
        Command::Storage(StorageCmd::Root { file: path }) => {
            let started = std::time::Instant::now();
            let size = std::fs::metadata(&path)
                .with_context(|| format!("reading {}", path.display()))?
                .len();
            let root = crate::output::with_spinner(format!("hashing {size} bytes"), || {
                labelmint_storage::root_of_file(&path)
            })?;
            let segments = labelmint_storage::segments(size);
            emit(
                root,
                json!({"root": root, "bytes": size, "segments": segments}),
            );
            eprintln!(
                "{size} bytes, {segments} segments, {:.2} s",
                started.elapsed().as_secs_f64()
            );
        }
        Command::Storage(StorageCmd::Put { file: path }) => {
            let store = local_store(g, &file)?;
            let size = std::fs::metadata(&path)
                .with_context(|| format!("reading {}", path.display()))?
                .len();
            let bar = crate::output::bar(size, format!("storing {}", path.display()), true);
            let root = store.put_file_with(&path, |n| bar.set_position(n));
            bar.finish_and_clear();
            let root = root?;
            emit(root, json!({"root": root, "bytes": size}));
        }
        Command::Storage(StorageCmd::Get { root, out }) => {
            let store = local_store(g, &file)?;
            let bar = crate::output::bar(
                store.stored_size(&root).unwrap_or(0),
                format!("reading {root}"),
                true,
            );
            let data = store.get_with(&root, |n| bar.set_position(n));
            bar.finish_and_clear();
            let data = data?;
            std::fs::write(&out, &data).with_context(|| format!("writing {}", out.display()))?;
            if crate::output::json() {
                emit("", json!({"root": root, "bytes": data.len(), "out": out}));
            }
            eprintln!("{} bytes verified against {root}", data.len());
        }
        Command::Job { chain, cmd } => crate::cli::job_cmd(&ctx(g, &chain, &file)?, &cmd)?,
        Command::Arbiter { chain, cmd } => {
            crate::cli::arbiter_cmd(&ctx(g, &chain, &file)?, &cmd)?;
        }
        Command::Task { chain, cmd } => crate::cli::task_cmd(&ctx(g, &chain, &file)?, &cmd)?,
        Command::Review { chain, cmd } => crate::cli::review_cmd(&ctx(g, &chain, &file)?, &cmd)?,
        Command::Audit { chain, job } => crate::cli::audit_cmd(&ctx(g, &chain, &file)?, job)?,
        Command::Dataset { chain, cmd } => {
            crate::cli::dataset_cmd(&ctx(g, &chain, &file)?, &cmd)?;
        }
        Command::Finetune { chain, cmd } => {
            crate::cli::finetune_cmd(&ctx(g, &chain, &file)?, &cmd)?;
        }
        Command::Court { chain, cmd } => crate::cli::court::run(&ctx(g, &chain, &file)?, &cmd)?,
        Command::Hub { chain, cmd } => crate::cli::hub::run(&ctx(g, &chain, &file)?, &cmd)?,
        Command::Token { chain, cmd } => crate::cli::token::run(&ctx(g, &chain, &file)?, &cmd)?,
        Command::Timelock { chain, cmd } => {
            crate::cli::timelock::run(&ctx(g, &chain, &file)?, &cmd)?;
        }
        Command::Quality(cmd) => crate::quality_cmd::quality(&cmd)?,
        Command::Import(cmd) => crate::quality_cmd::import(&cmd, &store_dir(g, &file))?,
        Command::GasSnapshot { check } => gas_snapshot(check)?,
        Command::BenchMarket => {
            let table = crate::market::bench_table()?;
            emit(table.trim_end(), json!({"table": table}));
        }
        Command::BenchAttacks => bench_attacks()?,
        Command::BenchModes => {
            let table = crate::output::with_spinner(
                "running one job of each mode on the embedded chain",
                crate::modes::bench_table,
            )?;
            emit(table.trim_end(), json!({"table": table}));
        }
        Command::BenchExport { out, images } => {
            let secs = crate::export::bench(images, &out)?;
            let size = std::fs::metadata(&out)?.len();
            emit(
                format!(
                    "COCO export: {images} images, {} annotations, {size} bytes in {secs:.2} s",
                    u64::from(images) * 3
                ),
                json!({"images": images, "annotations": u64::from(images) * 3, "bytes": size, "seconds": secs}),
            );
        }
        Command::BenchQuality { tasks } => {
            let b = crate::output::with_spinner(
                format!("Dawid–Skene on {tasks} tasks × 5 annotators × 10 classes"),
                || crate::quality::bench_dawid_skene(tasks, 5, 10),
            );
            emit(
                format!(
                    "Dawid-Skene: {tasks} tasks x 5 annotators x 10 classes ({} answers): {} EM iterations (converged: {}) in {:.2} s; accuracy {:.4} (majority vote {:.4})",
                    b.answers, b.iterations, b.converged, b.seconds, b.ds_accuracy, b.mv_accuracy
                ),
                json!({"tasks": tasks, "answers": b.answers, "iterations": b.iterations, "converged": b.converged,
                       "seconds": b.seconds, "dsAccuracy": b.ds_accuracy, "mvAccuracy": b.mv_accuracy}),
            );
        }
        Command::BenchServer(a) => {
            let opts = labelmint_server::bench::BenchOptions {
                annotators: a.annotators.max(1),
                secs: a.secs,
                batch: a.batch,
                database: a.database,
            };
            let artifacts = ensure_programs()?;
            let report = runtime()?.block_on(labelmint_server::bench::run(&opts, &artifacts))?;
            emit(
                format!(
                    "{}\n{}",
                    labelmint_server::bench::BenchReport::header(),
                    report.row()
                ),
                json!({"header": labelmint_server::bench::BenchReport::header(), "row": report.row(), "refused": report.refused}),
            );
            eprintln!(
                "{} requests refused; lost and duplicated must be 0",
                report.refused
            );
            if report.lost > 0 || report.duplicated > 0 {
                bail!(
                    "{} accepted submissions lost and {} batches duplicated: the outbox broke its promise",
                    report.lost,
                    report.duplicated
                );
            }
        }
        Command::Simulate => {
            let table = crate::sim::table(7)?;
            emit(table.trim_end(), json!({"table": table}));
        }
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "labelmint", &mut script);
            crate::output::print_bytes(&script);
        }
    }
    Ok(())
}

fn gas_snapshot(check: bool) -> Result<()> {
    let text = crate::gas::render(&crate::gas::measure()?);
    let path = crate::artifacts::workspace_root().join(".gas-snapshot");
    if !check {
        std::fs::write(&path, &text)?;
        emit(
            format!("{}wrote {}", text, path.display()),
            json!({"entries": text.lines().count(), "path": path}),
        );
        return Ok(());
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed == text {
        emit(
            format!(
                ".gas-snapshot is current ({} entries)",
                text.lines().count()
            ),
            json!({"current": true, "entries": text.lines().count()}),
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
    Err(anyhow::anyhow!(".gas-snapshot is out of date"))
        .hint("run `cargo run --release -p labelmint -- gas-snapshot` and commit .gas-snapshot")
}

fn bench_attacks() -> Result<()> {
    use std::fmt::Write as _;
    let mut rows = Vec::new();
    let mut text = String::from("| tasks | maxHeld | attacker addresses | garbage flood (attacker gas) | bulk reject + settle (creator gas) | of which settle | claim flood per claim duration (attacker gas) | gas spent releasing expired claims |\n|---:|---:|---:|---:|---:|---:|---:|---:|");
    for max_held in [64u16, 256] {
        let c = crate::market::lock_attack_costs(1000, max_held)?;
        let _ = write!(
            text,
            "\n| {} | {} | {} | {} | {} | {} | {} | {} |",
            c.tasks,
            c.max_held,
            c.addresses,
            c.attacker_submit,
            c.creator_undo,
            c.creator_settle,
            c.attacker_claims,
            c.claim_release
        );
        rows.push(json!({
            "tasks": c.tasks, "maxHeld": c.max_held, "addresses": c.addresses,
            "attackerSubmit": c.attacker_submit, "creatorUndo": c.creator_undo,
            "creatorSettle": c.creator_settle, "attackerClaims": c.attacker_claims,
            "claimRelease": c.claim_release,
        }));
    }
    emit(text, json!({"rows": rows}));
    Ok(())
}

/// The subcommand path of parsed arguments (`job create`), for hints.
pub fn command_path(matches: &clap::ArgMatches) -> String {
    let mut path = Vec::new();
    let mut cur = matches;
    while let Some((name, sub)) = cur.subcommand() {
        path.push(name);
        cur = sub;
    }
    path.join(" ")
}

/// The one-line message and the hint `main` prints for `e`.
pub fn describe(e: &anyhow::Error, path: &str) -> (String, String) {
    let message = format!("{e:#}").replace('\n', " ");
    if let Some(h) = e
        .chain()
        .find_map(|c| c.downcast_ref::<crate::output::Hinted>())
    {
        return (message, h.hint.clone());
    }
    let hint = if message.contains("wasm32-unknown-unknown") {
        "run `rustup target add wasm32-unknown-unknown`, then retry".to_string()
    } else if message.contains("LABELMINT_KEYSTORE_PASSWORD") {
        "set LABELMINT_KEYSTORE_PASSWORD, or run from a terminal to be asked".to_string()
    } else {
        format!("see `labelmint {path} --help`")
    };
    (message, hint)
}
