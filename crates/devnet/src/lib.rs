//! # labelmint-devnet
//!
//! A local Arbitrum Stylus chain in one process (issue #8, in progress):
//! accounts, balances and EVM bytecode run on revm; Stylus programs
//! (`0xEFF000 ‖ 0x00 ‖ brotli(wasm)`) run on wasmi behind revm's precompile
//! hook, with ink metered by instrumentation at Arbitrum's published prices
//! ([`pricing`], [`meter`]), every `vm_hooks` import ([`host`]) and the ArbWasm
//! precompile ([`precompiles`]).

pub mod budget;
pub mod chain;
pub mod deployer;
pub mod evm;
pub mod host;
pub mod meter;
pub mod precompiles;
pub mod pricing;
pub mod program;
pub use chain::{address_of_key, ChainError, DevAccount, Devnet, Receipt};
