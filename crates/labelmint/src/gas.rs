//! The gas snapshot: gasUsed of every contract function in named scenarios,
//! measured on the embedded chain with the real programs, one line each
//! (`Contract::function(scenario) (gas: N)`), committed as `.gas-snapshot`.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolConstructor};
use anyhow::{anyhow, Result};
use labelmint_devnet::{chain::DEFAULT_TX_GAS, Devnet, Receipt};

use crate::{artifacts, sign_permit, IRewardToken, Permit, RewardTokenConstructor};

/// Named measurements, sorted by name.
pub type Snapshot = BTreeMap<String, u64>;

struct Recorder<'a> {
    chain: &'a mut Devnet,
    token: Address,
    snapshot: Snapshot,
}

impl Recorder<'_> {
    fn tx(
        &mut self,
        name: &str,
        from: Address,
        data: Vec<u8>,
        expect_success: bool,
    ) -> Result<Receipt> {
        let r = self
            .chain
            .send(from, Some(self.token), U256::ZERO, data, DEFAULT_TX_GAS)
            .map_err(|e| anyhow!("{name}: {e}"))?;
        if r.success != expect_success {
            return Err(anyhow!("{name}: unexpected outcome {r:?}"));
        }
        self.snapshot
            .insert(format!("RewardToken::{name}"), r.gas_used);
        Ok(r)
    }
}

/// Measures every RewardToken, AnnotationMarket, DatasetRegistry, QualityHub,
/// QualityCourt and Timelock function.
#[allow(clippy::too_many_lines)]
pub fn measure() -> Result<Snapshot> {
    let (wasm, _) = artifacts::program("reward_token")?;
    let mut chain = Devnet::new();
    let admin = chain.account(0);
    let (alice, bob, carol) = (chain.account(1), chain.account(2), chain.account(3));
    let unit = U256::from(10u64).pow(U256::from(18));
    let args = RewardTokenConstructor::constructorCall {
        name: "labelmint Reward".into(),
        symbol: "LMR".into(),
        decimals: 18,
        cap: U256::ZERO,
        admin,
    }
    .abi_encode();
    let mut snapshot = Snapshot::new();
    let (token, r) = chain
        .deploy_via_deployer(admin, &wasm, &args, U256::ZERO, B256::ZERO, unit)
        .map_err(|e| anyhow!("deploy: {e}"))?;
    snapshot.insert(
        "RewardToken::deploy(StylusDeployer, first activation)".into(),
        r.gas_used,
    );
    let (_, r) = chain
        .deploy_via_deployer(
            admin,
            &wasm,
            &args,
            U256::ZERO,
            B256::repeat_byte(1),
            U256::ZERO,
        )
        .map_err(|e| anyhow!("deploy again: {e}"))?;
    snapshot.insert(
        "RewardToken::deploy(StylusDeployer, already activated)".into(),
        r.gas_used,
    );

    let mut rec = Recorder {
        chain: &mut chain,
        token,
        snapshot,
    };
    let v = |n: u64| U256::from(n) * unit;
    rec.tx(
        "mint(new holder)",
        admin,
        IRewardToken::mintCall {
            to: alice,
            value: v(1_000),
        }
        .abi_encode(),
        true,
    )?;
    rec.tx(
        "mint(existing holder)",
        admin,
        IRewardToken::mintCall {
            to: alice,
            value: v(1_000),
        }
        .abi_encode(),
        true,
    )?;
    rec.tx(
        "transfer(new holder)",
        alice,
        IRewardToken::transferCall {
            to: bob,
            value: v(10),
        }
        .abi_encode(),
        true,
    )?;
    rec.tx(
        "transfer(existing holder)",
        alice,
        IRewardToken::transferCall {
            to: bob,
            value: v(10),
        }
        .abi_encode(),
        true,
    )?;
    rec.tx(
        "transfer(reverts: insufficient balance)",
        carol,
        IRewardToken::transferCall {
            to: bob,
            value: v(1),
        }
        .abi_encode(),
        false,
    )?;
    rec.tx(
        "approve(fresh)",
        alice,
        IRewardToken::approveCall {
            spender: carol,
            value: v(100),
        }
        .abi_encode(),
        true,
    )?;
    rec.tx(
        "transferFrom(finite allowance)",
        carol,
        IRewardToken::transferFromCall {
            from: alice,
            to: bob,
            value: v(10),
        }
        .abi_encode(),
        true,
    )?;
    rec.tx(
        "approve(max)",
        alice,
        IRewardToken::approveCall {
            spender: carol,
            value: U256::MAX,
        }
        .abi_encode(),
        true,
    )?;
    rec.tx(
        "transferFrom(max allowance)",
        carol,
        IRewardToken::transferFromCall {
            from: alice,
            to: bob,
            value: v(10),
        }
        .abi_encode(),
        true,
    )?;
    rec.tx(
        "burn",
        alice,
        IRewardToken::burnCall { value: v(1) }.abi_encode(),
        true,
    )?;
    rec.tx(
        "burnFrom",
        carol,
        IRewardToken::burnFromCall {
            account: alice,
            value: v(1),
        }
        .abi_encode(),
        true,
    )?;

    let owner = rec.chain.accounts()[2];
    let deadline = U256::from(rec.chain.timestamp() + 3_600);
    let permit = sign_permit(
        &owner.key,
        token,
        rec.chain.chain_id(),
        Permit {
            owner: owner.address,
            spender: carol,
            value: v(5),
            nonce: U256::ZERO,
            deadline,
        },
    )?;
    rec.tx("permit", carol, permit.abi_encode(), true)?;
    let role = alloy_primitives::keccak256("MINTER_ROLE");
    rec.tx(
        "grantRole",
        admin,
        IRewardToken::grantRoleCall {
            role,
            account: carol,
        }
        .abi_encode(),
        true,
    )?;
    rec.tx(
        "revokeRole",
        admin,
        IRewardToken::revokeRoleCall {
            role,
            account: carol,
        }
        .abi_encode(),
        true,
    )?;
    rec.tx(
        "grantRole(unauthorized)",
        carol,
        IRewardToken::grantRoleCall {
            role,
            account: carol,
        }
        .abi_encode(),
        false,
    )?;
    rec.tx(
        "pause",
        admin,
        IRewardToken::pauseCall {}.abi_encode(),
        true,
    )?;
    rec.tx(
        "transfer(reverts: paused)",
        alice,
        IRewardToken::transferCall {
            to: bob,
            value: v(1),
        }
        .abi_encode(),
        false,
    )?;
    rec.tx(
        "unpause",
        admin,
        IRewardToken::unpauseCall {}.abi_encode(),
        true,
    )?;
    rec.tx(
        "renounceRole",
        admin,
        IRewardToken::renounceRoleCall {
            role,
            caller_confirmation: admin,
        }
        .abi_encode(),
        true,
    )?;
    rec.tx(
        "balanceOf(as transaction)",
        alice,
        IRewardToken::balanceOfCall { account: alice }.abi_encode(),
        true,
    )?;
    rec.tx(
        "name(as transaction)",
        alice,
        IRewardToken::nameCall {}.abi_encode(),
        true,
    )?;
    let mut snapshot = rec.snapshot;
    crate::market::measure_gas(&mut snapshot)?;
    crate::registry::measure_gas(&mut snapshot)?;
    crate::hub::measure_gas(&mut snapshot)?;
    crate::court::measure_gas(&mut snapshot)?;
    crate::timelock::measure_gas(&mut snapshot)?;
    Ok(snapshot)
}

/// The snapshot file's text.
pub fn render(snapshot: &Snapshot) -> String {
    use std::fmt::Write as _;
    snapshot.iter().fold(String::new(), |mut out, (name, gas)| {
        let _ = writeln!(out, "{name} (gas: {gas})");
        out
    })
}
