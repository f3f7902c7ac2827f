//! The Timelock: bindings generated from `abi/Timelock.sol`, its roles, and
//! operations ([`Operation`], [`BatchOperation`]) with the ids the contract
//! gives them, computed here from the ABI encoding alone.

use alloy_primitives::{b256, keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::{SolCall, SolValue};

#[allow(clippy::too_many_arguments)]
mod bindings {
    alloy_sol_types::sol!(
        #[sol(all_derives)]
        "../../abi/Timelock.sol"
    );
}
pub use bindings::*;

/// `bytes32(0)`: administers every role (held by the timelock itself).
pub const DEFAULT_ADMIN_ROLE: B256 = B256::ZERO;
/// `keccak256("PROPOSER_ROLE")`.
pub const PROPOSER_ROLE: B256 =
    b256!("b09aa5aeb3702cfd50b6b62bc4532604938f21248a27a1d5ca736082b6819cc1");
/// `keccak256("EXECUTOR_ROLE")`.
pub const EXECUTOR_ROLE: B256 =
    b256!("d8aa0f3194971a2a116679f7c2090f6939c8d4e01a2a8d7e41d55e5351469e63");
/// `keccak256("CANCELLER_ROLE")`.
pub const CANCELLER_ROLE: B256 =
    b256!("fd643c72710c63c0180259aba6b2d05451e3591a24e58b62239378085726f783");

/// `getOperationState`: never scheduled, or cancelled.
pub const STATE_UNSET: u8 = 0;
/// `getOperationState`: scheduled, not yet executable.
pub const STATE_WAITING: u8 = 1;
/// `getOperationState`: executable.
pub const STATE_READY: u8 = 2;
/// `getOperationState`: executed.
pub const STATE_DONE: u8 = 3;

/// The `expectedStates` bitmap of `TimelockUnexpectedOperationState` for
/// the given states.
pub fn state_bits(states: &[u8]) -> B256 {
    let bits = states.iter().fold(U256::ZERO, |acc, s| {
        acc | (U256::from(1) << usize::from(*s))
    });
    B256::from(bits)
}

/// One call as a timelock operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// The callee.
    pub target: Address,
    /// Wei sent with the call (from the timelock's balance).
    pub value: U256,
    /// The calldata.
    pub data: Bytes,
    /// An operation that must be done first (zero: none).
    pub predecessor: B256,
    /// Tells apart operations with the same call.
    pub salt: B256,
}

impl Operation {
    /// `call` to `target`, no value, no predecessor, salt zero.
    pub fn new(target: Address, call: &impl SolCall) -> Self {
        Self {
            target,
            value: U256::ZERO,
            data: call.abi_encode().into(),
            predecessor: B256::ZERO,
            salt: B256::ZERO,
        }
    }

    /// The same operation after `predecessor`.
    #[must_use]
    pub fn after(mut self, predecessor: B256) -> Self {
        self.predecessor = predecessor;
        self
    }

    /// The same operation with `salt`.
    #[must_use]
    pub fn salted(mut self, salt: B256) -> Self {
        self.salt = salt;
        self
    }

    /// `keccak256(abi.encode(target, value, data, predecessor, salt))`.
    pub fn id(&self) -> B256 {
        keccak256(
            (
                self.target,
                self.value,
                self.data.clone(),
                self.predecessor,
                self.salt,
            )
                .abi_encode_params(),
        )
    }

    /// The `schedule` call with `delay` seconds.
    pub fn schedule(&self, delay: u64) -> ITimelock::scheduleCall {
        ITimelock::scheduleCall {
            target: self.target,
            value: self.value,
            data: self.data.clone(),
            predecessor: self.predecessor,
            salt: self.salt,
            delay: U256::from(delay),
        }
    }

    /// The `execute` call.
    pub fn execute(&self) -> ITimelock::executeCall {
        ITimelock::executeCall {
            target: self.target,
            value: self.value,
            payload: self.data.clone(),
            predecessor: self.predecessor,
            salt: self.salt,
        }
    }
}

/// Several calls as one timelock operation (run in order, all or none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchOperation {
    /// The callees.
    pub targets: Vec<Address>,
    /// Wei sent with each call.
    pub values: Vec<U256>,
    /// Each call's calldata.
    pub payloads: Vec<Bytes>,
    /// An operation that must be done first (zero: none).
    pub predecessor: B256,
    /// Tells apart operations with the same calls.
    pub salt: B256,
}

impl BatchOperation {
    /// Adds `call` to `target` (no value).
    #[must_use]
    pub fn with(mut self, target: Address, call: &impl SolCall) -> Self {
        self.targets.push(target);
        self.values.push(U256::ZERO);
        self.payloads.push(call.abi_encode().into());
        self
    }

    /// `keccak256(abi.encode(targets, values, payloads, predecessor, salt))`.
    pub fn id(&self) -> B256 {
        keccak256(
            (
                self.targets.clone(),
                self.values.clone(),
                self.payloads.clone(),
                self.predecessor,
                self.salt,
            )
                .abi_encode_params(),
        )
    }

    /// The `scheduleBatch` call with `delay` seconds.
    pub fn schedule(&self, delay: u64) -> ITimelock::scheduleBatchCall {
        ITimelock::scheduleBatchCall {
            targets: self.targets.clone(),
            values: self.values.clone(),
            payloads: self.payloads.clone(),
            predecessor: self.predecessor,
            salt: self.salt,
            delay: U256::from(delay),
        }
    }

    /// The `executeBatch` call.
    pub fn execute(&self) -> ITimelock::executeBatchCall {
        ITimelock::executeBatchCall {
            targets: self.targets.clone(),
            values: self.values.clone(),
            payloads: self.payloads.clone(),
            predecessor: self.predecessor,
            salt: self.salt,
        }
    }
}

/// The name of a `getOperationState` answer: `waiting`, `ready`, `done`,
/// `cancelled` (never scheduled reads the same), `unknown`.
pub fn state_name(state: u8) -> &'static str {
    match state {
        STATE_WAITING => "waiting",
        STATE_READY => "ready",
        STATE_DONE => "done",
        STATE_UNSET => "cancelled",
        _ => "unknown",
    }
}

/// A readable form of a governed call: `Program.function(types) 0x<args>`
/// for the admin functions labelmint's programs take through the Timelock,
/// the program named by `programs` (address, name); an unknown target or
/// function is shown as its address or selector with the raw arguments.
pub fn describe(programs: &[(Address, &str)], target: Address, data: &[u8]) -> String {
    use crate::{market::IMarket, registry::IRegistry};
    let Some((_, program)) = programs.iter().find(|(a, _)| *a == target) else {
        return format!("{target} 0x{}", alloy_primitives::hex::encode(data));
    };
    let known: [([u8; 4], &str); 9] = [
        (
            IRegistry::setFeeCall::SELECTOR,
            IRegistry::setFeeCall::SIGNATURE,
        ),
        (
            IRegistry::setRoyaltyBpsCall::SELECTOR,
            IRegistry::setRoyaltyBpsCall::SIGNATURE,
        ),
        (
            IRegistry::setJobSourceCall::SELECTOR,
            IRegistry::setJobSourceCall::SIGNATURE,
        ),
        (
            IMarket::setPauserCall::SELECTOR,
            IMarket::setPauserCall::SIGNATURE,
        ),
        (
            ITimelock::grantRoleCall::SELECTOR,
            ITimelock::grantRoleCall::SIGNATURE,
        ),
        (
            ITimelock::revokeRoleCall::SELECTOR,
            ITimelock::revokeRoleCall::SIGNATURE,
        ),
        (
            ITimelock::updateDelayCall::SELECTOR,
            ITimelock::updateDelayCall::SIGNATURE,
        ),
        (
            IRegistry::transferAdminCall::SELECTOR,
            IRegistry::transferAdminCall::SIGNATURE,
        ),
        (
            IRegistry::acceptAdminCall::SELECTOR,
            IRegistry::acceptAdminCall::SIGNATURE,
        ),
    ];
    let selector = data.get(..4).unwrap_or_default();
    let name = known
        .iter()
        .find(|(k, _)| k.as_slice() == selector)
        .map_or_else(
            || format!("0x{}", alloy_primitives::hex::encode(selector)),
            |(_, n)| (*n).to_string(),
        );
    format!(
        "{program}.{name} 0x{}",
        alloy_primitives::hex::encode(data.get(4..).unwrap_or_default())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_constants_are_the_hashes_of_their_names() {
        assert_eq!(PROPOSER_ROLE, keccak256("PROPOSER_ROLE"));
        assert_eq!(EXECUTOR_ROLE, keccak256("EXECUTOR_ROLE"));
        assert_eq!(CANCELLER_ROLE, keccak256("CANCELLER_ROLE"));
    }

    #[test]
    fn state_bits_set_one_bit_per_state() {
        assert_eq!(
            state_bits(&[STATE_WAITING, STATE_READY]),
            B256::with_last_byte(0b110)
        );
    }

    #[test]
    fn describe_names_known_admin_calls_and_shows_the_rest_raw() {
        use crate::registry::IRegistry;
        let registry = Address::repeat_byte(0x11);
        let programs = [(registry, "DatasetRegistry")];
        let data = IRegistry::setRoyaltyBpsCall { bps: 1500 }.abi_encode();
        assert_eq!(
            describe(&programs, registry, &data),
            format!("DatasetRegistry.setRoyaltyBps(uint16) 0x{:064x}", 1500)
        );
        assert_eq!(
            describe(&programs, registry, &[0xde, 0xad, 0xbe, 0xef, 1]),
            "DatasetRegistry.0xdeadbeef 0x01"
        );
        let stranger = Address::repeat_byte(0x22);
        assert_eq!(
            describe(&programs, stranger, &[1, 2]),
            format!("{stranger} 0x0102")
        );
        assert_eq!(
            [0, 1, 2, 3, 9].map(state_name),
            ["cancelled", "waiting", "ready", "done", "unknown"]
        );
    }
}
