//! The court's storage layout and the readers, writers and rules both of
//! its programs use. A job is seven words and a result five, at consecutive
//! raw slots, read and written through [`Words`]: a call loads the words it
//! needs, and a word it did not load can never be written back.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolEvent;
use stylus_kit::{be, err, put, u, word, Arg, RawAccess, Result, Words};
use stylus_sdk::prelude::*;

use crate::{state, IQualityCourt as I, CLAIM_PERIOD};

/// Raw-slot tag: a job (job).
pub const TAG_JOB: u8 = 1;
/// Raw-slot tag: a result (job, result).
pub const TAG_RESULT: u8 = 2;
/// Raw-slot tag: claimed-leaf bitmaps (job, result, word).
pub const TAG_CLAIMED: u8 = 3;
/// Raw-slot tag: ETH credits (account).
pub const TAG_CREDIT: u8 = 4;
/// Raw-slot tag: accepted labels (job, annotator).
pub const TAG_ACCEPTED: u8 = 5;

/// Global slot: the number of jobs.
pub const SLOT_JOB_COUNT: u64 = 0;
/// Global slot: the arbiter terms registry (the AnnotationMarket).
pub const SLOT_REGISTRY: u64 = 1;
/// Global slot: the extension program.
pub const SLOT_EXTENSION: u64 = 2;

/// Job status: open.
pub const STATUS_OPEN: u8 = 1;
/// Job status: closed.
pub const STATUS_CLOSED: u8 = 2;
/// Audit: seed not revealed.
pub const AUDIT_UNSEEDED: u8 = 0;
/// Audit: revealed, not sampled.
pub const AUDIT_CLEAR: u8 = 1;
/// Audit: sampled.
pub const AUDIT_SAMPLED: u8 = 2;
/// `Unauthorized` role: creator.
pub const ROLE_CREATOR: u8 = 1;
/// `Unauthorized` role: oracle.
pub const ROLE_ORACLE: u8 = 2;
/// `Unauthorized` role: arbiter.
pub const ROLE_ARBITER: u8 = 3;
/// `Voided` reason: an unruled dispute.
pub const VOID_DISPUTE: u8 = 1;
/// `Voided` reason: an unruled audit.
pub const VOID_AUDIT: u8 = 2;

/// Words of a job.
pub const JOB_WORDS: usize = 7;
/// Words of a result.
pub const RESULT_WORDS: usize = 5;
/// Job word 0: creator, status, audit rate, windows.
pub const J_HEAD: u32 = 1;
/// Job word 1: oracle, results, seeds revealed, live results.
pub const J_ORACLE: u32 = 1 << 1;
/// Job word 2: arbiter, pending results, accepted labels, terms id.
pub const J_ARBITER: u32 = 1 << 2;
/// Job word 3: fee and bond.
pub const J_TERMS: u32 = 1 << 3;
/// Job word 4: escrow and reserved.
pub const J_MONEY: u32 = 1 << 4;
/// Job word 5: data root.
pub const J_ROOT: u32 = 1 << 5;
/// Job word 6: seed head.
pub const J_SEED: u32 = 1 << 6;
/// Every job word.
pub const J_ALL: u32 = (1 << JOB_WORDS) - 1;
/// Result word 0: root.
pub const R_ROOT: u32 = 1;
/// Result word 1: details.
pub const R_DETAILS: u32 = 1 << 1;
/// Result word 2: total and paid.
pub const R_PAID: u32 = 1 << 2;
/// Result word 3: leaves, state, audit, times, claimed leaves.
pub const R_STATE: u32 = 1 << 3;
/// Result word 4: disputer and maximum total.
pub const R_DISPUTE: u32 = 1 << 4;
/// Every result word.
pub const R_ALL: u32 = (1 << RESULT_WORDS) - 1;

fn addr(w: &[u8; 32]) -> Address {
    Address::from_slice(&w[..20])
}

/// A job's seven words:
/// - 0: creator(20) ‖ status ‖ auditBps(2) ‖ challengeWindow(4) ‖ rulingWindow(4)
/// - 1: oracle(20) ‖ results(4) ‖ seedsRevealed(4) ‖ live(4)
/// - 2: arbiter(20) ‖ pending(4) ‖ accepted(4) ‖ terms(4)
/// - 3: arbiterFee(16) ‖ disputeBond(16)
/// - 4: escrow(16) ‖ reserved(16)
/// - 5: dataRoot; 6: seed head (the last revealed link)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Job {
    pub creator: Address,
    pub status: u8,
    pub audit_bps: u16,
    pub challenge: u32,
    pub ruling: u32,
    pub oracle: Address,
    pub results: u32,
    pub seeds: u32,
    /// Results posted or in review.
    pub live: u32,
    pub arbiter: Address,
    /// Results whose leaves may still be claimed (live ones included).
    pub pending: u32,
    /// Labels accepted by claims.
    pub accepted: u32,
    pub terms: u32,
    pub fee: u128,
    pub bond: u128,
    pub escrow: u128,
    pub reserved: u128,
    pub data_root: U256,
    pub seed_head: U256,
}

impl Job {
    /// Unpacks the words (zero where not loaded).
    pub fn unpack(w: &[U256; JOB_WORDS]) -> Self {
        let x = w.map(|x| x.to_be_bytes::<32>());
        Self {
            creator: addr(&x[0]),
            status: x[0][20],
            audit_bps: be(&x[0][21..23]) as u16,
            challenge: be(&x[0][23..27]) as u32,
            ruling: be(&x[0][27..31]) as u32,
            oracle: addr(&x[1]),
            results: be(&x[1][20..24]) as u32,
            seeds: be(&x[1][24..28]) as u32,
            live: be(&x[1][28..32]) as u32,
            arbiter: addr(&x[2]),
            pending: be(&x[2][20..24]) as u32,
            accepted: be(&x[2][24..28]) as u32,
            terms: be(&x[2][28..32]) as u32,
            fee: be(&x[3][..16]),
            bond: be(&x[3][16..]),
            escrow: be(&x[4][..16]),
            reserved: be(&x[4][16..]),
            data_root: w[5],
            seed_head: w[6],
        }
    }

    /// Packs every word.
    pub fn pack(&self) -> [U256; JOB_WORDS] {
        let mut x = [[0u8; 32]; JOB_WORDS];
        x[0][..20].copy_from_slice(self.creator.as_slice());
        x[0][20] = self.status;
        put(&mut x[0], 21, 2, self.audit_bps.into());
        put(&mut x[0], 23, 4, self.challenge.into());
        put(&mut x[0], 27, 4, self.ruling.into());
        x[1][..20].copy_from_slice(self.oracle.as_slice());
        put(&mut x[1], 20, 4, self.results.into());
        put(&mut x[1], 24, 4, self.seeds.into());
        put(&mut x[1], 28, 4, self.live.into());
        x[2][..20].copy_from_slice(self.arbiter.as_slice());
        put(&mut x[2], 20, 4, self.pending.into());
        put(&mut x[2], 24, 4, self.accepted.into());
        put(&mut x[2], 28, 4, self.terms.into());
        put(&mut x[3], 0, 16, self.fee);
        put(&mut x[3], 16, 16, self.bond);
        put(&mut x[4], 0, 16, self.escrow);
        put(&mut x[4], 16, 16, self.reserved);
        let mut w = x.map(U256::from_be_bytes);
        w[5] = self.data_root;
        w[6] = self.seed_head;
        w
    }

    /// Escrow not reserved by results.
    pub fn free(&self) -> u128 {
        self.escrow.saturating_sub(self.reserved)
    }

    /// Whether the job's accepted labels are final: closed, and no result
    /// left that could still be claimed.
    pub fn settled(&self) -> bool {
        self.status == STATUS_CLOSED && self.pending == 0
    }
}

/// A result's five words:
/// - 0: root; 1: details
/// - 2: total(16) ‖ paid(16)
/// - 3: leaves(4) ‖ state ‖ audit ‖ challengeEnd(8) ‖ deadline(8) ‖ claimed(4)
/// - 4: disputer(20) ‖ maxTotal(12)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Res {
    pub root: U256,
    pub details: U256,
    pub total: u128,
    pub paid: u128,
    pub leaves: u32,
    pub state: u8,
    pub audit: u8,
    pub challenge_end: u64,
    pub deadline: u64,
    /// Leaves claimed.
    pub claimed: u32,
    pub disputer: Address,
    /// The most a ruling may set `total` to (reserved at posting).
    pub max: u128,
}

impl Res {
    /// Unpacks the words (zero where not loaded).
    pub fn unpack(w: &[U256; RESULT_WORDS]) -> Self {
        let x = w.map(|x| x.to_be_bytes::<32>());
        Self {
            root: w[0],
            details: w[1],
            total: be(&x[2][..16]),
            paid: be(&x[2][16..]),
            leaves: be(&x[3][..4]) as u32,
            state: x[3][4],
            audit: x[3][5],
            challenge_end: be(&x[3][6..14]) as u64,
            deadline: be(&x[3][14..22]) as u64,
            claimed: be(&x[3][22..26]) as u32,
            disputer: addr(&x[4]),
            max: be(&x[4][20..]),
        }
    }

    /// Packs every word.
    pub fn pack(&self) -> [U256; RESULT_WORDS] {
        let mut x = [[0u8; 32]; RESULT_WORDS];
        put(&mut x[2], 0, 16, self.total);
        put(&mut x[2], 16, 16, self.paid);
        put(&mut x[3], 0, 4, self.leaves.into());
        x[3][4] = self.state;
        x[3][5] = self.audit;
        put(&mut x[3], 6, 8, self.challenge_end.into());
        put(&mut x[3], 14, 8, self.deadline.into());
        put(&mut x[3], 22, 4, self.claimed.into());
        x[4][..20].copy_from_slice(self.disputer.as_slice());
        put(&mut x[4], 20, 12, self.max);
        let mut w = x.map(U256::from_be_bytes);
        w[0] = self.root;
        w[1] = self.details;
        w
    }
}

/// A loaded job or result: the value and the handle that writes it back.
pub type Loaded<T, const N: usize> = (T, Words<N>);

/// Readers, writers and rules of the court's storage, for any program
/// running in it.
pub trait CourtState: RawAccess {
    /// A global word.
    fn global(&self, slot: u64) -> U256 {
        self.sload(U256::from(slot))
    }

    /// The first slot of a job.
    fn job_base(&self, id: U256) -> U256 {
        self.slot(TAG_JOB, id, U256::ZERO, U256::ZERO)
    }

    /// The job's words in `mask` (word 0, the status, always), or
    /// `JobNotFound`.
    fn job(&self, id: U256, mask: u32) -> Result<Loaded<Job, JOB_WORDS>> {
        let (w, words) = Words::load(self.vm(), self.job_base(id), mask | J_HEAD);
        let j = Job::unpack(&words);
        if j.status == 0 {
            return Err(err::<I::JobNotFound>(&[id]));
        }
        Ok((j, w))
    }

    /// Loads the job words of `mask` not loaded yet.
    fn job_more(&self, j: &mut Job, w: &mut Words<JOB_WORDS>, mask: u32) {
        let mut words = j.pack();
        w.load_more(self.vm(), &mut words, mask);
        *j = Job::unpack(&words);
    }

    /// Writes the loaded job words that changed back.
    fn save_job(&self, j: &Job, w: &mut Words<JOB_WORDS>) {
        w.save(self.vm(), &j.pack());
    }

    /// The first slot of a result.
    fn result_base(&self, job: U256, id: U256) -> U256 {
        self.slot(TAG_RESULT, job, id, U256::ZERO)
    }

    /// A result's words in `mask` (word 3, its state, always), or
    /// `ResultNotFound`.
    fn result(&self, job: U256, id: U256, mask: u32) -> Result<Loaded<Res, RESULT_WORDS>> {
        let (w, words) = Words::load(self.vm(), self.result_base(job, id), mask | R_STATE);
        let r = Res::unpack(&words);
        if r.state == 0 {
            return Err(err::<I::ResultNotFound>(&[id]));
        }
        Ok((r, w))
    }

    /// Loads the result words of `mask` not loaded yet.
    fn result_more(&self, r: &mut Res, w: &mut Words<RESULT_WORDS>, mask: u32) {
        let mut words = r.pack();
        w.load_more(self.vm(), &mut words, mask);
        *r = Res::unpack(&words);
    }

    /// Writes the loaded result words that changed back.
    fn save_result(&self, r: &Res, w: &mut Words<RESULT_WORDS>) {
        w.save(self.vm(), &r.pack());
    }

    /// The slot of `who`'s ETH credit.
    fn credit_slot(&self, who: Address) -> U256 {
        self.slot(TAG_CREDIT, word(who), U256::ZERO, U256::ZERO)
    }

    /// Adds `amount` to `who`'s credit.
    fn credit(&self, who: Address, amount: u128) {
        if amount == 0 {
            return;
        }
        let slot = self.credit_slot(who);
        let v = self.sload(slot);
        self.sstore(slot, v.saturating_add(U256::from(amount)));
    }

    /// The slot of `who`'s accepted labels in a job.
    fn accepted_slot(&self, job: U256, who: Address) -> U256 {
        self.slot(TAG_ACCEPTED, job, word(who), U256::ZERO)
    }

    /// The slot and bit of leaf `index`'s claimed flag.
    fn claim_bit(&self, job: U256, result: U256, index: u32) -> (U256, U256) {
        (
            self.slot(TAG_CLAIMED, job, result, u(index / 256)),
            U256::from(1).wrapping_shl((index % 256) as usize),
        )
    }

    /// `keccak256(jobId ‖ resultId ‖ index ‖ annotator ‖ payout ‖ labels ‖ verdicts)`.
    #[allow(clippy::too_many_arguments)]
    fn leaf(
        &self,
        job: U256,
        result: U256,
        index: u32,
        who: Address,
        payout: u128,
        labels: u32,
        verdicts: U256,
    ) -> [u8; 32] {
        let mut pre = [0u8; 140];
        pre[..32].copy_from_slice(&job.to_be_bytes::<32>());
        pre[32..64].copy_from_slice(&result.to_be_bytes::<32>());
        pre[64..68].copy_from_slice(&index.to_be_bytes());
        pre[68..88].copy_from_slice(who.as_slice());
        pre[88..104].copy_from_slice(&payout.to_be_bytes());
        pre[104..108].copy_from_slice(&labels.to_be_bytes());
        pre[108..].copy_from_slice(&verdicts.to_be_bytes::<32>());
        self.vm().native_keccak256(&pre).0
    }

    /// Moves a posted or in-review result past its window: final, audit
    /// due, or void. Needs job words 0, 1, 2, 3, 4 and result words 2, 3,
    /// 4. Errors while its window (or ruling window) is still running.
    fn settle(&self, id: U256, rid: U256, j: &mut Job, r: &mut Res) -> Result<()> {
        let now = self.vm().block_timestamp();
        let reason = match r.state {
            state::POSTED => {
                if now < r.challenge_end {
                    return Err(err::<I::TooEarly>(&[u(r.challenge_end)]));
                }
                if !(j.audit_bps > 0 && r.audit != AUDIT_CLEAR) {
                    // Final: the fee and the headroom above the total are free again.
                    j.reserved = j
                        .reserved
                        .saturating_sub(j.fee)
                        .saturating_sub(r.max.saturating_sub(r.total));
                    self.finish(j, r, now);
                    self.emit(I::Finalized::SIGNATURE_HASH, &[id, rid], &[]);
                    return Ok(());
                }
                let end = r.challenge_end.saturating_add(j.ruling.into());
                if now < end {
                    r.state = state::IN_REVIEW;
                    r.deadline = end;
                    self.emit(I::AuditDue::SIGNATURE_HASH, &[id, rid], &[Arg::W(u(end))]);
                    return Ok(());
                }
                VOID_AUDIT
            }
            state::IN_REVIEW => {
                if now < r.deadline {
                    return Err(err::<I::TooEarly>(&[u(r.deadline)]));
                }
                if r.disputer.is_zero() {
                    VOID_AUDIT
                } else {
                    VOID_DISPUTE
                }
            }
            s => return Err(err::<I::WrongState>(&[rid, u(s)])),
        };
        // Void: an absent arbiter decides nothing; the disputer wins.
        j.reserved = j.reserved.saturating_sub(r.max.saturating_add(j.fee));
        j.live = j.live.saturating_sub(1);
        j.pending = j.pending.saturating_sub(1);
        if !r.disputer.is_zero() {
            self.credit(r.disputer, j.bond);
        }
        r.state = state::VOID;
        self.emit(I::Voided::SIGNATURE_HASH, &[id, rid], &[Arg::W(u(reason))]);
        Ok(())
    }

    /// A result becomes final now: no longer live, claimable for
    /// [`CLAIM_PERIOD`]; with no leaf to claim it is no longer pending.
    fn finish(&self, j: &mut Job, r: &mut Res, now: u64) {
        r.state = state::FINAL;
        r.deadline = now.saturating_add(CLAIM_PERIOD);
        j.live = j.live.saturating_sub(1);
        if r.claimed >= r.leaves {
            j.pending = j.pending.saturating_sub(1);
        }
    }
}

impl<T: RawAccess + ?Sized> CourtState for T {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_and_result_pack_round_trip() {
        let j = Job {
            creator: Address::repeat_byte(1),
            status: 2,
            audit_bps: 2_500,
            challenge: 3_600,
            ruling: 86_400,
            oracle: Address::repeat_byte(2),
            results: 7,
            seeds: 5,
            live: 3,
            arbiter: Address::repeat_byte(3),
            pending: 4,
            accepted: 99,
            terms: 6,
            fee: 11,
            bond: u128::MAX,
            escrow: 13,
            reserved: 12,
            data_root: U256::from(99),
            seed_head: U256::MAX,
        };
        assert_eq!(Job::unpack(&j.pack()), j);
        assert_eq!(j.free(), 1);
        assert_eq!(
            Job::unpack(&[U256::ZERO; JOB_WORDS]).pack(),
            [U256::ZERO; JOB_WORDS]
        );
        let r = Res {
            root: U256::from(5),
            details: U256::from(6),
            total: 1 << 100,
            paid: 3,
            leaves: u32::MAX,
            state: state::EXPIRED,
            audit: AUDIT_SAMPLED,
            challenge_end: u64::MAX,
            deadline: 17,
            claimed: 9,
            disputer: Address::repeat_byte(9),
            max: crate::MAX_RESULT_TOTAL,
        };
        assert_eq!(Res::unpack(&r.pack()), r);
        assert_eq!(
            Res::unpack(&[U256::ZERO; RESULT_WORDS]).pack(),
            [U256::ZERO; RESULT_WORDS]
        );
    }
}
