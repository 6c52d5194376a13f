//! Synthetic national-scale data for benchmarks and load tests: one index set of any number of
//! leaves under the eight usual areas, and any number of units spread over groups named after
//! the 34 provinces (120 units each, as a national commune-level assessment would have), with
//! raw inputs and the results of two previous periods for deltas and streaks.

use chiso_domain::{
    ClassScheme, ComputeInput, GroupName, IndexSet, Membership, Method, NaPolicy, Node, NodeCode,
    Points, PreviousResult, RankingRule, SetCode, Source, Tier, TierBasis, Unit, UnitCode,
    UnitInput, UnitKind, compute,
};
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use time::{Date, Month};

use crate::inputs::{Stream, unit_values};
use crate::names::PROVINCES;
use crate::previous_results;

/// Units per group, as in "34 provinces × 120 units".
pub const UNITS_PER_GROUP: usize = 120;

/// Synthetic benchmark data, deterministic from its seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Synthetic {
    /// The one set every unit is scored with.
    pub set: IndexSet,
    /// Units `DV00001`…, named after their province.
    pub units: Vec<Unit>,
    /// Each unit's group (`Cấp xã - <province>`) and whether it is ranked.
    pub members: Vec<Membership>,
    /// Raw inputs of the current period, one value per leaf and unit.
    pub inputs: Vec<UnitInput>,
    /// Results of the two previous periods, oldest first, as the engine computed them from
    /// their own generated inputs; the last one feeds the current period's comparison.
    pub previous: Vec<Vec<PreviousResult>>,
}

const AREAS: [&str; 8] = [
    "Công tác chỉ đạo, điều hành CCHC",
    "Cải cách thể chế",
    "Cải cách thủ tục hành chính",
    "Cải cách tổ chức bộ máy hành chính",
    "Cải cách chế độ công vụ",
    "Cải cách tài chính công",
    "Xây dựng chính quyền điện tử, chính quyền số",
    "Tác động của CCHC đến phát triển kinh tế - xã hội",
];

fn code(parts: &[usize]) -> NodeCode {
    let s: Vec<String> = parts.iter().map(ToString::to_string).collect();
    NodeCode::parse(&s.join(".")).expect("numeric node codes")
}

/// One synthetic leaf; the method cycles through the common ones so every scoring path is
/// exercised in proportion.
fn synthetic_leaf(code: NodeCode, n: usize, rng: &mut Stream) -> Node {
    const MAXIMA: [i64; 5] = [5, 10, 15, 20, 30];
    let max = Decimal::new(MAXIMA[rng.random_range(0..MAXIMA.len())], 1).normalize();
    let share = |permille: i64| (max * Decimal::from(permille) / Decimal::from(1000)).normalize();
    let tier = |min: i64, points: Decimal| Tier {
        min: Decimal::from(min),
        below: None,
        points,
    };
    let deadline = Date::from_calendar_date(2025, Month::December, 10).expect("valid date");
    let (title, source, method, na) = match n % 9 {
        0 => (
            "Ban hành văn bản đúng quy định",
            Source::Assessed,
            Method::YesNo,
            None,
        ),
        1 => (
            "Số sáng kiến, phương án được thông qua",
            Source::Assessed,
            Method::Count {
                per: Decimal::new(5, 1),
                cap: None,
            },
            None,
        ),
        2 => (
            "Tỷ lệ hồ sơ giải quyết đúng hạn",
            Source::Data,
            Method::Tiers {
                basis: TierBasis::Percent,
                tiers: vec![
                    tier(100, max),
                    tier(95, share(750)),
                    tier(90, share(500)),
                    tier(0, Decimal::ZERO),
                ],
            },
            None,
        ),
        3 => (
            "Tỷ lệ hoàn thành kế hoạch",
            Source::Data,
            Method::Proportional,
            Some(NaPolicy::Exclude),
        ),
        4 => (
            "Mức độ hoàn thành nhiệm vụ",
            Source::Assessed,
            Method::Graded {
                grades: Method::default_grades(),
            },
            None,
        ),
        5 => (
            "Vi phạm quy định",
            Source::Assessed,
            Method::Deduction {
                per: Decimal::new(25, 2),
            },
            None,
        ),
        6 => (
            "Chất lượng thực hiện nhiệm vụ",
            Source::Assessed,
            Method::Manual {
                step: Some(Decimal::new(25, 2)),
            },
            None,
        ),
        7 => (
            "Đánh giá của người dân, tổ chức",
            Source::Survey,
            Method::Survey,
            None,
        ),
        _ => (
            "Gửi báo cáo đúng hạn",
            Source::Assessed,
            Method::Tiers {
                basis: TierBasis::DaysLate { deadline },
                tiers: vec![tier(0, max), tier(1, share(500)), tier(11, Decimal::ZERO)],
            },
            None,
        ),
    };
    Node {
        code,
        title: format!("{title} (tiêu chí tổng hợp {})", n + 1),
        max: Points(max),
        source,
        method: Some(method),
        rule: Some("Cách tính điểm theo phương pháp của tiêu chí (dữ liệu tổng hợp).".to_owned()),
        evidence: Some("Không yêu cầu (dữ liệu tổng hợp).".to_owned()),
        not_applicable: na,
        children: Vec::new(),
    }
}

fn inner(code: NodeCode, title: String, children: Vec<Node>) -> Node {
    Node {
        code,
        title,
        max: children.iter().map(|c| c.max).sum(),
        source: Source::Assessed,
        method: None,
        rule: None,
        evidence: None,
        not_applicable: None,
        children,
    }
}

/// A set of `leaves` leaves (at least 1) under the eight areas, in criteria of up to three
/// sub-criteria.
fn synthetic_set(leaves: usize, rng: &mut Stream) -> IndexSet {
    let leaves = leaves.max(1);
    let mut nodes = Vec::new();
    let mut n = 0;
    for (a, title) in AREAS.iter().enumerate() {
        let count = leaves / AREAS.len() + usize::from(a < leaves % AREAS.len());
        if count == 0 {
            continue;
        }
        let area_no = nodes.len() + 1;
        let mut criteria = Vec::new();
        let mut left = count;
        while left > 0 {
            let c = criteria.len() + 1;
            let take = left.min(3);
            if take == 1 {
                criteria.push(synthetic_leaf(code(&[area_no, c]), n, rng));
                n += 1;
            } else {
                let subs = (1..=take)
                    .map(|l| {
                        let leaf = synthetic_leaf(code(&[area_no, c, l]), n, rng);
                        n += 1;
                        leaf
                    })
                    .collect();
                criteria.push(inner(
                    code(&[area_no, c]),
                    format!("Tiêu chí {area_no}.{c}"),
                    subs,
                ));
            }
            left -= take;
        }
        nodes.push(inner(code(&[area_no]), (*title).to_owned(), criteria));
    }
    IndexSet {
        code: SetCode::parse("TONG-HOP").expect("valid set code"),
        name: format!("Bộ chỉ số tổng hợp {leaves} tiêu chí (dữ liệu mẫu để đo hiệu năng)"),
        year: 2025,
        decision: None,
        classes: ClassScheme::common_default(),
        ranking: RankingRule::default(),
        renormalise_absent_areas: false,
        nodes,
    }
}

/// `units` units × `leaves` leaves of synthetic data, deterministic from `seed`. Units are
/// spread evenly over `ceil(units / 120)` groups (at most 34, one per province). One unit in
/// 200 is assessed but not ranked.
///
/// # Panics
/// If the engine refuses the generated inputs of a previous period, which would be a bug of
/// this generator.
pub fn synthetic(units: usize, leaves: usize, seed: u64) -> Synthetic {
    let mut rng = Stream::seed_from_u64(seed);
    let set = synthetic_set(leaves, &mut rng);
    let groups = units.div_ceil(UNITS_PER_GROUP).clamp(1, PROVINCES.len());
    let mut unit_list = Vec::with_capacity(units);
    let mut members = Vec::with_capacity(units);
    let mut quality = Vec::with_capacity(units);
    for i in 0..units {
        let province = PROVINCES[i * groups / units.max(1)];
        let code = UnitCode::parse(&format!("DV{:05}", i + 1)).expect("valid unit code");
        unit_list.push(Unit {
            code: code.clone(),
            name: format!("Đơn vị tổng hợp {:05} ({province})", i + 1),
            kind: UnitKind::Commune,
            parent: None,
            valid_from: None,
            valid_to: None,
        });
        members.push(Membership {
            unit: code,
            group: GroupName::parse(&format!("Cấp xã - {province}")).expect("valid group"),
            ranked: i % 200 != 199,
        });
        quality.push(rng.random_range(450..=990_i64));
    }
    let mut period = |rng: &mut Stream, drift: bool| -> Vec<UnitInput> {
        unit_list
            .iter()
            .zip(&members)
            .zip(quality.iter_mut())
            .map(|((u, m), q)| {
                if drift {
                    *q = (*q + rng.random_range(-40..=40)).clamp(300, 995);
                }
                let mut unit_rng = Stream::seed_from_u64(rng.random());
                UnitInput {
                    unit: u.code.clone(),
                    name: u.name.clone(),
                    group: m.group.clone(),
                    ranked: m.ranked,
                    values: unit_values(&set, *q, &mut unit_rng),
                }
            })
            .collect()
    };
    let older = period(&mut rng, false);
    let old = period(&mut rng, true);
    let inputs = period(&mut rng, true);
    let run = |units: &[UnitInput], previous: &[PreviousResult]| {
        let results = compute(ComputeInput {
            set: &set,
            units,
            previous,
            lineage: &[],
        })
        .unwrap_or_else(|e| panic!("synthetic inputs refused by the engine: {e:?}"));
        previous_results(&results)
    };
    let first = run(&older, &[]);
    let second = run(&old, &first);
    Synthetic {
        set,
        units: unit_list,
        members,
        inputs,
        previous: vec![first, second],
    }
}
