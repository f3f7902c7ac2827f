//! Task manifests: a folder of raw data becomes one task per item, each named
//! by its 0G root, and the manifest's own root is the job's `dataRoot`.

use std::path::{Path, PathBuf};

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};

use crate::{root_of_bytes, LocalStore, Result, StorageError};

/// Image extensions accepted as tasks.
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "webp"];
/// Text extensions accepted as tasks (`.txt`: one task per file; `.jsonl`:
/// one task per non-empty line).
pub const TEXT_EXTENSIONS: &[&str] = &["txt", "jsonl"];

/// What a job's tasks are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataKind {
    /// PNG / JPEG / WEBP images.
    Image,
    /// Text items.
    Text,
}

/// One task of a manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskItem {
    /// Task index (the `taskId` on chain).
    pub index: u32,
    /// Path relative to the folder (`file.jsonl#3` for line 3 of a JSONL file).
    pub path: String,
    /// 0G root of the item's bytes.
    pub root: B256,
    /// Size in bytes.
    pub size: u64,
    /// Pixel width (images).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub width: Option<u32>,
    /// Pixel height (images).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub height: Option<u32>,
}

/// A job's task manifest. Its canonical JSON (fields in this order, no
/// whitespace) is what is stored and hashed, so the same folder always gives
/// the same data root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version (1).
    pub version: u32,
    /// Images or text.
    pub kind: DataKind,
    /// The tasks, by index.
    pub tasks: Vec<TaskItem>,
}

/// Why a folder cannot become a manifest.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The path is not a readable folder.
    #[error("{0}: not a folder")]
    NotAFolder(PathBuf),
    /// No usable item.
    #[error("{0}: no images (png, jpg, jpeg, webp) or text (txt, jsonl) found")]
    Empty(PathBuf),
    /// Images and text mixed in one job.
    #[error("{0}: mixes images and text; a job labels one kind")]
    Mixed(PathBuf),
    /// An image whose header cannot be read.
    #[error("{path}: not a readable image ({reason})")]
    BadImage {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        reason: String,
    },
    /// A JSONL line that is not JSON.
    #[error("{path}:{line}: not a JSON value")]
    BadJsonLine {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
    },
    /// More tasks than a job can have.
    #[error("more than 2^32 tasks")]
    TooMany,
    /// A symbolic link that leads out of the folder (or nowhere).
    #[error("{0}: a symbolic link out of the folder; copy the file in instead")]
    OutsideFolder(PathBuf),
    /// Storage failure.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl Manifest {
    /// The canonical bytes (compact JSON).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The data root: the 0G root of [`Self::to_bytes`].
    pub fn root(&self) -> Result<B256> {
        root_of_bytes(&self.to_bytes())
    }
}

/// Every file under `dir` (the folder `root`, canonical). Symbolic links
/// are followed only to files inside `root`; a link out of it is an error
/// (a manifest must not publish what lies elsewhere on the machine), and
/// linked folders are not entered (their real path inside `root` is listed
/// anyway, and a link loop cannot recurse).
fn files(
    root: &Path,
    dir: &Path,
    out: &mut Vec<PathBuf>,
) -> std::result::Result<(), ManifestError> {
    for entry in std::fs::read_dir(dir).map_err(StorageError::Io)? {
        let entry = entry.map_err(StorageError::Io)?;
        let path = entry.path();
        let kind = entry.file_type().map_err(StorageError::Io)?;
        if kind.is_symlink() {
            let target = std::fs::canonicalize(&path)
                .map_err(|_| ManifestError::OutsideFolder(path.clone()))?;
            if !target.starts_with(root) {
                return Err(ManifestError::OutsideFolder(path));
            }
            if target.is_file() {
                out.push(path);
            }
        } else if kind.is_dir() {
            files(root, &path, out)?;
        } else if kind.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Builds the manifest of `folder` (files in sorted relative-path order,
/// hidden files skipped) and, with `store`, stores every item and the
/// manifest itself so that everything the data root covers can be served and
/// verified. Returns the manifest and its data root.
pub fn build_manifest(
    folder: &Path,
    store: Option<&LocalStore>,
) -> std::result::Result<(Manifest, B256), ManifestError> {
    if !folder.is_dir() {
        return Err(ManifestError::NotAFolder(folder.to_path_buf()));
    }
    let mut all = Vec::new();
    let root = std::fs::canonicalize(folder).map_err(StorageError::Io)?;
    files(&root, folder, &mut all)?;
    let mut items: Vec<(String, PathBuf)> = all
        .into_iter()
        .filter_map(|p| {
            let rel = p
                .strip_prefix(folder)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            let hidden = rel.split('/').any(|part| part.starts_with('.'));
            let ext = extension(&p);
            let known =
                IMAGE_EXTENSIONS.contains(&ext.as_str()) || TEXT_EXTENSIONS.contains(&ext.as_str());
            (!hidden && known).then_some((rel, p))
        })
        .collect();
    items.sort();
    let images = items
        .iter()
        .filter(|(_, p)| IMAGE_EXTENSIONS.contains(&extension(p).as_str()))
        .count();
    if items.is_empty() {
        return Err(ManifestError::Empty(folder.to_path_buf()));
    }
    if images != 0 && images != items.len() {
        return Err(ManifestError::Mixed(folder.to_path_buf()));
    }
    let kind = if images == 0 {
        DataKind::Text
    } else {
        DataKind::Image
    };
    let mut tasks = Vec::new();
    let mut push = |path: String,
                    bytes: &[u8],
                    dims: Option<(u32, u32)>|
     -> std::result::Result<(), ManifestError> {
        let index = u32::try_from(tasks.len()).map_err(|_| ManifestError::TooMany)?;
        let root = match store {
            Some(s) => s.put(bytes)?,
            None => root_of_bytes(bytes)?,
        };
        tasks.push(TaskItem {
            index,
            path,
            root,
            size: bytes.len() as u64,
            width: dims.map(|d| d.0),
            height: dims.map(|d| d.1),
        });
        Ok(())
    };
    for (rel, path) in &items {
        let bytes = std::fs::read(path).map_err(StorageError::Io)?;
        match (kind, extension(path).as_str()) {
            (DataKind::Image, _) => {
                let size = imagesize::blob_size(&bytes).map_err(|e| ManifestError::BadImage {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                let dims = (
                    u32::try_from(size.width).unwrap_or(u32::MAX),
                    u32::try_from(size.height).unwrap_or(u32::MAX),
                );
                push(rel.clone(), &bytes, Some(dims))?;
            }
            (DataKind::Text, "jsonl") => {
                for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    if serde_json::from_slice::<serde_json::Value>(line).is_err() {
                        return Err(ManifestError::BadJsonLine {
                            path: path.clone(),
                            line: i + 1,
                        });
                    }
                    push(format!("{rel}#{}", i + 1), line, None)?;
                }
            }
            (DataKind::Text, _) => push(rel.clone(), &bytes, None)?,
        }
    }
    let manifest = Manifest {
        version: 1,
        kind,
        tasks,
    };
    let root = match store {
        Some(s) => s.put(&manifest.to_bytes())?,
        None => manifest.root()?,
    };
    Ok((manifest, root))
}
