//! # stylus-kit
//!
//! Small, code-size-conscious building blocks shared by the labelmint Stylus
//! contracts (AnnotationMarket, DatasetRegistry). Each contract routes its
//! calls itself (a `#[fallback]`) because the SDK's generic router and event
//! encoders cost more code than the 24 KiB limit allows; this crate holds the
//! pieces that makes possible:
//!
//! - [`Args`]: ABI argument decoding with Solidity's strictness (a value above
//!   its type, an offset or a length outside the calldata is
//!   `InvalidCalldata()`), and [`ret`] for static return words;
//! - [`revert`] / [`err`]: custom-error revert data (`selector ‖ words`);
//! - [`emit`]: events with static words and `bytes` arguments;
//! - [`slot`], [`sload`], [`sstore`]: raw storage at
//!   `keccak256(tag ‖ a ‖ b ‖ c)` (four words, so it never collides with the
//!   SDK's 64-byte mapping preimages);
//! - ERC-20 calls that tolerate tokens without return values:
//!   [`token_balance`], [`transfer_from`], [`transfer_out`], [`pull`];
//! - [`Words`] and [`Cursor`]: storage words loaded on demand whose write
//!   back is checked against what was loaded, so a word that was never read
//!   can never be overwritten with zeros;
//! - [`arbiter`]: the arbiter terms every labelmint program shares (one
//!   registry, in the AnnotationMarket) and their reader.
#![cfg_attr(not(test), no_std)]
#![warn(clippy::arithmetic_side_effects)]

extern crate alloc;

use alloc::vec::Vec;

pub mod arbiter;
pub mod difficulty;
pub mod words;

pub use words::{Cursor, Words};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{sol, SolError};
use stylus_sdk::{
    call::{call, static_call},
    stylus_core::{calls::Call, Host},
};

sol! {
    /// The calldata is too short, has an out-of-range value or a bad offset.
    error InvalidCalldata();
    /// No function has this selector (plain ETH transfers are refused too).
    error UnknownFunction(bytes4 selector);
    /// ETH was sent to a function that does not take it.
    error NotPayable();
    /// The caller has no credit.
    error NothingToWithdraw();
    /// The ETH transfer to `to` failed (or `to` is zero).
    error WithdrawFailed(address to);
    /// A call to `token` failed, or its answer was not a successful ERC-20 answer.
    error TokenCallFailed(address token);
    /// The token delivered `received` instead of `expected`.
    error UnsupportedToken(address token, uint256 expected, uint256 received);
}

/// Result of a contract call: revert data is a named custom error.
pub type Result<T, E = Vec<u8>> = core::result::Result<T, E>;

/// Revert data: `selector ‖ words`. Every error argument of the labelmint
/// contracts is a static word, so this equals `SolError::abi_encode`
/// (unit-tested) at a fraction of the code of one generic encoder per error.
pub fn revert(selector: [u8; 4], words: &[U256]) -> Vec<u8> {
    let mut out = Vec::with_capacity(words.len().saturating_mul(32).saturating_add(4));
    out.extend_from_slice(&selector);
    for w in words {
        out.extend_from_slice(&w.to_be_bytes::<32>());
    }
    out
}

/// Revert data of error `E` with `words` as its arguments.
pub fn err<E: SolError>(words: &[U256]) -> Vec<u8> {
    revert(E::SELECTOR, words)
}

/// `InvalidCalldata()`.
pub fn bad_calldata() -> Vec<u8> {
    err::<InvalidCalldata>(&[])
}

/// An address as an ABI word.
pub fn word(a: Address) -> U256 {
    U256::from_be_slice(a.as_slice())
}

/// An unsigned integer as an ABI word.
pub fn u(v: impl Into<u64>) -> U256 {
    U256::from(v.into())
}

/// A `bytes32` as an ABI word.
pub fn b(x: B256) -> U256 {
    U256::from_be_bytes(x.0)
}

/// Splits calldata into its selector and arguments. Empty calldata (a plain
/// ETH transfer) is `UnknownFunction(0)`; one to three bytes are
/// `InvalidCalldata()`.
pub fn split_selector(input: &[u8]) -> Result<([u8; 4], Args<'_>)> {
    match input {
        [a, b, c, d, rest @ ..] => Ok(([*a, *b, *c, *d], Args(rest))),
        [] => Err(err::<UnknownFunction>(&[U256::ZERO])),
        _ => Err(bad_calldata()),
    }
}

/// `UnknownFunction(selector)`.
pub fn unknown_function(selector: [u8; 4]) -> Vec<u8> {
    err::<UnknownFunction>(&[U256::from_be_slice(&selector).wrapping_shl(224)])
}

/// `NotPayable()`.
pub fn not_payable() -> Vec<u8> {
    err::<NotPayable>(&[])
}

/// ABI arguments after the selector, decoded with Solidity's strictness.
pub struct Args<'a>(pub &'a [u8]);

impl Args<'_> {
    fn at(&self, offset: usize) -> Result<U256> {
        let end = offset.checked_add(32).ok_or_else(bad_calldata)?;
        self.0
            .get(offset..end)
            .map(U256::from_be_slice)
            .ok_or_else(bad_calldata)
    }

    /// Argument `i` as an unsigned integer of at most `bits` bits.
    pub fn uint(&self, i: usize, bits: usize) -> Result<U256> {
        let w = self.at(i.saturating_mul(32))?;
        if w.bit_len() > bits {
            return Err(bad_calldata());
        }
        Ok(w)
    }

    /// Argument `i` as a raw word (`uint256`, `bytes32`).
    pub fn word(&self, i: usize) -> Result<U256> {
        self.at(i.saturating_mul(32))
    }

    /// Argument `i` as a `uint<bits>` with `bits <= 64`.
    pub fn u64(&self, i: usize, bits: usize) -> Result<u64> {
        Ok(self.uint(i, bits)?.saturating_to())
    }

    /// Argument `i` as an `address`.
    pub fn address(&self, i: usize) -> Result<Address> {
        let w = self.uint(i, 160)?;
        Ok(Address::from_slice(&w.to_be_bytes::<32>()[12..]))
    }

    /// Argument `i` as a `bytes32`.
    pub fn b256(&self, i: usize) -> Result<B256> {
        Ok(B256::from(self.word(i)?))
    }

    /// Argument `i` as a `bool` (0 or 1 only).
    pub fn boolean(&self, i: usize) -> Result<bool> {
        Ok(!self.uint(i, 1)?.is_zero())
    }

    /// The `bytes` argument `i`: offset word, then length and content.
    pub fn bytes(&self, i: usize) -> Result<&[u8]> {
        let offset: usize = self.uint(i, 32)?.saturating_to();
        let len = self.at(offset)?;
        if len.bit_len() > 32 {
            return Err(bad_calldata());
        }
        let start = offset.saturating_add(32);
        self.0
            .get(start..start.saturating_add(len.saturating_to()))
            .ok_or_else(bad_calldata)
    }

    /// The `uintN[]` / `address[]` argument `i`, each element of at most
    /// `bits` bits.
    pub fn array(&self, i: usize, bits: usize) -> Result<Vec<U256>> {
        let offset: usize = self.uint(i, 32)?.saturating_to();
        let len = self.at(offset)?;
        // Each element takes a word of calldata: longer arrays cannot be there.
        if len > U256::from(self.0.len() / 32) {
            return Err(bad_calldata());
        }
        let len: usize = len.saturating_to();
        let mut out = Vec::with_capacity(len);
        for j in 0..len {
            let w = self.at(offset
                .saturating_add(32)
                .saturating_add(j.saturating_mul(32)))?;
            if w.bit_len() > bits {
                return Err(bad_calldata());
            }
            out.push(w);
        }
        Ok(out)
    }

    /// The `uint32[]` argument `i`.
    pub fn u32s(&self, i: usize) -> Result<Vec<u32>> {
        Ok(self.array(i, 32)?.iter().map(U256::saturating_to).collect())
    }
}

/// ABI-encodes static return words.
pub fn ret(words: &[U256]) -> Vec<u8> {
    let mut out = Vec::with_capacity(words.len().saturating_mul(32));
    for w in words {
        out.extend_from_slice(&w.to_be_bytes::<32>());
    }
    out
}

/// One ABI-encoded event argument.
pub enum Arg<'a> {
    /// A static word.
    W(U256),
    /// A dynamic `bytes`.
    B(&'a [u8]),
}

/// ABI-encodes event data: heads (words or offsets), then each `bytes` as
/// length ‖ zero-padded content.
pub fn encode_args(args: &[Arg<'_>]) -> Vec<u8> {
    let head = args.len().saturating_mul(32);
    let mut out = Vec::with_capacity(head.saturating_add(128));
    let mut tail: Vec<u8> = Vec::new();
    for a in args {
        match a {
            Arg::W(w) => out.extend_from_slice(&w.to_be_bytes::<32>()),
            Arg::B(b) => {
                out.extend_from_slice(
                    &U256::from(head.saturating_add(tail.len())).to_be_bytes::<32>(),
                );
                tail.extend_from_slice(&U256::from(b.len()).to_be_bytes::<32>());
                tail.extend_from_slice(b);
                tail.resize(tail.len().next_multiple_of(32), 0);
            }
        }
    }
    out.extend_from_slice(&tail);
    out
}

/// Emits an event: `topic0 = signature`, then the indexed words.
pub fn emit<H: Host + ?Sized>(vm: &H, signature: B256, indexed: &[U256], args: &[Arg<'_>]) {
    let mut topics = Vec::with_capacity(indexed.len().saturating_add(1));
    topics.push(signature);
    for t in indexed {
        topics.push(B256::from(*t));
    }
    // Only fails for more than four topics, which no event here has.
    let _ = vm.raw_log(&topics, &encode_args(args));
}

/// The raw slot `keccak256(tag ‖ a ‖ b ‖ c)`.
pub fn slot<H: Host + ?Sized>(vm: &H, tag: u8, a: U256, b: U256, c: U256) -> U256 {
    let mut buf = [0u8; 128];
    buf[31] = tag;
    buf[32..64].copy_from_slice(&a.to_be_bytes::<32>());
    buf[64..96].copy_from_slice(&b.to_be_bytes::<32>());
    buf[96..].copy_from_slice(&c.to_be_bytes::<32>());
    U256::from_be_bytes(vm.native_keccak256(&buf).0)
}

/// Reads a raw slot.
pub fn sload<H: Host + ?Sized>(vm: &H, slot: U256) -> U256 {
    U256::from_be_bytes(vm.storage_load_bytes32(slot).0)
}

/// Writes a raw slot (through the SDK's storage cache).
pub fn sstore<H: Host + ?Sized>(vm: &H, slot: U256, value: U256) {
    // SAFETY: raw slots are only touched through `sload`/`sstore`, and the
    // SDK flushes its cache before any external call and at the end.
    unsafe { vm.storage_cache_bytes32(slot, B256::from(value)) };
}

/// Whether an ERC-20 call's answer means success, exactly as OpenZeppelin's
/// `SafeERC20` reads it: no return data from an account that has code, or
/// return data of at least 32 bytes whose first word is 1. Anything else
/// (an account without code, a short answer, `false`) is a failure.
pub fn erc20_ok<H: Host + ?Sized>(vm: &H, token: Address, ret: &[u8]) -> bool {
    if ret.is_empty() {
        return vm.code_size(token) > 0;
    }
    ret.len() >= 32 && U256::from_be_slice(&ret[..32]) == U256::from(1)
}

/// A static call with at most `gas`; the return data when it succeeded.
pub fn view<H: Host + ?Sized>(vm: &H, to: Address, data: &[u8], gas: u64) -> Option<Vec<u8>> {
    static_call(vm, Call::new().gas(gas), to, data).ok()
}

fn word_call(selector: [u8; 4], words: &[U256]) -> Vec<u8> {
    let mut data = Vec::with_capacity(words.len().saturating_mul(32).saturating_add(4));
    data.extend_from_slice(&selector);
    for w in words {
        data.extend_from_slice(&w.to_be_bytes::<32>());
    }
    data
}

/// `token.balanceOf(account)`, `None` if the call fails or returns garbage
/// (for example when `token` has no code).
pub fn token_balance<H: Host + ?Sized>(vm: &H, token: Address, account: Address) -> Option<U256> {
    let data = word_call([0x70, 0xa0, 0x82, 0x31], &[word(account)]);
    match view(vm, token, &data, u64::MAX) {
        Some(ret) if ret.len() >= 32 => Some(U256::from_be_slice(&ret[..32])),
        _ => None,
    }
}

/// `token.allowance(owner, spender)`, zero if the call fails.
pub fn token_allowance<H: Host + ?Sized>(
    vm: &H,
    token: Address,
    owner: Address,
    spender: Address,
) -> U256 {
    let data = word_call([0xdd, 0x62, 0xed, 0x3e], &[word(owner), word(spender)]);
    match view(vm, token, &data, u64::MAX) {
        Some(ret) if ret.len() >= 32 => U256::from_be_slice(&ret[..32]),
        _ => U256::ZERO,
    }
}

/// `token.transferFrom(from, to, amount)`; true on success (`SafeERC20` rules).
pub fn transfer_from<H: Host + ?Sized>(
    vm: &H,
    token: Address,
    from: Address,
    to: Address,
    amount: U256,
) -> bool {
    let data = word_call([0x23, 0xb8, 0x72, 0xdd], &[word(from), word(to), amount]);
    matches!(call(vm, Call::new().value(U256::ZERO), token, &data), Ok(ret) if erc20_ok(vm, token, &ret))
}

/// Pulls exactly `amount` of `token` from `from` into this contract with
/// `transferFrom`, checking the balance before and after:
/// `TokenCallFailed(token)` when the call fails, `UnsupportedToken` when a
/// different amount arrived (fee-on-transfer or rebasing tokens).
pub fn pull<H: Host + ?Sized>(vm: &H, token: Address, from: Address, amount: U256) -> Result<()> {
    let this = vm.contract_address();
    let failed = || err::<TokenCallFailed>(&[word(token)]);
    let before = token_balance(vm, token, this).ok_or_else(failed)?;
    if !transfer_from(vm, token, from, this, amount) {
        return Err(failed());
    }
    let after = token_balance(vm, token, this).ok_or_else(failed)?;
    let received = after.saturating_sub(before);
    if received != amount {
        return Err(err::<UnsupportedToken>(&[word(token), amount, received]));
    }
    Ok(())
}

/// Sends `amount` of `token` (zero: ETH) to `to` forwarding at most `gas`;
/// true on success (`SafeERC20` rules for tokens).
pub fn transfer_out<H: Host + ?Sized>(
    vm: &H,
    token: Address,
    to: Address,
    amount: U256,
    gas: u64,
) -> bool {
    let ctx = Call::new().gas(gas);
    if token.is_zero() {
        return call(vm, ctx.value(amount), to, &[]).is_ok();
    }
    let data = word_call([0xa9, 0x05, 0x9c, 0xbb], &[word(to), amount]);
    matches!(call(vm, ctx.value(U256::ZERO), token, &data), Ok(ret) if erc20_ok(vm, token, &ret))
}

/// Runs `token.permit(owner, spender, value, deadline, v, r, s)` with
/// `blob = abi.encode(deadline, v, r, s)`, then decides whether the pull may
/// go ahead: yes when the permit succeeded, or when it failed but the
/// allowance is exactly `value` — what the same permit leaves behind when
/// someone front-ran it. A failed permit with any other allowance (a standing
/// unlimited approval, say) is refused: the buyer signed for `value`, not for
/// whatever the allowance allows.
pub fn permit_then_check<H: Host + ?Sized>(
    vm: &H,
    token: Address,
    owner: Address,
    value: U256,
    blob: &[u8],
) -> bool {
    let spender = vm.contract_address();
    let mut data = word_call(
        [0xd5, 0x05, 0xac, 0xcf],
        &[word(owner), word(spender), value],
    );
    data.extend_from_slice(blob);
    call(vm, Call::new().value(U256::ZERO), token, &data).is_ok()
        || token_allowance(vm, token, owner, spender) == value
}

/// Half the secp256k1 group order: larger `s` values are malleable (EIP-2).
pub const SECP256K1_HALF_N: U256 = U256::from_limbs([
    0xdfe9_2f46_681b_20a0,
    0x5d57_6e73_57a4_501d,
    0xffff_ffff_ffff_ffff,
    0x7fff_ffff_ffff_ffff,
]);

/// `bytes4(keccak256("isValidSignature(bytes32,bytes)"))`, EIP-1271's magic value.
pub const EIP1271_MAGIC: [u8; 4] = [0x16, 0x26, 0xba, 0x7e];

/// Whether `signature` authorises `digest` for `signer`, exactly as
/// OpenZeppelin's `SignatureChecker.isValidSignatureNow` decides: a 65-byte
/// `r ‖ s ‖ v` ECDSA signature (low `s`, `v` 27 or 28) recovering to `signer`
/// is valid whatever code `signer` has (so EIP-7702-delegated accounts still
/// sign with their key); otherwise a contract `signer` is asked
/// `isValidSignature(digest, signature)` with at most `gas`, and only a
/// successful answer of at least 32 bytes whose first word is the magic value
/// padded with zeros counts.
pub fn signature_valid<H: Host + ?Sized>(
    vm: &H,
    signer: Address,
    digest: B256,
    signature: &[u8],
    gas: u64,
) -> bool {
    if signature.len() == 65 {
        let v = signature[64];
        let s = U256::from_be_slice(&signature[32..64]);
        if s <= SECP256K1_HALF_N && (v == 27 || v == 28) {
            let mut input = [0u8; 128];
            input[..32].copy_from_slice(digest.as_slice());
            input[63] = v;
            input[64..].copy_from_slice(&signature[..64]);
            let ecrecover = Address::with_last_byte(1);
            if let Some(out) = view(vm, ecrecover, &input, u64::MAX) {
                if out.len() == 32 && !signer.is_zero() && out[12..] == signer.as_slice()[..] {
                    return true;
                }
            }
        }
    }
    if vm.code_size(signer) == 0 {
        return false;
    }
    let len = signature.len();
    let mut data = Vec::with_capacity(len.saturating_add(132));
    data.extend_from_slice(&EIP1271_MAGIC);
    data.extend_from_slice(digest.as_slice());
    data.extend_from_slice(&U256::from(64).to_be_bytes::<32>());
    data.extend_from_slice(&U256::from(len).to_be_bytes::<32>());
    data.extend_from_slice(signature);
    data.resize(len.next_multiple_of(32).saturating_add(100), 0);
    let mut magic = [0u8; 32];
    magic[..4].copy_from_slice(&EIP1271_MAGIC);
    matches!(view(vm, signer, &data, gas), Some(ret) if ret.len() >= 32 && ret[..32] == magic)
}

/// A big-endian unsigned integer of at most 16 bytes (packed storage words).
#[inline]
pub fn be(bytes: &[u8]) -> u128 {
    bytes
        .iter()
        .fold(0u128, |acc, &x| (acc << 8) | u128::from(x))
}

/// Writes the low `len ≤ 16` bytes of `v` big-endian at `out[at..at + len]`
/// (callers pass constants with `at + len ≤ 32`).
#[inline]
#[allow(clippy::arithmetic_side_effects)]
pub fn put(out: &mut [u8; 32], at: usize, len: usize, v: u128) {
    out[at..at + len].copy_from_slice(&v.to_be_bytes()[16 - len..]);
}

/// Pays out the credit in `token` (zero: ETH) kept at `slot` for `who` to
/// `to` (pull payment): zeroes it, emits `withdrawn(account indexed, to,
/// amount)`, then sends. `NothingToWithdraw` for an empty credit,
/// `WithdrawFailed(to)` when the transfer fails or `to` is zero (the whole
/// call reverts, credit kept).
pub fn withdraw_credit<H: Host + ?Sized>(
    vm: &H,
    token: Address,
    slot: U256,
    who: Address,
    to: Address,
    withdrawn: B256,
) -> Result<U256> {
    let amount = sload(vm, slot);
    if amount.is_zero() {
        return Err(err::<NothingToWithdraw>(&[]));
    }
    sstore(vm, slot, U256::ZERO);
    emit(
        vm,
        withdrawn,
        &[word(who)],
        &[Arg::W(word(to)), Arg::W(amount)],
    );
    if to.is_zero() || !transfer_out(vm, token, to, amount, u64::MAX) {
        return Err(err::<WithdrawFailed>(&[word(to)]));
    }
    Ok(amount)
}

/// Raw storage and events for any contract: `self.slot(..)`, `self.sload(..)`,
/// `self.sstore(..)`, `self.emit(..)` on top of the free functions above.
pub trait RawAccess: stylus_sdk::stylus_core::host::HostAccess {
    /// See [`emit`].
    fn emit(&self, signature: B256, indexed: &[U256], args: &[Arg<'_>]) {
        emit(self.vm(), signature, indexed, args);
    }

    /// See [`slot`].
    fn slot(&self, tag: u8, a: U256, b: U256, c: U256) -> U256 {
        slot(self.vm(), tag, a, b, c)
    }

    /// See [`sload`].
    fn sload(&self, at: U256) -> U256 {
        sload(self.vm(), at)
    }

    /// See [`sstore`].
    fn sstore(&self, at: U256, value: U256) {
        sstore(self.vm(), at, value);
    }
}

impl<T: stylus_sdk::stylus_core::host::HostAccess> RawAccess for T {}

#[cfg(test)]
mod tests {
    use alloy_primitives::address;

    use super::*;

    sol! {
        error Sample(address account, uint256 amount);
        event Ev(uint256 indexed id, uint64 at, bytes tasks, bytes payload);
    }

    #[test]
    fn revert_encoding_equals_sol_error_encoding() {
        let a = address!("00000000000000000000000000000000000000aa");
        assert_eq!(
            err::<Sample>(&[word(a), U256::from(7)]),
            Sample {
                account: a,
                amount: U256::from(7)
            }
            .abi_encode()
        );
        assert_eq!(bad_calldata(), InvalidCalldata {}.abi_encode());
        assert_eq!(
            unknown_function([1, 2, 3, 4]),
            UnknownFunction {
                selector: [1, 2, 3, 4].into()
            }
            .abi_encode()
        );
    }

    #[test]
    fn event_data_encoding_equals_alloy() {
        use alloy_sol_types::SolEvent;
        let e = Ev {
            id: U256::from(1),
            at: 9,
            tasks: vec![1u8, 2, 3, 4, 5].into(),
            payload: vec![7u8; 33].into(),
        };
        let data = encode_args(&[Arg::W(u(9u64)), Arg::B(&[1, 2, 3, 4, 5]), Arg::B(&[7; 33])]);
        assert_eq!(data, e.encode_data());
    }

    #[test]
    fn args_decode_strictly() {
        use alloy_sol_types::SolValue;
        let encoded = (
            U256::from(5),
            vec![1u32, 2],
            alloy_primitives::Bytes::from(vec![9u8, 8]),
        )
            .abi_encode_params();
        let a = Args(&encoded);
        assert_eq!(a.u64(0, 8).unwrap(), 5);
        assert_eq!(a.u32s(1).unwrap(), [1, 2]);
        assert_eq!(a.bytes(2).unwrap(), [9, 8]);
        assert_eq!(a.uint(0, 2), Err(bad_calldata()), "5 does not fit 2 bits");
        assert_eq!(a.word(9), Err(bad_calldata()), "past the end");
        let short = Args(&encoded[..encoded.len() - 31]);
        assert_eq!(short.bytes(2), Err(bad_calldata()));
        assert!(split_selector(&[1, 2, 3]).is_err());
    }
}
