//! Buyers' fine-tuning requests for text datasets, proxied to the 0G
//! fine-tuning provider (broker) this server is configured with
//! (`labelmint serve --broker URL`; without one every endpoint here answers
//! `503 no_broker`).
//!
//! The provider recovers the customer from the request's signature, so the
//! buyer's wallet signs it: `prepare` checks the licence on chain and the
//! model at the provider and answers the digest to `personal_sign`
//! (`keccak256(user ‖ nonce ‖ datasetHash text ‖ fee)`, what the 0G serving
//! broker signs); `start` checks the licence again and the signature, sends
//! the task to the provider and records it; `status` asks the provider.

use alloy_primitives::{eip191_hash_message, Address, Signature, B256, U256};
use axum::{extract::State, http::StatusCode, Json};
use labelmint_client::{
    registry::{self, IRegistry},
    revert::Program,
};
use labelmint_zg::{
    finetune::{self, Broker, Model, TaskRequest},
    ZgError,
};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

use super::parse_u256;
use crate::{
    auth::Session,
    error::{ApiError, ApiResult},
    extract::{ApiJson, ApiPath},
    state::{addr_key, AppState},
};

/// Training parameters sent when the request names none (the 0G
/// provider's defaults for its small instruct models).
pub const DEFAULT_TRAINING_PARAMS: &str =
    r#"{"num_train_epochs":1,"per_device_train_batch_size":2,"learning_rate":0.0002}"#;
/// Longest training parameters text accepted.
pub const MAX_TRAINING_PARAMS: usize = 4_096;

fn broker(s: &AppState) -> ApiResult<&Broker> {
    s.broker.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_broker",
            "this server has no fine-tuning provider: start it with `labelmint serve --broker URL` (or use `labelmint finetune … --provider URL`)",
        )
    })
}

/// A provider's refusal or failure as an API error: its 4xx answers are
/// `422 broker_refused` with what it said, anything else `502 broker_error`.
fn broker_error(e: &ZgError) -> ApiError {
    match e {
        ZgError::Status { status: 404, .. } => ApiError::not_found("no such task at the provider"),
        ZgError::Status { status, body, .. } if (400..500).contains(status) => {
            ApiError::unprocessable(
                "broker_refused",
                format!("the fine-tuning provider refused it (HTTP {status}): {body}"),
            )
        }
        other => ApiError::new(StatusCode::BAD_GATEWAY, "broker_error", {
            tracing::warn!(error = %other, "fine-tuning provider failed");
            "the fine-tuning provider failed or gave an answer that is not one (details in the server's log)".to_string()
        }),
    }
}

/// A model the provider fine-tunes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ModelView {
    /// Name (`Qwen2.5-0.5B-Instruct`, …).
    pub name: String,
    /// Root of its pre-trained weights.
    pub hash: String,
    /// `text` or `image`.
    pub data_type: String,
    /// What it is.
    pub description: String,
}

impl From<Model> for ModelView {
    fn from(m: Model) -> Self {
        Self {
            name: m.name,
            hash: format!("{:#x}", m.hash),
            data_type: m.data_type,
            description: m.description,
        }
    }
}

/// The models the configured provider fine-tunes.
#[utoipa::path(get, path = "/api/finetune/models", tag = "buyer",
    responses((status = 200, body = Vec<ModelView>), (status = 502, body = crate::error::ErrorBody),
        (status = 503, body = crate::error::ErrorBody)))]
pub async fn models(State(s): State<AppState>) -> ApiResult<Json<Vec<ModelView>>> {
    let b = broker(&s)?;
    let models = b.models().await.map_err(|e| broker_error(&e))?;
    Ok(Json(
        models
            .into_iter()
            .filter(|m| m.name.len() <= MAX_MODEL_NAME)
            .take(MAX_MODELS)
            .map(ModelView::from)
            .collect(),
    ))
}

/// `POST /api/datasets/{id}/finetune/prepare` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrepareFinetune {
    /// A model of the provider (`GET /api/finetune/models`).
    pub model: String,
    /// The provider's fee in wei (decimal; default 0).
    pub fee: Option<String>,
    /// Training parameters, JSON text (default
    /// [`DEFAULT_TRAINING_PARAMS`]).
    pub training_params: Option<String>,
}

/// A fine-tuning request to sign.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FinetuneRequest {
    /// Dataset id.
    pub dataset_id: i64,
    /// The model's name.
    pub model: String,
    /// Its weights' root.
    pub model_hash: String,
    /// The dataset's package root (what the provider fetches).
    pub dataset_hash: String,
    /// Training parameters (JSON text; not covered by the signature: the
    /// provider does not bind them).
    pub training_params: String,
    /// Fee in wei (decimal).
    pub fee: String,
    /// Nonce (decimal): milliseconds × 10,000 + 40, as the 0G broker makes it.
    pub nonce: String,
}

/// What `prepare` answers: the request and the digest the buyer signs.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PreparedFinetune {
    /// The request; send it back unchanged with the signature.
    pub request: FinetuneRequest,
    /// `keccak256(user ‖ nonce ‖ datasetHash ‖ fee)`: sign it with
    /// `personal_sign` (EIP-191, the 32 bytes as the message).
    pub digest: String,
}

/// The dataset `id` as the registry holds it, checked: it exists (`404`),
/// it is text (`422 not_text`: the provider fine-tunes language models on
/// JSONL), and `buyer` holds a licence (`403 no_licence`). Its root.
async fn licensed_text_dataset(s: &AppState, id: i64, buyer: Address) -> ApiResult<B256> {
    let dataset = U256::from(u64::try_from(id).unwrap_or(0));
    let d = s
        .rpc
        .read(
            Program::DatasetRegistry,
            s.config.contracts.registry,
            &IRegistry::getDatasetCall { datasetId: dataset },
        )
        .await
        .map_err(ApiError::upstream)?;
    if d.publisher.is_zero() {
        return Err(ApiError::not_found(format!("no dataset {id}")));
    }
    if d.format == registry::FORMAT_COCO {
        return Err(ApiError::unprocessable(
            "not_text",
            format!(
                "dataset {id} is {} (images): fine-tuning takes a text dataset (JSONL)",
                registry::format_name(d.format)
            ),
        ));
    }
    let licensed = s
        .rpc
        .read(
            Program::DatasetRegistry,
            s.config.contracts.registry,
            &IRegistry::hasLicenseCall {
                datasetId: dataset,
                account: buyer,
            },
        )
        .await
        .map_err(ApiError::upstream)?;
    // The publisher may fine-tune on its own dataset, as it may download it.
    if !licensed && d.publisher != buyer {
        return Err(ApiError::forbidden(
            "no_licence",
            format!(
                "{} holds no licence for dataset {id}: buy one before fine-tuning on it",
                buyer.to_checksum(None)
            ),
        ));
    }
    Ok(d.rootHash)
}

fn training_params(text: Option<&str>) -> ApiResult<String> {
    let text = text.unwrap_or(DEFAULT_TRAINING_PARAMS);
    if text.len() > MAX_TRAINING_PARAMS
        || !serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v.is_object())
    {
        return Err(ApiError::bad_request(
            "bad_training_params",
            format!("training_params: a JSON object of at most {MAX_TRAINING_PARAMS} bytes"),
        ));
    }
    Ok(text.to_string())
}

/// Prepares a fine-tuning request on a text dataset the signed-in buyer
/// holds a licence for (checked on chain): the model must be one the
/// provider offers (`422 unknown_model`, naming those it has). The answer
/// is the request and the digest for the buyer's wallet to sign.
#[utoipa::path(post, path = "/api/datasets/{id}/finetune/prepare", tag = "buyer",
    params(("id" = i64, Path, description = "dataset id")), request_body = PrepareFinetune,
    responses((status = 200, body = PreparedFinetune), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody),
        (status = 502, body = crate::error::ErrorBody), (status = 503, body = crate::error::ErrorBody)))]
pub async fn prepare(
    State(s): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<PrepareFinetune>,
) -> ApiResult<Json<PreparedFinetune>> {
    let b = broker(&s)?;
    let fee = parse_u256("fee", req.fee.as_deref().unwrap_or("0"))?;
    let params = training_params(req.training_params.as_deref())?;
    let root = licensed_text_dataset(&s, id, session.address).await?;
    let models = b.models().await.map_err(|e| broker_error(&e))?;
    let model = models
        .iter()
        .filter(|m| m.name.len() <= MAX_MODEL_NAME)
        .take(MAX_MODELS)
        .find(|m| m.name == req.model)
        .ok_or_else(|| {
            ApiError::unprocessable(
                "unknown_model",
                format!(
                    "the provider has no model {:?} (it has: {})",
                    req.model,
                    models
                        .iter()
                        .filter(|m| m.name.len() <= MAX_MODEL_NAME)
                        .take(MAX_MODELS)
                        .map(|m| m.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let nonce = U256::from(millis) * U256::from(10_000) + U256::from(40);
    let request = TaskRequest {
        pre_trained_model_hash: model.hash,
        dataset_hash: root,
        training_params: params.clone(),
        fee,
        nonce,
    };
    let digest = finetune::task_digest(session.address, &request);
    Ok(Json(PreparedFinetune {
        request: FinetuneRequest {
            dataset_id: id,
            model: model.name.clone(),
            model_hash: format!("{:#x}", model.hash),
            dataset_hash: finetune::dataset_hash_text(root),
            training_params: params,
            fee: fee.to_string(),
            nonce: nonce.to_string(),
        },
        digest: format!("{digest:#x}"),
    }))
}

/// `POST /api/datasets/{id}/finetune` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StartFinetune {
    /// The request `prepare` answered.
    pub request: FinetuneRequest,
    /// The buyer's `personal_sign` of its digest (0x-hex, 65 bytes).
    pub signature: String,
}

/// A fine-tuning task as the provider reports it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FinetuneTaskView {
    /// The provider's task id.
    pub task_id: String,
    /// Dataset id (as recorded here; `null` for a task started elsewhere).
    pub dataset_id: Option<i64>,
    /// The model's name (as recorded here).
    pub model: Option<String>,
    /// The dataset root the provider trains on.
    pub dataset_hash: String,
    /// `Init`, `SettingUp`, `SetUp`, `Training`, `Trained`, `Delivering`,
    /// `Delivered`, `UserAcknowledged`, `Finished` or `Failed`.
    pub progress: String,
    /// Whether it reached a final state (`Delivered` and later, or `Failed`).
    pub done: bool,
    /// Root of the delivered model, once delivered (as the provider names it).
    pub output_root: Option<String>,
    /// The fee in wei.
    pub fee: String,
    /// When it was started here (unix seconds; `null` for a task started
    /// elsewhere).
    pub created_at: Option<i64>,
}

fn task_view(t: &finetune::Task, row: Option<&Recorded>) -> FinetuneTaskView {
    let at = finetune::STATES.iter().position(|x| *x == t.progress);
    FinetuneTaskView {
        task_id: t.id.clone(),
        dataset_id: row.map(|r| r.dataset_id),
        model: row.map(|r| r.model.clone()),
        dataset_hash: format!("{:#x}", t.dataset_hash),
        progress: t.progress.clone(),
        done: t.progress == "Failed" || at.is_some_and(|i| i >= 6),
        output_root: t.output_root_hash.map(|r| format!("{r:#x}")),
        fee: t.fee.clone(),
        created_at: row.map(|r| r.created_at),
    }
}

/// A task recorded here.
struct Recorded {
    task_id: String,
    dataset_id: i64,
    model: String,
    dataset_root: String,
    fee: String,
    created_at: i64,
}

/// Sends a signed fine-tuning request to the provider: the licence is
/// checked on chain again, the request must match the dataset (`400
/// bad_request`) and the signature must be the signed-in buyer's over its
/// digest (`400 bad_signature`, `422 signature_mismatch`); a provider's
/// refusal is `422 broker_refused` with its reason. The task is recorded
/// for `GET /api/finetune/tasks`.
#[utoipa::path(post, path = "/api/datasets/{id}/finetune", tag = "buyer",
    params(("id" = i64, Path, description = "dataset id")), request_body = StartFinetune,
    responses((status = 200, body = FinetuneTaskView), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody),
        (status = 502, body = crate::error::ErrorBody), (status = 503, body = crate::error::ErrorBody)))]
pub async fn start(
    State(s): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<StartFinetune>,
) -> ApiResult<Json<FinetuneTaskView>> {
    let b = broker(&s)?;
    let r = &req.request;
    let bad = |m: String| ApiError::bad_request("bad_request", m);
    if r.dataset_id != id {
        return Err(bad(format!(
            "the request is for dataset {}, not {id}",
            r.dataset_id
        )));
    }
    let root = licensed_text_dataset(&s, id, session.address).await?;
    if r.dataset_hash.to_lowercase() != finetune::dataset_hash_text(root) {
        return Err(bad(format!(
            "dataset_hash {} is not dataset {id}'s root {root:#x}",
            r.dataset_hash
        )));
    }
    let model_hash: B256 = r.model_hash.parse().map_err(|_| {
        bad(format!(
            "model_hash {:?} is not a 32-byte root",
            r.model_hash
        ))
    })?;
    let request = TaskRequest {
        pre_trained_model_hash: model_hash,
        dataset_hash: root,
        training_params: training_params(Some(r.training_params.as_str()))?,
        fee: parse_u256("fee", &r.fee)?,
        nonce: parse_u256("nonce", &r.nonce)?,
    };
    let raw = alloy_primitives::hex::decode(req.signature.trim())
        .ok()
        .filter(|b| b.len() == 65)
        .ok_or_else(|| {
            ApiError::bad_request("bad_signature", "signature: 65 bytes of 0x-hex (r ‖ s ‖ v)")
        })?;
    let sig = Signature::from_raw(&raw)
        .map_err(|e| ApiError::bad_request("bad_signature", format!("signature: {e}")))?;
    let digest = finetune::task_digest(session.address, &request);
    let signer = sig
        .recover_address_from_prehash(&eip191_hash_message(digest.as_slice()))
        .ok();
    if signer != Some(session.address) {
        return Err(ApiError::unprocessable(
            "signature_mismatch",
            format!(
                "the signature is not {}'s personal_sign of this request's digest {digest:#x} (the provider would refuse it)",
                session.address.to_checksum(None)
            ),
        ));
    }
    // The provider wants low s and v as 27/28, whatever the wallet gave.
    let sig = sig.normalized_s();
    let mut normalised = sig.as_bytes().to_vec();
    normalised[64] = 27 + u8::from(sig.v());
    let body = finetune::signed_task_body(
        session.address,
        &request,
        &alloy_primitives::hex::encode_prefixed(&normalised),
    );
    let task = b
        .submit_task(session.address, body)
        .await
        .map_err(|e| broker_error(&e))?;
    if !valid_task_id(&task.id) || task.user_address != session.address || task.dataset_hash != root
    {
        return Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            "broker_error",
            "the fine-tuning provider answered a task that is not this request's (its id, customer or dataset differs)",
        ));
    }
    let now = s.rpc.now().await.map_err(ApiError::upstream)?;
    let created_at = i64::try_from(now).unwrap_or(i64::MAX);
    sqlx::query(
        "INSERT INTO finetune_tasks (address, dataset_id, task_id, model, model_hash, dataset_root, fee, training_params, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (address, task_id) DO NOTHING",
    )
    .bind(addr_key(session.address))
    .bind(id)
    .bind(&task.id)
    .bind(&r.model)
    .bind(format!("{model_hash:#x}"))
    .bind(format!("{root:#x}"))
    .bind(request.fee.to_string())
    .bind(&request.training_params)
    .bind(created_at)
    .execute(&s.db.pool)
    .await?;
    let rec = Recorded {
        task_id: task.id.clone(),
        dataset_id: id,
        model: r.model.clone(),
        dataset_root: format!("{root:#x}"),
        fee: request.fee.to_string(),
        created_at,
    };
    Ok(Json(task_view(&task, Some(&rec))))
}

async fn recorded(s: &AppState, who: Address) -> ApiResult<Vec<Recorded>> {
    let rows = sqlx::query(
        "SELECT task_id, dataset_id, model, dataset_root, fee, created_at FROM finetune_tasks
         WHERE address = $1 ORDER BY id DESC",
    )
    .bind(addr_key(who))
    .fetch_all(&s.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Recorded {
                task_id: r.try_get("task_id")?,
                dataset_id: r.try_get("dataset_id")?,
                model: r.try_get("model")?,
                dataset_root: r.try_get("dataset_root")?,
                fee: r.try_get("fee")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(ApiError::from)
}

/// The fine-tuning tasks the signed-in buyer started through this server,
/// newest first, as recorded here (`progress` is `unknown` and `done`
/// false: ask `GET /api/finetune/tasks/{task}` for the provider's state).
#[utoipa::path(get, path = "/api/finetune/tasks", tag = "buyer",
    responses((status = 200, body = Vec<FinetuneTaskView>), (status = 401, body = crate::error::ErrorBody)))]
pub async fn my_tasks(
    State(s): State<AppState>,
    session: Session,
) -> ApiResult<Json<Vec<FinetuneTaskView>>> {
    Ok(Json(
        recorded(&s, session.address)
            .await?
            .into_iter()
            .map(|r| FinetuneTaskView {
                task_id: r.task_id,
                dataset_id: Some(r.dataset_id),
                model: Some(r.model),
                dataset_hash: r.dataset_root,
                progress: "unknown".into(),
                done: false,
                output_root: None,
                fee: r.fee,
                created_at: Some(r.created_at),
            })
            .collect(),
    ))
}

/// A fine-tuning task of the signed-in buyer, as the provider reports it
/// now (the provider finds tasks by the customer's address; an unknown
/// task is `404`).
#[utoipa::path(get, path = "/api/finetune/tasks/{task}", tag = "buyer",
    params(("task" = String, Path, description = "the provider's task id")),
    responses((status = 200, body = FinetuneTaskView), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 502, body = crate::error::ErrorBody), (status = 503, body = crate::error::ErrorBody)))]
pub async fn task_status(
    State(s): State<AppState>,
    session: Session,
    ApiPath(task): ApiPath<String>,
) -> ApiResult<Json<FinetuneTaskView>> {
    let b = broker(&s)?;
    if !valid_task_id(&task) {
        return Err(ApiError::bad_request(
            "bad_task",
            "a task id is 1 to 128 letters, digits, '-' or '_'",
        ));
    }
    let t = b
        .task(session.address, &task)
        .await
        .map_err(|e| broker_error(&e))?;
    if t.id != task || t.user_address != session.address {
        return Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            "broker_error",
            "the fine-tuning provider answered another task or customer than asked",
        ));
    }
    let rec = recorded(&s, session.address)
        .await?
        .into_iter()
        .find(|r| r.task_id == task);
    Ok(Json(task_view(&t, rec.as_ref())))
}

/// Most models [`models`] lists (a provider's list beyond is not shown).
const MAX_MODELS: usize = 64;

/// Longest model name taken from a provider (longer ones are left out).
const MAX_MODEL_NAME: usize = 128;

/// A provider task id this server accepts: 1 to 128 ASCII letters, digits,
/// `-` or `_` (it becomes a path segment of the provider's URL).
fn valid_task_id(task: &str) -> bool {
    !task.is_empty()
        && task.len() <= 128
        && task
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
