//! Finding (and if needed building) the processed contract programs.
//!
//! A program is used only if `target/stylus` was built from the sources in
//! the tree (`labelmint_wasm::sources`: a content fingerprint that `cargo
//! xtask wasm` writes beside the programs). When it is missing or stale,
//! [`program`] runs `cargo xtask wasm` once (one build at a time in this
//! process), checks again, and otherwise fails with an error that names the
//! command.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::Mutex,
};

use anyhow::{anyhow, bail, Context, Result};
use labelmint_wasm::sources::{self, NotCurrent, REBUILD};

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

/// One rebuild at a time: tests of one binary ask for programs from many
/// threads.
static BUILD: Mutex<()> = Mutex::new(());

/// Runs `cargo xtask wasm` in `root`.
fn cargo_xtask_wasm(root: &Path) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .args(["run", "--quiet", "--release", "-p", "xtask", "--", "wasm"])
        .status()
        .with_context(|| format!("running `{REBUILD}`"))?;
    if !status.success() {
        bail!("`{REBUILD}` failed ({status})");
    }
    Ok(())
}

/// The processed wasm of contract library `lib` (e.g. `reward_token`) from
/// `target/stylus`, rebuilding with `cargo xtask wasm` when it is missing or
/// was built from other sources than the tree's. Returns the bytes and
/// whether this call rebuilt them.
pub fn program(lib: &str) -> Result<(Vec<u8>, bool)> {
    program_in(&workspace_root(), &artifacts_dir(), lib, cargo_xtask_wasm)
}

/// [`program`] for the sources under `root` and the programs in `dir`, with
/// `rebuild` standing for `cargo xtask wasm`.
pub fn program_in(
    root: &Path,
    dir: &Path,
    lib: &str,
    rebuild: impl Fn(&Path) -> Result<()>,
) -> Result<(Vec<u8>, bool)> {
    let why = match sources::current_program(root, dir, lib) {
        Ok(wasm) => return Ok((wasm, false)),
        Err(e @ NotCurrent::Unreadable { .. }) => return Err(e.into()),
        Err(e) => e,
    };
    let _one_build = BUILD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // Another thread may have rebuilt while this one waited.
    if let Ok(wasm) = sources::current_program(root, dir, lib) {
        return Ok((wasm, false));
    }
    eprintln!("{why}: running it now");
    rebuild(root).with_context(|| format!("{why}; the rebuild failed"))?;
    let wasm = sources::current_program(root, dir, lib)
        .map_err(|e| anyhow!("still not current after `{REBUILD}`: {e}"))?;
    Ok((wasm, true))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// A throwaway tree with a built program, removed on drop.
    struct Tree(PathBuf);

    impl Drop for Tree {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    impl Tree {
        fn new(name: &str) -> Self {
            let root = std::env::temp_dir()
                .join(format!("labelmint-artifacts-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&root);
            std::fs::create_dir_all(root.join("contracts/token/src")).unwrap();
            std::fs::write(root.join("contracts/token/src/lib.rs"), "fn a() {}").unwrap();
            std::fs::create_dir_all(root.join("target/stylus")).unwrap();
            let tree = Self(root);
            tree.build(b"old");
            tree
        }

        fn dir(&self) -> PathBuf {
            self.0.join("target/stylus")
        }

        /// What `cargo xtask wasm` leaves: the program and the stamp.
        fn build(&self, wasm: &[u8]) {
            std::fs::write(self.dir().join("token.wasm"), wasm).unwrap();
            sources::write_stamp(&self.dir(), &sources::fingerprint(&self.0).unwrap()).unwrap();
        }

        fn edit(&self) {
            std::fs::write(self.0.join("contracts/token/src/lib.rs"), "fn b() {}").unwrap();
        }
    }

    #[test]
    fn a_current_program_is_read_without_rebuilding() {
        let tree = Tree::new("current");
        let (wasm, rebuilt) = program_in(&tree.0, &tree.dir(), "token", |_| {
            panic!("rebuilt a current program")
        })
        .unwrap();
        assert_eq!((wasm.as_slice(), rebuilt), (&b"old"[..], false));
    }

    #[test]
    fn a_stale_program_is_rebuilt_once_and_the_new_one_returned() {
        let tree = Tree::new("stale");
        tree.edit();
        let calls = Cell::new(0);
        let (wasm, rebuilt) = program_in(&tree.0, &tree.dir(), "token", |_| {
            calls.set(calls.get() + 1);
            tree.build(b"new");
            Ok(())
        })
        .unwrap();
        assert_eq!(
            (wasm.as_slice(), rebuilt, calls.get()),
            (&b"new"[..], true, 1)
        );
    }

    #[test]
    fn a_failed_or_ineffective_rebuild_is_an_error_naming_the_command() {
        let tree = Tree::new("fails");
        tree.edit();
        let err =
            program_in(&tree.0, &tree.dir(), "token", |_| bail!("no cargo here")).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("stale") && text.contains("run `cargo xtask wasm`"),
            "{text}"
        );
        assert!(text.contains("no cargo here"), "{text}");
        // A rebuild that leaves the old programs is not taken as a success.
        let err = program_in(&tree.0, &tree.dir(), "token", |_| Ok(())).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("still not current after `cargo xtask wasm`"),
            "{text}"
        );
        // A missing program too.
        let err = program_in(&tree.0, &tree.dir(), "market", |_| Ok(())).unwrap_err();
        assert!(
            format!("{err:#}").contains("market.wasm is missing"),
            "{err:#}"
        );
    }
}
