//! The AnnotationMarket: bindings generated from `abi/AnnotationMarket.sol`,
//! its constants, the EIP-712 `SubmitBatch` an annotator signs, the records
//! a review, a dispute or a settlement must present ([`Batch`],
//! [`Rejection`]) and the calls built from them, and job terms ([`JobSpec`]).

use alloy_primitives::{Address, Bytes, Log, B256, U256};
use alloy_sol_types::{eip712_domain, sol, Eip712Domain, SolEvent, SolStruct};

use crate::SignError;

/// EIP-712 domain name of the market.
pub const DOMAIN_NAME: &str = "labelmint AnnotationMarket";
/// EIP-712 domain version of the market.
pub const DOMAIN_VERSION: &str = "1";
/// Most tasks one claim, submission or rejection list may cover.
pub const MAX_BATCH: usize = 64;
/// Most batches one `reviewBatches` or `settleRejections` call may cover.
pub const MAX_BATCHES: usize = 32;
/// Label schema: one class id per task, judged by the creator.
pub const SCHEMA_CATEGORICAL: u8 = 0;
/// Label schema: bounding boxes, committed by hash.
pub const SCHEMA_BBOX: u8 = 1;
/// Label schema: polygons, committed by hash.
pub const SCHEMA_POLYGON: u8 = 2;
/// Label schema: free text, committed by hash.
pub const SCHEMA_TEXT: u8 = 3;
/// Job status: no such job.
pub const STATUS_NONE: u8 = 0;
/// Job status: accepting claims and submissions.
pub const STATUS_OPEN: u8 = 1;
/// Job status: every task approved.
pub const STATUS_COMPLETED: u8 = 2;
/// Job status: cancelled (or closed after its deadline).
pub const STATUS_CANCELLED: u8 = 3;
/// `taskInfo` state: nobody holds the task.
pub const TASK_FREE: u8 = 0;
/// `taskInfo` state: an annotator's claim holds the task.
pub const TASK_CLAIMED: u8 = 1;
/// `taskInfo` state: submitted, approved, or held under a rejection.
pub const TASK_TAKEN: u8 = 2;
/// `RejectionSettled` outcome: not disputed in time; the tasks reopened.
pub const OUTCOME_ACCEPTED: u8 = 1;
/// `RejectionSettled` outcome: the arbiter upheld the rejection.
pub const OUTCOME_UPHELD: u8 = 2;
/// `RejectionSettled` outcome: the arbiter overturned the rejection; paid.
pub const OUTCOME_OVERTURNED: u8 = 3;
/// `RejectionSettled` outcome: the arbiter did not rule in time; paid.
pub const OUTCOME_UNRULED: u8 = 4;

/// The schema's name (`categorical`, `bbox`, `polygon`, `text`).
pub fn schema_name(schema: u8) -> &'static str {
    match schema {
        SCHEMA_CATEGORICAL => "categorical",
        SCHEMA_BBOX => "bbox",
        SCHEMA_POLYGON => "polygon",
        SCHEMA_TEXT => "text",
        _ => "unknown",
    }
}

/// The schema of a name ([`schema_name`]'s inverse).
pub fn schema_of(name: &str) -> Option<u8> {
    Some(match name {
        "categorical" => SCHEMA_CATEGORICAL,
        "bbox" => SCHEMA_BBOX,
        "polygon" => SCHEMA_POLYGON,
        "text" => SCHEMA_TEXT,
        _ => return None,
    })
}

/// The status's name (`none`, `open`, `completed`, `cancelled`).
pub fn status_name(status: u8) -> &'static str {
    match status {
        STATUS_OPEN => "open",
        STATUS_COMPLETED => "completed",
        STATUS_CANCELLED => "cancelled",
        _ => "none",
    }
}

/// The market's EIP-712 domain at `market` on `chain_id`.
pub fn domain(market: Address, chain_id: u64) -> Eip712Domain {
    eip712_domain! {
        name: DOMAIN_NAME,
        version: DOMAIN_VERSION,
        chain_id: chain_id,
        verifying_contract: market,
    }
}

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
    batch.eip712_signing_hash(&domain(market, chain_id))
}

/// Signs `batch` with `key`: 65 bytes `r ‖ s ‖ v` (v = 27/28, low s).
pub fn sign_batch(
    key: &B256,
    market: Address,
    chain_id: u64,
    batch: &SubmitBatch,
) -> Result<Bytes, SignError> {
    crate::sign_digest(key, batch_digest(market, chain_id, batch))
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
    /// The batch a `LabelsSubmitted` among `logs` announced (the first), if any.
    pub fn from_logs(logs: &[Log]) -> Option<Self> {
        logs.iter().find_map(|log| {
            let e = IMarket::LabelsSubmitted::decode_log_data(&log.data).ok()?;
            Some(Self::from_event(&e))
        })
    }
}

/// The `reviewBatches` call for `batches` (all of one job) with per-task
/// `verdicts` flattened in batch order (empty: approve everything).
pub fn review_batches_call(batches: &[Batch], verdicts: &[u8]) -> IMarket::reviewBatchesCall {
    IMarket::reviewBatchesCall {
        jobId: batches.first().map_or(U256::ZERO, |b| b.job),
        batchIds: batches.iter().map(|b| b.id).collect(),
        annotators: batches.iter().map(|b| b.annotator).collect(),
        submittedAts: batches.iter().map(|b| b.submitted_at).collect(),
        taskCounts: batches.iter().map(|b| b.tasks.len() as u32).collect(),
        taskIds: batches
            .iter()
            .flat_map(|b| b.tasks.iter().copied())
            .collect(),
        verdicts: verdicts.to_vec().into(),
    }
}

/// A rejection as `BatchReviewed` (and then `RejectionDisputed`) announced
/// it: what a dispute, a ruling or a settlement must present.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The job.
    pub job: U256,
    /// The batch.
    pub batch: U256,
    /// Whose work was rejected.
    pub annotator: Address,
    /// When it was reviewed, or (once disputed) when it was disputed.
    pub at: u64,
    /// The rejected tasks, ascending.
    pub tasks: Vec<u32>,
    /// Whether it is disputed.
    pub disputed: bool,
}

impl Rejection {
    /// The rejection of `batch` a `BatchReviewed` among `logs` (a review's)
    /// announced, if any.
    pub fn from_review(batch: &Batch, logs: &[Log]) -> Option<Self> {
        logs.iter().find_map(|log| {
            let e = IMarket::BatchReviewed::decode_log_data(&log.data).ok()?;
            Self::from_event(batch, &e)
        })
    }

    /// The same rejection once a `RejectionDisputed` among `logs` (a
    /// dispute's) announced it disputed.
    pub fn disputed(&self, logs: &[Log]) -> Option<Self> {
        logs.iter().find_map(|log| {
            let e = IMarket::RejectionDisputed::decode_log_data(&log.data).ok()?;
            (e.batchId == self.batch).then(|| Self {
                at: e.disputedAt,
                disputed: true,
                ..self.clone()
            })
        })
    }

    /// The `disputeRejection` call.
    pub fn dispute_call(&self) -> IMarket::disputeRejectionCall {
        IMarket::disputeRejectionCall {
            jobId: self.job,
            batchId: self.batch,
            reviewedAt: self.at,
            taskIds: self.tasks.clone(),
        }
    }

    /// The arbiter's `ruleDispute` call.
    pub fn rule_call(&self, overturn: bool) -> IMarket::ruleDisputeCall {
        IMarket::ruleDisputeCall {
            jobId: self.job,
            batchId: self.batch,
            annotator: self.annotator,
            disputedAt: self.at,
            taskIds: self.tasks.clone(),
            overturn,
        }
    }

    /// The `settleRejections` call for this rejection alone (anyone, once
    /// the window passed).
    pub fn settle_call(&self) -> IMarket::settleRejectionsCall {
        settle_rejections_call(std::slice::from_ref(self))
    }
}

/// The `settleRejections` call for `rejections` (all of one job).
pub fn settle_rejections_call(rejections: &[Rejection]) -> IMarket::settleRejectionsCall {
    IMarket::settleRejectionsCall {
        jobId: rejections.first().map_or(U256::ZERO, |r| r.job),
        batchIds: rejections.iter().map(|r| r.batch).collect(),
        annotators: rejections.iter().map(|r| r.annotator).collect(),
        ats: rejections.iter().map(|r| r.at).collect(),
        taskCounts: rejections.iter().map(|r| r.tasks.len() as u32).collect(),
        taskIds: rejections
            .iter()
            .flat_map(|r| r.tasks.iter().copied())
            .collect(),
        disputed: rejections.iter().map(|r| r.disputed).collect(),
    }
}

/// Task ids from the packed big-endian `uint32` form used in events.
pub fn unpack_tasks(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Dev account 8 of the test mnemonic: the arbiter of the default terms
/// every [`Market`] registers.
pub const DEFAULT_ARBITER: Address =
    alloy_primitives::address!("23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f");
/// The default arbiter's fee per dispute.
pub const DEFAULT_ARBITER_FEE: u128 = 100_000_000_000_000;
/// The default bond an annotator puts up to dispute.
pub const DEFAULT_DISPUTE_BOND: u128 = 200_000_000_000_000;
/// The default dispute window: two days.
pub const DEFAULT_DISPUTE_WINDOW: u32 = 2 * 24 * 3600;
/// The default ruling window: three days.
pub const DEFAULT_RULING_WINDOW: u32 = 3 * 24 * 3600;
/// Id of the default terms for ETH jobs ([`Market::deploy`] registers it first).
pub const DEFAULT_ETH_TERMS: u32 = 1;
/// Id of the default terms for RewardToken jobs (registered second).
pub const DEFAULT_TOKEN_TERMS: u32 = 2;

/// The `registerArbiterTerms` call for `token` with the default amounts and
/// windows.
pub fn default_terms(token: Address) -> IMarket::registerArbiterTermsCall {
    IMarket::registerArbiterTermsCall {
        token,
        fee: DEFAULT_ARBITER_FEE,
        bond: DEFAULT_DISPUTE_BOND,
        disputeWindow: DEFAULT_DISPUTE_WINDOW,
        rulingWindow: DEFAULT_RULING_WINDOW,
    }
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
    /// Reward per approved task.
    pub reward: u128,
    /// Number of tasks.
    pub tasks: u32,
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
    /// Most tasks one annotator may hold at once (claimed or awaiting review).
    pub max_held: u16,
    /// Arbiter terms (0: [`DEFAULT_ETH_TERMS`] for ETH jobs,
    /// [`DEFAULT_TOKEN_TERMS`] otherwise).
    pub terms: u32,
    /// Difficulty classes `(end, weight)` in task order, the last ending at
    /// `tasks` (empty: every task weighs 1, created with `createJob`).
    pub difficulty: Vec<(u32, u8)>,
}

impl Default for JobSpec {
    fn default() -> Self {
        Self {
            data_root: B256::repeat_byte(0xd1),
            metadata_hash: B256::repeat_byte(0x3e),
            token: Address::ZERO,
            reward: 1_000_000_000_000_000,
            tasks: 100,
            schema: 0,
            classes: 4,
            claim_duration: 0,
            deadline_in: 7 * 24 * 3600,
            review_window: 3 * 24 * 3600,
            max_held: 256,
            terms: 0,
            difficulty: Vec::new(),
        }
    }
}

impl JobSpec {
    /// The escrow the job needs: the reward × its units.
    pub fn escrow(&self) -> U256 {
        U256::from(self.reward) * U256::from(self.units())
    }

    /// `Σ tasks × weight` over the difficulty classes (`tasks` when there
    /// are none).
    pub fn units(&self) -> u64 {
        if self.difficulty.is_empty() {
            return self.tasks.into();
        }
        let mut start = 0u32;
        let mut units = 0u64;
        for &(end, weight) in &self.difficulty {
            units = units
                .saturating_add(u64::from(end.saturating_sub(start)).saturating_mul(weight.into()));
            start = end;
        }
        units
    }

    /// The difficulty weight of task `t` (1 without classes; 0 past the
    /// last class).
    pub fn weight(&self, t: u32) -> u8 {
        if self.difficulty.is_empty() {
            return 1;
        }
        self.difficulty
            .iter()
            .find(|&&(end, _)| t < end)
            .map_or(0, |&(_, w)| w)
    }

    /// The `createWeightedJob` call (the classes packed as the QualityHub
    /// takes them), with the deadline relative to `now`.
    pub fn weighted_call(&self, now: u64) -> IMarket::createWeightedJobCall {
        weighted(
            &self.call(now),
            crate::hub::pack_difficulty(&self.difficulty),
        )
    }

    /// The arbiter terms id the job names.
    pub fn terms_id(&self) -> u32 {
        match (self.terms, self.token.is_zero()) {
            (0, true) => DEFAULT_ETH_TERMS,
            (0, false) => DEFAULT_TOKEN_TERMS,
            (id, _) => id,
        }
    }

    /// The `createJob` call, with the deadline relative to `now`.
    pub fn call(&self, now: u64) -> IMarket::createJobCall {
        IMarket::createJobCall {
            dataRoot: self.data_root,
            metadataHash: self.metadata_hash,
            token: self.token,
            rewardPerTask: self.reward,
            taskCount: self.tasks,
            schema: self.schema,
            numClasses: self.classes,
            claimDuration: self.claim_duration,
            submitDeadline: now + self.deadline_in,
            reviewWindow: self.review_window,
            maxHeld: self.max_held,
            arbiterTerms: self.terms_id(),
        }
    }

    /// The `createJobWithPermit` call, with the deadline relative to `now`.
    pub fn call_with_permit(
        &self,
        now: u64,
        permit: &crate::token::IRewardToken::permitCall,
    ) -> IMarket::createJobWithPermitCall {
        let c = self.call(now);
        IMarket::createJobWithPermitCall {
            dataRoot: c.dataRoot,
            metadataHash: c.metadataHash,
            token: c.token,
            rewardPerTask: c.rewardPerTask,
            taskCount: c.taskCount,
            schema: c.schema,
            numClasses: c.numClasses,
            claimDuration: c.claimDuration,
            submitDeadline: c.submitDeadline,
            reviewWindow: c.reviewWindow,
            maxHeld: c.maxHeld,
            arbiterTerms: c.arbiterTerms,
            permit: crate::token::permit_blob(permit).into(),
        }
    }
}

/// `createWeightedJob` with the terms of `c` and `difficulty`, the classes
/// packed by [`crate::hub::pack_difficulty`].
pub fn weighted(c: &IMarket::createJobCall, difficulty: Bytes) -> IMarket::createWeightedJobCall {
    IMarket::createWeightedJobCall {
        dataRoot: c.dataRoot,
        metadataHash: c.metadataHash,
        token: c.token,
        rewardPerTask: c.rewardPerTask,
        taskCount: c.taskCount,
        schema: c.schema,
        numClasses: c.numClasses,
        claimDuration: c.claimDuration,
        submitDeadline: c.submitDeadline,
        reviewWindow: c.reviewWindow,
        maxHeld: c.maxHeld,
        arbiterTerms: c.arbiterTerms,
        difficulty,
    }
}

/// Task ids in the packed big-endian `uint32` form events carry.
pub fn pack_tasks(tasks: &[u32]) -> Bytes {
    tasks.iter().flat_map(|t| t.to_be_bytes()).collect()
}

impl Batch {
    /// The batch a `LabelsSubmitted` event announced.
    pub fn from_event(e: &IMarket::LabelsSubmitted) -> Self {
        Self {
            job: e.jobId,
            id: e.batchId,
            annotator: e.annotator,
            submitted_at: e.submittedAt,
            tasks: unpack_tasks(&e.tasks),
        }
    }
}

impl Rejection {
    /// The rejection a `BatchReviewed` event announced for `batch`, if it
    /// rejected anything.
    pub fn from_event(batch: &Batch, e: &IMarket::BatchReviewed) -> Option<Self> {
        if e.batchId != batch.id || e.rejected == 0 {
            return None;
        }
        Some(Self {
            job: e.jobId,
            batch: e.batchId,
            annotator: e.annotator,
            at: e.reviewedAt,
            tasks: batch
                .tasks
                .iter()
                .zip(e.verdicts.iter())
                .filter(|(_, &v)| v != 0)
                .map(|(&t, _)| t)
                .collect(),
            disputed: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_tasks_round_trip() {
        let tasks = vec![0, 1, 65_536, u32::MAX];
        assert_eq!(unpack_tasks(&pack_tasks(&tasks)), tasks);
    }

    #[test]
    fn batch_digest_depends_on_every_field() {
        let market = Address::repeat_byte(7);
        let base = SubmitBatch {
            annotator: Address::repeat_byte(1),
            jobId: U256::from(1),
            taskIds: vec![1, 2],
            payload: vec![0, 1].into(),
            nonce: U256::from(5),
            deadline: U256::from(100),
        };
        let d = batch_digest(market, 1, &base);
        assert_ne!(d, batch_digest(market, 2, &base));
        assert_ne!(d, batch_digest(Address::repeat_byte(8), 1, &base));
        let mut other = base.clone();
        other.nonce = U256::from(6);
        assert_ne!(d, batch_digest(market, 1, &other));
    }
}
