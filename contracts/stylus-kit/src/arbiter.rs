//! One arbiter mechanism for every labelmint program.
//!
//! Arbiters offer their terms themselves, once, in the AnnotationMarket's
//! registry (`registerArbiterTerms(token, fee, bond, disputeWindow,
//! rulingWindow)`: bond at least the fee, windows one hour to 30 days, terms
//! never change). A market job, a QualityHub job and a QualityCourt job all
//! name terms by id; the hub and the court read them here once, at job
//! creation, and copy them into the job. The outcomes are the same
//! everywhere: the arbiter decides within its ruling window, the loser pays
//! its fee, and an arbiter that misses its deadline decides nothing (the
//! party that needed a decision — the annotator in the market, the disputer
//! in the court, the revealers in the hub — is not the one who loses by it).

use alloy_primitives::{Address, U256};
use alloy_sol_types::{sol, SolCall};
use stylus_sdk::stylus_core::Host;

sol! {
    /// The registry view the programs read (the AnnotationMarket's).
    interface IArbiterRegistry {
        /// Arbiter terms `termsId` (arbiter zero: no such terms).
        function arbiterTerms(uint32 termsId) external view returns (address arbiter, address token, uint128 fee, uint128 bond, uint32 disputeWindow, uint32 rulingWindow);
    }
}

/// Gas forwarded to the registry's view (a Stylus program entry, a
/// delegated call and three storage reads fit with a wide margin).
pub const TERMS_VIEW_GAS: u64 = 300_000;

/// Registered arbiter terms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Terms {
    /// Who rules (zero: no such terms).
    pub arbiter: Address,
    /// The payment token of the jobs the terms serve (zero: ETH).
    pub token: Address,
    /// The arbiter's fee per ruling.
    pub fee: u128,
    /// The bond a disputer puts up (at least the fee).
    pub bond: u128,
    /// Seconds in which a decision may be disputed.
    pub dispute_window: u32,
    /// Seconds in which the arbiter must rule.
    pub ruling_window: u32,
}

impl Terms {
    /// Decodes the registry's answer (six words); `None` for anything else
    /// or for terms without an arbiter.
    pub fn decode(ret: &[u8]) -> Option<Self> {
        if ret.len() < 192 {
            return None;
        }
        let w = |i: usize| U256::from_be_slice(ret.chunks_exact(32).nth(i).unwrap_or_default());
        let small = |i: usize| -> Option<u32> { w(i).try_into().ok() };
        let terms = Self {
            arbiter: Address::from_slice(&ret[12..32]),
            token: Address::from_slice(&ret[44..64]),
            fee: w(2).try_into().ok()?,
            bond: w(3).try_into().ok()?,
            dispute_window: small(4)?,
            ruling_window: small(5)?,
        };
        (!terms.arbiter.is_zero()).then_some(terms)
    }
}

/// Terms `id` from the registry at `registry`, `None` when there are none
/// or the call fails.
pub fn read<H: Host + ?Sized>(vm: &H, registry: Address, id: u32) -> Option<Terms> {
    let call = IArbiterRegistry::arbiterTermsCall { termsId: id }.abi_encode();
    Terms::decode(&crate::view(vm, registry, &call, TERMS_VIEW_GAS)?)
}

#[cfg(test)]
mod tests {
    use alloy_sol_types::SolValue;

    use super::*;

    #[test]
    fn decodes_the_registry_answer_and_refuses_empty_terms() {
        let arbiter = Address::repeat_byte(7);
        let ret = (arbiter, Address::ZERO, 5u128, 9u128, 3_600u32, 7_200u32).abi_encode_params();
        assert_eq!(
            Terms::decode(&ret),
            Some(Terms {
                arbiter,
                token: Address::ZERO,
                fee: 5,
                bond: 9,
                dispute_window: 3_600,
                ruling_window: 7_200
            })
        );
        let none = (Address::ZERO, Address::ZERO, 5u128, 9u128, 1u32, 1u32).abi_encode_params();
        assert_eq!(Terms::decode(&none), None);
        assert_eq!(Terms::decode(&ret[..160]), None);
    }
}
