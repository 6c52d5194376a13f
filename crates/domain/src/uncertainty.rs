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
