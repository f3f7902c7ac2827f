//! The real AnnotationMarket wasm (its two programs, next to the real
//! RewardToken) on the embedded chain: every function, every revert, the
//! money invariants. The attacks of the hardening review are in `attacks.rs`.
#![allow(
    missing_docs,
    clippy::too_many_lines,
    clippy::cast_possible_truncation,
    clippy::many_single_char_names,
    clippy::too_many_arguments,
    clippy::needless_raw_string_hashes
)]

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::SolCall;
use labelmint::{
    market::{
        batch_digest, default_terms, review_batches_call, sign_batch, Batch, IMarket, JobSpec,
        Market, Rejection, SubmitBatch, DEFAULT_ARBITER, DEFAULT_ARBITER_FEE, DEFAULT_DISPUTE_BOND,
        DEFAULT_DISPUTE_WINDOW, DEFAULT_ETH_TERMS, DEFAULT_RULING_WINDOW,
    },
    sign_permit, IRewardToken, Permit,
};
use labelmint_devnet::chain::DEFAULT_TX_GAS;

mod common;
use common::{
    assert_reverts, logs, ok,
    wallet::{via, wallet, wallet_submit},
};

fn setup() -> (Market, Address, Vec<Address>) {
    let mut m = Market::deploy(false).expect("deploys");
    let creator = m.chain.account(1);
    let annotators = (2..8).map(|i| m.chain.account(i)).collect();
    assert_eq!(
        m.chain.account(8),
        DEFAULT_ARBITER,
        "dev account 8 arbitrates"
    );
    m.chain
        .set_balance(DEFAULT_ARBITER, U256::from(10u64).pow(U256::from(20)));
    (m, creator, annotators)
}

fn job_info(m: &mut Market, job: U256) -> IMarket::getJobReturn {
    m.read(&IMarket::getJobCall { jobId: job }).unwrap()
}

fn record(m: &mut Market, job: U256, a: Address) -> IMarket::annotatorRecordReturn {
    m.read(&IMarket::annotatorRecordCall {
        jobId: job,
        annotator: a,
    })
    .unwrap()
}

fn task(m: &mut Market, job: U256, t: u32) -> IMarket::taskInfoReturn {
    m.read(&IMarket::taskInfoCall {
        jobId: job,
        taskId: t,
    })
    .unwrap()
}

fn credit(m: &mut Market, token: Address, who: Address) -> U256 {
    m.read(&IMarket::creditOfCall {
        token,
        account: who,
    })
    .unwrap()
}

fn small_job() -> JobSpec {
    JobSpec {
        tasks: 8,
        ..JobSpec::default()
    }
}

/// Claims and submits `tasks` for `who`; returns the batch.
fn claim_and_submit(m: &mut Market, who: Address, job: U256, tasks: &[u32]) -> Batch {
    ok(&m.claim(who, job, tasks).unwrap());
    let labels = vec![1u8; tasks.len()];
    let (r, b) = m.submit(who, job, tasks, &labels).unwrap();
    ok(&r);
    b.expect("batch announced")
}

// ------------------------------------------------------------------- jobs

#[test]
fn eth_job_lifecycle_pays_at_approval_and_completes() {
    let (mut m, creator, ann) = setup();
    let spec = small_job();
    let before = m.chain.balance(m.market);
    let (job, r) = m.create_job(creator, &spec).unwrap();
    assert_eq!(job, U256::from(1));
    let created = &logs::<IMarket::JobCreated>(&r)[0];
    assert_eq!(created.escrow, spec.escrow());
    assert_eq!(
        (created.creator, created.arbiterTerms),
        (creator, DEFAULT_ETH_TERMS)
    );
    assert_eq!(m.chain.balance(m.market) - before, spec.escrow());
    assert_eq!(m.read(&IMarket::jobCountCall {}).unwrap(), U256::from(1));
    let info = job_info(&mut m, job);
    assert_eq!((info.taskCount, info.maxHeld, info.status), (8, 256, 1));
    assert_eq!(info.dataRoot, spec.data_root);
    assert_eq!(info.metadataHash, spec.metadata_hash);
    assert_eq!(info.claimDuration, 1800, "0 means the 30-minute default");
    let terms = m.read(&IMarket::disputeTermsCall { jobId: job }).unwrap();
    assert_eq!(
        (
            terms.termsId,
            terms.arbiter,
            terms.arbiterFee,
            terms.disputeBond,
            terms.disputeWindow,
            terms.rulingWindow
        ),
        (
            DEFAULT_ETH_TERMS,
            DEFAULT_ARBITER,
            DEFAULT_ARBITER_FEE,
            DEFAULT_DISPUTE_BOND,
            DEFAULT_DISPUTE_WINDOW,
            DEFAULT_RULING_WINDOW
        )
    );

    let a = ann[0];
    let r = m.claim(a, job, &[0, 1, 2, 3]).unwrap();
    ok(&r);
    let claimed = &logs::<IMarket::TasksClaimed>(&r)[0];
    assert_eq!(
        labelmint::market::unpack_tasks(&claimed.tasks),
        [0, 1, 2, 3]
    );
    assert_eq!(claimed.expiresAt, m.mined_at() + 1800);
    let t = task(&mut m, job, 2);
    assert_eq!(
        (t.state, t.holder, t.claimExpiry),
        (1, a, claimed.expiresAt)
    );
    let (r, b) = m.submit(a, job, &[0, 1, 2, 3], &[0, 1, 2, 3]).unwrap();
    ok(&r);
    let b = b.unwrap();
    let submitted = &logs::<IMarket::LabelsSubmitted>(&r)[0];
    assert_eq!(&submitted.payload[..], &[0, 1, 2, 3]);
    assert_eq!(task(&mut m, job, 2).state, 2);
    assert_ne!(
        m.read(&IMarket::batchCommitmentCall {
            jobId: job,
            batchId: b.id
        })
        .unwrap(),
        B256::ZERO
    );

    let paid_before = m.chain.balance(a);
    let r = m.review(creator, &b, &[]).unwrap();
    ok(&r);
    let reward = U256::from(spec.reward);
    assert_eq!(m.chain.balance(a) - paid_before, reward * U256::from(4));
    let reviewed = &logs::<IMarket::BatchReviewed>(&r)[0];
    assert_eq!(
        (reviewed.approved, reviewed.rejected, reviewed.automatic),
        (4, 0, false)
    );
    assert_eq!(reviewed.amount, reward * U256::from(4));
    assert_eq!(logs::<IMarket::RewardPaid>(&r)[0].to, a);
    assert_eq!(
        m.read(&IMarket::batchCommitmentCall {
            jobId: job,
            batchId: b.id
        })
        .unwrap(),
        B256::ZERO,
        "settled batches are cleared"
    );

    // The rest directly (claim and submit in one step) by a second annotator.
    let (r, b2) = m.submit(ann[1], job, &[4, 5, 6, 7], &[3, 3, 3, 3]).unwrap();
    ok(&r);
    let r = m.review(creator, &b2.unwrap(), &[]).unwrap();
    ok(&r);
    assert_eq!(logs::<IMarket::JobCompleted>(&r).len(), 1);
    let p = job_info(&mut m, job);
    assert_eq!(
        (p.status, p.reserved, p.approved, p.batches, p.escrow),
        (2, 0, 8, 2, U256::ZERO)
    );
    assert_eq!(m.chain.balance(m.market), before, "everything paid out");
    let rec = record(&mut m, job, a);
    assert_eq!((rec.open, rec.pending, rec.approved), (0, 0, 4));
    // A completed job takes no more work.
    assert_reverts(
        &m.claim(ann[2], job, &[0]).unwrap(),
        &IMarket::JobNotOpen {
            jobId: job,
            status: 2,
        },
    );
}

#[test]
fn create_job_rejects_every_bad_parameter() {
    let (mut m, creator, _) = setup();
    let now = m.chain.timestamp();
    let cases: Vec<(u8, JobSpec)> = vec![
        (
            1,
            JobSpec {
                tasks: 0,
                ..small_job()
            },
        ),
        (
            2,
            JobSpec {
                reward: 0,
                ..small_job()
            },
        ),
        (
            2,
            JobSpec {
                reward: u128::MAX,
                tasks: 2,
                ..small_job()
            },
        ),
        (
            4,
            JobSpec {
                schema: 4,
                ..small_job()
            },
        ),
        (
            5,
            JobSpec {
                classes: 1,
                ..small_job()
            },
        ),
        (
            5,
            JobSpec {
                classes: 257,
                ..small_job()
            },
        ),
        (
            6,
            JobSpec {
                claim_duration: 7 * 86_400 + 1,
                ..small_job()
            },
        ),
        (
            8,
            JobSpec {
                review_window: 30 * 86_400 + 1,
                ..small_job()
            },
        ),
        (
            9,
            JobSpec {
                max_held: 0,
                ..small_job()
            },
        ),
        (
            10,
            JobSpec {
                data_root: B256::ZERO,
                ..small_job()
            },
        ),
        (
            12,
            JobSpec {
                terms: 99,
                ..small_job()
            },
        ),
        (
            12,
            JobSpec {
                terms: 2,
                ..small_job()
            },
        ),
    ];
    for (field, spec) in cases {
        // Parameters are checked before the payment.
        let r = m.send(creator, &spec.call(now), U256::ZERO).unwrap();
        assert_reverts(&r, &IMarket::InvalidJobParameter { field });
    }
    for deadline in [now, 1 << 40] {
        let mut call = small_job().call(now);
        call.submitDeadline = deadline;
        let r = m.send(creator, &call, small_job().escrow()).unwrap();
        assert_reverts(&r, &IMarket::InvalidJobParameter { field: 7 });
    }
    // The arbiter cannot be the creator.
    ok(&m
        .send(creator, &default_terms(Address::ZERO), U256::ZERO)
        .unwrap());
    let own = JobSpec {
        terms: 3,
        ..small_job()
    };
    let r = m.send(creator, &own.call(now), own.escrow()).unwrap();
    assert_reverts(&r, &IMarket::InvalidJobParameter { field: 12 });
    // Off-chain schemas may have zero classes (free text).
    let text = JobSpec {
        schema: 3,
        classes: 0,
        ..small_job()
    };
    m.create_job(creator, &text).unwrap();
}

#[test]
fn create_job_requires_the_exact_escrow() {
    let (mut m, creator, _) = setup();
    let spec = small_job();
    let now = m.chain.timestamp();
    for value in [
        spec.escrow() - U256::from(1),
        spec.escrow() + U256::from(1),
        U256::ZERO,
    ] {
        let r = m.send(creator, &spec.call(now), value).unwrap();
        assert_reverts(
            &r,
            &IMarket::WrongEscrow {
                expected: spec.escrow(),
                received: value,
            },
        );
    }
}

#[test]
fn token_job_escrows_by_transfer_from_and_pays_in_tokens() {
    let (mut m, creator, ann) = setup();
    let spec = JobSpec {
        token: m.token,
        ..small_job()
    };
    m.mint(creator, spec.escrow()).unwrap();
    // Without an allowance the pull fails.
    let now = m.chain.timestamp();
    let r = m.send(creator, &spec.call(now), U256::ZERO).unwrap();
    assert_reverts(&r, &IMarket::TokenCallFailed { token: m.token });
    // ETH sent with a token job is refused.
    let r = m.send(creator, &spec.call(now), U256::from(1)).unwrap();
    assert_reverts(
        &r,
        &IMarket::WrongEscrow {
            expected: U256::ZERO,
            received: U256::from(1),
        },
    );
    let approve = IRewardToken::approveCall {
        spender: m.market,
        value: spec.escrow(),
    };
    ok(&m.chain.send_call(creator, m.token, &approve).unwrap());
    let (job, _) = m.create_job(creator, &spec).unwrap();
    let bal = |m: &mut Market, who: Address| {
        m.chain
            .read(m.token, &IRewardToken::balanceOfCall { account: who })
            .unwrap()
    };
    let market = m.market;
    assert_eq!(bal(&mut m, market), spec.escrow());
    let b = claim_and_submit(&mut m, ann[0], job, &[0, 1]);
    ok(&m.review(creator, &b, &[]).unwrap());
    assert_eq!(bal(&mut m, ann[0]), U256::from(spec.reward) * U256::from(2));
    assert_eq!(bal(&mut m, market), U256::from(spec.reward) * U256::from(6));
}

#[test]
fn token_job_with_permit_needs_one_transaction_and_only_its_own_allowance() {
    let (mut m, creator, _) = setup();
    let spec = JobSpec {
        token: m.token,
        ..small_job()
    };
    m.mint(creator, spec.escrow() * U256::from(3)).unwrap();
    let key = m.chain.accounts()[1].key;
    let deadline = U256::from(m.chain.timestamp() + 3600);
    let permit = sign_permit(
        &key,
        m.token,
        m.chain.chain_id(),
        Permit {
            owner: creator,
            spender: m.market,
            value: spec.escrow(),
            nonce: U256::ZERO,
            deadline,
        },
    )
    .unwrap();
    let call = spec.call_with_permit(m.chain.timestamp(), &permit);
    // A front-runner uses the permit first: the job is still created.
    ok(&m.chain.send_call(m.admin, m.token, &permit).unwrap());
    ok(&m.send(creator, &call, U256::ZERO).unwrap());
    let balance = m
        .chain
        .read(m.token, &IRewardToken::balanceOfCall { account: m.market })
        .unwrap();
    assert_eq!(balance, spec.escrow());
    // The spent permit with no allowance left fails cleanly...
    let r = m.send(creator, &call, U256::ZERO).unwrap();
    assert_reverts(&r, &IMarket::TokenCallFailed { token: m.token });
    // ...and so it does with a standing unlimited approval: a failed permit
    // does not fall back to an allowance the creator gave for other things.
    let approve = IRewardToken::approveCall {
        spender: m.market,
        value: U256::MAX,
    };
    ok(&m.chain.send_call(creator, m.token, &approve).unwrap());
    let r = m.send(creator, &call, U256::ZERO).unwrap();
    assert_reverts(&r, &IMarket::TokenCallFailed { token: m.token });
    // A malformed permit blob is refused before anything moves.
    let mut bad = call.clone();
    bad.permit = Bytes::from(vec![0u8; 64]);
    let r = m.send(creator, &bad, U256::ZERO).unwrap();
    assert_reverts(&r, &IMarket::InvalidJobParameter { field: 11 });
}

#[test]
fn token_without_code_is_refused() {
    let (mut m, creator, ann) = setup();
    ok(&m
        .send(DEFAULT_ARBITER, &default_terms(ann[5]), U256::ZERO)
        .unwrap());
    let spec = JobSpec {
        token: ann[5],
        terms: 3,
        ..small_job()
    };
    let r = m
        .send(creator, &spec.call(m.chain.timestamp()), U256::ZERO)
        .unwrap();
    assert_reverts(&r, &IMarket::TokenCallFailed { token: ann[5] });
}

// ----------------------------------------------------------------- claims

#[test]
fn claim_reverts_when_task_is_held_by_another() {
    let (mut m, creator, ann) = setup();
    let (job, _) = m.create_job(creator, &small_job()).unwrap();
    let r = m.claim(ann[0], job, &[0, 1]).unwrap();
    ok(&r);
    let until = logs::<IMarket::TasksClaimed>(&r)[0].expiresAt;
    assert_reverts(
        &m.claim(ann[1], job, &[1, 2]).unwrap(),
        &IMarket::TaskClaimed {
            taskId: 1,
            expiresAt: until,
        },
    );
    // Nor may the other annotator submit it directly.
    let (r, _) = m.submit(ann[1], job, &[1], &[0]).unwrap();
    assert_reverts(
        &r,
        &IMarket::TaskClaimed {
            taskId: 1,
            expiresAt: until,
        },
    );
    // A failed claim changed nothing.
    assert_eq!(task(&mut m, job, 2).state, 0);
    assert_eq!(record(&mut m, job, ann[1]).open, 0);
}

#[test]
fn claim_rules_size_range_order_one_open_claim_and_hold_limit() {
    let (mut m, creator, ann) = setup();
    let spec = JobSpec {
        tasks: 100,
        max_held: 70,
        ..small_job()
    };
    let (job, _) = m.create_job(creator, &spec).unwrap();
    assert_reverts(
        &m.claim(ann[0], job, &(0..65).collect::<Vec<u32>>())
            .unwrap(),
        &IMarket::BadBatchSize {
            size: U256::from(65),
            max: U256::from(64),
        },
    );
    assert_reverts(
        &m.claim(ann[0], job, &[]).unwrap(),
        &IMarket::BadBatchSize {
            size: U256::ZERO,
            max: U256::from(64),
        },
    );
    assert_reverts(
        &m.claim(ann[0], job, &[100]).unwrap(),
        &IMarket::TaskOutOfRange { taskId: 100 },
    );
    assert_reverts(
        &m.claim(ann[0], job, &[2, 2]).unwrap(),
        &IMarket::TaskOrder { taskId: 2 },
    );
    assert_reverts(
        &m.claim(ann[0], job, &[3, 1]).unwrap(),
        &IMarket::TaskOrder { taskId: 1 },
    );
    let r = m
        .claim(ann[0], job, &(0..40).collect::<Vec<u32>>())
        .unwrap();
    ok(&r);
    let expiry = logs::<IMarket::TasksClaimed>(&r)[0].expiresAt;
    assert_reverts(
        &m.claim(ann[0], job, &[50]).unwrap(),
        &IMarket::ClaimStillOpen { expiresAt: expiry },
    );
    // Submitting half leaves 20 open + 20 pending; a direct submission may
    // add 30 more (70 held) but not 31.
    let (r, _) = m
        .submit(ann[0], job, &(0..20).collect::<Vec<u32>>(), &[1; 20])
        .unwrap();
    ok(&r);
    let (r, _) = m
        .submit(ann[0], job, &(40..71).collect::<Vec<u32>>(), &[1; 31])
        .unwrap();
    assert_reverts(
        &r,
        &IMarket::HoldLimit {
            held: 71,
            maxHeld: 70,
        },
    );
    let (r, _) = m
        .submit(ann[0], job, &(40..70).collect::<Vec<u32>>(), &[1; 30])
        .unwrap();
    ok(&r);
    assert_reverts(
        &m.claim(ann[0], U256::from(9), &[1]).unwrap(),
        &IMarket::JobNotFound {
            jobId: U256::from(9),
        },
    );
}

#[test]
fn release_claim_frees_tasks_for_others() {
    let (mut m, creator, ann) = setup();
    let (job, _) = m.create_job(creator, &small_job()).unwrap();
    let r = m.claim(ann[0], job, &[0, 1]).unwrap();
    let expiry = logs::<IMarket::TasksClaimed>(&r)[0].expiresAt;
    let release = |a: Address, tasks: Vec<u32>| IMarket::releaseClaimCall {
        jobId: job,
        annotator: a,
        taskIds: tasks,
    };
    // Before expiry only the holder may release.
    assert_reverts(
        &m.send(ann[1], &release(ann[0], vec![0, 1]), U256::ZERO)
            .unwrap(),
        &IMarket::ClaimNotExpired { expiresAt: expiry },
    );
    // The holder gives up task 1; it is free at once, task 0 stays claimed.
    let r = m
        .send(ann[0], &release(ann[0], vec![1]), U256::ZERO)
        .unwrap();
    ok(&r);
    assert_eq!(logs::<IMarket::ClaimReleased>(&r)[0].by, ann[0]);
    assert_eq!(task(&mut m, job, 1).state, 0);
    assert_eq!(record(&mut m, job, ann[0]).open, 1);
    ok(&m.claim(ann[1], job, &[1]).unwrap());
    // Releasing what one does not hold fails.
    assert_reverts(
        &m.send(ann[0], &release(ann[0], vec![1]), U256::ZERO)
            .unwrap(),
        &IMarket::NotClaimed { taskId: 1 },
    );
    assert_reverts(
        &m.send(ann[2], &release(ann[2], vec![0]), U256::ZERO)
            .unwrap(),
        &IMarket::NotClaimed { taskId: 0 },
    );
    // After expiry anyone may release.
    m.chain.warp(1801);
    let r = m
        .send(ann[3], &release(ann[0], vec![0]), U256::ZERO)
        .unwrap();
    ok(&r);
    assert_eq!(logs::<IMarket::ClaimReleased>(&r)[0].by, ann[3]);
    assert_eq!(
        job_info(&mut m, job).reserved,
        1,
        "only ann[1]'s claim is left"
    );
}

#[test]
fn claims_made_before_the_deadline_run_their_full_duration() {
    let (mut m, creator, ann) = setup();
    let spec = JobSpec {
        deadline_in: 600,
        ..small_job()
    };
    let (job, _) = m.create_job(creator, &spec).unwrap();
    let deadline = job_info(&mut m, job).submitDeadline;
    let r = m.claim(ann[0], job, &[0]).unwrap();
    let expiry = logs::<IMarket::TasksClaimed>(&r)[0].expiresAt;
    assert_eq!(expiry, m.mined_at() + 1800);
    assert!(expiry > deadline);
    m.chain.warp(600);
    assert_reverts(
        &m.claim(ann[1], job, &[1]).unwrap(),
        &IMarket::SubmissionClosed {
            jobId: job,
            deadline,
        },
    );
    let (r, _) = m.submit(ann[1], job, &[1], &[0]).unwrap();
    assert_reverts(
        &r,
        &IMarket::SubmissionClosed {
            jobId: job,
            deadline,
        },
    );
    // The claim made in time is still good after the deadline.
    let (r, _) = m.submit(ann[0], job, &[0], &[1]).unwrap();
    ok(&r);
}

// ------------------------------------------------------------- submission

#[test]
fn submit_checks_holder_labels_and_payload() {
    let (mut m, creator, ann) = setup();
    let (job, _) = m.create_job(creator, &small_job()).unwrap();
    ok(&m.claim(ann[0], job, &[0, 1]).unwrap());
    let (r, _) = m.submit(ann[0], job, &[0, 1], &[0]).unwrap();
    assert_reverts(&r, &IMarket::InvalidPayload {});
    let (r, _) = m.submit(ann[0], job, &[0, 1], &[0, 4]).unwrap();
    assert_reverts(
        &r,
        &IMarket::InvalidLabel {
            taskId: 1,
            label: 4,
        },
    );
    let (r, _) = m.submit(ann[0], job, &[0, 0], &[0, 0]).unwrap();
    assert_reverts(&r, &IMarket::TaskOrder { taskId: 0 });
    let (r, _) = m.submit(ann[0], job, &[], &[]).unwrap();
    assert_reverts(
        &r,
        &IMarket::BadBatchSize {
            size: U256::ZERO,
            max: U256::from(64),
        },
    );
    let (r, _) = m.submit(ann[0], job, &[0, 1], &[1, 2]).unwrap();
    ok(&r);
    // Submitted once: taken, for everyone.
    for who in [ann[0], ann[1]] {
        let (r, _) = m.submit(who, job, &[0], &[1]).unwrap();
        assert_reverts(&r, &IMarket::TaskTaken { taskId: 0 });
    }
    assert_reverts(
        &m.claim(ann[1], job, &[1]).unwrap(),
        &IMarket::TaskTaken { taskId: 1 },
    );

    // Off-chain schemas take one non-zero 32-byte commitment.
    let bbox = JobSpec {
        schema: 1,
        classes: 80,
        ..small_job()
    };
    let (job2, _) = m.create_job(creator, &bbox).unwrap();
    let (r, _) = m.submit(ann[1], job2, &[0, 1], &[0u8; 32]).unwrap();
    assert_reverts(&r, &IMarket::InvalidPayload {});
    let (r, _) = m.submit(ann[1], job2, &[0, 1], &[7u8; 31]).unwrap();
    assert_reverts(&r, &IMarket::InvalidPayload {});
    let (r, b) = m.submit(ann[1], job2, &[0, 1], &[7u8; 32]).unwrap();
    ok(&r);
    assert_eq!(b.unwrap().tasks, [0, 1]);
}

fn signed_submit(
    m: &mut Market,
    key: &B256,
    annotator: Address,
    job: U256,
    tasks: &[u32],
    payload: &[u8],
    nonce: u64,
    deadline: U256,
) -> IMarket::submitBatchBySigCall {
    let batch = SubmitBatch {
        annotator,
        jobId: job,
        taskIds: tasks.to_vec(),
        payload: payload.to_vec().into(),
        nonce: U256::from(nonce),
        deadline,
    };
    let signature = sign_batch(key, m.market, m.chain.chain_id(), &batch).unwrap();
    IMarket::submitBatchBySigCall {
        annotator,
        jobId: job,
        taskIds: tasks.to_vec(),
        payload: payload.to_vec().into(),
        nonce: U256::from(nonce),
        deadline,
        signature,
    }
}

#[test]
fn relayed_batch_submission_checks_signer_nonce_deadline_and_malleability() {
    let (mut m, creator, ann) = setup();
    let (job, _) = m.create_job(creator, &small_job()).unwrap();
    let key = m.chain.accounts()[2].key;
    let annotator = ann[0];
    let relayer = ann[5];
    let deadline = U256::from(m.chain.timestamp() + 600);
    let call = signed_submit(
        &mut m,
        &key,
        annotator,
        job,
        &[0, 1],
        &[1, 2],
        300,
        deadline,
    );

    // Wrong signer: another annotator's key.
    let other_key = m.chain.accounts()[3].key;
    let forged = signed_submit(
        &mut m,
        &other_key,
        annotator,
        job,
        &[0, 1],
        &[1, 2],
        300,
        deadline,
    );
    assert_reverts(
        &m.send(relayer, &forged, U256::ZERO).unwrap(),
        &IMarket::InvalidSignature {},
    );
    // Tampered payload, tampered nonce.
    let mut tampered = call.clone();
    tampered.payload = vec![3u8, 3].into();
    assert_reverts(
        &m.send(relayer, &tampered, U256::ZERO).unwrap(),
        &IMarket::InvalidSignature {},
    );
    let mut renonced = call.clone();
    renonced.nonce = U256::from(301);
    assert_reverts(
        &m.send(relayer, &renonced, U256::ZERO).unwrap(),
        &IMarket::InvalidSignature {},
    );
    // Malleable twin (s' = n - s, v flipped) and a bad v.
    let n = U256::from_be_bytes(alloy_primitives::hex!(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
    ));
    let sig = call.signature.to_vec();
    let s = U256::from_be_slice(&sig[32..64]);
    let mut twin = sig.clone();
    twin[32..64].copy_from_slice(&(n - s).to_be_bytes::<32>());
    twin[64] = if sig[64] == 27 { 28 } else { 27 };
    let mut malleable = call.clone();
    malleable.signature = twin.into();
    assert_reverts(
        &m.send(relayer, &malleable, U256::ZERO).unwrap(),
        &IMarket::InvalidSignature {},
    );
    let mut bad_v = call.clone();
    let mut v = sig.clone();
    v[64] = 1;
    bad_v.signature = v.into();
    assert_reverts(
        &m.send(relayer, &bad_v, U256::ZERO).unwrap(),
        &IMarket::InvalidSignature {},
    );
    let mut short = call.clone();
    short.signature = sig[..64].to_vec().into();
    assert_reverts(
        &m.send(relayer, &short, U256::ZERO).unwrap(),
        &IMarket::InvalidSignature {},
    );

    // The genuine one works once, from anyone, and counts for the annotator.
    let r = m.send(relayer, &call, U256::ZERO).unwrap();
    ok(&r);
    let b = Batch::from_logs(&r.logs).unwrap();
    assert_eq!(b.annotator, annotator);
    let bitmap = m
        .read(&IMarket::nonceBitmapCall {
            annotator,
            wordPos: U256::from(1),
        })
        .unwrap();
    assert_eq!(bitmap, U256::from(1) << 44, "nonce 300 = word 1, bit 44");
    assert_reverts(
        &m.send(relayer, &call, U256::ZERO).unwrap(),
        &IMarket::NonceUsed {
            annotator,
            nonce: U256::from(300),
        },
    );

    // Expired deadline.
    let late = signed_submit(&mut m, &key, annotator, job, &[2], &[0], 1, deadline);
    m.chain.warp(601);
    assert_reverts(
        &m.send(relayer, &late, U256::ZERO).unwrap(),
        &IMarket::SignatureExpired { deadline },
    );
}

#[test]
fn relayed_batch_accepts_eip1271_wallets() {
    let (mut m, creator, ann) = setup();
    let (job, _) = m.create_job(creator, &small_job()).unwrap();
    let wallet = wallet(&mut m, "");
    let deadline = U256::from(m.chain.timestamp() + 600);
    let batch = SubmitBatch {
        annotator: wallet,
        jobId: job,
        taskIds: vec![3, 4],
        payload: vec![0u8, 1].into(),
        nonce: U256::ZERO,
        deadline,
    };
    let digest = batch_digest(m.market, m.chain.chain_id(), &batch);
    assert_eq!(
        m.read(&IMarket::DOMAIN_SEPARATORCall {}).unwrap(),
        alloy_sol_types::eip712_domain! {
            name: "labelmint AnnotationMarket",
            version: "1",
            chain_id: m.chain.chain_id(),
            verifying_contract: m.market,
        }
        .separator()
    );
    let mut call = IMarket::submitBatchBySigCall {
        annotator: wallet,
        jobId: job,
        taskIds: vec![3, 4],
        payload: vec![0u8, 1].into(),
        nonce: U256::ZERO,
        deadline,
        signature: B256::repeat_byte(9).to_vec().into(),
    };
    // The wallet refuses a signature that is not the digest.
    assert_reverts(
        &m.send(ann[0], &call, U256::ZERO).unwrap(),
        &IMarket::InvalidSignature {},
    );
    call.signature = digest.to_vec().into();
    let r = m.send(ann[0], &call, U256::ZERO).unwrap();
    ok(&r);
    assert_eq!(Batch::from_logs(&r.logs).unwrap().annotator, wallet);
}

/// A signature produced by ethers 6 (`scripts/market-sig-fixture.mjs`) is
/// accepted: the contract's EIP-712 encoding matches an independent one.
#[test]
fn relayed_batch_accepts_an_ethers_signature() {
    let fixture: serde_json::Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/market-signature.json"
    ))
    .unwrap();
    let (mut m, creator, _) = setup();
    assert_eq!(
        format!("{:?}", m.market).to_lowercase(),
        fixture["market"].as_str().unwrap().to_lowercase(),
        "deployment order changed: regenerate the fixture"
    );
    let spec = small_job();
    let (job, _) = m.create_job(creator, &spec).unwrap();
    let annotator: Address = fixture["annotator"].as_str().unwrap().parse().unwrap();
    let tasks: Vec<u32> = fixture["taskIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_u64().unwrap() as u32)
        .collect();
    let payload = alloy_primitives::hex::decode(fixture["payload"].as_str().unwrap()).unwrap();
    let deadline = U256::from(fixture["deadline"].as_u64().unwrap());
    let nonce = U256::from(fixture["nonce"].as_u64().unwrap());
    let signature = alloy_primitives::hex::decode(fixture["signature"].as_str().unwrap()).unwrap();
    assert_eq!(job, U256::from(fixture["jobId"].as_u64().unwrap()));
    let batch = SubmitBatch {
        annotator,
        jobId: job,
        taskIds: tasks.clone(),
        payload: payload.clone().into(),
        nonce,
        deadline,
    };
    assert_eq!(
        format!("{:?}", batch_digest(m.market, m.chain.chain_id(), &batch)),
        fixture["digest"].as_str().unwrap()
    );
    let call = IMarket::submitBatchBySigCall {
        annotator,
        jobId: job,
        taskIds: tasks,
        payload: payload.into(),
        nonce,
        deadline,
        signature: signature.into(),
    };
    let relayer = m.chain.account(9);
    ok(&m.send(relayer, &call, U256::ZERO).unwrap());
}

// ----------------------------------------------------------------- review

#[test]
fn rejection_holds_tasks_until_settled_and_pays_only_approved_work() {
    let (mut m, creator, ann) = setup();
    let spec = small_job();
    let (job, _) = m.create_job(creator, &spec).unwrap();
    let b = claim_and_submit(&mut m, ann[0], job, &[0, 1, 2]);
    let before = m.chain.balance(ann[0]);
    assert_reverts(
        &m.review(creator, &b, &[0, 7]).unwrap(),
        &IMarket::InvalidPayload {},
    );
    // Strangers cannot review inside the window.
    assert_reverts(
        &m.review(ann[1], &b, &[]).unwrap(),
        &IMarket::ReviewOpen {
            batchId: b.id,
            reviewEnd: b.submitted_at + u64::from(spec.review_window),
        },
    );
    // A rejection takes the arbiter's fee as a deposit, exactly.
    let call = review_batches_call(std::slice::from_ref(&b), &[0, 7, 0]);
    assert_reverts(
        &m.send(creator, &call, U256::ZERO).unwrap(),
        &IMarket::WrongEscrow {
            expected: U256::from(DEFAULT_ARBITER_FEE),
            received: U256::ZERO,
        },
    );
    let market_before = m.chain.balance(m.market);
    let (r, rejection) = m.reject(creator, &b, &[0, 7, 0]).unwrap();
    let reviewed = &logs::<IMarket::BatchReviewed>(&r)[0];
    assert_eq!((reviewed.approved, reviewed.rejected), (2, 1));
    assert_eq!(&reviewed.verdicts[..], &[0, 7, 0]);
    assert_eq!(reviewed.reviewedAt, m.mined_at());
    assert_eq!(rejection.tasks, [1]);
    assert_eq!(
        m.chain.balance(ann[0]) - before,
        U256::from(spec.reward * 2)
    );
    assert_eq!(
        m.chain.balance(m.market) + U256::from(spec.reward * 2) - market_before,
        U256::from(DEFAULT_ARBITER_FEE),
        "the fee deposit is held"
    );
    // The rejected task is held: nobody can take it while it can be disputed.
    assert_eq!(task(&mut m, job, 1).state, 2);
    assert_reverts(
        &m.claim(ann[1], job, &[1]).unwrap(),
        &IMarket::TaskTaken { taskId: 1 },
    );
    let rec = record(&mut m, job, ann[0]);
    assert_eq!((rec.approved, rec.rejected, rec.pending), (2, 1, 0));
    assert_eq!(job_info(&mut m, job).reserved, 1);
    // Settling before the dispute window ends is refused.
    let end = rejection.at + u64::from(DEFAULT_DISPUTE_WINDOW);
    assert_reverts(
        &m.send(ann[3], &rejection.settle_call(), U256::ZERO)
            .unwrap(),
        &IMarket::DisputeOpen { batchId: b.id, end },
    );
    // Undisputed: anyone settles; the task reopens, the deposit goes back.
    m.chain.warp(u64::from(DEFAULT_DISPUTE_WINDOW) + 1);
    let creator_before = m.chain.balance(creator);
    let r = m
        .send(ann[3], &rejection.settle_call(), U256::ZERO)
        .unwrap();
    ok(&r);
    let settled = &logs::<IMarket::RejectionSettled>(&r)[0];
    assert_eq!((settled.outcome, settled.tasks), (1, 1));
    assert_eq!(
        m.chain.balance(creator) - creator_before,
        U256::from(DEFAULT_ARBITER_FEE)
    );
    assert_eq!(task(&mut m, job, 1).state, 0);
    ok(&m.claim(ann[1], job, &[1]).unwrap());
    // A settled batch cannot be settled again.
    assert_reverts(
        &m.send(ann[3], &rejection.settle_call(), U256::ZERO)
            .unwrap(),
        &IMarket::UnknownBatch { batchId: b.id },
    );
    assert_eq!(job_info(&mut m, job).escrow, U256::from(spec.reward * 6));
}

#[test]
fn review_needs_the_exact_batch_data() {
    let (mut m, creator, ann) = setup();
    let (job, _) = m.create_job(creator, &small_job()).unwrap();
    let b = claim_and_submit(&mut m, ann[0], job, &[0, 1]);
    for wrong in [
        Batch {
            tasks: vec![1, 0],
            ..b.clone()
        },
        Batch {
            tasks: vec![0],
            ..b.clone()
        },
        Batch {
            annotator: ann[1],
            ..b.clone()
        },
        Batch {
            submitted_at: b.submitted_at + 1,
            ..b.clone()
        },
    ] {
        assert_reverts(
            &m.review(creator, &wrong, &[]).unwrap(),
            &IMarket::UnknownBatch { batchId: wrong.id },
        );
    }
    // An id that names no pending batch is skipped, changing nothing.
    let ghost = Batch {
        id: b.id + U256::from(1),
        ..b.clone()
    };
    let r = m.review(creator, &ghost, &[]).unwrap();
    ok(&r);
    assert!(logs::<IMarket::BatchReviewed>(&r).is_empty());
    ok(&m.review(creator, &b, &[]).unwrap());
}

#[test]
fn review_window_bounds_rejection_and_anyone_finalizes_after_it() {
    let (mut m, creator, ann) = setup();
    let spec = JobSpec {
        review_window: 3600,
        ..small_job()
    };
    let (job, _) = m.create_job(creator, &spec).unwrap();
    let b = claim_and_submit(&mut m, ann[0], job, &[0, 1]);
    let end = b.submitted_at + 3600;
    // Strangers must wait for the window.
    assert_reverts(
        &m.approve_batches(ann[4], std::slice::from_ref(&b)).unwrap(),
        &IMarket::ReviewOpen {
            batchId: b.id,
            reviewEnd: end,
        },
    );
    m.chain.warp(3601);
    // The creator can no longer reject, nor can a stranger...
    for who in [creator, ann[4]] {
        assert_reverts(
            &m.review(who, &b, &[1, 0]).unwrap(),
            &IMarket::ReviewClosed {
                batchId: b.id,
                reviewEnd: end,
            },
        );
    }
    // ...and anyone may make the work count as approved.
    let before = m.chain.balance(ann[0]);
    let r = m.approve_batches(ann[4], std::slice::from_ref(&b)).unwrap();
    ok(&r);
    assert!(logs::<IMarket::BatchReviewed>(&r)[0].automatic);
    assert_eq!(
        m.chain.balance(ann[0]) - before,
        U256::from(spec.reward * 2)
    );
}

#[test]
fn review_batches_pays_each_annotator_once_per_run() {
    let (mut m, creator, ann) = setup();
    let spec = JobSpec {
        tasks: 12,
        ..small_job()
    };
    let (job, _) = m.create_job(creator, &spec).unwrap();
    let b1 = claim_and_submit(&mut m, ann[0], job, &[0, 1]);
    let b2 = claim_and_submit(&mut m, ann[0], job, &[2, 3, 4]);
    let b3 = claim_and_submit(&mut m, ann[1], job, &[5]);
    let r = m
        .approve_batches(creator, &[b1.clone(), b2.clone(), b3.clone()])
        .unwrap();
    ok(&r);
    let paid = logs::<IMarket::RewardPaid>(&r);
    assert_eq!(paid.len(), 2, "one payment per annotator run");
    assert_eq!(
        (paid[0].to, paid[0].amount),
        (ann[0], U256::from(spec.reward * 5))
    );
    assert_eq!(
        (paid[1].to, paid[1].amount),
        (ann[1], U256::from(spec.reward))
    );
    assert_eq!(logs::<IMarket::BatchReviewed>(&r).len(), 3);
    // Malformed groupings are refused.
    let b4 = claim_and_submit(&mut m, ann[2], job, &[6, 7]);
    let mut call = review_batches_call(std::slice::from_ref(&b4), &[]);
    call.taskCounts = vec![3];
    assert_reverts(
        &m.send(creator, &call, U256::ZERO).unwrap(),
        &IMarket::InvalidCalldata {},
    );
    let mut call = review_batches_call(std::slice::from_ref(&b4), &[]);
    call.taskCounts = vec![1];
    assert_reverts(
        &m.send(creator, &call, U256::ZERO).unwrap(),
        &IMarket::UnknownBatch { batchId: b4.id },
    );
    let mut call = review_batches_call(std::slice::from_ref(&b4), &[]);
    call.annotators = vec![];
    assert_reverts(
        &m.send(creator, &call, U256::ZERO).unwrap(),
        &IMarket::InvalidCalldata {},
    );
    // One bad batch reverts the whole call: nothing was paid.
    let b5 = claim_and_submit(&mut m, ann[3], job, &[8, 9]);
    let bad = Batch {
        submitted_at: b5.submitted_at + 1,
        ..b5
    };
    let before = m.chain.balance(ann[2]);
    let r = m.approve_batches(creator, &[b4.clone(), bad]).unwrap();
    assert_reverts(&r, &IMarket::UnknownBatch { batchId: b5.id });
    assert_eq!(m.chain.balance(ann[2]), before);
    ok(&m.approve_batches(creator, &[b4]).unwrap());
}

// -------------------------------------------------------------- disputes

/// A job with one batch of tasks 0–3 by `ann[0]`, its tasks 1 and 2 rejected.
fn rejected(m: &mut Market, creator: Address, ann: &[Address], spec: &JobSpec) -> Rejection {
    let (job, _) = m.create_job(creator, spec).unwrap();
    let b = claim_and_submit(m, ann[0], job, &[0, 1, 2, 3]);
    m.reject(creator, &b, &[0, 3, 3, 0]).unwrap().1
}

#[test]
fn overturned_dispute_pays_the_annotator_its_bond_and_the_arbiter_its_fee() {
    let (mut m, creator, ann) = setup();
    let spec = small_job();
    let rejection = rejected(&mut m, creator, &ann, &spec);
    let (fee, bond, reward) = (
        U256::from(DEFAULT_ARBITER_FEE),
        U256::from(DEFAULT_DISPUTE_BOND),
        U256::from(spec.reward),
    );
    // The bond is exact.
    let r = m
        .send(ann[0], &rejection.dispute_call(), bond - U256::from(1))
        .unwrap();
    assert_reverts(
        &r,
        &IMarket::WrongEscrow {
            expected: bond,
            received: bond - U256::from(1),
        },
    );
    let (r, disputed) = m.dispute(&rejection).unwrap();
    ok(&r);
    let disputed = disputed.unwrap();
    assert_eq!(logs::<IMarket::RejectionDisputed>(&r)[0].bond, bond);
    // Only the arbiter rules.
    assert_reverts(
        &m.send(creator, &disputed.rule_call(false), U256::ZERO)
            .unwrap(),
        &IMarket::Unauthorized { account: creator },
    );
    let (a0, arb, cr) = (
        m.chain.balance(ann[0]),
        m.chain.balance(DEFAULT_ARBITER),
        m.chain.balance(creator),
    );
    let r = m
        .send(DEFAULT_ARBITER, &disputed.rule_call(true), U256::ZERO)
        .unwrap();
    ok(&r);
    assert_eq!(logs::<IMarket::RejectionSettled>(&r)[0].outcome, 3);
    assert_eq!(
        m.chain.balance(ann[0]) - a0,
        reward * U256::from(2) + bond,
        "paid for both tasks, bond back"
    );
    assert_eq!(
        m.chain.balance(DEFAULT_ARBITER) - arb,
        fee,
        "the creator's deposit pays the arbiter (gas is free on the devnet)"
    );
    assert_eq!(
        m.chain.balance(creator),
        cr,
        "the creator gets nothing back"
    );
    let rec = record(&mut m, rejection.job, ann[0]);
    assert_eq!((rec.approved, rec.rejected), (4, 0));
    let info = job_info(&mut m, rejection.job);
    assert_eq!((info.approved, info.reserved), (4, 0));
    assert_eq!(
        m.read(&IMarket::acceptedLabelsCall {
            jobId: rejection.job,
            annotator: ann[0]
        })
        .unwrap(),
        4
    );
}

#[test]
fn upheld_dispute_reopens_the_tasks_and_the_bond_pays_the_arbiter() {
    let (mut m, creator, ann) = setup();
    let spec = small_job();
    let rejection = rejected(&mut m, creator, &ann, &spec);
    let (fee, bond) = (
        U256::from(DEFAULT_ARBITER_FEE),
        U256::from(DEFAULT_DISPUTE_BOND),
    );
    let disputed = m.dispute(&rejection).unwrap().1.unwrap();
    let (a0, arb, cr) = (
        m.chain.balance(ann[0]),
        m.chain.balance(DEFAULT_ARBITER),
        m.chain.balance(creator),
    );
    let r = m
        .send(DEFAULT_ARBITER, &disputed.rule_call(false), U256::ZERO)
        .unwrap();
    ok(&r);
    assert_eq!(logs::<IMarket::RejectionSettled>(&r)[0].outcome, 2);
    assert_eq!(m.chain.balance(ann[0]), a0, "the annotator loses its bond");
    assert_eq!(m.chain.balance(DEFAULT_ARBITER) - arb, fee);
    assert_eq!(
        m.chain.balance(creator) - cr,
        bond,
        "deposit back, plus the bond minus the fee"
    );
    assert_eq!(task(&mut m, rejection.job, 1).state, 0, "reopened");
    assert_eq!(job_info(&mut m, rejection.job).reserved, 0);
    // A ruling is final.
    assert_reverts(
        &m.send(DEFAULT_ARBITER, &disputed.rule_call(true), U256::ZERO)
            .unwrap(),
        &IMarket::UnknownBatch {
            batchId: rejection.batch,
        },
    );
}

#[test]
fn unruled_dispute_pays_the_annotator_by_default() {
    let (mut m, creator, ann) = setup();
    let spec = small_job();
    let rejection = rejected(&mut m, creator, &ann, &spec);
    let bond = U256::from(DEFAULT_DISPUTE_BOND);
    let disputed = m.dispute(&rejection).unwrap().1.unwrap();
    let end = disputed.at + u64::from(DEFAULT_RULING_WINDOW);
    assert_reverts(
        &m.send(ann[5], &disputed.settle_call(), U256::ZERO).unwrap(),
        &IMarket::DisputeOpen {
            batchId: rejection.batch,
            end,
        },
    );
    m.chain.warp(u64::from(DEFAULT_RULING_WINDOW) + 1);
    // Too late for the arbiter.
    assert_reverts(
        &m.send(DEFAULT_ARBITER, &disputed.rule_call(false), U256::ZERO)
            .unwrap(),
        &IMarket::DisputeClosed {
            batchId: rejection.batch,
            end,
        },
    );
    let (a0, cr) = (m.chain.balance(ann[0]), m.chain.balance(creator));
    let r = m.send(ann[5], &disputed.settle_call(), U256::ZERO).unwrap();
    ok(&r);
    assert_eq!(logs::<IMarket::RejectionSettled>(&r)[0].outcome, 4);
    assert_eq!(
        m.chain.balance(ann[0]) - a0,
        U256::from(spec.reward * 2) + bond
    );
    assert_eq!(
        m.chain.balance(creator) - cr,
        U256::from(DEFAULT_ARBITER_FEE),
        "an arbiter that did not rule earns nothing"
    );
}

#[test]
fn disputes_are_the_annotators_and_close_with_their_window() {
    let (mut m, creator, ann) = setup();
    let spec = small_job();
    let rejection = rejected(&mut m, creator, &ann, &spec);
    let bond = U256::from(DEFAULT_DISPUTE_BOND);
    // Someone else cannot dispute in the annotator's name.
    let r = m.send(ann[1], &rejection.dispute_call(), bond).unwrap();
    assert_reverts(
        &r,
        &IMarket::UnknownBatch {
            batchId: rejection.batch,
        },
    );
    // Wrong data.
    let mut wrong = rejection.dispute_call();
    wrong.taskIds = vec![1];
    assert_reverts(
        &m.send(ann[0], &wrong, bond).unwrap(),
        &IMarket::UnknownBatch {
            batchId: rejection.batch,
        },
    );
    m.chain.warp(u64::from(DEFAULT_DISPUTE_WINDOW) + 1);
    assert_reverts(
        &m.send(ann[0], &rejection.dispute_call(), bond).unwrap(),
        &IMarket::DisputeClosed {
            batchId: rejection.batch,
            end: rejection.at + u64::from(DEFAULT_DISPUTE_WINDOW),
        },
    );
}

#[test]
fn token_job_disputes_pull_the_deposit_and_the_bond() {
    let (mut m, creator, ann) = setup();
    let spec = JobSpec {
        token: m.token,
        ..small_job()
    };
    let (fee, bond) = (
        U256::from(DEFAULT_ARBITER_FEE),
        U256::from(DEFAULT_DISPUTE_BOND),
    );
    m.mint(creator, spec.escrow() + fee).unwrap();
    m.mint(ann[0], bond).unwrap();
    let market = m.market;
    for (who, v) in [(creator, spec.escrow() + fee), (ann[0], bond)] {
        let approve = IRewardToken::approveCall {
            spender: market,
            value: v,
        };
        ok(&m.chain.send_call(who, m.token, &approve).unwrap());
    }
    let rejection = rejected(&mut m, creator, &ann, &spec);
    let bal = |m: &mut Market, who: Address| {
        m.chain
            .read(m.token, &IRewardToken::balanceOfCall { account: who })
            .unwrap()
    };
    assert_eq!(bal(&mut m, creator), U256::ZERO, "escrow and fee pulled");
    let (r, disputed) = m.dispute(&rejection).unwrap();
    ok(&r);
    assert_eq!(bal(&mut m, ann[0]), U256::from(spec.reward * 2));
    ok(&m
        .send(
            DEFAULT_ARBITER,
            &disputed.unwrap().rule_call(true),
            U256::ZERO,
        )
        .unwrap());
    assert_eq!(
        bal(&mut m, ann[0]),
        U256::from(spec.reward * 4) + bond,
        "paid for all four tasks, bond back"
    );
    assert_eq!(bal(&mut m, DEFAULT_ARBITER), fee);
}

// ------------------------------------------------------------- payments

#[test]
fn reverting_receiver_is_credited_and_withdraws_elsewhere() {
    let (mut m, creator, ann) = setup();
    let spec = small_job();
    let (job, _) = m.create_job(creator, &spec).unwrap();
    // A contract wallet that refuses ETH labels through a relayer.
    let receiver = wallet(&mut m, "(return (i32.const 1))");
    let b = wallet_submit(&mut m, receiver, job, &[0, 1], &[1, 1]);
    let r = m.review(creator, &b, &[]).unwrap();
    ok(&r);
    assert!(logs::<IMarket::RewardPaid>(&r).is_empty());
    let credited = logs::<IMarket::RewardCredited>(&r);
    assert_eq!(credited[0].amount, U256::from(spec.reward * 2));
    assert_eq!(
        credit(&mut m, Address::ZERO, receiver),
        U256::from(spec.reward * 2)
    );
    // Withdrawing to itself fails and keeps the credit; to another address works.
    let w = |to: Address| IMarket::withdrawCall {
        token: Address::ZERO,
        to,
    };
    assert_reverts(
        &via(&mut m, receiver, &w(receiver)),
        &IMarket::WithdrawFailed {
            token: Address::ZERO,
            to: receiver,
        },
    );
    assert_eq!(
        credit(&mut m, Address::ZERO, receiver),
        U256::from(spec.reward * 2)
    );
    let before = m.chain.balance(ann[3]);
    let r = via(&mut m, receiver, &w(ann[3]));
    ok(&r);
    assert_eq!(
        m.chain.balance(ann[3]) - before,
        U256::from(spec.reward * 2)
    );
    assert_eq!(credit(&mut m, Address::ZERO, receiver), U256::ZERO);
    assert_reverts(
        &via(&mut m, receiver, &w(ann[3])),
        &IMarket::NothingToWithdraw {},
    );
    assert_reverts(
        &via(&mut m, receiver, &w(Address::ZERO)),
        &IMarket::ZeroAddress {},
    );
}

#[test]
fn gas_hungry_receiver_cannot_block_approval() {
    let (mut m, creator, _) = setup();
    let spec = small_job();
    let (job, _) = m.create_job(creator, &spec).unwrap();
    let hungry = wallet(&mut m, "(loop $l (br $l))");
    let b = wallet_submit(&mut m, hungry, job, &[0], &[1]);
    let r = m.review(creator, &b, &[]).unwrap();
    ok(&r);
    assert_eq!(
        credit(&mut m, Address::ZERO, hungry),
        U256::from(spec.reward)
    );
    assert!(
        r.gas_used < 200_000,
        "the receiver got a bounded stipend: {}",
        r.gas_used
    );
}

#[test]
fn failed_token_payment_is_credited_and_withdrawn_later() {
    let (mut m, creator, ann) = setup();
    let spec = JobSpec {
        token: m.token,
        ..small_job()
    };
    m.mint(creator, spec.escrow()).unwrap();
    let approve = IRewardToken::approveCall {
        spender: m.market,
        value: spec.escrow(),
    };
    ok(&m.chain.send_call(creator, m.token, &approve).unwrap());
    let (job, _) = m.create_job(creator, &spec).unwrap();
    let b = claim_and_submit(&mut m, ann[0], job, &[0, 1, 2]);
    // The token is paused: the push fails, the approval still goes through.
    let admin = m.admin;
    ok(&m
        .chain
        .send_call(admin, m.token, &IRewardToken::pauseCall {})
        .unwrap());
    let r = m.review(creator, &b, &[]).unwrap();
    ok(&r);
    let owed = U256::from(spec.reward * 3);
    assert_eq!(logs::<IMarket::RewardCredited>(&r)[0].amount, owed);
    let token = m.token;
    assert_eq!(credit(&mut m, token, ann[0]), owed);
    let w = IMarket::withdrawCall {
        token: m.token,
        to: ann[0],
    };
    // Still paused: the withdrawal fails and the credit stays.
    assert_reverts(
        &m.send(ann[0], &w, U256::ZERO).unwrap(),
        &IMarket::WithdrawFailed {
            token: m.token,
            to: ann[0],
        },
    );
    assert_eq!(credit(&mut m, token, ann[0]), owed);
    ok(&m
        .chain
        .send_call(admin, m.token, &IRewardToken::unpauseCall {})
        .unwrap());
    let r = m.send(ann[0], &w, U256::ZERO).unwrap();
    ok(&r);
    assert_eq!(logs::<IMarket::Withdrawn>(&r)[0].amount, owed);
    let balance = m
        .chain
        .read(m.token, &IRewardToken::balanceOfCall { account: ann[0] })
        .unwrap();
    assert_eq!(balance, owed);
}

// ---------------------------------------------------------- cancellation

#[test]
fn cancel_refunds_only_unowed_escrow_and_reserved_work_stays_payable() {
    let (mut m, creator, ann) = setup();
    let spec = small_job();
    let reward = U256::from(spec.reward);
    let (job, _) = m.create_job(creator, &spec).unwrap();
    // 2 approved, 2 pending, 2 claimed, 2 open.
    let done = claim_and_submit(&mut m, ann[0], job, &[0, 1]);
    ok(&m.review(creator, &done, &[]).unwrap());
    let pending = claim_and_submit(&mut m, ann[1], job, &[2, 3]);
    ok(&m.claim(ann[2], job, &[4, 5]).unwrap());
    assert_reverts(
        &m.send(ann[3], &IMarket::cancelJobCall { jobId: job }, U256::ZERO)
            .unwrap(),
        &IMarket::Unauthorized { account: ann[3] },
    );
    let before = m.chain.balance(creator);
    let r = m
        .send(creator, &IMarket::cancelJobCall { jobId: job }, U256::ZERO)
        .unwrap();
    ok(&r);
    assert_eq!(
        logs::<IMarket::JobCancelled>(&r)[0].refund,
        reward * U256::from(2)
    );
    assert_eq!(m.chain.balance(creator) - before, reward * U256::from(2));
    assert_eq!(job_info(&mut m, job).escrow, reward * U256::from(4));
    assert_eq!(job_info(&mut m, job).status, 3);
    // No new work on a cancelled job.
    assert_reverts(
        &m.claim(ann[3], job, &[6]).unwrap(),
        &IMarket::JobNotOpen {
            jobId: job,
            status: 3,
        },
    );
    let (r, _) = m.submit(ann[3], job, &[6], &[0]).unwrap();
    assert_reverts(&r, &IMarket::NotClaimed { taskId: 6 });
    assert_reverts(
        &m.send(creator, &IMarket::cancelJobCall { jobId: job }, U256::ZERO)
            .unwrap(),
        &IMarket::JobNotOpen {
            jobId: job,
            status: 3,
        },
    );
    // Submitted work is still approved and paid; a rejection stays held
    // (disputable) until settled, then its escrow goes back to the creator.
    let before = m.chain.balance(ann[1]);
    let (_, rejection) = m.reject(creator, &pending, &[0, 3]).unwrap();
    assert_eq!(m.chain.balance(ann[1]) - before, reward);
    assert_eq!(job_info(&mut m, job).escrow, reward * U256::from(3));
    m.chain.warp(u64::from(DEFAULT_DISPUTE_WINDOW) + 1);
    let before = m.chain.balance(creator);
    let r = m
        .send(ann[5], &rejection.settle_call(), U256::ZERO)
        .unwrap();
    ok(&r);
    assert_eq!(logs::<IMarket::EscrowRefunded>(&r)[0].amount, reward);
    assert_eq!(
        m.chain.balance(creator) - before,
        reward + U256::from(DEFAULT_ARBITER_FEE),
        "the held task's reward and the fee deposit"
    );
    // The claim expired meanwhile: on a cancelled job it can no longer be
    // submitted, and anyone releases it for the creator's refund.
    let (r, _) = m.submit(ann[2], job, &[4], &[1]).unwrap();
    assert_reverts(&r, &IMarket::NotClaimed { taskId: 4 });
    let before = m.chain.balance(creator);
    let r = m
        .send(
            ann[5],
            &IMarket::releaseClaimCall {
                jobId: job,
                annotator: ann[2],
                taskIds: vec![4, 5],
            },
            U256::ZERO,
        )
        .unwrap();
    ok(&r);
    assert_eq!(
        logs::<IMarket::EscrowRefunded>(&r)[0].amount,
        reward * U256::from(2)
    );
    assert_eq!(m.chain.balance(creator) - before, reward * U256::from(2));
    assert_eq!(job_info(&mut m, job).escrow, U256::ZERO);
    assert!(job_info(&mut m, job).reserved == 0);
    assert_eq!(m.chain.balance(m.market), U256::ZERO, "nothing left behind");
}

#[test]
fn live_claims_on_a_cancelled_job_stay_payable() {
    let (mut m, creator, ann) = setup();
    let spec = small_job();
    let (job, _) = m.create_job(creator, &spec).unwrap();
    ok(&m.claim(ann[0], job, &[4, 5]).unwrap());
    ok(&m
        .send(creator, &IMarket::cancelJobCall { jobId: job }, U256::ZERO)
        .unwrap());
    let (r, b) = m.submit(ann[0], job, &[4], &[1]).unwrap();
    ok(&r);
    let before = m.chain.balance(ann[0]);
    ok(&m.review(creator, &b.unwrap(), &[]).unwrap());
    assert_eq!(m.chain.balance(ann[0]) - before, U256::from(spec.reward));
}

#[test]
fn anyone_closes_an_expired_job_for_the_creator() {
    let (mut m, creator, ann) = setup();
    let spec = JobSpec {
        deadline_in: 1000,
        ..small_job()
    };
    let (job, _) = m.create_job(creator, &spec).unwrap();
    m.chain.warp(1000);
    let before = m.chain.balance(creator);
    ok(&m
        .send(ann[4], &IMarket::cancelJobCall { jobId: job }, U256::ZERO)
        .unwrap());
    assert_eq!(m.chain.balance(creator) - before, spec.escrow());
}

/// Heda's drain: after closing a job (refund) the creator approved work and
/// was paid out of other jobs' escrow. Here a cancelled job's payouts are
/// bounded by what it still reserves, and fabricated batches do not exist.
#[test]
fn cancelled_job_cannot_drain_other_jobs_escrow() {
    let (mut m, creator, ann) = setup();
    let spec = small_job();
    let (victim, _) = m.create_job(ann[5], &spec).unwrap();
    let (job, _) = m.create_job(creator, &spec).unwrap();
    let b = claim_and_submit(&mut m, ann[0], job, &[0]);
    ok(&m
        .send(creator, &IMarket::cancelJobCall { jobId: job }, U256::ZERO)
        .unwrap());
    // The creator's own annotator account tries to cash fabricated work.
    for fake in [
        Batch {
            tasks: vec![1],
            ..b.clone()
        },
        Batch {
            job: victim,
            ..b.clone()
        },
    ] {
        let r = m.review(creator, &fake, &[]).unwrap();
        assert!(!r.success || logs::<IMarket::BatchReviewed>(&r).is_empty());
    }
    ok(&m.review(creator, &b, &[]).unwrap());
    let r = m.review(creator, &b, &[]).unwrap();
    ok(&r);
    assert!(
        logs::<IMarket::RewardPaid>(&r).is_empty(),
        "a settled batch is skipped, never paid twice"
    );
    // The victim job's escrow is intact and fully in the contract.
    assert_eq!(job_info(&mut m, victim).escrow, spec.escrow());
    assert_eq!(m.chain.balance(m.market), spec.escrow());
}

// ------------------------------------------------------------ admin/pause

#[test]
fn pause_blocks_new_work_but_never_payments() {
    let (mut m, creator, ann) = setup();
    let spec = small_job();
    let (job, _) = m.create_job(creator, &spec).unwrap();
    let b = claim_and_submit(&mut m, ann[0], job, &[0]);
    ok(&m.claim(ann[1], job, &[1]).unwrap());
    assert_reverts(
        &m.send(ann[0], &IMarket::pauseCall {}, U256::ZERO).unwrap(),
        &IMarket::Unauthorized { account: ann[0] },
    );
    let admin = m.admin;
    let r = m.send(admin, &IMarket::pauseCall {}, U256::ZERO).unwrap();
    ok(&r);
    assert!(m.read(&IMarket::pausedCall {}).unwrap().isPaused);
    assert_reverts(
        &m.send(admin, &IMarket::pauseCall {}, U256::ZERO).unwrap(),
        &IMarket::EnforcedPause {},
    );
    let now = m.chain.timestamp();
    assert_reverts(
        &m.send(creator, &spec.call(now), spec.escrow()).unwrap(),
        &IMarket::EnforcedPause {},
    );
    assert_reverts(
        &m.claim(ann[2], job, &[2]).unwrap(),
        &IMarket::EnforcedPause {},
    );
    let (r, _) = m.submit(ann[1], job, &[1], &[0]).unwrap();
    assert_reverts(&r, &IMarket::EnforcedPause {});
    // Money owed still moves.
    ok(&m.review(creator, &b, &[]).unwrap());
    ok(&m
        .send(
            ann[1],
            &IMarket::releaseClaimCall {
                jobId: job,
                annotator: ann[1],
                taskIds: vec![1],
            },
            U256::ZERO,
        )
        .unwrap());
    ok(&m
        .send(creator, &IMarket::cancelJobCall { jobId: job }, U256::ZERO)
        .unwrap());
    m.chain.warp(500);
    ok(&m.send(admin, &IMarket::unpauseCall {}, U256::ZERO).unwrap());
    let p = m.read(&IMarket::pausedCall {}).unwrap();
    assert!(!p.isPaused);
    assert!(p.pausedFor >= 500);
    assert_reverts(
        &m.send(admin, &IMarket::unpauseCall {}, U256::ZERO).unwrap(),
        &IMarket::ExpectedPause {},
    );
}

#[test]
fn admin_hands_over_in_two_steps_and_manages_pausers() {
    let (mut m, _, ann) = setup();
    let admin = m.admin;
    assert_eq!(m.read(&IMarket::adminCall {}).unwrap(), admin);
    assert!(m.read(&IMarket::isPauserCall { account: admin }).unwrap());
    let set = |account: Address, enabled: bool| IMarket::setPauserCall { account, enabled };
    assert_reverts(
        &m.send(ann[0], &set(ann[0], true), U256::ZERO).unwrap(),
        &IMarket::Unauthorized { account: ann[0] },
    );
    ok(&m.send(admin, &set(ann[0], true), U256::ZERO).unwrap());
    ok(&m.send(ann[0], &IMarket::pauseCall {}, U256::ZERO).unwrap());
    ok(&m.send(admin, &set(ann[0], false), U256::ZERO).unwrap());
    assert_reverts(
        &m.send(ann[0], &IMarket::unpauseCall {}, U256::ZERO)
            .unwrap(),
        &IMarket::Unauthorized { account: ann[0] },
    );
    ok(&m
        .send(
            admin,
            &IMarket::transferAdminCall { newAdmin: ann[1] },
            U256::ZERO,
        )
        .unwrap());
    assert_eq!(m.read(&IMarket::pendingAdminCall {}).unwrap(), ann[1]);
    assert_reverts(
        &m.send(ann[2], &IMarket::acceptAdminCall {}, U256::ZERO)
            .unwrap(),
        &IMarket::Unauthorized { account: ann[2] },
    );
    let r = m
        .send(ann[1], &IMarket::acceptAdminCall {}, U256::ZERO)
        .unwrap();
    ok(&r);
    assert_eq!(logs::<IMarket::AdminTransferred>(&r)[0].newAdmin, ann[1]);
    assert_eq!(m.read(&IMarket::adminCall {}).unwrap(), ann[1]);
    assert_reverts(
        &m.send(
            admin,
            &IMarket::transferAdminCall { newAdmin: admin },
            U256::ZERO,
        )
        .unwrap(),
        &IMarket::Unauthorized { account: admin },
    );
}

#[test]
fn arbiters_register_their_own_terms_within_bounds() {
    let (mut m, _, ann) = setup();
    let expert = ann[5];
    let mut call = default_terms(m.token);
    call.fee = 7;
    call.bond = 6;
    assert_reverts(
        &m.send(expert, &call, U256::ZERO).unwrap(),
        &IMarket::InvalidTerms { field: 1 },
    );
    for (dispute, ruling) in [(3599, 3600), (3600, 30 * 86_400 + 1)] {
        let mut call = default_terms(m.token);
        call.disputeWindow = dispute;
        call.rulingWindow = ruling;
        assert_reverts(
            &m.send(expert, &call, U256::ZERO).unwrap(),
            &IMarket::InvalidTerms { field: 2 },
        );
    }
    let call = IMarket::registerArbiterTermsCall {
        token: m.token,
        fee: 5,
        bond: 5,
        disputeWindow: 3600,
        rulingWindow: 7200,
    };
    let r = m.send(expert, &call, U256::ZERO).unwrap();
    ok(&r);
    let id = IMarket::registerArbiterTermsCall::abi_decode_returns(&r.output).unwrap();
    assert_eq!(id, 3, "after the two default sets");
    let e = &logs::<IMarket::ArbiterTermsRegistered>(&r)[0];
    assert_eq!((e.termsId, e.arbiter, e.token), (3, expert, m.token));
    let t = m.read(&IMarket::arbiterTermsCall { termsId: 3 }).unwrap();
    assert_eq!(
        (
            t.arbiter,
            t.token,
            t.fee,
            t.bond,
            t.disputeWindow,
            t.rulingWindow
        ),
        (expert, m.token, 5, 5, 3600, 7200)
    );
    assert!(m
        .read(&IMarket::arbiterTermsCall { termsId: 4 })
        .unwrap()
        .arbiter
        .is_zero());
}

/// The extension runs only in the market's storage: called directly it has
/// no admin, no pauser, no job, so it can do nothing of value.
#[test]
fn extension_called_directly_has_nothing_to_act_on() {
    let (mut m, creator, ann) = setup();
    let (job, _) = m.create_job(creator, &small_job()).unwrap();
    let ext = m.extension;
    let admin = m.admin;
    let mut direct = |from: Address, data: Vec<u8>| {
        m.chain
            .send(from, Some(ext), U256::ZERO, data, DEFAULT_TX_GAS)
            .unwrap()
    };
    assert_reverts(
        &direct(admin, IMarket::pauseCall {}.abi_encode()),
        &IMarket::Unauthorized { account: admin },
    );
    assert_reverts(
        &direct(creator, IMarket::cancelJobCall { jobId: job }.abi_encode()),
        &IMarket::JobNotFound { jobId: job },
    );
    assert_reverts(
        &direct(
            ann[0],
            IMarket::submitBatchCall {
                jobId: job,
                taskIds: vec![0],
                payload: vec![1u8].into(),
            }
            .abi_encode(),
        ),
        &IMarket::UnknownFunction {
            selector: IMarket::submitBatchCall::SELECTOR.into(),
        },
    );
    assert_eq!(
        job_info(&mut m, job).status,
        1,
        "the market's job is untouched"
    );
}

// ------------------------------------------------------------- calldata

#[test]
fn malformed_calldata_gets_named_errors() {
    let (mut m, creator, ann) = setup();
    let (job, _) = m.create_job(creator, &small_job()).unwrap();
    let raw = |m: &mut Market, data: Vec<u8>, value: U256| {
        m.chain
            .send(ann[0], Some(m.market), value, data, DEFAULT_TX_GAS)
            .unwrap()
    };
    let claim = IMarket::claimTasksCall {
        jobId: job,
        taskIds: vec![1, 2],
    }
    .abi_encode();
    // Truncated.
    assert_reverts(
        &raw(&mut m, claim[..claim.len() - 1].to_vec(), U256::ZERO),
        &IMarket::InvalidCalldata {},
    );
    // A task id with bits above uint32.
    let mut dirty = claim.clone();
    let last = dirty.len() - 32;
    dirty[last] = 1;
    assert_reverts(
        &raw(&mut m, dirty, U256::ZERO),
        &IMarket::InvalidCalldata {},
    );
    // An array length pointing past the end.
    let mut long = claim.clone();
    long[4 + 64 + 31] = 200;
    assert_reverts(&raw(&mut m, long, U256::ZERO), &IMarket::InvalidCalldata {});
    // The same strictness in the extension's functions.
    let release = IMarket::releaseClaimCall {
        jobId: job,
        annotator: ann[0],
        taskIds: vec![1],
    }
    .abi_encode();
    assert_reverts(
        &raw(&mut m, release[..release.len() - 1].to_vec(), U256::ZERO),
        &IMarket::InvalidCalldata {},
    );
    // Unknown selector (answered by the extension), 1–3 bytes, empty
    // calldata (plain ETH), ETH to a non-payable function on either program.
    assert_reverts(
        &raw(&mut m, vec![0xde, 0xad, 0xbe, 0xef], U256::ZERO),
        &IMarket::UnknownFunction {
            selector: [0xde, 0xad, 0xbe, 0xef].into(),
        },
    );
    for short in [vec![1u8], vec![1, 2], vec![1, 2, 3]] {
        assert_reverts(
            &raw(&mut m, short, U256::ZERO),
            &IMarket::InvalidCalldata {},
        );
    }
    assert!(!raw(&mut m, vec![], U256::from(1)).success);
    assert_reverts(&raw(&mut m, claim, U256::from(1)), &IMarket::NotPayable {});
    assert_reverts(
        &raw(&mut m, release, U256::from(1)),
        &IMarket::NotPayable {},
    );
    assert_eq!(m.chain.balance(m.market), small_job().escrow());
}

// ------------------------------------------------------------- job source

#[test]
fn job_source_reports_settlement_and_accepted_labels() {
    let (mut m, creator, ann) = setup();
    let spec = JobSpec {
        tasks: 3,
        data_root: B256::repeat_byte(0x77),
        ..small_job()
    };
    let (job, _) = m.create_job(creator, &spec).unwrap();
    let source = |m: &mut Market| m.read(&IMarket::jobSourceCall { jobId: job }).unwrap();
    let s = source(&mut m);
    assert_eq!(
        (s.creator, s.token, s.dataRoot, s.settled, s.accepted),
        (creator, Address::ZERO, spec.data_root, false, 0)
    );
    let (r, b) = m.submit(ann[0], job, &[0, 1, 2], &[1, 1, 1]).unwrap();
    ok(&r);
    ok(&m.review(creator, &b.unwrap(), &[]).unwrap());
    let s = source(&mut m);
    assert_eq!((s.settled, s.accepted), (true, 3));
    assert_eq!(
        m.read(&IMarket::acceptedLabelsCall {
            jobId: job,
            annotator: ann[0]
        })
        .unwrap(),
        3
    );
    let unknown = m
        .read(&IMarket::jobSourceCall {
            jobId: U256::from(99),
        })
        .unwrap();
    assert!(unknown.creator.is_zero() && !unknown.settled);
}

/// The benchmark's flows complete every job and pay every task once; the
/// direct flow with one review call stays within the 8,000 gas per approved
/// task target at batch 32 (a regression guard on a measured figure, not a
/// timing).
#[test]
fn lifecycle_completes_and_direct_flow_meets_the_gas_target() {
    let l = labelmint::market::lifecycle(100, 1, 32, false, false, true).unwrap();
    assert!(
        l.per_task() <= 8_000,
        "{} gas per approved task",
        l.per_task()
    );
    let l = labelmint::market::lifecycle(20, 3, 10, true, true, false).unwrap();
    assert_eq!(
        l.steps
            .iter()
            .filter(|s| s.label.starts_with("claimTasks"))
            .count(),
        2
    );
}

/// A raw slot of the market's storage, `keccak256(tag ‖ a ‖ 0 ‖ 0)` as
/// `stylus_kit::slot` computes it (tag 5: a job's record).
fn raw_slot(tag: u8, a: U256) -> U256 {
    let mut buf = [0u8; 128];
    buf[31] = tag;
    buf[32..64].copy_from_slice(&a.to_be_bytes::<32>());
    U256::from_be_bytes(alloy_primitives::keccak256(buf).0)
}

/// The counters no test could reach by transactions (65,533 annotators in a
/// job, 2^32 batches, 2^24 arbiter terms, 2^256 jobs) are put at their
/// limit with `set_storage` (anvil's `setStorageAt`): one step past it
/// reverts with its name and changes nothing, one step short still works.
#[test]
fn counters_at_their_limits_revert_too_many_annotators_and_overflow_and_change_nothing() {
    let (mut m, creator, ann) = setup();
    let (job, _) = m.create_job(creator, &small_job()).unwrap();
    let market = m.market;
    let base = raw_slot(5, job);
    let words = |m: &Market| -> Vec<U256> {
        (0..3u64)
            .map(|i| m.chain.storage(market, base + U256::from(i)))
            .collect()
    };
    // Word 0 ends with the job's member count (16 bits), word 1 with its batch count (32 bits).
    let low = |w: U256, bits: usize| w & ((U256::from(1) << bits) - U256::from(1));
    let with_low = |w: U256, bits: usize, v: u64| (w ^ low(w, bits)) | U256::from(v);
    assert_eq!(low(words(&m)[0], 16), U256::ZERO, "no member yet");

    // One member short of MAX_MEMBERS (65,533): the next annotator joins, the one after cannot.
    let w0 = words(&m)[0];
    m.chain.set_storage(market, base, with_low(w0, 16, 65_532));
    ok(&m.claim(ann[0], job, &[0]).unwrap());
    assert_eq!(low(words(&m)[0], 16), U256::from(65_533u64));
    let before = words(&m);
    assert_reverts(
        &m.claim(ann[1], job, &[1]).unwrap(),
        &IMarket::TooManyAnnotators {},
    );
    assert_eq!(words(&m), before, "the refused claim changed nothing");
    assert_eq!(task(&mut m, job, 1).holder, Address::ZERO);
    assert_eq!(record(&mut m, job, ann[1]).open, 0);

    // The job's batch counter at 2^32 - 1: a submission reverts Overflow, and
    // the same submission passes once the counter is one lower.
    let w1 = words(&m)[1];
    m.chain.set_storage(
        market,
        base + U256::from(1),
        with_low(w1, 32, u64::from(u32::MAX)),
    );
    let before = words(&m);
    let (r, batch) = m.submit(ann[0], job, &[0], &[1]).unwrap();
    assert_reverts(&r, &IMarket::Overflow {});
    assert!(batch.is_none());
    assert_eq!(words(&m), before);
    assert_eq!(record(&mut m, job, ann[0]).pending, 0);
    m.chain.set_storage(
        market,
        base + U256::from(1),
        with_low(w1, 32, u64::from(u32::MAX - 1)),
    );
    let (r, batch) = m.submit(ann[0], job, &[0], &[1]).unwrap();
    ok(&r);
    assert_eq!(batch.unwrap().id, U256::from(u32::MAX));

    // 2^24 - 1 arbiter terms registered: the next id no longer fits a job word.
    let terms_count = U256::from(5u64);
    m.chain
        .set_storage(market, terms_count, U256::from((1u64 << 24) - 1));
    let terms = IMarket::registerArbiterTermsCall {
        token: Address::ZERO,
        fee: 5,
        bond: 5,
        disputeWindow: 3600,
        rulingWindow: 7200,
    };
    assert_reverts(
        &m.send(ann[2], &terms, U256::ZERO).unwrap(),
        &IMarket::Overflow {},
    );
    assert_eq!(
        m.chain.storage(market, terms_count),
        U256::from((1u64 << 24) - 1)
    );
    m.chain
        .set_storage(market, terms_count, U256::from((1u64 << 24) - 2));
    ok(&m.send(ann[2], &terms, U256::ZERO).unwrap());

    // The job counter at 2^256 - 1: creating a job reverts Overflow and the
    // escrow stays with the creator.
    let job_count = U256::from(2u64);
    m.chain.set_storage(market, job_count, U256::MAX);
    let held = m.chain.balance(market);
    let spec = small_job();
    let now = m.chain.timestamp();
    let r = m.send(creator, &spec.call(now), spec.escrow()).unwrap();
    assert_reverts(&r, &IMarket::Overflow {});
    assert_eq!(m.chain.balance(market), held, "no escrow taken");
    assert_eq!(m.chain.storage(market, job_count), U256::MAX);
    m.chain
        .set_storage(market, job_count, U256::MAX - U256::from(1));
    let now = m.chain.timestamp();
    let r = m.send(creator, &spec.call(now), spec.escrow()).unwrap();
    ok(&r);
    assert_eq!(
        IMarket::createJobCall::abi_decode_returns(&r.output).unwrap(),
        U256::MAX,
        "the last id is still handed out"
    );
}

// ------------------------------------------------------ difficulty weights

/// Six easy tasks (weight 1) and two hard ones (weight 3): 12 units.
fn mixed_job() -> JobSpec {
    JobSpec {
        tasks: 8,
        difficulty: vec![(6, 1), (8, 3)],
        ..JobSpec::default()
    }
}

#[test]
fn a_weighted_job_escrows_pays_and_counts_each_task_by_its_difficulty_weight() {
    let (mut m, creator, ann) = setup();
    let spec = mixed_job();
    let reward = U256::from(spec.reward);
    // The escrow is reward × 12 units, not × 8 tasks.
    let now = m.chain.timestamp();
    let short = reward * U256::from(8);
    assert_reverts(
        &m.send(creator, &spec.weighted_call(now), short).unwrap(),
        &IMarket::WrongEscrow {
            expected: reward * U256::from(12),
            received: short,
        },
    );
    let before = m.chain.balance(m.market);
    let (job, r) = m.create_job(creator, &spec).unwrap();
    assert_eq!(
        logs::<IMarket::JobCreated>(&r)[0].escrow,
        reward * U256::from(12)
    );
    assert_eq!(
        logs::<IMarket::JobDifficulty>(&r)[0].difficulty,
        labelmint_client::hub::pack_difficulty(&spec.difficulty)
    );
    assert_eq!(m.chain.balance(m.market) - before, reward * U256::from(12));
    let weight = |m: &mut Market, t: u32| {
        m.read(&IMarket::taskWeightCall {
            jobId: job,
            taskId: t,
        })
        .unwrap()
    };
    assert_eq!(
        [0, 5, 6, 7, 8].map(|t| weight(&mut m, t)),
        [1, 1, 3, 3, 0],
        "task 8 does not exist"
    );
    assert_eq!(
        m.read(&IMarket::taskWeightCall {
            jobId: U256::from(99),
            taskId: 0
        })
        .unwrap(),
        0,
        "no such job"
    );
    // A claims the six easy tasks, B claims the two hard ones: 6 + 6 units
    // reserved.
    let easy = claim_and_submit(&mut m, ann[0], job, &[0, 1, 2, 3, 4, 5]);
    ok(&m.claim(ann[1], job, &[6, 7]).unwrap());
    assert_eq!(job_info(&mut m, job).reserved, 12);
    let (r, hard) = m.submit(ann[1], job, &[6, 7], &[1, 1]).unwrap();
    ok(&r);
    let hard = hard.unwrap();
    // A's six easy tasks pay 6 rewards.
    let a0 = m.chain.balance(ann[0]);
    let r = m.review(creator, &easy, &[]).unwrap();
    ok(&r);
    assert_eq!(
        logs::<IMarket::BatchReviewed>(&r)[0].amount,
        reward * U256::from(6)
    );
    assert_eq!(m.chain.balance(ann[0]) - a0, reward * U256::from(6));
    // One hard task approved pays 3 rewards; the rejected one holds 3 units.
    let a1 = m.chain.balance(ann[1]);
    let (r, rejection) = m.reject(creator, &hard, &[0, 2]).unwrap();
    let e = &logs::<IMarket::BatchReviewed>(&r)[0];
    assert_eq!(
        (e.approved, e.rejected, e.amount),
        (1, 1, reward * U256::from(3))
    );
    assert_eq!(m.chain.balance(ann[1]) - a1, reward * U256::from(3));
    let info = job_info(&mut m, job);
    assert_eq!((info.reserved, info.approved, info.status), (3, 9, 1));
    assert_eq!(
        info.escrow,
        reward * U256::from(3),
        "only the rejected hard task is held"
    );
    // The arbiter overturns: the hard task pays its weight, and the job
    // completes at 12 approved units.
    let (r, disputed) = m.dispute(&rejection).unwrap();
    ok(&r);
    let a1 = m.chain.balance(ann[1]);
    let r = m
        .send(
            DEFAULT_ARBITER,
            &disputed.unwrap().rule_call(true),
            U256::ZERO,
        )
        .unwrap();
    ok(&r);
    assert_eq!(
        logs::<IMarket::RejectionSettled>(&r)[0].tasks,
        1,
        "events count tasks"
    );
    assert_eq!(
        m.chain.balance(ann[1]) - a1,
        reward * U256::from(3) + U256::from(DEFAULT_DISPUTE_BOND)
    );
    assert_eq!(logs::<IMarket::JobCompleted>(&r).len(), 1);
    let info = job_info(&mut m, job);
    assert_eq!((info.reserved, info.approved, info.status), (0, 12, 2));
    assert_eq!(info.escrow, U256::ZERO);
    // Royalty shares follow the weights: B's two hard labels count 6, as
    // much as A's six easy ones.
    let accepted = |m: &mut Market, a: Address| {
        m.read(&IMarket::acceptedLabelsCall {
            jobId: job,
            annotator: a,
        })
        .unwrap()
    };
    assert_eq!((accepted(&mut m, ann[0]), accepted(&mut m, ann[1])), (6, 6));
    let s = m.read(&IMarket::jobSourceCall { jobId: job }).unwrap();
    assert_eq!((s.settled, s.accepted), (true, 12));
    let (r0, r1) = (record(&mut m, job, ann[0]), record(&mut m, job, ann[1]));
    assert_eq!((r0.approved, r1.approved, r1.rejected), (6, 6, 0));
}

#[test]
fn cancelling_a_weighted_job_refunds_open_units_and_freed_hard_work_refunds_its_weight() {
    let (mut m, creator, ann) = setup();
    // Two easy tasks, two of weight 5: 12 units.
    let spec = JobSpec {
        tasks: 4,
        difficulty: vec![(2, 1), (4, 5)],
        ..JobSpec::default()
    };
    let reward = U256::from(spec.reward);
    let start = m.chain.balance(m.market);
    let (job, _) = m.create_job(creator, &spec).unwrap();
    // A claims hard task 3; B submits hard task 2 and has it rejected.
    ok(&m.claim(ann[0], job, &[3]).unwrap());
    let b = claim_and_submit(&mut m, ann[1], job, &[2]);
    let (_, rejection) = m.reject(creator, &b, &[1]).unwrap();
    assert_eq!(job_info(&mut m, job).reserved, 10);
    // Cancelling refunds the two easy tasks only: 2 units.
    let before = m.chain.balance(creator);
    let r = m
        .send(creator, &IMarket::cancelJobCall { jobId: job }, U256::ZERO)
        .unwrap();
    ok(&r);
    assert_eq!(
        logs::<IMarket::JobCancelled>(&r)[0].refund,
        reward * U256::from(2)
    );
    assert_eq!(m.chain.balance(creator) - before, reward * U256::from(2));
    assert_eq!(job_info(&mut m, job).escrow, reward * U256::from(10));
    // A gives up the hard claim: its 5 units go back to the creator.
    let r = m
        .send(
            ann[0],
            &IMarket::releaseClaimCall {
                jobId: job,
                annotator: ann[0],
                taskIds: vec![3],
            },
            U256::ZERO,
        )
        .unwrap();
    ok(&r);
    assert_eq!(
        logs::<IMarket::EscrowRefunded>(&r)[0].amount,
        reward * U256::from(5)
    );
    // The undisputed rejection settles after its window: 5 more units back.
    m.chain.warp(u64::from(DEFAULT_DISPUTE_WINDOW) + 1);
    let r = m
        .send(ann[5], &rejection.settle_call(), U256::ZERO)
        .unwrap();
    ok(&r);
    assert_eq!(
        logs::<IMarket::EscrowRefunded>(&r)[0].amount,
        reward * U256::from(5)
    );
    let info = job_info(&mut m, job);
    assert_eq!(
        (info.reserved, info.approved, info.escrow),
        (0, 0, U256::ZERO)
    );
    assert_eq!(
        m.chain.balance(m.market),
        start,
        "the market holds nothing of the job: every unit refunded, the fee deposit returned"
    );
}

#[test]
fn malformed_difficulty_classes_and_unit_overflows_are_refused_by_name() {
    let (mut m, creator, _) = setup();
    let now = m.chain.timestamp();
    // The classes are checked before the escrow: no ETH is sent.
    let refused = |m: &mut Market, spec: &JobSpec, field: u8| {
        assert_reverts(
            &m.send(creator, &spec.weighted_call(now), U256::ZERO)
                .unwrap(),
            &IMarket::InvalidJobParameter { field },
        );
    };
    let with = |tasks: u32, classes: Vec<(u32, u8)>| JobSpec {
        tasks,
        difficulty: classes,
        ..JobSpec::default()
    };
    for bad in [
        vec![],
        vec![(0, 1), (8, 1)],
        vec![(4, 1), (4, 2), (8, 1)],
        vec![(4, 1), (7, 2)],
        vec![(8, 1), (9, 2)],
        vec![(4, 0), (8, 1)],
        vec![(1, 1), (2, 1), (3, 1), (4, 1), (8, 1)],
    ] {
        refused(&mut m, &with(8, bad), 13);
    }
    // Units must fit the 32-bit counters: 2^31 tasks of weight 2 do not.
    refused(&mut m, &with(1 << 31, vec![(1 << 31, 2)]), 13);
    // reward × units must fit 128 bits, with the units counted.
    let mut big = with(2, vec![(1, 1), (2, 2)]);
    big.reward = u128::MAX / 2;
    refused(&mut m, &big, 2);
    assert_eq!(m.read(&IMarket::jobCountCall {}).unwrap(), U256::ZERO);
    // A ragged blob (not a multiple of 5 bytes) is refused the same way.
    let mut call = with(8, vec![(8, 2)]).weighted_call(now);
    call.difficulty = vec![0, 0, 0, 8, 2, 0].into();
    assert_reverts(
        &m.send(
            creator,
            &call,
            U256::from(JobSpec::default().reward) * U256::from(16),
        )
        .unwrap(),
        &IMarket::InvalidJobParameter { field: 13 },
    );
}
