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
                /// Adds `amount` of the staking token (transferFrom the caller, balance-checked).
                function stake(uint128 amount) external;
                /// Moves `amount` of unlocked stake into the unstake queue; withdrawable after the cooldown.
                function requestUnstake(uint128 amount) external;
                /// Sends the caller's queued stake once its cooldown has passed.
                function withdrawStake() external returns (uint128 amount);
                /// Creates a consensus job paid in the staking token: escrows `replication × taskCount × rewardPerVote` plus a gold
                /// bond of `goldTasks × (rewardPerVote + the arbiter's fee)` (transferFrom the caller). Each vote locks `stakePerVote` until its batch is
                /// settled; `stakePerVote` must cover the most one vote can earn. `arbiterTerms` (the AnnotationMarket's registry,
                /// terms in the staking token) names the expert for tasks without consensus and contested gold.
                /// `goldCommitment = keccak256(abi.encodePacked(creator, tasks, labels, salt))` hides `goldTasks` answers
                /// (tasks packed uint32, one label byte each), at least 10 % of the tasks, revealed with `revealGold`.
                function createJob(bytes32 dataRoot, uint128 rewardPerVote, uint32 taskCount, uint8 replication, uint8 numClasses, uint16 quorumBps, uint32 commitDuration, uint32 revealDuration, uint32 settleDuration, uint128 stakePerVote, uint16 slashBps, uint16 minReputationBps, uint32 arbiterTerms, bytes32 goldCommitment, uint32 goldTasks) external returns (uint256 jobId);
                /// `createJob` with tasks in difficulty classes: `difficulty` packs 1 to 4 classes of 5 bytes each, the class's end
                /// (big-endian uint32, exclusive; ends strictly ascending, the last = `taskCount`) and its weight (uint8, ≥ 1). The
                /// job's manifest orders its tasks by class. A task of weight `w` escrows and pays `w ×` the reward per vote, and each
                /// agreeing vote on it counts `w` labels (royalty shares, slash-pool shares, reputation); stakes stay per vote and
                /// must cover the most one vote on the heaviest class can earn.
                function createWeightedJob(bytes32 dataRoot, uint128 rewardPerVote, uint32 taskCount, uint8 replication, uint8 numClasses, uint16 quorumBps, uint32 commitDuration, uint32 revealDuration, uint32 settleDuration, uint128 stakePerVote, uint16 slashBps, uint16 minReputationBps, uint32 arbiterTerms, bytes32 goldCommitment, uint32 goldTasks, bytes difficulty) external returns (uint256 jobId);
                /// Batch calls take `tasks` as packed big-endian uint32 (`abi.encodePacked(uint32…)`, 4 bytes a task, 1 to 64 tasks).
                /// Commits a vote on each of `tasks` (commit phase), locking `stakePerVote` per task:
                /// `commitment = keccak256(abi.encodePacked(jobId, annotator, labels, salt))`.
                function commitBatch(uint256 jobId, bytes tasks, bytes32 commitment) external returns (uint256 batchId);
                /// Reveals a committed batch (reveal phase, its annotator): one class byte per task, and the salt.
                function revealBatch(uint256 jobId, uint256 batchId, bytes tasks, bytes labels, bytes32 salt) external;
                /// Reveals the creator's answer key (reveal phase, anyone holding it): every gold task, one label byte each.
                function revealGold(uint256 jobId, bytes tasks, bytes labels, bytes32 salt) external;
                /// The job's arbiter decides escalated tasks (no consensus among the revealed votes, or gold contradicted by
                /// their consensus) within its ruling window after the reveal phase; its fee per task comes from the task's bounty.
                function ruleTasks(uint256 jobId, bytes tasks, bytes labels) external;
                /// Settles a revealed batch (after the reveal phase, anyone): pays agreeing votes, slashes disagreeing ones, and
                /// pays a caller other than the annotator a share of the slash.
                function settleBatch(uint256 jobId, uint256 batchId, address annotator, bytes tasks, bytes labels) external;
                /// Forfeits an unrevealed batch (after the reveal phase, anyone): its whole stake is slashed, a share to the caller.
                function forfeitBatch(uint256 jobId, uint256 batchId, address annotator, bytes tasks, bytes32 commitment) external;
                /// Closes a job after its settle phase (anyone): the remaining escrow, and the gold bond unless forfeited, are credited
                /// to the creator. Batches left unsettled keep their stake locked for good.
                function closeJob(uint256 jobId) external;
                /// After a job is closed: credits the caller's share of the slashed stake (pro rata to its agreeing votes).
                function claimSlashShare(uint256 jobId) external returns (uint128 amount);
                /// Sends the caller's credit (staking token) to `to`.
                function withdraw(address to) external returns (uint256 amount);
                /// Number of jobs; ids run from 1.
                function jobCount() external view returns (uint256);
                /// A job's terms and phase ends (all zero for no such job).
                function getJob(uint256 jobId) external view returns (address creator, bytes32 dataRoot, uint128 rewardPerVote, uint32 taskCount, uint8 replication, uint8 numClasses, uint16 quorumBps, uint16 slashBps, uint128 stakePerVote, uint16 minReputationBps, uint64 commitEnd, uint64 revealEnd, uint64 rulingEnd, uint64 settleEnd, address arbiter, uint128 arbiterFee);
                /// A job's accounts. Status 0 none, 1 open, 2 closed.
                function jobAccounts(uint256 jobId) external view returns (uint8 status, uint32 batches, uint128 escrow, uint128 slashPool, uint32 agreedTotal, uint32 goldTasks, uint128 goldBond, bool goldRevealed);
                /// A task's votes now: committed holders, revealed votes, the leading (or decided) label and its votes, the state
                /// (0 nothing revealed, 1 consensus, 2 gold, 3 escalated to the arbiter, 4 ruled, 5 undecided after the ruling window),
                /// the arbiter's label + 1 (0: none), and the raw lane (class counts of 2/3/4 bits, gold + 1, holders).
                function consensusOf(uint256 jobId, uint32 taskId) external view returns (uint8 holders, uint8 revealed, uint8 label, uint8 votes, uint8 state, uint8 ruling, uint64 lane);
                /// An annotator in a job: agreeing and judged labels (each by its task's weight), open batches, stake still locked,
                /// slash share claimed.
                function recordOf(uint256 jobId, address annotator) external view returns (uint32 agreed, uint32 judged, uint32 openBatches, uint128 locked, bool claimed);
                /// Stake of `annotator`: total, locked by votes, queued for withdrawal and when.
                function stakeOf(address annotator) external view returns (uint128 staked, uint128 locked, uint128 pending, uint64 readyAt);
                /// Reputation of `annotator`: labels judged and agreeing (their ratio is the score), and the stake that was at risk on them.
                function reputationOf(address annotator) external view returns (uint64 judged, uint64 agreed, uint16 scoreBps, uint128 valueAtStake);
                /// Credit of `account` in the staking token.
                function creditOf(address account) external view returns (uint256 amount);
                /// The job-source view a dataset registry reads: creator, payment token (the staking token), data root, whether the
                /// accepted labels are final (the job is closed) and how many there are (agreeing votes settled).
                function jobSource(uint256 jobId) external view returns (address creator, address token, bytes32 dataRoot, bool settled, uint32 accepted);
                /// Agreeing votes of `annotator` settled on the job, each counted by its task's weight (its royalty shares).
                function acceptedLabels(uint256 jobId, address annotator) external view returns (uint32 accepted);
                /// The difficulty weight of a task: 1 on an unweighted job, 0 for no such job or task.
                function taskWeight(uint256 jobId, uint32 taskId) external view returns (uint8 weight);

                event Staked(address indexed annotator, uint128 amount, uint128 staked);
                event UnstakeRequested(address indexed annotator, uint128 amount, uint64 readyAt);
                event StakeWithdrawn(address indexed annotator, uint128 amount);
                /// The terms are in `getJob`; `escrow` includes the gold bond.
                event JobCreated(uint256 indexed jobId, address indexed creator, bytes32 dataRoot, uint32 taskCount, uint8 replication, uint256 escrow, uint32 arbiterTerms);
                /// A weighted job's difficulty classes, as `createWeightedJob` took them (emitted after `JobCreated`).
                event JobDifficulty(uint256 indexed jobId, bytes difficulty);
                /// `tasks` are the task ids packed as big-endian uint32; `locked` the stake the batch locks.
                event BatchCommitted(uint256 indexed jobId, uint256 indexed batchId, address indexed annotator, bytes32 commitment, bytes tasks, uint128 locked);
                event BatchRevealed(uint256 indexed jobId, uint256 indexed batchId, address indexed annotator, bytes labels);
                event GoldRevealed(uint256 indexed jobId, uint32 tasks);
                /// `tasks` packed uint32, one label byte each; `fees` the arbiter's fees (from the tasks' bounties, or from the gold
                /// bond for each gold label overturned, which also pays one reward into the slash pool).
                event TasksRuled(uint256 indexed jobId, address indexed arbiter, bytes tasks, bytes labels, uint128 fees);
                /// `agreed`/`disagreed` count votes (the record and `acceptedLabels` count them by weight).
                /// `goldFailed`: the batch got fewer than half of its gold tasks right (paid nothing, its whole stake slashed).
                /// `keeperShare` of `slashed` went to `keeper`, the caller (zero when the annotator settled its own batch).
                event BatchSettled(uint256 indexed jobId, uint256 indexed batchId, address indexed annotator, uint32 agreed, uint32 disagreed, uint256 paid, uint128 slashed, bool goldFailed, address keeper, uint128 keeperShare);
                event BatchForfeited(uint256 indexed jobId, uint256 indexed batchId, address indexed annotator, uint128 slashed, address keeper, uint128 keeperShare);
                event ReputationUpdated(address indexed annotator, uint64 judged, uint64 agreed, uint16 scoreBps, uint128 valueAtStake);
                /// `bondForfeited`: the gold bond went to the slash pool (the key was never revealed).
                event JobClosed(uint256 indexed jobId, uint256 refund, uint128 slashPool, bool bondForfeited);
                event SlashShareClaimed(uint256 indexed jobId, address indexed account, uint128 amount);
                event Withdrawn(address indexed account, address to, uint256 amount);

                /// A job parameter is out of range: 1 taskCount, 2 reward, 3 replication, 4 classes, 5 quorum, 6 durations, 7 slash,
                /// 8 reputation, 9 escrow overflow, 10 stakePerVote below the most one vote can earn, 11 arbiter terms, 12 gold,
                /// 13 difficulty classes.
                error InvalidParameter(uint8 field);
                error ZeroAmount();
                error TokenCallFailed(address token);
                error UnsupportedToken(address token, uint256 expected, uint256 received);
                error InsufficientStake(uint256 available, uint256 required);
                error CooldownActive(uint64 readyAt);
                error JobNotFound(uint256 jobId);
                /// The call is not allowed in the job's current phase: 1 commit, 2 reveal, 3 settle (and rulings), 4 closed.
                error WrongPhase(uint256 jobId, uint8 phase);
                /// `size` is the length of the packed `tasks` in bytes (4 a task), `max` the most tasks.
                error BadBatchSize(uint256 size, uint256 max);
                error TaskOutOfRange(uint32 taskId);
                error AlreadyVoted(uint32 taskId);
                error TaskFull(uint32 taskId);
                error ZeroCommitment();
                /// The annotator's score (or its judged stake, below 20 votes' worth of this job's stake) is too low.
                error ReputationTooLow(uint16 scoreBps, uint16 required);
                error UnknownBatch(uint256 batchId);
                /// The job's gold key was revealed already (there is none left to reveal).
                error GoldAlreadyRevealed(uint256 jobId);
                error BatchMismatch(uint256 batchId);
                error InvalidLabel(uint32 taskId, uint8 label);
                /// Task `taskId` is escalated and its arbiter may rule until `until`.
                error AwaitingRuling(uint32 taskId, uint64 until);
                /// Task `taskId` is not escalated, or was ruled already.
                error NotEscalated(uint32 taskId);
                error Unauthorized(address account);
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
