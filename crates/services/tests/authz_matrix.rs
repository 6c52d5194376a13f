//! The authorization matrix ([`matrix::TABLE`]) against the services themselves, without HTTP:
//! each person is the principal the services build from the stored account, each operation a
//! typed command. The pages and the API run the same table (`crates/web/tests/authz_matrix.rs`).
//! SQLite always, PostgreSQL when `CHISO_TEST_PG` is set.

use crate::matrix;

use chiso_domain::authz::Principal;
use chiso_domain::{NodeCode, PeriodCode, Points, RawValue, SetCode, UnitCode};
use chiso_services::assessment::{self, LeafEntry, SaveSelfAssessment, Submit};
use chiso_services::index_sets::{self, CloneSet, SetInfo};
use chiso_services::measured::{self, MeasuredValue, SaveMeasured};
use chiso_services::periods::{self, NewPeriod};
use chiso_services::review::{self, Approve, Reopen, RequestExplanation, SaveAppraisal};
use chiso_services::{Kind, ServiceResult, dossier, users as user_service};
use chiso_store::leaves::{self, LeafKey, SelfEntry};
use chiso_store::testing::{TestDb, backends};
use chiso_store::{Db, users};
use matrix::{OTHER_UNIT, Op, Outcome, PERIOD, SET, TABLE, UNIT, Who, now_for};
use rust_decimal::Decimal;

fn period() -> PeriodCode {
    PeriodCode::parse(PERIOD).unwrap()
}

fn unit(u: &str) -> UnitCode {
    UnitCode::parse(u).unwrap()
}

fn node(n: &str) -> NodeCode {
    NodeCode::parse(n).unwrap()
}

async fn principal(db: &Db, who: Who) -> Principal {
    let user = users::find_by_login(db, who.login())
        .await
        .unwrap()
        .expect("account");
    user_service::principal_for(db, &user).await.unwrap()
}

async fn appraisal_version(db: &Db, u: &str, n: &str) -> i64 {
    let key = LeafKey {
        period: period(),
        unit: unit(u),
        node: node(n),
    };
    leaves::get(db, &key)
        .await
        .unwrap()
        .map_or(0, |l| l.appraisal_version)
}

/// Runs `op` as `p`; only the error's kind matters to the table.
async fn run(db: &Db, p: &Principal, op: Op) -> ServiceResult<()> {
    let now = now_for(op);
    match op {
        Op::ViewDossier => dossier::load(db, p, &period(), &unit(UNIT), now)
            .await
            .map(drop),
        Op::SaveSelfAssessment => {
            let file = dossier::load(db, p, &period(), &unit(UNIT), now).await?;
            let seen = file
                .leaves
                .get(&node("1.1.1"))
                .map_or(0, |l| l.self_version);
            let cmd = SaveSelfAssessment {
                period: period(),
                unit: unit(UNIT),
                leaves: vec![LeafEntry {
                    node: node("1.1.1"),
                    entry: SelfEntry {
                        input: Some(RawValue::Points(Decimal::from(35))),
                        points: Some(Points(Decimal::from(35))),
                        declared_data: None,
                        note: None,
                        explanation: None,
                    },
                    expected_version: seen,
                }],
            };
            assessment::save(db, p, &file, &cmd, now).await.map(drop)
        }
        Op::Submit => {
            let file = dossier::load(db, p, &period(), &unit(UNIT), now).await?;
            let cmd = Submit {
                period: period(),
                unit: unit(UNIT),
                expected_version: file.assessment.version,
            };
            assessment::submit(db, p, &file, &cmd, now).await
        }
        Op::Appraise => {
            let cmd = SaveAppraisal {
                period: period(),
                unit: unit(OTHER_UNIT),
                leaf: node("1.1.1"),
                value: "30".to_owned(),
                comment: String::new(),
                expected_version: appraisal_version(db, OTHER_UNIT, "1.1.1").await,
            };
            review::save_appraisal(db, p, &cmd, now).await
        }
        Op::RequestExplanation => {
            let cmd = RequestExplanation {
                period: period(),
                unit: unit(OTHER_UNIT),
                leaf: node("2.1.1"),
                question: "Đề nghị bổ sung văn bản.".to_owned(),
            };
            review::request_explanation(db, p, &cmd, now).await
        }
        Op::Reopen => {
            let cmd = Reopen {
                period: period(),
                unit: unit(OTHER_UNIT),
                reason: "Đơn vị đề nghị sửa số liệu.".to_owned(),
            };
            review::reopen(db, p, &cmd, now).await
        }
        Op::CreatePeriod => {
            let new = NewPeriod {
                code: "2026".to_owned(),
                name: "Chỉ số CCHC năm 2026".to_owned(),
                year: "2026".to_owned(),
                previous: String::new(),
            };
            periods::create_period(db, p, &new, now).await.map(drop)
        }
        Op::CloneIndexSet => {
            let cmd = CloneSet {
                from: SetCode::parse(SET).unwrap(),
                code: SetCode::parse("BCS-MATRAN-2026").unwrap(),
                info: SetInfo {
                    name: "Bộ chỉ số 2026".to_owned(),
                    year: 2026,
                    decision: None,
                },
                shift_dates: true,
            };
            index_sets::clone_set(db, p, &cmd, now).await.map(drop)
        }
        Op::EnterMeasured => {
            let cmd = SaveMeasured {
                period: period(),
                values: vec![MeasuredValue {
                    unit: unit(UNIT),
                    node: node("2.2.1"),
                    value: "15,5".to_owned(),
                    expected_version: 0,
                }],
                reason: String::new(),
            };
            measured::save_measured(db, p, &cmd, now).await.map(drop)
        }
        Op::Approve => {
            let cmd = Approve {
                period: period(),
                accepted: vec![],
            };
            review::approve(db, p, &cmd, now).await.map(drop)
        }
    }
}

#[tokio::test]
async fn the_services_answer_the_authorization_matrix_and_a_refusal_changes_nothing() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        let db = &t.db;
        matrix::seed(db, "not-used-by-services").await;
        let mut found = Vec::new();
        for (column, who) in Who::ALL.iter().enumerate() {
            let p = principal(db, *who).await;
            for (op, expected) in TABLE {
                let before = matrix::snapshot(db).await;
                let result = run(db, &p, op).await;
                let outcome = match &result {
                    Err(e) if e.kind() == Kind::Forbidden => Outcome::Denied,
                    _ => Outcome::Allowed,
                };
                if outcome == Outcome::Denied {
                    assert_eq!(
                        before,
                        matrix::snapshot(db).await,
                        "[{}] {who:?} × {op:?} was refused but changed something",
                        backend.name()
                    );
                }
                if outcome != expected[column] {
                    found.push(format!("{who:?} × {op:?}: {outcome:?} ({result:?})"));
                }
            }
        }
        assert!(
            found.is_empty(),
            "[{}] cells that differ from the table:\n{}",
            backend.name(),
            found.join("\n")
        );
        t.drop_database().await;
    }
}
