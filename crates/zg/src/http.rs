//! HTTP and JSON-RPC with timeouts and bounded retries.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::{Result, ZgError};

/// Largest JSON-RPC or JSON answer read (a segment with its proof is about
/// 350 KB of base64; ten of them fit).
pub const MAX_JSON_BODY: usize = 8 * 1024 * 1024;

/// Timeout and retry policy of every network call.
#[derive(Clone, Debug)]
pub struct Retry {
    /// Tries per call (at least 1).
    pub attempts: u32,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Wait before the first retry; doubles each time.
    pub backoff: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            attempts: 4,
            timeout: Duration::from_secs(30),
            backoff: Duration::from_millis(500),
        }
    }
}

/// A client bound to one base URL.
#[derive(Clone, Debug)]
pub(crate) struct Http {
    pub(crate) url: String,
    client: reqwest::Client,
    retry: Retry,
}

/// Whether an error is worth retrying (transport, timeout, 5xx, 429).
fn transient(e: &ZgError) -> bool {
    match e {
        ZgError::Unreachable { .. } | ZgError::Timeout { .. } => true,
        ZgError::Status { status, .. } => *status >= 500 || *status == 429,
        _ => false,
    }
}

impl Http {
    pub(crate) fn new(url: &str, retry: Retry) -> Self {
        let client = reqwest::Client::builder()
            .timeout(retry.timeout)
            .build()
            .unwrap_or_default();
        Self {
            url: url.trim_end_matches('/').to_string(),
            client,
            retry,
        }
    }

    /// Runs `once` until it succeeds, fails for good, or attempts run out.
    async fn retrying<T, F, Fut>(&self, mut once: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let attempts = self.retry.attempts.max(1);
        let mut wait = self.retry.backoff;
        let mut tried = 0;
        loop {
            tried += 1;
            match once().await {
                Ok(v) => return Ok(v),
                Err(e) if transient(&e) && tried < attempts => {
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
                Err(e) if tried > 1 && transient(&e) => {
                    return Err(ZgError::Exhausted {
                        attempts: tried,
                        last: Box::new(e),
                    })
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn transport(&self, url: &str, e: &reqwest::Error) -> ZgError {
        if e.is_timeout() {
            ZgError::Timeout {
                url: url.to_string(),
                timeout: self.retry.timeout,
            }
        } else {
            ZgError::Unreachable {
                url: url.to_string(),
                detail: e.to_string(),
            }
        }
    }

    /// One request; the body bytes of a 2xx answer, read chunk by chunk
    /// and refused as soon as they pass `limit` bytes (a declared
    /// `Content-Length` over the limit is refused before reading).
    async fn send(&self, url: &str, body: Option<&Value>, limit: usize) -> Result<Vec<u8>> {
        let request = match body {
            Some(b) => self.client.post(url).json(b),
            None => self.client.get(url),
        };
        let mut response = request.send().await.map_err(|e| self.transport(url, &e))?;
        let status = response.status();
        let too_large = || ZgError::TooLarge {
            url: url.to_string(),
            limit,
        };
        // An error body is only quoted: 4 KiB of it is plenty.
        let limit = if status.is_success() { limit } else { 4096 };
        if response.content_length().is_some_and(|n| n > limit as u64) && status.is_success() {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport(url, &e))?
        {
            if bytes.len() + chunk.len() > limit {
                if !status.is_success() {
                    bytes.extend_from_slice(&chunk[..limit - bytes.len()]);
                    break;
                }
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            return Err(ZgError::Status {
                url: url.to_string(),
                status: status.as_u16(),
                body: String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned(),
            });
        }
        Ok(bytes)
    }

    /// `GET {base}{path}`: raw bytes, at most `limit` of them.
    pub(crate) async fn get_bytes(&self, path: &str, limit: usize) -> Result<Vec<u8>> {
        let url = format!("{}{path}", self.url);
        self.retrying(|| self.send(&url, None, limit)).await
    }

    /// `GET` or `POST` JSON at `{base}{path}`, decoded as `T`.
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Option<Value>,
    ) -> Result<T> {
        let url = format!("{}{path}", self.url);
        let bytes = self
            .retrying(|| self.send(&url, body.as_ref(), MAX_JSON_BODY))
            .await?;
        serde_json::from_slice(&bytes).map_err(|e| ZgError::Decode {
            what: url.clone(),
            detail: e.to_string(),
        })
    }

    /// A JSON-RPC 2.0 call at the base URL.
    pub(crate) async fn rpc<T: DeserializeOwned>(&self, method: &str, params: Value) -> Result<T> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let answer: Value = self.json("", Some(body)).await?;
        if let Some(err) = answer.get("error") {
            return Err(ZgError::Rpc {
                method: method.to_string(),
                code: err.get("code").and_then(Value::as_i64).unwrap_or(0),
                message: err
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("no message")
                    .to_string(),
            });
        }
        let result = answer
            .get("result")
            .cloned()
            .ok_or_else(|| ZgError::Decode {
                what: method.to_string(),
                detail: "neither result nor error".into(),
            })?;
        serde_json::from_value(result).map_err(|e| ZgError::Decode {
            what: method.to_string(),
            detail: e.to_string(),
        })
    }
}
