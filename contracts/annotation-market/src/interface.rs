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
                /// Creates a job and escrows `replication × taskCount × rewardPerTask` of `token` (zero: ETH as msg.value).
                function createJob(bytes32 dataRoot, bytes32 metadataHash, address token, uint128 rewardPerTask, uint32 taskCount, uint8 replication, uint8 schema, uint16 numClasses, uint32 claimDuration, uint64 submitDeadline, uint32 reviewWindow, uint16 maxClaim, uint8 consensus, uint256 minStake) external payable returns (uint256 jobId);
                /// `createJob` for an EIP-2612 token with the escrow's permit: `permit = abi.encode(uint256 deadline, uint8 v, bytes32 r, bytes32 s)`.
                function createJobWithPermit(bytes32 dataRoot, bytes32 metadataHash, address token, uint128 rewardPerTask, uint32 taskCount, uint8 replication, uint8 schema, uint16 numClasses, uint32 claimDuration, uint64 submitDeadline, uint32 reviewWindow, uint16 maxClaim, uint8 consensus, uint256 minStake, bytes permit) external returns (uint256 jobId);
                /// Cancels an open job (creator; anyone after the deadline) and refunds its open replicas.
                function cancelJob(uint256 jobId) external;
                /// Reserves tasks for the caller until `min(now + claimDuration, submitDeadline)`.
                function claimTasks(uint256 jobId, uint32[] taskIds) external returns (uint64 expiresAt);
                /// Gives up claimed tasks (the annotator any time, anyone after expiry).
                function releaseClaim(uint256 jobId, address annotator, uint32[] taskIds) external;
                /// Submits labels for claimed tasks as one batch.
                function submitBatch(uint256 jobId, uint32[] taskIds, bytes payload) external returns (uint256 batchId);
                /// `submitBatch` relayed with the annotator's EIP-712 signature (EOA or EIP-1271).
                function submitBatchBySig(address annotator, uint256 jobId, uint32[] taskIds, bytes payload, uint256 deadline, bytes signature) external returns (uint256 batchId);
                /// The creator approves or rejects (per-task verdict bytes, 0 = approve) a batch in its review window.
                function reviewBatch(uint256 jobId, uint256 batchId, address annotator, uint64 submittedAt, uint32[] taskIds, bytes verdicts) external;
                /// Approves whole batches (up to 32; `taskCounts[i]` tasks of the flattened `taskIds` each): the creator at any time,
                /// anyone once each batch's review window has passed. Consecutive batches of one annotator are paid with one transfer.
                function approveBatches(uint256 jobId, uint256[] batchIds, address[] annotators, uint64[] submittedAts, uint32[] taskCounts, uint32[] taskIds) external;
                /// Sends the caller's credited `token` balance (zero: ETH) to `to`.
                function withdraw(address token, address to) external returns (uint256 amount);
                /// Number of jobs; ids run from 1.
                function jobCount() external view returns (uint256);
                /// Everything about a job: who, what and how much, its terms, and its progress
                /// (replicas reserved and approved, batches submitted, escrow still held). Status 0 = no such job.
                function getJob(uint256 jobId) external view returns (address creator, address token, uint128 rewardPerTask, uint32 taskCount, uint8 replication, uint8 schema, uint16 numClasses, uint8 status, bytes32 dataRoot, bytes32 metadataHash, uint32 claimDuration, uint64 submitDeadline, uint32 reviewWindow, uint16 maxClaim, uint8 consensus, uint32 reserved, uint32 approved, uint32 batches, uint256 escrow);
                /// An annotator's counters on a job and the expiry of their claim.
                function annotatorRecord(uint256 jobId, address annotator) external view returns (uint32 open, uint32 pending, uint32 approved, uint32 rejected, uint32 released, uint64 claimExpiry);
                /// How many annotators hold the task (claimed, pending or approved), and `annotator`'s state on it
                /// (0 none, 1 claimed, 2 submitted, 3 released).
                function taskInfo(uint256 jobId, address annotator, uint32 taskId) external view returns (uint8 holders, uint8 state);
                /// Commitment of a pending batch (zero once settled).
                function batchCommitment(uint256 jobId, uint256 batchId) external view returns (bytes32 commitment);
                /// Withdrawable balance of `account` in `token` (zero: ETH).
                function creditOf(address token, address account) external view returns (uint256 amount);
                /// Next submitBatchBySig nonce of `annotator`.
                function nonces(address annotator) external view returns (uint256 nonce);
                /// EIP-712 domain separator of submitBatchBySig.
                function DOMAIN_SEPARATOR() external view returns (bytes32 separator);
                /// The admin.
                function admin() external view returns (address account);
                /// The proposed admin, if any.
                function pendingAdmin() external view returns (address account);
                /// Whether `account` may pause.
                function isPauser(address account) external view returns (bool enabled);
                /// Whether new work is paused.
                function paused() external view returns (bool isPaused);
                /// Blocks new jobs, claims and submissions (a pauser).
                function pause() external;
                /// Lifts the pause (a pauser).
                function unpause() external;
                /// Grants or revokes a pauser (the admin).
                function setPauser(address account, bool enabled) external;
                /// Proposes a new admin (the admin).
                function transferAdmin(address newAdmin) external;
                /// Accepts the admin role (the proposed admin).
                function acceptAdmin() external;

                /// A job was created and `escrow` (= replication × taskCount × rewardPerTask) locked.
                event JobCreated(uint256 indexed jobId, address indexed creator, address indexed token, bytes32 dataRoot, bytes32 metadataHash, uint32 taskCount, uint8 replication, uint128 rewardPerTask, uint256 escrow);
                /// `annotator` reserved `tasks` (packed uint32) until `expiresAt`.
                event TasksClaimed(uint256 indexed jobId, address indexed annotator, uint64 expiresAt, bytes tasks);
                /// The claim of `annotator` on `tasks` was given up (by the annotator) or expired (released by `by`).
                event ClaimReleased(uint256 indexed jobId, address indexed annotator, address by, bytes tasks);
                /// `annotator` submitted batch `batchId`: labels for `tasks` (packed uint32) in `payload`
                /// (one class byte per task, or a 32-byte commitment), under review until `submittedAt + reviewWindow`.
                event LabelsSubmitted(uint256 indexed jobId, uint256 indexed batchId, address indexed annotator, uint64 submittedAt, bytes tasks, bytes payload);
                /// `tasks` tasks of batch `batchId` were approved (`automatic`: after the review window) and `amount` earned.
                event WorkApproved(uint256 indexed jobId, uint256 indexed batchId, address indexed annotator, uint32 tasks, uint256 amount, bool automatic);
                /// Task `taskId` of batch `batchId` was rejected with `reason` and reopened.
                event WorkRejected(uint256 indexed jobId, uint256 indexed batchId, address indexed annotator, uint32 taskId, uint8 reason);
                /// `amount` of `token` (zero: ETH) was sent to `to`.
                event RewardPaid(address indexed token, address indexed to, uint256 amount);
                /// `amount` of `token` was credited to `to`'s withdrawable balance (a direct payment failed or was not attempted).
                event RewardCredited(address indexed token, address indexed to, uint256 amount);
                /// `to` withdrew `amount` of `token`.
                event Withdrawn(address indexed token, address indexed to, uint256 amount);
                /// Every task replica of the job was approved.
                event JobCompleted(uint256 indexed jobId);
                /// The job was cancelled by its creator (or closed after its deadline by `by`); `refund` went back to the creator.
                event JobCancelled(uint256 indexed jobId, address by, uint256 refund);
                /// Escrow of a cancelled job that was still reserved came free and went back to the creator.
                event EscrowRefunded(uint256 indexed jobId, uint256 amount);
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
                /// Consensus modes other than creator review arrive with the quality module.
                error UnsupportedConsensus(uint8 mode);
                /// Stake requirements arrive with the staking module.
                error StakingUnavailable(uint256 minStake);
                /// The ETH sent does not equal the escrow (or ETH was sent to a token job).
                error WrongEscrow(uint256 expected, uint256 received);
                /// A call to `token` failed or returned false.
                error TokenCallFailed(address token);
                /// The token delivered `received` instead of `expected` (fee-on-transfer or rebasing tokens are refused).
                error UnsupportedToken(address token, uint256 expected, uint256 received);
                /// No such job.
                error JobNotFound(uint256 jobId);
                /// The job is not in a state that allows this (`status`: 1 open, 2 completed, 3 cancelled).
                error JobNotOpen(uint256 jobId, uint8 status);
                /// The job's submission deadline has passed.
                error SubmissionClosed(uint256 jobId, uint64 deadline);
                /// A batch must hold 1..=`max` tasks.
                error BadBatchSize(uint256 size, uint256 max);
                /// The task id is not below the job's task count.
                error TaskOutOfRange(uint32 taskId);
                /// The annotator already held or labelled this task.
                error TaskAlreadyTaken(uint32 taskId);
                /// The task already has `replication` holders.
                error TaskFull(uint32 taskId);
                /// The annotator still has an open claim on this job (until `expiresAt`).
                error ClaimStillOpen(uint64 expiresAt);
                /// The annotator does not hold a claim on this task.
                error NotClaimed(uint32 taskId);
                /// The claim expired at `expiresAt`.
                error ClaimExpired(uint64 expiresAt);
                /// Only the annotator may release a claim before `expiresAt`.
                error ClaimNotExpired(uint64 expiresAt);
                /// The payload has the wrong length or a zero commitment.
                error InvalidPayload();
                /// Class `label` of task `taskId` is not below the job's class count.
                error InvalidLabel(uint32 taskId, uint8 label);
                /// The batch data does not match a pending batch.
                error UnknownBatch(uint256 batchId);
                /// The review window of the batch ended at `reviewEnd`: it can only be approved.
                error ReviewClosed(uint256 batchId, uint64 reviewEnd);
                /// The review window of the batch is open until `reviewEnd`.
                error ReviewOpen(uint256 batchId, uint64 reviewEnd);
                /// The signature's deadline has passed.
                error SignatureExpired(uint256 deadline);
                /// The signature is malformed, malleable or not the annotator's.
                error InvalidSignature();
                /// Nothing to withdraw.
                error NothingToWithdraw();
                /// A withdrawal transfer failed.
                error WithdrawFailed(address token, address to);
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

/// `cargo stylus export-abi` text for the functions: empty, because the
/// market routes calls itself (see `market.rs`) and declares its functions in
/// the `sol!` interface above, which `events_and_errors_abi` includes.
#[cfg(feature = "export-abi")]
pub fn functions_sol() -> String {
    String::new()
}

/// The constructor signature as `cargo stylus export-abi constructor` prints it.
#[cfg(feature = "export-abi")]
pub fn constructor_sol() -> String {
    use stylus_sdk::abi::export::GenerateAbi;
    struct Printer;
    impl core::fmt::Display for Printer {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            <crate::AnnotationMarket as GenerateAbi>::fmt_constructor_signature(f)
        }
    }
    Printer.to_string()
}
