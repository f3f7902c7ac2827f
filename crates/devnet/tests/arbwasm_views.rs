//! ArbWasm answers every view Nitro answers, with Nitro's layout; for this
//! repository's programs (`target/stylus/*.wasm`, built by `cargo xtask
//! wasm`) the per-program views equal Nitro's formulas applied to figures
//! counted here, independently of the devnet's instrumentation.
#![allow(missing_docs, clippy::unreadable_literal)]

mod common;

use alloy_sol_types::{SolCall, SolError};
use common::stylus_wasm;
use labelmint_devnet::{
    chain::DEFAULT_CHAIN_ID,
    params::StylusParams,
    precompiles::{ArbWasm, ARB_WASM},
    Devnet,
};
use revm::primitives::{keccak256, B256, U256};
use wasmparser::{Parser, Payload};

/// The figures Nitro's activation-time formulas use.
#[derive(Debug)]
struct Figures {
    wasm_len: u64,
    funcs: u64,
    globals: u64,
    type_len: u64,
    data_len: u64,
    footprint: u64,
}

fn figures(wasm: &[u8]) -> Figures {
    let mut sigs = Vec::new();
    let mut f = Figures {
        wasm_len: wasm.len() as u64,
        funcs: 0,
        globals: 4, // ink, ink status, scratch, stack: added by instrumentation
        type_len: 0,
        data_len: 0,
        footprint: 0,
    };
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.unwrap() {
            Payload::TypeSection(r) => {
                for group in r {
                    for ty in group.unwrap().into_types() {
                        let func = ty.unwrap_func();
                        sigs.push((func.params().len() + func.results().len()) as u64);
                    }
                }
            }
            Payload::FunctionSection(r) => {
                for ty in r {
                    f.funcs += 1;
                    f.type_len += sigs[ty.unwrap() as usize];
                }
            }
            Payload::GlobalSection(r) => f.globals += u64::from(r.count()),
            Payload::MemorySection(r) => {
                for m in r {
                    f.footprint = m.unwrap().initial;
                }
            }
            Payload::DataSection(r) => {
                for d in r {
                    let d = d.unwrap();
                    f.data_len += d.range.end - d.range.start;
                }
            }
            Payload::ElementSection(r) => {
                for e in r {
                    let e = e.unwrap();
                    f.data_len += e.range.end - e.range.start;
                }
            }
            _ => {}
        }
    }
    f
}

/// Nitro's `binary.rs` prediction: (init cost, cached cost, asm estimate).
fn nitro_costs(f: &Figures) -> (u64, u64, u64) {
    let init = f.funcs * 8_252 / 1_000 + f.type_len * 1_059 / 1_000 + f.wasm_len * 1_286 / 10_000;
    let cached = f.funcs * 13_420 / 100_000
        + f.type_len * 89 / 100_000
        + f.wasm_len * 122 / 100_000
        + f.globals * 1_628 / 1_000
        + f.data_len * 75_244 / 100_000
        + f.footprint * 5;
    let asm = 512_000
        + f.funcs * 996_829 / 1_000
        + f.type_len * 11_416 / 1_000
        + f.wasm_len * 62_628 / 10_000;
    (init, cached, asm)
}

#[test]
fn views_of_this_repositorys_programs_equal_nitros_formulas() {
    for name in [
        "reward_token",
        "annotation_market",
        "annotation_market_ext",
        "dataset_registry",
        "quality_hub",
        "quality_hub_ext",
        "quality_court",
        "quality_court_ext",
        "timelock",
    ] {
        let wasm = stylus_wasm(name);
        let f = figures(&wasm);
        let (init, cached, asm) = nitro_costs(&f);
        let mut chain = Devnet::new();
        let from = chain.account(0);
        let program = chain
            .deploy_program(from, &wasm)
            .unwrap()
            .contract_address
            .unwrap();
        chain.activate(from, program).unwrap();
        let codehash = keccak256(chain.code(program));

        // Defaults: MinInitGas 69 × 128, MinCachedInitGas 11 × 32, both scalars 100 %.
        let gas = chain
            .read(ARB_WASM, &ArbWasm::programInitGasCall { program })
            .unwrap();
        assert_eq!(
            (gas.gas, gas.gasWhenCached),
            (8_832 + init + 352 + cached, 352 + cached),
            "{name}: {f:?}"
        );
        let footprint = chain
            .read(ARB_WASM, &ArbWasm::programMemoryFootprintCall { program })
            .unwrap();
        assert_eq!(u64::from(footprint), f.footprint, "{name}");
        let size = chain
            .read(ARB_WASM, &ArbWasm::codehashAsmSizeCall { codehash })
            .unwrap();
        assert_eq!(u64::from(size), asm.div_ceil(1_024) * 1_024, "{name}");
        assert_eq!(
            chain
                .read(ARB_WASM, &ArbWasm::codehashVersionCall { codehash })
                .unwrap(),
            2
        );
        assert_eq!(
            chain
                .read(ARB_WASM, &ArbWasm::programVersionCall { program })
                .unwrap(),
            2
        );
        let left = chain
            .read(ARB_WASM, &ArbWasm::programTimeLeftCall { program })
            .unwrap();
        // Activated within the current hour: at most an hour older than 365 days.
        assert!(
            left <= 365 * 86_400 && left > 365 * 86_400 - 3_600,
            "{left}"
        );
    }
}

#[test]
fn parameter_views_answer_nitros_defaults() {
    let mut chain = Devnet::new();
    let read =
        |chain: &mut Devnet, data: Vec<u8>| chain.call(chain.account(0), ARB_WASM, data).unwrap();
    let word = |chain: &mut Devnet, data: Vec<u8>| U256::from_be_slice(&read(chain, data).output);
    assert_eq!(
        word(&mut chain, ArbWasm::stylusVersionCall {}.abi_encode()),
        U256::from(2)
    );
    assert_eq!(
        word(&mut chain, ArbWasm::inkPriceCall {}.abi_encode()),
        U256::from(10_000)
    );
    assert_eq!(
        word(&mut chain, ArbWasm::maxStackDepthCall {}.abi_encode()),
        U256::from(22_000)
    );
    assert_eq!(
        word(&mut chain, ArbWasm::freePagesCall {}.abi_encode()),
        U256::from(2)
    );
    assert_eq!(
        word(&mut chain, ArbWasm::pageGasCall {}.abi_encode()),
        U256::from(1_000)
    );
    assert_eq!(
        word(&mut chain, ArbWasm::pageRampCall {}.abi_encode()),
        U256::from(620_674_314)
    );
    assert_eq!(
        word(&mut chain, ArbWasm::pageLimitCall {}.abi_encode()),
        U256::from(128)
    );
    assert_eq!(
        word(&mut chain, ArbWasm::initCostScalarCall {}.abi_encode()),
        U256::from(100)
    );
    assert_eq!(
        word(&mut chain, ArbWasm::expiryDaysCall {}.abi_encode()),
        U256::from(365)
    );
    assert_eq!(
        word(&mut chain, ArbWasm::keepaliveDaysCall {}.abi_encode()),
        U256::from(31)
    );
    assert_eq!(
        word(&mut chain, ArbWasm::blockCacheSizeCall {}.abi_encode()),
        U256::from(32)
    );
    let min = chain.read(ARB_WASM, &ArbWasm::minInitGasCall {}).unwrap();
    assert_eq!((min.gas, min.cached), (8_832, 352));
    // activationGas exists from ArbOS 60 only (a missing method reverts).
    assert!(!read(&mut chain, ArbWasm::activationGasCall {}.abi_encode()).success);
    let mut v60 = Devnet::with_config(DEFAULT_CHAIN_ID, StylusParams::for_arbos(60));
    assert_eq!(
        v60.read(ARB_WASM, &ArbWasm::activationGasCall {}).unwrap(),
        0
    );
    // Unknown programs: Nitro's errors.
    let r = read(
        &mut chain,
        ArbWasm::codehashAsmSizeCall {
            codehash: B256::repeat_byte(1),
        }
        .abi_encode(),
    );
    assert_eq!(
        &r.output[..],
        &ArbWasm::ProgramNotActivated {}.abi_encode()[..]
    );
}

#[test]
fn programs_expire_and_keepalive_renews_them() {
    let mut chain = Devnet::new();
    let wasm = stylus_wasm("reward_token");
    let from = chain.account(0);
    let program = chain
        .deploy_program(from, &wasm)
        .unwrap()
        .contract_address
        .unwrap();
    chain.activate(from, program).unwrap();
    let codehash = keccak256(chain.code(program));
    let keepalive = ArbWasm::codehashKeepaliveCall { codehash }.abi_encode();
    let r = chain
        .send(
            from,
            Some(ARB_WASM),
            U256::from(10).pow(U256::from(18)),
            keepalive.clone(),
            1_000_000,
        )
        .unwrap();
    assert!(!r.success, "too soon");
    // Ages count from the whole hour of activation.
    let age = ArbWasm::ProgramKeepaliveTooSoon::abi_decode(&r.output)
        .unwrap()
        .ageInSeconds;
    assert!(age < 3_600 + 10, "{age}");
    chain.warp(200 * 86_400);
    let r = chain
        .send(
            from,
            Some(ARB_WASM),
            U256::from(10).pow(U256::from(18)),
            keepalive,
            1_000_000,
        )
        .unwrap();
    r.expect_success();
    chain.warp(300 * 86_400);
    // 300 days after the keepalive (500 after activation) it still runs.
    assert!(chain
        .read(ARB_WASM, &ArbWasm::programVersionCall { program })
        .is_ok());
    chain.warp(100 * 86_400);
    let err = chain.read(ARB_WASM, &ArbWasm::programVersionCall { program });
    assert!(err.is_err(), "expired 400 days after the keepalive");
}
