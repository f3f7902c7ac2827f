//! # labelmint-export
//!
//! Turns a job's task manifest and its settled labels into the files people
//! train on:
//!
//! - [`coco`]: COCO JSON for image jobs: `info`, `licenses`, `images` with the
//!   real sizes from the manifest, `annotations` with pixel `bbox`, `area`,
//!   polygon `segmentation` and `iscrowd`, and `categories` from the label
//!   schema. pycocotools loads it (CI checks).
//! - [`jsonl`]: text jobs in the three schemas fine-tuning services accept:
//!   chat (`{"messages": [...]}`), instruction
//!   (`{"instruction", "input", "output"}`) and completion (`{"text"}`).
//!
//! Both write to any `io::Write` as they go (no document tree in memory) and
//! are deterministic: the same inputs give the same bytes, hence the same 0G
//! root for the registry.

use std::io::{self, Write};

use labelmint_storage::{DataKind, Manifest};
use serde::{Deserialize, Serialize};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// COCO needs an image job, JSONL a text job.
    #[error("this export needs a {0:?} job")]
    WrongKind(DataKind),
    /// An annotation names a task the manifest does not have.
    #[error("annotation {index}: task {task} is not in the manifest")]
    UnknownTask {
        /// Position in the annotations list.
        index: usize,
        /// Its task id.
        task: u32,
    },
    /// An annotation names a category the schema does not have.
    #[error("annotation {index}: category {category} is not in the schema ({count} classes)")]
    UnknownCategory {
        /// Position in the annotations list.
        index: usize,
        /// Its class id.
        category: u32,
        /// Classes in the schema.
        count: usize,
    },
    /// Geometry that is not a box or a polygon of at least 3 points.
    #[error("annotation {index}: {reason}")]
    BadGeometry {
        /// Position in the annotations list.
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// Writing failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Result of this crate.
pub type Result<T, E = ExportError> = std::result::Result<T, E>;

/// One settled image label: a box and/or a polygon of a class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImageLabel {
    /// Task (image) index.
    pub task: u32,
    /// Class index into the schema.
    pub category: u32,
    /// `[x, y, width, height]` in pixels.
    #[serde(default)]
    pub bbox: Option<[f64; 4]>,
    /// `[x1, y1, x2, y2, ...]` in pixels.
    #[serde(default)]
    pub polygon: Option<Vec<f64>>,
}

/// One settled text label.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextLabel {
    /// Task index.
    pub task: u32,
    /// Class index into the schema.
    pub label: u32,
}

/// Dataset-level metadata written into COCO's `info` and `licenses`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetInfo {
    /// Description.
    pub description: String,
    /// Version string.
    pub version: String,
    /// Creation date (ISO 8601), fixed by the caller so exports are reproducible.
    pub date_created: String,
    /// Contributor (job creator).
    pub contributor: String,
    /// Licence name.
    pub license: String,
    /// Licence URL.
    pub license_url: String,
}

fn write_json(out: &mut impl Write, value: &impl Serialize) -> Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::from)?;
    Ok(())
}

/// Polygon area by the shoelace formula.
fn polygon_area(points: &[f64]) -> f64 {
    let n = points.len() / 2;
    let mut twice = 0.0;
    for i in 0..n {
        let (x1, y1) = (points[2 * i], points[2 * i + 1]);
        let j = (i + 1) % n;
        let (x2, y2) = (points[2 * j], points[2 * j + 1]);
        twice += x1 * y2 - x2 * y1;
    }
    (twice / 2.0).abs()
}

/// Bounding box of a polygon.
fn polygon_bbox(points: &[f64]) -> [f64; 4] {
    let xs = points.iter().step_by(2);
    let ys = points.iter().skip(1).step_by(2);
    let (mut x0, mut x1) = (f64::INFINITY, f64::NEG_INFINITY);
    for &x in xs {
        x0 = x0.min(x);
        x1 = x1.max(x);
    }
    let (mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY);
    for &y in ys {
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    [x0, y0, x1 - x0, y1 - y0]
}

/// Writes COCO JSON for an image job. Image ids are task index + 1,
/// category ids class index + 1, annotation ids their position + 1;
/// `file_name` is `images/<manifest path>`.
#[allow(clippy::many_single_char_names, clippy::too_many_lines)]
pub fn coco(
    out: &mut impl Write,
    manifest: &Manifest,
    categories: &[String],
    labels: &[ImageLabel],
    info: &DatasetInfo,
) -> Result<()> {
    if manifest.kind != DataKind::Image {
        return Err(ExportError::WrongKind(DataKind::Image));
    }
    write!(out, "{{\"info\":")?;
    write_json(
        out,
        &serde_json::json!({
            "description": info.description,
            "version": info.version,
            "year": info.date_created.get(..4).and_then(|y| y.parse::<u32>().ok()).unwrap_or(1970),
            "contributor": info.contributor,
            "date_created": info.date_created,
        }),
    )?;
    write!(out, ",\"licenses\":")?;
    write_json(
        out,
        &serde_json::json!([{"id": 1, "name": info.license, "url": info.license_url}]),
    )?;
    write!(out, ",\"images\":[")?;
    for (i, t) in manifest.tasks.iter().enumerate() {
        if i > 0 {
            write!(out, ",")?;
        }
        write_json(
            out,
            &serde_json::json!({
                "id": u64::from(t.index) + 1,
                "file_name": format!("images/{}", t.path),
                "width": t.width.unwrap_or(0),
                "height": t.height.unwrap_or(0),
                "license": 1,
            }),
        )?;
    }
    write!(out, "],\"annotations\":[")?;
    for (index, l) in labels.iter().enumerate() {
        if l.task as usize >= manifest.tasks.len() {
            return Err(ExportError::UnknownTask {
                index,
                task: l.task,
            });
        }
        if l.category as usize >= categories.len() {
            return Err(ExportError::UnknownCategory {
                index,
                category: l.category,
                count: categories.len(),
            });
        }
        let (segmentation, bbox, area) = match (&l.polygon, l.bbox) {
            (Some(p), b) => {
                if p.len() < 6 || p.len() % 2 != 0 {
                    return Err(ExportError::BadGeometry {
                        index,
                        reason: "a polygon needs at least 3 (x, y) points",
                    });
                }
                (
                    vec![p.clone()],
                    b.unwrap_or_else(|| polygon_bbox(p)),
                    polygon_area(p),
                )
            }
            (None, Some(b)) => {
                if b[2] < 0.0 || b[3] < 0.0 {
                    return Err(ExportError::BadGeometry {
                        index,
                        reason: "a box needs a non-negative width and height",
                    });
                }
                // The box as a polygon, so masks can be drawn from every annotation.
                let [x, y, w, h] = b;
                (vec![vec![x, y, x + w, y, x + w, y + h, x, y + h]], b, w * h)
            }
            (None, None) => {
                return Err(ExportError::BadGeometry {
                    index,
                    reason: "needs a bbox or a polygon",
                })
            }
        };
        if index > 0 {
            write!(out, ",")?;
        }
        write_json(
            out,
            &serde_json::json!({
                "id": index + 1,
                "image_id": u64::from(l.task) + 1,
                "category_id": u64::from(l.category) + 1,
                "bbox": bbox,
                "area": area,
                "segmentation": segmentation,
                "iscrowd": 0,
            }),
        )?;
    }
    write!(out, "],\"categories\":[")?;
    for (i, name) in categories.iter().enumerate() {
        if i > 0 {
            write!(out, ",")?;
        }
        write_json(
            out,
            &serde_json::json!({"id": i + 1, "name": name, "supercategory": "object"}),
        )?;
    }
    write!(out, "]}}")?;
    Ok(())
}

/// The JSONL schemas fine-tuning services accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonlSchema {
    /// `{"messages": [{"role": "system"|"user"|"assistant", "content": …}]}`.
    Chat,
    /// `{"instruction": …, "input": …, "output": …}`.
    Instruction,
    /// `{"text": …}`.
    Completion,
}

/// Writes one JSON line per labelled task of a text job: the task's text
/// (`texts[task]`, the item bytes from the store) with its label's name.
/// `instruction` is the task prompt (the job description).
pub fn jsonl(
    out: &mut impl Write,
    manifest: &Manifest,
    texts: &[String],
    classes: &[String],
    labels: &[TextLabel],
    schema: JsonlSchema,
    instruction: &str,
) -> Result<()> {
    if manifest.kind != DataKind::Text {
        return Err(ExportError::WrongKind(DataKind::Text));
    }
    for (index, l) in labels.iter().enumerate() {
        let Some(text) = texts.get(l.task as usize) else {
            return Err(ExportError::UnknownTask {
                index,
                task: l.task,
            });
        };
        let Some(answer) = classes.get(l.label as usize) else {
            return Err(ExportError::UnknownCategory {
                index,
                category: l.label,
                count: classes.len(),
            });
        };
        let line = match schema {
            JsonlSchema::Chat => serde_json::json!({"messages": [
                {"role": "system", "content": instruction},
                {"role": "user", "content": text},
                {"role": "assistant", "content": answer},
            ]}),
            JsonlSchema::Instruction => {
                serde_json::json!({"instruction": instruction, "input": text, "output": answer})
            }
            JsonlSchema::Completion => {
                serde_json::json!({"text": format!("{instruction}\n\n{text}\n\nAnswer: {answer}")})
            }
        };
        write_json(out, &line)?;
        writeln!(out)?;
    }
    Ok(())
}

/// One file of a dataset package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageFile {
    /// Path inside the ZIP.
    pub path: String,
    /// 0G root of its bytes.
    pub root: alloy_primitives::B256,
    /// Size in bytes.
    pub size: u64,
}

/// `manifest.json` of a dataset package: where the data came from and the
/// root of every file in the package, so a buyer can check each one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageManifest {
    /// Format version (1).
    pub version: u32,
    /// Images or text.
    pub kind: DataKind,
    /// The job's data root (its task manifest).
    pub source_data_root: alloy_primitives::B256,
    /// Commitments of the annotator batches the labels come from.
    pub batch_roots: Vec<alloy_primitives::B256>,
    /// Every other file of the package, by path.
    pub files: Vec<PackageFile>,
}

/// Writes a deterministic ZIP: `files` sorted by path, then `manifest.json`
/// listing their roots; fixed timestamps (1980-01-01) and permissions, one
/// compression level, so the same inputs give the same bytes and the same
/// package root. Returns the manifest.
pub fn package<W: Write + io::Seek>(
    out: W,
    kind: DataKind,
    source_data_root: alloy_primitives::B256,
    batch_roots: &[alloy_primitives::B256],
    mut files: Vec<(String, Vec<u8>)>,
) -> Result<PackageManifest> {
    use zip::write::SimpleFileOptions;
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let mut zip = zip::ZipWriter::new(out);
    let mut listed = Vec::with_capacity(files.len());
    let zip_err = |e: zip::result::ZipError| ExportError::Io(io::Error::other(e));
    for (path, bytes) in &files {
        zip.start_file(path.as_str(), options).map_err(zip_err)?;
        zip.write_all(bytes)?;
        let root =
            labelmint_storage::root_of_bytes(bytes).map_err(|e| io::Error::other(e.to_string()))?;
        listed.push(PackageFile {
            path: path.clone(),
            root,
            size: bytes.len() as u64,
        });
    }
    let manifest = PackageManifest {
        version: 1,
        kind,
        source_data_root,
        batch_roots: batch_roots.to_vec(),
        files: listed,
    };
    zip.start_file("manifest.json", options).map_err(zip_err)?;
    serde_json::to_writer_pretty(&mut zip, &manifest).map_err(io::Error::from)?;
    zip.finish().map_err(zip_err)?;
    Ok(manifest)
}
