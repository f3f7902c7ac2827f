//! QualityHub (consensus) jobs for annotators: the indexed jobs with their
//! live phase, the signed-in annotator's stake, credit and batches, and the
//! unsigned transactions to stake, unstake, commit, reveal, settle and
//! withdraw — each simulated from the caller, so a revert is a `422` with
//! its name before a wallet opens.
//!
//! The salt of a commitment never reaches the server: the browser computes
//! `keccak256(jobId ‖ annotator ‖ labels ‖ salt)` and sends the commitment
//! only; the salt comes with the reveal, when it is public anyway.

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bytes, B256, U256};
use axum::{extract::State, Json};
use labelmint_client::{
    hub::{self, IHub},
    revert::Program,
    IRewardToken,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};

use super::{events_where, parse_u256, EventView, Page, UnsignedTx};
use crate::{
    auth::Session,
    error::{ApiError, ApiResult},
    extract::{ApiJson, ApiPath, ApiQuery},
    state::{addr_key, AppState},
};

/// Seconds between `requestUnstake` and `withdrawStake` (the hub's
/// `UNSTAKE_COOLDOWN`).
pub const UNSTAKE_COOLDOWN: u64 = 3 * 86_400;
/// Most tasks in one batch (the hub's `MAX_BATCH`).
pub const MAX_BATCH: usize = 64;
/// The events of one hub job.
pub(crate) const HUB_JOB_EVENTS: &str = "job_id = $1 AND program = 'QualityHub'";

/// A hub job as the index knows it, with its phase at the chain's time.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HubJobView {
    /// Hub job id (the hub numbers its jobs on its own).
    pub id: i64,
    /// Creator.
    pub creator: String,
    /// 0G root of the task manifest.
    pub data_root: String,
    /// Root of the stored description, when the creator gave one.
    pub metadata_hash: Option<String>,
    /// The description (title, instructions, class names), when stored.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    /// Tasks.
    pub task_count: i64,
    /// Labels (votes) per task, `k`.
    pub replication: i64,
    /// Classes.
    pub num_classes: i64,
    /// Reward per label, in RewardToken units: what each agreeing label
    /// earns when all `k` labels of a task agree.
    pub reward_per_label: String,
    /// A task's bounty (`k × reward_per_label`), shared by its agreeing labels.
    pub bounty_per_task: String,
    /// The most one agreeing label can earn: the bounty over the fewest
    /// labels that can win.
    pub max_pay_per_label: String,
    /// Stake each committed label locks until its batch is settled.
    pub stake_per_label: String,
    /// Stake needed to label every task once (`task_count × stake_per_label`).
    pub stake_for_all_tasks: String,
    /// Share of the revealed labels a class needs to win, in basis points.
    pub quorum_bps: i64,
    /// Fewest agreeing labels that can win a task.
    pub min_winning_labels: i64,
    /// Share of its stake a disagreeing label loses, in basis points.
    pub slash_bps: i64,
    /// Reputation an annotator needs to join, in basis points (0: anyone).
    pub min_reputation_bps: i64,
    /// End of the commit phase (chain time, seconds).
    pub commit_end: i64,
    /// End of the reveal phase.
    pub reveal_end: i64,
    /// End of the arbiter's ruling window (settling starts at `reveal_end`;
    /// batches with escalated tasks wait for this).
    pub ruling_end: i64,
    /// End of the settle phase.
    pub settle_end: i64,
    /// `commit`, `reveal`, `settle` or `closed`.
    pub phase: String,
    /// The arbiter of escalated tasks.
    pub arbiter: String,
    /// The arbiter's fee per ruled task.
    pub arbiter_fee: String,
    /// Arbiter terms id.
    pub arbiter_terms: i64,
    /// Escrowed at creation (bounties and the gold bond).
    pub escrow: String,
    /// Hidden gold tasks (the creator's key).
    pub gold_tasks: i64,
    /// Gold tasks over tasks, in basis points.
    pub gold_rate_bps: i64,
    /// Batches committed.
    pub batches: i64,
    /// Batches revealed.
    pub revealed: i64,
    /// Quality mode: `consensus` (annotators stake, commit, reveal; the
    /// revealed labels decide who is paid and who is slashed).
    pub mode: String,
    /// Block it was created in.
    pub block: i64,
}

const HUB_COLUMNS: &str = "h.job_id, h.creator, h.data_root, h.task_count, h.replication, h.num_classes,
    h.reward_per_vote, h.stake_per_vote, h.quorum_bps, h.slash_bps, h.min_reputation_bps, h.commit_end,
    h.reveal_end, h.ruling_end, h.settle_end, h.arbiter, h.arbiter_fee, h.arbiter_terms, h.escrow,
    h.gold_tasks, h.block, d.metadata_hash AS description,
    (SELECT COUNT(*) FROM events e WHERE e.program = 'QualityHub' AND e.job_id = h.job_id AND e.name = 'BatchCommitted') AS batches,
    (SELECT COUNT(*) FROM events e WHERE e.program = 'QualityHub' AND e.job_id = h.job_id AND e.name = 'BatchRevealed') AS revealed,
    (SELECT COUNT(*) FROM events e WHERE e.program = 'QualityHub' AND e.job_id = h.job_id AND e.name = 'JobClosed') AS closed
    FROM hub_jobs h LEFT JOIN hub_descriptions d ON d.creator = h.creator AND d.data_root = h.data_root";

/// Fewest revealed labels that can win a task: `quorum` of more than half
/// of the `k` slots, rounded up, at least one (the hub's rule).
pub fn min_winning_labels(k: u64, quorum_bps: u64) -> u64 {
    let participation = k / 2 + 1;
    (participation * quorum_bps).div_ceil(10_000).max(1)
}

/// The phase of a job at `now`.
pub fn phase_at(
    now: i64,
    commit_end: i64,
    reveal_end: i64,
    settle_end: i64,
    closed: bool,
) -> &'static str {
    if closed || now >= settle_end {
        "closed"
    } else if now < commit_end {
        "commit"
    } else if now < reveal_end {
        "reveal"
    } else {
        "settle"
    }
}

fn amount(r: &sqlx::any::AnyRow, column: &str) -> Result<U256, sqlx::Error> {
    Ok(r.try_get::<String, _>(column)?.parse().unwrap_or_default())
}

fn view(s: &AppState, r: &sqlx::any::AnyRow, now: i64) -> Result<HubJobView, sqlx::Error> {
    let k: i64 = r.try_get("replication")?;
    let tasks: i64 = r.try_get("task_count")?;
    let quorum: i64 = r.try_get("quorum_bps")?;
    let gold: i64 = r.try_get("gold_tasks")?;
    let reward = amount(r, "reward_per_vote")?;
    let stake = amount(r, "stake_per_vote")?;
    let bounty = reward.saturating_mul(U256::from(k.max(0)));
    let fewest = min_winning_labels(
        u64::try_from(k).unwrap_or(0),
        u64::try_from(quorum).unwrap_or(0),
    );
    let (commit_end, reveal_end, settle_end): (i64, i64, i64) = (
        r.try_get("commit_end")?,
        r.try_get("reveal_end")?,
        r.try_get("settle_end")?,
    );
    let closed = r.try_get::<i64, _>("closed")? > 0;
    let metadata_hash: Option<String> = r.try_get("description")?;
    let metadata = metadata_hash
        .as_deref()
        .and_then(|h| h.parse::<B256>().ok())
        .and_then(|root| s.store.get(&root).ok())
        .and_then(|b| serde_json::from_slice(&b).ok());
    Ok(HubJobView {
        id: r.try_get("job_id")?,
        creator: r.try_get("creator")?,
        data_root: r.try_get("data_root")?,
        metadata_hash,
        metadata,
        task_count: tasks,
        replication: k,
        num_classes: r.try_get("num_classes")?,
        reward_per_label: reward.to_string(),
        bounty_per_task: bounty.to_string(),
        max_pay_per_label: (bounty / U256::from(fewest)).to_string(),
        stake_per_label: stake.to_string(),
        stake_for_all_tasks: stake.saturating_mul(U256::from(tasks.max(0))).to_string(),
        quorum_bps: quorum,
        min_winning_labels: i64::try_from(fewest).unwrap_or(i64::MAX),
        slash_bps: r.try_get("slash_bps")?,
        min_reputation_bps: r.try_get("min_reputation_bps")?,
        commit_end,
        reveal_end,
        ruling_end: r.try_get("ruling_end")?,
        settle_end,
        phase: phase_at(now, commit_end, reveal_end, settle_end, closed).into(),
        arbiter: r.try_get("arbiter")?,
        arbiter_fee: r.try_get("arbiter_fee")?,
        arbiter_terms: r.try_get("arbiter_terms")?,
        escrow: r.try_get("escrow")?,
        gold_tasks: gold,
        gold_rate_bps: if tasks > 0 { gold * 10_000 / tasks } else { 0 },
        batches: r.try_get("batches")?,
        revealed: r.try_get("revealed")?,
        mode: "consensus".into(),
        block: r.try_get("block")?,
    })
}

pub(crate) async fn chain_now(s: &AppState) -> ApiResult<i64> {
    let now = s.rpc.now().await.map_err(ApiError::upstream)?;
    Ok(i64::try_from(now).unwrap_or(i64::MAX))
}

/// The indexed hub job `id`, or a 404.
pub async fn hub_job(s: &AppState, id: i64) -> ApiResult<HubJobView> {
    let sql = format!("SELECT {HUB_COLUMNS} WHERE h.job_id = $1");
    let row = sqlx::query(crate::db::Db::sql(sql))
        .bind(id)
        .fetch_optional(&s.db.pool)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no hub job {id} (or not indexed yet)")))?;
    Ok(view(s, &row, chain_now(s).await?)?)
}

/// The hub's address, or a 404 when this server's chain has none.
pub(crate) fn hub_address(s: &AppState) -> ApiResult<Address> {
    let hub = s.config.contracts.hub;
    if hub.is_zero() {
        return Err(ApiError::not_found(
            "this server's deployment has no QualityHub",
        ));
    }
    Ok(hub)
}

/// `job` as the hub's `uint256` id (only ever called on an indexed job).
pub(crate) fn job_word(job: &HubJobView) -> U256 {
    U256::from(u64::try_from(job.id).unwrap_or(0))
}

/// A UTC time for messages: `2025-06-01 12:00 UTC`.
pub(crate) fn when(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs).map_or_else(
        |_| format!("{secs}"),
        |t| {
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02} UTC",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        },
    )
}

/// A `409 wrong_phase` unless `job` is in phase `want`.
/// Checks `labels` against a job: `count` of them (else `400 bad_labels`
/// naming `labels for {count} {whose} tasks`), each a class of the job;
/// then parses `salt` (`400 bad_salt`). What a reveal of a batch and of the
/// gold key share.
pub(crate) fn labels_and_salt(
    job: &HubJobView,
    labels: &[u8],
    count: usize,
    whose: &str,
    salt: &str,
) -> ApiResult<B256> {
    if labels.len() != count {
        return Err(ApiError::bad_request(
            "bad_labels",
            format!("{} labels for {whose} {count} tasks", labels.len()),
        ));
    }
    if let Some(bad) = labels.iter().find(|&&l| i64::from(l) >= job.num_classes) {
        return Err(ApiError::bad_request(
            "bad_labels",
            format!("{bad} is not a class of this job (0..{})", job.num_classes),
        ));
    }
    salt.trim().parse().map_err(|_| {
        ApiError::bad_request("bad_salt", format!("{salt:?} is not a 32-byte 0x-hex salt"))
    })
}

/// `owner`'s RewardToken balance and its allowance to `spender`, read
/// from the chain together.
pub(crate) async fn token_funds(
    s: &AppState,
    owner: Address,
    spender: Address,
) -> ApiResult<(U256, U256)> {
    let token = s.config.contracts.token;
    let balance = IRewardToken::balanceOfCall { account: owner };
    let allowance = IRewardToken::allowanceCall { owner, spender };
    tokio::try_join!(
        s.rpc.read(Program::RewardToken, token, &balance),
        s.rpc.read(Program::RewardToken, token, &allowance),
    )
    .map_err(ApiError::upstream)
}

pub(crate) fn require_phase(job: &HubJobView, want: &str) -> ApiResult<()> {
    if job.phase == want {
        return Ok(());
    }
    let window = match want {
        "commit" => format!("commits are taken until {}", when(job.commit_end)),
        "reveal" => format!(
            "reveals are taken from {} until {}",
            when(job.commit_end),
            when(job.reveal_end)
        ),
        _ => format!(
            "batches settle from {} until {}",
            when(job.reveal_end),
            when(job.settle_end)
        ),
    };
    Err(ApiError::conflict(
        "wrong_phase",
        format!("hub job {} is in its {} phase: {window}", job.id, job.phase),
    ))
}

/// `GET /api/hub/jobs` filters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct HubJobFilter {
    /// `open` (default: commit, reveal or settle), `commit`, `reveal`,
    /// `settle`, `closed` or `all`.
    pub phase: Option<String>,
    /// Only the jobs of this creator.
    pub creator: Option<String>,
    /// Items to skip.
    pub offset: Option<u32>,
    /// Items to return (at most 500).
    pub limit: Option<u32>,
}

/// Hub (consensus) jobs, newest first (open ones by default).
#[utoipa::path(get, path = "/api/hub/jobs", tag = "hub", params(HubJobFilter),
    responses((status = 200, body = Vec<HubJobView>), (status = 400, body = crate::error::ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiQuery(f): ApiQuery<HubJobFilter>,
) -> ApiResult<Json<Vec<HubJobView>>> {
    let phase = f.phase.as_deref().unwrap_or("open");
    if !matches!(
        phase,
        "open" | "commit" | "reveal" | "settle" | "closed" | "all"
    ) {
        return Err(ApiError::bad_request(
            "bad_phase",
            "phase: open, commit, reveal, settle, closed or all",
        ));
    }
    let (offset, limit) = Page {
        offset: f.offset,
        limit: f.limit,
    }
    .get();
    let creator = f
        .creator
        .as_deref()
        .map(|c| super::parse_address("creator", c))
        .transpose()?;
    let rows = if let Some(c) = creator {
        let sql = format!("SELECT {HUB_COLUMNS} WHERE h.creator = $1 ORDER BY h.job_id DESC");
        sqlx::query(crate::db::Db::sql(sql))
            .bind(addr_key(c))
            .fetch_all(&s.db.pool)
            .await?
    } else {
        let sql = format!("SELECT {HUB_COLUMNS} ORDER BY h.job_id DESC");
        sqlx::query(crate::db::Db::sql(sql))
            .fetch_all(&s.db.pool)
            .await?
    };
    let now = chain_now(&s).await?;
    let mut out = Vec::new();
    for r in &rows {
        let v = view(&s, r, now)?;
        let keep = match phase {
            "all" => true,
            "open" => v.phase != "closed",
            p => v.phase == p,
        };
        if keep {
            out.push(v);
        }
    }
    Ok(Json(
        out.into_iter()
            .skip(usize::try_from(offset).unwrap_or(0))
            .take(usize::try_from(limit).unwrap_or(100))
            .collect(),
    ))
}

/// A hub job with its live accounts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HubJobDetail {
    /// The indexed job.
    #[serde(flatten)]
    pub job: HubJobView,
    /// The chain's time (seconds) the phase was computed at.
    pub now: i64,
    /// `open` or `closed` (on chain).
    pub status: String,
    /// Live: escrow still held.
    pub escrow_held: String,
    /// Live: slashed stakes waiting for the agreeing labels.
    pub slash_pool: String,
    /// Live: labels settled as agreeing so far.
    pub agreed_labels: u32,
    /// Live: whether the creator revealed its gold key.
    pub gold_revealed: bool,
    /// Live: the creator's gold bond still held.
    pub gold_bond: String,
    /// `image` or `text`, when the task manifest is in this server's store.
    pub kind: Option<String>,
    /// Seconds between requesting an unstake and withdrawing it.
    pub unstake_cooldown: u64,
}

/// One hub job: terms, phase and deadlines, live accounts.
#[utoipa::path(get, path = "/api/hub/jobs/{id}", tag = "hub",
    params(("id" = i64, Path, description = "hub job id")),
    responses((status = 200, body = HubJobDetail), (status = 404, body = crate::error::ErrorBody),
        (status = 502, body = crate::error::ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<HubJobDetail>> {
    let job = hub_job(&s, id).await?;
    let hub = hub_address(&s)?;
    let live = s
        .rpc
        .read(
            Program::QualityHub,
            hub,
            &IHub::jobAccountsCall {
                jobId: job_word(&job),
            },
        )
        .await
        .map_err(ApiError::upstream)?;
    let kind = super::jobs::manifest(&s, &job.data_root)
        .ok()
        .and_then(|m| serde_json::to_value(m.kind).ok())
        .and_then(|v| v.as_str().map(str::to_string));
    Ok(Json(HubJobDetail {
        now: chain_now(&s).await?,
        status: if live.status == 1 { "open" } else { "closed" }.into(),
        escrow_held: live.escrow.to_string(),
        slash_pool: live.slashPool.to_string(),
        agreed_labels: live.agreedTotal,
        gold_revealed: live.goldRevealed,
        gold_bond: live.goldBond.to_string(),
        kind,
        unstake_cooldown: UNSTAKE_COOLDOWN,
        job,
    }))
}

/// What the revealed labels say about one task (`consensusOf`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConsensusView {
    /// `empty` (nothing revealed), `consensus`, `gold` (decided by the
    /// creator's key), `escalated` (awaiting the arbiter), `ruled`,
    /// `undecided` (escalated and left unruled).
    pub state: String,
    /// The deciding (or leading) class.
    pub label: u8,
    /// Its revealed labels.
    pub votes: u8,
    /// Revealed labels.
    pub revealed: u8,
    /// Committed labels.
    pub committed: u8,
}

fn consensus_state(code: u8) -> &'static str {
    match code {
        1 => "consensus",
        2 => "gold",
        3 => "escalated",
        4 => "ruled",
        5 => "undecided",
        _ => "empty",
    }
}

/// One task of a hub job.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HubTaskView {
    /// Task index.
    pub index: u32,
    /// Path in the uploaded folder.
    pub path: String,
    /// 0G root of the item (verified when fetched).
    pub root: String,
    /// Where to fetch the verified bytes.
    pub url: String,
    /// Bytes.
    pub size: u64,
    /// Image width.
    pub width: Option<u32>,
    /// Image height.
    pub height: Option<u32>,
    /// Labels committed so far.
    pub committed: u32,
    /// Whether all `k` slots are taken.
    pub full: bool,
    /// Once the commit phase is over: what the revealed labels say.
    pub consensus: Option<ConsensusView>,
}

/// Tasks per committed label count, from a job's `BatchCommitted` events.
fn committed_counts(events: &[EventView]) -> BTreeMap<u32, u32> {
    let mut counts = BTreeMap::new();
    for e in events.iter().filter(|e| e.name == "BatchCommitted") {
        for t in task_list(&e.fields["tasks"]) {
            *counts.entry(t).or_insert(0) += 1;
        }
    }
    counts
}

fn task_list(v: &Value) -> Vec<u32> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_u64)
                .filter_map(|t| u32::try_from(t).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// A hub job's tasks with their data, committed labels and (after the
/// commit phase) the live consensus.
#[utoipa::path(get, path = "/api/hub/jobs/{id}/tasks", tag = "hub",
    params(("id" = i64, Path, description = "hub job id"), Page),
    responses((status = 200, body = Vec<HubTaskView>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn tasks(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Vec<HubTaskView>>> {
    let job = hub_job(&s, id).await?;
    let manifest = super::jobs::manifest(&s, &job.data_root)?;
    let events = events_where(&s, HUB_JOB_EVENTS, id).await?;
    let counts = committed_counts(&events);
    let (offset, limit) = page.get();
    let k = u32::try_from(job.replication).unwrap_or(0);
    let hub = hub_address(&s)?;
    let mut out = Vec::new();
    for t in manifest
        .tasks
        .iter()
        .skip(usize::try_from(offset).unwrap_or(0))
        .take(usize::try_from(limit).unwrap_or(100))
    {
        let committed = counts.get(&t.index).copied().unwrap_or(0);
        let consensus = if job.phase == "commit" {
            None
        } else {
            let c = s
                .rpc
                .read(
                    Program::QualityHub,
                    hub,
                    &IHub::consensusOfCall {
                        jobId: job_word(&job),
                        taskId: t.index,
                    },
                )
                .await
                .map_err(ApiError::upstream)?;
            Some(ConsensusView {
                state: consensus_state(c.state).into(),
                label: c.label,
                votes: c.votes,
                revealed: c.revealed,
                committed: c.holders,
            })
        };
        out.push(HubTaskView {
            index: t.index,
            path: t.path.clone(),
            root: format!("{:#x}", t.root),
            url: format!("/api/data/{:#x}", t.root),
            size: t.size,
            width: t.width,
            height: t.height,
            committed,
            full: committed >= k,
            consensus,
        });
    }
    Ok(Json(out))
}

/// An annotator's reputation in the hub.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReputationView {
    /// Labels judged.
    pub judged: u64,
    /// Labels that agreed.
    pub agreed: u64,
    /// agreed ÷ judged, in basis points.
    pub score_bps: u16,
    /// Stake that was at risk on the judged labels.
    pub value_at_stake: String,
}

/// The signed-in annotator's stake, unstake queue, credit and token.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StakeView {
    /// The address.
    pub address: String,
    /// Staked (locked included; RewardToken units).
    pub staked: String,
    /// Locked by committed labels until their batches settle.
    pub locked: String,
    /// Free to lock or unstake: `staked − locked`.
    pub free: String,
    /// Requested for unstaking, waiting for the cooldown.
    pub pending_unstake: String,
    /// When the pending unstake can be withdrawn (chain time; 0: none).
    pub unstake_ready_at: u64,
    /// Whether `withdrawStake` would pay now.
    pub can_withdraw_stake: bool,
    /// Pay credited by settled batches, waiting for `withdraw`.
    pub credit: String,
    /// RewardToken balance of the wallet.
    pub token_balance: String,
    /// What the hub may pull from the wallet (`allowance`).
    pub allowance: String,
    /// The hub's reputation record.
    pub reputation: ReputationView,
    /// The chain's time.
    pub now: u64,
    /// Seconds between requesting an unstake and withdrawing it.
    pub unstake_cooldown: u64,
    /// The hub.
    pub hub: String,
}

/// The signed-in annotator's stake and unstake state, credit, token
/// balance and allowance, live from the chain.
#[utoipa::path(get, path = "/api/hub/stake", tag = "hub",
    responses((status = 200, body = StakeView), (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 502, body = crate::error::ErrorBody)))]
pub async fn stake(State(s): State<AppState>, session: Session) -> ApiResult<Json<StakeView>> {
    let hub = hub_address(&s)?;
    let me = session.address;
    let up = ApiError::upstream;
    let st = s
        .rpc
        .read(
            Program::QualityHub,
            hub,
            &IHub::stakeOfCall { annotator: me },
        )
        .await
        .map_err(up)?;
    let credit = s
        .rpc
        .read(
            Program::QualityHub,
            hub,
            &IHub::creditOfCall { account: me },
        )
        .await
        .map_err(up)?;
    let rep = s
        .rpc
        .read(
            Program::QualityHub,
            hub,
            &IHub::reputationOfCall { annotator: me },
        )
        .await
        .map_err(up)?;
    let (balance, allowance) = token_funds(&s, me, hub).await?;
    let now = s.rpc.now().await.map_err(up)?;
    Ok(Json(StakeView {
        address: me.to_checksum(None),
        staked: st.staked.to_string(),
        locked: st.locked.to_string(),
        free: st.staked.saturating_sub(st.locked).to_string(),
        pending_unstake: st.pending.to_string(),
        unstake_ready_at: st.readyAt,
        can_withdraw_stake: st.pending > 0 && now >= st.readyAt,
        credit: credit.to_string(),
        token_balance: balance.to_string(),
        allowance: allowance.to_string(),
        reputation: ReputationView {
            judged: rep.judged,
            agreed: rep.agreed,
            score_bps: rep.scoreBps,
            value_at_stake: rep.valueAtStake.to_string(),
        },
        now,
        unstake_cooldown: UNSTAKE_COOLDOWN,
        hub: hub.to_checksum(None),
    }))
}

/// One of the annotator's batches in a hub job, from its events.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HubBatchView {
    /// Batch id (per job).
    pub batch_id: u64,
    /// Who committed it.
    pub annotator: String,
    /// Its tasks, in the committed order.
    pub tasks: Vec<u32>,
    /// The commitment `keccak256(jobId ‖ annotator ‖ labels ‖ salt)`.
    pub commitment: String,
    /// Stake it locks.
    pub locked: String,
    /// `committed`, `revealed`, `settled` or `forfeited`.
    pub status: String,
    /// The revealed labels (one class per task).
    pub labels: Option<Vec<u8>>,
    /// Settled: labels that agreed with the decision.
    pub agreed: Option<u32>,
    /// Settled: labels that did not.
    pub disagreed: Option<u32>,
    /// Settled: pay credited.
    pub paid: Option<String>,
    /// Settled or forfeited: stake slashed.
    pub slashed: Option<String>,
    /// Settled: fewer than half of its gold tasks were right.
    pub gold_failed: Option<bool>,
    /// The commit transaction.
    pub commit_tx: String,
    /// The reveal transaction.
    pub reveal_tx: Option<String>,
    /// The settle (or forfeit) transaction.
    pub settle_tx: Option<String>,
}

/// Every batch of a hub job, from its events (oldest first).
fn batches_of(events: &[EventView]) -> Vec<HubBatchView> {
    let mut out: Vec<HubBatchView> = Vec::new();
    let batch_of = |e: &EventView| -> Option<u64> { e.fields["batchId"].as_str()?.parse().ok() };
    for e in events {
        let Some(id) = batch_of(e) else { continue };
        let f = &e.fields;
        if e.name == "BatchCommitted" {
            out.push(HubBatchView {
                batch_id: id,
                annotator: f["annotator"].as_str().unwrap_or_default().to_string(),
                tasks: task_list(&f["tasks"]),
                commitment: f["commitment"].as_str().unwrap_or_default().to_string(),
                locked: f["locked"].as_str().unwrap_or("0").to_string(),
                status: "committed".into(),
                labels: None,
                agreed: None,
                disagreed: None,
                paid: None,
                slashed: None,
                gold_failed: None,
                commit_tx: e.tx_hash.clone(),
                reveal_tx: None,
                settle_tx: None,
            });
            continue;
        }
        let Some(b) = out.iter_mut().find(|b| b.batch_id == id) else {
            continue;
        };
        let n32 = |k: &str| f[k].as_u64().and_then(|x| u32::try_from(x).ok());
        match e.name.as_str() {
            "BatchRevealed" => {
                b.status = "revealed".into();
                b.labels = f["labels"].as_array().map(|a| {
                    a.iter()
                        .filter_map(Value::as_u64)
                        .map(|x| u8::try_from(x).unwrap_or(u8::MAX))
                        .collect()
                });
                b.reveal_tx = Some(e.tx_hash.clone());
            }
            "BatchSettled" => {
                b.status = "settled".into();
                b.agreed = n32("agreed");
                b.disagreed = n32("disagreed");
                b.paid = f["paid"].as_str().map(str::to_string);
                b.slashed = f["slashed"].as_str().map(str::to_string);
                b.gold_failed = f["goldFailed"].as_bool();
                b.settle_tx = Some(e.tx_hash.clone());
            }
            "BatchForfeited" => {
                b.status = "forfeited".into();
                b.slashed = f["slashed"].as_str().map(str::to_string);
                b.settle_tx = Some(e.tx_hash.clone());
            }
            _ => {}
        }
    }
    out
}

/// The annotator's record in a job (`recordOf`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordView {
    /// Labels settled as agreeing.
    pub agreed: u32,
    /// Labels settled.
    pub judged: u32,
    /// Batches not settled yet.
    pub open_batches: u32,
    /// Stake locked in this job.
    pub locked: String,
    /// Whether the slash-pool share was claimed.
    pub claimed: bool,
}

/// The signed-in annotator's batches in a hub job.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MyHubBatches {
    /// Hub job id.
    pub job_id: i64,
    /// The job's phase.
    pub phase: String,
    /// Committed, not yet revealed.
    pub unrevealed: usize,
    /// The record on chain.
    pub record: RecordView,
    /// The batches, oldest first.
    pub batches: Vec<HubBatchView>,
}

/// The signed-in annotator's commitments per batch in a hub job, with
/// their reveal and settlement (paid, slashed) and its record on chain.
#[utoipa::path(get, path = "/api/hub/jobs/{id}/batches", tag = "hub",
    params(("id" = i64, Path, description = "hub job id")),
    responses((status = 200, body = MyHubBatches), (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn my_batches(
    State(s): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<MyHubBatches>> {
    let job = hub_job(&s, id).await?;
    let hub = hub_address(&s)?;
    let events = events_where(&s, HUB_JOB_EVENTS, id).await?;
    let me = addr_key(session.address);
    let batches: Vec<HubBatchView> = batches_of(&events)
        .into_iter()
        .filter(|b| b.annotator.to_lowercase() == me)
        .collect();
    let r = s
        .rpc
        .read(
            Program::QualityHub,
            hub,
            &IHub::recordOfCall {
                jobId: job_word(&job),
                annotator: session.address,
            },
        )
        .await
        .map_err(ApiError::upstream)?;
    Ok(Json(MyHubBatches {
        job_id: job.id,
        phase: job.phase.clone(),
        unrevealed: batches.iter().filter(|b| b.status == "committed").count(),
        record: RecordView {
            agreed: r.agreed,
            judged: r.judged,
            open_batches: r.openBatches,
            locked: r.locked.to_string(),
            claimed: r.claimed,
        },
        batches,
    }))
}

/// `POST /api/hub/stake/prepare` and `…/unstake/prepare` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StakeAmount {
    /// RewardToken units (decimal).
    pub amount: String,
}

fn stake_amount(text: &str) -> ApiResult<u128> {
    let v = parse_u256("amount", text)?;
    if v.is_zero() {
        return Err(ApiError::bad_request(
            "bad_amount",
            "amount: must be above 0",
        ));
    }
    u128::try_from(v).map_err(|_| ApiError::bad_request("bad_amount", "amount: at most 2^128 − 1"))
}

/// Transactions to send in order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PreparedTxs {
    /// The transactions, in the order to send them.
    pub txs: Vec<UnsignedTx>,
}

/// `stake(amount)`, preceded by the RewardToken's `approve` of the hub when
/// its allowance is short (then the stake cannot be simulated before the
/// approval is mined; otherwise it is). `422 insufficient_tokens` when the
/// wallet holds less than `amount`.
#[utoipa::path(post, path = "/api/hub/stake/prepare", tag = "hub", request_body = StakeAmount,
    responses((status = 200, body = PreparedTxs), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_stake(
    State(s): State<AppState>,
    session: Session,
    ApiJson(req): ApiJson<StakeAmount>,
) -> ApiResult<Json<PreparedTxs>> {
    let amount = stake_amount(&req.amount)?;
    let hub = hub_address(&s)?;
    let me = session.address;
    let token = s.config.contracts.token;
    let value = U256::from(amount);
    let (balance, allowance) = token_funds(&s, me, hub).await?;
    if balance < value {
        return Err(ApiError::unprocessable(
            "insufficient_tokens",
            format!(
                "the wallet holds {balance} RewardToken units, less than the {amount} to stake"
            ),
        ));
    }
    let call = IHub::stakeCall { amount };
    let mut txs = Vec::new();
    if allowance < value {
        let approve = IRewardToken::approveCall {
            spender: hub,
            value,
        };
        txs.push(
            UnsignedTx::new(&s, Some(me), token, &approve, U256::ZERO)
                .simulated(&s, Program::RewardToken)
                .await?,
        );
        txs.push(UnsignedTx::new(&s, Some(me), hub, &call, U256::ZERO));
    } else {
        txs.push(UnsignedTx::hub_call(&s, me, &call).await?);
    }
    Ok(Json(PreparedTxs { txs }))
}

/// `requestUnstake(amount)`: moves free stake to the unstake queue, which
/// `withdrawStake` pays out after the cooldown (`422 InsufficientStake`
/// beyond the free stake).
#[utoipa::path(post, path = "/api/hub/unstake/prepare", tag = "hub", request_body = StakeAmount,
    responses((status = 200, body = UnsignedTx), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_unstake(
    State(s): State<AppState>,
    session: Session,
    ApiJson(req): ApiJson<StakeAmount>,
) -> ApiResult<Json<UnsignedTx>> {
    let amount = stake_amount(&req.amount)?;
    let call = IHub::requestUnstakeCall { amount };
    Ok(Json(
        UnsignedTx::hub_call(&s, session.address, &call).await?,
    ))
}

/// `withdrawStake()`: pays out the unstake queue once the cooldown is over
/// (`422 CooldownActive` before, `422 NothingToWithdraw` with none).
#[utoipa::path(post, path = "/api/hub/stake/withdraw/prepare", tag = "hub",
    responses((status = 200, body = UnsignedTx), (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_withdraw_stake(
    State(s): State<AppState>,
    session: Session,
) -> ApiResult<Json<UnsignedTx>> {
    let call = IHub::withdrawStakeCall {};
    Ok(Json(
        UnsignedTx::hub_call(&s, session.address, &call).await?,
    ))
}

/// `withdraw(to)`: the pay settled batches credited, to the signed-in
/// address (`422 NothingToWithdraw` with no credit).
#[utoipa::path(post, path = "/api/hub/withdraw/prepare", tag = "hub",
    responses((status = 200, body = UnsignedTx), (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_withdraw(
    State(s): State<AppState>,
    session: Session,
) -> ApiResult<Json<UnsignedTx>> {
    let call = IHub::withdrawCall {
        to: session.address,
    };
    Ok(Json(
        UnsignedTx::hub_call(&s, session.address, &call).await?,
    ))
}

/// `POST /api/hub/jobs/{id}/commit/prepare` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrepareCommit {
    /// Task ids, strictly ascending (1 to 64).
    pub task_ids: Vec<u32>,
    /// `keccak256(jobId ‖ annotator ‖ labels ‖ salt)` (0x-hex, 32 bytes),
    /// computed where the salt is kept: the salt never comes here.
    pub commitment: String,
}

fn check_tasks(job: &HubJobView, t: &[u32]) -> ApiResult<()> {
    if t.is_empty() || t.len() > MAX_BATCH {
        return Err(ApiError::bad_request(
            "bad_tasks",
            format!("1 to {MAX_BATCH} task ids"),
        ));
    }
    if t.windows(2).any(|w| w[0] >= w[1]) {
        return Err(ApiError::bad_request(
            "bad_tasks",
            "task ids must be strictly ascending",
        ));
    }
    if let Some(bad) = t.iter().find(|&&x| i64::from(x) >= job.task_count) {
        return Err(ApiError::bad_request(
            "bad_tasks",
            format!("task {bad} is outside the job's {} tasks", job.task_count),
        ));
    }
    Ok(())
}

/// `commitBatch(jobId, tasks, commitment)` in the commit phase (`409
/// wrong_phase` otherwise); simulated, so a short stake is `422
/// InsufficientStake` and a task already labelled `422 AlreadyVoted`.
#[utoipa::path(post, path = "/api/hub/jobs/{id}/commit/prepare", tag = "hub",
    params(("id" = i64, Path, description = "hub job id")), request_body = PrepareCommit,
    responses((status = 200, body = UnsignedTx), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_commit(
    State(s): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<PrepareCommit>,
) -> ApiResult<Json<UnsignedTx>> {
    let job = hub_job(&s, id).await?;
    check_tasks(&job, &req.task_ids)?;
    let commitment: B256 = req.commitment.trim().parse().map_err(|_| {
        ApiError::bad_request(
            "bad_commitment",
            format!("{:?} is not a 32-byte 0x-hex commitment", req.commitment),
        )
    })?;
    if commitment.is_zero() {
        return Err(ApiError::bad_request(
            "bad_commitment",
            "the commitment must not be zero",
        ));
    }
    require_phase(&job, "commit")?;
    let call = IHub::commitBatchCall {
        jobId: job_word(&job),
        tasks: hub::pack_tasks(&req.task_ids),
        commitment,
    };
    Ok(Json(
        UnsignedTx::hub_call(&s, session.address, &call).await?,
    ))
}

/// `POST /api/hub/jobs/{id}/reveal/prepare` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrepareReveal {
    /// The batch to reveal (the signed-in annotator's).
    pub batch_id: u64,
    /// One class per task, in the batch's task order.
    pub labels: Vec<u8>,
    /// The salt the commitment was made with (0x-hex, 32 bytes).
    pub salt: String,
}

/// The batch `id` of a job's events, or a 404.
fn find_batch(job: &HubJobView, events: &[EventView], id: u64) -> ApiResult<HubBatchView> {
    batches_of(events)
        .into_iter()
        .find(|b| b.batch_id == id)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no batch {id} in hub job {} (or not indexed yet)",
                job.id
            ))
        })
}

/// `revealBatch(jobId, batchId, tasks, labels, salt)` for one of the
/// signed-in annotator's batches in the reveal phase (`409 wrong_phase`
/// otherwise, `409 already_revealed` twice). Labels and salt are checked
/// against the commitment here (`422 commitment_mismatch`) before the
/// simulation.
#[utoipa::path(post, path = "/api/hub/jobs/{id}/reveal/prepare", tag = "hub",
    params(("id" = i64, Path, description = "hub job id")), request_body = PrepareReveal,
    responses((status = 200, body = UnsignedTx), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_reveal(
    State(s): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<PrepareReveal>,
) -> ApiResult<Json<UnsignedTx>> {
    let job = hub_job(&s, id).await?;
    let events = events_where(&s, HUB_JOB_EVENTS, id).await?;
    let batch = find_batch(&job, &events, req.batch_id)?;
    if batch.annotator.to_lowercase() != addr_key(session.address) {
        return Err(ApiError::forbidden(
            "not_your_batch",
            format!(
                "batch {} was committed by {}, not by the signed-in address",
                batch.batch_id, batch.annotator
            ),
        ));
    }
    if batch.status != "committed" {
        return Err(ApiError::conflict(
            "already_revealed",
            format!("batch {} is already {}", batch.batch_id, batch.status),
        ));
    }
    require_phase(&job, "reveal")?;
    let salt = labels_and_salt(
        &job,
        &req.labels,
        batch.tasks.len(),
        "the batch's",
        &req.salt,
    )?;
    let opened = hub::commitment(job_word(&job), session.address, &req.labels, salt);
    if format!("{opened:#x}") != batch.commitment.to_lowercase() {
        return Err(ApiError::unprocessable(
            "commitment_mismatch",
            format!(
                "these labels and this salt do not open batch {}'s commitment {}",
                batch.batch_id, batch.commitment
            ),
        ));
    }
    let call = IHub::revealBatchCall {
        jobId: job_word(&job),
        batchId: U256::from(batch.batch_id),
        tasks: hub::pack_tasks(&batch.tasks),
        labels: Bytes::from(req.labels),
        salt,
    };
    Ok(Json(
        UnsignedTx::hub_call(&s, session.address, &call).await?,
    ))
}

/// `POST /api/hub/jobs/{id}/settle/prepare` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrepareSettle {
    /// The batch to settle (anyone's: settling another's batch earns a
    /// tenth of its slash).
    pub batch_id: u64,
}

/// In the settle phase (`409 wrong_phase` otherwise): `settleBatch` for a
/// revealed batch (pay credited, disagreeing labels slashed), or
/// `forfeitBatch` for one never revealed (its whole stake slashed); `409
/// already_settled` twice; a batch whose tasks await the arbiter is `422
/// AwaitingRuling`.
#[utoipa::path(post, path = "/api/hub/jobs/{id}/settle/prepare", tag = "hub",
    params(("id" = i64, Path, description = "hub job id")), request_body = PrepareSettle,
    responses((status = 200, body = UnsignedTx), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_settle(
    State(s): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<PrepareSettle>,
) -> ApiResult<Json<UnsignedTx>> {
    let job = hub_job(&s, id).await?;
    let events = events_where(&s, HUB_JOB_EVENTS, id).await?;
    let batch = find_batch(&job, &events, req.batch_id)?;
    if batch.status == "settled" || batch.status == "forfeited" {
        return Err(ApiError::conflict(
            "already_settled",
            format!("batch {} is already {}", batch.batch_id, batch.status),
        ));
    }
    require_phase(&job, "settle")?;
    let annotator = super::parse_address("annotator", &batch.annotator)?;
    let (job_id, batch_id) = (job_word(&job), U256::from(batch.batch_id));
    let tasks = hub::pack_tasks(&batch.tasks);
    let tx = if let Some(labels) = batch.labels {
        let call = IHub::settleBatchCall {
            jobId: job_id,
            batchId: batch_id,
            annotator,
            tasks,
            labels: Bytes::from(labels),
        };
        UnsignedTx::hub_call(&s, session.address, &call).await?
    } else {
        let commitment: B256 = batch.commitment.parse().map_err(ApiError::internal)?;
        let call = IHub::forfeitBatchCall {
            jobId: job_id,
            batchId: batch_id,
            annotator,
            tasks,
            commitment,
        };
        UnsignedTx::hub_call(&s, session.address, &call).await?
    };
    Ok(Json(tx))
}

/// `POST /api/hub/descriptions` body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Describe {
    /// The data root the signed-in creator's hub jobs label.
    pub data_root: String,
    /// A title.
    pub title: String,
    /// Instructions for annotators.
    pub instructions: Option<String>,
    /// Class names, in class order (2 to 14).
    pub classes: Vec<String>,
}

/// A stored description.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Described {
    /// The description's root in the store.
    pub metadata_hash: String,
}

/// Records `metadata_hash` as the description of `creator`'s hub jobs over
/// `data_root` (the hub holds no description of its own).
pub async fn record_description(
    s: &AppState,
    creator: Address,
    data_root: B256,
    metadata_hash: B256,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO hub_descriptions (creator, data_root, metadata_hash) VALUES ($1, $2, $3)
         ON CONFLICT (creator, data_root) DO UPDATE SET metadata_hash = excluded.metadata_hash",
    )
    .bind(addr_key(creator))
    .bind(format!("{data_root:#x}"))
    .bind(format!("{metadata_hash:#x}"))
    .execute(&s.db.pool)
    .await?;
    Ok(())
}

/// Stores a description (title, instructions, class names) of the
/// signed-in creator's hub jobs over a data root: the hub keeps only the
/// data root on chain, so this is what annotators' pages show. Only the
/// creator's own jobs pick it up.
#[utoipa::path(post, path = "/api/hub/descriptions", tag = "hub", request_body = Describe,
    responses((status = 200, body = Described), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody)))]
pub async fn describe(
    State(s): State<AppState>,
    session: Session,
    ApiJson(req): ApiJson<Describe>,
) -> ApiResult<Json<Described>> {
    let data_root = super::data::parse_root(&req.data_root)?;
    if !(2..=14).contains(&req.classes.len()) {
        return Err(ApiError::bad_request(
            "bad_classes",
            "2 to 14 class names (the hub's range)",
        ));
    }
    let metadata = serde_json::json!({
        "title": req.title, "instructions": req.instructions, "classes": req.classes,
        "schema": "categorical", "data_root": format!("{data_root:#x}"),
    });
    let bytes = serde_json::to_vec(&metadata).map_err(ApiError::internal)?;
    let store = s.store.clone();
    let hash = tokio::task::spawn_blocking(move || store.put(&bytes))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    record_description(&s, session.address, data_root, hash).await?;
    Ok(Json(Described {
        metadata_hash: format!("{hash:#x}"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fewest_winning_labels_follow_the_hubs_rule() {
        // k = 3, a simple majority: two of the two needed reveals.
        assert_eq!(min_winning_labels(3, 5_001), 2);
        // k = 5, 60 %: three reveals needed, 60 % of them rounded up.
        assert_eq!(min_winning_labels(5, 6_000), 2);
        assert_eq!(min_winning_labels(15, 8_000), 7);
    }

    #[test]
    fn phases_follow_the_deadlines() {
        assert_eq!(phase_at(9, 10, 20, 30, false), "commit");
        assert_eq!(phase_at(10, 10, 20, 30, false), "reveal");
        assert_eq!(phase_at(20, 10, 20, 30, false), "settle");
        assert_eq!(phase_at(30, 10, 20, 30, false), "closed");
        assert_eq!(phase_at(0, 10, 20, 30, true), "closed");
    }
}
