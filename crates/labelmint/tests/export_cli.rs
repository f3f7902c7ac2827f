//! From a folder to training files: `data add` stores the manifest, `export`
//! reads it back from the store and writes COCO or JSONL whose 0G root is
//! what the registry would record; a round trip through the COCO file gives
//! back every label.
#![allow(missing_docs)]

use labelmint_storage::{build_manifest, LocalStore};

fn dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("labelmint-export-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
    b.extend_from_slice(b"IHDR");
    b.extend_from_slice(&width.to_be_bytes());
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    b
}

#[test]
fn image_folder_to_coco_round_trip() {
    let data = dir("img");
    std::fs::write(data.join("a.png"), png(800, 600)).unwrap();
    std::fs::write(data.join("b.png"), png(1024, 768)).unwrap();
    let store = LocalStore::open(data.join(".store")).unwrap();
    let (_, root) = build_manifest(&data, Some(&store)).unwrap();
    let labels = serde_json::json!({
        "categories": ["car", "person"],
        "labels": [
            {"task": 0, "category": 0, "bbox": [12.5, 30.0, 100.0, 50.0]},
            {"task": 1, "category": 1, "polygon": [10.0, 10.0, 60.0, 10.0, 35.0, 80.0]}
        ],
        "info": {"description": "street", "version": "1", "date_created": "2026-11-22",
                 "contributor": "creator", "license": "CC-BY-4.0", "license_url": "https://example.org"}
    });
    let labels_path = data.join("labels.json");
    std::fs::write(&labels_path, labels.to_string()).unwrap();
    let out = data.join("instances.json");
    let file_root =
        labelmint::export::run(&store, &format!("{root}"), &labels_path, "coco", &out).unwrap();
    assert_eq!(file_root, labelmint_storage::root_of_file(&out).unwrap());
    let coco: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(coco["images"][1]["width"], 1024);
    assert_eq!(coco["images"][1]["height"], 768);
    for (i, l) in labels["labels"].as_array().unwrap().iter().enumerate() {
        let a = &coco["annotations"][i];
        assert_eq!(
            a["image_id"].as_u64().unwrap(),
            l["task"].as_u64().unwrap() + 1
        );
        assert_eq!(
            a["category_id"].as_u64().unwrap(),
            l["category"].as_u64().unwrap() + 1
        );
        if let Some(b) = l.get("bbox") {
            assert_eq!(&a["bbox"], b);
        }
        if let Some(p) = l.get("polygon") {
            assert_eq!(&a["segmentation"][0], p);
        }
    }
    // A text format for an image job is refused with a clear message.
    let err = labelmint::export::run(&store, &format!("{root}"), &labels_path, "jsonl-chat", &out)
        .unwrap_err();
    assert!(err.to_string().contains("does not fit"), "{err}");
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn text_folder_to_jsonl() {
    let data = dir("txt");
    std::fs::write(
        data.join("items.jsonl"),
        "\"I loved it\"\n\"Never again\"\n",
    )
    .unwrap();
    let store = LocalStore::open(data.join(".store")).unwrap();
    let (_, root) = build_manifest(&data, Some(&store)).unwrap();
    let labels = serde_json::json!({
        "classes": ["negative", "positive"],
        "instruction": "Is this review positive or negative?",
        "labels": [{"task": 0, "label": 1}, {"task": 1, "label": 0}]
    });
    let labels_path = data.join("labels.json");
    std::fs::write(&labels_path, labels.to_string()).unwrap();
    let out = data.join("train.jsonl");
    labelmint::export::run(
        &store,
        &format!("{root}"),
        &labels_path,
        "jsonl-instruction",
        &out,
    )
    .unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["input"], "I loved it");
    assert_eq!(first["output"], "positive");
    let second: serde_json::Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    assert_eq!(
        (second["input"].as_str(), second["output"].as_str()),
        (Some("Never again"), Some("negative"))
    );
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn package_is_deterministic_and_lists_every_root() {
    use std::io::Read;
    let data = dir("pkg");
    std::fs::write(data.join("a.png"), png(320, 200)).unwrap();
    std::fs::write(data.join("b.png"), png(64, 64)).unwrap();
    let store = LocalStore::open(data.join(".store")).unwrap();
    let (_, root) = build_manifest(&data, Some(&store)).unwrap();
    let batch = alloy_primitives::B256::repeat_byte(0xbb);
    let labels = serde_json::json!({
        "categories": ["thing"],
        "labels": [{"task": 1, "category": 0, "bbox": [1.0, 2.0, 3.0, 4.0]}],
        "info": {"description": "d", "version": "1", "date_created": "2026-11-22",
                 "contributor": "c", "license": "CC0", "license_url": "https://example.org"},
        "batch_roots": [format!("{batch}")]
    });
    let labels_path = data.join("labels.json");
    std::fs::write(&labels_path, labels.to_string()).unwrap();
    let (one, two) = (data.join("one.zip"), data.join("two.zip"));
    let r1 =
        labelmint::export::package(&store, &format!("{root}"), &labels_path, "coco", &one).unwrap();
    let r2 =
        labelmint::export::package(&store, &format!("{root}"), &labels_path, "coco", &two).unwrap();
    assert_eq!(r1, r2, "same inputs, same package root");
    assert_eq!(std::fs::read(&one).unwrap(), std::fs::read(&two).unwrap());
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&one).unwrap()).unwrap();
    let names: Vec<String> = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "annotations/instances.json",
            "images/a.png",
            "images/b.png",
            "manifest.json"
        ]
    );
    let mut text = String::new();
    zip.by_name("manifest.json")
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    let manifest: labelmint_export::PackageManifest = serde_json::from_str(&text).unwrap();
    assert_eq!(manifest.source_data_root, root);
    assert_eq!(manifest.batch_roots, [batch]);
    for f in &manifest.files {
        let mut bytes = Vec::new();
        zip.by_name(&f.path)
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        assert_eq!(
            labelmint_storage::root_of_bytes(&bytes).unwrap(),
            f.root,
            "{}",
            f.path
        );
    }
    let mut img = Vec::new();
    zip.by_name("images/b.png")
        .unwrap()
        .read_to_end(&mut img)
        .unwrap();
    assert_eq!(img, png(64, 64));
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn items_whose_size_differs_from_the_manifest_are_refused() {
    // "abc" and "abc\0" have one 0G root (trailing zeros in the last chunk
    // are not bound): the store holds the first, the manifest records the
    // second's size. The export must not pass one off as the other.
    let data = dir("size");
    std::fs::write(data.join("a.txt"), b"abc\0").unwrap();
    let store = LocalStore::open(data.join(".store")).unwrap();
    assert_eq!(
        store.put(b"abc").unwrap(),
        labelmint_storage::root_of_bytes(b"abc\0").unwrap()
    );
    let (_, root) = build_manifest(&data, Some(&store)).unwrap();
    let labels = serde_json::json!({
        "classes": ["x"], "instruction": "i", "labels": [{"task": 0, "label": 0}]
    });
    let labels_path = data.join("labels.json");
    std::fs::write(&labels_path, labels.to_string()).unwrap();
    let err = labelmint::export::run(
        &store,
        &format!("{root}"),
        &labels_path,
        "jsonl-completion",
        &data.join("out.jsonl"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("manifest records 4"), "{err}");
    let _ = std::fs::remove_dir_all(&data);
}
