//! The fine-tuning broker client against a fake provider that follows the
//! published task states and failure modes.

mod fake;

use std::time::Duration;

use alloy_primitives::{Address, Signature, B256, U256};
use k256::ecdsa::SigningKey;
use labelmint_zg::{
    finetune::{address_of, personal_sign, task_digest, Broker, TaskRequest, STATES},
    Retry, ZgError,
};

fn key(n: u8) -> SigningKey {
    SigningKey::from_slice(&[n; 32]).unwrap()
}

fn request(nonce: u64) -> TaskRequest {
    TaskRequest {
        pre_trained_model_hash: B256::repeat_byte(0x51),
        dataset_hash: B256::repeat_byte(0xda),
        training_params: r#"{"num_train_epochs": 3, "learning_rate": 0.0002}"#.into(),
        fee: U256::from(10u64.pow(16)),
        nonce: U256::from(nonce),
    }
}

/// Follows `id` every millisecond for at most 5 s.
fn wait(
    rt: &tokio::runtime::Runtime,
    broker: &Broker,
    k: &SigningKey,
    id: &str,
    until_delivered: bool,
    on_state: impl FnMut(&str),
) -> Result<labelmint_zg::finetune::Task, ZgError> {
    rt.block_on(broker.wait(
        address_of(k),
        id,
        until_delivered,
        Duration::from_millis(1),
        Duration::from_secs(5),
        on_state,
    ))
}

fn setup() -> (
    fake::Server,
    std::sync::Arc<std::sync::Mutex<fake::BrokerState>>,
    Broker,
    tokio::runtime::Runtime,
) {
    let (server, state) = fake::broker();
    state.lock().unwrap().datasets.push(B256::repeat_byte(0xda));
    let broker = Broker::new(
        &server.url,
        Retry {
            attempts: 2,
            timeout: Duration::from_secs(5),
            backoff: Duration::from_millis(5),
        },
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    (server, state, broker, rt)
}

#[test]
fn a_task_passes_every_state_to_finished_with_a_delivered_model() {
    let (_s, _state, broker, rt) = setup();
    let models = rt.block_on(broker.models()).unwrap();
    assert_eq!(models[0].name, "Qwen2.5-0.5B-Instruct");
    assert_eq!(models[0].hash, B256::repeat_byte(0x51));
    assert!(!rt.block_on(broker.quote()).unwrap().quote.is_empty());
    let k = key(1);
    let task = rt.block_on(broker.create_task(&k, &request(1))).unwrap();
    assert_eq!(
        (task.progress.as_str(), task.user_address),
        ("Init", address_of(&k))
    );
    let mut states = Vec::new();
    let done = wait(&rt, &broker, &k, &task.id, false, |s| {
        states.push(s.to_string());
    })
    .unwrap();
    assert_eq!(states, STATES.to_vec());
    assert_eq!(done.progress, "Finished");
    assert_eq!(done.output_root_hash, Some(B256::repeat_byte(0x0f)));
    assert!(rt
        .block_on(broker.log(address_of(&k), &task.id))
        .unwrap()
        .contains("state Finished"));
}

#[test]
fn waiting_until_delivered_stops_at_delivered() {
    let (_s, _state, broker, rt) = setup();
    let k = key(2);
    let task = rt.block_on(broker.create_task(&k, &request(1))).unwrap();
    let t = wait(&rt, &broker, &k, &task.id, true, |_| {}).unwrap();
    assert_eq!(t.progress, "Delivered");
}

#[test]
fn a_failed_task_reports_the_tail_of_its_log() {
    let (_s, state, broker, rt) = setup();
    state.lock().unwrap().fail_at = Some(3);
    let k = key(3);
    let task = rt.block_on(broker.create_task(&k, &request(1))).unwrap();
    let mut states = Vec::new();
    let err = wait(&rt, &broker, &k, &task.id, false, |s| {
        states.push(s.to_string());
    })
    .unwrap_err();
    assert!(
        matches!(&err, ZgError::TaskFailed { log, .. } if log.contains("CUDA out of memory")),
        "{err}"
    );
    assert_eq!(states.last().map(String::as_str), Some("Failed"));
}

#[test]
fn reused_nonces_unknown_datasets_and_unknown_tasks_are_refused() {
    let (_s, _state, broker, rt) = setup();
    let k = key(4);
    rt.block_on(broker.create_task(&k, &request(5))).unwrap();
    let err = rt
        .block_on(broker.create_task(&k, &request(5)))
        .unwrap_err();
    assert!(
        matches!(&err, ZgError::Status { status: 400, body, .. } if body.contains("nonce")),
        "{err}"
    );
    let mut r = request(6);
    r.dataset_hash = B256::repeat_byte(1);
    let err = rt.block_on(broker.create_task(&k, &r)).unwrap_err();
    assert!(
        matches!(&err, ZgError::Status { status: 400, body, .. } if body.contains("dataset")),
        "{err}"
    );
    let err = rt
        .block_on(broker.task(address_of(&k), "task-999"))
        .unwrap_err();
    assert!(matches!(err, ZgError::Status { status: 404, .. }));
}

#[test]
fn a_state_going_backwards_or_a_stuck_task_is_an_error() {
    let (_s, state, broker, rt) = setup();
    state.lock().unwrap().regress_at = Some(3);
    let k = key(5);
    let task = rt.block_on(broker.create_task(&k, &request(1))).unwrap();
    let err = wait(&rt, &broker, &k, &task.id, false, |_| {}).unwrap_err();
    assert!(
        matches!(&err, ZgError::BadTransition { from, to, .. } if from == "SetUp" && to == "SettingUp"),
        "{err}"
    );
    let mut st = state.lock().unwrap();
    st.regress_at = None;
    st.frozen = true;
    drop(st);
    let task = rt.block_on(broker.create_task(&k, &request(2))).unwrap();
    let err = rt
        .block_on(broker.wait(
            address_of(&k),
            &task.id,
            false,
            Duration::from_millis(5),
            Duration::from_millis(50),
            |_| {},
        ))
        .unwrap_err();
    assert!(matches!(err, ZgError::Timeout { .. }), "{err}");
}

/// The address `sig` (0x r ‖ s ‖ v) recovers to over the EIP-191 message
/// of `digest`, by alloy's recovery (not the client's signing code).
fn recover(digest: B256, sig: &str) -> Address {
    let bytes = alloy_primitives::hex::decode(sig).unwrap();
    Signature::from_raw(&bytes)
        .unwrap()
        .recover_address_from_msg(digest.as_slice())
        .unwrap()
}

#[test]
fn signatures_recover_to_the_signer_and_bind_user_nonce_dataset_and_fee() {
    let k = key(6);
    let user = address_of(&k);
    let r = request(1);
    let digest = task_digest(user, &r);
    let sig = personal_sign(&k, digest);
    assert_eq!(sig.len(), 2 + 130);
    assert_eq!(recover(digest, &sig), user, "recovers to the signer");

    // Each signed field, changed: another digest, over which the signature
    // recovers to somebody else (a provider checking the altered request
    // refuses it).
    let other_user = address_of(&key(7));
    let mut nonce = request(1);
    nonce.nonce += U256::from(1);
    let mut dataset = request(1);
    dataset.dataset_hash = B256::repeat_byte(0xdb);
    let mut fee = request(1);
    fee.fee += U256::from(1);
    let altered = [
        ("user", task_digest(other_user, &r)),
        ("nonce", task_digest(user, &nonce)),
        ("dataset", task_digest(user, &dataset)),
        ("fee", task_digest(user, &fee)),
    ];
    for (field, changed) in altered {
        assert_ne!(changed, digest, "{field} is not in the digest");
        assert_ne!(
            recover(changed, &sig),
            user,
            "{field}: the signature still verifies"
        );
    }

    // The model and the training parameters are not signed: the 0G
    // provider does not bind them (tests/fixtures/zg-broker.json).
    let mut model = request(1);
    model.pre_trained_model_hash = B256::repeat_byte(0x52);
    model.training_params = "{}".into();
    assert_eq!(task_digest(user, &model), digest);
}
