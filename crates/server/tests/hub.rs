//! QualityHub consensus jobs over HTTP: the indexed job, the stake, the
//! commit–reveal–settle cycle and the credit, with every error path the
//! endpoints name.

mod common;

use alloy_primitives::{B256, U256};
use common::{advance_past, ok, refused, Env, ANN_A, ANN_B, CREATOR};
use labelmint_client::{hub::commitment, IRewardToken};
use labelmint_server::dev::{self, HubSeed, HUB_PHASE, HUB_REWARD, HUB_STAKE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The third annotator.
const ANN_C: usize = 4;
/// One RewardToken.
const LMR: u128 = 1_000_000_000_000_000_000;

/// Seeds the dev consensus job (as `serve --dev` does), records its
/// description and waits until it is indexed.
async fn seed(env: &Env) -> HubSeed {
    let store = labelmint_storage::LocalStore::open(env.dir.join("store")).unwrap();
    let seed = dev::seed_hub(&env.chain, &store, &env.dir.join("tmp"))
        .await
        .expect("the hub job is created");
    labelmint_server::api::hub::record_description(
        &env.server.state,
        seed.creator,
        seed.data_root,
        seed.metadata_hash,
    )
    .await
    .unwrap();
    let path = format!("/api/hub/jobs/{}", seed.job);
    common::wait_for("hub job indexed", || async {
        let (st, _) = env.call(Method::GET, &path, None, None).await;
        (st == StatusCode::OK).then_some(())
    })
    .await;
    seed
}

/// Sends every transaction of a `{txs: […]}` answer from dev account `i`.
async fn send_all(env: &Env, i: usize, prepared: &Value) {
    for tx in prepared["txs"].as_array().expect("txs") {
        env.send_prepared(i, tx).await;
    }
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
    send_all(env, i, &prepared).await;
}

/// Commits `labels` on `tasks` from dev account `i` with `salt`; the batch
/// id once indexed.
async fn commit(
    env: &Env,
    i: usize,
    token: &str,
    job: U256,
    tasks: &[u32],
    labels: &[u8],
    salt: B256,
) -> u64 {
    let c = commitment(job, env.address(i), labels, salt);
    let tx = ok(
        env,
        token,
        &format!("/api/hub/jobs/{job}/commit/prepare"),
        json!({"task_ids": tasks, "commitment": format!("{c:#x}")}),
    )
    .await;
    assert_eq!(tx["function"], "commitBatch(uint256,bytes,bytes32)", "{tx}");
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

/// The signed-in annotator's batches in `job`, once `ready` holds.
async fn batches_when(env: &Env, token: &str, job: U256, ready: impl Fn(&Value) -> bool) -> Value {
    let path = format!("/api/hub/jobs/{job}/batches");
    common::wait_for("batches", || async {
        let (st, v) = env.call(Method::GET, &path, Some(token), None).await;
        (st == StatusCode::OK && ready(&v)).then_some(v)
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::too_many_lines)] // one job's views and every refusal, step by step
async fn hub_jobs_are_listed_with_terms_phase_gold_rate_and_description_and_unknown_ones_are_404() {
    let env = Env::new("hub-list", |_| {}).await;
    let seed = seed(&env).await;
    let id = seed.job;

    let (st, list) = env.call(Method::GET, "/api/hub/jobs", None, None).await;
    assert_eq!(st, StatusCode::OK, "{list}");
    let j = list
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == json!(u64::try_from(id).unwrap()))
        .expect("the seeded job is listed");
    assert_eq!(j["mode"], "consensus");
    assert_eq!(j["phase"], "commit");
    assert_eq!(j["replication"], 3);
    assert_eq!(j["num_classes"], 2);
    assert_eq!(j["task_count"], 6);
    assert_eq!(j["reward_per_label"], HUB_REWARD.to_string());
    assert_eq!(j["bounty_per_task"], (3 * HUB_REWARD).to_string());
    // A simple majority of three: two labels can win, so one earns at most half the bounty.
    assert_eq!(j["min_winning_labels"], 2);
    assert_eq!(j["max_pay_per_label"], (3 * HUB_REWARD / 2).to_string());
    assert_eq!(j["stake_per_label"], HUB_STAKE.to_string());
    assert_eq!(j["stake_for_all_tasks"], (6 * HUB_STAKE).to_string());
    assert_eq!(j["gold_tasks"], 1);
    assert_eq!(j["gold_rate_bps"], 1_666);
    assert_eq!(j["slash_bps"], 5_000);
    let (commit_end, reveal_end) = (
        j["commit_end"].as_i64().unwrap(),
        j["reveal_end"].as_i64().unwrap(),
    );
    assert_eq!(reveal_end - commit_end, i64::from(HUB_PHASE));
    assert!(j["ruling_end"].as_i64().unwrap() >= reveal_end);
    assert!(j["settle_end"].as_i64().unwrap() > j["ruling_end"].as_i64().unwrap());
    assert_eq!(j["metadata"]["title"], "Sentiment of reviews (consensus)");
    assert_eq!(j["metadata"]["classes"], json!(["negative", "positive"]));
    assert_eq!(
        j["creator"].as_str().unwrap(),
        format!("{:#x}", env.address(CREATOR))
    );

    let (st, d) = env
        .call(Method::GET, &format!("/api/hub/jobs/{id}"), None, None)
        .await;
    assert_eq!(st, StatusCode::OK, "{d}");
    assert_eq!(d["status"], "open");
    assert_eq!(d["kind"], "text");
    assert_eq!(d["escrow_held"], (18 * HUB_REWARD).to_string());
    assert_eq!(d["gold_revealed"], false);
    assert_eq!(d["unstake_cooldown"], 3 * 86_400);
    assert!(d["now"].as_i64().unwrap() < commit_end);

    let (st, tasks) = env
        .call(
            Method::GET,
            &format!("/api/hub/jobs/{id}/tasks"),
            None,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{tasks}");
    let tasks = tasks.as_array().unwrap();
    assert_eq!(tasks.len(), 6);
    assert_eq!(tasks[0]["committed"], 0);
    assert_eq!(tasks[0]["full"], false);
    assert!(
        tasks[0]["consensus"].is_null(),
        "no tally during the commit phase"
    );
    let (st, _) = env
        .call(Method::GET, tasks[0]["url"].as_str().unwrap(), None, None)
        .await;
    assert_eq!(st, StatusCode::OK, "the task's text is public data");

    // Filters, unknown jobs, closed phases.
    let (st, closed) = env
        .call(Method::GET, "/api/hub/jobs?phase=closed", None, None)
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(closed, json!([]));
    let bad = env
        .call(Method::GET, "/api/hub/jobs?phase=later", None, None)
        .await;
    refused(&bad, StatusCode::BAD_REQUEST, "bad_phase", "phase:");
    for path in [
        "/api/hub/jobs/999",
        "/api/hub/jobs/999/tasks",
        "/api/hub/jobs/-1",
    ] {
        let r = env.call(Method::GET, path, None, None).await;
        refused(&r, StatusCode::NOT_FOUND, "not_found", "no hub job");
    }
    let r = env
        .call(Method::GET, "/api/hub/jobs/not-a-number", None, None)
        .await;
    refused(&r, StatusCode::BAD_REQUEST, "bad_path", "");
    // The market's job of the same id is not the hub's.
    let (st, market) = env
        .call(Method::GET, &format!("/api/jobs/{id}/events"), None, None)
        .await;
    assert!(
        st == StatusCode::NOT_FOUND || market == json!([]),
        "{market}"
    );

    // Without --dev there is no clock to move.
    let r = env
        .call(
            Method::POST,
            "/api/dev/time",
            None,
            Some(json!({"seconds": 60})),
        )
        .await;
    refused(&r, StatusCode::NOT_FOUND, "not_found", "--dev");

    // A creator describes its own jobs' data root; signing in is required.
    let token = env.sign_in(CREATOR).await;
    let body = json!({"data_root": format!("{:#x}", seed.data_root), "title": "Renamed",
        "classes": ["bad", "good"]});
    let r = env
        .call(
            Method::POST,
            "/api/hub/descriptions",
            None,
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.0, StatusCode::UNAUTHORIZED, "{}", r.1);
    let r = env
        .call(
            Method::POST,
            "/api/hub/descriptions",
            Some(&token),
            Some(json!({"data_root": format!("{:#x}", seed.data_root), "title": "One class", "classes": ["only"]})),
        )
        .await;
    refused(&r, StatusCode::BAD_REQUEST, "bad_classes", "2 to 14");
    ok(&env, &token, "/api/hub/descriptions", body).await;
    let (_, d) = env
        .call(Method::GET, &format!("/api/hub/jobs/{id}"), None, None)
        .await;
    assert_eq!(d["metadata"]["title"], "Renamed");
    // Another address's description of the same root changes nothing here.
    let other = env.sign_in(ANN_A).await;
    ok(
        &env,
        &other,
        "/api/hub/descriptions",
        json!({"data_root": format!("{:#x}", seed.data_root), "title": "Squatted", "classes": ["x", "y"]}),
    )
    .await;
    let (_, d) = env
        .call(Method::GET, &format!("/api/hub/jobs/{id}"), None, None)
        .await;
    assert_eq!(d["metadata"]["title"], "Renamed");
}

#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::too_many_lines)] // one stake from approval to withdrawal, step by step
async fn stake_request_unstake_and_withdraw_stake_are_prepared_with_the_approval_first_and_named_reverts(
) {
    let env = Env::new("hub-stake", |c| c.dev = true).await;
    seed(&env).await;
    let r = env.call(Method::GET, "/api/hub/stake", None, None).await;
    assert_eq!(r.0, StatusCode::UNAUTHORIZED, "{}", r.1);
    let token = env.sign_in(ANN_A).await;
    let (st, v) = env
        .call(Method::GET, "/api/hub/stake", Some(&token), None)
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["staked"], "0");
    assert_eq!(v["token_balance"], dev::DEV_TOKENS.to_string());
    assert_eq!(v["allowance"], "0");
    assert_eq!(v["hub"], env.chain.contracts.hub.to_checksum(None));

    // Bad amounts, more than the wallet holds.
    for (amount, code) in [("0", "bad_amount"), ("lots", "bad_amount")] {
        let r = env
            .call(
                Method::POST,
                "/api/hub/stake/prepare",
                Some(&token),
                Some(json!({"amount": amount})),
            )
            .await;
        refused(&r, StatusCode::BAD_REQUEST, code, "amount");
    }
    let too_much = (dev::DEV_TOKENS + 1).to_string();
    let r = env
        .call(
            Method::POST,
            "/api/hub/stake/prepare",
            Some(&token),
            Some(json!({"amount": too_much})),
        )
        .await;
    refused(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "insufficient_tokens",
        "less than",
    );
    let r = env
        .call(
            Method::POST,
            "/api/hub/stake/prepare",
            Some(&token),
            Some(json!({"amount": 5})),
        )
        .await;
    assert_eq!(
        r.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a number is not a decimal string: {}",
        r.1
    );

    // No allowance yet: approve, then stake.
    let prepared = ok(
        &env,
        &token,
        "/api/hub/stake/prepare",
        json!({"amount": LMR.to_string()}),
    )
    .await;
    let txs = prepared["txs"].as_array().unwrap();
    assert_eq!(txs.len(), 2, "{prepared}");
    assert_eq!(txs[0]["function"], "approve(address,uint256)");
    assert_eq!(txs[0]["to"], env.chain.contracts.token.to_checksum(None));
    assert_eq!(txs[1]["function"], "stake(uint128)");
    assert_eq!(txs[1]["to"], env.chain.contracts.hub.to_checksum(None));
    send_all(&env, ANN_A, &prepared).await;
    // With a standing allowance: one simulated stake.
    env.wallet(ANN_A)
        .send(
            env.chain.contracts.token,
            &IRewardToken::approveCall {
                spender: env.chain.contracts.hub,
                value: U256::MAX,
            },
            U256::ZERO,
        )
        .await
        .unwrap();
    let prepared = ok(
        &env,
        &token,
        "/api/hub/stake/prepare",
        json!({"amount": (LMR / 2).to_string()}),
    )
    .await;
    let txs = prepared["txs"].as_array().unwrap();
    assert_eq!(txs.len(), 1, "{prepared}");
    assert!(txs[0]["gas"].is_string(), "simulated: {prepared}");
    send_all(&env, ANN_A, &prepared).await;
    let (_, v) = env
        .call(Method::GET, "/api/hub/stake", Some(&token), None)
        .await;
    assert_eq!(v["staked"], (LMR + LMR / 2).to_string());
    assert_eq!(v["free"], (LMR + LMR / 2).to_string());
    assert_eq!(
        v["token_balance"],
        (dev::DEV_TOKENS - LMR - LMR / 2).to_string()
    );

    // Unstaking more than is free is refused by name; a quarter is queued.
    let r = env
        .call(
            Method::POST,
            "/api/hub/unstake/prepare",
            Some(&token),
            Some(json!({"amount": (2 * LMR).to_string()})),
        )
        .await;
    refused(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "would_revert",
        "InsufficientStake",
    );
    let nothing = env
        .call(
            Method::POST,
            "/api/hub/stake/withdraw/prepare",
            Some(&token),
            None,
        )
        .await;
    refused(
        &nothing,
        StatusCode::UNPROCESSABLE_ENTITY,
        "would_revert",
        "NothingToWithdraw",
    );
    let tx = ok(
        &env,
        &token,
        "/api/hub/unstake/prepare",
        json!({"amount": (LMR / 4).to_string()}),
    )
    .await;
    assert_eq!(tx["function"], "requestUnstake(uint128)");
    env.send_prepared(ANN_A, &tx).await;
    let (_, v) = env
        .call(Method::GET, "/api/hub/stake", Some(&token), None)
        .await;
    assert_eq!(v["pending_unstake"], (LMR / 4).to_string());
    assert_eq!(v["staked"], (LMR + LMR / 4).to_string());
    assert_eq!(v["can_withdraw_stake"], false);
    let ready = v["unstake_ready_at"].as_i64().unwrap();
    assert!(ready >= v["now"].as_i64().unwrap() + 3 * 86_400 - 5, "{v}");
    let early = env
        .call(
            Method::POST,
            "/api/hub/stake/withdraw/prepare",
            Some(&token),
            None,
        )
        .await;
    refused(
        &early,
        StatusCode::UNPROCESSABLE_ENTITY,
        "would_revert",
        "CooldownActive",
    );

    // Three days later the stake comes back.
    advance_past(&env, ready).await;
    let (_, v) = env
        .call(Method::GET, "/api/hub/stake", Some(&token), None)
        .await;
    assert_eq!(v["can_withdraw_stake"], true, "{v}");
    let tx = ok(&env, &token, "/api/hub/stake/withdraw/prepare", json!({})).await;
    assert_eq!(tx["function"], "withdrawStake()");
    env.send_prepared(ANN_A, &tx).await;
    let (_, v) = env
        .call(Method::GET, "/api/hub/stake", Some(&token), None)
        .await;
    assert_eq!(v["pending_unstake"], "0");
    assert_eq!(
        v["token_balance"],
        (dev::DEV_TOKENS - LMR - LMR / 4).to_string()
    );

    // No credit yet: nothing to withdraw, by name.
    let r = env
        .call(
            Method::POST,
            "/api/hub/withdraw/prepare",
            Some(&token),
            None,
        )
        .await;
    refused(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "would_revert",
        "NothingToWithdraw",
    );
    // The dev clock refuses a jump of zero or more than a year.
    for seconds in [0, 400 * 86_400] {
        let r = env
            .call(
                Method::POST,
                "/api/dev/time",
                None,
                Some(json!({"seconds": seconds})),
            )
            .await;
        refused(&r, StatusCode::BAD_REQUEST, "bad_seconds", "seconds");
    }
}

/// Labels of the seeded texts: negative 0, positive 1.
const TRUTH: [u8; 6] = [1, 0, 1, 0, 1, 0];

#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::too_many_lines)] // one job from commit to withdrawal, step by step
async fn commit_reveal_settle_and_withdraw_pay_the_majority_slash_the_minority_and_forfeit_the_unrevealed(
) {
    let env = Env::new("hub-cycle", |c| c.dev = true).await;
    let seed = seed(&env).await;
    let job = seed.job;
    let (_, terms) = env
        .call(Method::GET, &format!("/api/hub/jobs/{job}"), None, None)
        .await;
    let (commit_end, reveal_end) = (
        terms["commit_end"].as_i64().unwrap(),
        terms["reveal_end"].as_i64().unwrap(),
    );
    let [ta, tb, tc] = [
        env.sign_in(ANN_A).await,
        env.sign_in(ANN_B).await,
        env.sign_in(ANN_C).await,
    ];
    let commit_path = format!("/api/hub/jobs/{job}/commit/prepare");
    let reveal_path = format!("/api/hub/jobs/{job}/reveal/prepare");
    let settle_path = format!("/api/hub/jobs/{job}/settle/prepare");
    let c0 = format!("{:#x}", B256::repeat_byte(7));

    // Commits: refused without a session, with bad tasks or commitments,
    // and without stake (by name).
    let r = env
        .call(
            Method::POST,
            &commit_path,
            None,
            Some(json!({"task_ids": [0], "commitment": c0})),
        )
        .await;
    assert_eq!(r.0, StatusCode::UNAUTHORIZED, "{}", r.1);
    for (body, code, needle) in [
        (
            json!({"task_ids": [], "commitment": c0}),
            "bad_tasks",
            "1 to 64",
        ),
        (
            json!({"task_ids": [2, 1], "commitment": c0}),
            "bad_tasks",
            "ascending",
        ),
        (
            json!({"task_ids": [6], "commitment": c0}),
            "bad_tasks",
            "outside",
        ),
        (
            json!({"task_ids": [0], "commitment": "0x12"}),
            "bad_commitment",
            "32-byte",
        ),
        (
            json!({"task_ids": [0], "commitment": format!("{:#x}", B256::ZERO)}),
            "bad_commitment",
            "zero",
        ),
    ] {
        let r = env
            .call(Method::POST, &commit_path, Some(&ta), Some(body))
            .await;
        refused(&r, StatusCode::BAD_REQUEST, code, needle);
    }
    let r = env
        .call(
            Method::POST,
            &commit_path,
            Some(&ta),
            Some(json!({"task_ids": [0, 1], "commitment": c0})),
        )
        .await;
    refused(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "would_revert",
        "InsufficientStake",
    );
    let r = env
        .call(
            Method::POST,
            "/api/hub/jobs/999/commit/prepare",
            Some(&ta),
            Some(json!({"task_ids": [0], "commitment": c0})),
        )
        .await;
    refused(&r, StatusCode::NOT_FOUND, "not_found", "no hub job 999");

    // A labels every task as the truth; B too but task 4; C commits tasks
    // 0–4 as the truth and task 5 in a second batch it will never reveal.
    stake(&env, ANN_A, &ta, 7 * HUB_STAKE).await;
    for (i, t) in [(ANN_B, &tb), (ANN_C, &tc)] {
        stake(&env, i, t, 6 * HUB_STAKE).await;
    }
    let all = [0, 1, 2, 3, 4, 5];
    let mut b_labels = TRUTH;
    b_labels[4] = 0;
    let (sa, sb, sc, sd) = (
        B256::random(),
        B256::random(),
        B256::random(),
        B256::random(),
    );
    let ba = commit(&env, ANN_A, &ta, job, &all, &TRUTH, sa).await;
    let bb = commit(&env, ANN_B, &tb, job, &all, &b_labels, sb).await;
    let bc = commit(&env, ANN_C, &tc, job, &all[..5], &TRUTH[..5], sc).await;
    let bd = commit(&env, ANN_C, &tc, job, &[5], &[0], sd).await;
    let mine = batches_when(&env, &ta, job, |v| {
        v["batches"].as_array().is_some_and(|b| b.len() == 1)
    })
    .await;
    assert_eq!(mine["unrevealed"], 1);
    assert_eq!(mine["phase"], "commit");
    assert_eq!(mine["record"]["open_batches"], 1);
    assert_eq!(mine["record"]["locked"], (6 * HUB_STAKE).to_string());
    let batch = &mine["batches"][0];
    assert_eq!(batch["status"], "committed");
    assert_eq!(batch["tasks"], json!(all));
    assert_eq!(batch["locked"], (6 * HUB_STAKE).to_string());
    assert!(batch["commit_tx"].as_str().unwrap().starts_with("0x"));
    // A task labelled twice, a task whose three slots are taken: refused by name.
    let again = format!(
        "{:#x}",
        commitment(job, env.address(ANN_A), &[1], B256::ZERO)
    );
    let r = env
        .call(
            Method::POST,
            &commit_path,
            Some(&ta),
            Some(json!({"task_ids": [0], "commitment": again})),
        )
        .await;
    refused(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "would_revert",
        "AlreadyVoted",
    );
    let fourth = env.sign_in(CREATOR).await;
    stake(&env, CREATOR, &fourth, HUB_STAKE).await;
    let r = env
        .call(
            Method::POST,
            &commit_path,
            Some(&fourth),
            Some(json!({"task_ids": [0], "commitment": again})),
        )
        .await;
    refused(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "would_revert",
        "TaskFull",
    );
    let (_, tasks) = env
        .call(
            Method::GET,
            &format!("/api/hub/jobs/{job}/tasks"),
            None,
            None,
        )
        .await;
    assert!(
        tasks
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["committed"] == 3 && t["full"] == true),
        "{tasks}"
    );
    // Reveals and settlements wait for their phases.
    let r = env
        .call(
            Method::POST,
            &reveal_path,
            Some(&ta),
            Some(json!({"batch_id": ba, "labels": TRUTH, "salt": format!("{sa:#x}")})),
        )
        .await;
    refused(
        &r,
        StatusCode::CONFLICT,
        "wrong_phase",
        "is in its commit phase",
    );
    let r = env
        .call(
            Method::POST,
            &settle_path,
            Some(&ta),
            Some(json!({"batch_id": ba})),
        )
        .await;
    refused(
        &r,
        StatusCode::CONFLICT,
        "wrong_phase",
        "batches settle from",
    );

    // The reveal phase: commits are closed; each reveal is checked first.
    advance_past(&env, commit_end).await;
    let r = env
        .call(
            Method::POST,
            &commit_path,
            Some(&ta),
            Some(json!({"task_ids": [0], "commitment": c0})),
        )
        .await;
    refused(
        &r,
        StatusCode::CONFLICT,
        "wrong_phase",
        "is in its reveal phase",
    );
    let salt = format!("{sa:#x}");
    for (who, body, status, code, needle) in [
        (
            &ta,
            json!({"batch_id": ba, "labels": TRUTH, "salt": format!("{sb:#x}")}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "commitment_mismatch",
            "do not open",
        ),
        (
            &ta,
            json!({"batch_id": ba, "labels": b_labels, "salt": salt}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "commitment_mismatch",
            "do not open",
        ),
        (
            &ta,
            json!({"batch_id": ba, "labels": [1, 0], "salt": salt}),
            StatusCode::BAD_REQUEST,
            "bad_labels",
            "2 labels for the batch's 6 tasks",
        ),
        (
            &ta,
            json!({"batch_id": ba, "labels": [1, 0, 1, 0, 1, 7], "salt": salt}),
            StatusCode::BAD_REQUEST,
            "bad_labels",
            "not a class",
        ),
        (
            &ta,
            json!({"batch_id": ba, "labels": TRUTH, "salt": "salty"}),
            StatusCode::BAD_REQUEST,
            "bad_salt",
            "32-byte",
        ),
        (
            &ta,
            json!({"batch_id": 99, "labels": TRUTH, "salt": salt}),
            StatusCode::NOT_FOUND,
            "not_found",
            "no batch 99",
        ),
        (
            &tb,
            json!({"batch_id": ba, "labels": TRUTH, "salt": salt}),
            StatusCode::FORBIDDEN,
            "not_your_batch",
            "not by the signed-in address",
        ),
    ] {
        let r = env
            .call(Method::POST, &reveal_path, Some(who), Some(body))
            .await;
        refused(&r, status, code, needle);
    }
    for (i, t, batch, labels, s) in [
        (ANN_A, &ta, ba, TRUTH.to_vec(), sa),
        (ANN_B, &tb, bb, b_labels.to_vec(), sb),
        (ANN_C, &tc, bc, TRUTH[..5].to_vec(), sc),
    ] {
        let tx = ok(
            &env,
            t,
            &reveal_path,
            json!({"batch_id": batch, "labels": labels, "salt": format!("{s:#x}")}),
        )
        .await;
        assert_eq!(
            tx["function"],
            "revealBatch(uint256,uint256,bytes,bytes,bytes32)"
        );
        env.send_prepared(i, &tx).await;
    }
    let mine = batches_when(&env, &ta, job, |v| v["batches"][0]["status"] == "revealed").await;
    assert_eq!(mine["unrevealed"], 0);
    assert_eq!(mine["batches"][0]["labels"], json!(TRUTH));
    let r = env
        .call(
            Method::POST,
            &reveal_path,
            Some(&ta),
            Some(json!({"batch_id": ba, "labels": TRUTH, "salt": salt})),
        )
        .await;
    refused(
        &r,
        StatusCode::CONFLICT,
        "already_revealed",
        "already revealed",
    );
    let theirs = batches_when(&env, &tc, job, |v| v["unrevealed"] == 1).await;
    assert_eq!(theirs["batches"].as_array().unwrap().len(), 2);
    // The tally is public once revealed: task 4 is 2–1 for positive.
    let (_, tasks) = env
        .call(
            Method::GET,
            &format!("/api/hub/jobs/{job}/tasks"),
            None,
            None,
        )
        .await;
    let t4 = &tasks[4]["consensus"];
    assert_eq!(
        (
            t4["state"].as_str(),
            t4["label"].as_u64(),
            t4["votes"].as_u64(),
            t4["revealed"].as_u64()
        ),
        (Some("consensus"), Some(1), Some(2), Some(3)),
        "{t4}"
    );
    assert_eq!(
        tasks[5]["consensus"]["revealed"], 2,
        "C's second batch is not revealed"
    );

    // The settle phase: A's, B's and C's revealed batches settle; C's
    // unrevealed one is forfeited (by A, who earns a tenth of the slash).
    advance_past(&env, reveal_end).await;
    let r = env
        .call(
            Method::POST,
            &settle_path,
            Some(&ta),
            Some(json!({"batch_id": 77})),
        )
        .await;
    refused(&r, StatusCode::NOT_FOUND, "not_found", "no batch 77");
    for (i, t, batch) in [(ANN_A, &ta, ba), (ANN_B, &tb, bb), (ANN_C, &tc, bc)] {
        let tx = ok(&env, t, &settle_path, json!({"batch_id": batch})).await;
        assert_eq!(
            tx["function"],
            "settleBatch(uint256,uint256,address,bytes,bytes)"
        );
        env.send_prepared(i, &tx).await;
    }
    let tx = ok(&env, &ta, &settle_path, json!({"batch_id": bd})).await;
    assert_eq!(
        tx["function"],
        "forfeitBatch(uint256,uint256,address,bytes,bytes32)"
    );
    env.send_prepared(ANN_A, &tx).await;
    let r = env
        .call(
            Method::POST,
            &settle_path,
            Some(&ta),
            Some(json!({"batch_id": ba})),
        )
        .await;
    refused(
        &r,
        StatusCode::CONFLICT,
        "already_settled",
        "already settled",
    );

    // Tasks 0–3: three agree, a reward each; task 4: A and C share the
    // bounty (1.5 rewards each), B loses half a stake; task 5: A and B share it.
    let r = HUB_REWARD;
    let expect = [
        (&ta, 4 * r + 3 * r / 2 + 3 * r / 2, 6, 0, 0),
        (&tb, 4 * r + 3 * r / 2, 5, 1, HUB_STAKE / 2),
    ];
    for (t, paid, agreed, disagreed, slashed) in expect {
        let v = batches_when(&env, t, job, |v| v["batches"][0]["status"] == "settled").await;
        let s = &v["batches"][0];
        assert_eq!(s["paid"], paid.to_string(), "{s}");
        assert_eq!(
            (s["agreed"].as_u64(), s["disagreed"].as_u64()),
            (Some(agreed), Some(disagreed)),
            "{s}"
        );
        assert_eq!(s["slashed"], slashed.to_string(), "{s}");
        assert_eq!(s["gold_failed"], false);
        assert!(s["settle_tx"].is_string());
        assert_eq!(v["record"]["open_batches"], 0);
    }
    let v = batches_when(&env, &tc, job, |v| v["batches"][1]["status"] == "forfeited").await;
    assert_eq!(v["batches"][0]["paid"], (4 * r + 3 * r / 2).to_string());
    assert_eq!(v["batches"][1]["slashed"], HUB_STAKE.to_string());

    // A withdraws its pay and the forfeit's keeper share.
    let (_, before) = env
        .call(Method::GET, "/api/hub/stake", Some(&ta), None)
        .await;
    let credit: u128 = before["credit"].as_str().unwrap().parse().unwrap();
    assert_eq!(credit, 7 * r + HUB_STAKE / 10);
    assert_eq!(before["locked"], "0");
    let tx = ok(&env, &ta, "/api/hub/withdraw/prepare", json!({})).await;
    assert_eq!(tx["function"], "withdraw(address)");
    env.send_prepared(ANN_A, &tx).await;
    let (_, after) = env
        .call(Method::GET, "/api/hub/stake", Some(&ta), None)
        .await;
    assert_eq!(after["credit"], "0");
    let gained = after["token_balance"]
        .as_str()
        .unwrap()
        .parse::<u128>()
        .unwrap()
        - before["token_balance"]
            .as_str()
            .unwrap()
            .parse::<u128>()
            .unwrap();
    assert_eq!(gained, credit);
    assert_eq!(after["reputation"]["judged"], 6);
    assert_eq!(after["reputation"]["agreed"], 6);
}
