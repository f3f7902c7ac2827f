//! # labelmint-hub-common
//!
//! What the QualityHub's two programs share: the interface, the constants,
//! the storage layout and the consensus rules. The hub is one contract to
//! its users (one address, one ABI) run by two Stylus programs, as the
//! AnnotationMarket is: `quality-hub` holds the hot paths (stake, commit,
//! reveal, settle, forfeit, withdraw) and hands every other selector by
//! `DELEGATECALL` to `quality-hub-ext` (jobs, the gold key, the arbiter's
//! rulings, closing, slash shares, unstaking, views).
//!
//! ## The QualityHub
//!
//! Jobs whose labels are paid by **consensus**: annotators stake the hub's
//! token, vote on each task with commit–reveal, and the votes decide who is
//! paid and who is slashed. Jobs are paid in the staking token, so that the
//! contract can compare what a vote risks with what it can earn.
//!
//! ## Rules (issue #15: each holds against a party that reads the chain)
//! - **Stake per vote.** Each committed vote locks `stakePerVote` until its
//!   batch is settled or forfeited; a job refuses a stake below the most one
//!   vote can earn (`bounty / fewest winning votes`), so withholding a vote
//!   never costs less than revealing it could have earned (a hedging cartel
//!   that reveals only the hedge that matches loses a stake per dropped
//!   hedge), and filling slots costs at least the bounties it blocks.
//! - **Consensus on revealed votes.** A label wins with a single highest
//!   count, at least `quorumBps` of the revealed votes, and more than half of
//!   the `k` slots revealed; `quorumBps` is at most 80 %. Unrevealed votes
//!   neither help nor block.
//! - **Escalation.** A task whose revealed votes reach no consensus, and a
//!   gold task whose votes contradict the key by a consensus of their own,
//!   go to the job's arbiter (terms from the AnnotationMarket's registry),
//!   who rules within its window after the reveal phase; its fee comes from
//!   the task's bounty. A contested gold label the arbiter leaves unruled
//!   falls (the votes' consensus decides); a task without consensus left
//!   unruled pays each revealed vote a participation share and returns the
//!   rest.
//! - **Pay.** Agreeing votes share the task's bounty (less the fee when
//!   ruled), never fewer than the fewest that can win; a disagreeing vote
//!   loses `slashBps` of its stake; a batch that gets fewer than half of its
//!   gold tasks right is paid nothing and loses its whole stake; an
//!   unrevealed batch loses its whole stake. Whoever settles or forfeits
//!   another's batch earns [`KEEPER_BPS`] of its slash.
//! - **Gold.** The creator commits `keccak256(creator ‖ tasks ‖ labels ‖
//!   salt)` (bound to its address, not to a guessed job id) for at least
//!   [`MIN_GOLD_BPS`] of the tasks, with a bond of one reward and one
//!   arbiter's fee per gold task. The key is revealed in one call during the
//!   reveal phase; a key not revealed by the end of it forfeits the whole
//!   bond to the annotators, and each gold label the arbiter overturns
//!   costs its share (the fee to the arbiter, the reward to the pool).
//! - **Slashes never reach the creator**: the pool goes to the job's
//!   agreeing votes pro rata; with none, it stays in the hub for good.
//! - **Phases** last one hour to 30 days each.
//! - **Reputation** counts every judged label alike (agreed ÷ judged) and
//!   the stake that was at risk on them; a job's `minReputationBps` refuses
//!   anyone whose judged stake is below 20 of the job's votes, so fresh
//!   addresses and history bought with dust stakes do not pass.
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
#![warn(clippy::arithmetic_side_effects)]

mod interface;
mod rules;
mod state;

pub use interface::*;
pub use rules::*;
pub use state::*;

/// Basis points in a whole.
pub const BPS: u16 = 10_000;
/// Seconds between `requestUnstake` and `withdrawStake`.
pub const UNSTAKE_COOLDOWN: u64 = 3 * 86_400;
/// Most tasks in one batch.
pub const MAX_BATCH: usize = 64;
/// Most votes per task (4-bit tallies).
pub const MAX_REPLICATION: u8 = 15;
/// Most classes. A task's lane holds one count per class (2, 3 or 4 bits
/// as the replication needs), its gold label + 1 and its holders (4 bits
/// each), so lanes are 12 to 64 bits wide and share storage slots.
pub const MAX_CLASSES: u8 = 14;
/// Highest quorum: a supermajority, never unanimity.
pub const MAX_QUORUM_BPS: u16 = 8_000;
/// Shortest phase (commit, reveal, settle), in seconds: well above
/// Arbitrum's timestamp latitude.
pub const MIN_PHASE: u32 = 3_600;
/// Longest phase, in seconds (30 days).
pub const MAX_PHASE: u32 = 30 * 86_400;
/// Fewest gold tasks, in basis points of the tasks (rounded up).
pub const MIN_GOLD_BPS: u16 = 1_000;
/// Most gold tasks one key holds (one `revealGold` call).
pub const MAX_GOLD: u32 = 4_096;
/// Share of a slash paid to whoever settles or forfeits another's batch.
pub const KEEPER_BPS: u16 = 1_000;
/// What a revealed vote on a task left undecided is paid, in basis points
/// of the reward per vote.
pub const PARTICIPATION_BPS: u16 = 2_500;
/// Votes' worth of a job's stake an annotator must have had judged before
/// that job's reputation floor lets it in.
pub const REPUTATION_SAMPLE: u128 = 20;

/// Phase: commit.
pub const PHASE_COMMIT: u8 = 1;
/// Phase: reveal.
pub const PHASE_REVEAL: u8 = 2;
/// Phase: settle (and the arbiter's rulings, during its window).
pub const PHASE_SETTLE: u8 = 3;
/// Phase: over, or closed.
pub const PHASE_CLOSED: u8 = 4;

/// `consensusOf` state: nothing revealed.
pub const TASK_EMPTY: u8 = 0;
/// `consensusOf` state: decided by the votes' consensus.
pub const TASK_CONSENSUS: u8 = 1;
/// `consensusOf` state: decided by the gold key.
pub const TASK_GOLD: u8 = 2;
/// `consensusOf` state: escalated, awaiting the arbiter.
pub const TASK_ESCALATED: u8 = 3;
/// `consensusOf` state: decided by the arbiter.
pub const TASK_RULED: u8 = 4;
/// `consensusOf` state: escalated and left unruled.
pub const TASK_UNDECIDED: u8 = 5;

/// `InvalidParameter` field codes.
pub mod field {
    /// `taskCount` is zero.
    pub const TASK_COUNT: u8 = 1;
    /// `rewardPerVote` is zero.
    pub const REWARD: u8 = 2;
    /// `replication` outside 3..=15.
    pub const REPLICATION: u8 = 3;
    /// `numClasses` outside 2..=14.
    pub const CLASSES: u8 = 4;
    /// `quorumBps` not above half or above [`super::MAX_QUORUM_BPS`].
    pub const QUORUM: u8 = 5;
    /// A phase shorter than an hour or longer than 30 days.
    pub const DURATIONS: u8 = 6;
    /// `slashBps` above 10,000.
    pub const SLASH: u8 = 7;
    /// `minReputationBps` above 10,000.
    pub const REPUTATION: u8 = 8;
    /// The escrow does not fit 128 bits.
    pub const ESCROW: u8 = 9;
    /// `stakePerVote` below the most one vote can earn.
    pub const STAKE: u8 = 10;
    /// No such terms, terms for another token, the creator as arbiter, or a
    /// fee above a task's bounty.
    pub const TERMS: u8 = 11;
    /// A zero commitment, or gold tasks outside the minimum rate..=min(tasks, 4,096).
    pub const GOLD: u8 = 12;
    /// Difficulty classes malformed: not 1 to 4 entries of 5 bytes, ends
    /// not strictly ascending or the last not `taskCount`, a zero weight.
    pub const DIFFICULTY: u8 = 13;
}

pub use stylus_kit::difficulty::{parse_difficulty, Difficulty, MAX_DIFFICULTY_CLASSES};
