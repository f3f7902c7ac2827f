//! Whether the processed programs in `target/stylus` were built from the
//! sources in the tree.
//!
//! `cargo xtask wasm` fingerprints every input of the build ([`INPUTS`]:
//! the contracts, the workspace manifest and lock file, the cargo and
//! toolchain settings, and the code that processes the wasm) before it
//! builds, and writes that fingerprint to `target/stylus/`[`STAMP`] once
//! every program is written. A reader compares it with the tree's
//! fingerprint now: any difference in any input's content (not its
//! modification time: a checkout or a `touch` changes nothing) means the
//! programs are stale. The fingerprint is SHA-256 over each input file's
//! path relative to the root, its length and its bytes, in path order;
//! `target` directories and hidden entries inside the input folders are
//! skipped.

use std::{
    fmt,
    io::{self, Read},
    path::{Path, PathBuf},
};

use sha2::{Digest, Sha256};

/// The files and folders (relative to the workspace root) the processed
/// programs are built from.
pub const INPUTS: &[&str] = &[
    "contracts",
    "Cargo.toml",
    "Cargo.lock",
    ".cargo/config.toml",
    "rust-toolchain.toml",
    "crates/xtask/Cargo.toml",
    "crates/xtask/src",
    "crates/labelmint-wasm/Cargo.toml",
    "crates/labelmint-wasm/src",
];

/// The file in the artifacts folder that holds the fingerprint the programs
/// were built from.
pub const STAMP: &str = "SOURCES";

/// The command that rebuilds the processed programs.
pub const REBUILD: &str = "cargo xtask wasm";

/// Why a processed program cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotCurrent {
    /// The program file is not there.
    Missing {
        /// The program's path.
        path: PathBuf,
    },
    /// No fingerprint beside the programs (never fully built by this
    /// version of `cargo xtask wasm`, or a build that did not finish).
    Unstamped {
        /// The artifacts folder.
        dir: PathBuf,
    },
    /// The programs were built from other sources than the tree's.
    Stale {
        /// The artifacts folder.
        dir: PathBuf,
        /// The fingerprint they were built from.
        built: String,
        /// The tree's fingerprint now.
        now: String,
    },
    /// An input or the program could not be read.
    Unreadable {
        /// What could not be read.
        path: PathBuf,
        /// The I/O error.
        error: String,
    },
}

impl fmt::Display for NotCurrent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { path } => write!(
                f,
                "{} is missing: run `{REBUILD}` to build the contracts",
                path.display()
            ),
            Self::Unstamped { dir } => write!(
                f,
                "{} has no {STAMP} fingerprint, so nothing says which sources its programs \
                 were built from: run `{REBUILD}`",
                dir.display()
            ),
            Self::Stale { dir, built, now } => write!(
                f,
                "the programs in {} are stale: built from sources {}…, the tree is now {}… \
                 (contracts, Cargo.toml/Cargo.lock, cargo or toolchain settings, or the wasm \
                 processing changed): run `{REBUILD}`",
                dir.display(),
                &built[..built.len().min(12)],
                &now[..now.len().min(12)]
            ),
            Self::Unreadable { path, error } => {
                write!(f, "cannot read {}: {error}", path.display())
            }
        }
    }
}

impl std::error::Error for NotCurrent {}

/// Every input file under `root`, sorted by path.
fn input_files(root: &Path) -> io::Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || name == "target" {
                continue;
            }
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                walk(&path, out)?;
            } else {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for input in INPUTS {
        let path = root.join(input);
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => walk(&path, &mut files)?,
            Ok(_) => files.push(path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    files.sort();
    Ok(files)
}

/// The fingerprint of the inputs under `root` (64 hex digits).
pub fn fingerprint(root: &Path) -> io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = Vec::new();
    for path in input_files(root)? {
        let rel = path.strip_prefix(root).unwrap_or(&path);
        let name = rel.to_string_lossy().replace('\\', "/");
        buf.clear();
        std::fs::File::open(&path)?.read_to_end(&mut buf)?;
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update((buf.len() as u64).to_le_bytes());
        hasher.update(&buf);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// Writes `contents` to `path` through a temporary file and a rename, so a
/// reader sees the old file or the new one, never a part.
pub fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, contents)?;
    std::fs::rename(&tmp, path)
}

/// Records that the programs in `dir` were built from sources with
/// `fingerprint`.
pub fn write_stamp(dir: &Path, fingerprint: &str) -> io::Result<()> {
    write_atomically(&dir.join(STAMP), format!("{fingerprint}\n").as_bytes())
}

/// Forgets which sources the programs in `dir` were built from (before a
/// build replaces them).
pub fn remove_stamp(dir: &Path) -> io::Result<()> {
    match std::fs::remove_file(dir.join(STAMP)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Checks that the programs in `dir` were built from the sources under
/// `root`.
pub fn check_current(root: &Path, dir: &Path) -> Result<(), NotCurrent> {
    let stamp = dir.join(STAMP);
    let built = match std::fs::read_to_string(&stamp) {
        Ok(s) => s.trim().to_string(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(NotCurrent::Unstamped {
                dir: dir.to_path_buf(),
            })
        }
        Err(e) => {
            return Err(NotCurrent::Unreadable {
                path: stamp,
                error: e.to_string(),
            })
        }
    };
    let now = fingerprint(root).map_err(|e| NotCurrent::Unreadable {
        path: root.to_path_buf(),
        error: e.to_string(),
    })?;
    if built == now {
        Ok(())
    } else {
        Err(NotCurrent::Stale {
            dir: dir.to_path_buf(),
            built,
            now,
        })
    }
}

/// The processed program `lib` (e.g. `reward_token`) from `dir`, if it is
/// there and the programs there were built from the sources under `root`.
pub fn current_program(root: &Path, dir: &Path, lib: &str) -> Result<Vec<u8>, NotCurrent> {
    let path = dir.join(format!("{lib}.wasm"));
    if !path.is_file() {
        return Err(NotCurrent::Missing { path });
    }
    check_current(root, dir)?;
    std::fs::read(&path).map_err(|e| NotCurrent::Unreadable {
        path,
        error: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A throwaway workspace with one contract source, removed on drop.
    struct Tree(PathBuf);

    impl Drop for Tree {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    impl std::ops::Deref for Tree {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    fn tree(name: &str) -> Tree {
        let root =
            std::env::temp_dir().join(format!("labelmint-sources-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("contracts/token/src")).unwrap();
        std::fs::write(root.join("contracts/token/src/lib.rs"), "fn a() {}").unwrap();
        std::fs::write(root.join("Cargo.toml"), "[workspace]").unwrap();
        std::fs::write(root.join("Cargo.lock"), "version = 4").unwrap();
        std::fs::create_dir_all(root.join("target/stylus")).unwrap();
        Tree(root)
    }

    fn build(root: &Path) -> PathBuf {
        let dir = root.join("target/stylus");
        std::fs::write(dir.join("token.wasm"), b"\0asm").unwrap();
        write_stamp(&dir, &fingerprint(root).unwrap()).unwrap();
        dir
    }

    #[test]
    fn a_fresh_build_is_current_and_its_program_is_read() {
        let root = tree("fresh");
        let dir = build(&root);
        assert_eq!(current_program(&root, &dir, "token").unwrap(), b"\0asm");
        let stamp = std::fs::read_to_string(dir.join(STAMP)).unwrap();
        let hex = stamp.trim_end();
        assert!(
            hex.len() == 64
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
            "{stamp:?}"
        );
    }

    #[test]
    fn an_edited_source_makes_the_programs_stale_and_names_the_rebuild_command() {
        let root = tree("edited");
        let dir = build(&root);
        std::fs::write(root.join("contracts/token/src/lib.rs"), "fn b() {}").unwrap();
        let err = current_program(&root, &dir, "token").unwrap_err();
        assert!(matches!(err, NotCurrent::Stale { .. }), "{err}");
        assert!(err.to_string().contains("run `cargo xtask wasm`"), "{err}");
    }

    #[test]
    fn every_kind_of_input_change_is_seen() {
        let root = tree("inputs");
        let base = fingerprint(&root).unwrap();
        let changes: [(&str, &str); 4] = [
            ("contracts/token/src/new.rs", "fn c() {}"),
            ("Cargo.lock", "version = 5"),
            (".cargo/config.toml", "[build]"),
            ("crates/xtask/src/main.rs", "fn main() {}"),
        ];
        for (file, text) in changes {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let before = fingerprint(&root).unwrap();
            std::fs::write(&path, text).unwrap();
            assert_ne!(fingerprint(&root).unwrap(), before, "{file} not an input");
        }
        assert_ne!(fingerprint(&root).unwrap(), base);
    }

    #[test]
    fn rewriting_identical_bytes_or_writing_under_target_changes_nothing() {
        let root = tree("same");
        let dir = build(&root);
        std::fs::write(root.join("contracts/token/src/lib.rs"), "fn a() {}").unwrap();
        std::fs::create_dir_all(root.join("contracts/token/target")).unwrap();
        std::fs::write(root.join("contracts/token/target/x"), "build output").unwrap();
        std::fs::write(root.join("contracts/token/.swp"), "editor").unwrap();
        assert!(check_current(&root, &dir).is_ok());
    }

    #[test]
    fn missing_programs_and_missing_stamps_name_the_rebuild_command() {
        let root = tree("missing");
        let dir = build(&root);
        let err = current_program(&root, &dir, "market").unwrap_err();
        assert!(matches!(err, NotCurrent::Missing { .. }), "{err}");
        assert!(err.to_string().contains("run `cargo xtask wasm`"), "{err}");
        remove_stamp(&dir).unwrap();
        let err = current_program(&root, &dir, "token").unwrap_err();
        assert!(matches!(err, NotCurrent::Unstamped { .. }), "{err}");
        assert!(err.to_string().contains("run `cargo xtask wasm`"), "{err}");
    }
}
