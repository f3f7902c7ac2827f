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

/// Stateful property test of the real RewardToken wasm: random histories
/// of ERC-20 calls, EIP-2612 permits and role changes checked call by call
/// against a model of the token's rules.
#[allow(clippy::many_single_char_names)] // accounts, amounts and signature parts
mod model {
    use std::collections::{BTreeMap, BTreeSet};

    use alloy_sol_types::SolStruct;
    use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};
    use proptest::{
        prelude::*,
        test_runner::{Config, TestCaseError, TestRunner},
    };

    use super::*;

    /// The cap the history's token is deployed with.
    const CAP: u64 = 3_000;
    /// Actors: the admin (every role at first) and three holders, by index.
    const ACTORS: usize = 4;
    /// What a history reached, by name.
    type Counts = BTreeMap<String, u32>;
    /// What each holder is minted before the history starts.
    const START: u64 = 800;

    /// A permit of the history: signed right, expired, a used signature
    /// sent again, or signed by someone other than the owner.
    #[derive(Clone, Copy, Debug)]
    enum PermitKind {
        Valid,
        Expired,
        Replayed,
        WrongSigner,
    }

    /// One step of a history (actors by index into [`ACTORS`]; roles 0
    /// admin, 1 minter, 2 pauser).
    #[derive(Clone, Debug)]
    enum Op {
        Mint(usize, usize, u64),
        Transfer(usize, usize, u64),
        Approve(usize, usize, u64),
        TransferFrom(usize, usize, usize, u64),
        Burn(usize, u64),
        BurnFrom(usize, usize, u64),
        Pause(usize),
        Unpause(usize),
        Grant(usize, usize, usize),
        Revoke(usize, usize, usize),
        Renounce(usize, usize, bool),
        Permit(PermitKind, usize, usize, u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        let who = 0..ACTORS;
        // Calls that need a role come from the admin half the time.
        let by = prop_oneof![Just(0), 0..ACTORS];
        let amount = 0u64..1_000;
        let role = 0..3usize;
        let kind = prop_oneof![
            2 => Just(PermitKind::Valid),
            1 => Just(PermitKind::Expired),
            2 => Just(PermitKind::Replayed),
            1 => Just(PermitKind::WrongSigner),
        ];
        prop_oneof![
            3 => (by.clone(), who.clone(), amount.clone()).prop_map(|(a, b, v)| Op::Mint(a, b, v)),
            3 => (who.clone(), who.clone(), amount.clone()).prop_map(|(a, b, v)| Op::Transfer(a, b, v)),
            3 => (who.clone(), who.clone(), amount.clone()).prop_map(|(a, b, v)| Op::Approve(a, b, v)),
            3 => (who.clone(), who.clone(), who.clone(), amount.clone()).prop_map(|(s, a, b, v)| Op::TransferFrom(s, a, b, v)),
            1 => (who.clone(), amount.clone()).prop_map(|(a, v)| Op::Burn(a, v)),
            1 => (who.clone(), who.clone(), amount.clone()).prop_map(|(s, a, v)| Op::BurnFrom(s, a, v)),
            1 => by.clone().prop_map(Op::Pause),
            1 => by.clone().prop_map(Op::Unpause),
            2 => (by.clone(), role.clone(), who.clone()).prop_map(|(by, r, to)| Op::Grant(by, r, to)),
            2 => (by, role.clone(), who.clone()).prop_map(|(by, r, to)| Op::Revoke(by, r, to)),
            1 => (who.clone(), role, any::<bool>()).prop_map(|(a, r, ok)| Op::Renounce(a, r, ok)),
            5 => (kind, 1..ACTORS, who, amount).prop_map(|(k, o, s, v)| Op::Permit(k, o, s, v)),
        ]
    }

    /// A step, or an approval and a spend of it by the same pair (random
    /// pairs rarely meet an allowance).
    fn steps() -> impl Strategy<Value = Vec<Op>> {
        let who = 0..ACTORS;
        let amount = 0u64..1_000;
        let spend = (
            who.clone(),
            who.clone(),
            who,
            amount.clone(),
            amount,
            any::<bool>(),
        )
            .prop_map(|(o, s, t, a, v, burn)| {
                let use_it = if burn {
                    Op::BurnFrom(s, o, v)
                } else {
                    Op::TransferFrom(s, o, t, v)
                };
                vec![Op::Approve(o, s, a), use_it]
            });
        prop_oneof![4 => op().prop_map(|o| vec![o]), 1 => spend]
    }

    /// What the token should hold.
    #[derive(Default)]
    struct Model {
        balances: BTreeMap<Address, U256>,
        allowances: BTreeMap<(Address, Address), U256>,
        nonces: BTreeMap<Address, U256>,
        roles: BTreeSet<(B256, Address)>,
        paused: bool,
        supply: U256,
        /// The last permit each owner signed and used, for replays.
        used: BTreeMap<Address, IRewardToken::permitCall>,
    }

    fn bal(m: &Model, a: Address) -> U256 {
        m.balances.get(&a).copied().unwrap_or_default()
    }

    fn enc<E: SolError>(e: E) -> Vec<u8> {
        e.abi_encode()
    }

    /// The name of the error a model step expects.
    fn error_name(e: &[u8]) -> &'static str {
        use IRewardToken as T;
        let names: [(&[u8; 4], &'static str); 9] = [
            (
                &T::ERC20InsufficientBalance::SELECTOR,
                "ERC20InsufficientBalance",
            ),
            (
                &T::ERC20InsufficientAllowance::SELECTOR,
                "ERC20InsufficientAllowance",
            ),
            (&T::ERC20ExceededCap::SELECTOR, "ERC20ExceededCap"),
            (&T::EnforcedPause::SELECTOR, "EnforcedPause"),
            (&T::ExpectedPause::SELECTOR, "ExpectedPause"),
            (
                &T::AccessControlUnauthorizedAccount::SELECTOR,
                "AccessControlUnauthorizedAccount",
            ),
            (
                &T::AccessControlBadConfirmation::SELECTOR,
                "AccessControlBadConfirmation",
            ),
            (
                &T::ERC2612ExpiredSignature::SELECTOR,
                "ERC2612ExpiredSignature",
            ),
            (&T::ERC2612InvalidSigner::SELECTOR, "ERC2612InvalidSigner"),
        ];
        names
            .iter()
            .find(|(sel, _)| e[..4] == sel[..])
            .map_or("?", |(_, name)| name)
    }

    /// A history's chain, token, actors' keys and model.
    struct World {
        chain: Devnet,
        token: Address,
        actors: Vec<Address>,
        keys: Vec<SigningKey>,
        /// A key no actor holds: the wrong signer.
        stranger: SigningKey,
        roles: [B256; 3],
        m: Model,
        counts: Counts,
    }

    impl World {
        fn new() -> Self {
            let mut chain = Devnet::new();
            let admin = chain.account(0);
            let args = RewardTokenConstructor::constructorCall {
                name: "labelmint Reward".into(),
                symbol: "LMR".into(),
                decimals: 18,
                cap: U256::from(CAP),
                admin,
            }
            .abi_encode();
            let (token, receipts) = chain.deploy_wasm(admin, &wasm(), Some(&args)).unwrap();
            assert!(receipts.iter().all(|r| r.success));
            let keys: Vec<SigningKey> = (0..ACTORS)
                .map(|i| SigningKey::from_slice(chain.accounts()[i].key.as_slice()).unwrap())
                .collect();
            let stranger = SigningKey::from_slice(chain.accounts()[ACTORS].key.as_slice()).unwrap();
            let actors = (0..ACTORS).map(|i| chain.account(i)).collect();
            let roles = [
                B256::ZERO,
                keccak256("MINTER_ROLE"),
                keccak256("PAUSER_ROLE"),
            ];
            let mut m = Model::default();
            for role in roles {
                m.roles.insert((role, admin));
            }
            let mut w = Self {
                chain,
                token,
                actors,
                keys,
                stranger,
                roles,
                m,
                counts: Counts::new(),
            };
            for i in 1..ACTORS {
                let to = w.actors[i];
                let r = w
                    .chain
                    .send_call(
                        admin,
                        token,
                        &IRewardToken::mintCall {
                            to,
                            value: U256::from(START),
                        },
                    )
                    .unwrap();
                assert!(r.success);
                w.m.balances.insert(to, U256::from(START));
                w.m.supply += U256::from(START);
            }
            w
        }

        fn bump(&mut self, what: &str) {
            *self.counts.entry(what.to_string()).or_default() += 1;
        }

        /// The caller's role check, as the token makes it.
        fn only(&self, role: B256, who: Address) -> Result<(), Vec<u8>> {
            if self.m.roles.contains(&(role, who)) {
                Ok(())
            } else {
                Err(enc(IRewardToken::AccessControlUnauthorizedAccount {
                    account: who,
                    neededRole: role,
                }))
            }
        }

        fn not_paused(&self) -> Result<(), Vec<u8>> {
            if self.m.paused {
                Err(enc(IRewardToken::EnforcedPause {}))
            } else {
                Ok(())
            }
        }

        /// Spends `v` of `spender`'s allowance from `owner` (an infinite
        /// one stays): the allowance left, or the refusal.
        fn spend(
            &self,
            owner: Address,
            spender: Address,
            v: U256,
        ) -> Result<Option<U256>, Vec<u8>> {
            let cur = self
                .m
                .allowances
                .get(&(owner, spender))
                .copied()
                .unwrap_or_default();
            if cur == U256::MAX {
                return Ok(None);
            }
            cur.checked_sub(v).map(Some).ok_or_else(|| {
                enc(IRewardToken::ERC20InsufficientAllowance {
                    spender,
                    allowance: cur,
                    needed: v,
                })
            })
        }

        /// Moves `v` from `from` to `to` (zero: burn) as `update` does.
        fn update(&mut self, from: Address, to: Address, v: U256) -> Result<(), Vec<u8>> {
            self.not_paused()?;
            let have = bal(&self.m, from);
            if have < v {
                return Err(enc(IRewardToken::ERC20InsufficientBalance {
                    sender: from,
                    balance: have,
                    needed: v,
                }));
            }
            self.m.balances.insert(from, have - v);
            if to.is_zero() {
                self.m.supply -= v;
            } else {
                let b = bal(&self.m, to);
                self.m.balances.insert(to, b + v);
            }
            Ok(())
        }

        fn lose(&mut self, role: B256, who: Address) {
            self.m.roles.remove(&(role, who));
        }

        /// The permit digest for `owner` at `nonce`, by alloy's EIP-712.
        fn digest(
            &self,
            owner: Address,
            spender: Address,
            value: U256,
            nonce: U256,
            deadline: U256,
        ) -> B256 {
            let domain = alloy_sol_types::eip712_domain! {
                name: "labelmint Reward",
                version: "1",
                chain_id: self.chain.chain_id(),
                verifying_contract: self.token,
            };
            Permit {
                owner,
                spender,
                value,
                nonce,
                deadline,
            }
            .eip712_signing_hash(&domain)
        }

        /// Who a signature over `digest` recovers to (k256, not the token).
        fn signer(digest: B256, c: &IRewardToken::permitCall) -> Address {
            let mut rs = [0u8; 64];
            rs[..32].copy_from_slice(c.r.as_slice());
            rs[32..].copy_from_slice(c.s.as_slice());
            let sig = Signature::from_slice(&rs).unwrap();
            let id = RecoveryId::from_byte(c.v - 27).unwrap();
            let key = VerifyingKey::recover_from_prehash(digest.as_slice(), &sig, id).unwrap();
            let point = key.to_encoded_point(false);
            Address::from_slice(&keccak256(&point.as_bytes()[1..])[12..])
        }

        fn sign(key: &SigningKey, digest: B256, c: &mut IRewardToken::permitCall) {
            let (sig, id) = key.sign_prehash_recoverable(digest.as_slice()).unwrap();
            let bytes = sig.to_bytes();
            c.v = 27 + id.to_byte();
            c.r = B256::from_slice(&bytes[..32]);
            c.s = B256::from_slice(&bytes[32..]);
        }

        /// A permit of `kind` from actor `o`, and what the token owes it.
        fn permit(
            &mut self,
            kind: PermitKind,
            o: usize,
            s: usize,
            v: u64,
        ) -> (IRewardToken::permitCall, Result<(), Vec<u8>>, &'static str) {
            let (owner, spender, value) = (self.actors[o], self.actors[s], U256::from(v));
            let now = self.chain.timestamp();
            let nonce = self.m.nonces.get(&owner).copied().unwrap_or_default();
            let mut c = IRewardToken::permitCall {
                owner,
                spender,
                value,
                deadline: U256::from(now + 3_600),
                v: 0,
                r: B256::ZERO,
                s: B256::ZERO,
            };
            let what = match kind {
                PermitKind::Valid => {
                    Self::sign(
                        &self.keys[o],
                        self.digest(owner, spender, value, nonce, c.deadline),
                        &mut c,
                    );
                    "permits"
                }
                PermitKind::Expired => {
                    c.deadline = U256::from(now - 1);
                    Self::sign(
                        &self.keys[o],
                        self.digest(owner, spender, value, nonce, c.deadline),
                        &mut c,
                    );
                    "expired permits refused"
                }
                PermitKind::WrongSigner => {
                    Self::sign(
                        &self.stranger,
                        self.digest(owner, spender, value, nonce, c.deadline),
                        &mut c,
                    );
                    "permits by a wrong signer refused"
                }
                PermitKind::Replayed => {
                    // This owner's last used signature, else anyone's.
                    if let Some(used) = self
                        .m
                        .used
                        .get(&owner)
                        .or_else(|| self.m.used.values().next())
                    {
                        c = used.clone();
                        "replayed permits refused"
                    } else {
                        // No used signature yet: one for a nonce not reached.
                        Self::sign(
                            &self.keys[o],
                            self.digest(owner, spender, value, nonce + U256::from(1), c.deadline),
                            &mut c,
                        );
                        "permits for a future nonce refused"
                    }
                }
            };
            if U256::from(now) > c.deadline {
                let e = enc(IRewardToken::ERC2612ExpiredSignature {
                    deadline: c.deadline,
                });
                return (c, Err(e), what);
            }
            let (owner, nonce) = (
                c.owner,
                self.m.nonces.get(&c.owner).copied().unwrap_or_default(),
            );
            let signer = Self::signer(
                self.digest(owner, c.spender, c.value, nonce, c.deadline),
                &c,
            );
            if signer != owner {
                return (
                    c,
                    Err(enc(IRewardToken::ERC2612InvalidSigner { signer, owner })),
                    what,
                );
            }
            (c, Ok(()), what)
        }

        /// Applies `op` to the model and sends it to the token; the token
        /// must succeed exactly when the model does, and revert with the
        /// model's error to the byte otherwise.
        #[allow(clippy::too_many_lines)]
        fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
            let a = self.actors.clone();
            let [admin_role, minter, pauser] = self.roles;
            let u = U256::from;
            let (from, data, expected, what): (
                Address,
                Vec<u8>,
                Result<(), Vec<u8>>,
                &'static str,
            ) = match *op {
                Op::Mint(by, to, v) => {
                    let r = self
                        .only(minter, a[by])
                        .and_then(|()| self.not_paused())
                        .and_then(|()| {
                            let supply = self.m.supply + u(v);
                            if supply > u(CAP) {
                                return Err(enc(IRewardToken::ERC20ExceededCap {
                                    increasedSupply: supply,
                                    cap: u(CAP),
                                }));
                            }
                            self.m.supply = supply;
                            let b = bal(&self.m, a[to]);
                            self.m.balances.insert(a[to], b + u(v));
                            Ok(())
                        });
                    (
                        a[by],
                        IRewardToken::mintCall {
                            to: a[to],
                            value: u(v),
                        }
                        .abi_encode(),
                        r,
                        "mint",
                    )
                }
                Op::Transfer(f, t, v) => {
                    let r = self.update(a[f], a[t], u(v));
                    (
                        a[f],
                        IRewardToken::transferCall {
                            to: a[t],
                            value: u(v),
                        }
                        .abi_encode(),
                        r,
                        "transfer",
                    )
                }
                Op::Approve(o, s, v) => {
                    self.m.allowances.insert((a[o], a[s]), u(v));
                    (
                        a[o],
                        IRewardToken::approveCall {
                            spender: a[s],
                            value: u(v),
                        }
                        .abi_encode(),
                        Ok(()),
                        "approve",
                    )
                }
                Op::TransferFrom(s, f, t, v) => {
                    let r = self.spend(a[f], a[s], u(v)).and_then(|left| {
                        self.update(a[f], a[t], u(v))?;
                        if let Some(left) = left {
                            self.m.allowances.insert((a[f], a[s]), left);
                        }
                        Ok(())
                    });
                    (
                        a[s],
                        IRewardToken::transferFromCall {
                            from: a[f],
                            to: a[t],
                            value: u(v),
                        }
                        .abi_encode(),
                        r,
                        "transferFrom",
                    )
                }
                Op::Burn(w, v) => {
                    let r = self.update(a[w], Address::ZERO, u(v));
                    (
                        a[w],
                        IRewardToken::burnCall { value: u(v) }.abi_encode(),
                        r,
                        "burn",
                    )
                }
                Op::BurnFrom(s, f, v) => {
                    let r = self.spend(a[f], a[s], u(v)).and_then(|left| {
                        self.update(a[f], Address::ZERO, u(v))?;
                        if let Some(left) = left {
                            self.m.allowances.insert((a[f], a[s]), left);
                        }
                        Ok(())
                    });
                    (
                        a[s],
                        IRewardToken::burnFromCall {
                            account: a[f],
                            value: u(v),
                        }
                        .abi_encode(),
                        r,
                        "burnFrom",
                    )
                }
                Op::Pause(by) => {
                    let r = self
                        .only(pauser, a[by])
                        .and_then(|()| self.not_paused())
                        .map(|()| self.m.paused = true);
                    (a[by], IRewardToken::pauseCall {}.abi_encode(), r, "pause")
                }
                Op::Unpause(by) => {
                    let r = self.only(pauser, a[by]).and_then(|()| {
                        if self.m.paused {
                            self.m.paused = false;
                            Ok(())
                        } else {
                            Err(enc(IRewardToken::ExpectedPause {}))
                        }
                    });
                    (
                        a[by],
                        IRewardToken::unpauseCall {}.abi_encode(),
                        r,
                        "unpause",
                    )
                }
                Op::Grant(by, role, to) => {
                    let role = self.roles[role];
                    let r = self.only(admin_role, a[by]).map(|()| {
                        self.m.roles.insert((role, a[to]));
                    });
                    (
                        a[by],
                        IRewardToken::grantRoleCall {
                            role,
                            account: a[to],
                        }
                        .abi_encode(),
                        r,
                        "grantRole",
                    )
                }
                Op::Revoke(by, role, from) => {
                    let role = self.roles[role];
                    let r = self
                        .only(admin_role, a[by])
                        .map(|()| self.lose(role, a[from]));
                    (
                        a[by],
                        IRewardToken::revokeRoleCall {
                            role,
                            account: a[from],
                        }
                        .abi_encode(),
                        r,
                        "revokeRole",
                    )
                }
                Op::Renounce(w, role, confirmed) => {
                    let role = self.roles[role];
                    let confirmation = if confirmed { a[w] } else { a[(w + 1) % ACTORS] };
                    let r = if confirmed {
                        self.lose(role, a[w]);
                        Ok(())
                    } else {
                        Err(enc(IRewardToken::AccessControlBadConfirmation {}))
                    };
                    (
                        a[w],
                        IRewardToken::renounceRoleCall {
                            role,
                            caller_confirmation: confirmation,
                        }
                        .abi_encode(),
                        r,
                        "renounceRole",
                    )
                }
                Op::Permit(kind, o, s, v) => {
                    let (call, r, what) = self.permit(kind, o, s, v);
                    if r.is_ok() {
                        self.m
                            .allowances
                            .insert((call.owner, call.spender), call.value);
                        *self.m.nonces.entry(call.owner).or_default() += U256::from(1);
                        self.m.used.insert(call.owner, call.clone());
                    }
                    // Anyone may relay a permit: the last actor does.
                    (a[ACTORS - 1], call.abi_encode(), r, what)
                }
            };
            let token = self.token;
            let receipt = self
                .chain
                .send(
                    from,
                    Some(token),
                    U256::ZERO,
                    revm::primitives::Bytes::from(data),
                    5_000_000,
                )
                .unwrap();
            match &expected {
                Ok(()) => {
                    prop_assert!(
                        receipt.success,
                        "{:?} refused: 0x{}",
                        op,
                        alloy_primitives::hex::encode(&receipt.output)
                    );
                    self.bump(what);
                }
                Err(e) => {
                    prop_assert!(
                        !receipt.success && receipt.output[..] == e[..],
                        "{:?}: expected 0x{}, got success={} 0x{}",
                        op,
                        alloy_primitives::hex::encode(e),
                        receipt.success,
                        alloy_primitives::hex::encode(&receipt.output)
                    );
                    if what.ends_with("refused") {
                        self.bump(what);
                    } else {
                        // Named by the error: "transfer refused: ERC20InsufficientBalance".
                        self.bump(&format!("{what} refused: {}", error_name(e)));
                    }
                }
            }
            self.check()?;
            // An account that just lost a role is refused the role's call.
            if let (Ok(()), Op::Revoke(_, role, x) | Op::Renounce(x, role, true)) = (&expected, op)
            {
                self.lost_role_refused(*role, a[*x])?;
            }
            Ok(())
        }

        /// `who`, which no longer holds role `role`, tries the call the role
        /// allows (mint, pause, grantRole) and is refused
        /// `AccessControlUnauthorizedAccount` with nothing changed.
        fn lost_role_refused(&mut self, role: usize, who: Address) -> Result<(), TestCaseError> {
            let needed = self.roles[role];
            let data = match role {
                0 => IRewardToken::grantRoleCall {
                    role: self.roles[1],
                    account: who,
                }
                .abi_encode(),
                1 => IRewardToken::mintCall {
                    to: who,
                    value: U256::from(1),
                }
                .abi_encode(),
                _ => IRewardToken::pauseCall {}.abi_encode(),
            };
            let token = self.token;
            let r = self
                .chain
                .send(
                    who,
                    Some(token),
                    U256::ZERO,
                    revm::primitives::Bytes::from(data),
                    5_000_000,
                )
                .unwrap();
            prop_assert!(
                r.reverted_with(&IRewardToken::AccessControlUnauthorizedAccount {
                    account: who,
                    neededRole: needed
                }),
                "a lost role's call: 0x{}",
                alloy_primitives::hex::encode(&r.output)
            );
            self.bump("calls refused for a revoked or renounced role");
            self.check()
        }

        /// The token's whole state equals the model's, and the supply is
        /// the sum of the balances, within the cap.
        fn check(&mut self) -> Result<(), TestCaseError> {
            let token = self.token;
            let mut sum = U256::ZERO;
            for &x in &self.actors.clone() {
                let b = self
                    .chain
                    .read(token, &IRewardToken::balanceOfCall { account: x })
                    .unwrap();
                prop_assert_eq!(b, bal(&self.m, x), "balance of {}", x);
                sum += b;
                let n = self
                    .chain
                    .read(token, &IRewardToken::noncesCall { owner: x })
                    .unwrap();
                prop_assert_eq!(
                    n,
                    self.m.nonces.get(&x).copied().unwrap_or_default(),
                    "nonce of {}",
                    x
                );
                for &y in &self.actors.clone() {
                    let al = self
                        .chain
                        .read(
                            token,
                            &IRewardToken::allowanceCall {
                                owner: x,
                                spender: y,
                            },
                        )
                        .unwrap();
                    prop_assert_eq!(
                        al,
                        self.m.allowances.get(&(x, y)).copied().unwrap_or_default(),
                        "allowance {} → {}",
                        x,
                        y
                    );
                }
                for role in self.roles {
                    let has = self
                        .chain
                        .read(token, &IRewardToken::hasRoleCall { role, account: x })
                        .unwrap();
                    prop_assert_eq!(
                        has,
                        self.m.roles.contains(&(role, x)),
                        "role {} of {}",
                        role,
                        x
                    );
                }
            }
            let supply = self
                .chain
                .read(token, &IRewardToken::totalSupplyCall {})
                .unwrap();
            prop_assert_eq!(supply, self.m.supply);
            prop_assert_eq!(sum, supply, "supply = sum of balances");
            prop_assert!(supply <= U256::from(CAP));
            let paused = self
                .chain
                .read(token, &IRewardToken::pausedCall {})
                .unwrap();
            prop_assert_eq!(paused, self.m.paused);
            Ok(())
        }
    }

    /// Random histories (16–48 steps, some of them an approval and a spend
    /// of it) of mints, transfers, approvals,
    /// transferFrom, burns, burnFrom, pauses, role grants, revocations and
    /// renunciations (confirmed or not) and EIP-2612 permits (valid,
    /// expired, a used signature replayed, a nonce not reached, signed by
    /// a stranger) on the real wasm, signatures checked by the real
    /// `ecrecover` precompile. Each step must succeed exactly when the
    /// model says and otherwise revert with the model's error to the byte
    /// (an account whose role was revoked or renounced is refused
    /// `AccessControlUnauthorizedAccount`); after each step every balance,
    /// allowance, nonce, role, the pause and the supply equal the model's,
    /// and the supply is the sum of the balances within the cap. Cases:
    /// `PROPTEST_CASES` (default 16). The run prints what it reached and
    /// fails unless it reached every kind of permit, refusal and role
    /// change.
    #[test]
    fn random_histories_with_permits_and_role_changes_match_the_model_and_keep_supply_equal_to_balances(
    ) {
        let cases = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(16);
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        let totals = std::cell::RefCell::new(Counts::new());
        runner
            .run(
                &proptest::collection::vec(steps(), 16..48).prop_map(|v| v.concat()),
                |ops| {
                    let mut w = World::new();
                    for op in &ops {
                        w.step(op)?;
                    }
                    for (k, v) in w.counts {
                        *totals.borrow_mut().entry(k).or_default() += v;
                    }
                    Ok(())
                },
            )
            .unwrap();
        let totals = totals.into_inner();
        println!("token histories ({cases} cases): {totals:?}");
        for what in [
            "permits",
            "expired permits refused",
            "replayed permits refused",
            "permits by a wrong signer refused",
            "grantRole",
            "revokeRole",
            "renounceRole",
            "calls refused for a revoked or renounced role",
            "mint",
            "transferFrom",
            "burn",
        ] {
            assert!(
                totals.get(what).copied().unwrap_or(0) > 0,
                "the run reached no {what}"
            );
        }
    }
}
