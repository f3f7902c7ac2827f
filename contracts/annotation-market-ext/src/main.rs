//! `cargo stylus export-abi` for the AnnotationMarket extension: it has no
//! interface of its own (it implements part of the market's, at the market's
//! address) and no constructor, so it prints an empty interface.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]

#[cfg(feature = "export-abi")]
fn main() {
    if std::env::args().any(|a| a == "constructor") {
        return;
    }
    println!("// The AnnotationMarket extension runs by DELEGATECALL from the market;");
    println!("// its functions are part of abi/AnnotationMarket.sol.");
    println!("interface IAnnotationMarketExtension {{}}");
}
