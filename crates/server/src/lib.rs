//! # labelmint-server
//!
//! `labelmint serve`: the API server between people's wallets and the
//! contracts. A layer above [`labelmint_client`] (bindings, signatures,
//! events, revert names), never a second copy of it.
//!
//! - [`auth`]: sign-in with Ethereum (EIP-4361; EOAs and EIP-1271 wallets),
//!   sessions in an HttpOnly SameSite=Strict cookie or a bearer token.
//! - [`indexer`]: every program's events into the database, by range then
//!   live, resuming after restarts and rewinding reorgs.
//! - [`relayer`]: signed batches from the durable outbox to the chain, with
//!   managed nonces, retries, fee bumps and decoded failures; exactly once
//!   across crashes.
//! - [`api`]: the HTTP API (annotator, creator, buyer, account, live
//!   updates), its OpenAPI document at `/openapi.json`, `/metrics`.
//! - [`db`]: SQLite or PostgreSQL through sqlx, one schema.
//! - [`dev`]: `serve --dev` — the embedded chain, deployed and seeded.
//! - [`web`]: the browser workspace ([`labelmint_web`]) at `/`.

pub mod api;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod config;
pub mod db;
pub mod dev;
pub mod error;
pub mod extract;
pub mod indexer;
pub mod limits;
pub mod metrics;
pub mod relayer;
pub mod rpc;
pub mod state;
pub mod web;

use std::{net::SocketAddr, sync::Arc};

use anyhow::{anyhow, Context, Result};
use tokio::{sync::broadcast, task::JoinHandle};

pub use config::{Config, Contracts};
pub use state::AppState;

/// A running server.
#[derive(Debug)]
pub struct Server {
    /// Its shared state (tests pause and resume the relayer through it).
    pub state: AppState,
    /// Where it listens.
    pub addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Server {
    /// Connects to the chain and the database (migrating it), binds, and
    /// starts the API, the indexer, the live-update pump and the relayer.
    pub async fn start(mut config: Config) -> Result<Self> {
        let rpc = rpc::Rpc::connect(&config.rpc_url).await?;
        let db = db::Db::connect(&config.database_url).await?;
        let store = labelmint_storage::LocalStore::open(&config.store_dir)
            .with_context(|| format!("store {}", config.store_dir.display()))?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let addr = listener.local_addr()?;
        if config.domain == config.listen.to_string() {
            config.domain = addr.to_string();
            config.uri = format!("http://{addr}");
        }
        config.listen = addr;
        let relayer_address = match config.relayer_key {
            Some(k) => Some(
                alloy_signer_local::PrivateKeySigner::from_bytes(&k)
                    .map_err(|e| anyhow!("relayer key: {e}"))?
                    .address(),
            ),
            None => None,
        };
        let (live, _) = broadcast::channel(4096);
        let paused = config.relayer_paused;
        // The broker answers people waiting on a page: a short timeout and
        // two tries, not the CLI's patient defaults.
        let broker = config.broker_url.as_deref().map(|url| {
            labelmint_zg::finetune::Broker::new(
                url,
                labelmint_zg::Retry {
                    attempts: 2,
                    timeout: std::time::Duration::from_secs(15),
                    backoff: std::time::Duration::from_millis(250),
                },
            )
        });
        let state = AppState(Arc::new(state::Inner {
            ip_limiter: limits::Limiter::new(config.ip_rate),
            address_limiter: limits::Limiter::new(config.address_rate),
            config,
            db,
            rpc,
            store,
            metrics: metrics::Metrics::new(),
            live,
            relayer: state::RelayerControl::default(),
            relayer_address,
            broker,
        }));
        state.relayer.set_paused(paused);
        let app = api::app(state.clone()).merge(web::router());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let mut tasks = vec![tokio::spawn(async move {
            let serve = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "server stopped");
            }
        })];
        tasks.push(tokio::spawn(indexer::run(state.clone())));
        tasks.push(tokio::spawn(api::me::pump(state.clone())));
        if let Some(key) = state.config.relayer_key {
            let r = relayer::Relayer::new(state.clone(), key).map_err(|e| anyhow!(e))?;
            tasks.push(tokio::spawn(r.run()));
        }
        tracing::info!(%addr, chain = state.rpc.chain_id, db = ?state.db.backend, "labelmint server listening");
        Ok(Self {
            state,
            addr,
            tasks,
            shutdown: Some(tx),
        })
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the workers and the listener.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        for t in &self.tasks {
            t.abort();
        }
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
        self.state.db.pool.close().await;
    }
}
