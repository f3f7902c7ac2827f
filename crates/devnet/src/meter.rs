//! Ink metering by instrumentation, independent of the engine that runs the
//! program.
//!
//! At activation every function body is cut into straight-line segments that
//! end at a control instruction (`block`, `loop`, `if`, `else`, `end`, `br*`,
//! `return`, `call*`, `unreachable`). Each segment is preceded by a charge of
//! the sum of its instructions' published ink prices:
//!
//! ```text
//! global.get $ink  i64.const COST  i64.lt_u
//! if  i32.const 1  global.set $status  unreachable  end
//! global.get $ink  i64.const COST  i64.sub  global.set $ink
//! ```
//!
//! `memory.copy` and `memory.fill` also pay per byte, charged right before
//! them from the length operand. `memory.grow` first calls the program's
//! `vm_hooks.pay_for_memory_grow` import with the page count, so the host
//! prices new pages. The two globals are exported as [`INK_EXPORT`] and
//! [`STATUS_EXPORT`] for the host, which sets the budget before a call, reads
//! what is left after it, and charges host I/Os through the same global.

use wasm_encoder::{
    reencode::{self, Reencode, RoundtripReencoder},
    BlockType, ConstExpr, ExportKind, Function, GlobalType, Instruction, ValType,
};
use wasmparser::{FunctionBody, Operator, Parser, Payload, TypeRef};

use crate::pricing::{opcode_ink, MEMORY_BYTE_INK};

/// Export name of the `i64` global holding the ink left.
pub const INK_EXPORT: &str = "stylus_ink_left";
/// Export name of the `i32` global set to 1 when ink ran out.
pub const STATUS_EXPORT: &str = "stylus_ink_status";

/// Why a module could not be instrumented.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MeterError {
    /// The module does not parse.
    #[error("cannot parse program: {0}")]
    Parse(String),
    /// An operator has no published price (it should have failed validation).
    #[error("unpriced instruction {0}")]
    Unpriced(String),
    /// `memory.grow` without the `pay_for_memory_grow` import.
    #[error("memory.grow used without importing vm_hooks.pay_for_memory_grow")]
    MissingPayForMemoryGrow,
    /// Re-encoding failed.
    #[error("cannot re-encode program: {0}")]
    Encode(String),
}

/// What the meter needs to know about the module before rewriting it.
#[derive(Debug, Default)]
struct Layout {
    /// Parameter counts of every type.
    type_params: Vec<u32>,
    /// Type index of every function (imports first).
    func_types: Vec<u32>,
    /// Number of imported functions.
    imported_funcs: u32,
    /// Index of the `pay_for_memory_grow` import, if imported.
    pay_for_memory_grow: Option<u32>,
    /// Number of globals defined by the module.
    globals: u32,
    /// Whether the module has a global section.
    has_global_section: bool,
    /// Whether the module has an export section.
    has_export_section: bool,
}

impl Layout {
    fn scan(wasm: &[u8]) -> Result<Self, MeterError> {
        let parse = |e: wasmparser::BinaryReaderError| MeterError::Parse(e.to_string());
        let mut layout = Layout::default();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.map_err(parse)? {
                Payload::TypeSection(reader) => {
                    for group in reader {
                        for ty in group.map_err(parse)?.into_types() {
                            let params = ty.unwrap_func().params().len();
                            layout
                                .type_params
                                .push(u32::try_from(params).unwrap_or(u32::MAX));
                        }
                    }
                }
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        let import = import.map_err(parse)?;
                        if let TypeRef::Func(ty) = import.ty {
                            if import.module == "vm_hooks" && import.name == "pay_for_memory_grow" {
                                layout.pay_for_memory_grow = Some(layout.imported_funcs);
                            }
                            layout.func_types.push(ty);
                            layout.imported_funcs = layout.imported_funcs.saturating_add(1);
                        }
                    }
                }
                Payload::FunctionSection(reader) => {
                    for ty in reader {
                        layout.func_types.push(ty.map_err(parse)?);
                    }
                }
                Payload::GlobalSection(reader) => {
                    layout.has_global_section = true;
                    layout.globals = reader.count();
                }
                Payload::ExportSection(_) => layout.has_export_section = true,
                _ => {}
            }
        }
        Ok(layout)
    }

    fn params_of_type(&self, ty: u32) -> u32 {
        self.type_params.get(ty as usize).copied().unwrap_or(0)
    }
}

/// The rewriting pass.
struct Meter {
    layout: Layout,
    /// Index of the next defined function being rewritten.
    next_func: u32,
}

impl Meter {
    fn ink_global(&self) -> u32 {
        self.layout.globals
    }

    fn status_global(&self) -> u32 {
        self.layout.globals.saturating_add(1)
    }

    fn globals(globals: &mut wasm_encoder::GlobalSection) {
        globals.global(
            GlobalType {
                val_type: ValType::I64,
                mutable: true,
                shared: false,
            },
            &ConstExpr::i64_const(0),
        );
        globals.global(
            GlobalType {
                val_type: ValType::I32,
                mutable: true,
                shared: false,
            },
            &ConstExpr::i32_const(0),
        );
    }

    fn exports(&self, exports: &mut wasm_encoder::ExportSection) {
        exports.export(INK_EXPORT, ExportKind::Global, self.ink_global());
        exports.export(STATUS_EXPORT, ExportKind::Global, self.status_global());
    }

    /// Emits a check-and-charge of `cost` ink (a constant).
    fn charge_const(&self, f: &mut Function, cost: u64) {
        if cost == 0 {
            return;
        }
        let cost = i64::try_from(cost).unwrap_or(i64::MAX);
        self.charge(f, &[Instruction::I64Const(cost)]);
    }

    /// Emits a check-and-charge of the ink computed by `amount` (which pushes an i64).
    fn charge(&self, f: &mut Function, amount: &[Instruction<'_>]) {
        let (ink, status) = (self.ink_global(), self.status_global());
        f.instruction(&Instruction::GlobalGet(ink));
        for i in amount {
            f.instruction(i);
        }
        f.instruction(&Instruction::I64LtU);
        f.instruction(&Instruction::If(BlockType::Empty));
        f.instruction(&Instruction::I32Const(1));
        f.instruction(&Instruction::GlobalSet(status));
        f.instruction(&Instruction::Unreachable);
        f.instruction(&Instruction::End);
        f.instruction(&Instruction::GlobalGet(ink));
        for i in amount {
            f.instruction(i);
        }
        f.instruction(&Instruction::I64Sub);
        f.instruction(&Instruction::GlobalSet(ink));
    }

    fn rewrite_body(&mut self, body: &FunctionBody<'_>) -> Result<Function, MeterError> {
        let parse = |e: wasmparser::BinaryReaderError| MeterError::Parse(e.to_string());
        let func_index = self.layout.imported_funcs.saturating_add(self.next_func);
        self.next_func = self.next_func.saturating_add(1);
        let params = self
            .layout
            .func_types
            .get(func_index as usize)
            .map_or(0, |ty| self.layout.params_of_type(*ty));

        // Locals: the original ones plus one i32 scratch local.
        let mut locals = Vec::new();
        let mut declared: u32 = 0;
        for pair in body.get_locals_reader().map_err(parse)? {
            let (count, ty) = pair.map_err(parse)?;
            declared = declared.saturating_add(count);
            let ty = RoundtripReencoder
                .val_type(ty)
                .map_err(|e| MeterError::Encode(e.to_string()))?;
            locals.push((count, ty));
        }
        locals.push((1, ValType::I32));
        let scratch = params.saturating_add(declared);
        let mut f = Function::new(locals);

        let mut ops = Vec::new();
        let mut reader = body.get_operators_reader().map_err(parse)?;
        while !reader.eof() {
            ops.push(reader.read().map_err(parse)?);
        }

        let mut start = 0;
        while start < ops.len() {
            let mut end = start;
            let mut cost: u64 = 0;
            loop {
                let op = &ops[end];
                let call_indirect_params = match op {
                    Operator::CallIndirect { type_index, .. } => {
                        self.layout.params_of_type(*type_index)
                    }
                    _ => 0,
                };
                let price = opcode_ink(op, call_indirect_params)
                    .ok_or_else(|| MeterError::Unpriced(format!("{op:?}")))?;
                cost = cost.saturating_add(price);
                end += 1;
                if ends_segment(op) || end == ops.len() {
                    break;
                }
            }
            self.charge_const(&mut f, cost);
            for op in &ops[start..end] {
                match op {
                    Operator::MemoryCopy { .. } | Operator::MemoryFill { .. } => {
                        f.instruction(&Instruction::LocalTee(scratch));
                        let per_byte = i64::try_from(MEMORY_BYTE_INK).unwrap_or(i64::MAX);
                        self.charge(
                            &mut f,
                            &[
                                Instruction::LocalGet(scratch),
                                Instruction::I64ExtendI32U,
                                Instruction::I64Const(per_byte),
                                Instruction::I64Mul,
                            ],
                        );
                    }
                    Operator::MemoryGrow { .. } => {
                        let pay = self
                            .layout
                            .pay_for_memory_grow
                            .ok_or(MeterError::MissingPayForMemoryGrow)?;
                        f.instruction(&Instruction::LocalTee(scratch));
                        f.instruction(&Instruction::Call(pay));
                        f.instruction(&Instruction::LocalGet(scratch));
                    }
                    _ => {}
                }
                let instruction = RoundtripReencoder
                    .instruction(op.clone())
                    .map_err(|e| MeterError::Encode(e.to_string()))?;
                f.instruction(&instruction);
            }
            start = end;
        }
        Ok(f)
    }
}

/// Whether control may leave the straight line after `op`.
fn ends_segment(op: &Operator<'_>) -> bool {
    matches!(
        op,
        Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::Else
            | Operator::End
            | Operator::Br { .. }
            | Operator::BrIf { .. }
            | Operator::BrTable { .. }
            | Operator::Return
            | Operator::Call { .. }
            | Operator::CallIndirect { .. }
            | Operator::Unreachable
    )
}

impl Reencode for Meter {
    type Error = MeterError;

    fn parse_global_section(
        &mut self,
        globals: &mut wasm_encoder::GlobalSection,
        section: wasmparser::GlobalSectionReader<'_>,
    ) -> Result<(), reencode::Error<Self::Error>> {
        reencode::utils::parse_global_section(self, globals, section)?;
        Self::globals(globals);
        Ok(())
    }

    fn parse_export_section(
        &mut self,
        exports: &mut wasm_encoder::ExportSection,
        section: wasmparser::ExportSectionReader<'_>,
    ) -> Result<(), reencode::Error<Self::Error>> {
        reencode::utils::parse_export_section(self, exports, section)?;
        self.exports(exports);
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        func: FunctionBody<'_>,
    ) -> Result<(), reencode::Error<Self::Error>> {
        match self.rewrite_body(&func) {
            Ok(f) => {
                code.function(&f);
                Ok(())
            }
            Err(e) => Err(reencode::Error::UserError(e)),
        }
    }

    fn intersperse_section_hook(
        &mut self,
        module: &mut wasm_encoder::Module,
        after: Option<wasm_encoder::SectionId>,
        before: Option<wasm_encoder::SectionId>,
    ) -> Result<(), reencode::Error<Self::Error>> {
        use wasm_encoder::SectionId as S;
        // Add the sections the module lacks, in their canonical places.
        // Custom sections are stripped first and DataCount/Tag are
        // rejected, so section ids are in increasing order here.
        let crosses = |id: S| {
            after.is_none_or(|a| (a as u8) < (id as u8))
                && before.is_none_or(|b| (b as u8) > (id as u8))
        };
        if !self.layout.has_global_section && crosses(S::Global) {
            self.layout.has_global_section = true;
            let mut globals = wasm_encoder::GlobalSection::new();
            Self::globals(&mut globals);
            module.section(&globals);
        }
        if !self.layout.has_export_section && crosses(S::Export) {
            self.layout.has_export_section = true;
            let mut exports = wasm_encoder::ExportSection::new();
            self.exports(&mut exports);
            module.section(&exports);
        }
        Ok(())
    }
}

/// Returns `wasm` with ink metering injected (see the module docs).
pub fn instrument(wasm: &[u8]) -> Result<Vec<u8>, MeterError> {
    let wasm = labelmint_wasm::strip_custom_sections(wasm)
        .map_err(|e| MeterError::Parse(e.to_string()))?;
    let layout = Layout::scan(&wasm)?;
    let mut meter = Meter {
        layout,
        next_func: 0,
    };
    let mut module = wasm_encoder::Module::new();
    meter
        .parse_core_module(&mut module, Parser::new(0), &wasm)
        .map_err(|e| match e {
            reencode::Error::UserError(e) => e,
            other => MeterError::Encode(other.to_string()),
        })?;
    Ok(module.finish())
}

#[cfg(test)]
mod tests {
    use wasmi::{Engine, Linker, Module, Store, Val};

    use super::*;

    /// Instantiates an instrumented module with `ink` and calls `run(arg)`.
    /// Returns (ink left, status, trapped).
    fn run(wat: &str, ink: u64, arg: i32) -> (u64, i32, bool) {
        let wasm = instrument(&wat::parse_str(wat).unwrap()).unwrap();
        let engine = Engine::default();
        let module = Module::new(&engine, &wasm[..]).unwrap();
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::<()>::new(&engine);
        linker
            .func_wrap("vm_hooks", "pay_for_memory_grow", |_: u32| {})
            .unwrap();
        let instance = linker.instantiate_and_start(&mut store, &module).unwrap();
        let ink_global = instance.get_global(&store, INK_EXPORT).unwrap();
        ink_global
            .set(&mut store, Val::I64(i64::try_from(ink).unwrap()))
            .unwrap();
        let func = instance.get_typed_func::<i32, i32>(&store, "run").unwrap();
        let trapped = func.call(&mut store, arg).is_err();
        let Val::I64(left) = ink_global.get(&store) else {
            unreachable!("ink is an i64")
        };
        let left = u64::try_from(left).unwrap();
        let status_global = instance.get_global(&store, STATUS_EXPORT).unwrap();
        let Val::I32(status) = status_global.get(&store) else {
            unreachable!("status is an i32")
        };
        (left, status, trapped)
    }

    const STRAIGHT: &str = r#"(module
        (import "vm_hooks" "pay_for_memory_grow" (func (param i32)))
        (memory (export "memory") 1)
        (func (export "run") (param i32) (result i32)
            local.get 0
            i32.const 5
            i32.add))"#;

    #[test]
    fn straight_line_code_pays_the_sum_of_its_prices() {
        let (left, status, trapped) = run(STRAIGHT, 1_000_000, 1);
        // local.get 75 + i32.const 1 + i32.add 70 + end 1
        assert_eq!(1_000_000 - left, 147);
        assert_eq!((status, trapped), (0, false));
    }

    const LOOP: &str = r#"(module
        (import "vm_hooks" "pay_for_memory_grow" (func (param i32)))
        (memory (export "memory") 1)
        (func (export "run") (param i32) (result i32)
            (loop $l
                local.get 0
                i32.const 1
                i32.sub
                local.tee 0
                br_if $l)
            local.get 0))"#;

    #[test]
    fn loops_pay_per_iteration() {
        let (one, _, _) = run(LOOP, 10_000_000, 1);
        let (ten, _, _) = run(LOOP, 10_000_000, 10);
        // One iteration: local.get 75, i32.const 1, i32.sub 70, local.tee 75, br_if 765.
        assert_eq!(one - ten, 9 * (75 + 1 + 70 + 75 + 765));
    }

    #[test]
    fn running_out_of_ink_traps_and_sets_status() {
        let (_, status, trapped) = run(LOOP, 5_000, 1_000);
        assert!(trapped);
        assert_eq!(status, 1);
    }

    #[test]
    fn memory_fill_pays_per_byte() {
        let wat = |len: u32| {
            format!(
                r#"(module
                (import "vm_hooks" "pay_for_memory_grow" (func (param i32)))
                (memory (export "memory") 1)
                (func (export "run") (param i32) (result i32)
                    i32.const 0 i32.const 7 i32.const {len} memory.fill
                    i32.const 0))"#
            )
        };
        let (a, _, _) = run(&wat(10), 1_000_000, 0);
        let (b, _, _) = run(&wat(1_010), 1_000_000, 0);
        assert_eq!(a - b, 1_000 * MEMORY_BYTE_INK);
    }

    #[test]
    fn memory_grow_calls_pay_for_memory_grow() {
        let wat = r#"(module
            (import "vm_hooks" "pay_for_memory_grow" (func $pay (param i32)))
            (memory (export "memory") 1)
            (func (export "run") (param i32) (result i32)
                local.get 0 memory.grow))"#;
        let wasm = instrument(&wat::parse_str(wat).unwrap()).unwrap();
        let text = wasmprinter::print_bytes(&wasm).unwrap();
        let grow = text.find("memory.grow").unwrap();
        assert!(text[..grow].rfind("call 0").is_some(), "{text}");
    }

    #[test]
    fn memory_grow_without_the_import_is_rejected() {
        let wat = r#"(module (memory (export "memory") 1)
            (func (export "run") (param i32) (result i32) local.get 0 memory.grow))"#;
        assert_eq!(
            instrument(&wat::parse_str(wat).unwrap()),
            Err(MeterError::MissingPayForMemoryGrow)
        );
    }

    #[test]
    fn modules_without_globals_or_exports_get_them() {
        let wat = "(module (func))";
        let wasm = instrument(&wat::parse_str(wat).unwrap()).unwrap();
        let text = wasmprinter::print_bytes(&wasm).unwrap();
        assert!(
            text.contains(INK_EXPORT) && text.contains(STATUS_EXPORT),
            "{text}"
        );
        wasmparser::validate(&wasm).unwrap();
    }
}
