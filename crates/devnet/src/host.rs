//! The `vm_hooks` host: every function a stylus-sdk 0.10 program may import,
//! implemented over revm's journal, with ink charged from Arbitrum's
//! published prices and EVM-equal gas for storage, logs, calls and account
//! access.

use std::collections::HashMap;

use revm::{
    context::{Block, Cfg, ContextTr, JournalTr, Transaction},
    handler::FrameResult,
    interpreter::CreateScheme,
    interpreter::{CallInput, CallInputs, CallScheme, CallValue, CreateInputs, FrameInput},
    primitives::{keccak256, Address, Bytes, Log, LogData, B256, U256},
};
use wasmi::{Caller, Extern, Global, Linker, Memory, Val};

use crate::{
    evm::{infallible, run_frame, Ctx},
    meter::{INK_EXPORT, STATUS_EXPORT},
    precompiles::StylusPrecompiles,
    pricing::{
        gas_to_ink, HOSTIO_INK, HOSTIO_WORD_INK, KECCAK_BASE_INK, KECCAK_WORD_INK,
        READ_ARGS_BYTE_INK, WRITE_RESULT_BYTE_INK,
    },
};

/// EVM gas constants the host charges (EIP-2929, EIP-2200, EIP-3529, EIP-150).
pub mod gas {
    /// Cold account access.
    pub const COLD_ACCOUNT: u64 = 2_600;
    /// Warm account or slot access.
    pub const WARM: u64 = 100;
    /// Cold storage slot surcharge.
    pub const COLD_SLOAD: u64 = 2_100;
    /// Writing a fresh (zero) slot.
    pub const SSTORE_SET: u64 = 20_000;
    /// Rewriting a clean non-zero slot (5,000 − cold surcharge).
    pub const SSTORE_RESET: u64 = 2_900;
    /// Refund for clearing a slot.
    pub const SSTORE_CLEARS: i64 = 4_800;
    /// SSTORE needs more than this left (EIP-2200).
    pub const SSTORE_SENTRY: u64 = 2_300;
    /// LOG base, per topic, per byte.
    pub const LOG: u64 = 375;
    /// Per topic.
    pub const LOG_TOPIC: u64 = 375;
    /// Per data byte.
    pub const LOG_BYTE: u64 = 8;
    /// Value transfer in a call.
    pub const CALL_VALUE: u64 = 9_000;
    /// Creating an account by value transfer.
    pub const NEW_ACCOUNT: u64 = 25_000;
    /// Stipend given with value.
    pub const CALL_STIPEND: u64 = 2_300;
    /// CREATE / CREATE2 base.
    pub const CREATE: u64 = 32_000;
    /// Per init-code word (EIP-3860).
    pub const INITCODE_WORD: u64 = 2;
    /// Per word hashed by CREATE2.
    pub const KECCAK_WORD: u64 = 6;
}

/// Why the host stopped a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostStop {
    /// Ink ran out.
    OutOfInk,
    /// A write under a static call.
    WriteProtection,
    /// Bad pointers or arguments.
    Fault(String),
}

impl std::fmt::Display for HostStop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::OutOfInk => write!(f, "out of ink"),
            Self::WriteProtection => write!(f, "state change during static call"),
            Self::Fault(m) => write!(f, "host fault: {m}"),
        }
    }
}

impl wasmi::errors::HostError for HostStop {}

/// A storage slot as the program's cache sees it.
#[derive(Debug, Clone, Copy)]
struct CachedSlot {
    value: B256,
    dirty: bool,
}

/// Everything a running program can reach.
pub struct HostState {
    /// The chain, lent to the program for the duration of the call.
    pub ctx: Ctx,
    /// Provider for nested frames.
    pub precompiles: StylusPrecompiles,
    /// The program's address (storage and logs belong to it).
    pub address: Address,
    /// `msg.sender`.
    pub sender: Address,
    /// `msg.value`.
    pub value: U256,
    /// Whether writes are forbidden.
    pub is_static: bool,
    /// Whether this program is already running lower in the call stack.
    pub reentrant: bool,
    /// Calldata.
    pub args: Vec<u8>,
    /// What the program returned.
    pub result: Vec<u8>,
    /// Return data of the last call or create.
    pub return_data: Vec<u8>,
    /// Storage cache (Stylus semantics: flushed before calls and at the end).
    cache: HashMap<B256, CachedSlot>,
    /// Gas refund accumulated by SSTOREs.
    pub refund: i64,
    /// Memory pages paid for so far in this call.
    pub pages: u16,
    /// The program's ink global (set after instantiation).
    ink: Option<Global>,
    /// The program's out-of-ink status global.
    status: Option<Global>,
}

impl HostState {
    /// A host for one program invocation.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ctx: Ctx,
        precompiles: StylusPrecompiles,
        address: Address,
        sender: Address,
        value: U256,
        is_static: bool,
        reentrant: bool,
        args: Vec<u8>,
    ) -> Self {
        Self {
            ctx,
            precompiles,
            address,
            sender,
            value,
            is_static,
            reentrant,
            args,
            result: Vec::new(),
            return_data: Vec::new(),
            cache: HashMap::new(),
            refund: 0,
            pages: 0,
            ink: None,
            status: None,
        }
    }

    /// Records the metering globals of the instance.
    pub fn attach(&mut self, ink: Global, status: Global) {
        self.ink = Some(ink);
        self.status = Some(status);
    }
}

type Ctl<'a> = Caller<'a, HostState>;
type R<T> = Result<T, wasmi::Error>;

fn fault(msg: &str) -> wasmi::Error {
    wasmi::Error::host(HostStop::Fault(msg.to_string()))
}

fn memory(caller: &Ctl<'_>) -> R<Memory> {
    caller
        .get_export("memory")
        .and_then(Extern::into_memory)
        .ok_or_else(|| fault("program exports no memory"))
}

fn read(caller: &Ctl<'_>, ptr: u32, len: u32) -> R<Vec<u8>> {
    let mem = memory(caller)?;
    // Bounds first: a length of 0xFFFFFFFF must not allocate 4 GiB before
    // the read fails (what is allocated is at most the program's memory).
    let end = (ptr as usize).checked_add(len as usize);
    if end.is_none_or(|end| end > mem.data_size(caller)) {
        return Err(fault("read out of bounds"));
    }
    let mut buf = vec![0u8; len as usize];
    mem.read(caller, ptr as usize, &mut buf)
        .map_err(|_| fault("read out of bounds"))?;
    Ok(buf)
}

/// Most slots the per-call storage cache holds; one more is made room for
/// by flushing (each dirty slot then pays its SSTORE gas) and clearing.
pub const MAX_CACHED_SLOTS: usize = 4_096;

/// Makes room in the storage cache for `key` when it is full.
fn cache_room(caller: &mut Ctl<'_>, key: &B256) -> R<()> {
    let cache = &caller.data().cache;
    if cache.len() >= MAX_CACHED_SLOTS && !cache.contains_key(key) {
        flush(caller, true)?;
    }
    Ok(())
}

fn read_word(caller: &Ctl<'_>, ptr: u32) -> R<B256> {
    Ok(B256::from_slice(&read(caller, ptr, 32)?))
}

fn read_address(caller: &Ctl<'_>, ptr: u32) -> R<Address> {
    Ok(Address::from_slice(&read(caller, ptr, 20)?))
}

fn write(caller: &mut Ctl<'_>, ptr: u32, data: &[u8]) -> R<()> {
    let mem = memory(caller)?;
    mem.write(caller, ptr as usize, data)
        .map_err(|_| fault("write out of bounds"))
}

/// Ink left in the program.
pub fn ink_left(caller: &Ctl<'_>) -> u64 {
    match caller.data().ink.map(|g| g.get(caller)) {
        Some(Val::I64(v)) => u64::try_from(v).unwrap_or(0),
        _ => 0,
    }
}

fn set_ink(caller: &mut Ctl<'_>, ink: u64) -> R<()> {
    if let Some(g) = caller.data().ink {
        g.set(
            &mut *caller,
            Val::I64(i64::try_from(ink).unwrap_or(i64::MAX)),
        )
        .map_err(|e| fault(&e.to_string()))?;
    }
    Ok(())
}

/// Charges `ink`, stopping the program when it cannot pay.
fn charge(caller: &mut Ctl<'_>, ink: u64) -> R<()> {
    let left = ink_left(caller);
    if left < ink {
        set_ink(caller, 0)?;
        if let Some(s) = caller.data().status {
            let _ = s.set(&mut *caller, Val::I32(1));
        }
        return Err(wasmi::Error::host(HostStop::OutOfInk));
    }
    set_ink(caller, left - ink)
}

/// Charges EVM `gas` plus the host entry.
fn charge_gas(caller: &mut Ctl<'_>, gas: u64) -> R<()> {
    charge(caller, HOSTIO_INK.saturating_add(gas_to_ink(gas)))
}

fn words(len: usize) -> u64 {
    u64::try_from(len.div_ceil(32)).unwrap_or(u64::MAX)
}

fn bytes_after_32(len: usize) -> u64 {
    u64::try_from(len.saturating_sub(32)).unwrap_or(u64::MAX)
}

fn forbid_in_static(caller: &Ctl<'_>) -> R<()> {
    if caller.data().is_static {
        return Err(wasmi::Error::host(HostStop::WriteProtection));
    }
    Ok(())
}

/// Access cost of an account, warming it.
fn account_access(caller: &mut Ctl<'_>, address: Address) -> u64 {
    let cold = infallible(caller.data_mut().ctx.journal_mut().load_account(address)).is_cold;
    if cold {
        gas::COLD_ACCOUNT
    } else {
        gas::WARM
    }
}

/// Writes every dirty cached slot, charging EVM SSTORE gas from `ink`;
/// `clear` empties the cache afterwards.
fn flush_state(state: &mut HostState, ink: &mut u64, clear: bool) -> Result<(), HostStop> {
    let mut dirty: Vec<(B256, B256)> = state
        .cache
        .iter()
        .filter(|(_, s)| s.dirty)
        .map(|(k, s)| (*k, s.value))
        .collect();
    dirty.sort_unstable();
    if !dirty.is_empty() && state.is_static {
        return Err(HostStop::WriteProtection);
    }
    for (key, value) in dirty {
        if *ink <= gas_to_ink(gas::SSTORE_SENTRY) {
            *ink = 0;
            return Err(HostStop::OutOfInk);
        }
        let result = infallible(state.ctx.journal_mut().sstore(
            state.address,
            key.into(),
            value.into(),
        ));
        let (original, present, new) = (
            result.data.original_value,
            result.data.present_value,
            result.data.new_value,
        );
        let (cost, refund) = sstore_cost(original, present, new, result.is_cold);
        state.refund += refund;
        let cost = gas_to_ink(cost);
        if *ink < cost {
            *ink = 0;
            return Err(HostStop::OutOfInk);
        }
        *ink -= cost;
        if let Some(slot) = state.cache.get_mut(&key) {
            slot.dirty = false;
        }
    }
    if clear {
        state.cache.clear();
    }
    Ok(())
}

/// EIP-2929 + EIP-2200 + EIP-3529 SSTORE gas and refund.
#[allow(clippy::cast_possible_wrap)]
pub fn sstore_cost(original: U256, present: U256, new: U256, is_cold: bool) -> (u64, i64) {
    let mut cost = if is_cold { gas::COLD_SLOAD } else { 0 };
    cost += if new != present && original == present {
        if original.is_zero() {
            gas::SSTORE_SET
        } else {
            gas::SSTORE_RESET
        }
    } else {
        gas::WARM
    };
    let mut refund = 0i64;
    if new != present {
        if original == present {
            if !original.is_zero() && new.is_zero() {
                refund += gas::SSTORE_CLEARS;
            }
        } else {
            if !original.is_zero() {
                if present.is_zero() {
                    refund -= gas::SSTORE_CLEARS;
                } else if new.is_zero() {
                    refund += gas::SSTORE_CLEARS;
                }
            }
            if original == new {
                refund += if original.is_zero() {
                    (gas::SSTORE_SET - gas::WARM) as i64
                } else {
                    (gas::SSTORE_RESET - gas::WARM) as i64
                };
            }
        }
    }
    (cost, refund)
}

/// [`flush_state`] from inside a host call.
fn flush(caller: &mut Ctl<'_>, clear: bool) -> R<()> {
    let mut ink = ink_left(caller);
    let result = flush_state(caller.data_mut(), &mut ink, clear);
    set_ink(caller, ink)?;
    result.map_err(wasmi::Error::host)
}

/// The outcome of a nested frame, as the program sees it.
struct Nested {
    ok: bool,
    output: Bytes,
    gas_left: u64,
    refund: i64,
    created: Option<Address>,
}

fn nested(caller: &mut Ctl<'_>, input: FrameInput) -> R<Nested> {
    let precompiles = caller.data().precompiles.clone();
    let result = run_frame(&mut caller.data_mut().ctx, &precompiles, input)
        .map_err(|e| fault(&format!("{e:?}")))?;
    Ok(match result {
        FrameResult::Call(out) => Nested {
            ok: out.result.result.is_ok(),
            output: out.result.output.clone(),
            gas_left: out.result.gas.remaining(),
            refund: out.result.gas.refunded(),
            created: None,
        },
        FrameResult::Create(out) => Nested {
            ok: out.result.result.is_ok(),
            output: out.result.output.clone(),
            gas_left: out.result.gas.remaining(),
            refund: out.result.gas.refunded(),
            created: out.address,
        },
    })
}

/// call_contract / delegate_call_contract / static_call_contract.
#[allow(clippy::too_many_arguments)]
fn do_call(
    caller: &mut Ctl<'_>,
    scheme: CallScheme,
    contract: u32,
    data: u32,
    data_len: u32,
    value_ptr: Option<u32>,
    gas_limit: u64,
    return_len_ptr: u32,
) -> R<u32> {
    charge(caller, HOSTIO_INK)?;
    let to = read_address(caller, contract)?;
    let input = read(caller, data, data_len)?;
    let value = match value_ptr {
        Some(p) => U256::from_be_bytes(read_word(caller, p)?.0),
        None => U256::ZERO,
    };
    if !value.is_zero() {
        forbid_in_static(caller)?;
    }
    // Stylus semantics: storage is flushed (and forgotten) before calling out.
    flush(caller, true)?;

    let mut cost = account_access(caller, to);
    if !value.is_zero() {
        cost += gas::CALL_VALUE;
        let empty = infallible(caller.data_mut().ctx.journal_mut().load_account(to))
            .data
            .is_empty();
        if empty {
            cost += gas::NEW_ACCOUNT;
        }
    }
    charge(caller, gas_to_ink(cost))?;
    // EIP-150: at most 63/64 of what is left.
    let available = ink_left(caller) / crate::pricing::INK_PER_GAS;
    let mut gas = gas_limit.min(available - available / 64);
    charge(caller, gas_to_ink(gas))?;
    if !value.is_zero() {
        gas += gas::CALL_STIPEND;
    }

    let me = caller.data().address;
    let (bytecode_hash, bytecode) = {
        let acc = infallible(
            caller
                .data_mut()
                .ctx
                .journal_mut()
                .load_account_with_code(to),
        );
        (
            acc.info.code_hash,
            acc.info.code.clone().unwrap_or_default(),
        )
    };
    let is_static = caller.data().is_static || scheme == CallScheme::StaticCall;
    let (target, call_caller, call_value) = match scheme {
        CallScheme::DelegateCall => (
            me,
            caller.data().sender,
            CallValue::Apparent(caller.data().value),
        ),
        _ => (to, me, CallValue::Transfer(value)),
    };
    let inputs = CallInputs {
        input: CallInput::Bytes(input.into()),
        return_memory_offset: 0..0,
        gas_limit: gas,
        reservoir: 0,
        bytecode_address: to,
        known_bytecode: (bytecode_hash, bytecode),
        target_address: target,
        caller: call_caller,
        value: call_value,
        scheme,
        is_static,
        charged_new_account_state_gas: false,
    };
    let out = nested(caller, FrameInput::Call(Box::new(inputs)))?;
    let left = ink_left(caller);
    set_ink(caller, left.saturating_add(gas_to_ink(out.gas_left)))?;
    if out.ok {
        caller.data_mut().refund += out.refund;
    }
    let len = u32::try_from(out.output.len()).unwrap_or(u32::MAX);
    caller.data_mut().return_data = out.output.to_vec();
    write(caller, return_len_ptr, &len.to_le_bytes())?;
    Ok(u32::from(!out.ok))
}

/// create1 / create2.
#[allow(clippy::too_many_arguments)]
fn do_create(
    caller: &mut Ctl<'_>,
    code: u32,
    code_len: u32,
    endowment: u32,
    salt: Option<u32>,
    contract_ptr: u32,
    revert_len_ptr: u32,
) -> R<()> {
    charge(caller, HOSTIO_INK)?;
    forbid_in_static(caller)?;
    let init = read(caller, code, code_len)?;
    let value = U256::from_be_bytes(read_word(caller, endowment)?.0);
    let salt = match salt {
        Some(p) => Some(U256::from_be_bytes(read_word(caller, p)?.0)),
        None => None,
    };
    flush(caller, true)?;
    let mut cost = gas::CREATE + gas::INITCODE_WORD * words(init.len());
    if salt.is_some() {
        cost += gas::KECCAK_WORD * words(init.len());
    }
    charge(caller, gas_to_ink(cost))?;
    let available = ink_left(caller) / crate::pricing::INK_PER_GAS;
    let gas = available - available / 64;
    charge(caller, gas_to_ink(gas))?;
    let me = caller.data().address;
    let inputs = CreateInputs::new(
        me,
        salt.map_or(CreateScheme::Create, |salt| CreateScheme::Create2 { salt }),
        value,
        init.into(),
        gas,
        0,
    );
    let out = nested(caller, FrameInput::Create(Box::new(inputs)))?;
    let left = ink_left(caller);
    set_ink(caller, left.saturating_add(gas_to_ink(out.gas_left)))?;
    let address = if out.ok {
        out.created.unwrap_or_default()
    } else {
        Address::ZERO
    };
    if out.ok {
        caller.data_mut().refund += out.refund;
    }
    let revert = if out.ok {
        Vec::new()
    } else {
        out.output.to_vec()
    };
    let len = u32::try_from(revert.len()).unwrap_or(u32::MAX);
    caller.data_mut().return_data = revert;
    write(caller, contract_ptr, address.as_slice())?;
    write(caller, revert_len_ptr, &len.to_le_bytes())
}

fn u256_word(caller: &Ctl<'_>, ptr: u32) -> R<U256> {
    Ok(U256::from_be_bytes(read_word(caller, ptr)?.0))
}

fn put_u256(caller: &mut Ctl<'_>, ptr: u32, value: U256) -> R<()> {
    write(caller, ptr, &value.to_be_bytes::<32>())
}

/// `value = op(value, operand)` on two 32-byte words in memory, charging
/// `hostios` host entries.
fn math2(
    c: &mut Ctl<'_>,
    value: u32,
    operand: u32,
    hostios: u64,
    op: impl Fn(U256, U256) -> U256,
) -> R<()> {
    charge(c, HOSTIO_INK * hostios)?;
    let (a, b) = (u256_word(c, value)?, u256_word(c, operand)?);
    put_u256(c, value, op(a, b))
}

/// `value = op(value, operand, modulus)`, zero for a zero modulus.
fn math3(
    c: &mut Ctl<'_>,
    value: u32,
    operand: u32,
    modulus: u32,
    op: impl Fn(U256, U256, U256) -> U256,
) -> R<()> {
    charge(c, HOSTIO_INK * 3)?;
    let (a, b, n) = (
        u256_word(c, value)?,
        u256_word(c, operand)?,
        u256_word(c, modulus)?,
    );
    put_u256(c, value, if n.is_zero() { U256::ZERO } else { op(a, b, n) })
}

/// Builds the linker with every `vm_hooks` import.
#[allow(clippy::too_many_lines, clippy::many_single_char_names)]
pub fn linker(engine: &wasmi::Engine) -> Linker<HostState> {
    let mut l = Linker::<HostState>::new(engine);
    let m = "vm_hooks";
    macro_rules! def {
        ($name:literal, $f:expr) => {
            l.func_wrap(m, $name, $f).expect(concat!("define ", $name));
        };
    }

    def!("read_args", |mut c: Ctl<'_>, dest: u32| -> R<()> {
        let len = c.data().args.len();
        charge(
            &mut c,
            HOSTIO_INK + READ_ARGS_BYTE_INK * bytes_after_32(len),
        )?;
        let args = std::mem::take(&mut c.data_mut().args);
        let r = write(&mut c, dest, &args);
        c.data_mut().args = args;
        r
    });
    def!("write_result", |mut c: Ctl<'_>,
                          data: u32,
                          len: u32|
     -> R<()> {
        charge(
            &mut c,
            HOSTIO_INK + WRITE_RESULT_BYTE_INK * bytes_after_32(len as usize),
        )?;
        let result = read(&c, data, len)?;
        c.data_mut().result = result;
        Ok(())
    });
    def!("exit_early", |mut c: Ctl<'_>, status: u32| -> R<()> {
        charge(&mut c, HOSTIO_INK)?;
        Err(wasmi::Error::i32_exit(i32::from(status != 0)))
    });
    def!("storage_load_bytes32", |mut c: Ctl<'_>,
                                  key: u32,
                                  dest: u32|
     -> R<()> {
        let key = read_word(&c, key)?;
        let cached = c.data().cache.get(&key).map(|s| s.value);
        let value = if let Some(v) = cached {
            charge(&mut c, HOSTIO_INK)?;
            v
        } else {
            cache_room(&mut c, &key)?;
            let address = c.data().address;
            let load = infallible(c.data_mut().ctx.journal_mut().sload(address, key.into()));
            let cost = if load.is_cold {
                gas::COLD_SLOAD
            } else {
                gas::WARM
            };
            charge_gas(&mut c, cost)?;
            let v = B256::from(load.data);
            c.data_mut().cache.insert(
                key,
                CachedSlot {
                    value: v,
                    dirty: false,
                },
            );
            v
        };
        write(&mut c, dest, value.as_slice())
    });
    def!("storage_cache_bytes32", |mut c: Ctl<'_>,
                                   key: u32,
                                   value: u32|
     -> R<()> {
        charge(&mut c, HOSTIO_INK)?;
        forbid_in_static(&c)?;
        let (key, value) = (read_word(&c, key)?, read_word(&c, value)?);
        cache_room(&mut c, &key)?;
        c.data_mut()
            .cache
            .insert(key, CachedSlot { value, dirty: true });
        Ok(())
    });
    def!("storage_flush_cache", |mut c: Ctl<'_>,
                                 clear: u32|
     -> R<()> {
        charge(&mut c, HOSTIO_INK)?;
        flush(&mut c, clear != 0)
    });
    def!("transient_load_bytes32", |mut c: Ctl<'_>,
                                    key: u32,
                                    dest: u32|
     -> R<()> {
        charge_gas(&mut c, gas::WARM)?;
        let key = read_word(&c, key)?;
        let address = c.data().address;
        let v = c.data_mut().ctx.journal_mut().tload(address, key.into());
        put_u256(&mut c, dest, v)
    });
    def!("transient_store_bytes32", |mut c: Ctl<'_>,
                                     key: u32,
                                     value: u32|
     -> R<()> {
        charge_gas(&mut c, gas::WARM)?;
        forbid_in_static(&c)?;
        let (key, value) = (read_word(&c, key)?, u256_word(&c, value)?);
        let address = c.data().address;
        c.data_mut()
            .ctx
            .journal_mut()
            .tstore(address, key.into(), value);
        Ok(())
    });
    def!("msg_sender", |mut c: Ctl<'_>, dest: u32| -> R<()> {
        charge(&mut c, HOSTIO_WORD_INK)?;
        let v = c.data().sender;
        write(&mut c, dest, v.as_slice())
    });
    def!("msg_value", |mut c: Ctl<'_>, dest: u32| -> R<()> {
        charge(&mut c, HOSTIO_WORD_INK)?;
        let v = c.data().value;
        put_u256(&mut c, dest, v)
    });
    def!("msg_reentrant", |mut c: Ctl<'_>| -> R<u32> {
        charge(&mut c, HOSTIO_INK)?;
        Ok(u32::from(c.data().reentrant))
    });
    def!("tx_origin", |mut c: Ctl<'_>, dest: u32| -> R<()> {
        charge(&mut c, HOSTIO_WORD_INK)?;
        let v = c.data().ctx.tx().caller();
        write(&mut c, dest, v.as_slice())
    });
    def!("tx_gas_price", |mut c: Ctl<'_>, dest: u32| -> R<()> {
        charge(&mut c, HOSTIO_WORD_INK)?;
        let basefee = c.data().ctx.block().basefee();
        let v = c.data().ctx.tx().effective_gas_price(u128::from(basefee));
        put_u256(&mut c, dest, U256::from(v))
    });
    def!("tx_ink_price", |mut c: Ctl<'_>| -> R<u32> {
        charge(&mut c, HOSTIO_INK)?;
        Ok(u32::try_from(crate::pricing::INK_PER_GAS).unwrap_or(u32::MAX))
    });
    def!("contract_address", |mut c: Ctl<'_>, dest: u32| -> R<()> {
        charge(&mut c, HOSTIO_WORD_INK)?;
        let v = c.data().address;
        write(&mut c, dest, v.as_slice())
    });
    def!("block_timestamp", |mut c: Ctl<'_>| -> R<u64> {
        charge(&mut c, HOSTIO_INK)?;
        Ok(c.data().ctx.block().timestamp().saturating_to())
    });
    def!("block_number", |mut c: Ctl<'_>| -> R<u64> {
        charge(&mut c, HOSTIO_INK)?;
        Ok(c.data().ctx.block().number().saturating_to())
    });
    def!("block_gas_limit", |mut c: Ctl<'_>| -> R<u64> {
        charge(&mut c, HOSTIO_INK)?;
        Ok(c.data().ctx.block().gas_limit())
    });
    def!("block_basefee", |mut c: Ctl<'_>, dest: u32| -> R<()> {
        charge(&mut c, HOSTIO_WORD_INK)?;
        let v = U256::from(c.data().ctx.block().basefee());
        put_u256(&mut c, dest, v)
    });
    def!("block_coinbase", |mut c: Ctl<'_>, dest: u32| -> R<()> {
        charge(&mut c, HOSTIO_WORD_INK)?;
        let v = c.data().ctx.block().beneficiary();
        write(&mut c, dest, v.as_slice())
    });
    def!("chainid", |mut c: Ctl<'_>| -> R<u64> {
        charge(&mut c, HOSTIO_INK)?;
        Ok(c.data().ctx.cfg().chain_id())
    });
    def!("evm_gas_left", |mut c: Ctl<'_>| -> R<u64> {
        charge(&mut c, HOSTIO_INK)?;
        Ok(ink_left(&c) / crate::pricing::INK_PER_GAS)
    });
    def!("evm_ink_left", |mut c: Ctl<'_>| -> R<u64> {
        charge(&mut c, HOSTIO_INK)?;
        Ok(ink_left(&c))
    });
    def!("native_keccak256", |mut c: Ctl<'_>,
                              data: u32,
                              len: u32,
                              out: u32|
     -> R<()> {
        charge(
            &mut c,
            KECCAK_BASE_INK + KECCAK_WORD_INK * words(len as usize),
        )?;
        let h = keccak256(read(&c, data, len)?);
        write(&mut c, out, h.as_slice())
    });
    def!("account_balance", |mut c: Ctl<'_>,
                             address: u32,
                             dest: u32|
     -> R<()> {
        let a = read_address(&c, address)?;
        let cost = account_access(&mut c, a);
        charge_gas(&mut c, cost)?;
        let v = infallible(c.data_mut().ctx.journal_mut().load_account(a))
            .data
            .info
            .balance;
        put_u256(&mut c, dest, v)
    });
    def!("account_codehash", |mut c: Ctl<'_>,
                              address: u32,
                              dest: u32|
     -> R<()> {
        let a = read_address(&c, address)?;
        let cost = account_access(&mut c, a);
        charge_gas(&mut c, cost)?;
        let v = infallible(c.data_mut().ctx.journal_mut().code_hash(a)).data;
        write(&mut c, dest, v.as_slice())
    });
    def!("account_code_size", |mut c: Ctl<'_>,
                               address: u32|
     -> R<u32> {
        let a = read_address(&c, address)?;
        let cost = account_access(&mut c, a);
        charge_gas(&mut c, cost)?;
        let code = infallible(c.data_mut().ctx.journal_mut().code(a)).data;
        Ok(u32::try_from(code.len()).unwrap_or(u32::MAX))
    });
    def!("account_code", |mut c: Ctl<'_>,
                          address: u32,
                          offset: u32,
                          size: u32,
                          dest: u32|
     -> R<u32> {
        let a = read_address(&c, address)?;
        let cost = account_access(&mut c, a) + 3 * words(size as usize);
        charge_gas(&mut c, cost)?;
        let code = infallible(c.data_mut().ctx.journal_mut().code(a)).data;
        let start = (offset as usize).min(code.len());
        let end = start.saturating_add(size as usize).min(code.len());
        write(&mut c, dest, &code[start..end])?;
        Ok(u32::try_from(end - start).unwrap_or(u32::MAX))
    });
    def!("emit_log", |mut c: Ctl<'_>,
                      data: u32,
                      len: u32,
                      topics: u32|
     -> R<()> {
        forbid_in_static(&c)?;
        if topics > 4 || len < topics * 32 {
            return Err(fault("bad log"));
        }
        let bytes = read(&c, data, len)?;
        let body = bytes.len() - topics as usize * 32;
        charge_gas(
            &mut c,
            gas::LOG + gas::LOG_TOPIC * u64::from(topics) + gas::LOG_BYTE * body as u64,
        )?;
        let topic_list: Vec<B256> = bytes[..topics as usize * 32]
            .chunks(32)
            .map(B256::from_slice)
            .collect();
        let address = c.data().address;
        let log = Log {
            address,
            data: LogData::new_unchecked(
                topic_list,
                Bytes::copy_from_slice(&bytes[topics as usize * 32..]),
            ),
        };
        c.data_mut().ctx.journal_mut().log(log);
        Ok(())
    });
    def!("return_data_size", |mut c: Ctl<'_>| -> R<u32> {
        charge(&mut c, HOSTIO_INK)?;
        Ok(u32::try_from(c.data().return_data.len()).unwrap_or(u32::MAX))
    });
    def!("read_return_data", |mut c: Ctl<'_>,
                              dest: u32,
                              offset: u32,
                              size: u32|
     -> R<u32> {
        charge(
            &mut c,
            HOSTIO_INK + 3 * gas_to_ink(words(size as usize)) / 3,
        )?;
        let data = std::mem::take(&mut c.data_mut().return_data);
        let start = (offset as usize).min(data.len());
        let end = start.saturating_add(size as usize).min(data.len());
        let r = write(&mut c, dest, &data[start..end]);
        c.data_mut().return_data = data;
        r?;
        Ok(u32::try_from(end - start).unwrap_or(u32::MAX))
    });
    def!("call_contract", |mut c: Ctl<'_>,
                           to: u32,
                           data: u32,
                           len: u32,
                           value: u32,
                           gas: u64,
                           ret: u32|
     -> R<u32> {
        do_call(
            &mut c,
            CallScheme::Call,
            to,
            data,
            len,
            Some(value),
            gas,
            ret,
        )
    });
    def!("delegate_call_contract", |mut c: Ctl<'_>,
                                    to: u32,
                                    data: u32,
                                    len: u32,
                                    gas: u64,
                                    ret: u32|
     -> R<u32> {
        do_call(
            &mut c,
            CallScheme::DelegateCall,
            to,
            data,
            len,
            None,
            gas,
            ret,
        )
    });
    def!("static_call_contract", |mut c: Ctl<'_>,
                                  to: u32,
                                  data: u32,
                                  len: u32,
                                  gas: u64,
                                  ret: u32|
     -> R<u32> {
        do_call(
            &mut c,
            CallScheme::StaticCall,
            to,
            data,
            len,
            None,
            gas,
            ret,
        )
    });
    def!("create1", |mut c: Ctl<'_>,
                     code: u32,
                     len: u32,
                     endowment: u32,
                     contract: u32,
                     revert_len: u32|
     -> R<()> {
        do_create(&mut c, code, len, endowment, None, contract, revert_len)
    });
    def!("create2", |mut c: Ctl<'_>,
                     code: u32,
                     len: u32,
                     endowment: u32,
                     salt: u32,
                     contract: u32,
                     revert_len: u32|
     -> R<()> {
        do_create(
            &mut c,
            code,
            len,
            endowment,
            Some(salt),
            contract,
            revert_len,
        )
    });
    def!("pay_for_memory_grow", |mut c: Ctl<'_>,
                                 pages: u32|
     -> R<()> {
        let pages = u16::try_from(pages).unwrap_or(u16::MAX);
        let before = c.data().pages;
        let after = before.saturating_add(pages);
        if after > crate::program::PAGE_LIMIT {
            return Err(fault("memory past the page limit"));
        }
        let free = crate::program::FREE_PAGES;
        let paid = after
            .saturating_sub(free)
            .saturating_sub(before.saturating_sub(free));
        c.data_mut().pages = after;
        charge(
            &mut c,
            HOSTIO_INK + gas_to_ink(crate::program::PAGE_GAS * u64::from(paid)),
        )
    });
    def!("math_div", |mut c: Ctl<'_>,
                      value: u32,
                      divisor: u32|
     -> R<()> {
        math2(&mut c, value, divisor, 3, |a, b| {
            a.checked_div(b).unwrap_or_default()
        })
    });
    def!("math_mod", |mut c: Ctl<'_>,
                      value: u32,
                      modulus: u32|
     -> R<()> {
        math2(&mut c, value, modulus, 3, |a, b| {
            a.checked_rem(b).unwrap_or_default()
        })
    });
    def!("math_pow", |mut c: Ctl<'_>,
                      value: u32,
                      exponent: u32|
     -> R<()> {
        math2(&mut c, value, exponent, 4, U256::wrapping_pow)
    });
    def!("math_add_mod", |mut c: Ctl<'_>,
                          value: u32,
                          addend: u32,
                          modulus: u32|
     -> R<()> {
        math3(&mut c, value, addend, modulus, U256::add_mod)
    });
    def!("math_mul_mod", |mut c: Ctl<'_>,
                          value: u32,
                          multiplier: u32,
                          modulus: u32|
     -> R<()> {
        math3(&mut c, value, multiplier, modulus, U256::mul_mod)
    });
    l
}

/// How a program invocation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Returned normally (status 0).
    Success(Vec<u8>),
    /// Returned status 1: a revert with data.
    Revert(Vec<u8>),
    /// Ran out of ink.
    OutOfInk,
    /// Trapped, faulted or wrote under a static call.
    Failure(String),
}

/// Runs `entry(len)` in slices of [`crate::budget::FUEL_SLICE`] fuel,
/// looking at the execution's wall-clock budget between slices; past it
/// the program stops with a fault.
fn call_within_budget(
    store: &mut wasmi::Store<HostState>,
    entry: wasmi::TypedFunc<u32, u32>,
    len: u32,
) -> Result<u32, wasmi::Error> {
    use wasmi::TypedResumableCall as Call;
    let budget_spent = || wasmi::Error::host(HostStop::Fault("time budget spent".into()));
    store.set_fuel(crate::budget::FUEL_SLICE)?;
    let mut call = entry.call_resumable(&mut *store, len)?;
    loop {
        call = match call {
            Call::Finished(status) => return Ok(status),
            Call::HostTrap(trap) => {
                // Resumable calls hand host errors back by reference: rebuild
                // the same error (a host stop, or exit_early's status).
                let e = trap.host_error();
                return Err(match (e.downcast_ref::<HostStop>(), e.i32_exit_status()) {
                    (Some(stop), _) => wasmi::Error::host(stop.clone()),
                    (None, Some(status)) => wasmi::Error::i32_exit(status),
                    (None, None) => fault(&e.to_string()),
                });
            }
            Call::OutOfFuel(paused) => {
                if crate::budget::check() {
                    return Err(budget_spent());
                }
                store.set_fuel(crate::budget::FUEL_SLICE)?;
                paused.resume(&mut *store)?
            }
        };
    }
}

/// Instantiates `module` and runs `user_entrypoint` with `ink`; returns the
/// outcome, the ink left, and the host state (with the context to hand back).
pub fn execute(
    engine: &wasmi::Engine,
    linker: &Linker<HostState>,
    module: &wasmi::Module,
    state: HostState,
    ink: u64,
) -> (Outcome, u64, HostState) {
    let mut store = wasmi::Store::new(engine, state);
    let instance = match linker.instantiate_and_start(&mut store, module) {
        Ok(i) => i,
        Err(e) => {
            return (
                Outcome::Failure(format!("instantiation: {e}")),
                0,
                store.into_data(),
            )
        }
    };
    let (Some(ink_g), Some(status_g)) = (
        instance.get_global(&store, INK_EXPORT),
        instance.get_global(&store, STATUS_EXPORT),
    ) else {
        return (
            Outcome::Failure("program is not metered".into()),
            0,
            store.into_data(),
        );
    };
    store.data_mut().attach(ink_g, status_g);
    if ink_g
        .set(&mut store, Val::I64(i64::try_from(ink).unwrap_or(i64::MAX)))
        .is_err()
    {
        return (
            Outcome::Failure("cannot set ink".into()),
            0,
            store.into_data(),
        );
    }
    let Ok(entry) = instance.get_typed_func::<u32, u32>(&store, "user_entrypoint") else {
        return (
            Outcome::Failure("no user_entrypoint(i32) -> i32".into()),
            0,
            store.into_data(),
        );
    };
    let len = u32::try_from(store.data().args.len()).unwrap_or(u32::MAX);
    let result = call_within_budget(&mut store, entry, len);
    let ink_of = |store: &wasmi::Store<HostState>| match ink_g.get(store) {
        Val::I64(v) => u64::try_from(v).unwrap_or(0),
        _ => 0,
    };
    let out_of_ink = matches!(status_g.get(&store), Val::I32(1));
    let status = match result {
        Ok(status) => Ok(status),
        Err(e) => match e.i32_exit_status() {
            Some(s) => Ok(u32::try_from(s).unwrap_or(1)),
            None => Err(e),
        },
    };
    let outcome = match status {
        _ if out_of_ink => Outcome::OutOfInk,
        Ok(0) => Outcome::Success(std::mem::take(&mut store.data_mut().result)),
        Ok(_) => Outcome::Revert(std::mem::take(&mut store.data_mut().result)),
        Err(e) => match e.downcast_ref::<HostStop>() {
            Some(HostStop::OutOfInk) => Outcome::OutOfInk,
            Some(other) => Outcome::Failure(other.to_string()),
            None => Outcome::Failure(e.to_string()),
        },
    };
    let mut left = ink_of(&store);
    let outcome = match outcome {
        // Stylus semantics: whatever is still cached is written at the end.
        Outcome::Success(data) => match flush_state(store.data_mut(), &mut left, false) {
            Ok(()) => Outcome::Success(data),
            Err(HostStop::OutOfInk) => Outcome::OutOfInk,
            Err(other) => Outcome::Failure(other.to_string()),
        },
        other => other,
    };
    (outcome, left, store.into_data())
}
