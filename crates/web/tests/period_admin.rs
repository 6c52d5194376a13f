//! Period administration and the to-do list as people use them: administrators create a period,
//! set its groups, index sets and participating units, plan its milestones and follow its
//! progress; everybody else is refused and changes nothing; each role finds what awaits it on
//! its to-do list. The clock is fixed, so deadlines and overdue units are known exactly.
//! SQLite always, PostgreSQL when `CHISO_TEST_PG` is set.

use crate::common;

use common::cheap_hash;

use std::sync::Arc;

use chiso_domain::workflow::{AssessmentState, Milestones};
use chiso_domain::{
    AppraiserScope, FixedClock, Grant, GroupName, NodeCode, PeriodCode, Role, UnitCode,
};
use chiso_store::assessments::{self, StateChange};
use chiso_store::audit::{self, AuditFilter};
use chiso_store::leaves::LeafKey;
use chiso_store::{Actor, Db, explanations, grants, milestones, periods, users};
use chiso_web::WebConfig;
use common::browser::Browser;
use common::{TestApp, backends};
use reqwest::StatusCode;
use time::OffsetDateTime;
use time::macros::datetime;

const PASSWORD: &str = "mat-khau-dung-123";
const SETUP_AT: OffsetDateTime = datetime!(2024-10-01 02:00 UTC);
/// 20/01/2025 10:00 in Vietnam: the explanation window of 2024 is open.
const IN_EXPLANATION: OffsetDateTime = datetime!(2025-01-20 03:00 UTC);
/// 20/02/2025 10:00 in Vietnam: the council approves.
const IN_APPROVAL: OffsetDateTime = datetime!(2025-02-20 03:00 UTC);

fn period(s: &str) -> PeriodCode {
    PeriodCode::parse(s).unwrap()
}

fn unit(s: &str) -> UnitCode {
    UnitCode::parse(s).unwrap()
}

/// Creates `login` holding `roles` in period 2024 (administrators through the account flag).
async fn person(db: &Db, login: &str, admin: bool, roles: Vec<Role>) {
    users::create(
        db,
        login,
        login,
        &cheap_hash(PASSWORD),
        admin,
        &Actor::system(),
        SETUP_AT,
    )
    .await
    .expect("create user");
    for role in roles {
        grants::grant(
            db,
            login,
            &Grant::in_period(role, period("2024")),
            &Actor::system(),
            SETUP_AT,
        )
        .await
        .expect("grant");
    }
}

async fn start(backend: &common::Backend, now: OffsetDateTime) -> TestApp {
    let config = WebConfig {
        clock: Arc::new(FixedClock(now)),
        ..WebConfig::default()
    };
    TestApp::start_with(backend, config, true).await
}

/// Everything period administration can change, to compare before and after a refusal.
async fn snapshot(db: &Db) -> String {
    let mut out = String::new();
    for p in periods::list(db).await.unwrap() {
        out.push_str(&format!("{p:?}\n"));
        out.push_str(&format!(
            "{:?}\n",
            periods::groups(db, &p.code).await.unwrap()
        ));
        out.push_str(&format!(
            "{:?}\n",
            periods::members(db, &p.code).await.unwrap()
        ));
        out.push_str(&format!(
            "{:?}\n",
            milestones::get(db, &p.code).await.unwrap()
        ));
    }
    let entries = audit::list(db, &AuditFilter::default()).await.unwrap();
    out.push_str(&format!("audit entries: {}\n", entries.len()));
    out
}

/// The plan of 2024: self-assessment 01/11–15/12/2024, appraisal 16/12/2024–15/01/2025,
/// explanations 16–31/01/2025, approval from 15/02/2025, publication 31/03/2025.
fn plan_2024() -> Milestones {
    use chiso_domain::workflow::{vn_day_end, vn_day_start};
    use time::macros::date;
    Milestones {
        self_open: Some(vn_day_start(date!(2024 - 11 - 01))),
        self_close: Some(vn_day_end(date!(2024 - 12 - 15))),
        appraisal_open: Some(vn_day_start(date!(2024 - 12 - 16))),
        appraisal_close: Some(vn_day_end(date!(2025 - 01 - 15))),
        explanation_open: Some(vn_day_start(date!(2025 - 01 - 16))),
        explanation_close: Some(vn_day_end(date!(2025 - 01 - 31))),
        approval: Some(vn_day_start(date!(2025 - 02 - 15))),
        publication: Some(vn_day_start(date!(2025 - 03 - 31))),
    }
}

async fn set_state(db: &Db, u: &str, state: AssessmentState, reopened: bool) {
    assessments::set_state(
        db,
        &period("2024"),
        &unit(u),
        0,
        &StateChange {
            state,
            reopened,
            reason: "",
        },
        &Actor::system(),
        SETUP_AT,
    )
    .await
    .expect("state");
}

/// The 2024 cycle in progress:
///
/// | unit | state | |
/// |---|---|---|
/// | SNV | draft | overdue since the end of 15/12/2024 |
/// | STP | submitted | overdue since the end of 15/01/2025 |
/// | SKHCN | finalised | |
/// | TP-MAU | explanation requested on 1.1.1 | due by the end of 31/01/2025 |
/// | H-DONG | explained (2.1.1 answered) | due by publication |
/// | H-TAY | draft, reopened | no deadline |
async fn stage_2024(db: &Db) {
    milestones::set_all(
        db,
        &period("2024"),
        &plan_2024(),
        &Actor::system(),
        SETUP_AT,
    )
    .await
    .expect("plan");
    set_state(db, "SNV", AssessmentState::Draft, false).await;
    set_state(db, "STP", AssessmentState::Submitted, false).await;
    set_state(db, "SKHCN", AssessmentState::Finalised, false).await;
    set_state(db, "TP-MAU", AssessmentState::ExplanationRequested, false).await;
    set_state(db, "H-DONG", AssessmentState::Explained, false).await;
    set_state(db, "H-TAY", AssessmentState::Draft, true).await;
    let key = |u: &str, n: &str| LeafKey {
        period: period("2024"),
        unit: unit(u),
        node: NodeCode::parse(n).unwrap(),
    };
    let appraiser = Actor("tham.dinh".to_owned());
    explanations::request(
        db,
        &key("TP-MAU", "1.1.1"),
        "Bổ sung kế hoạch",
        &appraiser,
        SETUP_AT,
    )
    .await
    .expect("request");
    let asked = explanations::request(
        db,
        &key("H-DONG", "2.1.1"),
        "Giải trình tỷ lệ hồ sơ",
        &appraiser,
        SETUP_AT,
    )
    .await
    .expect("request");
    explanations::answer(
        db,
        asked.id,
        "Đã bổ sung số liệu",
        asked.version,
        &Actor("can.bo".to_owned()),
        SETUP_AT,
    )
    .await
    .expect("answer");
}

#[tokio::test]
async fn non_administrators_get_403_on_every_admin_route_and_nothing_changes() {
    for backend in backends() {
        let app = start(&backend, IN_EXPLANATION).await;
        let db = app.db();
        stage_2024(db).await;
        person(
            db,
            "can.bo",
            false,
            vec![Role::UnitOfficer { unit: unit("SNV") }],
        )
        .await;
        person(
            db,
            "lanh.dao",
            false,
            vec![Role::UnitLeader { unit: unit("SNV") }],
        )
        .await;
        person(
            db,
            "tham.dinh",
            false,
            vec![Role::Appraiser {
                scope: AppraiserScope::everything(),
            }],
        )
        .await;
        person(db, "chu.tich", false, vec![Role::CouncilChair]).await;
        person(db, "quan.sat", false, vec![Role::Observer]).await;
        person(db, "khong.vai.tro", false, vec![]).await;
        let before = snapshot(db).await;

        for login in [
            "can.bo",
            "lanh.dao",
            "tham.dinh",
            "chu.tich",
            "quan.sat",
            "khong.vai.tro",
        ] {
            let mut b = Browser::signed_in(&app.base, login, PASSWORD).await;
            for path in [
                "/quan-tri/ky-danh-gia",
                "/quan-tri/ky-danh-gia/2024",
                "/quan-tri/ky-danh-gia/2023",
                "/quan-tri/ky-danh-gia/2024?q=so",
            ] {
                let r = b.get(path).await;
                assert_eq!(
                    r.status,
                    StatusCode::FORBIDDEN,
                    "[{}] {login} GET {path}",
                    app.backend
                );
                assert!(!r.has("Sở Nội vụ"), "{login} GET {path} leaks units");
            }
            let posts: [(&str, Vec<(&str, &str)>); 9] = [
                (
                    "/quan-tri/ky-danh-gia",
                    vec![("code", "2025"), ("name", "Kỳ 2025"), ("year", "2025")],
                ),
                (
                    "/quan-tri/ky-danh-gia/2024/nhom",
                    vec![("group", "Nhóm mới"), ("set", "BCS-MAU")],
                ),
                (
                    "/quan-tri/ky-danh-gia/2024/nhom/xoa",
                    vec![("group", "UBND cấp huyện")],
                ),
                (
                    "/quan-tri/ky-danh-gia/2024/them-don-vi",
                    vec![
                        ("group", "Sở, ban, ngành"),
                        ("unit", "SNV"),
                        ("ranked", "on"),
                    ],
                ),
                (
                    "/quan-tri/ky-danh-gia/2024/them-don-vi",
                    vec![("group", "Sở, ban, ngành")],
                ),
                (
                    "/quan-tri/ky-danh-gia/2024/them-theo-loai",
                    vec![("group", "Sở, ban, ngành"), ("kind", "district")],
                ),
                (
                    "/quan-tri/ky-danh-gia/2024/don-vi/SNV",
                    vec![("group", "UBND cấp huyện")],
                ),
                ("/quan-tri/ky-danh-gia/2024/don-vi/H-TAY/xoa", vec![]),
                (
                    "/quan-tri/ky-danh-gia/2024/moc",
                    vec![("self_open", "01/01/2025"), ("self_close", "02/01/2025")],
                ),
            ];
            for (path, form) in &posts {
                let r = b.post_csrf(path, form).await;
                assert_eq!(
                    r.status,
                    StatusCode::FORBIDDEN,
                    "[{}] {login} POST {path}: {}",
                    app.backend,
                    r.body
                );
            }
        }
        assert_eq!(
            snapshot(db).await,
            before,
            "[{}] a refusal changed data",
            app.backend
        );

        // Anonymous visitors are sent to sign in.
        let mut anon = Browser::new(&app.base);
        for path in ["/quan-tri/ky-danh-gia", "/quan-tri/ky-danh-gia/2024"] {
            let r = anon.get(path).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "anonymous GET {path}");
            assert!(r.location.starts_with("/dang-nhap?next="), "{}", r.location);
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn an_administrator_of_one_period_manages_only_that_period() {
    for backend in backends() {
        let app = start(&backend, IN_EXPLANATION).await;
        let db = app.db();
        person(db, "nv.2024", false, vec![Role::Admin]).await;
        let before = snapshot(db).await;
        let mut b = Browser::signed_in(&app.base, "nv.2024", PASSWORD).await;
        let list = b.get("/quan-tri/ky-danh-gia").await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        list.assert_has(&["/quan-tri/ky-danh-gia/2024"]);
        assert!(
            !list.has("/quan-tri/ky-danh-gia/2023\""),
            "2023 is not theirs"
        );
        assert!(
            !list.has("name=\"code\""),
            "only administrators of every period create"
        );
        assert_eq!(
            b.get("/quan-tri/ky-danh-gia/2024").await.status,
            StatusCode::OK
        );
        assert_eq!(
            b.get("/quan-tri/ky-danh-gia/2023").await.status,
            StatusCode::FORBIDDEN
        );
        let create = b
            .post_csrf(
                "/quan-tri/ky-danh-gia",
                &[("code", "2025"), ("name", "Kỳ 2025"), ("year", "2025")],
            )
            .await;
        assert_eq!(create.status, StatusCode::FORBIDDEN);
        let other = b
            .post_csrf(
                "/quan-tri/ky-danh-gia/2023/moc",
                &[("self_open", "01/01/2024")],
            )
            .await;
        assert_eq!(other.status, StatusCode::FORBIDDEN);
        assert_eq!(snapshot(db).await, before);
        app.stop().await;
    }
}

#[tokio::test]
async fn an_administrator_creates_a_period_and_sets_its_groups_sets_and_participants() {
    for backend in backends() {
        let app = start(&backend, IN_EXPLANATION).await;
        let db = app.db();
        person(db, "admin", true, vec![]).await;
        let mut b = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        let list = b.get("/quan-tri/ky-danh-gia").await;
        assert_eq!(list.status, StatusCode::OK);
        list.assert_has(&[
            "Chỉ số CCHC năm 2024",
            "Chỉ số CCHC năm 2023",
            "Tạo kỳ đánh giá",
        ]);

        // Bad input: the field at fault is named, the typed values are kept, nothing is saved.
        let r = b
            .post_csrf(
                "/quan-tri/ky-danh-gia",
                &[
                    ("code", "20 25"),
                    ("name", "Chỉ số CCHC năm 2025"),
                    ("year", "2025"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_has(&[
            "Mã kỳ “20 25” không hợp lệ",
            "value=\"Chỉ số CCHC năm 2025\"",
        ]);
        let r = b
            .post_csrf(
                "/quan-tri/ky-danh-gia",
                &[("code", "2025"), ("name", "Kỳ 2025"), ("year", "hai nghìn")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_has(&["Năm đánh giá “hai nghìn” không hợp lệ"]);
        let r = b
            .post_csrf(
                "/quan-tri/ky-danh-gia",
                &[("code", "2025"), ("name", " "), ("year", "2025")],
            )
            .await;
        r.assert_has(&["Hãy nhập tên kỳ đánh giá."]);
        let r = b
            .post_csrf(
                "/quan-tri/ky-danh-gia?lang=en",
                &[
                    ("code", "2025"),
                    ("name", "Kỳ 2025"),
                    ("year", "2025"),
                    ("previous", "1999"),
                ],
            )
            .await;
        r.assert_has(&["There is no period “1999” to compare with."]);
        // The language chosen sticks, as in a browser; back to Vietnamese.
        b.lang = None;
        assert!(periods::get(db, &period("2025")).await.unwrap().is_none());

        let r = b
            .post_csrf(
                "/quan-tri/ky-danh-gia",
                &[
                    ("code", "2025"),
                    ("name", "Chỉ số CCHC năm 2025"),
                    ("year", "2025"),
                    ("previous", "2024"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, "/quan-tri/ky-danh-gia/2025?ok=created");
        let created = periods::get(db, &period("2025")).await.unwrap().unwrap();
        assert_eq!(created.year, 2025);
        assert_eq!(created.previous, Some(period("2024")));
        let again = b
            .post_csrf(
                "/quan-tri/ky-danh-gia",
                &[("code", "2025"), ("name", "Lần nữa"), ("year", "2025")],
            )
            .await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        again.assert_has(&["Đã có kỳ đánh giá mã “2025”."]);

        let page = b.get("/quan-tri/ky-danh-gia/2025?ok=created").await;
        assert_eq!(page.status, StatusCode::OK);
        page.assert_has(&["Đã tạo kỳ đánh giá.", "Kỳ đánh giá chưa có nhóm nào."]);

        // Groups and their index sets.
        let base = "/quan-tri/ky-danh-gia/2025";
        let bad_set = b
            .post_csrf(
                &format!("{base}/nhom"),
                &[("group", "Sở, ban, ngành"), ("set", "KHONG-CO")],
            )
            .await;
        assert_eq!(bad_set.status, StatusCode::UNPROCESSABLE_ENTITY);
        bad_set.assert_has(&["Không có bộ chỉ số “KHONG-CO”."]);
        for group in ["Sở, ban, ngành", "UBND cấp huyện", "Nhóm tạm"] {
            let r = b
                .post_csrf(
                    &format!("{base}/nhom"),
                    &[("group", group), ("set", "BCS-MAU")],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
            assert_eq!(r.location, format!("{base}?ok=group_saved#nhom"));
        }
        let r = b
            .post_csrf(&format!("{base}/nhom/xoa"), &[("group", "Nhóm tạm")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);

        // Vietnamese-aware search among units not yet taking part.
        let found = b.get(&format!("{base}?q=so+noi")).await;
        found.assert_has(&["value=\"SNV\""]);
        assert!(!found.has("value=\"H-DONG\""));
        let found = b.get(&format!("{base}?q=huyen+dong")).await;
        found.assert_has(&["value=\"H-DONG\"", "Huyện Đông"]);
        assert!(!found.has("value=\"H-TAY\""));

        let none = b
            .post_csrf(
                &format!("{base}/them-don-vi"),
                &[("group", "Sở, ban, ngành")],
            )
            .await;
        assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
        none.assert_has(&["Hãy chọn ít nhất một đơn vị để thêm."]);
        let unknown = b
            .post_csrf(
                &format!("{base}/them-don-vi"),
                &[
                    ("group", "Sở, ban, ngành"),
                    ("unit", "SNV"),
                    ("unit", "KHONG-CO"),
                ],
            )
            .await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
        unknown.assert_has(&["Không có đơn vị mã “KHONG-CO”."]);
        assert!(
            periods::members(db, &period("2025"))
                .await
                .unwrap()
                .is_empty(),
            "all or nothing"
        );

        let r = b
            .post_csrf(
                &format!("{base}/them-don-vi"),
                &[
                    ("group", "Sở, ban, ngành"),
                    ("unit", "STP"),
                    ("unit", "SNV"),
                    ("ranked", "on"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, format!("{base}?ok=units_added&n=2#don-vi"));
        // Every district at once, assessed but not ranked.
        let r = b
            .post_csrf(
                &format!("{base}/them-theo-loai"),
                &[("group", "UBND cấp huyện"), ("kind", "district")],
            )
            .await;
        assert_eq!(r.location, format!("{base}?ok=units_added&n=3#don-vi"));
        b.get(&r.location.replace("#don-vi", ""))
            .await
            .assert_has(&["Đã thêm 3 đơn vị.", "Đánh giá nhưng không xếp hạng"]);

        let members = periods::members(db, &period("2025")).await.unwrap();
        let listed: Vec<(&str, &str, bool)> = members
            .iter()
            .map(|m| (m.unit.as_str(), m.group.as_str(), m.ranked))
            .collect();
        // Group by group, names in Vietnamese order (Huyện Đông before Huyện Tây before
        // Thành phố Mẫu; Sở Nội vụ before Sở Tư pháp).
        assert_eq!(
            listed,
            vec![
                ("SNV", "Sở, ban, ngành", true),
                ("STP", "Sở, ban, ngành", true),
                ("H-DONG", "UBND cấp huyện", false),
                ("H-TAY", "UBND cấp huyện", false),
                ("TP-MAU", "UBND cấp huyện", false),
            ]
        );

        // One unit ranked after all; another moved; one removed.
        let r = b
            .post_csrf(
                &format!("{base}/don-vi/TP-MAU"),
                &[("group", "UBND cấp huyện"), ("ranked", "on")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = b
            .post_csrf(
                &format!("{base}/don-vi/H-TAY"),
                &[("group", "Sở, ban, ngành")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        // Withdrawing asks for a confirmation and a reason, then lists the unit with both.
        let withdraw = format!("{base}/don-vi/STP/xoa");
        let r = b.post_csrf(&withdraw, &[("reason", "Sáp nhập")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["Hãy đánh dấu ô xác nhận trước khi thực hiện."]);
        let r = b
            .post_csrf(&withdraw, &[("reason", "  "), ("xac-nhan", "1")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["Lý do rút đơn vị “STP” khỏi kỳ: bắt buộc phải ghi."]);
        let r = b
            .post_csrf(
                &withdraw,
                &[("reason", "Sáp nhập vào Sở Nội vụ"), ("xac-nhan", "1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = b.page(base).await;
        page.assert_has(&[
            "Đơn vị đã rút khỏi kỳ",
            "data-unit=\"STP\"",
            "Sáp nhập vào Sở Nội vụ",
        ]);
        let not_empty = b
            .post_csrf(&format!("{base}/nhom/xoa"), &[("group", "UBND cấp huyện")])
            .await;
        assert_eq!(not_empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        not_empty.assert_has(&["Nhóm “UBND cấp huyện” còn 2 đơn vị"]);

        let members = periods::members(db, &period("2025")).await.unwrap();
        let listed: Vec<(&str, &str, bool)> = members
            .iter()
            .map(|m| (m.unit.as_str(), m.group.as_str(), m.ranked))
            .collect();
        assert_eq!(
            listed,
            vec![
                ("H-TAY", "Sở, ban, ngành", false),
                ("SNV", "Sở, ban, ngành", true),
                ("H-DONG", "UBND cấp huyện", false),
                ("TP-MAU", "UBND cấp huyện", true),
            ]
        );
        let groups = periods::groups(db, &period("2025")).await.unwrap();
        assert_eq!(
            groups
                .iter()
                .map(|(g, s)| (g.as_str(), s.as_str()))
                .collect::<Vec<_>>(),
            vec![("Sở, ban, ngành", "BCS-MAU"), ("UBND cấp huyện", "BCS-MAU")]
        );

        // Every change is in the audit log, by the administrator.
        let log = audit::list(
            db,
            &AuditFilter {
                period: Some(period("2025")),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        let actions: Vec<&str> = log
            .iter()
            .filter(|e| e.actor == "admin")
            .map(|e| e.action.as_str())
            .collect();
        assert_eq!(actions.iter().filter(|a| **a == "create").count(), 1);
        // 3 groups added, 1 removed, 2 additions, 2 member changes, 1 removal.
        assert_eq!(
            actions.iter().filter(|a| **a == "set_groups").count(),
            9,
            "{actions:?}"
        );

        // A unit that started its self-assessment stays in the period.
        assessments::set_state(
            db,
            &period("2025"),
            &unit("SNV"),
            0,
            &StateChange {
                state: AssessmentState::Draft,
                reopened: false,
                reason: "",
            },
            &Actor::system(),
            SETUP_AT,
        )
        .await
        .unwrap();
        let r = b
            .post_csrf(
                &format!("{base}/don-vi/SNV/xoa"),
                &[("reason", "Thử rút"), ("xac-nhan", "1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_has(&["Đơn vị “SNV” đã bắt đầu tự đánh giá nên không thể rút khỏi kỳ."]);

        // A published period no longer changes.
        let r = b
            .post_csrf(
                "/quan-tri/ky-danh-gia/2023/don-vi/SNV",
                &[("group", "UBND cấp huyện")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_has(&["đã công bố kết quả nên không thể thay đổi."]);
        assert_eq!(
            b.get("/quan-tri/ky-danh-gia/2099").await.status,
            StatusCode::NOT_FOUND
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn milestones_are_validated_per_field_in_vietnamese_and_saved_with_an_audit_entry() {
    for backend in backends() {
        let app = start(&backend, IN_EXPLANATION).await;
        let db = app.db();
        person(db, "admin", true, vec![]).await;
        let mut b = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        let path = "/quan-tri/ky-danh-gia/2024/moc";

        let bad_order = [
            ("self_open", "01/11/2024"),
            ("self_close", "15/12/2024"),
            ("appraisal_open", "10/12/2024"),
            ("publication", "31/02/2025"),
        ];
        let r = b.post_csrf(path, &bad_order).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_has(&[
            "Mốc thời gian chưa được lưu",
            "Ngày “31/02/2025” không hợp lệ; hãy nhập theo dạng dd/mm/yyyy",
            "id=\"ms-publication-error\"",
            "value=\"10/12/2024\"",
        ]);
        // Every problem at once: the order of the days that could be read is checked too.
        for r in [&r, &b.post_csrf(path, &bad_order[..3]).await] {
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
            r.assert_has(&[
                "Mốc “Mở thẩm định” (10/12/2024) phải sau ngày của mốc “Hết hạn tự đánh giá” \
             (15/12/2024) đứng trước nó.",
                "id=\"ms-appraisal_open-error\"",
            ]);
            assert!(!r.has("id=\"ms-self_close-error\""));
        }
        let r = b
            .post_csrf(
                &format!("{path}?lang=en"),
                &[("explanation_close", "31/01/2025")],
            )
            .await;
        r.assert_has(&["The explanation window has a closing day but no opening day."]);
        // The language chosen sticks, as in a browser; back to Vietnamese.
        b.lang = None;
        let r = b
            .post_csrf(
                path,
                &[
                    ("appraisal_open", "16/12/2024"),
                    ("appraisal_close", "15/12/2024"),
                ],
            )
            .await;
        r.assert_has(&["Thời gian thẩm định không có ngày nào"]);
        assert_eq!(
            milestones::get(db, &period("2024")).await.unwrap(),
            Milestones::default(),
            "nothing saved"
        );

        let good = [
            ("self_open", "01/11/2024"),
            ("self_close", "15/12/2024"),
            ("appraisal_open", "16/12/2024"),
            ("appraisal_close", "15/01/2025"),
            ("explanation_open", "2025-01-16"),
            ("explanation_close", "31/01/2025"),
            ("approval", "15/02/2025"),
            ("publication", "31/03/2025"),
        ];
        let r = b.post_csrf(path, &good).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, "/quan-tri/ky-danh-gia/2024?ok=plan_saved#moc");
        assert_eq!(
            milestones::get(db, &period("2024")).await.unwrap(),
            plan_2024()
        );
        let page = b.get("/quan-tri/ky-danh-gia/2024?ok=plan_saved").await;
        page.assert_has(&[
            "Đã lưu mốc thời gian.",
            "name=\"self_close\" type=\"text\" inputmode=\"numeric\" maxlength=\"10\" placeholder=\"dd/mm/yyyy\" autocomplete=\"off\" class=\"date-input\" data-date=\"Ngày phải có thật và viết theo dạng ngày/tháng/năm, ví dụ 11/06/2024.\" value=\"15/12/2024\"",
            "name=\"explanation_open\" type=\"text\" inputmode=\"numeric\" maxlength=\"10\" placeholder=\"dd/mm/yyyy\" autocomplete=\"off\" class=\"date-input\" data-date=\"Ngày phải có thật và viết theo dạng ngày/tháng/năm, ví dụ 11/06/2024.\" value=\"16/01/2025\"",
            "Giai đoạn ngày 20/01/2025",
            "<dd class=\"phase\">Giải trình</dd>",
        ]);
        let log = audit::list(
            db,
            &AuditFilter {
                period: Some(period("2024")),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        let entry = log
            .iter()
            .find(|e| e.action == "set_milestones")
            .expect("audited");
        assert_eq!(entry.actor, "admin");
        assert_eq!(
            entry.new.as_ref().unwrap()["self_close"],
            "2024-12-15T17:00:00.000000000Z"
        );

        // The published period keeps its plan.
        let r = b.post_csrf("/quan-tri/ky-danh-gia/2023/moc", &good).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_has(&["đã công bố kết quả nên không thể thay đổi."]);
        app.stop().await;
    }
}

#[tokio::test]
async fn the_dashboard_counts_units_per_state_and_highlights_the_overdue_at_a_fixed_clock() {
    for backend in backends() {
        let app = start(&backend, IN_EXPLANATION).await;
        let db = app.db();
        stage_2024(db).await;
        person(db, "admin", true, vec![]).await;
        let mut b = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        let page = b.get("/quan-tri/ky-danh-gia/2024").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let count = |state: &str, n: usize| format!("data-state=\"{state}\">{n}</strong>");
        page.assert_has(&[
            &count("not_started", 0),
            &count("draft", 2),
            &count("submitted", 1),
            &count("under_appraisal", 0),
            &count("explanation_requested", 1),
            &count("explained", 1),
            &count("finalised", 1),
            &count("overdue", 2),
            "6 đơn vị tham gia; giai đoạn hiện nay: Giải trình.",
        ]);
        let row = |unit: &str, overdue: bool| {
            format!(
                "<tr class=\"progress-row{}\" data-unit=\"{unit}\">",
                if overdue { " overdue" } else { "" }
            )
        };
        for (unit, overdue) in [
            ("SNV", true),
            ("STP", true),
            ("SKHCN", false),
            ("TP-MAU", false),
            ("H-DONG", false),
            ("H-TAY", false),
        ] {
            page.assert_has(&[&row(unit, overdue)]);
        }
        page.assert_has(&[
            "href=\"/ky/2024/tu-danh-gia/SNV\"",
            "href=\"/ky/2024/tham-dinh/STP\"",
            "hết ngày 15/12/2024 <span class=\"tag-overdue\">Quá hạn</span>",
            "hết ngày 31/01/2025",
            "Đã mở lại",
        ]);
        // Vietnamese order within each group: Sở Khoa học… before Sở Nội vụ before Sở Tư pháp.
        let at = |u: &str| page.body.find(&row(u, u == "SNV" || u == "STP")).unwrap();
        assert!(at("SKHCN") < at("SNV") && at("SNV") < at("STP"));
        assert!(at("H-DONG") < at("H-TAY") && at("H-TAY") < at("TP-MAU"));
        assert!(at("STP") < at("H-DONG"), "groups in the plan's order");

        let overdue = b.get("/quan-tri/ky-danh-gia/2024?tt=overdue").await;
        assert_eq!(overdue.body.matches("<tr class=\"progress-row").count(), 2);
        let drafts = b.get("/quan-tri/ky-danh-gia/2024?tt=draft").await;
        assert_eq!(drafts.body.matches("<tr class=\"progress-row").count(), 2);
        drafts.assert_has(&[&row("SNV", true), &row("H-TAY", false)]);

        let en = b.get("/quan-tri/ky-danh-gia/2024?lang=en").await;
        en.assert_has(&["end of 15/12/2024", "Overdue", "Explanation requested"]);
        // The language chosen sticks, as in a browser; back to Vietnamese.
        b.lang = None;
        app.stop().await;
    }
}

#[tokio::test]
async fn the_to_do_list_shows_each_role_what_awaits_it_by_deadline() {
    for backend in backends() {
        let app = start(&backend, IN_EXPLANATION).await;
        let db = app.db();
        stage_2024(db).await;
        person(
            db,
            "can.bo",
            false,
            vec![
                Role::UnitOfficer {
                    unit: unit("TP-MAU"),
                },
                Role::UnitOfficer { unit: unit("SNV") },
            ],
        )
        .await;
        person(
            db,
            "lanh.dao",
            false,
            vec![Role::UnitLeader {
                unit: unit("H-TAY"),
            }],
        )
        .await;
        person(
            db,
            "tham.dinh",
            false,
            vec![Role::Appraiser {
                scope: AppraiserScope::units([unit("STP"), unit("H-DONG")]),
            }],
        )
        .await;
        person(
            db,
            "tham.dinh.lv1",
            false,
            vec![Role::Appraiser {
                scope: AppraiserScope {
                    units: Some(vec![unit("H-DONG")]),
                    areas: Some(vec![NodeCode::parse("1").unwrap()]),
                },
            }],
        )
        .await;
        person(db, "chu.tich", false, vec![Role::CouncilChair]).await;
        person(db, "quan.sat", false, vec![Role::Observer]).await;
        person(db, "admin", true, vec![]).await;

        let todo = |login: &'static str| {
            let base = app.base.clone();
            async move {
                let mut b = Browser::signed_in(&base, login, PASSWORD).await;
                let r = b.get("/viec-can-lam").await;
                assert_eq!(r.status, StatusCode::OK, "{login}: {}", r.body);
                r
            }
        };

        // The officer of two units: the overdue self-assessment first, then the explanation.
        let officer = todo("can.bo").await;
        officer.assert_has(&[
            "Nhập tự đánh giá của Sở Nội vụ",
            "href=\"/ky/2024/tu-danh-gia/SNV\"",
            "Trả lời 1 yêu cầu giải trình của Thành phố Mẫu",
            "href=\"/ky/2024/tu-danh-gia/TP-MAU\"",
            "hết ngày 31/01/2025",
            "Có 1 việc đã quá hạn.",
        ]);
        let first = officer.body.find("Sở Nội vụ").unwrap();
        let second = officer.body.find("Thành phố Mẫu").unwrap();
        assert!(first < second, "sorted by deadline");
        assert_eq!(officer.body.matches("<tr class=\"overdue\">").count(), 1);
        assert!(!officer.has("Huyện"), "no unit outside the officer's own");

        // The leader of a reopened unit: submit, no deadline.
        let leader = todo("lanh.dao").await;
        leader.assert_has(&["Duyệt và nộp tự đánh giá của Huyện Tây", "Chưa có hạn"]);
        assert!(!leader.has("class=\"overdue\""));

        // The appraiser: the submitted unit left unappraised, the answered explanation.
        let appraiser = todo("tham.dinh").await;
        appraiser.assert_has(&[
            "Thẩm định hồ sơ của Sở Tư pháp",
            "href=\"/ky/2024/tham-dinh/STP\"",
            "Thẩm định lại 1 tiêu chí đã giải trình của Huyện Đông",
            "href=\"/ky/2024/tham-dinh/H-DONG\"",
            "ngày 15/02/2025",
        ]);
        assert!(!appraiser.has("Sở Nội vụ") && !appraiser.has("Thành phố Mẫu"));
        // Assigned area 1 only: the answered leaf 2.1.1 is someone else's.
        todo("tham.dinh.lv1")
            .await
            .assert_has(&["Hiện không có việc nào chờ bạn xử lý."]);

        // Before the approval milestone the chair has nothing to approve.
        todo("chu.tich")
            .await
            .assert_has(&["Hiện không có việc nào chờ bạn xử lý."]);
        todo("quan.sat")
            .await
            .assert_has(&["Hiện không có việc nào chờ bạn xử lý."]);

        // The administrator follows the overdue units.
        let admin = todo("admin").await;
        admin.assert_has(&[
            "Theo dõi 2 đơn vị quá hạn",
            "href=\"/quan-tri/ky-danh-gia/2024#tien-do\"",
            "hết ngày 15/12/2024",
        ]);

        let r = Browser::new(&app.base).get("/viec-can-lam").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location, "/dang-nhap?next=/viec-can-lam");
        app.stop().await;

        // In the approval window the chair finds the period ready to approve.
        let app = start(&backend, IN_APPROVAL).await;
        stage_2024(app.db()).await;
        person(app.db(), "chu.tich", false, vec![Role::CouncilChair]).await;
        let mut b = Browser::signed_in(&app.base, "chu.tich", PASSWORD).await;
        let chair = b.get("/viec-can-lam").await;
        chair.assert_has(&[
            "Phê duyệt kết quả thẩm định: 2 đơn vị chờ phê duyệt",
            "href=\"/ky/2024/phe-duyet\"",
            "ngày 31/03/2025",
        ]);
        app.stop().await;
    }
}

#[test]
fn group_names_used_by_the_tests_are_valid() {
    for g in ["Sở, ban, ngành", "UBND cấp huyện"] {
        GroupName::parse(g).unwrap();
    }
}

#[tokio::test]
async fn the_new_period_form_names_every_mistake_at_once_next_to_its_field() {
    for backend in backends() {
        let app = start(&backend, IN_EXPLANATION).await;
        let db = app.db();
        person(db, "admin", true, vec![]).await;
        let before = snapshot(db).await;
        let mut b = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        let r = b
            .post_csrf(
                "/quan-tri/ky-danh-gia",
                &[
                    ("code", "2024"),
                    ("name", " "),
                    ("year", "20255"),
                    ("previous", "1999"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        for (field, message) in [
            ("code", "Đã có kỳ đánh giá mã “2024”."),
            ("name", "Hãy nhập tên kỳ đánh giá."),
            ("year", "Năm đánh giá “20255” không hợp lệ"),
            (
                "previous",
                "Không có kỳ đánh giá “1999” để chọn làm kỳ trước.",
            ),
        ] {
            r.assert_has(&[
                &format!("id=\"p-{field}-error\" class=\"field-error\""),
                message,
            ]);
        }
        r.assert_has(&[
            "Chưa tạo được kỳ đánh giá. Hãy sửa các ô sau:",
            "value=\"20255\"",
        ]);
        assert_eq!(snapshot(db).await, before);
        app.stop().await;
    }
}

#[tokio::test]
async fn the_to_do_page_leads_each_role_to_its_working_pages_even_with_nothing_due() {
    for backend in backends() {
        // Before the self-assessment opens nothing is due, yet everyone has somewhere to go.
        let app = start(&backend, SETUP_AT).await;
        let db = app.db();
        person(db, "chu.tich", false, vec![Role::CouncilChair]).await;
        person(
            db,
            "tham.dinh",
            false,
            vec![Role::Appraiser {
                scope: AppraiserScope::units([unit("SNV")]),
            }],
        )
        .await;
        person(
            db,
            "can.bo",
            false,
            vec![Role::UnitOfficer { unit: unit("SNV") }],
        )
        .await;
        let places = [
            ("chu.tich", vec!["/ky/2024/tham-dinh", "/ky/2024/phe-duyet"]),
            ("tham.dinh", vec!["/ky/2024/tham-dinh"]),
            ("can.bo", vec!["/ky/2024/tu-danh-gia/SNV"]),
        ];
        for (login, hrefs) in places {
            let mut b = Browser::signed_in(&app.base, login, PASSWORD).await;
            let page = b.get("/viec-can-lam").await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            page.assert_has(&["Trang làm việc của bạn"]);
            for href in &hrefs {
                assert!(page.has(&format!("href=\"{href}\"")), "{login}: {href}");
                assert_ne!(
                    b.get(href).await.status,
                    StatusCode::NOT_FOUND,
                    "{login}: {href}"
                );
            }
            if login != "chu.tich" {
                assert!(!page.has("/phe-duyet\""), "{login} does not approve");
            }
            if login == "can.bo" {
                page.assert_has(&["Tự đánh giá của Sở Nội vụ"]);
                assert!(!page.has("/tham-dinh\""), "officers do not appraise");
            }
        }
        app.stop().await;
    }
}
