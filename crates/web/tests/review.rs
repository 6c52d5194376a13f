//! Appraisal, explanation requests, approval, reopening, the comparison and the change log, as
//! appraisers, the council chair, the administrator, unit officers and observers meet them in
//! the browser. The period `2025` is set up through the store on the seeded province: three
//! departments (SNV, STP, SKHCN) in one group, every self-assessment entered, and a fixed clock;
//! the phase is moved by rewriting the milestones around that instant. Along the whole cycle the
//! unit's officer is e-mailed the explanation request and the approval. SQLite always,
//! PostgreSQL when `CHISO_TEST_PG` is set.

use crate::common;

use common::cheap_hash;

use std::sync::Arc;

use chiso_domain::workflow::{AssessmentState, Milestone, Milestones, Phase};
use chiso_domain::{
    AppraiserScope, FixedClock, Grant, GroupName, Membership, NodeCode, PeriodCode, Points,
    RawValue, Role, SetCode, UnitCode,
};
use chiso_store::assessments::{self, StateChange};
use chiso_store::audit::{self, AuditFilter};
use chiso_store::leaves::{self, LeafKey, SelfEntry};
use chiso_store::periods::{self, Period};
use chiso_store::{Actor, Db, explanations, grants, milestones, scores, users};
use chiso_web::WebConfig;
use common::browser::{Browser, Reply};
use common::fixtures::{DEPARTMENTS, SET};
use common::smtp::{Mail, decoded, next_mail, smtp_outbox, smtp_server};
use common::{Backend, TestApp, backends};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use time::OffsetDateTime;
use time::macros::datetime;
use tokio::sync::mpsc;

const PASSWORD: &str = "mat-khau-dung-123";
/// The fixed instant of every test: 10/01/2026 09:00 in Vietnam.
const NOW: OffsetDateTime = datetime!(2026-01-10 02:00 UTC);
const PERIOD: &str = "2025";
const UNITS: [&str; 3] = ["SNV", "STP", "SKHCN"];

// ---------------------------------------------------------------------------------------------
// Set-up through the store

fn period() -> PeriodCode {
    PeriodCode::parse(PERIOD).unwrap()
}

fn unit(s: &str) -> UnitCode {
    UnitCode::parse(s).unwrap()
}

fn node(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
}

fn admin_actor() -> Actor {
    Actor("admin".to_owned())
}

/// Milestones ten days apart placing [`NOW`] in `phase`.
fn plan_in(phase: Phase) -> Milestones {
    let starts = Milestone::ALL.iter().position(|m| m.starts() == phase);
    let k = starts.map_or(-1, |i| i64::try_from(i).unwrap());
    let at = |i: usize| {
        let i = i64::try_from(i).unwrap();
        Some(NOW - time::Duration::days(1) + time::Duration::days((i - k) * 10))
    };
    Milestones {
        self_open: at(0),
        self_close: at(1),
        appraisal_open: at(2),
        appraisal_close: at(3),
        explanation_open: at(4),
        explanation_close: at(5),
        approval: at(6),
        publication: at(7),
    }
}

async fn set_phase(db: &Db, phase: Phase) {
    let plan = plan_in(phase);
    assert_eq!(plan.phase_at(NOW), phase);
    milestones::set_all(db, &period(), &plan, &admin_actor(), NOW)
        .await
        .expect("milestones");
}

/// The self-assessed points of each unit, leaf by leaf (1.1.1/10, 1.2.1/20, 2.1.1/25,
/// 2.2.1/15, 3.1/30): SNV 91, STP 86, SKHCN 75.
fn self_points(u: &str) -> [(&'static str, Decimal); 5] {
    let v = match u {
        "SNV" => [dec!(10), dec!(18), dec!(25), dec!(12), dec!(26)],
        "STP" => [dec!(9), dec!(17), dec!(22), dec!(13), dec!(25)],
        _ => [dec!(8), dec!(15), dec!(20), dec!(10), dec!(22)],
    };
    let leaves = ["1.1.1", "1.2.1", "2.1.1", "2.2.1", "3.1"];
    std::array::from_fn(|i| (leaves[i], v[i]))
}

fn key(u: &str, n: &str) -> LeafKey {
    LeafKey {
        period: period(),
        unit: unit(u),
        node: node(n),
    }
}

/// The accounts of the tests, each with its roles in 2025.
const PEOPLE: [(&str, &str); 8] = [
    ("admin", "Quản trị Sở Nội vụ"),
    ("cb.snv", "Cán bộ đầu mối Sở Nội vụ"),
    ("td.a12", "Thẩm định viên lĩnh vực 1 và 2"),
    ("td.a3", "Thẩm định viên lĩnh vực 3"),
    ("td.stp", "Thẩm định viên Sở Tư pháp"),
    ("ct.hd", "Chủ tịch Hội đồng thẩm định"),
    ("qs.xem", "Thanh tra theo dõi"),
    ("td.chair", "Thẩm định viên kiêm Chủ tịch"),
];

/// Period 2025 (compared with 2024), its three departments, users and their grants, every
/// self-assessment entered and submitted, and the phase `phase`.
async fn setup(db: &Db, phase: Phase) {
    let a = admin_actor();
    let at = datetime!(2025-10-01 01:00 UTC);
    let p = Period {
        code: period(),
        year: 2025,
        name: "Chỉ số CCHC năm 2025".to_owned(),
        previous: Some(PeriodCode::parse("2024").unwrap()),
        status: periods::STATUS_DRAFT.to_owned(),
        decision: None,
        computed_at: None,
    };
    periods::create(db, &p, &a, at).await.expect("period");
    let group = GroupName::parse(DEPARTMENTS).unwrap();
    let members: Vec<Membership> = UNITS
        .iter()
        .map(|u| Membership {
            unit: unit(u),
            group: group.clone(),
            ranked: true,
        })
        .collect();
    periods::set_groups(
        db,
        &period(),
        &[(group, SetCode::parse(SET).unwrap())],
        &members,
        &a,
        at,
    )
    .await
    .expect("groups");

    for (login, name) in PEOPLE {
        users::create(
            db,
            login,
            name,
            &cheap_hash(PASSWORD),
            login == "admin",
            &a,
            at,
        )
        .await
        .expect("user");
    }
    let in_2025 = |role| Grant::in_period(role, period());
    let appraiser = |scope| Role::Appraiser { scope };
    let granted = [
        ("cb.snv", in_2025(Role::UnitOfficer { unit: unit("SNV") })),
        (
            "td.a12",
            in_2025(appraiser(AppraiserScope::areas([node("1"), node("2")]))),
        ),
        (
            "td.a3",
            in_2025(appraiser(AppraiserScope::areas([node("3")]))),
        ),
        (
            "td.stp",
            in_2025(appraiser(AppraiserScope::units([unit("STP")]))),
        ),
        ("ct.hd", in_2025(Role::CouncilChair)),
        ("qs.xem", in_2025(Role::Observer)),
        ("td.chair", in_2025(Role::CouncilChair)),
        (
            "td.chair",
            in_2025(appraiser(AppraiserScope::units([unit("SKHCN")]))),
        ),
    ];
    for (login, g) in granted {
        grants::grant(db, login, &g, &a, at).await.expect("grant");
    }

    set_phase(db, Phase::SelfAssessment).await;
    for u in UNITS {
        let officer = Actor(format!("cb.{}", u.to_lowercase()));
        for (n, pts) in self_points(u) {
            let entry = SelfEntry {
                input: Some(RawValue::Points(pts)),
                points: Some(Points(pts)),
                declared_data: Some(format!("Số liệu kê khai tiêu chí {n}")),
                note: Some(format!("Ghi chú tiêu chí {n}")),
                explanation: None,
            };
            leaves::save_self(db, &key(u, n), &entry, 0, &officer, at)
                .await
                .expect("self");
        }
        for (version, state) in [(0, AssessmentState::Draft), (1, AssessmentState::Submitted)] {
            let change = StateChange {
                state,
                reopened: false,
                reason: "",
            };
            assessments::set_state(db, &period(), &unit(u), version, &change, &officer, at)
                .await
                .expect("state");
        }
    }
    set_phase(db, phase).await;
}

async fn start(backend: &Backend, phase: Phase) -> TestApp {
    start_with(backend, phase, None).await
}

async fn start_with(
    backend: &Backend,
    phase: Phase,
    outbox: Option<chiso_jobs::OutboxConfig>,
) -> TestApp {
    let config = WebConfig {
        clock: Arc::new(FixedClock(NOW)),
        outbox,
        ..WebConfig::default()
    };
    let app = TestApp::start_with(backend, config, true).await;
    setup(app.db(), phase).await;
    app
}

/// The application mailing to a test SMTP server, with an address for the officer of SNV.
async fn start_mailing(
    backend: &Backend,
    phase: Phase,
) -> (TestApp, mpsc::UnboundedReceiver<Mail>) {
    let (port, mails) = smtp_server().await;
    let app = start_with(backend, phase, Some(smtp_outbox(port))).await;
    users::set_email(
        app.db(),
        "cb.snv",
        Some("cb@snv.example.vn"),
        &admin_actor(),
        NOW,
    )
    .await
    .expect("email");
    (app, mails)
}

/// Waits for the next e-mail and checks its recipients and text.
async fn assert_mailed(mails: &mut mpsc::UnboundedReceiver<Mail>, to: &[&str], texts: &[&str]) {
    let mail = next_mail(mails).await;
    assert_eq!(mail.to, to, "{mail:?}");
    let text = decoded(&mail.data);
    for t in texts {
        assert!(text.contains(t), "{t:?} in:\n{text}");
    }
}

async fn state_of(db: &Db, u: &str) -> AssessmentState {
    assessments::get(db, &period(), &unit(u))
        .await
        .unwrap()
        .map_or(AssessmentState::NotStarted, |a| a.state)
}

async fn appraised_points(db: &Db, u: &str, n: &str) -> Option<Decimal> {
    leaves::get(db, &key(u, n))
        .await
        .unwrap()
        .filter(|l| l.is_appraised())
        .and_then(|l| l.appraisal.points)
        .map(Points::value)
}

/// Everything a refused request must leave untouched: the leaves, states, explanation
/// requests and official scores of the period, the period itself, and the length of the audit
/// log.
async fn snapshot(db: &Db) -> String {
    let p = period();
    let mut parts = Vec::new();
    for u in UNITS {
        let l = leaves::list(db, &p, &unit(u)).await.unwrap();
        parts.push(serde_json::to_string(&l).unwrap());
    }
    parts.push(serde_json::to_string(&assessments::list(db, &p).await.unwrap()).unwrap());
    parts.push(serde_json::to_string(&explanations::list(db, &p, None).await.unwrap()).unwrap());
    parts.push(serde_json::to_string(&scores::list(db, &p).await.unwrap()).unwrap());
    parts.push(serde_json::to_string(&periods::get(db, &p).await.unwrap()).unwrap());
    let log = audit::list(db, &AuditFilter::default()).await.unwrap();
    parts.push(log.len().to_string());
    parts.join("\n")
}

// ---------------------------------------------------------------------------------------------
// Appraising with a browser

/// `login` signed in, the session's CSRF token kept.
async fn signed_in(app: &TestApp, login: &str) -> Browser {
    Browser::signed_in(&app.base, login, PASSWORD).await
}

/// Steps on the appraisal page of a unit.
trait Appraiser {
    /// The appraisal version a page offers for a leaf (the hidden field of its form).
    async fn version_of(&mut self, u: &str, n: &str) -> String;

    /// Loads the unit's page and saves one appraised value with the version it shows.
    async fn appraise(&mut self, u: &str, n: &str, value: &str, comment: &str) -> Reply;
}

impl Appraiser for Browser {
    async fn version_of(&mut self, u: &str, n: &str) -> String {
        let page = self.get(&unit_path(u)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let action = format!("action=\"{}/tieu-chi/{n}\"", unit_path(u));
        let at = page
            .body
            .find(&action)
            .unwrap_or_else(|| panic!("no form for {u}/{n}:\n{}", page.body));
        let rest = &page.body[at..];
        let marker = "name=\"version\" value=\"";
        let start = rest.find(marker).expect("version field") + marker.len();
        let end = start + rest[start..].find('"').unwrap();
        rest[start..end].to_owned()
    }

    async fn appraise(&mut self, u: &str, n: &str, value: &str, comment: &str) -> Reply {
        let version = self.version_of(u, n).await;
        self.post_csrf(
            &leaf_path(u, n),
            &[
                ("value", value),
                ("comment", comment),
                ("version", &version),
            ],
        )
        .await
    }
}

fn unit_path(u: &str) -> String {
    format!("/ky/{PERIOD}/tham-dinh/{u}")
}

fn leaf_path(u: &str, n: &str) -> String {
    format!("/ky/{PERIOD}/tham-dinh/{u}/tieu-chi/{n}")
}

/// The ranking row of a unit on the results page.
fn ranking_row<'a>(body: &'a str, u: &str) -> &'a str {
    body.split("<tr>")
        .find(|row| row.contains(&format!("<code>{u}</code>")))
        .unwrap_or_else(|| panic!("no row for {u}:\n{body}"))
}

// ---------------------------------------------------------------------------------------------
// Scenarios

#[tokio::test]
async fn appraisal_explanation_and_approval_change_the_published_rank_and_total() {
    for backend in backends() {
        let (app, mut mails) = start_mailing(&backend, Phase::Appraisal).await;
        let db = app.db();
        let mut a12 = signed_in(&app, "td.a12").await;
        let mut a3 = signed_in(&app, "td.a3").await;
        let mut stp = signed_in(&app, "td.stp").await;
        let mut chair = signed_in(&app, "ct.hd").await;

        // The appraiser of areas 1 and 2 sees both sides of their leaves, not area 3.
        let page = a12.get(&unit_path("SNV")).await;
        assert_eq!(
            page.status,
            StatusCode::OK,
            "[{}] {}",
            app.backend,
            page.body
        );
        page.assert_has(&[
            "Thẩm định: Sở Nội vụ",
            "Báo cáo đúng hạn, đủ nội dung",
            "Số liệu kê khai tiêu chí 1.2.1",
            "Ghi chú tiêu chí 1.2.1",
            "Chấm 18/20 điểm",
            "Tổng điểm tự đánh giá",
            "name=\"value\"",
        ]);
        page.assert_lacks(&["Hạ tầng và nền tảng số"]);

        // A lowered score without a comment is refused, naming the field.
        let r = a12.appraise("SNV", "2.1.1", "20", " ").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&[
            "Nhận xét: bắt buộc vì điểm thẩm định 20 khác điểm tự đánh giá 25.",
            "value=\"20\"",
        ]);
        assert_eq!(appraised_points(db, "SNV", "2.1.1").await, None);
        assert_eq!(state_of(db, "SNV").await, AssessmentState::Submitted);

        // Two adjustments with comments; the first one starts the appraisal.
        let r = a12
            .appraise("SNV", "1.2.1", "14", "Thiếu báo cáo quý IV")
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(
            r.location,
            // Ready at the next criterion this appraiser still has to appraise.
            format!("{}?ok=saved&tieu-chi=1.2.1&tiep=2.1.1", unit_path("SNV"))
        );
        let r = a12
            .appraise("SNV", "2.1.1", "20", "Tỷ lệ đúng hạn thực tế 80 %")
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(appraised_points(db, "SNV", "1.2.1").await, Some(dec!(14)));
        assert_eq!(appraised_points(db, "SNV", "2.1.1").await, Some(dec!(20)));
        assert_eq!(state_of(db, "SNV").await, AssessmentState::UnderAppraisal);

        // An explanation request on one of them.
        let r = a12
            .post_csrf(
                &format!("{}/giai-trinh", leaf_path("SNV", "1.2.1")),
                &[("request", "Đề nghị bổ sung báo cáo quý IV")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(
            state_of(db, "SNV").await,
            AssessmentState::ExplanationRequested
        );
        // The unit's officer (the only one with an address) is told.
        assert_mailed(
            &mut mails,
            &["<cb@snv.example.vn>"],
            &[
                "đã đề nghị đơn vị Sở Nội vụ (SNV) giải trình",
                "kỳ Chỉ số CCHC năm 2025 (2025)",
            ],
        )
        .await;
        let page = a12
            .get(&format!("{}?ok=saved&tieu-chi=1.2.1", unit_path("SNV")))
            .await;
        page.assert_has(&[
            "Đã lưu điểm thẩm định tiêu chí 1.2.1.",
            "Đề nghị bổ sung báo cáo quý IV",
            "Đơn vị chưa giải trình.",
            "Thiếu báo cáo quý IV",
            "Đã điều chỉnh",
        ]);

        // The other units are appraised too: STP by its own appraiser, SKHCN in area 3.
        let r = stp.appraise("STP", "1.1.1", "9", "").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = a3.appraise("SKHCN", "3.1", "22", "").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = a3.appraise("SNV", "3.1", "26", "").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // The unit answers in the explanation window.
        set_phase(db, Phase::Explanation).await;
        let request = explanations::list(db, &period(), Some(&unit("SNV")))
            .await
            .unwrap()
            .remove(0);
        let officer = Actor("cb.snv".to_owned());
        explanations::answer(
            db,
            request.id,
            "Đã bổ sung Báo cáo số 12/BC-SNV ngày 28/12/2025",
            request.version,
            &officer,
            NOW,
        )
        .await
        .unwrap();
        let a = assessments::get(db, &period(), &unit("SNV"))
            .await
            .unwrap()
            .unwrap();
        let explained = StateChange {
            state: AssessmentState::Explained,
            reopened: false,
            reason: "",
        };
        assessments::set_state(
            db,
            &period(),
            &unit("SNV"),
            a.version,
            &explained,
            &officer,
            NOW,
        )
        .await
        .unwrap();

        // Re-appraisal touches only the answered leaf.
        let page = a12.get(&unit_path("SNV")).await;
        page.assert_has(&["Đã bổ sung Báo cáo số 12/BC-SNV ngày 28/12/2025"]);
        assert!(
            !page
                .body
                .contains(&format!("action=\"{}\"", leaf_path("SNV", "2.1.1")))
        );
        let r = a12
            .post_csrf(
                &leaf_path("SNV", "2.1.1"),
                &[("value", "25"), ("comment", ""), ("version", "1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["chỉ thẩm định lại các tiêu chí đơn vị đã giải trình"]);
        let r = a12
            .appraise(
                "SNV",
                "1.2.1",
                "16",
                "Đã bổ sung báo cáo, trừ điểm nộp muộn",
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(appraised_points(db, "SNV", "1.2.1").await, Some(dec!(16)));

        // Every unit is appraised, but the approval window has not opened: the chair sees
        // why instead of the button.
        let page = chair.get(&format!("/ky/{PERIOD}/phe-duyet")).await;
        page.assert_has(&["approval-blocked", "Chưa đến thời gian phê duyệt."]);
        page.assert_lacks(&["Phê duyệt kết quả thẩm định</button>"]);

        // The council chair approves; every unit is finalised and the results recomputed.
        set_phase(db, Phase::Approval).await;
        let page = chair.get(&format!("/ky/{PERIOD}/phe-duyet")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        page.assert_has(&["Sẵn sàng phê duyệt", "Phê duyệt kết quả thẩm định"]);
        let r = chair
            .post_csrf(&format!("/ky/{PERIOD}/phe-duyet"), &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(
            r.location,
            format!("/ky/{PERIOD}/phe-duyet?ok=approved&n=3")
        );
        assert_mailed(
            &mut mails,
            &["<cb@snv.example.vn>"],
            &["đã phê duyệt kết quả Chỉ số cải cách hành chính kỳ Chỉ số CCHC năm 2025 (2025)"],
        )
        .await;
        assert!(mails.try_recv().is_err(), "no other e-mail");
        for u in UNITS {
            assert_eq!(state_of(db, u).await, AssessmentState::Finalised, "{u}");
        }
        let official = scores::for_unit(db, &period(), &unit("SNV")).await.unwrap();
        let of = |n: &str| {
            official
                .iter()
                .find(|s| s.node == node(n))
                .and_then(|s| s.points)
                .map(Points::value)
        };
        assert_eq!(
            [
                of("1.1.1"),
                of("1.2.1"),
                of("2.1.1"),
                of("2.2.1"),
                of("3.1")
            ],
            [
                Some(dec!(10)),
                Some(dec!(16)),
                Some(dec!(20)),
                Some(dec!(12)),
                Some(dec!(26))
            ]
        );

        // Approved is not published: the public sees nothing of the period yet.
        let public = Browser::new(&app.base).get(&format!("/ky/{PERIOD}")).await;
        assert_eq!(public.status, StatusCode::NOT_FOUND, "{}", public.body);
        public.assert_has(&["chưa được công bố"]);
        // The council reads the confidential ranking: SNV fell from 91 (self) to 84 and below
        // STP (86), rank 2 of 3.
        let results = chair.get(&format!("/ky/{PERIOD}")).await;
        assert_eq!(results.status, StatusCode::OK, "{}", results.body);
        results.assert_has(&["Kết quả chưa công bố"]);
        let snv = ranking_row(&results.body, "SNV");
        assert!(snv.contains("2/3") && snv.contains("84,00"), "{snv}");
        let stp_row = ranking_row(&results.body, "STP");
        assert!(
            stp_row.contains("1/3") && stp_row.contains("86,00"),
            "{stp_row}"
        );

        // Locked: no more appraisal.
        let r = a12
            .post_csrf(
                &leaf_path("SNV", "1.2.1"),
                &[("value", "20"), ("comment", "x"), ("version", "2")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["điểm đã khóa"]);

        // The comparison shows both sides, the reasons and the totals per area.
        let diff = chair.get(&format!("{}/so-sanh", unit_path("SNV"))).await;
        assert_eq!(diff.status, StatusCode::OK, "{}", diff.body);
        diff.assert_has(&[
            "So sánh tự đánh giá và thẩm định: Sở Nội vụ",
            "diff-changed",
            "Đã bổ sung báo cáo, trừ điểm nộp muộn",
            "Tỷ lệ đúng hạn thực tế 80 %",
            // Area 1: 28 → 26; area 2: 37 → 32; total 91 → 84.
            "<td class=\"num\">28,00</td>\n      <td class=\"num\">26,00</td>",
            "<td class=\"num\">37,00</td>\n      <td class=\"num\">32,00</td>",
            "<td class=\"num\">91,00</td>\n      <td class=\"num\">84,00</td>",
            "-7,00",
        ]);

        // The change log: who, when, old → new, reason.
        let log = chair
            .get(&format!("/ky/{PERIOD}/nhat-ky/SNV?tieu-chi=1.2.1"))
            .await;
        assert_eq!(log.status, StatusCode::OK, "{}", log.body);
        log.assert_has(&[
            "Nhật ký thay đổi: Sở Nội vụ, tiêu chí 1.2.1",
            "10/01/2026 09:00",
            "td.a12",
            "Ghi điểm thẩm định",
            "<span class=\"log-old\">14</span>",
            "<span class=\"log-new\">16</span>",
            "Yêu cầu giải trình",
            "Ghi điểm chính thức",
            "Phê duyệt kết quả thẩm định",
        ]);
        let log = chair.get(&format!("/ky/{PERIOD}/nhat-ky/SNV")).await;
        log.assert_has(&[
            "Chuyển trạng thái hồ sơ",
            "<span class=\"log-old\">Đã giải trình</span>",
            "<span class=\"log-new\">Đã phê duyệt</span>",
        ]);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_stale_appraisal_is_refused_and_shows_the_value_saved_meanwhile() {
    for backend in backends() {
        let app = start(&backend, Phase::Appraisal).await;
        let db = app.db();
        let mut first = signed_in(&app, "td.a12").await;
        let mut second = signed_in(&app, "td.a12").await;
        let v1 = first.version_of("STP", "1.1.1").await;
        let v2 = second.version_of("STP", "1.1.1").await;
        assert_eq!((v1.as_str(), v2.as_str()), ("0", "0"));
        let r = first
            .post_csrf(
                &leaf_path("STP", "1.1.1"),
                &[
                    ("value", "7,5"),
                    ("comment", "Kế hoạch ban hành muộn"),
                    ("version", &v1),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        let before = snapshot(db).await;
        let r = second
            .post_csrf(
                &leaf_path("STP", "1.1.1"),
                &[
                    ("value", "6"),
                    ("comment", "Thiếu kế hoạch"),
                    ("version", &v2),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "[{}] {}",
            app.backend,
            r.body
        );
        r.assert_has(&[
            "vừa được td.a12 cập nhật lúc 10/01/2026 09:00 (hiện là 7,5 điểm)",
            "value=\"7,5\"",
            "Kế hoạch ban hành muộn",
            "name=\"version\" value=\"1\"",
        ]);
        assert_eq!(snapshot(db).await, before, "nothing changed");
        assert_eq!(appraised_points(db, "STP", "1.1.1").await, Some(dec!(7.5)));

        // Bad values name the field; values above the maximum too.
        for (value, message) in [
            ("", "Giá trị thẩm định: chưa nhập."),
            ("mười", "không phải là số."),
            ("12", "Giá trị thẩm định: điểm 12 vượt điểm tối đa 10."),
        ] {
            let r = second
                .post_csrf(
                    &leaf_path("STP", "1.1.1"),
                    &[("value", value), ("comment", "x"), ("version", "1")],
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{value}: {}",
                r.body
            );
            r.assert_has(&[message]);
        }
        // The same in English.
        let r = second
            .post_csrf(
                &format!("{}?lang=en", leaf_path("STP", "1.1.1")),
                &[("value", "5"), ("comment", ""), ("version", "1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["Comment: required because the appraised points 5 differ"]);
        assert_eq!(snapshot(db).await, before, "nothing changed");
        app.stop().await;
    }
}

#[tokio::test]
async fn an_appraised_number_with_two_readings_is_refused_showing_both_in_either_language() {
    for backend in backends() {
        let app = start(&backend, Phase::Appraisal).await;
        let db = app.db();
        let before = snapshot(db).await;
        let mut appraiser = signed_in(&app, "td.a12").await;
        let r = appraiser
            .appraise("STP", "1.2.1", "1.500", "Thiếu báo cáo quý IV")
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&[
            "Giá trị thẩm định tiêu chí 1.2.1: “1.500” có hai cách hiểu: 1500 (dấu chấm ngăn \
             cách hàng nghìn) hoặc 1,5 (dấu chấm là dấu thập phân kiểu tiếng Anh). Hãy viết 1500 \
             hoặc 1,5.",
            "value=\"1.500\"",
        ]);
        let version = appraiser.version_of("STP", "1.2.1").await;
        let r = appraiser
            .post_csrf(
                &format!("{}?lang=en", leaf_path("STP", "1.2.1")),
                &[
                    ("value", "1.500"),
                    ("comment", "Thiếu báo cáo quý IV"),
                    ("version", &version),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&[
            "Appraised value of criterion 1.2.1: “1.500” can be read two ways: 1500 (the dot \
             separating thousands) or 1,5 (the dot as an English-style decimal point). Write 1500 \
             or 1,5",
        ]);
        let r = appraiser
            .post_csrf(
                &format!("{}?lang=en", leaf_path("STP", "1.2.1")),
                &[
                    ("value", "1,234.5"),
                    ("comment", "Thiếu báo cáo quý IV"),
                    ("version", &version),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&[
            "Appraised value of criterion 1.2.1: “1,234.5” is not a number written the Vietnamese way",
        ]);
        assert_eq!(snapshot(db).await, before, "nothing changed");

        // A dot that cannot group thousands has one reading; the value shows back with a
        // decimal comma and saves again as the same number.
        let r = appraiser
            .appraise("STP", "1.2.1", "16.5", "Thiếu báo cáo quý IV")
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(appraised_points(db, "STP", "1.2.1").await, Some(dec!(16.5)));
        let page = appraiser.get(&unit_path("STP")).await;
        page.assert_has(&["value=\"16,5\""]);
        let r = appraiser
            .appraise("STP", "1.2.1", "16,5", "Thiếu báo cáo quý IV")
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(appraised_points(db, "STP", "1.2.1").await, Some(dec!(16.5)));
        app.stop().await;
    }
}

#[tokio::test]
async fn appraisal_waits_for_its_window_and_approval_lists_the_units_not_yet_appraised() {
    for backend in backends() {
        let app = start(&backend, Phase::SelfAssessmentClosed).await;
        let db = app.db();
        let mut a12 = signed_in(&app, "td.a12").await;
        let mut chair = signed_in(&app, "ct.hd").await;

        let page = a12.get(&unit_path("SNV")).await;
        page.assert_has(&["Hiện chưa thể ghi điểm thẩm định: Chưa đến thời gian thẩm định."]);
        // Before approval is possible the chair sees why, and no button.
        let page = chair.get(&format!("/ky/{PERIOD}/phe-duyet")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        page.assert_has(&[
            "approval-blocked",
            "Chưa thể phê duyệt: còn 3 đơn vị chưa được thẩm định",
        ]);
        page.assert_lacks(&["Phê duyệt kết quả thẩm định</button>"]);
        page.assert_lacks(&["name=\"value\""]);
        let before = snapshot(db).await;
        let r = a12
            .post_csrf(
                &leaf_path("SNV", "1.1.1"),
                &[("value", "10"), ("comment", ""), ("version", "0")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["Chưa đến thời gian thẩm định."]);
        assert_eq!(snapshot(db).await, before);

        // Only SNV gets appraised.
        set_phase(db, Phase::Appraisal).await;
        let r = a12.appraise("SNV", "1.1.1", "10", "").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        set_phase(db, Phase::Approval).await;
        let page = chair.get(&format!("/ky/{PERIOD}/phe-duyet")).await;
        page.assert_has(&["Chưa thể phê duyệt: còn 2 đơn vị chưa được thẩm định"]);
        page.assert_lacks(&["Phê duyệt kết quả thẩm định</button>"]);
        let before = snapshot(db).await;
        let r = chair
            .post_csrf(&format!("/ky/{PERIOD}/phe-duyet"), &[])
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            app.backend,
            r.body
        );
        r.assert_has(&[
            "Chưa thể phê duyệt: còn 2 đơn vị chưa được thẩm định: Sở Tư pháp (STP); Sở Khoa học &#38; Công nghệ (SKHCN).",
            "approval-problem",
        ]);
        assert_eq!(snapshot(db).await, before, "nothing changed");
        assert_eq!(state_of(db, "SNV").await, AssessmentState::UnderAppraisal);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_leaf_appraised_as_not_applicable_shows_so_and_leaves_the_maximum_on_the_comparison() {
    for backend in backends() {
        let app = start(&backend, Phase::Appraisal).await;
        let mut a12 = signed_in(&app, "td.a12").await;
        let r = a12
            .appraise("SNV", "2.2.1", "kps", "Không phát sinh hồ sơ trực tuyến")
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "[{}] {}",
            app.backend,
            r.body
        );

        let mut chair = signed_in(&app, "ct.hd").await;
        let diff = chair.get(&format!("{}/so-sanh", unit_path("SNV"))).await;
        assert_eq!(diff.status, StatusCode::OK, "{}", diff.body);
        diff.assert_has(&[
            // Self-assessed 12, appraised not applicable.
            "<td class=\"num\">12,00</td>\n      <td class=\"num\">không áp dụng</td>",
            // Area 2: maximum 40 − 15, self-assessed 25 + 12, official 25.
            "<td class=\"num\">25,00</td>\n      <td class=\"num\">37,00</td>\n      <td class=\"num\">25,00</td>",
            // The unit: maximum 100 − 15.
            "<td class=\"num\">85,00</td>",
        ]);
        app.stop().await;
    }
}

#[tokio::test]
async fn an_administrator_reopens_one_unit_with_a_reason_that_the_change_log_keeps() {
    for backend in backends() {
        let app = start(&backend, Phase::Appraisal).await;
        let db = app.db();
        let mut admin = signed_in(&app, "admin").await;
        let reopen = format!("{}/mo-lai", unit_path("STP"));

        let page = admin.get(&unit_path("STP")).await;
        page.assert_has(&["Mở lại hồ sơ của đơn vị", "name=\"reason\""]);
        page.assert_lacks(&["name=\"value\""]);

        let before = snapshot(db).await;
        let r = admin.post_csrf(&reopen, &[("reason", "   ")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["Lý do mở lại: bắt buộc phải ghi."]);
        assert_eq!(snapshot(db).await, before);

        let reason = "Đơn vị nộp nhầm số liệu tiêu chí 2.1.1 (Công văn số 45/STP-VP)";
        let r = admin.post_csrf(&reopen, &[("reason", reason)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let a = assessments::get(db, &period(), &unit("STP"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((a.state, a.reopened), (AssessmentState::Draft, true));
        let entry = audit::list(
            db,
            &AuditFilter {
                period: Some(period()),
                unit: Some(unit("STP")),
                node: None,
                limit: 1,
            },
        )
        .await
        .unwrap()
        .remove(0);
        assert_eq!(
            (
                entry.actor.as_str(),
                entry.action.as_str(),
                entry.reason.as_deref()
            ),
            ("admin", "set_state", Some(reason))
        );

        let log = admin.get(&format!("/ky/{PERIOD}/nhat-ky/STP")).await;
        log.assert_has(&[
            reason,
            "<span class=\"log-old\">Đã nộp</span>",
            "<span class=\"log-new\">Đang tự đánh giá (bản nháp)</span>",
            "Đã mở lại:</span> <span class=\"log-old\">không</span>",
        ]);

        // A unit still in draft has nothing to reopen.
        let r = admin.post_csrf(&reopen, &[("reason", "Lần nữa")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["không cần mở lại"]);
        app.stop().await;
    }
}

#[tokio::test]
async fn an_administrator_reopens_the_whole_approval_with_a_reason_and_the_chair_approves_again() {
    for backend in backends() {
        let app = start(&backend, Phase::Appraisal).await;
        let db = app.db();
        for u in UNITS {
            let change = StateChange {
                state: AssessmentState::UnderAppraisal,
                reopened: false,
                reason: "",
            };
            assessments::set_state(db, &period(), &unit(u), 2, &change, &admin_actor(), NOW)
                .await
                .expect("appraisal started");
        }
        set_phase(db, Phase::Approval).await;
        let mut admin = signed_in(&app, "admin").await;
        let mut chair = signed_in(&app, "ct.hd").await;
        let approval = format!("/ky/{PERIOD}/phe-duyet");
        let reopen = format!("{approval}/mo-lai");

        // Nothing approved yet: no form.
        admin
            .get(&approval)
            .await
            .assert_lacks(&["Mở lại phê duyệt</button>"]);
        let r = chair.post_csrf(&approval, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        let page = admin.get(&approval).await;
        page.assert_has(&[
            "Mở lại phê duyệt</button>",
            "name=\"ly-do\"",
            "data-confirm=",
        ]);
        chair
            .get(&approval)
            .await
            .assert_lacks(&["Mở lại phê duyệt</button>"]);

        let before = snapshot(db).await;
        let r = admin.post_csrf(&reopen, &[("ly-do", "  ")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["Lý do mở lại: bắt buộc phải ghi."]);
        let r = chair.post_csrf(&reopen, &[("ly-do", "Sai sót")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert_eq!(snapshot(db).await, before, "refusals change nothing");

        let reason =
            "Hội đồng phát hiện sai sót điểm tiêu chí 1.1.1 (Biên bản họp ngày 20/01/2026)";
        let r = admin.post_csrf(&reopen, &[("ly-do", reason)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, format!("{approval}?ok=approval_reopened&n=3"));
        for u in UNITS {
            let a = assessments::get(db, &period(), &unit(u))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                (a.state, a.reopened),
                (AssessmentState::UnderAppraisal, true)
            );
        }
        let log = admin.get(&format!("/ky/{PERIOD}/nhat-ky/STP")).await;
        log.assert_has(&[reason, "Quản trị Sở Nội vụ (admin)"]);

        // Through the API too: nothing approved is left to reopen.
        let token = api_token(db, "admin", chiso_services::tokens::TokenScope::Write).await;
        let reopen_api = |reason: &str| {
            app.client
                .post(format!(
                    "{}/api/v1/periods/{PERIOD}/approval/reopen",
                    app.base
                ))
                .bearer_auth(&token)
                .json(&serde_json::json!({ "reason": reason }))
                .send()
        };
        let r = reopen_api("Lần nữa").await.unwrap();
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("approval_nothing_to_reopen")
        );

        let r = chair.post_csrf(&approval, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(state_of(db, "STP").await, AssessmentState::Finalised);
        let r = reopen_api("Theo kết luận của Hội đồng").await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["reopened"], 3);
        app.stop().await;
    }
}

#[tokio::test]
async fn an_appraiser_agrees_with_a_criterion_an_area_or_a_whole_unit_each_audited() {
    for backend in backends() {
        let app = start(&backend, Phase::SelfAssessmentClosed).await;
        let db = app.db();
        let mut td = signed_in(&app, "td.stp").await;
        let confirm = format!("{}/dong-y", unit_path("STP"));

        // The appraisal window is not open: refused, nothing saved.
        let before = snapshot(db).await;
        let r = td.post_csrf(&confirm, &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["Chưa đến thời gian thẩm định."]);
        assert_eq!(snapshot(db).await, before);

        set_phase(db, Phase::Appraisal).await;
        let page = td.get(&unit_path("STP")).await;
        page.assert_has(&[
            "Đồng ý với tự đánh giá ở mọi tiêu chí chưa thẩm định (5)",
            "Đồng ý với tự đánh giá cả lĩnh vực (2 tiêu chí)",
            "name=\"tieu-chi\" value=\"3.1\"",
        ]);
        // One criterion, then the rest of the unit in one action.
        let r = td.post_csrf(&confirm, &[("tieu-chi", "1.1.1")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(
            r.location,
            format!("{}?ok=confirmed&n=1&tiep=1.2.1", unit_path("STP"))
        );
        assert_eq!(appraised_points(db, "STP", "1.1.1").await, Some(dec!(9)));
        // Back on the page, the next criterion to appraise has the focus, and the bar counts
        // what is left.
        let page = td.get(&r.location).await;
        assert!(
            !r.location.contains('#'),
            "a fragment would block the focus"
        );
        assert_eq!(page.body.matches("autofocus data-arrive").count(), 1);
        page.assert_has(&[
            "id=\"value-tc-1.2.1\" name=\"value\" type=\"text\" value=\"\" autocomplete=\"off\" required enterkeyhint=\"next\" autofocus data-arrive",
            "<nav class=\"todo-nav\"",
            "Chưa thẩm định <span class=\"badge\">4</span>",
            "data-targets=\"tc-1.2.1 tc-2.1.1 tc-2.2.1 tc-3.1\"",
        ]);
        let r = td.post_csrf(&confirm, &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(r.location.contains("ok=confirmed&n=4"), "{}", r.location);
        for (n, pts) in self_points("STP") {
            assert_eq!(appraised_points(db, "STP", n).await, Some(pts), "{n}");
        }
        assert_eq!(state_of(db, "STP").await, AssessmentState::UnderAppraisal);
        let page = td
            .get(&format!("{}?ok=confirmed&n=4", unit_path("STP")))
            .await;
        page.assert_has(&["Đã đồng ý với tự đánh giá ở 4 tiêu chí"]);
        page.assert_lacks(&["Đồng ý với tự đánh giá ở mọi tiêu chí chưa thẩm định"]);
        let entries = audit::list(
            db,
            &AuditFilter {
                period: Some(period()),
                unit: Some(unit("STP")),
                node: None,
                limit: 0,
            },
        )
        .await
        .unwrap();
        let agreed: Vec<_> = entries
            .iter()
            .filter(|e| e.reason.as_deref() == Some("Đồng ý với tự đánh giá"))
            .map(|e| (e.actor.as_str(), e.action.as_str()))
            .collect();
        assert_eq!(
            agreed,
            vec![("td.stp", "save_appraisal"); 5],
            "one row per criterion"
        );

        // Nothing left; another unit is out of this appraiser's scope.
        let r = td.post_csrf(&confirm, &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["không còn tiêu chí nào chưa thẩm định"]);
        let r = td
            .post_csrf(&format!("{}/dong-y", unit_path("SNV")), &[])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

        // The API does the same for an area appraiser.
        let token = api_token(db, "td.a3", chiso_services::tokens::TokenScope::Write).await;
        let r = app
            .client
            .post(format!(
                "{}/api/v1/periods/{PERIOD}/assessments/SNV/appraisal/confirm",
                app.base
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["confirmed"], 1, "area 3 has one criterion");
        assert_eq!(appraised_points(db, "SNV", "3.1").await, Some(dec!(26)));
        assert_eq!(appraised_points(db, "SNV", "1.1.1").await, None);
        app.stop().await;
    }
}

#[tokio::test]
async fn the_list_shows_each_person_the_units_they_may_see() {
    for backend in backends() {
        let app = start(&backend, Phase::Appraisal).await;
        let list = format!("/ky/{PERIOD}/tham-dinh");
        for (login, sees, not) in [
            ("td.stp", &["Sở Tư pháp"][..], &["Sở Nội vụ", "SKHCN"][..]),
            ("td.a12", &["Sở Nội vụ", "Sở Tư pháp", "SKHCN"][..], &[][..]),
            ("ct.hd", &["Sở Nội vụ", "Sở Tư pháp", "SKHCN"][..], &[][..]),
            ("admin", &["Sở Nội vụ", "Sở Tư pháp", "SKHCN"][..], &[][..]),
            ("qs.xem", &["Sở Nội vụ", "Sở Tư pháp", "SKHCN"][..], &[][..]),
            ("cb.snv", &["Sở Nội vụ"][..], &["Sở Tư pháp", "SKHCN"][..]),
        ] {
            let mut b = signed_in(&app, login).await;
            let page = b.get(&list).await;
            assert_eq!(page.status, StatusCode::OK, "{login}: {}", page.body);
            page.assert_has(sees);
            page.assert_has(&["Đã nộp", "Thẩm định"]);
            page.assert_lacks(not);
        }
        // The approval page is offered to those who may open it.
        let to_approval = "Trang phê duyệt của Chủ tịch Hội đồng";
        let mut chair = signed_in(&app, "ct.hd").await;
        chair.get(&list).await.assert_has(&[to_approval]);
        let mut stp = signed_in(&app, "td.stp").await;
        stp.get(&list).await.assert_lacks(&[to_approval]);
        // An area appraiser's progress counts only their leaves (4 of 5 in areas 1 and 2).
        let mut a12 = signed_in(&app, "td.a12").await;
        a12.get(&list)
            .await
            .assert_has(&["<td class=\"num\" data-label=\"Đã thẩm định\">0/4</td>"]);
        app.stop().await;
    }
}

/// A form posted to a path.
type Post = (String, Vec<(&'static str, &'static str)>);

/// How one request of the matrix must be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// 200, with these texts present and absent.
    Page(&'static [&'static str], &'static [&'static str]),
    Forbidden,
    NotFound,
    /// Sent to sign in.
    Login,
    /// Refused, whatever way (403 or the sign-in page), and nothing changed.
    Refused,
}

#[tokio::test]
async fn authorization_matrix_of_appraisal_approval_reopening_and_the_log() {
    const FORM: &str = "name=\"value\"";
    const REQUEST: &str = "name=\"request\"";
    const REOPEN: &str = "name=\"reason\"";
    // The approval area: the button, or why approving is not possible yet.
    const APPROVE: &str = "id=\"approve\"";
    let snv = "/ky/2025/tham-dinh/SNV";
    let stp = "/ky/2025/tham-dinh/STP";
    let reads: &[(&str, &str, Expect)] = &[
        ("", "/ky/2025/tham-dinh", Expect::Login),
        ("", snv, Expect::Login),
        ("", "/ky/2025/tham-dinh/SNV/so-sanh", Expect::Login),
        ("", "/ky/2025/phe-duyet", Expect::Login),
        ("", "/ky/2025/nhat-ky/SNV", Expect::Login),
        (
            "cb.snv",
            snv,
            Expect::Page(
                &["Sở Nội vụ", "Hạ tầng và nền tảng số"],
                &[FORM, REQUEST, REOPEN],
            ),
        ),
        ("cb.snv", stp, Expect::Forbidden),
        (
            "cb.snv",
            "/ky/2025/tham-dinh/STP/so-sanh",
            Expect::Forbidden,
        ),
        ("cb.snv", "/ky/2025/nhat-ky/STP", Expect::Forbidden),
        ("cb.snv", "/ky/2025/phe-duyet", Expect::Forbidden),
        ("td.stp", snv, Expect::Forbidden),
        ("td.stp", "/ky/2025/nhat-ky/SNV", Expect::Forbidden),
        ("td.stp", "/ky/2025/phe-duyet", Expect::Forbidden),
        ("td.stp", stp, Expect::Page(&[FORM], &[REQUEST, REOPEN])),
        (
            "td.a12",
            snv,
            Expect::Page(
                &[FORM, "Ban hành kế hoạch CCHC năm"],
                &["Hạ tầng và nền tảng số", REQUEST, REOPEN],
            ),
        ),
        (
            "td.a12",
            "/ky/2025/nhat-ky/SNV?tieu-chi=3.1",
            Expect::Forbidden,
        ),
        ("td.a12", "/ky/2025/tham-dinh/XYZ", Expect::NotFound),
        ("td.a12", "/ky/2099/tham-dinh/SNV", Expect::NotFound),
        (
            "td.a3",
            snv,
            Expect::Page(
                &["Hạ tầng và nền tảng số", FORM],
                &["Ban hành kế hoạch CCHC năm"],
            ),
        ),
        (
            "qs.xem",
            snv,
            Expect::Page(&["Hạ tầng và nền tảng số"], &[FORM, REQUEST, REOPEN]),
        ),
        (
            "qs.xem",
            "/ky/2025/phe-duyet",
            Expect::Page(&["Sở Nội vụ"], &[APPROVE]),
        ),
        (
            "qs.xem",
            "/ky/2025/nhat-ky/SNV",
            Expect::Page(&["Nhật ký thay đổi: Sở Nội vụ"], &[]),
        ),
        (
            "qs.xem",
            "/ky/2025/tham-dinh/SNV/so-sanh",
            Expect::Page(&["Tổng cộng"], &[]),
        ),
        (
            "ct.hd",
            snv,
            Expect::Page(&["Sở Nội vụ"], &[FORM, REQUEST, REOPEN]),
        ),
        ("ct.hd", "/ky/2025/phe-duyet", Expect::Page(&[APPROVE], &[])),
        (
            "td.chair",
            "/ky/2025/tham-dinh/SKHCN",
            Expect::Page(&[FORM], &[REOPEN]),
        ),
        ("td.chair", snv, Expect::Page(&["Sở Nội vụ"], &[FORM])),
        (
            "admin",
            snv,
            Expect::Page(&[REOPEN, "Hạ tầng và nền tảng số"], &[FORM, REQUEST]),
        ),
        (
            "admin",
            "/ky/2025/nhat-ky/SNV",
            Expect::Page(&["Nhật ký thay đổi: Sở Nội vụ"], &[]),
        ),
    ];
    let appraise = |u: &str, n: &str| {
        (
            format!("/ky/2025/tham-dinh/{u}/tieu-chi/{n}"),
            vec![("value", "1"), ("comment", "x"), ("version", "0")],
        )
    };
    let request = |u: &str, n: &str| {
        (
            format!("/ky/2025/tham-dinh/{u}/tieu-chi/{n}/giai-trinh"),
            vec![("request", "Đề nghị giải trình")],
        )
    };
    let reopen = |u: &str| {
        (
            format!("/ky/2025/tham-dinh/{u}/mo-lai"),
            vec![("reason", "Lý do")],
        )
    };
    let approve = || ("/ky/2025/phe-duyet".to_owned(), vec![]);
    let writes: Vec<(&str, Post, Expect)> = vec![
        ("", appraise("SNV", "1.1.1"), Expect::Refused),
        ("", approve(), Expect::Refused),
        ("", reopen("SNV"), Expect::Refused),
        ("cb.snv", appraise("SNV", "1.1.1"), Expect::Forbidden),
        ("cb.snv", request("SNV", "1.1.1"), Expect::Forbidden),
        ("cb.snv", approve(), Expect::Forbidden),
        ("cb.snv", reopen("SNV"), Expect::Forbidden),
        ("td.stp", appraise("SNV", "1.1.1"), Expect::Forbidden),
        ("td.stp", request("SNV", "1.1.1"), Expect::Forbidden),
        ("td.a12", appraise("SNV", "3.1"), Expect::Forbidden),
        ("td.a12", request("SNV", "3.1"), Expect::Forbidden),
        ("td.a12", approve(), Expect::Forbidden),
        ("td.a12", reopen("SNV"), Expect::Forbidden),
        ("td.a12", appraise("SNV", "9.9"), Expect::Forbidden),
        ("td.a12", appraise("SNV", "1.1"), Expect::NotFound),
        ("td.a12", appraise("XYZ", "1.1.1"), Expect::NotFound),
        ("td.a3", appraise("SNV", "1.1.1"), Expect::Forbidden),
        ("qs.xem", appraise("SNV", "1.1.1"), Expect::Forbidden),
        ("qs.xem", request("SNV", "1.1.1"), Expect::Forbidden),
        ("qs.xem", approve(), Expect::Forbidden),
        ("qs.xem", reopen("SNV"), Expect::Forbidden),
        ("ct.hd", appraise("SNV", "1.1.1"), Expect::Forbidden),
        ("ct.hd", request("SNV", "1.1.1"), Expect::Forbidden),
        ("ct.hd", reopen("SNV"), Expect::Forbidden),
        ("td.chair", appraise("SNV", "1.1.1"), Expect::Forbidden),
        ("admin", appraise("SNV", "1.1.1"), Expect::Forbidden),
        ("admin", request("SNV", "1.1.1"), Expect::Forbidden),
        ("admin", approve(), Expect::Forbidden),
    ];
    for backend in backends() {
        let app = start(&backend, Phase::Appraisal).await;
        let db = app.db();
        let mut browsers = std::collections::HashMap::new();
        for login in [
            "", "cb.snv", "td.stp", "td.a12", "td.a3", "qs.xem", "ct.hd", "td.chair", "admin",
        ] {
            let b = if login.is_empty() {
                Browser::new(&app.base)
            } else {
                signed_in(&app, login).await
            };
            browsers.insert(login, b);
        }
        for (login, path, expect) in reads {
            let b = browsers.get_mut(login).unwrap();
            let r = b.get(path).await;
            let who = format!("[{}] {login:?} GET {path}", app.backend);
            match expect {
                Expect::Page(has, lacks) => {
                    assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.body);
                    for n in *has {
                        assert!(r.body.contains(n), "{who}: expected {n:?}:\n{}", r.body);
                    }
                    for n in *lacks {
                        assert!(
                            !r.body.contains(n),
                            "{who}: did not expect {n:?}:\n{}",
                            r.body
                        );
                    }
                }
                Expect::Forbidden => {
                    assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body)
                }
                Expect::NotFound => {
                    assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}: {}", r.body)
                }
                Expect::Login => {
                    assert_eq!(r.status, StatusCode::SEE_OTHER, "{who}");
                    assert!(
                        r.location.starts_with("/dang-nhap?next="),
                        "{who}: {}",
                        r.location
                    );
                }
                Expect::Refused => unreachable!(),
            }
        }
        for (login, (path, form), expect) in &writes {
            let before = snapshot(db).await;
            let b = browsers.get_mut(login).unwrap();
            let r = b.post_csrf(path, form).await;
            let who = format!("[{}] {login:?} POST {path}", app.backend);
            match expect {
                Expect::Forbidden => {
                    assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body)
                }
                Expect::NotFound => {
                    assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}: {}", r.body)
                }
                Expect::Refused => assert!(
                    matches!(r.status, StatusCode::FORBIDDEN | StatusCode::SEE_OTHER),
                    "{who}: {} {}",
                    r.status,
                    r.body
                ),
                Expect::Page(..) | Expect::Login => unreachable!(),
            }
            assert_eq!(snapshot(db).await, before, "{who}: nothing may change");
        }
        // The rightful holders of the same writes succeed.
        let a12 = browsers.get_mut("td.a12").unwrap();
        let r = a12.appraise("SNV", "1.1.1", "10", "").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let chair_appraiser = browsers.get_mut("td.chair").unwrap();
        let r = chair_appraiser.appraise("SKHCN", "1.1.1", "8", "").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        app.stop().await;
    }
}

#[tokio::test]
async fn the_audit_log_refuses_updates_and_deletes_yet_reloading_the_demo_still_empties_it() {
    for backend in backends() {
        let test_db = chiso_store::testing::TestDb::new(&backend).await;
        let db = &test_db.db;
        common::fixtures::seed(db).await;
        setup(db, Phase::Appraisal).await;
        let count = || async {
            audit::list(db, &AuditFilter::default())
                .await
                .unwrap()
                .len()
        };
        let before = count().await;
        assert!(before > 10);
        for statement in [
            "DELETE FROM audit_log",
            "DELETE FROM audit_log WHERE entity = 'assessment'",
            "UPDATE audit_log SET reason = 'sửa lén'",
        ] {
            let refused = match db {
                Db::Sqlite(p) => sqlx::query(statement).execute(p).await.err(),
                Db::Postgres(p) => sqlx::query(statement).execute(p).await.err(),
            };
            let e =
                refused.unwrap_or_else(|| panic!("[{}] {statement} was accepted", backend.name()));
            assert!(e.to_string().contains("append-only"), "{e}");
        }
        if let Db::Postgres(p) = db {
            let e = sqlx::query("TRUNCATE audit_log")
                .execute(p)
                .await
                .unwrap_err();
            assert!(e.to_string().contains("append-only"), "{e}");
        }
        assert_eq!(count().await, before);

        // Reloading the demonstration data is the one thing that empties it, all or nothing.
        db.reset().await.unwrap();
        let kept = audit::list(db, &AuditFilter::default()).await.unwrap();
        assert!(
            kept.iter()
                .all(|e| e.entity == users::ENTITY || e.entity == grants::ENTITY)
        );
        assert!(!kept.is_empty());
        db.reset_including_users().await.unwrap();
        assert_eq!(count().await, 0);
        // The permit did not outlive the reset.
        let refused = match db {
            Db::Sqlite(p) => {
                sqlx::query("INSERT INTO audit_log (at, actor, action, entity, entity_key) VALUES ('x', 'x', 'x', 'x', 'x')")
                    .execute(p)
                    .await
                    .unwrap();
                sqlx::query("DELETE FROM audit_log").execute(p).await.err()
            }
            Db::Postgres(p) => {
                sqlx::query("INSERT INTO audit_log (at, actor, action, entity, entity_key) VALUES ('x', 'x', 'x', 'x', 'x')")
                    .execute(p)
                    .await
                    .unwrap();
                sqlx::query("DELETE FROM audit_log").execute(p).await.err()
            }
        };
        assert!(refused.is_some(), "[{}] delete after reset", backend.name());
        test_db.drop_database().await;
    }
}

/// A write token of `login`, made through the service as the person would on their page.
async fn api_token(db: &Db, login: &str, scope: chiso_services::tokens::TokenScope) -> String {
    let cmd = chiso_services::tokens::CreateToken {
        owner: None,
        name: "Tích hợp".to_owned(),
        scope,
        valid_days: 30,
        with_token: false,
    };
    let owner = chiso_domain::authz::Principal::new(login, vec![]);
    chiso_services::tokens::create_token(db, &owner, cmd, NOW)
        .await
        .expect("token")
        .secret
}

#[tokio::test]
async fn the_api_appraises_with_the_same_rules_as_the_page_and_answers_409_with_the_current_version()
 {
    use chiso_services::tokens::TokenScope;
    for backend in backends() {
        let app = start(&backend, Phase::Appraisal).await;
        let appraiser = api_token(app.db(), "td.stp", TokenScope::Write).await;
        let officer = api_token(app.db(), "cb.snv", TokenScope::Write).await;
        let reader = api_token(app.db(), "td.stp", TokenScope::Read).await;
        let put = |secret: String, body: serde_json::Value| {
            let req = app
                .client
                .put(format!(
                    "{}/api/v1/periods/2025/assessments/STP/appraisal/1.1.1",
                    app.base
                ))
                .bearer_auth(secret)
                .json(&body);
            async move {
                let r = req.send().await.unwrap();
                let status = r.status();
                (status, r.text().await.unwrap())
            }
        };
        let body = serde_json::json!({"value": "7,5", "comment": "Kế hoạch ban hành muộn", "expected_version": 0});
        let (s, text) = put(appraiser.clone(), body.clone()).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "[{}] {text}", app.backend);
        assert_eq!(
            appraised_points(app.db(), "STP", "1.1.1").await,
            Some(dec!(7.5))
        );

        let before = snapshot(app.db()).await;
        let stale = serde_json::json!({"value": "6", "comment": "Thiếu", "expected_version": 0});
        let (s, text) = put(appraiser.clone(), stale).await;
        assert_eq!(s, StatusCode::CONFLICT, "{text}");
        let e: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(e["error"]["code"], "appraisal_stale");
        assert_eq!(e["error"]["args"]["current"], "1");
        let (s, text) = put(officer, body.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{text}");
        let (s, text) = put(reader, body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{text}");
        assert!(text.contains("token_read_only"));
        let bad = serde_json::json!({"value": "mười", "comment": "x", "expected_version": 1});
        let (s, text) = put(appraiser, bad).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
        assert!(text.contains("\"field\""), "{text}");
        // Refusals change nothing but the audit log, where each write attempt with a token is
        // recorded under the owner's login (three attempts: stale, other unit, bad value).
        let after = snapshot(app.db()).await;
        let data = |s: &str| s.rsplit_once('\n').map(|(d, _)| d.to_owned()).unwrap();
        assert_eq!(data(&after), data(&before), "refusals change nothing");
        let log = audit::list(app.db(), &AuditFilter::default())
            .await
            .unwrap();
        let uses = log
            .iter()
            .filter(|e| e.entity == "api_token" && e.action == "use")
            .count();
        assert_eq!(
            uses, 4,
            "[{}] one accepted and three refused writes",
            app.backend
        );
        app.stop().await;
    }
}
