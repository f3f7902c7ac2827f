//! # QualityCourt
//!
//! The program users call for labelmint's **optimistic** modes (geometry,
//! free text, Dawid–Skene and reputation-weighted votes judged off chain,
//! random audits, expert review): an oracle posts each batch's result as a
//! Merkle root, anyone may dispute it, the job's arbiter rules. This program
//! holds the hot paths (post, seed reveal, dispute, ruling, finalize, claim,
//! withdraw); every other selector of the court's ABI (jobs, funding,
//! expiry, closing, views) runs in `quality-court-ext` by `DELEGATECALL`, in
//! this program's storage. The rules, interface and layout both share are in
//! `labelmint-court-common`.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main, no_std)]
#![warn(clippy::arithmetic_side_effects)]

extern crate alloc;

mod court;

pub use court::QualityCourt;
pub use court_common::*;

/// JSON ABI of every function, event and custom error of the court (both
/// programs: the interface is one).
#[cfg(feature = "export-abi")]
pub fn events_and_errors_abi() -> alloy_json_abi::JsonAbi {
    court_common::events_and_errors_abi()
}

/// `cargo stylus export-abi` text for the functions: empty, because the
/// court routes calls itself and declares them in the `sol!` interface.
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
            <crate::QualityCourt as GenerateAbi>::fmt_constructor_signature(f)
        }
    }
    Printer.to_string()
}
