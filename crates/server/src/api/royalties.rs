//! Royalties and sale proceeds: what the DatasetRegistry holds for the
//! signed-in account, and the transactions that withdraw it.
//!
//! Every sale of a job-sourced dataset pays the job's pool: the royalty
//! share to the job's annotators pro rata to their accepted labels, the rest
//! (after the platform fee) to the job's creator. Both withdraw from the
//! pool with `withdrawRoyalties(source, jobId, token, to)`. External
//! datasets' proceeds, the platform fee and overpayments are credits,
//! withdrawn with the registry's `withdraw(token, to)`.

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};
use axum::{extract::State, Json};
use labelmint_client::{registry::IRegistry, revert::Program};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

use super::{
    datasets::{source_address, source_name},
    parse_optional_address, UnsignedTx,
};
use crate::{
    auth::Session,
    error::{ApiError, ApiResult},
    extract::ApiJson,
    state::{addr_key, AppState},
};

/// Most job pools read for one account (its newest datasets' jobs first).
pub const MAX_POOLS: usize = 256;

/// What one job's pool owes the account in one token.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RoyaltyView {
    /// The job's program: `market`, `hub` or `court`.
    pub source: String,
    /// Its address.
    pub source_address: String,
    /// The job id in that program.
    pub job_id: i64,
    /// The currency: the zero address for ETH, else the token.
    pub token: String,
    /// Withdrawable now (wei or token units): royalties, plus sale proceeds
    /// for the job's creator.
    pub amount: String,
    /// The datasets of this job sold in this currency.
    pub datasets: Vec<i64>,
}

/// A credit the registry holds for the account in one token.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegistryCredit {
    /// The zero address for ETH, else the token.
    pub token: String,
    /// Withdrawable now.
    pub amount: String,
}

/// `GET /api/me/royalties`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Royalties {
    /// Pools with something to withdraw (non-zero only).
    pub pools: Vec<RoyaltyView>,
    /// Registry credits with something to withdraw (non-zero only).
    pub credits: Vec<RegistryCredit>,
}

/// What the signed-in account can withdraw from the DatasetRegistry, live
/// from the chain: per pool of a job it published datasets from or did
/// accepted work in (at most 256 such pools, the newest datasets' first),
/// and its credits in ETH and the RewardToken.
#[utoipa::path(get, path = "/api/me/royalties", tag = "account",
    responses((status = 200, body = Royalties), (status = 401, body = crate::error::ErrorBody),
        (status = 502, body = crate::error::ErrorBody)))]
pub async fn list(State(s): State<AppState>, session: Session) -> ApiResult<Json<Royalties>> {
    // The pools the account takes part in: as the publisher (the job's
    // creator, who alone publishes from it), or as an annotator with work in
    // the job (an approved market batch, a settled hub batch, a court claim).
    let c = &s.config.contracts;
    let rows = sqlx::query(
        "SELECT d.dataset_id, d.source, d.source_job_id, d.payment_token FROM datasets d
         WHERE d.is_external = 0 AND (d.publisher = $1 OR EXISTS (
           SELECT 1 FROM event_accounts a JOIN events e ON e.id = a.event_id
           WHERE a.account = $1 AND e.job_id = d.source_job_id AND (
             (d.source = $2 AND e.program = 'AnnotationMarket' AND e.name = 'BatchReviewed')
             OR (d.source = $3 AND e.program = 'QualityHub' AND e.name = 'BatchSettled')
             OR (d.source = $4 AND e.program = 'QualityCourt' AND e.name = 'Claimed'))))
         ORDER BY d.dataset_id DESC",
    )
    .bind(addr_key(session.address))
    .bind(addr_key(c.market))
    .bind(addr_key(c.hub))
    .bind(addr_key(c.court))
    .fetch_all(&s.db.pool)
    .await?;
    let mut groups: BTreeMap<(String, i64, String), Vec<i64>> = BTreeMap::new();
    let mut order = Vec::new();
    for r in &rows {
        let key = (
            r.try_get::<String, _>("source")?.to_lowercase(),
            r.try_get::<i64, _>("source_job_id")?,
            r.try_get::<String, _>("payment_token")?.to_lowercase(),
        );
        let ids = groups.entry(key.clone()).or_default();
        if ids.is_empty() {
            if order.len() == MAX_POOLS {
                continue;
            }
            order.push(key);
        }
        ids.push(r.try_get("dataset_id")?);
    }
    let registry = s.config.contracts.registry;
    let mut pools = Vec::new();
    for key in order {
        let (source, job, token) = &key;
        let Some(name) = source_name(&s, source) else {
            continue;
        };
        let (Ok(source_addr), Ok(token_addr)) =
            (source.parse::<Address>(), token.parse::<Address>())
        else {
            continue;
        };
        let read = s
            .rpc
            .read(
                Program::DatasetRegistry,
                registry,
                &IRegistry::royaltyOfCall {
                    source: source_addr,
                    jobId: U256::from(u64::try_from(*job).unwrap_or(0)),
                    token: token_addr,
                    account: session.address,
                },
            )
            .await;
        let amount = match read {
            Ok(a) => a,
            // One pool the registry cannot answer for does not hide the others.
            Err(e @ crate::rpc::RpcError::Reverted { .. }) => {
                tracing::warn!(%source, job, "royaltyOf reverted: {e}");
                continue;
            }
            Err(e) => return Err(ApiError::upstream(e)),
        };
        if amount.is_zero() {
            continue;
        }
        let mut datasets = groups.remove(&key).unwrap_or_default();
        datasets.sort_unstable();
        pools.push(RoyaltyView {
            source: name.into(),
            source_address: source_addr.to_checksum(None),
            job_id: *job,
            token: token_addr.to_checksum(None),
            amount: amount.to_string(),
            datasets,
        });
    }
    let credits = credits_of(&s, session.address).await?;
    Ok(Json(Royalties { pools, credits }))
}

/// The registry's non-zero credits of `account` in ETH and the RewardToken.
async fn credits_of(s: &AppState, account: Address) -> ApiResult<Vec<RegistryCredit>> {
    let mut credits = Vec::new();
    for token in [Address::ZERO, s.config.contracts.token] {
        let amount = s
            .rpc
            .read(
                Program::DatasetRegistry,
                s.config.contracts.registry,
                &IRegistry::creditOfCall { token, account },
            )
            .await
            .map_err(ApiError::upstream)?;
        if !amount.is_zero() {
            credits.push(RegistryCredit {
                token: token.to_checksum(None),
                amount: amount.to_string(),
            });
        }
    }
    Ok(credits)
}

/// `POST /api/royalties/withdraw/prepare` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrepareRoyaltyWithdraw {
    /// The job's program: `market` (default), `hub` or `court`.
    pub source: Option<String>,
    /// The job id in that program.
    pub job_id: i64,
    /// The currency (default: ETH, the zero address).
    pub token: Option<String>,
    /// Where to (default: the signed-in address).
    pub to: Option<String>,
}

/// `withdrawRoyalties(source, jobId, token, to)`: the signed-in account's
/// royalties (or, for the job's creator, sale proceeds) from one job's
/// pool. `422 would_revert` naming `NothingToWithdraw` when the pool owes it
/// nothing.
#[utoipa::path(post, path = "/api/royalties/withdraw/prepare", tag = "account",
    request_body = PrepareRoyaltyWithdraw,
    responses((status = 200, body = UnsignedTx), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_withdraw(
    State(s): State<AppState>,
    session: Session,
    ApiJson(req): ApiJson<PrepareRoyaltyWithdraw>,
) -> ApiResult<Json<UnsignedTx>> {
    let source = source_address(&s, req.source.as_deref())?;
    let job = u64::try_from(req.job_id)
        .ok()
        .filter(|j| *j > 0)
        .ok_or_else(|| ApiError::bad_request("bad_job", "job_id: a job id, 1 or more"))?;
    let token = parse_optional_address("token", req.token.as_deref())?.unwrap_or(Address::ZERO);
    let to = parse_optional_address("to", req.to.as_deref())?.unwrap_or(session.address);
    let call = IRegistry::withdrawRoyaltiesCall {
        source,
        jobId: U256::from(job),
        token,
        to,
    };
    registry_call(&s, session.address, &call).await
}

/// `POST /api/me/registry-credit/withdraw/prepare` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct PrepareCreditWithdraw {
    /// The currency (default: ETH, the zero address).
    pub token: Option<String>,
    /// Where to (default: the signed-in address).
    pub to: Option<String>,
}

/// The registry's `withdraw(token, to)`: the signed-in account's credits
/// (external datasets' proceeds, the platform fee, overpayments).
#[utoipa::path(post, path = "/api/me/registry-credit/withdraw/prepare", tag = "account",
    request_body = PrepareCreditWithdraw,
    responses((status = 200, body = UnsignedTx), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_credit_withdraw(
    State(s): State<AppState>,
    session: Session,
    ApiJson(req): ApiJson<PrepareCreditWithdraw>,
) -> ApiResult<Json<UnsignedTx>> {
    let token = parse_optional_address("token", req.token.as_deref())?.unwrap_or(Address::ZERO);
    let to = parse_optional_address("to", req.to.as_deref())?.unwrap_or(session.address);
    registry_call(&s, session.address, &IRegistry::withdrawCall { token, to }).await
}

/// `call` to the registry from `from`, simulated (a revert is `422
/// would_revert` with its name).
async fn registry_call<C: alloy_sol_types::SolCall>(
    s: &AppState,
    from: Address,
    call: &C,
) -> ApiResult<Json<UnsignedTx>> {
    let tx = UnsignedTx::new(s, Some(from), s.config.contracts.registry, call, U256::ZERO)
        .simulated(s, Program::DatasetRegistry)
        .await?;
    Ok(Json(tx))
}
