//! The RewardToken: bindings generated from `abi/RewardToken.sol` and the
//! EIP-2612 permit.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{eip712_domain, sol, SolStruct};

use crate::SignError;

sol!(
    #[sol(all_derives)]
    "../../abi/RewardToken.sol"
);

sol! {
    /// The EIP-2612 permit struct.
    struct Permit { address owner; address spender; uint256 value; uint256 nonce; uint256 deadline; }
}

/// EIP-712 domain name of the RewardToken.
pub const DOMAIN_NAME: &str = "labelmint Reward";

/// The `permit` blob of `createJobWithPermit` / `purchaseWithPermit`:
/// `abi.encode(uint256 deadline, uint8 v, bytes32 r, bytes32 s)`.
pub fn permit_blob(permit: &IRewardToken::permitCall) -> Vec<u8> {
    [
        permit.deadline.to_be_bytes::<32>().to_vec(),
        U256::from(permit.v).to_be_bytes::<32>().to_vec(),
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
) -> Result<IRewardToken::permitCall, SignError> {
    let domain = eip712_domain! {
        name: DOMAIN_NAME,
        version: "1",
        chain_id: chain_id,
        verifying_contract: token,
    };
    let sig = crate::sign_digest(key, permit.eip712_signing_hash(&domain))?;
    Ok(IRewardToken::permitCall {
        owner: permit.owner,
        spender: permit.spender,
        value: permit.value,
        deadline: permit.deadline,
        v: sig[64],
        r: B256::from_slice(&sig[..32]),
        s: B256::from_slice(&sig[32..64]),
    })
}
