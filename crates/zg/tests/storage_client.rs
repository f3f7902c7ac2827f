//! The 0G storage client against a fake storage node and indexer that
//! implement the published JSON-RPC and REST methods, including failures.

mod fake;

use std::time::Duration;

use alloy_primitives::B256;
use labelmint_storage::{root_of_bytes, SegmentTree, SEGMENT_SIZE};
use labelmint_zg::{
    node::{Proof, StorageNode},
    transfer::{download, upload, Indexer, UploadOptions},
    Retry, Storage, ZgError, ZgStorage,
};

/// Generous timeouts: debug builds on a loaded 2-core machine are slow.
fn retry() -> Retry {
    Retry {
        attempts: 3,
        timeout: Duration::from_secs(10),
        backoff: Duration::from_millis(10),
    }
}

/// Short timeouts for the tests of stalls (the fake stalls 1.5 s).
fn fast() -> Retry {
    Retry {
        attempts: 3,
        timeout: Duration::from_millis(500),
        backoff: Duration::from_millis(10),
    }
}

fn options() -> UploadOptions {
    UploadOptions {
        batch: 2,
        wait: Duration::from_secs(5),
        poll: Duration::from_millis(20),
    }
}

/// 5 full segments and a 1,000-byte tail, deterministic content.
fn file() -> Vec<u8> {
    (0..5 * SEGMENT_SIZE as usize + 1_000)
        .map(|i| (i * 7 % 251) as u8)
        .collect()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn upload_then_download_round_trips_a_multi_segment_file() {
    let (server, state) = fake::zg_node();
    let data = file();
    let root = root_of_bytes(&data).unwrap();
    state.lock().unwrap().submit(root, data.len() as u64);
    let node = StorageNode::new(&server.url, retry());
    let rt = rt();
    let mut seen = Vec::new();
    let report = rt
        .block_on(upload(&node, &data, &options(), |d, t| seen.push((d, t))))
        .unwrap();
    assert_eq!(
        (report.root, report.segments, report.sent, report.calls),
        (root, 6, 6, 3)
    );
    assert_eq!(seen.last(), Some(&(6, 6)));
    assert!(state.lock().unwrap().files[&root].finalized);
    let back = rt
        .block_on(download(&node, root, data.len() as u64, |_, _| {}))
        .unwrap();
    assert_eq!(back, data);
    let via_gateway = rt
        .block_on(Indexer::new(&server.url, retry()).file(root, Some(data.len() as u64)))
        .unwrap();
    assert_eq!(via_gateway, data);
    // A second upload of a finalized file sends nothing.
    let again = rt
        .block_on(upload(&node, &data, &options(), |_, _| {}))
        .unwrap();
    assert_eq!((again.sent, again.calls), (0, 0));
}

#[test]
fn upload_without_a_flow_submission_fails_clearly() {
    let (server, _) = fake::zg_node();
    let data = b"labels".to_vec();
    let node = StorageNode::new(&server.url, retry());
    let err = rt()
        .block_on(upload(&node, &data, &options(), |_, _| {}))
        .unwrap_err();
    assert!(
        matches!(err, ZgError::NotFound(r) if r == root_of_bytes(&data).unwrap()),
        "{err}"
    );
    assert!(err.to_string().contains("Flow submission"));
}

#[test]
fn upload_resumes_after_a_partial_upload_and_from_a_previous_session() {
    let (server, state) = fake::zg_node();
    let data = file();
    let root = root_of_bytes(&data).unwrap();
    let node = StorageNode::new(&server.url, retry());
    {
        let mut st = state.lock().unwrap();
        st.submit(root, data.len() as u64);
        // A previous session stored segments 0..3 before dying.
        let tree = SegmentTree::build(&mut &data[..], data.len() as u64).unwrap();
        assert_eq!(tree.root(), root);
        let f = st.files.get_mut(&root).unwrap();
        for i in 0..3 {
            f.segments[i] =
                Some(data[i * SEGMENT_SIZE as usize..(i + 1) * SEGMENT_SIZE as usize].to_vec());
        }
        // This session's first call is cut after one segment.
        st.partial_next = Some(1);
    }
    let report = rt()
        .block_on(upload(&node, &data, &options(), |_, _| {}))
        .unwrap();
    assert_eq!(report.sent, 3, "only segments 3..6 are sent");
    assert_eq!(
        report.calls, 2,
        "the cut call (3, 4) and the resumed call (4, 5)"
    );
    assert!(state.lock().unwrap().files[&root].finalized);
    assert_eq!(
        rt().block_on(download(&node, root, data.len() as u64, |_, _| {}))
            .unwrap(),
        data
    );
}

#[test]
fn transient_failures_and_timeouts_are_retried_then_reported() {
    let (server, state) = fake::zg_node();
    let data = b"0123456789".repeat(100);
    let root = root_of_bytes(&data).unwrap();
    state.lock().unwrap().submit(root, data.len() as u64);
    let node = StorageNode::new(&server.url, fast());
    let rt = rt();
    state.lock().unwrap().fail_next = 2;
    rt.block_on(upload(&node, &data, &options(), |_, _| {}))
        .unwrap();
    state.lock().unwrap().stall_next = 1;
    assert_eq!(
        rt.block_on(download(&node, root, data.len() as u64, |_, _| {}))
            .unwrap(),
        data
    );
    state.lock().unwrap().fail_next = 10;
    let err = rt
        .block_on(download(&node, root, data.len() as u64, |_, _| {}))
        .unwrap_err();
    match err {
        ZgError::Exhausted { attempts: 3, last } => {
            assert!(matches!(*last, ZgError::Status { status: 503, .. }));
        }
        other => panic!("{other}"),
    }
    state.lock().unwrap().fail_next = 0;
    state.lock().unwrap().stall_next = 10;
    let err = rt.block_on(node.file_info(root, false)).unwrap_err();
    assert!(
        matches!(err, ZgError::Exhausted { last, .. } if matches!(*last, ZgError::Timeout { .. }))
    );
}

#[test]
fn corrupted_segments_are_refetched_and_persistent_corruption_is_refused() {
    let (server, state) = fake::zg_node();
    let data = file();
    let root = root_of_bytes(&data).unwrap();
    state.lock().unwrap().submit(root, data.len() as u64);
    let node = StorageNode::new(&server.url, retry());
    let rt = rt();
    rt.block_on(upload(&node, &data, &options(), |_, _| {}))
        .unwrap();
    state.lock().unwrap().corrupt_next = 1;
    assert_eq!(
        rt.block_on(download(&node, root, data.len() as u64, |_, _| {}))
            .unwrap(),
        data
    );
    state.lock().unwrap().corrupt_next = 100;
    let err = rt
        .block_on(download(&node, root, data.len() as u64, |_, _| {}))
        .unwrap_err();
    assert!(
        matches!(err, ZgError::Verification { segment: 0, .. }),
        "{err}"
    );
    let err = rt
        .block_on(Indexer::new(&server.url, retry()).file(root, Some(data.len() as u64)))
        .unwrap_err();
    assert!(
        matches!(
            err,
            ZgError::Verification {
                segment: u64::MAX,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn unknown_files_and_unreachable_endpoints_are_clear_errors() {
    let (server, _) = fake::zg_node();
    let node = StorageNode::new(&server.url, retry());
    let rt = rt();
    let missing = B256::repeat_byte(9);
    assert!(
        matches!(rt.block_on(download(&node, missing, 10, |_, _| {})).unwrap_err(), ZgError::NotFound(r) if r == missing)
    );
    let err = rt
        .block_on(Indexer::new(&server.url, retry()).file(missing, None))
        .unwrap_err();
    assert!(matches!(err, ZgError::Status { status: 404, .. }), "{err}");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = StorageNode::new(
        &format!("http://127.0.0.1:{port}"),
        Retry {
            attempts: 2,
            ..retry()
        },
    );
    let err = rt.block_on(dead.file_info(missing, false)).unwrap_err();
    assert!(
        matches!(err, ZgError::Exhausted { attempts: 2, ref last } if matches!(**last, ZgError::Unreachable { .. })),
        "{err}"
    );
    assert!(err.to_string().contains(&format!("127.0.0.1:{port}")));
}

#[test]
fn the_node_refuses_a_segment_whose_proof_does_not_match() {
    let (server, state) = fake::zg_node();
    let data = file();
    let root = root_of_bytes(&data).unwrap();
    state.lock().unwrap().submit(root, data.len() as u64);
    let tree = SegmentTree::build(&mut &data[..], data.len() as u64).unwrap();
    let leaf = labelmint_storage::segment_leaf(
        data.len() as u64,
        1,
        &data[SEGMENT_SIZE as usize..2 * SEGMENT_SIZE as usize],
    );
    let proof = Proof::from_segment(&tree.proof(1).unwrap(), leaf, root);
    // Segment 0's bytes with segment 1's proof.
    let seg = labelmint_zg::node::SegmentWithProof {
        root,
        data: labelmint_zg::node::encode(&data[..SEGMENT_SIZE as usize]),
        index: 1,
        proof,
        file_size: data.len() as u64,
    };
    let err = rt()
        .block_on(StorageNode::new(&server.url, retry()).upload_segments(&[seg]))
        .unwrap_err();
    assert!(
        matches!(err, ZgError::Rpc { ref message, .. } if message.contains("invalid segment proof")),
        "{err}"
    );
}

#[test]
fn wire_proofs_round_trip_and_malformed_ones_are_rejected() {
    let data = file();
    let tree = SegmentTree::build(&mut &data[..], data.len() as u64).unwrap();
    for i in 0..6 {
        let p = tree.proof(i).unwrap();
        let leaf = tree.roots[i as usize];
        let wire = Proof::from_segment(&p, leaf, tree.root());
        assert_eq!(wire.lemma.len(), wire.path.len() + 2);
        assert_eq!(wire.to_segment(i, 6), Some((p, leaf, tree.root())));
    }
    let bad = Proof {
        lemma: vec![B256::ZERO; 3],
        path: vec![true, false],
    };
    assert_eq!(bad.to_segment(0, 6), None);
    assert_eq!(Proof::default().to_segment(0, 1), None);
}

#[test]
fn zg_storage_is_a_storage_backend_like_the_local_store() {
    let (server, state) = fake::zg_node();
    let data = b"{\"labels\": [1, 2, 3]}".to_vec();
    let root = root_of_bytes(&data).unwrap();
    state.lock().unwrap().submit(root, data.len() as u64);
    for indexer in [None, Some(server.url.as_str())] {
        let zg = ZgStorage::new(&server.url, indexer, retry(), options()).unwrap();
        let backends: Vec<Box<dyn Storage>> = vec![
            Box::new(zg),
            Box::new(
                labelmint_storage::LocalStore::open(
                    std::env::temp_dir().join(format!("zg-test-{}", std::process::id())),
                )
                .unwrap(),
            ),
        ];
        for b in &backends {
            assert_eq!(b.put(&data).unwrap(), root);
            assert_eq!(b.get(&root).unwrap(), data);
        }
    }
}
