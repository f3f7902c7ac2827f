//! Functions, events and custom errors of the QualityHub, declared once in
//! Solidity syntax: the single source of its selectors and of
//! `abi/QualityHub.{sol,json}`.
#![allow(missing_docs)] // items are documented in Solidity syntax below
#![allow(clippy::too_many_arguments)]

use stylus_sdk::alloy_sol_types::sol;

macro_rules! declare_interface {
    ($(#[$attr:meta])*) => {
        sol! {
            $(#[$attr])*
            #[sol(all_derives)]
            interface IQualityHub {
                /// Adds `amount` of the staking token (transferFrom the caller; the token is fixed at construction and must not charge transfer fees).
                function stake(uint128 amount) external;
                /// Moves `amount` of unlocked stake into the unstake queue; withdrawable after the cooldown.
                function requestUnstake(uint128 amount) external;
                /// Sends the caller's queued stake once its cooldown has passed.
                function withdrawStake() external returns (uint128 amount);
                /// Creates a consensus job and escrows `replication × taskCount × rewardPerTask` ETH (msg.value, exact).
                /// `goldCommitment` (zero: none) hides the creator's answer key: `keccak256(abi.encodePacked(jobId, tasks, labels, salt))`
                /// with `tasks` packed uint32, one label byte per task; reveal it with `revealBatch(jobId, 0, …)` during the reveal phase (at most 64 gold tasks): on them the gold label is the consensus, and a batch
                /// that gets fewer than half of its gold tasks right is paid nothing and slashed at the full rate.
                function createJob(bytes32 dataRoot, uint128 rewardPerTask, uint32 taskCount, uint8 replication, uint8 numClasses, uint16 quorumBps, uint32 commitDuration, uint32 revealDuration, uint32 settleDuration, uint128 minStake, uint16 slashBps, uint8 slashTo, uint16 minReputationBps, bytes32 goldCommitment) external payable returns (uint256 jobId);
                /// Batch calls take `tasks` as packed big-endian uint32 (`abi.encodePacked(uint32…)`, 4 bytes a task, 1 to 64 tasks):
                /// a third of the calldata gas of `uint32[]`.
                /// Commits a vote on each of `tasks` (commit phase): `commitment = keccak256(abi.encodePacked(jobId, annotator, labels, salt))`.
                function commitBatch(uint256 jobId, bytes tasks, bytes32 commitment) external returns (uint256 batchId);
                /// Reveals a committed batch (reveal phase, its annotator): one class byte per task, and the salt. Batch 0 is the
                /// creator's gold key (anyone holding it may reveal it).
                function revealBatch(uint256 jobId, uint256 batchId, bytes tasks, bytes labels, bytes32 salt) external;
                /// Settles a revealed batch (settle phase, anyone): pays agreeing votes, slashes disagreeing ones.
                function settleBatch(uint256 jobId, uint256 batchId, address annotator, bytes tasks, bytes labels) external;
                /// Forfeits an unrevealed batch (after the reveal phase, anyone), slashing at the full rate.
                function forfeitBatch(uint256 jobId, uint256 batchId, address annotator, bytes tasks, bytes32 commitment) external;
                /// Closes a job after its settle phase (anyone): the remaining escrow is credited to the creator.
                function closeJob(uint256 jobId) external;
                /// After a job is closed: unlocks the caller's stake still locked there (batches left unsettled) and pays the
                /// caller's share of the slashed stake (agreeing annotators pro rata, or the creator).
                function claimSlashShare(uint256 jobId) external returns (uint128 amount);
                /// Sends the caller's ETH credit to `to`.
                function withdraw(address to) external returns (uint256 amount);
                /// Number of jobs; ids run from 1.
                function jobCount() external view returns (uint256);
                /// A job's terms, phase ends and accounts. Status 0 = none, 1 = open, 2 = closed.
                function getJob(uint256 jobId) external view returns (address creator, bytes32 dataRoot, uint128 rewardPerTask, uint32 taskCount, uint8 replication, uint8 numClasses, uint16 quorumBps, uint16 slashBps, uint8 slashTo, uint8 status, uint128 minStake, uint16 minReputationBps, uint64 commitEnd, uint64 revealEnd, uint64 settleEnd, uint32 batches, uint128 escrow, uint128 slashPool, uint64 agreedTotal);
                /// A task's votes: committed holders, the winning class (the gold label on a gold task) and its votes, whether that is a
                /// consensus, and the task's lane: class c's count at bits b·c..b·c+b−1 (b = 2 bits for replication ≤ 3, 3 for ≤ 7,
                /// else 4), then the gold label + 1 (4 bits), then the holders (4 bits).
                function consensusOf(uint256 jobId, uint32 taskId) external view returns (uint8 holders, uint8 label, uint8 votes, bool reached, uint64 tallies);
                /// An annotator in a job: agreeing and judged labels, open batches, stake still locked, slash share claimed.
                function recordOf(uint256 jobId, address annotator) external view returns (uint32 agreed, uint32 judged, uint32 openBatches, uint128 locked, bool claimed);
                /// Stake of `annotator`: total, locked by jobs, queued for withdrawal and when.
                function stakeOf(address annotator) external view returns (uint128 staked, uint128 locked, uint128 pending, uint64 readyAt);
                /// Reputation of `annotator`: labels judged, labels agreeing, recency-weighted agreement score.
                function reputationOf(address annotator) external view returns (uint64 judged, uint64 agreed, uint16 scoreBps);
                /// ETH credit of `account`.
                function creditOf(address account) external view returns (uint256 amount);

                event Staked(address indexed annotator, uint128 amount, uint128 staked);
                event UnstakeRequested(address indexed annotator, uint128 amount, uint64 readyAt);
                event StakeWithdrawn(address indexed annotator, uint128 amount);
                event StakeLocked(uint256 indexed jobId, address indexed annotator, uint128 amount);
                event StakeUnlocked(uint256 indexed jobId, address indexed annotator, uint128 amount);
                /// The terms are in `getJob`.
                event JobCreated(uint256 indexed jobId, address indexed creator, bytes32 dataRoot, uint32 taskCount, uint8 replication, uint256 escrow);
                /// `tasks` are the task ids packed as big-endian uint32.
                event BatchCommitted(uint256 indexed jobId, uint256 indexed batchId, address indexed annotator, bytes32 commitment, bytes tasks);
                event BatchRevealed(uint256 indexed jobId, uint256 indexed batchId, address indexed annotator, bytes labels);
                /// `goldFailed`: the batch got fewer than half of its gold tasks right (paid nothing, slashed at the full rate).
                event BatchSettled(uint256 indexed jobId, uint256 indexed batchId, address indexed annotator, uint32 agreed, uint32 disagreed, uint256 paid, uint128 slashed, bool goldFailed);
                event BatchForfeited(uint256 indexed jobId, uint256 indexed batchId, address indexed annotator, uint128 slashed);
                event ReputationUpdated(address indexed annotator, uint64 judged, uint64 agreed, uint16 scoreBps);
                event JobClosed(uint256 indexed jobId, uint256 refund, uint128 slashPool);
                event GoldRevealed(uint256 indexed jobId, uint32 tasks);
                event SlashShareClaimed(uint256 indexed jobId, address indexed account, uint128 amount);
                event Withdrawn(address indexed account, address to, uint256 amount);

                /// A job parameter is out of range: 1 taskCount, 2 reward, 3 replication, 4 classes, 5 quorum, 6 durations, 7 slash, 8 reputation, 9 escrow overflow.
                error InvalidParameter(uint8 field);
                error WrongEscrow(uint256 expected, uint256 received);
                error ZeroAmount();
                error TokenCallFailed(address token);
                error InsufficientStake(uint256 available, uint256 required);
                error CooldownActive(uint64 readyAt);
                error JobNotFound(uint256 jobId);
                /// The call is not allowed in the job's current phase: 1 commit, 2 reveal, 3 settle, 4 closed.
                error WrongPhase(uint256 jobId, uint8 phase);
                /// `size` is the length of the packed `tasks` in bytes (4 a task), `max` the most tasks.
                error BadBatchSize(uint256 size, uint256 max);
                error TaskOutOfRange(uint32 taskId);
                error AlreadyVoted(uint32 taskId);
                error TaskFull(uint32 taskId);
                error ZeroCommitment();
                error ReputationTooLow(uint16 scoreBps, uint16 required);
                error UnknownBatch(uint256 batchId);
                error BatchMismatch(uint256 batchId);
                error InvalidLabel(uint32 taskId, uint8 label);
                error NothingToClaim();
                error NothingToWithdraw();
                error WithdrawFailed(address to);
                error InvalidCalldata();
                error UnknownFunction(bytes4 selector);
                error NotPayable();
            }
        }
    };
}

#[cfg(feature = "export-abi")]
declare_interface!(#[sol(abi)]);
#[cfg(not(feature = "export-abi"))]
declare_interface!();

pub use IQualityHub::*;

/// JSON ABI of every function, event and custom error of the hub.
#[cfg(feature = "export-abi")]
pub fn events_and_errors_abi() -> alloy_json_abi::JsonAbi {
    IQualityHub::abi::contract()
}

/// `cargo stylus export-abi` text for the functions: empty, because the hub
/// routes calls itself and declares them in the `sol!` interface above.
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
            <crate::QualityHub as GenerateAbi>::fmt_constructor_signature(f)
        }
    }
    Printer.to_string()
}
