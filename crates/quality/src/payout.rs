//! Reputation-weighted consensus and payouts: the policy a QualityCourt
//! oracle applies to a categorical batch before posting it as a Merkle root.
//!
//! - **Bounded weights**: a vote weighs its annotator's reputation score,
//!   clamped to `[min_weight, max_weight]` (default 0.6–1.0, and 0.8 for an
//!   annotator with fewer than `sample` judged labels). With `max < 2 × min`
//!   no single account can outvote two others, whatever its reputation.
//! - **Consensus**: the single heaviest class with at least `quorum_bps` of
//!   the task's total weight. Otherwise the task is **escalated**: nobody is
//!   paid for it unless the job's expert labels it (`expert`), and then the
//!   expert's label decides.
//! - **Bounded multipliers**: agreeing voters share the task's bounty in
//!   proportion to a multiplier: 1.0, rising linearly to `max_multiplier`
//!   (1.25) between `bonus_from` (90 %) and 100 % reputation; 0.5 for an
//!   annotator with at least `sample` judged labels below `poor_below` (60 %
//!   agreement, an error rate above 40 %). Shares are normalised, so a task
//!   never pays more than its bounty; integer division leftovers stay with
//!   the creator.
//!
//! Everything is integer arithmetic in basis points: two oracles with the
//! same input post the same root.

use std::collections::BTreeMap;

use crate::{QualityError, Responses};

/// An annotator's standing (from the QualityHub's `reputationOf`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reputation {
    /// Labels judged so far.
    pub judged: u64,
    /// Recency-weighted agreement score, basis points.
    pub score_bps: u32,
}

/// The parameters of [`weighted_payouts`] (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Lowest vote weight, basis points.
    pub min_weight_bps: u32,
    /// Highest vote weight, basis points.
    pub max_weight_bps: u32,
    /// Weight of an annotator with fewer than `sample` judged labels.
    pub new_weight_bps: u32,
    /// Judged labels after which reputation counts.
    pub sample: u64,
    /// Share of the task's total weight the winner needs.
    pub quorum_bps: u32,
    /// Reputation from which the multiplier rises.
    pub bonus_from_bps: u32,
    /// Multiplier at 100 % reputation.
    pub max_multiplier_bps: u32,
    /// Reputation below which pay is reduced.
    pub poor_below_bps: u32,
    /// Multiplier below `poor_below_bps`.
    pub poor_multiplier_bps: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            min_weight_bps: 6_000,
            max_weight_bps: 10_000,
            new_weight_bps: 8_000,
            sample: 20,
            quorum_bps: 5_001,
            bonus_from_bps: 9_000,
            max_multiplier_bps: 12_500,
            poor_below_bps: 6_000,
            poor_multiplier_bps: 5_000,
        }
    }
}

impl Policy {
    /// Checks the bounds: weights in `(0, 10,000]` with `max < 2 × min`,
    /// `min ≤ new ≤ max`, quorum above half, multipliers within `[0, 2]`.
    pub fn validate(&self) -> Result<(), QualityError> {
        let ok = self.min_weight_bps > 0
            && self.min_weight_bps <= self.max_weight_bps
            && self.max_weight_bps <= 10_000
            && self.max_weight_bps < 2 * self.min_weight_bps
            && (self.min_weight_bps..=self.max_weight_bps).contains(&self.new_weight_bps)
            && self.quorum_bps > 5_000
            && self.quorum_bps <= 10_000
            && self.bonus_from_bps < 10_000
            && (10_000..=20_000).contains(&self.max_multiplier_bps)
            && self.poor_multiplier_bps <= 10_000;
        if ok {
            Ok(())
        } else {
            Err(QualityError::Degenerate(
                "policy out of bounds: weights need 0 < min ≤ new ≤ max ≤ 10,000 and max < 2 × min; quorum > 50 %; multipliers ≤ 2",
            ))
        }
    }

    /// The vote weight of `r`, basis points.
    pub fn weight_bps(&self, r: Reputation) -> u32 {
        if r.judged < self.sample {
            self.new_weight_bps
        } else {
            r.score_bps.clamp(self.min_weight_bps, self.max_weight_bps)
        }
    }

    /// The pay multiplier of `r`, basis points.
    pub fn multiplier_bps(&self, r: Reputation) -> u32 {
        if r.judged < self.sample {
            return 10_000;
        }
        if r.score_bps < self.poor_below_bps {
            return self.poor_multiplier_bps;
        }
        if r.score_bps <= self.bonus_from_bps {
            return 10_000;
        }
        let above = u64::from(r.score_bps.min(10_000) - self.bonus_from_bps);
        let span = u64::from(10_000 - self.bonus_from_bps);
        let extra = u64::from(self.max_multiplier_bps - 10_000) * above / span;
        10_000 + extra as u32
    }
}

/// What happened to one task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TaskOutcome {
    /// Task index.
    pub task: u32,
    /// The decided label, if any.
    pub label: Option<u16>,
    /// No weighted consensus: sent to the expert.
    pub escalated: bool,
    /// The expert's label decided it.
    pub by_expert: bool,
}

/// The payouts of a batch under a [`Policy`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PayoutPlan {
    /// Wei per annotator index.
    pub pay: Vec<u128>,
    /// Per annotator: labels that agreed with the decided label.
    pub agreed: Vec<u32>,
    /// Per annotator: labels on decided tasks.
    pub judged: Vec<u32>,
    /// Per task.
    pub outcomes: Vec<TaskOutcome>,
}

impl PayoutPlan {
    /// Sum of the payouts (a plan from [`weighted_payouts`] never exceeds
    /// `u128`: one that would is refused; saturates on a plan built by hand).
    pub fn total(&self) -> u128 {
        self.pay.iter().fold(0u128, |t, p| t.saturating_add(*p))
    }

    /// Tasks escalated and not (yet) decided by the expert.
    pub fn open_escalations(&self) -> Vec<u32> {
        self.outcomes
            .iter()
            .filter(|o| o.escalated && !o.by_expert)
            .map(|o| o.task)
            .collect()
    }
}

/// Weighted consensus and payouts for every task of `r`: `reps[a]` is
/// annotator `a`'s reputation, `bounty` the wei a decided task pays its
/// agreeing voters in all, `expert` the expert's labels for escalated tasks.
pub fn weighted_payouts(
    r: &Responses,
    reps: &[Reputation],
    bounty: u128,
    expert: &BTreeMap<u32, u16>,
    policy: &Policy,
) -> Result<PayoutPlan, QualityError> {
    weighted_payouts_by_difficulty(r, reps, bounty, expert, policy, &|_| 1)
}

/// [`weighted_payouts`] with rewards by difficulty, as the QualityHub's
/// weighted jobs pay them: task `t` pays `bounty × task_weight(t)` to its
/// agreeing voters, and every vote on it counts `task_weight(t)` labels in
/// `agreed` (the annotator's royalty shares) and `judged`. A weight of 0
/// (a task outside the job's classes), a weighted bounty, a payout or a
/// total beyond `u128`, and a count beyond `u32` are refused.
pub fn weighted_payouts_by_difficulty(
    r: &Responses,
    reps: &[Reputation],
    bounty: u128,
    expert: &BTreeMap<u32, u16>,
    policy: &Policy,
    task_weight: &dyn Fn(u32) -> u8,
) -> Result<PayoutPlan, QualityError> {
    policy.validate()?;
    let n = r.annotators() as usize;
    if reps.len() != n {
        return Err(QualityError::Degenerate(
            "one reputation per annotator is needed",
        ));
    }
    if let Some((&t, &l)) = expert
        .iter()
        .find(|(&t, &l)| t >= r.tasks() || l >= r.classes())
    {
        return Err(QualityError::OutOfRange {
            index: t as usize,
            what: "expert label",
            value: u32::from(l),
            limit: u32::from(r.classes()),
        });
    }
    let mut plan = PayoutPlan {
        pay: vec![0; n],
        agreed: vec![0; n],
        judged: vec![0; n],
        outcomes: Vec::with_capacity(r.tasks() as usize),
    };
    let mut weight = vec![0u64; usize::from(r.classes())];
    // The plan's total, kept below 2^128 so that `PayoutPlan::total` cannot wrap.
    let mut paid = 0u128;
    for t in 0..r.tasks() {
        let votes = r.of_task(t);
        weight.fill(0);
        for v in votes {
            weight[usize::from(v.label)] +=
                u64::from(policy.weight_bps(reps[v.annotator as usize]));
        }
        let total: u64 = weight.iter().sum();
        let best = weight.iter().copied().max().unwrap_or(0);
        let leaders = weight.iter().filter(|&&w| w == best).count();
        let consensus =
            (best > 0 && leaders == 1 && best * 10_000 >= u64::from(policy.quorum_bps) * total)
                .then(|| weight.iter().position(|&w| w == best).unwrap_or(0) as u16);
        let (label, by_expert) = match (consensus, expert.get(&t)) {
            (Some(l), _) => (Some(l), false),
            (None, Some(&l)) => (Some(l), true),
            (None, None) => (None, false),
        };
        plan.outcomes.push(TaskOutcome {
            task: t,
            label,
            escalated: consensus.is_none(),
            by_expert,
        });
        let Some(label) = label else { continue };
        let w = task_weight(t);
        if w == 0 {
            return Err(QualityError::Degenerate(
                "a decided task is outside the difficulty classes (weight 0)",
            ));
        }
        let bounty = bounty
            .checked_mul(u128::from(w))
            .ok_or(QualityError::Degenerate(
                "bounty × difficulty weight overflows",
            ))?;
        let count = |n: &mut u32| {
            n.checked_add(u32::from(w))
                .map(|x| *n = x)
                .ok_or(QualityError::Degenerate(
                    "labels counted by weight overflow",
                ))
        };
        let agreeing: Vec<(usize, u128)> = votes
            .iter()
            .filter(|v| v.label == label)
            .map(|v| {
                let a = v.annotator as usize;
                (a, u128::from(policy.multiplier_bps(reps[a])))
            })
            .collect();
        let sum: u128 = agreeing.iter().map(|(_, m)| m).sum();
        for v in votes {
            count(&mut plan.judged[v.annotator as usize])?;
        }
        for (a, m) in agreeing {
            count(&mut plan.agreed[a])?;
            // bounty × m / Σm ≤ bounty: never more than the task's bounty.
            let share = bounty
                .checked_mul(m)
                .map_or(bounty / sum.max(1) * m, |x| x / sum.max(1));
            plan.pay[a] = plan.pay[a]
                .checked_add(share)
                .ok_or(QualityError::Degenerate("payouts overflow"))?;
            paid = paid
                .checked_add(share)
                .ok_or(QualityError::Degenerate("payouts overflow"))?;
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Response;

    fn rep(score_bps: u32) -> Reputation {
        Reputation {
            judged: 100,
            score_bps,
        }
    }

    fn responses(votes: &[(u32, u32, u16)], annotators: u32) -> Responses {
        let tasks = votes.iter().map(|v| v.0 + 1).max().unwrap_or(1);
        Responses::new(
            tasks,
            annotators,
            3,
            votes
                .iter()
                .map(|&(task, annotator, label)| Response {
                    task,
                    annotator,
                    label,
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn a_hard_task_pays_its_weight_times_the_bounty_and_counts_its_weight_in_shares() {
        let reps = [rep(8_000), rep(8_000), rep(8_000)];
        // Task 0 weighs 1, task 1 weighs 3; both unanimous, task 2 (weight 3) split 1-1-1.
        let r = responses(
            &[
                (0, 0, 1),
                (0, 1, 1),
                (0, 2, 1),
                (1, 0, 2),
                (1, 1, 2),
                (1, 2, 2),
                (2, 0, 0),
                (2, 1, 1),
                (2, 2, 2),
            ],
            3,
        );
        let w = |t: u32| if t == 0 { 1 } else { 3 };
        let p = Policy::default();
        let plan =
            weighted_payouts_by_difficulty(&r, &reps, 300, &BTreeMap::new(), &p, &w).unwrap();
        assert_eq!(plan.pay, vec![100 + 300, 100 + 300, 100 + 300]);
        assert_eq!(plan.agreed, vec![4, 4, 4]);
        assert_eq!(plan.judged, vec![4, 4, 4]);
        assert_eq!(plan.open_escalations(), vec![2]);
        // The expert decides task 2: its agreeing voter gets the whole weighted bounty.
        let expert = BTreeMap::from([(2, 0)]);
        let plan = weighted_payouts_by_difficulty(&r, &reps, 300, &expert, &p, &w).unwrap();
        assert_eq!(plan.pay, vec![400 + 900, 400, 400]);
        assert_eq!(plan.agreed, vec![7, 4, 4]);
        assert_eq!(plan.judged, vec![7, 7, 7]);
        // Weight 1 everywhere is exactly the unweighted plan.
        assert_eq!(
            weighted_payouts_by_difficulty(&r, &reps, 300, &expert, &p, &|_| 1).unwrap(),
            weighted_payouts(&r, &reps, 300, &expert, &p).unwrap()
        );
        // A decided task outside the classes, and a weighted bounty beyond u128, are refused.
        let outside = |t: u32| u8::from(t < 1);
        assert!(
            weighted_payouts_by_difficulty(&r, &reps, 300, &BTreeMap::new(), &p, &outside).is_err()
        );
        assert!(
            weighted_payouts_by_difficulty(&r, &reps, u128::MAX, &BTreeMap::new(), &p, &w).is_err()
        );
        // Bounties that fit one by one but not summed are refused, not wrapped;
        // a sum just inside u128 is paid.
        let one = [rep(8_000)];
        let twice = responses(&[(0, 0, 1), (1, 0, 1)], 1);
        assert!(weighted_payouts(&twice, &one, u128::MAX, &BTreeMap::new(), &p).is_err());
        let near = weighted_payouts(&twice, &one, u128::MAX / 2, &BTreeMap::new(), &p).unwrap();
        assert!(near.total() > u128::MAX / 2 && near.total() == near.pay[0]);
    }

    #[test]
    fn one_account_never_outvotes_two_whatever_the_reputations() {
        let p = Policy::default();
        for strong in (0..=10_000).step_by(500) {
            for weak in (0..=10_000).step_by(500) {
                let r = responses(&[(0, 0, 2), (0, 1, 1), (0, 2, 1)], 3);
                let plan = weighted_payouts(
                    &r,
                    &[rep(strong), rep(weak), rep(weak)],
                    900,
                    &BTreeMap::new(),
                    &p,
                )
                .unwrap();
                assert_eq!(
                    plan.outcomes[0].label,
                    Some(1),
                    "strong {strong} vs two at {weak}"
                );
            }
        }
    }

    #[test]
    fn reputation_breaks_what_counting_cannot() {
        // 2 against 2: the side with more reputation carries the quorum.
        let r = responses(&[(0, 0, 0), (0, 1, 0), (0, 2, 1), (0, 3, 1)], 4);
        let reps = [rep(10_000), rep(9_500), rep(6_000), rep(6_000)];
        let plan =
            weighted_payouts(&r, &reps, 1_000, &BTreeMap::new(), &Policy::default()).unwrap();
        assert_eq!(plan.outcomes[0].label, Some(0));
        assert_eq!(plan.judged, [1, 1, 1, 1]);
        assert_eq!(plan.agreed, [1, 1, 0, 0]);
    }

    #[test]
    fn multipliers_are_bounded_and_shares_never_exceed_the_bounty() {
        let p = Policy::default();
        assert_eq!(p.multiplier_bps(rep(10_000)), 12_500);
        assert_eq!(p.multiplier_bps(rep(9_500)), 11_250);
        assert_eq!(p.multiplier_bps(rep(9_000)), 10_000);
        assert_eq!(p.multiplier_bps(rep(5_999)), 5_000, "error rate above 40 %");
        assert_eq!(
            p.multiplier_bps(Reputation {
                judged: 3,
                score_bps: 0
            }),
            10_000,
            "too few labels to judge"
        );
        let r = responses(&[(0, 0, 1), (0, 1, 1), (0, 2, 1)], 3);
        let plan = weighted_payouts(
            &r,
            &[rep(10_000), rep(8_000), rep(5_000)],
            3_000,
            &BTreeMap::new(),
            &p,
        )
        .unwrap();
        // 12,500 : 10,000 : 5,000 of 3,000 wei.
        assert_eq!(plan.pay, [1_363, 1_090, 545]);
        assert!(plan.total() <= 3_000);
    }

    #[test]
    fn ties_escalate_and_the_expert_decides() {
        let r = responses(&[(0, 0, 0), (0, 1, 1), (1, 0, 2), (1, 1, 2)], 2);
        let reps = [rep(8_000), rep(8_000)];
        let p = Policy::default();
        let plan = weighted_payouts(&r, &reps, 100, &BTreeMap::new(), &p).unwrap();
        assert_eq!(plan.open_escalations(), [0]);
        assert_eq!(plan.pay, [50, 50], "only task 1 pays");
        let expert = BTreeMap::from([(0, 1)]);
        let plan = weighted_payouts(&r, &reps, 100, &expert, &p).unwrap();
        assert!(plan.open_escalations().is_empty());
        assert!(plan.outcomes[0].by_expert);
        assert_eq!(plan.pay, [50, 150], "the expert sided with annotator 1");
        let bad = BTreeMap::from([(0, 7)]);
        assert!(weighted_payouts(&r, &reps, 100, &bad, &p).is_err());
    }

    proptest::proptest! {
        /// Any batch, any reputations, any bounty: each decided task pays at
        /// most its bounty, undecided tasks pay nothing, and only agreeing
        /// voters are paid.
        #[test]
        fn payouts_stay_within_each_tasks_bounty(seed in proptest::prelude::any::<u64>(), bounty in 0u128..1_000_000_000_000) {
            let mut rng = crate::SplitMix::new(seed);
            let (tasks, people) = (1 + rng.below(20) as u32, 1 + rng.below(7) as u32);
            let mut votes = Vec::new();
            for t in 0..tasks {
                for a in 0..people {
                    if rng.unit() < 0.7 {
                        votes.push(Response { task: t, annotator: a, label: rng.below(3) as u16 });
                    }
                }
            }
            let r = Responses::new(tasks, people, 3, votes).unwrap();
            let reps: Vec<Reputation> = (0..people)
                .map(|_| Reputation { judged: rng.below(40), score_bps: rng.below(10_001) as u32 })
                .collect();
            let plan = weighted_payouts(&r, &reps, bounty, &BTreeMap::new(), &Policy::default()).unwrap();
            let decided = plan.outcomes.iter().filter(|o| o.label.is_some()).count() as u128;
            proptest::prop_assert!(plan.total() <= bounty * decided);
            for t in 0..tasks {
                let o = plan.outcomes[t as usize];
                let one = weighted_payouts(&Responses::new(1, people, 3, r.of_task(t).iter().map(|v| Response { task: 0, ..*v }).collect()).unwrap(), &reps, bounty, &BTreeMap::new(), &Policy::default()).unwrap();
                proptest::prop_assert!(one.total() <= bounty);
                proptest::prop_assert_eq!(one.outcomes[0].label, o.label);
                for v in r.of_task(t) {
                    if Some(v.label) != o.label {
                        proptest::prop_assert_eq!(one.pay[v.annotator as usize], 0);
                    }
                }
            }
        }
    }

    #[test]
    fn unbounded_policies_are_refused() {
        let r = responses(&[(0, 0, 0)], 1);
        let p = Policy {
            min_weight_bps: 2_000,
            ..Policy::default()
        };
        assert!(weighted_payouts(&r, &[rep(1)], 1, &BTreeMap::new(), &p).is_err());
        assert!(weighted_payouts(&r, &[], 1, &BTreeMap::new(), &Policy::default()).is_err());
    }
}
