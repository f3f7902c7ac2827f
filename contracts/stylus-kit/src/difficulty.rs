//! Difficulty classes: a job's tasks, ordered by class in its manifest, in
//! 1 to [`MAX_DIFFICULTY_CLASSES`] runs, each with a bounty weight. The
//! QualityHub and the AnnotationMarket take them in the same 5-byte-per-class
//! form (`createWeightedJob`'s `difficulty`) and weigh a task the same way.

/// Most difficulty classes a job may have.
pub const MAX_DIFFICULTY_CLASSES: usize = 4;

/// Difficulty classes parsed from `createWeightedJob`'s `difficulty`: per
/// class 5 bytes, its end (big-endian uint32, exclusive) and its weight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difficulty {
    /// Ends of the first three classes (`tasks` where unused).
    pub ends: [u32; 3],
    /// Weights (zero where unused).
    pub weights: [u8; 4],
    /// The largest weight.
    pub max_weight: u8,
    /// `Σ tasks of a class × its weight`: the escrow is `bounty × units`.
    pub units: u64,
}

/// Parses and checks difficulty classes for a job of `tasks` tasks: 1 to
/// [`MAX_DIFFICULTY_CLASSES`] entries, ends strictly ascending from above
/// zero, the last equal to `tasks`, every weight at least 1.
pub fn parse_difficulty(raw: &[u8], tasks: u32) -> Option<Difficulty> {
    let n = raw.len() / 5;
    if !raw.len().is_multiple_of(5) || n == 0 || n > MAX_DIFFICULTY_CLASSES {
        return None;
    }
    let mut d = Difficulty {
        ends: [tasks; 3],
        weights: [0; 4],
        max_weight: 0,
        units: 0,
    };
    let mut start = 0u32;
    for (i, c) in raw.chunks_exact(5).enumerate() {
        let end = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
        let weight = c[4];
        if end <= start || weight == 0 || (i.saturating_add(1) == n) != (end == tasks) {
            return None;
        }
        if i < 3 {
            d.ends[i] = end;
        }
        d.weights[i] = weight;
        d.max_weight = d.max_weight.max(weight);
        d.units = d
            .units
            .checked_add(u64::from(end.saturating_sub(start)).checked_mul(weight.into())?)?;
        start = end;
    }
    Some(d)
}

/// The weight of task `t` under class ends `ends` (the first three classes'
/// exclusive ends) and `weights`: the weight of the first class whose end is
/// above `t`.
pub fn weight_of(ends: &[u32; 3], weights: &[u8; 4], t: u32) -> u8 {
    let class = ends.iter().filter(|&&end| t >= end).count();
    weights[class]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(classes: &[(u32, u8)]) -> std::vec::Vec<u8> {
        classes
            .iter()
            .flat_map(|(e, w)| {
                let mut c = e.to_be_bytes().to_vec();
                c.push(*w);
                c
            })
            .collect()
    }

    #[test]
    fn difficulty_classes_parse_to_ends_weights_and_units() {
        let d = parse_difficulty(&raw(&[(12, 1), (20, 3)]), 20).unwrap();
        assert_eq!(d.ends, [12, 20, 20]);
        assert_eq!(d.weights, [1, 3, 0, 0]);
        assert_eq!((d.max_weight, d.units), (3, 12 + 8 * 3));
        let d = parse_difficulty(&raw(&[(1, 9), (2, 1), (3, 2), (4, 255)]), 4).unwrap();
        assert_eq!(
            (d.ends, d.weights, d.units),
            ([1, 2, 3], [9, 1, 2, 255], 267)
        );
        let one = parse_difficulty(&raw(&[(u32::MAX, 255)]), u32::MAX).unwrap();
        assert_eq!(one.units, u64::from(u32::MAX) * 255);
    }

    #[test]
    fn malformed_difficulty_classes_do_not_parse() {
        for bad in [
            raw(&[]),
            raw(&[(0, 1), (20, 1)]),
            raw(&[(12, 1), (12, 1), (20, 1)]),
            raw(&[(12, 1), (19, 1)]),
            raw(&[(20, 1), (21, 1)]),
            raw(&[(12, 0), (20, 1)]),
            raw(&[(2, 1), (4, 1), (6, 1), (8, 1), (20, 1)]),
        ] {
            assert_eq!(parse_difficulty(&bad, 20), None, "{bad:?}");
        }
        let mut ragged = raw(&[(20, 1)]);
        ragged.push(0);
        assert_eq!(parse_difficulty(&ragged, 20), None);
    }

    #[test]
    fn a_task_weighs_what_the_first_class_ending_above_it_weighs() {
        let d = parse_difficulty(&raw(&[(12, 1), (20, 3), (21, 7)]), 21).unwrap();
        let at = |t| weight_of(&d.ends, &d.weights, t);
        assert_eq!([at(0), at(11), at(12), at(19), at(20)], [1, 1, 3, 3, 7]);
        let one = parse_difficulty(&raw(&[(5, 4)]), 5).unwrap();
        assert_eq!((weight_of(&one.ends, &one.weights, 4)), 4);
    }
}
