//! EIP-2612 permits of the RewardToken: the typed data a wallet signs (its
//! domain read from the token's `eip712Domain()`, the owner's nonce from
//! `nonces`), and the check of a signed permit before a transaction that
//! carries it (`createJobWithPermit`, `purchaseWithPermit`) is prepared —
//! so an expired or wrong permit is a named error, not a `TokenCallFailed`
//! revert.

use alloy_primitives::{Address, Signature, B256, U256};
use alloy_sol_types::{Eip712Domain, SolStruct};
use axum::{extract::State, Json};
use labelmint_client::{revert::Program, IRewardToken, Permit};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::parse_u256;
use crate::{
    auth::Session,
    error::{ApiError, ApiResult},
    extract::ApiJson,
    state::AppState,
};

/// Seconds a prepared permit stays valid by default.
pub const DEFAULT_PERMIT_SECS: u64 = 3_600;

/// A signed permit as a transaction's prepare call takes it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PermitSignature {
    /// The permit's deadline (chain time, seconds; decimal).
    pub deadline: String,
    /// The owner's EIP-712 signature of the `Permit` (0x-hex, 65 bytes).
    pub signature: String,
}

/// `POST /api/permits/prepare` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PreparePermit {
    /// Who may pull the tokens: `market` (a job's escrow) or `registry` (a
    /// licence's price).
    pub spender: String,
    /// RewardToken units (decimal): the escrow, or the price.
    pub value: String,
    /// Seconds from the chain's now until the permit expires (default 3,600).
    pub deadline_secs: Option<u64>,
}

/// A permit to sign.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PermitToSign {
    /// EIP-712 typed data (`domain` from the token's `eip712Domain()`,
    /// `types`, `primaryType: "Permit"`, `message`), for `eth_signTypedData_v4`.
    #[schema(value_type = Object)]
    pub typed_data: Value,
    /// The digest the signature covers.
    pub digest: String,
    /// The deadline to send back with the signature.
    pub deadline: String,
}

/// The RewardToken's EIP-712 domain, as its `eip712Domain()` (EIP-5267)
/// describes it.
pub async fn token_domain(s: &AppState) -> ApiResult<(Eip712Domain, Value)> {
    let token = s.config.contracts.token;
    if token.is_zero() {
        return Err(ApiError::not_found(
            "this server's deployment has no RewardToken",
        ));
    }
    let d = s
        .rpc
        .read(
            Program::RewardToken,
            token,
            &IRewardToken::eip712DomainCall {},
        )
        .await
        .map_err(ApiError::upstream)?;
    let fields = d._0.0[0];
    let has = |bit: u8| fields & (1 << bit) != 0;
    let domain = Eip712Domain::new(
        has(0).then(|| d._1.clone().into()),
        has(1).then(|| d._2.clone().into()),
        has(2).then_some(d._3),
        has(3).then_some(d._4),
        has(4).then_some(d._5),
    );
    let mut types = Vec::new();
    let mut values = serde_json::Map::new();
    if has(0) {
        types.push(json!({"name": "name", "type": "string"}));
        values.insert("name".into(), json!(d._1));
    }
    if has(1) {
        types.push(json!({"name": "version", "type": "string"}));
        values.insert("version".into(), json!(d._2));
    }
    if has(2) {
        types.push(json!({"name": "chainId", "type": "uint256"}));
        values.insert("chainId".into(), json!(u64::try_from(d._3).unwrap_or(0)));
    }
    if has(3) {
        types.push(json!({"name": "verifyingContract", "type": "address"}));
        values.insert("verifyingContract".into(), json!(d._4.to_checksum(None)));
    }
    if has(4) {
        types.push(json!({"name": "salt", "type": "bytes32"}));
        values.insert("salt".into(), json!(format!("{:#x}", d._5)));
    }
    Ok((domain, json!({"types": types, "values": values})))
}

/// The spender a name stands for.
fn spender_of(s: &AppState, name: &str) -> ApiResult<Address> {
    match name {
        "market" => Ok(s.config.contracts.market),
        "registry" => Ok(s.config.contracts.registry),
        _ => Err(ApiError::bad_request(
            "bad_spender",
            "spender: market (a job's escrow) or registry (a licence)",
        )),
    }
}

async fn nonce_of(s: &AppState, owner: Address) -> ApiResult<U256> {
    s.rpc
        .read(
            Program::RewardToken,
            s.config.contracts.token,
            &IRewardToken::noncesCall { owner },
        )
        .await
        .map_err(ApiError::upstream)
}

/// The EIP-712 typed data of a RewardToken permit from the signed-in
/// address to the market or the registry for `value`, with the owner's
/// current nonce and a deadline an hour (or `deadline_secs`) from the
/// chain's now. The wallet signs it; the signature goes with the deadline
/// to `/api/jobs/prepare` or `/api/datasets/{id}/purchase/prepare`.
#[utoipa::path(post, path = "/api/permits/prepare", tag = "account", request_body = PreparePermit,
    responses((status = 200, body = PermitToSign), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 502, body = crate::error::ErrorBody)))]
pub async fn prepare_permit(
    State(s): State<AppState>,
    session: Session,
    ApiJson(req): ApiJson<PreparePermit>,
) -> ApiResult<Json<PermitToSign>> {
    let spender = spender_of(&s, &req.spender)?;
    let value = parse_u256("value", &req.value)?;
    let secs = req.deadline_secs.unwrap_or(DEFAULT_PERMIT_SECS);
    if secs == 0 || secs > 30 * 86_400 {
        return Err(ApiError::bad_request(
            "bad_deadline",
            "deadline_secs: 1 s to 30 days",
        ));
    }
    let (domain, described) = token_domain(&s).await?;
    let nonce = nonce_of(&s, session.address).await?;
    let now = s.rpc.now().await.map_err(ApiError::upstream)?;
    let deadline = U256::from(now + secs);
    let permit = Permit {
        owner: session.address,
        spender,
        value,
        nonce,
        deadline,
    };
    let digest = permit.eip712_signing_hash(&domain);
    let typed_data = json!({
        "types": {
            "EIP712Domain": described["types"],
            "Permit": [
                {"name": "owner", "type": "address"},
                {"name": "spender", "type": "address"},
                {"name": "value", "type": "uint256"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "Permit",
        "domain": described["values"],
        "message": {
            "owner": session.address.to_checksum(None),
            "spender": spender.to_checksum(None),
            "value": value.to_string(),
            "nonce": nonce.to_string(),
            "deadline": deadline.to_string(),
        },
    });
    Ok(Json(PermitToSign {
        typed_data,
        digest: format!("{digest:#x}"),
        deadline: deadline.to_string(),
    }))
}

/// Checks a signed permit from `owner` to `spender` for exactly `value`
/// against the chain: not expired (`422 permit_expired`), a 65-byte
/// signature (`400 bad_signature`) that recovers to `owner` over the
/// `Permit` with the owner's current nonce in the token's domain (`422
/// permit_invalid` otherwise: signed by someone else, or for another
/// amount, spender, nonce, deadline or token). The permit call, for
/// [`labelmint_client::permit_blob`].
pub async fn check_permit(
    s: &AppState,
    owner: Address,
    spender: Address,
    value: U256,
    permit: &PermitSignature,
) -> ApiResult<IRewardToken::permitCall> {
    let deadline = parse_u256("permit.deadline", &permit.deadline)?;
    let now = s.rpc.now().await.map_err(ApiError::upstream)?;
    if deadline < U256::from(now) {
        return Err(ApiError::unprocessable(
            "permit_expired",
            format!("the permit expired at {deadline} (chain time {now}): sign a new one"),
        ));
    }
    let raw = alloy_primitives::hex::decode(permit.signature.trim())
        .ok()
        .filter(|b| b.len() == 65)
        .ok_or_else(|| {
            ApiError::bad_request(
                "bad_signature",
                "permit.signature: 65 bytes of 0x-hex (r ‖ s ‖ v)",
            )
        })?;
    let sig = Signature::from_raw(&raw)
        .map_err(|e| ApiError::bad_request("bad_signature", format!("permit.signature: {e}")))?;
    let (domain, _) = token_domain(s).await?;
    let nonce = nonce_of(s, owner).await?;
    let digest = Permit {
        owner,
        spender,
        value,
        nonce,
        deadline,
    }
    .eip712_signing_hash(&domain);
    let signer = sig.recover_address_from_prehash(&digest).ok();
    if signer != Some(owner) {
        return Err(ApiError::unprocessable(
            "permit_invalid",
            format!(
                "the permit is not {owner}'s signature of a permit for {value} RewardToken units to {spender} with nonce {nonce} and deadline {deadline} (signed by {}: another amount, spender, nonce, deadline or token?)",
                signer.map_or_else(|| "nobody".to_string(), |a| a.to_checksum(None))
            ),
        ));
    }
    // The token refuses high-s signatures (as OpenZeppelin's ECDSA does);
    // the same signature with s folded into the low half is as valid.
    let sig = sig.normalized_s();
    Ok(IRewardToken::permitCall {
        owner,
        spender,
        value,
        deadline,
        v: 27 + u8::from(sig.v()),
        r: B256::from(sig.r().to_be_bytes::<32>()),
        s: B256::from(sig.s().to_be_bytes::<32>()),
    })
}
