//! # QualityHub
//!
//! Jobs whose labels are paid by **consensus**, not by a creator's review:
//! annotators stake, vote on each task with commit–reveal, and the majority
//! decides who is paid and who is slashed. An Arbitrum Stylus program
//! (stylus-sdk 0.10), separate from the AnnotationMarket because the market
//! has ~400 B of code headroom left.
//!
//! ## Rules
//! - **Stake**: annotators stake the hub's staking token (RewardToken on the
//!   local chain). Joining a job locks its `minStake` until every batch the
//!   annotator committed there is settled or forfeited; unstaking waits
//!   [`UNSTAKE_COOLDOWN`] and only touches unlocked stake.
//! - **Job**: the creator escrows `replication × taskCount × rewardPerTask`
//!   ETH with `3 ≤ replication ≤ 15`, `2 ≤ classes ≤ 15`, a quorum
//!   (`quorumBps` of the `replication` votes, more than half), three phase
//!   lengths (commit, reveal, settle), a slash rate and where slashes go
//!   (the job's agreeing annotators, or the creator — never an admin: the hub
//!   has none).
//! - **Batch calls** take the task ids packed (`bytes`, 4 big-endian bytes a
//!   task): a third of the calldata gas of `uint32[]`.
//! - **Commit** (commit phase): a batch of up to 64 tasks and
//!   `commitment = keccak256(jobId ‖ annotator ‖ labels ‖ salt)`; at most
//!   `replication` voters per task, one vote per annotator per task.
//! - **Reveal** (reveal phase): labels and salt; the votes are tallied per task.
//!   Labels already on chain cannot be copied before the commit phase ends.
//! - **Consensus**: a task's label wins when it has the single highest count
//!   and at least `quorumBps × replication / 10,000` votes. Ties and missing
//!   quorum leave the task without consensus: nobody is paid or slashed for
//!   it and its bounty returns to the creator.
//! - **Settle** (settle phase, anyone): each vote with the consensus gets
//!   `replication × rewardPerTask / (votes for the winner)` — the task's whole
//!   bounty shared by those who agreed; each vote against it costs
//!   `minStake × slashBps / 10,000 × (against / batch size)` of stake, never
//!   more than what the job locked. An unrevealed batch is forfeited by anyone
//!   after the reveal phase at the full rate.
//! - **Close** (after the settle phase, anyone): the escrow left (bounties of
//!   tasks without consensus, integer remainders, unsettled batches) is
//!   credited to the creator; slashed stake is claimed by the agreeing
//!   annotators pro rata to their agreeing votes, or by the creator.
//! - **Gold tasks** (optional): the creator commits an answer key at creation
//!   and reveals it in the reveal phase as batch 0 (`revealBatch(jobId, 0, …)`,
//!   at most 64 gold tasks). On a gold task the gold label is the
//!   consensus; a batch that gets fewer than half of its gold tasks right is
//!   paid nothing and slashed at the full rate. Annotators cannot tell gold
//!   tasks apart, so random or coordinated-but-lazy voting loses money even
//!   where it could outvote honest annotators (`labelmint simulate`).
//! - **Reputation** per annotator: labels judged, labels agreeing, and a
//!   recency-weighted score (exponential average, weight 1/8 per batch). A job
//!   may require a minimum score from annotators with 20 or more judged labels.
//! - Money moves by pull (`withdraw`, `withdrawStake`, `claimSlashShare`).
#![cfg_attr(not(any(test, feature = "export-abi")), no_main, no_std)]
#![warn(clippy::arithmetic_side_effects)]

extern crate alloc;

mod hub;
mod interface;

pub use hub::QualityHub;
pub use interface::*;

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
/// each), so lanes are 12 to 64 bits wide and share storage slots: the
/// default job (3 votes, 4 classes) packs 16 tasks into one slot.
pub const MAX_CLASSES: u8 = 14;
/// Judged labels after which a job's `minReputationBps` applies.
pub const REPUTATION_SAMPLE: u64 = 20;
/// Where slashed stake goes: the job's agreeing annotators.
pub const SLASH_TO_ANNOTATORS: u8 = 0;
/// Where slashed stake goes: the creator.
pub const SLASH_TO_CREATOR: u8 = 1;
