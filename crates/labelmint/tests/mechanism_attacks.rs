//! The attacks of the mechanism review (issue #15) on the QualityHub and the
//! QualityCourt, run on the real wasm. Each test performs the attack as it
//! was reproduced against the contracts before the fix (commit 005d770 has
//! the versions that assert the damage, with the figures in its message)
//! and proves that it no longer pays. The README's "Mechanism" section lists
//! each one with the rule that stops it.
#![allow(
    missing_docs,
    clippy::too_many_lines,
    clippy::similar_names,
    clippy::cast_precision_loss,
    clippy::many_single_char_names
)]

use alloy_primitives::{keccak256, Address, B256, U256};
use labelmint::{
    court::{court_terms, Court, CourtJob, ICourt, Payout, PayoutTree, COURT_DISPUTE_BOND},
    hub::{Hub, HubJob, IHub, Vote, HUB_ARBITER_FEE},
    market::{IMarket, DEFAULT_ARBITER},
};

mod common;
use common::{assert_reverts, logs, ok};

/// One reward unit (the default per-vote reward, 1,000 gwei of LMR).
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

fn claim_share(h: &mut Hub, who: Address, job: U256) -> u128 {
    let r = h
        .send(who, &IHub::claimSlashShareCall { jobId: job }, U256::ZERO)
        .unwrap();
    logs::<IHub::SlashShareClaimed>(&r)
        .first()
        .map_or(0, |c| c.amount)
}

fn to_reveal(h: &mut Hub, job: U256) {
    let at = h.job(job).unwrap().commitEnd;
    h.warp_to(at);
}

fn to_settle(h: &mut Hub, job: U256) {
    let at = h.job(job).unwrap().revealEnd;
    h.warp_to(at);
}

fn close(h: &mut Hub, job: U256) -> IHub::JobClosed {
    let at = h.job(job).unwrap().settleEnd;
    h.warp_to(at);
    let anyone = h.m.chain.account(9);
    let r = h
        .send(anyone, &IHub::closeJobCall { jobId: job }, U256::ZERO)
        .unwrap();
    ok(&r);
    logs::<IHub::JobClosed>(&r).remove(0)
}

// ------------------------------------------------------- 1. false gold key

/// Before: a wrong key voided every honest batch, the escrow came back and
/// the slashed stakes went to the creator (+30 rewards on 10 tasks). Now the
/// honest votes' consensus contradicts the false entry, the task goes to the
/// arbiter, who overturns it: the creator's bond pays the fee and a reward
/// to the pool, the honest batches are paid in full and nobody is slashed.
/// A key that is never revealed forfeits its whole bond to the annotators.
#[test]
fn a_false_gold_key_is_overturned_and_costs_the_creator_its_bond() {
    let mut h = Hub::deploy(false).unwrap();
    let creator = h.m.chain.account(0);
    let spec = HubJob {
        tasks: 10,
        gold: vec![(0, 2)],
        ..HubJob::default()
    };
    let honest: Vec<Address> = (0..3)
        .map(|i| staker(&mut h, "gold", i, 10 * spec.stake))
        .collect();
    let job = h.create(creator, &spec).unwrap();
    let all: Vec<u32> = (0..10).collect();
    let votes: Vec<Vote> = honest
        .iter()
        .map(|&a| commit(&mut h, a, job, &all, &[1; 10]))
        .collect();
    to_reveal(&mut h, job);
    ok(&h.send(creator, &spec.reveal_gold(job), U256::ZERO).unwrap());
    for v in &votes {
        ok(&h.reveal(v).unwrap());
    }
    to_settle(&mut h, job);
    ok(&h.rule(DEFAULT_ARBITER, job, &[0], &[1]).unwrap());
    let mut paid = 0u128;
    for v in &votes {
        let s = settled(&mut h, v.annotator, v);
        assert!(!s.goldFailed);
        assert_eq!((s.agreed, s.slashed), (10, 0));
        paid += s.paid.to::<u128>();
    }
    assert_eq!(paid, 10 * spec.bounty(), "every bounty paid in full");
    let e = close(&mut h, job);
    let shares: u128 = honest.iter().map(|&a| claim_share(&mut h, a, job)).sum();
    let refund = h.credit(creator).unwrap();
    let deposit = spec.deposit().to::<u128>();
    let creator_net = i128::try_from(refund).unwrap() - i128::try_from(deposit).unwrap();
    println!(
        "false gold key, 10 tasks x 3 honest votes: creator net {:+} rewards (bond lost), \
         honest paid {} rewards, slashed 0, shared {:.2} rewards of the creator's bond",
        creator_net / i128::try_from(R).unwrap(),
        paid / R,
        shares as f64 / R as f64
    );
    assert!(!e.bondForfeited);
    assert_eq!(
        deposit - refund,
        paid + HUB_ARBITER_FEE + R,
        "the creator paid every label, the fee and a reward"
    );
    assert_eq!(
        claim_share(&mut h, creator, job),
        0,
        "no slash reaches the creator"
    );

    // A committed key that is never revealed forfeits the whole bond.
    let silent = HubJob {
        tasks: 4,
        gold: vec![(0, 1)],
        ..HubJob::default()
    };
    let job = h.create(creator, &silent).unwrap();
    let v = commit(&mut h, honest[0], job, &[1], &[1]);
    let w = commit(&mut h, honest[1], job, &[1], &[1]);
    to_reveal(&mut h, job);
    ok(&h.reveal(&v).unwrap());
    ok(&h.reveal(&w).unwrap());
    to_settle(&mut h, job);
    settled(&mut h, v.annotator, &v);
    settled(&mut h, w.annotator, &w);
    let e = close(&mut h, job);
    assert!(e.bondForfeited);
    assert_eq!(e.slashPool, silent.bond().to::<u128>());
    assert_eq!(
        claim_share(&mut h, honest[0], job),
        silent.bond().to::<u128>() / 2
    );
}

// ------------------------------------------------------- 2. quorum denial

/// Before: `quorumBps = 10,000` and one silent slot per task kept every
/// bounty with the creator and its own forfeit came back as the slash
/// share. Now the quorum is capped at 80 % and measured on revealed votes:
/// the two honest votes decide, are paid, and the creator's forfeited stake
/// goes to them.
#[test]
fn quorum_denial_no_longer_withholds_pay() {
    let mut h = Hub::deploy(false).unwrap();
    let creator = h.m.chain.account(0);
    let denial = HubJob {
        tasks: 10,
        quorum_bps: 10_000,
        gold: vec![(9, 3)],
        ..HubJob::default()
    };
    let r = h.send(creator, &denial.call(creator), U256::ZERO).unwrap();
    assert_reverts(&r, &IHub::InvalidParameter { field: 5 });
    let spec = HubJob {
        quorum_bps: 8_000,
        ..denial
    };
    let honest: Vec<Address> = (0..2)
        .map(|i| staker(&mut h, "quorum", i, 16 * spec.stake))
        .collect();
    let own = staker(&mut h, "quorum-own", 0, 16 * spec.stake);
    let job = h.create(creator, &spec).unwrap();
    let all: Vec<u32> = (0..8).collect();
    let mine = commit(&mut h, own, job, &all, &[0; 8]);
    let votes: Vec<Vote> = honest
        .iter()
        .map(|&a| commit(&mut h, a, job, &all, &[3; 8]))
        .collect();
    to_reveal(&mut h, job);
    for v in &votes {
        ok(&h.reveal(v).unwrap());
    }
    to_settle(&mut h, job);
    let mut paid = 0u128;
    for v in &votes {
        let s = settled(&mut h, v.annotator, v);
        assert_eq!(s.agreed, 8, "two revealed votes of three decide");
        paid += s.paid.to::<u128>();
    }
    ok(&h.forfeit(honest[0], &mine).unwrap());
    let e = close(&mut h, job);
    let share = claim_share(&mut h, creator, job);
    let shares: u128 = honest.iter().map(|&a| claim_share(&mut h, a, job)).sum();
    println!(
        "quorum denial, 8 tasks: honest paid {} rewards and shared {:.2} of the creator's forfeit and bond; \
         the creator's slash share {share}",
        paid / R,
        shares as f64 / R as f64
    );
    assert_eq!(paid, 8 * spec.bounty());
    assert_eq!(share, 0);
    let forfeit = 8 * spec.stake;
    assert_eq!(
        e.slashPool,
        forfeit - forfeit / 10 + spec.bond().to::<u128>(),
        "the forfeit (less the keeper's tenth) and the unrevealed key's bond"
    );
}

// ------------------------------------------------------- 3. hedging cartel

/// Before: two sybils hedging opposite labels in one-task batches earned
/// +0.594 per committed label, their forfeits capped at two stakes. Now each
/// vote locks a stake that covers the most it can earn, forfeits are not
/// capped, and the same play loses money.
#[test]
fn a_hedging_cartel_loses_a_stake_per_dropped_hedge() {
    let mut h = Hub::deploy(false).unwrap();
    let creator = h.m.chain.account(0);
    let n = 64u32;
    let truth: Vec<u8> = (0..n).map(|t| u8::from(t % 3 == 0)).collect();
    let spec = HubJob {
        classes: 2,
        ..HubJob::sized(n, &truth)
    };
    let honest = staker(&mut h, "hedge-honest", 0, u128::from(n) * spec.stake);
    let a = staker(&mut h, "hedge-a", 0, u128::from(n) * spec.stake);
    let b = staker(&mut h, "hedge-b", 0, u128::from(n) * spec.stake);
    let keeper = staker(&mut h, "hedge-keeper", 0, 0);
    let job = h.create(creator, &spec).unwrap();
    let all: Vec<u32> = (0..n).collect();
    let hv = commit(&mut h, honest, job, &all, &truth);
    let mut hedges = Vec::new();
    for t in 0..n {
        let x = commit(&mut h, a, job, &[t], &[0]);
        let y = commit(&mut h, b, job, &[t], &[1]);
        hedges.push((x, y));
    }
    to_reveal(&mut h, job);
    ok(&h.send(creator, &spec.reveal_gold(job), U256::ZERO).unwrap());
    ok(&h.reveal(&hv).unwrap());
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for (t, (x, y)) in hedges.into_iter().enumerate() {
        let (good, bad) = if truth[t] == 0 { (x, y) } else { (y, x) };
        ok(&h.reveal(&good).unwrap());
        kept.push(good);
        dropped.push(bad);
    }
    to_settle(&mut h, job);
    let mut paid = 0u128;
    for v in &kept {
        paid += settled(&mut h, v.annotator, v).paid.to::<u128>();
    }
    let mut slashed = 0u128;
    for v in &dropped {
        let r = h.forfeit(keeper, v).unwrap();
        ok(&r);
        slashed += logs::<IHub::BatchForfeited>(&r)[0].slashed;
    }
    let honest_paid = settled(&mut h, honest, &hv).paid.to::<u128>();
    let labels = 2 * u128::from(n);
    #[allow(clippy::cast_precision_loss)]
    let per_label = (paid as f64 - slashed as f64) / R as f64 / labels as f64;
    println!(
        "hedging cartel, {n}-task binary job: paid {} rewards, slashed {} ({} stakes), \
         {per_label:+.3} rewards per committed label; the honest annotator was paid {}",
        paid / R,
        slashed / R,
        slashed / spec.stake,
        honest_paid / R
    );
    assert_eq!(
        slashed,
        u128::from(n) * spec.stake,
        "a stake per dropped hedge"
    );
    assert!(paid < slashed, "the cartel loses");
    assert!(honest_paid > paid / 2);
}

// ------------------------------------------------------- 4. phase lengths

/// Before: one-second phases were accepted and an honest reveal one second
/// late was forfeited; the court accepted 60-second windows. Now every hub
/// phase lasts an hour to 30 days, and the court's windows come from
/// arbiter terms, which the registry refuses below an hour.
#[test]
fn phases_and_court_windows_last_at_least_an_hour() {
    let mut h = Hub::deploy(false).unwrap();
    let creator = h.m.chain.account(0);
    for spec in [
        HubJob {
            reveal: 1,
            ..HubJob::default()
        },
        HubJob {
            commit: 3_599,
            ..HubJob::default()
        },
        HubJob {
            settle: 59,
            ..HubJob::default()
        },
    ] {
        let r = h.send(creator, &spec.call(creator), U256::ZERO).unwrap();
        assert_reverts(&r, &IHub::InvalidParameter { field: 6 });
    }
    let mut c = Court::deploy(false).unwrap();
    let arbiter = c.chain.account(2);
    let short = IMarket::registerArbiterTermsCall {
        disputeWindow: 60,
        rulingWindow: 60,
        ..court_terms()
    };
    let market = c.registry;
    let r = labelmint::market::send_to(&mut c.chain, arbiter, market, &short, U256::ZERO).unwrap();
    assert_reverts(&r, &IMarket::InvalidTerms { field: 2 });
}

// ------------------------------------------------------- 5. slot filling

/// Before: three throwaway accounts with a 1,000-wei stake blocked 48
/// rewards of bounties for 1,500 wei of forfeits. Now a slot costs a stake
/// that covers the most a vote can earn, forfeited in full: filling every
/// slot of a job costs at least its bounties, and they go to the job's
/// agreeing annotators.
#[test]
fn slot_filling_costs_at_least_the_bounties_it_blocks() {
    let mut h = Hub::deploy(false).unwrap();
    let creator = h.m.chain.account(0);
    let base = HubJob::default();
    let tiny = HubJob {
        tasks: 16,
        stake: 1_000,
        gold: vec![(15, 0), (14, 0)],
        ..base.clone()
    };
    let r = h.send(creator, &tiny.call(creator), U256::ZERO).unwrap();
    assert_reverts(&r, &IHub::InvalidParameter { field: 10 });
    // The cheapest stake the job accepts: bounty / 2 per vote.
    let spec = HubJob {
        stake: base.bounty() / 2,
        ..tiny
    };
    let fillers: Vec<Address> = (0..3)
        .map(|i| staker(&mut h, "fill", i, 16 * spec.stake))
        .collect();
    let honest = staker(&mut h, "fill-honest", 0, 16 * spec.stake);
    let job = h.create(creator, &spec).unwrap();
    let all: Vec<u32> = (0..16).collect();
    let blocks: Vec<Vote> = fillers
        .iter()
        .map(|&a| commit(&mut h, a, job, &all, &[0; 16]))
        .collect();
    let (r, _) = h.commit(honest, job, &[5], &[1]).unwrap();
    assert_reverts(&r, &IHub::TaskFull { taskId: 5 });
    to_settle(&mut h, job);
    let mut cost = 0u128;
    for v in &blocks {
        let r = h.forfeit(honest, v).unwrap();
        ok(&r);
        cost += logs::<IHub::BatchForfeited>(&r)[0].slashed;
    }
    let blocked = spec.escrow().to::<u128>();
    println!(
        "slot filling, 16 tasks: {} rewards of bounties blocked for {} rewards of forfeits",
        blocked / R,
        cost / R
    );
    assert!(cost >= blocked);
}

// --------------------------------------- 6. gold bound to a guessed job id

/// Before: the key was bound to `jobCount() + 1`, so a `createJob` landing
/// first made it unrevealable. Now it is bound to the creator's address.
#[test]
fn a_front_run_create_job_leaves_the_gold_key_revealable() {
    let mut h = Hub::deploy(false).unwrap();
    let creator = h.m.chain.account(0);
    let other = h.m.chain.account(5);
    let spec = HubJob {
        tasks: 4,
        gold: vec![(1, 2)],
        ..HubJob::default()
    };
    h.fund(creator, spec.deposit()).unwrap();
    let call = spec.call(creator);
    // Someone else's job lands first.
    h.create(other, &HubJob::default()).unwrap();
    let r = h.send(creator, &call, U256::ZERO).unwrap();
    ok(&r);
    let job =
        <IHub::createJobCall as alloy_sol_types::SolCall>::abi_decode_returns(&r.output).unwrap();
    assert_eq!(job, U256::from(2));
    to_reveal(&mut h, job);
    ok(&h.send(creator, &spec.reveal_gold(job), U256::ZERO).unwrap());
}

// ------------------------------------------------------- 7. gold coverage

/// Before: one key held at most 64 tasks, and one vote matching gold took
/// the whole bounty whatever the quorum. Now the key holds up to 4,096
/// tasks and at least 10 % of the job, and no vote is paid more than the
/// bounty over the fewest votes that can win.
#[test]
fn gold_scales_with_the_job_and_pays_no_single_vote_the_bounty() {
    let mut h = Hub::deploy(false).unwrap();
    let creator = h.m.chain.account(0);
    let too_little = HubJob {
        tasks: 512,
        gold: (0..51).map(|t| (t * 7, 1)).collect(),
        ..HubJob::default()
    };
    let r = h
        .send(creator, &too_little.call(creator), U256::ZERO)
        .unwrap();
    assert_reverts(&r, &IHub::InvalidParameter { field: 12 });
    let big = HubJob {
        tasks: 512,
        gold: (0..103).map(|t| (t * 4, 1)).collect(),
        ..HubJob::default()
    };
    let job = h.create(creator, &big).unwrap();
    to_reveal(&mut h, job);
    let r = h.send(creator, &big.reveal_gold(job), U256::ZERO).unwrap();
    ok(&r);
    assert_eq!(
        logs::<IHub::GoldRevealed>(&r)[0].tasks,
        103,
        "20 % of 512 tasks"
    );

    let spec = HubJob {
        tasks: 8,
        quorum_bps: 8_000,
        gold: vec![(0, 2)],
        ..HubJob::default()
    };
    let p: Vec<Address> = (0..3)
        .map(|i| staker(&mut h, "cover", i, 4 * spec.stake))
        .collect();
    let job = h.create(creator, &spec).unwrap();
    let v0 = commit(&mut h, p[0], job, &[0], &[2]);
    let v1 = commit(&mut h, p[1], job, &[0], &[1]);
    let v2 = commit(&mut h, p[2], job, &[0], &[3]);
    to_reveal(&mut h, job);
    ok(&h.send(creator, &spec.reveal_gold(job), U256::ZERO).unwrap());
    for v in [&v0, &v1, &v2] {
        ok(&h.reveal(v).unwrap());
    }
    to_settle(&mut h, job);
    let s = settled(&mut h, p[0], &v0);
    assert_eq!(s.paid, U256::from(spec.bounty() / 2), "at most bounty / 2");
}

// ---------------------------------------------- 8. nobody paid to forfeit

/// Before: `forfeitBatch` paid its caller nothing (99,289 gas for a public
/// good). Now whoever settles or forfeits another's batch earns a tenth of
/// its slash.
#[test]
fn forfeiting_pays_the_caller_a_tenth_of_the_slash() {
    let mut h = Hub::deploy(false).unwrap();
    let creator = h.m.chain.account(0);
    let spec = HubJob {
        tasks: 10,
        gold: vec![(9, 0)],
        ..HubJob::default()
    };
    let silent = staker(&mut h, "silent", 0, 2 * spec.stake);
    let keeper = staker(&mut h, "keeper", 0, 0);
    let job = h.create(creator, &spec).unwrap();
    let v = commit(&mut h, silent, job, &[0, 1], &[1, 1]);
    to_settle(&mut h, job);
    let r = h.forfeit(keeper, &v).unwrap();
    ok(&r);
    let f = &logs::<IHub::BatchForfeited>(&r)[0];
    assert_eq!((f.slashed, f.keeper), (2 * spec.stake, keeper));
    assert_eq!(f.keeperShare, 2 * spec.stake / 10);
    assert_eq!(h.credit(keeper).unwrap(), 2 * spec.stake / 10);
    println!(
        "forfeit: the caller spent {} gas and earned {:.2} rewards",
        r.gas_used,
        f.keeperShare as f64 / R as f64
    );
}

// ------------------------------------------------ 9. reputation farming

/// Before: a fresh address passed a 90 % gate, 8 of 72 labels right scored
/// 6,565 bps, and a 60-wei self-dealt job bought a perfect score. Now a gate
/// needs 20 of the job's stakes' worth of judged history, and the score is
/// agreed labels over judged labels.
#[test]
fn reputation_counts_labels_and_stake_at_risk() {
    let mut h = Hub::deploy(false).unwrap();
    let creator = h.m.chain.account(0);
    let base = HubJob::default();
    let fresh = staker(&mut h, "rep-fresh", 0, 64 * base.stake);
    let gated = HubJob {
        min_rep: 9_000,
        ..base.clone()
    };
    let job = h.create(creator, &gated).unwrap();
    let (r, _) = h.commit(fresh, job, &[1], &[1]).unwrap();
    assert_reverts(
        &r,
        &IHub::ReputationTooLow {
            scoreBps: 0,
            required: 9_000,
        },
    );

    // A 64-task batch all wrong, then eight one-task batches right.
    let p: Vec<Address> = (0..3)
        .map(|i| staker(&mut h, "rep", i, 72 * base.stake))
        .collect();
    let spec = HubJob {
        slash_bps: 0,
        ..HubJob::sized(80, &[])
    };
    let job = h.create(creator, &spec).unwrap();
    let first: Vec<u32> = (1..65).collect();
    let mut votes = vec![commit(&mut h, p[0], job, &first, &[0; 64])];
    for t in 65..73 {
        votes.push(commit(&mut h, p[0], job, &[t], &[1]));
    }
    let rest: Vec<u32> = (65..73).collect();
    let others: Vec<Vote> = p[1..]
        .iter()
        .flat_map(|&a| [(a, first.clone()), (a, rest.clone())])
        .map(|(a, ids)| commit(&mut h, a, job, &ids, &vec![1; ids.len()]))
        .collect();
    to_reveal(&mut h, job);
    for v in votes.iter().chain(&others) {
        ok(&h.reveal(v).unwrap());
    }
    to_settle(&mut h, job);
    for v in &votes {
        settled(&mut h, creator, v);
    }
    let rep = h.read(&IHub::reputationOfCall { annotator: p[0] }).unwrap();
    println!(
        "label weighting: 8 of 72 labels right scores {} bps",
        rep.scoreBps
    );
    assert_eq!((rep.judged, rep.agreed, rep.scoreBps), (72, 8, 1_111));
}

// ------------------------------------------------------- 10. QualityCourt

fn payouts(people: &[Address], amounts: &[u128]) -> Vec<Payout> {
    people
        .iter()
        .zip(amounts)
        .map(|(&annotator, &payout)| Payout {
            annotator,
            payout,
            labels: 1,
            verdicts: B256::repeat_byte(0x0e),
        })
        .collect()
}

/// Before: (a) the creator closed while a dispute was pending and the
/// overturn no longer fit; (b) an arbiter's overturn paid its own disputer
/// 0.999 ETH of a 1-ETH escrow for a result posted at 1,000 wei; (c) a bond
/// below the fee let an arbiter earn through its own lost disputes. Now a
/// job cannot close with a live result, a ruling cannot exceed the maximum
/// declared at posting, and terms need a bond of at least the fee.
#[test]
fn court_closes_wait_for_rulings_and_no_ruling_reaches_the_free_escrow() {
    let mut c = Court::deploy(false).unwrap();
    let (creator, oracle, arbiter, annotator, accomplice) = (
        c.chain.account(0),
        c.chain.account(1),
        c.chain.account(2),
        c.chain.account(3),
        c.chain.account(4),
    );
    let terms = c.register_terms(arbiter, &court_terms()).unwrap();
    let spec = CourtJob::new(oracle, terms);
    let escrow = 10u128.pow(18);
    // (a)
    let job = c.create(creator, &spec, U256::from(escrow)).unwrap();
    let rid = c.next_result(job).unwrap();
    let tree = PayoutTree::new(job, rid, payouts(&[annotator], &[1_000])).unwrap();
    ok(&c
        .send(oracle, &tree.post_call_max(B256::ZERO, 5_000), U256::ZERO)
        .unwrap());
    ok(&c
        .send(
            annotator,
            &ICourt::disputeCall {
                jobId: job,
                resultId: rid,
            },
            U256::from(COURT_DISPUTE_BOND),
        )
        .unwrap());
    assert_reverts(
        &c.send(creator, &ICourt::closeJobCall { jobId: job }, U256::ZERO)
            .unwrap(),
        &ICourt::ResultsPending { live: 1 },
    );
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
    ok(&c.send(arbiter, &rule(&fixed), U256::ZERO).unwrap());
    ok(&c.send(annotator, &fixed.claim_call(0), U256::ZERO).unwrap());
    ok(&c
        .send(creator, &ICourt::closeJobCall { jobId: job }, U256::ZERO)
        .unwrap());

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
            U256::from(COURT_DISPUTE_BOND),
        )
        .unwrap());
    let drain = escrow - spec_fee();
    let stolen = PayoutTree::new(job, rid, payouts(&[accomplice], &[drain])).unwrap();
    assert_reverts(
        &c.send(arbiter, &rule(&stolen), U256::ZERO).unwrap(),
        &ICourt::TotalAboveMaximum {
            total: U256::from(drain),
            maxTotal: U256::from(1_000),
        },
    );
    let within = PayoutTree::new(job, rid, payouts(&[accomplice], &[1_000])).unwrap();
    ok(&c.send(arbiter, &rule(&within), U256::ZERO).unwrap());
    println!(
        "court: the most an arbiter's overturn could give its disputer was the posted maximum, 1,000 wei"
    );

    // (c)
    let cheap = IMarket::registerArbiterTermsCall {
        fee: 10u128.pow(16),
        bond: 10u128.pow(14),
        ..court_terms()
    };
    let market = c.registry;
    let r = labelmint::market::send_to(&mut c.chain, arbiter, market, &cheap, U256::ZERO).unwrap();
    assert_reverts(&r, &IMarket::InvalidTerms { field: 1 });
}

fn spec_fee() -> u128 {
    labelmint::court::COURT_ARBITER_FEE
}
