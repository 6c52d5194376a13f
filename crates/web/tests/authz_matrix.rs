//! The authorization matrix of `crates/services/tests/matrix` (the same file, the same table)
//! against the pages: each person signs in with a session, each operation is the form post or
//! page a browser would send. A refusal must be a 403 and change nothing. The JSON API runs it
//! too, with each person's read-write token. SQLite always, PostgreSQL when `CHISO_TEST_PG` is set.

use crate::common;
#[path = "../../services/tests/matrix/mod.rs"]
mod matrix;

use std::sync::{Arc, Mutex};

use chiso_domain::Clock;
use chiso_domain::{NodeCode, PeriodCode, UnitCode};
use chiso_store::Db;
use chiso_store::leaves::{self, LeafKey};
use chiso_web::WebConfig;
use common::browser::{BOUNDARY, Browser, Part, Reply, hidden_or_none, multipart};
use common::{TestApp, backends, cheap_hash};
use matrix::{OTHER_UNIT, Op, Outcome, PASSWORD, PERIOD, SET, TABLE, UNIT, Who, now_for};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::OffsetDateTime;

#[derive(Debug)]
struct TestClock(Mutex<OffsetDateTime>);

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

async fn appraisal_version(db: &Db, u: &str, n: &str) -> i64 {
    let key = LeafKey {
        period: PeriodCode::parse(PERIOD).unwrap(),
        unit: UnitCode::parse(u).unwrap(),
        node: NodeCode::parse(n).unwrap(),
    };
    leaves::get(db, &key)
        .await
        .unwrap()
        .map_or(0, |l| l.appraisal_version)
}

/// The page of SNV's self-assessment.
fn dossier() -> String {
    format!("/ky/{PERIOD}/tu-danh-gia/{UNIT}")
}

fn appraised(n: &str) -> String {
    format!("/ky/{PERIOD}/tham-dinh/{OTHER_UNIT}/tieu-chi/{n}")
}

/// Sends what a browser would for `op`.
async fn page(b: &mut Browser, db: &Db, op: Op) -> Reply {
    match op {
        Op::ViewDossier => b.get(&dossier()).await,
        Op::SaveSelfAssessment => {
            let form = b.get(&dossier()).await.body;
            let version = hidden_or_none(&form, "version:1.1.1").unwrap_or_default();
            let sig = hidden_or_none(&form, "sig:1.1.1").unwrap_or_default();
            b.post_csrf(
                &dossier(),
                &[
                    ("version:1.1.1", version.as_str()),
                    ("sig:1.1.1", sig.as_str()),
                    ("value:1.1.1", "35"),
                ],
            )
            .await
        }
        Op::Submit => {
            let form = b.get(&dossier()).await.body;
            let version = hidden_or_none(&form, "version").unwrap_or_default();
            b.post_csrf(
                &format!("{}/nop", dossier()),
                &[("version", version.as_str())],
            )
            .await
        }
        Op::Appraise => {
            let version = appraisal_version(db, OTHER_UNIT, "1.1.1").await.to_string();
            b.post_csrf(
                &appraised("1.1.1"),
                &[
                    ("value", "30"),
                    ("comment", ""),
                    ("version", version.as_str()),
                ],
            )
            .await
        }
        Op::RequestExplanation => {
            b.post_csrf(
                &format!("{}/giai-trinh", appraised("2.1.1")),
                &[("request", "Đề nghị bổ sung văn bản.")],
            )
            .await
        }
        Op::Reopen => {
            b.post_csrf(
                &format!("/ky/{PERIOD}/tham-dinh/{OTHER_UNIT}/mo-lai"),
                &[("reason", "Đơn vị đề nghị sửa số liệu.")],
            )
            .await
        }
        Op::CreatePeriod => {
            b.post_csrf(
                "/quan-tri/ky-danh-gia",
                &[
                    ("code", "2026"),
                    ("name", "Chỉ số CCHC năm 2026"),
                    ("year", "2026"),
                    ("previous", ""),
                ],
            )
            .await
        }
        Op::CloneIndexSet => {
            b.post_csrf(
                &format!("/quan-tri/bo-chi-so/{SET}/nhan-ban"),
                &[
                    ("code", "BCS-MATRAN-2026"),
                    ("name", "Bộ chỉ số 2026"),
                    ("year", "2026"),
                    ("decision", ""),
                ],
            )
            .await
        }
        Op::EnterMeasured => {
            let form = b
                .get(&format!("/ky/{PERIOD}/diem-khao-sat-so-lieu"))
                .await
                .body;
            let field = format!("v:{UNIT}:2.2.1");
            let version = hidden_or_none(&form, &format!("version:{UNIT}:2.2.1"))
                .unwrap_or_else(|| "0".to_owned());
            b.post_csrf(
                &format!("/ky/{PERIOD}/diem-khao-sat-so-lieu/luu"),
                &[
                    (field.as_str(), "15,5"),
                    (format!("version:{UNIT}:2.2.1").as_str(), version.as_str()),
                ],
            )
            .await
        }
        Op::Approve => b.post_csrf(&format!("/ky/{PERIOD}/phe-duyet"), &[]).await,
    }
}

/// How the table is driven: each person's browser, or each person's read-write API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Adapter {
    Pages,
    Api,
}

/// `path` of the API with `secret`.
async fn call(
    app: &TestApp,
    secret: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let mut b = Browser::new(&app.base);
    let mut req = app
        .client
        .request(method, format!("{}/api/v1{path}", app.base))
        .bearer_auth(secret);
    if let Some(body) = body {
        req = req.json(&body);
    }
    b.send(req).await
}

/// Sends the API request for `op` with `secret`.
async fn api(app: &TestApp, secret: &str, op: Op) -> Reply {
    let assessment = format!("/periods/{PERIOD}/assessments/{UNIT}");
    let other = format!("/periods/{PERIOD}/assessments/{OTHER_UNIT}");
    // What a client reads before writing (nothing, when it may not read).
    let read = call(app, secret, Method::GET, &assessment, None).await;
    let seen: Value = serde_json::from_str(&read.body).unwrap_or(Value::Null);
    let version = seen["version"].as_i64().unwrap_or(0);
    let leaf_version = seen["leaves"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["code"] == "1.1.1"))
        .and_then(|l| l["self_version"].as_i64())
        .unwrap_or(0);
    match op {
        Op::ViewDossier => read,
        Op::SaveSelfAssessment => {
            let body = json!({"leaves": [
                {"leaf": "1.1.1", "value": "35", "expected_version": leaf_version}
            ]});
            let path = format!("{assessment}/self-assessment");
            call(app, secret, Method::PUT, &path, Some(body)).await
        }
        Op::Submit => {
            let body = json!({"expected_version": version});
            let path = format!("{assessment}/submission");
            call(app, secret, Method::POST, &path, Some(body)).await
        }
        Op::Appraise => {
            let v = appraisal_version(app.db(), OTHER_UNIT, "1.1.1").await;
            let body = json!({"value": "30", "comment": "", "expected_version": v});
            let path = format!("{other}/appraisal/1.1.1");
            call(app, secret, Method::PUT, &path, Some(body)).await
        }
        Op::RequestExplanation => {
            let body = json!({"leaf": "2.1.1", "question": "Đề nghị bổ sung văn bản."});
            let path = format!("{other}/explanation-requests");
            call(app, secret, Method::POST, &path, Some(body)).await
        }
        Op::Reopen => {
            let body = json!({"reason": "Đơn vị đề nghị sửa số liệu."});
            let path = format!("{other}/reopen");
            call(app, secret, Method::POST, &path, Some(body)).await
        }
        Op::CreatePeriod => {
            let body = json!({"code": "2026", "name": "Chỉ số CCHC năm 2026", "year": 2026});
            call(app, secret, Method::POST, "/periods", Some(body)).await
        }
        Op::CloneIndexSet => {
            let body = json!({"code": "BCS-MATRAN-2026", "name": "Bộ chỉ số 2026", "year": 2026});
            let path = format!("/index-sets/{SET}/clone");
            call(app, secret, Method::POST, &path, Some(body)).await
        }
        Op::EnterMeasured => {
            let mut b = Browser::new(&app.base);
            let csv = format!("unit,criterion,value\n{UNIT},2.2.1,\"15,5\"\n");
            let body = multipart(&[Part::File("file", "diem.csv", csv.as_bytes())]);
            let req = app
                .client
                .post(format!("{}/api/v1/periods/{PERIOD}/scores", app.base))
                .bearer_auth(secret)
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                )
                .body(body);
            b.send(req).await
        }
        Op::Approve => {
            let path = format!("/periods/{PERIOD}/approval");
            call(app, secret, Method::POST, &path, None).await
        }
    }
}

/// A read-write token of the signed-in person of `b`.
async fn token_of(b: &mut Browser) -> String {
    let body = json!({"name": "Ma trận quyền", "scope": "write", "valid_days": 365});
    let r = b.json(Method::POST, "/api/v1/tokens", Some(&body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["secret"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_pages_answer_the_authorization_matrix_and_a_refusal_changes_nothing() {
    run_table(Adapter::Pages).await;
}

#[tokio::test]
async fn the_api_answers_the_same_authorization_matrix_with_tokens() {
    run_table(Adapter::Api).await;
}

async fn run_table(adapter: Adapter) {
    for backend in backends() {
        let clock = Arc::new(TestClock(Mutex::new(matrix::SELF_NOW)));
        let config = WebConfig {
            clock: clock.clone(),
            // The clock jumps a month between the windows; sessions must outlive that.
            session_idle: time::Duration::days(400),
            ..WebConfig::default()
        };
        let app = TestApp::start_with(&backend, config, false).await;
        matrix::seed(app.db(), &cheap_hash(PASSWORD)).await;
        let mut found = Vec::new();
        for (column, who) in Who::ALL.iter().enumerate() {
            *clock.0.lock().unwrap() = matrix::SELF_NOW;
            let mut b = Browser::signed_in(&app.base, who.login(), PASSWORD).await;
            let secret = match adapter {
                Adapter::Api => token_of(&mut b).await,
                Adapter::Pages => String::new(),
            };
            for (op, expected) in TABLE {
                *clock.0.lock().unwrap() = now_for(op);
                let before = matrix::snapshot(app.db()).await;
                let r = match adapter {
                    Adapter::Pages => page(&mut b, app.db(), op).await,
                    Adapter::Api => api(&app, &secret, op).await,
                };
                assert_ne!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
                let outcome = if r.status == StatusCode::FORBIDDEN {
                    Outcome::Denied
                } else {
                    Outcome::Allowed
                };
                if outcome == Outcome::Denied {
                    assert_eq!(
                        before,
                        matrix::snapshot(app.db()).await,
                        "[{}] {adapter:?}: {who:?} × {op:?} was refused but changed something",
                        app.backend
                    );
                }
                if outcome != expected[column] {
                    found.push(format!("{who:?} × {op:?}: {outcome:?} ({})", r.status));
                }
            }
        }
        assert!(
            found.is_empty(),
            "[{}] {adapter:?}: cells that differ from the table:\n{}",
            app.backend,
            found.join("\n")
        );
        app.stop().await;
    }
}
