//! Properties of the computation that must hold for any set and any inputs (domain.md §5).

use std::collections::BTreeMap;

use chiso_domain::fmt::vi_decimal;
use chiso_domain::points::parse_decimal;
use chiso_domain::{
    AreasWithValues, ClassScheme, ComputeInput, GroupName, IndexSet, Method, NaPolicy, Node,
    NodeCode, PeriodResults, Points, RankingRule, RawValue, ScoreError, SetCode, Source,
    TieBreaker, UnitCode, UnitInput, compute, compute_part,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// One leaf as generated: max in hundredths, its source and its not-applicable policy.
#[derive(Debug, Clone)]
struct LeafSpec {
    max_cents: i64,
    survey: bool,
    na: Option<NaPolicy>,
}

/// A unit's answer for one leaf: nothing, not applicable, or this many thousandths of max.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Missing,
    NotApplicable,
    Permille(i64),
}

#[derive(Debug, Clone)]
struct Case {
    areas: Vec<Vec<LeafSpec>>,
    renormalise: bool,
    tie_breakers: Vec<TieBreaker>,
    /// Per unit: group number, ranked, one answer per leaf.
    units: Vec<(u8, bool, Vec<Answer>)>,
    /// Drives the reordering of units and values.
    seed: u64,
}

fn leaf_spec() -> impl Strategy<Value = LeafSpec> {
    (
        1i64..=2000,
        any::<bool>(),
        prop_oneof![
            Just(None),
            Just(Some(NaPolicy::Exclude)),
            Just(Some(NaPolicy::FullPoints))
        ],
    )
        .prop_map(|(max_cents, survey, na)| LeafSpec {
            max_cents,
            survey,
            na,
        })
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        1 => Just(Answer::Missing),
        1 => Just(Answer::NotApplicable),
        6 => (0i64..=1000).prop_map(Answer::Permille),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let areas = prop::collection::vec(prop::collection::vec(leaf_spec(), 1..=4), 1..=3);
    let tie_breakers = prop::collection::vec(
        prop_oneof![
            Just(TieBreaker::SourcePoints(Source::Assessed)),
            Just(TieBreaker::SourcePoints(Source::Survey)),
            Just(TieBreaker::NodePoints(NodeCode::parse("1").unwrap())),
        ],
        0..=2,
    );
    (
        areas,
        any::<bool>(),
        tie_breakers,
        1usize..=12,
        any::<u64>(),
    )
        .prop_flat_map(|(areas, renormalise, tie_breakers, n_units, seed)| {
            let n_leaves: usize = areas.iter().map(Vec::len).sum();
            let unit = (
                0u8..3,
                prop::bool::weighted(0.85),
                prop::collection::vec(answer(), n_leaves),
            );
            prop::collection::vec(unit, n_units).prop_map(move |units| Case {
                areas: areas.clone(),
                renormalise,
                tie_breakers: tie_breakers.clone(),
                units,
                seed,
            })
        })
}

fn build_set(case: &Case) -> IndexSet {
    let nodes = case
        .areas
        .iter()
        .enumerate()
        .map(|(a, leaves)| {
            let children: Vec<Node> = leaves
                .iter()
                .enumerate()
                .map(|(l, spec)| Node {
                    code: NodeCode::parse(&format!("{}.{}", a + 1, l + 1)).unwrap(),
                    title: String::new(),
                    max: Points(Decimal::new(spec.max_cents, 2)),
                    source: if spec.survey {
                        Source::Survey
                    } else {
                        Source::Assessed
                    },
                    method: Some(if spec.survey {
                        Method::Survey
                    } else {
                        Method::Manual { step: None }
                    }),
                    rule: None,
                    evidence: None,
                    not_applicable: spec.na,
                    children: vec![],
                })
                .collect();
            Node {
                code: NodeCode::parse(&(a + 1).to_string()).unwrap(),
                title: String::new(),
                max: children.iter().map(|c| c.max).sum(),
                source: Source::Assessed,
                method: None,
                rule: None,
                evidence: None,
                not_applicable: None,
                children,
            }
        })
        .collect();
    let set = IndexSet {
        code: SetCode::parse("PROP").unwrap(),
        name: String::new(),
        year: 2024,
        decision: None,
        classes: ClassScheme::common_default(),
        ranking: RankingRule {
            tie_breakers: case.tie_breakers.clone(),
        },
        renormalise_absent_areas: case.renormalise,
        nodes,
    };
    assert_eq!(set.validate(), Ok(()));
    set
}

fn build_units(case: &Case, set: &IndexSet) -> Vec<UnitInput> {
    let leaves = set.leaves();
    case.units
        .iter()
        .enumerate()
        .map(|(i, (g, ranked, answers))| UnitInput {
            unit: UnitCode::parse(&format!("U{i:02}")).unwrap(),
            name: format!("Đơn vị {i}"),
            group: GroupName::parse(&format!("Nhóm {g}")).unwrap(),
            ranked: *ranked,
            values: leaves
                .iter()
                .zip(answers)
                .filter_map(|(leaf, a)| {
                    let v = match *a {
                        Answer::Missing => return None,
                        // Only where the leaf accepts it, so every case computes.
                        Answer::NotApplicable if leaf.not_applicable.is_some() => {
                            RawValue::NotApplicable
                        }
                        Answer::NotApplicable => return None,
                        Answer::Permille(p) => RawValue::Points(leaf.max.0 * Decimal::new(p, 3)),
                    };
                    Some((leaf.code.clone(), v))
                })
                .collect(),
        })
        .collect()
}

fn run(set: &IndexSet, units: &[UnitInput]) -> Result<PeriodResults, Vec<ScoreError>> {
    compute(ComputeInput {
        set,
        units,
        previous: &[],
        lineage: &[],
    })
}

/// A reproducible shuffle (Fisher–Yates driven by a small linear congruential generator).
fn shuffle<T>(items: &mut [T], seed: &mut u64) {
    for i in (1..items.len()).rev() {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = ((*seed >> 33) % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

fn published(d: Decimal) -> Decimal {
    Points(d).rounded()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn the_index_stays_between_0_and_100_without_bonus(case in case()) {
        let set = build_set(&case);
        let res = run(&set, &build_units(&case, &set)).unwrap();
        for r in &res.units {
            prop_assert!(r.index >= Decimal::ZERO && r.index <= Decimal::ONE_HUNDRED, "{}", r.index);
            prop_assert!(r.max <= set.total_max());
            for n in &r.nodes {
                if let Some(i) = n.index() {
                    prop_assert!(i >= Decimal::ZERO && i <= Decimal::ONE_HUNDRED);
                }
            }
        }
    }

    #[test]
    fn computing_group_by_group_with_the_sets_areas_gives_the_results_of_computing_all_at_once(
        case in case()
    ) {
        let set = build_set(&case);
        let units = build_units(&case, &set);
        let whole = run(&set, &units).unwrap();
        let areas = AreasWithValues::of_leaves(
            &set,
            units.iter().flat_map(|u| u.values.iter().map(|(code, _)| code)),
        );
        let mut by_group: BTreeMap<&GroupName, Vec<UnitInput>> = BTreeMap::new();
        for u in &units {
            by_group.entry(&u.group).or_default().push(u.clone());
        }
        let mut parts = PeriodResults::default();
        for members in by_group.values() {
            let part = compute_part(
                ComputeInput { set: &set, units: members, previous: &[], lineage: &[] },
                &areas,
            )
            .unwrap();
            parts = parts.merge(part).unwrap();
        }
        prop_assert_eq!(parts, whole);
    }

    #[test]
    fn results_do_not_depend_on_the_order_of_units_or_values(case in case()) {
        let set = build_set(&case);
        let units = build_units(&case, &set);
        let mut shuffled = units.clone();
        let mut seed = case.seed;
        shuffle(&mut shuffled, &mut seed);
        for u in &mut shuffled {
            shuffle(&mut u.values, &mut seed);
        }
        prop_assert_eq!(run(&set, &units).unwrap(), run(&set, &shuffled).unwrap());
    }

    #[test]
    fn ranks_follow_published_indexes(case in case()) {
        let set = build_set(&case);
        let res = run(&set, &build_units(&case, &set)).unwrap();
        let mut groups: BTreeMap<&GroupName, Vec<(Decimal, u32)>> = BTreeMap::new();
        for r in &res.units {
            prop_assert_eq!(r.rank.is_some(), r.ranked);
            if let Some(rank) = r.rank {
                groups.entry(&r.group).or_default().push((published(r.index), rank));
            }
        }
        for members in groups.values() {
            for &(ia, ra) in members {
                prop_assert!(ra >= 1 && ra as usize <= members.len());
                let better = members.iter().filter(|(ib, _)| *ib > ia).count() as u32;
                if set.ranking.tie_breakers.is_empty() {
                    prop_assert_eq!(ra, better + 1, "competition ranking");
                } else {
                    prop_assert!(ra > better);
                }
                for &(ib, rb) in members {
                    if ia > ib {
                        prop_assert!(ra < rb);
                    }
                }
            }
        }
    }

    #[test]
    fn rounded_area_points_add_up_to_the_rounded_total_within_a_hundredth_each(case in case()) {
        let set = build_set(&case);
        let res = run(&set, &build_units(&case, &set)).unwrap();
        let areas: Vec<&str> = set.nodes.iter().map(|n| n.code.as_str()).collect();
        for r in &res.units {
            let parts: Vec<Decimal> = r
                .nodes
                .iter()
                .filter(|n| areas.contains(&n.code.as_str()))
                .map(|n| n.points.0)
                .collect();
            prop_assert_eq!(parts.iter().copied().sum::<Decimal>(), r.total.0, "exact before rounding");
            let rounded: Decimal = parts.iter().map(|p| published(*p)).sum();
            let n = Decimal::from(parts.len());
            prop_assert!((rounded - published(r.total.0)).abs() <= Decimal::new(1, 2) * n);
        }
    }

    #[test]
    fn the_same_values_give_the_same_results(case in case()) {
        let set = build_set(&case);
        let units = build_units(&case, &set);
        let once = run(&set, &units).unwrap();
        prop_assert_eq!(&once, &run(&set, &units).unwrap());

        // Every value entered twice is refused, one error per repeated value …
        let mut twice = units.clone();
        for u in &mut twice {
            let again = u.values.clone();
            u.values.extend(again);
        }
        let repeated: usize = units.iter().map(|u| u.values.len()).sum();
        match run(&set, &twice) {
            Err(errors) => prop_assert_eq!(errors.len(), repeated),
            Ok(_) => prop_assert_eq!(repeated, 0),
        }
        // … and keeping the last of each gives back the same results.
        for u in &mut twice {
            let mut last: BTreeMap<NodeCode, RawValue> = BTreeMap::new();
            for (c, v) in u.values.drain(..) {
                last.insert(c, v);
            }
            u.values = last.into_iter().collect();
        }
        prop_assert_eq!(once, run(&set, &twice).unwrap());
    }

    #[test]
    fn vietnamese_numbers_read_back_as_written(cents in -1_000_000_000_000i64..1_000_000_000_000) {
        let d = Decimal::new(cents, 2);
        prop_assert_eq!(parse_decimal(&vi_decimal(d, 2)), Some(d));
    }
}
