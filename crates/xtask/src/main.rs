//! Build tasks of the labelmint workspace (`cargo xtask <task>`).
//!
//! - `wasm [--measure [PACKAGE…]]`: builds every contract for `wasm32-unknown-unknown`
//!   in release, re-encodes it for Nitro, validates it, brotli-compresses it,
//!   writes `target/stylus/<contract>.wasm` and prints the size table. Fails if
//!   a contract passes the 24,576-byte code or 128 KiB wasm limit; on success
//!   writes `target/stylus/SOURCES`, the fingerprint of the sources the
//!   programs were built from (`labelmint_wasm::sources`). `--measure`
//!   builds each contract (or only the packages named) at every opt-level
//!   and prints the comparison.
//! - `abi [--check]`: writes `abi/<Contract>.sol` and `abi/<Contract>.json`
//!   (functions, events, errors, constructor); `--check` fails if the
//!   committed files differ from what the code yields.
//! - `nightly [--cases N] [--minutes M]`: runs every stateful property test
//!   with `N` cases each (default 256) within `M` minutes (default 90); see
//!   [`nightly`].

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
    process::Command,
};

use alloy_json_abi::{Constructor, Function, JsonAbi};
use anyhow::{bail, ensure, Context, Result};
use labelmint_wasm::{sources, MAX_CODE_SIZE, MAX_WASM_SIZE};

mod nightly;

/// A contract crate of the workspace.
struct Contract {
    /// Cargo package name (also the name of its export-abi binary).
    package: &'static str,
    /// Library (wasm file) name.
    lib: &'static str,
    /// Name in `abi/` and in the size table.
    abi_name: &'static str,
    /// Whether it has an ABI of its own (the market's extension implements
    /// part of the market's, at the market's address).
    abi: bool,
}

/// Every contract, in deployment order.
const CONTRACTS: &[Contract] = &[
    Contract {
        package: "reward-token",
        lib: "reward_token",
        abi_name: "RewardToken",
        abi: true,
    },
    Contract {
        package: "annotation-market",
        lib: "annotation_market",
        abi_name: "AnnotationMarket",
        abi: true,
    },
    Contract {
        package: "annotation-market-ext",
        lib: "annotation_market_ext",
        abi_name: "AnnotationMarketExtension",
        abi: false,
    },
    Contract {
        package: "dataset-registry",
        lib: "dataset_registry",
        abi_name: "DatasetRegistry",
        abi: true,
    },
    Contract {
        package: "quality-hub",
        lib: "quality_hub",
        abi_name: "QualityHub",
        abi: true,
    },
    Contract {
        package: "quality-hub-ext",
        lib: "quality_hub_ext",
        abi_name: "QualityHubExtension",
        abi: false,
    },
    Contract {
        package: "quality-court",
        lib: "quality_court",
        abi_name: "QualityCourt",
        abi: true,
    },
    Contract {
        package: "quality-court-ext",
        lib: "quality_court_ext",
        abi_name: "QualityCourtExtension",
        abi: false,
    },
    Contract {
        package: "timelock",
        lib: "timelock",
        abi_name: "Timelock",
        abi: true,
    },
];

/// Opt-levels compared by `wasm --measure`.
const OPT_LEVELS: &[&str] = &["s", "z", "2", "3"];

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flags: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    match args.first().map(String::as_str) {
        Some("wasm") if flags.is_empty() => wasm(),
        Some("wasm") if flags.first() == Some(&"--measure") => measure(&flags[1..]),
        Some("abi") if flags.is_empty() => abi(false),
        Some("abi") if flags == ["--check"] => abi(true),
        Some("nightly") => nightly::run(
            &root(),
            &target_dir().join("stylus"),
            &nightly::parse(&flags)?,
        ),
        _ => bail!(
            "usage: cargo xtask wasm [--measure [PACKAGE...]] | cargo xtask abi [--check] | cargo xtask nightly [--cases N] [--minutes M]"
        ),
    }
}

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("xtask lives two levels below the root")
        .to_path_buf()
}

/// The cargo target directory.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

/// The Rust target the contracts compile to.
const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Whether `rustc` has the standard library for [`WASM_TARGET`].
fn has_wasm_std(rustc: &str) -> bool {
    let Ok(out) = Command::new(rustc)
        .current_dir(root())
        .args(["--print", "target-libdir", "--target", WASM_TARGET])
        .output()
    else {
        return false;
    };
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    out.status.success()
        && std::fs::read_dir(dir).is_ok_and(|entries| {
            entries.flatten().any(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.starts_with("libcore-") && name.ends_with(".rlib")
            })
        })
}

/// Makes sure the toolchain of `rust-toolchain.toml` can build for
/// [`WASM_TARGET`]: a fresh rustup toolchain has no wasm32 standard library,
/// so it is added with `rustup` (`rustup` and `rustc` are the programs to
/// run). Fails with the command to run when that is impossible.
fn ensure_wasm_target(rustc: &str, rustup: &str) -> Result<()> {
    if has_wasm_std(rustc) {
        return Ok(());
    }
    eprintln!("the Rust target {WASM_TARGET} is missing: adding it with `rustup target add {WASM_TARGET}`");
    let added = Command::new(rustup)
        .current_dir(root())
        .args(["target", "add", WASM_TARGET])
        .status()
        .is_ok_and(|s| s.success());
    ensure!(
        added && has_wasm_std(rustc),
        "the Rust target {WASM_TARGET} is missing and could not be added: run `rustup target add {WASM_TARGET}` in {}",
        root().display()
    );
    Ok(())
}

/// [`ensure_wasm_target`] with the `rustc` and `rustup` on the path (or
/// named by `RUSTC` / `RUSTUP`).
fn ensure_wasm_target_here() -> Result<()> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let rustup = std::env::var("RUSTUP").unwrap_or_else(|_| "rustup".into());
    ensure_wasm_target(&rustc, &rustup)
}

/// Builds one contract to wasm32 release and returns the raw wasm.
fn build(contract: &Contract, opt_level: Option<&str>, target: &Path) -> Result<Vec<u8>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root())
        .args([
            "build",
            "--lib",
            "--release",
            "--locked",
            "--target",
            WASM_TARGET,
        ])
        .args(["-p", contract.package])
        .arg("--target-dir")
        .arg(target);
    if let Some(level) = opt_level {
        let value = if level.parse::<u8>().is_ok() {
            level.to_string()
        } else {
            format!("\"{level}\"")
        };
        cmd.arg("--config").arg(format!(
            "profile.release.package.{}.opt-level={value}",
            contract.package
        ));
    }
    let status = cmd.status().context("running cargo build")?;
    ensure!(
        status.success(),
        "cargo build of {} failed",
        contract.package
    );
    let path = target
        .join("wasm32-unknown-unknown/release")
        .join(format!("{}.wasm", contract.lib));
    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
}

/// Sizes of one processed contract.
struct Sizes {
    /// As rustc wrote it.
    raw: usize,
    /// After the Nitro re-encoding.
    processed: usize,
    /// Deployed code: prefix, dictionary byte and brotli stream.
    code: usize,
}

/// Re-encodes, validates and compresses; returns the processed wasm.
fn process(raw: &[u8]) -> Result<(Vec<u8>, Sizes)> {
    let processed = labelmint_wasm::reencode(raw)?;
    labelmint_wasm::validate(&processed)?;
    let code = labelmint_wasm::to_stylus_code(&processed);
    let sizes = Sizes {
        raw: raw.len(),
        processed: processed.len(),
        code: code.len(),
    };
    Ok((processed, sizes))
}

/// Percentage of `limit` used by `size`, for the table.
fn percent(size: usize, limit: usize) -> String {
    #[allow(clippy::cast_precision_loss)]
    let pct = size as f64 * 100.0 / limit as f64;
    format!("{pct:.1}%")
}

/// `cargo xtask wasm`.
fn wasm() -> Result<()> {
    ensure_wasm_target_here()?;
    let out_dir = target_dir().join("stylus");
    std::fs::create_dir_all(&out_dir)?;
    // What the programs are built from, taken before the build: a source
    // edited during the build leaves them stale. Until every program is
    // written and passes the gate there is no stamp, so a reader never takes
    // a half-replaced set as current.
    let fingerprint = sources::fingerprint(&root()).context("fingerprinting the sources")?;
    sources::remove_stamp(&out_dir)?;
    let mut table = String::new();
    writeln!(
        table,
        "| contract | raw wasm | processed wasm | deployed code (brotli) | of 24,576 B | of 128 KiB |"
    )?;
    writeln!(table, "|---|---:|---:|---:|---:|---:|")?;
    let mut failures = Vec::new();
    for contract in CONTRACTS {
        let raw = build(contract, None, &target_dir())?;
        let (processed, s) = process(&raw)?;
        sources::write_atomically(&out_dir.join(format!("{}.wasm", contract.lib)), &processed)?;
        writeln!(
            table,
            "| {} | {} | {} | {} | {} | {} |",
            contract.abi_name,
            s.raw,
            s.processed,
            s.code,
            percent(s.code, MAX_CODE_SIZE),
            percent(s.processed, MAX_WASM_SIZE)
        )?;
        if s.code > MAX_CODE_SIZE {
            failures.push(format!(
                "{}: code {} B > {MAX_CODE_SIZE} B",
                contract.abi_name, s.code
            ));
        }
        if s.processed > MAX_WASM_SIZE {
            failures.push(format!(
                "{}: wasm {} B > {MAX_WASM_SIZE} B",
                contract.abi_name, s.processed
            ));
        }
    }
    println!("{table}");
    println!("processed programs written to {}", out_dir.display());
    ensure!(
        failures.is_empty(),
        "size gate failed: {}",
        failures.join("; ")
    );
    sources::write_stamp(&out_dir, &fingerprint)?;
    Ok(())
}

/// `cargo xtask wasm --measure [PACKAGE…]`: every contract, or those named.
fn measure(only: &[&str]) -> Result<()> {
    ensure_wasm_target_here()?;
    for name in only {
        ensure!(
            CONTRACTS.iter().any(|c| c.package == *name),
            "no contract package {name}"
        );
    }
    let mut table = String::from(
        "| contract | opt-level | processed wasm | deployed code |\n|---|---|---:|---:|\n",
    );
    for contract in CONTRACTS
        .iter()
        .filter(|c| only.is_empty() || only.contains(&c.package))
    {
        for level in OPT_LEVELS {
            let target = target_dir().join(format!("measure-{level}"));
            let raw = build(contract, Some(level), &target)?;
            let (_, s) = process(&raw)?;
            writeln!(
                table,
                "| {} | {level} | {} | {} |",
                contract.abi_name, s.processed, s.code
            )?;
        }
    }
    println!("{table}");
    Ok(())
}

/// What a contract's export-abi binary reports with `--labelmint-abi`:
/// functions as `cargo stylus export-abi` prints them, the constructor
/// signature, and the JSON ABI of its events and errors. Each contract defines
/// `user_entrypoint`, so they cannot be linked into one binary; each runs as
/// its own process.
#[derive(serde::Deserialize)]
struct AbiPieces {
    functions: String,
    constructor: String,
    events_and_errors: JsonAbi,
}

fn abi_pieces(contract: &Contract) -> Result<AbiPieces> {
    let output = Command::new(env!("CARGO"))
        .current_dir(root())
        .args(["run", "--quiet", "--locked", "-p", contract.package])
        .args(["--features", "export-abi", "--bin", contract.package])
        .args(["--", "--labelmint-abi"])
        .output()
        .with_context(|| format!("running the export-abi binary of {}", contract.package))?;
    ensure!(
        output.status.success(),
        "export-abi of {} failed:\n{}",
        contract.package,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout)
        .with_context(|| format!("parsing the ABI pieces of {}", contract.package))
}

/// The complete JSON ABI of a contract.
fn json_abi(contract: &Contract) -> Result<JsonAbi> {
    let pieces = abi_pieces(contract)?;
    let mut abi = pieces.events_and_errors;
    for line in pieces.functions.lines() {
        let line = line.trim();
        if let Some(decl) = line.strip_prefix("function ") {
            let function = Function::parse(decl.trim_end_matches(';'))
                .with_context(|| format!("parsing exported `{line}`"))?;
            abi.functions
                .entry(function.name.clone())
                .or_default()
                .push(function);
        } else if let Some(decl) = line.strip_prefix("error ") {
            let name = decl.split('(').next().unwrap_or_default();
            ensure!(
                abi.errors.contains_key(name),
                "{} returns error {name}, which its sol! interface does not declare",
                contract.abi_name
            );
        }
    }
    let ctor = pieces.constructor.trim();
    if !ctor.is_empty() {
        abi.constructor =
            Some(Constructor::parse(ctor).with_context(|| format!("parsing `{ctor}`"))?);
    }
    Ok(abi)
}

/// Solidity source for `abi/<Contract>.sol`: the interface plus an abstract
/// empty contract that carries the constructor (interfaces cannot declare one).
fn solidity(contract: &Contract, abi: &JsonAbi) -> String {
    let mut interface = abi.clone();
    interface.constructor = None;
    let mut out = format!(
        "// SPDX-License-Identifier: MIT OR Apache-2.0\n\
         // Generated by `cargo xtask abi` from contracts/{}: do not edit.\n\
         pragma solidity ^0.8.23;\n\n",
        contract.package
    );
    out.push_str(&interface.to_sol(&format!("I{}", contract.abi_name), None));
    if let Some(ctor) = &abi.constructor {
        let params: Vec<String> = ctor
            .inputs
            .iter()
            .map(|p| {
                let location = if p.ty == "string" || p.ty == "bytes" || p.ty.ends_with(']') {
                    " memory"
                } else {
                    ""
                };
                format!("{}{location} {}", p.ty, p.name)
            })
            .collect();
        let _ = write!(
            out,
            "\n\n/// Constructor signature of the deployed {name} (Stylus runs it through the\n\
             /// StylusDeployer). Interfaces cannot declare constructors; this empty contract\n\
             /// carries it so that solc and ABI tools see it.\n\
             contract {name}Constructor {{\n    constructor({}) {{}}\n}}\n",
            params.join(", "),
            name = contract.abi_name
        );
    }
    out
}

/// `cargo xtask abi [--check]`.
fn abi(check: bool) -> Result<()> {
    let dir = root().join("abi");
    std::fs::create_dir_all(&dir)?;
    let mut stale = Vec::new();
    for contract in CONTRACTS.iter().filter(|c| c.abi) {
        let abi = json_abi(contract)?;
        let json = serde_json::to_string_pretty(&abi)? + "\n";
        let sol = solidity(contract, &abi);
        for (ext, content) in [("json", json), ("sol", sol)] {
            let path = dir.join(format!("{}.{ext}", contract.abi_name));
            if check {
                let committed = std::fs::read_to_string(&path).unwrap_or_default();
                if committed != content {
                    stale.push(path.display().to_string());
                }
            } else {
                std::fs::write(&path, content)?;
                println!("wrote {}", path.display());
            }
        }
    }
    ensure!(
        stale.is_empty(),
        "abi/ is out of date with the contracts (run `cargo xtask abi`): {}",
        stale.join(", ")
    );
    if check {
        println!("abi/ matches the contracts");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shell script at `dir/name` running `body`.
    fn script(dir: &Path, name: &str, body: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path.display().to_string()
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_missing_wasm_target_is_added_with_rustup() {
        let dir = scratch("add");
        let libdir = dir.join("lib");
        // rustc reports a library directory that holds libcore only once
        // rustup has run; rustup records its arguments and "installs" it.
        let rustc = script(&dir, "rustc", &format!("echo {}", libdir.display()));
        let rustup = script(
            &dir,
            "rustup",
            &format!(
                "echo \"$@\" > {log}; mkdir -p {lib}; touch {lib}/libcore-0123.rlib",
                log = dir.join("rustup.log").display(),
                lib = libdir.display()
            ),
        );
        ensure_wasm_target(&rustc, &rustup).unwrap();
        let called = std::fs::read_to_string(dir.join("rustup.log")).unwrap();
        assert_eq!(called.trim(), "target add wasm32-unknown-unknown");
        // Present now: rustup is not run again.
        std::fs::remove_file(dir.join("rustup.log")).unwrap();
        ensure_wasm_target(&rustc, &rustup).unwrap();
        assert!(!dir.join("rustup.log").exists());
    }

    #[test]
    fn a_wasm_target_that_cannot_be_added_names_the_command_to_run() {
        let dir = scratch("fail");
        let rustc = script(
            &dir,
            "rustc",
            &format!("echo {}", dir.join("none").display()),
        );
        let rustup = script(&dir, "rustup", "exit 1");
        let e = ensure_wasm_target(&rustc, &rustup).unwrap_err().to_string();
        assert!(
            e.contains("run `rustup target add wasm32-unknown-unknown`"),
            "{e}"
        );
        // No rustup at all: the same one-line hint.
        let e = ensure_wasm_target(&rustc, &dir.join("no-rustup").display().to_string())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("rustup target add wasm32-unknown-unknown"),
            "{e}"
        );
        assert!(!e.contains('\n'), "one line: {e}");
    }

    #[test]
    fn the_real_toolchain_is_found_with_its_wasm_target() {
        // The real rustc and rustup: added if missing, then detected (a
        // false "missing" would run rustup on every build).
        ensure_wasm_target_here().unwrap();
        assert!(has_wasm_std("rustc"));
    }
}
