//! Instrumentation at activation, as Nitro's prover instruments a user
//! program (`programs/meter.rs`, `dynamic.rs`, `depth.rs`, `heap.rs`), applied
//! in Nitro's order to every function body:
//!
//! 1. **Ink meter**: the body is cut into basic blocks that end at `end`,
//!    `else`, `return`, `loop`, `br`, `br_if`, `br_table`, `if`, `call` and
//!    `call_indirect`. Before each block, a 12-instruction header charges the
//!    sum of the block's [`opcode_ink`] prices plus [`HEADER_INK`]:
//!    ```text
//!    global.get $ink  i64.const COST  i64.lt_u
//!    if  i32.const 1  global.set $status  unreachable  end
//!    global.get $ink  i64.const COST  i64.sub  global.set $ink
//!    ```
//! 2. **Dynamic meter**: `memory.fill` and `memory.copy` first pay
//!    [`MEMORY_FILL_BYTE_INK`]/[`MEMORY_COPY_BYTE_INK`] per byte (17
//!    instructions through a scratch global).
//! 3. **Depth checker**: each function's worst-case frame (values on the
//!    stack at once + locals + 4 words) is taken from the `$stack` global on
//!    entry and given back before every `return` (one is added before the
//!    final `end`); a call that does not fit traps with `$stack` = 0.
//! 4. **Heap bound**: unless the memory's maximum equals its minimum,
//!    `memory.grow` first calls `vm_hooks.pay_for_memory_grow` with the page
//!    count.
//!
//! The instrumentation's own instructions are not metered. The four globals
//! (`$ink`, `$status`, `$scratch`, `$stack`) are appended to the module's;
//! `$ink`, `$status` and `$stack` are exported ([`INK_EXPORT`],
//! [`STATUS_EXPORT`], [`STACK_EXPORT`]) for the host. The figures Nitro
//! prices activation and program entry with are returned as [`ModuleStats`].

use wasm_encoder::{
    reencode::{self, Reencode, RoundtripReencoder},
    ConstExpr, ExportKind, Function, GlobalType, ValType,
};
use wasmparser::{BlockType, FunctionBody, Operator, Parser, Payload, TypeRef};

use crate::pricing::{
    ends_basic_block, is_soft_float, opcode_ink, HEADER_INK, MEMORY_COPY_BYTE_INK,
    MEMORY_FILL_BYTE_INK,
};

/// Export name of the `i64` global holding the ink left.
pub const INK_EXPORT: &str = "stylus_ink_left";
/// Export name of the `i32` global set to 1 when ink ran out.
pub const STATUS_EXPORT: &str = "stylus_ink_status";
/// Export name of the `i32` global holding the stack budget left (0 after a
/// stack overflow).
pub const STACK_EXPORT: &str = "stylus_stack_left";
/// Globals the instrumentation adds.
pub const ADDED_GLOBALS: u64 = 4;

/// Largest frame of one function, in words (Stylus versions 1 and 2).
pub const MAX_FRAME_SIZE: u32 = 10 * 1024;
/// Most values on a function's stack at once.
pub const MAX_FRAME_CONTENTION: u32 = 4_096;

/// Why a module could not be instrumented (activation fails).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MeterError {
    /// The module does not parse.
    #[error("cannot parse program: {0}")]
    Parse(String),
    /// An instruction Nitro cannot compile for a user program.
    #[error("unsupported instruction {0}")]
    Unsupported(String),
    /// Floating-point arithmetic, comparison or conversion.
    #[error("no implementation for floating point operation {0}")]
    Float(String),
    /// Memory can grow but `vm_hooks.pay_for_memory_grow(i32)` is not imported.
    #[error("memory can grow but vm_hooks.pay_for_memory_grow(i32) is not imported")]
    MissingPayForMemoryGrow,
    /// One of Nitro's anti-DoS limits.
    #[error("{0}")]
    Limit(String),
    /// Re-encoding failed.
    #[error("cannot re-encode program: {0}")]
    Encode(String),
}

/// The figures Nitro derives its costs from (prover `binary.rs`,
/// `programs/mod.rs`), counted on the module as instrumented.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ModuleStats {
    /// Decompressed wasm bytes.
    pub wasm_len: u64,
    /// Functions defined by the module.
    pub funcs: u64,
    /// Globals, the four added by instrumentation included.
    pub globals: u64,
    /// Σ (params + results) over the types of the defined functions.
    pub type_len: u64,
    /// Bytes of the data segments' entries (headers included).
    pub data_entry_len: u64,
    /// Bytes of the data segments' payloads.
    pub data_bytes: u64,
    /// Bytes of the element segments' entries (headers included).
    pub elem_len: u64,
    /// Initial memory pages.
    pub footprint: u16,
    /// Operators of all function bodies after instrumentation.
    pub instrumented_ops: u64,
}

/// An instrumented module and its figures.
#[derive(Debug, Clone)]
pub struct Instrumented {
    /// The instrumented wasm.
    pub wasm: Vec<u8>,
    /// Its figures.
    pub stats: ModuleStats,
}

/// Parameter and result counts of a function type.
#[derive(Debug, Clone, Copy, Default)]
struct Sig {
    params: u32,
    results: u32,
}

/// What the passes need to know about the module before rewriting it.
#[derive(Debug, Default)]
struct Layout {
    types: Vec<Sig>,
    /// Type index of every function (imports first).
    func_types: Vec<u32>,
    imported_funcs: u32,
    pay_for_memory_grow: Option<(u32, bool)>,
    globals: u32,
    has_global_section: bool,
    has_export_section: bool,
    memory: Option<(u64, Option<u64>)>,
    stats: ModuleStats,
}

fn parse_err(e: wasmparser::BinaryReaderError) -> MeterError {
    MeterError::Parse(e.to_string())
}

fn limit(what: &str, count: u64, max: u64) -> Result<(), MeterError> {
    if count > max {
        return Err(MeterError::Limit(format!(
            "too many wasm {what}: {count} > {max}"
        )));
    }
    Ok(())
}

fn len64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

fn range_len(range: &std::ops::Range<u64>) -> u64 {
    range.end.saturating_sub(range.start)
}

impl Layout {
    #[allow(clippy::too_many_lines)]
    fn scan(wasm: &[u8]) -> Result<Self, MeterError> {
        let mut layout = Layout::default();
        let (mut datas, mut elements, mut exports, mut imports) = (0u64, 0u64, 0u64, 0u64);
        let mut table_entries = 0u64;
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.map_err(parse_err)? {
                Payload::TypeSection(reader) => {
                    for group in reader {
                        for ty in group.map_err(parse_err)?.into_types() {
                            let f = ty.unwrap_func();
                            layout.types.push(Sig {
                                params: u32::try_from(f.params().len()).unwrap_or(u32::MAX),
                                results: u32::try_from(f.results().len()).unwrap_or(u32::MAX),
                            });
                        }
                    }
                }
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        let import = import.map_err(parse_err)?;
                        imports += 1;
                        if import.name.starts_with("stylus") {
                            return Err(MeterError::Limit(format!(
                                "binary imports reserved symbol {}",
                                import.name
                            )));
                        }
                        if let TypeRef::Func(ty) = import.ty {
                            if import.module == "vm_hooks" && import.name == "pay_for_memory_grow" {
                                let sig = layout.types.get(ty as usize).copied();
                                let right = sig.is_some_and(|s| s.params == 1 && s.results == 0);
                                layout.pay_for_memory_grow = Some((layout.imported_funcs, right));
                            }
                            layout.func_types.push(ty);
                            layout.imported_funcs = layout.imported_funcs.saturating_add(1);
                        }
                    }
                }
                Payload::FunctionSection(reader) => {
                    for ty in reader {
                        let ty = ty.map_err(parse_err)?;
                        let sig = layout.types.get(ty as usize).copied().unwrap_or_default();
                        layout.stats.type_len += u64::from(sig.params) + u64::from(sig.results);
                        layout.stats.funcs += 1;
                        layout.func_types.push(ty);
                    }
                }
                Payload::TableSection(reader) => {
                    for table in reader {
                        table_entries += table.map_err(parse_err)?.ty.initial;
                    }
                }
                Payload::MemorySection(reader) => {
                    for memory in reader {
                        let memory = memory.map_err(parse_err)?;
                        if layout.memory.is_some() {
                            return Err(MeterError::Limit("too many wasm memories".into()));
                        }
                        layout.memory = Some((memory.initial, memory.maximum));
                    }
                }
                Payload::GlobalSection(reader) => {
                    layout.has_global_section = true;
                    layout.globals = reader.count();
                }
                Payload::ExportSection(reader) => {
                    layout.has_export_section = true;
                    for export in reader {
                        let export = export.map_err(parse_err)?;
                        exports += 1;
                        if export.name.len() > 512 {
                            return Err(MeterError::Limit(format!(
                                "wasm name too long: {} > 512",
                                export.name.len()
                            )));
                        }
                        let base = export.name.rsplit("__").next().unwrap_or(export.name);
                        if base.starts_with("stylus") {
                            return Err(MeterError::Limit(format!(
                                "binary exports reserved symbol {base}"
                            )));
                        }
                    }
                }
                Payload::ElementSection(reader) => {
                    for element in reader {
                        let element = element.map_err(parse_err)?;
                        elements += 1;
                        layout.stats.elem_len += range_len(&element.range);
                    }
                }
                Payload::DataSection(reader) => {
                    for data in reader {
                        let data = data.map_err(parse_err)?;
                        datas += 1;
                        layout.stats.data_entry_len += range_len(&data.range);
                        layout.stats.data_bytes += len64(data.data.len());
                    }
                }
                _ => {}
            }
        }
        limit("datas", datas, 128)?;
        limit("elements", elements, 128)?;
        limit("exports", exports, 1_024)?;
        limit("functions", layout.stats.funcs, 4_096)?;
        limit("imports", imports, 513)?;
        limit("table entries", table_entries, 4_096)?;
        limit("element entries", layout.stats.elem_len, 4_096)?;
        layout.stats.globals = u64::from(layout.globals) + ADDED_GLOBALS;
        limit("globals", layout.stats.globals, 32_768)?;
        layout.stats.wasm_len = len64(wasm.len());
        let (initial, _) = layout.memory.unwrap_or_default();
        layout.stats.footprint = u16::try_from(initial).unwrap_or(u16::MAX);
        Ok(layout)
    }

    fn sig(&self, type_index: u32) -> Sig {
        self.types
            .get(type_index as usize)
            .copied()
            .unwrap_or_default()
    }

    fn func_sig(&self, function_index: u32) -> Result<Sig, MeterError> {
        self.func_types
            .get(function_index as usize)
            .map(|ty| self.sig(*ty))
            .ok_or_else(|| MeterError::Parse(format!("missing type for func {function_index}")))
    }

    /// The import `memory.grow` must call first, if the memory can grow.
    fn pay_func(&self) -> Result<Option<u32>, MeterError> {
        let Some((initial, maximum)) = self.memory else {
            return Ok(None);
        };
        if maximum == Some(initial) {
            return Ok(None);
        }
        match self.pay_for_memory_grow {
            Some((index, true)) => Ok(Some(index)),
            Some((_, false)) => Err(MeterError::Limit(
                "wrong type for pay_for_memory_grow".into(),
            )),
            None => Err(MeterError::MissingPayForMemoryGrow),
        }
    }
}

/// Indices of the four added globals.
#[derive(Debug, Clone, Copy)]
struct Globals {
    ink: u32,
    status: u32,
    scratch: u32,
    stack: u32,
}

/// The rewriting pass.
struct Instrumenter {
    layout: Layout,
    globals: Globals,
    pay_func: Option<u32>,
    ops: u64,
}

impl Instrumenter {
    fn add_globals(globals: &mut wasm_encoder::GlobalSection) {
        let global = |val_type| GlobalType {
            val_type,
            mutable: true,
            shared: false,
        };
        globals.global(global(ValType::I64), &ConstExpr::i64_const(0));
        globals.global(global(ValType::I32), &ConstExpr::i32_const(0));
        globals.global(global(ValType::I32), &ConstExpr::i32_const(0));
        globals.global(global(ValType::I32), &ConstExpr::i32_const(0));
    }

    fn add_exports(&self, exports: &mut wasm_encoder::ExportSection) {
        exports.export(INK_EXPORT, ExportKind::Global, self.globals.ink);
        exports.export(STATUS_EXPORT, ExportKind::Global, self.globals.status);
        exports.export(STACK_EXPORT, ExportKind::Global, self.globals.stack);
    }

    /// Pass 1: a header charging each basic block before it runs.
    fn meter<'a>(&self, ops: Vec<Operator<'a>>) -> Vec<Operator<'a>> {
        let Globals { ink, status, .. } = self.globals;
        let mut out = Vec::with_capacity(ops.len() * 3);
        let mut block = Vec::new();
        let mut cost: u64 = 0;
        for op in ops {
            let end = ends_basic_block(&op);
            let params = match &op {
                Operator::CallIndirect { type_index, .. } => self.layout.sig(*type_index).params,
                _ => 0,
            };
            cost = cost.saturating_add(opcode_ink(&op, params));
            block.push(op);
            if end {
                #[allow(clippy::cast_possible_wrap)] // Nitro's `cost as i64`
                let value = cost.saturating_add(HEADER_INK) as i64;
                out.extend([
                    Operator::GlobalGet { global_index: ink },
                    Operator::I64Const { value },
                    Operator::I64LtU,
                    Operator::If {
                        blockty: BlockType::Empty,
                    },
                    Operator::I32Const { value: 1 },
                    Operator::GlobalSet {
                        global_index: status,
                    },
                    Operator::Unreachable,
                    Operator::End,
                    Operator::GlobalGet { global_index: ink },
                    Operator::I64Const { value },
                    Operator::I64Sub,
                    Operator::GlobalSet { global_index: ink },
                ]);
                out.append(&mut block);
                cost = 0;
            }
        }
        out.append(&mut block);
        out
    }

    /// Pass 2: `memory.fill`/`memory.copy` pay per byte.
    fn dynamic<'a>(&self, ops: Vec<Operator<'a>>) -> Vec<Operator<'a>> {
        let Globals {
            ink,
            status,
            scratch,
            ..
        } = self.globals;
        let mut out = Vec::with_capacity(ops.len());
        for op in ops {
            let coefficient = match op {
                Operator::MemoryFill { .. } => Some(MEMORY_FILL_BYTE_INK),
                Operator::MemoryCopy { .. } => Some(MEMORY_COPY_BYTE_INK),
                _ => None,
            };
            if let Some(coefficient) = coefficient {
                out.extend([
                    Operator::GlobalSet {
                        global_index: scratch,
                    },
                    Operator::GlobalGet { global_index: ink },
                    Operator::GlobalGet { global_index: ink },
                    Operator::GlobalGet {
                        global_index: scratch,
                    },
                    Operator::I64ExtendI32U,
                    Operator::I64Const {
                        value: i64::try_from(coefficient).unwrap_or(i64::MAX),
                    },
                    Operator::I64Mul,
                    Operator::I64Sub,
                    Operator::GlobalSet { global_index: ink },
                    Operator::GlobalGet { global_index: ink },
                    Operator::I64LtU,
                    Operator::If {
                        blockty: BlockType::Empty,
                    },
                    Operator::I32Const { value: 1 },
                    Operator::GlobalSet {
                        global_index: status,
                    },
                    Operator::Unreachable,
                    Operator::End,
                    Operator::GlobalGet {
                        global_index: scratch,
                    },
                ]);
            }
            out.push(op);
        }
        out
    }

    /// Pass 3: the function's frame is taken from the stack budget.
    fn depth<'a>(
        &self,
        ops: Vec<Operator<'a>>,
        locals: u32,
    ) -> Result<Vec<Operator<'a>>, MeterError> {
        let worst = self.worst_case_depth(&ops)?;
        if worst > MAX_FRAME_CONTENTION {
            return Err(MeterError::Limit(format!(
                "too many values on the stack at once: {worst} > {MAX_FRAME_CONTENTION}"
            )));
        }
        let size = worst.saturating_add(locals).saturating_add(4);
        if size > MAX_FRAME_SIZE {
            return Err(MeterError::Limit(format!(
                "frame too large: {size} > {MAX_FRAME_SIZE}-word limit"
            )));
        }
        let global_index = self.globals.stack;
        let value = i32::try_from(size).unwrap_or(i32::MAX);
        let mut out = Vec::with_capacity(ops.len() + 24);
        out.extend([
            Operator::GlobalGet { global_index },
            Operator::I32Const { value },
            Operator::I32LeU,
            Operator::If {
                blockty: BlockType::Empty,
            },
            Operator::I32Const { value: 0 },
            Operator::GlobalSet { global_index },
            Operator::Unreachable,
            Operator::End,
            Operator::GlobalGet { global_index },
            Operator::I32Const { value },
            Operator::I32Sub,
            Operator::GlobalSet { global_index },
        ]);
        let mut code = ops;
        let last = code.pop().unwrap_or(Operator::End);
        code.push(Operator::Return);
        code.push(last);
        for op in code {
            if matches!(op, Operator::Return) {
                out.extend([
                    Operator::GlobalGet { global_index },
                    Operator::I32Const { value },
                    Operator::I32Add,
                    Operator::GlobalSet { global_index },
                ]);
            }
            out.push(op);
        }
        Ok(out)
    }

    /// Nitro's static bound on the values a function holds at once.
    #[allow(clippy::too_many_lines)]
    fn worst_case_depth(&self, code: &[Operator<'_>]) -> Result<u32, MeterError> {
        use Operator as O;
        let (mut worst, mut stack) = (0u32, 0u32);
        let mut scopes = vec![0u32];
        let push = |stack: &mut u32, worst: &mut u32, n: u32| {
            *stack = stack.saturating_add(n);
            *worst = (*worst).max(*stack);
        };
        let pop = |stack: &mut u32, n: u32| *stack = stack.saturating_sub(n);
        for op in code {
            let block_type = |blockty: &BlockType, stack: &mut u32, worst: &mut u32| match blockty {
                BlockType::Empty => {}
                BlockType::Type(_) => push(stack, worst, 1),
                BlockType::FuncType(id) => {
                    let sig = self.layout.sig(*id);
                    push(stack, worst, sig.results);
                    pop(stack, sig.params);
                }
            };
            match op {
                O::Block { blockty } | O::Loop { blockty } => {
                    block_type(blockty, &mut stack, &mut worst);
                    scopes.push(stack);
                }
                O::If { blockty } => {
                    pop(&mut stack, 1);
                    block_type(blockty, &mut stack, &mut worst);
                    scopes.push(stack);
                }
                O::Else => {
                    stack = *scopes
                        .last()
                        .ok_or_else(|| MeterError::Parse("malformed if-else scope".into()))?;
                }
                O::End => {
                    stack = scopes
                        .pop()
                        .ok_or_else(|| MeterError::Parse("malformed scoping".into()))?;
                }
                O::Call { function_index } => {
                    let sig = self.layout.func_sig(*function_index)?;
                    push(&mut stack, &mut worst, sig.results);
                    pop(&mut stack, sig.params);
                }
                O::CallIndirect { type_index, .. } => {
                    let sig = self.layout.sig(*type_index);
                    push(&mut stack, &mut worst, sig.results);
                    pop(&mut stack, sig.params);
                    pop(&mut stack, 1);
                }
                O::MemoryFill { .. } | O::MemoryCopy { .. } => pop(&mut stack, 3),
                O::Nop
                | O::Unreachable
                | O::I32Eqz
                | O::I64Eqz
                | O::I32Clz
                | O::I32Ctz
                | O::I32Popcnt
                | O::I64Clz
                | O::I64Ctz
                | O::I64Popcnt
                | O::Br { .. }
                | O::Return
                | O::LocalTee { .. }
                | O::MemoryGrow { .. }
                | O::I32Load { .. }
                | O::I64Load { .. }
                | O::F32Load { .. }
                | O::F64Load { .. }
                | O::I32Load8S { .. }
                | O::I32Load8U { .. }
                | O::I32Load16S { .. }
                | O::I32Load16U { .. }
                | O::I64Load8S { .. }
                | O::I64Load8U { .. }
                | O::I64Load16S { .. }
                | O::I64Load16U { .. }
                | O::I64Load32S { .. }
                | O::I64Load32U { .. }
                | O::I32WrapI64
                | O::I64ExtendI32S
                | O::I64ExtendI32U
                | O::I32Extend8S
                | O::I32Extend16S
                | O::I64Extend8S
                | O::I64Extend16S
                | O::I64Extend32S
                | O::F32Abs
                | O::F32Neg
                | O::F32Ceil
                | O::F32Floor
                | O::F32Trunc
                | O::F32Nearest
                | O::F32Sqrt
                | O::F64Abs
                | O::F64Neg
                | O::F64Ceil
                | O::F64Floor
                | O::F64Trunc
                | O::F64Nearest
                | O::F64Sqrt
                | O::I32TruncF32S
                | O::I32TruncF32U
                | O::I32TruncF64S
                | O::I32TruncF64U
                | O::I64TruncF32S
                | O::I64TruncF32U
                | O::I64TruncF64S
                | O::I64TruncF64U
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
                | O::I32ReinterpretF32
                | O::I64ReinterpretF64
                | O::F32ReinterpretI32
                | O::F64ReinterpretI64
                | O::I32TruncSatF32S
                | O::I32TruncSatF32U
                | O::I32TruncSatF64S
                | O::I32TruncSatF64U
                | O::I64TruncSatF32S
                | O::I64TruncSatF32U
                | O::I64TruncSatF64S
                | O::I64TruncSatF64U => {}
                O::LocalGet { .. }
                | O::GlobalGet { .. }
                | O::MemorySize { .. }
                | O::I32Const { .. }
                | O::I64Const { .. }
                | O::F32Const { .. }
                | O::F64Const { .. } => push(&mut stack, &mut worst, 1),
                O::Drop
                | O::I32Eq
                | O::I32Ne
                | O::I32LtS
                | O::I32LtU
                | O::I32GtS
                | O::I32GtU
                | O::I32LeS
                | O::I32LeU
                | O::I32GeS
                | O::I32GeU
                | O::I64Eq
                | O::I64Ne
                | O::I64LtS
                | O::I64LtU
                | O::I64GtS
                | O::I64GtU
                | O::I64LeS
                | O::I64LeU
                | O::I64GeS
                | O::I64GeU
                | O::F32Eq
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
                | O::I32Add
                | O::I32Sub
                | O::I32Mul
                | O::I32DivS
                | O::I32DivU
                | O::I32RemS
                | O::I32RemU
                | O::I64Add
                | O::I64Sub
                | O::I64Mul
                | O::I64DivS
                | O::I64DivU
                | O::I64RemS
                | O::I64RemU
                | O::I32And
                | O::I32Or
                | O::I32Xor
                | O::I32Shl
                | O::I32ShrS
                | O::I32ShrU
                | O::I32Rotl
                | O::I32Rotr
                | O::I64And
                | O::I64Or
                | O::I64Xor
                | O::I64Shl
                | O::I64ShrS
                | O::I64ShrU
                | O::I64Rotl
                | O::I64Rotr
                | O::F32Add
                | O::F32Sub
                | O::F32Mul
                | O::F32Div
                | O::F32Min
                | O::F32Max
                | O::F32Copysign
                | O::F64Add
                | O::F64Sub
                | O::F64Mul
                | O::F64Div
                | O::F64Min
                | O::F64Max
                | O::F64Copysign
                | O::BrIf { .. }
                | O::BrTable { .. }
                | O::LocalSet { .. }
                | O::GlobalSet { .. } => pop(&mut stack, 1),
                O::Select
                | O::I32Store { .. }
                | O::I64Store { .. }
                | O::F32Store { .. }
                | O::F64Store { .. }
                | O::I32Store8 { .. }
                | O::I32Store16 { .. }
                | O::I64Store8 { .. }
                | O::I64Store16 { .. }
                | O::I64Store32 { .. } => pop(&mut stack, 2),
                other => return Err(MeterError::Unsupported(format!("{other:?}"))),
            }
        }
        Ok(worst)
    }

    /// Pass 4: `memory.grow` calls `pay_for_memory_grow` first.
    fn heap<'a>(&self, ops: Vec<Operator<'a>>) -> Vec<Operator<'a>> {
        let Some(function_index) = self.pay_func else {
            return ops;
        };
        let global_index = self.globals.scratch;
        let mut out = Vec::with_capacity(ops.len());
        for op in ops {
            if matches!(op, Operator::MemoryGrow { .. }) {
                out.extend([
                    Operator::GlobalSet { global_index },
                    Operator::GlobalGet { global_index },
                    Operator::GlobalGet { global_index },
                    Operator::Call { function_index },
                ]);
            }
            out.push(op);
        }
        out
    }

    fn rewrite_body(&mut self, body: &FunctionBody<'_>) -> Result<Function, MeterError> {
        let mut locals = Vec::new();
        let mut declared: u32 = 0;
        for pair in body.get_locals_reader().map_err(parse_err)? {
            let (count, ty) = pair.map_err(parse_err)?;
            declared = declared.saturating_add(count);
            let ty = RoundtripReencoder
                .val_type(ty)
                .map_err(|e| MeterError::Encode(e.to_string()))?;
            locals.push((count, ty));
        }
        limit("locals", u64::from(declared), 348)?;
        let mut ops = Vec::new();
        let mut reader = body.get_operators_reader().map_err(parse_err)?;
        while !reader.eof() {
            let op = reader.read().map_err(parse_err)?;
            if is_soft_float(&op) {
                return Err(MeterError::Float(format!("{op:?}")));
            }
            ops.push(op);
        }
        let ops = self.meter(ops);
        let ops = self.dynamic(ops);
        let ops = self.depth(ops, declared)?;
        let ops = self.heap(ops);
        limit("opcodes in func body", len64(ops.len()), 65_536)?;
        self.ops += len64(ops.len());
        let mut f = Function::new(locals);
        for op in ops {
            let instruction = RoundtripReencoder
                .instruction(op)
                .map_err(|e| MeterError::Encode(e.to_string()))?;
            f.instruction(&instruction);
        }
        Ok(f)
    }
}

impl Reencode for Instrumenter {
    type Error = MeterError;

    fn parse_global_section(
        &mut self,
        globals: &mut wasm_encoder::GlobalSection,
        section: wasmparser::GlobalSectionReader<'_>,
    ) -> Result<(), reencode::Error<Self::Error>> {
        reencode::utils::parse_global_section(self, globals, section)?;
        Self::add_globals(globals);
        Ok(())
    }

    fn parse_export_section(
        &mut self,
        exports: &mut wasm_encoder::ExportSection,
        section: wasmparser::ExportSectionReader<'_>,
    ) -> Result<(), reencode::Error<Self::Error>> {
        reencode::utils::parse_export_section(self, exports, section)?;
        self.add_exports(exports);
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
            Self::add_globals(&mut globals);
            module.section(&globals);
        }
        if !self.layout.has_export_section && crosses(S::Export) {
            self.layout.has_export_section = true;
            let mut exports = wasm_encoder::ExportSection::new();
            self.add_exports(&mut exports);
            module.section(&exports);
        }
        Ok(())
    }
}

/// Instruments `wasm` as Nitro does (see the module docs) and counts the
/// figures activation and entry are priced by.
pub fn instrument(wasm: &[u8]) -> Result<Instrumented, MeterError> {
    let mut layout = Layout::scan(wasm)?;
    let stripped = labelmint_wasm::strip_custom_sections(wasm)
        .map_err(|e| MeterError::Parse(e.to_string()))?;
    let base = layout.globals;
    let globals = Globals {
        ink: base,
        status: base + 1,
        scratch: base + 2,
        stack: base + 3,
    };
    let pay_func = layout.pay_func()?;
    // The figures are Nitro's: the wasm length is the deployed module's.
    layout.stats.wasm_len = len64(wasm.len());
    let mut pass = Instrumenter {
        layout,
        globals,
        pay_func,
        ops: 0,
    };
    let mut module = wasm_encoder::Module::new();
    pass.parse_core_module(&mut module, Parser::new(0), &stripped)
        .map_err(|e| match e {
            reencode::Error::UserError(e) => e,
            other => MeterError::Encode(other.to_string()),
        })?;
    let mut stats = pass.layout.stats;
    stats.instrumented_ops = pass.ops;
    Ok(Instrumented {
        wasm: module.finish(),
        stats,
    })
}

#[cfg(test)]
mod tests {
    use wasmi::{Engine, Linker, Module, Store, Val};

    use super::*;

    /// Instantiates an instrumented module with `ink` and a stack budget,
    /// and calls `run(arg)`. Returns (ink left, status, trapped, stack left).
    fn run_with(wat: &str, ink: u64, stack: u32, arg: i32) -> (u64, i32, bool, i32) {
        let wasm = instrument(&wat::parse_str(wat).unwrap()).unwrap().wasm;
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
        let stack_global = instance.get_global(&store, STACK_EXPORT).unwrap();
        stack_global
            .set(&mut store, Val::I32(i32::try_from(stack).unwrap()))
            .unwrap();
        let func = instance.get_typed_func::<i32, i32>(&store, "run").unwrap();
        let trapped = func.call(&mut store, arg).is_err();
        let Val::I64(left) = ink_global.get(&store) else {
            unreachable!("ink is an i64")
        };
        let Val::I32(status) = instance
            .get_global(&store, STATUS_EXPORT)
            .unwrap()
            .get(&store)
        else {
            unreachable!("status is an i32")
        };
        let Val::I32(stack_left) = stack_global.get(&store) else {
            unreachable!("stack is an i32")
        };
        (
            u64::try_from(left).unwrap_or(0),
            status,
            trapped,
            stack_left,
        )
    }

    fn run(wat: &str, ink: u64, arg: i32) -> (u64, i32, bool) {
        let (left, status, trapped, _) = run_with(wat, ink, 22_000, arg);
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
    fn a_basic_block_pays_its_prices_plus_the_header() {
        let (left, status, trapped) = run(STRAIGHT, 1_000_000, 1);
        // One block: local.get 75 + i32.const 1 + i32.add 70 + end 1, + header 2,450.
        assert_eq!(1_000_000 - left, 147 + 2_450);
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
    fn loops_pay_their_block_and_header_per_iteration() {
        let (one, _, _) = run(LOOP, 10_000_000, 1);
        let (ten, _, _) = run(LOOP, 10_000_000, 10);
        // One iteration: local.get 75, i32.const 1, i32.sub 70, local.tee 75, br_if 765, header 2,450.
        assert_eq!(one - ten, 9 * (75 + 1 + 70 + 75 + 765 + 2_450));
    }

    #[test]
    fn running_out_of_ink_traps_and_sets_status() {
        let (_, status, trapped) = run(LOOP, 5_000, 1_000);
        assert!(trapped);
        assert_eq!(status, 1);
    }

    #[test]
    fn memory_fill_pays_one_hundred_ink_per_byte() {
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
        assert_eq!(a - b, 1_000 * MEMORY_FILL_BYTE_INK);
    }

    #[test]
    fn memory_grow_calls_pay_for_memory_grow_unless_the_memory_is_fixed() {
        let grow = |memory: &str| {
            format!(
                r#"(module
                (import "vm_hooks" "pay_for_memory_grow" (func $pay (param i32)))
                (memory (export "memory") {memory})
                (func (export "run") (param i32) (result i32)
                    local.get 0 memory.grow))"#
            )
        };
        let wasm = instrument(&wat::parse_str(grow("1")).unwrap())
            .unwrap()
            .wasm;
        let text = wasmprinter::print_bytes(&wasm).unwrap();
        let at = text.find("memory.grow").unwrap();
        assert!(text[..at].trim_end().ends_with("call 0"), "{text}");
        let wasm = instrument(&wat::parse_str(grow("1 1")).unwrap())
            .unwrap()
            .wasm;
        let text = wasmprinter::print_bytes(&wasm).unwrap();
        assert!(!text.contains("call 0"), "{text}");
    }

    #[test]
    fn growable_memory_without_the_import_is_rejected() {
        let wat = r#"(module (memory (export "memory") 1)
            (func (export "run") (param i32) (result i32) local.get 0))"#;
        assert_eq!(
            instrument(&wat::parse_str(wat).unwrap()).unwrap_err(),
            MeterError::MissingPayForMemoryGrow
        );
    }

    #[test]
    fn float_arithmetic_is_refused_and_float_constants_are_unpayable() {
        let wat = r#"(module (memory (export "memory") 1 1)
            (func (export "run") (param i32) (result i32)
                f32.const 1 f32.const 2 f32.add drop i32.const 0))"#;
        assert!(matches!(
            instrument(&wat::parse_str(wat).unwrap()),
            Err(MeterError::Float(_))
        ));
        let wat = r#"(module (memory (export "memory") 1 1)
            (func (export "run") (param i32) (result i32)
                f32.const 1 drop i32.const 0))"#;
        let (_, status, trapped) = run(wat, 1_000_000, 0);
        assert_eq!((status, trapped), (1, true), "unpriced: out of ink");
    }

    #[test]
    fn deep_recursion_exhausts_the_stack_budget() {
        let wat = r#"(module (memory (export "memory") 1 1)
            (func $f (export "run") (param i32) (result i32)
                (if (result i32) (local.get 0)
                    (then (call $f (i32.sub (local.get 0) (i32.const 1))))
                    (else (i32.const 7)))))"#;
        // Frame: at most 4 values at once (the header before `else` runs with
        // the block result and the call's result on the stack) + 0 locals + 4 = 8 words.
        // A frame enters while more than 8 words are left: 8 frames fit in 70.
        let (_, _, trapped, left) = run_with(wat, u64::MAX >> 2, 70, 7);
        assert!(!trapped);
        assert_eq!(left, 70, "every frame is given back");
        let (_, status, trapped, left) = run_with(wat, u64::MAX >> 2, 70, 8);
        assert_eq!(
            (status, trapped, left),
            (0, true, 0),
            "the 9th frame does not fit"
        );
    }

    #[test]
    fn stats_count_what_nitro_prices() {
        let wat = r#"(module
            (type $t (func (param i32 i32) (result i32)))
            (memory (export "memory") 3 3)
            (global $g (mut i32) (i32.const 0))
            (data (i32.const 8) "abcd")
            (func (export "user_entrypoint") (param i32) (result i32) local.get 0)
            (func (type $t) local.get 0))"#;
        let wasm = wat::parse_str(wat).unwrap();
        let stats = instrument(&wasm).unwrap().stats;
        assert_eq!(stats.wasm_len, wasm.len() as u64);
        assert_eq!(stats.funcs, 2);
        assert_eq!(stats.globals, 1 + 4);
        assert_eq!(stats.type_len, 2 + 3);
        // flags 0x00, i32.const 8, end, length 4, "abcd" = 1 + 3 + 1 + 4 bytes
        assert_eq!(stats.data_entry_len, 9);
        assert_eq!(stats.data_bytes, 4);
        assert_eq!(stats.footprint, 3);
        // Each body `local.get 0; end`: header 12 + 2 ops, depth entry 12,
        // an added `return` with its 4-op reclaim: 12 + 2 + 12 + 5 = 31.
        assert_eq!(stats.instrumented_ops, 2 * 31);
    }
}
