//! EVM ↔ Stylus interop: a Solidity contract (committed bytecode, built from
//! tests/fixtures/Interop.sol by scripts/build-interop-fixture.mjs) calling
//! the real RewardToken program, and a Stylus program calling the Solidity
//! contract.
#![allow(missing_docs)]

mod common;

use alloy_sol_types::{sol, SolCall, SolConstructor, SolError, SolEvent};
use common::{call_data, caller_program, deploy, reward_token_wasm, send};
use labelmint_devnet::Devnet;
use revm::primitives::{Address, U256};

sol!("../../abi/RewardToken.sol");
sol!("../../tests/fixtures/Interop.sol");

fn interop_bytecode() -> Vec<u8> {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../../../tests/fixtures/Interop.json")).unwrap();
    let hex = fixture["bytecode"]
        .as_str()
        .unwrap()
        .trim_start_matches("0x");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn setup() -> (Devnet, Address, Address) {
    let mut chain = Devnet::new();
    let admin = chain.account(0);
    let args = RewardTokenConstructor::constructorCall {
        name: "labelmint Reward".into(),
        symbol: "LMR".into(),
        decimals: 18,
        cap: U256::ZERO,
        admin,
    }
    .abi_encode();
    let (token, _) = chain
        .deploy_wasm(admin, &reward_token_wasm(), Some(&args))
        .unwrap();
    let r = chain
        .send(admin, None, U256::ZERO, interop_bytecode(), 5_000_000)
        .unwrap();
    r.expect_success();
    (chain, token, r.contract_address.unwrap())
}

#[test]
fn solidity_contract_reads_and_moves_stylus_tokens() {
    let (mut chain, token, interop) = setup();
    let admin = chain.account(0);
    let bob = chain.account(2);
    chain
        .send_call(
            admin,
            token,
            &IRewardToken::mintCall {
                to: interop,
                value: U256::from(100),
            },
        )
        .unwrap()
        .expect_success();
    let seen = chain
        .read(
            interop,
            &Interop::tokenBalanceCall {
                token,
                account: interop,
            },
        )
        .unwrap();
    assert_eq!(seen, U256::from(100));

    let r = chain
        .send_call(
            admin,
            interop,
            &Interop::forwardCall {
                token,
                to: bob,
                value: U256::from(40),
            },
        )
        .unwrap();
    r.expect_success();
    assert_eq!(
        chain
            .read(token, &IRewardToken::balanceOfCall { account: bob })
            .unwrap(),
        U256::from(40)
    );
    let log = r
        .logs
        .iter()
        .find(|l| l.address == token)
        .expect("token emitted Transfer");
    let transfer = IRewardToken::Transfer::decode_log_data(&log.data).unwrap();
    assert_eq!((transfer.from, transfer.to), (interop, bob));
}

#[test]
fn stylus_revert_reaches_the_solidity_caller() {
    let (mut chain, token, interop) = setup();
    let admin = chain.account(0);
    // Interop holds nothing: the token reverts, and Solidity bubbles it up.
    let r = chain
        .send_call(
            admin,
            interop,
            &Interop::forwardCall {
                token,
                to: admin,
                value: U256::from(1),
            },
        )
        .unwrap();
    assert!(r.reverted_with(&IRewardToken::ERC20InsufficientBalance {
        sender: interop,
        balance: U256::ZERO,
        needed: U256::from(1),
    }));
}

#[test]
fn stylus_program_calls_solidity_and_sees_its_reverts() {
    let (mut chain, _, interop) = setup();
    let caller = deploy(&mut chain, &caller_program());
    let r = send(
        &mut chain,
        caller,
        &call_data(
            0,
            interop,
            &Interop::storeCall {
                value: U256::from(42),
            }
            .abi_encode(),
        ),
    );
    r.expect_success();
    assert_eq!(
        chain.read(interop, &Interop::storedCall {}).unwrap(),
        U256::from(42)
    );
    let stored = Interop::Stored::decode_log_data(&r.logs[0].data).unwrap();
    assert_eq!(stored.sender, caller);

    let r = send(
        &mut chain,
        caller,
        &call_data(
            0,
            interop,
            &Interop::failCall {
                code: U256::from(7),
            }
            .abi_encode(),
        ),
    );
    assert!(!r.success);
    assert_eq!(&r.output[..4], &[2, 0, 0, 0]);
    assert_eq!(
        &r.output[4..],
        &Interop::Nope {
            code: U256::from(7)
        }
        .abi_encode()[..]
    );
}
