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

/// The failure paths of the hub's pay-outs (the shared `withdraw_credit`
/// and the stake withdrawal): a credit withdrawn to the zero address, or
/// while the token refuses transfers (paused), reverts `WithdrawFailed(to)`
/// and keeps the whole credit; a queued stake withdrawn while the token
/// refuses reverts `TokenCallFailed` and stays queued; once the token pays
/// again both leave to the wei.
#[test]
fn withdrawals_the_token_refuses_or_to_the_zero_address_fail_keeping_credit_and_queued_stake() {
    let (mut h, creator, p) = setup(1);
    let spec = small(10);
    let job = h.create(creator, &spec).unwrap();
    warp(&mut h, job, At::End);
    let refund = close(&mut h, job).refund;
    let credit = h.credit(creator).unwrap();
    assert_eq!(U256::from(credit), refund);
    assert!(credit > 0);
    let held = h.tokens(h.hub).unwrap();
    let r = h
        .send(
            creator,
            &IHub::withdrawCall { to: Address::ZERO },
            U256::ZERO,
        )
        .unwrap();
    assert_reverts(&r, &IHub::WithdrawFailed { to: Address::ZERO });
    assert_eq!(h.credit(creator).unwrap(), credit);
    // The token refuses every transfer while paused.
    let (admin, token) = (h.m.admin, h.m.token);
    let pause = |h: &mut Hub, on: bool| {
        let r = if on {
            h.m.chain
                .send_call(admin, token, &labelmint::IRewardToken::pauseCall {})
        } else {
            h.m.chain
                .send_call(admin, token, &labelmint::IRewardToken::unpauseCall {})
        };
        ok(&r.unwrap());
    };
    let a = p[0];
    ok(&h
        .send(a, &IHub::requestUnstakeCall { amount: STAKE }, U256::ZERO)
        .unwrap());
    h.warp(3 * 86_400);
    pause(&mut h, true);
    let r = h
        .send(creator, &IHub::withdrawCall { to: creator }, U256::ZERO)
        .unwrap();
    assert_reverts(&r, &IHub::WithdrawFailed { to: creator });
    assert_eq!(h.credit(creator).unwrap(), credit, "the credit is kept");
    let r = h.send(a, &IHub::withdrawStakeCall {}, U256::ZERO).unwrap();
    assert_reverts(&r, &IHub::TokenCallFailed { token });
    assert_eq!(stake_of(&mut h, a).pending, STAKE, "the stake stays queued");
    assert_eq!(h.tokens(h.hub).unwrap(), held, "nothing left the hub");
    // Paying again: both leave, exactly.
    pause(&mut h, false);
    let before = h.tokens(creator).unwrap();
    ok(&h
        .send(creator, &IHub::withdrawCall { to: creator }, U256::ZERO)
        .unwrap());
    assert_eq!(h.tokens(creator).unwrap() - before, U256::from(credit));
    let before = h.tokens(a).unwrap();
    ok(&h.send(a, &IHub::withdrawStakeCall {}, U256::ZERO).unwrap());
    assert_eq!(h.tokens(a).unwrap() - before, U256::from(STAKE));
    assert_eq!(
        h.tokens(h.hub).unwrap(),
        held - U256::from(credit) - U256::from(STAKE)
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

/// What a history reached, by name.
type Counts = std::collections::BTreeMap<&'static str, u32>;

/// The stake that one vote's worth of reputation counts for, in votes: a
/// gated job admits an annotator whose judged stake reaches 20 of its
/// votes' stakes (`REPUTATION_SAMPLE` in `hub-common`).
const REPUTATION_SAMPLE: u128 = 20;

/// A job of the history: its terms, the truth its gold key and careful
/// voters follow, who voted on it and how full each task is.
struct PJob {
    id: U256,
    spec: HubJob,
    truth: Vec<u8>,
    /// Votes committed on each task (a task takes `k`).
    holders: Vec<u8>,
    /// Annotators with a batch on the job.
    voters: Vec<Address>,
    gold_revealed: bool,
}

impl PJob {
    fn is_gold(&self, t: u32) -> bool {
        self.spec.gold.iter().any(|&(g, _)| g == t)
    }
}

/// How a voter labels: always the truth; mostly the truth; at random; or
/// the truth except on the gold tasks, which it misses on purpose.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Exact,
    Careful,
    Lazy,
    GoldMiss,
}

/// A committed batch of the history and what became of it.
struct Ballot {
    job: usize,
    vote: Vote,
    revealed: bool,
    settled: bool,
    /// Left unsettled on purpose (its stake stays locked).
    abandoned: bool,
}

/// A random history of the hub: jobs, ballots, the random source and what
/// the history reached. Each method applies one kind of step, predicts its
/// outcome from the chain's views and the rules, and fails the case when
/// the hub disagrees; every step that moves tokens is followed by the
/// solvency check.
struct History {
    h: Hub,
    rng: labelmint_quality::SplitMix,
    creator: Address,
    keeper: Address,
    /// Annotators with a stake: six regulars and a newcomer.
    stakers: Vec<Address>,
    /// A regular who labels job A exactly, always reveals and is never
    /// left unsettled, so every history pays someone.
    anchor: Address,
    jobs: Vec<PJob>,
    ballots: Vec<Ballot>,
    counts: Counts,
}

impl History {
    fn bump(&mut self, what: &'static str) {
        *self.counts.entry(what).or_default() += 1;
    }

    /// Every account that can hold a credit.
    fn accounts(&self) -> Vec<Address> {
        let mut all = self.stakers.clone();
        all.extend([self.creator, self.keeper, DEFAULT_ARBITER]);
        all
    }

    /// The hub's token balance is exactly stakes (queued ones included) +
    /// credits + escrows + gold bonds + slash pools.
    fn solvent(&mut self, step: &str) -> Result<(), TestCaseError> {
        let mut want = U256::ZERO;
        for a in self.stakers.clone() {
            let s = stake_of(&mut self.h, a);
            want += U256::from(s.staked) + U256::from(s.pending);
        }
        for a in self.accounts() {
            want += self.h.read(&IHub::creditOfCall { account: a }).unwrap();
        }
        for j in &self.jobs {
            let a = self.h.read(&IHub::jobAccountsCall { jobId: j.id }).unwrap();
            want += U256::from(a.escrow) + U256::from(a.goldBond) + U256::from(a.slashPool);
        }
        let have = self.h.tokens(self.h.hub).unwrap();
        prop_assert_eq!(
            have,
            want,
            "after {}: tokens = stakes + credits + escrows + bonds + pools",
            step
        );
        Ok(())
    }

    fn create(&mut self, spec: HubJob, truth: Vec<u8>) -> Result<usize, TestCaseError> {
        let creator = self.creator;
        let id = self.h.create(creator, &spec).unwrap();
        let holders = vec![0; spec.tasks as usize];
        self.jobs.push(PJob {
            id,
            spec,
            truth,
            holders,
            voters: Vec::new(),
            gold_revealed: false,
        });
        self.solvent("createJob")?;
        Ok(self.jobs.len() - 1)
    }

    /// The revert the hub owes a first batch of `n` votes by `who` on job
    /// `j` in its commit phase, if any: the reputation gate first (judged
    /// stake and score), then the free stake.
    fn refusal(&mut self, j: usize, who: Address, n: usize) -> Option<(&'static str, Vec<u8>)> {
        let (id, stake, min_rep) = (
            self.jobs[j].id,
            self.jobs[j].spec.stake,
            self.jobs[j].spec.min_rep,
        );
        let record = self
            .h
            .read(&IHub::recordOfCall {
                jobId: id,
                annotator: who,
            })
            .unwrap();
        if record.openBatches == 0 && min_rep > 0 {
            let rep = self
                .h
                .read(&IHub::reputationOfCall { annotator: who })
                .unwrap();
            if rep.valueAtStake < stake * REPUTATION_SAMPLE || rep.scoreBps < min_rep {
                let e = IHub::ReputationTooLow {
                    scoreBps: rep.scoreBps,
                    required: min_rep,
                };
                return Some(("commits refused by the reputation gate", e.abi_encode()));
            }
        }
        let s = stake_of(&mut self.h, who);
        let (free, lock) = (s.staked - s.locked, stake * n as u128);
        (free < lock).then(|| {
            let e = IHub::InsufficientStake {
                available: U256::from(free),
                required: U256::from(lock),
            };
            ("commits refused for want of free stake", e.abi_encode())
        })
    }

    /// `who` commits on job `j`: each task not yet full with probability
    /// 0.7, labelled in `style`; the hub must accept it or refuse it
    /// exactly as [`Self::refusal`] says.
    fn commit(&mut self, j: usize, who: Address, style: Style) -> Result<(), TestCaseError> {
        if self.jobs[j].voters.contains(&who) {
            return Ok(());
        }
        let k = self.jobs[j].spec.k;
        let open: Vec<u32> = (0..self.jobs[j].spec.tasks)
            .filter(|&t| self.jobs[j].holders[t as usize] < k)
            .collect();
        let tasks: Vec<u32> = open.into_iter().filter(|_| self.rng.unit() < 0.7).collect();
        if tasks.is_empty() {
            return Ok(());
        }
        let mut labels = Vec::with_capacity(tasks.len());
        for &t in &tasks {
            let truth = self.jobs[j].truth[t as usize];
            labels.push(match style {
                Style::Lazy => self.rng.below(3) as u8,
                Style::GoldMiss if self.jobs[j].is_gold(t) => (truth + 1) % 3,
                Style::Careful if self.rng.unit() < 0.1 => self.rng.below(3) as u8,
                _ => truth,
            });
        }
        let refusal = self.refusal(j, who, tasks.len());
        let id = self.jobs[j].id;
        let (r, v) = self.h.commit(who, id, &tasks, &labels).unwrap();
        if let Some((what, e)) = refusal {
            prop_assert!(
                !r.success && r.output[..] == e[..],
                "{}: expected 0x{}, got success={} 0x{}",
                what,
                alloy_primitives::hex::encode(&e),
                r.success,
                alloy_primitives::hex::encode(&r.output)
            );
            self.bump(what);
            return Ok(());
        }
        prop_assert!(
            r.success,
            "commit refused: 0x{}",
            alloy_primitives::hex::encode(&r.output)
        );
        if self.jobs[j].spec.min_rep > 0 {
            self.bump("commits admitted by the reputation gate");
        }
        let job = &mut self.jobs[j];
        for &t in &tasks {
            job.holders[t as usize] += 1;
        }
        job.voters.push(who);
        self.ballots.push(Ballot {
            job: j,
            vote: v.unwrap(),
            revealed: false,
            settled: false,
            abandoned: false,
        });
        self.bump("commits");
        self.solvent("commitBatch")
    }

    /// The creator reveals job `j`'s gold key (with probability 0.8),
    /// sometimes after a wrong key (one label or the salt changed), which
    /// the hub refuses as batch 0 with `BatchMismatch(0)`.
    fn reveal_gold(&mut self, j: usize) -> Result<(), TestCaseError> {
        let (id, creator) = (self.jobs[j].id, self.creator);
        if self.rng.unit() < 0.4 {
            let mut call = self.jobs[j].spec.reveal_gold(id);
            if self.rng.unit() < 0.5 {
                let mut labels = call.labels.to_vec();
                labels[0] = (labels[0] + 1) % 3;
                call.labels = labels.into();
            } else {
                call.salt.0[31] ^= 1;
            }
            let r = self.h.send(creator, &call, U256::ZERO).unwrap();
            prop_assert!(
                r.reverted_with(&IHub::BatchMismatch {
                    batchId: U256::ZERO
                }),
                "a wrong key: 0x{}",
                alloy_primitives::hex::encode(&r.output)
            );
            self.bump("wrong gold keys refused");
        }
        if self.rng.unit() < 0.8 {
            let call = self.jobs[j].spec.reveal_gold(id);
            ok(&self.h.send(creator, &call, U256::ZERO).unwrap());
            self.jobs[j].gold_revealed = true;
            self.bump("gold keys revealed");
        }
        Ok(())
    }

    /// Job `j`'s annotators reveal (each with probability 0.85, the anchor
    /// always), some first with a changed label or salt, refused
    /// `BatchMismatch`.
    fn reveal_all(&mut self, j: usize) -> Result<(), TestCaseError> {
        for b in 0..self.ballots.len() {
            let anchor = self.ballots[b].vote.annotator == self.anchor;
            if self.ballots[b].job != j || (!anchor && self.rng.unit() >= 0.85) {
                continue;
            }
            let v = self.ballots[b].vote.clone();
            if self.rng.unit() < 0.25 {
                let mut call = IHub::revealBatchCall {
                    jobId: v.job,
                    batchId: v.batch,
                    tasks: labelmint::hub::pack_tasks(&v.tasks),
                    labels: v.labels.clone().into(),
                    salt: v.salt,
                };
                if self.rng.unit() < 0.5 {
                    let i = self.rng.below(v.labels.len() as u64) as usize;
                    let mut labels = v.labels.clone();
                    labels[i] = (labels[i] + 1) % 3;
                    call.labels = labels.into();
                } else {
                    call.salt.0[0] ^= 0x80;
                }
                let r = self.h.send(v.annotator, &call, U256::ZERO).unwrap();
                prop_assert!(
                    r.reverted_with(&IHub::BatchMismatch { batchId: v.batch }),
                    "a wrong reveal: 0x{}",
                    alloy_primitives::hex::encode(&r.output)
                );
                self.bump("wrong reveals refused");
            }
            ok(&self.h.reveal(&v).unwrap());
            self.ballots[b].revealed = true;
            self.bump("reveals");
        }
        Ok(())
    }

    /// In job `j`'s settle phase, its unrevealed batches try to reveal late
    /// and are refused `WrongPhase(job, 3)`.
    fn late_reveals(&mut self, j: usize) -> Result<(), TestCaseError> {
        for b in 0..self.ballots.len() {
            if self.ballots[b].job != j || self.ballots[b].revealed {
                continue;
            }
            let v = self.ballots[b].vote.clone();
            let r = self.h.reveal(&v).unwrap();
            prop_assert!(
                r.reverted_with(&IHub::WrongPhase {
                    jobId: v.job,
                    phase: 3
                }),
                "a late reveal: 0x{}",
                alloy_primitives::hex::encode(&r.output)
            );
            self.bump("late reveals refused");
        }
        Ok(())
    }

    /// The arbiter rules the truth on most of job `j`'s escalated tasks.
    fn rule(&mut self, j: usize) -> Result<(), TestCaseError> {
        let id = self.jobs[j].id;
        for t in 0..self.jobs[j].spec.tasks {
            if consensus(&mut self.h, id, t).state == 3 && self.rng.unit() < 0.7 {
                let label = self.jobs[j].truth[t as usize];
                ok(&self.h.rule(DEFAULT_ARBITER, id, &[t], &[label]).unwrap());
                self.bump("rulings");
                self.solvent("ruleTasks")?;
            }
        }
        Ok(())
    }

    /// Settles ballot `b` (forfeits it if unrevealed), sent by its
    /// annotator or by the keeper. A task still awaiting its ruling must
    /// hold it back with `AwaitingRuling` (then `Ok(false)`); otherwise the
    /// gold check must fail the batch exactly when fewer than half of its
    /// gold tasks decided by the key match (nothing paid, the whole stake
    /// slashed), and a forfeit loses the whole stake.
    fn settle(&mut self, b: usize) -> Result<bool, TestCaseError> {
        let (j, v, revealed) = (
            self.ballots[b].job,
            self.ballots[b].vote.clone(),
            self.ballots[b].revealed,
        );
        let (id, ruling_end) = (
            self.jobs[j].id,
            self.h.job(self.jobs[j].id).unwrap().rulingEnd,
        );
        let lock = self.jobs[j].spec.stake * v.tasks.len() as u128;
        let (mut awaiting, mut gold_seen, mut gold_right) = (None, 0u32, 0u32);
        if revealed {
            for (&t, &label) in v.tasks.iter().zip(&v.labels) {
                let c = consensus(&mut self.h, id, t);
                if c.state == 3 && awaiting.is_none() {
                    awaiting = Some(t);
                }
                let truth = self.jobs[j].truth[t as usize];
                let by_key = c.state == 2 || (c.state == 4 && c.ruling == truth + 1);
                if self.jobs[j].gold_revealed && self.jobs[j].is_gold(t) && by_key {
                    gold_seen += 1;
                    gold_right += u32::from(label == truth);
                }
            }
        }
        let by = if self.rng.unit() < 0.5 {
            v.annotator
        } else {
            self.keeper
        };
        let r = if revealed {
            self.h.settle(by, &v).unwrap()
        } else {
            self.h.forfeit(by, &v).unwrap()
        };
        if let Some(t) = awaiting {
            prop_assert!(
                r.reverted_with(&IHub::AwaitingRuling {
                    taskId: t,
                    until: ruling_end
                }),
                "held back: 0x{}",
                alloy_primitives::hex::encode(&r.output)
            );
            self.bump("settlements held back awaiting a ruling");
            return Ok(false);
        }
        prop_assert!(
            r.success,
            "settlement refused: 0x{}",
            alloy_primitives::hex::encode(&r.output)
        );
        if revealed {
            let s = logs::<IHub::BatchSettled>(&r).remove(0);
            let failed = gold_right * 2 < gold_seen;
            prop_assert_eq!(
                s.goldFailed,
                failed,
                "{} of {} gold tasks right",
                gold_right,
                gold_seen
            );
            if failed {
                prop_assert_eq!(
                    (s.paid, s.slashed, s.agreed),
                    (U256::ZERO, lock, 0),
                    "a failed gold check pays nothing and slashes everything"
                );
                self.bump("gold failures");
            } else if gold_seen > 0 {
                self.bump("gold checks passed");
            }
            if !s.paid.is_zero() {
                self.bump("payments");
            }
            if s.slashed > 0 {
                self.bump("slashes");
            }
            if s.keeperShare > 0 {
                self.bump("keeper shares");
            }
        } else {
            let f = logs::<IHub::BatchForfeited>(&r).remove(0);
            prop_assert_eq!(f.slashed, lock, "a forfeit loses the whole stake");
            self.bump("forfeits");
        }
        self.ballots[b].settled = true;
        self.solvent("settleBatch")?;
        Ok(true)
    }

    /// Job `j`'s batches not settled yet: during the ruling window some
    /// are left for good, and any may be held back by a pending ruling;
    /// after it (`late`) every one left settles.
    fn settle_all(&mut self, j: usize, late: bool) -> Result<(), TestCaseError> {
        for b in 0..self.ballots.len() {
            let x = &self.ballots[b];
            if x.job != j || x.settled || x.abandoned {
                continue;
            }
            if !late && x.vote.annotator != self.anchor && self.rng.unit() < 0.08 {
                self.ballots[b].abandoned = true;
                self.bump("batches left unsettled");
                continue;
            }
            let done = self.settle(b)?;
            prop_assert!(done || !late, "nothing awaits a ruling after its window");
        }
        Ok(())
    }

    /// `who`, committed on a job, asks to unstake: more than its free stake
    /// is refused `InsufficientStake`; then all or half of it is queued,
    /// and withdrawing it at once is refused `CooldownActive`. Returns what
    /// is queued and when it is ready.
    fn unstake(&mut self, who: Address) -> Result<(u128, u64), TestCaseError> {
        let s = stake_of(&mut self.h, who);
        prop_assert!(s.locked > 0, "unstaking while committed");
        let free = s.staked - s.locked;
        let r = self
            .h
            .send(
                who,
                &IHub::requestUnstakeCall { amount: free + 1 },
                U256::ZERO,
            )
            .unwrap();
        prop_assert!(
            r.reverted_with(&IHub::InsufficientStake {
                available: U256::from(free),
                required: U256::from(free + 1)
            }),
            "unstaking locked stake: 0x{}",
            alloy_primitives::hex::encode(&r.output)
        );
        self.bump("unstakes refused (locked stake)");
        let amount = if self.rng.unit() < 0.5 {
            free
        } else {
            free / 2
        };
        let ready = self.h.m.chain.timestamp() + 3 * 86_400;
        ok(&self
            .h
            .send(who, &IHub::requestUnstakeCall { amount }, U256::ZERO)
            .unwrap());
        self.bump("unstakes");
        let s = stake_of(&mut self.h, who);
        prop_assert_eq!((s.pending, s.readyAt, s.locked > 0), (amount, ready, true));
        self.withdraw_too_early(who, ready)?;
        self.solvent("requestUnstake")?;
        Ok((amount, ready))
    }

    fn withdraw_too_early(&mut self, who: Address, ready: u64) -> Result<(), TestCaseError> {
        let r = self
            .h
            .send(who, &IHub::withdrawStakeCall {}, U256::ZERO)
            .unwrap();
        prop_assert!(
            r.reverted_with(&IHub::CooldownActive { readyAt: ready }),
            "withdrawing in the cooldown: 0x{}",
            alloy_primitives::hex::encode(&r.output)
        );
        self.bump("stake withdrawals refused (cooldown)");
        Ok(())
    }
}

/// A step of job A's settle phase: settling one of its batches, or an
/// annotator's attempt at a first batch on the gated job.
enum Step {
    Settle(usize),
    Join(Address, Style),
}

/// Shuffles `v` with the history's random source.
fn shuffle<T>(rng: &mut labelmint_quality::SplitMix, v: &mut [T]) {
    for i in (1..v.len()).rev() {
        v.swap(i, rng.below(i as u64 + 1) as usize);
    }
}

/// One random history (see the property below); returns its counters.
fn hub_history(seed: u64, tasks: u32, k: u8) -> Result<Counts, TestCaseError> {
    let mut rng = labelmint_quality::SplitMix::new(seed);
    let mut h = Hub::deploy(false).unwrap();
    let creator = h.m.chain.account(0);
    let keeper = h.m.chain.account(7);
    let stakers: Vec<Address> = (1..=6).chain([9]).map(|i| h.m.chain.account(i)).collect();
    for &a in &stakers {
        h.fund_and_stake(a, 2 * STAKE).unwrap();
    }
    let truth: Vec<u8> = (0..tasks).map(|_| rng.below(3) as u8).collect();
    let mut w = History {
        h,
        rng,
        creator,
        keeper,
        anchor: stakers[0],
        stakers: stakers.clone(),
        jobs: Vec::new(),
        ballots: Vec::new(),
        counts: Counts::new(),
    };
    // Job A: open to anyone, a stake of three bounties per vote.
    let spec = HubJob {
        k,
        classes: 3,
        stake: 3 * R * u128::from(k),
        ..HubJob::sized(tasks, &truth)
    };
    let a = w.create(spec, truth)?;
    let a_id = w.jobs[a].id;
    for &who in &stakers[..6] {
        let x = w.rng.unit();
        let style = if who == w.anchor {
            Style::Exact
        } else if x < 0.7 {
            Style::Careful
        } else if x < 0.85 {
            Style::Lazy
        } else {
            Style::GoldMiss
        };
        w.commit(a, who, style)?;
    }
    // A reveal before the reveal phase is refused; one voter unstakes all
    // or half of its free stake while its votes are locked.
    prop_assert!(!w.ballots.is_empty(), "nobody committed");
    let v = w.ballots[0].vote.clone();
    let r = w.h.reveal(&v).unwrap();
    prop_assert!(
        r.reverted_with(&IHub::WrongPhase {
            jobId: a_id,
            phase: 1
        }),
        "an early reveal"
    );
    w.bump("early reveals refused");
    let unstaker = w.ballots[w.rng.below(w.ballots.len() as u64) as usize]
        .vote
        .annotator;
    let (queued, ready) = w.unstake(unstaker)?;
    // Job B, half an hour later: gated by reputation, half the reward,
    // the least stake the rules allow, three hours of commits, so that its
    // commits run beside A's reveals and settlements.
    w.h.warp(1_800);
    let tasks_b = 8 + w.rng.below(8) as u32;
    let truth_b: Vec<u8> = (0..tasks_b).map(|_| w.rng.below(3) as u8).collect();
    let bounty_b = R / 2 * u128::from(k);
    let spec_b = HubJob {
        k,
        classes: 3,
        reward: R / 2,
        stake: bounty_b.div_ceil(2),
        min_rep: 5_000 + w.rng.below(4_001) as u16,
        commit: 3 * 3_600,
        ..HubJob::sized(tasks_b, &truth_b)
    };
    let b = w.create(spec_b, truth_b)?;
    // Nobody has been judged yet: the gate refuses whoever tries.
    for _ in 0..2 {
        let who = stakers[w.rng.below(7) as usize];
        w.commit(b, who, Style::Careful)?;
    }
    let spec_a = w.jobs[a].spec.clone();
    let r =
        w.h.send(creator, &spec_a.reveal_gold(a_id), U256::ZERO)
            .unwrap();
    prop_assert!(
        r.reverted_with(&IHub::WrongPhase {
            jobId: a_id,
            phase: 1
        }),
        "a key in the commit phase"
    );
    // A's reveal phase: a late commit is refused, keys and batches revealed.
    warp(&mut w.h, a_id, At::Reveal);
    let newcomer = stakers[6];
    let (r, _) = w.h.commit(newcomer, a_id, &[0], &[0]).unwrap();
    prop_assert!(
        r.reverted_with(&IHub::WrongPhase {
            jobId: a_id,
            phase: 2
        }),
        "a late commit"
    );
    w.bump("late commits refused");
    w.reveal_gold(a)?;
    w.reveal_all(a)?;
    // A's settle phase, B still committing: A's settlements (which build
    // reputations) and two attempts per annotator at a first batch on B,
    // in a random order.
    warp(&mut w.h, a_id, At::Settle);
    w.late_reveals(a)?;
    w.rule(a)?;
    let mut steps: Vec<Step> = (0..w.ballots.len())
        .filter(|&i| w.ballots[i].job == a)
        .map(Step::Settle)
        .collect();
    for &who in stakers.iter().chain(&stakers) {
        let style = if w.rng.unit() < 0.8 {
            Style::Careful
        } else {
            Style::GoldMiss
        };
        steps.push(Step::Join(who, style));
    }
    shuffle(&mut w.rng, &mut steps);
    for step in steps {
        match step {
            Step::Settle(i) => {
                if w.ballots[i].vote.annotator != w.anchor && w.rng.unit() < 0.08 {
                    w.ballots[i].abandoned = true;
                    w.bump("batches left unsettled");
                } else {
                    w.settle(i)?;
                }
            }
            Step::Join(who, style) => w.commit(b, who, style)?,
        }
    }
    // B's reveal and settle phases; the unstaker still cools down.
    let b_id = w.jobs[b].id;
    warp(&mut w.h, b_id, At::Reveal);
    w.reveal_gold(b)?;
    w.reveal_all(b)?;
    warp(&mut w.h, b_id, At::Settle);
    w.late_reveals(b)?;
    w.rule(b)?;
    w.settle_all(b, false)?;
    w.withdraw_too_early(unstaker, ready)?;
    // After the ruling windows every batch left settles.
    warp(&mut w.h, a_id, At::RulingEnd);
    w.settle_all(a, true)?;
    warp(&mut w.h, b_id, At::RulingEnd);
    w.settle_all(b, true)?;
    for id in [a_id, b_id] {
        warp(&mut w.h, id, At::End);
        close(&mut w.h, id);
        w.solvent("closeJob")?;
    }
    // The cooldown over, the queued stake leaves.
    w.h.warp_to(ready);
    let before = w.h.tokens(unstaker).unwrap();
    let r =
        w.h.send(unstaker, &IHub::withdrawStakeCall {}, U256::ZERO)
            .unwrap();
    ok(&r);
    prop_assert_eq!(w.h.tokens(unstaker).unwrap() - before, U256::from(queued));
    w.bump("stake withdrawals");
    w.solvent("withdrawStake")?;
    for who in w.accounts() {
        for id in [a_id, b_id] {
            let r =
                w.h.send(who, &IHub::claimSlashShareCall { jobId: id }, U256::ZERO)
                    .unwrap();
            if r.success {
                w.bump("slash shares");
            } else {
                prop_assert!(
                    r.reverted_with(&IHub::NothingToClaim {}),
                    "claim refused: 0x{}",
                    alloy_primitives::hex::encode(&r.output)
                );
            }
        }
        if w.h.credit(who).unwrap() > 0 {
            ok(&w
                .h
                .send(who, &IHub::withdrawCall { to: who }, U256::ZERO)
                .unwrap());
            w.bump("withdrawals");
        }
    }
    // Claimed shares leave the pools without being subtracted from them:
    // left are stakes (locked ones included), pools nobody could claim (no
    // agreeing vote), and rounding dust.
    let mut left = w.h.tokens(w.h.hub).unwrap();
    for a in stakers {
        let s = stake_of(&mut w.h, a);
        left -= U256::from(s.staked) + U256::from(s.pending);
    }
    for id in [a_id, b_id] {
        let acc = w.h.read(&IHub::jobAccountsCall { jobId: id }).unwrap();
        if acc.agreedTotal == 0 {
            left -= U256::from(acc.slashPool);
        }
    }
    prop_assert!(
        left < U256::from(16),
        "pools claimed up to rounding: {}",
        left
    );
    Ok(w.counts)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// Random histories of two concurrent jobs. A (open) takes commits from
    /// six annotators: one exact, always revealed and settled (so every
    /// case must pay), the others careful, lazy or missing the gold on
    /// purpose; one of them unstakes while committed (more than its free
    /// stake refused, early withdrawals refused `CooldownActive` until the
    /// cooldown ends, then exactly the queued amount leaves). B (gated by
    /// reputation, created half an hour later) refuses whoever tries before
    /// anyone has been judged, then admits or refuses each first batch
    /// exactly as the
    /// reputation gate and the free stake say, in a random interleaving
    /// with A's settlements. Keys are revealed or not, wrong keys refused
    /// as batch 0; reveals early, late, or with a changed label or salt
    /// refused with their named errors; escalated tasks ruled or left;
    /// batches settled by annotators or keepers, held back by pending
    /// rulings, failed by the gold check exactly when the model says, or
    /// left. After every step the hub holds exactly stakes + queued stakes
    /// + credits + escrows + gold bonds + slash pools; at the end only
    /// stakes, unclaimable pools and rounding dust. Each case prints its
    /// counters and fails if it paid nobody or the gate refused nobody.
    #[test]
    fn two_concurrent_jobs_stay_solvent_through_gold_gates_unstaking_and_refused_reveals(seed in any::<u64>(), tasks in 8u32..20, k in 3u8..5) {
        let counts = hub_history(seed, tasks, k)?;
        println!("hub history {seed:#x} (k = {k}, {tasks} tasks): {counts:?}");
        prop_assert!(counts.get("payments").copied().unwrap_or(0) > 0, "the case paid nobody");
        prop_assert!(counts.get("commits refused by the reputation gate").copied().unwrap_or(0) > 0, "the gate refused nobody");
    }
}
