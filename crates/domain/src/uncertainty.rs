//! How far the data settle a unit's survey points and rank: a bootstrap over respondents.
//!
//! Survey points rest on a sample of respondents; another sample of the same size would have
//! given other points, and perhaps another order. Drawing the respondents again with
//! replacement many times, and computing each unit's points and rank each time, gives a 90 %
//! interval for both. Respondents are drawn whole (one respondent rates several units), so
//! that what links their answers stays in every draw. The draws come from a seeded ChaCha
//! stream: the same data and seed give the same intervals on every machine.
//!
//! A satisfaction (SIPAS) leaf is drawn like the others: its points are recomputed in every
//! draw from the drawn respondents' answers per factor (share satisfied or very satisfied,
//! mean over the factors), as [`crate::survey::SipasTally`] computes them from everyone.
//!
//! Every interval holds the figure computed from all respondents (the one the results
//! publish): a percentile interval of a skewed draw distribution can miss it by a hair, and
//! an interval that leaves out the published figure would read as a contradiction.

use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{GroupName, UnitCode};
use crate::points::{percent, round_display};

/// One respondent's valid answers about each unit they rated: the sum of the answers'
/// weights and how many they were (see [`crate::survey::LeafTally`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Respondent {
    /// (unit's position in the list of units, sum of weights, valid answers).
    pub answers: Vec<(usize, Decimal, u32)>,
}

/// The units compared: what their survey points are out of, and the rest of their total,
/// which the survey does not change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// The maximum of the survey points (the same for every unit of a group).
    pub survey_max: Decimal,
    /// Each unit's points other than the survey's, by position.
    pub other_points: Vec<Decimal>,
}

/// A 90 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval<T> {
    pub low: T,
    pub high: T,
}

/// What the bootstrap says of one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitUncertainty {
    /// Its survey points; `None` when no draw had an answer about it.
    pub survey_points: Option<Interval<Decimal>>,
    /// Its total (other points plus survey points).
    pub total: Interval<Decimal>,
    /// Its rank in the group (1 = best; units with equal totals share a rank); `None` for a
    /// unit left out of the ranking.
    pub rank: Option<Interval<u32>>,
}

/// Whether the data settle the order of two units: their rank intervals do not overlap (a
/// unit outside the ranking has no order to settle).
pub fn order_settled(a: &UnitUncertainty, b: &UnitUncertainty) -> bool {
    match (a.rank, b.rank) {
        (Some(a), Some(b)) => a.high < b.low || b.high < a.low,
        _ => true,
    }
}

/// The survey points and total of every unit from the answers of `respondents`.
fn totals(respondents: &[&Respondent], c: &Comparison) -> (Vec<Option<Decimal>>, Vec<Decimal>) {
    let n = c.other_points.len();
    let mut sums = vec![(Decimal::ZERO, 0_u64); n];
    for r in respondents {
        for &(unit, weight, valid) in &r.answers {
            if let Some(s) = sums.get_mut(unit) {
                s.0 += weight;
                s.1 += u64::from(valid);
            }
        }
    }
    let survey: Vec<Option<Decimal>> = sums
        .iter()
        .map(|(w, v)| (*v > 0).then(|| c.survey_max * *w / Decimal::from(*v)))
        .collect();
    let total = survey
        .iter()
        .zip(&c.other_points)
        .map(|(s, o)| *o + s.unwrap_or(Decimal::ZERO))
        .collect();
    (survey, total)
}

/// Ranks of totals, best first; equal totals share a rank (1, 2, 2, 4).
fn ranks(totals: &[Decimal]) -> Vec<u32> {
    totals
        .iter()
        .map(|t| {
            let better = totals.iter().filter(|o| *o > t).count();
            u32::try_from(better).unwrap_or(u32::MAX).saturating_add(1)
        })
        .collect()
}

/// The 5th and 95th percentiles of `values` (sorted here).
fn interval<T: Ord + Copy>(values: &mut [T]) -> Option<Interval<T>> {
    values.sort_unstable();
    let last = values.len().checked_sub(1)?;
    // Nearest ranks: the 5 % lowest and 5 % highest draws are left out.
    let low = last * 5 / 100;
    let high = last - last * 5 / 100;
    Some(Interval {
        low: values[low],
        high: values[high],
    })
}

/// Each unit's 90 % intervals over `draws` bootstrap samples of the respondents (at least
/// one), from the stream seeded with `seed`. Without respondents every interval is the
/// unit's point estimate.
pub fn bootstrap(
    respondents: &[Respondent],
    c: &Comparison,
    draws: u32,
    seed: u64,
) -> Vec<UnitUncertainty> {
    let n = c.other_points.len();
    let draws = draws.max(1) as usize;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut survey: Vec<Vec<Decimal>> = vec![Vec::with_capacity(draws); n];
    let mut total: Vec<Vec<Decimal>> = vec![Vec::with_capacity(draws); n];
    let mut rank: Vec<Vec<u32>> = vec![Vec::with_capacity(draws); n];
    let mut sample: Vec<&Respondent> = Vec::with_capacity(respondents.len());
    for _ in 0..draws {
        sample.clear();
        for _ in 0..respondents.len() {
            sample.push(&respondents[rng.random_range(0..respondents.len())]);
        }
        let (s, t) = totals(&sample, c);
        let r = ranks(&t);
        for u in 0..n {
            if let Some(p) = s[u] {
                survey[u].push(p);
            }
            total[u].push(t[u]);
            rank[u].push(r[u]);
        }
    }
    (0..n)
        .map(|u| {
            let fallback = Interval {
                low: c.other_points[u],
                high: c.other_points[u],
            };
            UnitUncertainty {
                survey_points: interval(&mut survey[u]),
                total: interval(&mut total[u]).unwrap_or(fallback),
                rank: Some(interval(&mut rank[u]).unwrap_or(Interval { low: 1, high: 1 })),
            }
        })
        .collect()
}

/// Where one respondent group's answers about one unit on one leaf count: the unit and leaf
/// (`slot`) they feed, and the group's weight in the leaf. In a SIPAS slot each cell is one
/// factor instead, and a respondent's answers to it are `(satisfied, valid)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    /// Position of the unit among the compared units.
    pub unit: usize,
    /// Position of the (unit, leaf) pair in [`Leaves::slots`].
    pub slot: usize,
    /// The group's weight in the leaf; every cell of an unweighted leaf has weight 1 and the
    /// leaf's answers are pooled.
    pub weight: Decimal,
}

/// One survey leaf of one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub max: Decimal,
    /// Whether respondent groups are weighted in the leaf (each group's mean, weighted).
    pub weighted: bool,
    /// Whether the leaf is fed by a SIPAS questionnaire: points = max × the mean over its
    /// cells (factors) of the share of satisfied answers. Its cells are best listed in the
    /// order of [`crate::survey::Factor::ALL`], the order the estimate adds the shares in.
    pub sipas: bool,
    /// The points with every respondent, kept in a draw that has no answer about it.
    pub estimate: Decimal,
}

/// How the units of a group are ranked in each draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RankBy {
    /// By total: every unit ranked (no computed results to say more).
    Total,
    /// By index as the results rank units: total ÷ the unit's applicable maximum × 100,
    /// rounded to two decimals as published. `None` for a unit the results leave unranked.
    Index(Vec<Option<Decimal>>),
}

/// Units whose survey points come from several leaves and respondent groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaves {
    pub cells: Vec<Cell>,
    pub slots: Vec<Slot>,
    /// Each unit's points other than the survey's, by position.
    pub other_points: Vec<Decimal>,
    pub rank_by: RankBy,
}

impl Leaves {
    /// The key a unit is ranked by, from its total; `None` outside the ranking.
    fn rank_key(&self, unit: usize, total: Decimal) -> Option<Decimal> {
        match &self.rank_by {
            RankBy::Total => Some(total),
            RankBy::Index(maxima) => maxima
                .get(unit)
                .copied()
                .flatten()
                .map(|max| round_display(percent(total, max).unwrap_or(Decimal::ZERO))),
        }
    }
}

/// Competition ranks (1, 2, 2, 4) of the units with a key, best (highest) first.
fn ranks_of(keys: &[Option<Decimal>]) -> Vec<Option<u32>> {
    keys.iter()
        .map(|k| {
            let k = (*k)?;
            let better = keys.iter().flatten().filter(|o| **o > k).count();
            Some(u32::try_from(better).unwrap_or(u32::MAX).saturating_add(1))
        })
        .collect()
}

/// The interval of a figure that does not move.
fn fixed<T: Copy>(v: T) -> Interval<T> {
    Interval { low: v, high: v }
}

/// `i` widened to hold `estimate`.
fn holding<T: Ord + Copy>(i: Interval<T>, estimate: T) -> Interval<T> {
    Interval {
        low: i.low.min(estimate),
        high: i.high.max(estimate),
    }
}

/// Each unit's 90 % intervals when its survey points are the sum of several leaves fed by
/// several respondent groups; a respondent's `answers` are `(cell, sum of weights, valid
/// answers)` with cells of [`Leaves::cells`] (for a SIPAS cell, `(cell, satisfied answers,
/// valid answers)`). Ranks are among the units given (one group), as [`Leaves::rank_by`]
/// says. Every interval holds the unit's estimate (its figures from every respondent).
pub fn bootstrap_leaves(
    respondents: &[Respondent],
    l: &Leaves,
    draws: u32,
    seed: u64,
) -> Vec<UnitUncertainty> {
    let n = l.other_points.len();
    let draws = draws.max(1) as usize;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut has_slot = vec![false; n];
    let mut slot_unit: Vec<Option<usize>> = vec![None; l.slots.len()];
    for c in &l.cells {
        if let Some(h) = has_slot.get_mut(c.unit) {
            *h = true;
        }
        if let Some(s) = slot_unit.get_mut(c.slot) {
            *s = Some(c.unit);
        }
    }
    let unit_points = |points: &[Decimal]| -> (Vec<Decimal>, Vec<Decimal>, Vec<Option<Decimal>>) {
        let mut survey = vec![Decimal::ZERO; n];
        for (slot, p) in points.iter().enumerate() {
            if let Some(Some(u)) = slot_unit.get(slot)
                && let Some(s) = survey.get_mut(*u)
            {
                *s += *p;
            }
        }
        let totals: Vec<Decimal> = (0..n).map(|u| l.other_points[u] + survey[u]).collect();
        let keys = (0..n).map(|u| l.rank_key(u, totals[u])).collect();
        (survey, totals, keys)
    };
    let estimates: Vec<Decimal> = l.slots.iter().map(|s| s.estimate).collect();
    let (est_survey, est_total, est_keys) = unit_points(&estimates);
    let est_rank = ranks_of(&est_keys);

    let mut survey: Vec<Vec<Decimal>> = vec![Vec::with_capacity(draws); n];
    let mut total: Vec<Vec<Decimal>> = vec![Vec::with_capacity(draws); n];
    let mut rank: Vec<Vec<u32>> = vec![Vec::with_capacity(draws); n];
    let mut sums = vec![(Decimal::ZERO, 0_u64); l.cells.len()];
    for _ in 0..draws {
        sums.iter_mut().for_each(|s| *s = (Decimal::ZERO, 0));
        for _ in 0..respondents.len() {
            let r = &respondents[rng.random_range(0..respondents.len())];
            for &(cell, weight, valid) in &r.answers {
                if let Some(s) = sums.get_mut(cell) {
                    s.0 += weight;
                    s.1 += u64::from(valid);
                }
            }
        }
        let (s, t, keys) = unit_points(&slot_points(l, &sums));
        let r = ranks_of(&keys);
        for u in 0..n {
            if has_slot[u] {
                survey[u].push(s[u]);
            }
            total[u].push(t[u]);
            if let Some(r) = r[u] {
                rank[u].push(r);
            }
        }
    }
    (0..n)
        .map(|u| UnitUncertainty {
            survey_points: if has_slot[u] {
                interval(&mut survey[u]).map(|i| holding(i, est_survey[u]))
            } else {
                None
            },
            total: interval(&mut total[u])
                .map_or(fixed(est_total[u]), |i| holding(i, est_total[u])),
            rank: est_rank[u].map(|e| interval(&mut rank[u]).map_or(fixed(e), |i| holding(i, e))),
        })
        .collect()
}

/// The points of every slot from the drawn cells' sums; a slot without answers keeps its
/// estimate. The maximum multiplies before dividing, as the points themselves are computed.
fn slot_points(l: &Leaves, sums: &[(Decimal, u64)]) -> Vec<Decimal> {
    let mut pooled = vec![(Decimal::ZERO, 0_u64); l.slots.len()];
    let mut weighted = vec![(Decimal::ZERO, Decimal::ZERO); l.slots.len()];
    // SIPAS: the sum of the factors' shares (in percent) and how many factors had answers.
    let mut shares = vec![(Decimal::ZERO, 0_u32); l.slots.len()];
    for (c, (w, v)) in l.cells.iter().zip(sums) {
        let Some(slot) = l.slots.get(c.slot) else {
            continue;
        };
        if slot.sipas {
            if let Some(share) = percent(*w, Decimal::from(*v)) {
                let acc = &mut shares[c.slot];
                acc.0 += share;
                acc.1 += 1;
            }
        } else if slot.weighted {
            if *v > 0 {
                let acc = &mut weighted[c.slot];
                acc.0 += slot.max * c.weight * *w / Decimal::from(*v);
                acc.1 += c.weight;
            }
        } else {
            pooled[c.slot].0 += *w;
            pooled[c.slot].1 += *v;
        }
    }
    l.slots
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let p = if s.sipas {
                let (sum, factors) = shares[i];
                (factors > 0).then(|| s.max * (sum / Decimal::from(factors)) / Decimal::ONE_HUNDRED)
            } else if s.weighted {
                let (sum, total) = weighted[i];
                (!total.is_zero()).then(|| sum / total)
            } else {
                let (w, v) = pooled[i];
                (v > 0).then(|| s.max * w / Decimal::from(v))
            };
            p.map_or(s.estimate, |p| p.min(s.max))
        })
        .collect()
}

/// One unit's intervals as the results show them, kept when a survey closes and carried into
/// a publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultInterval {
    pub unit: UnitCode,
    pub group: GroupName,
    /// Its index (total ÷ applicable maximum × 100, full precision) at the ends of its total's
    /// interval.
    pub index: Interval<Decimal>,
    /// Its rank in the group; `None` for a unit the results do not rank.
    pub rank: Option<Interval<u32>>,
    /// Its survey points (every closed survey's leaves); `None` without answers about it.
    pub survey_points: Option<Interval<Decimal>>,
    pub total: Interval<Decimal>,
}

/// What the survey data say of a period's results: each unit's intervals and the neighbours
/// in rank order whose order the data do not settle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultIntervals {
    /// The closed surveys the intervals rest on, by code.
    pub surveys: Vec<String>,
    /// Bootstrap draws behind them.
    pub draws: u32,
    pub units: Vec<ResultInterval>,
    /// Pairs of neighbours (better first) in the same group.
    pub unsettled: Vec<(UnitCode, UnitCode)>,
}

impl ResultIntervals {
    /// The intervals of `unit`, if it has some.
    pub fn unit(&self, unit: &UnitCode) -> Option<&ResultInterval> {
        self.units.iter().find(|u| &u.unit == unit)
    }

    /// The unsettled pairs of `group`'s units.
    pub fn unsettled_in<'a>(
        &'a self,
        group: &'a GroupName,
    ) -> impl Iterator<Item = &'a (UnitCode, UnitCode)> + 'a {
        self.unsettled
            .iter()
            .filter(move |(a, _)| self.unit(a).is_some_and(|u| &u.group == group))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    /// `count` respondents who all answer `weight` (one valid answer) about each unit.
    fn crowd(weights: &[Decimal], count: usize) -> Vec<Respondent> {
        (0..count)
            .map(|_| Respondent {
                answers: weights
                    .iter()
                    .enumerate()
                    .map(|(u, w)| (u, *w, 1))
                    .collect(),
            })
            .collect()
    }

    #[test]
    fn unanimous_answers_leave_no_doubt_about_points_or_ranks() {
        let c = Comparison {
            survey_max: dec!(10),
            other_points: vec![dec!(60), dec!(60), dec!(50)],
        };
        let u = bootstrap(&crowd(&[dec!(1), dec!(0.6), dec!(1)], 40), &c, 200, 7);
        assert_eq!(
            u[0].survey_points,
            Some(Interval {
                low: dec!(10),
                high: dec!(10)
            })
        );
        assert_eq!(
            u[1].total,
            Interval {
                low: dec!(66),
                high: dec!(66)
            }
        );
        assert_eq!(
            [u[0].rank, u[1].rank, u[2].rank],
            [
                Some(Interval { low: 1, high: 1 }),
                Some(Interval { low: 2, high: 2 }),
                Some(Interval { low: 3, high: 3 })
            ]
        );
        assert!(order_settled(&u[0], &u[1]));
    }

    #[test]
    fn two_units_a_hair_apart_on_divided_answers_are_not_settled() {
        // Half the respondents rate A best, half B: each draw may order them either way.
        let mut respondents = crowd(&[dec!(1), dec!(0)], 15);
        respondents.extend(crowd(&[dec!(0), dec!(1)], 15));
        let c = Comparison {
            survey_max: dec!(10),
            other_points: vec![dec!(70), dec!(70)],
        };
        let u = bootstrap(&respondents, &c, 500, 11);
        assert_eq!(u[0].rank, Some(Interval { low: 1, high: 2 }));
        assert!(!order_settled(&u[0], &u[1]));
        let p = u[0].survey_points.unwrap();
        assert!(p.low < dec!(5) && dec!(5) < p.high, "{p:?}");
    }

    #[test]
    fn the_same_seed_gives_the_same_intervals() {
        let mut respondents = crowd(&[dec!(1), dec!(0.2)], 9);
        respondents.extend(crowd(&[dec!(0.6), dec!(0.6)], 7));
        let c = Comparison {
            survey_max: dec!(5),
            other_points: vec![dec!(40), dec!(41)],
        };
        assert_eq!(
            bootstrap(&respondents, &c, 300, 3),
            bootstrap(&respondents, &c, 300, 3)
        );
    }

    #[test]
    fn several_leaves_add_up_and_a_unanimous_crowd_settles_the_order() {
        // Two units, two leaves each (max 10 and 6); every respondent gives unit 0 full marks
        // and unit 1 nothing on both.
        let l = Leaves {
            cells: vec![
                Cell {
                    unit: 0,
                    slot: 0,
                    weight: dec!(1),
                },
                Cell {
                    unit: 0,
                    slot: 1,
                    weight: dec!(1),
                },
                Cell {
                    unit: 1,
                    slot: 2,
                    weight: dec!(1),
                },
                Cell {
                    unit: 1,
                    slot: 3,
                    weight: dec!(1),
                },
            ],
            slots: vec![
                Slot {
                    max: dec!(10),
                    weighted: false,
                    sipas: false,
                    estimate: dec!(10),
                },
                Slot {
                    max: dec!(6),
                    weighted: false,
                    sipas: false,
                    estimate: dec!(6),
                },
                Slot {
                    max: dec!(10),
                    weighted: false,
                    sipas: false,
                    estimate: dec!(0),
                },
                Slot {
                    max: dec!(6),
                    weighted: false,
                    sipas: false,
                    estimate: dec!(0),
                },
            ],
            other_points: vec![dec!(50), dec!(60)],
            rank_by: RankBy::Total,
        };
        let crowd: Vec<Respondent> = (0..20)
            .map(|_| Respondent {
                answers: vec![
                    (0, dec!(1), 1),
                    (1, dec!(1), 1),
                    (2, dec!(0), 1),
                    (3, dec!(0), 1),
                ],
            })
            .collect();
        let u = bootstrap_leaves(&crowd, &l, 100, 5);
        assert_eq!(
            u[0].survey_points,
            Some(Interval {
                low: dec!(16),
                high: dec!(16)
            })
        );
        assert_eq!(
            u[0].total,
            Interval {
                low: dec!(66),
                high: dec!(66)
            }
        );
        assert_eq!(u[1].rank, Some(Interval { low: 2, high: 2 }));
        assert!(order_settled(&u[0], &u[1]));
    }

    proptest! {
        #[test]
        fn intervals_are_ordered_and_within_the_possible(
            answers in prop::collection::vec(prop::collection::vec(0u8..=5, 3), 1..25),
            seed in any::<u64>(),
        ) {
            let respondents: Vec<Respondent> = answers
                .iter()
                .map(|a| Respondent {
                    answers: a.iter().enumerate()
                        .map(|(u, w)| (u, Decimal::from(*w) / dec!(5), 1))
                        .collect(),
                })
                .collect();
            let c = Comparison { survey_max: dec!(20), other_points: vec![dec!(50), dec!(55), dec!(48)] };
            for u in bootstrap(&respondents, &c, 60, seed) {
                let p = u.survey_points.expect("every respondent rated every unit");
                prop_assert!(dec!(0) <= p.low && p.low <= p.high && p.high <= dec!(20));
                prop_assert!(u.total.low <= u.total.high);
                let r = u.rank.expect("every unit is ranked");
                prop_assert!(1 <= r.low && r.low <= r.high && r.high <= 3);
            }
        }
    }

    /// A respondent's answers about the units of [`mixed`]: per unit an optional answer
    /// weight (in fifths) to its sociological leaf and an optional satisfaction level per
    /// factor.
    type Answers = Vec<(Option<u8>, Vec<Option<u8>>)>;

    /// Units each with a sociological leaf (max 10, slot `2u`) and a SIPAS leaf (max 5, slot
    /// `2u + 1`, one cell per factor in the order of `Factor::ALL`), their estimates computed
    /// from every respondent as the survey's points are; other points 60 each, ranked by
    /// index out of 100.
    fn mixed(people: &[Answers], units: usize) -> (Vec<Respondent>, Leaves) {
        use crate::points::Points;
        use crate::survey::{Answer, Factor, LeafTally, SipasTally};
        let mut cells = Vec::new();
        let mut slots = Vec::new();
        let mut tallies = vec![(LeafTally::default(), SipasTally::default()); units];
        for u in 0..units {
            cells.push(Cell {
                unit: u,
                slot: 2 * u,
                weight: Decimal::ONE,
            });
            for _ in Factor::ALL {
                cells.push(Cell {
                    unit: u,
                    slot: 2 * u + 1,
                    weight: Decimal::ONE,
                });
            }
        }
        let cell_of = |u: usize, factor: Option<usize>| u * 6 + factor.map_or(0, |f| f + 1);
        let respondents = people
            .iter()
            .map(|answers| {
                let mut out = Vec::new();
                for (u, (soc, levels)) in answers.iter().enumerate().take(units) {
                    if let Some(w) = soc {
                        let w = Decimal::from(*w) / dec!(5);
                        tallies[u].0.add("", Answer::Valid(w));
                        out.push((cell_of(u, None), w, 1));
                    }
                    for (f, level) in levels.iter().enumerate().take(Factor::ALL.len()) {
                        if let Some(level) = level {
                            tallies[u].1.add(Factor::ALL[f], Some(*level));
                            let satisfied = Decimal::from(u8::from(*level >= 4));
                            out.push((cell_of(u, Some(f)), satisfied, 1));
                        }
                    }
                }
                Respondent { answers: out }
            })
            .collect();
        for (soc, sipas) in &tallies {
            let soc = soc
                .points(Points::new(dec!(10)), None, 0)
                .unwrap()
                .points
                .map_or(Decimal::ZERO, |p| p.value());
            slots.push(Slot {
                max: dec!(10),
                weighted: false,
                sipas: false,
                estimate: soc,
            });
            slots.push(Slot {
                max: dec!(5),
                weighted: false,
                sipas: true,
                estimate: sipas
                    .points(Points::new(dec!(5)))
                    .map_or(Decimal::ZERO, |p| p.value()),
            });
        }
        let leaves = Leaves {
            cells,
            slots,
            other_points: vec![dec!(60); units],
            rank_by: RankBy::Index(vec![Some(dec!(100)); units]),
        };
        (respondents, leaves)
    }

    /// Each unit's estimates: survey points and total.
    fn estimates(l: &Leaves) -> Vec<(Decimal, Decimal)> {
        (0..l.other_points.len())
            .map(|u| {
                let s = l.slots[2 * u].estimate + l.slots[2 * u + 1].estimate;
                (s, l.other_points[u] + s)
            })
            .collect()
    }

    #[test]
    fn sipas_points_move_with_the_respondents_drawn() {
        // Half the citizens are satisfied with everything about unit 0, half with nothing;
        // everybody is satisfied with unit 1 on access and nothing else is asked about it.
        let half = |level: u8| -> Answers {
            vec![
                (None, vec![Some(level); 5]),
                (None, vec![Some(5), None, None, None, None]),
            ]
        };
        let mut people: Vec<Answers> = (0..20).map(|_| half(5)).collect();
        people.extend((0..20).map(|_| half(1)));
        let (respondents, leaves) = mixed(&people, 2);
        assert_eq!(leaves.slots[1].estimate, dec!(2.5));
        let u = bootstrap_leaves(&respondents, &leaves, 300, 9);
        let p = u[0].survey_points.unwrap();
        assert!(p.low < dec!(2.5) && dec!(2.5) < p.high, "{p:?}");
        // Unanimous about unit 1: its SIPAS is 100 % in every draw.
        assert_eq!(
            u[1].survey_points,
            Some(Interval {
                low: dec!(5),
                high: dec!(5)
            })
        );
        assert_eq!(u[1].rank, Some(Interval { low: 1, high: 1 }));
    }

    #[test]
    fn units_are_ranked_by_their_published_index_and_an_unranked_one_is_left_out() {
        let l = Leaves {
            cells: vec![],
            slots: vec![],
            // 90 of 100, 45 of 50 (the same 90 %), 80 of 100 unranked.
            other_points: vec![dec!(90), dec!(45), dec!(80)],
            rank_by: RankBy::Index(vec![Some(dec!(100)), Some(dec!(50)), None]),
        };
        let u = bootstrap_leaves(&[], &l, 10, 1);
        let one = Some(Interval { low: 1, high: 1 });
        assert_eq!([u[0].rank, u[1].rank, u[2].rank], [one, one, None]);
        assert!(order_settled(&u[0], &u[2]));
    }

    fn person() -> impl Strategy<Value = Answers> {
        prop::collection::vec(
            (
                prop::option::of(0u8..=5),
                prop::collection::vec(prop::option::of(1u8..=5), 5),
            ),
            3,
        )
    }

    proptest! {
        #[test]
        fn every_interval_holds_its_estimate_sipas_leaves_included(
            people in prop::collection::vec(person(), 1..20),
            seed in any::<u64>(),
        ) {
            let (respondents, leaves) = mixed(&people, 3);
            let est = estimates(&leaves);
            let keys: Vec<Option<Decimal>> =
                est.iter().enumerate().map(|(u, (_, t))| leaves.rank_key(u, *t)).collect();
            let ranks = ranks_of(&keys);
            for (u, got) in bootstrap_leaves(&respondents, &leaves, 80, seed).iter().enumerate() {
                let (s, t) = est[u];
                if let Some(p) = got.survey_points {
                    prop_assert!(p.low <= s && s <= p.high, "unit {}: {} outside {:?}", u, s, p);
                    prop_assert!(p.high <= dec!(15));
                }
                prop_assert!(got.total.low <= t && t <= got.total.high);
                let r = got.rank.expect("ranked");
                let e = ranks[u].expect("ranked");
                prop_assert!(r.low <= e && e <= r.high && r.high <= 3);
            }
        }

        #[test]
        fn unanimous_sipas_answers_give_a_zero_width_interval(
            answer in person(),
            count in 1usize..30,
            seed in any::<u64>(),
        ) {
            // Everybody answers alike; sociological answers are left out.
            let alike: Answers = answer.into_iter().map(|(_, levels)| (None, levels)).collect();
            let people = vec![alike; count];
            let (respondents, leaves) = mixed(&people, 3);
            let est = estimates(&leaves);
            for (u, got) in bootstrap_leaves(&respondents, &leaves, 50, seed).iter().enumerate() {
                let (s, t) = est[u];
                if let Some(p) = got.survey_points {
                    prop_assert_eq!(p, Interval { low: s, high: s });
                }
                prop_assert_eq!(got.total, Interval { low: t, high: t });
            }
        }
    }
}
