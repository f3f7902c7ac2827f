//! How a server is configured (`labelmint serve` flags map onto this).

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use alloy_primitives::{Address, B256};
use labelmint_client::deployments::{self, Manifest};

/// Where the programs live.
#[derive(Debug, Clone, Default)]
pub struct Contracts {
    /// The AnnotationMarket.
    pub market: Address,
    /// The DatasetRegistry (zero: none).
    pub registry: Address,
    /// The RewardToken (zero: none).
    pub token: Address,
    /// The QualityHub (zero: none; indexed when present).
    pub hub: Address,
    /// The QualityCourt (zero: none; indexed when present).
    pub court: Address,
    /// The Timelock governing the others' parameters (zero: none; indexed
    /// when present, listed by `GET /api/governance`).
    pub timelock: Address,
}

impl Contracts {
    /// The addresses a deployments manifest records.
    pub fn from_manifest(m: &Manifest) -> Option<Self> {
        Some(Self {
            market: m.address(deployments::ANNOTATION_MARKET)?,
            registry: m.address(deployments::DATASET_REGISTRY).unwrap_or_default(),
            token: m.address(deployments::REWARD_TOKEN).unwrap_or_default(),
            hub: m.address(deployments::QUALITY_HUB).unwrap_or_default(),
            court: m.address(deployments::QUALITY_COURT).unwrap_or_default(),
            timelock: m.address(deployments::TIMELOCK).unwrap_or_default(),
        })
    }
}

/// Requests per second and burst of one rate limit.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    /// Sustained requests per second.
    pub per_sec: f64,
    /// Bucket size.
    pub burst: f64,
}

/// Where the relayer stops on purpose (the kill tests): it logs
/// `relayer paused at <point>` and waits forever, so a test can SIGKILL the
/// process exactly there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PausePoint {
    /// After claiming a submission, before signing and persisting its transaction.
    Claimed,
    /// After persisting the signed transaction, before broadcasting it.
    Signed,
    /// After broadcasting, before recording the receipt.
    Sent,
}

impl PausePoint {
    /// Parses `claimed`, `signed` or `sent`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "claimed" => Self::Claimed,
            "signed" => Self::Signed,
            "sent" => Self::Sent,
            _ => return None,
        })
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Claimed => "claimed",
            Self::Signed => "signed",
            Self::Sent => "sent",
        }
    }
}

/// Everything a server needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The chain's JSON-RPC URL.
    pub rpc_url: String,
    /// Where the programs live.
    pub contracts: Contracts,
    /// `sqlite://FILE` or `postgres://…`.
    pub database_url: String,
    /// The local content store (task data, batch files, packages).
    pub store_dir: PathBuf,
    /// The relayer's key (the account that pays the gas of relayed batches).
    pub relayer_key: Option<B256>,
    /// The SIWE domain (`host[:port]`) messages must name.
    pub domain: String,
    /// The SIWE URI put in messages the server prepares.
    pub uri: String,
    /// How long a session lasts.
    pub session_ttl: Duration,
    /// Oldest SIWE `issued-at` accepted.
    pub siwe_max_age: Duration,
    /// Where the indexer starts when the database is empty.
    pub start_block: u64,
    /// How often workers poll the chain and the outbox.
    pub poll_interval: Duration,
    /// Blocks the indexer re-checks for a reorg.
    pub reorg_depth: u64,
    /// How long a claimed outbox row or the indexer lease stays with a silent instance.
    pub lease: Duration,
    /// Blocks most in one `eth_getLogs`.
    pub log_range: u64,
    /// Per client IP.
    pub ip_rate: Rate,
    /// Per signed-in address (submissions and uploads).
    pub address_rate: Rate,
    /// Browser origins allowed by CORS (none by default).
    pub cors_origins: Vec<String>,
    /// Largest JSON body.
    pub json_limit: usize,
    /// Largest upload (ZIP or multipart).
    pub upload_limit: usize,
    /// `--dev`: the embedded chain with its funded dev accounts.
    pub dev: bool,
    /// Dev accounts (address, key) offered to the dev wallet (`--dev` only).
    pub dev_accounts: Vec<(Address, B256)>,
    /// Start with the relayer paused (tests resume it).
    pub relayer_paused: bool,
    /// Stop the relayer at a point (kill tests).
    pub pause_at: Option<PausePoint>,
    /// Mark the session cookie `Secure` (behind HTTPS).
    pub cookie_secure: bool,
    /// A name for this instance in leases and logs.
    pub instance: String,
    /// The 0G fine-tuning provider (broker) that buyers' fine-tuning
    /// requests go to (none: the fine-tuning endpoints answer `503 no_broker`).
    pub broker_url: Option<String>,
}

impl Config {
    /// A configuration with the defaults for `rpc_url`, `contracts`,
    /// `database_url` and `store_dir`, listening on 127.0.0.1:8080.
    pub fn new(
        rpc_url: impl Into<String>,
        contracts: Contracts,
        database_url: impl Into<String>,
        store_dir: impl Into<PathBuf>,
    ) -> Self {
        let listen: SocketAddr = ([127, 0, 0, 1], 8080).into();
        Self {
            listen,
            rpc_url: rpc_url.into(),
            contracts,
            database_url: database_url.into(),
            store_dir: store_dir.into(),
            relayer_key: None,
            domain: listen.to_string(),
            uri: format!("http://{listen}"),
            session_ttl: Duration::from_hours(24),
            siwe_max_age: Duration::from_mins(10),
            start_block: 0,
            poll_interval: Duration::from_millis(250),
            reorg_depth: 64,
            lease: Duration::from_secs(30),
            log_range: 2_000,
            ip_rate: Rate {
                per_sec: 50.0,
                burst: 200.0,
            },
            address_rate: Rate {
                per_sec: 10.0,
                burst: 40.0,
            },
            cors_origins: Vec::new(),
            json_limit: 256 * 1024,
            upload_limit: 64 * 1024 * 1024,
            dev: false,
            dev_accounts: Vec::new(),
            relayer_paused: false,
            pause_at: None,
            cookie_secure: false,
            instance: format!("{}-{}", hostname(), std::process::id()),
            broker_url: None,
        }
    }

    /// Sets the listen address and the SIWE domain and URI that go with it.
    #[must_use]
    pub fn listening_on(mut self, listen: SocketAddr) -> Self {
        self.listen = listen;
        self.domain = listen.to_string();
        self.uri = format!("http://{listen}");
        self
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "labelmint".into())
}
