//! # labelmint-devnet
//!
//! A local Arbitrum Stylus chain in one process: accounts, balances and EVM
//! bytecode run on revm; Stylus programs (`0xEFF000 ‖ 0x00 ‖ brotli(wasm)`)
//! run on wasmi behind revm's precompile hook, instrumented and priced as
//! Nitro instruments and prices them ([`meter`], [`pricing`]), with Nitro's
//! entry, memory and activation formulas and default parameters ([`params`],
//! [`program`]), every `vm_hooks` import ([`host`]) and the ArbWasm and
//! ArbWasmCache precompiles ([`precompiles`]).

pub mod budget;
pub mod chain;
pub mod deployer;
pub mod evm;
pub mod host;
pub mod meter;
pub mod params;
pub mod precompiles;
pub mod pricing;
pub mod program;
pub use chain::{
    address_of_key, AccountState, BlockRecord, ChainError, ChainState, DevAccount, Devnet, Receipt,
};
pub use precompiles::{StylusFailure, StylusTrace};
