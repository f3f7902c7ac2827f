//! `labelmint serve` (and the `labelmint-server` binary): flags to a
//! [`Config`], `--dev` bootstrapping, logging, running until Ctrl-C.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use alloy_primitives::B256;
use anyhow::{anyhow, bail, Context, Result};

use crate::{
    config::{Config, Contracts, PausePoint, Rate},
    dev, Server,
};

/// Usage of `labelmint serve`.
pub const USAGE: &str = "labelmint serve --dev [--host H] [--port P] [--data-dir DIR]
       labelmint serve --rpc URL (--deployments DIR | --manifest FILE) --database URL [--store DIR] [--host H] [--port P]
         relayer key in LABELMINT_RELAYER_KEY (0x-hex; without it signed batches are accepted but not sent)
         [--domain HOST:PORT] [--public-url URL] [--start-block N] [--cors-origin ORIGIN]... [--instance NAME]
         [--lease-secs N] [--poll-ms N] [--reorg-depth N] [--ip-rate N] [--ip-burst N] [--address-rate N]
         [--address-burst N] [--cookie-secure] [--log-json] [--relayer-paused] [--pause-relayer-at claimed|signed|sent]";

/// Parsed `serve` flags.
#[derive(Debug, Default)]
struct Flags {
    values: Vec<(String, String)>,
    switches: Vec<String>,
}

impl Flags {
    fn parse(args: &[String]) -> Result<Self> {
        const SWITCHES: &[&str] = &["dev", "cookie-secure", "log-json", "relayer-paused"];
        let mut f = Self::default();
        let mut i = 0;
        while i < args.len() {
            let Some(name) = args[i].strip_prefix("--") else {
                bail!("unexpected argument {:?}\n{USAGE}", args[i]);
            };
            if SWITCHES.contains(&name) {
                f.switches.push(name.to_string());
                i += 1;
            } else {
                let v = args
                    .get(i + 1)
                    .ok_or_else(|| anyhow!("--{name} needs a value\n{USAGE}"))?;
                f.values.push((name.to_string(), v.clone()));
                i += 2;
            }
        }
        Ok(f)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.values
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn on(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }

    fn num<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>> {
        self.get(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| anyhow!("--{name} {v:?}: not a number"))
            })
            .transpose()
    }
}

/// Starts logging (`RUST_LOG` filters; `json` for JSON lines).
pub fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

fn key_from_env() -> Result<Option<B256>> {
    match std::env::var("LABELMINT_RELAYER_KEY") {
        Ok(v) if !v.trim().is_empty() => {
            Ok(Some(v.trim().parse().map_err(|_| {
                anyhow!("LABELMINT_RELAYER_KEY is not a 32-byte 0x-hex key")
            })?))
        }
        _ => Ok(None),
    }
}

/// Applies the common flags to `config`.
fn common(f: &Flags, mut config: Config) -> Result<Config> {
    let host = f.get("host").unwrap_or("127.0.0.1");
    let port: u16 = f.num("port")?.unwrap_or(8080);
    let listen: SocketAddr = format!("{host}:{port}")
        .parse()
        .map_err(|_| anyhow!("--host {host} --port {port}: not an address"))?;
    config = config.listening_on(listen);
    if let Some(d) = f.get("domain") {
        config.domain = d.to_string();
    }
    if let Some(u) = f.get("public-url") {
        config.uri = u.to_string();
    }
    if let Some(n) = f.num("start-block")? {
        config.start_block = n;
    }
    config.cors_origins = f.all("cors-origin");
    if let Some(n) = f.get("instance") {
        config.instance = n.to_string();
    }
    if let Some(n) = f.num::<u64>("lease-secs")? {
        config.lease = Duration::from_secs(n.max(1));
    }
    if let Some(n) = f.num::<u64>("poll-ms")? {
        config.poll_interval = Duration::from_millis(n.max(10));
    }
    if let Some(n) = f.num("reorg-depth")? {
        config.reorg_depth = n;
    }
    let rate = |per: Option<f64>, burst: Option<f64>, d: Rate| Rate {
        per_sec: per.unwrap_or(d.per_sec).max(0.001),
        burst: burst.unwrap_or(d.burst).max(1.0),
    };
    config.ip_rate = rate(f.num("ip-rate")?, f.num("ip-burst")?, config.ip_rate);
    config.address_rate = rate(
        f.num("address-rate")?,
        f.num("address-burst")?,
        config.address_rate,
    );
    config.cookie_secure = f.on("cookie-secure");
    config.relayer_paused = f.on("relayer-paused");
    if let Some(p) = f.get("pause-relayer-at") {
        config.pause_at = Some(
            PausePoint::parse(p)
                .ok_or_else(|| anyhow!("--pause-relayer-at claimed|signed|sent"))?,
        );
    }
    if let Some(k) = key_from_env()? {
        config.relayer_key = Some(k);
    }
    Ok(config)
}

/// What `serve` started: the server and, with `--dev`, the chain.
#[derive(Debug)]
pub struct Running {
    /// The server.
    pub server: Server,
    /// The embedded chain (`--dev`).
    pub chain: Option<dev::DevChain>,
}

/// Starts what `args` describe (`--dev` deploys from `artifacts`).
pub async fn start(args: &[String], artifacts: &Path) -> Result<Running> {
    let f = Flags::parse(args)?;
    init_logging(f.on("log-json"));
    if f.on("dev") {
        let data = PathBuf::from(f.get("data-dir").unwrap_or(".labelmint"));
        let store_dir = f
            .get("store")
            .map_or_else(|| data.join("store"), PathBuf::from);
        std::fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
        let database = if let Some(url) = f.get("database") {
            url.to_string()
        } else {
            // The embedded chain starts empty: so does its database.
            let file = data.join("dev.db");
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
            format!("sqlite://{}", file.display())
        };
        eprintln!(
            "starting the embedded chain and deploying every program from {} …",
            artifacts.display()
        );
        let chain = dev::start_chain(artifacts, &data.join("deployments")).await?;
        let store = labelmint_storage::LocalStore::open(&store_dir)?;
        let jobs = dev::seed_demo(&chain, &store, &data.join("tmp")).await?;
        let mut config = Config::new(
            chain.rpc_url.clone(),
            chain.contracts.clone(),
            database,
            store_dir,
        );
        config.dev = true;
        config.dev_accounts = chain.accounts.iter().take(10).copied().collect();
        config.relayer_key = chain.relayer_key();
        let config = common(&f, config)?;
        let server = Server::start(config).await?;
        eprintln!(
            "labelmint serve --dev: API on {} (OpenAPI at {}/openapi.json), chain {} at {}, demo jobs {:?}",
            server.url(),
            server.url(),
            server.state.rpc.chain_id,
            chain.rpc_url,
            jobs.iter().map(ToString::to_string).collect::<Vec<_>>()
        );
        eprintln!(
            "dev accounts (test keys of the local chain only): GET {}/api/dev/accounts",
            server.url()
        );
        return Ok(Running {
            server,
            chain: Some(chain),
        });
    }
    let rpc = f
        .get("rpc")
        .ok_or_else(|| anyhow!("--rpc URL is required without --dev\n{USAGE}"))?;
    let database = f.get("database").ok_or_else(|| {
        anyhow!("--database URL is required without --dev (sqlite://FILE or postgres://…)\n{USAGE}")
    })?;
    let manifest = if let Some(file) = f.get("manifest") {
        labelmint_client::deployments::load(Path::new(file))?
    } else {
        let dir = f.get("deployments").unwrap_or("deployments");
        let probe = crate::rpc::Rpc::connect(rpc).await?;
        let path = labelmint_client::deployments::manifest_path(Path::new(dir), probe.chain_id);
        labelmint_client::deployments::load(&path)?
    };
    let contracts = Contracts::from_manifest(&manifest)
        .ok_or_else(|| anyhow!("the deployments manifest names no AnnotationMarket"))?;
    let store = f.get("store").unwrap_or(".labelmint/store");
    let mut config = Config::new(rpc, contracts, database, store);
    config.start_block = manifest.first_block();
    let config = common(&f, config)?;
    if config.relayer_key.is_none() {
        eprintln!("warning: LABELMINT_RELAYER_KEY is not set: signed batches are accepted into the outbox but not sent");
    }
    let server = Server::start(config).await?;
    eprintln!(
        "labelmint serve: API on {} (OpenAPI at {}/openapi.json)",
        server.url(),
        server.url()
    );
    Ok(Running {
        server,
        chain: None,
    })
}

/// Runs `serve` until Ctrl-C (or SIGTERM).
pub async fn serve(args: &[String], artifacts: &Path) -> Result<()> {
    let running = start(args, artifacts).await?;
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await?;
    eprintln!("stopping");
    let mut running = running;
    running.server.stop().await;
    if let Some(chain) = running.chain {
        chain.node.stop();
    }
    Ok(())
}

/// `target/stylus` of this workspace (or `$LABELMINT_ARTIFACTS`).
pub fn default_artifacts() -> PathBuf {
    std::env::var_os("LABELMINT_ARTIFACTS").map_or_else(
        || {
            let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
                || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
                PathBuf::from,
            );
            target.join("stylus")
        },
        PathBuf::from,
    )
}
