//! # labelmint
//!
//! The command line of the labelmint marketplace. Today it runs the demo of
//! everything that exists on the embedded local Stylus chain, and produces the
//! per-function gas snapshot of the contracts.

pub mod artifacts;
pub mod cli;
pub mod court;
pub mod demo;
pub mod export;
pub mod gas;
pub mod hub;
pub mod market;
pub mod quality;
pub mod registry;
pub mod sim;

use alloy_primitives::{Address, B256};
use alloy_sol_types::{eip712_domain, sol, SolStruct};

sol!(
    #[sol(all_derives)]
    "../../abi/RewardToken.sol"
);

sol! {
    /// The EIP-2612 permit struct.
    struct Permit { address owner; address spender; uint256 value; uint256 nonce; uint256 deadline; }
}

/// The `permit` blob of `createJobWithPermit` / `purchaseWithPermit`:
/// `abi.encode(uint256 deadline, uint8 v, bytes32 r, bytes32 s)`.
pub fn permit_blob(permit: &IRewardToken::permitCall) -> Vec<u8> {
    [
        permit.deadline.to_be_bytes::<32>().to_vec(),
        alloy_primitives::U256::from(permit.v)
            .to_be_bytes::<32>()
            .to_vec(),
        permit.r.to_vec(),
        permit.s.to_vec(),
    ]
    .concat()
}

/// Signs an EIP-2612 permit for the RewardToken named `labelmint Reward`
/// at `token` on `chain_id` with `key`, returning the `permit` call.
pub fn sign_permit(
    key: &B256,
    token: Address,
    chain_id: u64,
    permit: Permit,
) -> anyhow::Result<IRewardToken::permitCall> {
    let domain = eip712_domain! {
        name: "labelmint Reward",
        version: "1",
        chain_id: chain_id,
        verifying_contract: token,
    };
    let digest = permit.eip712_signing_hash(&domain);
    let signing = k256::ecdsa::SigningKey::from_slice(key.as_slice())?;
    let (sig, recid) = signing.sign_prehash_recoverable(digest.as_slice())?;
    let rs = sig.to_bytes();
    Ok(IRewardToken::permitCall {
        owner: permit.owner,
        spender: permit.spender,
        value: permit.value,
        deadline: permit.deadline,
        v: 27 + recid.to_byte(),
        r: B256::from_slice(&rs[..32]),
        s: B256::from_slice(&rs[32..]),
    })
}
