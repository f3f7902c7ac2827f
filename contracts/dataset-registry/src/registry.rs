//! The DatasetRegistry program: storage, call routing and the rules.
//!
//! Like the AnnotationMarket, the registry routes its own calls through a
//! `#[fallback]` with strict hand decoding (`stylus_kit::Args`); see the
//! market's module docs for why.

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{sol, SolCall, SolEvent};
use stylus_kit::{
    b, err, not_payable, split_selector, u, unknown_function, word, Arg, Args, RawAccess, Result,
};
use stylus_sdk::{prelude::*, ArbResult};

use crate::{
    IDatasetRegistry as I, BPS, DEFAULT_ROYALTY_BPS, FORMAT_JSONL_COMPLETION, MAX_FEE_BPS,
};

sol! {
    /// The read interface every job source implements (the AnnotationMarket,
    /// the QualityHub, the QualityCourt); selectors only.
    interface IJobSource {
        function jobSource(uint256 jobId) external view returns (address creator, address token, bytes32 dataRoot, bool settled, uint32 accepted);
        function acceptedLabels(uint256 jobId, address annotator) external view returns (uint32 accepted);
    }
}

/// Raw-slot tags.
const TAG_DATASET: u8 = 1;
const TAG_ROOT: u8 = 2;
const TAG_LICENSE: u8 = 3;
const TAG_POOL: u8 = 4;
const TAG_CLAIMED: u8 = 5;
const TAG_CREDIT: u8 = 6;
/// Source address → `index ‖ enabled`; index → source address.
const TAG_SOURCE: u8 = 7;
const TAG_SOURCE_AT: u8 = 8;

/// Global words at small fixed slots (raw preimages are 128 bytes).
const SLOT_ADMIN: u64 = 0;
const SLOT_PENDING_ADMIN: u64 = 1;
const SLOT_FEE_RECIPIENT: u64 = 2;
const SLOT_FEE_BPS: u64 = 3;
const SLOT_ROYALTY_BPS: u64 = 4;
const SLOT_DATASET_COUNT: u64 = 5;
const SLOT_SOURCE_COUNT: u64 = 6;

/// Dataset flags.
const FLAG_EXTERNAL: u8 = 1;
const FLAG_CARRY: u8 = 2;
const FLAG_DELISTED: u8 = 4;

/// Gas for a view call to a job source (bounded: sources are vetted, but a
/// view never needs more).
const SOURCE_VIEW_GAS: u64 = 500_000;

/// Storage of the DatasetRegistry: everything lives in raw slots (see the
/// `SLOT_*` and `TAG_*` constants).
#[storage]
#[entrypoint]
pub struct DatasetRegistry {}

/// A dataset's three packed slots (root, metadata and data root follow):
/// - word 0: publisher(20) ‖ format ‖ flags ‖ royaltyBps(2) ‖ feeBps(2) ‖ sourceIndex ‖ licenseRoot(5)
/// - word 1: token(20) ‖ shares(4) ‖ previousVersion(8)
/// - word 2: price(16) ‖ sourceJob(8) ‖ publishedAt(8)
#[derive(Default)]
struct Dataset {
    publisher: Address,
    format: u8,
    flags: u8,
    royalty_bps: u16,
    fee_bps: u16,
    source: u8,
    license_root: u64,
    token: Address,
    shares: u32,
    previous: u64,
    price: u128,
    source_job: u64,
    published_at: u64,
}

fn be(bytes: &[u8]) -> u64 {
    stylus_kit::be(bytes) as u64
}

impl Dataset {
    fn unpack(w: [B256; 3]) -> Self {
        let (a, b, c) = (&w[0].0, &w[1].0, &w[2].0);
        Self {
            publisher: Address::from_slice(&a[..20]),
            format: a[20],
            flags: a[21],
            royalty_bps: be(&a[22..24]) as u16,
            fee_bps: be(&a[24..26]) as u16,
            source: a[26],
            license_root: be(&a[27..]),
            token: Address::from_slice(&b[..20]),
            shares: be(&b[20..24]) as u32,
            previous: be(&b[24..]),
            price: stylus_kit::be(&c[..16]),
            source_job: be(&c[16..24]),
            published_at: be(&c[24..]),
        }
    }

    fn pack(&self) -> [B256; 3] {
        let mut a = [0u8; 32];
        a[..20].copy_from_slice(self.publisher.as_slice());
        a[20] = self.format;
        a[21] = self.flags;
        stylus_kit::put(&mut a, 22, 2, self.royalty_bps.into());
        stylus_kit::put(&mut a, 24, 2, self.fee_bps.into());
        a[26] = self.source;
        stylus_kit::put(&mut a, 27, 5, self.license_root.into());
        let mut b = [0u8; 32];
        b[..20].copy_from_slice(self.token.as_slice());
        stylus_kit::put(&mut b, 20, 4, self.shares.into());
        stylus_kit::put(&mut b, 24, 8, self.previous.into());
        let mut c = [0u8; 32];
        stylus_kit::put(&mut c, 0, 16, self.price);
        stylus_kit::put(&mut c, 16, 8, self.source_job.into());
        stylus_kit::put(&mut c, 24, 8, self.published_at.into());
        [B256::new(a), B256::new(b), B256::new(c)]
    }
}

/// A royalty pool word: the royalty per share (96 bits), the remainder
/// carried to the next sale (32 bits, below `shares`), and the job creator's
/// pending proceeds (128 bits).
#[derive(Clone, Copy, Default)]
struct Pool {
    per_share: u128,
    carry: u128,
    pending: u128,
}

impl Pool {
    fn unpack(w: U256) -> Self {
        let l = w.as_limbs();
        Self {
            per_share: u128::from(l[2] >> 32) | (u128::from(l[3]) << 32),
            carry: u128::from(l[2] & 0xffff_ffff),
            pending: u128::from(l[0]) | (u128::from(l[1]) << 64),
        }
    }

    fn pack(self) -> U256 {
        // per_share < 2^96 and carry < 2^32 are checked before packing.
        let hi = (self.per_share << 32) | self.carry;
        U256::from_limbs([
            self.pending as u64,
            (self.pending >> 64) as u64,
            hi as u64,
            (hi >> 64) as u64,
        ])
    }
}

/// `amount × bps / 10,000`, exact and without overflow for any `u128`
/// amount and `bps <= 10,000` (native 128-bit arithmetic: 256-bit division
/// would link 7 KB of code).
fn bps_of(amount: u128, bps: u16) -> u128 {
    let (bps, whole) = (u128::from(bps), u128::from(BPS));
    let high = amount.checked_div(whole).unwrap_or(0).saturating_mul(bps);
    let low = amount
        .checked_rem(whole)
        .unwrap_or(0)
        .saturating_mul(bps)
        .checked_div(whole)
        .unwrap_or(0);
    high.saturating_add(low)
}

#[public]
impl DatasetRegistry {
    /// Sets the admin and enables the AnnotationMarket as the first job
    /// source; the royalty share starts at 20 %, the platform fee at 0.
    ///
    /// # Errors
    /// * `ZeroAddress` if either is zero.
    ///
    /// # Events
    /// * `AdminTransferred(0, admin)`, `JobSourceSet(market, 1, true)`.
    #[constructor]
    pub fn constructor(&mut self, admin: Address, market: Address) -> Result<()> {
        if admin.is_zero() || market.is_zero() {
            return Err(err::<I::ZeroAddress>(&[]));
        }
        self.put_global(SLOT_ADMIN, word(admin));
        self.put_global(SLOT_ROYALTY_BPS, U256::from(DEFAULT_ROYALTY_BPS));
        self.emit(
            I::AdminTransferred::SIGNATURE_HASH,
            &[U256::ZERO, word(admin)],
            &[],
        );
        self.set_source(market, true)
    }

    /// Every function of the `IDatasetRegistry` interface, routed by selector.
    #[fallback]
    #[payable]
    #[allow(clippy::too_many_lines)]
    pub fn route(&mut self, input: &[u8]) -> ArbResult {
        let (selector, a) = split_selector(input)?;
        if selector != I::purchaseCall::SELECTOR && !self.vm().msg_value().is_zero() {
            return Err(not_payable());
        }
        let ret = stylus_kit::ret;
        match selector {
            I::publishCall::SELECTOR => Ok(ret(&[self.publish(&a)?])),
            I::setPriceCall::SELECTOR => {
                let id = a.word(0)?;
                let price: u128 = a.uint(1, 128)?.saturating_to();
                let mut d = self.owned(id)?;
                d.price = price;
                self.save(id, &d);
                self.emit(
                    I::PriceChanged::SIGNATURE_HASH,
                    &[id],
                    &[Arg::W(U256::from(price))],
                );
                Ok(vec![])
            }
            I::setListedCall::SELECTOR => {
                let id = a.word(0)?;
                let listed = a.boolean(1)?;
                let mut d = self.owned(id)?;
                d.flags = if listed {
                    d.flags & !FLAG_DELISTED
                } else {
                    d.flags | FLAG_DELISTED
                };
                self.save(id, &d);
                self.emit(
                    I::ListingChanged::SIGNATURE_HASH,
                    &[id],
                    &[Arg::W(u(u8::from(listed)))],
                );
                Ok(vec![])
            }
            I::purchaseCall::SELECTOR => self.purchase(&a, false).map(|()| vec![]),
            I::purchaseWithPermitCall::SELECTOR => self.purchase(&a, true).map(|()| vec![]),
            I::withdrawRoyaltiesCall::SELECTOR => {
                let (source, job) = (a.address(0)?, a.word(1)?);
                let (token, to) = (a.address(2)?, a.address(3)?);
                Ok(ret(&[self.withdraw_royalties(source, job, token, to)?]))
            }
            I::withdrawCall::SELECTOR => Ok(ret(&[self.withdraw(a.address(0)?, a.address(1)?)?])),
            I::getDatasetCall::SELECTOR => {
                let id = a.word(0)?;
                let d = self.dataset(id);
                let base = self.base(id);
                let source = if d.source == 0 {
                    U256::ZERO
                } else {
                    self.sload(self.source_at(d.source))
                };
                let words = [
                    word(d.publisher),
                    self.sload(base.wrapping_add(U256::from(3))),
                    self.sload(base.wrapping_add(U256::from(4))),
                    self.sload(base.wrapping_add(U256::from(5))),
                    u(d.format),
                    U256::from(d.price),
                    word(d.token),
                    source,
                    u(d.source_job),
                    u(d.previous),
                    u(d.license_root),
                    u(d.flags & FLAG_EXTERNAL),
                    u((d.flags & FLAG_CARRY) >> 1),
                    u(u8::from(
                        d.flags & FLAG_DELISTED == 0 && !d.publisher.is_zero(),
                    )),
                    u(d.royalty_bps),
                    u(d.fee_bps),
                    u(d.shares),
                    u(d.published_at),
                ];
                Ok(ret(&words))
            }
            I::datasetByRootCall::SELECTOR => {
                let slot = self.root_slot(a.address(0)?, a.b256(1)?);
                Ok(ret(&[self.sload(slot)]))
            }
            I::datasetCountCall::SELECTOR => Ok(ret(&[self.global(SLOT_DATASET_COUNT)])),
            I::hasLicenseCall::SELECTOR => {
                let (id, account) = (a.word(0)?, a.address(1)?);
                let licensed = !self.license(id, account).is_zero();
                Ok(ret(&[u(u8::from(licensed))]))
            }
            I::licenseOfCall::SELECTOR => {
                let l = self.license(a.word(0)?, a.address(1)?);
                Ok(ret(&[l.wrapping_shr(64), l & U256::from(u64::MAX)]))
            }
            I::royaltyOfCall::SELECTOR => {
                let (source, job) = (a.address(0)?, a.word(1)?);
                let (token, account) = (a.address(2)?, a.address(3)?);
                let owed = self.royalty(source, job, token, account)?;
                Ok(ret(&[owed.royalties.saturating_add(owed.proceeds)]))
            }
            I::creditOfCall::SELECTOR => {
                let slot = self.credit_slot(a.address(0)?, a.address(1)?);
                Ok(ret(&[self.sload(slot)]))
            }
            I::jobSourceOfCall::SELECTOR => {
                let w = self.sload(self.source_slot(a.address(0)?));
                Ok(ret(&[w.wrapping_shr(8), w & U256::from(1)]))
            }
            I::adminCall::SELECTOR => Ok(ret(&[self.global(SLOT_ADMIN)])),
            I::pendingAdminCall::SELECTOR => Ok(ret(&[self.global(SLOT_PENDING_ADMIN)])),
            I::feeCall::SELECTOR => Ok(ret(&[
                self.global(SLOT_FEE_RECIPIENT),
                self.global(SLOT_FEE_BPS),
            ])),
            I::royaltyBpsCall::SELECTOR => Ok(ret(&[self.global(SLOT_ROYALTY_BPS)])),
            I::setFeeCall::SELECTOR => {
                let (recipient, bps) = (a.address(0)?, a.u64(1, 16)? as u16);
                self.only_admin()?;
                // A zero recipient would burn the fees of datasets already
                // published with a fee, so it is refused whatever the rate.
                if bps > MAX_FEE_BPS || recipient.is_zero() {
                    return Err(err::<I::InvalidParameter>(&[u(4u8)]));
                }
                self.put_global(SLOT_FEE_RECIPIENT, word(recipient));
                self.put_global(SLOT_FEE_BPS, u(bps));
                self.emit(
                    I::FeeChanged::SIGNATURE_HASH,
                    &[],
                    &[Arg::W(word(recipient)), Arg::W(u(bps))],
                );
                Ok(vec![])
            }
            I::setRoyaltyBpsCall::SELECTOR => {
                let bps = a.u64(0, 16)? as u16;
                self.only_admin()?;
                if bps > BPS {
                    return Err(err::<I::InvalidParameter>(&[u(5u8)]));
                }
                self.put_global(SLOT_ROYALTY_BPS, u(bps));
                self.emit(
                    I::RoyaltyShareChanged::SIGNATURE_HASH,
                    &[],
                    &[Arg::W(u(bps))],
                );
                Ok(vec![])
            }
            I::setJobSourceCall::SELECTOR => {
                let (source, enabled) = (a.address(0)?, a.boolean(1)?);
                self.only_admin()?;
                if source.is_zero() {
                    return Err(err::<I::ZeroAddress>(&[]));
                }
                self.set_source(source, enabled).map(|()| vec![])
            }
            I::transferAdminCall::SELECTOR => {
                let new_admin = a.address(0)?;
                self.only_admin()?;
                self.put_global(SLOT_PENDING_ADMIN, word(new_admin));
                self.emit(
                    I::AdminTransferStarted::SIGNATURE_HASH,
                    &[self.global(SLOT_ADMIN), word(new_admin)],
                    &[],
                );
                Ok(vec![])
            }
            I::acceptAdminCall::SELECTOR => {
                let caller = self.vm().msg_sender();
                if word(caller) != self.global(SLOT_PENDING_ADMIN) || caller.is_zero() {
                    return Err(err::<I::Unauthorized>(&[word(caller)]));
                }
                let previous = self.global(SLOT_ADMIN);
                self.put_global(SLOT_ADMIN, word(caller));
                self.put_global(SLOT_PENDING_ADMIN, U256::ZERO);
                self.emit(
                    I::AdminTransferred::SIGNATURE_HASH,
                    &[previous, word(caller)],
                    &[],
                );
                Ok(vec![])
            }
            _ => Err(unknown_function(selector)),
        }
    }
}

/// What an account can withdraw from a pool, and where it is kept.
struct Owed {
    royalties: U256,
    proceeds: U256,
    pool: U256,
    claimed: U256,
}

impl DatasetRegistry {
    fn global(&self, slot: u64) -> U256 {
        self.sload(U256::from(slot))
    }

    fn put_global(&self, slot: u64, value: U256) {
        self.sstore(U256::from(slot), value);
    }

    fn base(&self, id: U256) -> U256 {
        self.slot(TAG_DATASET, id, U256::ZERO, U256::ZERO)
    }

    fn root_slot(&self, publisher: Address, root: B256) -> U256 {
        self.slot(TAG_ROOT, word(publisher), b(root), U256::ZERO)
    }

    fn source_slot(&self, source: Address) -> U256 {
        self.slot(TAG_SOURCE, word(source), U256::ZERO, U256::ZERO)
    }

    fn source_at(&self, index: u8) -> U256 {
        self.slot(TAG_SOURCE_AT, u(index), U256::ZERO, U256::ZERO)
    }

    fn pool_slot(&self, source: u8, job: U256, token: Address) -> U256 {
        self.slot(TAG_POOL, u(source), job, word(token))
    }

    fn credit_slot(&self, token: Address, account: Address) -> U256 {
        self.slot(TAG_CREDIT, word(token), word(account), U256::ZERO)
    }

    /// Enables or disables `source`, giving it the next index when new.
    fn set_source(&self, source: Address, enabled: bool) -> Result<()> {
        let slot = self.source_slot(source);
        let mut index: u8 = self.sload(slot).wrapping_shr(8).saturating_to();
        if index == 0 {
            let count: u8 = self.global(SLOT_SOURCE_COUNT).saturating_to();
            index = count
                .checked_add(1)
                .ok_or_else(|| err::<I::InvalidParameter>(&[u(8u8)]))?;
            self.put_global(SLOT_SOURCE_COUNT, u(index));
            self.sstore(self.source_at(index), word(source));
        }
        self.sstore(slot, u(index).wrapping_shl(8) | u(u8::from(enabled)));
        self.emit(
            I::JobSourceSet::SIGNATURE_HASH,
            &[word(source)],
            &[Arg::W(u(index)), Arg::W(u(u8::from(enabled)))],
        );
        Ok(())
    }

    /// The index of a registered source (enabled or not), else `UnknownJobSource`.
    fn source_index(&self, source: Address, need_enabled: bool) -> Result<u8> {
        let w = self.sload(self.source_slot(source));
        let index: u8 = w.wrapping_shr(8).saturating_to();
        if index == 0 || (need_enabled && !w.bit(0)) {
            return Err(err::<I::UnknownJobSource>(&[word(source)]));
        }
        Ok(index)
    }

    fn credit(&self, token: Address, account: Address, amount: U256) {
        if amount.is_zero() {
            return;
        }
        let slot = self.credit_slot(token, account);
        // Credits are backed by payments received: far below 2^256.
        self.sstore(slot, self.sload(slot).saturating_add(amount));
        self.emit(
            I::Credited::SIGNATURE_HASH,
            &[word(token), word(account)],
            &[Arg::W(amount)],
        );
    }

    /// The dataset record (publisher zero for an unknown id).
    fn dataset(&self, id: U256) -> Dataset {
        let base = self.base(id);
        let w = |i: u64| B256::from(self.sload(base.wrapping_add(U256::from(i))));
        Dataset::unpack([w(0), w(1), w(2)])
    }

    fn load_dataset(&self, id: U256) -> Result<Dataset> {
        let d = self.dataset(id);
        if d.publisher.is_zero() {
            return Err(err::<I::DatasetNotFound>(&[id]));
        }
        Ok(d)
    }

    /// The dataset, if the caller publishes it.
    fn owned(&self, id: U256) -> Result<Dataset> {
        let d = self.load_dataset(id)?;
        let caller = self.vm().msg_sender();
        if caller != d.publisher {
            return Err(err::<I::Unauthorized>(&[word(caller)]));
        }
        Ok(d)
    }

    fn save(&self, id: U256, d: &Dataset) {
        let base = self.base(id);
        for (i, w) in d.pack().iter().enumerate() {
            self.sstore(base.wrapping_add(U256::from(i)), b(*w));
        }
    }

    fn only_admin(&self) -> Result<()> {
        let caller = self.vm().msg_sender();
        if word(caller) == self.global(SLOT_ADMIN) {
            Ok(())
        } else {
            Err(err::<I::Unauthorized>(&[word(caller)]))
        }
    }

    /// A view call to `source` returning at least `words` words.
    fn source_view(&self, source: Address, data: &[u8], words: usize) -> Result<Vec<u8>> {
        match stylus_kit::view(self.vm(), source, data, SOURCE_VIEW_GAS) {
            Some(out) if out.len() >= words.saturating_mul(32) => Ok(out),
            _ => Err(err::<I::SourceCallFailed>(&[word(source)])),
        }
    }

    /// `license(datasetId, account)`: `purchasedVersion << 64 | purchasedAt`
    /// of the licence under the dataset's licence root (zero if none).
    fn license(&self, id: U256, account: Address) -> U256 {
        let root = self.dataset(id).license_root;
        if root == 0 {
            return U256::ZERO;
        }
        self.sload(self.slot(TAG_LICENSE, u(root), word(account), U256::ZERO))
    }

    #[allow(clippy::too_many_lines)]
    fn publish(&mut self, a: &Args<'_>) -> Result<U256> {
        let root = a.b256(0)?;
        let metadata = a.b256(1)?;
        let format = a.u64(2, 8)? as u8;
        let price: u128 = a.uint(3, 128)?.saturating_to();
        let token = a.address(4)?;
        let source = a.address(5)?;
        let job = a.uint(6, 64)?;
        let previous = a.u64(7, 64)?;
        let carry = a.boolean(8)?;
        let bad = |f: u8| err::<I::InvalidParameter>(&[u(f)]);
        if root.is_zero() {
            return Err(bad(1));
        }
        if format > FORMAT_JSONL_COMPLETION {
            return Err(bad(2));
        }
        if source.is_zero() != job.is_zero() {
            return Err(bad(8));
        }
        let publisher = self.vm().msg_sender();
        let root_slot = self.root_slot(publisher, root);
        let existing = self.sload(root_slot);
        if !existing.is_zero() {
            return Err(err::<I::RootAlreadyPublished>(&[b(root), existing]));
        }
        let id = self
            .global(SLOT_DATASET_COUNT)
            .saturating_add(U256::from(1));
        let mut d = Dataset {
            publisher,
            format,
            token,
            price,
            previous,
            published_at: self.vm().block_timestamp(),
            license_root: id.saturating_to(),
            fee_bps: self.global(SLOT_FEE_BPS).saturating_to(),
            source_job: job.saturating_to(),
            ..Dataset::default()
        };
        let mut data_root = U256::ZERO;
        if job.is_zero() {
            d.flags |= FLAG_EXTERNAL;
        } else {
            d.source = self.source_index(source, true)?;
            let call = IJobSource::jobSourceCall { jobId: job }.abi_encode();
            let out = self.source_view(source, &call, 5)?;
            // source_view checked at least 5 words.
            let w = |i: usize| {
                U256::from_be_slice(
                    out.get(i.wrapping_mul(32)..)
                        .unwrap_or(&[])
                        .get(..32)
                        .unwrap_or(&[]),
                )
            };
            let creator = Address::from_slice(&out[12..32]);
            if creator != publisher {
                return Err(err::<I::NotJobCreator>(&[job, word(creator)]));
            }
            let shares: u32 = w(4).saturating_to();
            if w(3).is_zero() || shares == 0 {
                return Err(err::<I::JobNotSettled>(&[job]));
            }
            data_root = w(2);
            d.shares = shares;
            d.royalty_bps = self.global(SLOT_ROYALTY_BPS).saturating_to();
        }
        if previous != 0 {
            let p = self.dataset(u(previous));
            // Same publisher and same source job (or both external): a licence
            // root always routes its royalties to one job's annotators.
            if p.publisher != publisher || p.source != d.source || p.source_job != d.source_job {
                return Err(bad(3));
            }
            if carry {
                d.license_root = p.license_root;
                d.flags |= FLAG_CARRY;
            }
        }
        self.put_global(SLOT_DATASET_COUNT, id);
        self.sstore(root_slot, id);
        self.save(id, &d);
        let base = self.base(id);
        self.sstore(base.wrapping_add(U256::from(3)), b(root));
        if !metadata.is_zero() {
            self.sstore(base.wrapping_add(U256::from(4)), b(metadata));
        }
        if !data_root.is_zero() {
            self.sstore(base.wrapping_add(U256::from(5)), data_root);
        }
        self.emit(
            I::DatasetPublished::SIGNATURE_HASH,
            &[id, word(publisher), b(root)],
            &[
                Arg::W(word(source)),
                Arg::W(job),
                Arg::W(data_root),
                Arg::W(u(previous)),
                Arg::W(u(format)),
                Arg::W(U256::from(price)),
                Arg::W(word(token)),
                Arg::W(u(u8::from(carry && previous != 0))),
            ],
        );
        Ok(id)
    }

    #[allow(clippy::too_many_lines)]
    fn purchase(&mut self, a: &Args<'_>, with_permit: bool) -> Result<()> {
        let id = a.word(0)?;
        let licensee = a.address(1)?;
        let token = a.address(2)?;
        let max_price: u128 = a.uint(3, 128)?.saturating_to();
        let permit = if with_permit { a.bytes(4)? } else { &[] };
        let d = self.load_dataset(id)?;
        if d.flags & FLAG_DELISTED != 0 {
            return Err(err::<I::DatasetDelisted>(&[id]));
        }
        if licensee.is_zero() {
            return Err(err::<I::ZeroAddress>(&[]));
        }
        if token != d.token {
            return Err(err::<I::WrongToken>(&[word(d.token)]));
        }
        if d.price > max_price {
            return Err(err::<I::PriceAboveMax>(&[
                U256::from(d.price),
                U256::from(max_price),
            ]));
        }
        if with_permit && (permit.len() != 128 || d.token.is_zero()) {
            return Err(err::<I::InvalidParameter>(&[u(6u8)]));
        }
        let license_slot = self.slot(TAG_LICENSE, u(d.license_root), word(licensee), U256::ZERO);
        if !self.sload(license_slot).is_zero() {
            return Err(err::<I::AlreadyLicensed>(&[id, word(licensee)]));
        }
        let buyer = self.vm().msg_sender();
        let price = U256::from(d.price);
        let value = self.vm().msg_value();
        let mut excess = U256::ZERO;
        if d.token.is_zero() {
            if value < price {
                return Err(err::<I::InsufficientPayment>(&[price, value]));
            }
            excess = value.saturating_sub(price);
        } else if !value.is_zero() {
            return Err(not_payable());
        }

        // The split: fee, then the royalty share of the rest, then the
        // publisher's proceeds.
        let fee = bps_of(d.price, d.fee_bps);
        let rest = d.price.saturating_sub(fee);
        let royalty = bps_of(rest, d.royalty_bps);
        let proceeds = rest.saturating_sub(royalty);
        let now = self.vm().block_timestamp();
        self.sstore(license_slot, id.wrapping_shl(64) | u(now));
        if d.source_job == 0 {
            self.credit(d.token, d.publisher, U256::from(proceeds));
        } else {
            // Job-sourced datasets are published by the job's creator only,
            // so one pool word of (source, job, token) holds the royalty per
            // share, the remainder carried to the next sale and the
            // creator's unwithdrawn proceeds: one slot write per sale.
            // per_share × shares stays below 2^128, so every later product fits.
            let slot = self.pool_slot(d.source, u(d.source_job), d.token);
            let mut pool = Pool::unpack(self.sload(slot));
            let shares = u128::from(d.shares);
            let owed = royalty.checked_add(pool.carry);
            let per_share = owed
                .and_then(|o| o.checked_div(shares))
                .and_then(|s| pool.per_share.checked_add(s));
            let fits = per_share
                .filter(|&p| p < 1 << 96)
                .and_then(|p| p.checked_mul(shares))
                .is_some();
            let (Some(owed), Some(per_share), Some(pending), true) =
                (owed, per_share, pool.pending.checked_add(proceeds), fits)
            else {
                return Err(err::<I::InvalidParameter>(&[u(7u8)]));
            };
            pool = Pool {
                per_share,
                carry: owed.checked_rem(shares).unwrap_or(0),
                pending,
            };
            self.sstore(slot, pool.pack());
        }
        let (fee, royalty) = (U256::from(fee), U256::from(royalty));
        if !fee.is_zero() {
            let recipient = Address::from_word(B256::from(self.global(SLOT_FEE_RECIPIENT)));
            self.credit(d.token, recipient, fee);
        }
        self.credit(Address::ZERO, buyer, excess);
        self.emit(
            I::LicensePurchased::SIGNATURE_HASH,
            &[id, word(buyer), word(licensee)],
            &[Arg::W(price), Arg::W(royalty), Arg::W(fee)],
        );
        if d.token.is_zero() || price.is_zero() {
            return Ok(());
        }
        // ERC-20: pull the exact price after every state change. A permit
        // is for `maxPrice`; if it failed, only the allowance that exact
        // permit leaves behind (a front-run of it) may be used.
        if with_permit
            && !stylus_kit::permit_then_check(
                self.vm(),
                d.token,
                buyer,
                U256::from(max_price),
                permit,
            )
        {
            return Err(err::<I::TokenCallFailed>(&[word(d.token)]));
        }
        stylus_kit::pull(self.vm(), d.token, buyer, price)
    }

    /// What `account` can withdraw from the pool of (source, job, token): its
    /// royalties (`accepted × perShare − withdrawn`), plus the pending sale
    /// proceeds when it is the job's creator (the only possible publisher).
    fn royalty(
        &self,
        source: Address,
        job: U256,
        token: Address,
        account: Address,
    ) -> Result<Owed> {
        let index = self.source_index(source, false)?;
        let pool_slot = self.pool_slot(index, job, token);
        let pool = Pool::unpack(self.sload(pool_slot));
        let claimed = self.slot(TAG_CLAIMED, pool_slot, word(account), U256::ZERO);
        let mut owed = Owed {
            royalties: U256::ZERO,
            proceeds: U256::ZERO,
            pool: pool_slot,
            claimed,
        };
        if pool.per_share == 0 && pool.pending == 0 {
            return Ok(owed);
        }
        let call = IJobSource::jobSourceCall { jobId: job }.abi_encode();
        let out = self.source_view(source, &call, 5)?;
        if Address::from_slice(&out[12..32]) == account {
            owed.proceeds = U256::from(pool.pending);
        }
        let call = IJobSource::acceptedLabelsCall {
            jobId: job,
            annotator: account,
        }
        .abi_encode();
        let out = self.source_view(source, &call, 1)?;
        let accepted: u128 = U256::from_be_slice(&out[..32]).saturating_to();
        // accepted <= shares and per_share × shares < 2^128 (checked at purchase).
        let earned = U256::from(accepted.saturating_mul(pool.per_share));
        owed.royalties = earned.saturating_sub(self.sload(claimed));
        Ok(owed)
    }

    fn withdraw_royalties(
        &mut self,
        source: Address,
        job: U256,
        token: Address,
        to: Address,
    ) -> Result<U256> {
        if to.is_zero() {
            return Err(err::<I::ZeroAddress>(&[]));
        }
        let account = self.vm().msg_sender();
        let owed = self.royalty(source, job, token, account)?;
        let amount = owed.royalties.saturating_add(owed.proceeds);
        if amount.is_zero() {
            return Err(err::<I::NothingToWithdraw>(&[]));
        }
        if !owed.royalties.is_zero() {
            self.sstore(
                owed.claimed,
                self.sload(owed.claimed).saturating_add(owed.royalties),
            );
        }
        if !owed.proceeds.is_zero() {
            // Keep the per-share accumulator and the carry, zero the proceeds.
            let mut pool = Pool::unpack(self.sload(owed.pool));
            pool.pending = 0;
            self.sstore(owed.pool, pool.pack());
        }
        self.emit(
            I::RoyaltyWithdrawn::SIGNATURE_HASH,
            &[job, word(token), word(account)],
            &[Arg::W(word(source)), Arg::W(word(to)), Arg::W(amount)],
        );
        if !stylus_kit::transfer_out(self.vm(), token, to, amount, u64::MAX) {
            return Err(err::<I::WithdrawFailed>(&[word(token), word(to)]));
        }
        Ok(amount)
    }

    fn withdraw(&mut self, token: Address, to: Address) -> Result<U256> {
        if to.is_zero() {
            return Err(err::<I::ZeroAddress>(&[]));
        }
        let owner = self.vm().msg_sender();
        let slot = self.credit_slot(token, owner);
        let amount = self.sload(slot);
        if amount.is_zero() {
            return Err(err::<I::NothingToWithdraw>(&[]));
        }
        self.sstore(slot, U256::ZERO);
        self.emit(
            I::Withdrawn::SIGNATURE_HASH,
            &[word(token), word(owner)],
            &[Arg::W(word(to)), Arg::W(amount)],
        );
        if !stylus_kit::transfer_out(self.vm(), token, to, amount, u64::MAX) {
            return Err(err::<I::WithdrawFailed>(&[word(token), word(to)]));
        }
        Ok(amount)
    }
}
