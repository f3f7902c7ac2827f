//! The deployments manifest `deployments/<chainId>.json` that
//! `labelmint-deploy` writes: where every program lives on a chain.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use alloy_primitives::{Address, B256};
use serde::{Deserialize, Serialize};

/// Manifest name of the RewardToken.
pub const REWARD_TOKEN: &str = "RewardToken";
/// Manifest name of the AnnotationMarket.
pub const ANNOTATION_MARKET: &str = "AnnotationMarket";
/// Manifest name of the AnnotationMarket's extension program.
pub const ANNOTATION_MARKET_EXTENSION: &str = "AnnotationMarketExtension";
/// Manifest name of the DatasetRegistry.
pub const DATASET_REGISTRY: &str = "DatasetRegistry";
/// Manifest name of the QualityHub.
pub const QUALITY_HUB: &str = "QualityHub";
/// Manifest name of the QualityCourt.
pub const QUALITY_COURT: &str = "QualityCourt";
/// Manifest name of the Timelock (the admin of the market and the registry,
/// and of the token's roles).
pub const TIMELOCK: &str = "Timelock";

/// A deployed contract in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployed {
    /// Its address.
    pub address: Address,
    /// keccak256 of its deployed code.
    pub code_hash: B256,
    /// The transaction that deployed it.
    pub tx_hash: B256,
    /// The block it was deployed in.
    pub block: u64,
    /// Gas the deployment used.
    pub gas_used: u64,
}

/// `deployments/<chainId>.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Chain id.
    pub chain_id: u64,
    /// Deployer account.
    pub deployer: Address,
    /// Contracts by name.
    pub contracts: BTreeMap<String, Deployed>,
}

impl Manifest {
    /// The address of contract `name`, if deployed.
    pub fn address(&self, name: &str) -> Option<Address> {
        self.contracts.get(name).map(|d| d.address)
    }

    /// The earliest block any contract was deployed in (where an indexer
    /// starts).
    pub fn first_block(&self) -> u64 {
        self.contracts.values().map(|d| d.block).min().unwrap_or(0)
    }
}

/// Why a manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a manifest.
    #[error("{path}: not a deployments manifest: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: serde_json::Error,
    },
}

/// `dir/<chainId>.json`.
pub fn manifest_path(dir: &Path, chain_id: u64) -> PathBuf {
    dir.join(format!("{chain_id}.json"))
}

/// Reads the manifest of `chain_id` from `dir`, or an empty one when there
/// is none or it cannot be read (a fresh deployment starts from it).
pub fn read_manifest(dir: &Path, chain_id: u64) -> Manifest {
    load(&manifest_path(dir, chain_id)).unwrap_or(Manifest {
        chain_id,
        ..Manifest::default()
    })
}

/// Reads the manifest file at `path`, with a clear error.
pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
    let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| ManifestError::Parse {
        path: path.to_path_buf(),
        source,
    })
}
