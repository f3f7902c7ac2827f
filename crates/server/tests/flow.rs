//! A whole job over HTTP: upload, creation, two annotators' signed batches
//! relayed gaslessly, the review queue with decoded labels, a review that
//! pays and rejects, live updates, the audit; and a batch the chain
//! refuses, reported with its revert name and transaction hash.

mod common;

use std::time::Duration;

use alloy_primitives::U256;
use common::{
    create_job, sample_images, sample_texts, submit_batch, upload, Env, ANN_A, ANN_B, CREATOR,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn bbox(category: u32, x: f64, y: f64, w: f64, h: f64) -> Value {
    json!({"shapes": [{"category": category, "shape": {"bbox": [x, y, w, h]}}]})
}

/// Reads SSE `data:` payloads from `resp` until one satisfies `pred`.
async fn sse_until(mut resp: reqwest::Response, pred: impl Fn(&Value) -> bool) -> Value {
    let mut buf = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_mins(2);
    loop {
        let chunk = tokio::time::timeout_at(deadline, resp.chunk())
            .await
            .expect("live event arrives")
            .unwrap()
            .expect("stream open");
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let frame = buf[..end].to_string();
            buf = buf[end + 2..].to_string();
            for line in frame.lines() {
                if let Some(data) = line.strip_prefix("data:") {
                    if let Ok(v) = serde_json::from_str::<Value>(data.trim()) {
                        if pred(&v) {
                            return v;
                        }
                    }
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::too_many_lines)]
async fn full_job_from_upload_to_payout_with_two_annotators_and_relayed_batches() {
    let env = Env::new("flow", |_| {}).await;
    let creator = env.sign_in(CREATOR).await;
    let a = env.sign_in(ANN_A).await;
    let b = env.sign_in(ANN_B).await;

    // Upload a folder of images as a ZIP: manifest and data root.
    let root = upload(&env, &creator, &sample_images()).await;
    let job = create_job(
        &env,
        &creator,
        &root,
        "bbox",
        &["square", "circle"],
        json!({}),
    )
    .await;
    let (_, detail) = env
        .call(Method::GET, &format!("/api/jobs/{job}"), None, None)
        .await;
    assert_eq!(detail["schema"], "bbox");
    assert_eq!(detail["status"], "open");
    assert_eq!(detail["task_count"], 6);
    assert_eq!(detail["metadata"]["classes"], json!(["square", "circle"]));
    let (_, open) = env
        .call(Method::GET, "/api/jobs?status=open&schema=bbox", None, None)
        .await;
    assert!(open.as_array().unwrap().iter().any(|j| j["id"] == job));

    // Tasks come with their data, verified by root.
    let (st, tasks) = env
        .call(Method::GET, &format!("/api/jobs/{job}/tasks"), None, None)
        .await;
    assert_eq!(st, StatusCode::OK);
    let tasks = tasks.as_array().unwrap().clone();
    assert_eq!(tasks.len(), 6);
    let img = env
        .http
        .get(format!(
            "{}{}",
            env.url(),
            tasks[0]["url"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(img.headers()["content-type"], "image/png");
    let bytes = img.bytes().await.unwrap();
    assert_eq!(
        format!("{:#x}", labelmint_storage::root_of_bytes(&bytes).unwrap()),
        tasks[0]["root"].as_str().unwrap()
    );

    // Live updates for annotator A.
    let live_a = env
        .http
        .get(format!("{}/api/live", env.url()))
        .bearer_auth(&a)
        .send()
        .await
        .unwrap();
    assert_eq!(live_a.status(), StatusCode::OK);

    // Two annotators sign one batch each; the relayer sends both.
    let (st, acc_a) = submit_batch(
        &env.http,
        &env.url(),
        &a,
        env.key(ANN_A),
        job,
        &[0, 1],
        json!([
            bbox(0, 10.0, 12.0, 30.0, 28.0),
            bbox(1, 10.0, 10.0, 28.0, 28.0)
        ]),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{acc_a}");
    let (st, acc_b) = submit_batch(
        &env.http,
        &env.url(),
        &b,
        env.key(ANN_B),
        job,
        &[2, 3],
        json!([
            bbox(0, 30.0, 6.0, 22.0, 22.0),
            bbox(1, 6.0, 18.0, 24.0, 24.0)
        ]),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{acc_b}");
    let sa = env.wait_final(&a, acc_a["id"].as_i64().unwrap()).await;
    let sb = env.wait_final(&b, acc_b["id"].as_i64().unwrap()).await;
    assert_eq!(sa["status"], "mined", "{sa}");
    assert_eq!(sb["status"], "mined", "{sb}");
    assert!(sa["tx_hash"].as_str().unwrap().starts_with("0x"));
    // The annotators paid no gas: their ETH is untouched by the relay.
    let ev = sse_until(live_a, |v| {
        v["kind"] == "submission" && v["payload"]["status"] == "mined"
    })
    .await;
    assert_eq!(ev["payload"]["id"], acc_a["id"]);

    // Resubmitting the same signed batch is idempotent (same id, no second send).
    let (_, mine) = env
        .call(Method::GET, "/api/me/submissions", Some(&a), None)
        .await;
    assert_eq!(mine.as_array().unwrap().len(), 1);

    // The review queue decodes both batches' boxes, verified against the chain.
    let queue = common::wait_for("both batches indexed", || async {
        let (_, q) = env
            .call(
                Method::GET,
                &format!("/api/jobs/{job}/review-queue"),
                None,
                None,
            )
            .await;
        (q.as_array().map_or(0, Vec::len) == 2).then_some(q)
    })
    .await;
    for q in queue.as_array().unwrap() {
        assert_eq!(q["verified"], true, "{q}");
        assert!(
            q["labels"][0]["label"]["shapes"][0]["shape"]["bbox"].is_array(),
            "{q}"
        );
        assert!(q["consensus"].is_null());
    }
    let batch_of = |who: &Value| {
        queue
            .as_array()
            .unwrap()
            .iter()
            .find(|q| {
                q["annotator"]
                    .as_str()
                    .unwrap()
                    .eq_ignore_ascii_case(who.as_str().unwrap())
            })
            .unwrap()["batch_id"]
            .clone()
    };
    let batch_a = batch_of(&json!(env.address(ANN_A).to_string()));
    let batch_b = batch_of(&json!(env.address(ANN_B).to_string()));

    // Balances before the review.
    let (_, before_a) = env
        .call(Method::GET, "/api/me/balances", Some(&a), None)
        .await;
    let live_a = env
        .http
        .get(format!("{}/api/live", env.url()))
        .bearer_auth(&a)
        .send()
        .await
        .unwrap();
    let live_creator = env
        .http
        .get(format!("{}/api/live", env.url()))
        .bearer_auth(&creator)
        .send()
        .await
        .unwrap();

    // The creator approves A's batch and rejects B's second task (reason 2),
    // depositing the arbiter's fee for the rejecting batch.
    let (st, review) = env
        .call(Method::POST, &format!("/api/jobs/{job}/review/prepare"), Some(&creator),
            Some(json!({"batches": [{"batch_id": batch_a}, {"batch_id": batch_b, "verdicts": [0, 2]}]})))
        .await;
    assert_eq!(st, StatusCode::OK, "{review}");
    assert_eq!(review["value"], detail["arbiter_fee"]);
    env.send_prepared(CREATOR, &review).await;

    // A is paid 2 × reward at once, and hears it live.
    let ev = sse_until(live_a, |v| v["kind"] == "balance").await;
    let reward = U256::from(1_000_000_000_000_000u64);
    let before: U256 = before_a["eth"].as_str().unwrap().parse().unwrap();
    let after: U256 = ev["payload"]["eth"].as_str().unwrap().parse().unwrap();
    assert_eq!(after - before, reward * U256::from(2));
    let (_, after_a) = env
        .call(Method::GET, "/api/me/balances", Some(&a), None)
        .await;
    assert_eq!(after_a["eth"], ev["payload"]["eth"]);
    // The creator hears of its own review live too (its open pages refresh).
    let ev = sse_until(live_creator, |v| v["kind"] == "review").await;
    assert_eq!(ev["payload"]["event"], "BatchReviewed");

    // Task states follow the chain.
    let tasks = common::wait_for("review indexed", || async {
        let (_, t) = env
            .call(Method::GET, &format!("/api/jobs/{job}/tasks"), None, None)
            .await;
        (t[3]["state"] == "rejected").then_some(t)
    })
    .await;
    assert_eq!(tasks[0]["state"], "approved");
    assert_eq!(tasks[2]["state"], "approved");
    assert_eq!(tasks[4]["state"], "free");
    let (_, q) = env
        .call(
            Method::GET,
            &format!("/api/jobs/{job}/review-queue"),
            None,
            None,
        )
        .await;
    assert_eq!(q.as_array().unwrap().len(), 0);

    // B may dispute the rejection: the prepared transaction bonds the job's bond.
    let (st, dispute) = env
        .call(
            Method::POST,
            &format!("/api/jobs/{job}/dispute/prepare"),
            Some(&b),
            Some(json!({"batch_id": batch_b})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{dispute}");
    assert_eq!(dispute["value"], detail["dispute_bond"]);
    assert!(dispute["function"]
        .as_str()
        .unwrap()
        .starts_with("disputeRejection"));

    // The audit and the event trail.
    let (st, report) = env
        .call(Method::GET, &format!("/api/jobs/{job}/audit"), None, None)
        .await;
    assert_eq!(st, StatusCode::OK, "{report}");
    assert_eq!(report["batches"], 2);
    assert_eq!(report["verified_batches"], 2);
    let (_, events) = env
        .call(Method::GET, &format!("/api/jobs/{job}/events"), None, None)
        .await;
    let names: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"JobCreated")
            && names.contains(&"LabelsSubmitted")
            && names.contains(&"BatchReviewed"),
        "{names:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_batches_carry_the_revert_name_and_the_transaction_hash() {
    let env = Env::new("revert", |c| c.relayer_paused = true).await;
    let creator = env.sign_in(CREATOR).await;
    let a = env.sign_in(ANN_A).await;
    let b = env.sign_in(ANN_B).await;
    let root = upload(&env, &creator, &sample_texts()).await;
    let job = create_job(
        &env,
        &creator,
        &root,
        "categorical",
        &["negative", "positive"],
        json!({}),
    )
    .await;

    // A task out of range: refused at once, with the revert's name.
    let (st, v) = submit_batch(
        &env.http,
        &env.url(),
        &a,
        env.key(ANN_A),
        job,
        &[99],
        json!([1]),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["code"], "would_revert");
    assert!(
        v["message"].as_str().unwrap().contains("TaskOutOfRange"),
        "{v}"
    );
    // A label outside the classes: refused before signing.
    let (st, v) = env
        .call(
            Method::POST,
            &format!("/api/jobs/{job}/batches/prepare"),
            Some(&a),
            Some(json!({"task_ids": [0], "labels": [7]})),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(v["code"], "bad_labels");

    // Two annotators sign the same free task while the relayer is paused:
    // both simulate fine and are accepted; the chain takes the first.
    let (st, first) = submit_batch(
        &env.http,
        &env.url(),
        &a,
        env.key(ANN_A),
        job,
        &[2],
        json!([1]),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{first}");
    let (st, second) = submit_batch(
        &env.http,
        &env.url(),
        &b,
        env.key(ANN_B),
        job,
        &[2],
        json!([0]),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{second}");
    env.server.state.relayer.set_paused(false);
    let first = env.wait_final(&a, first["id"].as_i64().unwrap()).await;
    let second = env.wait_final(&b, second["id"].as_i64().unwrap()).await;
    assert_eq!(first["status"], "mined", "{first}");
    assert_eq!(second["status"], "failed", "{second}");
    assert_eq!(second["error_code"], "TaskTaken", "{second}");
    let hash = second["tx_hash"]
        .as_str()
        .expect("the reverted transaction's hash");
    let receipt = env.rpc("eth_getTransactionReceipt", json!([hash])).await;
    assert_eq!(
        receipt["status"], "0x0",
        "the failure was mined as a revert"
    );

    // Retrying cannot succeed while the task is taken: 422 with the name.
    let (st, v) = env
        .call(
            Method::POST,
            &format!("/api/submissions/{}/retry", second["id"]),
            Some(&b),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["message"].as_str().unwrap().contains("TaskTaken"), "{v}");
    // Someone else's submission is not visible.
    let (st, _) = env
        .call(
            Method::GET,
            &format!("/api/submissions/{}", first["id"]),
            Some(&b),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

/// Difficulty classes through the API: the prepared transaction is
/// `createWeightedJob` escrowing `reward × units`, the indexed job holds
/// that escrow and its description keeps the classes, the market weighs
/// the tasks as asked; bad classes and a token escrow are refused by name.
#[tokio::test(flavor = "multi_thread")]
async fn a_weighted_review_job_escrows_by_units_and_the_market_weighs_its_tasks() {
    use alloy_sol_types::SolCall as _;
    let env = Env::new("weighted", |_| {}).await;
    let creator = env.sign_in(CREATOR).await;
    let texts = sample_texts();
    let n = texts.len() as u32;
    let root = upload(&env, &creator, &texts).await;
    let body = |difficulty: Value, token: Option<String>| {
        json!({"data_root": root, "reward_per_task": "1000", "schema": "categorical",
            "classes": ["a", "b"], "title": "weighted", "difficulty": difficulty, "token": token})
    };
    // The last class must end at the task count; weights are at least 1.
    for bad in [
        json!([{"end": n - 1, "weight": 1}]),
        json!([{"end": 1, "weight": 0}, {"end": n, "weight": 1}]),
        json!([]),
    ] {
        let (st, v) = env
            .call(
                Method::POST,
                "/api/jobs/prepare",
                Some(&creator),
                Some(body(bad, None)),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], "invalid_parameter");
        assert!(
            v["message"].as_str().unwrap().starts_with("difficulty"),
            "{v}"
        );
    }
    let classes = json!([{"end": n - 2, "weight": 1}, {"end": n, "weight": 4}]);
    let token = format!("{:#x}", env.chain.contracts.token);
    let (st, v) = env
        .call(
            Method::POST,
            "/api/jobs/prepare",
            Some(&creator),
            Some(body(classes.clone(), Some(token))),
        )
        .await;
    assert_eq!(
        (st, v["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_token"))
    );
    let (st, prepared) = env
        .call(
            Method::POST,
            "/api/jobs/prepare",
            Some(&creator),
            Some(body(classes.clone(), None)),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{prepared}");
    let units = u64::from(n - 2) + 2 * 4;
    assert_eq!(prepared["units"], units);
    assert_eq!(prepared["escrow"], (1000 * units).to_string());
    let data = prepared["tx"]["data"].as_str().unwrap();
    assert!(
        data.starts_with(&format!(
            "0x{}",
            alloy_primitives::hex::encode(
                labelmint_client::market::IMarket::createWeightedJobCall::SELECTOR
            )
        )),
        "{data}"
    );
    let receipt = env.send_prepared(CREATOR, &prepared["tx"]).await;
    let id = common::market_job_of(&receipt);
    env.wait_job(id).await;
    let (st, job) = env
        .call(Method::GET, &format!("/api/jobs/{id}"), None, None)
        .await;
    assert_eq!(st, StatusCode::OK, "{job}");
    assert_eq!(job["escrow"], (1000 * units).to_string());
    assert_eq!(job["metadata"]["difficulty"], classes);
    // The market weighs the last two tasks 4, the others 1.
    for (t, want) in [(0, 1u8), (n - 3, 1), (n - 2, 4), (n - 1, 4)] {
        let data = labelmint_client::market::IMarket::taskWeightCall {
            jobId: U256::from(id),
            taskId: t,
        }
        .abi_encode();
        let out = env
            .rpc(
                "eth_call",
                json!([{"to": format!("{:#x}", env.chain.contracts.market),
                    "data": format!("0x{}", alloy_primitives::hex::encode(data))}, "latest"]),
            )
            .await;
        let word: U256 = out.as_str().unwrap().parse().unwrap();
        assert_eq!(word, U256::from(want), "task {t}");
    }
}
