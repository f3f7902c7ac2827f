//! The end-to-end harness for tests: a JSON-RPC node on a random loopback
//! port, with every labelmint contract deployed from the real wasm by the
//! first dev account and governed as `labelmint-deploy` governs by default
//! (the Timelock is the admin; the dev account proposes, keeps pausing and
//! minting), ready for alloy bindings (`ProviderBuilder` on
//! [`LocalChain::url`]).

use std::path::Path;

use alloy_signer_local::PrivateKeySigner;
use labelmint_node::{Config, NodeHandle};

use crate::{
    deploy, enable_job_sources, hand_over, labelmint_contracts, DeployError, Governance, Manifest,
    Options,
};

/// Chain id of the local chain.
pub const LOCAL_CHAIN_ID: u64 = 412_346;

/// First key of the test mnemonic: the funded deployer of the local chain.
pub const DEV_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/// A running local chain with the contracts deployed.
pub struct LocalChain {
    /// The node (stop it with [`NodeHandle::stop`]).
    pub node: NodeHandle,
    /// Where everything was deployed.
    pub manifest: Manifest,
    /// The deployer's key.
    pub signer: PrivateKeySigner,
}

impl LocalChain {
    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.node.http_url()
    }
}

/// Starts a node on a free loopback port, deploys every contract from
/// `artifacts` (`target/stylus`), makes the hub and the court job sources of
/// the registry and hands the admin rights to the Timelock (default
/// [`Governance`]); the manifest is written under `out_dir`.
/// Programs built from other sources than this workspace's are refused with
/// an error naming `cargo xtask wasm`.
pub async fn local_chain(artifacts: &Path, out_dir: &Path) -> Result<LocalChain, DeployError> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    labelmint_wasm::sources::check_current(&root, artifacts)
        .map_err(|e| DeployError::Failed(e.to_string()))?;
    let node = labelmint_node::start(Config {
        addr: ([127, 0, 0, 1], 0).into(),
        ..Config::default()
    })
    .await
    .map_err(|e| DeployError::Failed(format!("starting the node: {e}")))?;
    let signer: PrivateKeySigner = DEV_KEY
        .parse()
        .map_err(|_| DeployError::BadKey("dev key".into()))?;
    let contracts = labelmint_contracts(artifacts, signer.address())?;
    let options = Options {
        rpc: node.http_url(),
        chain_id: Some(LOCAL_CHAIN_ID),
        out_dir: out_dir.to_path_buf(),
        dry_run: false,
    };
    let (_, manifest) = deploy(&options, signer.clone(), &contracts).await?;
    enable_job_sources(&options, signer.clone(), &manifest).await?;
    hand_over(&options, signer.clone(), &manifest, &Governance::default()).await?;
    Ok(LocalChain {
        node,
        manifest,
        signer,
    })
}
