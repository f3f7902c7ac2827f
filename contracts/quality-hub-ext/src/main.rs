//! `cargo stylus export-abi` for the QualityHub extension: it has no
//! interface of its own (it implements part of the hub's, at the hub's
//! address) and no constructor, so it prints an empty interface.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]

#[cfg(feature = "export-abi")]
fn main() {
    if std::env::args().any(|a| a == "constructor") {
        return;
    }
    println!("// The QualityHub extension runs by DELEGATECALL from the hub;");
    println!("// its functions are part of abi/QualityHub.sol.");
    println!("interface IQualityHubExtension {{}}");
}
