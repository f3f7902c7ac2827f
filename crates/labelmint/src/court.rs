//! The QualityCourt off chain and on the embedded chain: the payout tree an
//! oracle posts (leaves, root, proofs), the audit seed chain a creator
//! commits, a driver for tests and the gas snapshot.

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_sol_types::{SolCall, SolConstructor};
use anyhow::{anyhow, bail, Result};
use labelmint_devnet::{Devnet, Receipt};

use crate::{
    artifacts,
    market::{IMarket, Market},
};

pub use labelmint_client::court::*;

/// One annotator's payout in a batch result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payout {
    /// Who is paid.
    pub annotator: Address,
    /// Wei.
    pub payout: u128,
    /// Labels of the annotator's the result accepts (its royalty shares).
    pub labels: u32,
    /// Commitment to the per-task verdicts behind the payout (for example
    /// keccak256 of the annotator's lines of the result file).
    pub verdicts: B256,
}

/// Difficulty classes of a court job: ranges of the manifest's task order
/// `(end, weight)`, exactly as the QualityHub's `createWeightedJob` takes
/// them (1 to 4 classes, ends strictly ascending, the last = the task
/// count, weights 1–255). The court pays by a posted result, so on a court
/// job the classes are the oracle's published policy: `court payouts
/// --difficulty` weighs each task's pay and royalty shares by them, and a
/// disputer (and the arbiter) recomputes the result with the same classes.
/// `Default` has no classes (every task weighs 1) and no tasks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Difficulty {
    classes: Vec<(u32, u8)>,
    units: u64,
}

impl Difficulty {
    /// Checks `classes` for a job of `tasks` tasks with the hub's own parser
    /// (no classes: every task weighs 1).
    pub fn new(classes: Vec<(u32, u8)>, tasks: u32) -> Result<Self> {
        if classes.is_empty() {
            return Ok(Self {
                classes,
                units: u64::from(tasks),
            });
        }
        let parsed = hub_common::parse_difficulty(&labelmint_client::hub::pack_difficulty(&classes), tasks)
            .ok_or_else(|| {
                anyhow!(
                    "--difficulty: 1 to 4 classes END:WEIGHT, ends ascending, the last = the task count ({tasks}), weights 1-255"
                )
            })?;
        Ok(Self {
            classes,
            units: parsed.units,
        })
    }

    /// The weight of task `t`: 1 without classes, 0 past the last class.
    pub fn weight(&self, t: u32) -> u8 {
        class_weight(&self.classes, t)
    }

    /// `Σ weight(t)` over the job's tasks: the escrow is the bounty of a
    /// task of weight 1 times this.
    pub fn units(&self) -> u64 {
        self.units
    }
}

/// The weight of task `t` under difficulty classes `(end, weight)` (ends
/// ascending): 1 without classes, 0 past the last class.
pub fn class_weight(classes: &[(u32, u8)], t: u32) -> u8 {
    if classes.is_empty() {
        return 1;
    }
    classes
        .iter()
        .find(|(end, _)| t < *end)
        .map_or(0, |(_, w)| *w)
}

/// The oracle's payouts from an IoU consensus ([`labelmint_quality::geometry::geometry_consensus`]):
/// annotator `i` (`people[i]`) gets `per_shape × weight(task)` wei for every
/// shape of theirs inside a consensus object on that task, and as many
/// royalty shares as the weights of those shapes' tasks; `verdicts` commits
/// to "matched of drawn". Fails on a shape past the difficulty classes or a
/// payout or total beyond `u128`.
pub fn geometry_payouts(
    consensus: &labelmint_quality::geometry::GeoConsensus,
    people: &[Address],
    per_shape: u128,
    difficulty: &Difficulty,
) -> Result<Vec<Payout>> {
    let mut units = vec![0u32; people.len()];
    for o in &consensus.objects {
        let w = difficulty.weight(o.task);
        if w == 0 {
            bail!("task {} is past the last difficulty class", o.task);
        }
        for &a in &o.support {
            if let Some(u) = units.get_mut(a as usize) {
                *u = u
                    .checked_add(u32::from(w))
                    .ok_or_else(|| anyhow!("shapes counted by weight overflow"))?;
            }
        }
    }
    let overflow = || anyhow!("--per-shape × weighted shapes overflows");
    let mut total = 0u128;
    let mut out = Vec::with_capacity(people.len());
    for ((&annotator, a), units) in people.iter().zip(&consensus.annotators).zip(units) {
        let payout = per_shape
            .checked_mul(u128::from(units))
            .ok_or_else(overflow)?;
        total = total.checked_add(payout).ok_or_else(overflow)?;
        out.push(Payout {
            annotator,
            payout,
            labels: units,
            verdicts: keccak256(format!("{}/{}", a.matched, a.shapes)),
        });
    }
    Ok(out)
}

/// Payouts from a reputation-weighted plan ([`labelmint_quality::payout::weighted_payouts`]):
/// one per annotator (`people[i]`), `verdicts` committing to "agreed of judged".
pub fn plan_payouts(
    plan: &labelmint_quality::payout::PayoutPlan,
    people: &[Address],
) -> Vec<Payout> {
    people
        .iter()
        .enumerate()
        .map(|(i, &annotator)| Payout {
            annotator,
            payout: plan.pay[i],
            labels: plan.agreed[i],
            verdicts: keccak256(format!("{}/{}", plan.agreed[i], plan.judged[i])),
        })
        .collect()
}

/// The leaf of payout `index` of result `result` in job `job`, exactly as
/// the contract's `leafOf` computes it.
pub fn leaf(job: U256, result: U256, index: u32, p: &Payout) -> B256 {
    let mut pre = Vec::with_capacity(140);
    pre.extend_from_slice(&job.to_be_bytes::<32>());
    pre.extend_from_slice(&result.to_be_bytes::<32>());
    pre.extend_from_slice(&index.to_be_bytes());
    pre.extend_from_slice(p.annotator.as_slice());
    pre.extend_from_slice(&p.payout.to_be_bytes());
    pre.extend_from_slice(&p.labels.to_be_bytes());
    pre.extend_from_slice(p.verdicts.as_slice());
    keccak256(pre)
}

/// Sorted-pair parent, as the court verifies proofs.
fn parent(a: B256, b: B256) -> B256 {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    keccak256([lo.as_slice(), hi.as_slice()].concat())
}

/// A batch result as the oracle posts it: a Merkle tree (sorted-pair
/// keccak256; an odd last node moves up unchanged) over the payout leaves.
#[derive(Clone, Debug)]
pub struct PayoutTree {
    /// Job id.
    pub job: U256,
    /// Result id the leaves are bound to (the job's result count + 1 when
    /// posted).
    pub result: U256,
    /// The payouts, leaf `i` is `payouts[i]`.
    pub payouts: Vec<Payout>,
    levels: Vec<Vec<B256>>,
}

impl PayoutTree {
    /// Builds the tree; fails on an empty list or a total above `u128`.
    pub fn new(job: U256, result: U256, payouts: Vec<Payout>) -> Result<Self> {
        if payouts.is_empty() {
            bail!("a result needs at least one payout");
        }
        if payouts.len() > u32::MAX as usize {
            bail!("too many payouts for one result");
        }
        let mut total = 0u128;
        for p in &payouts {
            total = total
                .checked_add(p.payout)
                .ok_or_else(|| anyhow!("payout total overflows uint128"))?;
        }
        let mut level: Vec<B256> = payouts
            .iter()
            .enumerate()
            .map(|(i, p)| leaf(job, result, i as u32, p))
            .collect();
        let mut levels = vec![level.clone()];
        while level.len() > 1 {
            level = level
                .chunks(2)
                .map(|c| {
                    if c.len() == 2 {
                        parent(c[0], c[1])
                    } else {
                        c[0]
                    }
                })
                .collect();
            levels.push(level.clone());
        }
        Ok(Self {
            job,
            result,
            payouts,
            levels,
        })
    }

    /// The root to post.
    pub fn root(&self) -> B256 {
        self.levels.last().map_or(B256::ZERO, |l| l[0])
    }

    /// Sum of the payouts.
    pub fn total(&self) -> u128 {
        self.payouts.iter().map(|p| p.payout).sum()
    }

    /// Number of leaves.
    pub fn leaves(&self) -> u32 {
        self.payouts.len() as u32
    }

    /// The proof of leaf `index` (siblings from the bottom up).
    pub fn proof(&self, index: u32) -> Vec<B256> {
        let mut i = index as usize;
        let mut out = Vec::new();
        for level in &self.levels[..self.levels.len() - 1] {
            let sibling = i ^ 1;
            if sibling < level.len() {
                out.push(level[sibling]);
            }
            i /= 2;
        }
        out
    }

    /// Sum of the accepted labels.
    pub fn labels(&self) -> u64 {
        self.payouts.iter().map(|p| u64::from(p.labels)).sum()
    }

    /// The `postResult` call for this tree, with no room for a ruling to
    /// raise the total (`maxTotal = total`).
    pub fn post_call(&self, details: B256) -> ICourt::postResultCall {
        self.post_call_max(details, self.total())
    }

    /// The `postResult` call for this tree, a ruling may raise the total up
    /// to `max_total`.
    pub fn post_call_max(&self, details: B256, max_total: u128) -> ICourt::postResultCall {
        ICourt::postResultCall {
            jobId: self.job,
            root: self.root(),
            total: self.total(),
            maxTotal: max_total,
            leaves: self.leaves(),
            details,
        }
    }

    /// The `claim` call for leaf `index`.
    pub fn claim_call(&self, index: u32) -> ICourt::claimCall {
        let p = &self.payouts[index as usize];
        ICourt::claimCall {
            jobId: self.job,
            resultId: self.result,
            index,
            annotator: p.annotator,
            payout: p.payout,
            labels: p.labels,
            verdicts: p.verdicts,
            proof: self.proof(index),
        }
    }
}

/// The creator's audit seed chain: `links[0]` is committed at creation,
/// `links[i]` is revealed for result `i` (`keccak256(links[i]) == links[i-1]`).
#[derive(Clone, Debug)]
pub struct SeedChain {
    links: Vec<B256>,
}

impl SeedChain {
    /// A chain long enough for `results` results from the secret `secret`.
    pub fn new(secret: B256, results: usize) -> Self {
        let mut links = vec![secret];
        for _ in 0..results {
            let next = keccak256(links.last().expect("non-empty"));
            links.push(next);
        }
        links.reverse();
        Self { links }
    }

    /// How many results the chain covers.
    pub fn len(&self) -> usize {
        self.links.len() - 1
    }

    /// Whether the chain covers no result.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The commitment for `createJob`.
    pub fn commitment(&self) -> B256 {
        self.links[0]
    }

    /// The link to reveal for result `result` (from 1).
    pub fn link(&self, result: usize) -> B256 {
        self.links[result]
    }

    /// Whether result `result` with `root` will be sampled at `audit_bps`.
    pub fn sampled(&self, result: usize, root: B256, audit_bps: u16) -> bool {
        let mut pre = self.link(result).to_vec();
        pre.extend_from_slice(root.as_slice());
        U256::from_be_bytes(keccak256(pre).0) % U256::from(10_000u64) < U256::from(audit_bps)
    }
}

/// The default fee of a court arbiter's terms: 0.001 ETH per ruling.
pub const COURT_ARBITER_FEE: u128 = 1_000_000_000_000_000;
/// The default bond of a court arbiter's terms: 0.01 ETH per dispute.
pub const COURT_DISPUTE_BOND: u128 = 10_000_000_000_000_000;
/// The default challenge (dispute) window: one hour.
pub const COURT_CHALLENGE_WINDOW: u32 = 3_600;
/// The default ruling window: one day.
pub const COURT_RULING_WINDOW: u32 = 86_400;

/// The `registerArbiterTerms` call of a court arbiter (ETH) with the
/// default amounts and windows.
pub fn court_terms() -> IMarket::registerArbiterTermsCall {
    IMarket::registerArbiterTermsCall {
        token: Address::ZERO,
        fee: COURT_ARBITER_FEE,
        bond: COURT_DISPUTE_BOND,
        disputeWindow: COURT_CHALLENGE_WINDOW,
        rulingWindow: COURT_RULING_WINDOW,
    }
}

/// Terms of a court job, with defaults: no audits.
#[derive(Clone, Debug)]
pub struct CourtJob {
    /// Data root.
    pub data_root: B256,
    /// Posts results.
    pub oracle: Address,
    /// The arbiter's registered terms (in the market's registry).
    pub terms: u32,
    /// Share of results audited.
    pub audit_bps: u16,
    /// Audit seed commitment (zero without audits).
    pub seed: B256,
}

impl CourtJob {
    /// Default terms for `oracle` and the arbiter of `terms`.
    pub fn new(oracle: Address, terms: u32) -> Self {
        Self {
            data_root: B256::repeat_byte(0xc0),
            oracle,
            terms,
            audit_bps: 0,
            seed: B256::ZERO,
        }
    }

    /// The `createJob` call.
    pub fn call(&self) -> ICourt::createJobCall {
        ICourt::createJobCall {
            dataRoot: self.data_root,
            oracle: self.oracle,
            arbiterTerms: self.terms,
            auditBps: self.audit_bps,
            seedCommitment: self.seed,
        }
    }
}

/// The court's two programs, processed for the chain.
#[derive(Clone, Debug)]
pub struct CourtWasm {
    /// The QualityCourt (hot paths).
    pub court: Vec<u8>,
    /// Its extension (cold paths, run by `DELEGATECALL`).
    pub extension: Vec<u8>,
}

impl CourtWasm {
    /// Both programs from `target/stylus` (building them if stale).
    pub fn load() -> Result<Self> {
        Ok(Self {
            court: artifacts::program("quality_court")?.0,
            extension: artifacts::program("quality_court_ext")?.0,
        })
    }

    /// Deploys the extension, then the court pointing at it and at the
    /// arbiter terms `registry`; returns the court's address and the
    /// extension's.
    pub fn deploy(
        &self,
        chain: &mut Devnet,
        admin: Address,
        registry: Address,
    ) -> Result<(Address, Address)> {
        let (extension, _) = chain
            .deploy_wasm(admin, &self.extension, None)
            .map_err(|e| anyhow!("deploying the QualityCourt extension: {e}"))?;
        let args = QualityCourtConstructor::constructorCall {
            registry,
            extension,
        }
        .abi_encode();
        let (court, _) = chain
            .deploy_wasm(admin, &self.court, Some(&args))
            .map_err(|e| anyhow!("deploying the QualityCourt: {e}"))?;
        Ok((court, extension))
    }
}

/// The QualityCourt on an embedded chain, next to the market whose
/// registry holds the arbiters' terms.
pub struct Court {
    /// The chain.
    pub chain: Devnet,
    /// The court.
    pub court: Address,
    /// Its extension program.
    pub extension: Address,
    /// The AnnotationMarket (the arbiter terms registry).
    pub registry: Address,
    /// The RewardToken deployed with the market.
    pub token: Address,
}

impl Court {
    /// Deploys token, market and court from `target/stylus`.
    pub fn deploy(cached: bool) -> Result<Self> {
        Self::on(Market::deploy(cached)?, &CourtWasm::load()?, cached)
    }

    /// Deploys the court on a market's chain.
    pub fn on(m: Market, wasm: &CourtWasm, cached: bool) -> Result<Self> {
        let Market {
            mut chain,
            market,
            token,
            admin,
            ..
        } = m;
        let (court, extension) = wasm.deploy(&mut chain, admin, market)?;
        if cached {
            for program in [court, extension] {
                chain
                    .cache_program(admin, program)
                    .map_err(|e| anyhow!("caching the court: {e}"))?;
            }
        }
        Ok(Self {
            chain,
            court,
            extension,
            registry: market,
            token,
        })
    }

    /// `arbiter` registers court terms (ETH) in the market; returns their id.
    pub fn register_terms(
        &mut self,
        arbiter: Address,
        call: &IMarket::registerArbiterTermsCall,
    ) -> Result<u32> {
        let r = crate::market::send_to(&mut self.chain, arbiter, self.registry, call, U256::ZERO)?;
        let r = crate::market::succeeded::<IMarket::registerArbiterTermsCall>(r)?;
        Ok(IMarket::registerArbiterTermsCall::abi_decode_returns(
            &r.output,
        )?)
    }

    /// Sends `call` with `value` to the court.
    pub fn send<C: SolCall>(&mut self, from: Address, call: &C, value: U256) -> Result<Receipt> {
        crate::market::send_to(&mut self.chain, from, self.court, call, value)
    }

    /// Sends `call` and fails unless it succeeds.
    pub fn ok<C: SolCall>(&mut self, from: Address, call: &C, value: U256) -> Result<Receipt> {
        crate::market::succeeded::<C>(self.send(from, call, value)?)
    }

    /// Reads from the court.
    pub fn read<C: SolCall>(&mut self, call: &C) -> Result<C::Return> {
        crate::market::read_from(&mut self.chain, self.court, call)
    }

    /// Creates a job escrowing `escrow` wei; returns its id.
    pub fn create(&mut self, creator: Address, spec: &CourtJob, escrow: U256) -> Result<U256> {
        let r = self.ok(creator, &spec.call(), escrow)?;
        Ok(ICourt::createJobCall::abi_decode_returns(&r.output)?)
    }

    /// The id the job's next result will get.
    pub fn next_result(&mut self, job: U256) -> Result<U256> {
        let j = self.read(&ICourt::getJobCall { jobId: job })?;
        Ok(U256::from(j.results) + U256::from(1))
    }

    /// A job's result.
    pub fn result(&mut self, job: U256, result: U256) -> Result<ICourt::getResultReturn> {
        self.read(&ICourt::getResultCall {
            jobId: job,
            resultId: result,
        })
    }

    /// ETH credit of `who`.
    pub fn credit(&mut self, who: Address) -> Result<U256> {
        self.read(&ICourt::creditOfCall { account: who })
    }

    /// Moves time forward by `seconds`.
    pub fn warp(&mut self, seconds: u64) {
        self.chain.warp(seconds);
    }
}

/// `n` payouts of 1 gwei × (i + 1), to `people` in turn.
pub fn sample_payouts(people: &[Address], n: usize) -> Vec<Payout> {
    (0..n)
        .map(|i| Payout {
            annotator: people[i % people.len()],
            payout: 1_000_000_000 * (i as u128 + 1),
            labels: i as u32 % 4 + 1,
            verdicts: keccak256((i as u64).to_be_bytes()),
        })
        .collect()
}

/// Adds the QualityCourt entries to `snapshot`.
#[allow(clippy::too_many_lines)] // one scenario, measured step by step
pub fn measure_gas(snapshot: &mut std::collections::BTreeMap<String, u64>) -> Result<()> {
    for cached in [false, true] {
        let tag = if cached { ", cached" } else { "" };
        let mut c = Court::deploy(cached)?;
        let (creator, oracle, arbiter, disputer) = (
            c.chain.account(0),
            c.chain.account(1),
            c.chain.account(2),
            c.chain.account(3),
        );
        let people: Vec<Address> = (4..10).map(|i| c.chain.account(i)).collect();
        let seeds = SeedChain::new(B256::repeat_byte(0x5e), 4);
        let terms = c.register_terms(arbiter, &court_terms())?;
        let spec = CourtJob {
            audit_bps: 2_000,
            seed: seeds.commitment(),
            ..CourtJob::new(oracle, terms)
        };
        let escrow = U256::from(10u128.pow(18));
        let r = c.ok(creator, &spec.call(), escrow)?;
        snapshot.insert(
            format!("QualityCourt::createJob(ETH, audits, reads the terms{tag})"),
            r.gas_used,
        );
        let job = ICourt::createJobCall::abi_decode_returns(&r.output)?;
        // Result 1: 64 payouts, unchallenged, claimed leaf by leaf.
        let rid = c.next_result(job)?;
        let tree = PayoutTree::new(job, rid, sample_payouts(&people, 64))?;
        let r = c.ok(oracle, &tree.post_call(B256::repeat_byte(1)), U256::ZERO)?;
        snapshot.insert(format!("QualityCourt::postResult{tag}"), r.gas_used);
        let r = c.ok(
            creator,
            &ICourt::revealSeedCall {
                jobId: job,
                resultId: rid,
                seed: seeds.link(1),
            },
            U256::ZERO,
        )?;
        snapshot.insert(format!("QualityCourt::revealSeed{tag}"), r.gas_used);
        let audited = seeds.sampled(1, tree.root(), spec.audit_bps);
        c.warp(u64::from(COURT_CHALLENGE_WINDOW));
        if audited {
            c.ok(
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
        }
        let mut claims = Vec::new();
        for i in 0..tree.leaves() {
            claims.push(c.ok(oracle, &tree.claim_call(i), U256::ZERO)?.gas_used);
        }
        snapshot.insert(
            format!("QualityCourt::claim(first, 64-leaf tree, finalizes{tag})"),
            claims[0],
        );
        snapshot.insert(
            format!("QualityCourt::claim(mean of 64, 6-deep proofs{tag})"),
            claims.iter().sum::<u64>() / claims.len() as u64,
        );
        // Result 2: disputed and overturned.
        let rid = c.next_result(job)?;
        let tree = PayoutTree::new(job, rid, sample_payouts(&people, 8))?;
        let fixed = PayoutTree::new(job, rid, sample_payouts(&people, 9))?;
        c.ok(
            oracle,
            &tree.post_call_max(B256::ZERO, fixed.total()),
            U256::ZERO,
        )?;
        let r = c.ok(
            disputer,
            &ICourt::disputeCall {
                jobId: job,
                resultId: rid,
            },
            U256::from(COURT_DISPUTE_BOND),
        )?;
        snapshot.insert(format!("QualityCourt::dispute{tag}"), r.gas_used);
        let r = c.ok(
            arbiter,
            &ICourt::ruleCall {
                jobId: job,
                resultId: rid,
                overturn: true,
                root: fixed.root(),
                total: fixed.total(),
                leaves: fixed.leaves(),
                details: B256::ZERO,
            },
            U256::ZERO,
        )?;
        snapshot.insert(format!("QualityCourt::rule(overturn{tag})"), r.gas_used);
        let r = c.ok(creator, &ICourt::closeJobCall { jobId: job }, U256::ZERO)?;
        snapshot.insert(format!("QualityCourt::closeJob{tag}"), r.gas_used);
        let r = c.ok(oracle, &fixed.claim_call(0), U256::ZERO)?;
        snapshot.insert(
            format!("QualityCourt::claim(first leaf of a closed job's result{tag})"),
            r.gas_used,
        );
        let r = c.ok(disputer, &ICourt::withdrawCall { to: disputer }, U256::ZERO)?;
        snapshot.insert(format!("QualityCourt::withdraw{tag}"), r.gas_used);
    }
    Ok(())
}
