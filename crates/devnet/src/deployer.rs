//! The StylusDeployer factory at its canonical address, as a built-in system
//! contract: cargo-stylus sends `deploy(bytecode, initData, initValue, salt)`
//! there when a program has a constructor, and reads the new address from
//! `ContractDeployed`.
//!
//! Behaviour (written from the factory's published interface): the code is
//! created with CREATE, or CREATE2 when `salt` is non-zero (salted with
//! `keccak256(salt ‖ initData)` so the address commits to the constructor
//! call); the program is activated if its code hash is not yet, paid from
//! `msg.value - initValue`; `initData` is then called with `initValue`;
//! whatever value is left is refunded to the caller.

use alloy_sol_types::{sol, SolCall, SolEvent};
use revm::{
    context::{ContextTr, JournalTr},
    handler::FrameResult,
    interpreter::{
        CallInput, CallInputs, CallScheme, CallValue, CreateInputs, CreateScheme, FrameInput, Gas,
        InstructionResult, InterpreterResult,
    },
    primitives::{address, keccak256, Address, Bytes, Log, U256},
};

use crate::{
    evm::{infallible, run_frame, Ctx},
    precompiles::{activated_version, result, revert, ArbWasm, StylusPrecompiles, ARB_WASM},
};

/// Canonical address of the StylusDeployer.
pub const STYLUS_DEPLOYER: Address = address!("cEcba2F1DC234f70Dd89F2041029807F8D03A990");

sol! {
    /// The StylusDeployer interface.
    interface IStylusDeployer {
        function deploy(bytes bytecode, bytes initData, uint256 initValue, bytes32 salt) external payable returns (address);
        event ContractDeployed(address deployedContract);
        error ContractDeploymentError(bytes bytecode);
        error ContractInitializationError(address newContract, bytes data);
        error RefundExcessValueError(uint256 excessValue);
        error EmptyBytecode();
        error InitValueButNotInitData();
    }
}

/// Result of one nested frame run by the deployer.
struct Step {
    ok: bool,
    output: Bytes,
    gas_left: u64,
    created: Option<Address>,
}

fn step(ctx: &mut Ctx, precompiles: &StylusPrecompiles, input: FrameInput) -> Result<Step, String> {
    let result = run_frame(ctx, precompiles, input).map_err(|e| format!("{e:?}"))?;
    Ok(match result {
        FrameResult::Call(o) => Step {
            ok: o.result.result.is_ok(),
            output: o.result.output.clone(),
            gas_left: o.result.gas.remaining(),
            created: None,
        },
        FrameResult::Create(o) => Step {
            ok: o.result.result.is_ok(),
            output: o.result.output.clone(),
            gas_left: o.result.gas.remaining(),
            created: o.address,
        },
    })
}

fn call_inputs(
    ctx: &mut Ctx,
    to: Address,
    data: Vec<u8>,
    value: U256,
    gas_limit: u64,
) -> CallInputs {
    let acc = infallible(ctx.journal_mut().load_account_with_code(to));
    let known = (
        acc.info.code_hash,
        acc.info.code.clone().unwrap_or_default(),
    );
    CallInputs {
        input: CallInput::Bytes(data.into()),
        return_memory_offset: 0..0,
        gas_limit,
        reservoir: 0,
        bytecode_address: to,
        known_bytecode: known,
        target_address: to,
        caller: STYLUS_DEPLOYER,
        value: CallValue::Transfer(value),
        scheme: CallScheme::Call,
        is_static: false,
        charged_new_account_state_gas: false,
    }
}

/// Runs a call to the StylusDeployer: one linear script, kept in one place.
#[allow(clippy::too_many_lines)]
pub fn run(
    ctx: &mut Ctx,
    precompiles: &StylusPrecompiles,
    inputs: &CallInputs,
) -> Result<InterpreterResult, String> {
    let mut gas = Gas::new(inputs.gas_limit);
    let data = inputs.input.bytes(ctx);
    let Ok(call) = IStylusDeployer::deployCall::abi_decode(&data) else {
        return Ok(result(InstructionResult::Revert, Vec::new(), gas));
    };
    if inputs.is_static {
        return Ok(result(InstructionResult::Revert, Vec::new(), gas));
    }
    if call.bytecode.is_empty() {
        return Ok(revert(&IStylusDeployer::EmptyBytecode {}, gas));
    }
    if call.initData.is_empty() && !call.initValue.is_zero() {
        return Ok(revert(&IStylusDeployer::InitValueButNotInitData {}, gas));
    }
    let value = inputs.value.get();
    let Some(mut activation_budget) = value.checked_sub(call.initValue) else {
        return Ok(revert(
            &IStylusDeployer::RefundExcessValueError {
                excessValue: U256::ZERO,
            },
            gas,
        ));
    };

    // 1. Create.
    let scheme = if call.salt.is_zero() {
        CreateScheme::Create
    } else {
        let mut preimage = call.salt.to_vec();
        preimage.extend_from_slice(&call.initData);
        CreateScheme::Create2 {
            salt: U256::from_be_bytes(keccak256(preimage).0),
        }
    };
    let budget = gas.remaining() - gas.remaining() / 64;
    let create = CreateInputs::new(
        STYLUS_DEPLOYER,
        scheme,
        U256::ZERO,
        call.bytecode.clone(),
        budget,
        0,
    );
    let created = step(ctx, precompiles, FrameInput::Create(Box::new(create)))?;
    let _ = gas.record_regular_cost(budget - created.gas_left);
    let Some(program) = created.created.filter(|_| created.ok) else {
        return Ok(revert(
            &IStylusDeployer::ContractDeploymentError {
                bytecode: call.bytecode,
            },
            gas,
        ));
    };

    // 2. Activate if needed.
    let codehash = infallible(ctx.journal_mut().load_account_with_code(program))
        .info
        .code_hash;
    if activated_version(ctx, codehash) != Some(precompiles.params().version) {
        let budget = gas.remaining() - gas.remaining() / 64;
        let data = ArbWasm::activateProgramCall { program }.abi_encode();
        let inputs = call_inputs(ctx, ARB_WASM, data, activation_budget, budget);
        let activated = step(ctx, precompiles, FrameInput::Call(Box::new(inputs)))?;
        let _ = gas.record_regular_cost(budget - activated.gas_left);
        if !activated.ok {
            return Ok(result(
                InstructionResult::Revert,
                activated.output.to_vec(),
                gas,
            ));
        }
        let fee = ArbWasm::activateProgramCall::abi_decode_returns(&activated.output)
            .map(|r| r.dataFee)
            .unwrap_or_default();
        // ArbWasm refunded the excess to us; what is left of the budget goes back.
        activation_budget = activation_budget.saturating_sub(fee);
    }

    // 3. Construct.
    if !call.initData.is_empty() {
        let budget = gas.remaining() - gas.remaining() / 64;
        let inputs = call_inputs(ctx, program, call.initData.to_vec(), call.initValue, budget);
        let init = step(ctx, precompiles, FrameInput::Call(Box::new(inputs)))?;
        let _ = gas.record_regular_cost(budget - init.gas_left);
        if !init.ok {
            return Ok(revert(
                &IStylusDeployer::ContractInitializationError {
                    newContract: program,
                    data: init.output,
                },
                gas,
            ));
        }
    }

    // 4. Refund and report.
    let journal = ctx.journal_mut();
    if !activation_budget.is_zero() {
        let failed =
            infallible(journal.transfer(STYLUS_DEPLOYER, inputs.caller, activation_budget));
        if failed.is_some() {
            return Ok(revert(
                &IStylusDeployer::RefundExcessValueError {
                    excessValue: activation_budget,
                },
                gas,
            ));
        }
    }
    journal.log(Log {
        address: STYLUS_DEPLOYER,
        data: IStylusDeployer::ContractDeployed {
            deployedContract: program,
        }
        .encode_log_data(),
    });
    Ok(result(
        InstructionResult::Return,
        IStylusDeployer::deployCall::abi_encode_returns(&program),
        gas,
    ))
}
