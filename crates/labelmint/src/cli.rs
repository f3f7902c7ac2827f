//! The on-chain subcommands of `labelmint`: what a creator, an annotator and
//! a buyer run against a Stylus chain over JSON-RPC.
//!
//! Defaults: the local chain at `http://127.0.0.1:8547` (`labelmint-node`),
//! contract addresses from `deployments/<chainId>.json` (written by
//! `labelmint-deploy`), the local store `.labelmint/store`. The key comes from
//! `LABELMINT_PRIVATE_KEY` or `--keystore FILE` (password in
//! `LABELMINT_KEYSTORE_PASSWORD`). `--storage 0g --zg-node URL
//! [--zg-indexer URL]` puts and gets payloads on 0G instead.
//!
//! The clap subcommand enums live next to their implementations here
//! ([`JobCmd`], [`TaskCmd`], …); [`crate::cmd`] assembles the tree.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    time::Duration,
};

pub mod court;
pub mod hub;
pub mod timelock;
pub mod token;

use alloy_network::EthereumWallet;
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_provider::{DynProvider, Provider, ProviderBuilder};
use alloy_rpc_types_eth::{Filter, TransactionRequest};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolEvent};
use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use labelmint_quality::audit::{audit, AuditConfig, BatchFile, JobKind, OnChainBatch, TaskLabel};
use labelmint_zg::Storage;
use serde_json::json;

use crate::{
    market::{unpack_tasks, IMarket},
    output::{emit, emit_value, WithHint},
    registry::IRegistry,
};

/// The default JSON-RPC endpoint (a `labelmint-node` node).
pub const DEFAULT_RPC: &str = "http://127.0.0.1:8547";
/// The default local store.
pub const DEFAULT_STORE: &str = ".labelmint/store";
/// The default deployments folder.
pub const DEFAULT_DEPLOYMENTS: &str = "deployments";

/// Where payloads are stored and fetched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum StorageKind {
    /// The local content-addressed store (`--store`).
    #[default]
    Local,
    /// 0G Storage (`--zg-node`, `--zg-indexer`).
    #[value(name = "0g")]
    Zg,
}

/// Options of the on-chain commands (accepted anywhere after the command).
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "Chain options")]
pub struct ChainOpts {
    /// AnnotationMarket address [default: from the deployments manifest]
    #[arg(long, global = true, value_name = "ADDR", env = "LABELMINT_MARKET")]
    pub market: Option<Address>,
    /// DatasetRegistry address [default: from the deployments manifest]
    #[arg(long, global = true, value_name = "ADDR", env = "LABELMINT_REGISTRY")]
    pub registry: Option<Address>,
    /// QualityCourt address [default: from the deployments manifest]
    #[arg(long, global = true, value_name = "ADDR", env = "LABELMINT_COURT")]
    pub court: Option<Address>,
    /// QualityHub address [default: from the deployments manifest]
    #[arg(long, global = true, value_name = "ADDR", env = "LABELMINT_HUB")]
    pub hub: Option<Address>,
    /// Where batch payloads and datasets are stored [default: local]
    #[arg(long, global = true, value_enum, env = "LABELMINT_STORAGE")]
    pub storage: Option<StorageKind>,
    /// 0G storage node URL (with --storage 0g)
    #[arg(long, global = true, value_name = "URL", env = "LABELMINT_ZG_NODE")]
    pub zg_node: Option<String>,
    /// 0G indexer URL (with --storage 0g)
    #[arg(long, global = true, value_name = "URL", env = "LABELMINT_ZG_INDEXER")]
    pub zg_indexer: Option<String>,
}

/// What an on-chain command runs with: the global options, the on-chain
/// options and `labelmint.toml`, merged (flags > environment > file >
/// defaults).
#[derive(Clone, Debug)]
pub struct Ctx {
    /// JSON-RPC URL.
    pub rpc: String,
    /// Keystore file (else `LABELMINT_PRIVATE_KEY`).
    pub keystore: Option<PathBuf>,
    /// Deployments folder.
    pub deployments: PathBuf,
    /// Local store folder.
    pub store: PathBuf,
    /// AnnotationMarket override.
    pub market: Option<Address>,
    /// DatasetRegistry override.
    pub registry: Option<Address>,
    /// QualityCourt override.
    pub court: Option<Address>,
    /// QualityHub override.
    pub hub: Option<Address>,
    /// Storage backend.
    pub storage: StorageKind,
    /// 0G storage node.
    pub zg_node: Option<String>,
    /// 0G indexer.
    pub zg_indexer: Option<String>,
}

impl Default for Ctx {
    fn default() -> Self {
        Self {
            rpc: DEFAULT_RPC.into(),
            keystore: None,
            deployments: DEFAULT_DEPLOYMENTS.into(),
            store: DEFAULT_STORE.into(),
            market: None,
            registry: None,
            court: None,
            hub: None,
            storage: StorageKind::Local,
            zg_node: None,
            zg_indexer: None,
        }
    }
}

/// The program that ran a dataset's source job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum JobSource {
    /// The AnnotationMarket (creator review).
    Market,
    /// The QualityHub (consensus with stakes).
    Hub,
    /// The QualityCourt (an oracle's result, disputable).
    Court,
}

impl JobSource {
    /// Its address on the connected deployment.
    fn address(self, c: &Chain) -> Result<Address> {
        let a = match self {
            Self::Market => c.market,
            Self::Hub => c.hub,
            Self::Court => c.court,
        };
        if a.is_zero() {
            bail!("this deployment has no {self:?} program");
        }
        Ok(a)
    }

    /// The source name of `address` on the connected deployment.
    fn of(c: &Chain, address: Address) -> Option<Self> {
        [Self::Market, Self::Hub, Self::Court]
            .into_iter()
            .find(|s| s.address(c).is_ok_and(|a| a == address))
    }

    fn name(self) -> &'static str {
        match self {
            Self::Market => "market",
            Self::Hub => "hub",
            Self::Court => "court",
        }
    }
}

/// Formats of `export`, `package`, `job export` and `dataset publish`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// COCO JSON (image jobs).
    Coco,
    /// Chat-style JSONL (text jobs).
    JsonlChat,
    /// Instruction-style JSONL (text jobs).
    JsonlInstruction,
    /// Completion-style JSONL (text jobs).
    JsonlCompletion,
}

impl ExportFormat {
    /// The format's name as the exporter and the registry know it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Coco => "coco",
            Self::JsonlChat => "jsonl-chat",
            Self::JsonlInstruction => "jsonl-instruction",
            Self::JsonlCompletion => "jsonl-completion",
        }
    }

    /// The DatasetRegistry's format code.
    pub fn code(self) -> u8 {
        match self {
            Self::Coco => 0,
            Self::JsonlChat => 1,
            Self::JsonlInstruction => 2,
            Self::JsonlCompletion => 3,
        }
    }
}

/// Label schemas of a review-mode job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Schema {
    /// One class per task (2..=256 classes).
    Categorical,
    /// Bounding boxes (committed by root).
    Bbox,
    /// Polygons (committed by root).
    Polygon,
    /// Free text (committed by hash).
    Text,
}

impl Schema {
    fn code(self) -> u8 {
        match self {
            Self::Categorical => 0,
            Self::Bbox => 1,
            Self::Polygon => 2,
            Self::Text => 3,
        }
    }
}

/// `labelmint job …`.
#[derive(Debug, Subcommand)]
pub enum JobCmd {
    /// Escrow a job in a quality mode (review, majority, weighted, expert, optimistic); prints the job id
    #[command(after_help = "Examples:
  labelmint arbiter register --fee 1000 --bond 2000        # an expert offers terms first (prints the terms id)
  labelmint job create --data-root 0x… --tasks 12 --reward 1000000000000000 --terms 1 --classes 3
  labelmint job create --schema bbox --data-root 0x… --tasks 100 --reward 10000 --terms 1 --max-held 16
  labelmint job create --data-root 0x… --tasks 100 --reward 1000 --terms 1 --classes 3 --difficulty 80:1,100:4
  labelmint job create --mode majority --data-root 0x… --tasks 40 --classes 3 --reward 1000 --terms 2 \\
      --gold 0:1,10:2,20:0,30:1 --gold-key gold.json
  labelmint job create --mode weighted --oracle 0x… --data-root 0x… --tasks 100 --reward 1000 --terms 1
  labelmint job create --mode expert --oracle 0x<expert> --data-root 0x… --tasks 100 --reward 1000 --terms 1
  labelmint job create --mode optimistic --oracle 0x… --audit-bps 2500 --seed-file seed.json \\
      --data-root 0x… --tasks 100 --reward 1000 --terms 1

Modes (the README's mode table has their gas per label, latency to payment and who can cheat how):
  review      the creator approves or rejects each batch (AnnotationMarket, ETH, one annotator per task)
  majority    commit-reveal votes with stakes and gold; the arbiter rules ties (QualityHub, RewardToken)
  weighted    an oracle posts the reputation-weighted vote (labelmint court payouts --votes --reputations hub),
              disputable before the arbiter (QualityCourt, ETH)
  expert      a named expert (--oracle) posts verdicts and payouts, disputable (QualityCourt, ETH)
  optimistic  an oracle's results, --audit-bps of them audited by your committed seed (QualityCourt, ETH)
--reward is per label (per vote with --k votes per task). --terms: arbiter terms in the job's currency.
Court modes escrow reward × tasks × k plus one arbiter fee (reserved while a result can be disputed).
The data root comes from `labelmint data add FOLDER`.")]
    Create(JobCreate),
    /// A job's terms and progress (JSON)
    #[command(after_help = "Example:\n  labelmint job status 1")]
    Status {
        /// Job id
        job: U256,
    },
    /// Export a categorical text job: the majority of approved votes as JSONL; prints the file's 0G root
    #[command(after_help = "Example:
  labelmint job export 1 --format jsonl-chat --classes positive,negative,neutral --out sentiment.jsonl")]
    Export(JobExport),
}

/// `labelmint job create`.
#[derive(Debug, Args)]
pub struct JobCreate {
    /// Quality mode: who decides which labels are paid, and so which program runs the job
    #[arg(long, value_enum, default_value = "review")]
    pub mode: crate::modes::QualityMode,
    /// Votes per task (majority: at least 3) [default: 3 for majority and weighted, else 1]
    #[arg(long, value_name = "K")]
    pub k: Option<u8>,
    /// majority: stake locked per vote, RewardToken wei [default: 3 × reward]
    #[arg(long, value_name = "WEI")]
    pub stake: Option<u128>,
    /// majority: gold tasks TASK:CLASS, comma-separated (at least one task in ten)
    #[arg(long, value_name = "T:C,...", value_delimiter = ',')]
    pub gold: Vec<String>,
    /// majority: where to write the gold key (must not exist)
    #[arg(long, value_name = "FILE")]
    pub gold_key: Option<PathBuf>,
    /// Difficulty classes END:WEIGHT (see `labelmint hub create --help`): a task of weight w escrows and pays
    /// w × the reward per label and counts w royalty shares (review and majority: on chain; weighted,
    /// expert, optimistic: in the oracle's `court payouts --difficulty`)
    #[arg(long, value_name = "END:W,...", value_delimiter = ',')]
    pub difficulty: Vec<String>,
    /// weighted, expert, optimistic: the account that posts results (the expert in expert mode)
    #[arg(long, value_name = "ADDR")]
    pub oracle: Option<Address>,
    /// optimistic: share of results audited, in basis points (needs --seed-file)
    #[arg(long, value_name = "BPS")]
    pub audit_bps: Option<u16>,
    /// optimistic: where the audit secret is written (0600, never overwritten)
    #[arg(long, value_name = "FILE")]
    pub seed_file: Option<PathBuf>,
    /// Root of the task manifest (`labelmint data add`)
    #[arg(long, value_name = "ROOT")]
    pub data_root: B256,
    /// Number of tasks
    #[arg(long, value_name = "N")]
    pub tasks: u32,
    /// Reward per label in wei (a review task has one label; the other modes pay each of its --k labels)
    #[arg(long, value_name = "WEI")]
    pub reward: u128,
    /// Arbiter terms id (`labelmint arbiter register`)
    #[arg(long, value_name = "ID")]
    pub terms: u32,
    /// Label schema
    #[arg(long, value_enum, default_value = "categorical")]
    pub schema: Schema,
    /// Number of classes [default: 2 for categorical, else 0]
    #[arg(long, value_name = "C")]
    pub classes: Option<u16>,
    /// Seconds a claim lasts
    #[arg(long, value_name = "S", default_value_t = 1_800)]
    pub claim_secs: u32,
    /// Submission deadline, seconds from now
    #[arg(long, value_name = "S", default_value_t = 7 * 86_400)]
    pub deadline_secs: u64,
    /// Review window in seconds
    #[arg(long, value_name = "S", default_value_t = 86_400)]
    pub review_secs: u32,
    /// Most tasks one annotator may hold at once
    #[arg(long, value_name = "M", default_value_t = 256)]
    pub max_held: u16,
    /// Metadata hash
    #[arg(long, value_name = "H")]
    pub metadata: Option<B256>,
}

/// `labelmint job export`.
#[derive(Debug, Args)]
pub struct JobExport {
    /// Job id
    pub job: U256,
    /// JSONL schema
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Class names in class order, comma-separated
    #[arg(long, value_name = "A,B,...", value_delimiter = ',', required = true)]
    pub classes: Vec<String>,
    /// Instruction text of each record
    #[arg(long, value_name = "TEXT", default_value = "Classify the text.")]
    pub instruction: String,
    /// Output file
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `labelmint arbiter …`.
#[derive(Debug, Subcommand)]
pub enum ArbiterCmd {
    /// Offer to arbitrate disputes on your terms; prints the terms id
    #[command(
        after_help = "Example:\n  labelmint arbiter register --fee 1000000000000000 --bond 2000000000000000 --dispute-secs 86400"
    )]
    Register {
        /// Fee token [default: ETH]
        #[arg(long, value_name = "ADDR")]
        token: Option<Address>,
        /// Fee per dispute in wei
        #[arg(long, value_name = "WEI")]
        fee: u128,
        /// Dispute bond in wei (at least the fee)
        #[arg(long, value_name = "WEI")]
        bond: u128,
        /// Dispute window in seconds
        #[arg(long, value_name = "S", default_value_t = 2 * 86_400)]
        dispute_secs: u32,
        /// Ruling window in seconds
        #[arg(long, value_name = "S", default_value_t = 3 * 86_400)]
        ruling_secs: u32,
    },
}

/// `labelmint task …`.
#[derive(Debug, Subcommand)]
pub enum TaskCmd {
    /// Reserve tasks of a job for its claim duration
    #[command(after_help = "Example:\n  labelmint task claim 1 0,1,2")]
    Claim {
        /// Job id
        job: U256,
        /// Task ids, comma-separated, ascending
        #[arg(value_name = "T1,T2,...")]
        tasks: String,
    },
    /// Submit a batch of labels (or sign it for a relayer with --sign-only)
    #[command(after_help = "Examples:
  labelmint task submit 1 --batch batch.json                       # {\"tasks\": [0,1], \"labels\": [2,0]}
  labelmint task submit 1 --batch boxes.json                       # {\"tasks\": [0], \"labels\": [{\"shapes\": [...]}]}
  labelmint task submit 1 --batch batch.json --sign-only signed.json   # then: labelmint task relay signed.json")]
    Submit {
        /// Job id
        job: U256,
        /// Batch file: {"tasks": [...], "labels": [...]}
        #[arg(long, value_name = "FILE")]
        batch: PathBuf,
        /// Only sign (EIP-712) and write the signed batch here
        #[arg(long, value_name = "OUT")]
        sign_only: Option<PathBuf>,
    },
    /// Submit someone's signed batch, paying the gas
    #[command(after_help = "Example:\n  labelmint task relay signed.json")]
    Relay {
        /// Signed batch file (from task submit --sign-only)
        file: PathBuf,
    },
}

/// `labelmint review …`.
#[derive(Debug, Subcommand)]
pub enum ReviewCmd {
    /// Approve batches (pays the annotators)
    #[command(after_help = "Example:\n  labelmint review approve 1 2,3,4")]
    Approve {
        /// Job id
        job: U256,
        /// Batch ids, comma-separated
        #[arg(value_name = "B1,B2,...")]
        batches: String,
    },
    /// Reject tasks of one batch (the rest is approved), depositing the arbiter's fee
    #[command(after_help = "Example:\n  labelmint review reject 1 1 --tasks 3,5 --reason 2")]
    Reject {
        /// Job id
        job: U256,
        /// Batch id
        batch: U256,
        /// Rejected task ids, comma-separated
        #[arg(long, value_name = "T1,T2,...")]
        tasks: String,
        /// Reason code (non-zero)
        #[arg(long, value_name = "N", default_value_t = 1)]
        reason: u8,
    },
    /// Dispute a rejection (the annotator, bonding the job's dispute bond)
    #[command(after_help = "Example:\n  labelmint review dispute 1 1")]
    Dispute {
        /// Job id
        job: U256,
        /// Batch id
        batch: U256,
    },
    /// Rule on a disputed rejection (the job's arbiter)
    #[command(
        group = clap::ArgGroup::new("verdict").required(true).args(["overturn", "uphold"]),
        after_help = "Examples:\n  labelmint review rule 1 1 --overturn\n  labelmint review rule 1 1 --uphold"
    )]
    Rule {
        /// Job id
        job: U256,
        /// Batch id
        batch: U256,
        /// The annotator was right: pay the tasks
        #[arg(long)]
        overturn: bool,
        /// The creator was right: the tasks reopen
        #[arg(long)]
        uphold: bool,
    },
    /// Settle rejections whose dispute or ruling window has passed (anyone)
    #[command(after_help = "Example:\n  labelmint review settle 1 1,2")]
    Settle {
        /// Job id
        job: U256,
        /// Batch ids, comma-separated
        #[arg(value_name = "B1,B2,...")]
        batches: String,
    },
}

/// `labelmint dataset …`.
#[derive(Debug, Subcommand)]
pub enum DatasetCmd {
    /// Publish a dataset package in the DatasetRegistry; prints the dataset id
    #[command(after_help = "Example:
  labelmint package 0x<dataRoot> --labels labels.json --format coco --out ds.zip   # prints the package root
  labelmint storage put ds.zip
  labelmint dataset publish --root 0x<packageRoot> --job 1 --format coco --price 5000")]
    Publish {
        /// The package's 0G root
        #[arg(long, value_name = "R")]
        root: B256,
        /// Source job (provenance; its annotators earn royalties) [default: external dataset]
        #[arg(long, value_name = "J")]
        job: Option<U256>,
        /// The program that ran --job: the market (review jobs), the hub (consensus jobs) or the court
        #[arg(long, value_enum, default_value = "market", requires = "job")]
        source: JobSource,
        /// Dataset format
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Licence price in wei
        #[arg(long, value_name = "WEI")]
        price: u128,
        /// Metadata hash
        #[arg(long, value_name = "H")]
        metadata: Option<B256>,
        /// Previous version's dataset id
        #[arg(long, value_name = "ID")]
        previous: Option<U256>,
    },
    /// Buy a licence (ETH-priced datasets)
    #[command(
        after_help = "Examples:\n  labelmint dataset buy 1\n  labelmint dataset buy 1 --for 0x…"
    )]
    Buy {
        /// Dataset id
        dataset: U256,
        /// Licensee [default: the signer]
        #[arg(long = "for", value_name = "ADDR")]
        licensee: Option<Address>,
    },
    /// What you can withdraw from the registry: each sold dataset's job pool (royalties, or a creator's sale proceeds) and credits
    #[command(
        after_help = "Examples:\n  labelmint dataset royalties\n  labelmint dataset royalties --account 0x…"
    )]
    Royalties {
        /// Whose [default: the signer]
        #[arg(long, value_name = "ADDR")]
        account: Option<Address>,
    },
    /// Withdraw your royalties (or, as the job's creator, sale proceeds) from one job's pool
    #[command(after_help = "Examples:
  labelmint dataset withdraw-royalties --job 1
  labelmint dataset withdraw-royalties --job 2 --source hub --token 0x…LMR --to 0x…")]
    WithdrawRoyalties {
        /// The source job
        #[arg(long, value_name = "J")]
        job: U256,
        /// The program that ran it
        #[arg(long, value_enum, default_value = "market")]
        source: JobSource,
        /// The currency the datasets were sold in [default: ETH]
        #[arg(long, value_name = "ADDR", default_value_t = Address::ZERO)]
        token: Address,
        /// Where to [default: the signer]
        #[arg(long, value_name = "ADDR")]
        to: Option<Address>,
    },
    /// Download a dataset, verified against the root the registry records
    #[command(after_help = "Example:\n  labelmint dataset download 1 --out ds.zip")]
    Download {
        /// Dataset id
        dataset: U256,
        /// Output file
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Size in bytes (binds trailing bytes the root alone does not)
        #[arg(long, value_name = "BYTES")]
        size: Option<u64>,
    },
}

/// The fine-tuning provider of `labelmint finetune …`.
#[derive(Debug, Args)]
pub struct ProviderOpts {
    /// The 0G fine-tuning provider (broker) URL
    #[arg(long, value_name = "URL", env = "LABELMINT_FINETUNE_PROVIDER")]
    pub provider: String,
}

/// `labelmint finetune …`.
#[derive(Debug, Subcommand)]
pub enum FinetuneCmd {
    /// The provider's models
    #[command(
        after_help = "Example:\n  labelmint finetune models --provider http://127.0.0.1:3080"
    )]
    Models {
        /// Provider.
        #[command(flatten)]
        provider: ProviderOpts,
    },
    /// Start fine-tuning on a licensed dataset; prints the task id
    #[command(after_help = "Example:
  labelmint finetune start --provider URL --dataset 1 --model Qwen2.5-0.5B-Instruct --fee 1000 --params '{\"num_train_epochs\": 3}'")]
    Start {
        /// Provider.
        #[command(flatten)]
        provider: ProviderOpts,
        /// Dataset id (you need a licence)
        #[arg(long, value_name = "ID")]
        dataset: U256,
        /// Model name (see finetune models)
        #[arg(long, value_name = "NAME")]
        model: String,
        /// Fee in wei
        #[arg(long, value_name = "WEI")]
        fee: U256,
        /// Training parameters (JSON)
        #[arg(
            long,
            value_name = "JSON",
            default_value = r#"{"num_train_epochs": 3}"#
        )]
        params: String,
        /// Request nonce [default: the clock in ms]
        #[arg(long, value_name = "N")]
        nonce: Option<U256>,
    },
    /// A fine-tuning task's state (JSON)
    #[command(after_help = "Example:\n  labelmint finetune status task-1 --provider URL --wait")]
    Status {
        /// Provider.
        #[command(flatten)]
        provider: ProviderOpts,
        /// Task id
        task: String,
        /// Wait until the model is delivered
        #[arg(long)]
        wait: bool,
        /// Poll interval with --wait, in ms
        #[arg(long, value_name = "N", default_value_t = 5_000)]
        poll_ms: u64,
    },
    /// Download the fine-tuned model
    #[command(
        after_help = "Example:\n  labelmint finetune download task-1 --provider URL --out model.bin --expect-root 0x…"
    )]
    Download {
        /// Provider.
        #[command(flatten)]
        provider: ProviderOpts,
        /// Task id
        task: String,
        /// Output file
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The root you expect (without it the bytes are not verified against anything you trust)
        #[arg(long, value_name = "R")]
        expect_root: Option<B256>,
        /// Size in bytes
        #[arg(long, value_name = "BYTES")]
        size: Option<u64>,
    },
}

/// Comma-separated task or batch ids (at least one).
fn ids<T: std::str::FromStr>(text: &str) -> Result<Vec<T>> {
    let list: Vec<T> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| anyhow!("not an id: {s}")))
        .collect::<Result<_>>()?;
    if list.is_empty() {
        bail!("no id in {text:?}: give one or more, comma-separated");
    }
    Ok(list)
}

/// Creates `path` for writing, failing if anything exists there (no
/// following of a planted symlink), readable and writable by the owner
/// only (0600 on Unix): for secrets and for files in shared folders.
pub fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// A new private file (see [`create_private`]) in the system's temporary
/// folder, under a name no one can claim first; returns its path and handle.
pub fn private_temp_file(prefix: &str) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = std::env::temp_dir();
    for _ in 0..64 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = dir.join(format!(
            "{prefix}-{}-{n}-{:x}.json",
            std::process::id(),
            keccak_u64(nanos, n)
        ));
        match create_private(&path) {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free temporary file name"))
}

/// 64 bits of keccak over the clock and a counter: a name nobody guesses
/// from the process id alone.
fn keccak_u64(nanos: u128, n: u64) -> u64 {
    let mut buf = nanos.to_be_bytes().to_vec();
    buf.extend_from_slice(&n.to_be_bytes());
    let h = alloy_primitives::keccak256(buf);
    u64::from_be_bytes(h[..8].try_into().unwrap_or_default())
}

/// A connection to the chain with a signer and the contract addresses.
pub struct Chain {
    provider: DynProvider,
    /// The signer's address.
    pub from: Address,
    signer: PrivateKeySigner,
    /// Chain id.
    pub chain_id: u64,
    /// AnnotationMarket address.
    pub market: Address,
    /// DatasetRegistry address.
    pub registry: Address,
    /// QualityCourt address (zero when the deployment has none).
    pub court: Address,
    /// QualityHub address (zero when the deployment has none).
    pub hub: Address,
    rt: tokio::runtime::Runtime,
}

impl Chain {
    /// Connects with the options in `ctx`.
    pub fn connect(ctx: &Ctx) -> Result<Self> {
        let rpc = ctx.rpc.as_str();
        let signer = labelmint_deploy::load_signer(ctx.keystore.as_deref())
            .context("signing key")
            .hint("export LABELMINT_PRIVATE_KEY=0x… (labelmint-node prints its dev keys when it starts), or pass --keystore FILE")?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let url: url::Url = rpc.parse().with_context(|| format!("--rpc {rpc}"))?;
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer.clone()))
            .connect_http(url)
            .erased();
        let node_hint = "start a node (`cargo run -p labelmint-node`) or pass --rpc URL";
        let chain_id = rt
            .block_on(async {
                tokio::time::timeout(Duration::from_secs(10), provider.get_chain_id()).await
            })
            .map_err(|_| anyhow!("{rpc} did not answer within 10 s (is labelmint-node running?)"))
            .hint(node_hint)?
            .with_context(|| format!("{rpc} is unreachable"))
            .hint(node_hint)?;
        let manifest = labelmint_deploy::read_manifest(&ctx.deployments, chain_id);
        let address = |given: Option<Address>, flag: &str, name: &str| -> Result<Address> {
            if let Some(v) = given {
                return Ok(v);
            }
            manifest
                .contracts
                .get(name)
                .map(|d| d.address)
                .ok_or_else(|| {
                    anyhow!(
                        "no {name} for chain {chain_id} in {}",
                        ctx.deployments.display()
                    )
                })
                .hint(format!(
                    "run labelmint-deploy, pass --deployments DIR, or pass --{flag} ADDR"
                ))
        };
        Ok(Self {
            from: signer.address(),
            market: address(ctx.market, "market", "AnnotationMarket")?,
            registry: address(ctx.registry, "registry", "DatasetRegistry").unwrap_or(Address::ZERO),
            court: address(ctx.court, "court", "QualityCourt").unwrap_or(Address::ZERO),
            hub: address(ctx.hub, "hub", "QualityHub").unwrap_or(Address::ZERO),
            provider,
            signer,
            chain_id,
            rt,
        })
    }

    /// Reads a view.
    pub fn call<C: SolCall>(&self, to: Address, call: &C) -> Result<C::Return> {
        let tx = TransactionRequest::default()
            .to(to)
            .input(call.abi_encode().into());
        let out = self
            .rt
            .block_on(async { self.provider.call(tx).await })
            .map_err(|e| {
                anyhow!(explain(
                    &e.to_string(),
                    e.as_error_resp()
                        .and_then(alloy_json_rpc::ErrorPayload::as_revert_data)
                ))
            })?;
        C::abi_decode_returns(&out).map_err(|e| anyhow!("cannot decode {}: {e}", C::SIGNATURE))
    }

    /// Sends a transaction; fails with the decoded custom error on revert.
    pub fn send<C: SolCall>(
        &self,
        to: Address,
        call: &C,
        value: U256,
    ) -> Result<alloy_rpc_types_eth::TransactionReceipt> {
        let tx = TransactionRequest::default()
            .to(to)
            .input(call.abi_encode().into())
            .value(value);
        let receipt = self.rt.block_on(async {
            let pending = self.provider.send_transaction(tx).await.map_err(|e| {
                anyhow!(
                    "{}: {}",
                    C::SIGNATURE,
                    explain(
                        &e.to_string(),
                        e.as_error_resp()
                            .and_then(alloy_json_rpc::ErrorPayload::as_revert_data)
                    )
                )
            })?;
            pending
                .with_timeout(Some(Duration::from_mins(1)))
                .get_receipt()
                .await
                .map_err(|e| anyhow!("{}: no receipt: {e}", C::SIGNATURE))
        })?;
        if !receipt.status() {
            bail!(
                "{} reverted in block {:?}",
                C::SIGNATURE,
                receipt.block_number
            );
        }
        Ok(receipt)
    }

    fn logs<E: SolEvent>(&self, address: Address, topic1: B256) -> Result<Vec<(E, Option<u64>)>> {
        let filter = Filter::new()
            .address(address)
            .event_signature(E::SIGNATURE_HASH)
            .topic1(topic1)
            .from_block(0u64);
        let logs = self.rt.block_on(self.provider.get_logs(&filter))?;
        logs.iter()
            .map(|l| {
                Ok((
                    E::decode_log(&l.inner)
                        .map_err(|e| anyhow!("bad {} log: {e}", E::SIGNATURE))?
                        .data,
                    l.block_number,
                ))
            })
            .collect()
    }

    /// The latest block's timestamp (deadlines are in chain time).
    pub fn now(&self) -> Result<u64> {
        self.timestamp(alloy_rpc_types_eth::BlockNumberOrTag::Latest)
    }

    fn block_time(&self, block: u64) -> Result<u64> {
        self.timestamp(block.into())
    }

    fn timestamp(&self, block: alloy_rpc_types_eth::BlockNumberOrTag) -> Result<u64> {
        let b = self
            .rt
            .block_on(async { self.provider.get_block_by_number(block).await })?
            .ok_or_else(|| anyhow!("block {block} not found"))?;
        Ok(b.header.timestamp)
    }
}

/// A readable reason for an RPC failure: the decoded custom error of any
/// labelmint program when the revert data is one of theirs.
fn explain(text: &str, data: Option<Bytes>) -> String {
    match data {
        Some(d) => labelmint_client::revert::explain(&d),
        None => text.to_string(),
    }
}

/// The storage backend chosen by `--storage`.
fn storage(ctx: &Ctx) -> Result<Box<dyn Storage>> {
    match ctx.storage {
        StorageKind::Local => Ok(Box::new(labelmint_storage::LocalStore::open(&ctx.store)?)),
        StorageKind::Zg => Ok(Box::new(labelmint_zg::ZgStorage::new(
            ctx.zg_node
                .as_deref()
                .ok_or_else(|| anyhow!("--storage 0g needs --zg-node URL"))?,
            ctx.zg_indexer.as_deref(),
            labelmint_zg::Retry::default(),
            labelmint_zg::transfer::UploadOptions::default(),
        )?)),
    }
}

fn kind_of(schema: u8) -> JobKind {
    match schema {
        0 => JobKind::Categorical,
        3 => JobKind::Text,
        _ => JobKind::Geometry,
    }
}

/// One submitted batch as the market's events record it.
struct Submitted {
    batch: OnChainBatch,
    id: U256,
}

/// Every batch of `job`, with claim times from `TasksClaimed`.
fn batches(c: &Chain, job: U256) -> Result<Vec<Submitted>> {
    let topic = B256::from(job);
    let claims = c.logs::<IMarket::TasksClaimed>(c.market, topic)?;
    let mut claimed: Vec<(Address, u64, Vec<u32>)> = Vec::new();
    for (e, block) in claims {
        let at = match block {
            Some(b) => c.block_time(b)?,
            None => 0,
        };
        claimed.push((e.annotator, at, unpack_tasks(&e.tasks)));
    }
    let mut out = Vec::new();
    for (e, _) in c.logs::<IMarket::LabelsSubmitted>(c.market, topic)? {
        let tasks = unpack_tasks(&e.tasks);
        let claimed_at = claimed
            .iter()
            .filter(|(a, at, t)| {
                *a == e.annotator && *at <= e.submittedAt && tasks.iter().all(|x| t.contains(x))
            })
            .map(|(_, at, _)| *at)
            .max();
        out.push(Submitted {
            id: e.batchId,
            batch: OnChainBatch {
                batch_id: e.batchId.saturating_to::<u64>(),
                annotator: e.annotator,
                tasks,
                payload: e.payload.to_vec(),
                submitted_at: e.submittedAt,
                claimed_at,
            },
        });
    }
    Ok(out)
}

/// Per task, the majority class of the job's approved votes (tasks of
/// batches a `BatchReviewed` approved, plus rejections overturned in a
/// `RejectionSettled`); tasks without a strict majority are left out and
/// counted.
fn approved_consensus(
    c: &Chain,
    job: U256,
    tasks: u32,
    classes: u16,
) -> Result<(Vec<(u32, u16)>, usize)> {
    let topic = B256::from(job);
    let submitted = batches(c, job)?;
    let mut accepted: std::collections::BTreeSet<(U256, u32)> = std::collections::BTreeSet::new();
    let mut rejected: BTreeMap<U256, Vec<u32>> = BTreeMap::new();
    for (e, _) in c.logs::<IMarket::BatchReviewed>(c.market, topic)? {
        let Some(s) = submitted.iter().find(|s| s.id == e.batchId) else {
            continue;
        };
        for (i, &t) in s.batch.tasks.iter().enumerate() {
            if e.verdicts.get(i).copied().unwrap_or(0) == 0 {
                accepted.insert((e.batchId, t));
            } else {
                rejected.entry(e.batchId).or_default().push(t);
            }
        }
    }
    for (e, _) in c.logs::<IMarket::RejectionSettled>(c.market, topic)? {
        if e.outcome == 3 || e.outcome == 4 {
            for t in rejected.remove(&e.batchId).unwrap_or_default() {
                accepted.insert((e.batchId, t));
            }
        }
    }
    let mut answers = std::collections::BTreeMap::new();
    let mut annotators = std::collections::BTreeMap::new();
    for s in submitted {
        if s.batch.payload.len() != s.batch.tasks.len() {
            continue;
        }
        let next = annotators.len() as u32;
        let who = *annotators.entry(s.batch.annotator).or_insert(next);
        for (&t, &l) in s.batch.tasks.iter().zip(&s.batch.payload) {
            if accepted.contains(&(s.id, t)) {
                answers.insert((t, who), u16::from(l));
            }
        }
    }
    let items = answers
        .into_iter()
        .map(|((task, annotator), label)| labelmint_quality::Response {
            task,
            annotator,
            label,
        })
        .collect();
    let r =
        labelmint_quality::Responses::new(tasks, annotators.len() as u32, classes.max(2), items)?;
    let mv = labelmint_quality::majority_vote(&r);
    let labels: Vec<(u32, u16)> = mv
        .labels
        .iter()
        .zip(&mv.tied)
        .enumerate()
        .filter_map(|(t, (l, tied))| {
            if *tied {
                None
            } else {
                l.map(|l| (t as u32, l))
            }
        })
        .collect();
    let left = tasks as usize - labels.len();
    Ok((labels, left))
}

/// The rejection of batch `batch` of `job` as the events record it: the
/// rejected tasks from `BatchReviewed` and `LabelsSubmitted`, and the time
/// that counts (the dispute's when `RejectionDisputed` exists, else the
/// review's).
fn rejection(c: &Chain, job: U256, batch: U256) -> Result<crate::market::Rejection> {
    let topic = B256::from(job);
    let submitted = batches(c, job)?;
    let s = submitted
        .iter()
        .find(|s| s.id == batch)
        .ok_or_else(|| anyhow!("no batch {batch} in job {job}"))?;
    let review = c
        .logs::<IMarket::BatchReviewed>(c.market, topic)?
        .into_iter()
        .map(|(e, _)| e)
        .find(|e| e.batchId == batch && e.rejected > 0)
        .ok_or_else(|| anyhow!("batch {batch} of job {job} has no rejection"))?;
    let tasks = s
        .batch
        .tasks
        .iter()
        .zip(review.verdicts.iter())
        .filter(|(_, &v)| v != 0)
        .map(|(&t, _)| t)
        .collect();
    let mut r = crate::market::Rejection {
        job,
        batch,
        annotator: review.annotator,
        at: review.reviewedAt,
        tasks,
        disputed: false,
    };
    if let Some((d, _)) = c
        .logs::<IMarket::RejectionDisputed>(c.market, topic)?
        .into_iter()
        .find(|(d, _)| d.batchId == batch)
    {
        r.at = d.disputedAt;
        r.disputed = true;
    }
    Ok(r)
}

/// The job's `getJob`, or a clear error for an unknown id.
fn job(c: &Chain, id: U256) -> Result<IMarket::getJobReturn> {
    let j = c.call(c.market, &IMarket::getJobCall { jobId: id })?;
    if j.status == 0 {
        bail!("job {id} does not exist on chain {}", c.chain_id);
    }
    Ok(j)
}

/// Runs `labelmint job …`.
#[allow(clippy::too_many_lines)] // one arm per subcommand
pub fn job_cmd(ctx: &Ctx, cmd: &JobCmd) -> Result<()> {
    let c = Chain::connect(ctx)?;
    match cmd {
        JobCmd::Create(a) if a.mode != crate::modes::QualityMode::Review => {
            return create_in_mode(ctx, &c, a);
        }
        JobCmd::Create(a) => {
            check_mode_flags(a)?;
            let schema = a.schema.code();
            let now = c.now()?;
            let call = IMarket::createJobCall {
                dataRoot: a.data_root,
                metadataHash: a.metadata.unwrap_or_default(),
                token: Address::ZERO,
                rewardPerTask: a.reward,
                taskCount: a.tasks,
                schema,
                numClasses: a.classes.unwrap_or(if schema == 0 { 2 } else { 0 }),
                claimDuration: a.claim_secs,
                submitDeadline: now
                    .checked_add(a.deadline_secs)
                    .context("--deadline-secs: too far in the future")?,
                reviewWindow: a.review_secs,
                maxHeld: a.max_held,
                arbiterTerms: a.terms,
            };
            // Difficulty classes go to `createWeightedJob`: a task of weight
            // w escrows and pays w × the reward and counts w royalty shares.
            let classes =
                hub::colon_pairs("--difficulty", &a.difficulty, "END:WEIGHT, e.g. 100:3")?;
            let spec = labelmint_client::market::JobSpec {
                tasks: a.tasks,
                difficulty: classes,
                ..labelmint_client::market::JobSpec::default()
            };
            let packed = labelmint_client::hub::pack_difficulty(&spec.difficulty);
            let units = if spec.difficulty.is_empty() {
                u64::from(a.tasks)
            } else {
                hub_common::parse_difficulty(&packed, a.tasks)
                    .ok_or_else(|| {
                        anyhow!(
                            "--difficulty: 1 to 4 classes, ends ascending and the last = --tasks ({}), weights 1-255",
                            a.tasks
                        )
                    })?
                    .units
            };
            if units > u64::from(u32::MAX) {
                bail!("--difficulty: {units} units (tasks × weight) exceed the market's 2^32 − 1");
            }
            let escrow = U256::from(a.reward).saturating_mul(U256::from(units));
            let r = if spec.difficulty.is_empty() {
                c.send(c.market, &call, escrow)?
            } else {
                let weighted = labelmint_client::market::weighted(&call, packed);
                c.send(c.market, &weighted, escrow)?
            };
            let id = c.call(c.market, &IMarket::jobCountCall {})?;
            emit(
                id,
                json!({"job": id.to_string(), "escrow": escrow.to_string(), "units": units, "tx": r.transaction_hash}),
            );
            eprintln!(
                "job {id}: {} tasks ({units} units) × {} wei escrowed ({escrow} wei)",
                a.tasks, a.reward
            );
        }
        JobCmd::Status { job: id } => {
            let j = job(&c, *id)?;
            let status = ["none", "open", "completed", "cancelled"]
                .get(usize::from(j.status))
                .copied()
                .unwrap_or("?");
            let view = json!({
                "job": id.to_string(), "status": status, "creator": j.creator, "token": j.token,
                "rewardPerTask": j.rewardPerTask.to_string(), "tasks": j.taskCount,
                "schema": j.schema, "classes": j.numClasses, "dataRoot": j.dataRoot, "metadataHash": j.metadataHash,
                "claimSeconds": j.claimDuration, "submitDeadline": j.submitDeadline, "reviewSeconds": j.reviewWindow,
                "maxHeld": j.maxHeld, "reserved": j.reserved, "approved": j.approved, "batches": j.batches,
                "escrow": j.escrow.to_string(),
                // Σ tasks × difficulty weight (the task count without
                // classes): `reserved` and `approved` count these units. The
                // escrow holds reward × (units − approved) while the job is
                // open or completed; a cancelled job's refund hides them.
                "units": (j.status == 1 || j.status == 2).then(|| (j.escrow / U256::from(j.rewardPerTask.max(1))).saturating_add(U256::from(j.approved)).to_string()),
            });
            emit_value(&view);
        }
        JobCmd::Export(a) => {
            let id = a.job;
            let j = job(&c, id)?;
            if j.schema != 0 {
                bail!("job {id} is not categorical: export its geometry or text labels with `labelmint export <dataRoot> --labels FILE`");
            }
            if a.classes.len() != usize::from(j.numClasses) {
                bail!(
                    "--classes names {} classes, job {id} has {}",
                    a.classes.len(),
                    j.numClasses
                );
            }
            let (labels, ties) = approved_consensus(&c, id, j.taskCount, j.numClasses)?;
            if labels.is_empty() {
                bail!(
                    "job {id} has no approved label yet ({ties} tasks tied or unapproved): nothing to export, nothing written"
                );
            }
            let file = json!({
                "classes": a.classes,
                "instruction": a.instruction,
                "labels": labels.iter().map(|(t, l)| json!({"task": t, "label": l})).collect::<Vec<_>>(),
            });
            let (tmp, mut handle) = private_temp_file("labelmint-job")?;
            let written = std::io::Write::write_all(&mut handle, &serde_json::to_vec(&file)?);
            drop(handle);
            if let Err(e) = written {
                let _ = std::fs::remove_file(&tmp);
                return Err(e.into());
            }
            let store = labelmint_storage::LocalStore::open(&ctx.store)?;
            let result = crate::export::run(
                &store,
                &j.dataRoot.to_string(),
                &tmp,
                a.format.name(),
                &a.out,
            );
            let _ = std::fs::remove_file(&tmp);
            let root = result?;
            emit(
                root,
                json!({"root": root, "out": a.out, "labelled": labels.len(), "leftOut": ties}),
            );
            eprintln!(
                "{} tasks labelled by the majority of approved votes ({ties} tied or unapproved tasks left out) -> {}",
                labels.len(),
                a.out.display()
            );
        }
    }
    Ok(())
}

/// Runs `labelmint arbiter …`.
pub fn arbiter_cmd(ctx: &Ctx, cmd: &ArbiterCmd) -> Result<()> {
    let c = Chain::connect(ctx)?;
    let ArbiterCmd::Register {
        token,
        fee,
        bond,
        dispute_secs,
        ruling_secs,
    } = cmd;
    let call = IMarket::registerArbiterTermsCall {
        token: token.unwrap_or(Address::ZERO),
        fee: *fee,
        bond: *bond,
        disputeWindow: *dispute_secs,
        rulingWindow: *ruling_secs,
    };
    let r = c.send(c.market, &call, U256::ZERO)?;
    let id = r
        .inner
        .logs()
        .iter()
        .find_map(|l| IMarket::ArbiterTermsRegistered::decode_log_data(l.data()).ok())
        .map(|e| e.termsId)
        .ok_or_else(|| anyhow!("no ArbiterTermsRegistered in the receipt"))?;
    emit(id, json!({"terms": id, "arbiter": c.from}));
    eprintln!(
        "terms {id}: {} arbitrates for {} wei a dispute",
        c.from, call.fee
    );
    Ok(())
}

/// Refuses the flags that do not apply to `a.mode`, naming the modes they
/// belong to.
fn check_mode_flags(a: &JobCreate) -> Result<()> {
    use crate::modes::QualityMode as M;
    let given: [(&str, bool, &[M]); 8] = [
        (
            "--k",
            a.k.is_some(),
            &[M::Majority, M::Weighted, M::Expert, M::Optimistic],
        ),
        ("--stake", a.stake.is_some(), &[M::Majority]),
        ("--gold", !a.gold.is_empty(), &[M::Majority]),
        ("--gold-key", a.gold_key.is_some(), &[M::Majority]),
        (
            "--difficulty",
            !a.difficulty.is_empty(),
            &[
                M::Review,
                M::Majority,
                M::Weighted,
                M::Expert,
                M::Optimistic,
            ],
        ),
        (
            "--oracle",
            a.oracle.is_some(),
            &[M::Weighted, M::Expert, M::Optimistic],
        ),
        ("--audit-bps", a.audit_bps.is_some(), &[M::Optimistic]),
        ("--seed-file", a.seed_file.is_some(), &[M::Optimistic]),
    ];
    if let Some((flag, _, modes)) = given
        .iter()
        .find(|(_, set, modes)| *set && !modes.contains(&a.mode))
    {
        let names: Vec<&str> = modes.iter().map(|m| m.name()).collect();
        return Err(anyhow!("{flag} does not apply to --mode {}", a.mode.name()))
            .hint(format!("{flag} belongs to --mode {}", names.join(" | ")));
    }
    Ok(())
}

/// `job create --mode majority|weighted|expert|optimistic`: the same job
/// on the QualityHub or the QualityCourt.
fn create_in_mode(ctx: &Ctx, c: &Chain, a: &JobCreate) -> Result<()> {
    use crate::modes::QualityMode as M;
    check_mode_flags(a)?;
    let k = a.k.unwrap_or(a.mode.default_k());
    if a.mode == M::Majority {
        let classes = a
            .classes
            .ok_or_else(|| anyhow!("--mode majority needs --classes C (2 to 14)"))?;
        let create = hub::HubCreate {
            tasks: a.tasks,
            k,
            classes: u8::try_from(classes).context("--classes: at most 14")?,
            reward: a.reward,
            stake: a.stake,
            slash_bps: 5_000,
            quorum_bps: 5_001,
            commit_secs: 86_400,
            reveal_secs: 86_400,
            settle_secs: 86_400,
            min_rep: 0,
            terms: a.terms,
            gold: a.gold.clone(),
            gold_key: a.gold_key.clone(),
            no_gold: a.gold.is_empty(),
            data_root: Some(a.data_root),
            difficulty: a.difficulty.clone(),
        };
        if create.gold.is_empty() {
            return Err(anyhow!("--mode majority needs gold tasks"))
                .hint("pass --gold TASK:CLASS,... (at least one task in ten) and --gold-key FILE");
        }
        if create.gold_key.is_none() {
            bail!("--gold needs --gold-key FILE (the key stays with you until you reveal it)");
        }
        let address = if c.hub.is_zero() {
            return Err(anyhow!("no QualityHub for chain {}", c.chain_id))
                .hint("run labelmint-deploy, pass --deployments DIR, or pass --hub ADDR");
        } else {
            c.hub
        };
        return hub::create(ctx, c, address, &create);
    }
    let oracle = a.oracle.ok_or_else(|| {
        anyhow!(
            "--mode {} needs --oracle ADDR ({})",
            a.mode.name(),
            if a.mode == M::Expert {
                "the expert who posts verdicts and payouts"
            } else {
                "the account that posts results"
            }
        )
    })?;
    let audit_bps = a.audit_bps.unwrap_or(0);
    if a.mode == M::Optimistic && (audit_bps == 0 || a.seed_file.is_none()) {
        bail!("--mode optimistic needs --audit-bps BPS (above 0) and --seed-file FILE");
    }
    // Pay for every label, and the arbiter's fee a live result reserves
    // (results posted one after another; what is left is refunded at close).
    let fee = c
        .call(c.market, &IMarket::arbiterTermsCall { termsId: a.terms })?
        .fee;
    // A task of weight w is paid w × the reward per label (the oracle's
    // `court payouts --difficulty` with the same classes).
    let difficulty = crate::court::Difficulty::new(
        hub::colon_pairs("--difficulty", &a.difficulty, "END:WEIGHT, e.g. 100:3")?,
        a.tasks,
    )?;
    let escrow = U256::from(a.reward)
        .checked_mul(U256::from(difficulty.units()))
        .and_then(|e| e.checked_mul(U256::from(k)))
        .and_then(|e| e.checked_add(U256::from(fee)))
        .context("--reward × --tasks (by weight) × --k overflows")?;
    let create = court::CourtCreate {
        oracle,
        terms: a.terms,
        escrow,
        data_root: Some(a.data_root),
        audit_bps,
        seed_file: a.seed_file.clone(),
        results: 1_000,
    };
    if c.court.is_zero() {
        return Err(anyhow!("no QualityCourt for chain {}", c.chain_id))
            .hint("run labelmint-deploy, pass --deployments DIR, or pass --court ADDR");
    }
    court::create(c, c.court, &create)?;
    print_oracle_next(a, k);
    Ok(())
}

/// After a court job is created: the exact `court payouts` command its
/// oracle runs (a task's bounty is `k × reward`), with the difficulty classes.
fn print_oracle_next(a: &JobCreate, k: u8) {
    use crate::modes::QualityMode as M;
    // What the oracle runs: a task's bounty is its k labels' reward.
    let bounty = a.reward.saturating_mul(u128::from(k));
    let weights = if a.difficulty.is_empty() {
        String::new()
    } else {
        format!(
            " --difficulty {} --tasks {}",
            a.difficulty.join(","),
            a.tasks
        )
    };
    if a.mode == M::Weighted {
        eprintln!(
            "next, the oracle: labelmint court payouts --votes votes.json --classes C --annotators … \
             --per-task {bounty}{weights} --reputations hub --out payouts.json; labelmint court post JOB --payouts payouts.json"
        );
    } else {
        eprintln!(
            "next, the oracle: labelmint court payouts (--votes votes.json --classes C --per-task {bounty} | \
             --labels boxes.json --per-shape WEI) --annotators …{weights} --out payouts.json; \
             labelmint court post JOB --payouts payouts.json"
        );
    }
    if !a.difficulty.is_empty() {
        eprintln!(
            "difficulty classes {}: publish them with the job's instructions, so that a disputer and the arbiter \
             recompute a result with them",
            a.difficulty.join(",")
        );
    }
}

/// Runs `labelmint task …`.
#[allow(clippy::too_many_lines)]
pub fn task_cmd(ctx: &Ctx, cmd: &TaskCmd) -> Result<()> {
    let c = Chain::connect(ctx)?;
    match cmd {
        TaskCmd::Claim { job: id, tasks } => {
            let task_ids: Vec<u32> = ids(tasks)?;
            c.send(
                c.market,
                &IMarket::claimTasksCall {
                    jobId: *id,
                    taskIds: task_ids.clone(),
                },
                U256::ZERO,
            )?;
            let r = c.call(
                c.market,
                &IMarket::annotatorRecordCall {
                    jobId: *id,
                    annotator: c.from,
                },
            )?;
            emit(
                format!(
                    "claimed {} tasks of job {id} until {}",
                    task_ids.len(),
                    r.claimExpiry
                ),
                json!({"job": id.to_string(), "tasks": task_ids, "claimExpiry": r.claimExpiry}),
            );
        }
        TaskCmd::Submit {
            job: id,
            batch,
            sign_only,
        } => {
            let id = *id;
            let j = job(&c, id)?;
            let (task_ids, payload) = batch_payload(ctx, batch, &c, id, j.schema)?;
            if let Some(out) = sign_only {
                // The first unused bit of the annotator's first nonce word.
                let bits = c.call(
                    c.market,
                    &IMarket::nonceBitmapCall {
                        annotator: c.from,
                        wordPos: U256::ZERO,
                    },
                )?;
                let free = (0..256usize)
                    .find(|&i| !bits.bit(i))
                    .ok_or_else(|| anyhow!("nonce word 0 is used up"))?;
                let nonce = U256::from(free);
                let deadline = U256::from(j.submitDeadline);
                let batch = crate::market::SubmitBatch {
                    annotator: c.from,
                    jobId: id,
                    taskIds: task_ids.clone(),
                    payload: payload.clone(),
                    nonce,
                    deadline,
                };
                let key = B256::from_slice(&c.signer.to_bytes()[..]);
                let signature = crate::market::sign_batch(&key, c.market, c.chain_id, &batch)?;
                let signed = json!({
                    "annotator": c.from, "jobId": id.to_string(), "taskIds": task_ids, "payload": payload,
                    "nonce": nonce.to_string(), "deadline": deadline.to_string(), "signature": signature,
                    "market": c.market, "chainId": c.chain_id,
                });
                std::fs::write(out, serde_json::to_vec_pretty(&signed)?)?;
                if crate::output::json() {
                    emit(
                        "",
                        json!({"signed": out, "tasks": task_ids, "nonce": nonce.to_string()}),
                    );
                }
                eprintln!(
                    "signed {} tasks for a relayer: {} (nonce {nonce})",
                    task_ids.len(),
                    out.display()
                );
                return Ok(());
            }
            let r = c.send(
                c.market,
                &IMarket::submitBatchCall {
                    jobId: id,
                    taskIds: task_ids.clone(),
                    payload,
                },
                U256::ZERO,
            )?;
            let count = c
                .call(c.market, &IMarket::getJobCall { jobId: id })?
                .batches;
            emit(
                format!(
                    "submitted {} tasks of job {id} (batches on the job: {count})",
                    task_ids.len()
                ),
                json!({"job": id.to_string(), "tasks": task_ids, "batches": count, "tx": r.transaction_hash}),
            );
        }
        TaskCmd::Relay { file } => {
            let text =
                std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            let s: serde_json::Value =
                serde_json::from_slice(&text).context("signed batch file")?;
            let field = |k: &str| {
                s[k].as_str()
                    .map(str::to_string)
                    .ok_or_else(|| anyhow!("signed batch file: missing {k}"))
            };
            let call = IMarket::submitBatchBySigCall {
                annotator: field("annotator")?.parse()?,
                jobId: field("jobId")?.parse()?,
                taskIds: serde_json::from_value(s["taskIds"].clone())?,
                payload: field("payload")?.parse()?,
                nonce: field("nonce")?.parse()?,
                deadline: field("deadline")?.parse()?,
                signature: field("signature")?.parse()?,
            };
            let r = c.send(c.market, &call, U256::ZERO)?;
            emit(
                format!(
                    "relayed {} tasks of job {} for {}",
                    call.taskIds.len(),
                    call.jobId,
                    call.annotator
                ),
                json!({"job": call.jobId.to_string(), "annotator": call.annotator, "tasks": call.taskIds, "tx": r.transaction_hash}),
            );
        }
    }
    Ok(())
}

/// Runs `labelmint review …`.
#[allow(clippy::too_many_lines)]
pub fn review_cmd(ctx: &Ctx, cmd: &ReviewCmd) -> Result<()> {
    let c = Chain::connect(ctx)?;
    match cmd {
        ReviewCmd::Dispute { job: id, batch } => {
            let (id, batch) = (*id, *batch);
            let r = rejection(&c, id, batch)?;
            if r.disputed {
                bail!("batch {batch} of job {id} is already disputed");
            }
            let terms = c.call(c.market, &IMarket::disputeTermsCall { jobId: id })?;
            let value = if job(&c, id)?.token.is_zero() {
                U256::from(terms.disputeBond)
            } else {
                U256::ZERO
            };
            c.send(c.market, &r.dispute_call(), value)?;
            emit(
                format!(
                    "disputed the rejection of {} tasks of batch {batch}: bond {} wei; {} rules",
                    r.tasks.len(),
                    terms.disputeBond,
                    terms.arbiter
                ),
                json!({"job": id.to_string(), "batch": batch.to_string(), "tasks": r.tasks,
                       "bond": terms.disputeBond.to_string(), "arbiter": terms.arbiter}),
            );
        }
        ReviewCmd::Rule {
            job: id,
            batch,
            overturn,
            uphold,
        } => {
            let (id, batch) = (*id, *batch);
            if overturn == uphold {
                bail!("review rule: pass exactly one of --overturn or --uphold");
            }
            let r = rejection(&c, id, batch)?;
            if !r.disputed {
                bail!("batch {batch} of job {id} is not disputed");
            }
            c.send(c.market, &r.rule_call(*overturn), U256::ZERO)?;
            emit(
                format!(
                    "batch {batch}: rejection {}",
                    if *overturn {
                        "overturned, the annotator is paid"
                    } else {
                        "upheld, the tasks reopen"
                    }
                ),
                json!({"job": id.to_string(), "batch": batch.to_string(),
                       "ruling": if *overturn { "overturned" } else { "upheld" }}),
            );
        }
        ReviewCmd::Settle { job: id, batches } => {
            let wanted: Vec<U256> = ids(batches)?;
            let list: Vec<crate::market::Rejection> = wanted
                .iter()
                .map(|b| rejection(&c, *id, *b))
                .collect::<Result<_>>()?;
            c.send(
                c.market,
                &crate::market::settle_rejections_call(&list),
                U256::ZERO,
            )?;
            emit(
                format!("settled {} rejections of job {id}", list.len()),
                json!({"job": id.to_string(), "settled": wanted.iter().map(ToString::to_string).collect::<Vec<_>>()}),
            );
        }
        ReviewCmd::Approve { job: id, batches } => {
            let wanted: Vec<U256> = ids(batches)?;
            review(&c, *id, &wanted, None)?;
        }
        ReviewCmd::Reject {
            job: id,
            batch,
            tasks,
            reason,
        } => {
            review(&c, *id, &[*batch], Some((tasks.as_str(), *reason)))?;
        }
    }
    Ok(())
}

/// Approves `wanted` batches of job `id`, or (with `reject`: task ids and
/// reason) rejects those tasks of the one batch in `wanted`.
fn review(c: &Chain, id: U256, wanted: &[U256], reject: Option<(&str, u8)>) -> Result<()> {
    let all = batches(c, id)?;
    let pick = |b: &U256| {
        all.iter()
            .find(|s| s.id == *b)
            .ok_or_else(|| anyhow!("no batch {b} in job {id}"))
    };
    let chosen: Vec<&Submitted> = wanted.iter().map(pick).collect::<Result<_>>()?;
    let mut verdicts: Vec<u8> = Vec::new();
    let mut value = U256::ZERO;
    if let Some((tasks, reason)) = reject {
        let rejected: Vec<u32> = ids(tasks)?;
        if reason == 0 {
            bail!("--reason must be non-zero (0 means approve)");
        }
        verdicts = chosen[0]
            .batch
            .tasks
            .iter()
            .map(|t| if rejected.contains(t) { reason } else { 0 })
            .collect();
        if verdicts.iter().all(|&v| v == 0) {
            bail!("--tasks names no task of batch {}", chosen[0].id);
        }
        let j = job(c, id)?;
        if j.token.is_zero() {
            let terms = c.call(c.market, &IMarket::disputeTermsCall { jobId: id })?;
            value = U256::from(terms.arbiterFee);
        }
    }
    let call = IMarket::reviewBatchesCall {
        jobId: id,
        batchIds: chosen.iter().map(|s| s.id).collect(),
        annotators: chosen.iter().map(|s| s.batch.annotator).collect(),
        submittedAts: chosen.iter().map(|s| s.batch.submitted_at).collect(),
        taskCounts: chosen.iter().map(|s| s.batch.tasks.len() as u32).collect(),
        taskIds: chosen.iter().flat_map(|s| s.batch.tasks.clone()).collect(),
        verdicts: verdicts.clone().into(),
    };
    c.send(c.market, &call, value)?;
    if reject.is_none() {
        emit(
            format!("approved {} batches of job {id}", chosen.len()),
            json!({"job": id.to_string(), "approved": wanted.iter().map(ToString::to_string).collect::<Vec<_>>()}),
        );
    } else {
        let n = verdicts.iter().filter(|&&v| v != 0).count();
        emit(
            format!(
                "batch {}: {n} tasks rejected (held until the dispute window ends; arbiter fee {value} wei deposited), the rest approved",
                chosen[0].id
            ),
            json!({"job": id.to_string(), "batch": chosen[0].id.to_string(), "rejected": n, "feeDeposited": value.to_string()}),
        );
    }
    Ok(())
}

/// Runs `labelmint audit <jobId>`.
pub fn audit_cmd(ctx: &Ctx, id: U256) -> Result<()> {
    let c = Chain::connect(ctx)?;
    let j = job(&c, id)?;
    let store = storage(ctx)?;
    let list: Vec<OnChainBatch> = batches(&c, id)?.into_iter().map(|s| s.batch).collect();
    let report = audit(
        id.saturating_to::<u64>(),
        kind_of(j.schema),
        j.numClasses.max(2),
        &list,
        |r| store.get(r).ok(),
        &AuditConfig::default(),
    );
    if crate::output::json() {
        crate::output::print_line(serde_json::to_string(&report)?);
    } else {
        crate::output::print_bytes(report.table().as_bytes());
    }
    Ok(())
}

/// `ETH` for the zero address, else the token's address.
fn unit(token: Address) -> String {
    if token.is_zero() {
        "wei (ETH)".into()
    } else {
        format!("units of {token}")
    }
}

/// Most datasets `dataset royalties` reads (the newest).
const MAX_ROYALTY_DATASETS: u64 = 1_000;

/// `labelmint dataset royalties`: every job pool behind the newest datasets
/// (at most 1,000) and the registry's credits, what `account` can withdraw.
fn royalties(ctx: &Ctx, c: &Chain, account: Address) -> Result<()> {
    let count = c.call(c.registry, &IRegistry::datasetCountCall {})?;
    let count = u64::try_from(count).unwrap_or(u64::MAX);
    let mut pools: Vec<(Address, U256, Address, Vec<u64>)> = Vec::new();
    for id in (count.saturating_sub(MAX_ROYALTY_DATASETS) + 1..=count).rev() {
        let d = c.call(
            c.registry,
            &IRegistry::getDatasetCall {
                datasetId: U256::from(id),
            },
        )?;
        if d.isExternal {
            continue;
        }
        match pools
            .iter_mut()
            .find(|p| (p.0, p.1, p.2) == (d.source, d.sourceJobId, d.paymentToken))
        {
            Some(p) => p.3.push(id),
            None => pools.push((d.source, d.sourceJobId, d.paymentToken, vec![id])),
        }
    }
    let mut lines = Vec::new();
    let mut out = Vec::new();
    for (source, job, token, datasets) in pools {
        let amount = c.call(
            c.registry,
            &IRegistry::royaltyOfCall {
                source,
                jobId: job,
                token,
                account,
            },
        )?;
        if amount.is_zero() {
            continue;
        }
        let name = JobSource::of(c, source).map(JobSource::name);
        lines.push(match name {
            Some(name) => format!(
                "{amount} {} from {name} job {job} (datasets {datasets:?}): labelmint dataset withdraw-royalties --job {job} --source {name}{}",
                unit(token),
                if token.is_zero() { String::new() } else { format!(" --token {token}") }
            ),
            None => format!(
                "{amount} {} from job {job} of {source}, not a program of this deployment (datasets {datasets:?}): withdrawRoyalties({source}, {job}, {token}, to) on the registry",
                unit(token)
            ),
        });
        let name = name.unwrap_or("other");
        out.push(json!({"source": name, "source_address": source, "job": job.to_string(), "token": token, "amount": amount.to_string(), "datasets": datasets}));
    }
    let mut credits = Vec::new();
    let mut tokens = vec![Address::ZERO];
    tokens.extend(hub::token_address(ctx, c).ok());
    for token in tokens {
        let amount = c.call(c.registry, &IRegistry::creditOfCall { token, account })?;
        if !amount.is_zero() {
            lines.push(format!("{amount} {} of registry credit", unit(token)));
            credits.push(json!({"token": token, "amount": amount.to_string()}));
        }
    }
    if lines.is_empty() {
        lines.push(format!("nothing to withdraw for {account}"));
    }
    emit(
        lines.join("\n"),
        json!({"account": account, "pools": out, "credits": credits}),
    );
    Ok(())
}

/// Runs `labelmint dataset …`.
#[allow(clippy::too_many_lines)]
pub fn dataset_cmd(ctx: &Ctx, cmd: &DatasetCmd) -> Result<()> {
    let c = Chain::connect(ctx)?;
    match cmd {
        DatasetCmd::Publish {
            root,
            job,
            source,
            format,
            price,
            metadata,
            previous,
        } => {
            let call = IRegistry::publishCall {
                rootHash: *root,
                metadataHash: metadata.unwrap_or_default(),
                format: format.code(),
                price: *price,
                paymentToken: Address::ZERO,
                source: if job.is_some() {
                    source.address(&c)?
                } else {
                    Address::ZERO
                },
                sourceJobId: job.unwrap_or_default(),
                previousVersion: previous.unwrap_or_default(),
                carryLicenses: false,
            };
            c.send(c.registry, &call, U256::ZERO)?;
            let id = c.call(c.registry, &IRegistry::datasetCountCall {})?;
            emit(id, json!({"dataset": id.to_string(), "root": root}));
        }
        DatasetCmd::Buy {
            dataset: id,
            licensee,
        } => {
            let id = *id;
            let d = c.call(c.registry, &IRegistry::getDatasetCall { datasetId: id })?;
            if d.publisher == Address::ZERO {
                bail!("dataset {id} does not exist");
            }
            if d.paymentToken != Address::ZERO {
                bail!("dataset {id} is priced in token {}: ERC-20 purchase from the CLI is not built yet (use purchaseWithPermit)", d.paymentToken);
            }
            let licensee = licensee.unwrap_or(c.from);
            c.send(
                c.registry,
                &IRegistry::purchaseCall {
                    datasetId: id,
                    licensee,
                    token: d.paymentToken,
                    maxPrice: d.price,
                },
                U256::from(d.price),
            )?;
            emit(
                format!("licensed dataset {id} to {licensee} for {} wei", d.price),
                json!({"dataset": id.to_string(), "licensee": licensee, "price": d.price.to_string()}),
            );
        }
        DatasetCmd::Royalties { account } => royalties(ctx, &c, account.unwrap_or(c.from))?,
        DatasetCmd::WithdrawRoyalties {
            job,
            source,
            token,
            to,
        } => {
            let to = to.unwrap_or(c.from);
            let call = IRegistry::withdrawRoyaltiesCall {
                source: source.address(&c)?,
                jobId: *job,
                token: *token,
                to,
            };
            let owed = c.call(
                c.registry,
                &IRegistry::royaltyOfCall {
                    source: call.source,
                    jobId: *job,
                    token: *token,
                    account: c.from,
                },
            )?;
            c.send(c.registry, &call, U256::ZERO)?;
            emit(
                format!(
                    "withdrew {owed} of {} from {} job {job}'s pool to {to}",
                    unit(*token),
                    source.name()
                ),
                json!({"source": source.name(), "job": job.to_string(), "token": token, "to": to, "amount": owed.to_string()}),
            );
        }
        DatasetCmd::Download {
            dataset: id,
            out,
            size,
        } => {
            let id = *id;
            let d = c.call(c.registry, &IRegistry::getDatasetCall { datasetId: id })?;
            if d.publisher == Address::ZERO {
                bail!("dataset {id} does not exist");
            }
            // The registry records no size; --size (from the publisher's
            // listing) binds the trailing bytes the root alone does not.
            let store = storage(ctx)?;
            let bytes =
                crate::output::with_spinner(format!("downloading {}", d.rootHash), || match size {
                    Some(n) => store.get_sized(&d.rootHash, *n),
                    None => store.get(&d.rootHash),
                })
                .with_context(|| format!("fetching {}", d.rootHash))?;
            let actual = labelmint_storage::root_of_bytes(&bytes)?;
            if actual != d.rootHash {
                bail!(
                    "downloaded bytes have root {actual}, the registry records {}",
                    d.rootHash
                );
            }
            std::fs::write(out, &bytes)?;
            let licensed = c.call(
                c.registry,
                &IRegistry::hasLicenseCall {
                    datasetId: id,
                    account: c.from,
                },
            )?;
            emit(
                format!(
                    "{} bytes verified against {} -> {}",
                    bytes.len(),
                    d.rootHash,
                    out.display()
                ),
                json!({"dataset": id.to_string(), "bytes": bytes.len(), "root": d.rootHash, "out": out, "licensed": licensed}),
            );
            if !licensed {
                eprintln!(
                    "note: {} holds no licence for dataset {id}; buy one before use",
                    c.from
                );
            }
        }
    }
    Ok(())
}

/// The task ids and on-chain payload of `--batch FILE`: for categorical
/// jobs `{"tasks": [...], "labels": [class, ...]}` (labels go on chain as
/// bytes); otherwise `{"tasks": [...], "labels": [{"shapes": [...]}|{"text": "..."}]}`,
/// stored as a [`BatchFile`] whose 0G root is the on-chain commitment.
fn batch_payload(
    ctx: &Ctx,
    path: &Path,
    c: &Chain,
    job: U256,
    schema: u8,
) -> Result<(Vec<u32>, Bytes)> {
    let path_text = path.display();
    let text = std::fs::read(path).with_context(|| format!("reading {path_text}"))?;
    let v: serde_json::Value =
        serde_json::from_slice(&text).with_context(|| format!("{path_text} is not JSON"))?;
    let tasks: Vec<u32> = serde_json::from_value(v["tasks"].clone())
        .with_context(|| format!("{path_text}: \"tasks\" must be a list of task ids"))?;
    if schema == 0 {
        let labels: Vec<u8> = serde_json::from_value(v["labels"].clone())
            .with_context(|| format!("{path_text}: \"labels\" must be class numbers"))?;
        if labels.len() != tasks.len() {
            bail!(
                "{path_text}: {} labels for {} tasks",
                labels.len(),
                tasks.len()
            );
        }
        return Ok((tasks, labels.into()));
    }
    let labels: Vec<TaskLabel> = serde_json::from_value(v["labels"].clone()).with_context(|| format!("{path_text}: \"labels\" must be {{\"shapes\": [...]}} or {{\"text\": \"...\"}} per task"))?;
    if labels.len() != tasks.len() {
        bail!(
            "{path_text}: {} labels for {} tasks",
            labels.len(),
            tasks.len()
        );
    }
    let file = BatchFile {
        job_id: job.try_into().context("job id over 64 bits")?,
        annotator: c.from,
        tasks: tasks.clone(),
        labels,
    };
    let bytes = serde_json::to_vec(&file)?;
    let root = storage(ctx)?.put(&bytes)?;
    eprintln!("batch payload stored under {root}");
    Ok((tasks, Bytes::from(root.to_vec())))
}

/// Runs `labelmint finetune models|start|status|download`.
#[allow(clippy::too_many_lines)]
pub fn finetune_cmd(ctx: &Ctx, cmd: &FinetuneCmd) -> Result<()> {
    use labelmint_zg::finetune::{address_of, Broker, TaskRequest};
    let (FinetuneCmd::Models { provider }
    | FinetuneCmd::Start { provider, .. }
    | FinetuneCmd::Status { provider, .. }
    | FinetuneCmd::Download { provider, .. }) = cmd;
    let broker = Broker::new(&provider.provider, labelmint_zg::Retry::default());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let key = || -> Result<k256::ecdsa::SigningKey> {
        let signer = labelmint_deploy::load_signer(ctx.keystore.as_deref())
            .context("signing key")
            .hint("export LABELMINT_PRIVATE_KEY=0x… or pass --keystore FILE")?;
        Ok(k256::ecdsa::SigningKey::from_slice(&signer.to_bytes()[..])?)
    };
    match cmd {
        FinetuneCmd::Models { .. } => {
            let models = rt.block_on(broker.models())?;
            if crate::output::json() {
                crate::output::print_line(serde_json::to_string(&models)?);
            } else {
                for m in models {
                    crate::output::print_line(format_args!(
                        "{}\t{}\t{}\t{}",
                        m.name, m.hash, m.data_type, m.description
                    ));
                }
            }
        }
        FinetuneCmd::Start {
            dataset: id,
            model: name,
            fee,
            params,
            nonce,
            ..
        } => {
            let id = *id;
            let k = key()?;
            let user = address_of(&k);
            let c = Chain::connect(ctx)?;
            let d = c.call(c.registry, &IRegistry::getDatasetCall { datasetId: id })?;
            if d.publisher == Address::ZERO {
                bail!("dataset {id} does not exist");
            }
            if !c.call(
                c.registry,
                &IRegistry::hasLicenseCall {
                    datasetId: id,
                    account: user,
                },
            )? {
                bail!("{user} holds no licence for dataset {id}: run `labelmint dataset buy {id}` first");
            }
            let models = rt.block_on(broker.models())?;
            let model = models.iter().find(|m| m.name == *name).ok_or_else(|| {
                anyhow!(
                    "the provider has no model {name} (it has: {})",
                    models
                        .iter()
                        .map(|m| m.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            // The broker SDK's nonce: milliseconds × 10,000 + 40 (the
            // provider wants it above its on-chain account's nonce).
            let nonce = match nonce {
                Some(n) => *n,
                None => {
                    U256::from(
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)?
                            .as_millis(),
                    ) * U256::from(10_000)
                        + U256::from(40)
                }
            };
            let request = TaskRequest {
                pre_trained_model_hash: model.hash,
                dataset_hash: d.rootHash,
                training_params: params.clone(),
                fee: *fee,
                nonce,
            };
            let task = rt.block_on(broker.create_task(&k, &request))?;
            emit(
                &task.id,
                json!({"task": task.id, "model": name, "dataset": id.to_string(), "root": d.rootHash}),
            );
            eprintln!(
                "fine-tuning task {} created: {} on dataset {} ({})",
                task.id, name, id, d.rootHash
            );
        }
        FinetuneCmd::Download {
            task: id,
            out,
            expect_root,
            size,
            ..
        } => {
            let user = address_of(&key()?);
            let task = rt.block_on(broker.task(user, id))?;
            let Some(root) = task.output_root_hash else {
                bail!(
                    "task {id} has delivered no model yet (state {})",
                    task.progress
                );
            };
            // The root comes from the provider: checking the bytes against
            // it proves only that the provider named these bytes. "Verified"
            // needs a root the buyer trusts (--expect-root).
            if let Some(want) = expect_root {
                if *want != root {
                    bail!(
                        "the provider delivered {root}, not the expected {want}: nothing written"
                    );
                }
            }
            let store = storage(ctx)?;
            let bytes = crate::output::with_spinner(format!("downloading {root}"), || match size {
                Some(n) => store.get_sized(&root, *n),
                None => store.get(&root),
            })
            .with_context(|| format!("fetching the model {root}"))?;
            std::fs::write(out, &bytes)?;
            let out_text = out.display();
            let text = if expect_root.is_some() {
                format!(
                    "{} bytes of the fine-tuned model verified against {root} (the root you expected) -> {out_text}",
                    bytes.len()
                )
            } else {
                format!(
                    "{} bytes of the fine-tuned model the provider names {root} -> {out_text} (not verified: pass --expect-root R with a root you trust)",
                    bytes.len()
                )
            };
            emit(
                text,
                json!({"task": id, "bytes": bytes.len(), "root": root, "out": out, "verified": expect_root.is_some()}),
            );
        }
        FinetuneCmd::Status {
            task: id,
            wait,
            poll_ms,
            ..
        } => {
            let user = address_of(&key()?);
            let task = if *wait {
                rt.block_on(broker.wait(
                    user,
                    id,
                    false,
                    Duration::from_millis(*poll_ms),
                    Duration::from_hours(6),
                    |s| eprintln!("  {s}"),
                ))?
            } else {
                rt.block_on(broker.task(user, id))?
            };
            emit_value(&serde_json::to_value(&task)?);
        }
    }
    Ok(())
}
