//! Turning a `wasm32-unknown-unknown` build into a Stylus program that Nitro
//! accepts, and checking one that someone else built.
//!
//! - [`reencode`] prints the module to text and assembles it again. Rust ≥ 1.82
//!   encodes `call_indirect`'s table immediate in the reference-types form even
//!   with `-reference-types`; Nitro's MVP decoder rejects it. A text round trip
//!   writes the canonical MVP encoding (this is also what cargo-stylus does) and
//!   adds no DataCount section.
//! - [`validate`] applies the rules Stylus publishes for user programs: the
//!   allowed WebAssembly proposals, no start function, no DataCount section, no
//!   `memory.init`/`data.drop`/`table.*`, imports only from `vm_hooks`, the
//!   `user_entrypoint` and `memory` exports, and the page limit.
//! - [`compress`], [`to_stylus_code`] and [`from_stylus_code`] produce and read
//!   the deployed form `0xEFF000 ‖ dictionary 0x00 ‖ brotli(wasm)`.
//! - [`sources`] tells whether the programs in `target/stylus` were built
//!   from the sources in the tree (a fingerprint `cargo xtask wasm` writes
//!   and every reader checks).

use std::io::{Read, Write};

pub mod sources;

use wasmparser::{ExternalKind, Operator, Parser, Payload, TypeRef, Validator, WasmFeatures};

/// Largest deployable code (EIP-170), which bounds the compressed program.
pub const MAX_CODE_SIZE: usize = 24_576;
/// Largest uncompressed program Nitro accepts (128 KiB).
pub const MAX_WASM_SIZE: usize = 128 * 1024;
/// Largest number of 64 KiB pages a program may declare initially.
pub const MAX_INITIAL_PAGES: u64 = 128;
/// Most entries a table may start with: every call instantiates the
/// program's tables, unmetered, so their size is bounded at validation.
pub const MAX_TABLE_ELEMENTS: u64 = 10_000;
/// Prefix that marks deployed code as a Stylus program.
pub const STYLUS_PREFIX: [u8; 3] = [0xEF, 0xF0, 0x00];
/// Brotli dictionary byte for "no dictionary".
pub const DICTIONARY_EMPTY: u8 = 0x00;
/// Brotli quality used for deployment (the maximum).
pub const BROTLI_QUALITY: u32 = 11;
/// Brotli window (log2 bytes) used for deployment.
pub const BROTLI_WINDOW: u32 = 22;
/// The only import module a program may use.
pub const HOST_MODULE: &str = "vm_hooks";
/// The export Nitro calls with the calldata length.
pub const ENTRYPOINT: &str = "user_entrypoint";

/// Why a module cannot be a Stylus program.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WasmError {
    /// The bytes are not a valid module under the allowed proposals.
    #[error("invalid wasm: {0}")]
    Invalid(String),
    /// The module uses something Stylus forbids.
    #[error("forbidden in a Stylus program: {0}")]
    Forbidden(String),
    /// A required export is missing or has the wrong kind.
    #[error("missing export: {0}")]
    MissingExport(&'static str),
    /// The uncompressed module is larger than [`MAX_WASM_SIZE`].
    #[error("program is {size} bytes uncompressed, above the {limit}-byte limit")]
    TooLarge {
        /// Size found.
        size: usize,
        /// Limit applied.
        limit: usize,
    },
    /// The deployed code does not start with `0xEFF000`.
    #[error("code is not a Stylus program (no 0xEFF000 prefix)")]
    NotStylus,
    /// The dictionary byte names a dictionary we do not know.
    #[error("unknown brotli dictionary {0:#04x}")]
    UnknownDictionary(u8),
    /// The brotli stream is corrupt.
    #[error("brotli stream is corrupt: {0}")]
    Decompress(String),
    /// Text round trip failed.
    #[error("re-encoding failed: {0}")]
    Reencode(String),
}

/// What validation learned about a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleInfo {
    /// `vm_hooks` functions the program imports, in import order.
    pub imports: Vec<String>,
    /// Functions defined in the module (imports excluded).
    pub functions: u32,
    /// Initial memory size in 64 KiB pages.
    pub initial_pages: u64,
    /// Declared maximum memory, if any.
    pub max_pages: Option<u64>,
}

/// The WebAssembly proposals a Stylus program may use: the MVP (floats
/// included) plus mutable globals, sign extension, saturating float-to-int,
/// multi-value and the `memory.copy`/`memory.fill` part of bulk memory.
pub fn stylus_features() -> WasmFeatures {
    WasmFeatures::MUTABLE_GLOBAL
        | WasmFeatures::SATURATING_FLOAT_TO_INT
        | WasmFeatures::SIGN_EXTENSION
        | WasmFeatures::MULTI_VALUE
        | WasmFeatures::BULK_MEMORY
        | WasmFeatures::FLOATS
}

/// Rewrites `wasm` in canonical MVP encoding by a text round trip, dropping
/// every custom section (names, producers, target features): Nitro ignores
/// them and they cost deployment bytes.
pub fn reencode(wasm: &[u8]) -> Result<Vec<u8>, WasmError> {
    let stripped = strip_custom_sections(wasm)?;
    let text =
        wasmprinter::print_bytes(stripped).map_err(|e| WasmError::Reencode(e.to_string()))?;
    wat::parse_str(text).map_err(|e| WasmError::Reencode(e.to_string()))
}

/// Copies `wasm` without its custom sections.
pub fn strip_custom_sections(wasm: &[u8]) -> Result<Vec<u8>, WasmError> {
    let mut out = Vec::with_capacity(wasm.len());
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| WasmError::Invalid(e.to_string()))?;
        match payload {
            Payload::Version { range, .. } => out.extend_from_slice(&wasm[to_usize(range)]),
            // Code entries are copied with the code section as a whole.
            Payload::CustomSection(_) | Payload::End(_) | Payload::CodeSectionEntry(_) => {}
            other => {
                if let Some((id, range)) = other.as_section() {
                    let range = to_usize(range);
                    out.push(id);
                    let mut len = u32::try_from(range.len())
                        .map_err(|_| WasmError::Invalid("section over 4 GiB".into()))?;
                    loop {
                        let byte = (len & 0x7f) as u8;
                        len >>= 7;
                        if len == 0 {
                            out.push(byte);
                            break;
                        }
                        out.push(byte | 0x80);
                    }
                    out.extend_from_slice(&wasm[range]);
                }
            }
        }
    }
    Ok(out)
}

/// A parser range as slice indices (wasm32 and 64-bit hosts alike fit).
fn to_usize(range: std::ops::Range<u64>) -> std::ops::Range<usize> {
    let cast = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    cast(range.start)..cast(range.end)
}

/// Checks that `wasm` is a program Stylus would activate.
pub fn validate(wasm: &[u8]) -> Result<ModuleInfo, WasmError> {
    if wasm.len() > MAX_WASM_SIZE {
        return Err(WasmError::TooLarge {
            size: wasm.len(),
            limit: MAX_WASM_SIZE,
        });
    }
    let mut validator = Validator::new_with_features(stylus_features());
    validator
        .validate_all(wasm)
        .map_err(|e| WasmError::Invalid(e.to_string()))?;

    let mut info = ModuleInfo {
        imports: Vec::new(),
        functions: 0,
        initial_pages: 0,
        max_pages: None,
    };
    let (mut has_entrypoint, mut has_memory) = (false, false);
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| WasmError::Invalid(e.to_string()))?;
        match payload {
            Payload::DataCountSection { .. } => {
                return Err(WasmError::Forbidden("DataCount section".into()));
            }
            Payload::StartSection { .. } => {
                return Err(WasmError::Forbidden("start function".into()));
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.map_err(|e| WasmError::Invalid(e.to_string()))?;
                    if import.module != HOST_MODULE {
                        return Err(WasmError::Forbidden(format!(
                            "import from module `{}`",
                            import.module
                        )));
                    }
                    if !matches!(import.ty, TypeRef::Func(_)) {
                        return Err(WasmError::Forbidden(format!(
                            "non-function import `{}`",
                            import.name
                        )));
                    }
                    info.imports.push(import.name.to_string());
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    let table = table.map_err(|e| WasmError::Invalid(e.to_string()))?;
                    if table.ty.initial > MAX_TABLE_ELEMENTS {
                        return Err(WasmError::Forbidden(format!(
                            "a table of {} entries (limit {MAX_TABLE_ELEMENTS})",
                            table.ty.initial
                        )));
                    }
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    let memory = memory.map_err(|e| WasmError::Invalid(e.to_string()))?;
                    if memory.initial > MAX_INITIAL_PAGES {
                        return Err(WasmError::Forbidden(format!(
                            "{} initial memory pages (limit {MAX_INITIAL_PAGES})",
                            memory.initial
                        )));
                    }
                    info.initial_pages = memory.initial;
                    info.max_pages = memory.maximum;
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(|e| WasmError::Invalid(e.to_string()))?;
                    match (export.name, export.kind) {
                        (ENTRYPOINT, ExternalKind::Func) => has_entrypoint = true,
                        ("memory", ExternalKind::Memory) => has_memory = true,
                        _ => {}
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                info.functions = info.functions.saturating_add(1);
                let mut ops = body
                    .get_operators_reader()
                    .map_err(|e| WasmError::Invalid(e.to_string()))?;
                while !ops.eof() {
                    let op = ops.read().map_err(|e| WasmError::Invalid(e.to_string()))?;
                    if let Some(name) = forbidden_operator(&op) {
                        return Err(WasmError::Forbidden(format!("instruction {name}")));
                    }
                }
            }
            _ => {}
        }
    }
    if !has_entrypoint {
        return Err(WasmError::MissingExport(ENTRYPOINT));
    }
    if !has_memory {
        return Err(WasmError::MissingExport("memory"));
    }
    Ok(info)
}

/// Names an instruction that bulk memory allows but Stylus does not.
fn forbidden_operator(op: &Operator<'_>) -> Option<&'static str> {
    Some(match op {
        Operator::MemoryInit { .. } => "memory.init",
        Operator::DataDrop { .. } => "data.drop",
        Operator::TableInit { .. } => "table.init",
        Operator::ElemDrop { .. } => "elem.drop",
        Operator::TableCopy { .. } => "table.copy",
        Operator::TableGrow { .. } => "table.grow",
        Operator::TableSize { .. } => "table.size",
        Operator::TableFill { .. } => "table.fill",
        Operator::TableGet { .. } => "table.get",
        Operator::TableSet { .. } => "table.set",
        _ => return None,
    })
}

/// Brotli-compresses `wasm` with the deployment settings.
pub fn compress(wasm: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(wasm.len() / 3);
    {
        let mut writer =
            brotli::CompressorWriter::new(&mut out, 4096, BROTLI_QUALITY, BROTLI_WINDOW);
        // Writing into a Vec cannot fail.
        writer.write_all(wasm).expect("in-memory brotli write");
    }
    out
}

/// The code to deploy for `wasm`: `0xEFF000 ‖ 0x00 ‖ brotli(wasm)`.
pub fn to_stylus_code(wasm: &[u8]) -> Vec<u8> {
    let compressed = compress(wasm);
    let mut code = Vec::with_capacity(compressed.len().saturating_add(4));
    code.extend_from_slice(&STYLUS_PREFIX);
    code.push(DICTIONARY_EMPTY);
    code.extend_from_slice(&compressed);
    code
}

/// Whether deployed `code` carries the Stylus prefix.
pub fn is_stylus_code(code: &[u8]) -> bool {
    code.starts_with(&STYLUS_PREFIX)
}

/// Recovers the wasm from deployed code, reading at most [`MAX_WASM_SIZE`]
/// bytes so a compression bomb cannot exhaust memory.
pub fn from_stylus_code(code: &[u8]) -> Result<Vec<u8>, WasmError> {
    if !is_stylus_code(code) {
        return Err(WasmError::NotStylus);
    }
    match code.get(3) {
        Some(&DICTIONARY_EMPTY) => {}
        Some(&other) => return Err(WasmError::UnknownDictionary(other)),
        None => return Err(WasmError::Decompress("missing dictionary byte".into())),
    }
    let limit = u64::try_from(MAX_WASM_SIZE)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut wasm = Vec::new();
    brotli::Decompressor::new(&code[4..], 4096)
        .take(limit)
        .read_to_end(&mut wasm)
        .map_err(|e| WasmError::Decompress(e.to_string()))?;
    if wasm.len() > MAX_WASM_SIZE {
        return Err(WasmError::TooLarge {
            size: wasm.len(),
            limit: MAX_WASM_SIZE,
        });
    }
    Ok(wasm)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(body: &str) -> Vec<u8> {
        wat::parse_str(format!(
            r#"(module
                (import "vm_hooks" "read_args" (func (param i32)))
                (memory (export "memory") 1)
                (func (export "user_entrypoint") (param i32) (result i32) i32.const 0)
                {body})"#
        ))
        .unwrap()
    }

    #[test]
    fn validate_accepts_minimal_program() {
        let info = validate(&module("")).unwrap();
        assert_eq!(info.imports, vec!["read_args".to_string()]);
        assert_eq!(info.functions, 1);
        assert_eq!(info.initial_pages, 1);
    }

    #[test]
    fn validate_rejects_foreign_import_module() {
        let wasm = wat::parse_str(
            r#"(module (import "env" "f" (func)) (memory (export "memory") 1)
               (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
        )
        .unwrap();
        assert!(matches!(validate(&wasm), Err(WasmError::Forbidden(m)) if m.contains("env")));
    }

    #[test]
    fn validate_rejects_start_function() {
        let wasm = module("(func $s) (start $s)");
        assert_eq!(
            validate(&wasm),
            Err(WasmError::Forbidden("start function".into()))
        );
    }

    #[test]
    fn validate_rejects_memory_init_and_data_drop() {
        let wasm = module(
            r#"(data $d "x") (func i32.const 0 i32.const 0 i32.const 1 memory.init $d data.drop $d)"#,
        );
        // wat emits a DataCount section for memory.init: either rule rejects it.
        assert!(matches!(validate(&wasm), Err(WasmError::Forbidden(_))));
    }

    #[test]
    fn validate_rejects_simd() {
        let wasm = module("(func (drop (v128.const i64x2 0 0)))");
        assert!(matches!(validate(&wasm), Err(WasmError::Invalid(_))));
    }

    #[test]
    fn validate_rejects_missing_entrypoint() {
        let wasm = wat::parse_str(r#"(module (memory (export "memory") 1))"#).unwrap();
        assert_eq!(validate(&wasm), Err(WasmError::MissingExport(ENTRYPOINT)));
    }

    #[test]
    fn validate_rejects_too_many_pages() {
        let wasm = wat::parse_str(
            r#"(module (memory (export "memory") 129)
               (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
        )
        .unwrap();
        assert!(matches!(validate(&wasm), Err(WasmError::Forbidden(m)) if m.contains("129")));
    }

    #[test]
    fn stylus_code_round_trips() {
        let wasm = module("");
        let code = to_stylus_code(&wasm);
        assert_eq!(&code[..4], &[0xEF, 0xF0, 0x00, 0x00]);
        assert_eq!(from_stylus_code(&code).unwrap(), wasm);
    }

    #[test]
    fn from_stylus_code_rejects_bad_input() {
        assert_eq!(from_stylus_code(&[0x60, 0x00]), Err(WasmError::NotStylus));
        assert_eq!(
            from_stylus_code(&[0xEF, 0xF0, 0x00, 0x07]),
            Err(WasmError::UnknownDictionary(7))
        );
        assert!(matches!(
            from_stylus_code(&[0xEF, 0xF0, 0x00, 0x00, 0xFF, 0xFF, 0xFF]),
            Err(WasmError::Decompress(_))
        ));
    }

    #[test]
    fn from_stylus_code_stops_compression_bombs() {
        let bomb = to_stylus_code(&vec![0u8; MAX_WASM_SIZE + 10]);
        assert!(matches!(
            from_stylus_code(&bomb),
            Err(WasmError::TooLarge { .. })
        ));
    }

    #[test]
    fn reencode_preserves_validity() {
        let wasm = module("(func (param i32) (result i32) local.get 0)");
        let again = reencode(&wasm).unwrap();
        assert!(validate(&again).is_ok());
    }
}
