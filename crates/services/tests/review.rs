//! Appraisal, explanation requests, approval, reopening and the change log as services, on
//! SQLite and (with `CHISO_TEST_PG`) PostgreSQL. Period `2025` has three departments (SNV,
//! STP, SKHCN) in one group of a five-leaf set, every self-assessment entered and submitted;
//! the phase is moved by rewriting the milestones around a fixed instant.

use chiso_domain::authz::Principal;
use chiso_domain::workflow::{AssessmentState, Milestone, Milestones, Phase};
use chiso_domain::{
    AppraiserScope, ClassScheme, Grant, GroupName, IndexSet, Membership, Method, Node, NodeCode,
    PeriodCode, Points, RankingRule, RawValue, Role, SetCode, Source, Unit, UnitCode, UnitKind,
};
use chiso_services::review::{
    self, Approve, Reopen, ReopenApproval, RequestExplanation, SaveAppraisal, approval_overview,
    change_log, unit_file,
};
use chiso_services::{Detail, Kind, ServiceError, codes};
use chiso_store::assessments::{self, StateChange};
use chiso_store::audit::{self, AuditFilter};
use chiso_store::leaves::{self, LeafKey, SelfEntry};
use chiso_store::periods::{self, Period};
use chiso_store::testing::{TestDb, backends};
use chiso_store::{
    Actor, Db, explanations, grants, index_sets, milestones, outbox, results, scores, units, users,
};
use rust_decimal::Decimal;
use time::OffsetDateTime;
use time::macros::datetime;

/// The instant of every step: 10/01/2026 09:00 in Vietnam.
const NOW: OffsetDateTime = datetime!(2026-01-10 02:00 UTC);
const UNITS: [&str; 3] = ["SNV", "STP", "SKHCN"];
const LEAVES: [(&str, i64); 5] = [
    ("1.1.1", 10),
    ("1.2.1", 20),
    ("2.1.1", 25),
    ("2.2.1", 15),
    ("3.1", 30),
];

fn period() -> PeriodCode {
    PeriodCode::parse("2025").unwrap()
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

fn person(login: &str, roles: Vec<Role>) -> Principal {
    Principal::new(
        login,
        roles
            .into_iter()
            .map(|r| Grant::in_period(r, period()))
            .collect(),
    )
}

fn admin() -> Principal {
    Principal::new("admin", vec![Grant::all_periods(Role::Admin)])
}

/// Appraises every unit and every leaf.
fn appraiser() -> Principal {
    person(
        "td.all",
        vec![Role::Appraiser {
            scope: AppraiserScope::units(UNITS.map(unit)),
        }],
    )
}

/// Appraises area 3 only.
fn area3() -> Principal {
    person(
        "td.a3",
        vec![Role::Appraiser {
            scope: AppraiserScope::areas([node("3")]),
        }],
    )
}

fn chair() -> Principal {
    person("ct.hd", vec![Role::CouncilChair])
}

fn leaf(code: &str, max: i64) -> Node {
    Node {
        code: node(code),
        title: format!("Tiêu chí {code}"),
        max: Points(Decimal::from(max)),
        source: Source::Assessed,
        method: Some(Method::Manual { step: None }),
        rule: None,
        evidence: None,
        not_applicable: None,
        children: Vec::new(),
    }
}

fn branch(code: &str, max: i64, children: Vec<Node>) -> Node {
    Node {
        method: None,
        children,
        ..leaf(code, max)
    }
}

/// Areas 1 (30), 2 (40), 3 (30); 3.1 is itself a leaf.
fn index_set() -> IndexSet {
    IndexSet {
        code: SetCode::parse("BCS-MAU").unwrap(),
        name: "Bộ chỉ số CCHC mẫu".to_owned(),
        year: 2025,
        decision: None,
        classes: ClassScheme::common_default(),
        ranking: RankingRule::default(),
        renormalise_absent_areas: false,
        nodes: vec![
            branch(
                "1",
                30,
                vec![
                    branch("1.1", 10, vec![leaf("1.1.1", 10)]),
                    branch("1.2", 20, vec![leaf("1.2.1", 20)]),
                ],
            ),
            branch(
                "2",
                40,
                vec![
                    branch("2.1", 25, vec![leaf("2.1.1", 25)]),
                    branch("2.2", 15, vec![leaf("2.2.1", 15)]),
                ],
            ),
            branch("3", 30, vec![leaf("3.1", 30)]),
        ],
    }
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

/// Stores the set, the units and period 2025 with every self-assessment submitted (each
/// leaf at its maximum less one, `self_override` replacing one value), then sets `phase`.
async fn setup(db: &Db, phase: Phase, self_override: Option<(&str, &str, i64)>) {
    let a = admin_actor();
    let at = datetime!(2025-10-01 01:00 UTC);
    let set = index_set();
    index_sets::save(db, &set, &a, at).await.expect("set");
    let list: Vec<Unit> = UNITS
        .iter()
        .map(|u| Unit {
            code: unit(u),
            name: format!("Sở {u}"),
            kind: UnitKind::Department,
            parent: None,
            valid_from: None,
            valid_to: None,
        })
        .collect();
    units::upsert_many(db, &list, &[], &a, at)
        .await
        .expect("units");
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
    let group = GroupName::parse("Sở, ban, ngành").unwrap();
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
        &[(group, set.code.clone())],
        &members,
        &a,
        at,
    )
    .await
    .expect("groups");
    set_phase(db, Phase::SelfAssessment).await;
    for u in UNITS {
        let officer = Actor(format!("cb.{}", u.to_lowercase()));
        for (n, max) in LEAVES {
            let pts = match self_override {
                Some((ou, on, v)) if ou == u && on == n => Decimal::from(v),
                _ => Decimal::from(max - 1),
            };
            let entry = SelfEntry {
                input: Some(RawValue::Points(pts)),
                points: Some(Points(pts)),
                declared_data: None,
                note: None,
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

fn key(u: &str, n: &str) -> LeafKey {
    LeafKey {
        period: period(),
        unit: unit(u),
        node: node(n),
    }
}

fn appraisal(u: &str, n: &str, value: &str, comment: &str, version: i64) -> SaveAppraisal {
    SaveAppraisal {
        period: period(),
        unit: unit(u),
        leaf: node(n),
        value: value.to_owned(),
        comment: comment.to_owned(),
        expected_version: version,
    }
}

async fn state_of(db: &Db, u: &str) -> AssessmentState {
    assessments::get(db, &period(), &unit(u))
        .await
        .unwrap()
        .map_or(AssessmentState::NotStarted, |a| a.state)
}

/// Appraises one leaf of every unit at its self-assessed value.
async fn appraise_all(db: &Db) {
    for u in UNITS {
        review::save_appraisal(db, &appraiser(), &appraisal(u, "1.1.1", "9", "", 0), NOW)
            .await
            .expect("appraisal");
    }
}

fn refused<T: std::fmt::Debug>(
    r: Result<T, ServiceError>,
    code: chiso_services::Code,
) -> ServiceError {
    match r {
        Err(e) if e.is(code) => e,
        other => panic!("expected {code}, got {other:?}"),
    }
}

#[tokio::test]
async fn an_appraisal_is_saved_starts_the_appraisal_and_needs_a_comment_when_it_differs() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        setup(&t.db, Phase::Appraisal, None).await;
        let e = refused(
            review::save_appraisal(
                &t.db,
                &appraiser(),
                &appraisal("SNV", "1.1.1", "7", " ", 0),
                NOW,
            )
            .await,
            codes::APPRAISAL_COMMENT_REQUIRED,
        );
        assert_eq!(e.get("field"), Some("comment"));
        assert_eq!(e.get("self"), Some("9"));
        assert_eq!(e.kind(), Kind::Invalid);
        refused(
            review::save_appraisal(
                &t.db,
                &appraiser(),
                &appraisal("SNV", "1.1.1", "", "", 0),
                NOW,
            )
            .await,
            codes::APPRAISAL_VALUE_REQUIRED,
        );
        review::save_appraisal(
            &t.db,
            &appraiser(),
            &appraisal("SNV", "1.1.1", "7", "Thiếu kế hoạch", 0),
            NOW,
        )
        .await
        .unwrap();
        let stored = leaves::get(&t.db, &key("SNV", "1.1.1"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.appraisal.points, Some(Points(Decimal::from(7))));
        assert_eq!(stored.appraisal_version, 1);
        assert_eq!(
            state_of(&t.db, "SNV").await,
            AssessmentState::UnderAppraisal
        );
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_save_based_on_a_stale_version_is_refused_with_the_value_saved_meanwhile() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        setup(&t.db, Phase::Appraisal, None).await;
        review::save_appraisal(
            &t.db,
            &appraiser(),
            &appraisal("STP", "3.1", "29", "", 0),
            NOW,
        )
        .await
        .unwrap();
        let e = refused(
            review::save_appraisal(
                &t.db,
                &area3(),
                &appraisal("STP", "3.1", "20", "Chưa đạt", 0),
                NOW,
            )
            .await,
            codes::APPRAISAL_STALE,
        );
        assert_eq!(e.kind(), Kind::Conflict);
        assert_eq!(e.get("by"), Some("td.all"));
        assert_eq!(e.get("points"), Some("29"));
        assert_eq!(e.get("current"), Some("1"));
        assert_eq!(e.get("at"), Some("10/01/2026 09:00"));
        let stored = leaves::get(&t.db, &key("STP", "3.1"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.appraisal.points, Some(Points(Decimal::from(29))));
        t.drop_database().await;
    }
}

#[tokio::test]
async fn an_appraiser_outside_their_units_or_areas_is_refused_as_out_of_scope() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        setup(&t.db, Phase::Appraisal, None).await;
        let e = refused(
            review::save_appraisal(&t.db, &area3(), &appraisal("SNV", "1.1.1", "9", "", 0), NOW)
                .await,
            codes::DENIED_OUT_OF_SCOPE,
        );
        assert_eq!(e.kind(), Kind::Forbidden);
        let stp_only = person(
            "td.stp",
            vec![Role::Appraiser {
                scope: AppraiserScope::units([unit("STP")]),
            }],
        );
        refused(
            review::save_appraisal(&t.db, &stp_only, &appraisal("SNV", "3.1", "29", "", 0), NOW)
                .await,
            codes::DENIED_OUT_OF_SCOPE,
        );
        assert!(
            !leaves::get(&t.db, &key("SNV", "1.1.1"))
                .await
                .unwrap()
                .unwrap()
                .is_appraised()
        );
        // What each may do comes with the file, decided once.
        let file = unit_file(&t.db, &area3(), &period(), &unit("SNV"), NOW)
            .await
            .unwrap();
        let visible: Vec<String> = file
            .visible_leaves()
            .iter()
            .map(|n| n.code.to_string())
            .collect();
        assert_eq!(visible, ["3.1"]);
        assert!(file.may.appraise.contains(&node("3.1")));
        assert!(!file.may.may_reopen);
        let file = unit_file(&t.db, &admin(), &period(), &unit("SNV"), NOW)
            .await
            .unwrap();
        assert!(file.may.may_reopen && file.may.may_view_audit);
        assert!(file.may.appraise.is_empty());
        t.drop_database().await;
    }
}

#[tokio::test]
async fn an_explanation_request_moves_the_assessment_and_is_asked_once_per_leaf() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        setup(&t.db, Phase::Appraisal, None).await;
        review::save_appraisal(
            &t.db,
            &appraiser(),
            &appraisal("SNV", "1.1.1", "9", "", 0),
            NOW,
        )
        .await
        .unwrap();
        let ask = |text: &str| RequestExplanation {
            period: period(),
            unit: unit("SNV"),
            leaf: node("1.2.1"),
            question: text.to_owned(),
        };
        let e = refused(
            review::request_explanation(&t.db, &appraiser(), &ask("  "), NOW).await,
            codes::EXPLANATION_QUESTION_REQUIRED,
        );
        assert_eq!(e.get("field"), Some("request"));
        review::request_explanation(&t.db, &appraiser(), &ask("Bổ sung báo cáo quý"), NOW)
            .await
            .unwrap();
        assert_eq!(
            state_of(&t.db, "SNV").await,
            AssessmentState::ExplanationRequested
        );
        let asked = explanations::list(&t.db, &period(), Some(&unit("SNV")))
            .await
            .unwrap();
        assert_eq!(asked.len(), 1);
        assert_eq!(asked[0].request, "Bổ sung báo cáo quý");
        refused(
            review::request_explanation(&t.db, &appraiser(), &ask("Lần nữa"), NOW).await,
            codes::EXPLANATION_ALREADY_REQUESTED,
        );
        t.drop_database().await;
    }
}

#[tokio::test]
async fn approval_before_the_approval_milestone_is_refused_and_changes_nothing() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        setup(&t.db, Phase::Appraisal, None).await;
        appraise_all(&t.db).await;
        let cmd = Approve {
            period: period(),
            accepted: vec![],
        };
        refused(
            review::approve(&t.db, &chair(), &cmd, NOW).await,
            codes::WORKFLOW_NOT_OPEN_APPROVAL,
        );
        refused(
            review::approve(&t.db, &appraiser(), &cmd, NOW).await,
            codes::DENIED_NOT_PERMITTED,
        );
        for u in UNITS {
            assert_eq!(state_of(&t.db, u).await, AssessmentState::UnderAppraisal);
        }
        assert!(results::load(&t.db, &period()).await.unwrap().is_none());
        let overview = approval_overview(&t.db, &chair(), &period(), NOW)
            .await
            .unwrap();
        assert!(overview.may_approve);
        assert!(
            overview
                .blocker()
                .unwrap()
                .is(codes::WORKFLOW_NOT_OPEN_APPROVAL)
        );
        t.drop_database().await;
    }
}

#[tokio::test]
async fn an_approval_commits_the_finalised_units_and_their_results_together() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        setup(&t.db, Phase::Appraisal, None).await;
        appraise_all(&t.db).await;
        review::save_appraisal(
            &t.db,
            &appraiser(),
            &appraisal("STP", "3.1", "10", "Chưa có nền tảng", 0),
            NOW,
        )
        .await
        .unwrap();
        set_phase(&t.db, Phase::Approval).await;
        let done = review::approve(
            &t.db,
            &chair(),
            &Approve {
                period: period(),
                accepted: vec![],
            },
            NOW,
        )
        .await
        .unwrap();
        assert_eq!(done.finalised, 3, "[{}]", backend.name());
        for u in UNITS {
            assert_eq!(state_of(&t.db, u).await, AssessmentState::Finalised);
        }
        let served = results::load(&t.db, &period()).await.unwrap().unwrap();
        assert_eq!(served.units.len(), 3);
        let stp = scores::list(&t.db, &period())
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.unit == unit("STP") && s.node == node("3.1"))
            .unwrap();
        assert_eq!(stp.points, Some(Points(Decimal::from(10))));
        // The results are those of the approved scores: nothing left to recompute.
        assert_eq!(
            chiso_services::compute::compute_stored(&t.db, &period())
                .await
                .unwrap(),
            served
        );
        // One commit: the approval, its scores and the results carry the same instant.
        let log = audit::list(
            &t.db,
            &AuditFilter {
                period: Some(period()),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            log.iter().filter(|e| e.entity == results::ENTITY).count(),
            1
        );
        assert_eq!(
            log.iter()
                .filter(|e| e.entity == assessments::ENTITY
                    && e.reason.as_deref() == Some(assessments::APPROVAL_REASON))
                .count(),
            3
        );
        // Approving again only recomputes.
        let again = review::approve(
            &t.db,
            &chair(),
            &Approve {
                period: period(),
                accepted: vec![],
            },
            NOW,
        )
        .await
        .unwrap();
        assert_eq!(again.finalised, 0);
        t.drop_database().await;
    }
}

#[tokio::test]
async fn reopening_an_approval_needs_a_reason_sends_every_unit_back_and_approval_comes_again() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        setup(&t.db, Phase::Appraisal, None).await;
        let reopen = |reason: &str| ReopenApproval {
            period: period(),
            reason: reason.to_owned(),
        };
        refused(
            review::reopen_approval(&t.db, &admin(), &reopen("Sai sót"), NOW).await,
            codes::APPROVAL_NOTHING_TO_REOPEN,
        );
        appraise_all(&t.db).await;
        set_phase(&t.db, Phase::Approval).await;
        let approve = Approve {
            period: period(),
            accepted: vec![],
        };
        review::approve(&t.db, &chair(), &approve, NOW)
            .await
            .unwrap();
        refused(
            review::reopen_approval(&t.db, &admin(), &reopen("  "), NOW).await,
            codes::REOPEN_REASON_REQUIRED,
        );
        refused(
            review::reopen_approval(&t.db, &chair(), &reopen("Sai sót"), NOW).await,
            codes::DENIED_NOT_PERMITTED,
        );
        for u in UNITS {
            assert_eq!(state_of(&t.db, u).await, AssessmentState::Finalised);
        }
        let reason = "Phát hiện sai sót điểm tiêu chí 1.1.1 của Sở Tư pháp";
        let n = review::reopen_approval(&t.db, &admin(), &reopen(reason), NOW)
            .await
            .unwrap();
        assert_eq!(n, 3, "[{}]", backend.name());
        for u in UNITS {
            assert_eq!(state_of(&t.db, u).await, AssessmentState::UnderAppraisal);
        }
        let log = change_log(&t.db, &admin(), &period(), &unit("STP"), None)
            .await
            .unwrap();
        assert_eq!(log.entries[0].reason.as_deref(), Some(reason));
        // The appraisers correct the value after the appraisal window, then the chair approves
        // again and the results follow.
        let current = leaves::get(&t.db, &key("STP", "1.1.1"))
            .await
            .unwrap()
            .unwrap()
            .appraisal_version;
        review::save_appraisal(
            &t.db,
            &appraiser(),
            &appraisal("STP", "1.1.1", "4", "Sửa sai sót sau phê duyệt", current),
            NOW,
        )
        .await
        .unwrap();
        let again = review::approve(&t.db, &chair(), &approve, NOW)
            .await
            .unwrap();
        assert_eq!(again.finalised, 3);
        let served = results::load(&t.db, &period()).await.unwrap().unwrap();
        assert_eq!(
            chiso_services::compute::compute_stored(&t.db, &period())
                .await
                .unwrap(),
            served,
            "the results are those of the corrected scores"
        );
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_failing_results_computation_leaves_the_period_unapproved() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        // SKHCN's own value of 3.1 exceeds the maximum, and 3.1 is not appraised: the approved
        // value would be it, and the results cannot be computed.
        setup(&t.db, Phase::Appraisal, Some(("SKHCN", "3.1", 45))).await;
        appraise_all(&t.db).await;
        set_phase(&t.db, Phase::Approval).await;
        let e = refused(
            review::approve(
                &t.db,
                &chair(),
                &Approve {
                    period: period(),
                    accepted: vec![],
                },
                NOW,
            )
            .await,
            codes::APPROVAL_COMPUTE_FAILED,
        );
        assert_eq!(e.get("reason"), Some("scores_invalid"));
        for u in UNITS {
            assert_eq!(
                state_of(&t.db, u).await,
                AssessmentState::UnderAppraisal,
                "[{}]",
                backend.name()
            );
        }
        assert!(results::load(&t.db, &period()).await.unwrap().is_none());
        assert!(scores::list(&t.db, &period()).await.unwrap().is_empty());
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_reopened_assessment_needs_a_reason_that_the_change_log_keeps() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        setup(&t.db, Phase::Appraisal, None).await;
        let reopen = |reason: &str| Reopen {
            period: period(),
            unit: unit("STP"),
            reason: reason.to_owned(),
        };
        refused(
            review::reopen(&t.db, &admin(), &reopen(" "), NOW).await,
            codes::REOPEN_REASON_REQUIRED,
        );
        refused(
            review::reopen(&t.db, &chair(), &reopen("Lý do"), NOW).await,
            codes::DENIED_NOT_PERMITTED,
        );
        review::reopen(
            &t.db,
            &admin(),
            &reopen("Đơn vị đề nghị bổ sung tài liệu"),
            NOW,
        )
        .await
        .unwrap();
        assert_eq!(state_of(&t.db, "STP").await, AssessmentState::Draft);
        let log = change_log(&t.db, &admin(), &period(), &unit("STP"), None)
            .await
            .unwrap();
        assert!(log.may_view_audit);
        assert_eq!(
            log.entries[0].reason.as_deref(),
            Some("Đơn vị đề nghị bổ sung tài liệu")
        );
        t.drop_database().await;
    }
}

#[tokio::test]
async fn the_change_log_shows_each_person_the_leaves_they_may_see() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        setup(&t.db, Phase::Appraisal, None).await;
        review::save_appraisal(
            &t.db,
            &appraiser(),
            &appraisal("SNV", "1.1.1", "9", "", 0),
            NOW,
        )
        .await
        .unwrap();
        review::save_appraisal(&t.db, &area3(), &appraisal("SNV", "3.1", "29", "", 0), NOW)
            .await
            .unwrap();
        let nodes = |entries: &[chiso_store::audit::AuditEntry]| {
            let mut n: Vec<String> = entries.iter().filter_map(|e| e.node.clone()).collect();
            n.sort();
            n.dedup();
            n
        };
        let all = change_log(&t.db, &admin(), &period(), &unit("SNV"), None)
            .await
            .unwrap();
        assert!(nodes(&all.entries).contains(&"1.1.1".to_owned()));
        let mine = change_log(&t.db, &area3(), &period(), &unit("SNV"), None)
            .await
            .unwrap();
        assert!(!mine.may_view_audit);
        assert_eq!(nodes(&mine.entries), ["3.1"]);
        assert!(mine.entries.len() < all.entries.len());
        refused(
            change_log(
                &t.db,
                &area3(),
                &period(),
                &unit("SNV"),
                Some(&node("1.1.1")),
            )
            .await,
            codes::DENIED_OUT_OF_SCOPE,
        );
        let other = person("cb.stp", vec![Role::UnitOfficer { unit: unit("STP") }]);
        refused(
            change_log(&t.db, &other, &period(), &unit("SNV"), None).await,
            codes::DENIED_OTHER_UNIT,
        );
        t.drop_database().await;
    }
}

/// Officers of SNV and STP with e-mail addresses, one officer of SKHCN without; the people an
/// explanation request or an approval is to be told.
async fn officers_with_addresses(db: &Db) {
    let a = admin_actor();
    let at = datetime!(2025-10-01 01:00 UTC);
    for (u, email) in [
        ("SNV", Some("cb@snv.example.vn")),
        ("STP", Some("cb@stp.example.vn")),
        ("SKHCN", None),
    ] {
        let login = format!("cb.{}", u.to_lowercase());
        users::create(db, &login, &login, "x", false, &a, at)
            .await
            .unwrap();
        let role = Role::UnitOfficer { unit: unit(u) };
        grants::grant(db, &login, &Grant::in_period(role, period()), &a, at)
            .await
            .unwrap();
        users::set_email(db, &login, email, &a, at).await.unwrap();
    }
}

/// The deliveries waiting in the outbox, as (event kind, unit, address), claimed to look.
async fn waiting(db: &Db) -> Vec<(String, Option<String>, String)> {
    outbox::claim(db, NOW, std::time::Duration::from_secs(1), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|d| {
            (
                d.event.kind().to_owned(),
                d.event.unit().map(ToString::to_string),
                d.address,
            )
        })
        .collect()
}

#[tokio::test]
async fn an_explanation_request_and_an_approval_record_their_emails_with_the_change() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        setup(&t.db, Phase::Appraisal, None).await;
        officers_with_addresses(&t.db).await;
        review::save_appraisal(
            &t.db,
            &appraiser(),
            &appraisal("SNV", "1.1.1", "9", "", 0),
            NOW,
        )
        .await
        .unwrap();
        let ask = RequestExplanation {
            period: period(),
            unit: unit("SNV"),
            leaf: node("1.2.1"),
            question: "Bổ sung báo cáo quý".to_owned(),
        };
        review::request_explanation(&t.db, &appraiser(), &ask, NOW)
            .await
            .unwrap();
        assert_eq!(
            waiting(&t.db).await,
            [(
                "explanation_requested".to_owned(),
                Some("SNV".to_owned()),
                "cb@snv.example.vn".to_owned()
            )]
        );
        // A refused approval (not every unit appraised) records nothing.
        set_phase(&t.db, Phase::Approval).await;
        review::approve(
            &t.db,
            &chair(),
            &Approve {
                period: period(),
                accepted: vec![],
            },
            NOW,
        )
        .await
        .unwrap_err();
        assert_eq!(waiting(&t.db).await, []);
        t.drop_database().await;
    }
}

#[tokio::test]
async fn an_approval_records_an_email_to_every_unit_officer_with_an_address_once() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        setup(&t.db, Phase::Appraisal, None).await;
        officers_with_addresses(&t.db).await;
        appraise_all(&t.db).await;
        set_phase(&t.db, Phase::Approval).await;
        review::approve(
            &t.db,
            &chair(),
            &Approve {
                period: period(),
                accepted: vec![],
            },
            NOW,
        )
        .await
        .unwrap();
        let mut told = waiting(&t.db).await;
        told.sort();
        assert_eq!(
            told,
            [
                (
                    "period_approved".to_owned(),
                    None,
                    "cb@snv.example.vn".to_owned()
                ),
                (
                    "period_approved".to_owned(),
                    None,
                    "cb@stp.example.vn".to_owned()
                ),
            ]
        );
        // Approving again only recomputes: nobody is told twice.
        review::approve(
            &t.db,
            &chair(),
            &Approve {
                period: period(),
                accepted: vec![],
            },
            NOW,
        )
        .await
        .unwrap();
        assert_eq!(waiting(&t.db).await, []);
        t.drop_database().await;
    }
}

#[tokio::test]
async fn only_user_administrators_read_the_outbox_and_retry_given_up_emails() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        for p in [appraiser(), chair()] {
            let e = chiso_services::outbox::summary(&t.db, &p)
                .await
                .unwrap_err();
            assert_eq!(e.kind(), Kind::Forbidden, "{e:?}");
            let e = chiso_services::outbox::retry_dead(&t.db, &p, NOW)
                .await
                .unwrap_err();
            assert_eq!(e.kind(), Kind::Forbidden, "{e:?}");
        }
        let s = chiso_services::outbox::summary(&t.db, &admin())
            .await
            .unwrap();
        assert_eq!((s.pending, s.dead), (0, 0));
        assert_eq!(
            chiso_services::outbox::retry_dead(&t.db, &admin(), NOW)
                .await
                .unwrap(),
            0
        );
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_survey_leaf_without_a_value_blocks_approval_until_the_chair_gives_a_reason() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        setup(&t.db, Phase::Appraisal, None).await;
        // Criterion 3.1 comes from the sociological survey, whose points nobody entered.
        let mut set = index_set();
        set.nodes[2].children[0].source = Source::Survey;
        index_sets::save(&t.db, &set, &admin_actor(), NOW)
            .await
            .expect("the set's source changes");
        appraise_all(&t.db).await;
        set_phase(&t.db, Phase::Approval).await;
        let overview = approval_overview(&t.db, &chair(), &period(), NOW)
            .await
            .unwrap();
        assert_eq!(overview.gaps.len(), 3, "{:?}", overview.gaps);
        assert!(overview.blocker().is_none(), "every unit is appraised");

        let e = refused(
            review::approve(
                &t.db,
                &chair(),
                &Approve {
                    period: period(),
                    accepted: vec![],
                },
                NOW,
            )
            .await,
            codes::APPROVAL_INCOMPLETE,
        );
        assert_eq!(e.get("count"), Some("3"));
        let Some(Detail::Problems(listed)) = e.details() else {
            panic!("the gaps are listed: {e:?}");
        };
        assert_eq!(listed[0].code, codes::GAP_NO_VALUE);
        assert!(
            listed
                .iter()
                .any(|p| p.args.contains(&("field", "ly-do:SNV:3.1".to_owned())))
        );
        assert_ne!(state_of(&t.db, "SNV").await, AssessmentState::Finalised);

        // A reason for two of them is not enough; a blank one counts as none.
        let accept = |u: &str, reason: &str| chiso_domain::completeness::Acceptance {
            unit: unit(u),
            leaf: node("3.1"),
            reason: reason.to_owned(),
        };
        let some = vec![
            accept("SNV", "Chưa tổ chức điều tra năm nay"),
            accept("STP", "Chưa tổ chức điều tra năm nay"),
            accept("SKHCN", "  "),
        ];
        let e = refused(
            review::approve(
                &t.db,
                &chair(),
                &Approve {
                    period: period(),
                    accepted: some,
                },
                NOW,
            )
            .await,
            codes::APPROVAL_INCOMPLETE,
        );
        assert_eq!(e.get("count"), Some("1"));

        let all = UNITS
            .iter()
            .map(|u| accept(u, "Chưa tổ chức điều tra năm nay"))
            .collect();
        review::approve(
            &t.db,
            &chair(),
            &Approve {
                period: period(),
                accepted: all,
            },
            NOW,
        )
        .await
        .unwrap();
        let log = audit::list(
            &t.db,
            &AuditFilter {
                period: Some(period()),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        let accepted: Vec<_> = log
            .iter()
            .filter(|e| e.entity == assessments::GAP_ENTITY)
            .map(|e| {
                (
                    e.unit.clone(),
                    e.node.clone(),
                    e.reason.clone(),
                    e.actor.clone(),
                )
            })
            .collect();
        assert_eq!(accepted.len(), 3, "one audited reason per gap");
        assert!(accepted.iter().all(|(_, node, reason, actor)| {
            node.as_deref() == Some("3.1")
                && reason.as_deref() == Some("Chưa tổ chức điều tra năm nay")
                && actor == "ct.hd"
        }));
        t.drop_database().await;
    }
}
