//! `cargo stylus export-abi` for the QualityCourt extension: it has no
//! interface of its own (it implements part of the court's, at the court's
//! address) and no constructor, so it prints an empty interface.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]

#[cfg(feature = "export-abi")]
fn main() {
    if std::env::args().any(|a| a == "constructor") {
        return;
    }
    println!("// The QualityCourt extension runs by DELEGATECALL from the court;");
    println!("// its functions are part of abi/QualityCourt.sol.");
    println!("interface IQualityCourtExtension {{}}");
}
