//! # AnnotationMarket
//!
//! The program users call for labelmint's **review** mode: jobs with escrowed
//! bounties, claims, submissions (direct or relayed with one signature per
//! batch), reviews that pay at once, and withdrawals. Every other selector of
//! the market's ABI (disputes and rulings, cancellation, claim release,
//! admin, nonce invalidation, views) is handed by `DELEGATECALL` to the
//! extension program (`annotation-market-ext`) named at construction, which
//! runs in this program's storage: one contract to its users, two programs
//! because the whole does not fit Stylus's 24 KiB code limit. The rules,
//! interface and storage layout both programs share are in
//! `labelmint-market-common`.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main, no_std)]
#![warn(clippy::arithmetic_side_effects)]

extern crate alloc;

mod market;

pub use market::AnnotationMarket;
pub use market_common::*;

/// JSON ABI of every function, event and custom error of the market (both
/// programs: the interface is one).
#[cfg(feature = "export-abi")]
pub fn events_and_errors_abi() -> alloy_json_abi::JsonAbi {
    market_common::events_and_errors_abi()
}

/// `cargo stylus export-abi` text for the functions: empty, because the
/// market routes calls itself and declares its functions in the `sol!`
/// interface, which `events_and_errors_abi` includes.
#[cfg(feature = "export-abi")]
pub fn functions_sol() -> alloc::string::String {
    alloc::string::String::new()
}

/// The constructor signature as `cargo stylus export-abi constructor` prints it.
#[cfg(feature = "export-abi")]
pub fn constructor_sol() -> alloc::string::String {
    use alloc::string::ToString;
    use stylus_sdk::abi::export::GenerateAbi;
    struct Printer;
    impl core::fmt::Display for Printer {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            <crate::AnnotationMarket as GenerateAbi>::fmt_constructor_signature(f)
        }
    }
    Printer.to_string()
}
