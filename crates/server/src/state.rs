//! What every handler and worker shares.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use alloy_primitives::Address;
use labelmint_storage::LocalStore;
use serde::Serialize;
use tokio::sync::{broadcast, Notify};

use crate::{config::Config, db::Db, limits::Limiter, metrics::Metrics, rpc::Rpc};

/// One live update for one address.
#[derive(Debug, Clone, Serialize)]
pub struct FeedEvent {
    /// Its row id (monotonic; the SSE event id).
    pub id: i64,
    /// Who it is for (lowercase hex).
    pub address: String,
    /// `balance`, `submission`, `review`, `payout`, `dispute`, `licence`, `claim`.
    pub kind: String,
    /// What happened.
    pub payload: serde_json::Value,
}

/// Pausing and waking the relayer.
#[derive(Debug, Default)]
pub struct RelayerControl {
    paused: AtomicBool,
    /// Woken when a submission is accepted or the relayer is resumed.
    pub wake: Notify,
}

impl RelayerControl {
    /// Whether the relayer is paused.
    pub fn paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    /// Pauses (`true`) or resumes (`false`) the relayer.
    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::SeqCst);
        if !paused {
            self.wake.notify_waiters();
        }
    }
}

/// The shared state.
#[derive(Debug)]
pub struct Inner {
    /// The configuration.
    pub config: Config,
    /// The database.
    pub db: Db,
    /// The chain.
    pub rpc: Rpc,
    /// The content store.
    pub store: LocalStore,
    /// Per-IP limits.
    pub ip_limiter: Limiter,
    /// Per-address limits.
    pub address_limiter: Limiter,
    /// Metrics.
    pub metrics: Metrics,
    /// Live updates of this instance's subscribers.
    pub live: broadcast::Sender<FeedEvent>,
    /// The relayer's switch.
    pub relayer: RelayerControl,
    /// The relayer's account, when relaying is configured.
    pub relayer_address: Option<Address>,
    /// The fine-tuning provider, when `broker_url` is configured.
    pub broker: Option<labelmint_zg::finetune::Broker>,
}

/// A cheap handle on [`Inner`].
#[derive(Debug, Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// An address as stored and compared: lowercase 0x-hex.
pub fn addr_key(a: Address) -> String {
    format!("{a:#x}")
}
