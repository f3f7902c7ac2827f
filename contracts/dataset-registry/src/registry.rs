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
use stylus_sdk::{
    call::static_call,
    prelude::*,
    storage::{StorageAddress, StorageU256},
    stylus_core::calls::Call,
    ArbResult,
};

use crate::{
    IDatasetRegistry as I, BPS, DEFAULT_ROYALTY_BPS, FORMAT_JSONL_COMPLETION, MAX_FEE_BPS,
};

sol! {
    /// The AnnotationMarket views the registry reads (selectors only).
    interface IMarketViews {
        function getJob(uint256 jobId) external view returns (address creator, address token, uint128 rewardPerTask, uint32 taskCount, uint8 replication, uint8 schema, uint16 numClasses, uint8 status, bytes32 dataRoot, bytes32 metadataHash, uint32 claimDuration, uint64 submitDeadline, uint32 reviewWindow, uint16 maxClaim, uint8 consensus, uint32 reserved, uint32 approved, uint32 batches, uint256 escrow);
        function annotatorRecord(uint256 jobId, address annotator) external view returns (uint32 open, uint32 pending, uint32 approved, uint32 rejected, uint32 released, uint64 claimExpiry);
    }
}

/// Raw-slot tags.
const TAG_DATASET: u8 = 1;
const TAG_ROOT: u8 = 2;
const TAG_LICENSE: u8 = 3;
const TAG_POOL: u8 = 4;
const TAG_CLAIMED: u8 = 5;
const TAG_CREDIT: u8 = 6;

/// Dataset flags.
const FLAG_EXTERNAL: u8 = 1;
const FLAG_CARRY: u8 = 2;
const FLAG_DELISTED: u8 = 4;

/// Market job statuses the registry accepts as settled.
const JOB_COMPLETED: u64 = 2;
const JOB_CANCELLED: u64 = 3;

/// Storage of the DatasetRegistry: configuration in SDK-typed slots, datasets,
/// licences, royalty pools and credits in raw slots `keccak256(tag ‖ a ‖ b ‖ c)`.
#[storage]
#[entrypoint]
pub struct DatasetRegistry {
    admin: StorageAddress,
    market: StorageAddress,
    fee_recipient: StorageAddress,
    fee_bps: StorageU256,
    royalty_bps: StorageU256,
    dataset_count: StorageU256,
}

/// A dataset's three packed slots (root, metadata and data root follow):
/// - word 0: publisher(20) ‖ format ‖ flags ‖ royaltyBps(2) ‖ feeBps(2) ‖ licenseRoot(6)
/// - word 1: token(20) ‖ shares(4) ‖ previousVersion(8)
/// - word 2: price(16) ‖ sourceJob(8) ‖ publishedAt(8)
#[derive(Default)]
struct Dataset {
    publisher: Address,
    format: u8,
    flags: u8,
    royalty_bps: u16,
    fee_bps: u16,
    license_root: u64,
    token: Address,
    shares: u32,
    previous: u64,
    price: u128,
    source_job: u64,
    published_at: u64,
}

fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
}

impl Dataset {
    fn unpack(w: [B256; 3]) -> Self {
        let (a, b, c) = (&w[0].0, &w[1].0, &w[2].0);
        let mut price = [0u8; 16];
        price.copy_from_slice(&c[..16]);
        Self {
            publisher: Address::from_slice(&a[..20]),
            format: a[20],
            flags: a[21],
            royalty_bps: be(&a[22..24]) as u16,
            fee_bps: be(&a[24..26]) as u16,
            license_root: be(&a[26..]),
            token: Address::from_slice(&b[..20]),
            shares: be(&b[20..24]) as u32,
            previous: be(&b[24..]),
            price: u128::from_be_bytes(price),
            source_job: be(&c[16..24]),
            published_at: be(&c[24..]),
        }
    }

    fn pack(&self) -> [B256; 3] {
        let mut a = [0u8; 32];
        a[..20].copy_from_slice(self.publisher.as_slice());
        a[20] = self.format;
        a[21] = self.flags;
        a[22..24].copy_from_slice(&self.royalty_bps.to_be_bytes());
        a[24..26].copy_from_slice(&self.fee_bps.to_be_bytes());
        a[26..].copy_from_slice(&self.license_root.to_be_bytes()[2..]);
        let mut b = [0u8; 32];
        b[..20].copy_from_slice(self.token.as_slice());
        b[20..24].copy_from_slice(&self.shares.to_be_bytes());
        b[24..].copy_from_slice(&self.previous.to_be_bytes());
        let mut c = [0u8; 32];
        c[..16].copy_from_slice(&self.price.to_be_bytes());
        c[16..24].copy_from_slice(&self.source_job.to_be_bytes());
        c[24..].copy_from_slice(&self.published_at.to_be_bytes());
        [B256::new(a), B256::new(b), B256::new(c)]
    }
}

/// A pool word: `(royalty per share, creator's pending proceeds)`.
fn split(w: U256) -> (u128, u128) {
    let limbs = w.as_limbs();
    (
        u128::from(limbs[2]) | (u128::from(limbs[3]) << 64),
        u128::from(limbs[0]) | (u128::from(limbs[1]) << 64),
    )
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
    /// Sets the admin and the AnnotationMarket that provenance is read from;
    /// the royalty share starts at 20 %, the platform fee at 0.
    ///
    /// # Errors
    /// * `ZeroAddress` if either is zero.
    #[constructor]
    pub fn constructor(&mut self, admin: Address, market: Address) -> Result<()> {
        if admin.is_zero() || market.is_zero() {
            return Err(err::<I::ZeroAddress>(&[]));
        }
        self.admin.set(admin);
        self.market.set(market);
        self.royalty_bps.set(U256::from(DEFAULT_ROYALTY_BPS));
        stylus_kit::emit(
            self.vm(),
            I::AdminChanged::SIGNATURE_HASH,
            &[U256::ZERO, word(admin)],
            &[],
        );
        Ok(())
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
                let (job, token, to) = (a.word(0)?, a.address(1)?, a.address(2)?);
                Ok(ret(&[self.withdraw_royalties(job, token, to)?]))
            }
            I::withdrawCall::SELECTOR => Ok(ret(&[self.withdraw(a.address(0)?, a.address(1)?)?])),
            I::getDatasetCall::SELECTOR => {
                let id = a.word(0)?;
                let d = self.dataset(id);
                let base = self.base(id);
                let words = [
                    word(d.publisher),
                    self.sload(base.wrapping_add(U256::from(3))),
                    self.sload(base.wrapping_add(U256::from(4))),
                    self.sload(base.wrapping_add(U256::from(5))),
                    u(d.format),
                    U256::from(d.price),
                    word(d.token),
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
                let slot = self.slot(TAG_ROOT, a.word(0)?, U256::ZERO, U256::ZERO);
                Ok(ret(&[self.sload(slot)]))
            }
            I::datasetCountCall::SELECTOR => Ok(ret(&[self.dataset_count.get()])),
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
                let (job, token, annotator) = (a.word(0)?, a.address(1)?, a.address(2)?);
                let (royalties, proceeds, _, _) = self.royalty(job, token, annotator)?;
                Ok(ret(&[royalties.saturating_add(proceeds)]))
            }
            I::creditOfCall::SELECTOR => {
                let slot = self.credit_slot(a.address(0)?, a.address(1)?);
                Ok(ret(&[self.sload(slot)]))
            }
            I::marketCall::SELECTOR => Ok(ret(&[word(self.market.get())])),
            I::adminCall::SELECTOR => Ok(ret(&[word(self.admin.get())])),
            I::feeCall::SELECTOR => Ok(ret(&[word(self.fee_recipient.get()), self.fee_bps.get()])),
            I::royaltyBpsCall::SELECTOR => Ok(ret(&[self.royalty_bps.get()])),
            I::setFeeCall::SELECTOR => {
                let (recipient, bps) = (a.address(0)?, a.u64(1, 16)? as u16);
                self.only_admin()?;
                if bps > MAX_FEE_BPS || (bps != 0 && recipient.is_zero()) {
                    return Err(err::<I::InvalidParameter>(&[u(4u8)]));
                }
                self.fee_recipient.set(recipient);
                self.fee_bps.set(U256::from(bps));
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
                self.royalty_bps.set(U256::from(bps));
                self.emit(
                    I::RoyaltyShareChanged::SIGNATURE_HASH,
                    &[],
                    &[Arg::W(u(bps))],
                );
                Ok(vec![])
            }
            I::setAdminCall::SELECTOR => {
                let new_admin = a.address(0)?;
                self.only_admin()?;
                if new_admin.is_zero() {
                    return Err(err::<I::ZeroAddress>(&[]));
                }
                let previous = self.admin.get();
                self.admin.set(new_admin);
                self.emit(
                    I::AdminChanged::SIGNATURE_HASH,
                    &[word(previous), word(new_admin)],
                    &[],
                );
                Ok(vec![])
            }
            _ => Err(unknown_function(selector)),
        }
    }
}

impl DatasetRegistry {
    fn base(&self, id: U256) -> U256 {
        self.slot(TAG_DATASET, id, U256::ZERO, U256::ZERO)
    }

    fn credit_slot(&self, token: Address, account: Address) -> U256 {
        self.slot(TAG_CREDIT, word(token), word(account), U256::ZERO)
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
        if caller == self.admin.get() {
            Ok(())
        } else {
            Err(err::<I::Unauthorized>(&[word(caller)]))
        }
    }

    /// Static call to the market returning word `i..` of the result.
    fn market_view(&self, data: &[u8], min_words: usize) -> Result<Vec<u8>> {
        match static_call(self.vm(), Call::new(), self.market.get(), data) {
            Ok(out) if out.len() >= min_words.saturating_mul(32) => Ok(out),
            _ => Err(err::<I::MarketCallFailed>(&[])),
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

    fn publish(&mut self, a: &Args<'_>) -> Result<U256> {
        let root = a.b256(0)?;
        let metadata = a.b256(1)?;
        let format = a.u64(2, 8)? as u8;
        let price: u128 = a.uint(3, 128)?.saturating_to();
        let token = a.address(4)?;
        let job = a.uint(5, 64)?;
        let previous = a.u64(6, 64)?;
        let carry = a.boolean(7)?;
        let bad = |f: u8| err::<I::InvalidParameter>(&[u(f)]);
        if root.is_zero() {
            return Err(bad(1));
        }
        if format > FORMAT_JSONL_COMPLETION {
            return Err(bad(2));
        }
        let root_slot = self.slot(TAG_ROOT, b(root), U256::ZERO, U256::ZERO);
        let existing = self.sload(root_slot);
        if !existing.is_zero() {
            return Err(err::<I::RootAlreadyPublished>(&[b(root), existing]));
        }
        let publisher = self.vm().msg_sender();
        let id = self.dataset_count.get().saturating_add(U256::from(1));
        let mut d = Dataset {
            publisher,
            format,
            token,
            price,
            previous,
            published_at: self.vm().block_timestamp(),
            license_root: id.saturating_to(),
            fee_bps: self.fee_bps.get().saturating_to(),
            ..Dataset::default()
        };
        if previous != 0 {
            let p = self.dataset(u(previous));
            if p.publisher != publisher {
                return Err(bad(3));
            }
            if carry {
                d.license_root = p.license_root;
                d.flags |= FLAG_CARRY;
            }
        }
        let mut data_root = U256::ZERO;
        if job.is_zero() {
            d.flags |= FLAG_EXTERNAL;
        } else {
            let call = IMarketViews::getJobCall { jobId: job }.abi_encode();
            let out = self.market_view(&call, 17)?;
            // market_view checked at least 17 words.
            let w = |i: usize| {
                out.chunks_exact(32)
                    .nth(i)
                    .map_or(U256::ZERO, U256::from_be_slice)
            };
            let creator = Address::from_slice(&out[12..32]);
            if creator != publisher {
                return Err(err::<I::NotJobCreator>(&[job, word(creator)]));
            }
            let status: u64 = w(7).saturating_to();
            let settled = status == JOB_COMPLETED || (status == JOB_CANCELLED && w(15).is_zero());
            let shares: u32 = w(16).saturating_to();
            if !settled || shares == 0 {
                return Err(err::<I::JobNotSettled>(&[job]));
            }
            data_root = w(8);

            d.source_job = job.saturating_to();
            d.shares = shares;
            d.royalty_bps = self.royalty_bps.get().saturating_to();
        }
        self.dataset_count.set(id);
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

    fn purchase(&mut self, a: &Args<'_>, with_permit: bool) -> Result<()> {
        let id = a.word(0)?;
        let licensee = a.address(1)?;
        let permit = if with_permit { a.bytes(2)? } else { &[] };
        let d = self.load_dataset(id)?;
        if d.flags & FLAG_DELISTED != 0 {
            return Err(err::<I::DatasetDelisted>(&[id]));
        }
        if licensee.is_zero() {
            return Err(err::<I::ZeroAddress>(&[]));
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

        // The split: fee, then royalty per share of the rest, remainder to
        // the publisher (so the pool never holds an unassigned wei).
        let fee = bps_of(d.price, d.fee_bps);
        let rest = d.price.saturating_sub(fee);
        let shares = u128::from(d.shares);
        let per_share = bps_of(rest, d.royalty_bps).checked_div(shares).unwrap_or(0);
        let royalty = per_share.saturating_mul(shares);
        let proceeds = rest.saturating_sub(royalty);
        let now = self.vm().block_timestamp();
        self.sstore(license_slot, id.wrapping_shl(64) | u(now));
        if d.source_job == 0 {
            self.credit(d.token, d.publisher, U256::from(proceeds));
        } else {
            // Job-sourced datasets are published by the job's creator only,
            // so the pool slot of (job, token) holds both the royalty per
            // share (high 128 bits) and the creator's unwithdrawn proceeds
            // (low 128 bits): one slot write per sale. Totals stay below
            // 2^128 (acc × shares included), so every later product fits.
            let pool = self.slot(TAG_POOL, u(d.source_job), word(d.token), U256::ZERO);
            let (acc, pending) = split(self.sload(pool));
            let acc = acc.checked_add(per_share);
            let fits = acc.and_then(|a| a.checked_mul(shares)).is_some();
            let (Some(acc), Some(pending), true) = (acc, pending.checked_add(proceeds), fits)
            else {
                return Err(err::<I::InvalidParameter>(&[u(7u8)]));
            };
            self.sstore(
                pool,
                U256::from(acc).wrapping_shl(128) | U256::from(pending),
            );
        }
        let (fee, royalty) = (U256::from(fee), U256::from(royalty));
        if !fee.is_zero() {
            self.credit(d.token, self.fee_recipient.get(), fee);
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
        // ERC-20: pull the exact price after every state change.
        let (token, this) = (d.token, self.vm().contract_address());
        if !permit.is_empty() {
            stylus_kit::try_permit(self.vm(), token, buyer, this, price, permit);
        }
        let failed = || err::<I::TokenCallFailed>(&[word(token)]);
        let before = stylus_kit::token_balance(self.vm(), token, this).ok_or_else(failed)?;
        if !stylus_kit::transfer_from(self.vm(), token, buyer, this, price) {
            return Err(failed());
        }
        let after = stylus_kit::token_balance(self.vm(), token, this).ok_or_else(failed)?;
        let received = after.saturating_sub(before);
        if received != price {
            return Err(err::<I::UnsupportedToken>(&[word(token), price, received]));
        }
        Ok(())
    }

    /// What `annotator` can withdraw from the pool of (job, token): its
    /// royalties (`approved × perShare − withdrawn`), plus the pending sale
    /// proceeds when it is the job's creator (the only possible publisher).
    /// Returns `(royalties, proceeds, pool slot, withdrawn slot)`.
    fn royalty(
        &self,
        job: U256,
        token: Address,
        annotator: Address,
    ) -> Result<(U256, U256, U256, U256)> {
        let pool = self.slot(TAG_POOL, job, word(token), U256::ZERO);
        let (acc, pending) = split(self.sload(pool));
        let claimed_slot = self.slot(TAG_CLAIMED, job, word(token), word(annotator));
        if acc == 0 && pending == 0 {
            return Ok((U256::ZERO, U256::ZERO, pool, claimed_slot));
        }
        let call = IMarketViews::getJobCall { jobId: job }.abi_encode();
        let out = self.market_view(&call, 17)?;
        let creator = Address::from_slice(&out[12..32]);
        let proceeds = if creator == annotator { pending } else { 0 };
        let call = IMarketViews::annotatorRecordCall {
            jobId: job,
            annotator,
        }
        .abi_encode();
        let out = self.market_view(&call, 3)?;
        let approved: u128 = U256::from_be_slice(&out[64..96]).saturating_to();
        // approved <= shares and acc × shares < 2^128 (checked at purchase).
        let earned = U256::from(approved.saturating_mul(acc));
        let royalties = earned.saturating_sub(self.sload(claimed_slot));
        Ok((royalties, U256::from(proceeds), pool, claimed_slot))
    }

    fn withdraw_royalties(&mut self, job: U256, token: Address, to: Address) -> Result<U256> {
        if to.is_zero() {
            return Err(err::<I::ZeroAddress>(&[]));
        }
        let annotator = self.vm().msg_sender();
        let (royalties, proceeds, pool, claimed_slot) = self.royalty(job, token, annotator)?;
        let amount = royalties.saturating_add(proceeds);
        if amount.is_zero() {
            return Err(err::<I::NothingToWithdraw>(&[]));
        }
        if !royalties.is_zero() {
            self.sstore(
                claimed_slot,
                self.sload(claimed_slot).saturating_add(royalties),
            );
        }
        if !proceeds.is_zero() {
            // Keep the per-share accumulator, zero the proceeds.
            let (acc, _) = split(self.sload(pool));
            self.sstore(pool, U256::from(acc).wrapping_shl(128));
        }
        self.emit(
            I::RoyaltyWithdrawn::SIGNATURE_HASH,
            &[job, word(token), word(annotator)],
            &[Arg::W(word(to)), Arg::W(amount)],
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
