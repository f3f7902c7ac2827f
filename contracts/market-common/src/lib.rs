//! # labelmint-market-common
//!
//! What the AnnotationMarket's two programs share: the interface, the
//! constants, the storage layout and the rules both apply. The market is one
//! contract to its users (one address, one ABI) run by two Stylus programs,
//! because all of it does not fit the 24 KiB code limit: `annotation-market`
//! holds the hot paths (jobs, claims, submissions, reviews, withdrawals) and
//! hands every other selector by `DELEGATECALL` to `annotation-market-ext`
//! (disputes and rulings, cancellation, claim release, admin, nonce
//! invalidation, views), which runs in the market's storage.
//!
//! ## The AnnotationMarket
//!
//! The escrow at the heart of labelmint's **review** mode: creators lock a
//! bounty for an annotation job, annotators reserve tasks, submit labels in
//! signed batches, and are paid the moment their work is approved (by the
//! creator, or by anyone once the review window has passed). A rejection can
//! be disputed before the job's named arbiter. Replicated jobs (several
//! annotators per task, majority or weighted vote) run on the QualityHub.
//! An Arbitrum Stylus program written with stylus-sdk 0.10.
//!
//! ## Rules of money
//! - `createJob` escrows exactly `taskCount × rewardPerTask` (`createWeightedJob`
//!   `units × rewardPerTask`, a task of difficulty weight `w` counting `w`
//!   units; every count below is then in units), in ETH
//!   (`msg.value` must match) or an ERC-20 (`transferFrom`, optionally after
//!   an EIP-2612 `permit`; the received amount is checked, so fee-on-transfer
//!   tokens are refused).
//! - Every task is **open**, **reserved** (claimed; submitted and awaiting
//!   review; or rejected and awaiting the dispute window or the arbiter),
//!   **approved** (paid) or **refunded**. A job's escrow always equals
//!   `reward × (open + reserved)`: approval (or an overturned rejection) moves
//!   one task's reward to its annotator, cancellation refunds only open tasks,
//!   and a reserved task that comes free on a cancelled job (claim released,
//!   rejection accepted or upheld) is refunded then. No path pays a task twice,
//!   so no job can be paid out of another job's escrow.
//! - A rejection holds the rejected tasks' escrow until the annotator's
//!   dispute window has passed; the creator deposits the arbiter's fee with
//!   it, the annotator bonds the terms' bond (at least the fee) to dispute,
//!   and the loser pays the arbiter. An arbiter who does not rule in time
//!   loses the case for the creator: the annotator is paid. So rejecting
//!   honest work and cancelling cannot keep the labels for free. Arbiters
//!   offer their terms themselves (`registerArbiterTerms`), so nobody is
//!   named arbiter without having agreed to it.
//! - Payments are pushed in the same transaction with a bounded gas stipend; a
//!   receiver that reverts or runs out of that gas is credited instead and
//!   pulls with `withdraw`. Pausing blocks new work only, never a payment,
//!   review, dispute, refund or withdrawal, and it stops the claim clock.
//!
//! ## Storage layout (gas-driven)
//! One job record (three packed slots, data root, metadata), then per job: a
//! *taken* bitmap (one bit per task, 256 per slot: submitted, approved or
//! held), a 16-bit claim entry per task written only by claims (16 per slot:
//! the claiming member, or none), a member table (claimer index → address),
//! one packed record per annotator (open, pending, approved and rejected
//! counts, member index, claim expiry), and one 32-byte commitment per batch
//! that is pending, rejected or disputed, cleared when settled. Arbiter terms
//! are registered once and named by id. Reviews, disputes and rulings
//! take the batch data as calldata and check it against the commitment.
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
#![warn(clippy::arithmetic_side_effects)]

extern crate alloc;

use alloc::vec::Vec;

use alloy_primitives::{address, Address, B256, U256};
use stylus_sdk::keccak_const::Keccak256;

mod interface;
mod state;

pub use interface::*;
pub use state::*;

/// Most tasks one claim, submission or rejection list may cover (bounds every loop).
pub const MAX_BATCH: u32 = 64;
/// Most batches one `reviewBatches` call may settle.
pub const MAX_BATCHES: u32 = 32;
/// Most classes of a label schema.
pub const MAX_CLASSES: u16 = 256;
/// Most distinct claimers a job tracks: task entries are 16 bits, 0 is free,
/// 1 taken, `2 + member` claimed, and 65,535 is never an entry.
pub const MAX_MEMBERS: u32 = 65_533;
/// Claim duration used when a job asks for `0`: 30 minutes.
pub const DEFAULT_CLAIM_DURATION: u32 = 30 * 60;
/// Longest claim a job may grant: 7 days.
pub const MAX_CLAIM_DURATION: u32 = 7 * 24 * 3600;
/// Longest review window a job may set: 30 days.
pub const MAX_REVIEW_WINDOW: u32 = 30 * 24 * 3600;
/// Shortest dispute and ruling windows: one hour, well above Arbitrum's
/// timestamp latitude.
pub const MIN_DISPUTE_WINDOW: u32 = 3600;
/// Longest dispute and ruling windows: 30 days.
pub const MAX_DISPUTE_WINDOW: u32 = 30 * 24 * 3600;
/// Gas forwarded with a direct ETH payment. Enough for smart-contract wallets
/// (a Safe's `receive` costs a few thousand); a receiver that needs more, or
/// reverts, is credited instead.
pub const ETH_PUSH_GAS: u64 = 50_000;
/// Gas forwarded with a direct ERC-20 payment (`transfer`), covering a Stylus
/// token's program entry and a new holder's balance slot.
pub const TOKEN_PUSH_GAS: u64 = 200_000;
/// Gas forwarded to a contract wallet's `isValidSignature` (EIP-1271): a
/// multi-owner Safe needs well under this; a wallet that burns it fails the
/// check instead of the relayer's whole transaction.
pub const EIP1271_GAS: u64 = 200_000;

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
/// Job status: cancelled (or closed after its deadline); reserved work stays payable.
pub const STATUS_CANCELLED: u8 = 3;

/// `taskInfo` state: nobody holds the task.
pub const TASK_FREE: u8 = 0;
/// `taskInfo` state: an annotator's claim holds the task.
pub const TASK_CLAIMED: u8 = 1;
/// `taskInfo` state: submitted, approved, or held under a rejection.
pub const TASK_TAKEN: u8 = 2;

/// `RejectionSettled` outcome: not disputed in time; the tasks reopened.
pub const OUTCOME_ACCEPTED: u8 = 1;
/// `RejectionSettled` outcome: the arbiter upheld the rejection; the tasks reopened.
pub const OUTCOME_UPHELD: u8 = 2;
/// `RejectionSettled` outcome: the arbiter overturned the rejection; the annotator was paid.
pub const OUTCOME_OVERTURNED: u8 = 3;
/// `RejectionSettled` outcome: the arbiter did not rule in time; the annotator was paid.
pub const OUTCOME_UNRULED: u8 = 4;

/// `InvalidJobParameter` field codes.
pub mod field {
    /// `taskCount` is zero.
    pub const TASK_COUNT: u8 = 1;
    /// `rewardPerTask` is zero, or the escrow does not fit 128 bits.
    pub const REWARD: u8 = 2;
    /// `schema` is unknown.
    pub const SCHEMA: u8 = 4;
    /// `numClasses` is out of range for the schema.
    pub const NUM_CLASSES: u8 = 5;
    /// `claimDuration` exceeds 7 days.
    pub const CLAIM_DURATION: u8 = 6;
    /// `submitDeadline` is not in the future (or beyond 2^40).
    pub const SUBMIT_DEADLINE: u8 = 7;
    /// `reviewWindow` exceeds 30 days.
    pub const REVIEW_WINDOW: u8 = 8;
    /// `maxHeld` is zero.
    pub const MAX_HELD: u8 = 9;
    /// `dataRoot` is zero.
    pub const DATA_ROOT: u8 = 10;
    /// The permit blob is not 128 bytes.
    pub const PERMIT: u8 = 11;
    /// `arbiterTerms` names no terms, terms for another token, or the caller
    /// as the arbiter.
    pub const ARBITER_TERMS: u8 = 12;
    /// Difficulty classes malformed (not 1 to 4 entries of 5 bytes, ends
    /// not strictly ascending or the last not `taskCount`, a zero weight),
    /// or their units (`Σ tasks × weight`) beyond 2^32 − 1.
    pub const DIFFICULTY: u8 = 13;
}

/// EIP-712 `SubmitBatch` type hash.
pub const SUBMIT_BATCH_TYPEHASH: B256 = B256::new(
    Keccak256::new()
        .update(b"SubmitBatch(address annotator,uint256 jobId,uint32[] taskIds,bytes payload,uint256 nonce,uint256 deadline)")
        .finalize(),
);
/// EIP-712 domain type hash (name, version, chainId, verifyingContract).
pub const EIP712_DOMAIN_TYPEHASH: B256 = B256::new(
    Keccak256::new()
        .update(
            b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
        )
        .finalize(),
);
/// The EIP-712 domain name.
pub const EIP712_NAME: &str = "labelmint AnnotationMarket";
/// The EIP-712 domain version.
pub const EIP712_VERSION: &str = "1";
/// `keccak256(EIP712_NAME)`.
pub const EIP712_NAME_HASH: B256 =
    B256::new(Keccak256::new().update(EIP712_NAME.as_bytes()).finalize());
/// `keccak256(EIP712_VERSION)`.
pub const EIP712_VERSION_HASH: B256 = B256::new(
    Keccak256::new()
        .update(EIP712_VERSION.as_bytes())
        .finalize(),
);
/// Address of the `ecrecover` precompile.
pub const ECRECOVER: Address = address!("0000000000000000000000000000000000000001");

pub use stylus_kit::{revert, word};

/// Task ids packed as big-endian `uint32`s (the `bytes tasks` of events and
/// the task part of a batch commitment).
pub fn pack_tasks(tasks: &[u32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(tasks.len().saturating_mul(4));
    for t in tasks {
        out.extend_from_slice(&t.to_be_bytes());
    }
    out
}

/// Preimage of a pending batch's commitment: `annotator ‖ uint64 submittedAt ‖ tasks`.
pub fn batch_preimage(annotator: Address, submitted_at: u64, tasks: &[u32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(tasks.len().saturating_mul(4).saturating_add(28));
    out.extend_from_slice(annotator.as_slice());
    out.extend_from_slice(&submitted_at.to_be_bytes());
    out.extend_from_slice(&pack_tasks(tasks));
    out
}

/// Preimage of a rejected (`stage` 1) or disputed (`stage` 2) batch's
/// commitment: `stage ‖ annotator ‖ uint64 at ‖ rejected tasks`. One byte
/// longer than a pending preimage modulo 4, so the two can never collide.
pub fn rejection_preimage(stage: u8, annotator: Address, at: u64, tasks: &[u32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(tasks.len().saturating_mul(4).saturating_add(29));
    out.push(stage);
    out.extend_from_slice(&batch_preimage(annotator, at, tasks));
    out
}

/// The packed per-(job, annotator) record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AnnotatorRecord {
    /// Tasks of the current claim not yet submitted (stale once the claim expired).
    pub open: u32,
    /// Submitted tasks awaiting review.
    pub pending: u32,
    /// Units of the approved tasks (paid), rejections overturned included
    /// (a task of difficulty weight `w` counts `w`; its royalty shares).
    pub approved: u32,
    /// Rejected tasks (not overturned).
    pub rejected: u32,
    /// Index + 1 in the job's member table (0: never claimed).
    pub member: u32,
    /// When the current claim expires, in unpaused seconds.
    pub claim_expiry: u64,
}

impl AnnotatorRecord {
    /// Unpacks a storage word.
    pub fn unpack(w: U256) -> Self {
        let limbs = w.as_limbs();
        let lo = |x: u64| (x & 0xffff_ffff) as u32;
        let hi = |x: u64| (x >> 32) as u32;
        Self {
            open: lo(limbs[0]),
            pending: hi(limbs[0]),
            approved: lo(limbs[1]),
            rejected: hi(limbs[1]),
            member: lo(limbs[2]),
            claim_expiry: limbs[3],
        }
    }

    /// Packs into a storage word.
    pub fn pack(&self) -> U256 {
        let two = |lo: u32, hi: u32| u64::from(lo) | (u64::from(hi) << 32);
        U256::from_limbs([
            two(self.open, self.pending),
            two(self.approved, self.rejected),
            u64::from(self.member),
            self.claim_expiry,
        ])
    }
}

#[cfg(test)]
mod tests;
