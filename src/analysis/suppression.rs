//! Small-count suppression for figures drawn from private data, so that no published figure points
//! at a person.
//!
//! A count from 1 to `min - 1` is shown as `<min` ([`Shown::Small`]). That alone is not enough: a
//! parent area's figure minus its visible children gives back a hidden child, and so does a total
//! minus its other parts. So each published table is audited the way an outsider would attack it:
//! every figure gets the bounds that follow from what is shown (`<min` is 1..min-1, a figure hidden
//! to protect another is 0..∞) and from every sum it takes part in, tightened until nothing changes.
//! While some hidden figure is pinned to one value, the smallest visible figure of a sum it takes part
//! in is hidden too ([`Shown::Hidden`], complementary suppression). A hidden figure is never
//! recoverable from the sums: its bounds always span at least two values.

use serde::Serialize;

/// How one figure is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Shown {
    /// The figure itself (0, or at least `min`).
    Count(u64),
    /// From 1 to `min - 1`: shown as `<min`.
    Small,
    /// Hidden so that another hidden figure cannot be worked out: shown as `x`.
    Hidden,
}

impl Shown {
    /// The figure as a table cell: `12`, `<3` or `x`.
    pub fn text(self, min: u64) -> String {
        match self {
            Shown::Count(n) => n.to_string(),
            Shown::Small => format!("<{min}"),
            Shown::Hidden => "x".into(),
        }
    }

    /// The figure as JSON: a number, or the text `<3` / `x`.
    pub fn json(self, min: u64) -> serde_json::Value {
        match self {
            Shown::Count(n) => n.into(),
            other => other.text(min).into(),
        }
    }
}

/// `values[total] = Σ values[parts]`: a sum an outsider can use.
#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    pub total: usize,
    pub parts: Vec<usize>,
}

/// Larger than any count; stands for "no upper bound".
const UNBOUNDED: i64 = 1 << 40;

/// What an outsider can derive about each figure from `shown` and the `relations`: the least and
/// greatest value it can have.
pub fn bounds(shown: &[Shown], relations: &[Relation], min: u64) -> Vec<(i64, i64)> {
    let mut b: Vec<(i64, i64)> = shown
        .iter()
        .map(|s| match *s {
            Shown::Count(n) => (n as i64, n as i64),
            Shown::Small => (1, min as i64 - 1),
            Shown::Hidden => (0, UNBOUNDED),
        })
        .collect();
    for _pass in 0..64 {
        let mut changed = false;
        for r in relations {
            let sum = |b: &[(i64, i64)], f: fn((i64, i64)) -> i64, skip: Option<usize>| -> i64 {
                let s: i64 = r.parts.iter().filter(|&&p| Some(p) != skip).map(|&p| f(b[p])).sum();
                s.min(UNBOUNDED)
            };
            let (lo_sum, hi_sum) = (sum(&b, |x| x.0, None), sum(&b, |x| x.1, None));
            changed |= tighten(&mut b[r.total], lo_sum, hi_sum);
            let (t_lo, t_hi) = b[r.total];
            for &p in &r.parts {
                let (others_lo, others_hi) = (sum(&b, |x| x.0, Some(p)), sum(&b, |x| x.1, Some(p)));
                let lo = if others_hi >= UNBOUNDED { 0 } else { t_lo - others_hi };
                let hi = if t_hi >= UNBOUNDED { UNBOUNDED } else { t_hi - others_lo };
                changed |= tighten(&mut b[p], lo, hi);
            }
        }
        if !changed {
            break;
        }
    }
    b
}

fn tighten(b: &mut (i64, i64), lo: i64, hi: i64) -> bool {
    let new = (b.0.max(lo), b.1.min(hi));
    let changed = new != *b;
    *b = new;
    changed
}

/// Publishes `values`: small counts as [`Shown::Small`], and as few others [`Shown::Hidden`] as it
/// takes so that no hidden figure can be worked out through `relations`. Relations that do not hold
/// for `values` are ignored (an outsider cannot use them either).
pub fn suppress(values: &[u64], relations: &[Relation], min: u64) -> Vec<Shown> {
    let relations: Vec<&Relation> = relations
        .iter()
        .filter(|r| values[r.total] == r.parts.iter().map(|&p| values[p]).sum::<u64>())
        .collect();
    let owned: Vec<Relation> = relations.iter().map(|r| (*r).clone()).collect();
    let mut shown: Vec<Shown> =
        values.iter().map(|&v| if v > 0 && v < min { Shown::Small } else { Shown::Count(v) }).collect();
    // Each round hides one more figure or turns a `<min` into `x`: at most two rounds per figure.
    for _round in 0..=2 * values.len() {
        let b = bounds(&shown, &owned, min);
        let Some(pinned) =
            (0..values.len()).find(|&i| shown[i] != Shown::Count(values[i]) && b[i].0 == b[i].1)
        else {
            break;
        };
        let members: Vec<usize> = owned
            .iter()
            .filter(|r| r.total == pinned || r.parts.contains(&pinned))
            .flat_map(|r| std::iter::once(r.total).chain(r.parts.iter().copied()))
            .collect();
        let visible = members.iter().copied().filter(|&i| matches!(shown[i], Shown::Count(_)));
        match visible.min_by_key(|&i| (values[i], i)) {
            Some(i) => shown[i] = Shown::Hidden,
            None => {
                let small = members.iter().copied().find(|&i| shown[i] == Shown::Small).unwrap_or(pinned);
                shown[small] = Shown::Hidden;
            }
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every assignment of the hidden figures (each within 0..=cap) consistent with what is shown
    /// and with the relations: an outsider's brute force, independent of [`bounds`].
    fn feasible_values(shown: &[Shown], relations: &[Relation], min: u64, cap: u64) -> Vec<Vec<u64>> {
        let hidden: Vec<usize> = (0..shown.len()).filter(|&i| !matches!(shown[i], Shown::Count(_))).collect();
        let mut seen: Vec<Vec<u64>> = vec![Vec::new(); shown.len()];
        let mut value: Vec<u64> =
            shown.iter().map(|s| if let Shown::Count(n) = s { *n } else { 0 }).collect();
        let range = |i: usize| if shown[i] == Shown::Small { (1, min - 1) } else { (0, cap) };
        for &h in &hidden {
            value[h] = range(h).0;
        }
        // An odometer over the hidden figures' ranges.
        loop {
            if relations.iter().all(|r| value[r.total] == r.parts.iter().map(|&p| value[p]).sum::<u64>()) {
                for &h in &hidden {
                    if !seen[h].contains(&value[h]) {
                        seen[h].push(value[h]);
                    }
                }
            }
            let Some(k) = hidden.iter().position(|&h| value[h] < range(h).1) else { break };
            value[hidden[k]] += 1;
            for &h in &hidden[..k] {
                value[h] = range(h).0;
            }
        }
        seen
    }

    /// A two-level tree: a parent whose figure is the sum of its children.
    fn tree(children: &[u64]) -> (Vec<u64>, Vec<Relation>) {
        let mut values = vec![children.iter().sum()];
        values.extend_from_slice(children);
        (values, vec![Relation { total: 0, parts: (1..=children.len()).collect() }])
    }

    #[test]
    fn one_small_child_takes_a_sibling_with_it() {
        let (values, relations) = tree(&[1, 7, 12]);
        let shown = suppress(&values, &relations, 3);
        assert_eq!(shown, [Shown::Count(20), Shown::Small, Shown::Hidden, Shown::Count(12)]);
        let b = bounds(&shown, &relations, 3);
        assert!(b[1].0 < b[1].1 && b[2].0 < b[2].1);
    }

    #[test]
    fn two_ones_under_a_parent_of_two_are_protected() {
        // Parent 2 (<3) with children 1 and 1: shown plainly, both children would be pinned to 1.
        let (values, relations) = tree(&[1, 1, 0]);
        let shown = suppress(&values, &relations, 3);
        let b = bounds(&shown, &relations, 3);
        for i in 0..values.len() {
            assert!(matches!(shown[i], Shown::Count(_)) || b[i].0 < b[i].1, "{i}: {shown:?} {b:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// No hidden figure of a parent and its children can be worked out by brute force.
        #[test]
        fn no_hidden_figure_is_recoverable(children in proptest::collection::vec(0u64..6, 1..5)) {
            let (values, relations) = tree(&children);
            let shown = suppress(&values, &relations, 3);
            for (i, s) in shown.iter().enumerate() {
                match s {
                    Shown::Count(n) => prop_assert!(*n == values[i] && (*n == 0 || *n >= 3)),
                    Shown::Small => prop_assert!(values[i] >= 1 && values[i] < 3),
                    Shown::Hidden => {}
                }
            }
            let feasible = feasible_values(&shown, &relations, 3, 12);
            for (i, s) in shown.iter().enumerate() {
                if !matches!(s, Shown::Count(_)) {
                    prop_assert!(feasible[i].len() >= 2, "figure {} of {:?} shown {:?} is pinned to {:?}", i, values, shown, feasible[i]);
                }
            }
        }

        /// Three levels: a grandparent, two parents, two children each.
        #[test]
        fn nested_sums_reveal_nothing(leaves in proptest::collection::vec(0u64..5, 4)) {
            let values = vec![leaves.iter().sum(), leaves[0] + leaves[1], leaves[2] + leaves[3], leaves[0], leaves[1], leaves[2], leaves[3]];
            let relations = vec![
                Relation { total: 0, parts: vec![1, 2] },
                Relation { total: 1, parts: vec![3, 4] },
                Relation { total: 2, parts: vec![5, 6] },
            ];
            let shown = suppress(&values, &relations, 3);
            let feasible = feasible_values(&shown, &relations, 3, 12);
            for (i, s) in shown.iter().enumerate() {
                if !matches!(s, Shown::Count(_)) {
                    prop_assert!(feasible[i].len() >= 2, "figure {} of {:?} shown {:?} is pinned to {:?}", i, values, shown, feasible[i]);
                }
            }
        }
    }
}
