//! `cargo run --release -p labelmint-devnet --bin devnet-figures [wasm…]`
//!
//! Prints, for each program (by default every `target/stylus/*.wasm`), what
//! the devnet computes with Nitro's formulas at activation: the module
//! figures, the stored costs, the entry gas of a call uncached and cached
//! (first program of a transaction: memory for its footprint included), the
//! activation's gasUsed and its data fee.

use std::path::PathBuf;

use labelmint_devnet::{
    params::Pages,
    precompiles::{ArbWasm, ARB_WASM},
    program, Devnet,
};
use revm::primitives::keccak256;

fn main() {
    let mut paths: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        let dir = PathBuf::from("target/stylus");
        // The default programs must be built from the tree's sources.
        if let Err(e) = labelmint_wasm::sources::check_current(std::path::Path::new("."), &dir) {
            eprintln!("{e}");
            std::process::exit(2);
        }
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask wasm` first", dir.display()))
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
            .collect();
        found.sort();
        paths = found;
    }
    println!(
        "| program | wasm B | funcs | globals | type_len | data_len | pages | init cost | cached cost | asm B | entry uncached | entry cached | activation gasUsed | data fee (wei) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for path in paths {
        let wasm = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut chain = Devnet::new();
        let from = chain.account(0);
        let deployed = chain.deploy_program(from, &wasm).expect("deploys");
        let address = deployed.contract_address.expect("address");
        let before = chain.balance(from);
        let activation = chain.activate(from, address).expect("activates");
        let fee = before - chain.balance(from);
        let code = chain.code(address);
        let compiled = chain
            .precompiles()
            .program(keccak256(&code), &code)
            .expect("compiles");
        let s = compiled.stats;
        let costs = program::costs(&s, chain.stylus_params().version).expect("costs fit");
        let asm = chain
            .read(
                ARB_WASM,
                &ArbWasm::codehashAsmSizeCall {
                    codehash: keccak256(&code),
                },
            )
            .expect("asm size");
        let init = chain
            .read(ARB_WASM, &ArbWasm::programInitGasCall { program: address })
            .expect("init gas");
        let memory =
            chain
                .stylus_params()
                .memory()
                .gas_cost(costs.footprint, Pages::default().open, 0);
        let name = path
            .file_stem()
            .map_or_else(String::new, |n| n.to_string_lossy().into());
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {asm} | {} | {} | {} | {fee} |",
            s.wasm_len,
            s.funcs,
            s.globals,
            s.type_len,
            s.data_entry_len + s.elem_len,
            s.footprint,
            costs.init_cost,
            costs.cached_cost,
            init.gas + memory,
            init.gasWhenCached + memory,
            activation.gas_used,
        );
    }
}
