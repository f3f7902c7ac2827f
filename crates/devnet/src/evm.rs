//! The revm types of the chain, and running a nested call or create frame
//! from inside a Stylus program.
//!
//! revm runs a precompile synchronously inside its frame loop and hands it
//! `&mut Context`. A Stylus program that calls out needs a whole frame loop of
//! its own, so the context is moved into a fresh [`DevEvm`] for the duration of
//! the nested frame (leaving an empty placeholder) and moved back afterwards.
//! The journal, with its checkpoints and depth, travels with it, so revert
//! semantics are exactly revm's.

use std::{cell::RefCell, convert::Infallible, rc::Rc};

use revm::{
    context::{BlockEnv, CfgEnv, Context, Evm, Journal, TxEnv},
    context_interface::result::EVMError,
    database::{CacheDB, EmptyDB},
    handler::{instructions::EthInstructions, EthFrame, FrameResult, Handler, MainnetHandler},
    interpreter::{interpreter::EthInterpreter, FrameInput, SharedMemory},
    primitives::hardfork::SpecId,
};

use crate::precompiles::StylusPrecompiles;

/// The chain's database: everything in memory.
pub type Db = CacheDB<EmptyDB>;
/// The chain's revm context.
pub type Ctx = Context<BlockEnv, TxEnv, CfgEnv, Db, Journal<Db>, ()>;
/// The chain's EVM: mainnet instructions, our precompile provider.
pub type DevEvm =
    Evm<Ctx, (), EthInstructions<EthInterpreter, Ctx>, StylusPrecompiles, EthFrame<EthInterpreter>>;
/// Errors of a transaction.
pub type DevError = EVMError<Infallible>;

/// The hard fork rules the chain runs (Arbitrum's current ArbOS follows Prague).
pub const SPEC: SpecId = SpecId::PRAGUE;

/// Unwraps a result that cannot fail (the in-memory database is infallible).
pub fn infallible<T>(r: Result<T, Infallible>) -> T {
    match r {
        Ok(v) => v,
        Err(never) => match never {},
    }
}

/// An empty context left in place while the real one is lent to a nested frame.
pub fn placeholder() -> Ctx {
    Context::new(CacheDB::new(EmptyDB::new()), SPEC)
}

/// `JUMPDEST` that also looks at the execution's wall-clock budget (every
/// EVM loop passes a `JUMPDEST`): past it, the frame halts out of gas and
/// the chain refuses the execution ([`crate::budget`]).
fn jumpdest_within_budget(
    _: revm::interpreter::InstructionContext<'_, Ctx, EthInterpreter>,
) -> revm::interpreter::InstructionExecResult {
    if crate::budget::tick() {
        return Err(revm::interpreter::InstructionResult::OutOfGas);
    }
    Ok(())
}

/// Builds a [`DevEvm`] around `ctx`.
pub fn build(ctx: Ctx, precompiles: StylusPrecompiles) -> DevEvm {
    let spec = ctx.cfg.spec;
    let mut instructions = EthInstructions::new_mainnet_with_spec(spec);
    instructions.insert_instruction(
        revm::bytecode::opcode::JUMPDEST,
        revm::interpreter::Instruction::new(jumpdest_within_budget),
        1,
    );
    Evm::new(ctx, instructions, precompiles)
}

/// Runs one call or create frame on `ctx` (at the journal's current depth)
/// with a frame loop of its own, and returns its result.
pub fn run_frame(
    ctx: &mut Ctx,
    precompiles: &StylusPrecompiles,
    frame_input: FrameInput,
) -> Result<FrameResult, DevError> {
    let mut owned = std::mem::replace(ctx, placeholder());
    // A separate memory buffer: the caller's EVM frames keep theirs intact.
    let saved_buffer = std::mem::replace(
        &mut owned.local.shared_memory_buffer,
        Rc::new(RefCell::new(Vec::with_capacity(4096))),
    );
    #[allow(unused_mut)]
    let mut memory = SharedMemory::new_with_buffer(owned.local.shared_memory_buffer.clone());
    // The nested frame obeys the chain's memory limit like a top frame.
    memory.set_memory_limit(owned.cfg.memory_limit);
    let depth = revm::context_interface::JournalTr::depth(&owned.journaled_state);
    let mut evm = build(owned, precompiles.clone());
    let mut handler: MainnetHandler<DevEvm, DevError, EthFrame<EthInterpreter>> =
        MainnetHandler::default();
    let result = handler.run_exec_loop(
        &mut evm,
        revm::interpreter::interpreter_action::FrameInit {
            depth,
            memory,
            frame_input,
        },
    );
    let mut owned = evm.ctx;
    owned.local.shared_memory_buffer = saved_buffer;
    *ctx = owned;
    result
}
