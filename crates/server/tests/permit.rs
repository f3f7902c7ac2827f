//! RewardToken payments with EIP-2612 permits over HTTP: a review job's
//! escrow pulled by `createJobWithPermit`, a dataset licence bought by
//! `purchaseWithPermit`, and every bad permit named before a wallet opens.

mod common;

use alloy_primitives::{Address, B256, U256};
use common::{lmr_balance, mint_lmr, sample_texts, upload, Env, ANN_A, ANN_B, BUYER, CREATOR};
use labelmint_client::{sign_permit, Permit};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// One RewardToken.
const LMR: u128 = 1_000_000_000_000_000_000;

/// Asserts a `{code, message}` error with `status` and `code`.
fn refused(answer: &(StatusCode, Value), status: StatusCode, code: &str) {
    let (st, v) = answer;
    assert_eq!(*st, status, "{v}");
    assert_eq!(v["code"], code, "{v}");
}

/// `{deadline, signature}` of a permit signed by dev account `i`.
fn signed(env: &Env, i: usize, spender: Address, value: U256, nonce: U256, deadline: u64) -> Value {
    let p = sign_permit(
        &env.key(i),
        env.chain.contracts.token,
        env.server.state.rpc.chain_id,
        Permit {
            owner: env.address(i),
            spender,
            value,
            nonce,
            deadline: U256::from(deadline),
        },
    )
    .unwrap();
    let mut sig = p.r.to_vec();
    sig.extend_from_slice(p.s.as_slice());
    sig.push(p.v);
    json!({"deadline": deadline.to_string(), "signature": format!("0x{}", alloy_primitives::hex::encode(sig))})
}

#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::too_many_lines)]
async fn token_escrow_with_a_permit_creates_the_job_and_bad_permits_are_named() {
    let env = Env::new("permit-job", |_| {}).await;
    mint_lmr(&env, CREATOR, 10 * LMR).await;
    let creator = env.sign_in(CREATOR).await;
    let token = format!("{:#x}", env.chain.contracts.token);
    let market = env.chain.contracts.market;
    let texts = sample_texts();
    let root = upload(&env, &creator, &texts).await;
    let reward = LMR / 100;
    let escrow = U256::from(reward) * U256::from(texts.len());

    // The typed data: the domain is the token's own (eip712Domain), the
    // nonce the owner's; the digest is what the client library signs.
    let (st, typed) = env
        .call(
            Method::POST,
            "/api/permits/prepare",
            Some(&creator),
            Some(json!({"spender": "market", "value": escrow.to_string()})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{typed}");
    let td = &typed["typed_data"];
    assert_eq!(td["primaryType"], "Permit");
    assert_eq!(td["domain"]["name"], labelmint_client::token::DOMAIN_NAME);
    assert_eq!(td["domain"]["version"], "1");
    assert_eq!(
        td["domain"]["chainId"].as_u64(),
        Some(env.server.state.rpc.chain_id)
    );
    assert_eq!(
        td["domain"]["verifyingContract"]
            .as_str()
            .unwrap()
            .to_lowercase(),
        token
    );
    assert_eq!(td["message"]["nonce"], "0");
    assert_eq!(td["message"]["value"], escrow.to_string());
    assert_eq!(
        td["message"]["spender"].as_str().unwrap().to_lowercase(),
        format!("{market:#x}")
    );
    let deadline: u64 = typed["deadline"].as_str().unwrap().parse().unwrap();
    let digest: B256 = typed["digest"].as_str().unwrap().parse().unwrap();
    let mine = Permit {
        owner: env.address(CREATOR),
        spender: market,
        value: escrow,
        nonce: U256::ZERO,
        deadline: U256::from(deadline),
    };
    let domain = alloy_sol_types::eip712_domain! {
        name: labelmint_client::token::DOMAIN_NAME,
        version: "1",
        chain_id: env.server.state.rpc.chain_id,
        verifying_contract: env.chain.contracts.token,
    };
    assert_eq!(
        alloy_sol_types::SolStruct::eip712_signing_hash(&mine, &domain),
        digest
    );
    for (body, code) in [
        (json!({"spender": "nobody", "value": "1"}), "bad_spender"),
        (json!({"spender": "market", "value": "x"}), "bad_amount"),
        (
            json!({"spender": "market", "value": "1", "deadline_secs": 0}),
            "bad_deadline",
        ),
    ] {
        refused(
            &env.call(
                Method::POST,
                "/api/permits/prepare",
                Some(&creator),
                Some(body),
            )
            .await,
            StatusCode::BAD_REQUEST,
            code,
        );
    }
    let (st, _) = env
        .call(
            Method::POST,
            "/api/permits/prepare",
            None,
            Some(json!({"spender": "market", "value": "1"})),
        )
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);

    let job = |extra: Value| {
        let mut b = json!({"data_root": root, "reward_per_task": reward.to_string(), "schema": "categorical",
            "classes": ["negative", "positive"], "title": "paid in LMR", "token": token});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let prepare = |body: Value| {
        let env = &env;
        let creator = &creator;
        async move {
            env.call(Method::POST, "/api/jobs/prepare", Some(creator), Some(body))
                .await
        }
    };
    // No permit, another token, an expired permit, a permit for another
    // amount, another spender or from another key: each named.
    refused(
        &prepare(job(json!({}))).await,
        StatusCode::BAD_REQUEST,
        "permit_required",
    );
    refused(
        &prepare(job(
            json!({"token": format!("{:#x}", Address::repeat_byte(7))}),
        ))
        .await,
        StatusCode::BAD_REQUEST,
        "unsupported_token",
    );
    let good = signed(&env, CREATOR, market, escrow, U256::ZERO, deadline);
    let now = deadline - permit_secs();
    let expired = signed(&env, CREATOR, market, escrow, U256::ZERO, now - 10);
    let (st, v) = prepare(job(json!({"permit": expired}))).await;
    assert_eq!(
        (st, v["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("permit_expired")),
        "{v}"
    );
    assert!(v["message"].as_str().unwrap().contains("expired"), "{v}");
    for wrong in [
        signed(
            &env,
            CREATOR,
            market,
            escrow - U256::from(1),
            U256::ZERO,
            deadline,
        ),
        signed(
            &env,
            CREATOR,
            env.chain.contracts.registry,
            escrow,
            U256::ZERO,
            deadline,
        ),
        signed(&env, CREATOR, market, escrow, U256::from(1), deadline),
        signed(&env, ANN_B, market, escrow, U256::ZERO, deadline),
    ] {
        let (st, v) = prepare(job(json!({"permit": wrong}))).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], "permit_invalid", "{v}");
    }
    refused(
        &prepare(job(
            json!({"permit": {"deadline": deadline.to_string(), "signature": "0x1234"}}),
        ))
        .await,
        StatusCode::BAD_REQUEST,
        "bad_signature",
    );
    // More escrow than the wallet holds (2 LMR × 6 texts against the 10
    // LMR minted): named before the chain is asked.
    let (st, big_typed) = env
        .call(
            Method::POST,
            "/api/permits/prepare",
            Some(&creator),
            Some(json!({"spender": "market", "value": (U256::from(2 * LMR) * U256::from(texts.len())).to_string()})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{big_typed}");
    let big = signed(
        &env,
        CREATOR,
        market,
        U256::from(2 * LMR) * U256::from(texts.len()),
        U256::ZERO,
        deadline,
    );
    let mut body = job(json!({"permit": big}));
    body["reward_per_task"] = json!((2 * LMR).to_string());
    refused(
        &prepare(body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "insufficient_tokens",
    );

    // The good permit: createJobWithPermit, simulated, pulls exactly the escrow.
    let before = lmr_balance(&env, CREATOR).await;
    let (st, prepared) = prepare(job(json!({"permit": good}))).await;
    assert_eq!(st, StatusCode::OK, "{prepared}");
    assert!(
        prepared["tx"]["function"]
            .as_str()
            .unwrap()
            .starts_with("createJobWithPermit("),
        "{prepared}"
    );
    assert_eq!(prepared["tx"]["value"], "0");
    assert!(prepared["tx"]["gas"].is_string(), "simulated: {prepared}");
    assert_eq!(prepared["escrow"], escrow.to_string());
    let receipt = env.send_prepared(CREATOR, &prepared["tx"]).await;
    assert!(receipt.status());
    assert_eq!(lmr_balance(&env, CREATOR).await, before - escrow);
    let id = common::market_job_of(&receipt);
    let j = env.wait_job(id).await;
    assert_eq!(j["token"].as_str().unwrap().to_lowercase(), token, "{j}");
    assert_eq!(j["escrow_held"], escrow.to_string(), "{j}");
    assert_eq!(
        j["arbiter_terms"],
        labelmint_client::market::DEFAULT_TOKEN_TERMS
    );
    // The permit is spent: the same one again is no longer the owner's
    // signature for the current nonce.
    let (st, v) = prepare(job(
        json!({"permit": signed(&env, CREATOR, market, escrow, U256::ZERO, deadline)}),
    ))
    .await;
    assert_eq!(
        (st, v["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("permit_invalid")),
        "{v}"
    );
}

/// The default lifetime of a prepared permit.
fn permit_secs() -> u64 {
    labelmint_server::api::permit::DEFAULT_PERMIT_SECS
}

#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::too_many_lines)] // one purchase: every refusal of its permit, then the good one
async fn token_priced_dataset_is_bought_with_a_permit() {
    let env = Env::new("permit-buy", |_| {}).await;
    let creator = env.sign_in(CREATOR).await;
    let a = env.sign_in(ANN_A).await;
    let buyer = env.sign_in(BUYER).await;
    let token = format!("{:#x}", env.chain.contracts.token);
    let price = U256::from(LMR / 4);
    // A settled job's dataset priced in the RewardToken.
    let (id, package_root) =
        common::publish_text_dataset(&env, &creator, &a, &price.to_string(), Some(token.clone()))
            .await;
    let (_, d) = env
        .call(Method::GET, &format!("/api/datasets/{id}"), None, None)
        .await;
    assert_eq!(
        d["payment_token"].as_str().unwrap().to_lowercase(),
        token,
        "{d}"
    );
    assert_eq!(d["price"], price.to_string());
    mint_lmr(&env, BUYER, LMR).await;
    let path = format!("/api/datasets/{id}/purchase/prepare");
    refused(
        &env.call(Method::POST, &path, Some(&buyer), Some(json!({})))
            .await,
        StatusCode::BAD_REQUEST,
        "permit_required",
    );
    let (st, typed) = env
        .call(
            Method::POST,
            "/api/permits/prepare",
            Some(&buyer),
            Some(json!({"spender": "registry", "value": price.to_string()})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{typed}");
    let deadline: u64 = typed["deadline"].as_str().unwrap().parse().unwrap();
    let registry = env.chain.contracts.registry;
    // A permit for less than the price, or to the market, is not the one.
    for wrong in [
        signed(
            &env,
            BUYER,
            registry,
            price - U256::from(1),
            U256::ZERO,
            deadline,
        ),
        signed(
            &env,
            BUYER,
            env.chain.contracts.market,
            price,
            U256::ZERO,
            deadline,
        ),
    ] {
        let (st, v) = env
            .call(
                Method::POST,
                &path,
                Some(&buyer),
                Some(json!({"permit": wrong})),
            )
            .await;
        assert_eq!(
            (st, v["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("permit_invalid")),
            "{v}"
        );
    }
    let before = lmr_balance(&env, BUYER).await;
    let (st, tx) = env
        .call(
            Method::POST,
            &path,
            Some(&buyer),
            Some(json!({"permit": signed(&env, BUYER, registry, price, U256::ZERO, deadline)})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{tx}");
    assert!(
        tx["function"]
            .as_str()
            .unwrap()
            .starts_with("purchaseWithPermit("),
        "{tx}"
    );
    assert!(tx["gas"].is_string(), "simulated: {tx}");
    env.send_prepared(BUYER, &tx).await;
    assert_eq!(lmr_balance(&env, BUYER).await, before - price);
    // Licensed: the download works; a second purchase is refused by name.
    let resp = env
        .http
        .get(format!("{}/api/datasets/{id}/download", env.url()))
        .bearer_auth(&buyer)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (st, v) = env
        .call(
            Method::POST,
            &path,
            Some(&buyer),
            Some(json!({"permit": signed(&env, BUYER, registry, price, U256::from(1), deadline)})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("AlreadyLicensed"),
        "{v}"
    );
    // Publishing in a token other than ETH or the RewardToken is refused.
    refused(
        &env.call(
            Method::POST,
            "/api/datasets/prepare",
            Some(&creator),
            Some(
                json!({"root": package_root, "job_id": 1, "format": "jsonl-instruction",
                "price": "1", "payment_token": format!("{:#x}", Address::repeat_byte(9))}),
            ),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "unsupported_token",
    );
}
