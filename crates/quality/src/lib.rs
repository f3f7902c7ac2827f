//! # labelmint-quality
//!
//! How good are a job's labels, and can the payouts be trusted? This crate
//! answers from the labels alone:
//!
//! - [`aggregate`]: categorical consensus by majority vote, weighted vote
//!   (reputation weights, capped so no account dominates) and Dawid–Skene EM
//!   (per-annotator confusion matrices, class priors, a posterior per task).
//! - [`agreement`]: Fleiss' κ and Krippendorff's α (nominal), and each
//!   annotator's agreement with a consensus.
//! - [`geometry`]: exact IoU of boxes and simple polygons, and IoU-based
//!   consensus for geometry jobs.
//! - [`payout`]: reputation-weighted consensus with bounded weights and
//!   bounded pay multipliers, escalation to an expert — the policy a
//!   QualityCourt oracle posts.
//! - [`audit`]: the job audit — every on-chain commitment against its
//!   off-chain payload, label-distribution anomalies (uniform answers,
//!   inhumanly fast batches, annotators far below the crowd) and an
//!   accept/reject verdict, as JSON and as a table.
//!
//! The numbers are cross-checked against the Python references (crowd-kit,
//! krippendorff, statsmodels, shapely) on committed fixtures
//! (`scripts/quality/fixtures.py`).

pub mod aggregate;
pub mod agreement;
pub mod audit;
pub mod geometry;
pub mod payout;
mod rng;

pub use aggregate::{dawid_skene, majority_vote, weighted_vote, Aggregation, DawidSkene, DsModel};
pub use agreement::{annotator_agreement, fleiss_kappa, krippendorff_alpha, Agreement};
pub use rng::SplitMix;

/// Why a quality computation refused its input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QualityError {
    /// A response names a task, annotator or class outside the declared sizes.
    #[error("response {index}: {what} {value} is out of range (< {limit})")]
    OutOfRange {
        /// Position of the response.
        index: usize,
        /// `task`, `annotator` or `class`.
        what: &'static str,
        /// The value given.
        value: u32,
        /// The declared size.
        limit: u32,
    },
    /// The same annotator answered the same task twice.
    #[error("annotator {annotator} answered task {task} twice")]
    Duplicate {
        /// The task.
        task: u32,
        /// The annotator.
        annotator: u32,
    },
    /// Fewer than two classes, or no responses where some are needed.
    #[error("{0}")]
    Degenerate(&'static str),
    /// Fleiss' κ needs the same number of ratings on every rated task.
    #[error("Fleiss' kappa needs the same number of ratings per task: task {task} has {got}, others {expected}")]
    UnequalRaters {
        /// The first task that differs.
        task: u32,
        /// Its ratings.
        got: usize,
        /// Ratings of the first rated task.
        expected: usize,
    },
    /// A weight that is negative, NaN or infinite.
    #[error("annotator {0} has an invalid weight")]
    BadWeight(u32),
}

/// One categorical answer: `annotator` gave `label` to `task`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Response {
    /// Task index.
    pub task: u32,
    /// Annotator index.
    pub annotator: u32,
    /// Class index.
    pub label: u16,
}

/// A validated set of categorical responses, sorted by task then annotator:
/// every index in range, at most one answer per (task, annotator).
#[derive(Clone, Debug)]
pub struct Responses {
    tasks: u32,
    annotators: u32,
    classes: u16,
    items: Vec<Response>,
    /// `offsets[t]..offsets[t + 1]` are task `t`'s responses.
    offsets: Vec<usize>,
}

impl Responses {
    /// Validates and indexes `items` for `tasks` tasks, `annotators`
    /// annotators and `classes` classes (at least 2).
    pub fn new(
        tasks: u32,
        annotators: u32,
        classes: u16,
        mut items: Vec<Response>,
    ) -> Result<Self, QualityError> {
        if classes < 2 {
            return Err(QualityError::Degenerate("at least two classes are needed"));
        }
        for (index, r) in items.iter().enumerate() {
            for (what, value, limit) in [
                ("task", r.task, tasks),
                ("annotator", r.annotator, annotators),
                ("class", u32::from(r.label), u32::from(classes)),
            ] {
                if value >= limit {
                    return Err(QualityError::OutOfRange {
                        index,
                        what,
                        value,
                        limit,
                    });
                }
            }
        }
        items.sort_unstable_by_key(|r| (r.task, r.annotator));
        if let Some(w) = items
            .windows(2)
            .find(|w| (w[0].task, w[0].annotator) == (w[1].task, w[1].annotator))
        {
            return Err(QualityError::Duplicate {
                task: w[0].task,
                annotator: w[0].annotator,
            });
        }
        let mut offsets = vec![0; tasks as usize + 1];
        for r in &items {
            offsets[r.task as usize + 1] += 1;
        }
        for t in 0..tasks as usize {
            offsets[t + 1] += offsets[t];
        }
        Ok(Self {
            tasks,
            annotators,
            classes,
            items,
            offsets,
        })
    }

    /// Number of tasks.
    pub fn tasks(&self) -> u32 {
        self.tasks
    }

    /// Number of annotators.
    pub fn annotators(&self) -> u32 {
        self.annotators
    }

    /// Number of classes.
    pub fn classes(&self) -> u16 {
        self.classes
    }

    /// Every response, sorted by task then annotator.
    pub fn items(&self) -> &[Response] {
        &self.items
    }

    /// The responses to `task`.
    pub fn of_task(&self, task: u32) -> &[Response] {
        let t = task as usize;
        &self.items[self.offsets[t]..self.offsets[t + 1]]
    }
}
