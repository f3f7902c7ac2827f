//! What the web workspace adds to the server: its assets at `/` under a
//! same-origin policy, the claim and release transactions, the dataset
//! package built from approved labels, and the `--dev`-only JSON-RPC relay
//! and relayer switch.

mod common;

use std::io::Read;

use common::{create_job, sample_texts, submit_batch, upload, Env, ANN_A, ANN_B, CREATOR};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
async fn workspace_is_served_from_the_binary_under_a_same_origin_policy() {
    let env = Env::new("web", |_| {}).await;
    let resp = env.http.get(env.url()).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = resp.text().await.unwrap();
    assert!(html.contains("/assets/app.js"), "{html}");
    let js = env
        .http
        .get(format!("{}/assets/app.js", env.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), StatusCode::OK);
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert!(js.bytes().await.unwrap().len() > 10_000);
    for path in ["/assets/missing.js", "/assets/..%2FCargo.toml"] {
        let r = env
            .http
            .get(format!("{}{path}", env.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // The API's own 404s stay JSON.
    let (st, v) = env.call(Method::GET, "/api/nope", None, None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(v["code"], "not_found");
}

#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::too_many_lines)]
async fn claim_release_and_package_prepare_what_the_wallet_sends() {
    let env = Env::new("workspace", |_| {}).await;
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

    // Unordered task ids are refused before anything is simulated.
    let (st, v) = env
        .call(
            Method::POST,
            &format!("/api/jobs/{job}/claim/prepare"),
            Some(&a),
            Some(json!({"task_ids": [1, 0]})),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    // A claims two tasks from its wallet; B's claim of one of them would revert by name.
    let (st, tx) = env
        .call(
            Method::POST,
            &format!("/api/jobs/{job}/claim/prepare"),
            Some(&a),
            Some(json!({"task_ids": [0, 1]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{tx}");
    assert!(tx["function"].as_str().unwrap().starts_with("claimTasks("));
    env.send_prepared(ANN_A, &tx).await;
    let (st, v) = env
        .call(
            Method::POST,
            &format!("/api/jobs/{job}/claim/prepare"),
            Some(&b),
            Some(json!({"task_ids": [1]})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("TaskClaimed"),
        "{v}"
    );
    // A releases; B's claim now simulates.
    let (st, tx) = env
        .call(
            Method::POST,
            &format!("/api/jobs/{job}/release/prepare"),
            Some(&a),
            Some(json!({"task_ids": [0, 1]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{tx}");
    env.send_prepared(ANN_A, &tx).await;
    let (st, _) = env
        .call(
            Method::POST,
            &format!("/api/jobs/{job}/claim/prepare"),
            Some(&b),
            Some(json!({"task_ids": [1]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);

    // Nothing approved yet: nothing to package.
    let (st, v) = env
        .call(
            Method::POST,
            &format!("/api/jobs/{job}/package"),
            Some(&creator),
            Some(json!({})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["code"], "nothing_approved");

    // A labels every task, the creator approves the batch.
    let tasks: Vec<u32> = (0..6).collect();
    let (st, accepted) = submit_batch(
        &env.http,
        &env.url(),
        &a,
        env.key(ANN_A),
        job,
        &tasks,
        json!([0, 1, 1, 0, 1, 0]),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{accepted}");
    let done = env.wait_final(&a, accepted["id"].as_i64().unwrap()).await;
    assert_eq!(done["status"], "mined", "{done}");
    // The relayer records the receipt; the indexer follows the block a
    // moment later, and the review reads the index.
    common::wait_for("the batch indexed", || async {
        let (_, q) = env
            .call(
                Method::GET,
                &format!("/api/jobs/{job}/review-queue"),
                Some(&creator),
                None,
            )
            .await;
        q.as_array().is_some_and(|a| !a.is_empty()).then_some(())
    })
    .await;
    let (st, tx) = env
        .call(
            Method::POST,
            &format!("/api/jobs/{job}/review/prepare"),
            Some(&creator),
            Some(json!({"batches": [{"batch_id": done["batch_id"].to_string()}]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{tx}");
    env.send_prepared(CREATOR, &tx).await;
    let settled = common::wait_for("job completed", || async {
        let (_, v) = env
            .call(Method::GET, &format!("/api/jobs/{job}"), None, None)
            .await;
        (v["status"] == "completed").then_some(v)
    })
    .await;
    assert_eq!(settled["approved"], 6);

    // Only the creator packages; the package is stored but not public.
    let (st, _) = env
        .call(
            Method::POST,
            &format!("/api/jobs/{job}/package"),
            Some(&a),
            Some(json!({})),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, pkg) = env
        .call(
            Method::POST,
            &format!("/api/jobs/{job}/package"),
            Some(&creator),
            Some(json!({})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{pkg}");
    assert_eq!(pkg["format"], "jsonl-chat");
    assert_eq!(pkg["tasks"], 6);
    let pkg_root = pkg["root"].as_str().unwrap().to_string();
    let (st, _) = env
        .call(Method::GET, &format!("/api/data/{pkg_root}"), None, None)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "packages are not public data");
    // Building again gives the same bytes (deterministic package).
    let (_, again) = env
        .call(
            Method::POST,
            &format!("/api/jobs/{job}/package"),
            Some(&creator),
            Some(json!({})),
        )
        .await;
    assert_eq!(again["root"], pkg["root"]);

    // Published and downloaded: the bytes hash to the registry's root and carry the labels.
    let (st, tx) = env
        .call(
            Method::POST,
            "/api/datasets/prepare",
            Some(&creator),
            Some(json!({"root": pkg_root, "job_id": job, "format": "jsonl-chat", "price": "1000"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{tx}");
    env.send_prepared(CREATOR, &tx).await;
    let dataset = common::wait_for("dataset indexed", || async {
        let (_, v) = env.call(Method::GET, "/api/datasets", None, None).await;
        v.as_array().and_then(|l| l.first().cloned())
    })
    .await;
    assert_eq!(dataset["root_hash"].as_str().unwrap(), pkg_root);
    let bytes = common::download(&env, &creator, &dataset["id"]).await;
    let root = labelmint_storage::root_of_bytes(&bytes).unwrap();
    assert_eq!(format!("{root:#x}"), pkg_root);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut jsonl = String::new();
    zip.by_name("data.jsonl")
        .unwrap()
        .read_to_string(&mut jsonl)
        .unwrap();
    let lines: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6);
    assert!(
        lines[1].to_string().contains("positive") && lines[0].to_string().contains("negative"),
        "{jsonl}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_relay_and_relayer_switch_exist_only_in_dev_mode() {
    let env = Env::new("nodev", |_| {}).await;
    for path in ["/api/dev/rpc", "/api/dev/relayer"] {
        let (st, v) = env
            .call(
                Method::POST,
                path,
                None,
                Some(json!({"paused": true, "method": "eth_chainId"})),
            )
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{path}: {v}");
    }
    drop(env);
    let env = Env::new("dev", |c| c.dev = true).await;
    let rpc = |body: Value| {
        let env = &env;
        async move {
            env.call(Method::POST, "/api/dev/rpc", None, Some(body))
                .await
        }
    };
    let (st, v) =
        rpc(json!({"jsonrpc": "2.0", "id": 7, "method": "eth_chainId", "params": []})).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["id"], 7);
    assert_eq!(
        v["result"],
        json!(format!("{:#x}", env.server.state.rpc.chain_id))
    );
    // Only a short list of methods is relayed: no node administration.
    for method in [
        "evm_revert",
        "anvil_setBalance",
        "eth_sendTransaction",
        "eth_accounts",
    ] {
        let (_, v) = rpc(json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": []})).await;
        assert_eq!(v["error"]["code"], -32601, "{method}: {v}");
    }
    let (st, v) = env
        .call(
            Method::POST,
            "/api/dev/relayer",
            None,
            Some(json!({"paused": true})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["paused"], true);
    assert!(env.server.state.relayer.paused());
    let (_, v) = env
        .call(
            Method::POST,
            "/api/dev/relayer",
            None,
            Some(json!({"paused": false})),
        )
        .await;
    assert_eq!(v["paused"], false);
}
