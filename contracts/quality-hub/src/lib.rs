//! # QualityHub
//!
//! The program users call for labelmint's **consensus** modes (majority vote
//! with gold tasks, escalation to an expert): annotators stake, commit hidden
//! votes, reveal them, and each batch is settled against the votes, the
//! creator's gold key and the arbiter's rulings. This program holds the hot
//! paths (stake, commit, reveal, settle, forfeit, withdraw); every other
//! selector of the hub's ABI (jobs, the gold key, rulings, closing, slash
//! shares, unstaking, views) runs in `quality-hub-ext` by `DELEGATECALL`, in
//! this program's storage: one contract to its users, two programs because
//! the whole does not fit Stylus's 24 KiB code limit. The rules, interface
//! and layout both share are in `labelmint-hub-common`.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main, no_std)]
#![warn(clippy::arithmetic_side_effects)]

extern crate alloc;

mod hub;

pub use hub::QualityHub;
pub use hub_common::*;

/// JSON ABI of every function, event and custom error of the hub (both
/// programs: the interface is one).
#[cfg(feature = "export-abi")]
pub fn events_and_errors_abi() -> alloy_json_abi::JsonAbi {
    hub_common::events_and_errors_abi()
}

/// `cargo stylus export-abi` text for the functions: empty, because the hub
/// routes calls itself and declares them in the `sol!` interface.
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
            <crate::QualityHub as GenerateAbi>::fmt_constructor_signature(f)
        }
    }
    Printer.to_string()
}
