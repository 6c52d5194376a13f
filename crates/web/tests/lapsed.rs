//! A unit that never submits, as the administrator, an appraiser, the council chair and the
//! public meet it in the browser: after the self-assessment deadline the administrator closes
//! its self-assessment from the progress page ("hết hạn, không nộp"), appraisers appraise it
//! from what it has, the council approves, the administrator publishes, and the unit is ranked
//! with the note. Period `2025` is set up through the store on the seeded province: SNV and STP
//! submitted, SKHCN saved one leaf and never submitted; a fixed clock, the phase moved by
//! rewriting the milestones around it. SQLite always, PostgreSQL when `CHISO_TEST_PG` is set.

use crate::common;

use common::cheap_hash;

use std::sync::Arc;

use chiso_domain::workflow::{AssessmentState, Milestone, Milestones, Phase};
use chiso_domain::{
    AppraiserScope, FixedClock, Grant, GroupName, Membership, NodeCode, PeriodCode, Points,
    RawValue, Role, SetCode, UnitCode,
};
use chiso_store::assessments::{self, StateChange};
use chiso_store::leaves::{self, LeafKey, SelfEntry};
use chiso_store::periods::{self, Period};
use chiso_store::{Actor, Db, grants, milestones, users};
use chiso_web::WebConfig;
use common::browser::{Browser, Part};
use common::fixtures::{DEPARTMENTS, SET};
use common::{Backend, TestApp, backends};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use time::OffsetDateTime;
use time::macros::datetime;

const PASSWORD: &str = "mat-khau-dung-123";
/// The fixed instant of the test: 10/01/2026 09:00 in Vietnam.
const NOW: OffsetDateTime = datetime!(2026-01-10 02:00 UTC);
const PERIOD: &str = "2025";
const UNITS: [&str; 3] = ["SNV", "STP", "SKHCN"];
const LEAVES: [&str; 5] = ["1.1.1", "1.2.1", "2.1.1", "2.2.1", "3.1"];
const SETUP: &str = "/quan-tri/ky-danh-gia/2025";
const CLOSE_SKHCN: &str = "/quan-tri/ky-danh-gia/2025/don-vi/SKHCN/dong";

fn period() -> PeriodCode {
    PeriodCode::parse(PERIOD).unwrap()
}

fn unit(s: &str) -> UnitCode {
    UnitCode::parse(s).unwrap()
}

fn admin_actor() -> Actor {
    Actor("admin".to_owned())
}

/// Milestones ten days apart placing [`NOW`] in `phase`.
async fn set_phase(db: &Db, phase: Phase) {
    let starts = Milestone::ALL.iter().position(|m| m.starts() == phase);
    let k = starts.map_or(-1, |i| i64::try_from(i).unwrap());
    let at = |i: i64| Some(NOW - time::Duration::days(1) + time::Duration::days((i - k) * 10));
    let plan = Milestones {
        self_open: at(0),
        self_close: at(1),
        appraisal_open: at(2),
        appraisal_close: at(3),
        explanation_open: at(4),
        explanation_close: at(5),
        approval: at(6),
        publication: at(7),
    };
    assert_eq!(plan.phase_at(NOW), phase);
    milestones::set_all(db, &period(), &plan, &admin_actor(), NOW)
        .await
        .expect("milestones");
}

async fn save_self(db: &Db, u: &str, n: &str, points: i64) {
    let pts = Decimal::from(points);
    let entry = SelfEntry {
        input: Some(RawValue::Points(pts)),
        points: Some(Points(pts)),
        declared_data: None,
        note: None,
        explanation: None,
    };
    let key = LeafKey {
        period: period(),
        unit: unit(u),
        node: NodeCode::parse(n).unwrap(),
    };
    let officer = Actor(format!("cb.{}", u.to_lowercase()));
    leaves::save_self(db, &key, &entry, 0, &officer, NOW)
        .await
        .expect("self");
}

async fn set_state(db: &Db, u: &str, version: i64, state: AssessmentState) {
    let change = StateChange {
        state,
        reopened: false,
        reason: "",
    };
    let officer = Actor(format!("cb.{}", u.to_lowercase()));
    assessments::set_state(db, &period(), &unit(u), version, &change, &officer, NOW)
        .await
        .expect("state");
}

/// Period 2025, its three departments, the administrator, an appraiser of every unit and the
/// council chair; SNV and STP submitted every leaf at 8 points, SKHCN saved 1.1.1 only.
async fn start(backend: &Backend) -> TestApp {
    let config = WebConfig {
        clock: Arc::new(FixedClock(NOW)),
        ..WebConfig::default()
    };
    let app = TestApp::start_with(backend, config, true).await;
    let db = app.db();
    let a = admin_actor();
    let at = datetime!(2025-10-01 01:00 UTC);
    let p = Period {
        code: period(),
        year: 2025,
        name: "Chỉ số CCHC năm 2025".to_owned(),
        previous: None,
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
    for login in ["admin", "td.all", "ct.hd"] {
        users::create(
            db,
            login,
            login,
            &cheap_hash(PASSWORD),
            login == "admin",
            &a,
            at,
        )
        .await
        .expect("user");
    }
    let appraiser = Role::Appraiser {
        scope: AppraiserScope::units(UNITS.map(unit)),
    };
    for (login, role) in [("td.all", appraiser), ("ct.hd", Role::CouncilChair)] {
        grants::grant(db, login, &Grant::in_period(role, period()), &a, at)
            .await
            .expect("grant");
    }
    set_phase(db, Phase::SelfAssessment).await;
    for u in ["SNV", "STP"] {
        for n in LEAVES {
            save_self(db, u, n, 8).await;
        }
        set_state(db, u, 0, AssessmentState::Draft).await;
        set_state(db, u, 1, AssessmentState::Submitted).await;
    }
    save_self(db, "SKHCN", "1.1.1", 8).await;
    set_state(db, "SKHCN", 0, AssessmentState::Draft).await;
    app
}

async fn state_of(db: &Db, u: &str) -> AssessmentState {
    assessments::get(db, &period(), &unit(u))
        .await
        .unwrap()
        .map_or(AssessmentState::NotStarted, |a| a.state)
}

/// The ranking row of a unit on the results page.
fn ranking_row<'a>(body: &'a str, u: &str) -> &'a str {
    body.split("<tr>")
        .find(|row| row.contains(&format!("<code>{u}</code>")))
        .unwrap_or_else(|| panic!("no row for {u}:\n{body}"))
}

#[tokio::test]
async fn a_unit_closed_after_the_deadline_is_appraised_and_published_ranked_with_its_note() {
    for backend in backends() {
        let app = start(&backend).await;
        let db = app.db();
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;

        // Before the deadline nothing is offered, and a forged request is refused with the date.
        let page = admin.page(SETUP).await;
        page.assert_lacks(&[CLOSE_SKHCN]);
        let r = admin
            .post_csrf(CLOSE_SKHCN, &[("reason", ""), ("xac-nhan", "1")])
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            app.backend,
            r.body
        );
        r.assert_has(&["Chưa hết hạn tự đánh giá (hạn cuối: hết ngày 19/01/2026)"]);
        assert_eq!(state_of(db, "SKHCN").await, AssessmentState::Draft);

        // After the deadline the progress page offers it for SKHCN only, with what it means.
        set_phase(db, Phase::SelfAssessmentClosed).await;
        let page = admin.page(SETUP).await;
        page.assert_has(&[
            CLOSE_SKHCN,
            "Đóng tự đánh giá (hết hạn, không nộp)",
            "thẩm định viên chấm điểm theo tài liệu hiện có",
        ]);
        page.assert_lacks(&["/don-vi/SNV/dong", "/don-vi/STP/dong"]);
        // Unconfirmed: refused, nothing changes.
        let r = admin
            .post_csrf(CLOSE_SKHCN, &[("reason", "Không nộp")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["Hãy đánh dấu ô xác nhận trước khi thực hiện."]);
        assert_eq!(state_of(db, "SKHCN").await, AssessmentState::Draft);
        let r = admin
            .post_csrf(
                CLOSE_SKHCN,
                &[("reason", "Đã nhắc hai lần, không nộp"), ("xac-nhan", "1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, format!("{SETUP}?ok=unit_closed#tien-do"));
        assert_eq!(
            state_of(db, "SKHCN").await,
            AssessmentState::ClosedUnsubmitted
        );
        let page = admin.page(&r.location).await;
        page.assert_has(&[
            "Đã đóng tự đánh giá của đơn vị (hết hạn, không nộp).",
            "Hết hạn, không nộp",
            "Đóng ngày 10/01/2026 (admin): Đã nhắc hai lần, không nộp",
        ]);
        page.assert_lacks(&[CLOSE_SKHCN]);

        // The appraiser's page lets them appraise it, like a submitted unit.
        set_phase(db, Phase::Appraisal).await;
        let mut appraiser = Browser::signed_in(&app.base, "td.all", PASSWORD).await;
        let unit_page = appraiser.page("/ky/2025/tham-dinh/SKHCN").await;
        unit_page.assert_has(&[
            "action=\"/ky/2025/tham-dinh/SKHCN/tieu-chi/2.1.1\"",
            "name=\"value\"",
        ]);
        for (u, n, value, comment) in [
            ("SNV", "1.1.1", "8", ""),
            ("STP", "1.1.1", "8", ""),
            ("SKHCN", "2.1.1", "0", "Không có tài liệu kiểm chứng"),
        ] {
            let r = appraiser
                .post_csrf(
                    &format!("/ky/2025/tham-dinh/{u}/tieu-chi/{n}"),
                    &[("value", value), ("comment", comment), ("version", "0")],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{u}/{n}: {}", r.body);
        }
        assert_eq!(state_of(db, "SKHCN").await, AssessmentState::UnderAppraisal);

        // The council approves, the administrator publishes.
        set_phase(db, Phase::Approval).await;
        let mut chair = Browser::signed_in(&app.base, "ct.hd", PASSWORD).await;
        let r = chair.post_csrf("/ky/2025/phe-duyet", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let token = admin.token().await;
        let parts = [
            Part::Text("csrf", &token),
            Part::Text("decision", "12/QĐ-UBND"),
            Part::Text("ngay", "10/01/2026"),
            Part::Text("xac-nhan", "1"),
            Part::File("file", "", b""),
        ];
        let r = admin
            .post_multipart(&format!("{SETUP}/cong-bo"), &parts)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // The public ranking lists SKHCN, last of three, with the note; the others without.
        let mut public = Browser::new(&app.base);
        let results = public.page("/ky/2025").await;
        let row = ranking_row(&results.body, "SKHCN");
        assert!(
            row.contains("3/3") && row.contains("Hết hạn, không nộp tự đánh giá"),
            "{row}"
        );
        assert!(!ranking_row(&results.body, "SNV").contains("không nộp"));
        let own = public.page("/ky/2025/don-vi/SKHCN").await;
        own.assert_has(&["Hết hạn, không nộp tự đánh giá"]);
        let api = public.get("/api/v1/periods/2025/results").await;
        assert!(
            api.body.contains("\"note\":\"closed_unsubmitted\""),
            "{}",
            api.body
        );

        // The change log shows the closing, who did it and why.
        let log = admin.page("/ky/2025/nhat-ky/SKHCN").await;
        log.assert_has(&["Hết hạn, không nộp", "Đã nhắc hai lần, không nộp"]);
        app.stop().await;
    }
}
