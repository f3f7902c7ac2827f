//! The consensus rules as pure functions of a task's tally lane, shared by
//! the hub's programs and unit-tested on the host.

use crate::{BPS, MAX_CLASSES};

/// Bits of one class count in a lane: enough for `k` votes.
pub fn count_bits(k: u8) -> u32 {
    match k {
        0..=3 => 2,
        4..=7 => 3,
        _ => 4,
    }
}

/// Bits of a task's lane: the class counts, then the gold label + 1
/// (4 bits), then the committed holders (4 bits). At most 64.
pub fn lane_bits(classes: u8, k: u8) -> u32 {
    u32::from(classes)
        .saturating_mul(count_bits(k))
        .saturating_add(8)
}

/// `amount × bps / 10,000` in 128-bit arithmetic, exact for `bps ≤ 10,000`.
pub fn bps_of(amount: u128, bps: u16) -> u128 {
    let (bps, whole) = (u128::from(bps), u128::from(BPS));
    let high = amount.checked_div(whole).unwrap_or(0).saturating_mul(bps);
    let low = amount
        .checked_rem(whole)
        .unwrap_or(0)
        .saturating_mul(bps)
        .checked_div(whole)
        .unwrap_or(0);
    high.saturating_add(low)
}

/// Fewest revealed votes a consensus needs: more than half of the `k` slots.
pub fn min_participation(k: u8) -> u8 {
    (k / 2).saturating_add(1)
}

/// Fewest votes a label can win with: `quorum` of the fewest revealed votes
/// that may decide (rounded up, at least 1). Every agreeing vote is paid at
/// most `bounty / min_winning_votes`, which is what a vote's stake must cover.
pub fn min_winning_votes(k: u8, quorum: u16) -> u8 {
    let p = u32::from(min_participation(k));
    let need = p.saturating_mul(quorum.into()).div_ceil(u32::from(BPS));
    (need.max(1)) as u8
}

/// A task's lane, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lane {
    /// Revealed votes per class.
    pub counts: [u8; MAX_CLASSES as usize],
    /// Revealed votes.
    pub revealed: u8,
    /// The class with the most revealed votes (the lowest on a tie).
    pub leader: u8,
    /// Its votes.
    pub votes: u8,
    /// Whether another class has as many.
    pub tie: bool,
    /// The gold label + 1 (0: not a gold task, or the key is not revealed).
    pub gold: u8,
    /// Committed votes.
    pub holders: u8,
}

impl Lane {
    /// Decodes a raw lane of a job with `classes` classes and `k` votes.
    #[allow(clippy::arithmetic_side_effects)] // shifts below 64 by construction
    pub fn decode(raw: u64, classes: u8, k: u8) -> Self {
        let cw = count_bits(k);
        let mask = (1u64 << cw) - 1;
        let mut l = Self {
            counts: [0; MAX_CLASSES as usize],
            revealed: 0,
            leader: 0,
            votes: 0,
            tie: false,
            gold: ((raw >> (cw * u32::from(classes))) & 0xF) as u8,
            holders: ((raw >> (cw * u32::from(classes) + 4)) & 0xF) as u8,
        };
        for c in 0..classes.min(MAX_CLASSES) {
            let n = ((raw >> (cw * u32::from(c))) & mask) as u8;
            l.counts[c as usize] = n;
            l.revealed = l.revealed.saturating_add(n);
            if n > l.votes {
                (l.leader, l.votes, l.tie) = (c, n, false);
            } else if n == l.votes && n > 0 {
                l.tie = true;
            }
        }
        l
    }

    /// Votes for `label`.
    pub fn count(&self, label: u8) -> u8 {
        self.counts.get(label as usize).copied().unwrap_or(0)
    }

    /// Whether the revealed votes reach a consensus: a single leader, more
    /// than half of the `k` slots revealed, and the leader holding `quorum`
    /// of the revealed votes. Unrevealed votes neither help nor block.
    pub fn consensus(&self, k: u8, quorum: u16) -> bool {
        !self.tie
            && self.votes > 0
            && self.revealed >= min_participation(k)
            && u32::from(self.votes).saturating_mul(BPS.into())
                >= u32::from(quorum).saturating_mul(self.revealed.into())
    }
}

/// What the votes alone say about a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// No revealed vote: nobody is paid or slashed, the bounty returns.
    Empty,
    /// Decided without the arbiter: the consensus, or the gold label where
    /// the revealed votes do not contradict it by a consensus of their own.
    Decided {
        /// The label.
        label: u8,
        /// Decided by the gold key (counts in the batch's gold check).
        gold: bool,
    },
    /// Escalated to the arbiter: the revealed votes reach no consensus, or
    /// their consensus contradicts the gold label (`contested`).
    Escalated {
        /// A gold label contradicted by the votes' consensus (`leader`).
        contested: bool,
    },
}

/// Classifies a decoded lane.
pub fn classify(l: &Lane, k: u8, quorum: u16) -> Class {
    if l.revealed == 0 {
        return Class::Empty;
    }
    let consensus = l.consensus(k, quorum);
    if l.gold != 0 {
        let gold = l.gold.saturating_sub(1);
        if consensus && l.leader != gold {
            return Class::Escalated { contested: true };
        }
        return Class::Decided {
            label: gold,
            gold: true,
        };
    }
    if consensus {
        Class::Decided {
            label: l.leader,
            gold: false,
        }
    } else {
        Class::Escalated { contested: false }
    }
}

/// The end state of a task, once any ruling is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// No revealed vote.
    Empty,
    /// `label` decides; `gold` counts in the batch's gold check; `fee`:
    /// the arbiter's fee came out of the task's bounty (a ruling on a task
    /// without consensus, or one that upholds a contested gold label; an
    /// overturned gold label's fee came out of the creator's gold bond).
    Decided {
        /// The deciding label.
        label: u8,
        /// A gold label (uncontested, or upheld by the arbiter).
        gold: bool,
        /// The bounty paid the arbiter's fee.
        fee: bool,
    },
    /// Escalated and not ruled in time: each revealed vote gets the
    /// participation share, nobody is slashed, the rest returns.
    Undecided,
    /// Escalated, the arbiter may still rule.
    Awaiting,
}

/// Whether an arbiter's `label` overturns a contested gold label (its fee
/// is then the creator's, out of the gold bond).
pub fn overturns(l: &Lane, class: Class, label: u8) -> bool {
    matches!(class, Class::Escalated { contested: true }) && l.gold != label.saturating_add(1)
}

/// Resolves a class with the arbiter's `ruling` (label + 1, 0 none) and
/// whether its ruling window is over. A contested gold label that the
/// arbiter leaves unruled falls: the votes' consensus decides (a silent
/// arbiter loses the case for the creator).
pub fn resolve(l: &Lane, class: Class, ruling: u8, ruling_over: bool) -> Resolved {
    match class {
        Class::Empty => Resolved::Empty,
        Class::Decided { label, gold } => Resolved::Decided {
            label,
            gold,
            fee: false,
        },
        Class::Escalated { contested } => {
            if ruling != 0 {
                let upheld = contested && l.gold == ruling;
                Resolved::Decided {
                    label: ruling.saturating_sub(1),
                    gold: upheld,
                    fee: upheld || !contested,
                }
            } else if !ruling_over {
                Resolved::Awaiting
            } else if contested {
                Resolved::Decided {
                    label: l.leader,
                    gold: false,
                    fee: false,
                }
            } else {
                Resolved::Undecided
            }
        }
    }
}

/// Pay of one agreeing vote on a decided task: the pool (the bounty, less
/// the arbiter's fee when the bounty paid it) shared by the agreeing votes, never by
/// fewer than the fewest that can win.
pub fn pay_per_vote(pool: u128, agreeing: u8, min_winning: u8) -> u128 {
    pool.checked_div(u128::from(agreeing.max(min_winning).max(1)))
        .unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)] // test fixtures of small lanes
mod tests {
    use super::*;

    fn lane(k: u8, counts: &[u64], gold: u64, holders: u64) -> u64 {
        let cw = u64::from(count_bits(k));
        let classes = counts.len() as u64;
        counts
            .iter()
            .enumerate()
            .fold(0u64, |l, (c, n)| l | (n << (cw * c as u64)))
            | (gold << (cw * classes))
            | (holders << (cw * classes + 4))
    }

    #[test]
    fn consensus_is_measured_on_revealed_votes_with_participation() {
        let d = |counts: &[u64], k: u8| {
            Lane::decode(lane(k, counts, 0, u64::from(k)), counts.len() as u8, k)
        };
        // k = 3, quorum just above half: two agreeing revealed votes decide,
        // even when the third never revealed.
        assert!(d(&[0, 2, 0], 3).consensus(3, 5_001));
        assert!(d(&[0, 2, 1], 3).consensus(3, 5_001));
        assert!(!d(&[1, 1, 1], 3).consensus(3, 5_001), "three-way tie");
        assert!(
            !d(&[1, 0, 0], 3).consensus(3, 5_001),
            "one revealed vote of three"
        );
        assert!(!d(&[1, 1, 0], 3).consensus(3, 5_001), "tie");
        // A supermajority quorum counts revealed votes only.
        assert!(d(&[0, 0, 3], 5).consensus(5, 8_000), "3 of 3 revealed");
        assert!(
            !d(&[0, 1, 3], 5).consensus(5, 8_000),
            "3 of 4 revealed < 80 %"
        );
        assert!(d(&[0, 15, 0], 15).consensus(15, 8_000));
    }

    #[test]
    fn gold_decides_unless_a_consensus_contradicts_it() {
        let k = 3;
        let l = |counts: &[u64], gold: u64| Lane::decode(lane(k, counts, gold, 3), 3, k);
        assert_eq!(
            classify(&l(&[0, 2, 0], 2), k, 5_001),
            Class::Decided {
                label: 1,
                gold: true
            },
            "the votes agree with the key"
        );
        assert_eq!(
            classify(&l(&[1, 1, 0], 3), k, 5_001),
            Class::Decided {
                label: 2,
                gold: true
            },
            "no consensus: the key decides"
        );
        assert_eq!(
            classify(&l(&[0, 2, 1], 3), k, 5_001),
            Class::Escalated { contested: true },
            "a consensus against the key goes to the arbiter"
        );
        assert_eq!(classify(&l(&[0, 0, 0], 3), k, 5_001), Class::Empty);
        let contested = l(&[0, 2, 1], 3);
        let class = classify(&contested, k, 5_001);
        assert_eq!(
            resolve(&contested, class, 3, false),
            Resolved::Decided {
                label: 2,
                gold: true,
                fee: true
            },
            "upheld: still gold, the bounty pays the fee"
        );
        assert_eq!(
            resolve(&contested, class, 2, false),
            Resolved::Decided {
                label: 1,
                gold: false,
                fee: false
            },
            "overturned: the gold bond paid the fee"
        );
        assert_eq!(resolve(&contested, class, 0, false), Resolved::Awaiting);
        assert_eq!(
            resolve(&contested, class, 0, true),
            Resolved::Decided {
                label: 1,
                gold: false,
                fee: false
            },
            "a silent arbiter: the votes' consensus stands"
        );
        let split = l(&[1, 1, 0], 0);
        let class = classify(&split, k, 5_001);
        assert_eq!(class, Class::Escalated { contested: false });
        assert_eq!(resolve(&split, class, 0, true), Resolved::Undecided);
    }

    #[test]
    fn no_vote_is_paid_more_than_the_bounty_over_the_fewest_winners() {
        assert_eq!(min_participation(3), 2);
        assert_eq!(min_winning_votes(3, 5_001), 2);
        assert_eq!(min_winning_votes(3, 8_000), 2);
        assert_eq!(min_winning_votes(5, 5_001), 2);
        assert_eq!(min_winning_votes(15, 8_000), 7);
        assert_eq!(
            pay_per_vote(300, 1, 2),
            150,
            "one agreeing vote on a gold task"
        );
        assert_eq!(pay_per_vote(300, 3, 2), 100);
        assert_eq!(pay_per_vote(300, 0, 0), 300);
        assert_eq!(bps_of(u128::MAX, 10_000), u128::MAX);
        assert_eq!(bps_of(1_000, 2_500), 250);
    }

    #[test]
    fn lanes_decode_holders_and_gold_at_every_width() {
        for (k, classes) in [(3u8, 4u8), (7, 14), (15, 14), (3, 2)] {
            let counts: Vec<u64> = (0..u64::from(classes))
                .map(|c| c % u64::from(k).min(3))
                .collect();
            let raw = lane(k, &counts, 5, u64::from(k));
            let l = Lane::decode(raw, classes, k);
            assert_eq!((l.gold, l.holders), (5, k));
            assert_eq!(u64::from(l.revealed), counts.iter().sum::<u64>());
            assert!(lane_bits(classes, k) <= 64);
        }
    }
}
