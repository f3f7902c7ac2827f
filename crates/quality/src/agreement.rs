//! Inter-annotator agreement: Fleiss' κ, Krippendorff's α (nominal) and each
//! annotator's agreement with a consensus.

use crate::{QualityError, Responses};

/// Fleiss' κ over the rated tasks (tasks without answers are skipped). Every
/// rated task must carry the same number `n ≥ 2` of ratings, as in Fleiss
/// (1971) and statsmodels' `fleiss_kappa`:
/// `κ = (P̄ − P̄ₑ) / (1 − P̄ₑ)` with `P̄` the mean pairwise agreement per task
/// and `P̄ₑ = Σ_j p_j²` from the pooled class shares. `None` when chance
/// agreement is already perfect (`P̄ₑ = 1`, every rating the same class).
#[allow(clippy::cast_precision_loss)]
pub fn fleiss_kappa(r: &Responses) -> Result<Option<f64>, QualityError> {
    let k = usize::from(r.classes());
    let mut n = None;
    let mut counts = vec![0u64; k];
    let mut pooled = vec![0u64; k];
    let mut p_sum = 0.0;
    let mut rated = 0u64;
    for t in 0..r.tasks() {
        let answers = r.of_task(t);
        if answers.is_empty() {
            continue;
        }
        let expected = *n.get_or_insert(answers.len());
        if answers.len() != expected {
            return Err(QualityError::UnequalRaters {
                task: t,
                got: answers.len(),
                expected,
            });
        }
        counts.fill(0);
        for x in answers {
            counts[usize::from(x.label)] += 1;
        }
        let m = expected as f64;
        let same: u64 = counts.iter().map(|c| c * c).sum();
        p_sum += (same as f64 - m) / (m * (m - 1.0));
        for (p, c) in pooled.iter_mut().zip(&counts) {
            *p += c;
        }
        rated += 1;
    }
    let Some(n) = n else {
        return Err(QualityError::Degenerate("no rated task"));
    };
    if n < 2 {
        return Err(QualityError::Degenerate(
            "Fleiss' kappa needs at least two ratings per task",
        ));
    }
    let total = (rated * n as u64) as f64;
    let p_bar = p_sum / rated as f64;
    let p_e: f64 = pooled.iter().map(|&c| (c as f64 / total).powi(2)).sum();
    if (1.0 - p_e).abs() < f64::EPSILON {
        return Ok(None);
    }
    Ok(Some((p_bar - p_e) / (1.0 - p_e)))
}

/// Krippendorff's α for nominal data, any number of answers per task and
/// missing answers allowed: from the coincidence matrix of pairable values
/// (tasks with at least two answers), `α = 1 − (n − 1) · D_o / D_e'` with
/// `D_o = Σ_{c≠k} o_ck` and `D_e' = Σ_{c≠k} n_c · n_k`. `None` when fewer
/// than two distinct values are pairable (α is undefined).
#[allow(clippy::cast_precision_loss)]
pub fn krippendorff_alpha(r: &Responses) -> Option<f64> {
    let k = usize::from(r.classes());
    let mut n_c = vec![0.0; k];
    let mut observed = 0.0;
    let mut counts = vec![0u64; k];
    for t in 0..r.tasks() {
        let answers = r.of_task(t);
        let m = answers.len();
        if m < 2 {
            continue;
        }
        counts.fill(0);
        for x in answers {
            counts[usize::from(x.label)] += 1;
        }
        // Pairs of different values within the task, each counted both ways,
        // weighted 1 / (m − 1).
        let same: u64 = counts.iter().map(|c| c * c).sum();
        let m64 = m as u64;
        observed += (m64 * m64 - same) as f64 / (m - 1) as f64;
        for (n, c) in n_c.iter_mut().zip(&counts) {
            *n += *c as f64;
        }
    }
    let n: f64 = n_c.iter().sum();
    let sum_sq: f64 = n_c.iter().map(|x| x * x).sum();
    let expected = n * n - sum_sq;
    if expected <= 0.0 {
        return None;
    }
    Some(1.0 - (n - 1.0) * observed / expected)
}

/// How often one annotator matched a consensus.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Agreement {
    /// Answers on tasks that have a consensus label.
    pub answered: u32,
    /// Of those, answers equal to the consensus.
    pub agreed: u32,
}

impl Agreement {
    /// `agreed / answered` (0 when nothing was answered).
    #[allow(clippy::cast_precision_loss)]
    pub fn rate(&self) -> f64 {
        if self.answered == 0 {
            0.0
        } else {
            f64::from(self.agreed) / f64::from(self.answered)
        }
    }
}

/// Each annotator's agreement with `labels` (one consensus label per task,
/// `None` = no consensus, not counted).
pub fn annotator_agreement(r: &Responses, labels: &[Option<u16>]) -> Vec<Agreement> {
    let mut out = vec![Agreement::default(); r.annotators() as usize];
    for x in r.items() {
        if let Some(Some(truth)) = labels.get(x.task as usize) {
            let a = &mut out[x.annotator as usize];
            a.answered += 1;
            a.agreed += u32::from(*truth == x.label);
        }
    }
    out
}
