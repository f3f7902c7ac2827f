//! Buyers' fine-tuning requests over HTTP against the fake 0G fine-tuning
//! provider of `crates/zg/tests/fake` (which checks the task's signature the
//! way 0G's provider does): the licence checked on chain first, the buyer's
//! wallet signing the request, the task's progress followed to delivery;
//! and a server without a provider saying so.

mod common;

#[path = "../../zg/tests/fake/mod.rs"]
mod fake;

use alloy_primitives::{eip191_hash_message, B256};
use common::{publish_text_dataset, refused, Env, ANN_A, ANN_B, BUYER, CREATOR};
use labelmint_client::sign_digest;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// `personal_sign` of a 32-byte digest by dev account `i`.
fn personal_sign(env: &Env, i: usize, digest: &str) -> String {
    let d: B256 = digest.parse().unwrap();
    sign_digest(&env.key(i), eip191_hash_message(d.as_slice()))
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::too_many_lines)] // one request from the licence check to delivery
async fn finetune_request_is_signed_by_the_licensed_buyer_sent_to_the_broker_and_followed_to_delivery(
) {
    let (broker, broker_state) = fake::broker();
    let url = broker.url.clone();
    let env = Env::new("finetune", move |c| c.broker_url = Some(url)).await;
    let (_, config) = env.call(Method::GET, "/api/config", None, None).await;
    assert_eq!(config["broker"], true, "{config}");
    let creator = env.sign_in(CREATOR).await;
    let a = env.sign_in(ANN_A).await;
    let buyer = env.sign_in(BUYER).await;
    let stranger = env.sign_in(ANN_B).await;
    let (id, root) = publish_text_dataset(&env, &creator, &a, "1000", None).await;

    let (st, models) = env
        .call(Method::GET, "/api/finetune/models", None, None)
        .await;
    assert_eq!(st, StatusCode::OK, "{models}");
    assert_eq!(models[0]["name"], "Qwen2.5-0.5B-Instruct");
    assert_eq!(models[0]["data_type"], "text");

    let prepare = format!("/api/datasets/{id}/finetune/prepare");
    let body = json!({"model": "Qwen2.5-0.5B-Instruct", "fee": "10"});
    let r = env
        .call(Method::POST, &prepare, None, Some(body.clone()))
        .await;
    assert_eq!(r.0, StatusCode::UNAUTHORIZED, "{}", r.1);
    // No licence yet: refused before the provider is asked.
    let r = env
        .call(Method::POST, &prepare, Some(&buyer), Some(body.clone()))
        .await;
    refused(&r, StatusCode::FORBIDDEN, "no_licence", "holds no licence");
    let r = env
        .call(
            Method::POST,
            "/api/datasets/99/finetune/prepare",
            Some(&buyer),
            Some(body.clone()),
        )
        .await;
    refused(&r, StatusCode::NOT_FOUND, "not_found", "no dataset 99");
    let (st, tx) = env
        .call(
            Method::POST,
            &format!("/api/datasets/{id}/purchase/prepare"),
            Some(&buyer),
            Some(json!({})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{tx}");
    env.send_prepared(BUYER, &tx).await;

    let r = env
        .call(
            Method::POST,
            &prepare,
            Some(&buyer),
            Some(json!({"model": "gpt-9"})),
        )
        .await;
    refused(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_model",
        "Qwen2.5-0.5B-Instruct",
    );
    for bad in [
        json!({"model": "Qwen2.5-0.5B-Instruct", "fee": "free"}),
        json!({"model": "Qwen2.5-0.5B-Instruct", "training_params": "[1, 2]"}),
        json!({"model": "Qwen2.5-0.5B-Instruct", "training_params": "not json"}),
    ] {
        let (st, v) = env
            .call(Method::POST, &prepare, Some(&buyer), Some(bad))
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    }
    let (st, prepared) = env
        .call(Method::POST, &prepare, Some(&buyer), Some(body.clone()))
        .await;
    assert_eq!(st, StatusCode::OK, "{prepared}");
    let request = prepared["request"].clone();
    assert_eq!(request["dataset_hash"], root.as_str());
    assert_eq!(request["fee"], "10");
    assert_eq!(
        request["model_hash"],
        format!("{:#x}", B256::repeat_byte(0x51))
    );
    // The digest is the provider's: keccak256(user ‖ nonce ‖ datasetHash text ‖ fee).
    let digest = prepared["digest"].as_str().unwrap().to_string();
    let expected = labelmint_zg::finetune::request_digest(
        env.address(BUYER),
        request["nonce"].as_str().unwrap().parse().unwrap(),
        &root,
        "10".parse().unwrap(),
    );
    assert_eq!(digest, format!("{expected:#x}"));

    let start = format!("/api/datasets/{id}/finetune");
    // Someone else's signature, a malformed one, a request tampered with.
    let r = env
        .call(
            Method::POST,
            &start,
            Some(&buyer),
            Some(json!({"request": request, "signature": personal_sign(&env, ANN_B, &digest)})),
        )
        .await;
    refused(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "signature_mismatch",
        "personal_sign",
    );
    let r = env
        .call(
            Method::POST,
            &start,
            Some(&buyer),
            Some(json!({"request": request, "signature": "0x00"})),
        )
        .await;
    refused(&r, StatusCode::BAD_REQUEST, "bad_signature", "65 bytes");
    let mut cheaper = request.clone();
    cheaper["fee"] = json!("1");
    let r = env
        .call(
            Method::POST,
            &start,
            Some(&buyer),
            Some(json!({"request": cheaper, "signature": personal_sign(&env, BUYER, &digest)})),
        )
        .await;
    refused(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "signature_mismatch",
        "",
    );
    let mut elsewhere = request.clone();
    elsewhere["dataset_hash"] = json!(format!("{:#x}", B256::repeat_byte(9)));
    let r = env
        .call(
            Method::POST,
            &start,
            Some(&buyer),
            Some(json!({"request": elsewhere, "signature": personal_sign(&env, BUYER, &digest)})),
        )
        .await;
    refused(&r, StatusCode::BAD_REQUEST, "bad_request", "is not dataset");
    // A licence is still needed at the start: the stranger holds none.
    let r = env
        .call(
            Method::POST,
            &start,
            Some(&stranger),
            Some(json!({"request": request, "signature": personal_sign(&env, ANN_B, &digest)})),
        )
        .await;
    refused(&r, StatusCode::FORBIDDEN, "no_licence", "");
    // The provider cannot fetch the dataset yet: its refusal, named.
    let signed = json!({"request": request, "signature": personal_sign(&env, BUYER, &digest)});
    let r = env
        .call(Method::POST, &start, Some(&buyer), Some(signed.clone()))
        .await;
    refused(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "broker_refused",
        "dataset not found",
    );

    broker_state
        .lock()
        .unwrap()
        .datasets
        .push(root.parse().unwrap());
    let (st, task) = env
        .call(Method::POST, &start, Some(&buyer), Some(signed.clone()))
        .await;
    assert_eq!(st, StatusCode::OK, "{task}");
    let task_id = task["task_id"].as_str().unwrap().to_string();
    assert_eq!(task["progress"], "Init");
    assert_eq!(task["dataset_id"], id);
    assert_eq!(task["model"], "Qwen2.5-0.5B-Instruct");
    // The provider recovered the buyer from the signature.
    let users: Vec<_> = broker_state
        .lock()
        .unwrap()
        .nonces
        .keys()
        .copied()
        .collect();
    assert_eq!(users, vec![env.address(BUYER)]);
    // The same signed request again reuses its nonce: the provider refuses it.
    let r = env
        .call(Method::POST, &start, Some(&buyer), Some(signed))
        .await;
    refused(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "broker_refused",
        "nonce",
    );

    let (st, mine) = env
        .call(Method::GET, "/api/finetune/tasks", Some(&buyer), None)
        .await;
    assert_eq!(st, StatusCode::OK, "{mine}");
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["task_id"], task_id.as_str());
    let (_, none) = env
        .call(Method::GET, "/api/finetune/tasks", Some(&stranger), None)
        .await;
    assert_eq!(none, json!([]));

    // Polled until delivered: the states in order, the model's root at the end.
    let status = format!("/api/finetune/tasks/{task_id}");
    let mut seen: Vec<String> = Vec::new();
    let mut done = Value::Null;
    for _ in 0..2400 {
        let (st, v) = env.call(Method::GET, &status, Some(&buyer), None).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let p = v["progress"].as_str().unwrap().to_string();
        if seen.last() != Some(&p) {
            seen.push(p);
        }
        if v["done"] == true {
            done = v;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(done["progress"], "Delivered", "{done}");
    assert_eq!(
        done["output_root"],
        format!("{:#x}", B256::repeat_byte(0x0f))
    );
    assert_eq!(done["dataset_id"], id);
    assert_eq!(seen[0], "Init", "{seen:?}");
    assert!(
        seen.windows(2).all(|w| {
            let at = |s: &str| labelmint_zg::finetune::STATES.iter().position(|x| *x == s);
            at(&w[0]) < at(&w[1])
        }),
        "{seen:?}"
    );

    let r = env
        .call(
            Method::GET,
            "/api/finetune/tasks/task-99",
            Some(&buyer),
            None,
        )
        .await;
    refused(&r, StatusCode::NOT_FOUND, "not_found", "no such task");
    let r = env
        .call(
            Method::GET,
            "/api/finetune/tasks/..%2Fmodel",
            Some(&buyer),
            None,
        )
        .await;
    assert_eq!(r.0, StatusCode::BAD_REQUEST, "{}", r.1);
    let r = env.call(Method::GET, &status, None, None).await;
    assert_eq!(r.0, StatusCode::UNAUTHORIZED);
    // A stranger asking for the buyer's task: this fake provider answers
    // whoever asks (a careless provider), the server does not pass it on.
    let r = env.call(Method::GET, &status, Some(&stranger), None).await;
    refused(
        &r,
        StatusCode::BAD_GATEWAY,
        "broker_error",
        "another task or customer",
    );
    // The publisher may fine-tune on its own dataset without a licence.
    let (st, v) = env
        .call(Method::POST, &prepare, Some(&creator), Some(body))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_broker_the_finetune_endpoints_answer_no_broker() {
    let env = Env::new("finetune-none", |_| {}).await;
    let (_, config) = env.call(Method::GET, "/api/config", None, None).await;
    assert_eq!(config["broker"], false, "{config}");
    let buyer = env.sign_in(BUYER).await;
    let r = env
        .call(Method::GET, "/api/finetune/models", None, None)
        .await;
    refused(
        &r,
        StatusCode::SERVICE_UNAVAILABLE,
        "no_broker",
        "--broker URL",
    );
    let r = env
        .call(
            Method::POST,
            "/api/datasets/1/finetune/prepare",
            Some(&buyer),
            Some(json!({"model": "Qwen2.5-0.5B-Instruct"})),
        )
        .await;
    refused(&r, StatusCode::SERVICE_UNAVAILABLE, "no_broker", "");
    let r = env
        .call(
            Method::GET,
            "/api/finetune/tasks/task-1",
            Some(&buyer),
            None,
        )
        .await;
    refused(&r, StatusCode::SERVICE_UNAVAILABLE, "no_broker", "");
    // The list of one's own tasks needs no provider: there are none.
    let (st, v) = env
        .call(Method::GET, "/api/finetune/tasks", Some(&buyer), None)
        .await;
    assert_eq!((st, v), (StatusCode::OK, json!([])));
}
