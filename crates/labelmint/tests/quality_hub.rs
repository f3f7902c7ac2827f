//! The QualityHub's real wasm (both programs) on the embedded chain, next to
//! the real RewardToken it stakes and pays in and the AnnotationMarket whose
//! registry names its arbiters: staking and per-vote locks, commit–reveal
//! consensus on revealed votes, payouts, slashes and keeper shares, gold
//! keys, escalation to the arbiter, reputation gates, closing and slash
//! shares, the job-source view, malformed calls, and a solvency property
//! over random histories that reach the money.
#![allow(missing_docs, clippy::too_many_lines, clippy::many_single_char_names)]

mod common;

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolError};
use common::{assert_reverts, logs, ok};
use labelmint::{
    hub::{Hub, HubJob, IHub, Vote, HUB_ARBITER_FEE, HUB_TERMS},
    market::DEFAULT_ARBITER,
};
use proptest::prelude::*;

/// The default reward per vote.
const R: u128 = 1_000_000_000_000;
/// The default stake per vote (twice the most one vote can earn at k = 3).
const S: u128 = 3 * R;
/// What each test annotator stakes: 64 votes' worth.
const STAKE: u128 = 64 * S;

fn setup(annotators: usize) -> (Hub, Address, Vec<Address>) {
    let mut h = Hub::deploy(false).unwrap();
    let creator = h.m.chain.account(0);
    let people: Vec<Address> = (1..=annotators).map(|i| h.m.chain.account(i)).collect();
    for &a in &people {
        h.fund_and_stake(a, STAKE).unwrap();
    }
    (h, creator, people)
}

fn vote(h: &mut Hub, who: Address, job: U256, tasks: &[u32], labels: &[u8]) -> Vote {
    let (r, v) = h.commit(who, job, tasks, labels).unwrap();
    ok(&r);
    v.unwrap()
}

fn stake_of(h: &mut Hub, who: Address) -> IHub::stakeOfReturn {
    h.read(&IHub::stakeOfCall { annotator: who }).unwrap()
}

fn settled(h: &mut Hub, by: Address, v: &Vote) -> IHub::BatchSettled {
    let r = h.settle(by, v).unwrap();
    ok(&r);
    logs::<IHub::BatchSettled>(&r).remove(0)
}

/// A job of `tasks` tasks with one gold task (the last, class 0).
fn small(tasks: u32) -> HubJob {
    HubJob {
        tasks,
        gold: vec![(tasks - 1, 0)],
        ..HubJob::default()
    }
}

enum At {
    Reveal,
    Settle,
    RulingEnd,
    End,
}

fn warp(h: &mut Hub, job: U256, at: At) {
    let j = h.job(job).unwrap();
    h.warp_to(match at {
        At::Reveal => j.commitEnd,
        At::Settle => j.revealEnd,
        At::RulingEnd => j.rulingEnd,
        At::End => j.settleEnd,
    });
}

fn close(h: &mut Hub, job: U256) -> IHub::JobClosed {
    let anyone = h.m.chain.account(9);
    let r = h
        .send(anyone, &IHub::closeJobCall { jobId: job }, U256::ZERO)
        .unwrap();
    ok(&r);
    logs::<IHub::JobClosed>(&r).remove(0)
}

fn consensus(h: &mut Hub, job: U256, task: u32) -> IHub::consensusOfReturn {
    h.read(&IHub::consensusOfCall {
        jobId: job,
        taskId: task,
    })
    .unwrap()
}

#[test]
fn create_job_validates_every_parameter_and_pulls_escrow_and_bond() {
    let (mut h, creator, _) = setup(0);
    let base = HubJob::default();
    let cases: Vec<(u8, HubJob)> = vec![
        (
            1,
            HubJob {
                tasks: 0,
                gold: vec![],
                ..base.clone()
            },
        ),
        (
            2,
            HubJob {
                reward: 0,
                ..base.clone()
            },
        ),
        (
            3,
            HubJob {
                k: 2,
                ..base.clone()
            },
        ),
        (
            3,
            HubJob {
                k: 16,
                ..base.clone()
            },
        ),
        (
            4,
            HubJob {
                classes: 1,
                ..base.clone()
            },
        ),
        (
            4,
            HubJob {
                classes: 15,
                ..base.clone()
            },
        ),
        (
            5,
            HubJob {
                quorum_bps: 5_000,
                ..base.clone()
            },
        ),
        (
            5,
            HubJob {
                quorum_bps: 8_001,
                ..base.clone()
            },
        ),
        (
            6,
            HubJob {
                reveal: 3_599,
                ..base.clone()
            },
        ),
        (
            6,
            HubJob {
                commit: 30 * 86_400 + 1,
                ..base.clone()
            },
        ),
        (
            6,
            HubJob {
                settle: 0,
                ..base.clone()
            },
        ),
        (
            7,
            HubJob {
                slash_bps: 10_001,
                ..base.clone()
            },
        ),
        (
            8,
            HubJob {
                min_rep: 10_001,
                ..base.clone()
            },
        ),
        (
            9,
            HubJob {
                reward: u128::MAX / 2,
                stake: u128::MAX,
                ..base.clone()
            },
        ),
        // A vote's stake must cover the most it can earn: bounty / 2.
        (
            10,
            HubJob {
                stake: base.bounty() / 2 - 1,
                ..base.clone()
            },
        ),
        (
            11,
            HubJob {
                terms: 1,
                ..base.clone()
            },
        ),
        (
            11,
            HubJob {
                terms: 99,
                ..base.clone()
            },
        ),
        (
            12,
            HubJob {
                gold: vec![],
                ..base.clone()
            },
        ),
        (
            12,
            HubJob {
                gold: vec![(0, 1), (9, 1), (17, 1)],
                ..base.clone()
            },
        ),
    ];
    // Parameters are checked before any token moves.
    for (field, spec) in cases {
        let r = h.send(creator, &spec.call(creator), U256::ZERO).unwrap();
        assert_reverts(&r, &IHub::InvalidParameter { field });
    }
    // The arbiter may not be the creator.
    let r = h.try_create(DEFAULT_ARBITER, &base).unwrap();
    assert_reverts(&r, &IHub::InvalidParameter { field: 11 });
    // The exact stake floor is accepted.
    let floor = HubJob {
        stake: base.bounty() / 2,
        ..base.clone()
    };
    ok(&h.try_create(creator, &floor).unwrap());
    // Escrow and gold bond are pulled from the creator.
    let before = h.tokens(h.hub).unwrap();
    let r = h.try_create(creator, &base).unwrap();
    ok(&r);
    let id = IHub::createJobCall::abi_decode_returns(&r.output).unwrap();
    assert_eq!(id, U256::from(2));
    assert_eq!(h.tokens(h.hub).unwrap() - before, base.deposit());
    let e = &logs::<IHub::JobCreated>(&r)[0];
    assert_eq!((e.escrow, e.arbiterTerms), (base.deposit(), HUB_TERMS));
    let j = h.job(id).unwrap();
    assert_eq!(
        (
            j.creator,
            j.replication,
            j.taskCount,
            j.arbiter,
            j.arbiterFee
        ),
        (creator, 3, 32, DEFAULT_ARBITER, HUB_ARBITER_FEE)
    );
    assert_eq!(
        (
            j.revealEnd - j.commitEnd,
            j.rulingEnd - j.revealEnd,
            j.settleEnd - j.rulingEnd
        ),
        (3_600, 86_400, 3_600)
    );
    let a = h.read(&IHub::jobAccountsCall { jobId: id }).unwrap();
    assert_eq!(
        (a.status, a.escrow, a.goldTasks, a.goldBond, a.goldRevealed),
        (1, base.bounty() * 32, 7, 7 * (R + HUB_ARBITER_FEE), false)
    );
    // Without an allowance the token refuses: nothing is created.
    let poor = h.m.chain.account(7);
    let r = h.send(poor, &base.call(poor), U256::ZERO).unwrap();
    assert_reverts(&r, &IHub::TokenCallFailed { token: h.m.token });
    assert_eq!(h.read(&IHub::jobCountCall {}).unwrap(), U256::from(2));
}

#[test]
fn stake_unstake_with_cooldown_and_per_vote_locks() {
    let (mut h, creator, people) = setup(1);
    let a = people[0];
    assert_eq!(stake_of(&mut h, a).staked, STAKE);
    assert_reverts(
        &h.send(a, &IHub::stakeCall { amount: 0 }, U256::ZERO)
            .unwrap(),
        &IHub::ZeroAmount {},
    );
    // No allowance left: the token refuses, the stake is unchanged.
    let r = h
        .send(a, &IHub::stakeCall { amount: 5 }, U256::ZERO)
        .unwrap();
    assert_reverts(&r, &IHub::TokenCallFailed { token: h.m.token });
    let job = h.create(creator, &HubJob::default()).unwrap();
    let v = vote(&mut h, a, job, &[1, 2], &[1, 1]);
    let s = stake_of(&mut h, a);
    assert_eq!((s.staked, s.locked), (STAKE, 2 * S), "one stake per vote");
    let r = h
        .send(
            a,
            &IHub::requestUnstakeCall {
                amount: STAKE - 2 * S + 1,
            },
            U256::ZERO,
        )
        .unwrap();
    assert_reverts(
        &r,
        &IHub::InsufficientStake {
            available: U256::from(STAKE - 2 * S),
            required: U256::from(STAKE - 2 * S + 1),
        },
    );
    // Settled (no other vote: escalated, unruled, participation), unlocked.
    warp(&mut h, job, At::Reveal);
    ok(&h.reveal(&v).unwrap());
    warp(&mut h, job, At::RulingEnd);
    let s = settled(&mut h, a, &v);
    assert_eq!(
        (s.paid, s.slashed),
        (U256::from(2 * R / 4), 0),
        "participation"
    );
    assert_eq!(stake_of(&mut h, a).locked, 0);
    ok(&h
        .send(a, &IHub::requestUnstakeCall { amount: STAKE }, U256::ZERO)
        .unwrap());
    let s = stake_of(&mut h, a);
    assert_eq!((s.staked, s.pending), (0, STAKE));
    let r = h.send(a, &IHub::withdrawStakeCall {}, U256::ZERO).unwrap();
    assert_reverts(&r, &IHub::CooldownActive { readyAt: s.readyAt });
    h.warp(3 * 86_400);
    let before = h.tokens(a).unwrap();
    ok(&h.send(a, &IHub::withdrawStakeCall {}, U256::ZERO).unwrap());
    assert_eq!(h.tokens(a).unwrap() - before, U256::from(STAKE));
    assert_reverts(
        &h.send(a, &IHub::withdrawStakeCall {}, U256::ZERO).unwrap(),
        &IHub::NothingToWithdraw {},
    );
    // Pay is withdrawn in tokens.
    let before = h.tokens(a).unwrap();
    ok(&h
        .send(a, &IHub::withdrawCall { to: a }, U256::ZERO)
        .unwrap());
    assert_eq!(h.tokens(a).unwrap() - before, U256::from(2 * R / 4));
    assert_reverts(
        &h.send(a, &IHub::withdrawCall { to: a }, U256::ZERO)
            .unwrap(),
        &IHub::NothingToWithdraw {},
    );
}

#[test]
fn commits_are_bounded_per_task_per_annotator_by_stake_and_by_phase() {
    let (mut h, creator, p) = setup(5);
    let job = h.create(creator, &HubJob::default()).unwrap();
    vote(&mut h, p[0], job, &[0, 1, 2], &[0, 0, 0]);
    let (r, _) = h.commit(p[0], job, &[3, 2], &[0, 0]).unwrap();
    assert_reverts(&r, &IHub::AlreadyVoted { taskId: 2 });
    vote(&mut h, p[1], job, &[0], &[0]);
    vote(&mut h, p[2], job, &[0], &[0]);
    let (r, _) = h.commit(p[3], job, &[0], &[0]).unwrap();
    assert_reverts(&r, &IHub::TaskFull { taskId: 0 });
    let (r, _) = h.commit(p[3], job, &[32], &[0]).unwrap();
    assert_reverts(&r, &IHub::TaskOutOfRange { taskId: 32 });
    let (r, _) = h.commit(p[3], job, &[], &[]).unwrap();
    assert_reverts(
        &r,
        &IHub::BadBatchSize {
            size: U256::ZERO,
            max: U256::from(64),
        },
    );
    let r = h
        .send(
            p[3],
            &IHub::commitBatchCall {
                jobId: job,
                tasks: vec![0u8, 0, 0, 1, 0].into(),
                commitment: alloy_primitives::B256::repeat_byte(1),
            },
            U256::ZERO,
        )
        .unwrap();
    assert_reverts(
        &r,
        &IHub::BadBatchSize {
            size: U256::from(5),
            max: U256::from(64),
        },
    );
    let r = h
        .send(
            p[3],
            &IHub::commitBatchCall {
                jobId: job,
                tasks: labelmint::hub::pack_tasks(&[5]),
                commitment: alloy_primitives::B256::ZERO,
            },
            U256::ZERO,
        )
        .unwrap();
    assert_reverts(&r, &IHub::ZeroCommitment {});
    let (r, _) = h.commit(p[3], U256::from(9), &[0], &[0]).unwrap();
    assert_reverts(
        &r,
        &IHub::JobNotFound {
            jobId: U256::from(9),
        },
    );
    // Each vote needs its own stake: a stake for 2 votes backs 2 votes.
    let ring = h.m.chain.account(8);
    h.fund_and_stake(ring, 2 * S).unwrap();
    let (r, _) = h.commit(ring, job, &[6, 7, 8], &[0, 0, 0]).unwrap();
    assert_reverts(
        &r,
        &IHub::InsufficientStake {
            available: U256::from(2 * S),
            required: U256::from(3 * S),
        },
    );
    vote(&mut h, ring, job, &[6, 7], &[0, 0]);
    let (r, _) = h.commit(ring, job, &[8], &[0]).unwrap();
    assert_reverts(
        &r,
        &IHub::InsufficientStake {
            available: U256::ZERO,
            required: U256::from(S),
        },
    );
    warp(&mut h, job, At::Reveal);
    let (r, _) = h.commit(p[4], job, &[5], &[0]).unwrap();
    assert_reverts(
        &r,
        &IHub::WrongPhase {
            jobId: job,
            phase: 2,
        },
    );
}

#[test]
fn reveal_checks_the_commitment_labels_and_phase() {
    let (mut h, creator, p) = setup(2);
    let job = h.create(creator, &HubJob::default()).unwrap();
    let v = vote(&mut h, p[0], job, &[1, 2], &[1, 3]);
    assert_reverts(
        &h.reveal(&v).unwrap(),
        &IHub::WrongPhase {
            jobId: job,
            phase: 1,
        },
    );
    let bad = vote(&mut h, p[1], job, &[1, 2], &[1, 4]);
    warp(&mut h, job, At::Reveal);
    let mut wrong_salt = v.clone();
    wrong_salt.salt = alloy_primitives::B256::ZERO;
    assert_reverts(
        &h.reveal(&wrong_salt).unwrap(),
        &IHub::BatchMismatch { batchId: v.batch },
    );
    let mut other_labels = v.clone();
    other_labels.labels = vec![1, 2];
    assert_reverts(
        &h.reveal(&other_labels).unwrap(),
        &IHub::BatchMismatch { batchId: v.batch },
    );
    let mut thief = v.clone();
    thief.annotator = p[1];
    assert_reverts(
        &h.reveal(&thief).unwrap(),
        &IHub::BatchMismatch { batchId: v.batch },
    );
    let mut unknown = v.clone();
    unknown.batch = U256::from(77);
    assert_reverts(
        &h.reveal(&unknown).unwrap(),
        &IHub::UnknownBatch {
            batchId: U256::from(77),
        },
    );
    assert_reverts(
        &h.reveal(&bad).unwrap(),
        &IHub::InvalidLabel {
            taskId: 2,
            label: 4,
        },
    );
    let r = h.reveal(&v).unwrap();
    ok(&r);
    assert_eq!(
        logs::<IHub::BatchRevealed>(&r)[0].labels.to_vec(),
        vec![1, 3]
    );
    let c = consensus(&mut h, job, 2);
    assert_eq!(
        (c.holders, c.revealed, c.label, c.votes, c.state),
        (2, 1, 3, 1, 3),
        "one revealed vote of three: escalated"
    );
    assert_reverts(
        &h.reveal(&v).unwrap(),
        &IHub::BatchMismatch { batchId: v.batch },
    );
    warp(&mut h, job, At::Settle);
    assert_reverts(
        &h.reveal(&bad).unwrap(),
        &IHub::WrongPhase {
            jobId: job,
            phase: 3,
        },
    );
}

#[test]
fn agreeing_votes_share_the_bounty_disagreeing_ones_are_slashed_and_keepers_earn_a_share() {
    let (mut h, creator, p) = setup(4);
    let spec = small(4);
    let job = h.create(creator, &spec).unwrap();
    // Task 0: 1,1,2 → 1 wins 2 of 3. Task 1: 0,0,2 → 0. Task 2: 3,3,3.
    let a = vote(&mut h, p[0], job, &[0, 1, 2], &[1, 0, 3]);
    let b = vote(&mut h, p[1], job, &[0, 1, 2], &[1, 0, 3]);
    let c = vote(&mut h, p[2], job, &[0, 1, 2], &[2, 2, 3]);
    warp(&mut h, job, At::Reveal);
    for v in [&a, &b, &c] {
        ok(&h.reveal(v).unwrap());
    }
    assert_reverts(
        &h.settle(p[3], &a).unwrap(),
        &IHub::WrongPhase {
            jobId: job,
            phase: 2,
        },
    );
    warp(&mut h, job, At::Settle);
    let bounty = spec.bounty();
    // a settles its own batch: bounty/2 + bounty/2 + bounty/3, no keeper.
    let s = settled(&mut h, p[0], &a);
    assert_eq!(
        (s.agreed, s.disagreed, s.slashed, s.keeperShare),
        (3, 0, 0, 0)
    );
    assert_eq!(s.paid, U256::from(bounty / 2 + bounty / 2 + bounty / 3));
    // A keeper settles c: 2 disagreeing votes lose half their stake each,
    // a tenth of which goes to the keeper.
    let r = h.settle(p[3], &c).unwrap();
    ok(&r);
    let s = &logs::<IHub::BatchSettled>(&r)[0];
    let slash = 2 * S / 2;
    assert_eq!(
        (
            s.agreed,
            s.disagreed,
            s.paid,
            s.slashed,
            s.keeper,
            s.keeperShare
        ),
        (1, 2, U256::from(bounty / 3), slash, p[3], slash / 10)
    );
    let st = stake_of(&mut h, p[2]);
    assert_eq!((st.staked, st.locked), (STAKE - slash, 0));
    let rep = h.read(&IHub::reputationOfCall { annotator: p[2] }).unwrap();
    assert_eq!(
        (rep.judged, rep.agreed, rep.scoreBps, rep.valueAtStake),
        (3, 1, 3_333, 3 * S)
    );
    assert_eq!(h.credit(p[3]).unwrap(), slash / 10);
    assert_reverts(
        &h.settle(p[3], &c).unwrap(),
        &IHub::UnknownBatch { batchId: c.batch },
    );
    let mut forged = b.clone();
    forged.labels = vec![1, 1, 3];
    assert_reverts(
        &h.settle(p[3], &forged).unwrap(),
        &IHub::BatchMismatch { batchId: b.batch },
    );
    ok(&h.settle(p[3], &b).unwrap());
    // Before the close the job is no source for a dataset.
    let src = h.read(&IHub::jobSourceCall { jobId: job }).unwrap();
    assert!(!src.settled);
    assert_reverts(
        &h.send(p[3], &IHub::closeJobCall { jobId: job }, U256::ZERO)
            .unwrap(),
        &IHub::WrongPhase {
            jobId: job,
            phase: 3,
        },
    );
    // Close: task 3's bounty comes back; the key was never revealed, so the
    // gold bond joins the pool.
    warp(&mut h, job, At::End);
    let e = close(&mut h, job);
    let pool = slash - slash / 10 + R + HUB_ARBITER_FEE;
    assert_eq!(
        (e.refund, e.slashPool, e.bondForfeited),
        (U256::from(bounty), pool, true)
    );
    assert_eq!(h.credit(creator).unwrap(), bounty);
    // The pool goes to the agreeing votes pro rata: 3, 3 and 1 of 7.
    for (who, agreed) in [(p[0], 3u128), (p[1], 3), (p[2], 1)] {
        let before = h.credit(who).unwrap();
        ok(&h
            .send(who, &IHub::claimSlashShareCall { jobId: job }, U256::ZERO)
            .unwrap());
        assert_eq!(h.credit(who).unwrap() - before, pool * agreed / 7);
        assert_reverts(
            &h.send(who, &IHub::claimSlashShareCall { jobId: job }, U256::ZERO)
                .unwrap(),
            &IHub::NothingToClaim {},
        );
    }
    assert_reverts(
        &h.send(
            creator,
            &IHub::claimSlashShareCall { jobId: job },
            U256::ZERO,
        )
        .unwrap(),
        &IHub::NothingToClaim {},
    );
    // The job is now a dataset source: 7 accepted labels, 3 of them a's.
    let src = h.read(&IHub::jobSourceCall { jobId: job }).unwrap();
    assert_eq!(
        (src.creator, src.token, src.settled, src.accepted),
        (creator, h.m.token, true, 7)
    );
    let mine = h
        .read(&IHub::acceptedLabelsCall {
            jobId: job,
            annotator: p[0],
        })
        .unwrap();
    assert_eq!(mine, 3);
}

#[test]
fn unrevealed_votes_lose_their_whole_stake_and_do_not_block_a_consensus() {
    let (mut h, creator, p) = setup(4);
    let spec = small(10);
    let job = h.create(creator, &spec).unwrap();
    let a = vote(&mut h, p[0], job, &[0, 1], &[2, 2]);
    let b = vote(&mut h, p[1], job, &[0, 1], &[2, 2]);
    let silent = vote(&mut h, p[2], job, &[0, 1], &[1, 1]);
    warp(&mut h, job, At::Reveal);
    ok(&h.reveal(&a).unwrap());
    ok(&h.reveal(&b).unwrap());
    assert_reverts(
        &h.forfeit(p[3], &silent).unwrap(),
        &IHub::WrongPhase {
            jobId: job,
            phase: 2,
        },
    );
    warp(&mut h, job, At::Settle);
    assert_reverts(
        &h.forfeit(p[3], &a).unwrap(),
        &IHub::BatchMismatch { batchId: a.batch },
    );
    let mut wrong = silent.clone();
    wrong.labels = vec![0, 0];
    assert_reverts(
        &h.forfeit(p[3], &wrong).unwrap(),
        &IHub::BatchMismatch {
            batchId: silent.batch,
        },
    );
    let r = h.forfeit(p[3], &silent).unwrap();
    ok(&r);
    let f = &logs::<IHub::BatchForfeited>(&r)[0];
    assert_eq!(
        (f.slashed, f.keeper, f.keeperShare),
        (2 * S, p[3], 2 * S / 10),
        "the whole stake of both votes"
    );
    assert_eq!(stake_of(&mut h, p[2]).staked, STAKE - 2 * S);
    let rep = h.read(&IHub::reputationOfCall { annotator: p[2] }).unwrap();
    assert_eq!((rep.judged, rep.agreed, rep.scoreBps), (2, 0, 0));
    // Two revealed votes of three decide: the silent third neither helps nor blocks.
    let c = consensus(&mut h, job, 0);
    assert_eq!(
        (c.holders, c.revealed, c.label, c.votes, c.state),
        (3, 2, 2, 2, 1)
    );
    let s = settled(&mut h, p[0], &a);
    assert_eq!(s.paid, U256::from(2 * spec.bounty() / 2));
}

#[test]
fn gold_decides_split_tasks_and_fails_the_batches_that_miss_it() {
    let (mut h, creator, p) = setup(3);
    let spec = HubJob {
        tasks: 5,
        gold: vec![(0, 1)],
        ..HubJob::default()
    };
    let job = h.create(creator, &spec).unwrap();
    let right = vote(&mut h, p[0], job, &[0, 1], &[1, 3]);
    let wrong = vote(&mut h, p[1], job, &[0, 1], &[0, 3]);
    let other = vote(&mut h, p[2], job, &[0, 1], &[2, 3]);
    assert_reverts(
        &h.send(creator, &spec.reveal_gold(job), U256::ZERO).unwrap(),
        &IHub::WrongPhase {
            jobId: job,
            phase: 1,
        },
    );
    warp(&mut h, job, At::Reveal);
    let mut forged = spec.reveal_gold(job);
    forged.salt = alloy_primitives::B256::ZERO;
    assert_reverts(
        &h.send(creator, &forged, U256::ZERO).unwrap(),
        &IHub::BatchMismatch {
            batchId: U256::ZERO,
        },
    );
    // Anyone holding the key may reveal it; it is bound to the creator.
    let r = h.send(p[0], &spec.reveal_gold(job), U256::ZERO).unwrap();
    ok(&r);
    assert_eq!(logs::<IHub::GoldRevealed>(&r)[0].tasks, 1);
    assert_reverts(
        &h.send(creator, &spec.reveal_gold(job), U256::ZERO).unwrap(),
        &IHub::GoldAlreadyRevealed { jobId: job },
    );
    for v in [&right, &wrong, &other] {
        ok(&h.reveal(v).unwrap());
    }
    // Task 0 split three ways: the key decides, not the arbiter.
    let c = consensus(&mut h, job, 0);
    assert_eq!((c.label, c.votes, c.state), (1, 1, 2));
    warp(&mut h, job, At::Settle);
    let s = settled(&mut h, p[0], &right);
    assert_eq!(
        (s.agreed, s.goldFailed),
        (2, false),
        "right on gold, with the others on task 1"
    );
    // One vote agreeing with gold is paid as if two had: bounty / 2.
    assert_eq!(s.paid, U256::from(spec.bounty() / 2 + spec.bounty() / 3));
    for v in [&wrong, &other] {
        let s = settled(&mut h, p[0], v);
        assert_eq!(
            (s.agreed, s.disagreed, s.paid, s.slashed, s.goldFailed),
            (0, 2, U256::ZERO, 2 * S, true),
            "fewer than half of its gold right: nothing paid, the whole stake slashed"
        );
    }
    // The revealed key's bond comes back at the close.
    warp(&mut h, job, At::End);
    let e = close(&mut h, job);
    assert!(!e.bondForfeited);
    assert_eq!(
        e.refund,
        U256::from(
            3 * spec.bounty()
                + (spec.bounty() - spec.bounty() / 2)
                + (spec.bounty() - spec.bounty() / 3)
                + R
                + HUB_ARBITER_FEE
        ),
        "tasks 2-4, what tasks 0 and 1 did not pay, and the bond"
    );
}

#[test]
fn a_gold_label_the_votes_contradict_goes_to_the_arbiter_and_falls_if_unruled() {
    let (mut h, creator, p) = setup(3);
    let spec = HubJob {
        tasks: 10,
        gold: vec![(0, 2), (1, 2)],
        ..HubJob::default()
    };
    let job = h.create(creator, &spec).unwrap();
    let a = vote(&mut h, p[0], job, &[0], &[1]);
    let b = vote(&mut h, p[1], job, &[0], &[1]);
    let c = vote(&mut h, p[2], job, &[0], &[2]);
    let a1 = vote(&mut h, p[0], job, &[1], &[1]);
    let b1 = vote(&mut h, p[1], job, &[1], &[1]);
    let c1 = vote(&mut h, p[2], job, &[1], &[2]);
    warp(&mut h, job, At::Reveal);
    ok(&h.send(creator, &spec.reveal_gold(job), U256::ZERO).unwrap());
    for v in [&a, &b, &c, &a1, &b1, &c1] {
        ok(&h.reveal(v).unwrap());
    }
    for t in [0, 1] {
        assert_eq!(consensus(&mut h, job, t).state, 3, "contested: escalated");
    }
    warp(&mut h, job, At::Settle);
    let r = h.settle(p[0], &a).unwrap();
    let j = h.job(job).unwrap();
    assert_reverts(
        &r,
        &IHub::AwaitingRuling {
            taskId: 0,
            until: j.rulingEnd,
        },
    );
    // The arbiter upholds the key on task 0, overturns it on task 1.
    ok(&h.rule(DEFAULT_ARBITER, job, &[0, 1], &[2, 1]).unwrap());
    let fee = HUB_ARBITER_FEE;
    let pool = spec.bounty() - fee;
    let s = settled(&mut h, p[0], &a);
    assert!(s.goldFailed, "upheld gold missed");
    let s = settled(&mut h, p[0], &c);
    assert_eq!((s.agreed, s.paid), (1, U256::from(pool / 2)));
    let s = settled(&mut h, p[0], &a1);
    assert_eq!(
        (s.agreed, s.goldFailed, s.paid),
        (1, false, U256::from(spec.bounty() / 2)),
        "overturned gold is gold no more, and the creator's bond paid the fee"
    );
    let acc = h.read(&IHub::jobAccountsCall { jobId: job }).unwrap();
    assert_eq!(
        acc.goldBond,
        2 * (R + HUB_ARBITER_FEE) - (R + HUB_ARBITER_FEE),
        "one key entry overturned: its fee and reward taken from the bond"
    );
    let s = settled(&mut h, p[0], &c1);
    assert_eq!((s.disagreed, s.goldFailed, s.slashed), (1, false, S / 2));

    // A second job whose arbiter stays silent: the contested key falls and
    // the votes' consensus decides.
    let spec = HubJob {
        tasks: 10,
        gold: vec![(0, 2)],
        ..HubJob::default()
    };
    let job = h.create(creator, &spec).unwrap();
    let votes = [
        vote(&mut h, p[0], job, &[0], &[1]),
        vote(&mut h, p[1], job, &[0], &[1]),
        vote(&mut h, p[2], job, &[0], &[2]),
    ];
    warp(&mut h, job, At::Reveal);
    ok(&h.send(creator, &spec.reveal_gold(job), U256::ZERO).unwrap());
    for v in &votes {
        ok(&h.reveal(v).unwrap());
    }
    warp(&mut h, job, At::RulingEnd);
    let c = consensus(&mut h, job, 0);
    assert_eq!((c.label, c.state), (1, 1));
    let s = settled(&mut h, p[0], &votes[0]);
    assert_eq!(
        (s.agreed, s.goldFailed, s.paid),
        (1, false, U256::from(spec.bounty() / 2))
    );
    let s = settled(&mut h, p[0], &votes[2]);
    assert_eq!((s.disagreed, s.slashed), (1, S / 2));
}

#[test]
fn a_task_without_consensus_is_ruled_by_the_arbiter_for_a_fee_or_pays_participation() {
    let (mut h, creator, p) = setup(4);
    let spec = small(10);
    let job = h.create(creator, &spec).unwrap();
    // Task 0: 0,1,2 → no consensus. Task 1: 0,2,2 → 2. Task 2: 1,1,1.
    let a = vote(&mut h, p[0], job, &[0, 1, 2], &[0, 0, 1]);
    let b = vote(&mut h, p[1], job, &[0, 1, 2], &[1, 2, 1]);
    let c = vote(&mut h, p[2], job, &[0, 1, 2], &[2, 2, 1]);
    warp(&mut h, job, At::Reveal);
    assert_reverts(
        &h.rule(DEFAULT_ARBITER, job, &[0], &[1]).unwrap(),
        &IHub::WrongPhase {
            jobId: job,
            phase: 2,
        },
    );
    for v in [&a, &b, &c] {
        ok(&h.reveal(v).unwrap());
    }
    warp(&mut h, job, At::Settle);
    let j = h.job(job).unwrap();
    assert_reverts(
        &h.settle(p[0], &a).unwrap(),
        &IHub::AwaitingRuling {
            taskId: 0,
            until: j.rulingEnd,
        },
    );
    assert_reverts(
        &h.rule(p[3], job, &[0], &[1]).unwrap(),
        &IHub::Unauthorized { account: p[3] },
    );
    assert_reverts(
        &h.rule(DEFAULT_ARBITER, job, &[1], &[2]).unwrap(),
        &IHub::NotEscalated { taskId: 1 },
    );
    assert_reverts(
        &h.rule(DEFAULT_ARBITER, job, &[0], &[4]).unwrap(),
        &IHub::InvalidLabel {
            taskId: 0,
            label: 4,
        },
    );
    let before = h
        .read(&IHub::jobAccountsCall { jobId: job })
        .unwrap()
        .escrow;
    let r = h.rule(DEFAULT_ARBITER, job, &[0], &[1]).unwrap();
    ok(&r);
    assert_eq!(logs::<IHub::TasksRuled>(&r)[0].fees, HUB_ARBITER_FEE);
    assert_eq!(h.credit(DEFAULT_ARBITER).unwrap(), HUB_ARBITER_FEE);
    let after = h
        .read(&IHub::jobAccountsCall { jobId: job })
        .unwrap()
        .escrow;
    assert_eq!(
        before - after,
        HUB_ARBITER_FEE,
        "the fee comes from the bounty"
    );
    assert_reverts(
        &h.rule(DEFAULT_ARBITER, job, &[0], &[1]).unwrap(),
        &IHub::NotEscalated { taskId: 0 },
    );
    let c0 = consensus(&mut h, job, 0);
    assert_eq!((c0.state, c0.ruling, c0.label), (4, 2, 1));
    let pool = spec.bounty() - HUB_ARBITER_FEE;
    let s = settled(&mut h, p[1], &b);
    assert_eq!(
        (s.agreed, s.disagreed, s.paid),
        (
            3,
            0,
            U256::from(pool / 2 + spec.bounty() / 2 + spec.bounty() / 3)
        )
    );
    let s = settled(&mut h, p[0], &a);
    assert_eq!((s.agreed, s.disagreed, s.slashed), (1, 2, S));

    // A second job whose arbiter stays silent: each revealed vote gets a
    // quarter of a reward, nobody is slashed, the rest returns.
    let job = h.create(creator, &spec).unwrap();
    let a = vote(&mut h, p[0], job, &[0], &[0]);
    let b = vote(&mut h, p[1], job, &[0], &[1]);
    warp(&mut h, job, At::Reveal);
    ok(&h.reveal(&a).unwrap());
    ok(&h.reveal(&b).unwrap());
    warp(&mut h, job, At::RulingEnd);
    assert_reverts(
        &h.rule(DEFAULT_ARBITER, job, &[0], &[1]).unwrap(),
        &IHub::WrongPhase {
            jobId: job,
            phase: 3,
        },
    );
    assert_eq!(consensus(&mut h, job, 0).state, 5);
    for v in [&a, &b] {
        let s = settled(&mut h, p[3], v);
        assert_eq!(
            (s.agreed, s.disagreed, s.paid, s.slashed),
            (0, 0, U256::from(R / 4), 0)
        );
    }
}

/// Lanes are as wide as the job needs (2-bit counts for k ≤ 3, 3-bit for
/// k ≤ 7, 4-bit beyond); several share a storage slot. Neighbouring tasks
/// must never bleed into each other, at the widest counts and classes.
#[test]
fn packed_lanes_keep_neighbouring_tasks_apart() {
    let (mut h, creator, p) = setup(7);
    for (k, classes, tasks) in [(7u8, 14u8, 12u32), (3, 2, 45)] {
        let spec = HubJob {
            k,
            classes,
            tasks,
            slash_bps: 0,
            stake: HubJob::default().reward * u128::from(k),
            gold: (tasks - 5..tasks).map(|t| (t, 0)).collect(),
            ..HubJob::default()
        };
        let job = h.create(creator, &spec).unwrap();
        let all: Vec<u32> = (0..tasks).collect();
        // Task t: voter i votes `t mod classes` when i ≤ t mod k, else the
        // next class; so the winner and its votes differ from task to task.
        let expect = |t: u32| -> (u8, u8) {
            let yes = (t % u32::from(k)) as u8 + 1;
            let no = k - yes;
            let own = (t % u32::from(classes)) as u8;
            if yes > no {
                (own, yes)
            } else {
                ((own + 1) % classes, no)
            }
        };
        let mut votes = Vec::new();
        for (i, &who) in p.iter().take(k.into()).enumerate() {
            let labels: Vec<u8> = all
                .iter()
                .map(|&t| {
                    let own = (t % u32::from(classes)) as u8;
                    if (i as u32) <= t % u32::from(k) {
                        own
                    } else {
                        (own + 1) % classes
                    }
                })
                .collect();
            votes.push(vote(&mut h, who, job, &all, &labels));
        }
        warp(&mut h, job, At::Reveal);
        for v in &votes {
            ok(&h.reveal(v).unwrap());
        }
        for t in 0..tasks {
            let c = consensus(&mut h, job, t);
            let (label, n) = expect(t);
            assert_eq!((c.holders, c.revealed), (k, k), "k={k} task {t}");
            assert_eq!((c.label, c.votes, c.state), (label, n, 1), "k={k} task {t}");
        }
        warp(&mut h, job, At::Settle);
        for v in &votes {
            ok(&h.settle(creator, v).unwrap());
        }
        warp(&mut h, job, At::End);
    }
}

#[test]
fn reputation_gates_need_judged_stake_and_a_label_weighted_score() {
    let (mut h, creator, p) = setup(4);
    // p[2] dissents on 24 tasks the others agree on: score 0 over 24 labels.
    let spec = HubJob {
        tasks: 24,
        slash_bps: 0,
        gold: vec![(21, 1), (22, 1), (23, 1)],
        ..HubJob::default()
    };
    let job = h.create(creator, &spec).unwrap();
    let tasks: Vec<u32> = (0..24).collect();
    let votes = [
        vote(&mut h, p[0], job, &tasks, &[1; 24]),
        vote(&mut h, p[1], job, &tasks, &[1; 24]),
        vote(&mut h, p[2], job, &tasks, &[0; 24]),
    ];
    warp(&mut h, job, At::Reveal);
    for v in &votes {
        ok(&h.reveal(v).unwrap());
    }
    warp(&mut h, job, At::Settle);
    for v in &votes {
        ok(&h.settle(creator, v).unwrap());
    }
    let rep = h.read(&IHub::reputationOfCall { annotator: p[2] }).unwrap();
    assert_eq!(
        (rep.judged, rep.scoreBps, rep.valueAtStake),
        (24, 0, 24 * S)
    );
    let strict = HubJob {
        min_rep: 6_000,
        ..HubJob::default()
    };
    let job = h.create(creator, &strict).unwrap();
    let (r, _) = h.commit(p[2], job, &[1], &[0]).unwrap();
    assert_reverts(
        &r,
        &IHub::ReputationTooLow {
            scoreBps: 0,
            required: 6_000,
        },
    );
    // A fresh address has no judged stake: refused, whatever its stake.
    let (r, _) = h.commit(p[3], job, &[1], &[0]).unwrap();
    assert_reverts(
        &r,
        &IHub::ReputationTooLow {
            scoreBps: 0,
            required: 6_000,
        },
    );
    vote(&mut h, p[0], job, &[1], &[0]);
    // A perfect history bought with dust stakes does not reach 20 votes'
    // worth of this job's stake.
    let token = h.m.token;
    let dust_arbiter = h.m.chain.account(9);
    let r =
        h.m.send(
            dust_arbiter,
            &labelmint::market::IMarket::registerArbiterTermsCall {
                token,
                fee: 1,
                bond: 1,
                disputeWindow: 3_600,
                rulingWindow: 3_600,
            },
            U256::ZERO,
        )
        .unwrap();
    ok(&r);
    let dust = HubJob {
        tasks: 30,
        reward: 1,
        stake: 2,
        terms: HUB_TERMS + 1,
        gold: vec![(27, 0), (28, 0), (29, 0)],
        ..HubJob::default()
    };
    let own: Vec<Address> = (5..8).map(|i| h.m.chain.account(i)).collect();
    for &a in &own {
        h.fund_and_stake(a, 64).unwrap();
    }
    let cheap = h.create(creator, &dust).unwrap();
    let ids: Vec<u32> = (0..30).collect();
    let vs: Vec<Vote> = own
        .iter()
        .map(|&a| vote(&mut h, a, cheap, &ids, &[0; 30]))
        .collect();
    warp(&mut h, cheap, At::Reveal);
    for v in &vs {
        ok(&h.reveal(v).unwrap());
    }
    warp(&mut h, cheap, At::Settle);
    for v in &vs {
        ok(&h.settle(own[0], v).unwrap());
    }
    let rep = h
        .read(&IHub::reputationOfCall { annotator: own[0] })
        .unwrap();
    assert_eq!(
        (rep.judged, rep.scoreBps, rep.valueAtStake),
        (30, 10_000, 60)
    );
    let job = h.create(creator, &strict).unwrap();
    h.fund_and_stake(own[0], S).unwrap();
    let (r, _) = h.commit(own[0], job, &[1], &[0]).unwrap();
    assert_reverts(
        &r,
        &IHub::ReputationTooLow {
            scoreBps: 10_000,
            required: 6_000,
        },
    );
}

#[test]
fn a_pool_without_agreeing_votes_stays_in_the_hub_and_never_reaches_the_creator() {
    let (mut h, creator, p) = setup(2);
    let spec = small(10);
    let job = h.create(creator, &spec).unwrap();
    let silent = [
        vote(&mut h, p[0], job, &[0, 1], &[1, 1]),
        vote(&mut h, p[1], job, &[0, 1], &[2, 2]),
    ];
    warp(&mut h, job, At::Reveal);
    ok(&h.send(creator, &spec.reveal_gold(job), U256::ZERO).unwrap());
    warp(&mut h, job, At::Settle);
    for v in &silent {
        ok(&h.forfeit(v.annotator, v).unwrap());
    }
    warp(&mut h, job, At::End);
    let held = h.tokens(h.hub).unwrap();
    let e = close(&mut h, job);
    assert_eq!(e.slashPool, 4 * S, "self-forfeits pay no keeper");
    assert_eq!(
        e.refund,
        U256::from(10 * spec.bounty() + R + HUB_ARBITER_FEE)
    );
    for who in [creator, p[0], p[1]] {
        assert_reverts(
            &h.send(who, &IHub::claimSlashShareCall { jobId: job }, U256::ZERO)
                .unwrap(),
            &IHub::NothingToClaim {},
        );
    }
    assert_eq!(h.tokens(h.hub).unwrap(), held);
    assert_reverts(
        &h.send(creator, &IHub::closeJobCall { jobId: job }, U256::ZERO)
            .unwrap(),
        &IHub::WrongPhase {
            jobId: job,
            phase: 4,
        },
    );
    // An annotator's batch left unsettled keeps its stake locked.
    let job = h.create(creator, &spec).unwrap();
    let v = vote(&mut h, p[0], job, &[0], &[1]);
    warp(&mut h, job, At::Reveal);
    ok(&h.reveal(&v).unwrap());
    warp(&mut h, job, At::End);
    close(&mut h, job);
    assert_eq!(stake_of(&mut h, p[0]).locked, S);
    assert_reverts(
        &h.settle(p[0], &v).unwrap(),
        &IHub::WrongPhase {
            jobId: job,
            phase: 4,
        },
    );
}

#[test]
fn malformed_calls_get_named_errors() {
    let (mut h, creator, _) = setup(0);
    let r = h
        .send(creator, &IHub::jobCountCall {}, U256::from(1))
        .unwrap();
    assert_reverts(&r, &IHub::NotPayable {});
    let r = h
        .send(
            creator,
            &IHub::closeJobCall {
                jobId: U256::from(1),
            },
            U256::from(1),
        )
        .unwrap();
    assert_reverts(&r, &IHub::NotPayable {});
    let r =
        h.m.chain
            .send(
                creator,
                Some(h.hub),
                U256::ZERO,
                vec![1, 2, 3, 4],
                1_000_000,
            )
            .unwrap();
    assert_reverts(
        &r,
        &IHub::UnknownFunction {
            selector: [1, 2, 3, 4].into(),
        },
    );
    let r =
        h.m.chain
            .send(creator, Some(h.hub), U256::ZERO, vec![0x12], 1_000_000)
            .unwrap();
    assert_reverts(&r, &IHub::InvalidCalldata {});
    let mut data = IHub::closeJobCall {
        jobId: U256::from(1),
    }
    .abi_encode();
    data.truncate(20);
    let r =
        h.m.chain
            .send(creator, Some(h.hub), U256::ZERO, data, 1_000_000)
            .unwrap();
    assert_reverts(&r, &IHub::InvalidCalldata {});
    // The extension on its own storage: no job, no token.
    let ext = h.extension;
    let r =
        h.m.chain
            .send(
                creator,
                Some(ext),
                U256::ZERO,
                IHub::closeJobCall {
                    jobId: U256::from(1),
                }
                .abi_encode(),
                1_000_000,
            )
            .unwrap();
    assert_reverts(
        &r,
        &IHub::JobNotFound {
            jobId: U256::from(1),
        },
    );
}

/// Case count: `PROPTEST_CASES`, default small (the devnet is slow).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// Random jobs over the money paths: voters mostly right, sometimes
    /// random, sometimes silent; keys revealed or not; escalated tasks
    /// ruled or left; batches settled by their annotators or by keepers, or
    /// left. After every settlement the hub holds exactly stakes + queued
    /// stakes + credits + escrows + gold bonds + slash pools; after closing,
    /// claiming and withdrawing, only stakes and rounding dust remain. Each
    /// case prints what it reached and fails if it paid nobody.
    #[test]
    fn escrow_stakes_and_bonds_stay_solvent(seed in any::<u64>(), tasks in 8u32..20, k in 3u8..5) {
        let mut rng = labelmint_quality::SplitMix::new(seed);
        let (mut h, creator, p) = setup(6);
        let keeper = h.m.chain.account(7);
        let truth: Vec<u8> = (0..tasks).map(|_| rng.below(3) as u8).collect();
        let mut counts = std::collections::BTreeMap::<&str, u32>::new();
        let mut jobs = Vec::new();
        for _ in 0..2 {
            let spec = HubJob {
                k,
                classes: 3,
                stake: HubJob::default().reward * u128::from(k),
                ..HubJob::sized(tasks, &truth)
            };
            let job = h.create(creator, &spec).unwrap();
            jobs.push((job, spec));
        }
        let accounts: Vec<Address> = p.iter().copied().chain([creator, keeper, DEFAULT_ARBITER]).collect();
        let stakes = |h: &mut Hub| p.iter().map(|&a| { let s = stake_of(h, a); U256::from(s.staked) + U256::from(s.pending) }).fold(U256::ZERO, |x, y| x + y);
        let credits = |h: &mut Hub| accounts.iter().map(|&a| h.read(&IHub::creditOfCall { account: a }).unwrap()).fold(U256::ZERO, |x, y| x + y);
        let held = |h: &mut Hub| -> U256 {
            jobs.iter().map(|(j, _)| { let a = h.read(&IHub::jobAccountsCall { jobId: *j }).unwrap(); U256::from(a.escrow) + U256::from(a.goldBond) + U256::from(a.slashPool) }).fold(U256::ZERO, |x, y| x + y)
        };
        let mut all_votes = Vec::new();
        for (job, spec) in &jobs {
            for &who in &p {
                let mine: Vec<u32> = (0..tasks).filter(|_| rng.unit() < 0.7).collect();
                if mine.is_empty() { continue; }
                let lazy = rng.unit() < 0.15;
                let labels: Vec<u8> = mine.iter().map(|&t| if lazy || rng.unit() < 0.1 { rng.below(3) as u8 } else { truth[t as usize] }).collect();
                let (r, v) = h.commit(who, *job, &mine, &labels).unwrap();
                if let Some(v) = v { ok(&r); all_votes.push((v, spec.clone())); }
            }
        }
        let invariant = |h: &mut Hub| { let want = stakes(h) + credits(h) + held(h); (h.tokens(h.hub).unwrap(), want) };
        let (have, want) = invariant(&mut h);
        prop_assert_eq!(have, want);
        warp(&mut h, jobs[1].0, At::Reveal);
        for (job, spec) in &jobs {
            if rng.unit() < 0.8 { ok(&h.send(creator, &spec.reveal_gold(*job), U256::ZERO).unwrap()); *counts.entry("gold revealed").or_default() += 1; }
        }
        let revealed: Vec<bool> = all_votes.iter().map(|_| rng.unit() < 0.85).collect();
        for ((v, _), &rev) in all_votes.iter().zip(&revealed) { if rev { ok(&h.reveal(v).unwrap()); } }
        warp(&mut h, jobs[1].0, At::Settle);
        // The arbiter rules on some escalated tasks.
        for (job, _) in &jobs {
            for t in 0..tasks {
                let c = h.read(&IHub::consensusOfCall { jobId: *job, taskId: t }).unwrap();
                if c.state == 3 && rng.unit() < 0.7 {
                    ok(&h.rule(DEFAULT_ARBITER, *job, &[t], &[truth[t as usize]]).unwrap());
                    *counts.entry("rulings").or_default() += 1;
                }
            }
        }
        // Two passes: during the ruling window (a batch with a task awaiting
        // its ruling is held back), then after it.
        let mut pending: Vec<usize> = Vec::new();
        for pass in 0..2 {
            let batch: Vec<usize> = if pass == 0 { (0..all_votes.len()).collect() } else { std::mem::take(&mut pending) };
            if pass == 1 { warp(&mut h, jobs[1].0, At::RulingEnd); }
        for i in batch {
            let (v, _) = &all_votes[i];
            let rev = revealed[i];
            if pass == 0 && rng.unit() < 0.08 { *counts.entry("left unsettled").or_default() += 1; continue; }
            let by = if rng.unit() < 0.5 { v.annotator } else { keeper };
            let r = if rev { h.settle(by, v).unwrap() } else { h.forfeit(by, v).unwrap() };
            if !r.success {
                // Only a task still awaiting its ruling may hold a batch back.
                prop_assert!(pass == 0 && r.output.starts_with(&IHub::AwaitingRuling::SELECTOR), "0x{}", alloy_primitives::hex::encode(&r.output));
                *counts.entry("awaiting ruling").or_default() += 1;
                pending.push(i);
                continue;
            }
            for s in logs::<IHub::BatchSettled>(&r) {
                if !s.paid.is_zero() { *counts.entry("payments").or_default() += 1; }
                if s.slashed > 0 { *counts.entry("slashes").or_default() += 1; }
                if s.keeperShare > 0 { *counts.entry("keeper shares").or_default() += 1; }
                if s.goldFailed { *counts.entry("gold failures").or_default() += 1; }
            }
            if !logs::<IHub::BatchForfeited>(&r).is_empty() { *counts.entry("forfeits").or_default() += 1; }
            let (have, want) = invariant(&mut h);
            prop_assert_eq!(have, want, "tokens = stakes + credits + escrows + bonds + pools");
        }
        }
        for (job, _) in &jobs {
            warp(&mut h, *job, At::End);
            close(&mut h, *job);
            let (have, want) = invariant(&mut h);
            prop_assert_eq!(have, want);
        }
        for &who in &accounts {
            for (job, _) in &jobs {
                let r = h.send(who, &IHub::claimSlashShareCall { jobId: *job }, U256::ZERO).unwrap();
                if r.success { *counts.entry("slash shares").or_default() += 1; }
            }
            if h.credit(who).unwrap() > 0 {
                ok(&h.send(who, &IHub::withdrawCall { to: who }, U256::ZERO).unwrap());
                *counts.entry("withdrawals").or_default() += 1;
            }
        }
        // Left: stakes (locked ones included), pools nobody could claim
        // (no agreeing vote), and rounding dust.
        let stakes_now = stakes(&mut h);
        let mut unclaimable = U256::ZERO;
        for (job, _) in &jobs {
            let a = h.read(&IHub::jobAccountsCall { jobId: *job }).unwrap();
            if a.agreedTotal == 0 { unclaimable += U256::from(a.slashPool); }
        }
        let rest = h.tokens(h.hub).unwrap() - stakes_now - unclaimable;
        prop_assert!(rest < U256::from(16), "pools claimed up to rounding: {rest}");
        println!("solvency case {seed:#x} (k = {k}, {tasks} tasks): {counts:?}");
        prop_assert!(counts.get("payments").copied().unwrap_or(0) > 0, "the case paid nobody");
    }
}
