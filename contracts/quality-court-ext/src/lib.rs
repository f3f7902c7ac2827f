//! # QualityCourt extension
//!
//! The court's cold paths, run by `DELEGATECALL` from the QualityCourt
//! program in the court's storage (`labelmint-court-common` holds the layout
//! both programs share): job creation (with the arbiter's terms read from
//! the AnnotationMarket's registry), funding, expiry, closing, and every
//! view. It has its own `user_entrypoint`, for the reason the market's
//! extension gives (the SDK's reverts on `msg_reentrant`, which Nitro
//! reports under `DELEGATECALL`); the court's entrypoint keeps its guard.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main, no_std)]
#![warn(clippy::arithmetic_side_effects)]

extern crate alloc;

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use court_common::{
    state, CourtState, IQualityCourt as I, Job, Res, BPS, J_ALL, J_ARBITER, J_MONEY, ROLE_CREATOR,
    R_ALL, R_PAID, SLOT_JOB_COUNT, SLOT_REGISTRY, STATUS_CLOSED, STATUS_OPEN,
};
use stylus_kit::{
    err, not_payable, split_selector, u, unknown_function, word, Arg, Args, RawAccess, Result,
    Words,
};
use stylus_sdk::stylus_core::host::HostAccess;

/// The extension running on a host (the court's storage when delegated to).
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

    /// Every selector the court hands over, routed.
    pub fn route(&self, input: &[u8]) -> Result<Vec<u8>> {
        let (selector, a) = split_selector(input)?;
        let payable = [I::createJobCall::SELECTOR, I::fundCall::SELECTOR];
        if !payable.contains(&selector) && !self.vm().msg_value().is_zero() {
            return Err(not_payable());
        }
        let ret = stylus_kit::ret;
        match selector {
            I::createJobCall::SELECTOR => Ok(ret(&[self.create_job(&a)?])),
            I::fundCall::SELECTOR => self.fund(a.word(0)?).map(|()| Vec::new()),
            I::expireCall::SELECTOR => self.expire(a.word(0)?, a.word(1)?).map(|()| Vec::new()),
            I::closeJobCall::SELECTOR => Ok(ret(&[self.close(a.word(0)?)?])),
            I::jobCountCall::SELECTOR => Ok(ret(&[self.global(SLOT_JOB_COUNT)])),
            I::getJobCall::SELECTOR => {
                let j = self.view_job(a.word(0)?);
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
            I::jobProgressCall::SELECTOR => {
                let j = self.view_job(a.word(0)?);
                Ok(ret(&[u(j.terms), u(j.live), u(j.pending), u(j.accepted)]))
            }
            I::getResultCall::SELECTOR => {
                let (job, rid) = (a.word(0)?, a.word(1)?);
                let (_, w) = Words::<{ court_common::RESULT_WORDS }>::load(
                    self.vm(),
                    self.result_base(job, rid),
                    R_ALL,
                );
                let r = Res::unpack(&w);
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
                    U256::from(r.max),
                    u(r.claimed),
                ]))
            }
            I::leafOfCall::SELECTOR => {
                let leaf = self.leaf(
                    a.word(0)?,
                    a.word(1)?,
                    a.u64(2, 32)? as u32,
                    a.address(3)?,
                    a.uint(4, 128)?.to(),
                    a.u64(5, 32)? as u32,
                    a.word(6)?,
                );
                Ok(ret(&[U256::from_be_bytes(leaf)]))
            }
            I::isClaimedCall::SELECTOR => {
                let (slot, bit) = self.claim_bit(a.word(0)?, a.word(1)?, a.u64(2, 32)? as u32);
                Ok(ret(&[u(u8::from(!(self.sload(slot) & bit).is_zero()))]))
            }
            I::creditOfCall::SELECTOR => Ok(ret(&[self.sload(self.credit_slot(a.address(0)?))])),
            I::jobSourceCall::SELECTOR => {
                let j = self.view_job(a.word(0)?);
                Ok(ret(&[
                    word(j.creator),
                    U256::ZERO,
                    j.data_root,
                    u(u8::from(j.settled())),
                    u(j.accepted),
                ]))
            }
            I::acceptedLabelsCall::SELECTOR => Ok(ret(&[
                self.sload(self.accepted_slot(a.word(0)?, a.address(1)?))
            ])),
            _ => Err(unknown_function(selector)),
        }
    }

    /// Every word of a job (zeros for no such job), for views.
    fn view_job(&self, id: U256) -> Job {
        let (_, w) =
            Words::<{ court_common::JOB_WORDS }>::load(self.vm(), self.job_base(id), J_ALL);
        Job::unpack(&w)
    }

    fn create_job(&self, a: &Args<'_>) -> Result<U256> {
        let bad = |field: u8| err::<I::InvalidParameter>(&[u(field)]);
        let data_root = a.word(0)?;
        let oracle = a.address(1)?;
        let terms_id = a.u64(2, 32)? as u32;
        let audit_bps = a.u64(3, 16)? as u16;
        let seed = a.word(4)?;
        let creator = self.vm().msg_sender();
        let value = self.vm().msg_value();
        let checks = [
            (oracle.is_zero(), 1),
            (audit_bps > BPS || (audit_bps > 0 && seed.is_zero()), 6),
            (value.is_zero(), 7),
            (value > U256::from(u128::MAX), 9),
        ];
        if let Some((_, field)) = checks.iter().find(|(failed, _)| *failed) {
            return Err(bad(*field));
        }
        // The arbiter offered these terms itself, for ETH; nobody judges a
        // result of their own.
        let registry = Address::from_word(B256::from(self.global(SLOT_REGISTRY)));
        let terms = stylus_kit::arbiter::read(self.vm(), registry, terms_id)
            .filter(|t| t.token.is_zero() && t.arbiter != creator && t.arbiter != oracle)
            .ok_or_else(|| bad(2))?;
        let id = self.global(SLOT_JOB_COUNT).saturating_add(U256::from(1));
        self.sstore(U256::from(SLOT_JOB_COUNT), id);
        let j = Job {
            creator,
            status: STATUS_OPEN,
            audit_bps,
            challenge: terms.dispute_window,
            ruling: terms.ruling_window,
            oracle,
            arbiter: terms.arbiter,
            terms: terms_id,
            fee: terms.fee,
            bond: terms.bond,
            escrow: value.to(),
            data_root,
            seed_head: seed,
            ..Job::default()
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
            &[id, word(creator), word(terms.arbiter)],
            &[
                Arg::W(word(oracle)),
                Arg::W(data_root),
                Arg::W(value),
                Arg::W(u(terms_id)),
            ],
        );
        Ok(id)
    }

    fn fund(&self, id: U256) -> Result<()> {
        let (mut j, mut jw) = self.job(id, J_MONEY)?;
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
        self.save_job(&j, &mut jw);
        self.emit(
            I::JobFunded::SIGNATURE_HASH,
            &[id, word(self.vm().msg_sender())],
            &[Arg::W(value)],
        );
        Ok(())
    }

    fn expire(&self, id: U256, rid: U256) -> Result<()> {
        let (mut j, mut jw) = self.job(id, J_ARBITER | J_MONEY)?;
        let (mut r, mut rw) = self.result(id, rid, R_PAID)?;
        if r.state != state::FINAL {
            return Err(err::<I::WrongState>(&[rid, u(r.state)]));
        }
        if self.vm().block_timestamp() < r.deadline {
            return Err(err::<I::TooEarly>(&[u(r.deadline)]));
        }
        let rest = r.total.saturating_sub(r.paid);
        j.reserved = j.reserved.saturating_sub(rest);
        if r.claimed < r.leaves {
            j.pending = j.pending.saturating_sub(1);
        }
        r.state = state::EXPIRED;
        self.save_job(&j, &mut jw);
        self.save_result(&r, &mut rw);
        self.emit(
            I::Expired::SIGNATURE_HASH,
            &[id, rid],
            &[Arg::W(U256::from(rest))],
        );
        Ok(())
    }

    fn close(&self, id: U256) -> Result<U256> {
        let (mut j, mut jw) = self.job(id, court_common::J_ORACLE | J_MONEY)?;
        let caller = self.vm().msg_sender();
        if caller != j.creator {
            return Err(err::<I::Unauthorized>(&[word(caller), u(ROLE_CREATOR)]));
        }
        // Never while a ruling may still need the escrow.
        if j.live > 0 {
            return Err(err::<I::ResultsPending>(&[u(j.live)]));
        }
        let refund = j.free();
        j.status = STATUS_CLOSED;
        j.escrow = j.escrow.saturating_sub(refund);
        self.save_job(&j, &mut jw);
        self.credit(j.creator, refund);
        self.emit(
            I::JobClosed::SIGNATURE_HASH,
            &[id],
            &[Arg::W(U256::from(refund))],
        );
        Ok(U256::from(refund))
    }
}
