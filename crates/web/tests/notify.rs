//! E-mail notifications over SMTP: when the leader submits a self-assessment, the appraisers
//! of the unit who have an e-mail address get a message naming the unit; with notifications
//! off nothing is sent (the explanation-request and approval e-mails are checked along the
//! appraisal cycle in `review.rs`). The SMTP server is the small one of `common::smtp`. SQLite
//! always, PostgreSQL when `CHISO_TEST_PG` is set.

use crate::common;

use std::sync::Arc;

use chiso_domain::authz::Principal;
use chiso_domain::authz::{AppraiserScope, Grant, Role};
use chiso_domain::workflow::AssessmentState;
use chiso_domain::{
    ClassScheme, FixedClock, GroupName, IndexSet, Membership, Method, Node, NodeCode, PeriodCode,
    Points, RankingRule, SetCode, Source, UnitCode,
};
use chiso_services::tokens::{self, CreateToken, TokenScope};
use chiso_store::assessments::{self, StateChange};
use chiso_store::periods::{self, Period};
use chiso_store::{Actor, Db, grants, index_sets, milestones, users};
use chiso_web::WebConfig;
use common::fixtures::plan_2025;
use common::smtp::{decoded, next_mail, smtp_outbox, smtp_server};
use common::{Backend, TestApp, backends, cheap_hash};
use reqwest::StatusCode;
use rust_decimal_macros::dec;
use time::macros::datetime;

const PASSWORD: &str = "mat-khau-dung-123";
const PAGE: &str = "/ky/2025/tu-danh-gia/SNV";

// ---------------------------------------------------------------------------------------------
// A period 2025 with one leaf the unit does not enter, so that the leader may submit at once.

fn period() -> PeriodCode {
    PeriodCode::parse("2025").unwrap()
}

fn unit(s: &str) -> UnitCode {
    UnitCode::parse(s).unwrap()
}

fn index_set() -> IndexSet {
    let leaf = Node {
        code: NodeCode::parse("1.1").unwrap(),
        title: "Tỷ lệ hồ sơ trực tuyến toàn trình".to_owned(),
        max: Points(dec!(2)),
        source: Source::Data,
        method: Some(Method::Proportional),
        rule: None,
        evidence: None,
        not_applicable: None,
        children: vec![],
    };
    let set = IndexSet {
        code: SetCode::parse("BCS-TB-2025").unwrap(),
        name: "Bộ chỉ số thông báo 2025".to_owned(),
        year: 2025,
        decision: None,
        classes: ClassScheme::common_default(),
        ranking: RankingRule::default(),
        renormalise_absent_areas: false,
        nodes: vec![Node {
            code: NodeCode::parse("1").unwrap(),
            title: "Dịch vụ công trực tuyến".to_owned(),
            max: Points(dec!(2)),
            source: Source::Data,
            method: None,
            rule: None,
            evidence: None,
            not_applicable: None,
            children: vec![leaf],
        }],
    };
    assert_eq!(set.validate(), Ok(()), "the test set is valid");
    set
}

/// The leader of SNV, an appraiser of SNV and one of STP, each with an e-mail address, and an
/// appraiser of SNV without one.
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
        previous: None,
        status: periods::STATUS_DRAFT.to_owned(),
        decision: None,
        computed_at: None,
    };
    periods::create(db, &p, &actor, at).await.expect("period");
    let group = GroupName::parse("Sở, ban, ngành").unwrap();
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
        &[(group, SetCode::parse("BCS-TB-2025").unwrap())],
        &members,
        &actor,
        at,
    )
    .await
    .expect("groups");
    milestones::set_all(db, &period(), &plan_2025(), &actor, at)
        .await
        .expect("milestones");
    let people = [
        (
            "lanh-dao",
            Role::UnitLeader { unit: unit("SNV") },
            Some("lanh-dao@snv.example.vn"),
        ),
        (
            "tham-dinh",
            Role::Appraiser {
                scope: AppraiserScope::units([unit("SNV")]),
            },
            Some("tham-dinh@snv.example.vn"),
        ),
        (
            "tham-dinh-stp",
            Role::Appraiser {
                scope: AppraiserScope::units([unit("STP")]),
            },
            Some("tham-dinh@stp.example.vn"),
        ),
        (
            "tham-dinh-khong-thu",
            Role::Appraiser {
                scope: AppraiserScope::everything(),
            },
            None,
        ),
    ];
    for (login, role, email) in people {
        users::create(db, login, login, &cheap_hash(PASSWORD), false, &actor, at)
            .await
            .expect("user");
        grants::grant(db, login, &Grant::in_period(role, period()), &actor, at)
            .await
            .expect("grant");
        users::set_email(db, login, email, &actor, at)
            .await
            .expect("email");
    }
    // The unit has begun (a draft), as after its first save.
    let draft = StateChange {
        state: AssessmentState::Draft,
        reopened: false,
        reason: "",
    };
    assessments::set_state(db, &period(), &unit("SNV"), 0, &draft, &actor, at)
        .await
        .expect("draft");
    assert_eq!(
        users::email(db, "tham-dinh").await.unwrap().as_deref(),
        Some("tham-dinh@snv.example.vn")
    );
}

async fn start(backend: &Backend, smtp_port: Option<u16>) -> TestApp {
    let outbox = smtp_port.map(smtp_outbox);
    let config = WebConfig {
        clock: Arc::new(FixedClock(datetime!(2025-02-10 03:00 UTC))),
        outbox,
        ..WebConfig::default()
    };
    let app = TestApp::start_with(backend, config, true).await;
    seed_period(app.db()).await;
    app
}

// ---------------------------------------------------------------------------------------------
// Signing in and submitting.

fn between<'a>(body: &'a str, marker: &str) -> &'a str {
    let start = body
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in:\n{body}"))
        + marker.len();
    body[start..].split('"').next().unwrap()
}

/// Signs in as the leader of SNV and submits the self-assessment; the response status.
async fn leader_submits(app: &TestApp) -> StatusCode {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &str, cookie: &str| {
        let req = client.get(format!("{}{path}", app.base));
        if cookie.is_empty() {
            req
        } else {
            req.header("cookie", cookie.to_owned())
        }
    };
    let session = |r: &reqwest::Response| {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix("chiso_session="))
            .map(|c| format!("chiso_session={}", c.split(';').next().unwrap_or("")))
    };
    let r = get("/dang-nhap", "").send().await.unwrap();
    let cookie = session(&r).unwrap_or_default();
    let body = r.text().await.unwrap();
    let csrf = between(&body, "name=\"csrf\" value=\"").to_owned();
    let r = client
        .post(format!("{}/dang-nhap", app.base))
        .header("cookie", cookie.clone())
        .form(&[
            ("csrf", csrf.as_str()),
            ("login", "lanh-dao"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in");
    let cookie = session(&r).unwrap_or(cookie);
    let page = get(PAGE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = between(&page, "name=\"csrf\" value=\"").to_owned();
    let version = between(&page, "name=\"version\" value=\"").to_owned();
    let r = client
        .post(format!("{}{PAGE}/nop", app.base))
        .header("cookie", cookie)
        .form(&[("csrf", csrf.as_str()), ("version", version.as_str())])
        .send()
        .await
        .unwrap();
    r.status()
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_submitted_self_assessment_is_mailed_to_the_units_appraiser_only() {
    for backend in backends() {
        let (port, mut mails) = smtp_server().await;
        let app = start(&backend, Some(port)).await;
        assert_eq!(leader_submits(&app).await, StatusCode::SEE_OTHER);
        let mail = next_mail(&mut mails).await;
        assert_eq!(mail.to, ["<tham-dinh@snv.example.vn>"], "{mail:?}");
        let text = decoded(&mail.data);
        for needle in [
            "Sở Nội vụ (SNV) đã nộp bản tự đánh giá",
            "Chỉ số CCHC năm 2025",
            "submitted its self-assessment",
        ] {
            assert!(text.contains(needle), "{needle:?} in:\n{text}");
        }
        // One appraiser covers SNV and has an address: nobody else is written to.
        assert!(mails.try_recv().is_err(), "only one e-mail");
        app.stop().await;
    }
}

#[tokio::test]
async fn with_notifications_off_a_submission_sends_nothing() {
    for backend in backends() {
        let (_port, mut mails) = smtp_server().await;
        let app = start(&backend, None).await;
        assert_eq!(leader_submits(&app).await, StatusCode::SEE_OTHER);
        app.stop().await;
        assert!(mails.try_recv().is_err(), "no e-mail");
    }
}

#[tokio::test]
async fn a_submission_through_the_api_is_mailed_like_one_on_the_page() {
    for backend in backends() {
        let (port, mut mails) = smtp_server().await;
        let app = start(&backend, Some(port)).await;
        let cmd = CreateToken {
            owner: None,
            name: "Phần mềm một cửa".to_owned(),
            scope: TokenScope::Write,
            valid_days: 30,
            with_token: false,
        };
        let owner = Principal::new("lanh-dao", vec![]);
        let secret = tokens::create_token(app.db(), &owner, cmd, datetime!(2025-02-10 03:00 UTC))
            .await
            .expect("token")
            .secret;
        let r = reqwest::Client::new()
            .post(format!(
                "{}/api/v1/periods/2025/assessments/SNV/submission",
                app.base
            ))
            .bearer_auth(&secret)
            .json(&serde_json::json!({ "expected_version": 1 }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::NO_CONTENT,
            "{}",
            r.text().await.unwrap()
        );
        let mail = next_mail(&mut mails).await;
        assert_eq!(mail.to, ["<tham-dinh@snv.example.vn>"], "{mail:?}");
        assert!(decoded(&mail.data).contains("Sở Nội vụ (SNV) đã nộp bản tự đánh giá"));
        app.stop().await;
    }
}
