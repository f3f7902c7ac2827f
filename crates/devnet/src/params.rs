//! The chain's Stylus parameters and Nitro's pricing formulas that use them:
//! program entry (`arbos/programs/programs.go`), memory
//! (`arbos/programs/memory.go`), the activation data fee
//! (`arbos/programs/data_pricer.go`) and the EVM memory floor on return
//! data. The defaults are those of `arbos/programs/params.go` on a chain
//! created at [`DEFAULT_ARBOS_VERSION`]. Formulas and constants are facts read
//! from OffchainLabs/nitro; the code is this crate's own.

use revm::primitives::U256;

/// ArbOS version of a new chain: the newest one Nitro's release supports.
pub const DEFAULT_ARBOS_VERSION: u64 = 51;
/// ArbOS version that introduced Stylus (ArbWasm, programs).
pub const ARBOS_STYLUS: u64 = 30;
/// ArbOS version of Stylus version 2 and the return-data floor.
pub const ARBOS_STYLUS_FIXES: u64 = 31;
/// ArbOS version from which activation pays for the wasm size and
/// `minInitGas` answers.
pub const ARBOS_STYLUS_CHARGING_FIXES: u64 = 32;
/// ArbOS version that caps the stack depth at 22,000 words.
pub const ARBOS_50: u64 = 50;
/// ArbOS version of the same-block program cache and the activation gas.
pub const ARBOS_60: u64 = 60;

/// Gas per `MinInitGas` unit.
pub const MIN_INIT_GAS_UNITS: u64 = 128;
/// Gas per `MinCachedInitGas` unit.
pub const MIN_CACHED_GAS_UNITS: u64 = 32;
/// Percent per cost-scalar unit.
pub const COST_SCALAR_PERCENT: u64 = 2;

/// Nitro's Stylus parameters (`StylusParams`), the chain's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StylusParams {
    /// ArbOS version of the chain (not stored in Nitro's params word).
    pub arbos_version: u64,
    /// Stylus version programs are activated at.
    pub version: u16,
    /// Ink per gas (a 24-bit value).
    pub ink_price: u32,
    /// Stack budget of a program, in words.
    pub max_stack_depth: u32,
    /// Memory pages a transaction gets for free.
    pub free_pages: u16,
    /// Linear gas per page beyond the free ones.
    pub page_gas: u16,
    /// Ramp of the exponential memory price (reported; the table encodes it).
    pub page_ramp: u64,
    /// Largest initial memory of a program, in pages.
    pub page_limit: u16,
    /// Minimum uncached entry cost, in units of 128 gas.
    pub min_init_gas: u8,
    /// Minimum cached entry cost, in units of 32 gas.
    pub min_cached_init_gas: u8,
    /// Scale of the init cost, in units of 2 %.
    pub init_cost_scalar: u8,
    /// Scale of the cached cost, in units of 2 %.
    pub cached_cost_scalar: u8,
    /// Days after activation a program expires.
    pub expiry_days: u16,
    /// Days after activation a keepalive is allowed.
    pub keepalive_days: u16,
    /// Programs kept in the same-block cache (from ArbOS 60).
    pub block_cache_size: u16,
    /// Largest decompressed wasm.
    pub max_wasm_size: u32,
    /// Gas charged before every activation (from ArbOS 60; 0 by default).
    pub activation_gas: u64,
}

impl Default for StylusParams {
    fn default() -> Self {
        Self::for_arbos(DEFAULT_ARBOS_VERSION)
    }
}

impl StylusParams {
    /// The parameters of a chain initialized at ArbOS `arbos_version` (at
    /// least 30), as Nitro's upgrade path leaves them: Stylus version 2 and
    /// `MinInitGas` 69 from ArbOS 31 (72 before), a stack budget capped at
    /// 22,000 words from ArbOS 50 (4 × 65,536 before).
    pub fn for_arbos(arbos_version: u64) -> Self {
        let v2 = arbos_version >= ARBOS_STYLUS_FIXES;
        Self {
            arbos_version: arbos_version.max(ARBOS_STYLUS),
            version: if v2 { 2 } else { 1 },
            ink_price: 10_000,
            max_stack_depth: if arbos_version >= ARBOS_50 {
                22_000
            } else {
                4 * 65_536
            },
            free_pages: 2,
            page_gas: 1_000,
            page_ramp: 620_674_314,
            page_limit: 128,
            min_init_gas: if v2 { 69 } else { 72 },
            min_cached_init_gas: 11,
            init_cost_scalar: 50,
            cached_cost_scalar: 50,
            expiry_days: 365,
            keepalive_days: 31,
            block_cache_size: 32,
            max_wasm_size: 128 * 1024,
            activation_gas: 0,
        }
    }

    /// Gas to enter a program that is not cached, from its stored init cost:
    /// `MinInitGas × 128 + ⌈init × InitCostScalar × 2 / 100⌉`.
    pub fn init_gas(&self, init_cost: u16) -> u64 {
        let base = u64::from(self.min_init_gas) * MIN_INIT_GAS_UNITS;
        let dyno = u64::from(init_cost)
            .saturating_mul(u64::from(self.init_cost_scalar) * COST_SCALAR_PERCENT);
        base.saturating_add(dyno.div_ceil(100))
    }

    /// Gas every call pays on Stylus version 2 (and cached calls on version 1):
    /// `MinCachedInitGas × 32 + ⌈cached × CachedCostScalar × 2 / 100⌉`.
    pub fn cached_gas(&self, cached_cost: u16) -> u64 {
        let base = u64::from(self.min_cached_init_gas) * MIN_CACHED_GAS_UNITS;
        let dyno = u64::from(cached_cost)
            .saturating_mul(u64::from(self.cached_cost_scalar) * COST_SCALAR_PERCENT);
        base.saturating_add(dyno.div_ceil(100))
    }

    /// Gas to enter a program with the given stored costs, cached or not
    /// (the memory charge for its footprint comes on top).
    pub fn entry_gas(
        &self,
        program_version: u16,
        init_cost: u16,
        cached_cost: u16,
        cached: bool,
    ) -> u64 {
        let mut gas = 0u64;
        if cached || program_version > 1 {
            gas = gas.saturating_add(self.cached_gas(cached_cost));
        }
        if !cached {
            gas = gas.saturating_add(self.init_gas(init_cost));
        }
        gas
    }

    /// What the `programInitGas` view answers: (uncached, cached) entry gas,
    /// the first including the cached part on Stylus version 2.
    pub fn program_init_gas_view(&self, init_cost: u16, cached_cost: u16) -> (u64, u64) {
        let cached = self.cached_gas(cached_cost);
        let mut init = self.init_gas(init_cost);
        if self.version > 1 {
            init = init.saturating_add(cached);
        }
        (init, cached)
    }

    /// The memory model of these parameters.
    pub fn memory(&self) -> MemoryModel {
        MemoryModel {
            free_pages: self.free_pages,
            page_gas: self.page_gas,
        }
    }

    /// Seconds after activation a program expires.
    pub fn expiry_seconds(&self) -> u64 {
        u64::from(self.expiry_days) * 86_400
    }

    /// Seconds after activation a keepalive is allowed.
    pub fn keepalive_seconds(&self) -> u64 {
        u64::from(self.keepalive_days) * 86_400
    }
}

/// `floor(31,874,000^(p/128))` for p = 0..=128: the exponential part of the
/// price of `p` pages ever open in a transaction (`memoryExponents`).
#[allow(clippy::unreadable_literal)] // the table as Nitro prints it
#[rustfmt::skip]
pub const MEMORY_EXPONENTS: [u32; 129] = [
    1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 5, 6, 7, 8, 9, 11, 12, 14, 17, 19, 22, 25, 29, 33, 38,
    43, 50, 57, 65, 75, 85, 98, 112, 128, 147, 168, 193, 221, 253, 289, 331, 379, 434, 497, 569,
    651, 745, 853, 976, 1117, 1279, 1463, 1675, 1917, 2194, 2511, 2874, 3290, 3765, 4309, 4932,
    5645, 6461, 7395, 8464, 9687, 11087, 12689, 14523, 16621, 19024, 21773, 24919, 28521, 32642,
    37359, 42758, 48938, 56010, 64104, 73368, 83971, 96106, 109994, 125890, 144082, 164904, 188735,
    216010, 247226, 282953, 323844, 370643, 424206, 485509, 555672, 635973, 727880, 833067, 953456,
    1091243, 1248941, 1429429, 1636000, 1872423, 2143012, 2452704, 2807151, 3212820, 3677113,
    4208502, 4816684, 5512756, 6309419, 7221210, 8264766, 9459129, 10826093, 12390601, 14181199,
    16230562, 18576084, 21260563, 24332984, 27849408, 31873999,
];

/// Nitro's memory pricing: linear gas per page opened beyond the free pages,
/// plus the growth of the exponential table over the most pages ever open.
/// `open` and `ever` count pages of the whole transaction: a callee's pages
/// come on top of its callers'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryModel {
    /// Pages a transaction gets for free.
    pub free_pages: u16,
    /// Linear gas per page.
    pub page_gas: u16,
}

impl MemoryModel {
    /// The exponential part for `pages` ever open (saturating past 128).
    pub fn exp(pages: u16) -> u64 {
        MEMORY_EXPONENTS
            .get(usize::from(pages))
            .map_or(u64::MAX, |&v| u64::from(v))
    }

    /// Gas to open `new` pages when `open` are open and `ever` have been.
    pub fn gas_cost(&self, new: u16, open: u16, ever: u16) -> u64 {
        let new_open = open.saturating_add(new);
        let new_ever = ever.max(new_open);
        if new_ever <= self.free_pages {
            return 0;
        }
        let sub_free = |pages: u16| pages.saturating_sub(self.free_pages);
        let adding = sub_free(new_open).saturating_sub(sub_free(open));
        let linear = u64::from(adding).saturating_mul(u64::from(self.page_gas));
        let expand = Self::exp(new_ever).saturating_sub(Self::exp(ever));
        linear.saturating_add(expand)
    }
}

/// Pages open in the current transaction and the most ever open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pages {
    /// Pages open now.
    pub open: u16,
    /// The most pages open at once so far.
    pub ever: u16,
}

impl Pages {
    /// Opens `new` pages; returns the counts before (`AddStylusPages`).
    #[must_use = "the counts before price the new pages"]
    pub fn add(&mut self, new: u16) -> Pages {
        let before = *self;
        self.open = self.open.saturating_add(new);
        self.ever = self.ever.max(self.open);
        before
    }
}

/// Unix time Nitro counts program ages from.
pub const ARBITRUM_START_TIME: u64 = 1_421_388_000;
/// Data pricer: bytes of demand forgiven per second (1 TiB a year).
pub const DATA_BYTES_PER_SECOND: u32 = ((1u64 << 40) / (365 * 24) / 3_600) as u32;
/// Data pricer: wei per byte at zero demand.
pub const DATA_MIN_PRICE: u32 = 82_928_201;
/// Data pricer: demand (bytes) at which the price grows by e.
pub const DATA_INERTIA: u32 = 21_360_419;

/// `b·e^(x/b)` in basis points by a Horner-evaluated Maclaurin series of
/// `accuracy` terms (Nitro's `ApproxExpBasisPoints`, non-negative input).
pub fn approx_exp_bips(value: u64, accuracy: u64) -> u64 {
    let b = 10_000u64;
    let mut res = b + value / accuracy;
    for i in (1..accuracy).rev() {
        res = b + res.saturating_mul(value) / (i * b);
    }
    res
}

/// Nitro's activation data pricer: demand that drains at a fixed rate and a
/// price per byte that grows exponentially with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataPricer {
    /// Outstanding demand in bytes.
    pub demand: u32,
    /// Time of the last update.
    pub last_update: u64,
}

impl Default for DataPricer {
    fn default() -> Self {
        Self {
            demand: 0,
            last_update: ARBITRUM_START_TIME,
        }
    }
}

impl DataPricer {
    /// Adds `bytes` of demand at `time` and returns their fee in wei
    /// (`UpdateModel`).
    pub fn update(&mut self, bytes: u32, time: u64) -> U256 {
        let passed = u32::try_from(time.saturating_sub(self.last_update)).unwrap_or(u32::MAX);
        let credit = DATA_BYTES_PER_SECOND.saturating_mul(passed);
        self.demand = self.demand.saturating_sub(credit).saturating_add(bytes);
        self.last_update = time;
        let exponent = 10_000 * u64::from(self.demand) / u64::from(DATA_INERTIA);
        let multiplier = approx_exp_bips(exponent, 12);
        let per_byte = u64::from(DATA_MIN_PRICE).saturating_mul(multiplier) / 10_000;
        U256::from(per_byte.saturating_mul(u64::from(bytes)))
    }
}

/// The EVM's memory expansion cost of `size` bytes: a program's return data
/// costs at least this much (from ArbOS 31).
pub fn evm_memory_cost(size: u64) -> u64 {
    let words = size.div_ceil(32);
    words * 3 + words * words / 512
}

/// Whole hours since [`ARBITRUM_START_TIME`] (a program's `activatedAt`).
pub fn hours_since_arbitrum(time: u64) -> u32 {
    let hours = time.saturating_sub(ARBITRUM_START_TIME) / 3_600;
    u32::try_from(hours).unwrap_or(u32::MAX).min(0x00FF_FFFF)
}

/// Seconds since the hour a program was activated at.
pub fn age_seconds(time: u64, activated_at_hours: u32) -> u64 {
    let at = ARBITRUM_START_TIME.saturating_add(u64::from(activated_at_hours) * 3_600);
    time.saturating_sub(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_nitros_at_arbos_51() {
        let p = StylusParams::default();
        assert_eq!(p.arbos_version, 51);
        assert_eq!(p.version, 2);
        assert_eq!(u64::from(p.min_init_gas) * MIN_INIT_GAS_UNITS, 8_832);
        assert_eq!(u64::from(p.min_cached_init_gas) * MIN_CACHED_GAS_UNITS, 352);
        assert_eq!(p.max_stack_depth, 22_000);
        let v1 = StylusParams::for_arbos(30);
        assert_eq!(
            (v1.version, v1.min_init_gas, v1.max_stack_depth),
            (1, 72, 262_144)
        );
    }

    #[test]
    fn entry_gas_follows_the_formula() {
        let p = StylusParams::default();
        // init cost 12,345 at 100 %: 8,832 + ⌈12,345 × 100 / 100⌉
        assert_eq!(p.init_gas(12_345), 8_832 + 12_345);
        // cached cost 2,001 at 100 %: 352 + 2,001
        assert_eq!(p.cached_gas(2_001), 352 + 2_001);
        let mut half = p;
        half.init_cost_scalar = 25; // 50 %
        assert_eq!(half.init_gas(3), 8_832 + 2, "⌈3 × 50 / 100⌉ rounds up");
        // version 2: uncached = init + cached, cached = cached only
        assert_eq!(p.entry_gas(2, 100, 10, false), 8_832 + 100 + 352 + 10);
        assert_eq!(p.entry_gas(2, 100, 10, true), 352 + 10);
        assert_eq!(
            p.program_init_gas_view(100, 10),
            (8_832 + 100 + 352 + 10, 362)
        );
        // version 1: the cached part is inside the init cost
        let v1 = StylusParams::for_arbos(30);
        assert_eq!(v1.entry_gas(1, 100, 10, false), 72 * 128 + 100);
        assert_eq!(v1.program_init_gas_view(100, 10), (72 * 128 + 100, 362));
    }

    #[test]
    fn memory_growth_costs_match_hand_computed_values() {
        let m = StylusParams::default().memory();
        assert_eq!(m.gas_cost(2, 0, 0), 0, "two free pages");
        assert_eq!(
            m.gas_cost(1, 2, 2),
            1_000,
            "third page: linear 1,000 + exp(3) − exp(2) = 0"
        );
        // 0 → 32 pages: 30 × 1,000 + 75 − 1
        assert_eq!(m.gas_cost(32, 0, 0), 30_074);
        // 0 → 64: 62,000 + 5,645 − 1; 0 → 96: 94,000 + 424,206 − 1
        assert_eq!(m.gas_cost(64, 0, 0), 67_644);
        assert_eq!(m.gas_cost(96, 0, 0), 518_205);
        // 0 → 128: 126,000 + 31,873,999 − 1
        assert_eq!(m.gas_cost(128, 0, 0), 31_999_998);
        assert_eq!(m.gas_cost(129, 0, 0), u64::MAX);
        // Re-opening pages closed by a returned callee pays only the linear part.
        assert_eq!(m.gas_cost(4, 1, 5), 3_000);
        let mut pages = Pages::default();
        assert_eq!(pages.add(3), Pages::default());
        assert_eq!(pages, Pages { open: 3, ever: 3 });
    }

    #[test]
    fn data_fee_matches_hand_computed_values() {
        assert_eq!(DATA_BYTES_PER_SECOND, 34_865);
        assert_eq!(approx_exp_bips(0, 12), 10_000);
        // e^1 in bips, 12 terms: 27,182
        assert_eq!(approx_exp_bips(10_000, 12), 27_182);
        let mut pricer = DataPricer::default();
        // Long after genesis the old demand is gone; the new bytes count:
        // exponent ⌊10⁴ × 1,000,000 / 21,360,419⌋ = 468 bips, e^0.0468 ≈ 1.0479.
        let fee = pricer.update(1_000_000, 1_767_225_600);
        assert_eq!(approx_exp_bips(468, 12), 10_479);
        assert_eq!(fee, U256::from(86_900_461u64 * 1_000_000));
        assert_eq!(pricer.demand, 1_000_000);
        // One second later 34,865 bytes have drained; exponent ⌊10⁴ × 1,965,135 / 21,360,419⌋ = 919.
        let fee = pricer.update(1_000_000, 1_767_225_601);
        assert_eq!(pricer.demand, 1_965_135);
        let per_byte = 82_928_201u64 * approx_exp_bips(919, 12) / 10_000;
        assert_eq!(fee, U256::from(per_byte * 1_000_000));
        assert_eq!(approx_exp_bips(919, 12), 10_962);
    }

    #[test]
    fn return_data_floor_is_the_evm_memory_cost() {
        assert_eq!(evm_memory_cost(0), 0);
        assert_eq!(evm_memory_cost(32), 3);
        assert_eq!(evm_memory_cost(1_024), 32 * 3 + 2);
    }

    #[test]
    fn ages_count_whole_hours() {
        let t = ARBITRUM_START_TIME + 10 * 3_600 + 59;
        assert_eq!(hours_since_arbitrum(t), 10);
        assert_eq!(age_seconds(t, 10), 59);
    }
}
