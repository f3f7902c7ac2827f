//! # labelmint-client
//!
//! The contract layer every labelmint program shares — the CLI, the API
//! server, the demo and the tests — with no transport in it: `sol!`
//! bindings generated from the checked-in `abi/` of every program, their
//! constants, call builders, EIP-712 digests and signatures, event decoding
//! into typed records ([`events`]), the revert names of every program
//! ([`revert`]) and the deployments manifest ([`deployments`]). Whoever
//! holds a provider (alloy over JSON-RPC, or the embedded chain) encodes with
//! these types and sends.

pub mod court;
pub mod deployments;
pub mod events;
pub mod hub;
pub mod market;
pub mod registry;
pub mod revert;
pub mod timelock;
pub mod token;

use alloy_primitives::{Bytes, B256};

pub use token::{permit_blob, sign_permit, IRewardToken, Permit, RewardTokenConstructor};

/// Why a signature could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The key is not a valid secp256k1 secret key.
    #[error("invalid secp256k1 key: {0}")]
    Key(String),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Sign(String),
}

/// Signs a 32-byte `digest` with `key`: 65 bytes `r ‖ s ‖ v` (v = 27/28,
/// low s), what the market and the token verify.
pub fn sign_digest(key: &B256, digest: B256) -> Result<Bytes, SignError> {
    let signing = k256::ecdsa::SigningKey::from_slice(key.as_slice())
        .map_err(|e| SignError::Key(e.to_string()))?;
    let (sig, recid) = signing
        .sign_prehash_recoverable(digest.as_slice())
        .map_err(|e| SignError::Sign(e.to_string()))?;
    let mut out = sig.to_bytes().to_vec();
    out.push(27 + recid.to_byte());
    Ok(out.into())
}
