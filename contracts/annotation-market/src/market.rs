//! The AnnotationMarket program: storage, call routing and the rules.
//!
//! Private module so that the `user_entrypoint` the SDK generates here is not
//! part of the Rust API; `AnnotationMarket` is re-exported from the crate root.
//!
//! ## Why the market routes its own calls
//! The SDK's `#[public]` router instantiates one generic ABI decoder per
//! argument tuple and one encoder per return tuple and event; for this ABI it
//! made a program far above Stylus's 24 KiB code limit. The market therefore
//! takes every call through a `#[fallback]` and decodes the static-layout
//! arguments by hand (`Args`), checking every word the way Solidity's ABI
//! decoder does (values that do not fit their type, offsets or lengths outside
//! the calldata → `InvalidCalldata()`). The functions are declared in the
//! `sol!` interface (`interface.rs`), from which `abi/` is generated; the
//! selectors used here are that interface's constants.

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use market_common::{
    ascending, batch_preimage, entry_of, field, list_size, overflow, pack_tasks,
    rejection_preimage, AnnotatorRecord, Entries, Holder, IAnnotationMarket as I, Job, MarketState,
    Taken, DEFAULT_CLAIM_DURATION, EIP1271_GAS, ENTRY_FREE, ENTRY_MEMBER, MAX_BATCH, MAX_BATCHES,
    MAX_CLAIM_DURATION, MAX_CLASSES, MAX_MEMBERS, MAX_REVIEW_WINDOW, SCHEMA_CATEGORICAL,
    SCHEMA_TEXT, SLOT_ADMIN, SLOT_EXTENSION, SLOT_JOB_COUNT, STAGE_REJECTED, STATUS_COMPLETED,
    STATUS_OPEN, SUBMIT_BATCH_TYPEHASH, TAG_MEMBER, TAG_NONCE,
};
use stylus_kit::{
    b, bad_calldata, difficulty::parse_difficulty, err, not_payable, split_selector, u, word, Arg,
    Args, RawAccess, Result,
};
use stylus_sdk::{call::delegate_call, prelude::*, stylus_core::calls::Call, ArbResult};

/// Storage of the AnnotationMarket: everything lives in raw slots (see
/// `market_common::state`), read and written through `stylus_kit`.
#[storage]
#[entrypoint]
pub struct AnnotationMarket {}

#[public]
impl AnnotationMarket {
    /// Makes `admin` the admin and a pauser, and `extension` the program
    /// that runs the market's cold paths.
    ///
    /// # Errors
    /// * `ZeroAddress` if `admin` or `extension` is zero.
    ///
    /// # Events
    /// * `AdminTransferred(0, admin)`, `PauserSet(admin, true)`.
    #[constructor]
    pub fn constructor(&mut self, admin: Address, extension: Address) -> Result<()> {
        if admin.is_zero() || extension.is_zero() {
            return Err(err::<I::ZeroAddress>(&[]));
        }
        self.put_global(SLOT_ADMIN, word(admin));
        self.put_global(SLOT_EXTENSION, word(extension));
        self.sstore(self.pauser_slot(admin), U256::from(1));
        self.emit(
            I::AdminTransferred::SIGNATURE_HASH,
            &[U256::ZERO, word(admin)],
            &[],
        );
        self.emit(
            I::PauserSet::SIGNATURE_HASH,
            &[word(admin)],
            &[Arg::W(U256::from(1))],
        );
        Ok(())
    }

    /// The hot paths of the `IAnnotationMarket` interface, routed by
    /// selector; every other call runs in the extension by `DELEGATECALL`.
    #[fallback]
    #[payable]
    pub fn route(&mut self, input: &[u8]) -> ArbResult {
        let (selector, a) = split_selector(input)?;
        let payable = matches!(
            selector,
            I::createJobCall::SELECTOR
                | I::createWeightedJobCall::SELECTOR
                | I::reviewBatchesCall::SELECTOR
        );
        let ret = stylus_kit::ret;
        let hot = matches!(
            selector,
            I::createJobCall::SELECTOR
                | I::createWeightedJobCall::SELECTOR
                | I::createJobWithPermitCall::SELECTOR
                | I::claimTasksCall::SELECTOR
                | I::submitBatchCall::SELECTOR
                | I::submitBatchBySigCall::SELECTOR
                | I::reviewBatchesCall::SELECTOR
                | I::withdrawCall::SELECTOR
                | I::jobSourceCall::SELECTOR
                | I::acceptedLabelsCall::SELECTOR
        );
        if hot && !payable && !self.vm().msg_value().is_zero() {
            return Err(not_payable());
        }
        match selector {
            I::createJobCall::SELECTOR => Ok(ret(&[self.create(&a, false, false)?])),
            I::createWeightedJobCall::SELECTOR => Ok(ret(&[self.create(&a, false, true)?])),
            I::createJobWithPermitCall::SELECTOR => Ok(ret(&[self.create(&a, true, false)?])),
            I::claimTasksCall::SELECTOR => {
                let expiry = self.claim_tasks(a.word(0)?, &a.u32s(1)?)?;
                Ok(ret(&[u(expiry)]))
            }
            I::submitBatchCall::SELECTOR => {
                let annotator = self.vm().msg_sender();
                let id = self.submit(annotator, a.word(0)?, &a.u32s(1)?, a.bytes(2)?)?;
                Ok(ret(&[id]))
            }
            I::submitBatchBySigCall::SELECTOR => Ok(ret(&[self.submit_by_sig(&a)?])),
            I::reviewBatchesCall::SELECTOR => self.review_batches(&a).map(|()| Vec::new()),
            I::withdrawCall::SELECTOR => Ok(ret(&[self.withdraw(a.address(0)?, a.address(1)?)?])),
            I::jobSourceCall::SELECTOR => {
                let id = a.word(0)?;
                let j = self.job(id);
                let data_root = b(self.job_word(id, 3));
                Ok(ret(&[
                    word(j.creator),
                    word(j.token),
                    data_root,
                    u(u8::from(j.settled())),
                    u(j.approved),
                ]))
            }
            I::acceptedLabelsCall::SELECTOR => {
                let r = self.record(a.word(0)?, a.address(1)?);
                Ok(ret(&[u(r.approved)]))
            }
            _ => {
                let extension = Address::from_word(B256::from(self.global(SLOT_EXTENSION)));
                let ctx = Call::new_mutating(self);
                // SAFETY: the extension is fixed at construction and written
                // for this storage layout (`market_common::state`); the SDK
                // flushes the storage cache before the call.
                unsafe { delegate_call(self.vm(), ctx, extension, input) }.map_err(|e| match e {
                    stylus_sdk::stylus_core::calls::errors::Error::Revert(data) => data,
                    stylus_sdk::stylus_core::calls::errors::Error::AbiDecodingFailed(_) => vec![],
                })
            }
        }
    }
}

impl AnnotationMarket {
    // ---------------------------------------------------------------- jobs

    /// `createJob` / `createWeightedJob` / `createJobWithPermit`: validates
    /// the terms (and a weighted job's difficulty classes), records the job
    /// and pulls the escrow, `reward × units`.
    #[allow(clippy::too_many_lines)]
    fn create(&mut self, a: &Args<'_>, with_permit: bool, weighted: bool) -> Result<U256> {
        self.when_not_paused()?;
        let data_root = a.b256(0)?;
        let metadata_hash = a.b256(1)?;
        let creator = self.vm().msg_sender();
        let mut job = Job {
            creator,
            token: a.address(2)?,
            reward: a.uint(3, 128)?.saturating_to(),
            task_count: a.u64(4, 32)? as u32,
            schema: a.u64(5, 8)? as u8,
            num_classes: a.u64(6, 16)? as u16,
            claim_duration: a.u64(7, 32)? as u32,
            deadline: a.u64(8, 64)?,
            review_window: a.u64(9, 32)? as u32,
            max_held: a.u64(10, 16)? as u16,
            terms: a.u64(11, 32)? as u32,
            status: STATUS_OPEN,
            ..Job::default()
        };
        let permit = if with_permit { a.bytes(12)? } else { &[] };
        let bad = |f: u8| err::<I::InvalidJobParameter>(&[u(f)]);
        if with_permit && (permit.len() != 128 || job.token.is_zero()) {
            return Err(bad(field::PERMIT));
        }
        if data_root.is_zero() {
            return Err(bad(field::DATA_ROOT));
        }
        if job.task_count == 0 {
            return Err(bad(field::TASK_COUNT));
        }
        let difficulty = if weighted { a.bytes(12)? } else { &[] };
        if weighted {
            let d = parse_difficulty(difficulty, job.task_count)
                .ok_or_else(|| bad(field::DIFFICULTY))?;
            job.units = u32::try_from(d.units).map_err(|_| bad(field::DIFFICULTY))?;
            (job.weighted, job.ends, job.weights) = (true, d.ends, d.weights);
        }
        let escrow = match job.reward.checked_mul(u128::from(job.units())) {
            Some(e) if job.reward != 0 => U256::from(e),
            _ => return Err(bad(field::REWARD)),
        };
        if job.schema > SCHEMA_TEXT {
            return Err(bad(field::SCHEMA));
        }
        let min_classes = if job.schema == SCHEMA_CATEGORICAL {
            2
        } else {
            0
        };
        if job.num_classes < min_classes || job.num_classes > MAX_CLASSES {
            return Err(bad(field::NUM_CLASSES));
        }
        if job.claim_duration == 0 {
            job.claim_duration = DEFAULT_CLAIM_DURATION;
        }
        if job.claim_duration > MAX_CLAIM_DURATION {
            return Err(bad(field::CLAIM_DURATION));
        }
        if job.deadline <= self.vm().block_timestamp() || job.deadline >= 1 << 40 {
            return Err(bad(field::SUBMIT_DEADLINE));
        }
        if job.review_window > MAX_REVIEW_WINDOW {
            return Err(bad(field::REVIEW_WINDOW));
        }
        if job.max_held == 0 {
            return Err(bad(field::MAX_HELD));
        }
        // Terms ids stay below 2^24 (their counter is checked at registration).
        let terms = self.terms(job.terms);
        if terms.arbiter.is_zero() || terms.arbiter == creator || terms.token != job.token {
            return Err(bad(field::ARBITER_TERMS));
        }
        self.take_payment(job.token, escrow, with_permit)?;

        let job_id = self
            .global(SLOT_JOB_COUNT)
            .checked_add(U256::from(1))
            .ok_or_else(overflow)?;
        self.put_global(SLOT_JOB_COUNT, job_id);
        self.save_job(job_id, &job, 0b111);
        let base = self.job_base(job_id);
        self.sstore(base.wrapping_add(U256::from(3)), b(data_root));
        if !metadata_hash.is_zero() {
            self.sstore(base.wrapping_add(U256::from(4)), b(metadata_hash));
        }
        if weighted {
            self.sstore(base.wrapping_add(U256::from(5)), b(job.pack_classes()));
        }
        self.emit(
            I::JobCreated::SIGNATURE_HASH,
            &[job_id, word(creator), word(job.token)],
            &[
                Arg::W(b(data_root)),
                Arg::W(b(metadata_hash)),
                Arg::W(u(job.task_count)),
                Arg::W(U256::from(job.reward)),
                Arg::W(escrow),
                Arg::W(u(job.terms)),
            ],
        );
        if weighted {
            self.emit(
                I::JobDifficulty::SIGNATURE_HASH,
                &[job_id],
                &[Arg::B(difficulty)],
            );
        }

        if !job.token.is_zero() {
            if with_permit
                && !stylus_kit::permit_then_check(self.vm(), job.token, creator, escrow, permit)
            {
                return Err(err::<I::TokenCallFailed>(&[word(job.token)]));
            }
            stylus_kit::pull(self.vm(), job.token, creator, escrow)?;
        }
        Ok(job_id)
    }

    // -------------------------------------------------------------- claims

    /// Whether `task` (not taken) whose claim entry is `entry` may be taken
    /// by the annotator whose entry is `me`, evicting an expired claim of
    /// another member: `Ok(true)` when the task was free (newly reserved),
    /// `Ok(false)` when an expired claim (the annotator's own or another's)
    /// already reserved it.
    fn take(
        &self,
        job: U256,
        task: u32,
        entry: u16,
        me: u16,
        clock: u64,
        cache: &mut Option<Holder>,
    ) -> Result<bool> {
        if entry == ENTRY_FREE {
            return Ok(true);
        }
        if entry == me {
            return Ok(false);
        }
        let member = entry.saturating_sub(ENTRY_MEMBER);
        let h = match cache.take() {
            Some(h) if h.member == member => h,
            _ => self.holder(job, entry),
        };
        let expiry = h.expiry;
        *cache = Some(h);
        if clock <= expiry {
            return Err(err::<I::TaskClaimed>(&[u(task), u(self.real_time(expiry))]));
        }
        Ok(false)
    }

    /// The claim entry of `annotator` in the job, assigning it a member
    /// index on first use.
    fn member_of(
        &self,
        job_id: U256,
        job: &mut Job,
        rec: &mut AnnotatorRecord,
        who: Address,
    ) -> Result<u16> {
        if rec.member == 0 {
            if u32::from(job.members) >= MAX_MEMBERS {
                return Err(err::<I::TooManyAnnotators>(&[]));
            }
            let m = job.members;
            job.members = m.checked_add(1).ok_or_else(overflow)?;
            self.sstore(self.slot(TAG_MEMBER, job_id, u(m), U256::ZERO), word(who));
            rec.member = u32::from(m).saturating_add(1);
        }
        Ok(entry_of(rec))
    }

    /// Fails with `HoldLimit` when `held` passes the job's `maxHeld`.
    fn within_limit(job: &Job, held: u32) -> Result<()> {
        if held > u32::from(job.max_held) {
            return Err(err::<I::HoldLimit>(&[u(held), u(job.max_held)]));
        }
        Ok(())
    }

    fn claim_tasks(&mut self, job_id: U256, task_ids: &[u32]) -> Result<u64> {
        let pause = self.when_not_paused()?;
        let mut job = self.load_job(job_id)?;
        if job.status != STATUS_OPEN {
            return Err(err::<I::JobNotOpen>(&[job_id, u(job.status)]));
        }
        if self.vm().block_timestamp() >= job.deadline {
            return Err(err::<I::SubmissionClosed>(&[job_id, u(job.deadline)]));
        }
        let n = list_size(task_ids.len(), MAX_BATCH)?;
        ascending(task_ids)?;
        let clock = self.claim_clock(&pause);
        let annotator = self.vm().msg_sender();
        let rec_slot = self.record_slot(job_id, annotator);
        let mut rec = AnnotatorRecord::unpack(self.sload(rec_slot));
        if rec.open != 0 && clock <= rec.claim_expiry {
            return Err(err::<I::ClaimStillOpen>(&[u(
                self.real_time(rec.claim_expiry)
            )]));
        }
        Self::within_limit(&job, rec.pending.saturating_add(n))?;
        let members = job.members;
        let me = self.member_of(job_id, &mut job, &mut rec, annotator)?;
        let mut taken = Taken::new(job_id);
        let mut entries = Entries::new(job_id);
        let mut cache = None;
        let mut fresh = 0u32;
        for &t in task_ids {
            if t >= job.task_count {
                return Err(err::<I::TaskOutOfRange>(&[u(t)]));
            }
            if taken.get(self, t) {
                return Err(err::<I::TaskTaken>(&[u(t)]));
            }
            let entry = entries.get(self, t);
            if self.take(job_id, t, entry, me, clock, &mut cache)? {
                fresh = fresh.saturating_add(job.weight(t));
            }
            entries.set(self, t, me);
        }
        entries.flush(self);
        rec.open = n;
        rec.claim_expiry = clock.saturating_add(u64::from(job.claim_duration));
        self.sstore(rec_slot, rec.pack());
        // Each fresh task was free: reserved + fresh units <= units.
        job.reserved = job.reserved.saturating_add(fresh);
        let mask = u8::from(job.members != members) | if fresh == 0 { 0 } else { 0b100 };
        self.save_job(job_id, &job, mask);
        let expiry = self.real_time(rec.claim_expiry);
        self.emit(
            I::TasksClaimed::SIGNATURE_HASH,
            &[job_id, word(annotator)],
            &[Arg::W(u(expiry)), Arg::B(&pack_tasks(task_ids))],
        );
        Ok(expiry)
    }

    // ---------------------------------------------------------- submission

    fn submit_by_sig(&mut self, a: &Args<'_>) -> Result<U256> {
        let annotator = a.address(0)?;
        let job_id = a.word(1)?;
        let task_ids = a.u32s(2)?;
        let payload = a.bytes(3)?;
        let nonce = a.word(4)?;
        let deadline = a.word(5)?;
        let signature = a.bytes(6)?;
        if U256::from(self.vm().block_timestamp()) > deadline {
            return Err(err::<I::SignatureExpired>(&[deadline]));
        }
        // Unordered nonces: bit `nonce % 256` of word `nonce / 256`.
        let nonce_slot = self.slot(
            TAG_NONCE,
            word(annotator),
            nonce.wrapping_shr(8),
            U256::ZERO,
        );
        let bits = self.sload(nonce_slot);
        let bit = U256::from(1).wrapping_shl(nonce.as_limbs()[0] as usize & 0xff);
        if !(bits & bit).is_zero() {
            return Err(err::<I::NonceUsed>(&[word(annotator), nonce]));
        }
        let mut words = Vec::with_capacity(task_ids.len().saturating_mul(32));
        for &t in &task_ids {
            words.extend_from_slice(&u(t).to_be_bytes::<32>());
        }
        let mut encoded = [0u8; 224];
        encoded[..32].copy_from_slice(SUBMIT_BATCH_TYPEHASH.as_slice());
        encoded[44..64].copy_from_slice(annotator.as_slice());
        encoded[64..96].copy_from_slice(&job_id.to_be_bytes::<32>());
        encoded[96..128].copy_from_slice(self.vm().native_keccak256(&words).as_slice());
        encoded[128..160].copy_from_slice(self.vm().native_keccak256(payload).as_slice());
        encoded[160..192].copy_from_slice(&nonce.to_be_bytes::<32>());
        encoded[192..].copy_from_slice(&deadline.to_be_bytes::<32>());
        let struct_hash = self.vm().native_keccak256(&encoded);
        let mut digest_input = [0u8; 66];
        digest_input[..2].copy_from_slice(&[0x19, 0x01]);
        digest_input[2..34].copy_from_slice(self.domain_separator().as_slice());
        digest_input[34..].copy_from_slice(struct_hash.as_slice());
        let digest = self.vm().native_keccak256(&digest_input);
        if !stylus_kit::signature_valid(self.vm(), annotator, digest, signature, EIP1271_GAS) {
            return Err(err::<I::InvalidSignature>(&[]));
        }
        self.sstore(nonce_slot, bits | bit);
        self.submit(annotator, job_id, &task_ids, payload)
    }

    #[allow(clippy::too_many_lines)]
    fn submit(
        &mut self,
        annotator: Address,
        job_id: U256,
        task_ids: &[u32],
        payload: &[u8],
    ) -> Result<U256> {
        let pause = self.when_not_paused()?;
        let mut job = self.load_job(job_id)?;
        if job.status == STATUS_COMPLETED {
            return Err(err::<I::JobNotOpen>(&[job_id, u(job.status)]));
        }
        let n = list_size(task_ids.len(), MAX_BATCH)?;
        ascending(task_ids)?;
        if job.schema == SCHEMA_CATEGORICAL {
            if payload.len() != task_ids.len() {
                return Err(err::<I::InvalidPayload>(&[]));
            }
            for (&t, &label) in task_ids.iter().zip(payload) {
                if u16::from(label) >= job.num_classes {
                    return Err(err::<I::InvalidLabel>(&[u(t), u(label)]));
                }
            }
        } else if payload.len() != 32 || payload.iter().all(|&x| x == 0) {
            return Err(err::<I::InvalidPayload>(&[]));
        }
        let rec_slot = self.record_slot(job_id, annotator);
        let mut rec = AnnotatorRecord::unpack(self.sload(rec_slot));
        let clock = self.claim_clock(&pause);
        let now = self.vm().block_timestamp();
        let live = rec.member != 0 && clock <= rec.claim_expiry;
        let me = entry_of(&rec);
        // Tasks under the annotator's live claim are its own; anything else
        // (free tasks, the annotator's own expired claims, others' expired
        // claims) is taken now, which needs an open job before its deadline
        // and counts against `maxHeld`. Claim entries are read only when the
        // annotator or the task has one; the taken bit is all a direct
        // submission of free tasks writes.
        let mut taken = Taken::new(job_id);
        let mut entries = Entries::new(job_id);
        let mut cache = None;
        let (mut claimed, mut fresh) = (0u32, 0u32);
        for &t in task_ids {
            if t >= job.task_count {
                return Err(err::<I::TaskOutOfRange>(&[u(t)]));
            }
            if taken.get(self, t) {
                return Err(err::<I::TaskTaken>(&[u(t)]));
            }
            let entry = if job.members == 0 {
                ENTRY_FREE
            } else {
                entries.get(self, t)
            };
            if entry == me && live {
                claimed = claimed.saturating_add(1);
            } else {
                if job.status != STATUS_OPEN {
                    return Err(err::<I::NotClaimed>(&[u(t)]));
                }
                if now >= job.deadline {
                    return Err(err::<I::SubmissionClosed>(&[job_id, u(job.deadline)]));
                }
                if self.take(job_id, t, entry, me, clock, &mut cache)? {
                    fresh = fresh.saturating_add(job.weight(t));
                }
            }
            taken.set(self, t, true);
        }
        taken.flush(self);
        rec.open = if live {
            rec.open.saturating_sub(claimed)
        } else {
            0
        };
        rec.pending = rec.pending.checked_add(n).ok_or_else(overflow)?;
        Self::within_limit(&job, rec.pending.saturating_add(rec.open))?;
        self.sstore(rec_slot, rec.pack());
        // Fresh tasks were free: reserved + fresh units <= units.
        job.reserved = job.reserved.saturating_add(fresh);
        job.batches = job.batches.checked_add(1).ok_or_else(overflow)?;
        self.save_job(job_id, &job, if fresh == 0 { 0b010 } else { 0b110 });
        let batch_id = u(job.batches);
        let commitment = self
            .vm()
            .native_keccak256(&batch_preimage(annotator, now, task_ids));
        self.sstore(self.batch_slot(job_id, batch_id), b(commitment));
        self.emit(
            I::LabelsSubmitted::SIGNATURE_HASH,
            &[job_id, batch_id, word(annotator)],
            &[
                Arg::W(u(now)),
                Arg::B(&pack_tasks(task_ids)),
                Arg::B(payload),
            ],
        );
        Ok(batch_id)
    }

    // -------------------------------------------------------------- review

    /// `reviewBatches`: settles up to 32 pending batches. Approved tasks are
    /// paid (consecutive batches of one annotator with one transfer);
    /// rejected tasks stay reserved under a rejection commitment until
    /// `settleRejection` or `ruleDispute`, and the creator deposits the
    /// arbiter's fee for each batch with a rejection.
    #[allow(clippy::too_many_lines)]
    fn review_batches(&mut self, a: &Args<'_>) -> Result<()> {
        let job_id = a.word(0)?;
        let mut job = self.load_job(job_id)?;
        let caller = self.vm().msg_sender();
        let automatic = caller != job.creator;
        let ids = a.array(1, 256)?;
        let annotators = a.array(2, 160)?;
        let times = a.array(3, 64)?;
        let counts = a.array(4, 32)?;
        let tasks: Vec<u32> = a.array(5, 32)?.iter().map(U256::saturating_to).collect();
        let verdicts = a.bytes(6)?;
        let batches = ids.len();
        if annotators.len() != batches || times.len() != batches || counts.len() != batches {
            return Err(bad_calldata());
        }
        list_size(batches, MAX_BATCHES)?;
        if !verdicts.is_empty() && verdicts.len() != tasks.len() {
            return Err(err::<I::InvalidPayload>(&[]));
        }
        let now = self.vm().block_timestamp();
        let mut offset = 0usize;
        let mut rejecting = 0u32;
        // Payments happen after every state change: (annotator, units).
        let mut payouts: Vec<(Address, u32)> = Vec::new();
        for i in 0..batches {
            let n: usize = counts[i].saturating_to();
            let end = offset.checked_add(n).ok_or_else(bad_calldata)?;
            let slice = tasks.get(offset..end).ok_or_else(bad_calldata)?;
            let verdict = verdicts.get(offset..end).unwrap_or(&[]);
            offset = end;
            let (batch_id, submitted_at) = (ids[i], times[i].saturating_to::<u64>());
            let annotator = Address::from_word(B256::from(annotators[i]));
            let batch_slot = self.batch_slot(job_id, batch_id);
            let stored = self.sload(batch_slot);
            if stored.is_zero() {
                // Settled by an earlier call: skipped, so a front-run approval
                // of one batch cannot sink a call that settles many.
                continue;
            }
            list_size(n, MAX_BATCH)?;
            let expected =
                self.vm()
                    .native_keccak256(&batch_preimage(annotator, submitted_at, slice));
            if stored != b(expected) {
                return Err(err::<I::UnknownBatch>(&[batch_id]));
            }
            let review_end = submitted_at.saturating_add(u64::from(job.review_window));
            if automatic && now <= review_end {
                return Err(err::<I::ReviewOpen>(&[batch_id, u(review_end)]));
            }
            let rejected: Vec<u32> = slice
                .iter()
                .zip(verdict)
                .filter(|(_, &v)| v != 0)
                .map(|(&t, _)| t)
                .collect();
            let rejects = rejected.len() as u32;
            if rejects != 0 && (automatic || now > review_end) {
                return Err(err::<I::ReviewClosed>(&[batch_id, u(review_end)]));
            }
            let approved = (n as u32).saturating_sub(rejects);
            // Units of the approved tasks (each counted by its weight).
            let mut units = 0u32;
            for (i, &t) in slice.iter().enumerate() {
                if verdict.get(i).is_none_or(|&v| v == 0) {
                    units = units.saturating_add(job.weight(t));
                }
            }
            if rejects == 0 {
                self.sstore(batch_slot, U256::ZERO);
            } else {
                rejecting = rejecting.saturating_add(1);
                let commitment = self.vm().native_keccak256(&rejection_preimage(
                    STAGE_REJECTED,
                    annotator,
                    now,
                    &rejected,
                ));
                self.sstore(batch_slot, b(commitment));
            }
            let rec_slot = self.record_slot(job_id, annotator);
            let mut rec = AnnotatorRecord::unpack(self.sload(rec_slot));
            // The batch's tasks were counted in `pending` and `reserved` when
            // submitted; rejected ones stay reserved until settled.
            rec.pending = rec.pending.saturating_sub(n as u32);
            rec.approved = rec.approved.saturating_add(units);
            rec.rejected = rec.rejected.saturating_add(rejects);
            self.sstore(rec_slot, rec.pack());
            job.reserved = job.reserved.saturating_sub(units);
            job.approved = job.approved.saturating_add(units);
            self.emit(
                I::BatchReviewed::SIGNATURE_HASH,
                &[job_id, batch_id, word(annotator)],
                &[
                    Arg::W(u(now)),
                    Arg::W(u(approved)),
                    Arg::W(u(rejects)),
                    Arg::W(job.reward_for(units)),
                    Arg::W(u(u8::from(automatic))),
                    Arg::B(verdict),
                ],
            );
            match payouts.last_mut() {
                Some((to, owed)) if *to == annotator => *owed = owed.saturating_add(units),
                _ => payouts.push((annotator, units)),
            }
        }
        if offset != tasks.len() {
            return Err(bad_calldata());
        }
        // The creator's deposit: the arbiter's fee for each rejecting batch.
        let fee = if rejecting == 0 {
            U256::ZERO
        } else {
            U256::from(self.terms(job.terms).fee).saturating_mul(u(rejecting))
        };
        self.take_payment(job.token, fee, false)?;
        self.finish_settlement(job_id, &mut job);
        if !job.token.is_zero() && !fee.is_zero() {
            stylus_kit::pull(self.vm(), job.token, caller, fee)?;
        }
        for (to, owed) in payouts {
            self.pay(job.token, to, job.reward_for(owed));
        }
        Ok(())
    }

    // ------------------------------------------------------------ payments

    fn withdraw(&mut self, token: Address, to: Address) -> Result<U256> {
        if to.is_zero() {
            return Err(err::<I::ZeroAddress>(&[]));
        }
        let owner = self.vm().msg_sender();
        let slot = self.credit_slot(token, owner);
        let amount = self.sload(slot);
        if amount.is_zero() {
            return Err(err::<I::NothingToWithdraw>(&[]));
        }
        self.sstore(slot, U256::ZERO);
        self.emit(
            I::Withdrawn::SIGNATURE_HASH,
            &[word(token), word(to)],
            &[Arg::W(amount)],
        );
        if !stylus_kit::transfer_out(self.vm(), token, to, amount, u64::MAX) {
            return Err(err::<I::WithdrawFailed>(&[word(token), word(to)]));
        }
        Ok(amount)
    }
}
