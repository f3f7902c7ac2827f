//! Prometheus metrics, served at `/metrics` in the text exposition format.

use prometheus_client::{
    encoding::{text::encode, EncodeLabelSet},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{exponential_buckets, Histogram},
    },
    registry::Registry,
};

/// Labels of an HTTP request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    /// Method.
    pub method: String,
    /// Matched route (`/api/jobs/{id}`), never the raw path.
    pub route: String,
    /// Status code.
    pub status: u16,
}

/// Labels of a submission outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// `accepted`, `mined`, `failed`, `refused`.
    pub outcome: String,
}

/// Every metric the server exports.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Requests by method, route and status.
    pub http_requests: Family<HttpLabels, Counter>,
    /// Request latency in seconds, by route.
    pub http_seconds: Family<HttpLabels, Histogram>,
    /// Submissions by outcome.
    pub submissions: Family<OutcomeLabels, Counter>,
    /// Seconds from accept to mined.
    pub relay_seconds: Histogram,
    /// Transactions the relayer broadcast.
    pub relayed_txs: Counter,
    /// The last block the indexer stored.
    pub indexed_block: Gauge,
    /// Reorgs the indexer rewound.
    pub reorgs: Counter,
    /// Live-update subscribers.
    pub live_subscribers: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("labelmint");
        let http_requests = Family::<HttpLabels, Counter>::default();
        let http_seconds = Family::<HttpLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.000_5, 2.0, 16))
        });
        let submissions = Family::<OutcomeLabels, Counter>::default();
        let relay_seconds = Histogram::new(exponential_buckets(0.005, 2.0, 16));
        let relayed_txs = Counter::default();
        let indexed_block = Gauge::default();
        let reorgs = Counter::default();
        let live_subscribers = Gauge::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            http_requests.clone(),
        );
        registry.register(
            "http_request_seconds",
            "HTTP request latency",
            http_seconds.clone(),
        );
        registry.register(
            "submissions",
            "Signed batches by outcome",
            submissions.clone(),
        );
        registry.register(
            "relay_seconds",
            "Seconds from accepting a signed batch to its receipt",
            relay_seconds.clone(),
        );
        registry.register(
            "relayed_transactions",
            "Transactions the relayer broadcast",
            relayed_txs.clone(),
        );
        registry.register(
            "indexed_block",
            "Last block the indexer stored",
            indexed_block.clone(),
        );
        registry.register("reorgs", "Reorgs rewound by the indexer", reorgs.clone());
        registry.register(
            "live_subscribers",
            "Open live-update streams",
            live_subscribers.clone(),
        );
        Self {
            registry,
            http_requests,
            http_seconds,
            submissions,
            relay_seconds,
            relayed_txs,
            indexed_block,
            reorgs,
            live_subscribers,
        }
    }

    /// Counts a submission outcome.
    pub fn outcome(&self, outcome: &str) {
        self.submissions
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_string(),
            })
            .inc();
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
