//! Driving the AnnotationMarket on the embedded chain: deployment next to the
//! RewardToken, typed calls, EIP-712 batch signatures, and the lifecycle
//! benchmark (`labelmint bench-market`).

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::{eip712_domain, sol, SolCall, SolConstructor, SolEvent, SolStruct};
use anyhow::{anyhow, bail, Context, Result};
use labelmint_devnet::{chain::DEFAULT_TX_GAS, Devnet, Receipt};

use crate::{artifacts, IRewardToken, RewardTokenConstructor};

#[allow(clippy::too_many_arguments)]
mod bindings {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "../../abi/AnnotationMarket.sol"
    );
}
pub use bindings::*;

sol! {
    /// The EIP-712 struct an annotator signs for `submitBatchBySig`.
    struct SubmitBatch {
        address annotator;
        uint256 jobId;
        uint32[] taskIds;
        bytes payload;
        uint256 nonce;
        uint256 deadline;
    }
}

pub use IAnnotationMarket as IMarket;

/// The EIP-712 digest of a `SubmitBatch` for the market at `market`.
pub fn batch_digest(market: Address, chain_id: u64, batch: &SubmitBatch) -> B256 {
    let domain = eip712_domain! {
        name: "labelmint AnnotationMarket",
        version: "1",
        chain_id: chain_id,
        verifying_contract: market,
    };
    batch.eip712_signing_hash(&domain)
}

/// Signs `batch` with `key`: 65 bytes `r ‖ s ‖ v` (v = 27/28, low s).
pub fn sign_batch(
    key: &B256,
    market: Address,
    chain_id: u64,
    batch: &SubmitBatch,
) -> Result<Bytes> {
    let digest = batch_digest(market, chain_id, batch);
    let signing = k256::ecdsa::SigningKey::from_slice(key.as_slice())?;
    let (sig, recid) = signing.sign_prehash_recoverable(digest.as_slice())?;
    let mut out = sig.to_bytes().to_vec();
    out.push(27 + recid.to_byte());
    Ok(out.into())
}

/// A submitted batch as `LabelsSubmitted` announced it: what a review or a
/// finalization must present.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// The job.
    pub job: U256,
    /// Its id within the job.
    pub id: U256,
    /// Who submitted it.
    pub annotator: Address,
    /// Block timestamp of the submission.
    pub submitted_at: u64,
    /// Its tasks, in order.
    pub tasks: Vec<u32>,
}

impl Batch {
    /// The batch announced in `receipt`, if any.
    pub fn from_receipt(receipt: &Receipt) -> Option<Self> {
        receipt.logs.iter().find_map(|log| {
            let e = IMarket::LabelsSubmitted::decode_log_data(&log.data).ok()?;
            Some(Self {
                job: e.jobId,
                id: e.batchId,
                annotator: e.annotator,
                submitted_at: e.submittedAt,
                tasks: unpack_tasks(&e.tasks),
            })
        })
    }
}

/// The `approveBatches` call for `batches` (all of one job).
pub fn approve_batches_call(batches: &[Batch]) -> IMarket::approveBatchesCall {
    IMarket::approveBatchesCall {
        jobId: batches.first().map_or(U256::ZERO, |b| b.job),
        batchIds: batches.iter().map(|b| b.id).collect(),
        annotators: batches.iter().map(|b| b.annotator).collect(),
        submittedAts: batches.iter().map(|b| b.submitted_at).collect(),
        taskCounts: batches.iter().map(|b| b.tasks.len() as u32).collect(),
        taskIds: batches
            .iter()
            .flat_map(|b| b.tasks.iter().copied())
            .collect(),
    }
}

/// Task ids from the packed big-endian `uint32` form used in events.
pub fn unpack_tasks(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Terms of a job, with defaults for a categorical ETH job.
#[derive(Clone, Debug)]
pub struct JobSpec {
    /// Storage root of the task manifest.
    pub data_root: B256,
    /// Hash of the job description.
    pub metadata_hash: B256,
    /// Payment token, zero for ETH.
    pub token: Address,
    /// Reward per approved replica.
    pub reward: u128,
    /// Number of tasks.
    pub tasks: u32,
    /// Annotators per task.
    pub replication: u8,
    /// Label schema (0 categorical, 1 bbox, 2 polygon, 3 text).
    pub schema: u8,
    /// Class count.
    pub classes: u16,
    /// Claim duration in seconds (0: 30 minutes).
    pub claim_duration: u32,
    /// Seconds from now until the submission deadline.
    pub deadline_in: u64,
    /// Review window in seconds.
    pub review_window: u32,
    /// Most tasks per claim.
    pub max_claim: u16,
}

impl Default for JobSpec {
    fn default() -> Self {
        Self {
            data_root: B256::repeat_byte(0xd1),
            metadata_hash: B256::repeat_byte(0x3e),
            token: Address::ZERO,
            reward: 1_000_000_000_000_000,
            tasks: 100,
            replication: 1,
            schema: 0,
            classes: 4,
            claim_duration: 0,
            deadline_in: 7 * 24 * 3600,
            review_window: 3 * 24 * 3600,
            max_claim: 64,
        }
    }
}

impl JobSpec {
    /// The escrow the job needs.
    pub fn escrow(&self) -> U256 {
        U256::from(self.reward) * U256::from(self.tasks) * U256::from(self.replication)
    }

    /// The `createJob` call, with the deadline relative to `now`.
    pub fn call(&self, now: u64) -> IMarket::createJobCall {
        IMarket::createJobCall {
            dataRoot: self.data_root,
            metadataHash: self.metadata_hash,
            token: self.token,
            rewardPerTask: self.reward,
            taskCount: self.tasks,
            replication: self.replication,
            schema: self.schema,
            numClasses: self.classes,
            claimDuration: self.claim_duration,
            submitDeadline: now + self.deadline_in,
            reviewWindow: self.review_window,
            maxClaim: self.max_claim,
            consensus: 0,
            minStake: U256::ZERO,
        }
    }
}

impl JobSpec {
    /// The `createJobWithPermit` call, with the deadline relative to `now`.
    pub fn call_with_permit(
        &self,
        now: u64,
        permit: &crate::IRewardToken::permitCall,
    ) -> IMarket::createJobWithPermitCall {
        let c = self.call(now);
        IMarket::createJobWithPermitCall {
            dataRoot: c.dataRoot,
            metadataHash: c.metadataHash,
            token: c.token,
            rewardPerTask: c.rewardPerTask,
            taskCount: c.taskCount,
            replication: c.replication,
            schema: c.schema,
            numClasses: c.numClasses,
            claimDuration: c.claimDuration,
            submitDeadline: c.submitDeadline,
            reviewWindow: c.reviewWindow,
            maxClaim: c.maxClaim,
            consensus: c.consensus,
            minStake: c.minStake,
            permit: crate::permit_blob(permit).into(),
        }
    }
}

/// Sends `call` to `to` on `chain`; errors name the function.
pub fn send_to<C: SolCall>(
    chain: &mut Devnet,
    from: Address,
    to: Address,
    call: &C,
    value: U256,
) -> Result<Receipt> {
    chain
        .send(from, Some(to), value, call.abi_encode(), DEFAULT_TX_GAS)
        .map_err(|e| anyhow!("{}: {e}", C::SIGNATURE))
}

/// Reads `call` from `to` on `chain`; errors name the function.
pub fn read_from<C: SolCall>(chain: &mut Devnet, to: Address, call: &C) -> Result<C::Return> {
    chain
        .read(to, call)
        .map_err(|e| anyhow!("{}: {e}", C::SIGNATURE))
}

/// The RewardToken and the AnnotationMarket deployed on an embedded chain.
pub struct Market {
    /// The chain.
    pub chain: Devnet,
    /// The RewardToken.
    pub token: Address,
    /// The AnnotationMarket.
    pub market: Address,
    /// Admin of both (account 0).
    pub admin: Address,
}

impl Market {
    /// Deploys both programs from `target/stylus` (building them if stale);
    /// with `cached` the market is put into the ArbWasmCache.
    pub fn deploy(cached: bool) -> Result<Self> {
        let (token_wasm, _) = artifacts::program("reward_token")?;
        let (market_wasm, _) = artifacts::program("annotation_market")?;
        Self::deploy_wasm(&token_wasm, &market_wasm, cached)
    }

    /// Deploys the given programs.
    pub fn deploy_wasm(token_wasm: &[u8], market_wasm: &[u8], cached: bool) -> Result<Self> {
        let mut chain = Devnet::new();
        let admin = chain.account(0);
        let args = RewardTokenConstructor::constructorCall {
            name: "labelmint Reward".into(),
            symbol: "LMR".into(),
            decimals: 18,
            cap: U256::ZERO,
            admin,
        }
        .abi_encode();
        let (token, _) = chain
            .deploy_wasm(admin, token_wasm, Some(&args))
            .map_err(|e| anyhow!("deploying the RewardToken: {e}"))?;
        let args = AnnotationMarketConstructor::constructorCall { admin }.abi_encode();
        let (market, _) = chain
            .deploy_wasm(admin, market_wasm, Some(&args))
            .map_err(|e| anyhow!("deploying the AnnotationMarket: {e}"))?;
        if cached {
            chain
                .cache_program(admin, market)
                .map_err(|e| anyhow!("caching the market: {e}"))?;
            chain
                .cache_program(admin, token)
                .map_err(|e| anyhow!("caching the token: {e}"))?;
        }
        Ok(Self {
            chain,
            token,
            market,
            admin,
        })
    }

    /// Sends `call` to the market from `from` with `value`.
    pub fn send<C: SolCall>(&mut self, from: Address, call: &C, value: U256) -> Result<Receipt> {
        send_to(&mut self.chain, from, self.market, call, value)
    }

    /// Sends `call` and fails unless it succeeds.
    pub fn ok<C: SolCall>(&mut self, from: Address, call: &C, value: U256) -> Result<Receipt> {
        succeeded::<C>(self.send(from, call, value)?)
    }

    /// Reads from the market.
    pub fn read<C: SolCall>(&mut self, call: &C) -> Result<C::Return> {
        read_from(&mut self.chain, self.market, call)
    }

    /// Creates a job from `creator`, paying its ETH escrow; returns the id.
    pub fn create_job(&mut self, creator: Address, spec: &JobSpec) -> Result<(U256, Receipt)> {
        let now = self.chain.timestamp();
        let value = if spec.token.is_zero() {
            spec.escrow()
        } else {
            U256::ZERO
        };
        let r = self.ok(creator, &spec.call(now), value)?;
        let id =
            IMarket::createJobCall::abi_decode_returns(&r.output).context("decoding the job id")?;
        Ok((id, r))
    }

    /// `claimTasks`.
    pub fn claim(&mut self, who: Address, job: U256, tasks: &[u32]) -> Result<Receipt> {
        self.send(
            who,
            &IMarket::claimTasksCall {
                jobId: job,
                taskIds: tasks.to_vec(),
            },
            U256::ZERO,
        )
    }

    /// `submitBatch`; the batch when it succeeded.
    pub fn submit(
        &mut self,
        who: Address,
        job: U256,
        tasks: &[u32],
        payload: &[u8],
    ) -> Result<(Receipt, Option<Batch>)> {
        let r = self.send(
            who,
            &IMarket::submitBatchCall {
                jobId: job,
                taskIds: tasks.to_vec(),
                payload: payload.to_vec().into(),
            },
            U256::ZERO,
        )?;
        let batch = Batch::from_receipt(&r);
        Ok((r, batch))
    }

    /// `reviewBatch` from `creator` with per-task `verdicts` (empty: approve all).
    pub fn review(&mut self, creator: Address, batch: &Batch, verdicts: &[u8]) -> Result<Receipt> {
        self.send(
            creator,
            &IMarket::reviewBatchCall {
                jobId: batch.job,
                batchId: batch.id,
                annotator: batch.annotator,
                submittedAt: batch.submitted_at,
                taskIds: batch.tasks.clone(),
                verdicts: verdicts.to_vec().into(),
            },
            U256::ZERO,
        )
    }

    /// `approveBatches` from `who` for batches of one job.
    pub fn approve_batches(&mut self, who: Address, batches: &[Batch]) -> Result<Receipt> {
        let call = approve_batches_call(batches);
        self.send(who, &call, U256::ZERO)
    }

    /// Mints RewardToken to `to` (as the admin).
    pub fn mint(&mut self, to: Address, value: U256) -> Result<()> {
        let r = self
            .chain
            .send_call(
                self.admin,
                self.token,
                &IRewardToken::mintCall { to, value },
            )
            .map_err(|e| anyhow!("mint: {e}"))?;
        if !r.success {
            bail!("mint reverted");
        }
        Ok(())
    }
}

/// `r` if it succeeded, else an error naming `C` and the revert data.
pub fn succeeded<C: SolCall>(r: Receipt) -> Result<Receipt> {
    if !r.success {
        bail!(
            "{} reverted: 0x{}",
            C::SIGNATURE,
            alloy_primitives::hex::encode(&r.output)
        );
    }
    Ok(r)
}

/// One transaction of a lifecycle run.
#[derive(Clone, Debug)]
pub struct Step {
    /// What it did.
    pub label: String,
    /// Its gasUsed.
    pub gas: u64,
}

/// Gas of a whole job lifecycle.
#[derive(Clone, Debug)]
pub struct Lifecycle {
    /// Tasks in the job.
    pub tasks: u32,
    /// Annotators per task.
    pub replication: u8,
    /// Tasks per claim, submission and review.
    pub batch: u32,
    /// Whether the market was in the ArbWasmCache.
    pub cached: bool,
    /// Whether annotators claimed before submitting.
    pub claims: bool,
    /// Whether the creator approved everything in one `approveBatches`
    /// (otherwise one `reviewBatch` per batch).
    pub approve_at_end: bool,
    /// Every transaction.
    pub steps: Vec<Step>,
}

impl Lifecycle {
    /// Sum of gasUsed.
    pub fn total(&self) -> u64 {
        self.steps.iter().map(|s| s.gas).sum()
    }

    /// Approved replicas.
    pub fn approved(&self) -> u64 {
        u64::from(self.tasks) * u64::from(self.replication)
    }

    /// Gas per approved replica, all transactions included.
    pub fn per_task(&self) -> u64 {
        self.total() / self.approved().max(1)
    }

    /// Gas of the steps whose label starts with `kind`.
    pub fn of_kind(&self, kind: &str) -> u64 {
        self.steps
            .iter()
            .filter(|s| s.label.starts_with(kind))
            .map(|s| s.gas)
            .sum()
    }
}

/// Runs a categorical ETH job of `tasks` tasks with `replication` annotators
/// per task through create → claims (when `claims`; otherwise submissions
/// take free tasks directly) → submissions → creator approvals (each approval
/// pays the annotator in the same transaction), `batch` tasks per call, and
/// records every transaction's gas. With `approve_at_end` the creator
/// approves all batches with `approveBatches` calls of up to 32 batches
/// instead of one `reviewBatch` per batch.
pub fn lifecycle(
    tasks: u32,
    replication: u8,
    batch: u32,
    cached: bool,
    claims: bool,
    approve_at_end: bool,
) -> Result<Lifecycle> {
    let mut m = Market::deploy(cached)?;
    let creator = m.chain.account(1);
    // A first job so the benchmark measures a market in use (the job counter
    // slot is already non-zero), as on a live deployment.
    let warmup = JobSpec {
        tasks: 1,
        ..JobSpec::default()
    };
    m.create_job(creator, &warmup)?;
    let spec = JobSpec {
        tasks,
        replication,
        max_claim: u16::try_from(batch).unwrap_or(64),
        ..JobSpec::default()
    };
    let mut steps = Vec::new();
    let (job, r) = m.create_job(creator, &spec)?;
    steps.push(Step {
        label: "createJob".into(),
        gas: r.gas_used,
    });
    let all: Vec<u32> = (0..tasks).collect();
    let mut pending: Vec<Batch> = Vec::new();
    for annotator_index in 0..replication {
        let annotator = m.chain.account(2 + usize::from(annotator_index));
        for chunk in all.chunks(batch as usize) {
            if claims {
                let r = m.claim(annotator, job, chunk)?;
                if !r.success {
                    bail!("claim reverted: {r:?}");
                }
                steps.push(Step {
                    label: format!("claimTasks({})", chunk.len()),
                    gas: r.gas_used,
                });
            }
            let labels: Vec<u8> = chunk.iter().map(|t| (t % 4) as u8).collect();
            let (r, b) = m.submit(annotator, job, chunk, &labels)?;
            let b = b.ok_or_else(|| anyhow!("submit reverted: {r:?}"))?;
            steps.push(Step {
                label: format!("submitBatch({})", chunk.len()),
                gas: r.gas_used,
            });
            if approve_at_end {
                pending.push(b);
            } else {
                let r = m.review(creator, &b, &[])?;
                if !r.success {
                    bail!("review reverted: {r:?}");
                }
                steps.push(Step {
                    label: format!("reviewBatch({})", chunk.len()),
                    gas: r.gas_used,
                });
            }
        }
    }
    for group in pending.chunks(32) {
        let r = m.approve_batches(creator, group)?;
        if !r.success {
            bail!("approveBatches reverted: {r:?}");
        }
        steps.push(Step {
            label: format!("approveBatches({})", group.len()),
            gas: r.gas_used,
        });
    }
    let status = m.read(&IMarket::getJobCall { jobId: job })?.status;
    if status != 2 {
        bail!("job did not complete (status {status})");
    }
    Ok(Lifecycle {
        tasks,
        replication,
        batch,
        cached,
        claims,
        approve_at_end,
        steps,
    })
}

/// Adds one entry per AnnotationMarket function (and notable paths) to
/// `snapshot`: `AnnotationMarket::function(scenario)`, gasUsed of the whole
/// transaction, the program not cached (every call pays the full entry cost)
/// unless the scenario says `cached`.
#[allow(
    clippy::too_many_lines,
    clippy::many_single_char_names,
    clippy::similar_names
)]
pub fn measure_gas(snapshot: &mut std::collections::BTreeMap<String, u64>) -> Result<()> {
    let (token_wasm, _) = artifacts::program("reward_token")?;
    let (market_wasm, _) = artifacts::program("annotation_market")?;
    let mut put = |name: &str, r: &Receipt, success: bool| -> Result<()> {
        if r.success != success {
            bail!(
                "{name}: unexpected outcome: 0x{}",
                alloy_primitives::hex::encode(&r.output)
            );
        }
        snapshot.insert(format!("AnnotationMarket::{name}"), r.gas_used);
        Ok(())
    };

    // Deployment through the StylusDeployer, as `cargo stylus deploy` does.
    {
        let mut chain = Devnet::new();
        let admin = chain.account(0);
        let args = AnnotationMarketConstructor::constructorCall { admin }.abi_encode();
        let unit = U256::from(10u64).pow(U256::from(18));
        let (_, r) = chain
            .deploy_via_deployer(admin, &market_wasm, &args, U256::ZERO, B256::ZERO, unit)
            .map_err(|e| anyhow!("deploy: {e}"))?;
        put("deploy(StylusDeployer, first activation)", &r, true)?;
    }

    let mut m = Market::deploy_wasm(&token_wasm, &market_wasm, false)?;
    let creator = m.chain.account(1);
    let (a, b, c) = (m.chain.account(2), m.chain.account(3), m.chain.account(4));
    let spec = JobSpec::default();
    let (_, r) = m.create_job(creator, &spec)?;
    put("createJob(ETH, first job)", &r, true)?;
    let (job, r) = m.create_job(creator, &spec)?;
    put("createJob(ETH)", &r, true)?;
    let now = m.chain.timestamp();
    let r = m.send(creator, &spec.call(now), U256::from(1))?;
    put("createJob(reverts: wrong escrow)", &r, false)?;

    // Token jobs: transferFrom, and permit + transferFrom in one call.
    let token_spec = JobSpec {
        token: m.token,
        ..JobSpec::default()
    };
    m.mint(creator, token_spec.escrow() * U256::from(2))?;
    let approve = IRewardToken::approveCall {
        spender: m.market,
        value: token_spec.escrow(),
    };
    let r = m
        .chain
        .send_call(creator, m.token, &approve)
        .map_err(|e| anyhow!("approve: {e}"))?;
    if !r.success {
        bail!("approve reverted");
    }
    let (_, r) = m.create_job(creator, &token_spec)?;
    put("createJob(RewardToken, transferFrom)", &r, true)?;
    let key = m.chain.accounts()[1].key;
    let deadline = U256::from(now + 3600);
    let permit = crate::sign_permit(
        &key,
        m.token,
        m.chain.chain_id(),
        crate::Permit {
            owner: creator,
            spender: m.market,
            value: token_spec.escrow(),
            nonce: U256::from(0),
            deadline,
        },
    )?;
    let with_permit = token_spec.call_with_permit(now, &permit);
    let r = m.send(creator, &with_permit, U256::ZERO)?;
    put("createJobWithPermit(RewardToken)", &r, true)?;

    // Claims and submissions.
    let tasks = |from: u32, n: u32| -> Vec<u32> { (from..from + n).collect() };
    let r = m.claim(a, job, &tasks(0, 1))?;
    put("claimTasks(1 task, first claim)", &r, true)?;
    let (r, b1) = m.submit(a, job, &tasks(0, 1), &[1])?;
    put("submitBatch(1 claimed task)", &r, true)?;
    let r = m.claim(a, job, &tasks(1, 32))?;
    put("claimTasks(32 tasks)", &r, true)?;
    let r = m.claim(b, job, &tasks(1, 1))?;
    put("claimTasks(reverts: task full)", &r, false)?;
    let (r, b32) = m.submit(a, job, &tasks(1, 32), &[2; 32])?;
    put("submitBatch(32 claimed tasks)", &r, true)?;
    let (r, direct) = m.submit(b, job, &tasks(33, 32), &[3; 32])?;
    put("submitBatch(32 free tasks, direct)", &r, true)?;
    let sig_tasks = tasks(65, 32);
    let batch = SubmitBatch {
        annotator: c,
        jobId: job,
        taskIds: sig_tasks.clone(),
        payload: vec![1u8; 32].into(),
        nonce: U256::ZERO,
        deadline,
    };
    let c_key = m.chain.accounts()[4].key;
    let signature = sign_batch(&c_key, m.market, m.chain.chain_id(), &batch)?;
    let relayed = IMarket::submitBatchBySigCall {
        annotator: c,
        jobId: job,
        taskIds: sig_tasks,
        payload: vec![1u8; 32].into(),
        deadline,
        signature,
    };
    let relayer = m.chain.account(9);
    let r = m.send(relayer, &relayed, U256::ZERO)?;
    put("submitBatchBySig(32 tasks, relayed)", &r, true)?;
    let signed = Batch::from_receipt(&r).ok_or_else(|| anyhow!("no batch"))?;

    // Reviews and payouts.
    let (b1, b32, direct) = (
        b1.ok_or_else(|| anyhow!("no batch"))?,
        b32.ok_or_else(|| anyhow!("no batch"))?,
        direct.ok_or_else(|| anyhow!("no batch"))?,
    );
    let r = m.review(creator, &b1, &[])?;
    put("reviewBatch(1 task, ETH paid)", &r, true)?;
    let r = m.review(creator, &b32, &[])?;
    put("reviewBatch(32 tasks, ETH paid)", &r, true)?;
    let mut verdicts = vec![0u8; 32];
    verdicts[0] = 1;
    let r = m.review(creator, &direct, &verdicts)?;
    put("reviewBatch(32 tasks, 1 rejected)", &r, true)?;
    let r = m.review(creator, &direct, &[])?;
    put("reviewBatch(reverts: unknown batch)", &r, false)?;
    m.chain.warp(spec.review_window.into());
    m.chain.warp(1);
    let r = m.approve_batches(relayer, std::slice::from_ref(&signed))?;
    put(
        "approveBatches(1 batch of 32, after window, by anyone)",
        &r,
        true,
    )?;

    // approveBatches of several batches by one annotator (fresh job).
    let (job2, _) = m.create_job(creator, &spec)?;
    let mut group = Vec::new();
    for i in 0..3 {
        let (r, bt) = m.submit(a, job2, &tasks(i * 32, 32), &[0; 32])?;
        if !r.success {
            bail!("submit reverted");
        }
        group.extend(bt);
    }
    let r = m.approve_batches(creator, &group)?;
    put("approveBatches(3 batches of 32, one annotator)", &r, true)?;

    // Claim release, cancellation, withdrawal.
    let r = m.claim(b, job2, &tasks(96, 4))?;
    put("claimTasks(4 tasks)", &r, true)?;
    m.chain.warp(1801);
    let release = IMarket::releaseClaimCall {
        jobId: job2,
        annotator: b,
        taskIds: tasks(96, 4),
    };
    let r = m.send(c, &release, U256::ZERO)?;
    put("releaseClaim(4 tasks, expired, by anyone)", &r, true)?;
    let r = m.send(creator, &IMarket::cancelJobCall { jobId: job2 }, U256::ZERO)?;
    put("cancelJob(refund 4 open replicas)", &r, true)?;
    let r = m.send(
        a,
        &IMarket::withdrawCall {
            token: Address::ZERO,
            to: a,
        },
        U256::ZERO,
    )?;
    put("withdraw(reverts: nothing to withdraw)", &r, false)?;

    // Admin.
    let admin = m.admin;
    let r = m.send(admin, &IMarket::pauseCall {}, U256::ZERO)?;
    put("pause", &r, true)?;
    let r = m.send(admin, &IMarket::unpauseCall {}, U256::ZERO)?;
    put("unpause", &r, true)?;
    let r = m.send(
        admin,
        &IMarket::setPauserCall {
            account: b,
            enabled: true,
        },
        U256::ZERO,
    )?;
    put("setPauser", &r, true)?;
    let r = m.send(
        admin,
        &IMarket::transferAdminCall { newAdmin: b },
        U256::ZERO,
    )?;
    put("transferAdmin", &r, true)?;
    let r = m.send(b, &IMarket::acceptAdminCall {}, U256::ZERO)?;
    put("acceptAdmin", &r, true)?;
    let r = m.send(a, &IMarket::getJobCall { jobId: job }, U256::ZERO)?;
    put("getJob(as transaction)", &r, true)?;

    // The same hot paths with the program in the ArbWasmCache.
    let mut m = Market::deploy_wasm(&token_wasm, &market_wasm, true)?;
    m.create_job(creator, &spec)?;
    let (job, r) = m.create_job(creator, &spec)?;
    put("createJob(ETH, cached)", &r, true)?;
    let (r, bt) = m.submit(a, job, &tasks(0, 32), &[1; 32])?;
    put(
        "submitBatch(32 free tasks, direct, first work on the job, cached)",
        &r,
        true,
    )?;
    let r = m.review(creator, &bt.ok_or_else(|| anyhow!("no batch"))?, &[])?;
    put("reviewBatch(32 tasks, ETH paid, cached)", &r, true)?;
    Ok(())
}

/// The lifecycle benchmark (`labelmint bench-market`): a 100-task
/// categorical ETH job for batches of 1, 10 and 32 and k = 1 and 3, in three
/// flows, with the market uncached and in the ArbWasmCache. Returns a
/// Markdown table.
pub fn bench_table() -> Result<String> {
    use std::fmt::Write as _;
    let mut out = String::from(
        "| flow | k | batch | txs | total gas (uncached) | per approved task (uncached) | total gas (cached) | per approved task (cached) |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let flows = [
        ("claim → submit → reviewBatch each", true, false),
        ("claim → submit → one approveBatches", true, true),
        ("direct submit → one approveBatches", false, true),
    ];
    for (name, claims, at_end) in flows {
        for k in [1u8, 3] {
            for batch in [1u32, 10, 32] {
                let cold = lifecycle(100, k, batch, false, claims, at_end)?;
                let warm = lifecycle(100, k, batch, true, claims, at_end)?;
                let _ = writeln!(
                    out,
                    "| {name} | {k} | {batch} | {} | {} | {} | {} | {} |",
                    cold.steps.len(),
                    cold.total(),
                    cold.per_task(),
                    warm.total(),
                    warm.per_task()
                );
            }
        }
    }
    Ok(out)
}
