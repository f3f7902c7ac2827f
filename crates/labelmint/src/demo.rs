//! `labelmint demo`: the lifecycle that exists so far, on the embedded chain.
//!
//! Today that is the reward currency: the RewardToken is deployed the way
//! `cargo stylus deploy` does it (one StylusDeployer transaction that creates,
//! activates and constructs), a job creator is funded, annotators are paid,
//! an annotator approves a spender with a gasless EIP-2612 permit that a
//! relayer submits, and an incident pause blocks transfers until lifted. The
//! AnnotationMarket, quality and registry steps join as those contracts land;
//! nothing here pretends they exist.

use std::fmt::Write as _;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolConstructor};
use anyhow::{anyhow, Result};
use labelmint_devnet::{Devnet, Receipt};

use crate::{artifacts, sign_permit, IRewardToken, Permit, RewardTokenConstructor};

/// One line of the report.
struct Step {
    what: String,
    receipt: Receipt,
}

/// Formats token base units (18 decimals) as a decimal string.
fn tokens(v: U256) -> String {
    let unit = U256::from(10u64).pow(U256::from(18));
    let whole = v / unit;
    let frac = (v % unit) / U256::from(10u64).pow(U256::from(14));
    format!("{whole}.{frac:0>4}")
}

fn short(a: Address) -> String {
    let s = a.to_string();
    format!("{}…{}", &s[..6], &s[s.len() - 4..])
}

/// Runs the demo and returns the report text.
#[allow(clippy::too_many_lines)]
pub fn run() -> Result<String> {
    let mut out = String::new();
    let (wasm, rebuilt) = artifacts::program("reward_token")?;
    let mut chain = Devnet::new();
    let admin = chain.account(0);
    let creator = chain.account(1);
    let annotators = [chain.account(2), chain.account(3), chain.account(4)];
    let relayer = chain.account(5);
    let market_stand_in = chain.account(6);

    writeln!(
        out,
        "labelmint demo — embedded Stylus devnet (revm + wasmi), chain id {}",
        chain.chain_id()
    )?;
    writeln!(
        out,
        "RewardToken program: {} bytes of wasm ({}), {} bytes deployed (brotli)",
        wasm.len(),
        if rebuilt {
            "just built"
        } else {
            "reused from target/stylus"
        },
        labelmint_wasm::to_stylus_code(&wasm).len()
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "accounts: admin {}, job creator {}, annotators {}, {}, {}, relayer {}",
        short(admin),
        short(creator),
        short(annotators[0]),
        short(annotators[1]),
        short(annotators[2]),
        short(relayer)
    )?;
    writeln!(out)?;

    let mut steps: Vec<Step> = Vec::new();
    let unit = U256::from(10u64).pow(U256::from(18));

    // 1. Deploy like cargo-stylus: StylusDeployer creates, activates, constructs.
    let args = RewardTokenConstructor::constructorCall {
        name: "labelmint Reward".into(),
        symbol: "LMR".into(),
        decimals: 18,
        cap: unit * U256::from(1_000_000u64),
        admin,
    }
    .abi_encode();
    let (token, receipt) = chain
        .deploy_via_deployer(admin, &wasm, &args, U256::ZERO, B256::ZERO, unit)
        .map_err(|e| anyhow!("deploy: {e}"))?;
    steps.push(Step {
        what: format!("deploy + activate + construct RewardToken at {token} (StylusDeployer)"),
        receipt,
    });

    let balances = |chain: &mut Devnet| -> Result<Vec<(String, U256)>> {
        let mut v = Vec::new();
        for (name, who) in [
            ("job creator", creator),
            ("annotator 1", annotators[0]),
            ("annotator 2", annotators[1]),
            ("annotator 3", annotators[2]),
        ] {
            let b = chain
                .read(token, &IRewardToken::balanceOfCall { account: who })
                .map_err(|e| anyhow!("balanceOf: {e}"))?;
            v.push((name.to_string(), b));
        }
        Ok(v)
    };
    let before = balances(&mut chain)?;

    let send = |chain: &mut Devnet,
                steps: &mut Vec<Step>,
                from: Address,
                what: String,
                data: Vec<u8>|
     -> Result<()> {
        let receipt = chain
            .send(
                from,
                Some(token),
                U256::ZERO,
                data,
                labelmint_devnet::chain::DEFAULT_TX_GAS,
            )
            .map_err(|e| anyhow!("{what}: {e}"))?;
        steps.push(Step { what, receipt });
        Ok(())
    };

    // 2. Fund the job creator's bounty budget.
    send(
        &mut chain,
        &mut steps,
        admin,
        "mint 1,000 LMR bounty budget to the job creator".into(),
        IRewardToken::mintCall {
            to: creator,
            value: unit * U256::from(1_000u64),
        }
        .abi_encode(),
    )?;

    // 3. Pay annotators (direct payouts until the AnnotationMarket lands).
    for (i, (who, amount)) in annotators.iter().zip([120u64, 80, 40]).enumerate() {
        send(
            &mut chain,
            &mut steps,
            creator,
            format!(
                "creator pays annotator {} {amount} LMR for approved labels",
                i + 1
            ),
            IRewardToken::transferCall {
                to: *who,
                value: unit * U256::from(amount),
            }
            .abi_encode(),
        )?;
    }

    // 4. Gasless approval: annotator 1 signs a permit, the relayer submits it.
    let owner_key = chain.accounts()[2].key;
    let deadline = U256::from(chain.timestamp() + 3_600);
    let value = unit * U256::from(50u64);
    let permit = sign_permit(
        &owner_key,
        token,
        chain.chain_id(),
        Permit {
            owner: annotators[0],
            spender: market_stand_in,
            value,
            nonce: U256::ZERO,
            deadline,
        },
    )?;
    send(
        &mut chain,
        &mut steps,
        relayer,
        "relayer submits annotator 1's signed permit (50 LMR to a spender)".into(),
        permit.abi_encode(),
    )?;
    send(
        &mut chain,
        &mut steps,
        market_stand_in,
        "spender pulls 50 LMR from annotator 1 (transferFrom)".into(),
        IRewardToken::transferFromCall {
            from: annotators[0],
            to: annotators[2],
            value,
        }
        .abi_encode(),
    )?;

    // 5. Incident: pause blocks transfers (named revert), unpause restores.
    send(
        &mut chain,
        &mut steps,
        admin,
        "pauser pauses the token".into(),
        IRewardToken::pauseCall {}.abi_encode(),
    )?;
    send(
        &mut chain,
        &mut steps,
        creator,
        "transfer while paused (expected to revert: EnforcedPause)".into(),
        IRewardToken::transferCall {
            to: annotators[1],
            value: unit,
        }
        .abi_encode(),
    )?;
    send(
        &mut chain,
        &mut steps,
        admin,
        "pauser unpauses".into(),
        IRewardToken::unpauseCall {}.abi_encode(),
    )?;

    let after = balances(&mut chain)?;

    writeln!(out, "| # | step | tx | status | gas |")?;
    writeln!(out, "|---|---|---|---|---:|")?;
    let mut total = 0u64;
    for (i, s) in steps.iter().enumerate() {
        let status = if s.receipt.success {
            "ok".to_string()
        } else if s.receipt.reverted_with(&IRewardToken::EnforcedPause {}) {
            "reverted: EnforcedPause()".to_string()
        } else {
            format!("failed {:?}", s.receipt.halt)
        };
        let hash = s.receipt.tx_hash.to_string();
        writeln!(
            out,
            "| {} | {} | {}… | {status} | {} |",
            i + 1,
            s.what,
            &hash[..12],
            s.receipt.gas_used
        )?;
        total += s.receipt.gas_used;
    }
    writeln!(out, "|   | total | | | {total} |")?;
    writeln!(out)?;
    writeln!(out, "| holder | LMR before | LMR after |")?;
    writeln!(out, "|---|---:|---:|")?;
    for ((name, b), (_, a)) in before.iter().zip(&after) {
        writeln!(out, "| {name} | {} | {} |", tokens(*b), tokens(*a))?;
    }
    let supply = chain
        .read(token, &IRewardToken::totalSupplyCall {})
        .map_err(|e| anyhow!("totalSupply: {e}"))?;
    writeln!(out)?;
    writeln!(
        out,
        "total supply {} LMR; every step above is a real transaction on the embedded chain.",
        tokens(supply)
    )?;
    writeln!(out, "Not yet on chain (open issues): AnnotationMarket (#4), quality and staking (#5), DatasetRegistry (#6).")?;
    if steps.iter().filter(|s| !s.receipt.success).count() != 1 {
        return Err(anyhow!("unexpected failures in the demo:\n{out}"));
    }
    Ok(out)
}
