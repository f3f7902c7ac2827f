//! Arbitrum's published Stylus prices: ink per WebAssembly opcode and per
//! host I/O (the "Gas and ink costs" reference of the Arbitrum docs), and the
//! gas/ink exchange rate. These are facts from the public documentation,
//! written down as data; nothing here is derived from Nitro's source.

use wasmparser::Operator;

/// Ink bought by one unit of gas at the default ink price.
pub const INK_PER_GAS: u64 = 10_000;

/// Entering the host from WebAssembly ("about 0.84 gas").
pub const HOSTIO_INK: u64 = 8_400;
/// Host I/Os that return a 20- or 32-byte value (`msg_sender`, `msg_value`, …).
pub const HOSTIO_WORD_INK: u64 = 13_440;
/// `read_args`: base, plus this per byte after the first 32.
pub const READ_ARGS_BYTE_INK: u64 = 5_040;
/// `write_result`: base, plus this per byte after the first 32.
pub const WRITE_RESULT_BYTE_INK: u64 = 16_381;
/// `native_keccak256`: base.
pub const KECCAK_BASE_INK: u64 = 121_800;
/// `native_keccak256`: per 32-byte word hashed.
pub const KECCAK_WORD_INK: u64 = 21_000;

/// `memory.copy` / `memory.fill`: per byte moved, on top of the static price.
pub const MEMORY_BYTE_INK: u64 = 100;
/// `br_table`: per table entry, on top of the static price.
pub const BR_TABLE_ENTRY_INK: u64 = 325;
/// `call_indirect`: per argument, on top of the static price.
pub const CALL_INDIRECT_ARG_INK: u64 = 650;

/// Converts ink to gas, rounding down (what a receipt shows).
pub const fn ink_to_gas(ink: u64) -> u64 {
    ink / INK_PER_GAS
}

/// Converts gas to ink, saturating.
pub const fn gas_to_ink(gas: u64) -> u64 {
    gas.saturating_mul(INK_PER_GAS)
}

/// Static ink price of one operator; `params` is the argument count of the
/// callee type for `call_indirect`. Dynamic parts (bytes of `memory.copy` and
/// `memory.fill`) are charged separately by the meter. `None` for operators a
/// Stylus program cannot contain (they fail validation first).
#[allow(clippy::match_same_arms)] // the table reads like the published one
pub fn opcode_ink(op: &Operator<'_>, call_indirect_params: u32) -> Option<u64> {
    use Operator as O;
    Some(match op {
        O::Unreachable | O::Nop | O::Block { .. } | O::Loop { .. } | O::Else | O::End => 1,
        O::If { .. } | O::Br { .. } | O::BrIf { .. } => 765,
        O::BrTable { targets } => 2_400 + BR_TABLE_ENTRY_INK * u64::from(targets.len()),
        O::Return => 1,
        O::Call { .. } => 3_800,
        O::CallIndirect { .. } => 13_610 + CALL_INDIRECT_ARG_INK * u64::from(call_indirect_params),
        O::Drop => 9,
        O::Select | O::TypedSelect { .. } => 1_250,
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
        O::I32Const { .. } | O::I64Const { .. } => 1,
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
        O::I32Popcnt => 2_650,
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
        O::I64Popcnt => 6_000,
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
        O::I32WrapI64
        | O::I64ExtendI32S
        | O::I64ExtendI32U
        | O::I32Extend8S
        | O::I32Extend16S
        | O::I64Extend8S
        | O::I64Extend16S
        | O::I64Extend32S => 100,
        O::MemoryCopy { .. } | O::MemoryFill { .. } => 950,
        // Floating point and saturating conversions are valid Stylus code but
        // unpriced in the reference: charge them like the dearest integer
        // arithmetic of their width (a documented deviation).
        O::F32Const { .. } | O::F64Const { .. } => 1,
        op if is_float(op) => 1_270,
        _ => return None,
    })
}

/// Whether `op` is a floating-point or float-conversion instruction.
fn is_float(op: &Operator<'_>) -> bool {
    let name = format!("{op:?}");
    name.starts_with("F32")
        || name.starts_with("F64")
        || name.contains("Trunc")
        || name.contains("Convert")
        || name.contains("Reinterpret")
        || name.contains("Demote")
        || name.contains("Promote")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gas_and_ink_convert_at_ten_thousand() {
        assert_eq!(ink_to_gas(19_999), 1);
        assert_eq!(gas_to_ink(3), 30_000);
        assert_eq!(gas_to_ink(u64::MAX), u64::MAX);
    }

    #[test]
    fn published_prices_are_used() {
        assert_eq!(opcode_ink(&Operator::I32Add, 0), Some(70));
        assert_eq!(
            opcode_ink(&Operator::Call { function_index: 0 }, 0),
            Some(3_800)
        );
        assert_eq!(
            opcode_ink(
                &Operator::CallIndirect {
                    type_index: 0,
                    table_index: 0
                },
                3
            ),
            Some(13_610 + 3 * 650)
        );
        assert_eq!(opcode_ink(&Operator::I64Popcnt, 0), Some(6_000));
        assert_eq!(opcode_ink(&Operator::MemoryGrow { mem: 0 }, 0), Some(8_050));
    }

    #[test]
    fn forbidden_operators_have_no_price() {
        assert_eq!(opcode_ink(&Operator::DataDrop { data_index: 0 }, 0), None);
        assert_eq!(opcode_ink(&Operator::TableSize { table: 0 }, 0), None);
    }
}
