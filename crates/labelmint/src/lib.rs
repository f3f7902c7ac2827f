//! # labelmint
//!
//! The command line of the labelmint marketplace: the demo of everything
//! that exists on the embedded local Stylus chain, the per-function gas
//! snapshot, the benchmarks, the on-chain commands, the quality tools on
//! labels files, and the Devnet drivers the contract tests use. The command
//! tree is [`cmd::Cli`]; the contract layer itself (bindings, calls,
//! signatures, events, revert names) is [`labelmint_client`].

pub mod artifacts;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod court;
pub mod demo;
pub mod export;
pub mod gas;
pub mod hub;
pub mod market;
pub mod modes;
pub mod output;
pub mod quality;
pub mod quality_cmd;
pub mod registry;
pub mod sim;
pub mod timelock;

pub use labelmint_client::{
    permit_blob, sign_permit, IRewardToken, Permit, RewardTokenConstructor,
};
