//! Our 0G roots equal those of the official TypeScript SDK
//! (`tests/fixtures/zg-roots.json`, made by `scripts/zg/root-vectors.mjs`)
//! for sizes around every padding and segment boundary, computed by
//! streaming and in memory; the SDK's refusal of an empty file is ours too.
#![allow(missing_docs, clippy::items_after_statements)]

use labelmint_storage::{padded_chunks, root_of_bytes, root_of_reader, segments, StorageError};

#[test]
fn roots_equal_the_0g_typescript_sdk() {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../../../tests/fixtures/zg-roots.json")).unwrap();
    let vectors = fixture["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 10);
    for v in vectors {
        let size = v["size"].as_u64().unwrap();
        let data: Vec<u8> = (0..size).map(|i| ((i * 31 + 7) & 255) as u8).collect();
        match v["root"].as_str() {
            None => assert!(
                matches!(root_of_bytes(&data), Err(StorageError::Empty)),
                "size {size}"
            ),
            Some(expected) => {
                let root = root_of_bytes(&data).unwrap();
                assert_eq!(format!("{root:?}"), expected, "size {size}");
                // Streaming through a reader that hands out odd-sized pieces.
                struct Dribble<'a>(&'a [u8]);
                impl std::io::Read for Dribble<'_> {
                    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                        let n = buf.len().min(self.0.len()).min(7919);
                        buf[..n].copy_from_slice(&self.0[..n]);
                        self.0 = &self.0[n..];
                        Ok(n)
                    }
                }
                assert_eq!(root_of_reader(&mut Dribble(&data), size).unwrap(), root);
                assert_eq!(
                    segments(size),
                    v["segments"].as_u64().unwrap(),
                    "size {size}"
                );
                assert!(padded_chunks(size) >= v["chunks"].as_u64().unwrap());
            }
        }
    }
}

#[test]
fn local_store_verifies_on_read_and_writes_atomically() {
    use labelmint_storage::LocalStore;
    let dir = std::env::temp_dir().join(format!("labelmint-store-{}", std::process::id()));
    let store = LocalStore::open(&dir).unwrap();
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let root = store.put(&data).unwrap();
    assert_eq!(root, root_of_bytes(&data).unwrap());
    assert_eq!(store.put(&data).unwrap(), root, "idempotent");
    assert_eq!(store.get(&root).unwrap(), data);
    // Corruption on disk is detected, never served.
    let path = dir.join(format!("{root:x}"));
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[1234] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    assert!(matches!(
        store.get(&root),
        Err(StorageError::Corrupt { .. })
    ));
    let missing = alloy_primitives::B256::repeat_byte(7);
    assert!(matches!(
        store.get(&missing),
        Err(StorageError::NotFound(_))
    ));
    // No temporary files are left behind.
    let leftovers = std::fs::read_dir(&dir).unwrap().filter(|e| {
        e.as_ref()
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".tmp")
    });
    assert_eq!(leftovers.count(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}
