//! Scenarios of the assessment cycle's records (roles, milestones, states, leaf values,
//! explanation requests, evidence), each run on SQLite and, with `CHISO_TEST_PG`, on
//! PostgreSQL.

use crate::common;

use chiso_domain::workflow::{AssessmentState, LeafExplanation, Milestones, vn_day_end};
use chiso_domain::{AppraiserScope, Grant, Points, RawValue, Role};
use chiso_evidence::{BlobId, FileKind};
use chiso_store::assessments::{self, StateChange};
use chiso_store::audit::{self, AuditFilter};
use chiso_store::evidence::{self, NewEvidence};
use chiso_store::leaves::{self, AppraisalEntry, LeafKey, SelfEntry};
use chiso_store::periods::{self, STATUS_PUBLISHED};
use chiso_store::{Actor, Db, StoreError, explanations, grants, milestones, scores, users};
use common::*;
use rust_decimal_macros::dec;
use serde_json::json;
use time::macros::{date, datetime};

fn actor(login: &str) -> Actor {
    Actor(login.to_owned())
}

fn leaf(unit: &str, node_code: &str) -> LeafKey {
    LeafKey {
        period: period_code("2024"),
        unit: unit_code(unit),
        node: node(node_code),
    }
}

fn self_entry(points: rust_decimal::Decimal) -> SelfEntry {
    SelfEntry {
        input: Some(RawValue::Yes),
        points: Some(Points(points)),
        declared_data: Some("Kế hoạch số 15/KH-UBND ngày 10/01/2024".to_owned()),
        note: Some("Đã ban hành đúng hạn".to_owned()),
        explanation: None,
    }
}

async fn log_of(db: &Db, entity: &str) -> Vec<audit::AuditEntry> {
    audit::list(db, &AuditFilter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.entity == entity)
        .collect()
}

fn change(state: AssessmentState) -> StateChange<'static> {
    StateChange {
        state,
        reopened: false,
        reason: "",
    }
}

#[tokio::test]
async fn grants_round_trip_into_authorization_grants_and_revoking_one_is_audited() {
    for_each_backend(|db| async move {
        seed(&db).await;
        for login in ["cb.an1", "td.stp"] {
            users::create(&db, login, login, "$argon2id$x", false, &admin(), T0)
                .await
                .unwrap();
        }
        let held = vec![
            Grant::in_period(
                Role::UnitOfficer {
                    unit: unit_code("XA-AN-1"),
                },
                period_code("2024"),
            ),
            Grant::all_periods(Role::UnitLeader {
                unit: unit_code("XA-AN-1"),
            }),
            Grant::all_periods(Role::Observer),
        ];
        for g in &held {
            grants::grant(&db, "cb.an1", g, &admin(), T1).await.unwrap();
        }
        let scope = AppraiserScope {
            units: Some(vec![unit_code("XA-AN-1"), unit_code("XA-AN-2")]),
            areas: Some(vec![node("1"), node("2.1")]),
        };
        let appraiser = Grant::in_period(Role::Appraiser { scope }, period_code("2024"));
        let id = grants::grant(&db, "td.stp", &appraiser, &admin(), T1)
            .await
            .unwrap();
        let everywhere = Grant::all_periods(Role::Appraiser {
            scope: AppraiserScope::everything(),
        });
        grants::grant(&db, "td.stp", &everywhere, &admin(), T1)
            .await
            .unwrap();

        assert_eq!(grants::for_user(&db, "cb.an1").await.unwrap(), held);
        assert_eq!(
            grants::for_user(&db, "td.stp").await.unwrap(),
            vec![appraiser.clone(), everywhere.clone()]
        );
        assert!(grants::for_user(&db, "nobody").await.unwrap().is_empty());
        let all = grants::list(&db).await.unwrap();
        assert_eq!(
            all.iter().map(|g| g.login.as_str()).collect::<Vec<_>>(),
            ["cb.an1", "cb.an1", "cb.an1", "td.stp", "td.stp"]
        );
        assert_eq!(
            (all[3].granted_by.as_str(), all[3].granted_at),
            ("admin", T1)
        );

        // The same grant twice, or a grant for an unknown person or unit, is refused.
        let err = grants::grant(&db, "td.stp", &appraiser, &admin(), T2)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        let err = grants::grant(&db, "ghost", &everywhere, &admin(), T2)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        let unknown_unit = Grant::all_periods(Role::UnitOfficer {
            unit: unit_code("XA-KHONG-CO"),
        });
        let err = grants::grant(&db, "cb.an1", &unknown_unit, &admin(), T2)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

        grants::revoke(&db, id, "Chuyển công tác", &admin(), T2)
            .await
            .unwrap();
        assert_eq!(
            grants::for_user(&db, "td.stp").await.unwrap(),
            vec![everywhere]
        );
        let err = grants::revoke(&db, id, "", &admin(), T2).await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");

        let log = log_of(&db, grants::ENTITY).await;
        assert_eq!(log.len(), 6);
        let revoked = &log[0];
        assert_eq!(
            (revoked.action.as_str(), revoked.entity_key.as_str()),
            ("revoke", "td.stp")
        );
        assert_eq!(revoked.old, Some(serde_json::to_value(&appraiser).unwrap()));
        assert_eq!(revoked.new, None);
        assert_eq!(revoked.reason.as_deref(), Some("Chuyển công tác"));
        assert_eq!(revoked.period.as_deref(), Some("2024"));
        assert_eq!(log[5].unit.as_deref(), Some("XA-AN-1"));
    })
    .await;
}

#[tokio::test]
async fn milestones_round_trip_and_saving_the_same_plan_again_records_nothing() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let p = period_code("2024");
        assert_eq!(
            milestones::get(&db, &p).await.unwrap(),
            Milestones::default()
        );
        let plan = Milestones {
            self_open: Some(datetime!(2024-11-01 00:00 +07:00)),
            self_close: Some(vn_day_end(date!(2024 - 12 - 15))),
            appraisal_open: Some(datetime!(2024-12-20 08:00 +07:00)),
            appraisal_close: None,
            explanation_open: Some(datetime!(2025-01-05 00:00:00.5 +07:00)),
            explanation_close: Some(vn_day_end(date!(2025 - 01 - 10))),
            approval: None,
            publication: Some(datetime!(2025-03-01 00:00 UTC)),
        };
        milestones::set_all(&db, &p, &plan, &admin(), T1)
            .await
            .unwrap();
        assert_eq!(milestones::get(&db, &p).await.unwrap(), plan);
        milestones::set_all(&db, &p, &plan, &admin(), T2)
            .await
            .unwrap();
        assert_eq!(log_of(&db, milestones::ENTITY).await.len(), 1);

        // Moving one deadline and clearing another is one audited change.
        let mut moved = plan;
        moved.self_close = Some(vn_day_end(date!(2024 - 12 - 20)));
        moved.publication = None;
        milestones::set_all(&db, &p, &moved, &actor("snv"), T2)
            .await
            .unwrap();
        assert_eq!(milestones::get(&db, &p).await.unwrap(), moved);
        let log = log_of(&db, milestones::ENTITY).await;
        assert_eq!(log.len(), 2);
        let old = log[0].old.as_ref().unwrap();
        let new = log[0].new.as_ref().unwrap();
        assert_eq!(old["self_close"], json!("2024-12-15T17:00:00.000000000Z"));
        assert_eq!(new["self_close"], json!("2024-12-20T17:00:00.000000000Z"));
        assert_eq!(old["publication"], json!("2025-03-01T00:00:00.000000000Z"));
        assert_eq!(new.get("publication"), None);
        assert_eq!(new.as_object().unwrap().len(), 5);
        assert_eq!(
            milestones::get(&db, &period_code("2023")).await.unwrap(),
            Milestones::default()
        );

        let err = milestones::set_all(&db, &period_code("1999"), &plan, &admin(), T2)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn the_period_list_shows_every_member_with_its_state() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let p = period_code("2024");
        let created = assessments::get_or_create(&db, &p, &unit_code("XA-AN-2"), &admin(), T1)
            .await
            .unwrap();
        assert_eq!(
            (created.state, created.version),
            (AssessmentState::NotStarted, 1)
        );
        // Asking again returns the same row and records nothing more.
        let again = assessments::get_or_create(&db, &p, &unit_code("XA-AN-2"), &admin(), T2)
            .await
            .unwrap();
        assert_eq!(again, created);
        assert_eq!(log_of(&db, assessments::ENTITY).await.len(), 1);

        assessments::set_state(
            &db,
            &p,
            &unit_code("PHUONG-1"),
            0,
            &change(AssessmentState::Draft),
            &actor("cb.p1"),
            T1,
        )
        .await
        .unwrap();
        let list = assessments::list(&db, &p).await.unwrap();
        let states: Vec<_> = list
            .iter()
            .map(|a| (a.unit.as_str(), a.state, a.version))
            .collect();
        assert_eq!(
            states,
            [
                ("XA-AN-1", AssessmentState::NotStarted, 0),
                ("XA-AN-2", AssessmentState::NotStarted, 1),
                ("PHUONG-1", AssessmentState::Draft, 1),
            ]
        );
        assert_eq!(list[2].updated_by.as_deref(), Some("cb.p1"));
    })
    .await;
}

#[tokio::test]
async fn a_state_change_with_a_stale_version_conflicts_and_changes_nothing() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let (p, u) = (period_code("2024"), unit_code("XA-AN-1"));
        let draft = assessments::set_state(
            &db,
            &p,
            &u,
            0,
            &change(AssessmentState::Draft),
            &actor("cb.an1"),
            T0,
        )
        .await
        .unwrap();
        assert_eq!(draft.version, 1);
        let submitted = assessments::set_state(
            &db,
            &p,
            &u,
            1,
            &change(AssessmentState::Submitted),
            &actor("ld.an1"),
            T1,
        )
        .await
        .unwrap();
        assert_eq!(
            (
                submitted.version,
                submitted.submitted_by.as_deref(),
                submitted.submitted_at
            ),
            (2, Some("ld.an1"), Some(T1))
        );

        // Someone who still holds version 1 cannot move the assessment.
        let err = assessments::set_state(
            &db,
            &p,
            &u,
            1,
            &change(AssessmentState::Draft),
            &actor("cb.an1"),
            T2,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        // Nor can someone who thinks nothing is stored yet.
        let err = assessments::set_state(
            &db,
            &p,
            &u,
            0,
            &change(AssessmentState::Draft),
            &actor("cb.an1"),
            T2,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        assert_eq!(
            assessments::get(&db, &p, &u).await.unwrap(),
            Some(submitted.clone())
        );
        assert_eq!(log_of(&db, assessments::ENTITY).await.len(), 2);

        // Reopening is recorded with its reason; approval stamps the approver.
        let reopened = assessments::set_state(
            &db,
            &p,
            &u,
            2,
            &StateChange {
                state: AssessmentState::Draft,
                reopened: true,
                reason: "Đơn vị bổ sung tài liệu theo Công văn 123/SNV",
            },
            &admin(),
            T2,
        )
        .await
        .unwrap();
        assert!(reopened.reopened);
        assert_eq!(reopened.submitted_by.as_deref(), Some("ld.an1"));
        let log = log_of(&db, assessments::ENTITY).await;
        assert_eq!(
            log[0].reason.as_deref(),
            Some("Đơn vị bổ sung tài liệu theo Công văn 123/SNV")
        );
        assert_eq!(
            log[0].old,
            Some(json!({"state": "submitted", "reopened": false, "version": 2}))
        );
        assert_eq!(
            log[0].new,
            Some(json!({"state": "draft", "reopened": true, "version": 3}))
        );
        let finalised = assessments::set_state(
            &db,
            &p,
            &u,
            3,
            &change(AssessmentState::Finalised),
            &actor("chu.tich"),
            T2,
        )
        .await
        .unwrap();
        assert_eq!(
            (
                finalised.finalised_by.as_deref(),
                finalised.finalised_at,
                finalised.reopened
            ),
            (Some("chu.tich"), Some(T2), false)
        );

        let err = assessments::set_state(
            &db,
            &p,
            &unit_code("XA-KHONG-CO"),
            0,
            &change(AssessmentState::Draft),
            &admin(),
            T2,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    })
    .await;
}

#[tokio::test]
async fn self_and_appraised_values_of_a_leaf_are_both_kept() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let key = leaf("XA-AN-1", "1.2");
        let mut mine = self_entry(dec!(1.50));
        mine.input = Some(RawValue::Date(date!(2024 - 12 - 14)));
        mine.explanation = Some("Báo cáo gửi qua hệ thống, không có công văn".to_owned());
        let saved = leaves::save_self(&db, &key, &mine, 0, &actor("cb.an1"), T1)
            .await
            .unwrap();
        assert_eq!((saved.self_version, saved.appraisal_version), (1, 0));

        let theirs = AppraisalEntry {
            input: Some(RawValue::Date(date!(2024 - 12 - 20))),
            points: Some(Points(dec!(0.5))),
            comment: Some("Báo cáo gửi chậm 5 ngày".to_owned()),
        };
        let appraised = leaves::save_appraisal(&db, &key, &theirs, 0, &actor("td.snv"), T2)
            .await
            .unwrap();
        assert_eq!(appraised.self_assessment, mine);
        assert_eq!(appraised.appraisal, theirs);
        assert_eq!(
            (appraised.self_by.as_deref(), appraised.self_at),
            (Some("cb.an1"), Some(T1))
        );
        assert_eq!(
            (appraised.appraised_by.as_deref(), appraised.appraised_at),
            (Some("td.snv"), Some(T2))
        );
        assert_eq!(
            (appraised.self_version, appraised.appraisal_version),
            (1, 1)
        );
        assert_eq!(
            appraised
                .self_assessment
                .points
                .unwrap()
                .value()
                .to_string(),
            "1.50"
        );

        // An appraiser may appraise a leaf the unit left empty.
        let empty = leaf("XA-AN-1", "1.10");
        leaves::save_appraisal(&db, &empty, &theirs, 0, &actor("td.snv"), T2)
            .await
            .unwrap();
        let list = leaves::list(&db, &period_code("2024"), &unit_code("XA-AN-1"))
            .await
            .unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0], appraised);
        assert_eq!(list[1].key, empty);
        assert_eq!(list[1].self_assessment, SelfEntry::default());
        assert_eq!(list[1].self_version, 0);
        assert!(
            leaves::list(&db, &period_code("2024"), &unit_code("XA-AN-2"))
                .await
                .unwrap()
                .is_empty()
        );

        // Saving the same value again writes nothing.
        let same = leaves::save_self(&db, &key, &mine, 1, &actor("cb.an1"), T2)
            .await
            .unwrap();
        assert_eq!(same, appraised);
        assert_eq!(log_of(&db, leaves::ENTITY).await.len(), 3);
    })
    .await;
}

#[tokio::test]
async fn two_concurrent_saves_of_the_same_leaf_at_the_same_version_let_exactly_one_win() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let key = leaf("XA-AN-2", "1.1");
        for expected in [0, 1] {
            let write = |points, who: &str| {
                let (db, key, who) = (db.clone(), key.clone(), actor(who));
                async move {
                    leaves::save_self(&db, &key, &self_entry(points), expected, &who, T1).await
                }
            };
            let (a, b) = tokio::join!(
                tokio::spawn(write(dec!(2) - rust_decimal::Decimal::from(expected), "a")),
                tokio::spawn(write(
                    dec!(0.5) + rust_decimal::Decimal::from(expected),
                    "b"
                ))
            );
            let outcomes = [a.unwrap(), b.unwrap()];
            assert_eq!(
                outcomes.iter().filter(|r| r.is_ok()).count(),
                1,
                "{outcomes:?}"
            );
            assert!(
                outcomes
                    .iter()
                    .any(|r| matches!(r, Err(StoreError::Conflict(_))))
            );
            let winner = outcomes.into_iter().find_map(Result::ok).unwrap();
            let stored = leaves::get(&db, &key).await.unwrap().unwrap();
            assert_eq!(stored, winner);
            assert_eq!(stored.self_version, expected + 1);
            assert_eq!(
                log_of(&db, leaves::ENTITY).await.len(),
                usize::try_from(expected + 1).unwrap()
            );
        }

        // The appraiser's side has its own version, untouched by the unit's saves.
        let theirs = AppraisalEntry {
            input: Some(RawValue::No),
            points: Some(Points(dec!(0))),
            comment: Some("Không có kế hoạch".to_owned()),
        };
        let err = leaves::save_appraisal(&db, &key, &theirs, 2, &admin(), T2)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        leaves::save_appraisal(&db, &key, &theirs, 0, &admin(), T2)
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn every_change_of_a_leaf_is_audited_from_old_to_new() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let key = leaf("XA-AN-1", "1.1");
        leaves::save_self(&db, &key, &self_entry(dec!(2)), 0, &actor("cb.an1"), T0)
            .await
            .unwrap();
        let mut changed = self_entry(dec!(1));
        changed.note = None;
        leaves::save_self(&db, &key, &changed, 1, &actor("cb.an1"), T1)
            .await
            .unwrap();
        let theirs = AppraisalEntry {
            input: Some(RawValue::Yes),
            points: Some(Points(dec!(2))),
            comment: None,
        };
        leaves::save_appraisal(&db, &key, &theirs, 0, &actor("td.snv"), T2)
            .await
            .unwrap();

        let log = audit::list(
            &db,
            &AuditFilter {
                node: Some(node("1.1")),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(log.len(), 3);
        let actions: Vec<_> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["save_appraisal", "save_self", "save_self"]);
        for e in &log {
            assert_eq!(e.entity, leaves::ENTITY);
            assert_eq!(e.entity_key, "2024/XA-AN-1/1.1");
            assert_eq!(
                (e.period.as_deref(), e.unit.as_deref()),
                (Some("2024"), Some("XA-AN-1"))
            );
        }
        assert_eq!(log[2].old, None);
        assert_eq!(log[2].new.as_ref().unwrap()["points"], json!("2"));
        assert_eq!(log[1].old.as_ref().unwrap()["points"], json!("2"));
        assert_eq!(
            log[1].old.as_ref().unwrap()["note"],
            json!("Đã ban hành đúng hạn")
        );
        assert_eq!(log[1].new.as_ref().unwrap()["points"], json!("1"));
        assert_eq!(log[1].new.as_ref().unwrap()["note"], json!(null));
        assert_eq!(log[1].new.as_ref().unwrap()["version"], json!(2));
        assert_eq!((log[1].actor.as_str(), log[1].at), ("cb.an1", T1));
        assert_eq!(log[0].old, None);
        assert_eq!(log[0].new.as_ref().unwrap()["version"], json!(1));
        assert_eq!(log[0].actor, "td.snv");
    })
    .await;
}

#[tokio::test]
async fn an_explanation_request_is_answered_once_per_leaf_and_amended_by_version() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let key = leaf("XA-AN-2", "2.1");
        let asked = explanations::request(
            &db,
            &key,
            "Đề nghị cung cấp báo cáo kết quả thực hiện kế hoạch",
            &actor("td.snv"),
            T1,
        )
        .await
        .unwrap();
        assert_eq!(
            (asked.status, asked.version, asked.answer.as_deref()),
            (LeafExplanation::Requested, 1, None)
        );
        let err = explanations::request(&db, &key, "Lần hai", &actor("td.snv"), T1)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

        let answered = explanations::answer(
            &db,
            asked.id,
            "Đã bổ sung Báo cáo số 45/BC-UBND",
            1,
            &actor("cb.an2"),
            T2,
        )
        .await
        .unwrap();
        assert_eq!(answered.status, LeafExplanation::Answered);
        assert_eq!(
            (
                answered.answer.as_deref(),
                answered.answered_by.as_deref(),
                answered.answered_at,
                answered.version
            ),
            (
                Some("Đã bổ sung Báo cáo số 45/BC-UBND"),
                Some("cb.an2"),
                Some(T2),
                2
            )
        );
        assert_eq!(
            (answered.requested_by.as_str(), answered.requested_at),
            ("td.snv", T1)
        );

        // An answer based on the unanswered request is stale.
        let err = explanations::answer(&db, asked.id, "Khác", 1, &actor("cb.an2"), T2)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        let err = explanations::answer(&db, 999_999, "Khác", 1, &actor("cb.an2"), T2)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");

        explanations::request(&db, &leaf("XA-AN-1", "1.10"), "Thiếu văn bản", &admin(), T1)
            .await
            .unwrap();
        let p = period_code("2024");
        let all = explanations::list(&db, &p, None).await.unwrap();
        assert_eq!(
            all.iter()
                .map(|r| (r.key.unit.as_str(), r.key.node.as_str()))
                .collect::<Vec<_>>(),
            [("XA-AN-1", "1.10"), ("XA-AN-2", "2.1")]
        );
        assert_eq!(
            explanations::list(&db, &p, Some(&unit_code("XA-AN-2")))
                .await
                .unwrap(),
            vec![answered]
        );

        let log = log_of(&db, explanations::ENTITY).await;
        assert_eq!(log.len(), 3);
        let answer_entry = &log[1];
        assert_eq!(answer_entry.action, "answer");
        assert_eq!(
            answer_entry.old.as_ref().unwrap()["status"],
            json!("requested")
        );
        assert_eq!(
            answer_entry.new.as_ref().unwrap()["status"],
            json!("answered")
        );
        assert_eq!(answer_entry.node.as_deref(), Some("2.1"));
    })
    .await;
}

fn pdf(byte: u8) -> NewEvidence {
    NewEvidence {
        blob_id: BlobId::parse(&format!("{byte:02x}").repeat(32)).unwrap(),
        file_name: "Kế hoạch CCHC 2024.pdf".to_owned(),
        kind: FileKind::Pdf,
        size: 182_345,
    }
}

#[tokio::test]
async fn removing_evidence_keeps_the_row_and_audits_the_removal() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let (p, u) = (period_code("2024"), unit_code("XA-AN-1"));
        let first = evidence::add(
            &db,
            &leaf("XA-AN-1", "1.1"),
            &pdf(0xab),
            &actor("cb.an1"),
            T1,
        )
        .await
        .unwrap();
        let mut scan = pdf(0x01);
        scan.kind = FileKind::Jpeg;
        scan.file_name = "Ảnh chụp.jpg".to_owned();
        let second = evidence::add(&db, &leaf("XA-AN-1", "1.1"), &scan, &actor("cb.an1"), T1)
            .await
            .unwrap();
        evidence::add(
            &db,
            &leaf("XA-AN-1", "1.10"),
            &pdf(0xab),
            &actor("cb.an1"),
            T1,
        )
        .await
        .unwrap();
        assert_eq!(first.blob_id.to_string(), "ab".repeat(32));
        assert_eq!((first.kind, first.size), (FileKind::Pdf, 182_345));
        assert_eq!(
            evidence::list(&db, &p, &u, Some(&node("1.1")), false)
                .await
                .unwrap(),
            vec![first.clone(), second.clone()]
        );

        let removed = evidence::soft_remove(&db, first.id, "Nhầm tệp", &actor("cb.an1"), T2)
            .await
            .unwrap();
        assert!(removed.is_removed());
        assert_eq!(
            (removed.removed_by.as_deref(), removed.removed_at),
            (Some("cb.an1"), Some(T2))
        );
        assert_eq!(
            evidence::get(&db, first.id).await.unwrap(),
            Some(removed.clone())
        );
        assert_eq!(
            evidence::list(&db, &p, &u, Some(&node("1.1")), false)
                .await
                .unwrap(),
            vec![second.clone()]
        );
        let history = evidence::list(&db, &p, &u, None, true).await.unwrap();
        assert_eq!(
            history
                .iter()
                .map(|e| (e.key.node.as_str(), e.is_removed()))
                .collect::<Vec<_>>(),
            [("1.1", true), ("1.1", false), ("1.10", false)]
        );
        let err = evidence::soft_remove(&db, first.id, "", &actor("cb.an1"), T2)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        let err = evidence::soft_remove(&db, 999_999, "", &actor("cb.an1"), T2)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");

        let log = log_of(&db, evidence::ENTITY).await;
        assert_eq!(log.len(), 4);
        let e = &log[0];
        assert_eq!(
            (e.action.as_str(), e.entity_key.clone(), e.reason.as_deref()),
            (
                "remove",
                format!("2024/XA-AN-1/1.1/{}", first.id),
                Some("Nhầm tệp")
            )
        );
        assert_eq!(e.old.as_ref().unwrap()["removed_at"], json!(null));
        assert_eq!(
            e.new.as_ref().unwrap()["removed_at"],
            json!("2025-01-12T10:00:00.000000000Z")
        );
        assert_eq!(
            e.new.as_ref().unwrap()["file_name"],
            json!("Kế hoạch CCHC 2024.pdf")
        );
    })
    .await;
}

#[tokio::test]
async fn a_published_period_refuses_every_change_of_its_cycle() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let p = period_code("2024");
        let key = leaf("XA-AN-1", "1.1");
        let file = evidence::add(&db, &key, &pdf(0x02), &admin(), T1)
            .await
            .unwrap();
        let asked = explanations::request(&db, &key, "Giải trình", &admin(), T1)
            .await
            .unwrap();
        let mut published = periods::get(&db, &p).await.unwrap().unwrap();
        published.status = STATUS_PUBLISHED.to_owned();
        periods::update(&db, &published, &admin(), T1)
            .await
            .unwrap();

        let frozen = |r: Result<(), StoreError>| {
            assert!(matches!(r, Err(StoreError::Frozen(_))), "{r:?}");
        };
        frozen(
            leaves::save_self(&db, &key, &self_entry(dec!(2)), 0, &admin(), T2)
                .await
                .map(drop),
        );
        frozen(
            leaves::save_appraisal(&db, &key, &AppraisalEntry::default(), 0, &admin(), T2)
                .await
                .map(drop),
        );
        frozen(
            assessments::set_state(
                &db,
                &p,
                &key.unit,
                0,
                &change(AssessmentState::Draft),
                &admin(),
                T2,
            )
            .await
            .map(drop),
        );
        frozen(
            assessments::get_or_create(&db, &p, &key.unit, &admin(), T2)
                .await
                .map(drop),
        );
        frozen(milestones::set_all(&db, &p, &Milestones::default(), &admin(), T2).await);
        frozen(
            explanations::answer(&db, asked.id, "Trả lời", 1, &admin(), T2)
                .await
                .map(drop),
        );
        frozen(
            evidence::soft_remove(&db, file.id, "", &admin(), T2)
                .await
                .map(drop),
        );
        frozen(
            evidence::add(&db, &key, &pdf(0x03), &admin(), T2)
                .await
                .map(drop),
        );
        assert_eq!(leaves::get(&db, &key).await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn reset_removes_the_cycle_but_keeps_grants_that_name_no_unit_or_period() {
    for_each_backend(|db| async move {
        seed(&db).await;
        users::create(&db, "cb.an1", "Cán bộ", "$argon2id$x", false, &admin(), T0)
            .await
            .unwrap();
        let observer = Grant::all_periods(Role::Observer);
        grants::grant(&db, "cb.an1", &observer, &admin(), T0)
            .await
            .unwrap();
        let officer = Grant::in_period(
            Role::UnitOfficer {
                unit: unit_code("XA-AN-1"),
            },
            period_code("2024"),
        );
        grants::grant(&db, "cb.an1", &officer, &admin(), T0)
            .await
            .unwrap();
        let key = leaf("XA-AN-1", "1.1");
        leaves::save_self(&db, &key, &self_entry(dec!(2)), 0, &admin(), T1)
            .await
            .unwrap();
        evidence::add(&db, &key, &pdf(0x04), &admin(), T1)
            .await
            .unwrap();
        explanations::request(&db, &key, "Giải trình", &admin(), T1)
            .await
            .unwrap();
        assessments::get_or_create(&db, &key.period, &key.unit, &admin(), T1)
            .await
            .unwrap();
        milestones::set_all(
            &db,
            &key.period,
            &Milestones {
                self_open: Some(T1),
                ..Milestones::default()
            },
            &admin(),
            T1,
        )
        .await
        .unwrap();

        db.reset().await.unwrap();
        assert!(db.is_empty().await.unwrap());
        assert_eq!(
            grants::for_user(&db, "cb.an1").await.unwrap(),
            vec![observer]
        );
        assert_eq!(log_of(&db, grants::ENTITY).await.len(), 2);

        db.reset_including_users().await.unwrap();
        assert!(grants::list(&db).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn approving_a_unit_copies_each_appraised_value_or_else_its_own_into_scores() {
    for_each_backend(|db| async move {
        seed(&db).await;
        let (p, u) = (period_code("2024"), unit_code("XA-AN-1"));
        let appraised = leaf("XA-AN-1", "1.1");
        let own_only = leaf("XA-AN-1", "1.10");
        leaves::save_self(&db, &appraised, &self_entry(dec!(2)), 0, &admin(), T0)
            .await
            .unwrap();
        let theirs = AppraisalEntry {
            input: Some(RawValue::No),
            points: Some(Points(dec!(0))),
            comment: Some("Không có kế hoạch".to_owned()),
        };
        leaves::save_appraisal(&db, &appraised, &theirs, 0, &actor("td.snv"), T1)
            .await
            .unwrap();
        let mut counted = self_entry(dec!(1.5));
        counted.input = Some(RawValue::Count(dec!(3)));
        leaves::save_self(&db, &own_only, &counted, 0, &admin(), T0)
            .await
            .unwrap();
        // Scores entered earlier for the unit are replaced by the approved values.
        scores::put(
            &db,
            &p,
            &[common::change(
                "XA-AN-1",
                "1.1",
                Some(RawValue::Yes),
                Some(dec!(2)),
            )],
            &admin(),
            T0,
            "",
        )
        .await
        .unwrap();

        let draft = assessments::set_state(
            &db,
            &p,
            &u,
            0,
            &change(AssessmentState::Draft),
            &admin(),
            T0,
        )
        .await
        .unwrap();
        // States before approval leave the scores alone.
        assert_eq!(scores::for_unit(&db, &p, &u).await.unwrap().len(), 1);
        assessments::set_state(
            &db,
            &p,
            &u,
            draft.version,
            &change(AssessmentState::Finalised),
            &actor("chu.tich"),
            T2,
        )
        .await
        .unwrap();

        let official: Vec<_> = scores::for_unit(&db, &p, &u)
            .await
            .unwrap()
            .into_iter()
            .map(|s| {
                (
                    s.node.as_str().to_owned(),
                    s.input,
                    s.points,
                    s.note,
                    s.version,
                )
            })
            .collect();
        assert_eq!(
            official,
            [
                (
                    "1.1".to_owned(),
                    Some(RawValue::No),
                    Some(Points(dec!(0))),
                    Some("Không có kế hoạch".to_owned()),
                    2
                ),
                (
                    "1.10".to_owned(),
                    Some(RawValue::Count(dec!(3))),
                    Some(Points(dec!(1.5))),
                    Some("Đã ban hành đúng hạn".to_owned()),
                    1
                ),
            ]
        );
        // Both the unit's and the appraiser's values stay with the leaf.
        let kept = leaves::get(&db, &appraised).await.unwrap().unwrap();
        assert_eq!(kept.self_assessment, self_entry(dec!(2)));
        assert_eq!(kept.appraisal, theirs);

        let log = log_of(&db, scores::ENTITY).await;
        assert_eq!(log.len(), 3);
        assert!(
            log[..2].iter().all(|e| e.actor == "chu.tich"
                && e.reason.as_deref() == Some(assessments::APPROVAL_REASON))
        );
    })
    .await;
}
