//! The wall-clock budget of one execution (a transaction, an `eth_call`, a
//! whole `eth_estimateGas` search).
//!
//! Gas bounds the work a transaction may do, but not its time: some
//! operations are cheap in gas and slow on this machine, and a devnet charges
//! no fee. So every execution also runs against a deadline kept per thread.
//! The EVM checks it at every `JUMPDEST` (every loop passes one), Stylus
//! programs every [`FUEL_SLICE`] units of wasmi fuel, and each new call
//! frame; past the deadline the running frame halts and the execution is
//! refused with [`crate::ChainError::TimeBudget`] (nothing is committed).

use std::{
    cell::Cell,
    time::{Duration, Instant},
};

/// Default wall-clock budget of one execution.
pub const DEFAULT_TIME_BUDGET: Duration = Duration::from_secs(10);
/// wasmi fuel a Stylus program runs between two looks at the clock.
pub const FUEL_SLICE: u64 = 1 << 22;
/// `JUMPDEST`s between two looks at the clock.
const TICKS_PER_CHECK: u32 = 1 << 12;

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    static EXCEEDED: Cell<bool> = const { Cell::new(false) };
    static TICKS: Cell<u32> = const { Cell::new(0) };
}

/// A running budget; dropping the outermost one ends it.
#[must_use = "the budget ends when the guard is dropped"]
pub struct Guard {
    outermost: bool,
}

/// Starts a budget of `budget` unless one is running on this thread (an
/// `eth_estimateGas` search keeps one budget across its calls).
pub fn start(budget: Duration) -> Guard {
    let outermost = DEADLINE.with(Cell::get).is_none();
    if outermost {
        DEADLINE.with(|d| d.set(Instant::now().checked_add(budget)));
        EXCEEDED.with(|e| e.set(false));
        TICKS.with(|t| t.set(0));
    }
    Guard { outermost }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.outermost {
            DEADLINE.with(|d| d.set(None));
        }
    }
}

/// Whether the running budget is spent (and remembers it).
pub fn check() -> bool {
    if EXCEEDED.with(Cell::get) {
        return true;
    }
    let over = DEADLINE
        .with(Cell::get)
        .is_some_and(|deadline| Instant::now() >= deadline);
    if over {
        EXCEEDED.with(|e| e.set(true));
    }
    over
}

/// A cheap [`check`]: looks at the clock once every 4,096 calls.
pub fn tick() -> bool {
    let n = TICKS.with(|t| {
        let n = t.get().wrapping_add(1);
        t.set(n);
        n
    });
    if n.is_multiple_of(TICKS_PER_CHECK) {
        check()
    } else {
        EXCEEDED.with(Cell::get)
    }
}

/// Whether the budget of the execution that just ran was spent.
pub fn exceeded() -> bool {
    EXCEEDED.with(Cell::get)
}
