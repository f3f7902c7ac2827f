//! The `vm_hooks` host: every function a stylus-sdk 0.10 program may import,
//! implemented over revm's journal and priced as Nitro prices them
//! (`user-host-trait`, `arbutil::pricing`, `arbos/programs/api.go`): each
//! hostio buys its base ink plus per-byte ink for the data it moves, and EVM
//! gas for storage, logs, calls, creates and account access. The storage
//! cache is Nitro's: loads and writes go to a per-call cache (free for the
//! first 32 reads and 8 writes, then 2/7 and 10 gas), and only
//! `storage_flush_cache` writes to the journal — the host never flushes by
//! itself (stylus-sdk flushes before calls and at the end of a call).

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
    meter::{INK_EXPORT, STACK_EXPORT, STATUS_EXPORT},
    params::{StylusParams, ARBOS_50, ARBOS_STYLUS_CHARGING_FIXES},
    precompiles::StylusPrecompiles,
    pricing::{hostio, keccak_price, pow_price, read_price, write_price, EVM_API_INK, HOSTIO_INK},
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
    /// LOG base and per topic.
    pub const LOG_TOPIC: u64 = 375;
    /// Per log data byte.
    pub const LOG_BYTE: u64 = 8;
    /// Value transfer in a call.
    pub const CALL_VALUE: u64 = 9_000;
    /// Creating an account by value transfer.
    pub const NEW_ACCOUNT: u64 = 25_000;
    /// Stipend given with value.
    pub const CALL_STIPEND: u64 = 2_300;
    /// CREATE / CREATE2 base.
    pub const CREATE: u64 = 32_000;
    /// Per word hashed by CREATE2.
    pub const KECCAK_WORD: u64 = 6;
    /// EXTCODESIZE-style surcharge of reading an account's code (EIP-150).
    pub const EXTCODE: u64 = 700;
    /// Gas a storage access must have available on top of its price.
    pub const STORAGE_CACHE_ACCESS: u64 = 10;
}

/// Status a failed call returns to the program (Nitro's "failure" byte).
pub const CALL_FAILED: u32 = 2;

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
struct StorageWord {
    /// The value the program sees.
    value: B256,
    /// The value in the journal, if known.
    known: Option<B256>,
}

impl StorageWord {
    fn dirty(&self) -> bool {
        Some(self.value) != self.known
    }
}

/// Everything a running program can reach.
pub struct HostState {
    /// The chain, lent to the program for the duration of the call.
    pub ctx: Ctx,
    /// Provider for nested frames (and the chain's parameters and pages).
    pub precompiles: StylusPrecompiles,
    /// The chain's Stylus parameters.
    pub params: StylusParams,
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
    /// Storage cache.
    cache: HashMap<B256, StorageWord>,
    /// Storage cache reads and writes so far (they price later accesses).
    cache_reads: u32,
    cache_writes: u32,
    /// The code `account_code` loaded last.
    last_code: Option<(Address, Bytes)>,
    /// Gas refund accumulated by SSTOREs.
    pub refund: i64,
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
        let params = precompiles.params();
        Self {
            ctx,
            precompiles,
            params,
            address,
            sender,
            value,
            is_static,
            reentrant,
            args,
            result: Vec::new(),
            return_data: Vec::new(),
            cache: HashMap::new(),
            cache_reads: 0,
            cache_writes: 0,
            last_code: None,
            refund: 0,
            ink: None,
            status: None,
        }
    }

    /// Records the metering globals of the instance.
    pub fn attach(&mut self, ink: Global, status: Global) {
        self.ink = Some(ink);
        self.status = Some(status);
    }

    /// Gas of the next storage cache read: free for the first 32, then 2,
    /// then 10 past 128.
    fn read_gas(&mut self) -> u64 {
        self.cache_reads = self.cache_reads.saturating_add(1);
        match self.cache_reads {
            0..=32 => 0,
            33..=128 => 2,
            _ => 10,
        }
    }

    /// Gas of the next storage cache write: free for the first 8, then 7,
    /// then 10 past 64.
    fn write_gas(&mut self) -> u64 {
        self.cache_writes = self.cache_writes.saturating_add(1);
        match self.cache_writes {
            0..=8 => 0,
            9..=64 => 7,
            _ => 10,
        }
    }

    fn gas_to_ink(&self, gas: u64) -> u64 {
        gas.saturating_mul(u64::from(self.params.ink_price))
    }

    /// The gas a hostio that calls the EVM adds to a storage miss (Nitro
    /// kept a unit mix-up before ArbOS 32).
    fn evm_api_gas(&self) -> u64 {
        if self.params.arbos_version < ARBOS_STYLUS_CHARGING_FIXES {
            EVM_API_INK
        } else {
            EVM_API_INK / u64::from(self.params.ink_price)
        }
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

/// Marks the program out of ink and stops it.
fn out_of_ink(caller: &mut Ctl<'_>) -> wasmi::Error {
    let _ = set_ink(caller, 0);
    if let Some(s) = caller.data().status {
        let _ = s.set(&mut *caller, Val::I32(1));
    }
    wasmi::Error::host(HostStop::OutOfInk)
}

/// Buys `ink`, stopping the program when it cannot pay.
fn buy_ink(caller: &mut Ctl<'_>, ink: u64) -> R<()> {
    let left = ink_left(caller);
    if left < ink {
        return Err(out_of_ink(caller));
    }
    set_ink(caller, left - ink)
}

/// Buys `gas` worth of ink.
fn buy_gas(caller: &mut Ctl<'_>, gas: u64) -> R<()> {
    let ink = caller.data().gas_to_ink(gas);
    buy_ink(caller, ink)
}

/// Stops the program unless `gas` is left (burning nothing).
fn require_gas(caller: &mut Ctl<'_>, gas: u64) -> R<()> {
    if ink_left(caller) < caller.data().gas_to_ink(gas) {
        return Err(out_of_ink(caller));
    }
    Ok(())
}

/// Gas left, rounded down.
fn gas_left(caller: &Ctl<'_>) -> u64 {
    ink_left(caller) / u64::from(caller.data().params.ink_price)
}

fn words(len: usize) -> u64 {
    u64::try_from(len.div_ceil(32)).unwrap_or(u64::MAX)
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

/// `storage_flush_cache`: writes the dirty slots (each priced as an EVM
/// SSTORE, from a budget of the gas left + 1), optionally forgetting the
/// cache.
fn flush(caller: &mut Ctl<'_>, clear: bool) -> R<()> {
    buy_ink(caller, hostio::STORAGE_FLUSH)?;
    require_gas(caller, gas::SSTORE_SENTRY)?;
    let budget = gas_left(caller).saturating_add(1);
    let state = caller.data_mut();
    let mut dirty: Vec<(B256, B256)> = Vec::new();
    for (key, word) in &mut state.cache {
        if word.dirty() {
            dirty.push((*key, word.value));
            word.known = Some(word.value);
        }
    }
    if clear {
        state.cache.clear();
    }
    if dirty.is_empty() {
        return Ok(());
    }
    dirty.sort_unstable();
    if state.is_static {
        return Err(wasmi::Error::host(HostStop::WriteProtection));
    }
    let mut left = budget;
    let mut out_of_gas = false;
    for (key, value) in dirty {
        let result = infallible(state.ctx.journal_mut().sstore(
            state.address,
            key.into(),
            value.into(),
        ));
        let data = &result.data;
        let (cost, refund) = sstore_cost(
            data.original_value,
            data.present_value,
            data.new_value,
            result.is_cold,
        );
        if cost > left {
            left = 0;
            out_of_gas = true;
            break;
        }
        left -= cost;
        state.refund += refund;
    }
    let arbos = state.params.arbos_version;
    if arbos >= ARBOS_STYLUS_CHARGING_FIXES {
        buy_gas(caller, budget - left)?;
    }
    if out_of_gas || left == 0 {
        return Err(if arbos >= ARBOS_50 {
            out_of_ink(caller)
        } else {
            fault("storage flush failed")
        });
    }
    Ok(())
}

/// The outcome of a nested frame, as the program sees it.
struct Nested {
    ok: bool,
    reverted: bool,
    output: Bytes,
    gas_left: u64,
    refund: i64,
    created: Option<Address>,
}

fn nested(caller: &mut Ctl<'_>, input: FrameInput) -> R<Nested> {
    let precompiles = caller.data().precompiles.clone();
    let result = run_frame(&mut caller.data_mut().ctx, &precompiles, input)
        .map_err(|e| fault(&format!("{e:?}")))?;
    let (outcome, created) = match result {
        FrameResult::Call(out) => (out.result, None),
        FrameResult::Create(out) => (out.result, out.address),
    };
    Ok(Nested {
        ok: outcome.result.is_ok(),
        reverted: outcome.result.is_revert(),
        output: outcome.output.clone(),
        gas_left: outcome.gas.remaining(),
        refund: outcome.gas.refunded(),
        created,
    })
}

/// call_contract / delegate_call_contract / static_call_contract, priced as
/// Nitro's `doCall`: the access, value and new-account costs, then 63/64 of
/// what is left (capped by the request), a stipend with value, and back
/// whatever the callee did not use.
#[allow(clippy::too_many_arguments)]
fn do_call(
    caller: &mut Ctl<'_>,
    scheme: CallScheme,
    contract: u32,
    data: u32,
    data_len: u32,
    value_ptr: Option<u32>,
    gas_req: u64,
    return_len_ptr: u32,
) -> R<u32> {
    buy_ink(caller, hostio::CALL_CONTRACT + 2 * read_price(data_len))?;
    let gas_left = gas_left(caller);
    let gas_req = gas_req.min(gas_left);
    let to = read_address(caller, contract)?;
    let input = read(caller, data, data_len)?;
    let value = match value_ptr {
        Some(p) => U256::from_be_bytes(read_word(caller, p)?.0),
        None => U256::ZERO,
    };
    let fail = |caller: &mut Ctl<'_>, cost: u64| -> R<u32> {
        caller.data_mut().return_data = Vec::new();
        buy_gas(caller, cost)?;
        write(caller, return_len_ptr, &0u32.to_le_bytes())?;
        Ok(CALL_FAILED)
    };
    if caller.data().is_static && !value.is_zero() {
        return fail(caller, 0);
    }
    let mut base = account_access(caller, to);
    if !value.is_zero() {
        let empty = infallible(caller.data_mut().ctx.journal_mut().load_account(to))
            .data
            .is_empty();
        if empty {
            base += gas::NEW_ACCOUNT;
        }
        base += gas::CALL_VALUE;
    }
    if base > gas_left {
        return fail(caller, gas_left);
    }
    let start_gas = (gas_left - base) * 63 / 64;
    let mut gas = start_gas.min(gas_req);
    if !value.is_zero() {
        gas = gas.saturating_add(gas::CALL_STIPEND);
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
    if out.ok {
        caller.data_mut().refund += out.refund;
    }
    let len = u32::try_from(out.output.len()).unwrap_or(u32::MAX);
    caller.data_mut().return_data = out.output.to_vec();
    buy_gas(caller, base + gas.saturating_sub(out.gas_left))?;
    write(caller, return_len_ptr, &len.to_le_bytes())?;
    Ok(if out.ok { 0 } else { CALL_FAILED })
}

/// create1 / create2, priced as Nitro's `create`: 32,000 (+ 6 per word
/// hashed for CREATE2), 63/64 of the rest to the init code, the unused gas
/// and the kept 64th back. Return data is kept only when the init code
/// reverted.
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
    let base_ink = if salt.is_some() {
        hostio::CREATE2
    } else {
        hostio::CREATE1
    };
    buy_ink(caller, base_ink + 2 * read_price(code_len))?;
    let init = read(caller, code, code_len)?;
    let value = U256::from_be_bytes(read_word(caller, endowment)?.0);
    let salt = match salt {
        Some(p) => Some(U256::from_be_bytes(read_word(caller, p)?.0)),
        None => None,
    };
    let start_gas = gas_left(caller);
    forbid_in_static(caller)?;
    let mut base = gas::CREATE;
    if salt.is_some() {
        base += gas::KECCAK_WORD * words(init.len());
    }
    if start_gas < base {
        return Err(fault("create: out of gas"));
    }
    let mut gas = start_gas - base;
    let one_64th = gas / 64;
    gas -= one_64th;
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
    let address = if out.ok {
        out.created.unwrap_or_default()
    } else {
        Address::ZERO
    };
    if out.ok {
        caller.data_mut().refund += out.refund;
    }
    let revert = if out.reverted {
        out.output.to_vec()
    } else {
        Vec::new()
    };
    let len = u32::try_from(revert.len()).unwrap_or(u32::MAX);
    caller.data_mut().return_data = revert;
    buy_gas(
        caller,
        start_gas.saturating_sub(out.gas_left.saturating_add(one_64th)),
    )?;
    write(caller, revert_len_ptr, &len.to_le_bytes())?;
    write(caller, contract_ptr, address.as_slice())
}

fn u256_word(caller: &Ctl<'_>, ptr: u32) -> R<U256> {
    Ok(U256::from_be_bytes(read_word(caller, ptr)?.0))
}

fn put_u256(caller: &mut Ctl<'_>, ptr: u32, value: U256) -> R<()> {
    write(caller, ptr, &value.to_be_bytes::<32>())
}

/// `value = op(value, operand)` on two 32-byte words in memory.
fn math2(
    c: &mut Ctl<'_>,
    value: u32,
    operand: u32,
    ink: u64,
    op: impl Fn(U256, U256) -> U256,
) -> R<()> {
    buy_ink(c, ink)?;
    let (a, b) = (u256_word(c, value)?, u256_word(c, operand)?);
    put_u256(c, value, op(a, b))
}

/// `value = op(value, operand, modulus)`, zero for a zero modulus.
fn math3(
    c: &mut Ctl<'_>,
    value: u32,
    operand: u32,
    modulus: u32,
    ink: u64,
    op: impl Fn(U256, U256, U256) -> U256,
) -> R<()> {
    buy_ink(c, ink)?;
    let (a, b, n) = (
        u256_word(c, value)?,
        u256_word(c, operand)?,
        u256_word(c, modulus)?,
    );
    put_u256(c, value, if n.is_zero() { U256::ZERO } else { op(a, b, n) })
}

/// `account_code`/`account_code_size`: the code of `address` and its gas
/// (700 + access), free when it is the account read last.
fn account_code(caller: &mut Ctl<'_>, address: Address) -> R<Bytes> {
    buy_ink(caller, hostio::ACCOUNT_CODE)?;
    require_gas(caller, gas::COLD_ACCOUNT)?;
    if let Some((last, code)) = &caller.data().last_code {
        if *last == address {
            return Ok(code.clone());
        }
    }
    let gas = gas_left(caller);
    let cost = gas::EXTCODE + account_access(caller, address);
    let code = if gas < cost {
        Bytes::new()
    } else {
        infallible(caller.data_mut().ctx.journal_mut().code(address)).data
    };
    let arbos = caller.data().params.arbos_version;
    if !code.is_empty() || arbos < 40 {
        caller.data_mut().last_code = Some((address, code.clone()));
    }
    buy_gas(caller, cost)?;
    Ok(code)
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
    /// A hostio that writes a word: base ink, then the write.
    macro_rules! word {
        ($name:literal, $value:expr) => {
            def!($name, |mut c: Ctl<'_>, dest: u32| -> R<()> {
                buy_ink(&mut c, hostio::WORD)?;
                let v: [u8; 32] = $value(&c);
                write(&mut c, dest, &v)
            });
        };
    }
    /// A hostio that writes an address.
    macro_rules! address {
        ($name:literal, $value:expr) => {
            def!($name, |mut c: Ctl<'_>, dest: u32| -> R<()> {
                buy_ink(&mut c, hostio::WORD)?;
                let v: Address = $value(&c);
                write(&mut c, dest, v.as_slice())
            });
        };
    }

    def!("read_args", |mut c: Ctl<'_>, dest: u32| -> R<()> {
        let len = u32::try_from(c.data().args.len()).unwrap_or(u32::MAX);
        buy_ink(&mut c, hostio::READ_ARGS + write_price(len))?;
        let args = std::mem::take(&mut c.data_mut().args);
        let r = write(&mut c, dest, &args);
        c.data_mut().args = args;
        r
    });
    def!("write_result", |mut c: Ctl<'_>,
                          data: u32,
                          len: u32|
     -> R<()> {
        // read from the program, and again by the EVM
        buy_ink(&mut c, hostio::WRITE_RESULT + 2 * read_price(len))?;
        let result = read(&c, data, len)?;
        c.data_mut().result = result;
        Ok(())
    });
    def!("exit_early", |_c: Ctl<'_>, status: u32| -> R<()> {
        Err(wasmi::Error::i32_exit(i32::from(status != 0)))
    });
    def!("storage_load_bytes32", |mut c: Ctl<'_>,
                                  key: u32,
                                  dest: u32|
     -> R<()> {
        buy_ink(&mut c, hostio::STORAGE_LOAD)?;
        let api = c.data().evm_api_gas();
        require_gas(&mut c, gas::COLD_SLOAD + gas::STORAGE_CACHE_ACCESS + api)?;
        let key = read_word(&c, key)?;
        let mut cost = c.data_mut().read_gas();
        let cached = c.data().cache.get(&key).map(|s| s.value);
        let value = if let Some(v) = cached {
            v
        } else {
            cache_room(&mut c, &key)?;
            let address = c.data().address;
            let load = infallible(c.data_mut().ctx.journal_mut().sload(address, key.into()));
            cost += api
                + if load.is_cold {
                    gas::COLD_SLOAD
                } else {
                    gas::WARM
                };
            let v = B256::from(load.data);
            c.data_mut().cache.insert(
                key,
                StorageWord {
                    value: v,
                    known: Some(v),
                },
            );
            v
        };
        buy_gas(&mut c, cost)?;
        write(&mut c, dest, value.as_slice())
    });
    def!("storage_cache_bytes32", |mut c: Ctl<'_>,
                                   key: u32,
                                   value: u32|
     -> R<()> {
        buy_ink(&mut c, hostio::STORAGE_CACHE)?;
        require_gas(&mut c, gas::SSTORE_SENTRY + gas::STORAGE_CACHE_ACCESS)?;
        let (key, value) = (read_word(&c, key)?, read_word(&c, value)?);
        cache_room(&mut c, &key)?;
        let cost = c.data_mut().write_gas();
        c.data_mut()
            .cache
            .entry(key)
            .and_modify(|w| w.value = value)
            .or_insert(StorageWord { value, known: None });
        buy_gas(&mut c, cost)
    });
    def!("storage_flush_cache", |mut c: Ctl<'_>,
                                 clear: u32|
     -> R<()> {
        flush(&mut c, clear != 0)
    });
    def!("transient_load_bytes32", |mut c: Ctl<'_>,
                                    key: u32,
                                    dest: u32|
     -> R<()> {
        buy_ink(&mut c, hostio::TRANSIENT)?;
        buy_gas(&mut c, gas::WARM)?;
        let key = read_word(&c, key)?;
        let address = c.data().address;
        let v = c.data_mut().ctx.journal_mut().tload(address, key.into());
        put_u256(&mut c, dest, v)
    });
    def!("transient_store_bytes32", |mut c: Ctl<'_>,
                                     key: u32,
                                     value: u32|
     -> R<()> {
        buy_ink(&mut c, hostio::TRANSIENT)?;
        buy_gas(&mut c, gas::WARM)?;
        let (key, value) = (read_word(&c, key)?, u256_word(&c, value)?);
        forbid_in_static(&c)?;
        let address = c.data().address;
        c.data_mut()
            .ctx
            .journal_mut()
            .tstore(address, key.into(), value);
        Ok(())
    });
    address!("msg_sender", |c: &Ctl<'_>| c.data().sender);
    word!("msg_value", |c: &Ctl<'_>| c
        .data()
        .value
        .to_be_bytes::<32>());
    def!("msg_reentrant", |mut c: Ctl<'_>| -> R<u32> {
        buy_ink(&mut c, HOSTIO_INK)?;
        Ok(u32::from(c.data().reentrant))
    });
    address!("tx_origin", |c: &Ctl<'_>| c.data().ctx.tx().caller());
    word!("tx_gas_price", |c: &Ctl<'_>| {
        let basefee = c.data().ctx.block().basefee();
        let price = c.data().ctx.tx().effective_gas_price(u128::from(basefee));
        U256::from(price).to_be_bytes::<32>()
    });
    def!("tx_ink_price", |mut c: Ctl<'_>| -> R<u32> {
        buy_ink(&mut c, HOSTIO_INK)?;
        Ok(c.data().params.ink_price)
    });
    address!("contract_address", |c: &Ctl<'_>| c.data().address);
    def!("block_timestamp", |mut c: Ctl<'_>| -> R<u64> {
        buy_ink(&mut c, HOSTIO_INK)?;
        Ok(c.data().ctx.block().timestamp().saturating_to())
    });
    def!("block_number", |mut c: Ctl<'_>| -> R<u64> {
        buy_ink(&mut c, HOSTIO_INK)?;
        Ok(c.data().ctx.block().number().saturating_to())
    });
    def!("block_gas_limit", |mut c: Ctl<'_>| -> R<u64> {
        buy_ink(&mut c, HOSTIO_INK)?;
        Ok(c.data().ctx.block().gas_limit())
    });
    word!("block_basefee", |c: &Ctl<'_>| {
        U256::from(c.data().ctx.block().basefee()).to_be_bytes::<32>()
    });
    address!("block_coinbase", |c: &Ctl<'_>| c
        .data()
        .ctx
        .block()
        .beneficiary());
    def!("chainid", |mut c: Ctl<'_>| -> R<u64> {
        buy_ink(&mut c, HOSTIO_INK)?;
        Ok(c.data().ctx.cfg().chain_id())
    });
    def!("evm_gas_left", |mut c: Ctl<'_>| -> R<u64> {
        buy_ink(&mut c, HOSTIO_INK)?;
        Ok(gas_left(&c))
    });
    def!("evm_ink_left", |mut c: Ctl<'_>| -> R<u64> {
        buy_ink(&mut c, HOSTIO_INK)?;
        Ok(ink_left(&c))
    });
    def!("native_keccak256", |mut c: Ctl<'_>,
                              data: u32,
                              len: u32,
                              out: u32|
     -> R<()> {
        buy_ink(&mut c, keccak_price(len))?;
        let h = keccak256(read(&c, data, len)?);
        write(&mut c, out, h.as_slice())
    });
    def!("account_balance", |mut c: Ctl<'_>,
                             address: u32,
                             dest: u32|
     -> R<()> {
        buy_ink(&mut c, hostio::ACCOUNT_BALANCE)?;
        require_gas(&mut c, gas::COLD_ACCOUNT)?;
        let a = read_address(&c, address)?;
        let cost = account_access(&mut c, a);
        buy_gas(&mut c, cost)?;
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
        buy_ink(&mut c, hostio::ACCOUNT_BALANCE)?;
        require_gas(&mut c, gas::COLD_ACCOUNT)?;
        let a = read_address(&c, address)?;
        let cost = account_access(&mut c, a);
        buy_gas(&mut c, cost)?;
        let v = infallible(c.data_mut().ctx.journal_mut().code_hash(a)).data;
        write(&mut c, dest, v.as_slice())
    });
    def!("account_code_size", |mut c: Ctl<'_>,
                               address: u32|
     -> R<u32> {
        let a = read_address(&c, address)?;
        let code = account_code(&mut c, a)?;
        Ok(u32::try_from(code.len()).unwrap_or(u32::MAX))
    });
    def!("account_code", |mut c: Ctl<'_>,
                          address: u32,
                          offset: u32,
                          size: u32,
                          dest: u32|
     -> R<u32> {
        let a = read_address(&c, address)?;
        let code = account_code(&mut c, a)?;
        buy_ink(
            &mut c,
            write_price(u32::try_from(code.len()).unwrap_or(u32::MAX)),
        )?;
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
        buy_ink(&mut c, hostio::EMIT_LOG)?;
        if topics > 4 || len < topics * 32 {
            return Err(fault("bad topic data"));
        }
        buy_ink(&mut c, read_price(len))?;
        let body = len - topics * 32;
        buy_gas(
            &mut c,
            (1 + u64::from(topics)) * gas::LOG_TOPIC + gas::LOG_BYTE * u64::from(body),
        )?;
        let bytes = read(&c, data, len)?;
        forbid_in_static(&c)?;
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
        buy_ink(&mut c, hostio::RETURN_DATA_SIZE)?;
        Ok(u32::try_from(c.data().return_data.len()).unwrap_or(u32::MAX))
    });
    def!("read_return_data", |mut c: Ctl<'_>,
                              dest: u32,
                              offset: u32,
                              size: u32|
     -> R<u32> {
        buy_ink(&mut c, hostio::READ_RETURN_DATA)?;
        let len = u32::try_from(c.data().return_data.len()).unwrap_or(u32::MAX);
        let max = len.saturating_sub(offset);
        buy_ink(&mut c, write_price(size.min(max)))?;
        if max == 0 {
            return Ok(0);
        }
        let data = std::mem::take(&mut c.data_mut().return_data);
        let start = (offset as usize).min(data.len());
        let end = start.saturating_add(size as usize).min(data.len());
        let r = if end > start {
            write(&mut c, dest, &data[start..end])
        } else {
            Ok(())
        };
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
        if pages == 0 {
            return buy_ink(&mut c, HOSTIO_INK);
        }
        let pages = u16::try_from(pages).unwrap_or(u16::MAX);
        let before = c.data().precompiles.add_pages(pages);
        let cost = c
            .data()
            .params
            .memory()
            .gas_cost(pages, before.open, before.ever);
        buy_gas(&mut c, cost)
    });
    def!("math_div", |mut c: Ctl<'_>,
                      value: u32,
                      divisor: u32|
     -> R<()> {
        math2(&mut c, value, divisor, hostio::MATH_DIV, |a, b| {
            a.checked_div(b).unwrap_or_default()
        })
    });
    def!("math_mod", |mut c: Ctl<'_>,
                      value: u32,
                      modulus: u32|
     -> R<()> {
        math2(&mut c, value, modulus, hostio::MATH_DIV, |a, b| {
            a.checked_rem(b).unwrap_or_default()
        })
    });
    def!("math_pow", |mut c: Ctl<'_>,
                      value: u32,
                      exponent: u32|
     -> R<()> {
        buy_ink(&mut c, hostio::MATH_POW)?;
        let (a, b) = (u256_word(&c, value)?, read_word(&c, exponent)?);
        buy_ink(&mut c, pow_price(&b.0))?;
        put_u256(&mut c, value, a.wrapping_pow(U256::from_be_bytes(b.0)))
    });
    def!("math_add_mod", |mut c: Ctl<'_>,
                          value: u32,
                          addend: u32,
                          modulus: u32|
     -> R<()> {
        math3(
            &mut c,
            value,
            addend,
            modulus,
            hostio::MATH_ADD_MOD,
            U256::add_mod,
        )
    });
    def!("math_mul_mod", |mut c: Ctl<'_>,
                          value: u32,
                          multiplier: u32,
                          modulus: u32|
     -> R<()> {
        math3(
            &mut c,
            value,
            multiplier,
            modulus,
            hostio::MATH_MUL_MOD,
            U256::mul_mod,
        )
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
    /// Ran out of ink (all gas is gone).
    OutOfInk,
    /// Ran out of stack budget (all gas is gone).
    OutOfStack,
    /// Trapped, faulted or wrote under a static call: reverts without data,
    /// keeping the ink left.
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

/// Instantiates `module` and runs `user_entrypoint` with `ink` and the
/// chain's stack budget; returns the outcome, the ink left, and the host
/// state (with the context to hand back).
pub fn execute(
    engine: &wasmi::Engine,
    linker: &Linker<HostState>,
    module: &wasmi::Module,
    state: HostState,
    ink: u64,
) -> (Outcome, u64, HostState) {
    let max_depth = state.params.max_stack_depth;
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
    let (Some(ink_g), Some(status_g), Some(stack_g)) = (
        instance.get_global(&store, INK_EXPORT),
        instance.get_global(&store, STATUS_EXPORT),
        instance.get_global(&store, STACK_EXPORT),
    ) else {
        return (
            Outcome::Failure("program is not metered".into()),
            0,
            store.into_data(),
        );
    };
    store.data_mut().attach(ink_g, status_g);
    let ink_set = ink_g.set(&mut store, Val::I64(i64::try_from(ink).unwrap_or(i64::MAX)));
    let stack_set = stack_g.set(
        &mut store,
        Val::I32(i32::try_from(max_depth).unwrap_or(i32::MAX)),
    );
    if ink_set.is_err() || stack_set.is_err() {
        return (
            Outcome::Failure("cannot set the meters".into()),
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
    let out_of_ink = matches!(status_g.get(&store), Val::I32(1));
    let out_of_stack = matches!(stack_g.get(&store), Val::I32(0));
    let status = match result {
        Ok(status) => Ok(status),
        Err(e) => match e.i32_exit_status() {
            Some(s) => Ok(u32::try_from(s).unwrap_or(1)),
            None => Err(e),
        },
    };
    let outcome = match status {
        Err(_) if out_of_stack => Outcome::OutOfStack,
        _ if out_of_ink => Outcome::OutOfInk,
        Ok(0) => Outcome::Success(std::mem::take(&mut store.data_mut().result)),
        Ok(_) => Outcome::Revert(std::mem::take(&mut store.data_mut().result)),
        Err(e) => match e.downcast_ref::<HostStop>() {
            Some(HostStop::OutOfInk) => Outcome::OutOfInk,
            Some(other) => Outcome::Failure(other.to_string()),
            None => Outcome::Failure(e.to_string()),
        },
    };
    let left = match (&outcome, ink_g.get(&store)) {
        (Outcome::OutOfInk | Outcome::OutOfStack, _) => 0,
        (_, Val::I64(v)) => u64::try_from(v).unwrap_or(0),
        _ => 0,
    };
    (outcome, left, store.into_data())
}
