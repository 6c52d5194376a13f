//! Raw inputs generated from a unit's "quality": the share (in ‰) of the achievable points the
//! unit tends to earn. Each leaf gets a value of the kind its scoring method reads (yes/no,
//! counts, ratios, grades, dates, points), so that results are always computed by the engine
//! from raw data, never typed in. Everything is integer or decimal arithmetic on a seeded
//! ChaCha stream, so the same seed always gives the same data on every machine.

use chiso_domain::{
    GradeCode, IndexSet, Method, NaPolicy, Node, NodeCode, RawValue, Source, Tier, TierBasis,
};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use time::Duration;

/// The random stream every generator draws from.
pub(crate) type Stream = ChaCha8Rng;

/// Per-mille scale of qualities and shares.
const PERMILLE: i64 = 1000;

fn clamp(v: i64, lo: i64, hi: i64) -> i64 {
    v.max(lo).min(hi)
}

/// A leaf's share (‰) of `max` earned with `points`.
fn share_of(points: Decimal, max: Decimal) -> i64 {
    if max.is_zero() {
        return 0;
    }
    (points * Decimal::from(PERMILLE) / max)
        .round()
        .to_i64()
        .unwrap_or(0)
}

/// The raw value a unit of `quality` (‰) declares for `leaf`.
pub(crate) fn leaf_input(leaf: &Node, quality: i64, rng: &mut Stream) -> RawValue {
    let q = clamp(quality + rng.random_range(-80..=80), 0, PERMILLE);
    if leaf.not_applicable.is_some() && rng.random_range(0..100) < 6 {
        return RawValue::NotApplicable;
    }
    let max = leaf.max.value();
    let Some(method) = &leaf.method else {
        return RawValue::NotApplicable;
    };
    match method {
        Method::YesNo => {
            if rng.random_range(0..PERMILLE) < q {
                RawValue::Yes
            } else {
                RawValue::No
            }
        }
        Method::Count { per, cap } => {
            let cap = cap.unwrap_or(max).min(max);
            let full = (cap / *per).ceil().to_i64().unwrap_or(1).max(1);
            let mut n = (full * q + rng.random_range(0..PERMILLE)) / PERMILLE;
            if q > 900 && rng.random_range(0..10) < 3 {
                n += 1;
            }
            RawValue::Count(Decimal::from(n))
        }
        Method::Tiers { basis, tiers } => tier_input(basis, tiers, max, q, rng),
        Method::Proportional => {
            let p = clamp(q + rng.random_range(-40..=40), 0, PERMILLE);
            let den = rng.random_range(10..500_i64);
            RawValue::Ratio {
                num: Decimal::from(den * p / PERMILLE),
                den: Decimal::from(den),
            }
        }
        Method::Graded { grades } => {
            let u = q + rng.random_range(-120..=120);
            let g = grades
                .iter()
                .min_by_key(|g| (share_of(g.percent, Decimal::ONE_HUNDRED) - u).abs())
                .map(|g| GradeCode::parse(&g.code).expect("the demo's grade codes are short"))
                .expect("a graded leaf has grades");
            RawValue::Grade(g)
        }
        Method::Deduction { .. } if leaf.source == Source::Deduction => {
            let n = if rng.random_range(0..PERMILLE) < q + 80 {
                0
            } else {
                rng.random_range(1..=2)
            };
            RawValue::Count(Decimal::from(n))
        }
        Method::Deduction { per } => {
            let u = clamp(q + rng.random_range(-150..=150), 0, PERMILLE);
            let lost = max * Decimal::from(PERMILLE - u) / Decimal::from(PERMILLE);
            let n = (lost / *per).round().to_i64().unwrap_or(0).max(0);
            RawValue::Count(Decimal::from(n))
        }
        Method::Manual { step } => {
            let step = step.filter(|s| !s.is_zero()).unwrap_or(Decimal::new(25, 2));
            let steps = (max / step).floor().to_i64().unwrap_or(0);
            let u = clamp(q + rng.random_range(-100..=100), 0, PERMILLE);
            let k = clamp((steps * u + PERMILLE / 2) / PERMILLE, 0, steps);
            RawValue::Points((Decimal::from(k) * step).normalize())
        }
        Method::Survey => {
            let cents = clamp(q * 10 + rng.random_range(-500..=500), 0, 10_000);
            RawValue::Percent(Decimal::new(cents, 2).normalize())
        }
        Method::Bonus => {
            if rng.random_range(0..PERMILLE) < (q - 800) * 3 {
                let p = Decimal::new(5 * rng.random_range(1..=3), 1).min(max);
                RawValue::Points(p.normalize())
            } else {
                RawValue::Points(Decimal::ZERO)
            }
        }
    }
}

/// A value inside the tier whose share of the maximum is nearest to the unit's quality.
fn tier_input(
    basis: &TierBasis,
    tiers: &[Tier],
    max: Decimal,
    q: i64,
    rng: &mut Stream,
) -> RawValue {
    let mut sorted: Vec<&Tier> = tiers.iter().collect();
    sorted.sort_by_key(|t| t.min);
    let u = q + rng.random_range(-120..=120);
    let Some(i) = (0..sorted.len()).min_by_key(|&i| (share_of(sorted[i].points, max) - u).abs())
    else {
        return RawValue::Count(Decimal::ZERO);
    };
    let lo = sorted[i].min;
    let next = sorted.get(i + 1).map(|t| t.min);
    let hi = sorted[i].below.or(next);
    match basis {
        TierBasis::Percent => percent_in(lo, hi, rng),
        TierBasis::Count => {
            let lo_i = lo.ceil().to_i64().unwrap_or(0);
            let hi_i = hi.map_or(lo_i + lo_i / 2 + 3, |h| {
                h.ceil().to_i64().unwrap_or(lo_i + 1)
            });
            let n = if hi_i > lo_i {
                rng.random_range(lo_i..hi_i)
            } else {
                lo_i
            };
            RawValue::Count(Decimal::from(n))
        }
        TierBasis::DaysLate { deadline } => {
            let lo_i = lo.ceil().to_i64().unwrap_or(0);
            let hi_i = hi.map_or(lo_i + 20, |h| h.ceil().to_i64().unwrap_or(lo_i + 1));
            let days = if hi_i > lo_i {
                rng.random_range(lo_i..hi_i)
            } else {
                lo_i
            };
            let sent = if days == 0 {
                *deadline - Duration::days(rng.random_range(0..=12))
            } else {
                *deadline + Duration::days(days)
            };
            RawValue::Date(sent)
        }
    }
}

/// A ratio (or, one time in four, a percentage) in `[lo, hi)`; `hi = None` means up to 100 %.
/// The lowest band starts 25 points under its top so that failures look like real rates.
fn percent_in(lo: Decimal, hi: Option<Decimal>, rng: &mut Stream) -> RawValue {
    let hundred = Decimal::ONE_HUNDRED;
    let top = hi.is_none_or(|h| h > hundred);
    let hi = hi.unwrap_or(hundred).min(hundred);
    let lo = if lo.is_zero() {
        (hi - Decimal::from(25)).max(Decimal::ZERO)
    } else {
        lo
    };
    if rng.random_range(0..4) == 0 {
        let lo_c = (lo * hundred).ceil().to_i64().unwrap_or(0);
        let hi_c = (hi * hundred).to_i64().unwrap_or(10_000);
        let c = match (top, hi_c > lo_c) {
            (true, _) if lo_c >= hi_c => hi_c,
            (true, _) => rng.random_range(lo_c..=hi_c),
            (false, true) => rng.random_range(lo_c..hi_c),
            (false, false) => lo_c,
        };
        return RawValue::Percent(Decimal::new(c, 2).normalize());
    }
    for _ in 0..20 {
        let den = rng.random_range(20..2_000_i64);
        let d = Decimal::from(den);
        let lo_n = (lo * d / hundred).ceil().to_i64().unwrap_or(0);
        let hi_n = if top {
            den
        } else {
            (hi * d / hundred).ceil().to_i64().unwrap_or(0) - 1
        };
        if lo_n <= hi_n {
            let num = rng.random_range(lo_n..=hi_n);
            return RawValue::Ratio {
                num: Decimal::from(num),
                den: d,
            };
        }
    }
    RawValue::Percent(lo.normalize())
}

/// Every leaf of `set`, depth first.
pub(crate) fn leaves(set: &IndexSet) -> Vec<&Node> {
    set.nodes
        .iter()
        .flat_map(Node::walk)
        .filter(|n| n.is_leaf())
        .collect()
}

/// One value per leaf of `set` for a unit of `quality`.
pub(crate) fn unit_values(
    set: &IndexSet,
    quality: i64,
    rng: &mut Stream,
) -> Vec<(NodeCode, RawValue)> {
    leaves(set)
        .into_iter()
        .map(|l| (l.code.clone(), leaf_input(l, quality, rng)))
        .collect()
}

/// A unit's total points and applicable maximum by the rules of domain.md §5 (leaf points
/// summed, bonus added and deductions subtracted outside the maximum, not-applicable leaves
/// excluded from it when so configured). Used only to place one input so that a showcase
/// figure comes out exactly; the published figures always come from the engine.
pub(crate) fn total_and_max(set: &IndexSet, values: &[(NodeCode, RawValue)]) -> (Decimal, Decimal) {
    let mut total = Decimal::ZERO;
    let mut max = Decimal::ZERO;
    for leaf in leaves(set) {
        let Some(method) = &leaf.method else { continue };
        let value = values.iter().find(|(c, _)| *c == leaf.code).map(|(_, v)| v);
        let (points, applicable) = match value {
            Some(v) => match method.score(leaf.max, leaf.source, leaf.not_applicable, v) {
                Ok(o) => (o.points.value(), o.applicable),
                Err(_) => (Decimal::ZERO, true),
            },
            None => (Decimal::ZERO, true),
        };
        total += points;
        if applicable && leaf.source.counts_in_max() {
            max += leaf.max.value();
        }
    }
    (total, max)
}

/// Sets the survey leaf with the largest maximum so that the unit's index is exactly
/// `target` (%); false when no value within the leaf's range achieves it, or when a leaf was
/// declared not applicable (the published figure is then both the points and the index of a
/// 100-point set, as in "89,83 điểm").
pub(crate) fn tune(set: &IndexSet, values: &mut [(NodeCode, RawValue)], target: Decimal) -> bool {
    let Some(leaf) = leaves(set)
        .into_iter()
        .filter(|l| l.source == Source::Survey && l.not_applicable != Some(NaPolicy::Exclude))
        .max_by_key(|l| l.max)
    else {
        return false;
    };
    let Some(slot) = values.iter_mut().find(|(c, _)| *c == leaf.code) else {
        return false;
    };
    slot.1 = RawValue::Points(Decimal::ZERO);
    let (rest, max) = total_and_max(set, values);
    let nominal: Decimal = leaves(set)
        .iter()
        .filter(|l| l.source.counts_in_max())
        .map(|l| l.max.value())
        .sum();
    if max != nominal {
        return false;
    }
    let needed = target * max / Decimal::ONE_HUNDRED - rest;
    if needed < Decimal::ZERO || needed > leaf.max.value() {
        return false;
    }
    let Some(slot) = values.iter_mut().find(|(c, _)| *c == leaf.code) else {
        return false;
    };
    slot.1 = RawValue::Points(needed.normalize());
    true
}
