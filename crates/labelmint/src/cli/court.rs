//! `labelmint court …`: the QualityCourt from the command line — the
//! oracle's payouts from an IoU consensus, posting results as Merkle roots,
//! the creator's audit seed chain, disputes, rulings, claims and status.

use std::{io::Read as _, path::Path};

use alloy_primitives::{Address, B256, U256};
use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};

use super::{Args, Chain};
use crate::court::{geometry_payouts, ICourt, Payout, PayoutTree, SeedChain};

/// Usage of the court subcommands.
pub const USAGE: &str = "court (on-chain options as above, plus --court ADDR):
       labelmint court create --oracle A --terms ID --escrow WEI [--data-root R] [--audit-bps N --seed-file F [--results N]]
                                                                        (ID: terms the arbiter registered for ETH with `labelmint arbiter register`)
       labelmint court payouts --labels FILE --annotators A1,A2,... --per-shape WEI [--iou 0.5] [--quorum 2] --out FILE   (offline: the oracle's IoU consensus)
       labelmint court payouts --votes FILE --classes C --annotators A1,A2,... --per-task WEI [--reputations FILE|hub] [--expert FILE] --out FILE [--escalated FILE]
                                                                        (reputation-weighted vote, bounded weights and multipliers; hub: reputationOf on chain)
       labelmint court post <jobId> --payouts FILE [--max WEI] [--details 0x..]   (--max: the most a ruling may set the total to; default the total)
       labelmint court reveal-seed <jobId> <resultId> --seed-file F
       labelmint court dispute <jobId> <resultId>
       labelmint court rule <jobId> <resultId> (--uphold | --payouts FILE)
       labelmint court finalize <jobId> <resultId>
       labelmint court claim <jobId> <resultId> --payouts FILE [--index N]
       labelmint court close <jobId> | court withdraw [--to ADDR] | court status <jobId> [<resultId>]";

const STATES: [&str; 6] = ["none", "posted", "in review", "final", "void", "expired"];
const AUDIT: [&str; 3] = ["seed not revealed", "not sampled", "sampled"];

/// Reads a payouts file: `[{"annotator": "0x…", "payout": "wei", "labels": n, "verdicts": "0x…"}]`
/// (`labels`, the annotator's accepted labels, defaults to 0).
pub fn read_payouts(path: &str) -> Result<Vec<Payout>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("--payouts {path}"))?;
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

fn seed_chain(path: &str) -> Result<SeedChain> {
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(path).with_context(|| format!("--seed-file {path}"))?,
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

fn ids(a: &Args, with_result: bool) -> Result<(U256, U256)> {
    let job: U256 = a.pos(1, "<jobId>")?.parse().context("<jobId>")?;
    let result = if with_result {
        a.pos(2, "<resultId>")?.parse().context("<resultId>")?
    } else {
        U256::ZERO
    };
    Ok((job, result))
}

/// Runs `labelmint court <sub>`.
#[allow(clippy::too_many_lines)] // one arm per subcommand
pub fn run(a: &Args, sub: &str) -> Result<()> {
    if sub == "payouts" && a.flag("votes").is_some() {
        return weighted(a);
    }
    if sub == "payouts" {
        return payouts(a);
    }
    let c = Chain::connect(a)?;
    let court = court_address(&c)?;
    match sub {
        "create" => {
            let oracle: Address = a.need("oracle")?.parse().context("--oracle")?;
            let terms: u32 = a.need("terms")?.parse().context("--terms")?;
            let escrow: U256 = a.need("escrow")?.parse().context("--escrow")?;
            let audit_bps: u16 = a.num("audit-bps", 0)?;
            let seed = if audit_bps > 0 {
                let path = a.need("seed-file")?;
                let results: u64 = a.num("results", 1_000)?;
                let length = results_in_range(results)?;
                let mut secret = [0u8; 32];
                std::fs::File::open("/dev/urandom")
                    .and_then(|mut f| f.read_exact(&mut secret))
                    .context("reading /dev/urandom for the audit secret")?;
                let file = json!({"secret": B256::from(secret).to_string(), "results": results});
                // Created exclusively (never over another job's secret, never
                // through a planted link) and readable by the owner only.
                let mut handle = super::create_private(Path::new(path)).map_err(|e| {
                    if e.kind() == std::io::ErrorKind::AlreadyExists {
                        anyhow!("--seed-file {path} exists: it holds another job's secret")
                    } else {
                        anyhow!("writing {path}: {e}")
                    }
                })?;
                std::io::Write::write_all(&mut handle, &serde_json::to_vec_pretty(&file)?)
                    .and_then(|()| handle.sync_all())
                    .with_context(|| format!("writing {path}"))?;
                SeedChain::new(B256::from(secret), length).commitment()
            } else {
                B256::ZERO
            };
            let call = ICourt::createJobCall {
                dataRoot: a
                    .flag("data-root")
                    .map_or(Ok(B256::ZERO), str::parse)
                    .context("--data-root")?,
                oracle,
                arbiterTerms: terms,
                auditBps: audit_bps,
                seedCommitment: seed,
            };
            c.send(court, &call, escrow)?;
            let id = c.call(court, &ICourt::jobCountCall {})?;
            let j = c.call(court, &ICourt::getJobCall { jobId: id })?;
            println!("{id}");
            eprintln!(
                "court job {id}: {escrow} wei escrowed; oracle {oracle}, arbiter {} (terms {terms}: fee {}, bond {})",
                j.arbiter, j.arbiterFee, j.disputeBond
            );
        }
        "post" => {
            let (job, _) = ids(a, false)?;
            let payouts = read_payouts(a.need("payouts")?)?;
            let j = c.call(court, &ICourt::getJobCall { jobId: job })?;
            let result = U256::from(j.results) + U256::from(1);
            let tree = PayoutTree::new(job, result, payouts)?;
            let details: B256 = a
                .flag("details")
                .map_or(Ok(B256::ZERO), str::parse)
                .context("--details")?;
            let max: u128 = a.num("max", tree.total())?;
            c.send(court, &tree.post_call_max(details, max), U256::ZERO)?;
            println!("{result}");
            eprintln!(
                "result {result}: root {}, {} payouts, {} wei in all",
                tree.root(),
                tree.leaves(),
                tree.total()
            );
        }
        "reveal-seed" => {
            let (job, result) = ids(a, true)?;
            let chain = seed_chain(a.need("seed-file")?)?;
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
            println!("{}", if audited { "audited" } else { "not audited" });
        }
        "dispute" => {
            let (job, result) = ids(a, true)?;
            let j = c.call(court, &ICourt::getJobCall { jobId: job })?;
            c.send(
                court,
                &ICourt::disputeCall {
                    jobId: job,
                    resultId: result,
                },
                U256::from(j.disputeBond),
            )?;
            eprintln!("result {result} disputed with a {} wei bond", j.disputeBond);
        }
        "rule" => {
            let (job, result) = ids(a, true)?;
            let call = if a.flag("uphold").is_some() {
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
                let tree = PayoutTree::new(job, result, read_payouts(a.need("payouts")?)?)?;
                ICourt::ruleCall {
                    jobId: job,
                    resultId: result,
                    overturn: true,
                    root: tree.root(),
                    total: tree.total(),
                    leaves: tree.leaves(),
                    details: a
                        .flag("details")
                        .map_or(Ok(B256::ZERO), str::parse)
                        .context("--details")?,
                }
            };
            c.send(court, &call, U256::ZERO)?;
            eprintln!(
                "result {result}: {}",
                if call.overturn {
                    "overturned"
                } else {
                    "upheld"
                }
            );
        }
        "finalize" => {
            let (job, result) = ids(a, true)?;
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
            println!("{}", STATES[usize::from(r.state.min(5))]);
        }
        "claim" => {
            let (job, result) = ids(a, true)?;
            let tree = PayoutTree::new(job, result, read_payouts(a.need("payouts")?)?)?;
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
            let indexes: Vec<u32> = match a.flag("index") {
                Some(i) => vec![i.parse().context("--index")?],
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
            println!("{claimed}");
            eprintln!(
                "{claimed} wei credited; annotators withdraw with `labelmint court withdraw`"
            );
        }
        "close" => {
            let (job, _) = ids(a, false)?;
            c.send(court, &ICourt::closeJobCall { jobId: job }, U256::ZERO)?;
            let credit = c.call(court, &ICourt::creditOfCall { account: c.from })?;
            println!("{credit}");
        }
        "withdraw" => {
            let to: Address = a
                .flag("to")
                .map_or(Ok(c.from), str::parse)
                .context("--to")?;
            let credit = c.call(court, &ICourt::creditOfCall { account: c.from })?;
            if credit.is_zero() {
                bail!("nothing to withdraw for {}", c.from);
            }
            c.send(court, &ICourt::withdrawCall { to }, U256::ZERO)?;
            println!("{credit}");
        }
        "status" => {
            let (job, _) = ids(a, false)?;
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
            if let Some(r) = a.positional.get(2) {
                let id: U256 = r.parse().context("<resultId>")?;
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
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        other => bail!("unknown court subcommand {other:?}\n{USAGE}"),
    }
    Ok(())
}

/// `court payouts`: IoU consensus over a geometry label file → payouts.
fn payouts(a: &Args) -> Result<()> {
    let path = a.need("labels")?;
    let labels: Vec<labelmint_quality::geometry::GeoLabel> = serde_json::from_str(
        &std::fs::read_to_string(path).with_context(|| format!("--labels {path}"))?,
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
    let per_shape: u128 = a.need("per-shape")?.parse().context("--per-shape")?;
    let iou: f64 = a.num("iou", 0.5)?;
    let quorum: usize = a.num("quorum", 2)?;
    let consensus =
        labelmint_quality::geometry::geometry_consensus(&labels, people.len() as u32, iou, quorum);
    let p = geometry_payouts(&consensus, &people, per_shape);
    let out = a.need("out")?;
    std::fs::write(out, serde_json::to_vec_pretty(&payouts_json(&p))?)
        .with_context(|| format!("writing {out}"))?;
    for (who, g) in people.iter().zip(&consensus.annotators) {
        eprintln!("{who}: {} of {} shapes matched", g.matched, g.shapes);
    }
    println!("{}", p.iter().map(|x| x.payout).sum::<u128>());
    Ok(())
}

/// `court payouts --votes`: reputation-weighted consensus over categorical
/// votes → payouts, with escalated tasks listed for the expert.
fn weighted(a: &Args) -> Result<()> {
    use labelmint_quality::payout::{weighted_payouts, Policy, Reputation};
    let path = a.need("votes")?;
    let votes: Vec<labelmint_quality::Response> = serde_json::from_str(
        &std::fs::read_to_string(path).with_context(|| format!("--votes {path}"))?,
    )
    .with_context(|| format!("{path}: expected [{{task, annotator, label}}]"))?;
    let people = addresses(a)?;
    let classes: u16 = a.need("classes")?.parse().context("--classes")?;
    let tasks = votes
        .iter()
        .map(|v| v.task.checked_add(1))
        .try_fold(0u32, |m, t| t.map(|t| m.max(t)))
        .with_context(|| format!("{path}: a task id of 2^32 - 1 is out of range"))?;
    let r = labelmint_quality::Responses::new(tasks, people.len() as u32, classes, votes)
        .with_context(|| path.to_string())?;
    let reps: Vec<Reputation> = match a.flag("reputations") {
        None => vec![Reputation::default(); people.len()],
        Some("hub") => {
            let c = Chain::connect(a)?;
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
    let expert: std::collections::BTreeMap<u32, u16> = match a.flag("expert") {
        None => std::collections::BTreeMap::new(),
        Some(file) => {
            let m: std::collections::BTreeMap<String, u16> = serde_json::from_str(
                &std::fs::read_to_string(file).with_context(|| format!("--expert {file}"))?,
            )
            .with_context(|| format!("{file}: expected {{\"task\": label}}"))?;
            m.into_iter()
                .map(|(k, v)| Ok((k.parse().with_context(|| format!("{file}: task {k}"))?, v)))
                .collect::<Result<_>>()?
        }
    };
    let bounty: u128 = a.need("per-task")?.parse().context("--per-task")?;
    let plan = weighted_payouts(&r, &reps, bounty, &expert, &Policy::default())
        .with_context(|| path.to_string())?;
    let p = crate::court::plan_payouts(&plan, &people);
    let out = a.need("out")?;
    std::fs::write(out, serde_json::to_vec_pretty(&payouts_json(&p))?)
        .with_context(|| format!("writing {out}"))?;
    let open = plan.open_escalations();
    if let Some(file) = a.flag("escalated") {
        std::fs::write(file, serde_json::to_vec(&open)?)
            .with_context(|| format!("writing {file}"))?;
    }
    eprintln!(
        "{} tasks decided, {} by the expert, {} escalated to the expert without a label yet",
        plan.outcomes.iter().filter(|o| o.label.is_some()).count(),
        plan.outcomes.iter().filter(|o| o.by_expert).count(),
        open.len()
    );
    println!("{}", plan.total());
    Ok(())
}

fn addresses(a: &Args) -> Result<Vec<Address>> {
    a.need("annotators")?
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .with_context(|| format!("--annotators: {s}"))
        })
        .collect()
}
