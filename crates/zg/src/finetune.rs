//! The 0G Compute fine-tuning provider (broker) API.
//!
//! A provider serves `GET /v1/model` (its models), `GET /v1/quote` (its TEE
//! quote and signing address), `POST /v1/user/{user}/task` (a signed task
//! for a dataset root), `GET /v1/user/{user}/task/{id}` (status) and
//! `GET /v1/user/{user}/task/{id}/log`. A task moves through
//! `Init → SettingUp → SetUp → Training → Trained → Delivering → Delivered →
//! UserAcknowledged → Finished`, or to `Failed` from any state before
//! `Finished`.
//!
//! A task is signed the way the 0G serving broker SDK
//! (`@0glabs/0g-serving-broker`, `signRequest`) signs it and the provider
//! verifies it (its `getHash`): EIP-191 `personal_sign` of the 32-byte
//! `keccak256(user ‖ nonce ‖ datasetHash ‖ fee)`, that is
//! `abi.encodePacked(address, uint256, string, uint256)` where the dataset
//! hash is the **UTF-8 text** of the `datasetHash` string sent in the task
//! (`0x` and 64 lowercase hex digits here), not its 32 bytes. The model hash
//! and the training parameters are not signed: the provider binds neither
//! to the user's signature. `tests/fixtures/zg-broker.json`, made by the SDK
//! (`scripts/zg/broker-vectors.mjs`), holds the digests and signatures the
//! tests compare with. One difference is deliberate: the SDK passes the
//! digest through ethers' `toBeArray`, which drops leading zero bytes, so it
//! signs a digest starting with `0x00` as a 31-byte message that the
//! provider (which rebuilds the 32-byte form) refuses; this client always
//! signs the 32 bytes.

use std::time::{Duration, Instant};

use alloy_primitives::{keccak256, Address, B256, U256};
use k256::ecdsa::SigningKey;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{http::Http, Result, Retry, ZgError};

/// The states a task passes through, in order.
pub const STATES: [&str; 9] = [
    "Init",
    "SettingUp",
    "SetUp",
    "Training",
    "Trained",
    "Delivering",
    "Delivered",
    "UserAcknowledged",
    "Finished",
];

/// A model a provider fine-tunes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    /// Name (`Qwen2.5-0.5B-Instruct`, …).
    pub name: String,
    /// Root hash of the pre-trained weights.
    pub hash: B256,
    /// `text` or `image`.
    #[serde(default)]
    pub data_type: String,
    /// What it is.
    #[serde(default)]
    pub description: String,
}

/// `GET /v1/quote`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    /// The TEE attestation report.
    pub quote: String,
    /// The address the provider signs deliveries with.
    pub provider_signer: Address,
}

/// A fine-tuning task as the provider reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// Task id.
    #[serde(default)]
    pub id: String,
    /// The customer.
    pub user_address: Address,
    /// Model weights root.
    pub pre_trained_model_hash: B256,
    /// Dataset root (the registry's root).
    pub dataset_hash: B256,
    /// Training parameters (JSON text).
    pub training_params: String,
    /// Fee in wei (decimal string).
    pub fee: String,
    /// Nonce (decimal string).
    pub nonce: String,
    /// `0x` signature.
    pub signature: String,
    /// Current state.
    #[serde(default)]
    pub progress: String,
    /// Root of the delivered model, once delivered.
    #[serde(default)]
    pub output_root_hash: Option<B256>,
}

/// What to train.
#[derive(Clone, Debug)]
pub struct TaskRequest {
    /// Model weights root.
    pub pre_trained_model_hash: B256,
    /// Dataset root.
    pub dataset_hash: B256,
    /// Training parameters (JSON text: epochs, learning rate, …).
    pub training_params: String,
    /// Fee in wei.
    pub fee: U256,
    /// Above the user's nonce in the provider's on-chain account (the SDK
    /// uses milliseconds since 1970 × 10,000 + 40).
    pub nonce: U256,
}

/// The `datasetHash` string of a task: `0x` and 64 lowercase hex digits,
/// exactly the text the signature packs.
pub fn dataset_hash_text(hash: B256) -> String {
    alloy_primitives::hex::encode_prefixed(hash)
}

/// The digest the broker's signature covers (before the EIP-191 prefix):
/// `keccak256(abi.encodePacked(user, nonce, dataset_hash, fee))` with
/// `dataset_hash` packed as the bytes of its text.
pub fn request_digest(user: Address, nonce: U256, dataset_hash: &str, fee: U256) -> B256 {
    let mut buf = Vec::with_capacity(20 + 32 + dataset_hash.len() + 32);
    buf.extend_from_slice(user.as_slice());
    buf.extend_from_slice(&nonce.to_be_bytes::<32>());
    buf.extend_from_slice(dataset_hash.as_bytes());
    buf.extend_from_slice(&fee.to_be_bytes::<32>());
    keccak256(buf)
}

/// The digest a task request signs (before the EIP-191 prefix): user,
/// nonce, [`dataset_hash_text`] and fee; the model hash and the training
/// parameters are not covered (the provider does not bind them).
pub fn task_digest(user: Address, r: &TaskRequest) -> B256 {
    request_digest(user, r.nonce, &dataset_hash_text(r.dataset_hash), r.fee)
}

/// The JSON body of `POST /v1/user/{user}/task` for `request` signed by
/// `key`: the fields the broker SDK sends, with the user checksummed and the
/// fee and nonce as decimal strings.
pub fn task_body(key: &SigningKey, request: &TaskRequest) -> serde_json::Value {
    let user = address_of(key);
    signed_task_body(
        user,
        request,
        &personal_sign(key, task_digest(user, request)),
    )
}

/// The JSON body of `POST /v1/user/{user}/task` for `request` that `user`
/// signed elsewhere (a browser wallet's `personal_sign` of
/// [`task_digest`]): the fields [`task_body`] sends, with `signature`.
pub fn signed_task_body(
    user: Address,
    request: &TaskRequest,
    signature: &str,
) -> serde_json::Value {
    json!({
        "userAddress": user.to_checksum(None),
        "datasetHash": dataset_hash_text(request.dataset_hash),
        "trainingParams": request.training_params,
        "preTrainedModelHash": alloy_primitives::hex::encode_prefixed(request.pre_trained_model_hash),
        "fee": request.fee.to_string(),
        "nonce": request.nonce.to_string(),
        "signature": signature,
    })
}

/// EIP-191 `personal_sign` of a 32-byte digest: `0x` + r ‖ s ‖ v (27/28).
pub fn personal_sign(key: &SigningKey, digest: B256) -> String {
    let mut msg = b"\x19Ethereum Signed Message:\n32".to_vec();
    msg.extend_from_slice(digest.as_slice());
    let hash = keccak256(msg);
    let (sig, recid) = key
        .sign_prehash_recoverable(hash.as_slice())
        .expect("a 32-byte prehash always signs");
    let mut out = sig.to_bytes().to_vec();
    out.push(27 + recid.to_byte());
    format!("0x{}", alloy_primitives::hex::encode(out))
}

/// The address of `key`.
pub fn address_of(key: &SigningKey) -> Address {
    Address::from_public_key(key.verifying_key())
}

/// A fine-tuning provider.
#[derive(Clone, Debug)]
pub struct Broker {
    http: Http,
}

impl Broker {
    /// The provider at `url`.
    pub fn new(url: &str, retry: Retry) -> Self {
        Self {
            http: Http::new(url, retry),
        }
    }

    /// Models the provider fine-tunes.
    pub async fn models(&self) -> Result<Vec<Model>> {
        self.http.json("/v1/model", None).await
    }

    /// The provider's quote and signer.
    pub async fn quote(&self) -> Result<Quote> {
        self.http.json("/v1/quote", None).await
    }

    /// Creates a task signed by `key`.
    pub async fn create_task(&self, key: &SigningKey, request: &TaskRequest) -> Result<Task> {
        let user = address_of(key);
        self.http
            .json(
                &format!("/v1/user/{user}/task"),
                Some(task_body(key, request)),
            )
            .await
    }

    /// Creates a task `user` signed elsewhere: `body` is
    /// [`signed_task_body`]'s.
    pub async fn submit_task(&self, user: Address, body: serde_json::Value) -> Result<Task> {
        self.http
            .json(&format!("/v1/user/{user}/task"), Some(body))
            .await
    }

    /// The task's current record.
    pub async fn task(&self, user: Address, id: &str) -> Result<Task> {
        self.http
            .json(&format!("/v1/user/{user}/task/{id}"), None)
            .await
    }

    /// The task's log (at most [`crate::MAX_JSON_BODY`] bytes).
    pub async fn log(&self, user: Address, id: &str) -> Result<String> {
        let bytes = self
            .http
            .get_bytes(
                &format!("/v1/user/{user}/task/{id}/log"),
                crate::MAX_JSON_BODY,
            )
            .await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Polls the task every `poll` until `Finished` (or `Delivered`, when
    /// `until_delivered`) or `Failed`, for at most `timeout`; reports each new
    /// state to `on_state`. A state that is unknown or goes backwards is an
    /// error; `Failed` returns [`ZgError::TaskFailed`] with the log's tail.
    pub async fn wait(
        &self,
        user: Address,
        id: &str,
        until_delivered: bool,
        poll: Duration,
        timeout: Duration,
        mut on_state: impl FnMut(&str),
    ) -> Result<Task> {
        let started = Instant::now();
        let mut seen: Option<usize> = None;
        let target = if until_delivered { 6 } else { 8 };
        loop {
            let task = self.task(user, id).await?;
            if task.progress == "Failed" {
                on_state("Failed");
                let log = self.log(user, id).await.unwrap_or_default();
                let tail: String = log
                    .lines()
                    .rev()
                    .take(5)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("\n");
                return Err(ZgError::TaskFailed {
                    id: id.to_string(),
                    log: tail,
                });
            }
            let Some(at) = STATES.iter().position(|s| *s == task.progress) else {
                return Err(ZgError::BadTransition {
                    id: id.to_string(),
                    from: seen.map_or("-", |i| STATES[i]).to_string(),
                    to: task.progress.clone(),
                });
            };
            if let Some(prev) = seen {
                if at < prev {
                    return Err(ZgError::BadTransition {
                        id: id.to_string(),
                        from: STATES[prev].to_string(),
                        to: task.progress.clone(),
                    });
                }
            }
            if seen != Some(at) {
                on_state(STATES[at]);
                seen = Some(at);
            }
            if at >= target {
                return Ok(task);
            }
            if started.elapsed() >= timeout {
                return Err(ZgError::Timeout {
                    url: format!("task {id}"),
                    timeout,
                });
            }
            tokio::time::sleep(poll).await;
        }
    }
}
