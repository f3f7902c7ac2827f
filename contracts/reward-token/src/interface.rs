//! Events and custom errors of the RewardToken, declared once in Solidity
//! syntax. With the `export-abi` feature the same declarations also yield their
//! JSON ABI (`events_and_errors_abi`), so `abi/` can never disagree with what
//! the contract emits and reverts with.
#![allow(missing_docs)] // items are documented in Solidity syntax below

use stylus_sdk::alloy_sol_types::sol;

/// Declares the interface, optionally with `#[sol(abi)]`.
macro_rules! declare_interface {
    ($(#[$attr:meta])*) => {
        sol! {
            $(#[$attr])*
            #[sol(all_derives)]
            interface IRewardTokenEvents {
                /// `value` tokens moved from `from` to `to` (zero `from`: mint; zero `to`: burn).
                event Transfer(address indexed from, address indexed to, uint256 value);
                /// `owner` set `spender`'s allowance to `value`.
                event Approval(address indexed owner, address indexed spender, uint256 value);
                /// `account` paused the token.
                event Paused(address account);
                /// `account` lifted the pause.
                event Unpaused(address account);
                /// `sender` granted `role` to `account`.
                event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender);
                /// `sender` revoked `role` from `account` (or `account` renounced it).
                event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender);

                /// EIP-6093: `sender` holds `balance`, less than `needed`.
                error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);
                /// EIP-6093: `sender` may not send (the zero address).
                error ERC20InvalidSender(address sender);
                /// EIP-6093: `receiver` may not receive (the zero address).
                error ERC20InvalidReceiver(address receiver);
                /// EIP-6093: `spender` is allowed `allowance`, less than `needed`.
                error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
                /// EIP-6093: `approver` may not approve (the zero address).
                error ERC20InvalidApprover(address approver);
                /// EIP-6093: `spender` may not be approved (the zero address).
                error ERC20InvalidSpender(address spender);
                /// The supply would become `increasedSupply`, above `cap`.
                error ERC20ExceededCap(uint256 increasedSupply, uint256 cap);
                /// The token is paused.
                error EnforcedPause();
                /// The token is not paused.
                error ExpectedPause();
                /// `account` lacks `neededRole`.
                error AccessControlUnauthorizedAccount(address account, bytes32 neededRole);
                /// `renounceRole` was not confirmed with the caller's address.
                error AccessControlBadConfirmation();
                /// The permit's `deadline` has passed.
                error ERC2612ExpiredSignature(uint256 deadline);
                /// The permit was signed by `signer`, not `owner`.
                error ERC2612InvalidSigner(address signer, address owner);
                /// The signature is malformed or recovers to no address.
                error ECDSAInvalidSignature();
                /// The signature's `s` is in the malleable upper half.
                error ECDSAInvalidSignatureS(bytes32 s);
                /// The constructor's `admin` is the zero address.
                error RewardTokenInvalidAdmin(address admin);
            }
        }
    };
}

#[cfg(feature = "export-abi")]
declare_interface!(#[sol(abi)]);
#[cfg(not(feature = "export-abi"))]
declare_interface!();

pub use IRewardTokenEvents::*;

/// JSON ABI of every event and custom error of the token.
#[cfg(feature = "export-abi")]
pub fn events_and_errors_abi() -> alloy_json_abi::JsonAbi {
    IRewardTokenEvents::abi::contract()
}

/// The functions of the token as `cargo stylus export-abi` prints them
/// (Solidity interface text, without events).
#[cfg(feature = "export-abi")]
pub fn functions_sol() -> String {
    use stylus_sdk::abi::export::GenerateAbi;
    struct Printer;
    impl core::fmt::Display for Printer {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            <crate::RewardToken as GenerateAbi>::fmt_abi(f)
        }
    }
    Printer.to_string()
}

/// The constructor signature as `cargo stylus export-abi constructor` prints it.
#[cfg(feature = "export-abi")]
pub fn constructor_sol() -> String {
    use stylus_sdk::abi::export::GenerateAbi;
    struct Printer;
    impl core::fmt::Display for Printer {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            <crate::RewardToken as GenerateAbi>::fmt_constructor_signature(f)
        }
    }
    Printer.to_string()
}
