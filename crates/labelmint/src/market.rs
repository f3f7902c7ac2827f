//! Driving the AnnotationMarket on the embedded chain: deployment next to the
//! RewardToken, typed calls and the lifecycle benchmark
//! (`labelmint bench-market`). The bindings, constants, call builders and
//! EIP-712 signatures are [`labelmint_client::market`], re-exported here.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolConstructor};
use anyhow::{anyhow, bail, Context, Result};
use labelmint_devnet::{chain::DEFAULT_TX_GAS, Devnet, Receipt};

use crate::{artifacts, IRewardToken, RewardTokenConstructor};

pub use labelmint_client::market::*;

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

/// The market's two programs, processed for the chain.
#[derive(Clone, Debug)]
pub struct MarketWasm {
    /// The AnnotationMarket (hot paths).
    pub market: Vec<u8>,
    /// Its extension (cold paths, run by `DELEGATECALL`).
    pub extension: Vec<u8>,
}

impl MarketWasm {
    /// Both programs from `target/stylus` (building them if stale).
    pub fn load() -> Result<Self> {
        Ok(Self {
            market: artifacts::program("annotation_market")?.0,
            extension: artifacts::program("annotation_market_ext")?.0,
        })
    }

    /// Deploys the extension, then the market pointing at it, from `admin`;
    /// returns the market's address and the extension's.
    pub fn deploy(&self, chain: &mut Devnet, admin: Address) -> Result<(Address, Address)> {
        let (extension, _) = chain
            .deploy_wasm(admin, &self.extension, None)
            .map_err(|e| anyhow!("deploying the AnnotationMarket extension: {e}"))?;
        let args = AnnotationMarketConstructor::constructorCall { admin, extension }.abi_encode();
        let (market, _) = chain
            .deploy_wasm(admin, &self.market, Some(&args))
            .map_err(|e| anyhow!("deploying the AnnotationMarket: {e}"))?;
        Ok((market, extension))
    }
}

/// The RewardToken and the AnnotationMarket deployed on an embedded chain.
pub struct Market {
    /// The chain.
    pub chain: Devnet,
    /// The RewardToken.
    pub token: Address,
    /// The AnnotationMarket.
    pub market: Address,
    /// The market's extension program.
    pub extension: Address,
    /// Admin of both (account 0).
    pub admin: Address,
}

impl Market {
    /// Deploys the token and the market from `target/stylus` (building them
    /// if stale), and registers the default arbiter terms (ids 1 for ETH, 2
    /// for the RewardToken); with `cached` the programs are put into the
    /// ArbWasmCache.
    pub fn deploy(cached: bool) -> Result<Self> {
        let (token_wasm, _) = artifacts::program("reward_token")?;
        Self::deploy_wasm(&token_wasm, &MarketWasm::load()?, cached)
    }

    /// Deploys the given programs.
    pub fn deploy_wasm(token_wasm: &[u8], market_wasm: &MarketWasm, cached: bool) -> Result<Self> {
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
        let (market, extension) = market_wasm.deploy(&mut chain, admin)?;
        for terms_token in [Address::ZERO, token] {
            let r = send_to(
                &mut chain,
                DEFAULT_ARBITER,
                market,
                &default_terms(terms_token),
                U256::ZERO,
            )?;
            succeeded::<IMarket::registerArbiterTermsCall>(r)?;
        }
        if cached {
            for program in [market, extension, token] {
                chain
                    .cache_program(admin, program)
                    .map_err(|e| anyhow!("caching {program}: {e}"))?;
            }
        }
        Ok(Self {
            chain,
            token,
            market,
            extension,
            admin,
        })
    }

    /// Block time of the last mined transaction.
    pub fn mined_at(&self) -> u64 {
        self.chain.blocks().last().map_or(0, |b| b.timestamp)
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

    /// Creates a job from `creator` (`createWeightedJob` when it has
    /// difficulty classes), paying its ETH escrow; returns the id.
    pub fn create_job(&mut self, creator: Address, spec: &JobSpec) -> Result<(U256, Receipt)> {
        let now = self.chain.timestamp();
        let value = if spec.token.is_zero() {
            spec.escrow()
        } else {
            U256::ZERO
        };
        let r = if spec.difficulty.is_empty() {
            self.ok(creator, &spec.call(now), value)?
        } else {
            self.ok(creator, &spec.weighted_call(now), value)?
        };
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
        let batch = Batch::from_logs(&r.logs);
        Ok((r, batch))
    }

    /// The ETH a creator deposits with a review that rejects in `rejecting`
    /// batches of an ETH job (the arbiter's fee each; tokens are pulled).
    pub fn review_deposit(&mut self, job: U256, rejecting: usize) -> Result<U256> {
        let info = self.read(&IMarket::getJobCall { jobId: job })?;
        if !info.token.is_zero() || rejecting == 0 {
            return Ok(U256::ZERO);
        }
        let terms = self.read(&IMarket::disputeTermsCall { jobId: job })?;
        Ok(U256::from(terms.arbiterFee) * U256::from(rejecting))
    }

    /// `reviewBatches` of one batch from `creator` with per-task `verdicts`
    /// (empty: approve all), depositing the arbiter's fee when it rejects.
    pub fn review(&mut self, creator: Address, batch: &Batch, verdicts: &[u8]) -> Result<Receipt> {
        let rejecting = usize::from(verdicts.iter().any(|&v| v != 0));
        let value = self.review_deposit(batch.job, rejecting)?;
        let call = review_batches_call(std::slice::from_ref(batch), verdicts);
        self.send(creator, &call, value)
    }

    /// `review` that must reject something: the rejection to dispute or settle.
    pub fn reject(
        &mut self,
        creator: Address,
        batch: &Batch,
        verdicts: &[u8],
    ) -> Result<(Receipt, Rejection)> {
        let r = self.review(creator, batch, verdicts)?;
        let r = succeeded::<IMarket::reviewBatchesCall>(r)?;
        let rejection =
            Rejection::from_review(batch, &r.logs).ok_or_else(|| anyhow!("no rejection"))?;
        Ok((r, rejection))
    }

    /// `reviewBatches` approving whole batches of one job, from `who`.
    pub fn approve_batches(&mut self, who: Address, batches: &[Batch]) -> Result<Receipt> {
        let call = review_batches_call(batches, &[]);
        self.send(who, &call, U256::ZERO)
    }

    /// `disputeRejection` by its annotator, bonding the job's bond (ETH jobs).
    pub fn dispute(&mut self, rejection: &Rejection) -> Result<(Receipt, Option<Rejection>)> {
        let info = self.read(&IMarket::getJobCall {
            jobId: rejection.job,
        })?;
        let value = if info.token.is_zero() {
            U256::from(
                self.read(&IMarket::disputeTermsCall {
                    jobId: rejection.job,
                })?
                .disputeBond,
            )
        } else {
            U256::ZERO
        };
        let r = self.send(rejection.annotator, &rejection.dispute_call(), value)?;
        let disputed = rejection.disputed(&r.logs);
        Ok((r, disputed))
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
    /// Annotators sharing the tasks.
    pub annotators: u8,
    /// Tasks per claim, submission and review.
    pub batch: u32,
    /// Whether the programs were in the ArbWasmCache.
    pub cached: bool,
    /// Whether annotators claimed before submitting.
    pub claims: bool,
    /// Whether the creator reviewed everything at the end in
    /// `reviewBatches` calls of up to 32 batches (otherwise one call per
    /// batch right after its submission).
    pub review_at_end: bool,
    /// Every transaction.
    pub steps: Vec<Step>,
}

impl Lifecycle {
    /// Sum of gasUsed.
    pub fn total(&self) -> u64 {
        self.steps.iter().map(|s| s.gas).sum()
    }

    /// Gas per approved task, all transactions included.
    pub fn per_task(&self) -> u64 {
        self.total() / u64::from(self.tasks).max(1)
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

/// Runs a categorical ETH job of `tasks` tasks shared by `annotators`
/// annotators (round robin by batch) through create → claims (when `claims`;
/// otherwise submissions take free tasks directly) → submissions → creator
/// approvals (each approval pays the annotator in the same transaction),
/// `batch` tasks per call, and records every transaction's gas. With
/// `review_at_end` the creator approves all batches with `reviewBatches`
/// calls of up to 32 batches instead of one call per batch.
pub fn lifecycle(
    tasks: u32,
    annotators: u8,
    batch: u32,
    cached: bool,
    claims: bool,
    review_at_end: bool,
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
        max_held: u16::try_from(tasks).unwrap_or(u16::MAX),
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
    for (i, chunk) in all.chunks(batch as usize).enumerate() {
        let annotator = m.chain.account(2 + i % usize::from(annotators.max(1)));
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
        if review_at_end {
            pending.push(b);
        } else {
            let r = m.review(creator, &b, &[])?;
            if !r.success {
                bail!("review reverted: {r:?}");
            }
            steps.push(Step {
                label: format!("reviewBatches(1 of {})", chunk.len()),
                gas: r.gas_used,
            });
        }
    }
    // One annotator's batches side by side are paid with one transfer.
    pending.sort_by_key(|b| b.annotator);
    for group in pending.chunks(32) {
        let r = m.approve_batches(creator, group)?;
        if !r.success {
            bail!("reviewBatches reverted: {r:?}");
        }
        steps.push(Step {
            label: format!("reviewBatches({})", group.len()),
            gas: r.gas_used,
        });
    }
    let status = m.read(&IMarket::getJobCall { jobId: job })?.status;
    if status != 2 {
        bail!("job did not complete (status {status})");
    }
    Ok(Lifecycle {
        tasks,
        annotators,
        batch,
        cached,
        claims,
        review_at_end,
        steps,
    })
}

/// Adds one entry per AnnotationMarket function (and notable paths) to
/// `snapshot`: `AnnotationMarket::function(scenario)`, gasUsed of the whole
/// transaction, the programs not cached (every call pays the full entry
/// cost) unless the scenario says `cached`.
#[allow(
    clippy::too_many_lines,
    clippy::many_single_char_names,
    clippy::similar_names
)]
pub fn measure_gas(snapshot: &mut std::collections::BTreeMap<String, u64>) -> Result<()> {
    let (token_wasm, _) = artifacts::program("reward_token")?;
    let wasm = MarketWasm::load()?;
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
        let unit = U256::from(10u64).pow(U256::from(18));
        let (extension, r) = chain
            .deploy_via_deployer_with(admin, &wasm.extension, &[], U256::ZERO, B256::ZERO, unit)
            .map_err(|e| anyhow!("deploy: {e}"))?;
        put(
            "deploy(extension, StylusDeployer, first activation)",
            &r,
            true,
        )?;
        let args = AnnotationMarketConstructor::constructorCall { admin, extension }.abi_encode();
        let (_, r) = chain
            .deploy_via_deployer(admin, &wasm.market, &args, U256::ZERO, B256::ZERO, unit)
            .map_err(|e| anyhow!("deploy: {e}"))?;
        put("deploy(StylusDeployer, first activation)", &r, true)?;
    }

    let mut m = Market::deploy_wasm(&token_wasm, &wasm, false)?;
    let creator = m.chain.account(1);
    let (a, b, c) = (m.chain.account(2), m.chain.account(3), m.chain.account(4));
    let r = m.send(c, &default_terms(Address::ZERO), U256::ZERO)?;
    put("registerArbiterTerms(ETH)", &r, true)?;
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
    put("claimTasks(reverts: task claimed)", &r, false)?;
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
        nonce: U256::from(7),
        deadline,
    };
    let c_key = m.chain.accounts()[4].key;
    let signature = sign_batch(&c_key, m.market, m.chain.chain_id(), &batch)?;
    let relayed = IMarket::submitBatchBySigCall {
        annotator: c,
        jobId: job,
        taskIds: sig_tasks,
        payload: vec![1u8; 32].into(),
        nonce: U256::from(7),
        deadline,
        signature,
    };
    let relayer = m.chain.account(9);
    let r = m.send(relayer, &relayed, U256::ZERO)?;
    put("submitBatchBySig(32 tasks, relayed)", &r, true)?;
    let signed = Batch::from_logs(&r.logs).ok_or_else(|| anyhow!("no batch"))?;

    // Reviews and payouts.
    let (b1, b32, direct) = (
        b1.ok_or_else(|| anyhow!("no batch"))?,
        b32.ok_or_else(|| anyhow!("no batch"))?,
        direct.ok_or_else(|| anyhow!("no batch"))?,
    );
    let r = m.review(creator, &b1, &[])?;
    put("reviewBatches(1 batch of 1 task, ETH paid)", &r, true)?;
    let r = m.review(creator, &b32, &[])?;
    put("reviewBatches(1 batch of 32 tasks, ETH paid)", &r, true)?;
    let mut verdicts = vec![0u8; 32];
    verdicts[0] = 1;
    let (r, rejection) = m.reject(creator, &direct, &verdicts)?;
    put(
        "reviewBatches(1 batch of 32 tasks, 1 rejected, fee deposited)",
        &r,
        true,
    )?;
    let r = m.review(creator, &b32, &[])?;
    put("reviewBatches(settled batch skipped)", &r, true)?;
    let (r, disputed) = m.dispute(&rejection)?;
    put("disputeRejection(1 task, bond in ETH)", &r, true)?;
    let disputed = disputed.ok_or_else(|| anyhow!("no dispute"))?;
    let arbiter = DEFAULT_ARBITER;
    m.chain
        .set_balance(arbiter, U256::from(10u64).pow(U256::from(18)));
    let r = m.send(arbiter, &disputed.rule_call(true), U256::ZERO)?;
    put("ruleDispute(1 task, overturned: paid)", &r, true)?;
    m.chain.warp(spec.review_window.into());
    m.chain.warp(1);
    let r = m.approve_batches(relayer, std::slice::from_ref(&signed))?;
    put(
        "reviewBatches(1 batch of 32, after window, by anyone)",
        &r,
        true,
    )?;

    // Several batches of one annotator, and a rejection left undisputed.
    let (job2, _) = m.create_job(creator, &spec)?;
    let mut group = Vec::new();
    for i in 0..3 {
        let (r, bt) = m.submit(a, job2, &tasks(i * 32, 32), &[0; 32])?;
        if !r.success {
            bail!("submit reverted");
        }
        group.extend(bt);
    }
    let r = m.approve_batches(creator, &group[..2])?;
    put("reviewBatches(2 batches of 32, one annotator)", &r, true)?;
    let (r, rejection) = m.reject(creator, &group[2], &[1; 32])?;
    put(
        "reviewBatches(1 batch of 32 tasks, all rejected, fee deposited)",
        &r,
        true,
    )?;
    m.chain.warp(u64::from(DEFAULT_DISPUTE_WINDOW) + 1);
    let r = m.send(c, &rejection.settle_call(), U256::ZERO)?;
    put(
        "settleRejections(1 of 32 tasks, undisputed: reopened)",
        &r,
        true,
    )?;

    // Claim release, cancellation, withdrawal, nonces.
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
    put("cancelJob(refund open tasks)", &r, true)?;
    let r = m.send(
        a,
        &IMarket::withdrawCall {
            token: Address::ZERO,
            to: a,
        },
        U256::ZERO,
    )?;
    put("withdraw(reverts: nothing to withdraw)", &r, false)?;
    let r = m.send(
        a,
        &IMarket::invalidateNoncesCall {
            wordPos: U256::ZERO,
            mask: U256::from(0xff),
        },
        U256::ZERO,
    )?;
    put("invalidateNonces(8 nonces)", &r, true)?;

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

    // The same hot paths with the programs in the ArbWasmCache.
    let mut m = Market::deploy_wasm(&token_wasm, &wasm, true)?;
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
    put(
        "reviewBatches(1 batch of 32 tasks, ETH paid, cached)",
        &r,
        true,
    )?;

    // Difficulty weights: the same flow on an unweighted job and on one of
    // 50 easy tasks and 50 of weight 3, the measured batch spanning both.
    let mut m = Market::deploy_wasm(&token_wasm, &wasm, false)?;
    m.create_job(creator, &spec)?;
    let weighted = JobSpec {
        difficulty: vec![(50, 1), (100, 3)],
        ..spec.clone()
    };
    for (kind, spec) in [("unweighted", &spec), ("weighted 1/3", &weighted)] {
        let (job, r) = m.create_job(creator, spec)?;
        let create = if spec.difficulty.is_empty() {
            "createJob"
        } else {
            "createWeightedJob"
        };
        put(&format!("{create}(ETH, {kind})"), &r, true)?;
        m.submit(a, job, &tasks(0, 32), &[1; 32])?;
        let (r, bt) = m.submit(b, job, &tasks(34, 32), &[1; 32])?;
        put(
            &format!("submitBatch(32 free tasks, direct, {kind})"),
            &r,
            true,
        )?;
        let r = m.review(creator, &bt.ok_or_else(|| anyhow!("no batch"))?, &[])?;
        put(
            &format!("reviewBatches(1 batch of 32 tasks, ETH paid, {kind})"),
            &r,
            true,
        )?;
    }
    Ok(())
}

/// The lifecycle benchmark (`labelmint bench-market`): a 100-task
/// categorical ETH job for batches of 1, 10 and 32, by one annotator and by
/// three, in three flows, with the programs uncached and in the
/// ArbWasmCache. Returns a Markdown table.
pub fn bench_table() -> Result<String> {
    use std::fmt::Write as _;
    let mut out = String::from(
        "| flow | annotators | batch | txs | total gas (uncached) | per approved task (uncached) | total gas (cached) | per approved task (cached) |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let flows = [
        ("claim → submit → review each", true, false),
        ("claim → submit → review at end", true, true),
        ("direct submit → review at end", false, true),
    ];
    for (name, claims, at_end) in flows {
        for annotators in [1u8, 3] {
            for batch in [1u32, 10, 32] {
                let cold = lifecycle(100, annotators, batch, false, claims, at_end)?;
                let warm = lifecycle(100, annotators, batch, true, claims, at_end)?;
                let _ = writeln!(
                    out,
                    "| {name} | {annotators} | {batch} | {} | {} | {} | {} | {} |",
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

/// What it costs to hold a job's tasks against honest annotators, and to
/// undo it (`labelmint bench-attacks`; `lock_attack_costs`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockCosts {
    /// Tasks in the job.
    pub tasks: u32,
    /// The job's `maxHeld`.
    pub max_held: u16,
    /// Addresses the attacker needs (one per `maxHeld` tasks).
    pub addresses: u32,
    /// Gas of the attacker's garbage submissions holding every task.
    pub attacker_submit: u64,
    /// Gas of the creator's bulk rejection of all of them plus the bulk
    /// settlement after the dispute window, which reopens the tasks and
    /// returns the fee deposits.
    pub creator_undo: u64,
    /// Of `creator_undo`, the settlements.
    pub creator_settle: u64,
    /// Gas of the attacker's claims holding every task for one claim
    /// duration.
    pub attacker_claims: u64,
    /// Gas anybody had to spend releasing expired claims before an honest
    /// annotator could claim (lazy eviction: none).
    pub claim_release: u64,
}

/// Runs both lock attacks on a job of `tasks` tasks with `max_held`: a
/// garbage flood by direct submissions (one address per `max_held` tasks,
/// batches of up to 64) and the creator's undo (one `reviewBatches` and one
/// `settleRejections` per 32 batches); and
/// a claim flood, after whose expiry an honest annotator claims, releasing
/// claims one by one only while its claim fails.
pub fn lock_attack_costs(tasks: u32, max_held: u16) -> Result<LockCosts> {
    let mut m = Market::deploy(false)?;
    let creator = m.chain.account(1);
    let spec = JobSpec {
        tasks,
        max_held,
        deadline_in: 30 * 24 * 3600,
        ..JobSpec::default()
    };
    let (job, _) = m.create_job(creator, &spec)?;
    let mut costs = LockCosts {
        tasks,
        max_held,
        ..LockCosts::default()
    };
    let all: Vec<u32> = (0..tasks).collect();
    let per = usize::from(max_held.max(1));
    let mut batches = Vec::new();
    for (i, held) in all.chunks(per).enumerate() {
        let attacker = Address::left_padding_from(&(0xa77a_0000u32 + i as u32).to_be_bytes());
        costs.addresses += 1;
        for chunk in held.chunks(64) {
            let (r, b) = m.submit(attacker, job, chunk, &vec![0; chunk.len()])?;
            let b = b.ok_or_else(|| anyhow!("attack submission reverted: {r:?}"))?;
            costs.attacker_submit += r.gas_used;
            batches.push(b);
        }
    }
    let fee = U256::from(DEFAULT_ARBITER_FEE);
    let mut rejections = Vec::new();
    for group in batches.chunks(32) {
        let verdicts: Vec<u8> = group
            .iter()
            .flat_map(|b| std::iter::repeat_n(1u8, b.tasks.len()))
            .collect();
        let call = review_batches_call(group, &verdicts);
        let r = m.send(creator, &call, fee * U256::from(group.len()))?;
        let r = succeeded::<IMarket::reviewBatchesCall>(r)?;
        costs.creator_undo += r.gas_used;
        rejections.extend(
            group
                .iter()
                .filter_map(|b| Rejection::from_review(b, &r.logs)),
        );
    }
    m.chain.warp(u64::from(DEFAULT_DISPUTE_WINDOW) + 1);
    for group in rejections.chunks(32) {
        let r = m.send(creator, &settle_rejections_call(group), U256::ZERO)?;
        let r = succeeded::<IMarket::settleRejectionsCall>(r)?;
        costs.creator_settle += r.gas_used;
    }
    costs.creator_undo += costs.creator_settle;

    // The claim flood on the reopened tasks: one claim of up to 64 per address.
    let mut holders = Vec::new();
    for (i, chunk) in all.chunks(per.min(64)).enumerate() {
        let attacker = Address::left_padding_from(&(0xc1a1_0000u32 + i as u32).to_be_bytes());
        let r = m.claim(attacker, job, chunk)?;
        let r = succeeded::<IMarket::claimTasksCall>(r)?;
        costs.attacker_claims += r.gas_used;
        holders.push((attacker, chunk.to_vec()));
    }
    m.chain.warp(1801);
    let honest = m.chain.account(5);
    let first: Vec<u32> = all.iter().copied().take(per.min(64)).collect();
    for (holder, held) in &holders {
        if m.claim(honest, job, &first)?.success {
            break;
        }
        let release = IMarket::releaseClaimCall {
            jobId: job,
            annotator: *holder,
            taskIds: held.clone(),
        };
        let r = m.send(honest, &release, U256::ZERO)?;
        costs.claim_release += r.gas_used;
    }
    Ok(costs)
}
