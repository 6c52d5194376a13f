//! Units that never submit, and units withdrawn from a period, as services on SQLite and (with
//! `CHISO_TEST_PG`) PostgreSQL. Period `2025` has four departments in one group of a
//! three-leaf set: SNV and STP submitted their self-assessment, SKHCN saved one leaf as a
//! draft and never submitted, SXD never started. The phase is moved by rewriting the
//! milestones around a fixed instant.

use chiso_domain::authz::Principal;
use chiso_domain::workflow::{AssessmentState, Milestone, Milestones, Phase};
use chiso_domain::{
    AppraiserScope, ClassScheme, Grant, GroupName, IndexSet, Membership, Method, Node, NodeCode,
    PeriodCode, Points, RankingRule, RawValue, ResultNote, Role, SetCode, Source, Unit, UnitCode,
    UnitKind,
};
use chiso_services::publication::{self, Publish};
use chiso_services::review::{self, Approve, SaveAppraisal, change_log, unit_file};
use chiso_services::{Kind, ServiceError, codes, periods, results};
use chiso_store::assessments::{self, StateChange};
use chiso_store::leaves::{self, LeafKey, SelfEntry};
use chiso_store::periods::Period;
use chiso_store::testing::{TestDb, backends};
use chiso_store::{Actor, Db, index_sets, milestones, units};
use rust_decimal::Decimal;
use time::OffsetDateTime;
use time::macros::{date, datetime};

/// The instant of every step: 10/01/2026 09:00 in Vietnam.
const NOW: OffsetDateTime = datetime!(2026-01-10 02:00 UTC);
const UNITS: [&str; 4] = ["SNV", "STP", "SKHCN", "SXD"];
const LEAVES: [(&str, i64); 3] = [("1.1", 40), ("1.2", 30), ("2.1", 30)];

fn period() -> PeriodCode {
    PeriodCode::parse("2025").unwrap()
}

fn unit(s: &str) -> UnitCode {
    UnitCode::parse(s).unwrap()
}

fn node(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
}

fn admin() -> Principal {
    Principal::new("admin", vec![Grant::all_periods(Role::Admin)])
}

fn in_period(login: &str, role: Role) -> Principal {
    Principal::new(login, vec![Grant::in_period(role, period())])
}

fn appraiser() -> Principal {
    in_period(
        "td.all",
        Role::Appraiser {
            scope: AppraiserScope::units(UNITS.map(unit)),
        },
    )
}

fn chair() -> Principal {
    in_period("ct.hd", Role::CouncilChair)
}

fn leaf(code: &str, max: i64) -> Node {
    Node {
        code: node(code),
        title: format!("Tiêu chí {code}"),
        max: Points(Decimal::from(max)),
        source: Source::Assessed,
        method: Some(Method::Manual { step: None }),
        rule: None,
        evidence: Some("Văn bản ban hành".to_owned()),
        not_applicable: None,
        children: Vec::new(),
    }
}

fn index_set() -> IndexSet {
    let branch = |code: &str, max: i64, children: Vec<Node>| Node {
        method: None,
        evidence: None,
        children,
        ..leaf(code, max)
    };
    IndexSet {
        code: SetCode::parse("BCS-MAU").unwrap(),
        name: "Bộ chỉ số CCHC mẫu".to_owned(),
        year: 2025,
        decision: None,
        classes: ClassScheme::common_default(),
        ranking: RankingRule::default(),
        renormalise_absent_areas: false,
        nodes: vec![
            branch("1", 70, vec![leaf("1.1", 40), leaf("1.2", 30)]),
            branch("2", 30, vec![leaf("2.1", 30)]),
        ],
    }
}

/// Milestones ten days apart placing [`NOW`] in `phase`.
async fn set_phase(db: &Db, phase: Phase) -> Milestones {
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
    milestones::set_all(db, &period(), &plan, &Actor("admin".into()), NOW)
        .await
        .expect("milestones");
    plan
}

fn key(u: &str, n: &str) -> LeafKey {
    LeafKey {
        period: period(),
        unit: unit(u),
        node: node(n),
    }
}

async fn save_self(db: &Db, u: &str, n: &str, points: i64) {
    let entry = SelfEntry {
        input: Some(RawValue::Points(Decimal::from(points))),
        points: Some(Points(Decimal::from(points))),
        declared_data: None,
        note: None,
        explanation: None,
    };
    let officer = Actor(format!("cb.{}", u.to_lowercase()));
    leaves::save_self(db, &key(u, n), &entry, 0, &officer, NOW)
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

/// The set, the units and period 2025 as the module header describes, in `phase`.
async fn setup(db: &Db, phase: Phase) {
    let a = Actor("admin".into());
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
        status: chiso_store::periods::STATUS_DRAFT.to_owned(),
        decision: None,
        computed_at: None,
    };
    chiso_store::periods::create(db, &p, &a, at)
        .await
        .expect("period");
    let group = GroupName::parse("Sở, ban, ngành").unwrap();
    let members: Vec<Membership> = UNITS
        .iter()
        .map(|u| Membership {
            unit: unit(u),
            group: group.clone(),
            ranked: true,
        })
        .collect();
    chiso_store::periods::set_groups(db, &period(), &[(group, set.code)], &members, &a, at)
        .await
        .expect("groups");
    set_phase(db, Phase::SelfAssessment).await;
    for u in ["SNV", "STP"] {
        for (n, max) in LEAVES {
            save_self(db, u, n, max - 5).await;
        }
        set_state(db, u, 0, AssessmentState::Draft).await;
        set_state(db, u, 1, AssessmentState::Submitted).await;
    }
    save_self(db, "SKHCN", "1.1", 35).await;
    set_state(db, "SKHCN", 0, AssessmentState::Draft).await;
    set_phase(db, phase).await;
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

fn appraisal(u: &str, n: &str, value: &str, comment: &str) -> SaveAppraisal {
    SaveAppraisal {
        period: period(),
        unit: unit(u),
        leaf: node(n),
        value: value.to_owned(),
        comment: comment.to_owned(),
        expected_version: 0,
    }
}

async fn state_of(db: &Db, u: &str) -> AssessmentState {
    assessments::get(db, &period(), &unit(u))
        .await
        .unwrap()
        .map_or(AssessmentState::NotStarted, |a| a.state)
}

#[tokio::test]
async fn closing_an_unsubmitted_unit_is_refused_before_the_deadline_and_for_submitted_units() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        setup(&t.db, Phase::SelfAssessment).await;
        let plan = milestones::get(&t.db, &period()).await.unwrap();
        let last_day = plan.self_close.unwrap() - time::Duration::SECOND;
        let early = refused(
            periods::close_unsubmitted(&t.db, &admin(), &period(), &unit("SKHCN"), None, NOW).await,
            codes::CLOSE_BEFORE_DEADLINE,
        );
        assert_eq!(
            early.get("deadline"),
            Some(
                chiso_domain::fmt::vi_date(last_day.to_offset(time::macros::offset!(+7)).date())
                    .as_str()
            ),
            "[{}]",
            backend.name()
        );
        assert_eq!(early.get("deadline"), Some("19/01/2026"));
        assert_eq!(state_of(&t.db, "SKHCN").await, AssessmentState::Draft);

        set_phase(&t.db, Phase::SelfAssessmentClosed).await;
        let denied =
            periods::close_unsubmitted(&t.db, &appraiser(), &period(), &unit("SKHCN"), None, NOW)
                .await
                .unwrap_err();
        assert_eq!(denied.kind(), Kind::Forbidden);
        refused(
            periods::close_unsubmitted(&t.db, &admin(), &period(), &unit("SNV"), None, NOW).await,
            codes::WORKFLOW_ALREADY_SUBMITTED,
        );
        assert_eq!(state_of(&t.db, "SNV").await, AssessmentState::Submitted);
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_unit_closed_after_the_deadline_is_appraised_approved_and_published_ranked_with_its_note()
{
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        setup(&t.db, Phase::SelfAssessmentClosed).await;
        // SXD never started: it is withdrawn, with its reason.
        periods::remove_member(
            &t.db,
            &admin(),
            &period(),
            &unit("SXD"),
            "Sáp nhập vào Sở Xây dựng mới",
            NOW,
        )
        .await
        .unwrap();
        let closed = periods::close_unsubmitted(
            &t.db,
            &admin(),
            &period(),
            &unit("SKHCN"),
            Some("  Đã nhắc hai lần, đơn vị không nộp "),
            NOW,
        )
        .await
        .unwrap();
        assert_eq!(
            closed.state,
            AssessmentState::ClosedUnsubmitted,
            "[{}]",
            backend.name()
        );
        let closure = closed.closed.expect("closure");
        assert_eq!(closure.by, "admin");
        assert_eq!(closure.at, NOW);
        assert_eq!(
            closure.reason.as_deref(),
            Some("Đã nhắc hai lần, đơn vị không nộp")
        );
        refused(
            periods::close_unsubmitted(&t.db, &admin(), &period(), &unit("SKHCN"), None, NOW).await,
            codes::WORKFLOW_ALREADY_CLOSED,
        );

        // The change log shows it, with the reason.
        let log = change_log(&t.db, &admin(), &period(), &unit("SKHCN"), None)
            .await
            .unwrap();
        let entry = &log.entries[0];
        assert_eq!(entry.entity, assessments::ENTITY);
        assert_eq!(entry.actor, "admin");
        assert_eq!(
            entry.new.as_ref().unwrap()["state"].as_str(),
            Some("closed_unsubmitted")
        );
        assert_eq!(
            entry.reason.as_deref(),
            Some("Đã nhắc hai lần, đơn vị không nộp")
        );

        // Appraisers appraise it like a submitted one.
        set_phase(&t.db, Phase::Appraisal).await;
        let file = unit_file(&t.db, &appraiser(), &period(), &unit("SKHCN"), NOW)
            .await
            .unwrap();
        for n in ["1.1", "2.1"] {
            let blocked = file.appraisal_blocked(&node(n));
            assert!(blocked.is_none(), "{n}: {blocked:?}");
        }
        for u in ["SNV", "STP"] {
            review::save_appraisal(&t.db, &appraiser(), &appraisal(u, "1.1", "35", ""), NOW)
                .await
                .unwrap();
        }
        // A leaf the unit left empty, without evidence: 0, with the appraiser's comment.
        refused(
            review::save_appraisal(
                &t.db,
                &appraiser(),
                &appraisal("SKHCN", "2.1", "0", ""),
                NOW,
            )
            .await,
            codes::APPRAISAL_COMMENT_REQUIRED,
        );
        review::save_appraisal(
            &t.db,
            &appraiser(),
            &appraisal("SKHCN", "2.1", "0", "Không có tài liệu kiểm chứng"),
            NOW,
        )
        .await
        .unwrap();
        assert_eq!(
            state_of(&t.db, "SKHCN").await,
            AssessmentState::UnderAppraisal
        );

        set_phase(&t.db, Phase::Approval).await;
        let approved = review::approve(
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
        assert_eq!(approved.finalised, 3);
        let live = results::stored(&t.db, &period()).await.unwrap().unwrap();
        let note_of = |u: &str| live.units.iter().find(|r| r.unit == unit(u)).unwrap().note;
        assert_eq!(note_of("SKHCN"), Some(ResultNote::ClosedUnsubmitted));
        assert_eq!(note_of("SNV"), None);
        assert!(live.units.iter().all(|r| r.unit != unit("SXD")));

        publication::publish(
            &t.db,
            &admin(),
            &Publish {
                period: period(),
                decision: "12/QĐ-UBND".to_owned(),
                decided_on: date!(2026 - 01 - 10),
                reason: None,
            },
            NOW,
        )
        .await
        .unwrap();
        let public = results::period_report(&t.db, &Principal::anonymous(), &period(), None)
            .await
            .unwrap();
        assert!(public.source.publication().is_some());
        let ranked: Vec<_> = public.groups.iter().flat_map(|g| g.units.iter()).collect();
        assert_eq!(ranked.len(), 3);
        let skhcn = ranked.iter().find(|r| r.unit == unit("SKHCN")).unwrap();
        // Self-assessed 35 kept on 1.1, 0 on 2.1, nothing on 1.2: 35 of 100, ranked last.
        assert_eq!(skhcn.total, Points(Decimal::from(35)));
        assert_eq!(skhcn.rank, Some(3));
        assert_eq!(skhcn.note, Some(ResultNote::ClosedUnsubmitted));
        let own = results::unit_report(
            &t.db,
            &Principal::anonymous(),
            &period(),
            &unit("SKHCN"),
            None,
        )
        .await
        .unwrap();
        assert_eq!(own.result.note, Some(ResultNote::ClosedUnsubmitted));
        t.drop_database().await;
    }
}

#[tokio::test]
async fn withdrawing_a_unit_needs_a_reason_and_is_listed_with_who_when_and_why() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        setup(&t.db, Phase::SelfAssessment).await;
        for blank in ["", "   "] {
            let e = refused(
                periods::remove_member(&t.db, &admin(), &period(), &unit("SXD"), blank, NOW).await,
                codes::WITHDRAW_REASON_REQUIRED,
            );
            assert_eq!(e.get("field"), Some("reason"), "[{}]", backend.name());
            assert_eq!(e.kind(), Kind::Invalid);
        }
        refused(
            periods::remove_member(&t.db, &admin(), &period(), &unit("SKHCN"), "Lý do", NOW).await,
            codes::PERIOD_MEMBER_STARTED,
        );
        let before = periods::setup(&t.db, &admin(), &period(), "", NOW)
            .await
            .unwrap();
        assert!(before.progress.withdrawn.is_empty());
        periods::remove_member(
            &t.db,
            &admin(),
            &period(),
            &unit("SXD"),
            " Giải thể theo  Quyết định 5/QĐ-UBND ",
            NOW,
        )
        .await
        .unwrap();
        let after = periods::setup(&t.db, &admin(), &period(), "", NOW)
            .await
            .unwrap();
        assert!(after.progress.lines.iter().all(|l| l.unit != unit("SXD")));
        let [w] = after.progress.withdrawn.as_slice() else {
            panic!("{:?}", after.progress.withdrawn)
        };
        assert_eq!(w.unit, unit("SXD"));
        assert_eq!(w.name, "Sở SXD");
        assert_eq!(w.withdrawal.by, "admin");
        assert_eq!(w.withdrawal.at, NOW);
        assert_eq!(w.withdrawal.reason, "Giải thể theo Quyết định 5/QĐ-UBND");
        let log = chiso_store::audit::list(
            &t.db,
            &chiso_store::audit::AuditFilter {
                period: Some(period()),
                unit: Some(unit("SXD")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(
            log.iter()
                .any(|e| e.entity == chiso_store::periods::WITHDRAWAL_ENTITY
                    && e.reason.as_deref() == Some("Giải thể theo Quyết định 5/QĐ-UBND")),
            "{log:?}"
        );
        refused(
            periods::remove_member(&t.db, &admin(), &period(), &unit("SXD"), "Lại", NOW).await,
            codes::PERIOD_NOT_MEMBER,
        );
        t.drop_database().await;
    }
}
