//! Functions, events and custom errors of the AnnotationMarket, declared once
//! in Solidity syntax. With the `export-abi` feature the same declarations also yield their
//! JSON ABI (`events_and_errors_abi`), so `abi/` can never disagree with what
//! the contract emits and reverts with.
//!
//! Task lists in events are `bytes tasks`: the task ids packed as big-endian
//! `uint32`s (4 bytes each). A `uint32[]` would cost 8 gas per byte of a 32-byte
//! word per task in every claim and submission log (~8,200 gas for 32 tasks
//! instead of ~1,000).
#![allow(missing_docs)] // items are documented in Solidity syntax below
#![allow(clippy::too_many_arguments)] // createJob's generated call struct constructor

use stylus_sdk::alloy_sol_types::sol;

/// Declares the interface, optionally with `#[sol(abi)]`.
macro_rules! declare_interface {
    ($(#[$attr:meta])*) => {
        sol! {
            $(#[$attr])*
            #[sol(all_derives)]
            interface IAnnotationMarket {
                /// Creates a job of `taskCount` tasks and escrows `taskCount × rewardPerTask` of `token` (zero: ETH as msg.value).
                /// Every job names the terms of an arbiter (`registerArbiterTerms`, in the job's token) who rules on disputed
                /// rejections: a dispute costs the annotator the bond, a rejection locks the arbiter's fee of the creator's until
                /// it is settled.
                function createJob(bytes32 dataRoot, bytes32 metadataHash, address token, uint128 rewardPerTask, uint32 taskCount, uint8 schema, uint16 numClasses, uint32 claimDuration, uint64 submitDeadline, uint32 reviewWindow, uint16 maxHeld, uint32 arbiterTerms) external payable returns (uint256 jobId);
                /// `createJob` for an EIP-2612 token with the escrow's permit: `permit = abi.encode(uint256 deadline, uint8 v, bytes32 r, bytes32 s)`.
                function createJobWithPermit(bytes32 dataRoot, bytes32 metadataHash, address token, uint128 rewardPerTask, uint32 taskCount, uint8 schema, uint16 numClasses, uint32 claimDuration, uint64 submitDeadline, uint32 reviewWindow, uint16 maxHeld, uint32 arbiterTerms, bytes permit) external returns (uint256 jobId);
                /// `createJob` with tasks in difficulty classes, in the QualityHub's form: `difficulty` packs 1 to 4 classes of
                /// 5 bytes each, the class's end (big-endian uint32, exclusive; ends strictly ascending, the last = `taskCount`)
                /// and its weight (uint8, ≥ 1). The job's manifest orders its tasks by class. A task of weight `w` escrows and pays
                /// `w × rewardPerTask` and counts `w` accepted labels (royalty shares): `reserved`, `approved`, `accepted` and
                /// `acceptedLabels` count these units. The escrow is `rewardPerTask × Σ tasks × weight`.
                function createWeightedJob(bytes32 dataRoot, bytes32 metadataHash, address token, uint128 rewardPerTask, uint32 taskCount, uint8 schema, uint16 numClasses, uint32 claimDuration, uint64 submitDeadline, uint32 reviewWindow, uint16 maxHeld, uint32 arbiterTerms, bytes difficulty) external payable returns (uint256 jobId);
                /// The caller offers to arbitrate jobs paid in `token` (zero: ETH) for `fee` per dispute, annotators bonding `bond`
                /// (at least the fee) to dispute within `disputeWindow` seconds of a review, the caller ruling within `rulingWindow`
                /// seconds of a dispute (each one hour to 30 days). Terms never change; creators name them by id.
                function registerArbiterTerms(address token, uint128 fee, uint128 bond, uint32 disputeWindow, uint32 rulingWindow) external returns (uint32 termsId);
                /// Cancels an open job (creator; anyone after the deadline) and refunds its open tasks.
                function cancelJob(uint256 jobId) external;
                /// Reserves tasks (strictly ascending ids) for the caller for `claimDuration` seconds of unpaused time.
                /// Expired claims of others on these tasks are evicted in the same call.
                function claimTasks(uint256 jobId, uint32[] taskIds) external returns (uint64 expiresAt);
                /// Gives up claimed tasks (the annotator any time, anyone after expiry).
                function releaseClaim(uint256 jobId, address annotator, uint32[] taskIds) external;
                /// Submits labels for claimed or free tasks (strictly ascending ids) as one batch.
                function submitBatch(uint256 jobId, uint32[] taskIds, bytes payload) external returns (uint256 batchId);
                /// `submitBatch` relayed with the annotator's EIP-712 signature (ECDSA, or EIP-1271 for contract wallets);
                /// `nonce` is any unused bit of the annotator's nonce bitmap.
                function submitBatchBySig(address annotator, uint256 jobId, uint32[] taskIds, bytes payload, uint256 nonce, uint256 deadline, bytes signature) external returns (uint256 batchId);
                /// Settles up to 32 pending batches (`taskCounts[i]` tasks of the flattened `taskIds` each). `verdicts` is empty
                /// (approve all) or one byte per task (0 approve, else the rejection reason). The creator may reject inside a
                /// batch's review window, depositing `arbiterFee` per batch with a rejection (msg.value for ETH jobs); anyone may
                /// approve once the window has passed. Batches already settled are skipped.
                function reviewBatches(uint256 jobId, uint256[] batchIds, address[] annotators, uint64[] submittedAts, uint32[] taskCounts, uint32[] taskIds, bytes verdicts) external payable;
                /// The annotator disputes the rejection of `taskIds` (reviewed at `reviewedAt`) within the dispute window,
                /// paying the job's `disputeBond` (msg.value for ETH jobs).
                function disputeRejection(uint256 jobId, uint256 batchId, uint64 reviewedAt, uint32[] taskIds) external payable;
                /// The job's arbiter rules on a dispute within the ruling window: `overturn` pays the annotator (reward and bond
                /// back, the creator's deposit to the arbiter); otherwise the tasks reopen and the bond pays the arbiter's fee,
                /// the rest going to the creator.
                function ruleDispute(uint256 jobId, uint256 batchId, address annotator, uint64 disputedAt, uint32[] taskIds, bool overturn) external;
                /// Anyone settles up to 32 rejections whose window has passed (`taskCounts[i]` rejected tasks of the flattened
                /// `taskIds` each): undisputed ones (`disputed[i]` false, `ats[i]` = reviewedAt) reopen their tasks; disputed but
                /// unruled ones (`ats[i]` = disputedAt) pay the annotator by default.
                function settleRejections(uint256 jobId, uint256[] batchIds, address[] annotators, uint64[] ats, uint32[] taskCounts, uint32[] taskIds, bool[] disputed) external;
                /// Sends the caller's credited `token` balance (zero: ETH) to `to`.
                function withdraw(address token, address to) external returns (uint256 amount);
                /// Marks the caller's nonces `wordPos × 256 + i` for every set bit `i` of `mask` as used.
                function invalidateNonces(uint256 wordPos, uint256 mask) external;
                /// Number of jobs; ids run from 1.
                function jobCount() external view returns (uint256);
                /// Everything about a job's terms and progress (units reserved and approved — tasks, each counted by its difficulty
                /// weight —, batches, escrow held). Status 0 = no such job.
                function getJob(uint256 jobId) external view returns (address creator, address token, uint128 rewardPerTask, uint32 taskCount, uint8 schema, uint16 numClasses, uint8 status, bytes32 dataRoot, bytes32 metadataHash, uint32 claimDuration, uint64 submitDeadline, uint32 reviewWindow, uint16 maxHeld, uint32 reserved, uint32 approved, uint32 batches, uint256 escrow);
                /// Arbiter terms `termsId` (arbiter zero: no such terms).
                function arbiterTerms(uint32 termsId) external view returns (address arbiter, address token, uint128 fee, uint128 bond, uint32 disputeWindow, uint32 rulingWindow);
                /// A job's arbiter terms.
                function disputeTerms(uint256 jobId) external view returns (uint32 termsId, address arbiter, uint128 arbiterFee, uint128 disputeBond, uint32 disputeWindow, uint32 rulingWindow);
                /// The job-source view a dataset registry reads: who created the job, its payment token and data root,
                /// whether its accepted labels are final, and how many there are.
                function jobSource(uint256 jobId) external view returns (address creator, address token, bytes32 dataRoot, bool settled, uint32 accepted);
                /// Labels of `annotator` accepted on the job, each counted by its task's difficulty weight (its royalty shares).
                function acceptedLabels(uint256 jobId, address annotator) external view returns (uint32 accepted);
                /// An annotator's counters on a job and the expiry of their current claim (as if any pause ended now); `approved`
                /// counts units (each task by its difficulty weight), the others tasks.
                function annotatorRecord(uint256 jobId, address annotator) external view returns (uint32 open, uint32 pending, uint32 approved, uint32 rejected, uint64 claimExpiry);
                /// The difficulty weight of a task: 1 on an unweighted job, 0 for no such job or task.
                function taskWeight(uint256 jobId, uint32 taskId) external view returns (uint8 weight);
                /// A task's state (0 free, 1 claimed by `holder` until `claimExpiry`, 2 submitted, approved or held under a rejection).
                function taskInfo(uint256 jobId, uint32 taskId) external view returns (uint8 state, address holder, uint64 claimExpiry);
                /// Commitment of a batch that is pending, rejected or disputed (zero once settled).
                function batchCommitment(uint256 jobId, uint256 batchId) external view returns (bytes32 commitment);
                /// Withdrawable balance of `account` in `token` (zero: ETH).
                function creditOf(address token, address account) external view returns (uint256 amount);
                /// Word `wordPos` of `annotator`'s nonce bitmap (bit i set: nonce wordPos × 256 + i used).
                function nonceBitmap(address annotator, uint256 wordPos) external view returns (uint256 bitmap);
                /// EIP-712 domain separator of submitBatchBySig.
                function DOMAIN_SEPARATOR() external view returns (bytes32 separator);
                /// The admin.
                function admin() external view returns (address account);
                /// The proposed admin, if any.
                function pendingAdmin() external view returns (address account);
                /// Whether `account` may pause.
                function isPauser(address account) external view returns (bool enabled);
                /// Whether new work is paused, and the total seconds new work has been paused (claims are extended by it).
                function paused() external view returns (bool isPaused, uint64 pausedFor);
                /// Blocks new jobs, claims and submissions and stops the claim clock (a pauser).
                function pause() external;
                /// Lifts the pause (a pauser).
                function unpause() external;
                /// Grants or revokes a pauser (the admin).
                function setPauser(address account, bool enabled) external;
                /// Proposes a new admin (the admin).
                function transferAdmin(address newAdmin) external;
                /// Accepts the admin role (the proposed admin).
                function acceptAdmin() external;

                /// A job was created and `escrow` (= taskCount × rewardPerTask; on a weighted job units × rewardPerTask) locked; the arbiter of terms `arbiterTerms` rules on its disputes.
                event JobCreated(uint256 indexed jobId, address indexed creator, address indexed token, bytes32 dataRoot, bytes32 metadataHash, uint32 taskCount, uint128 rewardPerTask, uint256 escrow, uint32 arbiterTerms);
                /// A weighted job's difficulty classes, as `createWeightedJob` took them (emitted after `JobCreated`, whose `escrow`
                /// is `rewardPerTask × Σ tasks × weight`).
                event JobDifficulty(uint256 indexed jobId, bytes difficulty);
                /// `arbiter` offered terms `termsId` for jobs paid in `token`.
                event ArbiterTermsRegistered(uint32 indexed termsId, address indexed arbiter, address indexed token, uint128 fee, uint128 bond, uint32 disputeWindow, uint32 rulingWindow);
                /// `annotator` reserved `tasks` (packed uint32) until `expiresAt` (plus any pause).
                event TasksClaimed(uint256 indexed jobId, address indexed annotator, uint64 expiresAt, bytes tasks);
                /// The claim of `annotator` on `tasks` was given up (by the annotator) or expired (released by `by`).
                event ClaimReleased(uint256 indexed jobId, address indexed annotator, address by, bytes tasks);
                /// `annotator` submitted batch `batchId`: labels for `tasks` (packed uint32) in `payload`
                /// (one class byte per task, or a 32-byte commitment), under review until `submittedAt + reviewWindow`.
                event LabelsSubmitted(uint256 indexed jobId, uint256 indexed batchId, address indexed annotator, uint64 submittedAt, bytes tasks, bytes payload);
                /// Batch `batchId` was reviewed at `reviewedAt` (`automatic`: approved after its window by anyone): `approved` tasks
                /// earned `amount` (`rewardPerTask × Σ` their weights), `rejected` tasks are held until their rejection is settled. `verdicts`: empty, or one byte per
                /// task (0 approved).
                event BatchReviewed(uint256 indexed jobId, uint256 indexed batchId, address indexed annotator, uint64 reviewedAt, uint32 approved, uint32 rejected, uint256 amount, bool automatic, bytes verdicts);
                /// `annotator` disputed the rejection of batch `batchId` at `disputedAt`, bonding `bond`.
                event RejectionDisputed(uint256 indexed jobId, uint256 indexed batchId, address indexed annotator, uint64 disputedAt, uint256 bond);
                /// The rejection of `tasks` tasks of batch `batchId` was settled: `outcome` 1 accepted (undisputed; tasks reopened),
                /// 2 upheld by the arbiter (tasks reopened), 3 overturned by the arbiter (annotator paid), 4 unruled in time (annotator paid).
                event RejectionSettled(uint256 indexed jobId, uint256 indexed batchId, address indexed annotator, uint8 outcome, uint32 tasks);
                /// `amount` of `token` (zero: ETH) was sent to `to`.
                event RewardPaid(address indexed token, address indexed to, uint256 amount);
                /// `amount` of `token` was credited to `to`'s withdrawable balance (a direct payment failed).
                event RewardCredited(address indexed token, address indexed to, uint256 amount);
                /// `to` withdrew `amount` of `token`.
                event Withdrawn(address indexed token, address indexed to, uint256 amount);
                /// Every task of the job was approved.
                event JobCompleted(uint256 indexed jobId);
                /// The job was cancelled by its creator (or closed after its deadline by `by`); `refund` went back to the creator.
                event JobCancelled(uint256 indexed jobId, address by, uint256 refund);
                /// Escrow of a cancelled job that was still reserved came free and went back to the creator.
                event EscrowRefunded(uint256 indexed jobId, uint256 amount);
                /// `annotator` marked the nonces of `mask` in word `wordPos` as used.
                event NoncesInvalidated(address indexed annotator, uint256 wordPos, uint256 mask);
                /// `account` paused new work.
                event Paused(address account);
                /// `account` lifted the pause.
                event Unpaused(address account);
                /// The admin set `account`'s pauser flag.
                event PauserSet(address indexed account, bool enabled);
                /// The admin proposed `newAdmin`.
                event AdminTransferStarted(address indexed previousAdmin, address indexed newAdmin);
                /// `newAdmin` accepted the admin role.
                event AdminTransferred(address indexed previousAdmin, address indexed newAdmin);

                /// The caller may not do this.
                error Unauthorized(address account);
                /// New work is paused.
                error EnforcedPause();
                /// Not paused.
                error ExpectedPause();
                /// Zero address where an account is required.
                error ZeroAddress();
                /// A createJob parameter is out of range; `field` says which (see the README table).
                error InvalidJobParameter(uint8 field);
                /// Arbiter terms out of range: 1 the bond is below the fee, 2 a window is outside one hour to 30 days.
                error InvalidTerms(uint8 field);
                /// The ETH sent does not equal what the call takes (escrow, review deposit or dispute bond; ETH sent to a token job).
                error WrongEscrow(uint256 expected, uint256 received);
                /// A call to `token` failed, or its answer was not a successful ERC-20 answer.
                error TokenCallFailed(address token);
                /// The token delivered `received` instead of `expected` (fee-on-transfer or rebasing tokens are refused).
                error UnsupportedToken(address token, uint256 expected, uint256 received);
                /// No such job.
                error JobNotFound(uint256 jobId);
                /// The job is not in a state that allows this (`status`: 1 open, 2 completed, 3 cancelled).
                error JobNotOpen(uint256 jobId, uint8 status);
                /// The job's submission deadline has passed.
                error SubmissionClosed(uint256 jobId, uint64 deadline);
                /// A list must hold 1..=`max` entries.
                error BadBatchSize(uint256 size, uint256 max);
                /// Task ids must be strictly ascending; `taskId` is not.
                error TaskOrder(uint32 taskId);
                /// The task id is not below the job's task count.
                error TaskOutOfRange(uint32 taskId);
                /// The task is submitted, approved, or held under a rejection.
                error TaskTaken(uint32 taskId);
                /// Another annotator's claim holds the task until `expiresAt`.
                error TaskClaimed(uint32 taskId, uint64 expiresAt);
                /// The annotator would hold more than the job's `maxHeld` tasks (claimed, or awaiting review).
                error HoldLimit(uint32 held, uint16 maxHeld);
                /// The job has had the most distinct claimers it can track.
                error TooManyAnnotators();
                /// The annotator still has an open claim on this job (until `expiresAt`).
                error ClaimStillOpen(uint64 expiresAt);
                /// The annotator does not hold a claim on this task.
                error NotClaimed(uint32 taskId);
                /// Only the annotator may release a claim before `expiresAt`.
                error ClaimNotExpired(uint64 expiresAt);
                /// The payload has the wrong length or a zero commitment.
                error InvalidPayload();
                /// Class `label` of task `taskId` is not below the job's class count.
                error InvalidLabel(uint32 taskId, uint8 label);
                /// The batch data does not match a batch in the state this call needs.
                error UnknownBatch(uint256 batchId);
                /// The review window of the batch ended at `reviewEnd`: it can only be approved.
                error ReviewClosed(uint256 batchId, uint64 reviewEnd);
                /// The review window of the batch is open until `reviewEnd`.
                error ReviewOpen(uint256 batchId, uint64 reviewEnd);
                /// The dispute (or ruling) window of the batch ended at `end`.
                error DisputeClosed(uint256 batchId, uint64 end);
                /// The dispute (or ruling) window of the batch is open until `end`.
                error DisputeOpen(uint256 batchId, uint64 end);
                /// The signature's deadline has passed.
                error SignatureExpired(uint256 deadline);
                /// The signature is malformed, malleable or not the annotator's.
                error InvalidSignature();
                /// The annotator's nonce was used or invalidated.
                error NonceUsed(address annotator, uint256 nonce);
                /// Nothing to withdraw.
                error NothingToWithdraw();
                /// A withdrawal transfer failed.
                error WithdrawFailed(address token, address to);
                /// A counter would overflow.
                error Overflow();
                /// The calldata is too short, has an out-of-range value or a bad offset.
                error InvalidCalldata();
                /// No function has this selector (plain ETH transfers are refused too).
                error UnknownFunction(bytes4 selector);
                /// ETH was sent to a function that does not take it.
                error NotPayable();
            }
        }
    };
}

#[cfg(feature = "export-abi")]
declare_interface!(#[sol(abi)]);
#[cfg(not(feature = "export-abi"))]
declare_interface!();

pub use IAnnotationMarket::*;

/// JSON ABI of every function, event and custom error of the market.
#[cfg(feature = "export-abi")]
pub fn events_and_errors_abi() -> alloy_json_abi::JsonAbi {
    IAnnotationMarket::abi::contract()
}
