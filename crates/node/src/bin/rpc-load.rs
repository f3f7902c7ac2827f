//! `rpc-load [--url http://127.0.0.1:PORT] [--clients 32] [--secs 5]`
//!
//! A bounded load test of the JSON-RPC node on loopback: many concurrent
//! HTTP clients for a fixed time, each sending a mix of reads (block
//! number, balances, calls, blocks) and, for the first ten clients, signed
//! transfers from their own dev account. Reports the requests served, the
//! rate, the errors and the latency percentiles. A benchmark, not a test:
//! it never fails on speed. Without `--url` it starts a node of its own;
//! only loopback URLs are accepted.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, Signature, TxKind, B256, U256};
use anyhow::{bail, Context, Result};
use labelmint_devnet::chain::DEV_KEYS;
use serde_json::{json, Value};

const USAGE: &str = "usage: rpc-load [--url http://127.0.0.1:PORT] [--clients 32] [--secs 5]";

/// Most clients and seconds accepted (the run is bounded by design).
const MAX_CLIENTS: usize = 256;
const MAX_SECS: u64 = 60;

struct Options {
    url: Option<String>,
    clients: usize,
    secs: u64,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut o = Options {
        url: None,
        clients: 32,
        secs: 5,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .with_context(|| format!("{a} needs a value"))
        };
        match a.as_str() {
            "--url" => o.url = Some(value()?),
            "--clients" => o.clients = value()?.parse().context("--clients")?,
            "--secs" => o.secs = value()?.parse().context("--secs")?,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}\n{USAGE}"),
        }
    }
    if o.clients == 0 || o.clients > MAX_CLIENTS {
        bail!("--clients: 1 to {MAX_CLIENTS}");
    }
    if o.secs == 0 || o.secs > MAX_SECS {
        bail!("--secs: 1 to {MAX_SECS}");
    }
    if let Some(url) = &o.url {
        let host = url
            .trim_start_matches("http://")
            .split(['/', ':'])
            .next()
            .unwrap_or_default();
        if !(host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback()))
        {
            bail!("--url {url}: only loopback addresses are load-tested");
        }
    }
    Ok(o)
}

/// One JSON-RPC call; `Ok(true)` for a result, `Ok(false)` for an error
/// answer.
async fn call(client: &reqwest::Client, url: &str, method: &str, params: Value) -> Result<bool> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let answer: Value = client.post(url).json(&body).send().await?.json().await?;
    Ok(answer.get("result").is_some())
}

fn transfer(key: usize, nonce: u64, chain_id: u64) -> Result<String> {
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 0,
        max_priority_fee_per_gas: 0,
        to: TxKind::Call(Address::repeat_byte(0x42)),
        value: U256::from(1),
        access_list: alloy_eips::eip2930::AccessList::default(),
        input: Bytes::new(),
    };
    let secret: B256 = DEV_KEYS[key].parse()?;
    let signing = k256::ecdsa::SigningKey::from_slice(secret.as_slice())?;
    let (sig, recid) = signing.sign_prehash_recoverable(tx.signature_hash().as_slice())?;
    let signature = Signature::from_signature_and_parity(sig, recid.is_y_odd());
    let raw = TxEnvelope::Eip1559(tx.into_signed(signature)).encoded_2718();
    Ok(format!("0x{}", alloy_primitives::hex::encode(raw)))
}

/// The account's transaction count (0 when it cannot be read).
async fn account_nonce(http: &reqwest::Client, url: &str, who: Address) -> u64 {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_getTransactionCount", "params": [who, "latest"]});
    let got: Option<Value> = async {
        http.post(url)
            .json(&body)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()
    }
    .await;
    got.and_then(|v| {
        v["result"]
            .as_str()
            .and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok())
    })
    .unwrap_or(0)
}

/// What one client did: latencies (µs) of answered requests, failures.
#[derive(Default)]
struct Tally {
    latencies: Vec<u32>,
    errors: u64,
}

async fn client(id: usize, url: String, until: Instant, chain_id: u64) -> Tally {
    let mut tally = Tally::default();
    let Ok(http) = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
    else {
        tally.errors += 1;
        return tally;
    };
    let me = labelmint_devnet::address_of_key(
        &DEV_KEYS[id % DEV_KEYS.len()].parse().unwrap_or_default(),
    );
    let sender = id < DEV_KEYS.len();
    let mut nonce = None;
    let mut n: u64 = 0;
    while Instant::now() < until {
        n += 1;
        let (method, params) = match n % 10 {
            0 | 5 if sender => {
                let next = if let Some(v) = nonce {
                    v
                } else {
                    account_nonce(&http, &url, me).await
                };
                nonce = Some(next + 1);
                match transfer(id, next, chain_id) {
                    Ok(raw) => ("eth_sendRawTransaction", json!([raw])),
                    Err(_) => ("eth_blockNumber", json!([])),
                }
            }
            1 | 6 => ("eth_getBalance", json!([me, "latest"])),
            2 | 7 => ("eth_call", json!([{"to": me, "data": "0x"}, "latest"])),
            3 => ("eth_getBlockByNumber", json!(["latest", false])),
            _ => ("eth_blockNumber", json!([])),
        };
        let started = Instant::now();
        if let Ok(true) = call(&http, &url, method, params).await {
            let micros = started.elapsed().as_micros();
            tally
                .latencies
                .push(u32::try_from(micros).unwrap_or(u32::MAX));
        } else {
            tally.errors += 1;
            nonce = None;
        }
    }
    tally
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1_000.0
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let o = parse(&args)?;
    let mut own = None;
    let url = if let Some(u) = o.url.clone() {
        u
    } else {
        let node = labelmint_node::start(labelmint_node::Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..labelmint_node::Config::default()
        })
        .await?;
        let u = node.http_url();
        own = Some(node);
        u
    };
    let probe = reqwest::Client::new();
    let answer: Value = probe
        .post(&url)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}))
        .send()
        .await
        .with_context(|| format!("{url} is unreachable"))?
        .json()
        .await?;
    let chain_id = answer["result"]
        .as_str()
        .and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok())
        .with_context(|| format!("{url}: no chain id in {answer}"))?;
    let started = Instant::now();
    let until = started + Duration::from_secs(o.secs);
    let tasks: Vec<_> = (0..o.clients)
        .map(|id| tokio::spawn(client(id, url.clone(), until, chain_id)))
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let tally = t.await?;
        latencies.extend(tally.latencies);
        errors += tally.errors;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    #[allow(clippy::cast_precision_loss)]
    let rate = latencies.len() as f64 / elapsed;
    println!(
        "rpc-load: {} clients for {:.1} s on {url}: {} requests served ({rate:.0}/s), {errors} errors; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        o.clients,
        elapsed,
        latencies.len(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
    );
    if let Some(node) = own {
        node.stop();
    }
    Ok(())
}
