//! Figures from published results (domain.md §1, §5, §10): fed the published component
//! scores, the engine must give back the published totals (±0,01 from independent
//! rounding), classes, ranks, comparisons and group averages.

use chiso_domain::fmt::{vi_decimal, vi_delta};
use chiso_domain::{
    ClassBand, ClassScheme, ComputeInput, GroupName, IndexSet, Method, Node, NodeCode,
    PeriodResults, Points, PreviousResult, RankingRule, RawValue, SetCode, Source, TieBreaker,
    UnitCode, UnitInput, UnitResult, compute,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn node(
    code: &str,
    max: Decimal,
    source: Source,
    method: Option<Method>,
    children: Vec<Node>,
) -> Node {
    Node {
        code: NodeCode::parse(code).unwrap(),
        title: String::new(),
        max: Points(max),
        source,
        method,
        rule: None,
        evidence: None,
        not_applicable: None,
        children,
    }
}

/// A set whose appraisal block is out of `appraisal` and survey block out of `survey`;
/// published component points are entered as they are.
fn two_block_set(appraisal: Decimal, survey: Decimal) -> IndexSet {
    let manual = Some(Method::Manual { step: None });
    let set = IndexSet {
        code: SetCode::parse("BO-CHI-SO").unwrap(),
        name: "Bộ chỉ số".to_owned(),
        year: 2023,
        decision: Some("2161/QĐ-UBND ngày 11/6/2024".to_owned()),
        classes: ClassScheme::common_default(),
        ranking: RankingRule::default(),
        renormalise_absent_areas: false,
        nodes: vec![
            node(
                "1",
                appraisal,
                Source::Assessed,
                None,
                vec![node("1.1", appraisal, Source::Assessed, manual, vec![])],
            ),
            node(
                "2",
                survey,
                Source::Survey,
                None,
                vec![node(
                    "2.1",
                    survey,
                    Source::Survey,
                    Some(Method::Survey),
                    vec![],
                )],
            ),
        ],
    };
    assert_eq!(set.validate(), Ok(()));
    set
}

fn district_set() -> IndexSet {
    two_block_set(dec!(65), dec!(35))
}

fn unit(code: &str, group: &str, appraisal: Decimal, survey: Decimal) -> UnitInput {
    UnitInput {
        unit: UnitCode::parse(code).unwrap(),
        name: code.to_owned(),
        group: GroupName::parse(group).unwrap(),
        ranked: true,
        values: vec![
            (NodeCode::parse("1.1").unwrap(), RawValue::Points(appraisal)),
            (NodeCode::parse("2.1").unwrap(), RawValue::Points(survey)),
        ],
    }
}

fn previous(code: &str, group: &str, index: Decimal, rank: u32, streak: u32) -> PreviousResult {
    PreviousResult {
        unit: UnitCode::parse(code).unwrap(),
        group: GroupName::parse(group).unwrap(),
        index,
        rank: Some(rank),
        streak,
    }
}

fn run(set: &IndexSet, units: &[UnitInput], prev: &[PreviousResult]) -> PeriodResults {
    compute(ComputeInput {
        set,
        units,
        previous: prev,
        lineage: &[],
    })
    .unwrap()
}

fn get<'r>(res: &'r PeriodResults, code: &str) -> &'r UnitResult {
    res.units.iter().find(|r| r.unit.as_str() == code).unwrap()
}

fn published(r: &UnitResult) -> Decimal {
    Points(r.index).rounded()
}

const DISTRICTS: &str = "Huyện, thị xã, thành phố";

#[test]
fn a_district_at_89_83_is_tot_and_fifth_of_nine() {
    let table = [
        ("H1", dec!(60.10), dec!(33.00)),
        ("H2", dec!(59.55), dec!(32.50)),
        ("H3", dec!(60.00), dec!(31.40)),
        ("H4", dec!(58.62), dec!(31.50)),
        ("H5", dec!(58.12), dec!(31.71)),
        ("H6", dec!(57.05), dec!(30.50)),
        ("H7", dec!(55.20), dec!(30.00)),
        ("H8", dec!(54.01), dec!(30.00)),
        ("H9", dec!(51.66), dec!(29.00)),
    ];
    let units: Vec<UnitInput> = table
        .iter()
        .map(|(c, a, s)| unit(c, DISTRICTS, *a, *s))
        .collect();
    let res = run(&district_set(), &units, &[]);
    let h5 = get(&res, "H5");
    assert_eq!(vi_decimal(h5.total.0, 2), "89,83");
    assert_eq!(h5.class.as_deref(), Some("Tốt"));
    assert_eq!(format!("{}/{}", h5.rank.unwrap(), h5.group_size), "5/9");
}

#[test]
fn three_of_seven_communes_improved_and_four_fell() {
    let communes = "Xã, thị trấn thuộc huyện";
    let now = [
        ("X1", dec!(81.20)),
        ("X2", dec!(77.45)),
        ("X3", dec!(74.10)),
        ("X4", dec!(72.00)),
        ("X5", dec!(70.35)),
        ("X6", dec!(68.90)),
        ("X7", dec!(65.02)),
    ];
    let before = [
        ("X1", dec!(80.00)),
        ("X2", dec!(78.10)),
        ("X3", dec!(73.95)),
        ("X4", dec!(72.01)),
        ("X5", dec!(71.00)),
        ("X6", dec!(66.00)),
        ("X7", dec!(66.40)),
    ];
    // Survey fixed at 30: the appraisal carries the difference.
    let units: Vec<UnitInput> = now
        .iter()
        .map(|(c, t)| unit(c, communes, t - dec!(30), dec!(30)))
        .collect();
    let prev: Vec<PreviousResult> = before
        .iter()
        .enumerate()
        .map(|(i, (c, t))| previous(c, communes, *t, i as u32 + 1, 0))
        .collect();
    let res = run(&district_set(), &units, &prev);
    let g = &res.groups[0];
    assert_eq!((g.improved, g.declined, g.unchanged), (3, 4, 0));
}

#[test]
fn a_city_at_96_89_is_xuat_sac_up_0_21_and_first_for_the_ninth_year() {
    let mut units = vec![unit("TP", DISTRICTS, dec!(63.50), dec!(33.39))];
    for (i, t) in [
        dec!(94.10),
        dec!(92.31),
        dec!(90.05),
        dec!(88.80),
        dec!(87.12),
        dec!(85.60),
        dec!(84.00),
        dec!(80.45),
    ]
    .iter()
    .enumerate()
    {
        units.push(unit(&format!("H{i}"), DISTRICTS, t - dec!(30), dec!(30)));
    }
    let prev = [previous("TP", DISTRICTS, dec!(96.68), 1, 8)];
    let res = run(&district_set(), &units, &prev);
    let city = get(&res, "TP");
    assert_eq!(vi_decimal(city.index, 2), "96,89");
    assert_eq!(city.class.as_deref(), Some("Xuất sắc"));
    assert_eq!(vi_delta(city.delta_index.unwrap()), "+0,21");
    assert_eq!((city.rank, city.group_size, city.streak), (Some(1), 9, 9));
}

#[test]
fn thirteen_of_fourteen_wards_are_xuat_sac_and_one_tot() {
    let wards = "Phường thuộc thành phố";
    let mut units: Vec<UnitInput> = (0..13)
        .map(|i| {
            unit(
                &format!("P{i:02}"),
                wards,
                dec!(60) + Decimal::from(i) / dec!(5),
                dec!(31),
            )
        })
        .collect();
    units.push(unit("P13", wards, dec!(55.5), dec!(31)));
    let res = run(&district_set(), &units, &[]);
    let per_class: Vec<(&str, u32)> = res.groups[0]
        .per_class
        .iter()
        .map(|(l, n)| (l.as_str(), *n))
        .collect();
    assert_eq!(
        per_class,
        [
            ("Xuất sắc", 13),
            ("Tốt", 1),
            ("Khá", 0),
            ("Trung bình", 0),
            ("Yếu", 0)
        ]
    );
}

#[test]
fn the_total_ranks_76_22_with_appraisal_44_above_76_03_with_appraisal_46() {
    let mut set = district_set();
    // Even a set that breaks ties on appraisal must not rank by the appraisal block alone.
    set.ranking.tie_breakers = vec![TieBreaker::SourcePoints(Source::Assessed)];
    let units = [
        unit("B", DISTRICTS, dec!(46), dec!(30.03)),
        unit("A", DISTRICTS, dec!(44), dec!(32.22)),
    ];
    let res = run(&set, &units, &[]);
    assert_eq!(published(get(&res, "A")), dec!(76.22));
    assert_eq!(published(get(&res, "B")), dec!(76.03));
    assert_eq!(
        (get(&res, "A").rank, get(&res, "B").rank),
        (Some(1), Some(2))
    );
}

#[test]
fn nine_districts_average_78_39_from_their_component_scores() {
    let table = [
        ("H1", dec!(55.12), dec!(30.00)),
        ("H2", dec!(54.40), dec!(28.00)),
        ("H3", dec!(53.27), dec!(27.50)),
        ("H4", dec!(52.95), dec!(27.00)),
        ("H5", dec!(51.60), dec!(27.00)),
        ("H6", dec!(50.81), dec!(26.50)),
        ("H7", dec!(50.08), dec!(26.00)),
        ("H8", dec!(49.02), dec!(25.50)),
        ("H9", dec!(47.26), dec!(23.50)),
    ];
    let units: Vec<UnitInput> = table
        .iter()
        .map(|(c, a, s)| unit(c, DISTRICTS, *a, *s))
        .collect();
    let res = run(&district_set(), &units, &[]);
    assert_eq!(vi_decimal(res.groups[0].mean_index, 2), "78,39");
}

#[test]
fn moha_bands_a_b_c_apply_as_a_group_override() {
    // MoHA's ministry index: 68,5 points of appraisal and 31,5 of survey.
    let mut set = two_block_set(dec!(68.5), dec!(31.5));
    let ministries = GroupName::parse("Bộ, cơ quan ngang bộ").unwrap();
    let band = |label: &str, min: Decimal| ClassBand {
        label: label.to_owned(),
        min,
    };
    set.classes.groups.insert(
        ministries.clone(),
        vec![
            band("A", dec!(90)),
            band("B", dec!(80)),
            band("C", dec!(70)),
        ],
    );
    assert_eq!(set.validate(), Ok(()));
    let units = [
        unit("BNV", ministries.as_str(), dec!(62), dec!(29.5)),
        unit("BTP", ministries.as_str(), dec!(58), dec!(27)),
        unit("BTC", ministries.as_str(), dec!(55), dec!(24.995)),
        unit("BYT", ministries.as_str(), dec!(45), dec!(24.99)),
        unit("SNV", "Sở, ban, ngành", dec!(58), dec!(27)),
    ];
    let res = run(&set, &units, &[]);
    let class = |c: &str| get(&res, c).class.clone();
    assert_eq!(class("BNV").as_deref(), Some("A"));
    assert_eq!(class("BTP").as_deref(), Some("B"));
    assert_eq!(
        class("BTC").as_deref(),
        Some("B"),
        "79,995 publishes as 80,00"
    );
    assert_eq!(class("BYT"), None, "below C: no class");
    assert_eq!(
        class("SNV").as_deref(),
        Some("Tốt"),
        "other groups keep the default bands"
    );
    let g = res.groups.iter().find(|g| g.group == ministries).unwrap();
    let per_class: Vec<(&str, u32)> = g.per_class.iter().map(|(l, n)| (l.as_str(), *n)).collect();
    assert_eq!(per_class, [("A", 1), ("B", 2), ("C", 0)]);
}

/// A district table as published (appraisal out of 65, survey out of 35): components and
/// totals are each rounded from unrounded figures, so a row may be off by 0,01.
const PUBLISHED_TABLE: [(&str, Decimal, Decimal, Decimal, u32, &str); 9] = [
    (
        "Thị xã Đông",
        dec!(55.35),
        dec!(31.97),
        dec!(87.32),
        1,
        "Tốt",
    ),
    (
        "Huyện Cam Lộ",
        dec!(54.59),
        dec!(31.18),
        dec!(85.77),
        2,
        "Tốt",
    ),
    (
        "Huyện Bình Sơn",
        dec!(59.05),
        dec!(25.58),
        dec!(84.63),
        3,
        "Tốt",
    ),
    (
        "Huyện Lý Sơn",
        dec!(55.96),
        dec!(25.30),
        dec!(81.26),
        4,
        "Tốt",
    ),
    (
        "Thành phố Bắc",
        dec!(53.49),
        dec!(26.23),
        dec!(79.72),
        5,
        "Khá",
    ),
    (
        "Huyện Đắk Mil",
        dec!(46.52),
        dec!(30.32),
        dec!(76.84),
        6,
        "Khá",
    ),
    (
        "Huyện Hòa Vang",
        dec!(47.25),
        dec!(29.47),
        dec!(76.73),
        7,
        "Khá",
    ),
    (
        "Huyện Gia Lâm",
        dec!(50.63),
        dec!(24.93),
        dec!(75.56),
        8,
        "Khá",
    ),
    (
        "Huyện An Lạc",
        dec!(46.27),
        dec!(25.33),
        dec!(71.60),
        9,
        "Khá",
    ),
];
const PUBLISHED_MEAN: Decimal = dec!(79.93);

#[test]
fn a_published_district_table_is_reproduced_within_a_hundredth() {
    let units: Vec<UnitInput> = PUBLISHED_TABLE
        .iter()
        .enumerate()
        .map(|(i, (name, a, s, ..))| {
            let mut u = unit(&format!("H{i}"), DISTRICTS, *a, *s);
            u.name = (*name).to_owned();
            u
        })
        .collect();
    let res = run(&district_set(), &units, &[]);
    let mut off_by_a_hundredth = 0;
    for (name, _, _, total, rank, class) in PUBLISHED_TABLE {
        let r = res.units.iter().find(|r| r.name == name).unwrap();
        let diff = (published(r) - total).abs();
        assert!(diff <= dec!(0.01), "{name}: {} vs {total}", published(r));
        if !diff.is_zero() {
            off_by_a_hundredth += 1;
        }
        assert_eq!(r.rank, Some(rank), "{name}");
        assert_eq!(r.class.as_deref(), Some(class), "{name}");
    }
    assert_eq!(
        off_by_a_hundredth, 1,
        "Hòa Vang: 47,25 + 29,47 = 76,72 against 76,73 published"
    );
    assert!((Points(res.groups[0].mean_index).rounded() - PUBLISHED_MEAN).abs() <= dec!(0.01));
}
