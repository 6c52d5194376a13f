//! A small province, seeded through the store: one index set with 3 areas, 6 units in 2
//! groups, 2 periods (2023 published, 2024 computed) with hand-built results, so the expected
//! figures are known exactly:
//!
//! | 2024 | group | rank | index | class | Δ index | streak |
//! |---|---|---|---|---|---|---|
//! | SNV Sở Nội vụ | Sở, ban, ngành | 1/3 | 89,83 | Tốt | +0,21 | 3 |
//! | STP Sở Tư pháp | Sở, ban, ngành | 2/3 | 77,25 | Khá | -3,25 | |
//! | SKHCN Sở Khoa học & Công nghệ | Sở, ban, ngành | 3/3 | 68,50 | Trung bình | -12,50 | |
//! | TP-MAU Thành phố Mẫu | UBND cấp huyện | 1/3 | 96,89 | Xuất sắc | +0,21 | 9 |
//! | H-DONG Huyện Đông | UBND cấp huyện | 2/3 | 84,50 | Tốt | — (new) | |
//! | H-TAY Huyện Tây | UBND cấp huyện | 3/3 | 71,00 | Khá | -1,00 | |

use chiso_domain::authz::{Grant, Principal, Role};
use chiso_domain::workflow::{Milestones, vn_day_start};
use chiso_domain::{
    ClassScheme, GroupName, GroupStats, IndexSet, LeafScore, Membership, Method, NaPolicy, Node,
    NodeCode, NodeScore, PeriodCode, PeriodResults, Points, RankingRule, SetCode, Source, Unit,
    UnitCode, UnitKind, UnitResult,
};
use chiso_services::publication::{self, Publish};
use chiso_store::periods::{self, Period};
use chiso_store::{Actor, Db, index_sets, results, units};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};

pub const DEPARTMENTS: &str = "Sở, ban, ngành";
pub const DISTRICTS: &str = "UBND cấp huyện";
pub const SET: &str = "BCS-MAU";
pub const COMPUTED_2024: OffsetDateTime = datetime!(2025-03-10 03:00 UTC);
pub const COMPUTED_2023: OffsetDateTime = datetime!(2024-05-20 02:00 UTC);

fn code(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
}

fn node(c: &str, title: &str, max: Decimal, children: Vec<Node>) -> Node {
    let leaf = children.is_empty();
    Node {
        code: code(c),
        title: title.to_owned(),
        max: Points(max),
        source: Source::Assessed,
        method: leaf.then_some(Method::Manual { step: None }),
        rule: None,
        evidence: None,
        not_applicable: None,
        children,
    }
}

/// Areas 1 (30), 2 (40), 3 (30). Area 3's criterion 3.1 is itself a leaf.
pub fn index_set() -> IndexSet {
    IndexSet {
        code: SetCode::parse(SET).unwrap(),
        name: "Bộ chỉ số CCHC mẫu".to_owned(),
        year: 2023,
        decision: Some("Quyết định số 2161/QĐ-UBND ngày 11/6/2024".to_owned()),
        classes: ClassScheme::common_default(),
        ranking: RankingRule::default(),
        renormalise_absent_areas: false,
        nodes: vec![
            node(
                "1",
                "Công tác chỉ đạo, điều hành cải cách hành chính",
                dec!(30),
                vec![
                    node(
                        "1.1",
                        "Kế hoạch cải cách hành chính",
                        dec!(10),
                        vec![node(
                            "1.1.1",
                            "Ban hành kế hoạch CCHC năm",
                            dec!(10),
                            vec![],
                        )],
                    ),
                    node(
                        "1.2",
                        "Báo cáo cải cách hành chính",
                        dec!(20),
                        vec![node(
                            "1.2.1",
                            "Báo cáo đúng hạn, đủ nội dung",
                            dec!(20),
                            vec![],
                        )],
                    ),
                ],
            ),
            node(
                "2",
                "Cải cách thủ tục hành chính",
                dec!(40),
                vec![
                    node(
                        "2.1",
                        "Giải quyết hồ sơ đúng hạn",
                        dec!(25),
                        vec![node(
                            "2.1.1",
                            "Tỷ lệ hồ sơ giải quyết đúng hạn",
                            dec!(25),
                            vec![],
                        )],
                    ),
                    node(
                        "2.2",
                        "Dịch vụ công trực tuyến",
                        dec!(15),
                        vec![Node {
                            // A unit without such dossiers declares it not applicable, and
                            // it leaves the maximum.
                            not_applicable: Some(NaPolicy::Exclude),
                            ..node(
                                "2.2.1",
                                "Tỷ lệ hồ sơ trực tuyến toàn trình",
                                dec!(15),
                                vec![],
                            )
                        }],
                    ),
                ],
            ),
            node(
                "3",
                "Xây dựng chính quyền điện tử, chính quyền số",
                dec!(30),
                vec![node("3.1", "Hạ tầng và nền tảng số", dec!(30), vec![])],
            ),
        ],
    }
}

pub fn unit_list() -> Vec<Unit> {
    let u = |c: &str, name: &str, kind| Unit {
        code: UnitCode::parse(c).unwrap(),
        name: name.to_owned(),
        kind,
        parent: None,
        valid_from: None,
        valid_to: None,
    };
    vec![
        u("SNV", "Sở Nội vụ", UnitKind::Department),
        u("STP", "Sở Tư pháp", UnitKind::Department),
        u("SKHCN", "Sở Khoa học & Công nghệ", UnitKind::Department),
        u("TP-MAU", "Thành phố Mẫu", UnitKind::District),
        u("H-DONG", "Huyện Đông", UnitKind::District),
        u("H-TAY", "Huyện Tây", UnitKind::District),
    ]
}

fn class_of(index: Decimal) -> String {
    ClassScheme::common_default()
        .classify(&GroupName::parse(DEPARTMENTS).unwrap(), index)
        .unwrap()
        .to_owned()
}

fn score(c: &str, points: Decimal, max: Decimal) -> NodeScore {
    NodeScore {
        code: code(c),
        points: Points(points),
        max: Points(max),
    }
}

fn leaf(c: &str, points: Decimal) -> LeafScore {
    LeafScore {
        code: code(c),
        points: Points(points),
        applicable: true,
        input: None,
    }
}

/// One unit's result from its three area totals (out of 30, 40, 30 = 100).
#[allow(clippy::too_many_arguments)]
fn result(
    unit: &str,
    name: &str,
    group: &str,
    rank: u32,
    group_size: u32,
    areas: [Decimal; 3],
    previous: Option<(Decimal, u32)>,
    streak: u32,
) -> UnitResult {
    let [a1, a2, a3] = areas;
    let c11 = a1.min(dec!(10));
    let c12 = a1 - c11;
    let c21 = a2.min(dec!(25));
    let c22 = a2 - c21;
    let total = a1 + a2 + a3;
    let index = total; // the maximum is 100
    UnitResult {
        unit: UnitCode::parse(unit).unwrap(),
        name: name.to_owned(),
        group: GroupName::parse(group).unwrap(),
        ranked: true,
        total: Points(total),
        max: Points(dec!(100)),
        index,
        class: Some(class_of(index)),
        rank: Some(rank),
        group_size,
        nodes: vec![
            score("1", a1, dec!(30)),
            score("1.1", c11, dec!(10)),
            score("1.2", c12, dec!(20)),
            score("2", a2, dec!(40)),
            score("2.1", c21, dec!(25)),
            score("2.2", c22, dec!(15)),
            score("3", a3, dec!(30)),
        ],
        leaves: vec![
            leaf("1.1.1", c11),
            leaf("1.2.1", c12),
            leaf("2.1.1", c21),
            leaf("2.2.1", c22),
            leaf("3.1", a3),
        ],
        previous_index: previous.map(|(i, _)| i),
        delta_index: previous.map(|(i, _)| index - i),
        delta_rank: previous.map(|(_, r)| i32::try_from(r).unwrap() - i32::try_from(rank).unwrap()),
        previous_rank: previous.map(|(_, r)| r),
        previous_group_size: previous.map(|_| group_size),
        compared_with: Vec::new(),
        streak,
        note: None,
    }
}

fn stats(group: &str, units: &[&UnitResult]) -> GroupStats {
    let scheme = ClassScheme::common_default();
    let n = u32::try_from(units.len()).unwrap();
    let mean = units.iter().map(|u| u.index).sum::<Decimal>() / Decimal::from(n);
    GroupStats {
        group: GroupName::parse(group).unwrap(),
        units: n,
        ranked: n,
        mean_index: mean,
        per_class: scheme
            .default
            .iter()
            .map(|b| {
                let count = units
                    .iter()
                    .filter(|u| u.class.as_deref() == Some(&b.label))
                    .count();
                (b.label.clone(), u32::try_from(count).unwrap())
            })
            .collect(),
        improved: count(units, |d| d > Decimal::ZERO),
        declined: count(units, |d| d < Decimal::ZERO),
        unchanged: count(units, |d| d == Decimal::ZERO),
    }
}

fn count(units: &[&UnitResult], f: impl Fn(Decimal) -> bool) -> u32 {
    u32::try_from(
        units
            .iter()
            .filter(|u| u.delta_index.is_some_and(&f))
            .count(),
    )
    .unwrap()
}

fn period_results(units: Vec<UnitResult>) -> PeriodResults {
    let of = |g: &str| {
        units
            .iter()
            .filter(|u| u.group.as_str() == g)
            .collect::<Vec<_>>()
    };
    let groups = vec![
        stats(DEPARTMENTS, &of(DEPARTMENTS)),
        stats(DISTRICTS, &of(DISTRICTS)),
    ];
    PeriodResults { units, groups }
}

pub fn results_2023() -> PeriodResults {
    period_results(vec![
        result(
            "SNV",
            "Sở Nội vụ",
            DEPARTMENTS,
            1,
            3,
            [dec!(28), dec!(36.62), dec!(25)],
            None,
            2,
        ),
        result(
            "SKHCN",
            "Sở Khoa học & Công nghệ",
            DEPARTMENTS,
            2,
            3,
            [dec!(25), dec!(32), dec!(24)],
            None,
            0,
        ),
        result(
            "STP",
            "Sở Tư pháp",
            DEPARTMENTS,
            3,
            3,
            [dec!(25), dec!(31.5), dec!(24)],
            None,
            0,
        ),
        result(
            "TP-MAU",
            "Thành phố Mẫu",
            DISTRICTS,
            1,
            2,
            [dec!(29), dec!(39), dec!(28.68)],
            None,
            8,
        ),
        result(
            "H-TAY",
            "Huyện Tây",
            DISTRICTS,
            2,
            2,
            [dec!(24), dec!(30), dec!(18)],
            None,
            0,
        ),
    ])
}

pub fn results_2024() -> PeriodResults {
    period_results(vec![
        result(
            "SNV",
            "Sở Nội vụ",
            DEPARTMENTS,
            1,
            3,
            [dec!(28.5), dec!(36.33), dec!(25)],
            Some((dec!(89.62), 1)),
            3,
        ),
        result(
            "STP",
            "Sở Tư pháp",
            DEPARTMENTS,
            2,
            3,
            [dec!(25), dec!(30), dec!(22.25)],
            Some((dec!(80.5), 3)),
            0,
        ),
        result(
            "SKHCN",
            "Sở Khoa học & Công nghệ",
            DEPARTMENTS,
            3,
            3,
            [dec!(20), dec!(28.5), dec!(20)],
            Some((dec!(81), 2)),
            0,
        ),
        result(
            "TP-MAU",
            "Thành phố Mẫu",
            DISTRICTS,
            1,
            3,
            [dec!(29), dec!(39), dec!(28.89)],
            Some((dec!(96.68), 1)),
            9,
        ),
        result(
            "H-DONG",
            "Huyện Đông",
            DISTRICTS,
            2,
            3,
            [dec!(27), dec!(33.5), dec!(24)],
            None,
            0,
        ),
        result(
            "H-TAY",
            "Huyện Tây",
            DISTRICTS,
            3,
            3,
            [dec!(24), dec!(30), dec!(17)],
            Some((dec!(72), 2)),
            0,
        ),
    ])
}

fn members(results: &PeriodResults) -> Vec<Membership> {
    results
        .units
        .iter()
        .map(|u| Membership {
            unit: u.unit.clone(),
            group: u.group.clone(),
            ranked: true,
        })
        .collect()
}

/// Seeds the province through the store API.
pub async fn seed(db: &Db) {
    let actor = Actor("test".to_owned());
    let at = datetime!(2024-01-15 08:00 UTC);
    units::upsert_many(db, &unit_list(), &[], &actor, at)
        .await
        .expect("units");
    index_sets::save(db, &index_set(), &actor, at)
        .await
        .expect("index set");
    let set = SetCode::parse(SET).unwrap();
    let groups = vec![
        (GroupName::parse(DEPARTMENTS).unwrap(), set.clone()),
        (GroupName::parse(DISTRICTS).unwrap(), set),
    ];

    let p2023 = Period {
        code: PeriodCode::parse("2023").unwrap(),
        year: 2023,
        name: "Chỉ số CCHC năm 2023".to_owned(),
        previous: None,
        status: periods::STATUS_DRAFT.to_owned(),
        decision: None,
        computed_at: None,
    };
    let p2024 = Period {
        code: PeriodCode::parse("2024").unwrap(),
        year: 2024,
        name: "Chỉ số CCHC năm 2024".to_owned(),
        previous: Some(p2023.code.clone()),
        status: periods::STATUS_DRAFT.to_owned(),
        decision: None,
        computed_at: None,
    };
    for (p, r, computed) in [
        (&p2023, results_2023(), COMPUTED_2023),
        (&p2024, results_2024(), COMPUTED_2024),
    ] {
        periods::create(db, p, &actor, at).await.expect("period");
        periods::set_groups(db, &p.code, &groups, &members(&r), &actor, at)
            .await
            .expect("groups");
        results::save(db, &p.code, &r, &actor, computed)
            .await
            .expect("results");
    }
    publish(db, "2023", "1234/QĐ-UBND", date!(2024 - 05 - 20)).await;
}

/// Publishes `period` by decision `number` of `on`, through the service an administrator uses.
async fn publish(db: &Db, period: &str, number: &str, on: Date) {
    let admin = Principal::new("test", vec![Grant::all_periods(Role::Admin)]);
    let cmd = Publish {
        period: PeriodCode::parse(period).unwrap(),
        decision: number.to_owned(),
        decided_on: on,
        reason: None,
    };
    let at = vn_day_start(on) + time::Duration::hours(3);
    publication::publish(db, &admin, &cmd, at)
        .await
        .expect("publish");
}

/// Publishes 2024 too (decision 567/QĐ-UBND of 20/03/2025), for tests of what the public
/// reads; the cycle's tests keep it open.
pub async fn publish_2024(db: &Db) {
    publish(db, "2024", "567/QĐ-UBND", date!(2025 - 03 - 20)).await;
}

/// The milestones of a 2025 period: self-assessment in January–February, appraisal in March,
/// explanations late March, approval from 10 April, publication from 1 May (Vietnam time).
pub fn plan_2025() -> Milestones {
    let at = |d: Date| Some(vn_day_start(d));
    Milestones {
        self_open: at(date!(2025 - 01 - 01)),
        self_close: at(date!(2025 - 03 - 01)),
        appraisal_open: at(date!(2025 - 03 - 02)),
        appraisal_close: at(date!(2025 - 03 - 20)),
        explanation_open: at(date!(2025 - 03 - 21)),
        explanation_close: at(date!(2025 - 04 - 01)),
        approval: at(date!(2025 - 04 - 10)),
        publication: at(date!(2025 - 05 - 01)),
    }
}
