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
