//! `labelmint simulate`: the adversarial simulation of the QualityHub's
//! rules (issue #15).
//!
//! Honest annotators (90 % accurate, paying an effort cost per label) work
//! jobs next to one adversary at a time, and every adversary picks its best
//! reply from what the chain shows:
//!
//! - **lazy**: random labels, no effort (also on a 1,024-task job, where the
//!   old per-job stake cap made random voting pay);
//! - **selective non-reveal**: random labels, then, once the key and the
//!   other votes are public, reveals a batch only when revealing is worth
//!   more than forfeiting it;
//! - **hedging cartel**: k − 1 sybils put distinct labels on every task in
//!   one-task batches and reveal, hedge by hedge, whatever the public
//!   tallies make worth most;
//! - **sybil rings** of 2 to 10 addresses: one random label per task, as
//!   many ring votes on each task as fit;
//! - **slot filling**: k throwaway accounts fill every slot of a quarter of
//!   the tasks and never reveal;
//! - **quorum denial** (the creator): k − 1 of the creator's accounts hold
//!   slots on every task and never reveal;
//! - **false gold key** (the creator): every gold label wrong.
//!
//! Each scenario runs twice: on the real contracts on the embedded chain,
//! and on a host-side model built from the same rule functions the
//! contracts link (`labelmint-hub-common`); `table` fails unless the two
//! agree to the wei on every address. The model then scans the parameters
//! (gold rate, stake against the most one vote can earn, ring size, job
//! size, honest effort) beyond what the contract accepts, to publish the
//! **breakdown thresholds**: where each strategy would start to beat honest
//! work. Profit per label = pay + slash shares + keeper shares − stake
//! slashed − effort, in rewards per vote (stake and pay are the same token).

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolEvent;
use anyhow::{bail, Context, Result};
use hub_common::{
    bps_of, classify, count_bits, min_winning_votes, overturns, pay_per_vote, resolve, Class, Lane,
    Resolved, KEEPER_BPS, PARTICIPATION_BPS,
};
use labelmint_quality::SplitMix;

use crate::hub::{Hub, HubJob, IHub, Vote, HUB_ARBITER_FEE};

/// Simulation parameters.
#[derive(Clone, Debug)]
pub struct SimParams {
    /// Jobs run.
    pub jobs: u32,
    /// Tasks per job.
    pub tasks: u32,
    /// Votes per task.
    pub k: u8,
    /// Classes.
    pub classes: u8,
    /// Reward per vote (token wei).
    pub reward: u128,
    /// Stake per vote over the most one vote can earn (`bounty / fewest
    /// winning votes`); the contract refuses below 1.
    pub stake_ratio: f64,
    /// Slash rate of a disagreeing vote.
    pub slash_bps: u16,
    /// Gold tasks, in basis points of the tasks; the contract refuses
    /// below 1,000.
    pub gold_bps: u16,
    /// Honest effort per label, in basis points of the reward.
    pub effort_bps: u32,
    /// Honest accuracy.
    pub accuracy: f64,
    /// Honest annotators.
    pub honest: usize,
    /// Largest batch an annotator commits.
    pub batch: usize,
    /// Whether the arbiter rules on escalated tasks.
    pub arbiter_rules: bool,
}

impl Default for SimParams {
    fn default() -> Self {
        Self {
            jobs: 3,
            tasks: 40,
            k: 3,
            classes: 4,
            reward: 1_000_000_000_000,
            stake_ratio: 2.0,
            slash_bps: 5_000,
            gold_bps: 2_000,
            effort_bps: 4_000,
            accuracy: 0.9,
            honest: 6,
            batch: 16,
            arbiter_rules: true,
        }
    }
}

impl SimParams {
    /// The bounty of one task.
    pub fn bounty(&self) -> u128 {
        self.reward * u128::from(self.k)
    }

    /// The stake per vote: `stake_ratio` × the most one vote can earn.
    pub fn stake(&self) -> u128 {
        let most = self
            .bounty()
            .div_ceil(u128::from(min_winning_votes(self.k, 5_001)));
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let s = (most as f64 * self.stake_ratio).ceil() as u128;
        s.max(1)
    }

    /// Gold tasks per job.
    pub fn gold_tasks(&self) -> u32 {
        (u64::from(self.tasks) * u64::from(self.gold_bps)).div_ceil(10_000) as u32
    }
}

/// The adversary of a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Everyone honest.
    Honest,
    /// Random labels, every batch revealed.
    Lazy,
    /// Random labels, batches revealed only when that is the best reply.
    SelectiveNonReveal,
    /// k − 1 sybils hedging distinct labels, revealing the best hedges.
    HedgingCartel,
    /// A ring of n addresses voting one random label per task.
    SybilRing(usize),
    /// k accounts fill every slot of a quarter of the tasks, never reveal.
    SlotFilling,
    /// The creator's k − 1 accounts hold slots and never reveal.
    QuorumDenial,
    /// The creator's key is wrong on every gold task.
    FalseGold,
}

impl Strategy {
    /// Its name in the tables.
    pub fn name(self) -> String {
        match self {
            Self::Honest => "honest (everyone)".into(),
            Self::Lazy => "lazy".into(),
            Self::SelectiveNonReveal => "selective non-reveal".into(),
            Self::HedgingCartel => "hedging cartel (k − 1 sybils)".into(),
            Self::SybilRing(n) => format!("sybil ring of {n}"),
            Self::SlotFilling => "slot filling".into(),
            Self::QuorumDenial => "quorum denial (creator)".into(),
            Self::FalseGold => "false gold key (creator)".into(),
        }
    }

    /// Whether the adversary is the creator.
    pub fn creator_side(self) -> bool {
        matches!(self, Self::QuorumDenial | Self::FalseGold)
    }
}

/// Money of one address (or of the creator), in token wei.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    /// Votes committed.
    pub labels: u64,
    /// Votes withheld (forfeited).
    pub withheld: u64,
    /// Pay and participation shares.
    pub paid: u128,
    /// Stake slashed.
    pub slashed: u128,
    /// Slash-pool shares claimed.
    pub shares: u128,
    /// Keeper shares earned.
    pub keeper: u128,
    /// Deposited (creator: escrow and bonds).
    pub deposit: u128,
    /// Refunded (creator).
    pub refund: u128,
}

/// What one scenario produced.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Per address.
    pub ledgers: BTreeMap<Address, Ledger>,
    /// The honest annotators.
    pub honest: Vec<Address>,
    /// The adversary's addresses (the creator for creator strategies).
    pub adversary: Vec<Address>,
    /// The creator.
    pub creator: Address,
    /// Agreeing votes settled (labels the creator received and paid for).
    pub accepted: u64,
    /// Honest effort per label, in token wei.
    pub effort: u128,
}

impl Outcome {
    #[allow(clippy::cast_precision_loss)]
    fn per_label(&self, who: &[Address], effort: bool, unit: u128) -> f64 {
        let (mut sum, mut labels) = (0f64, 0u64);
        for a in who {
            let l = &self.ledgers[a];
            sum += l.paid as f64 + l.shares as f64 + l.keeper as f64 - l.slashed as f64;
            if effort {
                sum -= l.labels as f64 * self.effort as f64;
            }
            labels += l.labels;
        }
        sum / unit as f64 / labels.max(1) as f64
    }

    /// Honest profit per label, in rewards.
    pub fn honest_per_label(&self, unit: u128) -> f64 {
        self.per_label(&self.honest, true, unit)
    }

    /// The adversary's profit per label in rewards (annotator strategies),
    /// or the creator's cost per accepted label (creator strategies).
    #[allow(clippy::cast_precision_loss)]
    pub fn adversary_per_label(&self, unit: u128, creator_side: bool) -> f64 {
        if creator_side {
            let c = &self.ledgers[&self.creator];
            let mut cost = c.deposit as f64 - c.refund as f64 - c.shares as f64;
            for a in &self.adversary {
                if *a != self.creator {
                    let l = &self.ledgers[a];
                    cost += l.slashed as f64 - l.paid as f64 - l.shares as f64 - l.keeper as f64;
                }
            }
            cost / unit as f64 / self.accepted.max(1) as f64
        } else {
            self.per_label(&self.adversary, false, unit)
        }
    }

    /// Labels the adversary committed and withheld.
    pub fn adversary_labels(&self) -> (u64, u64) {
        self.adversary
            .iter()
            .filter(|a| **a != self.creator)
            .map(|a| (self.ledgers[a].labels, self.ledgers[a].withheld))
            .fold((0, 0), |(x, y), (a, b)| (x + a, y + b))
    }
}

/// One job in the model.
#[derive(Clone, Debug, Default)]
struct ModelJob {
    counts: Vec<Vec<u8>>,
    holders: Vec<u8>,
    gold: Vec<u8>,
    ruling: Vec<u8>,
    escrow: u128,
    pool: u128,
    bond: u128,
    agreed: u64,
    revealed_key: bool,
    records: BTreeMap<Address, u64>,
}

/// The host-side model of the hub's money rules (the same rule functions
/// the contracts link).
#[derive(Clone, Debug)]
struct Model {
    p: SimParams,
    jobs: Vec<ModelJob>,
}

impl Model {
    fn lane(&self, job: usize, t: usize) -> Lane {
        let (p, j) = (&self.p, &self.jobs[job]);
        let cw = u64::from(count_bits(p.k));
        let mut raw = 0u64;
        for (c, &n) in j.counts[t].iter().enumerate() {
            raw |= u64::from(n) << (cw * c as u64);
        }
        let at = cw * u64::from(p.classes);
        raw |= u64::from(j.gold[t]) << at;
        raw |= u64::from(j.holders[t]) << (at + 4);
        Lane::decode(raw, p.classes, p.k)
    }

    /// Settles a batch as the contract does: (paid, slash, agreed, gold failed).
    fn settle(&mut self, job: usize, v: &Vote, forfeit: bool) -> (u128, u128, u64) {
        let p = self.p.clone();
        let n = v.tasks.len() as u128;
        let lock = p.stake() * n;
        let (mut paid, mut agreed, mut disagreed) = (0u128, 0u64, 0u128);
        let (mut seen, mut ok) = (0u32, 0u32);
        if !forfeit {
            let fewest = min_winning_votes(p.k, 5_001);
            for (&t, &label) in v.tasks.iter().zip(&v.labels) {
                let lane = self.lane(job, t as usize);
                let class = classify(&lane, p.k, 5_001);
                let ruling = match class {
                    Class::Escalated { .. } => self.jobs[job].ruling[t as usize],
                    _ => 0,
                };
                match resolve(&lane, class, ruling, true) {
                    Resolved::Empty | Resolved::Awaiting => {}
                    Resolved::Undecided => paid += bps_of(p.reward, PARTICIPATION_BPS),
                    Resolved::Decided {
                        label: d,
                        gold,
                        fee,
                    } => {
                        if gold {
                            seen += 1;
                            ok += u32::from(label == d);
                        }
                        if label == d {
                            let pool = p.bounty() - if fee { HUB_ARBITER_FEE } else { 0 };
                            agreed += 1;
                            paid += pay_per_vote(pool, lane.count(d), fewest);
                        } else {
                            disagreed += 1;
                        }
                    }
                }
            }
        }
        let mut slash = bps_of(p.stake(), p.slash_bps) * disagreed;
        if forfeit || ok * 2 < seen {
            paid = 0;
            slash = lock;
            agreed = 0;
        }
        let j = &mut self.jobs[job];
        j.escrow -= paid;
        j.agreed += agreed;
        *j.records.entry(v.annotator).or_default() += agreed;
        (paid, slash, agreed)
    }
}

/// Where a scenario runs.
enum Backend {
    Chain(Box<Hub>),
    Model(Model),
}

/// A scenario's state shared by both backends: the public tallies every
/// adversary reads.
struct Run {
    p: SimParams,
    b: Backend,
    rng: SplitMix,
    out: Outcome,
    /// Chain job ids (the model indexes jobs from 0).
    ids: Vec<U256>,
}

fn address(tag: &str, i: usize) -> Address {
    Address::from_word(alloy_primitives::keccak256(format!(
        "labelmint-sim-{tag}-{i}"
    )))
}

impl Run {
    fn ledger(&mut self, a: Address) -> &mut Ledger {
        self.out.ledgers.entry(a).or_default()
    }

    fn model(&mut self) -> Option<&mut Model> {
        match &mut self.b {
            Backend::Model(m) => Some(m),
            Backend::Chain(_) => None,
        }
    }

    fn create(&mut self, job: usize, creator: Address, spec: &HubJob) -> Result<()> {
        let deposit = spec.deposit().to::<u128>();
        self.ledger(creator).deposit += deposit;
        let p = self.p.clone();
        match &mut self.b {
            Backend::Chain(h) => {
                let id = h.create(creator, spec)?;
                self.ids.push(id);
            }
            Backend::Model(m) => {
                let t = p.tasks as usize;
                m.jobs.push(ModelJob {
                    counts: vec![vec![0; p.classes as usize]; t],
                    holders: vec![0; t],
                    gold: vec![0; t],
                    ruling: vec![0; t],
                    escrow: spec.escrow().to(),
                    bond: spec.bond().to(),
                    ..ModelJob::default()
                });
                self.ids.push(U256::from(job + 1));
            }
        }
        Ok(())
    }

    fn commit(&mut self, job: usize, who: Address, tasks: &[u32], labels: &[u8]) -> Result<Vote> {
        self.ledger(who).labels += tasks.len() as u64;
        let id = self.ids[job];
        match &mut self.b {
            Backend::Chain(h) => {
                let (r, v) = h.commit(who, id, tasks, labels)?;
                v.with_context(|| {
                    format!(
                        "commit reverted: 0x{}",
                        alloy_primitives::hex::encode(&r.output)
                    )
                })
            }
            Backend::Model(m) => {
                for &t in tasks {
                    m.jobs[job].holders[t as usize] += 1;
                }
                Ok(Vote {
                    job: id,
                    batch: U256::ZERO,
                    annotator: who,
                    tasks: tasks.to_vec(),
                    labels: labels.to_vec(),
                    salt: alloy_primitives::B256::ZERO,
                })
            }
        }
    }

    fn reveal(&mut self, job: usize, v: &Vote) -> Result<()> {
        match &mut self.b {
            Backend::Chain(h) => {
                if !h.reveal(v)?.success {
                    bail!("reveal reverted");
                }
            }
            Backend::Model(m) => {
                for (&t, &l) in v.tasks.iter().zip(&v.labels) {
                    m.jobs[job].counts[t as usize][l as usize] += 1;
                }
            }
        }
        Ok(())
    }

    fn reveal_gold(&mut self, job: usize, spec: &HubJob) -> Result<()> {
        let creator = self.out.creator;
        let id = self.ids[job];
        match &mut self.b {
            Backend::Chain(h) => {
                h.ok(creator, &spec.reveal_gold(id), U256::ZERO)?;
            }
            Backend::Model(m) => {
                let j = &mut m.jobs[job];
                for &(t, l) in &spec.gold {
                    j.gold[t as usize] = l + 1;
                }
                j.revealed_key = true;
            }
        }
        Ok(())
    }

    /// The public view of a task: its lane now.
    fn lane(&mut self, job: usize, t: u32) -> Result<Lane> {
        let p = self.p.clone();
        let id = self.ids[job];
        match &mut self.b {
            Backend::Chain(h) => {
                let c = h.read(&IHub::consensusOfCall {
                    jobId: id,
                    taskId: t,
                })?;
                Ok(Lane::decode(c.lane, p.classes, p.k))
            }
            Backend::Model(m) => Ok(m.lane(job, t as usize)),
        }
    }

    fn rule(&mut self, job: usize, tasks: &[u32], labels: &[u8]) -> Result<()> {
        if tasks.is_empty() {
            return Ok(());
        }
        let p = self.p.clone();
        let id = self.ids[job];
        for chunk in tasks.chunks(64).zip(labels.chunks(64)) {
            match &mut self.b {
                Backend::Chain(h) => {
                    let r = h.rule(crate::market::DEFAULT_ARBITER, id, chunk.0, chunk.1)?;
                    if !r.success {
                        bail!(
                            "ruleTasks reverted: 0x{}",
                            alloy_primitives::hex::encode(&r.output)
                        );
                    }
                }
                Backend::Model(m) => {
                    for (&t, &l) in chunk.0.iter().zip(chunk.1) {
                        let lane = m.lane(job, t as usize);
                        let class = classify(&lane, p.k, 5_001);
                        let j = &mut m.jobs[job];
                        if overturns(&lane, class, l) {
                            j.bond -= HUB_ARBITER_FEE + p.reward;
                            j.pool += p.reward;
                        } else {
                            j.escrow -= HUB_ARBITER_FEE;
                        }
                        j.ruling[t as usize] = l + 1;
                    }
                }
            }
        }
        Ok(())
    }

    /// Settles (or forfeits) `v`, called by `by`.
    fn settle(&mut self, job: usize, by: Address, v: &Vote, forfeit: bool) -> Result<()> {
        let (paid, slash) = match &mut self.b {
            Backend::Chain(h) => {
                let r = if forfeit {
                    h.forfeit(by, v)?
                } else {
                    h.settle(by, v)?
                };
                if !r.success {
                    bail!(
                        "settle reverted: 0x{}",
                        alloy_primitives::hex::encode(&r.output)
                    );
                }
                if forfeit {
                    let f = r
                        .logs
                        .iter()
                        .find_map(|l| IHub::BatchForfeited::decode_log_data(&l.data).ok())
                        .context("BatchForfeited")?;
                    (0, f.slashed)
                } else {
                    let s = r
                        .logs
                        .iter()
                        .find_map(|l| IHub::BatchSettled::decode_log_data(&l.data).ok())
                        .context("BatchSettled")?;
                    self.out.accepted += u64::from(s.agreed);
                    (s.paid.to::<u128>(), s.slashed)
                }
            }
            Backend::Model(m) => {
                let (paid, slash, agreed) = m.settle(job, v, forfeit);
                self.out.accepted += agreed;
                (paid, slash)
            }
        };
        let keeper = if by == v.annotator {
            0
        } else {
            bps_of(slash, KEEPER_BPS)
        };
        if let Some(m) = self.model() {
            m.jobs[job].pool += slash - keeper;
        }
        let l = self.ledger(v.annotator);
        l.paid += paid;
        l.slashed += slash;
        self.ledger(by).keeper += keeper;
        Ok(())
    }

    fn close_and_claim(&mut self, job: usize, everyone: &[Address]) -> Result<()> {
        let creator = self.out.creator;
        let id = self.ids[job];
        let refund = match &mut self.b {
            Backend::Chain(h) => {
                let end = h.job(id)?.settleEnd;
                h.warp_to(end);
                let r = h.ok(creator, &IHub::closeJobCall { jobId: id }, U256::ZERO)?;
                let e = r
                    .logs
                    .iter()
                    .find_map(|l| IHub::JobClosed::decode_log_data(&l.data).ok())
                    .context("JobClosed")?;
                e.refund.to::<u128>()
            }
            Backend::Model(m) => {
                let j = &mut m.jobs[job];
                let mut refund = j.escrow;
                if j.revealed_key {
                    refund += j.bond;
                } else {
                    j.pool += j.bond;
                }
                j.escrow = 0;
                j.bond = 0;
                refund
            }
        };
        self.ledger(creator).refund += refund;
        for &a in everyone {
            let amount = match &mut self.b {
                Backend::Chain(h) => {
                    let r = h.send(a, &IHub::claimSlashShareCall { jobId: id }, U256::ZERO)?;
                    r.logs
                        .iter()
                        .find_map(|l| IHub::SlashShareClaimed::decode_log_data(&l.data).ok())
                        .map_or(0, |c| c.amount)
                }
                Backend::Model(m) => {
                    let j = &mut m.jobs[job];
                    let mine = j.records.get(&a).copied().unwrap_or(0);
                    if j.agreed == 0 {
                        0
                    } else {
                        j.pool * u128::from(mine) / u128::from(j.agreed)
                    }
                }
            };
            self.ledger(a).shares += amount;
        }
        Ok(())
    }

    fn warp_to_reveal(&mut self, job: usize) -> Result<()> {
        if let Backend::Chain(h) = &mut self.b {
            let at = h.job(self.ids[job])?.commitEnd;
            h.warp_to(at);
        }
        Ok(())
    }

    fn warp_to_settle(&mut self, job: usize) -> Result<()> {
        if let Backend::Chain(h) = &mut self.b {
            let at = h.job(self.ids[job])?.revealEnd;
            h.warp_to(at);
        }
        Ok(())
    }

    fn warp_to_ruling_end(&mut self, job: usize) -> Result<()> {
        if let Backend::Chain(h) = &mut self.b {
            let at = h.job(self.ids[job])?.rulingEnd;
            h.warp_to(at);
        }
        Ok(())
    }
}

/// The label the public view points to for a task with `label` added: the
/// decided label, or for an escalated task the plurality (what an expert
/// will most likely say when most voters are right).
fn predicted(lane: &Lane, k: u8) -> Option<u8> {
    match classify(lane, k, 5_001) {
        Class::Empty => None,
        Class::Decided { label, .. } => Some(label),
        Class::Escalated { .. } => (!lane.tie).then_some(lane.leader),
    }
}

/// What revealing a batch is worth now against forfeiting it, from the
/// public tallies and the key (each vote added to its task's tally).
fn reveal_is_best(run: &mut Run, job: usize, v: &Vote) -> Result<bool> {
    let p = run.p.clone();
    let (stake, fewest) = (p.stake(), min_winning_votes(p.k, 5_001));
    #[allow(clippy::cast_precision_loss)]
    let (mut value, mut seen, mut ok) = (0f64, 0u32, 0u32);
    for (&t, &l) in v.tasks.iter().zip(&v.labels) {
        let mut lane = run.lane(job, t)?;
        lane.counts[l as usize] += 1;
        let raw = {
            let cw = u64::from(count_bits(p.k));
            let mut raw = 0u64;
            for (c, &n) in lane.counts.iter().take(p.classes as usize).enumerate() {
                raw |= u64::from(n) << (cw * c as u64);
            }
            raw | (u64::from(lane.gold) << (cw * u64::from(p.classes)))
                | (u64::from(lane.holders) << (cw * u64::from(p.classes) + 4))
        };
        let lane = Lane::decode(raw, p.classes, p.k);
        let gold = lane.gold != 0;
        match predicted(&lane, p.k) {
            Some(d) if d == l => {
                #[allow(clippy::cast_precision_loss)]
                {
                    value += pay_per_vote(p.bounty(), lane.count(d), fewest) as f64;
                }
                seen += u32::from(gold);
                ok += u32::from(gold);
            }
            Some(_) => {
                #[allow(clippy::cast_precision_loss)]
                {
                    value -= bps_of(stake, p.slash_bps) as f64;
                }
                seen += u32::from(gold);
            }
            None => {}
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let forfeit = -((stake * v.tasks.len() as u128) as f64);
    if ok * 2 < seen {
        value = forfeit;
    }
    Ok(value >= forfeit)
}

/// Runs one scenario on `backend` (a fresh chain, or the model).
#[allow(clippy::too_many_lines)]
fn run(p: &SimParams, strategy: Strategy, seed: u64, on_chain: bool) -> Result<Outcome> {
    let b = if on_chain {
        Backend::Chain(Box::new(Hub::deploy(false)?))
    } else {
        Backend::Model(Model {
            p: p.clone(),
            jobs: Vec::new(),
        })
    };
    let mut run = Run {
        p: p.clone(),
        b,
        rng: SplitMix::new(seed),
        out: Outcome {
            effort: p.reward * u128::from(p.effort_bps) / 10_000,
            ..Outcome::default()
        },
        ids: Vec::new(),
    };
    let creator = address("creator", 0);
    run.out.creator = creator;
    let honest: Vec<Address> = (0..p.honest).map(|i| address("honest", i)).collect();
    let adversary: Vec<Address> = match strategy {
        Strategy::Honest | Strategy::FalseGold => Vec::new(),
        Strategy::Lazy | Strategy::SelectiveNonReveal => vec![address("lazy", 0)],
        Strategy::HedgingCartel | Strategy::QuorumDenial => (0..usize::from(p.k) - 1)
            .map(|i| address("sybil", i))
            .collect(),
        Strategy::SybilRing(n) => (0..n).map(|i| address("ring", i)).collect(),
        Strategy::SlotFilling => (0..usize::from(p.k))
            .map(|i| address("filler", i))
            .collect(),
    };
    run.out.honest.clone_from(&honest);
    run.out.adversary = if strategy.creator_side() {
        let mut v = vec![creator];
        v.extend(adversary.iter().copied());
        v
    } else {
        adversary.clone()
    };
    let everyone: Vec<Address> = honest.iter().chain(&adversary).copied().collect();
    for &a in everyone.iter().chain([&creator]) {
        run.ledger(a);
    }
    if let Backend::Chain(h) = &mut run.b {
        let stake = p.stake() * u128::from(p.tasks) * u128::from(p.jobs);
        for &a in &everyone {
            h.m.chain.set_balance(a, U256::from(10u128.pow(24)));
            h.fund_and_stake(a, stake)?;
        }
        h.m.chain.set_balance(creator, U256::from(10u128.pow(24)));
    }
    let keeper = honest[0];
    let classes = u64::from(p.classes);
    for job in 0..p.jobs as usize {
        let truth: Vec<u8> = (0..p.tasks).map(|_| run.rng.below(classes) as u8).collect();
        let mut gold_at: Vec<u32> = (0..p.tasks).collect();
        for i in (1..gold_at.len()).rev() {
            gold_at.swap(i, run.rng.below(i as u64 + 1) as usize);
        }
        gold_at.truncate(p.gold_tasks() as usize);
        gold_at.sort_unstable();
        let wrong = strategy == Strategy::FalseGold;
        let spec = HubJob {
            tasks: p.tasks,
            k: p.k,
            classes: p.classes,
            reward: p.reward,
            stake: p.stake(),
            slash_bps: p.slash_bps,
            gold: gold_at
                .iter()
                .map(|&t| {
                    let y = truth[t as usize];
                    (t, if wrong { (y + 1) % p.classes } else { y })
                })
                .collect(),
            ..HubJob::default()
        };
        run.create(job, creator, &spec)?;
        let mut holders = vec![0u8; p.tasks as usize];
        let mut taken: BTreeMap<Address, Vec<bool>> = BTreeMap::new();
        let mut votes: Vec<(Vote, bool)> = Vec::new();
        // The adversary's slots come first (it can always be early).
        match strategy {
            Strategy::HedgingCartel => {
                for t in 0..p.tasks {
                    let mut labels: Vec<u8> = (0..p.classes).collect();
                    for i in (1..labels.len()).rev() {
                        labels.swap(i, run.rng.below(i as u64 + 1) as usize);
                    }
                    for (i, &a) in adversary.iter().enumerate() {
                        let v = run.commit(job, a, &[t], &[labels[i]])?;
                        votes.push((v, false));
                    }
                    holders[t as usize] += p.k - 1;
                }
            }
            Strategy::SlotFilling | Strategy::QuorumDenial => {
                let tasks: Vec<u32> = if strategy == Strategy::SlotFilling {
                    (0..p.tasks).filter(|t| t % 4 == 0).collect()
                } else {
                    (0..p.tasks).collect()
                };
                for chunk in tasks.chunks(p.batch) {
                    for &a in &adversary {
                        let v = run.commit(job, a, chunk, &vec![0; chunk.len()])?;
                        votes.push((v, false));
                    }
                    for &t in chunk {
                        holders[t as usize] += adversary.len() as u8;
                    }
                }
            }
            _ => {}
        }
        // Rounds: agents in random order each take one batch of free tasks.
        let ring_label: Vec<u8> = (0..p.tasks).map(|_| run.rng.below(classes) as u8).collect();
        let mut agents: Vec<(Vec<Address>, u8)> = honest.iter().map(|&a| (vec![a], 0)).collect();
        match strategy {
            Strategy::Lazy | Strategy::SelectiveNonReveal => agents.push((adversary.clone(), 1)),
            Strategy::SybilRing(n) => {
                for group in adversary.chunks(usize::from(p.k).min(n)) {
                    agents.push((group.to_vec(), 2));
                }
            }
            _ => {}
        }
        loop {
            let mut order: Vec<usize> = (0..agents.len()).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, run.rng.below(i as u64 + 1) as usize);
            }
            let mut progress = false;
            for &i in &order {
                let (addrs, kind) = agents[i].clone();
                let n = addrs.len() as u8;
                let mut free: Vec<u32> = (0..p.tasks)
                    .filter(|&t| {
                        holders[t as usize] + n <= p.k
                            && addrs
                                .iter()
                                .all(|a| !taken.get(a).is_some_and(|v| v[t as usize]))
                    })
                    .collect();
                for j in (1..free.len()).rev() {
                    free.swap(j, run.rng.below(j as u64 + 1) as usize);
                }
                free.truncate(p.batch);
                free.sort_unstable();
                if free.is_empty() {
                    continue;
                }
                progress = true;
                for &a in &addrs {
                    let labels: Vec<u8> = free
                        .iter()
                        .map(|&t| {
                            let y = truth[t as usize];
                            match kind {
                                0 if run.rng.unit() < p.accuracy => y,
                                0 => (y + 1 + run.rng.below(classes - 1) as u8) % p.classes,
                                1 => run.rng.below(classes) as u8,
                                _ => ring_label[t as usize],
                            }
                        })
                        .collect();
                    let v = run.commit(job, a, &free, &labels)?;
                    votes.push((v, kind == 0));
                    let mine = taken
                        .entry(a)
                        .or_insert_with(|| vec![false; p.tasks as usize]);
                    for &t in &free {
                        mine[t as usize] = true;
                    }
                }
                for &t in &free {
                    holders[t as usize] += n;
                }
            }
            if !progress {
                break;
            }
        }
        // Reveal phase: the key first, then the honest, then the adversary's
        // best replies from what is public.
        run.warp_to_reveal(job)?;
        run.reveal_gold(job, &spec)?;
        let mut revealed = vec![false; votes.len()];
        for (i, (v, honest_vote)) in votes.iter().enumerate() {
            let ring = matches!(strategy, Strategy::SybilRing(_) | Strategy::Lazy);
            if *honest_vote || (ring && adversary.contains(&v.annotator)) {
                run.reveal(job, v)?;
                revealed[i] = true;
            }
        }
        if matches!(
            strategy,
            Strategy::SelectiveNonReveal | Strategy::HedgingCartel
        ) {
            for (i, (v, _)) in votes.iter().enumerate() {
                if !revealed[i]
                    && adversary.contains(&v.annotator)
                    && reveal_is_best(&mut run, job, v)?
                {
                    run.reveal(job, v)?;
                    revealed[i] = true;
                }
            }
        }
        // The arbiter rules every escalated task with the truth.
        run.warp_to_settle(job)?;
        if p.arbiter_rules {
            let mut tasks = Vec::new();
            for t in 0..p.tasks {
                let lane = run.lane(job, t)?;
                if matches!(classify(&lane, p.k, 5_001), Class::Escalated { .. }) {
                    tasks.push(t);
                }
            }
            let labels: Vec<u8> = tasks.iter().map(|&t| truth[t as usize]).collect();
            run.rule(job, &tasks, &labels)?;
        }
        run.warp_to_ruling_end(job)?;
        for (i, (v, _)) in votes.iter().enumerate() {
            if revealed[i] {
                run.settle(job, v.annotator, v, false)?;
            } else {
                run.ledger(v.annotator).withheld += v.tasks.len() as u64;
                run.settle(job, keeper, v, true)?;
            }
        }
        let claimers: Vec<Address> = everyone.iter().chain([&creator]).copied().collect();
        run.close_and_claim(job, &claimers)?;
    }
    Ok(run.out)
}

/// Runs a scenario on the model only (fast).
pub fn model(p: &SimParams, strategy: Strategy, seed: u64) -> Result<Outcome> {
    run(p, strategy, seed, false)
}

/// Runs a scenario on the real contracts and on the model with the same
/// draws; fails unless every address's money agrees to the wei.
pub fn checked(p: &SimParams, strategy: Strategy, seed: u64) -> Result<Outcome> {
    let chain = run(p, strategy, seed, true)?;
    let model = run(p, strategy, seed, false)?;
    if chain.ledgers != model.ledgers || chain.accepted != model.accepted {
        for (a, l) in &chain.ledgers {
            if model.ledgers.get(a) != Some(l) {
                bail!(
                    "{}: the model and the contract disagree for {a}: chain {l:?}, model {:?}",
                    strategy.name(),
                    model.ledgers.get(a)
                );
            }
        }
        bail!("{}: accepted labels differ", strategy.name());
    }
    Ok(chain)
}

/// The strategies of the main table.
pub fn strategies() -> Vec<Strategy> {
    vec![
        Strategy::Lazy,
        Strategy::SelectiveNonReveal,
        Strategy::HedgingCartel,
        Strategy::SybilRing(2),
        Strategy::SybilRing(3),
        Strategy::SybilRing(5),
        Strategy::SybilRing(10),
        Strategy::SlotFilling,
        Strategy::QuorumDenial,
        Strategy::FalseGold,
    ]
}

/// Seeds per model point of the threshold scans.
const SEEDS: u64 = 10;

/// Mean honest and adversary profit per label over the model's seeds.
fn mean(p: &SimParams, strategy: Strategy) -> Result<(f64, f64)> {
    let (mut honest, mut adversary) = (0.0, 0.0);
    for seed in 0..SEEDS {
        let o = model(p, strategy, 1_000 + seed)?;
        honest += o.honest_per_label(p.reward);
        adversary += o.adversary_per_label(p.reward, strategy.creator_side());
    }
    #[allow(clippy::cast_precision_loss)]
    Ok((honest / SEEDS as f64, adversary / SEEDS as f64))
}

/// Whether `strategy` beats honest work at `p`: an annotator strategy earns
/// at least as much per label as an honest annotator next to it; a creator
/// strategy pays less per accepted label than an honest creator of the same
/// jobs.
fn beats(p: &SimParams, strategy: Strategy) -> Result<bool> {
    let (honest, adversary) = mean(p, strategy)?;
    if strategy.creator_side() {
        let mut cost = 0.0;
        for seed in 0..SEEDS {
            cost += model(p, Strategy::Honest, 1_000 + seed)?.adversary_per_label(p.reward, true);
        }
        #[allow(clippy::cast_precision_loss)]
        return Ok(adversary < cost / SEEDS as f64);
    }
    Ok(adversary >= honest)
}

/// The README tables: the default run of every strategy on the real
/// contracts (checked against the model), then the breakdown thresholds
/// from the model.
#[allow(clippy::too_many_lines)]
pub fn table(seed: u64) -> Result<String> {
    use std::fmt::Write;
    let mut s = String::new();
    let base = SimParams::default();
    let unit = base.reward;
    let _ = writeln!(
        s,
        "Defaults: {} jobs × {} tasks, k = {}, {} classes, gold on {} % of the tasks, stake per vote {} × the most one vote can earn ({} rewards), \
         a disagreeing vote loses {} % of it, an unrevealed one all of it, keepers earn {} %, the arbiter rules every escalated task (fee 1 reward); \
         {} honest annotators, {:.0} % accurate, effort {} % of the reward; batches of up to {}. Figures per label, in rewards; every row ran on the \
         real contracts and agreed to the wei with the rules model.\n",
        base.jobs,
        base.tasks,
        base.k,
        base.classes,
        base.gold_bps / 100,
        base.stake_ratio,
        base.stake() / unit,
        base.slash_bps / 100,
        KEEPER_BPS / 100,
        base.honest,
        base.accuracy * 100.0,
        base.effort_bps / 100,
        base.batch
    );
    let _ = writeln!(
        s,
        "| adversary | its labels (withheld) | its profit / label | honest profit / label | honest margin | honest stays best up to effort |\n|---|---:|---:|---:|---:|---:|"
    );
    let honest_run = checked(&base, Strategy::Honest, seed)?;
    let honest_cost = honest_run.adversary_per_label(unit, true);
    let honest_gross = honest_run.honest_per_label(unit) + f64::from(base.effort_bps) / 10_000.0;
    let _ = writeln!(
        s,
        "| none (all honest) | - | - | **{:.3}** | - | - |",
        honest_run.honest_per_label(unit)
    );
    let mut large = base.clone();
    large.tasks = 1_024;
    large.jobs = 1;
    let mut rows: Vec<(String, SimParams, Strategy)> = strategies()
        .into_iter()
        .map(|st| (st.name(), base.clone(), st))
        .collect();
    rows.insert(
        1,
        ("lazy, one 1,024-task job".into(), large, Strategy::Lazy),
    );
    for (name, p, st) in &rows {
        let o = checked(p, *st, seed)?;
        let h = o.honest_per_label(unit);
        let a = o.adversary_per_label(unit, st.creator_side());
        if st.creator_side() {
            let _ = writeln!(
                s,
                "| {name} | - | cost / accepted label **{a:.3}** (honest creator: {honest_cost:.3}) | **{h:.3}** | creator pays {:+.3} more | - |",
                a - honest_cost
            );
        } else {
            let (labels, withheld) = o.adversary_labels();
            let gross = h + f64::from(p.effort_bps) / 10_000.0;
            let _ = writeln!(
                s,
                "| {name} | {labels} ({withheld}) | **{a:.3}** | **{h:.3}** | {:+.3} | {:.0} % |",
                h - a,
                ((gross - a) * 100.0).max(0.0)
            );
        }
    }
    let _ = writeln!(
        s,
        "\nAn honest creator pays {honest_cost:.3} rewards per accepted label; honest work earns {honest_gross:.3} before effort.\n"
    );
    // Breakdown thresholds (the model, 6 seeds a point).
    let _ = writeln!(
        s,
        "Breakdown thresholds (the rules model, {SEEDS} seeds a point; the contract refuses gold below 10 % and stakes below 1×): the value at which each \
         adversary would start to beat honest work, all else at the defaults.\n"
    );
    let _ = writeln!(
        s,
        "| adversary | gold rate below | stake (× most a vote earns) below | job size from | at the defaults |\n|---|---:|---:|---:|---|"
    );
    let golds = [0u16, 250, 500, 750, 1_000, 1_250, 1_500, 2_000];
    let stakes = [0.25f64, 0.5, 0.75, 1.0, 1.5, 2.0];
    let sizes = [40u32, 160, 640];
    for st in strategies() {
        // The largest grid value at which the adversary still wins: it
        // wins below the next one.
        let mut gold_at = "never".to_string();
        for (i, &g) in golds.iter().enumerate().rev() {
            let p = SimParams {
                gold_bps: g,
                ..base.clone()
            };
            if beats(&p, st)? {
                gold_at = golds.get(i + 1).map_or("at 20 % too".into(), |n| {
                    format!("{} %", f64::from(*n) / 100.0)
                });
                break;
            }
        }
        let mut stake_at = "never".to_string();
        for (i, &r) in stakes.iter().enumerate().rev() {
            let p = SimParams {
                stake_ratio: r,
                ..base.clone()
            };
            if beats(&p, st)? {
                stake_at = stakes
                    .get(i + 1)
                    .map_or("at 2× too".into(), |n| format!("{n}×"));
                break;
            }
        }
        let mut size_at = "never".to_string();
        for &n in &sizes {
            let p = SimParams {
                tasks: n,
                jobs: 1,
                ..base.clone()
            };
            if beats(&p, st)? {
                size_at = format!("{n} tasks");
                break;
            }
        }
        let safe = !beats(&base, st)?;
        let _ = writeln!(
            s,
            "| {} | {gold_at} | {stake_at} | {size_at} | {} |",
            st.name(),
            if safe {
                "honest strictly best"
            } else {
                "**adversary wins**"
            }
        );
    }
    // Cartel share: rings of every size up to twice the honest crowd, at
    // the default gold rate and at the contract's minimum.
    let _ = writeln!(
        s,
        "\nCartel share: a sybil ring of n addresses next to {} honest annotators (ring profit / honest profit per label):\n",
        base.honest
    );
    let _ = writeln!(s, "| ring | share of the voters | gold 20 % | gold 10 % (contract minimum) |\n|---:|---:|---:|---:|");
    for n in [1usize, 2, 3, 4, 6, 8, 10, 12] {
        #[allow(clippy::cast_precision_loss)]
        let pct = n as f64 * 100.0 / (n + base.honest) as f64;
        let (h, a) = mean(&base, Strategy::SybilRing(n))?;
        let low = SimParams {
            gold_bps: 1_000,
            ..base.clone()
        };
        let (h10, a10) = mean(&low, Strategy::SybilRing(n))?;
        let _ = writeln!(
            s,
            "| {n} | {pct:.0} % | {a:+.2} / {h:.2} | {a10:+.2} / {h10:.2} |"
        );
    }
    Ok(s)
}
