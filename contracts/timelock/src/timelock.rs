//! The Timelock program: entrypoint, storage, call routing and the rules.
//!
//! Like the DatasetRegistry, the timelock routes its own calls through a
//! `#[fallback]` with strict hand decoding (`stylus_kit::Args`), and keeps
//! its state in raw slots:
//! - slot 0: the minimum delay;
//! - `slot(TAG_TIMESTAMP, id)`: the operation's timestamp (0 unset, 1 done,
//!   otherwise when it becomes ready);
//! - `slot(TAG_ROLE, role, account)`: 1 when `account` holds `role`.

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent};
use stylus_kit::{
    b, encode_args, err, not_payable, split_selector, u, unknown_function, word, Arg, Args,
    RawAccess, Result,
};
use stylus_sdk::{call::call, prelude::*, stylus_core::calls::Call, ArbResult};

use crate::{
    state, ITimelock as I, CANCELLER_ROLE, DEFAULT_ADMIN_ROLE, DONE_TIMESTAMP, EXECUTOR_ROLE,
    MAX_ACCOUNTS, MAX_BATCH, PROPOSER_ROLE,
};

/// Raw-slot tags.
const TAG_TIMESTAMP: u8 = 1;
const TAG_ROLE: u8 = 2;

/// Global words at small fixed slots (raw preimages are 128 bytes).
const SLOT_MIN_DELAY: u64 = 0;

/// Storage of the Timelock: everything lives in raw slots (see the module
/// docs).
#[storage]
pub struct Timelock {}

// SAFETY: `Timelock` is the program's one top-level storage type, which is
// what `#[entrypoint]` asserts with the same impl.
unsafe impl stylus_sdk::stylus_core::storage::TopLevelStorage for Timelock {}

/// The program's entrypoint: exactly what `#[entrypoint]` generates for
/// `Timelock`, without the SDK's deprecated blanket re-entrancy guard (which
/// reverts every call that finds the program already on the call stack, and
/// so every operation targeting the timelock itself: `updateDelay` and role
/// changes). The timelock's own re-entrancy safety is its state: an
/// operation is marked done before its calls run.
#[cfg(target_arch = "wasm32")]
#[no_mangle]
#[allow(unreachable_pub)] // exported by its symbol name, not by path
pub extern "C" fn user_entrypoint(len: usize) -> usize {
    let host = stylus_sdk::host::VM {
        host: stylus_sdk::host::WasmVM {},
    };
    // Referenced so that activation can insert its memory-growth charges
    // (as the SDK's entrypoint does).
    host.pay_for_memory_grow(0);
    let input = host.read_args(len);
    let (data, status) =
        match stylus_sdk::abi::router_entrypoint::<Timelock, Timelock>(input, host.clone()) {
            Ok(data) => (data, 0),
            Err(data) => (data, 1),
        };
    host.flush_cache(false);
    host.write_result(&data);
    status
}

/// The `expectedStates` bit of state `s`.
fn state_bit(s: u8) -> U256 {
    U256::from(1u8).wrapping_shl(usize::from(s))
}

/// `len` rounded up to whole words.
fn padded(len: usize) -> usize {
    len.next_multiple_of(32)
}

/// Appends `bytes` as ABI tail content: length word, then zero-padded data.
fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&U256::from(bytes.len()).to_be_bytes::<32>());
    out.extend_from_slice(bytes);
    out.resize(padded(out.len()), 0);
}

fn put_word(out: &mut Vec<u8>, w: U256) {
    out.extend_from_slice(&w.to_be_bytes::<32>());
}

/// `abi.encode(target, value, data, predecessor, salt)`.
fn encode_call(target: Address, value: U256, data: &[u8], pred: B256, salt: B256) -> Vec<u8> {
    let mut out = Vec::with_capacity(padded(data.len()).saturating_add(192));
    put_word(&mut out, word(target));
    put_word(&mut out, value);
    put_word(&mut out, U256::from(160u8));
    put_word(&mut out, b(pred));
    put_word(&mut out, b(salt));
    put_bytes(&mut out, data);
    out
}

/// One decoded batch: the calls in order.
struct Batch<'a> {
    targets: Vec<Address>,
    values: Vec<U256>,
    payloads: Vec<&'a [u8]>,
}

impl Batch<'_> {
    /// `abi.encode(targets, values, payloads, predecessor, salt)`.
    fn encode(&self, pred: B256, salt: B256) -> Vec<u8> {
        let n = self.targets.len();
        let list = n.saturating_mul(32).saturating_add(32);
        let mut out = Vec::with_capacity(list.saturating_mul(4).saturating_add(160));
        put_word(&mut out, U256::from(160u8));
        put_word(&mut out, U256::from(list.saturating_add(160)));
        put_word(
            &mut out,
            U256::from(list.saturating_mul(2).saturating_add(160)),
        );
        put_word(&mut out, b(pred));
        put_word(&mut out, b(salt));
        put_word(&mut out, U256::from(n));
        for t in &self.targets {
            put_word(&mut out, word(*t));
        }
        put_word(&mut out, U256::from(n));
        for v in &self.values {
            put_word(&mut out, *v);
        }
        put_word(&mut out, U256::from(n));
        // Offsets from the start of the offset table.
        let mut offset = n.saturating_mul(32);
        for p in &self.payloads {
            put_word(&mut out, U256::from(offset));
            offset = offset.saturating_add(padded(p.len()).saturating_add(32));
        }
        for p in &self.payloads {
            put_bytes(&mut out, p);
        }
        out
    }
}

/// The word at byte `at` of `data`, if it fits in 32 bits (offsets, lengths).
fn small_at(data: &[u8], at: usize) -> Result<usize> {
    let w = data
        .get(at..at.checked_add(32).ok_or_else(stylus_kit::bad_calldata)?)
        .map(U256::from_be_slice)
        .ok_or_else(stylus_kit::bad_calldata)?;
    if w.bit_len() > 32 {
        return Err(stylus_kit::bad_calldata());
    }
    Ok(w.saturating_to())
}

/// The `bytes` whose length word is at byte `at` of `data`.
fn bytes_at(data: &[u8], at: usize) -> Result<&[u8]> {
    let len = small_at(data, at)?;
    let start = at.saturating_add(32);
    data.get(start..start.saturating_add(len))
        .ok_or_else(stylus_kit::bad_calldata)
}

/// Decodes `(address[] targets, uint256[] values, bytes[] payloads, ...)`
/// from the first three arguments, checking the lengths: equal, 1 to
/// [`MAX_BATCH`].
fn decode_batch<'a>(a: &Args<'a>) -> Result<Batch<'a>> {
    let data = a.0;
    let targets: Vec<Address> = a
        .array(0, 160)?
        .iter()
        .map(|w| Address::from_word(B256::from(*w)))
        .collect();
    let values = a.array(1, 256)?;
    let offset = small_at(data, 64)?;
    let n = small_at(data, offset)?;
    if n != targets.len() || n != values.len() || n == 0 {
        return Err(err::<I::TimelockInvalidOperationLength>(&[
            U256::from(targets.len()),
            U256::from(n),
            U256::from(values.len()),
        ]));
    }
    if n > MAX_BATCH {
        return Err(err::<I::TimelockTooMany>(&[
            U256::from(n),
            U256::from(MAX_BATCH),
        ]));
    }
    let table = offset.saturating_add(32);
    let mut payloads = Vec::with_capacity(n);
    for i in 0..n {
        let relative = small_at(data, table.saturating_add(i.saturating_mul(32)))?;
        payloads.push(bytes_at(data, table.saturating_add(relative))?);
    }
    Ok(Batch {
        targets,
        values,
        payloads,
    })
}

/// `TimelockUnexpectedOperationState(id, expected)`.
fn unexpected(id: B256, expected: U256) -> Vec<u8> {
    err::<I::TimelockUnexpectedOperationState>(&[b(id), expected])
}

/// `TimelockCallFailed(id, index, reason)`: a dynamic argument, so encoded
/// with `encode_args` rather than `err`.
fn call_failed(id: B256, index: usize, reason: &[u8]) -> Vec<u8> {
    let mut out = I::TimelockCallFailed::SELECTOR.to_vec();
    out.extend_from_slice(&encode_args(&[
        Arg::W(b(id)),
        Arg::W(U256::from(index)),
        Arg::B(reason),
    ]));
    out
}

#[public]
impl Timelock {
    /// Sets the minimum delay; gives the timelock itself and `admin` (unless
    /// zero) `DEFAULT_ADMIN_ROLE`, each proposer `PROPOSER_ROLE` and
    /// `CANCELLER_ROLE`, each executor `EXECUTOR_ROLE` (the zero address:
    /// anyone may execute).
    ///
    /// # Errors
    /// * `TimelockTooMany(count, 16)` for a list of more than 16 accounts.
    ///
    /// # Events
    /// * `RoleGranted` for each grant, then `MinDelayChange(0, minDelay)`.
    #[constructor]
    pub fn constructor(
        &mut self,
        min_delay: U256,
        proposers: Vec<Address>,
        executors: Vec<Address>,
        admin: Address,
    ) -> Result<()> {
        for list in [&proposers, &executors] {
            if list.len() > MAX_ACCOUNTS {
                return Err(err::<I::TimelockTooMany>(&[
                    U256::from(list.len()),
                    U256::from(MAX_ACCOUNTS),
                ]));
            }
        }
        let this = self.vm().contract_address();
        self.grant(DEFAULT_ADMIN_ROLE, this);
        if !admin.is_zero() {
            self.grant(DEFAULT_ADMIN_ROLE, admin);
        }
        for p in &proposers {
            self.grant(PROPOSER_ROLE, *p);
            self.grant(CANCELLER_ROLE, *p);
        }
        for e in &executors {
            self.grant(EXECUTOR_ROLE, *e);
        }
        self.set_min_delay(min_delay);
        Ok(())
    }

    /// Every function of the `ITimelock` interface, routed by selector; empty
    /// calldata (a plain ETH transfer) is accepted, as the timelock may pay
    /// the value of the calls it executes.
    #[fallback]
    #[payable]
    #[allow(clippy::too_many_lines)]
    pub fn route(&mut self, input: &[u8]) -> ArbResult {
        if input.is_empty() {
            return Ok(vec![]);
        }
        let (selector, a) = split_selector(input)?;
        if selector != I::executeCall::SELECTOR
            && selector != I::executeBatchCall::SELECTOR
            && !self.vm().msg_value().is_zero()
        {
            return Err(not_payable());
        }
        let ret = stylus_kit::ret;
        let yes = |x: bool| u(u8::from(x));
        match selector {
            I::scheduleCall::SELECTOR => {
                self.only_role(PROPOSER_ROLE)?;
                let (target, value) = (a.address(0)?, a.word(1)?);
                let data = a.bytes(2)?;
                let (pred, salt, delay) = (a.b256(3)?, a.b256(4)?, a.word(5)?);
                let id = self.hash(&encode_call(target, value, data, pred, salt));
                self.schedule_id(id, delay)?;
                self.scheduled(id, 0, target, value, data, pred, delay);
                self.salted(id, salt);
                Ok(vec![])
            }
            I::scheduleBatchCall::SELECTOR => {
                self.only_role(PROPOSER_ROLE)?;
                let batch = decode_batch(&a)?;
                let (pred, salt, delay) = (a.b256(3)?, a.b256(4)?, a.word(5)?);
                let id = self.hash(&batch.encode(pred, salt));
                self.schedule_id(id, delay)?;
                for (i, p) in batch.payloads.iter().enumerate() {
                    self.scheduled(id, i, batch.targets[i], batch.values[i], p, pred, delay);
                }
                self.salted(id, salt);
                Ok(vec![])
            }
            I::executeCall::SELECTOR => {
                self.only_role_or_open(EXECUTOR_ROLE)?;
                let (target, value) = (a.address(0)?, a.word(1)?);
                let payload = a.bytes(2)?;
                let (pred, salt) = (a.b256(3)?, a.b256(4)?);
                let id = self.hash(&encode_call(target, value, payload, pred, salt));
                self.before_call(id, pred)?;
                self.run(id, 0, target, value, payload)?;
                Ok(vec![])
            }
            I::executeBatchCall::SELECTOR => {
                self.only_role_or_open(EXECUTOR_ROLE)?;
                let batch = decode_batch(&a)?;
                let (pred, salt) = (a.b256(3)?, a.b256(4)?);
                let id = self.hash(&batch.encode(pred, salt));
                self.before_call(id, pred)?;
                for (i, p) in batch.payloads.iter().enumerate() {
                    self.run(id, i, batch.targets[i], batch.values[i], p)?;
                }
                Ok(vec![])
            }
            I::cancelCall::SELECTOR => {
                self.only_role(CANCELLER_ROLE)?;
                let id = a.b256(0)?;
                let s = self.state(id);
                if s != state::WAITING && s != state::READY {
                    return Err(unexpected(
                        id,
                        state_bit(state::WAITING) | state_bit(state::READY),
                    ));
                }
                self.sstore(self.timestamp_slot(id), U256::ZERO);
                self.emit(I::Cancelled::SIGNATURE_HASH, &[b(id)], &[]);
                Ok(vec![])
            }
            I::updateDelayCall::SELECTOR => {
                let new_delay = a.word(0)?;
                let caller = self.vm().msg_sender();
                if caller != self.vm().contract_address() {
                    return Err(err::<I::TimelockUnauthorizedCaller>(&[word(caller)]));
                }
                self.set_min_delay(new_delay);
                Ok(vec![])
            }
            I::grantRoleCall::SELECTOR => {
                let (role, account) = (a.b256(0)?, a.address(1)?);
                self.only_role(DEFAULT_ADMIN_ROLE)?;
                self.grant(role, account);
                Ok(vec![])
            }
            I::revokeRoleCall::SELECTOR => {
                let (role, account) = (a.b256(0)?, a.address(1)?);
                self.only_role(DEFAULT_ADMIN_ROLE)?;
                self.revoke(role, account);
                Ok(vec![])
            }
            I::renounceRoleCall::SELECTOR => {
                let (role, confirmation) = (a.b256(0)?, a.address(1)?);
                if confirmation != self.vm().msg_sender() {
                    return Err(err::<I::AccessControlBadConfirmation>(&[]));
                }
                self.revoke(role, confirmation);
                Ok(vec![])
            }
            I::hasRoleCall::SELECTOR => {
                let (role, account) = (a.b256(0)?, a.address(1)?);
                Ok(ret(&[yes(self.has_role(role, account))]))
            }
            I::getRoleAdminCall::SELECTOR => {
                a.b256(0)?;
                Ok(ret(&[b(DEFAULT_ADMIN_ROLE)]))
            }
            I::getMinDelayCall::SELECTOR => Ok(ret(&[self.sload(U256::from(SLOT_MIN_DELAY))])),
            I::getTimestampCall::SELECTOR => Ok(ret(&[self.timestamp(a.b256(0)?)])),
            I::getOperationStateCall::SELECTOR => Ok(ret(&[u(self.state(a.b256(0)?))])),
            I::isOperationCall::SELECTOR => Ok(ret(&[yes(self.state(a.b256(0)?) != state::UNSET)])),
            I::isOperationPendingCall::SELECTOR => {
                let s = self.state(a.b256(0)?);
                Ok(ret(&[yes(s == state::WAITING || s == state::READY)]))
            }
            I::isOperationReadyCall::SELECTOR => {
                Ok(ret(&[yes(self.state(a.b256(0)?) == state::READY)]))
            }
            I::isOperationDoneCall::SELECTOR => {
                Ok(ret(&[yes(self.state(a.b256(0)?) == state::DONE)]))
            }
            I::hashOperationCall::SELECTOR => {
                let (target, value) = (a.address(0)?, a.word(1)?);
                let data = a.bytes(2)?;
                let (pred, salt) = (a.b256(3)?, a.b256(4)?);
                Ok(ret(&[b(
                    self.hash(&encode_call(target, value, data, pred, salt))
                )]))
            }
            I::hashOperationBatchCall::SELECTOR => {
                let batch = decode_batch(&a)?;
                let (pred, salt) = (a.b256(3)?, a.b256(4)?);
                Ok(ret(&[b(self.hash(&batch.encode(pred, salt)))]))
            }
            I::DEFAULT_ADMIN_ROLECall::SELECTOR => Ok(ret(&[b(DEFAULT_ADMIN_ROLE)])),
            I::PROPOSER_ROLECall::SELECTOR => Ok(ret(&[b(PROPOSER_ROLE)])),
            I::EXECUTOR_ROLECall::SELECTOR => Ok(ret(&[b(EXECUTOR_ROLE)])),
            I::CANCELLER_ROLECall::SELECTOR => Ok(ret(&[b(CANCELLER_ROLE)])),
            _ => Err(unknown_function(selector)),
        }
    }
}

impl Timelock {
    fn hash(&self, preimage: &[u8]) -> B256 {
        self.vm().native_keccak256(preimage)
    }

    fn timestamp_slot(&self, id: B256) -> U256 {
        self.slot(TAG_TIMESTAMP, b(id), U256::ZERO, U256::ZERO)
    }

    fn timestamp(&self, id: B256) -> U256 {
        self.sload(self.timestamp_slot(id))
    }

    /// The operation's state at the current block time.
    fn state(&self, id: B256) -> u8 {
        let t = self.timestamp(id);
        if t.is_zero() {
            state::UNSET
        } else if t == U256::from(DONE_TIMESTAMP) {
            state::DONE
        } else if t > U256::from(self.vm().block_timestamp()) {
            state::WAITING
        } else {
            state::READY
        }
    }

    fn role_slot(&self, role: B256, account: Address) -> U256 {
        self.slot(TAG_ROLE, b(role), word(account), U256::ZERO)
    }

    fn has_role(&self, role: B256, account: Address) -> bool {
        !self.sload(self.role_slot(role, account)).is_zero()
    }

    fn only_role(&self, role: B256) -> Result<()> {
        let caller = self.vm().msg_sender();
        if self.has_role(role, caller) {
            Ok(())
        } else {
            Err(err::<I::AccessControlUnauthorizedAccount>(&[
                word(caller),
                b(role),
            ]))
        }
    }

    /// `only_role`, unless the zero address holds the role (open to anyone).
    fn only_role_or_open(&self, role: B256) -> Result<()> {
        if self.has_role(role, Address::ZERO) {
            return Ok(());
        }
        self.only_role(role)
    }

    /// Grants `role` to `account` if it lacks it, with `RoleGranted`.
    fn grant(&self, role: B256, account: Address) {
        if self.has_role(role, account) {
            return;
        }
        self.sstore(self.role_slot(role, account), U256::from(1u8));
        self.emit(
            I::RoleGranted::SIGNATURE_HASH,
            &[b(role), word(account), word(self.vm().msg_sender())],
            &[],
        );
    }

    /// Revokes `role` from `account` if it holds it, with `RoleRevoked`.
    fn revoke(&self, role: B256, account: Address) {
        if !self.has_role(role, account) {
            return;
        }
        self.sstore(self.role_slot(role, account), U256::ZERO);
        self.emit(
            I::RoleRevoked::SIGNATURE_HASH,
            &[b(role), word(account), word(self.vm().msg_sender())],
            &[],
        );
    }

    fn set_min_delay(&self, new_delay: U256) {
        let slot = U256::from(SLOT_MIN_DELAY);
        let old = self.sload(slot);
        self.sstore(slot, new_delay);
        self.emit(
            I::MinDelayChange::SIGNATURE_HASH,
            &[],
            &[Arg::W(old), Arg::W(new_delay)],
        );
    }

    /// Records operation `id` as ready at `now + delay`: it must be unset and
    /// `delay` at least the minimum delay.
    fn schedule_id(&self, id: B256, delay: U256) -> Result<()> {
        if self.state(id) != state::UNSET {
            return Err(unexpected(id, state_bit(state::UNSET)));
        }
        let min_delay = self.sload(U256::from(SLOT_MIN_DELAY));
        if delay < min_delay {
            return Err(err::<I::TimelockInsufficientDelay>(&[delay, min_delay]));
        }
        let ready = U256::from(self.vm().block_timestamp())
            .checked_add(delay)
            .ok_or_else(|| err::<I::TimelockInvalidDelay>(&[delay]))?;
        self.sstore(self.timestamp_slot(id), ready);
        Ok(())
    }

    /// `CallScheduled(id, index, target, value, data, predecessor, delay)`.
    #[allow(clippy::too_many_arguments)]
    fn scheduled(
        &self,
        id: B256,
        index: usize,
        target: Address,
        value: U256,
        data: &[u8],
        pred: B256,
        delay: U256,
    ) {
        self.emit(
            I::CallScheduled::SIGNATURE_HASH,
            &[b(id), U256::from(index)],
            &[
                Arg::W(word(target)),
                Arg::W(value),
                Arg::B(data),
                Arg::W(b(pred)),
                Arg::W(delay),
            ],
        );
    }

    /// `CallSalt(id, salt)` for a non-zero salt.
    fn salted(&self, id: B256, salt: B256) {
        if !salt.is_zero() {
            self.emit(I::CallSalt::SIGNATURE_HASH, &[b(id)], &[Arg::W(b(salt))]);
        }
    }

    /// Checks that `id` is ready and its predecessor done, then marks it
    /// done — before any of its calls runs.
    fn before_call(&self, id: B256, pred: B256) -> Result<()> {
        if self.state(id) != state::READY {
            return Err(unexpected(id, state_bit(state::READY)));
        }
        if !pred.is_zero() && self.state(pred) != state::DONE {
            return Err(err::<I::TimelockUnexecutedPredecessor>(&[b(pred)]));
        }
        self.sstore(self.timestamp_slot(id), U256::from(DONE_TIMESTAMP));
        Ok(())
    }

    /// Runs call `index` of `id`, then emits `CallExecuted`; a failure
    /// reverts with `TimelockCallFailed` carrying the callee's revert data.
    fn run(
        &mut self,
        id: B256,
        index: usize,
        target: Address,
        value: U256,
        data: &[u8],
    ) -> Result<()> {
        // `call` writes the storage cache (the done mark) back first.
        if let Err(e) = call(self.vm(), Call::new().value(value), target, data) {
            let reason = match e {
                stylus_sdk::stylus_core::calls::errors::Error::Revert(data) => data,
                stylus_sdk::stylus_core::calls::errors::Error::AbiDecodingFailed(_) => vec![],
            };
            return Err(call_failed(id, index, &reason));
        }
        self.emit(
            I::CallExecuted::SIGNATURE_HASH,
            &[b(id), U256::from(index)],
            &[Arg::W(word(target)), Arg::W(value), Arg::B(data)],
        );
        Ok(())
    }
}
