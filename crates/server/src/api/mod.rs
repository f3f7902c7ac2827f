//! The HTTP API: routes, the OpenAPI document, layers.

pub mod creator;
pub mod data;
pub mod datasets;
pub mod finetune;
pub mod governance;
pub mod hub;
pub mod hub_creator;
pub mod jobs;
pub mod me;
pub mod meta;
pub mod permit;
pub mod royalties;
pub mod submissions;
pub mod workspace;

use std::{net::SocketAddr, str::FromStr, time::Instant};

use alloy_primitives::{Address, Bytes, U256};
use axum::{
    extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State},
    http::{HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Router,
};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{AllowOrigin, CorsLayer},
    trace::TraceLayer,
};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult},
    metrics::HttpLabels,
    state::AppState,
};

/// The OpenAPI document's header.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "labelmint API",
        description = "The labelmint server between wallets and the contracts: sign-in with Ethereum, jobs and tasks, gasless signed batches relayed from a durable outbox, creator and buyer transactions to sign, datasets and licensed downloads, live updates. Errors are `{code, message}` JSON. Amounts are decimal strings in wei (or token units); addresses and hashes 0x-hex.",
        license(name = "MIT OR Apache-2.0")
    ),
    tags(
        (name = "auth", description = "Sign-in with Ethereum (EIP-4361)"),
        (name = "annotator", description = "Jobs, tasks, signed batches"),
        (name = "creator", description = "Uploads, job creation, reviews, disputes, audits"),
        (name = "buyer", description = "Datasets, licences, downloads"),
        (name = "hub", description = "QualityHub consensus jobs: stake, commit, reveal, settle, withdraw"),
        (name = "account", description = "Balances, submissions, live updates"),
        (name = "meta", description = "Configuration, health, metrics")
    )
)]
pub struct ApiDoc;

/// An unsigned transaction for the caller's wallet to sign and send (the
/// server never holds creators' or buyers' keys).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnsignedTx {
    /// Chain id.
    pub chain_id: u64,
    /// Who should send it (when it matters).
    pub from: Option<String>,
    /// The contract.
    pub to: String,
    /// Calldata (0x-hex).
    pub data: String,
    /// Wei to send (decimal).
    pub value: String,
    /// Gas the server estimated, when the simulation succeeded.
    pub gas: Option<String>,
    /// The function called (`reviewBatches(…)`).
    pub function: String,
}

impl UnsignedTx {
    /// A transaction calling `call` on `to` with `value`.
    pub fn new<C: alloy_sol_types::SolCall>(
        s: &AppState,
        from: Option<Address>,
        to: Address,
        call: &C,
        value: U256,
    ) -> Self {
        Self {
            chain_id: s.rpc.chain_id,
            from: from.map(|a| a.to_checksum(None)),
            to: to.to_checksum(None),
            data: Bytes::from(call.abi_encode()).to_string(),
            value: value.to_string(),
            gas: None,
            function: C::SIGNATURE.to_string(),
        }
    }

    /// `call` on the AnnotationMarket from `from`, with `value`, simulated
    /// from `from` (a revert is a 422 with its name).
    pub async fn market_call<C: alloy_sol_types::SolCall>(
        s: &AppState,
        from: Address,
        call: &C,
        value: U256,
    ) -> ApiResult<Self> {
        Self::new(s, Some(from), s.config.contracts.market, call, value)
            .simulated(s, labelmint_client::revert::Program::AnnotationMarket)
            .await
    }

    /// `call` on the QualityHub from `from`, simulated from `from` (a revert
    /// is a 422 with its name); a 404 when the deployment has no hub.
    pub async fn hub_call<C: alloy_sol_types::SolCall>(
        s: &AppState,
        from: Address,
        call: &C,
    ) -> ApiResult<Self> {
        let hub = s.config.contracts.hub;
        if hub.is_zero() {
            return Err(ApiError::not_found(
                "this server's deployment has no QualityHub",
            ));
        }
        Self::new(s, Some(from), hub, call, U256::ZERO)
            .simulated(s, labelmint_client::revert::Program::QualityHub)
            .await
    }

    /// Simulates it from `from` (when known): a revert is a 422 with its name.
    pub async fn simulated(
        self,
        s: &AppState,
        program: labelmint_client::revert::Program,
    ) -> ApiResult<Self> {
        self.simulated_with(s, program, |_| None).await
    }

    /// [`Self::simulated`], with `explain` turning a revert name into a more
    /// telling error (`None`: the plain `422 would_revert`).
    pub async fn simulated_with(
        mut self,
        s: &AppState,
        program: labelmint_client::revert::Program,
        explain: impl Fn(&str) -> Option<ApiError>,
    ) -> ApiResult<Self> {
        let Some(from) = self.from.as_deref().and_then(|f| Address::from_str(f).ok()) else {
            return Ok(self);
        };
        let to = Address::from_str(&self.to).map_err(ApiError::internal)?;
        let data = Bytes::from_str(&self.data).map_err(ApiError::internal)?;
        let value = U256::from_str(&self.value).map_err(ApiError::internal)?;
        match s.rpc.estimate(program, from, to, data, value).await {
            Ok(gas) => {
                self.gas = Some(gas.to_string());
                Ok(self)
            }
            Err(e @ crate::rpc::RpcError::Reverted { .. }) => Err(e
                .revert_name()
                .and_then(&explain)
                .unwrap_or_else(|| would_revert(&e))),
            // Not a revert (say, the sender cannot pay yet): the wallet will tell.
            Err(e) => {
                tracing::debug!(error = %e, "simulation inconclusive");
                Ok(self)
            }
        }
    }
}

/// A 422 naming the revert.
pub fn would_revert(e: &crate::rpc::RpcError) -> ApiError {
    let detail = match e {
        crate::rpc::RpcError::Reverted {
            revert: Some(r), ..
        } => r.detail.clone(),
        other => other.to_string(),
    };
    ApiError::unprocessable(
        "would_revert",
        format!("the chain would refuse it: {detail}"),
    )
}

/// Parses an address field.
pub fn parse_address(field: &str, text: &str) -> ApiResult<Address> {
    Address::from_str(text.trim()).map_err(|_| {
        ApiError::bad_request(
            "bad_address",
            format!("{field}: {text:?} is not an address"),
        )
    })
}

/// An optional address field: `None` when absent, else [`parse_address`].
pub fn parse_optional_address(field: &str, text: Option<&str>) -> ApiResult<Option<Address>> {
    text.map(|t| parse_address(field, t)).transpose()
}

/// Parses a decimal (or 0x-hex) amount field.
pub fn parse_u256(field: &str, text: &str) -> ApiResult<U256> {
    U256::from_str(text.trim()).map_err(|_| {
        ApiError::bad_request("bad_amount", format!("{field}: {text:?} is not a number"))
    })
}

/// Paging.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::IntoParams)]
pub struct Page {
    /// Items to skip.
    pub offset: Option<u32>,
    /// Items to return (at most 500; 100 by default).
    pub limit: Option<u32>,
}

impl Page {
    /// (offset, limit) clamped.
    pub fn get(self) -> (i64, i64) {
        (
            i64::from(self.offset.unwrap_or(0)),
            i64::from(self.limit.unwrap_or(100).clamp(1, 500)),
        )
    }
}

/// One stored event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventView {
    /// Row id (monotonic).
    pub id: i64,
    /// Program (`AnnotationMarket`).
    pub program: String,
    /// Event name.
    pub name: String,
    /// Block number.
    pub block: i64,
    /// Block timestamp.
    pub block_time: i64,
    /// Transaction hash.
    pub tx_hash: String,
    /// The event's fields.
    #[schema(value_type = Object)]
    pub fields: serde_json::Value,
}

/// The filter of a market job's events: the hub numbers its jobs on its own,
/// so its events for a job with the same id are not the market job's.
pub const MARKET_JOB_EVENTS: &str = "job_id = $1 AND program <> 'QualityHub'";

/// Events matching `sql` (which selects the columns below, with its binds).
pub async fn events_where(
    s: &AppState,
    filter: &'static str,
    bind: i64,
) -> ApiResult<Vec<EventView>> {
    let sql = format!(
        "SELECT id, program, name, block, block_time, tx_hash, fields FROM events WHERE {filter} ORDER BY block, log_index"
    );
    let rows = sqlx::query(crate::db::Db::sql(sql))
        .bind(bind)
        .fetch_all(&s.db.pool)
        .await?;
    rows.iter()
        .map(|r| {
            let fields: String = r.try_get("fields")?;
            Ok(EventView {
                id: r.try_get("id")?,
                program: r.try_get("program")?,
                name: r.try_get("name")?,
                block: r.try_get("block")?,
                block_time: r.try_get("block_time")?,
                tx_hash: r.try_get("tx_hash")?,
                fields: serde_json::from_str(&fields).unwrap_or_default(),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(ApiError::from)
}

/// Per-IP rate limit and request metrics.
async fn guard(
    State(s): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let resp = if let Err(wait) = s.ip_limiter.check(&peer.ip().to_string()) {
        too_many(wait)
    } else {
        next.run(req).await
    };
    let labels = HttpLabels {
        method,
        route,
        status: resp.status().as_u16(),
    };
    s.metrics.http_requests.get_or_create(&labels).inc();
    s.metrics
        .http_seconds
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    resp
}

/// A 429 with `Retry-After`.
pub fn too_many(wait: std::time::Duration) -> Response {
    let mut resp = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many requests; retry in {} ms", wait.as_millis()),
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
        resp.headers_mut().insert("retry-after", v);
    }
    resp
}

/// Unknown routes answer a JSON 404.
async fn fallback() -> ApiError {
    ApiError::not_found("no such endpoint (see /openapi.json)")
}

/// The routes with their OpenAPI operations.
pub fn openapi_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(crate::auth::nonce))
        .routes(routes!(crate::auth::verify))
        .routes(routes!(crate::auth::logout))
        .routes(routes!(crate::auth::me))
        .routes(routes!(jobs::list))
        .routes(routes!(jobs::get))
        .routes(routes!(jobs::tasks))
        .routes(routes!(jobs::prepare_batch))
        .routes(routes!(data::get))
        .routes(routes!(submissions::submit))
        .routes(routes!(submissions::get))
        .routes(routes!(submissions::retry))
        .routes(routes!(submissions::mine))
        .routes(routes!(creator::prepare_job))
        .routes(routes!(creator::review_queue))
        .routes(routes!(creator::prepare_review))
        .routes(routes!(creator::prepare_dispute))
        .routes(routes!(creator::prepare_settle))
        .routes(routes!(creator::prepare_cancel))
        .routes(routes!(creator::audit))
        .routes(routes!(creator::job_events))
        .routes(routes!(datasets::list))
        .routes(routes!(datasets::get))
        .routes(routes!(datasets::prepare_publish))
        .routes(routes!(datasets::prepare_purchase))
        .routes(routes!(hub::list))
        .routes(routes!(hub::get))
        .routes(routes!(hub::tasks))
        .routes(routes!(hub::my_batches))
        .routes(routes!(hub::stake))
        .routes(routes!(hub::prepare_stake))
        .routes(routes!(hub::prepare_unstake))
        .routes(routes!(hub::prepare_withdraw_stake))
        .routes(routes!(hub::prepare_withdraw))
        .routes(routes!(hub::prepare_commit))
        .routes(routes!(hub::prepare_reveal))
        .routes(routes!(hub::prepare_settle))
        .routes(routes!(hub::describe))
        .routes(routes!(hub_creator::prepare_hub_job))
        .routes(routes!(hub_creator::prepare_reveal_gold))
        .routes(routes!(hub_creator::prepare_close))
        .routes(routes!(hub_creator::build_package))
        .routes(routes!(hub_creator::prepare_claim_slash_share))
        .routes(routes!(hub_creator::arbiter_terms))
        .routes(routes!(permit::prepare_permit))
        .routes(routes!(finetune::models))
        .routes(routes!(finetune::prepare))
        .routes(routes!(finetune::start))
        .routes(routes!(finetune::my_tasks))
        .routes(routes!(finetune::task_status))
        .routes(routes!(me::balances))
        .routes(routes!(me::prepare_withdraw))
        .routes(routes!(royalties::list))
        .routes(routes!(royalties::prepare_withdraw))
        .routes(routes!(royalties::prepare_credit_withdraw))
        .routes(routes!(me::live))
        .routes(routes!(meta::config))
        .routes(routes!(governance::get))
        .routes(routes!(meta::dev_accounts))
        .routes(routes!(meta::health))
        .routes(routes!(workspace::prepare_claim))
        .routes(routes!(workspace::prepare_release))
        .routes(routes!(workspace::build_package))
        .routes(routes!(workspace::dev_relayer))
        .routes(routes!(workspace::dev_rpc))
        .routes(routes!(workspace::dev_time))
        .routes(routes!(meta::metrics))
        .routes(routes!(openapi_json))
}

/// The generated document (set once the routes are assembled).
static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// This OpenAPI document, generated from the handlers.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "the OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        DOC.get().cloned().unwrap_or_default(),
    )
}

/// Routes whose bodies may be large (uploads, packages, downloads).
pub fn upload_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(creator::upload))
        .routes(routes!(datasets::upload_package))
        .routes(routes!(datasets::download))
}

/// The whole application: API, OpenAPI document, metrics, layers.
pub fn app(s: AppState) -> Router {
    let json_limit = s.config.json_limit;
    let upload_limit = s.config.upload_limit;
    let (api, doc) = openapi_router()
        .layer(DefaultBodyLimit::max(json_limit))
        .merge(upload_router().layer(DefaultBodyLimit::max(upload_limit)))
        .split_for_parts();
    let _ = DOC.set(doc.to_json().unwrap_or_else(|_| "{}".into()));
    let mut router = api
        .fallback(fallback)
        .layer(axum::middleware::from_fn_with_state(s.clone(), guard))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal("a handler panicked").into_response()
        }))
        .layer(TraceLayer::new_for_http());
    if !s.config.cors_origins.is_empty() {
        let origins: Vec<HeaderValue> = s
            .config
            .cors_origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        router = router.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([
                    axum::http::header::CONTENT_TYPE,
                    axum::http::header::AUTHORIZATION,
                ])
                .allow_credentials(true),
        );
    }
    router.with_state(s)
}
