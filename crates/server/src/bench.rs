//! `labelmint bench-server`: many annotators submitting signed batches to
//! a `serve --dev` stack on loopback for a fixed time. Reports accepted
//! submissions per second, p50/p99 latency of the accept (`202`), p50/p99
//! from accept to mined, and how many accepted submissions were lost or
//! relayed twice (both must be 0). A benchmark, not a test: nothing here
//! asserts a speed.

use std::{
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_primitives::{eip191_hash_message, Address, Bytes, B256, U256};
use alloy_sol_types::SolEvent;
use anyhow::{anyhow, bail, Context, Result};
use labelmint_client::{
    market::{self, batch_digest, IMarket, SubmitBatch},
    sign_digest,
};
use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::{config::Rate, dev, Config, Server};

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Concurrent annotators.
    pub annotators: usize,
    /// Seconds of submitting.
    pub secs: u64,
    /// Tasks per signed batch.
    pub batch: usize,
    /// Database URL (default: a SQLite file in a temporary folder).
    pub database: Option<String>,
}

/// What was measured.
#[derive(Debug, Clone)]
pub struct BenchReport {
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// Annotators.
    pub annotators: usize,
    /// Seconds of submitting.
    pub secs: f64,
    /// Submissions accepted (202).
    pub accepted: usize,
    /// Accepted per second.
    pub accepted_per_sec: f64,
    /// Accept latency p50, ms.
    pub accept_p50_ms: f64,
    /// Accept latency p99, ms.
    pub accept_p99_ms: f64,
    /// Accept → mined p50, ms.
    pub mined_p50_ms: f64,
    /// Accept → mined p99, ms.
    pub mined_p99_ms: f64,
    /// Accepted but never mined.
    pub lost: usize,
    /// Batches on chain beyond one per accepted submission.
    pub duplicated: usize,
    /// Requests refused (not 202).
    pub refused: usize,
}

impl BenchReport {
    /// A Markdown table row.
    pub fn row(&self) -> String {
        format!(
            "| {} | {} | {:.0} s | {} | {:.1} | {:.1} / {:.1} | {:.0} / {:.0} | {} | {} |",
            self.backend,
            self.annotators,
            self.secs,
            self.accepted,
            self.accepted_per_sec,
            self.accept_p50_ms,
            self.accept_p99_ms,
            self.mined_p50_ms,
            self.mined_p99_ms,
            self.lost,
            self.duplicated
        )
    }

    /// The table header.
    pub fn header() -> &'static str {
        "| database | annotators | time | accepted | accepted/s | accept p50 / p99 (ms) | accept→mined p50 / p99 (ms) | lost | duplicated |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn post(
    http: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: &Value,
) -> Result<(u16, Value)> {
    let mut req = http.post(url).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await?;
    let st = resp.status().as_u16();
    Ok((st, resp.json().await.unwrap_or(Value::Null)))
}

async fn sign_in(
    http: &reqwest::Client,
    base: &str,
    key: B256,
    address: Address,
) -> Result<String> {
    let v: Value = http
        .get(format!("{base}/api/auth/nonce?address={address}"))
        .send()
        .await?
        .json()
        .await?;
    let message = v["message"]
        .as_str()
        .ok_or_else(|| anyhow!("no SIWE message: {v}"))?;
    let sig = sign_digest(&key, eip191_hash_message(message))?;
    let (st, v) = post(
        http,
        format!("{base}/api/auth/verify"),
        None,
        &json!({"message": message, "signature": sig.to_string()}),
    )
    .await?;
    if st != 200 {
        bail!("sign-in failed: {v}");
    }
    Ok(v["token"].as_str().unwrap_or_default().to_string())
}

/// Runs the benchmark; `artifacts` is `target/stylus`.
#[allow(clippy::too_many_lines, clippy::cast_precision_loss)]
pub async fn run(opts: &BenchOptions, artifacts: &Path) -> Result<BenchReport> {
    let dir = std::env::temp_dir().join(format!("labelmint-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let chain = dev::start_chain(artifacts, &dir.join("deployments")).await?;
    let database = match opts.database.as_deref() {
        Some(url) if url.starts_with("postgres") => fresh_postgres(url).await?,
        Some(url) => url.to_string(),
        None => format!("sqlite://{}", dir.join("bench.db").display()),
    };
    let mut config = Config::new(
        chain.rpc_url.clone(),
        chain.contracts.clone(),
        database,
        dir.join("store"),
    )
    .listening_on(([127, 0, 0, 1], 0).into());
    config.relayer_key = chain.relayer_key();
    config.poll_interval = Duration::from_millis(20);
    config.ip_rate = Rate {
        per_sec: 1e9,
        burst: 1e9,
    };
    config.address_rate = Rate {
        per_sec: 1e9,
        burst: 1e9,
    };
    let mut server = Server::start(config).await?;
    let backend = format!("{:?}", server.state.db.backend).to_lowercase();
    let base = server.url();
    let market = chain.contracts.market;
    let chain_id = server.state.rpc.chain_id;

    // One categorical job with a private range of tasks per annotator.
    let per = 64usize;
    let tasks = u32::try_from(opts.annotators * per)?;
    let now = server.state.rpc.now().await?;
    let creator = chain.wallet(1)?;
    let receipt = creator
        .send(
            market,
            &IMarket::createJobCall {
                dataRoot: B256::repeat_byte(0xbe),
                metadataHash: B256::repeat_byte(0x11),
                token: Address::ZERO,
                rewardPerTask: 1,
                taskCount: tasks,
                schema: market::SCHEMA_CATEGORICAL,
                numClasses: 2,
                claimDuration: 0,
                submitDeadline: now + 24 * 3600,
                reviewWindow: 3600,
                maxHeld: 256,
                arbiterTerms: market::DEFAULT_ETH_TERMS,
            },
            U256::from(tasks),
        )
        .await?;
    let job = receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| {
            IMarket::JobCreated::decode_log_data(&l.inner.data)
                .ok()
                .map(|e| e.jobId)
        })
        .ok_or_else(|| anyhow!("no JobCreated"))?;
    let job_u64 = u64::try_from(job)?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(opts.annotators)
        .build()?;
    for _ in 0..600 {
        let st = http
            .get(format!("{base}/api/jobs/{job}"))
            .send()
            .await?
            .status();
        if st.is_success() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Annotators sign in.
    let mut people = Vec::new();
    for i in 0..opts.annotators {
        let key = B256::random();
        let address = labelmint_devnet_address(&key)?;
        let token = sign_in(&http, &base, key, address).await?;
        people.push((i, key, address, token));
    }
    let deadline = now + 23 * 3600;
    let accepted: Arc<Mutex<Vec<(i64, f64)>>> = Arc::new(Mutex::new(Vec::new()));
    let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let stop_at = started + Duration::from_secs(opts.secs);
    let mut handles = Vec::new();
    for (i, key, address, token) in people {
        let http = http.clone();
        let base = base.clone();
        let accepted = accepted.clone();
        let refused = refused.clone();
        let batch = opts.batch.clamp(1, per);
        handles.push(tokio::spawn(async move {
            let mut next = 0usize;
            while Instant::now() < stop_at && next + batch <= per {
                let ids: Vec<u32> = (next..next + batch).map(|t| u32::try_from(i * per + t).unwrap_or(0)).collect();
                next += batch;
                let nonce = U256::from(next);
                let payload = Bytes::from(vec![1u8; ids.len()]);
                let b = SubmitBatch {
                    annotator: address,
                    jobId: U256::from(job_u64),
                    taskIds: ids.clone(),
                    payload: payload.clone(),
                    nonce,
                    deadline: U256::from(deadline),
                };
                let Ok(sig) = sign_digest(&key, batch_digest(market, chain_id, &b)) else { continue };
                let body = json!({"job_id": job_u64, "task_ids": ids, "payload": payload.to_string(),
                    "nonce": nonce.to_string(), "deadline": deadline, "signature": sig.to_string()});
                let t0 = Instant::now();
                match post(&http, format!("{base}/api/submissions"), Some(&token), &body).await {
                    Ok((202, v)) => {
                        let ms = t0.elapsed().as_secs_f64() * 1000.0;
                        accepted.lock().await.push((v["id"].as_i64().unwrap_or(-1), ms));
                    }
                    other => {
                        if refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 3 {
                            eprintln!("refused: {other:?}");
                        }
                    }
                }
            }
        }));
    }
    for h in handles {
        let _ = h.await;
    }
    let window = started.elapsed().as_secs_f64();
    let accepted = accepted.lock().await.clone();

    // Drain: wait until every accepted submission is final (bounded).
    let pool = server.state.db.pool.clone();
    for _ in 0..12_000 {
        let open: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM submissions WHERE status IN ('queued', 'signed', 'sent')",
        )
        .fetch_one(&pool)
        .await?;
        if open == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rows: Vec<(i64, String, i64, Option<i64>)> =
        sqlx::query_as("SELECT id, status, accepted_at_ms, mined_at_ms FROM submissions")
            .fetch_all(&pool)
            .await?;
    let mined: std::collections::BTreeMap<i64, f64> = rows
        .iter()
        .filter(|r| r.1 == "mined")
        .filter_map(|r| r.3.map(|m| (r.0, (m - r.2) as f64)))
        .collect();
    let lost = accepted
        .iter()
        .filter(|(id, _)| !mined.contains_key(id))
        .count();
    // Duplicates: batches on chain for the job beyond one per accepted submission.
    let logs = server
        .state
        .rpc
        .logs(vec![market], 0, server.state.rpc.block_number().await?)
        .await?;
    let on_chain = logs
        .iter()
        .filter_map(|l| IMarket::LabelsSubmitted::decode_log_data(&l.inner.data).ok())
        .filter(|e| e.jobId == job)
        .count();
    let duplicated = on_chain.saturating_sub(accepted.len() - lost);
    let mut acc: Vec<f64> = accepted.iter().map(|x| x.1).collect();
    acc.sort_by(f64::total_cmp);
    let mut lat: Vec<f64> = accepted
        .iter()
        .filter_map(|(id, _)| mined.get(id).copied())
        .collect();
    lat.sort_by(f64::total_cmp);
    let report = BenchReport {
        backend,
        annotators: opts.annotators,
        secs: window,
        accepted: accepted.len(),
        accepted_per_sec: accepted.len() as f64 / window.max(1e-9),
        accept_p50_ms: percentile(&acc, 0.5),
        accept_p99_ms: percentile(&acc, 0.99),
        mined_p50_ms: percentile(&lat, 0.5),
        mined_p99_ms: percentile(&lat, 0.99),
        lost,
        duplicated,
        refused: refused.load(std::sync::atomic::Ordering::Relaxed),
    };
    server.stop().await;
    chain.node.stop();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(report)
}

/// A new, empty database on the PostgreSQL server `admin` names (the
/// benchmark never reuses rows of an earlier run).
async fn fresh_postgres(admin: &str) -> Result<String> {
    use sqlx::Executor;
    sqlx::any::install_default_drivers();
    let name = format!(
        "lm_bench_{}",
        alloy_primitives::hex::encode(&B256::random()[..6])
    );
    let pool = sqlx::AnyPool::connect(admin)
        .await
        .context("connecting to PostgreSQL")?;
    pool.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .context("creating the benchmark database")?;
    pool.close().await;
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    Ok(format!("{base}/{name}"))
}

fn labelmint_devnet_address(key: &B256) -> Result<Address> {
    Ok(alloy_signer_local::PrivateKeySigner::from_bytes(key)
        .context("key")?
        .address())
}
