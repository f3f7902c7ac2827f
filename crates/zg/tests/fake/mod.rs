//! Minimal HTTP/1.1 servers for the client tests: a fake 0G storage node
//! (JSON-RPC + the indexer's `GET /file`) and a fake fine-tuning broker,
//! each with switches for the failures a real network produces.
//!
//! Neither server uses the client's code to judge the client: the node
//! checks and builds segment proofs with [`spec`], and the broker checks
//! task signatures with [`provider_digest`], both written from 0G's
//! published implementations (the storage SDK's `MerkleTree`/`Proof`, the
//! provider's `getHash`) and checked against the SDK-made vectors in
//! `tests/fixtures/zg-proofs.json` and `zg-broker.json`.

#![allow(dead_code, unreachable_pub, clippy::too_many_lines)]

use std::{
    collections::HashMap,
    fmt::Write as _,
    sync::{Arc, Mutex},
    time::Duration,
};

use alloy_primitives::{keccak256, Address, B256, U256};
use base64::Engine;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// 0G Storage's file Merkle tree, written for the fake node from 0G's
/// TypeScript SDK (`MerkleTree.build`, `proofAt`, `Proof.validateHash`,
/// `computePaddedSize`), sharing no code with `labelmint-storage` or
/// `labelmint-zg`.
pub mod spec {
    use alloy_primitives::{keccak256, B256};

    /// Bytes per chunk.
    pub const CHUNK: usize = 256;
    /// Chunks per segment.
    pub const SEGMENT_CHUNKS: usize = 1024;
    /// Bytes per segment.
    pub const SEGMENT: usize = CHUNK * SEGMENT_CHUNKS;

    /// Chunks of a file after flow padding (`computePaddedSize`): a power of
    /// two stays, anything else is rounded up to a multiple of
    /// `max(1, nextPow2 / 16)`.
    pub fn padded_chunks(size: usize) -> usize {
        let chunks = size.div_ceil(CHUNK);
        let next = chunks.next_power_of_two();
        if next == chunks {
            return chunks;
        }
        let unit = if next >= 16 { next / 16 } else { 1 };
        chunks.div_ceil(unit) * unit
    }

    /// Leaves of the file tree: padded chunks in segments.
    pub fn tree_segments(size: usize) -> usize {
        padded_chunks(size).div_ceil(SEGMENT_CHUNKS)
    }

    /// Segments holding data (what an uploader sends).
    pub fn data_segments(size: usize) -> usize {
        size.div_ceil(SEGMENT)
    }

    /// What an uploader sends for data segment `index`: its bytes, zero
    /// padded to whole chunks.
    pub fn wire_len(size: usize, index: usize) -> usize {
        (size - index * SEGMENT).min(SEGMENT).div_ceil(CHUNK) * CHUNK
    }

    fn hash_pair(left: B256, right: B256) -> B256 {
        let mut both = [0u8; 64];
        both[..32].copy_from_slice(left.as_slice());
        both[32..].copy_from_slice(right.as_slice());
        keccak256(both)
    }

    /// A tree kept as its levels, leaves first. Nodes are paired left to
    /// right; the last node of an odd level is carried up unchanged.
    pub struct Tree {
        levels: Vec<Vec<B256>>,
    }

    impl Tree {
        /// Builds the tree over `leaves` (at least one).
        pub fn new(leaves: Vec<B256>) -> Self {
            assert!(!leaves.is_empty(), "a tree needs a leaf");
            let mut levels = vec![leaves];
            while levels.last().unwrap().len() > 1 {
                let below = levels.last().unwrap();
                let mut up = Vec::with_capacity(below.len().div_ceil(2));
                let mut k = 0;
                while k < below.len() {
                    up.push(if k + 1 < below.len() {
                        hash_pair(below[k], below[k + 1])
                    } else {
                        below[k]
                    });
                    k += 2;
                }
                levels.push(up);
            }
            Self { levels }
        }

        /// The root.
        pub fn root(&self) -> B256 {
            self.levels.last().unwrap()[0]
        }

        /// Leaf `i`.
        pub fn leaf(&self, i: usize) -> B256 {
            self.levels[0][i]
        }

        /// The SDK's `proofAt(i)`: `lemma` = [leaf, siblings bottom-up…,
        /// root] and `path[k]` = whether the running node is the left child
        /// (levels where it is carried up have no entry); one leaf alone is
        /// `lemma` = [root], no path.
        pub fn proof(&self, i: usize) -> (Vec<B256>, Vec<bool>) {
            if self.levels[0].len() == 1 {
                return (vec![self.root()], vec![]);
            }
            let mut lemma = vec![self.levels[0][i]];
            let mut path = Vec::new();
            let mut at = i;
            for level in &self.levels[..self.levels.len() - 1] {
                let left = at.is_multiple_of(2);
                let partner = if left { at + 1 } else { at - 1 };
                if partner < level.len() {
                    lemma.push(level[partner]);
                    path.push(left);
                }
                at /= 2;
            }
            lemma.push(self.root());
            (lemma, path)
        }
    }

    /// Root of one segment's chunks: `bytes` zero padded to `chunks` chunks,
    /// each chunk hashed with keccak256.
    pub fn segment_root(bytes: &[u8], chunks: usize) -> B256 {
        let mut padded = bytes.to_vec();
        padded.resize(chunks * CHUNK, 0);
        Tree::new(padded.chunks(CHUNK).map(keccak256).collect()).root()
    }

    /// Chunks in segment `index` of a `size`-byte file's tree.
    pub fn segment_chunks(size: usize, index: usize) -> usize {
        (padded_chunks(size) - index * SEGMENT_CHUNKS).min(SEGMENT_CHUNKS)
    }

    /// The file tree of `data` (leaves = segment roots, padding-only
    /// segments included).
    pub fn file_tree(data: &[u8]) -> Tree {
        let size = data.len();
        Tree::new(
            (0..tree_segments(size))
                .map(|i| {
                    let start = (i * SEGMENT).min(size);
                    let end = (start + SEGMENT).min(size);
                    segment_root(&data[start..end], segment_chunks(size, i))
                })
                .collect(),
        )
    }

    /// The leaf position a proof's `path` leads to in a tree of `leaves`
    /// leaves (the SDK's `calculateProofPosition`), or `None` when the path
    /// is longer than the tree is deep.
    pub fn position(path: &[bool], leaves: usize) -> Option<usize> {
        let (mut n, mut position) = (leaves, 0);
        for &left in path.iter().rev() {
            if n <= 1 {
                return None;
            }
            let left_leaves = n.next_power_of_two() / 2;
            if left {
                n = left_leaves;
            } else {
                position += left_leaves;
                n -= left_leaves;
            }
        }
        Some(position)
    }

    /// What a 0G node checks before it stores an uploaded segment: the
    /// index names a data segment, the bytes have the uploader's length,
    /// the proof has the SDK's shape, starts at the root of these bytes,
    /// ends at the file root, leads to this index, and hashes up to the
    /// root.
    pub fn check_upload(
        root: B256,
        size: usize,
        index: usize,
        data: &[u8],
        lemma: &[B256],
        path: &[bool],
    ) -> Result<(), &'static str> {
        if size == 0 || index >= data_segments(size) {
            return Err("segment index out of range");
        }
        if data.len() != wire_len(size, index) {
            return Err("invalid segment length");
        }
        let shape = if path.is_empty() {
            lemma.len() == 1
        } else {
            lemma.len() == path.len() + 2
        };
        if !shape {
            return Err("invalid merkle proof format");
        }
        if lemma[0] != segment_root(data, segment_chunks(size, index)) {
            return Err("merkle proof content mismatch");
        }
        if *lemma.last().unwrap() != root {
            return Err("merkle proof root mismatch");
        }
        if position(path, tree_segments(size)) != Some(index) {
            return Err("merkle proof position mismatch");
        }
        let mut node = lemma[0];
        for (k, &left) in path.iter().enumerate() {
            node = if left {
                hash_pair(node, lemma[k + 1])
            } else {
                hash_pair(lemma[k + 1], node)
            };
        }
        if node != root {
            return Err("failed to validate merkle proof");
        }
        Ok(())
    }
}

/// A parsed request.
pub struct Request {
    pub method: String,
    pub path: String,
    pub body: Vec<u8>,
}

/// What the server does with a request.
pub enum Reply {
    Json(u16, Value),
    Bytes(u16, Vec<u8>),
    /// Sleep, then answer 200 `{}` (the client should have timed out).
    Stall(Duration),
}

type Handler = Arc<dyn Fn(Request) -> Reply + Send + Sync>;

/// A running server on its own thread and runtime.
pub struct Server {
    pub url: String,
}

impl Server {
    pub fn start(handler: Handler) -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                loop {
                    let (mut sock, _) = listener.accept().await.unwrap();
                    let handler = handler.clone();
                    tokio::spawn(async move {
                        let Some(req) = Box::pin(read_request(&mut sock)).await else { return };
                        let reply = handler(req);
                        let (status, body) = match reply {
                            Reply::Json(s, v) => (s, serde_json::to_vec(&v).unwrap()),
                            Reply::Bytes(s, b) => (s, b),
                            Reply::Stall(d) => {
                                tokio::time::sleep(d).await;
                                (200, b"{}".to_vec())
                            }
                        };
                        let head = format!(
                            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = sock.write_all(head.as_bytes()).await;
                        let _ = sock.write_all(&body).await;
                        let _ = sock.shutdown().await;
                    });
                }
            });
        });
        let addr = rx.recv().unwrap();
        Self {
            url: format!("http://{addr}"),
        }
    }
}

async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut tmp = vec![0u8; 65536];
    let header_end = loop {
        let n = sock.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
    let mut lines = head.lines();
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let len: usize = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| v.trim().parse().unwrap_or(0));
    while buf.len() < header_end + len {
        let n = sock.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    Some(Request {
        method,
        path,
        body: buf[header_end..header_end + len].to_vec(),
    })
}

/// A file the fake node knows from its Flow submission.
pub struct File {
    /// The file tree ([`spec::file_tree`]), built once the file is complete.
    pub tree: Option<spec::Tree>,
    pub size: u64,
    pub segments: Vec<Option<Vec<u8>>>,
    pub finalized: bool,
    pub seq: u64,
}

/// Switches and state of the fake 0G node.
#[derive(Default)]
pub struct ZgState {
    pub files: HashMap<B256, File>,
    /// Answer the next n requests with HTTP 503.
    pub fail_next: u32,
    /// Stall the next n requests past the client's timeout.
    pub stall_next: u32,
    /// Flip a byte in the next n served segments / files.
    pub corrupt_next: u32,
    /// Store at most this many segments of the next upload call, then fail it.
    pub partial_next: Option<usize>,
    /// Calls per JSON-RPC method.
    pub calls: HashMap<String, u32>,
    /// Serve the next segment (with its genuine proof) when asked for
    /// segment i, labelled as segment i, for the next n downloads.
    pub swap_next: u32,
    /// Report this size in `zgs_getFileInfo` instead of the real one.
    pub lie_size: Option<u64>,
    /// Every segment object received by `zgs_uploadSegments`, as sent.
    pub received: Vec<Value>,
}

impl ZgState {
    /// What the on-chain Flow submission does: the node learns the file.
    pub fn submit(&mut self, root: B256, size: u64) {
        let seq = self.files.len() as u64;
        // 0G stores the data segments; the tree's padding is implicit.
        let n = spec::data_segments(size as usize);
        self.files.insert(
            root,
            File {
                tree: None,
                size,
                segments: vec![None; n],
                finalized: false,
                seq,
            },
        );
    }
}

fn held(f: &File) -> u64 {
    f.segments.iter().take_while(|s| s.is_some()).count() as u64
}

fn info(root: &B256, f: &File) -> Value {
    json!({
        "tx": {"streamIds": [], "data": null, "dataMerkleRoot": root, "startEntryIndex": 0, "size": f.size, "seq": f.seq},
        "finalized": f.finalized, "isCached": false, "uploadedSegNum": held(f)
    })
}

fn rpc_error(id: &Value, code: i64, message: &str) -> Reply {
    Reply::Json(
        200,
        json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}),
    )
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// Starts a fake storage node + indexer; returns its URL and state.
pub fn zg_node() -> (Server, Arc<Mutex<ZgState>>) {
    let state = Arc::new(Mutex::new(ZgState::default()));
    let s = state.clone();
    let server = Server::start(Arc::new(move |req: Request| {
        let mut st = s.lock().unwrap();
        if st.fail_next > 0 {
            st.fail_next -= 1;
            return Reply::Bytes(503, b"overloaded".to_vec());
        }
        if st.stall_next > 0 {
            st.stall_next -= 1;
            return Reply::Stall(Duration::from_millis(1500));
        }
        if req.method == "GET" {
            return indexer(&mut st, &req.path);
        }
        let Ok(call) = serde_json::from_slice::<Value>(&req.body) else {
            return Reply::Json(
                200,
                json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "parse error"}}),
            );
        };
        let id = call["id"].clone();
        let method = call["method"].as_str().unwrap_or_default().to_string();
        *st.calls.entry(method.clone()).or_default() += 1;
        let p = &call["params"];
        let root: B256 = serde_json::from_value(p[0].clone()).unwrap_or_default();
        let ok = |v: Value| Reply::Json(200, json!({"jsonrpc": "2.0", "id": id, "result": v}));
        match method.as_str() {
            "zgs_getFileInfo" => {
                let lie = st.lie_size;
                ok(st.files.get(&root).map_or(Value::Null, |f| {
                    let mut v = info(&root, f);
                    if let Some(size) = lie {
                        v["tx"]["size"] = json!(size);
                    }
                    v
                }))
            }
            "zgs_uploadSegments" => {
                let limit = st.partial_next.take();
                let segs = p[0].as_array().cloned().unwrap_or_default();
                for (n, seg) in segs.iter().enumerate() {
                    if limit == Some(n) {
                        return rpc_error(&id, -32603, "node busy: upload interrupted");
                    }
                    st.received.push(seg.clone());
                    let root: B256 =
                        serde_json::from_value(seg["root"].clone()).unwrap_or_default();
                    let Some(f) = st.files.get_mut(&root) else {
                        return rpc_error(&id, -32000, "file not found: no Flow submission");
                    };
                    if f.finalized {
                        return rpc_error(&id, -32000, "already uploaded and finalized");
                    }
                    let index = seg["index"].as_u64().unwrap_or(u64::MAX);
                    let data = b64()
                        .decode(seg["data"].as_str().unwrap_or_default())
                        .unwrap_or_default();
                    let lemma: Vec<B256> =
                        serde_json::from_value(seg["proof"]["lemma"].clone()).unwrap_or_default();
                    let path: Vec<bool> =
                        serde_json::from_value(seg["proof"]["path"].clone()).unwrap_or_default();
                    let (size, index) = (
                        f.size as usize,
                        usize::try_from(index).unwrap_or(usize::MAX),
                    );
                    if let Err(why) = spec::check_upload(root, size, index, &data, &lemma, &path) {
                        return rpc_error(&id, -32000, &format!("invalid segment proof: {why}"));
                    }
                    let raw = (size - index * spec::SEGMENT).min(spec::SEGMENT);
                    f.segments[index] = Some(data[..raw].to_vec());
                    if f.segments.iter().all(Option::is_some) {
                        f.finalized = true;
                    }
                }
                ok(Value::Null)
            }
            "zgs_downloadSegmentWithProof" => {
                let asked = p[1].as_u64().unwrap_or(u64::MAX);
                let swap = st.swap_next > 0;
                let index = if swap {
                    st.swap_next -= 1;
                    let n = st.files.get(&root).map_or(1, |f| f.segments.len() as u64);
                    (asked + 1) % n
                } else {
                    asked
                };
                let corrupt = st.corrupt_next > 0;
                let Some(f) = st.files.get_mut(&root) else {
                    return ok(Value::Null);
                };
                let Some(Some(raw)) = f.segments.get(index as usize) else {
                    return ok(Value::Null);
                };
                let mut data = raw.clone();
                if f.tree.is_none() {
                    let whole: Vec<u8> = f.segments.iter().flatten().flatten().copied().collect();
                    f.tree = Some(spec::file_tree(&whole));
                }
                let (lemma, path) = f.tree.as_ref().unwrap().proof(index as usize);
                data.resize(data.len().div_ceil(spec::CHUNK) * spec::CHUNK, 0);
                if corrupt {
                    data[0] ^= 1;
                }
                let proof = json!({"lemma": lemma, "path": path});
                let v = json!({"root": root, "data": b64().encode(&data), "index": asked, "proof": proof, "fileSize": f.size});
                if corrupt {
                    st.corrupt_next -= 1;
                }
                ok(v)
            }
            "zgs_downloadSegment" => {
                let Some(f) = st.files.get(&root) else {
                    return ok(Value::Null);
                };
                let whole: Vec<u8> = f.segments.iter().flatten().flatten().copied().collect();
                let (start, end) = (
                    p[1].as_u64().unwrap_or(0) as usize * 256,
                    p[2].as_u64().unwrap_or(0) as usize * 256,
                );
                let mut padded = whole;
                padded.resize(padded.len().div_ceil(256) * 256, 0);
                ok(json!(b64().encode(
                    &padded[start.min(padded.len())..end.min(padded.len())]
                )))
            }
            _ => rpc_error(&id, -32601, "method not found"),
        }
    }));
    (server, state)
}

fn indexer(st: &mut ZgState, path: &str) -> Reply {
    let Some(root) = path
        .strip_prefix("/file?root=")
        .and_then(|r| r.parse::<B256>().ok())
    else {
        return Reply::Bytes(400, b"bad request".to_vec());
    };
    let Some(f) = st.files.get(&root).filter(|f| f.finalized) else {
        return Reply::Bytes(404, b"file not found".to_vec());
    };
    let mut whole: Vec<u8> = f.segments.iter().flatten().flatten().copied().collect();
    if st.corrupt_next > 0 {
        st.corrupt_next -= 1;
        whole[0] ^= 1;
    }
    Reply::Bytes(200, whole)
}

/// Switches and state of the fake fine-tuning broker.
#[derive(Default)]
pub struct BrokerState {
    /// Datasets the provider can fetch.
    pub datasets: Vec<B256>,
    /// Tasks: record, state index, state at which to fail.
    pub tasks: Vec<(Value, usize, Option<usize>)>,
    /// Last nonce per user.
    pub nonces: HashMap<Address, U256>,
    /// Report an earlier state after this one (a broken provider).
    pub regress_at: Option<usize>,
    /// Never advance (for timeouts).
    pub frozen: bool,
    /// Fail every new task at this state.
    pub fail_at: Option<usize>,
    /// Root of the delivered model (default `0x0f…0f`).
    pub output: Option<B256>,
    /// Answer `GET /v1/model` with a valid JSON array of this many bytes.
    pub huge_models: Option<usize>,
}

/// The provider's task states, in order (its `ProgressState`).
pub const STATES: [&str; 9] = [
    "Init",
    "SettingUp",
    "SetUp",
    "Training",
    "Trained",
    "Delivering",
    "Delivered",
    "UserAcknowledged",
    "Finished",
];

/// The hash a 0G fine-tuning provider checks a task's signature against
/// (its `getHash`): keccak256 of the user's 20 bytes, the nonce as 32
/// bytes, the bytes of the `datasetHash` string as received and the fee as
/// 32 bytes, then the EIP-191 prefix for a 32-byte message.
pub fn provider_digest(user: Address, nonce: U256, dataset_hash: &str, fee: U256) -> B256 {
    let mut buf = user.to_vec();
    buf.extend_from_slice(&nonce.to_be_bytes::<32>());
    buf.extend_from_slice(dataset_hash.as_bytes());
    buf.extend_from_slice(&fee.to_be_bytes::<32>());
    let mut prefixed = b"\x19Ethereum Signed Message:\n32".to_vec();
    prefixed.extend_from_slice(keccak256(buf).as_slice());
    keccak256(prefixed)
}

/// The address that signed `hash` (65 bytes r ‖ s ‖ v, v = 27 or 28), as
/// the provider recovers it.
pub fn recover(hash: B256, sig: &str) -> Option<Address> {
    let bytes = alloy_primitives::hex::decode(sig).ok()?;
    if bytes.len() != 65 {
        return None;
    }
    let sig = k256::ecdsa::Signature::from_slice(&bytes[..64]).ok()?;
    let rec = k256::ecdsa::RecoveryId::from_byte(bytes[64].checked_sub(27)?)?;
    let key = k256::ecdsa::VerifyingKey::recover_from_prehash(hash.as_slice(), &sig, rec).ok()?;
    Some(Address::from_public_key(&key))
}

/// Starts a fake broker.
pub fn broker() -> (Server, Arc<Mutex<BrokerState>>) {
    let state = Arc::new(Mutex::new(BrokerState::default()));
    let s = state.clone();
    let server = Server::start(Arc::new(move |req: Request| {
        let mut st = s.lock().unwrap();
        let parts: Vec<&str> = req.path.trim_start_matches('/').split('/').collect();
        match (req.method.as_str(), parts.as_slice()) {
            ("GET", ["v1", "model"]) if st.huge_models.is_some() => {
                let n = st.huge_models.unwrap_or(0);
                let one = br#"{"name":"m","hash":"0x5151515151515151515151515151515151515151515151515151515151515151"},"#;
                let mut body = b"[".to_vec();
                while body.len() + one.len() + 200 < n {
                    body.extend_from_slice(one);
                }
                body.extend_from_slice(&one[..one.len() - 1]);
                body.push(b']');
                Reply::Bytes(200, body)
            }
            ("GET", ["v1", "model"]) => Reply::Json(
                200,
                json!([
                    {"name": "Qwen2.5-0.5B-Instruct", "hash": B256::repeat_byte(0x51), "dataType": "text", "description": "instruct model"},
                    {"name": "mobilenet_v2", "hash": B256::repeat_byte(0x52), "dataType": "image", "description": "image classifier"}
                ]),
            ),
            ("GET", ["v1", "quote"]) => Reply::Json(
                200,
                json!({"quote": "0xabcdef", "provider_signer": Address::repeat_byte(0x77)}),
            ),
            ("POST", ["v1", "user", user, "task"]) => {
                let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
                    return Reply::Json(400, json!({"error": "bad json"}));
                };
                let user: Address = user.parse().unwrap_or_default();
                let field = |k: &str| body[k].as_str().unwrap_or_default().to_string();
                let (Ok(fee), Ok(nonce)) =
                    (field("fee").parse::<U256>(), field("nonce").parse::<U256>())
                else {
                    return Reply::Json(400, json!({"error": "fee and nonce must be decimal"}));
                };
                let digest = provider_digest(user, nonce, &field("datasetHash"), fee);
                if recover(digest, &field("signature")) != Some(user)
                    || field("userAddress").parse::<Address>().ok() != Some(user)
                {
                    return Reply::Json(401, json!({"error": "invalid signature"}));
                }
                if st.nonces.get(&user).is_some_and(|n| nonce <= *n) {
                    return Reply::Json(400, json!({"error": "nonce already used"}));
                }
                let dataset: B256 = field("datasetHash").parse().unwrap_or_default();
                if !st.datasets.contains(&dataset) {
                    return Reply::Json(400, json!({"error": "dataset not found in storage"}));
                }
                st.nonces.insert(user, nonce);
                let mut task = body.clone();
                task["id"] = json!(format!("task-{}", st.tasks.len() + 1));
                task["progress"] = json!("Init");
                let fail = st.fail_at;
                st.tasks.push((task.clone(), 0, fail));
                Reply::Json(200, task)
            }
            ("GET", ["v1", "user", _, "task", id, rest @ ..]) => {
                let (frozen, regress, output) = (st.frozen, st.regress_at, st.output);
                let Some(t) = st.tasks.iter_mut().find(|t| t.0["id"] == *id) else {
                    return Reply::Json(404, json!({"error": "task not found"}));
                };
                if rest == ["log"] {
                    let mut log = String::new();
                    for s in &STATES[..=t.1.min(8)] {
                        let _ = writeln!(log, "state {s}");
                    }
                    if t.2.is_some() {
                        log.push_str("training: CUDA out of memory\n");
                    }
                    return Reply::Bytes(200, log.into_bytes());
                }
                let state = if t.2 == Some(t.1) {
                    "Failed".to_string()
                } else if regress == Some(t.1) {
                    STATES[t.1 - 2].to_string()
                } else {
                    STATES[t.1].to_string()
                };
                let mut v = t.0.clone();
                v["progress"] = json!(state);
                if t.1 >= 6 {
                    v["outputRootHash"] = json!(output.unwrap_or(B256::repeat_byte(0x0f)));
                }
                if !frozen && t.2 != Some(t.1) && t.1 < 8 {
                    t.1 += 1;
                }
                Reply::Json(200, v)
            }
            _ => Reply::Json(404, json!({"error": "no route"})),
        }
    }));
    (server, state)
}
