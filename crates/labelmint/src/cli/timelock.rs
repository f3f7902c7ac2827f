//! `labelmint timelock …`: governed parameter changes in the open. Once the
//! Timelock is the admin (what `labelmint-deploy` sets up), every fee,
//! royalty share, job source, pauser and role changes through it: a
//! proposer **proposes** the change (`schedule`, a `CallScheduled` event
//! anyone can read), it waits the delay, then anyone **executes** it — or a
//! canceller **cancels** it meanwhile. `list` shows every operation, its
//! calls by name, its state and when it is ready.
//!
//! A proposal is simulated first as the Timelock would run it: a change the
//! target would refuse (a fee above 10 %, an unknown role) is reported by
//! name before anything is scheduled. Execution and cancellation read the
//! operation back from its `CallScheduled` and `CallSalt` events, so only
//! the id is needed.

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::{Filter, TransactionRequest};
use alloy_sol_types::{SolCall, SolEvent};
use anyhow::{anyhow, bail, Result};
use clap::{Subcommand, ValueEnum};
use serde_json::json;

use super::{Chain, Ctx};
use crate::market::IMarket;
use crate::output::{emit, WithHint};
use crate::registry::IRegistry;
use crate::timelock::{
    ITimelock, Operation, CANCELLER_ROLE, DEFAULT_ADMIN_ROLE, EXECUTOR_ROLE, PROPOSER_ROLE,
    STATE_WAITING,
};
use crate::IRewardToken;

/// `labelmint timelock …`.
#[derive(Debug, Subcommand)]
pub enum TimelockCmd {
    /// Propose a parameter change (proposers); prints the operation id and when it can run
    #[command(after_help = "Examples:
  labelmint timelock propose royalty --bps 1500
  labelmint timelock propose fee --recipient 0x… --bps 250 --delay 259200
  labelmint timelock propose grant minter 0x…")]
    Propose {
        /// The change
        #[command(subcommand)]
        change: Change,
        /// Seconds before it can run [default: the Timelock's minimum delay]
        #[arg(long, global = true, value_name = "SECS")]
        delay: Option<u64>,
        /// Tells apart the same change proposed again (32 bytes)
        #[arg(long, global = true, value_name = "HEX")]
        salt: Option<B256>,
    },
    /// Every operation: its calls, state (waiting, ready, done, cancelled) and when it is ready
    #[command(after_help = "Example:\n  labelmint timelock list")]
    List,
    /// Run a ready operation (anyone, unless the executor role was closed)
    #[command(after_help = "Example:\n  labelmint timelock execute 0x<operation id>")]
    Execute {
        /// Operation id (from `propose` or `list`)
        id: B256,
    },
    /// Cancel a waiting or ready operation (cancellers)
    #[command(after_help = "Example:\n  labelmint timelock cancel 0x<operation id>")]
    Cancel {
        /// Operation id
        id: B256,
    },
}

/// A governed change.
#[derive(Debug, Subcommand)]
pub enum Change {
    /// The registry's platform fee (basis points, at most 1,000) and its recipient
    #[command(after_help = "Example:\n  labelmint timelock propose fee --recipient 0x… --bps 250")]
    Fee {
        /// Who receives the fee
        #[arg(long, value_name = "ADDR")]
        recipient: Address,
        /// Basis points of every sale
        #[arg(long, value_name = "BPS")]
        bps: u16,
    },
    /// The annotators' royalty share of every sale (basis points)
    #[command(after_help = "Example:\n  labelmint timelock propose royalty --bps 1500")]
    Royalty {
        /// Basis points of the price after the fee
        #[arg(long, value_name = "BPS")]
        bps: u16,
    },
    /// Enable (or, with --disable, disable) a job source of the registry
    #[command(
        after_help = "Examples:\n  labelmint timelock propose job-source 0x…\n  labelmint timelock propose job-source 0x… --disable"
    )]
    JobSource {
        /// A contract answering `jobSource` and `acceptedLabels`
        source: Address,
        /// Disable it instead (datasets already published keep it)
        #[arg(long)]
        disable: bool,
    },
    /// Let an account pause the market (or, with --disable, no longer)
    #[command(after_help = "Example:\n  labelmint timelock propose pauser 0x…")]
    Pauser {
        /// The account
        account: Address,
        /// Take the right away instead
        #[arg(long)]
        disable: bool,
    },
    /// Grant a role of the RewardToken or of the Timelock
    #[command(
        after_help = "Examples:\n  labelmint timelock propose grant minter 0x…\n  labelmint timelock propose grant proposer 0x…multisig"
    )]
    Grant {
        /// The role
        #[arg(value_enum)]
        role: Role,
        /// The account
        account: Address,
    },
    /// Revoke a role of the RewardToken or of the Timelock
    #[command(after_help = "Example:\n  labelmint timelock propose revoke token-pauser 0x…")]
    Revoke {
        /// The role
        #[arg(value_enum)]
        role: Role,
        /// The account
        account: Address,
    },
    /// The Timelock's minimum delay
    #[command(after_help = "Example:\n  labelmint timelock propose delay 259200")]
    Delay {
        /// Seconds
        secs: u64,
    },
}

/// A role and the program that has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// The RewardToken's `MINTER_ROLE`
    Minter,
    /// The RewardToken's `PAUSER_ROLE`
    TokenPauser,
    /// The RewardToken's `DEFAULT_ADMIN_ROLE`
    TokenAdmin,
    /// The Timelock's `PROPOSER_ROLE`
    Proposer,
    /// The Timelock's `CANCELLER_ROLE`
    Canceller,
    /// The Timelock's `EXECUTOR_ROLE` (the zero address: anyone)
    Executor,
}

impl Role {
    /// Whether the role is the token's (else the Timelock's).
    fn on_token(self) -> bool {
        matches!(self, Self::Minter | Self::TokenPauser | Self::TokenAdmin)
    }

    fn id(self) -> B256 {
        match self {
            Self::Minter => alloy_primitives::keccak256("MINTER_ROLE"),
            Self::TokenPauser => alloy_primitives::keccak256("PAUSER_ROLE"),
            Self::TokenAdmin => DEFAULT_ADMIN_ROLE,
            Self::Proposer => PROPOSER_ROLE,
            Self::Canceller => CANCELLER_ROLE,
            Self::Executor => EXECUTOR_ROLE,
        }
    }
}

/// A call's calldata.
fn enc(call: impl SolCall) -> Bytes {
    call.abi_encode().into()
}

/// The programs a change can reach.
struct Programs {
    timelock: Address,
    market: Address,
    registry: Address,
    token: Address,
}

impl Programs {
    fn of(ctx: &Ctx, c: &Chain) -> Result<Self> {
        let timelock = labelmint_deploy::read_manifest(&ctx.deployments, c.chain_id)
            .contracts
            .get(labelmint_client::deployments::TIMELOCK)
            .map(|d| d.address)
            .ok_or_else(|| anyhow!("no Timelock for chain {} in {}", c.chain_id, ctx.deployments.display()))
            .hint("a deployment made with --no-timelock has none: its admin sets parameters directly; or pass --deployments DIR")?;
        Ok(Self {
            timelock,
            market: c.market,
            registry: c.registry,
            token: super::hub::token_address(ctx, c)?,
        })
    }

    /// The target and calldata of `change`.
    fn call(&self, change: &Change) -> (Address, Bytes) {
        match change {
            Change::Fee { recipient, bps } => (
                self.registry,
                enc(IRegistry::setFeeCall {
                    recipient: *recipient,
                    bps: *bps,
                }),
            ),
            Change::Royalty { bps } => (
                self.registry,
                enc(IRegistry::setRoyaltyBpsCall { bps: *bps }),
            ),
            Change::JobSource { source, disable } => (
                self.registry,
                enc(IRegistry::setJobSourceCall {
                    source: *source,
                    enabled: !disable,
                }),
            ),
            Change::Pauser { account, disable } => (
                self.market,
                enc(IMarket::setPauserCall {
                    account: *account,
                    enabled: !disable,
                }),
            ),
            Change::Grant { role, account } | Change::Revoke { role, account } => {
                let grant = matches!(change, Change::Grant { .. });
                let data = if role.on_token() {
                    if grant {
                        IRewardToken::grantRoleCall {
                            role: role.id(),
                            account: *account,
                        }
                        .abi_encode()
                    } else {
                        IRewardToken::revokeRoleCall {
                            role: role.id(),
                            account: *account,
                        }
                        .abi_encode()
                    }
                } else if grant {
                    ITimelock::grantRoleCall {
                        role: role.id(),
                        account: *account,
                    }
                    .abi_encode()
                } else {
                    ITimelock::revokeRoleCall {
                        role: role.id(),
                        account: *account,
                    }
                    .abi_encode()
                };
                let target = if role.on_token() {
                    self.token
                } else {
                    self.timelock
                };
                (target, data.into())
            }
            Change::Delay { secs } => (
                self.timelock,
                enc(ITimelock::updateDelayCall {
                    newDelay: U256::from(*secs),
                }),
            ),
        }
    }

    /// A readable name of a call: the program and the function
    /// (`labelmint_client::timelock::describe`).
    fn describe(&self, target: Address, data: &[u8]) -> String {
        labelmint_client::timelock::describe(
            &[
                (self.registry, "DatasetRegistry"),
                (self.market, "AnnotationMarket"),
                (self.token, "RewardToken"),
                (self.timelock, "Timelock"),
            ],
            target,
            data,
        )
    }
}

/// One scheduled operation, read back from its events.
struct Scheduled {
    calls: Vec<(Address, U256, Bytes)>,
    predecessor: B256,
    salt: B256,
}

/// Every operation of `timelock`, from its `CallScheduled` and `CallSalt`
/// events (ids in the order first scheduled).
fn scheduled(c: &Chain, timelock: Address) -> Result<Vec<(B256, Scheduled)>> {
    let logs = |sig: B256| -> Result<Vec<alloy_rpc_types_eth::Log>> {
        let filter = Filter::new()
            .address(timelock)
            .event_signature(sig)
            .from_block(0u64);
        Ok(c.rt.block_on(c.provider.get_logs(&filter))?)
    };
    let mut order = Vec::new();
    let mut ops: BTreeMap<B256, Scheduled> = BTreeMap::new();
    for l in logs(ITimelock::CallScheduled::SIGNATURE_HASH)? {
        let e = ITimelock::CallScheduled::decode_log(&l.inner)
            .map_err(|e| anyhow!("bad CallScheduled log: {e}"))?
            .data;
        let op = ops.entry(e.id).or_insert_with(|| {
            order.push(e.id);
            Scheduled {
                calls: Vec::new(),
                predecessor: e.predecessor,
                salt: B256::ZERO,
            }
        });
        // A cancelled operation scheduled again logs its calls again.
        if e.index == U256::ZERO {
            op.calls.clear();
        }
        op.calls.push((e.target, e.value, e.data));
    }
    for l in logs(ITimelock::CallSalt::SIGNATURE_HASH)? {
        let e = ITimelock::CallSalt::decode_log(&l.inner)
            .map_err(|e| anyhow!("bad CallSalt log: {e}"))?
            .data;
        if let Some(op) = ops.get_mut(&e.id) {
            op.salt = e.salt;
        }
    }
    Ok(order
        .into_iter()
        .filter_map(|id| ops.remove(&id).map(|op| (id, op)))
        .collect())
}

/// Runs `labelmint timelock <sub>`.
pub fn run(ctx: &Ctx, cmd: &TimelockCmd) -> Result<()> {
    let c = Chain::connect(ctx)?;
    let p = Programs::of(ctx, &c)?;
    match cmd {
        TimelockCmd::Propose {
            change,
            delay,
            salt,
        } => propose(&c, &p, change, *delay, *salt),
        TimelockCmd::List => list(&c, &p),
        TimelockCmd::Execute { id } => execute(&c, &p, *id),
        TimelockCmd::Cancel { id } => {
            c.send(p.timelock, &ITimelock::cancelCall { id: *id }, U256::ZERO)?;
            emit(format!("cancelled {id}"), json!({"id": id}));
            Ok(())
        }
    }
}

/// `timelock propose`: simulated as the Timelock would run it, then scheduled.
fn propose(
    c: &Chain,
    p: &Programs,
    change: &Change,
    delay: Option<u64>,
    salt: Option<B256>,
) -> Result<()> {
    let (target, data) = p.call(change);
    // Simulated as the Timelock would call it.
    let probe = TransactionRequest::default()
        .from(p.timelock)
        .to(target)
        .input(data.clone().into());
    if let Err(e) = c.rt.block_on(async { c.provider.call(probe).await }) {
        let why = e
            .as_error_resp()
            .and_then(alloy_json_rpc::ErrorPayload::as_revert_data)
            .map_or_else(
                || e.to_string(),
                |d: Bytes| labelmint_client::revert::explain(&d),
            );
        bail!(
            "{} would refuse this change when the Timelock runs it: {why}",
            p.describe(target, &data)
        );
    }
    let min = c.call(p.timelock, &ITimelock::getMinDelayCall {})?;
    let delay = match delay {
        Some(d) => d,
        None => u64::try_from(min).unwrap_or(u64::MAX),
    };
    let op = Operation {
        target,
        value: U256::ZERO,
        data,
        predecessor: B256::ZERO,
        salt: salt.unwrap_or_default(),
    };
    let id = op.id();
    c.send(p.timelock, &op.schedule(delay), U256::ZERO)?;
    let ready = c.call(p.timelock, &ITimelock::getTimestampCall { id })?;
    emit(
            format!(
                "{id}\nproposed {}; it can run from chain time {ready} (in {delay} s): labelmint timelock execute {id}",
                p.describe(op.target, &op.data)
            ),
            json!({"id": id, "target": op.target, "data": op.data, "delay": delay, "ready_at": ready.to_string()}),
        );
    Ok(())
}

/// `timelock list`: every operation with its state and calls.
fn list(c: &Chain, p: &Programs) -> Result<()> {
    let mut lines = Vec::new();
    let mut out = Vec::new();
    for (id, op) in scheduled(c, p.timelock)? {
        let state = c.call(p.timelock, &ITimelock::getOperationStateCall { id })?;
        let ready = c.call(p.timelock, &ITimelock::getTimestampCall { id })?;
        let calls: Vec<String> = op.calls.iter().map(|(t, _, d)| p.describe(*t, d)).collect();
        lines.push(format!(
            "{id} {} {}{}",
            labelmint_client::timelock::state_name(state),
            if state == STATE_WAITING {
                format!("(ready at chain time {ready}) ")
            } else {
                String::new()
            },
            calls.join("; ")
        ));
        out.push(json!({"id": id, "state": labelmint_client::timelock::state_name(state), "ready_at": ready.to_string(), "calls": calls}));
    }
    if lines.is_empty() {
        lines.push("no operation was ever scheduled".into());
    }
    emit(
        lines.join("\n"),
        json!({"timelock": p.timelock, "operations": out}),
    );
    Ok(())
}

/// `timelock execute`: the operation rebuilt from its events, then run.
fn execute(c: &Chain, p: &Programs, id: B256) -> Result<()> {
    let (_, op) = scheduled(c, p.timelock)?
        .into_iter()
        .find(|(i, _)| *i == id)
        .ok_or_else(|| {
            anyhow!(
                "no operation {id} was scheduled on the Timelock {}",
                p.timelock
            )
        })
        .hint("labelmint timelock list")?;
    let value: U256 = op.calls.iter().map(|(_, v, _)| *v).sum();
    if let [(target, v, data)] = op.calls.as_slice() {
        let call = ITimelock::executeCall {
            target: *target,
            value: *v,
            payload: data.clone(),
            predecessor: op.predecessor,
            salt: op.salt,
        };
        c.send(p.timelock, &call, value)?;
    } else {
        let call = ITimelock::executeBatchCall {
            targets: op.calls.iter().map(|x| x.0).collect(),
            values: op.calls.iter().map(|x| x.1).collect(),
            payloads: op.calls.iter().map(|x| x.2.clone()).collect(),
            predecessor: op.predecessor,
            salt: op.salt,
        };
        c.send(p.timelock, &call, value)?;
    }
    let calls: Vec<String> = op.calls.iter().map(|(t, _, d)| p.describe(*t, d)).collect();
    emit(
        format!("executed {id}: {}", calls.join("; ")),
        json!({"id": id, "calls": calls}),
    );
    Ok(())
}
