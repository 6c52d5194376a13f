//! The authorization matrix of `crates/services/tests/matrix` (the same file, the same table)
//! against the pages: each person signs in with a session, each operation is the form post or
//! page a browser would send. A refusal must be a 403 and change nothing. The JSON API runs it
//! too, with each person's read-write token. SQLite always, PostgreSQL when `CHISO_TEST_PG` is set.

mod common;
#[path = "../../services/tests/matrix/mod.rs"]
mod matrix;

use std::sync::{Arc, Mutex};

use chiso_domain::Clock;
use chiso_domain::{NodeCode, PeriodCode, UnitCode};
use chiso_store::Db;
use chiso_store::leaves::{self, LeafKey};
use chiso_web::WebConfig;
use common::browser::{Browser, Reply, hidden_or_none};
use common::{TestApp, backends, cheap_hash};
use matrix::{OTHER_UNIT, Op, Outcome, PASSWORD, PERIOD, SET, TABLE, UNIT, Who, now_for};
use reqwest::StatusCode;
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
        Op::Approve => b.post_csrf(&format!("/ky/{PERIOD}/phe-duyet"), &[]).await,
    }
}

#[tokio::test]
async fn the_pages_answer_the_authorization_matrix_and_a_refusal_changes_nothing() {
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
            let mut b = Browser::signed_in(&app.base, who.login(), PASSWORD).await;
            for (op, expected) in TABLE {
                *clock.0.lock().unwrap() = now_for(op);
                let before = matrix::snapshot(app.db()).await;
                let r = page(&mut b, app.db(), op).await;
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
                        "[{}] {who:?} × {op:?} was refused but changed something",
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
            "[{}] cells that differ from the table:\n{}",
            app.backend,
            found.join("\n")
        );
        app.stop().await;
    }
}
