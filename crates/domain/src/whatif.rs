//! What-if (giả định): what a unit's total, index, class and rank would be had it earned other
//! points on some leaves, every other unit staying as it is. The recomputation is the real
//! engine ([`crate::compute::compute`]) run on the results' own leaf points, so that the answer
//! follows every rule the real results follow (caps, not-applicable leaves, renormalised areas,
//! class bands per group, ties and tie-breakers).

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::compute::{ComputeInput, ScoreError, UnitInput, UnitResult, compute};
use crate::ids::{NodeCode, UnitCode};
use crate::indexset::{IndexSet, NaPolicy, Node, Source};
use crate::method::{Method, RawValue};
use crate::points::Points;

/// A leaf the unit could earn more on: applicable and within the maximum (not a bonus or a
/// deduction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Improvable {
    pub code: NodeCode,
    pub points: Points,
    pub max: Points,
}

impl Improvable {
    /// Points at stake: `max − points`.
    pub fn at_stake(&self) -> Decimal {
        (self.max.0 - self.points.0).max(Decimal::ZERO)
    }
}

/// The leaves of `result` a what-if may change, in tree order.
pub fn improvable(set: &IndexSet, result: &UnitResult) -> Vec<Improvable> {
    let by_code: HashMap<&NodeCode, &crate::compute::LeafScore> =
        result.leaves.iter().map(|l| (&l.code, l)).collect();
    set.leaves()
        .into_iter()
        .filter(|n| n.source.counts_in_max())
        .filter_map(|n| {
            let l = by_code.get(&n.code)?;
            l.applicable.then(|| Improvable {
                code: n.code.clone(),
                points: l.points,
                max: n.max,
            })
        })
        .collect()
}

/// The improvable leaves with the most points at stake first (then tree order), leaves at
/// their maximum left out.
pub fn most_at_stake(set: &IndexSet, result: &UnitResult) -> Vec<Improvable> {
    let mut list: Vec<Improvable> = improvable(set, result)
        .into_iter()
        .filter(|l| l.at_stake() > Decimal::ZERO)
        .collect();
    list.sort_by_key(|l| std::cmp::Reverse(l.at_stake()));
    list
}

/// Why a what-if cannot be computed, naming the leaf at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhatIfError {
    #[error("đơn vị {0} không có trong kết quả")]
    UnknownUnit(UnitCode),
    #[error("tiêu chí {0} không phải tiêu chí có thể giả định điểm")]
    NotImprovable(NodeCode),
    #[error("tiêu chí {leaf}: điểm phải từ 0 đến {max}")]
    OutOfRange { leaf: NodeCode, max: Points },
    #[error("kết quả của đơn vị {0} không khớp bộ chỉ số")]
    SetMismatch(UnitCode),
    #[error("không tính lại được: {0:?}")]
    Score(Vec<ScoreError>),
}

/// The unit's result as it is and as it would be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatIf {
    /// Recomputed from the results unchanged (equal to them for results of the engine).
    pub before: UnitResult,
    /// Recomputed with the hypothetical points.
    pub after: UnitResult,
}

/// The set with every leaf scored from points as the results hold them, so the engine can
/// take each unit's leaf points back as input: a deduction leaf takes what was deducted as a
/// count of one point each, every other leaf its points.
fn points_set(set: &IndexSet) -> IndexSet {
    fn convert(node: &mut Node) {
        if node.is_leaf() {
            node.method = Some(match node.source {
                Source::Deduction => Method::Deduction { per: Decimal::ONE },
                Source::Bonus => Method::Bonus,
                _ => Method::Manual { step: None },
            });
            node.not_applicable = Some(NaPolicy::Exclude);
        }
        for c in &mut node.children {
            convert(c);
        }
    }
    let mut out = set.clone();
    for n in &mut out.nodes {
        convert(n);
    }
    out
}

/// The engine's input that reproduces `r`'s leaves, with `changes` applied: leaves that had
/// no input stay without one (so an area nobody answered stays absent).
fn input_of(
    set: &IndexSet,
    r: &UnitResult,
    changes: &HashMap<&NodeCode, Decimal>,
) -> Result<UnitInput, WhatIfError> {
    let sources: HashMap<&NodeCode, Source> = set
        .leaves()
        .into_iter()
        .map(|n| (&n.code, n.source))
        .collect();
    let mut values = Vec::with_capacity(r.leaves.len());
    for l in &r.leaves {
        let source = *sources
            .get(&l.code)
            .ok_or_else(|| WhatIfError::SetMismatch(r.unit.clone()))?;
        let changed = changes.get(&l.code).copied();
        // A leaf without input and without points stays without input, so that an area
        // nobody had values for stays out of everyone's maximum; results built elsewhere
        // (imports) may carry points without input, and keep them.
        let value = match (changed, &l.input) {
            (Some(p), _) => RawValue::Points(p),
            (None, None) if l.points.0.is_zero() => continue,
            (None, Some(_)) if !l.applicable => RawValue::NotApplicable,
            (None, _) if source == Source::Deduction => RawValue::Count(-l.points.0),
            (None, _) => RawValue::Points(l.points.0),
        };
        values.push((l.code.clone(), value));
    }
    Ok(UnitInput {
        unit: r.unit.clone(),
        name: r.name.clone(),
        group: r.group.clone(),
        ranked: r.ranked,
        values,
    })
}

/// What `unit` would get with `changes` (leaf → hypothetical points, each within
/// `[0, max]` of an [`improvable`] leaf), every unit of `results` (all the units the period
/// scored with `set`) keeping its points. Ranks and classes come out of the engine, among the
/// unit's group as published.
pub fn what_if(
    set: &IndexSet,
    results: &[UnitResult],
    unit: &UnitCode,
    changes: &[(NodeCode, Decimal)],
) -> Result<WhatIf, WhatIfError> {
    let mine = results
        .iter()
        .find(|r| &r.unit == unit)
        .ok_or_else(|| WhatIfError::UnknownUnit(unit.clone()))?;
    let allowed: HashMap<NodeCode, Improvable> = improvable(set, mine)
        .into_iter()
        .map(|l| (l.code.clone(), l))
        .collect();
    let mut wanted: HashMap<&NodeCode, Decimal> = HashMap::new();
    for (code, points) in changes {
        let leaf = allowed
            .get(code)
            .ok_or_else(|| WhatIfError::NotImprovable(code.clone()))?;
        if *points < Decimal::ZERO || *points > leaf.max.0 {
            return Err(WhatIfError::OutOfRange {
                leaf: code.clone(),
                max: leaf.max,
            });
        }
        wanted.insert(code, *points);
    }
    let scored = points_set(set);
    let none = HashMap::new();
    let run = |mine_changes: &HashMap<&NodeCode, Decimal>| -> Result<UnitResult, WhatIfError> {
        let inputs = results
            .iter()
            .map(|r| input_of(set, r, if &r.unit == unit { mine_changes } else { &none }))
            .collect::<Result<Vec<_>, _>>()?;
        let out = compute(ComputeInput {
            set: &scored,
            units: &inputs,
            previous: &[],
            lineage: &[],
        })
        .map_err(WhatIfError::Score)?;
        out.units
            .into_iter()
            .find(|r| &r.unit == unit)
            .ok_or_else(|| WhatIfError::UnknownUnit(unit.clone()))
    };
    Ok(WhatIf {
        before: run(&none)?,
        after: run(&wanted)?,
    })
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;
    use crate::compute::PeriodResults;
    use crate::ids::{GroupName, SetCode};
    use crate::indexset::{ClassScheme, RankingRule};

    fn code(s: &str) -> NodeCode {
        NodeCode::parse(s).unwrap()
    }

    fn unit(s: &str) -> UnitCode {
        UnitCode::parse(s).unwrap()
    }

    fn leaf(c: &str, max: Decimal, source: Source, method: Method) -> Node {
        Node {
            code: code(c),
            title: format!("Tiêu chí {c}"),
            max: Points(max),
            source,
            method: Some(method),
            rule: None,
            evidence: None,
            not_applicable: Some(NaPolicy::Exclude),
            children: vec![],
        }
    }

    fn inner(c: &str, source: Source, children: Vec<Node>) -> Node {
        let max = children
            .iter()
            .filter(|n| !source.counts_in_max() || n.source.counts_in_max())
            .map(|n| n.max)
            .sum();
        Node {
            code: code(c),
            title: format!("Lĩnh vực {c}"),
            max,
            source,
            method: None,
            rule: None,
            evidence: None,
            not_applicable: None,
            children,
        }
    }

    /// Yes/no, count, proportional and manual leaves, a bonus and a deduction block.
    fn set() -> IndexSet {
        IndexSet {
            code: SetCode::parse("S").unwrap(),
            name: "Bộ thử".into(),
            year: 2024,
            decision: None,
            classes: ClassScheme::common_default(),
            ranking: RankingRule::default(),
            renormalise_absent_areas: false,
            nodes: vec![
                inner(
                    "1",
                    Source::Assessed,
                    vec![
                        leaf("1.1", dec!(2), Source::Assessed, Method::YesNo),
                        leaf(
                            "1.2",
                            dec!(3),
                            Source::Assessed,
                            Method::Count {
                                per: dec!(0.5),
                                cap: None,
                            },
                        ),
                    ],
                ),
                inner(
                    "2",
                    Source::Data,
                    vec![
                        leaf("2.1", dec!(5), Source::Data, Method::Proportional),
                        leaf(
                            "2.2",
                            dec!(10),
                            Source::Assessed,
                            Method::Manual {
                                step: Some(dec!(0.25)),
                            },
                        ),
                    ],
                ),
                inner(
                    "3",
                    Source::Bonus,
                    vec![leaf("3.1", dec!(2), Source::Bonus, Method::Bonus)],
                ),
                inner(
                    "4",
                    Source::Deduction,
                    vec![leaf(
                        "4.1",
                        dec!(2),
                        Source::Deduction,
                        Method::Deduction { per: dec!(0.5) },
                    )],
                ),
            ],
        }
    }

    fn input(
        u: &str,
        yes: bool,
        count: i64,
        num: i64,
        manual: Decimal,
        bonus: Decimal,
        violations: i64,
    ) -> UnitInput {
        UnitInput {
            unit: unit(u),
            name: u.into(),
            group: GroupName::parse("Huyện").unwrap(),
            ranked: true,
            values: vec![
                (
                    code("1.1"),
                    if yes {
                        RawValue::Yes
                    } else {
                        RawValue::NotApplicable
                    },
                ),
                (code("1.2"), RawValue::Count(Decimal::from(count))),
                (
                    code("2.1"),
                    RawValue::Ratio {
                        num: Decimal::from(num),
                        den: dec!(40),
                    },
                ),
                (code("2.2"), RawValue::Points(manual)),
                (code("3.1"), RawValue::Points(bonus)),
                (code("4.1"), RawValue::Count(Decimal::from(violations))),
            ],
        }
    }

    fn computed(inputs: &[UnitInput]) -> PeriodResults {
        let set = set();
        compute(ComputeInput {
            set: &set,
            units: inputs,
            previous: &[],
            lineage: &[],
        })
        .unwrap()
    }

    fn province() -> PeriodResults {
        computed(&[
            input("A", true, 3, 37, dec!(7.5), dec!(1), 1),
            input("B", false, 6, 40, dec!(9), dec!(0), 0),
            input("C", true, 1, 30, dec!(6.25), dec!(2), 3),
        ])
    }

    #[test]
    fn a_what_if_without_changes_gives_the_real_result() {
        let r = province();
        for u in &r.units {
            let w = what_if(&set(), &r.units, &u.unit, &[]).unwrap();
            for got in [&w.before, &w.after] {
                assert_eq!(got.total, u.total);
                assert_eq!(got.max, u.max);
                assert_eq!(got.index, u.index);
                assert_eq!(got.class, u.class);
                assert_eq!(got.rank, u.rank);
                assert_eq!(got.nodes, u.nodes);
            }
        }
    }

    #[test]
    fn full_points_on_a_leaf_raise_the_index_and_can_change_the_rank() {
        let r = province();
        let c = unit("C");
        let before = r.units.iter().find(|u| u.unit == c).unwrap();
        let w = what_if(
            &set(),
            &r.units,
            &c,
            &[(code("2.2"), dec!(10)), (code("2.1"), dec!(5))],
        )
        .unwrap();
        assert_eq!(
            w.after.total.0 - before.total.0,
            dec!(10) - dec!(6.25) + dec!(5) - before.leaves[2].points.0
        );
        assert!(w.after.index > before.index);
        assert!(w.after.rank <= before.rank);
    }

    #[test]
    fn points_outside_zero_to_the_maximum_are_refused_naming_the_leaf() {
        let r = province();
        let a = unit("A");
        assert_eq!(
            what_if(&set(), &r.units, &a, &[(code("1.2"), dec!(3.01))]),
            Err(WhatIfError::OutOfRange {
                leaf: code("1.2"),
                max: Points(dec!(3))
            })
        );
        assert!(matches!(
            what_if(&set(), &r.units, &a, &[(code("1.2"), dec!(-1))]),
            Err(WhatIfError::OutOfRange { .. })
        ));
        assert_eq!(
            what_if(&set(), &r.units, &a, &[(code("4.1"), dec!(0))]),
            Err(WhatIfError::NotImprovable(code("4.1")))
        );
        // B declared 1.1 not applicable: nothing to improve there.
        assert_eq!(
            what_if(&set(), &r.units, &unit("B"), &[(code("1.1"), dec!(2))]),
            Err(WhatIfError::NotImprovable(code("1.1")))
        );
        assert!(matches!(
            what_if(&set(), &r.units, &unit("Z"), &[]),
            Err(WhatIfError::UnknownUnit(_))
        ));
    }

    #[test]
    fn the_most_points_at_stake_come_first() {
        let r = province();
        let c = r.units.iter().find(|u| u.unit.as_str() == "C").unwrap();
        let list = most_at_stake(&set(), c);
        assert_eq!(list[0].code.as_str(), "2.2");
        assert_eq!(list[0].at_stake(), dec!(3.75));
        assert!(list.windows(2).all(|w| w[0].at_stake() >= w[1].at_stake()));
        assert!(
            list.iter()
                .all(|l| l.code.as_str() != "3.1" && l.code.as_str() != "4.1")
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        fn arb_unit(name: &'static str) -> impl Strategy<Value = UnitInput> {
            (
                any::<bool>(),
                0i64..8,
                0i64..=40,
                0i64..=40,
                0i64..=8,
                0i64..6,
            )
                .prop_map(move |(yes, count, num, quarters, bonus, v)| {
                    input(
                        name,
                        yes,
                        count,
                        num,
                        Decimal::new(quarters * 25, 2),
                        Decimal::new(bonus * 25, 2),
                        v,
                    )
                })
        }

        proptest! {
            /// Whatever the unit changes to, taking a leaf higher never lowers its total,
            /// and leaving every leaf as it is gives the real result.
            #[test]
            fn improving_a_leaf_never_lowers_the_total(
                a in arb_unit("A"), b in arb_unit("B"), c in arb_unit("C"),
                pick in 0usize..4, raise in 0i64..=1000,
            ) {
                let r = computed(&[a, b, c]);
                let s = set();
                let me = &r.units[0];
                let same = what_if(&s, &r.units, &me.unit, &[]).unwrap();
                prop_assert_eq!(&same.after.total, &me.total);
                prop_assert_eq!(&same.after.rank, &me.rank);
                prop_assert_eq!(&same.after.class, &me.class);
                let leaves = improvable(&s, me);
                prop_assume!(!leaves.is_empty());
                let leaf = &leaves[pick % leaves.len()];
                let room = leaf.at_stake();
                let higher = leaf.points.0 + room * Decimal::new(raise, 3);
                let w = what_if(&s, &r.units, &me.unit, &[(leaf.code.clone(), higher)]).unwrap();
                prop_assert!(w.after.total.0 >= me.total.0);
                prop_assert!(w.after.index >= me.index);
                prop_assert_eq!(w.after.total.0 - me.total.0, higher - leaf.points.0);
                if let (Some(now), Some(then)) = (w.after.rank, me.rank) {
                    prop_assert!(now <= then);
                }
            }
        }
    }
}
