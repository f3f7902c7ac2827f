//! # labelmint-deploy
//!
//! Deploys every labelmint contract to any Stylus chain the way real deployers
//! do (one StylusDeployer transaction per program: create, activate, run the
//! constructor), waits for receipts, and writes `deployments/<chainId>.json`
//! (addresses, code hashes, transaction hashes, blocks). Re-running is
//! idempotent: a contract recorded in the manifest whose on-chain code hash
//! still matches is reused, not redeployed. By default it also deploys the
//! Timelock and hands it every admin right ([`governance`]).

pub mod governance;
pub mod harness;

pub use governance::{Governance, DEFAULT_TIMELOCK_DELAY};

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use alloy_network::{EthereumWallet, TransactionBuilder};
use alloy_primitives::{address, keccak256, Address, Bytes, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{sol, SolCall, SolEvent, SolValue};

/// Canonical address of the StylusDeployer on Arbitrum chains (and the devnet).
pub const STYLUS_DEPLOYER: Address = address!("cEcba2F1DC234f70Dd89F2041029807F8D03A990");
/// Value sent along for activation; the deployer refunds what is not needed.
pub const ACTIVATION_BUDGET_WEI: u128 = 10_000_000_000_000_000;

sol! {
    /// Constructor arguments of the RewardToken.
    struct RewardTokenArgs { string name; string symbol; uint8 decimals; uint256 cap; address admin; }
    /// Constructor arguments of the AnnotationMarket.
    struct AnnotationMarketArgs { address admin; address extension; }
    /// Constructor arguments of the DatasetRegistry.
    struct DatasetRegistryArgs { address admin; address market; }
    /// Constructor arguments of the QualityHub: its staking (and payment)
    /// token, the arbiter terms registry (the AnnotationMarket), its extension.
    struct QualityHubArgs { address stakeToken; address registry; address extension; }
    /// Constructor arguments of the QualityCourt: the arbiter terms registry
    /// (the AnnotationMarket), its extension.
    struct QualityCourtArgs { address registry; address extension; }

    interface IStylusDeployer {
        function deploy(bytes bytecode, bytes initData, uint256 initValue, bytes32 salt) external payable returns (address);
        event ContractDeployed(address deployedContract);
    }
}

/// Why a deployment failed, in words a deployer can act on.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The RPC endpoint does not answer.
    #[error("RPC endpoint {url} is unreachable: {reason}")]
    Unreachable {
        /// The URL tried.
        url: String,
        /// What the transport said.
        reason: String,
    },
    /// The endpoint serves another chain than the one asked for.
    #[error("wrong chain: the endpoint serves chain {actual}, expected {expected}")]
    WrongChain {
        /// Chain id asked for.
        expected: u64,
        /// Chain id served.
        actual: u64,
    },
    /// The deployer account cannot pay.
    #[error("insufficient funds: {address} holds {balance} wei, the deployment needs about {needed} wei")]
    InsufficientFunds {
        /// The deployer.
        address: Address,
        /// Its balance.
        balance: U256,
        /// Estimated need.
        needed: U256,
    },
    /// A program is over the Stylus size limits.
    #[error("{contract} is too large: {source}")]
    Oversize {
        /// Contract name.
        contract: String,
        /// The size error.
        #[source]
        source: labelmint_wasm::WasmError,
    },
    /// No private key was given.
    #[error("no key: set LABELMINT_PRIVATE_KEY or pass --keystore FILE (password in LABELMINT_KEYSTORE_PASSWORD)")]
    NoKey,
    /// The key could not be read.
    #[error("cannot read the key: {0}")]
    BadKey(String),
    /// A transaction failed or its result is unusable.
    #[error("{0}")]
    Failed(String),
}

/// One contract to deploy.
#[derive(Debug, Clone)]
pub struct ContractSpec {
    /// Name in the manifest (`RewardToken`).
    pub name: String,
    /// Processed wasm (as `cargo xtask wasm` writes it).
    pub wasm: Vec<u8>,
    /// ABI-encoded constructor arguments, if the contract has a constructor.
    pub constructor_args: Option<Vec<u8>>,
    /// Wiring: constructor argument words (index) that take the address of
    /// a contract deployed earlier in the same run (name). In a dry run, where
    /// nothing is deployed, a placeholder address stands in.
    pub links: Vec<(usize, String)>,
}

pub use labelmint_client::deployments::{read_manifest, Deployed, Manifest};

/// What happened to each contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Deployed now.
    Deployed(Deployed),
    /// Already deployed with the same code hash.
    Reused(Deployed),
    /// Dry run: estimated gas and cost.
    Estimated {
        /// Estimated gas.
        gas: u64,
        /// gas × gas price, in wei.
        cost: U256,
    },
}

/// Options of a run.
#[derive(Debug, Clone)]
pub struct Options {
    /// RPC URL.
    pub rpc: String,
    /// Expected chain id (checked against the endpoint when given).
    pub chain_id: Option<u64>,
    /// Where manifests go.
    pub out_dir: PathBuf,
    /// Estimate only.
    pub dry_run: bool,
}

/// Reads the signing key from `LABELMINT_PRIVATE_KEY`, or from a keystore file
/// with its password in `LABELMINT_KEYSTORE_PASSWORD` (or asked on the
/// terminal when that is unset). The key is never printed.
pub fn load_signer(keystore: Option<&Path>) -> Result<PrivateKeySigner, DeployError> {
    if let Some(path) = keystore {
        let password = keystore_password(path)?;
        return PrivateKeySigner::decrypt_keystore(path, password)
            .map_err(|e| DeployError::BadKey(format!("{}: {e}", path.display())));
    }
    let hex = std::env::var("LABELMINT_PRIVATE_KEY").map_err(|_| DeployError::NoKey)?;
    hex.trim()
        .parse::<PrivateKeySigner>()
        .map_err(|_| DeployError::BadKey("LABELMINT_PRIVATE_KEY is not a 32-byte hex key".into()))
}

/// The keystore's password: `LABELMINT_KEYSTORE_PASSWORD`, else asked on
/// the terminal (not echoed); without a terminal, a clear error (never an
/// empty password tried silently).
fn keystore_password(path: &Path) -> Result<String, DeployError> {
    use std::io::IsTerminal as _;
    if let Ok(p) = std::env::var("LABELMINT_KEYSTORE_PASSWORD") {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        return Err(DeployError::BadKey(format!(
            "{}: no password: set LABELMINT_KEYSTORE_PASSWORD (no terminal to ask on)",
            path.display()
        )));
    }
    rpassword::prompt_password(format!("password for {}: ", path.display()))
        .map_err(|e| DeployError::BadKey(format!("reading the password: {e}")))
}

/// Init code that returns `code` (`PUSH2 len DUP1 PUSH1 0x0c PUSH1 0 CODECOPY PUSH1 0 RETURN`).
pub fn init_code(code: &[u8]) -> Vec<u8> {
    let [hi, lo] = u16::try_from(code.len()).unwrap_or(u16::MAX).to_be_bytes();
    let mut init = vec![
        0x61, hi, lo, 0x80, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3,
    ];
    init.extend_from_slice(code);
    init
}

use labelmint_client::deployments::manifest_path;

/// Deploys `contracts` in order; returns the outcome per contract and the
/// manifest (written unless dry-running).
pub async fn deploy(
    options: &Options,
    signer: PrivateKeySigner,
    contracts: &[ContractSpec],
) -> Result<(Vec<(String, Outcome)>, Manifest), DeployError> {
    let (provider, from) = signing_provider(options, signer)?;
    let unreachable = |e: &dyn std::fmt::Display| DeployError::Unreachable {
        url: options.rpc.clone(),
        reason: e.to_string(),
    };
    let chain_id = tokio::time::timeout(Duration::from_secs(15), provider.get_chain_id())
        .await
        .map_err(|_| unreachable(&"no answer within 15 s"))?
        .map_err(|e| unreachable(&e))?;
    if let Some(expected) = options.chain_id {
        if expected != chain_id {
            return Err(DeployError::WrongChain {
                expected,
                actual: chain_id,
            });
        }
    }
    let deployer_code = provider
        .get_code_at(STYLUS_DEPLOYER)
        .await
        .map_err(|e| unreachable(&e))?;
    if deployer_code.is_empty() {
        return Err(DeployError::Failed(format!(
            "chain {chain_id} has no StylusDeployer at {STYLUS_DEPLOYER}: not a Stylus chain, or an old one"
        )));
    }
    let mut manifest = read_manifest(&options.out_dir, chain_id);
    manifest.chain_id = chain_id;
    manifest.deployer = from;
    let gas_price = provider
        .get_gas_price()
        .await
        .map_err(|e| unreachable(&e))?;
    let mut outcomes = Vec::new();

    for spec in contracts {
        let mut spec = spec.clone();
        if let Some(args) = spec.constructor_args.as_mut() {
            for (index, name) in &spec.links {
                let address = manifest
                    .contracts
                    .get(name)
                    .map(|d| d.address)
                    .or_else(|| options.dry_run.then_some(Address::repeat_byte(0x11)))
                    .ok_or_else(|| {
                        DeployError::Failed(format!("{} needs {name} deployed first", spec.name))
                    })?;
                let at = index * 32;
                if let Some(word) = args.get_mut(at + 12..at + 32) {
                    word.copy_from_slice(address.as_slice());
                }
            }
        }
        let spec = &spec;
        let outcome = deploy_one(&provider, from, spec, gas_price, &manifest, options).await?;
        if let Outcome::Deployed(d) = &outcome {
            manifest.contracts.insert(spec.name.clone(), d.clone());
        }
        outcomes.push((spec.name.clone(), outcome));
    }
    if !options.dry_run {
        std::fs::create_dir_all(&options.out_dir)
            .map_err(|e| DeployError::Failed(e.to_string()))?;
        let text = serde_json::to_string_pretty(&manifest)
            .map_err(|e| DeployError::Failed(e.to_string()))?
            + "\n";
        std::fs::write(manifest_path(&options.out_dir, chain_id), text)
            .map_err(|e| DeployError::Failed(e.to_string()))?;
    }
    Ok((outcomes, manifest))
}

/// Deploys (or reuses, or estimates) one contract: validate, reuse, estimate,
/// check funds, send, read the event. One linear sequence, kept together.
#[allow(clippy::too_many_lines)]
async fn deploy_one<P: Provider>(
    provider: &P,
    from: Address,
    spec: &ContractSpec,
    gas_price: u128,
    manifest: &Manifest,
    options: &Options,
) -> Result<Outcome, DeployError> {
    let unreachable = |e: &dyn std::fmt::Display| DeployError::Unreachable {
        url: options.rpc.clone(),
        reason: e.to_string(),
    };
    labelmint_wasm::validate(&spec.wasm).map_err(|source| DeployError::Oversize {
        contract: spec.name.clone(),
        source,
    })?;
    let code = labelmint_wasm::to_stylus_code(&spec.wasm);
    if code.len() > labelmint_wasm::MAX_CODE_SIZE {
        return Err(DeployError::Oversize {
            contract: spec.name.clone(),
            source: labelmint_wasm::WasmError::TooLarge {
                size: code.len(),
                limit: labelmint_wasm::MAX_CODE_SIZE,
            },
        });
    }
    let code_hash = keccak256(&code);

    // Idempotence: the recorded contract is still there with this code.
    if let Some(previous) = manifest.contracts.get(&spec.name) {
        let on_chain = provider
            .get_code_at(previous.address)
            .await
            .map_err(|e| unreachable(&e))?;
        if previous.code_hash == code_hash && keccak256(&on_chain) == code_hash {
            return Ok(Outcome::Reused(previous.clone()));
        }
    }

    let init_data = spec
        .constructor_args
        .as_ref()
        .map_or_else(Vec::new, |args| {
            let mut data = keccak256("stylus_constructor()")[..4].to_vec();
            data.extend_from_slice(args);
            data
        });
    let salt = keccak256((spec.name.as_str(), code_hash, from).abi_encode());
    let call = IStylusDeployer::deployCall {
        bytecode: Bytes::from(init_code(&code)),
        initData: init_data.into(),
        initValue: U256::ZERO,
        salt,
    };
    let value = U256::from(ACTIVATION_BUDGET_WEI);
    let request = TransactionRequest::default()
        .with_from(from)
        .with_to(STYLUS_DEPLOYER)
        .with_value(value)
        .with_input(call.abi_encode());
    let value_balance = provider
        .get_balance(from)
        .await
        .map_err(|e| unreachable(&e))?;
    if value_balance < value {
        return Err(DeployError::InsufficientFunds {
            address: from,
            balance: value_balance,
            needed: value,
        });
    }
    let gas = provider.estimate_gas(request.clone()).await.map_err(|e| {
        DeployError::Failed(format!(
            "{}: estimating the deployment failed: {e}",
            spec.name
        ))
    })?;
    let cost = U256::from(gas) * U256::from(gas_price);
    if options.dry_run {
        return Ok(Outcome::Estimated { gas, cost });
    }
    let balance = provider
        .get_balance(from)
        .await
        .map_err(|e| unreachable(&e))?;
    if balance < cost + value {
        return Err(DeployError::InsufficientFunds {
            address: from,
            balance,
            needed: cost + value,
        });
    }
    let receipt = provider
        .send_transaction(request.with_gas_limit(gas + gas / 5))
        .await
        .map_err(|e| DeployError::Failed(format!("{}: sending failed: {e}", spec.name)))?
        .with_timeout(Some(Duration::from_mins(2)))
        .get_receipt()
        .await
        .map_err(|e| DeployError::Failed(format!("{}: no receipt: {e}", spec.name)))?;
    if !receipt.status() {
        return Err(DeployError::Failed(format!(
            "{}: deployment transaction {} reverted",
            spec.name, receipt.transaction_hash
        )));
    }
    let address = receipt
        .inner
        .logs()
        .iter()
        .filter(|l| l.address() == STYLUS_DEPLOYER)
        .find_map(|l| IStylusDeployer::ContractDeployed::decode_log_data(l.data()).ok())
        .map(|e| e.deployedContract)
        .ok_or_else(|| DeployError::Failed(format!("{}: no ContractDeployed event", spec.name)))?;
    let deployed = Deployed {
        address,
        code_hash,
        tx_hash: receipt.transaction_hash,
        block: receipt.block_number.unwrap_or_default(),
        gas_used: receipt.gas_used,
    };
    Ok(Outcome::Deployed(deployed))
}

/// The labelmint contracts, read from `dir` (`target/stylus`), with their
/// constructor arguments for `admin` (the deployer), the Timelock last (in
/// its bootstrap shape, see [`governance`]).
pub fn labelmint_contracts(dir: &Path, admin: Address) -> Result<Vec<ContractSpec>, DeployError> {
    labelmint_contracts_with(dir, admin, true)
}

/// [`labelmint_contracts`], with or without the Timelock.
#[allow(clippy::too_many_lines)]
pub fn labelmint_contracts_with(
    dir: &Path,
    admin: Address,
    timelock: bool,
) -> Result<Vec<ContractSpec>, DeployError> {
    let read = |lib: &str| {
        std::fs::read(dir.join(format!("{lib}.wasm"))).map_err(|e| {
            DeployError::Failed(format!(
                "{}/{lib}.wasm: {e} (run `cargo xtask wasm`)",
                dir.display()
            ))
        })
    };
    let token_args = RewardTokenArgs {
        name: "labelmint Reward".into(),
        symbol: "LMR".into(),
        decimals: 18,
        cap: U256::ZERO,
        admin,
    }
    .abi_encode_params();
    let market_args = AnnotationMarketArgs {
        admin,
        extension: Address::ZERO,
    }
    .abi_encode_params();
    let registry_args = DatasetRegistryArgs {
        admin,
        market: Address::ZERO,
    }
    .abi_encode_params();
    let hub_args = QualityHubArgs {
        stakeToken: Address::ZERO,
        registry: Address::ZERO,
        extension: Address::ZERO,
    }
    .abi_encode_params();
    let court_args = QualityCourtArgs {
        registry: Address::ZERO,
        extension: Address::ZERO,
    }
    .abi_encode_params();
    let mut specs = vec![
        ContractSpec {
            name: "RewardToken".into(),
            wasm: read("reward_token")?,
            constructor_args: Some(token_args),
            links: Vec::new(),
        },
        ContractSpec {
            name: "AnnotationMarketExtension".into(),
            wasm: read("annotation_market_ext")?,
            constructor_args: None,
            links: Vec::new(),
        },
        ContractSpec {
            name: "AnnotationMarket".into(),
            wasm: read("annotation_market")?,
            constructor_args: Some(market_args),
            links: vec![(1, "AnnotationMarketExtension".into())],
        },
        ContractSpec {
            name: "DatasetRegistry".into(),
            wasm: read("dataset_registry")?,
            constructor_args: Some(registry_args),
            links: vec![(1, "AnnotationMarket".into())],
        },
        ContractSpec {
            name: "QualityHubExtension".into(),
            wasm: read("quality_hub_ext")?,
            constructor_args: None,
            links: Vec::new(),
        },
        ContractSpec {
            name: "QualityHub".into(),
            wasm: read("quality_hub")?,
            constructor_args: Some(hub_args),
            links: vec![
                (0, "RewardToken".into()),
                (1, "AnnotationMarket".into()),
                (2, "QualityHubExtension".into()),
            ],
        },
        ContractSpec {
            name: "QualityCourtExtension".into(),
            wasm: read("quality_court_ext")?,
            constructor_args: None,
            links: Vec::new(),
        },
        ContractSpec {
            name: "QualityCourt".into(),
            wasm: read("quality_court")?,
            constructor_args: Some(court_args),
            links: vec![
                (0, "AnnotationMarket".into()),
                (1, "QualityCourtExtension".into()),
            ],
        },
    ];
    if timelock {
        specs.push(ContractSpec {
            name: "Timelock".into(),
            wasm: read("timelock")?,
            constructor_args: Some(governance::bootstrap_args(admin)),
            links: Vec::new(),
        });
    }
    Ok(specs)
}

/// A provider for the chain of `options` that signs with `signer`, and the
/// signer's address.
fn signing_provider(
    options: &Options,
    signer: PrivateKeySigner,
) -> Result<(impl Provider, Address), DeployError> {
    let url: url::Url = options.rpc.parse().map_err(|e| DeployError::Unreachable {
        url: options.rpc.clone(),
        reason: format!("bad URL: {e}"),
    })?;
    let from = signer.address();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(url);
    Ok((provider, from))
}

/// Runs [`governance::enable_job_sources`] on the chain of `options` for the
/// contracts of `manifest`, sending from `signer`; what it did, one line per
/// source enabled.
pub async fn enable_job_sources(
    options: &Options,
    signer: PrivateKeySigner,
    manifest: &Manifest,
) -> Result<Vec<String>, DeployError> {
    let (provider, from) = signing_provider(options, signer)?;
    governance::enable_job_sources(&provider, from, |name| manifest.address(name)).await
}

/// Runs [`governance::hand_over`] on the chain of `options` for the
/// contracts of `manifest`, sending from `signer`; what it did, one line
/// per step.
pub async fn hand_over(
    options: &Options,
    signer: PrivateKeySigner,
    manifest: &Manifest,
    governance: &Governance,
) -> Result<Vec<String>, DeployError> {
    let (provider, from) = signing_provider(options, signer)?;
    governance::hand_over(&provider, from, |name| manifest.address(name), governance).await
}
