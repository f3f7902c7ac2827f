//! The QualityCourt's real wasm (both programs) on the embedded chain, with
//! its arbiters' terms in the AnnotationMarket's registry: optimistic batch
//! results and Merkle claims, bonded disputes won and lost (the loser pays
//! the arbiter), rulings capped by the result's maximum and their windows,
//! unruled disputes and audits voiding results, the audit seed chain,
//! expiry, closing only without live results, the job-source view,
//! malformed calls, and a solvency property over random histories (escrow,
//! reserves, bonds and credits).
#![allow(missing_docs, clippy::too_many_lines)]

mod common;

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_sol_types::SolCall;
use common::{assert_reverts, logs, ok};
use labelmint::court::{
    court_terms, sample_payouts, Court, CourtJob, ICourt, Payout, PayoutTree, SeedChain,
    COURT_ARBITER_FEE as FEE, COURT_CHALLENGE_WINDOW as CHALLENGE, COURT_DISPUTE_BOND as BOND,
    COURT_RULING_WINDOW as RULING,
};
use proptest::prelude::*;

const ESCROW: u128 = 1_000_000_000_000_000_000;
const POSTED: u8 = 1;
const IN_REVIEW: u8 = 2;
const FINAL: u8 = 3;
const VOID: u8 = 4;
const EXPIRED: u8 = 5;

struct Env {
    c: Court,
    creator: Address,
    oracle: Address,
    arbiter: Address,
    disputer: Address,
    people: Vec<Address>,
    /// The arbiter's registered terms.
    terms: u32,
}

fn setup() -> Env {
    let mut c = Court::deploy(false).unwrap();
    let a = |i| c.chain.account(i);
    let (creator, oracle, arbiter, disputer) = (a(0), a(1), a(2), a(3));
    let people = (4..8).map(a).chain([a(9)]).collect();
    let terms = c.register_terms(arbiter, &court_terms()).unwrap();
    Env {
        c,
        creator,
        oracle,
        arbiter,
        disputer,
        people,
        terms,
    }
}

impl Env {
    fn spec(&self) -> CourtJob {
        CourtJob::new(self.oracle, self.terms)
    }

    fn job(&mut self, spec: &CourtJob) -> U256 {
        let creator = self.creator;
        self.c.create(creator, spec, U256::from(ESCROW)).unwrap()
    }

    /// Posts `n` sample payouts as the job's next result (no room for a
    /// ruling to raise the total).
    fn post(&mut self, job: U256, n: usize) -> PayoutTree {
        self.post_max(job, n, 0)
    }

    /// Posts `n` sample payouts, a ruling may raise the total by `room`.
    fn post_max(&mut self, job: U256, n: usize, room: u128) -> PayoutTree {
        let rid = self.c.next_result(job).unwrap();
        let tree = PayoutTree::new(job, rid, sample_payouts(&self.people, n)).unwrap();
        let oracle = self.oracle;
        let call = tree.post_call_max(B256::repeat_byte(0xde), tree.total() + room);
        ok(&self.c.send(oracle, &call, U256::ZERO).unwrap());
        tree
    }

    fn state(&mut self, tree: &PayoutTree) -> u8 {
        self.c.result(tree.job, tree.result).unwrap().state
    }

    fn job_of(&mut self, job: U256) -> ICourt::getJobReturn {
        self.c.read(&ICourt::getJobCall { jobId: job }).unwrap()
    }

    fn dispute(&mut self, tree: &PayoutTree, bond: u128) -> labelmint_devnet::Receipt {
        let d = self.disputer;
        self.c
            .send(
                d,
                &ICourt::disputeCall {
                    jobId: tree.job,
                    resultId: tree.result,
                },
                U256::from(bond),
            )
            .unwrap()
    }

    fn rule(
        &mut self,
        from: Address,
        tree: &PayoutTree,
        fix: Option<&PayoutTree>,
    ) -> labelmint_devnet::Receipt {
        let call = ICourt::ruleCall {
            jobId: tree.job,
            resultId: tree.result,
            overturn: fix.is_some(),
            root: fix.map_or(B256::ZERO, PayoutTree::root),
            total: fix.map_or(0, PayoutTree::total),
            leaves: fix.map_or(0, PayoutTree::leaves),
            details: B256::ZERO,
        };
        self.c.send(from, &call, U256::ZERO).unwrap()
    }

    fn finalize(&mut self, tree: &PayoutTree) -> labelmint_devnet::Receipt {
        let who = self.people[0];
        self.c
            .send(
                who,
                &ICourt::finalizeCall {
                    jobId: tree.job,
                    resultId: tree.result,
                },
                U256::ZERO,
            )
            .unwrap()
    }

    fn claim_all(&mut self, tree: &PayoutTree) {
        let who = self.people[0];
        for i in 0..tree.leaves() {
            ok(&self.c.send(who, &tree.claim_call(i), U256::ZERO).unwrap());
        }
    }
}

#[test]
fn create_job_takes_registered_eth_terms_and_validates_roles_audit_and_escrow() {
    let mut e = setup();
    let base = e.spec();
    let (creator, oracle) = (e.creator, e.oracle);
    // Terms the creator or the oracle registered for themselves are refused.
    let own = e.c.register_terms(creator, &court_terms()).unwrap();
    let oracles = e.c.register_terms(oracle, &court_terms()).unwrap();
    let cases: Vec<(u8, CourtJob, u128)> = vec![
        (
            1,
            CourtJob {
                oracle: Address::ZERO,
                ..base.clone()
            },
            ESCROW,
        ),
        (
            2,
            CourtJob {
                terms: 99,
                ..base.clone()
            },
            ESCROW,
        ),
        // The market's default terms for RewardToken: not ETH.
        (
            2,
            CourtJob {
                terms: 2,
                ..base.clone()
            },
            ESCROW,
        ),
        (
            2,
            CourtJob {
                terms: own,
                ..base.clone()
            },
            ESCROW,
        ),
        (
            2,
            CourtJob {
                terms: oracles,
                ..base.clone()
            },
            ESCROW,
        ),
        (
            6,
            CourtJob {
                audit_bps: 10_001,
                seed: B256::repeat_byte(1),
                ..base.clone()
            },
            ESCROW,
        ),
        (
            6,
            CourtJob {
                audit_bps: 100,
                ..base.clone()
            },
            ESCROW,
        ),
        (7, base.clone(), 0),
    ];
    for (field, spec, value) in cases {
        let r = e.c.send(creator, &spec.call(), U256::from(value)).unwrap();
        assert_reverts(&r, &ICourt::InvalidParameter { field });
    }
    assert_eq!(e.c.read(&ICourt::jobCountCall {}).unwrap(), U256::ZERO);
    let job = e.job(&base);
    let j = e.job_of(job);
    assert_eq!(
        (j.creator, j.oracle, j.arbiter),
        (creator, oracle, e.arbiter)
    );
    assert_eq!(
        (
            j.arbiterFee,
            j.disputeBond,
            j.challengeWindow,
            j.rulingWindow
        ),
        (FEE, BOND, CHALLENGE, RULING),
        "copied from the registered terms"
    );
    assert_eq!((j.status, j.escrow, j.reserved), (1, ESCROW, 0));
    let p = e.c.read(&ICourt::jobProgressCall { jobId: job }).unwrap();
    assert_eq!(
        (p.arbiterTerms, p.live, p.pending, p.accepted),
        (e.terms, 0, 0, 0)
    );
    assert_eq!(e.c.chain.balance(e.c.court), U256::from(ESCROW));
}

#[test]
fn unchallenged_result_pays_each_leaf_once_and_close_refunds_the_rest() {
    let mut e = setup();
    let spec = e.spec();
    let job = e.job(&spec);
    let tree = e.post(job, 11);
    let j = e.job_of(job);
    assert_eq!(
        j.reserved,
        tree.total() + FEE,
        "payouts and one fee reserved"
    );
    let who = e.people[0];
    // Not before the challenge window ends.
    let r = e.c.send(who, &tree.claim_call(0), U256::ZERO).unwrap();
    let end = e.c.result(job, tree.result).unwrap().challengeEnd;
    assert_reverts(&r, &ICourt::TooEarly { opensAt: end });
    assert_reverts(&e.finalize(&tree), &ICourt::TooEarly { opensAt: end });
    e.c.warp(u64::from(CHALLENGE));
    // Bad claims lose nothing.
    let mut forged = tree.claim_call(3);
    forged.payout += 1;
    assert_reverts(
        &e.c.send(who, &forged, U256::ZERO).unwrap(),
        &ICourt::InvalidProof {},
    );
    let mut stolen = tree.claim_call(3);
    stolen.annotator = e.disputer;
    assert_reverts(
        &e.c.send(who, &stolen, U256::ZERO).unwrap(),
        &ICourt::InvalidProof {},
    );
    let mut wrong_index = tree.claim_call(3);
    wrong_index.index = 4;
    assert_reverts(
        &e.c.send(who, &wrong_index, U256::ZERO).unwrap(),
        &ICourt::InvalidProof {},
    );
    let mut out_of_range = tree.claim_call(3);
    out_of_range.index = 11;
    assert_reverts(
        &e.c.send(who, &out_of_range, U256::ZERO).unwrap(),
        &ICourt::InvalidProof {},
    );
    // The first claim finalizes the result and releases the fee.
    let people = e.people.clone();
    let before: Vec<U256> = people.iter().map(|&a| e.c.credit(a).unwrap()).collect();
    let r = e.c.send(who, &tree.claim_call(0), U256::ZERO).unwrap();
    ok(&r);
    assert_eq!(logs::<ICourt::Finalized>(&r).len(), 1);
    assert_eq!(e.state(&tree), FINAL);
    assert_reverts(
        &e.c.send(who, &tree.claim_call(0), U256::ZERO).unwrap(),
        &ICourt::AlreadyClaimed { index: 0 },
    );
    for i in 1..tree.leaves() {
        ok(&e.c.send(who, &tree.claim_call(i), U256::ZERO).unwrap());
    }
    let mut expected = before;
    for p in &tree.payouts {
        let at = people.iter().position(|&a| a == p.annotator).unwrap();
        expected[at] += U256::from(p.payout);
    }
    for (i, &a) in people.iter().enumerate() {
        assert_eq!(
            e.c.credit(a).unwrap(),
            expected[i],
            "annotator {i} paid every leaf of theirs"
        );
    }
    assert!(e
        .c
        .read(&ICourt::isClaimedCall {
            jobId: job,
            resultId: tree.result,
            index: 10
        })
        .unwrap());
    let j = e.job_of(job);
    assert_eq!(j.reserved, 0);
    assert_eq!(j.escrow, ESCROW - tree.total());
    // Only the creator closes; the refund is everything unreserved.
    let r =
        e.c.send(e.oracle, &ICourt::closeJobCall { jobId: job }, U256::ZERO)
            .unwrap();
    assert_reverts(
        &r,
        &ICourt::Unauthorized {
            caller: e.oracle,
            role: 1,
        },
    );
    let creator = e.creator;
    let r =
        e.c.ok(creator, &ICourt::closeJobCall { jobId: job }, U256::ZERO)
            .unwrap();
    assert_eq!(
        logs::<ICourt::JobClosed>(&r)[0].refund,
        U256::from(ESCROW - tree.total())
    );
    let oracle = e.oracle;
    let r =
        e.c.send(oracle, &tree.post_call(B256::ZERO), U256::ZERO)
            .unwrap();
    assert_reverts(&r, &ICourt::JobIsClosed { jobId: job });
    // Withdrawals empty the court.
    let mut everyone = e.people.clone();
    everyone.push(creator);
    for a in everyone {
        let before = e.c.chain.balance(a);
        let credit = e.c.credit(a).unwrap();
        let r =
            e.c.send(a, &ICourt::withdrawCall { to: a }, U256::ZERO)
                .unwrap();
        if credit.is_zero() {
            assert_reverts(&r, &ICourt::NothingToWithdraw {});
        } else {
            ok(&r);
            assert!(e.c.chain.balance(a) > before);
        }
    }
    assert_eq!(e.c.chain.balance(e.c.court), U256::ZERO);
}

#[test]
fn post_result_checks_the_oracle_the_shape_and_the_free_escrow() {
    let mut e = setup();
    let spec = e.spec();
    let job = e.job(&spec);
    let tree = PayoutTree::new(job, U256::from(1), sample_payouts(&e.people, 4)).unwrap();
    let creator = e.creator;
    let r =
        e.c.send(creator, &tree.post_call(B256::ZERO), U256::ZERO)
            .unwrap();
    assert_reverts(
        &r,
        &ICourt::Unauthorized {
            caller: creator,
            role: 2,
        },
    );
    let oracle = e.oracle;
    let mut zero = tree.post_call(B256::ZERO);
    zero.root = B256::ZERO;
    assert_reverts(
        &e.c.send(oracle, &zero, U256::ZERO).unwrap(),
        &ICourt::InvalidParameter { field: 8 },
    );
    let mut empty = tree.post_call(B256::ZERO);
    empty.leaves = 0;
    assert_reverts(
        &e.c.send(oracle, &empty, U256::ZERO).unwrap(),
        &ICourt::InvalidParameter { field: 8 },
    );
    let mut low = tree.post_call(B256::ZERO);
    low.maxTotal = low.total - 1;
    assert_reverts(
        &e.c.send(oracle, &low, U256::ZERO).unwrap(),
        &ICourt::InvalidParameter { field: 8 },
    );
    let mut wide = tree.post_call(B256::ZERO);
    wide.maxTotal = 1 << 96;
    assert_reverts(
        &e.c.send(oracle, &wide, U256::ZERO).unwrap(),
        &ICourt::InvalidParameter { field: 8 },
    );
    let mut greedy = tree.post_call(B256::ZERO);
    greedy.total = ESCROW - FEE + 1;
    greedy.maxTotal = greedy.total;
    assert_reverts(
        &e.c.send(oracle, &greedy, U256::ZERO).unwrap(),
        &ICourt::InsufficientEscrow {
            available: U256::from(ESCROW),
            required: U256::from(ESCROW + 1),
        },
    );
    let mut other = tree.post_call(B256::ZERO);
    other.jobId = U256::from(9);
    assert_reverts(
        &e.c.send(oracle, &other, U256::ZERO).unwrap(),
        &ICourt::JobNotFound {
            jobId: U256::from(9),
        },
    );
    // Funding raises the ceiling; anyone may fund an open job.
    let d = e.disputer;
    let r =
        e.c.send(d, &ICourt::fundCall { jobId: job }, U256::ZERO)
            .unwrap();
    assert_reverts(&r, &ICourt::InvalidParameter { field: 7 });
    e.c.ok(d, &ICourt::fundCall { jobId: job }, U256::from(1))
        .unwrap();
    ok(&e.c.send(oracle, &greedy, U256::ZERO).unwrap());
    let j = e.job_of(job);
    assert_eq!(
        (j.escrow, j.reserved, j.results),
        (ESCROW + 1, ESCROW + 1, 1)
    );
}

#[test]
fn dispute_won_returns_the_bond_and_the_arbiters_result_replaces_the_oracles() {
    let mut e = setup();
    let spec = e.spec();
    let job = e.job(&spec);
    let fixed_total = PayoutTree::new(job, U256::from(1), sample_payouts(&e.people, 7))
        .unwrap()
        .total();
    let tree = e.post_max(
        job,
        5,
        fixed_total
            - PayoutTree::new(job, U256::from(1), sample_payouts(&e.people, 5))
                .unwrap()
                .total(),
    );
    assert_reverts(
        &e.dispute(&tree, BOND - 1),
        &ICourt::WrongBond {
            expected: U256::from(BOND),
            received: U256::from(BOND - 1),
        },
    );
    let r = e.dispute(&tree, BOND);
    ok(&r);
    let d = &logs::<ICourt::Disputed>(&r)[0];
    assert_eq!((d.disputer, d.bond), (e.disputer, BOND));
    assert_eq!(e.state(&tree), IN_REVIEW);
    assert_reverts(
        &e.dispute(&tree, BOND),
        &ICourt::WrongState {
            resultId: tree.result,
            state: IN_REVIEW,
        },
    );
    e.c.warp(u64::from(CHALLENGE));
    // In review: nothing can be claimed or finalized before the ruling.
    let who = e.people[0];
    assert_reverts(
        &e.c.send(who, &tree.claim_call(0), U256::ZERO).unwrap(),
        &ICourt::WrongState {
            resultId: tree.result,
            state: IN_REVIEW,
        },
    );
    assert_reverts(
        &e.finalize(&tree),
        &ICourt::TooEarly {
            opensAt: d.rulingEnd,
        },
    );
    let oracle = e.oracle;
    assert_reverts(
        &e.rule(oracle, &tree, None),
        &ICourt::Unauthorized {
            caller: oracle,
            role: 3,
        },
    );
    // A correction may not exceed the maximum declared at posting, however
    // much free escrow the job holds.
    let huge = PayoutTree::new(
        job,
        tree.result,
        vec![Payout {
            annotator: who,
            payout: fixed_total + 1,
            labels: 1,
            verdicts: B256::ZERO,
        }],
    )
    .unwrap();
    let arbiter = e.arbiter;
    assert_reverts(
        &e.rule(arbiter, &tree, Some(&huge)),
        &ICourt::TotalAboveMaximum {
            total: U256::from(fixed_total + 1),
            maxTotal: U256::from(fixed_total),
        },
    );
    let fixed = PayoutTree::new(job, tree.result, sample_payouts(&e.people, 7)).unwrap();
    let r = e.rule(arbiter, &tree, Some(&fixed));
    ok(&r);
    let ruled = &logs::<ICourt::Ruled>(&r)[0];
    assert!(ruled.overturned);
    assert_eq!((ruled.root, ruled.total), (fixed.root(), fixed.total()));
    assert_eq!(e.c.credit(e.disputer).unwrap(), U256::from(BOND));
    assert_eq!(
        e.c.credit(arbiter).unwrap(),
        U256::from(FEE),
        "the job pays the fee"
    );
    assert_eq!(e.state(&tree), FINAL);
    // The oracle's leaves are dead; the arbiter's pay.
    assert_reverts(
        &e.c.send(who, &tree.claim_call(0), U256::ZERO).unwrap(),
        &ICourt::InvalidProof {},
    );
    e.claim_all(&fixed);
    let j = e.job_of(job);
    assert_eq!(j.reserved, 0);
    assert_eq!(j.escrow, ESCROW - FEE - fixed.total());
    assert_reverts(
        &e.rule(arbiter, &tree, None),
        &ICourt::WrongState {
            resultId: tree.result,
            state: FINAL,
        },
    );
}

#[test]
fn dispute_lost_forfeits_the_bond_to_the_escrow_and_the_result_stands() {
    let mut e = setup();
    let spec = e.spec();
    let job = e.job(&spec);
    let tree = e.post(job, 3);
    ok(&e.dispute(&tree, BOND));
    let arbiter = e.arbiter;
    // The arbiter may rule at once, without waiting for the window.
    let r = e.rule(arbiter, &tree, None);
    ok(&r);
    assert!(!logs::<ICourt::Ruled>(&r)[0].overturned);
    assert_eq!(e.c.credit(e.disputer).unwrap(), U256::ZERO);
    assert_eq!(e.c.credit(arbiter).unwrap(), U256::from(FEE));
    let j = e.job_of(job);
    assert_eq!(
        j.escrow,
        ESCROW - FEE + BOND,
        "the bond pays the fee, the rest joins the escrow"
    );
    assert_eq!(j.reserved, tree.total());
    e.claim_all(&tree);
    let creator = e.creator;
    let r =
        e.c.ok(creator, &ICourt::closeJobCall { jobId: job }, U256::ZERO)
            .unwrap();
    assert_eq!(
        logs::<ICourt::JobClosed>(&r)[0].refund,
        U256::from(ESCROW - FEE + BOND - tree.total())
    );
}

#[test]
fn dispute_after_the_challenge_window_reverts_too_late() {
    let mut e = setup();
    let spec = e.spec();
    let job = e.job(&spec);
    let tree = e.post(job, 2);
    let end = e.c.result(job, tree.result).unwrap().challengeEnd;
    e.c.warp(u64::from(CHALLENGE));
    assert_reverts(&e.dispute(&tree, BOND), &ICourt::TooLate { deadline: end });
    assert_eq!(
        e.c.chain.balance(e.c.court),
        U256::from(ESCROW),
        "no bond kept"
    );
}

#[test]
fn unruled_dispute_voids_the_result_returns_the_bond_and_frees_the_reserve() {
    let mut e = setup();
    let spec = e.spec();
    let job = e.job(&spec);
    let tree = e.post(job, 4);
    let r = e.dispute(&tree, BOND);
    let deadline = logs::<ICourt::Disputed>(&r)[0].rulingEnd;
    e.c.warp(u64::from(RULING));
    let arbiter = e.arbiter;
    assert_reverts(&e.rule(arbiter, &tree, None), &ICourt::TooLate { deadline });
    let r = e.finalize(&tree);
    ok(&r);
    assert_eq!(logs::<ICourt::Voided>(&r)[0].reason, 1);
    assert_eq!(e.state(&tree), VOID);
    assert_eq!(e.c.credit(e.disputer).unwrap(), U256::from(BOND));
    assert_eq!(e.job_of(job).reserved, 0);
    let who = e.people[0];
    assert_reverts(
        &e.c.send(who, &tree.claim_call(0), U256::ZERO).unwrap(),
        &ICourt::WrongState {
            resultId: tree.result,
            state: VOID,
        },
    );
    // The oracle posts again.
    let again = e.post(job, 4);
    assert_eq!(again.result, U256::from(2));
}

/// A secret whose chain samples result 1 and clears result 2 at 50 %.
fn split_secret(e: &Env, job: U256) -> (SeedChain, PayoutTree, PayoutTree) {
    for s in 0u64.. {
        let seeds = SeedChain::new(keccak256(s.to_be_bytes()), 4);
        let t1 = PayoutTree::new(job, U256::from(1), sample_payouts(&e.people, 3)).unwrap();
        let t2 = PayoutTree::new(job, U256::from(2), sample_payouts(&e.people, 3)).unwrap();
        if seeds.sampled(1, t1.root(), 5_000) && !seeds.sampled(2, t2.root(), 5_000) {
            return (seeds, t1, t2);
        }
    }
    unreachable!()
}

#[test]
fn random_audit_follows_the_seed_chain_and_the_arbiter_clears_sampled_results() {
    let mut e = setup();
    let (seeds, t1, t2) = split_secret(&e, U256::from(1));
    let spec = CourtJob {
        audit_bps: 5_000,
        seed: seeds.commitment(),
        ..e.spec()
    };
    let job = e.job(&spec);
    assert_eq!(e.post(job, 3).root(), t1.root());
    assert_eq!(e.post(job, 3).root(), t2.root());
    let creator = e.creator;
    let reveal = |rid: u64, seed: B256| ICourt::revealSeedCall {
        jobId: job,
        resultId: U256::from(rid),
        seed,
    };
    assert_reverts(
        &e.c.send(creator, &reveal(2, seeds.link(2)), U256::ZERO)
            .unwrap(),
        &ICourt::SeedOutOfOrder {
            expectedResultId: U256::from(1),
        },
    );
    assert_reverts(
        &e.c.send(creator, &reveal(1, seeds.link(2)), U256::ZERO)
            .unwrap(),
        &ICourt::SeedMismatch {},
    );
    // Anyone holding the link may reveal it.
    let who = e.people[1];
    let r = e.c.ok(who, &reveal(1, seeds.link(1)), U256::ZERO).unwrap();
    assert!(logs::<ICourt::SeedRevealed>(&r)[0].audited);
    let r =
        e.c.ok(creator, &reveal(2, seeds.link(2)), U256::ZERO)
            .unwrap();
    assert!(!logs::<ICourt::SeedRevealed>(&r)[0].audited);
    assert_eq!(e.job_of(job).seedHead, seeds.link(2));
    let arbiter = e.arbiter;
    let end = e.c.result(job, t1.result).unwrap().challengeEnd;
    assert_reverts(
        &e.rule(arbiter, &t1, None),
        &ICourt::TooEarly { opensAt: end },
    );
    e.c.warp(u64::from(CHALLENGE));
    // The cleared result pays at once; the sampled one waits for the arbiter.
    e.claim_all(&t2);
    assert_reverts(
        &e.c.send(who, &t1.claim_call(0), U256::ZERO).unwrap(),
        &ICourt::WrongState {
            resultId: t1.result,
            state: IN_REVIEW,
        },
    );
    let r = e.finalize(&t1);
    assert_eq!(
        logs::<ICourt::AuditDue>(&r)[0].rulingEnd,
        end + u64::from(RULING)
    );
    assert_eq!(e.state(&t1), IN_REVIEW);
    assert_reverts(
        &e.rule(e.oracle, &t1, None),
        &ICourt::Unauthorized {
            caller: e.oracle,
            role: 3,
        },
    );
    ok(&e.rule(arbiter, &t1, None));
    assert_eq!(
        e.c.credit(arbiter).unwrap(),
        U256::from(FEE),
        "an audit's fee is the job's"
    );
    e.claim_all(&t1);
    let j = e.job_of(job);
    assert_eq!(j.reserved, 0);
    assert_eq!(j.escrow, ESCROW - FEE - t1.total() - t2.total());
}

#[test]
fn a_withheld_or_late_seed_audits_and_an_absent_arbiter_voids() {
    let mut e = setup();
    let seeds = SeedChain::new(B256::repeat_byte(7), 3);
    let spec = CourtJob {
        audit_bps: 1,
        seed: seeds.commitment(),
        ..e.spec()
    };
    let job = e.job(&spec);
    let t1 = e.post(job, 2);
    let t2 = e.post(job, 2);
    e.c.warp(u64::from(CHALLENGE));
    // Result 1's link was never revealed: its audit is due.
    let r = e.finalize(&t1);
    assert_eq!(logs::<ICourt::AuditDue>(&r).len(), 1);
    // Result 2's link comes too late: audited whatever it draws.
    let creator = e.creator;
    for (rid, link) in [(1u64, seeds.link(1)), (2, seeds.link(2))] {
        let r =
            e.c.ok(
                creator,
                &ICourt::revealSeedCall {
                    jobId: job,
                    resultId: U256::from(rid),
                    seed: link,
                },
                U256::ZERO,
            )
            .unwrap();
        assert!(logs::<ICourt::SeedRevealed>(&r)[0].audited);
    }
    assert_eq!(e.c.result(job, t2.result).unwrap().audit, 2);
    e.c.warp(u64::from(RULING));
    for t in [&t1, &t2] {
        let r = e.finalize(t);
        assert_eq!(logs::<ICourt::Voided>(&r)[0].reason, 2);
        assert_eq!(e.state(t), VOID);
    }
    assert_eq!(e.job_of(job).reserved, 0);
    assert_eq!(e.c.credit(e.arbiter).unwrap(), U256::ZERO);
}

#[test]
fn expire_releases_what_stays_unclaimed_after_the_claim_period() {
    let mut e = setup();
    let spec = e.spec();
    let job = e.job(&spec);
    let tree = e.post(job, 4);
    e.c.warp(u64::from(CHALLENGE));
    let who = e.people[0];
    ok(&e.c.send(who, &tree.claim_call(1), U256::ZERO).unwrap());
    let call = ICourt::expireCall {
        jobId: job,
        resultId: tree.result,
    };
    let deadline = e.c.result(job, tree.result).unwrap().deadline;
    assert_reverts(
        &e.c.send(who, &call, U256::ZERO).unwrap(),
        &ICourt::TooEarly { opensAt: deadline },
    );
    e.c.warp(90 * 86_400);
    let r = e.c.ok(who, &call, U256::ZERO).unwrap();
    let rest = tree.total() - tree.payouts[1].payout;
    assert_eq!(logs::<ICourt::Expired>(&r)[0].released, rest);
    assert_eq!(e.state(&tree), EXPIRED);
    assert_eq!(e.job_of(job).reserved, 0);
    assert_reverts(
        &e.c.send(who, &tree.claim_call(0), U256::ZERO).unwrap(),
        &ICourt::WrongState {
            resultId: tree.result,
            state: EXPIRED,
        },
    );
}

#[test]
fn malformed_calls_get_named_errors() {
    let mut e = setup();
    let spec = e.spec();
    let job = e.job(&spec);
    let who = e.people[0];
    let r =
        e.c.chain
            .send(who, Some(e.c.court), U256::ZERO, vec![1, 2], 1_000_000)
            .unwrap();
    assert_reverts(&r, &ICourt::InvalidCalldata {});
    let r =
        e.c.chain
            .send(
                who,
                Some(e.c.court),
                U256::ZERO,
                vec![1, 2, 3, 4],
                1_000_000,
            )
            .unwrap();
    assert_reverts(
        &r,
        &ICourt::UnknownFunction {
            selector: [1, 2, 3, 4].into(),
        },
    );
    let tree = PayoutTree::new(job, U256::from(1), sample_payouts(&e.people, 2)).unwrap();
    let oracle = e.oracle;
    let r =
        e.c.send(oracle, &tree.post_call(B256::ZERO), U256::from(1))
            .unwrap();
    assert_reverts(&r, &ICourt::NotPayable {});
    let mut data = tree.post_call(B256::ZERO).abi_encode();
    data.truncate(data.len() - 1);
    let r =
        e.c.chain
            .send(oracle, Some(e.c.court), U256::ZERO, data, 1_000_000)
            .unwrap();
    assert_reverts(&r, &ICourt::InvalidCalldata {});
    let r =
        e.c.send(
            who,
            &ICourt::disputeCall {
                jobId: job,
                resultId: U256::from(5),
            },
            U256::ZERO,
        )
        .unwrap();
    assert_reverts(
        &r,
        &ICourt::ResultNotFound {
            resultId: U256::from(5),
        },
    );
    // The contract's leaf is the off-chain leaf.
    let p = &tree.payouts[1];
    let on_chain =
        e.c.read(&ICourt::leafOfCall {
            jobId: job,
            resultId: U256::from(1),
            index: 1,
            annotator: p.annotator,
            payout: p.payout,
            labels: p.labels,
            verdicts: p.verdicts,
        })
        .unwrap();
    assert_eq!(on_chain, labelmint::court::leaf(job, U256::from(1), 1, p));
    assert_eq!(e.c.chain.balance(e.c.court), U256::from(ESCROW));
}

#[test]
fn payout_tree_proofs_verify_for_every_size() {
    for n in 1..40usize {
        let people: Vec<Address> = (0..5u8).map(Address::repeat_byte).collect();
        let t = PayoutTree::new(U256::from(1), U256::from(1), sample_payouts(&people, n)).unwrap();
        for i in 0..t.leaves() {
            let mut node = labelmint::court::leaf(t.job, t.result, i, &t.payouts[i as usize]);
            for p in t.proof(i) {
                let (lo, hi) = if node <= p { (node, p) } else { (p, node) };
                node = keccak256([lo.as_slice(), hi.as_slice()].concat());
            }
            assert_eq!(node, t.root(), "n={n} i={i}");
        }
    }
    assert!(PayoutTree::new(U256::from(1), U256::from(1), vec![]).is_err());
}

#[test]
fn seed_chain_samples_close_to_the_audit_rate() {
    let seeds = SeedChain::new(B256::repeat_byte(3), 4_000);
    let hits = (1..=4_000)
        .filter(|&i| seeds.sampled(i, keccak256((i as u64).to_be_bytes()), 2_000))
        .count();
    assert!((700..=900).contains(&hits), "{hits} of 4,000 at 20 %");
    for i in 1..=10 {
        assert_eq!(keccak256(seeds.link(i)), seeds.link(i - 1));
    }
}

/// Everything the court owes: escrow of every job, bonds held by results in
/// review, and the credits of every account.
fn owed(e: &mut Env, jobs: &[U256], trees: &[PayoutTree]) -> U256 {
    let mut sum = U256::ZERO;
    for &job in jobs {
        let j = e.job_of(job);
        assert!(j.reserved <= j.escrow, "reserve within escrow");
        sum += U256::from(j.escrow);
    }
    for t in trees {
        let r = e.c.result(t.job, t.result).unwrap();
        if r.state == IN_REVIEW && !r.disputer.is_zero() {
            sum += U256::from(BOND);
        }
    }
    for i in 0..10 {
        let a = e.c.chain.account(i);
        sum += e.c.credit(a).unwrap();
    }
    sum
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

fn bump(counts: &mut Counts, what: &'static str) {
    *counts.entry(what).or_default() += 1;
}

/// A post the court must refuse, of a kind chosen by `rng`: a shape whose
/// root, leaf count and total do not hold together (zero root, no leaf, a
/// total above its maximum), each `InvalidParameter(8)`; or any post by an
/// account other than the oracle, `Unauthorized(caller, 2)`. A closed job
/// refuses the oracle's posts with `JobIsClosed` first.
fn refused_post(
    e: &mut Env,
    rng: &mut labelmint_quality::SplitMix,
    job: U256,
    closed: bool,
    counts: &mut Counts,
) -> Result<(), TestCaseError> {
    let rid = e.c.next_result(job).unwrap();
    let tree = PayoutTree::new(
        job,
        rid,
        sample_payouts(&e.people, 1 + rng.below(6) as usize),
    )
    .unwrap();
    let mut call = tree.post_call(B256::repeat_byte(0xde));
    let kind = rng.below(4);
    match kind {
        0 => call.root = B256::ZERO,
        1 => call.leaves = 0,
        2 => call.maxTotal = call.total - 1,
        _ => {}
    }
    let oracle = e.oracle;
    let (from, what) = if kind == 3 {
        let who = [e.creator, e.arbiter, e.disputer, e.people[0]][rng.below(4) as usize];
        (who, "posts by non-oracles refused")
    } else if closed {
        (oracle, "posts to closed jobs refused")
    } else {
        (oracle, "inconsistent posts refused")
    };
    let r = e.c.send(from, &call, U256::ZERO).unwrap();
    let refused = if kind == 3 {
        r.reverted_with(&ICourt::Unauthorized {
            caller: from,
            role: 2,
        })
    } else if closed {
        r.reverted_with(&ICourt::JobIsClosed { jobId: job })
    } else {
        r.reverted_with(&ICourt::InvalidParameter { field: 8 })
    };
    prop_assert!(
        refused,
        "{}: 0x{}",
        what,
        alloy_primitives::hex::encode(&r.output)
    );
    prop_assert_eq!(
        e.c.next_result(job).unwrap(),
        rid,
        "a refused post makes no result"
    );
    bump(counts, what);
    Ok(())
}

/// `expire` of `t` now: refused `WrongState` unless the result is final,
/// `TooEarly(deadline)` inside its claim period; after it, releases
/// exactly what is left unclaimed and the result is expired.
fn try_expire(e: &mut Env, t: &PayoutTree, counts: &mut Counts) -> Result<(), TestCaseError> {
    let before = e.c.result(t.job, t.result).unwrap();
    let now = e.c.chain.timestamp();
    let who = e.people[1];
    let r =
        e.c.send(
            who,
            &ICourt::expireCall {
                jobId: t.job,
                resultId: t.result,
            },
            U256::ZERO,
        )
        .unwrap();
    if before.state != FINAL {
        prop_assert!(
            r.reverted_with(&ICourt::WrongState {
                resultId: t.result,
                state: before.state
            }),
            "expire of a result in state {}: 0x{}",
            before.state,
            alloy_primitives::hex::encode(&r.output)
        );
        bump(counts, "expiries refused (not final)");
    } else if now < before.deadline {
        prop_assert!(
            r.reverted_with(&ICourt::TooEarly {
                opensAt: before.deadline
            }),
            "expire in the claim period: 0x{}",
            alloy_primitives::hex::encode(&r.output)
        );
        bump(counts, "expiries refused (too early)");
    } else {
        prop_assert!(
            r.success,
            "expire after the claim period: 0x{}",
            alloy_primitives::hex::encode(&r.output)
        );
        prop_assert_eq!(
            logs::<ICourt::Expired>(&r)[0].released,
            before.total - before.paid
        );
        prop_assert_eq!(e.state(t), EXPIRED);
        bump(counts, "expiries");
    }
    Ok(())
}

/// Claims leaf `i` of `t` (the result's current tree). A final result
/// pays it unless it is claimed already (`AlreadyClaimed`) or would pay
/// past the declared total (`PayoutExceedsTotal`). A posted one is refused
/// `TooEarly` inside its challenge window; past it the claim finalizes it
/// first, so it pays, or is refused because the result went to review or
/// was voided (`WrongState`) or because the leaf crosses the total. Any
/// other state refuses it `WrongState`.
fn claim(e: &mut Env, t: &PayoutTree, i: u32, counts: &mut Counts) -> Result<(), TestCaseError> {
    let before = e.c.result(t.job, t.result).unwrap();
    let claimed =
        e.c.read(&ICourt::isClaimedCall {
            jobId: t.job,
            resultId: t.result,
            index: i,
        })
        .unwrap();
    let payout = t.payouts[i as usize].payout;
    let now = e.c.chain.timestamp();
    let who = e.people[0];
    let r = e.c.send(who, &t.claim_call(i), U256::ZERO).unwrap();
    let crossing = ICourt::PayoutExceedsTotal {
        paid: U256::from(before.paid + payout),
        total: U256::from(before.total),
    };
    let hex = alloy_primitives::hex::encode(&r.output);
    match before.state {
        POSTED if now < before.challengeEnd => {
            prop_assert!(
                r.reverted_with(&ICourt::TooEarly {
                    opensAt: before.challengeEnd
                }),
                "a claim in the challenge window: 0x{}",
                hex
            );
            return Ok(());
        }
        POSTED if !r.success => {
            let review = ICourt::WrongState {
                resultId: t.result,
                state: IN_REVIEW,
            };
            let void = ICourt::WrongState {
                resultId: t.result,
                state: VOID,
            };
            prop_assert!(
                r.reverted_with(&review) || r.reverted_with(&void) || r.reverted_with(&crossing),
                "a claim finalizing first: 0x{}",
                hex
            );
            if r.reverted_with(&crossing) {
                bump(counts, "claims past an understated total refused");
            }
            return Ok(());
        }
        POSTED | FINAL => {}
        state => {
            prop_assert!(
                r.reverted_with(&ICourt::WrongState {
                    resultId: t.result,
                    state
                }),
                "a claim in state {}: 0x{}",
                state,
                hex
            );
            return Ok(());
        }
    }
    if claimed {
        prop_assert!(
            r.reverted_with(&ICourt::AlreadyClaimed { index: i }),
            "a second claim: 0x{}",
            hex
        );
        return Ok(());
    }
    if before.paid + payout > before.total {
        prop_assert!(
            r.reverted_with(&crossing),
            "a claim past the total: 0x{}",
            hex
        );
        bump(counts, "claims past an understated total refused");
        return Ok(());
    }
    prop_assert!(r.success, "a claim within the total: 0x{}", hex);
    let after = e.c.result(t.job, t.result).unwrap();
    prop_assert_eq!((after.state, after.paid), (FINAL, before.paid + payout));
    bump(counts, "claims");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// Random histories of posts (consistent ones, understated totals whose
    /// leaves pay more than they declare, inconsistent shapes and posts by
    /// non-oracles, the last two refused with their named errors),
    /// disputes, rulings (upheld or overturned), audits, claims (each
    /// checked: paid within the total, `PayoutExceedsTotal` past an
    /// understated one), `expire` (refused before the claim period ends,
    /// then releasing exactly the unclaimed rest), early closes, lapses
    /// and a jump past the claim period: the court always holds exactly
    /// the escrow plus held bonds plus credits, reserves never exceed the
    /// escrow, and once everything is claimed or expired, closed and
    /// withdrawn it holds nothing. One result posted first is never
    /// disputed nor expired early and is claimed in full at the end, so
    /// each case must pay; each prints what it reached and fails if no
    /// claim paid.
    #[test]
    fn escrow_bonds_and_credits_stay_solvent(seed in any::<u64>()) {
        let mut rng = labelmint_quality::SplitMix::new(seed);
        let mut e = setup();
        let chain = SeedChain::new(B256::from(U256::from(seed)), 30);
        let audited = CourtJob { audit_bps: 3_000, seed: chain.commitment(), ..e.spec() };
        let spec = e.spec();
        let jobs = [e.job(&spec), e.job(&audited)];
        let mut closed = [false; 2];
        let mut jumped = false;
        // The anchor: a result never disputed nor expired early, every leaf
        // claimed at the end, so every case must pay.
        let anchor = e.post(jobs[0], 3);
        let mut trees: Vec<PayoutTree> = vec![anchor];
        let mut fixes: Vec<Option<PayoutTree>> = vec![None];
        let mut revealed = 0usize;
        let mut counts = Counts::new();
        for step in 0..24 {
            let which = rng.below(2) as usize;
            let job = jobs[which];
            match rng.below(11) {
                0 | 1 if !closed[which] => {
                    let n = 2 + rng.below(8) as usize;
                    let t = if rng.unit() < 0.2 {
                        // Understated: the leaves pay more than the total.
                        let rid = e.c.next_result(job).unwrap();
                        let t = PayoutTree::new(job, rid, sample_payouts(&e.people, n)).unwrap();
                        let mut call = t.post_call_max(B256::repeat_byte(0xde), 0);
                        call.total = t.total() - t.payouts[n - 1].payout;
                        call.maxTotal = call.total + 15_000_000_000;
                        let oracle = e.oracle;
                        ok(&e.c.send(oracle, &call, U256::ZERO).unwrap());
                        bump(&mut counts, "understated posts");
                        t
                    } else {
                        e.post_max(job, n, 15_000_000_000)
                    };
                    bump(&mut counts, "posts");
                    // Links go out in order: every pending one up to this result.
                    if which == 1 && rng.unit() < 0.8 {
                        while U256::from(revealed) < t.result {
                            revealed += 1;
                            let creator = e.creator;
                            ok(&e.c.send(creator, &ICourt::revealSeedCall { jobId: job, resultId: U256::from(revealed), seed: chain.link(revealed) }, U256::ZERO).unwrap());
                        }
                    }
                    trees.push(t);
                    fixes.push(None);
                }
                0..=2 => refused_post(&mut e, &mut rng, job, closed[which], &mut counts)?,
                3 if trees.len() > 1 => {
                    let i = 1 + rng.below(trees.len() as u64 - 1) as usize;
                    let t = trees[i].clone();
                    if e.dispute(&t, BOND).success { bump(&mut counts, "disputes"); }
                }
                4 if !trees.is_empty() => {
                    let i = rng.below(trees.len() as u64) as usize;
                    let t = trees[i].clone();
                    let fix = (rng.unit() < 0.5).then(|| PayoutTree::new(t.job, t.result, sample_payouts(&e.people, 1 + rng.below(5) as usize)).unwrap());
                    let arbiter = e.arbiter;
                    if e.rule(arbiter, &t, fix.as_ref()).success {
                        bump(&mut counts, if fix.is_some() { "overturned" } else { "upheld" });
                        if fix.is_some() { fixes[i] = fix; }
                    }
                }
                5 => e.c.warp(1_800 + rng.below(40_000)),
                6 | 7 if !trees.is_empty() => {
                    let i = rng.below(trees.len() as u64) as usize;
                    let t = fixes[i].clone().unwrap_or_else(|| trees[i].clone());
                    let leaf = rng.below(u64::from(t.leaves())) as u32;
                    claim(&mut e, &t, leaf, &mut counts)?;
                }
                8 if !trees.is_empty() => {
                    // A close refunds the free escrow; closing again later
                    // refunds what expiries have freed since.
                    let creator = e.creator;
                    let j = e.job_of(job);
                    let r = e.c.send(creator, &ICourt::closeJobCall { jobId: job }, U256::ZERO).unwrap();
                    if r.success {
                        prop_assert_eq!(logs::<ICourt::JobClosed>(&r)[0].refund, U256::from(j.escrow - j.reserved));
                        bump(&mut counts, if closed[which] { "repeated closes" } else { "early closes" });
                        closed[which] = true;
                    } else {
                        let live = e.c.read(&ICourt::jobProgressCall { jobId: job }).unwrap().live;
                        prop_assert!(r.reverted_with(&ICourt::ResultsPending { live }), "close refused: 0x{}", alloy_primitives::hex::encode(&r.output));
                    }
                }
                9 if trees.len() > 1 => {
                    let i = 1 + rng.below(trees.len() as u64 - 1) as usize;
                    let t = trees[i].clone();
                    try_expire(&mut e, &t, &mut counts)?;
                }
                10 if !jumped && rng.unit() < 0.3 => {
                    // Past every claim period so far; once, as a program
                    // not used for a year expires (ArbWasm's expiry).
                    e.c.warp(91 * 86_400);
                    jumped = true;
                    bump(&mut counts, "jumps past the claim period");
                }
                _ => {}
            }
            let held = e.c.chain.balance(e.c.court);
            prop_assert_eq!(held, owed(&mut e, &jobs, &trees), "step {}", step);
        }
        // Let every window lapse and settle everything; claim most leaves.
        e.c.warp(40 * 86_400);
        for (n, (t, fix)) in trees.iter().zip(&fixes).enumerate() {
            if let Some(v) = logs::<ICourt::Voided>(&e.finalize(t)).first() { bump(&mut counts, if v.reason == 1 { "voided disputes" } else { "voided audits" }); }
            let t = fix.as_ref().unwrap_or(t);
            for i in 0..t.leaves() {
                if n == 0 || rng.unit() < 0.8 {
                    claim(&mut e, t, i, &mut counts)?;
                }
            }
            let r = e.c.result(t.job, t.result).unwrap();
            prop_assert!(r.state != POSTED && r.state != IN_REVIEW);
            prop_assert!(r.paid <= r.total);
            if r.state == FINAL && r.claimed == r.leaves {
                prop_assert_eq!(r.paid, r.total, "every leaf of a final result claimed");
            }
            let held = e.c.chain.balance(e.c.court);
            prop_assert_eq!(held, owed(&mut e, &jobs, &trees));
        }
        // Expiry: refused inside each claim period, then releases the rest.
        for t in &trees {
            try_expire(&mut e, t, &mut counts)?;
        }
        e.c.warp(91 * 86_400);
        for t in &trees {
            try_expire(&mut e, t, &mut counts)?;
            let held = e.c.chain.balance(e.c.court);
            prop_assert_eq!(held, owed(&mut e, &jobs, &trees));
        }
        let creator = e.creator;
        for &job in &jobs {
            e.c.ok(creator, &ICourt::closeJobCall { jobId: job }, U256::ZERO).unwrap();
            prop_assert_eq!(e.job_of(job).escrow, 0);
        }
        for i in 0..10 {
            let a = e.c.chain.account(i);
            if !e.c.credit(a).unwrap().is_zero() {
                e.c.ok(a, &ICourt::withdrawCall { to: a }, U256::ZERO).unwrap();
            }
        }
        prop_assert_eq!(e.c.chain.balance(e.c.court), U256::ZERO);
        println!("court solvency case {seed:#x}: {counts:?}");
        prop_assert!(counts.get("claims").copied().unwrap_or(0) > 0, "the case paid nobody");
    }
}

#[test]
fn claims_count_accepted_labels_and_the_job_is_a_source_once_closed_and_claimed() {
    let mut e = setup();
    let spec = e.spec();
    let job = e.job(&spec);
    let tree = e.post(job, 6);
    let creator = e.creator;
    // Never while a result is posted or in review.
    assert_reverts(
        &e.c.send(creator, &ICourt::closeJobCall { jobId: job }, U256::ZERO)
            .unwrap(),
        &ICourt::ResultsPending { live: 1 },
    );
    e.c.warp(u64::from(CHALLENGE));
    let who = e.people[0];
    ok(&e.c.send(who, &tree.claim_call(0), U256::ZERO).unwrap());
    let p = e.c.read(&ICourt::jobProgressCall { jobId: job }).unwrap();
    assert_eq!(
        (p.live, p.pending, p.accepted),
        (0, 1, tree.payouts[0].labels)
    );
    // Closed, but a leaf can still be claimed: not settled yet.
    ok(&e
        .c
        .send(creator, &ICourt::closeJobCall { jobId: job }, U256::ZERO)
        .unwrap());
    let src = e.c.read(&ICourt::jobSourceCall { jobId: job }).unwrap();
    assert!(!src.settled);
    for i in 1..tree.leaves() {
        ok(&e.c.send(who, &tree.claim_call(i), U256::ZERO).unwrap());
    }
    let src = e.c.read(&ICourt::jobSourceCall { jobId: job }).unwrap();
    let total: u64 = tree.labels();
    assert_eq!(
        (
            src.creator,
            src.token,
            src.dataRoot,
            src.settled,
            u64::from(src.accepted)
        ),
        (creator, Address::ZERO, spec.data_root, true, total)
    );
    for a in e.people.clone() {
        let mine: u64 = tree
            .payouts
            .iter()
            .filter(|p| p.annotator == a)
            .map(|p| u64::from(p.labels))
            .sum();
        let got =
            e.c.read(&ICourt::acceptedLabelsCall {
                jobId: job,
                annotator: a,
            })
            .unwrap();
        assert_eq!(u64::from(got), mine);
    }
    let r = e.c.result(job, tree.result).unwrap();
    assert_eq!(r.claimed, tree.leaves());
}

/// An oracle that understates a result's total (a root whose leaves pay
/// more than the total it declares) cannot drain the escrow past that
/// total: the claim that would cross it reverts `PayoutExceedsTotal` and
/// moves nothing. And a withdrawal to a receiver that refuses ETH reverts
/// `WithdrawFailed` keeping the whole credit, which then withdraws
/// elsewhere (the shared `withdraw_credit` path of the hub and the court).
#[test]
fn an_understated_total_stops_claims_at_it_and_a_refused_withdrawal_keeps_the_credit() {
    let mut e = setup();
    let spec = e.spec();
    let job = e.job(&spec);
    let rid = e.c.next_result(job).unwrap();
    let tree = PayoutTree::new(job, rid, sample_payouts(&e.people, 4)).unwrap();
    let declared: u128 = tree.payouts[..3].iter().map(|p| p.payout).sum();
    let mut call = tree.post_call(B256::ZERO);
    call.total = declared;
    call.maxTotal = declared;
    let oracle = e.oracle;
    ok(&e.c.send(oracle, &call, U256::ZERO).unwrap());
    e.c.warp(u64::from(CHALLENGE));
    let who = e.people[0];
    for i in 0..3 {
        ok(&e.c.send(who, &tree.claim_call(i), U256::ZERO).unwrap());
    }
    let last = tree.payouts[3].annotator;
    let (job_before, credit_before) = (e.job_of(job), e.c.credit(last).unwrap());
    let r = e.c.send(who, &tree.claim_call(3), U256::ZERO).unwrap();
    assert_reverts(
        &r,
        &ICourt::PayoutExceedsTotal {
            paid: U256::from(declared + tree.payouts[3].payout),
            total: U256::from(declared),
        },
    );
    let job_after = e.job_of(job);
    assert_eq!(
        (job_after.escrow, job_after.reserved),
        (job_before.escrow, job_before.reserved)
    );
    assert_eq!(e.c.credit(last).unwrap(), credit_before);
    assert!(!e
        .c
        .read(&ICourt::isClaimedCall {
            jobId: job,
            resultId: rid,
            index: 3
        })
        .unwrap());
    assert_eq!(
        job_after.escrow,
        ESCROW - declared,
        "paid exactly the declared total"
    );

    // A receiver whose code refuses every ETH transfer.
    let creator = e.creator;
    let refusing =
        e.c.chain
            .deploy_wasm(creator, &common::wallet::program("(i32.const 1)", ""), None)
            .unwrap()
            .0;
    let a = tree.payouts[0].annotator;
    let owed = e.c.credit(a).unwrap();
    assert!(owed > U256::ZERO);
    let r =
        e.c.send(a, &ICourt::withdrawCall { to: refusing }, U256::ZERO)
            .unwrap();
    assert_reverts(&r, &ICourt::WithdrawFailed { to: refusing });
    assert_eq!(
        e.c.credit(a).unwrap(),
        owed,
        "the refused withdrawal keeps the credit"
    );
    assert_eq!(e.c.chain.balance(refusing), U256::ZERO);
    let elsewhere = e.disputer;
    let before = e.c.chain.balance(elsewhere);
    let r =
        e.c.send(a, &ICourt::withdrawCall { to: elsewhere }, U256::ZERO)
            .unwrap();
    ok(&r);
    let w = logs::<ICourt::Withdrawn>(&r);
    assert_eq!((w[0].account, w[0].to, w[0].amount), (a, elsewhere, owed));
    assert_eq!(e.c.chain.balance(elsewhere), before + owed);
    assert_eq!(e.c.credit(a).unwrap(), U256::ZERO);
}
