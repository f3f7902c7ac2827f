//! The attacks of the hardening review (issue #14), run on the real wasm.
//! Each test performs the attack as it was reproduced against the contracts
//! before the hardening (commit ae2a18a has the versions that assert the
//! damage) and proves it impossible now. The README's threat model lists
//! each one with the rule that stops it.
#![allow(missing_docs, clippy::too_many_lines)]

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{sol, SolCall, SolConstructor};
use labelmint::{
    market::{
        default_terms, review_batches_call, sign_batch, Batch, IMarket, JobSpec, Market,
        SubmitBatch, DEFAULT_ARBITER, DEFAULT_ARBITER_FEE, DEFAULT_DISPUTE_BOND,
        DEFAULT_DISPUTE_WINDOW,
    },
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

fn deploy_fixture(chain: &mut labelmint_devnet::Devnet, name: &str) -> Address {
    let admin = chain.account(0);
    let r = chain
        .send(admin, None, U256::ZERO, fixture(name), 5_000_000)
        .unwrap();
    ok(&r);
    r.contract_address.unwrap()
}

fn tasks(from: u32, n: u32) -> Vec<u32> {
    (from..from + n).collect()
}

fn market() -> (Market, Address) {
    let mut m = Market::deploy(false).unwrap();
    m.chain
        .set_balance(DEFAULT_ARBITER, U256::from(10u64).pow(U256::from(20)));
    let creator = m.chain.account(1);
    (m, creator)
}

/// A fresh funded address (not one of the dev accounts).
fn sybil(m: &mut Market, i: u32) -> Address {
    let a = Address::left_padding_from(&(0x5eed_0000 + i).to_be_bytes());
    m.chain
        .set_balance(a, U256::from(10u64).pow(U256::from(20)));
    a
}

// -------------------------------------------------------------- 1. locking

/// Before: one address reserved all 256 tasks of a job with maxClaim = 8 in
/// four direct `submitBatch` calls, so honest claims reverted `TaskFull`.
/// Now every path into a task counts against `maxHeld`.
#[test]
fn one_address_cannot_lock_a_job_by_direct_submission() {
    let (mut m, creator) = market();
    let (attacker, honest) = (m.chain.account(2), m.chain.account(3));
    let spec = JobSpec {
        tasks: 256,
        max_held: 8,
        ..JobSpec::default()
    };
    let (job, _) = m.create_job(creator, &spec).unwrap();
    let (r, _) = m.submit(attacker, job, &tasks(0, 64), &[0; 64]).unwrap();
    assert_reverts(
        &r,
        &IMarket::HoldLimit {
            held: 64,
            maxHeld: 8,
        },
    );
    let (r, _) = m.submit(attacker, job, &tasks(0, 8), &[0; 8]).unwrap();
    ok(&r);
    // The same through a claim, and through a relayed signature.
    assert_reverts(
        &m.claim(attacker, job, &[8]).unwrap(),
        &IMarket::HoldLimit {
            held: 9,
            maxHeld: 8,
        },
    );
    let key = m.chain.accounts()[2].key;
    let deadline = U256::from(m.chain.timestamp() + 600);
    let batch = SubmitBatch {
        annotator: attacker,
        jobId: job,
        taskIds: vec![8],
        payload: vec![0u8].into(),
        nonce: U256::from(1),
        deadline,
    };
    let signature = sign_batch(&key, m.market, m.chain.chain_id(), &batch).unwrap();
    let relayed = IMarket::submitBatchBySigCall {
        annotator: attacker,
        jobId: job,
        taskIds: vec![8],
        payload: vec![0u8].into(),
        nonce: U256::from(1),
        deadline,
        signature,
    };
    assert_reverts(
        &m.send(honest, &relayed, U256::ZERO).unwrap(),
        &IMarket::HoldLimit {
            held: 9,
            maxHeld: 8,
        },
    );
    // Honest annotators still find 248 free tasks.
    ok(&m.claim(honest, job, &tasks(8, 8)).unwrap());
}

/// Before: claims that expired kept their tasks full until someone paid for
/// `releaseClaim` per address. Now the next claim or submission evicts them.
#[test]
fn expired_claims_are_evicted_by_the_next_claim_or_submission() {
    let (mut m, creator) = market();
    let (job, _) = m
        .create_job(
            creator,
            &JobSpec {
                tasks: 128,
                ..JobSpec::default()
            },
        )
        .unwrap();
    for i in 0..2 {
        let a = sybil(&mut m, i);
        ok(&m.claim(a, job, &tasks(64 * i, 64)).unwrap());
    }
    m.chain.warp(1801);
    let honest = m.chain.account(5);
    let r = m.claim(honest, job, &tasks(0, 32)).unwrap();
    ok(&r);
    assert_eq!(
        m.read(&IMarket::taskInfoCall {
            jobId: job,
            taskId: 0
        })
        .unwrap()
        .holder,
        honest
    );
    // A direct submission evicts too, and the job's reserve stays exact.
    let other = m.chain.account(6);
    let (r, _) = m.submit(other, job, &tasks(64, 10), &[1; 10]).unwrap();
    ok(&r);
    let info = m.read(&IMarket::getJobCall { jobId: job }).unwrap();
    assert_eq!(
        info.reserved, 128,
        "evicted tasks stay reserved, by their new holders"
    );
    // The evicted sybil cannot submit what it lost.
    let first = Address::left_padding_from(&0x5eed_0000u32.to_be_bytes());
    let (r, _) = m.submit(first, job, &[0], &[1]).unwrap();
    assert!(!r.success);
}

/// What holding a 1,000-task job costs an attacker and what undoing it
/// costs the creator (a measured relation, not a timing): with `maxHeld` a
/// job needs one address per `maxHeld` tasks, claims lapse without anyone
/// paying, and one `reviewBatches` rejects 32 batches with one event each.
#[test]
fn undoing_a_garbage_flood_costs_the_creator_less_than_the_attacker() {
    let costs = labelmint::market::lock_attack_costs(1000, 64).unwrap();
    eprintln!("{costs:?}");
    assert!(
        costs.creator_undo < costs.attacker_submit,
        "the creator's bulk rejection ({}) must cost less than the flood ({})",
        costs.creator_undo,
        costs.attacker_submit
    );
    assert_eq!(costs.claim_release, 0, "expired claims need no release");
}

// ------------------------------------------------------ 2. reject + cancel

/// Before: the creator rejected everything, cancelled, got the whole
/// escrow back and kept the (public) labels. Now rejected escrow is held
/// until the annotator's dispute window ends, and a dispute that the
/// arbiter upholds or fails to rule on decides who is paid.
#[test]
fn reject_then_cancel_cannot_keep_the_labels_for_free() {
    let (mut m, creator) = market();
    let annotator = m.chain.account(2);
    let spec = JobSpec {
        tasks: 8,
        ..JobSpec::default()
    };
    let (job, _) = m.create_job(creator, &spec).unwrap();
    let (r, b) = m.submit(annotator, job, &tasks(0, 8), &[1; 8]).unwrap();
    ok(&r);
    let before = m.chain.balance(annotator);
    let (_, rejection) = m.reject(creator, &b.unwrap(), &[1; 8]).unwrap();
    let r = m
        .send(creator, &IMarket::cancelJobCall { jobId: job }, U256::ZERO)
        .unwrap();
    ok(&r);
    assert_eq!(
        logs::<IMarket::JobCancelled>(&r)[0].refund,
        U256::ZERO,
        "nothing under dispute comes back"
    );
    // The annotator disputes; the arbiter finds the labels right.
    let (r, disputed) = m.dispute(&rejection).unwrap();
    ok(&r);
    let r = m
        .send(
            DEFAULT_ARBITER,
            &disputed.unwrap().rule_call(true),
            U256::ZERO,
        )
        .unwrap();
    ok(&r);
    assert_eq!(
        m.chain.balance(annotator) - before,
        spec.escrow(),
        "the annotator is paid every label (its bond came back)"
    );
    assert_eq!(m.chain.balance(m.market), U256::ZERO);
}

/// The same attack with an arbiter who never rules: the annotator is paid
/// by default, and the creator gets only its fee deposit back.
#[test]
fn reject_then_cancel_with_a_silent_arbiter_still_pays_the_annotator() {
    let (mut m, creator) = market();
    let annotator = m.chain.account(2);
    let spec = JobSpec {
        tasks: 4,
        ..JobSpec::default()
    };
    let (job, _) = m.create_job(creator, &spec).unwrap();
    let (_, b) = m.submit(annotator, job, &tasks(0, 4), &[1; 4]).unwrap();
    let (_, rejection) = m.reject(creator, &b.unwrap(), &[1; 4]).unwrap();
    ok(&m
        .send(creator, &IMarket::cancelJobCall { jobId: job }, U256::ZERO)
        .unwrap());
    let disputed = m.dispute(&rejection).unwrap().1.unwrap();
    m.chain
        .warp(u64::from(labelmint::market::DEFAULT_RULING_WINDOW) + 1);
    let before = m.chain.balance(annotator);
    ok(&m
        .send(m.chain.account(7), &disputed.settle_call(), U256::ZERO)
        .unwrap());
    assert_eq!(
        m.chain.balance(annotator) - before,
        spec.escrow() + U256::from(DEFAULT_DISPUTE_BOND)
    );
}

// ------------------------------------------------------------ 3. copying

/// Before: at replication 2 a sybil copied the first annotator's labels
/// from `LabelsSubmitted` onto the second replica and was paid for
/// agreement. The market now has one annotator per task (replicated jobs
/// run on the QualityHub, with commit–reveal): a submitted task is taken.
#[test]
#[allow(clippy::similar_names)]
fn published_labels_cannot_be_copied_onto_a_second_replica() {
    let (mut m, creator) = market();
    let (honest, imitator) = (m.chain.account(2), m.chain.account(3));
    let (job, _) = m
        .create_job(
            creator,
            &JobSpec {
                tasks: 8,
                ..JobSpec::default()
            },
        )
        .unwrap();
    let (r, _) = m
        .submit(honest, job, &tasks(0, 8), &[0, 1, 2, 3, 0, 1, 2, 3])
        .unwrap();
    let published = logs::<IMarket::LabelsSubmitted>(&r)[0].payload.clone();
    let (r, _) = m.submit(imitator, job, &tasks(0, 8), &published).unwrap();
    assert_reverts(&r, &IMarket::TaskTaken { taskId: 0 });
    assert!(
        !IMarket::createJobCall::SIGNATURE.contains("replication"),
        "the market's ABI has no replication"
    );
}

// ------------------------------------------- 4. token and wallet answers

/// Before: a contract wallet whose fallback echoes its calldata passed the
/// EIP-1271 check, so anyone submitted garbage (even empty signatures) in
/// its name, burning its nonces and reserving its tasks. Now only a full
/// 32-byte magic word counts, as in OpenZeppelin's SignatureChecker.
#[test]
fn echo_wallet_cannot_be_signed_for_by_anyone() {
    let (mut m, creator) = market();
    let (job, _) = m.create_job(creator, &JobSpec::default()).unwrap();
    let wallet = deploy_fixture(&mut m.chain, "EchoWallet");
    let deadline = U256::from(m.chain.timestamp() + 600);
    let relayer = m.chain.account(9);
    for signature in [Vec::new(), vec![0u8; 65]] {
        let call = IMarket::submitBatchBySigCall {
            annotator: wallet,
            jobId: job,
            taskIds: tasks(0, 64),
            payload: vec![0u8; 64].into(),
            nonce: U256::ZERO,
            deadline,
            signature: signature.into(),
        };
        assert_reverts(
            &m.send(relayer, &call, U256::ZERO).unwrap(),
            &IMarket::InvalidSignature {},
        );
    }
    assert_eq!(
        m.read(&IMarket::nonceBitmapCall {
            annotator: wallet,
            wordPos: U256::ZERO
        })
        .unwrap(),
        U256::ZERO,
        "no nonce burnt"
    );
    // A wallet that answers with the proper word is still accepted, and a
    // wallet that burns its gas costs the relayer a bounded amount.
    let yes = deploy_fixture(&mut m.chain, "YesWallet");
    let call = IMarket::submitBatchBySigCall {
        annotator: yes,
        jobId: job,
        taskIds: vec![0],
        payload: vec![0u8].into(),
        nonce: U256::ZERO,
        deadline,
        signature: vec![1u8].into(),
    };
    ok(&m.send(relayer, &call, U256::ZERO).unwrap());
    let burner = deploy_fixture(&mut m.chain, "GasBurnerWallet");
    let call = IMarket::submitBatchBySigCall {
        annotator: burner,
        jobId: job,
        taskIds: vec![1],
        payload: vec![0u8].into(),
        nonce: U256::ZERO,
        deadline,
        signature: vec![1u8].into(),
    };
    let r = m.send(relayer, &call, U256::ZERO).unwrap();
    assert_reverts(&r, &IMarket::InvalidSignature {});
    assert!(
        r.gas_used < 400_000,
        "the wallet got at most 200,000 gas: {}",
        r.gas_used
    );
}

/// An EIP-7702-delegated account has code, but its key still signs.
#[test]
fn an_account_with_code_still_signs_with_its_key() {
    let (mut m, creator) = market();
    let (job, _) = m.create_job(creator, &JobSpec::default()).unwrap();
    let annotator = m.chain.account(2);
    let key = m.chain.accounts()[2].key;
    // Give the annotator's address code, as a 7702 delegation does.
    let mut code = vec![0xef, 0x01, 0x00];
    code.extend_from_slice(deploy_fixture(&mut m.chain, "EchoWallet").as_slice());
    m.chain.set_code(annotator, code.into());
    let deadline = U256::from(m.chain.timestamp() + 600);
    let batch = SubmitBatch {
        annotator,
        jobId: job,
        taskIds: vec![0],
        payload: vec![1u8].into(),
        nonce: U256::from(5),
        deadline,
    };
    let signature = sign_batch(&key, m.market, m.chain.chain_id(), &batch).unwrap();
    let call = IMarket::submitBatchBySigCall {
        annotator,
        jobId: job,
        taskIds: vec![0],
        payload: vec![1u8].into(),
        nonce: U256::from(5),
        deadline,
        signature,
    };
    ok(&m.send(m.chain.account(9), &call, U256::ZERO).unwrap());
}

/// Before: a token whose `transfer` answered `true` followed by a second
/// word looked failed, was credited, and paid twice (out of another job's
/// escrow). Now token answers are read as OpenZeppelin's SafeERC20 reads
/// them: no data from a contract, or a first word of 1, is success.
#[test]
fn token_answers_are_read_as_safe_erc20_reads_them() {
    let (mut m, creator) = market();
    let annotator = m.chain.account(2);
    let token = deploy_fixture(&mut m.chain, "OddToken");
    let admin = m.admin;
    ok(&m
        .send(DEFAULT_ARBITER, &default_terms(token), U256::ZERO)
        .unwrap());
    let r = m
        .chain
        .send_call(
            admin,
            token,
            &IOddToken::mintCall {
                to: creator,
                value: U256::from(100_000),
            },
        )
        .unwrap();
    ok(&r);
    let market = m.market;
    ok(&m
        .chain
        .send_call(
            creator,
            token,
            &IOddToken::approveCall {
                spender: market,
                value: U256::MAX,
            },
        )
        .unwrap());
    let spec = JobSpec {
        tasks: 2,
        token,
        reward: 1000,
        terms: 3,
        ..JobSpec::default()
    };
    // Another job's escrow sits in the market too.
    m.create_job(creator, &spec).unwrap();
    let balance = |m: &mut Market, who: Address| {
        m.chain
            .read(token, &IOddToken::balanceOfCall { account: who })
            .unwrap()
    };
    // mode → (paid directly, credited)
    for (mode, paid, credited) in [
        (0u8, true, false),
        (1, true, false),
        (2, true, false),
        (3, false, true),
        (4, false, true),
    ] {
        let (job, _) = m.create_job(creator, &spec).unwrap();
        let (r, b) = m.submit(annotator, job, &[0, 1], &[1, 1]).unwrap();
        ok(&r);
        ok(&m
            .chain
            .send_call(admin, token, &IOddToken::setModeCall { m: mode })
            .unwrap());
        let before = balance(&mut m, annotator);
        let r = m.review(creator, &b.unwrap(), &[]).unwrap();
        ok(&r);
        ok(&m
            .chain
            .send_call(admin, token, &IOddToken::setModeCall { m: 0 })
            .unwrap());
        let moved = balance(&mut m, annotator) - before;
        assert_eq!(
            (
                !logs::<IMarket::RewardPaid>(&r).is_empty(),
                !logs::<IMarket::RewardCredited>(&r).is_empty()
            ),
            (paid, credited),
            "mode {mode}"
        );
        // Mode 4 moved the tokens but answered 31 bytes: credited and moved,
        // exactly as SafeERC20 would treat it (a broken token).
        if mode <= 2 {
            assert_eq!(moved, U256::from(2000), "mode {mode}: paid once");
        }
    }
    // A fee-on-transfer token cannot fund a job.
    ok(&m
        .chain
        .send_call(admin, token, &IOddToken::setFeeCall { bps: 100 })
        .unwrap());
    let now = m.chain.timestamp();
    let r = m.send(creator, &spec.call(now), U256::ZERO).unwrap();
    assert_reverts(
        &r,
        &IMarket::UnsupportedToken {
            token,
            expected: U256::from(2000),
            received: U256::from(1980),
        },
    );
}

// ---------------------------------------------------------------- 5. nonces

/// Before: one global sequential nonce per annotator, so a relay that
/// reverted left every later signature unusable, and a leaked signature
/// could not be cancelled. Now nonces are unordered bits that the
/// annotator can also invalidate.
#[test]
fn a_reverted_relay_leaves_other_signatures_valid_and_nonces_can_be_cancelled() {
    let (mut m, creator) = market();
    let (job, _) = m.create_job(creator, &JobSpec::default()).unwrap();
    let a = m.chain.account(2);
    let key = m.chain.accounts()[2].key;
    let deadline = U256::from(m.chain.timestamp() + 600);
    let mut calls = Vec::new();
    for (i, nonce) in [11u64, 12, 13].into_iter().enumerate() {
        let task = i as u32;
        let batch = SubmitBatch {
            annotator: a,
            jobId: job,
            taskIds: vec![task],
            payload: vec![1u8].into(),
            nonce: U256::from(nonce),
            deadline,
        };
        let signature = sign_batch(&key, m.market, m.chain.chain_id(), &batch).unwrap();
        calls.push(IMarket::submitBatchBySigCall {
            annotator: a,
            jobId: job,
            taskIds: vec![task],
            payload: vec![1u8].into(),
            nonce: U256::from(nonce),
            deadline,
            signature,
        });
    }
    // Somebody else takes task 0: the first relay reverts...
    ok(&m.submit(m.chain.account(3), job, &[0], &[2]).unwrap().0);
    let relayer = m.chain.account(9);
    assert_reverts(
        &m.send(relayer, &calls[0], U256::ZERO).unwrap(),
        &IMarket::TaskTaken { taskId: 0 },
    );
    // ...and the next one still goes through.
    ok(&m.send(relayer, &calls[1], U256::ZERO).unwrap());
    // The annotator cancels its third signature before anyone relays it.
    let r = m
        .send(
            a,
            &IMarket::invalidateNoncesCall {
                wordPos: U256::ZERO,
                mask: U256::from(1) << 13,
            },
            U256::ZERO,
        )
        .unwrap();
    ok(&r);
    assert_eq!(logs::<IMarket::NoncesInvalidated>(&r)[0].annotator, a);
    assert_reverts(
        &m.send(relayer, &calls[2], U256::ZERO).unwrap(),
        &IMarket::NonceUsed {
            annotator: a,
            nonce: U256::from(13),
        },
    );
}

// ------------------------------------------------------------ 6. smaller

/// Before: pausing let live claims run out while nobody could submit. Now
/// pauses stop the claim clock.
#[test]
fn pause_stops_the_claim_clock() {
    let (mut m, creator) = market();
    let a = m.chain.account(2);
    let (job, _) = m.create_job(creator, &JobSpec::default()).unwrap();
    let r = m.claim(a, job, &[0, 1]).unwrap();
    let expiry = logs::<IMarket::TasksClaimed>(&r)[0].expiresAt;
    let admin = m.admin;
    ok(&m.send(admin, &IMarket::pauseCall {}, U256::ZERO).unwrap());
    m.chain.warp(3600);
    ok(&m.send(admin, &IMarket::unpauseCall {}, U256::ZERO).unwrap());
    let rec = m
        .read(&IMarket::annotatorRecordCall {
            jobId: job,
            annotator: a,
        })
        .unwrap();
    assert!(
        rec.claimExpiry >= expiry + 3600,
        "extended by the pause: {} -> {}",
        expiry,
        rec.claimExpiry
    );
    // Nobody can evict it in the extra time, and it still submits.
    assert_reverts(
        &m.claim(m.chain.account(3), job, &[0]).unwrap(),
        &IMarket::TaskClaimed {
            taskId: 0,
            expiresAt: rec.claimExpiry,
        },
    );
    let (r, _) = m.submit(a, job, &[0, 1], &[1, 1]).unwrap();
    ok(&r);
}

/// Before: a batch already approved by someone else made a bulk approval
/// revert; 1–3 bytes of calldata answered `UnknownFunction(0)`. Now settled
/// batches are skipped and short calldata is `InvalidCalldata`.
#[test]
fn settled_batches_are_skipped_and_short_calldata_is_invalid() {
    let (mut m, creator) = market();
    let a = m.chain.account(2);
    let (job, _) = m.create_job(creator, &JobSpec::default()).unwrap();
    let b1: Batch = m.submit(a, job, &[0], &[1]).unwrap().1.unwrap();
    let b2: Batch = m.submit(a, job, &[1], &[1]).unwrap().1.unwrap();
    ok(&m.review(creator, &b1, &[]).unwrap());
    let r = m.approve_batches(creator, &[b1, b2]).unwrap();
    ok(&r);
    assert_eq!(logs::<IMarket::BatchReviewed>(&r).len(), 1);
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
    assert_reverts(&short, &IMarket::InvalidCalldata {});
}

/// The creator can reject many batches in one call, with one event each.
#[test]
fn the_creator_rejects_many_batches_in_one_call() {
    let (mut m, creator) = market();
    let (job, _) = m
        .create_job(
            creator,
            &JobSpec {
                tasks: 256,
                ..JobSpec::default()
            },
        )
        .unwrap();
    let mut batches = Vec::new();
    for i in 0..4 {
        let a = sybil(&mut m, i);
        let (r, b) = m.submit(a, job, &tasks(64 * i, 64), &[0; 64]).unwrap();
        ok(&r);
        batches.push(b.unwrap());
    }
    let call = review_batches_call(&batches, &[9; 256]);
    let r = m
        .send(
            creator,
            &call,
            U256::from(DEFAULT_ARBITER_FEE) * U256::from(4),
        )
        .unwrap();
    ok(&r);
    assert_eq!(
        logs::<IMarket::BatchReviewed>(&r).len(),
        4,
        "one event per batch"
    );
    m.chain.warp(u64::from(DEFAULT_DISPUTE_WINDOW) + 1);
    let _ = B256::ZERO;
}

// -------------------------------------------------------------- registry

fn marketplace() -> (Marketplace, Address, U256) {
    let mut p = Marketplace::deploy(false).unwrap();
    let creator = p.m.chain.account(1);
    let approvals: Vec<(Address, u32)> = (2..5).map(|i| (p.m.chain.account(i), 2)).collect();
    let job = p.settled_job(creator, &approvals).unwrap();
    (p, creator, job)
}

/// Before: whoever published a root first owned it, so an attacker who
/// predicted a package root listed it and took its sales. Now roots are per
/// publisher: the creator's listing from its job is always there to be
/// taken, with its provenance, and pays its annotators.
#[test]
fn a_predicted_root_cannot_take_the_creators_listing_or_its_sales() {
    let (mut p, creator, job) = marketplace();
    let attacker = p.m.chain.account(7);
    let root = B256::repeat_byte(0x77);
    let (r, squat) = p
        .publish(
            attacker,
            &Publication {
                root,
                ..Publication::default()
            },
        )
        .unwrap();
    ok(&r);
    let (r, genuine) = p
        .publish(
            creator,
            &Publication {
                root,
                job,
                ..Publication::default()
            },
        )
        .unwrap();
    ok(&r);
    let genuine = genuine.unwrap();
    assert_ne!(squat.unwrap(), genuine);
    assert_eq!(
        p.read(&IRegistry::datasetByRootCall {
            publisher: creator,
            rootHash: root
        })
        .unwrap(),
        genuine
    );
    let d = p
        .read(&IRegistry::getDatasetCall { datasetId: genuine })
        .unwrap();
    assert!(!d.isExternal && d.sourceJobId == job && d.source == p.m.market);
    let buyer = p.m.chain.account(8);
    let r = p
        .purchase(
            buyer,
            genuine,
            buyer,
            U256::from(Publication::default().price),
        )
        .unwrap();
    ok(&r);
    assert!(!logs::<IRegistry::LicensePurchased>(&r)[0].royalty.is_zero());
}

/// Before: a creator published an external version carrying the licences
/// of its job's dataset and sold it without royalty. Now versions link only
/// within one source job.
#[test]
fn versions_carry_licences_only_within_one_source_job() {
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
    let (r, _) = p
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
    assert_reverts(&r, &IRegistry::InvalidParameter { field: 3 });
    // The same source job may version with its licences.
    let (r, _) = p
        .publish(
            creator,
            &Publication {
                root: B256::repeat_byte(0x03),
                job,
                previous: v1.unwrap(),
                carry: true,
                ..Publication::default()
            },
        )
        .unwrap();
    ok(&r);
}

/// Before: the publisher front-ran a purchase with `setPrice` and took up
/// to the buyer's standing allowance (9× the listed price). Now the buyer
/// names the token and the highest price it accepts.
#[test]
fn a_price_change_cannot_be_front_run_into_a_purchase() {
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
    let id = id.unwrap();
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
                datasetId: id,
                price: 9 * price,
            },
            U256::ZERO,
        )
        .unwrap());
    let buy = |token: Address, max: u128| IRegistry::purchaseCall {
        datasetId: id,
        licensee: buyer,
        token,
        maxPrice: max,
    };
    assert_reverts(
        &p.send(buyer, &buy(token, price), U256::ZERO).unwrap(),
        &IRegistry::PriceAboveMax {
            price: U256::from(9 * price),
            maxPrice: U256::from(price),
        },
    );
    assert_reverts(
        &p.send(buyer, &buy(Address::ZERO, 9 * price), U256::ZERO)
            .unwrap(),
        &IRegistry::WrongToken { token },
    );
    let left =
        p.m.chain
            .read(token, &IRewardToken::balanceOfCall { account: buyer })
            .unwrap();
    assert_eq!(left, U256::from(10 * price), "nothing taken");
    // A permit that fails does not fall back to the standing allowance.
    let call = IRegistry::purchaseWithPermitCall {
        datasetId: id,
        licensee: buyer,
        token,
        maxPrice: 9 * price,
        permit: vec![0u8; 128].into(),
    };
    assert_reverts(
        &p.send(buyer, &call, U256::ZERO).unwrap(),
        &IRegistry::TokenCallFailed { token },
    );
}

/// Before: with many shares and a small price `royalty / shares` rounded to
/// zero and the publisher took the whole royalty. Now the remainder is
/// carried to the next sale: after many sales every annotator holds its
/// exact share minus less than one unit.
#[test]
fn small_royalties_reach_the_annotators_over_many_sales() {
    let (mut p, creator, job) = marketplace();
    let price = 25u128;
    let (r, id) = p
        .publish(
            creator,
            &Publication {
                job,
                price,
                ..Publication::default()
            },
        )
        .unwrap();
    ok(&r);
    let id = id.unwrap();
    let sales = 12u32;
    let mut royalty_total = U256::ZERO;
    for i in 0..sales {
        let buyer = Address::left_padding_from(&(0xb0_0000 + i).to_be_bytes());
        p.m.chain
            .set_balance(buyer, U256::from(10u64).pow(U256::from(18)));
        let r = p.purchase(buyer, id, buyer, U256::from(price)).unwrap();
        ok(&r);
        royalty_total += logs::<IRegistry::LicensePurchased>(&r)[0].royalty;
    }
    assert_eq!(
        royalty_total,
        U256::from(5 * sales),
        "20 % of 25, each sale"
    );
    // 6 shares, 2 each: exact share 2 × 60 / 6 = 20 wei per annotator.
    for i in 2..5 {
        let a = p.m.chain.account(i);
        let owed = p
            .read(&IRegistry::royaltyOfCall {
                source: p.m.market,
                jobId: job,
                token: Address::ZERO,
                account: a,
            })
            .unwrap();
        assert_eq!(owed, U256::from(20));
    }
}

/// Before: the admin could set the fee recipient to zero while datasets
/// carried a fee, burning every later fee. Now it is never zero; the admin
/// hands over in two steps.
#[test]
fn the_fee_recipient_is_never_zero_and_the_admin_hands_over_in_two_steps() {
    let (mut p, _, _) = marketplace();
    let admin = p.m.admin;
    assert_reverts(
        &p.send(
            admin,
            &IRegistry::setFeeCall {
                recipient: Address::ZERO,
                bps: 0,
            },
            U256::ZERO,
        )
        .unwrap(),
        &IRegistry::InvalidParameter { field: 4 },
    );
    let next = p.m.chain.account(9);
    ok(&p
        .send(
            admin,
            &IRegistry::transferAdminCall { newAdmin: next },
            U256::ZERO,
        )
        .unwrap());
    assert_eq!(p.read(&IRegistry::adminCall {}).unwrap(), admin);
    assert_reverts(
        &p.send(
            p.m.chain.account(7),
            &IRegistry::acceptAdminCall {},
            U256::ZERO,
        )
        .unwrap(),
        &IRegistry::Unauthorized {
            account: p.m.chain.account(7),
        },
    );
    ok(&p
        .send(next, &IRegistry::acceptAdminCall {}, U256::ZERO)
        .unwrap());
    assert_eq!(p.read(&IRegistry::adminCall {}).unwrap(), next);
}

/// The registry takes and pays tokens by the same SafeERC20 rules as the
/// market: a fee-on-transfer token cannot buy a licence (`UnsupportedToken`,
/// nothing recorded), a `false` answer is `TokenCallFailed`, a USDT-style
/// empty answer is a success, and a withdrawal the token refuses keeps the
/// credit (`WithdrawFailed`) until the token pays.
#[test]
fn registry_token_purchases_and_withdrawals_read_token_answers_safely() {
    let (mut p, creator, _) = marketplace();
    let admin = p.m.admin;
    let buyer = p.m.chain.account(6);
    let token = deploy_fixture(&mut p.m.chain, "OddToken");
    let (r, id) = p
        .publish(
            creator,
            &Publication {
                token,
                price: 10_000,
                root: B256::repeat_byte(0x0d),
                ..Publication::default()
            },
        )
        .unwrap();
    ok(&r);
    let id = id.unwrap();
    let registry = p.registry;
    for call in [
        IOddToken::mintCall {
            to: buyer,
            value: U256::from(100_000),
        }
        .abi_encode(),
        IOddToken::setFeeCall { bps: 100 }.abi_encode(),
    ] {
        ok(&p
            .m
            .chain
            .send(admin, Some(token), U256::ZERO, call, 1_000_000)
            .unwrap());
    }
    ok(&p
        .m
        .chain
        .send_call(
            buyer,
            token,
            &IOddToken::approveCall {
                spender: registry,
                value: U256::MAX,
            },
        )
        .unwrap());
    let balance = |p: &mut Marketplace, who: Address| {
        p.m.chain
            .read(token, &IOddToken::balanceOfCall { account: who })
            .unwrap()
    };
    let licensed = |p: &mut Marketplace| {
        p.read(&IRegistry::hasLicenseCall {
            datasetId: id,
            account: buyer,
        })
        .unwrap()
    };
    // A 1 % fee on transfer: the registry would receive 9,900 of 10,000.
    let r = p.purchase(buyer, id, buyer, U256::ZERO).unwrap();
    assert_reverts(
        &r,
        &IRegistry::UnsupportedToken {
            token,
            expected: U256::from(10_000),
            received: U256::from(9_900),
        },
    );
    assert!(!licensed(&mut p));
    assert_eq!(balance(&mut p, buyer), U256::from(100_000));
    // `false` without moving anything.
    let set = |p: &mut Marketplace, call: Vec<u8>| {
        ok(&p
            .m
            .chain
            .send(admin, Some(token), U256::ZERO, call, 1_000_000)
            .unwrap());
    };
    set(&mut p, IOddToken::setFeeCall { bps: 0 }.abi_encode());
    set(&mut p, IOddToken::setModeCall { m: 3 }.abi_encode());
    let r = p.purchase(buyer, id, buyer, U256::ZERO).unwrap();
    assert_reverts(&r, &IRegistry::TokenCallFailed { token });
    assert!(!licensed(&mut p));
    // No return data (USDT): a success, read as SafeERC20 reads it.
    set(&mut p, IOddToken::setModeCall { m: 1 }.abi_encode());
    ok(&p.purchase(buyer, id, buyer, U256::ZERO).unwrap());
    assert!(licensed(&mut p));
    assert_eq!(balance(&mut p, registry), U256::from(10_000));
    // The publisher's proceeds: a refused transfer keeps the credit.
    let credit = |p: &mut Marketplace| {
        p.read(&IRegistry::creditOfCall {
            token,
            account: creator,
        })
        .unwrap()
    };
    assert_eq!(credit(&mut p), U256::from(10_000));
    set(&mut p, IOddToken::setModeCall { m: 3 }.abi_encode());
    let withdraw = IRegistry::withdrawCall { token, to: creator };
    assert_reverts(
        &p.send(creator, &withdraw, U256::ZERO).unwrap(),
        &IRegistry::WithdrawFailed { token, to: creator },
    );
    assert_eq!(credit(&mut p), U256::from(10_000));
    set(&mut p, IOddToken::setModeCall { m: 0 }.abi_encode());
    ok(&p.send(creator, &withdraw, U256::ZERO).unwrap());
    assert_eq!(credit(&mut p), U256::ZERO);
    assert_eq!(balance(&mut p, creator), U256::from(10_000));
    assert_eq!(balance(&mut p, registry), U256::ZERO);
}

// ------------------------------------------------- the hub's pull of tokens

/// The QualityHub checks what each pull delivered, as the market and the
/// registry do: with a stake token that takes 1 % on every transfer,
/// `stake` and `createJob` revert `UnsupportedToken` (expected, received)
/// and nothing is staked or escrowed; without the fee the same calls
/// succeed, so the fee alone is what the guard refuses.
#[test]
fn a_fee_on_transfer_stake_token_is_refused_by_the_hub_on_stake_and_create_job() {
    use labelmint::hub::{HubJob, HubWasm, IHub, QualityHubConstructor, HUB_ARBITER_FEE};
    let (mut m, creator) = market();
    let admin = m.admin;
    let odd = deploy_fixture(&mut m.chain, "OddToken");
    let wasm = HubWasm::load().unwrap();
    let (extension, _) = m.chain.deploy_wasm(admin, &wasm.extension, None).unwrap();
    let args = QualityHubConstructor::constructorCall {
        stake_token: odd,
        registry: m.market,
        extension,
    }
    .abi_encode();
    let (hub, _) = m.chain.deploy_wasm(admin, &wasm.hub, Some(&args)).unwrap();
    let r = m
        .send(
            DEFAULT_ARBITER,
            &IMarket::registerArbiterTermsCall {
                token: odd,
                fee: HUB_ARBITER_FEE,
                bond: HUB_ARBITER_FEE,
                disputeWindow: 86_400,
                rulingWindow: 86_400,
            },
            U256::ZERO,
        )
        .unwrap();
    ok(&r);
    let terms = IMarket::registerArbiterTermsCall::abi_decode_returns(&r.output).unwrap();
    let annotator = m.chain.account(2);
    for who in [annotator, creator] {
        let mint = IOddToken::mintCall {
            to: who,
            value: U256::from(10u128.pow(20)),
        };
        ok(&m.chain.send_call(admin, odd, &mint).unwrap());
        let approve = IOddToken::approveCall {
            spender: hub,
            value: U256::MAX,
        };
        ok(&m.chain.send_call(who, odd, &approve).unwrap());
    }
    let spec = HubJob {
        terms,
        ..HubJob::default()
    };
    let deposit = spec.deposit();
    let fee = |on: bool, m: &mut Market| {
        let call = IOddToken::setFeeCall {
            bps: if on { 100 } else { 0 },
        };
        ok(&m.chain.send_call(admin, odd, &call).unwrap());
    };
    let balance = |m: &mut Market| {
        m.chain
            .read(odd, &IOddToken::balanceOfCall { account: hub })
            .unwrap()
    };
    fee(true, &mut m);
    let stake = IHub::stakeCall { amount: 1_000 };
    let r = m.chain.send_call(annotator, hub, &stake).unwrap();
    assert_reverts(
        &r,
        &IHub::UnsupportedToken {
            token: odd,
            expected: U256::from(1_000),
            received: U256::from(990),
        },
    );
    let r = m
        .chain
        .send_call(creator, hub, &spec.call(creator))
        .unwrap();
    assert_reverts(
        &r,
        &IHub::UnsupportedToken {
            token: odd,
            expected: deposit,
            received: deposit - deposit / U256::from(100),
        },
    );
    let staked = m
        .chain
        .read(hub, &IHub::stakeOfCall { annotator })
        .unwrap()
        .staked;
    let jobs = m.chain.read(hub, &IHub::jobCountCall {}).unwrap();
    assert_eq!((staked, jobs, balance(&mut m)), (0, U256::ZERO, U256::ZERO));
    // The same calls without the fee.
    fee(false, &mut m);
    ok(&m.chain.send_call(annotator, hub, &stake).unwrap());
    ok(&m
        .chain
        .send_call(creator, hub, &spec.call(creator))
        .unwrap());
    assert_eq!(balance(&mut m), deposit + U256::from(1_000));
}

/// The market's two other pulls check what arrived as its escrow pull does:
/// in a job paid in a token that takes 1 % on every transfer (funded while
/// the fee was off), the creator's deposit for a rejection and the
/// annotator's dispute bond revert `UnsupportedToken` (expected, received),
/// and a token answering `false` reverts `TokenCallFailed`; nothing is
/// rejected or disputed, and with an honest answer both go through.
#[test]
fn a_fee_on_transfer_or_false_token_cannot_pay_a_rejection_deposit_or_a_dispute_bond() {
    let (mut m, creator) = market();
    let annotator = m.chain.account(2);
    let admin = m.admin;
    let token = deploy_fixture(&mut m.chain, "OddToken");
    ok(&m
        .send(DEFAULT_ARBITER, &default_terms(token), U256::ZERO)
        .unwrap());
    let market = m.market;
    for who in [creator, annotator] {
        let mint = IOddToken::mintCall {
            to: who,
            value: U256::from(10u128.pow(20)),
        };
        ok(&m.chain.send_call(admin, token, &mint).unwrap());
        let approve = IOddToken::approveCall {
            spender: market,
            value: U256::MAX,
        };
        ok(&m.chain.send_call(who, token, &approve).unwrap());
    }
    let set = |m: &mut Market, fee: u16, mode: u8| {
        ok(&m
            .chain
            .send_call(admin, token, &IOddToken::setFeeCall { bps: fee })
            .unwrap());
        ok(&m
            .chain
            .send_call(admin, token, &IOddToken::setModeCall { m: mode })
            .unwrap());
    };
    let spec = JobSpec {
        tasks: 2,
        token,
        reward: 1000,
        terms: 3,
        ..JobSpec::default()
    };
    let (job, _) = m.create_job(creator, &spec).unwrap();
    let (r, b) = m.submit(annotator, job, &[0, 1], &[1, 1]).unwrap();
    ok(&r);
    let b = b.unwrap();
    let (fee, bond) = (
        U256::from(DEFAULT_ARBITER_FEE),
        U256::from(DEFAULT_DISPUTE_BOND),
    );
    // The creator's deposit for rejecting.
    set(&mut m, 100, 0);
    let r = m.review(creator, &b, &[0, 1]).unwrap();
    assert_reverts(
        &r,
        &IMarket::UnsupportedToken {
            token,
            expected: fee,
            received: fee - fee / U256::from(100),
        },
    );
    set(&mut m, 0, 3);
    let r = m.review(creator, &b, &[0, 1]).unwrap();
    assert_reverts(&r, &IMarket::TokenCallFailed { token });
    set(&mut m, 0, 0);
    let (_, rejection) = m.reject(creator, &b, &[0, 1]).unwrap();
    // The annotator's bond for disputing.
    set(&mut m, 100, 0);
    let (r, disputed) = m.dispute(&rejection).unwrap();
    assert_reverts(
        &r,
        &IMarket::UnsupportedToken {
            token,
            expected: bond,
            received: bond - bond / U256::from(100),
        },
    );
    assert!(disputed.is_none());
    set(&mut m, 0, 3);
    let (r, _) = m.dispute(&rejection).unwrap();
    assert_reverts(&r, &IMarket::TokenCallFailed { token });
    set(&mut m, 0, 0);
    let (r, disputed) = m.dispute(&rejection).unwrap();
    ok(&r);
    assert!(disputed.is_some());
}
