//! # labelmint-court-common
//!
//! What the QualityCourt's two programs share: the interface, the
//! constants, the storage layout and the rules of a result's life. The court
//! is one contract to its users run by two Stylus programs, as the market
//! and the hub are: `quality-court` holds the hot paths (post, seed reveal,
//! dispute, ruling, finalize, claim, withdraw) and hands every other
//! selector by `DELEGATECALL` to `quality-court-ext` (jobs, funding,
//! expiry, closing, views).
//!
//! ## The QualityCourt
//!
//! Jobs whose quality is judged **off chain** (bounding boxes and polygons
//! by IoU consensus, free text, Dawid–Skene, reputation-weighted votes) and
//! paid by an **optimistic result**: an oracle posts each batch's outcome
//! as a Merkle root of per-annotator payouts and accepted labels, anyone
//! can dispute it with a bond during a challenge window, the job's arbiter
//! rules, and a random sample of results is audited by that arbiter even
//! when nobody disputes.
//!
//! ## Roles (per job, fixed at creation)
//! - **creator**: escrows the budget in ETH, commits the audit seed chain,
//!   closes the job and gets every unreserved wei back.
//! - **oracle**: posts results (a service running `labelmint court
//!   payouts`, the creator itself, …).
//! - **arbiter**: named by terms it registered itself in the
//!   AnnotationMarket (`registerArbiterTerms`, the one registry of every
//!   labelmint program): its fee, the disputer's bond (at least the fee),
//!   the dispute (challenge) window and its ruling window, one hour to 30
//!   days each. It may be neither the creator nor the oracle.
//!
//! ## A result's life
//! 1. `postResult` (oracle): `root` over leaves `keccak256(jobId ‖ resultId
//!    ‖ index ‖ annotator ‖ payout ‖ labels ‖ verdicts)`, `total` = Σ
//!    payouts, and `maxTotal` ≥ `total`, the most a ruling may set the
//!    total to. `maxTotal + fee` of the free escrow is reserved, so every
//!    ruling and payout is funded before it can happen, and no ruling can
//!    reach the rest of the escrow.
//! 2. Within the challenge window anyone may `dispute` with exactly the bond;
//!    the arbiter then has its ruling window to `rule`.
//! 3. **Random audit**: the creator committed `keccak256ⁿ(s)` and reveals
//!    one link per result, in posting order, within its challenge window;
//!    the result is audited when `keccak256(link ‖ root) mod 10,000 <
//!    auditBps`, and a link not revealed in time audits it.
//! 4. **Ruling** (the loser pays the arbiter): upheld → the bond pays the
//!    fee and the rest joins the escrow; overturned → the escrow pays the
//!    fee, the bond is returned and the arbiter's root and total (≤
//!    `maxTotal`) replace the oracle's; an audit's fee is the job's.
//! 5. **Final** results are claimed leaf by leaf with a Merkle proof (anyone
//!    may claim for an annotator), never more than `total` in all; each
//!    claim adds its leaf's labels to the annotator's accepted labels (its
//!    royalty shares in the DatasetRegistry). A dispute or audit left
//!    unruled voids the result (the disputer wins: bond returned, reserve
//!    released, the oracle posts again).
//! 6. What a final result leaves unclaimed for [`CLAIM_PERIOD`] returns to
//!    the free escrow (`expire`).
//!
//! The creator cannot close while a result is posted or in review, so a
//! close can never front-run a ruling. A job is *settled* (its accepted
//! labels final, for the registry) once closed with no result left that
//! could still be claimed.
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
#![warn(clippy::arithmetic_side_effects)]

mod interface;
mod layout;

pub use interface::*;
pub use layout::*;

/// Basis points in a whole.
pub const BPS: u16 = 10_000;
/// Seconds after a result becomes final during which its leaves are
/// reserved for claims (90 days).
pub const CLAIM_PERIOD: u64 = 90 * 86_400;
/// Longest Merkle proof accepted (2³² leaves).
pub const MAX_PROOF: usize = 32;
/// Largest `maxTotal` (it is kept in 96 bits).
pub const MAX_RESULT_TOTAL: u128 = (1 << 96) - 1;

/// Result states (`getResult`).
pub mod state {
    /// Posted; challengeable until `challengeEnd`.
    pub const POSTED: u8 = 1;
    /// Disputed or audited: waiting for the arbiter until `deadline`.
    pub const IN_REVIEW: u8 = 2;
    /// Final: leaves can be claimed.
    pub const FINAL: u8 = 3;
    /// Voided: a dispute or audit was not ruled in time.
    pub const VOID: u8 = 4;
    /// Expired: its claim period ended, the unclaimed rest was released.
    pub const EXPIRED: u8 = 5;
}

/// The Merkle parent of two nodes: keccak256 of the smaller then the larger
/// (sorted pairs, so proofs need no left/right flags).
pub fn parent(a: [u8; 32], b: [u8; 32], keccak: impl Fn(&[u8]) -> [u8; 32]) -> [u8; 32] {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(&lo);
    buf[32..].copy_from_slice(&hi);
    keccak(&buf)
}
