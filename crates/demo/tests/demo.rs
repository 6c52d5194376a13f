//! The demo province computed by the engine reproduces the shapes of the real figures of
//! domain.md §1, across the 2025 reorganisation; the synthetic data is what benchmarks expect.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use chiso_demo::{DemoProvince, previous_results, province, synthetic};
use chiso_domain::points::round_display;
use chiso_domain::{
    ComputeInput, Method, NaPolicy, Node, PeriodResults, Source, TierBasis, UnitKind, UnitResult,
    compute,
};
use rust_decimal_macros::dec;
use time::macros::date;

fn demo() -> &'static DemoProvince {
    static DEMO: OnceLock<DemoProvince> = OnceLock::new();
    DEMO.get_or_init(province)
}

/// Every period computed in order, each group with its own set, each against the period
/// before through the demo's lineage.
fn results() -> &'static [PeriodResults] {
    static RESULTS: OnceLock<Vec<PeriodResults>> = OnceLock::new();
    RESULTS.get_or_init(|| {
        let p = demo();
        let mut all: Vec<PeriodResults> = Vec::new();
        for period in &p.periods {
            let previous = all.last().map(previous_results).unwrap_or_default();
            let mut merged = PeriodResults::default();
            for (group, code) in &period.groups {
                let set = p.set(code).expect("the period's set exists");
                let units: Vec<_> = period
                    .inputs
                    .iter()
                    .filter(|u| &u.group == group)
                    .cloned()
                    .collect();
                let r = compute(ComputeInput {
                    set,
                    units: &units,
                    previous: &previous,
                    lineage: &p.lineage,
                })
                .unwrap_or_else(|e| panic!("{} {group}: {e:?}", period.code));
                merged = merged.merge(r).expect("groups are disjoint");
            }
            all.push(merged);
        }
        all
    })
}

fn year(y: i32) -> &'static PeriodResults {
    let i = demo()
        .periods
        .iter()
        .position(|p| p.year == y)
        .expect("period exists");
    &results()[i]
}

fn unit<'a>(r: &'a PeriodResults, code: &str) -> &'a UnitResult {
    r.units
        .iter()
        .find(|u| u.unit.as_str() == code)
        .unwrap_or_else(|| panic!("{code}"))
}

fn group<'a>(r: &'a PeriodResults, name: &str) -> Vec<&'a UnitResult> {
    r.units
        .iter()
        .filter(|u| u.group.as_str() == name)
        .collect()
}

#[test]
fn every_demo_set_passes_validation() {
    for set in &demo().sets {
        assert_eq!(set.validate(), Ok(()), "{}", set.code);
    }
}

#[test]
fn the_demo_is_the_same_on_every_call() {
    assert_eq!(province(), *demo());
}

#[test]
fn the_library_helper_computes_what_the_engine_computes_group_by_group() {
    assert_eq!(demo().compute_all().expect("demo computes"), results());
}

#[test]
fn every_input_names_a_known_unit_and_unit_codes_are_unique() {
    let p = demo();
    let codes: BTreeSet<&str> = p.units.iter().map(|u| u.code.as_str()).collect();
    assert_eq!(codes.len(), p.units.len());
    for period in &p.periods {
        assert_eq!(period.members.len(), period.inputs.len());
        for (m, i) in period.members.iter().zip(&period.inputs) {
            assert_eq!((&m.unit, &m.group, m.ranked), (&i.unit, &i.group, i.ranked));
            assert!(codes.contains(m.unit.as_str()), "{}", m.unit);
        }
    }
    let count = |kind: UnitKind| {
        p.units
            .iter()
            .filter(|u| u.kind == kind && u.valid_from.is_none())
            .count()
    };
    assert_eq!(count(UnitKind::District), 7);
    let communes = count(UnitKind::Commune) + count(UnitKind::Ward) + count(UnitKind::Township);
    assert_eq!(communes, 60);
    assert_eq!(
        p.period("2024")
            .expect("2024")
            .members
            .iter()
            .filter(|m| m.group.as_str() == "Sở, ban, ngành")
            .count(),
        16
    );
    assert!(p.units.iter().any(|u| u.name.starts_with("Xã Đ")));
    assert!(p.units.iter().any(|u| u.name.starts_with("Xã D")));
}

#[test]
fn huyen_tan_khe_scores_89_83_class_tot_rank_5_of_7_in_2024() {
    let r = unit(year(2024), "H-TAN-KHE");
    assert_eq!(r.total.value(), dec!(89.83));
    assert_eq!(round_display(r.index), dec!(89.83));
    assert_eq!(r.class.as_deref(), Some("Tốt"));
    assert_eq!((r.rank, r.group_size), (Some(5), 7));
}

#[test]
fn among_the_seven_communes_of_tan_khe_three_improve_and_four_fall_in_2024() {
    let p = demo();
    let tan_khe: Vec<&str> = p
        .units
        .iter()
        .filter(|u| u.parent.as_ref().is_some_and(|d| d.as_str() == "H-TAN-KHE"))
        .map(|u| u.code.as_str())
        .collect();
    assert_eq!(tan_khe.len(), 7);
    let deltas: Vec<_> = tan_khe
        .iter()
        .map(|c| unit(year(2024), c).delta_index.expect("compared"))
        .collect();
    assert_eq!(
        deltas
            .iter()
            .filter(|d| d.is_sign_positive() && !d.is_zero())
            .count(),
        3
    );
    assert_eq!(deltas.iter().filter(|d| d.is_sign_negative()).count(), 4);
}

#[test]
fn the_city_leads_the_districts_every_year_and_reaches_a_streak_of_three_in_2024() {
    for (y, streak) in [(2022, 1), (2023, 2), (2024, 3)] {
        let r = unit(year(y), "TP-NGOC-LAM");
        assert_eq!(r.rank, Some(1), "{y}");
        assert_eq!(r.streak, streak, "{y}");
    }
    let r = unit(year(2024), "TP-NGOC-LAM");
    assert_eq!(round_display(r.index), dec!(96.89));
    assert_eq!(r.class.as_deref(), Some("Xuất sắc"));
    assert_eq!(r.delta_index, Some(dec!(0.21)));
    assert_eq!(
        round_display(unit(year(2023), "TP-NGOC-LAM").index),
        dec!(96.68)
    );
}

#[test]
fn thirteen_of_the_citys_fourteen_wards_are_xuat_sac_and_one_tot_in_2024() {
    let p = demo();
    let classes: Vec<Option<&str>> = year(2024)
        .units
        .iter()
        .filter(|u| {
            p.unit(u.unit.as_str())
                .and_then(|x| x.parent.as_ref())
                .is_some_and(|d| d.as_str() == "TP-NGOC-LAM")
        })
        .map(|u| u.class.as_deref())
        .collect();
    assert_eq!(classes.len(), 14);
    assert_eq!(
        classes.iter().filter(|c| **c == Some("Xuất sắc")).count(),
        13
    );
    assert_eq!(classes.iter().filter(|c| **c == Some("Tốt")).count(), 1);
}

#[test]
fn communes_both_improve_and_decline_year_over_year() {
    for y in [2023, 2024] {
        let stats = year(y)
            .groups
            .iter()
            .find(|g| g.group.as_str() == "UBND cấp xã")
            .expect("commune group");
        assert!(stats.improved > 0 && stats.declined > 0, "{y}: {stats:?}");
        assert_eq!(stats.improved + stats.declined + stats.unchanged, 60);
    }
}

#[test]
fn classes_spread_from_xuat_sac_to_yeu() {
    let mut seen = BTreeSet::new();
    for r in results() {
        for u in &r.units {
            seen.extend(u.class.clone());
        }
    }
    for class in ["Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu"] {
        assert!(seen.contains(class), "{class} missing: {seen:?}");
    }
}

#[test]
fn districts_had_a_stricter_top_band_in_2023() {
    let set = demo()
        .sets
        .iter()
        .find(|s| s.code.as_str() == "HUYEN-2023")
        .expect("set");
    let g = chiso_domain::GroupName::parse("UBND cấp huyện").expect("group");
    assert_eq!(set.classes.bands_for(&g)[0].min, dec!(95));
    for u in group(year(2023), "UBND cấp huyện") {
        if round_display(u.index) < dec!(95) {
            assert_ne!(u.class.as_deref(), Some("Xuất sắc"), "{}", u.name);
        }
    }
}

#[test]
fn the_industrial_zones_board_is_assessed_but_not_ranked_until_2024() {
    for (y, ranked) in [(2022, false), (2023, false), (2024, true)] {
        let r = unit(year(y), "BQLKCN");
        assert_eq!(r.rank.is_some(), ranked, "{y}");
        assert!(r.index > dec!(0));
    }
    let special = unit(year(2025), "DK-HON-MAY");
    assert_eq!(special.rank, None);
}

#[test]
fn in_2025_there_are_no_districts_and_every_commune_descends_from_merged_predecessors() {
    let p = demo();
    let y2025 = p.period("2025").expect("2025");
    assert!(
        y2025
            .groups
            .iter()
            .all(|(g, _)| g.as_str() != "UBND cấp huyện")
    );
    let reorg = date!(2025 - 07 - 01);
    for m in &y2025.members {
        let u = p.unit(m.unit.as_str()).expect("unit");
        assert_ne!(u.kind, UnitKind::District);
        if m.group.as_str() == "UBND cấp xã" {
            assert_eq!(u.valid_from, Some(reorg), "{}", u.name);
            let preds: Vec<_> = p.lineage.iter().filter(|l| l.successor == u.code).collect();
            assert!(
                (2..=3).contains(&preds.len()),
                "{}: {} predecessors",
                u.name,
                preds.len()
            );
            for l in preds {
                assert_eq!(l.effective, Some(reorg));
                let old = p.unit(l.predecessor.as_str()).expect("predecessor");
                assert_eq!(old.valid_to, Some(date!(2025 - 06 - 30)), "{}", old.name);
            }
        }
    }
    let communes = y2025
        .members
        .iter()
        .filter(|m| m.group.as_str() == "UBND cấp xã")
        .count();
    assert_eq!(communes, 25);
    let merged_depts = p
        .lineage
        .iter()
        .filter(|l| l.effective == Some(date!(2025 - 03 - 01)))
        .count();
    assert_eq!(merged_depts, 10);
}

#[test]
fn results_of_2025_are_compared_with_the_mean_of_the_predecessors() {
    let p = demo();
    let r2024 = year(2024);
    for u in group(year(2025), "UBND cấp xã") {
        let preds: Vec<_> = p.lineage.iter().filter(|l| l.successor == u.unit).collect();
        let mean = preds
            .iter()
            .map(|l| unit(r2024, l.predecessor.as_str()).index)
            .sum::<rust_decimal::Decimal>()
            / rust_decimal::Decimal::from(preds.len());
        let prev = u.previous_index.expect("compared through lineage");
        assert!(
            (prev - mean).abs() < dec!(0.0001),
            "{}: {prev} vs {mean}",
            u.name
        );
    }
}

#[test]
fn the_sets_use_every_scoring_method_with_rules_and_evidence_on_every_leaf() {
    let p = demo();
    for set in &p.sets {
        let leaves: Vec<&Node> = set
            .nodes
            .iter()
            .flat_map(Node::walk)
            .filter(|n| n.is_leaf())
            .collect();
        assert!(
            (30..=48).contains(&leaves.len()),
            "{}: {}",
            set.code,
            leaves.len()
        );
        let mut kinds = BTreeSet::new();
        for l in &leaves {
            assert!(
                l.rule.as_deref().is_some_and(|r| !r.is_empty()),
                "{} {}",
                set.code,
                l.code
            );
            assert!(
                l.evidence.as_deref().is_some_and(|e| !e.is_empty()),
                "{} {}",
                set.code,
                l.code
            );
            let m = l.method.as_ref().expect("leaf method");
            let kind = match m {
                Method::Tiers {
                    basis: TierBasis::Percent,
                    ..
                } => "tiers_percent",
                Method::Tiers {
                    basis: TierBasis::Count,
                    ..
                } => "tiers_count",
                Method::Tiers {
                    basis: TierBasis::DaysLate { .. },
                    ..
                } => "tiers_days_late",
                Method::Deduction { .. } if l.source == Source::Deduction => "deduction_source",
                Method::YesNo if l.not_applicable == Some(NaPolicy::Exclude) => "yes_no_exclude",
                Method::YesNo if l.not_applicable == Some(NaPolicy::FullPoints) => "yes_no_full",
                other => other.name(),
            };
            kinds.insert(kind);
        }
        for k in [
            "yes_no",
            "yes_no_exclude",
            "yes_no_full",
            "count",
            "tiers_percent",
            "tiers_count",
            "tiers_days_late",
            "proportional",
            "graded",
            "deduction",
            "deduction_source",
            "manual",
            "survey",
            "bonus",
        ] {
            assert!(kinds.contains(k), "{} lacks {k}", set.code);
        }
        assert!(
            set.decision
                .as_deref()
                .is_some_and(|d| d.contains("/QĐ-UBND ngày"))
        );
    }
    let xa2024 = p
        .sets
        .iter()
        .find(|s| s.code.as_str() == "XA-2024")
        .expect("XA-2024");
    assert_eq!(
        xa2024.decision.as_deref(),
        Some("Quyết định số 2161/QĐ-UBND ngày 11/6/2024")
    );
}

#[test]
fn the_2025_sets_differ_from_2024_and_name_the_special_zone() {
    let p = demo();
    let set = |c: &str| p.sets.iter().find(|s| s.code.as_str() == c).expect(c);
    let area_maxima = |c: &str| set(c).nodes.iter().map(|n| n.max).collect::<Vec<_>>();
    assert_ne!(area_maxima("SO-2024"), area_maxima("SO-2025"));
    assert_ne!(area_maxima("XA-2024"), area_maxima("XA-2025"));
    assert!(set("XA-2025").name.contains("đặc khu"));
    assert!(p.sets.iter().all(|s| s.code.as_str() != "HUYEN-2025"));
}

#[test]
fn synthetic_data_is_deterministic_and_shaped_like_a_national_dataset() {
    let a = synthetic(500, 120, 7);
    assert_eq!(a, synthetic(500, 120, 7));
    assert_ne!(a.inputs, synthetic(500, 120, 8).inputs);
    assert_eq!(a.set.validate(), Ok(()));
    assert_eq!(a.set.nodes.len(), 8);
    let leaves = a
        .set
        .nodes
        .iter()
        .flat_map(Node::walk)
        .filter(|n| n.is_leaf())
        .count();
    assert_eq!(leaves, 120);
    assert_eq!(
        (a.units.len(), a.members.len(), a.inputs.len()),
        (500, 500, 500)
    );
    assert!(a.inputs.iter().all(|u| u.values.len() == 120));
    let groups: BTreeSet<_> = a.members.iter().map(|m| &m.group).collect();
    assert_eq!(groups.len(), 5);
    assert_eq!(a.previous.len(), 2);
    assert!(a.previous.iter().all(|p| p.len() == 500));
    let r = compute(ComputeInput {
        set: &a.set,
        units: &a.inputs,
        previous: &a.previous[1],
        lineage: &[],
    })
    .expect("synthetic inputs compute");
    assert!(
        r.units
            .iter()
            .filter(|u| u.ranked)
            .all(|u| u.delta_index.is_some())
    );
}

#[test]
fn synthetic_national_scale_has_34_groups_of_120() {
    let s = synthetic(4_080, 8, 1);
    let groups: BTreeSet<_> = s.members.iter().map(|m| &m.group).collect();
    assert_eq!(groups.len(), 34);
    for g in groups {
        assert_eq!(s.members.iter().filter(|m| &m.group == g).count(), 120);
    }
}

#[test]
fn the_2026_period_is_scored_with_the_2025_sets_moved_to_2026() {
    let p = demo();
    assert_eq!(p.open.year, 2026);
    assert_eq!(p.open.previous.as_ref(), Some(&p.periods[3].code));
    assert!(p.open.inputs.is_empty());
    assert_eq!(p.open.members, p.periods[3].members);
    assert_eq!(p.open.groups.len(), p.periods[3].groups.len());
    for ((group, code), (group_2025, code_2025)) in p.open.groups.iter().zip(&p.periods[3].groups) {
        assert_eq!(group, group_2025);
        let set = p.set(code).expect("the 2026 set exists");
        let last = p.set(code_2025).expect("the 2025 set exists");
        assert_eq!(set.year, 2026);
        assert_ne!(set.code, last.code);
        assert!(
            set.name.contains("2026") && !set.name.contains("2025"),
            "{}",
            set.name
        );
        // The tree is the 2025 one once its deadlines move back a year.
        let dated = set.dated_rules();
        assert!(!dated.is_empty(), "{code} has report deadlines");
        assert!(dated.iter().all(|r| r.date.year() == 2026), "{dated:?}");
        let mut back = set.clone();
        back.shift_dates(-1).unwrap();
        assert_eq!(back.nodes, last.nodes, "{code}");
    }
}

#[test]
fn in_2026_a_yearly_report_sent_on_its_deadline_scores_full_points() {
    let p = demo();
    for (_, code) in &p.open.groups {
        let set = p.set(code).expect("the 2026 set exists");
        let report = set
            .find(&chiso_domain::NodeCode::parse("1.2").unwrap())
            .expect("criterion 1.2 is the yearly report");
        let method = report.method.as_ref().expect("a leaf");
        assert_eq!(method.date(), Some(date!(2026 - 12 - 10)));
        let score = |d| {
            method
                .score(
                    report.max,
                    report.source,
                    report.not_applicable,
                    &chiso_domain::RawValue::Date(d),
                )
                .unwrap()
                .points
        };
        assert_eq!(score(date!(2026 - 12 - 10)), report.max, "{code}");
        assert_eq!(score(date!(2026 - 11 - 28)), report.max, "{code}");
        assert!(score(date!(2026 - 12 - 11)) < report.max, "{code}");
        assert!(
            report
                .rule
                .as_deref()
                .is_some_and(|r| r.contains("10/12/2026")),
            "{:?}",
            report.rule
        );
    }
}
