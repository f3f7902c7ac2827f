//! Interface discipline: every route in the OpenAPI document, JSON errors
//! with the right status for bad input, body limits, rate limits, CORS
//! closed by default, metrics.

mod common;

use std::time::Duration;

use common::{Env, ANN_A};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::too_many_lines)]
async fn every_route_is_documented_and_bad_input_gets_json_4xx() {
    let env = Env::new("iface", |c| {
        c.json_limit = 4096;
    })
    .await;
    let (st, doc) = env.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(st, StatusCode::OK);
    let paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for p in [
        "/api/auth/nonce",
        "/api/auth/verify",
        "/api/auth/logout",
        "/api/auth/me",
        "/api/jobs",
        "/api/jobs/{id}",
        "/api/jobs/{id}/tasks",
        "/api/jobs/{id}/batches/prepare",
        "/api/data/{root}",
        "/api/submissions",
        "/api/submissions/{id}",
        "/api/submissions/{id}/retry",
        "/api/me/submissions",
        "/api/uploads",
        "/api/jobs/prepare",
        "/api/jobs/{id}/review-queue",
        "/api/jobs/{id}/review/prepare",
        "/api/jobs/{id}/dispute/prepare",
        "/api/jobs/{id}/settle/prepare",
        "/api/jobs/{id}/cancel/prepare",
        "/api/jobs/{id}/audit",
        "/api/jobs/{id}/events",
        "/api/datasets",
        "/api/datasets/{id}",
        "/api/packages",
        "/api/datasets/prepare",
        "/api/datasets/{id}/purchase/prepare",
        "/api/datasets/{id}/download",
        "/api/me/balances",
        "/api/me/withdraw/prepare",
        "/api/me/royalties",
        "/api/royalties/withdraw/prepare",
        "/api/me/registry-credit/withdraw/prepare",
        "/api/hub/jobs/{id}/package",
        "/api/live",
        "/api/config",
        "/api/dev/accounts",
        "/healthz",
        "/metrics",
        "/openapi.json",
    ] {
        assert!(paths.contains(&p), "{p} missing from /openapi.json");
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());

    let token = env.sign_in(ANN_A).await;
    let post = |path: &'static str, body: String, ct: &'static str| {
        let req = env
            .http
            .post(format!("{}{path}", env.url()))
            .bearer_auth(&token)
            .header("content-type", ct)
            .body(body);
        async move {
            let r = req.send().await.unwrap();
            let st = r.status();
            (st, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    // Malformed JSON.
    let (st, v) = post("/api/submissions", "{not json".into(), "application/json").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(v["code"], "malformed_json");
    // Well-formed, wrong shape.
    let (st, v) = post(
        "/api/submissions",
        "{\"job_id\": \"x\"}".into(),
        "application/json",
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["code"], "invalid_body");
    // Oversized.
    let (st, v) = post(
        "/api/submissions",
        format!("{{\"pad\": \"{}\"}}", "x".repeat(10_000)),
        "application/json",
    )
    .await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(v["code"], "body_too_large");
    // Unknown job.
    let (st, v) = env.call(Method::GET, "/api/jobs/999999", None, None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(v["code"], "not_found");
    // A bad path parameter.
    let (st, v) = env.call(Method::GET, "/api/jobs/abc", None, None).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(v["code"], "bad_path");
    // Unknown route.
    let (st, v) = env.call(Method::GET, "/api/nothing", None, None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(v["code"], "not_found");
    // A signed batch for an unknown job.
    let (st, v) = env
        .call(
            Method::POST,
            "/api/submissions",
            Some(&token),
            Some(json!({"job_id": 424_242, "task_ids": [0], "payload": "0x00", "nonce": "1", "deadline": 9_999_999_999u64, "signature": "0x00"})),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
    // Public data only: a root nobody published.
    let (st, v) = env
        .call(
            Method::GET,
            &format!("/api/data/{}", alloy_primitives::B256::repeat_byte(1)),
            None,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
    let (st, v) = env.call(Method::GET, "/api/data/xyz", None, None).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(v["code"], "bad_root");

    // CORS is closed: no allow-origin header for a foreign origin.
    let r = env
        .http
        .get(format!("{}/api/config", env.url()))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());

    // Metrics.
    let text = env
        .http
        .get(format!("{}/metrics", env.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("labelmint_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/api/jobs/{id}\""), "{text}");

    // Health.
    let (st, v) = env.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["status"], "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_answer_429_and_cors_opens_only_to_configured_origins() {
    let env = Env::new("limits", |c| {
        c.ip_rate.per_sec = 0.01;
        c.ip_rate.burst = 5.0;
        c.cors_origins = vec!["http://localhost:5173".into()];
    })
    .await;
    let r = env
        .http
        .get(format!("{}/api/config", env.url()))
        .header("origin", "http://localhost:5173")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let (st, v) = env.call(Method::GET, "/api/config", None, None).await;
        if st == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(v["code"], "rate_limited");
        }
        statuses.push(st);
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let _ = Duration::ZERO;
}
