//! The QualityHub program: its constructor, call routing and the hot paths
//! (see `labelmint-hub-common` for the rules). Calls are routed through a
//! `#[fallback]` with strict hand decoding, as in the AnnotationMarket;
//! selectors this program does not run go to the extension by
//! `DELEGATECALL`.

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use hub_common::{
    bps_of, classify, count_bits, halves, join, lane_bits, min_winning_votes, pay_per_vote,
    resolve, HubState, IQualityHub as I, Lane, Record, Resolved, BATCH_COMMITTED, BATCH_REVEALED,
    KEEPER_BPS, MAX_BATCH, PARTICIPATION_BPS, PHASE_COMMIT, PHASE_REVEAL, PHASE_SETTLE,
    REPUTATION_SAMPLE, SLOT_EXTENSION, SLOT_REGISTRY, SLOT_TOKEN, TAG_BATCH, TAG_TALLY, TAG_VOTED,
    W_COUNTS, W_FEE, W_MONEY, W_PRICE,
};
use stylus_kit::{
    b, err, not_payable, split_selector, u, word, Arg, Args, Cursor, RawAccess, Result,
};
use stylus_sdk::{call::delegate_call, prelude::*, stylus_core::calls::Call, ArbResult};

/// Storage of the QualityHub: everything lives in raw slots (see
/// `hub_common::state`).
#[storage]
#[entrypoint]
pub struct QualityHub {}

#[public]
impl QualityHub {
    /// Sets the staking (and payment) token, the arbiter terms registry (the
    /// AnnotationMarket) and the extension program.
    ///
    /// # Errors
    /// * `InvalidParameter(0)` for a zero address.
    #[constructor]
    pub fn constructor(
        &mut self,
        stake_token: Address,
        registry: Address,
        extension: Address,
    ) -> Result<()> {
        if stake_token.is_zero() || registry.is_zero() || extension.is_zero() {
            return Err(err::<I::InvalidParameter>(&[U256::ZERO]));
        }
        self.sstore(U256::from(SLOT_TOKEN), word(stake_token));
        self.sstore(U256::from(SLOT_REGISTRY), word(registry));
        self.sstore(U256::from(SLOT_EXTENSION), word(extension));
        Ok(())
    }

    /// The hot paths of the `IQualityHub` interface, routed by selector;
    /// every other call runs in the extension by `DELEGATECALL`.
    #[fallback]
    #[payable]
    pub fn route(&mut self, input: &[u8]) -> ArbResult {
        let (selector, a) = split_selector(input)?;
        if !self.vm().msg_value().is_zero() {
            return Err(not_payable());
        }
        let ret = stylus_kit::ret;
        match selector {
            I::stakeCall::SELECTOR => self.stake(a.uint(0, 128)?.to()).map(|()| vec![]),
            I::commitBatchCall::SELECTOR => Ok(ret(&[self.commit(&a)?])),
            I::revealBatchCall::SELECTOR => self.reveal(&a).map(|()| vec![]),
            I::settleBatchCall::SELECTOR => self.settle(&a, false).map(|()| vec![]),
            I::forfeitBatchCall::SELECTOR => self.settle(&a, true).map(|()| vec![]),
            I::withdrawCall::SELECTOR => Ok(ret(&[self.withdraw_to(a.address(0)?)?])),
            _ => {
                let extension = Address::from_word(B256::from(self.global(SLOT_EXTENSION)));
                let ctx = Call::new_mutating(self);
                // SAFETY: the extension is fixed at construction and written
                // for this storage layout (`hub_common::state`); the SDK
                // flushes the storage cache before the call.
                unsafe { delegate_call(self.vm(), ctx, extension, input) }.map_err(|e| match e {
                    stylus_sdk::stylus_core::calls::errors::Error::Revert(data) => data,
                    stylus_sdk::stylus_core::calls::errors::Error::AbiDecodingFailed(_) => vec![],
                })
            }
        }
    }
}

/// The tasks of a batch call: `bytes` of packed big-endian uint32 (4 bytes a
/// task), 1..=64 of them. Returns the packed bytes and the ids.
fn batch_tasks<'a>(a: &'a Args<'_>, i: usize) -> Result<(&'a [u8], Vec<u32>)> {
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

impl QualityHub {
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
        // Interaction last; the amount that arrived is checked.
        stylus_kit::pull(self.vm(), self.token(), who, U256::from(amount))
    }

    /// The batch slot value: `keccak256(annotator ‖ tasks ‖ tail)` with its
    /// last byte replaced by the state.
    fn batch_value(&self, who: Address, tasks: &[u8], tail: &[u8], state: u8) -> U256 {
        let mut data = Vec::with_capacity(tasks.len().saturating_add(52));
        data.extend_from_slice(who.as_slice());
        data.extend_from_slice(tasks);
        data.extend_from_slice(tail);
        let mut h = self.vm().native_keccak256(&data).0;
        h[31] = state;
        U256::from_be_bytes(h)
    }

    fn commit(&mut self, a: &Args<'_>) -> Result<U256> {
        let id = a.word(0)?;
        let (raw, tasks) = batch_tasks(a, 1)?;
        let commitment = a.b256(2)?;
        if commitment.is_zero() {
            return Err(err::<I::ZeroCommitment>(&[]));
        }
        let (mut j, mut jw) = self.job_in_phase(id, PHASE_COMMIT, W_PRICE | W_COUNTS)?;
        let who = self.vm().msg_sender();
        let record_slot = self.record_slot(id, who);
        let mut r = Record::unpack(self.sload(record_slot));
        // Joining (the first batch: during the commit phase nothing settles).
        if r.open == 0 && j.min_rep > 0 {
            let rep = self.reputation(who);
            let sample = j.stake.saturating_mul(REPUTATION_SAMPLE);
            if rep.value < sample || rep.score() < j.min_rep {
                return Err(err::<I::ReputationTooLow>(&[u(rep.score()), u(j.min_rep)]));
            }
        }
        // Every vote locks a stake.
        let lock = j.stake.saturating_mul(tasks.len() as u128);
        let slot = self.stake_slot(who);
        let (staked, locked) = halves(self.sload(slot));
        let free = staked.saturating_sub(locked);
        if free < lock {
            return Err(err::<I::InsufficientStake>(&[
                U256::from(free),
                U256::from(lock),
            ]));
        }
        if lock > 0 {
            self.sstore(slot, join(staked, locked.saturating_add(lock)));
        }
        // Votes: one per annotator per task, at most k per task. Words are
        // read and written once per run of tasks sharing them.
        let (mut voted, mut tally) = (Cursor::new(), Cursor::new());
        let holders_at = (lane_bits(j.classes, j.k) as usize).saturating_sub(4);
        for &t in &tasks {
            if t >= j.tasks {
                return Err(err::<I::TaskOutOfRange>(&[u(t)]));
            }
            let bits = voted.seek(self.vm(), u(t / 256), |key| {
                self.slot(TAG_VOTED, id, word(who), key)
            });
            let bit = U256::from(1).wrapping_shl((t % 256) as usize);
            if !(*bits & bit).is_zero() {
                return Err(err::<I::AlreadyVoted>(&[u(t)]));
            }
            *bits |= bit;
            let (key, at) = j.place(t);
            let lanes = tally.seek(self.vm(), u(key), |key| {
                self.slot(TAG_TALLY, id, U256::ZERO, key)
            });
            let shift = at.saturating_add(holders_at);
            if lanes.wrapping_shr(shift).as_limbs()[0] & 0xF >= u64::from(j.k) {
                return Err(err::<I::TaskFull>(&[u(t)]));
            }
            *lanes = lanes.wrapping_add(U256::from(1).wrapping_shl(shift));
        }
        voted.finish(self.vm());
        tally.finish(self.vm());
        j.batches = j.batches.saturating_add(1);
        let batch = U256::from(j.batches);
        self.save_job(&j, &mut jw);
        r.open = r.open.saturating_add(1);
        r.locked = r.locked.saturating_add(lock);
        self.sstore(record_slot, r.pack());
        let value = self.batch_value(who, raw, commitment.as_slice(), BATCH_COMMITTED);
        self.sstore(self.slot(TAG_BATCH, id, batch, U256::ZERO), value);
        self.emit(
            I::BatchCommitted::SIGNATURE_HASH,
            &[id, batch, word(who)],
            &[Arg::W(b(commitment)), Arg::B(raw), Arg::W(U256::from(lock))],
        );
        Ok(batch)
    }

    fn reveal(&mut self, a: &Args<'_>) -> Result<()> {
        let (id, batch) = (a.word(0)?, a.word(1)?);
        let (raw, tasks) = batch_tasks(a, 2)?;
        let labels = a.bytes(3)?;
        let salt = a.b256(4)?;
        let (j, _) = self.job_in_phase(id, PHASE_REVEAL, 0)?;
        let who = self.vm().msg_sender();
        let mut preimage = id.to_be_bytes::<32>().to_vec();
        preimage.extend_from_slice(who.as_slice());
        preimage.extend_from_slice(labels);
        preimage.extend_from_slice(salt.as_slice());
        let commitment = self.vm().native_keccak256(&preimage);
        let slot = self.slot(TAG_BATCH, id, batch, U256::ZERO);
        let stored = self.sload(slot);
        if stored.is_zero() {
            return Err(err::<I::UnknownBatch>(&[batch]));
        }
        if labels.len() != tasks.len()
            || stored != self.batch_value(who, raw, commitment.as_slice(), BATCH_COMMITTED)
        {
            return Err(err::<I::BatchMismatch>(&[batch]));
        }
        let cw = count_bits(j.k) as usize;
        let mut tally = Cursor::new();
        for (&t, &label) in tasks.iter().zip(labels) {
            if label >= j.classes {
                return Err(err::<I::InvalidLabel>(&[u(t), u(label)]));
            }
            let (key, at) = j.place(t);
            let lanes = tally.seek(self.vm(), u(key), |key| {
                self.slot(TAG_TALLY, id, U256::ZERO, key)
            });
            // At most k holders per task, so a class count never carries.
            *lanes = lanes.wrapping_add(
                U256::from(1).wrapping_shl(at.saturating_add(cw.saturating_mul(label.into()))),
            );
        }
        tally.finish(self.vm());
        self.sstore(slot, self.batch_value(who, raw, labels, BATCH_REVEALED));
        self.emit(
            I::BatchRevealed::SIGNATURE_HASH,
            &[id, batch, word(who)],
            &[Arg::B(labels)],
        );
        Ok(())
    }

    /// Settles a revealed batch, or (`forfeit`) an unrevealed one, which
    /// loses its whole stake; the two share their checks and accounting.
    #[allow(clippy::too_many_lines)]
    fn settle(&mut self, a: &Args<'_>, forfeit: bool) -> Result<()> {
        let (id, batch, who) = (a.word(0)?, a.word(1)?, a.address(2)?);
        let (raw, tasks) = batch_tasks(a, 3)?;
        let commitment;
        let (data, state) = if forfeit {
            commitment = a.b256(4)?;
            (commitment.as_slice(), BATCH_COMMITTED)
        } else {
            (a.bytes(4)?, BATCH_REVEALED)
        };
        let (mut j, mut jw) = self.job_in_phase(id, PHASE_SETTLE, W_PRICE | W_MONEY | W_COUNTS)?;
        if j.flags & hub_common::FLAG_WEIGHTED != 0 {
            self.load_more(&mut j, &mut jw, W_FEE);
        }
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
        let lock = j.stake.saturating_mul(n.into());
        let (mut agreed, mut disagreed, mut paid) = (0u32, 0u32, 0u128);
        // Labels by weight: what the record, the job and reputation count.
        let (mut agreed_units, mut judged_units) = (0u32, 0u32);
        let (mut gold_seen, mut gold_ok) = (0u32, 0u32);
        if !forfeit {
            let over = self.vm().block_timestamp() >= j.ruling_end;
            let fewest = min_winning_votes(j.k, j.quorum);
            for (&t, &label) in tasks.iter().zip(data) {
                let weight = u128::from(j.weight(t));
                let lane = Lane::decode(self.lane(&j, id, t), j.classes, j.k);
                let class = classify(&lane, j.k, j.quorum);
                let ruling = match class {
                    hub_common::Class::Escalated { .. } => self.ruling(id, t),
                    _ => 0,
                };
                match resolve(&lane, class, ruling, over) {
                    Resolved::Empty => {}
                    Resolved::Awaiting => {
                        return Err(err::<I::AwaitingRuling>(&[u(t), u(j.ruling_end)]));
                    }
                    Resolved::Undecided => {
                        paid = paid.saturating_add(bps_of(
                            j.reward.saturating_mul(weight),
                            PARTICIPATION_BPS,
                        ));
                    }
                    Resolved::Decided {
                        label: decided,
                        gold,
                        fee,
                    } => {
                        if gold {
                            gold_seen = gold_seen.saturating_add(1);
                            gold_ok = gold_ok.saturating_add(u32::from(label == decided));
                        }
                        judged_units = judged_units.saturating_add(weight as u32);
                        if label == decided {
                            let mut pool = j.bounty().saturating_mul(weight);
                            if fee {
                                self.load_more(&mut j, &mut jw, W_FEE);
                                pool = pool.saturating_sub(j.fee);
                            }
                            agreed = agreed.saturating_add(1);
                            agreed_units = agreed_units.saturating_add(weight as u32);
                            paid = paid.saturating_add(pay_per_vote(
                                pool,
                                lane.count(decided),
                                fewest,
                            ));
                        } else {
                            disagreed = disagreed.saturating_add(1);
                        }
                    }
                }
            }
        }
        self.sstore(slot, U256::ZERO);
        let mut slash = bps_of(j.stake, j.slash_bps).saturating_mul(disagreed.into());
        // Unrevealed, or fewer than half of the gold tasks right: nothing
        // paid, the whole stake slashed.
        let gold_failed = gold_ok.saturating_mul(2) < gold_seen;
        if forfeit || gold_failed {
            paid = 0;
            slash = lock;
            agreed = 0;
            disagreed = n;
            agreed_units = 0;
            judged_units = tasks
                .iter()
                .fold(0u32, |s, &t| s.saturating_add(j.weight(t).into()));
        }
        // Votes judged: what the stake at risk counts.
        let judged = agreed.saturating_add(disagreed);
        let caller = self.vm().msg_sender();
        let keeper_share = if caller == who {
            0
        } else {
            bps_of(slash, KEEPER_BPS)
        };
        // The record, the stake, the job, then the credits.
        let record_slot = self.record_slot(id, who);
        let mut r = Record::unpack(self.sload(record_slot));
        r.locked = r.locked.saturating_sub(lock);
        r.agreed = r.agreed.saturating_add(agreed_units);
        r.judged = r.judged.saturating_add(judged_units);
        r.open = r.open.saturating_sub(1);
        self.sstore(record_slot, r.pack());
        let stake_slot = self.stake_slot(who);
        let (staked, locked) = halves(self.sload(stake_slot));
        self.sstore(
            stake_slot,
            join(staked.saturating_sub(slash), locked.saturating_sub(lock)),
        );
        j.pool = j.pool.saturating_add(slash.saturating_sub(keeper_share));
        j.escrow = j.escrow.saturating_sub(paid);
        j.agreed = j.agreed.saturating_add(agreed_units);
        self.save_job(&j, &mut jw);
        self.credit(who, paid);
        self.credit(caller, keeper_share);
        self.add_reputation(
            who,
            judged_units,
            agreed_units,
            j.stake.saturating_mul(judged.into()),
        );
        let keeper = if keeper_share == 0 {
            U256::ZERO
        } else {
            word(caller)
        };
        if forfeit {
            self.emit(
                I::BatchForfeited::SIGNATURE_HASH,
                &[id, batch, word(who)],
                &[
                    Arg::W(U256::from(slash)),
                    Arg::W(keeper),
                    Arg::W(U256::from(keeper_share)),
                ],
            );
        } else {
            self.emit(
                I::BatchSettled::SIGNATURE_HASH,
                &[id, batch, word(who)],
                &[
                    Arg::W(u(agreed)),
                    Arg::W(u(disagreed)),
                    Arg::W(U256::from(paid)),
                    Arg::W(U256::from(slash)),
                    Arg::W(u(u8::from(gold_failed))),
                    Arg::W(keeper),
                    Arg::W(U256::from(keeper_share)),
                ],
            );
        }
        Ok(())
    }
}
