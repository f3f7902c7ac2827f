//! What the web workspace needs beyond the core API: the claim and release
//! transactions, a dataset package built on the server from a job's
//! approved labels, and, with `--dev` only, a JSON-RPC relay for the dev
//! wallet (the browser signs; the relay only forwards) and a switch that
//! pauses the relayer (so a test can make a batch fail after acceptance).

use std::{collections::BTreeMap, io::Cursor};

use alloy_primitives::{B256, U256};
use axum::{extract::State, Json};
use labelmint_client::market::IMarket;
use labelmint_export::{DatasetInfo, ImageLabel, JsonlSchema, TextLabel};
use labelmint_quality::{audit::TaskLabel, geometry::Shape};
use labelmint_storage::DataKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{creator, jobs, UnsignedTx};
use crate::{
    auth::Session,
    error::{ApiError, ApiResult},
    extract::{ApiJson, ApiPath},
    state::{addr_key, AppState},
};

/// `POST /api/jobs/{id}/claim/prepare` and `…/release/prepare` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TaskList {
    /// Task ids, strictly ascending (at most 64).
    pub task_ids: Vec<u32>,
}

fn check_tasks(t: &[u32]) -> ApiResult<()> {
    if t.is_empty() || t.len() > labelmint_client::market::MAX_BATCH {
        return Err(ApiError::bad_request("bad_tasks", "1 to 64 task ids"));
    }
    if t.windows(2).any(|w| w[0] >= w[1]) {
        return Err(ApiError::bad_request(
            "bad_tasks",
            "task ids must be strictly ascending",
        ));
    }
    Ok(())
}

/// The `claimTasks` transaction: reserves tasks for the job's claim
/// duration (the annotator sends it from its wallet).
#[utoipa::path(post, path = "/api/jobs/{id}/claim/prepare", tag = "annotator",
    params(("id" = i64, Path, description = "job id")), request_body = TaskList,
    responses((status = 200, body = UnsignedTx), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_claim(
    State(s): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<TaskList>,
) -> ApiResult<Json<UnsignedTx>> {
    check_tasks(&req.task_ids)?;
    jobs::job(&s, id).await?;
    let call = IMarket::claimTasksCall {
        jobId: U256::from(id),
        taskIds: req.task_ids,
    };
    let tx = UnsignedTx::market_call(&s, session.address, &call, U256::ZERO).await?;
    Ok(Json(tx))
}

/// The `releaseClaim` transaction for the signed-in annotator's claim.
#[utoipa::path(post, path = "/api/jobs/{id}/release/prepare", tag = "annotator",
    params(("id" = i64, Path, description = "job id")), request_body = TaskList,
    responses((status = 200, body = UnsignedTx), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_release(
    State(s): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<TaskList>,
) -> ApiResult<Json<UnsignedTx>> {
    check_tasks(&req.task_ids)?;
    jobs::job(&s, id).await?;
    let call = IMarket::releaseClaimCall {
        jobId: U256::from(id),
        annotator: session.address,
        taskIds: req.task_ids,
    };
    let tx = UnsignedTx::market_call(&s, session.address, &call, U256::ZERO).await?;
    Ok(Json(tx))
}

/// `POST /api/jobs/{id}/package` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct BuildPackage {
    /// `coco` (image jobs, the default there) or `jsonl-chat` (text jobs'
    /// default), `jsonl-instruction`, `jsonl-completion`.
    pub format: Option<String>,
}

/// A package built and stored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PackageBuilt {
    /// Its 0G root (what `publish` records; downloads are checked against it).
    pub root: String,
    /// Bytes.
    pub size: u64,
    /// The format.
    pub format: String,
    /// Approved tasks it carries.
    pub tasks: usize,
    /// Labels (annotations) it carries.
    pub labels: usize,
}

/// The approved label of each task: (task, label JSON, batch payload).
async fn approved_labels(
    s: &AppState,
    job: &jobs::JobView,
) -> ApiResult<Vec<(u32, serde_json::Value, Vec<u8>)>> {
    let events = super::events_where(s, super::MARKET_JOB_EVENTS, job.id).await?;
    let now = s.rpc.now().await.map_err(ApiError::upstream)?;
    let states = jobs::task_states(&events, now);
    let batches = creator::batches(s, job.id).await?;
    let mut out = Vec::new();
    for (task, (state, _, _, batch_id)) in &states {
        if state != "approved" {
            continue;
        }
        let Some((batch, payload, _)) = batches
            .iter()
            .find(|(b, _, _)| Some(b.id.to_string()) == *batch_id)
        else {
            continue;
        };
        let (labels, verified) = creator::decode_labels(s, job, batch, payload, &BTreeMap::new());
        if !verified {
            return Err(ApiError::unprocessable(
                "labels_unverified",
                format!(
                    "batch {} has no stored labels matching its commitment",
                    batch.id
                ),
            ));
        }
        if let Some(l) = labels.into_iter().find(|l| l.task == *task) {
            out.push((*task, l.label, payload.to_vec()));
        }
    }
    Ok(out)
}

/// The UTC date of a chain timestamp (`YYYY-MM-DD`).
fn date_of(secs: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(0))
        .map(|t| format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()))
        .unwrap_or_default()
}

/// Builds the job's dataset package from its approved labels (COCO with the
/// images for image jobs, JSONL for text jobs, and `manifest.json` with
/// every file's root), stores it privately (buyers download it with a
/// licence) and answers its root, ready for `POST /api/datasets/prepare`.
/// The job's creator only.
#[utoipa::path(post, path = "/api/jobs/{id}/package", tag = "creator",
    params(("id" = i64, Path, description = "job id")), request_body = BuildPackage,
    responses((status = 200, body = PackageBuilt), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
#[allow(clippy::too_many_lines)] // one request, checked step by step
pub async fn build_package(
    State(s): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<BuildPackage>,
) -> ApiResult<Json<PackageBuilt>> {
    let job = jobs::job(&s, id).await?;
    if job.creator != addr_key(session.address) {
        return Err(ApiError::forbidden(
            "not_creator",
            "only the job's creator packages its dataset",
        ));
    }
    let manifest = jobs::manifest(&s, &job.data_root)?;
    let format = req.format.unwrap_or_else(|| {
        if manifest.kind == DataKind::Image {
            "coco".into()
        } else {
            "jsonl-chat".into()
        }
    });
    let labels = approved_labels(&s, &job).await?;
    if labels.is_empty() {
        return Err(ApiError::unprocessable(
            "nothing_approved",
            "the job has no approved labels yet",
        ));
    }
    let mut batch_roots: Vec<B256> = labels
        .iter()
        .filter(|(_, _, p)| p.len() == 32)
        .map(|(_, _, p)| B256::from_slice(p))
        .collect();
    batch_roots.sort();
    batch_roots.dedup();
    let labels = labels.into_iter().map(|(t, l, _)| (t, l)).collect();
    let source = PackageSource {
        title: job
            .metadata
            .as_ref()
            .and_then(|m| m["title"].as_str().map(str::to_string))
            .unwrap_or_else(|| format!("labelmint job {id}")),
        classes: job
            .metadata
            .as_ref()
            .and_then(|m| serde_json::from_value(m["classes"].clone()).ok())
            .unwrap_or_default(),
        creator: job.creator.clone(),
        data_root: super::data::parse_root(&job.data_root)?,
        batch_roots,
    };
    build_and_store(&s, manifest, format, labels, source)
        .await
        .map(Json)
}

/// What a package says about where its labels come from.
pub(crate) struct PackageSource {
    /// The dataset's description (the job's title).
    pub title: String,
    /// Class names, by class index.
    pub classes: Vec<String>,
    /// The job's creator (the COCO contributor).
    pub creator: String,
    /// The job's data root.
    pub data_root: B256,
    /// Commitments of the batches the labels come from.
    pub batch_roots: Vec<B256>,
}

/// Builds a job's dataset package from `labels` — (task, label JSON): shapes
/// for image jobs, `{"class": c}` for text jobs — in `format` (COCO with the
/// images, or one of the JSONL schemas with the texts, and `manifest.json`
/// with every file's root), stores it privately and answers its root.
pub(crate) async fn build_and_store(
    s: &AppState,
    manifest: labelmint_storage::Manifest,
    format: String,
    labels: Vec<(u32, serde_json::Value)>,
    source: PackageSource,
) -> ApiResult<PackageBuilt> {
    let created = date_of(s.rpc.now().await.map_err(ApiError::upstream)?);
    let format_name = format.clone();
    let store = s.store.clone();
    let tasks = labels.len();
    let (bytes, count) = tokio::task::spawn_blocking(move || -> Result<(Vec<u8>, usize), ApiError> {
        let PackageSource { title, classes, creator, data_root, batch_roots } = source;
        let bad = |e: labelmint_export::ExportError| ApiError::unprocessable("bad_labels", e.to_string());
        let item = |t: &labelmint_storage::TaskItem| -> Result<Vec<u8>, ApiError> {
            let b = store.get(&t.root).map_err(|e| ApiError::not_found(format!("{}: {e}", t.path)))?;
            if b.len() as u64 != t.size {
                return Err(ApiError::unprocessable("bad_item", format!("{}: size differs from the manifest", t.path)));
            }
            Ok(b)
        };
        let mut files = Vec::new();
        let count;
        match (format.as_str(), manifest.kind) {
            ("coco", DataKind::Image) => {
                let mut image_labels = Vec::new();
                for (task, label) in &labels {
                    let Ok(TaskLabel::Shapes(shapes)) = serde_json::from_value::<TaskLabel>(label.clone()) else {
                        continue;
                    };
                    for sh in shapes {
                        let (bbox, polygon) = match sh.shape {
                            Shape::Bbox(b) => (Some(b), None),
                            Shape::Polygon(p) => (None, Some(p)),
                        };
                        image_labels.push(ImageLabel { task: *task, category: sh.category, bbox, polygon });
                    }
                }
                count = image_labels.len();
                let info = DatasetInfo {
                    description: title,
                    version: "1".into(),
                    date_created: created,
                    contributor: creator,
                    license: "CC-BY-4.0".into(),
                    license_url: "https://creativecommons.org/licenses/by/4.0/".into(),
                };
                let mut json = Vec::new();
                labelmint_export::coco(&mut json, &manifest, &classes, &image_labels, &info).map_err(bad)?;
                for t in &manifest.tasks {
                    files.push((format!("images/{}", t.path), item(t)?));
                }
                files.push(("annotations/instances.json".to_string(), json));
            }
            (f, DataKind::Text) if f.starts_with("jsonl-") => {
                let schema = match f {
                    "jsonl-chat" => JsonlSchema::Chat,
                    "jsonl-instruction" => JsonlSchema::Instruction,
                    "jsonl-completion" => JsonlSchema::Completion,
                    _ => return Err(ApiError::bad_request("bad_format", format!("unknown format {f}"))),
                };
                let text_labels: Vec<TextLabel> = labels
                    .iter()
                    .filter_map(|(task, l)| Some(TextLabel { task: *task, label: u32::try_from(l["class"].as_u64()?).ok()? }))
                    .collect();
                count = text_labels.len();
                let texts = manifest
                    .tasks
                    .iter()
                    .map(|t| item(t).map(|b| String::from_utf8_lossy(&b).into_owned()))
                    .collect::<Result<Vec<_>, _>>()?;
                let instruction = format!("Classify the text as one of: {}.", classes.join(", "));
                let mut out = Vec::new();
                labelmint_export::jsonl(&mut out, &manifest, &texts, &classes, &text_labels, schema, &instruction)
                    .map_err(bad)?;
                files.push(("data.jsonl".to_string(), out));
            }
            (f, kind) => {
                return Err(ApiError::bad_request(
                    "bad_format",
                    format!("format {f} does not fit a {kind:?} job (coco for images, jsonl-* for text)"),
                ))
            }
        }
        let mut zip = Cursor::new(Vec::new());
        labelmint_export::package(&mut zip, manifest.kind, data_root, &batch_roots, files).map_err(bad)?;
        Ok((zip.into_inner(), count))
    })
    .await
    .map_err(ApiError::internal)??;
    let size = bytes.len() as u64;
    let store = s.store.clone();
    let root = tokio::task::spawn_blocking(move || store.put(&bytes))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    super::data::mark_private(s, root, "package").await?;
    Ok(PackageBuilt {
        root: format!("{root:#x}"),
        size,
        format: format_name,
        tasks,
        labels: count,
    })
}

/// `POST /api/dev/relayer` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RelayerSwitch {
    /// `true` holds accepted batches in the outbox; `false` sends them.
    pub paused: bool,
}

fn dev_only(s: &AppState) -> ApiResult<()> {
    if s.config.dev {
        Ok(())
    } else {
        Err(ApiError::not_found(
            "this endpoint exists only with `labelmint serve --dev`",
        ))
    }
}

/// `--dev` only: pauses or resumes the relayer (accepted batches wait in
/// the outbox meanwhile). 404 otherwise.
#[utoipa::path(post, path = "/api/dev/relayer", tag = "meta", request_body = RelayerSwitch,
    responses((status = 200, body = RelayerSwitch), (status = 404, body = crate::error::ErrorBody)))]
pub async fn dev_relayer(
    State(s): State<AppState>,
    ApiJson(req): ApiJson<RelayerSwitch>,
) -> ApiResult<Json<RelayerSwitch>> {
    dev_only(&s)?;
    s.relayer.set_paused(req.paused);
    Ok(Json(RelayerSwitch {
        paused: s.relayer.paused(),
    }))
}

/// `POST /api/dev/time` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TimeTravel {
    /// Seconds to move the chain's clock forward (at most a year).
    pub seconds: u64,
}

/// The chain's clock after a [`dev_time`].
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChainTime {
    /// The latest block's timestamp.
    pub now: u64,
    /// Its number.
    pub block: u64,
}

/// `--dev` only: moves the embedded chain's clock forward by `seconds`
/// (`evm_increaseTime`) and mines a block at the new time (`evm_mine`), so
/// deadlines and phases can be reached in a demo or a test. 404 otherwise.
#[utoipa::path(post, path = "/api/dev/time", tag = "meta", request_body = TimeTravel,
    responses((status = 200, body = ChainTime), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 502, body = crate::error::ErrorBody)))]
pub async fn dev_time(
    State(s): State<AppState>,
    ApiJson(req): ApiJson<TimeTravel>,
) -> ApiResult<Json<ChainTime>> {
    dev_only(&s)?;
    if req.seconds == 0 || req.seconds > 366 * 86_400 {
        return Err(ApiError::bad_request(
            "bad_seconds",
            "seconds: 1 to 31,622,400 (a year)",
        ));
    }
    s.rpc
        .raw_request("evm_increaseTime", serde_json::json!([req.seconds]))
        .await
        .map_err(ApiError::upstream)?;
    s.rpc
        .raw_request("evm_mine", serde_json::json!([]))
        .await
        .map_err(ApiError::upstream)?;
    s.rpc.forget_time();
    Ok(Json(ChainTime {
        now: s.rpc.now().await.map_err(ApiError::upstream)?,
        block: s.rpc.block_number().await.map_err(ApiError::upstream)?,
    }))
}

/// What the dev wallet may ask the chain through [`dev_rpc`].
const RELAYED: &[&str] = &[
    "eth_chainId",
    "net_version",
    "eth_blockNumber",
    "eth_getBalance",
    "eth_getCode",
    "eth_getTransactionCount",
    "eth_gasPrice",
    "eth_maxPriorityFeePerGas",
    "eth_feeHistory",
    "eth_estimateGas",
    "eth_call",
    "eth_getBlockByNumber",
    "eth_sendRawTransaction",
    "eth_getTransactionByHash",
    "eth_getTransactionReceipt",
];

/// `--dev` only: one JSON-RPC request for the dev wallet, forwarded to the
/// embedded chain (the node sends no CORS headers, and the page may only
/// connect to this origin). Transactions arrive signed by the browser; the
/// server adds nothing. Methods outside a short list of reads and
/// `eth_sendRawTransaction` are refused. 404 without `--dev`.
#[utoipa::path(post, path = "/api/dev/rpc", tag = "meta", request_body = Object,
    responses((status = 200, body = Object, description = "the JSON-RPC answer"), (status = 404, body = crate::error::ErrorBody)))]
pub async fn dev_rpc(
    State(s): State<AppState>,
    ApiJson(req): ApiJson<serde_json::Value>,
) -> ApiResult<Json<serde_json::Value>> {
    dev_only(&s)?;
    let id = req.get("id").cloned().unwrap_or(serde_json::Value::Null);
    let method = req["method"].as_str().unwrap_or_default();
    let Some(&method) = RELAYED.iter().find(|m| **m == method) else {
        return Ok(Json(serde_json::json!({
            "jsonrpc": "2.0", "id": id,
            "error": {"code": -32601, "message": format!("{method} is not relayed for the dev wallet")}
        })));
    };
    let params = req
        .get("params")
        .cloned()
        .unwrap_or_else(|| serde_json::json!([]));
    Ok(Json(match s.rpc.raw_request(method, params).await {
        Ok(result) => serde_json::json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(e) => serde_json::json!({
            "jsonrpc": "2.0", "id": id,
            "error": {"code": -32000, "message": e.to_string()}
        }),
    }))
}
