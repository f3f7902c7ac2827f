//! Sign-in with Ethereum over HTTP: the good case, a replayed nonce, a
//! wrong domain, an expired message, a wrong chain, a bad signature, and an
//! EIP-1271 contract wallet.

mod common;

use alloy_primitives::{eip191_hash_message, Address, Bytes, B256, U256};
use common::{call, personal_sign, siwe_message, Env, ANN_A};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn verify(env: &Env, message: &str, signature: &str) -> (StatusCode, serde_json::Value) {
    env.call(
        Method::POST,
        "/api/auth/verify",
        None,
        Some(json!({"message": message, "signature": signature})),
    )
    .await
}

/// A contract wallet (EVM) answering EIP-1271's magic value iff the
/// signature's first word equals the hash it is asked about.
const DIGEST_WALLET: &str = "60043560643514600f5760206000f35b7f1626ba7e0000000000000000000000000000000000000000000000000000000060005260206000f3";

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_checks_domain_chain_nonce_expiry_and_signature() {
    let env = Env::new("auth", |_| {}).await;
    let key = env.key(ANN_A);

    // Good: a session cookie that is HttpOnly and SameSite=Strict, and a
    // bearer token that works.
    let message = siwe_message(&env.http, &env.url(), key).await;
    let resp = env
        .http
        .post(format!("{}/api/auth/verify", env.url()))
        .json(&json!({"message": message, "signature": personal_sign(key, &message)}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("labelmint_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let body: serde_json::Value = resp.json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    let (st, me) = env
        .call(Method::GET, "/api/auth/me", Some(token), None)
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        me["address"].as_str().unwrap().parse::<Address>().unwrap(),
        env.address(ANN_A)
    );
    // The cookie alone signs in too.
    let cookie_pair = cookie.split(';').next().unwrap();
    let resp = env
        .http
        .get(format!("{}/api/auth/me", env.url()))
        .header("cookie", cookie_pair)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    // Replayed: the same message and signature again.
    let (st, v) = verify(&env, &message, &personal_sign(key, &message)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(v["code"], "siwe_nonce");

    // Wrong domain.
    let message = siwe_message(&env.http, &env.url(), key).await;
    let evil = message.replacen(&env.server.state.config.domain, "evil.example:443", 1);
    let (st, v) = verify(&env, &evil, &personal_sign(key, &evil)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(v["code"], "siwe_domain");

    // Wrong chain.
    let chain = env.server.state.rpc.chain_id;
    let other = message.replace(&format!("Chain ID: {chain}"), "Chain ID: 1");
    let (st, v) = verify(&env, &other, &personal_sign(key, &other)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(v["code"], "siwe_chain");

    // Expired: an expiration time in the past.
    let expired = regex_replace_line(
        &message,
        "Expiration Time: ",
        "Expiration Time: 2020-01-01T00:00:00Z",
    );
    let (st, v) = verify(&env, &expired, &personal_sign(key, &expired)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(v["code"], "siwe_expired");

    // Issued long ago.
    let old = regex_replace_line(&message, "Issued At: ", "Issued At: 2020-01-01T00:00:00Z");
    let (st, v) = verify(&env, &old, &personal_sign(key, &old)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(v["code"], "siwe_expired");

    // Someone else's signature.
    let (st, v) = verify(&env, &message, &personal_sign(env.key(ANN_A + 1), &message)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(v["code"], "bad_signature");
    // Not a message at all.
    let (st, v) = verify(&env, "hello", "0x00").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(v["code"], "siwe_malformed");

    // The nonce survived the failed attempts: the real signature still works once.
    let (st, _) = verify(&env, &message, &personal_sign(key, &message)).await;
    assert_eq!(st, StatusCode::OK);

    // No session: 401 JSON.
    let (st, v) = env
        .call(Method::GET, "/api/auth/me", Some("nonsense"), None)
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(v["code"], "session_expired");
    let (st, v) = env.call(Method::GET, "/api/auth/me", None, None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(v["code"], "not_signed_in");

    // Logout ends the session.
    let (st, _) = env
        .call(Method::POST, "/api/auth/logout", Some(token), None)
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = env
        .call(Method::GET, "/api/auth/me", Some(token), None)
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

fn regex_replace_line(message: &str, prefix: &str, line: &str) -> String {
    message
        .lines()
        .map(|l| {
            if l.starts_with(prefix) {
                line.to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn eip1271_contract_wallet_signs_in() {
    let env = Env::new("auth1271", |_| {}).await;
    let runtime = alloy_primitives::hex::decode(DIGEST_WALLET).unwrap();
    let wallet = env
        .wallet(ANN_A)
        .deploy(Bytes::from(labelmint_deploy::init_code(&runtime)))
        .await
        .unwrap();
    let (st, v) = call(
        &env.http,
        &env.url(),
        Method::GET,
        &format!("/api/auth/nonce?address={wallet}"),
        None,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let message = v["message"].as_str().unwrap().to_string();
    let hash = eip191_hash_message(&message);
    // The wallet refuses a signature that is not the hash…
    let (st, v) = verify(&env, &message, &B256::repeat_byte(7).to_string()).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{v}");
    assert_eq!(v["code"], "bad_signature");
    // …and accepts the hash itself (its rule), through EIP-1271.
    let (st, v) = verify(&env, &message, &hash.to_string()).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        v["address"].as_str().unwrap().parse::<Address>().unwrap(),
        wallet
    );
    let _ = U256::ZERO;
}
