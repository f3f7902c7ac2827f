//! Revert data to names: every labelmint program's custom errors, plus
//! Solidity's `Error(string)` and `Panic(uint256)`.
//!
//! Several programs share an error (`Unauthorized(address)`,
//! `InvalidCalldata()`, …): the same selector has the same meaning in each,
//! so [`decode`] tries the programs in a fixed order and [`decode_for`]
//! prefers the program the call was sent to.

use alloy_sol_types::{GenericContractError, SolInterface};
use serde::Serialize;

use crate::{
    court::ICourt, hub::IHub, market::IMarket, registry::IRegistry, timelock::ITimelock,
    token::IRewardToken,
};

/// A labelmint program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Program {
    /// The RewardToken.
    RewardToken,
    /// The AnnotationMarket (and its extension).
    AnnotationMarket,
    /// The DatasetRegistry.
    DatasetRegistry,
    /// The QualityHub.
    QualityHub,
    /// The QualityCourt.
    QualityCourt,
    /// The Timelock.
    Timelock,
}

/// Every program, in the order [`decode`] tries them.
pub const PROGRAMS: [Program; 6] = [
    Program::AnnotationMarket,
    Program::DatasetRegistry,
    Program::RewardToken,
    Program::QualityHub,
    Program::QualityCourt,
    Program::Timelock,
];

/// A decoded revert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Revert {
    /// The program whose error list holds it (`None` for `Error(string)`
    /// and `Panic(uint256)`).
    pub program: Option<Program>,
    /// The error's name (`TaskTaken`, `Error`, `Panic`).
    pub name: String,
    /// The error with its arguments (`TaskTaken { taskId: 3 }`).
    pub detail: String,
}

impl std::fmt::Display for Revert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

/// `Name(Name { field: … })` → `Name { field: … }`; `Name(Name)` → `Name`.
fn tidy(debug: String) -> String {
    match debug.split_once('(') {
        Some((outer, inner)) if inner.starts_with(outer) => inner[..inner.len() - 1].to_string(),
        _ => debug,
    }
}

fn named<E: SolInterface + std::fmt::Debug>(program: Program, data: &[u8]) -> Option<Revert> {
    let e = E::abi_decode(data).ok()?;
    let detail = tidy(format!("{e:?}"));
    let name = detail
        .split([' ', '(', '{'])
        .next()
        .unwrap_or_default()
        .to_string();
    Some(Revert {
        program: Some(program),
        name,
        detail,
    })
}

/// `data` as one of `program`'s errors.
pub fn decode_as(program: Program, data: &[u8]) -> Option<Revert> {
    match program {
        Program::RewardToken => named::<IRewardToken::IRewardTokenErrors>(program, data),
        Program::AnnotationMarket => named::<IMarket::IAnnotationMarketErrors>(program, data),
        Program::DatasetRegistry => named::<IRegistry::IDatasetRegistryErrors>(program, data),
        Program::QualityHub => named::<IHub::IQualityHubErrors>(program, data),
        Program::QualityCourt => named::<ICourt::IQualityCourtErrors>(program, data),
        Program::Timelock => named::<ITimelock::ITimelockErrors>(program, data),
    }
}

/// `data` decoded as Solidity's `Error(string)` / `Panic(uint256)`.
fn generic(data: &[u8]) -> Option<Revert> {
    match GenericContractError::abi_decode(data).ok()? {
        GenericContractError::Revert(r) => Some(Revert {
            program: None,
            name: "Error".into(),
            detail: format!("Error({:?})", r.reason),
        }),
        GenericContractError::Panic(p) => Some(Revert {
            program: None,
            name: "Panic".into(),
            detail: format!("Panic({})", p.code),
        }),
    }
}

/// `data` decoded as any labelmint program's error, or Solidity's generic
/// ones; `None` for empty or unknown data.
pub fn decode(data: &[u8]) -> Option<Revert> {
    PROGRAMS
        .iter()
        .find_map(|&p| decode_as(p, data))
        .or_else(|| generic(data))
}

/// [`decode`], preferring `program`'s error list.
pub fn decode_for(program: Program, data: &[u8]) -> Option<Revert> {
    decode_as(program, data).or_else(|| decode(data))
}

/// A readable reason: `reverted with TaskTaken { taskId: 3 }`, or the raw
/// data when it is no known error, or `reverted without data`.
pub fn explain(data: &[u8]) -> String {
    match decode(data) {
        Some(r) => format!("reverted with {}", r.detail),
        None if data.is_empty() => "reverted without data".into(),
        None => format!(
            "reverted with data 0x{}",
            alloy_primitives::hex::encode(data)
        ),
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;
    use alloy_sol_types::SolError;

    use super::*;

    #[test]
    fn market_error_decodes_with_name_and_arguments() {
        let data = IMarket::TaskTaken { taskId: 3 }.abi_encode();
        let r = decode(&data).expect("decodes");
        assert_eq!(r.name, "TaskTaken");
        assert_eq!(r.detail, "TaskTaken { taskId: 3 }");
        assert_eq!(r.program, Some(Program::AnnotationMarket));
    }

    #[test]
    fn registry_error_decodes() {
        let data = IRegistry::DatasetNotFound {
            datasetId: U256::from(9),
        }
        .abi_encode();
        assert_eq!(decode(&data).expect("decodes").name, "DatasetNotFound");
    }

    #[test]
    fn unit_error_has_a_plain_name() {
        let data = IMarket::InvalidSignature {}.abi_encode();
        let r = decode(&data).expect("decodes");
        assert_eq!(r.name, "InvalidSignature");
    }

    #[test]
    fn solidity_reason_string_decodes() {
        let data = alloy_sol_types::Revert::from("nope").abi_encode();
        assert_eq!(decode(&data).expect("decodes").name, "Error");
    }

    #[test]
    fn unknown_data_is_shown_raw() {
        assert_eq!(explain(&[1, 2, 3, 4]), "reverted with data 0x01020304");
        assert_eq!(explain(&[]), "reverted without data");
    }
}
