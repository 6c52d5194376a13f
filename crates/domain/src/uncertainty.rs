//! How far the data settle a unit's survey points and rank: a bootstrap over respondents.
//!
//! Survey points rest on a sample of respondents; another sample of the same size would have
//! given other points, and perhaps another order. Drawing the respondents again with
//! replacement many times, and computing each unit's points and rank each time, gives a 90 %
//! interval for both. Respondents are drawn whole (one respondent rates several units), so
//! that what links their answers stays in every draw. The draws come from a seeded ChaCha
//! stream: the same data and seed give the same intervals on every machine.

use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// Its rank in the group (1 = best; units with equal totals share a rank).
    pub rank: Interval<u32>,
}

/// Whether the data settle the order of two units: their rank intervals do not overlap.
pub fn order_settled(a: &UnitUncertainty, b: &UnitUncertainty) -> bool {
    a.rank.high < b.rank.low || b.rank.high < a.rank.low
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
                rank: interval(&mut rank[u]).unwrap_or(Interval { low: 1, high: 1 }),
            }
        })
        .collect()
}

/// Where one respondent group's answers about one unit on one leaf count: the unit and leaf
/// (`slot`) they feed, and the group's weight in the leaf.
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
    /// The points with every respondent, kept in a draw that has no answer about it.
    pub estimate: Decimal,
}

/// Units whose survey points come from several leaves and respondent groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaves {
    pub cells: Vec<Cell>,
    pub slots: Vec<Slot>,
    /// Each unit's points other than the survey's, by position.
    pub other_points: Vec<Decimal>,
}

/// Each unit's 90 % intervals when its survey points are the sum of several leaves fed by
/// several respondent groups; a respondent's `answers` are `(cell, sum of weights, valid
/// answers)` with cells of [`Leaves::cells`]. Ranks are among the units given (one group).
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
        let points = slot_points(l, &sums);
        let mut unit_survey = vec![Decimal::ZERO; n];
        for (slot, p) in points.iter().enumerate() {
            if let Some(Some(u)) = slot_unit.get(slot)
                && let Some(s) = unit_survey.get_mut(*u)
            {
                *s += *p;
            }
        }
        let t: Vec<Decimal> = (0..n).map(|u| l.other_points[u] + unit_survey[u]).collect();
        let r = ranks(&t);
        for u in 0..n {
            if has_slot[u] {
                survey[u].push(unit_survey[u]);
            }
            total[u].push(t[u]);
            rank[u].push(r[u]);
        }
    }
    (0..n)
        .map(|u| {
            let fallback = Interval {
                low: l.other_points[u],
                high: l.other_points[u],
            };
            UnitUncertainty {
                survey_points: if has_slot[u] {
                    interval(&mut survey[u])
                } else {
                    None
                },
                total: interval(&mut total[u]).unwrap_or(fallback),
                rank: interval(&mut rank[u]).unwrap_or(Interval { low: 1, high: 1 }),
            }
        })
        .collect()
}

/// The points of every slot from the drawn cells' sums; a slot without answers keeps its
/// estimate. The maximum multiplies before dividing, as the points themselves are computed.
fn slot_points(l: &Leaves, sums: &[(Decimal, u64)]) -> Vec<Decimal> {
    let mut pooled = vec![(Decimal::ZERO, 0_u64); l.slots.len()];
    let mut weighted = vec![(Decimal::ZERO, Decimal::ZERO); l.slots.len()];
    for (c, (w, v)) in l.cells.iter().zip(sums) {
        let Some(slot) = l.slots.get(c.slot) else {
            continue;
        };
        if slot.weighted {
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
            let p = if s.weighted {
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
                Interval { low: 1, high: 1 },
                Interval { low: 2, high: 2 },
                Interval { low: 3, high: 3 }
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
        assert_eq!(u[0].rank, Interval { low: 1, high: 2 });
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
                    estimate: dec!(10),
                },
                Slot {
                    max: dec!(6),
                    weighted: false,
                    estimate: dec!(6),
                },
                Slot {
                    max: dec!(10),
                    weighted: false,
                    estimate: dec!(0),
                },
                Slot {
                    max: dec!(6),
                    weighted: false,
                    estimate: dec!(0),
                },
            ],
            other_points: vec![dec!(50), dec!(60)],
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
        assert_eq!(u[1].rank, Interval { low: 2, high: 2 });
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
                prop_assert!(1 <= u.rank.low && u.rank.low <= u.rank.high && u.rank.high <= 3);
            }
        }
    }
}
