//! The QualityHub on the embedded chain: a driver for tests, the gas
//! snapshot, the per-label benchmark and the adversarial simulation.

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_sol_types::{SolCall, SolConstructor};
use anyhow::{anyhow, bail, Context, Result};
use labelmint_devnet::Receipt;

use crate::{
    artifacts,
    market::{IMarket, Market, DEFAULT_ARBITER},
    IRewardToken,
};

pub use labelmint_client::hub::*;

/// Id of the arbiter terms every [`Hub`] registers for its jobs (after the
/// market's two defaults): [`DEFAULT_ARBITER`], in RewardToken, a fee of
/// [`HUB_ARBITER_FEE`] per task, one-day windows.
pub const HUB_TERMS: u32 = 3;
/// The hub terms' fee per ruled task (one default reward).
pub const HUB_ARBITER_FEE: u128 = 1_000_000_000_000;
/// The hub terms' ruling window: one day.
pub const HUB_RULING_WINDOW: u32 = 86_400;

/// Terms of a consensus job, with defaults: 3 votes, 4 classes, a simple
/// majority, one-hour phases, 1,000 gwei (of RewardToken) per vote, a stake
/// of twice the most one vote can earn, slashed at 50 %, gold on every
/// fifth task (class 0 unless set), the hub's arbiter terms.
#[derive(Clone, Debug)]
pub struct HubJob {
    /// Data root.
    pub data_root: B256,
    /// Token wei per vote.
    pub reward: u128,
    /// Tasks.
    pub tasks: u32,
    /// Votes per task.
    pub k: u8,
    /// Classes.
    pub classes: u8,
    /// Share of the revealed votes a label needs.
    pub quorum_bps: u16,
    /// Commit phase, seconds.
    pub commit: u32,
    /// Reveal phase.
    pub reveal: u32,
    /// Settle phase (after the arbiter's ruling window).
    pub settle: u32,
    /// Stake locked per vote.
    pub stake: u128,
    /// Slash rate of a disagreeing vote.
    pub slash_bps: u16,
    /// Minimum reputation score.
    pub min_rep: u16,
    /// Arbiter terms id.
    pub terms: u32,
    /// The fee of those terms (the gold bond holds one per gold task).
    pub fee: u128,
    /// Gold tasks: (task, label), strictly ascending, hidden until revealed.
    pub gold: Vec<(u32, u8)>,
    /// Salt of the gold key.
    pub gold_salt: B256,
    /// Difficulty classes `(end, weight)` (empty: every task weighs 1):
    /// tasks below `end` not in an earlier class have `weight`.
    pub difficulty: Vec<(u32, u8)>,
}

impl Default for HubJob {
    fn default() -> Self {
        Self {
            data_root: B256::repeat_byte(0xd7),
            reward: 1_000_000_000_000,
            tasks: 32,
            k: 3,
            classes: 4,
            quorum_bps: 5_001,
            commit: 3_600,
            reveal: 3_600,
            settle: 3_600,
            stake: 3_000_000_000_000,
            slash_bps: 5_000,
            min_rep: 0,
            terms: HUB_TERMS,
            fee: HUB_ARBITER_FEE,
            gold: (0..32).step_by(5).map(|t| (t, 0)).collect(),
            gold_salt: B256::repeat_byte(0x60),
            difficulty: Vec::new(),
        }
    }
}

impl HubJob {
    /// The same job with `tasks` tasks and gold on every fifth one (labels
    /// from `truth`, class 0 when shorter).
    pub fn sized(tasks: u32, truth: &[u8]) -> Self {
        Self {
            tasks,
            gold: (0..tasks)
                .step_by(5)
                .map(|t| (t, truth.get(t as usize).copied().unwrap_or(0)))
                .collect(),
            ..Self::default()
        }
    }

    /// The bounty of one task: `k × reward`.
    pub fn bounty(&self) -> u128 {
        self.reward * u128::from(self.k)
    }

    /// The weight of task `t` (1 without difficulty classes).
    pub fn weight(&self, t: u32) -> u8 {
        crate::court::class_weight(&self.difficulty, t)
    }

    /// Tasks counted by weight: `Σ weight(t)`.
    pub fn units(&self) -> u64 {
        (0..self.tasks).map(|t| u64::from(self.weight(t))).sum()
    }

    /// The escrow: `k × reward × Σ weight(t)`.
    pub fn escrow(&self) -> U256 {
        U256::from(self.bounty()) * U256::from(self.units())
    }

    /// The difficulty classes as `createWeightedJob` takes them.
    pub fn difficulty_bytes(&self) -> alloy_primitives::Bytes {
        labelmint_client::hub::pack_difficulty(&self.difficulty)
    }

    /// The `createWeightedJob` call from `creator`.
    pub fn weighted_call(&self, creator: Address) -> IHub::createWeightedJobCall {
        weighted(self.call(creator), self.difficulty_bytes())
    }

    /// The gold bond: one reward and one arbiter's fee per gold task.
    pub fn bond(&self) -> U256 {
        U256::from(self.reward + self.fee) * U256::from(self.gold.len())
    }

    /// What `createJob` takes from the creator: escrow and bond.
    pub fn deposit(&self) -> U256 {
        self.escrow() + self.bond()
    }

    /// Gold task ids, packed.
    fn gold_tasks(&self) -> alloy_primitives::Bytes {
        pack_tasks(&self.gold.iter().map(|(t, _)| *t).collect::<Vec<u32>>())
    }

    /// `keccak256(creator ‖ tasks ‖ labels ‖ salt)` of the gold key.
    pub fn gold_commitment(&self, creator: Address) -> B256 {
        let mut pre = creator.to_vec();
        pre.extend_from_slice(&self.gold_tasks());
        pre.extend(self.gold.iter().map(|(_, l)| *l));
        pre.extend_from_slice(self.gold_salt.as_slice());
        keccak256(pre)
    }

    /// The `createJob` call from `creator`.
    pub fn call(&self, creator: Address) -> IHub::createJobCall {
        IHub::createJobCall {
            dataRoot: self.data_root,
            rewardPerVote: self.reward,
            taskCount: self.tasks,
            replication: self.k,
            numClasses: self.classes,
            quorumBps: self.quorum_bps,
            commitDuration: self.commit,
            revealDuration: self.reveal,
            settleDuration: self.settle,
            stakePerVote: self.stake,
            slashBps: self.slash_bps,
            minReputationBps: self.min_rep,
            arbiterTerms: self.terms,
            goldCommitment: if self.gold.is_empty() {
                B256::ZERO
            } else {
                self.gold_commitment(creator)
            },
            goldTasks: self.gold.len() as u32,
        }
    }

    /// The call revealing the gold key of job `id`.
    pub fn reveal_gold(&self, id: U256) -> IHub::revealGoldCall {
        IHub::revealGoldCall {
            jobId: id,
            tasks: self.gold_tasks(),
            labels: self
                .gold
                .iter()
                .map(|(_, l)| *l)
                .collect::<Vec<u8>>()
                .into(),
            salt: self.gold_salt,
        }
    }
}

/// A committed batch, with what revealing and settling it needs.
#[derive(Clone, Debug)]
pub struct Vote {
    /// Job.
    pub job: U256,
    /// Batch id.
    pub batch: U256,
    /// Annotator.
    pub annotator: Address,
    /// Tasks.
    pub tasks: Vec<u32>,
    /// One class per task.
    pub labels: Vec<u8>,
    /// Salt.
    pub salt: B256,
}

impl Vote {
    /// The commitment of this vote.
    pub fn commitment(&self) -> B256 {
        commitment(self.job, self.annotator, &self.labels, self.salt)
    }
}

/// The hub's two programs, processed for the chain.
#[derive(Clone, Debug)]
pub struct HubWasm {
    /// The QualityHub (hot paths).
    pub hub: Vec<u8>,
    /// Its extension (cold paths, run by `DELEGATECALL`).
    pub extension: Vec<u8>,
}

impl HubWasm {
    /// Both programs from `target/stylus` (building them if stale).
    pub fn load() -> Result<Self> {
        Ok(Self {
            hub: artifacts::program("quality_hub")?.0,
            extension: artifacts::program("quality_hub_ext")?.0,
        })
    }
}

/// Token, market (the arbiter terms registry) and hub on one embedded chain.
pub struct Hub {
    /// Token and market (the hub stakes and pays in the market's RewardToken).
    pub m: Market,
    /// The QualityHub.
    pub hub: Address,
    /// Its extension program.
    pub extension: Address,
}

impl Hub {
    /// Deploys token, market and hub from `target/stylus` and registers the
    /// hub's arbiter terms ([`HUB_TERMS`]).
    pub fn deploy(cached: bool) -> Result<Self> {
        let m = Market::deploy(cached)?;
        Self::on(m, &HubWasm::load()?, cached)
    }

    /// Deploys the hub on an existing market's chain.
    pub fn on(mut m: Market, wasm: &HubWasm, cached: bool) -> Result<Self> {
        let admin = m.admin;
        let (extension, _) = m
            .chain
            .deploy_wasm(admin, &wasm.extension, None)
            .map_err(|e| anyhow!("deploying the QualityHub extension: {e}"))?;
        let args = QualityHubConstructor::constructorCall {
            stake_token: m.token,
            registry: m.market,
            extension,
        }
        .abi_encode();
        let (hub, _) = m
            .chain
            .deploy_wasm(admin, &wasm.hub, Some(&args))
            .map_err(|e| anyhow!("deploying the QualityHub: {e}"))?;
        if cached {
            for program in [hub, extension] {
                m.chain
                    .cache_program(admin, program)
                    .map_err(|e| anyhow!("caching the hub: {e}"))?;
            }
        }
        let token = m.token;
        let r = m.send(
            DEFAULT_ARBITER,
            &IMarket::registerArbiterTermsCall {
                token,
                fee: HUB_ARBITER_FEE,
                bond: HUB_ARBITER_FEE,
                disputeWindow: HUB_RULING_WINDOW,
                rulingWindow: HUB_RULING_WINDOW,
            },
            U256::ZERO,
        )?;
        if !r.success {
            bail!("registering the hub's arbiter terms reverted");
        }
        Ok(Self { m, hub, extension })
    }

    /// Sends `call` to the hub.
    pub fn send<C: SolCall>(&mut self, from: Address, call: &C, value: U256) -> Result<Receipt> {
        crate::market::send_to(&mut self.m.chain, from, self.hub, call, value)
    }

    /// Sends `call` and fails unless it succeeds.
    pub fn ok<C: SolCall>(&mut self, from: Address, call: &C, value: U256) -> Result<Receipt> {
        crate::market::succeeded::<C>(self.send(from, call, value)?)
    }

    /// Reads from the hub.
    pub fn read<C: SolCall>(&mut self, call: &C) -> Result<C::Return> {
        crate::market::read_from(&mut self.m.chain, self.hub, call)
    }

    /// Mints `amount` RewardToken to `who` and approves the hub for it.
    pub fn fund(&mut self, who: Address, amount: U256) -> Result<()> {
        self.m.mint(who, amount)?;
        let (hub, token) = (self.hub, self.m.token);
        let r = self
            .m
            .chain
            .send_call(
                who,
                token,
                &IRewardToken::approveCall {
                    spender: hub,
                    value: amount,
                },
            )
            .map_err(|e| anyhow!("approve: {e}"))?;
        if !r.success {
            bail!("approve reverted");
        }
        Ok(())
    }

    /// Mints `amount` RewardToken to `who`, approves the hub and stakes it.
    pub fn fund_and_stake(&mut self, who: Address, amount: u128) -> Result<Receipt> {
        self.fund(who, U256::from(amount))?;
        self.ok(who, &IHub::stakeCall { amount }, U256::ZERO)
    }

    /// Funds `creator` with the job's deposit and sends `createJob` (or
    /// `createWeightedJob` when the spec has difficulty classes).
    pub fn try_create(&mut self, creator: Address, spec: &HubJob) -> Result<Receipt> {
        self.fund(creator, spec.deposit())?;
        if spec.difficulty.is_empty() {
            self.send(creator, &spec.call(creator), U256::ZERO)
        } else {
            self.send(creator, &spec.weighted_call(creator), U256::ZERO)
        }
    }

    /// Creates a job from `creator` (funding it first); returns its id.
    pub fn create(&mut self, creator: Address, spec: &HubJob) -> Result<U256> {
        let r = crate::market::succeeded::<IHub::createJobCall>(self.try_create(creator, spec)?)?;
        IHub::createJobCall::abi_decode_returns(&r.output).context("job id")
    }

    /// Commits `labels` on `tasks`; the vote (with its batch id) on success.
    pub fn commit(
        &mut self,
        who: Address,
        job: U256,
        tasks: &[u32],
        labels: &[u8],
    ) -> Result<(Receipt, Option<Vote>)> {
        let salt = keccak256(
            [
                who.as_slice(),
                &job.to_be_bytes::<32>(),
                &tasks.first().copied().unwrap_or(0).to_be_bytes(),
                &tasks.len().to_be_bytes(),
            ]
            .concat(),
        );
        let mut vote = Vote {
            job,
            batch: U256::ZERO,
            annotator: who,
            tasks: tasks.to_vec(),
            labels: labels.to_vec(),
            salt,
        };
        let r = self.send(
            who,
            &IHub::commitBatchCall {
                jobId: job,
                tasks: pack_tasks(tasks),
                commitment: vote.commitment(),
            },
            U256::ZERO,
        )?;
        if !r.success {
            return Ok((r, None));
        }
        vote.batch = IHub::commitBatchCall::abi_decode_returns(&r.output).context("batch id")?;
        Ok((r, Some(vote)))
    }

    /// Reveals `v` (from its annotator).
    pub fn reveal(&mut self, v: &Vote) -> Result<Receipt> {
        let call = IHub::revealBatchCall {
            jobId: v.job,
            batchId: v.batch,
            tasks: pack_tasks(&v.tasks),
            labels: v.labels.clone().into(),
            salt: v.salt,
        };
        self.send(v.annotator, &call, U256::ZERO)
    }

    /// Settles `v` (sent by `by`).
    pub fn settle(&mut self, by: Address, v: &Vote) -> Result<Receipt> {
        let call = IHub::settleBatchCall {
            jobId: v.job,
            batchId: v.batch,
            annotator: v.annotator,
            tasks: pack_tasks(&v.tasks),
            labels: v.labels.clone().into(),
        };
        self.send(by, &call, U256::ZERO)
    }

    /// Forfeits unrevealed `v` (sent by `by`).
    pub fn forfeit(&mut self, by: Address, v: &Vote) -> Result<Receipt> {
        let call = IHub::forfeitBatchCall {
            jobId: v.job,
            batchId: v.batch,
            annotator: v.annotator,
            tasks: pack_tasks(&v.tasks),
            commitment: v.commitment(),
        };
        self.send(by, &call, U256::ZERO)
    }

    /// The arbiter rules `labels` on `tasks` of job `job`.
    pub fn rule(
        &mut self,
        arbiter: Address,
        job: U256,
        tasks: &[u32],
        labels: &[u8],
    ) -> Result<Receipt> {
        self.send(
            arbiter,
            &IHub::ruleTasksCall {
                jobId: job,
                tasks: pack_tasks(tasks),
                labels: labels.to_vec().into(),
            },
            U256::ZERO,
        )
    }

    /// Moves time forward by `seconds`.
    pub fn warp(&mut self, seconds: u64) {
        self.m.chain.warp(seconds);
    }

    /// Moves time to `at` (no-op if already past).
    pub fn warp_to(&mut self, at: u64) {
        let now = self.m.chain.timestamp();
        if at > now {
            self.m.chain.warp(at - now);
        }
    }

    /// A job's phase ends.
    pub fn job(&mut self, id: U256) -> Result<IHub::getJobReturn> {
        self.read(&IHub::getJobCall { jobId: id })
    }

    /// RewardToken balance of `who`.
    pub fn tokens(&mut self, who: Address) -> Result<U256> {
        let token = self.m.token;
        self.m
            .chain
            .read(token, &IRewardToken::balanceOfCall { account: who })
            .map_err(|e| anyhow!("balanceOf: {e}"))
    }

    /// Credit of `who` in RewardToken.
    pub fn credit(&mut self, who: Address) -> Result<u128> {
        Ok(self
            .read(&IHub::creditOfCall { account: who })?
            .to::<u128>())
    }
}

/// Gas of one consensus job run at `k` votes per task and `batch` tasks per
/// batch (every voter labels every task): per-label totals of commit,
/// reveal and settle, and the whole job's transactions.
#[derive(Clone, Debug, Default)]
pub struct HubRun {
    /// Labels (votes) settled.
    pub labels: u64,
    /// Gas of all `commitBatch` calls.
    pub commit: u64,
    /// Gas of all `revealBatch` calls.
    pub reveal: u64,
    /// Gas of all `settleBatch` calls.
    pub settle: u64,
    /// Gas of `createJob`, `revealGold` and `closeJob`.
    pub job: u64,
}

impl HubRun {
    /// Gas per label of the voting flow (commit + reveal + settle).
    pub fn per_label(&self) -> u64 {
        (self.commit + self.reveal + self.settle) / self.labels.max(1)
    }

    /// Gas per label including job creation, the gold key and closing.
    pub fn per_label_all(&self) -> u64 {
        (self.commit + self.reveal + self.settle + self.job) / self.labels.max(1)
    }
}

/// Runs a `tasks`-task job with `k` annotators voting in batches of
/// `batch`; two thirds agree on each task, the rest dissent; the key holds
/// every fifth task and agrees with the majority.
pub fn run_job(h: &mut Hub, tasks: u32, k: u8, batch: usize) -> Result<HubRun> {
    let spec = HubJob {
        k,
        ..HubJob::sized(tasks, &vec![2; tasks as usize])
    };
    run_spec(h, &spec, batch)
}

/// [`run_job`] with difficulty classes: the first half of the tasks weigh
/// 1, the second half 3 (stakes raised to cover a hard vote).
pub fn run_weighted_job(h: &mut Hub, tasks: u32, k: u8, batch: usize) -> Result<HubRun> {
    let spec = HubJob {
        k,
        stake: 5_000_000_000_000,
        difficulty: vec![(tasks / 2, 1), (tasks, 3)],
        ..HubJob::sized(tasks, &vec![2; tasks as usize])
    };
    run_spec(h, &spec, batch)
}

/// Runs the job `spec` as [`run_job`] describes.
fn run_spec(h: &mut Hub, spec: &HubJob, batch: usize) -> Result<HubRun> {
    let (tasks, k) = (spec.tasks, spec.k);
    let creator = h.m.chain.account(0);
    let people: Vec<Address> = (1..=usize::from(k)).map(|i| h.m.chain.account(i)).collect();
    let need = spec.stake * u128::from(tasks);
    for &a in &people {
        let s = h.read(&IHub::stakeOfCall { annotator: a })?;
        if s.staked - s.locked < need {
            h.fund_and_stake(a, need)?;
        }
    }
    let mut run = HubRun::default();
    let r = crate::market::succeeded::<IHub::createJobCall>(h.try_create(creator, spec)?)?;
    run.job += r.gas_used;
    let job = IHub::createJobCall::abi_decode_returns(&r.output)?;
    let ids: Vec<u32> = (0..tasks).collect();
    let mut votes = Vec::new();
    for (i, &a) in people.iter().enumerate() {
        for chunk in ids.chunks(batch) {
            let labels: Vec<u8> = chunk
                .iter()
                .map(|&t| if i == 0 && t % 3 == 1 { 1 } else { 2 })
                .collect();
            let (r, v) = h.commit(a, job, chunk, &labels)?;
            if !r.success {
                bail!(
                    "commit reverted: 0x{}",
                    alloy_primitives::hex::encode(&r.output)
                );
            }
            run.commit += r.gas_used;
            votes.push(v.context("vote")?);
        }
    }
    h.warp(u64::from(spec.commit));
    run.job += h.ok(creator, &spec.reveal_gold(job), U256::ZERO)?.gas_used;
    for v in &votes {
        let r = h.reveal(v)?;
        if !r.success {
            bail!("reveal reverted");
        }
        run.reveal += r.gas_used;
    }
    h.warp(u64::from(spec.reveal));
    for v in &votes {
        let r = h.settle(v.annotator, v)?;
        if !r.success {
            bail!(
                "settle reverted: 0x{}",
                alloy_primitives::hex::encode(&r.output)
            );
        }
        run.settle += r.gas_used;
        run.labels += v.tasks.len() as u64;
    }
    let end = h.job(job)?.settleEnd;
    h.warp_to(end);
    run.job += h
        .ok(creator, &IHub::closeJobCall { jobId: job }, U256::ZERO)?
        .gas_used;
    Ok(run)
}

/// The hub's cold paths on a small job: a task split three ways ruled by
/// the arbiter (`ruleTasks`), an unrevealed batch forfeited by a keeper
/// (`forfeitBatch`), and a slash share claimed after closing
/// (`claimSlashShare`).
fn cold_paths(
    h: &mut Hub,
    tag: &str,
    snapshot: &mut std::collections::BTreeMap<String, u64>,
) -> Result<()> {
    let creator = h.m.chain.account(0);
    let keeper = h.m.chain.account(9);
    let people: Vec<Address> = (6..9).map(|i| h.m.chain.account(i)).collect();
    let spec = HubJob::default();
    for &a in &people {
        h.fund_and_stake(a, spec.stake * 8)?;
    }
    let job = h.create(creator, &spec)?;
    let ballots: [[u8; 3]; 3] = [[0, 2, 2], [1, 2, 2], [2, 2, 0]];
    let mut votes = Vec::new();
    for (&a, labels) in people.iter().zip(ballots) {
        let (r, v) = h.commit(a, job, &[1, 2, 3], &labels)?;
        crate::market::succeeded::<IHub::commitBatchCall>(r)?;
        votes.push(v.context("vote")?);
    }
    let (r, hidden) = h.commit(people[2], job, &[6, 7], &[1, 1])?;
    crate::market::succeeded::<IHub::commitBatchCall>(r)?;
    let hidden = hidden.context("vote")?;
    let j = h.job(job)?;
    h.warp_to(j.commitEnd);
    h.ok(creator, &spec.reveal_gold(job), U256::ZERO)?;
    for v in &votes {
        crate::market::succeeded::<IHub::revealBatchCall>(h.reveal(v)?)?;
    }
    h.warp_to(j.revealEnd);
    let r = crate::market::succeeded::<IHub::ruleTasksCall>(h.rule(
        DEFAULT_ARBITER,
        job,
        &[1],
        &[0],
    )?)?;
    snapshot.insert(format!("QualityHub::ruleTasks(1 task{tag})"), r.gas_used);
    h.warp_to(j.rulingEnd);
    for v in &votes {
        crate::market::succeeded::<IHub::settleBatchCall>(h.settle(keeper, v)?)?;
    }
    let r = crate::market::succeeded::<IHub::forfeitBatchCall>(h.forfeit(keeper, &hidden)?)?;
    snapshot.insert(
        format!("QualityHub::forfeitBatch(2 tasks, by a keeper{tag})"),
        r.gas_used,
    );
    h.warp_to(j.settleEnd);
    h.ok(creator, &IHub::closeJobCall { jobId: job }, U256::ZERO)?;
    let r = h.ok(
        people[0],
        &IHub::claimSlashShareCall { jobId: job },
        U256::ZERO,
    )?;
    snapshot.insert(format!("QualityHub::claimSlashShare{tag}"), r.gas_used);
    Ok(())
}

/// Adds the QualityHub entries to `snapshot`.
pub fn measure_gas(snapshot: &mut std::collections::BTreeMap<String, u64>) -> Result<()> {
    for cached in [false, true] {
        let tag = if cached { ", cached" } else { "" };
        let mut h = Hub::deploy(cached)?;
        let a = h.m.chain.account(1);
        let r = h.fund_and_stake(a, HubJob::default().stake * 32)?;
        snapshot.insert(format!("QualityHub::stake(first{tag})"), r.gas_used);
        let run = run_job(&mut h, 32, 3, 32)?;
        snapshot.insert(
            format!("QualityHub::commitBatch(32 tasks, mean of 3 voters{tag})"),
            run.commit / 3,
        );
        snapshot.insert(
            format!("QualityHub::revealBatch(32 tasks, mean{tag})"),
            run.reveal / 3,
        );
        snapshot.insert(
            format!("QualityHub::settleBatch(32 tasks, mean{tag})"),
            run.settle / 3,
        );
        snapshot.insert(
            format!("QualityHub::per label, k=3 batch 32, commit+reveal+settle{tag}"),
            run.per_label(),
        );
        snapshot.insert(
            format!("QualityHub::per label, k=3 batch 32, with createJob+revealGold+closeJob{tag}"),
            run.per_label_all(),
        );
        // On a fresh hub in the same state as the unweighted run above.
        let mut fresh = Hub::deploy(cached)?;
        let a = fresh.m.chain.account(1);
        fresh.fund_and_stake(a, HubJob::default().stake * 32)?;
        let run = run_weighted_job(&mut fresh, 32, 3, 32)?;
        snapshot.insert(
            format!("QualityHub::per label, weighted 1/3, k=3 batch 32, commit+reveal+settle{tag}"),
            run.per_label(),
        );
        snapshot.insert(
            format!("QualityHub::settleBatch(32 tasks, weighted 1/3, mean{tag})"),
            run.settle / 3,
        );
        cold_paths(&mut h, tag, snapshot)?;
        let creator = h.m.chain.account(0);
        let spec = HubJob::default();
        h.fund(creator, spec.deposit())?;
        let r = h.ok(creator, &spec.call(creator), U256::ZERO)?;
        snapshot.insert(
            format!("QualityHub::createJob(7 gold tasks, reads the terms{tag})"),
            r.gas_used,
        );
        let job = IHub::createJobCall::abi_decode_returns(&r.output)?;
        h.warp(u64::from(spec.commit));
        let r = h.ok(creator, &spec.reveal_gold(job), U256::ZERO)?;
        snapshot.insert(
            format!("QualityHub::revealGold(7 of 32 tasks{tag})"),
            r.gas_used,
        );
    }
    Ok(())
}
