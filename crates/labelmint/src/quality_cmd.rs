//! `labelmint quality …` and `labelmint import …`: the quality tools on a
//! labels file (no chain), and Label Studio exports turned into labelmint's
//! labels file.
//!
//! Input files (`--input-format`, else by extension):
//! - CSV with a header `task,annotator,label` (`.csv`);
//! - JSON lines `{"task": …, "annotator": …, "label": …}` (`.jsonl`);
//! - a Label Studio JSON export (`.json`): every annotation's `choices`
//!   result is one answer by its `completed_by`.
//!
//! Tasks, annotators and classes may be any strings or numbers; classes are
//! ordered by `--classes` when given, else numerically when all are
//! integers, else alphabetically.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    path::{Path, PathBuf},
};

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use labelmint_quality::{
    annotator_agreement, dawid_skene, fleiss_kappa, krippendorff_alpha, majority_vote,
    weighted_vote, Aggregation, Response, Responses,
};
use serde_json::{json, Value};

use crate::output::emit;

/// `labelmint quality …`.
#[derive(Debug, Subcommand)]
pub enum QualityCmd {
    /// Consensus label per task: majority vote, weighted (Wawa) or Dawid–Skene
    #[command(after_help = "Examples:
  labelmint quality aggregate votes.csv                          # task,annotator,label
  labelmint quality aggregate votes.jsonl --method dawid-skene
  labelmint quality aggregate project.json --method wawa --json  # a Label Studio export

wawa weights each annotator by its agreement with the majority vote (crowd-kit's Wawa).")]
    Aggregate {
        /// The labels file.
        #[command(flatten)]
        input: Input,
        /// Aggregation method
        #[arg(long, value_enum, default_value = "majority")]
        method: Method,
    },
    /// Inter-annotator agreement: Fleiss' κ, Krippendorff's α, each annotator against the majority
    #[command(after_help = "Examples:
  labelmint quality agreement votes.csv
  labelmint quality agreement project.json --json")]
    Agreement {
        /// The labels file.
        #[command(flatten)]
        input: Input,
    },
    /// Per-annotator accuracy and confusion matrix against gold labels or a consensus
    #[command(after_help = "Examples:
  labelmint quality audit-file votes.csv                      # against the Dawid–Skene consensus
  labelmint quality audit-file votes.csv --gold gold.csv      # gold.csv: task,label
  labelmint quality audit-file votes.csv --method majority --json")]
    AuditFile {
        /// The labels file.
        #[command(flatten)]
        input: Input,
        /// Gold labels (CSV task,label or JSON {\"task\": \"label\"}); else the consensus of --method
        #[arg(long, value_name = "FILE")]
        gold: Option<PathBuf>,
        /// Consensus method when there is no --gold
        #[arg(long, value_enum, default_value = "dawid-skene")]
        method: Method,
    },
}

/// `labelmint import …`.
#[derive(Debug, Subcommand)]
pub enum ImportCmd {
    /// Turn a Label Studio JSON export into labelmint's labels file (for export and package)
    #[command(after_help = "Examples:
  labelmint import label-studio project.json --out labels.json
  labelmint import label-studio project.json --data-root 0x… --out labels.json   # match tasks to the manifest by file name
  labelmint export 0x<dataRoot> --labels labels.json --format coco --out coco.json

choices become class labels (a text job's labels file; several annotations of a task are settled by
majority vote); rectanglelabels and polygonlabels become boxes and polygons in pixels (an image job's
labels file). Without --data-root, task i is the i-th task of the export by Label Studio id.")]
    LabelStudio(ImportLabelStudio),
}

/// `labelmint import label-studio`.
#[derive(Debug, Args)]
pub struct ImportLabelStudio {
    /// The Label Studio JSON export
    pub export: PathBuf,
    /// Output labels file
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Match tasks to this data root's manifest (in the store) by file name
    #[arg(long, value_name = "ROOT")]
    pub data_root: Option<alloy_primitives::B256>,
    /// Category / class names in order, comma-separated [default: sorted]
    #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
    pub classes: Vec<String>,
    /// Only results of this control (`from_name`)
    #[arg(long, value_name = "NAME")]
    pub from_name: Option<String>,
    /// Instruction of a text job's records
    #[arg(long, value_name = "TEXT", default_value = "Classify the text.")]
    pub instruction: String,
    /// Dataset description (image jobs' COCO info)
    #[arg(
        long,
        value_name = "TEXT",
        default_value = "imported from Label Studio"
    )]
    pub description: String,
    /// Licence name (image jobs' COCO info)
    #[arg(long, value_name = "NAME", default_value = "CC-BY-4.0")]
    pub license: String,
}

/// The labels file of a quality command.
#[derive(Debug, Args)]
pub struct Input {
    /// Labels file: CSV (task,annotator,label), JSONL or a Label Studio JSON export
    pub file: PathBuf,
    /// File format [default: by extension]
    #[arg(long, value_enum)]
    pub input_format: Option<InputFormat>,
    /// Class names in order, comma-separated [default: numeric or sorted]
    #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
    pub classes: Vec<String>,
    /// Label Studio: only results of this control (`from_name`)
    #[arg(long, value_name = "NAME")]
    pub from_name: Option<String>,
}

/// Formats of a labels file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// `task,annotator,label` with a header.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// A Label Studio JSON export.
    LabelStudio,
}

/// Consensus methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// Majority vote (ties go to the first class and are flagged).
    Majority,
    /// Weighted vote, each annotator weighted by agreement with the majority.
    Wawa,
    /// Dawid–Skene EM (per-annotator confusion matrices).
    DawidSkene,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Self::Majority => "majority",
            Self::Wawa => "wawa",
            Self::DawidSkene => "dawid-skene",
        }
    }
}

/// A labels file as indexed responses with the names behind the indexes.
#[derive(Debug, Clone)]
pub struct LabelTable {
    /// Task names, by index.
    pub tasks: Vec<String>,
    /// Annotator names, by index.
    pub annotators: Vec<String>,
    /// Class names, by index.
    pub classes: Vec<String>,
    /// The responses.
    pub responses: Responses,
}

/// One raw answer before indexing.
type Raw = (String, String, String);

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Splits one CSV line (double quotes may wrap a field; `""` is a quote).
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(ch) = chars.next() {
        match (ch, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur).trim().to_string()),
            _ => cur.push(ch),
        }
    }
    out.push(cur.trim().to_string());
    out
}

fn read_csv(text: &str, path: &str) -> Result<Vec<Raw>> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or_else(|| anyhow!("{path}: empty file"))?;
    let header: Vec<String> = csv_fields(header)
        .into_iter()
        .map(|h| h.to_lowercase())
        .collect();
    let col = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            anyhow!("{path}: the header has no \"{name}\" column (expected task,annotator,label)")
        })
    };
    let (t, a, l) = (col("task")?, col("annotator")?, col("label")?);
    lines
        .map(|(i, line)| {
            let f = csv_fields(line);
            let get = |c: usize| {
                f.get(c).cloned().ok_or_else(|| {
                    anyhow!(
                        "{path}:{}: {} fields, expected {}",
                        i + 1,
                        f.len(),
                        header.len()
                    )
                })
            };
            Ok((get(t)?, get(a)?, get(l)?))
        })
        .collect()
}

fn read_jsonl(text: &str, path: &str) -> Result<Vec<Raw>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            let v: Value = serde_json::from_str(line)
                .with_context(|| format!("{path}:{}: not JSON", i + 1))?;
            let field = |k: &str| {
                text_of(&v[k]).ok_or_else(|| {
                    anyhow!(
                        "{path}:{}: no \"{k}\" (expected {{\"task\", \"annotator\", \"label\"}})",
                        i + 1
                    )
                })
            };
            Ok((field("task")?, field("annotator")?, field("label")?))
        })
        .collect()
}

/// The annotator of a Label Studio annotation: `completed_by` (an id or an
/// object with `email` / `id`).
fn ls_annotator(a: &Value) -> String {
    match &a["completed_by"] {
        Value::Object(o) => o
            .get("email")
            .and_then(text_of)
            .or_else(|| o.get("id").and_then(text_of))
            .unwrap_or_else(|| "unknown".into()),
        other => text_of(other).unwrap_or_else(|| "unknown".into()),
    }
}

/// The live annotations of a Label Studio task (cancelled ones skipped).
fn ls_annotations(task: &Value) -> impl Iterator<Item = &Value> {
    task["annotations"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|a| !a["was_cancelled"].as_bool().unwrap_or(false))
}

fn ls_results<'a>(
    annotation: &'a Value,
    from_name: Option<&'a str>,
) -> impl Iterator<Item = &'a Value> {
    annotation["result"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(move |r| from_name.is_none_or(|n| r["from_name"].as_str() == Some(n)))
}

/// The tasks of a Label Studio export, sorted by id.
fn ls_tasks(text: &str, path: &str) -> Result<Vec<Value>> {
    let v: Value = serde_json::from_str(text).with_context(|| format!("{path}: not JSON"))?;
    let Value::Array(mut tasks) = v else {
        bail!("{path}: a Label Studio JSON export is a list of tasks");
    };
    tasks.sort_by_key(|t| t["id"].as_u64().unwrap_or(u64::MAX));
    Ok(tasks)
}

fn read_label_studio(text: &str, path: &str, from_name: Option<&str>) -> Result<Vec<Raw>> {
    let mut out = Vec::new();
    for (i, task) in ls_tasks(text, path)?.iter().enumerate() {
        let name = text_of(&task["id"]).unwrap_or_else(|| i.to_string());
        for a in ls_annotations(task) {
            let who = ls_annotator(a);
            for r in ls_results(a, from_name) {
                if r["type"] != "choices" {
                    continue;
                }
                if let Some(choice) = r["value"]["choices"].as_array().and_then(|c| c.first()) {
                    let label = text_of(choice)
                        .ok_or_else(|| anyhow!("{path}: task {name}: a choice is not text"))?;
                    out.push((name.clone(), who.clone(), label));
                }
            }
        }
    }
    if out.is_empty() {
        bail!("{path}: no choices in the export (quality tools need categorical answers)");
    }
    Ok(out)
}

/// Orders class names: integers numerically, else alphabetically.
fn sorted_classes(found: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = found.collect();
    v.sort();
    v.dedup();
    if v.iter().all(|c| c.parse::<i64>().is_ok()) {
        v.sort_by_key(|c| c.parse::<i64>().unwrap_or_default());
    }
    v
}

/// Index of `name` in `list`, appending it when new.
fn index_of(list: &mut Vec<String>, map: &mut BTreeMap<String, u32>, name: &str) -> u32 {
    if let Some(&i) = map.get(name) {
        return i;
    }
    let i = list.len() as u32;
    list.push(name.to_string());
    map.insert(name.to_string(), i);
    i
}

/// Reads and indexes a labels file.
pub fn read_table(
    path: &Path,
    format: Option<InputFormat>,
    classes: &[String],
    from_name: Option<&str>,
) -> Result<LabelTable> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {name}"))?;
    let format =
        format.unwrap_or_else(
            || match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
                "csv" => InputFormat::Csv,
                "jsonl" | "ndjson" => InputFormat::Jsonl,
                _ => InputFormat::LabelStudio,
            },
        );
    let raw = match format {
        InputFormat::Csv => read_csv(&text, &name)?,
        InputFormat::Jsonl => read_jsonl(&text, &name)?,
        InputFormat::LabelStudio => read_label_studio(&text, &name, from_name)?,
    };
    let classes: Vec<String> = if classes.is_empty() {
        sorted_classes(raw.iter().map(|r| r.2.clone()))
    } else {
        classes.to_vec()
    };
    if classes.len() < 2 || classes.len() > usize::from(u16::MAX) {
        bail!(
            "{name}: {} classes ({}); at least two are needed (pass --classes A,B,...)",
            classes.len(),
            classes.join(",")
        );
    }
    let class_index: BTreeMap<&str, u16> = classes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i as u16))
        .collect();
    let (mut tasks, mut task_map) = (Vec::new(), BTreeMap::new());
    let (mut annotators, mut ann_map) = (Vec::new(), BTreeMap::new());
    let mut items = Vec::with_capacity(raw.len());
    for (t, a, l) in &raw {
        let label = *class_index
            .get(l.as_str())
            .ok_or_else(|| anyhow!("{name}: label {l:?} of task {t} is not among --classes"))?;
        items.push(Response {
            task: index_of(&mut tasks, &mut task_map, t),
            annotator: index_of(&mut annotators, &mut ann_map, a),
            label,
        });
    }
    let responses = Responses::new(
        tasks.len() as u32,
        annotators.len() as u32,
        classes.len() as u16,
        items,
    )
    .map_err(|e| match e {
        labelmint_quality::QualityError::Duplicate { task, annotator } => anyhow!(
            "{name}: annotator {} answered task {} twice",
            annotators[annotator as usize],
            tasks[task as usize]
        ),
        other => anyhow!("{name}: {other}"),
    })?;
    Ok(LabelTable {
        tasks,
        annotators,
        classes,
        responses,
    })
}

impl Input {
    fn table(&self) -> Result<LabelTable> {
        read_table(
            &self.file,
            self.input_format,
            &self.classes,
            self.from_name.as_deref(),
        )
    }
}

/// The consensus of `method` (with the Dawid–Skene model when fitted).
pub fn consensus(
    r: &Responses,
    method: Method,
) -> Result<(Aggregation, Option<labelmint_quality::DsModel>)> {
    Ok(match method {
        Method::Majority => (majority_vote(r), None),
        Method::Wawa => {
            let mv = majority_vote(r);
            let weights: Vec<f64> = annotator_agreement(r, &mv.labels)
                .iter()
                .map(labelmint_quality::Agreement::rate)
                .collect();
            (weighted_vote(r, &weights)?, None)
        }
        Method::DawidSkene => {
            let m = crate::output::with_spinner(
                format!("Dawid–Skene on {} answers", r.items().len()),
                || dawid_skene(r),
            );
            (m.aggregation.clone(), Some(m))
        }
    })
}

fn fmt_opt(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), |v| format!("{v:.4}"))
}

/// Runs `labelmint quality …`.
#[allow(clippy::too_many_lines)]
pub fn quality(cmd: &QualityCmd) -> Result<()> {
    match cmd {
        QualityCmd::Aggregate { input, method } => {
            let t = input.table()?;
            let r = &t.responses;
            let (agg, _) = consensus(r, *method)?;
            let mut text = format!(
                "task\tlabel\tconfidence\tanswers\ttied  ({})\n",
                method.name()
            );
            let mut rows = Vec::new();
            for (i, name) in t.tasks.iter().enumerate() {
                let label = agg.labels[i].map(|c| t.classes[usize::from(c)].clone());
                let conf = agg.confidence(i as u32);
                let answers = r.of_task(i as u32).len();
                let _ = writeln!(
                    text,
                    "{name}\t{}\t{conf:.4}\t{answers}\t{}",
                    label.as_deref().unwrap_or("-"),
                    if agg.tied[i] { "tied" } else { "" }
                );
                rows.push(json!({"task": name, "label": label, "confidence": conf,
                                 "answers": answers, "tied": agg.tied[i]}));
            }
            emit(
                text.trim_end(),
                json!({"method": method.name(), "classes": t.classes, "tasks": rows}),
            );
        }
        QualityCmd::Agreement { input } => {
            let t = input.table()?;
            let r = &t.responses;
            let (kappa, kappa_note) = match fleiss_kappa(r) {
                Ok(k) => (k, None),
                Err(e) => (None, Some(e.to_string())),
            };
            let alpha = krippendorff_alpha(r);
            let mv = majority_vote(r);
            let per = annotator_agreement(r, &mv.labels);
            let mut text = format!(
                "tasks {}, annotators {}, answers {}, classes {}\nFleiss' kappa: {}{}\nKrippendorff's alpha (nominal): {}\n\nannotator\tanswered\tagreed\twith majority\n",
                t.tasks.len(),
                t.annotators.len(),
                r.items().len(),
                t.classes.len(),
                fmt_opt(kappa),
                kappa_note.as_ref().map(|n| format!(" ({n})")).unwrap_or_default(),
                fmt_opt(alpha),
            );
            let mut rows = Vec::new();
            for (name, a) in t.annotators.iter().zip(&per) {
                let _ = writeln!(
                    text,
                    "{name}\t{}\t{}\t{:.4}",
                    a.answered,
                    a.agreed,
                    a.rate()
                );
                rows.push(json!({"annotator": name, "answered": a.answered, "agreed": a.agreed, "rate": a.rate()}));
            }
            emit(
                text.trim_end(),
                json!({"tasks": t.tasks.len(), "annotators": t.annotators.len(), "answers": r.items().len(),
                       "classes": t.classes, "fleissKappa": kappa, "fleissKappaNote": kappa_note,
                       "krippendorffAlpha": alpha, "agreementWithMajority": rows}),
            );
        }
        QualityCmd::AuditFile {
            input,
            gold,
            method,
        } => {
            let t = input.table()?;
            let r = &t.responses;
            let (reference, source, model) = if let Some(g) = gold {
                (gold_labels(g, &t)?, format!("gold {}", g.display()), None)
            } else {
                let (agg, model) = consensus(r, *method)?;
                let labels: Vec<Option<u16>> = agg
                    .labels
                    .iter()
                    .zip(&agg.tied)
                    .map(|(l, tied)| if *tied { None } else { *l })
                    .collect();
                (labels, format!("{} consensus", method.name()), model)
            };
            let k = t.classes.len();
            let per = annotator_agreement(r, &reference);
            let mut confusion = vec![vec![vec![0u32; k]; k]; t.annotators.len()];
            for x in r.items() {
                if let Some(Some(truth)) = reference.get(x.task as usize) {
                    confusion[x.annotator as usize][usize::from(*truth)][usize::from(x.label)] += 1;
                }
            }
            let mut text = format!(
                "reference: {source} ({} of {} tasks decided)\nclasses: {}\n\nannotator\tanswered\tcorrect\taccuracy{}\n",
                reference.iter().filter(|l| l.is_some()).count(),
                t.tasks.len(),
                t.classes.join(", "),
                if model.is_some() { "\tDS estimate" } else { "" }
            );
            let mut rows = Vec::new();
            for (i, name) in t.annotators.iter().enumerate() {
                let a = per[i];
                let estimate = model.as_ref().map(|m| m.accuracy(i as u32));
                let _ = writeln!(
                    text,
                    "{name}\t{}\t{}\t{:.4}{}",
                    a.answered,
                    a.agreed,
                    a.rate(),
                    estimate.map(|e| format!("\t{e:.4}")).unwrap_or_default()
                );
                rows.push(
                    json!({"annotator": name, "answered": a.answered, "correct": a.agreed,
                                 "accuracy": a.rate(), "dsAccuracy": estimate,
                                 "confusion": confusion[i]}),
                );
            }
            text.push_str("\nconfusion (rows: reference, columns: answer)\n");
            for (i, name) in t.annotators.iter().enumerate() {
                let _ = writeln!(text, "{name}:");
                for (c, row) in confusion[i].iter().enumerate() {
                    let cells: Vec<String> = row.iter().map(ToString::to_string).collect();
                    let _ = writeln!(text, "  {}\t{}", t.classes[c], cells.join("\t"));
                }
            }
            emit(
                text.trim_end(),
                json!({"reference": source, "classes": t.classes, "annotators": rows}),
            );
        }
    }
    Ok(())
}

/// Gold labels per task of `t` from CSV (`task,label`) or JSON
/// (`{"task": "label"}`); tasks without gold are `None`.
fn gold_labels(path: &Path, t: &LabelTable) -> Result<Vec<Option<u16>>> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {name}"))?;
    let pairs: Vec<(String, String)> = if path.extension().is_some_and(|e| e == "csv") {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header: Vec<String> = csv_fields(lines.next().unwrap_or_default())
            .into_iter()
            .map(|h| h.to_lowercase())
            .collect();
        let (Some(tc), Some(lc)) = (
            header.iter().position(|h| h == "task"),
            header.iter().position(|h| h == "label"),
        ) else {
            bail!("{name}: the header must name task and label");
        };
        lines
            .map(|l| {
                let f = csv_fields(l);
                match (f.get(tc), f.get(lc)) {
                    (Some(a), Some(b)) => Ok((a.clone(), b.clone())),
                    _ => Err(anyhow!("{name}: short line {l:?}")),
                }
            })
            .collect::<Result<_>>()?
    } else {
        let v: BTreeMap<String, Value> = serde_json::from_str(&text)
            .with_context(|| format!("{name}: expected {{\"task\": \"label\"}}"))?;
        v.into_iter()
            .map(|(k, v)| {
                Ok((
                    k,
                    text_of(&v).ok_or_else(|| anyhow!("{name}: label is not text"))?,
                ))
            })
            .collect::<Result<_>>()?
    };
    let mut out = vec![None; t.tasks.len()];
    for (task, label) in pairs {
        let Some(i) = t.tasks.iter().position(|x| *x == task) else {
            continue;
        };
        let c =
            t.classes.iter().position(|c| *c == label).ok_or_else(|| {
                anyhow!("{name}: gold label {label:?} of task {task} is not a class")
            })?;
        out[i] = Some(c as u16);
    }
    Ok(out)
}

/// Runs `labelmint import …` (`store`: where `--data-root`'s manifest is).
pub fn import(cmd: &ImportCmd, store: &Path) -> Result<()> {
    let ImportCmd::LabelStudio(a) = cmd;
    let name = a.export.display().to_string();
    let text = std::fs::read_to_string(&a.export).with_context(|| format!("reading {name}"))?;
    let tasks = ls_tasks(&text, &name)?;
    let manifest = match a.data_root {
        Some(root) => {
            let store = labelmint_storage::LocalStore::open(store)?;
            let bytes = store
                .get(&root)
                .with_context(|| format!("the manifest {root} is not in the store"))?;
            Some(
                serde_json::from_slice::<labelmint_storage::Manifest>(&bytes)
                    .context("manifest")?,
            )
        }
        None => None,
    };
    let file = label_studio_to_labels(&tasks, a, manifest.as_ref())?;
    std::fs::write(&a.out, serde_json::to_vec_pretty(&file.value)?)
        .with_context(|| format!("writing {}", a.out.display()))?;
    emit(
        format!(
            "{} labels of {} tasks ({}) -> {}",
            file.labels,
            file.tasks,
            file.kind,
            a.out.display()
        ),
        json!({"out": a.out, "kind": file.kind, "labels": file.labels, "tasks": file.tasks,
               "classes": file.value.get("categories").or_else(|| file.value.get("classes"))}),
    );
    if file.skipped > 0 {
        eprintln!("{} results of other types skipped", file.skipped);
    }
    Ok(())
}

/// A converted Label Studio export.
#[derive(Debug)]
pub struct Imported {
    /// The labels file.
    pub value: Value,
    /// `image` or `text`.
    pub kind: &'static str,
    /// Labels written.
    pub labels: usize,
    /// Tasks in the export.
    pub tasks: usize,
    /// Results skipped (other types).
    pub skipped: usize,
}

/// The last path component of a Label Studio data URL, without the upload
/// prefix Label Studio adds (`/data/upload/3/1a2b3c4d-cat.jpg` → `cat.jpg`).
fn ls_file_name(url: &str) -> (&str, &str) {
    let base = url.rsplit(['/', '=']).next().unwrap_or(url);
    let stripped = base.split_once('-').map_or(base, |(_, rest)| rest);
    (base, stripped)
}

/// One imported shape: task, label, box, polygon.
type Shape = (u32, String, Option<[f64; 4]>, Option<Vec<f64>>);

/// Converts Label Studio tasks to labelmint's labels file.
#[allow(
    clippy::too_many_lines,
    clippy::cast_precision_loss,
    clippy::many_single_char_names
)]
pub fn label_studio_to_labels(
    tasks: &[Value],
    a: &ImportLabelStudio,
    manifest: Option<&labelmint_storage::Manifest>,
) -> Result<Imported> {
    let from = a.from_name.as_deref();
    // Task index: by file name in the manifest, else the export's order.
    let index = |i: usize, task: &Value| -> Result<u32> {
        let Some(m) = manifest else {
            return Ok(i as u32);
        };
        let url = task["data"]
            .as_object()
            .and_then(|d| d.values().find_map(Value::as_str))
            .unwrap_or_default();
        let (base, stripped) = ls_file_name(url);
        m.tasks
            .iter()
            .find(|t| {
                let p = t.path.rsplit('/').next().unwrap_or(&t.path);
                p == base || p == stripped
            })
            .map(|t| t.index)
            .ok_or_else(|| anyhow!("task {}: no manifest item named {base}", task["id"]))
    };
    let geometry = tasks.iter().any(|t| {
        ls_annotations(t)
            .flat_map(|an| ls_results(an, from))
            .any(|r| r["type"] == "rectanglelabels" || r["type"] == "polygonlabels")
    });
    let mut skipped = 0;
    if !geometry {
        // Text job: one class per task, settled by majority vote.
        let mut raw: Vec<(u32, String)> = Vec::new();
        let mut per_task: BTreeMap<u32, Vec<String>> = BTreeMap::new();
        for (i, task) in tasks.iter().enumerate() {
            let t = index(i, task)?;
            for an in ls_annotations(task) {
                for r in ls_results(an, from) {
                    if r["type"] != "choices" {
                        skipped += 1;
                        continue;
                    }
                    if let Some(c) = r["value"]["choices"]
                        .as_array()
                        .and_then(|c| c.first())
                        .and_then(text_of)
                    {
                        raw.push((t, c.clone()));
                        per_task.entry(t).or_default().push(c);
                    }
                }
            }
        }
        let classes = if a.classes.is_empty() {
            sorted_classes(raw.iter().map(|r| r.1.clone()))
        } else {
            a.classes.clone()
        };
        let mut labels = Vec::new();
        for (t, votes) in &per_task {
            let mut counts = vec![0u32; classes.len()];
            for v in votes {
                let c = classes
                    .iter()
                    .position(|x| x == v)
                    .ok_or_else(|| anyhow!("task {t}: choice {v:?} is not among --classes"))?;
                counts[c] += 1;
            }
            let best = counts.iter().copied().max().unwrap_or(0);
            // Ties: the first class with the top count (as majority_vote).
            let c = counts.iter().position(|&n| n == best).unwrap_or(0);
            labels.push(json!({"task": t, "label": c}));
        }
        return Ok(Imported {
            labels: labels.len(),
            value: json!({"classes": classes, "instruction": a.instruction, "labels": labels}),
            kind: "text",
            tasks: tasks.len(),
            skipped,
        });
    }
    // Image job: boxes and polygons of the first live annotation per task
    // (the one marked ground truth when there is one).
    let mut found: Vec<Shape> = Vec::new();
    let mut dates: Vec<String> = Vec::new();
    for (i, task) in tasks.iter().enumerate() {
        let t = index(i, task)?;
        let mut live: Vec<&Value> = ls_annotations(task).collect();
        live.sort_by_key(|an| !an["ground_truth"].as_bool().unwrap_or(false));
        let Some(an) = live.first() else {
            continue;
        };
        if let Some(d) = an["created_at"].as_str() {
            dates.push(d.chars().take(10).collect());
        }
        for r in ls_results(an, from) {
            let kind = r["type"].as_str().unwrap_or_default();
            if kind != "rectanglelabels" && kind != "polygonlabels" {
                skipped += 1;
                continue;
            }
            let size = |key: &str, fallback: Option<u32>| -> Result<f64> {
                r[key]
                    .as_f64()
                    .or_else(|| fallback.map(f64::from))
                    .ok_or_else(|| anyhow!("task {}: result without {key}", task["id"]))
            };
            let item = manifest.and_then(|m| m.tasks.get(t as usize));
            let w = size("original_width", item.and_then(|x| x.width))?;
            let h = size("original_height", item.and_then(|x| x.height))?;
            let v = &r["value"];
            let label = v[kind]
                .as_array()
                .and_then(|l| l.first())
                .and_then(text_of)
                .ok_or_else(|| anyhow!("task {}: a {kind} result without a label", task["id"]))?;
            let num = |k: &str| -> Result<f64> {
                v[k].as_f64()
                    .ok_or_else(|| anyhow!("task {}: {kind} without {k}", task["id"]))
            };
            if kind == "rectanglelabels" {
                let bbox = [
                    num("x")? / 100.0 * w,
                    num("y")? / 100.0 * h,
                    num("width")? / 100.0 * w,
                    num("height")? / 100.0 * h,
                ];
                found.push((t, label, Some(bbox.map(round2)), None));
            } else {
                let points = v["points"]
                    .as_array()
                    .ok_or_else(|| anyhow!("task {}: polygon without points", task["id"]))?;
                let mut flat = Vec::with_capacity(points.len() * 2);
                for p in points {
                    let (Some(x), Some(y)) = (p[0].as_f64(), p[1].as_f64()) else {
                        bail!("task {}: a polygon point is not [x, y]", task["id"]);
                    };
                    flat.push(round2(x / 100.0 * w));
                    flat.push(round2(y / 100.0 * h));
                }
                found.push((t, label, None, Some(flat)));
            }
        }
    }
    let categories = if a.classes.is_empty() {
        sorted_classes(found.iter().map(|f| f.1.clone()))
    } else {
        a.classes.clone()
    };
    let labels = found
        .iter()
        .map(|(t, l, bbox, polygon)| {
            let c = categories
                .iter()
                .position(|x| x == l)
                .ok_or_else(|| anyhow!("task {t}: label {l:?} is not among --classes"))?;
            Ok(json!({"task": t, "category": c, "bbox": bbox, "polygon": polygon}))
        })
        .collect::<Result<Vec<_>>>()?;
    dates.sort();
    Ok(Imported {
        labels: labels.len(),
        value: json!({
            "categories": categories,
            "labels": labels,
            "info": {
                "description": a.description,
                "version": "1.0",
                "date_created": dates.last().cloned().unwrap_or_default(),
                "contributor": "Label Studio",
                "license": a.license,
                "license_url": "",
            },
        }),
        kind: "image",
        tasks: tasks.len(),
        skipped,
    })
}

/// Rounds to hundredths of a pixel (Label Studio stores percentages with
/// float noise; the export should be stable).
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
