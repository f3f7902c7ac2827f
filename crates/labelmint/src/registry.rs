//! Driving the DatasetRegistry on the embedded chain, next to the market and
//! the token: deployment, settled source jobs, typed calls, gas snapshot.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolConstructor};
use anyhow::{anyhow, bail, Context, Result};
use labelmint_devnet::{chain::DEFAULT_TX_GAS, Receipt};

use crate::{
    artifacts,
    market::{review_batches_call, Batch, JobSpec, Market, MarketWasm},
};

pub use labelmint_client::registry::*;

/// The token, the market and the registry on one embedded chain.
pub struct Marketplace {
    /// The token and the market.
    pub m: Market,
    /// The DatasetRegistry (reads provenance from `m.market`).
    pub registry: Address,
}

impl Marketplace {
    /// Deploys token, market and registry from `target/stylus`.
    pub fn deploy(cached: bool) -> Result<Self> {
        let (token_wasm, _) = artifacts::program("reward_token")?;
        let (registry_wasm, _) = artifacts::program("dataset_registry")?;
        Self::deploy_wasm(&token_wasm, &MarketWasm::load()?, &registry_wasm, cached)
    }

    /// Deploys the given programs.
    pub fn deploy_wasm(
        token: &[u8],
        market: &MarketWasm,
        registry: &[u8],
        cached: bool,
    ) -> Result<Self> {
        let mut m = Market::deploy_wasm(token, market, cached)?;
        let admin = m.admin;
        let args = DatasetRegistryConstructor::constructorCall {
            admin,
            market: m.market,
        }
        .abi_encode();
        let (registry, _) = m
            .chain
            .deploy_wasm(admin, registry, Some(&args))
            .map_err(|e| anyhow!("deploying the DatasetRegistry: {e}"))?;
        if cached {
            m.chain
                .cache_program(admin, registry)
                .map_err(|e| anyhow!("caching the registry: {e}"))?;
        }
        Ok(Self { m, registry })
    }

    /// Sends `call` to the registry.
    pub fn send<C: SolCall>(&mut self, from: Address, call: &C, value: U256) -> Result<Receipt> {
        self.m
            .chain
            .send(
                from,
                Some(self.registry),
                value,
                call.abi_encode(),
                DEFAULT_TX_GAS,
            )
            .map_err(|e| anyhow!("{}: {e}", C::SIGNATURE))
    }

    /// Reads from the registry.
    pub fn read<C: SolCall>(&mut self, call: &C) -> Result<C::Return> {
        self.m
            .chain
            .read(self.registry, call)
            .map_err(|e| anyhow!("{}: {e}", C::SIGNATURE))
    }

    /// Publishes (a job without a source is this marketplace's market's);
    /// the dataset id when it succeeded.
    pub fn publish(&mut self, from: Address, p: &Publication) -> Result<(Receipt, Option<U256>)> {
        let mut call = p.call();
        if !p.job.is_zero() && p.source.is_zero() {
            call.source = self.m.market;
        }
        let r = self.send(from, &call, U256::ZERO)?;
        let id = if r.success {
            Some(IRegistry::publishCall::abi_decode_returns(&r.output).context("dataset id")?)
        } else {
            None
        };
        Ok((r, id))
    }

    /// Buys a licence for `licensee`, paying `value` ETH, at the price and
    /// in the token the registry lists now (what a buyer's screen shows).
    pub fn purchase(
        &mut self,
        buyer: Address,
        id: U256,
        licensee: Address,
        value: U256,
    ) -> Result<Receipt> {
        let d = self.read(&IRegistry::getDatasetCall { datasetId: id })?;
        self.send(
            buyer,
            &IRegistry::purchaseCall {
                datasetId: id,
                licensee,
                token: d.paymentToken,
                maxPrice: d.price,
            },
            value,
        )
    }

    /// `withdrawRoyalties` of the market's job `job` in `token`, to `who`.
    pub fn withdraw_royalties(
        &mut self,
        who: Address,
        job: U256,
        token: Address,
    ) -> Result<Receipt> {
        let source = self.m.market;
        self.send(
            who,
            &IRegistry::withdrawRoyaltiesCall {
                source,
                jobId: job,
                token,
                to: who,
            },
            U256::ZERO,
        )
    }

    /// A completed job of `creator` whose annotators got `approvals[i].1`
    /// tasks approved each (direct submissions, one approval call).
    pub fn settled_job(&mut self, creator: Address, approvals: &[(Address, u32)]) -> Result<U256> {
        let tasks: u32 = approvals.iter().map(|(_, n)| n).sum();
        let spec = JobSpec {
            tasks,
            data_root: B256::repeat_byte(0xd7),
            ..JobSpec::default()
        };
        let (job, _) = self.m.create_job(creator, &spec)?;
        let mut next = 0u32;
        let mut batches: Vec<Batch> = Vec::new();
        for &(annotator, n) in approvals {
            for chunk in (next..next + n).collect::<Vec<u32>>().chunks(64) {
                let labels = vec![1u8; chunk.len()];
                let (r, b) = self.m.submit(annotator, job, chunk, &labels)?;
                batches.push(b.ok_or_else(|| anyhow!("submit reverted: {r:?}"))?);
            }
            next += n;
        }
        for group in batches.chunks(32) {
            let call = review_batches_call(group, &[]);
            let r = self.m.ok(creator, &call, U256::ZERO)?;
            if !r.success {
                bail!("approval reverted");
            }
        }
        Ok(job)
    }
}

/// Adds the DatasetRegistry entries to `snapshot` (uncached unless stated).
#[allow(clippy::too_many_lines)]
pub fn measure_gas(snapshot: &mut std::collections::BTreeMap<String, u64>) -> Result<()> {
    let (token_wasm, _) = artifacts::program("reward_token")?;
    let market_wasm = MarketWasm::load()?;
    let (registry_wasm, _) = artifacts::program("dataset_registry")?;
    let mut put = |name: &str, r: &Receipt, success: bool| -> Result<()> {
        if r.success != success {
            bail!(
                "{name}: unexpected outcome: 0x{}",
                alloy_primitives::hex::encode(&r.output)
            );
        }
        snapshot.insert(format!("DatasetRegistry::{name}"), r.gas_used);
        Ok(())
    };
    for cached in [false, true] {
        let tag = if cached { ", cached" } else { "" };
        let mut p = Marketplace::deploy_wasm(&token_wasm, &market_wasm, &registry_wasm, cached)?;
        let creator = p.m.chain.account(1);
        let annotators: Vec<(Address, u32)> = (2..5)
            .map(|i| (p.m.chain.account(i), 10 * u32::try_from(i).unwrap_or(1)))
            .collect();
        let job = p.settled_job(creator, &annotators)?;
        let (r, id) = p.publish(
            creator,
            &Publication {
                job,
                ..Publication::default()
            },
        )?;
        put(&format!("publish(from a settled job{tag})"), &r, true)?;
        let id = id.ok_or_else(|| anyhow!("no id"))?;
        let price = U256::from(Publication::default().price);
        let (b1, b2, b3) = (
            p.m.chain.account(6),
            p.m.chain.account(7),
            p.m.chain.account(8),
        );
        let r = p.purchase(b1, id, b1, price)?;
        put(
            &format!("purchase(ETH, first sale of the dataset{tag})"),
            &r,
            true,
        )?;
        let r = p.purchase(b2, id, b2, price)?;
        put(
            &format!("purchase(ETH, first licence of a buyer{tag})"),
            &r,
            true,
        )?;
        let r = p.purchase(b3, id, b3, price + U256::from(1))?;
        put(
            &format!("purchase(ETH, overpaid, excess credited{tag})"),
            &r,
            true,
        )?;
        if cached {
            continue;
        }
        let r = p.purchase(b3, id, b3, price)?;
        put("purchase(reverts: already licensed)", &r, false)?;
        let (annotator, _) = annotators[0];
        let r = p.withdraw_royalties(annotator, job, Address::ZERO)?;
        put("withdrawRoyalties(ETH)", &r, true)?;
        let r = p.withdraw_royalties(creator, job, Address::ZERO)?;
        put("withdrawRoyalties(publisher proceeds, ETH)", &r, true)?;
        let r = p.send(
            b3,
            &IRegistry::withdrawCall {
                token: Address::ZERO,
                to: b3,
            },
            U256::ZERO,
        )?;
        put("withdraw(overpayment credit, ETH)", &r, true)?;
        let r = p.send(
            creator,
            &IRegistry::setPriceCall {
                datasetId: id,
                price: 1,
            },
            U256::ZERO,
        )?;
        put("setPrice", &r, true)?;
        let r = p.send(
            creator,
            &IRegistry::setListedCall {
                datasetId: id,
                listed: false,
            },
            U256::ZERO,
        )?;
        put("setListed(delist)", &r, true)?;
        let (r, _) = p.publish(
            creator,
            &Publication {
                root: B256::repeat_byte(0xa2),
                job,
                previous: id,
                carry: true,
                ..Publication::default()
            },
        )?;
        put("publish(new version carrying licences)", &r, true)?;
        let (r, _) = p.publish(
            creator,
            &Publication {
                root: B256::repeat_byte(0xa3),
                ..Publication::default()
            },
        )?;
        put("publish(external)", &r, true)?;
        let (r, _) = p.publish(
            creator,
            &Publication {
                job,
                ..Publication::default()
            },
        )?;
        put("publish(reverts: root already published)", &r, false)?;
    }
    Ok(())
}
