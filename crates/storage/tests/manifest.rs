//! Folders of raw data become task manifests whose root is the job's data
//! root: real image sizes, one task per text file or JSONL line, the same
//! bytes every time, clear errors for bad input.
#![allow(missing_docs)]

use std::path::PathBuf;

use labelmint_storage::{build_manifest, DataKind, LocalStore, ManifestError};

/// A PNG header (signature + IHDR) of the given size; enough for a size
/// reader, and a valid-looking file for a labeller.
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
    b.extend_from_slice(b"IHDR");
    b.extend_from_slice(&width.to_be_bytes());
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    b
}

fn folder(name: &str, files: &[(&str, Vec<u8>)]) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("labelmint-manifest-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (rel, bytes) in files {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    dir
}

#[test]
fn images_get_their_real_sizes_in_path_order() {
    let dir = folder(
        "img",
        &[
            ("b/2.png", png(1920, 1080)),
            ("a.PNG", png(640, 480)),
            ("c.png", png(1, 7)),
            (".hidden.png", png(5, 5)),
            ("notes.md", b"ignored".to_vec()),
        ],
    );
    let (m, root) = build_manifest(&dir, None).unwrap();
    assert_eq!(m.kind, DataKind::Image);
    let got: Vec<(u32, &str, Option<u32>, Option<u32>)> = m
        .tasks
        .iter()
        .map(|t| (t.index, t.path.as_str(), t.width, t.height))
        .collect();
    assert_eq!(
        got,
        [
            (0, "a.PNG", Some(640), Some(480)),
            (1, "b/2.png", Some(1920), Some(1080)),
            (2, "c.png", Some(1), Some(7))
        ]
    );
    assert_eq!(
        m.tasks[0].root,
        labelmint_storage::root_of_bytes(&png(640, 480)).unwrap()
    );
    assert_eq!(root, m.root().unwrap());
    // Deterministic: the same folder gives the same bytes and root.
    let (again, root2) = build_manifest(&dir, None).unwrap();
    assert_eq!((again.to_bytes(), root2), (m.to_bytes(), root));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn text_files_and_jsonl_lines_become_tasks_and_are_stored() {
    let dir = folder(
        "txt",
        &[
            ("a.txt", b"the cat sat".to_vec()),
            (
                "b.jsonl",
                b"{\"text\":\"one\"}\n\n{\"text\":\"two\"}\r\n".to_vec(),
            ),
        ],
    );
    let store_dir = dir.join(".store");
    let store = LocalStore::open(&store_dir).unwrap();
    let (m, root) = build_manifest(&dir, Some(&store)).unwrap();
    assert_eq!(m.kind, DataKind::Text);
    let paths: Vec<&str> = m.tasks.iter().map(|t| t.path.as_str()).collect();
    assert_eq!(paths, ["a.txt", "b.jsonl#1", "b.jsonl#3"]);
    assert_eq!(store.get(&m.tasks[2].root).unwrap(), b"{\"text\":\"two\"}");
    // The manifest itself is served under the data root.
    let stored = store.get(&root).unwrap();
    assert_eq!(
        serde_json::from_slice::<labelmint_storage::Manifest>(&stored).unwrap(),
        m
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_folders_get_clear_errors() {
    let missing = std::env::temp_dir().join("labelmint-no-such-folder");
    assert!(matches!(
        build_manifest(&missing, None),
        Err(ManifestError::NotAFolder(_))
    ));
    let empty = folder("empty", &[("readme.md", b"x".to_vec())]);
    assert!(matches!(
        build_manifest(&empty, None),
        Err(ManifestError::Empty(_))
    ));
    let mixed = folder("mixed", &[("a.png", png(2, 2)), ("b.txt", b"x".to_vec())]);
    assert!(matches!(
        build_manifest(&mixed, None),
        Err(ManifestError::Mixed(_))
    ));
    let corrupt = folder(
        "corrupt",
        &[("a.png", png(2, 2)), ("b.jpg", b"not a jpeg".to_vec())],
    );
    let err = build_manifest(&corrupt, None).unwrap_err();
    assert!(matches!(err, ManifestError::BadImage { .. }), "{err}");
    assert!(err.to_string().contains("b.jpg"));
    let bad_line = folder("badline", &[("a.jsonl", b"{\"ok\":1}\n{oops\n".to_vec())]);
    let err = build_manifest(&bad_line, None).unwrap_err();
    assert!(
        matches!(err, ManifestError::BadJsonLine { line: 2, .. }),
        "{err}"
    );
    for d in [empty, mixed, corrupt, bad_line] {
        let _ = std::fs::remove_dir_all(d);
    }
}
