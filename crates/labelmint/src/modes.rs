//! Quality modes: the one choice a creator makes (`labelmint job create
//! --mode`), which program runs the job behind it, and what each costs per
//! label on the embedded chain (`labelmint bench-modes`).
//!
//! | mode | program | who decides which labels are paid |
//! |---|---|---|
//! | `review` | AnnotationMarket | the creator approves or rejects; a rejection can be disputed before the arbiter |
//! | `majority` | QualityHub | commit–reveal votes with stakes; the arbiter rules tasks without consensus |
//! | `weighted` | QualityCourt | an oracle posts the reputation-weighted vote (`court payouts --votes --reputations hub`); anyone disputes before the arbiter |
//! | `expert` | QualityCourt | a named expert posts the verdicts and payouts; disputable before the arbiter |
//! | `optimistic` | QualityCourt | an oracle's results, a share of them audited by the creator's committed seed; disputable |

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolCall;
use anyhow::Result;

use crate::court::{court_terms, Court, CourtJob, ICourt, Payout, PayoutTree, SeedChain};

/// A job's quality mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum QualityMode {
    /// The creator reviews each batch (AnnotationMarket); one annotator per task
    Review,
    /// Commit–reveal majority vote with stakes and gold (QualityHub)
    Majority,
    /// Reputation-weighted vote posted by an oracle, disputable (QualityCourt)
    Weighted,
    /// A named expert posts verdicts and payouts, disputable (QualityCourt)
    Expert,
    /// An oracle's results with a random audit share, disputable (QualityCourt)
    Optimistic,
}

impl QualityMode {
    /// Every mode, in table order.
    pub const ALL: [Self; 5] = [
        Self::Review,
        Self::Majority,
        Self::Weighted,
        Self::Expert,
        Self::Optimistic,
    ];

    /// The mode's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Review => "review",
            Self::Majority => "majority",
            Self::Weighted => "weighted",
            Self::Expert => "expert",
            Self::Optimistic => "optimistic",
        }
    }

    /// The program that runs a job of this mode.
    pub fn program(self) -> &'static str {
        match self {
            Self::Review => "AnnotationMarket",
            Self::Majority => "QualityHub",
            Self::Weighted | Self::Expert | Self::Optimistic => "QualityCourt",
        }
    }

    /// Votes per task by default.
    pub fn default_k(self) -> u8 {
        match self {
            Self::Majority | Self::Weighted => 3,
            Self::Review | Self::Expert | Self::Optimistic => 1,
        }
    }
}

/// Gas of one mode's job on the embedded chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModeCost {
    /// The mode.
    pub mode: QualityMode,
    /// What was measured (job shape).
    pub shape: String,
    /// Labels paid.
    pub labels: u64,
    /// Transactions.
    pub txs: u64,
    /// Gas of every transaction, programs not cached.
    pub gas: u64,
    /// The same with the programs in the ArbWasmCache.
    pub gas_cached: u64,
}

impl ModeCost {
    /// Gas per paid label, uncached.
    pub fn per_label(&self) -> u64 {
        self.gas / self.labels.max(1)
    }

    /// Gas per paid label, cached.
    pub fn per_label_cached(&self) -> u64 {
        self.gas_cached / self.labels.max(1)
    }
}

/// Tasks of every measured job.
pub const BENCH_TASKS: u32 = 96;
/// Tasks per batch (one result per batch in the court modes).
pub const BENCH_BATCH: u32 = 32;

/// Gas and transactions of a court job of `tasks` tasks with `k` votes
/// each, done by three annotators, `per_result` tasks a result: the
/// oracle posts one result per batch paying the three annotators (their
/// labels travel off chain, to the oracle), each annotator claims, and
/// with `audit_bps` the creator reveals each result's seed (an audited
/// result is upheld by the arbiter); the creator closes the job.
fn court_run(
    cached: bool,
    tasks: u32,
    per_result: u32,
    k: u32,
    audit_bps: u16,
) -> Result<(u64, u64)> {
    let mut c = Court::deploy(cached)?;
    let (creator, oracle, arbiter) = (c.chain.account(0), c.chain.account(1), c.chain.account(2));
    let people: Vec<Address> = (4..7).map(|i| c.chain.account(i)).collect();
    let terms = c.register_terms(arbiter, &court_terms())?;
    let results = tasks / per_result;
    let seeds = SeedChain::new(B256::repeat_byte(0x5e), results as usize);
    let spec = CourtJob {
        audit_bps,
        seed: if audit_bps > 0 {
            seeds.commitment()
        } else {
            B256::ZERO
        },
        ..CourtJob::new(oracle, terms)
    };
    let per_label = 1_000_000_000u128;
    let labels_per_result = per_result * k;
    // Each live result reserves its total and the arbiter's fee.
    let escrow = U256::from(
        per_label * u128::from(tasks * k) + crate::court::COURT_ARBITER_FEE * u128::from(results),
    );
    let (mut gas, mut txs) = (0u64, 0u64);
    let mut add = |g: u64| {
        gas += g;
        txs += 1;
    };
    let r = c.ok(creator, &spec.call(), escrow)?;
    add(r.gas_used);
    let job = ICourt::createJobCall::abi_decode_returns(&r.output)?;
    for n in 1..=results {
        let rid = c.next_result(job)?;
        // The batch's labels split evenly among the three annotators.
        let share = labels_per_result / people.len() as u32;
        let payouts: Vec<Payout> = people
            .iter()
            .map(|&annotator| Payout {
                annotator,
                payout: per_label * u128::from(share),
                labels: share,
                verdicts: B256::repeat_byte(n as u8),
            })
            .collect();
        let tree = PayoutTree::new(job, rid, payouts)?;
        add(c
            .ok(oracle, &tree.post_call(B256::ZERO), U256::ZERO)?
            .gas_used);
        let mut audited = false;
        if audit_bps > 0 {
            let r = c.ok(
                creator,
                &ICourt::revealSeedCall {
                    jobId: job,
                    resultId: rid,
                    seed: seeds.link(n as usize),
                },
                U256::ZERO,
            )?;
            add(r.gas_used);
            audited = seeds.sampled(n as usize, tree.root(), audit_bps);
        }
        c.warp(u64::from(crate::court::COURT_CHALLENGE_WINDOW));
        if audited {
            let r = c.ok(
                arbiter,
                &ICourt::ruleCall {
                    jobId: job,
                    resultId: rid,
                    overturn: false,
                    root: B256::ZERO,
                    total: 0,
                    leaves: 0,
                    details: B256::ZERO,
                },
                U256::ZERO,
            )?;
            add(r.gas_used);
        }
        for i in 0..tree.leaves() {
            add(c
                .ok(people[i as usize], &tree.claim_call(i), U256::ZERO)?
                .gas_used);
        }
    }
    add(c
        .ok(creator, &ICourt::closeJobCall { jobId: job }, U256::ZERO)?
        .gas_used);
    Ok((gas, txs))
}

/// Measures one mode on [`BENCH_TASKS`] tasks in batches (and court
/// results) of [`BENCH_BATCH`], uncached and cached.
pub fn measure(mode: QualityMode) -> Result<ModeCost> {
    measure_shape(mode, BENCH_TASKS, BENCH_BATCH)
}

/// Measures one mode on `tasks` tasks, `batch` tasks a batch (a court
/// result; the market and the hub measure [`BENCH_TASKS`] / [`BENCH_BATCH`]
/// only).
pub fn measure_shape(mode: QualityMode, tasks: u32, batch: u32) -> Result<ModeCost> {
    let k = u32::from(mode.default_k());
    let mut gas = [0u64; 2];
    let mut txs = 0;
    for (i, cached) in [false, true].into_iter().enumerate() {
        let (g, t) = match mode {
            QualityMode::Review => {
                let l = crate::market::lifecycle(BENCH_TASKS, 3, BENCH_BATCH, cached, false, true)?;
                (l.total(), l.steps.len() as u64)
            }
            QualityMode::Majority => {
                let mut h = crate::hub::Hub::deploy(cached)?;
                let run = crate::hub::run_job(&mut h, BENCH_TASKS, 3, BENCH_BATCH as usize)?;
                // createJob, 3 × 3 commits, reveals and settlements,
                // revealGold, closeJob.
                (run.commit + run.reveal + run.settle + run.job, 3 + 27)
            }
            QualityMode::Weighted | QualityMode::Expert => court_run(cached, tasks, batch, k, 0)?,
            QualityMode::Optimistic => court_run(cached, tasks, batch, k, 2_500)?,
        };
        gas[i] = g;
        txs = t;
    }
    let (tasks, batch) = match mode {
        QualityMode::Review | QualityMode::Majority => (BENCH_TASKS, BENCH_BATCH),
        _ => (tasks, batch),
    };
    Ok(ModeCost {
        mode,
        shape: format!(
            "{tasks} tasks × {k} vote{}, 3 annotators, {batch} tasks a {}",
            if k == 1 { "" } else { "s" },
            if mode.program() == "QualityCourt" {
                "result"
            } else {
                "batch"
            }
        ),
        labels: u64::from(tasks) * u64::from(k),
        txs,
        gas: gas[0],
        gas_cached: gas[1],
    })
}

/// The Markdown table of every mode (`labelmint bench-modes`).
pub fn bench_table() -> Result<String> {
    use std::fmt::Write as _;
    let mut out = String::from(
        "| mode | program | job | labels paid | txs | gas per label (uncached) | gas per label (cached) |\n|---|---|---|---:|---:|---:|---:|\n",
    );
    let mut runs = QualityMode::ALL
        .iter()
        .map(|&m| measure(m))
        .collect::<Result<Vec<_>>>()?;
    // The court pays per result and per annotator, not per label: the same
    // vote posted as one result for ten times the tasks.
    runs.insert(
        3,
        measure_shape(QualityMode::Weighted, 10 * BENCH_TASKS, 10 * BENCH_TASKS)?,
    );
    for c in runs {
        let mode = c.mode;
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            mode.name(),
            mode.program(),
            c.shape,
            c.labels,
            c.txs,
            c.per_label(),
            c.per_label_cached()
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_has_a_program_and_a_name_clap_accepts() {
        use clap::ValueEnum as _;
        for m in QualityMode::ALL {
            assert_eq!(QualityMode::from_str(m.name(), false), Ok(m));
            assert!(!m.program().is_empty());
        }
    }
}
