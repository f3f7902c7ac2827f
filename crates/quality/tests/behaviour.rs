//! Behaviour of labelmint-quality beyond the reference numbers: refusals,
//! ties, geometry consensus and every finding of the audit.

use alloy_primitives::{Address, B256};
use labelmint_quality::{
    audit::{audit, AuditConfig, BatchFile, Finding, JobKind, OnChainBatch, ShapeLabel, TaskLabel},
    dawid_skene, fleiss_kappa,
    geometry::{geometry_consensus, iou, GeoLabel, Shape},
    krippendorff_alpha, majority_vote, weighted_vote, QualityError, Response, Responses, SplitMix,
};
use proptest::prelude::*;

fn resp(task: u32, annotator: u32, label: u16) -> Response {
    Response {
        task,
        annotator,
        label,
    }
}

#[test]
fn responses_reject_out_of_range_and_duplicates() {
    assert!(matches!(
        Responses::new(2, 2, 3, vec![resp(2, 0, 0)]),
        Err(QualityError::OutOfRange {
            what: "task",
            value: 2,
            limit: 2,
            ..
        })
    ));
    assert!(matches!(
        Responses::new(2, 2, 3, vec![resp(0, 5, 0)]),
        Err(QualityError::OutOfRange {
            what: "annotator",
            ..
        })
    ));
    assert!(matches!(
        Responses::new(2, 2, 3, vec![resp(0, 0, 3)]),
        Err(QualityError::OutOfRange { what: "class", .. })
    ));
    assert_eq!(
        Responses::new(2, 2, 3, vec![resp(1, 1, 0), resp(1, 1, 2)]).unwrap_err(),
        QualityError::Duplicate {
            task: 1,
            annotator: 1
        }
    );
    assert!(matches!(
        Responses::new(2, 2, 1, vec![]),
        Err(QualityError::Degenerate(_))
    ));
}

#[test]
fn majority_vote_flags_ties_and_leaves_unanswered_tasks_unlabelled() {
    let r = Responses::new(
        3,
        3,
        3,
        vec![
            resp(0, 0, 2),
            resp(0, 1, 1),
            resp(1, 0, 1),
            resp(1, 1, 1),
            resp(1, 2, 0),
        ],
    )
    .unwrap();
    let mv = majority_vote(&r);
    assert_eq!(mv.labels, vec![Some(1), Some(1), None]);
    assert_eq!(mv.tied, vec![true, false, false]);
    assert!((mv.confidence(1) - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(mv.probs_of(2), &[0.0, 0.0, 0.0]);
}

#[test]
fn weighted_vote_lets_weight_overturn_a_count_and_refuses_bad_weights() {
    let r = Responses::new(1, 3, 2, vec![resp(0, 0, 0), resp(0, 1, 0), resp(0, 2, 1)]).unwrap();
    assert_eq!(
        weighted_vote(&r, &[1.0, 1.0, 3.0]).unwrap().labels,
        vec![Some(1)]
    );
    assert_eq!(
        weighted_vote(&r, &[1.0, 1.0, 1.5]).unwrap().labels,
        vec![Some(0)]
    );
    assert_eq!(
        weighted_vote(&r, &[1.0, f64::NAN, 1.0]).unwrap_err(),
        QualityError::BadWeight(1)
    );
    assert_eq!(
        weighted_vote(&r, &[1.0, -1.0, 1.0]).unwrap_err(),
        QualityError::BadWeight(1)
    );
    assert!(matches!(
        weighted_vote(&r, &[1.0]),
        Err(QualityError::Degenerate(_))
    ));
    assert_eq!(
        weighted_vote(&r, &[0.0, 0.0, 0.0]).unwrap().labels,
        vec![None]
    );
}

#[test]
fn fleiss_kappa_refuses_unequal_raters_and_is_undefined_for_one_class() {
    let r = Responses::new(2, 3, 2, vec![resp(0, 0, 0), resp(0, 1, 0), resp(1, 0, 1)]).unwrap();
    assert_eq!(
        fleiss_kappa(&r).unwrap_err(),
        QualityError::UnequalRaters {
            task: 1,
            got: 1,
            expected: 2
        }
    );
    let same = Responses::new(
        2,
        2,
        2,
        vec![resp(0, 0, 1), resp(0, 1, 1), resp(1, 0, 1), resp(1, 1, 1)],
    )
    .unwrap();
    assert_eq!(fleiss_kappa(&same).unwrap(), None);
    assert_eq!(krippendorff_alpha(&same), None);
    let perfect = Responses::new(
        2,
        2,
        2,
        vec![resp(0, 0, 0), resp(0, 1, 0), resp(1, 0, 1), resp(1, 1, 1)],
    )
    .unwrap();
    assert_eq!(fleiss_kappa(&perfect).unwrap(), Some(1.0));
    assert_eq!(krippendorff_alpha(&perfect), Some(1.0));
}

/// A synthetic crowd: `accuracy[a]` per annotator, `k` answers per task.
fn crowd(seed: u64, tasks: u32, accuracy: &[f64], classes: u16, k: usize) -> (Responses, Vec<u16>) {
    let mut rng = SplitMix::new(seed);
    let mut items = Vec::new();
    let mut truth = Vec::new();
    for t in 0..tasks {
        let y = rng.below(u64::from(classes)) as u16;
        truth.push(y);
        let first = rng.below(accuracy.len() as u64) as usize;
        for j in 0..k {
            let a = (first + j) % accuracy.len();
            let label = if rng.unit() < accuracy[a] {
                y
            } else {
                (y + 1 + rng.below(u64::from(classes) - 1) as u16) % classes
            };
            items.push(resp(t, a as u32, label));
        }
    }
    (
        Responses::new(tasks, accuracy.len() as u32, classes, items).unwrap(),
        truth,
    )
}

#[test]
fn dawid_skene_estimates_each_annotators_accuracy() {
    let acc = [0.95, 0.9, 0.85, 0.6, 0.35];
    let (r, _) = crowd(7, 3_000, &acc, 4, 3);
    let m = dawid_skene(&r);
    assert!(m.converged);
    for (a, want) in acc.iter().enumerate() {
        let got = m.accuracy(a as u32);
        assert!((got - want).abs() < 0.05, "annotator {a}: {got} vs {want}");
    }
}

/// Case count: `PROPTEST_CASES`, default 64.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn dawid_skene_posteriors_are_distributions(seed in any::<u64>(), classes in 2u16..6, k in 1usize..5) {
        let (r, _) = crowd(seed, 60, &[0.9, 0.7, 0.5, 0.8, 0.6], classes, k);
        let m = dawid_skene(&r);
        for t in 0..60 {
            let s: f64 = m.aggregation.probs_of(t).iter().sum();
            prop_assert!((s - 1.0).abs() < 1e-9);
        }
        prop_assert!((m.priors.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        if let Some(a) = krippendorff_alpha(&r) { prop_assert!(a <= 1.0 + 1e-12); }
    }

    #[test]
    fn iou_is_symmetric_bounded_and_one_on_itself(x in 0.0f64..50.0, y in 0.0f64..50.0, w in 0.5f64..40.0, h in 0.5f64..40.0, dx in -30.0f64..30.0, dy in -30.0f64..30.0) {
        let a = Shape::Bbox([x, y, w, h]);
        let b = Shape::Polygon(vec![x + dx, y + dy, x + dx + w, y + dy, x + dx + w, y + dy + h, x + dx, y + dy + h]);
        let v = iou(&a, &b);
        prop_assert!((0.0..=1.0).contains(&v));
        prop_assert!((v - iou(&b, &a)).abs() < 1e-9);
        prop_assert!((v - iou(&a, &Shape::Bbox([x + dx, y + dy, w, h]))).abs() < 1e-9, "polygon path equals box path");
        prop_assert!((iou(&a, &a) - 1.0).abs() < 1e-12);
    }
}

#[test]
fn geometry_consensus_needs_a_quorum_and_one_shape_per_annotator() {
    let l = |task, annotator, category, b: [f64; 4]| GeoLabel {
        task,
        annotator,
        category,
        shape: Shape::Bbox(b),
    };
    let labels = vec![
        l(0, 0, 1, [10.0, 10.0, 20.0, 20.0]),
        l(0, 1, 1, [11.0, 10.0, 20.0, 21.0]),
        l(0, 2, 1, [10.0, 11.0, 19.0, 20.0]),
        // same annotator twice on one object: second shape cannot join
        l(0, 2, 1, [10.0, 10.0, 20.0, 20.0]),
        // other class at the same place: its own cluster, below quorum
        l(0, 1, 0, [10.0, 10.0, 20.0, 20.0]),
        // far away, alone
        l(1, 0, 1, [100.0, 100.0, 5.0, 5.0]),
    ];
    let g = geometry_consensus(&labels, 3, 0.5, 2);
    assert_eq!(g.objects.len(), 1);
    let o = &g.objects[0];
    assert_eq!(
        (o.task, o.category, o.support.clone()),
        (0, 1, vec![0, 1, 2])
    );
    assert!(o.mean_iou > 0.8 && o.mean_iou < 1.0);
    assert_eq!(g.annotators[0].shapes, 2);
    assert_eq!(g.annotators[0].matched, 1);
    assert_eq!(g.annotators[2].shapes, 2);
    assert_eq!(g.annotators[2].matched, 1);
}

fn addr(i: u8) -> Address {
    Address::repeat_byte(i)
}

/// Categorical batches of 10 tasks for `n` annotators, honest (90 % right)
/// unless listed in `spam` (always class 0); `secs` between claim and submit.
fn categorical_batches(n: u8, spam: &[u8], secs: u64) -> Vec<OnChainBatch> {
    let mut rng = SplitMix::new(3);
    let truth: Vec<u8> = (0..40).map(|_| rng.below(4) as u8).collect();
    let mut out = Vec::new();
    let mut id = 0;
    for a in 1..=n {
        for chunk in 0..4u32 {
            let tasks: Vec<u32> = (chunk * 10..chunk * 10 + 10).collect();
            let payload = tasks
                .iter()
                .map(|&t| {
                    if spam.contains(&a) {
                        0
                    } else if rng.unit() < 0.9 {
                        truth[t as usize]
                    } else {
                        (truth[t as usize] + 1) % 4
                    }
                })
                .collect();
            id += 1;
            out.push(OnChainBatch {
                batch_id: id,
                annotator: addr(a),
                tasks,
                payload,
                submitted_at: 1_000 + u64::from(chunk) * 1_000 + secs,
                claimed_at: Some(1_000 + u64::from(chunk) * 1_000),
            });
        }
    }
    out
}

#[test]
fn audit_accepts_an_honest_categorical_job() {
    let report = audit(
        1,
        JobKind::Categorical,
        4,
        &categorical_batches(5, &[], 300),
        |_| None,
        &AuditConfig::default(),
    );
    assert!(report.accept, "{}", report.table());
    assert_eq!(report.verified_batches, 20);
    assert_eq!(report.tasks_answered, 40);
    assert!(report.krippendorff_alpha.unwrap() > 0.667);
    assert!(report.fleiss_kappa.is_some());
    assert!(report.findings.is_empty());
    assert!(report.table().contains("verdict: ACCEPT"));
}

#[test]
fn audit_flags_uniform_spammers_and_too_fast_batches_and_rejects() {
    let mut batches = categorical_batches(5, &[4], 300);
    batches[0].submitted_at = batches[0].claimed_at.unwrap() + 5; // 10 tasks in 5 s
    let report = audit(
        1,
        JobKind::Categorical,
        4,
        &batches,
        |_| None,
        &AuditConfig::default(),
    );
    assert!(!report.accept);
    assert!(report.findings.iter().any(|f| matches!(f, Finding::UniformAnswers { annotator, label: 0, .. } if *annotator == addr(4))), "{}", report.table());
    assert!(report
        .findings
        .iter()
        .any(|f| matches!(f, Finding::LowAgreement { annotator, .. } if *annotator == addr(4))));
    assert!(report.findings.iter().any(|f| matches!(f, Finding::TooFast { batch_id: 1, seconds_per_task, .. } if (*seconds_per_task - 0.5).abs() < 1e-9)));
    assert!(report
        .reasons
        .iter()
        .any(|r| r.contains("flagged annotators")));
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["accept"], false);
    assert!(json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["finding"] == "uniform_answers"));
}

#[test]
fn audit_uses_the_previous_submission_when_there_was_no_claim() {
    let mut batches = categorical_batches(3, &[], 300);
    for b in &mut batches {
        b.claimed_at = None;
    }
    // annotator 1's second batch 8 s after its first: 0.8 s per task
    batches[1].submitted_at = batches[0].submitted_at + 8;
    let report = audit(
        1,
        JobKind::Categorical,
        4,
        &batches,
        |_| None,
        &AuditConfig::default(),
    );
    let fast: Vec<u64> = report
        .findings
        .iter()
        .filter_map(|f| {
            if let Finding::TooFast { batch_id, .. } = f {
                Some(*batch_id)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(fast, vec![2]);
}

/// A geometry batch file, stored in `store`, and its on-chain record.
fn geometry_batch(store: &mut Vec<(B256, Vec<u8>)>, id: u64, a: u8, shift: f64) -> OnChainBatch {
    let tasks = vec![0, 1, 2];
    let labels = tasks
        .iter()
        .map(|&t| {
            TaskLabel::Shapes(vec![ShapeLabel {
                category: 0,
                shape: Shape::Bbox([f64::from(t) * 50.0 + shift, 10.0, 30.0, 30.0]),
            }])
        })
        .collect();
    let file = BatchFile {
        job_id: 9,
        annotator: addr(a),
        tasks: tasks.clone(),
        labels,
    };
    let bytes = serde_json::to_vec(&file).unwrap();
    let root = labelmint_storage::root_of_bytes(&bytes).unwrap();
    store.push((root, bytes));
    OnChainBatch {
        batch_id: id,
        annotator: addr(a),
        tasks,
        payload: root.to_vec(),
        submitted_at: 10_000 + id,
        claimed_at: Some(1_000),
    }
}

#[test]
fn audit_checks_every_geometry_commitment_against_its_payload() {
    let mut store = Vec::new();
    let mut batches: Vec<OnChainBatch> = (1..=4)
        .map(|i| geometry_batch(&mut store, i, i as u8, f64::from(i as u8)))
        .collect();
    let fetch = |s: &Vec<(B256, Vec<u8>)>| {
        let s = s.clone();
        move |root: &B256| s.iter().find(|(r, _)| r == root).map(|(_, b)| b.clone())
    };
    let ok = audit(
        9,
        JobKind::Geometry,
        2,
        &batches,
        fetch(&store),
        &AuditConfig {
            min_answers: 3,
            ..AuditConfig::default()
        },
    );
    assert!(ok.accept, "{}", ok.table());
    assert_eq!(ok.verified_batches, 4);
    assert_eq!(ok.tasks_with_consensus, 3);
    assert!(ok.geometry_match.unwrap() > 0.99 && ok.mean_iou.unwrap() > 0.8);

    // 1: missing upload; 2: bytes altered after commitment; 3: a valid file of another annotator
    batches[0].payload = B256::repeat_byte(0xAA).to_vec();
    let altered = store[1].0;
    store[1].1.push(b' ');
    let foreign = geometry_batch(&mut store, 99, 7, 0.0);
    batches[2].payload = foreign.payload.clone();
    let bad = audit(
        9,
        JobKind::Geometry,
        2,
        &batches,
        fetch(&store),
        &AuditConfig {
            min_answers: 3,
            ..AuditConfig::default()
        },
    );
    assert!(!bad.accept);
    assert_eq!(bad.verified_batches, 1);
    assert!(matches!(
        &bad.findings[0],
        Finding::MissingPayload { batch_id: 1, .. }
    ));
    assert!(
        matches!(&bad.findings[1], Finding::PayloadMismatch { batch_id: 2, commitment, .. } if *commitment == altered)
    );
    assert!(matches!(
        &bad.findings[2],
        Finding::PayloadInvalid { batch_id: 3, .. }
    ));
    assert!(bad.reasons[0].contains("chain of custody"));
}

#[test]
fn audit_reports_malformed_payloads_instead_of_failing() {
    let batch = OnChainBatch {
        batch_id: 1,
        annotator: addr(1),
        tasks: vec![0, 1],
        payload: vec![1],
        submitted_at: 5,
        claimed_at: None,
    };
    let r = audit(
        1,
        JobKind::Categorical,
        3,
        std::slice::from_ref(&batch),
        |_| None,
        &AuditConfig::default(),
    );
    assert!(matches!(&r.findings[0], Finding::PayloadInvalid { .. }));
    assert!(!r.accept);
    let r = audit(
        1,
        JobKind::Text,
        3,
        &[batch],
        |_| None,
        &AuditConfig::default(),
    );
    assert!(
        matches!(&r.findings[0], Finding::PayloadInvalid { reason, .. } if reason.contains("commitment"))
    );
    let garbage = b"not json".to_vec();
    let root = labelmint_storage::root_of_bytes(&garbage).unwrap();
    let batch = OnChainBatch {
        batch_id: 2,
        annotator: addr(1),
        tasks: vec![0],
        payload: root.to_vec(),
        submitted_at: 5,
        claimed_at: None,
    };
    let r = audit(
        1,
        JobKind::Text,
        3,
        &[batch],
        move |_| Some(garbage.clone()),
        &AuditConfig::default(),
    );
    assert!(
        matches!(&r.findings[0], Finding::PayloadInvalid { reason, .. } if reason.starts_with("not a batch file"))
    );
}
