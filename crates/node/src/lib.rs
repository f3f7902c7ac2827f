//! # labelmint-node
//!
//! The embedded Stylus chain ([`labelmint_devnet`]) served over Ethereum
//! JSON-RPC on HTTP and WebSocket (one port), so that every EVM tool (alloy,
//! ethers, viem, web3.py, cast, cargo-stylus) can use it.
//!
//! The chain is not `Send` (its WebAssembly engine state lives on one thread),
//! so it runs on a dedicated thread; the async server forwards each request
//! there and awaits the answer. Blocks are mined instantly, one per
//! transaction. Subscribers to `newHeads` and `logs` are fed after each block.
//!
//! Every method is declared once in [`request`] as a typed [`Request`];
//! each transaction is logged on one line through `tracing` ([`logging`],
//! contract names from [`labels`]); the whole state can be dumped and
//! loaded as JSON ([`state`]). The binary `labelmint-node` (`src/main.rs`)
//! adds the command line, the banner and `--dump-state` on exit.

pub mod access;
pub mod labels;
pub mod logging;
pub mod request;
pub mod rpc;
pub mod state;

use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{
        atomic::{AtomicUsize, Ordering},
        mpsc, Arc, Mutex,
    },
};

use alloy_rpc_types_eth::Filter;
use jsonrpsee::{
    server::{BatchRequestConfig, Server, ServerConfig, ServerHandle},
    types::ErrorObjectOwned,
    Extensions, RpcModule, SubscriptionMessage,
};
use labelmint_devnet::Devnet;
use serde_json::Value;
use tokio::sync::{broadcast, oneshot};

use crate::{
    access::{AccessLayer, Allowlist, LocalOrigin},
    labels::Labels,
    rpc::{BlockEvent, Node, RpcError},
    state::StateDump,
};

/// Most calls in one JSON-RPC batch (ethers' default batch size; geth allows
/// 1,000): a larger batch is refused whole.
pub const MAX_BATCH: u32 = 100;
/// Largest request body, in bytes (jsonrpsee's default, set explicitly).
pub const MAX_REQUEST_BODY: u32 = 10 * 1024 * 1024;
/// Largest response body, in bytes (geth's 25 MB default is larger; a
/// response over this is replaced by an error).
pub const MAX_RESPONSE_BODY: u32 = 10 * 1024 * 1024;
/// Most simultaneous connections (HTTP and WebSocket).
pub const MAX_CONNECTIONS: u32 = 100;
/// Most subscriptions on one WebSocket connection.
pub const MAX_SUBSCRIPTIONS_PER_CONNECTION: u32 = 64;

pub use request::{Request, METHODS};

/// How to start a node.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (port 0 picks a free one).
    pub addr: SocketAddr,
    /// Chain id.
    pub chain_id: u64,
    /// Log each method called (one line with its name, target
    /// `labelmint_node::rpc`).
    pub log_methods: bool,
    /// Also log the trap reasons of Stylus programs in `eth_call` and
    /// `eth_estimateGas` (transaction lines always show theirs).
    pub trace_traps: bool,
    /// Deployments manifest to name labelmint contracts in the log: a file,
    /// or a folder holding `<chainId>.json`; re-read when it changes.
    pub deployments: Option<PathBuf>,
    /// Start from this state (what `--dump-state` / `anvil_dumpState`
    /// wrote) instead of genesis.
    pub load_state: Option<StateDump>,
    /// Run Stylus programs without activation.
    pub auto_activate: bool,
    /// ArbOS version whose Stylus parameters the chain uses (Nitro's
    /// defaults at that version; 60 adds the same-block program cache).
    pub arbos_version: u64,
    /// Also mine an (empty) block every this many seconds, so block numbers
    /// and timestamps advance while idle. Transactions are always mined on
    /// arrival.
    pub block_time: Option<std::time::Duration>,
    /// Extra browser origins allowed besides loopback ones (`http://localhost:3000`
    /// style, exact match; `*` allows every origin). Requests without an
    /// `Origin` header (command-line tools) are always allowed.
    pub allowed_origins: Vec<String>,
    /// Extra `Host` header values allowed besides loopback names and the
    /// address the node listens on (`*` allows every host). Refusing other
    /// hosts defeats DNS rebinding.
    pub allowed_hosts: Vec<String>,
    /// Most calls in one batch.
    pub max_batch: u32,
    /// Per-transaction gas cap (Arbitrum's 32 M by default).
    pub gas_cap: u64,
    /// Wall-clock budget of one execution (transaction, call, estimate).
    pub time_budget: std::time::Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8547)),
            chain_id: labelmint_devnet::chain::DEFAULT_CHAIN_ID,
            log_methods: false,
            trace_traps: false,
            deployments: None,
            load_state: None,
            auto_activate: false,
            arbos_version: labelmint_devnet::params::DEFAULT_ARBOS_VERSION,
            block_time: None,
            allowed_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            max_batch: MAX_BATCH,
            gas_cap: labelmint_devnet::chain::MAX_TX_GAS,
            time_budget: labelmint_devnet::budget::DEFAULT_TIME_BUDGET,
        }
    }
}

/// What the chain thread is asked to do.
enum Work {
    /// A typed JSON-RPC request.
    Request(Box<Request>),
    /// A raw transaction already decoded and recovered by the server.
    Raw(Box<alloy_consensus::TxEnvelope>, alloy_primitives::Address),
}

/// A request for the chain thread.
type Job = (Work, oneshot::Sender<Result<Value, RpcError>>);

/// What the RPC handlers share.
struct Shared {
    jobs: Mutex<mpsc::Sender<Job>>,
    events: broadcast::Sender<BlockEvent>,
    log_methods: bool,
    /// Subscriptions currently running.
    subscriptions: Arc<AtomicUsize>,
}

impl Shared {
    /// Parses `method` and `params` (on the server's threads) and answers
    /// them on the chain thread.
    async fn call(&self, method: &str, params: &Value) -> Result<Value, ErrorObjectOwned> {
        if self.log_methods {
            tracing::info!(target: "labelmint_node::rpc", "{method}");
        }
        let request = Request::parse(method, params).map_err(error_object)?;
        self.request(request).await.map_err(error_object)
    }

    /// Answers a typed request on the chain thread.
    async fn request(&self, request: Request) -> Result<Value, RpcError> {
        // Signature recovery is the costly part of a raw transaction: do it
        // here, on the server's threads, not on the single chain thread.
        let work = match request {
            Request::SendRawTransaction { raw } => {
                let (envelope, from) = rpc::decode_raw(&raw)?;
                Work::Raw(Box::new(envelope), from)
            }
            other => Work::Request(Box::new(other)),
        };
        let (tx, rx) = oneshot::channel();
        let sent = self
            .jobs
            .lock()
            .map_err(|_| RpcError::server("chain thread lock poisoned"))?
            .send((work, tx));
        if sent.is_err() {
            return Err(internal("chain thread stopped"));
        }
        rx.await
            .unwrap_or_else(|_| Err(internal("chain thread dropped the request")))
    }
}

fn error_object(e: RpcError) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(e.code, e.message, e.data)
}

fn internal(msg: &str) -> RpcError {
    RpcError {
        code: -32603,
        message: msg.to_string(),
        data: None,
    }
}

/// A running node.
pub struct NodeHandle {
    /// Where it listens (HTTP and WebSocket).
    pub addr: SocketAddr,
    /// The dev accounts (address, key).
    pub accounts: Vec<labelmint_devnet::DevAccount>,
    server: ServerHandle,
    subscriptions: Arc<AtomicUsize>,
    shared: Arc<Shared>,
}

impl NodeHandle {
    /// Answers a JSON-RPC call as the server would (without the access
    /// checks of HTTP): `-32601` / `-32602` errors for unknown methods and
    /// bad params.
    pub async fn request(&self, method: &str, params: &Value) -> Result<Value, RpcError> {
        let request = Request::parse(method, params)?;
        self.shared.request(request).await
    }

    /// The whole chain state (what `--dump-state` writes).
    pub async fn dump_state(&self) -> Result<StateDump, RpcError> {
        let value = self.shared.request(Request::DumpState {}).await?;
        serde_json::from_value(value).map_err(|e| RpcError::server(format!("state dump: {e}")))
    }

    /// Waits until the server stops, without giving up the handle.
    pub async fn closed(&self) {
        self.server.clone().stopped().await;
    }

    /// `http://addr`.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://addr`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// Subscriptions currently running (each ends when its connection
    /// closes or it is unsubscribed).
    pub fn active_subscriptions(&self) -> usize {
        self.subscriptions.load(Ordering::SeqCst)
    }

    /// Stops the server.
    pub fn stop(self) {
        let _ = self.server.stop();
    }

    /// Waits until the server stops.
    pub async fn stopped(self) {
        self.server.stopped().await;
    }
}

/// Starts the thread that owns the chain: it runs each job of `jobs_rx` in
/// order and publishes block events; returns the dev accounts.
fn spawn_chain(
    config: &Config,
    jobs_rx: mpsc::Receiver<Job>,
    chain_events: broadcast::Sender<BlockEvent>,
) -> anyhow::Result<Vec<labelmint_devnet::DevAccount>> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let chain_id = config.chain_id;
    let auto_activate = config.auto_activate;
    let params = labelmint_devnet::params::StylusParams::for_arbos(config.arbos_version);
    let gas_cap = config.gas_cap;
    let time_budget = config.time_budget;
    let trace_traps = config.trace_traps;
    let labels = config
        .deployments
        .as_deref()
        .map_or_else(Labels::none, |p| Labels::at(p, chain_id));
    let state = config.load_state.clone();
    std::thread::Builder::new()
        .name("labelmint-chain".into())
        // Nested Stylus programs recurse on this stack, up to
        // MAX_STYLUS_DEPTH: give it the size that bound was tested with.
        .stack_size(labelmint_devnet::chain::CHAIN_STACK_SIZE)
        .spawn(move || {
            let mut chain = Devnet::with_config(chain_id, params);
            chain.set_auto_activate(auto_activate);
            chain.set_gas_cap(gas_cap);
            chain.set_time_budget(time_budget);
            let accounts = chain.accounts().to_vec();
            let mut node = Node::new(chain).with_labels(labels);
            node.set_trace_traps(trace_traps);
            if let Some(state) = state {
                if let Err(e) = node.load_state(&state) {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            }
            let _ = ready_tx.send(Ok(accounts));
            while let Ok((work, reply)) = jobs_rx.recv() {
                let (result, event) = match work {
                    Work::Request(request) => node.handle(*request),
                    Work::Raw(envelope, from) => node.send_decoded(*envelope, from),
                };
                let _ = reply.send(result);
                // Build the block event only when someone listens.
                if let Some(n) = event {
                    if chain_events.receiver_count() > 0 {
                        let _ = chain_events.send(node.event_for(n));
                    }
                }
            }
        })?;
    ready_rx
        .recv()?
        .map_err(|e| anyhow::anyhow!("loading the state: {e}"))
}

/// Starts the chain thread and the server.
pub async fn start(config: Config) -> anyhow::Result<NodeHandle> {
    let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
    let (events, _) = broadcast::channel::<BlockEvent>(1024);
    let accounts = spawn_chain(&config, jobs_rx, events.clone())?;

    let subscriptions = Arc::new(AtomicUsize::new(0));
    let shared = Shared {
        jobs: Mutex::new(jobs_tx),
        events,
        log_methods: config.log_methods,
        subscriptions: Arc::clone(&subscriptions),
    };
    let shared = Arc::new(shared);
    if let Some(interval) = config.block_time {
        let miner = Arc::clone(&shared);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.tick().await;
            loop {
                tick.tick().await;
                if miner
                    .request(Request::Mine { timestamp: None })
                    .await
                    .is_err()
                {
                    break;
                }
            }
        });
    }
    let mut module = RpcModule::from_arc(Arc::clone(&shared));
    for &name in METHODS {
        module.register_async_method(name, move |params, shared, ext: Extensions| async move {
            let value: Value = params
                .as_str()
                .map_or(Ok(Value::Array(Vec::new())), serde_json::from_str)
                .map_err(|e| {
                    ErrorObjectOwned::owned(-32602, format!("invalid params: {e}"), None::<()>)
                })?;
            // The dev keys sign for whoever asks: only callers on this
            // machine (no browser origin, or a loopback one) may ask.
            if name == "eth_sendTransaction" && !ext.get::<LocalOrigin>().is_some_and(|l| l.0) {
                return Err(ErrorObjectOwned::owned(
                    -32000,
                    "eth_sendTransaction with dev keys is only served to local origins; sign the transaction and use eth_sendRawTransaction",
                    None::<()>,
                ));
            }
            shared.call(name, &value).await
        })?;
    }
    register_subscriptions(&mut module)?;

    let allowlist = Allowlist::new(config.addr, &config.allowed_hosts, &config.allowed_origins);
    let server_config = ServerConfig::builder()
        .max_request_body_size(MAX_REQUEST_BODY)
        .max_response_body_size(MAX_RESPONSE_BODY)
        .max_connections(MAX_CONNECTIONS)
        .max_subscriptions_per_connection(MAX_SUBSCRIPTIONS_PER_CONNECTION)
        .set_batch_request_config(BatchRequestConfig::Limit(config.max_batch))
        .build();
    let server = Server::builder()
        .set_config(server_config)
        .set_http_middleware(tower::ServiceBuilder::new().layer(AccessLayer::new(allowlist)))
        .build(config.addr)
        .await?;
    let addr = server.local_addr()?;
    let handle = server.start(module);
    Ok(NodeHandle {
        addr,
        accounts,
        server: handle,
        subscriptions,
        shared,
    })
}

/// Decrements the running-subscription count when a subscription task ends,
/// however it ends.
struct Running(Arc<AtomicUsize>);

impl Running {
    fn start(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(counter))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// `eth_subscribe` for `newHeads` and `logs` (with an optional filter).
fn register_subscriptions(module: &mut RpcModule<Shared>) -> anyhow::Result<()> {
    module.register_subscription(
        "eth_subscribe",
        "eth_subscription",
        "eth_unsubscribe",
        |params, pending, shared, _| async move {
            let value: Value = params
                .as_str()
                .map_or(Ok(Value::Array(Vec::new())), serde_json::from_str)
                .unwrap_or(Value::Null);
            let kind = value
                .get(0)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let reject = |message: String| ErrorObjectOwned::owned(-32602, message, None::<()>);
            if kind != "newHeads" && kind != "logs" {
                pending
                    .reject(reject(format!("unsupported subscription {kind}")))
                    .await;
                return Ok(());
            }
            // A filter that does not parse is an error, never "every log".
            let filter: Option<Filter> = match value.get(1) {
                None | Some(Value::Null) => None,
                Some(f) if kind == "logs" => match serde_json::from_value(f.clone()) {
                    Ok(f) => Some(f),
                    Err(e) => {
                        pending
                            .reject(reject(format!("invalid log filter: {e}")))
                            .await;
                        return Ok(());
                    }
                },
                Some(_) => {
                    pending
                        .reject(reject("newHeads takes no filter".into()))
                        .await;
                    return Ok(());
                }
            };
            let mut rx = shared.events.subscribe();
            let _running = Running::start(&shared.subscriptions);
            let sink = pending.accept().await?;
            loop {
                // End with the connection (or an unsubscribe), not only at
                // the next block.
                let event = tokio::select! {
                    () = sink.closed() => break,
                    event = rx.recv() => match event {
                        Ok(e) => e,
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => break,
                    },
                };
                let messages: Vec<Value> = if kind == "newHeads" {
                    vec![event.header]
                } else {
                    event
                        .logs
                        .iter()
                        .filter(|l| filter.as_ref().is_none_or(|f| Node::log_matches(f, l)))
                        .map(|l| serde_json::to_value(l).unwrap_or(Value::Null))
                        .collect()
                };
                for m in messages {
                    let raw = serde_json::value::to_raw_value(&m)?;
                    if sink.send(SubscriptionMessage::from(raw)).await.is_err() {
                        return Ok(());
                    }
                }
            }
            Ok(())
        },
    )?;
    Ok(())
}
