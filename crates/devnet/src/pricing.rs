//! Nitro's ink prices for Stylus version 1 and 2: the price of every
//! WebAssembly operator (the prover's `pricing_v1` table), the per-basic-block
//! header, the dynamic prices of `memory.fill`/`memory.copy`, and the host I/O
//! prices (`arbutil::pricing`). The figures are facts read from
//! OffchainLabs/nitro; the code is this crate's own.

use wasmparser::Operator;

/// Ink added to every basic block for checking the ink left.
pub const HEADER_INK: u64 = 2_450;
/// Ink per byte written by `memory.fill`.
pub const MEMORY_FILL_BYTE_INK: u64 = 100;
/// Ink per byte moved by `memory.copy`.
pub const MEMORY_COPY_BYTE_INK: u64 = 100;
/// Price of an operator Stylus cannot run (floating point among them): a
/// basic block containing one can never be paid for.
pub const UNPRICED: u64 = u64::MAX;

/// Entering the host from WebAssembly (hostios that may return something).
pub const HOSTIO_INK: u64 = 8_400;
/// Extra ink of a hostio per pointer argument.
pub const PTR_INK: u64 = 13_440 - HOSTIO_INK;
/// Extra ink of a hostio that calls into the EVM.
pub const EVM_API_INK: u64 = 59_673;
/// Extra ink of a 256-bit division or modulo.
pub const DIV_INK: u64 = 20_000;
/// Extra ink of a 256-bit `mulmod`.
pub const MUL_MOD_INK: u64 = 24_100;
/// Extra ink of a 256-bit `addmod`.
pub const ADD_MOD_INK: u64 = 21_000;

/// Base ink of each host I/O, as Nitro's `pricing::hostio` module sets it.
pub mod hostio {
    use super::{ADD_MOD_INK, DIV_INK, EVM_API_INK, HOSTIO_INK, MUL_MOD_INK, PTR_INK};

    /// `read_args`.
    pub const READ_ARGS: u64 = HOSTIO_INK;
    /// `write_result`.
    pub const WRITE_RESULT: u64 = HOSTIO_INK;
    /// `storage_load_bytes32`.
    pub const STORAGE_LOAD: u64 = HOSTIO_INK + 2 * PTR_INK;
    /// `storage_cache_bytes32`.
    pub const STORAGE_CACHE: u64 = HOSTIO_INK + 2 * PTR_INK;
    /// `storage_flush_cache`.
    pub const STORAGE_FLUSH: u64 = HOSTIO_INK + EVM_API_INK;
    /// `transient_load_bytes32` and `transient_store_bytes32`.
    pub const TRANSIENT: u64 = HOSTIO_INK + 2 * PTR_INK + EVM_API_INK;
    /// `call_contract`, `delegate_call_contract`, `static_call_contract`.
    pub const CALL_CONTRACT: u64 = HOSTIO_INK + 3 * PTR_INK + EVM_API_INK;
    /// `create1`.
    pub const CREATE1: u64 = HOSTIO_INK + 3 * PTR_INK + EVM_API_INK;
    /// `create2`.
    pub const CREATE2: u64 = HOSTIO_INK + 4 * PTR_INK + EVM_API_INK;
    /// `read_return_data`.
    pub const READ_RETURN_DATA: u64 = HOSTIO_INK + EVM_API_INK;
    /// `return_data_size`.
    pub const RETURN_DATA_SIZE: u64 = HOSTIO_INK;
    /// `emit_log`.
    pub const EMIT_LOG: u64 = HOSTIO_INK + EVM_API_INK;
    /// `account_balance` and `account_codehash`.
    pub const ACCOUNT_BALANCE: u64 = HOSTIO_INK + 2 * PTR_INK + EVM_API_INK;
    /// `account_code` and `account_code_size`.
    pub const ACCOUNT_CODE: u64 = HOSTIO_INK + EVM_API_INK;
    /// Hostios that write a 20- or 32-byte value (`msg_sender`, `block_basefee`, …).
    pub const WORD: u64 = HOSTIO_INK + PTR_INK;
    /// `math_div` and `math_mod`.
    pub const MATH_DIV: u64 = HOSTIO_INK + 3 * PTR_INK + DIV_INK;
    /// `math_pow` (plus [`super::pow_price`]).
    pub const MATH_POW: u64 = HOSTIO_INK + 3 * PTR_INK;
    /// `math_add_mod`.
    pub const MATH_ADD_MOD: u64 = HOSTIO_INK + 4 * PTR_INK + ADD_MOD_INK;
    /// `math_mul_mod`.
    pub const MATH_MUL_MOD: u64 = HOSTIO_INK + 4 * PTR_INK + MUL_MOD_INK;
}

/// Ink for the host writing `bytes` into the program's memory.
pub const fn write_price(bytes: u32) -> u64 {
    5_040 + 30 * bytes.saturating_sub(32) as u64
}

/// Ink for the host reading `bytes` out of the program's memory.
pub const fn read_price(bytes: u32) -> u64 {
    16_381 + 55 * bytes.saturating_sub(32) as u64
}

/// Ink of `native_keccak256` over `bytes` (its whole price: no hostio base).
pub const fn keccak_price(bytes: u32) -> u64 {
    let words = bytes.div_ceil(32).saturating_sub(2) as u64;
    121_800 + 21_000 * words
}

/// Variable ink of `math_pow`: cheaper for each leading zero byte of the
/// big-endian exponent.
pub fn pow_price(exponent: &[u8; 32]) -> u64 {
    let zeros = exponent.iter().take_while(|b| **b == 0).count() as u64;
    3_000 + (33 - zeros) * 17_500
}

/// Whether Nitro's meter ends a basic block after `op` (the block's header is
/// placed before its first operator).
pub fn ends_basic_block(op: &Operator<'_>) -> bool {
    matches!(
        op,
        Operator::End
            | Operator::Else
            | Operator::Return
            | Operator::Loop { .. }
            | Operator::Br { .. }
            | Operator::BrTable { .. }
            | Operator::BrIf { .. }
            | Operator::If { .. }
            | Operator::Call { .. }
            | Operator::CallIndirect { .. }
    )
}

/// Static ink price of one operator; `call_indirect_params` is the argument
/// count of the callee type of a `call_indirect`. Operators outside the table
/// (floating point, reference types, atomics, SIMD, …) cost [`UNPRICED`].
#[allow(clippy::match_same_arms)] // the table reads like Nitro's
pub fn opcode_ink(op: &Operator<'_>, call_indirect_params: u32) -> u64 {
    use Operator as O;
    match op {
        O::Unreachable | O::Return | O::Nop | O::I32Const { .. } | O::I64Const { .. } => 1,
        O::Drop => 9,
        O::Block { .. } | O::Loop { .. } | O::Else | O::End => 1,
        O::Br { .. } | O::BrIf { .. } | O::If { .. } => 765,
        O::Select => 1_250,
        O::Call { .. } => 3_800,
        O::LocalGet { .. } | O::LocalTee { .. } => 75,
        O::LocalSet { .. } => 210,
        O::GlobalGet { .. } => 225,
        O::GlobalSet { .. } => 575,
        O::I32Load { .. }
        | O::I32Load8S { .. }
        | O::I32Load8U { .. }
        | O::I32Load16S { .. }
        | O::I32Load16U { .. } => 670,
        O::I64Load { .. }
        | O::I64Load8S { .. }
        | O::I64Load8U { .. }
        | O::I64Load16S { .. }
        | O::I64Load16U { .. }
        | O::I64Load32S { .. }
        | O::I64Load32U { .. } => 680,
        O::I32Store { .. } | O::I32Store8 { .. } | O::I32Store16 { .. } => 825,
        O::I64Store { .. } | O::I64Store8 { .. } | O::I64Store16 { .. } | O::I64Store32 { .. } => {
            950
        }
        O::MemorySize { .. } => 3_000,
        O::MemoryGrow { .. } => 8_050,
        O::I32Eqz
        | O::I32Eq
        | O::I32Ne
        | O::I32LtS
        | O::I32LtU
        | O::I32GtS
        | O::I32GtU
        | O::I32LeS
        | O::I32LeU
        | O::I32GeS
        | O::I32GeU => 170,
        O::I64Eqz
        | O::I64Eq
        | O::I64Ne
        | O::I64LtS
        | O::I64LtU
        | O::I64GtS
        | O::I64GtU
        | O::I64LeS
        | O::I64LeU
        | O::I64GeS
        | O::I64GeU => 225,
        O::I32Clz | O::I32Ctz => 210,
        O::I32Add | O::I32Sub => 70,
        O::I32Mul => 160,
        O::I32DivS | O::I32DivU | O::I32RemS | O::I32RemU => 1_120,
        O::I32And
        | O::I32Or
        | O::I32Xor
        | O::I32Shl
        | O::I32ShrS
        | O::I32ShrU
        | O::I32Rotl
        | O::I32Rotr => 70,
        O::I64Clz | O::I64Ctz => 210,
        O::I64Add | O::I64Sub => 100,
        O::I64Mul => 160,
        O::I64DivS | O::I64DivU | O::I64RemS | O::I64RemU => 1_270,
        O::I64And
        | O::I64Or
        | O::I64Xor
        | O::I64Shl
        | O::I64ShrS
        | O::I64ShrU
        | O::I64Rotl
        | O::I64Rotr => 100,
        O::I32Popcnt => 2_650,
        O::I64Popcnt => 6_000,
        O::I32WrapI64 | O::I64ExtendI32S | O::I64ExtendI32U => 100,
        O::I32Extend8S | O::I32Extend16S | O::I64Extend8S | O::I64Extend16S | O::I64Extend32S => {
            100
        }
        O::MemoryCopy { .. } | O::MemoryFill { .. } => 950,
        O::BrTable { targets } => 2_400 + 325 * u64::from(targets.len()),
        O::CallIndirect { .. } => 13_610 + 650 * u64::from(call_indirect_params),
        _ => UNPRICED,
    }
}

/// Whether `op` is floating-point arithmetic, comparison or conversion:
/// Nitro compiles these to soft-float calls that user programs do not have,
/// so activation fails. (Float loads, stores, constants and reinterpretations
/// activate but are [`UNPRICED`].)
pub fn is_soft_float(op: &Operator<'_>) -> bool {
    use Operator as O;
    matches!(
        op,
        O::F32Eq
            | O::F32Ne
            | O::F32Lt
            | O::F32Gt
            | O::F32Le
            | O::F32Ge
            | O::F64Eq
            | O::F64Ne
            | O::F64Lt
            | O::F64Gt
            | O::F64Le
            | O::F64Ge
            | O::F32Abs
            | O::F32Neg
            | O::F32Ceil
            | O::F32Floor
            | O::F32Trunc
            | O::F32Nearest
            | O::F32Sqrt
            | O::F32Add
            | O::F32Sub
            | O::F32Mul
            | O::F32Div
            | O::F32Min
            | O::F32Max
            | O::F32Copysign
            | O::F64Abs
            | O::F64Neg
            | O::F64Ceil
            | O::F64Floor
            | O::F64Trunc
            | O::F64Nearest
            | O::F64Sqrt
            | O::F64Add
            | O::F64Sub
            | O::F64Mul
            | O::F64Div
            | O::F64Min
            | O::F64Max
            | O::F64Copysign
            | O::I32TruncF32S
            | O::I32TruncF32U
            | O::I32TruncF64S
            | O::I32TruncF64U
            | O::I64TruncF32S
            | O::I64TruncF32U
            | O::I64TruncF64S
            | O::I64TruncF64U
            | O::I32TruncSatF32S
            | O::I32TruncSatF32U
            | O::I32TruncSatF64S
            | O::I32TruncSatF64U
            | O::I64TruncSatF32S
            | O::I64TruncSatF32U
            | O::I64TruncSatF64S
            | O::I64TruncSatF64U
            | O::F32ConvertI32S
            | O::F32ConvertI32U
            | O::F32ConvertI64S
            | O::F32ConvertI64U
            | O::F32DemoteF64
            | O::F64ConvertI32S
            | O::F64ConvertI32U
            | O::F64ConvertI64S
            | O::F64ConvertI64U
            | O::F64PromoteF32
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nitro_opcode_prices_are_used() {
        assert_eq!(opcode_ink(&Operator::I32Add, 0), 70);
        assert_eq!(opcode_ink(&Operator::Call { function_index: 0 }, 0), 3_800);
        let indirect = Operator::CallIndirect {
            type_index: 0,
            table_index: 0,
        };
        assert_eq!(opcode_ink(&indirect, 3), 13_610 + 3 * 650);
        assert_eq!(opcode_ink(&Operator::I64Popcnt, 0), 6_000);
        assert_eq!(opcode_ink(&Operator::MemoryGrow { mem: 0 }, 0), 8_050);
        assert_eq!(opcode_ink(&Operator::Drop, 0), 9);
    }

    #[test]
    fn floats_and_unsupported_operators_are_unpriced() {
        assert_eq!(opcode_ink(&Operator::F32Add, 0), UNPRICED);
        assert_eq!(
            opcode_ink(&Operator::DataDrop { data_index: 0 }, 0),
            UNPRICED
        );
        assert!(is_soft_float(&Operator::F64Mul));
        assert!(is_soft_float(&Operator::I32TruncSatF32S));
        assert!(!is_soft_float(&Operator::F32Const {
            value: wasmparser::Ieee32::from(0.0_f32)
        }));
    }

    #[test]
    fn block_boundaries_are_nitros() {
        assert!(ends_basic_block(&Operator::Loop {
            blockty: wasmparser::BlockType::Empty
        }));
        assert!(!ends_basic_block(&Operator::Block {
            blockty: wasmparser::BlockType::Empty
        }));
        assert!(!ends_basic_block(&Operator::Unreachable));
        assert!(ends_basic_block(&Operator::Call { function_index: 1 }));
    }

    #[test]
    fn host_io_data_prices_match_hand_computed_values() {
        // write: 5,040 + 30 per byte past 32; read: 16,381 + 55 per byte past 32
        assert_eq!(write_price(4), 5_040);
        assert_eq!(write_price(100), 5_040 + 30 * 68);
        assert_eq!(read_price(32), 16_381);
        assert_eq!(read_price(132), 16_381 + 55 * 100);
        // keccak: 121,800 + 21,000 per 32-byte word past the second
        assert_eq!(keccak_price(64), 121_800);
        assert_eq!(keccak_price(1_000), 121_800 + 21_000 * 30);
        let mut exponent = [0u8; 32];
        exponent[31] = 3;
        assert_eq!(
            pow_price(&exponent),
            3_000 + 2 * 17_500,
            "33 − 31 leading zero bytes"
        );
        assert_eq!(hostio::CALL_CONTRACT, 83_193);
        assert_eq!(hostio::STORAGE_LOAD, 18_480);
        assert_eq!(hostio::STORAGE_FLUSH, 68_073);
    }
}
