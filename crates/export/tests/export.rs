//! COCO and JSONL exports: structure, real sizes, geometry, determinism and
//! errors.
#![allow(missing_docs)]

use labelmint_export::{coco, jsonl, DatasetInfo, ExportError, ImageLabel, JsonlSchema, TextLabel};
use labelmint_storage::{DataKind, Manifest, TaskItem};

fn manifest(kind: DataKind, n: u32) -> Manifest {
    Manifest {
        version: 1,
        kind,
        tasks: (0..n)
            .map(|i| TaskItem {
                index: i,
                path: format!("img{i}.png"),
                root: alloy_primitives::B256::repeat_byte(i as u8),
                size: 100,
                width: (kind == DataKind::Image).then_some(640 + i),
                height: (kind == DataKind::Image).then_some(480),
            })
            .collect(),
    }
}

fn info() -> DatasetInfo {
    DatasetInfo {
        description: "cats and dogs".into(),
        version: "1.0".into(),
        date_created: "2026-11-22".into(),
        contributor: "0x7099".into(),
        license: "CC-BY-4.0".into(),
        license_url: "https://creativecommons.org/licenses/by/4.0/".into(),
    }
}

#[test]
fn coco_has_real_sizes_boxes_polygons_and_categories() {
    let m = manifest(DataKind::Image, 2);
    let cats = vec!["cat".to_string(), "dog".to_string()];
    let labels = vec![
        ImageLabel {
            task: 0,
            category: 1,
            bbox: Some([10.0, 20.0, 30.0, 40.0]),
            polygon: None,
        },
        ImageLabel {
            task: 1,
            category: 0,
            bbox: None,
            polygon: Some(vec![0.0, 0.0, 10.0, 0.0, 10.0, 10.0, 0.0, 10.0]),
        },
    ];
    let mut out = Vec::new();
    coco(&mut out, &m, &cats, &labels, &info()).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["images"][1]["width"], 641);
    assert_eq!(v["images"][1]["height"], 480);
    assert_eq!(v["images"][0]["file_name"], "images/img0.png");
    assert_eq!(
        v["annotations"][0]["bbox"],
        serde_json::json!([10.0, 20.0, 30.0, 40.0])
    );
    assert_eq!(v["annotations"][0]["area"], 1200.0);
    assert_eq!(v["annotations"][0]["category_id"], 2);
    assert_eq!(
        v["annotations"][1]["area"], 100.0,
        "shoelace area of the square"
    );
    assert_eq!(
        v["annotations"][1]["bbox"],
        serde_json::json!([0.0, 0.0, 10.0, 10.0])
    );
    assert_eq!(
        v["annotations"][1]["segmentation"][0]
            .as_array()
            .unwrap()
            .len(),
        8
    );
    assert_eq!(v["annotations"][1]["iscrowd"], 0);
    assert_eq!(v["categories"][1]["name"], "dog");
    assert_eq!(v["info"]["year"], 2026);
    assert_eq!(v["licenses"][0]["name"], "CC-BY-4.0");
    // Deterministic bytes.
    let mut again = Vec::new();
    coco(&mut again, &m, &cats, &labels, &info()).unwrap();
    assert_eq!(out, again);
}

#[test]
fn coco_rejects_bad_labels() {
    let m = manifest(DataKind::Image, 1);
    let cats = vec!["cat".to_string()];
    let bad = |l: ImageLabel| coco(&mut Vec::new(), &m, &cats, &[l], &info()).unwrap_err();
    assert!(matches!(
        bad(ImageLabel {
            task: 5,
            category: 0,
            bbox: Some([0.0; 4]),
            polygon: None
        }),
        ExportError::UnknownTask { task: 5, .. }
    ));
    assert!(matches!(
        bad(ImageLabel {
            task: 0,
            category: 3,
            bbox: Some([0.0; 4]),
            polygon: None
        }),
        ExportError::UnknownCategory { category: 3, .. }
    ));
    assert!(matches!(
        bad(ImageLabel {
            task: 0,
            category: 0,
            bbox: None,
            polygon: Some(vec![1.0, 2.0, 3.0, 4.0])
        }),
        ExportError::BadGeometry { .. }
    ));
    assert!(matches!(
        bad(ImageLabel {
            task: 0,
            category: 0,
            bbox: Some([0.0, 0.0, -1.0, 1.0]),
            polygon: None
        }),
        ExportError::BadGeometry { .. }
    ));
    assert!(matches!(
        bad(ImageLabel {
            task: 0,
            category: 0,
            bbox: None,
            polygon: None
        }),
        ExportError::BadGeometry { .. }
    ));
    let text = manifest(DataKind::Text, 1);
    assert!(matches!(
        coco(&mut Vec::new(), &text, &cats, &[], &info()),
        Err(ExportError::WrongKind(DataKind::Image))
    ));
}

#[test]
fn jsonl_writes_the_three_fine_tuning_schemas() {
    let m = manifest(DataKind::Text, 2);
    let texts = vec!["great film".to_string(), "dull".to_string()];
    let classes = vec!["negative".to_string(), "positive".to_string()];
    let labels = vec![
        TextLabel { task: 0, label: 1 },
        TextLabel { task: 1, label: 0 },
    ];
    let run = |schema| {
        let mut out = Vec::new();
        jsonl(
            &mut out,
            &m,
            &texts,
            &classes,
            &labels,
            schema,
            "Classify the sentiment.",
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    };
    let chat = run(JsonlSchema::Chat);
    let lines: Vec<serde_json::Value> = chat
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["messages"][1]["content"], "great film");
    assert_eq!(lines[0]["messages"][2]["role"], "assistant");
    assert_eq!(lines[0]["messages"][2]["content"], "positive");
    let inst: serde_json::Value =
        serde_json::from_str(run(JsonlSchema::Instruction).lines().nth(1).unwrap()).unwrap();
    assert_eq!(
        (inst["input"].as_str(), inst["output"].as_str()),
        (Some("dull"), Some("negative"))
    );
    assert_eq!(inst["instruction"], "Classify the sentiment.");
    let comp: serde_json::Value =
        serde_json::from_str(run(JsonlSchema::Completion).lines().next().unwrap()).unwrap();
    assert!(comp["text"].as_str().unwrap().ends_with("Answer: positive"));
    assert!(matches!(
        jsonl(
            &mut Vec::new(),
            &m,
            &texts,
            &classes,
            &[TextLabel { task: 9, label: 0 }],
            JsonlSchema::Chat,
            ""
        ),
        Err(ExportError::UnknownTask { task: 9, .. })
    ));
}

// ---- Hostile labels and packages (issue #18, item 11).

fn label(bbox: Option<[f64; 4]>, polygon: Option<Vec<f64>>) -> ImageLabel {
    ImageLabel {
        task: 0,
        category: 0,
        bbox,
        polygon,
    }
}

fn refused(l: ImageLabel) -> ExportError {
    // Task 0 is a 640 x 480 image.
    let m = manifest(DataKind::Image, 1);
    coco(&mut Vec::new(), &m, &["cat".to_string()], &[l], &info()).unwrap_err()
}

#[test]
fn degenerate_and_out_of_image_shapes_get_named_errors() {
    assert!(matches!(
        refused(label(Some([10.0, 10.0, 0.0, 5.0]), None)),
        ExportError::ZeroArea { index: 0 }
    ));
    assert!(matches!(
        refused(label(Some([600.0, 10.0, 50.0, 5.0]), None)),
        ExportError::OutsideImage {
            width: 640,
            height: 480,
            ..
        }
    ));
    assert!(matches!(
        refused(label(Some([-1.0, 10.0, 5.0, 5.0]), None)),
        ExportError::OutsideImage { .. }
    ));
    assert!(matches!(
        refused(label(None, Some(vec![0.0, 0.0, 10.0, 10.0, 20.0, 20.0]))),
        ExportError::Collinear { index: 0 }
    ));
    assert!(matches!(
        refused(label(None, Some(vec![5.0, 5.0, 5.0, 5.0, 5.0, 5.0]))),
        ExportError::Collinear { .. }
    ));
    assert!(matches!(
        refused(label(None, Some(vec![0.0, 0.0, 700.0, 0.0, 0.0, 10.0]))),
        ExportError::OutsideImage { .. }
    ));
    assert!(matches!(
        refused(label(Some([f64::NAN, 0.0, 1.0, 1.0]), None)),
        ExportError::BadGeometry { .. }
    ));
}

#[test]
fn a_box_given_with_a_polygon_is_checked_like_a_box_alone() {
    let triangle = Some(vec![10.0, 10.0, 60.0, 10.0, 35.0, 80.0]);
    assert!(matches!(
        refused(label(Some([10.0, 10.0, -50.0, 70.0]), triangle.clone())),
        ExportError::BadGeometry { .. }
    ));
    assert!(matches!(
        refused(label(Some([10.0, 10.0, 5000.0, 70.0]), triangle.clone())),
        ExportError::OutsideImage { .. }
    ));
    let m = manifest(DataKind::Image, 1);
    coco(
        &mut Vec::new(),
        &m,
        &["cat".to_string()],
        &[label(Some([10.0, 10.0, 50.0, 70.0]), triangle)],
        &info(),
    )
    .unwrap();
}

#[test]
fn package_entries_cannot_escape_their_folder() {
    for bad in [
        "../../.bashrc",
        "images/../../x.png",
        "/etc/cron.d/x",
        "images\\..\\x.png",
        "C:/x.png",
        "images//x.png",
        "",
    ] {
        let err = labelmint_export::package(
            std::io::Cursor::new(Vec::new()),
            DataKind::Image,
            alloy_primitives::B256::ZERO,
            &[],
            vec![(bad.to_string(), b"x".to_vec())],
        )
        .unwrap_err();
        assert!(
            matches!(err, ExportError::UnsafeEntryName(ref p) if p == bad),
            "{bad}: {err}"
        );
    }
    labelmint_export::package(
        std::io::Cursor::new(Vec::new()),
        DataKind::Image,
        alloy_primitives::B256::ZERO,
        &[],
        vec![("images/sub/a.png".to_string(), b"x".to_vec())],
    )
    .unwrap();
}
