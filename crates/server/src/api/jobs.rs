//! Annotator API: open jobs, a job's tasks with their data, and the EIP-712
//! typed data of a batch to sign.

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolStruct;
use axum::{extract::State, Json};
use labelmint_client::{
    market::{self, batch_digest, IMarket, SubmitBatch},
    revert::Program,
};
use labelmint_quality::audit::{BatchFile, TaskLabel};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};

use super::{data::parse_root, events_where, EventView, Page};
use crate::{
    auth::Session,
    error::{ApiError, ApiResult},
    extract::{ApiJson, ApiPath, ApiQuery},
    state::AppState,
};

/// A job as the index knows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JobView {
    /// Job id.
    pub id: i64,
    /// Creator.
    pub creator: String,
    /// Payment token (zero address: ETH).
    pub token: String,
    /// 0G root of the task manifest.
    pub data_root: String,
    /// Hash (0G root) of the description.
    pub metadata_hash: String,
    /// The description, when it is in the store.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
    /// Tasks.
    pub task_count: i64,
    /// Reward per approved task (wei or token units).
    pub reward_per_task: String,
    /// Escrowed at creation.
    pub escrow: String,
    /// `categorical`, `bbox`, `polygon`, `text`.
    pub schema: String,
    /// Classes.
    pub num_classes: i64,
    /// Seconds a claim lasts.
    pub claim_duration: i64,
    /// Submission deadline (chain time, seconds).
    pub submit_deadline: i64,
    /// Seconds the creator has to review a batch.
    pub review_window: i64,
    /// Most tasks one annotator may hold.
    pub max_held: i64,
    /// Arbiter terms id.
    pub arbiter_terms: i64,
    /// Quality mode: `review` (the creator reviews each batch; one annotator per task).
    pub mode: String,
    /// `open`, `completed`, `cancelled`, `expired`.
    pub status: String,
    /// Batches submitted.
    pub batches: i64,
    /// Tasks approved.
    pub approved: i64,
    /// Stake an annotator needs (0 in review mode).
    pub stake_required: String,
    /// Block it was created in.
    pub block: i64,
}

/// `GET /api/jobs` filters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct JobFilter {
    /// `open` (default), `completed`, `cancelled`, `expired` or `all`.
    pub status: Option<String>,
    /// `categorical`, `bbox`, `polygon`, `text`.
    pub schema: Option<String>,
    /// Only this creator's jobs.
    pub creator: Option<String>,
    /// Only jobs paying at least this per task.
    pub min_reward: Option<String>,
    /// Items to skip.
    pub offset: Option<u32>,
    /// Items to return (at most 500).
    pub limit: Option<u32>,
}

const JOB_COLUMNS: &str = "j.job_id, j.creator, j.token, j.data_root, j.metadata_hash, j.task_count, j.reward, j.escrow,
    j.schema_id, j.num_classes, j.claim_duration, j.submit_deadline, j.review_window, j.max_held, j.arbiter_terms, j.block,
    (SELECT COUNT(*) FROM events e WHERE e.job_id = j.job_id AND e.name = 'LabelsSubmitted') AS batches,
    (SELECT COUNT(*) FROM events e WHERE e.job_id = j.job_id AND e.name = 'JobCompleted') AS completed,
    (SELECT COUNT(*) FROM events e WHERE e.job_id = j.job_id AND e.name = 'JobCancelled') AS cancelled";

fn view(s: &AppState, r: &sqlx::any::AnyRow, now: i64) -> Result<JobView, sqlx::Error> {
    let schema: i64 = r.try_get("schema_id")?;
    let deadline: i64 = r.try_get("submit_deadline")?;
    let status = if r.try_get::<i64, _>("completed")? > 0 {
        "completed"
    } else if r.try_get::<i64, _>("cancelled")? > 0 {
        "cancelled"
    } else if deadline <= now {
        "expired"
    } else {
        "open"
    };
    let metadata_hash: String = r.try_get("metadata_hash")?;
    let metadata = metadata_hash
        .parse()
        .ok()
        .and_then(|root| s.store.get(&root).ok())
        .and_then(|b| serde_json::from_slice(&b).ok());
    Ok(JobView {
        id: r.try_get("job_id")?,
        creator: r.try_get("creator")?,
        token: r.try_get("token")?,
        data_root: r.try_get("data_root")?,
        metadata_hash,
        metadata,
        task_count: r.try_get("task_count")?,
        reward_per_task: r.try_get("reward")?,
        escrow: r.try_get("escrow")?,
        schema: market::schema_name(u8::try_from(schema).unwrap_or(255)).to_string(),
        num_classes: r.try_get("num_classes")?,
        claim_duration: r.try_get("claim_duration")?,
        submit_deadline: deadline,
        review_window: r.try_get("review_window")?,
        max_held: r.try_get("max_held")?,
        arbiter_terms: r.try_get("arbiter_terms")?,
        mode: "review".into(),
        status: status.into(),
        batches: r.try_get("batches")?,
        approved: 0,
        stake_required: "0".into(),
        block: r.try_get("block")?,
    })
}

/// The indexed job `id`, or a 404.
pub async fn job(s: &AppState, id: i64) -> ApiResult<JobView> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM jobs j WHERE j.job_id = $1");
    let row = sqlx::query(crate::db::Db::sql(sql))
        .bind(id)
        .fetch_optional(&s.db.pool)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no job {id} (or not indexed yet)")))?;
    let now = i64::try_from(s.rpc.now().await.map_err(ApiError::upstream)?).unwrap_or(i64::MAX);
    let mut v = view(s, &row, now)?;
    v.approved = approved_count(s, id).await?;
    Ok(v)
}

/// Whether job `id` is indexed (a 404 otherwise): the cheap check of the
/// submission path.
pub async fn exists(s: &AppState, id: i64) -> ApiResult<()> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT job_id FROM jobs WHERE job_id = $1")
        .bind(id)
        .fetch_optional(&s.db.pool)
        .await?;
    row.map(|_| ())
        .ok_or_else(|| ApiError::not_found(format!("no job {id} (or not indexed yet)")))
}

async fn approved_count(s: &AppState, id: i64) -> ApiResult<i64> {
    let rows = events_where(s, "job_id = $1 AND name = 'BatchReviewed'", id).await?;
    Ok(rows
        .iter()
        .map(|e| e.fields["approved"].as_i64().unwrap_or(0))
        .sum())
}

/// Jobs, newest first (open ones by default).
#[utoipa::path(get, path = "/api/jobs", tag = "annotator", params(JobFilter),
    responses((status = 200, body = Vec<JobView>), (status = 400, body = crate::error::ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiQuery(f): ApiQuery<JobFilter>,
) -> ApiResult<Json<Vec<JobView>>> {
    let (offset, limit) = Page {
        offset: f.offset,
        limit: f.limit,
    }
    .get();
    let status = f.status.as_deref().unwrap_or("open");
    if !matches!(
        status,
        "open" | "completed" | "cancelled" | "expired" | "all"
    ) {
        return Err(ApiError::bad_request(
            "bad_status",
            "status: open, completed, cancelled, expired or all",
        ));
    }
    let schema = match f.schema.as_deref() {
        Some(name) => Some(market::schema_of(name).ok_or_else(|| {
            ApiError::bad_request("bad_schema", "schema: categorical, bbox, polygon or text")
        })?),
        None => None,
    };
    let creator = f
        .creator
        .as_deref()
        .map(|c| super::parse_address("creator", c).map(crate::state::addr_key))
        .transpose()?;
    let min_reward = f
        .min_reward
        .as_deref()
        .map(|m| super::parse_u256("min_reward", m))
        .transpose()?;
    let sql = format!(
        "SELECT {JOB_COLUMNS} FROM jobs j WHERE ($1 < 0 OR j.schema_id = $1) AND ($2 = '' OR j.creator = $2)
         ORDER BY j.job_id DESC"
    );
    let rows = sqlx::query(crate::db::Db::sql(sql))
        .bind(schema.map_or(-1, i64::from))
        .bind(creator.unwrap_or_default())
        .fetch_all(&s.db.pool)
        .await?;
    let now = i64::try_from(s.rpc.now().await.map_err(ApiError::upstream)?).unwrap_or(i64::MAX);
    let mut out = Vec::new();
    for r in &rows {
        let v = view(&s, r, now)?;
        if status != "all" && v.status != status {
            continue;
        }
        if let Some(min) = min_reward {
            if v.reward_per_task.parse::<U256>().unwrap_or_default() < min {
                continue;
            }
        }
        out.push(v);
    }
    let out = out
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(0))
        .take(usize::try_from(limit).unwrap_or(100))
        .collect();
    Ok(Json(out))
}

/// A job with its live state and dispute terms.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JobDetail {
    /// The indexed job.
    #[serde(flatten)]
    pub job: JobView,
    /// Live from the chain: units reserved (tasks claimed or awaiting
    /// review, each counted by its difficulty weight; 1 without classes).
    pub reserved: u32,
    /// Live: escrow still held.
    pub escrow_held: String,
    /// The bond an annotator puts up to dispute a rejection.
    pub dispute_bond: String,
    /// The arbiter's fee a creator deposits per rejecting batch.
    pub arbiter_fee: String,
    /// The arbiter.
    pub arbiter: String,
    /// Seconds to dispute a rejection.
    pub dispute_window: u32,
    /// Seconds the arbiter has to rule.
    pub ruling_window: u32,
}

/// One job.
#[utoipa::path(get, path = "/api/jobs/{id}", tag = "annotator",
    params(("id" = i64, Path, description = "job id")),
    responses((status = 200, body = JobDetail), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<JobDetail>> {
    let job = job(&s, id).await?;
    let market = s.config.contracts.market;
    let live = s
        .rpc
        .read(
            Program::AnnotationMarket,
            market,
            &IMarket::getJobCall {
                jobId: U256::from(id),
            },
        )
        .await
        .map_err(ApiError::upstream)?;
    let terms = s
        .rpc
        .read(
            Program::AnnotationMarket,
            market,
            &IMarket::disputeTermsCall {
                jobId: U256::from(id),
            },
        )
        .await
        .map_err(ApiError::upstream)?;
    Ok(Json(JobDetail {
        job,
        reserved: live.reserved,
        escrow_held: live.escrow.to_string(),
        dispute_bond: terms.disputeBond.to_string(),
        arbiter_fee: terms.arbiterFee.to_string(),
        arbiter: terms.arbiter.to_checksum(None),
        dispute_window: terms.disputeWindow,
        ruling_window: terms.rulingWindow,
    }))
}

/// One task with its data and state.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TaskView {
    /// Task index.
    pub index: u32,
    /// Path in the uploaded folder.
    pub path: String,
    /// 0G root of the item (verified when fetched).
    pub root: String,
    /// Where to fetch the verified bytes.
    pub url: String,
    /// Bytes.
    pub size: u64,
    /// Image width.
    pub width: Option<u32>,
    /// Image height.
    pub height: Option<u32>,
    /// `free`, `claimed`, `submitted`, `approved`, `rejected`.
    pub state: String,
    /// Who holds or submitted it.
    pub holder: Option<String>,
    /// Claim expiry (chain time).
    pub claim_expires: Option<u64>,
    /// The batch that carries it.
    pub batch_id: Option<String>,
}

/// A task's state, holder, claim expiry and batch.
pub type TaskState = (String, Option<String>, Option<u64>, Option<String>);

/// Task states from a job's events, in order.
pub fn task_states(events: &[EventView], now: u64) -> BTreeMap<u32, TaskState> {
    let mut st: BTreeMap<u32, TaskState> = BTreeMap::new();
    let mut batch_tasks: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let tasks = |v: &serde_json::Value| -> Vec<u32> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(serde_json::Value::as_u64)
                    .filter_map(|t| u32::try_from(t).ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    for e in events {
        let f = &e.fields;
        let who = f["annotator"].as_str().map(str::to_string);
        match e.name.as_str() {
            "TasksClaimed" => {
                let exp = f["expiresAt"].as_u64();
                for t in tasks(&f["tasks"]) {
                    st.insert(t, ("claimed".into(), who.clone(), exp, None));
                }
            }
            "ClaimReleased" => {
                for t in tasks(&f["tasks"]) {
                    st.remove(&t);
                }
            }
            "LabelsSubmitted" => {
                let batch = f["batchId"].as_str().map(str::to_string);
                let ts = tasks(&f["tasks"]);
                for &t in &ts {
                    st.insert(t, ("submitted".into(), who.clone(), None, batch.clone()));
                }
                if let Some(b) = batch {
                    batch_tasks.insert(b, ts);
                }
            }
            "BatchReviewed" => {
                let batch = f["batchId"].as_str().unwrap_or_default().to_string();
                let verdicts = f["verdicts"]
                    .as_str()
                    .and_then(|h| alloy_primitives::hex::decode(h).ok())
                    .unwrap_or_default();
                for (i, t) in batch_tasks
                    .get(&batch)
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                {
                    let rejected = verdicts.get(i).copied().unwrap_or(0) != 0;
                    if let Some(entry) = st.get_mut(t) {
                        entry.0 = if rejected { "rejected" } else { "approved" }.into();
                    }
                }
            }
            "RejectionSettled" => {
                let batch = f["batchId"].as_str().unwrap_or_default().to_string();
                let outcome = f["outcome"].as_u64().unwrap_or(0);
                for t in batch_tasks.get(&batch).cloned().unwrap_or_default() {
                    if st.get(&t).is_some_and(|e| e.0 == "rejected") {
                        if outcome == u64::from(market::OUTCOME_OVERTURNED)
                            || outcome == u64::from(market::OUTCOME_UNRULED)
                        {
                            if let Some(e) = st.get_mut(&t) {
                                e.0 = "approved".into();
                            }
                        } else {
                            st.remove(&t);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    st.retain(|_, e| e.0 != "claimed" || e.2.is_none_or(|x| x > now));
    st
}

/// The job's manifest from the store.
pub fn manifest(s: &AppState, data_root: &str) -> ApiResult<labelmint_storage::Manifest> {
    let root = parse_root(data_root)?;
    let bytes = s.store.get(&root).map_err(|_| {
        ApiError::not_found(format!(
            "the task manifest {root} is not in this server's store"
        ))
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::unprocessable(
            "bad_manifest",
            format!("{root} is not a task manifest: {e}"),
        )
    })
}

/// A job's tasks with their data (verified by root) and state.
#[utoipa::path(get, path = "/api/jobs/{id}/tasks", tag = "annotator",
    params(("id" = i64, Path, description = "job id"), Page),
    responses((status = 200, body = Vec<TaskView>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn tasks(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Vec<TaskView>>> {
    let job = job(&s, id).await?;
    let manifest = manifest(&s, &job.data_root)?;
    let events = events_where(&s, super::MARKET_JOB_EVENTS, id).await?;
    let now = s.rpc.now().await.map_err(ApiError::upstream)?;
    let states = task_states(&events, now);
    let (offset, limit) = page.get();
    let out = manifest
        .tasks
        .iter()
        .skip(usize::try_from(offset).unwrap_or(0))
        .take(usize::try_from(limit).unwrap_or(100))
        .map(|t| {
            let st = states.get(&t.index);
            TaskView {
                index: t.index,
                path: t.path.clone(),
                root: format!("{:#x}", t.root),
                url: format!("/api/data/{:#x}", t.root),
                size: t.size,
                width: t.width,
                height: t.height,
                state: st.map_or_else(|| "free".to_string(), |e| e.0.clone()),
                holder: st.and_then(|e| e.1.clone()),
                claim_expires: st.and_then(|e| e.2),
                batch_id: st.and_then(|e| e.3.clone()),
            }
        })
        .collect();
    Ok(Json(out))
}

/// `POST /api/jobs/{id}/batches/prepare` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrepareBatch {
    /// Task ids, ascending.
    pub task_ids: Vec<u32>,
    /// One label per task: a class number (categorical jobs), or
    /// `{"shapes": [{"category": c, "shape": {"bbox": [x, y, w, h]}}]}` /
    /// `{"shapes": [{"category": c, "shape": {"polygon": [[x, y], …]}}]}` /
    /// `{"text": "…"}`.
    #[schema(value_type = Vec<Object>)]
    pub labels: Vec<serde_json::Value>,
    /// Seconds the signature stays valid (default 1 hour, at most 7 days).
    pub valid_for_secs: Option<u64>,
}

/// What to sign for a batch.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PreparedBatch {
    /// EIP-712 typed data, exactly what the market verifies (for
    /// `eth_signTypedData_v4`; uint256 values as decimal strings).
    #[schema(value_type = Object)]
    pub typed_data: serde_json::Value,
    /// The digest the signature covers.
    pub digest: String,
    /// The batch payload (class bytes, or the 0G root of the stored labels).
    pub payload: String,
    /// An unused nonce of the annotator (unordered: any unused bit).
    pub nonce: String,
    /// Signature deadline (chain time).
    pub deadline: u64,
    /// The body to `POST /api/submissions` once `signature` is filled in.
    #[schema(value_type = Object)]
    pub submission: serde_json::Value,
}

/// The EIP-712 typed data of a `SubmitBatch`.
pub fn typed_data(market: Address, chain_id: u64, b: &SubmitBatch) -> serde_json::Value {
    json!({
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}
            ],
            "SubmitBatch": [
                {"name": "annotator", "type": "address"}, {"name": "jobId", "type": "uint256"},
                {"name": "taskIds", "type": "uint32[]"}, {"name": "payload", "type": "bytes"},
                {"name": "nonce", "type": "uint256"}, {"name": "deadline", "type": "uint256"}
            ]
        },
        "primaryType": "SubmitBatch",
        "domain": {
            "name": market::DOMAIN_NAME, "version": market::DOMAIN_VERSION,
            "chainId": chain_id, "verifyingContract": market.to_checksum(None)
        },
        "message": {
            "annotator": b.annotator.to_checksum(None), "jobId": b.jobId.to_string(),
            "taskIds": b.taskIds, "payload": b.payload.to_string(),
            "nonce": b.nonce.to_string(), "deadline": b.deadline.to_string()
        }
    })
}

/// An unused unordered nonce of `annotator`: random, checked against the
/// market's bitmap and this server's outbox.
pub async fn fresh_nonce(s: &AppState, annotator: Address) -> ApiResult<U256> {
    for _ in 0..8 {
        let r = alloy_primitives::B256::random();
        let nonce = U256::from(u64::from_be_bytes(r[..8].try_into().unwrap_or_default()));
        let word = nonce >> 8;
        let bit = nonce.as_limbs()[0] & 0xff;
        let bitmap = s
            .rpc
            .read(
                Program::AnnotationMarket,
                s.config.contracts.market,
                &IMarket::nonceBitmapCall {
                    annotator,
                    wordPos: word,
                },
            )
            .await
            .map_err(ApiError::upstream)?;
        if bitmap.bit(usize::try_from(bit).unwrap_or(0)) {
            continue;
        }
        let taken: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM submissions WHERE annotator = $1 AND nonce = $2")
                .bind(crate::state::addr_key(annotator))
                .bind(nonce.to_string())
                .fetch_optional(&s.db.pool)
                .await?;
        if taken.is_none() {
            return Ok(nonce);
        }
    }
    Err(ApiError::internal("no unused nonce found"))
}

/// The payload of `labels` for a job of `schema`; geometry and text labels
/// are stored as a batch file whose 0G root is the payload.
pub async fn payload_of(
    s: &AppState,
    job: &JobView,
    annotator: Address,
    task_ids: &[u32],
    labels: &[serde_json::Value],
) -> ApiResult<Bytes> {
    if labels.len() != task_ids.len() {
        return Err(ApiError::bad_request(
            "bad_labels",
            format!("{} labels for {} tasks", labels.len(), task_ids.len()),
        ));
    }
    if job.schema == "categorical" {
        let classes: Vec<u8> = labels
            .iter()
            .map(|l| {
                l.as_u64()
                    .and_then(|c| u8::try_from(c).ok())
                    .filter(|&c| i64::from(c) < job.num_classes)
                    .ok_or_else(|| {
                        ApiError::bad_request(
                            "bad_labels",
                            format!("{l} is not a class of this job (0..{})", job.num_classes),
                        )
                    })
            })
            .collect::<ApiResult<_>>()?;
        return Ok(classes.into());
    }
    let labels: Vec<TaskLabel> = labels
        .iter()
        .map(|l| serde_json::from_value(l.clone()))
        .collect::<Result<_, _>>()
        .map_err(|e| {
            ApiError::bad_request(
                "bad_labels",
                format!("each label must be {{\"shapes\": [...]}} or {{\"text\": \"...\"}}: {e}"),
            )
        })?;
    let file = BatchFile {
        job_id: u64::try_from(job.id).unwrap_or(0),
        annotator,
        tasks: task_ids.to_vec(),
        labels,
    };
    let bytes = serde_json::to_vec(&file).map_err(ApiError::internal)?;
    let size = bytes.len() as u64;
    let store = s.store.clone();
    let root = tokio::task::spawn_blocking(move || store.put(&bytes))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let mut tx = s.db.pool.begin().await?;
    super::data::mark_public(&mut tx, root, "batch", size).await?;
    tx.commit().await?;
    Ok(Bytes::from(root.to_vec()))
}

/// The typed data to sign for a batch (the signed-in annotator's).
#[utoipa::path(post, path = "/api/jobs/{id}/batches/prepare", tag = "annotator",
    params(("id" = i64, Path, description = "job id")), request_body = PrepareBatch,
    responses((status = 200, body = PreparedBatch), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn prepare_batch(
    State(s): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<PrepareBatch>,
) -> ApiResult<Json<PreparedBatch>> {
    if req.task_ids.is_empty() || req.task_ids.len() > market::MAX_BATCH {
        return Err(ApiError::bad_request(
            "bad_batch",
            format!("1 to {} tasks per batch", market::MAX_BATCH),
        ));
    }
    let job = job(&s, id).await?;
    let payload = payload_of(&s, &job, session.address, &req.task_ids, &req.labels).await?;
    let nonce = fresh_nonce(&s, session.address).await?;
    let valid = req.valid_for_secs.unwrap_or(3600).clamp(60, 7 * 24 * 3600);
    let deadline = s.rpc.now().await.map_err(ApiError::upstream)? + valid;
    let batch = SubmitBatch {
        annotator: session.address,
        jobId: U256::from(id),
        taskIds: req.task_ids.clone(),
        payload: payload.clone(),
        nonce,
        deadline: U256::from(deadline),
    };
    let market = s.config.contracts.market;
    let digest = batch_digest(market, s.rpc.chain_id, &batch);
    debug_assert_eq!(
        digest,
        batch.eip712_signing_hash(&market::domain(market, s.rpc.chain_id))
    );
    Ok(Json(PreparedBatch {
        typed_data: typed_data(market, s.rpc.chain_id, &batch),
        digest: format!("{digest:#x}"),
        payload: payload.to_string(),
        nonce: nonce.to_string(),
        deadline,
        submission: json!({
            "job_id": id, "task_ids": req.task_ids, "payload": payload.to_string(),
            "nonce": nonce.to_string(), "deadline": deadline, "signature": "0x…"
        }),
    }))
}
