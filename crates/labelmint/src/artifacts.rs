//! Finding (and if needed building) the processed contract programs.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::SystemTime,
};

use anyhow::{bail, Context, Result};

/// The workspace root (where `Cargo.toml` with `[workspace]` lives).
pub fn workspace_root() -> PathBuf {
    std::env::var_os("LABELMINT_ROOT").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."),
        PathBuf::from,
    )
}

/// Where `cargo xtask wasm` writes processed programs.
pub fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from);
    target.join("stylus")
}

/// Newest modification time of the contract sources and the lock file.
fn newest_source(root: &Path) -> Option<SystemTime> {
    fn walk(dir: &Path, newest: &mut Option<SystemTime>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, newest);
            } else if let Ok(modified) = entry.metadata().and_then(|m| m.modified()) {
                *newest = Some(newest.map_or(modified, |n: SystemTime| n.max(modified)));
            }
        }
    }
    let mut newest = None;
    walk(&root.join("contracts"), &mut newest);
    for file in ["Cargo.lock", "Cargo.toml"] {
        if let Ok(m) = std::fs::metadata(root.join(file)).and_then(|m| m.modified()) {
            newest = Some(newest.map_or(m, |n: SystemTime| n.max(m)));
        }
    }
    newest
}

/// The processed wasm of contract library `lib` (e.g. `reward_token`),
/// rebuilding with `cargo xtask wasm` when it is missing or older than the
/// contract sources. Returns the bytes and whether it was rebuilt.
pub fn program(lib: &str) -> Result<(Vec<u8>, bool)> {
    let path = artifacts_dir().join(format!("{lib}.wasm"));
    let root = workspace_root();
    let stale = match std::fs::metadata(&path).and_then(|m| m.modified()) {
        Ok(built) => newest_source(&root).is_some_and(|src| src > built),
        Err(_) => true,
    };
    if stale {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(&root)
            .args(["run", "--quiet", "--release", "-p", "xtask", "--", "wasm"])
            .status()
            .context("running `cargo xtask wasm`")?;
        if !status.success() {
            bail!("`cargo xtask wasm` failed");
        }
    }
    let wasm = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok((wasm, stale))
}
