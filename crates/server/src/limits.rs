//! Token-bucket rate limits keyed by client IP or signed-in address.
//!
//! A bucket per key in one mutex-guarded map: a few lines instead of a
//! dependency (governor brings a dozen crates for the same arithmetic).
//! The map is swept of full buckets when it grows, so a flood of keys
//! cannot grow it without bound.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::config::Rate;

/// Most keys kept before full buckets are swept.
const SWEEP_AT: usize = 50_000;

/// A keyed token bucket.
#[derive(Debug)]
pub struct Limiter {
    rate: Rate,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Limiter {
    /// A limiter allowing `rate` per key.
    pub fn new(rate: Rate) -> Self {
        Self {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`; when there is none, how long until one.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        if buckets.len() >= SWEEP_AT {
            let (per_sec, burst) = (self.rate.per_sec, self.rate.burst);
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * per_sec < burst
            });
        }
        let (tokens, at) = buckets
            .entry(key.to_string())
            .or_insert((self.rate.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate.per_sec)
            .min(self.rate.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - *tokens) / self.rate.per_sec.max(f64::MIN_POSITIVE);
            Err(Duration::from_secs_f64(wait.min(3600.0)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_is_allowed_then_refused() {
        let l = Limiter::new(Rate {
            per_sec: 0.001,
            burst: 3.0,
        });
        for _ in 0..3 {
            assert!(l.check("a").is_ok());
        }
        assert!(l.check("a").is_err());
        assert!(l.check("b").is_ok(), "keys are independent");
    }
}
