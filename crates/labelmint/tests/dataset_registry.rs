//! The real DatasetRegistry wasm next to the real AnnotationMarket and
//! RewardToken on the embedded chain: provenance, versions, licences,
//! purchases in ETH and ERC-20, and royalties to the wei.
#![allow(missing_docs, clippy::too_many_lines)]

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolCall;
use labelmint::{
    market::{IMarket, JobSpec},
    registry::{IRegistry, Marketplace, Publication},
    sign_permit, IRewardToken, Permit,
};
use labelmint_devnet::chain::DEFAULT_TX_GAS;
use proptest::prelude::*;

mod common;
use common::{assert_reverts, logs, ok};

struct World {
    p: Marketplace,
    creator: Address,
    annotators: Vec<Address>,
    buyers: Vec<Address>,
    job: U256,
}

/// A completed job of account 1 with annotators 2, 3, 4 approved for 1, 2
/// and 3 tasks.
fn world() -> World {
    let mut p = Marketplace::deploy(false).unwrap();
    let creator = p.m.chain.account(1);
    let annotators: Vec<Address> = (2..5).map(|i| p.m.chain.account(i)).collect();
    let approvals: Vec<(Address, u32)> = annotators
        .iter()
        .zip([1, 2, 3])
        .map(|(a, n)| (*a, n))
        .collect();
    let job = p.settled_job(creator, &approvals).unwrap();
    let buyers = (5..9).map(|i| p.m.chain.account(i)).collect();
    World {
        p,
        creator,
        annotators,
        buyers,
        job,
    }
}

fn publish(w: &mut World, p: &Publication) -> U256 {
    let creator = w.creator;
    let (r, id) = w.p.publish(creator, p).unwrap();
    ok(&r);
    id.unwrap()
}

fn dataset(w: &mut World, id: U256) -> IRegistry::getDatasetReturn {
    w.p.read(&IRegistry::getDatasetCall { datasetId: id })
        .unwrap()
}

fn has_license(w: &mut World, id: U256, who: Address) -> bool {
    w.p.read(&IRegistry::hasLicenseCall {
        datasetId: id,
        account: who,
    })
    .unwrap()
}

#[test]
fn publish_links_the_settled_job_and_its_data_root() {
    let mut w = world();
    let job = w.job;
    let id = publish(
        &mut w,
        &Publication {
            job,
            ..Publication::default()
        },
    );
    let d = dataset(&mut w, id);
    assert_eq!(d.publisher, w.creator);
    assert_eq!(d.rootHash, Publication::default().root);
    assert_eq!(d.dataRoot, B256::repeat_byte(0xd7), "the job's data root");
    assert_eq!(d.sourceJobId, job);
    assert_eq!((d.shares, d.royaltyBps, d.feeBps), (6, 2000, 0));
    assert!(!d.isExternal && d.listed);
    assert_eq!(
        w.p.read(&IRegistry::datasetByRootCall {
            publisher: w.creator,
            rootHash: Publication::default().root
        })
        .unwrap(),
        id
    );
    assert_eq!(
        w.p.read(&IRegistry::datasetCountCall {}).unwrap(),
        U256::from(1)
    );
}

#[test]
fn provenance_cannot_be_faked() {
    let mut w = world();
    let job = w.job;
    let attacker = w.buyers[0];
    // Claiming a foreign job.
    let (r, _) =
        w.p.publish(
            attacker,
            &Publication {
                job,
                ..Publication::default()
            },
        )
        .unwrap();
    assert_reverts(
        &r,
        &IRegistry::NotJobCreator {
            jobId: job,
            creator: w.creator,
        },
    );
    // An unknown job has no creator.
    let (r, _) =
        w.p.publish(
            attacker,
            &Publication {
                job: U256::from(99),
                ..Publication::default()
            },
        )
        .unwrap();
    assert_reverts(
        &r,
        &IRegistry::NotJobCreator {
            jobId: U256::from(99),
            creator: Address::ZERO,
        },
    );
    // Publishing before settlement: a job with work still pending.
    let creator = w.creator;
    let (open_job, _) =
        w.p.m
            .create_job(
                creator,
                &JobSpec {
                    tasks: 4,
                    ..JobSpec::default()
                },
            )
            .unwrap();
    let (r, _) = w.p.m.submit(w.annotators[0], open_job, &[0], &[1]).unwrap();
    ok(&r);
    let (r, _) =
        w.p.publish(
            creator,
            &Publication {
                job: open_job,
                ..Publication::default()
            },
        )
        .unwrap();
    assert_reverts(&r, &IRegistry::JobNotSettled { jobId: open_job });
    // A publisher lists a root once; someone else's listing of the same
    // root is its own (external) listing and takes nothing from this one.
    let id = publish(
        &mut w,
        &Publication {
            job,
            ..Publication::default()
        },
    );
    let (r, _) = w.p.publish(creator, &Publication::default()).unwrap();
    assert_reverts(
        &r,
        &IRegistry::RootAlreadyPublished {
            rootHash: Publication::default().root,
            datasetId: id,
        },
    );
    let (r, copy) = w.p.publish(attacker, &Publication::default()).unwrap();
    ok(&r);
    assert!(dataset(&mut w, copy.unwrap()).isExternal);
    // A job needs its source, and a source needs its job.
    let (r, _) =
        w.p.publish(
            creator,
            &Publication {
                root: B256::repeat_byte(3),
                source: w.p.m.market,
                ..Publication::default()
            },
        )
        .unwrap();
    assert_reverts(&r, &IRegistry::InvalidParameter { field: 8 });
    // Malformed publications.
    let (r, _) =
        w.p.publish(
            creator,
            &Publication {
                root: B256::ZERO,
                ..Publication::default()
            },
        )
        .unwrap();
    assert_reverts(&r, &IRegistry::InvalidParameter { field: 1 });
    let (r, _) =
        w.p.publish(
            creator,
            &Publication {
                root: B256::repeat_byte(2),
                format: 4,
                ..Publication::default()
            },
        )
        .unwrap();
    assert_reverts(&r, &IRegistry::InvalidParameter { field: 2 });
}

#[test]
fn a_cancelled_job_with_settled_work_can_be_published() {
    let mut w = world();
    let creator = w.creator;
    let (job, _) =
        w.p.m
            .create_job(
                creator,
                &JobSpec {
                    tasks: 4,
                    ..JobSpec::default()
                },
            )
            .unwrap();
    let (r, b) =
        w.p.m
            .submit(w.annotators[0], job, &[0, 1], &[1, 1])
            .unwrap();
    ok(&r);
    ok(&w.p.m.review(creator, &b.unwrap(), &[]).unwrap());
    ok(&w
        .p
        .m
        .send(creator, &IMarket::cancelJobCall { jobId: job }, U256::ZERO)
        .unwrap());
    let id = publish(
        &mut w,
        &Publication {
            job,
            ..Publication::default()
        },
    );
    assert_eq!(dataset(&mut w, id).shares, 2);
}

#[test]
fn external_datasets_are_marked_and_pay_the_publisher_only() {
    let mut w = world();
    let id = publish(&mut w, &Publication::default());
    let d = dataset(&mut w, id);
    assert!(d.isExternal);
    assert_eq!(
        (d.sourceJobId, d.shares, d.royaltyBps, d.dataRoot),
        (U256::ZERO, 0, 0, B256::ZERO)
    );
    let price = U256::from(Publication::default().price);
    let buyer = w.buyers[0];
    let r = w.p.purchase(buyer, id, buyer, price).unwrap();
    ok(&r);
    assert_eq!(
        logs::<IRegistry::LicensePurchased>(&r)[0].royalty,
        U256::ZERO
    );
    let credit =
        w.p.read(&IRegistry::creditOfCall {
            token: Address::ZERO,
            account: w.creator,
        })
        .unwrap();
    assert_eq!(credit, price);
}

#[test]
fn purchase_takes_the_exact_price_and_records_the_licence() {
    let mut w = world();
    let job = w.job;
    let id = publish(
        &mut w,
        &Publication {
            job,
            ..Publication::default()
        },
    );
    let price = U256::from(Publication::default().price);
    let (buyer, service) = (w.buyers[0], w.buyers[1]);
    assert_reverts(
        &w.p.purchase(buyer, id, buyer, price - U256::from(1))
            .unwrap(),
        &IRegistry::InsufficientPayment {
            price,
            paid: price - U256::from(1),
        },
    );
    assert_reverts(
        &w.p.purchase(buyer, id, Address::ZERO, price).unwrap(),
        &IRegistry::ZeroAddress {},
    );
    assert_reverts(
        &w.p.purchase(buyer, U256::from(9), buyer, price).unwrap(),
        &IRegistry::DatasetNotFound {
            datasetId: U256::from(9),
        },
    );
    // Overpay, buying for a training service.
    let before = w.p.m.chain.balance(buyer);
    let r =
        w.p.purchase(buyer, id, service, price + U256::from(777))
            .unwrap();
    ok(&r);
    let e = &logs::<IRegistry::LicensePurchased>(&r)[0];
    assert_eq!((e.buyer, e.licensee, e.price), (buyer, service, price));
    assert_eq!(before - w.p.m.chain.balance(buyer), price + U256::from(777));
    assert!(has_license(&mut w, id, service));
    assert!(!has_license(&mut w, id, buyer));
    let l =
        w.p.read(&IRegistry::licenseOfCall {
            datasetId: id,
            account: service,
        })
        .unwrap();
    assert_eq!(l.purchasedVersion, id);
    assert!(l.purchasedAt > 0);
    // The excess is the buyer's, withdrawable.
    let credit =
        w.p.read(&IRegistry::creditOfCall {
            token: Address::ZERO,
            account: buyer,
        })
        .unwrap();
    assert_eq!(credit, U256::from(777));
    let r =
        w.p.send(
            buyer,
            &IRegistry::withdrawCall {
                token: Address::ZERO,
                to: buyer,
            },
            U256::ZERO,
        )
        .unwrap();
    ok(&r);
    assert_reverts(
        &w.p.send(
            buyer,
            &IRegistry::withdrawCall {
                token: Address::ZERO,
                to: buyer,
            },
            U256::ZERO,
        )
        .unwrap(),
        &IRegistry::NothingToWithdraw {},
    );
    // One licence per licensee.
    assert_reverts(
        &w.p.purchase(buyer, id, service, price).unwrap(),
        &IRegistry::AlreadyLicensed {
            datasetId: id,
            licensee: service,
        },
    );
}

#[test]
fn versions_carry_licences_only_when_chosen() {
    let mut w = world();
    let job = w.job;
    let v1 = publish(
        &mut w,
        &Publication {
            job,
            ..Publication::default()
        },
    );
    let price = U256::from(Publication::default().price);
    let buyer = w.buyers[0];
    ok(&w.p.purchase(buyer, v1, buyer, price).unwrap());
    let v2 = publish(
        &mut w,
        &Publication {
            root: B256::repeat_byte(0xb2),
            job,
            previous: v1,
            carry: true,
            ..Publication::default()
        },
    );
    let v3 = publish(
        &mut w,
        &Publication {
            root: B256::repeat_byte(0xb3),
            job,
            previous: v2,
            carry: false,
            ..Publication::default()
        },
    );
    assert_eq!(dataset(&mut w, v2).previousVersion, v1);
    assert!(dataset(&mut w, v2).carryLicenses);
    assert!(has_license(&mut w, v2, buyer), "carried over");
    assert!(!has_license(&mut w, v3, buyer), "not carried");
    assert_reverts(
        &w.p.purchase(buyer, v2, buyer, price).unwrap(),
        &IRegistry::AlreadyLicensed {
            datasetId: v2,
            licensee: buyer,
        },
    );
    ok(&w.p.purchase(buyer, v3, buyer, price).unwrap());
    // Another publisher cannot extend this line.
    let other = w.buyers[3];
    let (r, _) =
        w.p.publish(
            other,
            &Publication {
                root: B256::repeat_byte(0xb4),
                previous: v3,
                ..Publication::default()
            },
        )
        .unwrap();
    assert_reverts(&r, &IRegistry::InvalidParameter { field: 3 });
}

#[test]
fn price_changes_and_delisting_keep_sold_licences() {
    let mut w = world();
    let job = w.job;
    let id = publish(
        &mut w,
        &Publication {
            job,
            ..Publication::default()
        },
    );
    let price = U256::from(Publication::default().price);
    let (b0, b1) = (w.buyers[0], w.buyers[1]);
    ok(&w.p.purchase(b0, id, b0, price).unwrap());
    assert_reverts(
        &w.p.send(
            b0,
            &IRegistry::setPriceCall {
                datasetId: id,
                price: 1,
            },
            U256::ZERO,
        )
        .unwrap(),
        &IRegistry::Unauthorized { account: b0 },
    );
    let creator = w.creator;
    let r =
        w.p.send(
            creator,
            &IRegistry::setPriceCall {
                datasetId: id,
                price: 5,
            },
            U256::ZERO,
        )
        .unwrap();
    ok(&r);
    assert_eq!(logs::<IRegistry::PriceChanged>(&r)[0].price, 5);
    ok(&w
        .p
        .send(
            creator,
            &IRegistry::setListedCall {
                datasetId: id,
                listed: false,
            },
            U256::ZERO,
        )
        .unwrap());
    assert!(!dataset(&mut w, id).listed);
    assert_reverts(
        &w.p.purchase(b1, id, b1, U256::from(5)).unwrap(),
        &IRegistry::DatasetDelisted { datasetId: id },
    );
    assert!(
        has_license(&mut w, id, b0),
        "sold licences survive delisting"
    );
    ok(&w
        .p
        .send(
            creator,
            &IRegistry::setListedCall {
                datasetId: id,
                listed: true,
            },
            U256::ZERO,
        )
        .unwrap());
    ok(&w.p.purchase(b1, id, b1, U256::from(5)).unwrap());
}

#[test]
fn token_purchase_with_permit_in_one_call() {
    let mut w = world();
    let job = w.job;
    let token = w.p.m.token;
    let price = 3_000_000_000_000_000_000u128;
    let id = publish(
        &mut w,
        &Publication {
            job,
            token,
            price,
            ..Publication::default()
        },
    );
    let buyer = w.buyers[0];
    w.p.m.mint(buyer, U256::from(price)).unwrap();
    assert_reverts(
        &w.p.purchase(buyer, id, buyer, U256::from(1)).unwrap(),
        &IRegistry::NotPayable {},
    );
    assert_reverts(
        &w.p.purchase(buyer, id, buyer, U256::ZERO).unwrap(),
        &IRegistry::TokenCallFailed { token },
    );
    let key = w.p.m.chain.accounts()[5].key;
    let deadline = U256::from(w.p.m.chain.timestamp() + 600);
    let registry = w.p.registry;
    let permit = sign_permit(
        &key,
        token,
        w.p.m.chain.chain_id(),
        Permit {
            owner: buyer,
            spender: registry,
            value: U256::from(price),
            nonce: U256::ZERO,
            deadline,
        },
    )
    .unwrap();
    let blob = labelmint::permit_blob(&permit);
    let call = IRegistry::purchaseWithPermitCall {
        datasetId: id,
        licensee: buyer,
        token,
        maxPrice: price,
        permit: blob.into(),
    };
    let r = w.p.send(buyer, &call, U256::ZERO).unwrap();
    ok(&r);
    assert!(has_license(&mut w, id, buyer));
    let held =
        w.p.m
            .chain
            .read(token, &IRewardToken::balanceOfCall { account: registry })
            .unwrap();
    assert_eq!(held, U256::from(price));
    // Royalties and proceeds in tokens, withdrawn by their owners.
    let a = w.annotators[2];
    let r =
        w.p.send(
            a,
            &IRegistry::withdrawRoyaltiesCall {
                source: w.p.m.market,
                jobId: job,
                token,
                to: a,
            },
            U256::ZERO,
        )
        .unwrap();
    ok(&r);
    let got =
        w.p.m
            .chain
            .read(token, &IRewardToken::balanceOfCall { account: a })
            .unwrap();
    // 20 % of the price over 6 shares, annotator 3 holds 3 of them.
    assert_eq!(got, U256::from(price / 5 / 6 * 3));
}

/// Many sales, several annotators, a platform fee: every wei received is
/// paid out or withdrawable, and the registry ends empty after everyone
/// withdraws. Gas of a purchase does not grow with the number of annotators.
#[test]
fn royalties_add_up_to_the_wei() {
    let mut p = Marketplace::deploy(false).unwrap();
    let creator = p.m.chain.account(1);
    let fee_to = p.m.chain.account(9);
    let admin = p.m.admin;
    assert_reverts(
        &p.send(
            admin,
            &IRegistry::setFeeCall {
                recipient: fee_to,
                bps: 1001,
            },
            U256::ZERO,
        )
        .unwrap(),
        &IRegistry::InvalidParameter { field: 4 },
    );
    assert_reverts(
        &p.send(
            creator,
            &IRegistry::setFeeCall {
                recipient: fee_to,
                bps: 100,
            },
            U256::ZERO,
        )
        .unwrap(),
        &IRegistry::Unauthorized { account: creator },
    );
    ok(&p
        .send(
            admin,
            &IRegistry::setFeeCall {
                recipient: fee_to,
                bps: 250,
            },
            U256::ZERO,
        )
        .unwrap());
    let annotators: Vec<(Address, u32)> = (2..7)
        .map(|i| (p.m.chain.account(i), u32::try_from(i * 7 - 3).unwrap()))
        .collect();
    let job = p.settled_job(creator, &annotators).unwrap();
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
    let id = id.unwrap();
    let mut received = U256::ZERO;
    let mut royalty_total = U256::ZERO;
    let mut gas = Vec::new();
    let prices = [
        10_000_000_000_000_001u128,
        3,
        999_999_999_999_999_999,
        123_456_789,
        7,
    ];
    for (i, price) in prices.iter().enumerate() {
        ok(&p
            .send(
                creator,
                &IRegistry::setPriceCall {
                    datasetId: id,
                    price: *price,
                },
                U256::ZERO,
            )
            .unwrap());
        let buyer = Address::repeat_byte(0x40 + u8::try_from(i).unwrap());
        p.m.chain.set_balance(buyer, U256::from(10u128.pow(20)));
        let r = p.purchase(buyer, id, buyer, U256::from(*price)).unwrap();
        ok(&r);
        gas.push(r.gas_used);
        royalty_total += logs::<IRegistry::LicensePurchased>(&r)[0].royalty;
        received += U256::from(*price);
    }
    let registry = p.registry;
    assert_eq!(p.m.chain.balance(registry), received);
    // Withdraw everything; count what leaves.
    let mut paid = U256::ZERO;
    let mut royalties_paid = U256::ZERO;
    for &(a, _) in &annotators {
        let owed = p
            .read(&IRegistry::royaltyOfCall {
                source: p.m.market,
                jobId: job,
                token: Address::ZERO,
                account: a,
            })
            .unwrap();
        let before = p.m.chain.balance(a);
        let r = p
            .send(
                a,
                &IRegistry::withdrawRoyaltiesCall {
                    source: p.m.market,
                    jobId: job,
                    token: Address::ZERO,
                    to: a,
                },
                U256::ZERO,
            )
            .unwrap();
        ok(&r);
        assert_eq!(p.m.chain.balance(a) - before, owed);
        paid += owed;
        royalties_paid += owed;
    }
    // The royalty of a sale is split per share; what does not divide is
    // carried in the pool to the next sale (less than one wei per share).
    let shares = U256::from(annotators.iter().map(|(_, n)| *n).sum::<u32>());
    assert!(royalties_paid <= royalty_total);
    let carried = royalty_total - royalties_paid;
    assert!(carried < shares, "carried {carried} of {shares} shares");
    let owed = p
        .read(&IRegistry::royaltyOfCall {
            source: p.m.market,
            jobId: job,
            token: Address::ZERO,
            account: creator,
        })
        .unwrap();
    ok(&p
        .send(
            creator,
            &IRegistry::withdrawRoyaltiesCall {
                source: p.m.market,
                jobId: job,
                token: Address::ZERO,
                to: creator,
            },
            U256::ZERO,
        )
        .unwrap());
    paid += owed;
    let fee = p
        .read(&IRegistry::creditOfCall {
            token: Address::ZERO,
            account: fee_to,
        })
        .unwrap();
    ok(&p
        .send(
            fee_to,
            &IRegistry::withdrawCall {
                token: Address::ZERO,
                to: fee_to,
            },
            U256::ZERO,
        )
        .unwrap());
    paid += fee;
    assert_eq!(
        paid + carried,
        received,
        "paid out + carried = received, to the wei"
    );
    assert_eq!(p.m.chain.balance(registry), carried);
    // Nothing left for anyone.
    let a = annotators[0].0;
    assert_reverts(
        &p.send(
            a,
            &IRegistry::withdrawRoyaltiesCall {
                source: p.m.market,
                jobId: job,
                token: Address::ZERO,
                to: a,
            },
            U256::ZERO,
        )
        .unwrap(),
        &IRegistry::NothingToWithdraw {},
    );
    // The purchase path has no loop over annotators or sales: sales with
    // the same shape (fresh licensee, warm pool; with or without a fee
    // credit) cost exactly the same, once the calldata price of the buyer's
    // `maxPrice` (12 more gas per non-zero byte) is taken out.
    let execution: Vec<u64> = gas
        .iter()
        .zip(prices)
        .map(|(g, price)| {
            let nonzero = price.to_be_bytes().iter().filter(|&&b| b != 0).count() as u64;
            g - 12 * nonzero
        })
        .collect();
    assert_eq!(execution[1], execution[4], "{execution:?}");
    assert_eq!(execution[2], execution[3], "{execution:?}");
}

#[test]
fn admin_settings_apply_to_later_datasets_only() {
    let mut w = world();
    let admin = w.p.m.admin;
    let job = w.job;
    let first = publish(
        &mut w,
        &Publication {
            job,
            ..Publication::default()
        },
    );
    assert_reverts(
        &w.p.send(
            admin,
            &IRegistry::setRoyaltyBpsCall { bps: 10_001 },
            U256::ZERO,
        )
        .unwrap(),
        &IRegistry::InvalidParameter { field: 5 },
    );
    ok(&w
        .p
        .send(
            admin,
            &IRegistry::setRoyaltyBpsCall { bps: 5000 },
            U256::ZERO,
        )
        .unwrap());
    assert_eq!(w.p.read(&IRegistry::royaltyBpsCall {}).unwrap(), 5000);
    let second = publish(
        &mut w,
        &Publication {
            root: B256::repeat_byte(0xc2),
            job,
            ..Publication::default()
        },
    );
    assert_eq!(dataset(&mut w, first).royaltyBps, 2000);
    assert_eq!(dataset(&mut w, second).royaltyBps, 5000);
    let next = w.buyers[0];
    assert_reverts(
        &w.p.send(
            next,
            &IRegistry::transferAdminCall { newAdmin: next },
            U256::ZERO,
        )
        .unwrap(),
        &IRegistry::Unauthorized { account: next },
    );
    ok(&w
        .p
        .send(
            admin,
            &IRegistry::transferAdminCall { newAdmin: next },
            U256::ZERO,
        )
        .unwrap());
    ok(&w
        .p
        .send(next, &IRegistry::acceptAdminCall {}, U256::ZERO)
        .unwrap());
    assert_eq!(w.p.read(&IRegistry::adminCall {}).unwrap(), next);
    let market = w.p.m.market;
    let source =
        w.p.read(&IRegistry::jobSourceOfCall { source: market })
            .unwrap();
    assert_eq!((source.index, source.enabled), (1, true));
}

/// Every money guard of the registry, reached: an unknown or disabled job
/// source, a source that cannot be read, withdrawals to receivers that
/// refuse them, a fee-on-transfer token.
#[test]
fn money_guards_refuse_bad_sources_receivers_and_tokens() {
    let mut w = world();
    let (admin, creator, job) = (w.p.m.admin, w.creator, w.job);
    let market = w.p.m.market;
    let stranger = w.buyers[3];
    let (r, _) =
        w.p.publish(
            creator,
            &Publication {
                source: stranger,
                job,
                ..Publication::default()
            },
        )
        .unwrap();
    assert_reverts(&r, &IRegistry::UnknownJobSource { source: stranger });
    // An enabled source without code cannot be read.
    ok(&w
        .p
        .send(
            admin,
            &IRegistry::setJobSourceCall {
                source: stranger,
                enabled: true,
            },
            U256::ZERO,
        )
        .unwrap());
    let (r, _) =
        w.p.publish(
            creator,
            &Publication {
                source: stranger,
                job,
                ..Publication::default()
            },
        )
        .unwrap();
    assert_reverts(&r, &IRegistry::SourceCallFailed { source: stranger });
    // A disabled source takes no new datasets; its old ones keep paying.
    let id = publish(
        &mut w,
        &Publication {
            job,
            ..Publication::default()
        },
    );
    ok(&w
        .p
        .send(
            admin,
            &IRegistry::setJobSourceCall {
                source: market,
                enabled: false,
            },
            U256::ZERO,
        )
        .unwrap());
    let (r, _) =
        w.p.publish(
            creator,
            &Publication {
                root: B256::repeat_byte(0x5a),
                job,
                ..Publication::default()
            },
        )
        .unwrap();
    assert_reverts(&r, &IRegistry::UnknownJobSource { source: market });
    let buyer = w.buyers[0];
    let price = U256::from(Publication::default().price);
    ok(&w
        .p
        .purchase(buyer, id, buyer, price + U256::from(1))
        .unwrap());
    // Withdrawals to a receiver that refuses ETH fail and keep the balance.
    let refusing = {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../../tests/fixtures/Adversaries.json")).unwrap();
        let code = alloy_primitives::hex::decode(
            v["contracts"]["RefusingReceiver"]["bytecode"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        let r =
            w.p.m
                .chain
                .send(admin, None, U256::ZERO, code, 5_000_000)
                .unwrap();
        ok(&r);
        r.contract_address.unwrap()
    };
    let a = w.annotators[0];
    let withdraw_royalties = IRegistry::withdrawRoyaltiesCall {
        source: market,
        jobId: job,
        token: Address::ZERO,
        to: refusing,
    };
    assert_reverts(
        &w.p.send(a, &withdraw_royalties, U256::ZERO).unwrap(),
        &IRegistry::WithdrawFailed {
            token: Address::ZERO,
            to: refusing,
        },
    );
    let withdraw = IRegistry::withdrawCall {
        token: Address::ZERO,
        to: refusing,
    };
    assert_reverts(
        &w.p.send(buyer, &withdraw, U256::ZERO).unwrap(),
        &IRegistry::WithdrawFailed {
            token: Address::ZERO,
            to: refusing,
        },
    );
    assert_eq!(
        w.p.read(&IRegistry::creditOfCall {
            token: Address::ZERO,
            account: buyer
        })
        .unwrap(),
        U256::from(1),
        "the overpayment credit stays"
    );
}

/// A job source written in WAT: it answers `jobSource` with `answer` (its
/// first `len` bytes) and reverts with no data on anything else, so
/// `acceptedLabels` always fails.
fn job_source(w: &mut World, answer: &[u8; 160], len: usize) -> Address {
    use std::fmt::Write as _;
    let selector = u32::from_le_bytes(IMarket::jobSourceCall::SELECTOR).cast_signed();
    let mut stores = String::new();
    for (i, c) in answer.chunks(8).enumerate() {
        let v = i64::from_le_bytes(c.try_into().unwrap());
        writeln!(
            stores,
            "(i64.store (i32.const {}) (i64.const {v}))",
            2_000 + 8 * i
        )
        .unwrap();
    }
    let body = format!(
        r"(if (i32.eq (i32.load (i32.const 0)) (i32.const {selector}))
            (then
                {stores}
                (call $write_result (i32.const 2000) (i32.const {len}))
                (return (i32.const 0))))
        (i32.const 1)"
    );
    let wasm = common::wallet::program(&body, "");
    let admin = w.p.m.admin;
    let source = w.p.m.chain.deploy_wasm(admin, &wasm, None).unwrap().0;
    ok(&w
        .p
        .send(
            admin,
            &IRegistry::setJobSourceCall {
                source,
                enabled: true,
            },
            U256::ZERO,
        )
        .unwrap());
    source
}

/// `SourceCallFailed` (the successor of `MarketCallFailed`) beyond a source
/// without code: an enabled source whose `jobSource` answer is shorter than
/// its five words is refused at publication; one that answers `jobSource`
/// (creator, settled, 6 shares) but reverts `acceptedLabels` lets the dataset
/// be published and sold, then refuses an annotator's and the publisher's
/// royalty withdrawal and `royaltyOf` with `SourceCallFailed`, moving
/// nothing: the sale's royalty and proceeds stay in the registry.
#[test]
fn a_source_answering_short_or_refusing_accepted_labels_is_refused_source_call_failed_and_the_royalties_stay(
) {
    let mut w = world();
    let creator = w.creator;
    let mut answer = [0u8; 160];
    answer[12..32].copy_from_slice(creator.as_slice());
    answer[64..96].copy_from_slice(B256::repeat_byte(0xda).as_slice());
    answer[127] = 1; // settled
    answer[159] = 6; // accepted labels: the royalty shares
    let job = U256::from(7);
    // Four words of five: refused, nothing published.
    let short = job_source(&mut w, &answer, 128);
    let (r, _) =
        w.p.publish(
            creator,
            &Publication {
                source: short,
                job,
                ..Publication::default()
            },
        )
        .unwrap();
    assert_reverts(&r, &IRegistry::SourceCallFailed { source: short });
    assert_eq!(
        w.p.read(&IRegistry::datasetCountCall {}).unwrap(),
        U256::ZERO
    );
    // A whole answer publishes; the sale pays into the source job's pool.
    let faulty = job_source(&mut w, &answer, 160);
    let id = publish(
        &mut w,
        &Publication {
            source: faulty,
            job,
            ..Publication::default()
        },
    );
    let d = dataset(&mut w, id);
    assert_eq!(
        (d.source, d.dataRoot, d.shares),
        (faulty, B256::repeat_byte(0xda), 6)
    );
    let buyer = w.buyers[0];
    let price = U256::from(Publication::default().price);
    ok(&w.p.purchase(buyer, id, buyer, price).unwrap());
    assert!(has_license(&mut w, id, buyer));
    let registry = w.p.registry;
    let held = w.p.m.chain.balance(registry);
    assert_eq!(held, price, "royalty and proceeds are held");
    // Reading an annotator's share needs `acceptedLabels`: refused, for the
    // annotators and for the publisher's proceeds alike.
    for who in [w.annotators[0], creator] {
        let before = w.p.m.chain.balance(who);
        let r =
            w.p.send(
                who,
                &IRegistry::withdrawRoyaltiesCall {
                    source: faulty,
                    jobId: job,
                    token: Address::ZERO,
                    to: who,
                },
                U256::ZERO,
            )
            .unwrap();
        assert_reverts(&r, &IRegistry::SourceCallFailed { source: faulty });
        assert_eq!(w.p.m.chain.balance(who), before);
        let r =
            w.p.m
                .chain
                .send(
                    who,
                    Some(registry),
                    U256::ZERO,
                    IRegistry::royaltyOfCall {
                        source: faulty,
                        jobId: job,
                        token: Address::ZERO,
                        account: who,
                    }
                    .abi_encode(),
                    DEFAULT_TX_GAS,
                )
                .unwrap();
        assert_reverts(&r, &IRegistry::SourceCallFailed { source: faulty });
    }
    assert_eq!(w.p.m.chain.balance(registry), held, "nothing moved");
}

#[test]
fn malformed_calldata_gets_named_errors() {
    let mut w = world();
    let buyer = w.buyers[0];
    let registry = w.p.registry;
    let data = IRegistry::purchaseCall {
        datasetId: U256::from(1),
        licensee: buyer,
        token: Address::ZERO,
        maxPrice: 1,
    }
    .abi_encode();
    let r =
        w.p.m
            .chain
            .send(
                buyer,
                Some(registry),
                U256::ZERO,
                data[..30].to_vec(),
                DEFAULT_TX_GAS,
            )
            .unwrap();
    assert_reverts(&r, &IRegistry::InvalidCalldata {});
    let r =
        w.p.m
            .chain
            .send(
                buyer,
                Some(registry),
                U256::ZERO,
                vec![1, 2, 3, 4],
                DEFAULT_TX_GAS,
            )
            .unwrap();
    assert_reverts(
        &r,
        &IRegistry::UnknownFunction {
            selector: [1, 2, 3, 4].into(),
        },
    );
    let r =
        w.p.m
            .chain
            .send(
                buyer,
                Some(registry),
                U256::from(1),
                IRegistry::datasetCountCall {}.abi_encode(),
                DEFAULT_TX_GAS,
            )
            .unwrap();
    assert_reverts(&r, &IRegistry::NotPayable {});
}

/// Case count: `PROPTEST_CASES`, default 6 (the devnet is slow).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6)
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(cases()) })]

    /// Any shares, fee, prices (down to 1 wei) and withdrawals in between:
    /// every sale splits as fee = ⌊price × bps / 10⁴⌋, royalty = 20 % of the
    /// rest (rounded down), proceeds = the remainder; each annotator is owed
    /// exactly `approved × Σ⌊(royalty + carry) / shares⌋` with the remainder
    /// carried (less than one wei per share); and the registry holds exactly
    /// what is owed + the fee credit + the carry, to the wei. Each case
    /// prints its sales and withdrawals.
    #[test]
    fn royalties_follow_the_per_share_rule_for_any_sales_and_withdrawals(
        shares in prop::collection::vec(1u32..30, 1..5),
        fee_bps in 0u16..=1000,
        sales in prop::collection::vec((0u128..20_000_000_000_000_000_000, any::<u8>()), 1..7),
    ) {
        let mut p = Marketplace::deploy(false).unwrap();
        let creator = p.m.chain.account(1);
        let fee_to = p.m.chain.account(9);
        let admin = p.m.admin;
        ok(&p.send(admin, &IRegistry::setFeeCall { recipient: fee_to, bps: fee_bps }, U256::ZERO).unwrap());
        let annotators: Vec<(Address, u32)> = shares
            .iter()
            .enumerate()
            .map(|(i, &n)| (p.m.chain.account(2 + i), n))
            .collect();
        let job = p.settled_job(creator, &annotators).unwrap();
        let (r, id) = p.publish(creator, &Publication { job, ..Publication::default() }).unwrap();
        ok(&r);
        let id = id.unwrap();
        let total_shares = u128::from(shares.iter().sum::<u32>());
        let (mut per_share, mut carry, mut proceeds, mut fees) = (0u128, 0u128, 0u128, 0u128);
        let mut royalties = 0u128;
        let mut withdrawn = vec![0u128; annotators.len() + 1];
        let mut counts = std::collections::BTreeMap::<&str, u32>::new();
        let owed = |p: &mut Marketplace, who: Address| -> u128 {
            let source = p.m.market;
            p.read(&IRegistry::royaltyOfCall { source, jobId: job, token: Address::ZERO, account: who })
                .unwrap()
                .to::<u128>()
        };
        for (i, &(price, action)) in sales.iter().enumerate() {
            let price = match action % 3 { 0 => price % 1_000, _ => price }.max(1);
            ok(&p.send(creator, &IRegistry::setPriceCall { datasetId: id, price }, U256::ZERO).unwrap());
            let buyer = Address::repeat_byte(0x40 + u8::try_from(i).unwrap());
            p.m.chain.set_balance(buyer, U256::from(10u128.pow(20)));
            let r = p.purchase(buyer, id, buyer, U256::from(price)).unwrap();
            ok(&r);
            let e = &logs::<IRegistry::LicensePurchased>(&r)[0];
            *counts.entry(if price < 1_000 { "sales under 1,000 wei" } else { "sales" }).or_default() += 1;
            let fee = price * u128::from(fee_bps) / 10_000;
            let royalty = (price - fee) * 2_000 / 10_000;
            prop_assert_eq!(e.fee, U256::from(fee));
            prop_assert_eq!(e.royalty, U256::from(royalty));
            fees += fee;
            royalties += royalty;
            proceeds += price - fee - royalty;
            per_share += (royalty + carry) / total_shares;
            carry = (royalty + carry) % total_shares;
            // Someone withdraws between sales (or nobody).
            let k = usize::from(action) % (annotators.len() + 2);
            if k <= annotators.len() {
                let who = if k == annotators.len() { creator } else { annotators[k].0 };
                let due = owed(&mut p, who);
                let before = p.m.chain.balance(who);
                let r = p.withdraw_royalties(who, job, Address::ZERO).unwrap();
                if due == 0 {
                    assert_reverts(&r, &IRegistry::NothingToWithdraw {});
                    *counts.entry("empty withdrawals refused").or_default() += 1;
                } else {
                    ok(&r);
                    *counts.entry("withdrawals").or_default() += 1;
                    prop_assert_eq!(p.m.chain.balance(who) - before, U256::from(due));
                    withdrawn[k] += due;
                }
            }
            // Every party is owed exactly what the rule says.
            let mut outstanding = 0u128;
            for (j, &(a, n)) in annotators.iter().enumerate() {
                let due = owed(&mut p, a);
                prop_assert_eq!(due + withdrawn[j], u128::from(n) * per_share, "annotator {}", j);
                // Against the exact pro-rata share of every royalty so far:
                // short by less than one wei per share held, however many
                // sales (the carry reaches them with the next sale).
                let exact_times_shares = u128::from(n) * royalties;
                let got_times_shares = (due + withdrawn[j]) * total_shares;
                prop_assert!(got_times_shares <= exact_times_shares);
                prop_assert!(exact_times_shares - got_times_shares < u128::from(n) * total_shares);
                outstanding += due;
            }
            let due = owed(&mut p, creator);
            prop_assert_eq!(due + withdrawn[annotators.len()], proceeds, "publisher");
            outstanding += due;
            prop_assert!(carry < total_shares);
            let registry = p.registry;
            prop_assert_eq!(
                p.m.chain.balance(registry),
                U256::from(outstanding + fees + carry),
                "registry = owed + fees + carry"
            );
        }
        println!("registry royalties case ({} annotators, fee {fee_bps} bps): {counts:?}", annotators.len());
    }
}

/// A dataset from a weighted review job: one hard task of weight 3 earns
/// the same royalty as three easy ones (shares count units, not tasks).
#[test]
fn royalties_of_a_weighted_job_follow_the_difficulty_weights() {
    let mut p = Marketplace::deploy(false).unwrap();
    let creator = p.m.chain.account(1);
    let (easy, hard, buyer) = (
        p.m.chain.account(2),
        p.m.chain.account(3),
        p.m.chain.account(5),
    );
    let spec = JobSpec {
        tasks: 4,
        difficulty: vec![(3, 1), (4, 3)],
        data_root: B256::repeat_byte(0xd8),
        ..JobSpec::default()
    };
    let (job, _) = p.m.create_job(creator, &spec).unwrap();
    let mut batches = Vec::new();
    for (who, tasks) in [(easy, vec![0u32, 1, 2]), (hard, vec![3])] {
        let (r, b) = p.m.submit(who, job, &tasks, &vec![1; tasks.len()]).unwrap();
        ok(&r);
        batches.push(b.unwrap());
    }
    ok(&p.m.approve_batches(creator, &batches).unwrap());
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
    let id = id.unwrap();
    let price = Publication::default().price;
    let r = p.purchase(buyer, id, buyer, U256::from(price)).unwrap();
    ok(&r);
    let royalty = logs::<IRegistry::LicensePurchased>(&r)[0].royalty;
    assert!(royalty > U256::ZERO);
    let owed = |p: &mut Marketplace, a: Address| {
        p.read(&IRegistry::royaltyOfCall {
            source: p.m.market,
            jobId: job,
            token: Address::ZERO,
            account: a,
        })
        .unwrap()
    };
    let (e, h) = (owed(&mut p, easy), owed(&mut p, hard));
    assert_eq!(e, h, "one task of weight 3 = three of weight 1");
    assert_eq!(
        e,
        royalty / U256::from(6) * U256::from(3),
        "3 of 6 shares each"
    );
    let before = p.m.chain.balance(hard);
    ok(&p.withdraw_royalties(hard, job, Address::ZERO).unwrap());
    assert_eq!(p.m.chain.balance(hard) - before, h);
}
