//! Governance in the open: the Timelock's operations as its events record
//! them (`CallScheduled`, `CallExecuted`, `Cancelled`), each with its
//! calls in a readable form and its live state and ready time.
//!
//! Every admin-set parameter of the DatasetRegistry and the
//! AnnotationMarket, and the RewardToken's roles, change through the
//! Timelock (`labelmint-deploy`'s default): a change is proposed with an
//! event, visible here for the Timelock's delay, then executed by anyone or
//! cancelled. This page is what lets a user see a fee change coming.

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bytes, B256};
use axum::{extract::State, Json};
use labelmint_client::{revert::Program, timelock::ITimelock};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::events_where;
use crate::{
    error::{ApiError, ApiResult},
    state::AppState,
};

/// Most operations listed (the newest).
pub const MAX_OPERATIONS: usize = 50;

/// One call of an operation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GovernedCall {
    /// The called program's address.
    pub target: String,
    /// `Program.function(types) 0x<arguments>` for labelmint's admin
    /// functions; the address or selector with the raw arguments otherwise.
    pub description: String,
    /// Wei sent with the call.
    pub value: String,
    /// The calldata.
    pub data: String,
}

/// One Timelock operation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OperationView {
    /// The operation id (`hashOperation` / `hashOperationBatch`).
    pub id: String,
    /// `waiting`, `ready` (the chain's time has reached `ready_at`), `done`
    /// or `cancelled`, from the indexed events and the chain's time.
    pub state: String,
    /// The chain time from which it can (or could) run: the scheduling
    /// block's time + the delay.
    pub ready_at: u64,
    /// The delay it was scheduled with, in seconds.
    pub delay: String,
    /// When it was (last) scheduled (block time) and by which transaction.
    pub scheduled_at: i64,
    /// The scheduling transaction.
    pub scheduled_tx: String,
    /// The executing transaction, once executed.
    pub executed_tx: Option<String>,
    /// The cancelling transaction, once cancelled.
    pub cancelled_tx: Option<String>,
    /// Its calls, in order.
    pub calls: Vec<GovernedCall>,
}

/// `GET /api/governance`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GovernanceView {
    /// The Timelock.
    pub timelock: String,
    /// Live: the delay every change waits, in seconds.
    pub min_delay: String,
    /// Live: the chain's time (to count down to `ready_at`).
    pub now: u64,
    /// The newest operations first (at most [`MAX_OPERATIONS`]).
    pub operations: Vec<OperationView>,
}

/// An operation read back from its events.
struct Op {
    calls: Vec<GovernedCall>,
    delay: String,
    scheduled_at: i64,
    scheduled_tx: String,
    executed_tx: Option<String>,
    cancelled_tx: Option<String>,
}

/// The Timelock's operations with their state: what a parameter change
/// will do and when it can run. `404 not_found` when the server follows no
/// Timelock.
#[utoipa::path(get, path = "/api/governance", tag = "meta",
    responses((status = 200, body = GovernanceView), (status = 404, body = crate::error::ErrorBody),
        (status = 502, body = crate::error::ErrorBody)))]
pub async fn get(State(s): State<AppState>) -> ApiResult<Json<GovernanceView>> {
    let c = &s.config.contracts;
    let timelock = c.timelock;
    if timelock.is_zero() {
        return Err(ApiError::not_found("this server follows no Timelock"));
    }
    let programs = [
        (c.registry, "DatasetRegistry"),
        (c.market, "AnnotationMarket"),
        (c.token, "RewardToken"),
        (c.hub, "QualityHub"),
        (c.court, "QualityCourt"),
        (timelock, "Timelock"),
    ];
    let events = events_where(
        &s,
        "program = 'Timelock' AND name IN ('CallScheduled', 'CallExecuted', 'Cancelled') AND block >= $1",
        0,
    )
    .await?;
    let (order, mut ops) = fold(events, &programs);
    let min_delay = s
        .rpc
        .read(Program::Timelock, timelock, &ITimelock::getMinDelayCall {})
        .await
        .map_err(ApiError::upstream)?;
    let now = s.rpc.now().await.map_err(ApiError::upstream)?;
    let mut operations = Vec::new();
    for id in order.into_iter().rev().take(MAX_OPERATIONS) {
        let Some(op) = ops.remove(&id) else { continue };
        // The Timelock sets an operation's time to the scheduling block's
        // time + its delay; done and cancelled are final in the events (an
        // executed id can never be scheduled again; a cancelled one
        // scheduled again starts over in `fold`). So no call per operation.
        let ready_at = u64::try_from(op.scheduled_at)
            .unwrap_or(0)
            .saturating_add(op.delay.parse::<u64>().unwrap_or(u64::MAX));
        let state = if op.executed_tx.is_some() {
            "done"
        } else if op.cancelled_tx.is_some() {
            "cancelled"
        } else if now >= ready_at {
            "ready"
        } else {
            "waiting"
        };
        operations.push(OperationView {
            id: id.to_string(),
            state: state.into(),
            ready_at,
            delay: op.delay,
            scheduled_at: op.scheduled_at,
            scheduled_tx: op.scheduled_tx,
            executed_tx: op.executed_tx,
            cancelled_tx: op.cancelled_tx,
            calls: op.calls,
        });
    }
    Ok(Json(GovernanceView {
        timelock: timelock.to_checksum(None),
        min_delay: min_delay.to_string(),
        now,
        operations,
    }))
}

/// The operations `events` (the Timelock's, in chain order) record, in the
/// order first scheduled.
fn fold(
    events: Vec<super::EventView>,
    programs: &[(Address, &str)],
) -> (Vec<B256>, BTreeMap<B256, Op>) {
    let mut order: Vec<B256> = Vec::new();
    let mut ops: BTreeMap<B256, Op> = BTreeMap::new();
    for e in events {
        let f = &e.fields;
        let Some(id) = f["id"].as_str().and_then(|x| x.parse::<B256>().ok()) else {
            continue;
        };
        match e.name.as_str() {
            "CallScheduled" => {
                let target = f["target"]
                    .as_str()
                    .and_then(|x| x.parse::<Address>().ok())
                    .unwrap_or_default();
                let data: Bytes = f["data"]
                    .as_str()
                    .and_then(|x| x.parse().ok())
                    .unwrap_or_default();
                let call = GovernedCall {
                    target: target.to_checksum(None),
                    description: labelmint_client::timelock::describe(programs, target, &data),
                    value: f["value"].as_str().unwrap_or("0").to_string(),
                    data: data.to_string(),
                };
                let first = f["index"].as_str() == Some("0");
                let op = ops.entry(id).or_insert_with(|| {
                    order.push(id);
                    Op {
                        calls: Vec::new(),
                        delay: String::new(),
                        scheduled_at: 0,
                        scheduled_tx: String::new(),
                        executed_tx: None,
                        cancelled_tx: None,
                    }
                });
                // A cancelled operation scheduled again logs its calls again.
                if first {
                    op.calls.clear();
                    op.cancelled_tx = None;
                    op.delay = f["delay"].as_str().unwrap_or("0").to_string();
                    op.scheduled_at = e.block_time;
                    op.scheduled_tx.clone_from(&e.tx_hash);
                }
                op.calls.push(call);
            }
            "CallExecuted" => {
                if let Some(op) = ops.get_mut(&id) {
                    op.executed_tx = Some(e.tx_hash.clone());
                }
            }
            _ => {
                if let Some(op) = ops.get_mut(&id) {
                    op.cancelled_tx = Some(e.tx_hash.clone());
                }
            }
        }
    }
    (order, ops)
}
