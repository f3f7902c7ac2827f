//! Functions, events and custom errors of the Timelock, declared once in
//! Solidity syntax. The timelock routes calls itself (see `timelock.rs`);
//! this interface is the single source of its selectors and of
//! `abi/Timelock.{sol,json}`. Names, arguments and events follow
//! OpenZeppelin's `TimelockController`, so tools written for it read it.
#![allow(missing_docs)] // items are documented in Solidity syntax below

use stylus_sdk::alloy_sol_types::sol;

/// Declares the interface, optionally with `#[sol(abi)]`.
macro_rules! declare_interface {
    ($(#[$attr:meta])*) => {
        sol! {
            $(#[$attr])*
            #[sol(all_derives)]
            interface ITimelock {
                /// A proposer schedules the call `target.call{value}(data)`, executable once `delay` (at least the minimum
                /// delay) has passed and `predecessor` (zero: none) is done. Its id is `hashOperation(target, value, data,
                /// predecessor, salt)`; the same call needs another `salt` to be scheduled again.
                function schedule(address target, uint256 value, bytes data, bytes32 predecessor, bytes32 salt, uint256 delay) external;
                /// `schedule` of several calls as one operation (1 to 32 calls, run in order, all or none).
                function scheduleBatch(address[] targets, uint256[] values, bytes[] payloads, bytes32 predecessor, bytes32 salt, uint256 delay) external;
                /// An executor (anyone when the zero address holds the executor role) runs a ready operation. It is marked
                /// done before the call; a failing call reverts everything with `TimelockCallFailed`.
                function execute(address target, uint256 value, bytes payload, bytes32 predecessor, bytes32 salt) external payable;
                /// `execute` of a batch operation.
                function executeBatch(address[] targets, uint256[] values, bytes[] payloads, bytes32 predecessor, bytes32 salt) external payable;
                /// A canceller removes a pending (waiting or ready) operation.
                function cancel(bytes32 id) external;
                /// The timelock itself (through `schedule` and `execute`) changes the minimum delay.
                function updateDelay(uint256 newDelay) external;
                /// A holder of `DEFAULT_ADMIN_ROLE` (the timelock itself, and the optional admin) grants `role`.
                function grantRole(bytes32 role, address account) external;
                /// A holder of `DEFAULT_ADMIN_ROLE` revokes `role`.
                function revokeRole(bytes32 role, address account) external;
                /// The caller gives up `role`; `callerConfirmation` must be the caller.
                function renounceRole(bytes32 role, address callerConfirmation) external;
                /// Whether `account` holds `role` (the zero address holding `EXECUTOR_ROLE` opens execution to anyone).
                function hasRole(bytes32 role, address account) external view returns (bool);
                /// The role that administers `role`: always `DEFAULT_ADMIN_ROLE`.
                function getRoleAdmin(bytes32 role) external view returns (bytes32);
                /// The minimum delay of new operations, in seconds.
                function getMinDelay() external view returns (uint256 duration);
                /// When operation `id` becomes ready (0: unknown, 1: done).
                function getTimestamp(bytes32 id) external view returns (uint256);
                /// 0 unset, 1 waiting, 2 ready, 3 done.
                function getOperationState(bytes32 id) external view returns (uint8);
                /// Whether `id` was ever scheduled (and not cancelled).
                function isOperation(bytes32 id) external view returns (bool);
                /// Whether `id` is waiting or ready.
                function isOperationPending(bytes32 id) external view returns (bool);
                /// Whether `id` is ready to execute.
                function isOperationReady(bytes32 id) external view returns (bool);
                /// Whether `id` was executed.
                function isOperationDone(bytes32 id) external view returns (bool);
                /// `keccak256(abi.encode(target, value, data, predecessor, salt))`.
                function hashOperation(address target, uint256 value, bytes data, bytes32 predecessor, bytes32 salt) external pure returns (bytes32);
                /// `keccak256(abi.encode(targets, values, payloads, predecessor, salt))`.
                function hashOperationBatch(address[] targets, uint256[] values, bytes[] payloads, bytes32 predecessor, bytes32 salt) external pure returns (bytes32);
                /// `bytes32(0)`.
                function DEFAULT_ADMIN_ROLE() external pure returns (bytes32);
                /// `keccak256("PROPOSER_ROLE")`.
                function PROPOSER_ROLE() external pure returns (bytes32);
                /// `keccak256("EXECUTOR_ROLE")`.
                function EXECUTOR_ROLE() external pure returns (bytes32);
                /// `keccak256("CANCELLER_ROLE")`.
                function CANCELLER_ROLE() external pure returns (bytes32);

                /// Call `index` of operation `id` was scheduled, executable after `delay` seconds.
                event CallScheduled(bytes32 indexed id, uint256 indexed index, address target, uint256 value, bytes data, bytes32 predecessor, uint256 delay);
                /// Call `index` of operation `id` was executed.
                event CallExecuted(bytes32 indexed id, uint256 indexed index, address target, uint256 value, bytes data);
                /// Operation `id` was scheduled with a non-zero `salt`.
                event CallSalt(bytes32 indexed id, bytes32 salt);
                /// Operation `id` was cancelled.
                event Cancelled(bytes32 indexed id);
                /// The minimum delay changed.
                event MinDelayChange(uint256 oldDuration, uint256 newDuration);
                /// `sender` granted `role` to `account`.
                event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender);
                /// `sender` revoked `role` from `account` (or `account` renounced it).
                event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender);

                /// A batch's lists differ in length, or are empty.
                error TimelockInvalidOperationLength(uint256 targets, uint256 payloads, uint256 values);
                /// A batch has more than `max` calls, or the constructor more than `max` accounts in a list.
                error TimelockTooMany(uint256 count, uint256 max);
                /// `delay` is below the minimum delay.
                error TimelockInsufficientDelay(uint256 delay, uint256 minDelay);
                /// `delay` added to the current time overflows.
                error TimelockInvalidDelay(uint256 delay);
                /// Operation `operationId` is not in one of `expectedStates` (bit `1 << state`: 1 unset, 2 waiting, 4 ready, 8 done).
                error TimelockUnexpectedOperationState(bytes32 operationId, bytes32 expectedStates);
                /// The predecessor `predecessorId` is not done.
                error TimelockUnexecutedPredecessor(bytes32 predecessorId);
                /// Only the timelock itself may do this.
                error TimelockUnauthorizedCaller(address caller);
                /// Call `index` of operation `id` failed; `reason` is the callee's revert data.
                error TimelockCallFailed(bytes32 id, uint256 index, bytes reason);
                /// `account` lacks `neededRole`.
                error AccessControlUnauthorizedAccount(address account, bytes32 neededRole);
                /// `renounceRole` was not confirmed with the caller's address.
                error AccessControlBadConfirmation();
                /// The calldata is too short, has an out-of-range value or a bad offset.
                error InvalidCalldata();
                /// No function has this selector.
                error UnknownFunction(bytes4 selector);
                /// ETH was sent to a function that does not take it.
                error NotPayable();
            }
        }
    };
}

#[cfg(feature = "export-abi")]
declare_interface!(#[sol(abi)]);
#[cfg(not(feature = "export-abi"))]
declare_interface!();

pub use ITimelock::*;

/// JSON ABI of every function, event and custom error of the timelock.
#[cfg(feature = "export-abi")]
pub fn events_and_errors_abi() -> alloy_json_abi::JsonAbi {
    ITimelock::abi::contract()
}

/// `cargo stylus export-abi` text for the functions: empty, because the
/// timelock routes calls itself and declares its functions in the `sol!`
/// interface above, which `events_and_errors_abi` includes.
#[cfg(feature = "export-abi")]
pub fn functions_sol() -> String {
    String::new()
}

/// The constructor signature as `cargo stylus export-abi constructor` prints it.
#[cfg(feature = "export-abi")]
pub fn constructor_sol() -> String {
    use stylus_sdk::abi::export::GenerateAbi;
    struct Printer;
    impl core::fmt::Display for Printer {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            <crate::Timelock as GenerateAbi>::fmt_constructor_signature(f)
        }
    }
    Printer.to_string()
}
