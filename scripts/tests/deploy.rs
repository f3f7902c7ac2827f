//! The deploy crate against a real JSON-RPC node on a random loopback port:
//! deploys the real wasm, writes the manifest, reuses on a second run, and
//! fails clearly for a wrong chain id, an unreachable endpoint and an empty
//! account.
#![allow(missing_docs)]

use std::path::PathBuf;

use alloy_signer_local::PrivateKeySigner;
use labelmint_deploy::{deploy, labelmint_contracts, read_manifest, DeployError, Options, Outcome};

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
        8,
        "RewardToken, AnnotationMarketExtension, AnnotationMarket, DatasetRegistry, QualityHubExtension, QualityHub, QualityCourtExtension, QualityCourt"
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
    let _ = std::fs::remove_dir_all(&out);
    chain.node.stop();
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
