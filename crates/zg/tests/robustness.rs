//! What a storage node or a broker can send to crash, stall or fool the 0G
//! clients (issue #18, items 7, 8, 9), against the fake servers.

mod fake;

use std::time::Duration;

use labelmint_storage::{root_of_bytes, SEGMENT_SIZE};
use labelmint_zg::{
    finetune::Broker,
    node::StorageNode,
    transfer::{download, upload, Indexer, UploadOptions},
    Retry, ZgError,
};

fn retry() -> Retry {
    Retry {
        attempts: 2,
        timeout: Duration::from_secs(30),
        backoff: Duration::from_millis(10),
    }
}

fn options() -> UploadOptions {
    UploadOptions {
        batch: 4,
        wait: Duration::from_secs(5),
        poll: Duration::from_millis(20),
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 253) as u8 | 1).collect()
}

/// Uploads `len` bytes to a fresh fake node and downloads them back.
fn round_trip(len: usize) -> Result<(), String> {
    let (server, state) = fake::zg_node();
    let d = data(len);
    let root = root_of_bytes(&d).unwrap();
    state.lock().unwrap().submit(root, len as u64);
    let node = StorageNode::new(&server.url, retry());
    let rt = rt();
    let report = rt
        .block_on(upload(&node, &d, &options(), |_, _| {}))
        .map_err(|e| format!("{len} bytes: upload: {e}"))?;
    if report.segments != (len as u64).div_ceil(SEGMENT_SIZE) {
        return Err(format!("{len} bytes: {} segments", report.segments));
    }
    if !state.lock().unwrap().files[&root].finalized {
        return Err(format!("{len} bytes: not finalized"));
    }
    let back = rt
        .block_on(download(&node, root, len as u64, |_, _| {}))
        .map_err(|e| format!("{len} bytes: download: {e}"))?;
    if back != d {
        return Err(format!("{len} bytes: different bytes back"));
    }
    Ok(())
}

#[test]
fn every_size_class_round_trips_at_segment_and_padding_boundaries() {
    const SEG: usize = SEGMENT_SIZE as usize;
    // Below, at and above a chunk, a segment, and the sizes where the
    // padded tree has more segments than the data (16 segments + 1 byte:
    // 17 data segments in a tree of 18; 17 and 18 segments exactly; 18 + 1).
    let sizes = [
        1,
        255,
        256,
        257,
        SEG - 1,
        SEG,
        SEG + 1,
        3 * SEG + 17,
        16 * SEG,
        16 * SEG + 1,
        17 * SEG,
        17 * SEG + 1,
        18 * SEG,
        18 * SEG + 1,
    ];
    // Each size is independent: run them all, report every failure.
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = sizes
            .iter()
            .map(|&len| s.spawn(move || round_trip(len)))
            .collect();
        handles
            .into_iter()
            .filter_map(|h| match h.join() {
                Ok(r) => r.err(),
                Err(_) => Some("a size panicked".to_string()),
            })
            .collect()
    });
    assert!(failures.is_empty(), "{failures:#?}");
}

fn uploaded(
    len: usize,
) -> (
    fake::Server,
    std::sync::Arc<std::sync::Mutex<fake::ZgState>>,
    Vec<u8>,
) {
    let (server, state) = fake::zg_node();
    let d = data(len);
    let root = root_of_bytes(&d).unwrap();
    state.lock().unwrap().submit(root, len as u64);
    let node = StorageNode::new(&server.url, retry());
    rt().block_on(upload(&node, &d, &options(), |_, _| {}))
        .unwrap();
    (server, state, d)
}

#[test]
fn a_node_serving_another_segment_with_its_genuine_proof_is_refused() {
    let (server, state, d) = uploaded(5 * SEGMENT_SIZE as usize + 1_000);
    let root = root_of_bytes(&d).unwrap();
    let node = StorageNode::new(&server.url, retry());
    // Every answer is segment i+1 (genuine data, genuine proof) labelled i.
    state.lock().unwrap().swap_next = 1_000;
    let err = rt()
        .block_on(download(&node, root, d.len() as u64, |_, _| {}))
        .unwrap_err();
    assert!(matches!(err, ZgError::Verification { .. }), "{err}");
}

#[test]
fn the_size_comes_from_the_trusted_record_not_the_node() {
    // 1,000 bytes: the node may claim 1,024 (same chunk count, so the root
    // does not tell the 24 extra zero bytes apart).
    let (server, state, d) = uploaded(1_000);
    let root = root_of_bytes(&d).unwrap();
    assert_eq!(
        root,
        root_of_bytes(&[d.clone(), vec![0; 24]].concat()).unwrap()
    );
    let node = StorageNode::new(&server.url, retry());
    state.lock().unwrap().lie_size = Some(1_024);
    let err = rt()
        .block_on(download(&node, root, 1_000, |_, _| {}))
        .unwrap_err();
    assert!(matches!(err, ZgError::Verification { .. }), "{err}");
    state.lock().unwrap().lie_size = None;
    assert_eq!(
        rt().block_on(download(&node, root, 1_000, |_, _| {}))
            .unwrap(),
        d
    );
    // A size over the cap is refused before anything is fetched.
    let err = rt()
        .block_on(download(
            &node,
            root,
            labelmint_storage::MAX_FILE_SIZE + 1,
            |_, _| {},
        ))
        .unwrap_err();
    assert!(matches!(err, ZgError::Verification { .. }), "{err}");
    // The gateway's body is read up to the trusted size, not beyond.
    let err = rt()
        .block_on(Indexer::new(&server.url, retry()).file(root, Some(999)))
        .unwrap_err();
    assert!(matches!(err, ZgError::TooLarge { limit: 999, .. }), "{err}");
}

#[test]
fn oversized_broker_answers_are_refused_while_streaming() {
    let (server, state) = fake::broker();
    let broker = Broker::new(&server.url, retry());
    state.lock().unwrap().huge_models = Some(labelmint_zg::MAX_JSON_BODY + 1_000);
    let err = rt().block_on(broker.models()).unwrap_err();
    assert!(matches!(err, ZgError::TooLarge { .. }), "{err}");
    state.lock().unwrap().huge_models = Some(10_000);
    assert!(rt().block_on(broker.models()).unwrap().len() > 10);
}
