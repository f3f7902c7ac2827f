//! The local content-addressed store: the embedded default backend.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
};

use alloy_primitives::B256;

use crate::{root_of_bytes, root_of_file, Result, StorageError};

/// A directory of objects named by their 0G root (`<dir>/<root hex>`).
/// Writes go to a temporary file in the same directory and are renamed into
/// place, so a crash never leaves a half-written object under a root; every
/// read recomputes the root and refuses content that does not match.
#[derive(Debug, Clone)]
pub struct LocalStore {
    dir: PathBuf,
}

impl LocalStore {
    /// A store in `dir` (created if missing).
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    fn path(&self, root: &B256) -> PathBuf {
        self.dir.join(format!("{root:x}"))
    }

    /// Stores `data`; returns its root. Idempotent.
    pub fn put(&self, data: &[u8]) -> Result<B256> {
        let root = root_of_bytes(data)?;
        let path = self.path(&root);
        if path.exists() {
            return Ok(root);
        }
        let tmp = self
            .dir
            .join(format!(".{root:x}.{}.tmp", std::process::id()));
        {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(data)?;
            f.sync_all()?;
        }
        fs::rename(&tmp, &path)?;
        Ok(root)
    }

    /// Stores the file at `source` (copied, root computed by streaming).
    pub fn put_file(&self, source: &Path) -> Result<B256> {
        let root = root_of_file(source)?;
        let path = self.path(&root);
        if !path.exists() {
            let tmp = self
                .dir
                .join(format!(".{root:x}.{}.tmp", std::process::id()));
            fs::copy(source, &tmp)?;
            fs::rename(&tmp, &path)?;
        }
        Ok(root)
    }

    /// The object stored under `root`, verified.
    pub fn get(&self, root: &B256) -> Result<Vec<u8>> {
        let path = self.path(root);
        let data = fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StorageError::NotFound(*root),
            _ => StorageError::Io(e),
        })?;
        let actual = root_of_bytes(&data)?;
        if actual != *root {
            return Err(StorageError::Corrupt {
                path,
                expected: *root,
                actual,
            });
        }
        Ok(data)
    }

    /// Whether an object is stored under `root` (not verified).
    pub fn contains(&self, root: &B256) -> bool {
        self.path(root).exists()
    }
}
