//! The unit's side of the cycle through the services, on SQLite and (with `CHISO_TEST_PG`)
//! PostgreSQL: the dossier a person may load with what they may do, saving values with
//! optimistic versions, the leader's submission, evidence attached and removed, answers to
//! explanation requests, and refusals for people of another unit.

use std::time::Duration;

use chiso_domain::authz::{AppraiserScope, Grant, Principal, Role};
use chiso_domain::workflow::{AssessmentState, Milestones, vn_day_start};
use chiso_domain::{
    ClassScheme, GroupName, IndexSet, Membership, Method, Node, NodeCode, PeriodCode, Points,
    RankingRule, RawValue, SetCode, Source, Unit, UnitCode, UnitKind,
};
use chiso_evidence::{BlobId, FileKind};
use chiso_services::assessment::{
    self, AnswerExplanation, AttachEvidence, LeafEntry, RemoveEvidence, SaveSelfAssessment, Submit,
};
use chiso_services::dossier::{self, Attach, Dossier};
use chiso_services::{Detail, Kind, ServiceError, codes};
use chiso_store::assessments::{self, StateChange};
use chiso_store::evidence::NewEvidence;
use chiso_store::leaves::{LeafKey, SelfEntry};
use chiso_store::periods::{self, Period};
use chiso_store::testing::{TestDb, backends};
use chiso_store::{Actor, Db, explanations, grants, index_sets, milestones, outbox, units, users};
use rust_decimal_macros::dec;
use time::OffsetDateTime;
use time::macros::{date, datetime};

/// Inside the self-assessment window.
const SELF_WINDOW: OffsetDateTime = datetime!(2025-02-01 03:00 UTC);
/// Inside the explanation window.
const EXPLANATION_WINDOW: OffsetDateTime = datetime!(2025-03-25 03:00 UTC);

fn code(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
}

fn period() -> PeriodCode {
    PeriodCode::parse("2025").unwrap()
}

fn unit(s: &str) -> UnitCode {
    UnitCode::parse(s).unwrap()
}

fn leaf(c: &str, method: Method, evidence: Option<&str>) -> Node {
    Node {
        code: code(c),
        title: format!("Tiêu chí {c}"),
        max: Points(dec!(2)),
        source: Source::Assessed,
        method: Some(method),
        rule: None,
        evidence: evidence.map(str::to_owned),
        not_applicable: None,
        children: vec![],
    }
}

/// One area with a yes/no leaf needing evidence and a count leaf.
fn index_set() -> IndexSet {
    let leaves = vec![
        leaf("1.1", Method::YesNo, Some("Báo cáo rà soát")),
        leaf(
            "1.2",
            Method::Count {
                per: dec!(0.5),
                cap: None,
            },
            None,
        ),
    ];
    IndexSet {
        code: SetCode::parse("BCS-2025").unwrap(),
        name: "Bộ chỉ số 2025".to_owned(),
        year: 2025,
        decision: None,
        classes: ClassScheme::common_default(),
        ranking: RankingRule::default(),
        renormalise_absent_areas: false,
        nodes: vec![Node {
            code: code("1"),
            title: "Công tác chỉ đạo, điều hành".to_owned(),
            max: Points(dec!(4)),
            source: Source::Assessed,
            method: None,
            rule: None,
            evidence: None,
            not_applicable: None,
            children: leaves,
        }],
    }
}

fn plan() -> Milestones {
    let at = |d| Some(vn_day_start(d));
    Milestones {
        self_open: at(date!(2025 - 01 - 01)),
        self_close: at(date!(2025 - 03 - 01)),
        appraisal_open: at(date!(2025 - 03 - 02)),
        appraisal_close: at(date!(2025 - 03 - 20)),
        explanation_open: at(date!(2025 - 03 - 21)),
        explanation_close: at(date!(2025 - 04 - 01)),
        approval: at(date!(2025 - 04 - 10)),
        publication: at(date!(2025 - 05 - 01)),
    }
}

/// Period 2025 with units SNV and STP in one group.
async fn seeded(db: &Db) {
    let actor = Actor("quantri".into());
    let at = datetime!(2025-01-02 01:00 UTC);
    for u in ["SNV", "STP"] {
        let x = Unit {
            code: unit(u),
            name: format!("Sở {u}"),
            kind: UnitKind::Department,
            parent: None,
            valid_from: None,
            valid_to: None,
        };
        units::create(db, &x, &actor, at).await.unwrap();
    }
    index_sets::save(db, &index_set(), &actor, at)
        .await
        .unwrap();
    let p = Period {
        code: period(),
        year: 2025,
        name: "Chỉ số CCHC năm 2025".to_owned(),
        previous: None,
        status: periods::STATUS_DRAFT.to_owned(),
        decision: None,
        computed_at: None,
    };
    periods::create(db, &p, &actor, at).await.unwrap();
    let group = GroupName::parse("Sở, ban, ngành").unwrap();
    let members: Vec<Membership> = ["SNV", "STP"]
        .into_iter()
        .map(|u| Membership {
            unit: unit(u),
            group: group.clone(),
            ranked: true,
        })
        .collect();
    periods::set_groups(
        db,
        &period(),
        &[(group, index_set().code)],
        &members,
        &actor,
        at,
    )
    .await
    .unwrap();
    milestones::set_all(db, &period(), &plan(), &actor, at)
        .await
        .unwrap();
}

fn person(login: &str, role: Role) -> Principal {
    Principal::new(login, vec![Grant::in_period(role, period())])
}

fn officer() -> Principal {
    person("can-bo", Role::UnitOfficer { unit: unit("SNV") })
}

fn leader() -> Principal {
    person("lanh-dao", Role::UnitLeader { unit: unit("SNV") })
}

fn other_officer() -> Principal {
    person("can-bo-stp", Role::UnitOfficer { unit: unit("STP") })
}

async fn load(db: &Db, who: &Principal, at: OffsetDateTime) -> Dossier {
    dossier::load(db, who, &period(), &unit("SNV"), at)
        .await
        .unwrap()
}

fn entry(node: &str, input: RawValue, version: i64) -> LeafEntry {
    LeafEntry {
        node: code(node),
        entry: SelfEntry {
            input: Some(input),
            points: None,
            declared_data: None,
            note: None,
            explanation: None,
        },
        expected_version: version,
    }
}

fn save_cmd(leaves: Vec<LeafEntry>) -> SaveSelfAssessment {
    SaveSelfAssessment {
        period: period(),
        unit: unit("SNV"),
        leaves,
    }
}

fn file(n: u8) -> NewEvidence {
    NewEvidence {
        blob_id: BlobId::parse(&format!("{n:02x}").repeat(32)).unwrap(),
        file_name: format!("bao-cao-{n}.pdf"),
        kind: FileKind::Pdf,
        size: 100,
    }
}

fn problems(e: &ServiceError) -> Vec<(String, String)> {
    match e.details() {
        Some(Detail::Problems(p)) => p
            .iter()
            .map(|p| {
                let field = p
                    .args
                    .iter()
                    .find(|(k, _)| *k == "field")
                    .map_or_else(String::new, |(_, v)| v.clone());
                (p.code.as_str().to_owned(), field)
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Fills both leaves and attaches the required evidence of 1.1, as the officer.
async fn filled(db: &Db) {
    let d = load(db, &officer(), SELF_WINDOW).await;
    assessment::save(
        db,
        &officer(),
        &d,
        &save_cmd(vec![
            entry("1.1", RawValue::Yes, 0),
            entry("1.2", RawValue::Count(dec!(3)), 0),
        ]),
        SELF_WINDOW,
    )
    .await
    .unwrap();
    let d = load(db, &officer(), SELF_WINDOW).await;
    let cmd = AttachEvidence {
        period: period(),
        unit: unit("SNV"),
        node: code("1.1"),
        files: vec![file(1)],
    };
    assessment::attach(db, &officer(), &d, &cmd, SELF_WINDOW)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_dossier_carries_what_its_reader_may_do() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seeded(&t.db).await;
        let d = load(&t.db, &officer(), SELF_WINDOW).await;
        assert!(d.may_edit(), "[{}]", backend.name());
        assert!(!d.may_submit_at_all());
        assert!(d.visible(&code("1.1")));
        assert!(d.leaf(&code("1.2")).may_edit);
        assert_eq!(d.leaf(&code("1.1")).attach, Some(Attach::SelfAssessment));
        assert_eq!(d.assessment.version, 0);
        assert!(
            load(&t.db, &leader(), SELF_WINDOW)
                .await
                .may_submit_at_all()
        );
        let e = dossier::load(
            &t.db,
            &other_officer(),
            &period(),
            &unit("SNV"),
            SELF_WINDOW,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code(), codes::DENIED_OTHER_UNIT);
        let admin = Principal::new("quantri", vec![Grant::all_periods(Role::Admin)]);
        let e = dossier::load(
            &t.db,
            &admin,
            &PeriodCode::parse("2099").unwrap(),
            &unit("SNV"),
            SELF_WINDOW,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code(), codes::PERIOD_NOT_FOUND);
        t.drop_database().await;
    }
}

#[tokio::test]
async fn saving_values_scores_them_and_moves_the_assessment_to_draft() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seeded(&t.db).await;
        let d = load(&t.db, &officer(), SELF_WINDOW).await;
        let saved = assessment::save(
            &t.db,
            &officer(),
            &d,
            &save_cmd(vec![entry("1.2", RawValue::Count(dec!(3)), 0)]),
            SELF_WINDOW,
        )
        .await
        .unwrap();
        assert_eq!(saved.leaves, 1, "[{}]", backend.name());
        assert_eq!(saved.first, Some(code("1.2")));
        let d = load(&t.db, &officer(), SELF_WINDOW).await;
        assert_eq!(d.assessment.state, AssessmentState::Draft);
        let stored = &d.leaves[&code("1.2")];
        assert_eq!(stored.self_version, 1);
        // Points are the method's, not the caller's.
        assert_eq!(
            stored.self_assessment.points.map(|p| p.value()),
            Some(dec!(1.5))
        );
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_save_against_a_stale_version_is_refused_with_the_current_version() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seeded(&t.db).await;
        let first = load(&t.db, &officer(), SELF_WINDOW).await;
        assessment::save(
            &t.db,
            &officer(),
            &first,
            &save_cmd(vec![entry("1.2", RawValue::Count(dec!(3)), 0)]),
            SELF_WINDOW,
        )
        .await
        .unwrap();
        // The leader typed on the page loaded before that save.
        let e = assessment::save(
            &t.db,
            &leader(),
            &first,
            &save_cmd(vec![entry("1.2", RawValue::Count(dec!(1)), 0)]),
            SELF_WINDOW,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code(), codes::LEAVES_STALE, "[{}]", backend.name());
        assert_eq!(e.kind(), Kind::Conflict);
        let Some(Detail::Problems(p)) = e.details() else {
            panic!("no details: {e}");
        };
        assert_eq!(p[0].code, codes::LEAF_STALE);
        assert!(p[0].args.contains(&("current", "1".to_owned())), "{p:?}");
        let d = load(&t.db, &officer(), SELF_WINDOW).await;
        assert_eq!(
            d.leaves[&code("1.2")].self_assessment.input,
            Some(RawValue::Count(dec!(3)))
        );
        t.drop_database().await;
    }
}

#[tokio::test]
async fn values_the_method_refuses_are_named_by_leaf() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seeded(&t.db).await;
        let d = load(&t.db, &officer(), SELF_WINDOW).await;
        let e = assessment::save(
            &t.db,
            &officer(),
            &d,
            &save_cmd(vec![entry("1.2", RawValue::Yes, 0)]),
            SELF_WINDOW,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code(), codes::LEAVES_INVALID, "[{}]", backend.name());
        assert_eq!(
            problems(&e),
            vec![("leaf_value_refused".to_owned(), "1.2".to_owned())]
        );
        // A command for another unit is not applied to this dossier.
        let mut cmd = save_cmd(vec![entry("1.2", RawValue::Count(dec!(1)), 0)]);
        cmd.unit = unit("STP");
        let e = assessment::save(&t.db, &officer(), &d, &cmd, SELF_WINDOW)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::DOSSIER_MISMATCH);
        t.drop_database().await;
    }
}

/// An appraiser of SNV and one of STP, each with an e-mail address.
async fn appraisers_with_addresses(db: &Db) {
    let a = Actor("admin".to_owned());
    for (login, u, email) in [
        ("td.snv", "SNV", "td@snv.example.vn"),
        ("td.stp", "STP", "td@stp.example.vn"),
    ] {
        users::create(db, login, login, "x", false, &a, SELF_WINDOW)
            .await
            .unwrap();
        let role = Role::Appraiser {
            scope: AppraiserScope::units([unit(u)]),
        };
        grants::grant(
            db,
            login,
            &Grant::in_period(role, period()),
            &a,
            SELF_WINDOW,
        )
        .await
        .unwrap();
        users::set_email(db, login, Some(email), &a, SELF_WINDOW)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_leader_submits_a_complete_self_assessment_once() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seeded(&t.db).await;
        // Nothing entered yet: there is nothing to submit.
        let d = load(&t.db, &leader(), SELF_WINDOW).await;
        let e = assessment::submit(
            &t.db,
            &leader(),
            &d,
            &Submit {
                period: period(),
                unit: unit("SNV"),
                expected_version: 0,
            },
            SELF_WINDOW,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code(), codes::ASSESSMENT_WORKFLOW, "[{}]", backend.name());
        filled(&t.db).await;
        let d = load(&t.db, &leader(), SELF_WINDOW).await;
        let version = d.assessment.version;
        // The officer may not submit.
        let e = assessment::submit(
            &t.db,
            &officer(),
            &d,
            &Submit {
                period: period(),
                unit: unit("SNV"),
                expected_version: version,
            },
            SELF_WINDOW,
        )
        .await
        .unwrap_err();
        assert_eq!(e.kind(), Kind::Forbidden);
        // A page older than the assessment is refused with the current version.
        let e = assessment::submit(
            &t.db,
            &leader(),
            &d,
            &Submit {
                period: period(),
                unit: unit("SNV"),
                expected_version: version - 1,
            },
            SELF_WINDOW,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code(), codes::STALE_VERSION);
        assert_eq!(e.get("current"), Some(version.to_string().as_str()));
        // The appraisers of SNV and of another unit have addresses; refusals told nobody.
        appraisers_with_addresses(&t.db).await;
        assert_eq!(outbox::summary(&t.db).await.unwrap().pending, 0);
        assessment::submit(
            &t.db,
            &leader(),
            &d,
            &Submit {
                period: period(),
                unit: unit("SNV"),
                expected_version: version,
            },
            SELF_WINDOW,
        )
        .await
        .unwrap();
        let d = load(&t.db, &officer(), SELF_WINDOW).await;
        assert_eq!(d.assessment.state, AssessmentState::Submitted);
        assert!(!d.may_edit());
        // Recorded with the submission: one e-mail, to the appraiser of SNV.
        let told = outbox::claim(&t.db, SELF_WINDOW, Duration::from_secs(1), 10)
            .await
            .unwrap();
        let told: Vec<_> = told
            .iter()
            .map(|d| (d.event.kind(), d.address.as_str()))
            .collect();
        assert_eq!(told, [("self_assessment_submitted", "td@snv.example.vn")]);
        let e = assessment::save(
            &t.db,
            &officer(),
            &d,
            &save_cmd(vec![entry("1.2", RawValue::Count(dec!(1)), 1)]),
            SELF_WINDOW,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code(), codes::ASSESSMENT_WORKFLOW);
        assert_eq!(e.get("reason"), Some("already_submitted"));
        t.drop_database().await;
    }
}

#[tokio::test]
async fn a_submission_with_missing_evidence_names_the_leaf_to_explain() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seeded(&t.db).await;
        let d = load(&t.db, &officer(), SELF_WINDOW).await;
        assessment::save(
            &t.db,
            &officer(),
            &d,
            &save_cmd(vec![
                entry("1.1", RawValue::Yes, 0),
                entry("1.2", RawValue::Count(dec!(3)), 0),
            ]),
            SELF_WINDOW,
        )
        .await
        .unwrap();
        let d = load(&t.db, &leader(), SELF_WINDOW).await;
        let cmd = Submit {
            period: period(),
            unit: unit("SNV"),
            expected_version: d.assessment.version,
        };
        let e = assessment::submit(&t.db, &leader(), &d, &cmd, SELF_WINDOW)
            .await
            .unwrap_err();
        assert_eq!(
            e.code(),
            codes::SUBMISSION_INCOMPLETE,
            "[{}]",
            backend.name()
        );
        assert_eq!(
            problems(&e),
            vec![("missing_explanation".to_owned(), "1.1".to_owned())]
        );
        t.drop_database().await;
    }
}

#[tokio::test]
async fn another_units_officer_changes_nothing() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seeded(&t.db).await;
        filled(&t.db).await;
        // Even holding the dossier loaded by someone entitled to it.
        let d = load(&t.db, &officer(), SELF_WINDOW).await;
        let stranger = other_officer();
        let e = assessment::save(
            &t.db,
            &stranger,
            &d,
            &save_cmd(vec![entry("1.2", RawValue::Count(dec!(1)), 1)]),
            SELF_WINDOW,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code(), codes::DENIED_OTHER_UNIT, "[{}]", backend.name());
        let attach = AttachEvidence {
            period: period(),
            unit: unit("SNV"),
            node: code("1.1"),
            files: vec![file(2)],
        };
        let e = assessment::attach(&t.db, &stranger, &d, &attach, SELF_WINDOW)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::DENIED_OTHER_UNIT);
        let id = d.evidence[0].id;
        let remove = RemoveEvidence {
            period: period(),
            unit: unit("SNV"),
            id,
            reason: String::new(),
        };
        let e = assessment::remove(&t.db, &stranger, &d, &remove, SELF_WINDOW)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::DENIED_OTHER_UNIT);
        let e = assessment::document(&t.db, &stranger, &period(), &unit("SNV"), id)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::DENIED_OTHER_UNIT);
        let after = load(&t.db, &officer(), SELF_WINDOW).await;
        assert_eq!(after.leaves[&code("1.2")].self_version, 1);
        assert_eq!(after.evidence.len(), 1);
        t.drop_database().await;
    }
}

#[tokio::test]
async fn evidence_is_attached_downloaded_and_removed_once() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seeded(&t.db).await;
        let d = load(&t.db, &officer(), SELF_WINDOW).await;
        let cmd = AttachEvidence {
            period: period(),
            unit: unit("SNV"),
            node: code("1.1"),
            files: vec![file(1), file(2)],
        };
        let added = assessment::attach(&t.db, &officer(), &d, &cmd, SELF_WINDOW)
            .await
            .unwrap();
        assert_eq!(added, 2, "[{}]", backend.name());
        let empty = AttachEvidence {
            period: period(),
            unit: unit("SNV"),
            node: code("1.1"),
            files: vec![],
        };
        let e = assessment::attach(&t.db, &officer(), &d, &empty, SELF_WINDOW)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::EVIDENCE_NO_FILE);
        let d = load(&t.db, &officer(), SELF_WINDOW).await;
        assert_eq!(d.assessment.state, AssessmentState::Draft);
        assert_eq!(d.files_of(&code("1.1")).count(), 2);
        let id = d.evidence[0].id;
        let doc = assessment::document(&t.db, &officer(), &period(), &unit("SNV"), id)
            .await
            .unwrap();
        assert_eq!(doc.file_name, "bao-cao-1.pdf");
        let remove = RemoveEvidence {
            period: period(),
            unit: unit("SNV"),
            id,
            reason: "Nhầm tệp".to_owned(),
        };
        let node = assessment::remove(&t.db, &officer(), &d, &remove, SELF_WINDOW)
            .await
            .unwrap();
        assert_eq!(node, code("1.1"));
        let d = load(&t.db, &officer(), SELF_WINDOW).await;
        assert_eq!(d.evidence.len(), 1);
        let e = assessment::remove(&t.db, &officer(), &d, &remove, SELF_WINDOW)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::EVIDENCE_ALREADY_REMOVED);
        let e = assessment::document(&t.db, &officer(), &period(), &unit("SNV"), id)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::EVIDENCE_NOT_FOUND);
        assert_eq!(e.kind(), Kind::NotFound);
        t.drop_database().await;
    }
}

/// Submits the filled dossier and has the appraisal request an explanation on 1.2.
async fn explanation_requested(db: &Db) -> i64 {
    filled(db).await;
    let d = load(db, &leader(), SELF_WINDOW).await;
    let cmd = Submit {
        period: period(),
        unit: unit("SNV"),
        expected_version: d.assessment.version,
    };
    assessment::submit(db, &leader(), &d, &cmd, SELF_WINDOW)
        .await
        .unwrap();
    let actor = Actor("tham-dinh".into());
    let at = datetime!(2025-03-10 03:00 UTC);
    let mut version = assessments::get(db, &period(), &unit("SNV"))
        .await
        .unwrap()
        .unwrap()
        .version;
    for to in [
        AssessmentState::UnderAppraisal,
        AssessmentState::ExplanationRequested,
    ] {
        let change = StateChange {
            state: to,
            reopened: false,
            reason: "",
        };
        version = assessments::set_state(db, &period(), &unit("SNV"), version, &change, &actor, at)
            .await
            .unwrap()
            .version;
    }
    let key = LeafKey {
        period: period(),
        unit: unit("SNV"),
        node: code("1.2"),
    };
    explanations::request(db, &key, "Đề nghị bổ sung số liệu.", &actor, at)
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn the_unit_answers_an_explanation_request_with_documents() {
    for backend in backends() {
        let t = TestDb::new(&backend).await;
        seeded(&t.db).await;
        let id = explanation_requested(&t.db).await;
        let d = load(&t.db, &officer(), EXPLANATION_WINDOW).await;
        assert!(d.requests.iter().any(|r| r.id == id && d.may_answer(r)));
        assert_eq!(d.leaf(&code("1.2")).attach, Some(Attach::Answer));
        let version = d.requests[0].version;
        let blank = AnswerExplanation {
            period: period(),
            unit: unit("SNV"),
            id,
            text: "  \r\n ".to_owned(),
            expected_version: version,
            files: vec![],
        };
        let e = assessment::answer(&t.db, &officer(), &d, &blank, EXPLANATION_WINDOW)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::ANSWER_REQUIRED, "[{}]", backend.name());
        let e = assessment::answer(&t.db, &other_officer(), &d, &blank, EXPLANATION_WINDOW)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), Kind::Forbidden);
        let answer = AnswerExplanation {
            period: period(),
            unit: unit("SNV"),
            id,
            text: "Đã bổ sung số liệu năm 2024.".to_owned(),
            expected_version: version,
            files: vec![file(3)],
        };
        let node = assessment::answer(&t.db, &officer(), &d, &answer, EXPLANATION_WINDOW)
            .await
            .unwrap();
        assert_eq!(node, code("1.2"));
        let after = load(&t.db, &officer(), EXPLANATION_WINDOW).await;
        assert_eq!(after.assessment.state, AssessmentState::Explained);
        assert_eq!(
            after.requests[0].answer.as_deref(),
            Some("Đã bổ sung số liệu năm 2024.")
        );
        assert_eq!(after.files_of(&code("1.2")).count(), 1);
        // The same answer again, from the page loaded before: someone answered meanwhile.
        let e = assessment::answer(&t.db, &officer(), &d, &answer, EXPLANATION_WINDOW)
            .await
            .unwrap_err();
        assert_eq!(e.code(), codes::ANSWER_STALE);
        assert_eq!(e.kind(), Kind::Conflict);
        t.drop_database().await;
    }
}
