//! `labelmint-devnet [--host H] [--port P] [--chain-id N] [--arbos-version V] [--log-methods] [--auto-activate]
//! [--block-time SECS] [--allow-origin ORIGIN]… [--allow-host HOST]… [--max-batch N] [--gas-cap GAS] [--time-budget SECS]`
//!
//! Serves the embedded Stylus chain over JSON-RPC (HTTP and WebSocket on the
//! same port, 127.0.0.1:8547 by default) and prints its dev accounts and keys
//! as anvil does. Blocks are mined instantly, one per transaction.

use std::net::{IpAddr, SocketAddr};

use anyhow::{bail, Context, Result};
use labelmint_node::Config;

const USAGE: &str =
    "usage: labelmint-devnet [--host 127.0.0.1] [--port 8547] [--chain-id 412346] [--arbos-version 51] [--log-methods] [--auto-activate] [--block-time SECS]
                        [--allow-origin ORIGIN|*]... [--allow-host HOST|*]... [--max-batch 100] [--gas-cap 32000000] [--time-budget SECS]

labelmint-devnet is the JSON-RPC node: the binary of the package labelmint-node
(cargo run --release -p labelmint-node --bin labelmint-devnet). The package named
labelmint-devnet is the chain library; its binaries devnet-bench and devnet-figures are
benchmarks, not the node. The labelmint CLI talks to this node (labelmint --help).";

fn parse(args: &[String]) -> Result<Config> {
    let mut config = Config::default();
    let mut host: IpAddr = config.addr.ip();
    let mut port = config.addr.port();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .with_context(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--host" => host = value("--host")?.parse().context("--host")?,
            "--port" => port = value("--port")?.parse().context("--port")?,
            "--chain-id" => config.chain_id = value("--chain-id")?.parse().context("--chain-id")?,
            "--arbos-version" => {
                config.arbos_version = value("--arbos-version")?
                    .parse()
                    .context("--arbos-version")?;
            }
            "--log-methods" => config.log_methods = true,
            "--auto-activate" => config.auto_activate = true,
            "--block-time" => {
                let secs: f64 = value("--block-time")?.parse().context("--block-time")?;
                let time = std::time::Duration::try_from_secs_f64(secs)
                    .ok()
                    .filter(|t| !t.is_zero())
                    .context("--block-time: a positive number of seconds")?;
                config.block_time = Some(time);
            }
            "--allow-origin" => config.allowed_origins.push(value("--allow-origin")?),
            "--allow-host" => config.allowed_hosts.push(value("--allow-host")?),
            "--max-batch" => {
                config.max_batch = value("--max-batch")?.parse().context("--max-batch")?;
            }
            "--time-budget" => {
                let secs: f64 = value("--time-budget")?.parse().context("--time-budget")?;
                config.time_budget = std::time::Duration::try_from_secs_f64(secs)
                    .ok()
                    .filter(|t| !t.is_zero())
                    .context("--time-budget: a positive number of seconds")?;
            }
            "--gas-cap" => {
                let cap: u64 = value("--gas-cap")?.parse().context("--gas-cap")?;
                if cap < 21_000 {
                    bail!("--gas-cap: at least 21000");
                }
                config.gas_cap = cap;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}\n{USAGE}"),
        }
    }
    config.addr = SocketAddr::new(host, port);
    Ok(config)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = parse(&args)?;
    let chain_id = config.chain_id;
    let config_block_time = config.block_time;
    let node = labelmint_node::start(config).await?;
    match config_block_time {
        Some(t) => println!("labelmint-devnet: Stylus chain {chain_id}, instant mining, plus an empty block every {t:?}"),
        None => println!("labelmint-devnet: Stylus chain {chain_id}, instant mining"),
    }
    println!();
    println!("Available accounts (10,000 ETH each)");
    for (i, a) in node.accounts.iter().enumerate() {
        println!("({i}) {} ", a.address);
    }
    println!();
    println!("Private keys");
    for (i, a) in node.accounts.iter().enumerate() {
        println!("({i}) {}", a.key);
    }
    println!();
    println!("Listening on {} and {}", node.http_url(), node.ws_url());
    tokio::select! {
        () = node.stopped() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}
