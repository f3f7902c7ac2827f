//! `labelmint-deploy --rpc URL [--chain-id N] [--keystore FILE] [--out deployments] [--artifacts target/stylus] [--dry-run]`
//!
//! The key comes from `LABELMINT_PRIVATE_KEY`, or from `--keystore FILE` with
//! the password in `LABELMINT_KEYSTORE_PASSWORD`; it is never printed.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use labelmint_deploy::{deploy, labelmint_contracts, load_signer, Options, Outcome};

const USAGE: &str = "usage: labelmint-deploy --rpc URL [--chain-id N] [--keystore FILE] [--out deployments] [--artifacts target/stylus] [--dry-run]";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let mut options = Options {
        rpc: String::new(),
        chain_id: None,
        out_dir: PathBuf::from("deployments"),
        dry_run: false,
    };
    let mut keystore = None;
    let mut artifacts = PathBuf::from("target/stylus");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .with_context(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--rpc" => options.rpc = value("--rpc")?,
            "--chain-id" => {
                options.chain_id = Some(value("--chain-id")?.parse().context("--chain-id")?);
            }
            "--keystore" => keystore = Some(PathBuf::from(value("--keystore")?)),
            "--out" => options.out_dir = PathBuf::from(value("--out")?),
            "--artifacts" => artifacts = PathBuf::from(value("--artifacts")?),
            "--dry-run" => options.dry_run = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => bail!("unknown argument {other}\n{USAGE}"),
        }
    }
    if options.rpc.is_empty() {
        bail!("--rpc is required\n{USAGE}");
    }
    let signer = load_signer(keystore.as_deref())?;
    let contracts = labelmint_contracts(&artifacts, signer.address())?;
    let (outcomes, manifest) = deploy(&options, signer, &contracts).await?;
    for (name, outcome) in &outcomes {
        match outcome {
            Outcome::Deployed(d) => println!(
                "{name}: deployed at {} (tx {}, block {}, {} gas)",
                d.address, d.tx_hash, d.block, d.gas_used
            ),
            Outcome::Reused(d) => println!(
                "{name}: already deployed at {} with the same code hash, reused",
                d.address
            ),
            Outcome::Estimated { gas, cost } => println!(
                "{name}: would use about {gas} gas, costing {cost} wei at the current gas price"
            ),
        }
    }
    if !options.dry_run {
        println!(
            "manifest: {}",
            options
                .out_dir
                .join(format!("{}.json", manifest.chain_id))
                .display()
        );
    }
    Ok(())
}
