//! Buyer API: datasets with provenance, publication and purchase
//! transactions, licensed downloads verified against the registry's root.

use alloy_primitives::{Address, B256, U256};
use axum::{
    extract::State,
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};
use labelmint_client::{
    registry::{self, IRegistry},
    revert::Program,
};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

use super::{events_where, parse_u256, too_many, UnsignedTx};
use crate::{
    auth::Session,
    error::{ApiError, ApiResult},
    extract::{ApiJson, ApiPath},
    state::{addr_key, AppState},
};

/// Where a dataset came from.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Provenance {
    /// The job source (the market, the hub or the court), zero for
    /// external datasets.
    pub source: String,
    /// The source job (0: external).
    pub source_job_id: i64,
    /// The source job's data root (the raw data the labels are about).
    pub data_root: String,
    /// How quality was established: `review` (the creator reviewed every
    /// batch, disputes before an arbiter), `consensus` (a QualityHub job:
    /// staked labels, the revealed majority, escalations to an arbiter),
    /// `court` (a QualityCourt job: an oracle's result open to dispute),
    /// `external`.
    pub mode: String,
    /// Annotators whose approved work the dataset carries.
    pub annotators: usize,
    /// Royalty shares (approved tasks) at publication.
    pub shares: i64,
    /// The previous version (0: none).
    pub previous_version: i64,
}

/// A dataset in the registry.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DatasetView {
    /// Dataset id.
    pub id: i64,
    /// Publisher.
    pub publisher: String,
    /// 0G root of the package (downloads are verified against it).
    pub root_hash: String,
    /// Description hash.
    pub metadata_hash: String,
    /// `coco`, `jsonl-chat`, `jsonl-instruction`, `jsonl-completion`.
    pub format: String,
    /// Price of a licence (live from the registry).
    pub price: String,
    /// Currency (zero address: ETH).
    pub payment_token: String,
    /// Royalty share of each sale, basis points (fixed at publication).
    pub royalty_bps: i64,
    /// Platform fee, basis points.
    pub fee_bps: i64,
    /// Listed for sale (live).
    pub listed: bool,
    /// Whether the package is on this server (downloadable).
    pub available: bool,
    /// Where it came from.
    pub provenance: Provenance,
    /// Publication time (chain).
    pub published_at: i64,
}

const COLUMNS: &str = "dataset_id, publisher, root_hash, metadata_hash, data_root, format, price, payment_token, source,
    source_job_id, previous_version, royalty_bps, fee_bps, shares, is_external, published_at";

/// The program behind a job source name: `market` (also the default),
/// `hub` or `court`; `400 bad_source` otherwise.
pub(crate) fn source_address(s: &AppState, name: Option<&str>) -> ApiResult<Address> {
    let c = &s.config.contracts;
    let source = match name.unwrap_or("market") {
        "market" => c.market,
        "hub" => c.hub,
        "court" => c.court,
        _ => {
            return Err(ApiError::bad_request(
                "bad_source",
                "source: market, hub or court",
            ))
        }
    };
    if source.is_zero() {
        return Err(ApiError::bad_request(
            "bad_source",
            "this deployment has no program for that source",
        ));
    }
    Ok(source)
}

/// The job source name of a program address (`addr_key` form, or any case):
/// `market`, `hub`, `court`, or `None` (external, or not this deployment's).
pub(crate) fn source_name(s: &AppState, address: &str) -> Option<&'static str> {
    let c = &s.config.contracts;
    let a = address.to_lowercase();
    [("market", c.market), ("hub", c.hub), ("court", c.court)]
        .into_iter()
        .find(|(_, p)| !p.is_zero() && addr_key(*p) == a)
        .map(|(n, _)| n)
}

/// Where a job source records who did accepted work: approved market
/// batches, agreeing (settled) hub labels, claimed court payouts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AcceptedWork {
    /// The quality mode a dataset of the source reports.
    pub mode: &'static str,
    /// The program that emits the event (as the indexer stores it).
    pub program: &'static str,
    /// The event.
    pub event: &'static str,
    /// Its field counting the accepted work (zero: none).
    pub count: &'static str,
    /// `events_where` filter of that event for a job (`$1`).
    pub filter: &'static str,
}

impl AcceptedWork {
    /// The record of source `name` (`market`, `hub`, `court`; see [`source_name`]).
    pub(crate) fn of(name: &str) -> Self {
        match name {
            "hub" => Self {
                mode: "consensus",
                program: "QualityHub",
                event: "BatchSettled",
                count: "agreed",
                filter: "job_id = $1 AND program = 'QualityHub' AND name = 'BatchSettled'",
            },
            "court" => Self {
                mode: "court",
                program: "QualityCourt",
                event: "Claimed",
                count: "labels",
                filter: "job_id = $1 AND program = 'QualityCourt' AND name = 'Claimed'",
            },
            _ => Self {
                mode: "review",
                program: "AnnotationMarket",
                event: "BatchReviewed",
                count: "approved",
                filter: "job_id = $1 AND program = 'AnnotationMarket' AND name = 'BatchReviewed'",
            },
        }
    }
}

async fn view(s: &AppState, r: &sqlx::any::AnyRow) -> ApiResult<DatasetView> {
    let id: i64 = r.try_get("dataset_id")?;
    let job: i64 = r.try_get("source_job_id")?;
    let external = r.try_get::<i64, _>("is_external")? != 0;
    let root_hash: String = r.try_get("root_hash")?;
    let source: String = r.try_get("source")?;
    let work = if external {
        None
    } else {
        source_name(s, &source).map(AcceptedWork::of)
    };
    let annotators = match work {
        None => 0,
        Some(w) => events_where(s, w.filter, job)
            .await?
            .iter()
            .filter(|e| e.fields[w.count].as_u64().unwrap_or(0) > 0)
            .filter_map(|e| e.fields["annotator"].as_str().map(str::to_lowercase))
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
    };
    let mode = work.map_or("external", |w| w.mode);
    let live = s
        .rpc
        .read(
            Program::DatasetRegistry,
            s.config.contracts.registry,
            &IRegistry::getDatasetCall {
                datasetId: U256::from(id),
            },
        )
        .await
        .map_err(ApiError::upstream)?;
    let available = root_hash
        .parse::<B256>()
        .is_ok_and(|r| s.store.contains(&r));
    Ok(DatasetView {
        id,
        publisher: r.try_get("publisher")?,
        root_hash,
        metadata_hash: r.try_get("metadata_hash")?,
        format: registry::format_name(u8::try_from(r.try_get::<i64, _>("format")?).unwrap_or(255))
            .into(),
        price: live.price.to_string(),
        payment_token: r.try_get("payment_token")?,
        royalty_bps: r.try_get("royalty_bps")?,
        fee_bps: r.try_get("fee_bps")?,
        listed: live.listed,
        available,
        provenance: Provenance {
            source,
            source_job_id: job,
            data_root: r.try_get("data_root")?,
            mode: mode.into(),
            annotators,
            shares: r.try_get("shares")?,
            previous_version: r.try_get("previous_version")?,
        },
        published_at: r.try_get("published_at")?,
    })
}

/// Datasets, newest first.
#[utoipa::path(get, path = "/api/datasets", tag = "buyer", params(super::Page),
    responses((status = 200, body = Vec<DatasetView>)))]
pub async fn list(
    State(s): State<AppState>,
    crate::extract::ApiQuery(page): crate::extract::ApiQuery<super::Page>,
) -> ApiResult<Json<Vec<DatasetView>>> {
    let (offset, limit) = page.get();
    let sql = format!("SELECT {COLUMNS} FROM datasets ORDER BY dataset_id DESC LIMIT $1 OFFSET $2");
    let rows = sqlx::query(crate::db::Db::sql(sql))
        .bind(limit)
        .bind(offset)
        .fetch_all(&s.db.pool)
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        out.push(view(&s, r).await?);
    }
    Ok(Json(out))
}

async fn load(s: &AppState, id: i64) -> ApiResult<DatasetView> {
    let sql = format!("SELECT {COLUMNS} FROM datasets WHERE dataset_id = $1");
    let row = sqlx::query(crate::db::Db::sql(sql))
        .bind(id)
        .fetch_optional(&s.db.pool)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no dataset {id} (or not indexed yet)")))?;
    view(s, &row).await
}

/// One dataset with its provenance and licence terms.
#[utoipa::path(get, path = "/api/datasets/{id}", tag = "buyer",
    params(("id" = i64, Path, description = "dataset id")),
    responses((status = 200, body = DatasetView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DatasetView>> {
    Ok(Json(load(&s, id).await?))
}

/// A stored package.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PackageStored {
    /// Its 0G root (what to publish).
    pub root: String,
    /// Bytes.
    pub size: u64,
}

/// Stores a dataset package (the ZIP or JSONL `labelmint package` or
/// `labelmint export` made) privately; buyers download it with a licence.
#[utoipa::path(post, path = "/api/packages", tag = "creator",
    request_body(content = Vec<u8>, description = "the package bytes", content_type = "application/octet-stream"),
    responses((status = 200, body = PackageStored), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody)))]
pub async fn upload_package(
    State(s): State<AppState>,
    session: Session,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Response> {
    if let Err(wait) = s.address_limiter.check(&addr_key(session.address)) {
        return Ok(too_many(wait));
    }
    let body = body.map_err(|e| {
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
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "empty_package",
            "the package is empty",
        ));
    }
    let size = body.len() as u64;
    let store = s.store.clone();
    let root = tokio::task::spawn_blocking(move || store.put(&body))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    super::data::mark_private(&s, root, "package").await?;
    Ok(Json(PackageStored {
        root: format!("{root:#x}"),
        size,
    })
    .into_response())
}

/// `POST /api/datasets/prepare` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PreparePublish {
    /// The package root (stored with `POST /api/packages`).
    pub root: String,
    /// The source job (its creator publishes; it must be settled).
    pub job_id: i64,
    /// Which program runs the source job: `market` (the default: review
    /// jobs), `hub` (consensus jobs) or `court` (court jobs). Sales pay
    /// royalties to the job's annotators pro rata to their accepted labels.
    pub source: Option<String>,
    /// `coco`, `jsonl-chat`, `jsonl-instruction`, `jsonl-completion`.
    pub format: String,
    /// Licence price in wei (or RewardToken units).
    pub price: String,
    /// The price's currency: the zero address or absent for ETH, or the
    /// RewardToken's address (buyers then pay with a permit).
    pub payment_token: Option<String>,
    /// The version it replaces (0: none).
    pub previous_version: Option<i64>,
    /// Whether licences of the previous version carry over.
    pub carry_licenses: Option<bool>,
}

/// The `publish` transaction for a stored package.
#[utoipa::path(post, path = "/api/datasets/prepare", tag = "creator", request_body = PreparePublish,
    responses((status = 200, body = UnsignedTx), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_publish(
    State(s): State<AppState>,
    session: Session,
    ApiJson(req): ApiJson<PreparePublish>,
) -> ApiResult<Json<UnsignedTx>> {
    let root = super::data::parse_root(&req.root)?;
    if !s.store.contains(&root) {
        return Err(ApiError::not_found(format!(
            "package {root} is not on this server: POST /api/packages first"
        )));
    }
    let format = registry::format_of(&req.format).ok_or_else(|| {
        ApiError::bad_request(
            "bad_format",
            "format: coco, jsonl-chat, jsonl-instruction or jsonl-completion",
        )
    })?;
    let price: u128 = parse_u256("price", &req.price)?
        .try_into()
        .map_err(|_| ApiError::bad_request("bad_amount", "price is too large"))?;
    let payment_token = match req.payment_token.as_deref() {
        None => Address::ZERO,
        Some(t) => super::parse_address("payment_token", t)?,
    };
    if !payment_token.is_zero() && payment_token != s.config.contracts.token {
        return Err(ApiError::bad_request(
            "unsupported_token",
            format!(
                "payment_token: ETH (the zero address) or the RewardToken {}, not {payment_token}",
                s.config.contracts.token
            ),
        ));
    }
    let source = source_address(&s, req.source.as_deref())?;
    let call = IRegistry::publishCall {
        rootHash: root,
        metadataHash: B256::ZERO,
        format,
        price,
        paymentToken: payment_token,
        source,
        sourceJobId: U256::from(u64::try_from(req.job_id).unwrap_or(0)),
        previousVersion: U256::from(u64::try_from(req.previous_version.unwrap_or(0)).unwrap_or(0)),
        carryLicenses: req.carry_licenses.unwrap_or(false),
    };
    let tx = UnsignedTx::new(
        &s,
        Some(session.address),
        s.config.contracts.registry,
        &call,
        U256::ZERO,
    )
    .simulated(&s, Program::DatasetRegistry)
    .await?;
    Ok(Json(tx))
}

/// `POST /api/datasets/{id}/purchase/prepare` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct PreparePurchase {
    /// Who gets the licence (default: the signed-in buyer).
    pub licensee: Option<String>,
    /// For a dataset priced in the RewardToken: the buyer's EIP-2612 permit
    /// to the registry for exactly the price (`POST /api/permits/prepare`
    /// with spender `registry`); the transaction is then `purchaseWithPermit`.
    pub permit: Option<super::permit::PermitSignature>,
}

/// The `purchase` transaction at the current price (as `maxPrice`, so a
/// price raised meanwhile reverts instead of charging more); for a dataset
/// priced in the RewardToken, `purchaseWithPermit` with the buyer's checked
/// permit (`400 permit_required` without one, `422 permit_expired`, `422
/// permit_invalid`).
#[utoipa::path(post, path = "/api/datasets/{id}/purchase/prepare", tag = "buyer",
    params(("id" = i64, Path, description = "dataset id")), request_body = PreparePurchase,
    responses((status = 200, body = UnsignedTx), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_purchase(
    State(s): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<PreparePurchase>,
) -> ApiResult<Json<UnsignedTx>> {
    let d = load(&s, id).await?;
    let licensee = match req.licensee.as_deref() {
        Some(l) => super::parse_address("licensee", l)?,
        None => session.address,
    };
    let token: Address = d.payment_token.parse().unwrap_or_default();
    let price = parse_u256("price", &d.price)?;
    let max_price: u128 = price.try_into().unwrap_or(u128::MAX);
    let registry = s.config.contracts.registry;
    let tx = if token.is_zero() {
        let call = IRegistry::purchaseCall {
            datasetId: U256::from(id),
            licensee,
            token,
            maxPrice: max_price,
        };
        UnsignedTx::new(&s, Some(session.address), registry, &call, price)
    } else {
        let Some(p) = req.permit.as_ref() else {
            return Err(ApiError::bad_request(
                "permit_required",
                format!(
                    "dataset {id} is priced in the RewardToken: send the buyer's EIP-2612 permit for {price} (POST /api/permits/prepare with spender registry)"
                ),
            ));
        };
        let permit = super::permit::check_permit(&s, session.address, registry, price, p).await?;
        let call = IRegistry::purchaseWithPermitCall {
            datasetId: U256::from(id),
            licensee,
            token,
            maxPrice: max_price,
            permit: labelmint_client::permit_blob(&permit).into(),
        };
        UnsignedTx::new(&s, Some(session.address), registry, &call, U256::ZERO)
    };
    Ok(Json(tx.simulated(&s, Program::DatasetRegistry).await?))
}

/// Downloads the package: the signed-in address must hold a licence on
/// chain (or be the publisher); the bytes are verified against the
/// registry's root before they are sent.
#[utoipa::path(get, path = "/api/datasets/{id}/download", tag = "buyer",
    params(("id" = i64, Path, description = "dataset id")),
    responses((status = 200, description = "the package, verified", content_type = "application/octet-stream"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn download(
    State(s): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let live = s
        .rpc
        .read(
            Program::DatasetRegistry,
            s.config.contracts.registry,
            &IRegistry::getDatasetCall {
                datasetId: U256::from(id),
            },
        )
        .await
        .map_err(ApiError::upstream)?;
    if live.publisher.is_zero() {
        return Err(ApiError::not_found(format!("no dataset {id}")));
    }
    let licensed = live.publisher == session.address
        || s.rpc
            .read(
                Program::DatasetRegistry,
                s.config.contracts.registry,
                &IRegistry::hasLicenseCall {
                    datasetId: U256::from(id),
                    account: session.address,
                },
            )
            .await
            .map_err(ApiError::upstream)?;
    if !licensed {
        return Err(ApiError::forbidden(
            "no_licence",
            format!(
                "{} holds no licence for dataset {id}: buy one first",
                session.address.to_checksum(None)
            ),
        ));
    }
    let root = live.rootHash;
    let store = s.store.clone();
    let bytes = tokio::task::spawn_blocking(move || store.get(&root))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| match e {
            labelmint_storage::StorageError::NotFound(_) => {
                ApiError::not_found(format!("the package {root} is not on this server"))
            }
            other => ApiError::internal(other),
        })?;
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"dataset-{id}.{}\"",
        if live.format == 0 { "zip" } else { "jsonl" }
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("{root:#x}")) {
        h.insert("x-content-root", v);
    }
    Ok(resp)
}
