//! Buying and downloading over HTTP: a settled job's dataset published, an
//! unlicensed download refused, a licence bought, the download verified
//! against the registry's root.

mod common;

use common::{create_job, sample_texts, submit_batch, upload, Env, ANN_A, BUYER, CREATOR};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::too_many_lines)]
async fn licensed_download_is_verified_and_unlicensed_download_is_refused() {
    let env = Env::new("datasets", |_| {}).await;
    let creator = env.sign_in(CREATOR).await;
    let a = env.sign_in(ANN_A).await;
    let buyer = env.sign_in(BUYER).await;

    // A two-task text job, labelled by A and approved: settled.
    let texts: Vec<_> = sample_texts().into_iter().take(2).collect();
    let root = upload(&env, &creator, &texts).await;
    let job = create_job(
        &env,
        &creator,
        &root,
        "categorical",
        &["negative", "positive"],
        json!({}),
    )
    .await;
    let (st, acc) = submit_batch(
        &env.http,
        &env.url(),
        &a,
        env.key(ANN_A),
        job,
        &[0, 1],
        json!([1, 0]),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{acc}");
    let s = env.wait_final(&a, acc["id"].as_i64().unwrap()).await;
    assert_eq!(s["status"], "mined", "{s}");
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
    assert_eq!(queue[0]["labels"][0]["label"]["name"], "positive");
    let (st, review) = env
        .call(
            Method::POST,
            &format!("/api/jobs/{job}/review/prepare"),
            Some(&creator),
            Some(json!({"batches": [{"batch_id": queue[0]["batch_id"]}]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{review}");
    env.send_prepared(CREATOR, &review).await;
    common::wait_for("job completed", || async {
        let (_, j) = env
            .call(Method::GET, &format!("/api/jobs/{job}"), None, None)
            .await;
        (j["status"] == "completed").then_some(())
    })
    .await;

    // The creator stores the package and publishes it.
    let package =
        b"{\"instruction\":\"classify\",\"input\":\"great work\",\"output\":\"positive\"}\n"
            .to_vec();
    let package_root = common::store_package(&env, &creator, package.clone()).await;
    // The package is not public data.
    let (st, _) = env
        .call(
            Method::GET,
            &format!("/api/data/{package_root}"),
            None,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, publish) = env
        .call(Method::POST, "/api/datasets/prepare", Some(&creator),
            Some(json!({"root": package_root, "job_id": job, "format": "jsonl-instruction", "price": "5000000000000000"})))
        .await;
    assert_eq!(st, StatusCode::OK, "{publish}");
    env.send_prepared(CREATOR, &publish).await;
    let datasets = common::wait_for("dataset indexed", || async {
        let (_, d) = env.call(Method::GET, "/api/datasets", None, None).await;
        (d.as_array().map_or(0, Vec::len) == 1).then_some(d)
    })
    .await;
    let d = &datasets[0];
    let id = d["id"].as_i64().unwrap();
    assert_eq!(d["root_hash"], package_root.as_str());
    assert_eq!(d["format"], "jsonl-instruction");
    assert_eq!(d["provenance"]["source_job_id"], job);
    assert_eq!(d["provenance"]["mode"], "review");
    assert_eq!(d["provenance"]["annotators"], 1);
    assert_eq!(d["provenance"]["data_root"], root.as_str());
    assert_eq!(d["available"], true);

    // No licence: refused.
    let (st, v) = env
        .call(
            Method::GET,
            &format!("/api/datasets/{id}/download"),
            Some(&buyer),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["code"], "no_licence");
    let (st, _) = env
        .call(
            Method::GET,
            &format!("/api/datasets/{id}/download"),
            None,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);

    // Buy, then download: the bytes hash to the registry's root.
    let (st, purchase) = env
        .call(
            Method::POST,
            &format!("/api/datasets/{id}/purchase/prepare"),
            Some(&buyer),
            Some(json!({})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{purchase}");
    assert_eq!(purchase["value"], "5000000000000000");
    env.send_prepared(BUYER, &purchase).await;
    let resp = env
        .http
        .get(format!("{}/api/datasets/{id}/download", env.url()))
        .bearer_auth(&buyer)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(bytes.as_ref(), package.as_slice());
    assert_eq!(
        format!("{:#x}", labelmint_storage::root_of_bytes(&bytes).unwrap()),
        package_root
    );
    // Buying twice would revert: the simulation says so by name.
    let (st, v) = env
        .call(
            Method::POST,
            &format!("/api/datasets/{id}/purchase/prepare"),
            Some(&buyer),
            Some(json!({})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("AlreadyLicensed"),
        "{v}"
    );
}

/// Attack: a stranger who knows a sold dataset's package root (it is on
/// chain) stores a made-up task manifest naming that root as a task item
/// and creates a cheap job over it, so that the indexer would publish the
/// manifest's items as public data and `/api/data` would hand out the
/// package without a licence. The package stays licensed-only, and so does
/// the made-up manifest (stored as a package).
#[tokio::test(flavor = "multi_thread")]
async fn a_made_up_manifest_naming_a_sold_package_does_not_make_it_public() {
    let env = Env::new("fake-manifest", |_| {}).await;
    let creator = env.sign_in(CREATOR).await;
    let a = env.sign_in(ANN_A).await;
    let (_, package_root) = common::publish_text_dataset(&env, &creator, &a, "1000", None).await;
    let data = |root: String| {
        let env = &env;
        async move {
            env.call(Method::GET, &format!("/api/data/{root}"), None, None)
                .await
        }
    };
    assert_eq!(data(package_root.clone()).await.0, StatusCode::NOT_FOUND);

    // The attacker takes a real upload's manifest and swaps in the root.
    let attacker = env.sign_in(common::ANN_B).await;
    let texts: Vec<_> = sample_texts().into_iter().take(1).collect();
    let real = upload(&env, &attacker, &texts).await;
    let (st, mut manifest) = data(real).await;
    assert_eq!(st, StatusCode::OK, "{manifest}");
    manifest["tasks"][0]["root"] = json!(package_root);
    let fake = common::store_package(&env, &attacker, serde_json::to_vec(&manifest).unwrap()).await;
    let (st, prepared) = env
        .call(
            Method::POST,
            "/api/jobs/prepare",
            Some(&attacker),
            Some(
                json!({"data_root": fake, "reward_per_task": "1", "schema": "categorical",
                "classes": ["a", "b"], "title": "cheap"}),
            ),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{prepared}");
    let receipt = env.send_prepared(common::ANN_B, &prepared["tx"]).await;
    env.wait_job(common::market_job_of(&receipt)).await;
    // The job is indexed, and publishes nothing private.
    let (st, body) = data(package_root.clone()).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "the sold package leaked: {body}");
    assert_eq!(data(fake).await.0, StatusCode::NOT_FOUND);
}
