//! # Timelock
//!
//! Makes every admin-set parameter of labelmint change in the open: the
//! timelock is the admin of the AnnotationMarket and the DatasetRegistry and
//! holds the RewardToken's `DEFAULT_ADMIN_ROLE`, so a new fee, royalty
//! share, job source, pauser or token role is first **scheduled** (an event
//! with the exact call), stays **visible for a delay**, and is then
//! **executed** or **cancelled**. Pausing is not a parameter: pausers keep
//! pausing at once. An Arbitrum Stylus program written with stylus-sdk 0.10,
//! with OpenZeppelin `TimelockController` semantics (written here, not
//! copied):
//!
//! - An operation is one call (`schedule` / `execute`) or a batch of up to
//!   [`MAX_BATCH`] calls (`scheduleBatch` / `executeBatch`), identified by
//!   `keccak256(abi.encode(target, value, data, predecessor, salt))`
//!   (arrays for a batch). Its timestamp is 0 while unset, the time it
//!   becomes ready while pending, and 1 once done.
//! - **Proposers** schedule with a delay of at least the minimum delay and
//!   may cancel (they hold the canceller role too); **executors** run a
//!   ready operation whose predecessor (if any) is done — the zero address
//!   holding the executor role opens execution to anyone.
//! - Execution marks the operation done **before** calling out
//!   (checks-effects-interactions): a target that calls back into `execute`
//!   finds it done. A failing call reverts the whole execution with
//!   `TimelockCallFailed(id, index, reason)` carrying the callee's revert
//!   data, so the operation stays ready.
//! - The minimum delay and the roles change only through the timelock
//!   itself (an operation targeting the timelock), or through the optional
//!   admin given at construction (none by default; the deploy tool passes
//!   none).
//!
//! The constructor takes every account as an argument because, when deployed
//! through the StylusDeployer factory, `msg.sender` during construction is
//! the factory. The entrypoint is written out (see `timelock.rs`): it is what
//! `#[entrypoint]` generates minus the SDK's deprecated blanket re-entrancy
//! guard, which would refuse the timelock's calls to itself.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main, no_std)]
#![warn(clippy::arithmetic_side_effects)]

extern crate alloc;

mod interface;
mod timelock;

pub use interface::*;
pub use timelock::Timelock;

use alloy_primitives::B256;
use stylus_sdk::keccak_const::Keccak256;

/// Role that administers every role: `bytes32(0)`.
pub const DEFAULT_ADMIN_ROLE: B256 = B256::ZERO;
/// Role allowed to schedule: `keccak256("PROPOSER_ROLE")`.
pub const PROPOSER_ROLE: B256 = B256::new(Keccak256::new().update(b"PROPOSER_ROLE").finalize());
/// Role allowed to execute: `keccak256("EXECUTOR_ROLE")`.
pub const EXECUTOR_ROLE: B256 = B256::new(Keccak256::new().update(b"EXECUTOR_ROLE").finalize());
/// Role allowed to cancel: `keccak256("CANCELLER_ROLE")`.
pub const CANCELLER_ROLE: B256 = B256::new(Keccak256::new().update(b"CANCELLER_ROLE").finalize());

/// Most calls in one batch operation.
pub const MAX_BATCH: usize = 32;
/// Most accounts in each of the constructor's lists.
pub const MAX_ACCOUNTS: usize = 16;

/// Timestamp of a done operation.
pub const DONE_TIMESTAMP: u64 = 1;

/// Operation states, as `getOperationState` returns them.
pub mod state {
    /// Never scheduled (or cancelled).
    pub const UNSET: u8 = 0;
    /// Scheduled, its time not yet come.
    pub const WAITING: u8 = 1;
    /// Scheduled and executable.
    pub const READY: u8 = 2;
    /// Executed.
    pub const DONE: u8 = 3;
}
