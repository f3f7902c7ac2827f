//! The QualityCourt program: storage, call routing and the rules (see the
//! crate docs). Calls are routed through a `#[fallback]` with strict hand
//! decoding, as in the other labelmint programs.

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolEvent};
use stylus_kit::{
    b, be, err, not_payable, put, split_selector, u, unknown_function, word, Arg, Args, RawAccess,
    Result,
};
use stylus_sdk::{prelude::*, storage::StorageU256, ArbResult};

use crate::{
    parent, state, IQualityCourt as I, BPS, CLAIM_PERIOD, MAX_PROOF, MAX_WINDOW, MIN_WINDOW,
};

const TAG_JOB: u8 = 1;
const TAG_RESULT: u8 = 2;
const TAG_CLAIMED: u8 = 3;
const TAG_CREDIT: u8 = 4;

const STATUS_OPEN: u8 = 1;
const STATUS_CLOSED: u8 = 2;
const AUDIT_UNSEEDED: u8 = 0;
const AUDIT_CLEAR: u8 = 1;
const AUDIT_SAMPLED: u8 = 2;
const ROLE_CREATOR: u8 = 1;
const ROLE_ORACLE: u8 = 2;
const ROLE_ARBITER: u8 = 3;
const VOID_DISPUTE: u8 = 1;
const VOID_AUDIT: u8 = 2;
const JOB_WORDS: usize = 7;
const RESULT_WORDS: usize = 5;
/// Every word of a job or result.
const ALL: u8 = 0x7F;
/// Job words 0 (creator, status, audit rate, windows), 3 (fee, bond) and 4
/// (escrow, reserved): what settling and claiming read.
const J_SETTLE: u8 = 0b1_1001;
/// Job word 4 (escrow, reserved).
const J_MONEY: u8 = 0b1_0000;
/// Result words 0 (root), 2 (total, paid), 3 (state and times); a result
/// a claim can finalize is posted and has no disputer (word 4).
const R_CLAIM: u8 = 0b0_1101;
/// Result words 2 and 3.
const R_PAID: u8 = 0b0_1100;

/// Storage of the QualityCourt: the job counter in an SDK slot, everything
/// else in raw slots `keccak256(tag ‖ a ‖ b ‖ c)`.
#[storage]
#[entrypoint]
pub struct QualityCourt {
    job_count: StorageU256,
}

fn addr(w: &[u8; 32]) -> Address {
    Address::from_slice(&w[..20])
}

fn with_addr(a: Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[..20].copy_from_slice(a.as_slice());
    w
}

/// A job's seven words:
/// - 0: creator(20) ‖ status ‖ auditBps(2) ‖ challengeWindow(4) ‖ rulingWindow(4)
/// - 1: oracle(20) ‖ results(4) ‖ seedsRevealed(4)
/// - 2: arbiter(20)
/// - 3: arbiterFee(16) ‖ disputeBond(16)
/// - 4: escrow(16) ‖ reserved(16)
/// - 5: dataRoot; 6: seed head (the last revealed link)
#[derive(Default)]
struct Job {
    creator: Address,
    status: u8,
    audit_bps: u16,
    challenge: u32,
    ruling: u32,
    oracle: Address,
    results: u32,
    seeds: u32,
    arbiter: Address,
    fee: u128,
    bond: u128,
    escrow: u128,
    reserved: u128,
    data_root: U256,
    seed_head: U256,
}

impl Job {
    fn unpack(w: [U256; JOB_WORDS]) -> Self {
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
            arbiter: addr(&x[2]),
            fee: be(&x[3][..16]),
            bond: be(&x[3][16..]),
            escrow: be(&x[4][..16]),
            reserved: be(&x[4][16..]),
            data_root: w[5],
            seed_head: w[6],
        }
    }

    fn pack(&self) -> [U256; JOB_WORDS] {
        let mut a = with_addr(self.creator);
        a[20] = self.status;
        put(&mut a, 21, 2, self.audit_bps.into());
        put(&mut a, 23, 4, self.challenge.into());
        put(&mut a, 27, 4, self.ruling.into());
        let mut o = with_addr(self.oracle);
        put(&mut o, 20, 4, self.results.into());
        put(&mut o, 24, 4, self.seeds.into());
        let (mut m, mut e) = ([0u8; 32], [0u8; 32]);
        put(&mut m, 0, 16, self.fee);
        put(&mut m, 16, 16, self.bond);
        put(&mut e, 0, 16, self.escrow);
        put(&mut e, 16, 16, self.reserved);
        [
            U256::from_be_bytes(a),
            U256::from_be_bytes(o),
            U256::from_be_bytes(with_addr(self.arbiter)),
            U256::from_be_bytes(m),
            U256::from_be_bytes(e),
            self.data_root,
            self.seed_head,
        ]
    }

    /// Escrow not reserved by results.
    fn free(&self) -> u128 {
        self.escrow.saturating_sub(self.reserved)
    }
}

/// A result's five words:
/// - 0: root; 1: details
/// - 2: total(16) ‖ paid(16)
/// - 3: leaves(4) ‖ state ‖ audit ‖ challengeEnd(8) ‖ deadline(8)
/// - 4: disputer(20)
#[derive(Default)]
struct Res {
    root: U256,
    details: U256,
    total: u128,
    paid: u128,
    leaves: u32,
    state: u8,
    audit: u8,
    challenge_end: u64,
    deadline: u64,
    disputer: Address,
}

impl Res {
    fn unpack(w: [U256; RESULT_WORDS]) -> Self {
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
            disputer: addr(&x[4]),
        }
    }

    fn pack(&self) -> [U256; RESULT_WORDS] {
        let (mut m, mut s) = ([0u8; 32], [0u8; 32]);
        put(&mut m, 0, 16, self.total);
        put(&mut m, 16, 16, self.paid);
        put(&mut s, 0, 4, self.leaves.into());
        s[4] = self.state;
        s[5] = self.audit;
        put(&mut s, 6, 8, self.challenge_end.into());
        put(&mut s, 14, 8, self.deadline.into());
        [
            self.root,
            self.details,
            U256::from_be_bytes(m),
            U256::from_be_bytes(s),
            U256::from_be_bytes(with_addr(self.disputer)),
        ]
    }
}

#[public]
impl QualityCourt {
    /// Every function of the `IQualityCourt` interface, routed by selector.
    #[fallback]
    #[payable]
    pub fn route(&mut self, input: &[u8]) -> ArbResult {
        let (selector, a) = split_selector(input)?;
        let payable = [
            I::createJobCall::SELECTOR,
            I::fundCall::SELECTOR,
            I::disputeCall::SELECTOR,
        ];
        if !payable.contains(&selector) && !self.vm().msg_value().is_zero() {
            return Err(not_payable());
        }
        let ret = stylus_kit::ret;
        let none = |()| Vec::new();
        match selector {
            I::createJobCall::SELECTOR => Ok(ret(&[self.create_job(&a)?])),
            I::fundCall::SELECTOR => self.fund(a.word(0)?).map(none),
            I::postResultCall::SELECTOR => Ok(ret(&[self.post(&a)?])),
            I::revealSeedCall::SELECTOR => self.reveal_seed(&a).map(none),
            I::disputeCall::SELECTOR => self.dispute(a.word(0)?, a.word(1)?).map(none),
            I::ruleCall::SELECTOR => self.rule(&a).map(none),
            I::finalizeCall::SELECTOR => self.finalize(a.word(0)?, a.word(1)?).map(none),
            I::claimCall::SELECTOR => self.claim(&a).map(none),
            I::expireCall::SELECTOR => self.expire(a.word(0)?, a.word(1)?).map(none),
            I::closeJobCall::SELECTOR => Ok(ret(&[self.close(a.word(0)?)?])),
            I::withdrawCall::SELECTOR => Ok(ret(&[self.withdraw(a.address(0)?)?])),
            I::jobCountCall::SELECTOR => Ok(ret(&[self.job_count.get()])),
            I::getJobCall::SELECTOR => {
                let j = self.job(a.word(0)?);
                Ok(ret(&[
                    word(j.creator),
                    word(j.oracle),
                    word(j.arbiter),
                    j.data_root,
                    U256::from(j.fee),
                    U256::from(j.bond),
                    u(j.challenge),
                    u(j.ruling),
                    u(j.audit_bps),
                    u(j.status),
                    u(j.results),
                    u(j.seeds),
                    j.seed_head,
                    U256::from(j.escrow),
                    U256::from(j.reserved),
                ]))
            }
            I::getResultCall::SELECTOR => {
                let r = self.result(a.word(0)?, a.word(1)?, ALL);
                Ok(ret(&[
                    r.root,
                    r.details,
                    U256::from(r.total),
                    U256::from(r.paid),
                    u(r.leaves),
                    u(r.state),
                    u(r.audit),
                    u(r.challenge_end),
                    u(r.deadline),
                    word(r.disputer),
                ]))
            }
            I::leafOfCall::SELECTOR => {
                let leaf = self.leaf(
                    a.word(0)?,
                    a.word(1)?,
                    a.u64(2, 32)? as u32,
                    a.address(3)?,
                    a.uint(4, 128)?.to(),
                    a.word(5)?,
                );
                Ok(ret(&[U256::from_be_bytes(leaf)]))
            }
            I::isClaimedCall::SELECTOR => {
                let (slot, bit) = self.claim_bit(a.word(0)?, a.word(1)?, a.u64(2, 32)? as u32);
                Ok(ret(&[u(u8::from(!(self.sload(slot) & bit).is_zero()))]))
            }
            I::creditOfCall::SELECTOR => Ok(ret(&[self.sload(self.credit_slot(a.address(0)?))])),
            _ => Err(unknown_function(selector)),
        }
    }
}

impl QualityCourt {
    fn job_base(&self, id: U256) -> U256 {
        self.slot(TAG_JOB, id, U256::ZERO, U256::ZERO)
    }

    /// Reads the words of `base..` selected by `mask` (bit i: word i); the
    /// others stay zero. Cold reads cost 2,100 gas each: calls read what
    /// they use.
    fn load<const N: usize>(&self, base: U256, mask: u8) -> [U256; N] {
        let mut w = [U256::ZERO; N];
        for (i, x) in w.iter_mut().enumerate() {
            if mask & (1 << i) != 0 {
                *x = self.sload(base.wrapping_add(U256::from(i)));
            }
        }
        w
    }

    /// Writes the words selected by `mask` back.
    fn store<const N: usize>(&self, base: U256, words: [U256; N], mask: u8) {
        for (i, w) in words.into_iter().enumerate() {
            if mask & (1 << i) != 0 {
                self.sstore(base.wrapping_add(U256::from(i)), w);
            }
        }
    }

    fn job(&self, id: U256) -> Job {
        Job::unpack(self.load(self.job_base(id), ALL))
    }

    /// The job's words in `mask` (word 0, the status, always), or
    /// `JobNotFound`.
    fn existing(&self, id: U256, mask: u8) -> Result<Job> {
        let j = Job::unpack(self.load(self.job_base(id), mask | 1));
        if j.status == 0 {
            return Err(err::<I::JobNotFound>(&[id]));
        }
        Ok(j)
    }

    /// Writes the words of `j` in `mask` back.
    fn save(&self, id: U256, j: &Job, mask: u8) {
        self.store(self.job_base(id), j.pack(), mask);
    }

    fn result_base(&self, job: U256, id: U256) -> U256 {
        self.slot(TAG_RESULT, job, id, U256::ZERO)
    }

    fn result(&self, job: U256, id: U256, mask: u8) -> Res {
        Res::unpack(self.load(self.result_base(job, id), mask))
    }

    /// The job and one of its results (the words in the masks; word 3 of
    /// the result, its state, always), or `JobNotFound` / `ResultNotFound`.
    fn job_and_result(&self, job: U256, id: U256, jm: u8, rm: u8) -> Result<(Job, Res)> {
        let j = self.existing(job, jm)?;
        let r = self.result(job, id, rm | 1 << 3);
        if r.state == 0 {
            return Err(err::<I::ResultNotFound>(&[id]));
        }
        Ok((j, r))
    }

    fn save_result(&self, job: U256, id: U256, r: &Res, mask: u8) {
        self.store(self.result_base(job, id), r.pack(), mask);
    }

    fn credit_slot(&self, who: Address) -> U256 {
        self.slot(TAG_CREDIT, word(who), U256::ZERO, U256::ZERO)
    }

    fn credit(&self, who: Address, amount: u128) {
        if amount == 0 {
            return;
        }
        let slot = self.credit_slot(who);
        let v = self.sload(slot);
        self.sstore(slot, v.saturating_add(U256::from(amount)));
    }

    fn require(&self, who: Address, role: u8) -> Result<()> {
        let caller = self.vm().msg_sender();
        if caller != who {
            return Err(err::<I::Unauthorized>(&[word(caller), u(role)]));
        }
        Ok(())
    }

    fn leaf(
        &self,
        job: U256,
        result: U256,
        index: u32,
        who: Address,
        payout: u128,
        verdicts: U256,
    ) -> [u8; 32] {
        // jobId(32) ‖ resultId(32) ‖ index(4) ‖ annotator(20) ‖ payout(16) ‖ verdicts(32)
        let mut pre = [0u8; 136];
        pre[..32].copy_from_slice(&job.to_be_bytes::<32>());
        pre[32..64].copy_from_slice(&result.to_be_bytes::<32>());
        pre[64..68].copy_from_slice(&index.to_be_bytes());
        pre[68..88].copy_from_slice(who.as_slice());
        pre[88..104].copy_from_slice(&payout.to_be_bytes());
        pre[104..].copy_from_slice(&verdicts.to_be_bytes::<32>());
        self.vm().native_keccak256(&pre).0
    }

    fn claim_bit(&self, job: U256, result: U256, index: u32) -> (U256, U256) {
        (
            self.slot(TAG_CLAIMED, job, result, u(index / 256)),
            U256::from(1).wrapping_shl((index % 256) as usize),
        )
    }

    /// Whether a result still needs the arbiter's audit: the job audits, and
    /// its seed link was sampled or not revealed in time.
    fn audit_due(j: &Job, r: &Res) -> bool {
        j.audit_bps > 0 && r.audit != AUDIT_CLEAR
    }

    fn create_job(&mut self, a: &Args<'_>) -> Result<U256> {
        let bad = |field: u8| err::<I::InvalidParameter>(&[u(field)]);
        let data_root = a.word(0)?;
        let (oracle, arbiter) = (a.address(1)?, a.address(2)?);
        let fee: u128 = a.uint(3, 128)?.to();
        let bond: u128 = a.uint(4, 128)?.to();
        let challenge = a.u64(5, 32)? as u32;
        let ruling = a.u64(6, 32)? as u32;
        let audit_bps = a.u64(7, 16)? as u16;
        let seed = a.word(8)?;
        let creator = self.vm().msg_sender();
        let value = self.vm().msg_value();
        let window = MIN_WINDOW..=MAX_WINDOW;
        let checks = [
            (oracle.is_zero(), 1),
            (
                arbiter.is_zero() || arbiter == creator || arbiter == oracle,
                2,
            ),
            (bond == 0, 3),
            (!window.contains(&challenge), 4),
            (!window.contains(&ruling), 5),
            (audit_bps > BPS || (audit_bps > 0 && seed.is_zero()), 6),
            (value.is_zero(), 7),
            (value > U256::from(u128::MAX), 9),
        ];
        if let Some((_, field)) = checks.iter().find(|(failed, _)| *failed) {
            return Err(bad(*field));
        }
        let escrow: u128 = value.to();
        let id = self.job_count.get().wrapping_add(U256::from(1));
        self.job_count.set(id);
        let j = Job {
            creator,
            status: STATUS_OPEN,
            audit_bps,
            challenge,
            ruling,
            oracle,
            arbiter,
            fee,
            bond,
            escrow,
            data_root,
            seed_head: seed,
            ..Job::default()
        };
        self.save(id, &j, ALL);
        self.emit(
            I::JobCreated::SIGNATURE_HASH,
            &[id, word(creator), word(arbiter)],
            &[Arg::W(word(oracle)), Arg::W(data_root), Arg::W(value)],
        );
        Ok(id)
    }

    fn fund(&mut self, id: U256) -> Result<()> {
        let mut j = self.existing(id, J_MONEY)?;
        if j.status != STATUS_OPEN {
            return Err(err::<I::JobIsClosed>(&[id]));
        }
        let value = self.vm().msg_value();
        if value.is_zero() {
            return Err(err::<I::InvalidParameter>(&[u(7u8)]));
        }
        j.escrow = u128::try_from(value)
            .ok()
            .and_then(|v| j.escrow.checked_add(v))
            .ok_or_else(|| err::<I::InvalidParameter>(&[u(9u8)]))?;
        self.save(id, &j, J_MONEY);
        self.emit(
            I::JobFunded::SIGNATURE_HASH,
            &[id, word(self.vm().msg_sender())],
            &[Arg::W(value)],
        );
        Ok(())
    }

    fn post(&mut self, a: &Args<'_>) -> Result<U256> {
        let id = a.word(0)?;
        let root = a.word(1)?;
        let total: u128 = a.uint(2, 128)?.to();
        let leaves = a.u64(3, 32)? as u32;
        let details = a.word(4)?;
        let mut j = self.existing(id, 0b1_1011)?;
        self.require(j.oracle, ROLE_ORACLE)?;
        if j.status != STATUS_OPEN {
            return Err(err::<I::JobIsClosed>(&[id]));
        }
        if root.is_zero() || leaves == 0 {
            return Err(err::<I::InvalidParameter>(&[u(8u8)]));
        }
        let need = total.saturating_add(j.fee);
        if need > j.free() {
            return Err(err::<I::InsufficientEscrow>(&[
                U256::from(j.free()),
                U256::from(need),
            ]));
        }
        j.reserved = j.reserved.saturating_add(need);
        j.results = j.results.saturating_add(1);
        let rid = u(j.results);
        let challenge_end = self
            .vm()
            .block_timestamp()
            .saturating_add(j.challenge.into());
        let r = Res {
            root,
            details,
            total,
            leaves,
            state: state::POSTED,
            challenge_end,
            deadline: challenge_end,
            ..Res::default()
        };
        self.save(id, &j, 0b1_0010);
        self.save_result(id, rid, &r, 0b0_1111);
        self.emit(
            I::ResultPosted::SIGNATURE_HASH,
            &[id, rid],
            &[
                Arg::W(root),
                Arg::W(U256::from(total)),
                Arg::W(u(leaves)),
                Arg::W(details),
                Arg::W(u(challenge_end)),
            ],
        );
        Ok(rid)
    }

    fn reveal_seed(&mut self, a: &Args<'_>) -> Result<()> {
        let (id, rid, seed) = (a.word(0)?, a.word(1)?, a.word(2)?);
        let (mut j, mut r) = self.job_and_result(id, rid, 0b100_0011, 0b0_1001)?;
        if j.audit_bps == 0 {
            return Err(err::<I::InvalidParameter>(&[u(6u8)]));
        }
        let next = u(j.seeds.saturating_add(1));
        if rid != next {
            return Err(err::<I::SeedOutOfOrder>(&[next]));
        }
        let link = seed.to_be_bytes::<32>();
        if b(self.vm().native_keccak256(&link)) != j.seed_head {
            return Err(err::<I::SeedMismatch>(&[]));
        }
        j.seed_head = seed;
        j.seeds = j.seeds.saturating_add(1);
        let mut pre = [0u8; 64];
        pre[..32].copy_from_slice(&link);
        pre[32..].copy_from_slice(&r.root.to_be_bytes::<32>());
        let draw = b(self.vm().native_keccak256(&pre)).wrapping_rem(U256::from(BPS));
        // A link revealed after the challenge window audits the result anyway.
        let in_time = r.state == state::POSTED && self.vm().block_timestamp() < r.challenge_end;
        let audited = !in_time || draw < U256::from(j.audit_bps);
        if r.audit == AUDIT_UNSEEDED {
            r.audit = if audited { AUDIT_SAMPLED } else { AUDIT_CLEAR };
        }
        self.save(id, &j, 0b100_0010);
        self.save_result(id, rid, &r, 0b0_1000);
        self.emit(
            I::SeedRevealed::SIGNATURE_HASH,
            &[id, rid],
            &[Arg::W(seed), Arg::W(u(u8::from(audited)))],
        );
        Ok(())
    }

    fn dispute(&mut self, id: U256, rid: U256) -> Result<()> {
        let (j, mut r) = self.job_and_result(id, rid, 0b0_1001, 0b1_1000)?;
        if r.state != state::POSTED {
            return Err(err::<I::WrongState>(&[rid, u(r.state)]));
        }
        let now = self.vm().block_timestamp();
        if now >= r.challenge_end {
            return Err(err::<I::TooLate>(&[u(r.challenge_end)]));
        }
        let value = self.vm().msg_value();
        if value != U256::from(j.bond) {
            return Err(err::<I::WrongBond>(&[U256::from(j.bond), value]));
        }
        let who = self.vm().msg_sender();
        r.state = state::IN_REVIEW;
        r.deadline = now.saturating_add(j.ruling.into());
        r.disputer = who;
        self.save_result(id, rid, &r, 0b1_1000);
        self.emit(
            I::Disputed::SIGNATURE_HASH,
            &[id, rid, word(who)],
            &[Arg::W(value), Arg::W(u(r.deadline))],
        );
        Ok(())
    }

    fn rule(&mut self, a: &Args<'_>) -> Result<()> {
        let (id, rid) = (a.word(0)?, a.word(1)?);
        let overturn = a.boolean(2)?;
        let root = a.word(3)?;
        let total: u128 = a.uint(4, 128)?.to();
        let leaves = a.u64(5, 32)? as u32;
        let details = a.word(6)?;
        let (mut j, mut r) = self.job_and_result(id, rid, 0b1_1101, ALL)?;
        self.require(j.arbiter, ROLE_ARBITER)?;
        let now = self.vm().block_timestamp();
        let deadline = match r.state {
            state::IN_REVIEW => r.deadline,
            state::POSTED if Self::audit_due(&j, &r) => {
                if now < r.challenge_end {
                    return Err(err::<I::TooEarly>(&[u(r.challenge_end)]));
                }
                r.challenge_end.saturating_add(j.ruling.into())
            }
            s => return Err(err::<I::WrongState>(&[rid, u(s)])),
        };
        if now >= deadline {
            return Err(err::<I::TooLate>(&[u(deadline)]));
        }
        if overturn {
            if root.is_zero() || leaves == 0 {
                return Err(err::<I::InvalidParameter>(&[u(8u8)]));
            }
            let ceiling = r.total.saturating_add(j.free());
            if total > ceiling {
                return Err(err::<I::InsufficientEscrow>(&[
                    U256::from(ceiling),
                    U256::from(total),
                ]));
            }
            j.reserved = j.reserved.saturating_sub(r.total).saturating_add(total);
            (r.root, r.total, r.leaves, r.details) = (root, total, leaves, details);
        }
        // The fee was reserved at posting.
        j.reserved = j.reserved.saturating_sub(j.fee);
        j.escrow = j.escrow.saturating_sub(j.fee);
        self.credit(j.arbiter, j.fee);
        if !r.disputer.is_zero() {
            if overturn {
                self.credit(r.disputer, j.bond);
            } else {
                j.escrow = j.escrow.saturating_add(j.bond);
            }
        }
        r.state = state::FINAL;
        r.deadline = now.saturating_add(CLAIM_PERIOD);
        self.save(id, &j, J_MONEY);
        self.save_result(id, rid, &r, ALL);
        self.emit(
            I::Ruled::SIGNATURE_HASH,
            &[id, rid],
            &[
                Arg::W(u(u8::from(overturn))),
                Arg::W(r.root),
                Arg::W(U256::from(r.total)),
                Arg::W(U256::from(j.fee)),
            ],
        );
        Ok(())
    }

    /// Moves a result past its window: final, audit due, or void. Errors
    /// while its window (or ruling window) is still running.
    fn settle(&self, id: U256, rid: U256, j: &mut Job, r: &mut Res) -> Result<()> {
        let now = self.vm().block_timestamp();
        let reason = match r.state {
            state::POSTED => {
                if now < r.challenge_end {
                    return Err(err::<I::TooEarly>(&[u(r.challenge_end)]));
                }
                if !Self::audit_due(j, r) {
                    j.reserved = j.reserved.saturating_sub(j.fee);
                    r.state = state::FINAL;
                    r.deadline = now.saturating_add(CLAIM_PERIOD);
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
        j.reserved = j.reserved.saturating_sub(r.total.saturating_add(j.fee));
        if !r.disputer.is_zero() {
            self.credit(r.disputer, j.bond);
        }
        r.state = state::VOID;
        self.emit(I::Voided::SIGNATURE_HASH, &[id, rid], &[Arg::W(u(reason))]);
        Ok(())
    }

    fn finalize(&mut self, id: U256, rid: U256) -> Result<()> {
        let (mut j, mut r) = self.job_and_result(id, rid, J_SETTLE, 0b1_1100)?;
        self.settle(id, rid, &mut j, &mut r)?;
        self.save(id, &j, J_MONEY);
        self.save_result(id, rid, &r, R_PAID);
        Ok(())
    }

    fn claim(&mut self, a: &Args<'_>) -> Result<()> {
        let (id, rid) = (a.word(0)?, a.word(1)?);
        let index = a.u64(2, 32)? as u32;
        let who = a.address(3)?;
        let payout: u128 = a.uint(4, 128)?.to();
        let verdicts = a.word(5)?;
        let proof = a.array(6, 256)?;
        let (mut j, mut r) = self.job_and_result(id, rid, J_SETTLE, R_CLAIM)?;
        if r.state == state::POSTED {
            self.settle(id, rid, &mut j, &mut r)?;
        }
        if r.state != state::FINAL {
            return Err(err::<I::WrongState>(&[rid, u(r.state)]));
        }
        if proof.len() > MAX_PROOF || index >= r.leaves {
            return Err(err::<I::InvalidProof>(&[]));
        }
        let keccak = |x: &[u8]| self.vm().native_keccak256(x).0;
        let mut node = self.leaf(id, rid, index, who, payout, verdicts);
        for p in &proof {
            node = parent(node, p.to_be_bytes::<32>(), keccak);
        }
        if U256::from_be_bytes(node) != r.root {
            return Err(err::<I::InvalidProof>(&[]));
        }
        let (slot, bit) = self.claim_bit(id, rid, index);
        let bits = self.sload(slot);
        if !(bits & bit).is_zero() {
            return Err(err::<I::AlreadyClaimed>(&[u(index)]));
        }
        let paid = r.paid.saturating_add(payout);
        if paid > r.total {
            return Err(err::<I::PayoutExceedsTotal>(&[
                U256::from(paid),
                U256::from(r.total),
            ]));
        }
        self.sstore(slot, bits | bit);
        r.paid = paid;
        j.reserved = j.reserved.saturating_sub(payout);
        j.escrow = j.escrow.saturating_sub(payout);
        self.save(id, &j, J_MONEY);
        self.save_result(id, rid, &r, R_PAID);
        self.credit(who, payout);
        self.emit(
            I::Claimed::SIGNATURE_HASH,
            &[id, rid, word(who)],
            &[Arg::W(u(index)), Arg::W(U256::from(payout))],
        );
        Ok(())
    }

    fn expire(&mut self, id: U256, rid: U256) -> Result<()> {
        let (mut j, mut r) = self.job_and_result(id, rid, J_MONEY, R_PAID)?;
        if r.state != state::FINAL {
            return Err(err::<I::WrongState>(&[rid, u(r.state)]));
        }
        if self.vm().block_timestamp() < r.deadline {
            return Err(err::<I::TooEarly>(&[u(r.deadline)]));
        }
        let rest = r.total.saturating_sub(r.paid);
        j.reserved = j.reserved.saturating_sub(rest);
        r.state = state::EXPIRED;
        self.save(id, &j, J_MONEY);
        self.save_result(id, rid, &r, R_PAID);
        self.emit(
            I::Expired::SIGNATURE_HASH,
            &[id, rid],
            &[Arg::W(U256::from(rest))],
        );
        Ok(())
    }

    fn close(&mut self, id: U256) -> Result<U256> {
        let mut j = self.existing(id, J_MONEY)?;
        self.require(j.creator, ROLE_CREATOR)?;
        let refund = j.free();
        j.status = STATUS_CLOSED;
        j.escrow = j.escrow.saturating_sub(refund);
        self.save(id, &j, 0b1_0001);
        self.credit(j.creator, refund);
        self.emit(
            I::JobClosed::SIGNATURE_HASH,
            &[id],
            &[Arg::W(U256::from(refund))],
        );
        Ok(U256::from(refund))
    }

    fn withdraw(&mut self, to: Address) -> Result<U256> {
        let who = self.vm().msg_sender();
        let slot = self.credit_slot(who);
        stylus_kit::withdraw_credit(self.vm(), slot, who, to, I::Withdrawn::SIGNATURE_HASH)
    }
}

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
            arbiter: Address::repeat_byte(3),
            fee: 11,
            bond: u128::MAX,
            escrow: 13,
            reserved: 12,
            data_root: U256::from(99),
            seed_head: U256::MAX,
        };
        let back = Job::unpack(j.pack());
        assert_eq!(back.pack(), j.pack());
        assert_eq!(
            (back.audit_bps, back.ruling, back.seeds),
            (2_500, 86_400, 5)
        );
        assert_eq!(back.free(), 1);
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
            disputer: Address::repeat_byte(9),
        };
        let back = Res::unpack(r.pack());
        assert_eq!(back.pack(), r.pack());
        assert_eq!((back.leaves, back.deadline, back.audit), (u32::MAX, 17, 2));
    }
}
