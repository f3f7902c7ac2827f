//! # RewardToken
//!
//! The ERC-20 in which labelmint pays annotators: a stable-value reward currency
//! that job creators escrow and annotators withdraw. It is an Arbitrum Stylus
//! program written with stylus-sdk 0.10.
//!
//! Features:
//! - ERC-20 with EIP-6093 custom errors. An allowance of `type(uint256).max` is
//!   infinite and never decremented. Like OpenZeppelin v5, spending an
//!   allowance in `transferFrom` emits no `Approval`; the `Transfer` records it.
//! - A supply cap fixed at construction (`0` means uncapped).
//! - Role-based access control: `DEFAULT_ADMIN_ROLE` administers every role,
//!   `MINTER_ROLE` may mint, `PAUSER_ROLE` may pause and unpause.
//! - `pause` blocks transfers, mints and burns; approvals and permits still work
//!   so that nobody's standing instructions are lost during an incident.
//! - EIP-2612 `permit` over an EIP-712 domain (name, version `"1"`, chain id,
//!   this contract), signatures recovered through the `ecrecover` precompile;
//!   expired deadlines, wrong signers, replays, bad `v` and high-`s` signatures
//!   revert with named errors. EIP-5267 `eip712Domain` describes the domain.
//!
//! The constructor takes the admin as an argument because, when deployed through
//! the StylusDeployer factory, `msg.sender` during construction is the factory.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main, no_std)]
#![warn(clippy::arithmetic_side_effects)]

extern crate alloc;

use alloc::vec::Vec;

use alloy_primitives::{address, b256, Address, B256, U256};
use stylus_sdk::keccak_const::Keccak256;

mod interface;
mod token;

pub use interface::*;
pub use token::RewardToken;

#[cfg(test)]
mod tests;

/// Role that administers every role (including itself): `bytes32(0)`.
pub const DEFAULT_ADMIN_ROLE: B256 = B256::ZERO;
/// Role allowed to mint: `keccak256("MINTER_ROLE")`.
pub const MINTER_ROLE: B256 = B256::new(Keccak256::new().update(b"MINTER_ROLE").finalize());
/// Role allowed to pause and unpause: `keccak256("PAUSER_ROLE")`.
pub const PAUSER_ROLE: B256 = B256::new(Keccak256::new().update(b"PAUSER_ROLE").finalize());

/// EIP-2612 `Permit` struct type hash.
pub const PERMIT_TYPEHASH: B256 = B256::new(
    Keccak256::new()
        .update(
            b"Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)",
        )
        .finalize(),
);
/// EIP-712 domain type hash (name, version, chainId, verifyingContract).
pub const EIP712_DOMAIN_TYPEHASH: B256 = B256::new(
    Keccak256::new()
        .update(
            b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
        )
        .finalize(),
);
/// The EIP-712 domain version of this token.
pub const EIP712_VERSION: &str = "1";
/// `keccak256("1")`, the hashed EIP-712 version.
pub const EIP712_VERSION_HASH: B256 = B256::new(
    Keccak256::new()
        .update(EIP712_VERSION.as_bytes())
        .finalize(),
);

/// Address of the `ecrecover` precompile.
pub const ECRECOVER: Address = address!("0000000000000000000000000000000000000001");
/// Half the secp256k1 group order: larger `s` values are malleable (EIP-2).
pub const SECP256K1_HALF_N: B256 =
    b256!("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");

/// Every way a RewardToken call can revert. Each variant ABI-encodes as the
/// Solidity custom error it wraps (see `From<RewardTokenError> for Vec<u8>`).
#[derive(Debug, PartialEq, Eq)]
pub enum RewardTokenError {
    /// `from` holds less than the amount moved.
    InsufficientBalance(ERC20InsufficientBalance),
    /// The zero address cannot send.
    InvalidSender(ERC20InvalidSender),
    /// The zero address cannot receive.
    InvalidReceiver(ERC20InvalidReceiver),
    /// The spender's allowance is smaller than the amount.
    InsufficientAllowance(ERC20InsufficientAllowance),
    /// The zero address cannot approve.
    InvalidApprover(ERC20InvalidApprover),
    /// The zero address cannot be approved.
    InvalidSpender(ERC20InvalidSpender),
    /// A mint would push the supply over the cap.
    ExceededCap(ERC20ExceededCap),
    /// The token is paused.
    EnforcedPause(EnforcedPause),
    /// `unpause` while not paused.
    ExpectedPause(ExpectedPause),
    /// The caller lacks the role.
    Unauthorized(AccessControlUnauthorizedAccount),
    /// `renounceRole` confirmation is not the caller.
    BadConfirmation(AccessControlBadConfirmation),
    /// The permit deadline has passed.
    ExpiredSignature(ERC2612ExpiredSignature),
    /// The permit was signed by someone other than `owner`.
    InvalidSigner(ERC2612InvalidSigner),
    /// The signature recovers to no address (or has a bad `v`).
    InvalidSignature(ECDSAInvalidSignature),
    /// The signature's `s` is in the upper half of the curve order.
    InvalidSignatureS(ECDSAInvalidSignatureS),
    /// The constructor was given the zero address as admin.
    InvalidAdmin(RewardTokenInvalidAdmin),
}

/// One 32-byte ABI word per argument: every error argument here is static.
fn word_address(a: Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a.as_slice());
    w
}

/// Revert data: `selector ‖ words`.
fn revert_data(selector: [u8; 4], words: &[[u8; 32]]) -> Vec<u8> {
    // At most 3 words: the capacity is a small constant.
    let mut out = Vec::with_capacity(100);
    out.extend_from_slice(&selector);
    for w in words {
        out.extend_from_slice(w);
    }
    out
}

/// ABI-encodes the error by hand. Every argument is a static word, so this is
/// exactly `SolError::abi_encode` (a unit test checks each variant against it)
/// while costing a fraction of the code of one generic encoder per error.
impl From<RewardTokenError> for Vec<u8> {
    fn from(error: RewardTokenError) -> Self {
        use alloy_sol_types::SolError as S;
        use RewardTokenError as E;
        let u = |v: U256| v.to_be_bytes::<32>();
        match error {
            E::InsufficientBalance(e) => revert_data(
                ERC20InsufficientBalance::SELECTOR,
                &[word_address(e.sender), u(e.balance), u(e.needed)],
            ),
            E::InvalidSender(e) => {
                revert_data(ERC20InvalidSender::SELECTOR, &[word_address(e.sender)])
            }
            E::InvalidReceiver(e) => {
                revert_data(ERC20InvalidReceiver::SELECTOR, &[word_address(e.receiver)])
            }
            E::InsufficientAllowance(e) => revert_data(
                ERC20InsufficientAllowance::SELECTOR,
                &[word_address(e.spender), u(e.allowance), u(e.needed)],
            ),
            E::InvalidApprover(e) => {
                revert_data(ERC20InvalidApprover::SELECTOR, &[word_address(e.approver)])
            }
            E::InvalidSpender(e) => {
                revert_data(ERC20InvalidSpender::SELECTOR, &[word_address(e.spender)])
            }
            E::ExceededCap(e) => revert_data(
                ERC20ExceededCap::SELECTOR,
                &[u(e.increasedSupply), u(e.cap)],
            ),
            E::EnforcedPause(_) => revert_data(EnforcedPause::SELECTOR, &[]),
            E::ExpectedPause(_) => revert_data(ExpectedPause::SELECTOR, &[]),
            E::Unauthorized(e) => revert_data(
                AccessControlUnauthorizedAccount::SELECTOR,
                &[word_address(e.account), e.neededRole.0],
            ),
            E::BadConfirmation(_) => revert_data(AccessControlBadConfirmation::SELECTOR, &[]),
            E::ExpiredSignature(e) => {
                revert_data(ERC2612ExpiredSignature::SELECTOR, &[u(e.deadline)])
            }
            E::InvalidSigner(e) => revert_data(
                ERC2612InvalidSigner::SELECTOR,
                &[word_address(e.signer), word_address(e.owner)],
            ),
            E::InvalidSignature(_) => revert_data(ECDSAInvalidSignature::SELECTOR, &[]),
            E::InvalidSignatureS(e) => revert_data(ECDSAInvalidSignatureS::SELECTOR, &[e.s.0]),
            E::InvalidAdmin(e) => {
                revert_data(RewardTokenInvalidAdmin::SELECTOR, &[word_address(e.admin)])
            }
        }
    }
}

/// The errors are declared in `IRewardTokenEvents`; nothing to list here.
#[cfg(feature = "export-abi")]
impl stylus_sdk::abi::export::internal::InnerTypes for RewardTokenError {}

/// Shorthand for results of this contract.
pub type Result<T, E = RewardTokenError> = core::result::Result<T, E>;
