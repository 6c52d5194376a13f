//! Test support: run a scenario against a fresh SQLite file always, and against a fresh
//! PostgreSQL database when `CHISO_TEST_PG` holds an administrator URL (then an unreachable
//! server fails the test), plus fixtures.

#![allow(dead_code)]

use std::future::Future;
use std::hash::{BuildHasher, Hasher};

use chiso_domain::{
    ClassBand, ClassScheme, GroupName, GroupStats, IndexSet, LeafScore, Lineage, LineageKind,
    Membership, Method, NaPolicy, Node, NodeCode, NodeScore, PeriodCode, PeriodResults, Points,
    RankingRule, RawValue, SetCode, Source, TieBreaker, Tier, TierBasis, Unit, UnitCode, UnitKind,
    UnitResult,
};
use chiso_store::{Actor, Db, periods::Period};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use time::OffsetDateTime;
use time::macros::{date, datetime};

/// Runs `scenario` on every configured backend, each time on a new, migrated database.
pub async fn for_each_backend<F, Fut>(scenario: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!(
        "sqlite://{}",
        dir.path().join("data").join("chiso.db").display()
    );
    let db = Db::connect(&url).await.expect("open the SQLite file");
    db.migrate().await.expect("migrate SQLite");
    run("sqlite", db.clone(), &scenario).await;
    db.close().await;

    if let Some(admin) = std::env::var("CHISO_TEST_PG")
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        let name = format!("chiso_test_{:016x}", random());
        let mut conn = PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("CHISO_TEST_PG is set but {admin} is unreachable: {e}"));
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create the test database");
        let result = async {
            let db = Db::connect(&with_database(&admin, &name))
                .await
                .expect("connect");
            db.migrate().await.expect("migrate PostgreSQL");
            let outcome = tokio::spawn(scenario(db.clone())).await;
            db.close().await;
            outcome
        }
        .await;
        let _ = sqlx::query(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
        let _ = conn.close().await;
        if let Err(e) = result {
            eprintln!("scenario failed on postgres");
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

async fn run<F, Fut>(backend: &str, db: Db, scenario: &F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    if let Err(e) = tokio::spawn(scenario(db)).await {
        eprintln!("scenario failed on {backend}");
        std::panic::resume_unwind(e.into_panic());
    }
}

/// `postgres://u@h:5432/postgres?x=y` with the database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

fn random() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.finish()
}

// ---- fixtures -------------------------------------------------------------------------

pub const T0: OffsetDateTime = datetime!(2025-01-10 08:00:00 UTC);
pub const T1: OffsetDateTime = datetime!(2025-01-11 09:30:00.123456789 +07:00);
pub const T2: OffsetDateTime = datetime!(2025-01-12 10:00:00 UTC);

pub fn admin() -> Actor {
    Actor("admin".to_owned())
}

pub fn unit_code(s: &str) -> UnitCode {
    UnitCode::parse(s).unwrap()
}

pub fn node(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
}

pub fn period_code(s: &str) -> PeriodCode {
    PeriodCode::parse(s).unwrap()
}

pub fn set_code(s: &str) -> SetCode {
    SetCode::parse(s).unwrap()
}

pub fn group(s: &str) -> GroupName {
    GroupName::parse(s).unwrap()
}

/// A district with two communes, one of which merged from two older communes.
pub fn units() -> (Vec<Unit>, Vec<Lineage>) {
    let u = |code: &str, name: &str, kind, parent: Option<&str>| Unit {
        code: unit_code(code),
        name: name.to_owned(),
        kind,
        parent: parent.map(unit_code),
        valid_from: None,
        valid_to: None,
    };
    let mut merged = u("XA-TAN-AN", "Xã Tân An", UnitKind::Commune, Some("HUYEN-A"));
    merged.valid_from = Some(date!(2025 - 07 - 01));
    let mut old1 = u("XA-AN-1", "Xã An Một", UnitKind::Commune, Some("HUYEN-A"));
    old1.valid_to = Some(date!(2025 - 06 - 30));
    let mut old2 = u("XA-AN-2", "Xã An Hai", UnitKind::Commune, Some("HUYEN-A"));
    old2.valid_to = Some(date!(2025 - 06 - 30));
    // Children before their parent: the parent reference is checked at commit.
    let units = vec![
        merged,
        old1,
        old2,
        u("PHUONG-1", "Phường 1", UnitKind::Ward, Some("HUYEN-A")),
        u("HUYEN-A", "Huyện A", UnitKind::District, None),
    ];
    let lineage = vec![
        Lineage {
            predecessor: unit_code("XA-AN-1"),
            successor: unit_code("XA-TAN-AN"),
            kind: LineageKind::Merger,
            effective: Some(date!(2025 - 07 - 01)),
        },
        Lineage {
            predecessor: unit_code("XA-AN-2"),
            successor: unit_code("XA-TAN-AN"),
            kind: LineageKind::Merger,
            effective: None,
        },
    ];
    (units, lineage)
}

fn leaf(code: &str, title: &str, max: Decimal, source: Source, method: Method) -> Node {
    Node {
        code: node(code),
        title: title.to_owned(),
        max: Points(max),
        source,
        method: Some(method),
        rule: Some(format!("Cách tính điểm của {code}")),
        evidence: Some("Văn bản, báo cáo".to_owned()),
        not_applicable: Some(NaPolicy::Exclude),
        children: Vec::new(),
    }
}

fn inner(code: &str, title: &str, max: Decimal, source: Source, children: Vec<Node>) -> Node {
    Node {
        code: node(code),
        title: title.to_owned(),
        max: Points(max),
        source,
        method: None,
        rule: None,
        evidence: None,
        not_applicable: None,
        children,
    }
}

/// A small commune set using most scoring methods.
pub fn index_set(code: &str) -> IndexSet {
    let mut classes = ClassScheme::common_default();
    classes.groups.insert(
        group("UBND cấp xã"),
        vec![
            ClassBand {
                label: "Xuất sắc".to_owned(),
                min: dec!(85),
            },
            ClassBand {
                label: "Tốt".to_owned(),
                min: dec!(70.5),
            },
        ],
    );
    IndexSet {
        code: set_code(code),
        name: "Bộ Chỉ số CCHC cấp xã năm 2024".to_owned(),
        year: 2024,
        decision: Some("2161/QĐ-UBND ngày 11/6/2024".to_owned()),
        classes,
        ranking: RankingRule {
            tie_breakers: vec![
                TieBreaker::SourcePoints(Source::Assessed),
                TieBreaker::NodePoints(node("2")),
            ],
        },
        renormalise_absent_areas: true,
        nodes: vec![
            inner(
                "1",
                "Công tác chỉ đạo, điều hành",
                dec!(6.5),
                Source::Assessed,
                vec![
                    leaf(
                        "1.1",
                        "Ban hành kế hoạch CCHC",
                        dec!(2),
                        Source::Assessed,
                        Method::YesNo,
                    ),
                    leaf(
                        "1.2",
                        "Báo cáo CCHC đúng hạn",
                        dec!(1.5),
                        Source::Assessed,
                        Method::Tiers {
                            basis: TierBasis::DaysLate {
                                deadline: date!(2024 - 12 - 15),
                            },
                            tiers: vec![
                                Tier {
                                    min: dec!(0),
                                    below: Some(dec!(1)),
                                    points: dec!(1.5),
                                },
                                Tier {
                                    min: dec!(1),
                                    below: None,
                                    points: dec!(0.5),
                                },
                            ],
                        },
                    ),
                    leaf(
                        "1.10",
                        "Quy chế ban hành",
                        dec!(3),
                        Source::Assessed,
                        Method::Count {
                            per: dec!(0.5),
                            cap: Some(dec!(3)),
                        },
                    ),
                ],
            ),
            inner(
                "2",
                "Tác động của CCHC",
                dec!(3.5),
                Source::Survey,
                vec![
                    leaf(
                        "2.1",
                        "Mức độ hoàn thành kế hoạch",
                        dec!(1.25),
                        Source::Assessed,
                        Method::Graded {
                            grades: Method::default_grades(),
                        },
                    ),
                    leaf(
                        "2.2",
                        "Sự hài lòng của người dân",
                        dec!(2.25),
                        Source::Survey,
                        Method::Survey,
                    ),
                ],
            ),
            leaf("3", "Sáng kiến", dec!(1), Source::Bonus, Method::Bonus),
        ],
    }
}

pub fn period(code: &str, year: i32, previous: Option<&str>) -> Period {
    Period {
        code: period_code(code),
        year,
        name: format!("Năm {year}"),
        previous: previous.map(period_code),
        status: chiso_store::periods::STATUS_DRAFT.to_owned(),
        decision: None,
        computed_at: None,
    }
}

/// Stores units, the set `XA-2024`, and periods 2023 and 2024 (previous 2023), each with the
/// group "UBND cấp xã" of two ranked communes and one unranked ward.
pub async fn seed(db: &Db) {
    let (u, l) = units();
    chiso_store::units::upsert_many(db, &u, &l, &admin(), T0)
        .await
        .unwrap();
    chiso_store::index_sets::save(db, &index_set("XA-2024"), &admin(), T0)
        .await
        .unwrap();
    for p in [
        period("2023", 2023, None),
        period("2024", 2024, Some("2023")),
    ] {
        chiso_store::periods::create(db, &p, &admin(), T0)
            .await
            .unwrap();
        chiso_store::periods::set_groups(
            db,
            &p.code,
            &[(group("UBND cấp xã"), set_code("XA-2024"))],
            &members(),
            &admin(),
            T0,
        )
        .await
        .unwrap();
    }
}

pub fn members() -> Vec<Membership> {
    vec![
        Membership {
            unit: unit_code("XA-AN-1"),
            group: group("UBND cấp xã"),
            ranked: true,
        },
        Membership {
            unit: unit_code("XA-AN-2"),
            group: group("UBND cấp xã"),
            ranked: true,
        },
        Membership {
            unit: unit_code("PHUONG-1"),
            group: group("UBND cấp xã"),
            ranked: false,
        },
    ]
}

fn unit_result(code: &str, index: Decimal, rank: Option<u32>, streak: u32) -> UnitResult {
    UnitResult {
        unit: unit_code(code),
        name: format!("Đơn vị {code}"),
        group: group("UBND cấp xã"),
        ranked: rank.is_some(),
        total: Points(dec!(8.983123456789)),
        max: Points(dec!(10)),
        index,
        class: Some("Tốt".to_owned()),
        rank,
        group_size: 2,
        nodes: vec![
            NodeScore {
                code: node("1"),
                points: Points(dec!(5.5)),
                max: Points(dec!(6.5)),
            },
            NodeScore {
                code: node("2"),
                points: Points(dec!(0)),
                max: Points(dec!(0)),
            },
        ],
        leaves: vec![
            LeafScore {
                code: node("1.1"),
                points: Points(dec!(2)),
                applicable: true,
                input: Some(RawValue::Yes),
            },
            LeafScore {
                code: node("1.2"),
                points: Points(dec!(0.50)),
                applicable: true,
                input: Some(RawValue::Date(date!(2024 - 12 - 20))),
            },
            LeafScore {
                code: node("1.10"),
                points: Points(dec!(3)),
                applicable: true,
                input: Some(RawValue::Ratio {
                    num: dec!(45),
                    den: dec!(47),
                }),
            },
            LeafScore {
                code: node("2.1"),
                points: Points::ZERO,
                applicable: false,
                input: Some(RawValue::NotApplicable),
            },
            LeafScore {
                code: node("2.2"),
                points: Points::ZERO,
                applicable: true,
                input: None,
            },
        ],
        previous_index: Some(dec!(88.1)),
        delta_index: Some(dec!(1.73)),
        delta_rank: Some(-1),
        previous_rank: Some(1),
        previous_group_size: Some(2),
        compared_with: Vec::new(),
        streak,
        note: None,
    }
}

/// Results with full-precision decimals, an unranked unit and two groups' statistics.
pub fn results(first_index: Decimal) -> PeriodResults {
    PeriodResults {
        units: vec![
            unit_result("XA-AN-2", first_index, Some(1), 3),
            unit_result("XA-AN-1", dec!(76.22), Some(2), 0),
            unit_result("PHUONG-1", dec!(50), None, 0),
        ],
        groups: vec![GroupStats {
            group: group("UBND cấp xã"),
            units: 3,
            ranked: 2,
            mean_index: dec!(72.01704115226337448559670782),
            per_class: vec![("Xuất sắc".to_owned(), 0), ("Tốt".to_owned(), 2)],
            improved: 1,
            declined: 1,
            unchanged: 0,
        }],
    }
}

pub fn change(
    unit: &str,
    leaf: &str,
    input: Option<RawValue>,
    points: Option<Decimal>,
) -> chiso_store::scores::ScoreChange {
    chiso_store::scores::ScoreChange {
        unit: unit_code(unit),
        node: node(leaf),
        input,
        points: points.map(Points),
        note: None,
        expected_version: None,
    }
}
