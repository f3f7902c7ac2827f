//! Prints the Solidity interface of the Timelock (`cargo stylus export-abi`).
//!
//! With `--labelmint-abi` it prints the pieces `cargo xtask abi` assembles
//! into the complete ABI instead: a JSON object with the exported functions,
//! the constructor signature, and the JSON ABI of every event and error.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]

#[cfg(feature = "export-abi")]
fn main() {
    if std::env::args().nth(1).as_deref() == Some("--labelmint-abi") {
        let pieces = serde_json::json!({
            "functions": timelock::functions_sol(),
            "constructor": timelock::constructor_sol(),
            "events_and_errors": timelock::events_and_errors_abi(),
        });
        println!("{pieces}");
        return;
    }
    stylus_sdk::abi::export::handle_license_and_pragma();
    stylus_sdk::abi::export::print_from_args::<timelock::Timelock>();
}
