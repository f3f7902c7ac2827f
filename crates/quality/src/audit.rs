//! The job audit: are the on-chain commitments backed by the off-chain
//! payloads, do the labels look like honest human work, and should the
//! creator accept the dataset?
//!
//! Input is what the chain records per batch ([`OnChainBatch`], from the
//! market's `LabelsSubmitted` and `TasksClaimed` events) plus a resolver that
//! fetches an off-chain payload by its 0G root (the local store or 0G).
//! Categorical batches carry their labels on chain (one class byte per task);
//! geometry and text batches carry a 32-byte commitment, the 0G root of a
//! [`BatchFile`].

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256};
use serde::{Deserialize, Serialize};

use crate::{
    aggregate::DawidSkene,
    agreement::{annotator_agreement, fleiss_kappa, krippendorff_alpha},
    geometry::{geometry_consensus, GeoLabel, Shape},
    Response, Responses,
};

/// What a job labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// One class per task, on chain.
    Categorical,
    /// Boxes / polygons per image, off chain behind a commitment.
    Geometry,
    /// Free text per task, off chain behind a commitment.
    Text,
}

/// One submitted batch as the chain records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OnChainBatch {
    /// Batch id.
    pub batch_id: u64,
    /// Who submitted it.
    pub annotator: Address,
    /// Task ids, in payload order.
    pub tasks: Vec<u32>,
    /// The `payload` bytes: class bytes, or a 32-byte commitment.
    #[serde(with = "hex_bytes")]
    pub payload: Vec<u8>,
    /// Block time of the submission.
    pub submitted_at: u64,
    /// Block time of the claim that covered the batch, if any.
    #[serde(default)]
    pub claimed_at: Option<u64>,
}

/// An off-chain batch payload (stored under its 0G root, which is the
/// batch's on-chain commitment).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchFile {
    /// The job.
    pub job_id: u64,
    /// The annotator who signs / submits the commitment.
    pub annotator: Address,
    /// Task ids, as in the on-chain batch.
    pub tasks: Vec<u32>,
    /// One label per task.
    pub labels: Vec<TaskLabel>,
}

/// The label of one task in a [`BatchFile`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskLabel {
    /// Regions of an image.
    Shapes(Vec<ShapeLabel>),
    /// A text answer.
    Text(String),
}

/// One region of an image with its class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShapeLabel {
    /// Class index.
    pub category: u32,
    /// The region.
    pub shape: Shape,
}

/// Thresholds of the audit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditConfig {
    /// Reject categorical jobs below this Krippendorff's α (0.667 is
    /// Krippendorff's floor for tentative conclusions).
    pub min_alpha: f64,
    /// Reject geometry jobs when fewer shapes than this share reach consensus.
    pub min_geometry_match: f64,
    /// IoU at which two shapes count as the same object.
    pub iou_threshold: f64,
    /// Annotators needed for a geometry consensus object.
    pub quorum: usize,
    /// Flag an annotator whose agreement is this far below the crowd median.
    pub agreement_gap: f64,
    /// Judge an annotator's agreement or distribution only from this many answers.
    pub min_answers: u32,
    /// Flag a batch faster than this many seconds per task.
    pub min_seconds_per_task: f64,
    /// Flag an annotator giving one class this often…
    pub uniform_share: f64,
    /// …on tasks whose consensus has no class above this share.
    pub diverse_share: f64,
    /// Reject when flagged annotators gave more than this share of answers.
    pub max_flagged_share: f64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            min_alpha: 0.667,
            min_geometry_match: 0.7,
            iou_threshold: 0.5,
            quorum: 2,
            agreement_gap: 0.25,
            min_answers: 10,
            min_seconds_per_task: 2.0,
            uniform_share: 0.9,
            diverse_share: 0.6,
            max_flagged_share: 0.1,
        }
    }
}

/// Something the audit found.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "finding", rename_all = "snake_case")]
pub enum Finding {
    /// No payload under the commitment: a failed or withheld upload.
    MissingPayload {
        /// Batch id.
        batch_id: u64,
        /// Its annotator.
        annotator: Address,
        /// The on-chain commitment.
        commitment: B256,
    },
    /// The payload served for the commitment hashes to something else:
    /// tampering or corruption.
    PayloadMismatch {
        /// Batch id.
        batch_id: u64,
        /// Its annotator.
        annotator: Address,
        /// The on-chain commitment.
        commitment: B256,
        /// The root of the bytes served.
        actual: B256,
    },
    /// The payload matches its commitment but not the on-chain batch, or
    /// does not parse.
    PayloadInvalid {
        /// Batch id.
        batch_id: u64,
        /// Its annotator.
        annotator: Address,
        /// What is wrong.
        reason: String,
    },
    /// An annotator gives one class almost always on diverse items.
    UniformAnswers {
        /// The annotator.
        annotator: Address,
        /// The class.
        label: u16,
        /// Its share of the annotator's answers.
        share: f64,
        /// Answers judged.
        answers: u32,
    },
    /// A batch submitted faster than a human could label it.
    TooFast {
        /// Batch id.
        batch_id: u64,
        /// Its annotator.
        annotator: Address,
        /// Seconds per task between claim (or previous submission) and submission.
        seconds_per_task: f64,
    },
    /// An annotator agrees with consensus far less than the crowd.
    LowAgreement {
        /// The annotator.
        annotator: Address,
        /// Their agreement with consensus.
        rate: f64,
        /// The crowd's median agreement.
        crowd_median: f64,
    },
}

impl Finding {
    /// Whether the finding breaks the chain of custody (reject outright).
    pub fn is_integrity(&self) -> bool {
        matches!(
            self,
            Finding::MissingPayload { .. }
                | Finding::PayloadMismatch { .. }
                | Finding::PayloadInvalid { .. }
        )
    }

    /// The annotator concerned.
    pub fn annotator(&self) -> Address {
        match self {
            Finding::MissingPayload { annotator, .. }
            | Finding::PayloadMismatch { annotator, .. }
            | Finding::PayloadInvalid { annotator, .. }
            | Finding::UniformAnswers { annotator, .. }
            | Finding::TooFast { annotator, .. }
            | Finding::LowAgreement { annotator, .. } => *annotator,
        }
    }
}

/// One annotator's line in the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnnotatorRow {
    /// The annotator.
    pub annotator: Address,
    /// Tasks answered (shapes drawn, for geometry).
    pub answers: u32,
    /// Agreement with consensus (`None` when not measurable).
    pub agreement: Option<f64>,
    /// Dawid–Skene accuracy estimate (categorical jobs).
    pub ds_accuracy: Option<f64>,
    /// Findings against this annotator.
    pub flags: u32,
}

/// The audit's result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditReport {
    /// The job.
    pub job_id: u64,
    /// Its kind.
    pub kind: JobKind,
    /// Batches audited.
    pub batches: usize,
    /// Batches whose payload was verified against the chain.
    pub verified_batches: usize,
    /// Tasks with at least one answer.
    pub tasks_answered: usize,
    /// Tasks with a consensus (categorical: untied Dawid–Skene winner;
    /// geometry: images with at least one consensus object).
    pub tasks_with_consensus: usize,
    /// Fleiss' κ (categorical, equal answers per task).
    pub fleiss_kappa: Option<f64>,
    /// Krippendorff's α, nominal (categorical).
    pub krippendorff_alpha: Option<f64>,
    /// Share of shapes inside consensus objects (geometry).
    pub geometry_match: Option<f64>,
    /// Mean IoU inside consensus objects (geometry).
    pub mean_iou: Option<f64>,
    /// Per annotator.
    pub annotators: Vec<AnnotatorRow>,
    /// Everything found.
    pub findings: Vec<Finding>,
    /// Accept the dataset?
    pub accept: bool,
    /// Why (every failed criterion; empty when accepted).
    pub reasons: Vec<String>,
    /// The thresholds used.
    pub config: AuditConfig,
}

/// Audits job `job_id` of `kind` with `classes` classes from its on-chain
/// `batches`; `fetch(root)` returns the bytes stored under a commitment
/// (`None` when missing). Never panics on bad payloads: each becomes a
/// [`Finding`].
#[allow(clippy::too_many_lines, clippy::cast_precision_loss)]
pub fn audit(
    job_id: u64,
    kind: JobKind,
    classes: u16,
    batches: &[OnChainBatch],
    fetch: impl Fn(&B256) -> Option<Vec<u8>>,
    config: &AuditConfig,
) -> AuditReport {
    let mut findings = Vec::new();
    let mut ids: BTreeMap<Address, u32> = BTreeMap::new();
    for b in batches {
        let next = ids.len() as u32;
        ids.entry(b.annotator).or_insert(next);
    }
    let addresses: Vec<Address> = {
        let mut v = vec![Address::ZERO; ids.len()];
        for (a, i) in &ids {
            v[*i as usize] = *a;
        }
        v
    };
    let max_task = batches
        .iter()
        .flat_map(|b| b.tasks.iter().copied())
        .max()
        .map_or(0, |t| t + 1);

    // Chain of custody and answers.
    let mut answers: BTreeMap<(u32, u32), u16> = BTreeMap::new();
    let mut shapes: Vec<GeoLabel> = Vec::new();
    let mut answered_tasks = vec![false; max_task as usize];
    let mut verified = 0;
    for b in batches {
        let a = ids[&b.annotator];
        if kind == JobKind::Categorical {
            if b.payload.len() == b.tasks.len() {
                verified += 1;
                for (&t, &l) in b.tasks.iter().zip(&b.payload) {
                    answers.insert((t, a), u16::from(l));
                    answered_tasks[t as usize] = true;
                }
            } else {
                findings.push(Finding::PayloadInvalid {
                    batch_id: b.batch_id,
                    annotator: b.annotator,
                    reason: format!(
                        "{} class bytes for {} tasks",
                        b.payload.len(),
                        b.tasks.len()
                    ),
                });
            }
            continue;
        }
        let Ok(commitment) = B256::try_from(b.payload.as_slice()) else {
            findings.push(Finding::PayloadInvalid {
                batch_id: b.batch_id,
                annotator: b.annotator,
                reason: format!(
                    "{}-byte payload is not a 32-byte commitment",
                    b.payload.len()
                ),
            });
            continue;
        };
        let Some(bytes) = fetch(&commitment) else {
            findings.push(Finding::MissingPayload {
                batch_id: b.batch_id,
                annotator: b.annotator,
                commitment,
            });
            continue;
        };
        let actual = labelmint_storage::root_of_bytes(&bytes).unwrap_or_default();
        if actual != commitment {
            findings.push(Finding::PayloadMismatch {
                batch_id: b.batch_id,
                annotator: b.annotator,
                commitment,
                actual,
            });
            continue;
        }
        let invalid = |reason: String| Finding::PayloadInvalid {
            batch_id: b.batch_id,
            annotator: b.annotator,
            reason,
        };
        let file: BatchFile = match serde_json::from_slice(&bytes) {
            Ok(f) => f,
            Err(e) => {
                findings.push(invalid(format!("not a batch file: {e}")));
                continue;
            }
        };
        if file.job_id != job_id || file.annotator != b.annotator || file.tasks != b.tasks {
            findings.push(invalid(
                "job, annotator or task list differs from the chain".into(),
            ));
            continue;
        }
        if file.labels.len() != file.tasks.len() {
            findings.push(invalid(format!(
                "{} labels for {} tasks",
                file.labels.len(),
                file.tasks.len()
            )));
            continue;
        }
        let mut ok = true;
        for (&t, label) in file.tasks.iter().zip(&file.labels) {
            match (kind, label) {
                (JobKind::Geometry, TaskLabel::Shapes(list)) => {
                    for s in list {
                        if s.shape.is_valid() && s.category < u32::from(classes) {
                            shapes.push(GeoLabel {
                                task: t,
                                annotator: a,
                                category: s.category,
                                shape: s.shape.clone(),
                            });
                        } else {
                            ok = false;
                        }
                    }
                }
                (JobKind::Text, TaskLabel::Text(_)) => {}
                _ => ok = false,
            }
            answered_tasks[t as usize] = true;
        }
        if ok {
            verified += 1;
        } else {
            findings.push(invalid(
                "a label of the wrong kind, an invalid shape or an unknown class".into(),
            ));
        }
    }

    // Speed: seconds per task since the claim, or since the annotator's
    // previous submission in this job.
    let mut last: BTreeMap<Address, u64> = BTreeMap::new();
    let mut by_time: Vec<&OnChainBatch> = batches.iter().collect();
    by_time.sort_by_key(|b| (b.submitted_at, b.batch_id));
    for b in by_time {
        let start = b.claimed_at.or_else(|| last.get(&b.annotator).copied());
        if let Some(start) = start {
            let secs = b.submitted_at.saturating_sub(start) as f64 / b.tasks.len().max(1) as f64;
            if secs < config.min_seconds_per_task {
                findings.push(Finding::TooFast {
                    batch_id: b.batch_id,
                    annotator: b.annotator,
                    seconds_per_task: secs,
                });
            }
        }
        last.insert(b.annotator, b.submitted_at);
    }

    let n_ann = addresses.len();
    let mut rows: Vec<AnnotatorRow> = addresses
        .iter()
        .map(|&annotator| AnnotatorRow {
            annotator,
            answers: 0,
            agreement: None,
            ds_accuracy: None,
            flags: 0,
        })
        .collect();
    let mut report = AuditReport {
        job_id,
        kind,
        batches: batches.len(),
        verified_batches: verified,
        tasks_answered: answered_tasks.iter().filter(|&&x| x).count(),
        tasks_with_consensus: 0,
        fleiss_kappa: None,
        krippendorff_alpha: None,
        geometry_match: None,
        mean_iou: None,
        annotators: Vec::new(),
        findings: Vec::new(),
        accept: false,
        reasons: Vec::new(),
        config: config.clone(),
    };
    let mut rates: Vec<Option<f64>> = vec![None; n_ann];
    match kind {
        JobKind::Categorical if !answers.is_empty() && classes >= 2 => {
            let items: Vec<Response> = answers
                .iter()
                .map(|(&(task, annotator), &label)| Response {
                    task,
                    annotator,
                    label,
                })
                .collect();
            if let Ok(r) = Responses::new(max_task, n_ann as u32, classes, items) {
                let model = DawidSkene::default().fit(&r);
                let consensus: Vec<Option<u16>> = model
                    .aggregation
                    .labels
                    .iter()
                    .zip(&model.aggregation.tied)
                    .map(|(l, &tied)| if tied { None } else { *l })
                    .collect();
                report.tasks_with_consensus = consensus.iter().flatten().count();
                report.fleiss_kappa = fleiss_kappa(&r).ok().flatten();
                report.krippendorff_alpha = krippendorff_alpha(&r);
                let agreement = annotator_agreement(&r, &consensus);
                for (a, row) in rows.iter_mut().enumerate() {
                    row.ds_accuracy = Some(model.accuracy(a as u32));
                    if agreement[a].answered >= config.min_answers {
                        rates[a] = Some(agreement[a].rate());
                    }
                    row.agreement = (agreement[a].answered > 0).then(|| agreement[a].rate());
                }
                uniform_answers(&r, &consensus, &addresses, config, &mut findings);
            }
            for x in answers.keys() {
                rows[x.1 as usize].answers += 1;
            }
        }
        JobKind::Geometry => {
            let g = geometry_consensus(&shapes, n_ann as u32, config.iou_threshold, config.quorum);
            let drawn: u32 = g.annotators.iter().map(|a| a.shapes).sum();
            let matched: u32 = g.annotators.iter().map(|a| a.matched).sum();
            if drawn > 0 {
                report.geometry_match = Some(f64::from(matched) / f64::from(drawn));
            }
            if !g.objects.is_empty() {
                report.mean_iou = Some(
                    g.objects.iter().map(|o| o.mean_iou).sum::<f64>() / g.objects.len() as f64,
                );
            }
            let mut with: Vec<u32> = g.objects.iter().map(|o| o.task).collect();
            with.dedup();
            report.tasks_with_consensus = with.len();
            for (a, row) in rows.iter_mut().enumerate() {
                let x = g.annotators[a];
                row.answers = x.shapes;
                if x.shapes > 0 {
                    row.agreement = Some(f64::from(x.matched) / f64::from(x.shapes));
                }
                if x.shapes >= config.min_answers {
                    rates[a] = row.agreement;
                }
            }
        }
        _ => {
            for b in batches {
                rows[ids[&b.annotator] as usize].answers += b.tasks.len() as u32;
            }
        }
    }

    // Annotators far below the crowd.
    let mut judged: Vec<f64> = rates.iter().flatten().copied().collect();
    if judged.len() >= 3 {
        judged.sort_by(f64::total_cmp);
        let median = judged[judged.len() / 2];
        for (a, rate) in rates.iter().enumerate() {
            if let Some(rate) = rate {
                if *rate < median - config.agreement_gap {
                    findings.push(Finding::LowAgreement {
                        annotator: addresses[a],
                        rate: *rate,
                        crowd_median: median,
                    });
                }
            }
        }
    }

    for f in &findings {
        rows[ids[&f.annotator()] as usize].flags += 1;
    }
    let total_answers: u32 = rows.iter().map(|r| r.answers).sum();
    let flagged_answers: u32 = rows.iter().filter(|r| r.flags > 0).map(|r| r.answers).sum();
    let integrity = findings.iter().filter(|f| f.is_integrity()).count();
    if integrity > 0 {
        report.reasons.push(format!("{integrity} batch(es) fail the chain of custody (missing, altered or invalid payloads)"));
    }
    if let Some(alpha) = report.krippendorff_alpha {
        if alpha < config.min_alpha {
            report.reasons.push(format!(
                "Krippendorff's alpha {alpha:.3} < {:.3}",
                config.min_alpha
            ));
        }
    } else if kind == JobKind::Categorical {
        report.reasons.push(
            "agreement cannot be measured (no task with two answers of different classes)".into(),
        );
    }
    if let Some(m) = report.geometry_match {
        if m < config.min_geometry_match {
            report.reasons.push(format!(
                "only {:.1} % of shapes reach consensus (< {:.1} %)",
                m * 100.0,
                config.min_geometry_match * 100.0
            ));
        }
    }
    if total_answers > 0 {
        let share = f64::from(flagged_answers) / f64::from(total_answers);
        if share > config.max_flagged_share {
            report.reasons.push(format!(
                "flagged annotators gave {:.1} % of answers (> {:.1} %)",
                share * 100.0,
                config.max_flagged_share * 100.0
            ));
        }
    } else {
        report.reasons.push("no answers".into());
    }
    report.accept = report.reasons.is_empty();
    report.annotators = rows;
    report.findings = findings;
    report
}

/// Flags annotators who give one class almost always on tasks whose
/// consensus is diverse.
#[allow(clippy::cast_precision_loss)]
fn uniform_answers(
    r: &Responses,
    consensus: &[Option<u16>],
    addresses: &[Address],
    config: &AuditConfig,
    findings: &mut Vec<Finding>,
) {
    let k = usize::from(r.classes());
    let mut own = vec![0u32; addresses.len() * k];
    let mut crowd = vec![0u32; addresses.len() * k];
    let mut n = vec![0u32; addresses.len()];
    for x in r.items() {
        let a = x.annotator as usize;
        own[a * k + usize::from(x.label)] += 1;
        n[a] += 1;
        if let Some(Some(c)) = consensus.get(x.task as usize) {
            crowd[a * k + usize::from(*c)] += 1;
        }
    }
    for (a, &answers) in n.iter().enumerate() {
        if answers < config.min_answers {
            continue;
        }
        let row = &own[a * k..(a + 1) * k];
        let (label, &top) = row
            .iter()
            .enumerate()
            .max_by_key(|(_, &c)| c)
            .unwrap_or((0, &0));
        let share = f64::from(top) / f64::from(answers);
        let crowd_row = &crowd[a * k..(a + 1) * k];
        let crowd_total: u32 = crowd_row.iter().sum();
        let crowd_top = crowd_row.iter().copied().max().unwrap_or(0);
        let diverse = crowd_total > 0
            && f64::from(crowd_top) / f64::from(crowd_total) <= config.diverse_share;
        if share >= config.uniform_share && diverse {
            findings.push(Finding::UniformAnswers {
                annotator: addresses[a],
                label: label as u16,
                share,
                answers,
            });
        }
    }
}

impl AuditReport {
    /// The report as an aligned text table with the verdict.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let f = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"));
        let mut s = String::new();
        let _ = writeln!(
            s,
            "job {} ({:?}): {} batches, {} verified, {} tasks answered, {} with consensus",
            self.job_id,
            self.kind,
            self.batches,
            self.verified_batches,
            self.tasks_answered,
            self.tasks_with_consensus
        );
        let _ = writeln!(
            s,
            "Fleiss kappa {} | Krippendorff alpha {} | geometry match {} | mean IoU {}",
            f(self.fleiss_kappa),
            f(self.krippendorff_alpha),
            f(self.geometry_match),
            f(self.mean_iou)
        );
        let _ = writeln!(
            s,
            "{:<42} {:>8} {:>10} {:>12} {:>6}",
            "annotator", "answers", "agreement", "DS accuracy", "flags"
        );
        for r in &self.annotators {
            let _ = writeln!(
                s,
                "{:<42} {:>8} {:>10} {:>12} {:>6}",
                r.annotator.to_string(),
                r.answers,
                f(r.agreement),
                f(r.ds_accuracy),
                r.flags
            );
        }
        for x in &self.findings {
            let _ = writeln!(s, "! {}", serde_json::to_string(x).unwrap_or_default());
        }
        if self.accept {
            let _ = writeln!(s, "verdict: ACCEPT");
        } else {
            let _ = writeln!(s, "verdict: REJECT — {}", self.reasons.join("; "));
        }
        s
    }
}

/// `0x…` hex for byte strings in JSON.
mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&alloy_primitives::hex::encode_prefixed(v))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        alloy_primitives::hex::decode(&text).map_err(serde::de::Error::custom)
    }
}
