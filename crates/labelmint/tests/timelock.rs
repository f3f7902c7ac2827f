//! The real Timelock wasm governing the real DatasetRegistry, AnnotationMarket
//! and RewardToken on the embedded chain: every admin-set parameter changes
//! through a scheduled, visible, delayed operation (or is cancelled), pausing
//! stays immediate, and the proposer can itself be a contract.
#![allow(missing_docs, clippy::too_many_lines)]

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::{sol, SolCall, SolConstructor, SolError};
use labelmint::{
    artifacts,
    market::IMarket,
    registry::IRegistry,
    timelock::{
        self, state_bits, BatchOperation, Governed, ITimelock, Operation, CANCELLER_ROLE,
        DEFAULT_ADMIN_ROLE, EXECUTOR_ROLE, PROPOSER_ROLE, STATE_DONE, STATE_READY, STATE_UNSET,
        STATE_WAITING,
    },
    IRewardToken,
};
use labelmint_devnet::{chain::DEFAULT_TX_GAS, ChainError, Receipt};

mod common;
use common::{assert_reverts, logs, ok};

/// The minimum delay of the governed marketplace: one day.
const DELAY: u64 = 86_400;

sol! {
    /// The StylusDeployer's error for a constructor that reverted.
    error ContractInitializationError(address newContract, bytes data);

    /// `MultiSig` of `tests/fixtures/Adversaries.sol`: M-of-N owners.
    #[derive(Debug, PartialEq, Eq)]
    interface IMultiSig {
        function submit(address target, uint256 value, bytes data) external returns (uint256 id);
        function confirm(uint256 id) external;
        function execute(uint256 id) external returns (bytes);
        function confirmations(uint256 id) external view returns (uint256);
        event Submitted(uint256 indexed id, address indexed owner, address indexed target, uint256 value, bytes data);
        error NotOwner(address account);
        error AlreadyConfirmed(uint256 id, address owner);
        error AlreadyExecuted(uint256 id);
        error NotEnoughConfirmations(uint256 id, uint256 have, uint256 need);
        error CallFailed(uint256 id, bytes reason);
    }

    /// The multisig's constructor arguments.
    contract MultiSigConstructor {
        constructor(address[] owners, uint256 threshold);
    }

    interface IReenterer {
        function arm(bytes data) external;
        function lastOk() external view returns (bool);
        function lastReturn() external view returns (bytes);
        function entered() external view returns (uint256);
    }
}

fn governed() -> Governed {
    Governed::deploy(DELAY).unwrap()
}

fn executor(g: &Governed) -> Address {
    g.p.m.chain.account(8)
}

fn fee_op(g: &Governed, bps: u16) -> Operation {
    Operation::new(
        g.p.registry,
        &IRegistry::setFeeCall {
            recipient: g.p.m.chain.account(7),
            bps,
        },
    )
}

fn fee(g: &mut Governed) -> (Address, u16) {
    let registry = g.p.registry;
    let f = g.read(registry, &IRegistry::feeCall {}).unwrap();
    (f.recipient, f.bps)
}

fn unexpected(id: B256, states: &[u8]) -> ITimelock::TimelockUnexpectedOperationState {
    ITimelock::TimelockUnexpectedOperationState {
        operationId: id,
        expectedStates: state_bits(states),
    }
}

fn unauthorized(account: Address, role: B256) -> ITimelock::AccessControlUnauthorizedAccount {
    ITimelock::AccessControlUnauthorizedAccount {
        account,
        neededRole: role,
    }
}

fn has_role(g: &mut Governed, timelock: Address, role: B256, account: Address) -> bool {
    g.read(timelock, &ITimelock::hasRoleCall { role, account })
        .unwrap()
}

/// The `CallScheduled` events `timelock` logged in `r`.
fn scheduled_by(r: &Receipt, timelock: Address) -> Vec<ITimelock::CallScheduled> {
    r.logs
        .iter()
        .filter(|l| l.address == timelock)
        .filter_map(|l| {
            <ITimelock::CallScheduled as alloy_sol_types::SolEvent>::decode_log_data(&l.data).ok()
        })
        .collect()
}

fn timelock_wasm() -> Vec<u8> {
    artifacts::program("timelock").unwrap().0
}

fn fixture(name: &str) -> Vec<u8> {
    let v: serde_json::Value =
        serde_json::from_str(include_str!("../../../tests/fixtures/Adversaries.json")).unwrap();
    let hex = v["contracts"][name]["bytecode"].as_str().unwrap();
    alloy_primitives::hex::decode(hex).unwrap()
}

#[test]
fn a_registry_fee_change_is_scheduled_in_the_open_refused_before_the_delay_and_applied_after() {
    let mut g = governed();
    let (registry, timelock, deployer) = (g.p.registry, g.timelock, g.p.m.admin);
    let salt = B256::repeat_byte(0x5a);
    let op = fee_op(&g, 250).salted(salt);
    let id = op.id();

    // The old admin can no longer set it.
    let r = g
        .send(
            deployer,
            registry,
            &IRegistry::setFeeCall {
                recipient: deployer,
                bps: 250,
            },
        )
        .unwrap();
    assert_reverts(&r, &IRegistry::Unauthorized { account: deployer });

    let r = g.schedule(&op).unwrap();
    ok(&r);
    let scheduled_at = g.p.m.mined_at();
    let events = logs::<ITimelock::CallScheduled>(&r);
    assert_eq!(
        events,
        vec![ITimelock::CallScheduled {
            id,
            index: U256::ZERO,
            target: registry,
            value: U256::ZERO,
            data: op.data.clone(),
            predecessor: B256::ZERO,
            delay: U256::from(DELAY),
        }],
        "the exact call is public from the moment it is scheduled"
    );
    assert_eq!(
        logs::<ITimelock::CallSalt>(&r),
        vec![ITimelock::CallSalt { id, salt }]
    );
    assert_eq!(
        g.read(
            timelock,
            &ITimelock::hashOperationCall {
                target: op.target,
                value: op.value,
                data: op.data.clone(),
                predecessor: op.predecessor,
                salt,
            },
        )
        .unwrap(),
        id
    );
    assert_eq!(g.state(id).unwrap(), STATE_WAITING);
    assert_eq!(
        g.read(timelock, &ITimelock::getTimestampCall { id })
            .unwrap(),
        U256::from(scheduled_at + DELAY)
    );
    assert!(g
        .read(timelock, &ITimelock::isOperationPendingCall { id })
        .unwrap());

    // One second short of the delay: refused, nothing changes.
    let now = g.p.m.chain.timestamp();
    g.p.m.chain.set_timestamp(scheduled_at + DELAY - 1);
    assert!(g.p.m.chain.timestamp() >= now);
    let who = executor(&g);
    let r = g.execute(who, &op).unwrap();
    assert_reverts(&r, &unexpected(id, &[STATE_READY]));
    assert_eq!(fee(&mut g), (Address::ZERO, 0));

    g.p.m.chain.set_timestamp(scheduled_at + DELAY);
    let r = g.execute(who, &op).unwrap();
    ok(&r);
    assert_eq!(
        logs::<ITimelock::CallExecuted>(&r),
        vec![ITimelock::CallExecuted {
            id,
            index: U256::ZERO,
            target: registry,
            value: U256::ZERO,
            data: op.data.clone(),
        }]
    );
    assert_eq!(
        logs::<IRegistry::FeeChanged>(&r),
        vec![IRegistry::FeeChanged {
            recipient: g.p.m.chain.account(7),
            bps: 250
        }]
    );
    assert_eq!(fee(&mut g), (g.p.m.chain.account(7), 250));
    assert_eq!(g.state(id).unwrap(), STATE_DONE);
    assert_eq!(
        g.read(timelock, &ITimelock::getTimestampCall { id })
            .unwrap(),
        U256::from(1)
    );
    // Once done, never again.
    let r = g.execute(who, &op).unwrap();
    assert_reverts(&r, &unexpected(id, &[STATE_READY]));
}

#[test]
fn a_cancelled_operation_can_never_be_executed() {
    let mut g = governed();
    let (proposer, deployer) = (g.proposer, g.p.m.admin);
    let op = fee_op(&g, 300);
    let id = op.id();
    ok(&g.schedule(&op).unwrap());

    for outsider in [deployer, executor(&g)] {
        let r = g
            .to_timelock(outsider, &ITimelock::cancelCall { id })
            .unwrap();
        assert_reverts(&r, &unauthorized(outsider, CANCELLER_ROLE));
    }
    let r = g
        .to_timelock(proposer, &ITimelock::cancelCall { id })
        .unwrap();
    ok(&r);
    assert_eq!(
        logs::<ITimelock::Cancelled>(&r),
        vec![ITimelock::Cancelled { id }]
    );
    assert_eq!(g.state(id).unwrap(), STATE_UNSET);
    g.p.m.chain.warp(2 * DELAY);
    let who = executor(&g);
    let r = g.execute(who, &op).unwrap();
    assert_reverts(&r, &unexpected(id, &[STATE_READY]));
    assert_eq!(fee(&mut g), (Address::ZERO, 0));
    // Nothing pending to cancel any more.
    let r = g
        .to_timelock(proposer, &ITimelock::cancelCall { id })
        .unwrap();
    assert_reverts(&r, &unexpected(id, &[STATE_WAITING, STATE_READY]));

    // A ready operation can still be cancelled; a done one cannot.
    let op = fee_op(&g, 400);
    ok(&g.schedule(&op).unwrap());
    g.p.m.chain.warp(DELAY);
    assert_eq!(g.state(op.id()).unwrap(), STATE_READY);
    ok(&g
        .to_timelock(proposer, &ITimelock::cancelCall { id: op.id() })
        .unwrap());
    let done = g.govern(&fee_op(&g, 500)).unwrap();
    ok(&done);
    let id = fee_op(&g, 500).id();
    let r = g
        .to_timelock(proposer, &ITimelock::cancelCall { id })
        .unwrap();
    assert_reverts(&r, &unexpected(id, &[STATE_WAITING, STATE_READY]));
}

#[test]
fn only_a_proposer_schedules_and_never_below_the_minimum_delay() {
    let mut g = governed();
    let (proposer, deployer) = (g.proposer, g.p.m.admin);
    let op = fee_op(&g, 100);
    for outsider in [deployer, executor(&g)] {
        let r = g.to_timelock(outsider, &op.schedule(DELAY)).unwrap();
        assert_reverts(&r, &unauthorized(outsider, PROPOSER_ROLE));
    }
    let r = g.to_timelock(proposer, &op.schedule(DELAY - 1)).unwrap();
    assert_reverts(
        &r,
        &ITimelock::TimelockInsufficientDelay {
            delay: U256::from(DELAY - 1),
            minDelay: U256::from(DELAY),
        },
    );
    let mut huge = op.schedule(0);
    huge.delay = U256::MAX;
    let r = g.to_timelock(proposer, &huge).unwrap();
    assert_reverts(&r, &ITimelock::TimelockInvalidDelay { delay: U256::MAX });
    ok(&g.to_timelock(proposer, &op.schedule(DELAY)).unwrap());
    // The same call again needs another salt.
    let r = g.to_timelock(proposer, &op.schedule(DELAY)).unwrap();
    assert_reverts(&r, &unexpected(op.id(), &[STATE_UNSET]));
    let again = op.clone().salted(B256::with_last_byte(1));
    ok(&g.to_timelock(proposer, &again.schedule(DELAY)).unwrap());

    // With the executor role closed, only executors execute.
    let wasm = timelock_wasm();
    let closed = timelock::deploy(
        &mut g.p.m.chain,
        deployer,
        &wasm,
        0,
        &[proposer],
        &[proposer],
        Address::ZERO,
    )
    .unwrap();
    let op = Operation::new(closed, &ITimelock::getMinDelayCall {});
    ok(&g.send(proposer, closed, &op.schedule(0)).unwrap());
    let outsider = executor(&g);
    let r = g.send(outsider, closed, &op.execute()).unwrap();
    assert_reverts(&r, &unauthorized(outsider, EXECUTOR_ROLE));
    ok(&g.send(proposer, closed, &op.execute()).unwrap());
}

#[test]
fn a_successor_waits_for_its_predecessor() {
    let mut g = governed();
    let first = fee_op(&g, 100);
    let second = fee_op(&g, 200).after(first.id());
    ok(&g.schedule(&first).unwrap());
    let r = g.schedule(&second).unwrap();
    assert_eq!(
        logs::<ITimelock::CallScheduled>(&r)[0].predecessor,
        first.id()
    );
    g.p.m.chain.warp(DELAY);
    let who = executor(&g);
    let r = g.execute(who, &second).unwrap();
    assert_reverts(
        &r,
        &ITimelock::TimelockUnexecutedPredecessor {
            predecessorId: first.id(),
        },
    );
    assert_eq!(g.state(second.id()).unwrap(), STATE_READY);
    ok(&g.execute(who, &first).unwrap());
    assert_eq!(fee(&mut g).1, 100);
    ok(&g.execute(who, &second).unwrap());
    assert_eq!(fee(&mut g).1, 200, "applied in the order they were chained");
}

#[test]
fn a_failing_call_reverts_execute_with_the_callees_error_and_the_operation_stays_ready() {
    let mut g = governed();
    let registry = g.p.registry;
    // 50 % is above the registry's 10 % fee cap.
    let op = fee_op(&g, 5_000);
    let id = op.id();
    let r = g.govern(&op).unwrap_err().to_string();
    assert!(r.contains("TimelockCallFailed"), "{r}");
    let who = executor(&g);
    let r = g.execute(who, &op).unwrap();
    assert_reverts(
        &r,
        &ITimelock::TimelockCallFailed {
            id,
            index: U256::ZERO,
            reason: IRegistry::InvalidParameter { field: 4 }.abi_encode().into(),
        },
    );
    assert_eq!(g.state(id).unwrap(), STATE_READY, "not marked done");
    assert!(!g
        .read(g.timelock, &ITimelock::isOperationDoneCall { id })
        .unwrap());

    // In a batch: the index of the failing call, and the calls before it undone.
    let batch = BatchOperation::default()
        .with(registry, &IRegistry::setRoyaltyBpsCall { bps: 1_000 })
        .with(registry, &IRegistry::setRoyaltyBpsCall { bps: 10_001 });
    let proposer = g.proposer;
    ok(&g.to_timelock(proposer, &batch.schedule(DELAY)).unwrap());
    g.p.m.chain.warp(DELAY);
    let r = g.to_timelock(who, &batch.execute()).unwrap();
    assert_reverts(
        &r,
        &ITimelock::TimelockCallFailed {
            id: batch.id(),
            index: U256::from(1),
            reason: IRegistry::InvalidParameter { field: 5 }.abi_encode().into(),
        },
    );
    assert_eq!(
        g.read(registry, &IRegistry::royaltyBpsCall {}).unwrap(),
        2_000,
        "the first call of the batch is undone too"
    );

    // A value the timelock does not hold: the transfer fails without data.
    let recipient = g.p.m.chain.account(6);
    let mut pay = Operation::new(recipient, &ITimelock::getMinDelayCall {});
    pay.data = Bytes::new();
    pay.value = U256::from(1_000);
    ok(&g.schedule(&pay).unwrap());
    g.p.m.chain.warp(DELAY);
    let r = g.execute(who, &pay).unwrap();
    assert_reverts(
        &r,
        &ITimelock::TimelockCallFailed {
            id: pay.id(),
            index: U256::ZERO,
            reason: Bytes::new(),
        },
    );
}

#[test]
fn execute_pays_the_value_from_the_callers_payment_or_the_timelocks_balance() {
    let mut g = governed();
    let (timelock, who) = (g.timelock, executor(&g));
    let recipient = Address::repeat_byte(0x77);
    let mut pay = Operation::new(recipient, &ITimelock::getMinDelayCall {});
    pay.data = Bytes::new();
    pay.value = U256::from(1_000);
    ok(&g.schedule(&pay).unwrap());
    g.p.m.chain.warp(DELAY);
    let r = g
        .send_value(who, timelock, &pay.execute(), U256::from(1_000))
        .unwrap();
    ok(&r);
    assert_eq!(g.p.m.chain.balance(recipient), U256::from(1_000));

    // A plain transfer funds the timelock; the next payment comes from it.
    let r =
        g.p.m
            .chain
            .send(who, Some(timelock), U256::from(500), vec![], DEFAULT_TX_GAS)
            .unwrap();
    ok(&r);
    let pay = Operation {
        value: U256::from(500),
        salt: B256::with_last_byte(2),
        ..pay
    };
    ok(&g.govern(&pay).unwrap());
    assert_eq!(g.p.m.chain.balance(recipient), U256::from(1_500));
    assert_eq!(g.p.m.chain.balance(timelock), U256::ZERO);
}

#[test]
fn the_delay_and_the_roles_change_only_through_the_timelock_itself() {
    let mut g = governed();
    let (timelock, proposer, deployer) = (g.timelock, g.proposer, g.p.m.admin);
    let newcomer = g.p.m.chain.account(5);

    let r = g
        .to_timelock(
            proposer,
            &ITimelock::updateDelayCall {
                newDelay: U256::ZERO,
            },
        )
        .unwrap();
    assert_reverts(
        &r,
        &ITimelock::TimelockUnauthorizedCaller { caller: proposer },
    );
    for outsider in [proposer, deployer] {
        let r = g
            .to_timelock(
                outsider,
                &ITimelock::grantRoleCall {
                    role: PROPOSER_ROLE,
                    account: newcomer,
                },
            )
            .unwrap();
        assert_reverts(&r, &unauthorized(outsider, DEFAULT_ADMIN_ROLE));
    }
    assert!(has_role(&mut g, timelock, DEFAULT_ADMIN_ROLE, timelock));
    assert!(!has_role(&mut g, timelock, DEFAULT_ADMIN_ROLE, deployer));

    // Through schedule + execute: the timelock calls itself.
    let update = Operation::new(
        timelock,
        &ITimelock::updateDelayCall {
            newDelay: U256::from(2 * DELAY),
        },
    );
    let r = g.govern(&update).unwrap();
    assert_eq!(
        logs::<ITimelock::MinDelayChange>(&r),
        vec![ITimelock::MinDelayChange {
            oldDuration: U256::from(DELAY),
            newDuration: U256::from(2 * DELAY),
        }]
    );
    assert_eq!(
        g.read(timelock, &ITimelock::getMinDelayCall {}).unwrap(),
        U256::from(2 * DELAY)
    );
    let r = g.schedule(&fee_op(&g, 1)).unwrap();
    assert_reverts(
        &r,
        &ITimelock::TimelockInsufficientDelay {
            delay: U256::from(DELAY),
            minDelay: U256::from(2 * DELAY),
        },
    );
    g.delay = 2 * DELAY;

    // A new proposer, and the old one removed, in one operation.
    let roles = BatchOperation::default()
        .with(
            timelock,
            &ITimelock::grantRoleCall {
                role: PROPOSER_ROLE,
                account: newcomer,
            },
        )
        .with(
            timelock,
            &ITimelock::revokeRoleCall {
                role: PROPOSER_ROLE,
                account: proposer,
            },
        );
    let r = g.govern_batch(&roles).unwrap();
    assert_eq!(
        logs::<ITimelock::RoleGranted>(&r),
        vec![ITimelock::RoleGranted {
            role: PROPOSER_ROLE,
            account: newcomer,
            sender: timelock,
        }]
    );
    assert_eq!(
        logs::<ITimelock::RoleRevoked>(&r),
        vec![ITimelock::RoleRevoked {
            role: PROPOSER_ROLE,
            account: proposer,
            sender: timelock,
        }]
    );
    let r = g.schedule(&fee_op(&g, 2)).unwrap();
    assert_reverts(&r, &unauthorized(proposer, PROPOSER_ROLE));
    ok(&g
        .to_timelock(newcomer, &fee_op(&g, 2).schedule(2 * DELAY))
        .unwrap());

    // Renouncing needs the caller's own address as confirmation.
    let r = g
        .to_timelock(
            proposer,
            &ITimelock::renounceRoleCall {
                role: CANCELLER_ROLE,
                callerConfirmation: newcomer,
            },
        )
        .unwrap();
    assert_reverts(&r, &ITimelock::AccessControlBadConfirmation {});
    let r = g
        .to_timelock(
            proposer,
            &ITimelock::renounceRoleCall {
                role: CANCELLER_ROLE,
                callerConfirmation: proposer,
            },
        )
        .unwrap();
    ok(&r);
    assert!(!has_role(&mut g, timelock, CANCELLER_ROLE, proposer));
}

#[test]
fn once_admin_the_timelock_alone_sets_pausers_while_a_pauser_still_pauses_at_once() {
    let mut g = governed();
    let (market, token, timelock, deployer) = (g.p.m.market, g.p.m.token, g.timelock, g.p.m.admin);
    let operator = g.p.m.chain.account(5);
    assert_eq!(g.read(market, &IMarket::adminCall {}).unwrap(), timelock);
    assert_eq!(
        g.read(g.p.registry, &IRegistry::adminCall {}).unwrap(),
        timelock
    );

    let set = IMarket::setPauserCall {
        account: operator,
        enabled: true,
    };
    let r = g.send(deployer, market, &set).unwrap();
    assert_reverts(&r, &IMarket::Unauthorized { account: deployer });

    // The deployer kept its pauser flag: pausing needs no delay.
    let r = g.send(deployer, market, &IMarket::pauseCall {}).unwrap();
    ok(&r);
    assert_eq!(
        logs::<IMarket::Paused>(&r),
        vec![IMarket::Paused { account: deployer }]
    );
    assert!(g.read(market, &IMarket::pausedCall {}).unwrap().isPaused);
    ok(&g.send(deployer, market, &IMarket::unpauseCall {}).unwrap());
    // The token's PAUSER_ROLE too.
    ok(&g
        .send(deployer, token, &IRewardToken::pauseCall {})
        .unwrap());
    ok(&g
        .send(deployer, token, &IRewardToken::unpauseCall {})
        .unwrap());

    // A new pauser only through the timelock; it then pauses at once.
    let r = g.send(operator, market, &IMarket::pauseCall {}).unwrap();
    assert_reverts(&r, &IMarket::Unauthorized { account: operator });
    let r = g.govern(&Operation::new(market, &set)).unwrap();
    assert_eq!(
        logs::<IMarket::PauserSet>(&r),
        vec![IMarket::PauserSet {
            account: operator,
            enabled: true
        }]
    );
    assert!(g
        .read(market, &IMarket::isPauserCall { account: operator })
        .unwrap());
    ok(&g.send(operator, market, &IMarket::pauseCall {}).unwrap());

    // So does a pauser's removal.
    let remove = IMarket::setPauserCall {
        account: deployer,
        enabled: false,
    };
    let r = g.send(deployer, market, &remove).unwrap();
    assert_reverts(&r, &IMarket::Unauthorized { account: deployer });
    ok(&g.govern(&Operation::new(market, &remove)).unwrap());
    assert!(!g
        .read(market, &IMarket::isPauserCall { account: deployer })
        .unwrap());
}

#[test]
fn the_token_minter_role_is_granted_only_through_the_timelock() {
    let mut g = governed();
    let (token, timelock, deployer) = (g.p.m.token, g.timelock, g.p.m.admin);
    let minter = g.p.m.chain.account(5);
    let role = alloy_primitives::keccak256("MINTER_ROLE");
    let admin = B256::ZERO;
    assert!(g
        .read(
            token,
            &IRewardToken::hasRoleCall {
                role: admin,
                account: timelock
            }
        )
        .unwrap());
    assert!(!g
        .read(
            token,
            &IRewardToken::hasRoleCall {
                role: admin,
                account: deployer
            }
        )
        .unwrap());

    let grant = IRewardToken::grantRoleCall {
        role,
        account: minter,
    };
    let r = g.send(deployer, token, &grant).unwrap();
    assert_reverts(
        &r,
        &IRewardToken::AccessControlUnauthorizedAccount {
            account: deployer,
            neededRole: admin,
        },
    );
    let mint = IRewardToken::mintCall {
        to: minter,
        value: U256::from(5),
    };
    let r = g.send(minter, token, &mint).unwrap();
    assert_reverts(
        &r,
        &IRewardToken::AccessControlUnauthorizedAccount {
            account: minter,
            neededRole: role,
        },
    );

    let r = g.govern(&Operation::new(token, &grant)).unwrap();
    assert_eq!(
        logs::<IRewardToken::RoleGranted>(&r),
        vec![IRewardToken::RoleGranted {
            role,
            account: minter,
            sender: timelock,
        }]
    );
    ok(&g.send(minter, token, &mint).unwrap());
    assert_eq!(
        g.read(token, &IRewardToken::balanceOfCall { account: minter })
            .unwrap(),
        U256::from(5)
    );
}

#[test]
fn a_contract_proposer_a_second_timelock_governs_the_registry_through_the_first() {
    let mut g = governed();
    let (inner, proposer, registry, deployer) = (g.timelock, g.proposer, g.p.registry, g.p.m.admin);
    let council = g.p.m.chain.account(5);
    let who = executor(&g);
    let outer_delay = 3_600;
    let wasm = timelock_wasm();
    let outer = timelock::deploy(
        &mut g.p.m.chain,
        deployer,
        &wasm,
        outer_delay,
        &[council],
        &[Address::ZERO],
        Address::ZERO,
    )
    .unwrap();

    // The first timelock makes the second its only proposer and canceller.
    let mut handover = BatchOperation::default();
    for (call_role, grant) in [
        (PROPOSER_ROLE, true),
        (CANCELLER_ROLE, true),
        (PROPOSER_ROLE, false),
        (CANCELLER_ROLE, false),
    ] {
        handover = if grant {
            handover.with(
                inner,
                &ITimelock::grantRoleCall {
                    role: call_role,
                    account: outer,
                },
            )
        } else {
            handover.with(
                inner,
                &ITimelock::revokeRoleCall {
                    role: call_role,
                    account: proposer,
                },
            )
        };
    }
    ok(&g.govern_batch(&handover).unwrap());
    let change = fee_op(&g, 700);
    for eoa in [proposer, council] {
        let r = g.send(eoa, inner, &change.schedule(DELAY)).unwrap();
        assert_reverts(&r, &unauthorized(eoa, PROPOSER_ROLE));
    }

    // The council proposes on the outer timelock a call that schedules on
    // the inner one: two delays, both public.
    let propose = Operation::new(inner, &change.schedule(DELAY));
    ok(&g
        .send(council, outer, &propose.schedule(outer_delay))
        .unwrap());
    g.p.m.chain.warp(outer_delay);
    let r = g.send(who, outer, &propose.execute()).unwrap();
    ok(&r);
    let scheduled = scheduled_by(&r, inner);
    assert_eq!(scheduled.len(), 1);
    assert_eq!(scheduled[0].id, change.id());
    assert_eq!(scheduled[0].target, registry);
    g.p.m.chain.warp(DELAY);
    ok(&g.send(who, inner, &change.execute()).unwrap());
    assert_eq!(fee(&mut g), (g.p.m.chain.account(7), 700));

    // The contract proposer cancels the same way.
    let next = fee_op(&g, 800);
    let propose = Operation::new(inner, &next.schedule(DELAY));
    ok(&g
        .send(council, outer, &propose.schedule(outer_delay))
        .unwrap());
    g.p.m.chain.warp(outer_delay);
    ok(&g.send(who, outer, &propose.execute()).unwrap());
    let cancel = Operation::new(inner, &ITimelock::cancelCall { id: next.id() });
    ok(&g
        .send(council, outer, &cancel.schedule(outer_delay))
        .unwrap());
    g.p.m.chain.warp(outer_delay);
    ok(&g.send(who, outer, &cancel.execute()).unwrap());
    assert_eq!(
        g.read(inner, &ITimelock::getOperationStateCall { id: next.id() })
            .unwrap(),
        STATE_UNSET
    );
}

/// Sends `call` to `timelock` through the multisig: submitted by `owners[0]`,
/// confirmed by the other `owners`, executed by `who`. Returns the multisig
/// call's id and the execution's receipt.
fn through_multisig<C: SolCall>(
    g: &mut Governed,
    multisig: Address,
    owners: &[Address],
    who: Address,
    target: Address,
    call: &C,
) -> (U256, Receipt) {
    let submit = IMultiSig::submitCall {
        target,
        value: U256::ZERO,
        data: call.abi_encode().into(),
    };
    let r = g.send(owners[0], multisig, &submit).unwrap();
    ok(&r);
    let id = logs::<IMultiSig::Submitted>(&r)[0].id;
    for &o in &owners[1..] {
        ok(&g.send(o, multisig, &IMultiSig::confirmCall { id }).unwrap());
    }
    let r = g
        .send(who, multisig, &IMultiSig::executeCall { id })
        .unwrap();
    (id, r)
}

#[test]
fn a_two_of_three_multisig_proposes_and_cancels_and_no_single_owner_can() {
    let mut g = governed();
    let (inner, proposer, deployer) = (g.timelock, g.proposer, g.p.m.admin);
    let owners = [
        g.p.m.chain.account(4),
        g.p.m.chain.account(5),
        g.p.m.chain.account(6),
    ];
    let (stranger, who) = (g.p.m.chain.account(9), executor(&g));
    let mut code = fixture("MultiSig");
    code.extend(
        MultiSigConstructor::constructorCall {
            owners: owners.to_vec(),
            threshold: U256::from(2),
        }
        .abi_encode(),
    );
    let r =
        g.p.m
            .chain
            .send(deployer, None, U256::ZERO, code, 5_000_000)
            .unwrap();
    ok(&r);
    let multisig = r.contract_address.unwrap();

    // The Timelock makes the multisig its only proposer and canceller.
    let handover = BatchOperation::default()
        .with(
            inner,
            &ITimelock::grantRoleCall {
                role: PROPOSER_ROLE,
                account: multisig,
            },
        )
        .with(
            inner,
            &ITimelock::grantRoleCall {
                role: CANCELLER_ROLE,
                account: multisig,
            },
        )
        .with(
            inner,
            &ITimelock::revokeRoleCall {
                role: PROPOSER_ROLE,
                account: proposer,
            },
        )
        .with(
            inner,
            &ITimelock::revokeRoleCall {
                role: CANCELLER_ROLE,
                account: proposer,
            },
        );
    ok(&g.govern_batch(&handover).unwrap());
    assert!(has_role(&mut g, inner, PROPOSER_ROLE, multisig));
    assert!(!has_role(&mut g, inner, PROPOSER_ROLE, proposer));

    // No owner schedules alone, on the Timelock or through the multisig.
    let change = fee_op(&g, 700);
    let schedule = change.schedule(DELAY);
    for eoa in owners.into_iter().chain([proposer]) {
        let r = g.send(eoa, inner, &schedule).unwrap();
        assert_reverts(&r, &unauthorized(eoa, PROPOSER_ROLE));
    }
    let submit = IMultiSig::submitCall {
        target: inner,
        value: U256::ZERO,
        data: schedule.abi_encode().into(),
    };
    let r = g.send(stranger, multisig, &submit).unwrap();
    assert_reverts(&r, &IMultiSig::NotOwner { account: stranger });
    ok(&g.send(owners[0], multisig, &submit).unwrap());
    let id = U256::ZERO;
    let r = g
        .send(owners[0], multisig, &IMultiSig::confirmCall { id })
        .unwrap();
    assert_reverts(
        &r,
        &IMultiSig::AlreadyConfirmed {
            id,
            owner: owners[0],
        },
    );
    let r = g
        .send(who, multisig, &IMultiSig::executeCall { id })
        .unwrap();
    assert_reverts(
        &r,
        &IMultiSig::NotEnoughConfirmations {
            id,
            have: U256::from(1),
            need: U256::from(2),
        },
    );
    assert_eq!(g.state(change.id()).unwrap(), STATE_UNSET);

    // A second owner's confirmation lets anyone execute it: the operation is
    // scheduled in the open, by the multisig, and runs after the delay.
    ok(&g
        .send(owners[2], multisig, &IMultiSig::confirmCall { id })
        .unwrap());
    let r = g
        .send(who, multisig, &IMultiSig::executeCall { id })
        .unwrap();
    ok(&r);
    let scheduled = scheduled_by(&r, inner);
    assert_eq!(scheduled.len(), 1);
    assert_eq!(scheduled[0].id, change.id());
    assert_eq!(g.state(change.id()).unwrap(), STATE_WAITING);
    let r = g
        .send(who, multisig, &IMultiSig::executeCall { id })
        .unwrap();
    assert_reverts(&r, &IMultiSig::AlreadyExecuted { id });
    let r = g.execute(who, &change).unwrap();
    assert_reverts(&r, &unexpected(change.id(), &[STATE_READY]));
    g.p.m.chain.warp(DELAY);
    ok(&g.execute(who, &change).unwrap());
    assert_eq!(fee(&mut g), (g.p.m.chain.account(7), 700));

    // Cancelling also takes two owners; one owner cannot cancel on the Timelock.
    let next = fee_op(&g, 800);
    let (_, r) = through_multisig(
        &mut g,
        multisig,
        &owners[..2],
        who,
        inner,
        &next.schedule(DELAY),
    );
    ok(&r);
    assert_eq!(g.state(next.id()).unwrap(), STATE_WAITING);
    let cancel = ITimelock::cancelCall { id: next.id() };
    let r = g.send(owners[1], inner, &cancel).unwrap();
    assert_reverts(&r, &unauthorized(owners[1], CANCELLER_ROLE));
    let (_, r) = through_multisig(&mut g, multisig, &owners[1..], who, inner, &cancel);
    ok(&r);
    assert_eq!(g.state(next.id()).unwrap(), STATE_UNSET);
    g.p.m.chain.warp(DELAY);
    let r = g.execute(who, &next).unwrap();
    assert_reverts(&r, &unexpected(next.id(), &[STATE_READY]));
    assert_eq!(fee(&mut g).1, 700, "the cancelled change never applies");

    // A call the Timelock refuses (below the minimum delay) fails the
    // multisig's execution with the Timelock's error, and stays executable.
    let short = fee_op(&g, 900).schedule(DELAY - 1);
    let (id, r) = through_multisig(&mut g, multisig, &owners[..2], who, inner, &short);
    let refused = IMultiSig::CallFailed {
        id,
        reason: ITimelock::TimelockInsufficientDelay {
            delay: U256::from(DELAY - 1),
            minDelay: U256::from(DELAY),
        }
        .abi_encode()
        .into(),
    };
    assert_reverts(&r, &refused);
    assert_eq!(
        g.read(multisig, &IMultiSig::confirmationsCall { id })
            .unwrap(),
        U256::from(2)
    );
    // The failed call is not spent: executing it again fails the same way,
    // not with AlreadyExecuted.
    let r = g
        .send(who, multisig, &IMultiSig::executeCall { id })
        .unwrap();
    assert_reverts(&r, &refused);
}

#[test]
fn a_target_calling_back_into_execute_cannot_run_the_operation_twice() {
    let mut g = governed();
    let (timelock, who) = (g.timelock, executor(&g));
    let r =
        g.p.m
            .chain
            .send(who, None, U256::ZERO, fixture("Reenterer"), 5_000_000)
            .unwrap();
    ok(&r);
    let reenterer = r.contract_address.unwrap();
    let mut op = Operation::new(reenterer, &IReenterer::enteredCall {});
    op.data = Bytes::from(vec![0xfe, 0xed, 0xbe, 0xef]);
    let id = op.id();
    // On its first entry the target calls `execute` of the same operation
    // (the executor role is open, so only the operation's state can stop it).
    ok(&g
        .send(
            who,
            reenterer,
            &IReenterer::armCall {
                data: op.execute().abi_encode().into(),
            },
        )
        .unwrap());
    ok(&g.schedule(&op).unwrap());
    g.p.m.chain.warp(DELAY);
    let r = g.execute(who, &op).unwrap();
    ok(&r);
    assert_eq!(logs::<ITimelock::CallExecuted>(&r).len(), 1);
    assert_eq!(
        g.read(reenterer, &IReenterer::enteredCall {}).unwrap(),
        U256::from(1)
    );
    assert!(!g.read(reenterer, &IReenterer::lastOkCall {}).unwrap());
    assert_eq!(
        g.read(reenterer, &IReenterer::lastReturnCall {}).unwrap(),
        Bytes::from(unexpected(id, &[STATE_READY]).abi_encode()),
        "the inner execute found the operation already done"
    );
    assert_eq!(g.state(id).unwrap(), STATE_DONE);
    let _ = timelock;
}

#[test]
fn a_batch_runs_every_call_in_order_and_its_lists_are_checked() {
    let mut g = governed();
    let (registry, timelock, proposer) = (g.p.registry, g.timelock, g.proposer);
    let recipient = g.p.m.chain.account(7);
    let batch = BatchOperation::default()
        .with(
            registry,
            &IRegistry::setFeeCall {
                recipient,
                bps: 150,
            },
        )
        .with(registry, &IRegistry::setRoyaltyBpsCall { bps: 3_000 })
        .with(
            registry,
            &IRegistry::setFeeCall {
                recipient,
                bps: 175,
            },
        );
    let r = g.to_timelock(proposer, &batch.schedule(DELAY)).unwrap();
    ok(&r);
    let scheduled = logs::<ITimelock::CallScheduled>(&r);
    assert_eq!(scheduled.len(), 3);
    for (i, e) in scheduled.iter().enumerate() {
        assert_eq!(
            (e.id, e.index, &e.data),
            (batch.id(), U256::from(i), &batch.payloads[i])
        );
    }
    assert_eq!(
        g.read(
            timelock,
            &ITimelock::hashOperationBatchCall {
                targets: batch.targets.clone(),
                values: batch.values.clone(),
                payloads: batch.payloads.clone(),
                predecessor: B256::ZERO,
                salt: B256::ZERO,
            },
        )
        .unwrap(),
        batch.id()
    );
    g.p.m.chain.warp(DELAY);
    let who = executor(&g);
    let r = g.to_timelock(who, &batch.execute()).unwrap();
    ok(&r);
    assert_eq!(logs::<ITimelock::CallExecuted>(&r).len(), 3);
    assert_eq!(fee(&mut g), (recipient, 175), "in order: the last fee wins");
    assert_eq!(
        g.read(registry, &IRegistry::royaltyBpsCall {}).unwrap(),
        3_000
    );

    // Lists of different lengths, an empty batch, a batch too long.
    let mut bad = batch.schedule(DELAY);
    bad.values.pop();
    let r = g.to_timelock(proposer, &bad).unwrap();
    assert_reverts(
        &r,
        &ITimelock::TimelockInvalidOperationLength {
            targets: U256::from(3),
            payloads: U256::from(3),
            values: U256::from(2),
        },
    );
    let r = g
        .to_timelock(proposer, &BatchOperation::default().schedule(DELAY))
        .unwrap();
    assert_reverts(
        &r,
        &ITimelock::TimelockInvalidOperationLength {
            targets: U256::ZERO,
            payloads: U256::ZERO,
            values: U256::ZERO,
        },
    );
    let long = (0..33).fold(BatchOperation::default(), |b, _| {
        b.with(registry, &IRegistry::royaltyBpsCall {})
    });
    let r = g.to_timelock(proposer, &long.schedule(DELAY)).unwrap();
    assert_reverts(
        &r,
        &ITimelock::TimelockTooMany {
            count: U256::from(33),
            max: U256::from(32),
        },
    );
}

#[test]
fn operation_ids_are_the_hashes_of_the_abi_encoding() {
    let mut g = governed();
    let timelock = g.timelock;
    let op = Operation {
        target: Address::repeat_byte(0x42),
        value: U256::from(123_456_789u64),
        data: Bytes::from(vec![7u8; 37]),
        predecessor: B256::repeat_byte(0x11),
        salt: B256::repeat_byte(0x22),
    };
    let expected = alloy_primitives::keccak256(alloy_sol_types::SolValue::abi_encode_params(&(
        op.target,
        op.value,
        op.data.clone(),
        op.predecessor,
        op.salt,
    )));
    assert_eq!(op.id(), expected);
    let call = ITimelock::hashOperationCall {
        target: op.target,
        value: op.value,
        data: op.data.clone(),
        predecessor: op.predecessor,
        salt: op.salt,
    };
    assert_eq!(g.read(timelock, &call).unwrap(), expected);
    let batch = BatchOperation {
        targets: vec![
            Address::repeat_byte(1),
            Address::repeat_byte(2),
            Address::repeat_byte(3),
        ],
        values: vec![U256::ZERO, U256::from(9), U256::MAX],
        payloads: vec![
            Bytes::new(),
            Bytes::from(vec![5u8; 5]),
            Bytes::from(vec![6u8; 64]),
        ],
        predecessor: B256::repeat_byte(0x33),
        salt: B256::ZERO,
    };
    let call = ITimelock::hashOperationBatchCall {
        targets: batch.targets.clone(),
        values: batch.values.clone(),
        payloads: batch.payloads.clone(),
        predecessor: batch.predecessor,
        salt: batch.salt,
    };
    assert_eq!(g.read(timelock, &call).unwrap(), batch.id());
    for (role, name) in [
        (
            g.read(timelock, &ITimelock::PROPOSER_ROLECall {}).unwrap(),
            "PROPOSER_ROLE",
        ),
        (
            g.read(timelock, &ITimelock::EXECUTOR_ROLECall {}).unwrap(),
            "EXECUTOR_ROLE",
        ),
        (
            g.read(timelock, &ITimelock::CANCELLER_ROLECall {}).unwrap(),
            "CANCELLER_ROLE",
        ),
    ] {
        assert_eq!(role, alloy_primitives::keccak256(name));
    }
}

#[test]
fn the_constructor_grants_the_roles_it_is_given_and_refuses_oversized_lists() {
    let mut g = governed();
    let deployer = g.p.m.admin;
    let [first, second, third, admin] = [1, 2, 3, 4].map(|i| g.p.m.chain.account(i));
    let wasm = timelock_wasm();
    let other = timelock::deploy(
        &mut g.p.m.chain,
        deployer,
        &wasm,
        60,
        &[first, second],
        &[third],
        admin,
    )
    .unwrap();
    for (role, account, held) in [
        (PROPOSER_ROLE, first, true),
        (PROPOSER_ROLE, second, true),
        (CANCELLER_ROLE, first, true),
        (CANCELLER_ROLE, second, true),
        (EXECUTOR_ROLE, third, true),
        (EXECUTOR_ROLE, first, false),
        (EXECUTOR_ROLE, Address::ZERO, false),
        (DEFAULT_ADMIN_ROLE, other, true),
        (DEFAULT_ADMIN_ROLE, admin, true),
        (DEFAULT_ADMIN_ROLE, deployer, false),
    ] {
        assert_eq!(
            has_role(&mut g, other, role, account),
            held,
            "{role} {account}"
        );
    }
    assert_eq!(
        g.read(other, &ITimelock::getMinDelayCall {}).unwrap(),
        U256::from(60)
    );
    assert_eq!(
        g.read(
            other,
            &ITimelock::getRoleAdminCall {
                role: PROPOSER_ROLE
            }
        )
        .unwrap(),
        DEFAULT_ADMIN_ROLE
    );
    // The optional admin may change roles directly, then step aside.
    ok(&g
        .send(
            admin,
            other,
            &ITimelock::grantRoleCall {
                role: EXECUTOR_ROLE,
                account: first,
            },
        )
        .unwrap());
    ok(&g
        .send(
            admin,
            other,
            &ITimelock::renounceRoleCall {
                role: DEFAULT_ADMIN_ROLE,
                callerConfirmation: admin,
            },
        )
        .unwrap());
    let r = g
        .send(
            admin,
            other,
            &ITimelock::grantRoleCall {
                role: EXECUTOR_ROLE,
                account: second,
            },
        )
        .unwrap();
    assert_reverts(&r, &unauthorized(admin, DEFAULT_ADMIN_ROLE));

    let many: Vec<Address> = (0..17u8).map(Address::with_last_byte).collect();
    let args = timelock::TimelockConstructor::constructorCall {
        min_delay: U256::ZERO,
        proposers: many,
        executors: vec![],
        admin: Address::ZERO,
    };
    let err =
        g.p.m
            .chain
            .deploy_via_deployer(
                deployer,
                &wasm,
                &alloy_sol_types::SolConstructor::abi_encode(&args),
                U256::ZERO,
                B256::repeat_byte(0x17),
                U256::from(10u64).pow(U256::from(16)),
            )
            .unwrap_err();
    let ChainError::Failed(r) = err else {
        panic!("{err}")
    };
    let refused = ContractInitializationError::abi_decode(&r.output).unwrap();
    assert_eq!(
        refused.data,
        Bytes::from(
            ITimelock::TimelockTooMany {
                count: U256::from(17),
                max: U256::from(16),
            }
            .abi_encode()
        )
    );
}

#[test]
fn malformed_calls_get_named_errors() {
    let mut g = governed();
    let (timelock, proposer) = (g.timelock, g.proposer);
    let send = |g: &mut Governed, data: Vec<u8>, value: u64| {
        g.p.m
            .chain
            .send(
                proposer,
                Some(timelock),
                U256::from(value),
                data,
                DEFAULT_TX_GAS,
            )
            .unwrap()
    };
    let r = send(&mut g, vec![1, 2], 0);
    assert_reverts(&r, &ITimelock::InvalidCalldata {});
    let r = send(&mut g, vec![1, 2, 3, 4], 0);
    assert_reverts(
        &r,
        &ITimelock::UnknownFunction {
            selector: [1, 2, 3, 4].into(),
        },
    );
    let op = fee_op(&g, 1);
    let r = send(&mut g, op.schedule(DELAY).abi_encode(), 1);
    assert_reverts(&r, &ITimelock::NotPayable {});
    // The `data` offset pointing past the end.
    let mut data = op.schedule(DELAY).abi_encode();
    data[4 + 95] = 0xff;
    let r = send(&mut g, data, 0);
    assert_reverts(&r, &ITimelock::InvalidCalldata {});
    // A truncated call.
    let data = op.schedule(DELAY).abi_encode();
    let r = send(&mut g, data[..100].to_vec(), 0);
    assert_reverts(&r, &ITimelock::InvalidCalldata {});
    // An address argument with high bits set.
    let mut data = ITimelock::hasRoleCall {
        role: PROPOSER_ROLE,
        account: proposer,
    }
    .abi_encode();
    data[4 + 32] = 1;
    let r = send(&mut g, data, 0);
    assert_reverts(&r, &ITimelock::InvalidCalldata {});
}
