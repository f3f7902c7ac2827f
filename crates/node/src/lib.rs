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

pub mod rpc;

use std::{
    net::SocketAddr,
    sync::{mpsc, Mutex},
};

use alloy_rpc_types_eth::Filter;
use jsonrpsee::{
    server::{Server, ServerHandle},
    types::ErrorObjectOwned,
    RpcModule, SubscriptionMessage,
};
use labelmint_devnet::Devnet;
use serde_json::Value;
use tokio::sync::{broadcast, oneshot};

use crate::rpc::{BlockEvent, Node, RpcError};

/// Every method the node answers (besides `eth_subscribe`).
pub const METHODS: &[&str] = &[
    "web3_clientVersion",
    "net_version",
    "net_listening",
    "eth_chainId",
    "eth_syncing",
    "eth_accounts",
    "eth_blockNumber",
    "eth_gasPrice",
    "eth_maxPriorityFeePerGas",
    "eth_blobBaseFee",
    "eth_feeHistory",
    "eth_getBalance",
    "eth_getTransactionCount",
    "eth_getCode",
    "eth_getStorageAt",
    "eth_call",
    "eth_estimateGas",
    "eth_sendRawTransaction",
    "eth_sendTransaction",
    "eth_getTransactionByHash",
    "eth_getTransactionReceipt",
    "eth_getBlockByNumber",
    "eth_getBlockByHash",
    "eth_getLogs",
    "evm_increaseTime",
    "evm_setNextBlockTimestamp",
    "evm_mine",
    "evm_snapshot",
    "evm_revert",
    "anvil_setBalance",
    "hardhat_setBalance",
];

/// How to start a node.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (port 0 picks a free one).
    pub addr: SocketAddr,
    /// Chain id.
    pub chain_id: u64,
    /// Print each method called (to stderr).
    pub log_methods: bool,
    /// Run Stylus programs without activation.
    pub auto_activate: bool,
    /// ArbOS version whose Stylus parameters the chain uses (Nitro's
    /// defaults at that version; 60 adds the same-block program cache).
    pub arbos_version: u64,
    /// Also mine an (empty) block every this many seconds, so block numbers
    /// and timestamps advance while idle. Transactions are always mined on
    /// arrival.
    pub block_time: Option<std::time::Duration>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8547)),
            chain_id: labelmint_devnet::chain::DEFAULT_CHAIN_ID,
            log_methods: false,
            auto_activate: false,
            arbos_version: labelmint_devnet::params::DEFAULT_ARBOS_VERSION,
            block_time: None,
        }
    }
}

/// What the chain thread is asked to do.
enum Work {
    /// A JSON-RPC method with its parameters.
    Call(String, Value),
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
}

impl Shared {
    async fn call(&self, method: &str, params: Value) -> Result<Value, ErrorObjectOwned> {
        if self.log_methods {
            eprintln!("{method}");
        }
        // Signature recovery is the costly part of a raw transaction: do it
        // here, on the server's threads, not on the single chain thread.
        let work = if method == "eth_sendRawTransaction" {
            match rpc::decode_raw(&params) {
                Ok((envelope, from)) => Work::Raw(Box::new(envelope), from),
                Err(e) => return Err(ErrorObjectOwned::owned(e.code, e.message, e.data)),
            }
        } else {
            Work::Call(method.to_string(), params)
        };
        let (tx, rx) = oneshot::channel();
        let sent = self
            .jobs
            .lock()
            .map_err(|_| internal("chain thread lock poisoned"))?
            .send((work, tx));
        if sent.is_err() {
            return Err(internal("chain thread stopped"));
        }
        match rx.await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(ErrorObjectOwned::owned(e.code, e.message, e.data)),
            Err(_) => Err(internal("chain thread dropped the request")),
        }
    }
}

fn internal(msg: &str) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(-32603, msg.to_string(), None::<()>)
}

/// A running node.
pub struct NodeHandle {
    /// Where it listens (HTTP and WebSocket).
    pub addr: SocketAddr,
    /// The dev accounts (address, key).
    pub accounts: Vec<labelmint_devnet::DevAccount>,
    server: ServerHandle,
}

impl NodeHandle {
    /// `http://addr`.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://addr`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.addr)
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

/// Starts the chain thread and the server.
pub async fn start(config: Config) -> anyhow::Result<NodeHandle> {
    let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
    let (events, _) = broadcast::channel::<BlockEvent>(1024);
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let chain_events = events.clone();
    let chain_id = config.chain_id;
    let auto_activate = config.auto_activate;
    let params = labelmint_devnet::params::StylusParams::for_arbos(config.arbos_version);
    std::thread::Builder::new()
        .name("labelmint-chain".into())
        .spawn(move || {
            let chain = Devnet::with_config(chain_id, params);
            chain.set_auto_activate(auto_activate);
            let _ = ready_tx.send(chain.accounts().to_vec());
            let mut node = Node::new(chain);
            while let Ok((work, reply)) = jobs_rx.recv() {
                let (result, event) = match work {
                    Work::Call(method, params) => node.dispatch(&method, &params),
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
    let accounts = ready_rx.recv()?;

    let shared = Shared {
        jobs: Mutex::new(jobs_tx),
        events,
        log_methods: config.log_methods,
    };
    let shared = std::sync::Arc::new(shared);
    if let Some(interval) = config.block_time {
        let miner = std::sync::Arc::clone(&shared);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.tick().await;
            loop {
                tick.tick().await;
                if miner
                    .call("evm_mine", Value::Array(Vec::new()))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        });
    }
    let mut module = RpcModule::from_arc(shared);
    for &name in METHODS {
        module.register_async_method(name, move |params, shared, _| async move {
            let value: Value = params
                .as_str()
                .map_or(Ok(Value::Array(Vec::new())), serde_json::from_str)
                .map_err(|e| {
                    ErrorObjectOwned::owned(-32602, format!("invalid params: {e}"), None::<()>)
                })?;
            shared.call(name, value).await
        })?;
    }
    register_subscriptions(&mut module)?;

    let server = Server::builder().build(config.addr).await?;
    let addr = server.local_addr()?;
    let handle = server.start(module);
    Ok(NodeHandle {
        addr,
        accounts,
        server: handle,
    })
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
            let filter: Option<Filter> = value
                .get(1)
                .and_then(|f| serde_json::from_value(f.clone()).ok());
            if kind != "newHeads" && kind != "logs" {
                pending
                    .reject(ErrorObjectOwned::owned(
                        -32602,
                        format!("unsupported subscription {kind}"),
                        None::<()>,
                    ))
                    .await;
                return Ok(());
            }
            let mut rx = shared.events.subscribe();
            let sink = pending.accept().await?;
            loop {
                let event = match rx.recv().await {
                    Ok(e) => e,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
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
