//! The indexer: follows every labelmint program's events into the database.
//!
//! Logs are read by block range (`eth_getLogs`, at most `log_range` blocks a
//! call) from the configured start block up to the head, then polled live.
//! One range is written in one transaction, with the cursor: a restart
//! resumes after the last committed range, and re-reading a range inserts
//! nothing twice (events are unique by block and log index). Before each
//! step the stored hash of the cursor block is compared with the chain's;
//! when they differ (or the chain is shorter), the indexer walks back over
//! the hashes it stored, at most `reorg_depth` blocks, to the last block the
//! chain still agrees with, deletes everything above it, and sends relayed
//! submissions mined above it back to the relayer. With several instances
//! on one database, one holds the `indexer` lease and writes; every
//! instance reads the feed it writes.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Address, B256, U256};
use labelmint_client::{
    events::{self, Record},
    hub::IHub,
    market::IMarket,
    registry::IRegistry,
    revert::Program,
    token::IRewardToken,
};
use serde_json::json;
use sqlx::Row;

use crate::{
    db::{now_ms, Db},
    rpc::RpcError,
    state::{addr_key, AppState},
};

/// Why an indexer step failed (it is retried).
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The chain did not answer.
    #[error("chain: {0}")]
    Rpc(#[from] RpcError),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// Takes or renews the lease `name` for `owner`; whether it is held.
pub async fn lease(db: &Db, name: &str, owner: &str, ms: i64) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let r = sqlx::query(
        "INSERT INTO leases (name, owner, until_ms) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until_ms = excluded.until_ms
         WHERE leases.owner = excluded.owner OR leases.until_ms < $4",
    )
    .bind(name)
    .bind(owner)
    .bind(now + ms)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The program at `address`.
fn program_of(s: &AppState, address: Address) -> Option<Program> {
    let c = &s.config.contracts;
    if address == c.market {
        Some(Program::AnnotationMarket)
    } else if address == c.registry {
        Some(Program::DatasetRegistry)
    } else if address == c.token {
        Some(Program::RewardToken)
    } else if address == c.hub {
        Some(Program::QualityHub)
    } else if address == c.court {
        Some(Program::QualityCourt)
    } else if address == c.timelock {
        Some(Program::Timelock)
    } else {
        None
    }
}

/// The addresses the indexer follows.
fn followed(s: &AppState) -> Vec<Address> {
    let c = &s.config.contracts;
    [c.market, c.registry, c.token, c.hub, c.court, c.timelock]
        .into_iter()
        .filter(|a| !a.is_zero())
        .collect()
}

/// The stored cursor: last indexed block and its hash.
async fn cursor(db: &Db) -> Result<Option<(u64, String)>, sqlx::Error> {
    let row = sqlx::query("SELECT block, hash FROM indexer_cursor WHERE id = 1")
        .fetch_optional(&db.pool)
        .await?;
    row.map(|r| {
        Ok((
            u64::try_from(r.try_get::<i64, _>("block")?).unwrap_or(0),
            r.try_get::<String, _>("hash")?,
        ))
    })
    .transpose()
}

fn i(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn small(v: U256) -> i64 {
    i64::try_from(v.saturating_to::<u64>()).unwrap_or(i64::MAX)
}

/// Finds the last block at or below `below` whose stored hash the chain
/// still has (at most `depth` blocks back) and deletes everything above it.
async fn rewind(s: &AppState, below: u64) -> Result<u64, IndexError> {
    let floor = below.saturating_sub(s.config.reorg_depth);
    let stored = sqlx::query(
        "SELECT number, hash FROM blocks WHERE number <= $1 AND number >= $2 ORDER BY number DESC",
    )
    .bind(i(below))
    .bind(i(floor))
    .fetch_all(&s.db.pool)
    .await?;
    let mut fork = floor
        .saturating_sub(1)
        .max(s.config.start_block.saturating_sub(1));
    for row in stored {
        let n = u64::try_from(row.try_get::<i64, _>("number")?).unwrap_or(0);
        let h: String = row.try_get("hash")?;
        if let Some((hash, _)) = s.rpc.block(n).await? {
            if format!("{hash:#x}") == h {
                fork = n;
                break;
            }
        }
    }
    let fork_hash = match s.rpc.block(fork).await? {
        Some((h, _)) => format!("{h:#x}"),
        None => String::new(),
    };
    let mut tx = s.db.pool.begin().await?;
    for table in [
        "events",
        "event_accounts",
        "jobs",
        "hub_jobs",
        "datasets",
        "blocks",
    ] {
        let column = if table == "blocks" { "number" } else { "block" };
        sqlx::query(Db::sql(format!("DELETE FROM {table} WHERE {column} > $1")))
            .bind(i(fork))
            .execute(&mut *tx)
            .await?;
    }
    // Relayed batches mined above the fork are no longer mined: the relayer
    // checks their receipts again (and rebroadcasts the same signed
    // transaction if the chain dropped it).
    sqlx::query(
        "UPDATE submissions SET status = 'sent', block = NULL, batch_id = NULL, mined_at_ms = NULL,
         next_attempt_ms = 0, updated_at_ms = $2 WHERE status = 'mined' AND block > $1",
    )
    .bind(i(fork))
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    upsert_cursor(&mut tx, fork, &fork_hash).await?;
    tx.commit().await?;
    s.metrics.reorgs.inc();
    tracing::warn!(fork, below, "reorg: rewound the index");
    Ok(fork)
}

async fn upsert_cursor(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    block: u64,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO indexer_cursor (id, block, hash) VALUES (1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET block = excluded.block, hash = excluded.hash",
    )
    .bind(i(block))
    .bind(hash)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The feed kind of an event for the accounts it names.
fn feed_kind(name: &str) -> &'static str {
    match name {
        "JobCreated" | "JobCompleted" | "JobCancelled" | "EscrowRefunded" => "job",
        "TasksClaimed" | "ClaimReleased" => "claim",
        "LabelsSubmitted" => "batch",
        "BatchReviewed" => "review",
        "RejectionDisputed" | "RejectionSettled" => "dispute",
        "RewardPaid" | "RewardCredited" | "Withdrawn" | "RoyaltyWithdrawn" | "Credited" => "payout",
        "LicensePurchased" => "licence",
        "DatasetPublished" => "dataset",
        "Transfer" | "Approval" => "token",
        "Staked" | "UnstakeRequested" | "StakeWithdrawn" | "BatchCommitted" | "BatchRevealed"
        | "BatchSettled" | "BatchForfeited" | "SlashShareClaimed" | "ReputationUpdated" => "hub",
        _ => "event",
    }
}

/// A hub job read at its `JobCreated`: id, terms, accounts, event fields, block.
type HubJobRead = (
    U256,
    IHub::getJobReturn,
    IHub::jobAccountsReturn,
    serde_json::Value,
    u64,
);

/// One decoded log with what the transaction needs.
struct Item {
    block: u64,
    block_hash: B256,
    log_index: u64,
    tx_hash: B256,
    record: Record,
    /// Extra accounts told about it (the job's creator).
    notify: Vec<Address>,
}

/// Indexes the next range; whether it made progress.
#[allow(clippy::too_many_lines)]
pub async fn step(s: &AppState) -> Result<bool, IndexError> {
    let head = s.rpc.block_number().await?;
    let last = match cursor(&s.db).await? {
        Some((block, hash)) => {
            let agrees = block <= head
                && s.rpc.block(block).await?.map(|(h, _)| format!("{h:#x}")) == Some(hash);
            Some(if agrees {
                block
            } else {
                rewind(s, block.min(head)).await?
            })
        }
        None => None,
    };
    let from = last.map_or(s.config.start_block, |b| b + 1);
    if from > head {
        return Ok(false);
    }
    // A node may refuse a range with too many logs: halve it until it answers.
    let mut span = s.config.log_range.max(1);
    let (to, logs) = loop {
        let to = head.min(from + span - 1);
        match s.rpc.logs(followed(s), from, to).await {
            Ok(logs) => break (to, logs),
            Err(e) if span > 1 => {
                tracing::debug!(error = %e, span, "narrowing the log range");
                span /= 2;
            }
            Err(e) => return Err(e.into()),
        }
    };

    let mut times: BTreeMap<u64, (B256, u64)> = BTreeMap::new();
    let mut items = Vec::new();
    let mut jobs = Vec::new();
    let mut hub_jobs: Vec<HubJobRead> = Vec::new();
    let mut datasets = Vec::new();
    let mut touched: BTreeSet<Address> = BTreeSet::new();
    for log in &logs {
        let (Some(block), Some(block_hash), Some(index), Some(tx_hash)) = (
            log.block_number,
            log.block_hash,
            log.log_index,
            log.transaction_hash,
        ) else {
            continue;
        };
        let Some(program) = program_of(s, log.inner.address) else {
            continue;
        };
        let Some(event) = events::decode(program, &log.inner.data) else {
            continue;
        };
        let record = event.record();
        if let std::collections::btree_map::Entry::Vacant(e) = times.entry(block) {
            let time = match log.block_timestamp {
                Some(t) => t,
                None => s.rpc.block(block).await?.map_or(0, |(_, t)| t),
            };
            e.insert((block_hash, time));
        }
        let mut notify = Vec::new();
        match record.name {
            "JobCreated" if program == Program::AnnotationMarket => {
                if let Some(job) = record.job {
                    let info = s
                        .rpc
                        .read(
                            program,
                            s.config.contracts.market,
                            &IMarket::getJobCall { jobId: job },
                        )
                        .await?;
                    jobs.push((job, info, record.fields.clone(), block));
                }
            }
            "JobCreated" if program == Program::QualityHub => {
                if let Some(job) = record.job {
                    let hub = s.config.contracts.hub;
                    let info = s
                        .rpc
                        .read(program, hub, &IHub::getJobCall { jobId: job })
                        .await?;
                    let accounts = s
                        .rpc
                        .read(program, hub, &IHub::jobAccountsCall { jobId: job })
                        .await?;
                    hub_jobs.push((job, info, accounts, record.fields.clone(), block));
                }
            }
            "DatasetPublished" => {
                if let Some(id) = record.dataset {
                    let d = s
                        .rpc
                        .read(
                            program,
                            s.config.contracts.registry,
                            &IRegistry::getDatasetCall { datasetId: id },
                        )
                        .await?;
                    datasets.push((id, d, block));
                }
            }
            // The job's creator hears about work on its job and how the
            // job ends (the events name only the annotator or the job), so
            // a creator's open pages follow without a reload.
            "LabelsSubmitted" | "BatchReviewed" | "RejectionDisputed" | "RejectionSettled"
            | "JobCompleted" | "EscrowRefunded" => {
                if let Some(job) = record.job {
                    if let Some(creator) = job_creator(s, job, &jobs).await? {
                        notify.push(creator);
                    }
                }
            }
            // A sale pays the source job's pool: its creator and annotators
            // hear of it, so their royalties show without a reload.
            "LicensePurchased" => {
                if let Some(id) = record.dataset {
                    notify.extend(royalty_holders(s, id, &datasets).await?);
                }
            }
            _ => {}
        }
        if matches!(
            feed_kind(record.name),
            "payout" | "licence" | "token" | "job" | "review"
        ) {
            touched.extend(record.accounts.iter().copied());
        }
        items.push(Item {
            block,
            block_hash,
            log_index: index,
            tx_hash,
            record,
            notify,
        });
    }
    let (to_hash, to_time) = match times.get(&to) {
        Some(x) => *x,
        None => s.rpc.block(to).await?.unwrap_or_default(),
    };
    times.insert(to, (to_hash, to_time));
    let balances = read_balances(s, &touched).await?;

    let now = now_ms();
    let mut tx = s.db.pool.begin().await?;
    for item in &items {
        let r = &item.record;
        let time = times.get(&item.block).map_or(0, |x| x.1);
        let id: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO events (block, block_hash, log_index, tx_hash, block_time, program, name, job_id, batch_id, dataset_id, fields)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (block, log_index) DO NOTHING RETURNING id",
        )
        .bind(i(item.block))
        .bind(format!("{:#x}", item.block_hash))
        .bind(i(item.log_index))
        .bind(format!("{:#x}", item.tx_hash))
        .bind(i(time))
        .bind(format!("{:?}", r.program))
        .bind(r.name)
        .bind(r.job.map(small))
        .bind(r.batch.map(small))
        .bind(r.dataset.map(small))
        .bind(r.fields.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some((id,)) = id else { continue };
        let accounts: BTreeSet<Address> = r
            .accounts
            .iter()
            .chain(&item.notify)
            .copied()
            .filter(|a| !a.is_zero())
            .collect();
        for account in accounts {
            sqlx::query(
                "INSERT INTO event_accounts (event_id, account, block) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(addr_key(account))
            .bind(i(item.block))
            .execute(&mut *tx)
            .await?;
            let payload = json!({
                "event": r.name, "program": r.program, "block": item.block,
                "tx_hash": format!("{:#x}", item.tx_hash), "job_id": r.job.map(|j| j.to_string()),
                "batch_id": r.batch.map(|b| b.to_string()), "dataset_id": r.dataset.map(|d| d.to_string()),
                "fields": r.fields,
            });
            feed(&mut tx, account, feed_kind(r.name), &payload, now).await?;
        }
    }
    for (job, info, fields, block) in &jobs {
        sqlx::query(
            "INSERT INTO jobs (job_id, creator, token, data_root, metadata_hash, task_count, reward, escrow, schema_id,
               num_classes, claim_duration, submit_deadline, review_window, max_held, arbiter_terms, block, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
             ON CONFLICT (job_id) DO NOTHING",
        )
        .bind(small(*job))
        .bind(addr_key(info.creator))
        .bind(addr_key(info.token))
        .bind(format!("{:#x}", info.dataRoot))
        .bind(format!("{:#x}", info.metadataHash))
        .bind(i64::from(info.taskCount))
        .bind(info.rewardPerTask.to_string())
        .bind(fields["escrow"].as_str().unwrap_or("0").to_string())
        .bind(i64::from(info.schema))
        .bind(i64::from(info.numClasses))
        .bind(i64::from(info.claimDuration))
        .bind(i(info.submitDeadline))
        .bind(i64::from(info.reviewWindow))
        .bind(i64::from(info.maxHeld))
        .bind(fields["arbiterTerms"].as_i64().unwrap_or(0))
        .bind(i(*block))
        .bind(i(times.get(block).map_or(0, |x| x.1)))
        .execute(&mut *tx)
        .await?;
        // The job's data is public: its manifest and items.
        publish_data_roots(s, &mut tx, info.dataRoot).await?;
    }
    for (job, info, accounts, fields, block) in &hub_jobs {
        sqlx::query(
            "INSERT INTO hub_jobs (job_id, creator, data_root, task_count, replication, num_classes, reward_per_vote,
               stake_per_vote, quorum_bps, slash_bps, min_reputation_bps, commit_end, reveal_end, ruling_end, settle_end,
               arbiter, arbiter_fee, arbiter_terms, escrow, gold_tasks, block, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
             ON CONFLICT (job_id) DO NOTHING",
        )
        .bind(small(*job))
        .bind(addr_key(info.creator))
        .bind(format!("{:#x}", info.dataRoot))
        .bind(i64::from(info.taskCount))
        .bind(i64::from(info.replication))
        .bind(i64::from(info.numClasses))
        .bind(info.rewardPerVote.to_string())
        .bind(info.stakePerVote.to_string())
        .bind(i64::from(info.quorumBps))
        .bind(i64::from(info.slashBps))
        .bind(i64::from(info.minReputationBps))
        .bind(i(info.commitEnd))
        .bind(i(info.revealEnd))
        .bind(i(info.rulingEnd))
        .bind(i(info.settleEnd))
        .bind(addr_key(info.arbiter))
        .bind(info.arbiterFee.to_string())
        .bind(fields["arbiterTerms"].as_i64().unwrap_or(0))
        .bind(fields["escrow"].as_str().unwrap_or("0").to_string())
        .bind(i64::from(accounts.goldTasks))
        .bind(i(*block))
        .bind(i(times.get(block).map_or(0, |x| x.1)))
        .execute(&mut *tx)
        .await?;
        publish_data_roots(s, &mut tx, info.dataRoot).await?;
    }
    for (id, d, block) in &datasets {
        sqlx::query(
            "INSERT INTO datasets (dataset_id, publisher, root_hash, metadata_hash, data_root, format, price, payment_token,
               source, source_job_id, previous_version, royalty_bps, fee_bps, shares, is_external, block, published_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
             ON CONFLICT (dataset_id) DO NOTHING",
        )
        .bind(small(*id))
        .bind(addr_key(d.publisher))
        .bind(format!("{:#x}", d.rootHash))
        .bind(format!("{:#x}", d.metadataHash))
        .bind(format!("{:#x}", d.dataRoot))
        .bind(i64::from(d.format))
        .bind(d.price.to_string())
        .bind(addr_key(d.paymentToken))
        .bind(addr_key(d.source))
        .bind(small(d.sourceJobId))
        .bind(small(d.previousVersion))
        .bind(i64::from(d.royaltyBps))
        .bind(i64::from(d.feeBps))
        .bind(i64::from(d.shares))
        .bind(i64::from(d.isExternal))
        .bind(i(*block))
        .bind(i(d.publishedAt))
        .execute(&mut *tx)
        .await?;
    }
    for (account, assets) in &balances {
        for (asset, amount) in assets {
            sqlx::query(
                "INSERT INTO balances (address, asset, amount, block) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (address, asset) DO UPDATE SET amount = excluded.amount, block = excluded.block",
            )
            .bind(addr_key(*account))
            .bind(*asset)
            .bind(amount.to_string())
            .bind(i(to))
            .execute(&mut *tx)
            .await?;
        }
        let payload: serde_json::Map<String, serde_json::Value> = assets
            .iter()
            .map(|(k, v)| ((*k).to_string(), json!(v.to_string())))
            .chain([("block".to_string(), json!(to))])
            .collect();
        feed(
            &mut tx,
            *account,
            "balance",
            &serde_json::Value::Object(payload),
            now,
        )
        .await?;
    }
    for (block, (hash, time)) in &times {
        sqlx::query(
            "INSERT INTO blocks (number, hash, time) VALUES ($1, $2, $3)
             ON CONFLICT (number) DO UPDATE SET hash = excluded.hash, time = excluded.time",
        )
        .bind(i(*block))
        .bind(format!("{hash:#x}"))
        .bind(i(*time))
        .execute(&mut *tx)
        .await?;
    }
    upsert_cursor(&mut tx, to, &format!("{to_hash:#x}")).await?;
    tx.commit().await?;
    s.metrics.indexed_block.set(i(to));
    if !items.is_empty() {
        tracing::debug!(from, to, events = items.len(), "indexed");
    }
    Ok(true)
}

/// Who a sale of dataset `id` pays: the publisher (the source job's creator)
/// and the accounts with accepted work in the source job (an approved
/// market batch, a settled hub batch, a court claim), from this range's new
/// datasets or the database; none for an external dataset.
async fn royalty_holders(
    s: &AppState,
    id: U256,
    pending: &[(U256, IRegistry::getDatasetReturn, u64)],
) -> Result<Vec<Address>, sqlx::Error> {
    let (publisher, source, job) = match pending.iter().find(|(d, ..)| *d == id) {
        Some((_, d, _)) if d.isExternal => return Ok(Vec::new()),
        Some((_, d, _)) => (d.publisher, d.source, small(d.sourceJobId)),
        None => {
            let row: Option<(String, String, i64, i64)> = sqlx::query_as(
                "SELECT publisher, source, source_job_id, is_external FROM datasets WHERE dataset_id = $1",
            )
            .bind(small(id))
            .fetch_optional(&s.db.pool)
            .await?;
            match row {
                Some((p, src, job, 0)) => (
                    p.parse().unwrap_or_default(),
                    src.parse().unwrap_or_default(),
                    job,
                ),
                _ => return Ok(Vec::new()),
            }
        }
    };
    let Some(work) = crate::api::datasets::source_name(s, &addr_key(source))
        .map(crate::api::datasets::AcceptedWork::of)
    else {
        return Ok(vec![publisher]);
    };
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT a.account FROM event_accounts a JOIN events e ON e.id = a.event_id
         WHERE e.job_id = $1 AND e.program = $2 AND e.name = $3",
    )
    .bind(job)
    .bind(work.program)
    .bind(work.event)
    .fetch_all(&s.db.pool)
    .await?;
    let mut out = vec![publisher];
    out.extend(rows.iter().filter_map(|(a,)| a.parse::<Address>().ok()));
    Ok(out)
}

/// The creator of `job`, from this range's new jobs or the database.
async fn job_creator(
    s: &AppState,
    job: U256,
    pending: &[(U256, IMarket::getJobReturn, serde_json::Value, u64)],
) -> Result<Option<Address>, sqlx::Error> {
    if let Some((_, info, _, _)) = pending.iter().find(|(j, ..)| *j == job) {
        return Ok(Some(info.creator));
    }
    let row: Option<(String,)> = sqlx::query_as("SELECT creator FROM jobs WHERE job_id = $1")
        .bind(small(job))
        .fetch_optional(&s.db.pool)
        .await?;
    Ok(row.and_then(|(c,)| c.parse().ok()))
}

/// Marks a job's manifest and its items as public data (when the manifest is
/// in the local store), except dataset packages.
async fn publish_data_roots(
    s: &AppState,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    root: B256,
) -> Result<(), sqlx::Error> {
    let Ok(bytes) = s.store.get(&root) else {
        return Ok(());
    };
    let Ok(manifest) = serde_json::from_slice::<labelmint_storage::Manifest>(&bytes) else {
        return Ok(());
    };
    // Anyone can create a job over any stored manifest: a dataset package
    // (stored here as one, or published on chain) named in it stays private.
    if crate::api::data::is_private(&mut **tx, root).await? {
        return Ok(());
    }
    crate::api::data::mark_public(tx, root, "manifest", bytes.len() as u64).await?;
    for t in &manifest.tasks {
        if !crate::api::data::is_private(&mut **tx, t.root).await? {
            crate::api::data::mark_public(tx, t.root, "item", t.size).await?;
        }
    }
    Ok(())
}

/// ETH, RewardToken and market credit balances of `accounts`.
async fn read_balances(
    s: &AppState,
    accounts: &BTreeSet<Address>,
) -> Result<Vec<(Address, Vec<(&'static str, U256)>)>, RpcError> {
    let mut out = Vec::new();
    for &a in accounts {
        if a.is_zero() || followed(s).contains(&a) {
            continue;
        }
        out.push((a, balances_of(s, a).await?));
    }
    Ok(out)
}

/// One account's balances: `eth`, `token` (RewardToken), `market_credit_eth`.
pub async fn balances_of(
    s: &AppState,
    account: Address,
) -> Result<Vec<(&'static str, U256)>, RpcError> {
    let mut v = vec![("eth", s.rpc.balance(account).await?)];
    let c = &s.config.contracts;
    if !c.token.is_zero() {
        let b = s
            .rpc
            .read(
                Program::RewardToken,
                c.token,
                &IRewardToken::balanceOfCall { account },
            )
            .await?;
        v.push(("token", b));
    }
    let credit = s
        .rpc
        .read(
            Program::AnnotationMarket,
            c.market,
            &IMarket::creditOfCall {
                token: Address::ZERO,
                account,
            },
        )
        .await?;
    v.push(("market_credit_eth", credit));
    Ok(v)
}

/// Writes a feed row for `address`.
pub async fn feed(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    address: Address,
    kind: &str,
    payload: &serde_json::Value,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO feed (address, kind, payload, created_at_ms) VALUES ($1, $2, $3, $4)")
        .bind(addr_key(address))
        .bind(kind)
        .bind(payload.to_string())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The indexer loop (until the process ends).
pub async fn run(s: AppState) {
    let lease_ms = i64::try_from(s.config.lease.as_millis()).unwrap_or(30_000);
    loop {
        let held = match lease(&s.db, "indexer", &s.config.instance, lease_ms).await {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(error = %e, "indexer lease");
                false
            }
        };
        if !held {
            tokio::time::sleep(s.config.poll_interval).await;
            continue;
        }
        match step(&s).await {
            Ok(true) => {}
            Ok(false) => tokio::time::sleep(s.config.poll_interval).await,
            Err(e) => {
                tracing::warn!(error = %e, "indexer step failed; retrying");
                tokio::time::sleep(s.config.poll_interval * 4).await;
            }
        }
    }
}
