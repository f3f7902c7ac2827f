//! The real AnnotationMarket wasm on the embedded chain.
#![allow(missing_docs)]

use labelmint::market::lifecycle;

#[test]
fn lifecycle_probe() {
    for (cached, claims, end) in [
        (false, true, false),
        (true, true, false),
        (true, true, true),
        (true, false, false),
        (true, false, true),
        (false, false, true),
    ] {
        for (k, b) in [(1u8, 32u32), (1, 10), (3, 32)] {
            let l = lifecycle(100, k, b, cached, claims, end).unwrap();
            println!(
                "cached={cached} claims={claims} end={end} k={k} batch={b}: total {} per task {} (create {} claim {} submit {} review {})",
                l.total(),
                l.per_task(),
                l.of_kind("create"),
                l.of_kind("claim"),
                l.of_kind("submit"),
                l.of_kind("review") + l.of_kind("approve")
            );
        }
    }
}

#[test]
fn overhead_probe() {
    use alloy_primitives::U256;
    use labelmint::market::{IMarket, Market};
    let mut m = Market::deploy(true).unwrap();
    let a = m.chain.account(3);
    let r = m.send(a, &IMarket::jobCountCall {}, U256::ZERO).unwrap();
    println!("jobCount tx gas {}", r.gas_used);
    let r = m.send(a, &IMarket::pausedCall {}, U256::ZERO).unwrap();
    println!("paused tx gas {}", r.gas_used);
}
