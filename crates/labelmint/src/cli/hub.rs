//! `labelmint hub …`: consensus jobs on the QualityHub from the command
//! line — stakes, jobs with a hidden gold key, commit–reveal votes whose
//! salts are kept in a private local file, settlement, forfeits, the
//! arbiter's rulings, closing, slash shares, withdrawals, status and
//! reputation.
//!
//! Two secrets never leave the machine until they are revealed on chain:
//! the creator's gold key (`--gold-key FILE`, written once, 0600) and each
//! annotator's vote salts (`--votes FILE`, 0600). A vote is written to the
//! votes file *before* its commitment is sent, so a crash between the two
//! cannot strand a stake behind a salt nobody has.

use std::{
    io::Read as _,
    path::{Path, PathBuf},
};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEvent as _;
use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Chain, Ctx};
use crate::hub::{commitment, pack_tasks, IHub};
use crate::output::{emit, WithHint};
use crate::IRewardToken;

/// Default votes file: the annotator's salts, one entry per committed batch.
pub const DEFAULT_VOTES: &str = "labelmint-votes.json";

/// `labelmint hub …`.
#[derive(Debug, Subcommand)]
pub enum HubCmd {
    /// Stake RewardToken (approving the hub for it first when needed)
    #[command(after_help = "Example:\n  labelmint hub stake 10000000000000000")]
    Stake {
        /// Amount in token wei
        amount: u128,
    },
    /// Start the cooldown of an unstake (locked stake cannot be requested)
    #[command(after_help = "Example:\n  labelmint hub request-unstake 5000000000000000")]
    RequestUnstake {
        /// Amount in token wei
        amount: u128,
    },
    /// Withdraw the stake whose cooldown has passed
    #[command(after_help = "Example:\n  labelmint hub withdraw-stake")]
    WithdrawStake,
    /// Create a consensus job, escrowing the bounty and the gold bond in RewardToken; prints the job id
    #[command(after_help = "Examples:
  labelmint hub create --tasks 20 --classes 3 --reward 1000000000000 --terms 2 \\
      --gold 0:1,5:2,10:0,15:1 --gold-key job-gold.json
  labelmint hub create --tasks 100 --k 5 --classes 4 --reward 1000 --stake 3000 --terms 2 \\
      --commit-secs 7200 --reveal-secs 3600 --settle-secs 3600 --min-rep 6000 --no-gold
  labelmint hub create --tasks 40 --classes 3 --reward 1000 --stake 5000 --terms 2 \\
      --difficulty 30:1,40:3 --gold 0:1,10:2,20:0,35:1 --gold-key job-gold.json

The gold key (tasks with known answers, at least one task in ten) is committed as a hash and
written to --gold-key (created, never overwritten, readable by you only): reveal it with
`labelmint hub reveal-gold` once the reveal phase starts. Keep it: a job whose key is not
revealed forfeits its gold bond.
--terms: arbiter terms in the hub's RewardToken (labelmint arbiter register --token ADDR).")]
    Create(HubCreate),
    /// Commit labels for tasks of a job; the salt is generated and kept in the votes file; prints the batch id
    #[command(after_help = "Examples:
  labelmint hub commit 1 --tasks 0,1,2,3 --labels 2,0,1,1
  labelmint hub commit 1 --tasks 4,5 --labels 0,0 --votes ~/.labelmint/votes.json

Each label is a class index in 0..classes. The salt and labels are written to the votes file
(0600) before the commitment is sent; without them the batch cannot be revealed and its stake
is forfeited.")]
    Commit {
        /// Job id
        job: U256,
        /// Task ids, comma-separated (at most 64)
        #[arg(long, value_name = "T,T,...", value_delimiter = ',', required = true)]
        tasks: Vec<u32>,
        /// One class per task, comma-separated, in the order of --tasks
        #[arg(long, value_name = "C,C,...", value_delimiter = ',', required = true)]
        labels: Vec<u8>,
        /// Votes file (salts) [default: labelmint-votes.json]
        #[arg(long, value_name = "FILE", env = "LABELMINT_VOTES")]
        votes: Option<PathBuf>,
    },
    /// Reveal committed batches with the salts from the votes file (all of a job's unrevealed ones by default)
    #[command(
        after_help = "Examples:\n  labelmint hub reveal 1\n  labelmint hub reveal 1 --batch 3"
    )]
    Reveal {
        /// Job id
        job: U256,
        /// Only this batch
        #[arg(long, value_name = "ID")]
        batch: Option<U256>,
        /// Votes file [default: labelmint-votes.json]
        #[arg(long, value_name = "FILE", env = "LABELMINT_VOTES")]
        votes: Option<PathBuf>,
    },
    /// Reveal the job's gold key (the creator, during the reveal phase)
    #[command(after_help = "Example:\n  labelmint hub reveal-gold 1 --gold-key job-gold.json")]
    RevealGold {
        /// Job id
        job: U256,
        /// Gold key file written by hub create
        #[arg(long, value_name = "FILE")]
        gold_key: PathBuf,
    },
    /// Settle revealed batches (anyone; the annotator is paid or slashed); all of a job's by default
    #[command(
        after_help = "Examples:\n  labelmint hub settle 1\n  labelmint hub settle 1 --batch 2"
    )]
    Settle {
        /// Job id
        job: U256,
        /// Only this batch
        #[arg(long, value_name = "ID")]
        batch: Option<U256>,
    },
    /// Forfeit batches committed and never revealed (anyone; the keeper earns a share of the slash)
    #[command(
        after_help = "Examples:\n  labelmint hub forfeit 1\n  labelmint hub forfeit 1 --batch 2"
    )]
    Forfeit {
        /// Job id
        job: U256,
        /// Only this batch
        #[arg(long, value_name = "ID")]
        batch: Option<U256>,
    },
    /// Rule on tasks escalated without consensus (the arbiter of the job's terms)
    #[command(after_help = "Example:\n  labelmint hub rule 1 --tasks 3,7 --labels 1,0")]
    Rule {
        /// Job id
        job: U256,
        /// Task ids
        #[arg(long, value_name = "T,T,...", value_delimiter = ',', required = true)]
        tasks: Vec<u32>,
        /// The ruled class of each task
        #[arg(long, value_name = "C,C,...", value_delimiter = ',', required = true)]
        labels: Vec<u8>,
    },
    /// Close a job after its settle phase: refunds what was not paid, fixes the slash pool
    #[command(after_help = "Example:\n  labelmint hub close 1")]
    Close {
        /// Job id
        job: U256,
    },
    /// Claim your share of a closed job's slash pool (annotators who agreed)
    #[command(after_help = "Example:\n  labelmint hub claim-slash 1")]
    ClaimSlash {
        /// Job id
        job: U256,
    },
    /// Withdraw your credit (pay, refunds, slash shares) in RewardToken
    #[command(
        after_help = "Examples:\n  labelmint hub withdraw\n  labelmint hub withdraw --to 0x…"
    )]
    Withdraw {
        /// Recipient [default: you]
        #[arg(long, value_name = "ADDR")]
        to: Option<Address>,
    },
    /// A job's terms, phase, deadlines and accounts, with your record and local votes
    #[command(after_help = "Examples:\n  labelmint hub status 1\n  labelmint --json hub status 1")]
    Status {
        /// Job id
        job: U256,
        /// Whose record [default: you]
        #[arg(long, value_name = "ADDR")]
        annotator: Option<Address>,
        /// Votes file [default: labelmint-votes.json]
        #[arg(long, value_name = "FILE", env = "LABELMINT_VOTES")]
        votes: Option<PathBuf>,
    },
    /// Reputation and stake of an annotator
    #[command(
        after_help = "Examples:\n  labelmint hub reputation\n  labelmint hub reputation 0x…"
    )]
    Reputation {
        /// Annotator [default: you]
        who: Option<Address>,
    },
}

/// `labelmint hub create`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("goldkey").required(true).args(["gold", "no_gold"]))]
pub struct HubCreate {
    /// Number of tasks
    #[arg(long, value_name = "N")]
    pub tasks: u32,
    /// Votes per task
    #[arg(long, value_name = "K", default_value_t = 3)]
    pub k: u8,
    /// Number of classes
    #[arg(long, value_name = "C")]
    pub classes: u8,
    /// Token wei paid per agreeing vote
    #[arg(long, value_name = "WEI")]
    pub reward: u128,
    /// Stake locked per vote [default: 3 × reward]
    #[arg(long, value_name = "WEI")]
    pub stake: Option<u128>,
    /// Share of a disagreeing vote's stake slashed, in basis points
    #[arg(long, value_name = "BPS", default_value_t = 5_000)]
    pub slash_bps: u16,
    /// Share of the revealed votes a label needs, in basis points
    #[arg(long, value_name = "BPS", default_value_t = 5_001)]
    pub quorum_bps: u16,
    /// Commit phase, seconds
    #[arg(long, value_name = "S", default_value_t = 86_400)]
    pub commit_secs: u32,
    /// Reveal phase, seconds
    #[arg(long, value_name = "S", default_value_t = 86_400)]
    pub reveal_secs: u32,
    /// Settle phase after the arbiter's ruling window, seconds
    #[arg(long, value_name = "S", default_value_t = 86_400)]
    pub settle_secs: u32,
    /// Reputation score an annotator needs, in basis points
    #[arg(long, value_name = "BPS", default_value_t = 0)]
    pub min_rep: u16,
    /// Arbiter terms id (in the hub's RewardToken)
    #[arg(long, value_name = "ID")]
    pub terms: u32,
    /// Gold tasks with their known class: TASK:CLASS, comma-separated
    #[arg(
        long,
        value_name = "T:C,...",
        value_delimiter = ',',
        requires = "gold_key"
    )]
    pub gold: Vec<String>,
    /// Where to write the gold key (must not exist)
    #[arg(long, value_name = "FILE")]
    pub gold_key: Option<PathBuf>,
    /// A job without gold tasks (the hub refuses it: gold on at least one task in ten is required;
    /// the flag exists so that the choice is explicit)
    #[arg(long)]
    pub no_gold: bool,
    /// Data root (the tasks' content) [default: zero]
    #[arg(long, value_name = "0x..")]
    pub data_root: Option<B256>,
    /// Difficulty classes END:WEIGHT, comma-separated: tasks below END (and not in an earlier class)
    /// weigh WEIGHT (1-255); the last END is --tasks. A task of weight w pays w × --reward per vote
    #[arg(long, value_name = "END:W,...", value_delimiter = ',')]
    pub difficulty: Vec<String>,
}

/// One committed batch as the votes file keeps it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SavedVote {
    /// Chain id.
    pub chain: u64,
    /// QualityHub address.
    pub hub: Address,
    /// Job id.
    pub job: U256,
    /// Batch id; `None` while the commitment is being sent.
    pub batch: Option<U256>,
    /// The annotator.
    pub annotator: Address,
    /// Tasks.
    pub tasks: Vec<u32>,
    /// One class per task.
    pub labels: Vec<u8>,
    /// The salt of the commitment.
    pub salt: B256,
    /// Whether the reveal was mined.
    #[serde(default)]
    pub revealed: bool,
}

/// The gold key file `hub create` writes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GoldKey {
    /// Chain id.
    pub chain: u64,
    /// QualityHub address.
    pub hub: Address,
    /// Job id (`None` until the job is created).
    pub job: Option<U256>,
    /// The creator the commitment binds.
    pub creator: Address,
    /// Gold tasks, strictly ascending.
    pub tasks: Vec<u32>,
    /// Their classes.
    pub labels: Vec<u8>,
    /// Salt.
    pub salt: B256,
}

fn random_b256() -> Result<B256> {
    let mut b = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .context("reading /dev/urandom for a salt")?;
    Ok(B256::from(b))
}

/// Reads the votes file (an empty list when it does not exist).
pub fn read_votes(path: &Path) -> Result<Vec<SavedVote>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("{}: not a labelmint votes file", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(anyhow!("reading {}: {e}", path.display())),
    }
}

/// Writes `votes` to `path` atomically: a private sibling file (0600,
/// created exclusively) renamed over the old one, synced first.
pub fn write_votes(path: &Path, votes: &[SavedVote]) -> Result<()> {
    write_private_atomic(path, &serde_json::to_vec_pretty(votes)?)
}

fn write_private_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| anyhow!("{}: not a file name", path.display()))?
        .to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let mut f =
        super::create_private(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    std::io::Write::write_all(&mut f, bytes)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))
}

/// Task and class lists: same length, 1..=64 tasks, no task twice, each
/// class below `classes`. Returned sorted by task (the order is part of
/// the commitment, so it is fixed here once).
fn pairs(tasks: &[u32], labels: &[u8], classes: u8) -> Result<(Vec<u32>, Vec<u8>)> {
    if tasks.len() != labels.len() {
        bail!(
            "--tasks has {} ids but --labels has {} classes: give one class per task",
            tasks.len(),
            labels.len()
        );
    }
    if tasks.is_empty() || tasks.len() > 64 {
        bail!(
            "{} tasks: a batch holds 1 to 64 (commit several batches)",
            tasks.len()
        );
    }
    let mut both: Vec<(u32, u8)> = tasks.iter().copied().zip(labels.iter().copied()).collect();
    both.sort_unstable();
    for w in both.windows(2) {
        if w[0].0 == w[1].0 {
            bail!("task {} is listed twice", w[0].0);
        }
    }
    if let Some((t, l)) = both.iter().find(|(_, l)| *l >= classes) {
        bail!(
            "task {t}: class {l} is out of range (the job has {classes} classes: 0..={})",
            classes.saturating_sub(1)
        );
    }
    Ok(both.into_iter().unzip())
}

fn hub_address(c: &Chain) -> Result<Address> {
    if c.hub.is_zero() {
        return Err(anyhow!("no QualityHub for chain {}", c.chain_id))
            .hint("run labelmint-deploy, pass --deployments DIR, or pass --hub ADDR");
    }
    Ok(c.hub)
}

/// The RewardToken of the deployments manifest (the hub's stake token).
pub fn token_address(ctx: &Ctx, c: &Chain) -> Result<Address> {
    labelmint_deploy::read_manifest(&ctx.deployments, c.chain_id)
        .contracts
        .get(labelmint_client::deployments::REWARD_TOKEN)
        .map(|d| d.address)
        .ok_or_else(|| anyhow!("no RewardToken for chain {} in {}", c.chain_id, ctx.deployments.display()))
        .hint("the hub stakes and pays in the RewardToken of the deployments manifest: pass --deployments DIR")
}

/// Approves the hub for `amount` of the token unless the allowance covers it.
fn ensure_allowance(c: &Chain, token: Address, hub: Address, amount: U256) -> Result<()> {
    let have = c.call(
        token,
        &IRewardToken::allowanceCall {
            owner: c.from,
            spender: hub,
        },
    )?;
    if have >= amount {
        return Ok(());
    }
    let balance = c.call(token, &IRewardToken::balanceOfCall { account: c.from })?;
    if balance < amount {
        return Err(anyhow!(
            "{} holds {balance} RewardToken wei; this needs {amount}",
            c.from
        ))
        .hint("get RewardToken first (the token's minter mints it)");
    }
    c.send(
        token,
        &IRewardToken::approveCall {
            spender: hub,
            value: amount,
        },
        U256::ZERO,
    )?;
    eprintln!("approved the hub for {amount} RewardToken wei");
    Ok(())
}

fn phase_name(j: &IHub::getJobReturn, status: u8, now: u64) -> &'static str {
    if status != 1 {
        "closed"
    } else if now < j.commitEnd {
        "commit"
    } else if now < j.revealEnd {
        "reveal"
    } else if now < j.rulingEnd {
        "ruling"
    } else if now < j.settleEnd {
        "settle"
    } else {
        "over (close it)"
    }
}

/// The job's batches from its events: `(batch, annotator, tasks,
/// commitment)` committed, with the labels of those revealed and whether
/// each was settled or forfeited.
struct BatchInfo {
    batch: U256,
    annotator: Address,
    tasks: alloy_primitives::Bytes,
    commitment: B256,
    labels: Option<alloy_primitives::Bytes>,
    done: bool,
}

fn job_batches(c: &Chain, hub: Address, job: U256) -> Result<Vec<BatchInfo>> {
    let topic = B256::from(job.to_be_bytes::<32>());
    let mut out: Vec<BatchInfo> = c
        .logs::<IHub::BatchCommitted>(hub, topic)?
        .into_iter()
        .map(|(e, _)| BatchInfo {
            batch: e.batchId,
            annotator: e.annotator,
            tasks: e.tasks,
            commitment: e.commitment,
            labels: None,
            done: false,
        })
        .collect();
    for (e, _) in c.logs::<IHub::BatchRevealed>(hub, topic)? {
        if let Some(b) = out.iter_mut().find(|b| b.batch == e.batchId) {
            b.labels = Some(e.labels);
        }
    }
    for (e, _) in c.logs::<IHub::BatchSettled>(hub, topic)? {
        if let Some(b) = out.iter_mut().find(|b| b.batch == e.batchId) {
            b.done = true;
        }
    }
    for (e, _) in c.logs::<IHub::BatchForfeited>(hub, topic)? {
        if let Some(b) = out.iter_mut().find(|b| b.batch == e.batchId) {
            b.done = true;
        }
    }
    Ok(out)
}

fn wei(v: impl ToString) -> serde_json::Value {
    serde_json::Value::String(v.to_string())
}

/// Runs `labelmint hub <sub>`.
#[allow(clippy::too_many_lines)] // one arm per subcommand
pub fn run(ctx: &Ctx, cmd: &HubCmd) -> Result<()> {
    let c = Chain::connect(ctx)?;
    let hub = hub_address(&c)?;
    let votes_path = |v: &Option<PathBuf>| v.clone().unwrap_or_else(|| DEFAULT_VOTES.into());
    match cmd {
        HubCmd::Stake { amount } => {
            let token = token_address(ctx, &c)?;
            ensure_allowance(&c, token, hub, U256::from(*amount))?;
            c.send(hub, &IHub::stakeCall { amount: *amount }, U256::ZERO)?;
            let s = c.call(hub, &IHub::stakeOfCall { annotator: c.from })?;
            emit(
                s.staked,
                json!({"staked": wei(s.staked), "locked": wei(s.locked)}),
            );
            eprintln!(
                "{} staked {} ({} locked in votes)",
                c.from, s.staked, s.locked
            );
        }
        HubCmd::RequestUnstake { amount } => {
            c.send(
                hub,
                &IHub::requestUnstakeCall { amount: *amount },
                U256::ZERO,
            )?;
            let s = c.call(hub, &IHub::stakeOfCall { annotator: c.from })?;
            emit(
                s.readyAt,
                json!({"pending": wei(s.pending), "readyAt": s.readyAt}),
            );
            eprintln!(
                "{} wei pending; withdraw-stake from unix time {}",
                s.pending, s.readyAt
            );
        }
        HubCmd::WithdrawStake => {
            let before = c.call(hub, &IHub::stakeOfCall { annotator: c.from })?;
            c.send(hub, &IHub::withdrawStakeCall {}, U256::ZERO)?;
            emit(before.pending, json!({"withdrawn": wei(before.pending)}));
            eprintln!("{} wei of stake returned to {}", before.pending, c.from);
        }
        HubCmd::Create(a) => create(ctx, &c, hub, a)?,
        HubCmd::Commit {
            job,
            tasks,
            labels,
            votes,
        } => {
            let path = votes_path(votes);
            let j = c.call(hub, &IHub::getJobCall { jobId: *job })?;
            let (tasks, labels) = pairs(tasks, labels, j.numClasses)?;
            let salt = random_b256()?;
            let mut saved = read_votes(&path)?;
            let vote = SavedVote {
                chain: c.chain_id,
                hub,
                job: *job,
                batch: None,
                annotator: c.from,
                tasks: tasks.clone(),
                labels: labels.clone(),
                salt,
                revealed: false,
            };
            // The salt is on disk before the commitment is on chain.
            saved.push(vote.clone());
            write_votes(&path, &saved)?;
            let sent = c.send(
                hub,
                &IHub::commitBatchCall {
                    jobId: *job,
                    tasks: pack_tasks(&tasks),
                    commitment: commitment(*job, c.from, &labels, salt),
                },
                U256::ZERO,
            );
            let receipt = match sent {
                Ok(r) => r,
                Err(e) => {
                    saved.retain(|v| v != &vote);
                    write_votes(&path, &saved)?;
                    return Err(e);
                }
            };
            let batch = receipt
                .inner
                .logs()
                .iter()
                .find_map(|l| IHub::BatchCommitted::decode_log_data(l.data()).ok())
                .map(|e| e.batchId)
                .ok_or_else(|| anyhow!("no BatchCommitted in the receipt"))?;
            if let Some(v) = saved.iter_mut().find(|v| **v == vote) {
                v.batch = Some(batch);
            }
            write_votes(&path, &saved)?;
            emit(
                batch,
                json!({"job": job.to_string(), "batch": batch.to_string(), "tasks": tasks.len(), "votes": path}),
            );
            eprintln!(
                "batch {batch}: {} labels committed; salt kept in {} (reveal between unix {} and {})",
                tasks.len(),
                path.display(),
                j.commitEnd,
                j.revealEnd
            );
        }
        HubCmd::Reveal { job, batch, votes } => {
            let path = votes_path(votes);
            let mut saved = read_votes(&path)?;
            let mine: Vec<usize> = saved
                .iter()
                .enumerate()
                .filter(|(_, v)| {
                    v.hub == hub
                        && v.chain == c.chain_id
                        && v.job == *job
                        && v.annotator == c.from
                        && !v.revealed
                        && v.batch.is_some()
                        && batch.is_none_or(|b| v.batch == Some(b))
                })
                .map(|(i, _)| i)
                .collect();
            if mine.is_empty() {
                return Err(anyhow!(
                    "no unrevealed batch of job {job}{} by {} in {}",
                    batch.map(|b| format!(" (batch {b})")).unwrap_or_default(),
                    c.from,
                    path.display()
                ))
                .hint("the salts are in the votes file of the machine that committed: pass --votes FILE");
            }
            let mut revealed = Vec::new();
            for i in mine {
                let v = saved[i].clone();
                let b = v.batch.unwrap_or_default();
                c.send(
                    hub,
                    &IHub::revealBatchCall {
                        jobId: v.job,
                        batchId: b,
                        tasks: pack_tasks(&v.tasks),
                        labels: v.labels.clone().into(),
                        salt: v.salt,
                    },
                    U256::ZERO,
                )?;
                saved[i].revealed = true;
                write_votes(&path, &saved)?;
                eprintln!("batch {b}: {} labels revealed", v.tasks.len());
                revealed.push(b.to_string());
            }
            emit(
                revealed.join(","),
                json!({"job": job.to_string(), "revealed": revealed}),
            );
        }
        HubCmd::RevealGold { job, gold_key } => {
            let text = std::fs::read(gold_key)
                .with_context(|| format!("--gold-key {}", gold_key.display()))?;
            let key: GoldKey = serde_json::from_slice(&text)
                .with_context(|| format!("{}: not a gold key file", gold_key.display()))?;
            if key.job.is_some_and(|j| j != *job) || key.hub != hub || key.chain != c.chain_id {
                bail!(
                    "{} is the key of job {} on hub {} (chain {}), not of job {job} here",
                    gold_key.display(),
                    key.job.map_or_else(|| "?".into(), |j| j.to_string()),
                    key.hub,
                    key.chain
                );
            }
            c.send(
                hub,
                &IHub::revealGoldCall {
                    jobId: *job,
                    tasks: pack_tasks(&key.tasks),
                    labels: key.labels.clone().into(),
                    salt: key.salt,
                },
                U256::ZERO,
            )?;
            emit(
                key.tasks.len(),
                json!({"job": job.to_string(), "goldTasks": key.tasks.len()}),
            );
            eprintln!("gold key of job {job} revealed ({} tasks)", key.tasks.len());
        }
        HubCmd::Settle { job, batch } | HubCmd::Forfeit { job, batch } => {
            let settle = matches!(cmd, HubCmd::Settle { .. });
            let all = job_batches(&c, hub, *job)?;
            let todo: Vec<&BatchInfo> = all
                .iter()
                .filter(|b| {
                    !b.done
                        && b.labels.is_some() == settle
                        && batch.is_none_or(|want| b.batch == want)
                })
                .collect();
            if todo.is_empty() {
                bail!(
                    "job {job}: no {} batch{} to {}",
                    if settle {
                        "revealed, unsettled"
                    } else {
                        "unrevealed"
                    },
                    batch.map_or_else(String::new, |b| format!(" {b}")),
                    if settle { "settle" } else { "forfeit" }
                );
            }
            let mut done = Vec::new();
            for b in todo {
                if settle {
                    c.send(
                        hub,
                        &IHub::settleBatchCall {
                            jobId: *job,
                            batchId: b.batch,
                            annotator: b.annotator,
                            tasks: b.tasks.clone(),
                            labels: b.labels.clone().unwrap_or_default(),
                        },
                        U256::ZERO,
                    )?;
                } else {
                    c.send(
                        hub,
                        &IHub::forfeitBatchCall {
                            jobId: *job,
                            batchId: b.batch,
                            annotator: b.annotator,
                            tasks: b.tasks.clone(),
                            commitment: b.commitment,
                        },
                        U256::ZERO,
                    )?;
                }
                eprintln!(
                    "batch {} of {}: {}",
                    b.batch,
                    b.annotator,
                    if settle { "settled" } else { "forfeited" }
                );
                done.push(b.batch.to_string());
            }
            emit(
                done.join(","),
                json!({"job": job.to_string(), if settle { "settled" } else { "forfeited" }: done}),
            );
        }
        HubCmd::Rule { job, tasks, labels } => {
            let j = c.call(hub, &IHub::getJobCall { jobId: *job })?;
            let (tasks, labels) = pairs(tasks, labels, j.numClasses)?;
            c.send(
                hub,
                &IHub::ruleTasksCall {
                    jobId: *job,
                    tasks: pack_tasks(&tasks),
                    labels: labels.into(),
                },
                U256::ZERO,
            )?;
            emit(tasks.len(), json!({"job": job.to_string(), "ruled": tasks}));
            eprintln!("{} tasks of job {job} ruled", tasks.len());
        }
        HubCmd::Close { job } => {
            let r = c.send(hub, &IHub::closeJobCall { jobId: *job }, U256::ZERO)?;
            let e = r
                .inner
                .logs()
                .iter()
                .find_map(|l| IHub::JobClosed::decode_log_data(l.data()).ok())
                .ok_or_else(|| anyhow!("no JobClosed in the receipt"))?;
            emit(
                e.refund,
                json!({"job": job.to_string(), "refund": wei(e.refund), "slashPool": wei(e.slashPool), "bondForfeited": e.bondForfeited}),
            );
            eprintln!(
                "job {job} closed: {} refunded to the creator's credit, slash pool {}{}",
                e.refund,
                e.slashPool,
                if e.bondForfeited {
                    ", gold bond forfeited"
                } else {
                    ""
                }
            );
        }
        HubCmd::ClaimSlash { job } => {
            let r = c.send(hub, &IHub::claimSlashShareCall { jobId: *job }, U256::ZERO)?;
            let amount = r
                .inner
                .logs()
                .iter()
                .find_map(|l| IHub::SlashShareClaimed::decode_log_data(l.data()).ok())
                .map_or(0, |e| e.amount);
            emit(
                amount,
                json!({"job": job.to_string(), "amount": wei(amount)}),
            );
            eprintln!(
                "{amount} wei of job {job}'s slash pool credited to {}",
                c.from
            );
        }
        HubCmd::Withdraw { to } => {
            let to = to.unwrap_or(c.from);
            let credit = c.call(hub, &IHub::creditOfCall { account: c.from })?;
            if credit.is_zero() {
                return Err(anyhow!("{} has no credit on the hub", c.from)).hint(
                    "settle your batches (labelmint hub settle JOB) or claim a slash share first",
                );
            }
            c.send(hub, &IHub::withdrawCall { to }, U256::ZERO)?;
            emit(credit, json!({"withdrawn": wei(credit), "to": to}));
            eprintln!("{credit} RewardToken wei paid to {to}");
        }
        HubCmd::Status {
            job,
            annotator,
            votes,
        } => {
            let who = annotator.unwrap_or(c.from);
            let j = c.call(hub, &IHub::getJobCall { jobId: *job })?;
            let acc = c.call(hub, &IHub::jobAccountsCall { jobId: *job })?;
            let rec = c.call(
                hub,
                &IHub::recordOfCall {
                    jobId: *job,
                    annotator: who,
                },
            )?;
            let now = c.now()?;
            let phase = phase_name(&j, acc.status, now);
            let local: Vec<serde_json::Value> = read_votes(&votes_path(votes))?
                .into_iter()
                .filter(|v| v.hub == hub && v.job == *job && v.annotator == who)
                .map(|v| {
                    json!({"batch": v.batch.map(|b| b.to_string()), "tasks": v.tasks, "revealed": v.revealed})
                })
                .collect();
            let unrevealed = local.iter().filter(|v| v["revealed"] == false).count();
            let value = json!({
                "job": job.to_string(), "creator": j.creator, "phase": phase, "now": now,
                "tasks": j.taskCount, "k": j.replication, "classes": j.numClasses,
                "rewardPerVote": wei(j.rewardPerVote), "stakePerVote": wei(j.stakePerVote),
                "slashBps": j.slashBps, "quorumBps": j.quorumBps, "minReputationBps": j.minReputationBps,
                "commitEnd": j.commitEnd, "revealEnd": j.revealEnd, "rulingEnd": j.rulingEnd, "settleEnd": j.settleEnd,
                "arbiter": j.arbiter, "arbiterFee": wei(j.arbiterFee),
                "batches": acc.batches, "escrow": wei(acc.escrow), "slashPool": wei(acc.slashPool),
                "agreedTotal": acc.agreedTotal, "goldTasks": acc.goldTasks, "goldRevealed": acc.goldRevealed,
                "record": {"annotator": who, "agreed": rec.agreed, "judged": rec.judged,
                           "openBatches": rec.openBatches, "locked": wei(rec.locked), "slashClaimed": rec.claimed},
                "localVotes": local,
            });
            if crate::output::json() {
                crate::output::emit_value(&value);
            } else {
                println!(
                    "job {job}: {phase} (now {now}); {} tasks × {} votes, {} classes; {} wei per vote, stake {} per vote",
                    j.taskCount, j.replication, j.numClasses, j.rewardPerVote, j.stakePerVote
                );
                println!(
                    "  commit until {}, reveal until {}, rulings until {}, settle until {}",
                    j.commitEnd, j.revealEnd, j.rulingEnd, j.settleEnd
                );
                println!(
                    "  {} batches; escrow {}, slash pool {}; gold {} tasks ({})",
                    acc.batches,
                    acc.escrow,
                    acc.slashPool,
                    acc.goldTasks,
                    if acc.goldRevealed {
                        "revealed"
                    } else {
                        "hidden"
                    }
                );
                println!(
                    "  {who}: {} of {} judged labels agreed, {} open batches, {} locked",
                    rec.agreed, rec.judged, rec.openBatches, rec.locked
                );
                if unrevealed > 0 && phase == "reveal" {
                    println!(
                        "  REVEAL NOW: {unrevealed} of your batches are unrevealed; the reveal phase ends at {} (labelmint hub reveal {job})",
                        j.revealEnd
                    );
                } else if unrevealed > 0 && phase == "commit" {
                    println!(
                        "  {unrevealed} committed batches to reveal from unix time {} (labelmint hub reveal {job})",
                        j.commitEnd
                    );
                }
            }
        }
        HubCmd::Reputation { who } => {
            let who = who.unwrap_or(c.from);
            let r = c.call(hub, &IHub::reputationOfCall { annotator: who })?;
            let s = c.call(hub, &IHub::stakeOfCall { annotator: who })?;
            emit(
                format!(
                    "{who}: score {} bps ({} of {} judged labels agreed; {} wei judged at stake); stake {} ({} locked, {} pending until {})",
                    r.scoreBps, r.agreed, r.judged, r.valueAtStake, s.staked, s.locked, s.pending, s.readyAt
                ),
                json!({"annotator": who, "scoreBps": r.scoreBps, "judged": r.judged, "agreed": r.agreed,
                       "valueAtStake": wei(r.valueAtStake), "staked": wei(s.staked), "locked": wei(s.locked),
                       "pending": wei(s.pending), "readyAt": s.readyAt}),
            );
        }
    }
    Ok(())
}

/// `A:B` items of a list flag, each side parsed (`flag` and `form` name
/// them in errors).
pub(crate) fn colon_pairs<A: std::str::FromStr, B: std::str::FromStr>(
    flag: &str,
    items: &[String],
    form: &str,
) -> Result<Vec<(A, B)>> {
    items
        .iter()
        .map(|p| {
            let parsed = p
                .split_once(':')
                .and_then(|(x, y)| Some((x.trim().parse().ok()?, y.trim().parse().ok()?)));
            parsed.ok_or_else(|| anyhow!("{flag} {p:?}: write {form}"))
        })
        .collect()
}

/// `hub create` (and `job create --mode majority`): checks, the gold key
/// (written privately before its hash is sent), the allowance, the call.
#[allow(clippy::too_many_lines)] // checks, the gold key, the call, the report
pub fn create(ctx: &Ctx, c: &Chain, hub: Address, a: &HubCreate) -> Result<()> {
    let mut gold: Vec<(u32, u8)> = colon_pairs("--gold", &a.gold, "TASK:CLASS, e.g. 5:2")?;
    gold.sort_unstable();
    if let Some((t, _)) = gold.iter().find(|(t, _)| *t >= a.tasks) {
        bail!(
            "--gold task {t} is out of range (the job has {} tasks)",
            a.tasks
        );
    }
    let (gold_tasks, gold_labels) = if gold.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        let (t, l): (Vec<u32>, Vec<u8>) = gold.iter().copied().unzip();
        pairs(&t, &l, a.classes).context("--gold")?
    };
    let difficulty: Vec<(u32, u8)> =
        colon_pairs("--difficulty", &a.difficulty, "END:WEIGHT, e.g. 100:3")?;
    let spec = crate::hub::HubJob {
        tasks: a.tasks,
        difficulty: difficulty.clone(),
        ..crate::hub::HubJob::default()
    };
    if !difficulty.is_empty()
        && hub_common::parse_difficulty(&spec.difficulty_bytes(), a.tasks).is_none()
    {
        bail!(
            "--difficulty: 1 to 4 classes, ends ascending and the last = --tasks ({}), weights 1-255",
            a.tasks
        );
    }
    let terms = c.call(
        c.market,
        &crate::market::IMarket::arbiterTermsCall { termsId: a.terms },
    )?;
    let stake = a.stake.unwrap_or(a.reward.saturating_mul(3));
    let escrow = U256::from(a.reward) * U256::from(a.k) * U256::from(spec.units());
    let bond = U256::from(a.reward.saturating_add(terms.fee)) * U256::from(gold_tasks.len());
    let salt = random_b256()?;
    let key = GoldKey {
        chain: c.chain_id,
        hub,
        job: None,
        creator: c.from,
        tasks: gold_tasks.clone(),
        labels: gold_labels.clone(),
        salt,
    };
    let gold_commitment = if gold_tasks.is_empty() {
        B256::ZERO
    } else {
        let mut pre = c.from.to_vec();
        pre.extend_from_slice(&pack_tasks(&gold_tasks));
        pre.extend_from_slice(&gold_labels);
        pre.extend_from_slice(salt.as_slice());
        alloy_primitives::keccak256(pre)
    };
    // The key is on disk (created exclusively, 0600) before its hash is on chain.
    if let Some(path) = &a.gold_key {
        let mut f = super::create_private(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                anyhow!(
                    "--gold-key {} exists: it may hold another job's key",
                    path.display()
                )
            } else {
                anyhow!("writing {}: {e}", path.display())
            }
        })?;
        std::io::Write::write_all(&mut f, &serde_json::to_vec_pretty(&key)?)
            .and_then(|()| f.sync_all())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let token = token_address(ctx, c)?;
    ensure_allowance(c, token, hub, escrow + bond)?;
    let call = IHub::createJobCall {
        dataRoot: a.data_root.unwrap_or_default(),
        rewardPerVote: a.reward,
        taskCount: a.tasks,
        replication: a.k,
        numClasses: a.classes,
        quorumBps: a.quorum_bps,
        commitDuration: a.commit_secs,
        revealDuration: a.reveal_secs,
        settleDuration: a.settle_secs,
        stakePerVote: stake,
        slashBps: a.slash_bps,
        minReputationBps: a.min_rep,
        arbiterTerms: a.terms,
        goldCommitment: gold_commitment,
        goldTasks: u32::try_from(gold_tasks.len())?,
    };
    let r = if difficulty.is_empty() {
        c.send(hub, &call, U256::ZERO)
    } else {
        let weighted = crate::hub::weighted(call.clone(), spec.difficulty_bytes());
        c.send(hub, &weighted, U256::ZERO)
    };
    let r = match r {
        Ok(r) => r,
        Err(e) => {
            if let Some(path) = &a.gold_key {
                let _ = std::fs::remove_file(path);
            }
            return Err(e);
        }
    };
    let id = r
        .inner
        .logs()
        .iter()
        .find_map(|l| IHub::JobCreated::decode_log_data(l.data()).ok())
        .map(|e| e.jobId)
        .ok_or_else(|| anyhow!("no JobCreated in the receipt"))?;
    if let Some(path) = &a.gold_key {
        write_private_atomic(
            path,
            &serde_json::to_vec_pretty(&GoldKey {
                job: Some(id),
                ..key
            })?,
        )?;
    }
    emit(
        id,
        json!({"job": id.to_string(), "escrow": wei(escrow), "goldBond": wei(bond), "goldTasks": gold_tasks.len(),
               "stakePerVote": wei(stake), "goldKey": a.gold_key}),
    );
    eprintln!(
        "hub job {id}: {escrow} wei escrowed + {bond} gold bond; {} gold tasks{}",
        gold_tasks.len(),
        a.gold_key
            .as_ref()
            .map(|p| format!(", key in {}", p.display()))
            .unwrap_or_default()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_sorted_by_task_and_bad_lists_are_refused() {
        let (t, l) = pairs(&[3, 1, 2], &[0, 1, 2], 3).unwrap();
        assert_eq!((t, l), (vec![1, 2, 3], vec![1, 2, 0]));
        assert!(pairs(&[1, 2], &[0], 3)
            .unwrap_err()
            .to_string()
            .contains("one class per task"));
        assert!(pairs(&[1, 1], &[0, 0], 3)
            .unwrap_err()
            .to_string()
            .contains("listed twice"));
        assert!(pairs(&[1], &[3], 3)
            .unwrap_err()
            .to_string()
            .contains("out of range"));
        assert!(pairs(&[], &[], 3).is_err());
        let many: Vec<u32> = (0..65).collect();
        assert!(pairs(&many, &[0; 65], 3)
            .unwrap_err()
            .to_string()
            .contains("1 to 64"));
    }

    #[test]
    fn the_votes_file_is_private_and_rewritten_whole() {
        let dir = std::env::temp_dir().join(format!("lm-votes-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("votes.json");
        assert!(read_votes(&path).unwrap().is_empty());
        let v = SavedVote {
            chain: 1,
            hub: Address::repeat_byte(1),
            job: U256::from(1),
            batch: Some(U256::from(2)),
            annotator: Address::repeat_byte(2),
            tasks: vec![1, 2],
            labels: vec![0, 1],
            salt: B256::repeat_byte(9),
            revealed: false,
        };
        write_votes(&path, std::slice::from_ref(&v)).unwrap();
        write_votes(&path, &[v.clone(), v.clone()]).unwrap();
        assert_eq!(read_votes(&path).unwrap(), vec![v.clone(), v]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, b"{not json").unwrap();
        assert!(read_votes(&path)
            .unwrap_err()
            .to_string()
            .contains("not a labelmint votes file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
