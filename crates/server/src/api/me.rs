//! The signed-in account: balances, withdrawals, live updates.

use std::{convert::Infallible, time::Duration};

use alloy_primitives::{Address, U256};
use axum::{
    extract::State,
    http::HeaderMap,
    response::sse::{Event, KeepAlive, Sse},
    Json,
};
use futures_util::Stream;
use labelmint_client::market::IMarket;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

use super::UnsignedTx;
use crate::{
    auth::Session,
    error::{ApiError, ApiResult},
    extract::ApiJson,
    state::{addr_key, AppState, FeedEvent},
};

/// An account's balances (wei / token units, decimal).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Balances {
    /// The address.
    pub address: String,
    /// ETH.
    pub eth: String,
    /// RewardToken.
    pub token: String,
    /// ETH the market credits it (payments a wallet refused; withdraw them).
    pub market_credit_eth: String,
    /// The chain's block these were read at (latest).
    pub block: u64,
}

/// The signed-in account's balances, live from the chain.
#[utoipa::path(get, path = "/api/me/balances", tag = "account",
    responses((status = 200, body = Balances), (status = 401, body = crate::error::ErrorBody)))]
pub async fn balances(State(s): State<AppState>, session: Session) -> ApiResult<Json<Balances>> {
    let v = crate::indexer::balances_of(&s, session.address)
        .await
        .map_err(ApiError::upstream)?;
    let get = |k: &str| {
        v.iter()
            .find(|(n, _)| *n == k)
            .map_or(U256::ZERO, |(_, x)| *x)
            .to_string()
    };
    Ok(Json(Balances {
        address: session.address.to_checksum(None),
        eth: get("eth"),
        token: get("token"),
        market_credit_eth: get("market_credit_eth"),
        block: s.rpc.block_number().await.map_err(ApiError::upstream)?,
    }))
}

/// `POST /api/me/withdraw/prepare` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct PrepareWithdraw {
    /// The token (default: ETH).
    pub token: Option<String>,
    /// Where to (default: the signed-in address).
    pub to: Option<String>,
}

/// The market's `withdraw` transaction for the signed-in account's credits.
#[utoipa::path(post, path = "/api/me/withdraw/prepare", tag = "account", request_body = PrepareWithdraw,
    responses((status = 200, body = UnsignedTx), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_withdraw(
    State(s): State<AppState>,
    session: Session,
    ApiJson(req): ApiJson<PrepareWithdraw>,
) -> ApiResult<Json<UnsignedTx>> {
    let token =
        super::parse_optional_address("token", req.token.as_deref())?.unwrap_or(Address::ZERO);
    let to = super::parse_optional_address("to", req.to.as_deref())?.unwrap_or(session.address);
    let call = IMarket::withdrawCall { token, to };
    let tx = UnsignedTx::market_call(&s, session.address, &call, U256::ZERO).await?;
    Ok(Json(tx))
}

fn sse_event(e: &FeedEvent) -> Event {
    Event::default()
        .id(e.id.to_string())
        .event(e.kind.clone())
        .data(serde_json::json!({"kind": e.kind, "payload": e.payload}).to_string())
}

/// Live updates for the signed-in address (Server-Sent Events): `balance`,
/// `submission`, `review`, `payout`, `dispute`, `licence`, `claim`, `batch`,
/// `job` events, each within one indexed block of the chain event. Send
/// `Last-Event-ID` to resume after a reconnect.
#[utoipa::path(get, path = "/api/live", tag = "account",
    responses((status = 200, description = "text/event-stream", content_type = "text/event-stream"),
        (status = 401, body = crate::error::ErrorBody)))]
pub async fn live(
    State(s): State<AppState>,
    session: Session,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let me = addr_key(session.address);
    let rx = s.live.subscribe();
    let last: Option<i64> = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let mut backlog = Vec::new();
    if let Some(last) = last {
        let rows = sqlx::query("SELECT id, address, kind, payload FROM feed WHERE address = $1 AND id > $2 ORDER BY id LIMIT 1000")
            .bind(&me)
            .bind(last)
            .fetch_all(&s.db.pool)
            .await?;
        for r in rows {
            let payload: String = r.try_get("payload")?;
            backlog.push(FeedEvent {
                id: r.try_get("id")?,
                address: r.try_get("address")?,
                kind: r.try_get("kind")?,
                payload: serde_json::from_str(&payload).unwrap_or_default(),
            });
        }
    }
    s.metrics.live_subscribers.inc();
    let guard = Subscriber(s.clone());
    let stream = futures_util::stream::unfold(
        (rx, backlog.into_iter(), me, guard, last.unwrap_or(0)),
        |(mut rx, mut backlog, me, guard, mut seen)| async move {
            if let Some(e) = backlog.next() {
                seen = seen.max(e.id);
                return Some((Ok(sse_event(&e)), (rx, backlog, me, guard, seen)));
            }
            loop {
                match rx.recv().await {
                    Ok(e) if e.address == me && e.id > seen => {
                        seen = e.id;
                        return Some((Ok(sse_event(&e)), (rx, backlog, me, guard, seen)));
                    }
                    Ok(_) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        let e = Event::default()
                            .event("lagged")
                            .data(format!("{{\"missed\": {n}}}"));
                        return Some((Ok(e), (rx, backlog, me, guard, seen)));
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// Counts a live subscriber while its stream exists.
struct Subscriber(AppState);

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.0.metrics.live_subscribers.dec();
    }
}

/// Reads new feed rows (whoever wrote them: this instance or another) and
/// hands them to this instance's live subscribers.
pub async fn pump(s: AppState) {
    let mut delivered: std::collections::BTreeSet<i64> = std::collections::BTreeSet::new();
    let start: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM feed")
        .fetch_one(&s.db.pool)
        .await
        .unwrap_or(None);
    let mut high = start.unwrap_or(0);
    loop {
        tokio::time::sleep(s.config.poll_interval).await;
        // Re-read a window below the highest id seen: on PostgreSQL a
        // lower id can commit after a higher one.
        let floor = (high - 256).max(start.unwrap_or(0));
        let rows = match sqlx::query(
            "SELECT id, address, kind, payload FROM feed WHERE id > $1 ORDER BY id LIMIT 2000",
        )
        .bind(floor)
        .fetch_all(&s.db.pool)
        .await
        {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "feed poll failed");
                continue;
            }
        };
        for r in rows {
            let (Ok(id), Ok(address), Ok(kind), Ok(payload)) = (
                r.try_get::<i64, _>("id"),
                r.try_get::<String, _>("address"),
                r.try_get::<String, _>("kind"),
                r.try_get::<String, _>("payload"),
            ) else {
                continue;
            };
            if !delivered.insert(id) {
                continue;
            }
            high = high.max(id);
            let _ = s.live.send(FeedEvent {
                id,
                address,
                kind,
                payload: serde_json::from_str(&payload).unwrap_or_default(),
            });
        }
        let keep = high - 512;
        delivered.retain(|&i| i > keep);
    }
}
