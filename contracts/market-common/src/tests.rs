//! Host unit tests of the pure helpers. Contract behaviour is tested with the
//! real wasm on the devnet (`crates/labelmint/tests/annotation_market.rs`,
//! `attacks.rs`).
use alloy_primitives::{address, keccak256, Address, U256};
use alloy_sol_types::SolError;

use crate::*;

#[test]
fn revert_encoding_equals_sol_error_encoding() {
    let a = address!("00000000000000000000000000000000000000aa");
    assert_eq!(
        revert(Unauthorized::SELECTOR, &[word(a)]),
        Unauthorized { account: a }.abi_encode()
    );
    assert_eq!(
        revert(WrongEscrow::SELECTOR, &[U256::from(7), U256::from(9)]),
        WrongEscrow {
            expected: U256::from(7),
            received: U256::from(9)
        }
        .abi_encode()
    );
    assert_eq!(
        revert(InvalidLabel::SELECTOR, &[U256::from(3), U256::from(250)]),
        InvalidLabel {
            taskId: 3,
            label: 250
        }
        .abi_encode()
    );
    assert_eq!(
        revert(EnforcedPause::SELECTOR, &[]),
        EnforcedPause {}.abi_encode()
    );
    assert_eq!(
        revert(
            ReviewClosed::SELECTOR,
            &[U256::from(4), U256::from(u64::MAX)]
        ),
        ReviewClosed {
            batchId: U256::from(4),
            reviewEnd: u64::MAX
        }
        .abi_encode()
    );
}

#[test]
fn annotator_record_round_trips_every_field() {
    let r = AnnotatorRecord {
        open: 1,
        pending: u32::MAX,
        approved: 0x1234_5678,
        rejected: 9,
        member: 0xdead_beef,
        claim_expiry: u64::MAX - 1,
    };
    assert_eq!(AnnotatorRecord::unpack(r.pack()), r);
    assert_eq!(
        AnnotatorRecord::unpack(U256::ZERO),
        AnnotatorRecord::default()
    );
}

#[test]
fn packed_tasks_are_big_endian_u32() {
    assert_eq!(pack_tasks(&[1, 0x0102_0304]), [0, 0, 0, 1, 1, 2, 3, 4]);
    let a = Address::repeat_byte(0x11);
    let pre = batch_preimage(a, 0x0102, &[7]);
    assert_eq!(pre.len(), 20 + 8 + 4);
    assert_eq!(&pre[20..28], &[0, 0, 0, 0, 0, 0, 1, 2]);
    // Rejection preimages are one byte longer modulo 4: never a pending one.
    for n in 0..70usize {
        let tasks: Vec<u32> = (0..n as u32).collect();
        for m in 0..70usize {
            let other: Vec<u32> = (0..m as u32).collect();
            assert_ne!(
                batch_preimage(a, 1, &tasks).len(),
                rejection_preimage(1, a, 1, &other).len()
            );
        }
    }
}

#[test]
fn job_words_round_trip_every_field_at_its_bounds() {
    let job = Job {
        creator: Address::repeat_byte(0xc1),
        task_count: u32::MAX,
        schema: 3,
        status: 2,
        num_classes: 256,
        max_held: u16::MAX,
        members: 65_533,
        token: Address::repeat_byte(0x70),
        claim_duration: 7 * 24 * 3600,
        review_window: 30 * 24 * 3600,
        batches: u32::MAX - 1,
        reward: u128::MAX,
        deadline: (1 << 40) - 1,
        reserved: 0x0102_0304,
        approved: 0x0506_0708,
        terms: (1 << 24) - 1,
        ..Job::default()
    };
    let back = Job::unpack(job.pack());
    assert_eq!(back.pack(), job.pack());
    assert!(!back.weighted, "an unweighted job keeps its schema byte");
    assert_eq!(
        (back.schema, back.units(), back.weight(7)),
        (3, u32::MAX, 1)
    );
    // A weighted job: the flag rides on the schema byte's top bit, the
    // classes in word 5.
    let weighted = Job {
        weighted: true,
        ends: [1, 0x0102_0304, u32::MAX - 1],
        weights: [255, 1, 7, 9],
        units: u32::MAX,
        ..job
    };
    let words = weighted.pack();
    assert_eq!(words[0].0[24], 0x83, "schema 3 with the weighted bit");
    let mut back = Job::unpack(words);
    assert!(back.weighted);
    assert_eq!(back.schema, 3);
    back.load_classes(weighted.pack_classes());
    assert_eq!(
        (back.ends, back.weights, back.units()),
        (weighted.ends, weighted.weights, u32::MAX)
    );
    assert_eq!(
        [0, 1, 0x0102_0303, 0x0102_0304, u32::MAX - 1].map(|t| back.weight(t)),
        [255, 1, 1, 7, 9]
    );
    assert_eq!(
        (back.deadline, back.terms, back.approved, back.members),
        (job.deadline, job.terms, job.approved, job.members)
    );
    let terms = Terms {
        arbiter: Address::repeat_byte(0xab),
        token: Address::repeat_byte(0x70),
        dispute_window: 3600,
        ruling_window: u32::MAX,
        fee: u128::MAX - 1,
        bond: u128::MAX,
    };
    let back = Terms::unpack(terms.pack());
    assert_eq!(
        (
            back.arbiter,
            back.token,
            back.dispute_window,
            back.ruling_window,
            back.fee,
            back.bond
        ),
        (
            terms.arbiter,
            terms.token,
            terms.dispute_window,
            terms.ruling_window,
            terms.fee,
            terms.bond
        )
    );
    let p = Pause {
        paused: true,
        since: 77,
        total: 5,
    };
    let back = Pause::unpack(p.pack());
    assert_eq!((back.paused, back.since, back.total), (true, 77, 5));
    assert_eq!(back.paused_for(100), 28);
}

#[test]
fn typehashes_match_their_strings() {
    assert_eq!(
        SUBMIT_BATCH_TYPEHASH,
        keccak256("SubmitBatch(address annotator,uint256 jobId,uint32[] taskIds,bytes payload,uint256 nonce,uint256 deadline)")
    );
    assert_eq!(EIP712_NAME_HASH, keccak256("labelmint AnnotationMarket"));
}
