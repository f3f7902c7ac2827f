//! `cargo run --release -p labelmint-devnet --bin devnet-bench [wasm]`
//!
//! Measures the devnet: start time, ERC-20 transfers per second on the real
//! RewardToken program, and resident memory with 100,000 funded accounts.
//! Reads `target/stylus/reward_token.wasm` unless a path is given.

use std::time::{Duration, Instant};

use alloy_sol_types::{sol, SolCall};
use labelmint_devnet::Devnet;
use revm::primitives::{Address, U256};

sol! {
    function constructorArgs(string name, string symbol, uint8 decimals, uint256 cap, address admin);
    function mint(address to, uint256 value);
    function transfer(address to, uint256 value) returns (bool);
}

/// Resident set size of this process in bytes (Linux).
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<u64>().ok())
            })
        })
        .map_or(0, |kb| kb * 1024)
}

/// The program named on the command line, else `target/stylus/reward_token.wasm`
/// if it was built from the tree's sources; exits with the reason otherwise.
fn program() -> Vec<u8> {
    let read = if let Some(path) = std::env::args().nth(1) {
        std::fs::read(&path).map_err(|e| format!("{path}: {e}"))
    } else {
        labelmint_wasm::sources::current_program(
            std::path::Path::new("."),
            std::path::Path::new("target/stylus"),
            "reward_token",
        )
        .map_err(|e| e.to_string())
    };
    read.unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2);
    })
}

#[allow(clippy::cast_precision_loss)] // megabytes for display
fn main() {
    let wasm = program();

    // Start time: median of 21 fresh chains.
    let mut starts: Vec<Duration> = (0..21)
        .map(|_| {
            let t = Instant::now();
            let chain = Devnet::new();
            let d = t.elapsed();
            drop(chain);
            d
        })
        .collect();
    starts.sort();
    let start = starts[starts.len() / 2];

    // Transfers per second.
    let mut chain = Devnet::new();
    let admin = chain.account(0);
    let (alice, bob) = (chain.account(1), chain.account(2));
    let args = constructorArgsCall {
        name: "labelmint Reward".into(),
        symbol: "LMR".into(),
        decimals: 18,
        cap: U256::ZERO,
        admin,
    }
    .abi_encode();
    let (token, _) = chain
        .deploy_wasm(admin, &wasm, Some(&args[4..]))
        .expect("deploy RewardToken");
    chain
        .send_call(
            admin,
            token,
            &mintCall {
                to: alice,
                value: U256::from(10u64).pow(U256::from(30)),
            },
        )
        .expect("mint")
        .expect_success();
    let n = 5_000u32;
    let t = Instant::now();
    let mut gas = 0u64;
    for i in 0..n {
        let (from, to) = if i % 2 == 0 {
            (alice, bob)
        } else {
            (bob, alice)
        };
        let r = chain
            .send_call(
                from,
                token,
                &transferCall {
                    to,
                    value: U256::from(1),
                },
            )
            .expect("transfer");
        assert!(r.success);
        gas += r.gas_used;
    }
    let elapsed = t.elapsed();
    let tps = f64::from(n) / elapsed.as_secs_f64();

    // Memory with 100,000 funded accounts.
    let before = rss();
    let mut big = Devnet::new();
    for i in 0..100_000u64 {
        let mut bytes = [0u8; 20];
        bytes[..8].copy_from_slice(&i.to_be_bytes());
        bytes[19] = 0x42;
        big.set_balance(Address::from(bytes), U256::from(1_000_000_000u64));
    }
    let after = rss();

    println!("| measurement | value | target |");
    println!("|---|---:|---:|");
    println!(
        "| devnet start (median of 21) | {:.2} ms | < 200 ms |",
        start.as_secs_f64() * 1e3
    );
    println!("| RewardToken transfers per second (one core, {n} txs) | {tps:.0} | ≥ 2,000 |");
    println!("| average gas per transfer | {} | |", gas / u64::from(n));
    println!(
        "| resident memory growth with 100,000 funded accounts | {:.1} MB | < 200 MB |",
        (after.saturating_sub(before)) as f64 / 1e6
    );
    println!(
        "| process resident memory after | {:.1} MB | |",
        after as f64 / 1e6
    );
    drop(big);
}
