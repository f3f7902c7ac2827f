//! The QualityCourt program: its constructor, call routing and the hot
//! paths (see `labelmint-court-common` for the rules). Calls are routed
//! through a `#[fallback]` with strict hand decoding; selectors this program
//! does not run go to the extension by `DELEGATECALL`.

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use court_common::{
    parent, state, CourtState, IQualityCourt as I, AUDIT_CLEAR, AUDIT_SAMPLED, AUDIT_UNSEEDED, BPS,
    J_ARBITER, J_MONEY, J_ORACLE, J_SEED, J_TERMS, MAX_PROOF, MAX_RESULT_TOTAL, RESULT_WORDS,
    ROLE_ARBITER, ROLE_ORACLE, R_ALL, R_DISPUTE, R_PAID, R_ROOT, SLOT_EXTENSION, SLOT_REGISTRY,
    STATUS_OPEN,
};
use stylus_kit::{b, err, not_payable, split_selector, u, word, Arg, Args, RawAccess, Result};
use stylus_sdk::{call::delegate_call, prelude::*, stylus_core::calls::Call, ArbResult};

/// Storage of the QualityCourt: everything lives in raw slots (see
/// `court_common::layout`).
#[storage]
#[entrypoint]
pub struct QualityCourt {}

#[public]
impl QualityCourt {
    /// Sets the arbiter terms registry (the AnnotationMarket) and the
    /// extension program.
    ///
    /// # Errors
    /// * `InvalidParameter(0)` for a zero address.
    #[constructor]
    pub fn constructor(&mut self, registry: Address, extension: Address) -> Result<()> {
        if registry.is_zero() || extension.is_zero() {
            return Err(err::<I::InvalidParameter>(&[U256::ZERO]));
        }
        self.sstore(U256::from(SLOT_REGISTRY), word(registry));
        self.sstore(U256::from(SLOT_EXTENSION), word(extension));
        Ok(())
    }

    /// The hot paths of the `IQualityCourt` interface, routed by selector;
    /// every other call runs in the extension by `DELEGATECALL`.
    #[fallback]
    #[payable]
    pub fn route(&mut self, input: &[u8]) -> ArbResult {
        let (selector, a) = split_selector(input)?;
        let ret = stylus_kit::ret;
        let none = |()| Vec::new();
        let hot = match selector {
            I::postResultCall::SELECTOR
            | I::revealSeedCall::SELECTOR
            | I::ruleCall::SELECTOR
            | I::finalizeCall::SELECTOR
            | I::claimCall::SELECTOR
            | I::withdrawCall::SELECTOR => true,
            I::disputeCall::SELECTOR => false,
            // The extension checks its own payable functions.
            _ => return self.delegate(input),
        };
        if hot && !self.vm().msg_value().is_zero() {
            return Err(not_payable());
        }
        match selector {
            I::postResultCall::SELECTOR => Ok(ret(&[self.post(&a)?])),
            I::revealSeedCall::SELECTOR => self.reveal_seed(&a).map(none),
            I::disputeCall::SELECTOR => self.dispute(a.word(0)?, a.word(1)?).map(none),
            I::ruleCall::SELECTOR => self.rule(&a).map(none),
            I::finalizeCall::SELECTOR => self.finalize(a.word(0)?, a.word(1)?).map(none),
            I::claimCall::SELECTOR => self.claim(&a).map(none),
            _ => {
                let who = self.vm().msg_sender();
                let slot = self.credit_slot(who);
                let to = a.address(0)?;
                Ok(ret(&[stylus_kit::withdraw_credit(
                    self.vm(),
                    Address::ZERO,
                    slot,
                    who,
                    to,
                    I::Withdrawn::SIGNATURE_HASH,
                )?]))
            }
        }
    }
}

impl QualityCourt {
    fn delegate(&mut self, input: &[u8]) -> ArbResult {
        let extension = Address::from_word(B256::from(self.global(SLOT_EXTENSION)));
        let ctx = Call::new_mutating(self);
        // SAFETY: the extension is fixed at construction and written for
        // this storage layout (`court_common::layout`); the SDK flushes the
        // storage cache before the call.
        unsafe { delegate_call(self.vm(), ctx, extension, input) }.map_err(|e| match e {
            stylus_sdk::stylus_core::calls::errors::Error::Revert(data) => data,
            stylus_sdk::stylus_core::calls::errors::Error::AbiDecodingFailed(_) => vec![],
        })
    }

    fn require(&self, who: Address, role: u8) -> Result<()> {
        let caller = self.vm().msg_sender();
        if caller != who {
            return Err(err::<I::Unauthorized>(&[word(caller), u(role)]));
        }
        Ok(())
    }

    fn post(&mut self, a: &Args<'_>) -> Result<U256> {
        let id = a.word(0)?;
        let root = a.word(1)?;
        let total: u128 = a.uint(2, 128)?.to();
        let max: u128 = a.uint(3, 128)?.to();
        let leaves = a.u64(4, 32)? as u32;
        let details = a.word(5)?;
        let (mut j, mut jw) = self.job(id, J_ORACLE | J_ARBITER | J_TERMS | J_MONEY)?;
        self.require(j.oracle, ROLE_ORACLE)?;
        if j.status != STATUS_OPEN {
            return Err(err::<I::JobIsClosed>(&[id]));
        }
        if root.is_zero() || leaves == 0 || max < total || max > MAX_RESULT_TOTAL {
            return Err(err::<I::InvalidParameter>(&[u(8u8)]));
        }
        let need = max.saturating_add(j.fee);
        if need > j.free() {
            return Err(err::<I::InsufficientEscrow>(&[
                U256::from(j.free()),
                U256::from(need),
            ]));
        }
        j.reserved = j.reserved.saturating_add(need);
        j.results = j.results.saturating_add(1);
        j.live = j.live.saturating_add(1);
        j.pending = j.pending.saturating_add(1);
        let rid = u(j.results);
        let challenge_end = self
            .vm()
            .block_timestamp()
            .saturating_add(j.challenge.into());
        let r = court_common::Res {
            root,
            details,
            total,
            leaves,
            state: state::POSTED,
            challenge_end,
            deadline: challenge_end,
            max,
            ..court_common::Res::default()
        };
        self.save_job(&j, &mut jw);
        // A new result's slots are empty: write its non-zero words.
        let base = self.result_base(id, rid);
        for (i, w) in r.pack().into_iter().enumerate().take(RESULT_WORDS) {
            if !w.is_zero() {
                self.sstore(base.wrapping_add(U256::from(i)), w);
            }
        }
        self.emit(
            I::ResultPosted::SIGNATURE_HASH,
            &[id, rid],
            &[
                Arg::W(root),
                Arg::W(U256::from(total)),
                Arg::W(U256::from(max)),
                Arg::W(u(leaves)),
                Arg::W(details),
                Arg::W(u(challenge_end)),
            ],
        );
        Ok(rid)
    }

    fn reveal_seed(&mut self, a: &Args<'_>) -> Result<()> {
        let (id, rid, seed) = (a.word(0)?, a.word(1)?, a.word(2)?);
        let (mut j, mut jw) = self.job(id, J_ORACLE | J_SEED)?;
        let (mut r, mut rw) = self.result(id, rid, R_ROOT)?;
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
        self.save_job(&j, &mut jw);
        self.save_result(&r, &mut rw);
        self.emit(
            I::SeedRevealed::SIGNATURE_HASH,
            &[id, rid],
            &[Arg::W(seed), Arg::W(u(u8::from(audited)))],
        );
        Ok(())
    }

    fn dispute(&mut self, id: U256, rid: U256) -> Result<()> {
        let (j, _) = self.job(id, J_TERMS)?;
        let (mut r, mut rw) = self.result(id, rid, R_DISPUTE)?;
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
        self.save_result(&r, &mut rw);
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
        let (mut j, mut jw) = self.job(id, J_ORACLE | J_ARBITER | J_TERMS | J_MONEY)?;
        let (mut r, mut rw) = self.result(id, rid, R_ALL)?;
        self.require(j.arbiter, ROLE_ARBITER)?;
        let now = self.vm().block_timestamp();
        let deadline = match r.state {
            state::IN_REVIEW => r.deadline,
            state::POSTED if j.audit_bps > 0 && r.audit != AUDIT_CLEAR => {
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
            if total > r.max {
                return Err(err::<I::TotalAboveMaximum>(&[
                    U256::from(total),
                    U256::from(r.max),
                ]));
            }
            (r.root, r.total, r.leaves, r.details) = (root, total, leaves, details);
        }
        // The loser pays: an upheld dispute's bond pays the fee (the rest
        // joins the escrow); otherwise the job does (the reserve held it).
        let disputed = !r.disputer.is_zero();
        j.reserved = j
            .reserved
            .saturating_sub(j.fee)
            .saturating_sub(r.max.saturating_sub(r.total));
        if disputed && !overturn {
            j.escrow = j.escrow.saturating_add(j.bond.saturating_sub(j.fee));
        } else {
            j.escrow = j.escrow.saturating_sub(j.fee);
        }
        if disputed && overturn {
            self.credit(r.disputer, j.bond);
        }
        self.credit(j.arbiter, j.fee);
        self.finish(&mut j, &mut r, now);
        self.save_job(&j, &mut jw);
        self.save_result(&r, &mut rw);
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

    fn finalize(&mut self, id: U256, rid: U256) -> Result<()> {
        let (mut j, mut jw) = self.job(id, J_ORACLE | J_ARBITER | J_TERMS | J_MONEY)?;
        let (mut r, mut rw) = self.result(id, rid, R_PAID | R_DISPUTE)?;
        self.settle(id, rid, &mut j, &mut r)?;
        self.save_job(&j, &mut jw);
        self.save_result(&r, &mut rw);
        Ok(())
    }

    fn claim(&mut self, a: &Args<'_>) -> Result<()> {
        let (id, rid) = (a.word(0)?, a.word(1)?);
        let index = a.u64(2, 32)? as u32;
        let who = a.address(3)?;
        let payout: u128 = a.uint(4, 128)?.to();
        let labels = a.u64(5, 32)? as u32;
        let verdicts = a.word(6)?;
        let proof = a.array(7, 256)?;
        let (mut j, mut jw) = self.job(id, J_ARBITER | J_MONEY)?;
        let (mut r, mut rw) = self.result(id, rid, R_ROOT | R_PAID)?;
        if r.state == state::POSTED {
            // The first claim after the window finalizes the result.
            self.job_more(&mut j, &mut jw, J_ORACLE | J_TERMS);
            self.result_more(&mut r, &mut rw, R_DISPUTE);
            self.settle(id, rid, &mut j, &mut r)?;
        }
        if r.state != state::FINAL {
            return Err(err::<I::WrongState>(&[rid, u(r.state)]));
        }
        if proof.len() > MAX_PROOF || index >= r.leaves {
            return Err(err::<I::InvalidProof>(&[]));
        }
        let keccak = |x: &[u8]| self.vm().native_keccak256(x).0;
        let mut node = self.leaf(id, rid, index, who, payout, labels, verdicts);
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
        r.claimed = r.claimed.saturating_add(1);
        if r.claimed == r.leaves {
            j.pending = j.pending.saturating_sub(1);
        }
        j.reserved = j.reserved.saturating_sub(payout);
        j.escrow = j.escrow.saturating_sub(payout);
        j.accepted = j.accepted.saturating_add(labels);
        self.save_job(&j, &mut jw);
        self.save_result(&r, &mut rw);
        if labels > 0 {
            let s = self.accepted_slot(id, who);
            self.sstore(s, self.sload(s).saturating_add(u(labels)));
        }
        self.credit(who, payout);
        self.emit(
            I::Claimed::SIGNATURE_HASH,
            &[id, rid, word(who)],
            &[
                Arg::W(u(index)),
                Arg::W(U256::from(payout)),
                Arg::W(u(labels)),
            ],
        );
        Ok(())
    }
}
