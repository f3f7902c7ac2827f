//! The creator's side of QualityHub consensus jobs over HTTP: creating one
//! from an uploaded folder (the approval first, then `createJob` or
//! `createWeightedJob`), every parameter the hub would refuse named before a
//! wallet opens; then revealing the gold key, closing the job and claiming
//! slash-pool shares.

mod common;

use alloy_primitives::{B256, U256};
use common::{
    advance_past, lmr_balance, mint_lmr, ok, refused, sample_texts, upload, Env, ANN_A, ANN_B,
    BUYER, CREATOR,
};
use labelmint_client::hub::{commitment, gold_commitment, IHub};
use labelmint_client::revert::Program;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The third annotator.
const ANN_C: usize = 4;
/// One RewardToken.
const LMR: u128 = 1_000_000_000_000_000_000;
/// The reward per label of the jobs here (0.01 LMR).
const REWARD: u128 = LMR / 100;
/// The stake per label (0.02 LMR; the most one label can earn is 0.015).
const STAKE: u128 = LMR / 50;

/// A creation request over `root` with a gold key on task 0 (answer 1).
fn job_body(env: &Env, root: &str, salt: B256) -> Value {
    let gold = gold_commitment(env.address(CREATOR), &[0], &[1], salt);
    json!({
        "data_root": root, "title": "Sentiment by consensus", "instructions": "negative or positive",
        "classes": ["negative", "positive"], "reward_per_label": REWARD.to_string(), "replication": 3,
        "stake_per_label": STAKE.to_string(), "gold_commitment": format!("{gold:#x}"), "gold_tasks": 1,
    })
}

/// `body` with the fields of `extra` replaced.
fn with(body: &Value, extra: Value) -> Value {
    let mut b = body.clone();
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    b
}

/// Creates a hub job through the API as the wallet would: the approval,
/// then the creation prepared again (now simulated); its id once indexed.
async fn create(env: &Env, token: &str, body: &Value) -> (U256, Value) {
    let first = ok(env, token, "/api/creator/hub/jobs", body.clone()).await;
    let mut prepared = first.clone();
    if first["approval_needed"] == true {
        env.send_prepared(CREATOR, &first["txs"][0]).await;
        prepared = ok(env, token, "/api/creator/hub/jobs", body.clone()).await;
        assert_eq!(prepared["approval_needed"], false, "{prepared}");
    }
    let txs = prepared["txs"].as_array().unwrap();
    assert_eq!(txs.len(), 1, "{prepared}");
    assert!(
        txs[0]["gas"].is_string(),
        "simulated once approved: {prepared}"
    );
    let receipt = env.send_prepared(CREATOR, &txs[0]).await;
    let id = receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| {
            <IHub::JobCreated as alloy_sol_types::SolEvent>::decode_log_data(&l.inner.data)
                .ok()
                .map(|e| e.jobId)
        })
        .expect("a hub JobCreated");
    let path = format!("/api/hub/jobs/{id}");
    let j = common::wait_for("hub job indexed", || async {
        let (st, v) = env.call(Method::GET, &path, None, None).await;
        (st == StatusCode::OK).then_some(v)
    })
    .await;
    (id, j)
}

#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::too_many_lines)] // every refusal of one creation form, then two jobs
async fn consensus_job_is_prepared_with_the_approval_first_and_every_bad_term_is_named() {
    let env = Env::new("hub-create", |_| {}).await;
    let creator = env.sign_in(CREATOR).await;
    let texts = sample_texts();
    let root = upload(&env, &creator, &texts).await;
    let body = job_body(&env, &root, B256::random());
    let path = "/api/creator/hub/jobs";
    let post = |b: Value, t: Option<String>| {
        let env = &env;
        async move { env.call(Method::POST, path, t.as_deref(), Some(b)).await }
    };
    let me = Some(creator.clone());

    let r = post(body.clone(), None).await;
    assert_eq!(r.0, StatusCode::UNAUTHORIZED, "{}", r.1);
    refused(
        &post(
            with(
                &body,
                json!({"data_root": format!("{:#x}", B256::repeat_byte(3))}),
            ),
            me.clone(),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
        "not in this server's store",
    );
    refused(
        &post(with(&body, json!({"classes": ["only"]})), me.clone()).await,
        StatusCode::BAD_REQUEST,
        "bad_classes",
        "2 to 14",
    );
    for (extra, field) in [
        (json!({"replication": 2}), "replication"),
        (json!({"replication": 16}), "replication"),
        (json!({"quorum_bps": 5000}), "quorum_bps"),
        (json!({"quorum_bps": 8001}), "quorum_bps"),
        (json!({"commit_secs": 60}), "commit_secs"),
        (json!({"settle_secs": 31 * 86_400}), "settle_secs"),
        (json!({"slash_bps": 10_001}), "slash_bps"),
        (json!({"reward_per_label": "0"}), "reward_per_label"),
        // Six tasks: at least one gold task, at most six.
        (json!({"gold_tasks": 0}), "gold_tasks"),
        (json!({"gold_tasks": 7}), "gold_tasks"),
        // The most one label can earn: 0.03 / 2 = 0.015 LMR.
        (
            json!({"stake_per_label": (3 * REWARD / 2 - 1).to_string()}),
            "stake_per_label",
        ),
        // Terms 1 are the default ETH terms; the hub pays in the RewardToken.
        (json!({"arbiter_terms": 1}), "arbiter_terms"),
        (json!({"arbiter_terms": 99}), "arbiter_terms"),
        (
            json!({"difficulty": [{"end": 3, "weight": 1}]}),
            "difficulty",
        ),
        (
            json!({"difficulty": [{"end": 3, "weight": 0}, {"end": 6, "weight": 1}]}),
            "difficulty",
        ),
    ] {
        refused(
            &post(with(&body, extra.clone()), me.clone()).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_parameter",
            field,
        );
    }
    refused(
        &post(
            with(
                &body,
                json!({"gold_commitment": format!("{:#x}", B256::ZERO)}),
            ),
            me.clone(),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "bad_commitment",
        "gold",
    );
    refused(
        &post(with(&body, json!({"reward_per_label": "lots"})), me.clone()).await,
        StatusCode::BAD_REQUEST,
        "bad_amount",
        "reward_per_label",
    );
    // No RewardToken in the wallet yet.
    refused(
        &post(body.clone(), me.clone()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "insufficient_tokens",
        "gold bond",
    );

    // The terms the job names.
    let (st, terms) = env
        .call(Method::GET, "/api/arbiter-terms/2", None, None)
        .await;
    assert_eq!(st, StatusCode::OK, "{terms}");
    assert_eq!(
        terms["token"].as_str().unwrap().to_lowercase(),
        format!("{:#x}", env.chain.contracts.token)
    );
    let fee: u128 = terms["fee"].as_str().unwrap().parse().unwrap();
    assert_eq!(fee, labelmint_client::market::DEFAULT_ARBITER_FEE);
    let r = env
        .call(Method::GET, "/api/arbiter-terms/99", None, None)
        .await;
    refused(
        &r,
        StatusCode::NOT_FOUND,
        "not_found",
        "no arbiter terms 99",
    );

    // With tokens: the approval of escrow and bond first, the creation after.
    mint_lmr(&env, CREATOR, 10 * LMR).await;
    let first = ok(&env, &creator, path, body.clone()).await;
    let escrow = U256::from(REWARD * 3 * 6);
    let bond = U256::from(REWARD + fee);
    assert_eq!(first["approval_needed"], true, "{first}");
    assert_eq!(first["escrow"], escrow.to_string());
    assert_eq!(first["gold_bond"], bond.to_string());
    assert_eq!(first["deposit"], (escrow + bond).to_string());
    assert_eq!(first["max_pay_per_label"], (3 * REWARD / 2).to_string());
    assert_eq!(first["task_count"], 6);
    let txs = first["txs"].as_array().unwrap();
    assert_eq!(txs.len(), 2);
    assert_eq!(txs[0]["function"], "approve(address,uint256)");
    assert!(txs[0]["gas"].is_string(), "the approval is simulated");
    assert!(
        txs[1]["function"]
            .as_str()
            .unwrap()
            .starts_with("createJob("),
        "{first}"
    );
    assert!(txs[1]["gas"].is_null(), "not simulated before the approval");
    let before = lmr_balance(&env, CREATOR).await;
    let (id, j) = create(&env, &creator, &body).await;
    assert_eq!(lmr_balance(&env, CREATOR).await, before - escrow - bond);
    assert_eq!(j["replication"], 3);
    assert_eq!(j["gold_tasks"], 1);
    assert_eq!(j["escrow_held"], escrow.to_string());
    assert_eq!(j["gold_bond"], bond.to_string());
    assert_eq!(j["arbiter_terms"], 2);
    assert_eq!(j["metadata"]["title"], "Sentiment by consensus");
    assert_eq!(j["phase"], "commit");
    assert_eq!(
        j["commit_end"].as_i64().unwrap() + 86_400,
        j["reveal_end"].as_i64().unwrap()
    );
    let mine = format!("/api/hub/jobs?creator={}", env.address(CREATOR));
    let (_, list) = env.call(Method::GET, &mine, None, None).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], json!(u64::try_from(id).unwrap()));
    let (_, none) = env
        .call(
            Method::GET,
            &format!("/api/hub/jobs?creator={}", env.address(ANN_A)),
            None,
            None,
        )
        .await;
    assert_eq!(none, json!([]));
    let r = env
        .call(Method::GET, "/api/hub/jobs?creator=nobody", None, None)
        .await;
    refused(&r, StatusCode::BAD_REQUEST, "bad_address", "creator");

    // A weighted job: tasks 4 and 5 weigh 2, so they escrow and pay twice,
    // and a label's stake must cover the most a label on them can earn (0.03).
    let weighted = with(
        &job_body(&env, &root, B256::random()),
        json!({"difficulty": [{"end": 4, "weight": 1}, {"end": 6, "weight": 2}]}),
    );
    refused(
        &post(weighted.clone(), me.clone()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_parameter",
        "stake_per_label",
    );
    let weighted = with(
        &weighted,
        json!({"stake_per_label": (3 * REWARD).to_string()}),
    );
    let prepared = ok(&env, &creator, path, weighted.clone()).await;
    assert_eq!(
        prepared["escrow"],
        (U256::from(REWARD * 3) * U256::from(4 + 2 * 2)).to_string()
    );
    assert!(
        prepared["txs"].as_array().unwrap().last().unwrap()["function"]
            .as_str()
            .unwrap()
            .starts_with("createWeightedJob("),
        "{prepared}"
    );
    let (wid, _) = create(&env, &creator, &weighted).await;
    for (task, weight) in [(0u32, 1u8), (3, 1), (4, 2), (5, 2)] {
        let w = env
            .server
            .state
            .rpc
            .read(
                Program::QualityHub,
                env.chain.contracts.hub,
                &IHub::taskWeightCall {
                    jobId: wid,
                    taskId: task,
                },
            )
            .await
            .unwrap();
        assert_eq!(w, weight, "task {task}");
    }
    // A third job over the same data with another title would rewrite what
    // annotators of the running jobs read: refused, and nothing changes.
    refused(
        &post(
            with(&body, json!({"title": "Something else entirely"})),
            me.clone(),
        )
        .await,
        StatusCode::CONFLICT,
        "description_in_use",
        &format!("your hub job {id}"),
    );
    let (_, still) = env
        .call(Method::GET, &format!("/api/hub/jobs/{id}"), None, None)
        .await;
    assert_eq!(
        still["metadata"]["title"], "Sentiment by consensus",
        "{still}"
    );
}

/// Stakes `amount` from dev account `i` through the API.
async fn stake(env: &Env, i: usize, token: &str, amount: u128) {
    let prepared = ok(
        env,
        token,
        "/api/hub/stake/prepare",
        json!({"amount": amount.to_string()}),
    )
    .await;
    for tx in prepared["txs"].as_array().unwrap() {
        env.send_prepared(i, tx).await;
    }
}

/// Commits `labels` on every task from dev account `i`; the batch id.
async fn commit_all(env: &Env, i: usize, token: &str, job: U256, labels: &[u8], salt: B256) -> u64 {
    let c = commitment(job, env.address(i), labels, salt);
    let tasks: Vec<u32> = (0..u32::try_from(labels.len()).unwrap()).collect();
    let tx = ok(
        env,
        token,
        &format!("/api/hub/jobs/{job}/commit/prepare"),
        json!({"task_ids": tasks, "commitment": format!("{c:#x}")}),
    )
    .await;
    env.send_prepared(i, &tx).await;
    let path = format!("/api/hub/jobs/{job}/batches");
    common::wait_for("the commit indexed", || async {
        let (_, v) = env.call(Method::GET, &path, Some(token), None).await;
        v["batches"].as_array()?.iter().find_map(|b| {
            (b["commitment"].as_str()? == format!("{c:#x}")).then(|| b["batch_id"].as_u64())?
        })
    })
    .await
}

/// The signed-in account's hub credit.
async fn credit(env: &Env, token: &str) -> U256 {
    let (_, v) = env
        .call(Method::GET, "/api/hub/stake", Some(token), None)
        .await;
    v["credit"].as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::too_many_lines)] // one job from creation to the slash-pool claims
async fn creator_reveals_gold_closes_the_job_the_majority_claims_the_slash_share_and_the_labels_sell_with_royalties(
) {
    let env = Env::new("hub-close", |c| c.dev = true).await;
    for i in [CREATOR, ANN_A, ANN_B, ANN_C] {
        mint_lmr(&env, i, 10 * LMR).await;
    }
    let creator = env.sign_in(CREATOR).await;
    let root = upload(&env, &creator, &sample_texts()).await;
    let gold_salt = B256::random();
    let (job, j) = create(&env, &creator, &job_body(&env, &root, gold_salt)).await;
    let id = u64::try_from(job).unwrap();

    // A and B label the truth; C disagrees on task 5.
    let truth = [1u8, 0, 1, 0, 1, 0];
    let odd = [1u8, 0, 1, 0, 1, 1];
    let mut batches = Vec::new();
    for (i, labels) in [(ANN_A, truth), (ANN_B, truth), (ANN_C, odd)] {
        let t = env.sign_in(i).await;
        stake(&env, i, &t, 6 * STAKE).await;
        let salt = B256::random();
        let b = commit_all(&env, i, &t, job, &labels, salt).await;
        batches.push((i, t, labels, salt, b));
    }

    let gold_path = format!("/api/hub/jobs/{id}/gold/prepare");
    let key = |tasks: Value, labels: Value, salt: String| json!({"task_ids": tasks, "labels": labels, "salt": salt});
    let good = key(json!([0]), json!([1]), format!("{gold_salt:#x}"));
    let r = env
        .call(Method::POST, &gold_path, Some(&creator), Some(good.clone()))
        .await;
    refused(
        &r,
        StatusCode::CONFLICT,
        "wrong_phase",
        "reveals are taken from",
    );
    let r = env
        .call(Method::POST, &gold_path, None, Some(good.clone()))
        .await;
    assert_eq!(r.0, StatusCode::UNAUTHORIZED);
    advance_past(&env, j["commit_end"].as_i64().unwrap()).await;
    for (body, status, code) in [
        (
            key(json!([]), json!([]), format!("{gold_salt:#x}")),
            StatusCode::BAD_REQUEST,
            "bad_tasks",
        ),
        (
            key(json!([1, 0]), json!([1, 1]), format!("{gold_salt:#x}")),
            StatusCode::BAD_REQUEST,
            "bad_tasks",
        ),
        (
            key(json!([0, 1]), json!([1, 1]), format!("{gold_salt:#x}")),
            StatusCode::BAD_REQUEST,
            "bad_tasks",
        ),
        (
            key(json!([6]), json!([1]), format!("{gold_salt:#x}")),
            StatusCode::BAD_REQUEST,
            "bad_tasks",
        ),
        (
            key(json!([0]), json!([2]), format!("{gold_salt:#x}")),
            StatusCode::BAD_REQUEST,
            "bad_labels",
        ),
        (
            key(json!([0]), json!([1, 0]), format!("{gold_salt:#x}")),
            StatusCode::BAD_REQUEST,
            "bad_labels",
        ),
        (
            key(json!([0]), json!([1]), "0x12".into()),
            StatusCode::BAD_REQUEST,
            "bad_salt",
        ),
        // The wrong answer or the wrong salt do not open the commitment.
        (
            key(json!([0]), json!([0]), format!("{gold_salt:#x}")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "gold_mismatch",
        ),
        (
            key(json!([0]), json!([1]), format!("{:#x}", B256::random())),
            StatusCode::UNPROCESSABLE_ENTITY,
            "gold_mismatch",
        ),
    ] {
        let r = env
            .call(Method::POST, &gold_path, Some(&creator), Some(body.clone()))
            .await;
        refused(&r, status, code, "");
    }
    let tx = ok(&env, &creator, &gold_path, good.clone()).await;
    assert_eq!(tx["function"], "revealGold(uint256,bytes,bytes,bytes32)");
    env.send_prepared(CREATOR, &tx).await;
    let r = env
        .call(Method::POST, &gold_path, Some(&creator), Some(good.clone()))
        .await;
    refused(
        &r,
        StatusCode::CONFLICT,
        "gold_revealed",
        "already revealed",
    );
    let (_, d) = env
        .call(Method::GET, &format!("/api/hub/jobs/{id}"), None, None)
        .await;
    assert_eq!(d["gold_revealed"], true);

    for (i, t, labels, salt, b) in &batches {
        let tx = ok(
            &env,
            t,
            &format!("/api/hub/jobs/{id}/reveal/prepare"),
            json!({"batch_id": b, "labels": labels, "salt": format!("{salt:#x}")}),
        )
        .await;
        env.send_prepared(*i, &tx).await;
    }
    let close = format!("/api/hub/jobs/{id}/close/prepare");
    let claim = format!("/api/hub/jobs/{id}/slash-share/prepare");
    let r = env.call(Method::POST, &close, Some(&creator), None).await;
    refused(
        &r,
        StatusCode::CONFLICT,
        "wrong_phase",
        "closes after its settle phase ends",
    );
    let r = env
        .call(Method::POST, &claim, Some(&batches[0].1), None)
        .await;
    refused(&r, StatusCode::CONFLICT, "not_closed", "not closed yet");

    // Settle: each annotator its own batch.
    advance_past(&env, j["reveal_end"].as_i64().unwrap()).await;
    for (i, t, _, _, b) in &batches {
        let tx = ok(
            &env,
            t,
            &format!("/api/hub/jobs/{id}/settle/prepare"),
            json!({"batch_id": b}),
        )
        .await;
        env.send_prepared(*i, &tx).await;
    }
    let r = env.call(Method::POST, &close, Some(&creator), None).await;
    refused(&r, StatusCode::CONFLICT, "wrong_phase", "");
    let package = format!("/api/hub/jobs/{id}/package");
    let r = env
        .call(Method::POST, &package, Some(&creator), Some(json!({})))
        .await;
    refused(&r, StatusCode::CONFLICT, "not_closed", "not closed yet");

    // Closed after the settle phase: the creator is credited the escrow left
    // and the gold bond (the key was revealed).
    advance_past(&env, j["settle_end"].as_i64().unwrap()).await;
    let (_, d) = env
        .call(Method::GET, &format!("/api/hub/jobs/{id}"), None, None)
        .await;
    let refund: U256 = d["escrow_held"].as_str().unwrap().parse::<U256>().unwrap()
        + d["gold_bond"].as_str().unwrap().parse::<U256>().unwrap();
    let pool: U256 = d["slash_pool"].as_str().unwrap().parse().unwrap();
    assert_eq!(pool, U256::from(STAKE / 2), "C lost half a stake on task 5");
    let before = credit(&env, &creator).await;
    let tx = ok(&env, &creator, &close, json!(null)).await;
    assert_eq!(tx["function"], "closeJob(uint256)");
    env.send_prepared(CREATOR, &tx).await;
    assert_eq!(credit(&env, &creator).await, before + refund);
    let r = env.call(Method::POST, &close, Some(&creator), None).await;
    refused(&r, StatusCode::CONFLICT, "already_closed", "already closed");
    let (_, d) = env
        .call(Method::GET, &format!("/api/hub/jobs/{id}"), None, None)
        .await;
    assert_eq!(d["status"], "closed");

    // The agreeing labels share the pool: A's six of the seventeen agreeing
    // labels (6 + 6 + 5); a second claim, or one without agreeing labels, is
    // refused by name.
    let a = &batches[0].1;
    let before = credit(&env, a).await;
    let tx = ok(&env, a, &claim, json!(null)).await;
    assert_eq!(tx["function"], "claimSlashShare(uint256)");
    env.send_prepared(ANN_A, &tx).await;
    let share = credit(&env, a).await - before;
    assert_eq!(share, pool * U256::from(6) / U256::from(17));
    let r = env.call(Method::POST, &claim, Some(a), None).await;
    refused(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "would_revert",
        "NothingToClaim",
    );
    let r = env.call(Method::POST, &claim, Some(&creator), None).await;
    refused(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "would_revert",
        "NothingToClaim",
    );

    // The decided labels become a dataset sold with royalties to the
    // agreeing annotators: packaged by the creator only, published with the
    // hub as its source.
    let r = env
        .call(Method::POST, &package, Some(a), Some(json!({})))
        .await;
    refused(&r, StatusCode::FORBIDDEN, "not_creator", "");
    let pkg = ok(&env, &creator, &package, json!({})).await;
    assert_eq!(
        (pkg["format"].as_str(), pkg["tasks"].as_u64()),
        (Some("jsonl-chat"), Some(6)),
        "{pkg}"
    );
    let publish = |source: &str| json!({"root": pkg["root"], "job_id": id, "format": "jsonl-chat", "price": "1000000", "source": source});
    let r = env
        .call(
            Method::POST,
            "/api/datasets/prepare",
            Some(&creator),
            Some(publish("oracle")),
        )
        .await;
    refused(
        &r,
        StatusCode::BAD_REQUEST,
        "bad_source",
        "market, hub or court",
    );
    // The same job id on the market is not this creator's settled job.
    let r = env
        .call(
            Method::POST,
            "/api/datasets/prepare",
            Some(&creator),
            Some(publish("market")),
        )
        .await;
    assert_eq!(r.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.1);
    let tx = ok(&env, &creator, "/api/datasets/prepare", publish("hub")).await;
    env.send_prepared(CREATOR, &tx).await;
    let dataset = common::wait_for("the consensus dataset indexed", || async {
        let (_, list) = env.call(Method::GET, "/api/datasets", None, None).await;
        list.as_array()?
            .iter()
            .find(|ds| ds["root_hash"] == pkg["root"])
            .cloned()
    })
    .await;
    let prov = &dataset["provenance"];
    assert_eq!(prov["mode"], "consensus", "{dataset}");
    let (_, config) = env.call(Method::GET, "/api/config", None, None).await;
    assert_eq!(
        prov["source"].as_str().unwrap().to_lowercase(),
        config["hub"].as_str().unwrap().to_lowercase()
    );
    assert_eq!(
        (
            prov["source_job_id"].as_u64(),
            prov["annotators"].as_u64(),
            prov["shares"].as_u64()
        ),
        (Some(id), Some(3), Some(17))
    );
    let bytes = common::download(&env, &creator, &dataset["id"]).await;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut jsonl = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("data.jsonl").unwrap(), &mut jsonl).unwrap();
    let answers: Vec<String> = jsonl
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["messages"][2]["content"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    // The majority's labels (task 0 by the gold key), not C's dissent on task 5.
    assert_eq!(
        answers,
        ["positive", "negative", "positive", "negative", "positive", "negative"]
    );

    // A sale pays the royalty share (20 %) to the agreeing labels and the
    // rest to the creator; each withdraws its part once.
    let buyer = env.sign_in(BUYER).await;
    let tx = ok(
        &env,
        &buyer,
        &format!("/api/datasets/{}/purchase/prepare", dataset["id"]),
        json!({}),
    )
    .await;
    env.send_prepared(BUYER, &tx).await;
    let price = 1_000_000u64;
    let royalty = price * u64::try_from(dataset["royalty_bps"].as_i64().unwrap()).unwrap() / 10_000;
    let pool_of = |answer: &Value| {
        answer["pools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|pool| pool["source"] == "hub" && pool["job_id"] == id)
            .cloned()
    };
    // The pool pays a whole royalty per share (17 agreeing labels), carrying
    // the remainder to the next sale: A's 6 shares get 6 × ⌊royalty / 17⌋.
    for (who, session, expected) in [
        (ANN_A, a, royalty / 17 * 6),
        (CREATOR, &creator, price - royalty),
    ] {
        let mine = common::wait_for("the sale's pool", || async {
            let (st, mine) = env
                .call(Method::GET, "/api/me/royalties", Some(session), None)
                .await;
            assert_eq!(st, StatusCode::OK, "{mine}");
            pool_of(&mine).is_some().then_some(mine)
        })
        .await;
        let pool = pool_of(&mine).unwrap();
        assert_eq!(
            pool["amount"].as_str().unwrap(),
            expected.to_string(),
            "{mine}"
        );
        assert_eq!(pool["datasets"], json!([dataset["id"]]));
        let to = alloy_primitives::Address::random();
        let body = json!({"source": "hub", "job_id": id, "to": format!("{to:#x}")});
        let tx = ok(
            &env,
            session,
            "/api/royalties/withdraw/prepare",
            body.clone(),
        )
        .await;
        assert_eq!(
            tx["function"],
            "withdrawRoyalties(address,uint256,address,address)"
        );
        env.send_prepared(who, &tx).await;
        let got = env
            .rpc("eth_getBalance", json!([format!("{to:#x}"), "latest"]))
            .await;
        assert_eq!(
            got.as_str().unwrap().parse::<U256>().unwrap(),
            U256::from(expected)
        );
        let r = env
            .call(
                Method::POST,
                "/api/royalties/withdraw/prepare",
                Some(session),
                Some(body),
            )
            .await;
        refused(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "would_revert",
            "NothingToWithdraw",
        );
        let (_, mine) = env
            .call(Method::GET, "/api/me/royalties", Some(session), None)
            .await;
        assert!(pool_of(&mine).is_none(), "{mine}");
    }
    let r = env
        .call(
            Method::POST,
            "/api/royalties/withdraw/prepare",
            Some(a),
            Some(json!({"source": "oracle", "job_id": id})),
        )
        .await;
    refused(&r, StatusCode::BAD_REQUEST, "bad_source", "");
    let r = env.call(Method::GET, "/api/me/royalties", None, None).await;
    assert_eq!(r.0, StatusCode::UNAUTHORIZED);

    // The creator withdraws its refund to the wallet.
    let owed = credit(&env, &creator).await;
    let wallet = lmr_balance(&env, CREATOR).await;
    let tx = ok(&env, &creator, "/api/hub/withdraw/prepare", json!(null)).await;
    env.send_prepared(CREATOR, &tx).await;
    assert_eq!(lmr_balance(&env, CREATOR).await, wallet + owed);
    let r = env
        .call(
            Method::POST,
            "/api/hub/jobs/999/close/prepare",
            Some(&creator),
            None,
        )
        .await;
    refused(&r, StatusCode::NOT_FOUND, "not_found", "no hub job");
}
