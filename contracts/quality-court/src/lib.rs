//! # QualityCourt
//!
//! Jobs whose quality is judged **off chain** (bounding boxes and polygons by
//! IoU consensus, free text, Dawid–Skene over many annotators) and paid by an
//! **optimistic result**, UMA-style: an oracle posts each batch's outcome as a
//! Merkle root of per-annotator payouts, anybody can dispute it with a bond
//! during a challenge window, a named expert rules, and a random sample of
//! results is audited by that expert even when nobody disputes. An Arbitrum
//! Stylus program (stylus-sdk 0.10) of its own: the QualityHub is within
//! ~70 B of the 24 KiB limit.
//!
//! ## Roles (per job, fixed at creation)
//! - **creator**: escrows the budget in ETH, commits the audit seed chain,
//!   closes the job and gets every unreserved wei back.
//! - **oracle**: posts results (the creator itself, or a service running
//!   `labelmint audit`/Dawid–Skene).
//! - **arbiter**: the job's expert. Rules on disputes and audits and is the
//!   final word; paid `arbiterFee` per ruling out of the escrow. It may be
//!   neither the creator nor the oracle, so nobody judges their own result.
//!
//! ## A result's life
//! 1. `postResult` (oracle): `root` over leaves
//!    `keccak256(jobId ‖ resultId ‖ index ‖ annotator ‖ payout ‖ verdicts)`,
//!    with `total` = Σ payouts. `total + arbiterFee` of the free escrow is
//!    reserved, so every ruling and every payout is already funded.
//! 2. For `challengeWindow` seconds anyone may `dispute` with exactly
//!    `disputeBond`; the arbiter then has `rulingWindow` seconds to `rule`.
//! 3. **Random audit**: the creator committed `keccak256ⁿ(s)` at creation and
//!    reveals one link of that hash chain per result, in posting order,
//!    during the result's challenge window. The result is audited when
//!    `keccak256(link ‖ root) mod 10,000 < auditBps`. A link not revealed in
//!    time audits the result: withholding never avoids an audit.
//! 4. **Ruling**: upheld → the bond goes to the job's escrow (it paid the
//!    fee); overturned → the bond is returned and the arbiter's corrected
//!    root and total replace the oracle's (within the reserve plus the free
//!    escrow). The arbiter is paid either way.
//! 5. **Final** results are claimed leaf by leaf with a Merkle proof (anyone
//!    may claim for an annotator; the credit is the annotator's), never more
//!    than `total` in all. A dispute or audit left unruled past its ruling
//!    window voids the result: the bond comes back, the reserve is released
//!    and the oracle posts again — an absent arbiter never passes a result.
//! 6. What a final result leaves unclaimed for [`CLAIM_PERIOD`] returns to
//!    the free escrow (`expire`).
//!
//! ## Randomness and the bias that remains
//! Annotators cannot steer audits: they see neither the next link nor the
//! root before it is posted. The creator cannot choose links after the
//! commitment (each is the preimage of the previous one) and cannot avoid an
//! audit by withholding. An oracle that knows the chain (the creator acting
//! as its own oracle) can grind `root` (for example by reordering leaves)
//! until the sample misses: give the oracle role to someone else, or set
//! `auditBps = 10,000`, when that matters. Every result is also disputable.
//!
//! Money moves by pull (`withdraw`); every state change emits an event; the
//! court has no admin.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main, no_std)]
#![warn(clippy::arithmetic_side_effects)]

extern crate alloc;

mod court;
mod interface;

pub use court::QualityCourt;
pub use interface::*;

/// Basis points in a whole.
pub const BPS: u16 = 10_000;
/// Shortest challenge or ruling window, in seconds.
pub const MIN_WINDOW: u32 = 60;
/// Longest challenge or ruling window, in seconds (30 days).
pub const MAX_WINDOW: u32 = 30 * 86_400;
/// Seconds after a result becomes final during which its leaves are
/// reserved for claims (90 days).
pub const CLAIM_PERIOD: u64 = 90 * 86_400;
/// Longest Merkle proof accepted (2³² leaves).
pub const MAX_PROOF: usize = 32;

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
