//! The QualityHub's real wasm on the embedded chain, next to the real
//! RewardToken it stakes: staking and cooldowns, commit–reveal consensus,
//! payouts and slashing, ties and missing quorum, forfeits, closing,
//! slash shares, reputation, sybil splitting, malformed calls, and a
//! solvency property over random jobs.
#![allow(missing_docs, clippy::too_many_lines, clippy::many_single_char_names)]

mod common;

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use common::{assert_reverts, logs, ok};
use labelmint::hub::{Hub, HubJob, IHub, Vote};
use proptest::prelude::*;

const STAKE: u128 = 100_000_000_000_000_000_000;

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

#[test]
fn create_job_validates_every_parameter_and_the_exact_escrow() {
    let (mut h, creator, _) = setup(0);
    let base = HubJob::default();
    let cases: Vec<(u8, HubJob)> = vec![
        (
            1,
            HubJob {
                tasks: 0,
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
                classes: 16,
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
                quorum_bps: 10_001,
                ..base.clone()
            },
        ),
        (
            6,
            HubJob {
                reveal: 0,
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
            7,
            HubJob {
                slash_to: 2,
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
                ..base.clone()
            },
        ),
    ];
    for (field, spec) in cases {
        let r = h.send(creator, &spec.call(), U256::ZERO).unwrap();
        assert_reverts(&r, &IHub::InvalidParameter { field });
    }
    let r = h
        .send(creator, &base.call(), base.escrow() - U256::from(1))
        .unwrap();
    assert_reverts(
        &r,
        &IHub::WrongEscrow {
            expected: base.escrow(),
            received: base.escrow() - U256::from(1),
        },
    );
    let id = h.create(creator, &base).unwrap();
    assert_eq!(id, U256::from(1));
    let j = h.read(&IHub::getJobCall { jobId: id }).unwrap();
    assert_eq!(
        (j.creator, j.status, j.escrow, j.replication, j.taskCount),
        (creator, 1, base.reward * 96, 3, 32)
    );
    assert_eq!(j.revealEnd - j.commitEnd, 3_600);
    // ETH anywhere else is refused; unknown selectors are named.
    let r = h
        .send(creator, &IHub::jobCountCall {}, U256::from(1))
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
    // A truncated argument is InvalidCalldata.
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
}

#[test]
fn stake_unstake_with_cooldown_and_locks() {
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
    vote(&mut h, a, job, &[0, 1], &[1, 1]);
    let s = stake_of(&mut h, a);
    assert_eq!((s.staked, s.locked), (STAKE, STAKE));
    let r = h
        .send(a, &IHub::requestUnstakeCall { amount: 1 }, U256::ZERO)
        .unwrap();
    assert_reverts(
        &r,
        &IHub::InsufficientStake {
            available: U256::ZERO,
            required: U256::from(1),
        },
    );
    // After the job: unlocked, queue, cooldown, withdraw.
    h.warp(3 * 3_600 + 1);
    ok(&h
        .send(creator, &IHub::closeJobCall { jobId: job }, U256::ZERO)
        .unwrap());
    ok(&h
        .send(a, &IHub::claimSlashShareCall { jobId: job }, U256::ZERO)
        .unwrap());
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
}

#[test]
fn commits_are_bounded_per_task_per_annotator_and_by_phase() {
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
    let many: Vec<u32> = (0..65).collect();
    let (r, _) = h.commit(p[3], job, &many, &[0; 65]).unwrap();
    assert_reverts(
        &r,
        &IHub::BadBatchSize {
            size: U256::from(260),
            max: U256::from(64),
        },
    );
    // Packed task ids come 4 bytes a task.
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
    // An unstaked address cannot vote.
    let stranger = h.m.chain.account(9);
    let (r, _) = h.commit(stranger, job, &[5], &[0]).unwrap();
    assert_reverts(
        &r,
        &IHub::InsufficientStake {
            available: U256::ZERO,
            required: U256::from(STAKE),
        },
    );
    h.warp(3_600);
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
    let v = vote(&mut h, p[0], job, &[0, 1], &[1, 3]);
    assert_reverts(
        &h.reveal(&v).unwrap(),
        &IHub::WrongPhase {
            jobId: job,
            phase: 1,
        },
    );
    let bad = vote(&mut h, p[1], job, &[0, 1], &[1, 4]);
    h.warp(3_600);
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
            taskId: 1,
            label: 4,
        },
    );
    let r = h.reveal(&v).unwrap();
    ok(&r);
    assert_eq!(
        logs::<IHub::BatchRevealed>(&r)[0].labels.to_vec(),
        vec![1, 3]
    );
    let c = h
        .read(&IHub::consensusOfCall {
            jobId: job,
            taskId: 1,
        })
        .unwrap();
    assert_eq!((c.holders, c.label, c.votes, c.reached), (2, 3, 1, false));
    assert_reverts(
        &h.reveal(&v).unwrap(),
        &IHub::BatchMismatch { batchId: v.batch },
    );
}

#[test]
fn majority_pays_the_agreeing_votes_the_whole_bounty_and_slashes_the_rest() {
    let (mut h, creator, p) = setup(4);
    let spec = HubJob {
        tasks: 4,
        ..HubJob::default()
    };
    let job = h.create(creator, &spec).unwrap();
    // Task 0: 1,1,2 → 1 wins 2/3. Task 1: 0,1,2 → tie, no consensus.
    // Task 2: 3,3,3 → unanimous. Task 3: only two votes, 0 and 0 → 2/3 of k: consensus.
    let a = vote(&mut h, p[0], job, &[0, 1, 2, 3], &[1, 0, 3, 0]);
    let b = vote(&mut h, p[1], job, &[0, 1, 2, 3], &[1, 1, 3, 0]);
    let c = vote(&mut h, p[2], job, &[0, 1, 2], &[2, 2, 3]);
    h.warp(3_600);
    for v in [&a, &b, &c] {
        ok(&h.reveal(v).unwrap());
    }
    assert_reverts(
        &h.settle(creator, &a).unwrap(),
        &IHub::WrongPhase {
            jobId: job,
            phase: 2,
        },
    );
    h.warp(3_600);
    let bounty = spec.reward * 3;
    // a: agrees on 0, 2, 3 → bounty/2 + bounty/3 + bounty/2; task 1 neutral.
    let r = h.settle(p[3], &a).unwrap();
    ok(&r);
    let s = &logs::<IHub::BatchSettled>(&r)[0];
    assert_eq!((s.agreed, s.disagreed, s.slashed), (3, 0, 0));
    assert_eq!(s.paid, U256::from(bounty / 2 + bounty / 3 + bounty / 2));
    // c: disagrees on 0, agrees on 2, task 1 neutral → slashed 50 % × 1/3 of the stake.
    let r = h.settle(p[3], &c).unwrap();
    ok(&r);
    let s = &logs::<IHub::BatchSettled>(&r)[0];
    let slash = STAKE / 2 / 3;
    assert_eq!(
        (s.agreed, s.disagreed, s.paid, s.slashed),
        (1, 1, U256::from(bounty / 3), slash)
    );
    let st = stake_of(&mut h, p[2]);
    assert_eq!(
        (st.staked, st.locked),
        (STAKE - slash, 0),
        "slashed, the rest unlocked"
    );
    let rep = h.read(&IHub::reputationOfCall { annotator: p[2] }).unwrap();
    assert_eq!((rep.judged, rep.agreed, rep.scoreBps), (2, 1, 5_000));
    assert_reverts(
        &h.settle(p[3], &c).unwrap(),
        &IHub::UnknownBatch { batchId: c.batch },
    );
    let mut forged = b.clone();
    forged.labels = vec![1, 0, 3, 0];
    assert_reverts(
        &h.settle(p[3], &forged).unwrap(),
        &IHub::BatchMismatch { batchId: b.batch },
    );
    ok(&h.settle(p[3], &b).unwrap());
    // Close: the tie task's bounty and the integer remainders go back.
    h.warp(3_600);
    let r = h
        .send(p[3], &IHub::closeJobCall { jobId: job }, U256::ZERO)
        .unwrap();
    ok(&r);
    let paid = 2 * (bounty / 2 + bounty / 3 + bounty / 2) + bounty / 3;
    let refund = spec.reward * 12 - paid;
    assert_eq!(logs::<IHub::JobClosed>(&r)[0].refund, U256::from(refund));
    assert_eq!(
        h.read(&IHub::creditOfCall { account: creator }).unwrap(),
        U256::from(refund)
    );
    // The slash goes to the agreeing annotators pro rata: a and b agreed 3 times each, c once.
    let pool = slash;
    for (who, agreed) in [(p[0], 3u128), (p[1], 3), (p[2], 1)] {
        let before = h.tokens(who).unwrap();
        ok(&h
            .send(who, &IHub::claimSlashShareCall { jobId: job }, U256::ZERO)
            .unwrap());
        assert_eq!(
            h.tokens(who).unwrap() - before,
            U256::from(pool * agreed / 7)
        );
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
    // Withdrawals.
    let before = h.m.chain.balance(p[0]);
    let r = h
        .send(p[0], &IHub::withdrawCall { to: p[0] }, U256::ZERO)
        .unwrap();
    ok(&r);
    assert!(h.m.chain.balance(p[0]) > before);
    assert_reverts(
        &h.send(p[0], &IHub::withdrawCall { to: p[0] }, U256::ZERO)
            .unwrap(),
        &IHub::NothingToWithdraw {},
    );
}

#[test]
fn unrevealed_votes_are_forfeited_at_the_full_rate_and_count_against_quorum() {
    let (mut h, creator, p) = setup(3);
    let spec = HubJob {
        tasks: 2,
        slash_to: 1,
        ..HubJob::default()
    };
    let job = h.create(creator, &spec).unwrap();
    let a = vote(&mut h, p[0], job, &[0, 1], &[2, 2]);
    let b = vote(&mut h, p[1], job, &[0, 1], &[1, 2]);
    let silent = vote(&mut h, p[2], job, &[0, 1], &[2, 2]);
    h.warp(3_600);
    ok(&h.reveal(&a).unwrap());
    ok(&h.reveal(&b).unwrap());
    assert_reverts(
        &h.forfeit(creator, &silent).unwrap(),
        &IHub::WrongPhase {
            jobId: job,
            phase: 2,
        },
    );
    h.warp(3_600);
    assert_reverts(
        &h.forfeit(creator, &a).unwrap(),
        &IHub::BatchMismatch { batchId: a.batch },
    );
    let mut wrong = silent.clone();
    wrong.labels = vec![0, 0];
    assert_reverts(
        &h.forfeit(creator, &wrong).unwrap(),
        &IHub::BatchMismatch {
            batchId: silent.batch,
        },
    );
    let r = h.forfeit(creator, &silent).unwrap();
    ok(&r);
    assert_eq!(logs::<IHub::BatchForfeited>(&r)[0].slashed, STAKE / 2);
    assert_eq!(stake_of(&mut h, p[2]).staked, STAKE / 2);
    let rep = h.read(&IHub::reputationOfCall { annotator: p[2] }).unwrap();
    assert_eq!((rep.judged, rep.agreed, rep.scoreBps), (2, 0, 0));
    // Task 0: 2 vs 1 with the third unrevealed: 1 vote of 3 is no quorum.
    let c = h
        .read(&IHub::consensusOfCall {
            jobId: job,
            taskId: 0,
        })
        .unwrap();
    assert!(!c.reached);
    let c = h
        .read(&IHub::consensusOfCall {
            jobId: job,
            taskId: 1,
        })
        .unwrap();
    assert!(c.reached && c.label == 2 && c.votes == 2 && c.holders == 3);
    ok(&h.settle(creator, &a).unwrap());
    // Slashes go to the creator in this job.
    h.warp(3_600);
    ok(&h
        .send(creator, &IHub::closeJobCall { jobId: job }, U256::ZERO)
        .unwrap());
    assert_reverts(
        &h.send(p[0], &IHub::claimSlashShareCall { jobId: job }, U256::ZERO)
            .unwrap(),
        &IHub::NothingToClaim {},
    );
    let before = h.tokens(creator).unwrap();
    ok(&h
        .send(
            creator,
            &IHub::claimSlashShareCall { jobId: job },
            U256::ZERO,
        )
        .unwrap());
    assert_eq!(h.tokens(creator).unwrap() - before, U256::from(STAKE / 2));
    // b never settled: its lock is released after close, with no payout.
    assert_eq!(stake_of(&mut h, p[1]).locked, STAKE);
    ok(&h
        .send(p[1], &IHub::claimSlashShareCall { jobId: job }, U256::ZERO)
        .unwrap());
    assert_eq!(stake_of(&mut h, p[1]).locked, 0);
    assert_reverts(
        &h.send(p[1], &IHub::closeJobCall { jobId: job }, U256::ZERO)
            .unwrap(),
        &IHub::WrongPhase {
            jobId: job,
            phase: 4,
        },
    );
}

#[test]
fn gold_tasks_override_a_colluding_majority_and_void_their_batches() {
    let (mut h, creator, p) = setup(3);
    // Gold on tasks 0-3; the truth is class 2 everywhere.
    let spec = HubJob {
        tasks: 8,
        gold: vec![(0, 2), (1, 2), (2, 2), (3, 2)],
        ..HubJob::default()
    };
    let job = h.create(creator, &spec).unwrap();
    let all: Vec<u32> = (0..8).collect();
    let honest = vote(&mut h, p[0], job, &all, &[2; 8]);
    let c1 = vote(&mut h, p[1], job, &all, &[0; 8]);
    let c2 = vote(&mut h, p[2], job, &all, &[0; 8]);
    assert_reverts(
        &h.send(creator, &spec.reveal_gold(job), U256::ZERO).unwrap(),
        &IHub::WrongPhase {
            jobId: job,
            phase: 1,
        },
    );
    h.warp(3_600);
    for v in [&honest, &c1, &c2] {
        ok(&h.reveal(v).unwrap());
    }
    let mut wrong = spec.reveal_gold(job);
    wrong.salt = alloy_primitives::B256::ZERO;
    assert_reverts(
        &h.send(creator, &wrong, U256::ZERO).unwrap(),
        &IHub::BatchMismatch {
            batchId: U256::ZERO,
        },
    );
    let r = h.send(creator, &spec.reveal_gold(job), U256::ZERO).unwrap();
    ok(&r);
    assert_eq!(logs::<IHub::GoldRevealed>(&r)[0].tasks, 4);
    assert_reverts(
        &h.send(creator, &spec.reveal_gold(job), U256::ZERO).unwrap(),
        &IHub::UnknownBatch {
            batchId: U256::ZERO,
        },
    );
    let c = h
        .read(&IHub::consensusOfCall {
            jobId: job,
            taskId: 1,
        })
        .unwrap();
    assert_eq!(
        (c.label, c.votes, c.reached),
        (2, 1, true),
        "gold beats the 2-vote majority"
    );
    let c = h
        .read(&IHub::consensusOfCall {
            jobId: job,
            taskId: 5,
        })
        .unwrap();
    assert_eq!(
        (c.label, c.votes, c.reached),
        (0, 2, true),
        "the colluders still win non-gold tasks"
    );
    h.warp(3_600);
    let r = h.settle(creator, &honest).unwrap();
    let s = &logs::<IHub::BatchSettled>(&r)[0];
    assert_eq!(
        (s.agreed, s.disagreed, s.goldFailed, s.slashed),
        (4, 4, false, STAKE / 2 * 4 / 8)
    );
    assert_eq!(s.paid, U256::from(spec.reward * 3 * 4));
    for v in [&c1, &c2] {
        let r = h.settle(creator, v).unwrap();
        let s = &logs::<IHub::BatchSettled>(&r)[0];
        assert_eq!(
            (s.agreed, s.disagreed, s.paid, s.goldFailed, s.slashed),
            (0, 8, U256::ZERO, true, STAKE / 2)
        );
    }
    // A job without a key has nothing to reveal.
    let plain = h.create(creator, &HubJob::default()).unwrap();
    h.warp(3_600);
    assert_reverts(
        &h.send(creator, &spec.reveal_gold(plain), U256::ZERO)
            .unwrap(),
        &IHub::UnknownBatch {
            batchId: U256::ZERO,
        },
    );
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
            let chunks: Vec<&[u32]> = all.chunks(64).collect();
            let lchunks: Vec<&[u8]> = labels.chunks(64).collect();
            for (c, l) in chunks.into_iter().zip(lchunks) {
                votes.push(vote(&mut h, who, job, c, l));
            }
        }
        h.warp(3_600);
        for v in &votes {
            ok(&h.reveal(v).unwrap());
        }
        for t in 0..tasks {
            let c = h
                .read(&IHub::consensusOfCall {
                    jobId: job,
                    taskId: t,
                })
                .unwrap();
            let (label, n) = expect(t);
            assert_eq!(c.holders, k, "k={k} task {t}: every voter committed");
            assert_eq!((c.label, c.votes), (label, n), "k={k} task {t}");
            let needed = (u32::from(spec.quorum_bps) * u32::from(k)).div_ceil(10_000);
            assert_eq!(c.reached, u32::from(n) >= needed, "k={k} task {t}");
        }
        h.warp(3_600);
        for v in &votes {
            ok(&h.settle(creator, v).unwrap());
        }
        h.warp(3_600);
    }
}

#[test]
fn low_reputation_annotators_are_refused_by_demanding_jobs() {
    let (mut h, creator, p) = setup(3);
    // p[2] always dissents on 24 unanimous-by-others tasks: score 0 after 24 judged labels.
    let spec = HubJob {
        tasks: 24,
        ..HubJob::default()
    };
    let job = h.create(creator, &spec).unwrap();
    let tasks: Vec<u32> = (0..24).collect();
    let votes = [
        vote(&mut h, p[0], job, &tasks, &[1; 24]),
        vote(&mut h, p[1], job, &tasks, &[1; 24]),
        vote(&mut h, p[2], job, &tasks, &[0; 24]),
    ];
    h.warp(3_600);
    for v in &votes {
        ok(&h.reveal(v).unwrap());
    }
    h.warp(3_600);
    for v in &votes {
        ok(&h.settle(creator, v).unwrap());
    }
    let rep = h.read(&IHub::reputationOfCall { annotator: p[2] }).unwrap();
    assert_eq!((rep.judged, rep.scoreBps), (24, 0));
    let strict = h
        .create(
            creator,
            &HubJob {
                min_rep: 6_000,
                ..HubJob::default()
            },
        )
        .unwrap();
    h.fund_and_stake(p[2], STAKE).unwrap();
    let (r, _) = h.commit(p[2], strict, &[0], &[0]).unwrap();
    assert_reverts(
        &r,
        &IHub::ReputationTooLow {
            scoreBps: 0,
            required: 6_000,
        },
    );
    vote(&mut h, p[0], strict, &[0], &[0]);
}

#[test]
fn splitting_stake_across_addresses_buys_no_extra_votes() {
    // One owner with 2 × minStake: two addresses can vote, a third cannot.
    let (mut h, creator, _) = setup(0);
    let job = h.create(creator, &HubJob::default()).unwrap();
    let ring: Vec<Address> = (5..8).map(|i| h.m.chain.account(i)).collect();
    h.fund_and_stake(ring[0], STAKE).unwrap();
    h.fund_and_stake(ring[1], STAKE).unwrap();
    h.fund_and_stake(ring[2], STAKE / 2).unwrap();
    vote(&mut h, ring[0], job, &[0], &[1]);
    vote(&mut h, ring[1], job, &[0], &[1]);
    let (r, _) = h.commit(ring[2], job, &[0], &[1]).unwrap();
    assert_reverts(
        &r,
        &IHub::InsufficientStake {
            available: U256::from(STAKE / 2),
            required: U256::from(STAKE),
        },
    );
    // And one address's stake backs one vote per task, whatever its size.
    h.fund_and_stake(ring[2], STAKE * 10).unwrap();
    vote(&mut h, ring[2], job, &[1], &[1]);
    let (r, _) = h.commit(ring[2], job, &[1], &[1]).unwrap();
    assert_reverts(&r, &IHub::AlreadyVoted { taskId: 1 });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Random jobs: random voters, labels, reveals and settlements. The hub
    /// always holds exactly the escrow of open jobs plus all ETH credits,
    /// and exactly the stake plus queued and unclaimed slashed tokens;
    /// after closing and claiming, every wei and token is accounted for.
    #[test]
    fn escrow_and_stakes_stay_solvent(seed in any::<u64>(), tasks in 2u32..10, k in 3u8..5) {
        let mut rng = labelmint_quality::SplitMix::new(seed);
        let (mut h, creator, p) = setup(6);
        let spec = HubJob { tasks, k, classes: 3, ..HubJob::default() };
        let job = h.create(creator, &spec).unwrap();
        let mut votes = Vec::new();
        for &who in &p {
            let mine: Vec<u32> = (0..tasks).filter(|_| rng.unit() < 0.7).collect();
            if mine.is_empty() { continue; }
            let labels: Vec<u8> = mine.iter().map(|_| rng.below(3) as u8).collect();
            if let (r, Some(v)) = h.commit(who, job, &mine, &labels).unwrap() { ok(&r); votes.push(v); }
        }
        let tokens_in = |h: &mut Hub| h.tokens(h.hub).unwrap();
        let staked_total = |h: &mut Hub, p: &[Address]| p.iter().map(|&a| { let s = stake_of(h, a); U256::from(s.staked) + U256::from(s.pending) }).fold(U256::ZERO, |x, y| x + y);
        prop_assert_eq!(tokens_in(&mut h), U256::from(STAKE) * U256::from(6));
        h.warp(3_600);
        let revealed: Vec<bool> = votes.iter().map(|_| rng.unit() < 0.8).collect();
        for (v, &rev) in votes.iter().zip(&revealed) { if rev { ok(&h.reveal(v).unwrap()); } }
        h.warp(3_600);
        for (v, &rev) in votes.iter().zip(&revealed) {
            if rng.unit() < 0.9 { if rev { ok(&h.settle(creator, v).unwrap()); } else { ok(&h.forfeit(creator, v).unwrap()); } }
            let j = h.read(&IHub::getJobCall { jobId: job }).unwrap();
            let credits = p.iter().chain([&creator]).map(|&a| h.read(&IHub::creditOfCall { account: a }).unwrap()).fold(U256::ZERO, |x, y| x + y);
            prop_assert_eq!(h.m.chain.balance(h.hub), U256::from(j.escrow) + credits, "ETH = escrow + credits");
            let stakes = staked_total(&mut h, &p);
            prop_assert_eq!(tokens_in(&mut h), stakes + U256::from(j.slashPool), "tokens = stakes + slash pool");
        }
        h.warp(3_600);
        ok(&h.send(creator, &IHub::closeJobCall { jobId: job }, U256::ZERO).unwrap());
        for &who in p.iter().chain([&creator]) {
            let _ = h.send(who, &IHub::claimSlashShareCall { jobId: job }, U256::ZERO).unwrap();
            if !h.read(&IHub::creditOfCall { account: who }).unwrap().is_zero() {
                ok(&h.send(who, &IHub::withdrawCall { to: who }, U256::ZERO).unwrap());
            }
        }
        prop_assert_eq!(h.m.chain.balance(h.hub), U256::ZERO, "every wei of escrow paid or refunded");
        for &who in &p { prop_assert_eq!(stake_of(&mut h, who).locked, 0); }
        let stakes = staked_total(&mut h, &p);
        let dust = tokens_in(&mut h) - stakes;
        prop_assert!(dust < U256::from(7), "slash pool fully claimed up to rounding: {dust}");
    }
}
