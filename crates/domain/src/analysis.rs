//! Reading computed results (domain.md §2 step 9, §5): each node of a unit's tree as points
//! against its maximum, the group's mean and best for every node, the strongest and weakest
//! criteria, the streaks of a unit's history (through its lineage), the criteria that lose the
//! most points in a group, the distribution of indexes and the year-over-year movers.
//!
//! Every figure is exact; rounding happens only where figures are shown.

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::compute::UnitResult;
use crate::ids::{NodeCode, UnitCode};
use crate::indexset::IndexSet;
use crate::points::{Points, percent, round_display};

/// One node (area, criterion or sub-criterion) of one unit's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeFigure {
    pub code: NodeCode,
    /// Depth in the tree: 1 = area, 2 = criterion, 3 = sub-criterion…
    pub depth: usize,
    pub leaf: bool,
    pub points: Points,
    /// The unit's applicable maximum of the node: 0 for a not-applicable leaf and for bonus
    /// and deduction leaves, which are outside the maximum.
    pub max: Points,
    /// False for a leaf declared not applicable (or in an area nobody had values for).
    pub applicable: bool,
}

impl NodeFigure {
    /// Points as a percentage of the maximum; `None` when the node has no maximum.
    pub fn share(&self) -> Option<Decimal> {
        percent(self.points.0, self.max.0)
    }

    /// Points lost on the node: `max − points`, never below zero (a bonus does not make up
    /// for another node's loss), 0 for a node without a maximum (methodology.md, "Điểm bị
    /// mất").
    pub fn lost(&self) -> Decimal {
        if self.max.0 <= Decimal::ZERO {
            return Decimal::ZERO;
        }
        (self.max.0 - self.points.0).max(Decimal::ZERO)
    }
}

/// Every node of `result` in tree order (pre-order of `set`), leaves included. Nodes of the
/// set the result does not have (another version of the set) are left out.
pub fn node_figures(set: &IndexSet, result: &UnitResult) -> Vec<NodeFigure> {
    let inner: HashMap<&NodeCode, &crate::compute::NodeScore> =
        result.nodes.iter().map(|n| (&n.code, n)).collect();
    let leaves: HashMap<&NodeCode, &crate::compute::LeafScore> =
        result.leaves.iter().map(|l| (&l.code, l)).collect();
    let mut out = Vec::with_capacity(inner.len() + leaves.len());
    for node in set.walk() {
        let depth = node.code.depth();
        if node.is_leaf() {
            let Some(l) = leaves.get(&node.code) else {
                continue;
            };
            let counts = l.applicable && node.source.counts_in_max();
            out.push(NodeFigure {
                code: node.code.clone(),
                depth,
                leaf: true,
                points: l.points,
                max: if counts { node.max } else { Points::ZERO },
                applicable: l.applicable,
            });
        } else if let Some(n) = inner.get(&node.code) {
            out.push(NodeFigure {
                code: node.code.clone(),
                depth,
                leaf: false,
                points: n.points,
                max: n.max,
                applicable: !n.max.is_zero() || !node.source.counts_in_max(),
            });
        }
    }
    out
}

/// The group's figures for one node: mean and best points among the units it applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeBenchmark {
    /// Mean points (exact).
    pub mean: Decimal,
    /// Highest points.
    pub best: Decimal,
    /// Units the node applies to.
    pub units: u32,
}

/// Mean and best points of every node over `results` (a group's units), counting for each
/// node only the units it applies to.
pub fn node_benchmarks(
    set: &IndexSet,
    results: &[&UnitResult],
) -> HashMap<NodeCode, NodeBenchmark> {
    let mut acc: HashMap<NodeCode, (Decimal, Decimal, u32)> = HashMap::new();
    for r in results {
        for f in node_figures(set, r) {
            if !f.applicable {
                continue;
            }
            let e = acc.entry(f.code).or_insert((Decimal::ZERO, f.points.0, 0));
            e.0 += f.points.0;
            e.1 = e.1.max(f.points.0);
            e.2 += 1;
        }
    }
    acc.into_iter()
        .map(|(code, (sum, best, n))| {
            let mean = sum / Decimal::from(n.max(1));
            (
                code,
                NodeBenchmark {
                    mean,
                    best,
                    units: n,
                },
            )
        })
        .collect()
}

/// The criteria (depth 2) with the highest and the lowest share of their maximum, the first
/// in tree order winning a tie; `None` when no criterion has a maximum.
pub fn strongest_weakest(figures: &[NodeFigure]) -> Option<(&NodeFigure, &NodeFigure)> {
    let mut strongest: Option<(&NodeFigure, Decimal)> = None;
    let mut weakest: Option<(&NodeFigure, Decimal)> = None;
    for f in figures.iter().filter(|f| f.depth == 2) {
        let Some(share) = f.share() else { continue };
        if strongest.is_none_or(|(_, s)| share > s) {
            strongest = Some((f, share));
        }
        if weakest.is_none_or(|(_, s)| share < s) {
            weakest = Some((f, share));
        }
    }
    Some((strongest?.0, weakest?.0))
}

/// One year of a unit's history, as the streaks and the line chart read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearPoint {
    pub year: i32,
    /// The index (full precision, or as published).
    pub index: Decimal,
    pub rank: Option<u32>,
    pub class: Option<String>,
    /// The predecessors the year is read from, when the unit itself had no result that year
    /// (empty for the unit's own result).
    pub via: Vec<UnitCode>,
}

/// Runs of equal results ending with the latest year of a history.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Streaks {
    /// The latest rank and how many consecutive years it was held ("Hạng 1: 5 năm liên tiếp").
    pub rank: Option<(u32, u32)>,
    /// The latest class and how many consecutive years it was held ("Xuất sắc 3 năm liên tiếp").
    pub class: Option<(String, u32)>,
}

/// The streaks ending with the last entry of `history` (oldest first): consecutive calendar
/// years with the same rank, and with the same class. A missing year, a year without a rank
/// (or class), or a merger year read from several predecessors ends a run.
pub fn streaks(history: &[YearPoint]) -> Streaks {
    fn run<T: PartialEq>(history: &[YearPoint], get: impl Fn(&YearPoint) -> Option<T>) -> u32 {
        let Some(last) = history.last() else { return 0 };
        let Some(value) = get(last) else { return 0 };
        let mut n = 1;
        let mut year = last.year;
        for p in history.iter().rev().skip(1) {
            if p.year != year - 1 || get(p).as_ref() != Some(&value) {
                break;
            }
            n += 1;
            year = p.year;
        }
        n
    }
    let Some(last) = history.last() else {
        return Streaks::default();
    };
    Streaks {
        rank: last.rank.map(|r| (r, run(history, |p| p.rank))),
        class: last
            .class
            .clone()
            .map(|c| (c, run(history, |p| p.class.clone()))),
    }
}

/// A unit's history completed through its lineage: the unit's own years, and for every
/// earlier year without one, the year of its predecessors (`ancestors`, any depth). One
/// predecessor gives its index, rank and class; several (a merger) give the mean of their
/// indexes, without rank or class, which belong to none of them.
pub fn lineage_history(own: &[YearPoint], ancestors: &[(UnitCode, YearPoint)]) -> Vec<YearPoint> {
    let first_own = own.iter().map(|p| p.year).min();
    let mut by_year: std::collections::BTreeMap<i32, Vec<(&UnitCode, &YearPoint)>> =
        std::collections::BTreeMap::new();
    for (code, p) in ancestors {
        if first_own.is_none_or(|f| p.year < f) {
            by_year.entry(p.year).or_default().push((code, p));
        }
    }
    let mut out: Vec<YearPoint> = by_year
        .into_iter()
        .map(|(year, mut found)| {
            found.sort_by(|a, b| a.0.cmp(b.0));
            found.dedup_by(|a, b| a.0 == b.0);
            if let [(code, p)] = found.as_slice() {
                return YearPoint {
                    via: vec![(*code).clone()],
                    ..(*p).clone()
                };
            }
            let sum: Decimal = found.iter().map(|(_, p)| p.index).sum();
            YearPoint {
                year,
                index: sum / Decimal::from(found.len()),
                rank: None,
                class: None,
                via: found.iter().map(|(c, _)| (*c).clone()).collect(),
            }
        })
        .collect();
    out.extend(own.iter().cloned());
    out.sort_by_key(|p| p.year);
    out
}

/// Points lost on one node across a group's units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeLoss {
    pub code: NodeCode,
    /// Σ over the units of `max − points` (each unit's loss floored at 0).
    pub lost: Decimal,
    /// Units the node applies to (a maximum above 0).
    pub applicable: u32,
    /// Units that lost points on it, with how many, most first.
    pub losers: Vec<(UnitCode, Decimal)>,
}

impl NodeLoss {
    /// Share of the applicable units that lost points on the node, in percent.
    pub fn losing_share(&self) -> Option<Decimal> {
        percent(
            Decimal::from(self.losers.len()),
            Decimal::from(self.applicable),
        )
    }
}

/// Points lost on every node of depth `depth` (2 = criteria) across `results`, the largest
/// loss first (then tree order). Nodes nobody lost points on are kept, at the end.
pub fn losses(set: &IndexSet, results: &[&UnitResult], depth: usize) -> Vec<NodeLoss> {
    let order: Vec<NodeCode> = set
        .walk()
        .into_iter()
        .filter(|n| n.code.depth() == depth)
        .map(|n| n.code.clone())
        .collect();
    let mut by_code: HashMap<NodeCode, NodeLoss> = order
        .iter()
        .map(|c| {
            (
                c.clone(),
                NodeLoss {
                    code: c.clone(),
                    lost: Decimal::ZERO,
                    applicable: 0,
                    losers: Vec::new(),
                },
            )
        })
        .collect();
    for r in results {
        for f in node_figures(set, r)
            .into_iter()
            .filter(|f| f.depth == depth)
        {
            let Some(entry) = by_code.get_mut(&f.code) else {
                continue;
            };
            if f.max.0 <= Decimal::ZERO {
                continue;
            }
            entry.applicable += 1;
            let lost = f.lost();
            if lost > Decimal::ZERO {
                entry.lost += lost;
                entry.losers.push((r.unit.clone(), lost));
            }
        }
    }
    let mut out: Vec<NodeLoss> = order
        .iter()
        .filter_map(|c| by_code.remove(c))
        .map(|mut l| {
            l.losers
                .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            l
        })
        .collect();
    // Stable: equal losses keep tree order.
    out.sort_by_key(|l| std::cmp::Reverse(l.lost));
    out
}

/// One bin of a histogram of indexes: `[low, high)`, the last bin closed (`[90, 100]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bin {
    pub low: Decimal,
    pub high: Decimal,
    pub count: u32,
}

/// Counts the published (2-decimal) `indexes` in bins of `width` points from 0 to 100; an
/// index above 100 (a bonus) falls in the last bin, one below 0 in the first.
pub fn histogram(indexes: &[Decimal], width: u32) -> Vec<Bin> {
    let width = width.clamp(1, 100);
    let count = 100_u32.div_ceil(width);
    let mut bins: Vec<Bin> = (0..count)
        .map(|i| Bin {
            low: Decimal::from(i * width),
            high: Decimal::from(((i + 1) * width).min(100)),
            count: 0,
        })
        .collect();
    for &index in indexes {
        let shown = round_display(index);
        let k = bins
            .iter()
            .position(|b| shown < b.high)
            .unwrap_or(bins.len() - 1);
        bins[k].count += 1;
    }
    bins
}

/// The units of a group by their change of published index versus the previous year.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Movers {
    /// Higher index, largest rise first.
    pub improved: Vec<(UnitCode, Decimal)>,
    /// Lower index, largest fall first.
    pub declined: Vec<(UnitCode, Decimal)>,
    pub unchanged: Vec<UnitCode>,
    /// Units without a previous result to compare with.
    pub new: Vec<UnitCode>,
}

/// Splits `results` by the sign of their `delta_index`, as the group statistics count them.
pub fn movers(results: &[&UnitResult]) -> Movers {
    let mut m = Movers::default();
    for r in results {
        match r.delta_index {
            Some(d) if d > Decimal::ZERO => m.improved.push((r.unit.clone(), d)),
            Some(d) if d < Decimal::ZERO => m.declined.push((r.unit.clone(), d)),
            Some(_) => m.unchanged.push(r.unit.clone()),
            None => m.new.push(r.unit.clone()),
        }
    }
    m.improved
        .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    m.declined
        .sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    m.unchanged.sort();
    m.new.sort();
    m
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;
    use crate::compute::{ComputeInput, UnitInput, compute};
    use crate::ids::{GroupName, SetCode};
    use crate::indexset::{ClassScheme, Node, RankingRule, Source};
    use crate::method::{Method, RawValue};

    fn code(s: &str) -> NodeCode {
        NodeCode::parse(s).unwrap()
    }

    fn unit(s: &str) -> UnitCode {
        UnitCode::parse(s).unwrap()
    }

    fn leaf(c: &str, max: Decimal) -> Node {
        Node {
            code: code(c),
            title: format!("Tiêu chí {c}"),
            max: Points(max),
            source: Source::Assessed,
            method: Some(Method::Manual { step: None }),
            rule: None,
            evidence: None,
            not_applicable: None,
            children: vec![],
        }
    }

    fn inner(c: &str, children: Vec<Node>) -> Node {
        let max = children.iter().map(|n| n.max).sum();
        Node {
            max,
            method: None,
            children,
            ..leaf(c, Decimal::ZERO)
        }
    }

    /// Two areas: 1 (criteria 1.1 with 1.1.1, 1.1.2; 1.2 a leaf) and 2 (2.1 a leaf).
    pub(crate) fn small_set() -> IndexSet {
        IndexSet {
            code: SetCode::parse("S").unwrap(),
            name: "Bộ thử".into(),
            year: 2024,
            decision: None,
            nodes: vec![
                inner(
                    "1",
                    vec![
                        inner("1.1", vec![leaf("1.1.1", dec!(2)), leaf("1.1.2", dec!(3))]),
                        leaf("1.2", dec!(5)),
                    ],
                ),
                inner("2", vec![leaf("2.1", dec!(10))]),
            ],
            classes: ClassScheme::common_default(),
            ranking: RankingRule::default(),
            renormalise_absent_areas: false,
        }
    }

    fn input(u: &str, points: [Decimal; 4]) -> UnitInput {
        let leaves = ["1.1.1", "1.1.2", "1.2", "2.1"];
        UnitInput {
            unit: unit(u),
            name: u.into(),
            group: GroupName::parse("Sở").unwrap(),
            ranked: true,
            values: leaves
                .iter()
                .zip(points)
                .map(|(l, p)| (code(l), RawValue::Points(p)))
                .collect(),
        }
    }

    fn results(inputs: &[UnitInput]) -> Vec<UnitResult> {
        let set = small_set();
        compute(ComputeInput {
            set: &set,
            units: inputs,
            previous: &[],
            lineage: &[],
        })
        .unwrap()
        .units
    }

    #[test]
    fn every_node_down_to_the_leaves_has_its_points_and_maximum() {
        let r = results(&[input("A", [dec!(2), dec!(1.5), dec!(5), dec!(4.25)])]);
        let f = node_figures(&small_set(), &r[0]);
        let codes: Vec<&str> = f.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["1", "1.1", "1.1.1", "1.1.2", "1.2", "2", "2.1"]);
        let sub = &f[3];
        assert_eq!(
            (sub.points.0, sub.max.0, sub.depth),
            (dec!(1.5), dec!(3), 3)
        );
        assert_eq!(f[1].share(), Some(dec!(70)));
        assert_eq!(f[1].lost(), dec!(1.5));
    }

    #[test]
    fn the_group_mean_and_best_of_a_node_are_over_its_units() {
        let r = results(&[
            input("A", [dec!(2), dec!(1), dec!(5), dec!(4)]),
            input("B", [dec!(1), dec!(3), dec!(5), dec!(10)]),
        ]);
        let refs: Vec<&UnitResult> = r.iter().collect();
        let b = node_benchmarks(&small_set(), &refs);
        assert_eq!(b[&code("1.1.2")].mean, dec!(2));
        assert_eq!(b[&code("1.1.2")].best, dec!(3));
        assert_eq!(b[&code("2")].best, dec!(10));
        assert_eq!(b[&code("1")].units, 2);
    }

    #[test]
    fn the_strongest_and_weakest_criteria_are_by_share_of_their_maximum() {
        let r = results(&[input("A", [dec!(2), dec!(3), dec!(2), dec!(4.25)])]);
        let f = node_figures(&small_set(), &r[0]);
        let (s, w) = strongest_weakest(&f).unwrap();
        assert_eq!(s.code.as_str(), "1.1");
        assert_eq!(w.code.as_str(), "1.2");
    }

    fn year(y: i32, rank: Option<u32>, class: &str) -> YearPoint {
        YearPoint {
            year: y,
            index: dec!(90),
            rank,
            class: Some(class.into()),
            via: vec![],
        }
    }

    #[test]
    fn a_rank_held_five_years_in_a_row_is_a_streak_of_five() {
        let mut h = vec![year(2018, Some(2), "Tốt")];
        for y in 2019..=2023 {
            h.push(year(y, Some(1), "Xuất sắc"));
        }
        h[1].class = Some("Tốt".into());
        let s = streaks(&h);
        assert_eq!(s.rank, Some((1, 5)));
        assert_eq!(s.class, Some(("Xuất sắc".into(), 4)));
    }

    #[test]
    fn a_missing_year_or_a_year_without_rank_breaks_a_streak() {
        let h = vec![
            year(2019, Some(1), "Tốt"),
            year(2021, Some(1), "Tốt"),
            year(2022, Some(1), "Tốt"),
        ];
        assert_eq!(streaks(&h).rank, Some((1, 2)));
        let h = vec![year(2021, Some(1), "Tốt"), year(2022, None, "Tốt")];
        assert_eq!(streaks(&h).rank, None);
        assert_eq!(streaks(&h).class, Some(("Tốt".into(), 2)));
        assert_eq!(streaks(&[]), Streaks::default());
    }

    #[test]
    fn history_before_a_merger_is_read_from_the_predecessors() {
        let own = vec![year(2025, Some(1), "Tốt")];
        let mut a = year(2024, Some(1), "Tốt");
        a.index = dec!(80);
        let mut b = year(2024, Some(3), "Khá");
        b.index = dec!(70);
        let c = year(2023, Some(1), "Tốt");
        let h = lineage_history(&own, &[(unit("A"), a), (unit("B"), b), (unit("A"), c)]);
        assert_eq!(h.len(), 3);
        assert_eq!(h[0].via, vec![unit("A")]);
        assert_eq!(h[0].rank, Some(1));
        assert_eq!(h[1].index, dec!(75));
        assert_eq!(h[1].rank, None);
        assert_eq!(h[1].via, vec![unit("A"), unit("B")]);
        assert_eq!(streaks(&h).rank, Some((1, 1)));
    }

    #[test]
    fn criteria_losing_the_most_points_come_first_with_their_units() {
        let r = results(&[
            input("A", [dec!(2), dec!(1), dec!(5), dec!(4)]),
            input("B", [dec!(1), dec!(3), dec!(5), dec!(10)]),
        ]);
        let refs: Vec<&UnitResult> = r.iter().collect();
        let l = losses(&small_set(), &refs, 2);
        assert_eq!(l[0].code.as_str(), "2.1");
        assert_eq!(l[0].lost, dec!(6));
        assert_eq!(l[0].losers, vec![(unit("A"), dec!(6))]);
        assert_eq!(l[0].losing_share(), Some(dec!(50)));
        assert_eq!(l[1].code.as_str(), "1.1");
        assert_eq!(l[1].lost, dec!(3));
        assert_eq!(l[2].lost, Decimal::ZERO);
    }

    #[test]
    fn indexes_fall_in_bins_of_ten_with_a_hundred_in_the_last() {
        let bins = histogram(&[dec!(89.995), dec!(90), dec!(100), dec!(5), dec!(104)], 10);
        assert_eq!(bins.len(), 10);
        assert_eq!(bins[0].count, 1);
        assert_eq!(bins[9].count, 4);
        assert_eq!(bins.iter().map(|b| b.count).sum::<u32>(), 5);
    }

    #[test]
    fn movers_are_split_by_the_sign_of_their_change() {
        let mut r = results(&[
            input("A", [dec!(2), dec!(1), dec!(5), dec!(4)]),
            input("B", [dec!(1), dec!(3), dec!(5), dec!(10)]),
            input("C", [dec!(1), dec!(3), dec!(5), dec!(10)]),
        ]);
        r[0].delta_index = Some(dec!(1.5));
        r[1].delta_index = Some(dec!(-0.2));
        let refs: Vec<&UnitResult> = r.iter().collect();
        let m = movers(&refs);
        assert_eq!(m.improved.len() + m.declined.len() + m.new.len(), 3);
        assert_eq!(m.new.len(), 1);
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            /// Without bonus or deduction, the points lost on the criteria of a group add up
            /// to what its units lack of their maxima.
            #[test]
            fn points_lost_on_criteria_add_up_to_what_the_units_lack(
                cents in proptest::collection::vec((0i64..=200, 0i64..=300, 0i64..=500, 0i64..=1000), 1..8)
            ) {
                let inputs: Vec<UnitInput> = cents
                    .iter()
                    .enumerate()
                    .map(|(i, (a, b, c, d))| {
                        input(
                            &format!("U{i}"),
                            [Decimal::new(*a, 2), Decimal::new(*b, 2), Decimal::new(*c, 2), Decimal::new(*d, 2)],
                        )
                    })
                    .collect();
                let r = results(&inputs);
                let refs: Vec<&UnitResult> = r.iter().collect();
                let lost: Decimal = losses(&small_set(), &refs, 2).iter().map(|l| l.lost).sum();
                let lacking: Decimal = r.iter().map(|u| u.max.0 - u.total.0).sum();
                prop_assert_eq!(lost, lacking);
                let by_area: Decimal = losses(&small_set(), &refs, 1).iter().map(|l| l.lost).sum();
                prop_assert_eq!(by_area, lacking);
            }

            /// A streak never exceeds the history, and is at least 1 when the last year has
            /// a rank.
            #[test]
            fn a_streak_is_between_one_and_the_length_of_the_history(
                ranks in proptest::collection::vec(proptest::option::of(1u32..4), 1..12)
            ) {
                let h: Vec<YearPoint> = ranks
                    .iter()
                    .enumerate()
                    .map(|(i, r)| year(2000 + i32::try_from(i).unwrap(), *r, "Tốt"))
                    .collect();
                let s = streaks(&h);
                match (ranks.last().copied().flatten(), s.rank) {
                    (None, None) => {}
                    (Some(last), Some((r, n))) => {
                        prop_assert_eq!(r, last);
                        prop_assert!(n >= 1 && usize::try_from(n).unwrap() <= h.len());
                        let tail = ranks.iter().rev().take_while(|x| **x == Some(last)).count();
                        prop_assert_eq!(usize::try_from(n).unwrap(), tail);
                    }
                    other => prop_assert!(false, "{:?}", other),
                }
            }
        }
    }
}
