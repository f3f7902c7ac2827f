//! `labelmint-deploy --rpc URL [--chain-id N] [--keystore FILE] [--out deployments] [--artifacts target/stylus] [--dry-run]
//! [--timelock-delay SECONDS] [--timelock-proposer ADDR] [--timelock-executor ADDR] [--operator ADDR] [--no-timelock]`
//!
//! The key comes from `LABELMINT_PRIVATE_KEY`, or from `--keystore FILE` with
//! the password in `LABELMINT_KEYSTORE_PASSWORD`; it is never printed.
//!
//! By default the Timelock is deployed too and takes the admin rights (see
//! `labelmint_deploy::governance`): minimum delay `--timelock-delay` (two
//! days), proposer and canceller `--timelock-proposer` (the deployer),
//! executor `--timelock-executor` (anyone), pausing with `--operator` (the
//! deployer). `--no-timelock` leaves the deployer the admin of everything.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use labelmint_deploy::{
    deploy, enable_job_sources, hand_over, labelmint_contracts_with, load_signer, Governance,
    Options, Outcome,
};

const USAGE: &str = "usage: labelmint-deploy --rpc URL [--chain-id N] [--keystore FILE] [--out deployments] [--artifacts target/stylus] [--dry-run]
       [--timelock-delay SECONDS (172800)] [--timelock-proposer ADDR (the deployer)] [--timelock-executor ADDR (anyone)]
       [--operator ADDR (pauses; the deployer)] [--no-timelock (the deployer stays admin)]";

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
    let mut governance = Some(Governance::default());
    let mut timelock_flags = false;
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
            "--no-timelock" => governance = None,
            "--timelock-delay" | "--timelock-proposer" | "--timelock-executor" | "--operator" => {
                let v = value(a)?;
                let g = governance.get_or_insert_with(Governance::default);
                timelock_flags = true;
                match a.as_str() {
                    "--timelock-delay" => g.delay = v.parse().context("--timelock-delay")?,
                    "--timelock-proposer" => g.proposer = Some(v.parse().context(a.clone())?),
                    "--timelock-executor" => g.executor = Some(v.parse().context(a.clone())?),
                    _ => g.operator = Some(v.parse().context(a.clone())?),
                }
            }
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
    if timelock_flags && args.iter().any(|a| a == "--no-timelock") {
        bail!("--no-timelock contradicts the --timelock-*/--operator options\n{USAGE}");
    }
    let signer = load_signer(keystore.as_deref())?;
    let contracts = labelmint_contracts_with(&artifacts, signer.address(), governance.is_some())?;
    let (outcomes, manifest) = deploy(&options, signer.clone(), &contracts).await?;
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
    wire(&options, signer, &manifest, governance.as_ref()).await?;
    Ok(())
}

/// After deployment: the hub and the court become the registry's job
/// sources, then the Timelock (if any) takes the admin rights; prints what
/// was done, and where the manifest is.
async fn wire(
    options: &Options,
    signer: alloy_signer_local::PrivateKeySigner,
    manifest: &labelmint_deploy::Manifest,
    governance: Option<&Governance>,
) -> Result<()> {
    if options.dry_run {
        println!("would make the QualityHub and the QualityCourt job sources of the registry");
    } else {
        for line in enable_job_sources(options, signer.clone(), manifest).await? {
            println!("{line}");
        }
    }
    match governance {
        Some(g) if options.dry_run => println!(
            "would hand the admin rights to the Timelock: minimum delay {} s",
            g.delay
        ),
        Some(g) => {
            for line in hand_over(options, signer, manifest, g).await? {
                println!("{line}");
            }
            println!(
                "governance: the Timelock {} is the admin of the market and the registry and holds the token's DEFAULT_ADMIN_ROLE",
                manifest.address("Timelock").unwrap_or_default()
            );
        }
        None => println!("no Timelock: the deployer stays the admin of every program"),
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
