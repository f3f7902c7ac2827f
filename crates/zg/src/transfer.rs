//! Upload and verified download of whole files.

use std::time::{Duration, Instant};

use alloy_primitives::B256;
use labelmint_storage::{
    data_segments, segment_leaf, verify_segment_leaf, SegmentTree, CHUNK_SIZE, MAX_FILE_SIZE,
    SEGMENT_SIZE,
};

use crate::{
    http::Http,
    node::{encode, Proof, SegmentWithProof, StorageNode},
    Result, Retry, ZgError,
};

/// Upload behaviour.
#[derive(Clone, Debug)]
pub struct UploadOptions {
    /// Segments per `zgs_uploadSegments` call.
    pub batch: usize,
    /// How long to wait for the node to see the Flow submission, and then
    /// for finality.
    pub wait: Duration,
    /// Poll interval while waiting.
    pub poll: Duration,
}

impl Default for UploadOptions {
    fn default() -> Self {
        Self {
            batch: 10,
            wait: Duration::from_mins(5),
            poll: Duration::from_secs(2),
        }
    }
}

/// What an upload did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadReport {
    /// The file root.
    pub root: B256,
    /// Data segments in the file (what 0G stores; padding-only segments
    /// of the tree are never sent).
    pub segments: u64,
    /// Segments this call sent (less than `segments` when resuming).
    pub sent: u64,
    /// `zgs_uploadSegments` calls made.
    pub calls: u64,
}

/// Data segment `index` of `data` as 0G sends it: the last one
/// zero-padded to whole chunks (empty past the data).
fn wire_segment(data: &[u8], index: u64) -> Vec<u8> {
    let start = usize::try_from(index.saturating_mul(SEGMENT_SIZE))
        .unwrap_or(usize::MAX)
        .min(data.len());
    let end = start.saturating_add(SEGMENT_SIZE as usize).min(data.len());
    let raw = &data[start..end];
    let padded = raw.len().div_ceil(CHUNK_SIZE as usize) * CHUNK_SIZE as usize;
    let mut out = raw.to_vec();
    out.resize(padded, 0);
    out
}

/// Uploads `data` to `node`. The file's Flow submission must be on chain:
/// the node must report it (`zgs_getFileInfo`) within `options.wait`.
/// Resumes after the segments the node already holds, sends the rest in
/// batches (each call retried per the node's [`Retry`]), then waits for
/// `finalized`. `progress(done, total)` reports segments.
pub async fn upload(
    node: &StorageNode,
    data: &[u8],
    options: &UploadOptions,
    mut progress: impl FnMut(u64, u64),
) -> Result<UploadReport> {
    let tree = SegmentTree::build(&mut &data[..], data.len() as u64)?;
    let root = tree.root();
    // Only segments with data are uploaded; the node pads the tree itself.
    let segments = data_segments(data.len() as u64);
    let started = Instant::now();
    let info = loop {
        if let Some(info) = node.file_info(root, false).await? {
            break info;
        }
        if started.elapsed() >= options.wait {
            return Err(ZgError::NotFound(root));
        }
        tokio::time::sleep(options.poll).await;
    };
    if info.tx.size != data.len() as u64 {
        return Err(ZgError::Decode {
            what: "zgs_getFileInfo".into(),
            detail: format!(
                "node records {} bytes for {root}, the file has {}",
                info.tx.size,
                data.len()
            ),
        });
    }
    let mut report = UploadReport {
        root,
        segments,
        sent: 0,
        calls: 0,
    };
    let mut next = if info.finalized {
        segments
    } else {
        info.uploaded_seg_num.min(segments)
    };
    progress(next, segments);
    while next < segments {
        let end = (next + options.batch.max(1) as u64).min(segments);
        let mut batch = Vec::new();
        for index in next..end {
            let wire = wire_segment(data, index);
            let leaf = tree.roots[index as usize];
            batch.push(SegmentWithProof {
                root,
                data: encode(&wire),
                index,
                proof: Proof::from_segment(&tree.proof(index)?, leaf, root),
                file_size: data.len() as u64,
            });
        }
        report.calls += 1;
        match node.upload_segments(&batch).await {
            Ok(()) => {}
            Err(ZgError::Rpc { message, .. }) if message.contains("already uploaded") => {}
            Err(e) => {
                // A partial upload: ask the node where it stands and resume
                // from there once; a second failure at the same place is final.
                let held = node
                    .file_info(root, false)
                    .await?
                    .map_or(0, |i| i.uploaded_seg_num);
                if held <= next {
                    return Err(e);
                }
                report.sent += held - next;
                next = held;
                progress(next, segments);
                continue;
            }
        }
        report.sent += end - next;
        next = end;
        progress(next, segments);
    }
    let waiting = Instant::now();
    loop {
        if node
            .file_info(root, false)
            .await?
            .is_some_and(|i| i.finalized)
        {
            return Ok(report);
        }
        if waiting.elapsed() >= options.wait {
            return Err(ZgError::NotFinalized {
                root,
                waited: waiting.elapsed(),
            });
        }
        tokio::time::sleep(options.poll).await;
    }
}

/// The size the node records for `root` (its Flow submission), refused
/// above [`MAX_FILE_SIZE`]. Only for callers without a trusted record: the
/// root does not bind trailing zero bytes, so this size is the node's word.
pub async fn size_on_node(node: &StorageNode, root: B256) -> Result<u64> {
    let info = node
        .file_info(root, true)
        .await?
        .ok_or(ZgError::NotFound(root))?;
    check_size(root, info.tx.size)?;
    Ok(info.tx.size)
}

fn check_size(root: B256, size: u64) -> Result<()> {
    if size == 0 || size > MAX_FILE_SIZE {
        return Err(ZgError::Verification {
            root,
            segment: u64::MAX,
            detail: format!("a size of {size} bytes is outside 1..={MAX_FILE_SIZE}"),
        });
    }
    Ok(())
}

/// Downloads file `root` of `size` bytes from `node`, segment by segment
/// with proofs. `size` must come from a trusted record (the manifest, the
/// chain): the 0G root alone does not bind trailing zero bytes, so the
/// node's own figure is only compared with it. Every segment is verified
/// against `root` (its index fixing the proof's shape) before it is kept, a
/// segment that fails is fetched again (up to 3 times) before giving up,
/// and the assembled file is hashed to `root` once more before it is
/// returned. `progress(done, total)` reports segments.
pub async fn download(
    node: &StorageNode,
    root: B256,
    size: u64,
    mut progress: impl FnMut(u64, u64),
) -> Result<Vec<u8>> {
    check_size(root, size)?;
    let info = node
        .file_info(root, true)
        .await?
        .ok_or(ZgError::NotFound(root))?;
    if info.tx.size != size {
        return Err(ZgError::Verification {
            root,
            segment: u64::MAX,
            detail: format!(
                "the node records {} bytes, the trusted record {size}",
                info.tx.size
            ),
        });
    }
    let segments = data_segments(size);
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    for index in 0..segments {
        let mut last = None;
        for _ in 0..3 {
            match fetch_verified(node, root, size, index).await {
                Ok(bytes) => {
                    out.extend_from_slice(&bytes);
                    last = None;
                    break;
                }
                Err(e @ ZgError::Verification { .. }) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        if let Some(e) = last {
            return Err(e);
        }
        progress(index + 1, segments);
    }
    let actual = labelmint_storage::root_of_bytes(&out)?;
    if actual != root || out.len() as u64 != size {
        return Err(ZgError::Verification {
            root,
            segment: u64::MAX,
            detail: format!("the assembled {} bytes hash to {actual}", out.len()),
        });
    }
    Ok(out)
}

async fn fetch_verified(node: &StorageNode, root: B256, size: u64, index: u64) -> Result<Vec<u8>> {
    let fail = |detail: String| ZgError::Verification {
        root,
        segment: index,
        detail,
    };
    let seg = node
        .download_segment_with_proof(root, index)
        .await?
        .ok_or_else(|| fail("the node does not hold this segment".into()))?;
    if seg.index != index || seg.root != root {
        return Err(fail(format!(
            "the node answered with segment {} of {}",
            seg.index, seg.root
        )));
    }
    verify_wire_segment(root, size, index, &seg).map_err(fail)
}

/// Checks segment `index` of the `size`-byte file `root` as a node serves
/// it (`zgs_downloadSegmentWithProof`) and returns its data bytes: the
/// length (the last segment zero-padded to whole chunks, padding all
/// zeros), the proof's shape for this index, its leaf equal to the root of
/// these bytes (what a 0G node checks too), its last hash equal to `root`,
/// and the path from the bytes to `root`. Returns why it fails otherwise.
pub fn verify_wire_segment(
    root: B256,
    size: u64,
    index: u64,
    seg: &SegmentWithProof,
) -> std::result::Result<Vec<u8>, String> {
    if size == 0 || index >= data_segments(size) {
        return Err(format!(
            "segment {index} is not a data segment of {size} bytes"
        ));
    }
    let mut bytes = seg.bytes().map_err(|e| e.to_string())?;
    // index < data_segments(size), so index * SEGMENT_SIZE < size.
    let expected = usize::try_from((size - index * SEGMENT_SIZE).min(SEGMENT_SIZE)).unwrap_or(0);
    if bytes.len() < expected
        || bytes.len() > expected.div_ceil(CHUNK_SIZE as usize) * CHUNK_SIZE as usize
    {
        return Err(format!("{} bytes, expected {expected}", bytes.len()));
    }
    if bytes[expected..].iter().any(|&b| b != 0) {
        return Err("non-zero padding".into());
    }
    bytes.truncate(expected);
    let (proof, leaf, proof_root) = seg
        .proof
        .to_segment(index, labelmint_storage::segments(size))
        .ok_or("malformed proof")?;
    if proof_root != root {
        return Err("the proof ends at another root".into());
    }
    // The bytes are hashed into their leaf once; the proof must start there.
    let actual = segment_leaf(size, index, &bytes);
    if leaf != actual {
        return Err(format!(
            "the proof starts at {leaf}, these bytes hash to {actual}"
        ));
    }
    if !verify_segment_leaf(root, size, bytes.len() as u64, actual, &proof) {
        return Err("proof does not verify".into());
    }
    Ok(bytes)
}

/// The indexer's REST gateway.
#[derive(Clone, Debug)]
pub struct Indexer {
    http: Http,
}

impl Indexer {
    /// The gateway at `url`.
    pub fn new(url: &str, retry: Retry) -> Self {
        Self {
            http: Http::new(url, retry),
        }
    }

    /// `GET /file?root=…`: the whole file, accepted only if it hashes to
    /// `root` and, when `size` (from a trusted record) is given, is exactly
    /// that long. The body is read up to `size` (or [`MAX_FILE_SIZE`]) bytes
    /// and refused beyond.
    pub async fn file(&self, root: B256, size: Option<u64>) -> Result<Vec<u8>> {
        if let Some(size) = size {
            check_size(root, size)?;
        }
        let limit = usize::try_from(size.unwrap_or(MAX_FILE_SIZE)).unwrap_or(usize::MAX);
        let bytes = self
            .http
            .get_bytes(&format!("/file?root={root}"), limit)
            .await?;
        if let Some(size) = size {
            if bytes.len() as u64 != size {
                return Err(ZgError::Verification {
                    root,
                    segment: u64::MAX,
                    detail: format!(
                        "the gateway served {} bytes, the record says {size}",
                        bytes.len()
                    ),
                });
            }
        }
        let actual =
            labelmint_storage::root_of_bytes(&bytes).map_err(|e| ZgError::Verification {
                root,
                segment: u64::MAX,
                detail: e.to_string(),
            })?;
        if actual != root {
            return Err(ZgError::Verification {
                root,
                segment: u64::MAX,
                detail: format!("the gateway served bytes with root {actual}"),
            });
        }
        Ok(bytes)
    }
}
