//! `labelmint serve --dev`: the embedded chain in-process, every program
//! deployed, the default arbiter terms registered, a demo job per data
//! kind seeded from the sample images and texts bundled in the binary, and
//! a QualityHub consensus job over the texts ([`seed_hub`]).
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
    hub::{self, IHub},
    market::{self, IMarket},
    revert, IRewardToken,
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

/// RewardToken units the dev seed mints to the creator, each annotator and
/// the buyer (100 LMR).
pub const DEV_TOKENS: u128 = 100_000_000_000_000_000_000;

/// The consensus job [`seed_hub`] created.
#[derive(Debug, Clone)]
pub struct HubSeed {
    /// Its hub job id.
    pub job: U256,
    /// Its creator (dev account 1).
    pub creator: Address,
    /// The task manifest's root.
    pub data_root: B256,
    /// The stored description's root (title, instructions, class names).
    pub metadata_hash: B256,
    /// Its gold key: (task, label) pairs and the salt, which the creator
    /// reveals with `revealGold` in the reveal phase (the seed does not).
    pub gold: (Vec<(u32, u8)>, B256),
}

/// Terms of the seeded consensus job: 0.01 LMR per agreeing label, 3
/// labels per task, two classes, a simple majority, one day per phase, a
/// stake of 0.02 LMR per label (above the most one label can earn,
/// 0.03 / 2), half of it slashed for a disagreeing label, gold on task 0,
/// and the default RewardToken arbiter terms.
pub const HUB_REWARD: u128 = 10_000_000_000_000_000;
/// Stake per label of the seeded consensus job.
pub const HUB_STAKE: u128 = 20_000_000_000_000_000;
/// Each phase of the seeded consensus job, in seconds.
pub const HUB_PHASE: u32 = 86_400;

/// Seeds a QualityHub consensus job for the workspace: the deployer (dev
/// account 0) mints [`DEV_TOKENS`] of RewardToken to the creator, the three
/// annotators and the buyer (dev accounts 1–5); the creator approves the hub and
/// creates a sentiment job over the sample texts (terms above), and its
/// description is stored in `store` (record it with
/// `api::hub::record_description` once the server runs).
pub async fn seed_hub(
    chain: &DevChain,
    store: &labelmint_storage::LocalStore,
    tmp: &Path,
) -> Result<HubSeed> {
    let hub_address = chain.contracts.hub;
    if hub_address.is_zero() {
        bail!("no QualityHub deployed");
    }
    let token = chain.contracts.token;
    let deployer = chain.wallet(0)?;
    for i in 1..=5 {
        let to = chain.wallet(i)?.address;
        deployer
            .send(
                token,
                &IRewardToken::mintCall {
                    to,
                    value: U256::from(DEV_TOKENS),
                },
                U256::ZERO,
            )
            .await?;
    }
    let creator = chain.wallet(1)?;
    let data_root = store_samples(store, &tmp.join("demo-hub-texts"), SAMPLE_TEXTS)?;
    let classes = ["negative", "positive"];
    let metadata = serde_json::json!({
        "title": "Sentiment of reviews (consensus)",
        "instructions": "Is the review negative or positive? Three annotators label each text; the revealed majority is paid, a disagreeing label loses half its stake.",
        "classes": classes, "schema": "categorical", "data_root": format!("{data_root:#x}"),
    });
    let metadata_hash = store.put(&serde_json::to_vec(&metadata)?)?;
    let tasks = u32::try_from(SAMPLE_TEXTS.len())?;
    let k: u8 = 3;
    let gold: Vec<(u32, u8)> = vec![(0, 1)];
    let salt = alloy_primitives::keccak256(b"labelmint serve --dev gold key");
    let gold_tasks = hub::pack_tasks(&gold.iter().map(|(t, _)| *t).collect::<Vec<_>>());
    let mut pre = creator.address.to_vec();
    pre.extend_from_slice(&gold_tasks);
    pre.extend(gold.iter().map(|(_, l)| *l));
    pre.extend_from_slice(salt.as_slice());
    let gold_commitment = alloy_primitives::keccak256(pre);
    let escrow = U256::from(HUB_REWARD) * U256::from(k) * U256::from(tasks);
    let bond = U256::from(HUB_REWARD + market::DEFAULT_ARBITER_FEE) * U256::from(gold.len());
    creator
        .send(
            token,
            &IRewardToken::approveCall {
                spender: hub_address,
                value: escrow + bond,
            },
            U256::ZERO,
        )
        .await?;
    let call = IHub::createJobCall {
        dataRoot: data_root,
        rewardPerVote: HUB_REWARD,
        taskCount: tasks,
        replication: k,
        numClasses: u8::try_from(classes.len())?,
        quorumBps: 5_001,
        commitDuration: HUB_PHASE,
        revealDuration: HUB_PHASE,
        settleDuration: HUB_PHASE,
        stakePerVote: HUB_STAKE,
        slashBps: 5_000,
        minReputationBps: 0,
        arbiterTerms: market::DEFAULT_TOKEN_TERMS,
        goldCommitment: gold_commitment,
        goldTasks: u32::try_from(gold.len())?,
    };
    let receipt = creator.send(hub_address, &call, U256::ZERO).await?;
    let job = receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| {
            <IHub::JobCreated as alloy_sol_types::SolEvent>::decode_log_data(&l.inner.data)
                .ok()
                .map(|e| e.jobId)
        })
        .ok_or_else(|| anyhow!("no hub JobCreated"))?;
    Ok(HubSeed {
        job,
        creator: creator.address,
        data_root,
        metadata_hash,
        gold: (gold, salt),
    })
}
