//! # labelmint
//!
//! The command line of the labelmint marketplace. Today it runs the demo of
//! everything that exists on the embedded local Stylus chain, and produces the
//! per-function gas snapshot of the contracts.

pub mod artifacts;
pub mod demo;
pub mod gas;

use alloy_sol_types::sol;

sol!(
    #[sol(all_derives)]
    "../../abi/RewardToken.sol"
);
