//! `labelmint serve --dev`: the embedded chain in-process, every program
//! deployed, the default arbiter terms registered, and a demo job per data
//! kind seeded from the sample images and texts bundled in the binary.
//!
//! Also a small wallet ([`Wallet`]) that signs and sends the unsigned
//! transactions the API prepares, as a browser wallet would (the dev
//! wallet, the tests and the benchmark use it).

use std::{path::Path, time::Duration};

use alloy_network::EthereumWallet;
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_provider::{DynProvider, Provider, ProviderBuilder};
use alloy_rpc_types_eth::{TransactionReceipt, TransactionRequest};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use anyhow::{anyhow, bail, Context, Result};
use labelmint_client::{
    market::{self, IMarket},
    revert,
};

use crate::{api::UnsignedTx, config::Contracts};

/// Sample images of the demo job (squares and circles on a light ground).
const SAMPLE_IMAGES: &[(&str, &[u8])] = &[
    (
        "00-square.png",
        include_bytes!("../samples/images/00-square.png"),
    ),
    (
        "01-circle.png",
        include_bytes!("../samples/images/01-circle.png"),
    ),
    (
        "02-square.png",
        include_bytes!("../samples/images/02-square.png"),
    ),
    (
        "03-circle.png",
        include_bytes!("../samples/images/03-circle.png"),
    ),
    (
        "04-square.png",
        include_bytes!("../samples/images/04-square.png"),
    ),
    (
        "05-circle.png",
        include_bytes!("../samples/images/05-circle.png"),
    ),
];

/// Sample texts of the demo job (short reviews to classify).
const SAMPLE_TEXTS: &[(&str, &[u8])] = &[
    ("00.txt", include_bytes!("../samples/texts/00.txt")),
    ("01.txt", include_bytes!("../samples/texts/01.txt")),
    ("02.txt", include_bytes!("../samples/texts/02.txt")),
    ("03.txt", include_bytes!("../samples/texts/03.txt")),
    ("04.txt", include_bytes!("../samples/texts/04.txt")),
    ("05.txt", include_bytes!("../samples/texts/05.txt")),
];

/// A wallet sending transactions with one key over JSON-RPC.
#[derive(Debug, Clone)]
pub struct Wallet {
    provider: DynProvider,
    /// Its address.
    pub address: Address,
    /// Its key.
    pub key: B256,
}

impl Wallet {
    /// A wallet for `key` on the node at `rpc`.
    pub fn new(rpc: &str, key: B256) -> Result<Self> {
        let signer = PrivateKeySigner::from_bytes(&key)?;
        let address = signer.address();
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(rpc.parse().with_context(|| format!("RPC URL {rpc}"))?)
            .erased();
        Ok(Self {
            provider,
            address,
            key,
        })
    }

    /// Sends `data` to `to` with `value`; the receipt, or the decoded revert.
    pub async fn send_raw(
        &self,
        to: Address,
        data: Bytes,
        value: U256,
    ) -> Result<TransactionReceipt> {
        let tx = TransactionRequest::default()
            .from(self.address)
            .to(to)
            .input(data.into())
            .value(value);
        let pending = self.provider.send_transaction(tx).await.map_err(|e| {
            let data = e
                .as_error_resp()
                .and_then(alloy_json_rpc::ErrorPayload::as_revert_data);
            match data {
                Some(d) => anyhow!("{}", revert::explain(&d)),
                None => anyhow!("{e}"),
            }
        })?;
        let receipt = pending
            .with_timeout(Some(Duration::from_mins(1)))
            .get_receipt()
            .await?;
        if !receipt.status() {
            bail!("transaction {} reverted", receipt.transaction_hash);
        }
        Ok(receipt)
    }

    /// Deploys `init` code (a contract creation); the new address.
    pub async fn deploy(&self, init: Bytes) -> Result<Address> {
        use alloy_network::TransactionBuilder;
        let tx = TransactionRequest::default()
            .from(self.address)
            .with_deploy_code(init);
        let receipt = self
            .provider
            .send_transaction(tx)
            .await?
            .with_timeout(Some(Duration::from_mins(1)))
            .get_receipt()
            .await?;
        receipt
            .contract_address
            .ok_or_else(|| anyhow!("the creation {} made no contract", receipt.transaction_hash))
    }

    /// Sends a typed call.
    pub async fn send<C: SolCall>(
        &self,
        to: Address,
        call: &C,
        value: U256,
    ) -> Result<TransactionReceipt> {
        self.send_raw(to, call.abi_encode().into(), value)
            .await
            .with_context(|| C::SIGNATURE)
    }

    /// Signs and sends a transaction the API prepared.
    pub async fn send_prepared(&self, tx: &UnsignedTx) -> Result<TransactionReceipt> {
        let to: Address = tx.to.parse()?;
        let data: Bytes = tx.data.parse()?;
        let value: U256 = tx.value.parse()?;
        self.send_raw(to, data, value)
            .await
            .with_context(|| tx.function.clone())
    }
}

/// The embedded chain with everything deployed.
pub struct DevChain {
    /// The node (JSON-RPC on a loopback port).
    pub node: labelmint_node::NodeHandle,
    /// The RPC URL.
    pub rpc_url: String,
    /// Where the programs are.
    pub contracts: Contracts,
    /// The funded accounts (address, key), deployer first.
    pub accounts: Vec<(Address, B256)>,
}

impl std::fmt::Debug for DevChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevChain")
            .field("rpc_url", &self.rpc_url)
            .field("contracts", &self.contracts)
            .finish_non_exhaustive()
    }
}

impl DevChain {
    /// The account at `i` as a wallet.
    pub fn wallet(&self, i: usize) -> Result<Wallet> {
        let (_, key) = self
            .accounts
            .get(i)
            .ok_or_else(|| anyhow!("no dev account {i}"))?;
        Wallet::new(&self.rpc_url, *key)
    }

    /// The relayer's account (dev account 6).
    pub fn relayer_key(&self) -> Option<B256> {
        self.accounts.get(6).map(|(_, k)| *k)
    }
}

/// Starts the node on a free loopback port, deploys every program from
/// `artifacts` (`target/stylus`), writes the manifest under `out_dir`, and
/// registers the default arbiter terms (1 for ETH, 2 for the RewardToken)
/// from the default arbiter (dev account 8).
pub async fn start_chain(artifacts: &Path, out_dir: &Path) -> Result<DevChain> {
    let chain = labelmint_deploy::harness::local_chain(artifacts, out_dir)
        .await
        .map_err(|e| anyhow!("deploying the programs: {e}"))?;
    let contracts = Contracts::from_manifest(&chain.manifest)
        .ok_or_else(|| anyhow!("no AnnotationMarket deployed"))?;
    let rpc_url = chain.url();
    let accounts: Vec<(Address, B256)> = chain
        .node
        .accounts
        .iter()
        .map(|a| (a.address, a.key))
        .collect();
    let arbiter_key = accounts
        .iter()
        .find(|(a, _)| *a == market::DEFAULT_ARBITER)
        .map(|(_, k)| *k)
        .ok_or_else(|| anyhow!("the default arbiter is not a dev account"))?;
    let arbiter = Wallet::new(&rpc_url, arbiter_key)?;
    for token in [Address::ZERO, contracts.token] {
        arbiter
            .send(contracts.market, &market::default_terms(token), U256::ZERO)
            .await?;
    }
    Ok(DevChain {
        node: chain.node,
        rpc_url,
        contracts,
        accounts,
    })
}

/// Writes `files` into a fresh folder under `dir` and builds its manifest
/// in `store`; the data root.
fn store_samples(
    store: &labelmint_storage::LocalStore,
    dir: &Path,
    files: &[(&str, &[u8])],
) -> Result<B256> {
    std::fs::create_dir_all(dir)?;
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes)?;
    }
    let (_, root) = labelmint_storage::build_manifest(dir, Some(store))?;
    let _ = std::fs::remove_dir_all(dir);
    Ok(root)
}

/// Seeds the demo: a bounding-box job over the sample images and a
/// sentiment job over the sample texts, created by dev account 1 with ETH
/// escrow. Returns the two job ids.
pub async fn seed_demo(
    chain: &DevChain,
    store: &labelmint_storage::LocalStore,
    tmp: &Path,
) -> Result<Vec<U256>> {
    let creator = chain.wallet(1)?;
    let mut ids = Vec::new();
    let specs = [
        (
            "Box the shapes",
            market::SCHEMA_BBOX,
            vec!["square", "circle"],
            SAMPLE_IMAGES,
            "images",
        ),
        (
            "Sentiment of reviews",
            market::SCHEMA_CATEGORICAL,
            vec!["negative", "positive"],
            SAMPLE_TEXTS,
            "texts",
        ),
    ];
    let now = {
        let p = ProviderBuilder::new().connect_http(chain.rpc_url.parse()?);
        p.get_block_by_number(alloy_rpc_types_eth::BlockNumberOrTag::Latest)
            .await?
            .ok_or_else(|| anyhow!("no block"))?
            .header
            .timestamp
    };
    for (title, schema, classes, files, sub) in specs {
        let data_root = store_samples(store, &tmp.join(format!("demo-{sub}")), files)?;
        let metadata = serde_json::json!({
            "title": title, "instructions": "Demo job seeded by labelmint serve --dev.",
            "classes": classes, "schema": market::schema_name(schema), "data_root": format!("{data_root:#x}"),
        });
        let metadata_hash = store.put(&serde_json::to_vec(&metadata)?)?;
        let tasks = u32::try_from(files.len())?;
        let reward: u128 = 1_000_000_000_000_000;
        let call = IMarket::createJobCall {
            dataRoot: data_root,
            metadataHash: metadata_hash,
            token: Address::ZERO,
            rewardPerTask: reward,
            taskCount: tasks,
            schema,
            numClasses: u16::try_from(classes.len())?,
            claimDuration: 0,
            submitDeadline: now + 30 * 24 * 3600,
            reviewWindow: 3 * 24 * 3600,
            maxHeld: 256,
            arbiterTerms: market::DEFAULT_ETH_TERMS,
        };
        let receipt = creator
            .send(
                chain.contracts.market,
                &call,
                U256::from(reward) * U256::from(tasks),
            )
            .await?;
        let id = receipt
            .inner
            .logs()
            .iter()
            .find_map(|l| {
                <IMarket::JobCreated as alloy_sol_types::SolEvent>::decode_log_data(&l.inner.data)
                    .ok()
                    .map(|e| e.jobId)
            })
            .ok_or_else(|| anyhow!("no JobCreated"))?;
        ids.push(id);
    }
    Ok(ids)
}
