//! The attacks of the mechanism review (issue #15) on the QualityHub and the
//! QualityCourt, run on the real wasm. This version of the file performs
//! each attack on the contracts as they were before the fix and asserts the
//! damage (the record of what worked); the fix commit turns each test into
//! the proof that the same attack no longer pays.
#![allow(missing_docs, clippy::too_many_lines, clippy::similar_names)]

use alloy_primitives::{keccak256, Address, B256, U256};
use labelmint::{
    court::{Court, CourtJob, ICourt, Payout, PayoutTree},
    hub::{Hub, HubJob, IHub, Vote},
};

mod common;
use common::{assert_reverts, logs, ok};

/// One reward unit (the default per-vote reward, 1,000 gwei).
const R: u128 = 1_000_000_000_000;

/// A fresh funded address that stakes `stake` tokens.
fn staker(h: &mut Hub, tag: &str, i: u32, stake: u128) -> Address {
    let a = Address::from_word(keccak256(format!("{tag}-{i}")));
    h.m.chain.set_balance(a, U256::from(10u128.pow(24)));
    if stake > 0 {
        h.fund_and_stake(a, stake).unwrap();
    }
    a
}

fn commit(h: &mut Hub, who: Address, job: U256, tasks: &[u32], labels: &[u8]) -> Vote {
    let (r, v) = h.commit(who, job, tasks, labels).unwrap();
    ok(&r);
    v.unwrap()
}

fn settled(h: &mut Hub, by: Address, v: &Vote) -> IHub::BatchSettled {
    let r = h.settle(by, v).unwrap();
    ok(&r);
    logs::<IHub::BatchSettled>(&r).remove(0)
}

fn credit(h: &mut Hub, who: Address) -> u128 {
    h.read(&IHub::creditOfCall { account: who })
        .unwrap()
        .to::<u128>()
}

fn claim_share(h: &mut Hub, who: Address, job: U256) -> u128 {
    let r = h
        .send(who, &IHub::claimSlashShareCall { jobId: job }, U256::ZERO)
        .unwrap();
    logs::<IHub::SlashShareClaimed>(&r)
        .first()
        .map_or(0, |c| c.amount)
}

fn close(h: &mut Hub, job: U256) {
    let anyone = h.m.chain.account(9);
    ok(&h
        .send(anyone, &IHub::closeJobCall { jobId: job }, U256::ZERO)
        .unwrap());
}

// ------------------------------------------------------- 1. false gold key

/// The creator commits a wrong answer key, reveals it after the votes and
/// keeps every honest label for free: every batch holding a gold task is
/// paid nothing and slashed at the full rate, `closeJob` refunds the whole
/// escrow, and `claimSlashShare` hands the creator the slashed stakes even
/// with `slashTo = annotators`, because no vote "agreed". A creator that
/// never reveals its key loses nothing.
#[test]
fn false_gold_key_pays_the_creator_and_slashes_honest_annotators() {
    let mut h = Hub::deploy(false).unwrap();
    let creator = h.m.chain.account(0);
    let stake = 20 * R;
    let honest: Vec<Address> = (0..3).map(|i| staker(&mut h, "gold", i, stake)).collect();
    // The truth is class 1 on every task; the key claims class 2 on task 0.
    let spec = HubJob {
        tasks: 10,
        min_stake: stake,
        slash_to: 0,
        gold: vec![(0, 2)],
        ..HubJob::default()
    };
    let job = h.create(creator, &spec).unwrap();
    let all: Vec<u32> = (0..10).collect();
    let votes: Vec<Vote> = honest
        .iter()
        .map(|&a| commit(&mut h, a, job, &all, &[1; 10]))
        .collect();
    h.warp(3_600);
    let mut published = 0;
    for v in &votes {
        let r = h.reveal(v).unwrap();
        ok(&r);
        published += logs::<IHub::BatchRevealed>(&r)[0].labels.len();
    }
    ok(&h.send(creator, &spec.reveal_gold(job), U256::ZERO).unwrap());
    h.warp(3_600);
    for v in &votes {
        let s = settled(&mut h, creator, v);
        assert!(s.goldFailed, "one wrong key entry voids the whole batch");
        assert_eq!((s.paid, s.slashed), (U256::ZERO, stake / 2));
    }
    h.warp(3_600);
    close(&mut h, job);
    let refund = credit(&mut h, creator);
    let share = claim_share(&mut h, creator, job);
    let escrow = spec.escrow().to::<u128>();
    assert_eq!(refund, escrow, "the whole escrow comes back");
    assert_eq!(share, 3 * stake / 2, "the honest stakes go to the creator");
    let creator_net = i128::try_from(refund + share).unwrap() - i128::try_from(escrow).unwrap();
    println!(
        "false gold key, 10 tasks x 3 honest votes: creator net {:+} rewards with {published} labels public; \
         each honest annotator paid 0, slashed {} rewards",
        creator_net / i128::try_from(R).unwrap(),
        stake / 2 / R
    );
    assert!(creator_net > 0);
    for &a in &honest {
        assert_eq!(credit(&mut h, a), 0);
    }

    // A committed key that is never revealed costs the creator nothing.
    let spec2 = HubJob {
        tasks: 4,
        min_stake: stake,
        gold: vec![(0, 1)],
        ..HubJob::default()
    };
    let before = credit(&mut h, creator);
    let job2 = h.create(creator, &spec2).unwrap();
    h.warp(3 * 3_600);
    close(&mut h, job2);
    assert_eq!(
        credit(&mut h, creator) - before,
        spec2.escrow().to::<u128>(),
        "an unrevealed key: the escrow comes back whole"
    );
}

// ------------------------------------------------------- 2. quorum denial

/// With `quorumBps = 10,000` and one slot per task held by the creator's
/// own account that never reveals, no task reaches quorum: every bounty
/// returns to the creator, the honest labels are public, and the creator's
/// own forfeited stake comes back to it as the "slash share".
#[test]
fn quorum_denial_keeps_the_honest_labels_for_free() {
    let mut h = Hub::deploy(false).unwrap();
    let creator = h.m.chain.account(0);
    let stake = 20 * R;
    let honest: Vec<Address> = (0..2).map(|i| staker(&mut h, "quorum", i, stake)).collect();
    let own = staker(&mut h, "quorum-own", 0, stake);
    let spec = HubJob {
        tasks: 8,
        quorum_bps: 10_000,
        min_stake: stake,
        ..HubJob::default()
    };
    let job = h.create(creator, &spec).unwrap();
    let all: Vec<u32> = (0..8).collect();
    let mine = commit(&mut h, own, job, &all, &[0; 8]);
    let votes: Vec<Vote> = honest
        .iter()
        .map(|&a| commit(&mut h, a, job, &all, &[3; 8]))
        .collect();
    h.warp(3_600);
    for v in &votes {
        ok(&h.reveal(v).unwrap());
    }
    h.warp(3_600);
    for v in &votes {
        let s = settled(&mut h, creator, v);
        assert_eq!(
            (s.agreed, s.paid),
            (0, U256::ZERO),
            "no task reached quorum"
        );
    }
    ok(&h.forfeit(creator, &mine).unwrap());
    h.warp(3_600);
    close(&mut h, job);
    let refund = credit(&mut h, creator);
    let share = claim_share(&mut h, creator, job);
    println!(
        "quorum denial, 8 tasks: creator refunded {} of {} rewards, its forfeit returned as a {} reward slash share; \
         16 honest labels public, honest paid 0",
        refund / R,
        spec.escrow().to::<u128>() / R,
        share / R
    );
    assert_eq!(refund, spec.escrow().to::<u128>());
    assert_eq!(share, stake / 2, "the creator's own forfeit comes back");
}

// ------------------------------------------------------- 3. hedging cartel

/// Two sybils commit opposite labels on every task of a binary job in
/// one-task batches, watch the honest reveals and reveal only the hedge that
/// matches; the other is forfeited, but forfeits are capped by the per-job
/// stake lock, so the cartel's cost is two stakes whatever the job's size.
#[test]
fn hedging_cartel_profits_from_selective_reveals() {
    let mut h = Hub::deploy(false).unwrap();
    let creator = h.m.chain.account(0);
    let stake = 10 * R;
    let n = 64u32;
    let honest = staker(&mut h, "hedge-honest", 0, stake);
    let a = staker(&mut h, "hedge-a", 0, stake);
    let b = staker(&mut h, "hedge-b", 0, stake);
    let spec = HubJob {
        tasks: n,
        classes: 2,
        min_stake: stake,
        ..HubJob::default()
    };
    let job = h.create(creator, &spec).unwrap();
    let truth: Vec<u8> = (0..n).map(|t| u8::from(t % 3 == 0)).collect();
    let all: Vec<u32> = (0..n).collect();
    let hv = commit(&mut h, honest, job, &all, &truth);
    let mut hedges = Vec::new();
    for t in 0..n {
        let x = commit(&mut h, a, job, &[t], &[0]);
        let y = commit(&mut h, b, job, &[t], &[1]);
        hedges.push((x, y));
    }
    h.warp(3_600);
    ok(&h.reveal(&hv).unwrap());
    // The cartel reads the honest labels from BatchRevealed and reveals
    // the matching hedge only.
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for (t, (x, y)) in hedges.into_iter().enumerate() {
        let (good, bad) = if truth[t] == 0 { (x, y) } else { (y, x) };
        ok(&h.reveal(&good).unwrap());
        kept.push(good);
        dropped.push(bad);
    }
    h.warp(3_600);
    let mut paid = 0u128;
    for v in &kept {
        paid += settled(&mut h, creator, v).paid.to::<u128>();
    }
    let mut slashed = 0u128;
    for v in &dropped {
        let r = h.forfeit(creator, v).unwrap();
        ok(&r);
        slashed += logs::<IHub::BatchForfeited>(&r)[0].slashed;
    }
    let labels = 2 * u128::from(n);
    #[allow(clippy::cast_precision_loss)]
    let per_label = (paid as f64 - slashed as f64) / R as f64 / labels as f64;
    println!(
        "hedging cartel, {n}-task binary job: paid {} rewards, slashed {} (capped at two stakes), \
         {per_label:+.3} rewards per committed label with no labelling",
        paid / R,
        slashed / R
    );
    assert!(slashed <= 2 * stake, "forfeits capped by the per-job lock");
    assert!(paid > 4 * slashed);
}

// ------------------------------------------------------- 4. phase lengths

/// Only zero durations are refused: a job with one-second phases is
/// accepted, and an honest annotator whose reveal lands two seconds later
/// is refused and forfeited. The court accepts 60-second windows.
#[test]
fn one_second_phases_make_honest_reveals_fail() {
    let mut h = Hub::deploy(false).unwrap();
    let creator = h.m.chain.account(0);
    let honest = staker(&mut h, "phase", 0, 20 * R);
    let spec = HubJob {
        tasks: 2,
        commit: 10,
        reveal: 1,
        min_stake: 20 * R,
        ..HubJob::default()
    };
    let job = h.create(creator, &spec).unwrap();
    let v = commit(&mut h, honest, job, &[0, 1], &[1, 1]);
    // The reveal lands one second after the one-second reveal phase.
    h.warp(9);
    assert_reverts(
        &h.reveal(&v).unwrap(),
        &IHub::WrongPhase {
            jobId: job,
            phase: 3,
        },
    );
    let r = h.forfeit(creator, &v).unwrap();
    ok(&r);
    assert!(logs::<IHub::BatchForfeited>(&r)[0].slashed > 0);

    let mut c = Court::deploy(false).unwrap();
    let (oracle, arbiter) = (c.chain.account(1), c.chain.account(2));
    let court = CourtJob {
        challenge: 60,
        ruling: 60,
        ..CourtJob::new(oracle, arbiter)
    };
    let creator = c.chain.account(0);
    c.create(creator, &court, U256::from(10u128.pow(18)))
        .unwrap();
}

// ------------------------------------------------------- 5. slot filling

/// Three throwaway accounts with a tiny stake commit every task and never
/// reveal: honest annotators get `TaskFull`, the job produces nothing, and
/// the forfeits cost the attackers three tiny stakes.
#[test]
fn slot_filling_blocks_a_job_for_a_few_tiny_stakes() {
    let mut h = Hub::deploy(false).unwrap();
    let creator = h.m.chain.account(0);
    let spec = HubJob {
        tasks: 16,
        min_stake: 1_000,
        ..HubJob::default()
    };
    let fillers: Vec<Address> = (0..3).map(|i| staker(&mut h, "fill", i, 1_000)).collect();
    let honest = staker(&mut h, "fill-honest", 0, 20 * R);
    let job = h.create(creator, &spec).unwrap();
    let all: Vec<u32> = (0..16).collect();
    let blocks: Vec<Vote> = fillers
        .iter()
        .map(|&a| commit(&mut h, a, job, &all, &[0; 16]))
        .collect();
    let (r, _) = h.commit(honest, job, &[5], &[1]).unwrap();
    assert_reverts(&r, &IHub::TaskFull { taskId: 5 });
    h.warp(2 * 3_600);
    let mut cost = 0u128;
    for v in &blocks {
        let r = h.forfeit(creator, v).unwrap();
        ok(&r);
        cost += logs::<IHub::BatchForfeited>(&r)[0].slashed;
    }
    println!(
        "slot filling, 16 tasks: {} rewards of bounties blocked for {cost} token wei of forfeits",
        spec.escrow().to::<u128>() / R
    );
    assert!(cost < spec.escrow().to::<u128>() / 1_000_000);
}

// --------------------------------------- 6. gold bound to a guessed job id

/// The gold commitment includes `jobCount() + 1`: any `createJob` landing
/// first makes the creator's key unrevealable.
#[test]
fn a_front_run_create_job_makes_the_gold_key_unrevealable() {
    let mut h = Hub::deploy(false).unwrap();
    let creator = h.m.chain.account(0);
    let other = h.m.chain.account(5);
    let spec = HubJob {
        tasks: 4,
        gold: vec![(1, 2)],
        ..HubJob::default()
    };
    let guessed = h.read(&IHub::jobCountCall {}).unwrap() + U256::from(1);
    let mut call = spec.call();
    call.goldCommitment = spec.gold_commitment_for(guessed);
    // Someone else's job lands first.
    let plain = HubJob::default();
    ok(&h.send(other, &plain.call(), plain.escrow()).unwrap());
    let r = h.send(creator, &call, spec.escrow()).unwrap();
    ok(&r);
    let job = guessed + U256::from(1);
    h.warp(3_600);
    let reveal = spec.reveal_gold(job);
    assert_reverts(
        &h.send(creator, &reveal, U256::ZERO).unwrap(),
        &IHub::BatchMismatch {
            batchId: U256::ZERO,
        },
    );
}

// ------------------------------------------------------- 7. gold coverage

/// One key holds at most 64 tasks (12.5 % of a 512-task job), and a gold
/// task counts as consensus whatever the quorum: a single matching vote on
/// a job that demands unanimity takes the task's whole bounty.
#[test]
fn gold_is_capped_at_64_tasks_and_ignores_the_quorum() {
    let mut h = Hub::deploy(false).unwrap();
    let creator = h.m.chain.account(0);
    let big = HubJob {
        tasks: 512,
        gold: (0..65).map(|t| (t * 7, 1)).collect(),
        ..HubJob::default()
    };
    let job = h.create(creator, &big).unwrap();
    h.warp(3_600);
    assert_reverts(
        &h.send(creator, &big.reveal_gold(job), U256::ZERO).unwrap(),
        &IHub::BadBatchSize {
            size: U256::from(65 * 4),
            max: U256::from(64),
        },
    );

    let stake = 20 * R;
    let p: Vec<Address> = (0..3).map(|i| staker(&mut h, "cover", i, stake)).collect();
    let spec = HubJob {
        tasks: 1,
        quorum_bps: 10_000,
        min_stake: stake,
        gold: vec![(0, 2)],
        ..HubJob::default()
    };
    let job = h.create(creator, &spec).unwrap();
    let v0 = commit(&mut h, p[0], job, &[0], &[2]);
    let v1 = commit(&mut h, p[1], job, &[0], &[1]);
    let v2 = commit(&mut h, p[2], job, &[0], &[3]);
    h.warp(3_600);
    for v in [&v0, &v1, &v2] {
        ok(&h.reveal(v).unwrap());
    }
    ok(&h.send(creator, &spec.reveal_gold(job), U256::ZERO).unwrap());
    h.warp(3_600);
    let s = settled(&mut h, creator, &v0);
    assert_eq!(
        s.paid,
        U256::from(3 * R),
        "one vote of three takes the whole bounty under a unanimity quorum"
    );
}

// ---------------------------------------------- 8. nobody paid to forfeit

/// `forfeitBatch` pays its caller nothing: slashing a silent batch is a
/// public good nobody is paid to provide.
#[test]
fn forfeiting_pays_the_caller_nothing() {
    let mut h = Hub::deploy(false).unwrap();
    let creator = h.m.chain.account(0);
    let stake = 20 * R;
    let silent = staker(&mut h, "silent", 0, stake);
    let keeper = staker(&mut h, "keeper", 0, 0);
    let job = h
        .create(
            creator,
            &HubJob {
                tasks: 2,
                min_stake: stake,
                ..HubJob::default()
            },
        )
        .unwrap();
    let v = commit(&mut h, silent, job, &[0, 1], &[1, 1]);
    h.warp(2 * 3_600);
    let eth = h.m.chain.balance(keeper);
    let r = h.forfeit(keeper, &v).unwrap();
    ok(&r);
    assert_eq!(logs::<IHub::BatchForfeited>(&r)[0].slashed, stake / 2);
    assert_eq!(credit(&mut h, keeper), 0);
    assert_eq!(h.tokens(keeper).unwrap(), U256::ZERO);
    assert!(h.m.chain.balance(keeper) <= eth, "no ETH either");
    println!(
        "forfeit: the caller spent {} gas and earned nothing for a {} reward slash",
        r.gas_used,
        stake / 2 / R
    );
}

// ------------------------------------------------ 9. reputation farming

/// The reputation gate ignores annotators with fewer than 20 judged labels
/// (a fresh address passes any gate), a score averages batches whatever
/// their size (eight one-task batches outweigh a 64-task failure), and
/// self-created jobs with a 1-wei reward raise one's own accounts'
/// reputation for almost nothing.
#[test]
fn reputation_is_farmed_cheaply() {
    let mut h = Hub::deploy(false).unwrap();
    let creator = h.m.chain.account(0);
    let stake = 20 * R;
    let fresh = staker(&mut h, "rep-fresh", 0, stake);
    let gated = HubJob {
        tasks: 64,
        min_stake: stake,
        min_rep: 9_000,
        ..HubJob::default()
    };
    let job = h.create(creator, &gated).unwrap();
    let (r, _) = h.commit(fresh, job, &[0], &[1]).unwrap();
    ok(&r);

    // A 64-task batch all wrong, then eight one-task batches right.
    let p: Vec<Address> = (0..3).map(|i| staker(&mut h, "rep", i, stake)).collect();
    let spec = HubJob {
        tasks: 72,
        min_stake: stake,
        slash_bps: 0,
        ..HubJob::default()
    };
    let job = h.create(creator, &spec).unwrap();
    let first: Vec<u32> = (0..64).collect();
    let mut votes = vec![commit(&mut h, p[0], job, &first, &[0; 64])];
    for t in 64..72 {
        votes.push(commit(&mut h, p[0], job, &[t], &[1]));
    }
    let rest: Vec<u32> = (64..72).collect();
    let others: Vec<Vote> = p[1..]
        .iter()
        .flat_map(|&a| [(a, first.clone()), (a, rest.clone())])
        .map(|(a, ids)| commit(&mut h, a, job, &ids, &vec![1; ids.len()]))
        .collect();
    h.warp(3_600);
    for v in votes.iter().chain(&others) {
        ok(&h.reveal(v).unwrap());
    }
    h.warp(3_600);
    for v in &votes {
        settled(&mut h, creator, v);
    }
    let rep = h.read(&IHub::reputationOfCall { annotator: p[0] }).unwrap();
    println!(
        "per-batch averaging: 8 of 72 labels right scores {} bps",
        rep.scoreBps
    );
    assert_eq!((rep.judged, rep.agreed), (72, 8));
    assert!(rep.scoreBps > 6_000, "8/72 right labels score above 60 %");

    // Self-dealing: three own accounts agree on a 1-wei job.
    let own: Vec<Address> = (0..3).map(|i| staker(&mut h, "own", i, 1)).collect();
    let cheap = HubJob {
        tasks: 20,
        reward: 1,
        min_stake: 1,
        ..HubJob::default()
    };
    let job = h.create(creator, &cheap).unwrap();
    let ids: Vec<u32> = (0..20).collect();
    let vs: Vec<Vote> = own
        .iter()
        .map(|&a| commit(&mut h, a, job, &ids, &[0; 20]))
        .collect();
    h.warp(3_600);
    for v in &vs {
        ok(&h.reveal(v).unwrap());
    }
    h.warp(3_600);
    for v in &vs {
        settled(&mut h, creator, v);
    }
    let rep = h
        .read(&IHub::reputationOfCall { annotator: own[0] })
        .unwrap();
    println!(
        "self-dealing: a 60-wei escrow gives {} judged labels at {} bps",
        rep.judged, rep.scoreBps
    );
    assert_eq!((rep.judged, rep.scoreBps), (20, 10_000));
    // It passes the 90 % gate its 1-wei history earned it.
    let job = h.create(creator, &gated).unwrap();
    h.fund_and_stake(own[0], stake).unwrap();
    let (r, _) = h.commit(own[0], job, &[0], &[1]).unwrap();
    ok(&r);
}

// ------------------------------------------------------- 10. QualityCourt

fn payouts(people: &[Address], amounts: &[u128]) -> Vec<Payout> {
    people
        .iter()
        .zip(amounts)
        .map(|(&annotator, &payout)| Payout {
            annotator,
            payout,
            verdicts: B256::repeat_byte(0x0e),
        })
        .collect()
}

/// (a) The creator closes the job while a dispute is pending: the free
/// escrow is refunded and the arbiter can no longer raise the total.
/// (b) An arbiter and its own disputer overturn a result with a total that
/// takes the whole free escrow. (c) `disputeBond < arbiterFee` is accepted,
/// so an arbiter earns through its own lost disputes.
#[test]
fn court_close_front_runs_rulings_and_an_arbiter_drains_the_escrow() {
    let mut c = Court::deploy(false).unwrap();
    let (creator, oracle, arbiter, annotator, accomplice) = (
        c.chain.account(0),
        c.chain.account(1),
        c.chain.account(2),
        c.chain.account(3),
        c.chain.account(4),
    );
    let spec = CourtJob::new(oracle, arbiter);
    let escrow = 10u128.pow(18);
    // (a)
    let job = c.create(creator, &spec, U256::from(escrow)).unwrap();
    let rid = c.next_result(job).unwrap();
    let tree = PayoutTree::new(job, rid, payouts(&[annotator], &[1_000])).unwrap();
    ok(&c
        .send(oracle, &tree.post_call(B256::ZERO), U256::ZERO)
        .unwrap());
    ok(&c
        .send(
            annotator,
            &ICourt::disputeCall {
                jobId: job,
                resultId: rid,
            },
            U256::from(spec.bond),
        )
        .unwrap());
    ok(&c
        .send(creator, &ICourt::closeJobCall { jobId: job }, U256::ZERO)
        .unwrap());
    let fixed = PayoutTree::new(job, rid, payouts(&[annotator], &[5_000])).unwrap();
    let rule = |t: &PayoutTree| ICourt::ruleCall {
        jobId: t.job,
        resultId: t.result,
        overturn: true,
        root: t.root(),
        total: t.total(),
        leaves: t.leaves(),
        details: B256::ZERO,
    };
    let r = c.send(arbiter, &rule(&fixed), U256::ZERO).unwrap();
    assert!(!r.success, "the overturn no longer fits the escrow");

    // (b)
    let job = c.create(creator, &spec, U256::from(escrow)).unwrap();
    let rid = c.next_result(job).unwrap();
    let tree = PayoutTree::new(job, rid, payouts(&[annotator], &[1_000])).unwrap();
    ok(&c
        .send(oracle, &tree.post_call(B256::ZERO), U256::ZERO)
        .unwrap());
    ok(&c
        .send(
            accomplice,
            &ICourt::disputeCall {
                jobId: job,
                resultId: rid,
            },
            U256::from(spec.bond),
        )
        .unwrap());
    let drain = escrow - spec.fee;
    let stolen = PayoutTree::new(job, rid, payouts(&[accomplice], &[drain])).unwrap();
    ok(&c.send(arbiter, &rule(&stolen), U256::ZERO).unwrap());
    ok(&c
        .send(accomplice, &stolen.claim_call(0), U256::ZERO)
        .unwrap());
    println!(
        "court: an arbiter's overturn paid its disputer {drain} wei for a result posted at 1,000"
    );
    assert_eq!(c.credit(accomplice).unwrap(), U256::from(drain + spec.bond));

    // (c)
    let cheap_bond = CourtJob {
        fee: 10u128.pow(16),
        bond: 10u128.pow(14),
        ..CourtJob::new(oracle, arbiter)
    };
    let job = c.create(creator, &cheap_bond, U256::from(escrow)).unwrap();
    let rid = c.next_result(job).unwrap();
    let tree = PayoutTree::new(job, rid, payouts(&[annotator], &[1_000])).unwrap();
    ok(&c
        .send(oracle, &tree.post_call(B256::ZERO), U256::ZERO)
        .unwrap());
    let before = c.credit(arbiter).unwrap();
    ok(&c
        .send(
            accomplice,
            &ICourt::disputeCall {
                jobId: job,
                resultId: rid,
            },
            U256::from(cheap_bond.bond),
        )
        .unwrap());
    ok(&c
        .send(
            arbiter,
            &ICourt::ruleCall {
                jobId: job,
                resultId: rid,
                overturn: false,
                root: B256::ZERO,
                total: 0,
                leaves: 0,
                details: B256::ZERO,
            },
            U256::ZERO,
        )
        .unwrap());
    let gain = (c.credit(arbiter).unwrap() - before).to::<u128>();
    assert!(
        gain > cheap_bond.bond,
        "fee {gain} earned for a {} bond",
        cheap_bond.bond
    );
}
