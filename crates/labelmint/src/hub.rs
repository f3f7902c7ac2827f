//! The QualityHub on the embedded chain: a driver for tests, the gas
//! snapshot, the per-label benchmark and the economic simulation.

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_sol_types::{SolCall, SolConstructor};
use anyhow::{anyhow, bail, Context, Result};
use labelmint_devnet::Receipt;

use crate::{artifacts, market::Market, IRewardToken};

pub use labelmint_client::hub::*;

/// Terms of a consensus job, with defaults: 3 votes, 4 classes, a simple
/// majority (2 of 3), one-hour phases, 1,000 gwei per vote, a stake of
/// 100 tokens slashed at 50 % to the agreeing annotators.
#[derive(Clone, Debug)]
pub struct HubJob {
    /// Data root.
    pub data_root: B256,
    /// Wei per vote.
    pub reward: u128,
    /// Tasks.
    pub tasks: u32,
    /// Votes per task.
    pub k: u8,
    /// Classes.
    pub classes: u8,
    /// Share of the k votes a label needs.
    pub quorum_bps: u16,
    /// Phase lengths in seconds.
    pub commit: u32,
    /// Reveal phase.
    pub reveal: u32,
    /// Settle phase.
    pub settle: u32,
    /// Stake locked per annotator.
    pub min_stake: u128,
    /// Slash rate.
    pub slash_bps: u16,
    /// 0 agreeing annotators, 1 creator.
    pub slash_to: u8,
    /// Minimum reputation score.
    pub min_rep: u16,
    /// Gold tasks: (task, label) known to the creator, hidden until revealed.
    pub gold: Vec<(u32, u8)>,
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
            min_stake: 100_000_000_000_000_000_000,
            slash_bps: 5_000,
            slash_to: 0,
            min_rep: 0,
            gold: Vec::new(),
        }
    }
}

impl HubJob {
    /// The escrow: `k × tasks × reward`.
    pub fn escrow(&self) -> U256 {
        U256::from(self.reward) * U256::from(self.tasks) * U256::from(self.k)
    }

    /// The `createJob` call.
    pub fn call(&self) -> IHub::createJobCall {
        IHub::createJobCall {
            dataRoot: self.data_root,
            rewardPerTask: self.reward,
            taskCount: self.tasks,
            replication: self.k,
            numClasses: self.classes,
            quorumBps: self.quorum_bps,
            commitDuration: self.commit,
            revealDuration: self.reveal,
            settleDuration: self.settle,
            minStake: self.min_stake,
            slashBps: self.slash_bps,
            slashTo: self.slash_to,
            minReputationBps: self.min_rep,
            goldCommitment: if self.gold.is_empty() {
                B256::ZERO
            } else {
                self.gold_commitment_for(U256::ZERO)
            },
        }
    }

    /// Salt of the gold key (fixed: tests and simulations only).
    pub const GOLD_SALT: B256 = B256::repeat_byte(0x60);

    /// `keccak256(jobId ‖ tasks ‖ labels ‖ salt)` of the gold key for job `id`.
    pub fn gold_commitment_for(&self, id: U256) -> B256 {
        let mut pre = id.to_be_bytes::<32>().to_vec();
        for (t, _) in &self.gold {
            pre.extend_from_slice(&t.to_be_bytes());
        }
        pre.extend(self.gold.iter().map(|(_, l)| *l));
        pre.extend_from_slice(Self::GOLD_SALT.as_slice());
        keccak256(pre)
    }

    /// The call revealing the gold key of job `id`: `revealBatch` of batch 0.
    pub fn reveal_gold(&self, id: U256) -> IHub::revealBatchCall {
        IHub::revealBatchCall {
            jobId: id,
            batchId: U256::ZERO,
            tasks: pack_tasks(&self.gold.iter().map(|(t, _)| *t).collect::<Vec<u32>>()),
            labels: self
                .gold
                .iter()
                .map(|(_, l)| *l)
                .collect::<Vec<u8>>()
                .into(),
            salt: Self::GOLD_SALT,
        }
    }
}

/// Task ids as the hub's batch calls take them: packed big-endian uint32.
pub fn pack_tasks(tasks: &[u32]) -> alloy_primitives::Bytes {
    tasks.iter().flat_map(|t| t.to_be_bytes()).collect()
}

/// `keccak256(jobId ‖ annotator ‖ labels ‖ salt)`: what `commitBatch` takes.
pub fn commitment(job: U256, annotator: Address, labels: &[u8], salt: B256) -> B256 {
    let mut pre = job.to_be_bytes::<32>().to_vec();
    pre.extend_from_slice(annotator.as_slice());
    pre.extend_from_slice(labels);
    pre.extend_from_slice(salt.as_slice());
    keccak256(pre)
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

/// Token, market and hub on one embedded chain.
pub struct Hub {
    /// Token and market (the hub stakes the market's RewardToken).
    pub m: Market,
    /// The QualityHub.
    pub hub: Address,
}

impl Hub {
    /// Deploys token, market and hub from `target/stylus`.
    pub fn deploy(cached: bool) -> Result<Self> {
        let mut m = Market::deploy(cached)?;
        let (wasm, _) = artifacts::program("quality_hub")?;
        let args = QualityHubConstructor::constructorCall {
            stake_token: m.token,
        }
        .abi_encode();
        let admin = m.admin;
        let (hub, _) = m
            .chain
            .deploy_wasm(admin, &wasm, Some(&args))
            .map_err(|e| anyhow!("deploying the QualityHub: {e}"))?;
        if cached {
            m.chain
                .cache_program(admin, hub)
                .map_err(|e| anyhow!("caching the hub: {e}"))?;
        }
        Ok(Self { m, hub })
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

    /// Mints `amount` RewardToken to `who`, approves the hub and stakes it.
    pub fn fund_and_stake(&mut self, who: Address, amount: u128) -> Result<Receipt> {
        self.m.mint(who, U256::from(amount))?;
        let hub = self.hub;
        let token = self.m.token;
        let r = self
            .m
            .chain
            .send_call(
                who,
                token,
                &IRewardToken::approveCall {
                    spender: hub,
                    value: U256::from(amount),
                },
            )
            .map_err(|e| anyhow!("approve: {e}"))?;
        if !r.success {
            bail!("approve reverted");
        }
        self.ok(who, &IHub::stakeCall { amount }, U256::ZERO)
    }

    /// Creates a job from `creator` (with its gold key bound to the next
    /// job id); returns its id.
    pub fn create(&mut self, creator: Address, spec: &HubJob) -> Result<U256> {
        let mut call = spec.call();
        if !spec.gold.is_empty() {
            let next = self.read(&IHub::jobCountCall {})? + U256::from(1);
            call.goldCommitment = spec.gold_commitment_for(next);
        }
        let r = self.ok(creator, &call, spec.escrow())?;
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

    /// Moves time forward by `seconds`.
    pub fn warp(&mut self, seconds: u64) {
        self.m.chain.warp(seconds);
    }

    /// RewardToken balance of `who`.
    pub fn tokens(&mut self, who: Address) -> Result<U256> {
        let token = self.m.token;
        self.m
            .chain
            .read(token, &IRewardToken::balanceOfCall { account: who })
            .map_err(|e| anyhow!("balanceOf: {e}"))
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
    /// Gas of `createJob` and `closeJob`.
    pub job: u64,
}

impl HubRun {
    /// Gas per label of the voting flow (commit + reveal + settle).
    pub fn per_label(&self) -> u64 {
        (self.commit + self.reveal + self.settle) / self.labels.max(1)
    }

    /// Gas per label including job creation and closing.
    pub fn per_label_all(&self) -> u64 {
        (self.commit + self.reveal + self.settle + self.job) / self.labels.max(1)
    }
}

/// Runs a `tasks`-task job with `k` annotators voting in batches of
/// `batch`; two thirds agree on each task, the rest dissent.
pub fn run_job(h: &mut Hub, tasks: u32, k: u8, batch: usize) -> Result<HubRun> {
    let creator = h.m.chain.account(0);
    let people: Vec<Address> = (1..=usize::from(k)).map(|i| h.m.chain.account(i)).collect();
    for &a in &people {
        let s = h.read(&IHub::stakeOfCall { annotator: a })?;
        if s.staked < HubJob::default().min_stake {
            h.fund_and_stake(a, HubJob::default().min_stake)?;
        }
    }
    let spec = HubJob {
        tasks,
        k,
        ..HubJob::default()
    };
    let mut run = HubRun::default();
    let r = h.ok(creator, &spec.call(), spec.escrow())?;
    run.job += r.gas_used;
    let job = IHub::createJobCall::abi_decode_returns(&r.output)?;
    let ids: Vec<u32> = (0..tasks).collect();
    let mut votes = Vec::new();
    for (i, &a) in people.iter().enumerate() {
        for chunk in ids.chunks(batch) {
            let labels: Vec<u8> = chunk
                .iter()
                .map(|&t| if i == 0 && t % 3 == 0 { 1 } else { 2 })
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
    for v in &votes {
        let r = h.reveal(v)?;
        if !r.success {
            bail!("reveal reverted");
        }
        run.reveal += r.gas_used;
    }
    h.warp(u64::from(spec.reveal));
    for v in &votes {
        let r = h.settle(creator, v)?;
        if !r.success {
            bail!("settle reverted");
        }
        run.settle += r.gas_used;
        run.labels += v.tasks.len() as u64;
    }
    h.warp(u64::from(spec.settle));
    run.job += h
        .ok(creator, &IHub::closeJobCall { jobId: job }, U256::ZERO)?
        .gas_used;
    Ok(run)
}

/// Adds the QualityHub entries to `snapshot`.
pub fn measure_gas(snapshot: &mut std::collections::BTreeMap<String, u64>) -> Result<()> {
    for cached in [false, true] {
        let tag = if cached { ", cached" } else { "" };
        let mut h = Hub::deploy(cached)?;
        let a = h.m.chain.account(1);
        let r = h.fund_and_stake(a, HubJob::default().min_stake)?;
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
            format!("QualityHub::per label, k=3 batch 32, with createJob+closeJob{tag}"),
            run.per_label_all(),
        );
        let creator = h.m.chain.account(0);
        let r = h.ok(
            creator,
            &HubJob::default().call(),
            HubJob::default().escrow(),
        )?;
        snapshot.insert(format!("QualityHub::createJob(ETH{tag})"), r.gas_used);
        let gold = HubJob {
            gold: (0..32).step_by(5).map(|t| (t, 1)).collect(),
            ..HubJob::default()
        };
        let job = h.create(creator, &gold)?;
        h.warp(u64::from(gold.commit));
        let r = h.ok(creator, &gold.reveal_gold(job), U256::ZERO)?;
        snapshot.insert(
            format!("QualityHub::revealBatch(gold key, 7 of 32 tasks{tag})"),
            r.gas_used,
        );
    }
    Ok(())
}
