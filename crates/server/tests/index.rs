//! The indexer over restarts and reorgs.

mod common;

use common::{create_job, sample_texts, upload, Env, CREATOR};
use labelmint_server::Server;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn event_count(env: &Env) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM events")
        .fetch_one(&env.server.state.db.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn reorg_rewinds_the_index_to_the_chain_and_a_restart_resumes_without_duplicates() {
    let mut env = Env::new("reorg", |c| c.reorg_depth = 16).await;
    let creator = env.sign_in(CREATOR).await;
    let texts = sample_texts();
    let root_a = upload(&env, &creator, &texts[..2]).await;
    let root_b = upload(&env, &creator, &texts[2..5]).await;

    // A job that will be reorged away.
    let snapshot = env.rpc("evm_snapshot", json!([])).await;
    let doomed = create_job(
        &env,
        &creator,
        &root_a,
        "categorical",
        &["n", "p"],
        json!({}),
    )
    .await;
    let (_, j) = env
        .call(Method::GET, &format!("/api/jobs/{doomed}"), None, None)
        .await;
    assert_eq!(j["data_root"], root_a.as_str());

    // The chain reverts to before it; another job takes the same id, and
    // more blocks follow so the new chain is longer than the old one.
    assert_eq!(env.rpc("evm_revert", json!([snapshot])).await, json!(true));
    let survivor = create_job(
        &env,
        &creator,
        &root_b,
        "categorical",
        &["n", "p"],
        json!({}),
    )
    .await;
    assert_eq!(survivor, doomed, "the same id on the new branch");
    for _ in 0..3 {
        env.rpc("evm_mine", json!([])).await;
    }
    let j = common::wait_for("the index follows the new branch", || async {
        let (st, j) = env
            .call(Method::GET, &format!("/api/jobs/{survivor}"), None, None)
            .await;
        (st == StatusCode::OK && j["data_root"] == root_b.as_str()).then_some(j)
    })
    .await;
    assert_eq!(j["task_count"], 3);
    let (_, events) = env
        .call(
            Method::GET,
            &format!("/api/jobs/{survivor}/events"),
            None,
            None,
        )
        .await;
    let created: Vec<_> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"] == "JobCreated")
        .collect();
    assert_eq!(created.len(), 1, "the reorged JobCreated is gone: {events}");
    let reorgs = env
        .http
        .get(format!("{}/metrics", env.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        reorgs
            .lines()
            .any(|l| l.starts_with("labelmint_reorgs_total") && !l.ends_with(" 0")),
        "{reorgs}"
    );

    // Restart on the same database: the cursor resumes, nothing is stored twice.
    let before = event_count(&env).await;
    env.server.stop().await;
    env.server = Server::start(common::config(&env.chain, &env.database, &env.dir))
        .await
        .unwrap();
    let creator = env.sign_in(CREATOR).await;
    let third = create_job(
        &env,
        &creator,
        &root_a,
        "categorical",
        &["n", "p"],
        json!({}),
    )
    .await;
    assert_eq!(third, survivor + 1);
    let after = event_count(&env).await;
    assert!(after > before);
    let dup: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT block, log_index FROM events GROUP BY block, log_index HAVING COUNT(*) > 1) d")
        .fetch_one(&env.server.state.db.pool)
        .await
        .unwrap();
    assert_eq!(dup, 0);
    let jobs_created: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE name = 'JobCreated'")
            .fetch_one(&env.server.state.db.pool)
            .await
            .unwrap();
    assert_eq!(jobs_created, 2, "the survivor and the third, each once");
}

/// `GET /api/governance`: a parameter change proposed through the Timelock
/// is listed with its readable call, waiting until the delay has passed,
/// then ready, then done with the executing transaction; a cancelled one
/// says so; `/api/config` names the Timelock.
#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::too_many_lines, clippy::many_single_char_names)]
async fn governance_lists_timelock_changes_waiting_ready_done_and_cancelled() {
    use alloy_primitives::U256;
    use labelmint_client::{registry::IRegistry, timelock::Operation};
    let env = Env::new("governance", |_| {}).await;
    let c = env.chain.contracts.clone();
    assert!(
        !c.timelock.is_zero(),
        "the dev chain is governed by a Timelock"
    );
    let (st, config) = env.call(Method::GET, "/api/config", None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(config["timelock"], c.timelock.to_checksum(None));
    let get = || async {
        let (st, v) = env.call(Method::GET, "/api/governance", None, None).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        v
    };
    let g = get().await;
    let delay: u64 = g["min_delay"].as_str().unwrap().parse().unwrap();
    assert_eq!(delay, 2 * 86_400, "labelmint-deploy's default delay");

    // The deployer (the proposer) proposes a royalty of 15 % and a fee,
    // then cancels the fee.
    let royalty = Operation::new(c.registry, &IRegistry::setRoyaltyBpsCall { bps: 1500 });
    let fee = Operation::new(
        c.registry,
        &IRegistry::setFeeCall {
            recipient: env.address(9),
            bps: 300,
        },
    );
    let deployer = env.wallet(0);
    let scheduled = deployer
        .send(c.timelock, &royalty.schedule(delay), U256::ZERO)
        .await
        .unwrap();
    deployer
        .send(c.timelock, &fee.schedule(delay), U256::ZERO)
        .await
        .unwrap();
    let cancelled = deployer
        .send(
            c.timelock,
            &labelmint_client::timelock::ITimelock::cancelCall { id: fee.id() },
            U256::ZERO,
        )
        .await
        .unwrap();
    let op = |g: &serde_json::Value, id: alloy_primitives::B256| {
        g["operations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == id.to_string())
            .cloned()
    };
    let g = common::wait_for("the proposals indexed", || async {
        let g = get().await;
        (op(&g, royalty.id()).is_some()
            && op(&g, fee.id()).is_some_and(|o| o["cancelled_tx"].is_string()))
        .then_some(g)
    })
    .await;
    // The deploy tool's hand-over is the first operation: done, by name.
    assert!(
        g["operations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["state"] == "done"
                && o["calls"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c["description"] == "DatasetRegistry.acceptAdmin() 0x")),
        "{g}"
    );
    let r = op(&g, royalty.id()).unwrap();
    assert_eq!(r["state"], "waiting");
    assert_eq!(
        r["calls"][0]["description"],
        "DatasetRegistry.setRoyaltyBps(uint16) 0x00000000000000000000000000000000000000000000000000000000000005dc"
    );
    assert_eq!(r["calls"][0]["target"], c.registry.to_checksum(None));
    assert_eq!(r["delay"], delay.to_string());
    assert_eq!(
        r["scheduled_tx"],
        scheduled.transaction_hash.to_string(),
        "{r}"
    );
    let ready_at = r["ready_at"].as_u64().unwrap();
    assert_eq!(ready_at, r["scheduled_at"].as_u64().unwrap() + delay);
    assert!(g["now"].as_u64().unwrap() < ready_at);
    assert_eq!(
        g["operations"][0]["id"],
        fee.id().to_string(),
        "newest first"
    );
    let f = op(&g, fee.id()).unwrap();
    assert_eq!(f["state"], "cancelled");
    assert_eq!(f["cancelled_tx"], cancelled.transaction_hash.to_string());
    assert!(f["calls"][0]["description"]
        .as_str()
        .unwrap()
        .starts_with("DatasetRegistry.setFee(address,uint16) 0x"));

    // After the delay it is ready; anyone runs it; then it is done.
    env.rpc("evm_increaseTime", json!([delay + 1])).await;
    env.rpc("evm_mine", json!([])).await;
    // (The server caches the chain's time for 200 ms.)
    common::wait_for("ready after the delay", || async {
        op(&get().await, royalty.id()).filter(|o| o["state"] == "ready")
    })
    .await;
    let executed = env
        .wallet(3)
        .send(c.timelock, &royalty.execute(), U256::ZERO)
        .await
        .unwrap();
    let r = common::wait_for("the execution indexed", || async {
        op(&get().await, royalty.id()).filter(|o| o["executed_tx"].is_string())
    })
    .await;
    assert_eq!(r["state"], "done");
    assert_eq!(r["executed_tx"], executed.transaction_hash.to_string());

    // A server that follows no Timelock says so.
    let plain = Env::new("no-timelock", |c| {
        c.contracts.timelock = alloy_primitives::Address::ZERO;
    })
    .await;
    let (st, v) = plain.call(Method::GET, "/api/governance", None, None).await;
    assert_eq!(
        (st, v["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}
