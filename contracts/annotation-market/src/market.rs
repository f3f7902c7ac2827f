//! The AnnotationMarket program: storage, call routing and the rules.
//!
//! Private module so that the `user_entrypoint` the SDK generates here is not
//! part of the Rust API; `AnnotationMarket` is re-exported from the crate root.
//!
//! ## Why the market routes its own calls
//! The SDK's `#[public]` router instantiates one generic ABI decoder per
//! argument tuple and one encoder per return tuple and event. For this ABI
//! (28 functions, 18 events) that made a 172 KB program, above Stylus's
//! 128 KiB wasm limit and far above the 24 KiB compressed code limit. The
//! market therefore takes every call through a `#[fallback]` and decodes the
//! static-layout arguments by hand (`Args`), checking every word the way
//! Solidity's ABI decoder does (values that do not fit their type, offsets or
//! lengths outside the calldata → `InvalidCalldata()`). The functions are
//! declared in the `sol!` interface (`interface.rs`), from which `abi/` is
//! generated; the selectors used here are that interface's constants.

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use stylus_kit::{
    b, bad_calldata, err, not_payable, split_selector, u, unknown_function, word, Arg, Args,
    RawAccess, Result,
};
use stylus_sdk::{
    call::static_call,
    prelude::*,
    storage::{StorageAddress, StorageBool, StorageU256},
    stylus_core::calls::Call,
    ArbResult,
};

use crate::{
    batch_preimage, field, pack_tasks, AnnotatorRecord, IAnnotationMarket as I,
    CONSENSUS_CREATOR_REVIEW, DEFAULT_CLAIM_DURATION, ECRECOVER, EIP1271_MAGIC,
    EIP712_DOMAIN_TYPEHASH, EIP712_NAME_HASH, EIP712_VERSION_HASH, ETH_PUSH_GAS, MAX_BATCH,
    MAX_BATCHES, MAX_CLAIM_DURATION, MAX_CLASSES, MAX_REPLICATION, MAX_REVIEW_WINDOW,
    SCHEMA_CATEGORICAL, SCHEMA_TEXT, SECP256K1_HALF_N, STATUS_CANCELLED, STATUS_COMPLETED,
    STATUS_OPEN, SUBMIT_BATCH_TYPEHASH, TASK_CLAIMED, TASK_NONE, TASK_RELEASED, TASK_SUBMITTED,
    TOKEN_PUSH_GAS,
};

/// Raw-slot tags (first word of the slot preimage).
const TAG_ANNOTATOR: u8 = 1;
const TAG_STATE: u8 = 2;
const TAG_REPLICA: u8 = 3;
const TAG_BATCH: u8 = 4;
const TAG_JOB: u8 = 5;
const TAG_CREDIT: u8 = 6;
const TAG_NONCE: u8 = 7;
const TAG_PAUSER: u8 = 8;

/// Storage of the AnnotationMarket: the admin fields are SDK-typed (slots
/// 0–2); everything per job, annotator, batch and account lives in raw slots
/// `keccak256(tag ‖ a ‖ b ‖ c)` (four 32-byte words, so they cannot collide
/// with the SDK's 64-byte mapping preimages).
#[storage]
#[entrypoint]
pub struct AnnotationMarket {
    admin: StorageAddress,
    paused: StorageBool,
    pending_admin: StorageAddress,
    job_count: StorageU256,
}

/// A job, unpacked from its three packed slots (`dataRoot` and
/// `metadataHash` follow in two more):
/// - word 0: creator(20) ‖ taskCount(4) ‖ replication ‖ schema ‖ numClasses(2) ‖ status ‖ consensus ‖ maxClaim(2)
/// - word 1: token(20) ‖ claimDuration(4) ‖ reviewWindow(4) ‖ batches(4)
/// - word 2: reward(16) ‖ deadline(8) ‖ reserved(4) ‖ approved(4)
#[derive(Default)]
struct Job {
    creator: Address,
    task_count: u32,
    replication: u8,
    schema: u8,
    num_classes: u16,
    status: u8,
    consensus: u8,
    max_claim: u16,
    token: Address,
    claim_duration: u32,
    review_window: u32,
    batches: u32,
    reward: u128,
    deadline: u64,
    reserved: u32,
    approved: u32,
}

fn be32(b: &[u8]) -> u32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(b);
    u32::from_be_bytes(x)
}

impl Job {
    fn unpack(w: [B256; 3]) -> Self {
        let (a, b, c) = (&w[0].0, &w[1].0, &w[2].0);
        let mut reward = [0u8; 16];
        reward.copy_from_slice(&c[..16]);
        let mut deadline = [0u8; 8];
        deadline.copy_from_slice(&c[16..24]);
        Self {
            creator: Address::from_slice(&a[..20]),
            task_count: be32(&a[20..24]),
            replication: a[24],
            schema: a[25],
            num_classes: u16::from_be_bytes([a[26], a[27]]),
            status: a[28],
            consensus: a[29],
            max_claim: u16::from_be_bytes([a[30], a[31]]),
            token: Address::from_slice(&b[..20]),
            claim_duration: be32(&b[20..24]),
            review_window: be32(&b[24..28]),
            batches: be32(&b[28..]),
            reward: u128::from_be_bytes(reward),
            deadline: u64::from_be_bytes(deadline),
            reserved: be32(&c[24..28]),
            approved: be32(&c[28..]),
        }
    }

    fn pack(&self) -> [B256; 3] {
        let mut a = [0u8; 32];
        a[..20].copy_from_slice(self.creator.as_slice());
        a[20..24].copy_from_slice(&self.task_count.to_be_bytes());
        a[24] = self.replication;
        a[25] = self.schema;
        a[26..28].copy_from_slice(&self.num_classes.to_be_bytes());
        a[28] = self.status;
        a[29] = self.consensus;
        a[30..].copy_from_slice(&self.max_claim.to_be_bytes());
        let mut b = [0u8; 32];
        b[..20].copy_from_slice(self.token.as_slice());
        b[20..24].copy_from_slice(&self.claim_duration.to_be_bytes());
        b[24..28].copy_from_slice(&self.review_window.to_be_bytes());
        b[28..].copy_from_slice(&self.batches.to_be_bytes());
        let mut c = [0u8; 32];
        c[..16].copy_from_slice(&self.reward.to_be_bytes());
        c[16..24].copy_from_slice(&self.deadline.to_be_bytes());
        c[24..28].copy_from_slice(&self.reserved.to_be_bytes());
        c[28..].copy_from_slice(&self.approved.to_be_bytes());
        [B256::new(a), B256::new(b), B256::new(c)]
    }

    /// Replicas in the whole job (`taskCount × replication`, checked at creation).
    fn total(&self) -> u32 {
        self.task_count.saturating_mul(u32::from(self.replication))
    }

    /// Replicas neither reserved nor approved (none once cancelled).
    fn open(&self) -> u32 {
        if self.status == STATUS_OPEN {
            self.total()
                .saturating_sub(self.reserved)
                .saturating_sub(self.approved)
        } else {
            0
        }
    }

    fn reward_for(&self, replicas: u32) -> U256 {
        // reward × (taskCount × replication) < 2^128 is checked at creation.
        U256::from(self.reward.saturating_mul(u128::from(replicas)))
    }
}

/// A cached storage word addressed by `(tag, job, a, index)`, so that runs of
/// tasks in the same word cost one slot computation, one load and one write.
struct Cursor {
    tag: u8,
    job: U256,
    a: U256,
    index: Option<u32>,
    slot: U256,
    value: U256,
    dirty: bool,
}

impl Cursor {
    fn new(tag: u8, job: U256, a: U256) -> Self {
        Self {
            tag,
            job,
            a,
            index: None,
            slot: U256::ZERO,
            value: U256::ZERO,
            dirty: false,
        }
    }

    /// Points the cursor at word `index`, writing back the previous one.
    fn seek(&mut self, m: &AnnotationMarket, index: u32) {
        if self.index != Some(index) {
            self.flush(m);
            self.slot = m.slot(self.tag, self.job, self.a, U256::from(index));
            self.value = m.sload(self.slot);
            self.index = Some(index);
        }
    }

    fn flush(&mut self, m: &AnnotationMarket) {
        if self.dirty {
            m.sstore(self.slot, self.value);
            self.dirty = false;
        }
    }

    /// Bit `task % 256` of word `task / 256`.
    fn bit(&mut self, m: &AnnotationMarket, task: u32) -> bool {
        self.seek(m, task / 256);
        self.value.bit((task % 256) as usize)
    }

    fn set_bit(&mut self, m: &AnnotationMarket, task: u32, on: bool) {
        self.seek(m, task / 256);
        self.value.set_bit((task % 256) as usize, on);
        self.dirty = true;
    }

    /// The 2-bit field of `task` in word `task / 128`.
    fn state(&mut self, m: &AnnotationMarket, task: u32) -> u8 {
        self.seek(m, task / 128);
        let shift = ((task % 128) as usize) << 1;
        let lo = u8::from(self.value.bit(shift));
        let hi = u8::from(self.value.bit(shift | 1));
        lo | (hi << 1)
    }

    fn set_state(&mut self, m: &AnnotationMarket, task: u32, state: u8) {
        self.seek(m, task / 128);
        let shift = ((task % 128) as usize) << 1;
        self.value.set_bit(shift, state & 1 != 0);
        self.value.set_bit(shift | 1, state & 2 != 0);
        self.dirty = true;
    }
}

/// The unary replica counter of a job: layer `r` bit `t` says "task `t` has
/// more than `r` holders".
struct Replicas {
    layers: Vec<Cursor>,
}

impl Replicas {
    fn new(job: U256, replication: u8) -> Self {
        Self {
            layers: (0..replication)
                .map(|r| Cursor::new(TAG_REPLICA, job, U256::from(r)))
                .collect(),
        }
    }

    /// Takes one replica of `task`; false when all are taken.
    fn take(&mut self, m: &AnnotationMarket, task: u32) -> bool {
        for layer in &mut self.layers {
            if !layer.bit(m, task) {
                layer.set_bit(m, task, true);
                return true;
            }
        }
        false
    }

    /// Gives one replica of `task` back.
    fn give_back(&mut self, m: &AnnotationMarket, task: u32) {
        for layer in self.layers.iter_mut().rev() {
            if layer.bit(m, task) {
                layer.set_bit(m, task, false);
                return;
            }
        }
    }

    /// Number of replicas of `task` taken.
    fn count(&mut self, m: &AnnotationMarket, task: u32) -> u8 {
        let mut n = 0u8;
        for layer in &mut self.layers {
            if !layer.bit(m, task) {
                break;
            }
            n = n.saturating_add(1);
        }
        n
    }

    fn flush(&mut self, m: &AnnotationMarket) {
        for layer in &mut self.layers {
            layer.flush(m);
        }
    }
}

fn batch_size(n: usize, max: u32) -> Result<u32> {
    match u32::try_from(n) {
        Ok(n) if n >= 1 && n <= max => Ok(n),
        _ => Err(err::<I::BadBatchSize>(&[U256::from(n), u(max)])),
    }
}

#[public]
impl AnnotationMarket {
    /// Makes `admin` the admin and a pauser.
    ///
    /// # Errors
    /// * `ZeroAddress` if `admin` is zero.
    ///
    /// # Events
    /// * `AdminTransferred(0, admin)`, `PauserSet(admin, true)`.
    #[constructor]
    pub fn constructor(&mut self, admin: Address) -> Result<()> {
        if admin.is_zero() {
            return Err(err::<I::ZeroAddress>(&[]));
        }
        self.admin.set(admin);
        self.sstore(
            self.slot(TAG_PAUSER, word(admin), U256::ZERO, U256::ZERO),
            U256::from(1),
        );
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

    /// Every function of the `IAnnotationMarket` interface, routed by selector.
    #[fallback]
    #[payable]
    #[allow(clippy::too_many_lines)]
    pub fn route(&mut self, input: &[u8]) -> ArbResult {
        let (selector, a) = split_selector(input)?;
        if selector != I::createJobCall::SELECTOR && !self.vm().msg_value().is_zero() {
            return Err(not_payable());
        }
        match selector {
            I::createJobCall::SELECTOR => Ok(stylus_kit::ret(&[self.create(&a, false)?])),
            I::createJobWithPermitCall::SELECTOR => Ok(stylus_kit::ret(&[self.create(&a, true)?])),
            I::cancelJobCall::SELECTOR => self.cancel_job(a.word(0)?).map(|()| vec![]),
            I::claimTasksCall::SELECTOR => {
                let expiry = self.claim_tasks(a.word(0)?, &a.u32s(1)?)?;
                Ok(stylus_kit::ret(&[u(expiry)]))
            }
            I::releaseClaimCall::SELECTOR => self
                .release_claim(a.word(0)?, a.address(1)?, &a.u32s(2)?)
                .map(|()| vec![]),
            I::submitBatchCall::SELECTOR => {
                let annotator = self.vm().msg_sender();
                let id = self.submit(annotator, a.word(0)?, &a.u32s(1)?, a.bytes(2)?)?;
                Ok(stylus_kit::ret(&[id]))
            }
            I::submitBatchBySigCall::SELECTOR => Ok(stylus_kit::ret(&[self.submit_by_sig(&a)?])),
            I::reviewBatchCall::SELECTOR => self.review(&a).map(|()| vec![]),
            I::approveBatchesCall::SELECTOR => self.approve_batches(&a).map(|()| vec![]),
            I::withdrawCall::SELECTOR => Ok(stylus_kit::ret(&[
                self.withdraw(a.address(0)?, a.address(1)?)?
            ])),
            I::jobCountCall::SELECTOR => Ok(stylus_kit::ret(&[self.job_count.get()])),
            I::getJobCall::SELECTOR => {
                let id = a.word(0)?;
                let j = self.job(id);
                let base = self.slot(TAG_JOB, id, U256::ZERO, U256::ZERO);
                let held = j.reward_for(j.open().saturating_add(j.reserved));
                Ok(stylus_kit::ret(&[
                    word(j.creator),
                    word(j.token),
                    U256::from(j.reward),
                    u(j.task_count),
                    u(j.replication),
                    u(j.schema),
                    u(j.num_classes),
                    u(j.status),
                    self.sload(base.wrapping_add(U256::from(3))),
                    self.sload(base.wrapping_add(U256::from(4))),
                    u(j.claim_duration),
                    u(j.deadline),
                    u(j.review_window),
                    u(j.max_claim),
                    u(j.consensus),
                    u(j.reserved),
                    u(j.approved),
                    u(j.batches),
                    held,
                ]))
            }
            I::annotatorRecordCall::SELECTOR => {
                let r = self.record(a.word(0)?, a.address(1)?);
                Ok(stylus_kit::ret(&[
                    u(r.open),
                    u(r.pending),
                    u(r.approved),
                    u(r.rejected),
                    u(r.released),
                    u(r.claim_expiry),
                ]))
            }
            I::taskInfoCall::SELECTOR => {
                let (id, annotator) = (a.word(0)?, a.address(1)?);
                let task = a.u64(2, 32)? as u32;
                let holders = Replicas::new(id, self.job(id).replication).count(self, task);
                let state = Cursor::new(TAG_STATE, id, word(annotator)).state(self, task);
                Ok(stylus_kit::ret(&[u(holders), u(state)]))
            }
            I::batchCommitmentCall::SELECTOR => {
                let slot = self.slot(TAG_BATCH, a.word(0)?, a.word(1)?, U256::ZERO);
                Ok(stylus_kit::ret(&[self.sload(slot)]))
            }
            I::creditOfCall::SELECTOR => {
                let slot = self.credit_slot(a.address(0)?, a.address(1)?);
                Ok(stylus_kit::ret(&[self.sload(slot)]))
            }
            I::noncesCall::SELECTOR => {
                let slot = self.slot(TAG_NONCE, word(a.address(0)?), U256::ZERO, U256::ZERO);
                Ok(stylus_kit::ret(&[self.sload(slot)]))
            }
            I::DOMAIN_SEPARATORCall::SELECTOR => Ok(stylus_kit::ret(&[b(self.domain_separator())])),
            I::adminCall::SELECTOR => Ok(stylus_kit::ret(&[word(self.admin.get())])),
            I::pendingAdminCall::SELECTOR => Ok(stylus_kit::ret(&[word(self.pending_admin.get())])),
            I::isPauserCall::SELECTOR => Ok(stylus_kit::ret(&[u(u8::from(
                self.is_pauser(a.address(0)?),
            ))])),
            I::pausedCall::SELECTOR => Ok(stylus_kit::ret(&[u(u8::from(self.paused.get()))])),
            I::pauseCall::SELECTOR => self.set_paused(true).map(|()| vec![]),
            I::unpauseCall::SELECTOR => self.set_paused(false).map(|()| vec![]),
            I::setPauserCall::SELECTOR => self
                .set_pauser(a.address(0)?, a.boolean(1)?)
                .map(|()| vec![]),
            I::transferAdminCall::SELECTOR => {
                let new_admin = a.address(0)?;
                self.only_admin()?;
                self.pending_admin.set(new_admin);
                self.emit(
                    I::AdminTransferStarted::SIGNATURE_HASH,
                    &[word(self.admin.get()), word(new_admin)],
                    &[],
                );
                Ok(vec![])
            }
            I::acceptAdminCall::SELECTOR => {
                let caller = self.vm().msg_sender();
                if caller != self.pending_admin.get() || caller.is_zero() {
                    return Err(err::<I::Unauthorized>(&[word(caller)]));
                }
                let previous = self.admin.get();
                self.admin.set(caller);
                self.pending_admin.set(Address::ZERO);
                self.emit(
                    I::AdminTransferred::SIGNATURE_HASH,
                    &[word(previous), word(caller)],
                    &[],
                );
                Ok(vec![])
            }
            _ => Err(unknown_function(selector)),
        }
    }
}

impl AnnotationMarket {
    // ------------------------------------------------------------- storage

    fn record_slot(&self, job: U256, annotator: Address) -> U256 {
        self.slot(TAG_ANNOTATOR, job, word(annotator), U256::ZERO)
    }

    fn record(&self, job: U256, annotator: Address) -> AnnotatorRecord {
        AnnotatorRecord::unpack(self.sload(self.record_slot(job, annotator)))
    }

    fn credit_slot(&self, token: Address, account: Address) -> U256 {
        self.slot(TAG_CREDIT, word(token), word(account), U256::ZERO)
    }

    /// The job record (all zero for an unknown id).
    fn job(&self, id: U256) -> Job {
        let base = self.slot(TAG_JOB, id, U256::ZERO, U256::ZERO);
        let w = |i: u64| B256::from(self.sload(base.wrapping_add(U256::from(i))));
        Job::unpack([w(0), w(1), w(2)])
    }

    fn load_job(&self, id: U256) -> Result<Job> {
        let job = self.job(id);
        if job.status == 0 {
            return Err(err::<I::JobNotFound>(&[id]));
        }
        Ok(job)
    }

    /// Writes the packed words of `job` selected by `mask` (bit i = word i).
    fn save_job(&self, id: U256, job: &Job, mask: u8) {
        let base = self.slot(TAG_JOB, id, U256::ZERO, U256::ZERO);
        for (i, w) in job.pack().iter().enumerate() {
            if mask & (1 << i) != 0 {
                self.sstore(base.wrapping_add(U256::from(i)), b(*w));
            }
        }
    }

    fn is_pauser(&self, account: Address) -> bool {
        !self
            .sload(self.slot(TAG_PAUSER, word(account), U256::ZERO, U256::ZERO))
            .is_zero()
    }

    // --------------------------------------------------------------- admin

    fn when_not_paused(&self) -> Result<()> {
        if self.paused.get() {
            Err(err::<I::EnforcedPause>(&[]))
        } else {
            Ok(())
        }
    }

    fn only_admin(&self) -> Result<()> {
        let caller = self.vm().msg_sender();
        if caller == self.admin.get() {
            Ok(())
        } else {
            Err(err::<I::Unauthorized>(&[word(caller)]))
        }
    }

    fn set_paused(&mut self, pause: bool) -> Result<()> {
        let caller = self.vm().msg_sender();
        if !self.is_pauser(caller) {
            return Err(err::<I::Unauthorized>(&[word(caller)]));
        }
        if pause {
            self.when_not_paused()?;
        } else if !self.paused.get() {
            return Err(err::<I::ExpectedPause>(&[]));
        }
        self.paused.set(pause);
        let signature = if pause {
            I::Paused::SIGNATURE_HASH
        } else {
            I::Unpaused::SIGNATURE_HASH
        };
        self.emit(signature, &[], &[Arg::W(word(caller))]);
        Ok(())
    }

    fn set_pauser(&mut self, account: Address, enabled: bool) -> Result<()> {
        self.only_admin()?;
        let slot = self.slot(TAG_PAUSER, word(account), U256::ZERO, U256::ZERO);
        self.sstore(slot, u(u8::from(enabled)));
        self.emit(
            I::PauserSet::SIGNATURE_HASH,
            &[word(account)],
            &[Arg::W(u(u8::from(enabled)))],
        );
        Ok(())
    }

    // ---------------------------------------------------------------- jobs

    /// `createJob` / `createJobWithPermit`: validates the terms, records the
    /// job and pulls the escrow.
    #[allow(clippy::too_many_lines)]
    fn create(&mut self, a: &Args<'_>, with_permit: bool) -> Result<U256> {
        self.when_not_paused()?;
        let data_root = a.b256(0)?;
        let metadata_hash = a.b256(1)?;
        let mut job = Job {
            creator: self.vm().msg_sender(),
            token: a.address(2)?,
            reward: a.uint(3, 128)?.saturating_to(),
            task_count: a.u64(4, 32)? as u32,
            replication: a.u64(5, 8)? as u8,
            schema: a.u64(6, 8)? as u8,
            num_classes: a.u64(7, 16)? as u16,
            claim_duration: a.u64(8, 32)? as u32,
            deadline: a.u64(9, 64)?,
            review_window: a.u64(10, 32)? as u32,
            max_claim: a.u64(11, 16)? as u16,
            consensus: a.u64(12, 8)? as u8,
            status: STATUS_OPEN,
            ..Job::default()
        };
        let min_stake = a.word(13)?;
        let permit = if with_permit { a.bytes(14)? } else { &[] };
        let bad = |f: u8| err::<I::InvalidJobParameter>(&[u(f)]);
        if with_permit && (permit.len() != 128 || job.token.is_zero()) {
            return Err(bad(field::PERMIT));
        }
        if data_root.is_zero() {
            return Err(bad(field::DATA_ROOT));
        }
        if job.reward == 0 {
            return Err(bad(field::REWARD));
        }
        if job.replication == 0 || job.replication > MAX_REPLICATION {
            return Err(bad(field::REPLICATION));
        }
        let total = match job.task_count.checked_mul(u32::from(job.replication)) {
            Some(t) if job.task_count != 0 => t,
            _ => return Err(bad(field::TASK_COUNT)),
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
        if job.deadline <= self.vm().block_timestamp() {
            return Err(bad(field::SUBMIT_DEADLINE));
        }
        if job.review_window > MAX_REVIEW_WINDOW {
            return Err(bad(field::REVIEW_WINDOW));
        }
        if job.max_claim == 0 || u32::from(job.max_claim) > MAX_BATCH {
            return Err(bad(field::MAX_CLAIM));
        }
        if job.consensus != CONSENSUS_CREATOR_REVIEW {
            return Err(err::<I::UnsupportedConsensus>(&[u(job.consensus)]));
        }
        if !min_stake.is_zero() {
            return Err(err::<I::StakingUnavailable>(&[min_stake]));
        }
        if job.reward.checked_mul(u128::from(total)).is_none() {
            return Err(bad(field::REWARD));
        }
        let escrow = job.reward_for(total);
        let value = self.vm().msg_value();
        let expected_value = if job.token.is_zero() {
            escrow
        } else {
            U256::ZERO
        };
        if value != expected_value {
            return Err(err::<I::WrongEscrow>(&[expected_value, value]));
        }

        let job_id = self.job_count.get().saturating_add(U256::from(1));
        self.job_count.set(job_id);
        self.save_job(job_id, &job, 0b111);
        let base = self.slot(TAG_JOB, job_id, U256::ZERO, U256::ZERO);
        self.sstore(base.wrapping_add(U256::from(3)), b(data_root));
        if !metadata_hash.is_zero() {
            self.sstore(base.wrapping_add(U256::from(4)), b(metadata_hash));
        }
        self.emit(
            I::JobCreated::SIGNATURE_HASH,
            &[job_id, word(job.creator), word(job.token)],
            &[
                Arg::W(b(data_root)),
                Arg::W(b(metadata_hash)),
                Arg::W(u(job.task_count)),
                Arg::W(u(job.replication)),
                Arg::W(U256::from(job.reward)),
                Arg::W(escrow),
            ],
        );

        if job.token.is_zero() {
            return Ok(job_id);
        }
        let token = job.token;
        let this = self.vm().contract_address();
        if !permit.is_empty() {
            stylus_kit::try_permit(self.vm(), token, job.creator, this, escrow, permit);
        }
        let failed = || err::<I::TokenCallFailed>(&[word(token)]);
        let before = stylus_kit::token_balance(self.vm(), token, this).ok_or_else(failed)?;
        if !stylus_kit::transfer_from(self.vm(), token, job.creator, this, escrow) {
            return Err(failed());
        }
        let after = stylus_kit::token_balance(self.vm(), token, this).ok_or_else(failed)?;
        let received = after.saturating_sub(before);
        if received != escrow {
            return Err(err::<I::UnsupportedToken>(&[word(token), escrow, received]));
        }
        Ok(job_id)
    }

    fn cancel_job(&mut self, job_id: U256) -> Result<()> {
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

    // -------------------------------------------------------------- claims

    fn claim_tasks(&mut self, job_id: U256, task_ids: &[u32]) -> Result<u64> {
        self.when_not_paused()?;
        let mut job = self.load_job(job_id)?;
        if job.status != STATUS_OPEN {
            return Err(err::<I::JobNotOpen>(&[job_id, u(job.status)]));
        }
        let now = self.vm().block_timestamp();
        if now >= job.deadline {
            return Err(err::<I::SubmissionClosed>(&[job_id, u(job.deadline)]));
        }
        let n = batch_size(task_ids.len(), u32::from(job.max_claim))?;
        let annotator = self.vm().msg_sender();
        let rec_slot = self.record_slot(job_id, annotator);
        let mut rec = AnnotatorRecord::unpack(self.sload(rec_slot));
        if rec.open != 0 {
            return Err(err::<I::ClaimStillOpen>(&[u(rec.claim_expiry)]));
        }
        let mut states = Cursor::new(TAG_STATE, job_id, word(annotator));
        let mut replicas = Replicas::new(job_id, job.replication);
        for &t in task_ids {
            if t >= job.task_count {
                return Err(err::<I::TaskOutOfRange>(&[u(t)]));
            }
            if states.state(self, t) != TASK_NONE {
                return Err(err::<I::TaskAlreadyTaken>(&[u(t)]));
            }
            if !replicas.take(self, t) {
                return Err(err::<I::TaskFull>(&[u(t)]));
            }
            states.set_state(self, t, TASK_CLAIMED);
        }
        states.flush(self);
        replicas.flush(self);
        let expiry = now
            .saturating_add(u64::from(job.claim_duration))
            .min(job.deadline);
        rec.open = n;
        rec.claim_expiry = expiry;
        self.sstore(rec_slot, rec.pack());
        // reserved + n <= taskCount × replication < 2^32: each claimed
        // replica took a free replica bit above.
        job.reserved = job.reserved.saturating_add(n);
        self.save_job(job_id, &job, 0b100);
        self.emit(
            I::TasksClaimed::SIGNATURE_HASH,
            &[job_id, word(annotator)],
            &[Arg::W(u(expiry)), Arg::B(&pack_tasks(task_ids))],
        );
        Ok(expiry)
    }

    fn release_claim(&mut self, job_id: U256, annotator: Address, task_ids: &[u32]) -> Result<()> {
        let mut job = self.load_job(job_id)?;
        let n = batch_size(task_ids.len(), MAX_BATCH)?;
        let rec_slot = self.record_slot(job_id, annotator);
        let mut rec = AnnotatorRecord::unpack(self.sload(rec_slot));
        let caller = self.vm().msg_sender();
        if caller != annotator && self.vm().block_timestamp() <= rec.claim_expiry {
            return Err(err::<I::ClaimNotExpired>(&[u(rec.claim_expiry)]));
        }
        let mut states = Cursor::new(TAG_STATE, job_id, word(annotator));
        let mut replicas = Replicas::new(job_id, job.replication);
        for &t in task_ids {
            if states.state(self, t) != TASK_CLAIMED {
                return Err(err::<I::NotClaimed>(&[u(t)]));
            }
            states.set_state(self, t, TASK_RELEASED);
            replicas.give_back(self, t);
        }
        states.flush(self);
        replicas.flush(self);
        // Every released task was counted in `open` and `reserved` when claimed.
        rec.open = rec.open.saturating_sub(n);
        rec.released = rec.released.saturating_add(n);
        self.sstore(rec_slot, rec.pack());
        job.reserved = job.reserved.saturating_sub(n);
        self.save_job(job_id, &job, 0b100);
        self.emit(
            I::ClaimReleased::SIGNATURE_HASH,
            &[job_id, word(annotator)],
            &[Arg::W(word(caller)), Arg::B(&pack_tasks(task_ids))],
        );
        self.refund_freed(job_id, &job, n);
        Ok(())
    }

    // ---------------------------------------------------------- submission

    fn submit_by_sig(&mut self, a: &Args<'_>) -> Result<U256> {
        let annotator = a.address(0)?;
        let job_id = a.word(1)?;
        let task_ids = a.u32s(2)?;
        let payload = a.bytes(3)?;
        let deadline = a.word(4)?;
        let signature = a.bytes(5)?;
        if U256::from(self.vm().block_timestamp()) > deadline {
            return Err(err::<I::SignatureExpired>(&[deadline]));
        }
        let nonce_slot = self.slot(TAG_NONCE, word(annotator), U256::ZERO, U256::ZERO);
        let nonce = self.sload(nonce_slot);
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
        if !self.signed_by(annotator, digest, signature) {
            return Err(err::<I::InvalidSignature>(&[]));
        }
        self.sstore(nonce_slot, nonce.saturating_add(U256::from(1)));
        self.submit(annotator, job_id, &task_ids, payload)
    }

    fn domain_separator(&self) -> B256 {
        let mut buf = [0u8; 160];
        buf[..32].copy_from_slice(EIP712_DOMAIN_TYPEHASH.as_slice());
        buf[32..64].copy_from_slice(EIP712_NAME_HASH.as_slice());
        buf[64..96].copy_from_slice(EIP712_VERSION_HASH.as_slice());
        buf[96..128].copy_from_slice(&U256::from(self.vm().chain_id()).to_be_bytes::<32>());
        buf[140..].copy_from_slice(self.vm().contract_address().as_slice());
        self.vm().native_keccak256(&buf)
    }

    fn submit(
        &mut self,
        annotator: Address,
        job_id: U256,
        task_ids: &[u32],
        payload: &[u8],
    ) -> Result<U256> {
        self.when_not_paused()?;
        let mut job = self.load_job(job_id)?;
        if job.status == STATUS_COMPLETED {
            return Err(err::<I::JobNotOpen>(&[job_id, u(job.status)]));
        }
        let n = batch_size(task_ids.len(), MAX_BATCH)?;
        let rec_slot = self.record_slot(job_id, annotator);
        let mut rec = AnnotatorRecord::unpack(self.sload(rec_slot));
        let now = self.vm().block_timestamp();
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
        // Claimed tasks need a live claim; free tasks of an open job are
        // taken now (a claim and a submission in one step).
        let mut states = Cursor::new(TAG_STATE, job_id, word(annotator));
        let mut replicas = Replicas::new(job_id, job.replication);
        let (mut claimed, mut fresh) = (0u32, 0u32);
        for &t in task_ids {
            match states.state(self, t) {
                TASK_CLAIMED => {
                    if now > rec.claim_expiry {
                        return Err(err::<I::ClaimExpired>(&[u(rec.claim_expiry)]));
                    }
                    claimed = claimed.saturating_add(1);
                }
                TASK_NONE => {
                    if job.status != STATUS_OPEN || t >= job.task_count {
                        return Err(err::<I::NotClaimed>(&[u(t)]));
                    }
                    if now >= job.deadline {
                        return Err(err::<I::SubmissionClosed>(&[job_id, u(job.deadline)]));
                    }
                    if !replicas.take(self, t) {
                        return Err(err::<I::TaskFull>(&[u(t)]));
                    }
                    fresh = fresh.saturating_add(1);
                }
                _ => return Err(err::<I::TaskAlreadyTaken>(&[u(t)])),
            }
            states.set_state(self, t, TASK_SUBMITTED);
        }
        states.flush(self);
        replicas.flush(self);
        // Claimed tasks were counted in `open`; fresh ones take a free
        // replica (so reserved stays <= taskCount × replication).
        rec.open = rec.open.saturating_sub(claimed);
        rec.pending = rec.pending.saturating_add(n);
        self.sstore(rec_slot, rec.pack());
        job.reserved = job.reserved.saturating_add(fresh);

        job.batches = job.batches.saturating_add(1);
        self.save_job(job_id, &job, if fresh == 0 { 0b010 } else { 0b110 });
        let batch_id = u(job.batches);
        let commitment = self
            .vm()
            .native_keccak256(&batch_preimage(annotator, now, task_ids));
        self.sstore(
            self.slot(TAG_BATCH, job_id, batch_id, U256::ZERO),
            b(commitment),
        );
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

    /// Settles batch `(id, annotator, submittedAt)` of `task_ids` in memory
    /// (`job`) and storage (commitment, replicas, annotator record); returns
    /// `(approved, rejected)`. `automatic`: the caller is not the creator, so
    /// the review window must have passed. The caller saves the job and pays.
    fn settle(
        &mut self,
        job_id: U256,
        job: &mut Job,
        (batch_id, annotator, submitted_at): (U256, Address, u64),
        task_ids: &[u32],
        verdicts: &[u8],
        automatic: bool,
    ) -> Result<(u32, u32)> {
        let n = batch_size(task_ids.len(), MAX_BATCH)?;
        let batch_slot = self.slot(TAG_BATCH, job_id, batch_id, U256::ZERO);
        let stored = self.sload(batch_slot);
        let expected =
            self.vm()
                .native_keccak256(&batch_preimage(annotator, submitted_at, task_ids));
        if stored.is_zero() || stored != b(expected) {
            return Err(err::<I::UnknownBatch>(&[batch_id]));
        }
        let review_end = submitted_at.saturating_add(u64::from(job.review_window));
        let now = self.vm().block_timestamp();
        if automatic && now <= review_end {
            return Err(err::<I::ReviewOpen>(&[batch_id, u(review_end)]));
        }
        if !verdicts.is_empty() && verdicts.len() != task_ids.len() {
            return Err(err::<I::InvalidPayload>(&[]));
        }
        // At most MAX_BATCH verdicts.
        let rejects = verdicts.iter().filter(|&&v| v != 0).count() as u32;
        if rejects != 0 && now > review_end {
            return Err(err::<I::ReviewClosed>(&[batch_id, u(review_end)]));
        }
        self.sstore(batch_slot, U256::ZERO);

        if rejects != 0 {
            let mut replicas = Replicas::new(job_id, job.replication);
            for (&t, &v) in task_ids.iter().zip(verdicts) {
                if v != 0 {
                    replicas.give_back(self, t);
                    self.emit(
                        I::WorkRejected::SIGNATURE_HASH,
                        &[job_id, batch_id, word(annotator)],
                        &[Arg::W(u(t)), Arg::W(u(v))],
                    );
                }
            }
            replicas.flush(self);
        }
        let approved = n.saturating_sub(rejects);

        let rec_slot = self.record_slot(job_id, annotator);
        let mut rec = AnnotatorRecord::unpack(self.sload(rec_slot));
        // The batch's tasks were counted in `pending` and `reserved` when submitted.
        rec.pending = rec.pending.saturating_sub(n);
        rec.approved = rec.approved.saturating_add(approved);
        rec.rejected = rec.rejected.saturating_add(rejects);
        self.sstore(rec_slot, rec.pack());

        job.reserved = job.reserved.saturating_sub(n);
        job.approved = job.approved.saturating_add(approved);
        if approved != 0 {
            self.emit(
                I::WorkApproved::SIGNATURE_HASH,
                &[job_id, batch_id, word(annotator)],
                &[
                    Arg::W(u(approved)),
                    Arg::W(job.reward_for(approved)),
                    Arg::W(u(u8::from(automatic))),
                ],
            );
        }
        Ok((approved, rejects))
    }

    /// Saves the job's counters after settlements and completes it when every
    /// replica is approved.
    fn finish_settlement(&mut self, job_id: U256, job: &mut Job) {
        let completed = job.status == STATUS_OPEN && job.approved == job.total();
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

    /// `reviewBatch`: the creator settles one batch with per-task verdicts.
    fn review(&mut self, a: &Args<'_>) -> Result<()> {
        let job_id = a.word(0)?;
        let mut job = self.load_job(job_id)?;
        let caller = self.vm().msg_sender();
        if caller != job.creator {
            return Err(err::<I::Unauthorized>(&[word(caller)]));
        }
        let annotator = a.address(2)?;
        let batch = (a.word(1)?, annotator, a.u64(3, 64)?);
        let (approved, rejected) =
            self.settle(job_id, &mut job, batch, &a.u32s(4)?, a.bytes(5)?, false)?;
        self.finish_settlement(job_id, &mut job);
        self.refund_freed(job_id, &job, rejected);
        self.pay(job.token, annotator, job.reward_for(approved));
        Ok(())
    }

    /// `approveBatches`: approves whole batches, the creator's at any time and
    /// anyone's once each batch's review window has passed. Consecutive
    /// batches of one annotator are paid with one transfer.
    fn approve_batches(&mut self, a: &Args<'_>) -> Result<()> {
        let job_id = a.word(0)?;
        let mut job = self.load_job(job_id)?;
        let automatic = self.vm().msg_sender() != job.creator;
        let ids = a.array(1, 256)?;
        let annotators = a.array(2, 160)?;
        let times = a.array(3, 64)?;
        let counts = a.array(4, 32)?;
        let tasks: Vec<u32> = a.array(5, 32)?.iter().map(U256::saturating_to).collect();
        let batches = ids.len();
        if annotators.len() != batches || times.len() != batches || counts.len() != batches {
            return Err(bad_calldata());
        }
        batch_size(batches, MAX_BATCHES)?;
        let mut offset = 0usize;
        // Payments happen after every state change: (annotator, approved).
        let mut payouts: Vec<(Address, u32)> = Vec::new();
        for i in 0..batches {
            let n: usize = counts[i].saturating_to();
            let end = offset.saturating_add(n);
            let slice = tasks.get(offset..end).ok_or_else(bad_calldata)?;
            offset = end;
            let annotator = Address::from_word(B256::from(annotators[i]));
            let batch = (ids[i], annotator, times[i].saturating_to());
            let (approved, _) = self.settle(job_id, &mut job, batch, slice, &[], automatic)?;
            match payouts.last_mut() {
                Some((to, owed)) if *to == annotator => *owed = owed.saturating_add(approved),
                _ => payouts.push((annotator, approved)),
            }
        }
        if offset != tasks.len() {
            return Err(bad_calldata());
        }
        self.finish_settlement(job_id, &mut job);
        for (to, owed) in payouts {
            self.pay(job.token, to, job.reward_for(owed));
        }
        Ok(())
    }

    /// On a cancelled job, `freed` reserved replicas go back to the creator.
    fn refund_freed(&mut self, job_id: U256, job: &Job, freed: u32) {
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

    // ------------------------------------------------------------ payments

    /// Pays `amount` to `to` now if the transfer succeeds within its gas
    /// stipend, otherwise credits it for `withdraw`.
    fn pay(&mut self, token: Address, to: Address, amount: U256) {
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

    /// Whether `signature` authorises `digest` for `signer`: EIP-1271 for
    /// contracts, low-`s` ECDSA for EOAs.
    fn signed_by(&self, signer: Address, digest: B256, signature: &[u8]) -> bool {
        if self.vm().code_size(signer) > 0 {
            let len = signature.len();
            let mut data = Vec::with_capacity(len.saturating_add(132));
            data.extend_from_slice(&EIP1271_MAGIC);
            data.extend_from_slice(digest.as_slice());
            data.extend_from_slice(&U256::from(64).to_be_bytes::<32>());
            data.extend_from_slice(&U256::from(len).to_be_bytes::<32>());
            data.extend_from_slice(signature);
            data.resize(len.next_multiple_of(32).saturating_add(100), 0);
            return matches!(
                static_call(self.vm(), Call::new(), signer, &data),
                Ok(ret) if ret.len() >= 4 && ret[..4] == EIP1271_MAGIC
            );
        }
        if signature.len() != 65 {
            return false;
        }
        let v = signature[64];
        if B256::from_slice(&signature[32..64]) > SECP256K1_HALF_N || (v != 27 && v != 28) {
            return false;
        }
        let mut input = [0u8; 128];
        input[..32].copy_from_slice(digest.as_slice());
        input[63] = v;
        input[64..].copy_from_slice(&signature[..64]);
        match static_call(self.vm(), Call::new(), ECRECOVER, &input) {
            Ok(out) if out.len() == 32 => {
                let recovered = Address::from_slice(&out[12..]);
                !recovered.is_zero() && recovered == signer
            }
            _ => false,
        }
    }
}
