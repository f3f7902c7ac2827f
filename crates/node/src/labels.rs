//! Names for the node's logs: which labelmint contract an address is (from
//! the deployments manifest `labelmint-deploy` and `cargo xtask` write,
//! `deployments/<chainId>.json`), which function a call's selector is (from
//! the `sol!` bindings of `abi/` in `labelmint-client`), and what revert data
//! means (`labelmint_client::revert`, plus the ArbWasm and StylusDeployer
//! errors of the chain itself).

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    time::SystemTime,
};

use alloy_primitives::{hex, Address, Log};
use alloy_sol_types::{SolCall, SolEvent};
use labelmint_client::{
    court::ICourt,
    deployments::{self, Manifest},
    hub::IHub,
    market::IMarket,
    registry::IRegistry,
    revert::{self, Program},
    timelock::ITimelock,
    token::IRewardToken,
};
use labelmint_devnet::{
    deployer::{IStylusDeployer, STYLUS_DEPLOYER},
    precompiles::{ArbWasm, ArbWasmCache, ARB_WASM, ARB_WASM_CACHE},
};

/// A named contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    /// Its manifest name (`AnnotationMarket`, `QualityHubExtension`, …).
    pub name: String,
    /// The labelmint program whose interface it answers, when known.
    pub program: Option<Program>,
}

/// The labelmint program a manifest name stands for (an extension answers
/// its main program's interface).
pub fn program_of(name: &str) -> Option<Program> {
    [
        ("RewardToken", Program::RewardToken),
        ("AnnotationMarket", Program::AnnotationMarket),
        ("DatasetRegistry", Program::DatasetRegistry),
        ("QualityHub", Program::QualityHub),
        ("QualityCourt", Program::QualityCourt),
        ("Timelock", Program::Timelock),
    ]
    .into_iter()
    .find(|(prefix, _)| name.starts_with(prefix))
    .map(|(_, p)| p)
}

/// The name of the function `selector` calls on `program`.
pub fn function_name(program: Program, selector: [u8; 4]) -> Option<&'static str> {
    match program {
        Program::RewardToken => IRewardToken::IRewardTokenCalls::name_by_selector(selector),
        Program::AnnotationMarket => IMarket::IAnnotationMarketCalls::name_by_selector(selector),
        Program::DatasetRegistry => IRegistry::IDatasetRegistryCalls::name_by_selector(selector),
        Program::QualityHub => IHub::IQualityHubCalls::name_by_selector(selector),
        Program::QualityCourt => ICourt::IQualityCourtCalls::name_by_selector(selector),
        Program::Timelock => ITimelock::ITimelockCalls::name_by_selector(selector),
    }
}

/// Whether `selector` is `stylus_constructor()`'s (what a deployer sends to
/// construct a stylus-sdk program).
fn is_stylus_constructor(selector: [u8; 4]) -> bool {
    labelmint_devnet::chain::constructor_calldata(&[]) == selector
}

/// Where the node reads contract names from.
#[derive(Debug, Clone, Default)]
pub struct Labels {
    path: Option<PathBuf>,
    modified: Option<SystemTime>,
    manifest: Option<Manifest>,
    by_address: HashMap<Address, Contract>,
}

impl Labels {
    /// No manifest: only the chain's own contracts are named.
    pub fn none() -> Self {
        Self::default()
    }

    /// The manifest for `chain_id` at `path`: a manifest file, or a folder
    /// holding `<chainId>.json` (what `labelmint --deployments DIR` takes).
    /// It need not exist yet: [`Labels::refresh`] reads it when it appears
    /// or changes (a deployment writes it after the node started).
    pub fn at(path: &Path, chain_id: u64) -> Self {
        // A folder, or a path that does not exist yet and is not named
        // like a manifest file: `<chainId>.json` inside it.
        let is_file_name = path.extension().is_some_and(|e| e == "json");
        let file = if path.is_dir() || (!path.exists() && !is_file_name) {
            deployments::manifest_path(path, chain_id)
        } else {
            path.to_path_buf()
        };
        let mut labels = Self {
            path: Some(file),
            ..Self::default()
        };
        let _ = labels.refresh();
        labels
    }

    /// The manifest file read (or waited for).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The manifest, when one was read.
    pub fn manifest(&self) -> Option<&Manifest> {
        self.manifest.as_ref()
    }

    /// Re-reads the manifest when its modification time changed. A file
    /// that is missing or does not parse leaves the names as they were;
    /// the error is returned (once per change) for the caller to report.
    pub fn refresh(&mut self) -> Result<bool, deployments::ManifestError> {
        let Some(path) = &self.path else {
            return Ok(false);
        };
        let Ok(modified) = std::fs::metadata(path).and_then(|m| m.modified()) else {
            return Ok(false);
        };
        if self.modified == Some(modified) {
            return Ok(false);
        }
        self.modified = Some(modified);
        let manifest = deployments::load(path)?;
        self.by_address = manifest
            .contracts
            .iter()
            .map(|(name, d)| {
                (
                    d.address,
                    Contract {
                        name: name.clone(),
                        program: program_of(name),
                    },
                )
            })
            .collect();
        self.manifest = Some(manifest);
        Ok(true)
    }

    /// The labelmint contracts of the manifest, by name.
    pub fn contracts(&self) -> Vec<(String, Address)> {
        self.manifest.as_ref().map_or_else(Vec::new, |m| {
            m.contracts
                .iter()
                .map(|(n, d)| (n.clone(), d.address))
                .collect()
        })
    }

    /// The name of `address`: a manifest contract or one of the chain's
    /// system contracts (ArbWasm, ArbWasmCache, StylusDeployer).
    pub fn name(&self, address: Address) -> Option<&str> {
        if let Some(c) = self.by_address.get(&address) {
            return Some(&c.name);
        }
        match address {
            a if a == ARB_WASM => Some("ArbWasm"),
            a if a == ARB_WASM_CACHE => Some("ArbWasmCache"),
            a if a == STYLUS_DEPLOYER => Some("StylusDeployer"),
            _ => None,
        }
    }

    /// `AnnotationMarket.claimTasks`, `ArbWasm.activateProgram`,
    /// `0x5FbD….0xa9059cbb` for an unknown contract, `… (value transfer)`
    /// for empty input, `create` for a creation.
    pub fn describe_call(&self, to: Option<Address>, input: &[u8]) -> String {
        let Some(to) = to else {
            return "create".into();
        };
        let contract = self.name(to).map_or_else(|| to.to_string(), str::to_string);
        let Some(selector) = input.get(..4).map(|s| [s[0], s[1], s[2], s[3]]) else {
            return if input.is_empty() {
                format!("{contract} (value transfer)")
            } else {
                format!("{contract} (0x{})", hex::encode(input))
            };
        };
        let function = if is_stylus_constructor(selector) {
            Some("constructor")
        } else if to == ARB_WASM {
            ArbWasm::ArbWasmCalls::name_by_selector(selector)
        } else if to == ARB_WASM_CACHE {
            ArbWasmCache::ArbWasmCacheCalls::name_by_selector(selector)
        } else if to == STYLUS_DEPLOYER {
            IStylusDeployer::IStylusDeployerCalls::name_by_selector(selector)
        } else {
            self.by_address
                .get(&to)
                .and_then(|c| c.program)
                .and_then(|p| function_name(p, selector))
        };
        match function {
            Some(f) => format!("{contract}.{f}"),
            None => format!("{contract}.0x{}", hex::encode(selector)),
        }
    }

    /// What a successful call to the chain's own contracts did, for the
    /// log: the program a StylusDeployer `deploy` created (from its
    /// `ContractDeployed` log), the program an ArbWasm `activateProgram`
    /// activated.
    pub fn system_effect(&self, to: Option<Address>, input: &[u8], logs: &[Log]) -> Option<String> {
        let named = |a: Address| match self.name(a) {
            Some(n) => format!("{n} {a}"),
            None => a.to_string(),
        };
        match to? {
            a if a == STYLUS_DEPLOYER => logs
                .iter()
                .filter(|l| l.address == STYLUS_DEPLOYER)
                .find_map(|l| IStylusDeployer::ContractDeployed::decode_log_data(&l.data).ok())
                .map(|e| format!("deployed {}", named(e.deployedContract))),
            a if a == ARB_WASM => ArbWasm::activateProgramCall::abi_decode(input)
                .ok()
                .map(|c| format!("activated {}", named(c.program))),
            _ => None,
        }
    }

    /// What revert data means: `TaskTaken { taskId: 3 }` (the called
    /// program's errors first), `ProgramNotActivated`, `Error("…")`,
    /// `without data`, or the raw data.
    pub fn describe_revert(&self, to: Option<Address>, data: &[u8]) -> String {
        let program = to
            .and_then(|a| self.by_address.get(&a))
            .and_then(|c| c.program);
        let decoded = match program {
            Some(p) => revert::decode_for(p, data),
            None => revert::decode(data),
        };
        if let Some(r) = decoded {
            return r.detail;
        }
        let selector = data.get(..4).map(|s| [s[0], s[1], s[2], s[3]]);
        let system = selector.and_then(|s| {
            ArbWasm::ArbWasmErrors::name_by_selector(s)
                .or_else(|| IStylusDeployer::IStylusDeployerErrors::name_by_selector(s))
        });
        match system {
            Some(name) => name.to_string(),
            None if data.is_empty() => "without data".into(),
            None if data.len() > 100 => format!("with data 0x{}…", hex::encode(&data[..100])),
            None => format!("with data 0x{}", hex::encode(data)),
        }
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{B256, U256};
    use alloy_sol_types::SolError;
    use labelmint_client::deployments::Deployed;

    use super::*;

    fn with_market(market: Address) -> Labels {
        let mut manifest = Manifest {
            chain_id: 412_346,
            ..Manifest::default()
        };
        manifest.contracts.insert(
            "AnnotationMarket".into(),
            Deployed {
                address: market,
                code_hash: B256::ZERO,
                tx_hash: B256::ZERO,
                block: 1,
                gas_used: 0,
            },
        );
        let dir = std::env::temp_dir().join(format!(
            "labelmint-node-labels-{}-{}",
            std::process::id(),
            market
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("412346.json"),
            serde_json::to_string(&manifest).unwrap(),
        )
        .unwrap();
        let labels = Labels::at(&dir, 412_346);
        std::fs::remove_dir_all(&dir).unwrap();
        labels
    }

    #[test]
    fn manifest_contracts_and_functions_are_named() {
        let market = Address::repeat_byte(0x11);
        let labels = with_market(market);
        assert_eq!(labels.name(market), Some("AnnotationMarket"));
        let call = IMarket::cancelJobCall {
            jobId: U256::from(1),
        };
        assert_eq!(
            labels.describe_call(Some(market), &call.abi_encode()),
            "AnnotationMarket.cancelJob"
        );
        assert_eq!(
            labels.describe_call(Some(market), &[]),
            "AnnotationMarket (value transfer)"
        );
        let other = Address::repeat_byte(0x22);
        assert_eq!(
            labels.describe_call(Some(other), &[0xa9, 0x05, 0x9c, 0xbb, 0]),
            format!("{other}.0xa9059cbb")
        );
        assert_eq!(
            labels.describe_call(Some(ARB_WASM), &ArbWasm::stylusVersionCall {}.abi_encode()),
            "ArbWasm.stylusVersion"
        );
        assert_eq!(labels.describe_call(None, &[1, 2]), "create");
    }

    #[test]
    fn reverts_decode_to_labelmint_and_arbwasm_errors() {
        let market = Address::repeat_byte(0x33);
        let labels = with_market(market);
        let data = IMarket::TaskTaken { taskId: 3 }.abi_encode();
        assert_eq!(
            labels.describe_revert(Some(market), &data),
            "TaskTaken { taskId: 3 }"
        );
        assert_eq!(
            labels.describe_revert(None, &ArbWasm::ProgramNotActivated {}.abi_encode()),
            "ProgramNotActivated"
        );
        assert_eq!(labels.describe_revert(None, &[]), "without data");
        assert_eq!(labels.describe_revert(None, &[1, 2]), "with data 0x0102");
    }

    #[test]
    fn deployer_and_activation_effects_name_the_program() {
        let market = Address::repeat_byte(0x44);
        let labels = with_market(market);
        let log = Log {
            address: STYLUS_DEPLOYER,
            data: IStylusDeployer::ContractDeployed {
                deployedContract: market,
            }
            .encode_log_data(),
        };
        assert_eq!(
            labels.system_effect(Some(STYLUS_DEPLOYER), &[], &[log]),
            Some(format!("deployed AnnotationMarket {market}"))
        );
        let activate = ArbWasm::activateProgramCall { program: market }.abi_encode();
        assert_eq!(
            labels.system_effect(Some(ARB_WASM), &activate, &[]),
            Some(format!("activated AnnotationMarket {market}"))
        );
        assert_eq!(labels.system_effect(Some(market), &activate, &[]), None);
    }

    #[test]
    fn a_missing_manifest_names_only_system_contracts() {
        let labels = Labels::at(Path::new("/nonexistent/deployments"), 1);
        assert!(labels.contracts().is_empty());
        assert_eq!(
            labels.path(),
            Some(Path::new("/nonexistent/deployments/1.json"))
        );
        let file = Labels::at(Path::new("/nonexistent/local.json"), 1);
        assert_eq!(file.path(), Some(Path::new("/nonexistent/local.json")));
        assert_eq!(labels.name(STYLUS_DEPLOYER), Some("StylusDeployer"));
    }
}
