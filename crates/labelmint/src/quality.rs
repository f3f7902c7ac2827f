//! `labelmint bench-quality` and `labelmint audit`: Dawid–Skene at scale and
//! the job audit report.

use std::time::Instant;

use labelmint_quality::{dawid_skene, majority_vote, Response, Responses, SplitMix};

/// What one Dawid–Skene benchmark run measured.
#[derive(Debug, Clone)]
pub struct DsBench {
    /// Answers fitted.
    pub answers: usize,
    /// EM iterations until convergence.
    pub iterations: u32,
    /// Whether EM converged before its cap.
    pub converged: bool,
    /// Wall time of the fit in seconds.
    pub seconds: f64,
    /// Share of tasks Dawid–Skene labels correctly.
    pub ds_accuracy: f64,
    /// Share of tasks majority vote labels correctly.
    pub mv_accuracy: f64,
}

/// Fits Dawid–Skene on a synthetic crowd: `tasks` tasks, every one answered
/// by all `annotators` annotators (accuracies spread from 0.35 to 0.9,
/// errors uniform over the other classes), `classes` classes.
#[allow(clippy::cast_precision_loss)]
pub fn bench_dawid_skene(tasks: u32, annotators: u32, classes: u16) -> DsBench {
    let mut rng = SplitMix::new(2026);
    let accuracy: Vec<f64> = (0..annotators)
        .map(|a| 0.35 + 0.55 * f64::from(a) / f64::from(annotators.max(2) - 1))
        .collect();
    let mut truth = Vec::with_capacity(tasks as usize);
    let mut items = Vec::with_capacity(tasks as usize * annotators as usize);
    for task in 0..tasks {
        let y = rng.below(u64::from(classes)) as u16;
        truth.push(y);
        for annotator in 0..annotators {
            let label = if rng.unit() < accuracy[annotator as usize] {
                y
            } else {
                (y + 1 + rng.below(u64::from(classes) - 1) as u16) % classes
            };
            items.push(Response {
                task,
                annotator,
                label,
            });
        }
    }
    let r = Responses::new(tasks, annotators, classes, items).expect("valid synthetic crowd");
    let started = Instant::now();
    let model = dawid_skene(&r);
    let seconds = started.elapsed().as_secs_f64();
    let hits = |labels: &[Option<u16>]| {
        labels
            .iter()
            .zip(&truth)
            .filter(|(l, t)| **l == Some(**t))
            .count() as f64
            / f64::from(tasks)
    };
    DsBench {
        answers: r.items().len(),
        iterations: model.iterations,
        converged: model.converged,
        seconds,
        ds_accuracy: hits(&model.aggregation.labels),
        mv_accuracy: hits(&majority_vote(&r).labels),
    }
}
