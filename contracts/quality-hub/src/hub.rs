//! The QualityHub program: storage, call routing and the rules (see the
//! crate docs). Calls are routed through a `#[fallback]` with strict hand
//! decoding, as in the AnnotationMarket.

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolEvent};
use stylus_kit::{
    b, be, err, not_payable, put, split_selector, u, unknown_function, word, Arg, Args, RawAccess,
    Result,
};
use stylus_sdk::{prelude::*, storage::StorageAddress, storage::StorageU256, ArbResult};

use crate::{
    IQualityHub as I, BPS, MAX_BATCH, MAX_CLASSES, MAX_REPLICATION, REPUTATION_SAMPLE,
    SLASH_TO_CREATOR, UNSTAKE_COOLDOWN,
};

const TAG_JOB: u8 = 1;
const TAG_TALLY: u8 = 2;
const TAG_VOTED: u8 = 3;
const TAG_BATCH: u8 = 4;
const TAG_RECORD: u8 = 5;
const TAG_STAKE: u8 = 6;
const TAG_UNSTAKE: u8 = 7;
const TAG_REPUTATION: u8 = 8;
const TAG_CREDIT: u8 = 9;

const STATUS_OPEN: u8 = 1;
const STATUS_CLOSED: u8 = 2;
const BATCH_COMMITTED: u8 = 1;
const BATCH_REVEALED: u8 = 2;
const PHASE_COMMIT: u8 = 1;
const PHASE_REVEAL: u8 = 2;
const PHASE_SETTLE: u8 = 3;
const PHASE_CLOSED: u8 = 4;

/// Storage of the QualityHub: the staking token and job counter in SDK
/// slots, everything else in raw slots `keccak256(tag ‖ a ‖ b ‖ c)`.
#[storage]
#[entrypoint]
pub struct QualityHub {
    stake_token: StorageAddress,
    job_count: StorageU256,
}

/// A job's four packed words (the data root and agreed total follow):
/// - 0: creator(20) ‖ tasks(4) ‖ k ‖ classes ‖ quorumBps(2) ‖ slashBps(2) ‖ slashTo ‖ status
/// - 1: reward(16) ‖ minStake(16)
/// - 2: commitEnd(8) ‖ revealEnd(8) ‖ settleEnd(8) ‖ batches(4) ‖ minRepBps(2)
/// - 3: escrow(16) ‖ slashPool(16)
#[derive(Default)]
struct Job {
    creator: Address,
    tasks: u32,
    k: u8,
    classes: u8,
    quorum: u16,
    slash_bps: u16,
    slash_to: u8,
    status: u8,
    reward: u128,
    min_stake: u128,
    commit_end: u64,
    reveal_end: u64,
    settle_end: u64,
    batches: u32,
    min_rep: u16,
    escrow: u128,
    pool: u128,
}

impl Job {
    #[allow(clippy::many_single_char_names)]
    fn unpack(w: [U256; 4]) -> Self {
        let [a, b, c, d] = w.map(|x| x.to_be_bytes::<32>());
        Self {
            creator: Address::from_slice(&a[..20]),
            tasks: be(&a[20..24]) as u32,
            k: a[24],
            classes: a[25],
            quorum: be(&a[26..28]) as u16,
            slash_bps: be(&a[28..30]) as u16,
            slash_to: a[30],
            status: a[31],
            reward: be(&b[..16]),
            min_stake: be(&b[16..]),
            commit_end: be(&c[..8]) as u64,
            reveal_end: be(&c[8..16]) as u64,
            settle_end: be(&c[16..24]) as u64,
            batches: be(&c[24..28]) as u32,
            min_rep: be(&c[28..30]) as u16,
            escrow: be(&d[..16]),
            pool: be(&d[16..]),
        }
    }

    fn pack(&self) -> [U256; 4] {
        let (mut a, mut b, mut c, mut d) = ([0u8; 32], [0u8; 32], [0u8; 32], [0u8; 32]);
        a[..20].copy_from_slice(self.creator.as_slice());
        put(&mut a, 20, 4, self.tasks.into());
        a[24] = self.k;
        a[25] = self.classes;
        put(&mut a, 26, 2, self.quorum.into());
        put(&mut a, 28, 2, self.slash_bps.into());
        a[30] = self.slash_to;
        a[31] = self.status;
        put(&mut b, 0, 16, self.reward);
        put(&mut b, 16, 16, self.min_stake);
        put(&mut c, 0, 8, self.commit_end.into());
        put(&mut c, 8, 8, self.reveal_end.into());
        put(&mut c, 16, 8, self.settle_end.into());
        put(&mut c, 24, 4, self.batches.into());
        put(&mut c, 28, 2, self.min_rep.into());
        put(&mut d, 0, 16, self.escrow);
        put(&mut d, 16, 16, self.pool);
        [a, b, c, d].map(U256::from_be_bytes)
    }

    fn phase(&self, now: u64) -> u8 {
        if self.status != STATUS_OPEN {
            PHASE_CLOSED
        } else if now < self.commit_end {
            PHASE_COMMIT
        } else if now < self.reveal_end {
            PHASE_REVEAL
        } else if now < self.settle_end {
            PHASE_SETTLE
        } else {
            PHASE_CLOSED
        }
    }

    /// The whole bounty of one task: `k × reward` (fits: checked at creation).
    /// Slot key and bit offset of task `t`'s lane: `256 / lane_bits` lanes
    /// per slot.
    fn place(&self, t: u32) -> (u32, usize) {
        let bits = lane_bits(self.classes, self.k);
        let per = 256u32.checked_div(bits).unwrap_or(1);
        (
            t.checked_div(per).unwrap_or(0),
            (t.checked_rem(per).unwrap_or(0).saturating_mul(bits)) as usize,
        )
    }

    fn bounty(&self) -> u128 {
        self.reward.saturating_mul(self.k.into())
    }
}

/// An annotator in a job: agreed(4) ‖ judged(4) ‖ open batches(4) ‖ locked(16) ‖ claimed.
#[derive(Default)]
struct Record {
    agreed: u32,
    judged: u32,
    open: u32,
    locked: u128,
    claimed: bool,
}

impl Record {
    fn unpack(w: U256) -> Self {
        let a = w.to_be_bytes::<32>();
        Self {
            agreed: be(&a[..4]) as u32,
            judged: be(&a[4..8]) as u32,
            open: be(&a[8..12]) as u32,
            locked: be(&a[12..28]),
            claimed: a[28] != 0,
        }
    }

    fn pack(&self) -> U256 {
        let mut a = [0u8; 32];
        put(&mut a, 0, 4, self.agreed.into());
        put(&mut a, 4, 4, self.judged.into());
        put(&mut a, 8, 4, self.open.into());
        put(&mut a, 12, 16, self.locked);
        a[28] = u8::from(self.claimed);
        U256::from_be_bytes(a)
    }
}

/// Two 128-bit halves of a word `(high, low)`.
fn halves(w: U256) -> (u128, u128) {
    let l = w.as_limbs();
    (
        u128::from(l[2]) | (u128::from(l[3]) << 64),
        u128::from(l[0]) | (u128::from(l[1]) << 64),
    )
}

fn join(high: u128, low: u128) -> U256 {
    U256::from(high).wrapping_shl(128) | U256::from(low)
}

/// `amount × bps / 10,000` in 128-bit arithmetic, exact for `bps ≤ 10,000`.
fn bps_of(amount: u128, bps: u16) -> u128 {
    let (bps, whole) = (u128::from(bps), u128::from(BPS));
    let high = amount.checked_div(whole).unwrap_or(0).saturating_mul(bps);
    let low = amount
        .checked_rem(whole)
        .unwrap_or(0)
        .saturating_mul(bps)
        .checked_div(whole)
        .unwrap_or(0);
    high.saturating_add(low)
}

/// Bits of one class count in a lane: enough for `k` votes.
pub(crate) fn count_bits(k: u8) -> u32 {
    match k {
        0..=3 => 2,
        4..=7 => 3,
        _ => 4,
    }
}

/// Bits of a task's lane: the class counts, then the gold label + 1
/// (4 bits), then the committed holders (4 bits). At most 64.
pub(crate) fn lane_bits(classes: u8, k: u8) -> u32 {
    u32::from(classes)
        .saturating_mul(count_bits(k))
        .saturating_add(8)
}

/// The leading class of a task lane, its votes, and whether it is a
/// consensus: the single highest count with `votes × 10,000 ≥ quorum × k`.
#[allow(clippy::arithmetic_side_effects)] // shifts below 64 by construction
pub(crate) fn consensus(lane: u64, classes: u8, k: u8, quorum: u16) -> (u8, u8, bool) {
    let cw = count_bits(k);
    let count = |c: u8| ((lane >> (cw * u32::from(c))) & ((1 << cw) - 1)) as u8;
    let gold = ((lane >> (cw * u32::from(classes))) & 0xF) as u8;
    if gold != 0 {
        let label = gold.wrapping_sub(1);
        return (label, count(label), true);
    }
    let (mut best, mut votes, mut tie) = (0u8, 0u8, false);
    for c in 0..classes {
        let n = count(c);
        if n > votes {
            (best, votes, tie) = (c, n, false);
        } else if n == votes && n > 0 {
            tie = true;
        }
    }
    let reached = !tie
        && u32::from(votes).saturating_mul(BPS.into())
            >= u32::from(quorum).saturating_mul(k.into());
    (best, votes, reached)
}

#[public]
impl QualityHub {
    /// Sets the staking token (RewardToken, or any ERC-20 without transfer fees).
    ///
    /// # Errors
    /// * `InvalidParameter(0)` for the zero address.
    #[constructor]
    pub fn constructor(&mut self, stake_token: Address) -> Result<()> {
        if stake_token.is_zero() {
            return Err(err::<I::InvalidParameter>(&[U256::ZERO]));
        }
        self.stake_token.set(stake_token);
        Ok(())
    }

    /// Every function of the `IQualityHub` interface, routed by selector.
    #[fallback]
    #[payable]
    pub fn route(&mut self, input: &[u8]) -> ArbResult {
        let (selector, a) = split_selector(input)?;
        if selector != I::createJobCall::SELECTOR && !self.vm().msg_value().is_zero() {
            return Err(not_payable());
        }
        let ret = stylus_kit::ret;
        match selector {
            I::stakeCall::SELECTOR => self.stake(a.uint(0, 128)?.to()).map(|()| vec![]),
            I::requestUnstakeCall::SELECTOR => {
                self.request_unstake(a.uint(0, 128)?.to()).map(|()| vec![])
            }
            I::withdrawStakeCall::SELECTOR => Ok(ret(&[U256::from(self.withdraw_stake()?)])),
            I::createJobCall::SELECTOR => Ok(ret(&[self.create_job(&a)?])),
            I::commitBatchCall::SELECTOR => Ok(ret(&[self.commit(&a)?])),
            I::revealBatchCall::SELECTOR => self.reveal(&a).map(|()| vec![]),
            I::settleBatchCall::SELECTOR => self.settle(&a, false).map(|()| vec![]),
            I::forfeitBatchCall::SELECTOR => self.settle(&a, true).map(|()| vec![]),
            I::closeJobCall::SELECTOR => self.close(a.word(0)?).map(|()| vec![]),
            I::claimSlashShareCall::SELECTOR => {
                Ok(ret(&[U256::from(self.claim_slash_share(a.word(0)?)?)]))
            }
            I::withdrawCall::SELECTOR => Ok(ret(&[self.withdraw(a.address(0)?)?])),
            I::jobCountCall::SELECTOR => Ok(ret(&[self.job_count.get()])),
            I::getJobCall::SELECTOR => {
                let id = a.word(0)?;
                let j = self.job(id);
                let base = self.slot(TAG_JOB, id, U256::ZERO, U256::ZERO);
                Ok(ret(&[
                    word(j.creator),
                    self.sload(base.wrapping_add(U256::from(5))),
                    U256::from(j.reward),
                    u(j.tasks),
                    u(j.k),
                    u(j.classes),
                    u(j.quorum),
                    u(j.slash_bps),
                    u(j.slash_to),
                    u(j.status),
                    U256::from(j.min_stake),
                    u(j.min_rep),
                    u(j.commit_end),
                    u(j.reveal_end),
                    u(j.settle_end),
                    u(j.batches),
                    U256::from(j.escrow),
                    U256::from(j.pool),
                    self.sload(base.wrapping_add(U256::from(4))),
                ]))
            }
            I::consensusOfCall::SELECTOR => {
                let (id, task) = (a.word(0)?, a.u64(1, 32)? as u32);
                let j = self.job(id);
                let lane = self.lane(&j, id, task);
                let (label, votes, reached) = consensus(lane, j.classes, j.k, j.quorum);
                Ok(ret(&[
                    u(lane >> lane_bits(j.classes, j.k).saturating_sub(4)),
                    u(label),
                    u(votes),
                    u(u8::from(reached)),
                    u(lane),
                ]))
            }
            I::recordOfCall::SELECTOR => {
                let r = self.record(a.word(0)?, a.address(1)?);
                Ok(ret(&[
                    u(r.agreed),
                    u(r.judged),
                    u(r.open),
                    U256::from(r.locked),
                    u(u8::from(r.claimed)),
                ]))
            }
            I::stakeOfCall::SELECTOR => {
                let who = a.address(0)?;
                let (staked, locked) = halves(self.sload(self.stake_slot(who)));
                let (pending, ready) = halves(self.sload(self.unstake_slot(who)));
                Ok(ret(&[
                    U256::from(staked),
                    U256::from(locked),
                    U256::from(pending),
                    U256::from(ready),
                ]))
            }
            I::reputationOfCall::SELECTOR => {
                let (judged, agreed, score) = self.reputation(a.address(0)?);
                Ok(ret(&[u(judged), u(agreed), u(score)]))
            }
            I::creditOfCall::SELECTOR => {
                let slot = self.slot(TAG_CREDIT, word(a.address(0)?), U256::ZERO, U256::ZERO);
                Ok(ret(&[self.sload(slot)]))
            }
            _ => Err(unknown_function(selector)),
        }
    }
}

impl QualityHub {
    fn job(&self, id: U256) -> Job {
        let base = self.slot(TAG_JOB, id, U256::ZERO, U256::ZERO);
        let mut w = [U256::ZERO; 4];
        for (i, x) in w.iter_mut().enumerate() {
            *x = self.sload(base.wrapping_add(U256::from(i)));
        }
        Job::unpack(w)
    }

    /// The job, or `JobNotFound`.
    fn existing(&self, id: U256) -> Result<Job> {
        let j = self.job(id);
        if j.status == 0 {
            return Err(err::<I::JobNotFound>(&[id]));
        }
        Ok(j)
    }

    /// The job if it is in `phase` now, else `WrongPhase(current)`.
    fn in_phase(&self, id: U256, phase: u8) -> Result<Job> {
        let j = self.existing(id)?;
        let now = self.vm().block_timestamp();
        let current = j.phase(now);
        if current != phase {
            return Err(err::<I::WrongPhase>(&[id, u(current)]));
        }
        Ok(j)
    }

    /// Writes words `from..4` of `j` back (callers skip the words they
    /// cannot have changed).
    fn save(&self, id: U256, j: &Job, from: usize) {
        let base = self.slot(TAG_JOB, id, U256::ZERO, U256::ZERO);
        for (i, w) in j.pack().into_iter().enumerate().skip(from) {
            self.sstore(base.wrapping_add(U256::from(i)), w);
        }
    }

    /// Points `c` (key, slot, value) at slot `keccak(tag ‖ a ‖ b ‖ key)`,
    /// writing the previous slot back first: one read and one write per run
    /// of tasks that share a slot.
    fn at(&self, c: &mut (u32, U256, U256), key: u32, tag: u8, a: U256, b: U256) {
        if c.0 != key || c.1.is_zero() {
            self.flush(c);
            c.1 = self.slot(tag, a, b, u(key));
            c.2 = self.sload(c.1);
            c.0 = key;
        }
    }

    fn flush(&self, c: &(u32, U256, U256)) {
        if !c.1.is_zero() {
            self.sstore(c.1, c.2);
        }
    }

    fn lane(&self, j: &Job, id: U256, task: u32) -> u64 {
        let (key, at) = j.place(task);
        let v = self.sload(self.slot(TAG_TALLY, id, U256::ZERO, u(key)));
        let bits = lane_bits(j.classes, j.k);
        v.wrapping_shr(at).as_limbs()[0] & u64::MAX.wrapping_shr(64u32.saturating_sub(bits))
    }

    fn record_slot(&self, id: U256, who: Address) -> U256 {
        self.slot(TAG_RECORD, id, word(who), U256::ZERO)
    }

    fn record(&self, id: U256, who: Address) -> Record {
        Record::unpack(self.sload(self.record_slot(id, who)))
    }

    fn stake_slot(&self, who: Address) -> U256 {
        self.slot(TAG_STAKE, word(who), U256::ZERO, U256::ZERO)
    }

    fn unstake_slot(&self, who: Address) -> U256 {
        self.slot(TAG_UNSTAKE, word(who), U256::ZERO, U256::ZERO)
    }

    /// (judged, agreed, score bps) of `who`.
    fn reputation(&self, who: Address) -> (u64, u64, u16) {
        let a = self
            .sload(self.slot(TAG_REPUTATION, word(who), U256::ZERO, U256::ZERO))
            .to_be_bytes::<32>();
        (
            be(&a[..8]) as u64,
            be(&a[8..16]) as u64,
            be(&a[16..18]) as u16,
        )
    }

    fn credit(&self, who: Address, amount: u128) {
        if amount == 0 {
            return;
        }
        let slot = self.slot(TAG_CREDIT, word(who), U256::ZERO, U256::ZERO);
        let v = self.sload(slot);
        self.sstore(slot, v.saturating_add(U256::from(amount)));
    }

    fn stake(&mut self, amount: u128) -> Result<()> {
        if amount == 0 {
            return Err(err::<I::ZeroAmount>(&[]));
        }
        let who = self.vm().msg_sender();
        let slot = self.stake_slot(who);
        let (staked, locked) = halves(self.sload(slot));
        let total = staked.saturating_add(amount);
        self.sstore(slot, join(total, locked));
        self.emit(
            I::Staked::SIGNATURE_HASH,
            &[word(who)],
            &[Arg::W(U256::from(amount)), Arg::W(U256::from(total))],
        );
        // Interaction last. The staking token is fixed at construction and
        // must not charge transfer fees (RewardToken does not).
        let token = self.stake_token.get();
        let this = self.vm().contract_address();
        if !stylus_kit::transfer_from(self.vm(), token, who, this, U256::from(amount)) {
            return Err(err::<I::TokenCallFailed>(&[word(token)]));
        }
        Ok(())
    }

    fn request_unstake(&mut self, amount: u128) -> Result<()> {
        if amount == 0 {
            return Err(err::<I::ZeroAmount>(&[]));
        }
        let who = self.vm().msg_sender();
        let slot = self.stake_slot(who);
        let (staked, locked) = halves(self.sload(slot));
        let free = staked.saturating_sub(locked);
        if amount > free {
            return Err(err::<I::InsufficientStake>(&[
                U256::from(free),
                U256::from(amount),
            ]));
        }
        self.sstore(slot, join(staked.saturating_sub(amount), locked));
        let queue = self.unstake_slot(who);
        let (pending, _) = halves(self.sload(queue));
        let ready = self.vm().block_timestamp().saturating_add(UNSTAKE_COOLDOWN);
        self.sstore(queue, join(pending.saturating_add(amount), ready.into()));
        self.emit(
            I::UnstakeRequested::SIGNATURE_HASH,
            &[word(who)],
            &[Arg::W(U256::from(amount)), Arg::W(u(ready))],
        );
        Ok(())
    }

    fn withdraw_stake(&mut self) -> Result<u128> {
        let who = self.vm().msg_sender();
        let queue = self.unstake_slot(who);
        let (pending, ready) = halves(self.sload(queue));
        if pending == 0 {
            return Err(err::<I::NothingToWithdraw>(&[]));
        }
        if u128::from(self.vm().block_timestamp()) < ready {
            return Err(err::<I::CooldownActive>(&[U256::from(ready)]));
        }
        self.sstore(queue, U256::ZERO);
        self.emit(
            I::StakeWithdrawn::SIGNATURE_HASH,
            &[word(who)],
            &[Arg::W(U256::from(pending))],
        );
        let token = self.stake_token.get();
        if !stylus_kit::transfer_out(self.vm(), token, who, U256::from(pending), u64::MAX) {
            return Err(err::<I::TokenCallFailed>(&[word(token)]));
        }
        Ok(pending)
    }

    fn create_job(&mut self, a: &Args<'_>) -> Result<U256> {
        let bad = |field: u8| err::<I::InvalidParameter>(&[u(field)]);
        let data_root = a.word(0)?;
        let reward: u128 = a.uint(1, 128)?.to();
        let tasks = a.u64(2, 32)? as u32;
        let k = a.u64(3, 8)? as u8;
        let classes = a.u64(4, 8)? as u8;
        let quorum = a.u64(5, 16)? as u16;
        let (commit, reveal, settle) = (a.u64(6, 32)?, a.u64(7, 32)?, a.u64(8, 32)?);
        let min_stake: u128 = a.uint(9, 128)?.to();
        let slash_bps = a.u64(10, 16)? as u16;
        let slash_to = a.u64(11, 8)? as u8;
        let min_rep = a.u64(12, 16)? as u16;
        let gold = a.word(13)?;
        let checks = [
            (tasks == 0, 1),
            (reward == 0, 2),
            (!(3..=MAX_REPLICATION).contains(&k), 3),
            (!(2..=MAX_CLASSES).contains(&classes), 4),
            (quorum <= BPS / 2 || quorum > BPS, 5),
            (commit == 0 || reveal == 0 || settle == 0, 6),
            (slash_bps > BPS || slash_to > SLASH_TO_CREATOR, 7),
            (min_rep > BPS, 8),
        ];
        if let Some((_, field)) = checks.iter().find(|(failed, _)| *failed) {
            return Err(bad(*field));
        }
        let escrow = reward
            .checked_mul(u128::from(k))
            .and_then(|x| x.checked_mul(u128::from(tasks)))
            .ok_or_else(|| bad(9))?;
        let value = self.vm().msg_value();
        if value != U256::from(escrow) {
            return Err(err::<I::WrongEscrow>(&[U256::from(escrow), value]));
        }
        let id = self.job_count.get().wrapping_add(U256::from(1));
        self.job_count.set(id);
        let now = self.vm().block_timestamp();
        let commit_end = now.saturating_add(commit);
        let reveal_end = commit_end.saturating_add(reveal);
        let creator = self.vm().msg_sender();
        let j = Job {
            creator,
            tasks,
            k,
            classes,
            quorum,
            slash_bps,
            slash_to,
            status: STATUS_OPEN,
            reward,
            min_stake,
            commit_end,
            reveal_end,
            settle_end: reveal_end.saturating_add(settle),
            batches: 0,
            min_rep,
            escrow,
            pool: 0,
        };
        self.save(id, &j, 0);
        let base = self.slot(TAG_JOB, id, U256::ZERO, U256::ZERO);
        self.sstore(base.wrapping_add(U256::from(5)), data_root);
        if !gold.is_zero() {
            self.sstore(base.wrapping_add(U256::from(6)), gold);
        }
        self.emit(
            I::JobCreated::SIGNATURE_HASH,
            &[id, word(creator)],
            &[
                Arg::W(data_root),
                Arg::W(u(tasks)),
                Arg::W(u(k)),
                Arg::W(U256::from(escrow)),
            ],
        );
        Ok(id)
    }

    /// The tasks of a batch call: `bytes` of packed big-endian uint32 (4
    /// bytes a task, cheaper calldata than `uint32[]`), 1..=64 of them.
    /// Returns the packed bytes and the ids.
    fn tasks<'a>(a: &'a Args<'_>, i: usize) -> Result<(&'a [u8], Vec<u32>)> {
        let raw = a.bytes(i)?;
        let n = raw.len() / 4;
        if raw.len() % 4 != 0 || n == 0 || n > MAX_BATCH {
            return Err(err::<I::BadBatchSize>(&[
                u(raw.len() as u64),
                u(MAX_BATCH as u64),
            ]));
        }
        let ids = raw
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok((raw, ids))
    }

    /// The batch slot value: `keccak256(annotator ‖ tasks ‖ tail)` with its
    /// last byte replaced by the state.
    fn batch_value(&self, who: Address, tasks: &[u8], tail: &[u8], state: u8) -> U256 {
        let mut data = Vec::with_capacity(tasks.len().saturating_mul(4).saturating_add(52));
        data.extend_from_slice(who.as_slice());
        data.extend_from_slice(tasks);
        data.extend_from_slice(tail);
        let mut h = self.vm().native_keccak256(&data).0;
        h[31] = state;
        U256::from_be_bytes(h)
    }

    #[allow(clippy::too_many_lines)]
    fn commit(&mut self, a: &Args<'_>) -> Result<U256> {
        let id = a.word(0)?;
        let (raw, tasks) = Self::tasks(a, 1)?;
        let commitment = a.b256(2)?;
        if commitment.is_zero() {
            return Err(err::<I::ZeroCommitment>(&[]));
        }
        let mut j = self.in_phase(id, PHASE_COMMIT)?;
        let who = self.vm().msg_sender();
        let record_slot = self.record_slot(id, who);
        let mut r = Record::unpack(self.sload(record_slot));
        // Joining (the first batch: during the commit phase nothing settles).
        if r.open == 0 {
            let (judged, _, score) = self.reputation(who);
            if j.min_rep > 0 && judged >= REPUTATION_SAMPLE && score < j.min_rep {
                return Err(err::<I::ReputationTooLow>(&[u(score), u(j.min_rep)]));
            }
            let slot = self.stake_slot(who);
            let (staked, locked) = halves(self.sload(slot));
            let free = staked.saturating_sub(locked);
            if free < j.min_stake {
                return Err(err::<I::InsufficientStake>(&[
                    U256::from(free),
                    U256::from(j.min_stake),
                ]));
            }
            if j.min_stake > 0 {
                self.sstore(slot, join(staked, locked.saturating_add(j.min_stake)));
                self.emit(
                    I::StakeLocked::SIGNATURE_HASH,
                    &[id, word(who)],
                    &[Arg::W(U256::from(j.min_stake))],
                );
            }
            r.locked = j.min_stake;
        }
        // Votes: one per annotator per task, at most k per task. Slots are
        // read-modify-written once per run of tasks sharing them.
        let none = (0, U256::ZERO, U256::ZERO);
        let (mut voted, mut tally) = (none, none);
        let holders_at = (lane_bits(j.classes, j.k) as usize).saturating_sub(4);
        for &t in &tasks {
            if t >= j.tasks {
                return Err(err::<I::TaskOutOfRange>(&[u(t)]));
            }
            self.at(&mut voted, t / 256, TAG_VOTED, id, word(who));
            let bit = U256::from(1).wrapping_shl((t % 256) as usize);
            if !(voted.2 & bit).is_zero() {
                return Err(err::<I::AlreadyVoted>(&[u(t)]));
            }
            voted.2 |= bit;
            let (key, at) = j.place(t);
            self.at(&mut tally, key, TAG_TALLY, id, U256::ZERO);
            let shift = at.saturating_add(holders_at);
            if tally.2.wrapping_shr(shift).as_limbs()[0] & 0xF >= u64::from(j.k) {
                return Err(err::<I::TaskFull>(&[u(t)]));
            }
            tally.2 = tally.2.wrapping_add(U256::from(1).wrapping_shl(shift));
        }
        self.flush(&voted);
        self.flush(&tally);
        j.batches = j.batches.saturating_add(1);
        let batch = U256::from(j.batches);
        self.save(id, &j, 2);
        r.open = r.open.saturating_add(1);
        self.sstore(record_slot, r.pack());
        let value = self.batch_value(who, raw, commitment.as_slice(), BATCH_COMMITTED);
        self.sstore(self.slot(TAG_BATCH, id, batch, U256::ZERO), value);
        self.emit(
            I::BatchCommitted::SIGNATURE_HASH,
            &[id, batch, word(who)],
            &[Arg::W(b(commitment)), Arg::B(raw)],
        );
        Ok(batch)
    }

    /// Reveals a vote batch, or with batch id 0 the creator's gold key:
    /// `keccak256(jobId ‖ tasks ‖ labels ‖ salt)` kept in the job's word 6.
    fn reveal(&mut self, a: &Args<'_>) -> Result<()> {
        let (id, batch) = (a.word(0)?, a.word(1)?);
        let (raw, tasks) = Self::tasks(a, 2)?;
        let labels = a.bytes(3)?;
        let salt = a.b256(4)?;
        let j = self.in_phase(id, PHASE_REVEAL)?;
        let who = self.vm().msg_sender();
        let gold = batch.is_zero();
        let mut preimage = id.to_be_bytes::<32>().to_vec();
        if gold {
            preimage.extend_from_slice(raw);
        } else {
            preimage.extend_from_slice(who.as_slice());
        }
        preimage.extend_from_slice(labels);
        preimage.extend_from_slice(salt.as_slice());
        let commitment = self.vm().native_keccak256(&preimage);
        let (slot, expected) = if gold {
            (
                self.slot(TAG_JOB, id, U256::ZERO, U256::ZERO)
                    .wrapping_add(U256::from(6)),
                b(commitment),
            )
        } else {
            (
                self.slot(TAG_BATCH, id, batch, U256::ZERO),
                self.batch_value(who, raw, commitment.as_slice(), BATCH_COMMITTED),
            )
        };
        let stored = self.sload(slot);
        if stored.is_zero() {
            return Err(err::<I::UnknownBatch>(&[batch]));
        }
        if labels.len() != tasks.len() || stored != expected {
            return Err(err::<I::BatchMismatch>(&[batch]));
        }
        let bits = lane_bits(j.classes, j.k) as usize;
        let cw = count_bits(j.k) as usize;
        let mut tally = (0, U256::ZERO, U256::ZERO);
        for (&t, &label) in tasks.iter().zip(labels) {
            if t >= j.tasks || label >= j.classes {
                return Err(err::<I::InvalidLabel>(&[u(t), u(label)]));
            }
            let (key, at) = j.place(t);
            self.at(&mut tally, key, TAG_TALLY, id, U256::ZERO);
            tally.2 = if gold {
                // The gold nibble sits after the class counts.
                let shift = at.saturating_add(bits).saturating_sub(8);
                let cleared = tally.2 & !U256::from(0xF).wrapping_shl(shift);
                cleared | U256::from(label.saturating_add(1)).wrapping_shl(shift)
            } else {
                // At most k holders per task, so a class count never carries.
                tally.2.wrapping_add(
                    U256::from(1).wrapping_shl(at.saturating_add(cw.saturating_mul(label.into()))),
                )
            };
        }
        self.flush(&tally);
        if gold {
            self.sstore(slot, U256::ZERO);
            self.emit(
                I::GoldRevealed::SIGNATURE_HASH,
                &[id],
                &[Arg::W(u(tasks.len() as u64))],
            );
        } else {
            self.sstore(slot, self.batch_value(who, raw, labels, BATCH_REVEALED));
            self.emit(
                I::BatchRevealed::SIGNATURE_HASH,
                &[id, batch, word(who)],
                &[Arg::B(labels)],
            );
        }
        Ok(())
    }

    /// Ends a batch for `who`: applies `slash` (capped by what the job
    /// locked), the judged/agreed counts, reputation, and unlocks the rest
    /// of the job's stake lock when it was the annotator's last open batch.
    /// Returns the slash applied.
    fn finish(
        &mut self,
        id: U256,
        j: &mut Job,
        who: Address,
        agreed: u32,
        judged: u32,
        slash: u128,
    ) -> u128 {
        let record_slot = self.record_slot(id, who);
        let mut r = Record::unpack(self.sload(record_slot));
        let slash = slash.min(r.locked);
        r.locked = r.locked.saturating_sub(slash);
        r.agreed = r.agreed.saturating_add(agreed);
        r.judged = r.judged.saturating_add(judged);
        r.open = r.open.saturating_sub(1);
        let mut unlock = slash;
        if r.open == 0 {
            unlock = unlock.saturating_add(r.locked);
            if r.locked > 0 {
                self.emit(
                    I::StakeUnlocked::SIGNATURE_HASH,
                    &[id, word(who)],
                    &[Arg::W(U256::from(r.locked))],
                );
            }
            r.locked = 0;
        }
        self.sstore(record_slot, r.pack());
        if unlock > 0 {
            let slot = self.stake_slot(who);
            let (staked, locked) = halves(self.sload(slot));
            self.sstore(
                slot,
                join(staked.saturating_sub(slash), locked.saturating_sub(unlock)),
            );
        }
        j.pool = j.pool.saturating_add(slash);
        if judged > 0 {
            let rep = self.slot(TAG_REPUTATION, word(who), U256::ZERO, U256::ZERO);
            let (total, ok, score) = self.reputation(who);
            let rate = (u64::from(agreed)
                .saturating_mul(BPS.into())
                .checked_div(judged.into())
                .unwrap_or(0)) as u16;
            // Exponential average, weight 1/8 per batch; the first batch sets it.
            let score = if total > 0 {
                score.saturating_sub(score / 8).saturating_add(rate / 8)
            } else {
                rate
            };
            let (total, ok) = (
                total.saturating_add(judged.into()),
                ok.saturating_add(agreed.into()),
            );
            let mut w = [0u8; 32];
            put(&mut w, 0, 8, total.into());
            put(&mut w, 8, 8, ok.into());
            put(&mut w, 16, 2, score.into());
            self.sstore(rep, U256::from_be_bytes(w));
            self.emit(
                I::ReputationUpdated::SIGNATURE_HASH,
                &[word(who)],
                &[Arg::W(u(total)), Arg::W(u(ok)), Arg::W(u(score))],
            );
        }
        slash
    }

    /// Settles a revealed batch, or (`forfeit`) an unrevealed one at the
    /// full slash rate; the two share their checks and accounting.
    fn settle(&mut self, a: &Args<'_>, forfeit: bool) -> Result<()> {
        let (id, batch, who) = (a.word(0)?, a.word(1)?, a.address(2)?);
        let (raw, tasks) = Self::tasks(a, 3)?;
        let commitment;
        let (data, state) = if forfeit {
            commitment = a.b256(4)?;
            (commitment.as_slice(), BATCH_COMMITTED)
        } else {
            (a.bytes(4)?, BATCH_REVEALED)
        };
        let mut j = self.in_phase(id, PHASE_SETTLE)?;
        let slot = self.slot(TAG_BATCH, id, batch, U256::ZERO);
        let stored = self.sload(slot);
        if stored.is_zero() {
            return Err(err::<I::UnknownBatch>(&[batch]));
        }
        if (!forfeit && data.len() != tasks.len())
            || stored != self.batch_value(who, raw, data, state)
        {
            return Err(err::<I::BatchMismatch>(&[batch]));
        }
        let n = tasks.len() as u32;
        let rate = bps_of(j.min_stake, j.slash_bps);
        let (mut agreed, mut disagreed, mut paid) = (0u32, 0u32, 0u128);
        let (mut gold_seen, mut gold_ok) = (0u32, 0u32);
        if !forfeit {
            let gold_at = lane_bits(j.classes, j.k).saturating_sub(8);
            for (&t, &label) in tasks.iter().zip(data) {
                let lane = self.lane(&j, id, t);
                let (winner, votes, reached) = consensus(lane, j.classes, j.k, j.quorum);
                if !reached {
                    continue;
                }
                if (lane >> gold_at) & 0xF != 0 {
                    gold_seen = gold_seen.saturating_add(1);
                    gold_ok = gold_ok.saturating_add(u32::from(label == winner));
                }
                if label == winner {
                    agreed = agreed.saturating_add(1);
                    paid = paid.saturating_add(j.bounty().checked_div(votes.into()).unwrap_or(0));
                } else {
                    disagreed = disagreed.saturating_add(1);
                }
            }
        }
        self.sstore(slot, U256::ZERO);
        let mut slash = rate
            .checked_mul(disagreed.into())
            .map_or(rate, |x| x.checked_div(n.into()).unwrap_or(0));
        // Unrevealed, or fewer than half of the gold tasks right: nothing
        // paid, full rate.
        let gold_failed = gold_ok.saturating_mul(2) < gold_seen;
        if forfeit || gold_failed {
            paid = 0;
            slash = rate;
            agreed = 0;
            disagreed = n;
        }
        let slashed = self.finish(
            id,
            &mut j,
            who,
            agreed,
            agreed.saturating_add(disagreed),
            slash,
        );
        j.escrow = j.escrow.saturating_sub(paid);
        self.save(id, &j, 3);
        self.add_agreed(id, agreed);
        self.credit(who, paid);
        if forfeit {
            self.emit(
                I::BatchForfeited::SIGNATURE_HASH,
                &[id, batch, word(who)],
                &[Arg::W(U256::from(slashed))],
            );
        } else {
            self.emit(
                I::BatchSettled::SIGNATURE_HASH,
                &[id, batch, word(who)],
                &[
                    Arg::W(u(agreed)),
                    Arg::W(u(disagreed)),
                    Arg::W(U256::from(paid)),
                    Arg::W(U256::from(slashed)),
                    Arg::W(u(u8::from(gold_failed))),
                ],
            );
        }
        Ok(())
    }

    fn add_agreed(&self, id: U256, agreed: u32) {
        if agreed > 0 {
            let s = self
                .slot(TAG_JOB, id, U256::ZERO, U256::ZERO)
                .wrapping_add(U256::from(4));
            let v = self.sload(s);
            self.sstore(s, v.saturating_add(u(agreed)));
        }
    }

    fn close(&mut self, id: U256) -> Result<()> {
        let mut j = self.existing(id)?;
        let phase = j.phase(self.vm().block_timestamp());
        if phase != PHASE_CLOSED || j.status != STATUS_OPEN {
            return Err(err::<I::WrongPhase>(&[id, u(phase)]));
        }
        let refund = j.escrow;
        j.escrow = 0;
        j.status = STATUS_CLOSED;
        self.save(id, &j, 0);
        self.credit(j.creator, refund);
        self.emit(
            I::JobClosed::SIGNATURE_HASH,
            &[id],
            &[Arg::W(U256::from(refund)), Arg::W(U256::from(j.pool))],
        );
        Ok(())
    }

    fn claim_slash_share(&mut self, id: U256) -> Result<u128> {
        let j = self.existing(id)?;
        if j.status != STATUS_CLOSED {
            return Err(err::<I::WrongPhase>(&[
                id,
                u(j.phase(self.vm().block_timestamp())),
            ]));
        }
        let who = self.vm().msg_sender();
        let base = self.slot(TAG_JOB, id, U256::ZERO, U256::ZERO);
        let agreed_total: u128 = self.sload(base.wrapping_add(U256::from(4))).to();
        let slot = self.record_slot(id, who);
        let mut r = Record::unpack(self.sload(slot));
        let to_creator = j.slash_to == SLASH_TO_CREATOR || agreed_total == 0;
        let unlock = r.locked;
        let amount = if r.claimed {
            0
        } else if to_creator {
            if who == j.creator {
                j.pool
            } else {
                0
            }
        } else {
            // pool × agreed / total, without overflow for any realistic pool.
            j.pool
                .checked_mul(r.agreed.into())
                .map_or(0, |x| x.checked_div(agreed_total).unwrap_or(0))
        };
        if amount == 0 && unlock == 0 {
            return Err(err::<I::NothingToClaim>(&[]));
        }
        r.claimed = true;
        r.locked = 0;
        r.open = 0;
        self.sstore(slot, r.pack());
        if unlock > 0 {
            let stake = self.stake_slot(who);
            let (staked, locked) = halves(self.sload(stake));
            self.sstore(stake, join(staked, locked.saturating_sub(unlock)));
            self.emit(
                I::StakeUnlocked::SIGNATURE_HASH,
                &[id, word(who)],
                &[Arg::W(U256::from(unlock))],
            );
            if amount == 0 {
                return Ok(0);
            }
        }
        self.emit(
            I::SlashShareClaimed::SIGNATURE_HASH,
            &[id, word(who)],
            &[Arg::W(U256::from(amount))],
        );
        let token = self.stake_token.get();
        if !stylus_kit::transfer_out(self.vm(), token, who, U256::from(amount), u64::MAX) {
            return Err(err::<I::TokenCallFailed>(&[word(token)]));
        }
        Ok(amount)
    }

    fn withdraw(&mut self, to: Address) -> Result<U256> {
        let who = self.vm().msg_sender();
        let slot = self.slot(TAG_CREDIT, word(who), U256::ZERO, U256::ZERO);
        stylus_kit::withdraw_credit(self.vm(), slot, who, to, I::Withdrawn::SIGNATURE_HASH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consensus_needs_a_single_leader_with_quorum() {
        // Three classes; counts are 2 bits wide for k ≤ 3, 3 bits for k ≤ 7.
        let lane = |k: u8, counts: &[u64]| {
            let cw = u64::from(count_bits(k));
            counts
                .iter()
                .enumerate()
                .fold(0u64, |l, (c, n)| l | (n << (cw * c as u64)))
        };
        // k = 3, quorum 50.01 %: two of three votes win.
        assert_eq!(consensus(lane(3, &[0, 2, 1]), 3, 3, 5_001), (1, 2, true));
        assert_eq!(
            consensus(lane(3, &[1, 1, 1]), 3, 3, 5_001),
            (0, 1, false),
            "three-way tie"
        );
        assert_eq!(
            consensus(lane(3, &[1, 0, 0]), 3, 3, 5_001),
            (0, 1, false),
            "one vote, no quorum"
        );
        assert_eq!(
            consensus(lane(5, &[2, 2, 0]), 3, 5, 5_001),
            (0, 2, false),
            "tie at the top"
        );
        assert_eq!(consensus(lane(5, &[0, 0, 4]), 3, 5, 8_000), (2, 4, true));
        assert_eq!(
            consensus(lane(5, &[0, 0, 3]), 3, 5, 8_000),
            (2, 3, false),
            "below a supermajority"
        );
        assert_eq!(
            consensus(lane(15, &[0, 15, 0]), 3, 15, 10_000),
            (1, 15, true),
            "4-bit counts hold 15 votes"
        );
        assert_eq!(consensus(0, 3, 3, 5_001), (0, 0, false), "no votes");
        // The gold label + 1 sits right after the counts (bit 6 for k = 3).
        let gold = |label: u64| label.wrapping_add(1) << 6;
        assert_eq!(
            consensus(lane(3, &[2, 1, 0]) | gold(1), 3, 3, 5_001),
            (1, 1, true),
            "gold beats the majority"
        );
        assert_eq!(
            consensus(gold(2), 3, 3, 5_001),
            (2, 0, true),
            "gold without votes"
        );
    }

    #[test]
    fn lanes_pack_as_many_tasks_per_slot_as_fit() {
        assert_eq!(lane_bits(4, 3), 16, "the default job: 16 tasks per slot");
        assert_eq!(lane_bits(14, 15), 64, "the widest lane: 4 per slot");
        assert_eq!(lane_bits(2, 7), 14);
        let j = Job {
            k: 3,
            classes: 4,
            ..Job::default()
        };
        assert_eq!(j.place(0), (0, 0));
        assert_eq!(j.place(15), (0, 240));
        assert_eq!(j.place(16), (1, 0));
        let wide = Job {
            k: 15,
            classes: 14,
            ..Job::default()
        };
        assert_eq!(wide.place(5), (1, 64));
    }

    #[test]
    fn packing_round_trips() {
        let j = Job {
            creator: Address::repeat_byte(7),
            tasks: 1_000,
            k: 3,
            classes: 4,
            quorum: 6_000,
            slash_bps: 2_500,
            slash_to: 1,
            status: 1,
            reward: u128::MAX,
            min_stake: 5,
            commit_end: 10,
            reveal_end: 20,
            settle_end: 30,
            batches: 9,
            min_rep: 7_000,
            escrow: 123,
            pool: 456,
        };
        let k = Job::unpack(j.pack());
        assert_eq!(
            (
                k.creator,
                k.tasks,
                k.quorum,
                k.reward,
                k.settle_end,
                k.min_rep,
                k.pool
            ),
            (j.creator, 1_000, 6_000, u128::MAX, 30, 7_000, 456)
        );
        let r = Record {
            agreed: 1,
            judged: 2,
            open: 3,
            locked: u128::MAX,
            claimed: true,
        };
        let s = Record::unpack(r.pack());
        assert_eq!(
            (s.agreed, s.judged, s.open, s.locked, s.claimed),
            (1, 2, 3, u128::MAX, true)
        );
        assert_eq!(bps_of(u128::MAX, 10_000), u128::MAX);
        assert_eq!(bps_of(1_000, 2_500), 250);
    }
}
