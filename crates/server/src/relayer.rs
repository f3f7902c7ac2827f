//! The relayer: sends accepted signed batches from the outbox.
//!
//! A submission row moves `queued → signed → sent → mined | failed`. The
//! relayer claims due rows (a lease per row; `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL), and for a queued one signs `submitBatchBySig` with its own
//! key and the next nonce it manages, **persists the signed transaction
//! before broadcasting it**, broadcasts, and reads the receipt. Whatever
//! kills the process, the row says what to do next:
//!
//! - `queued`: nothing was signed; sign and send.
//! - `signed` / `sent`: exactly one signed transaction exists (its raw
//!   bytes are in the row). The relayer looks for its receipt and, if the
//!   node does not know it, broadcasts **the same bytes** again: same hash,
//!   same nonce, so it can be mined at most once. Only when that nonce was
//!   provably taken by another transaction while this one was never mined is
//!   the row signed anew. The market's nonce bitmap is a second guard: a
//!   signed batch can never be executed twice.
//!
//! A transaction pending longer than `bump_after` is re-signed with the same
//! nonce and higher fees (every hash is kept; whichever is mined counts).
//! Transient errors are retried with exponential backoff until the batch's
//! signature deadline; a mined revert ends the row as `failed` with the
//! decoded revert name and the transaction hash.

use std::str::FromStr;

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_network::TxSignerSync;
use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolEvent;
use labelmint_client::{market::IMarket, revert::Program};
use serde_json::json;
use sqlx::Row;

use crate::{
    config::PausePoint,
    db::{now_ms, Db},
    indexer::feed,
    rpc::RpcError,
    state::AppState,
};

/// Submissions claimed per round.
const CLAIM: i64 = 32;
/// A pending transaction is re-signed with higher fees after this long.
const BUMP_AFTER_MS: i64 = 30_000;
/// Longest backoff between retries.
const MAX_BACKOFF_MS: i64 = 30_000;

/// One outbox row as the relayer needs it.
#[derive(Debug, Clone)]
struct Row_ {
    id: i64,
    annotator: String,
    status: String,
    calldata: String,
    gas_limit: i64,
    deadline: i64,
    attempts: i64,
    relayer: Option<String>,
    tx_nonce: Option<i64>,
    raw_tx: Option<String>,
    tx_hashes: Option<String>,
    accepted_at_ms: i64,
    sent_at_ms: Option<i64>,
}

fn row_of(r: &sqlx::any::AnyRow) -> Result<Row_, sqlx::Error> {
    Ok(Row_ {
        id: r.try_get("id")?,
        annotator: r.try_get("annotator")?,
        status: r.try_get("status")?,
        calldata: r.try_get("calldata")?,
        gas_limit: r.try_get("gas_limit")?,
        deadline: r.try_get("deadline")?,
        attempts: r.try_get("attempts")?,
        relayer: r.try_get("relayer")?,
        tx_nonce: r.try_get("tx_nonce")?,
        raw_tx: r.try_get("raw_tx")?,
        tx_hashes: r.try_get("tx_hashes")?,
        accepted_at_ms: r.try_get("accepted_at_ms")?,
        sent_at_ms: r.try_get("sent_at_ms")?,
    })
}

const COLUMNS: &str = "id, annotator, status, calldata, gas_limit, deadline, attempts, relayer, tx_nonce, raw_tx, tx_hashes, accepted_at_ms, sent_at_ms";

/// The relayer of one instance.
#[derive(Debug)]
pub struct Relayer {
    s: AppState,
    signer: PrivateKeySigner,
    address: String,
    next_nonce: Option<u64>,
    gas_price: Option<(std::time::Instant, u128)>,
}

fn hashes(row: &Row_) -> Vec<B256> {
    row.tx_hashes
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter_map(|h| B256::from_str(h).ok())
        .collect()
}

fn is_nonce_taken(e: &RpcError) -> bool {
    let t = e.to_string().to_lowercase();
    // geth: "nonce too low"; revm (the devnet): "nonce 3 too low, expected 4".
    t.contains("nonce too low")
        || (t.contains("nonce") && t.contains("too low"))
        || t.contains("already used")
}

fn is_known(e: &RpcError) -> bool {
    let t = e.to_string().to_lowercase();
    t.contains("already known") || t.contains("known transaction") || t.contains("already imported")
}

impl Relayer {
    /// A relayer signing with `key`.
    pub fn new(s: AppState, key: B256) -> Result<Self, String> {
        let signer = PrivateKeySigner::from_bytes(&key).map_err(|e| format!("relayer key: {e}"))?;
        let address = format!("{:#x}", signer.address());
        Ok(Self {
            s,
            signer,
            address,
            next_nonce: None,
            gas_price: None,
        })
    }

    /// The relayer's account.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    fn pause_here(&self, point: PausePoint) -> bool {
        self.s.config.pause_at == Some(point)
    }

    async fn stop_forever(&self, point: PausePoint, id: i64) {
        tracing::warn!(submission = id, "relayer paused at {}", point.name());
        eprintln!("relayer paused at {} (submission {id})", point.name());
        std::future::pending::<()>().await;
    }

    /// The next nonce to sign with: the chain's pending count, or past the
    /// highest nonce this relayer has persisted and not seen mined.
    async fn nonce(&mut self) -> Result<u64, RpcError> {
        if let Some(n) = self.next_nonce {
            return Ok(n);
        }
        let chain = self.s.rpc.nonce(self.signer.address(), true).await?;
        let stored: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(tx_nonce) FROM submissions WHERE relayer = $1 AND status IN ('signed', 'sent')",
        )
        .bind(&self.address)
        .fetch_one(&self.s.db.pool)
        .await
        .map_err(|e| RpcError::Transport(format!("database: {e}")))?;
        let n = stored.map_or(chain, |m| chain.max(u64::try_from(m).unwrap_or(0) + 1));
        self.next_nonce = Some(n);
        Ok(n)
    }

    /// The node's gas price, read at most every two seconds.
    async fn gas_price(&mut self) -> Result<u128, RpcError> {
        if let Some((at, p)) = self.gas_price {
            if at.elapsed() < std::time::Duration::from_secs(2) {
                return Ok(p);
            }
        }
        let p = self.s.rpc.gas_price().await?;
        self.gas_price = Some((std::time::Instant::now(), p));
        Ok(p)
    }

    /// Claims due rows for this instance, in id order.
    async fn claim(&self) -> Result<Vec<Row_>, sqlx::Error> {
        let now = now_ms();
        let lease = i64::try_from(self.s.config.lease.as_millis()).unwrap_or(30_000);
        let db = &self.s.db;
        let sql = format!(
            "UPDATE submissions SET owner = $1, lease_until_ms = $2
             WHERE id IN (SELECT id FROM submissions
                 WHERE status IN ('queued', 'signed', 'sent') AND next_attempt_ms <= $3
                   AND (owner IS NULL OR owner = $1 OR lease_until_ms < $3)
                 ORDER BY id LIMIT $4{})
             RETURNING {COLUMNS}",
            db.skip_locked()
        );
        let rows = sqlx::query(Db::sql(sql))
            .bind(&self.s.config.instance)
            .bind(now + lease)
            .bind(now)
            .bind(CLAIM)
            .fetch_all(&db.pool)
            .await?;
        let mut out: Vec<Row_> = rows.iter().map(row_of).collect::<Result<_, _>>()?;
        // Signed transactions first, in nonce order: a later nonce cannot be
        // mined before an earlier one.
        out.sort_by_key(|r| (r.status == "queued", r.tx_nonce.unwrap_or(i64::MAX), r.id));
        Ok(out)
    }

    /// Runs until the process ends.
    pub async fn run(mut self) {
        tracing::info!(relayer = %self.address, "relayer started");
        loop {
            if self.s.relayer.paused() {
                tokio::select! {
                    () = self.s.relayer.wake.notified() => {}
                    () = tokio::time::sleep(self.s.config.poll_interval) => {}
                }
                continue;
            }
            let rows = match self.claim().await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox claim failed");
                    tokio::time::sleep(self.s.config.poll_interval).await;
                    continue;
                }
            };
            let busy = !rows.is_empty();
            for row in rows {
                if self.s.relayer.paused() {
                    break;
                }
                let id = row.id;
                if let Err(e) = self.process(row).await {
                    tracing::warn!(submission = id, error = %e, "relay step failed; will retry");
                    self.next_nonce = None;
                    let _ = self.backoff(id, &e.to_string()).await;
                }
            }
            if !busy {
                tokio::select! {
                    () = self.s.relayer.wake.notified() => {}
                    () = tokio::time::sleep(self.s.config.poll_interval) => {}
                }
            }
        }
    }

    async fn backoff(&self, id: i64, reason: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE submissions SET attempts = attempts + 1, next_attempt_ms = $2, error_message = $3, updated_at_ms = $4
             WHERE id = $1 AND owner = $5",
        )
        .bind(id)
        .bind(now_ms() + 250)
        .bind(reason)
        .bind(now_ms())
        .bind(&self.s.config.instance)
        .execute(&self.s.db.pool)
        .await?;
        Ok(())
    }

    async fn retry_later(&self, row: &Row_, reason: &str) -> Result<(), sqlx::Error> {
        let exp = u32::try_from(row.attempts.clamp(0, 16)).unwrap_or(16);
        let delay = (250_i64 << exp).min(MAX_BACKOFF_MS);
        sqlx::query(
            "UPDATE submissions SET attempts = attempts + 1, next_attempt_ms = $2, error_message = $3, updated_at_ms = $4
             WHERE id = $1 AND owner = $5",
        )
        .bind(row.id)
        .bind(now_ms() + delay)
        .bind(reason)
        .bind(now_ms())
        .bind(&self.s.config.instance)
        .execute(&self.s.db.pool)
        .await?;
        Ok(())
    }

    async fn process(&mut self, row: Row_) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        match row.status.as_str() {
            "queued" => self.send_new(row).await,
            _ => self.follow(row).await,
        }
    }

    /// Signs, persists, broadcasts and follows a queued submission.
    async fn send_new(
        &mut self,
        row: Row_,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if self.pause_here(PausePoint::Claimed) {
            self.stop_forever(PausePoint::Claimed, row.id).await;
        }
        let now = self.s.rpc.now().await?;
        if u64::try_from(row.deadline).unwrap_or(0) < now {
            self.fail(
                &row,
                None,
                "SignatureExpired",
                "the batch signature expired before it could be sent",
            )
            .await?;
            return Ok(());
        }
        let nonce = self.nonce().await?;
        let gas_price = self.gas_price().await?;
        let (raw, hash) = self.sign(&row, nonce, gas_price)?;
        let updated = sqlx::query(
            "UPDATE submissions SET status = 'signed', relayer = $2, tx_nonce = $3, raw_tx = $4, tx_hash = $5,
               tx_hashes = $5, sent_at_ms = $6, updated_at_ms = $6
             WHERE id = $1 AND owner = $7 AND status = 'queued'",
        )
        .bind(row.id)
        .bind(&self.address)
        .bind(i64::try_from(nonce)?)
        .bind(alloy_primitives::hex::encode_prefixed(&raw))
        .bind(format!("{hash:#x}"))
        .bind(now_ms())
        .bind(&self.s.config.instance)
        .execute(&self.s.db.pool)
        .await?;
        if updated.rows_affected() != 1 {
            // Another instance took the row over (our lease lapsed): it is theirs.
            return Ok(());
        }
        self.next_nonce = Some(nonce + 1);
        if self.pause_here(PausePoint::Signed) {
            self.stop_forever(PausePoint::Signed, row.id).await;
        }
        let row = Row_ {
            status: "signed".into(),
            relayer: Some(self.address.clone()),
            tx_nonce: Some(i64::try_from(nonce)?),
            raw_tx: Some(alloy_primitives::hex::encode_prefixed(&raw)),
            tx_hashes: Some(format!("{hash:#x}")),
            sent_at_ms: Some(now_ms()),
            ..row
        };
        self.follow(row).await
    }

    fn sign(
        &self,
        row: &Row_,
        nonce: u64,
        gas_price: u128,
    ) -> Result<(Vec<u8>, B256), Box<dyn std::error::Error + Send + Sync>> {
        let calldata = Bytes::from(alloy_primitives::hex::decode(&row.calldata)?);
        let max_fee = gas_price.saturating_mul(2);
        let mut tx = TxEip1559 {
            chain_id: self.s.rpc.chain_id,
            nonce,
            gas_limit: u64::try_from(row.gas_limit)?,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: max_fee.min(gas_price / 10),
            to: TxKind::Call(self.s.config.contracts.market),
            value: U256::ZERO,
            access_list: alloy_eips::eip2930::AccessList::default(),
            input: calldata,
        };
        let sig = self.signer.sign_transaction_sync(&mut tx)?;
        let signed = tx.into_signed(sig);
        let hash = *signed.hash();
        Ok((TxEnvelope::Eip1559(signed).encoded_2718(), hash))
    }

    /// Follows a submission whose transaction is signed: receipt, or
    /// rebroadcast of the same bytes, or (stuck) a fee bump.
    async fn follow(&mut self, row: Row_) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        for hash in hashes(&row) {
            if let Some(receipt) = self.s.rpc.receipt(hash).await? {
                return self.finish(&row, hash, &receipt).await;
            }
        }
        let raw = alloy_primitives::hex::decode(row.raw_tx.as_deref().unwrap_or_default())?;
        let latest = hashes(&row).last().copied().unwrap_or_default();
        if row.status == "sent" && self.s.rpc.knows(latest).await? {
            // Pending: bump the fees when it waited too long and it is ours.
            let waited = now_ms() - row.sent_at_ms.unwrap_or_else(now_ms);
            if waited > BUMP_AFTER_MS && row.relayer.as_deref() == Some(self.address.as_str()) {
                return self.bump(&row).await;
            }
            self.retry_later(&row, "pending").await?;
            return Ok(());
        }
        match self.s.rpc.send_raw(&raw).await {
            Ok(_) | Err(RpcError::Reverted { .. }) => {}
            Err(e) if is_known(&e) => {}
            Err(e) if is_nonce_taken(&e) => {
                // Mined meanwhile? Then a receipt exists now.
                for hash in hashes(&row) {
                    if let Some(receipt) = self.s.rpc.receipt(hash).await? {
                        return self.finish(&row, hash, &receipt).await;
                    }
                }
                // The nonce went to another transaction and ours was never
                // mined: sign the batch anew.
                tracing::warn!(
                    submission = row.id,
                    "nonce taken by another transaction; re-signing"
                );
                sqlx::query(
                    "UPDATE submissions SET status = 'queued', relayer = NULL, tx_nonce = NULL, raw_tx = NULL,
                       tx_hash = NULL, tx_hashes = NULL, updated_at_ms = $2 WHERE id = $1 AND owner = $3",
                )
                .bind(row.id)
                .bind(now_ms())
                .bind(&self.s.config.instance)
                .execute(&self.s.db.pool)
                .await?;
                self.next_nonce = None;
                return Ok(());
            }
            Err(e) => {
                self.retry_later(&row, &e.to_string()).await?;
                return Ok(());
            }
        }
        self.s.metrics.relayed_txs.inc();
        if self.pause_here(PausePoint::Sent) {
            self.stop_forever(PausePoint::Sent, row.id).await;
        }
        // A chain that mines on arrival has the receipt already: record it
        // at once (one write); otherwise mark the row sent and come back.
        for hash in hashes(&row) {
            if let Some(receipt) = self.s.rpc.receipt(hash).await? {
                return self.finish(&row, hash, &receipt).await;
            }
        }
        sqlx::query("UPDATE submissions SET status = 'sent', updated_at_ms = $2 WHERE id = $1 AND status IN ('signed', 'sent')")
            .bind(row.id)
            .bind(now_ms())
            .execute(&self.s.db.pool)
            .await?;
        let row = Row_ {
            status: "sent".into(),
            ..row
        };
        self.retry_later(&row, "pending").await?;
        Ok(())
    }

    /// Re-signs a stuck transaction with the same nonce and 25 % higher fees.
    async fn bump(&mut self, row: &Row_) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let nonce = u64::try_from(row.tx_nonce.unwrap_or(0))?;
        let price = self.s.rpc.gas_price().await?;
        let previous = hashes(row).len() as u32;
        let bumped = price.saturating_mul(5u128.pow(previous)) / 4u128.pow(previous) + 1;
        let (raw, hash) = self.sign(row, nonce, bumped)?;
        let all = format!("{},{hash:#x}", row.tx_hashes.as_deref().unwrap_or_default());
        sqlx::query(
            "UPDATE submissions SET raw_tx = $2, tx_hash = $3, tx_hashes = $4, sent_at_ms = $5, updated_at_ms = $5
             WHERE id = $1 AND owner = $6",
        )
        .bind(row.id)
        .bind(alloy_primitives::hex::encode_prefixed(&raw))
        .bind(format!("{hash:#x}"))
        .bind(&all)
        .bind(now_ms())
        .bind(&self.s.config.instance)
        .execute(&self.s.db.pool)
        .await?;
        tracing::info!(submission = row.id, %hash, "fee bump");
        match self.s.rpc.send_raw(&raw).await {
            Ok(_) => Ok(()),
            Err(e) => {
                self.retry_later(row, &e.to_string()).await?;
                Ok(())
            }
        }
    }

    /// Records the receipt: mined (with the batch id) or failed (with the
    /// decoded revert and the hash).
    async fn finish(
        &self,
        row: &Row_,
        hash: B256,
        receipt: &alloy_rpc_types_eth::TransactionReceipt,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let block = receipt
            .block_number
            .map(|b| i64::try_from(b).unwrap_or(i64::MAX));
        if !receipt.status() {
            // Replay the call to learn why (the receipt carries no reason).
            let calldata = Bytes::from(alloy_primitives::hex::decode(&row.calldata)?);
            let (code, message) = match self
                .s
                .rpc
                .call_raw(
                    Program::AnnotationMarket,
                    Some(self.signer.address()),
                    self.s.config.contracts.market,
                    calldata,
                    U256::ZERO,
                )
                .await
            {
                Err(e @ RpcError::Reverted { .. }) => (
                    e.revert_name().unwrap_or("Reverted").to_string(),
                    e.to_string(),
                ),
                _ => (
                    "Reverted".to_string(),
                    "reverted (no reason on replay)".to_string(),
                ),
            };
            self.fail_mined(row, hash, block, &code, &message).await?;
            return Ok(());
        }
        let batch = receipt.inner.logs().iter().find_map(|l| {
            (l.address() == self.s.config.contracts.market)
                .then(|| IMarket::LabelsSubmitted::decode_log_data(&l.inner.data).ok())
                .flatten()
        });
        let now = now_ms();
        let mut tx = self.s.db.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE submissions SET status = 'mined', tx_hash = $2, batch_id = $3, block = $4, mined_at_ms = $5,
               updated_at_ms = $5, error_code = NULL, error_message = NULL, owner = NULL
             WHERE id = $1 AND status IN ('signed', 'sent')",
        )
        .bind(row.id)
        .bind(format!("{hash:#x}"))
        .bind(batch.as_ref().map(|b| i64::try_from(b.batchId.saturating_to::<u64>()).unwrap_or(i64::MAX)))
        .bind(block)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            if let Ok(a) = Address::from_str(&row.annotator) {
                let payload = json!({"id": row.id, "status": "mined", "tx_hash": format!("{hash:#x}"),
                    "batch_id": batch.as_ref().map(|b| b.batchId.to_string()), "block": block});
                feed(&mut tx, a, "submission", &payload, now).await?;
            }
        }
        tx.commit().await?;
        if done.rows_affected() == 1 {
            self.s.metrics.outcome("mined");
            #[allow(clippy::cast_precision_loss)]
            self.s
                .metrics
                .relay_seconds
                .observe((now - row.accepted_at_ms) as f64 / 1000.0);
        }
        Ok(())
    }

    async fn fail(
        &self,
        row: &Row_,
        hash: Option<B256>,
        code: &str,
        message: &str,
    ) -> Result<(), sqlx::Error> {
        self.fail_mined(row, hash.unwrap_or_default(), None, code, message)
            .await
    }

    async fn fail_mined(
        &self,
        row: &Row_,
        hash: B256,
        block: Option<i64>,
        code: &str,
        message: &str,
    ) -> Result<(), sqlx::Error> {
        let now = now_ms();
        let hash = (!hash.is_zero()).then(|| format!("{hash:#x}"));
        let mut tx = self.s.db.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE submissions SET status = 'failed', tx_hash = COALESCE($2, tx_hash), block = $3, error_code = $4,
               error_message = $5, updated_at_ms = $6, owner = NULL
             WHERE id = $1 AND status IN ('queued', 'signed', 'sent')",
        )
        .bind(row.id)
        .bind(hash.clone())
        .bind(block)
        .bind(code)
        .bind(message)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            if let Ok(a) = Address::from_str(&row.annotator) {
                let payload = json!({"id": row.id, "status": "failed", "tx_hash": hash,
                    "error_code": code, "error_message": message});
                feed(&mut tx, a, "submission", &payload, now).await?;
            }
        }
        tx.commit().await?;
        if done.rows_affected() == 1 {
            self.s.metrics.outcome("failed");
        }
        Ok(())
    }
}
