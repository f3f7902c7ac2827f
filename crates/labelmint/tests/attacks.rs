//! The attacks of issue #14, run on the real wasm as the contracts stand
//! before the hardening: each test performs the attack and asserts the
//! damage it does today. (Rewritten to assert the attack fails once the
//! contracts are hardened.)
#![allow(missing_docs, clippy::too_many_lines)]

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{sol, SolCall};
use labelmint::{
    market::{batch_digest, Batch, IMarket, JobSpec, Market, SubmitBatch},
    registry::{IRegistry, Marketplace, Publication},
    IRewardToken,
};
use labelmint_devnet::chain::DEFAULT_TX_GAS;

mod common;
use common::{assert_reverts, logs, ok};

sol! {
    interface IOddToken {
        function setMode(uint8 m) external;
        function setFee(uint16 bps) external;
        function mint(address to, uint256 value) external;
        function approve(address spender, uint256 value) external returns (bool);
        function balanceOf(address account) external view returns (uint256);
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let v: serde_json::Value =
        serde_json::from_str(include_str!("../../../tests/fixtures/Adversaries.json")).unwrap();
    let hex = v["contracts"][name]["bytecode"].as_str().unwrap();
    alloy_primitives::hex::decode(hex).unwrap()
}

fn deploy_fixture(m: &mut Market, name: &str) -> Address {
    let admin = m.admin;
    let r = m
        .chain
        .send(admin, None, U256::ZERO, fixture(name), 5_000_000)
        .unwrap();
    ok(&r);
    r.contract_address.unwrap()
}

fn tasks(from: u32, n: u32) -> Vec<u32> {
    (from..from + n).collect()
}

#[test]
fn attack_one_address_locks_a_whole_job_by_direct_submission() {
    let mut m = Market::deploy(false).unwrap();
    let (creator, attacker, honest) = (m.chain.account(1), m.chain.account(2), m.chain.account(3));
    let spec = JobSpec {
        tasks: 256,
        max_claim: 8,
        ..JobSpec::default()
    };
    let (job, _) = m.create_job(creator, &spec).unwrap();
    let mut attack_gas = 0;
    let mut batches = Vec::new();
    for i in 0..4 {
        let (r, b) = m
            .submit(attacker, job, &tasks(i * 64, 64), &[0; 64])
            .unwrap();
        ok(&r);
        attack_gas += r.gas_used;
        batches.push(b.unwrap());
    }
    let r = m.claim(honest, job, &[0]).unwrap();
    assert_reverts(&r, &IMarket::TaskFull { taskId: 0 });
    let mut undo_gas = 0;
    for b in &batches {
        let r = m.review(creator, b, &[1; 64]).unwrap();
        ok(&r);
        undo_gas += r.gas_used;
    }
    eprintln!("256 tasks, maxClaim 8: attacker {attack_gas} gas, creator's undo {undo_gas} gas");
    assert!(undo_gas > attack_gas, "undoing costs more than the attack");
}

#[test]
fn attack_expired_claims_hold_tasks_until_someone_pays_to_release_them() {
    let mut m = Market::deploy(false).unwrap();
    let creator = m.chain.account(1);
    let (job, _) = m
        .create_job(
            creator,
            &JobSpec {
                tasks: 128,
                ..JobSpec::default()
            },
        )
        .unwrap();
    for (i, who) in [2, 3].into_iter().enumerate() {
        let a = m.chain.account(who);
        ok(&m.claim(a, job, &tasks(64 * i as u32, 64)).unwrap());
    }
    m.chain.warp(2 * 3600);
    let honest = m.chain.account(5);
    let r = m.claim(honest, job, &[0]).unwrap();
    assert_reverts(&r, &IMarket::TaskFull { taskId: 0 });
}

#[test]
fn attack_reject_then_cancel_keeps_the_labels_for_free() {
    let mut m = Market::deploy(false).unwrap();
    let (creator, annotator) = (m.chain.account(1), m.chain.account(2));
    let spec = JobSpec {
        tasks: 8,
        ..JobSpec::default()
    };
    let (job, _) = m.create_job(creator, &spec).unwrap();
    let (r, b) = m.submit(annotator, job, &tasks(0, 8), &[1; 8]).unwrap();
    ok(&r);
    let labels = logs::<IMarket::LabelsSubmitted>(&r)[0].payload.clone();
    let before = m.chain.balance(annotator);
    ok(&m.review(creator, &b.unwrap(), &[1; 8]).unwrap());
    let r = m
        .send(creator, &IMarket::cancelJobCall { jobId: job }, U256::ZERO)
        .unwrap();
    ok(&r);
    let refund = logs::<IMarket::JobCancelled>(&r)[0].refund;
    assert_eq!(refund, spec.escrow(), "the creator gets everything back");
    assert_eq!(
        m.chain.balance(annotator),
        before,
        "the annotator got nothing"
    );
    assert_eq!(labels.len(), 8, "and the labels are public");
}

#[test]
fn attack_sybil_copies_published_labels_at_replication_two() {
    let mut m = Market::deploy(false).unwrap();
    let (creator, honest, sybil) = (m.chain.account(1), m.chain.account(2), m.chain.account(3));
    let spec = JobSpec {
        tasks: 8,
        replication: 2,
        ..JobSpec::default()
    };
    let (job, _) = m.create_job(creator, &spec).unwrap();
    let (r, _) = m
        .submit(honest, job, &tasks(0, 8), &[0, 1, 2, 3, 0, 1, 2, 3])
        .unwrap();
    let copied = logs::<IMarket::LabelsSubmitted>(&r)[0].payload.clone();
    let (r, b) = m.submit(sybil, job, &tasks(0, 8), &copied).unwrap();
    ok(&r);
    let before = m.chain.balance(sybil);
    ok(&m.review(creator, &b.unwrap(), &[]).unwrap());
    assert!(
        m.chain.balance(sybil) > before,
        "the copy is paid as agreement"
    );
}

#[test]
fn attack_echo_wallet_lets_anyone_sign_in_its_name() {
    let mut m = Market::deploy(false).unwrap();
    let creator = m.chain.account(1);
    let (job, _) = m.create_job(creator, &JobSpec::default()).unwrap();
    let wallet = deploy_fixture(&mut m, "EchoWallet");
    let deadline = U256::from(m.chain.timestamp() + 600);
    let call = IMarket::submitBatchBySigCall {
        annotator: wallet,
        jobId: job,
        taskIds: tasks(0, 64),
        payload: vec![0u8; 64].into(),
        deadline,
        signature: Vec::new().into(),
    };
    let relayer = m.chain.account(9);
    let r = m.send(relayer, &call, U256::ZERO).unwrap();
    ok(&r);
    assert_eq!(
        m.read(&IMarket::noncesCall { annotator: wallet }).unwrap(),
        U256::from(1),
        "its nonce was burnt by a stranger"
    );
}

#[test]
fn attack_token_answering_64_bytes_is_paid_twice() {
    let mut m = Market::deploy(false).unwrap();
    let (creator, annotator) = (m.chain.account(1), m.chain.account(2));
    let token = deploy_fixture(&mut m, "OddToken");
    let admin = m.admin;
    let mint = |m: &mut Market, to: Address, v: u64| {
        let r = m
            .chain
            .send_call(
                admin,
                token,
                &IOddToken::mintCall {
                    to,
                    value: U256::from(v),
                },
            )
            .unwrap();
        ok(&r);
    };
    let spec = JobSpec {
        tasks: 2,
        token,
        reward: 1000,
        ..JobSpec::default()
    };
    // Another job's escrow sits in the market too.
    mint(&mut m, creator, 4000);
    let r = m
        .chain
        .send_call(
            creator,
            token,
            &IOddToken::approveCall {
                spender: m.market,
                value: U256::MAX,
            },
        )
        .unwrap();
    ok(&r);
    m.create_job(creator, &spec).unwrap();
    let (job, _) = m.create_job(creator, &spec).unwrap();
    let (r, b) = m.submit(annotator, job, &[0, 1], &[1, 1]).unwrap();
    ok(&r);
    ok(&m
        .chain
        .send_call(admin, token, &IOddToken::setModeCall { m: 2 })
        .unwrap());
    let r = m.review(creator, &b.unwrap(), &[]).unwrap();
    ok(&r);
    ok(&m
        .chain
        .send_call(admin, token, &IOddToken::setModeCall { m: 0 })
        .unwrap());
    let r = m
        .send(
            annotator,
            &IMarket::withdrawCall {
                token,
                to: annotator,
            },
            U256::ZERO,
        )
        .unwrap();
    ok(&r);
    let got = m
        .chain
        .read(token, &IOddToken::balanceOfCall { account: annotator })
        .unwrap();
    assert_eq!(
        got,
        U256::from(4000),
        "paid 2,000 for work worth 2,000, twice"
    );
}

#[test]
fn attack_one_reverted_relay_invalidates_every_queued_signature() {
    let mut m = Market::deploy(false).unwrap();
    let creator = m.chain.account(1);
    let (job, _) = m.create_job(creator, &JobSpec::default()).unwrap();
    let a = m.chain.account(2);
    let key = m.chain.accounts()[2].key;
    let deadline = U256::from(m.chain.timestamp() + 600);
    let mut calls = Vec::new();
    for nonce in 0..2u32 {
        let batch = SubmitBatch {
            annotator: a,
            jobId: job,
            taskIds: vec![nonce],
            payload: vec![1u8].into(),
            nonce: U256::from(nonce),
            deadline,
        };
        let sig =
            labelmint::market::sign_batch(&key, m.market, m.chain.chain_id(), &batch).unwrap();
        calls.push(IMarket::submitBatchBySigCall {
            annotator: a,
            jobId: job,
            taskIds: vec![nonce],
            payload: vec![1u8].into(),
            deadline,
            signature: sig,
        });
    }
    // Somebody else takes task 0: the first relay reverts, the second is stuck.
    ok(&m.submit(m.chain.account(3), job, &[0], &[2]).unwrap().0);
    let relayer = m.chain.account(9);
    assert!(!m.send(relayer, &calls[0], U256::ZERO).unwrap().success);
    let r = m.send(relayer, &calls[1], U256::ZERO).unwrap();
    assert_reverts(&r, &IMarket::InvalidSignature {});
    let _ = batch_digest;
}

#[test]
fn attack_pause_lets_live_claims_expire() {
    let mut m = Market::deploy(false).unwrap();
    let (creator, a) = (m.chain.account(1), m.chain.account(2));
    let (job, _) = m.create_job(creator, &JobSpec::default()).unwrap();
    ok(&m.claim(a, job, &[0, 1]).unwrap());
    let admin = m.admin;
    ok(&m.send(admin, &IMarket::pauseCall {}, U256::ZERO).unwrap());
    m.chain.warp(3600);
    ok(&m.send(admin, &IMarket::unpauseCall {}, U256::ZERO).unwrap());
    let (r, _) = m.submit(a, job, &[0, 1], &[1, 1]).unwrap();
    assert!(!r.success, "the claim expired while nobody could submit");
}

#[test]
fn attack_settled_batch_reverts_a_whole_approval() {
    let mut m = Market::deploy(false).unwrap();
    let (creator, a) = (m.chain.account(1), m.chain.account(2));
    let (job, _) = m.create_job(creator, &JobSpec::default()).unwrap();
    let b1: Batch = m.submit(a, job, &[0], &[1]).unwrap().1.unwrap();
    let b2: Batch = m.submit(a, job, &[1], &[1]).unwrap().1.unwrap();
    ok(&m.review(creator, &b1, &[]).unwrap());
    let r = m.approve_batches(creator, &[b1, b2]).unwrap();
    assert!(!r.success, "one settled batch sinks the whole call");
    let short = m
        .chain
        .send(
            creator,
            Some(m.market),
            U256::ZERO,
            vec![1, 2, 3],
            DEFAULT_TX_GAS,
        )
        .unwrap();
    assert_reverts(
        &short,
        &IMarket::UnknownFunction {
            selector: [0u8; 4].into(),
        },
    );
}

// ------------------------------------------------------------- registry

fn marketplace() -> (Marketplace, Address, U256) {
    let mut p = Marketplace::deploy(false).unwrap();
    let creator = p.m.chain.account(1);
    let approvals: Vec<(Address, u32)> = (2..5).map(|i| (p.m.chain.account(i), 2)).collect();
    let job = p.settled_job(creator, &approvals).unwrap();
    (p, creator, job)
}

#[test]
fn attack_root_squatting_takes_the_listing() {
    let (mut p, creator, job) = marketplace();
    let attacker = p.m.chain.account(7);
    let root = B256::repeat_byte(0x77);
    let (r, _) = p
        .publish(
            attacker,
            &Publication {
                root,
                ..Publication::default()
            },
        )
        .unwrap();
    ok(&r);
    let (r, _) = p
        .publish(
            creator,
            &Publication {
                root,
                job,
                ..Publication::default()
            },
        )
        .unwrap();
    assert!(!r.success, "the creator cannot publish its own dataset");
}

#[test]
fn attack_external_version_carries_licences_without_royalty() {
    let (mut p, creator, job) = marketplace();
    let (r, v1) = p
        .publish(
            creator,
            &Publication {
                job,
                ..Publication::default()
            },
        )
        .unwrap();
    ok(&r);
    let (r, v2) = p
        .publish(
            creator,
            &Publication {
                root: B256::repeat_byte(0x02),
                previous: v1.unwrap(),
                carry: true,
                ..Publication::default()
            },
        )
        .unwrap();
    ok(&r);
    let buyer = p.m.chain.account(8);
    let r = p
        .purchase(
            buyer,
            v2.unwrap(),
            buyer,
            U256::from(Publication::default().price),
        )
        .unwrap();
    ok(&r);
    assert_eq!(
        logs::<IRegistry::LicensePurchased>(&r)[0].royalty,
        U256::ZERO
    );
    assert!(p
        .read(&IRegistry::hasLicenseCall {
            datasetId: v1.unwrap(),
            account: buyer
        })
        .unwrap());
}

#[test]
fn attack_price_front_run_takes_the_standing_allowance() {
    let (mut p, creator, job) = marketplace();
    let token = p.m.token;
    let price = 1_000u128;
    let (r, id) = p
        .publish(
            creator,
            &Publication {
                job,
                token,
                price,
                ..Publication::default()
            },
        )
        .unwrap();
    ok(&r);
    let buyer = p.m.chain.account(8);
    p.m.mint(buyer, U256::from(10 * price)).unwrap();
    let registry = p.registry;
    ok(&p
        .m
        .chain
        .send_call(
            buyer,
            token,
            &IRewardToken::approveCall {
                spender: registry,
                value: U256::MAX,
            },
        )
        .unwrap());
    ok(&p
        .send(
            creator,
            &IRegistry::setPriceCall {
                datasetId: id.unwrap(),
                price: 9 * price,
            },
            U256::ZERO,
        )
        .unwrap());
    ok(&p.purchase(buyer, id.unwrap(), buyer, U256::ZERO).unwrap());
    let left =
        p.m.chain
            .read(token, &IRewardToken::balanceOfCall { account: buyer })
            .unwrap();
    assert_eq!(left, U256::from(price), "paid 9x the listed price");
}

#[test]
fn attack_rounding_gives_small_royalties_to_the_publisher() {
    let (mut p, creator, job) = marketplace();
    let (r, id) = p
        .publish(
            creator,
            &Publication {
                job,
                price: 25,
                ..Publication::default()
            },
        )
        .unwrap();
    ok(&r);
    let buyer = p.m.chain.account(8);
    let r = p
        .purchase(buyer, id.unwrap(), buyer, U256::from(25))
        .unwrap();
    ok(&r);
    assert_eq!(
        logs::<IRegistry::LicensePurchased>(&r)[0].royalty,
        U256::ZERO,
        "5 wei over 6 shares: nothing"
    );
}

#[test]
fn attack_fee_recipient_can_become_zero_while_fees_are_owed() {
    let (mut p, creator, job) = marketplace();
    let admin = p.m.admin;
    let fee_to = p.m.chain.account(9);
    ok(&p
        .send(
            admin,
            &IRegistry::setFeeCall {
                recipient: fee_to,
                bps: 100,
            },
            U256::ZERO,
        )
        .unwrap());
    let (r, id) = p
        .publish(
            creator,
            &Publication {
                job,
                ..Publication::default()
            },
        )
        .unwrap();
    ok(&r);
    ok(&p
        .send(
            admin,
            &IRegistry::setFeeCall {
                recipient: Address::ZERO,
                bps: 0,
            },
            U256::ZERO,
        )
        .unwrap());
    let buyer = p.m.chain.account(8);
    let r = p
        .purchase(
            buyer,
            id.unwrap(),
            buyer,
            U256::from(Publication::default().price),
        )
        .unwrap();
    ok(&r);
    let credited = logs::<IRegistry::Credited>(&r);
    assert!(
        credited.iter().any(|c| c.account.is_zero()),
        "the fee went to address zero"
    );
    let _ = SolCall::abi_encode(&IRegistry::marketCall {});
}

#[test]
fn measure_1000_task_lock_before() {
    let mut m = Market::deploy(false).unwrap();
    let (creator, attacker) = (m.chain.account(1), m.chain.account(2));
    let spec = JobSpec { tasks: 1000, max_claim: 8, ..JobSpec::default() };
    let (job, _) = m.create_job(creator, &spec).unwrap();
    let (mut attack, mut undo) = (0, 0);
    let mut batches = Vec::new();
    let all: Vec<u32> = (0..1000).collect();
    for c in all.chunks(64) {
        let (r, b) = m.submit(attacker, job, c, &vec![0; c.len()]).unwrap();
        ok(&r);
        attack += r.gas_used;
        batches.push(b.unwrap());
    }
    for b in &batches {
        let r = m.review(creator, b, &vec![1; b.tasks.len()]).unwrap();
        ok(&r);
        undo += r.gas_used;
    }
    let mut claims = 0;
    for (i, c) in all.chunks(8).enumerate() {
        let a = Address::left_padding_from(&(0x4000u32 + i as u32).to_be_bytes());
        m.chain.set_balance(a, U256::from(10u128.pow(20)));
        let r = m.claim(a, job, c).unwrap();
        ok(&r);
        claims += r.gas_used;
    }
    eprintln!("1000 tasks: direct-submission attack {attack} gas per round, creator undo {undo}; claim attack (125 addresses of 8) {claims} per claimDuration");
}
