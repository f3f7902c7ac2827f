//! `labelmint token …`: the RewardToken (LMR) the hub stakes and pays in —
//! balances, minting (holders of the minter role) and transfers.

use alloy_primitives::{Address, U256};
use anyhow::Result;
use clap::Subcommand;
use serde_json::json;

use super::{Chain, Ctx};
use crate::output::emit;
use crate::IRewardToken;

/// `labelmint token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// The RewardToken's address (for `labelmint arbiter register --token`)
    #[command(
        after_help = "Example:\n  labelmint arbiter register --token $(labelmint token address) --fee 1000 --bond 1000"
    )]
    Address,
    /// Balance of an account in token wei
    #[command(after_help = "Examples:\n  labelmint token balance\n  labelmint token balance 0x…")]
    Balance {
        /// Account [default: you]
        who: Option<Address>,
    },
    /// Mint tokens (accounts with the minter role; the deployer has it)
    #[command(after_help = "Example:\n  labelmint token mint 0x… 1000000000000000000")]
    Mint {
        /// Recipient
        to: Address,
        /// Amount in token wei
        amount: U256,
    },
    /// Transfer tokens
    #[command(after_help = "Example:\n  labelmint token transfer 0x… 1000000000000000000")]
    Transfer {
        /// Recipient
        to: Address,
        /// Amount in token wei
        amount: U256,
    },
}

/// Runs `labelmint token <sub>`.
pub fn run(ctx: &Ctx, cmd: &TokenCmd) -> Result<()> {
    let c = Chain::connect(ctx)?;
    let token = super::hub::token_address(ctx, &c)?;
    let balance = |who: Address| c.call(token, &IRewardToken::balanceOfCall { account: who });
    match cmd {
        TokenCmd::Address => emit(token, json!({"token": token})),
        TokenCmd::Balance { who } => {
            let who = who.unwrap_or(c.from);
            let b = balance(who)?;
            emit(b, json!({"account": who, "balance": b.to_string()}));
        }
        TokenCmd::Mint { to, amount } => {
            c.send(
                token,
                &IRewardToken::mintCall {
                    to: *to,
                    value: *amount,
                },
                U256::ZERO,
            )?;
            let b = balance(*to)?;
            emit(b, json!({"account": to, "balance": b.to_string()}));
            eprintln!("minted {amount} to {to}");
        }
        TokenCmd::Transfer { to, amount } => {
            c.send(
                token,
                &IRewardToken::transferCall {
                    to: *to,
                    value: *amount,
                },
                U256::ZERO,
            )?;
            let b = balance(c.from)?;
            emit(b, json!({"account": c.from, "balance": b.to_string()}));
            eprintln!("sent {amount} to {to}");
        }
    }
    Ok(())
}
