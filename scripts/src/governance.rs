//! After the programs are deployed: the Timelock takes over every admin-set
//! parameter, and pausing stays with an operator.
//!
//! The Timelock is deployed in its **bootstrap** shape — minimum delay 0, the
//! deployer its only proposer and executor, no admin — and [`hand_over`]
//! then, from the deployer, with every step skipped when the chain already
//! shows it done (so re-running is safe):
//!
//! 1. gives the operator (if it is not the deployer) the market's pauser
//!    flag and the token's `PAUSER_ROLE`, and takes them from the deployer;
//! 2. proposes the Timelock as the market's and the registry's admin
//!    (`transferAdmin`) and grants it the token's `DEFAULT_ADMIN_ROLE`;
//! 3. schedules through the Timelock, with delay 0, one batch operation that
//!    accepts both admin roles, moves the proposer, canceller and executor
//!    roles to the configured accounts and — last — raises the minimum delay
//!    to the configured one, then executes it at once. This is the only
//!    operation that ever runs without a delay, and it is as public as any
//!    other (`CallScheduled`, `CallExecuted`, `RoleGranted`, `RoleRevoked`,
//!    `MinDelayChange`, the market's and the registry's `AdminTransferred`);
//! 4. renounces the deployer's `DEFAULT_ADMIN_ROLE` on the token.
//!
//! Before the hand-over, [`enable_job_sources`] makes the QualityHub and the
//! QualityCourt job sources of the registry (the market is one from the
//! registry's constructor).
//!
//! The deployer keeps the token's `MINTER_ROLE` (the CLI mints with it); any
//! new minter, pauser, fee, royalty share or job source goes through the
//! Timelock from then on.

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::{sol, SolCall, SolValue};
use labelmint_client::deployments::{
    ANNOTATION_MARKET, DATASET_REGISTRY, QUALITY_COURT, QUALITY_HUB, REWARD_TOKEN, TIMELOCK,
};

use crate::DeployError;

/// The default minimum delay: two days.
pub const DEFAULT_TIMELOCK_DELAY: u64 = 2 * 86_400;

/// `keccak256("PROPOSER_ROLE")` of the Timelock.
pub fn proposer_role() -> B256 {
    keccak256("PROPOSER_ROLE")
}

/// `keccak256("EXECUTOR_ROLE")` of the Timelock.
pub fn executor_role() -> B256 {
    keccak256("EXECUTOR_ROLE")
}

/// `keccak256("CANCELLER_ROLE")` of the Timelock.
pub fn canceller_role() -> B256 {
    keccak256("CANCELLER_ROLE")
}

/// `keccak256("PAUSER_ROLE")` of the RewardToken.
pub fn pauser_role() -> B256 {
    keccak256("PAUSER_ROLE")
}

/// `DEFAULT_ADMIN_ROLE` of the Timelock and the RewardToken.
pub const ADMIN_ROLE: B256 = B256::ZERO;

/// The salt of the bootstrap operation.
pub fn bootstrap_salt() -> B256 {
    keccak256("labelmint-deploy: timelock bootstrap")
}

sol! {
    /// Constructor arguments of the Timelock.
    struct TimelockArgs { uint256 minDelay; address[] proposers; address[] executors; address admin; }

    /// What the hand-over reads and calls (selectors only).
    interface IGoverned {
        function admin() external view returns (address account);
        function pendingAdmin() external view returns (address account);
        function transferAdmin(address newAdmin) external;
        function acceptAdmin() external;
        function isPauser(address account) external view returns (bool enabled);
        function setPauser(address account, bool enabled) external;
        function hasRole(bytes32 role, address account) external view returns (bool);
        function grantRole(bytes32 role, address account) external;
        function revokeRole(bytes32 role, address account) external;
        function renounceRole(bytes32 role, address callerConfirmation) external;
        function getMinDelay() external view returns (uint256 duration);
        function getOperationState(bytes32 id) external view returns (uint8);
        function updateDelay(uint256 newDelay) external;
        function jobSourceOf(address source) external view returns (uint8 index, bool enabled);
        function setJobSource(address source, bool enabled) external;
        function scheduleBatch(address[] targets, uint256[] values, bytes[] payloads, bytes32 predecessor, bytes32 salt, uint256 delay) external;
        function executeBatch(address[] targets, uint256[] values, bytes[] payloads, bytes32 predecessor, bytes32 salt) external payable;
    }
}

/// Who governs the programs after deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Governance {
    /// The Timelock's minimum delay, in seconds.
    pub delay: u64,
    /// Its proposer and canceller (`None`: the deployer).
    pub proposer: Option<Address>,
    /// Its executor (`None`: anyone may execute a ready operation).
    pub executor: Option<Address>,
    /// Keeps the market's pauser flag and the token's `PAUSER_ROLE`
    /// (`None`: the deployer).
    pub operator: Option<Address>,
}

impl Default for Governance {
    fn default() -> Self {
        Self {
            delay: DEFAULT_TIMELOCK_DELAY,
            proposer: None,
            executor: None,
            operator: None,
        }
    }
}

/// The Timelock's constructor arguments in its bootstrap shape: delay 0,
/// `deployer` its only proposer and executor, no admin.
pub fn bootstrap_args(deployer: Address) -> Vec<u8> {
    TimelockArgs {
        minDelay: U256::ZERO,
        proposers: vec![deployer],
        executors: vec![deployer],
        admin: Address::ZERO,
    }
    .abi_encode_params()
}

/// Reads `call` from `to`.
async fn view<P: Provider, C: SolCall>(
    provider: &P,
    to: Address,
    call: &C,
) -> Result<C::Return, DeployError> {
    let request = TransactionRequest::default()
        .to(to)
        .input(call.abi_encode().into());
    let out = provider
        .call(request)
        .await
        .map_err(|e| DeployError::Failed(format!("reading {} of {to}: {e}", C::SIGNATURE)))?;
    C::abi_decode_returns(&out)
        .map_err(|e| DeployError::Failed(format!("decoding {} of {to}: {e}", C::SIGNATURE)))
}

/// Sends `call` to `to` from `from` and waits for a successful receipt.
async fn transact<P: Provider, C: SolCall>(
    provider: &P,
    from: Address,
    to: Address,
    call: &C,
    what: &str,
) -> Result<(), DeployError> {
    let request = TransactionRequest::default()
        .from(from)
        .to(to)
        .input(call.abi_encode().into());
    let receipt = provider
        .send_transaction(request)
        .await
        .map_err(|e| DeployError::Failed(format!("{what}: {e}")))?
        .with_timeout(Some(std::time::Duration::from_mins(2)))
        .get_receipt()
        .await
        .map_err(|e| DeployError::Failed(format!("{what}: no receipt: {e}")))?;
    if !receipt.status() {
        return Err(DeployError::Failed(format!(
            "{what}: transaction {} reverted",
            receipt.transaction_hash
        )));
    }
    Ok(())
}

/// Makes the QualityHub and the QualityCourt of `contracts` (manifest names
/// to addresses) job sources of the DatasetRegistry, as the market is from
/// the registry's constructor, so datasets of consensus and court jobs can
/// be published and sold with royalties. Sends `setJobSource(source, true)`
/// from `deployer` for each source not yet enabled; returns one line per
/// source enabled (empty when both already were). Run it before
/// [`hand_over`]: once the Timelock is the registry's admin, a source that is
/// not enabled (perhaps disabled by governance) is reported, with the
/// proposal that would enable it, and left alone.
pub async fn enable_job_sources<P: Provider>(
    provider: &P,
    deployer: Address,
    address_of: impl Fn(&str) -> Option<Address>,
) -> Result<Vec<String>, DeployError> {
    let registry = address_of(DATASET_REGISTRY).ok_or_else(|| {
        DeployError::Failed(format!("job sources: {DATASET_REGISTRY} is not deployed"))
    })?;
    let mut done = Vec::new();
    for name in [QUALITY_HUB, QUALITY_COURT] {
        let Some(source) = address_of(name) else {
            continue;
        };
        if view(provider, registry, &IGoverned::jobSourceOfCall { source })
            .await?
            .enabled
        {
            continue;
        }
        let admin = view(provider, registry, &IGoverned::adminCall {}).await?;
        if admin != deployer {
            // Governance may have disabled it on purpose: say so, change nothing.
            done.push(format!(
                "registry: {name} {source} is not an enabled job source and the registry's admin is {admin}: \
                 propose it through the Timelock if it should be (labelmint timelock propose job-source {source})"
            ));
            continue;
        }
        let call = IGoverned::setJobSourceCall {
            source,
            enabled: true,
        };
        transact(
            provider,
            deployer,
            registry,
            &call,
            &format!("registry setJobSource({name})"),
        )
        .await?;
        done.push(format!("registry: {name} {source} enabled as a job source"));
    }
    Ok(done)
}

/// One call of the bootstrap batch.
struct Calls {
    targets: Vec<Address>,
    payloads: Vec<Bytes>,
}

impl Calls {
    fn push(&mut self, target: Address, call: &impl SolCall) {
        self.targets.push(target);
        self.payloads.push(call.abi_encode().into());
    }
}

/// Hands the market's and the registry's admin and the token's
/// `DEFAULT_ADMIN_ROLE` to the Timelock of `contracts` (manifest names to
/// addresses), as the module docs describe, sending from `deployer`;
/// returns what it did, one line per step (empty when everything was
/// already in place).
#[allow(clippy::too_many_lines)]
pub async fn hand_over<P: Provider>(
    provider: &P,
    deployer: Address,
    address_of: impl Fn(&str) -> Option<Address>,
    governance: &Governance,
) -> Result<Vec<String>, DeployError> {
    let need = |name: &str| {
        address_of(name)
            .ok_or_else(|| DeployError::Failed(format!("hand-over: {name} is not deployed")))
    };
    let (timelock, market) = (need(TIMELOCK)?, need(ANNOTATION_MARKET)?);
    let (registry, token) = (need(DATASET_REGISTRY)?, need(REWARD_TOKEN)?);
    let proposer = governance.proposer.unwrap_or(deployer);
    let executor = governance.executor.unwrap_or(Address::ZERO);
    let operator = governance.operator.unwrap_or(deployer);
    let mut done = Vec::new();

    // 1. The operator pauses; the deployer stops pausing once it does.
    if operator != deployer {
        let is_pauser = |account| IGoverned::isPauserCall { account };
        let market_admin = view(provider, market, &IGoverned::adminCall {}).await?;
        if market_admin == deployer && !view(provider, market, &is_pauser(operator)).await? {
            let call = IGoverned::setPauserCall {
                account: operator,
                enabled: true,
            };
            transact(
                provider,
                deployer,
                market,
                &call,
                "market setPauser(operator)",
            )
            .await?;
            done.push(format!("market: {operator} may pause"));
        }
        if market_admin == deployer
            && view(provider, market, &is_pauser(operator)).await?
            && view(provider, market, &is_pauser(deployer)).await?
        {
            let call = IGoverned::setPauserCall {
                account: deployer,
                enabled: false,
            };
            transact(
                provider,
                deployer,
                market,
                &call,
                "market setPauser(deployer, false)",
            )
            .await?;
            done.push(format!("market: {deployer} may no longer pause"));
        }
        let role = |role, account| IGoverned::hasRoleCall { role, account };
        if !view(provider, token, &role(pauser_role(), operator)).await?
            && view(provider, token, &role(ADMIN_ROLE, deployer)).await?
        {
            let call = IGoverned::grantRoleCall {
                role: pauser_role(),
                account: operator,
            };
            transact(
                provider,
                deployer,
                token,
                &call,
                "token grantRole(PAUSER_ROLE)",
            )
            .await?;
            done.push(format!("token: PAUSER_ROLE granted to {operator}"));
        }
        if view(provider, token, &role(pauser_role(), operator)).await?
            && view(provider, token, &role(pauser_role(), deployer)).await?
        {
            let call = IGoverned::renounceRoleCall {
                role: pauser_role(),
                callerConfirmation: deployer,
            };
            transact(
                provider,
                deployer,
                token,
                &call,
                "token renounceRole(PAUSER_ROLE)",
            )
            .await?;
            done.push(format!("token: {deployer} renounced PAUSER_ROLE"));
        }
    }

    // 2. The Timelock is proposed as admin and granted the token's admin role.
    for (name, program) in [("market", market), ("registry", registry)] {
        let admin = view(provider, program, &IGoverned::adminCall {}).await?;
        let pending = view(provider, program, &IGoverned::pendingAdminCall {}).await?;
        if admin == deployer && pending != timelock {
            let call = IGoverned::transferAdminCall { newAdmin: timelock };
            transact(
                provider,
                deployer,
                program,
                &call,
                &format!("{name} transferAdmin"),
            )
            .await?;
            done.push(format!("{name}: Timelock {timelock} proposed as admin"));
        } else if admin != deployer && admin != timelock {
            return Err(DeployError::Failed(format!(
                "hand-over: the {name}'s admin is {admin}, neither the deployer nor the Timelock"
            )));
        }
    }
    let token_admin = |account| IGoverned::hasRoleCall {
        role: ADMIN_ROLE,
        account,
    };
    if !view(provider, token, &token_admin(timelock)).await? {
        let call = IGoverned::grantRoleCall {
            role: ADMIN_ROLE,
            account: timelock,
        };
        transact(
            provider,
            deployer,
            token,
            &call,
            "token grantRole(DEFAULT_ADMIN_ROLE)",
        )
        .await?;
        done.push(format!(
            "token: DEFAULT_ADMIN_ROLE granted to the Timelock {timelock}"
        ));
    }

    // 3. One bootstrap operation: accept, move the roles, raise the delay.
    let mut calls = Calls {
        targets: Vec::new(),
        payloads: Vec::new(),
    };
    for program in [market, registry] {
        if view(provider, program, &IGoverned::pendingAdminCall {}).await? == timelock {
            calls.push(program, &IGoverned::acceptAdminCall {});
        }
    }
    let role = |role, account| IGoverned::hasRoleCall { role, account };
    let mut want = vec![
        (proposer_role(), proposer, true),
        (canceller_role(), proposer, true),
        (executor_role(), executor, true),
    ];
    if proposer != deployer {
        want.push((proposer_role(), deployer, false));
        want.push((canceller_role(), deployer, false));
    }
    if executor != deployer {
        want.push((executor_role(), deployer, false));
    }
    for (r, account, held) in want {
        if view(provider, timelock, &role(r, account)).await? != held {
            if held {
                calls.push(timelock, &IGoverned::grantRoleCall { role: r, account });
            } else {
                calls.push(timelock, &IGoverned::revokeRoleCall { role: r, account });
            }
        }
    }
    let min_delay = view(provider, timelock, &IGoverned::getMinDelayCall {}).await?;
    if min_delay != U256::from(governance.delay) {
        calls.push(
            timelock,
            &IGoverned::updateDelayCall {
                newDelay: U256::from(governance.delay),
            },
        );
    }
    if !calls.targets.is_empty() {
        let bootstrap = min_delay.is_zero()
            && view(provider, timelock, &role(proposer_role(), deployer)).await?
            && (view(provider, timelock, &role(executor_role(), deployer)).await?
                || view(provider, timelock, &role(executor_role(), Address::ZERO)).await?);
        if !bootstrap {
            return Err(DeployError::Failed(format!(
                "hand-over: the Timelock {timelock} is past its bootstrap (minimum delay {min_delay} s) and {} of its calls are still to make: schedule them through it and execute them after the delay",
                calls.targets.len()
            )));
        }
        let n = calls.targets.len();
        let values = vec![U256::ZERO; n];
        let salt = bootstrap_salt();
        let id = keccak256(
            (
                calls.targets.clone(),
                values.clone(),
                calls.payloads.clone(),
                B256::ZERO,
                salt,
            )
                .abi_encode_params(),
        );
        let state = view(provider, timelock, &IGoverned::getOperationStateCall { id }).await?;
        if state == 0 {
            let call = IGoverned::scheduleBatchCall {
                targets: calls.targets.clone(),
                values: values.clone(),
                payloads: calls.payloads.clone(),
                predecessor: B256::ZERO,
                salt,
                delay: U256::ZERO,
            };
            transact(
                provider,
                deployer,
                timelock,
                &call,
                "Timelock scheduleBatch(bootstrap)",
            )
            .await?;
        }
        let call = IGoverned::executeBatchCall {
            targets: calls.targets,
            values,
            payloads: calls.payloads,
            predecessor: B256::ZERO,
            salt,
        };
        transact(
            provider,
            deployer,
            timelock,
            &call,
            "Timelock executeBatch(bootstrap)",
        )
        .await?;
        done.push(format!(
            "Timelock: bootstrap operation {id} ({n} calls) scheduled and executed: admin accepted, proposer {proposer}, executor {}, minimum delay {} s",
            if executor.is_zero() { "anyone".to_string() } else { executor.to_string() },
            governance.delay
        ));
    }

    // 4. The deployer steps down as the token's admin.
    if view(provider, token, &token_admin(deployer)).await? {
        let call = IGoverned::renounceRoleCall {
            role: ADMIN_ROLE,
            callerConfirmation: deployer,
        };
        transact(
            provider,
            deployer,
            token,
            &call,
            "token renounceRole(DEFAULT_ADMIN_ROLE)",
        )
        .await?;
        done.push(format!("token: {deployer} renounced DEFAULT_ADMIN_ROLE"));
    }

    // What must hold now.
    for (name, program) in [("market", market), ("registry", registry)] {
        let admin = view(provider, program, &IGoverned::adminCall {}).await?;
        if admin != timelock {
            return Err(DeployError::Failed(format!(
                "hand-over: the {name}'s admin is {admin}, not the Timelock {timelock}"
            )));
        }
    }
    Ok(done)
}
