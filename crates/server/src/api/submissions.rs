//! Signed batches: accepted into the durable outbox before the answer,
//! relayed by the relayer, followed to a final status.

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolCall;
use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use labelmint_client::{
    market::{self, batch_digest, IMarket, SubmitBatch},
    revert::Program,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use utoipa::ToSchema;

use super::{jobs, too_many, would_revert, Page};
use crate::{
    auth::{hex_bytes, signature_valid, Session},
    db::now_ms,
    error::{ApiError, ApiResult},
    extract::{ApiJson, ApiPath, ApiQuery},
    indexer::feed,
    rpc::RpcError,
    state::{addr_key, AppState},
};

/// A signed batch.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SubmitRequest {
    /// The job.
    pub job_id: i64,
    /// Task ids, as signed.
    pub task_ids: Vec<u32>,
    /// The payload, as signed (0x-hex).
    pub payload: String,
    /// The nonce, as signed (decimal).
    pub nonce: String,
    /// The deadline, as signed (chain time, seconds).
    pub deadline: u64,
    /// The EIP-712 signature (0x-hex: 65 bytes for an EOA, any for EIP-1271).
    pub signature: String,
}

/// A submission's state.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SubmissionView {
    /// Submission id.
    pub id: i64,
    /// `queued`, `signed`, `sent`, `mined`, `failed`.
    pub status: String,
    /// The annotator.
    pub annotator: String,
    /// The job.
    pub job_id: i64,
    /// Tasks.
    pub task_ids: Vec<u32>,
    /// The nonce.
    pub nonce: String,
    /// The transaction (the latest signed one).
    pub tx_hash: Option<String>,
    /// The batch id once mined.
    pub batch_id: Option<i64>,
    /// The block once mined.
    pub block: Option<i64>,
    /// On failure: the revert's name (`TaskTaken`) or another code.
    pub error_code: Option<String>,
    /// On failure (or while retrying): what happened.
    pub error_message: Option<String>,
    /// Attempts made.
    pub attempts: i64,
    /// Accepted at (ms since the epoch).
    pub accepted_at_ms: i64,
    /// Mined at (ms since the epoch).
    pub mined_at_ms: Option<i64>,
}

/// The answer to an accepted batch.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Accepted {
    /// Submission id (follow it at `/api/submissions/{id}` or on `/api/live`).
    pub id: i64,
    /// `queued` (or the current status when the same batch was sent before).
    pub status: String,
}

const COLUMNS: &str = "id, status, annotator, job_id, task_ids, nonce, tx_hash, batch_id, block, error_code, error_message, attempts, accepted_at_ms, mined_at_ms";

fn view(r: &sqlx::any::AnyRow) -> Result<SubmissionView, sqlx::Error> {
    let tasks: String = r.try_get("task_ids")?;
    Ok(SubmissionView {
        id: r.try_get("id")?,
        status: r.try_get("status")?,
        annotator: r.try_get("annotator")?,
        job_id: r.try_get("job_id")?,
        task_ids: serde_json::from_str(&tasks).unwrap_or_default(),
        nonce: r.try_get("nonce")?,
        tx_hash: r.try_get("tx_hash")?,
        batch_id: r.try_get("batch_id")?,
        block: r.try_get("block")?,
        error_code: r.try_get("error_code")?,
        error_message: r.try_get("error_message")?,
        attempts: r.try_get("attempts")?,
        accepted_at_ms: r.try_get("accepted_at_ms")?,
        mined_at_ms: r.try_get("mined_at_ms")?,
    })
}

/// Submission `id`.
pub async fn load(s: &AppState, id: i64) -> ApiResult<SubmissionView> {
    let sql = format!("SELECT {COLUMNS} FROM submissions WHERE id = $1");
    let row = sqlx::query(crate::db::Db::sql(sql))
        .bind(id)
        .fetch_optional(&s.db.pool)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no submission {id}")))?;
    Ok(view(&row)?)
}

/// Accepts a signed batch: checks the signature (ECDSA or EIP-1271),
/// simulates `submitBatchBySig`, writes it to the outbox, answers 202.
#[utoipa::path(post, path = "/api/submissions", tag = "annotator", request_body = SubmitRequest,
    responses((status = 202, body = Accepted, description = "in the outbox; the relayer sends it"),
        (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody, description = "the chain would refuse it (the revert's name in the message)"),
        (status = 429, body = crate::error::ErrorBody)))]
#[allow(clippy::too_many_lines)]
pub async fn submit(
    State(s): State<AppState>,
    session: Session,
    ApiJson(req): ApiJson<SubmitRequest>,
) -> ApiResult<axum::response::Response> {
    if let Err(wait) = s.address_limiter.check(&addr_key(session.address)) {
        return Ok(too_many(wait));
    }
    let annotator = session.address;
    if req.task_ids.is_empty() || req.task_ids.len() > market::MAX_BATCH {
        return Err(ApiError::bad_request(
            "bad_batch",
            format!("1 to {} tasks per batch", market::MAX_BATCH),
        ));
    }
    let payload = Bytes::from(hex_bytes("payload", &req.payload)?);
    let signature = Bytes::from(hex_bytes("signature", &req.signature)?);
    let nonce = super::parse_u256("nonce", &req.nonce)?;
    jobs::exists(&s, req.job_id).await?;
    let now = s.rpc.now().await.map_err(ApiError::upstream)?;
    if req.deadline <= now {
        return Err(ApiError::bad_request(
            "signature_expired",
            format!("deadline {} has passed (chain time {now})", req.deadline),
        ));
    }
    let batch = SubmitBatch {
        annotator,
        jobId: U256::from(req.job_id),
        taskIds: req.task_ids.clone(),
        payload: payload.clone(),
        nonce,
        deadline: U256::from(req.deadline),
    };
    let market = s.config.contracts.market;
    let digest = batch_digest(market, s.rpc.chain_id, &batch);
    if !signature_valid(&s, annotator, digest, &signature).await? {
        return Err(ApiError::bad_request(
            "bad_signature",
            "the signature is not the signed-in annotator's over this batch (EIP-712 SubmitBatch)",
        ));
    }
    let call = IMarket::submitBatchBySigCall {
        annotator,
        jobId: batch.jobId,
        taskIds: batch.taskIds.clone(),
        payload: payload.clone(),
        nonce,
        deadline: batch.deadline,
        signature: signature.clone(),
    };
    let calldata = Bytes::from(call.abi_encode());
    // Idempotent: the same signed batch again gets the same submission.
    if let Some(existing) = existing(&s, annotator, nonce).await? {
        return if existing.1 == calldata.to_string() {
            Ok((
                StatusCode::ACCEPTED,
                Json(Accepted {
                    id: existing.0,
                    status: existing.2,
                }),
            )
                .into_response())
        } else {
            Err(ApiError::conflict(
                "nonce_reused",
                format!("nonce {nonce} already carries another batch"),
            ))
        };
    }
    let from = s.relayer_address.unwrap_or(annotator);
    let gas = match s
        .rpc
        .estimate(
            Program::AnnotationMarket,
            from,
            market,
            calldata.clone(),
            U256::ZERO,
        )
        .await
    {
        Ok(g) => g,
        Err(e @ RpcError::Reverted { .. }) => {
            s.metrics.outcome("refused");
            return Err(would_revert(&e));
        }
        Err(e) => return Err(ApiError::upstream(e)),
    };
    let gas_limit = (gas + gas / 2).max(gas + 50_000);
    let now_ms = now_ms();
    let mut tx = s.db.pool.begin().await?;
    let inserted: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO submissions (annotator, job_id, task_ids, payload, nonce, deadline, signature, calldata, gas_limit,
           status, lease_until_ms, attempts, next_attempt_ms, accepted_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'queued', 0, 0, 0, $10, $10)
         ON CONFLICT (annotator, nonce) DO NOTHING RETURNING id",
    )
    .bind(addr_key(annotator))
    .bind(req.job_id)
    .bind(serde_json::to_string(&req.task_ids).map_err(ApiError::internal)?)
    .bind(payload.to_string())
    .bind(nonce.to_string())
    .bind(i64::try_from(req.deadline).unwrap_or(i64::MAX))
    .bind(signature.to_string())
    .bind(calldata.to_string())
    .bind(i64::try_from(gas_limit).unwrap_or(i64::MAX))
    .bind(now_ms)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id,)) = inserted else {
        tx.rollback().await?;
        // A concurrent identical request won the race.
        let existing = existing(&s, annotator, nonce)
            .await?
            .ok_or_else(|| ApiError::internal("lost submission"))?;
        return if existing.1 == calldata.to_string() {
            Ok((
                StatusCode::ACCEPTED,
                Json(Accepted {
                    id: existing.0,
                    status: existing.2,
                }),
            )
                .into_response())
        } else {
            Err(ApiError::conflict(
                "nonce_reused",
                format!("nonce {nonce} already carries another batch"),
            ))
        };
    };
    feed(
        &mut tx,
        annotator,
        "submission",
        &json!({"id": id, "status": "queued", "job_id": req.job_id}),
        now_ms,
    )
    .await?;
    tx.commit().await?;
    s.metrics.outcome("accepted");
    s.relayer.wake.notify_one();
    tracing::info!(submission = id, annotator = %annotator, job = req.job_id, "accepted");
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            id,
            status: "queued".into(),
        }),
    )
        .into_response())
}

async fn existing(
    s: &AppState,
    annotator: Address,
    nonce: U256,
) -> ApiResult<Option<(i64, String, String)>> {
    let row: Option<(i64, String, String)> = sqlx::query_as(
        "SELECT id, calldata, status FROM submissions WHERE annotator = $1 AND nonce = $2",
    )
    .bind(addr_key(annotator))
    .bind(nonce.to_string())
    .fetch_optional(&s.db.pool)
    .await?;
    Ok(row)
}

/// One submission (its annotator's only).
#[utoipa::path(get, path = "/api/submissions/{id}", tag = "annotator",
    params(("id" = i64, Path, description = "submission id")),
    responses((status = 200, body = SubmissionView), (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SubmissionView>> {
    let v = load(&s, id).await?;
    if v.annotator != addr_key(session.address) {
        return Err(ApiError::not_found(format!("no submission {id}")));
    }
    Ok(Json(v))
}

/// Sends a failed submission again (its signature must still be valid; a
/// reverted transaction left the batch's nonce unused).
#[utoipa::path(post, path = "/api/submissions/{id}/retry", tag = "annotator",
    params(("id" = i64, Path, description = "submission id")),
    responses((status = 202, body = Accepted), (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn retry(
    State(s): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<axum::response::Response> {
    let v = load(&s, id).await?;
    if v.annotator != addr_key(session.address) {
        return Err(ApiError::not_found(format!("no submission {id}")));
    }
    if v.status != "failed" {
        return Err(ApiError::conflict(
            "not_failed",
            format!("submission {id} is {}", v.status),
        ));
    }
    let calldata: (String,) = sqlx::query_as("SELECT calldata FROM submissions WHERE id = $1")
        .bind(id)
        .fetch_one(&s.db.pool)
        .await?;
    let calldata: Bytes = calldata.0.parse().map_err(ApiError::internal)?;
    let from = s.relayer_address.unwrap_or(session.address);
    if let Err(e) = s
        .rpc
        .estimate(
            Program::AnnotationMarket,
            from,
            s.config.contracts.market,
            calldata,
            U256::ZERO,
        )
        .await
    {
        return Err(match e {
            RpcError::Reverted { .. } => would_revert(&e),
            other => ApiError::upstream(other),
        });
    }
    let now = now_ms();
    let r = sqlx::query(
        "UPDATE submissions SET status = 'queued', owner = NULL, lease_until_ms = 0, attempts = 0, next_attempt_ms = 0,
           relayer = NULL, tx_nonce = NULL, raw_tx = NULL, tx_hashes = NULL, error_code = NULL, error_message = NULL,
           updated_at_ms = $2 WHERE id = $1 AND status = 'failed'",
    )
    .bind(id)
    .bind(now)
    .execute(&s.db.pool)
    .await?;
    if r.rows_affected() != 1 {
        return Err(ApiError::conflict(
            "not_failed",
            format!("submission {id} changed meanwhile"),
        ));
    }
    s.relayer.wake.notify_one();
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            id,
            status: "queued".into(),
        }),
    )
        .into_response())
}

/// The signed-in annotator's submissions, newest first.
#[utoipa::path(get, path = "/api/me/submissions", tag = "account", params(Page),
    responses((status = 200, body = Vec<SubmissionView>), (status = 401, body = crate::error::ErrorBody)))]
pub async fn mine(
    State(s): State<AppState>,
    session: Session,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Vec<SubmissionView>>> {
    let (offset, limit) = page.get();
    let sql = format!("SELECT {COLUMNS} FROM submissions WHERE annotator = $1 ORDER BY id DESC LIMIT $2 OFFSET $3");
    let rows = sqlx::query(crate::db::Db::sql(sql))
        .bind(addr_key(session.address))
        .bind(limit)
        .bind(offset)
        .fetch_all(&s.db.pool)
        .await?;
    Ok(Json(rows.iter().map(view).collect::<Result<_, _>>()?))
}
