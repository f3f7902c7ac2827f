//! The real RewardToken wasm (`cargo xtask wasm` output) on the devnet:
//! deployment, activation, construction, ERC-20 flows, permit through the
//! real ecrecover precompile, reverts with their named errors, and gas.
#![allow(missing_docs, clippy::unreadable_literal)]

use alloy_sol_types::{sol, SolCall, SolConstructor, SolError, SolEvent};
use labelmint_devnet::{precompiles::ArbWasm, Devnet};
use revm::primitives::{keccak256, Address, B256, U256};

mod common;

use common::reward_token_wasm as wasm;

sol!("../../abi/RewardToken.sol");

struct Token {
    chain: Devnet,
    address: Address,
    admin: Address,
}

fn deployed() -> Token {
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
    let (token, receipts) = chain.deploy_wasm(admin, &wasm(), Some(&args)).unwrap();
    assert!(receipts.iter().all(|r| r.success));
    Token {
        chain,
        address: token,
        admin,
    }
}

#[test]
fn deploys_activates_and_constructs_the_real_wasm() {
    let mut t = deployed();
    let name = t.chain.read(t.address, &IRewardToken::nameCall {}).unwrap();
    assert_eq!(name, "labelmint Reward");
    assert_eq!(
        t.chain
            .read(t.address, &IRewardToken::symbolCall {})
            .unwrap(),
        "LMR"
    );
    assert_eq!(
        t.chain
            .read(t.address, &IRewardToken::decimalsCall {})
            .unwrap(),
        18
    );
    let minter = t
        .chain
        .read(t.address, &IRewardToken::MINTER_ROLECall {})
        .unwrap();
    assert!(t
        .chain
        .read(
            t.address,
            &IRewardToken::hasRoleCall {
                role: minter,
                account: t.admin
            }
        )
        .unwrap());
}

#[test]
fn constructor_cannot_run_twice() {
    let mut t = deployed();
    let args = RewardTokenConstructor::constructorCall {
        name: "x".into(),
        symbol: "y".into(),
        decimals: 1,
        cap: U256::ZERO,
        admin: t.admin,
    }
    .abi_encode();
    let data = labelmint_devnet::chain::constructor_calldata(&args);
    let r = t
        .chain
        .send(t.admin, Some(t.address), U256::ZERO, data, 5_000_000)
        .unwrap();
    assert!(!r.success);
    assert_eq!(
        t.chain.read(t.address, &IRewardToken::nameCall {}).unwrap(),
        "labelmint Reward"
    );
}

#[test]
fn mint_and_transfer_move_balances_and_emit_events() {
    let mut t = deployed();
    let (alice, bob) = (t.chain.account(1), t.chain.account(2));
    let r = t
        .chain
        .send_call(
            t.admin,
            t.address,
            &IRewardToken::mintCall {
                to: alice,
                value: U256::from(1000),
            },
        )
        .unwrap();
    r.expect_success();
    let log = IRewardToken::Transfer::decode_log_data(&r.logs[0].data).unwrap();
    assert_eq!(
        (log.from, log.to, log.value),
        (Address::ZERO, alice, U256::from(1000))
    );

    let r = t
        .chain
        .send_call(
            alice,
            t.address,
            &IRewardToken::transferCall {
                to: bob,
                value: U256::from(300),
            },
        )
        .unwrap();
    r.expect_success();
    assert_eq!(
        t.chain
            .read(t.address, &IRewardToken::balanceOfCall { account: alice })
            .unwrap(),
        U256::from(700)
    );
    assert_eq!(
        t.chain
            .read(t.address, &IRewardToken::balanceOfCall { account: bob })
            .unwrap(),
        U256::from(300)
    );
    assert!(r.gas_used > 21_000, "gas {}", r.gas_used);
}

#[test]
fn failing_transfer_reverts_with_named_error_and_changes_nothing() {
    let mut t = deployed();
    let (alice, bob) = (t.chain.account(1), t.chain.account(2));
    let r = t
        .chain
        .send_call(
            alice,
            t.address,
            &IRewardToken::transferCall {
                to: bob,
                value: U256::from(1),
            },
        )
        .unwrap();
    assert!(r.reverted_with(&IRewardToken::ERC20InsufficientBalance {
        sender: alice,
        balance: U256::ZERO,
        needed: U256::from(1)
    }));
    assert!(r.logs.is_empty());
    let r = t
        .chain
        .send_call(
            alice,
            t.address,
            &IRewardToken::mintCall {
                to: alice,
                value: U256::from(1),
            },
        )
        .unwrap();
    let minter = keccak256("MINTER_ROLE");
    assert!(
        r.reverted_with(&IRewardToken::AccessControlUnauthorizedAccount {
            account: alice,
            neededRole: minter
        })
    );
    assert_eq!(
        t.chain
            .read(t.address, &IRewardToken::totalSupplyCall {})
            .unwrap(),
        U256::ZERO
    );
}

sol! {
    struct Permit { address owner; address spender; uint256 value; uint256 nonce; uint256 deadline; }
}

#[test]
fn permit_verifies_a_real_signature_through_ecrecover() {
    let mut t = deployed();
    let owner_acc = t.chain.accounts()[3];
    let spender = t.chain.account(4);
    let deadline = U256::from(t.chain.timestamp() + 3_600);
    let domain = alloy_sol_types::eip712_domain! {
        name: "labelmint Reward",
        version: "1",
        chain_id: t.chain.chain_id(),
        verifying_contract: t.address,
    };
    let separator = t
        .chain
        .read(t.address, &IRewardToken::DOMAIN_SEPARATORCall {})
        .unwrap();
    assert_eq!(separator, domain.separator());
    let digest = alloy_sol_types::SolStruct::eip712_signing_hash(
        &Permit {
            owner: owner_acc.address,
            spender,
            value: U256::from(55),
            nonce: U256::ZERO,
            deadline,
        },
        &domain,
    );
    let key = k256::ecdsa::SigningKey::from_slice(owner_acc.key.as_slice()).unwrap();
    let (sig, recid) = key.sign_prehash_recoverable(digest.as_slice()).unwrap();
    let bytes = sig.to_bytes();
    let call = IRewardToken::permitCall {
        owner: owner_acc.address,
        spender,
        value: U256::from(55),
        deadline,
        v: 27 + recid.to_byte(),
        r: B256::from_slice(&bytes[..32]),
        s: B256::from_slice(&bytes[32..]),
    };
    let relayer = t.chain.account(5);
    t.chain
        .send_call(relayer, t.address, &call)
        .unwrap()
        .expect_success();
    assert_eq!(
        t.chain
            .read(
                t.address,
                &IRewardToken::allowanceCall {
                    owner: owner_acc.address,
                    spender
                }
            )
            .unwrap(),
        U256::from(55)
    );
    // Replaying the same signature fails: the nonce moved on.
    let replay = t.chain.send_call(relayer, t.address, &call).unwrap();
    assert!(!replay.success);
    assert_eq!(
        &replay.output[..4],
        IRewardToken::ERC2612InvalidSigner::SELECTOR.as_slice()
    );
}

#[test]
fn calling_an_unactivated_program_reverts_with_program_not_activated() {
    let mut chain = Devnet::new();
    let from = chain.account(0);
    let r = chain.deploy_program(from, &wasm()).unwrap();
    let address = r.contract_address.unwrap();
    let r = chain
        .send_call(from, address, &IRewardToken::nameCall {})
        .unwrap();
    assert!(r.reverted_with(&ArbWasm::ProgramNotActivated {}));
    assert_eq!(
        &r.output[..],
        &[0x6f, 0x80, 0x9c, 0x4e],
        "selector cargo-stylus expects"
    );
}

#[test]
fn activation_twice_reverts_program_up_to_date() {
    let mut t = deployed();
    let call = ArbWasm::activateProgramCall { program: t.address };
    let r = t
        .chain
        .send(
            t.admin,
            Some(labelmint_devnet::precompiles::ARB_WASM),
            U256::from(10).pow(U256::from(18)),
            call.abi_encode(),
            30_000_000,
        )
        .unwrap();
    assert!(r.reverted_with(&ArbWasm::ProgramUpToDate {}));
}

#[test]
fn snapshot_and_revert_restore_balances() {
    let mut t = deployed();
    let alice = t.chain.account(1);
    let id = t.chain.snapshot();
    t.chain
        .send_call(
            t.admin,
            t.address,
            &IRewardToken::mintCall {
                to: alice,
                value: U256::from(5),
            },
        )
        .unwrap()
        .expect_success();
    assert_eq!(
        t.chain
            .read(t.address, &IRewardToken::balanceOfCall { account: alice })
            .unwrap(),
        U256::from(5)
    );
    t.chain.revert(id).unwrap();
    assert_eq!(
        t.chain
            .read(t.address, &IRewardToken::balanceOfCall { account: alice })
            .unwrap(),
        U256::ZERO
    );
}

#[test]
fn gas_figures_for_the_token() {
    let mut t = deployed();
    let (alice, bob) = (t.chain.account(1), t.chain.account(2));
    t.chain
        .send_call(
            t.admin,
            t.address,
            &IRewardToken::mintCall {
                to: alice,
                value: U256::from(1000),
            },
        )
        .unwrap()
        .expect_success();
    let first = t
        .chain
        .send_call(
            alice,
            t.address,
            &IRewardToken::transferCall {
                to: bob,
                value: U256::from(1),
            },
        )
        .unwrap();
    let repeat = t
        .chain
        .send_call(
            alice,
            t.address,
            &IRewardToken::transferCall {
                to: bob,
                value: U256::from(1),
            },
        )
        .unwrap();
    println!(
        "transfer to new holder: {} gas; repeat: {} gas",
        first.gas_used, repeat.gas_used
    );
    // Crediting a fresh balance slot costs a 20,000-gas SSTORE more.
    assert!(first.gas_used > repeat.gas_used + 15_000);
    assert!(repeat.gas_used > 21_000 + 5_000);
}

#[test]
fn stylus_deployer_creates_activates_and_constructs_in_one_transaction() {
    let mut chain = Devnet::new();
    let admin = chain.account(0);
    let args = RewardTokenConstructor::constructorCall {
        name: "Deployed".into(),
        symbol: "DPL".into(),
        decimals: 6,
        cap: U256::from(1_000_000),
        admin,
    }
    .abi_encode();
    let before = chain.balance(admin);
    let value = U256::from(10).pow(U256::from(18));
    let (token, r) = chain
        .deploy_via_deployer(
            admin,
            &wasm(),
            &args,
            U256::ZERO,
            B256::repeat_byte(1),
            value,
        )
        .unwrap();
    assert_eq!(
        chain.read(token, &IRewardToken::nameCall {}).unwrap(),
        "Deployed"
    );
    assert_eq!(
        chain.read(token, &IRewardToken::capCall {}).unwrap(),
        U256::from(1_000_000)
    );
    let arb = labelmint_devnet::precompiles::ARB_WASM;
    assert_eq!(
        chain
            .read(arb, &ArbWasm::programVersionCall { program: token })
            .unwrap(),
        2
    );
    // Only the data fee was kept; the rest of the value came back.
    let spent = before - chain.balance(admin);
    assert!(spent < value, "excess refunded");
    assert!(
        r.logs.iter().any(|l| l.address == token),
        "constructor events are in the receipt"
    );
    // A second deployment of the same code skips activation.
    let (again, r2) = chain
        .deploy_via_deployer(
            admin,
            &wasm(),
            &args,
            U256::ZERO,
            B256::repeat_byte(2),
            U256::ZERO,
        )
        .unwrap();
    assert_ne!(again, token);
    assert!(r2.gas_used < r.gas_used, "no activation the second time");
}

#[test]
fn stylus_deployer_reports_a_failing_constructor() {
    let mut chain = Devnet::new();
    let admin = chain.account(0);
    let args = RewardTokenConstructor::constructorCall {
        name: "Bad".into(),
        symbol: "BAD".into(),
        decimals: 6,
        cap: U256::ZERO,
        admin: Address::ZERO,
    }
    .abi_encode();
    let err = chain
        .deploy_via_deployer(
            admin,
            &wasm(),
            &args,
            U256::ZERO,
            B256::ZERO,
            U256::from(10).pow(U256::from(18)),
        )
        .unwrap_err();
    let labelmint_devnet::ChainError::Failed(r) = err else {
        panic!("{err:?}")
    };
    let e = labelmint_devnet::deployer::IStylusDeployer::ContractInitializationError::abi_decode(
        &r.output,
    )
    .unwrap();
    assert_eq!(
        &e.data[..],
        &IRewardToken::RewardTokenInvalidAdmin {
            admin: Address::ZERO
        }
        .abi_encode()[..]
    );
}

#[test]
fn eth_call_does_not_make_the_next_transaction_cheaper() {
    let mut t = deployed();
    let alice = t.chain.account(1);
    let mint = IRewardToken::mintCall {
        to: alice,
        value: U256::from(1),
    };
    let plain = {
        let id = t.chain.snapshot();
        let r = t.chain.send_call(t.admin, t.address, &mint).unwrap();
        t.chain.revert(id).unwrap();
        r.gas_used
    };
    // Reading first (same block) must not change the price of the write.
    let _ = t
        .chain
        .read(t.address, &IRewardToken::totalSupplyCall {})
        .unwrap();
    let after_read = t
        .chain
        .send_call(t.admin, t.address, &mint)
        .unwrap()
        .gas_used;
    assert_eq!(after_read, plain);
}

/// ArbWasmCache: a cached program pays the cached entry cost on every call
/// (not only after a call earlier in the same block); eviction restores the
/// full cost; the flag is visible through `codehashIsCached`.
#[test]
fn cached_program_pays_the_cached_entry_cost() {
    use labelmint_devnet::precompiles::{ArbWasmCache, ARB_WASM, ARB_WASM_CACHE};
    let mut t = deployed();
    let init = t
        .chain
        .read(
            ARB_WASM,
            &ArbWasm::programInitGasCall { program: t.address },
        )
        .unwrap();
    let call = IRewardToken::balanceOfCall { account: t.admin };
    let gas_of_read = |t: &mut Token| {
        t.chain
            .send_call(t.admin, t.address, &call)
            .unwrap()
            .gas_used
    };
    let uncached = gas_of_read(&mut t);
    let codehash = keccak256(t.chain.code(t.address));
    let is_cached = |t: &mut Token| {
        t.chain
            .read(
                ARB_WASM_CACHE,
                &ArbWasmCache::codehashIsCachedCall { codehash },
            )
            .unwrap()
    };
    assert!(!is_cached(&mut t));
    let admin = t.admin;
    let r = t.chain.cache_program(admin, t.address).unwrap();
    assert_eq!(r.logs.len(), 1, "UpdateProgramCache");
    assert!(is_cached(&mut t));
    let cached = gas_of_read(&mut t);
    assert_eq!(uncached - cached, init.gas - init.gasWhenCached);
    let evict = ArbWasmCache::evictCodehashCall { codehash };
    assert!(
        t.chain
            .send_call(admin, ARB_WASM_CACHE, &evict)
            .unwrap()
            .success
    );
    assert!(!is_cached(&mut t));
    assert_eq!(gas_of_read(&mut t), uncached);
    // Caching an address without an activated program is refused.
    let r = t
        .chain
        .send_call(
            admin,
            ARB_WASM_CACHE,
            &ArbWasmCache::cacheProgramCall { addr: admin },
        )
        .unwrap();
    // Nitro checks the record's version first: 0 is not the current 2.
    assert!(r.reverted_with(&ArbWasm::ProgramNeedsUpgrade {
        version: 0,
        stylusVersion: 2
    }));
}
