//! The endpoints the other suites do not walk through: the dev wallet's
//! accounts, a multipart folder upload, settling a rejection after its
//! dispute window, cancelling a job, a withdrawal with nothing owed, an
//! unknown dataset.

mod common;

use common::{create_job, sample_texts, submit_batch, Env, ANN_A, CREATOR};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::too_many_lines)]
async fn settle_cancel_withdraw_multipart_and_dev_accounts_work_over_http() {
    let env = Env::new("endpoints", |c| c.dev = true).await;
    let creator = env.sign_in(CREATOR).await;
    let a = env.sign_in(ANN_A).await;

    // The dev wallet's accounts exist with --dev, labelled by role.
    let (st, accounts) = env.call(Method::GET, "/api/dev/accounts", None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(accounts[1]["role"], "creator");
    assert_eq!(accounts[2]["role"], "annotator");
    let (_, config) = env.call(Method::GET, "/api/config", None, None).await;
    assert_eq!(config["dev"], true);
    assert_eq!(config["chain_id"], env.server.state.rpc.chain_id);

    // A folder uploaded as multipart, one part per file, paths kept.
    let boundary = "labelmint-test-boundary";
    let mut body = Vec::new();
    for (name, bytes) in sample_texts().into_iter().take(3) {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"reviews/{name}\"\r\nContent-Type: text/plain\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(&bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let resp = env
        .http
        .post(format!("{}/api/uploads", env.url()))
        .bearer_auth(&creator)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let up: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(up["tasks"], 3);
    assert_eq!(up["kind"], "text");
    assert!(up["items"][0]["path"]
        .as_str()
        .unwrap()
        .starts_with("reviews/"));
    let root = up["data_root"].as_str().unwrap().to_string();

    // A rejection nobody disputes is settled after the dispute window: the
    // task is free again.
    let job = create_job(&env, &creator, &root, "categorical", &["n", "p"], json!({})).await;
    let (st, acc) = submit_batch(
        &env.http,
        &env.url(),
        &a,
        env.key(ANN_A),
        job,
        &[0, 1],
        json!([1, 1]),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{acc}");
    assert_eq!(
        env.wait_final(&a, acc["id"].as_i64().unwrap()).await["status"],
        "mined"
    );
    let queue = common::wait_for("batch indexed", || async {
        let (_, q) = env
            .call(
                Method::GET,
                &format!("/api/jobs/{job}/review-queue"),
                None,
                None,
            )
            .await;
        (q.as_array().map_or(0, Vec::len) == 1).then_some(q)
    })
    .await;
    let batch = queue[0]["batch_id"].clone();
    let (_, review) = env
        .call(
            Method::POST,
            &format!("/api/jobs/{job}/review/prepare"),
            Some(&creator),
            Some(json!({"batches": [{"batch_id": batch, "verdicts": [0, 3]}]})),
        )
        .await;
    env.send_prepared(CREATOR, &review).await;
    common::wait_for("review indexed", || async {
        let (_, t) = env
            .call(Method::GET, &format!("/api/jobs/{job}/tasks"), None, None)
            .await;
        (t[1]["state"] == "rejected").then_some(())
    })
    .await;
    // Too early: the chain refuses by name.
    let (st, v) = env
        .call(
            Method::POST,
            &format!("/api/jobs/{job}/settle/prepare"),
            Some(&a),
            Some(json!({"batch_ids": [batch]})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("DisputeOpen"),
        "{v}"
    );
    env.rpc("evm_increaseTime", json!([3 * 24 * 3600])).await;
    env.rpc("evm_mine", json!([])).await;
    let (st, settle) = env
        .call(
            Method::POST,
            &format!("/api/jobs/{job}/settle/prepare"),
            Some(&a),
            Some(json!({"batch_ids": [batch]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{settle}");
    env.send_prepared(ANN_A, &settle).await;
    common::wait_for("settlement indexed", || async {
        let (_, t) = env
            .call(Method::GET, &format!("/api/jobs/{job}/tasks"), None, None)
            .await;
        (t[1]["state"] == "free").then_some(())
    })
    .await;

    // Cancelling refunds the open tasks; the job shows as cancelled.
    let (st, cancel) = env
        .call(
            Method::POST,
            &format!("/api/jobs/{job}/cancel/prepare"),
            Some(&creator),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{cancel}");
    env.send_prepared(CREATOR, &cancel).await;
    common::wait_for("cancellation indexed", || async {
        let (_, j) = env
            .call(Method::GET, &format!("/api/jobs/{job}"), None, None)
            .await;
        (j["status"] == "cancelled").then_some(())
    })
    .await;
    let (_, open) = env.call(Method::GET, "/api/jobs", None, None).await;
    assert!(open.as_array().unwrap().iter().all(|j| j["id"] != job));
    let (_, all) = env
        .call(Method::GET, "/api/jobs?status=all", None, None)
        .await;
    assert!(all.as_array().unwrap().iter().any(|j| j["id"] == job));

    // Nothing owed: the withdrawal would revert, and says why.
    let (st, v) = env
        .call(
            Method::POST,
            "/api/me/withdraw/prepare",
            Some(&a),
            Some(json!({})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("NothingToWithdraw"),
        "{v}"
    );

    // Unknown dataset.
    let (st, v) = env.call(Method::GET, "/api/datasets/77", None, None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(v["code"], "not_found");
}
