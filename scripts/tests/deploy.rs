//! The deploy crate against a real JSON-RPC node on a random loopback port:
//! deploys the real wasm, writes the manifest, reuses on a second run, hands
//! the admin rights to the Timelock (or not, without it), and fails clearly
//! for a wrong chain id, an unreachable endpoint and an empty account.
#![allow(missing_docs)]

use std::path::PathBuf;

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{sol, SolCall};
use labelmint_deploy::{
    deploy, enable_job_sources, hand_over, labelmint_contracts, labelmint_contracts_with,
    read_manifest, DeployError, Governance, Manifest, Options, Outcome,
};

sol! {
    interface IViews {
        function admin() external view returns (address account);
        function pendingAdmin() external view returns (address account);
        function isPauser(address account) external view returns (bool enabled);
        function hasRole(bytes32 role, address account) external view returns (bool);
        function getMinDelay() external view returns (uint256 duration);
        function jobSourceOf(address source) external view returns (uint8 index, bool enabled);
    }
}

/// Reads `call` from `to` on the node at `url`.
async fn read<C: SolCall>(url: &str, to: Address, call: C) -> C::Return {
    let provider = ProviderBuilder::new().connect_http(url.parse().unwrap());
    let tx = TransactionRequest::default()
        .to(to)
        .input(call.abi_encode().into());
    C::abi_decode_returns(&provider.call(tx).await.unwrap()).unwrap()
}

/// Whether `account` holds `role` at `program`.
async fn has_role(url: &str, program: Address, role: B256, account: Address) -> bool {
    read(url, program, IViews::hasRoleCall { role, account }).await
}

/// The governance the README promises, checked on the chain: the Timelock
/// is the market's and the registry's admin and the token's only admin,
/// with `delay`, `proposer` proposing and cancelling, `executor` executing
/// (zero: anyone) and `operator` pausing; the deployer keeps minting.
async fn assert_governed(
    url: &str,
    m: &Manifest,
    deployer: Address,
    delay: u64,
    proposer: Address,
    executor: Address,
    operator: Address,
) {
    let at = |name: &str| m.contracts[name].address;
    let (timelock, token, market) = (at("Timelock"), at("RewardToken"), at("AnnotationMarket"));
    for program in [market, at("DatasetRegistry")] {
        assert_eq!(read(url, program, IViews::adminCall {}).await, timelock);
        assert_eq!(
            read(url, program, IViews::pendingAdminCall {}).await,
            Address::ZERO
        );
    }
    assert!(has_role(url, token, B256::ZERO, timelock).await);
    assert!(!has_role(url, token, B256::ZERO, deployer).await);
    assert!(has_role(url, token, keccak256("MINTER_ROLE"), deployer).await);
    assert!(has_role(url, token, keccak256("PAUSER_ROLE"), operator).await);
    assert!(read(url, market, IViews::isPauserCall { account: operator }).await);
    if operator != deployer {
        assert!(!has_role(url, token, keccak256("PAUSER_ROLE"), deployer).await);
        assert!(!read(url, market, IViews::isPauserCall { account: deployer }).await);
    }
    assert_eq!(
        read(url, timelock, IViews::getMinDelayCall {}).await,
        U256::from(delay)
    );
    for role in ["PROPOSER_ROLE", "CANCELLER_ROLE"] {
        assert!(has_role(url, timelock, keccak256(role), proposer).await);
        assert_eq!(
            has_role(url, timelock, keccak256(role), deployer).await,
            proposer == deployer
        );
    }
    assert!(has_role(url, timelock, keccak256("EXECUTOR_ROLE"), executor).await);
    assert_eq!(
        has_role(url, timelock, keccak256("EXECUTOR_ROLE"), deployer).await,
        executor == deployer
    );
    assert!(!has_role(url, timelock, B256::ZERO, deployer).await);
}

/// Every job kind is a source of the registry: the market (its constructor),
/// the QualityHub and the QualityCourt, so datasets from consensus and court
/// jobs can be published and sold with royalties.
async fn assert_job_sources(url: &str, m: &Manifest) {
    let registry = m.contracts["DatasetRegistry"].address;
    for (name, index) in [
        ("AnnotationMarket", 1),
        ("QualityHub", 2),
        ("QualityCourt", 3),
    ] {
        let source = m.contracts[name].address;
        let r = read(url, registry, IViews::jobSourceOfCall { source }).await;
        assert_eq!(
            (r.index, r.enabled),
            (index, true),
            "{name} as a job source"
        );
    }
}

fn artifacts() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), PathBuf::from)
        .join("stylus")
}

fn dev_key() -> PrivateKeySigner {
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
        .parse()
        .unwrap()
}

async fn node() -> labelmint_node::NodeHandle {
    labelmint_node::start(labelmint_node::Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        ..labelmint_node::Config::default()
    })
    .await
    .unwrap()
}

fn options(url: String, out: &std::path::Path) -> Options {
    Options {
        rpc: url,
        chain_id: Some(412_346),
        out_dir: out.to_path_buf(),
        dry_run: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploys_writes_manifest_and_reuses_on_rerun() {
    let node = node().await;
    let out = std::env::temp_dir().join(format!("labelmint-deploy-{}", node.addr.port()));
    let signer = dev_key();
    let contracts = labelmint_contracts(&artifacts(), signer.address()).unwrap();

    let dry = Options {
        dry_run: true,
        ..options(node.http_url(), &out)
    };
    let (outcomes, _) = deploy(&dry, signer.clone(), &contracts).await.unwrap();
    assert!(matches!(outcomes[0].1, Outcome::Estimated { gas, .. } if gas > 1_000_000));
    assert!(
        !out.join("412346.json").exists(),
        "a dry run writes nothing"
    );

    let (outcomes, manifest) = deploy(&options(node.http_url(), &out), signer.clone(), &contracts)
        .await
        .unwrap();
    let Outcome::Deployed(first) = &outcomes[0].1 else {
        panic!("{outcomes:?}")
    };
    assert_eq!(read_manifest(&out, 412_346), manifest);
    assert_eq!(manifest.contracts["RewardToken"].address, first.address);
    assert_eq!(
        outcomes.len(),
        9,
        "RewardToken, AnnotationMarketExtension, AnnotationMarket, DatasetRegistry, QualityHubExtension, QualityHub, QualityCourtExtension, QualityCourt, Timelock"
    );
    let Outcome::Deployed(market) = &outcomes[2].1 else {
        panic!("{outcomes:?}")
    };
    assert_eq!(
        manifest.contracts["AnnotationMarket"].address,
        market.address
    );
    assert_ne!(market.address, first.address);

    let (outcomes, _) = deploy(&options(node.http_url(), &out), signer, &contracts)
        .await
        .unwrap();
    assert_eq!(outcomes[0].1, Outcome::Reused(first.clone()));
    assert_eq!(outcomes[2].1, Outcome::Reused(market.clone()));
    assert!(matches!(outcomes[3].1, Outcome::Reused(_)));
    let _ = std::fs::remove_dir_all(&out);
    node.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harness_gives_a_chain_with_every_contract_deployed() {
    let out = std::env::temp_dir().join("labelmint-harness-test");
    let chain = labelmint_deploy::harness::local_chain(&artifacts(), &out)
        .await
        .unwrap();
    let provider =
        alloy_provider::ProviderBuilder::new().connect_http(chain.url().parse().unwrap());
    for name in [
        "RewardToken",
        "AnnotationMarketExtension",
        "AnnotationMarket",
        "DatasetRegistry",
        "QualityHubExtension",
        "QualityHub",
        "QualityCourtExtension",
        "QualityCourt",
        "Timelock",
    ] {
        let address = chain.manifest.contracts[name].address;
        let code = alloy_provider::Provider::get_code_at(&provider, address)
            .await
            .unwrap();
        assert_eq!(
            &code[..3],
            &[0xEF, 0xF0, 0x00],
            "a Stylus program is deployed at {name}"
        );
    }
    // Governed as labelmint-deploy governs by default.
    let deployer = chain.signer.address();
    assert_governed(
        &chain.url(),
        &chain.manifest,
        deployer,
        labelmint_deploy::DEFAULT_TIMELOCK_DELAY,
        deployer,
        Address::ZERO,
        deployer,
    )
    .await;
    assert_job_sources(&chain.url(), &chain.manifest).await;
    let _ = std::fs::remove_dir_all(&out);
    chain.node.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timelock_takes_the_admin_rights_with_the_configured_accounts_and_reruns_change_nothing(
) {
    let node = node().await;
    let out = std::env::temp_dir().join(format!("labelmint-deploy-{}", node.addr.port()));
    let signer = dev_key();
    let deployer = signer.address();
    let [operator, proposer, executor] = [1u8, 2, 3].map(|i| node.accounts[usize::from(i)].address);
    let governance = Governance {
        delay: 3_600,
        proposer: Some(proposer),
        executor: Some(executor),
        operator: Some(operator),
    };
    let contracts = labelmint_contracts(&artifacts(), deployer).unwrap();
    let options = options(node.http_url(), &out);
    let (_, manifest) = deploy(&options, signer.clone(), &contracts).await.unwrap();
    let sources = enable_job_sources(&options, signer.clone(), &manifest)
        .await
        .unwrap();
    assert_eq!(sources.len(), 2, "{sources:#?}");
    let done = hand_over(&options, signer.clone(), &manifest, &governance)
        .await
        .unwrap();
    assert!(
        done.iter().any(|l| l.contains("bootstrap operation")),
        "{done:#?}"
    );
    let url = node.http_url();
    assert_governed(
        &url, &manifest, deployer, 3_600, proposer, executor, operator,
    )
    .await;
    assert_job_sources(&url, &manifest).await;
    // Everything is in place: a second run sends nothing.
    let again = enable_job_sources(&options, signer.clone(), &manifest)
        .await
        .unwrap();
    assert!(again.is_empty(), "{again:#?}");
    let again = hand_over(&options, signer, &manifest, &governance)
        .await
        .unwrap();
    assert!(again.is_empty(), "{again:#?}");
    let _ = std::fs::remove_dir_all(&out);
    node.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_timelock_the_deployer_stays_the_admin() {
    let node = node().await;
    let out = std::env::temp_dir().join(format!("labelmint-deploy-{}", node.addr.port()));
    let signer = dev_key();
    let deployer = signer.address();
    let contracts = labelmint_contracts_with(&artifacts(), deployer, false).unwrap();
    assert_eq!(contracts.len(), 8);
    assert!(contracts.iter().all(|c| c.name != "Timelock"));
    let options = options(node.http_url(), &out);
    let (_, manifest) = deploy(&options, signer.clone(), &contracts).await.unwrap();
    enable_job_sources(&options, signer, &manifest)
        .await
        .unwrap();
    let url = node.http_url();
    assert_job_sources(&url, &manifest).await;
    let market = manifest.contracts["AnnotationMarket"].address;
    assert_eq!(read(&url, market, IViews::adminCall {}).await, deployer);
    let token = manifest.contracts["RewardToken"].address;
    assert!(has_role(&url, token, B256::ZERO, deployer).await);
    let _ = std::fs::remove_dir_all(&out);
    node.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_wrong_chain_unreachable_rpc_and_empty_accounts() {
    let node = node().await;
    let out = std::env::temp_dir().join(format!("labelmint-deploy-{}", node.addr.port()));
    let signer = dev_key();
    let contracts = labelmint_contracts(&artifacts(), signer.address()).unwrap();

    let wrong = Options {
        chain_id: Some(1),
        ..options(node.http_url(), &out)
    };
    let err = deploy(&wrong, signer.clone(), &contracts)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            DeployError::WrongChain {
                expected: 1,
                actual: 412_346
            }
        ),
        "{err}"
    );

    let dead = options("http://127.0.0.1:1".into(), &out);
    let err = deploy(&dead, signer.clone(), &contracts).await.unwrap_err();
    assert!(matches!(err, DeployError::Unreachable { .. }), "{err}");

    let poor: PrivateKeySigner = format!("0x{:064x}", 4242).parse().unwrap();
    let err = deploy(&options(node.http_url(), &out), poor, &contracts)
        .await
        .unwrap_err();
    assert!(
        matches!(err, DeployError::InsufficientFunds { .. }),
        "{err}"
    );
    node.stop();
}
