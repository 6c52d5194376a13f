//! The unit's side of the assessment cycle as people meet it over HTTP: the self-assessment
//! page with an input per scoring method, saving drafts per leaf and per area with optimistic
//! versions, evidence uploads (and the ways an upload can go wrong), downloads, removal,
//! explanations of missing evidence, the leader's submission, answers to explanation requests,
//! and who may do what. SQLite always, PostgreSQL when `CHISO_TEST_PG` is set.

use crate::common;

use common::cheap_hash;

use std::path::Path;
use std::sync::{Arc, Mutex};

use chiso_domain::authz::{AppraiserScope, Grant, Role};
use chiso_domain::workflow::{AssessmentState, LeafExplanation};
use chiso_domain::{
    ClassScheme, Clock, GroupName, IndexSet, Membership, Method, NaPolicy, Node, NodeCode,
    PeriodCode, Points, RankingRule, RawValue, SetCode, Source, Tier, TierBasis, UnitCode,
};
use chiso_store::assessments::{self, StateChange};
use chiso_store::audit::{self, AuditFilter};
use chiso_store::leaves::{self, LeafKey};
use chiso_store::periods::{self, Period};
use chiso_store::{Actor, Db, evidence, explanations, grants, index_sets, milestones, users};
use chiso_web::{LocalDiskStore, WebConfig};
use common::browser::{BOUNDARY, Browser, Part, Reply, csrf_of, hidden, multipart};
use common::fixtures::plan_2025;
use common::{Backend, TestApp, backends};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use time::OffsetDateTime;
use time::macros::{date, datetime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PASSWORD: &str = "mat-khau-dung-123";
const PERIOD: &str = "2025";
const SET: &str = "BCS-TDG-2025";
const GROUP: &str = "Sở, ban, ngành";
const PAGE: &str = "/ky/2025/tu-danh-gia/SNV";
const OTHER_PAGE: &str = "/ky/2025/tu-danh-gia/STP";

// ---------------------------------------------------------------------------------------------
// The period: an index set with a leaf of every scoring method, two units, the plan's
// milestones, and people holding every role.

fn code(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
}

fn period() -> PeriodCode {
    PeriodCode::parse(PERIOD).unwrap()
}

fn unit(s: &str) -> UnitCode {
    UnitCode::parse(s).unwrap()
}

struct LeafSpec {
    code: &'static str,
    title: &'static str,
    max: Decimal,
    source: Source,
    method: Method,
    rule: Option<&'static str>,
    evidence: Option<&'static str>,
    na: Option<NaPolicy>,
}

fn leaf(s: LeafSpec) -> Node {
    Node {
        code: code(s.code),
        title: s.title.to_owned(),
        max: Points(s.max),
        source: s.source,
        method: Some(s.method),
        rule: s.rule.map(str::to_owned),
        evidence: s.evidence.map(str::to_owned),
        not_applicable: s.na,
        children: vec![],
    }
}

fn area(c: &str, title: &str, source: Source, children: Vec<Node>) -> Node {
    Node {
        code: code(c),
        title: title.to_owned(),
        max: Points(children.iter().map(|n| n.max.value()).sum()),
        source,
        method: None,
        rule: None,
        evidence: None,
        not_applicable: None,
        children,
    }
}

fn tier(min: Decimal, points: Decimal) -> Tier {
    Tier {
        min,
        below: None,
        points,
    }
}

/// Area 1: yes/no, count, tiers by percentage, proportional, graded. Area 2: manual points in
/// steps, tiers by days late, a deduction, a survey leaf and a monitoring-data leaf. Area 3:
/// bonus points.
fn index_set() -> IndexSet {
    let assessed = |code, title, max, method, rule, evidence, na| {
        leaf(LeafSpec {
            code,
            title,
            max,
            source: Source::Assessed,
            method,
            rule,
            evidence,
            na,
        })
    };
    let set = IndexSet {
        code: SetCode::parse(SET).unwrap(),
        name: "Bộ chỉ số CCHC sở, ban, ngành năm 2025".to_owned(),
        year: 2025,
        decision: Some("Quyết định số 100/QĐ-UBND ngày 10/01/2025".to_owned()),
        classes: ClassScheme::common_default(),
        ranking: RankingRule::default(),
        renormalise_absent_areas: false,
        nodes: vec![
            area(
                "1",
                "Công tác chỉ đạo, điều hành cải cách hành chính",
                Source::Assessed,
                vec![
                    assessed(
                        "1.1",
                        "Ban hành kế hoạch CCHC năm",
                        dec!(2),
                        Method::YesNo,
                        Some("Có ban hành kế hoạch: 2 điểm; không ban hành: 0 điểm"),
                        Some("Kế hoạch CCHC năm được phê duyệt"),
                        None,
                    ),
                    assessed(
                        "1.2",
                        "Văn bản chỉ đạo về CCHC",
                        dec!(2),
                        Method::Count {
                            per: dec!(0.5),
                            cap: Some(dec!(2)),
                        },
                        Some("Mỗi văn bản đạt 0,5 điểm, tối đa 2 điểm"),
                        None,
                        None,
                    ),
                    assessed(
                        "1.3",
                        "Tỷ lệ hồ sơ giải quyết đúng hạn",
                        dec!(2),
                        Method::Tiers {
                            basis: TierBasis::Percent,
                            tiers: vec![
                                tier(dec!(100), dec!(2)),
                                tier(dec!(95), dec!(1.5)),
                                tier(dec!(90), dec!(1)),
                                tier(dec!(0), dec!(0)),
                            ],
                        },
                        Some("100 %: 2 điểm; 95–<100 %: 1,5; 90–<95 %: 1; dưới 90 %: 0"),
                        Some("Sổ theo dõi giải quyết hồ sơ"),
                        Some(NaPolicy::Exclude),
                    ),
                    assessed(
                        "1.4",
                        "Tỷ lệ nhiệm vụ hoàn thành",
                        dec!(2),
                        Method::Proportional,
                        Some("Điểm = 2 × tỷ lệ nhiệm vụ hoàn thành"),
                        None,
                        None,
                    ),
                    assessed(
                        "1.5",
                        "Mức độ hoàn thành kế hoạch tuyên truyền",
                        dec!(2),
                        Method::Graded {
                            grades: Method::default_grades(),
                        },
                        None,
                        None,
                        None,
                    ),
                ],
            ),
            area(
                "2",
                "Cải cách thủ tục hành chính",
                Source::Assessed,
                vec![
                    assessed(
                        "2.1",
                        "Rà soát, đơn giản hóa thủ tục hành chính",
                        dec!(4),
                        Method::Manual {
                            step: Some(dec!(0.25)),
                        },
                        Some("Chấm từ 0 đến 4 điểm, bước 0,25"),
                        Some("Báo cáo kết quả rà soát"),
                        None,
                    ),
                    assessed(
                        "2.2",
                        "Báo cáo tình hình kiểm soát thủ tục hành chính",
                        dec!(2),
                        Method::Tiers {
                            basis: TierBasis::DaysLate {
                                deadline: date!(2025 - 01 - 15),
                            },
                            tiers: vec![
                                tier(dec!(0), dec!(2)),
                                tier(dec!(1), dec!(1)),
                                tier(dec!(10), dec!(0)),
                            ],
                        },
                        Some("Gửi đúng hạn 15/01/2025: 2 điểm; trễ dưới 10 ngày: 1; từ 10 ngày: 0"),
                        None,
                        None,
                    ),
                    assessed(
                        "2.3",
                        "Vi phạm trong giải quyết thủ tục hành chính",
                        dec!(2),
                        Method::Deduction { per: dec!(0.5) },
                        Some("Mỗi vi phạm trừ 0,5 điểm"),
                        None,
                        None,
                    ),
                    leaf(LeafSpec {
                        code: "2.4",
                        title: "Mức độ hài lòng của người dân",
                        max: dec!(2),
                        source: Source::Survey,
                        method: Method::Survey,
                        rule: Some("Theo kết quả điều tra xã hội học"),
                        evidence: None,
                        na: None,
                    }),
                    leaf(LeafSpec {
                        code: "2.5",
                        title: "Tỷ lệ hồ sơ trực tuyến toàn trình",
                        max: dec!(2),
                        source: Source::Data,
                        method: Method::Proportional,
                        rule: Some("Theo số liệu của Cổng dịch vụ công"),
                        evidence: None,
                        na: None,
                    }),
                ],
            ),
            area(
                "3",
                "Điểm thưởng",
                Source::Bonus,
                vec![leaf(LeafSpec {
                    code: "3.1",
                    title: "Sáng kiến cải cách hành chính",
                    max: dec!(1),
                    source: Source::Bonus,
                    method: Method::Bonus,
                    rule: Some("Tối đa 1 điểm"),
                    evidence: None,
                    na: None,
                })],
            ),
        ],
    };
    assert_eq!(set.validate(), Ok(()), "the test set is valid");
    set
}

/// Inside the self-assessment window.
const SELF_WINDOW: OffsetDateTime = datetime!(2025-02-10 03:00 UTC);
/// After the self-assessment deadline, before appraisal.
const AFTER_DEADLINE: OffsetDateTime = datetime!(2025-03-01 10:00 UTC);
/// Inside the explanation window.
const EXPLANATION_WINDOW: OffsetDateTime = datetime!(2025-03-25 03:00 UTC);
/// After the explanation window.
const AFTER_EXPLANATIONS: OffsetDateTime = datetime!(2025-04-05 03:00 UTC);

/// The people of the period and their roles.
fn people() -> Vec<(&'static str, &'static str, Role)> {
    vec![
        (
            "can-bo",
            "Trần Văn Cán",
            Role::UnitOfficer { unit: unit("SNV") },
        ),
        (
            "lanh-dao",
            "Lê Thị Lãnh",
            Role::UnitLeader { unit: unit("SNV") },
        ),
        (
            "can-bo-stp",
            "Phạm Văn Tư",
            Role::UnitOfficer { unit: unit("STP") },
        ),
        ("quan-sat", "Đỗ Thị Quan", Role::Observer),
        (
            "tham-dinh",
            "Hoàng Văn Thẩm",
            Role::Appraiser {
                scope: AppraiserScope {
                    units: Some(vec![unit("SNV")]),
                    areas: Some(vec![code("2")]),
                },
            },
        ),
        (
            "tham-dinh-stp",
            "Vũ Thị Định",
            Role::Appraiser {
                scope: AppraiserScope::units([unit("STP")]),
            },
        ),
    ]
}

/// Sets up period 2025 on top of the seeded province.
async fn seed_period(db: &Db) {
    let actor = Actor("test".to_owned());
    let at = datetime!(2025-01-02 01:00 UTC);
    index_sets::save(db, &index_set(), &actor, at)
        .await
        .expect("index set");
    let p = Period {
        code: period(),
        year: 2025,
        name: "Chỉ số CCHC năm 2025".to_owned(),
        previous: Some(PeriodCode::parse("2024").unwrap()),
        status: periods::STATUS_DRAFT.to_owned(),
        decision: None,
        computed_at: None,
    };
    periods::create(db, &p, &actor, at).await.expect("period");
    let group = GroupName::parse(GROUP).unwrap();
    let members = ["SNV", "STP"]
        .into_iter()
        .map(|u| Membership {
            unit: unit(u),
            group: group.clone(),
            ranked: true,
        })
        .collect::<Vec<_>>();
    periods::set_groups(
        db,
        &period(),
        &[(group.clone(), SetCode::parse(SET).unwrap())],
        &members,
        &actor,
        at,
    )
    .await
    .expect("groups");
    milestones::set_all(db, &period(), &plan_2025(), &actor, at)
        .await
        .expect("milestones");
    for (login, name, role) in people() {
        users::create(db, login, name, &cheap_hash(PASSWORD), false, &actor, at)
            .await
            .expect("user");
        grants::grant(db, login, &Grant::in_period(role, period()), &actor, at)
            .await
            .expect("grant");
    }
}

/// A clock the test moves from one phase of the plan to the next.
#[derive(Debug)]
struct TestClock(Mutex<OffsetDateTime>);

impl TestClock {
    fn set(&self, at: OffsetDateTime) {
        *self.0.lock().unwrap() = at;
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

/// A running application with the period set up, its evidence store in a temporary folder.
struct Cycle {
    app: TestApp,
    clock: Arc<TestClock>,
    evidence_dir: tempfile::TempDir,
}

impl Cycle {
    async fn start(backend: &Backend) -> Cycle {
        Self::start_with_limit(backend, chiso_web::DEFAULT_UPLOAD_LIMIT).await
    }

    async fn start_with_limit(backend: &Backend, limit: u64) -> Cycle {
        Self::start_with_limits(backend, limit, WebConfig::default().body_limit).await
    }

    /// With a per-file evidence limit and a per-request body limit, as `chiso serve` sets them.
    async fn start_with_limits(backend: &Backend, limit: u64, body_limit: usize) -> Cycle {
        let evidence_dir = tempfile::tempdir().expect("evidence folder");
        let store = LocalDiskStore::open(evidence_dir.path())
            .await
            .expect("evidence store");
        let clock = Arc::new(TestClock(Mutex::new(SELF_WINDOW)));
        let config = WebConfig {
            clock: clock.clone(),
            evidence_store: Some(Arc::new(store)),
            evidence_limit: limit,
            body_limit,
            // The clock jumps weeks ahead between phases; sessions must outlive that.
            session_idle: time::Duration::days(400),
            ..WebConfig::default()
        };
        let app = TestApp::start_with(backend, config, true).await;
        seed_period(app.db()).await;
        Cycle {
            app,
            clock,
            evidence_dir,
        }
    }

    fn db(&self) -> &Db {
        self.app.db()
    }

    /// A browser signed in as `login`.
    async fn browser(&self, login: &str) -> Browser {
        let mut b = Browser::new(&self.app.base);
        let r = b
            .submit(
                "/dang-nhap",
                "/dang-nhap",
                &[("login", login), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "sign-in of {login}: {}",
            r.body
        );
        b
    }

    /// Every regular file of the evidence store (blobs and temporary files).
    fn stored_files(&self) -> Vec<std::path::PathBuf> {
        files_under(self.evidence_dir.path())
    }

    async fn stop(self) {
        self.app.stop().await;
    }
}

fn files_under(root: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
            } else {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    found
}

/// Everything the unit's side of the cycle can change in the database, as text: a refused
/// request must leave it exactly as it was.
async fn snapshot(db: &Db) -> String {
    let mut out = String::new();
    for u in ["SNV", "STP"] {
        let unit = unit(u);
        out.push_str(&format!(
            "{:?}\n{:?}\n{:?}\n",
            assessments::get(db, &period(), &unit).await.unwrap(),
            leaves::list(db, &period(), &unit).await.unwrap(),
            evidence::list(db, &period(), &unit, None, true)
                .await
                .unwrap(),
        ));
    }
    out.push_str(&format!(
        "{:?}\n",
        explanations::list(db, &period(), None).await.unwrap()
    ));
    let log = audit::list(
        db,
        &AuditFilter {
            period: Some(period()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    out.push_str(&format!("{} audit entries\n", log.len()));
    out
}

// ---------------------------------------------------------------------------------------------
// A browser: keeps the session cookie, reads CSRF tokens and leaf signatures from pages, posts
// forms and hand-built multipart bodies.

/// Steps on the self-assessment page of SNV.
trait SnvPage {
    /// Uploads files to a leaf of SNV with this session's token.
    async fn upload(&mut self, node: &str, files: &[(&str, &[u8])]) -> Reply;
}

impl SnvPage for Browser {
    async fn upload(&mut self, node: &str, files: &[(&str, &[u8])]) -> Reply {
        let token = self.token().await;
        let mut parts = vec![Part::Text("csrf", &token)];
        for (name, content) in files {
            parts.push(Part::File("file", name, content));
        }
        self.post_multipart(&format!("{PAGE}/tieu-chi/{node}/minh-chung"), &parts)
            .await
    }
}

/// The posted fields of one leaf block: its version and signature as shown on `page`, and the
/// given values.
fn leaf_fields(page: &str, node: &str, values: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out = vec![
        (
            format!("version:{node}"),
            hidden(page, &format!("version:{node}")),
        ),
        (format!("sig:{node}"), hidden(page, &format!("sig:{node}"))),
    ];
    for (field, value) in values {
        out.push((format!("{field}:{node}"), (*value).to_owned()));
    }
    out
}

fn as_refs(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Loads the page, then saves the given leaves (`only` one leaf when given).
async fn save_leaves(
    b: &mut Browser,
    leaves: &[(&str, &[(&str, &str)])],
    only: Option<&str>,
) -> Reply {
    let page = b.get(PAGE).await.body;
    post_leaves(b, &page, leaves, only).await
}

/// Saves the given leaves from an already loaded page.
async fn post_leaves(
    b: &mut Browser,
    page: &str,
    leaves: &[(&str, &[(&str, &str)])],
    only: Option<&str>,
) -> Reply {
    let mut pairs = vec![("csrf".to_owned(), csrf_of(page))];
    for (node, values) in leaves {
        pairs.extend(leaf_fields(page, node, values));
    }
    if let Some(o) = only {
        pairs.push(("only".to_owned(), o.to_owned()));
    }
    b.post(PAGE, &as_refs(&pairs)).await
}

// ---------------------------------------------------------------------------------------------
// Files of every accepted kind, and impostors.

fn pdf(fill: u8, len: usize) -> Vec<u8> {
    let mut b = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    b.resize(len, fill);
    b
}

fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    b.resize(200, 7);
    b
}

fn exe() -> Vec<u8> {
    let mut b = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    b.resize(512, 0);
    b
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A ZIP archive (entries stored uncompressed) holding the named entries.
fn zip_with(entries: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    let content = b"<x/>";
    let crc = crc32(content);
    let len = u32::try_from(content.len()).unwrap();
    for name in entries {
        let offset = u32::try_from(out.len()).unwrap();
        let name_len = u16::try_from(name.len()).unwrap();
        out.extend_from_slice(&0x0403_4b50_u32.to_le_bytes());
        out.extend_from_slice(&20_u16.to_le_bytes());
        out.extend_from_slice(&0_u16.to_le_bytes());
        out.extend_from_slice(&0_u16.to_le_bytes());
        out.extend_from_slice(&0_u16.to_le_bytes());
        out.extend_from_slice(&0x21_u16.to_le_bytes());
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0_u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(content);

        central.extend_from_slice(&0x0201_4b50_u32.to_le_bytes());
        central.extend_from_slice(&20_u16.to_le_bytes());
        central.extend_from_slice(&20_u16.to_le_bytes());
        central.extend_from_slice(&0_u16.to_le_bytes());
        central.extend_from_slice(&0_u16.to_le_bytes());
        central.extend_from_slice(&0_u16.to_le_bytes());
        central.extend_from_slice(&0x21_u16.to_le_bytes());
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&len.to_le_bytes());
        central.extend_from_slice(&len.to_le_bytes());
        central.extend_from_slice(&name_len.to_le_bytes());
        central.extend_from_slice(&[0; 12]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = u32::try_from(out.len()).unwrap();
    let cd_len = u32::try_from(central.len()).unwrap();
    let n = u16::try_from(entries.len()).unwrap();
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50_u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&cd_len.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0_u16.to_le_bytes());
    out
}

fn docx() -> Vec<u8> {
    zip_with(&[
        "[Content_Types].xml",
        "_rels/.rels",
        "word/document.xml",
        "docProps/core.xml",
    ])
}

fn xlsx() -> Vec<u8> {
    zip_with(&[
        "[Content_Types].xml",
        "_rels/.rels",
        "xl/workbook.xml",
        "xl/worksheets/sheet1.xml",
    ])
}

// ---------------------------------------------------------------------------------------------
// Reading the database.

async fn stored_leaf(db: &Db, node: &str) -> Option<leaves::StoredLeaf> {
    leaves::get(
        db,
        &LeafKey {
            period: period(),
            unit: unit("SNV"),
            node: code(node),
        },
    )
    .await
    .unwrap()
}

async fn self_points(db: &Db, node: &str) -> Option<Decimal> {
    stored_leaf(db, node)
        .await
        .and_then(|l| l.self_assessment.points)
        .map(Points::value)
}

async fn state(db: &Db) -> Option<AssessmentState> {
    assessments::get(db, &period(), &unit("SNV"))
        .await
        .unwrap()
        .map(|a| a.state)
}

async fn files_of(db: &Db, node: &str) -> Vec<evidence::Evidence> {
    evidence::list(db, &period(), &unit("SNV"), Some(&code(node)), false)
        .await
        .unwrap()
}

/// The area-1 values of the full flow: every method of the area.
const AREA_1: [(&str, &[(&str, &str)]); 5] = [
    ("1.1", &[("value", "yes")]),
    ("1.2", &[("value", "3")]),
    ("1.3", &[("num", "45"), ("den", "47")]),
    ("1.4", &[("num", "9"), ("den", "10")]),
    ("1.5", &[("value", "T")]),
];

/// Fills every leaf the unit enters.
async fn fill_everything(b: &mut Browser) {
    let r = save_leaves(b, &AREA_1, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = save_leaves(
        b,
        &[
            (
                "2.1",
                &[("value", "3,25"), ("data", "12/14 thủ tục đã rà soát")],
            ),
            ("2.2", &[("value", "20/01/2025")]),
            ("2.3", &[("value", "1")]),
            ("3.1", &[("value", "0,5")]),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

// ---------------------------------------------------------------------------------------------
// The flow.

#[tokio::test]
async fn an_officer_fills_every_method_uploads_evidence_explains_what_is_missing_and_the_leader_submits()
 {
    for backend in backends() {
        let c = Cycle::start(&backend).await;
        let db = c.db().clone();
        let mut officer = c.browser("can-bo").await;

        // The page: every leaf with its rule, maximum, evidence requirement and an input that
        // fits its method; survey and data leaves read-only.
        let page = officer.get(PAGE).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        page.assert_has(&[
            "Tự đánh giá — Sở Nội vụ",
            "Chỉ số CCHC năm 2025",
            "Chưa bắt đầu",
            "đến hết ngày 28/02/2025",
            "Có ban hành kế hoạch: 2 điểm; không ban hành: 0 điểm",
            "Kế hoạch CCHC năm được phê duyệt",
            "name=\"value:1.1\" value=\"yes\"",
            "name=\"value:1.1\" value=\"no\"",
            "name=\"value:1.2\"",
            "name=\"num:1.3\"",
            "name=\"den:1.3\"",
            "name=\"na:1.3\"",
            "<select id=\"value-1.5\" name=\"value:1.5\">",
            "Hoàn thành tốt (75 %)",
            "name=\"value:2.1\"",
            "bước chấm 0,25",
            "placeholder=\"dd/mm/yyyy\"",
            "name=\"value:3.1\"",
            "Điểm tiêu chí này lấy từ kết quả điều tra xã hội học",
            "Điểm tiêu chí này lấy từ số liệu theo dõi",
            "/static/cycle.js?v=",
            "data-preview=\"/ky/2025/tu-danh-gia/SNV/xem-truoc\"",
        ]);
        assert!(
            !page.body.contains("name=\"value:2.4\""),
            "survey leaves are read-only"
        );
        assert!(
            !page.body.contains("name=\"num:2.5\""),
            "data leaves are read-only"
        );
        assert!(
            !page.body.contains("name=\"na:1.2\""),
            "1.2 refuses not applicable"
        );
        assert!(
            !page
                .body
                .contains("action=\"/ky/2025/tu-danh-gia/SNV/nop\""),
            "only the leader submits"
        );

        // The live preview: points, sentence, percentage and totals of typed values.
        let token = csrf_of(&page.body);
        let preview = officer
            .post(
                &format!("{PAGE}/xem-truoc"),
                &[
                    ("csrf", token.as_str()),
                    ("value:1.2", "5"),
                    ("num:1.3", "45"),
                    ("den:1.3", "47"),
                    ("value:2.1", "3,3"),
                ],
            )
            .await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
        let v: serde_json::Value = serde_json::from_str(&preview.body).unwrap();
        let leaf = |n: &str| {
            v["leaves"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["node"] == n)
                .unwrap()
                .clone()
        };
        assert_eq!(leaf("1.2")["points"], "2,00");
        assert_eq!(
            leaf("1.2")["sentence"],
            "5 × 0,5 = 2,5, tối đa 2 → 2/2 điểm"
        );
        assert_eq!(leaf("1.3")["percent"], "95,74 %");
        assert_eq!(
            leaf("1.3")["sentence"],
            "45/47 = 95,74 % ≥ 95 % → 1,5/2 điểm"
        );
        assert_eq!(
            leaf("2.1")["error"],
            "Điểm 3,3 không phải bội số của bước chấm 0,25."
        );
        assert_eq!(v["total"], "3,50");
        assert_eq!(
            self_points(&db, "1.2").await,
            None,
            "a preview saves nothing"
        );

        // Saving area 1 as a draft, then the rest leaf by leaf or together.
        let r = save_leaves(&mut officer, &AREA_1, None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, format!("{PAGE}?ok=saved&n=5#leaf-1.1"));
        assert_eq!(state(&db).await, Some(AssessmentState::Draft));
        assert_eq!(self_points(&db, "1.1").await, Some(dec!(2)));
        assert_eq!(self_points(&db, "1.2").await, Some(dec!(1.5)));
        assert_eq!(self_points(&db, "1.3").await, Some(dec!(1.5)));
        assert_eq!(self_points(&db, "1.4").await, Some(dec!(1.8)));
        assert_eq!(self_points(&db, "1.5").await, Some(dec!(1.5)));

        let r = save_leaves(
            &mut officer,
            &[(
                "2.1",
                &[
                    ("value", "3,25"),
                    ("data", "12/14 thủ tục đã rà soát"),
                    ("note", "Đã trình UBND tỉnh"),
                ],
            )],
            Some("2.1"),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, format!("{PAGE}?ok=saved&n=1#leaf-2.1"));
        let l = stored_leaf(&db, "2.1").await.unwrap();
        assert_eq!(
            l.self_assessment.declared_data.as_deref(),
            Some("12/14 thủ tục đã rà soát")
        );
        assert_eq!(
            l.self_assessment.note.as_deref(),
            Some("Đã trình UBND tỉnh")
        );
        assert_eq!(l.self_by.as_deref(), Some("can-bo"));
        fill_everything(&mut officer).await;
        assert_eq!(self_points(&db, "2.2").await, Some(dec!(1)));
        assert_eq!(self_points(&db, "2.3").await, Some(dec!(1.5)));
        assert_eq!(self_points(&db, "3.1").await, Some(dec!(0.5)));

        let page = officer.get(&format!("{PAGE}?ok=saved&n=5")).await;
        page.assert_has(&[
            "Đã lưu nháp 5 tiêu chí.",
            "Đang tự đánh giá (bản nháp)",
            "Có → 2/2 điểm",
            "3 × 0,5 = 1,5 → 1,5/2 điểm",
            "45/47 = 95,74 % ≥ 95 % → 1,5/2 điểm",
            "2 × 90 % → 1,8/2 điểm",
            "Hoàn thành tốt (75 %) → 1,5/2 điểm",
            "Chấm 3,25/4 điểm",
            "Gửi ngày 20/01/2025, hạn 15/01/2025: trễ 5 ngày → 1/2 điểm",
            "1 vi phạm × 0,5 = trừ 0,5 → 1,5/2 điểm",
            "Điểm thưởng 0,5 điểm",
            // 8,30 + 5,75 + 0,5 of 10 + 8.
            "<strong id=\"total-points\">14,55</strong> / <span id=\"total-max\">18,00</span>",
            "<span id=\"area-pts-1\">8,30</span>",
            "Lưu lần cuối bởi Trần Văn Cán (can-bo)",
            "value=\"3,25\"",
            "12/14 thủ tục đã rà soát",
        ]);
        // Saving again without changes writes nothing.
        let r = save_leaves(&mut officer, &AREA_1, None).await;
        assert_eq!(r.location, format!("{PAGE}?ok=unchanged"));

        // Evidence: one file on 1.1, two at once on 2.1; 1.3 stays without.
        let plan_pdf = pdf(b'a', 4000);
        let r = officer
            .upload("1.1", &[("Kế hoạch CCHC 2025.pdf", &plan_pdf)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, format!("{PAGE}?ok=uploaded&n=1#leaf-1.1"));
        let r = officer
            .upload(
                "2.1",
                &[
                    ("anh-chup-bao-cao.png", &png()),
                    ("Báo cáo rà soát.docx", &docx()),
                    ("bang-tong-hop.xlsx", &xlsx()),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(files_of(&db, "1.1").await.len(), 1);
        let on_21 = files_of(&db, "2.1").await;
        assert_eq!(
            on_21
                .iter()
                .map(|e| e.file_name.as_str())
                .collect::<Vec<_>>(),
            [
                "anh-chup-bao-cao.png",
                "Báo cáo rà soát.docx",
                "bang-tong-hop.xlsx"
            ]
        );
        assert_eq!(c.stored_files().len(), 4, "four distinct blobs");
        // The change log names each document, not the hash it is stored under.
        let log = officer.get("/ky/2025/nhat-ky/SNV").await;
        assert_eq!(log.status, StatusCode::OK, "{}", log.body);
        assert!(log.body.contains("Báo cáo rà soát.docx"), "{}", log.body);
        assert!(!log.body.contains("Mã nội dung"), "{}", log.body);

        // Downloads carry the type and a safe attachment name.
        let plan_file = &files_of(&db, "1.1").await[0];
        let d = officer
            .get(&format!("{PAGE}/minh-chung/{}", plan_file.id))
            .await;
        assert_eq!(d.status, StatusCode::OK);
        assert_eq!(d.content_type, "application/pdf");
        assert_eq!(d.bytes, plan_pdf);
        assert!(
            d.disposition.starts_with("attachment; filename=\"Ke hoach CCHC 2025.pdf\"; filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch"),
            "{}",
            d.disposition
        );

        // 1.3 requires evidence and has none: the leader cannot submit before it is explained.
        let mut leader = c.browser("lanh-dao").await;
        let page = leader.get(PAGE).await;
        page.assert_has(&[
            "Thiếu tài liệu kiểm chứng, chưa giải trình (1)",
            "href=\"/ky/2025/tu-danh-gia/SNV#leaf-1.3\"",
            "Chưa nộp được: còn 1 vấn đề cần xử lý",
        ]);
        let version = hidden(&page.body, "version");
        let r = leader
            .post(
                &format!("{PAGE}/nop"),
                &[("csrf", &csrf_of(&page.body)), ("version", &version)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&[
            "Tiêu chí 1.3: chưa có tài liệu kiểm chứng theo yêu cầu; cần giải trình lý do.",
        ]);
        assert_eq!(state(&db).await, Some(AssessmentState::Draft));

        let r = save_leaves(
            &mut officer,
            &[(
                "1.3",
                &[
                    ("num", "45"),
                    ("den", "47"),
                    (
                        "explanation",
                        "Sổ theo dõi bản giấy bị hư hỏng do bão; đang khôi phục.",
                    ),
                ],
            )],
            Some("1.3"),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // The officer may not submit; the leader may.
        let page = officer.get(PAGE).await;
        let r = officer
            .post(
                &format!("{PAGE}/nop"),
                &[
                    ("csrf", &csrf_of(&page.body)),
                    ("version", &hidden(&leader.get(PAGE).await.body, "version")),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(state(&db).await, Some(AssessmentState::Draft));

        let page = leader.get(PAGE).await;
        page.assert_has(&["Đã nhập đủ các tiêu chí"]);
        let r = leader
            .post(
                &format!("{PAGE}/nop"),
                &[
                    ("csrf", &csrf_of(&page.body)),
                    ("version", &hidden(&page.body, "version")),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, format!("{PAGE}?ok=submitted"));
        let a = assessments::get(&db, &period(), &unit("SNV"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.state, AssessmentState::Submitted);
        assert_eq!(a.submitted_by.as_deref(), Some("lanh-dao"));

        // Every change is in the audit log with its reason.
        let log = audit::list(
            &db,
            &AuditFilter {
                period: Some(period()),
                unit: Some(unit("SNV")),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        let reasons = |action: &str| {
            log.iter()
                .filter(|e| e.action == action)
                .map(|e| e.reason.clone().unwrap_or_default())
                .collect::<Vec<_>>()
        };
        assert!(reasons("save_self").iter().all(|r| r == "Lưu nháp"));
        assert_eq!(reasons("save_self").len(), 11, "10 leaves, 1.3 twice");
        assert_eq!(reasons("add").len(), 4);
        assert!(
            reasons("add")
                .iter()
                .all(|r| r == "Tải lên tài liệu kiểm chứng")
        );
        assert_eq!(
            reasons("set_state"),
            ["Nộp tự đánh giá", "Lưu nháp"],
            "newest first"
        );

        // After submission the unit cannot change anything.
        let before = snapshot(&db).await;
        let files_before = c.stored_files();
        let page = officer.get(PAGE).await;
        page.assert_has(&[
            "Đã nộp",
            "Lãnh đạo đơn vị Lê Thị Lãnh (lanh-dao) đã nộp tự đánh giá lúc",
            "Không thể sửa hồ sơ tự đánh giá: Đơn vị đã nộp tự đánh giá, không thể sửa.",
            "<strong>Kết quả:</strong> 45/47 (95,74 %)",
        ]);
        assert!(
            !page.body.contains("name=\"value:1.2\""),
            "no inputs any more"
        );
        assert!(!page.body.contains("cycle.js"), "nothing to preview");
        let token = csrf_of(&page.body);
        let r = officer
            .post(
                PAGE,
                &[
                    ("csrf", token.as_str()),
                    ("version:1.2", "1"),
                    ("sig:1.2", "x"),
                    ("value:1.2", "4"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        r.assert_has(&["Đơn vị đã nộp tự đánh giá, không thể sửa."]);
        let r = officer
            .upload("1.3", &[("so-theo-doi.pdf", &pdf(b'b', 900))])
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        let r = officer
            .post(
                &format!("{PAGE}/minh-chung/{}/go-bo", plan_file.id),
                &[("csrf", token.as_str())],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        let leader_token = leader.token().await;
        let r = leader
            .post(
                &format!("{PAGE}/nop"),
                &[("csrf", leader_token.as_str()), ("version", "2")],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert_eq!(
            snapshot(&db).await,
            before,
            "refused changes change nothing"
        );
        assert_eq!(c.stored_files(), files_before);
        c.stop().await;
    }
}

#[tokio::test]
async fn a_stale_save_is_refused_with_the_current_value_and_who_saved_it() {
    for backend in backends() {
        let c = Cycle::start(&backend).await;
        let db = c.db().clone();
        let mut officer = c.browser("can-bo").await;
        let mut leader = c.browser("lanh-dao").await;

        // Both open the page; the leader saves 1.2 first.
        let officer_page = officer.get(PAGE).await.body;
        let r = save_leaves(&mut leader, &[("1.2", &[("value", "2")])], None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let before = snapshot(&db).await;

        // The officer's save of 1.2, based on the page before, is refused; nothing changes.
        let r = post_leaves(
            &mut officer,
            &officer_page,
            &[("1.2", &[("value", "3")]), ("1.1", &[("value", "yes")])],
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        r.assert_has(&[
            "Tiêu chí 1.2: Lê Thị Lãnh (lanh-dao) đã lưu tiêu chí này lúc 10/02/2025 10:00 (phiên bản 1) sau khi bạn mở trang. Giá trị hiện tại: 2. Giá trị bạn vừa nhập chưa được lưu: 3.",
            // The stale leaf shows the current value; the other keeps what was typed.
            "id=\"value-1.2\" name=\"value:1.2\" type=\"text\" inputmode=\"decimal\" value=\"2\"",
            "name=\"value:1.1\" value=\"yes\" checked",
        ]);
        assert_eq!(snapshot(&db).await, before);
        assert_eq!(self_points(&db, "1.2").await, Some(dec!(1)));

        // Leaves the officer did not touch are not saved over the leader's newer value: saving
        // the whole area from the old page only writes 1.1.
        let r = post_leaves(
            &mut officer,
            &officer_page,
            &[("1.1", &[("value", "yes")]), ("1.2", &[])],
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(self_points(&db, "1.1").await, Some(dec!(2)));
        assert_eq!(self_points(&db, "1.2").await, Some(dec!(1)));
        assert_eq!(
            stored_leaf(&db, "1.2").await.unwrap().self_by.as_deref(),
            Some("lanh-dao")
        );

        // A reloaded page carries the new version and saves.
        let r = save_leaves(&mut officer, &[("1.2", &[("value", "3")])], Some("1.2")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let l = stored_leaf(&db, "1.2").await.unwrap();
        assert_eq!((l.self_version, l.self_by.as_deref()), (2, Some("can-bo")));
        c.stop().await;
    }
}

#[tokio::test]
async fn invalid_values_are_refused_naming_the_criterion_and_keep_what_was_typed() {
    for backend in backends() {
        let c = Cycle::start(&backend).await;
        let db = c.db().clone();
        let mut officer = c.browser("can-bo").await;
        let before = snapshot(&db).await;
        let r = save_leaves(
            &mut officer,
            &[
                ("1.1", &[("value", "yes")]),
                ("1.2", &[("value", "ba")]),
                ("1.3", &[("num", "50"), ("den", "47")]),
                ("1.4", &[("num", "9")]),
                ("1.5", &[("value", "XYZ")]),
            ],
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&[
            "Tiêu chí 1.2: “ba” không phải là số.",
            "Tiêu chí 1.3: Tỷ lệ 50/47: tử số lớn hơn mẫu số.",
            "Tiêu chí 1.4: Hãy nhập cả tử số và mẫu số.",
            "Tiêu chí 1.5: “XYZ” không phải mức đánh giá hợp lệ (dùng: XS, T, HT, KHT).",
            "value=\"ba\"",
            "value=\"50\"",
        ]);
        let r = save_leaves(
            &mut officer,
            &[("2.1", &[("value", "4,5")]), ("1.2", &[("na", "1")])],
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&[
            "Tiêu chí 2.1: Điểm 4,5 vượt điểm tối đa 4.",
            "Tiêu chí 1.2: Tiêu chí này không cho phép khai “Không phát sinh”.",
        ]);
        assert_eq!(snapshot(&db).await, before, "nothing saved, not even 1.1");

        // In English, the same refusal in the second language.
        let page = officer.get(&format!("{PAGE}?lang=en")).await;
        page.assert_has(&["Self-assessment — Sở Nội vụ", "Criteria without a value"]);
        let r = save_leaves(&mut officer, &[("1.2", &[("value", "-1")])], None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_has(&["Criterion 1.2: The value -1 must not be negative."]);

        // "Not applicable" where the leaf allows it: dropped from the maximum.
        officer.get(&format!("{PAGE}?lang=vi")).await;
        let r = save_leaves(&mut officer, &[("1.3", &[("na", "1")])], None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = officer.get(PAGE).await;
        page.assert_has(&[
            "Không phát sinh → không tính vào điểm tối đa",
            "<span id=\"total-max\">16,00</span>",
        ]);
        c.stop().await;
    }
}

/// The value of the input named `name` on a page (`value:1.2`, `num:1.3`…).
fn shown(page: &str, name: &str) -> String {
    let at = page
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no input {name} in:\n{page}"));
    let rest = &page[at..page[at..].find('>').map_or(page.len(), |e| at + e)];
    let marker = "value=\"";
    let start = rest
        .find(marker)
        .unwrap_or_else(|| panic!("input {name} has no value: {rest}"))
        + marker.len();
    rest[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn numbers_are_read_the_vietnamese_way_and_a_number_with_two_readings_is_refused() {
    for backend in backends() {
        let c = Cycle::start(&backend).await;
        let db = c.db().clone();
        let mut officer = c.browser("can-bo").await;
        let before = snapshot(&db).await;
        // A count with decimals, and a ratio and points whose dot could group thousands or
        // be an English-style decimal point.
        let typed: &[(&str, &[(&str, &str)])] = &[
            ("1.2", &[("value", "2,5")]),
            ("1.3", &[("num", "1.200"), ("den", "1.500")]),
            ("2.1", &[("value", "1.250")]),
            ("2.3", &[("value", "0,5")]),
        ];
        let r = save_leaves(&mut officer, typed, None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&[
            "Tiêu chí 1.2: “2,5”: số lượng phải là số nguyên.",
            "Tiêu chí 1.3: Tử số: “1.200” có hai cách hiểu: 1200 (dấu chấm ngăn cách hàng \
             nghìn) hoặc 1,2 (dấu chấm là dấu thập phân kiểu tiếng Anh). Hãy viết 1200 hoặc 1,2.",
            "Tiêu chí 2.1: “1.250” có hai cách hiểu: 1250 (dấu chấm ngăn cách hàng nghìn) hoặc \
             1,25 (dấu chấm là dấu thập phân kiểu tiếng Anh). Hãy viết 1250 hoặc 1,25.",
            "Tiêu chí 2.3: “0,5”: số lượng phải là số nguyên.",
            "value=\"1.200\"",
            "value=\"2,5\"",
        ]);
        assert_eq!(snapshot(&db).await, before, "nothing saved");

        // The same refusals in English, numbers still written the Vietnamese way.
        officer.get(&format!("{PAGE}?lang=en")).await;
        let r = save_leaves(&mut officer, typed, None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&[
            "Criterion 1.2: “2,5”: a count must be a whole number.",
            "Criterion 1.3: Numerator: “1.200” can be read two ways: 1200 (the dot separating \
             thousands) or 1,2 (the dot as an English-style decimal point). Write 1200 or 1,2",
            "Criterion 2.1: “1.250” can be read two ways: 1250",
            "Criterion 2.3: “0,5”: a count must be a whole number.",
        ]);
        let r = save_leaves(
            &mut officer,
            &[("1.4", &[("num", "3"), ("den", "1,2,3")])],
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&[
            "Criterion 1.4: Denominator: “1,2,3” is not a number written the Vietnamese way",
        ]);
        assert_eq!(snapshot(&db).await, before, "nothing saved");
        officer.get(&format!("{PAGE}?lang=vi")).await;

        // A thousands dot in a count has one reading; so has a dot that cannot group thousands.
        let r = save_leaves(
            &mut officer,
            &[
                ("1.2", &[("value", "1.200")]),
                ("1.3", &[("num", "1.234,5"), ("den", "1.300")]),
                ("2.1", &[("value", "1.5")]),
            ],
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["Tiêu chí 1.3: Mẫu số: “1.300” có hai cách hiểu"]);
        let r = save_leaves(
            &mut officer,
            &[
                ("1.2", &[("value", "1.200")]),
                ("1.3", &[("num", "1.234,5"), ("den", "1300")]),
                ("2.1", &[("value", "1.5")]),
            ],
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let input = |l: Option<leaves::StoredLeaf>| l.unwrap().self_assessment.input.unwrap();
        assert_eq!(
            input(stored_leaf(&db, "1.2").await),
            RawValue::Count(dec!(1200))
        );
        assert_eq!(
            input(stored_leaf(&db, "1.3").await),
            RawValue::Ratio {
                num: dec!(1234.5),
                den: dec!(1300)
            }
        );
        assert_eq!(
            input(stored_leaf(&db, "2.1").await),
            RawValue::Points(dec!(1.5))
        );
        c.stop().await;
    }
}

#[tokio::test]
async fn values_shown_on_the_page_save_back_to_the_same_values() {
    for backend in backends() {
        let c = Cycle::start(&backend).await;
        let db = c.db().clone();
        let mut officer = c.browser("can-bo").await;
        let r = save_leaves(
            &mut officer,
            &[
                ("1.2", &[("value", "1.234")]),
                ("1.3", &[("num", "1.234,5"), ("den", "2.000,25")]),
                ("1.4", &[("num", "0,5"), ("den", "1")]),
                ("2.1", &[("value", "3,75")]),
                ("2.3", &[("value", "12.000")]),
                ("3.1", &[("value", "0,25")]),
            ],
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let nodes = ["1.2", "1.3", "1.4", "2.1", "2.3", "3.1"];
        let mut stored = Vec::new();
        for n in nodes {
            stored.push(stored_leaf(&db, n).await.unwrap());
        }
        assert_eq!(
            stored[0].self_assessment.input,
            Some(RawValue::Count(dec!(1234)))
        );
        assert_eq!(
            stored[1].self_assessment.input,
            Some(RawValue::Ratio {
                num: dec!(1234.5),
                den: dec!(2000.25)
            })
        );

        // The page shows each number so that it reads back as itself.
        let page = officer.get(PAGE).await.body;
        assert_eq!(shown(&page, "value:1.2"), "1234");
        assert_eq!(shown(&page, "num:1.3"), "1234,5");
        assert_eq!(shown(&page, "den:1.3"), "2000,25");
        assert_eq!(shown(&page, "value:2.3"), "12000");
        // Saved again as shown, with only a note added so that every value is read again.
        let mut pairs = vec![("csrf".to_owned(), csrf_of(&page))];
        for n in nodes {
            let mut values = vec![("note", "Đã rà soát lại".to_owned())];
            for field in ["value", "num", "den"] {
                let name = format!("{field}:{n}");
                if page.contains(&format!("name=\"{name}\"")) {
                    values.push((field, shown(&page, &name)));
                }
            }
            let refs: Vec<(&str, &str)> = values.iter().map(|(f, v)| (*f, v.as_str())).collect();
            pairs.extend(leaf_fields(&page, n, &refs));
        }
        let r = officer.post(PAGE, &as_refs(&pairs)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, format!("{PAGE}?ok=saved&n=6#leaf-1.2"));
        for (n, before) in nodes.iter().zip(&stored) {
            let after = stored_leaf(&db, n).await.unwrap();
            assert_eq!(
                after.self_assessment.input, before.self_assessment.input,
                "{n} unchanged"
            );
            assert_eq!(after.self_assessment.points, before.self_assessment.points);
            assert_eq!(
                after.self_version,
                before.self_version + 1,
                "{n} saved again"
            );
        }
        c.stop().await;
    }
}

#[tokio::test]
async fn edits_are_refused_after_the_self_assessment_deadline() {
    for backend in backends() {
        let c = Cycle::start(&backend).await;
        let db = c.db().clone();
        let mut officer = c.browser("can-bo").await;
        let r = save_leaves(&mut officer, &[("1.1", &[("value", "yes")])], None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = officer
            .upload("1.1", &[("ke-hoach.pdf", &pdf(b'k', 700))])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let open_page = officer.get(PAGE).await.body;
        let file = files_of(&db, "1.1").await[0].id;

        c.clock.set(AFTER_DEADLINE);
        let before = snapshot(&db).await;
        let page = officer.get(PAGE).await;
        page.assert_has(&[
            "Không thể sửa hồ sơ tự đánh giá: Đã hết hạn tự đánh giá.",
            "Đã hết hạn tự đánh giá, chờ thẩm định",
        ]);
        assert!(!page.body.contains("name=\"value:1.1\""));
        let r = post_leaves(
            &mut officer,
            &open_page,
            &[("1.2", &[("value", "1")])],
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        r.assert_has(&["Đã hết hạn tự đánh giá."]);
        let r = officer
            .upload("1.1", &[("bo-sung.pdf", &pdf(b'm', 700))])
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        let token = officer.token().await;
        let r = officer
            .post(
                &format!("{PAGE}/minh-chung/{file}/go-bo"),
                &[("csrf", token.as_str())],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        let mut leader = c.browser("lanh-dao").await;
        let page = leader.get(PAGE).await.body;
        let r = leader
            .post(
                &format!("{PAGE}/nop"),
                &[
                    ("csrf", &csrf_of(&page)),
                    ("version", &hidden(&page, "version")),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert_eq!(snapshot(&db).await, before);

        // Once the period is published nothing of it changes, whatever the milestones say.
        c.clock.set(SELF_WINDOW);
        let p = periods::get(&db, &period()).await.unwrap().unwrap();
        let published = Period {
            status: periods::STATUS_PUBLISHED.to_owned(),
            ..p
        };
        periods::update(&db, &published, &Actor::system(), SELF_WINDOW)
            .await
            .unwrap();
        let before = snapshot(&db).await;
        let page = officer.get(PAGE).await;
        page.assert_has(&["Kết quả đã công bố, không thể thay đổi."]);
        let r = post_leaves(
            &mut officer,
            &open_page,
            &[("1.2", &[("value", "1")])],
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        r.assert_has(&["Kết quả đã công bố, không thể thay đổi."]);
        assert_eq!(snapshot(&db).await, before);
        c.stop().await;
    }
}

#[tokio::test]
async fn removing_evidence_is_soft_and_audited_with_its_reason() {
    for backend in backends() {
        let c = Cycle::start(&backend).await;
        let db = c.db().clone();
        let mut officer = c.browser("can-bo").await;
        let content = pdf(b'r', 1500);
        let r = officer.upload("1.1", &[("nham-tep.pdf", &content)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let id = files_of(&db, "1.1").await[0].id;
        let page = officer.get(PAGE).await;
        page.assert_has(&[
            "nham-tep.pdf",
            &format!("action=\"{PAGE}/minh-chung/{id}/go-bo\""),
            &format!("form=\"rm-{id}\""),
        ]);
        let r = officer
            .post(
                &format!("{PAGE}/minh-chung/{id}/go-bo"),
                &[
                    ("csrf", &csrf_of(&page.body)),
                    ("reason", "Tải nhầm tệp của năm trước"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, format!("{PAGE}?ok=removed#leaf-1.1"));
        assert!(files_of(&db, "1.1").await.is_empty());
        let kept = evidence::get(&db, id).await.unwrap().unwrap();
        assert_eq!(kept.removed_by.as_deref(), Some("can-bo"));
        assert_eq!(c.stored_files().len(), 1, "the blob stays");
        let log = audit::list(
            &db,
            &AuditFilter {
                period: Some(period()),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        let removal = log.iter().find(|e| e.action == "remove").unwrap();
        assert_eq!(
            removal.reason.as_deref(),
            Some("Tải nhầm tệp của năm trước")
        );
        assert_eq!(removal.actor, "can-bo");
        assert!(removal.old.as_ref().unwrap()["removed_at"].is_null());
        assert!(!removal.new.as_ref().unwrap()["removed_at"].is_null());
        let page = officer.get(PAGE).await;
        assert!(!page.body.contains("nham-tep.pdf"));
        // The removed document is no longer served, to the unit or anyone else, though its
        // row, blob and audit entries stay.
        let download = format!("{PAGE}/minh-chung/{id}");
        assert_eq!(officer.get(&download).await.status, StatusCode::NOT_FOUND);
        let mut leader = c.browser("lanh-dao").await;
        assert_eq!(leader.get(&download).await.status, StatusCode::NOT_FOUND);

        // Removing it again says so and changes nothing.
        let before = snapshot(&db).await;
        let r = officer
            .post(
                &format!("{PAGE}/minh-chung/{id}/go-bo"),
                &[("csrf", &csrf_of(&page.body))],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        r.assert_has(&["Tài liệu này đã được gỡ bỏ trước đó."]);
        assert_eq!(snapshot(&db).await, before);
        c.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Uploads that must be refused.

#[tokio::test]
async fn oversized_disguised_traversing_and_interrupted_uploads_are_refused_and_leave_nothing_behind()
 {
    for backend in backends() {
        let c = Cycle::start_with_limit(&backend, 64 * 1024).await;
        let db = c.db().clone();
        let mut officer = c.browser("can-bo").await;
        let before = snapshot(&db).await;
        let nothing_behind = |what: &str, snap: &str| {
            assert_eq!(
                snap, before,
                "{what}: no row, no audit entry, no state change"
            );
            assert!(
                c.stored_files().is_empty(),
                "{what}: no blob, no temporary file"
            );
        };

        let r = officer
            .upload("1.1", &[("ke-hoach.pdf", &pdf(b'x', 100 * 1024))])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["Tệp “ke-hoach.pdf” vượt quá dung lượng cho phép 64 KB."]);
        nothing_behind("oversized", &snapshot(&db).await);

        let r = officer.upload("1.1", &[("ke-hoach.pdf", &exe())]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["Tệp “ke-hoach.pdf” không phải PDF (nội dung là"]);
        nothing_behind("an executable named .pdf", &snapshot(&db).await);

        let html = b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec();
        let r = officer.upload("1.1", &[("anh.png", &html)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["Tệp “anh.png” không phải ảnh PNG"]);
        nothing_behind("a page named .png", &snapshot(&db).await);

        let r = officer.upload("1.1", &[("chuong-trinh.exe", &exe())]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["Không nhận tệp “chuong-trinh.exe” (loại .exe); chỉ nhận PDF, PNG"]);
        nothing_behind("an executable", &snapshot(&db).await);

        for name in ["../../etc/passwd.pdf", "..\\..\\windows\\win.ini.pdf"] {
            let r = officer.upload("1.1", &[(name, &pdf(b't', 600))]).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{name}: {}",
                r.body
            );
            r.assert_has(&["chứa “..” (trỏ ra ngoài thư mục) nên không được chấp nhận"]);
            nothing_behind(name, &snapshot(&db).await);
        }

        // One bad file refuses the whole batch: the good one is not kept either.
        let r = officer
            .upload(
                "2.1",
                &[("tot.pdf", &pdf(b'g', 600)), ("xau.docx", &pdf(b'h', 600))],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["Tệp “xau.docx” không phải văn bản Word (DOCX)"]);
        nothing_behind("a batch with one bad file", &snapshot(&db).await);

        // A form that breaks off in the middle of a file (no closing boundary).
        let token = officer.token().await;
        let mut body = multipart(&[Part::Text("csrf", &token)]);
        body.truncate(body.len() - format!("--{BOUNDARY}--\r\n").len());
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"dang-do.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&pdf(b'i', 3000));
        let r = officer
            .post_raw_multipart(&format!("{PAGE}/tieu-chi/1.1/minh-chung"), body)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        r.assert_has(&["Việc tải tệp “dang-do.pdf” lên bị gián đoạn"]);
        nothing_behind("a form cut short", &snapshot(&db).await);

        // A connection that drops before the announced body is complete.
        let cookie = officer.cookie.clone().unwrap();
        let mut body = multipart(&[Part::Text("csrf", &token)]);
        body.truncate(body.len() - format!("--{BOUNDARY}--\r\n").len());
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"mat-ket-noi.pdf\"\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&pdf(b'j', 5000));
        let addr = c.app.base.trim_start_matches("http://").to_owned();
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "POST {PAGE}/tieu-chi/1.1/minh-chung HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len() + 50_000
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(&body).await.unwrap();
        stream.shutdown().await.unwrap();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(20),
            stream.read_to_end(&mut answer),
        )
        .await;
        let answer = String::from_utf8_lossy(&answer);
        // The body never completes: the request is refused before any handler stores a byte
        // (or the connection just ends).
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
            "{answer}"
        );
        nothing_behind("a dropped connection", &snapshot(&db).await);

        // And a proper upload still works afterwards.
        let r = officer
            .upload("1.1", &[("ke-hoach.pdf", &pdf(b'o', 600))])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(c.stored_files().len(), 1);
        c.stop().await;
    }
}

/// `n` different small PDFs named `prefix-00.pdf`, `prefix-01.pdf`…
fn many_pdfs(prefix: &str, n: usize) -> Vec<(String, Vec<u8>)> {
    (0..n)
        .map(|i| {
            let content = pdf(prefix.as_bytes()[0], 300 + i);
            (format!("{prefix}-{i:02}.pdf"), content)
        })
        .collect()
}

fn as_files(files: &[(String, Vec<u8>)]) -> Vec<(&str, &[u8])> {
    files
        .iter()
        .map(|(n, c)| (n.as_str(), c.as_slice()))
        .collect()
}

#[tokio::test]
async fn too_many_files_in_one_upload_or_on_one_leaf_are_refused_and_leave_nothing_behind() {
    for backend in backends() {
        let c = Cycle::start(&backend).await;
        let db = c.db().clone();
        let mut officer = c.browser("can-bo").await;
        let before = snapshot(&db).await;
        let page = officer.get(PAGE).await;
        page.assert_has(&["tối đa 20 tệp mỗi lần tải, 50 tài liệu mỗi tiêu chí"]);

        let many = many_pdfs("a", 21);
        let r = officer.upload("1.1", &as_files(&many)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["Mỗi lần chỉ tải lên được tối đa 20 tệp; chưa có tệp nào được lưu."]);
        assert_eq!(snapshot(&db).await, before, "no row, no audit entry");
        assert!(c.stored_files().is_empty(), "no blob, no temporary file");

        // Files are counted as the form streams in: the 21st is refused at its header, before
        // the rest of the body (here a part that never ends) is read.
        let token = officer.token().await;
        let mut parts = vec![Part::Text("csrf", &token)];
        parts.extend(many.iter().map(|(n, c)| Part::File("file", n, c)));
        let mut body = multipart(&parts);
        body.truncate(body.len() - format!("--{BOUNDARY}--\r\n").len());
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cat-ngang.pdf\"\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&pdf(b'z', 3000));
        let r = officer
            .post_raw_multipart(&format!("{PAGE}/tieu-chi/1.1/minh-chung"), body)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["tối đa 20 tệp"]);
        assert_eq!(snapshot(&db).await, before);
        assert!(c.stored_files().is_empty());

        officer.get(&format!("{PAGE}?lang=en")).await;
        let r = officer.upload("1.1", &as_files(&many)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["At most 20 files can be uploaded at a time; no file was saved."]);
        officer.get(&format!("{PAGE}?lang=vi")).await;

        // A leaf holds at most 50 documents, however the uploads are split.
        for (prefix, n) in [("b", 20), ("c", 20), ("d", 10)] {
            let r = officer
                .upload("1.1", &as_files(&many_pdfs(prefix, n)))
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{prefix}: {}", r.body);
        }
        assert_eq!(files_of(&db, "1.1").await.len(), 50);
        let full = snapshot(&db).await;
        let blobs = c.stored_files();
        let r = officer.upload("1.1", &as_files(&many_pdfs("e", 1))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&[
            "Mỗi tiêu chí có tối đa 50 tài liệu kiểm chứng và tiêu chí này đã có 50; chưa có tệp nào được lưu.",
        ]);
        assert_eq!(snapshot(&db).await, full);
        assert_eq!(c.stored_files(), blobs, "no new blob");

        // Removing one makes room for one.
        let id = files_of(&db, "1.1").await[0].id;
        let page = officer.get(PAGE).await;
        let r = officer
            .post(
                &format!("{PAGE}/minh-chung/{id}/go-bo"),
                &[("csrf", &csrf_of(&page.body))],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = officer.upload("1.1", &as_files(&many_pdfs("e", 1))).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(files_of(&db, "1.1").await.len(), 50);
        c.stop().await;
    }
}

#[tokio::test]
async fn files_larger_than_the_usual_form_limit_are_accepted_up_to_the_configured_sizes() {
    let c = Cycle::start_with_limits(&Backend::Sqlite, 4 * 1024 * 1024, 5 * 1024 * 1024).await;
    let db = c.db().clone();
    let mut officer = c.browser("can-bo").await;
    // 3 MB: above the 2 MB that forms are otherwise limited to, within both limits.
    let scan = pdf(b'3', 3 * 1024 * 1024);
    let r = officer.upload("1.1", &[("ban-scan.pdf", &scan)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = files_of(&db, "1.1").await[0].id;
    let d = officer.get(&format!("{PAGE}/minh-chung/{id}")).await;
    assert_eq!(d.bytes.len(), scan.len());
    assert_eq!(d.bytes, scan);

    // A request above the body limit is refused before anything reads it.
    let before = snapshot(&db).await;
    let files_before = c.stored_files();
    let r = officer
        .upload("1.1", &[("qua-lon.pdf", &pdf(b'6', 6 * 1024 * 1024))])
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(snapshot(&db).await, before);
    assert_eq!(c.stored_files(), files_before);
    c.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Explanations.

/// Moves SNV's assessment to "explanation requested" as the appraisal does, with one request
/// on 2.1; returns the request's id.
async fn request_explanation(db: &Db) -> i64 {
    let actor = Actor("tham-dinh".to_owned());
    let at = datetime!(2025-03-10 03:00 UTC);
    let a = assessments::get(db, &period(), &unit("SNV"))
        .await
        .unwrap()
        .unwrap();
    let mut version = a.version;
    for to in [
        AssessmentState::UnderAppraisal,
        AssessmentState::ExplanationRequested,
    ] {
        let change = StateChange {
            state: to,
            reopened: false,
            reason: "",
        };
        version = assessments::set_state(db, &period(), &unit("SNV"), version, &change, &actor, at)
            .await
            .unwrap()
            .version;
    }
    let key = LeafKey {
        period: period(),
        unit: unit("SNV"),
        node: code("2.1"),
    };
    explanations::request(
        db,
        &key,
        "Đề nghị bổ sung báo cáo rà soát có chữ ký của lãnh đạo.",
        &actor,
        at,
    )
    .await
    .unwrap()
    .id
}

/// Fills, explains and submits SNV's self-assessment.
async fn submitted(c: &Cycle) {
    let mut officer = c.browser("can-bo").await;
    fill_everything(&mut officer).await;
    let r = save_leaves(
        &mut officer,
        &[
            (
                "1.1",
                &[("value", "yes"), ("explanation", "Kế hoạch đang trình ký")],
            ),
            (
                "1.3",
                &[
                    ("num", "45"),
                    ("den", "47"),
                    ("explanation", "Sổ bị hư hỏng"),
                ],
            ),
            (
                "2.1",
                &[
                    ("value", "3,25"),
                    ("data", "12/14 thủ tục đã rà soát"),
                    ("explanation", "Báo cáo đang hoàn thiện"),
                ],
            ),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut leader = c.browser("lanh-dao").await;
    let page = leader.get(PAGE).await.body;
    let r = leader
        .post(
            &format!("{PAGE}/nop"),
            &[
                ("csrf", &csrf_of(&page)),
                ("version", &hidden(&page, "version")),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

#[tokio::test]
async fn the_unit_answers_an_explanation_request_with_text_and_new_evidence() {
    for backend in backends() {
        let c = Cycle::start(&backend).await;
        let db = c.db().clone();
        submitted(&c).await;
        let id = request_explanation(&db).await;
        c.clock.set(EXPLANATION_WINDOW);
        let mut officer = c.browser("can-bo").await;

        let page = officer.get(PAGE).await;
        page.assert_has(&[
            "Yêu cầu giải trình của Tổ thẩm định",
            "Đề nghị bổ sung báo cáo rà soát có chữ ký của lãnh đạo.",
            "Hoàng Văn Thẩm (tham-dinh)",
            &format!("action=\"{PAGE}/giai-trinh/{id}\""),
            "Yêu cầu giải trình chưa trả lời (1)",
            &format!("href=\"#request-{id}\""),
        ]);
        assert!(
            !page.body.contains("name=\"value:2.1\""),
            "values stay closed"
        );

        // An empty answer is refused; nothing changes.
        let before = snapshot(&db).await;
        let token = csrf_of(&page.body);
        let r = officer
            .post_multipart(
                &format!("{PAGE}/giai-trinh/{id}"),
                &[
                    Part::Text("csrf", &token),
                    Part::Text("version", "1"),
                    Part::Text("answer", "   "),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["Hãy nhập nội dung giải trình."]);
        assert_eq!(snapshot(&db).await, before);

        // The answer with a signed report attached.
        let signed = pdf(b's', 2500);
        let r = officer
            .post_multipart(
                &format!("{PAGE}/giai-trinh/{id}"),
                &[
                    Part::Text("csrf", &token),
                    Part::Text("version", "1"),
                    Part::Text("answer", "Đơn vị bổ sung báo cáo đã ký, đóng dấu."),
                    Part::File("file", "bao-cao-da-ky.pdf", &signed),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, format!("{PAGE}?ok=answered#request-{id}"));
        let req = &explanations::list(&db, &period(), Some(&unit("SNV")))
            .await
            .unwrap()[0];
        assert_eq!(req.status, LeafExplanation::Answered);
        assert_eq!(
            req.answer.as_deref(),
            Some("Đơn vị bổ sung báo cáo đã ký, đóng dấu.")
        );
        assert_eq!(req.answered_by.as_deref(), Some("can-bo"));
        assert_eq!(state(&db).await, Some(AssessmentState::Explained));
        let files = files_of(&db, "2.1").await;
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].file_name, "bao-cao-da-ky.pdf");
        let log = audit::list(
            &db,
            &AuditFilter {
                period: Some(period()),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            log.iter()
                .find(|e| e.action == "add")
                .and_then(|e| e.reason.as_deref()),
            Some("Tài liệu kiểm chứng bổ sung khi giải trình")
        );
        assert_eq!(
            log.iter()
                .find(|e| e.action == "set_state")
                .and_then(|e| e.reason.as_deref()),
            Some("Gửi giải trình")
        );

        // The answer may be amended while the window is open, but not from a stale page.
        let before = snapshot(&db).await;
        let r = officer
            .post_multipart(
                &format!("{PAGE}/giai-trinh/{id}"),
                &[
                    Part::Text("csrf", &token),
                    Part::Text("version", "1"),
                    Part::Text("answer", "Nội dung cũ"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        r.assert_has(&["nội dung bạn nhập chưa được lưu: Nội dung cũ"]);
        assert_eq!(snapshot(&db).await, before);
        let page = officer.get(PAGE).await;
        page.assert_has(&["Đơn vị bổ sung báo cáo đã ký, đóng dấu.", "Đã giải trình"]);
        let r = officer
            .post_multipart(
                &format!("{PAGE}/giai-trinh/{id}"),
                &[
                    Part::Text("csrf", &token),
                    Part::Text("version", &hidden(&page.body, "version")),
                    Part::Text(
                        "answer",
                        "Đơn vị bổ sung báo cáo đã ký, đóng dấu (bản chính).",
                    ),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // After the window, answers are refused.
        c.clock.set(AFTER_EXPLANATIONS);
        let before = snapshot(&db).await;
        let page = officer.get(PAGE).await;
        assert!(
            !page
                .body
                .contains(&format!("action=\"{PAGE}/giai-trinh/{id}\""))
        );
        let r = officer
            .post_multipart(
                &format!("{PAGE}/giai-trinh/{id}"),
                &[
                    Part::Text("csrf", &token),
                    Part::Text("version", "3"),
                    Part::Text("answer", "Muộn"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        r.assert_has(&["Đã hết hạn giải trình."]);
        let r = officer
            .upload("2.1", &[("muon.pdf", &pdf(b'l', 700))])
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert_eq!(snapshot(&db).await, before);
        c.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Who may do what.

/// What a request should get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// 200.
    Ok,
    /// A redirect to the sign-in page.
    SignIn,
    /// 403.
    Forbidden,
}

/// One route of this slice, as a request a person makes.
#[derive(Debug, Clone, Copy)]
enum Route {
    Page,
    OtherUnitPage,
    Preview,
    Save,
    SaveArea2,
    Submit,
    Upload,
    DownloadArea1,
    DownloadArea2,
    Remove,
    Answer,
}

impl Route {
    fn writes(self) -> bool {
        matches!(
            self,
            Route::Save
                | Route::SaveArea2
                | Route::Submit
                | Route::Upload
                | Route::Remove
                | Route::Answer
        )
    }
}

/// What exists when the matrix runs.
struct Fixture {
    file_area_1: i64,
    file_area_2: i64,
    request: i64,
    page: String,
    /// The assessment's version, as the leader's submission form would carry it.
    version: String,
}

async fn run(b: &mut Browser, route: Route, f: &Fixture) -> Reply {
    // Visitors have no token: theirs is empty, as a forged form's would be.
    let token = if b.cookie.is_some() {
        b.token().await
    } else {
        String::new()
    };
    match route {
        Route::Page => b.get(PAGE).await,
        Route::OtherUnitPage => b.get(OTHER_PAGE).await,
        Route::Preview => {
            b.post(
                &format!("{PAGE}/xem-truoc"),
                &[("csrf", token.as_str()), ("value:2.1", "2")],
            )
            .await
        }
        Route::Save | Route::SaveArea2 => {
            let node = if matches!(route, Route::Save) {
                "1.2"
            } else {
                "2.1"
            };
            let mut pairs = vec![("csrf".to_owned(), token.clone())];
            pairs.extend(leaf_fields(&f.page, node, &[("value", "1")]));
            b.post(PAGE, &as_refs(&pairs)).await
        }
        Route::Submit => {
            b.post(
                &format!("{PAGE}/nop"),
                &[("csrf", token.as_str()), ("version", f.version.as_str())],
            )
            .await
        }
        Route::Upload => {
            b.post_multipart(
                &format!("{PAGE}/tieu-chi/2.1/minh-chung"),
                &[
                    Part::Text("csrf", &token),
                    Part::File("file", "x.pdf", &pdf(b'z', 800)),
                ],
            )
            .await
        }
        Route::DownloadArea1 => b.get(&format!("{PAGE}/minh-chung/{}", f.file_area_1)).await,
        Route::DownloadArea2 => b.get(&format!("{PAGE}/minh-chung/{}", f.file_area_2)).await,
        Route::Remove => {
            b.post(
                &format!("{PAGE}/minh-chung/{}/go-bo", f.file_area_2),
                &[("csrf", token.as_str())],
            )
            .await
        }
        Route::Answer => {
            b.post_multipart(
                &format!("{PAGE}/giai-trinh/{}", f.request),
                &[
                    Part::Text("csrf", &token),
                    Part::Text("version", "1"),
                    Part::Text("answer", "Giải trình của người ngoài"),
                ],
            )
            .await
        }
    }
}

#[tokio::test]
async fn people_outside_the_scope_are_refused_on_every_route_and_nothing_changes() {
    use Expect::{Forbidden as No, Ok as Yes, SignIn};
    use Route as R;
    // Rows: anonymous, officer of another unit, observer, appraiser of area 2 of SNV, appraiser
    // of another unit. Writes by anonymous visitors are refused by the CSRF check (they have no
    // session), hence 403 too.
    #[rustfmt::skip]
    let matrix: [(Route, [Expect; 5]); 11] = [
        (R::Page,          [SignIn, No,  Yes, Yes, No ]),
        (R::OtherUnitPage, [SignIn, Yes, Yes, No,  Yes]),
        (R::Preview,       [No,     No,  Yes, Yes, No ]),
        (R::Save,          [No,     No,  No,  No,  No ]),
        (R::SaveArea2,     [No,     No,  No,  No,  No ]),
        (R::Submit,        [No,     No,  No,  No,  No ]),
        (R::Upload,        [No,     No,  No,  No,  No ]),
        (R::DownloadArea1, [SignIn, No,  Yes, No,  No ]),
        (R::DownloadArea2, [SignIn, No,  Yes, Yes, No ]),
        (R::Remove,        [No,     No,  No,  No,  No ]),
        (R::Answer,        [No,     No,  No,  No,  No ]),
    ];
    let who = [
        None,
        Some("can-bo-stp"),
        Some("quan-sat"),
        Some("tham-dinh"),
        Some("tham-dinh-stp"),
    ];
    for backend in backends() {
        let c = Cycle::start(&backend).await;
        let db = c.db().clone();
        let mut officer = c.browser("can-bo").await;
        fill_everything(&mut officer).await;
        let r = officer
            .upload("1.1", &[("ke-hoach.pdf", &pdf(b'1', 900))])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = officer
            .upload("2.1", &[("bao-cao.pdf", &pdf(b'2', 900))])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let key = LeafKey {
            period: period(),
            unit: unit("SNV"),
            node: code("2.1"),
        };
        let request = explanations::request(
            &db,
            &key,
            "Giải trình thêm",
            &Actor("tham-dinh".to_owned()),
            SELF_WINDOW,
        )
        .await
        .unwrap()
        .id;
        let fixture = Fixture {
            file_area_1: files_of(&db, "1.1").await[0].id,
            file_area_2: files_of(&db, "2.1").await[0].id,
            request,
            page: officer.get(PAGE).await.body,
            version: assessments::get(&db, &period(), &unit("SNV"))
                .await
                .unwrap()
                .unwrap()
                .version
                .to_string(),
        };
        let mut cells = 0;
        for (column, login) in who.iter().enumerate() {
            let mut b = match login {
                Some(l) => c.browser(l).await,
                None => Browser::new(&c.app.base),
            };
            for (route, expected) in matrix {
                let expected = expected[column];
                let before = snapshot(&db).await;
                let files_before = c.stored_files();
                let r = run(&mut b, route, &fixture).await;
                let what = format!("[{}] {:?} × {route:?}", backend.name(), login);
                match expected {
                    Expect::Ok => assert_eq!(r.status, StatusCode::OK, "{what}: {}", r.body),
                    Expect::Forbidden => {
                        assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}: {}", r.body);
                    }
                    Expect::SignIn => {
                        assert_eq!(r.status, StatusCode::SEE_OTHER, "{what}");
                        assert!(
                            r.location.starts_with("/dang-nhap?next="),
                            "{what}: {}",
                            r.location
                        );
                    }
                }
                if route.writes() || expected != Expect::Ok {
                    assert_eq!(snapshot(&db).await, before, "{what} changed the database");
                    assert_eq!(c.stored_files(), files_before, "{what} stored a file");
                }
                cells += 1;
            }
        }
        assert_eq!(cells, 55);

        // What the readers see: the observer everything, read-only; the appraiser of area 2
        // only that area; neither gets an input or the script.
        let mut observer = c.browser("quan-sat").await;
        let page = observer.get(PAGE).await;
        page.assert_has(&["id=\"leaf-1.1\"", "id=\"leaf-2.1\"", "ke-hoach.pdf"]);
        assert!(!page.body.contains("name=\"value:"));
        assert!(!page.body.contains("/nop\""));
        assert!(!page.body.contains("cycle.js"));
        let mut appraiser = c.browser("tham-dinh").await;
        let page = appraiser.get(PAGE).await;
        page.assert_has(&["id=\"leaf-2.1\"", "bao-cao.pdf"]);
        assert!(
            !page.body.contains("id=\"leaf-1.1\""),
            "area 1 is not theirs"
        );
        assert!(!page.body.contains("ke-hoach.pdf"));
        assert!(!page.body.contains("name=\"value:"));
        c.stop().await;
    }
}

#[tokio::test]
async fn unknown_periods_units_and_documents_are_not_found() {
    for backend in backends() {
        let c = Cycle::start(&backend).await;
        let mut observer = c.browser("quan-sat").await;
        // The observer's role is for 2025 only: other periods are someone else's business.
        assert_eq!(
            observer.get("/ky/2099/tu-danh-gia/SNV").await.status,
            StatusCode::FORBIDDEN
        );
        let mut officer = c.browser("can-bo").await;
        let r = officer.upload("1.1", &[("a.pdf", &pdf(b'1', 900))]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let id = files_of(c.db(), "1.1").await[0].id;
        // SKHCN is not a member of 2025; a document is only found under its own unit.
        let mut admin_like = c.browser("quan-sat").await;
        assert_eq!(
            admin_like.get("/ky/2025/tu-danh-gia/SKHCN").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            admin_like
                .get(&format!("{OTHER_PAGE}/minh-chung/{id}"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            admin_like
                .get(&format!("{PAGE}/minh-chung/999999"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            admin_like
                .get(&format!("{PAGE}/minh-chung/abc"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        c.stop().await;
    }
}

#[tokio::test]
async fn the_live_preview_script_is_served_as_our_own_file() {
    let c = Cycle::start(&Backend::Sqlite).await;
    let mut b = Browser::new(&c.app.base);
    let r = b.get("/static/cycle.js").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type, "text/javascript; charset=utf-8");
    assert!(r.body.contains("xem-truoc") || r.body.contains("data-preview"));
    assert!(
        !r.body.contains("http://") && !r.body.contains("https://"),
        "no third-party code"
    );
    c.stop().await;
}

#[tokio::test]
async fn the_api_shows_an_assessment_only_to_people_who_may_see_it_and_only_their_leaves() {
    for backend in backends() {
        let c = Cycle::start(&backend).await;
        let mut officer = c.browser("can-bo").await;
        let r = save_leaves(&mut officer, &[("1.1", &[("value", "yes")])], Some("1.1")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let api = "/api/v1/periods/2025/assessments/SNV";

        let r = officer.get(api).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let doc: serde_json::Value = serde_json::from_str(&r.body).expect("JSON");
        assert_eq!(doc["unit"], "SNV");
        assert_eq!(doc["state"], "draft");
        let leaves = doc["leaves"].as_array().expect("leaves");
        let leaf = leaves.iter().find(|l| l["code"] == "1.1").expect("1.1");
        assert_eq!(leaf["self_input"]["kind"], "yes", "{leaf}");
        assert!(leaf["self_points"].is_string(), "{leaf}");
        assert_eq!(leaf["self_version"], 1);
        assert!(
            leaves
                .iter()
                .any(|l| l["code"].as_str().unwrap().starts_with('2'))
        );

        // The appraiser assigned to area 2 of SNV sees only area 2.
        let mut appraiser = c.browser("tham-dinh").await;
        let r = appraiser.get(api).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let doc: serde_json::Value = serde_json::from_str(&r.body).expect("JSON");
        let codes: Vec<&str> = doc["leaves"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["code"].as_str().unwrap())
            .collect();
        assert!(!codes.is_empty());
        assert!(codes.iter().all(|c| c.starts_with("2.")), "{codes:?}");

        // Outsiders are refused with a JSON error; unknown units are not found.
        let mut other = c.browser("can-bo-stp").await;
        let r = other.get(api).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(
            r.content_type.starts_with("application/json"),
            "{}",
            r.content_type
        );
        let mut anonymous = Browser::new(&c.app.base);
        assert_eq!(anonymous.get(api).await.status, StatusCode::FORBIDDEN);
        let mut observer = c.browser("quan-sat").await;
        assert_eq!(
            observer
                .get("/api/v1/periods/2025/assessments/SKHCN")
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        c.stop().await;
    }
}

#[tokio::test]
async fn reloading_the_address_of_a_refused_upload_goes_back_to_the_page_not_to_a_405() {
    for backend in backends() {
        let c = Cycle::start(&backend).await;
        let mut officer = c.browser("can-bo").await;
        for (action, back) in [
            (
                format!("{PAGE}/tieu-chi/1.1/minh-chung"),
                format!("{PAGE}#leaf-1.1"),
            ),
            (format!("{PAGE}/giai-trinh/7"), format!("{PAGE}#request-7")),
            (format!("{PAGE}/minh-chung/7/go-bo"), PAGE.to_owned()),
            (format!("{PAGE}/nop"), PAGE.to_owned()),
            (format!("{PAGE}/xem-truoc"), PAGE.to_owned()),
        ] {
            let r = officer.get(&action).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{action}: {}", r.body);
            assert_eq!(r.location, back, "{action}");
        }
        c.app.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// One form per page: nothing typed is lost.

#[tokio::test]
async fn the_page_is_one_form_and_a_leaf_s_save_button_saves_what_was_typed_in_every_area() {
    for backend in backends() {
        let c = Cycle::start(&backend).await;
        let db = c.db().clone();
        let mut officer = c.browser("can-bo").await;
        let page = officer.get(PAGE).await;
        assert_eq!(
            page.body.matches("class=\"cycle-values\"").count(),
            1,
            "one values form for the whole page"
        );
        page.assert_has(&[
            "<nav class=\"todo-nav\"",
            "Chưa có giá trị",
            "name=\"file:1.1\"",
            &format!("formaction=\"{PAGE}/tieu-chi/1.1/minh-chung\""),
        ]);
        // A value typed in area 2, then the save button of a leaf of area 1: both are saved.
        let mut pairs = vec![("csrf".to_owned(), csrf_of(&page.body))];
        pairs.extend(leaf_fields(&page.body, "1.1", &[("value", "yes")]));
        pairs.extend(leaf_fields(&page.body, "2.1", &[("value", "3,25")]));
        // The name of a file chosen but not uploaded names no value and empties nothing.
        pairs.push(("file:1.2".to_owned(), "ke-hoach.pdf".to_owned()));
        pairs.push(("at".to_owned(), "1.1".to_owned()));
        let r = officer.post(PAGE, &as_refs(&pairs)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, format!("{PAGE}?ok=saved&n=2#leaf-1.1"));
        assert_eq!(self_points(&db, "1.1").await, Some(dec!(2)));
        assert_eq!(self_points(&db, "2.1").await, Some(dec!(3.25)));
        assert!(stored_leaf(&db, "1.2").await.is_none());
        c.stop().await;
    }
}

#[tokio::test]
async fn an_upload_saves_the_values_typed_on_the_page_and_with_a_mistake_stores_neither() {
    for backend in backends() {
        let c = Cycle::start(&backend).await;
        let db = c.db().clone();
        let mut officer = c.browser("can-bo").await;
        let page = officer.get(PAGE).await.body;
        let token = csrf_of(&page);
        let content = pdf(b'u', 1800);
        let other = pdf(b'o', 900);
        let typed = |value: &'static str| {
            let mut fields = leaf_fields(&page, "2.1", &[("value", value)]);
            fields.extend(leaf_fields(&page, "1.2", &[]));
            fields
        };

        // A mistake in the values typed: no value and no file is stored, and the page says why.
        let before = snapshot(&db).await;
        let fields = typed("9");
        let mut parts = vec![Part::Text("csrf", &token)];
        parts.extend(fields.iter().map(|(k, v)| Part::Text(k, v)));
        parts.push(Part::File("file:1.1", "ke-hoach.pdf", &content));
        let action = format!("{PAGE}/tieu-chi/1.1/minh-chung");
        let r = officer.post_multipart(&action, &parts).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&[
            "Tệp chưa được tải lên vì các giá trị nhập trên trang còn lỗi",
            "Tiêu chí 2.1: Điểm 9 vượt điểm tối đa 4.",
            "value=\"9\"",
        ]);
        assert_eq!(snapshot(&db).await, before);
        assert!(c.stored_files().is_empty());

        // Corrected: the value is saved and the file attached to its own leaf only; a file
        // chosen on another leaf's input travels along unread.
        let fields = typed("3,25");
        let mut parts = vec![Part::Text("csrf", &token)];
        parts.extend(fields.iter().map(|(k, v)| Part::Text(k, v)));
        parts.push(Part::File("file:1.2", "khac.pdf", &other));
        parts.push(Part::File("file:1.1", "ke-hoach.pdf", &content));
        let r = officer.post_multipart(&action, &parts).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, format!("{PAGE}?ok=uploaded_saved&n=1#leaf-1.1"));
        assert_eq!(self_points(&db, "2.1").await, Some(dec!(3.25)));
        let files = files_of(&db, "1.1").await;
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].file_name, "ke-hoach.pdf");
        assert!(files_of(&db, "1.2").await.is_empty());
        assert_eq!(c.stored_files().len(), 1);
        let page = officer.get(&r.location).await;
        page.assert_has(&[
            "Đã lưu các giá trị đã nhập và tải lên 1 tệp.",
            "value=\"3,25\"",
        ]);
        c.stop().await;
    }
}
