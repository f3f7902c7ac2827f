//! Provenance from every job kind (issue #16, item 1): the DatasetRegistry
//! publishes and sells datasets whose source is a QualityHub job or a
//! QualityCourt job, through the same `jobSource` / `acceptedLabels` view
//! the market implements; royalties go to the annotators pro rata to their
//! accepted labels; unsettled jobs and other creators' jobs are refused
//! with named errors. Real wasm of every program on one embedded chain.
#![allow(missing_docs, clippy::too_many_lines)]

mod common;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolConstructor};
use common::{assert_reverts, ok};
use labelmint::{
    artifacts,
    court::{court_terms, CourtJob, CourtWasm, ICourt, Payout, PayoutTree, COURT_CHALLENGE_WINDOW},
    hub::{Hub, HubJob, IHub, Vote},
    market::send_to,
    registry::{DatasetRegistryConstructor, IRegistry, Publication},
};
use labelmint_devnet::Receipt;

struct World {
    h: Hub,
    registry: Address,
    court: Address,
    creator: Address,
    buyer: Address,
}

fn world() -> World {
    let mut h = Hub::deploy(false).unwrap();
    let admin = h.m.admin;
    let market = h.m.market;
    let (wasm, _) = artifacts::program("dataset_registry").unwrap();
    let args = DatasetRegistryConstructor::constructorCall { admin, market }.abi_encode();
    let (registry, _) = h.m.chain.deploy_wasm(admin, &wasm, Some(&args)).unwrap();
    let (court, _) = CourtWasm::load()
        .unwrap()
        .deploy(&mut h.m.chain, admin, market)
        .unwrap();
    let hub = h.hub;
    for source in [hub, court] {
        let r = send_to(
            &mut h.m.chain,
            admin,
            registry,
            &IRegistry::setJobSourceCall {
                source,
                enabled: true,
            },
            U256::ZERO,
        )
        .unwrap();
        ok(&r);
    }
    let creator = h.m.chain.account(0);
    let buyer = h.m.chain.account(6);
    World {
        h,
        registry,
        court,
        creator,
        buyer,
    }
}

impl World {
    fn registry(&mut self, from: Address, call: &impl SolCall, value: U256) -> Receipt {
        send_to(&mut self.h.m.chain, from, self.registry, call, value).unwrap()
    }

    fn court(&mut self, from: Address, call: &impl SolCall, value: U256) -> Receipt {
        send_to(&mut self.h.m.chain, from, self.court, call, value).unwrap()
    }

    fn publish(&mut self, from: Address, source: Address, job: U256, root: u8) -> Receipt {
        let call = Publication {
            root: B256::repeat_byte(root),
            source,
            job,
            ..Publication::default()
        }
        .call();
        self.registry(from, &call, U256::ZERO)
    }

    /// Buys a licence at the listed price; returns the royalty per share.
    fn sell(&mut self, dataset: U256) -> U256 {
        let price = U256::from(Publication::default().price);
        let buyer = self.buyer;
        let r = self.registry(
            buyer,
            &IRegistry::purchaseCall {
                datasetId: dataset,
                licensee: buyer,
                token: Address::ZERO,
                maxPrice: price.to(),
            },
            price,
        );
        ok(&r);
        let d = self
            .h
            .m
            .chain
            .read(
                self.registry,
                &IRegistry::getDatasetCall { datasetId: dataset },
            )
            .unwrap();
        price * U256::from(d.royaltyBps) / U256::from(10_000) / U256::from(d.shares)
    }

    /// `who` withdraws its royalties of `job` from `source`; the ETH received.
    fn royalties(&mut self, who: Address, source: Address, job: U256) -> U256 {
        let before = self.h.m.chain.balance(who);
        let r = self.registry(
            who,
            &IRegistry::withdrawRoyaltiesCall {
                source,
                jobId: job,
                token: Address::ZERO,
                to: who,
            },
            U256::ZERO,
        );
        ok(&r);
        self.h.m.chain.balance(who) - before
    }
}

fn dataset_id(r: &Receipt) -> U256 {
    ok(r);
    IRegistry::publishCall::abi_decode_returns(&r.output).unwrap()
}

#[test]
fn a_hub_job_is_published_and_sold_with_royalties_to_its_agreeing_annotators() {
    let mut w = world();
    let creator = w.creator;
    let p: Vec<Address> = (1..=3).map(|i| w.h.m.chain.account(i)).collect();
    let spec = HubJob {
        tasks: 4,
        gold: vec![(3, 0)],
        ..HubJob::default()
    };
    for &a in &p {
        w.h.fund_and_stake(a, 4 * spec.stake).unwrap();
    }
    let job = w.h.create(creator, &spec).unwrap();
    // a and b agree on 3 tasks each, c on 1.
    let ballots: [[u8; 3]; 3] = [[1, 0, 3], [1, 0, 3], [2, 2, 3]];
    let votes: Vec<Vote> = p
        .iter()
        .zip(ballots)
        .map(|(&a, l)| w.h.commit(a, job, &[0, 1, 2], &l).unwrap().1.unwrap())
        .collect();
    let at = w.h.job(job).unwrap().commitEnd;
    w.h.warp_to(at);
    for v in &votes {
        ok(&w.h.reveal(v).unwrap());
    }
    let at = w.h.job(job).unwrap().revealEnd;
    w.h.warp_to(at);
    for v in &votes {
        ok(&w.h.settle(v.annotator, v).unwrap());
    }
    let hub = w.h.hub;
    // Not settled until the job is closed.
    assert_reverts(
        &w.publish(creator, hub, job, 0xa1),
        &IRegistry::JobNotSettled { jobId: job },
    );
    let at = w.h.job(job).unwrap().settleEnd;
    w.h.warp_to(at);
    ok(&w
        .h
        .send(creator, &IHub::closeJobCall { jobId: job }, U256::ZERO)
        .unwrap());
    // Only the job's creator publishes it.
    assert_reverts(
        &w.publish(p[0], hub, job, 0xa1),
        &IRegistry::NotJobCreator {
            jobId: job,
            creator,
        },
    );
    let dataset = dataset_id(&w.publish(creator, hub, job, 0xa1));
    let d =
        w.h.m
            .chain
            .read(
                w.registry,
                &IRegistry::getDatasetCall { datasetId: dataset },
            )
            .unwrap();
    assert_eq!(
        (d.source, d.shares, d.dataRoot),
        (hub, 7, spec.data_root),
        "7 agreeing votes are the royalty shares"
    );
    let per_share = w.sell(dataset);
    for (&a, agreed) in p.iter().zip([3u64, 3, 1]) {
        assert_eq!(w.royalties(a, hub, job), per_share * U256::from(agreed));
    }
}

#[test]
fn a_court_job_is_published_once_closed_and_claimed_with_royalties_per_accepted_label() {
    let mut w = world();
    let creator = w.creator;
    let (oracle, arbiter) = (w.h.m.chain.account(7), w.h.m.chain.account(5));
    let people: Vec<Address> = (1..=3).map(|i| w.h.m.chain.account(i)).collect();
    let market = w.h.m.market;
    let r = send_to(
        &mut w.h.m.chain,
        arbiter,
        market,
        &court_terms(),
        U256::ZERO,
    )
    .unwrap();
    ok(&r);
    let terms = labelmint::market::IMarket::registerArbiterTermsCall::abi_decode_returns(&r.output)
        .unwrap();
    let spec = CourtJob::new(oracle, terms);
    let r = w.court(creator, &spec.call(), U256::from(10u128.pow(18)));
    ok(&r);
    let job = ICourt::createJobCall::abi_decode_returns(&r.output).unwrap();
    let court = w.court;
    let payouts: Vec<Payout> = people
        .iter()
        .zip([(4u32, 4_000u128), (2, 2_000), (1, 1_000)])
        .map(|(&annotator, (labels, payout))| Payout {
            annotator,
            payout,
            labels,
            verdicts: B256::repeat_byte(labels as u8),
        })
        .collect();
    let tree = PayoutTree::new(job, U256::from(1), payouts).unwrap();
    ok(&w.court(oracle, &tree.post_call(B256::ZERO), U256::ZERO));
    assert_reverts(
        &w.publish(creator, court, job, 0xb1),
        &IRegistry::JobNotSettled { jobId: job },
    );
    w.h.warp(u64::from(COURT_CHALLENGE_WINDOW));
    ok(&w.court(oracle, &tree.claim_call(0), U256::ZERO));
    ok(&w.court(creator, &ICourt::closeJobCall { jobId: job }, U256::ZERO));
    // Closed, but leaves 1 and 2 are unclaimed: the accepted labels can still grow.
    assert_reverts(
        &w.publish(creator, court, job, 0xb1),
        &IRegistry::JobNotSettled { jobId: job },
    );
    for i in 1..3 {
        ok(&w.court(oracle, &tree.claim_call(i), U256::ZERO));
    }
    assert_reverts(
        &w.publish(people[0], court, job, 0xb1),
        &IRegistry::NotJobCreator {
            jobId: job,
            creator,
        },
    );
    let dataset = dataset_id(&w.publish(creator, court, job, 0xb1));
    let per_share = w.sell(dataset);
    for (&a, labels) in people.iter().zip([4u64, 2, 1]) {
        assert_eq!(w.royalties(a, court, job), per_share * U256::from(labels));
    }
    // An unknown job of a known source has no creator.
    assert_reverts(
        &w.publish(creator, court, U256::from(9), 0xb2),
        &IRegistry::NotJobCreator {
            jobId: U256::from(9),
            creator: Address::ZERO,
        },
    );
}

/// Rewards by difficulty (#16 item 6): a QualityHub job whose first 12
/// tasks weigh 1 and last 8 weigh 3 escrows `k × reward × 36`, pays each
/// agreeing vote its task's weight times the reward, counts accepted labels
/// (royalty shares, reputation) by weight, and the registry pays royalties
/// pro rata to those weighted labels.
#[test]
fn a_job_mixing_easy_and_hard_tasks_escrows_pays_and_shares_royalties_by_weight() {
    let mut w = world();
    let creator = w.creator;
    let p: Vec<Address> = (1..=3).map(|i| w.h.m.chain.account(i)).collect();
    let truth: Vec<u8> = (0..20u32).map(|t| (t % 4) as u8).collect();
    let spec = HubJob {
        difficulty: vec![(12, 1), (20, 3)],
        // Covers the most one vote on a hard task can earn: 3 × bounty / 2.
        stake: 5_000_000_000_000,
        ..HubJob::sized(20, &truth)
    };
    assert_eq!(spec.units(), 12 + 8 * 3);
    for &a in &p {
        w.h.fund_and_stake(a, 20 * spec.stake).unwrap();
    }
    let before = w.h.tokens(creator).unwrap();
    w.h.fund(creator, spec.deposit()).unwrap();
    let r =
        w.h.send(creator, &spec.weighted_call(creator), U256::ZERO)
            .unwrap();
    ok(&r);
    let job = IHub::createWeightedJobCall::abi_decode_returns(&r.output).unwrap();
    // Escrow k × reward × 36 and the bond were taken, nothing more.
    assert_eq!(w.h.tokens(creator).unwrap(), before);
    let accounts = w.h.read(&IHub::jobAccountsCall { jobId: job }).unwrap();
    assert_eq!(
        U256::from(accounts.escrow),
        U256::from(spec.bounty()) * U256::from(36u64)
    );
    let logged = r
        .logs
        .iter()
        .find_map(|l| {
            <IHub::JobDifficulty as alloy_sol_types::SolEvent>::decode_log_data(&l.data).ok()
        })
        .expect("JobDifficulty emitted");
    assert_eq!(logged.difficulty, spec.difficulty_bytes());
    for (t, weight) in [(0u32, 1u8), (11, 1), (12, 3), (19, 3), (20, 0)] {
        let got =
            w.h.read(&IHub::taskWeightCall {
                jobId: job,
                taskId: t,
            })
            .unwrap();
        assert_eq!(got, weight, "task {t}");
    }

    // Annotators 1 and 2 label the truth; 3 is wrong on easy task 1 and
    // hard task 13 (neither is gold).
    let tasks: Vec<u32> = (0..20).collect();
    let mut third = truth.clone();
    third[1] = (truth[1] + 1) % 4;
    third[13] = (truth[13] + 1) % 4;
    let votes: Vec<Vote> = p
        .iter()
        .zip([&truth, &truth, &third])
        .map(|(&a, l)| w.h.commit(a, job, &tasks, l).unwrap().1.unwrap())
        .collect();
    let at = w.h.job(job).unwrap().commitEnd;
    w.h.warp_to(at);
    for v in &votes {
        ok(&w.h.reveal(v).unwrap());
    }
    ok(&w
        .h
        .send(creator, &spec.reveal_gold(job), U256::ZERO)
        .unwrap());
    let at = w.h.job(job).unwrap().rulingEnd;
    w.h.warp_to(at);
    for v in &votes {
        ok(&w.h.settle(v.annotator, v).unwrap());
    }
    // Pay per agreeing vote: the task's bounty × weight shared by the
    // agreeing votes (never fewer than the 2 that can win).
    let pay = |agreeing: u128, weight: u128| spec.bounty() * weight / agreeing.max(2);
    let mut expect = [0u128; 3];
    for t in 0..20u32 {
        let weight = u128::from(spec.weight(t));
        if t == 1 || t == 13 {
            expect[0] += pay(2, weight);
            expect[1] += pay(2, weight);
        } else {
            for e in &mut expect {
                *e += pay(3, weight);
            }
        }
    }
    for (a, e) in p.iter().zip(expect) {
        assert_eq!(w.h.credit(*a).unwrap(), e, "pay of {a}");
    }
    // Accepted labels by weight: 36, 36 and 36 − 1 − 3 = 32.
    for (&a, units) in p.iter().zip([36u32, 36, 32]) {
        let accepted =
            w.h.read(&IHub::acceptedLabelsCall {
                jobId: job,
                annotator: a,
            })
            .unwrap();
        assert_eq!(accepted, units);
        let rec =
            w.h.read(&IHub::recordOfCall {
                jobId: job,
                annotator: a,
            })
            .unwrap();
        assert_eq!((rec.agreed, rec.judged), (units, 36));
    }

    // Closed, published and sold: royalties per weighted label.
    let at = w.h.job(job).unwrap().settleEnd;
    w.h.warp_to(at);
    ok(&w
        .h
        .send(creator, &IHub::closeJobCall { jobId: job }, U256::ZERO)
        .unwrap());
    let hub = w.h.hub;
    let dataset = dataset_id(&w.publish(creator, hub, job, 0xc1));
    let d =
        w.h.m
            .chain
            .read(
                w.registry,
                &IRegistry::getDatasetCall { datasetId: dataset },
            )
            .unwrap();
    assert_eq!(d.shares, 36 + 36 + 32);
    let per_share = w.sell(dataset);
    for (&a, units) in p.iter().zip([36u64, 36, 32]) {
        assert_eq!(w.royalties(a, hub, job), per_share * U256::from(units));
    }
}

/// Malformed difficulty classes are refused with `InvalidParameter(13)`,
/// and a stake that covers an easy vote but not a hard one with
/// `InvalidParameter(10)`; nothing is escrowed.
#[test]
fn malformed_difficulty_classes_and_stakes_below_the_hardest_vote_are_refused() {
    let mut w = world();
    let creator = w.creator;
    let base = HubJob {
        stake: 5_000_000_000_000,
        ..HubJob::sized(20, &[])
    };
    let bad: [(&str, Vec<(u32, u8)>); 5] = [
        ("ends not ascending", vec![(12, 1), (12, 3), (20, 2)]),
        ("last end short of taskCount", vec![(12, 1), (19, 3)]),
        ("last end past taskCount", vec![(12, 1), (21, 3)]),
        ("zero weight", vec![(12, 0), (20, 3)]),
        (
            "five classes",
            vec![(2, 1), (4, 1), (6, 1), (8, 1), (20, 1)],
        ),
    ];
    for (why, difficulty) in bad {
        let spec = HubJob {
            difficulty,
            ..base.clone()
        };
        let before = w.h.tokens(creator).unwrap();
        let r = w.h.try_create(creator, &spec).unwrap();
        assert_reverts(&r, &IHub::InvalidParameter { field: 13 });
        assert_eq!(
            w.h.tokens(creator).unwrap(),
            before + spec.deposit(),
            "{why}: nothing escrowed"
        );
    }
    // No class at all, and a ragged encoding.
    let mut call = base.weighted_call(creator);
    for raw in [vec![], vec![0, 0, 0, 20, 1, 7]] {
        call.difficulty = raw.into();
        w.h.fund(creator, base.deposit()).unwrap();
        let r = w.h.send(creator, &call, U256::ZERO).unwrap();
        assert_reverts(&r, &IHub::InvalidParameter { field: 13 });
    }
    // Weight 3 needs stake ≥ 3 × bounty / 2 = 4.5e12; 4e12 is short.
    let short = HubJob {
        difficulty: vec![(12, 1), (20, 3)],
        stake: 4_000_000_000_000,
        ..base.clone()
    };
    let r = w.h.try_create(creator, &short).unwrap();
    assert_reverts(&r, &IHub::InvalidParameter { field: 10 });
    // The same stake is enough for a uniform job.
    let uniform = HubJob {
        stake: 4_000_000_000_000,
        ..base
    };
    ok(&w.h.try_create(creator, &uniform).unwrap());
}
