//! `labelmint serve` (and the `labelmint-server` binary): flags to a
//! [`Config`], `--dev` bootstrapping, logging, running until Ctrl-C.
//!
//! The flags are a clap [`ServeArgs`] that the `labelmint` CLI flattens into
//! its `serve` subcommand; the chain endpoint, the deployments folder and the
//! store are [`Endpoints`], which `labelmint` fills from its global options
//! and `labelmint-server` ([`ServerCli`]) from its own flags.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use alloy_primitives::B256;
use anyhow::{anyhow, Context, Result};

use crate::{
    config::{Config, Contracts, PausePoint, Rate},
    dev, Server,
};

/// Examples shown under `labelmint serve --help`.
pub const EXAMPLES: &str = "Examples:
  labelmint serve --dev                                   # embedded chain, every program deployed, demo jobs (and a hub job)
  labelmint serve --dev --port 9000 --data-dir /tmp/lm    # the same on another port and folder
  labelmint serve --dev --broker https://provider.example # buyers' fine-tuning requests go to that 0G provider
  LABELMINT_RELAYER_KEY=0x… labelmint serve --rpc http://127.0.0.1:8547 \\
      --deployments deployments --database sqlite://labelmint.db
  labelmint serve --rpc URL --manifest deployments/412346.json --database postgres://user@host/db --port 0

The relayer key comes from LABELMINT_RELAYER_KEY (0x-hex); without it signed batches are accepted
into the outbox but not sent. RUST_LOG filters the logs.";

/// Where a relayer pause is injected (tests of crash recovery).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PauseAt {
    /// After a batch is claimed from the outbox.
    Claimed,
    /// After the transaction is signed.
    Signed,
    /// After the transaction is sent.
    Sent,
}

impl PauseAt {
    fn point(self) -> PausePoint {
        match self {
            Self::Claimed => PausePoint::Claimed,
            Self::Signed => PausePoint::Signed,
            Self::Sent => PausePoint::Sent,
        }
    }
}

/// The flags of `labelmint serve` (without the chain endpoint, the
/// deployments folder and the store: see [`Endpoints`]).
#[derive(Clone, Debug, Default, clap::Args)]
#[allow(clippy::struct_excessive_bools)] // one bool per command-line switch
pub struct ServeArgs {
    /// Start the embedded chain, deploy every program and seed demo jobs.
    #[arg(long)]
    pub dev: bool,
    /// With --dev: folder of the dev database, deployments and store.
    #[arg(long, value_name = "DIR", default_value = ".labelmint")]
    pub data_dir: PathBuf,
    /// The deployments manifest file (instead of --deployments DIR).
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Database URL: sqlite://FILE or postgres://… (required without --dev).
    #[arg(long, value_name = "URL", env = "LABELMINT_DATABASE")]
    pub database: Option<String>,
    /// Address to listen on.
    #[arg(long, value_name = "H", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0: any free port).
    #[arg(long, value_name = "P", default_value_t = 8080)]
    pub port: u16,
    /// SIWE domain (HOST:PORT) the sign-in messages must name.
    #[arg(long, value_name = "HOST:PORT")]
    pub domain: Option<String>,
    /// Public URL of the API (SIWE URI).
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// First block the indexer reads.
    #[arg(long, value_name = "N")]
    pub start_block: Option<u64>,
    /// Allowed CORS origin (repeatable).
    #[arg(long, value_name = "ORIGIN")]
    pub cors_origin: Vec<String>,
    /// Name of this instance (outbox leases).
    #[arg(long, value_name = "NAME")]
    pub instance: Option<String>,
    /// Outbox lease in seconds.
    #[arg(long, value_name = "N")]
    pub lease_secs: Option<u64>,
    /// Indexer poll interval in milliseconds.
    #[arg(long, value_name = "N")]
    pub poll_ms: Option<u64>,
    /// Blocks the indexer treats as reorganisable.
    #[arg(long, value_name = "N")]
    pub reorg_depth: Option<u64>,
    /// Requests per second per IP.
    #[arg(long, value_name = "N")]
    pub ip_rate: Option<f64>,
    /// Burst per IP.
    #[arg(long, value_name = "N")]
    pub ip_burst: Option<f64>,
    /// Requests per second per signed-in address.
    #[arg(long, value_name = "N")]
    pub address_rate: Option<f64>,
    /// Burst per signed-in address.
    #[arg(long, value_name = "N")]
    pub address_burst: Option<f64>,
    /// Mark the session cookie Secure (behind HTTPS).
    #[arg(long)]
    pub cookie_secure: bool,
    /// Log JSON lines instead of text.
    #[arg(long)]
    pub log_json: bool,
    /// Start with the relayer paused.
    #[arg(long)]
    pub relayer_paused: bool,
    /// Pause the relayer at this point of its first batch (crash tests).
    #[arg(long, value_enum, value_name = "POINT")]
    pub pause_relayer_at: Option<PauseAt>,
    /// The 0G fine-tuning provider (broker) buyers' fine-tuning requests go
    /// to (without it the fine-tuning endpoints answer 503 no_broker).
    #[arg(long, value_name = "URL", env = "LABELMINT_BROKER")]
    pub broker: Option<String>,
}

/// The chain endpoint, the deployments folder and the store of `serve`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct Endpoints {
    /// JSON-RPC URL of the chain (required without --dev).
    #[arg(long, value_name = "URL", env = "LABELMINT_RPC")]
    pub rpc: Option<String>,
    /// Folder of deployments/<chainId>.json manifests.
    #[arg(long, value_name = "DIR", env = "LABELMINT_DEPLOYMENTS")]
    pub deployments: Option<PathBuf>,
    /// Local content-addressed store (default .labelmint/store; with --dev DATA_DIR/store).
    #[arg(long, value_name = "DIR", env = "LABELMINT_STORE")]
    pub store: Option<PathBuf>,
}

/// `labelmint-server`: the same as `labelmint serve`.
#[derive(Debug, clap::Parser)]
#[command(name = "labelmint-server", version, about = "The labelmint API server (the same as `labelmint serve`)", after_help = EXAMPLES)]
pub struct ServerCli {
    /// Chain endpoint, deployments and store.
    #[command(flatten)]
    pub endpoints: Endpoints,
    /// Server flags.
    #[command(flatten)]
    pub serve: ServeArgs,
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
fn common(f: &ServeArgs, mut config: Config) -> Result<Config> {
    let listen: SocketAddr = format!("{}:{}", f.host, f.port)
        .parse()
        .map_err(|_| anyhow!("--host {} --port {}: not an address", f.host, f.port))?;
    config = config.listening_on(listen);
    if let Some(d) = &f.domain {
        config.domain.clone_from(d);
    }
    if let Some(u) = &f.public_url {
        config.uri.clone_from(u);
    }
    if let Some(n) = f.start_block {
        config.start_block = n;
    }
    config.cors_origins.clone_from(&f.cors_origin);
    if let Some(n) = &f.instance {
        config.instance.clone_from(n);
    }
    if let Some(n) = f.lease_secs {
        config.lease = Duration::from_secs(n.max(1));
    }
    if let Some(n) = f.poll_ms {
        config.poll_interval = Duration::from_millis(n.max(10));
    }
    if let Some(n) = f.reorg_depth {
        config.reorg_depth = n;
    }
    let rate = |per: Option<f64>, burst: Option<f64>, d: Rate| Rate {
        per_sec: per.unwrap_or(d.per_sec).max(0.001),
        burst: burst.unwrap_or(d.burst).max(1.0),
    };
    config.ip_rate = rate(f.ip_rate, f.ip_burst, config.ip_rate);
    config.address_rate = rate(f.address_rate, f.address_burst, config.address_rate);
    config.cookie_secure = f.cookie_secure;
    config.relayer_paused = f.relayer_paused;
    config.pause_at = f.pause_relayer_at.map(PauseAt::point);
    if let Some(b) = &f.broker {
        url::Url::parse(b).map_err(|e| anyhow!("--broker {b}: {e}"))?;
        config.broker_url = Some(b.clone());
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

/// `serve --dev`: the embedded chain, deployed and seeded, and a server on it.
async fn start_dev(f: &ServeArgs, ends: &Endpoints, artifacts: &Path) -> Result<Running> {
    let data = f.data_dir.clone();
    let store_dir = ends.store.clone().unwrap_or_else(|| data.join("store"));
    std::fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
    let database = if let Some(url) = &f.database {
        url.clone()
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
    let hub = dev::seed_hub(&chain, &store, &data.join("tmp")).await?;
    let mut config = Config::new(
        chain.rpc_url.clone(),
        chain.contracts.clone(),
        database,
        store_dir,
    );
    config.dev = true;
    config.dev_accounts = chain.accounts.iter().take(10).copied().collect();
    config.relayer_key = chain.relayer_key();
    let config = common(f, config)?;
    let server = Server::start(config).await?;
    crate::api::hub::record_description(
        &server.state,
        hub.creator,
        hub.data_root,
        hub.metadata_hash,
    )
    .await?;
    // Announce the API once the demo is indexed, so a page opened (or a
    // script started) on "API on" sees the demo jobs at once.
    let seeded = server.state.rpc.block_number().await?;
    let since = std::time::Instant::now();
    while u64::try_from(server.state.metrics.indexed_block.get()).unwrap_or(0) < seeded {
        if since.elapsed() > Duration::from_mins(1) {
            eprintln!("warning: the demo is not indexed after 60 s; starting anyway");
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    eprintln!(
        "labelmint serve --dev: API on {} (OpenAPI at {}/openapi.json), chain {} at {}, demo jobs {:?}, hub job {}",
        server.url(),
        server.url(),
        server.state.rpc.chain_id,
        chain.rpc_url,
        jobs.iter().map(ToString::to_string).collect::<Vec<_>>(),
        hub.job
    );
    eprintln!(
        "dev accounts (test keys of the local chain only): GET {}/api/dev/accounts",
        server.url()
    );
    Ok(Running {
        server,
        chain: Some(chain),
    })
}

/// Starts what `f` and `ends` describe (`--dev` deploys from `artifacts`).
pub async fn start(f: &ServeArgs, ends: &Endpoints, artifacts: &Path) -> Result<Running> {
    init_logging(f.log_json);
    if f.dev {
        return start_dev(f, ends, artifacts).await;
    }
    let rpc = ends.rpc.as_deref().ok_or_else(|| {
        anyhow!("--rpc URL is required without --dev (or pass --dev for the embedded chain)")
    })?;
    let database = f.database.as_deref().ok_or_else(|| {
        anyhow!("--database URL is required without --dev (sqlite://FILE or postgres://…)")
    })?;
    let manifest = if let Some(file) = &f.manifest {
        labelmint_client::deployments::load(file)?
    } else {
        let dir = ends
            .deployments
            .clone()
            .unwrap_or_else(|| PathBuf::from("deployments"));
        let probe = crate::rpc::Rpc::connect(rpc).await?;
        let path = labelmint_client::deployments::manifest_path(&dir, probe.chain_id);
        labelmint_client::deployments::load(&path)?
    };
    let contracts = Contracts::from_manifest(&manifest)
        .ok_or_else(|| anyhow!("the deployments manifest names no AnnotationMarket"))?;
    let store = ends
        .store
        .clone()
        .unwrap_or_else(|| PathBuf::from(".labelmint/store"));
    let mut config = Config::new(rpc, contracts, database, store);
    config.start_block = manifest.first_block();
    let config = common(f, config)?;
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
pub async fn serve(f: &ServeArgs, ends: &Endpoints, artifacts: &Path) -> Result<()> {
    let running = start(f, ends, artifacts).await?;
    run_until_signal(running).await
}

/// Waits for Ctrl-C (or SIGTERM), then stops what `start` started.
pub async fn run_until_signal(running: Running) -> Result<()> {
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
