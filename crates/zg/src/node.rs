//! A 0G storage node's JSON-RPC, typed.

use alloy_primitives::B256;
use base64::Engine;
use labelmint_storage::SegmentProof;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{http::Http, Result, Retry, ZgError};

/// The log entry a Flow submission created (`zgs_getFileInfo().tx`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Transaction {
    /// The file root.
    pub data_merkle_root: B256,
    /// Position of the file's first chunk in the global log.
    pub start_entry_index: u64,
    /// File size in bytes.
    pub size: u64,
    /// Submission sequence number.
    pub seq: u64,
}

/// `zgs_getFileInfo`'s answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FileInfo {
    /// The log entry.
    pub tx: Transaction,
    /// Every segment stored and the file sealed.
    pub finalized: bool,
    /// Held in the node's cache.
    pub is_cached: bool,
    /// Segments the node holds.
    pub uploaded_seg_num: u64,
}

/// A Merkle proof in 0G's wire form: `lemma` = [leaf, siblings bottom-up…,
/// root] and `path[i]` = whether the running node is the left child at
/// level `i`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// Leaf, siblings, root.
    pub lemma: Vec<B256>,
    /// Left-side flags, one per sibling.
    pub path: Vec<bool>,
}

impl Proof {
    /// The wire form of `proof` for a segment whose root is `leaf` in the
    /// file `root`.
    pub fn from_segment(proof: &SegmentProof, leaf: B256, root: B256) -> Self {
        if proof.path.is_empty() {
            return Self {
                lemma: vec![leaf],
                path: vec![],
            };
        }
        let mut lemma = vec![leaf];
        lemma.extend(proof.path.iter().map(|(h, _)| *h));
        lemma.push(root);
        let path = proof
            .path
            .iter()
            .map(|(_, sibling_left)| !sibling_left)
            .collect();
        Self { lemma, path }
    }

    /// Back to a [`SegmentProof`] for segment `index` of `segments`; checks
    /// the wire shape (`lemma` = leaf + one hash per flag + root).
    pub fn to_segment(&self, index: u64, segments: u64) -> Option<(SegmentProof, B256, B256)> {
        let leaf = *self.lemma.first()?;
        if self.path.is_empty() {
            return (self.lemma.len() == 1).then(|| {
                (
                    SegmentProof {
                        index,
                        segments,
                        path: vec![],
                    },
                    leaf,
                    leaf,
                )
            });
        }
        if self.lemma.len() != self.path.len() + 2 {
            return None;
        }
        let root = *self.lemma.last()?;
        let path = self.lemma[1..self.lemma.len() - 1]
            .iter()
            .zip(&self.path)
            .map(|(h, left)| (*h, !left))
            .collect();
        Some((
            SegmentProof {
                index,
                segments,
                path,
            },
            leaf,
            root,
        ))
    }
}

/// One segment with its proof (`zgs_uploadSegments` input,
/// `zgs_downloadSegmentWithProof` output); `data` is base64 of the segment,
/// the last one zero-padded to whole 256-byte chunks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentWithProof {
    /// File root.
    pub root: B256,
    /// Base64 segment bytes.
    pub data: String,
    /// Segment index.
    pub index: u64,
    /// Its proof.
    pub proof: Proof,
    /// File size in bytes.
    pub file_size: u64,
}

impl SegmentWithProof {
    /// The decoded bytes.
    pub fn bytes(&self) -> Result<Vec<u8>> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.data)
            .map_err(|e| ZgError::Decode {
                what: "segment data".into(),
                detail: e.to_string(),
            })
    }
}

/// Base64 of `data` (0G's segment encoding).
pub fn encode(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// A storage node.
#[derive(Clone, Debug)]
pub struct StorageNode {
    http: Http,
}

impl StorageNode {
    /// The node at `url` (its JSON-RPC endpoint).
    pub fn new(url: &str, retry: Retry) -> Self {
        Self {
            http: Http::new(url, retry),
        }
    }

    /// The node's URL.
    pub fn url(&self) -> &str {
        &self.http.url
    }

    /// `zgs_getFileInfo(root, needAvailable)`: `None` if the node has not
    /// seen the file's Flow submission.
    pub async fn file_info(&self, root: B256, need_available: bool) -> Result<Option<FileInfo>> {
        self.http
            .rpc("zgs_getFileInfo", json!([root, need_available]))
            .await
    }

    /// `zgs_uploadSegments(segments)`.
    pub async fn upload_segments(&self, segments: &[SegmentWithProof]) -> Result<()> {
        let _: serde_json::Value = self
            .http
            .rpc("zgs_uploadSegments", json!([segments]))
            .await?;
        Ok(())
    }

    /// `zgs_downloadSegmentWithProof(root, index)`: `None` when the node
    /// does not hold it.
    pub async fn download_segment_with_proof(
        &self,
        root: B256,
        index: u64,
    ) -> Result<Option<SegmentWithProof>> {
        self.http
            .rpc("zgs_downloadSegmentWithProof", json!([root, index]))
            .await
    }

    /// `zgs_downloadSegment(root, startChunk, endChunk)`: chunks
    /// `[start, end)` as stored (unverified; prefer
    /// [`Self::download_segment_with_proof`]).
    pub async fn download_segment(
        &self,
        root: B256,
        start: u64,
        end: u64,
    ) -> Result<Option<Vec<u8>>> {
        let data: Option<String> = self
            .http
            .rpc("zgs_downloadSegment", json!([root, start, end]))
            .await?;
        data.map(|d| {
            base64::engine::general_purpose::STANDARD
                .decode(d)
                .map_err(|e| ZgError::Decode {
                    what: "zgs_downloadSegment".into(),
                    detail: e.to_string(),
                })
        })
        .transpose()
    }
}
