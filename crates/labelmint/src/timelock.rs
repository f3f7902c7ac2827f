//! The Timelock on the embedded chain: deployment, the marketplace (token,
//! market, registry) governed by it, typed operations and the gas snapshot.
//! The bindings, roles and operation ids are [`labelmint_client::timelock`],
//! re-exported here.

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolConstructor};
use anyhow::{anyhow, bail, Result};
use labelmint_devnet::{chain::DEFAULT_TX_GAS, Devnet, Receipt};

use crate::{
    artifacts,
    market::{IMarket, MarketWasm},
    registry::{IRegistry, Marketplace},
    IRewardToken,
};

pub use labelmint_client::timelock::*;

/// The RewardToken's `DEFAULT_ADMIN_ROLE` (`bytes32(0)`).
pub const TOKEN_ADMIN_ROLE: alloy_primitives::B256 = alloy_primitives::B256::ZERO;

/// Wei sent along to pay the activation; the StylusDeployer refunds what is
/// not needed.
const ACTIVATION_BUDGET: u64 = 10_000_000_000_000_000;

/// Deploys the Timelock program `wasm` from `from` as `cargo stylus deploy`
/// does (one StylusDeployer transaction: create, activate unless the same
/// code already is, construct); returns its address.
pub fn deploy(
    chain: &mut Devnet,
    from: Address,
    wasm: &[u8],
    min_delay: u64,
    proposers: &[Address],
    executors: &[Address],
    admin: Address,
) -> Result<Address> {
    let args = TimelockConstructor::constructorCall {
        min_delay: U256::from(min_delay),
        proposers: proposers.to_vec(),
        executors: executors.to_vec(),
        admin,
    }
    .abi_encode();
    // A salt per deployment: the same code and arguments may be deployed twice.
    let salt = alloy_primitives::B256::from(U256::from(chain.nonce(from)));
    let (timelock, _) = chain
        .deploy_via_deployer(
            from,
            wasm,
            &args,
            U256::ZERO,
            salt,
            U256::from(ACTIVATION_BUDGET),
        )
        .map_err(|e| anyhow!("deploying the Timelock: {e}"))?;
    Ok(timelock)
}

/// The token, the market and the registry governed by a timelock: it is the
/// market's and the registry's admin and holds the token's
/// `DEFAULT_ADMIN_ROLE`. The deployer (account 0) keeps what stays
/// immediate: the market's pauser flag and the token's `PAUSER_ROLE` (and
/// `MINTER_ROLE`).
pub struct Governed {
    /// The token, market and registry (`p.m.admin` is the deployer).
    pub p: Marketplace,
    /// The Timelock.
    pub timelock: Address,
    /// Its proposer and canceller (account 9).
    pub proposer: Address,
    /// Its minimum delay, in seconds.
    pub delay: u64,
}

impl Governed {
    /// Deploys everything from `target/stylus` with a minimum delay of
    /// `delay` seconds and hands the admin rights over.
    pub fn deploy(delay: u64) -> Result<Self> {
        let (token, _) = artifacts::program("reward_token")?;
        let (registry, _) = artifacts::program("dataset_registry")?;
        let (timelock, _) = artifacts::program("timelock")?;
        Self::deploy_wasm(&token, &MarketWasm::load()?, &registry, &timelock, delay)
    }

    /// Deploys the given programs: the marketplace, then a timelock whose
    /// proposer is account 9 and whose executor is anyone, then
    /// [`Governed::hand_over`].
    pub fn deploy_wasm(
        token: &[u8],
        market: &MarketWasm,
        registry: &[u8],
        timelock: &[u8],
        delay: u64,
    ) -> Result<Self> {
        let mut p = Marketplace::deploy_wasm(token, market, registry, false)?;
        let (deployer, proposer) = (p.m.admin, p.m.chain.account(9));
        let timelock = deploy(
            &mut p.m.chain,
            deployer,
            timelock,
            delay,
            &[proposer],
            &[Address::ZERO],
            Address::ZERO,
        )?;
        let mut g = Self {
            p,
            timelock,
            proposer,
            delay,
        };
        g.hand_over()?;
        Ok(g)
    }

    /// The deployer proposes the timelock as the market's and the
    /// registry's admin and grants it the token's admin role; the timelock
    /// accepts both admin roles through one batch operation (scheduled,
    /// executed after the delay); then the deployer renounces the token's
    /// admin role. What the deploy tool does, with the delay actually waited.
    pub fn hand_over(&mut self) -> Result<()> {
        let (deployer, timelock) = (self.p.m.admin, self.timelock);
        let (market, registry, token) = (self.p.m.market, self.p.registry, self.p.m.token);
        self.must(
            deployer,
            market,
            &IMarket::transferAdminCall { newAdmin: timelock },
        )?;
        self.must(
            deployer,
            registry,
            &IRegistry::transferAdminCall { newAdmin: timelock },
        )?;
        self.must(
            deployer,
            token,
            &IRewardToken::grantRoleCall {
                role: TOKEN_ADMIN_ROLE,
                account: timelock,
            },
        )?;
        let accept = BatchOperation::default()
            .with(market, &IMarket::acceptAdminCall {})
            .with(registry, &IRegistry::acceptAdminCall {});
        self.govern_batch(&accept)?;
        self.must(
            deployer,
            token,
            &IRewardToken::renounceRoleCall {
                role: TOKEN_ADMIN_ROLE,
                caller_confirmation: deployer,
            },
        )?;
        Ok(())
    }

    /// Sends `call` to `to` from `from`.
    pub fn send<C: SolCall>(&mut self, from: Address, to: Address, call: &C) -> Result<Receipt> {
        self.send_value(from, to, call, U256::ZERO)
    }

    /// Sends `call` with `value` wei to `to` from `from`.
    pub fn send_value<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: &C,
        value: U256,
    ) -> Result<Receipt> {
        self.p
            .m
            .chain
            .send(from, Some(to), value, call.abi_encode(), DEFAULT_TX_GAS)
            .map_err(|e| anyhow!("{}: {e}", C::SIGNATURE))
    }

    /// [`Governed::send`] that must succeed.
    pub fn must<C: SolCall>(&mut self, from: Address, to: Address, call: &C) -> Result<Receipt> {
        let r = self.send(from, to, call)?;
        if !r.success {
            bail!(
                "{} reverted: {}",
                C::SIGNATURE,
                labelmint_client::revert::explain(&r.output)
            );
        }
        Ok(r)
    }

    /// Reads `call` from `to`.
    pub fn read<C: SolCall>(&mut self, to: Address, call: &C) -> Result<C::Return> {
        self.p
            .m
            .chain
            .read(to, call)
            .map_err(|e| anyhow!("{}: {e}", C::SIGNATURE))
    }

    /// Sends `call` to the timelock from `from`.
    pub fn to_timelock<C: SolCall>(&mut self, from: Address, call: &C) -> Result<Receipt> {
        let timelock = self.timelock;
        self.send(from, timelock, call)
    }

    /// The proposer schedules `op` with the minimum delay.
    pub fn schedule(&mut self, op: &Operation) -> Result<Receipt> {
        let (proposer, call) = (self.proposer, op.schedule(self.delay));
        self.to_timelock(proposer, &call)
    }

    /// `from` executes `op`.
    pub fn execute(&mut self, from: Address, op: &Operation) -> Result<Receipt> {
        self.to_timelock(from, &op.execute())
    }

    /// Schedules `op`, waits the delay and executes it (from account 8):
    /// both must succeed; the execution's receipt.
    pub fn govern(&mut self, op: &Operation) -> Result<Receipt> {
        let r = self.schedule(op)?;
        if !r.success {
            bail!("schedule reverted: {}", explain(&r));
        }
        self.p.m.chain.warp(self.delay);
        let executor = self.p.m.chain.account(8);
        let r = self.execute(executor, op)?;
        if !r.success {
            bail!("execute reverted: {}", explain(&r));
        }
        Ok(r)
    }

    /// [`Governed::govern`] for a batch operation.
    pub fn govern_batch(&mut self, op: &BatchOperation) -> Result<Receipt> {
        let (proposer, call) = (self.proposer, op.schedule(self.delay));
        let r = self.to_timelock(proposer, &call)?;
        if !r.success {
            bail!("scheduleBatch reverted: {}", explain(&r));
        }
        self.p.m.chain.warp(self.delay);
        let executor = self.p.m.chain.account(8);
        let r = self.to_timelock(executor, &op.execute())?;
        if !r.success {
            bail!("executeBatch reverted: {}", explain(&r));
        }
        Ok(r)
    }

    /// The operation's state (`STATE_*`).
    pub fn state(&mut self, id: alloy_primitives::B256) -> Result<u8> {
        let timelock = self.timelock;
        self.read(timelock, &ITimelock::getOperationStateCall { id })
    }
}

fn explain(r: &Receipt) -> String {
    labelmint_client::revert::explain(&r.output)
}

/// Adds the Timelock entries to `snapshot`: scheduling and executing a
/// registry fee change (one call and a batch of two), a cancellation, an
/// execution refused before the delay, and a delay change through the
/// timelock itself.
pub fn measure_gas(snapshot: &mut std::collections::BTreeMap<String, u64>) -> Result<()> {
    let delay = 86_400;
    let mut g = Governed::deploy(delay)?;
    let (registry, timelock, proposer) = (g.p.registry, g.timelock, g.proposer);
    let executor = g.p.m.chain.account(8);
    let fee_to = g.p.m.chain.account(7);
    let mut put = |name: &str, r: &Receipt, success: bool| -> Result<()> {
        if r.success != success {
            bail!("{name}: unexpected outcome: {}", explain(r));
        }
        snapshot.insert(format!("Timelock::{name}"), r.gas_used);
        Ok(())
    };
    let fee = Operation::new(
        registry,
        &IRegistry::setFeeCall {
            recipient: fee_to,
            bps: 250,
        },
    );
    let r = g.schedule(&fee)?;
    put("schedule(registry setFee)", &r, true)?;
    let r = g.execute(executor, &fee)?;
    put("execute(reverts: not ready)", &r, false)?;
    g.p.m.chain.warp(delay);
    let r = g.execute(executor, &fee)?;
    put("execute(registry setFee)", &r, true)?;

    let royalty = Operation::new(registry, &IRegistry::setRoyaltyBpsCall { bps: 1_500 });
    g.schedule(&royalty)?;
    let r = g.to_timelock(proposer, &ITimelock::cancelCall { id: royalty.id() })?;
    put("cancel", &r, true)?;

    let batch = BatchOperation::default()
        .with(
            registry,
            &IRegistry::setFeeCall {
                recipient: fee_to,
                bps: 100,
            },
        )
        .with(registry, &IRegistry::setRoyaltyBpsCall { bps: 2_500 });
    let r = g.to_timelock(proposer, &batch.schedule(delay))?;
    put("scheduleBatch(two registry calls)", &r, true)?;
    g.p.m.chain.warp(delay);
    let r = g.to_timelock(executor, &batch.execute())?;
    put("executeBatch(two registry calls)", &r, true)?;

    let update = Operation::new(
        timelock,
        &ITimelock::updateDelayCall {
            newDelay: U256::from(2 * delay),
        },
    );
    g.schedule(&update)?;
    g.p.m.chain.warp(delay);
    let r = g.execute(executor, &update)?;
    put("execute(updateDelay on itself)", &r, true)?;
    Ok(())
}
