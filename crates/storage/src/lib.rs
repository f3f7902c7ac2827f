//! # labelmint-storage
//!
//! Content addressing the way 0G Storage does it, so that a root computed
//! here is the root 0G (and the `@0glabs/0g-ts-sdk`) computes for the same
//! bytes, and a root on chain names exactly one file.
//!
//! - [`root_of_reader`] / [`root_of_file`] / [`root_of_bytes`]: the 0G root
//!   hash, streaming one 256 KiB segment at a time (memory is bounded by one
//!   segment plus a logarithmic stack, whatever the file size).
//! - [`segment_proof`] / [`verify_segment`]: Merkle proofs for one segment,
//!   so a downloader can check any piece against the root alone.
//! - [`LocalStore`]: the embedded default backend, a directory keyed by root
//!   hash with atomic writes and verification on every read.
//! - [`build_manifest`]: a folder of images or text becomes a task manifest
//!   (task index → item root, size, image width/height) whose root is the
//!   job's `dataRoot`.
//!
//! The 0G rules (design notes §5): chunks of 256 bytes, segments of 1,024
//! chunks. `chunks = ceil(size / 256)`; unless that is a power of two it is
//! padded up to a multiple of `max(1, nextPow2(chunks) / 16)` with zero
//! chunks. Leaf = keccak256(chunk); parent = keccak256(left ‖ right); an odd
//! last node is promoted unchanged. A segment root is the tree over its
//! (padded) chunks; the file root is the same tree over the segment roots.
//! A file of 0 bytes has no root (the 0G SDK refuses it too).

use std::{
    fs::File,
    io::{self, Read},
    path::{Path, PathBuf},
};

use alloy_primitives::{keccak256, B256};

mod manifest;
mod store;

pub use manifest::{
    build_manifest, DataKind, Manifest, ManifestError, TaskItem, IMAGE_EXTENSIONS, TEXT_EXTENSIONS,
};
pub use store::LocalStore;

/// Largest file the clients fetch into memory (1 GiB): a size above it,
/// wherever it comes from, is refused before anything is allocated.
pub const MAX_FILE_SIZE: u64 = 1 << 30;

/// Bytes per chunk.
pub const CHUNK_SIZE: u64 = 256;
/// Chunks per segment.
pub const SEGMENT_CHUNKS: u64 = 1_024;
/// Bytes per segment (256 KiB).
pub const SEGMENT_SIZE: u64 = CHUNK_SIZE * SEGMENT_CHUNKS;

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// 0G defines no root for an empty file.
    #[error("a file of 0 bytes has no 0G root")]
    Empty,
    /// The reader ended before the announced size.
    #[error("expected {expected} bytes, the stream ended after {got}")]
    Truncated {
        /// Announced size.
        expected: u64,
        /// Bytes read.
        got: u64,
    },
    /// Segment index beyond the file.
    #[error("segment {index} out of range ({segments} segments)")]
    SegmentOutOfRange {
        /// Requested index.
        index: u64,
        /// Segments in the file.
        segments: u64,
    },
    /// Stored or downloaded bytes do not hash to the expected root.
    #[error("content of {path} does not match root {expected} (got {actual})")]
    Corrupt {
        /// Where the bytes came from.
        path: PathBuf,
        /// Root it was stored under.
        expected: B256,
        /// Root of what is there.
        actual: B256,
    },
    /// Nothing stored under this root.
    #[error("no object {0} in the store")]
    NotFound(B256),
    /// I/O failure.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Result of this crate.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Chunks of a `size`-byte file after 0G padding.
pub fn padded_chunks(size: u64) -> u64 {
    let chunks = size.div_ceil(CHUNK_SIZE);
    if chunks.is_power_of_two() {
        return chunks;
    }
    let align = (chunks.next_power_of_two() / 16).max(1);
    chunks.div_ceil(align) * align
}

/// Segments of a `size`-byte file's Merkle tree, padding-only ones
/// included (the leaves a [`SegmentProof`] is a path in).
pub fn segments(size: u64) -> u64 {
    padded_chunks(size).div_ceil(SEGMENT_CHUNKS)
}

/// Segments that hold data: what 0G uploads and serves (`ceil(size /
/// 256 KiB)`). Beyond them the tree has only zero padding, which nobody
/// sends: e.g. a file of 4,194,305 bytes has 17 data segments in a tree of
/// 18.
pub fn data_segments(size: u64) -> u64 {
    size.div_ceil(SEGMENT_SIZE)
}

/// The sibling directions of segment `index`'s path in a tree of `leaves`
/// leaves (odd last nodes promoted, so some levels have no sibling): `true`
/// where the sibling is on the left. Derived from the index alone, never
/// taken from a proof.
pub fn path_directions(index: u64, leaves: u64) -> Vec<bool> {
    let mut out = Vec::new();
    let (mut i, mut n) = (index, leaves);
    while n > 1 {
        let sibling = i ^ 1;
        if sibling < n {
            out.push(sibling < i);
        }
        i /= 2;
        n = n.div_ceil(2);
    }
    out
}

fn parent(left: &B256, right: &B256) -> B256 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(left.as_slice());
    buf[32..].copy_from_slice(right.as_slice());
    keccak256(buf)
}

/// The level above `level`: pairs hashed, an odd last node promoted unchanged.
fn next_level(level: &[B256]) -> Vec<B256> {
    level
        .chunks(2)
        .map(|p| {
            if p.len() == 2 {
                parent(&p[0], &p[1])
            } else {
                p[0]
            }
        })
        .collect()
}

/// Root of a tree over `leaves` built level by level, an odd last node
/// promoted unchanged.
pub fn merkle_root(leaves: &[B256]) -> Option<B256> {
    let mut level = leaves.to_vec();
    if level.is_empty() {
        return None;
    }
    while level.len() > 1 {
        level = next_level(&level);
    }
    level.first().copied()
}

/// A streaming equivalent of [`merkle_root`]: push leaves one by one, keep
/// only one node per level (the peaks of complete subtrees).
#[derive(Default, Debug, Clone)]
pub struct Accumulator {
    /// `(height, node)`, heights strictly decreasing.
    peaks: Vec<(u32, B256)>,
}

impl Accumulator {
    /// Adds the next leaf.
    pub fn push(&mut self, leaf: B256) {
        let mut node = (0u32, leaf);
        while let Some(&(h, left)) = self.peaks.last() {
            if h != node.0 {
                break;
            }
            self.peaks.pop();
            node = (h + 1, parent(&left, &node.1));
        }
        self.peaks.push(node);
    }

    /// The root: peaks folded from the right (what level-by-level pairing with
    /// promotion of odd nodes yields).
    pub fn root(&self) -> Option<B256> {
        let mut iter = self.peaks.iter().rev();
        let mut acc = iter.next()?.1;
        for (_, peak) in iter {
            acc = parent(peak, &acc);
        }
        Some(acc)
    }
}

/// Root of one segment's bytes, zero-padded to `chunks` chunks.
fn segment_root(data: &[u8], chunks: u64) -> B256 {
    let mut acc = Accumulator::default();
    let zero = keccak256([0u8; CHUNK_SIZE as usize]);
    for i in 0..chunks {
        let start = usize::try_from(i * CHUNK_SIZE).unwrap_or(usize::MAX);
        if start >= data.len() {
            acc.push(zero);
            continue;
        }
        let end = (start + CHUNK_SIZE as usize).min(data.len());
        if end - start == CHUNK_SIZE as usize {
            acc.push(keccak256(&data[start..end]));
        } else {
            let mut chunk = [0u8; CHUNK_SIZE as usize];
            chunk[..end - start].copy_from_slice(&data[start..end]);
            acc.push(keccak256(chunk));
        }
    }
    acc.root().unwrap_or(zero)
}

/// Reads up to `buf.len()` bytes (short only at the end of the stream).
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Calls `each(index, segment_root)` for every segment of a `size`-byte
/// stream, reading one segment at a time.
fn for_each_segment(
    reader: &mut impl Read,
    size: u64,
    mut each: impl FnMut(u64, B256),
) -> Result<()> {
    if size == 0 {
        return Err(StorageError::Empty);
    }
    let total_chunks = padded_chunks(size);
    let mut buf = vec![0u8; SEGMENT_SIZE as usize];
    let mut read = 0u64;
    for index in 0..total_chunks.div_ceil(SEGMENT_CHUNKS) {
        let want = usize::try_from((size - read).min(SEGMENT_SIZE)).unwrap_or(0);
        let got = read_full(reader, &mut buf[..want])?;
        read += got as u64;
        if got < want {
            return Err(StorageError::Truncated {
                expected: size,
                got: read,
            });
        }
        let chunks = (total_chunks - index * SEGMENT_CHUNKS).min(SEGMENT_CHUNKS);
        each(index, segment_root(&buf[..got], chunks));
    }
    Ok(())
}

/// The 0G root of `size` bytes read from `reader`.
pub fn root_of_reader(reader: &mut impl Read, size: u64) -> Result<B256> {
    let mut acc = Accumulator::default();
    for_each_segment(reader, size, |_, root| acc.push(root))?;
    acc.root().ok_or(StorageError::Empty)
}

/// The 0G root of `data`.
pub fn root_of_bytes(data: &[u8]) -> Result<B256> {
    root_of_reader(&mut &data[..], data.len() as u64)
}

/// The 0G root of the file at `path`.
pub fn root_of_file(path: &Path) -> Result<B256> {
    let file = File::open(path)?;
    let size = file.metadata()?.len();
    root_of_reader(&mut io::BufReader::with_capacity(1 << 16, file), size)
}

/// A Merkle proof that a segment belongs to a file root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentProof {
    /// Segment index.
    pub index: u64,
    /// Segments in the file.
    pub segments: u64,
    /// Sibling hashes from the segment up to the root, with whether the
    /// sibling is on the left. Promoted levels have no entry.
    pub path: Vec<(B256, bool)>,
}

/// The segment roots of a file: enough to prove any segment against the
/// file root (32 bytes per 256 KiB segment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentTree {
    /// Root of every segment, in order.
    pub roots: Vec<B256>,
}

impl SegmentTree {
    /// Reads `size` bytes from `reader` once and keeps every segment root.
    pub fn build(reader: &mut impl Read, size: u64) -> Result<Self> {
        let mut roots = Vec::new();
        for_each_segment(reader, size, |_, root| roots.push(root))?;
        Ok(Self { roots })
    }

    /// The file root.
    pub fn root(&self) -> B256 {
        merkle_root(&self.roots).unwrap_or_default()
    }

    /// The proof for segment `index`.
    pub fn proof(&self, index: u64) -> Result<SegmentProof> {
        let segments = self.roots.len() as u64;
        if index >= segments {
            return Err(StorageError::SegmentOutOfRange { index, segments });
        }
        let mut path = Vec::new();
        let mut level = self.roots.clone();
        let mut i = usize::try_from(index).unwrap_or(usize::MAX);
        while level.len() > 1 {
            let sibling = i ^ 1;
            if sibling < level.len() {
                path.push((level[sibling], sibling < i));
            }
            level = next_level(&level);
            i /= 2;
        }
        Ok(SegmentProof {
            index,
            segments,
            path,
        })
    }
}

/// The proof for segment `index` of `size` bytes from `reader` (all segment
/// roots are kept: 32 bytes per 256 KiB).
pub fn segment_proof(reader: &mut impl Read, size: u64, index: u64) -> Result<SegmentProof> {
    SegmentTree::build(reader, size)?.proof(index)
}

/// The root of segment `index` of a `size`-byte file whose bytes in that
/// segment are `data` (unpadded): the leaf its proof starts from.
pub fn segment_leaf(size: u64, index: u64, data: &[u8]) -> B256 {
    let total_chunks = padded_chunks(size);
    let chunks = total_chunks
        .saturating_sub(index.saturating_mul(SEGMENT_CHUNKS))
        .min(SEGMENT_CHUNKS);
    segment_root(data, chunks)
}

/// Whether `data` (the segment's bytes as stored: up to 256 KiB, the last
/// data segment's unpadded tail) is segment `proof.index` of the file
/// `root` of `size` bytes.
///
/// The side of each sibling is derived from `proof.index` and the tree's
/// shape, and the path must have exactly the tree's length: a genuine
/// segment with its genuine proof cannot be passed off as another index
/// (the proof's own flags must agree, or it is refused). Only data
/// segments verify (padding-only segments are never sent).
pub fn verify_segment(root: B256, size: u64, data: &[u8], proof: &SegmentProof) -> bool {
    // The cheap checks first: hashing the bytes is the expensive part.
    shape_matches(size, data.len() as u64, proof)
        && verify_segment_leaf(
            root,
            size,
            data.len() as u64,
            segment_leaf(size, proof.index, data),
            proof,
        )
}

/// [`verify_segment`] for a segment of `len` bytes whose leaf
/// ([`segment_leaf`]) the caller has already computed from its bytes.
pub fn verify_segment_leaf(
    root: B256,
    size: u64,
    len: u64,
    leaf: B256,
    proof: &SegmentProof,
) -> bool {
    if !shape_matches(size, len, proof) {
        return false;
    }
    let mut node = leaf;
    for ((sibling, _), left) in proof
        .path
        .iter()
        .zip(path_directions(proof.index, proof.segments))
    {
        node = if left {
            parent(sibling, &node)
        } else {
            parent(&node, sibling)
        };
    }
    node == root
}

/// The proof fits a data segment of `len` bytes of a `size`-byte file: the
/// tree's leaf count, a data segment's index and length, and a path of the
/// tree's length whose sides are those derived from the index.
fn shape_matches(size: u64, len: u64, proof: &SegmentProof) -> bool {
    if size == 0 || proof.segments != segments(size) || proof.index >= data_segments(size) {
        return false;
    }
    // index < ceil(size / SEGMENT_SIZE), so index * SEGMENT_SIZE < size.
    if len != (size - proof.index * SEGMENT_SIZE).min(SEGMENT_SIZE) {
        return false;
    }
    let directions = path_directions(proof.index, proof.segments);
    directions.len() == proof.path.len()
        && directions
            .iter()
            .zip(&proof.path)
            .all(|(derived, (_, claimed))| derived == claimed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_follows_the_0g_rule() {
        assert_eq!(padded_chunks(1), 1);
        assert_eq!(padded_chunks(256), 1);
        assert_eq!(padded_chunks(257), 2);
        assert_eq!(padded_chunks(3 * 256), 3, "align = max(1, 4/16) = 1");
        assert_eq!(padded_chunks(1025 * 256), 1152, "align 128");
        assert_eq!(padded_chunks(3907 * 256), 4096, "align 256");
        assert_eq!(segments(262_145), 2);
    }

    #[test]
    fn accumulator_equals_level_by_level_tree() {
        for n in 1..70u8 {
            let leaves: Vec<B256> = (0..n).map(|i| keccak256([i])).collect();
            let mut acc = Accumulator::default();
            for l in &leaves {
                acc.push(*l);
            }
            assert_eq!(acc.root(), merkle_root(&leaves), "{n} leaves");
        }
    }

    #[test]
    fn proofs_verify_every_segment_and_reject_tampering() {
        let data: Vec<u8> = (0..5 * SEGMENT_SIZE + 1000)
            .map(|i| (i % 251) as u8)
            .collect();
        let size = data.len() as u64;
        let root = root_of_bytes(&data).unwrap();
        for index in 0..segments(size) {
            let proof = segment_proof(&mut &data[..], size, index).unwrap();
            let start = (index * SEGMENT_SIZE) as usize;
            let end = (start + SEGMENT_SIZE as usize).min(data.len());
            assert!(
                verify_segment(root, size, &data[start..end], &proof),
                "segment {index}"
            );
            let mut bad = data[start..end].to_vec();
            bad[0] ^= 1;
            assert!(!verify_segment(root, size, &bad, &proof));
        }
        assert!(matches!(
            segment_proof(&mut &data[..], size, 99),
            Err(StorageError::SegmentOutOfRange { .. })
        ));
    }

    #[test]
    fn empty_and_truncated_streams_are_errors() {
        assert!(matches!(root_of_bytes(&[]), Err(StorageError::Empty)));
        let short = [1u8; 10];
        assert!(matches!(
            root_of_reader(&mut &short[..], 11),
            Err(StorageError::Truncated {
                expected: 11,
                got: 10
            })
        ));
    }
}
