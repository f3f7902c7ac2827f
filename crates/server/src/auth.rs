//! Sign-in with Ethereum (EIP-4361).
//!
//! The server issues a single-use nonce; the wallet signs a message naming
//! this server's domain, the chain id, the nonce, when it was issued and
//! (optionally) when it expires. The server checks all of them, then the
//! signature: an EOA's by recovery (EIP-191), a contract wallet's by asking
//! it (EIP-1271 `isValidSignature`). The session is a random token, kept
//! only as its hash, sent as an HttpOnly, SameSite=Strict cookie and in the
//! answer (for scripts, as `Authorization: Bearer`). The server never holds
//! a user's key.

use std::str::FromStr;

use alloy_primitives::{keccak256, Address, Bytes, Signature, B256};
use alloy_sol_types::sol;
use axum::{
    extract::{FromRequestParts, State},
    http::{header, request::Parts, HeaderMap, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};
use labelmint_client::revert::Program;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    db::now_ms,
    error::{ApiError, ApiResult},
    extract::{ApiJson, ApiQuery},
    state::{addr_key, AppState},
};

/// The session cookie's name.
pub const COOKIE: &str = "labelmint_session";
/// How long an issued nonce may wait for its signature.
const NONCE_TTL_MS: i64 = 10 * 60 * 1000;
/// Tolerated clock difference for `issued-at` in the future.
const SKEW_MS: i64 = 60 * 1000;

sol! {
    /// EIP-1271.
    interface IERC1271 {
        function isValidSignature(bytes32 hash, bytes signature) external view returns (bytes4 magic);
    }
}

/// EIP-1271's magic value.
const MAGIC_1271: [u8; 4] = [0x16, 0x26, 0xba, 0x7e];

/// `GET /api/auth/nonce` parameters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct NonceQuery {
    /// With an address, the answer includes the complete message to sign.
    pub address: Option<String>,
}

/// A fresh nonce and what the message must say.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NonceResponse {
    /// The nonce (single use, valid 10 minutes).
    pub nonce: String,
    /// The domain the message must name.
    pub domain: String,
    /// The URI the message should name.
    pub uri: String,
    /// The chain id the message must name.
    pub chain_id: u64,
    /// When the nonce was issued (RFC 3339).
    pub issued_at: String,
    /// When it expires (RFC 3339).
    pub expiration_time: String,
    /// The EIP-4361 message for `address`, ready to sign (when an address was given).
    pub message: Option<String>,
}

/// `POST /api/auth/verify` body.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VerifyRequest {
    /// The EIP-4361 message that was signed.
    pub message: String,
    /// The signature (0x-hex; 65 bytes for an EOA, any length for EIP-1271).
    pub signature: String,
}

/// A session.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionResponse {
    /// The signed-in address (checksummed).
    pub address: String,
    /// The bearer token (the same as the cookie's).
    pub token: String,
    /// When it expires (ms since the epoch).
    pub expires_at_ms: i64,
}

/// Who is signed in.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Me {
    /// The address (checksummed).
    pub address: String,
}

fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn random_hex(bytes: usize) -> String {
    let mut out = String::new();
    while out.len() < bytes * 2 {
        out.push_str(&alloy_primitives::hex::encode(B256::random()));
    }
    out.truncate(bytes * 2);
    out
}

/// The EIP-4361 message for `address` with these fields.
pub fn siwe_message(
    domain: &str,
    address: Address,
    uri: &str,
    chain_id: u64,
    nonce: &str,
    issued_at: &str,
    expiration_time: &str,
) -> String {
    format!(
        "{domain} wants you to sign in with your Ethereum account:\n{}\n\nSign in to labelmint.\n\nURI: {uri}\nVersion: 1\nChain ID: {chain_id}\nNonce: {nonce}\nIssued At: {issued_at}\nExpiration Time: {expiration_time}",
        address.to_checksum(None)
    )
}

/// A fresh single-use nonce.
#[utoipa::path(get, path = "/api/auth/nonce", tag = "auth", params(NonceQuery),
    responses((status = 200, body = NonceResponse), (status = 400, body = crate::error::ErrorBody)))]
pub async fn nonce(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<NonceQuery>,
) -> ApiResult<Json<NonceResponse>> {
    let address = match q.address.as_deref() {
        Some(a) => Some(Address::from_str(a).map_err(|_| {
            ApiError::bad_request("bad_address", format!("{a:?} is not an address"))
        })?),
        None => None,
    };
    let nonce = random_hex(16);
    let now = now_ms();
    let expires = now + NONCE_TTL_MS;
    sqlx::query("INSERT INTO siwe_nonces (nonce, expires_at_ms) VALUES ($1, $2)")
        .bind(&nonce)
        .bind(expires)
        .execute(&s.db.pool)
        .await?;
    // Forget nonces nobody used.
    sqlx::query("DELETE FROM siwe_nonces WHERE expires_at_ms < $1")
        .bind(now)
        .execute(&s.db.pool)
        .await?;
    let (issued_at, expiration_time) = (rfc3339(now), rfc3339(expires));
    let message = address.map(|a| {
        siwe_message(
            &s.config.domain,
            a,
            &s.config.uri,
            s.rpc.chain_id,
            &nonce,
            &issued_at,
            &expiration_time,
        )
    });
    Ok(Json(NonceResponse {
        nonce,
        domain: s.config.domain.clone(),
        uri: s.config.uri.clone(),
        chain_id: s.rpc.chain_id,
        issued_at,
        expiration_time,
        message,
    }))
}

/// Checks `signature` over `hash` for `address`: recovery for an EOA,
/// EIP-1271 for a contract wallet.
pub async fn signature_valid(
    s: &AppState,
    address: Address,
    hash: B256,
    signature: &[u8],
) -> ApiResult<bool> {
    if signature.len() == 65 {
        if let Ok(sig) = Signature::from_raw(signature) {
            if sig.recover_address_from_prehash(&hash).ok() == Some(address) {
                return Ok(true);
            }
        }
    }
    if !s.rpc.has_code(address).await.map_err(ApiError::upstream)? {
        return Ok(false);
    }
    let call = IERC1271::isValidSignatureCall {
        hash,
        signature: Bytes::copy_from_slice(signature),
    };
    Ok(
        match s.rpc.read(Program::AnnotationMarket, address, &call).await {
            Ok(magic) => magic.0 == MAGIC_1271,
            Err(_) => false,
        },
    )
}

/// Parses 0x-hex bytes.
pub fn hex_bytes(field: &str, text: &str) -> ApiResult<Vec<u8>> {
    alloy_primitives::hex::decode(text.trim())
        .map_err(|_| ApiError::bad_request("bad_hex", format!("{field} is not 0x-hex")))
}

/// Signs in: checks the message and its signature, opens a session.
#[utoipa::path(post, path = "/api/auth/verify", tag = "auth", request_body = VerifyRequest,
    responses((status = 200, body = SessionResponse, description = "signed in; also sets the HttpOnly SameSite=Strict session cookie"),
        (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody)))]
#[allow(clippy::too_many_lines)]
pub async fn verify(
    State(s): State<AppState>,
    ApiJson(req): ApiJson<VerifyRequest>,
) -> ApiResult<Response> {
    let message = siwe::Message::from_str(&req.message).map_err(|e| {
        ApiError::bad_request("siwe_malformed", format!("not an EIP-4361 message: {e}"))
    })?;
    if message.domain.as_str() != s.config.domain {
        return Err(ApiError::unauthorized(
            "siwe_domain",
            format!(
                "the message is for {}, this server is {}",
                message.domain, s.config.domain
            ),
        ));
    }
    if message.chain_id != s.rpc.chain_id {
        return Err(ApiError::unauthorized(
            "siwe_chain",
            format!(
                "the message is for chain {}, this server serves chain {}",
                message.chain_id, s.rpc.chain_id
            ),
        ));
    }
    let now = now_ms();
    let ms = |t: &siwe::TimeStamp| {
        i64::try_from(t.as_ref().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
    };
    let issued = ms(&message.issued_at);
    if issued > now + SKEW_MS {
        return Err(ApiError::unauthorized(
            "siwe_not_yet_valid",
            "the message was issued in the future",
        ));
    }
    let max_age = i64::try_from(s.config.siwe_max_age.as_millis()).unwrap_or(i64::MAX);
    if now - issued > max_age {
        return Err(ApiError::unauthorized(
            "siwe_expired",
            "the message was issued too long ago; ask for a new nonce",
        ));
    }
    if let Some(exp) = &message.expiration_time {
        if ms(exp) <= now {
            return Err(ApiError::unauthorized(
                "siwe_expired",
                "the message has expired",
            ));
        }
    }
    if let Some(nbf) = &message.not_before {
        if ms(nbf) > now + SKEW_MS {
            return Err(ApiError::unauthorized(
                "siwe_not_yet_valid",
                "the message is not valid yet",
            ));
        }
    }
    let signature = hex_bytes("signature", &req.signature)?;
    let hash = message
        .eip191_hash()
        .map(B256::from)
        .map_err(|e| ApiError::bad_request("siwe_malformed", e.to_string()))?;
    let address = Address::from(message.address);
    if !signature_valid(&s, address, hash, &signature).await? {
        return Err(ApiError::unauthorized(
            "bad_signature",
            "the signature is not the address's (neither recovered nor accepted by EIP-1271)",
        ));
    }
    // Single use: only the first verification consumes the nonce.
    let used = sqlx::query("DELETE FROM siwe_nonces WHERE nonce = $1 AND expires_at_ms > $2")
        .bind(&message.nonce)
        .bind(now)
        .execute(&s.db.pool)
        .await?;
    if used.rows_affected() != 1 {
        return Err(ApiError::unauthorized(
            "siwe_nonce",
            "unknown, expired or already used nonce",
        ));
    }
    let token = random_hex(32);
    let ttl = i64::try_from(s.config.session_ttl.as_millis()).unwrap_or(i64::MAX / 2);
    let expires = now + ttl;
    sqlx::query(
        "INSERT INTO sessions (token_hash, address, created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash(&token))
    .bind(addr_key(address))
    .bind(now)
    .bind(expires)
    .execute(&s.db.pool)
    .await?;
    let cookie = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        ttl / 1000,
        if s.config.cookie_secure {
            "; Secure"
        } else {
            ""
        }
    );
    let body = SessionResponse {
        address: address.to_checksum(None),
        token,
        expires_at_ms: expires,
    };
    let mut resp = Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// Ends the session.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses((status = 204, description = "signed out; the cookie is cleared"), (status = 401, body = crate::error::ErrorBody)))]
pub async fn logout(State(s): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let token = token_of(&headers).ok_or_else(not_signed_in)?;
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash(&token))
        .execute(&s.db.pool)
        .await?;
    let mut resp = axum::http::StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "labelmint_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    Ok(resp)
}

/// The signed-in address.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth",
    responses((status = 200, body = Me), (status = 401, body = crate::error::ErrorBody)))]
pub async fn me(session: Session) -> Json<Me> {
    Json(Me {
        address: session.address.to_checksum(None),
    })
}

/// keccak256 of a session token (what the database keeps).
fn token_hash(token: &str) -> String {
    format!("{:#x}", keccak256(token.as_bytes()))
}

/// The session token from `Authorization: Bearer` or the cookie.
fn token_of(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(t) = v.strip_prefix("Bearer ") {
            return Some(t.trim().to_string());
        }
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == COOKIE).then(|| v.to_string())
        })
}

fn not_signed_in() -> ApiError {
    ApiError::unauthorized(
        "not_signed_in",
        "sign in with Ethereum first (/api/auth/nonce, /api/auth/verify)",
    )
}

/// A signed-in caller.
#[derive(Debug, Clone, Copy)]
pub struct Session {
    /// The address.
    pub address: Address,
}

impl FromRequestParts<AppState> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, ApiError> {
        let token = token_of(&parts.headers).ok_or_else(not_signed_in)?;
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT address FROM sessions WHERE token_hash = $1 AND expires_at_ms > $2",
        )
        .bind(token_hash(&token))
        .bind(now_ms())
        .fetch_optional(&s.db.pool)
        .await?;
        let (address,) = row.ok_or_else(|| {
            ApiError::unauthorized(
                "session_expired",
                "unknown or expired session; sign in again",
            )
        })?;
        let address = Address::from_str(&address).map_err(ApiError::internal)?;
        Ok(Self { address })
    }
}

/// A caller who may or may not be signed in.
#[derive(Debug, Clone, Copy)]
pub struct MaybeSession(pub Option<Session>);

impl FromRequestParts<AppState> for MaybeSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, ApiError> {
        if token_of(&parts.headers).is_none() {
            return Ok(Self(None));
        }
        Session::from_request_parts(parts, s)
            .await
            .map(|x| Self(Some(x)))
    }
}
