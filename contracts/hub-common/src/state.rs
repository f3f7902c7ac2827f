//! The hub's storage layout and the readers and writers both of its
//! programs use.
//!
//! Global words sit at small fixed slots; everything per job, annotator,
//! task and batch at `keccak256(tag ‖ a ‖ b ‖ c)` (128-byte preimages, so
//! they never land on a small slot). A job's record is nine words at
//! consecutive slots, read and written through [`Words`], so that a call
//! loads only the words it needs and can never write back one it did not
//! load.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolEvent;
use stylus_kit::{be, err, put, u, word, Arg, RawAccess, Result, Words};
use stylus_sdk::prelude::*;

use crate::{IQualityHub as I, PHASE_CLOSED, PHASE_COMMIT, PHASE_REVEAL, PHASE_SETTLE};

/// Raw-slot tag: a job's record (job); words at consecutive slots.
pub const TAG_JOB: u8 = 1;
/// Raw-slot tag: tally lanes (job, 0, word).
pub const TAG_TALLY: u8 = 2;
/// Raw-slot tag: an annotator's vote bitmap (job, annotator, word).
pub const TAG_VOTED: u8 = 3;
/// Raw-slot tag: a batch (job, batch).
pub const TAG_BATCH: u8 = 4;
/// Raw-slot tag: an annotator's record in a job (job, annotator).
pub const TAG_RECORD: u8 = 5;
/// Raw-slot tag: stake (annotator).
pub const TAG_STAKE: u8 = 6;
/// Raw-slot tag: the unstake queue (annotator).
pub const TAG_UNSTAKE: u8 = 7;
/// Raw-slot tag: reputation (annotator).
pub const TAG_REPUTATION: u8 = 8;
/// Raw-slot tag: credits in the staking token (account).
pub const TAG_CREDIT: u8 = 9;
/// Raw-slot tag: the arbiter's rulings, 4 bits a task, 64 tasks a word (job, 0, word).
pub const TAG_RULING: u8 = 10;

/// Global slot: the staking (and payment) token.
pub const SLOT_TOKEN: u64 = 0;
/// Global slot: the number of jobs.
pub const SLOT_JOB_COUNT: u64 = 1;
/// Global slot: the arbiter terms registry (the AnnotationMarket).
pub const SLOT_REGISTRY: u64 = 2;
/// Global slot: the extension program that runs the cold paths.
pub const SLOT_EXTENSION: u64 = 3;

/// Job status: no such job.
pub const STATUS_NONE: u8 = 0;
/// Job status: open.
pub const STATUS_OPEN: u8 = 1;
/// Job status: closed.
pub const STATUS_CLOSED: u8 = 2;
/// Job flag: the gold key was revealed.
pub const FLAG_GOLD_REVEALED: u8 = 1;
/// Job flag: tasks have difficulty weights (word 8 holds the classes).
pub const FLAG_WEIGHTED: u8 = 2;

/// Batch state byte: committed.
pub const BATCH_COMMITTED: u8 = 1;
/// Batch state byte: revealed.
pub const BATCH_REVEALED: u8 = 2;

/// Words of a job record.
pub const JOB_WORDS: usize = 9;
/// Job word 0: creator, shape, quorum, slash rate, status, flags.
pub const W_HEAD: u32 = 1;
/// Job word 1: reward and stake per vote.
pub const W_PRICE: u32 = 1 << 1;
/// Job word 2: phase ends.
pub const W_TIMES: u32 = 1 << 2;
/// Job word 3: escrow and slash pool.
pub const W_MONEY: u32 = 1 << 3;
/// Job word 4: batches, agreed total, gold tasks, reputation floor, gold bond.
pub const W_COUNTS: u32 = 1 << 4;
/// Job word 5: data root.
pub const W_ROOT: u32 = 1 << 5;
/// Job word 6: gold commitment.
pub const W_GOLD: u32 = 1 << 6;
/// Job word 7: arbiter and terms id.
pub const W_ARBITER: u32 = 1 << 7;
/// Job word 8: arbiter fee.
pub const W_FEE: u32 = 1 << 8;
/// Every word.
pub const W_ALL: u32 = (1 << JOB_WORDS) - 1;

/// A job record:
/// - 0: creator(20) ‖ tasks(4) ‖ k ‖ classes ‖ quorumBps(2) ‖ slashBps(2) ‖ status ‖ flags
/// - 1: reward(16) ‖ stakePerVote(16)
/// - 2: commitEnd(8) ‖ revealEnd(8) ‖ rulingEnd(8) ‖ settleEnd(8)
/// - 3: escrow(16) ‖ slashPool(16)
/// - 4: batches(4) ‖ agreed(4) ‖ goldTasks(4) ‖ minRepBps(2) ‖ 0(2) ‖ goldBond(16)
/// - 5: data root; 6: gold commitment (zeroed once revealed)
/// - 7: arbiter(20) ‖ terms(4); 8: fee(16) ‖ difficulty ends(3×4) ‖ weights(4×1)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Job {
    pub creator: Address,
    pub tasks: u32,
    pub k: u8,
    pub classes: u8,
    pub quorum: u16,
    pub slash_bps: u16,
    pub status: u8,
    pub flags: u8,
    pub reward: u128,
    pub stake: u128,
    pub commit_end: u64,
    pub reveal_end: u64,
    pub ruling_end: u64,
    pub settle_end: u64,
    pub escrow: u128,
    pub pool: u128,
    pub batches: u32,
    pub agreed: u32,
    pub gold_tasks: u32,
    pub min_rep: u16,
    pub gold_bond: u128,
    pub data_root: U256,
    pub gold: U256,
    pub arbiter: Address,
    pub terms: u32,
    pub fee: u128,
    /// Difficulty classes (with [`FLAG_WEIGHTED`]): class `c` covers the
    /// tasks below `ends[c]` not in an earlier class; the last class ends at
    /// `tasks` (unused ends hold `tasks`).
    pub ends: [u32; 3],
    /// The weight of each difficulty class (a task of weight `w` is paid
    /// and counted as `w` labels).
    pub weights: [u8; 4],
}

impl Job {
    /// Unpacks the words (zero where not loaded).
    pub fn unpack(w: &[U256; JOB_WORDS]) -> Self {
        let x = w.map(|x| x.to_be_bytes::<32>());
        Self {
            creator: Address::from_slice(&x[0][..20]),
            tasks: be(&x[0][20..24]) as u32,
            k: x[0][24],
            classes: x[0][25],
            quorum: be(&x[0][26..28]) as u16,
            slash_bps: be(&x[0][28..30]) as u16,
            status: x[0][30],
            flags: x[0][31],
            reward: be(&x[1][..16]),
            stake: be(&x[1][16..]),
            commit_end: be(&x[2][..8]) as u64,
            reveal_end: be(&x[2][8..16]) as u64,
            ruling_end: be(&x[2][16..24]) as u64,
            settle_end: be(&x[2][24..]) as u64,
            escrow: be(&x[3][..16]),
            pool: be(&x[3][16..]),
            batches: be(&x[4][..4]) as u32,
            agreed: be(&x[4][4..8]) as u32,
            gold_tasks: be(&x[4][8..12]) as u32,
            min_rep: be(&x[4][12..14]) as u16,
            gold_bond: be(&x[4][16..]),
            data_root: w[5],
            gold: w[6],
            arbiter: Address::from_slice(&x[7][..20]),
            terms: be(&x[7][20..24]) as u32,
            fee: be(&x[8][..16]),
            ends: [
                be(&x[8][16..20]) as u32,
                be(&x[8][20..24]) as u32,
                be(&x[8][24..28]) as u32,
            ],
            weights: [x[8][28], x[8][29], x[8][30], x[8][31]],
        }
    }

    /// Packs every word.
    pub fn pack(&self) -> [U256; JOB_WORDS] {
        let mut x = [[0u8; 32]; JOB_WORDS];
        x[0][..20].copy_from_slice(self.creator.as_slice());
        put(&mut x[0], 20, 4, self.tasks.into());
        x[0][24] = self.k;
        x[0][25] = self.classes;
        put(&mut x[0], 26, 2, self.quorum.into());
        put(&mut x[0], 28, 2, self.slash_bps.into());
        x[0][30] = self.status;
        x[0][31] = self.flags;
        put(&mut x[1], 0, 16, self.reward);
        put(&mut x[1], 16, 16, self.stake);
        put(&mut x[2], 0, 8, self.commit_end.into());
        put(&mut x[2], 8, 8, self.reveal_end.into());
        put(&mut x[2], 16, 8, self.ruling_end.into());
        put(&mut x[2], 24, 8, self.settle_end.into());
        put(&mut x[3], 0, 16, self.escrow);
        put(&mut x[3], 16, 16, self.pool);
        put(&mut x[4], 0, 4, self.batches.into());
        put(&mut x[4], 4, 4, self.agreed.into());
        put(&mut x[4], 8, 4, self.gold_tasks.into());
        put(&mut x[4], 12, 2, self.min_rep.into());
        put(&mut x[4], 16, 16, self.gold_bond);
        x[7][..20].copy_from_slice(self.arbiter.as_slice());
        put(&mut x[7], 20, 4, self.terms.into());
        put(&mut x[8], 0, 16, self.fee);
        put(&mut x[8], 16, 4, self.ends[0].into());
        put(&mut x[8], 20, 4, self.ends[1].into());
        put(&mut x[8], 24, 4, self.ends[2].into());
        x[8][28..].copy_from_slice(&self.weights);
        let mut w = x.map(U256::from_be_bytes);
        w[5] = self.data_root;
        w[6] = self.gold;
        w
    }

    /// The phase at `now`: 1 commit, 2 reveal, 3 settle (and rulings), 4
    /// closed (or over).
    pub fn phase(&self, now: u64) -> u8 {
        if self.status != STATUS_OPEN || now >= self.settle_end {
            PHASE_CLOSED
        } else if now < self.commit_end {
            PHASE_COMMIT
        } else if now < self.reveal_end {
            PHASE_REVEAL
        } else {
            PHASE_SETTLE
        }
    }

    /// The difficulty weight of task `t`: 1 on an unweighted job; on a
    /// weighted one (word 8 loaded) the weight of the first class whose end
    /// is above `t`.
    pub fn weight(&self, t: u32) -> u8 {
        if self.flags & FLAG_WEIGHTED == 0 {
            return 1;
        }
        stylus_kit::difficulty::weight_of(&self.ends, &self.weights, t)
    }

    /// The whole bounty of one task: `k × reward` (fits: checked at creation).
    pub fn bounty(&self) -> u128 {
        self.reward.saturating_mul(self.k.into())
    }

    /// Slot key and bit offset of task `t`'s lane: `256 / lane_bits` lanes
    /// per slot.
    pub fn place(&self, t: u32) -> (u32, usize) {
        let bits = crate::lane_bits(self.classes, self.k);
        let per = 256u32.checked_div(bits).unwrap_or(1);
        (
            t.checked_div(per).unwrap_or(0),
            (t.checked_rem(per).unwrap_or(0).saturating_mul(bits)) as usize,
        )
    }
}

/// An annotator in a job: agreed(4) ‖ judged(4) ‖ open batches(4) ‖ locked(16) ‖ claimed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Record {
    pub agreed: u32,
    pub judged: u32,
    pub open: u32,
    pub locked: u128,
    pub claimed: bool,
}

impl Record {
    /// Unpacks the word.
    pub fn unpack(w: U256) -> Self {
        let a = w.to_be_bytes::<32>();
        Self {
            agreed: be(&a[..4]) as u32,
            judged: be(&a[4..8]) as u32,
            open: be(&a[8..12]) as u32,
            locked: be(&a[12..28]),
            claimed: a[28] != 0,
        }
    }

    /// Packs the word.
    pub fn pack(&self) -> U256 {
        let mut a = [0u8; 32];
        put(&mut a, 0, 4, self.agreed.into());
        put(&mut a, 4, 4, self.judged.into());
        put(&mut a, 8, 4, self.open.into());
        put(&mut a, 12, 16, self.locked);
        a[28] = u8::from(self.claimed);
        U256::from_be_bytes(a)
    }
}

/// Reputation: judged(8) ‖ agreed(8) ‖ value at stake(16).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Reputation {
    pub judged: u64,
    pub agreed: u64,
    pub value: u128,
}

impl Reputation {
    /// Unpacks the word.
    pub fn unpack(w: U256) -> Self {
        let a = w.to_be_bytes::<32>();
        Self {
            judged: be(&a[..8]) as u64,
            agreed: be(&a[8..16]) as u64,
            value: be(&a[16..]),
        }
    }

    /// Packs the word.
    pub fn pack(&self) -> U256 {
        let mut a = [0u8; 32];
        put(&mut a, 0, 8, self.judged.into());
        put(&mut a, 8, 8, self.agreed.into());
        put(&mut a, 16, 16, self.value);
        U256::from_be_bytes(a)
    }

    /// Agreeing labels per judged label, in basis points (every label
    /// weighs the same, whatever the size of its batch).
    pub fn score(&self) -> u16 {
        (self
            .agreed
            .saturating_mul(crate::BPS.into())
            .checked_div(self.judged)
            .unwrap_or(0)) as u16
    }
}

/// Two 128-bit halves of a word `(high, low)`.
pub fn halves(w: U256) -> (u128, u128) {
    let l = w.as_limbs();
    (
        u128::from(l[2]) | (u128::from(l[3]) << 64),
        u128::from(l[0]) | (u128::from(l[1]) << 64),
    )
}

/// A word from two 128-bit halves.
pub fn join(high: u128, low: u128) -> U256 {
    U256::from(high).wrapping_shl(128) | U256::from(low)
}

/// Readers and writers of the hub's storage, for any program running in it.
pub trait HubState: RawAccess {
    /// A global word.
    fn global(&self, slot: u64) -> U256 {
        self.sload(U256::from(slot))
    }

    /// The staking token.
    fn token(&self) -> Address {
        Address::from_word(self.global(SLOT_TOKEN).into())
    }

    /// The first slot of a job's record.
    fn job_base(&self, id: U256) -> U256 {
        self.slot(TAG_JOB, id, U256::ZERO, U256::ZERO)
    }

    /// The job words in `mask` (and word 0, the status, always) and the
    /// handle that writes them back; `JobNotFound` for an unknown job.
    fn load_job(&self, id: U256, mask: u32) -> Result<(Job, Words<JOB_WORDS>)> {
        let (w, words) = Words::load(self.vm(), self.job_base(id), mask | W_HEAD);
        let j = Job::unpack(&words);
        if j.status == STATUS_NONE {
            return Err(err::<I::JobNotFound>(&[id]));
        }
        Ok((j, w))
    }

    /// Loads the words of `mask` not loaded yet into `j`.
    fn load_more(&self, j: &mut Job, w: &mut Words<JOB_WORDS>, mask: u32) {
        let mut words = j.pack();
        w.load_more(self.vm(), &mut words, mask);
        *j = Job::unpack(&words);
    }

    /// Writes back the loaded words of `j` that changed (a word that was not
    /// loaded cannot be written: the call would revert).
    fn save_job(&self, j: &Job, w: &mut Words<JOB_WORDS>) {
        w.save(self.vm(), &j.pack());
    }

    /// The job in `phase` now (its words in `mask`), else `WrongPhase(current)`.
    fn job_in_phase(&self, id: U256, phase: u8, mask: u32) -> Result<(Job, Words<JOB_WORDS>)> {
        let (j, w) = self.load_job(id, mask | W_TIMES)?;
        let current = j.phase(self.vm().block_timestamp());
        if current != phase {
            return Err(err::<I::WrongPhase>(&[id, u(current)]));
        }
        Ok((j, w))
    }

    /// The slot of an annotator's record in a job.
    fn record_slot(&self, id: U256, who: Address) -> U256 {
        self.slot(TAG_RECORD, id, word(who), U256::ZERO)
    }

    /// An annotator's record in a job.
    fn record(&self, id: U256, who: Address) -> Record {
        Record::unpack(self.sload(self.record_slot(id, who)))
    }

    /// The slot of `who`'s stake (staked, locked).
    fn stake_slot(&self, who: Address) -> U256 {
        self.slot(TAG_STAKE, word(who), U256::ZERO, U256::ZERO)
    }

    /// The slot of `who`'s unstake queue (pending, ready at).
    fn unstake_slot(&self, who: Address) -> U256 {
        self.slot(TAG_UNSTAKE, word(who), U256::ZERO, U256::ZERO)
    }

    /// The slot of `who`'s reputation.
    fn reputation_slot(&self, who: Address) -> U256 {
        self.slot(TAG_REPUTATION, word(who), U256::ZERO, U256::ZERO)
    }

    /// `who`'s reputation.
    fn reputation(&self, who: Address) -> Reputation {
        Reputation::unpack(self.sload(self.reputation_slot(who)))
    }

    /// The slot of `who`'s credit.
    fn credit_slot(&self, who: Address) -> U256 {
        self.slot(TAG_CREDIT, word(who), U256::ZERO, U256::ZERO)
    }

    /// Adds `amount` to `who`'s credit (backed by tokens the hub holds).
    fn credit(&self, who: Address, amount: u128) {
        if amount == 0 {
            return;
        }
        let slot = self.credit_slot(who);
        let v = self.sload(slot);
        self.sstore(slot, v.saturating_add(U256::from(amount)));
    }

    /// The raw lane of task `t`.
    fn lane(&self, j: &Job, id: U256, t: u32) -> u64 {
        let (key, at) = j.place(t);
        let v = self.sload(self.slot(TAG_TALLY, id, U256::ZERO, u(key)));
        let bits = crate::lane_bits(j.classes, j.k);
        v.wrapping_shr(at).as_limbs()[0] & u64::MAX.wrapping_shr(64u32.saturating_sub(bits))
    }

    /// The arbiter's ruling on task `t` (label + 1, 0 none).
    fn ruling(&self, id: U256, t: u32) -> u8 {
        let v = self.sload(self.slot(TAG_RULING, id, U256::ZERO, u(t / 64)));
        (v.wrapping_shr(((t % 64).saturating_mul(4)) as usize)
            .as_limbs()[0]
            & 0xF) as u8
    }

    /// Emits `Withdrawn`-style pull payments of the staking token.
    fn withdraw_to(&self, to: Address) -> Result<U256> {
        let who = self.vm().msg_sender();
        stylus_kit::withdraw_credit(
            self.vm(),
            self.token(),
            self.credit_slot(who),
            who,
            to,
            I::Withdrawn::SIGNATURE_HASH,
        )
    }

    /// Emits `ReputationUpdated` after adding a judged batch.
    fn add_reputation(&self, who: Address, judged: u32, agreed: u32, value: u128) {
        if judged == 0 {
            return;
        }
        let slot = self.reputation_slot(who);
        let mut r = Reputation::unpack(self.sload(slot));
        r.judged = r.judged.saturating_add(judged.into());
        r.agreed = r.agreed.saturating_add(agreed.into());
        r.value = r.value.saturating_add(value);
        self.sstore(slot, r.pack());
        self.emit(
            I::ReputationUpdated::SIGNATURE_HASH,
            &[word(who)],
            &[
                Arg::W(u(r.judged)),
                Arg::W(u(r.agreed)),
                Arg::W(u(r.score())),
                Arg::W(U256::from(r.value)),
            ],
        );
    }
}

impl<T: RawAccess + ?Sized> HubState for T {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_record_and_reputation_round_trip() {
        let j = Job {
            creator: Address::repeat_byte(7),
            tasks: 1_000,
            k: 3,
            classes: 4,
            quorum: 6_000,
            slash_bps: 2_500,
            status: 1,
            flags: 1,
            reward: u128::MAX,
            stake: 5,
            commit_end: 10,
            reveal_end: 20,
            ruling_end: 25,
            settle_end: 30,
            escrow: 123,
            pool: 456,
            batches: 9,
            agreed: 8,
            gold_tasks: 100,
            min_rep: 7_000,
            gold_bond: u128::MAX - 1,
            data_root: U256::from(99),
            gold: U256::MAX,
            arbiter: Address::repeat_byte(3),
            terms: 12,
            fee: 77,
            ends: [10, 600, u32::MAX],
            weights: [1, 3, 255, 7],
        };
        assert_eq!(Job::unpack(&j.pack()), j);
        // Weights by class: below 10 → 1, below 600 → 3, the rest → 255.
        let weighted = Job {
            flags: FLAG_WEIGHTED,
            ..j.clone()
        };
        let at = |t| weighted.weight(t);
        assert_eq!((at(0), at(9), at(10), at(599), at(600)), (1, 1, 3, 3, 255));
        assert_eq!(
            j.weight(600),
            1,
            "unweighted jobs weigh 1 whatever word 8 holds"
        );
        assert_eq!(
            Job::unpack(&[U256::ZERO; JOB_WORDS]).pack(),
            [U256::ZERO; JOB_WORDS]
        );
        let r = Record {
            agreed: 1,
            judged: 2,
            open: 3,
            locked: u128::MAX,
            claimed: true,
        };
        assert_eq!(Record::unpack(r.pack()), r);
        let rep = Reputation {
            judged: 72,
            agreed: 8,
            value: 1 << 100,
        };
        assert_eq!(Reputation::unpack(rep.pack()), rep);
        assert_eq!(
            rep.score(),
            1_111,
            "8 of 72 labels, each label weighing the same"
        );
    }

    #[test]
    fn lanes_pack_as_many_tasks_per_slot_as_fit() {
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
}
