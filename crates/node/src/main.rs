//! `labelmint-node [--host H] [--port P] [--chain-id N] [--arbos-version V] [--log-methods]
//! [--trace-traps] [--auto-activate] [--deployments PATH] [--load-state FILE] [--dump-state FILE]
//! [--state FILE] [--block-time SECS] [--allow-origin ORIGIN]… [--allow-host HOST]… [--max-batch N]
//! [--gas-cap GAS] [--time-budget SECS]`
//!
//! Serves the embedded Stylus chain over JSON-RPC (HTTP and WebSocket on the
//! same port, 127.0.0.1:8547 by default) and prints its dev accounts and keys
//! and the deployed labelmint contracts as anvil does. Blocks are mined
//! instantly, one per transaction; each transaction is logged on one line.

use std::{
    net::{IpAddr, SocketAddr},
    path::{Path, PathBuf},
};

use anyhow::{bail, Context, Result};
use labelmint_node::{labels::Labels, state::StateDump, Config};
use serde_json::json;

const USAGE: &str =
    "usage: labelmint-node [--host 127.0.0.1] [--port 8547] [--chain-id 412346] [--arbos-version 51]
                      [--log-methods] [--trace-traps] [--auto-activate] [--deployments deployments]
                      [--load-state FILE] [--dump-state FILE] [--state FILE] [--block-time SECS]
                      [--allow-origin ORIGIN|*]... [--allow-host HOST|*]... [--max-batch 100]
                      [--gas-cap 32000000] [--time-budget SECS]

  --log-methods        log the name of every JSON-RPC method called
  --trace-traps        also log why Stylus programs trapped in eth_call / eth_estimateGas
                       (transaction lines always show it; or set LABELMINT_TRACE_TRAPS=1)
  --deployments PATH   deployments manifest naming the labelmint contracts in the log and the
                       banner: a folder holding <chainId>.json, or a file [default: deployments,
                       or LABELMINT_DEPLOYMENTS]; re-read when it changes
  --load-state FILE    start from a state written by --dump-state or anvil_dumpState
  --dump-state FILE    write the chain state to FILE on exit (Ctrl-C, SIGTERM)
  --state FILE         both: load FILE if it exists, dump to it on exit
  RUST_LOG             log filter [default: labelmint_node=info,warn]; RUST_LOG=warn
                       silences the per-transaction lines

labelmint-node is the JSON-RPC node (cargo run --release -p labelmint-node). The package
labelmint-devnet is the chain library; its binaries devnet-bench and devnet-figures are
benchmarks, not the node. The labelmint CLI talks to this node (labelmint --help).";

/// The options besides the node's [`Config`].
struct Options {
    config: Config,
    load_state: Option<PathBuf>,
    dump_state: Option<PathBuf>,
}

#[allow(clippy::too_many_lines)]
fn parse(args: &[String]) -> Result<Options> {
    let mut config = Config::default();
    let mut host: IpAddr = config.addr.ip();
    let mut port = config.addr.port();
    let mut deployments: Option<PathBuf> =
        std::env::var_os("LABELMINT_DEPLOYMENTS").map(PathBuf::from);
    let mut load_state = None;
    let mut dump_state = None;
    config.trace_traps =
        std::env::var("LABELMINT_TRACE_TRAPS").is_ok_and(|v| !v.is_empty() && v != "0");
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
            "--trace-traps" => config.trace_traps = true,
            "--auto-activate" => config.auto_activate = true,
            "--deployments" => deployments = Some(value("--deployments")?.into()),
            "--load-state" => load_state = Some(PathBuf::from(value("--load-state")?)),
            "--dump-state" => dump_state = Some(PathBuf::from(value("--dump-state")?)),
            "--state" => {
                let file = PathBuf::from(value("--state")?);
                if file.exists() {
                    load_state = Some(file.clone());
                }
                dump_state = Some(file);
            }
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
    config.deployments = Some(deployments.unwrap_or_else(|| PathBuf::from("deployments")));
    Ok(Options {
        config,
        load_state,
        dump_state,
    })
}

/// Reads a state file written by `--dump-state`.
fn read_state(path: &Path) -> Result<StateDump> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--load-state {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "--load-state {}: not a labelmint-node state dump",
            path.display()
        )
    })
}

/// Writes `state` to `path` (through a temporary file, so an interrupted
/// write leaves the previous dump whole).
fn write_state(path: &Path, state: &StateDump) -> Result<()> {
    let text = serde_json::to_string(state)?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// A future that resolves when the process is asked to stop (Ctrl-C, or
/// SIGTERM on Unix). The handlers are installed when this is called, so a
/// signal that arrives before the future is polled is not lost.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt =
            signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
        let mut terminate =
            signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// The banner's list of deployed labelmint contracts.
async fn print_deployments(node: &labelmint_node::NodeHandle, path: &Path, chain_id: u64) {
    let labels = Labels::at(path, chain_id);
    let file = labels
        .path()
        .map_or_else(|| path.display().to_string(), |p| p.display().to_string());
    let contracts = labels.contracts();
    if contracts.is_empty() {
        println!("No labelmint deployments at {file} (contracts are named in the log once a deployment writes it)");
        return;
    }
    println!("Deployed labelmint contracts ({file})");
    let width = contracts.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, address) in contracts {
        let code = node
            .request("eth_getCode", &json!([address, "latest"]))
            .await
            .ok();
        let missing = if code.as_ref().and_then(|c| c.as_str()) == Some("0x") {
            "  (no code on this chain)"
        } else {
            ""
        };
        println!("  {name:<width$}  {address}{missing}");
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Options {
        mut config,
        load_state,
        dump_state,
    } = parse(&args)?;
    labelmint_node::logging::init();
    let shutdown = shutdown_signal()?;
    if let Some(path) = &load_state {
        config.load_state = Some(read_state(path)?);
    }
    let chain_id = config.chain_id;
    let config_block_time = config.block_time;
    let deployments = config.deployments.clone();
    let node = labelmint_node::start(config).await?;
    match config_block_time {
        Some(t) => println!("labelmint-node: Stylus chain {chain_id}, instant mining, plus an empty block every {t:?}"),
        None => println!("labelmint-node: Stylus chain {chain_id}, instant mining"),
    }
    if let Some(path) = &load_state {
        let head = node
            .request("eth_blockNumber", &json!([]))
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        println!("State loaded from {} (head block {head})", path.display());
    }
    println!();
    println!("Available accounts (10,000 ETH each at genesis)");
    for (i, a) in node.accounts.iter().enumerate() {
        println!("({i}) {} ", a.address);
    }
    println!();
    println!("Private keys");
    for (i, a) in node.accounts.iter().enumerate() {
        println!("({i}) {}", a.key);
    }
    println!();
    if let Some(path) = &deployments {
        print_deployments(&node, path, chain_id).await;
        println!();
    }
    if let Some(path) = &dump_state {
        println!("The state is written to {} on exit", path.display());
    }
    println!("Listening on {} and {}", node.http_url(), node.ws_url());
    tokio::select! {
        () = node.closed() => {}
        () = shutdown => {}
    }
    if let Some(path) = &dump_state {
        let state = node
            .dump_state()
            .await
            .map_err(|e| anyhow::anyhow!("dumping the state: {}", e.message))?;
        write_state(path, &state)?;
        tracing::info!(
            target: "labelmint_node::state",
            "state written to {} (head block {}, {} accounts)",
            path.display(),
            state.block_number,
            state.accounts.len()
        );
    }
    node.stop();
    Ok(())
}
