//! Prints the Solidity interface of the RewardToken (`cargo stylus export-abi`).
//!
//! The complete ABI (events, errors and constructor included) is produced by
//! `cargo xtask abi`; this binary exists for cargo-stylus compatibility.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]

#[cfg(feature = "export-abi")]
fn main() {
    stylus_sdk::abi::export::handle_license_and_pragma();
    stylus_sdk::abi::export::print_from_args::<reward_token::RewardToken>();
}
