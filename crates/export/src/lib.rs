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
    /// A box of zero width or height, or a polygon of zero area: COCO
    /// readers (pycocotools) reject degenerate annotations.
    #[error("annotation {index}: zero area")]
    ZeroArea {
        /// Position in the annotations list.
        index: usize,
    },
    /// A polygon whose points all lie on one line.
    #[error("annotation {index}: the polygon's points are collinear")]
    Collinear {
        /// Position in the annotations list.
        index: usize,
    },
    /// A shape that reaches outside its image.
    #[error("annotation {index}: the shape leaves the {width}x{height} image")]
    OutsideImage {
        /// Position in the annotations list.
        index: usize,
        /// Image width in pixels.
        width: u32,
        /// Image height in pixels.
        height: u32,
    },
    /// A package entry name that could write outside the extraction folder
    /// (`..`, an absolute path, a drive, a backslash, an empty part).
    #[error("unsafe file name in the package: {0:?}")]
    UnsafeEntryName(String),
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

/// Checks a `[x, y, w, h]` box in an image of `dims` (when known).
#[allow(clippy::many_single_char_names)]
fn check_box(index: usize, b: [f64; 4], dims: Option<(u32, u32)>) -> Result<()> {
    let [x, y, w, h] = b;
    if b.iter().any(|v| !v.is_finite()) {
        return Err(ExportError::BadGeometry {
            index,
            reason: "box coordinates must be finite numbers",
        });
    }
    if w < 0.0 || h < 0.0 {
        return Err(ExportError::BadGeometry {
            index,
            reason: "a box needs a non-negative width and height",
        });
    }
    if w == 0.0 || h == 0.0 {
        return Err(ExportError::ZeroArea { index });
    }
    check_inside(index, &[x, y, x + w, y + h], dims)
}

/// Every `(x, y)` of `points` inside `[0, width] × [0, height]`.
fn check_inside(index: usize, points: &[f64], dims: Option<(u32, u32)>) -> Result<()> {
    let Some((width, height)) = dims else {
        return Ok(());
    };
    let outside = points
        .chunks(2)
        .any(|p| p[0] < 0.0 || p[1] < 0.0 || p[0] > f64::from(width) || p[1] > f64::from(height));
    if outside {
        return Err(ExportError::OutsideImage {
            index,
            width,
            height,
        });
    }
    Ok(())
}

/// Checks a polygon `[x1, y1, …]`: at least 3 finite points inside the
/// image, not all on one line.
fn check_polygon(index: usize, p: &[f64], dims: Option<(u32, u32)>) -> Result<()> {
    if p.len() < 6 || !p.len().is_multiple_of(2) {
        return Err(ExportError::BadGeometry {
            index,
            reason: "a polygon needs at least 3 (x, y) points",
        });
    }
    if p.iter().any(|v| !v.is_finite()) {
        return Err(ExportError::BadGeometry {
            index,
            reason: "polygon coordinates must be finite numbers",
        });
    }
    check_inside(index, p, dims)?;
    // Collinear: every point on the line through the first point and the
    // point farthest from it (a tolerance of 1e-9 of the scale squared).
    let (x0, y0) = (p[0], p[1]);
    let far = p
        .chunks(2)
        .map(|q| (q[0] - x0, q[1] - y0))
        .max_by(|a, b| (a.0.hypot(a.1)).total_cmp(&b.0.hypot(b.1)))
        .unwrap_or((0.0, 0.0));
    let scale = far.0.hypot(far.1);
    let on_line = p.chunks(2).all(|q| {
        let cross = far.0 * (q[1] - y0) - far.1 * (q[0] - x0);
        cross.abs() <= 1e-9 * scale * scale.max(1.0)
    });
    if scale == 0.0 || on_line {
        return Err(ExportError::Collinear { index });
    }
    if polygon_area(p) == 0.0 {
        return Err(ExportError::ZeroArea { index });
    }
    Ok(())
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
        let task = &manifest.tasks[l.task as usize];
        let dims = task.width.zip(task.height);
        // A box given with a polygon is checked like a box alone.
        if let Some(b) = l.bbox {
            check_box(index, b, dims)?;
        }
        if let Some(p) = &l.polygon {
            check_polygon(index, p, dims)?;
        }
        let (segmentation, bbox, area) = match (&l.polygon, l.bbox) {
            (Some(p), b) => (
                vec![p.clone()],
                b.unwrap_or_else(|| polygon_bbox(p)),
                polygon_area(p),
            ),
            (None, Some(b)) => {
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

/// Refuses a ZIP entry name that an extractor could resolve outside its
/// folder: absolute paths, `..` or `.` parts, empty parts, backslashes,
/// drive letters, control characters.
pub fn check_entry_name(path: &str) -> Result<()> {
    let unsafe_name = path.is_empty()
        || path.starts_with('/')
        || path.contains('\\')
        || path.chars().any(char::is_control)
        || path
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == ".." || part.contains(':'));
    if unsafe_name {
        return Err(ExportError::UnsafeEntryName(path.to_string()));
    }
    Ok(())
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
    for (path, _) in &files {
        check_entry_name(path)?;
    }
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
