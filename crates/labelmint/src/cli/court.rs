//! `labelmint court …`: the QualityCourt from the command line — the
//! oracle's payouts from an IoU consensus, posting results as Merkle roots,
//! the creator's audit seed chain, disputes, rulings, claims and status.

use std::{
    io::Read as _,
    path::{Path, PathBuf},
};

use alloy_primitives::{Address, B256, U256};
use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::{Chain, Ctx};
use crate::court::{geometry_payouts, Difficulty, ICourt, Payout, PayoutTree, SeedChain};
use crate::output::{emit, emit_value};

/// `labelmint court …`.
#[derive(Debug, Subcommand)]
pub enum CourtCmd {
    /// Escrow ETH for a job judged off chain, naming an oracle and the arbiter terms it is ruled under; prints the job id
    #[command(after_help = "Examples:
  labelmint court create --oracle 0x… --terms 1 --escrow 4000000000000000
  labelmint court create --oracle 0x… --terms 1 --escrow 4000 --audit-bps 2500 --seed-file seed.json --results 10

--terms: the id of terms an arbiter registered for ETH (labelmint arbiter register); they fix the
arbiter, its fee, the dispute bond and the windows.")]
    Create(CourtCreate),
    /// The oracle's payouts, offline: IoU consensus (--labels) or a reputation-weighted vote (--votes); prints the total
    #[command(
        group = clap::ArgGroup::new("input").required(true).args(["labels", "votes"]),
        after_help = "Examples:
  labelmint court payouts --labels boxes.json --annotators 0xA,0xB,0xC --per-shape 1000 --out payouts.json
  labelmint court payouts --votes votes.json --classes 3 --annotators 0xA,0xB,0xC --per-task 1000 \\
      --reputations hub --out payouts.json --escalated escalated.json

boxes.json: [{\"task\", \"annotator\", \"category\", \"shape\"}]; votes.json: [{\"task\", \"annotator\", \"label\"}]"
    )]
    Payouts(CourtPayouts),
    /// Post a result: the payouts file as a Merkle root; prints the result id
    #[command(
        after_help = "Examples:\n  labelmint court post 1 --payouts payouts.json\n  labelmint court post 1 --payouts payouts.json --max 900"
    )]
    Post {
        /// Court job id
        job: U256,
        /// Payouts file
        #[arg(long, value_name = "FILE")]
        payouts: PathBuf,
        /// The most a ruling may set this result's total to, in wei [default: the total]
        #[arg(long, value_name = "WEI")]
        max: Option<u128>,
        /// Details hash (an audit link)
        #[arg(long, value_name = "0x..")]
        details: Option<B256>,
    },
    /// Reveal the audit seed of a result (the creator)
    #[command(after_help = "Example:\n  labelmint court reveal-seed 1 1 --seed-file seed.json")]
    RevealSeed {
        /// Court job id
        job: U256,
        /// Result id
        result: U256,
        /// Seed file written by court create
        #[arg(long, value_name = "F")]
        seed_file: PathBuf,
    },
    /// Dispute a result, bonding the job's dispute bond
    #[command(after_help = "Example:\n  labelmint court dispute 1 1")]
    Dispute {
        /// Court job id
        job: U256,
        /// Result id
        result: U256,
    },
    /// Rule on a disputed result (the arbiter): uphold it or overturn it with new payouts
    #[command(
        group = clap::ArgGroup::new("ruling").required(true).args(["uphold", "payouts"]),
        after_help = "Examples:\n  labelmint court rule 1 1 --uphold\n  labelmint court rule 1 1 --payouts corrected.json"
    )]
    Rule {
        /// Court job id
        job: U256,
        /// Result id
        result: U256,
        /// The result stands
        #[arg(long)]
        uphold: bool,
        /// Overturn with these payouts
        #[arg(long, value_name = "FILE")]
        payouts: Option<PathBuf>,
        /// Details hash of the new result
        #[arg(long, value_name = "0x..")]
        details: Option<B256>,
    },
    /// Finalize a result after its challenge window; prints its state
    #[command(after_help = "Example:\n  labelmint court finalize 1 1")]
    Finalize {
        /// Court job id
        job: U256,
        /// Result id
        result: U256,
    },
    /// Claim payouts by Merkle proof (all, or one --index); prints the wei credited
    #[command(after_help = "Example:\n  labelmint court claim 1 1 --payouts payouts.json")]
    Claim {
        /// Court job id
        job: U256,
        /// Result id
        result: U256,
        /// The payouts file the result was posted (or ruled) with
        #[arg(long, value_name = "FILE")]
        payouts: PathBuf,
        /// Claim only this leaf
        #[arg(long, value_name = "N")]
        index: Option<u32>,
    },
    /// Close a job (the creator), crediting what is left; prints the credit
    #[command(after_help = "Example:\n  labelmint court close 1")]
    Close {
        /// Court job id
        job: U256,
    },
    /// Withdraw your credits; prints the amount
    #[command(after_help = "Example:\n  labelmint court withdraw --to 0x…")]
    Withdraw {
        /// Recipient [default: the signer]
        #[arg(long, value_name = "ADDR")]
        to: Option<Address>,
    },
    /// A court job (and one result) as JSON
    #[command(after_help = "Examples:\n  labelmint court status 1\n  labelmint court status 1 1")]
    Status {
        /// Court job id
        job: U256,
        /// Result id
        result: Option<U256>,
    },
}

/// `labelmint court create`.
#[derive(Debug, Args)]
pub struct CourtCreate {
    /// The oracle that posts results
    #[arg(long, value_name = "A")]
    pub oracle: Address,
    /// Arbiter terms id (registered by the arbiter for ETH with `labelmint arbiter register`)
    #[arg(long, value_name = "ID")]
    pub terms: u32,
    /// ETH escrowed, in wei
    #[arg(long, value_name = "WEI")]
    pub escrow: U256,
    /// Root of the task manifest
    #[arg(long, value_name = "R")]
    pub data_root: Option<B256>,
    /// Share of results audited, in basis points (needs --seed-file)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub audit_bps: u16,
    /// Where the audit secret is written (0600, never overwritten)
    #[arg(long, value_name = "F")]
    pub seed_file: Option<PathBuf>,
    /// Results the seed chain covers
    #[arg(long, value_name = "N", default_value_t = 1_000)]
    pub results: u64,
}

/// `labelmint court payouts`.
#[derive(Debug, Args)]
pub struct CourtPayouts {
    /// Geometry labels [{task, annotator, category, shape}] (IoU consensus)
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// Categorical votes [{task, annotator, label}] (weighted vote)
    #[arg(long, value_name = "FILE")]
    pub votes: Option<PathBuf>,
    /// Annotator addresses in index order, comma-separated
    #[arg(long, value_name = "A1,A2,...")]
    pub annotators: String,
    /// With --labels: wei per matched shape
    #[arg(long, value_name = "WEI")]
    pub per_shape: Option<u128>,
    /// With --labels: IoU threshold
    #[arg(long, value_name = "X", default_value_t = 0.5)]
    pub iou: f64,
    /// With --labels: annotators needed for a consensus shape
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub quorum: usize,
    /// With --votes: number of classes
    #[arg(long, value_name = "C")]
    pub classes: Option<u16>,
    /// With --votes: wei per task
    #[arg(long, value_name = "WEI")]
    pub per_task: Option<u128>,
    /// With --votes: reputations file {"0xaddr": {judged, score_bps}}, or `hub` (reputationOf on chain)
    #[arg(long, value_name = "FILE|hub")]
    pub reputations: Option<String>,
    /// With --votes: the expert's labels {"task": label}
    #[arg(long, value_name = "FILE")]
    pub expert: Option<PathBuf>,
    /// Output payouts file
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// With --votes: write the tasks escalated to the expert here
    #[arg(long, value_name = "FILE")]
    pub escalated: Option<PathBuf>,
    /// Difficulty classes END:WEIGHT of the job's tasks (as given to `job create --difficulty`):
    /// a task of weight w pays w × --per-task (--per-shape per shape) and counts w royalty shares
    #[arg(
        long,
        value_name = "END:WEIGHT",
        value_delimiter = ',',
        requires = "tasks"
    )]
    pub difficulty: Vec<String>,
    /// With --difficulty: the job's task count (the last class must end there)
    #[arg(long, value_name = "N")]
    pub tasks: Option<u32>,
}

/// The `--difficulty` classes of `court payouts` for a job of `--tasks`
/// tasks, checked against the tasks the labels or votes name (`named`: the
/// highest task id + 1).
fn payout_difficulty(a: &CourtPayouts, named: u32) -> Result<Difficulty> {
    if a.difficulty.is_empty() {
        return Ok(Difficulty::default());
    }
    let tasks = a
        .tasks
        .ok_or_else(|| anyhow!("--difficulty needs --tasks N (the job's task count)"))?;
    let classes: Vec<(u32, u8)> =
        crate::cli::hub::colon_pairs("--difficulty", &a.difficulty, "END:WEIGHT, e.g. 100:3")?;
    let difficulty = Difficulty::new(classes, tasks)?;
    if named > tasks {
        bail!(
            "the file names task {}, but the job has --tasks {tasks}",
            named - 1
        );
    }
    Ok(difficulty)
}

const STATES: [&str; 6] = ["none", "posted", "in review", "final", "void", "expired"];
const AUDIT: [&str; 3] = ["seed not revealed", "not sampled", "sampled"];

/// Reads a payouts file: `[{"annotator": "0x…", "payout": "wei", "labels": n, "verdicts": "0x…"}]`
/// (`labels`, the annotator's accepted labels, defaults to 0).
pub fn read_payouts(file: &Path) -> Result<Vec<Payout>> {
    let path = file.display();
    let text = std::fs::read_to_string(file).with_context(|| format!("--payouts {path}"))?;
    let v: Value = serde_json::from_str(&text).with_context(|| format!("{path}: not JSON"))?;
    let rows = v
        .as_array()
        .ok_or_else(|| anyhow!("{path}: expected a JSON array of payouts"))?;
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            let field = |name: &str| {
                r[name]
                    .as_str()
                    .ok_or_else(|| anyhow!("{path}: payout {i} has no string \"{name}\""))
            };
            Ok(Payout {
                annotator: field("annotator")?
                    .parse()
                    .with_context(|| format!("{path}: payout {i}: annotator"))?,
                payout: field("payout")?
                    .parse()
                    .with_context(|| format!("{path}: payout {i}: payout (wei, decimal)"))?,
                labels: match &r["labels"] {
                    Value::Null => 0,
                    v => v
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or_else(|| anyhow!("{path}: payout {i}: labels (a uint32)"))?,
                },
                verdicts: field("verdicts")?
                    .parse()
                    .with_context(|| format!("{path}: payout {i}: verdicts (bytes32)"))?,
            })
        })
        .collect()
}

/// The JSON form of payouts (amounts as decimal strings: no precision loss).
pub fn payouts_json(payouts: &[Payout]) -> Value {
    Value::Array(
        payouts
            .iter()
            .map(|p| {
                json!({
                    "annotator": p.annotator.to_string(),
                    "payout": p.payout.to_string(),
                    "labels": p.labels,
                    "verdicts": p.verdicts.to_string(),
                })
            })
            .collect(),
    )
}

fn seed_chain(file: &Path) -> Result<SeedChain> {
    let path = file.display();
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(file).with_context(|| format!("--seed-file {path}"))?,
    )
    .with_context(|| format!("{path}: not JSON"))?;
    let secret: B256 = v["secret"]
        .as_str()
        .ok_or_else(|| anyhow!("{path}: no \"secret\""))?
        .parse()
        .with_context(|| format!("{path}: secret"))?;
    let length = v["results"]
        .as_u64()
        .ok_or_else(|| anyhow!("{path}: no \"results\""))?;
    Ok(SeedChain::new(secret, results_in_range(length)?))
}

/// Most results one audit seed chain covers (one hash each, computed when
/// the file is read).
pub const MAX_SEED_RESULTS: u64 = 1_000_000;

fn results_in_range(results: u64) -> Result<usize> {
    if results == 0 || results > MAX_SEED_RESULTS {
        bail!("--results {results}: between 1 and {MAX_SEED_RESULTS}");
    }
    Ok(usize::try_from(results)?)
}

fn court_address(c: &Chain) -> Result<Address> {
    if c.court.is_zero() {
        bail!(
            "no QualityCourt for chain {}: run labelmint-deploy or pass --court",
            c.chain_id
        );
    }
    Ok(c.court)
}

/// `court create` (and `job create --mode weighted|expert|optimistic`):
/// the audit secret (written privately before its commitment is sent), then
/// the escrow.
pub fn create(c: &Chain, court: Address, a: &CourtCreate) -> Result<()> {
    let (oracle, terms, escrow) = (a.oracle, a.terms, a.escrow);
    let audit_bps = a.audit_bps;
    let seed = if audit_bps > 0 {
        let path = a
            .seed_file
            .as_deref()
            .ok_or_else(|| anyhow!("--audit-bps needs --seed-file F"))?;
        let results = a.results;
        let length = results_in_range(results)?;
        let mut secret = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut secret))
            .context("reading /dev/urandom for the audit secret")?;
        let file = json!({"secret": B256::from(secret).to_string(), "results": results});
        let path_text = path.display();
        // Created exclusively (never over another job's secret, never
        // through a planted link) and readable by the owner only.
        let mut handle = super::create_private(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                anyhow!("--seed-file {path_text} exists: it holds another job's secret")
            } else {
                anyhow!("writing {path_text}: {e}")
            }
        })?;
        std::io::Write::write_all(&mut handle, &serde_json::to_vec_pretty(&file)?)
            .and_then(|()| handle.sync_all())
            .with_context(|| format!("writing {path_text}"))?;
        SeedChain::new(B256::from(secret), length).commitment()
    } else {
        B256::ZERO
    };
    let call = ICourt::createJobCall {
        dataRoot: a.data_root.unwrap_or_default(),
        oracle,
        arbiterTerms: terms,
        auditBps: audit_bps,
        seedCommitment: seed,
    };
    c.send(court, &call, escrow)?;
    let id = c.call(court, &ICourt::jobCountCall {})?;
    let j = c.call(court, &ICourt::getJobCall { jobId: id })?;
    emit(
        id,
        json!({"job": id.to_string(), "escrow": escrow.to_string(), "arbiter": j.arbiter.to_string(),
               "arbiterFee": j.arbiterFee.to_string(), "disputeBond": j.disputeBond.to_string()}),
    );
    eprintln!(
        "court job {id}: {escrow} wei escrowed; oracle {oracle}, arbiter {} (terms {terms}: fee {}, bond {})",
        j.arbiter, j.arbiterFee, j.disputeBond
    );
    Ok(())
}

/// Runs `labelmint court <sub>`.
#[allow(clippy::too_many_lines)] // one arm per subcommand
pub fn run(ctx: &Ctx, cmd: &CourtCmd) -> Result<()> {
    if let CourtCmd::Payouts(a) = cmd {
        return if a.votes.is_some() {
            weighted(ctx, a)
        } else {
            payouts(a)
        };
    }
    let c = Chain::connect(ctx)?;
    let court = court_address(&c)?;
    match cmd {
        CourtCmd::Payouts(_) => unreachable!("handled above"),
        CourtCmd::Create(a) => create(&c, court, a)?,
        CourtCmd::Post {
            job,
            payouts,
            max,
            details,
        } => {
            let job = *job;
            let payouts = read_payouts(payouts)?;
            let j = c.call(court, &ICourt::getJobCall { jobId: job })?;
            let result = U256::from(j.results) + U256::from(1);
            let tree = PayoutTree::new(job, result, payouts)?;
            c.send(
                court,
                &tree.post_call_max(details.unwrap_or_default(), max.unwrap_or(tree.total())),
                U256::ZERO,
            )?;
            emit(
                result,
                json!({"result": result.to_string(), "root": tree.root(), "payouts": tree.leaves(), "total": tree.total().to_string()}),
            );
            eprintln!(
                "result {result}: root {}, {} payouts, {} wei in all",
                tree.root(),
                tree.leaves(),
                tree.total()
            );
        }
        CourtCmd::RevealSeed {
            job,
            result,
            seed_file,
        } => {
            let (job, result) = (*job, *result);
            let chain = seed_chain(seed_file)?;
            let at: usize = result.try_into().context("<resultId>")?;
            if at == 0 || at > chain.len() {
                bail!("the seed file's chain covers results 1..={}", chain.len());
            }
            let r = c.send(
                court,
                &ICourt::revealSeedCall {
                    jobId: job,
                    resultId: result,
                    seed: chain.link(at),
                },
                U256::ZERO,
            )?;
            let audited = r
                .inner
                .logs()
                .iter()
                .find_map(|l| l.log_decode::<ICourt::SeedRevealed>().ok())
                .is_some_and(|l| l.inner.data.audited);
            emit(
                if audited { "audited" } else { "not audited" },
                json!({"result": result.to_string(), "audited": audited}),
            );
        }
        CourtCmd::Dispute { job, result } => {
            let (job, result) = (*job, *result);
            let j = c.call(court, &ICourt::getJobCall { jobId: job })?;
            c.send(
                court,
                &ICourt::disputeCall {
                    jobId: job,
                    resultId: result,
                },
                U256::from(j.disputeBond),
            )?;
            if crate::output::json() {
                emit(
                    "",
                    json!({"result": result.to_string(), "bond": j.disputeBond.to_string()}),
                );
            }
            eprintln!("result {result} disputed with a {} wei bond", j.disputeBond);
        }
        CourtCmd::Rule {
            job,
            result,
            uphold,
            payouts,
            details,
        } => {
            let (job, result) = (*job, *result);
            let call = if *uphold {
                ICourt::ruleCall {
                    jobId: job,
                    resultId: result,
                    overturn: false,
                    root: B256::ZERO,
                    total: 0,
                    leaves: 0,
                    details: B256::ZERO,
                }
            } else {
                let file = payouts
                    .as_deref()
                    .ok_or_else(|| anyhow!("court rule: pass --uphold or --payouts FILE"))?;
                let tree = PayoutTree::new(job, result, read_payouts(file)?)?;
                ICourt::ruleCall {
                    jobId: job,
                    resultId: result,
                    overturn: true,
                    root: tree.root(),
                    total: tree.total(),
                    leaves: tree.leaves(),
                    details: details.unwrap_or_default(),
                }
            };
            c.send(court, &call, U256::ZERO)?;
            let ruling = if call.overturn {
                "overturned"
            } else {
                "upheld"
            };
            if crate::output::json() {
                emit("", json!({"result": result.to_string(), "ruling": ruling}));
            }
            eprintln!("result {result}: {ruling}");
        }
        CourtCmd::Finalize { job, result } => {
            let (job, result) = (*job, *result);
            c.send(
                court,
                &ICourt::finalizeCall {
                    jobId: job,
                    resultId: result,
                },
                U256::ZERO,
            )?;
            let r = c.call(
                court,
                &ICourt::getResultCall {
                    jobId: job,
                    resultId: result,
                },
            )?;
            let state = STATES[usize::from(r.state.min(5))];
            emit(state, json!({"result": result.to_string(), "state": state}));
        }
        CourtCmd::Claim {
            job,
            result,
            payouts,
            index,
        } => {
            let (job, result) = (*job, *result);
            let tree = PayoutTree::new(job, result, read_payouts(payouts)?)?;
            let r = c.call(
                court,
                &ICourt::getResultCall {
                    jobId: job,
                    resultId: result,
                },
            )?;
            if r.root != tree.root() {
                bail!(
                    "the payouts file gives root {}, the result's root is {}: use the file the result was posted (or ruled) with",
                    tree.root(),
                    r.root
                );
            }
            let indexes: Vec<u32> = match index {
                Some(i) => vec![*i],
                None => (0..tree.leaves()).collect(),
            };
            let mut claimed = 0u128;
            for i in indexes {
                if i >= tree.leaves() {
                    bail!("--index {i}: the result has {} payouts", tree.leaves());
                }
                let done = c.call(
                    court,
                    &ICourt::isClaimedCall {
                        jobId: job,
                        resultId: result,
                        index: i,
                    },
                )?;
                if !done {
                    c.send(court, &tree.claim_call(i), U256::ZERO)?;
                    claimed += tree.payouts[i as usize].payout;
                }
            }
            emit(claimed, json!({"claimed": claimed.to_string()}));
            eprintln!(
                "{claimed} wei credited; annotators withdraw with `labelmint court withdraw`"
            );
        }
        CourtCmd::Close { job } => {
            c.send(court, &ICourt::closeJobCall { jobId: *job }, U256::ZERO)?;
            let credit = c.call(court, &ICourt::creditOfCall { account: c.from })?;
            emit(credit, json!({"credit": credit.to_string()}));
        }
        CourtCmd::Withdraw { to } => {
            let to = to.unwrap_or(c.from);
            let credit = c.call(court, &ICourt::creditOfCall { account: c.from })?;
            if credit.is_zero() {
                bail!("nothing to withdraw for {}", c.from);
            }
            c.send(court, &ICourt::withdrawCall { to }, U256::ZERO)?;
            emit(credit, json!({"withdrawn": credit.to_string(), "to": to}));
        }
        CourtCmd::Status { job, result } => {
            let job = *job;
            let j = c.call(court, &ICourt::getJobCall { jobId: job })?;
            if j.status == 0 {
                bail!("court job {job} does not exist");
            }
            let mut out = json!({
                "job": job.to_string(),
                "status": if j.status == 1 { "open" } else { "closed" },
                "creator": j.creator.to_string(),
                "oracle": j.oracle.to_string(),
                "arbiter": j.arbiter.to_string(),
                "escrow": j.escrow.to_string(),
                "reserved": j.reserved.to_string(),
                "results": j.results,
                "auditBps": j.auditBps,
                "seedsRevealed": j.seedsRevealed,
            });
            if let Some(id) = result {
                let id = *id;
                let r = c.call(
                    court,
                    &ICourt::getResultCall {
                        jobId: job,
                        resultId: id,
                    },
                )?;
                out["result"] = json!({
                    "id": id.to_string(),
                    "state": STATES[usize::from(r.state.min(5))],
                    "root": r.root.to_string(),
                    "total": r.total.to_string(),
                    "paid": r.paid.to_string(),
                    "leaves": r.leaves,
                    "audit": AUDIT[usize::from(r.audit.min(2))],
                    "challengeEnd": r.challengeEnd,
                    "deadline": r.deadline,
                    "disputer": r.disputer.to_string(),
                    "maxTotal": r.maxTotal.to_string(),
                    "claimed": r.claimed,
                });
            }
            emit_value(&out);
        }
    }
    Ok(())
}

/// `court payouts --labels`: IoU consensus over a geometry label file → payouts.
fn payouts(a: &CourtPayouts) -> Result<()> {
    let file = a
        .labels
        .as_deref()
        .ok_or_else(|| anyhow!("court payouts: pass --labels FILE or --votes FILE"))?;
    let path = file.display();
    let labels: Vec<labelmint_quality::geometry::GeoLabel> = serde_json::from_str(
        &std::fs::read_to_string(file).with_context(|| format!("--labels {path}"))?,
    )
    .with_context(|| format!("{path}: expected [{{task, annotator, category, shape}}]"))?;
    let people = addresses(a)?;
    if let Some(l) = labels
        .iter()
        .find(|l| l.annotator as usize >= people.len() || !l.shape.is_valid())
    {
        bail!(
            "{path}: task {} annotator {}: unknown annotator index or invalid shape",
            l.task,
            l.annotator
        );
    }
    let per_shape: u128 = a
        .per_shape
        .ok_or_else(|| anyhow!("court payouts --labels needs --per-shape WEI"))?;
    let consensus = labelmint_quality::geometry::geometry_consensus(
        &labels,
        people.len() as u32,
        a.iou,
        a.quorum,
    );
    let tasks = labels
        .iter()
        .map(|l| l.task.saturating_add(1))
        .max()
        .unwrap_or(0);
    let difficulty = payout_difficulty(a, tasks)?;
    let p = geometry_payouts(&consensus, &people, per_shape, &difficulty)?;
    let out = &a.out;
    std::fs::write(out, serde_json::to_vec_pretty(&payouts_json(&p))?)
        .with_context(|| format!("writing {}", out.display()))?;
    for (who, g) in people.iter().zip(&consensus.annotators) {
        eprintln!("{who}: {} of {} shapes matched", g.matched, g.shapes);
    }
    let total = p
        .iter()
        .try_fold(0u128, |t, x| t.checked_add(x.payout))
        .ok_or_else(|| anyhow!("the payouts' total overflows: lower --per-shape"))?;
    emit(total, json!({"total": total.to_string(), "out": out}));
    Ok(())
}

/// `court payouts --votes`: reputation-weighted consensus over categorical
/// votes → payouts, with escalated tasks listed for the expert.
#[allow(clippy::too_many_lines)]
fn weighted(ctx: &Ctx, a: &CourtPayouts) -> Result<()> {
    use labelmint_quality::payout::{weighted_payouts_by_difficulty, Policy, Reputation};
    let file = a
        .votes
        .as_deref()
        .ok_or_else(|| anyhow!("court payouts: pass --votes FILE"))?;
    let path = file.display();
    let votes: Vec<labelmint_quality::Response> = serde_json::from_str(
        &std::fs::read_to_string(file).with_context(|| format!("--votes {path}"))?,
    )
    .with_context(|| format!("{path}: expected [{{task, annotator, label}}]"))?;
    let people = addresses(a)?;
    let classes: u16 = a
        .classes
        .ok_or_else(|| anyhow!("court payouts --votes needs --classes C"))?;
    let tasks = votes
        .iter()
        .map(|v| v.task.checked_add(1))
        .try_fold(0u32, |m, t| t.map(|t| m.max(t)))
        .with_context(|| format!("{path}: a task id of 2^32 - 1 is out of range"))?;
    let r = labelmint_quality::Responses::new(tasks, people.len() as u32, classes, votes)
        .with_context(|| path.to_string())?;
    let reps: Vec<Reputation> = match a.reputations.as_deref() {
        None => vec![Reputation::default(); people.len()],
        Some("hub") => {
            let c = Chain::connect(ctx)?;
            if c.hub.is_zero() {
                bail!("no QualityHub for chain {}: pass --hub", c.chain_id);
            }
            people
                .iter()
                .map(|&who| {
                    let r = c.call(
                        c.hub,
                        &crate::hub::IHub::reputationOfCall { annotator: who },
                    )?;
                    Ok(Reputation {
                        judged: r.judged,
                        score_bps: u32::from(r.scoreBps),
                    })
                })
                .collect::<Result<_>>()?
        }
        Some(file) => {
            let map: std::collections::BTreeMap<String, Reputation> = serde_json::from_str(
                &std::fs::read_to_string(file).with_context(|| format!("--reputations {file}"))?,
            )
            .with_context(|| format!("{file}: expected {{\"0xaddr\": {{judged, score_bps}}}}"))?;
            let map: std::collections::BTreeMap<Address, Reputation> = map
                .into_iter()
                .map(|(k, v)| Ok((k.parse().with_context(|| format!("{file}: {k}"))?, v)))
                .collect::<Result<_>>()?;
            people
                .iter()
                .map(|who| map.get(who).copied().unwrap_or_default())
                .collect()
        }
    };
    let expert: std::collections::BTreeMap<u32, u16> = match a.expert.as_deref() {
        None => std::collections::BTreeMap::new(),
        Some(file) => {
            let name = file.display();
            let m: std::collections::BTreeMap<String, u16> = serde_json::from_str(
                &std::fs::read_to_string(file).with_context(|| format!("--expert {name}"))?,
            )
            .with_context(|| format!("{name}: expected {{\"task\": label}}"))?;
            m.into_iter()
                .map(|(k, v)| Ok((k.parse().with_context(|| format!("{name}: task {k}"))?, v)))
                .collect::<Result<_>>()?
        }
    };
    let bounty: u128 = a
        .per_task
        .ok_or_else(|| anyhow!("court payouts --votes needs --per-task WEI"))?;
    let difficulty = payout_difficulty(a, tasks)?;
    let plan =
        weighted_payouts_by_difficulty(&r, &reps, bounty, &expert, &Policy::default(), &|t| {
            difficulty.weight(t)
        })
        .with_context(|| path.to_string())?;
    let p = crate::court::plan_payouts(&plan, &people);
    let out = &a.out;
    std::fs::write(out, serde_json::to_vec_pretty(&payouts_json(&p))?)
        .with_context(|| format!("writing {}", out.display()))?;
    let open = plan.open_escalations();
    if let Some(file) = &a.escalated {
        std::fs::write(file, serde_json::to_vec(&open)?)
            .with_context(|| format!("writing {}", file.display()))?;
    }
    eprintln!(
        "{} tasks decided, {} by the expert, {} escalated to the expert without a label yet",
        plan.outcomes.iter().filter(|o| o.label.is_some()).count(),
        plan.outcomes.iter().filter(|o| o.by_expert).count(),
        open.len()
    );
    emit(
        plan.total(),
        json!({"total": plan.total().to_string(), "out": out, "escalated": open.len()}),
    );
    Ok(())
}

fn addresses(a: &CourtPayouts) -> Result<Vec<Address>> {
    a.annotators
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .with_context(|| format!("--annotators: {s}"))
        })
        .collect()
}
