//! Task data served from the content store, verified against its root.

use alloy_primitives::B256;
use axum::{
    extract::State,
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
};

use crate::{
    error::{ApiError, ApiResult},
    extract::ApiPath,
    state::AppState,
};

/// Marks `root` as public data (`manifest`, `item`, `batch`).
pub async fn mark_public(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    root: B256,
    kind: &str,
    size: u64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO public_roots (root, kind, size) VALUES ($1, $2, $3) ON CONFLICT (root) DO NOTHING")
        .bind(format!("{root:#x}"))
        .bind(kind)
        .bind(i64::try_from(size).unwrap_or(i64::MAX))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Records `root` as private content (a dataset package): never public
/// data, whatever a manifest names.
pub async fn mark_private(s: &AppState, root: B256, kind: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO private_roots (root, kind) VALUES ($1, $2) ON CONFLICT (root) DO NOTHING",
    )
    .bind(format!("{root:#x}"))
    .bind(kind)
    .execute(&s.db.pool)
    .await?;
    Ok(())
}

/// Whether `root` is private: stored as a package here, or the package of a
/// published dataset (its root is on chain, so anyone knows it).
pub async fn is_private<'e, E>(db: E, root: B256) -> Result<bool, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let key = format!("{root:#x}");
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT 1 FROM private_roots WHERE root = $1
         UNION ALL SELECT 1 FROM datasets WHERE root_hash = $2 LIMIT 1",
    )
    .bind(key.clone())
    .bind(key)
    .fetch_optional(db)
    .await?;
    Ok(row.is_some())
}

/// A content type from the first bytes.
pub fn sniff(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(&[0x89, b'P', b'N', b'G']) {
        "image/png"
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        "image/jpeg"
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else if bytes.starts_with(b"PK\x03\x04") {
        "application/zip"
    } else if bytes.first() == Some(&b'{') || bytes.first() == Some(&b'[') {
        "application/json"
    } else if std::str::from_utf8(bytes).is_ok() {
        "text/plain; charset=utf-8"
    } else {
        "application/octet-stream"
    }
}

/// Parses a 0x-hex 32-byte root.
pub fn parse_root(text: &str) -> ApiResult<B256> {
    text.parse().map_err(|_| {
        ApiError::bad_request("bad_root", format!("{text:?} is not a 32-byte 0x-hex root"))
    })
}

/// Public content (task items, manifests, batch files) by 0G root, read
/// from the store and verified against the root. Dataset packages are not
/// served here (they need a licence: `/api/datasets/{id}/download`).
#[utoipa::path(get, path = "/api/data/{root}", tag = "annotator",
    params(("root" = String, Path, description = "0x-hex 0G root")),
    responses((status = 200, description = "the verified bytes", content_type = "application/octet-stream"),
        (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(State(s): State<AppState>, ApiPath(root): ApiPath<String>) -> ApiResult<Response> {
    let root = parse_root(&root)?;
    let public: Option<(String,)> = sqlx::query_as("SELECT kind FROM public_roots WHERE root = $1")
        .bind(format!("{root:#x}"))
        .fetch_optional(&s.db.pool)
        .await?;
    if public.is_none() || is_private(&s.db.pool, root).await? {
        return Err(ApiError::not_found(format!(
            "no public data under {root} (a dataset package is downloaded with a licence: /api/datasets/{{id}}/download)"
        )));
    }
    let store = s.store.clone();
    let bytes = tokio::task::spawn_blocking(move || store.get(&root))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| match e {
            labelmint_storage::StorageError::NotFound(_) => {
                ApiError::not_found(format!("{root} is not in this server's store"))
            }
            other => ApiError::internal(other),
        })?;
    let mut resp = bytes.clone().into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(sniff(&bytes)),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("{root:#x}")) {
        h.insert("x-content-root", v);
    }
    Ok(resp)
}
