//! # AnnotationMarket
//!
//! The escrow at the heart of labelmint: creators lock a bounty for an
//! annotation job, annotators reserve tasks, submit labels in signed batches,
//! and are paid the moment their work is approved (by the creator, or by
//! anyone once the review window has passed). An Arbitrum Stylus program
//! written with stylus-sdk 0.10.
//!
//! ## Rules of money
//! - `createJob` escrows exactly `replication × taskCount × rewardPerTask`, in
//!   ETH (`msg.value` must match) or an ERC-20 (`transferFrom`, optionally after
//!   an EIP-2612 `permit`; the received amount is checked, so fee-on-transfer
//!   tokens are refused).
//! - Every *replica* (one task labelled by one annotator) is in exactly one
//!   state: **open**, **reserved** (claimed or submitted and awaiting review),
//!   **approved** (paid) or **refunded** (cancelled while open). A job's escrow
//!   always equals `reward × (open + reserved)`: approval moves one replica's
//!   reward to its annotator, cancellation refunds only open replicas, and a
//!   reserved replica that comes free on a cancelled job (claim released,
//!   work rejected) is refunded then. No path pays a replica twice, so no job
//!   can ever be paid out of another job's escrow (the Heda close-then-approve
//!   drain is impossible).
//! - Payments are pushed in the same transaction with a bounded gas stipend; a
//!   receiver that reverts or runs out of that gas is credited instead and
//!   pulls with `withdraw`. Pausing blocks new work only, never a payment,
//!   approval, refund or withdrawal.
//! - Reviews are bounded: after `reviewWindow` seconds a batch can only be
//!   approved, and anyone may finalize it.
//!
//! ## Storage layout (gas-driven)
//! One job record (5 slots), then per job: a unary replica counter (one bit
//! per task and replica layer, 256 tasks per slot), a 2-bit state per
//! annotator and task (128 tasks per slot), one packed record per annotator
//! (open, pending, approved, rejected, released counts and the claim expiry),
//! and one 32-byte commitment per submitted batch
//! (`keccak256(annotator ‖ uint64 submittedAt ‖ packed uint32 tasks)`), cleared
//! when the batch is settled. Reviews and finalization take the batch data as
//! calldata and check it against the commitment.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main, no_std)]
#![warn(clippy::arithmetic_side_effects)]

extern crate alloc;

use alloc::vec::Vec;

use alloy_primitives::{address, b256, Address, B256, U256};
use stylus_sdk::keccak_const::Keccak256;

mod interface;
mod market;

pub use interface::*;
pub use market::AnnotationMarket;

/// Most tasks one claim, submission or review may cover (bounds every loop).
pub const MAX_BATCH: u32 = 64;
/// Most batches one `approveBatches` call may settle.
pub const MAX_BATCHES: u32 = 32;
/// Most annotators per task.
pub const MAX_REPLICATION: u8 = 16;
/// Most classes of a label schema.
pub const MAX_CLASSES: u16 = 256;
/// Claim duration used when a job asks for `0`: 30 minutes.
pub const DEFAULT_CLAIM_DURATION: u32 = 30 * 60;
/// Longest claim a job may grant: 7 days.
pub const MAX_CLAIM_DURATION: u32 = 7 * 24 * 3600;
/// Longest review window a job may set: 30 days.
pub const MAX_REVIEW_WINDOW: u32 = 30 * 24 * 3600;
/// Gas forwarded with a direct ETH payment. Enough for smart-contract wallets
/// (a Safe's `receive` costs a few thousand); a receiver that needs more, or
/// reverts, is credited instead.
pub const ETH_PUSH_GAS: u64 = 50_000;
/// Gas forwarded with a direct ERC-20 payment (`transfer`), covering a Stylus
/// token's program entry and a new holder's balance slot.
pub const TOKEN_PUSH_GAS: u64 = 200_000;

/// Label schema: one class id per task, judged on chain.
pub const SCHEMA_CATEGORICAL: u8 = 0;
/// Label schema: bounding boxes, judged off chain, committed by hash.
pub const SCHEMA_BBOX: u8 = 1;
/// Label schema: polygons, judged off chain, committed by hash.
pub const SCHEMA_POLYGON: u8 = 2;
/// Label schema: free text, judged off chain, committed by hash.
pub const SCHEMA_TEXT: u8 = 3;

/// Consensus mode: the creator reviews every batch (the only mode until the
/// quality module lands; other values revert with `UnsupportedConsensus`).
pub const CONSENSUS_CREATOR_REVIEW: u8 = 0;

/// Job status: no such job.
pub const STATUS_NONE: u8 = 0;
/// Job status: accepting claims and submissions.
pub const STATUS_OPEN: u8 = 1;
/// Job status: every replica approved.
pub const STATUS_COMPLETED: u8 = 2;
/// Job status: cancelled (or closed after its deadline); reserved work stays payable.
pub const STATUS_CANCELLED: u8 = 3;

/// Annotator task state: never touched.
pub const TASK_NONE: u8 = 0;
/// Annotator task state: claimed, not yet submitted.
pub const TASK_CLAIMED: u8 = 1;
/// Annotator task state: submitted (pending review or settled).
pub const TASK_SUBMITTED: u8 = 2;
/// Annotator task state: claim released or expired without a submission.
pub const TASK_RELEASED: u8 = 3;

/// `InvalidJobParameter` field codes.
pub mod field {
    /// `taskCount` is zero, or `taskCount × replication` overflows `uint32`.
    pub const TASK_COUNT: u8 = 1;
    /// `rewardPerTask` is zero, or the escrow does not fit 128 bits.
    pub const REWARD: u8 = 2;
    /// `replication` is not in `1..=16`.
    pub const REPLICATION: u8 = 3;
    /// `schema` is unknown.
    pub const SCHEMA: u8 = 4;
    /// `numClasses` is out of range for the schema.
    pub const NUM_CLASSES: u8 = 5;
    /// `claimDuration` exceeds 7 days.
    pub const CLAIM_DURATION: u8 = 6;
    /// `submitDeadline` is not in the future.
    pub const SUBMIT_DEADLINE: u8 = 7;
    /// `reviewWindow` exceeds 30 days.
    pub const REVIEW_WINDOW: u8 = 8;
    /// `maxClaim` is zero or above 64.
    pub const MAX_CLAIM: u8 = 9;
    /// `dataRoot` is zero.
    pub const DATA_ROOT: u8 = 10;
    /// The permit blob is not 128 bytes.
    pub const PERMIT: u8 = 11;
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
/// EIP-1271 `isValidSignature` magic value.
pub const EIP1271_MAGIC: [u8; 4] = [0x16, 0x26, 0xba, 0x7e];
/// Address of the `ecrecover` precompile.
pub const ECRECOVER: Address = address!("0000000000000000000000000000000000000001");
/// Half the secp256k1 group order: larger `s` values are malleable (EIP-2).
pub const SECP256K1_HALF_N: B256 =
    b256!("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");

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

/// Preimage of a batch commitment: `annotator ‖ uint64 submittedAt ‖ tasks`.
pub fn batch_preimage(annotator: Address, submitted_at: u64, tasks: &[u32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(tasks.len().saturating_mul(4).saturating_add(28));
    out.extend_from_slice(annotator.as_slice());
    out.extend_from_slice(&submitted_at.to_be_bytes());
    out.extend_from_slice(&pack_tasks(tasks));
    out
}

/// The packed per-(job, annotator) record: five 32-bit counters and the
/// claim expiry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AnnotatorRecord {
    /// Claimed tasks not yet submitted or released.
    pub open: u32,
    /// Submitted tasks awaiting review.
    pub pending: u32,
    /// Approved tasks (paid).
    pub approved: u32,
    /// Rejected tasks.
    pub rejected: u32,
    /// Claimed tasks released or expired without a submission.
    pub released: u32,
    /// When the current claim expires (unix seconds).
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
            released: lo(limbs[2]),
            claim_expiry: limbs[3],
        }
    }

    /// Packs into a storage word.
    pub fn pack(&self) -> U256 {
        let two = |lo: u32, hi: u32| u64::from(lo) | (u64::from(hi) << 32);
        U256::from_limbs([
            two(self.open, self.pending),
            two(self.approved, self.rejected),
            u64::from(self.released),
            self.claim_expiry,
        ])
    }
}

#[cfg(test)]
mod tests;
