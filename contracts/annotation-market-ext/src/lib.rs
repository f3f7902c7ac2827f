//! # AnnotationMarket extension
//!
//! The market's cold paths, run by `DELEGATECALL` from the AnnotationMarket
//! program in the market's storage (`labelmint-market-common` holds the
//! layout both programs share): disputes of rejections and the arbiter's
//! rulings, settling rejections whose windows passed, cancellation, claim
//! release, pausing and the admin, nonce invalidation, and every view.
//!
//! The program has its own `user_entrypoint` instead of the SDK's: the SDK's
//! entrypoint reverts on `msg_reentrant`, which Nitro reports for any program
//! running for an address already on the call stack — exactly what a
//! `DELEGATECALL` from the market is. Reentrancy is not a hazard here: the
//! market's own entrypoint keeps its guard, so the extension is only ever
//! entered from a fresh call into the market. Called directly, it runs on its
//! own empty storage, where every function fails (no job, no admin, no
//! pauser) or changes nothing of value.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main, no_std)]
#![warn(clippy::arithmetic_side_effects)]

extern crate alloc;

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use market_common::{
    ascending, entry_of, list_size, overflow, pack_tasks, rejection_preimage, AnnotatorRecord,
    Entries, IAnnotationMarket as I, Job, MarketState, Taken, Terms, ENTRY_FREE, MAX_BATCH,
    MAX_BATCHES, MAX_DISPUTE_WINDOW, MIN_DISPUTE_WINDOW, OUTCOME_ACCEPTED, OUTCOME_OVERTURNED,
    OUTCOME_UNRULED, OUTCOME_UPHELD, SLOT_ADMIN, SLOT_JOB_COUNT, SLOT_PAUSE, SLOT_PENDING_ADMIN,
    SLOT_TERMS_COUNT, STAGE_DISPUTED, STAGE_REJECTED, STATUS_CANCELLED, STATUS_OPEN, TAG_NONCE,
    TAG_TERMS, TASK_CLAIMED, TASK_FREE, TASK_TAKEN,
};
use stylus_kit::{
    b, bad_calldata, err, not_payable, split_selector, u, unknown_function, word, Arg, Args,
    RawAccess, Result,
};
use stylus_sdk::stylus_core::host::HostAccess;

/// What settling rejections leaves owed besides the annotators' pay.
#[derive(Default)]
struct Owed {
    /// To the creator: fee deposits back, and bonds of upheld disputes.
    creator: U256,
    /// To the arbiter: its fees.
    arbiter: U256,
    /// Units of a cancelled job's tasks that came free (refunded to the
    /// creator).
    freed: u32,
}

/// The extension running on a host (the market's storage when delegated to).
pub struct Extension<H: stylus_sdk::stylus_core::Host> {
    vm: H,
}

impl<H: stylus_sdk::stylus_core::Host> HostAccess for Extension<H> {
    type Host = H;

    fn vm(&self) -> &H {
        &self.vm
    }
}

/// The Stylus entrypoint: reads the calldata, routes it, flushes the storage
/// cache and writes the result (status 1 reverts with it).
#[cfg(all(target_arch = "wasm32", not(feature = "export-abi")))]
#[no_mangle]
pub extern "C" fn user_entrypoint(len: usize) -> usize {
    use stylus_sdk::prelude::*;
    let vm = stylus_sdk::host::VM {
        host: stylus_sdk::host::WasmVM {},
    };
    // Keeps `pay_for_memory_grow` imported: Nitro's instrumentation calls it
    // when the program grows its memory.
    vm.pay_for_memory_grow(0);
    let input = vm.read_args(len);
    let ext = Extension { vm };
    let (data, status) = match ext.route(&input) {
        Ok(data) => (data, 0),
        Err(data) => (data, 1),
    };
    ext.vm.flush_cache(false);
    ext.vm.write_result(&data);
    status
}

impl<H: stylus_sdk::stylus_core::Host> Extension<H> {
    /// A program for `vm`.
    pub fn new(vm: H) -> Self {
        Self { vm }
    }

    /// Every selector the market hands over, routed.
    #[allow(clippy::too_many_lines)]
    pub fn route(&self, input: &[u8]) -> Result<Vec<u8>> {
        let (selector, a) = split_selector(input)?;
        let payable = selector == I::disputeRejectionCall::SELECTOR;
        if !payable && !self.vm().msg_value().is_zero() {
            return Err(not_payable());
        }
        let ret = stylus_kit::ret;
        match selector {
            I::cancelJobCall::SELECTOR => self.cancel_job(a.word(0)?).map(|()| Vec::new()),
            I::releaseClaimCall::SELECTOR => self
                .release_claim(a.word(0)?, a.address(1)?, &a.u32s(2)?)
                .map(|()| Vec::new()),
            I::disputeRejectionCall::SELECTOR => self.dispute(&a).map(|()| Vec::new()),
            I::ruleDisputeCall::SELECTOR => self.rule(&a).map(|()| Vec::new()),
            I::settleRejectionsCall::SELECTOR => self.settle_many(&a).map(|()| Vec::new()),
            I::invalidateNoncesCall::SELECTOR => {
                let (pos, mask) = (a.word(0)?, a.word(1)?);
                let annotator = self.vm().msg_sender();
                let slot = self.slot(TAG_NONCE, word(annotator), pos, U256::ZERO);
                self.sstore(slot, self.sload(slot) | mask);
                self.emit(
                    I::NoncesInvalidated::SIGNATURE_HASH,
                    &[word(annotator)],
                    &[Arg::W(pos), Arg::W(mask)],
                );
                Ok(Vec::new())
            }
            I::jobCountCall::SELECTOR => Ok(ret(&[self.global(SLOT_JOB_COUNT)])),
            I::getJobCall::SELECTOR => {
                let id = a.word(0)?;
                let j = self.job(id);
                let held = j.reward_for(j.open().saturating_add(j.reserved));
                Ok(ret(&[
                    word(j.creator),
                    word(j.token),
                    U256::from(j.reward),
                    u(j.task_count),
                    u(j.schema),
                    u(j.num_classes),
                    u(j.status),
                    b(self.job_word(id, 3)),
                    b(self.job_word(id, 4)),
                    u(j.claim_duration),
                    u(j.deadline),
                    u(j.review_window),
                    u(j.max_held),
                    u(j.reserved),
                    u(j.approved),
                    u(j.batches),
                    held,
                ]))
            }
            I::registerArbiterTermsCall::SELECTOR => Ok(ret(&[u(self.register_terms(&a)?)])),
            I::arbiterTermsCall::SELECTOR => {
                let t = self.terms(a.u64(0, 32)? as u32);
                Ok(ret(&[
                    word(t.arbiter),
                    word(t.token),
                    U256::from(t.fee),
                    U256::from(t.bond),
                    u(t.dispute_window),
                    u(t.ruling_window),
                ]))
            }
            I::disputeTermsCall::SELECTOR => {
                let id = self.job(a.word(0)?).terms;
                let t = self.terms(id);
                Ok(ret(&[
                    u(id),
                    word(t.arbiter),
                    U256::from(t.fee),
                    U256::from(t.bond),
                    u(t.dispute_window),
                    u(t.ruling_window),
                ]))
            }
            I::annotatorRecordCall::SELECTOR => {
                let r = self.record(a.word(0)?, a.address(1)?);
                Ok(ret(&[
                    u(r.open),
                    u(r.pending),
                    u(r.approved),
                    u(r.rejected),
                    u(self.real_time(r.claim_expiry)),
                ]))
            }
            I::taskWeightCall::SELECTOR => {
                let j = self.job(a.word(0)?);
                let t = a.u64(1, 32)? as u32;
                let w = if t < j.task_count { j.weight(t) } else { 0 };
                Ok(ret(&[u(w)]))
            }
            I::taskInfoCall::SELECTOR => {
                let (id, task) = (a.word(0)?, a.u64(1, 32)? as u32);
                let entry = Entries::new(id).get(self, task);
                let words = if Taken::new(id).get(self, task) {
                    [u(TASK_TAKEN), U256::ZERO, U256::ZERO]
                } else if entry == ENTRY_FREE {
                    [u(TASK_FREE), U256::ZERO, U256::ZERO]
                } else {
                    let h = self.holder(id, entry);
                    let clock = self.claim_clock(&self.pause_state());
                    if clock > h.expiry {
                        // An expired claim: free for anyone.
                        [u(TASK_FREE), U256::ZERO, U256::ZERO]
                    } else {
                        [
                            u(TASK_CLAIMED),
                            word(h.address),
                            u(self.real_time(h.expiry)),
                        ]
                    }
                };
                Ok(ret(&words))
            }
            I::batchCommitmentCall::SELECTOR => {
                Ok(ret(&[self.sload(self.batch_slot(a.word(0)?, a.word(1)?))]))
            }
            I::creditOfCall::SELECTOR => Ok(ret(&[
                self.sload(self.credit_slot(a.address(0)?, a.address(1)?))
            ])),
            I::nonceBitmapCall::SELECTOR => {
                let slot = self.slot(TAG_NONCE, word(a.address(0)?), a.word(1)?, U256::ZERO);
                Ok(ret(&[self.sload(slot)]))
            }
            I::DOMAIN_SEPARATORCall::SELECTOR => Ok(ret(&[b(self.domain_separator())])),
            I::adminCall::SELECTOR => Ok(ret(&[self.global(SLOT_ADMIN)])),
            I::pendingAdminCall::SELECTOR => Ok(ret(&[self.global(SLOT_PENDING_ADMIN)])),
            I::isPauserCall::SELECTOR => {
                let on = self.is_pauser(a.address(0)?);
                Ok(ret(&[u(u8::from(on))]))
            }
            I::pausedCall::SELECTOR => {
                let p = self.pause_state();
                let now = self.vm().block_timestamp();
                Ok(ret(&[u(u8::from(p.paused)), u(p.paused_for(now))]))
            }
            I::pauseCall::SELECTOR => self.set_paused(true).map(|()| Vec::new()),
            I::unpauseCall::SELECTOR => self.set_paused(false).map(|()| Vec::new()),
            I::setPauserCall::SELECTOR => {
                let (account, enabled) = (a.address(0)?, a.boolean(1)?);
                self.only_admin()?;
                self.sstore(self.pauser_slot(account), u(u8::from(enabled)));
                self.emit(
                    I::PauserSet::SIGNATURE_HASH,
                    &[word(account)],
                    &[Arg::W(u(u8::from(enabled)))],
                );
                Ok(Vec::new())
            }
            I::transferAdminCall::SELECTOR => {
                let new_admin = a.address(0)?;
                self.only_admin()?;
                self.put_global(SLOT_PENDING_ADMIN, word(new_admin));
                self.emit(
                    I::AdminTransferStarted::SIGNATURE_HASH,
                    &[self.global(SLOT_ADMIN), word(new_admin)],
                    &[],
                );
                Ok(Vec::new())
            }
            I::acceptAdminCall::SELECTOR => {
                let caller = self.vm().msg_sender();
                if word(caller) != self.global(SLOT_PENDING_ADMIN) || caller.is_zero() {
                    return Err(err::<I::Unauthorized>(&[word(caller)]));
                }
                let previous = self.global(SLOT_ADMIN);
                self.put_global(SLOT_ADMIN, word(caller));
                self.put_global(SLOT_PENDING_ADMIN, U256::ZERO);
                self.emit(
                    I::AdminTransferred::SIGNATURE_HASH,
                    &[previous, word(caller)],
                    &[],
                );
                Ok(Vec::new())
            }
            _ => Err(unknown_function(selector)),
        }
    }

    fn set_paused(&self, pause: bool) -> Result<()> {
        let caller = self.vm().msg_sender();
        if !self.is_pauser(caller) {
            return Err(err::<I::Unauthorized>(&[word(caller)]));
        }
        let mut p = self.pause_state();
        let now = self.vm().block_timestamp();
        if pause {
            if p.paused {
                return Err(err::<I::EnforcedPause>(&[]));
            }
            p.since = now;
        } else {
            if !p.paused {
                return Err(err::<I::ExpectedPause>(&[]));
            }
            p.total = p.paused_for(now);
        }
        p.paused = pause;
        self.put_global(SLOT_PAUSE, p.pack());
        let signature = if pause {
            I::Paused::SIGNATURE_HASH
        } else {
            I::Unpaused::SIGNATURE_HASH
        };
        self.emit(signature, &[], &[Arg::W(word(caller))]);
        Ok(())
    }

    fn cancel_job(&self, job_id: U256) -> Result<()> {
        let mut job = self.load_job(job_id)?;
        if job.status != STATUS_OPEN {
            return Err(err::<I::JobNotOpen>(&[job_id, u(job.status)]));
        }
        let caller = self.vm().msg_sender();
        if caller != job.creator && self.vm().block_timestamp() < job.deadline {
            return Err(err::<I::Unauthorized>(&[word(caller)]));
        }
        let refund = job.reward_for(job.open());
        job.status = STATUS_CANCELLED;
        self.save_job(job_id, &job, 0b001);
        self.emit(
            I::JobCancelled::SIGNATURE_HASH,
            &[job_id],
            &[Arg::W(word(caller)), Arg::W(refund)],
        );
        self.pay(job.token, job.creator, refund);
        Ok(())
    }

    fn release_claim(&self, job_id: U256, annotator: Address, task_ids: &[u32]) -> Result<()> {
        let mut job = self.load_job(job_id)?;
        let n = list_size(task_ids.len(), MAX_BATCH)?;
        ascending(task_ids)?;
        let rec_slot = self.record_slot(job_id, annotator);
        let mut rec = AnnotatorRecord::unpack(self.sload(rec_slot));
        let caller = self.vm().msg_sender();
        let clock = self.claim_clock(&self.pause_state());
        let live = clock <= rec.claim_expiry;
        if caller != annotator && live {
            return Err(err::<I::ClaimNotExpired>(&[u(
                self.real_time(rec.claim_expiry)
            )]));
        }
        let me = entry_of(&rec);
        let mut entries = Entries::new(job_id);
        let mut taken = Taken::new(job_id);
        let mut units = 0u32;
        for &t in task_ids {
            if rec.member == 0
                || t >= job.task_count
                || taken.get(self, t)
                || entries.get(self, t) != me
            {
                return Err(err::<I::NotClaimed>(&[u(t)]));
            }
            entries.set(self, t, ENTRY_FREE);
            units = units.saturating_add(job.weight(t));
        }
        entries.flush(self);
        rec.open = if live { rec.open.saturating_sub(n) } else { 0 };
        self.sstore(rec_slot, rec.pack());
        // Every released task was counted in `reserved` when claimed.
        job.reserved = job.reserved.saturating_sub(units);
        self.save_job(job_id, &job, 0b100);
        self.emit(
            I::ClaimReleased::SIGNATURE_HASH,
            &[job_id, word(annotator)],
            &[Arg::W(word(caller)), Arg::B(&pack_tasks(task_ids))],
        );
        self.refund_freed(job_id, &job, units);
        Ok(())
    }

    /// `disputeRejection`: the annotator bonds `disputeBond` within the
    /// dispute window; the rejection becomes a dispute for the arbiter.
    fn dispute(&self, a: &Args<'_>) -> Result<()> {
        let job_id = a.word(0)?;
        let batch_id = a.word(1)?;
        let reviewed_at = a.u64(2, 64)?;
        let tasks = a.u32s(3)?;
        let job = self.load_job(job_id)?;
        let terms = self.terms(job.terms);
        let annotator = self.vm().msg_sender();
        let slot = self.batch_slot(job_id, batch_id);
        self.check_rejection(
            slot,
            batch_id,
            STAGE_REJECTED,
            annotator,
            reviewed_at,
            &tasks,
        )?;
        let now = self.vm().block_timestamp();
        let end = reviewed_at.saturating_add(u64::from(terms.dispute_window));
        if now > end {
            return Err(err::<I::DisputeClosed>(&[batch_id, u(end)]));
        }
        let bond = U256::from(terms.bond);
        self.take_payment(job.token, bond, false)?;
        let commitment =
            self.vm()
                .native_keccak256(&rejection_preimage(STAGE_DISPUTED, annotator, now, &tasks));
        self.sstore(slot, b(commitment));
        self.emit(
            I::RejectionDisputed::SIGNATURE_HASH,
            &[job_id, batch_id, word(annotator)],
            &[Arg::W(u(now)), Arg::W(bond)],
        );
        if !job.token.is_zero() && !bond.is_zero() {
            stylus_kit::pull(self.vm(), job.token, annotator, bond)?;
        }
        Ok(())
    }

    /// Fails with `UnknownBatch` unless `slot` holds the commitment of
    /// rejection stage `stage` for exactly this data.
    fn check_rejection(
        &self,
        slot: U256,
        batch_id: U256,
        stage: u8,
        annotator: Address,
        at: u64,
        tasks: &[u32],
    ) -> Result<()> {
        list_size(tasks.len(), MAX_BATCH)?;
        let expected = self
            .vm()
            .native_keccak256(&rejection_preimage(stage, annotator, at, tasks));
        let stored = self.sload(slot);
        if stored.is_zero() || stored != b(expected) {
            return Err(err::<I::UnknownBatch>(&[batch_id]));
        }
        Ok(())
    }

    /// `ruleDispute`: the job's arbiter ends a dispute inside its ruling
    /// window.
    fn rule(&self, a: &Args<'_>) -> Result<()> {
        let job_id = a.word(0)?;
        let batch_id = a.word(1)?;
        let annotator = a.address(2)?;
        let at = a.u64(3, 64)?;
        let tasks = a.u32s(4)?;
        let overturn = a.boolean(5)?;
        let mut job = self.load_job(job_id)?;
        let terms = self.terms(job.terms);
        let caller = self.vm().msg_sender();
        if caller != terms.arbiter {
            return Err(err::<I::Unauthorized>(&[word(caller)]));
        }
        let end = at.saturating_add(u64::from(terms.ruling_window));
        let slot = self.batch_slot(job_id, batch_id);
        self.check_rejection(slot, batch_id, STAGE_DISPUTED, annotator, at, &tasks)?;
        if self.vm().block_timestamp() > end {
            return Err(err::<I::DisputeClosed>(&[batch_id, u(end)]));
        }
        let outcome = if overturn {
            OUTCOME_OVERTURNED
        } else {
            OUTCOME_UPHELD
        };
        let mut owed = Owed::default();
        self.settle_one(
            job_id,
            &mut job,
            &terms,
            (batch_id, annotator, slot),
            &tasks,
            outcome,
            &mut owed,
        );
        self.finish_settlement(job_id, &mut job);
        self.pay_owed(job_id, &job, &terms, &owed);
        Ok(())
    }

    /// `settleRejections`: anyone ends rejections whose window passed —
    /// undisputed ones (`disputed[i]` false, `ats[i]` the review time)
    /// reopen their tasks, unruled disputes (`ats[i]` the dispute time) pay
    /// the annotator. One transfer returns the creator's deposits and
    /// refunds.
    fn settle_many(&self, a: &Args<'_>) -> Result<()> {
        let job_id = a.word(0)?;
        let ids = a.array(1, 256)?;
        let annotators = a.array(2, 160)?;
        let ats = a.array(3, 64)?;
        let counts = a.array(4, 32)?;
        let tasks: Vec<u32> = a.array(5, 32)?.iter().map(U256::saturating_to).collect();
        let disputed = a.array(6, 1)?;
        let n = ids.len();
        if annotators.len() != n || ats.len() != n || counts.len() != n || disputed.len() != n {
            return Err(bad_calldata());
        }
        list_size(n, MAX_BATCHES)?;
        let mut job = self.load_job(job_id)?;
        let terms = self.terms(job.terms);
        let now = self.vm().block_timestamp();
        let mut owed = Owed::default();
        let mut offset = 0usize;
        for i in 0..n {
            let count: usize = counts[i].saturating_to();
            let end = offset.checked_add(count).ok_or_else(bad_calldata)?;
            let list = tasks.get(offset..end).ok_or_else(bad_calldata)?;
            offset = end;
            let (batch_id, at) = (ids[i], ats[i].saturating_to::<u64>());
            let annotator = Address::from_word(B256::from(annotators[i]));
            let was_disputed = !disputed[i].is_zero();
            let (stage, window, outcome) = if was_disputed {
                (STAGE_DISPUTED, terms.ruling_window, OUTCOME_UNRULED)
            } else {
                (STAGE_REJECTED, terms.dispute_window, OUTCOME_ACCEPTED)
            };
            let slot = self.batch_slot(job_id, batch_id);
            self.check_rejection(slot, batch_id, stage, annotator, at, list)?;
            let window_end = at.saturating_add(u64::from(window));
            if now <= window_end {
                return Err(err::<I::DisputeOpen>(&[batch_id, u(window_end)]));
            }
            self.settle_one(
                job_id,
                &mut job,
                &terms,
                (batch_id, annotator, slot),
                list,
                outcome,
                &mut owed,
            );
        }
        if offset != tasks.len() {
            return Err(bad_calldata());
        }
        self.finish_settlement(job_id, &mut job);
        self.pay_owed(job_id, &job, &terms, &owed);
        Ok(())
    }

    /// Ends one verified rejection with `outcome`: clears its commitment,
    /// releases its tasks from `reserved` (paid to the annotator, reopened,
    /// or refunded on a cancelled job) and adds what each party is owed —
    /// the creator's fee deposit and the annotator's bond follow the rules
    /// of the crate docs — to `owed`. Annotator payments are made at once.
    #[allow(clippy::too_many_arguments)]
    fn settle_one(
        &self,
        job_id: U256,
        job: &mut Job,
        terms: &Terms,
        (batch_id, annotator, slot): (U256, Address, U256),
        tasks: &[u32],
        outcome: u8,
        owed: &mut Owed,
    ) {
        self.sstore(slot, U256::ZERO);
        // Rejected tasks were held in `reserved` since the review.
        let n = tasks.len() as u32;
        let units = tasks
            .iter()
            .fold(0u32, |w, &t| w.saturating_add(job.weight(t)));
        job.reserved = job.reserved.saturating_sub(units);
        let (fee, bond) = (U256::from(terms.fee), U256::from(terms.bond));
        let mut to_annotator = U256::ZERO;
        match outcome {
            OUTCOME_UPHELD => {
                // The bond pays the arbiter's fee; the rest and the
                // deposit go back to the creator.
                owed.arbiter = owed.arbiter.saturating_add(fee);
                owed.creator = owed.creator.saturating_add(bond);
            }
            OUTCOME_OVERTURNED => {
                owed.arbiter = owed.arbiter.saturating_add(fee);
                to_annotator = bond;
            }
            OUTCOME_UNRULED => {
                owed.creator = owed.creator.saturating_add(fee);
                to_annotator = bond;
            }
            _ => owed.creator = owed.creator.saturating_add(fee),
        }
        if outcome == OUTCOME_OVERTURNED || outcome == OUTCOME_UNRULED {
            let rec_slot = self.record_slot(job_id, annotator);
            let mut rec = AnnotatorRecord::unpack(self.sload(rec_slot));
            rec.approved = rec.approved.saturating_add(units);
            rec.rejected = rec.rejected.saturating_sub(n);
            self.sstore(rec_slot, rec.pack());
            job.approved = job.approved.saturating_add(units);
            to_annotator = to_annotator.saturating_add(job.reward_for(units));
        } else if job.status == STATUS_OPEN {
            // Reopened: the taken bits and any stale claim entries cleared.
            let mut taken = Taken::new(job_id);
            let mut entries = Entries::new(job_id);
            for &t in tasks {
                taken.set(self, t, false);
                if job.members != 0 {
                    entries.set(self, t, ENTRY_FREE);
                }
            }
            taken.flush(self);
            entries.flush(self);
        } else {
            owed.freed = owed.freed.saturating_add(units);
        }
        self.emit(
            I::RejectionSettled::SIGNATURE_HASH,
            &[job_id, batch_id, word(annotator)],
            &[Arg::W(u(outcome)), Arg::W(u(n))],
        );
        self.pay(job.token, annotator, to_annotator);
    }

    /// Pays what settlements left owed to the arbiter and the creator (a
    /// cancelled job's freed tasks refunded with it).
    fn pay_owed(&self, job_id: U256, job: &Job, terms: &Terms, owed: &Owed) {
        self.refund_freed(job_id, job, owed.freed);
        self.pay(job.token, terms.arbiter, owed.arbiter);
        self.pay(job.token, job.creator, owed.creator);
    }

    /// `registerArbiterTerms`: the caller offers terms; returns their id.
    fn register_terms(&self, a: &Args<'_>) -> Result<u32> {
        let terms = Terms {
            arbiter: self.vm().msg_sender(),
            token: a.address(0)?,
            fee: a.uint(1, 128)?.saturating_to(),
            bond: a.uint(2, 128)?.saturating_to(),
            dispute_window: a.u64(3, 32)? as u32,
            ruling_window: a.u64(4, 32)? as u32,
        };
        if terms.bond < terms.fee {
            return Err(err::<I::InvalidTerms>(&[u(1u8)]));
        }
        let window = MIN_DISPUTE_WINDOW..=MAX_DISPUTE_WINDOW;
        if !window.contains(&terms.dispute_window) || !window.contains(&terms.ruling_window) {
            return Err(err::<I::InvalidTerms>(&[u(2u8)]));
        }
        let id: u32 = self
            .global(SLOT_TERMS_COUNT)
            .saturating_to::<u32>()
            .saturating_add(1);
        // Job words keep terms ids in 24 bits.
        if id >= 1 << 24 {
            return Err(overflow());
        }
        self.put_global(SLOT_TERMS_COUNT, u(id));
        let base = self.slot(TAG_TERMS, u(id), U256::ZERO, U256::ZERO);
        for (i, w) in terms.pack().iter().enumerate() {
            if !w.is_zero() {
                self.sstore(base.wrapping_add(U256::from(i)), b(*w));
            }
        }
        self.emit(
            I::ArbiterTermsRegistered::SIGNATURE_HASH,
            &[u(id), word(terms.arbiter), word(terms.token)],
            &[
                Arg::W(U256::from(terms.fee)),
                Arg::W(U256::from(terms.bond)),
                Arg::W(u(terms.dispute_window)),
                Arg::W(u(terms.ruling_window)),
            ],
        );
        Ok(id)
    }
}
