//! Categorical consensus: majority vote, weighted vote and Dawid–Skene EM.
//!
//! All three return an [`Aggregation`]: a probability per (task, class), the
//! winning class per task and whether it won by a tie. Ties are broken
//! toward the lowest class index (as crowd-kit's `idxmax` does) and flagged,
//! so callers that must not guess (on-chain consensus) can treat them as
//! "no majority".

use crate::{QualityError, Responses};

/// Consensus over a job's tasks.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Aggregation {
    /// Number of classes.
    pub classes: u16,
    /// `probs[task * classes + class]`; all zero for a task nobody answered.
    pub probs: Vec<f64>,
    /// The winning class per task (`None` when nobody answered).
    pub labels: Vec<Option<u16>>,
    /// Whether the winner shares the top probability with another class.
    pub tied: Vec<bool>,
}

impl Aggregation {
    /// The class distribution of `task`.
    pub fn probs_of(&self, task: u32) -> &[f64] {
        let k = usize::from(self.classes);
        &self.probs[task as usize * k..(task as usize + 1) * k]
    }

    /// The probability of the winning class of `task` (0 when unanswered).
    pub fn confidence(&self, task: u32) -> f64 {
        self.labels[task as usize].map_or(0.0, |c| self.probs_of(task)[usize::from(c)])
    }

    /// Builds the labels and tie flags from `probs` (rows summing to 1, or
    /// all zero for unanswered tasks).
    fn from_probs(classes: u16, probs: Vec<f64>, answered: impl Fn(usize) -> bool) -> Self {
        let k = usize::from(classes);
        let tasks = probs.len() / k;
        let mut labels = Vec::with_capacity(tasks);
        let mut tied = Vec::with_capacity(tasks);
        for t in 0..tasks {
            if !answered(t) {
                labels.push(None);
                tied.push(false);
                continue;
            }
            let row = &probs[t * k..(t + 1) * k];
            let (best, top) = argmax(row);
            labels.push(Some(best as u16));
            // Exact ties are what matter (equal vote counts / weights).
            #[allow(clippy::float_cmp)]
            tied.push(row.iter().enumerate().any(|(c, &p)| c != best && p == top));
        }
        Self {
            classes,
            probs,
            labels,
            tied,
        }
    }
}

/// Index and value of the first maximum.
fn argmax(row: &[f64]) -> (usize, f64) {
    let mut best = 0;
    for (c, &p) in row.iter().enumerate() {
        if p > row[best] {
            best = c;
        }
    }
    (best, row[best])
}

/// Majority vote: each task's class shares among its answers.
pub fn majority_vote(r: &Responses) -> Aggregation {
    vote(r, |_| 1.0)
}

/// Weighted vote: each answer counts its annotator's weight
/// (`weights[annotator]`, finite and ≥ 0). A task whose answers all weigh 0
/// gets no label. Bound the weights before calling (for example reputation
/// clamped to `[0.5, 2]`) so one account cannot dominate.
pub fn weighted_vote(r: &Responses, weights: &[f64]) -> Result<Aggregation, QualityError> {
    if weights.len() != r.annotators() as usize {
        return Err(QualityError::Degenerate(
            "one weight per annotator is needed",
        ));
    }
    if let Some(w) = weights.iter().position(|w| !w.is_finite() || *w < 0.0) {
        return Err(QualityError::BadWeight(w as u32));
    }
    Ok(vote(r, |a| weights[a as usize]))
}

fn vote(r: &Responses, weight: impl Fn(u32) -> f64) -> Aggregation {
    let k = usize::from(r.classes());
    let mut probs = vec![0.0; r.tasks() as usize * k];
    let mut answered = vec![false; r.tasks() as usize];
    for t in 0..r.tasks() {
        let row = &mut probs[t as usize * k..(t as usize + 1) * k];
        for x in r.of_task(t) {
            row[usize::from(x.label)] += weight(x.annotator);
        }
        let total: f64 = row.iter().sum();
        if total > 0.0 {
            for p in row.iter_mut() {
                *p /= total;
            }
            answered[t as usize] = true;
        }
    }
    Aggregation::from_probs(r.classes(), probs, |t| answered[t])
}

/// Dawid–Skene EM settings (defaults as crowd-kit: 100 iterations, stop when
/// the evidence lower bound per answer improves by less than `1e-5`).
#[derive(Clone, Copy, Debug)]
pub struct DawidSkene {
    /// Iteration cap.
    pub max_iter: u32,
    /// Convergence tolerance on the per-answer evidence lower bound.
    pub tol: f64,
}

impl Default for DawidSkene {
    fn default() -> Self {
        Self {
            max_iter: 100,
            tol: 1e-5,
        }
    }
}

/// A fitted Dawid–Skene model.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DsModel {
    /// Posterior class distribution and winner per task.
    pub aggregation: Aggregation,
    /// Class priors.
    pub priors: Vec<f64>,
    /// `confusion[(annotator * K + observed) * K + truth]`: the probability
    /// that the annotator answers `observed` when the truth is `truth`
    /// (0 for classes the annotator never used).
    pub confusion: Vec<f64>,
    /// EM iterations run.
    pub iterations: u32,
    /// Whether the tolerance was reached before the cap.
    pub converged: bool,
    /// The evidence lower bound per answer after each iteration.
    pub loss_history: Vec<f64>,
}

impl DsModel {
    /// The annotator's estimated accuracy: Σ_c prior_c · P(answer c | truth c).
    pub fn accuracy(&self, annotator: u32) -> f64 {
        let k = self.priors.len();
        let base = annotator as usize * k * k;
        (0..k)
            .map(|c| self.priors[c] * self.confusion[base + c * k + c])
            .sum()
    }
}

/// Floor for probabilities before logarithms (crowd-kit's `_EPS`).
const EPS: f64 = 1e-10;

/// Fits Dawid–Skene with the default settings.
pub fn dawid_skene(r: &Responses) -> DsModel {
    DawidSkene::default().fit(r)
}

impl DawidSkene {
    /// Fits the model by EM, initialised from the majority-vote shares:
    /// M-step (priors = mean posterior, confusion rows normalised over the
    /// classes each annotator used), E-step in log space, stop on the
    /// evidence lower bound.
    #[allow(clippy::cast_precision_loss)]
    pub fn fit(&self, r: &Responses) -> DsModel {
        let k = usize::from(r.classes());
        let n_tasks = r.tasks() as usize;
        let n_ann = r.annotators() as usize;
        let answered: Vec<bool> = (0..r.tasks()).map(|t| !r.of_task(t).is_empty()).collect();
        let active = answered.iter().filter(|&&a| a).count().max(1) as f64;
        let mut used = vec![false; n_ann * k];
        for x in r.items() {
            used[x.annotator as usize * k + usize::from(x.label)] = true;
        }
        let mut probs = majority_vote(r).probs;
        let mut priors = mean_rows(&probs, k, active);
        let mut confusion = vec![0.0; n_ann * k * k];
        m_step(r, &probs, &used, &mut confusion);
        let mut log_conf = vec![0.0; confusion.len()];
        let mut loss = f64::NEG_INFINITY;
        let mut history = Vec::new();
        let mut converged = false;
        let mut iterations = 0;
        let answers = r.items().len().max(1) as f64;
        while iterations < self.max_iter {
            iterations += 1;
            // E-step (log2 as crowd-kit; the base cancels in the softmax).
            for (l, c) in log_conf.iter_mut().zip(&confusion) {
                *l = if *c > 0.0 {
                    c.log2()
                } else {
                    f64::NEG_INFINITY
                };
            }
            let log_prior: Vec<f64> = priors.iter().map(|p| p.max(EPS).log2()).collect();
            let mut row = vec![0.0; k];
            for t in 0..r.tasks() {
                let out = &mut probs[t as usize * k..(t as usize + 1) * k];
                if !answered[t as usize] {
                    continue;
                }
                row.copy_from_slice(&log_prior);
                for x in r.of_task(t) {
                    let base = (x.annotator as usize * k + usize::from(x.label)) * k;
                    for (acc, l) in row.iter_mut().zip(&log_conf[base..base + k]) {
                        *acc += l;
                    }
                }
                let top = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let mut sum = 0.0;
                for (o, l) in out.iter_mut().zip(&row) {
                    *o = (l - top).exp2();
                    sum += *o;
                }
                for p in out.iter_mut() {
                    *p /= sum;
                }
            }
            priors = mean_rows(&probs, k, active);
            m_step(r, &probs, &used, &mut confusion);
            let new_loss = elbo(r, &probs, &priors, &confusion, &answered) / answers;
            history.push(new_loss);
            if new_loss - loss < self.tol {
                converged = true;
                break;
            }
            loss = new_loss;
        }
        debug_assert_eq!(probs.len(), n_tasks * k);
        DsModel {
            aggregation: Aggregation::from_probs(r.classes(), probs, |t| answered[t]),
            priors,
            confusion,
            iterations,
            converged,
            loss_history: history,
        }
    }
}

/// Column means of the answered rows (`active` of them).
fn mean_rows(probs: &[f64], k: usize, active: f64) -> Vec<f64> {
    let mut out = vec![0.0; k];
    for row in probs.chunks_exact(k) {
        for (o, p) in out.iter_mut().zip(row) {
            *o += p;
        }
    }
    for o in &mut out {
        *o /= active;
    }
    out
}

/// M-step: expected counts of (annotator, observed, truth), floored at
/// [`EPS`] for used classes, normalised per (annotator, truth) over the
/// observed classes the annotator used.
fn m_step(r: &Responses, probs: &[f64], used: &[bool], confusion: &mut [f64]) {
    let k = usize::from(r.classes());
    confusion.fill(0.0);
    for x in r.items() {
        let base = (x.annotator as usize * k + usize::from(x.label)) * k;
        let p = &probs[x.task as usize * k..(x.task as usize + 1) * k];
        for (c, v) in confusion[base..base + k].iter_mut().zip(p) {
            *c += v;
        }
    }
    let mut sums = vec![0.0; k];
    for (w, block) in confusion.chunks_exact_mut(k * k).enumerate() {
        sums.fill(0.0);
        for (l, row) in block.chunks_exact_mut(k).enumerate() {
            if !used[w * k + l] {
                continue;
            }
            for (s, c) in sums.iter_mut().zip(row.iter_mut()) {
                *c = c.max(EPS);
                *s += *c;
            }
        }
        for (l, row) in block.chunks_exact_mut(k).enumerate() {
            if used[w * k + l] {
                for (c, s) in row.iter_mut().zip(&sums) {
                    *c /= s;
                }
            }
        }
    }
}

/// Evidence lower bound: expected complete-data log-likelihood (prior term
/// counted per answer, as crowd-kit does) plus the posterior entropy.
fn elbo(r: &Responses, probs: &[f64], priors: &[f64], confusion: &[f64], answered: &[bool]) -> f64 {
    let k = priors.len();
    let log_prior: Vec<f64> = priors.iter().map(|p| p.max(EPS).ln()).collect();
    let mut total = 0.0;
    for x in r.items() {
        let base = (x.annotator as usize * k + usize::from(x.label)) * k;
        let p = &probs[x.task as usize * k..(x.task as usize + 1) * k];
        for c in 0..k {
            total += p[c] * (confusion[base + c].ln() + log_prior[c]);
        }
    }
    for (t, row) in probs.chunks_exact(k).enumerate() {
        if answered[t] {
            total -= row
                .iter()
                .map(|p| p.max(EPS) * p.max(EPS).ln())
                .sum::<f64>();
        }
    }
    total
}
