//! The market's storage layout and the rules both of its programs apply.
//!
//! Everything lives in raw slots: small fixed slots for the global words,
//! `keccak256(tag ‖ a ‖ b ‖ c)` for everything per job, annotator, task,
//! batch and account (128-byte preimages, so they never land on a small
//! slot). [`MarketState`] gives every program that runs in the market's
//! storage — the market itself, and its extension under `DELEGATECALL` — the
//! same readers, writers and payment rules.

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEvent;
use stylus_kit::{b, err, u, word, Arg, RawAccess, Result};
use stylus_sdk::prelude::*;

use crate::{
    AnnotatorRecord, IAnnotationMarket as I, EIP712_DOMAIN_TYPEHASH, EIP712_NAME_HASH,
    EIP712_VERSION_HASH, ETH_PUSH_GAS, STATUS_CANCELLED, STATUS_COMPLETED, STATUS_OPEN,
    TOKEN_PUSH_GAS,
};

/// Raw-slot tag: the per-(job, annotator) record.
pub const TAG_ANNOTATOR: u8 = 1;
/// Raw-slot tag: 16 task entries per (job, word).
pub const TAG_TASK: u8 = 2;
/// Raw-slot tag: the member table (job, index) → address.
pub const TAG_MEMBER: u8 = 3;
/// Raw-slot tag: a batch's commitment (job, batch).
pub const TAG_BATCH: u8 = 4;
/// Raw-slot tag: a job's record (job); words at consecutive slots.
pub const TAG_JOB: u8 = 5;
/// Raw-slot tag: withdrawable credits (token, account).
pub const TAG_CREDIT: u8 = 6;
/// Raw-slot tag: unordered nonce bitmaps (annotator, word).
pub const TAG_NONCE: u8 = 7;
/// Raw-slot tag: pauser flags (account).
pub const TAG_PAUSER: u8 = 8;
/// Raw-slot tag: the taken bitmap, 256 tasks per (job, word).
pub const TAG_TAKEN: u8 = 9;
/// Raw-slot tag: registered arbiter terms (id); words at consecutive slots.
pub const TAG_TERMS: u8 = 10;

/// Global slot: the admin.
pub const SLOT_ADMIN: u64 = 0;
/// Global slot: the proposed admin.
pub const SLOT_PENDING_ADMIN: u64 = 1;
/// Global slot: the number of jobs.
pub const SLOT_JOB_COUNT: u64 = 2;
/// Global slot: the pause word (see [`Pause`]).
pub const SLOT_PAUSE: u64 = 3;
/// Global slot: the extension program that runs the cold paths.
pub const SLOT_EXTENSION: u64 = 4;
/// Global slot: the number of registered arbiter terms.
pub const SLOT_TERMS_COUNT: u64 = 5;

/// Claim entry: no claim.
pub const ENTRY_FREE: u16 = 0;
/// Claim entries from here on: claimed by member `entry - ENTRY_MEMBER`
/// (meaningful only while the task's taken bit is clear).
pub const ENTRY_MEMBER: u16 = 2;

/// Rejection commitment stage: rejected, awaiting a dispute.
pub const STAGE_REJECTED: u8 = 1;
/// Rejection commitment stage: disputed, awaiting the arbiter.
pub const STAGE_DISPUTED: u8 = 2;

/// A job's running words 0–2, unpacked (`dataRoot` and `metadataHash` are
/// words 3 and 4; a weighted job's difficulty classes, written once at
/// creation, word 5):
/// - word 0: creator(20) ‖ taskCount(4) ‖ weighted(1 bit) ‖ schema(7 bits) ‖ status ‖ numClasses(2) ‖ maxHeld(2) ‖ members(2)
/// - word 1: token(20) ‖ claimDuration(4) ‖ reviewWindow(4) ‖ batches(4)
/// - word 2: reward(16) ‖ deadline(5) ‖ reserved(4) ‖ approved(4) ‖ arbiter terms(3)
/// - word 5 (weighted jobs): ends(3×4) ‖ weights(4×1) ‖ units(4)
///
/// `reserved` and `approved` count *units*: a task of difficulty weight `w`
/// counts `w` (every task weighs 1 on an unweighted job), so the escrow a
/// job holds is always `reward × (units − approved)` and a cancellation
/// refunds `reward × (units − reserved − approved)` without knowing which
/// tasks are open.
#[derive(Default)]
pub struct Job {
    /// Who escrowed the job.
    pub creator: Address,
    /// Number of tasks.
    pub task_count: u32,
    /// Label schema.
    pub schema: u8,
    /// `STATUS_*`.
    pub status: u8,
    /// Class count.
    pub num_classes: u16,
    /// Most tasks one annotator may hold (claimed or awaiting review).
    pub max_held: u16,
    /// Distinct claimers so far.
    pub members: u16,
    /// Payment token (zero: ETH).
    pub token: Address,
    /// Claim duration in seconds of the claim clock.
    pub claim_duration: u32,
    /// Review window in seconds.
    pub review_window: u32,
    /// Batches submitted so far (batch ids run from 1).
    pub batches: u32,
    /// Reward per approved task.
    pub reward: u128,
    /// Submission deadline (block time).
    pub deadline: u64,
    /// Units of the tasks claimed, awaiting review, or held under a
    /// rejection.
    pub reserved: u32,
    /// Units of the tasks approved.
    pub approved: u32,
    /// The arbiter terms ruling its disputes (below 2^24).
    pub terms: u32,
    /// Tasks have difficulty weights (word 5 holds the classes).
    pub weighted: bool,
    /// Ends of the first three difficulty classes (weighted jobs).
    pub ends: [u32; 3],
    /// Weights of the difficulty classes (weighted jobs).
    pub weights: [u8; 4],
    /// `Σ tasks × weight` of a weighted job (`taskCount` otherwise).
    pub units: u32,
}

fn be32(b: &[u8]) -> u32 {
    stylus_kit::be(b) as u32
}

impl Job {
    /// Unpacks words 0–2.
    pub fn unpack(w: [B256; 3]) -> Self {
        let (a, b, c) = (&w[0].0, &w[1].0, &w[2].0);
        Self {
            creator: Address::from_slice(&a[..20]),
            task_count: be32(&a[20..24]),
            schema: a[24] & 0x7f,
            weighted: a[24] & 0x80 != 0,
            status: a[25],
            num_classes: stylus_kit::be(&a[26..28]) as u16,
            max_held: stylus_kit::be(&a[28..30]) as u16,
            members: stylus_kit::be(&a[30..]) as u16,
            token: Address::from_slice(&b[..20]),
            claim_duration: be32(&b[20..24]),
            review_window: be32(&b[24..28]),
            batches: be32(&b[28..]),
            reward: stylus_kit::be(&c[..16]),
            deadline: stylus_kit::be(&c[16..21]) as u64,
            reserved: be32(&c[21..25]),
            approved: be32(&c[25..29]),
            terms: be32(&c[29..]),
            ..Self::default()
        }
    }

    /// Loads the difficulty classes from word 5 (weighted jobs only).
    pub fn load_classes(&mut self, w: B256) {
        let x = &w.0;
        self.ends = [be32(&x[..4]), be32(&x[4..8]), be32(&x[8..12])];
        self.weights = [x[12], x[13], x[14], x[15]];
        self.units = be32(&x[16..20]);
    }

    /// Packs the difficulty classes as word 5.
    pub fn pack_classes(&self) -> B256 {
        let mut x = [0u8; 32];
        for (i, end) in self.ends.iter().enumerate() {
            stylus_kit::put(&mut x, i.saturating_mul(4), 4, (*end).into());
        }
        x[12..16].copy_from_slice(&self.weights);
        stylus_kit::put(&mut x, 16, 4, self.units.into());
        B256::new(x)
    }

    /// The job's units: `Σ tasks × weight` (`taskCount` when unweighted).
    pub fn units(&self) -> u32 {
        if self.weighted {
            self.units
        } else {
            self.task_count
        }
    }

    /// The difficulty weight of task `t` (1 on an unweighted job).
    pub fn weight(&self, t: u32) -> u32 {
        if self.weighted {
            stylus_kit::difficulty::weight_of(&self.ends, &self.weights, t).into()
        } else {
            1
        }
    }

    /// Packs words 0–2.
    pub fn pack(&self) -> [B256; 3] {
        let mut a = [0u8; 32];
        a[..20].copy_from_slice(self.creator.as_slice());
        stylus_kit::put(&mut a, 20, 4, self.task_count.into());
        a[24] = self.schema | if self.weighted { 0x80 } else { 0 };
        a[25] = self.status;
        stylus_kit::put(&mut a, 26, 2, self.num_classes.into());
        stylus_kit::put(&mut a, 28, 2, self.max_held.into());
        stylus_kit::put(&mut a, 30, 2, self.members.into());
        let mut b = [0u8; 32];
        b[..20].copy_from_slice(self.token.as_slice());
        stylus_kit::put(&mut b, 20, 4, self.claim_duration.into());
        stylus_kit::put(&mut b, 24, 4, self.review_window.into());
        stylus_kit::put(&mut b, 28, 4, self.batches.into());
        let mut c = [0u8; 32];
        stylus_kit::put(&mut c, 0, 16, self.reward);
        stylus_kit::put(&mut c, 16, 5, self.deadline.into());
        stylus_kit::put(&mut c, 21, 4, self.reserved.into());
        stylus_kit::put(&mut c, 25, 4, self.approved.into());
        stylus_kit::put(&mut c, 29, 3, self.terms.into());
        [B256::new(a), B256::new(b), B256::new(c)]
    }

    /// Units neither reserved nor approved (none once cancelled).
    pub fn open(&self) -> u32 {
        if self.status == STATUS_OPEN {
            self.units()
                .saturating_sub(self.reserved)
                .saturating_sub(self.approved)
        } else {
            0
        }
    }

    /// The reward of `units` units.
    pub fn reward_for(&self, units: u32) -> U256 {
        // reward × units < 2^128 is checked at creation.
        U256::from(self.reward.saturating_mul(u128::from(units)))
    }

    /// Whether the job's accepted labels are final: completed, or cancelled
    /// with nothing reserved.
    pub fn settled(&self) -> bool {
        self.status == STATUS_COMPLETED || (self.status == STATUS_CANCELLED && self.reserved == 0)
    }
}

/// Registered arbiter terms (three slots, written once):
/// - word 0: arbiter(20) ‖ disputeWindow(4) ‖ rulingWindow(4)
/// - word 1: fee(16) ‖ bond(16)
/// - word 2: token(20)
#[derive(Default)]
pub struct Terms {
    /// Who rules on disputed rejections (zero: no such terms).
    pub arbiter: Address,
    /// The payment token of the jobs these terms serve (zero: ETH).
    pub token: Address,
    /// Seconds after a review in which the annotator may dispute.
    pub dispute_window: u32,
    /// Seconds after a dispute in which the arbiter may rule.
    pub ruling_window: u32,
    /// The arbiter's fee per dispute.
    pub fee: u128,
    /// The annotator's bond per dispute (at least the fee).
    pub bond: u128,
}

impl Terms {
    /// Unpacks the three words.
    pub fn unpack(w: [B256; 3]) -> Self {
        let (a, b, c) = (&w[0].0, &w[1].0, &w[2].0);
        Self {
            arbiter: Address::from_slice(&a[..20]),
            dispute_window: be32(&a[20..24]),
            ruling_window: be32(&a[24..28]),
            fee: stylus_kit::be(&b[..16]),
            bond: stylus_kit::be(&b[16..]),
            token: Address::from_slice(&c[..20]),
        }
    }

    /// Packs the three words.
    pub fn pack(&self) -> [B256; 3] {
        let mut a = [0u8; 32];
        a[..20].copy_from_slice(self.arbiter.as_slice());
        stylus_kit::put(&mut a, 20, 4, self.dispute_window.into());
        stylus_kit::put(&mut a, 24, 4, self.ruling_window.into());
        let mut b = [0u8; 32];
        stylus_kit::put(&mut b, 0, 16, self.fee);
        stylus_kit::put(&mut b, 16, 16, self.bond);
        let mut c = [0u8; 32];
        c[..20].copy_from_slice(self.token.as_slice());
        [B256::new(a), B256::new(b), B256::new(c)]
    }
}

/// The pause word: whether new work is paused, since when, and for how long
/// it was paused before. The *claim clock* is the block time minus every
/// paused second, so claims do not run out while nobody may submit.
pub struct Pause {
    /// New work is paused.
    pub paused: bool,
    /// When the running pause began.
    pub since: u64,
    /// Seconds of earlier pauses.
    pub total: u64,
}

impl Pause {
    /// Unpacks the pause word.
    pub fn unpack(w: U256) -> Self {
        let l = w.as_limbs();
        Self {
            paused: l[2] & 1 == 1,
            since: l[1],
            total: l[0],
        }
    }

    /// Packs the pause word.
    pub fn pack(&self) -> U256 {
        U256::from_limbs([self.total, self.since, u64::from(self.paused), 0])
    }

    /// Seconds paused up to `now`, the running pause included.
    pub fn paused_for(&self, now: u64) -> u64 {
        let running = if self.paused {
            now.saturating_sub(self.since)
        } else {
            0
        };
        self.total.saturating_add(running)
    }
}

/// A cached storage word of 16 task entries addressed by `(job, index)`, so
/// that runs of tasks in the same word cost one slot computation, one load
/// and one write.
pub struct Entries {
    job: U256,
    index: Option<u32>,
    slot: U256,
    value: U256,
    dirty: bool,
}

impl Entries {
    /// A cursor over job `job`'s task entries.
    pub fn new(job: U256) -> Self {
        Self {
            job,
            index: None,
            slot: U256::ZERO,
            value: U256::ZERO,
            dirty: false,
        }
    }

    fn seek<S: RawAccess + ?Sized>(&mut self, m: &S, task: u32) -> usize {
        let index = task / 16;
        if self.index != Some(index) {
            self.flush(m);
            self.slot = m.slot(TAG_TASK, self.job, U256::from(index), U256::ZERO);
            self.value = m.sload(self.slot);
            self.index = Some(index);
        }
        ((task % 16) as usize).wrapping_mul(16)
    }

    /// The entry of `task`.
    pub fn get<S: RawAccess + ?Sized>(&mut self, m: &S, task: u32) -> u16 {
        let shift = self.seek(m, task);
        (self.value.wrapping_shr(shift).as_limbs()[0] & 0xffff) as u16
    }

    /// Sets the entry of `task` (written back on the next word or `flush`).
    pub fn set<S: RawAccess + ?Sized>(&mut self, m: &S, task: u32, entry: u16) {
        let shift = self.seek(m, task);
        let mask = U256::from(0xffffu64).wrapping_shl(shift);
        self.value = (self.value & !mask) | U256::from(entry).wrapping_shl(shift);
        self.dirty = true;
    }

    /// Writes the current word back if it changed.
    pub fn flush<S: RawAccess + ?Sized>(&mut self, m: &S) {
        if self.dirty {
            m.sstore(self.slot, self.value);
            self.dirty = false;
        }
    }
}

/// A cached storage word of 256 taken bits addressed by `(job, index)`.
pub struct Taken {
    job: U256,
    index: Option<u32>,
    slot: U256,
    value: U256,
    dirty: bool,
}

impl Taken {
    /// A cursor over job `job`'s taken bits.
    pub fn new(job: U256) -> Self {
        Self {
            job,
            index: None,
            slot: U256::ZERO,
            value: U256::ZERO,
            dirty: false,
        }
    }

    fn seek<S: RawAccess + ?Sized>(&mut self, m: &S, task: u32) -> usize {
        let index = task / 256;
        if self.index != Some(index) {
            self.flush(m);
            self.slot = m.slot(TAG_TAKEN, self.job, U256::from(index), U256::ZERO);
            self.value = m.sload(self.slot);
            self.index = Some(index);
        }
        (task % 256) as usize
    }

    /// Whether `task` is taken.
    pub fn get<S: RawAccess + ?Sized>(&mut self, m: &S, task: u32) -> bool {
        let bit = self.seek(m, task);
        self.value.bit(bit)
    }

    /// Marks `task` taken or not (written back on the next word or `flush`).
    pub fn set<S: RawAccess + ?Sized>(&mut self, m: &S, task: u32, on: bool) {
        let bit = self.seek(m, task);
        self.value.set_bit(bit, on);
        self.dirty = true;
    }

    /// Writes the current word back if it changed.
    pub fn flush<S: RawAccess + ?Sized>(&mut self, m: &S) {
        if self.dirty {
            m.sstore(self.slot, self.value);
            self.dirty = false;
        }
    }
}

/// The holder of a claimed task entry.
pub struct Holder {
    /// Its member index.
    pub member: u16,
    /// Its address.
    pub address: Address,
    /// When its claim expires, on the claim clock.
    pub expiry: u64,
}

/// A list of `n` entries must hold 1..=`max`.
pub fn list_size(n: usize, max: u32) -> Result<u32> {
    match u32::try_from(n) {
        Ok(n) if n >= 1 && n <= max => Ok(n),
        _ => Err(err::<I::BadBatchSize>(&[U256::from(n), u(max)])),
    }
}

/// Task ids must be strictly ascending (so no task appears twice).
pub fn ascending(tasks: &[u32]) -> Result<()> {
    for pair in tasks.windows(2) {
        if pair[1] <= pair[0] {
            return Err(err::<I::TaskOrder>(&[u(pair[1])]));
        }
    }
    Ok(())
}

/// `Overflow()`.
pub fn overflow() -> Vec<u8> {
    err::<I::Overflow>(&[])
}

/// The entry of a member's claimed tasks, from its record (`member` is the
/// index + 1; zero → `u16::MAX`, which is never an entry).
pub fn entry_of(rec: &AnnotatorRecord) -> u16 {
    if rec.member == 0 {
        u16::MAX
    } else {
        (rec.member.saturating_sub(1) as u16).saturating_add(ENTRY_MEMBER)
    }
}

/// Readers, writers and payment rules of the market's storage, for any
/// program running in it.
pub trait MarketState: RawAccess {
    /// A global word.
    fn global(&self, slot: u64) -> U256 {
        self.sload(U256::from(slot))
    }

    /// Writes a global word.
    fn put_global(&self, slot: u64, value: U256) {
        self.sstore(U256::from(slot), value);
    }

    /// The slot of `account`'s pauser flag.
    fn pauser_slot(&self, account: Address) -> U256 {
        self.slot(TAG_PAUSER, word(account), U256::ZERO, U256::ZERO)
    }

    /// Whether `account` may pause.
    fn is_pauser(&self, account: Address) -> bool {
        !self.sload(self.pauser_slot(account)).is_zero()
    }

    /// The slot of `annotator`'s record on `job`.
    fn record_slot(&self, job: U256, annotator: Address) -> U256 {
        self.slot(TAG_ANNOTATOR, job, word(annotator), U256::ZERO)
    }

    /// `annotator`'s record on `job`.
    fn record(&self, job: U256, annotator: Address) -> AnnotatorRecord {
        AnnotatorRecord::unpack(self.sload(self.record_slot(job, annotator)))
    }

    /// The slot of `account`'s credit in `token`.
    fn credit_slot(&self, token: Address, account: Address) -> U256 {
        self.slot(TAG_CREDIT, word(token), word(account), U256::ZERO)
    }

    /// The slot of a batch's commitment.
    fn batch_slot(&self, job: U256, batch: U256) -> U256 {
        self.slot(TAG_BATCH, job, batch, U256::ZERO)
    }

    /// The first slot of a job's record.
    fn job_base(&self, id: U256) -> U256 {
        self.slot(TAG_JOB, id, U256::ZERO, U256::ZERO)
    }

    /// Word `i` of a job's record.
    fn job_word(&self, id: U256, i: u64) -> B256 {
        B256::from(self.sload(self.job_base(id).wrapping_add(U256::from(i))))
    }

    /// The job's running words 0–2, and word 5 when it is weighted (all
    /// zero for an unknown id).
    fn job(&self, id: U256) -> Job {
        let mut job = Job::unpack([
            self.job_word(id, 0),
            self.job_word(id, 1),
            self.job_word(id, 2),
        ]);
        if job.weighted {
            job.load_classes(self.job_word(id, 5));
        }
        job
    }

    /// Registered arbiter terms `id` (arbiter zero when there are none).
    fn terms(&self, id: u32) -> Terms {
        let base = self.slot(TAG_TERMS, u(id), U256::ZERO, U256::ZERO);
        let w = |i: u64| B256::from(self.sload(base.wrapping_add(U256::from(i))));
        Terms::unpack([w(0), w(1), w(2)])
    }

    /// The job, or `JobNotFound`.
    fn load_job(&self, id: U256) -> Result<Job> {
        let job = self.job(id);
        if job.status == 0 {
            return Err(err::<I::JobNotFound>(&[id]));
        }
        Ok(job)
    }

    /// Writes the running words of `job` selected by `mask` (bit i = word
    /// i ≤ 2). Only words 0–2 are ever loaded into a [`Job`], and only they
    /// can be written from one, so a save can never overwrite the roots.
    fn save_job(&self, id: U256, job: &Job, mask: u8) {
        let base = self.job_base(id);
        for (i, w) in job.pack().iter().enumerate() {
            if mask & (1 << i) != 0 {
                self.sstore(base.wrapping_add(U256::from(i)), b(*w));
            }
        }
    }

    /// The pause word.
    fn pause_state(&self) -> Pause {
        Pause::unpack(self.global(SLOT_PAUSE))
    }

    /// The pause word, failing with `EnforcedPause` while paused.
    fn when_not_paused(&self) -> Result<Pause> {
        let p = self.pause_state();
        if p.paused {
            return Err(err::<I::EnforcedPause>(&[]));
        }
        Ok(p)
    }

    /// The claim clock: block time minus every paused second.
    fn claim_clock(&self, pause: &Pause) -> u64 {
        let now = self.vm().block_timestamp();
        now.saturating_sub(pause.paused_for(now))
    }

    /// A claim-clock time as block time, as if any running pause ended now.
    fn real_time(&self, clock: u64) -> u64 {
        if clock == 0 {
            return 0;
        }
        let now = self.vm().block_timestamp();
        clock.saturating_add(self.pause_state().paused_for(now))
    }

    /// The member behind a claimed task entry, with its claim's expiry.
    fn holder(&self, job: U256, entry: u16) -> Holder {
        let member = entry.saturating_sub(ENTRY_MEMBER);
        let slot = self.slot(TAG_MEMBER, job, u(member), U256::ZERO);
        let address = Address::from_word(B256::from(self.sload(slot)));
        let expiry = self.record(job, address).claim_expiry;
        Holder {
            member,
            address,
            expiry,
        }
    }

    /// The EIP-712 domain separator of `submitBatchBySig`.
    fn domain_separator(&self) -> B256 {
        let mut buf = [0u8; 160];
        buf[..32].copy_from_slice(EIP712_DOMAIN_TYPEHASH.as_slice());
        buf[32..64].copy_from_slice(EIP712_NAME_HASH.as_slice());
        buf[64..96].copy_from_slice(EIP712_VERSION_HASH.as_slice());
        buf[96..128].copy_from_slice(&U256::from(self.vm().chain_id()).to_be_bytes::<32>());
        buf[140..].copy_from_slice(self.vm().contract_address().as_slice());
        self.vm().native_keccak256(&buf)
    }

    /// Fails with `Unauthorized` unless the caller is the admin.
    fn only_admin(&self) -> Result<()> {
        let caller = self.vm().msg_sender();
        if word(caller) == self.global(SLOT_ADMIN) {
            Ok(())
        } else {
            Err(err::<I::Unauthorized>(&[word(caller)]))
        }
    }

    /// Saves the job's counters after settlements and completes it when
    /// every task is approved.
    fn finish_settlement(&self, job_id: U256, job: &mut Job) {
        let completed = job.status == STATUS_OPEN && job.approved == job.units();
        let mut mask = 0b100;
        if completed {
            job.status = STATUS_COMPLETED;
            mask |= 0b001;
        }
        self.save_job(job_id, job, mask);
        if completed {
            self.emit(I::JobCompleted::SIGNATURE_HASH, &[job_id], &[]);
        }
    }

    /// On a cancelled job, `freed` reserved units go back to the creator.
    fn refund_freed(&self, job_id: U256, job: &Job, freed: u32) {
        if job.status == STATUS_CANCELLED && freed != 0 {
            let amount = job.reward_for(freed);
            self.emit(
                I::EscrowRefunded::SIGNATURE_HASH,
                &[job_id],
                &[Arg::W(amount)],
            );
            self.pay(job.token, job.creator, amount);
        }
    }

    /// Pays `amount` to `to` now if the transfer succeeds within its gas
    /// stipend, otherwise credits it for `withdraw`.
    fn pay(&self, token: Address, to: Address, amount: U256) {
        if amount.is_zero() {
            return;
        }
        let gas = if token.is_zero() {
            ETH_PUSH_GAS
        } else {
            TOKEN_PUSH_GAS
        };
        if stylus_kit::transfer_out(self.vm(), token, to, amount, gas) {
            self.emit(
                I::RewardPaid::SIGNATURE_HASH,
                &[word(token), word(to)],
                &[Arg::W(amount)],
            );
        } else {
            let slot = self.credit_slot(token, to);
            // Credits are backed by escrow: far below 2^256.
            self.sstore(slot, self.sload(slot).saturating_add(amount));
            self.emit(
                I::RewardCredited::SIGNATURE_HASH,
                &[word(token), word(to)],
                &[Arg::W(amount)],
            );
        }
    }

    /// Checks the ETH sent with a call that takes `amount` of `token`:
    /// exactly `amount` for ETH, nothing for a token (pulled later with
    /// `stylus_kit::pull`; `with_permit` calls take no ETH at all).
    fn take_payment(&self, token: Address, amount: U256, with_permit: bool) -> Result<()> {
        let value = self.vm().msg_value();
        let expected = if token.is_zero() && !with_permit {
            amount
        } else {
            U256::ZERO
        };
        if value != expected {
            return Err(err::<I::WrongEscrow>(&[expected, value]));
        }
        Ok(())
    }
}

impl<T: RawAccess + ?Sized> MarketState for T {}
