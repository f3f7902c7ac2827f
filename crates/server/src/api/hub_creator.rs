//! The creator's side of QualityHub consensus jobs: creating one over an
//! uploaded folder (the RewardToken's `approve` of the hub when needed, then
//! `createJob` or `createWeightedJob`), revealing the gold key, closing the
//! job after its settle phase, and claiming a share of its slash pool; and
//! the arbiter terms a job can name.
//!
//! The gold key (which tasks are gold, their answers, the salt) is made and
//! kept in the creator's browser: only its commitment
//! `keccak256(creator ‖ tasks ‖ labels ‖ salt)` comes here with the
//! creation, and the key itself with the reveal, when it is public anyway.
//!
//! The hub's parameter rules are checked here first (the same bounds as
//! `createJob`: `422 invalid_parameter` naming the field), so a creator
//! whose allowance is short — whose `createJob` cannot be simulated before
//! the approval is mined — still learns about a bad parameter before any
//! wallet opens; with the allowance in place the call is also simulated.

use alloy_primitives::{Address, Bytes, B256, U256};
use axum::{extract::State, Json};
use labelmint_client::{
    hub::{self, IHub},
    market::{self, IMarket},
    revert::Program,
    IRewardToken,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    hub::{hub_address, hub_job, job_word, require_phase},
    jobs, parse_u256, UnsignedTx,
};
use crate::{
    auth::Session,
    error::{ApiError, ApiResult},
    extract::{ApiJson, ApiPath},
    state::{addr_key, AppState},
};
use sqlx::Row;

/// Most labels per task (the hub's `MAX_REPLICATION`).
pub const MAX_REPLICATION: u8 = 15;
/// Most classes (the hub's `MAX_CLASSES`).
pub const MAX_CLASSES: usize = 14;
/// Highest quorum, in basis points (the hub's `MAX_QUORUM_BPS`).
pub const MAX_QUORUM_BPS: u16 = 8_000;
/// Shortest phase, in seconds (the hub's `MIN_PHASE`).
pub const MIN_PHASE: u32 = 3_600;
/// Longest phase, in seconds (the hub's `MAX_PHASE`).
pub const MAX_PHASE: u32 = 30 * 86_400;
/// Fewest gold tasks, in basis points of the tasks (the hub's `MIN_GOLD_BPS`).
pub const MIN_GOLD_BPS: u64 = 1_000;
/// Most gold tasks (the hub's `MAX_GOLD`).
pub const MAX_GOLD: u32 = 4_096;
/// Most tasks a consensus job's package reads (a hub job has at most
/// `MAX_GOLD` × 10 tasks: gold is at least 10 %).
pub const MAX_PACKAGED_TASKS: usize = 40_960;
/// Most difficulty classes (the hub's `MAX_DIFFICULTY_CLASSES`).
pub const MAX_DIFFICULTY_CLASSES: usize = 4;

/// Arbiter terms registered in the AnnotationMarket (the hub names them too).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ArbiterTermsView {
    /// Terms id.
    pub id: u32,
    /// The arbiter.
    pub arbiter: String,
    /// The currency (zero: ETH).
    pub token: String,
    /// The arbiter's fee per ruling (a hub job's gold bond holds one per
    /// gold task).
    pub fee: String,
    /// The bond an annotator puts up to dispute a market review.
    pub bond: String,
    /// Seconds to dispute a review (market jobs).
    pub dispute_window: u32,
    /// Seconds the arbiter has to rule (a hub job's ruling window after its
    /// reveal phase).
    pub ruling_window: u32,
}

async fn read_terms(s: &AppState, id: u32) -> ApiResult<ArbiterTermsView> {
    let t = s
        .rpc
        .read(
            Program::AnnotationMarket,
            s.config.contracts.market,
            &IMarket::arbiterTermsCall { termsId: id },
        )
        .await
        .map_err(ApiError::upstream)?;
    if t.arbiter.is_zero() {
        return Err(ApiError::not_found(format!("no arbiter terms {id}")));
    }
    Ok(ArbiterTermsView {
        id,
        arbiter: t.arbiter.to_checksum(None),
        token: t.token.to_checksum(None),
        fee: t.fee.to_string(),
        bond: t.bond.to_string(),
        dispute_window: t.disputeWindow,
        ruling_window: t.rulingWindow,
    })
}

/// Arbiter terms by id: arbiter, currency, fee, bond and windows (`1` and
/// `2` are the default ETH and RewardToken terms on a `--dev` chain).
#[utoipa::path(get, path = "/api/arbiter-terms/{id}", tag = "creator",
    params(("id" = u32, Path, description = "terms id")),
    responses((status = 200, body = ArbiterTermsView), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 502, body = crate::error::ErrorBody)))]
pub async fn arbiter_terms(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<u32>,
) -> ApiResult<Json<ArbiterTermsView>> {
    Ok(Json(read_terms(&s, id).await?))
}

/// A difficulty class of a weighted job: tasks up to `end` (exclusive,
/// after the previous class's end) weigh `weight`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct DifficultyClass {
    /// The class's end (exclusive); the last class ends at the task count.
    pub end: u32,
    /// Its weight (1 to 255): a task escrows, pays and counts `weight` labels.
    pub weight: u8,
}

/// `POST /api/creator/hub/jobs` body. Amounts are RewardToken units.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrepareHubJob {
    /// The data root of an upload (its manifest must be in this server's store).
    pub data_root: String,
    /// A title.
    pub title: Option<String>,
    /// Instructions for annotators.
    pub instructions: Option<String>,
    /// Class names, in class order (2 to 14).
    pub classes: Vec<String>,
    /// Reward per agreeing label (a task's bounty is `k ×` this).
    pub reward_per_label: String,
    /// Labels per task, `k` (3 to 15).
    pub replication: u8,
    /// Share of the revealed labels a class needs, in basis points (above
    /// 5,000, at most 8,000; default 5,001: a simple majority).
    pub quorum_bps: Option<u16>,
    /// Stake each label locks; at least the most one label can earn.
    pub stake_per_label: String,
    /// Share of its stake a disagreeing label loses, in basis points
    /// (default 5,000).
    pub slash_bps: Option<u16>,
    /// Reputation an annotator needs, in basis points (default 0: anyone).
    pub min_reputation_bps: Option<u16>,
    /// Seconds of the commit phase (1 hour to 30 days; default 1 day).
    pub commit_secs: Option<u32>,
    /// Seconds of the reveal phase (default 1 day).
    pub reveal_secs: Option<u32>,
    /// Seconds of the settle phase after the arbiter's ruling window
    /// (default 1 day).
    pub settle_secs: Option<u32>,
    /// Arbiter terms id, in the RewardToken (default 2, the default
    /// RewardToken terms).
    pub arbiter_terms: Option<u32>,
    /// `keccak256(creator ‖ tasks ‖ labels ‖ salt)` of the gold key, made
    /// where the key is kept (0x-hex, 32 bytes, not zero).
    pub gold_commitment: String,
    /// Gold tasks the key holds (at least 10 % of the tasks, rounded up).
    pub gold_tasks: u32,
    /// Difficulty classes (`createWeightedJob`); none: every task weighs 1.
    pub difficulty: Option<Vec<DifficultyClass>>,
}

/// A prepared consensus job.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PreparedHubJob {
    /// The transactions, in order: the RewardToken's `approve` of the hub
    /// when its allowance is short of the deposit, then `createJob` (or
    /// `createWeightedJob`). With an approval first the creation is not
    /// simulated; ask again once the approval is mined and it is.
    pub txs: Vec<UnsignedTx>,
    /// Whether an approval comes first.
    pub approval_needed: bool,
    /// Tasks in the manifest.
    pub task_count: u32,
    /// Bounties escrowed: `k × reward × Σ weight`.
    pub escrow: String,
    /// The gold bond: `gold tasks × (reward + the arbiter's fee)`.
    pub gold_bond: String,
    /// What the hub takes from the wallet: escrow and gold bond.
    pub deposit: String,
    /// The most one agreeing label can earn (on the heaviest task).
    pub max_pay_per_label: String,
    /// The arbiter the terms name.
    pub arbiter: String,
    /// Its fee per ruling.
    pub arbiter_fee: String,
    /// The stored description's root (title, instructions, class names).
    pub metadata_hash: String,
}

pub(crate) fn invalid(field: &str, message: impl std::fmt::Display) -> ApiError {
    ApiError::unprocessable("invalid_parameter", format!("{field}: {message}"))
}

fn amount_u128(field: &str, text: &str) -> ApiResult<u128> {
    u128::try_from(parse_u256(field, text)?)
        .map_err(|_| ApiError::bad_request("bad_amount", format!("{field}: at most 2^128 − 1")))
}

/// Checks `classes` for a job of `tasks`; (Σ weight, the heaviest weight)
/// and the packed bytes.
pub(crate) fn difficulty_units(
    classes: &[DifficultyClass],
    tasks: u32,
) -> ApiResult<(u64, u8, Bytes)> {
    if classes.is_empty() || classes.len() > MAX_DIFFICULTY_CLASSES {
        return Err(invalid(
            "difficulty",
            format!("1 to {MAX_DIFFICULTY_CLASSES} classes"),
        ));
    }
    let (mut start, mut units, mut heaviest) = (0u32, 0u64, 0u8);
    for (i, c) in classes.iter().enumerate() {
        let last = i + 1 == classes.len();
        if c.end <= start || c.weight == 0 || last != (c.end == tasks) {
            return Err(invalid(
                "difficulty",
                format!(
                    "class {} (end {}, weight {}): ends must rise from above 0 to the task count {tasks}, weights be at least 1",
                    i + 1,
                    c.end,
                    c.weight
                ),
            ));
        }
        units += u64::from(c.end - start) * u64::from(c.weight);
        heaviest = heaviest.max(c.weight);
        start = c.end;
    }
    let packed = hub::pack_difficulty(
        &classes
            .iter()
            .map(|c| (c.end, c.weight))
            .collect::<Vec<_>>(),
    );
    Ok((units, heaviest, packed))
}

/// Creates a consensus job over an uploaded folder: stores its description,
/// checks the hub's rules and the arbiter terms, and answers the
/// RewardToken's `approve` of the hub (when the allowance is short of escrow
/// and gold bond) and the `createJob` (or, with difficulty classes,
/// `createWeightedJob`) for the creator's wallet.
#[utoipa::path(post, path = "/api/creator/hub/jobs", tag = "hub", request_body = PrepareHubJob,
    responses((status = 200, body = PreparedHubJob), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody), (status = 502, body = crate::error::ErrorBody)))]
#[allow(clippy::too_many_lines)]
pub async fn prepare_hub_job(
    State(s): State<AppState>,
    session: Session,
    ApiJson(req): ApiJson<PrepareHubJob>,
) -> ApiResult<Json<PreparedHubJob>> {
    let hub_addr = hub_address(&s)?;
    let manifest = jobs::manifest(&s, &req.data_root)?;
    let data_root = super::data::parse_root(&req.data_root)?;
    if !(2..=MAX_CLASSES).contains(&req.classes.len()) {
        return Err(ApiError::bad_request(
            "bad_classes",
            format!("2 to {MAX_CLASSES} class names (the hub's range)"),
        ));
    }
    let tasks = u32::try_from(manifest.tasks.len())
        .map_err(|_| ApiError::bad_request("bad_upload", "too many tasks"))?;
    let reward = amount_u128("reward_per_label", &req.reward_per_label)?;
    let stake = amount_u128("stake_per_label", &req.stake_per_label)?;
    let gold: B256 = req.gold_commitment.trim().parse().map_err(|_| {
        ApiError::bad_request(
            "bad_commitment",
            format!(
                "gold_commitment: {:?} is not a 32-byte 0x-hex commitment",
                req.gold_commitment
            ),
        )
    })?;
    let k = req.replication;
    let quorum = req.quorum_bps.unwrap_or(5_001);
    let slash = req.slash_bps.unwrap_or(5_000);
    let min_rep = req.min_reputation_bps.unwrap_or(0);
    let phases = [
        ("commit_secs", req.commit_secs.unwrap_or(86_400)),
        ("reveal_secs", req.reveal_secs.unwrap_or(86_400)),
        ("settle_secs", req.settle_secs.unwrap_or(86_400)),
    ];
    if reward == 0 {
        return Err(invalid("reward_per_label", "must be above 0"));
    }
    if !(3..=MAX_REPLICATION).contains(&k) {
        return Err(invalid(
            "replication",
            format!("3 to {MAX_REPLICATION} labels per task, not {k}"),
        ));
    }
    if quorum <= 5_000 || quorum > MAX_QUORUM_BPS {
        return Err(invalid(
            "quorum_bps",
            format!("above 5000 (a majority) and at most {MAX_QUORUM_BPS}, not {quorum}"),
        ));
    }
    if let Some((name, secs)) = phases
        .iter()
        .find(|(_, d)| !(MIN_PHASE..=MAX_PHASE).contains(d))
    {
        return Err(invalid(
            name,
            format!("a phase lasts 1 hour to 30 days ({MIN_PHASE}–{MAX_PHASE} s), not {secs} s"),
        ));
    }
    if slash > 10_000 {
        return Err(invalid("slash_bps", "at most 10000"));
    }
    if min_rep > 10_000 {
        return Err(invalid("min_reputation_bps", "at most 10000"));
    }
    let min_gold = (u64::from(tasks) * MIN_GOLD_BPS).div_ceil(10_000);
    if gold.is_zero() {
        return Err(ApiError::bad_request(
            "bad_commitment",
            "gold_commitment: every consensus job hides a gold key; the commitment must not be zero",
        ));
    }
    if u64::from(req.gold_tasks) < min_gold || req.gold_tasks > tasks.min(MAX_GOLD) {
        return Err(invalid(
            "gold_tasks",
            format!(
                "{} gold tasks; the hub wants at least {min_gold} (10 % of {tasks} tasks, rounded up) and at most {}",
                req.gold_tasks,
                tasks.min(MAX_GOLD)
            ),
        ));
    }
    let (units, heaviest, difficulty) = match &req.difficulty {
        Some(classes) => {
            let (u, h, bytes) = difficulty_units(classes, tasks)?;
            (u, h, Some(bytes))
        }
        None => (u64::from(tasks), 1, None),
    };
    let bounty = U256::from(reward) * U256::from(k);
    let escrow = bounty * U256::from(units);
    let fewest = super::hub::min_winning_labels(u64::from(k), u64::from(quorum));
    let most = bounty * U256::from(heaviest);
    let max_pay = most / U256::from(fewest);
    if U256::from(stake) * U256::from(fewest) < most {
        return Err(invalid(
            "stake_per_label",
            format!(
                "{stake} is below the most one agreeing label can earn ({max_pay}: the bounty {most} of the heaviest task shared by as few as {fewest} labels); a label's stake must cover it"
            ),
        ));
    }
    let terms_id = req.arbiter_terms.unwrap_or(market::DEFAULT_TOKEN_TERMS);
    let terms = read_terms(&s, terms_id).await.map_err(|e| {
        if e.status == axum::http::StatusCode::NOT_FOUND {
            invalid("arbiter_terms", format!("no arbiter terms {terms_id}"))
        } else {
            e
        }
    })?;
    let token = s.config.contracts.token;
    let (arbiter, terms_token): (Address, Address) = (
        terms.arbiter.parse().map_err(ApiError::internal)?,
        terms.token.parse().map_err(ApiError::internal)?,
    );
    let fee = parse_u256("fee", &terms.fee)?;
    if terms_token != token {
        return Err(invalid(
            "arbiter_terms",
            format!(
                "terms {terms_id} are in {}, not in the RewardToken the hub pays with",
                if terms_token.is_zero() {
                    "ETH".to_string()
                } else {
                    terms.token.clone()
                }
            ),
        ));
    }
    if arbiter == session.address {
        return Err(invalid(
            "arbiter_terms",
            format!("terms {terms_id} name the creator as arbiter"),
        ));
    }
    if fee > bounty {
        return Err(invalid(
            "arbiter_terms",
            format!("the arbiter's fee {fee} is above a task's bounty {bounty}"),
        ));
    }
    let bond = (U256::from(reward) + fee) * U256::from(req.gold_tasks);
    let deposit = escrow + bond;
    if escrow >= U256::from(u128::MAX) || deposit >= U256::from(u128::MAX) {
        return Err(invalid(
            "reward_per_label",
            "the escrow does not fit 128 bits",
        ));
    }
    let me = session.address;
    let (balance, allowance) = super::hub::token_funds(&s, me, hub_addr).await?;
    if balance < deposit {
        return Err(ApiError::unprocessable(
            "insufficient_tokens",
            format!(
                "the wallet holds {balance} RewardToken units, less than the {deposit} the job takes (escrow {escrow}, gold bond {bond})"
            ),
        ));
    }
    // The description, stored before the job exists: the hub keeps only the
    // data root, so this is what annotators will read.
    let metadata = serde_json::json!({
        "title": req.title, "instructions": req.instructions, "classes": req.classes,
        "schema": "categorical", "data_root": format!("{data_root:#x}"),
    });
    let bytes = serde_json::to_vec(&metadata).map_err(ApiError::internal)?;
    let size = bytes.len() as u64;
    let store = s.store.clone();
    let metadata_hash = tokio::task::spawn_blocking(move || store.put(&bytes))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    // Descriptions are kept per creator and data root (the hub holds no
    // metadata): a second job over data one of this creator's jobs already
    // runs on keeps that job's description, never rewrites it.
    if let Some(job) = described_otherwise(&s, me, data_root, metadata_hash).await? {
        return Err(ApiError::conflict(
            "description_in_use",
            format!(
                "your hub job {job} runs over this data root with another title, instructions or classes; \
                 describe the new job exactly as that one, or upload the data again changed (another root)"
            ),
        ));
    }
    let mut tx = s.db.pool.begin().await?;
    super::data::mark_public(&mut tx, metadata_hash, "metadata", size).await?;
    tx.commit().await?;
    super::hub::record_description(&s, me, data_root, metadata_hash).await?;

    let create = IHub::createJobCall {
        dataRoot: data_root,
        rewardPerVote: reward,
        taskCount: tasks,
        replication: k,
        numClasses: u8::try_from(req.classes.len()).unwrap_or(u8::MAX),
        quorumBps: quorum,
        commitDuration: phases[0].1,
        revealDuration: phases[1].1,
        settleDuration: phases[2].1,
        stakePerVote: stake,
        slashBps: slash,
        minReputationBps: min_rep,
        arbiterTerms: terms_id,
        goldCommitment: gold,
        goldTasks: req.gold_tasks,
    };
    let unsigned = |s: &AppState| match &difficulty {
        Some(d) => UnsignedTx::new(
            s,
            Some(me),
            hub_addr,
            &labelmint_client::hub::weighted(create.clone(), d.clone()),
            U256::ZERO,
        ),
        None => UnsignedTx::new(s, Some(me), hub_addr, &create, U256::ZERO),
    };
    let approval_needed = allowance < deposit;
    let mut txs = Vec::new();
    if approval_needed {
        let approve = IRewardToken::approveCall {
            spender: hub_addr,
            value: deposit,
        };
        txs.push(
            UnsignedTx::new(&s, Some(me), token, &approve, U256::ZERO)
                .simulated(&s, Program::RewardToken)
                .await?,
        );
        txs.push(unsigned(&s));
    } else {
        txs.push(unsigned(&s).simulated(&s, Program::QualityHub).await?);
    }
    Ok(Json(PreparedHubJob {
        txs,
        approval_needed,
        task_count: tasks,
        escrow: escrow.to_string(),
        gold_bond: bond.to_string(),
        deposit: deposit.to_string(),
        max_pay_per_label: max_pay.to_string(),
        arbiter: terms.arbiter,
        arbiter_fee: fee.to_string(),
        metadata_hash: format!("{metadata_hash:#x}"),
    }))
}

/// `POST /api/hub/jobs/{id}/gold/prepare` body: the gold key.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrepareRevealGold {
    /// Every gold task, strictly ascending.
    pub task_ids: Vec<u32>,
    /// Its answer, one class per task.
    pub labels: Vec<u8>,
    /// The salt the commitment was made with (0x-hex, 32 bytes).
    pub salt: String,
}

/// The job's live accounts (`jobAccounts`).
async fn accounts(
    s: &AppState,
    job: &super::hub::HubJobView,
) -> ApiResult<IHub::jobAccountsReturn> {
    s.rpc
        .read(
            Program::QualityHub,
            hub_address(s)?,
            &IHub::jobAccountsCall {
                jobId: job_word(job),
            },
        )
        .await
        .map_err(ApiError::upstream)
}

/// `revealGold(jobId, tasks, labels, salt)` in the reveal phase (`409
/// wrong_phase` otherwise, `409 gold_revealed` twice): every gold task with
/// its answer and the salt. A key that does not open the job's commitment
/// is `422 gold_mismatch` (the hub's `BatchMismatch`). Anyone holding the
/// key may reveal it.
#[utoipa::path(post, path = "/api/hub/jobs/{id}/gold/prepare", tag = "hub",
    params(("id" = i64, Path, description = "hub job id")), request_body = PrepareRevealGold,
    responses((status = 200, body = UnsignedTx), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_reveal_gold(
    State(s): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<PrepareRevealGold>,
) -> ApiResult<Json<UnsignedTx>> {
    let job = hub_job(&s, id).await?;
    if req.task_ids.len() > MAX_GOLD as usize {
        return Err(ApiError::bad_request(
            "bad_tasks",
            format!("at most {MAX_GOLD} gold tasks"),
        ));
    }
    if req.task_ids.is_empty() || req.task_ids.windows(2).any(|w| w[0] >= w[1]) {
        return Err(ApiError::bad_request(
            "bad_tasks",
            "gold task ids: at least one, strictly ascending",
        ));
    }
    if let Some(bad) = req
        .task_ids
        .iter()
        .find(|&&t| i64::from(t) >= job.task_count)
    {
        return Err(ApiError::bad_request(
            "bad_tasks",
            format!("task {bad} is outside the job's {} tasks", job.task_count),
        ));
    }
    if i64::try_from(req.task_ids.len()).unwrap_or(i64::MAX) != job.gold_tasks {
        return Err(ApiError::bad_request(
            "bad_tasks",
            format!(
                "{} gold tasks given; the job hides {}",
                req.task_ids.len(),
                job.gold_tasks
            ),
        ));
    }
    let salt = super::hub::labels_and_salt(
        &job,
        &req.labels,
        req.task_ids.len(),
        "the gold key's",
        &req.salt,
    )?;
    if accounts(&s, &job).await?.goldRevealed {
        return Err(ApiError::conflict(
            "gold_revealed",
            format!("hub job {id}'s gold key is already revealed"),
        ));
    }
    require_phase(&job, "reveal")?;
    let call = IHub::revealGoldCall {
        jobId: job_word(&job),
        tasks: hub::pack_tasks(&req.task_ids),
        labels: Bytes::from(req.labels),
        salt,
    };
    let tx = UnsignedTx::new(&s, Some(session.address), hub_address(&s)?, &call, U256::ZERO)
        .simulated_with(&s, Program::QualityHub, |name| {
            (name == "BatchMismatch").then(|| {
                ApiError::unprocessable(
                    "gold_mismatch",
                    format!(
                        "these gold tasks, labels and salt do not open hub job {id}'s gold commitment (keccak256(creator ‖ tasks ‖ labels ‖ salt) differs)"
                    ),
                )
            })
        })
        .await?;
    Ok(Json(tx))
}

/// `closeJob(jobId)` once the settle phase is over (`409 wrong_phase`
/// before, `409 already_closed` twice): the creator is credited the escrow
/// left and the gold bond (unless forfeited for a key never revealed), and
/// the slash pool opens to the agreeing annotators. Anyone may close.
#[utoipa::path(post, path = "/api/hub/jobs/{id}/close/prepare", tag = "hub",
    params(("id" = i64, Path, description = "hub job id")),
    responses((status = 200, body = UnsignedTx), (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_close(
    State(s): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<UnsignedTx>> {
    let job = hub_job(&s, id).await?;
    if accounts(&s, &job).await?.status != 1 {
        return Err(ApiError::conflict(
            "already_closed",
            format!("hub job {id} is already closed"),
        ));
    }
    let now = super::hub::chain_now(&s).await?;
    if now < job.settle_end {
        return Err(ApiError::conflict(
            "wrong_phase",
            format!(
                "hub job {id} is in its {} phase: it closes after its settle phase ends, {}",
                job.phase,
                super::hub::when(job.settle_end)
            ),
        ));
    }
    let call = IHub::closeJobCall {
        jobId: job_word(&job),
    };
    Ok(Json(
        UnsignedTx::hub_call(&s, session.address, &call).await?,
    ))
}

/// `claimSlashShare(jobId)` after the job is closed (`409 not_closed`
/// before): credits the signed-in annotator's share of the slashed stakes,
/// pro rata to its agreeing labels (`422 NothingToClaim` without any, or
/// twice). Withdraw it with `/api/hub/withdraw/prepare`.
#[utoipa::path(post, path = "/api/hub/jobs/{id}/slash-share/prepare", tag = "hub",
    params(("id" = i64, Path, description = "hub job id")),
    responses((status = 200, body = UnsignedTx), (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_claim_slash_share(
    State(s): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<UnsignedTx>> {
    let job = hub_job(&s, id).await?;
    if accounts(&s, &job).await?.status == 1 {
        return Err(ApiError::conflict(
            "not_closed",
            format!("hub job {id} is not closed yet: its slash pool is shared once it is"),
        ));
    }
    let call = IHub::claimSlashShareCall {
        jobId: job_word(&job),
    };
    Ok(Json(
        UnsignedTx::hub_call(&s, session.address, &call).await?,
    ))
}

/// Builds a closed consensus job's dataset package: every task the hub
/// decided (`consensus`, `gold` or `ruled` in `consensusOf`) with its
/// deciding class, as JSONL (`jsonl-chat` by default, or
/// `jsonl-instruction` / `jsonl-completion`) with the texts, and
/// `manifest.json` listing the job's data root and its batches'
/// commitments. Stored privately, answered like the market's package, and
/// published with `POST /api/datasets/prepare` and `source: "hub"`: sales
/// then pay royalties to the agreeing annotators. The job's creator only
/// (`403 not_creator`); `409 not_closed` before the job is closed; `422
/// unsupported_kind` for an image job (consensus labels are one class per
/// image, which COCO's instance annotations do not carry), `422
/// no_class_names` without a description naming the classes, `422
/// nothing_decided` when no task was decided; `400 bad_format` for a
/// format other than the JSONL ones, checked before anything is read.
#[utoipa::path(post, path = "/api/hub/jobs/{id}/package", tag = "creator",
    params(("id" = i64, Path, description = "hub job id")), request_body = super::workspace::BuildPackage,
    responses((status = 200, body = super::workspace::PackageBuilt), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn build_package(
    State(s): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<super::workspace::BuildPackage>,
) -> ApiResult<Json<super::workspace::PackageBuilt>> {
    let job = hub_job(&s, id).await?;
    if job.creator != addr_key(session.address) {
        return Err(ApiError::forbidden(
            "not_creator",
            "only the job's creator packages its dataset",
        ));
    }
    if let Err(wait) = s.address_limiter.check(&addr_key(session.address)) {
        return Err(ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "too many requests from this address: retry in {} ms",
                wait.as_millis()
            ),
        ));
    }
    let format = req.format.unwrap_or_else(|| "jsonl-chat".into());
    if !matches!(
        format.as_str(),
        "jsonl-chat" | "jsonl-instruction" | "jsonl-completion"
    ) {
        return Err(ApiError::bad_request(
            "bad_format",
            "format: jsonl-chat, jsonl-instruction or jsonl-completion (consensus jobs are text jobs)",
        ));
    }
    // 2: closed (0 would be a job the chain does not know).
    if accounts(&s, &job).await?.status != 2 {
        return Err(ApiError::conflict(
            "not_closed",
            format!("hub job {id} is not closed yet: its labels are final once it is"),
        ));
    }
    let manifest = jobs::manifest(&s, &job.data_root)?;
    if manifest.kind != labelmint_storage::DataKind::Text {
        return Err(ApiError::unprocessable(
            "unsupported_kind",
            "consensus jobs over images label one class per image, which a COCO package does not carry; \
             only text jobs are packaged (as JSONL)",
        ));
    }
    let classes: Vec<String> = job
        .metadata
        .as_ref()
        .and_then(|m| serde_json::from_value(m["classes"].clone()).ok())
        .unwrap_or_default();
    if classes.len() < usize::try_from(job.num_classes).unwrap_or(usize::MAX) {
        return Err(ApiError::unprocessable(
            "no_class_names",
            format!(
                "hub job {id} has no description naming its {} classes",
                job.num_classes
            ),
        ));
    }
    // The job's tasks only (the manifest may list more than the job took):
    // a job has at most MAX_GOLD × 10 tasks.
    let count = usize::try_from(job.task_count)
        .unwrap_or(0)
        .min(manifest.tasks.len())
        .min(MAX_PACKAGED_TASKS);
    let labels = decided_labels(&s, &job, &manifest.tasks[..count]).await?;
    if labels.is_empty() {
        return Err(ApiError::unprocessable(
            "nothing_decided",
            format!("hub job {id} decided no task: there is nothing to publish"),
        ));
    }
    let events = super::events_where(&s, super::hub::HUB_JOB_EVENTS, id).await?;
    let mut batch_roots: Vec<B256> = events
        .iter()
        .filter(|e| e.name == "BatchCommitted")
        .filter_map(|e| e.fields["commitment"].as_str()?.parse().ok())
        .collect();
    batch_roots.sort();
    batch_roots.dedup();
    let source = super::workspace::PackageSource {
        title: job
            .metadata
            .as_ref()
            .and_then(|m| m["title"].as_str().map(str::to_string))
            .unwrap_or_else(|| format!("labelmint consensus job {id}")),
        classes,
        creator: job.creator.clone(),
        data_root: super::data::parse_root(&job.data_root)?,
        batch_roots,
    };
    super::workspace::build_and_store(&s, manifest, format, labels, source)
        .await
        .map(Json)
}

/// The deciding class of every task of `tasks` the hub decided
/// (`consensusOf` state 1 consensus, 2 gold or 4 ruled), read eight at a
/// time.
async fn decided_labels(
    s: &AppState,
    job: &super::hub::HubJobView,
    tasks: &[labelmint_storage::TaskItem],
) -> ApiResult<Vec<(u32, serde_json::Value)>> {
    let (hub, word) = (hub_address(s)?, job_word(job));
    let mut decided = Vec::with_capacity(tasks.len());
    for chunk in tasks.chunks(8) {
        let calls: Vec<IHub::consensusOfCall> = chunk
            .iter()
            .map(|t| IHub::consensusOfCall {
                jobId: word,
                taskId: t.index,
            })
            .collect();
        let mut reads = Vec::with_capacity(calls.len());
        for call in &calls {
            reads.push(s.rpc.read(Program::QualityHub, hub, call));
        }
        let answers = futures_util::future::try_join_all(reads)
            .await
            .map_err(ApiError::upstream)?;
        decided.extend(chunk.iter().map(|t| t.index).zip(answers));
    }
    Ok(decided
        .into_iter()
        .filter(|(_, c)| matches!(c.state, 1 | 2 | 4))
        .map(|(task, c)| (task, serde_json::json!({ "class": c.label })))
        .collect())
}

/// The id of a hub job of `creator` over `data_root` when the description
/// recorded for them differs from `metadata_hash` (`None`: no such job, or
/// the same description).
async fn described_otherwise(
    s: &AppState,
    creator: Address,
    data_root: B256,
    metadata_hash: B256,
) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT j.job_id FROM hub_jobs j JOIN hub_descriptions d
           ON d.creator = j.creator AND d.data_root = j.data_root
         WHERE j.creator = $1 AND j.data_root = $2 AND d.metadata_hash <> $3
         ORDER BY j.job_id LIMIT 1",
    )
    .bind(addr_key(creator))
    .bind(format!("{data_root:#x}"))
    .bind(format!("{metadata_hash:#x}"))
    .fetch_optional(&s.db.pool)
    .await?;
    row.map(|r| r.try_get::<i64, _>("job_id")).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn difficulty_classes_count_units_like_the_hub() {
        let c = |end, weight| DifficultyClass { end, weight };
        let (units, heaviest, bytes) = difficulty_units(&[c(4, 1), c(6, 3)], 6).unwrap();
        assert_eq!((units, heaviest), (4 + 2 * 3, 3));
        assert_eq!(bytes.len(), 10);
        for bad in [
            vec![],
            vec![c(0, 1), c(6, 1)],
            vec![c(3, 1), c(3, 1), c(6, 1)],
            vec![c(3, 1), c(5, 1)],
            vec![c(6, 0)],
            vec![c(1, 1), c(2, 1), c(3, 1), c(4, 1), c(6, 1)],
        ] {
            assert!(difficulty_units(&bad, 6).is_err(), "{bad:?}");
        }
    }
}
