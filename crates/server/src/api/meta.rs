//! Configuration, the dev wallet's accounts, health and metrics.

use axum::{extract::State, http::header, response::IntoResponse, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    error::{ApiError, ApiResult},
    state::AppState,
};

/// What a client needs to know about this server.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ServerConfig {
    /// Chain id.
    pub chain_id: u64,
    /// The chain's JSON-RPC URL (what a wallet connects to).
    pub rpc_url: String,
    /// The AnnotationMarket.
    pub market: String,
    /// The DatasetRegistry.
    pub registry: String,
    /// The RewardToken.
    pub token: String,
    /// The QualityHub (zero: none).
    pub hub: String,
    /// The QualityCourt (zero: none).
    pub court: String,
    /// The Timelock governing parameter changes (zero: none; see `GET /api/governance`).
    pub timelock: String,
    /// The relayer that pays for signed batches.
    pub relayer: Option<String>,
    /// The SIWE domain.
    pub domain: String,
    /// Whether this is `serve --dev` on the embedded chain.
    pub dev: bool,
    /// Whether a fine-tuning provider (broker) is configured (`--broker`).
    pub broker: bool,
}

/// This server's chain, contracts and mode.
#[utoipa::path(get, path = "/api/config", tag = "meta", responses((status = 200, body = ServerConfig)))]
pub async fn config(State(s): State<AppState>) -> Json<ServerConfig> {
    let c = &s.config.contracts;
    Json(ServerConfig {
        chain_id: s.rpc.chain_id,
        rpc_url: s.rpc.url.clone(),
        market: c.market.to_checksum(None),
        registry: c.registry.to_checksum(None),
        token: c.token.to_checksum(None),
        hub: c.hub.to_checksum(None),
        court: c.court.to_checksum(None),
        timelock: c.timelock.to_checksum(None),
        relayer: s.relayer_address.map(|a| a.to_checksum(None)),
        domain: s.config.domain.clone(),
        dev: s.config.dev,
        broker: s.broker.is_some(),
    })
}

/// A funded account of the embedded chain.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DevAccount {
    /// Address.
    pub address: String,
    /// Its private key (test keys of the local chain only).
    pub key: String,
    /// What the demo uses it for.
    pub role: String,
}

/// `--dev` only: the local chain's funded test accounts for the dev
/// wallet (never on a real chain; 404 otherwise).
#[utoipa::path(get, path = "/api/dev/accounts", tag = "meta",
    responses((status = 200, body = Vec<DevAccount>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn dev_accounts(State(s): State<AppState>) -> ApiResult<Json<Vec<DevAccount>>> {
    if !s.config.dev {
        return Err(ApiError::not_found(
            "dev accounts exist only with `labelmint serve --dev`",
        ));
    }
    let roles = [
        "deployer",
        "creator",
        "annotator",
        "annotator",
        "annotator",
        "buyer",
        "relayer",
    ];
    Ok(Json(
        s.config
            .dev_accounts
            .iter()
            .enumerate()
            .map(|(i, (a, k))| DevAccount {
                address: a.to_checksum(None),
                key: format!("{k:#x}"),
                role: roles.get(i).copied().unwrap_or("spare").into(),
            })
            .collect(),
    ))
}

/// Health.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// The chain's head.
    pub head: u64,
    /// The last indexed block.
    pub indexed: Option<i64>,
    /// Submissions not yet mined or failed.
    pub outbox: i64,
}

/// Whether the database and the chain answer, and how far behind the indexer is.
#[utoipa::path(get, path = "/healthz", tag = "meta",
    responses((status = 200, body = Health), (status = 502, body = crate::error::ErrorBody)))]
pub async fn health(State(s): State<AppState>) -> ApiResult<Json<Health>> {
    let head = s.rpc.block_number().await.map_err(ApiError::upstream)?;
    let indexed: Option<i64> = sqlx::query_scalar("SELECT block FROM indexer_cursor WHERE id = 1")
        .fetch_optional(&s.db.pool)
        .await?;
    let outbox: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM submissions WHERE status IN ('queued', 'signed', 'sent')",
    )
    .fetch_one(&s.db.pool)
    .await?;
    Ok(Json(Health {
        status: "ok".into(),
        head,
        indexed,
        outbox,
    }))
}

/// Prometheus metrics (text exposition).
#[utoipa::path(get, path = "/metrics", tag = "meta",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain")))]
pub async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.metrics.render(),
    )
}
