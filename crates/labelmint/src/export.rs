//! `labelmint export` and `labelmint bench-export`: COCO / JSONL files from a
//! job's manifest (in the store) and its settled labels.

use std::{io::Write, path::Path};

use anyhow::{bail, Context, Result};
use labelmint_export::{coco, jsonl, DatasetInfo, ImageLabel, JsonlSchema, TextLabel};
use labelmint_storage::{DataKind, LocalStore, Manifest, TaskItem};
use serde::Deserialize;

/// The labels file of an image job.
#[derive(Deserialize)]
struct ImageLabels {
    categories: Vec<String>,
    labels: Vec<ImageLabel>,
    info: DatasetInfo,
}

/// The labels file of a text job.
#[derive(Deserialize)]
struct TextLabels {
    classes: Vec<String>,
    instruction: String,
    labels: Vec<TextLabel>,
}

/// Batch commitments a labels file may list (any kind).
#[derive(Deserialize, Default)]
struct Batches {
    #[serde(default)]
    batch_roots: Vec<alloy_primitives::B256>,
}

/// The bytes of manifest item `t`, verified against its root and the size
/// the manifest records (a 0G root does not bind trailing zero bytes: the
/// manifest's size is what does).
fn item(store: &LocalStore, t: &TaskItem) -> Result<Vec<u8>> {
    let bytes = store.get(&t.root)?;
    if bytes.len() as u64 != t.size {
        bail!(
            "{}: the store holds {} bytes under {}, the manifest records {}",
            t.path,
            bytes.len(),
            t.root,
            t.size
        );
    }
    Ok(bytes)
}

/// The export of the job whose manifest is stored under `data_root` with
/// the labels in `labels` in `format` (`coco`, `jsonl-chat`,
/// `jsonl-instruction`, `jsonl-completion`): the manifest and the bytes.
/// `text` is the labels file's content.
fn render(
    store: &LocalStore,
    data_root: alloy_primitives::B256,
    text: &[u8],
    format: &str,
) -> Result<(Manifest, Vec<u8>)> {
    let manifest: Manifest = serde_json::from_slice(&store.get(&data_root)?).context("manifest")?;
    let mut out = Vec::new();
    match (format, manifest.kind) {
        ("coco", DataKind::Image) => {
            let l: ImageLabels = serde_json::from_slice(text).context("labels file")?;
            coco(&mut out, &manifest, &l.categories, &l.labels, &l.info)?;
        }
        (f, DataKind::Text) if f.starts_with("jsonl-") => {
            let schema = match f {
                "jsonl-chat" => JsonlSchema::Chat,
                "jsonl-instruction" => JsonlSchema::Instruction,
                "jsonl-completion" => JsonlSchema::Completion,
                _ => bail!("unknown format {f}"),
            };
            let l: TextLabels = serde_json::from_slice(text).context("labels file")?;
            let texts = manifest
                .tasks
                .iter()
                .map(|t| Ok(item_text(&t.path, String::from_utf8(item(store, t)?)?)))
                .collect::<Result<Vec<String>>>()?;
            jsonl(
                &mut out,
                &manifest,
                &texts,
                &l.classes,
                &l.labels,
                schema,
                &l.instruction,
            )?;
        }
        (f, kind) => {
            bail!("format {f} does not fit a {kind:?} job (coco for images, jsonl-* for text)")
        }
    }
    Ok((manifest, out))
}

/// Exports the job whose manifest is stored under `data_root` with the
/// labels in `labels` to `out` in `format`; returns the file's 0G root.
pub fn run(
    store: &LocalStore,
    data_root: &str,
    labels: &Path,
    format: &str,
    out: &Path,
) -> Result<alloy_primitives::B256> {
    let (root, text) = inputs(data_root, labels)?;
    let (_, bytes) = crate::output::with_spinner(format!("exporting {format}"), || {
        render(store, root, &text, format)
    })?;
    std::fs::write(out, &bytes)?;
    Ok(labelmint_storage::root_of_bytes(&bytes)?)
}

/// The parsed data root and the labels file's bytes (read once).
fn inputs(data_root: &str, labels: &Path) -> Result<(alloy_primitives::B256, Vec<u8>)> {
    let root = data_root.parse().context("data root")?;
    let text = std::fs::read(labels).with_context(|| format!("reading {}", labels.display()))?;
    Ok((root, text))
}

/// Builds the dataset package (ZIP): image jobs get `images/<path>` (every
/// image from the store, verified) and `annotations/instances.json`; text
/// jobs get `data.jsonl`; both get `manifest.json` with the source data root,
/// the batch roots listed in the labels file, and every file's root. Returns
/// the package's 0G root — what the registry records.
pub fn package(
    store: &LocalStore,
    data_root: &str,
    labels: &Path,
    format: &str,
    out: &Path,
) -> Result<alloy_primitives::B256> {
    let (root, text) = inputs(data_root, labels)?;
    let (manifest, bytes) = crate::output::with_spinner(format!("exporting {format}"), || {
        render(store, root, &text, format)
    })?;
    let batches: Batches = serde_json::from_slice(&text).unwrap_or_default();
    let mut files = Vec::new();
    if manifest.kind == DataKind::Image {
        let bar = crate::output::bar(manifest.tasks.len() as u64, "reading images", false);
        for t in &manifest.tasks {
            files.push((format!("images/{}", t.path), item(store, t)?));
            bar.inc(1);
        }
        bar.finish_and_clear();
        files.push(("annotations/instances.json".to_string(), bytes));
    } else {
        files.push(("data.jsonl".to_string(), bytes));
    }
    let file = std::fs::File::create(out)?;
    crate::output::with_spinner("writing the package", || {
        labelmint_export::package(file, manifest.kind, root, &batches.batch_roots, files)
    })?;
    Ok(labelmint_storage::root_of_file(out)?)
}

/// The text of a task item: a JSONL line holding a JSON string is that
/// string, one holding an object with `"text"` is that field; anything else
/// (and `.txt` files) is used as is.
fn item_text(path: &str, raw: String) -> String {
    if !path.contains(".jsonl#") {
        return raw;
    }
    match serde_json::from_str::<serde_json::Value>(&raw) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Object(o)) => match o.get("text") {
            Some(serde_json::Value::String(s)) => s.clone(),
            _ => raw,
        },
        _ => raw,
    }
}

/// Exports a synthetic image job of `images` images with 3 annotations each
/// (a box, a polygon, a box) to `out` as COCO; returns the seconds taken.
pub fn bench(images: u32, out: &Path) -> Result<f64> {
    let manifest = Manifest {
        version: 1,
        kind: DataKind::Image,
        tasks: (0..images)
            .map(|i| TaskItem {
                index: i,
                path: format!("{i:06}.jpg"),
                root: alloy_primitives::B256::ZERO,
                size: 0,
                width: Some(640 + i % 640),
                height: Some(480),
            })
            .collect(),
    };
    let labels: Vec<ImageLabel> = (0..images)
        .flat_map(|i| {
            let x = f64::from(i % 600);
            [
                ImageLabel {
                    task: i,
                    category: i % 3,
                    bbox: Some([x, 10.0, 40.0, 30.0]),
                    polygon: None,
                },
                ImageLabel {
                    task: i,
                    category: (i + 1) % 3,
                    bbox: None,
                    polygon: Some(vec![x, 50.0, x + 20.0, 50.0, x + 10.0, 90.0]),
                },
                ImageLabel {
                    task: i,
                    category: (i + 2) % 3,
                    bbox: Some([1.0, 1.0, 5.5, 5.5]),
                    polygon: None,
                },
            ]
        })
        .collect();
    let info = DatasetInfo {
        description: "labelmint export benchmark".into(),
        version: "1.0".into(),
        date_created: "2026-11-22".into(),
        contributor: "labelmint".into(),
        license: "CC-BY-4.0".into(),
        license_url: "https://creativecommons.org/licenses/by/4.0/".into(),
    };
    let categories = vec!["cat".to_string(), "dog".to_string(), "bird".to_string()];
    let started = std::time::Instant::now();
    let mut file = std::io::BufWriter::new(std::fs::File::create(out)?);
    crate::output::with_spinner(format!("exporting {images} images as COCO"), || {
        coco(&mut file, &manifest, &categories, &labels, &info)
    })?;
    file.flush()?;
    Ok(started.elapsed().as_secs_f64())
}
