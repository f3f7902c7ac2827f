//! Creator API: uploads (folder or ZIP → manifest and data root), the
//! unsigned transactions to create, review, dispute, settle and cancel, the
//! review queue with decoded labels, the audit report and the job's events.

use std::{
    io::{Read, Write},
    path::{Component, Path, PathBuf},
};

use alloy_primitives::{Address, Bytes, B256, U256};
use axum::{
    extract::{FromRequest, Multipart, Request, State},
    http::header,
    response::IntoResponse,
    Json,
};
use labelmint_client::{
    market::{self, review_batches_call, settle_rejections_call, Batch, IMarket, Rejection},
    revert::Program,
};
use labelmint_quality::audit::{audit as run_audit, AuditConfig, BatchFile, JobKind, OnChainBatch};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::{events_where, jobs, parse_u256, too_many, EventView, UnsignedTx};
use crate::{
    auth::Session,
    error::{ApiError, ApiResult},
    extract::{ApiJson, ApiPath},
    state::{addr_key, AppState},
};

/// Most files in one upload.
const MAX_FILES: usize = 20_000;

/// What an upload became.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UploadResult {
    /// The manifest's 0G root: `createJob`'s data root.
    pub data_root: String,
    /// `images` or `text`.
    pub kind: String,
    /// Tasks.
    pub tasks: usize,
    /// Each task's item.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<serde_json::Value>,
}

/// A path inside the upload folder, or `None` when it would leave it.
fn safe_relative(name: &str) -> Option<PathBuf> {
    let p = Path::new(name);
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(x) => out.push(x),
            Component::CurDir => {}
            _ => return None,
        }
    }
    let skip = out
        .components()
        .any(|c| c.as_os_str().to_string_lossy().starts_with('.') || c.as_os_str() == "__MACOSX");
    (!out.as_os_str().is_empty() && !skip).then_some(out)
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write_file(dir: &Path, rel: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::File::create(path)?.write_all(bytes)
}

fn unzip(dir: &Path, bytes: &[u8], limit: u64) -> ApiResult<usize> {
    let bad = |m: String| ApiError::bad_request("bad_zip", m);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| bad(format!("not a ZIP file: {e}")))?;
    if zip.len() > MAX_FILES {
        return Err(bad(format!("{} entries; at most {MAX_FILES}", zip.len())));
    }
    let mut total = 0u64;
    let mut files = 0;
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| bad(format!("entry {i}: {e}")))?;
        if entry.is_dir() {
            continue;
        }
        let Some(rel) = entry
            .enclosed_name()
            .and_then(|p| safe_relative(&p.to_string_lossy()))
        else {
            continue;
        };
        let mut data = Vec::new();
        let room = limit.saturating_sub(total);
        (&mut entry)
            .take(room + 1)
            .read_to_end(&mut data)
            .map_err(|e| bad(format!("{}: {e}", rel.display())))?;
        total += data.len() as u64;
        if total > limit {
            return Err(ApiError::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "upload_too_large",
                format!("the ZIP expands beyond {limit} bytes"),
            ));
        }
        write_file(dir, &rel, &data).map_err(ApiError::internal)?;
        files += 1;
    }
    Ok(files)
}

/// Uploads a folder (multipart, one part per file, the file name its
/// relative path) or a ZIP (`Content-Type: application/zip`) of images or
/// texts; stores every item and the manifest; answers the data root.
#[utoipa::path(post, path = "/api/uploads", tag = "creator",
    request_body(content = Vec<u8>, description = "a ZIP (application/zip) or files (multipart/form-data)", content_type = "application/zip"),
    responses((status = 200, body = UploadResult), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
#[allow(clippy::too_many_lines)]
pub async fn upload(
    State(s): State<AppState>,
    session: Session,
    req: Request,
) -> ApiResult<axum::response::Response> {
    if let Err(wait) = s.address_limiter.check(&addr_key(session.address)) {
        return Ok(too_many(wait));
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let dir = TempDir(s.config.store_dir.join("tmp").join(format!(
        "upload-{}",
        alloy_primitives::hex::encode(&B256::random()[..8])
    )));
    std::fs::create_dir_all(&dir.0).map_err(ApiError::internal)?;
    let limit = s.config.upload_limit as u64;
    let files = if content_type.starts_with("multipart/form-data") {
        let mut mp = Multipart::from_request(req, &s)
            .await
            .map_err(|e| ApiError::bad_request("bad_multipart", e.body_text()))?;
        let mut n = 0;
        while let Some(field) = mp.next_field().await.map_err(|e| {
            ApiError::new(
                e.status(),
                if e.status() == 413 {
                    "body_too_large"
                } else {
                    "bad_multipart"
                },
                e.body_text(),
            )
        })? {
            let name = field
                .file_name()
                .or(field.name())
                .unwrap_or_default()
                .to_string();
            let data = field.bytes().await.map_err(|e| {
                ApiError::new(
                    e.status(),
                    if e.status() == 413 {
                        "body_too_large"
                    } else {
                        "bad_multipart"
                    },
                    e.body_text(),
                )
            })?;
            let Some(rel) = safe_relative(&name) else {
                continue;
            };
            n += 1;
            if n > MAX_FILES {
                return Err(ApiError::bad_request(
                    "too_many_files",
                    format!("at most {MAX_FILES} files"),
                ));
            }
            write_file(&dir.0, &rel, &data).map_err(ApiError::internal)?;
        }
        n
    } else if content_type.starts_with("application/zip")
        || content_type.starts_with("application/x-zip")
    {
        let body = axum::body::Bytes::from_request(req, &s)
            .await
            .map_err(|e| {
                ApiError::new(
                    e.status(),
                    if e.status() == 413 {
                        "body_too_large"
                    } else {
                        "bad_body"
                    },
                    e.body_text(),
                )
            })?;
        let path = dir.0.clone();
        tokio::task::spawn_blocking(move || unzip(&path, &body, limit))
            .await
            .map_err(ApiError::internal)??
    } else {
        return Err(ApiError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send application/zip or multipart/form-data",
        ));
    };
    if files == 0 {
        return Err(ApiError::bad_request(
            "empty_upload",
            "no files in the upload",
        ));
    }
    let store = s.store.clone();
    let path = dir.0.clone();
    let (manifest, root) =
        tokio::task::spawn_blocking(move || labelmint_storage::build_manifest(&path, Some(&store)))
            .await
            .map_err(ApiError::internal)?
            .map_err(|e| ApiError::unprocessable("bad_upload", e.to_string()))?;
    let manifest_size = manifest.to_bytes().len() as u64;
    let mut tx = s.db.pool.begin().await?;
    super::data::mark_public(&mut tx, root, "manifest", manifest_size).await?;
    for t in &manifest.tasks {
        super::data::mark_public(&mut tx, t.root, "item", t.size).await?;
    }
    tx.commit().await?;
    let kind = serde_json::to_value(manifest.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    Ok(Json(UploadResult {
        data_root: format!("{root:#x}"),
        kind,
        tasks: manifest.tasks.len(),
        items: manifest
            .tasks
            .iter()
            .map(|t| json!({"index": t.index, "path": t.path, "root": format!("{:#x}", t.root), "size": t.size, "width": t.width, "height": t.height}))
            .collect(),
    })
    .into_response())
}

/// `POST /api/jobs/prepare` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrepareJob {
    /// The data root of an upload (its manifest must be in this server's store).
    pub data_root: String,
    /// Reward per approved task, in wei.
    pub reward_per_task: String,
    /// `categorical` (default), `bbox`, `polygon`, `text`.
    pub schema: Option<String>,
    /// Class names (their count is the job's `numClasses`).
    pub classes: Vec<String>,
    /// A title.
    pub title: Option<String>,
    /// Instructions for annotators.
    pub instructions: Option<String>,
    /// Seconds a claim lasts (default 30 minutes).
    pub claim_secs: Option<u32>,
    /// Seconds until the submission deadline (default 7 days).
    pub deadline_secs: Option<u64>,
    /// Seconds to review each batch (default 3 days).
    pub review_secs: Option<u32>,
    /// Most tasks one annotator may hold (default 256).
    pub max_held: Option<u16>,
    /// Arbiter terms id (default 1 for ETH, 2 for the RewardToken).
    pub arbiter_terms: Option<u32>,
    /// The escrow's currency: the zero address or absent for ETH, or the
    /// RewardToken's address (then `permit` is required).
    pub token: Option<String>,
    /// For a RewardToken escrow: the creator's EIP-2612 permit to the market
    /// for exactly the escrow (`POST /api/permits/prepare` gives the typed
    /// data to sign); the transaction is then `createJobWithPermit`.
    pub permit: Option<super::permit::PermitSignature>,
    /// Difficulty classes over the manifest's task order (ETH escrow only):
    /// a task of weight `w` escrows, pays and counts `w` labels; the
    /// transaction is then `createWeightedJob`.
    pub difficulty: Option<Vec<super::hub_creator::DifficultyClass>>,
}

/// A prepared job creation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PreparedJob {
    /// The transaction (value = escrow).
    pub tx: UnsignedTx,
    /// Tasks in the manifest.
    pub task_count: u32,
    /// Σ tasks × difficulty weight (the task count without classes): the
    /// escrow is the reward times this.
    pub units: u64,
    /// The escrow.
    pub escrow: String,
    /// The stored description's root (the job's metadata hash).
    pub metadata_hash: String,
}

/// The `createJob` transaction for an uploaded folder, with the escrow as
/// value; the description is stored and its root is the metadata hash.
/// With `token` the RewardToken, the escrow is pulled with the creator's
/// EIP-2612 permit instead (`createJobWithPermit`): an expired permit is
/// `422 permit_expired`, one that is not the creator's signature for the
/// escrow to the market `422 permit_invalid`, none `400 permit_required`,
/// another token `400 unsupported_token`, a wallet short of the escrow `422
/// insufficient_tokens`. With `difficulty` classes the transaction is
/// `createWeightedJob` and the escrow `reward × units` (bad classes `422
/// invalid_parameter` naming `difficulty`; with a token `400
/// unsupported_token`).
#[utoipa::path(post, path = "/api/jobs/prepare", tag = "creator", request_body = PrepareJob,
    responses((status = 200, body = PreparedJob), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_job(
    State(s): State<AppState>,
    session: Session,
    ApiJson(req): ApiJson<PrepareJob>,
) -> ApiResult<Json<PreparedJob>> {
    let manifest = jobs::manifest(&s, &req.data_root)?;
    let data_root = super::data::parse_root(&req.data_root)?;
    let schema_name = req.schema.as_deref().unwrap_or("categorical");
    let schema = market::schema_of(schema_name).ok_or_else(|| {
        ApiError::bad_request("bad_schema", "schema: categorical, bbox, polygon or text")
    })?;
    let reward = parse_u256("reward_per_task", &req.reward_per_task)?;
    let reward: u128 = reward
        .try_into()
        .map_err(|_| ApiError::bad_request("bad_amount", "reward_per_task is too large"))?;
    let classes = u16::try_from(req.classes.len())
        .map_err(|_| ApiError::bad_request("bad_classes", "too many classes"))?;
    let tasks = u32::try_from(manifest.tasks.len())
        .map_err(|_| ApiError::bad_request("bad_upload", "too many tasks"))?;
    let token = match req.token.as_deref() {
        None => Address::ZERO,
        Some(t) => super::parse_address("token", t)?,
    };
    let (units, difficulty) = review_units(req.difficulty.as_deref(), tasks, token)?;
    let escrow = U256::from(reward) * U256::from(units);
    let permit = escrow_permit(&s, session.address, token, escrow, req.permit.as_ref()).await?;
    let metadata = json!({
        "title": req.title, "instructions": req.instructions, "classes": req.classes,
        "schema": schema_name, "data_root": format!("{data_root:#x}"), "difficulty": req.difficulty,
    });
    let bytes = serde_json::to_vec(&metadata).map_err(ApiError::internal)?;
    let size = bytes.len() as u64;
    let metadata_hash = s.store.put(&bytes).map_err(ApiError::internal)?;
    let mut tx = s.db.pool.begin().await?;
    super::data::mark_public(&mut tx, metadata_hash, "metadata", size).await?;
    tx.commit().await?;
    let now = s.rpc.now().await.map_err(ApiError::upstream)?;
    let call = IMarket::createJobCall {
        dataRoot: data_root,
        metadataHash: metadata_hash,
        token,
        rewardPerTask: reward,
        taskCount: tasks,
        schema,
        numClasses: classes,
        claimDuration: req.claim_secs.unwrap_or(0),
        submitDeadline: now + req.deadline_secs.unwrap_or(7 * 24 * 3600),
        reviewWindow: req.review_secs.unwrap_or(3 * 24 * 3600),
        maxHeld: req.max_held.unwrap_or(256),
        arbiterTerms: req.arbiter_terms.unwrap_or(if token.is_zero() {
            market::DEFAULT_ETH_TERMS
        } else {
            market::DEFAULT_TOKEN_TERMS
        }),
    };
    let tx = match (permit, difficulty) {
        (None, Some(packed)) => {
            let weighted = labelmint_client::market::weighted(&call, packed);
            UnsignedTx::market_call(&s, session.address, &weighted, escrow).await?
        }
        (None, None) => UnsignedTx::market_call(&s, session.address, &call, escrow).await?,
        (Some(p), _) => {
            let with = IMarket::createJobWithPermitCall {
                dataRoot: call.dataRoot,
                metadataHash: call.metadataHash,
                token: call.token,
                rewardPerTask: call.rewardPerTask,
                taskCount: call.taskCount,
                schema: call.schema,
                numClasses: call.numClasses,
                claimDuration: call.claimDuration,
                submitDeadline: call.submitDeadline,
                reviewWindow: call.reviewWindow,
                maxHeld: call.maxHeld,
                arbiterTerms: call.arbiterTerms,
                permit: labelmint_client::permit_blob(&p).into(),
            };
            UnsignedTx::market_call(&s, session.address, &with, U256::ZERO).await?
        }
    };
    Ok(Json(PreparedJob {
        tx,
        task_count: tasks,
        units,
        escrow: escrow.to_string(),
        metadata_hash: format!("{metadata_hash:#x}"),
    }))
}

/// The units of a review job of `tasks` tasks (`Σ tasks × weight`) and its
/// packed difficulty classes: the task count and none without classes;
/// classes need an ETH escrow and units that fit the market's counters.
fn review_units(
    classes: Option<&[super::hub_creator::DifficultyClass]>,
    tasks: u32,
    token: Address,
) -> ApiResult<(u64, Option<alloy_primitives::Bytes>)> {
    let Some(classes) = classes else {
        return Ok((u64::from(tasks), None));
    };
    if !token.is_zero() {
        return Err(ApiError::bad_request(
            "unsupported_token",
            "difficulty classes need an ETH escrow (createWeightedJob takes no permit)",
        ));
    }
    let (units, _, packed) = super::hub_creator::difficulty_units(classes, tasks)?;
    if units > u64::from(u32::MAX) {
        return Err(super::hub_creator::invalid(
            "difficulty",
            format!("{units} units (tasks × weight) exceed the market's 2^32 − 1"),
        ));
    }
    Ok((units, Some(packed)))
}

/// A job's batches as the events record them.
pub async fn batches(s: &AppState, job: i64) -> ApiResult<Vec<(Batch, Bytes, EventView)>> {
    let events = events_where(s, "job_id = $1 AND name = 'LabelsSubmitted'", job).await?;
    Ok(events
        .into_iter()
        .filter_map(|e| {
            let f = &e.fields;
            let batch = Batch {
                job: U256::from(job),
                id: f["batchId"].as_str()?.parse().ok()?,
                annotator: f["annotator"].as_str()?.parse().ok()?,
                submitted_at: f["submittedAt"].as_u64()?,
                tasks: serde_json::from_value(f["tasks"].clone()).ok()?,
            };
            let payload: Bytes = f["payload"].as_str()?.parse().ok()?;
            Some((batch, payload, e))
        })
        .collect())
}

/// One task's label in a batch.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LabelView {
    /// The task.
    pub task: u32,
    /// Where its data is.
    pub url: Option<String>,
    /// The label: a class number and name, or shapes, or text.
    #[schema(value_type = Object)]
    pub label: serde_json::Value,
}

/// A batch waiting for review.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QueuedBatch {
    /// Batch id.
    pub batch_id: String,
    /// Its annotator.
    pub annotator: String,
    /// Submission time (chain).
    pub submitted_at: u64,
    /// The review window ends (chain time); after it anyone may approve.
    pub review_ends: u64,
    /// Transaction that submitted it.
    pub tx_hash: String,
    /// Each task's label, decoded.
    pub labels: Vec<LabelView>,
    /// Whether the labels were verified against the on-chain payload
    /// (categorical: the bytes themselves; others: the stored file's root).
    pub verified: bool,
    /// The consensus over the same tasks, where there is one (consensus
    /// jobs; `null` in review mode, one annotator per task).
    #[schema(value_type = Option<Object>)]
    pub consensus: Option<serde_json::Value>,
}

/// Decodes a batch's labels: class bytes, or the stored batch file checked
/// against its root.
pub fn decode_labels(
    s: &AppState,
    job: &jobs::JobView,
    batch: &Batch,
    payload: &[u8],
    urls: &std::collections::BTreeMap<u32, String>,
) -> (Vec<LabelView>, bool) {
    let names: Vec<String> = job
        .metadata
        .as_ref()
        .and_then(|m| serde_json::from_value(m["classes"].clone()).ok())
        .unwrap_or_default();
    if job.schema == "categorical" {
        let verified = payload.len() == batch.tasks.len();
        let labels = batch
            .tasks
            .iter()
            .zip(payload.iter().map(Some).chain(std::iter::repeat(None)))
            .map(|(&t, c)| LabelView {
                task: t,
                url: urls.get(&t).cloned(),
                label: json!({"class": c, "name": c.and_then(|c| names.get(usize::from(*c)))}),
            })
            .collect();
        return (labels, verified);
    }
    let file = (payload.len() == 32)
        .then(|| B256::from_slice(payload))
        .and_then(|root| s.store.get(&root).ok())
        .and_then(|b| serde_json::from_slice::<BatchFile>(&b).ok())
        .filter(|f| f.tasks == batch.tasks && f.annotator == batch.annotator);
    match file {
        Some(f) => (
            f.tasks
                .iter()
                .zip(&f.labels)
                .map(|(&t, l)| LabelView {
                    task: t,
                    url: urls.get(&t).cloned(),
                    label: serde_json::to_value(l).unwrap_or_default(),
                })
                .collect(),
            true,
        ),
        None => (
            batch
                .tasks
                .iter()
                .map(|&t| LabelView {
                    task: t,
                    url: urls.get(&t).cloned(),
                    label: serde_json::Value::Null,
                })
                .collect(),
            false,
        ),
    }
}

/// Batches waiting for the creator's review, labels decoded.
#[utoipa::path(get, path = "/api/jobs/{id}/review-queue", tag = "creator",
    params(("id" = i64, Path, description = "job id")),
    responses((status = 200, body = Vec<QueuedBatch>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn review_queue(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<QueuedBatch>>> {
    let job = jobs::job(&s, id).await?;
    let reviewed: std::collections::BTreeSet<String> =
        events_where(&s, "job_id = $1 AND name = 'BatchReviewed'", id)
            .await?
            .iter()
            .filter_map(|e| e.fields["batchId"].as_str().map(str::to_string))
            .collect();
    let urls: std::collections::BTreeMap<u32, String> = jobs::manifest(&s, &job.data_root)
        .map(|m| {
            m.tasks
                .iter()
                .map(|t| (t.index, format!("/api/data/{:#x}", t.root)))
                .collect()
        })
        .unwrap_or_default();
    let window = u64::try_from(job.review_window).unwrap_or(0);
    let mut out = Vec::new();
    for (batch, payload, e) in batches(&s, id).await? {
        if reviewed.contains(&batch.id.to_string()) {
            continue;
        }
        let (labels, verified) = decode_labels(&s, &job, &batch, &payload, &urls);
        out.push(QueuedBatch {
            batch_id: batch.id.to_string(),
            annotator: batch.annotator.to_checksum(None),
            submitted_at: batch.submitted_at,
            review_ends: batch.submitted_at + window,
            tx_hash: e.tx_hash,
            labels,
            verified,
            consensus: None,
        });
    }
    Ok(Json(out))
}

/// One batch's verdicts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Verdict {
    /// The batch.
    pub batch_id: String,
    /// One byte per task in batch order: 0 approves, any other value rejects
    /// with that reason code. Empty or absent: approve the whole batch.
    pub verdicts: Option<Vec<u8>>,
}

/// `POST /api/jobs/{id}/review/prepare` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrepareReview {
    /// Up to 32 batches.
    pub batches: Vec<Verdict>,
}

/// The `reviewBatches` transaction (the creator; or anyone approving after
/// the review window), with the arbiter fee deposit for each rejecting
/// batch of an ETH job.
#[utoipa::path(post, path = "/api/jobs/{id}/review/prepare", tag = "creator",
    params(("id" = i64, Path, description = "job id")), request_body = PrepareReview,
    responses((status = 200, body = UnsignedTx), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_review(
    State(s): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<PrepareReview>,
) -> ApiResult<Json<UnsignedTx>> {
    if req.batches.is_empty() || req.batches.len() > market::MAX_BATCHES {
        return Err(ApiError::bad_request(
            "bad_batches",
            format!("1 to {} batches", market::MAX_BATCHES),
        ));
    }
    let job = jobs::job(&s, id).await?;
    let all = batches(&s, id).await?;
    let mut chosen = Vec::new();
    let mut verdicts = Vec::new();
    let mut rejecting = 0u64;
    let any_verdicts = req
        .batches
        .iter()
        .any(|b| b.verdicts.as_ref().is_some_and(|v| !v.is_empty()));
    for v in &req.batches {
        let (b, _, _) = all
            .iter()
            .find(|(b, _, _)| b.id.to_string() == v.batch_id)
            .ok_or_else(|| ApiError::not_found(format!("no batch {} in job {id}", v.batch_id)))?;
        let per_task = match v.verdicts.as_ref().filter(|x| !x.is_empty()) {
            Some(x) if x.len() == b.tasks.len() => x.clone(),
            Some(x) => {
                return Err(ApiError::bad_request(
                    "bad_verdicts",
                    format!(
                        "batch {} has {} tasks, {} verdicts given",
                        v.batch_id,
                        b.tasks.len(),
                        x.len()
                    ),
                ))
            }
            None => vec![0; b.tasks.len()],
        };
        if per_task.iter().any(|&x| x != 0) {
            rejecting += 1;
        }
        if any_verdicts {
            verdicts.extend(per_task);
        }
        chosen.push(b.clone());
    }
    let value = if job.token == addr_key(Address::ZERO) && rejecting > 0 {
        let terms = s
            .rpc
            .read(
                Program::AnnotationMarket,
                s.config.contracts.market,
                &IMarket::disputeTermsCall {
                    jobId: U256::from(id),
                },
            )
            .await
            .map_err(ApiError::upstream)?;
        U256::from(terms.arbiterFee) * U256::from(rejecting)
    } else {
        U256::ZERO
    };
    let call = review_batches_call(&chosen, &verdicts);
    let tx = UnsignedTx::market_call(&s, session.address, &call, value).await?;
    Ok(Json(tx))
}

/// The rejection of `batch_id` in job `id` as the events record it.
pub async fn rejection(s: &AppState, id: i64, batch_id: &str) -> ApiResult<Rejection> {
    let all = batches(s, id).await?;
    let (batch, _, _) = all
        .iter()
        .find(|(b, _, _)| b.id.to_string() == batch_id)
        .ok_or_else(|| ApiError::not_found(format!("no batch {batch_id} in job {id}")))?;
    let reviews = events_where(s, "job_id = $1 AND name = 'BatchReviewed'", id).await?;
    let review = reviews
        .iter()
        .find(|e| {
            e.fields["batchId"].as_str() == Some(batch_id)
                && e.fields["rejected"].as_u64().unwrap_or(0) > 0
        })
        .ok_or_else(|| {
            ApiError::conflict("not_rejected", format!("batch {batch_id} has no rejection"))
        })?;
    let verdicts: Bytes = review.fields["verdicts"]
        .as_str()
        .unwrap_or("0x")
        .parse()
        .unwrap_or_default();
    let mut r = Rejection {
        job: U256::from(id),
        batch: batch.id,
        annotator: batch.annotator,
        at: review.fields["reviewedAt"].as_u64().unwrap_or(0),
        tasks: batch
            .tasks
            .iter()
            .zip(verdicts.iter())
            .filter(|(_, &v)| v != 0)
            .map(|(&t, _)| t)
            .collect(),
        disputed: false,
    };
    let disputes = events_where(s, "job_id = $1 AND name = 'RejectionDisputed'", id).await?;
    if let Some(d) = disputes
        .iter()
        .find(|e| e.fields["batchId"].as_str() == Some(batch_id))
    {
        r.at = d.fields["disputedAt"].as_u64().unwrap_or(r.at);
        r.disputed = true;
    }
    Ok(r)
}

/// `POST /api/jobs/{id}/dispute/prepare` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrepareDispute {
    /// The rejected batch.
    pub batch_id: String,
}

/// The `disputeRejection` transaction (the annotator), bonding the job's
/// dispute bond (ETH jobs).
#[utoipa::path(post, path = "/api/jobs/{id}/dispute/prepare", tag = "creator",
    params(("id" = i64, Path, description = "job id")), request_body = PrepareDispute,
    responses((status = 200, body = UnsignedTx), (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_dispute(
    State(s): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<PrepareDispute>,
) -> ApiResult<Json<UnsignedTx>> {
    let job = jobs::job(&s, id).await?;
    let r = rejection(&s, id, &req.batch_id).await?;
    let value = if job.token == addr_key(Address::ZERO) {
        let terms = s
            .rpc
            .read(
                Program::AnnotationMarket,
                s.config.contracts.market,
                &IMarket::disputeTermsCall {
                    jobId: U256::from(id),
                },
            )
            .await
            .map_err(ApiError::upstream)?;
        U256::from(terms.disputeBond)
    } else {
        U256::ZERO
    };
    let tx = UnsignedTx::market_call(&s, session.address, &r.dispute_call(), value).await?;
    Ok(Json(tx))
}

/// `POST /api/jobs/{id}/settle/prepare` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrepareSettle {
    /// Rejected batches whose dispute or ruling window has passed.
    pub batch_ids: Vec<String>,
}

/// The `settleRejections` transaction (anyone, once the windows passed).
#[utoipa::path(post, path = "/api/jobs/{id}/settle/prepare", tag = "creator",
    params(("id" = i64, Path, description = "job id")), request_body = PrepareSettle,
    responses((status = 200, body = UnsignedTx), (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_settle(
    State(s): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<PrepareSettle>,
) -> ApiResult<Json<UnsignedTx>> {
    if req.batch_ids.is_empty() || req.batch_ids.len() > market::MAX_BATCHES {
        return Err(ApiError::bad_request(
            "bad_batches",
            format!("1 to {} batches", market::MAX_BATCHES),
        ));
    }
    let mut rs = Vec::new();
    for b in &req.batch_ids {
        rs.push(rejection(&s, id, b).await?);
    }
    let tx = UnsignedTx::market_call(
        &s,
        session.address,
        &settle_rejections_call(&rs),
        U256::ZERO,
    )
    .await?;
    Ok(Json(tx))
}

/// The `cancelJob` transaction (the creator any time; anyone after the deadline).
#[utoipa::path(post, path = "/api/jobs/{id}/cancel/prepare", tag = "creator",
    params(("id" = i64, Path, description = "job id")),
    responses((status = 200, body = UnsignedTx), (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_cancel(
    State(s): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<UnsignedTx>> {
    jobs::job(&s, id).await?;
    let call = IMarket::cancelJobCall {
        jobId: U256::from(id),
    };
    let tx = UnsignedTx::market_call(&s, session.address, &call, U256::ZERO).await?;
    Ok(Json(tx))
}

/// The job's audit report: agreement, consensus, and flags (bots,
/// spammers, altered payloads), computed from the chain's batches and the
/// stored batch files.
#[utoipa::path(get, path = "/api/jobs/{id}/audit", tag = "creator",
    params(("id" = i64, Path, description = "job id")),
    responses((status = 200, body = Object, description = "labelmint-quality's AuditReport"), (status = 404, body = crate::error::ErrorBody)))]
pub async fn audit(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<serde_json::Value>> {
    let job = jobs::job(&s, id).await?;
    let claims = events_where(&s, "job_id = $1 AND name = 'TasksClaimed'", id).await?;
    let onchain: Vec<OnChainBatch> = batches(&s, id)
        .await?
        .into_iter()
        .map(|(b, payload, e)| {
            let claimed_at = claims
                .iter()
                .filter(|c| {
                    c.fields["annotator"]
                        .as_str()
                        .and_then(|a| a.parse::<Address>().ok())
                        == Some(b.annotator)
                        && u64::try_from(c.block_time).unwrap_or(0) <= b.submitted_at
                })
                .map(|c| u64::try_from(c.block_time).unwrap_or(0))
                .max();
            let _ = e;
            OnChainBatch {
                batch_id: b.id.saturating_to::<u64>(),
                annotator: b.annotator,
                tasks: b.tasks,
                payload: payload.to_vec(),
                submitted_at: b.submitted_at,
                claimed_at,
            }
        })
        .collect();
    let kind = match job.schema.as_str() {
        "categorical" => JobKind::Categorical,
        "text" => JobKind::Text,
        _ => JobKind::Geometry,
    };
    let store = s.store.clone();
    let classes = u16::try_from(job.num_classes).unwrap_or(0);
    let report = tokio::task::spawn_blocking(move || {
        run_audit(
            u64::try_from(id).unwrap_or(0),
            kind,
            classes,
            &onchain,
            |root| store.get(root).ok(),
            &AuditConfig::default(),
        )
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(
        serde_json::to_value(report).map_err(ApiError::internal)?,
    ))
}

/// Every indexed event of the job, in chain order (its audit trail).
#[utoipa::path(get, path = "/api/jobs/{id}/events", tag = "creator",
    params(("id" = i64, Path, description = "job id")),
    responses((status = 200, body = Vec<EventView>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn job_events(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<EventView>>> {
    jobs::job(&s, id).await?;
    Ok(Json(events_where(&s, super::MARKET_JOB_EVENTS, id).await?))
}

/// For an escrow in `token`: `None` for ETH; for the RewardToken the
/// creator's permit for exactly `escrow` to the market, checked (signature,
/// deadline, amount) together with the creator's balance; any other token
/// `400 unsupported_token`.
async fn escrow_permit(
    s: &AppState,
    creator: Address,
    token: Address,
    escrow: U256,
    permit: Option<&super::permit::PermitSignature>,
) -> ApiResult<Option<labelmint_client::IRewardToken::permitCall>> {
    if !token.is_zero() && token != s.config.contracts.token {
        return Err(ApiError::bad_request(
            "unsupported_token",
            format!(
                "token: ETH (the zero address) or the RewardToken {}, not {token}",
                s.config.contracts.token
            ),
        ));
    }
    Ok(if token.is_zero() {
        None
    } else {
        let Some(p) = permit else {
            return Err(ApiError::bad_request(
                "permit_required",
                "a RewardToken escrow needs the creator's EIP-2612 permit for it (POST /api/permits/prepare with spender market)",
            ));
        };
        let permit =
            super::permit::check_permit(s, creator, s.config.contracts.market, escrow, p).await?;
        let balance = s
            .rpc
            .read(
                Program::RewardToken,
                token,
                &labelmint_client::IRewardToken::balanceOfCall { account: creator },
            )
            .await
            .map_err(ApiError::upstream)?;
        if balance < escrow {
            return Err(ApiError::unprocessable(
                "insufficient_tokens",
                format!(
                    "the wallet holds {balance} RewardToken units, less than the escrow {escrow}"
                ),
            ));
        }
        Some(permit)
    })
}
