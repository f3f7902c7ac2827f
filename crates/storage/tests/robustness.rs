//! What a storage node, a disk or a folder can do to fool or break the
//! store (issue #18, items 8, 10, 11): each case is refused or repaired.
#![allow(missing_docs)]

use std::path::PathBuf;

use labelmint_storage::{
    build_manifest, root_of_bytes, segments, verify_segment, LocalStore, ManifestError,
    SegmentTree, SEGMENT_SIZE,
};

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 13 % 251) as u8).collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("labelmint-robust-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn segment(d: &[u8], i: u64) -> &[u8] {
    let start = (i * SEGMENT_SIZE) as usize;
    &d[start..(start + SEGMENT_SIZE as usize).min(d.len())]
}

#[test]
fn a_genuine_segment_and_proof_cannot_pass_as_another_index() {
    let d = data(5 * SEGMENT_SIZE as usize + 1_000);
    let size = d.len() as u64;
    let tree = SegmentTree::build(&mut &d[..], size).unwrap();
    let root = tree.root();
    for (real, claimed) in [(2u64, 1u64), (1, 0), (3, 2), (0, 3)] {
        let mut proof = tree.proof(real).unwrap();
        assert!(verify_segment(root, size, segment(&d, real), &proof));
        proof.index = claimed;
        assert!(
            !verify_segment(root, size, segment(&d, real), &proof),
            "segment {real} accepted as segment {claimed}"
        );
    }
}

#[test]
fn proofs_of_the_wrong_length_or_direction_are_refused() {
    let d = data(5 * SEGMENT_SIZE as usize + 1_000);
    let size = d.len() as u64;
    let tree = SegmentTree::build(&mut &d[..], size).unwrap();
    let mut short = tree.proof(4).unwrap();
    short.path.pop();
    assert!(!verify_segment(tree.root(), size, segment(&d, 4), &short));
    let mut flipped = tree.proof(4).unwrap();
    flipped.path[0].1 = !flipped.path[0].1;
    assert!(!verify_segment(tree.root(), size, segment(&d, 4), &flipped));
}

#[test]
fn padding_only_segments_are_refused_without_panicking() {
    // 16 segments + 1 byte: 17 data segments in a tree of 18.
    let d = data(4_194_305);
    let size = d.len() as u64;
    assert_eq!(segments(size), 18);
    let tree = SegmentTree::build(&mut &d[..], size).unwrap();
    let proof = tree.proof(17).unwrap();
    assert!(!verify_segment(tree.root(), size, &[], &proof));
    let last = tree.proof(16).unwrap();
    assert!(verify_segment(tree.root(), size, segment(&d, 16), &last));
}

#[test]
fn put_repairs_a_corrupt_object() {
    let dir = scratch("repair");
    let store = LocalStore::open(&dir).unwrap();
    let bytes = data(10_000);
    let root = store.put(&bytes).unwrap();
    let object = dir.join(format!("{root:x}"));
    let mut broken = std::fs::read(&object).unwrap();
    broken[5] ^= 0xff;
    std::fs::write(&object, &broken).unwrap();
    assert!(store.get(&root).is_err(), "the damage is detected on read");
    assert_eq!(store.put(&bytes).unwrap(), root);
    assert_eq!(
        store.get(&root).unwrap(),
        bytes,
        "and repaired by the next put"
    );
    std::fs::write(&object, b"").unwrap();
    let source = dir.join("source.bin");
    std::fs::write(&source, &bytes).unwrap();
    assert_eq!(store.put_file(&source).unwrap(), root);
    assert_eq!(store.get(&root).unwrap(), bytes);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn concurrent_puts_of_one_object_all_succeed() {
    let dir = scratch("concurrent");
    let store = LocalStore::open(&dir).unwrap();
    let bytes = data(300_000);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    for _ in 0..4 {
                        store.put(&bytes).unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    });
    assert_eq!(store.get(&root_of_bytes(&bytes).unwrap()).unwrap(), bytes);
    let leftovers = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")
        })
        .count();
    assert_eq!(leftovers, 0, "no temporary file is left behind");
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(unix)]
#[test]
fn manifests_do_not_follow_symlinks_out_of_the_folder() {
    let outside = scratch("outside");
    std::fs::write(outside.join("secret.txt"), b"private key material").unwrap();
    let dir = scratch("links");
    std::fs::write(dir.join("a.txt"), b"a task").unwrap();
    std::os::unix::fs::symlink(outside.join("secret.txt"), dir.join("leak.txt")).unwrap();
    let err = build_manifest(&dir, None).unwrap_err();
    assert!(
        matches!(err, ManifestError::OutsideFolder(ref p) if p.ends_with("leak.txt")),
        "{err}"
    );
    std::fs::remove_file(dir.join("leak.txt")).unwrap();
    // A link inside the folder is fine; a link to a parent folder (a loop)
    // is not followed at all.
    std::os::unix::fs::symlink(dir.join("a.txt"), dir.join("b.txt")).unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("sub").join("loop")).unwrap();
    let (m, _) = build_manifest(&dir, None).unwrap();
    let paths: Vec<&str> = m.tasks.iter().map(|t| t.path.as_str()).collect();
    assert_eq!(paths, ["a.txt", "b.txt"]);
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(outside);
}
