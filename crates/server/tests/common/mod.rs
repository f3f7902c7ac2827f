//! The test environment: the embedded chain with every program deployed, a
//! server on a free port with a fresh database (SQLite, or PostgreSQL when
//! `LABELMINT_TEST_POSTGRES` names an admin URL), and HTTP helpers.
#![allow(dead_code, unreachable_pub)]

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use alloy_primitives::{eip191_hash_message, Address, B256};
use labelmint_client::sign_digest;
use labelmint_server::{
    api::UnsignedTx,
    dev::{self, DevChain, Wallet},
    Config, Server,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Dev account roles.
pub const CREATOR: usize = 1;
/// First annotator.
pub const ANN_A: usize = 2;
/// Second annotator.
pub const ANN_B: usize = 3;
/// A buyer.
pub const BUYER: usize = 5;

/// A fresh directory under the system temp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "labelmint-server-{tag}-{}-{}",
        std::process::id(),
        alloy_primitives::hex::encode(&B256::random()[..6])
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A database URL for one test: a new PostgreSQL database when
/// `LABELMINT_TEST_POSTGRES` is set, else a SQLite file in `dir`.
pub async fn database_url(dir: &Path) -> String {
    match std::env::var("LABELMINT_TEST_POSTGRES") {
        Ok(admin) if !admin.is_empty() => {
            use sqlx::Executor;
            sqlx::any::install_default_drivers();
            let name = format!("lm_{}", alloy_primitives::hex::encode(&B256::random()[..8]));
            let pool = sqlx::AnyPool::connect(&admin)
                .await
                .expect("admin connection to PostgreSQL");
            pool.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .await
                .expect("create test database");
            pool.close().await;
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            format!("{base}/{name}")
        }
        _ => format!("sqlite://{}", dir.join("server.db").display()),
    }
}

/// Whether the tests run on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("LABELMINT_TEST_POSTGRES").is_ok_and(|v| !v.is_empty())
}

/// The chain, the server and an HTTP client.
pub struct Env {
    pub chain: DevChain,
    pub server: Server,
    pub http: reqwest::Client,
    pub dir: PathBuf,
    pub database: String,
}

/// A server configuration for `chain` with test-friendly polling and limits.
pub fn config(chain: &DevChain, database: &str, dir: &Path) -> Config {
    let mut c = Config::new(
        chain.rpc_url.clone(),
        chain.contracts.clone(),
        database,
        dir.join("store"),
    )
    .listening_on(([127, 0, 0, 1], 0).into());
    c.relayer_key = chain.relayer_key();
    c.poll_interval = Duration::from_millis(50);
    c.lease = Duration::from_secs(3);
    c.ip_rate.per_sec = 10_000.0;
    c.ip_rate.burst = 10_000.0;
    c.address_rate.per_sec = 10_000.0;
    c.address_rate.burst = 10_000.0;
    c.dev_accounts = chain.accounts.iter().take(10).copied().collect();
    c
}

impl Env {
    /// A fresh environment; `tweak` adjusts the configuration.
    pub async fn new(tag: &str, tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = temp_dir(tag);
        let chain = dev::start_chain(
            &labelmint_server::cli::default_artifacts(),
            &dir.join("deployments"),
        )
        .await
        .expect("chain with the programs (run `cargo xtask wasm` first)");
        let database = database_url(&dir).await;
        let mut c = config(&chain, &database, &dir);
        tweak(&mut c);
        let server = Server::start(c).await.expect("server starts");
        Self {
            chain,
            server,
            http: reqwest::Client::new(),
            dir,
            database,
        }
    }

    /// The server's base URL.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Dev account `i`'s key.
    pub fn key(&self, i: usize) -> B256 {
        self.chain.accounts[i].1
    }

    /// Dev account `i`'s address.
    pub fn address(&self, i: usize) -> Address {
        self.chain.accounts[i].0
    }

    /// Dev account `i` as a wallet.
    pub fn wallet(&self, i: usize) -> Wallet {
        self.chain.wallet(i).unwrap()
    }

    /// Signs in as dev account `i`; the bearer token.
    pub async fn sign_in(&self, i: usize) -> String {
        sign_in(&self.http, &self.url(), self.key(i)).await
    }

    /// `method path` with an optional token and JSON body; status and JSON.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        call(&self.http, &self.url(), method, path, token, body).await
    }

    /// Waits until the indexer has seen job `id`.
    pub async fn wait_job(&self, id: u64) -> Value {
        let path = format!("/api/jobs/{id}");
        wait_for(&format!("job {id} indexed"), || async {
            let (st, v) = self.call(Method::GET, &path, None, None).await;
            (st == StatusCode::OK).then_some(v)
        })
        .await
    }

    /// Waits until submission `id` is `mined` or `failed`.
    pub async fn wait_final(&self, token: &str, id: i64) -> Value {
        wait_final(&self.http, &self.url(), token, id).await
    }

    /// Sends a prepared transaction from dev account `i`.
    pub async fn send_prepared(
        &self,
        i: usize,
        tx: &Value,
    ) -> alloy_rpc_types_eth::TransactionReceipt {
        let tx: UnsignedTx = serde_json::from_value(tx.clone()).expect("an unsigned transaction");
        self.wallet(i)
            .send_prepared(&tx)
            .await
            .expect("the prepared transaction succeeds")
    }

    /// A raw JSON-RPC call to the chain.
    pub async fn rpc(&self, method: &str, params: Value) -> Value {
        let v: Value = self
            .http
            .post(&self.chain.rpc_url)
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["result"].clone()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `method path` against `base`.
pub async fn call(
    http: &reqwest::Client,
    base: &str,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = http.request(method, format!("{base}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("the server answers");
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The SIWE message for `key` from the server's nonce endpoint.
pub async fn siwe_message(http: &reqwest::Client, base: &str, key: B256) -> String {
    let address = Wallet::new("http://127.0.0.1:1", key).unwrap().address;
    let (st, v) = call(
        http,
        base,
        Method::GET,
        &format!("/api/auth/nonce?address={address}"),
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["message"].as_str().unwrap().to_string()
}

/// An EIP-191 signature of `message` by `key`.
pub fn personal_sign(key: B256, message: &str) -> String {
    sign_digest(&key, eip191_hash_message(message))
        .unwrap()
        .to_string()
}

/// Signs in with `key`; the bearer token.
pub async fn sign_in(http: &reqwest::Client, base: &str, key: B256) -> String {
    let message = siwe_message(http, base, key).await;
    let (st, v) = call(
        http,
        base,
        Method::POST,
        "/api/auth/verify",
        None,
        Some(json!({"message": message, "signature": personal_sign(key, &message)})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["token"].as_str().unwrap().to_string()
}

/// Polls `f` every 50 ms until it yields (at most two minutes: a liveness
/// bound, not a speed assertion).
pub async fn wait_for<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..2400 {
        if let Some(v) = f().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gave up waiting for {what}");
}

/// Waits until submission `id` is final.
pub async fn wait_final(http: &reqwest::Client, base: &str, token: &str, id: i64) -> Value {
    let path = format!("/api/submissions/{id}");
    wait_for(&format!("submission {id} final"), || async {
        let (st, v) = call(http, base, Method::GET, &path, Some(token), None).await;
        (st == StatusCode::OK && (v["status"] == "mined" || v["status"] == "failed")).then_some(v)
    })
    .await
}

/// Prepares, signs (with `key`) and posts a batch; the status and answer.
pub async fn submit_batch(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    key: B256,
    job: u64,
    tasks: &[u32],
    labels: Value,
) -> (StatusCode, Value) {
    let (st, prepared) = call(
        http,
        base,
        Method::POST,
        &format!("/api/jobs/{job}/batches/prepare"),
        Some(token),
        Some(json!({"task_ids": tasks, "labels": labels})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "prepare: {prepared}");
    let digest: B256 = prepared["digest"].as_str().unwrap().parse().unwrap();
    let mut body = prepared["submission"].clone();
    body["signature"] = json!(sign_digest(&key, digest).unwrap().to_string());
    call(
        http,
        base,
        Method::POST,
        "/api/submissions",
        Some(token),
        Some(body),
    )
    .await
}

/// A ZIP of `files`.
pub fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        for (name, bytes) in files {
            z.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            z.write_all(bytes).unwrap();
        }
        z.finish().unwrap();
    }
    out.into_inner()
}

/// The bundled sample images.
pub fn sample_images() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/images");
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The bundled sample texts.
pub fn sample_texts() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/texts");
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Uploads `files` as a ZIP; the data root.
pub async fn upload(env: &Env, token: &str, files: &[(String, Vec<u8>)]) -> String {
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let resp = env
        .http
        .post(format!("{}/api/uploads", env.url()))
        .bearer_auth(token)
        .header("content-type", "application/zip")
        .body(zip_of(&refs))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let v: Value = resp.json().await.unwrap();
    v["data_root"].as_str().unwrap().to_string()
}

/// Creates a job through the API (prepare, then the creator's wallet sends);
/// its id once indexed.
pub async fn create_job(
    env: &Env,
    creator_token: &str,
    data_root: &str,
    schema: &str,
    classes: &[&str],
    extra: Value,
) -> u64 {
    let mut body = json!({"data_root": data_root, "reward_per_task": "1000000000000000", "schema": schema,
        "classes": classes, "title": "test job"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let (st, prepared) = env
        .call(
            Method::POST,
            "/api/jobs/prepare",
            Some(creator_token),
            Some(body),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{prepared}");
    let receipt = env.send_prepared(CREATOR, &prepared["tx"]).await;
    let id = market_job_of(&receipt);
    env.wait_job(id).await;
    id
}

/// Mints `amount` RewardToken units to dev account `i` (the deployer,
/// account 0, holds the minter role).
pub async fn mint_lmr(env: &Env, i: usize, amount: u128) {
    env.wallet(0)
        .send(
            env.chain.contracts.token,
            &labelmint_client::IRewardToken::mintCall {
                to: env.address(i),
                value: alloy_primitives::U256::from(amount),
            },
            alloy_primitives::U256::ZERO,
        )
        .await
        .expect("the deployer mints");
}

/// A dev account's RewardToken balance.
pub async fn lmr_balance(env: &Env, i: usize) -> alloy_primitives::U256 {
    let data =
        alloy_sol_types::SolCall::abi_encode(&labelmint_client::IRewardToken::balanceOfCall {
            account: env.address(i),
        });
    let out = env
        .rpc(
            "eth_call",
            json!([{"to": format!("{:#x}", env.chain.contracts.token), "data": format!("0x{}", alloy_primitives::hex::encode(data))}, "latest"]),
        )
        .await;
    out.as_str()
        .and_then(|h| h.parse::<alloy_primitives::U256>().ok())
        .expect("a balance")
}

/// A settled two-text job labelled by annotator A and approved, its JSONL
/// package stored and published by the creator at `price` in
/// `payment_token` (`None`: ETH); the dataset id and the package root.
pub async fn publish_text_dataset(
    env: &Env,
    creator: &str,
    annotator: &str,
    price: &str,
    payment_token: Option<String>,
) -> (i64, String) {
    let texts: Vec<_> = sample_texts().into_iter().take(2).collect();
    let root = upload(env, creator, &texts).await;
    let job = create_job(
        env,
        creator,
        &root,
        "categorical",
        &["negative", "positive"],
        json!({}),
    )
    .await;
    let (st, acc) = submit_batch(
        &env.http,
        &env.url(),
        annotator,
        env.key(ANN_A),
        job,
        &[0, 1],
        json!([1, 0]),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{acc}");
    let s = env.wait_final(annotator, acc["id"].as_i64().unwrap()).await;
    assert_eq!(s["status"], "mined", "{s}");
    let queue = wait_for("batch indexed", || async {
        let (_, q) = env
            .call(
                Method::GET,
                &format!("/api/jobs/{job}/review-queue"),
                None,
                None,
            )
            .await;
        (q.as_array().map_or(0, Vec::len) == 1).then_some(q)
    })
    .await;
    let (st, review) = env
        .call(
            Method::POST,
            &format!("/api/jobs/{job}/review/prepare"),
            Some(creator),
            Some(json!({"batches": [{"batch_id": queue[0]["batch_id"]}]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{review}");
    env.send_prepared(CREATOR, &review).await;
    wait_for("job completed", || async {
        let (_, j) = env
            .call(Method::GET, &format!("/api/jobs/{job}"), None, None)
            .await;
        (j["status"] == "completed").then_some(())
    })
    .await;
    let package = format!(
        "{{\"instruction\":\"classify\",\"input\":\"job {job}\",\"output\":\"positive\"}}\n"
    )
    .into_bytes();
    let package_root = store_package(env, creator, package).await;
    let mut body =
        json!({"root": package_root, "job_id": job, "format": "jsonl-instruction", "price": price});
    if let Some(t) = payment_token {
        body["payment_token"] = json!(t);
    }
    let (st, publish) = env
        .call(
            Method::POST,
            "/api/datasets/prepare",
            Some(creator),
            Some(body),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{publish}");
    env.send_prepared(CREATOR, &publish).await;
    let d = wait_for("dataset indexed", || async {
        let (_, d) = env.call(Method::GET, "/api/datasets", None, None).await;
        d.as_array()?
            .iter()
            .find(|x| x["root_hash"] == package_root.as_str())
            .cloned()
    })
    .await;
    (d["id"].as_i64().unwrap(), package_root)
}

/// `POST path body` as `token`, expecting 200; the answer.
pub async fn ok(env: &Env, token: &str, path: &str, body: Value) -> Value {
    let (st, v) = env.call(Method::POST, path, Some(token), Some(body)).await;
    assert_eq!(st, StatusCode::OK, "{path}: {v}");
    v
}

/// Asserts a `{code, message}` error with `status` and `code`, whose
/// message contains `needle`.
pub fn refused(answer: &(StatusCode, Value), status: StatusCode, code: &str, needle: &str) {
    let (st, v) = answer;
    assert_eq!(*st, status, "{v}");
    assert_eq!(v["code"], code, "{v}");
    let message = v["message"].as_str().unwrap_or_default();
    assert!(message.contains(needle), "{needle:?} not in {message:?}");
}

/// Moves the chain's clock past `until` through the dev endpoint.
pub async fn advance_past(env: &Env, until: i64) {
    let (_, head) = env
        .call(
            Method::POST,
            "/api/dev/time",
            None,
            Some(json!({"seconds": 1})),
        )
        .await;
    let at = head["now"].as_i64().unwrap();
    if until >= at {
        let (st, v) = env
            .call(
                Method::POST,
                "/api/dev/time",
                None,
                Some(json!({"seconds": until - at + 1})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert!(v["now"].as_i64().unwrap() > until, "{v}");
    }
}

/// The market job a `createJob` receipt created (its `JobCreated` log).
pub fn market_job_of(receipt: &alloy_rpc_types_eth::TransactionReceipt) -> u64 {
    let id = receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| {
            <labelmint_client::market::IMarket::JobCreated as alloy_sol_types::SolEvent>::decode_log_data(&l.inner.data)
                .ok()
                .map(|e| e.jobId)
        })
        .expect("a market JobCreated");
    u64::try_from(id).unwrap()
}

/// Dataset `id`'s package downloaded with `token`'s session (a licence or
/// the publisher's).
pub async fn download(env: &Env, token: &str, id: &Value) -> Vec<u8> {
    env.http
        .get(format!("{}/api/datasets/{id}/download", env.url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec()
}

/// Stores `bytes` as a private package with `token`'s session
/// (`POST /api/packages`, which must answer 200); its root.
pub async fn store_package(env: &Env, token: &str, bytes: Vec<u8>) -> String {
    let resp = env
        .http
        .post(format!("{}/api/packages", env.url()))
        .bearer_auth(token)
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let stored: Value = resp.json().await.unwrap();
    stored["root"].as_str().unwrap().to_string()
}
