//! Host unit tests of the pure helpers. Contract behaviour is tested with the
//! real wasm on the devnet (`crates/devnet/tests/annotation_market.rs`).
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
        released: 0xdead_beef,
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
}

#[test]
fn typehashes_match_their_strings() {
    assert_eq!(
        SUBMIT_BATCH_TYPEHASH,
        keccak256("SubmitBatch(address annotator,uint256 jobId,uint32[] taskIds,bytes payload,uint256 nonce,uint256 deadline)")
    );
    assert_eq!(EIP712_NAME_HASH, keccak256("labelmint AnnotationMarket"));
}
