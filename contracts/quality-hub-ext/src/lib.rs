//! # QualityHub extension
//!
//! The hub's cold paths, run by `DELEGATECALL` from the QualityHub program
//! in the hub's storage (`labelmint-hub-common` holds the layout both
//! programs share): job creation, the gold key, the arbiter's rulings,
//! closing, slash shares, unstaking, and every view.
//!
//! The program has its own `user_entrypoint` instead of the SDK's, for the
//! reason the AnnotationMarket's extension gives: the SDK's entrypoint
//! reverts on `msg_reentrant`, which Nitro reports for a program running
//! for an address already on the call stack — exactly what a `DELEGATECALL`
//! from the hub is. The hub's own entrypoint keeps its reentrancy guard.
//! Called directly, the extension runs on its own empty storage, where every
//! function fails (no job, no token, no registry) or changes nothing of
//! value.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main, no_std)]
#![warn(clippy::arithmetic_side_effects)]

extern crate alloc;

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use hub_common::{
    classify, field, halves, join, lane_bits, overturns, resolve, Class, HubState,
    IQualityHub as I, Job, Lane, Resolved, BPS, FLAG_GOLD_REVEALED, MAX_BATCH, MAX_CLASSES,
    MAX_GOLD, MAX_PHASE, MAX_QUORUM_BPS, MAX_REPLICATION, MIN_GOLD_BPS, MIN_PHASE, PHASE_CLOSED,
    PHASE_REVEAL, PHASE_SETTLE, SLOT_JOB_COUNT, SLOT_REGISTRY, STATUS_CLOSED, STATUS_OPEN,
    TAG_RULING, TAG_TALLY, TASK_CONSENSUS, TASK_EMPTY, TASK_ESCALATED, TASK_GOLD, TASK_RULED,
    TASK_UNDECIDED, UNSTAKE_COOLDOWN, W_ALL, W_ARBITER, W_COUNTS, W_FEE, W_GOLD, W_MONEY, W_PRICE,
    W_TIMES,
};
use stylus_kit::{
    b, err, not_payable, split_selector, u, unknown_function, word, Arg, Args, Cursor, RawAccess,
    Result,
};
use stylus_sdk::stylus_core::host::HostAccess;

/// The extension running on a host (the hub's storage when delegated to).
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

/// Packed task ids (4 bytes each, `1..=max`) and their values.
fn packed_tasks<'a>(a: &'a Args<'_>, i: usize, max: usize) -> Result<(&'a [u8], Vec<u32>)> {
    let raw = a.bytes(i)?;
    let n = raw.len() / 4;
    if raw.len() % 4 != 0 || n == 0 || n > max {
        return Err(err::<I::BadBatchSize>(&[
            u(raw.len() as u64),
            u(max as u64),
        ]));
    }
    Ok((
        raw,
        raw.chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    ))
}

impl<H: stylus_sdk::stylus_core::Host> Extension<H> {
    /// A program for `vm`.
    pub fn new(vm: H) -> Self {
        Self { vm }
    }

    /// Every selector the hub hands over, routed.
    #[allow(clippy::too_many_lines)]
    pub fn route(&self, input: &[u8]) -> Result<Vec<u8>> {
        let (selector, a) = split_selector(input)?;
        if !self.vm().msg_value().is_zero() {
            return Err(not_payable());
        }
        let ret = stylus_kit::ret;
        let none = |()| Vec::new();
        match selector {
            I::createJobCall::SELECTOR => Ok(ret(&[self.create_job(&a, None)?])),
            I::createWeightedJobCall::SELECTOR => {
                Ok(ret(&[self.create_job(&a, Some(a.bytes(15)?))?]))
            }
            I::revealGoldCall::SELECTOR => self.reveal_gold(&a).map(none),
            I::ruleTasksCall::SELECTOR => self.rule(&a).map(none),
            I::closeJobCall::SELECTOR => self.close(a.word(0)?).map(none),
            I::claimSlashShareCall::SELECTOR => {
                Ok(ret(&[U256::from(self.claim_slash_share(a.word(0)?)?)]))
            }
            I::requestUnstakeCall::SELECTOR => self.request_unstake(a.uint(0, 128)?.to()).map(none),
            I::withdrawStakeCall::SELECTOR => Ok(ret(&[U256::from(self.withdraw_stake()?)])),
            I::jobCountCall::SELECTOR => Ok(ret(&[self.global(SLOT_JOB_COUNT)])),
            I::getJobCall::SELECTOR => {
                let j = self.view_job(a.word(0)?);
                Ok(ret(&[
                    word(j.creator),
                    j.data_root,
                    U256::from(j.reward),
                    u(j.tasks),
                    u(j.k),
                    u(j.classes),
                    u(j.quorum),
                    u(j.slash_bps),
                    U256::from(j.stake),
                    u(j.min_rep),
                    u(j.commit_end),
                    u(j.reveal_end),
                    u(j.ruling_end),
                    u(j.settle_end),
                    word(j.arbiter),
                    U256::from(j.fee),
                ]))
            }
            I::jobAccountsCall::SELECTOR => {
                let j = self.view_job(a.word(0)?);
                Ok(ret(&[
                    u(j.status),
                    u(j.batches),
                    U256::from(j.escrow),
                    U256::from(j.pool),
                    u(j.agreed),
                    u(j.gold_tasks),
                    U256::from(j.gold_bond),
                    u(j.flags & FLAG_GOLD_REVEALED),
                ]))
            }
            I::consensusOfCall::SELECTOR => {
                let (id, t) = (a.word(0)?, a.u64(1, 32)? as u32);
                let j = self.view_job(id);
                let raw = self.lane(&j, id, t);
                let lane = Lane::decode(raw, j.classes, j.k);
                let class = classify(&lane, j.k, j.quorum);
                let ruling = self.ruling(id, t);
                let over = self.vm().block_timestamp() >= j.ruling_end;
                let (state, label, votes) = match resolve(&lane, class, ruling, over) {
                    Resolved::Empty => (TASK_EMPTY, lane.leader, lane.votes),
                    Resolved::Undecided => (TASK_UNDECIDED, lane.leader, lane.votes),
                    Resolved::Awaiting => (TASK_ESCALATED, lane.leader, lane.votes),
                    Resolved::Decided { label, gold, .. } => {
                        let state = if ruling != 0 {
                            TASK_RULED
                        } else if gold {
                            TASK_GOLD
                        } else {
                            TASK_CONSENSUS
                        };
                        (state, label, lane.count(label))
                    }
                };
                Ok(ret(&[
                    u(lane.holders),
                    u(lane.revealed),
                    u(label),
                    u(votes),
                    u(state),
                    u(ruling),
                    u(raw),
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
                let r = self.reputation(a.address(0)?);
                Ok(ret(&[
                    u(r.judged),
                    u(r.agreed),
                    u(r.score()),
                    U256::from(r.value),
                ]))
            }
            I::creditOfCall::SELECTOR => Ok(ret(&[self.sload(self.credit_slot(a.address(0)?))])),
            I::jobSourceCall::SELECTOR => {
                let j = self.view_job(a.word(0)?);
                Ok(ret(&[
                    word(j.creator),
                    word(self.token()),
                    j.data_root,
                    u(u8::from(j.status == STATUS_CLOSED)),
                    u(j.agreed),
                ]))
            }
            I::acceptedLabelsCall::SELECTOR => {
                Ok(ret(&[u(self.record(a.word(0)?, a.address(1)?).agreed)]))
            }
            I::taskWeightCall::SELECTOR => {
                let (id, t) = (a.word(0)?, a.u64(1, 32)? as u32);
                let j = self.view_job(id);
                let w = if t < j.tasks { j.weight(t) } else { 0 };
                Ok(ret(&[u(w)]))
            }
            _ => Err(unknown_function(selector)),
        }
    }

    /// Every word of a job (zeros for no such job), for views.
    fn view_job(&self, id: U256) -> Job {
        let (_, words) = stylus_kit::Words::<{ hub_common::JOB_WORDS }>::load(
            self.vm(),
            self.job_base(id),
            W_ALL,
        );
        Job::unpack(&words)
    }

    /// `createJob`, or with `difficulty` (its raw classes) `createWeightedJob`.
    #[allow(clippy::too_many_lines)]
    fn create_job(&self, a: &Args<'_>, difficulty: Option<&[u8]>) -> Result<U256> {
        let bad = |f: u8| err::<I::InvalidParameter>(&[u(f)]);
        let data_root = a.word(0)?;
        let reward: u128 = a.uint(1, 128)?.to();
        let tasks = a.u64(2, 32)? as u32;
        let k = a.u64(3, 8)? as u8;
        let classes = a.u64(4, 8)? as u8;
        let quorum = a.u64(5, 16)? as u16;
        let phases = [a.u64(6, 32)?, a.u64(7, 32)?, a.u64(8, 32)?];
        let stake: u128 = a.uint(9, 128)?.to();
        let slash_bps = a.u64(10, 16)? as u16;
        let min_rep = a.u64(11, 16)? as u16;
        let terms_id = a.u64(12, 32)? as u32;
        let gold = a.word(13)?;
        let gold_tasks = a.u64(14, 32)? as u32;
        let creator = self.vm().msg_sender();
        let phase_ok = |d: &u64| (u64::from(MIN_PHASE)..=u64::from(MAX_PHASE)).contains(d);
        let min_gold = u64::from(tasks)
            .saturating_mul(MIN_GOLD_BPS.into())
            .div_ceil(BPS.into());
        let checks = [
            (tasks == 0, field::TASK_COUNT),
            (reward == 0, field::REWARD),
            (!(3..=MAX_REPLICATION).contains(&k), field::REPLICATION),
            (!(2..=MAX_CLASSES).contains(&classes), field::CLASSES),
            (quorum <= BPS / 2 || quorum > MAX_QUORUM_BPS, field::QUORUM),
            (!phases.iter().all(phase_ok), field::DURATIONS),
            (slash_bps > BPS, field::SLASH),
            (min_rep > BPS, field::REPUTATION),
            (
                gold.is_zero()
                    || u64::from(gold_tasks) < min_gold
                    || gold_tasks > tasks.min(MAX_GOLD),
                field::GOLD,
            ),
        ];
        if let Some((_, f)) = checks.iter().find(|(failed, _)| *failed) {
            return Err(bad(*f));
        }
        let classes_of = match difficulty {
            None => None,
            Some(raw) => Some(
                hub_common::parse_difficulty(raw, tasks).ok_or_else(|| bad(field::DIFFICULTY))?,
            ),
        };
        let (units, heaviest) = classes_of
            .as_ref()
            .map_or((u64::from(tasks), 1), |d| (d.units, d.max_weight));
        let bounty = reward
            .checked_mul(k.into())
            .ok_or_else(|| bad(field::ESCROW))?;
        let escrow = bounty
            .checked_mul(units.into())
            .ok_or_else(|| bad(field::ESCROW))?;
        // A vote's stake covers the most it can earn (on the heaviest task),
        // so withholding a vote never pays.
        let fewest = hub_common::min_winning_votes(k, quorum);
        let most = bounty
            .checked_mul(heaviest.into())
            .ok_or_else(|| bad(field::ESCROW))?;
        if stake.checked_mul(fewest.into()).is_none_or(|s| s < most) {
            return Err(bad(field::STAKE));
        }
        let token = self.token();
        let registry = Address::from_word(B256::from(self.global(SLOT_REGISTRY)));
        let terms = stylus_kit::arbiter::read(self.vm(), registry, terms_id)
            .filter(|t| t.token == token && t.arbiter != creator && t.fee <= bounty)
            .ok_or_else(|| bad(field::TERMS))?;
        // The gold bond: per gold task, the fee of a ruling that overturns
        // it and one reward for the annotators.
        let bond = reward
            .checked_add(terms.fee)
            .and_then(|b| b.checked_mul(gold_tasks.into()))
            .ok_or_else(|| bad(field::ESCROW))?;
        let total = escrow.checked_add(bond).ok_or_else(|| bad(field::ESCROW))?;
        let id = self.global(SLOT_JOB_COUNT).saturating_add(U256::from(1));
        self.sstore(U256::from(SLOT_JOB_COUNT), id);
        let now = self.vm().block_timestamp();
        let commit_end = now.saturating_add(phases[0]);
        let reveal_end = commit_end.saturating_add(phases[1]);
        let ruling_end = reveal_end.saturating_add(terms.ruling_window.into());
        let j = Job {
            creator,
            tasks,
            k,
            classes,
            quorum,
            slash_bps,
            status: STATUS_OPEN,
            flags: if classes_of.is_some() {
                hub_common::FLAG_WEIGHTED
            } else {
                0
            },
            reward,
            stake,
            commit_end,
            reveal_end,
            ruling_end,
            settle_end: ruling_end.saturating_add(phases[2]),
            escrow,
            pool: 0,
            batches: 0,
            agreed: 0,
            gold_tasks,
            min_rep,
            gold_bond: bond,
            data_root,
            gold,
            arbiter: terms.arbiter,
            terms: terms_id,
            fee: terms.fee,
            ends: classes_of.as_ref().map_or([0; 3], |d| d.ends),
            weights: classes_of.as_ref().map_or([0; 4], |d| d.weights),
        };
        // A new job's slots are empty: write its non-zero words.
        let base = self.job_base(id);
        for (i, w) in j.pack().into_iter().enumerate() {
            if !w.is_zero() {
                self.sstore(base.wrapping_add(U256::from(i)), w);
            }
        }
        self.emit(
            I::JobCreated::SIGNATURE_HASH,
            &[id, word(creator)],
            &[
                Arg::W(data_root),
                Arg::W(u(tasks)),
                Arg::W(u(k)),
                Arg::W(U256::from(total)),
                Arg::W(u(terms_id)),
            ],
        );
        if let Some(raw) = difficulty {
            self.emit(I::JobDifficulty::SIGNATURE_HASH, &[id], &[Arg::B(raw)]);
        }
        // Interaction last; the amount that arrived is checked.
        stylus_kit::pull(self.vm(), token, creator, U256::from(total))?;
        Ok(id)
    }

    /// `revealGold`: the creator's key, `keccak256(creator ‖ tasks ‖ labels
    /// ‖ salt)`, every gold task (strictly ascending) in one call.
    fn reveal_gold(&self, a: &Args<'_>) -> Result<()> {
        let id = a.word(0)?;
        let (raw, tasks) = packed_tasks(a, 1, MAX_GOLD as usize)?;
        let labels = a.bytes(2)?;
        let salt = a.b256(3)?;
        let (mut j, mut jw) = self.job_in_phase(id, PHASE_REVEAL, W_GOLD | W_COUNTS)?;
        if j.gold.is_zero() {
            return Err(err::<I::GoldAlreadyRevealed>(&[id]));
        }
        let mut pre = Vec::with_capacity(raw.len().saturating_add(labels.len()).saturating_add(52));
        pre.extend_from_slice(j.creator.as_slice());
        pre.extend_from_slice(raw);
        pre.extend_from_slice(labels);
        pre.extend_from_slice(salt.as_slice());
        if labels.len() != tasks.len()
            || tasks.len() != j.gold_tasks as usize
            || b(self.vm().native_keccak256(&pre)) != j.gold
        {
            return Err(err::<I::BatchMismatch>(&[U256::ZERO]));
        }
        let gold_at = (lane_bits(j.classes, j.k) as usize).saturating_sub(8);
        let mut tally = Cursor::new();
        let mut last = None;
        for (&t, &label) in tasks.iter().zip(labels) {
            if t >= j.tasks || label >= j.classes || last.is_some_and(|p| t <= p) {
                return Err(err::<I::InvalidLabel>(&[u(t), u(label)]));
            }
            last = Some(t);
            let (key, at) = j.place(t);
            let lanes = tally.seek(self.vm(), u(key), |key| {
                self.slot(TAG_TALLY, id, U256::ZERO, key)
            });
            let shift = at.saturating_add(gold_at);
            *lanes |= U256::from(label.saturating_add(1)).wrapping_shl(shift);
        }
        tally.finish(self.vm());
        j.gold = U256::ZERO;
        j.flags |= FLAG_GOLD_REVEALED;
        self.save_job(&j, &mut jw);
        self.emit(
            I::GoldRevealed::SIGNATURE_HASH,
            &[id],
            &[Arg::W(u(tasks.len() as u64))],
        );
        Ok(())
    }

    /// `ruleTasks`: the arbiter decides escalated tasks in its window. Its
    /// fee comes from the task's bounty, except when it overturns a
    /// contested gold label: then the creator's gold bond pays it, and one
    /// reward more goes to the annotators' pool.
    fn rule(&self, a: &Args<'_>) -> Result<()> {
        let id = a.word(0)?;
        let (raw, tasks) = packed_tasks(a, 1, MAX_BATCH)?;
        let labels = a.bytes(2)?;
        let (mut j, mut jw) = self.load_job(
            id,
            W_PRICE | W_TIMES | W_MONEY | W_COUNTS | W_ARBITER | W_FEE,
        )?;
        let caller = self.vm().msg_sender();
        if caller != j.arbiter {
            return Err(err::<I::Unauthorized>(&[word(caller)]));
        }
        let now = self.vm().block_timestamp();
        let phase = j.phase(now);
        if phase != PHASE_SETTLE || now >= j.ruling_end {
            return Err(err::<I::WrongPhase>(&[id, u(phase)]));
        }
        if labels.len() != tasks.len() {
            return Err(err::<I::BadBatchSize>(&[
                u(labels.len() as u64),
                u(tasks.len() as u64),
            ]));
        }
        let mut rulings = Cursor::new();
        let mut overturned = 0u128;
        for (&t, &label) in tasks.iter().zip(labels) {
            if t >= j.tasks || label >= j.classes {
                return Err(err::<I::InvalidLabel>(&[u(t), u(label)]));
            }
            let lane = Lane::decode(self.lane(&j, id, t), j.classes, j.k);
            let class = classify(&lane, j.k, j.quorum);
            let word4 = rulings.seek(self.vm(), u(t / 64), |key| {
                self.slot(TAG_RULING, id, U256::ZERO, key)
            });
            let shift = (t % 64).saturating_mul(4) as usize;
            let ruled = !(word4.wrapping_shr(shift) & U256::from(0xF)).is_zero();
            if ruled || !matches!(class, Class::Escalated { .. }) {
                return Err(err::<I::NotEscalated>(&[u(t)]));
            }
            *word4 |= U256::from(label.saturating_add(1)).wrapping_shl(shift);
            overturned = overturned.saturating_add(u128::from(overturns(&lane, class, label)));
        }
        rulings.finish(self.vm());
        // A ruled task's bounty is still in the escrow (its batches cannot
        // settle before the ruling, and the fee is at most a bounty); each
        // overturned key's share of the bond holds its fee and a reward.
        let n = tasks.len() as u128;
        let fees = j.fee.saturating_mul(n);
        j.escrow = j
            .escrow
            .saturating_sub(j.fee.saturating_mul(n.saturating_sub(overturned)));
        j.gold_bond = j
            .gold_bond
            .saturating_sub(j.fee.saturating_add(j.reward).saturating_mul(overturned));
        j.pool = j.pool.saturating_add(j.reward.saturating_mul(overturned));
        self.save_job(&j, &mut jw);
        self.credit(caller, fees);
        self.emit(
            I::TasksRuled::SIGNATURE_HASH,
            &[id, word(caller)],
            &[Arg::B(raw), Arg::B(labels), Arg::W(U256::from(fees))],
        );
        Ok(())
    }

    fn close(&self, id: U256) -> Result<()> {
        let (mut j, mut jw) = self.load_job(id, W_TIMES | W_MONEY | W_COUNTS | W_GOLD)?;
        let phase = j.phase(self.vm().block_timestamp());
        if phase != PHASE_CLOSED || j.status != STATUS_OPEN {
            return Err(err::<I::WrongPhase>(&[id, u(phase)]));
        }
        let mut refund = j.escrow;
        // A key committed and never revealed forfeits the bond to the
        // annotators' pool.
        let forfeited = !j.gold.is_zero();
        if forfeited {
            j.pool = j.pool.saturating_add(j.gold_bond);
        } else {
            refund = refund.saturating_add(j.gold_bond);
        }
        j.escrow = 0;
        j.gold_bond = 0;
        j.status = STATUS_CLOSED;
        self.save_job(&j, &mut jw);
        self.credit(j.creator, refund);
        self.emit(
            I::JobClosed::SIGNATURE_HASH,
            &[id],
            &[
                Arg::W(U256::from(refund)),
                Arg::W(U256::from(j.pool)),
                Arg::W(u(u8::from(forfeited))),
            ],
        );
        Ok(())
    }

    /// The caller's share of the slash pool, pro rata to its agreeing votes;
    /// with no agreeing vote in the job, the pool stays in the hub.
    fn claim_slash_share(&self, id: U256) -> Result<u128> {
        let (j, _) = self.load_job(id, W_MONEY | W_COUNTS)?;
        if j.status != STATUS_CLOSED {
            return Err(err::<I::WrongPhase>(&[
                id,
                u(j.phase(self.vm().block_timestamp())),
            ]));
        }
        let who = self.vm().msg_sender();
        let slot = self.record_slot(id, who);
        let mut r = hub_common::Record::unpack(self.sload(slot));
        // pool × agreed / total, without overflow for any realistic pool.
        let amount = j
            .pool
            .checked_mul(r.agreed.into())
            .map_or(0, |x| x.checked_div(j.agreed.into()).unwrap_or(0));
        if r.claimed || amount == 0 {
            return Err(err::<I::NothingToClaim>(&[]));
        }
        r.claimed = true;
        self.sstore(slot, r.pack());
        self.credit(who, amount);
        self.emit(
            I::SlashShareClaimed::SIGNATURE_HASH,
            &[id, word(who)],
            &[Arg::W(U256::from(amount))],
        );
        Ok(amount)
    }

    fn request_unstake(&self, amount: u128) -> Result<()> {
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

    fn withdraw_stake(&self) -> Result<u128> {
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
        let token = self.token();
        if !stylus_kit::transfer_out(self.vm(), token, who, U256::from(pending), u64::MAX) {
            return Err(err::<I::TokenCallFailed>(&[word(token)]));
        }
        Ok(pending)
    }
}
