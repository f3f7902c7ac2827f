//! Unit tests of the RewardToken on the SDK's TestVM: every function, every
//! revert, every event. Permit signatures are made here with k256 and also
//! checked against a fixture signed by ethers (`tests/fixtures/permit.json`).
#![allow(
    clippy::unreadable_literal,
    clippy::arithmetic_side_effects,
    clippy::too_many_lines
)] // test code: overflow would be a test bug, and panics loudly

use alloy_primitives::{address, keccak256, Address, LogData, B256, U256};
use alloy_sol_types::{eip712_domain, sol, SolError, SolEvent, SolStruct};
use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};
use stylus_sdk::testing::*;

use crate::*;

const ADMIN: Address = address!("00000000000000000000000000000000000a0001");
const ALICE: Address = address!("00000000000000000000000000000000000a11ce");
const BOB: Address = address!("0000000000000000000000000000000000000b0b");
const CAROL: Address = address!("00000000000000000000000000000000000ca201");
const NAME: &str = "labelmint Reward";
const SYMBOL: &str = "LMR";

sol! {
    struct Permit {
        address owner;
        address spender;
        uint256 value;
        uint256 nonce;
        uint256 deadline;
    }
}

fn u(v: u64) -> U256 {
    U256::from(v)
}

/// A token constructed by ADMIN with the given cap; logs cleared.
fn token_with_cap(cap: U256) -> (TestVM, RewardToken) {
    let vm = TestVM::default();
    let mut token = RewardToken::from(&vm);
    vm.set_sender(ADMIN);
    token
        .constructor(NAME.into(), SYMBOL.into(), 18, cap, ADMIN)
        .unwrap();
    vm.clear_mocks();
    (vm, token)
}

fn token() -> (TestVM, RewardToken) {
    token_with_cap(U256::ZERO)
}

/// A token where ALICE holds 1,000 and the logs are cleared.
fn funded() -> (TestVM, RewardToken) {
    let (vm, mut token) = token();
    token.mint(ALICE, u(1000)).unwrap();
    vm.clear_mocks();
    (vm, token)
}

fn logs(vm: &TestVM) -> Vec<LogData> {
    vm.get_emitted_logs()
        .into_iter()
        .map(|(topics, data)| LogData::new_unchecked(topics, data.into()))
        .collect()
}

fn log_of<E: SolEvent>(event: &E) -> LogData {
    event.encode_log_data()
}

fn transfer_log(from: Address, to: Address, value: u64) -> LogData {
    log_of(&Transfer {
        from,
        to,
        value: u(value),
    })
}

fn address_of(key: &SigningKey) -> Address {
    let point = key.verifying_key().to_encoded_point(false);
    Address::from_slice(&keccak256(&point.as_bytes()[1..])[12..])
}

fn key(byte: u8) -> SigningKey {
    SigningKey::from_bytes(&[byte; 32].into()).unwrap()
}

/// (v, r, s) of a k256 signature over `digest` (k256 normalizes s low).
fn sign(key: &SigningKey, digest: B256) -> (u8, B256, B256) {
    let (sig, recid) = key.sign_prehash_recoverable(digest.as_slice()).unwrap();
    let bytes = sig.to_bytes();
    (
        27 + recid.to_byte(),
        B256::from_slice(&bytes[..32]),
        B256::from_slice(&bytes[32..]),
    )
}

fn ecrecover_input(digest: B256, v: u8, r: B256, s: B256) -> Vec<u8> {
    let mut input = digest.to_vec();
    input.extend_from_slice(&U256::from(v).to_be_bytes::<32>());
    input.extend_from_slice(r.as_slice());
    input.extend_from_slice(s.as_slice());
    input
}

/// Mocks the ecrecover precompile for exactly this input, answering what
/// secp256k1 recovery (k256, not the contract) yields.
fn mock_ecrecover(vm: &TestVM, digest: B256, v: u8, r: B256, s: B256) -> Address {
    let mut rs = [0u8; 64];
    rs[..32].copy_from_slice(r.as_slice());
    rs[32..].copy_from_slice(s.as_slice());
    let sig = Signature::from_slice(&rs).unwrap();
    let recid = RecoveryId::from_byte(v - 27).unwrap();
    let vk = VerifyingKey::recover_from_prehash(digest.as_slice(), &sig, recid).unwrap();
    let point = vk.to_encoded_point(false);
    let signer = Address::from_slice(&keccak256(&point.as_bytes()[1..])[12..]);
    let mut out = [0u8; 32];
    out[12..].copy_from_slice(signer.as_slice());
    vm.mock_static_call(
        ECRECOVER,
        ecrecover_input(digest, v, r, s),
        Ok(out.to_vec()),
    );
    signer
}

/// The permit digest as alloy's EIP-712 implementation computes it.
fn permit_digest(
    vm: &TestVM,
    owner: Address,
    spender: Address,
    value: U256,
    nonce: U256,
    deadline: U256,
) -> B256 {
    let domain = eip712_domain! {
        name: NAME,
        version: "1",
        chain_id: vm.chain_id(),
        verifying_contract: vm.contract_address(),
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

// ---------------------------------------------------------------- constructor

#[test]
fn constructor_sets_metadata_and_grants_admin_all_roles() {
    let vm = TestVM::default();
    let mut token = RewardToken::from(&vm);
    vm.set_sender(BOB); // e.g. the deployer factory: not the admin
    token
        .constructor(NAME.into(), SYMBOL.into(), 6, u(5000), ADMIN)
        .unwrap();
    assert_eq!(token.name(), NAME);
    assert_eq!(token.symbol(), SYMBOL);
    assert_eq!(token.decimals(), 6);
    assert_eq!(token.cap(), u(5000));
    assert_eq!(token.total_supply(), U256::ZERO);
    assert!(!token.paused());
    for role in [DEFAULT_ADMIN_ROLE, MINTER_ROLE, PAUSER_ROLE] {
        assert!(token.has_role(role, ADMIN));
        assert!(!token.has_role(role, BOB));
    }
    let expected: Vec<LogData> = [DEFAULT_ADMIN_ROLE, MINTER_ROLE, PAUSER_ROLE]
        .into_iter()
        .map(|role| {
            log_of(&RoleGranted {
                role,
                account: ADMIN,
                sender: BOB,
            })
        })
        .collect();
    assert_eq!(logs(&vm), expected);
}

#[test]
fn constructor_reverts_on_zero_admin() {
    let vm = TestVM::default();
    let mut token = RewardToken::from(&vm);
    let err = token
        .constructor(NAME.into(), SYMBOL.into(), 18, U256::ZERO, Address::ZERO)
        .unwrap_err();
    assert_eq!(
        err,
        RewardTokenError::InvalidAdmin(RewardTokenInvalidAdmin {
            admin: Address::ZERO
        })
    );
    assert!(logs(&vm).is_empty());
}

#[test]
fn metadata_strings_longer_than_a_word_round_trip() {
    let vm = TestVM::default();
    let mut token = RewardToken::from(&vm);
    let name = "Ünïcödé labelmint reward token for annotators — version two".to_string();
    let symbol = "x".repeat(64);
    token
        .constructor(name.clone(), symbol.clone(), 0, U256::ZERO, ADMIN)
        .unwrap();
    assert_eq!(token.name(), name);
    assert_eq!(token.symbol(), symbol);
    assert_eq!(token.decimals(), 0);
}

#[test]
fn empty_metadata_strings_round_trip() {
    let vm = TestVM::default();
    let mut token = RewardToken::from(&vm);
    token
        .constructor(String::new(), String::new(), 18, U256::ZERO, ADMIN)
        .unwrap();
    assert_eq!(token.name(), "");
    assert_eq!(token.symbol(), "");
}

// ------------------------------------------------------------------- transfer

#[test]
fn transfer_moves_balance_and_emits_transfer() {
    let (vm, mut token) = funded();
    vm.set_sender(ALICE);
    assert!(token.transfer(BOB, u(300)).unwrap());
    assert_eq!(token.balance_of(ALICE), u(700));
    assert_eq!(token.balance_of(BOB), u(300));
    assert_eq!(token.total_supply(), u(1000));
    assert_eq!(logs(&vm), vec![transfer_log(ALICE, BOB, 300)]);
}

#[test]
fn transfer_of_zero_and_to_self_are_ordinary_transfers() {
    let (vm, mut token) = funded();
    vm.set_sender(ALICE);
    assert!(token.transfer(BOB, U256::ZERO).unwrap());
    assert!(token.transfer(ALICE, u(400)).unwrap());
    assert_eq!(token.balance_of(ALICE), u(1000));
    assert_eq!(token.balance_of(BOB), U256::ZERO);
    assert_eq!(
        logs(&vm),
        vec![transfer_log(ALICE, BOB, 0), transfer_log(ALICE, ALICE, 400)]
    );
}

#[test]
fn transfer_reverts_when_balance_insufficient() {
    let (vm, mut token) = funded();
    vm.set_sender(ALICE);
    let err = token.transfer(BOB, u(1001)).unwrap_err();
    assert_eq!(
        err,
        RewardTokenError::InsufficientBalance(ERC20InsufficientBalance {
            sender: ALICE,
            balance: u(1000),
            needed: u(1001)
        })
    );
    assert_eq!(token.balance_of(ALICE), u(1000));
    assert!(logs(&vm).is_empty());
}

#[test]
fn transfer_reverts_to_zero_address() {
    let (vm, mut token) = funded();
    vm.set_sender(ALICE);
    assert_eq!(
        token.transfer(Address::ZERO, u(1)).unwrap_err(),
        RewardTokenError::InvalidReceiver(ERC20InvalidReceiver {
            receiver: Address::ZERO
        })
    );
}

#[test]
fn transfer_reverts_from_zero_address() {
    let (vm, mut token) = funded();
    vm.set_sender(Address::ZERO);
    assert_eq!(
        token.transfer(BOB, U256::ZERO).unwrap_err(),
        RewardTokenError::InvalidSender(ERC20InvalidSender {
            sender: Address::ZERO
        })
    );
}

// ---------------------------------------------------------- approve and spend

#[test]
fn approve_sets_allowance_and_emits_approval() {
    let (vm, mut token) = funded();
    vm.set_sender(ALICE);
    assert!(token.approve(BOB, u(250)).unwrap());
    assert_eq!(token.allowance(ALICE, BOB), u(250));
    assert!(token.approve(BOB, u(10)).unwrap());
    assert_eq!(token.allowance(ALICE, BOB), u(10));
    assert_eq!(
        logs(&vm),
        vec![
            log_of(&Approval {
                owner: ALICE,
                spender: BOB,
                value: u(250)
            }),
            log_of(&Approval {
                owner: ALICE,
                spender: BOB,
                value: u(10)
            })
        ]
    );
}

#[test]
fn approve_reverts_for_zero_spender() {
    let (vm, mut token) = funded();
    vm.set_sender(ALICE);
    assert_eq!(
        token.approve(Address::ZERO, u(1)).unwrap_err(),
        RewardTokenError::InvalidSpender(ERC20InvalidSpender {
            spender: Address::ZERO
        })
    );
}

#[test]
fn approve_reverts_for_zero_approver() {
    let (vm, mut token) = funded();
    vm.set_sender(Address::ZERO);
    assert_eq!(
        token.approve(BOB, u(1)).unwrap_err(),
        RewardTokenError::InvalidApprover(ERC20InvalidApprover {
            approver: Address::ZERO
        })
    );
}

#[test]
fn transfer_from_spends_allowance_without_approval_event() {
    let (vm, mut token) = funded();
    vm.set_sender(ALICE);
    token.approve(BOB, u(500)).unwrap();
    vm.clear_mocks();
    vm.set_sender(BOB);
    assert!(token.transfer_from(ALICE, CAROL, u(200)).unwrap());
    assert_eq!(token.allowance(ALICE, BOB), u(300));
    assert_eq!(token.balance_of(ALICE), u(800));
    assert_eq!(token.balance_of(CAROL), u(200));
    assert_eq!(logs(&vm), vec![transfer_log(ALICE, CAROL, 200)]);
}

#[test]
fn transfer_from_with_max_allowance_never_decrements() {
    let (vm, mut token) = funded();
    vm.set_sender(ALICE);
    token.approve(BOB, U256::MAX).unwrap();
    vm.set_sender(BOB);
    token.transfer_from(ALICE, CAROL, u(600)).unwrap();
    token.transfer_from(ALICE, CAROL, u(400)).unwrap();
    assert_eq!(token.allowance(ALICE, BOB), U256::MAX);
    assert_eq!(token.balance_of(CAROL), u(1000));
}

#[test]
fn transfer_from_reverts_when_allowance_insufficient() {
    let (vm, mut token) = funded();
    vm.set_sender(ALICE);
    token.approve(BOB, u(99)).unwrap();
    vm.clear_mocks();
    vm.set_sender(BOB);
    assert_eq!(
        token.transfer_from(ALICE, CAROL, u(100)).unwrap_err(),
        RewardTokenError::InsufficientAllowance(ERC20InsufficientAllowance {
            spender: BOB,
            allowance: u(99),
            needed: u(100)
        })
    );
    assert_eq!(token.allowance(ALICE, BOB), u(99));
    assert!(logs(&vm).is_empty());
}

#[test]
fn transfer_from_reverts_when_owner_balance_insufficient() {
    let (vm, mut token) = funded();
    vm.set_sender(ALICE);
    token.approve(BOB, U256::MAX).unwrap();
    vm.set_sender(BOB);
    assert!(matches!(
        token.transfer_from(ALICE, CAROL, u(1001)).unwrap_err(),
        RewardTokenError::InsufficientBalance(_)
    ));
}

#[test]
fn transfer_from_reverts_to_zero_address() {
    let (vm, mut token) = funded();
    vm.set_sender(ALICE);
    token.approve(BOB, u(10)).unwrap();
    vm.set_sender(BOB);
    assert_eq!(
        token.transfer_from(ALICE, Address::ZERO, u(1)).unwrap_err(),
        RewardTokenError::InvalidReceiver(ERC20InvalidReceiver {
            receiver: Address::ZERO
        })
    );
}

// ------------------------------------------------------------------ mint/burn

#[test]
fn mint_by_minter_increases_supply_and_emits_transfer_from_zero() {
    let (vm, mut token) = token();
    token.mint(ALICE, u(42)).unwrap();
    assert_eq!(token.total_supply(), u(42));
    assert_eq!(token.balance_of(ALICE), u(42));
    assert_eq!(logs(&vm), vec![transfer_log(Address::ZERO, ALICE, 42)]);
}

#[test]
fn mint_reverts_for_caller_without_minter_role() {
    let (vm, mut token) = token();
    vm.set_sender(ALICE);
    assert_eq!(
        token.mint(ALICE, u(1)).unwrap_err(),
        RewardTokenError::Unauthorized(AccessControlUnauthorizedAccount {
            account: ALICE,
            neededRole: MINTER_ROLE
        })
    );
    assert_eq!(token.total_supply(), U256::ZERO);
}

#[test]
fn mint_reverts_to_zero_address() {
    let (_vm, mut token) = token();
    assert_eq!(
        token.mint(Address::ZERO, u(1)).unwrap_err(),
        RewardTokenError::InvalidReceiver(ERC20InvalidReceiver {
            receiver: Address::ZERO
        })
    );
}

#[test]
fn mint_up_to_cap_succeeds_and_past_cap_reverts() {
    let (_vm, mut token) = token_with_cap(u(100));
    token.mint(ALICE, u(60)).unwrap();
    token.mint(BOB, u(40)).unwrap();
    assert_eq!(token.total_supply(), u(100));
    assert_eq!(
        token.mint(BOB, u(1)).unwrap_err(),
        RewardTokenError::ExceededCap(ERC20ExceededCap {
            increasedSupply: u(101),
            cap: u(100)
        })
    );
    assert_eq!(token.total_supply(), u(100));
}

#[test]
fn mint_uncapped_reverts_on_supply_overflow() {
    let (_vm, mut token) = token();
    token.mint(ALICE, U256::MAX).unwrap();
    assert_eq!(
        token.mint(BOB, u(1)).unwrap_err(),
        RewardTokenError::ExceededCap(ERC20ExceededCap {
            increasedSupply: U256::MAX,
            cap: U256::MAX
        })
    );
    assert_eq!(token.balance_of(BOB), U256::ZERO);
}

#[test]
fn burn_reduces_balance_and_supply() {
    let (vm, mut token) = funded();
    vm.set_sender(ALICE);
    token.burn(u(250)).unwrap();
    assert_eq!(token.balance_of(ALICE), u(750));
    assert_eq!(token.total_supply(), u(750));
    assert_eq!(logs(&vm), vec![transfer_log(ALICE, Address::ZERO, 250)]);
}

#[test]
fn burn_reverts_when_balance_insufficient() {
    let (vm, mut token) = funded();
    vm.set_sender(BOB);
    assert_eq!(
        token.burn(u(1)).unwrap_err(),
        RewardTokenError::InsufficientBalance(ERC20InsufficientBalance {
            sender: BOB,
            balance: U256::ZERO,
            needed: u(1)
        })
    );
}

#[test]
fn burn_from_spends_allowance() {
    let (vm, mut token) = funded();
    vm.set_sender(ALICE);
    token.approve(BOB, u(300)).unwrap();
    vm.clear_mocks();
    vm.set_sender(BOB);
    token.burn_from(ALICE, u(100)).unwrap();
    assert_eq!(token.allowance(ALICE, BOB), u(200));
    assert_eq!(token.balance_of(ALICE), u(900));
    assert_eq!(token.total_supply(), u(900));
    assert_eq!(logs(&vm), vec![transfer_log(ALICE, Address::ZERO, 100)]);
}

#[test]
fn burn_from_reverts_without_allowance() {
    let (vm, mut token) = funded();
    vm.set_sender(BOB);
    assert_eq!(
        token.burn_from(ALICE, u(1)).unwrap_err(),
        RewardTokenError::InsufficientAllowance(ERC20InsufficientAllowance {
            spender: BOB,
            allowance: U256::ZERO,
            needed: u(1)
        })
    );
    assert_eq!(token.balance_of(ALICE), u(1000));
}

#[test]
fn burn_from_zero_account_reverts_as_invalid_approver_like_openzeppelin() {
    let (vm, mut token) = funded();
    vm.set_sender(BOB);
    assert_eq!(
        token.burn_from(Address::ZERO, U256::ZERO).unwrap_err(),
        RewardTokenError::InvalidApprover(ERC20InvalidApprover {
            approver: Address::ZERO
        })
    );
}

#[test]
fn transfer_from_zero_account_reverts_as_invalid_approver_like_openzeppelin() {
    let (vm, mut token) = funded();
    vm.set_sender(BOB);
    assert_eq!(
        token
            .transfer_from(Address::ZERO, ALICE, U256::ZERO)
            .unwrap_err(),
        RewardTokenError::InvalidApprover(ERC20InvalidApprover {
            approver: Address::ZERO
        })
    );
    // A non-zero amount fails on the (zero) allowance first, as in OZ v5.
    assert!(matches!(
        token.transfer_from(Address::ZERO, ALICE, u(1)).unwrap_err(),
        RewardTokenError::InsufficientAllowance(_)
    ));
}

// ---------------------------------------------------------------------- pause

#[test]
fn pause_blocks_transfers_mints_and_burns_but_not_approvals() {
    let (vm, mut token) = funded();
    token.pause().unwrap();
    assert!(token.paused());
    assert_eq!(logs(&vm), vec![log_of(&Paused { account: ADMIN })]);
    let paused = RewardTokenError::EnforcedPause(EnforcedPause {});
    assert_eq!(token.mint(BOB, u(1)).unwrap_err(), paused);
    vm.set_sender(ALICE);
    assert_eq!(token.transfer(BOB, u(1)).unwrap_err(), paused);
    assert_eq!(token.burn(u(1)).unwrap_err(), paused);
    assert!(token.approve(BOB, u(5)).unwrap());
    vm.set_sender(BOB);
    assert_eq!(token.transfer_from(ALICE, BOB, u(1)).unwrap_err(), paused);
    assert_eq!(token.burn_from(ALICE, u(1)).unwrap_err(), paused);
    assert_eq!(token.balance_of(ALICE), u(1000));
}

#[test]
fn unpause_restores_transfers() {
    let (vm, mut token) = funded();
    token.pause().unwrap();
    vm.clear_mocks();
    token.unpause().unwrap();
    assert!(!token.paused());
    assert_eq!(logs(&vm), vec![log_of(&Unpaused { account: ADMIN })]);
    vm.set_sender(ALICE);
    token.transfer(BOB, u(1)).unwrap();
}

#[test]
fn pause_and_unpause_revert_for_caller_without_pauser_role() {
    let (vm, mut token) = funded();
    vm.set_sender(ALICE);
    let unauthorized = RewardTokenError::Unauthorized(AccessControlUnauthorizedAccount {
        account: ALICE,
        neededRole: PAUSER_ROLE,
    });
    assert_eq!(token.pause().unwrap_err(), unauthorized);
    assert_eq!(token.unpause().unwrap_err(), unauthorized);
    assert!(!token.paused());
}

#[test]
fn pause_reverts_when_already_paused() {
    let (_vm, mut token) = funded();
    token.pause().unwrap();
    assert_eq!(
        token.pause().unwrap_err(),
        RewardTokenError::EnforcedPause(EnforcedPause {})
    );
}

#[test]
fn unpause_reverts_when_not_paused() {
    let (_vm, mut token) = funded();
    assert_eq!(
        token.unpause().unwrap_err(),
        RewardTokenError::ExpectedPause(ExpectedPause {})
    );
}

// ---------------------------------------------------------------------- roles

#[test]
fn role_constants_are_the_documented_hashes() {
    let (_vm, token) = token();
    assert_eq!(token.default_admin_role(), B256::ZERO);
    assert_eq!(token.minter_role(), keccak256("MINTER_ROLE"));
    assert_eq!(token.pauser_role(), keccak256("PAUSER_ROLE"));
    for role in [
        DEFAULT_ADMIN_ROLE,
        MINTER_ROLE,
        PAUSER_ROLE,
        B256::repeat_byte(7),
    ] {
        assert_eq!(token.get_role_admin(role), DEFAULT_ADMIN_ROLE);
    }
}

#[test]
fn grant_role_by_admin_emits_once() {
    let (vm, mut token) = token();
    token.grant_role(MINTER_ROLE, ALICE).unwrap();
    token.grant_role(MINTER_ROLE, ALICE).unwrap();
    assert!(token.has_role(MINTER_ROLE, ALICE));
    assert_eq!(
        logs(&vm),
        vec![log_of(&RoleGranted {
            role: MINTER_ROLE,
            account: ALICE,
            sender: ADMIN
        })]
    );
    vm.set_sender(ALICE);
    token.mint(BOB, u(3)).unwrap();
    assert_eq!(token.balance_of(BOB), u(3));
}

#[test]
fn grant_and_revoke_role_revert_for_non_admin() {
    let (vm, mut token) = token();
    vm.set_sender(ALICE);
    let unauthorized = RewardTokenError::Unauthorized(AccessControlUnauthorizedAccount {
        account: ALICE,
        neededRole: DEFAULT_ADMIN_ROLE,
    });
    assert_eq!(
        token.grant_role(MINTER_ROLE, ALICE).unwrap_err(),
        unauthorized
    );
    assert_eq!(
        token.revoke_role(MINTER_ROLE, ADMIN).unwrap_err(),
        unauthorized
    );
    assert!(!token.has_role(MINTER_ROLE, ALICE));
    assert!(token.has_role(MINTER_ROLE, ADMIN));
}

#[test]
fn revoke_role_removes_membership_and_emits_once() {
    let (vm, mut token) = token();
    token.revoke_role(MINTER_ROLE, ADMIN).unwrap();
    token.revoke_role(MINTER_ROLE, ADMIN).unwrap();
    assert!(!token.has_role(MINTER_ROLE, ADMIN));
    assert_eq!(
        logs(&vm),
        vec![log_of(&RoleRevoked {
            role: MINTER_ROLE,
            account: ADMIN,
            sender: ADMIN
        })]
    );
    assert!(matches!(
        token.mint(ALICE, u(1)).unwrap_err(),
        RewardTokenError::Unauthorized(_)
    ));
}

#[test]
fn renounce_role_requires_confirmation_of_the_caller() {
    let (vm, mut token) = token();
    assert_eq!(
        token.renounce_role(PAUSER_ROLE, ALICE).unwrap_err(),
        RewardTokenError::BadConfirmation(AccessControlBadConfirmation {})
    );
    assert!(token.has_role(PAUSER_ROLE, ADMIN));
    token.renounce_role(PAUSER_ROLE, ADMIN).unwrap();
    assert!(!token.has_role(PAUSER_ROLE, ADMIN));
    assert_eq!(
        logs(&vm),
        vec![log_of(&RoleRevoked {
            role: PAUSER_ROLE,
            account: ADMIN,
            sender: ADMIN
        })]
    );
}

// --------------------------------------------------------------------- permit

#[test]
fn domain_separator_matches_alloy_eip712() {
    let (vm, token) = token();
    vm.set_chain_id(412346);
    let expected = eip712_domain! {
        name: NAME,
        version: "1",
        chain_id: 412346,
        verifying_contract: vm.contract_address(),
    }
    .separator();
    assert_eq!(token.domain_separator(), expected);
}

#[test]
fn eip712_domain_describes_the_domain() {
    let (vm, token) = token();
    let (fields, name, version, chain_id, contract, salt, extensions) = token.eip712_domain();
    assert_eq!(fields.0, [0x0f]);
    assert_eq!(name, NAME);
    assert_eq!(version, "1");
    assert_eq!(chain_id, U256::from(vm.chain_id()));
    assert_eq!(contract, vm.contract_address());
    assert_eq!(salt, B256::ZERO);
    assert!(extensions.is_empty());
}

/// A signed permit from `owner_key` to BOB for 77, deadline 1,000.
fn signed_permit(
    vm: &TestVM,
    token: &RewardToken,
    owner_key: &SigningKey,
    owner: Address,
) -> (u8, B256, B256) {
    let digest = permit_digest(vm, owner, BOB, u(77), token.nonces(owner), u(1000));
    let (v, r, s) = sign(owner_key, digest);
    mock_ecrecover(vm, digest, v, r, s);
    (v, r, s)
}

#[test]
fn permit_with_valid_signature_sets_allowance_and_bumps_nonce() {
    let (vm, mut token) = token();
    let owner_key = key(0x11);
    let owner = address_of(&owner_key);
    vm.set_block_timestamp(1000); // the deadline itself is still valid
    let (v, r, s) = signed_permit(&vm, &token, &owner_key, owner);
    vm.set_sender(CAROL); // anyone may relay
    token.permit(owner, BOB, u(77), u(1000), v, r, s).unwrap();
    assert_eq!(token.allowance(owner, BOB), u(77));
    assert_eq!(token.nonces(owner), u(1));
    assert_eq!(
        logs(&vm),
        vec![log_of(&Approval {
            owner,
            spender: BOB,
            value: u(77)
        })]
    );
}

#[test]
fn permit_reverts_after_deadline() {
    let (vm, mut token) = token();
    let owner_key = key(0x11);
    let owner = address_of(&owner_key);
    let (v, r, s) = signed_permit(&vm, &token, &owner_key, owner);
    vm.set_block_timestamp(1001);
    assert_eq!(
        token
            .permit(owner, BOB, u(77), u(1000), v, r, s)
            .unwrap_err(),
        RewardTokenError::ExpiredSignature(ERC2612ExpiredSignature { deadline: u(1000) })
    );
    assert_eq!(token.nonces(owner), U256::ZERO);
}

#[test]
fn permit_reverts_for_wrong_signer() {
    let (vm, mut token) = token();
    let owner = address_of(&key(0x11));
    let thief_key = key(0x22);
    let thief = address_of(&thief_key);
    let digest = permit_digest(&vm, owner, BOB, u(77), U256::ZERO, u(1000));
    let (v, r, s) = sign(&thief_key, digest);
    assert_eq!(mock_ecrecover(&vm, digest, v, r, s), thief);
    assert_eq!(
        token
            .permit(owner, BOB, u(77), u(1000), v, r, s)
            .unwrap_err(),
        RewardTokenError::InvalidSigner(ERC2612InvalidSigner {
            signer: thief,
            owner
        })
    );
    assert_eq!(token.allowance(owner, BOB), U256::ZERO);
}

#[test]
fn permit_reverts_when_values_differ_from_the_signed_ones() {
    let (vm, mut token) = token();
    let owner_key = key(0x11);
    let owner = address_of(&owner_key);
    let (v, r, s) = signed_permit(&vm, &token, &owner_key, owner);
    // A different value gives a different digest, from which the same
    // signature recovers some unrelated address.
    let tampered = permit_digest(&vm, owner, BOB, u(78), U256::ZERO, u(1000));
    let recovered = mock_ecrecover(&vm, tampered, v, r, s);
    assert_ne!(recovered, owner);
    assert_eq!(
        token
            .permit(owner, BOB, u(78), u(1000), v, r, s)
            .unwrap_err(),
        RewardTokenError::InvalidSigner(ERC2612InvalidSigner {
            signer: recovered,
            owner
        })
    );
    assert_eq!(token.nonces(owner), U256::ZERO);
}

#[test]
fn permit_replay_reverts() {
    let (vm, mut token) = token();
    let owner_key = key(0x11);
    let owner = address_of(&owner_key);
    let (v, r, s) = signed_permit(&vm, &token, &owner_key, owner);
    token.permit(owner, BOB, u(77), u(1000), v, r, s).unwrap();
    // The nonce moved on: the same signature now signs a digest nobody signed.
    let replay_digest = permit_digest(&vm, owner, BOB, u(77), u(1), u(1000));
    let recovered = mock_ecrecover(&vm, replay_digest, v, r, s);
    assert_ne!(recovered, owner);
    assert_eq!(
        token
            .permit(owner, BOB, u(77), u(1000), v, r, s)
            .unwrap_err(),
        RewardTokenError::InvalidSigner(ERC2612InvalidSigner {
            signer: recovered,
            owner
        })
    );
    assert_eq!(token.nonces(owner), u(1));
}

#[test]
fn permit_reverts_on_high_s_signature() {
    let (vm, mut token) = token();
    let owner_key = key(0x11);
    let owner = address_of(&owner_key);
    let (v, r, s) = signed_permit(&vm, &token, &owner_key, owner);
    // The malleable twin: s' = n - s, v flipped.
    let n = U256::from_be_bytes(alloy_primitives::hex!(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
    ));
    let high_s = B256::from(n - U256::from_be_bytes(s.0));
    let v2 = if v == 27 { 28 } else { 27 };
    assert_eq!(
        token
            .permit(owner, BOB, u(77), u(1000), v2, r, high_s)
            .unwrap_err(),
        RewardTokenError::InvalidSignatureS(ECDSAInvalidSignatureS { s: high_s })
    );
}

#[test]
fn permit_reverts_on_bad_v() {
    let (vm, mut token) = token();
    let owner_key = key(0x11);
    let owner = address_of(&owner_key);
    let (_, r, s) = signed_permit(&vm, &token, &owner_key, owner);
    for v in [0, 1, 29, 255] {
        assert_eq!(
            token
                .permit(owner, BOB, u(77), u(1000), v, r, s)
                .unwrap_err(),
            RewardTokenError::InvalidSignature(ECDSAInvalidSignature {})
        );
    }
}

#[test]
fn permit_reverts_when_precompile_returns_nothing() {
    let (vm, mut token) = token();
    let owner = address_of(&key(0x11));
    let digest = permit_digest(&vm, owner, BOB, u(77), U256::ZERO, u(1000));
    let (r, s) = (B256::repeat_byte(1), B256::repeat_byte(2));
    // What ecrecover answers for a point that is not on the curve.
    vm.mock_static_call(ECRECOVER, ecrecover_input(digest, 27, r, s), Ok(Vec::new()));
    assert_eq!(
        token
            .permit(owner, BOB, u(77), u(1000), 27, r, s)
            .unwrap_err(),
        RewardTokenError::InvalidSignature(ECDSAInvalidSignature {})
    );
}

#[test]
fn permit_reverts_when_precompile_recovers_zero_address() {
    let (vm, mut token) = token();
    let owner = address_of(&key(0x11));
    let digest = permit_digest(&vm, owner, BOB, u(77), U256::ZERO, u(1000));
    let (r, s) = (B256::repeat_byte(1), B256::repeat_byte(2));
    vm.mock_static_call(
        ECRECOVER,
        ecrecover_input(digest, 27, r, s),
        Ok(vec![0u8; 32]),
    );
    assert_eq!(
        token
            .permit(owner, BOB, u(77), u(1000), 27, r, s)
            .unwrap_err(),
        RewardTokenError::InvalidSignature(ECDSAInvalidSignature {})
    );
}

#[test]
fn permit_reverts_for_zero_spender_even_when_signed() {
    let (vm, mut token) = token();
    let owner_key = key(0x11);
    let owner = address_of(&owner_key);
    let digest = permit_digest(&vm, owner, Address::ZERO, u(5), U256::ZERO, u(1000));
    let (v, r, s) = sign(&owner_key, digest);
    mock_ecrecover(&vm, digest, v, r, s);
    assert_eq!(
        token
            .permit(owner, Address::ZERO, u(5), u(1000), v, r, s)
            .unwrap_err(),
        RewardTokenError::InvalidSpender(ERC20InvalidSpender {
            spender: Address::ZERO
        })
    );
}

/// The fixture signed by ethers (see scripts/permit-fixture.mjs).
#[test]
fn permit_accepts_signature_from_independent_implementation() {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../../../tests/fixtures/permit.json")).unwrap();
    let text = |k: &str| fixture[k].as_str().unwrap().to_string();
    let word = |k: &str| text(k).parse::<U256>().unwrap();
    let b256 = |k: &str| text(k).parse::<B256>().unwrap();
    let addr = |k: &str| text(k).parse::<Address>().unwrap();

    let vm = TestVM::default();
    vm.set_chain_id(fixture["chainId"].as_u64().unwrap());
    vm.set_contract_address(addr("verifyingContract"));
    let mut token = RewardToken::from(&vm);
    token
        .constructor(text("name"), SYMBOL.into(), 18, U256::ZERO, ADMIN)
        .unwrap();
    assert_eq!(token.domain_separator(), b256("domainSeparator"));

    let (owner, spender) = (addr("owner"), addr("spender"));
    let digest = b256("digest");
    assert_eq!(
        permit_digest(
            &vm,
            owner,
            spender,
            word("value"),
            word("nonce"),
            word("deadline")
        ),
        digest,
        "alloy and ethers disagree on the digest"
    );
    let v = u8::try_from(fixture["v"].as_u64().unwrap()).unwrap();
    let (r, s) = (b256("r"), b256("s"));
    assert_eq!(
        mock_ecrecover(&vm, digest, v, r, s),
        owner,
        "k256 and ethers disagree on the signer"
    );

    vm.set_block_timestamp(1_800_000_000);
    token
        .permit(owner, spender, word("value"), word("deadline"), v, r, s)
        .unwrap();
    assert_eq!(token.allowance(owner, spender), word("value"));
    assert_eq!(token.nonces(owner), u(1));
}

// --------------------------------------------------------------------- errors

#[test]
fn every_error_encodes_exactly_like_alloy() {
    let a = ALICE;
    let w = u(123_456);
    let h = B256::repeat_byte(9);
    let cases: Vec<(RewardTokenError, Vec<u8>)> = vec![
        (
            RewardTokenError::InsufficientBalance(ERC20InsufficientBalance {
                sender: a,
                balance: w,
                needed: U256::MAX,
            }),
            ERC20InsufficientBalance {
                sender: a,
                balance: w,
                needed: U256::MAX,
            }
            .abi_encode(),
        ),
        (
            RewardTokenError::InvalidSender(ERC20InvalidSender { sender: a }),
            ERC20InvalidSender { sender: a }.abi_encode(),
        ),
        (
            RewardTokenError::InvalidReceiver(ERC20InvalidReceiver { receiver: a }),
            ERC20InvalidReceiver { receiver: a }.abi_encode(),
        ),
        (
            RewardTokenError::InsufficientAllowance(ERC20InsufficientAllowance {
                spender: a,
                allowance: w,
                needed: w,
            }),
            ERC20InsufficientAllowance {
                spender: a,
                allowance: w,
                needed: w,
            }
            .abi_encode(),
        ),
        (
            RewardTokenError::InvalidApprover(ERC20InvalidApprover { approver: a }),
            ERC20InvalidApprover { approver: a }.abi_encode(),
        ),
        (
            RewardTokenError::InvalidSpender(ERC20InvalidSpender { spender: a }),
            ERC20InvalidSpender { spender: a }.abi_encode(),
        ),
        (
            RewardTokenError::ExceededCap(ERC20ExceededCap {
                increasedSupply: w,
                cap: u(1),
            }),
            ERC20ExceededCap {
                increasedSupply: w,
                cap: u(1),
            }
            .abi_encode(),
        ),
        (
            RewardTokenError::EnforcedPause(EnforcedPause {}),
            EnforcedPause {}.abi_encode(),
        ),
        (
            RewardTokenError::ExpectedPause(ExpectedPause {}),
            ExpectedPause {}.abi_encode(),
        ),
        (
            RewardTokenError::Unauthorized(AccessControlUnauthorizedAccount {
                account: a,
                neededRole: h,
            }),
            AccessControlUnauthorizedAccount {
                account: a,
                neededRole: h,
            }
            .abi_encode(),
        ),
        (
            RewardTokenError::BadConfirmation(AccessControlBadConfirmation {}),
            AccessControlBadConfirmation {}.abi_encode(),
        ),
        (
            RewardTokenError::ExpiredSignature(ERC2612ExpiredSignature { deadline: w }),
            ERC2612ExpiredSignature { deadline: w }.abi_encode(),
        ),
        (
            RewardTokenError::InvalidSigner(ERC2612InvalidSigner {
                signer: a,
                owner: BOB,
            }),
            ERC2612InvalidSigner {
                signer: a,
                owner: BOB,
            }
            .abi_encode(),
        ),
        (
            RewardTokenError::InvalidSignature(ECDSAInvalidSignature {}),
            ECDSAInvalidSignature {}.abi_encode(),
        ),
        (
            RewardTokenError::InvalidSignatureS(ECDSAInvalidSignatureS { s: h }),
            ECDSAInvalidSignatureS { s: h }.abi_encode(),
        ),
        (
            RewardTokenError::InvalidAdmin(RewardTokenInvalidAdmin { admin: a }),
            RewardTokenInvalidAdmin { admin: a }.abi_encode(),
        ),
    ];
    assert_eq!(cases.len(), 16, "one case per error variant");
    for (error, expected) in cases {
        let name = format!("{error:?}");
        assert_eq!(Vec::<u8>::from(error), expected, "{name}");
    }
}

// ------------------------------------------------------------------ invariant

mod invariant {
    use proptest::prelude::*;

    use super::*;

    const HOLDERS: [Address; 3] = [ALICE, BOB, CAROL];

    #[derive(Debug, Clone)]
    enum Op {
        Mint(usize, u64),
        Transfer(usize, usize, u64),
        Approve(usize, usize, u64),
        TransferFrom(usize, usize, usize, u64),
        Burn(usize, u64),
        BurnFrom(usize, usize, u64),
        Pause,
        Unpause,
    }

    fn op() -> impl Strategy<Value = Op> {
        let who = 0..HOLDERS.len();
        let amount = 0u64..2_000;
        prop_oneof![
            (who.clone(), amount.clone()).prop_map(|(a, v)| Op::Mint(a, v)),
            (who.clone(), who.clone(), amount.clone()).prop_map(|(a, b, v)| Op::Transfer(a, b, v)),
            (who.clone(), who.clone(), amount.clone()).prop_map(|(a, b, v)| Op::Approve(a, b, v)),
            (who.clone(), who.clone(), who.clone(), amount.clone())
                .prop_map(|(s, a, b, v)| Op::TransferFrom(s, a, b, v)),
            (who.clone(), amount.clone()).prop_map(|(a, v)| Op::Burn(a, v)),
            (who.clone(), who, amount).prop_map(|(s, a, v)| Op::BurnFrom(s, a, v)),
            Just(Op::Pause),
            Just(Op::Unpause),
        ]
    }

    fn snapshot(token: &RewardToken) -> (Vec<U256>, Vec<U256>, U256) {
        let balances = HOLDERS.iter().map(|h| token.balance_of(*h)).collect();
        let allowances = HOLDERS
            .iter()
            .flat_map(|o| HOLDERS.iter().map(move |s| (*o, *s)))
            .map(|(o, s)| token.allowance(o, s))
            .collect();
        (balances, allowances, token.total_supply())
    }

    /// Case count: `PROPTEST_CASES`, default 64.
    fn cases() -> u32 {
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(64)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases()))]

        /// Supply always equals the sum of balances and never passes the cap;
        /// a failed operation changes nothing.
        #[test]
        fn supply_equals_sum_of_balances_and_failures_change_nothing(ops in proptest::collection::vec(op(), 1..40)) {
            let cap = u(5_000);
            let (vm, mut token) = token_with_cap(cap);
            for op in ops {
                let before = snapshot(&token);
                let result = match op {
                    Op::Mint(a, v) => { vm.set_sender(ADMIN); token.mint(HOLDERS[a], u(v)) }
                    Op::Transfer(a, b, v) => { vm.set_sender(HOLDERS[a]); token.transfer(HOLDERS[b], u(v)).map(|_| ()) }
                    Op::Approve(a, b, v) => { vm.set_sender(HOLDERS[a]); token.approve(HOLDERS[b], u(v)).map(|_| ()) }
                    Op::TransferFrom(s, a, b, v) => { vm.set_sender(HOLDERS[s]); token.transfer_from(HOLDERS[a], HOLDERS[b], u(v)).map(|_| ()) }
                    Op::Burn(a, v) => { vm.set_sender(HOLDERS[a]); token.burn(u(v)) }
                    Op::BurnFrom(s, a, v) => { vm.set_sender(HOLDERS[s]); token.burn_from(HOLDERS[a], u(v)) }
                    Op::Pause => { vm.set_sender(ADMIN); token.pause() }
                    Op::Unpause => { vm.set_sender(ADMIN); token.unpause() }
                };
                let after = snapshot(&token);
                if result.is_err() {
                    prop_assert_eq!(&before, &after);
                }
                let sum = after.0.iter().fold(U256::ZERO, |acc, b| acc + b);
                prop_assert_eq!(sum, after.2);
                prop_assert!(after.2 <= cap);
            }
        }
    }
}
