//! The whole cycle driven through the JSON API alone, with personal API tokens: the units'
//! officers enter their self-assessments and attach evidence, their leaders submit, appraisers
//! appraise and request an explanation, the unit answers it, the council chair approves, and
//! the published results equal those of the browser test (`review.rs`): STP 86 first, SNV 84
//! second, SKHCN 75 third. Then the refusals every integration meets: a stale version (409
//! with the current one), a read-only token (403), another unit's dossier (403), imports into
//! an approved period (409); and the imports of index sets, units and survey/data scores.
//!
//! The period `2025` is set up through the store on the seeded province (three departments in
//! one group, nothing entered yet) with a fixed clock; the phase is moved by rewriting the
//! milestones around that instant, as the browser test does. SQLite always, PostgreSQL when
//! `CHISO_TEST_PG` is set.

use crate::common;

use std::sync::Arc;

use chiso_domain::authz::Principal;
use chiso_domain::workflow::{AssessmentState, Milestone, Milestones, Phase};
use chiso_domain::{
    AppraiserScope, FixedClock, Grant, GroupName, Membership, NodeCode, PeriodCode, Role, SetCode,
    UnitCode,
};
use chiso_evidence::LocalDiskStore;
use chiso_services::tokens::{self, CreateToken, TokenScope};
use chiso_store::audit::{self, AuditFilter};
use chiso_store::periods::{self, Period};
use chiso_store::{Actor, Db, assessments, grants, milestones, scores, users};
use chiso_web::WebConfig;
use common::fixtures::{DEPARTMENTS, SET};
use common::{Backend, TestApp, backends, cheap_hash};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

/// The fixed instant of every test: 10/01/2026 09:00 in Vietnam.
const NOW: OffsetDateTime = datetime!(2026-01-10 02:00 UTC);
const PERIOD: &str = "2025";
const UNITS: [&str; 3] = ["SNV", "STP", "SKHCN"];
const LEAVES: [&str; 5] = ["1.1.1", "1.2.1", "2.1.1", "2.2.1", "3.1"];

fn period() -> PeriodCode {
    PeriodCode::parse(PERIOD).unwrap()
}

fn unit(s: &str) -> UnitCode {
    UnitCode::parse(s).unwrap()
}

fn node(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
}

/// The self-assessed points of each unit, leaf by leaf, as in the browser test: SNV 91,
/// STP 86, SKHCN 75.
fn self_points(u: &str) -> [&'static str; 5] {
    match u {
        "SNV" => ["10", "18", "25", "12", "26"],
        "STP" => ["9", "17", "22", "13", "25"],
        _ => ["8", "15", "20", "10", "22"],
    }
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
    milestones::set_all(db, &period(), &plan, &Actor("admin".into()), NOW)
        .await
        .expect("milestones");
}

/// The people of the cycle and their roles in 2025 (`admin` is an administrator).
fn people() -> Vec<(&'static str, Option<Role>)> {
    let officer = |u: &str| Some(Role::UnitOfficer { unit: unit(u) });
    let leader = |u: &str| Some(Role::UnitLeader { unit: unit(u) });
    let appraiser = |scope| Some(Role::Appraiser { scope });
    vec![
        ("admin", None),
        ("cb.snv", officer("SNV")),
        ("cb.stp", officer("STP")),
        ("cb.skhcn", officer("SKHCN")),
        ("ld.snv", leader("SNV")),
        ("ld.stp", leader("STP")),
        ("ld.skhcn", leader("SKHCN")),
        (
            "td.a12",
            appraiser(AppraiserScope::areas([node("1"), node("2")])),
        ),
        ("td.a3", appraiser(AppraiserScope::areas([node("3")]))),
        ("td.stp", appraiser(AppraiserScope::units([unit("STP")]))),
        ("ct.hd", Some(Role::CouncilChair)),
    ]
}

/// Period 2025 (compared with 2024) with its three departments, nothing entered, the people
/// and their grants, in self-assessment.
async fn setup(db: &Db) {
    let a = Actor("admin".into());
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
    for (login, role) in people() {
        let admin = login == "admin";
        users::create(
            db,
            login,
            login,
            &cheap_hash("mat-khau-dung-123"),
            admin,
            &a,
            at,
        )
        .await
        .expect("user");
        if let Some(role) = role {
            grants::grant(db, login, &Grant::in_period(role, period()), &a, at)
                .await
                .expect("grant");
        }
    }
    set_phase(db, Phase::SelfAssessment).await;
}

struct Api {
    app: TestApp,
    _evidence: tempfile::TempDir,
}

impl Api {
    async fn start(backend: &Backend) -> Api {
        let evidence = tempfile::tempdir().expect("evidence folder");
        let store = LocalDiskStore::open(evidence.path())
            .await
            .expect("evidence store");
        let config = WebConfig {
            clock: Arc::new(FixedClock(NOW)),
            evidence_store: Some(Arc::new(store)),
            evidence_limit: 64 * 1024,
            ..WebConfig::default()
        };
        let app = TestApp::start_with(backend, config, true).await;
        setup(app.db()).await;
        Api {
            app,
            _evidence: evidence,
        }
    }

    fn db(&self) -> &Db {
        self.app.db()
    }

    /// A token of `login` with `scope`, made through the service as the person would on their
    /// page (creating one needs a signed-in session; everything after uses the token only).
    async fn token(&self, login: &str, scope: TokenScope) -> String {
        let cmd = CreateToken {
            owner: None,
            name: "Phần mềm tích hợp".to_owned(),
            scope,
            valid_days: 30,
            with_token: false,
        };
        let owner = Principal::new(login, vec![]);
        tokens::create_token(self.db(), &owner, cmd, NOW)
            .await
            .expect("token")
            .secret
    }

    /// Sends a request with `secret` as the bearer token; the status and the body (JSON, or
    /// `Value::String` of the raw text when not JSON).
    async fn call(
        &self,
        method: Method,
        path: &str,
        secret: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .app
            .client
            .request(method, format!("{}{path}", self.app.base))
            .bearer_auth(secret);
        if let Some(b) = body {
            req = req.json(&b);
        }
        reply(req).await
    }

    /// Posts a `multipart/form-data` body of text `fields` and `files` (name, content).
    async fn upload(
        &self,
        path: &str,
        secret: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &[u8])],
    ) -> (StatusCode, Value) {
        const BOUNDARY: &str = "----chiso-api-test-boundary";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        for (file_name, content) in files {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; \
                     filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        let req = self
            .app
            .client
            .post(format!("{}{path}", self.app.base))
            .bearer_auth(secret)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body);
        reply(req).await
    }

    /// The assessment of `u` as `secret` sees it, asserting 200.
    async fn assessment(&self, u: &str, secret: &str) -> Value {
        let path = format!("/api/v1/periods/{PERIOD}/assessments/{u}");
        let (s, v) = self.call(Method::GET, &path, secret, None).await;
        assert_eq!(s, StatusCode::OK, "[{}] GET {path}: {v}", self.app.backend);
        v
    }

    /// Saves the appraised value of one leaf with the version the assessment shows.
    async fn appraise(
        &self,
        secret: &str,
        u: &str,
        n: &str,
        value: &str,
        comment: &str,
    ) -> (StatusCode, Value) {
        let a = self.assessment(u, secret).await;
        let version = leaf_of(&a, n)["appraisal_version"].as_i64().unwrap();
        let path = format!("/api/v1/periods/{PERIOD}/assessments/{u}/appraisal/{n}");
        let body = json!({"value": value, "comment": comment, "expected_version": version});
        self.call(Method::PUT, &path, secret, Some(body)).await
    }

    async fn stop(self) {
        self.app.stop().await;
    }
}

async fn reply(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

fn leaf_of<'a>(assessment: &'a Value, n: &str) -> &'a Value {
    assessment["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == n)
        .unwrap_or_else(|| panic!("no leaf {n} in {assessment}"))
}

/// A small PDF (the content matches the extension, as the evidence checks demand).
fn pdf(fill: u8) -> Vec<u8> {
    let mut b = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    b.resize(2048, fill);
    b
}

fn self_path(u: &str) -> String {
    format!("/api/v1/periods/{PERIOD}/assessments/{u}/self-assessment")
}

/// The body saving every leaf of `u` for the first time, with its declared data and note.
fn first_save(u: &str) -> Value {
    let leaves: Vec<Value> = LEAVES
        .iter()
        .zip(self_points(u))
        .map(|(n, v)| {
            json!({
                "leaf": n,
                "value": v,
                "declared_data": format!("Số liệu kê khai tiêu chí {n}"),
                "note": format!("Ghi chú tiêu chí {n}"),
                "expected_version": 0
            })
        })
        .collect();
    json!({ "leaves": leaves })
}

async fn state_of(db: &Db, u: &str) -> AssessmentState {
    assessments::get(db, &period(), &unit(u))
        .await
        .unwrap()
        .map_or(AssessmentState::NotStarted, |a| a.state)
}

/// Self-assessment by the officers, evidence, submission by the leaders: every unit
/// submitted. Returns the officers' tokens by unit.
async fn self_assess_and_submit(api: &Api) -> Vec<(String, String)> {
    let mut officers = Vec::new();
    for u in UNITS {
        let officer = api
            .token(&format!("cb.{}", u.to_lowercase()), TokenScope::Write)
            .await;
        let (s, v) = api
            .call(Method::PUT, &self_path(u), &officer, Some(first_save(u)))
            .await;
        assert_eq!(s, StatusCode::OK, "[{}] save {u}: {v}", api.app.backend);
        assert_eq!(v["saved"], 5);
        officers.push((u.to_owned(), officer));
    }
    // Evidence for one leaf of SNV: stored, listed, downloadable with the same bytes.
    let officer = &officers[0].1;
    let path = format!("/api/v1/periods/{PERIOD}/assessments/SNV/leaves/1.1.1/evidence");
    let (s, v) = api
        .upload(&path, officer, &[], &[("ke-hoach-cchc-2025.pdf", &pdf(1))])
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["attached"], 1);
    let a = api.assessment("SNV", officer).await;
    let doc = &leaf_of(&a, "1.1.1")["evidence"][0];
    assert_eq!(doc["file_name"], "ke-hoach-cchc-2025.pdf");
    assert_eq!(doc["uploaded_by"], "cb.snv");
    let resp = api
        .app
        .client
        .get(format!("{}{}", api.app.base, doc["href"].as_str().unwrap()))
        .bearer_auth(officer)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), pdf(1).as_slice());

    for u in UNITS {
        let leader = api
            .token(&format!("ld.{}", u.to_lowercase()), TokenScope::Write)
            .await;
        let a = api.assessment(u, &leader).await;
        assert_eq!(a["state"], "draft");
        assert_eq!(a["may_submit"], true, "{a}");
        let path = format!("/api/v1/periods/{PERIOD}/assessments/{u}/submission");
        let body = json!({"expected_version": a["version"]});
        let (s, v) = api.call(Method::POST, &path, &leader, Some(body)).await;
        assert_eq!(
            s,
            StatusCode::NO_CONTENT,
            "[{}] submit {u}: {v}",
            api.app.backend
        );
        assert_eq!(state_of(api.db(), u).await, AssessmentState::Submitted);
    }
    officers
}

#[tokio::test]
async fn a_whole_cycle_driven_by_api_tokens_ends_with_the_results_of_the_browser() {
    for backend in backends() {
        let api = Api::start(&backend).await;
        let db = api.db();
        let officers = self_assess_and_submit(&api).await;
        let snv_officer = officers[0].1.clone();

        // Appraisal, as in the browser test.
        set_phase(db, Phase::Appraisal).await;
        let a12 = api.token("td.a12", TokenScope::Write).await;
        let a3 = api.token("td.a3", TokenScope::Write).await;
        let stp = api.token("td.stp", TokenScope::Write).await;
        let chair = api.token("ct.hd", TokenScope::Write).await;
        let seen = api.assessment("SNV", &a12).await;
        assert_eq!(leaf_of(&seen, "1.2.1")["self_points"], "18");
        assert_eq!(
            leaf_of(&seen, "1.2.1")["declared_data"],
            "Số liệu kê khai tiêu chí 1.2.1"
        );
        assert!(
            seen["leaves"]
                .as_array()
                .unwrap()
                .iter()
                .all(|l| l["code"] != "3.1"),
            "an appraiser of areas 1 and 2 does not see area 3"
        );

        let (s, v) = api.appraise(&a12, "SNV", "2.1.1", "20", " ").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["code"], "appraisal_comment_required");
        assert_eq!(v["error"]["args"]["field"], "comment");
        for (n, value, comment) in [
            ("1.2.1", "14", "Thiếu báo cáo quý IV"),
            ("2.1.1", "20", "Tỷ lệ đúng hạn thực tế 80 %"),
        ] {
            let (s, v) = api.appraise(&a12, "SNV", n, value, comment).await;
            assert_eq!(s, StatusCode::NO_CONTENT, "[{}] {n}: {v}", api.app.backend);
        }
        assert_eq!(state_of(db, "SNV").await, AssessmentState::UnderAppraisal);
        let path = format!("/api/v1/periods/{PERIOD}/assessments/SNV/explanation-requests");
        let body = json!({"leaf": "1.2.1", "question": "Đề nghị bổ sung báo cáo quý IV"});
        let (s, v) = api.call(Method::POST, &path, &a12, Some(body)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(
            state_of(db, "SNV").await,
            AssessmentState::ExplanationRequested
        );
        for (secret, u, n, value) in [
            (&stp, "STP", "1.1.1", "9"),
            (&a3, "SKHCN", "3.1", "22"),
            (&a3, "SNV", "3.1", "26"),
        ] {
            let (s, v) = api.appraise(secret, u, n, value, "").await;
            assert_eq!(s, StatusCode::NO_CONTENT, "{u} {n}: {v}");
        }

        // The unit answers in the explanation window, with a document for the leaf.
        set_phase(db, Phase::Explanation).await;
        let a = api.assessment("SNV", &snv_officer).await;
        let request = &leaf_of(&a, "1.2.1")["requests"][0];
        assert_eq!(request["request"], "Đề nghị bổ sung báo cáo quý IV");
        assert_eq!(request["may_answer"], true, "{a}");
        let id = request["id"].as_i64().unwrap();
        let path =
            format!("/api/v1/periods/{PERIOD}/assessments/SNV/explanation-requests/{id}/answer");
        let body = json!({
            "answer": "Đã bổ sung Báo cáo số 12/BC-SNV ngày 28/12/2025",
            "expected_version": request["version"]
        });
        let (s, v) = api
            .call(Method::POST, &path, &snv_officer, Some(body))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "[{}] {v}", api.app.backend);
        assert_eq!(state_of(db, "SNV").await, AssessmentState::Explained);
        let path = format!("/api/v1/periods/{PERIOD}/assessments/SNV/leaves/1.2.1/evidence");
        let (s, v) = api
            .upload(
                &path,
                &snv_officer,
                &[],
                &[("bao-cao-12-BC-SNV.pdf", &pdf(2))],
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let path = format!("/api/v1/periods/{PERIOD}/assessments/SNV/evidence");
        let (s, list) = api.call(Method::GET, &path, &a12, None).await;
        assert_eq!(s, StatusCode::OK, "{list}");
        let leaves: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["leaf"].as_str().unwrap())
            .collect();
        assert_eq!(
            leaves,
            ["1.1.1", "1.2.1"],
            "the appraiser sees both documents"
        );

        // Re-appraisal touches only the answered leaf.
        let (s, v) = api.appraise(&a12, "SNV", "2.1.1", "25", "").await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["error"]["code"], "reappraisal_only_answered");
        let (s, v) = api
            .appraise(
                &a12,
                "SNV",
                "1.2.1",
                "16",
                "Đã bổ sung báo cáo, trừ điểm nộp muộn",
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");

        // Not yet the approval window; then the chair approves.
        let approval = format!("/api/v1/periods/{PERIOD}/approval");
        let (s, v) = api.call(Method::POST, &approval, &chair, None).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        set_phase(db, Phase::Approval).await;
        let (s, v) = api.call(Method::POST, &approval, &chair, None).await;
        assert_eq!(s, StatusCode::OK, "[{}] {v}", api.app.backend);
        assert_eq!(v["finalised"], 3);
        for u in UNITS {
            assert_eq!(state_of(db, u).await, AssessmentState::Finalised, "{u}");
        }

        // The same official scores and ranking as the browser test.
        let official = scores::for_unit(db, &period(), &unit("SNV")).await.unwrap();
        let of = |n: &str| {
            official
                .iter()
                .find(|s| s.node == node(n))
                .and_then(|s| s.points)
                .map(|p| p.value().normalize().to_string())
        };
        assert_eq!(
            LEAVES.map(of),
            ["10", "16", "20", "12", "26"].map(|p| Some(p.to_owned()))
        );
        let (s, results) = api
            .call(
                Method::GET,
                &format!("/api/v1/periods/{PERIOD}/results"),
                &chair,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{results}");
        let row = |u: &str| {
            results["units"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["unit"] == u)
                .unwrap_or_else(|| panic!("no {u} in {results}"))
                .clone()
        };
        for (u, rank, total) in [("STP", 1, 86.0), ("SNV", 2, 84.0), ("SKHCN", 3, 75.0)] {
            let r = row(u);
            assert_eq!(r["rank"], rank, "[{}] {u}: {r}", api.app.backend);
            assert_eq!(r["total"], total, "{u}: {r}");
            assert_eq!(r["group_size"], 3);
        }
        let snv = row("SNV");
        assert_eq!(snv["areas"]["1"], 26.0);
        assert_eq!(snv["areas"]["2"], 32.0);
        assert_eq!(snv["areas"]["3"], 26.0);

        // Every write with a token was audited under its owner's login.
        let log = audit::list(db, &AuditFilter::default()).await.unwrap();
        for login in ["cb.snv", "ld.snv", "td.a12", "ct.hd"] {
            assert!(
                log.iter()
                    .any(|e| e.entity == "api_token" && e.action == "use" && e.actor == login),
                "[{}] {login}'s uses are audited",
                api.app.backend
            );
        }
        assert!(
            log.iter()
                .any(|e| e.actor == "cb.snv" && e.entity != "api_token"),
            "the officer's changes are recorded under their login"
        );
        api.stop().await;
    }
}

#[tokio::test]
async fn stale_versions_read_only_tokens_and_other_units_are_refused_and_change_nothing() {
    for backend in backends() {
        let api = Api::start(&backend).await;
        let db = api.db();
        let officer = api.token("cb.snv", TokenScope::Write).await;
        let colleague = api.token("ld.snv", TokenScope::Write).await;
        let reader = api.token("cb.snv", TokenScope::Read).await;
        let (s, v) = api
            .call(
                Method::PUT,
                &self_path("SNV"),
                &officer,
                Some(first_save("SNV")),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "[{}] {v}", api.app.backend);

        // Saved against version 0 again: the leaf moved on to 1.
        let stale = json!({"leaves": [{"leaf": "1.2.1", "value": "19", "expected_version": 0}]});
        let (s, v) = api
            .call(Method::PUT, &self_path("SNV"), &colleague, Some(stale))
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["error"]["code"], "leaves_stale");
        let detail = &v["error"]["details"][0];
        assert_eq!(detail["code"], "leaf_stale");
        assert_eq!(detail["args"]["field"], "1.2.1");
        assert_eq!(detail["args"]["current"], "1");

        // A submission against an old version of the assessment.
        let a = api.assessment("SNV", &colleague).await;
        let current = a["version"].as_i64().unwrap();
        let path = format!("/api/v1/periods/{PERIOD}/assessments/SNV/submission");
        let body = json!({"expected_version": current - 1});
        let (s, v) = api.call(Method::POST, &path, &colleague, Some(body)).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["error"]["code"], "stale_version");
        assert_eq!(v["error"]["args"]["current"], current.to_string());

        // A value the leaf's method cannot read names its leaf.
        let bad =
            json!({"leaves": [{"leaf": "1.2.1", "value": "mười tám", "expected_version": 1}]});
        let (s, v) = api
            .call(Method::PUT, &self_path("SNV"), &officer, Some(bad))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["code"], "leaves_invalid");
        assert_eq!(v["error"]["details"][0]["args"]["field"], "1.2.1");

        // A read-only token reads but changes nothing.
        let seen = api.assessment("SNV", &reader).await;
        assert_eq!(leaf_of(&seen, "1.2.1")["self_version"], 1);
        let change = json!({"leaves": [{"leaf": "1.2.1", "value": "19", "expected_version": 1}]});
        let (s, v) = api
            .call(
                Method::PUT,
                &self_path("SNV"),
                &reader,
                Some(change.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        assert_eq!(v["error"]["code"], "token_read_only");
        let evidence = format!("/api/v1/periods/{PERIOD}/assessments/SNV/leaves/1.1.1/evidence");
        let (s, v) = api
            .upload(&evidence, &reader, &[], &[("a.pdf", &pdf(3))])
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");

        // Another unit's dossier: neither read nor written.
        let other = api.token("cb.stp", TokenScope::Write).await;
        let (s, v) = api
            .call(Method::PUT, &self_path("SNV"), &other, Some(change))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        assert_eq!(v["error"]["code"], "denied_other_unit");
        let (s, _) = api
            .call(
                Method::GET,
                &format!("/api/v1/periods/{PERIOD}/assessments/SNV"),
                &other,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = api
            .upload(&evidence, &other, &[], &[("a.pdf", &pdf(3))])
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");

        // Files the page refuses are refused alike, and nothing is stored.
        let (s, v) = api
            .upload(
                &evidence,
                &officer,
                &[],
                &[("chuong-trinh.exe", b"MZ\x90\x00")],
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["code"], "evidence_files_refused");
        assert_eq!(
            v["error"]["details"][0]["code"],
            "evidence_type_not_allowed"
        );
        let big = vec![b'%'; 64 * 1024 + 1];
        let (s, v) = api
            .upload(&evidence, &officer, &[], &[("qua-lon.pdf", &big)])
            .await;
        assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
        assert_eq!(v["error"]["code"], "file_too_large");
        let a = api.assessment("SNV", &officer).await;
        assert_eq!(leaf_of(&a, "1.1.1")["evidence"], json!([]));
        assert_eq!(leaf_of(&a, "1.2.1")["self_points"], "18", "unchanged");

        // A document removed with a reason is gone for everyone, and only once.
        let (s, v) = api
            .upload(&evidence, &officer, &[], &[("nham.pdf", &pdf(4))])
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let a = api.assessment("SNV", &officer).await;
        let href = leaf_of(&a, "1.1.1")["evidence"][0]["href"]
            .as_str()
            .unwrap()
            .to_owned();
        let (s, v) = api.call(Method::DELETE, &href, &reader, None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        let removal = format!("{href}?reason=T%E1%BA%A3i%20nh%E1%BA%A7m%20t%E1%BB%87p");
        let (s, v) = api.call(Method::DELETE, &removal, &officer, None).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
        let (s, v) = api.call(Method::DELETE, &removal, &officer, None).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["error"]["code"], "evidence_already_removed");
        let (s, _) = api.call(Method::GET, &href, &officer, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let log = audit::list(db, &AuditFilter::default()).await.unwrap();
        assert!(
            log.iter()
                .any(|e| e.actor == "cb.snv" && e.reason.as_deref() == Some("Tải nhầm tệp")),
            "[{}] the removal and its reason are audited under the owner",
            api.app.backend
        );
        assert_eq!(state_of(db, "SNV").await, AssessmentState::Draft);
        api.stop().await;
    }
}

#[tokio::test]
async fn an_approved_period_refuses_score_imports_with_409() {
    for backend in backends() {
        let api = Api::start(&backend).await;
        let db = api.db();
        self_assess_and_submit(&api).await;
        set_phase(db, Phase::Appraisal).await;
        let a3 = api.token("td.a3", TokenScope::Write).await;
        for u in UNITS {
            let value = self_points(u)[4];
            let (s, v) = api.appraise(&a3, u, "3.1", value, "").await;
            assert_eq!(s, StatusCode::NO_CONTENT, "{u}: {v}");
        }
        set_phase(db, Phase::Approval).await;
        let chair = api.token("ct.hd", TokenScope::Write).await;
        let (s, v) = api
            .call(
                Method::POST,
                &format!("/api/v1/periods/{PERIOD}/approval"),
                &chair,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "[{}] {v}", api.app.backend);

        let admin = api.token("admin", TokenScope::Write).await;
        let before = scores::list(db, &period()).await.unwrap();
        let file = "unit,criterion,value\nSNV,1.1.1,5\n";
        let path = format!("/api/v1/periods/{PERIOD}/scores");
        let (s, v) = api
            .upload(&path, &admin, &[], &[("diem.csv", file.as_bytes())])
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "[{}] {v}", api.app.backend);
        assert_eq!(v["error"]["code"], "units_approved");
        assert_eq!(v["error"]["args"]["units"], "SNV");
        assert_eq!(scores::list(db, &period()).await.unwrap(), before);
        api.stop().await;
    }
}

/// An index set with one self-assessed area and two measured ones (a survey and monitoring
/// data), in the YAML of `chiso import index-set`.
const MEASURED_SET: &str = r#"code: BCS-DO-LUONG
name: Bộ chỉ số có tiêu chí đo lường
year: 2026
classes:
  - {label: Tốt, min: 80}
  - {label: Khá, min: 0}
nodes:
  - code: "1"
    title: Chỉ đạo, điều hành
    max: 40
    children:
      - code: "1.1"
        title: Ban hành kế hoạch
        max: 40
        source: assessed
        method: {manual: {step: 0.5}}
  - code: "2"
    title: Sự hài lòng của người dân
    max: 30
    children:
      - code: "2.1"
        title: Người dân đánh giá
        max: 30
        source: survey
        method: survey
  - code: "3"
    title: Giải quyết hồ sơ
    max: 30
    children:
      - code: "3.1"
        title: Tỷ lệ hồ sơ đúng hạn
        max: 30
        source: data
        method:
          tiers:
            basis: percent
            levels:
              - {min: 95, points: 30}
              - {min: 0, points: 10}
"#;

#[tokio::test]
async fn index_sets_units_and_measured_scores_are_imported_with_the_rules_of_the_pages() {
    for backend in backends() {
        let api = Api::start(&backend).await;
        let db = api.db();
        let admin = api.token("admin", TokenScope::Write).await;
        let officer = api.token("cb.snv", TokenScope::Write).await;
        let reader = api.token("admin", TokenScope::Read).await;

        // The index set.
        let (s, v) = api
            .upload(
                "/api/v1/index-sets",
                &admin,
                &[],
                &[("bcs.yaml", MEASURED_SET.as_bytes())],
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "[{}] {v}", api.app.backend);
        assert_eq!(v["code"], "BCS-DO-LUONG");
        assert_eq!(v["replaced"], false);
        let (s, v) = api
            .upload(
                "/api/v1/index-sets",
                &reader,
                &[],
                &[("bcs.yaml", MEASURED_SET.as_bytes())],
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        // The set a period uses is never replaced.
        let (s, v) = api
            .upload(
                "/api/v1/index-sets",
                &admin,
                &[("replace", "true")],
                &[("bcs.yaml", SEEDED_SET_YAML.as_bytes())],
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["error"]["code"], "set_in_use");

        // Units of a new period, grouped under the new set.
        let p = Period {
            code: PeriodCode::parse("2026").unwrap(),
            year: 2026,
            name: "Chỉ số CCHC năm 2026".to_owned(),
            previous: None,
            status: periods::STATUS_DRAFT.to_owned(),
            decision: None,
            computed_at: None,
        };
        periods::create(db, &p, &Actor("admin".into()), NOW)
            .await
            .unwrap();
        let units = "code,name,group,kind\nSNV,Sở Nội vụ,Sở ngành,sở\nSTP,Sở Tư pháp,Sở ngành,sở\nSXD,Sở Xây dựng,Sở ngành,sở\n";
        let (s, v) = api
            .upload(
                "/api/v1/units",
                &officer,
                &[("period", "2026"), ("set", "BCS-DO-LUONG")],
                &[("don-vi.csv", units.as_bytes())],
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        let (s, v) = api
            .upload(
                "/api/v1/units",
                &admin,
                &[("period", "2026")],
                &[("a.csv", units.as_bytes()), ("b.csv", units.as_bytes())],
            )
            .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "an import reads one file: {v}"
        );
        assert_eq!(v["error"]["args"]["field"], "file");
        let (s, v) = api
            .upload(
                "/api/v1/units",
                &admin,
                &[("period", "2026"), ("set", "BCS-DO-LUONG")],
                &[("don-vi.csv", units.as_bytes())],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "[{}] {v}", api.app.backend);
        assert_eq!(v["units"], 3);
        assert_eq!(v["created"], json!(["SXD"]));
        assert_eq!(v["members"], 3);
        assert_eq!(
            v["groups"],
            json!([{"group": "Sở ngành", "set": "BCS-DO-LUONG"}])
        );

        // Scores: a broken file names its rows and columns; assessed leaves are refused.
        let path = "/api/v1/periods/2026/scores";
        let broken = "unit,criterion,value\nSNV,2.1,abc\nXYZ,3.1,97%\n";
        let (s, v) = api
            .upload(path, &admin, &[], &[("diem.csv", broken.as_bytes())])
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["code"], "file_invalid");
        let rows: Vec<i64> = v["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["row"].as_i64())
            .collect();
        assert_eq!(rows, [2, 3], "{v}");
        assert!(v["error"]["details"][0]["file"] == "diem.csv", "{v}");
        // Each problem carries its code and arguments beside its message.
        let unknown = &v["error"]["details"][1];
        assert_eq!(unknown["code"], "unit_unknown", "{v}");
        assert_eq!(unknown["args"]["unit"], "XYZ", "{v}");
        assert_eq!(
            unknown["message"], "đơn vị XYZ không có trong danh sách đơn vị",
            "{v}"
        );
        let unreadable = &v["error"]["details"][0];
        assert_eq!(unreadable["code"], "criterion", "{v}");
        assert_eq!(unreadable["args"]["criterion"], "2.1", "{v}");
        assert!(unreadable["args"]["reason"].is_string(), "{v}");
        // The same upload in English.
        let (s, v) = api
            .upload(
                &format!("{path}?lang=en"),
                &admin,
                &[],
                &[("diem.csv", broken.as_bytes())],
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["details"][1]["code"], "unit_unknown", "{v}");
        assert_eq!(
            v["error"]["details"][1]["message"], "unit XYZ is not in the unit list",
            "{v}"
        );
        assert!(
            v["error"]["details"][0]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("criterion 2.1: ")),
            "{v}"
        );
        let assessed = "unit,criterion,value\nSNV,1.1,30\nSNV,2.1,25\n";
        let (s, v) = api
            .upload(path, &admin, &[], &[("diem.csv", assessed.as_bytes())])
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["code"], "scores_only_measured");
        assert_eq!(v["error"]["details"][0]["args"]["node"], "1.1");
        assert_eq!(v["error"]["details"][0]["args"]["unit"], "SNV");
        let (s, v) = api.upload(path, &officer, &[], &[("diem.csv", b"x")]).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        assert!(
            scores::list(db, &p.code).await.unwrap().is_empty(),
            "refused imports store nothing"
        );

        let measured = "unit,criterion,value\nSNV,2.1,25\nSNV,3.1,96%\nSTP,2.1,\"27,5\"\nSTP,3.1,90%\nSXD,2.1,20\nSXD,3.1,99%\n";
        let (s, v) = api
            .upload(path, &admin, &[], &[("diem.csv", measured.as_bytes())])
            .await;
        assert_eq!(s, StatusCode::OK, "[{}] {v}", api.app.backend);
        assert_eq!(v["values"], 6);
        assert_eq!(v["changed"], 6);
        let stored = scores::for_unit(db, &p.code, &unit("STP")).await.unwrap();
        let points: Vec<String> = stored
            .iter()
            .map(|s| format!("{}={}", s.node, s.points.unwrap().value().normalize()))
            .collect();
        assert_eq!(points, ["2.1=27.5", "3.1=10"]);
        api.stop().await;
    }
}

/// The seeded set's code with different content: replacing it is refused whatever the file
/// says, since periods use it.
const SEEDED_SET_YAML: &str = r#"code: BCS-MAU
name: Bộ chỉ số CCHC mẫu
year: 2023
classes:
  - {label: Tốt, min: 80}
  - {label: Khá, min: 0}
nodes:
  - code: "1"
    title: Chỉ đạo, điều hành
    max: 100
    children:
      - code: "1.1"
        title: Ban hành kế hoạch
        max: 100
        source: assessed
        method: {manual: {step: 0.5}}
"#;

/// Whether `v` (a part of the OpenAPI document) holds an example, following `$ref`s into
/// `schemas` once each.
fn has_example(v: &Value, schemas: &Value, seen: &mut Vec<String>) -> bool {
    match v {
        Value::Object(o) => {
            if o.contains_key("example") || o.contains_key("examples") {
                return true;
            }
            if let Some(r) = o.get("$ref").and_then(Value::as_str) {
                let name = r.rsplit('/').next().unwrap_or_default().to_owned();
                if seen.contains(&name) {
                    return false;
                }
                seen.push(name.clone());
                return has_example(&schemas[&name], schemas, seen);
            }
            o.values().any(|v| has_example(v, schemas, seen))
        }
        Value::Array(a) => a.iter().any(|v| has_example(v, schemas, seen)),
        _ => false,
    }
}

#[test]
fn every_endpoint_of_the_api_is_documented_with_an_example() {
    let doc = serde_json::to_value(chiso_web::api::openapi()).unwrap();
    let schemas = &doc["components"]["schemas"];
    let mut missing = Vec::new();
    let mut writes = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            if method != "get" {
                writes += 1;
            }
            let parts = [&op["parameters"], &op["requestBody"], &op["responses"]];
            if !parts
                .iter()
                .any(|p| has_example(p, schemas, &mut Vec::new()))
            {
                missing.push(format!("{method} {path}"));
            }
        }
    }
    assert!(missing.is_empty(), "without an example: {missing:?}");
    assert!(
        writes >= 14,
        "the write endpoints are documented ({writes})"
    );
}
