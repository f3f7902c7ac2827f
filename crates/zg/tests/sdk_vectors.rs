//! The client against vectors made by 0G's own TypeScript SDKs, which share
//! no code with it:
//!
//! - `tests/fixtures/zg-proofs.json` (`scripts/zg/proof-vectors.mjs`,
//!   `@0glabs/0g-ts-sdk`): every segment proof of ten files, what the SDK's
//!   uploader sends for every data segment, and chunk proofs inside
//!   segments;
//! - `tests/fixtures/zg-broker.json` (`scripts/zg/broker-vectors.mjs`,
//!   `@0glabs/0g-serving-broker`): fine-tuning task digests and signatures,
//!   and the whole task body the SDK posts.
//!
//! The fake node's and broker's own checks (`fake::spec`,
//! `fake::provider_digest`) are held to the same vectors, so the client and
//! the servers it is tested against are each anchored to the SDKs.

mod fake;

use std::time::Duration;

use alloy_primitives::{hex, keccak256, Address, B256, U256};
use base64::Engine;
use k256::ecdsa::SigningKey;
use labelmint_storage::{segment_leaf, verify_segment, SegmentTree, CHUNK_SIZE};
use labelmint_zg::{
    finetune::{
        address_of, dataset_hash_text, personal_sign, request_digest, task_body, task_digest,
        TaskRequest,
    },
    node::{encode, Proof, SegmentWithProof, StorageNode},
    transfer::{upload, verify_wire_segment, UploadOptions},
    Retry,
};
use serde_json::{json, Value};

fn proofs() -> Value {
    serde_json::from_str(include_str!("../../../tests/fixtures/zg-proofs.json")).unwrap()
}

fn broker_vectors() -> Value {
    serde_json::from_str(include_str!("../../../tests/fixtures/zg-broker.json")).unwrap()
}

/// The fixture's file bytes: `(i * 31 + 7) & 255`.
fn pattern(size: usize) -> Vec<u8> {
    (0..size).map(|i| ((i * 31 + 7) & 255) as u8).collect()
}

fn size_of(file: &Value) -> usize {
    usize::try_from(file["size"].as_u64().unwrap()).unwrap()
}

fn files() -> Vec<Value> {
    let all = proofs();
    assert!(all["generator"]
        .as_str()
        .unwrap()
        .starts_with("@0glabs/0g-ts-sdk"));
    all["files"].as_array().unwrap().clone()
}

fn b256(v: &Value) -> B256 {
    v.as_str().unwrap().parse().unwrap()
}

fn lemma_path(proof: &Value) -> (Vec<B256>, Vec<bool>) {
    (
        proof["lemma"]
            .as_array()
            .unwrap()
            .iter()
            .map(b256)
            .collect(),
        proof["path"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_bool().unwrap())
            .collect(),
    )
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn segment_proofs_equal_the_0g_sdk_for_every_leaf_of_every_size() {
    let files = files();
    assert_eq!(files.len(), 10);
    let mut checked = 0;
    for file in &files {
        let size = size_of(file);
        let data = pattern(size);
        let tree = SegmentTree::build(&mut &data[..], size as u64).unwrap();
        let root = tree.root();
        assert_eq!(root, b256(&file["root"]), "root of {size} bytes");
        assert_eq!(
            tree.roots.len() as u64,
            file["treeSegments"].as_u64().unwrap()
        );
        assert_eq!(
            labelmint_storage::data_segments(size as u64),
            file["dataSegments"].as_u64().unwrap(),
            "data segments of {size} bytes"
        );
        for seg in file["segments"].as_array().unwrap() {
            let index = seg["index"].as_u64().unwrap();
            let leaf = tree.roots[index as usize];
            assert_eq!(leaf, b256(&seg["leaf"]), "leaf {index} of {size} bytes");
            let ours = Proof::from_segment(&tree.proof(index).unwrap(), leaf, root);
            assert_eq!(
                serde_json::to_value(&ours).unwrap(),
                seg["proof"],
                "proof of segment {index} of {size} bytes"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 56, "every leaf of the ten files");
}

#[test]
fn chunk_proofs_inside_segments_equal_the_0g_sdk() {
    let mut checked = 0;
    for file in files() {
        let size = size_of(&file);
        let data = pattern(size);
        for case in file["chunks"].as_array().unwrap() {
            let segment = usize::try_from(case["segment"].as_u64().unwrap()).unwrap();
            let chunks = usize::try_from(case["chunks"].as_u64().unwrap()).unwrap();
            let start = (segment * 262_144).min(size);
            let end = (start + 262_144).min(size);
            // The client's segment root is the chunk tree's root.
            let root = segment_leaf(size as u64, segment as u64, &data[start..end]);
            assert_eq!(
                root,
                b256(&case["root"]),
                "segment {segment} of {size} bytes"
            );
            let mut bytes = data[start..end].to_vec();
            bytes.resize(chunks * CHUNK_SIZE as usize, 0);
            let leaves = SegmentTree {
                roots: bytes.chunks(CHUNK_SIZE as usize).map(keccak256).collect(),
            };
            assert_eq!(leaves.root(), root);
            for p in case["proofs"].as_array().unwrap() {
                let j = p["index"].as_u64().unwrap();
                let ours =
                    Proof::from_segment(&leaves.proof(j).unwrap(), leaves.roots[j as usize], root);
                let want = json!({"lemma": p["lemma"], "path": p["path"]});
                assert_eq!(
                    serde_json::to_value(&ours).unwrap(),
                    want,
                    "chunk {j} of segment {segment} of {size} bytes"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 1 + 1 + 5 + 7 + 7 + 7);
}

#[test]
fn the_uploader_sends_what_the_0g_sdk_uploader_sends() {
    let rt = rt();
    for file in files() {
        let size = size_of(&file);
        let data = pattern(size);
        let (server, state) = fake::zg_node();
        let root = b256(&file["root"]);
        state.lock().unwrap().submit(root, size as u64);
        let node = StorageNode::new(
            &server.url,
            Retry {
                attempts: 2,
                timeout: Duration::from_secs(30),
                backoff: Duration::from_millis(5),
            },
        );
        let options = UploadOptions {
            batch: 4,
            wait: Duration::from_secs(5),
            poll: Duration::from_millis(5),
        };
        rt.block_on(upload(&node, &data, &options, |_, _| {}))
            .unwrap();
        let received = state.lock().unwrap().received.clone();
        let expected: Vec<&Value> = file["segments"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["upload"].as_object().map(|_| &s["upload"]))
            .collect();
        assert_eq!(
            received.len(),
            expected.len(),
            "segments sent for {size} bytes"
        );
        for (sent, sdk) in received.iter().zip(expected) {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(sent["data"].as_str().unwrap())
                .unwrap();
            let what = format!("segment {} of {size} bytes", sdk["index"]);
            assert_eq!(sent["root"], sdk["root"], "{what}");
            assert_eq!(sent["index"], sdk["index"], "{what}");
            assert_eq!(sent["fileSize"], sdk["fileSize"], "{what}");
            assert_eq!(sent["proof"], sdk["proof"], "{what}");
            assert_eq!(
                bytes.len() as u64,
                sdk["dataLength"].as_u64().unwrap(),
                "{what}"
            );
            assert_eq!(keccak256(&bytes), b256(&sdk["dataKeccak256"]), "{what}");
        }
        assert!(state.lock().unwrap().files[&root].finalized);
    }
}

/// Every way a proof can be bent: each flag flipped, each hash altered, the
/// index moved, and the bytes changed.
fn tampered(lemma: &[B256], path: &[bool]) -> Vec<(String, Vec<B256>, Vec<bool>)> {
    let mut out = Vec::new();
    for k in 0..path.len() {
        let mut p = path.to_vec();
        p[k] = !p[k];
        out.push((format!("flag {k} flipped"), lemma.to_vec(), p));
    }
    for k in 0..lemma.len() {
        let mut l = lemma.to_vec();
        l[k].0[31] ^= 1;
        out.push((format!("hash {k} altered"), l, path.to_vec()));
    }
    out
}

#[test]
fn sdk_proofs_pass_both_verifiers_and_every_tampering_fails_both() {
    let mut refused = 0;
    for file in files() {
        let size = size_of(&file);
        let data = pattern(size);
        let root = b256(&file["root"]);
        let tree_segments = file["treeSegments"].as_u64().unwrap();
        for seg in file["segments"].as_array().unwrap() {
            if seg["upload"].is_null() {
                continue; // padding-only: never sent
            }
            let index = usize::try_from(seg["index"].as_u64().unwrap()).unwrap();
            let start = index * 262_144;
            let raw = &data[start..(start + 262_144).min(size)];
            let mut wire = raw.to_vec();
            wire.resize(fake::spec::wire_len(size, index), 0);
            let (lemma, path) = lemma_path(&seg["proof"]);
            // What the client's download does with a served segment.
            let download = |lemma: &[B256], path: &[bool], index: usize, wire: &[u8]| {
                let served = SegmentWithProof {
                    root,
                    data: encode(wire),
                    index: index as u64,
                    proof: Proof {
                        lemma: lemma.to_vec(),
                        path: path.to_vec(),
                    },
                    file_size: size as u64,
                };
                verify_wire_segment(root, size as u64, index as u64, &served)
            };
            let client = |lemma: &[B256], path: &[bool], index: usize, wire: &[u8]| {
                download(lemma, path, index, wire).is_ok()
            };
            let node = |lemma: &[B256], path: &[bool], index: usize, bytes: &[u8]| {
                fake::spec::check_upload(root, size, index, bytes, lemma, path).is_ok()
            };
            let what = format!("segment {index} of {size} bytes");
            assert_eq!(
                download(&lemma, &path, index, &wire).as_deref(),
                Ok(raw),
                "client refuses the SDK's {what}"
            );
            // The storage crate's verifier on the unpadded bytes.
            let (sp, _, _) = Proof {
                lemma: lemma.clone(),
                path: path.clone(),
            }
            .to_segment(index as u64, tree_segments)
            .unwrap();
            assert!(verify_segment(root, size as u64, raw, &sp));
            assert!(
                node(&lemma, &path, index, &wire),
                "fake node refuses the SDK's {what}"
            );
            for (how, l, p) in tampered(&lemma, &path) {
                assert!(
                    !client(&l, &p, index, &wire),
                    "client accepts {what} with {how}"
                );
                assert!(
                    !node(&l, &p, index, &wire),
                    "fake node accepts {what} with {how}"
                );
                refused += 1;
            }
            let mut bad_wire = wire.clone();
            bad_wire[0] ^= 1;
            assert!(
                !client(&lemma, &path, index, &bad_wire),
                "client accepts altered bytes"
            );
            assert!(
                !node(&lemma, &path, index, &bad_wire),
                "fake node accepts altered bytes"
            );
            let data_segments = fake::spec::data_segments(size);
            if data_segments > 1 {
                let other = (index + 1) % data_segments;
                assert!(
                    !client(&lemma, &path, other, &wire),
                    "client moves {what} to {other}"
                );
                assert!(
                    !node(&lemma, &path, other, &wire),
                    "fake node moves {what} to {other}"
                );
            }
            refused += 2;
        }
    }
    assert!(refused > 500, "{refused} tamperings refused");
}

#[test]
fn the_fake_node_builds_the_sdk_proofs_with_its_own_tree() {
    for file in files() {
        let size = size_of(&file);
        let tree = fake::spec::file_tree(&pattern(size));
        assert_eq!(tree.root(), b256(&file["root"]), "{size} bytes");
        assert_eq!(
            fake::spec::tree_segments(size) as u64,
            file["treeSegments"].as_u64().unwrap()
        );
        for seg in file["segments"].as_array().unwrap() {
            let index = usize::try_from(seg["index"].as_u64().unwrap()).unwrap();
            let (lemma, path) = tree.proof(index);
            assert_eq!(
                json!({"lemma": lemma, "path": path}),
                seg["proof"],
                "segment {index} of {size} bytes"
            );
        }
    }
}

fn signing_key(hex_key: &Value) -> SigningKey {
    SigningKey::from_slice(&hex::decode(hex_key.as_str().unwrap()).unwrap()).unwrap()
}

fn u256(v: &Value) -> U256 {
    v.as_str().unwrap().parse().unwrap()
}

#[test]
fn task_digests_and_signatures_equal_the_0g_serving_broker_sdk() {
    let all = broker_vectors();
    assert!(all["generator"]
        .as_str()
        .unwrap()
        .starts_with("@0glabs/0g-serving-broker"));
    let vectors = all["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 9);
    let mut full_length = 0;
    for v in vectors {
        let key = signing_key(&v["key"]);
        let user = address_of(&key);
        assert_eq!(user.to_checksum(None), v["user"].as_str().unwrap());
        let dataset = v["datasetHash"].as_str().unwrap();
        let digest = request_digest(user, u256(&v["nonce"]), dataset, u256(&v["fee"]));
        assert_eq!(digest, b256(&v["digest"]), "{v}");
        // The fake provider's digest is the same, computed on its own.
        assert_eq!(
            fake::provider_digest(user, u256(&v["nonce"]), dataset, u256(&v["fee"])),
            alloy_primitives::eip191_hash_message(digest)
        );
        if v["signedMessage"] == v["digest"] {
            assert_eq!(
                personal_sign(&key, digest),
                v["signature"].as_str().unwrap(),
                "{v}"
            );
            full_length += 1;
        }
        // Through the TaskRequest path when the text is ours (lowercase).
        if let Ok(hash) = dataset.parse::<B256>() {
            if dataset_hash_text(hash) == dataset {
                let r = TaskRequest {
                    pre_trained_model_hash: B256::ZERO,
                    dataset_hash: hash,
                    training_params: String::new(),
                    fee: u256(&v["fee"]),
                    nonce: u256(&v["nonce"]),
                };
                assert_eq!(task_digest(user, &r), digest);
            }
        }
    }
    assert_eq!(full_length, 8, "all but the leading-zero vector");
}

#[test]
fn the_dataset_hash_is_signed_as_text_so_its_case_matters() {
    let all = broker_vectors();
    let v = &all["vectors"].as_array().unwrap()[6..8];
    assert_eq!(
        v[0]["datasetHash"].as_str().unwrap().to_lowercase(),
        v[1]["datasetHash"].as_str().unwrap().to_lowercase()
    );
    assert_ne!(
        v[0]["digest"], v[1]["digest"],
        "same hash, other text, other digest"
    );
    let hash: B256 = v[0]["datasetHash"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        dataset_hash_text(hash),
        v[0]["datasetHash"].as_str().unwrap()
    );
}

#[test]
fn a_digest_starting_with_a_zero_byte_is_signed_whole_as_the_provider_verifies() {
    let all = broker_vectors();
    let v = &all["vectors"][8];
    let digest = b256(&v["digest"]);
    assert_eq!(digest[0], 0, "the vector this test is about");
    // The SDK signed the digest without its leading zero (31 bytes) ...
    let short = hex::decode(v["signedMessage"].as_str().unwrap()).unwrap();
    assert_eq!(short, digest[1..]);
    let key = signing_key(&v["key"]);
    let user = address_of(&key);
    let sdk_sig = v["signature"].as_str().unwrap();
    let sdk_bytes = hex::decode(sdk_sig).unwrap();
    let sdk = alloy_primitives::Signature::from_raw(&sdk_bytes).unwrap();
    assert_eq!(sdk.recover_address_from_msg(&short).unwrap(), user);
    // ... which the provider, hashing the 32-byte form, refuses ...
    let provider = fake::provider_digest(
        user,
        u256(&v["nonce"]),
        v["datasetHash"].as_str().unwrap(),
        u256(&v["fee"]),
    );
    assert_ne!(fake::recover(provider, sdk_sig), Some(user));
    // ... while the client's signature of the 32 bytes passes.
    let ours = personal_sign(&key, digest);
    assert_ne!(ours, sdk_sig);
    assert_eq!(fake::recover(provider, &ours), Some(user));
}

#[test]
fn the_task_body_equals_what_the_broker_sdk_posts() {
    let all = broker_vectors();
    let task = &all["task"];
    let body = &task["body"];
    let key = signing_key(&task["key"]);
    let request = TaskRequest {
        pre_trained_model_hash: b256(&body["preTrainedModelHash"]),
        dataset_hash: b256(&body["datasetHash"]),
        training_params: body["trainingParams"].as_str().unwrap().to_string(),
        fee: u256(&body["fee"]),
        nonce: u256(&body["nonce"]),
    };
    assert_eq!(task_body(&key, &request), *body);
    assert_eq!(
        task_digest(address_of(&key), &request),
        b256(&task["digest"])
    );
}

#[test]
fn the_fake_broker_accepts_the_sdk_task_and_refuses_it_altered() {
    let all = broker_vectors();
    let body = all["task"]["body"].clone();
    let user: Address = body["userAddress"].as_str().unwrap().parse().unwrap();
    let post = |body: &Value| {
        let (server, state) = fake::broker();
        state
            .lock()
            .unwrap()
            .datasets
            .push(b256(&body["datasetHash"]));
        rt().block_on(async {
            reqwest::Client::new()
                .post(format!("{}/v1/user/{user}/task", server.url))
                .json(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    assert_eq!(post(&body), 200, "the SDK's own task");
    for (field, value) in [
        ("fee", json!("7001")),
        ("nonce", json!("17357870456780041")),
        ("datasetHash", json!(format!("0x{}", "ab".repeat(32)))),
        (
            "userAddress",
            json!(Address::repeat_byte(1).to_checksum(None)),
        ),
    ] {
        let mut altered = body.clone();
        altered[field] = value;
        assert_eq!(post(&altered), 401, "{field} altered");
    }
    // Unsigned by the real provider: the model and the parameters.
    let mut model = body.clone();
    model["preTrainedModelHash"] = json!(format!("0x{}", "52".repeat(32)));
    model["trainingParams"] = json!("{}");
    assert_eq!(post(&model), 200);
}
