//! The local content-addressed store: the embedded default backend.

use std::{
    fs,
    io::{self, Read, Write},
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
};

use alloy_primitives::B256;

use crate::{root_of_bytes, root_of_file, Result, StorageError};

/// Distinguishes temporary files of one process (with the process id and
/// the clock, names no two writers share).
static NEXT_TMP: AtomicU64 = AtomicU64::new(0);

/// A directory of objects named by their 0G root (`<dir>/<root hex>`).
///
/// Writes go to a temporary file with a name of its own (process, counter,
/// clock) in the same directory, are flushed to disk (`fsync` of the file),
/// renamed into place, and the directory is flushed too, so a crash never
/// leaves a half-written object under a root and a finished `put` survives
/// one. Every read recomputes the root and refuses content that does not
/// match; a `put` of content whose object is missing or corrupt (re)writes it.
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

    /// A temporary file that no other writer uses, created exclusively.
    fn temp(&self) -> Result<(PathBuf, fs::File)> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        loop {
            let n = NEXT_TMP.fetch_add(1, Ordering::Relaxed);
            let path = self
                .dir
                .join(format!(".put.{}.{n}.{nanos:x}.tmp", std::process::id()));
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(f) => return Ok((path, f)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Whether the object under `root` is present and intact.
    fn intact(&self, root: &B256) -> bool {
        root_of_file(&self.path(root)).is_ok_and(|r| r == *root)
    }

    /// Moves the finished temporary file into place and flushes the
    /// directory entry.
    fn commit(&self, tmp: &Path, root: &B256) -> Result<()> {
        if let Err(e) = fs::rename(tmp, self.path(root)) {
            let _ = fs::remove_file(tmp);
            return Err(e.into());
        }
        // The rename is durable once the directory is: fsync it (Unix; other
        // systems flush directory entries with the file).
        #[cfg(unix)]
        fs::File::open(&self.dir)?.sync_all()?;
        Ok(())
    }

    /// Stores `data`; returns its root. Idempotent; a missing or corrupt
    /// object under that root is rewritten.
    pub fn put(&self, data: &[u8]) -> Result<B256> {
        let root = root_of_bytes(data)?;
        if self.intact(&root) {
            return Ok(root);
        }
        let (tmp, mut f) = self.temp()?;
        let written = f.write_all(data).and_then(|()| f.sync_all());
        drop(f);
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(e.into());
        }
        self.commit(&tmp, &root)?;
        Ok(root)
    }

    /// Stores the file at `source`: the bytes are copied first and the
    /// root is computed from the copy, so what is stored is what was hashed
    /// even if `source` changes meanwhile.
    pub fn put_file(&self, source: &Path) -> Result<B256> {
        self.put_file_with(source, |_| {})
    }

    /// [`LocalStore::put_file`], calling `progress` with the number of
    /// bytes copied so far (for a progress bar).
    pub fn put_file_with(&self, source: &Path, progress: impl FnMut(u64)) -> Result<B256> {
        let (tmp, mut f) = self.temp()?;
        let copied = fs::File::open(source)
            .and_then(|src| io::copy(&mut Counting::new(src, progress), &mut f))
            .and_then(|_| f.sync_all());
        drop(f);
        let root = copied
            .map_err(StorageError::from)
            .and_then(|()| root_of_file(&tmp));
        let root = match root {
            Ok(r) => r,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(e);
            }
        };
        if self.intact(&root) {
            let _ = fs::remove_file(&tmp);
            return Ok(root);
        }
        self.commit(&tmp, &root)?;
        Ok(root)
    }

    /// The object stored under `root`, verified.
    pub fn get(&self, root: &B256) -> Result<Vec<u8>> {
        self.get_with(root, |_| {})
    }

    /// [`LocalStore::get`], calling `progress` with the number of bytes
    /// read so far (for a progress bar).
    pub fn get_with(&self, root: &B256, progress: impl FnMut(u64)) -> Result<Vec<u8>> {
        let path = self.path(root);
        let mut data = Vec::new();
        fs::File::open(&path)
            .and_then(|f| Counting::new(f, progress).read_to_end(&mut data))
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => StorageError::NotFound(*root),
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

    /// The size of the object stored under `root`, if any (not verified).
    pub fn stored_size(&self, root: &B256) -> Option<u64> {
        fs::metadata(self.path(root)).ok().map(|m| m.len())
    }

    /// Whether an object is stored under `root` (not verified).
    pub fn contains(&self, root: &B256) -> bool {
        self.path(root).exists()
    }
}

/// A reader that reports how many bytes went through it.
struct Counting<R, F> {
    inner: R,
    done: u64,
    progress: F,
}

impl<R, F: FnMut(u64)> Counting<R, F> {
    fn new(inner: R, progress: F) -> Self {
        Self {
            inner,
            done: 0,
            progress,
        }
    }
}

impl<R: Read, F: FnMut(u64)> Read for Counting<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        (self.progress)(self.done);
        Ok(n)
    }
}
