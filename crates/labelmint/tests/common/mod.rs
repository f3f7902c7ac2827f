//! Assertions shared by the contract tests.
#![allow(dead_code, unreachable_pub)]

use alloy_sol_types::{SolError, SolEvent};

pub mod wallet;
use labelmint_devnet::Receipt;

/// Fails with the revert data unless `r` succeeded.
pub fn ok(r: &Receipt) {
    assert!(
        r.success,
        "reverted: 0x{}",
        alloy_primitives::hex::encode(&r.output)
    );
}

/// Fails unless `r` reverted with exactly `e` (selector and arguments).
pub fn assert_reverts<E: SolError + std::fmt::Debug>(r: &Receipt, e: &E) {
    assert!(
        r.reverted_with(e),
        "expected {e:?}, got success={} output=0x{}",
        r.success,
        alloy_primitives::hex::encode(&r.output)
    );
}

/// Every `E` event in `r`.
pub fn logs<E: SolEvent>(r: &Receipt) -> Vec<E> {
    r.logs
        .iter()
        .filter_map(|l| E::decode_log_data(&l.data).ok())
        .collect()
}
