//! labelmint-quality against the Python references (crowd-kit 1.4.2,
//! statsmodels 0.15, krippendorff 0.9, shapely) on the fixtures written by
//! `scripts/quality/fixtures.py`.

use labelmint_quality::{
    dawid_skene, fleiss_kappa,
    geometry::{intersection_area, iou, Shape},
    krippendorff_alpha, majority_vote, weighted_vote, Response, Responses,
};
use serde_json::Value;

fn reference() -> Value {
    serde_json::from_str(include_str!("fixtures/reference.json")).unwrap()
}

fn responses(case: &Value, tasks: &str, workers: &str) -> Responses {
    let items = case["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| Response {
            task: r[0].as_u64().unwrap() as u32,
            annotator: r[1].as_u64().unwrap() as u32,
            label: r[2].as_u64().unwrap() as u16,
        })
        .collect();
    Responses::new(
        case[tasks].as_u64().unwrap() as u32,
        case[workers].as_u64().unwrap() as u32,
        case["classes"].as_u64().unwrap() as u16,
        items,
    )
    .unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn assert_close(what: &str, ours: &[f64], theirs: &[f64], tol: f64) {
    assert_eq!(ours.len(), theirs.len(), "{what}: length");
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert!(
            (a - b).abs() <= tol,
            "{what}[{i}]: ours {a} vs reference {b}"
        );
    }
}

#[test]
fn majority_and_weighted_vote_match_crowd_kit() {
    for case in reference()["aggregation"].as_array().unwrap() {
        let r = responses(case, "tasks", "workers");
        assert_close(
            "mv",
            &majority_vote(&r).probs,
            &floats(&case["mv_probs"]),
            1e-12,
        );
        let w = weighted_vote(&r, &floats(&case["weights"])).unwrap();
        assert_close("wmv", &w.probs, &floats(&case["wmv_probs"]), 1e-12);
    }
}

#[test]
fn dawid_skene_matches_crowd_kit_posteriors_priors_and_confusions() {
    for case in reference()["aggregation"].as_array().unwrap() {
        let r = responses(case, "tasks", "workers");
        let m = dawid_skene(&r);
        let seed = &case["seed"];
        assert_eq!(
            u64::from(m.iterations),
            case["ds_iterations"].as_u64().unwrap(),
            "seed {seed}: EM iterations"
        );
        assert_close("loss", &m.loss_history, &floats(&case["ds_loss"]), 1e-9);
        assert_close(
            "posteriors",
            &m.aggregation.probs,
            &floats(&case["ds_probs"]),
            1e-9,
        );
        assert_close("priors", &m.priors, &floats(&case["ds_priors"]), 1e-9);
        assert_close(
            "confusion",
            &m.confusion,
            &floats(&case["ds_confusion"]),
            1e-9,
        );
        let labels: Vec<u64> = m
            .aggregation
            .labels
            .iter()
            .map(|l| u64::from(l.unwrap()))
            .collect();
        let theirs: Vec<u64> = case["ds_labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect();
        assert_eq!(labels, theirs, "seed {seed}: labels");
    }
}

#[test]
fn dawid_skene_beats_majority_vote_on_a_crowd_with_spammers() {
    // Case 1 has accuracies spread over 0.3..0.95: EM should recover more
    // truth than counting votes.
    let case = &reference()["aggregation"][0];
    let r = responses(case, "tasks", "workers");
    let truth: Vec<u16> = case["truth"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u16)
        .collect();
    let correct = |labels: &[Option<u16>]| {
        labels
            .iter()
            .zip(&truth)
            .filter(|(l, t)| **l == Some(**t))
            .count()
    };
    let mv = correct(&majority_vote(&r).labels);
    let ds = correct(&dawid_skene(&r).aggregation.labels);
    assert!(ds > mv, "DS {ds} vs MV {mv} of {}", truth.len());
}

#[test]
fn fleiss_kappa_matches_statsmodels() {
    for case in reference()["aggregation"].as_array().unwrap() {
        let r = responses(case, "tasks", "workers");
        let k = fleiss_kappa(&r).unwrap().unwrap();
        let want = case["fleiss_kappa"].as_f64().unwrap();
        assert!((k - want).abs() < 1e-12, "{k} vs {want}");
    }
}

#[test]
fn krippendorff_alpha_matches_the_krippendorff_package_with_missing_values() {
    for case in reference()["alpha"].as_array().unwrap() {
        let r = responses(case, "units", "coders");
        let a = krippendorff_alpha(&r).unwrap();
        let want = case["alpha"].as_f64().unwrap();
        assert!((a - want).abs() < 1e-12, "{a} vs {want}");
    }
}

#[test]
fn polygon_and_box_iou_match_shapely() {
    let cases = reference()["iou"].as_array().unwrap().clone();
    assert!(cases.len() >= 60);
    let mut nonconvex_overlaps = 0;
    for (i, case) in cases.iter().enumerate() {
        let a: Shape = serde_json::from_value(case["a"].clone()).unwrap();
        let b: Shape = serde_json::from_value(case["b"].clone()).unwrap();
        let want = case["iou"].as_f64().unwrap();
        assert!(
            (a.area() - case["area_a"].as_f64().unwrap()).abs() < 1e-9,
            "case {i}: area"
        );
        let inter = intersection_area(&a, &b);
        assert!(
            (inter - case["intersection"].as_f64().unwrap()).abs() < 1e-7,
            "case {i}: intersection {inter}"
        );
        assert!((iou(&a, &b) - want).abs() < 1e-9, "case {i}: iou");
        assert!(
            (iou(&b, &a) - want).abs() < 1e-9,
            "case {i}: iou is symmetric"
        );
        if matches!(a, Shape::Polygon(_)) && want > 0.0 {
            nonconvex_overlaps += 1;
        }
    }
    assert!(
        nonconvex_overlaps > 20,
        "fixtures exercise overlapping polygons"
    );
}
