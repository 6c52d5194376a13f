//! The authorization matrix, written once and run unchanged against the services, the pages
//! and the JSON API: who may do what on one small period. Each adapter maps an [`Op`] to its
//! own call (a service function, a form post, an API request) and reports only whether the
//! request was refused for lack of permission; the table must come out the same everywhere,
//! and a refused request must leave the database as it was.
//!
//! The people are real accounts with stored grants, so every adapter signs in the same way the
//! product does (session, token, or the principal a service builds from the account).

#![allow(dead_code)]

use chiso_domain::authz::{AppraiserScope, Grant, Role};
use chiso_domain::workflow::{AssessmentState, Milestones};
use chiso_domain::{
    ClassScheme, GroupName, IndexSet, Membership, Method, Node, NodeCode, PeriodCode, Points,
    RankingRule, RawValue, SetCode, Source, Unit, UnitCode, UnitKind,
};
use chiso_store::assessments::{self, StateChange};
use chiso_store::audit::{self, AuditFilter};
use chiso_store::leaves::{self, LeafKey, SelfEntry};
use chiso_store::periods::{self, Period};
use chiso_store::{Actor, Db, explanations, grants, index_sets, milestones, scores, units, users};
use rust_decimal::Decimal;
use time::OffsetDateTime;
use time::macros::datetime;

/// Whether a request was refused for lack of permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Not refused for permission (it may still fail for another reason: a phase, a version).
    Allowed,
    /// Refused: 403 on the web and the API, `Kind::Forbidden` from a service.
    Denied,
}

/// The people of the table, in its column order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Signed in, holding no role.
    NoRole,
    /// The reform officer of SNV.
    Officer,
    /// The leader of SNV.
    Leader,
    /// The officer of another unit (STP).
    OtherOfficer,
    /// An appraiser of both units.
    Appraiser,
    /// The council chair.
    Chair,
    /// The administrator.
    Admin,
}

impl Who {
    /// Every column, in order; the chair is last since an approval locks the period.
    pub const ALL: [Who; 7] = [
        Who::NoRole,
        Who::Officer,
        Who::Leader,
        Who::OtherOfficer,
        Who::Appraiser,
        Who::Admin,
        Who::Chair,
    ];

    /// The account's login.
    pub fn login(self) -> &'static str {
        match self {
            Who::NoRole => "khong-vai-tro",
            Who::Officer => "can-bo-snv",
            Who::Leader => "lanh-dao-snv",
            Who::OtherOfficer => "can-bo-stp",
            Who::Appraiser => "tham-dinh",
            Who::Chair => "chu-tich",
            Who::Admin => "quan-tri",
        }
    }
}

/// The operations of the table. `on SNV` unless said otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Read the unit's dossier.
    ViewDossier,
    /// Save a self-assessment value of leaf 1.1.1.
    SaveSelfAssessment,
    /// Submit the self-assessment.
    Submit,
    /// Save an appraised value of leaf 1.1.1.
    Appraise,
    /// Ask the unit to explain leaf 2.1.1.
    RequestExplanation,
    /// Reopen the unit's assessment.
    Reopen,
    /// Create a new period.
    CreatePeriod,
    /// Clone the index set into a new draft.
    CloneIndexSet,
    /// Enter SNV's survey value of leaf 2.2.1.
    EnterMeasured,
    /// Approve the period's appraisal.
    Approve,
}

impl Op {
    /// Whether the operation runs while the appraisal window is open (else during the
    /// self-assessment window).
    pub fn in_appraisal(self) -> bool {
        matches!(
            self,
            Op::Appraise | Op::RequestExplanation | Op::Reopen | Op::Approve
        )
    }
}

use Outcome::{Allowed as A, Denied as D};

/// Rows: operations; columns: [`Who::ALL`] (no role, officer, leader, other unit's officer,
/// appraiser, administrator, chair).
#[rustfmt::skip]
pub const TABLE: [(Op, [Outcome; 7]); 10] = [
    (Op::ViewDossier,        [D, A, A, D, A, A, A]),
    (Op::SaveSelfAssessment, [D, A, A, D, D, D, D]),
    (Op::Submit,             [D, D, A, D, D, D, D]),
    (Op::Appraise,           [D, D, D, D, A, D, D]),
    (Op::RequestExplanation, [D, D, D, D, A, D, D]),
    (Op::Reopen,             [D, D, D, D, D, A, D]),
    (Op::CreatePeriod,       [D, D, D, D, D, A, D]),
    (Op::CloneIndexSet,      [D, D, D, D, D, A, D]),
    (Op::EnterMeasured,      [D, D, D, D, A, A, D]),
    (Op::Approve,            [D, D, D, D, D, D, A]),
];

/// The period of the table.
pub const PERIOD: &str = "2025";
/// The unit acted on, and the other one.
pub const UNIT: &str = "SNV";
pub const OTHER_UNIT: &str = "STP";
/// The index set.
pub const SET: &str = "BCS-MATRAN";
/// Every account's password.
pub const PASSWORD: &str = "mat-khau-ma-tran-123";

/// A moment inside the self-assessment window (20/11/2025, 9:00 in Vietnam).
pub const SELF_NOW: OffsetDateTime = datetime!(2025-11-20 02:00 UTC);
/// A moment inside the appraisal window (20/12/2025).
pub const APPRAISAL_NOW: OffsetDateTime = datetime!(2025-12-20 02:00 UTC);

/// When `op` runs.
pub fn now_for(op: Op) -> OffsetDateTime {
    if op.in_appraisal() {
        APPRAISAL_NOW
    } else {
        SELF_NOW
    }
}

fn leaf(code: &str, max: i64) -> Node {
    Node {
        code: NodeCode::parse(code).unwrap(),
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

/// A leaf whose points come from a survey, entered by the administrator or an appraiser.
fn survey(code: &str, max: i64) -> Node {
    Node {
        source: Source::Survey,
        method: Some(Method::Survey),
        ..leaf(code, max)
    }
}

fn branch(code: &str, max: i64, children: Vec<Node>) -> Node {
    Node {
        method: None,
        children,
        ..leaf(code, max)
    }
}

fn index_set() -> IndexSet {
    IndexSet {
        code: SetCode::parse(SET).unwrap(),
        name: "Bộ chỉ số ma trận".to_owned(),
        year: 2025,
        decision: None,
        classes: ClassScheme::common_default(),
        ranking: RankingRule::default(),
        renormalise_absent_areas: false,
        nodes: vec![
            branch("1", 40, vec![branch("1.1", 40, vec![leaf("1.1.1", 40)])]),
            branch(
                "2",
                60,
                vec![
                    branch("2.1", 40, vec![leaf("2.1.1", 40)]),
                    branch("2.2", 20, vec![survey("2.2.1", 20)]),
                ],
            ),
        ],
    }
}

fn unit(code: &str) -> UnitCode {
    UnitCode::parse(code).unwrap()
}

/// Stores the set, units SNV and STP, period 2025 with its milestones, STP's self-assessment
/// submitted (so that there is something to appraise) and SNV's complete but in draft, and
/// the accounts of [`Who`] with their grants. `password_hash` is the hash of [`PASSWORD`].
pub async fn seed(db: &Db, password_hash: &str) {
    let a = Actor("admin".to_owned());
    let at = datetime!(2025-10-01 01:00 UTC);
    let set = index_set();
    index_sets::save(db, &set, &a, at).await.expect("set");
    let list: Vec<Unit> = [UNIT, OTHER_UNIT]
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
    let period = PeriodCode::parse(PERIOD).unwrap();
    let p = Period {
        code: period.clone(),
        year: 2025,
        name: "Chỉ số CCHC năm 2025".to_owned(),
        previous: None,
        status: periods::STATUS_DRAFT.to_owned(),
        decision: None,
        computed_at: None,
    };
    periods::create(db, &p, &a, at).await.expect("period");
    let group = GroupName::parse("Sở, ban, ngành").unwrap();
    let members: Vec<Membership> = [UNIT, OTHER_UNIT]
        .iter()
        .map(|u| Membership {
            unit: unit(u),
            group: group.clone(),
            ranked: true,
        })
        .collect();
    periods::set_groups(db, &period, &[(group, set.code.clone())], &members, &a, at)
        .await
        .expect("groups");
    let day = |s: OffsetDateTime| Some(s);
    let plan = Milestones {
        self_open: day(datetime!(2025-11-01 00:00 UTC)),
        self_close: day(datetime!(2025-11-30 16:59 UTC)),
        appraisal_open: day(datetime!(2025-12-01 00:00 UTC)),
        appraisal_close: day(datetime!(2025-12-31 16:59 UTC)),
        explanation_open: day(datetime!(2026-01-05 00:00 UTC)),
        explanation_close: day(datetime!(2026-01-15 16:59 UTC)),
        approval: day(datetime!(2026-01-20 00:00 UTC)),
        publication: day(datetime!(2026-02-01 00:00 UTC)),
    };
    milestones::set_all(db, &period, &plan, &a, at)
        .await
        .expect("milestones");

    for u in [UNIT, OTHER_UNIT] {
        let officer = Actor(format!("cb.{}", u.to_lowercase()));
        for n in ["1.1.1", "2.1.1"] {
            let entry = SelfEntry {
                input: Some(RawValue::Points(Decimal::from(30))),
                points: Some(Points(Decimal::from(30))),
                declared_data: None,
                note: None,
                explanation: None,
            };
            let key = LeafKey {
                period: period.clone(),
                unit: unit(u),
                node: NodeCode::parse(n).unwrap(),
            };
            leaves::save_self(db, &key, &entry, 0, &officer, SELF_NOW)
                .await
                .expect("self");
        }
    }
    // SNV stays in draft (its leader submits in the table); STP is submitted.
    for (version, state) in [(0, AssessmentState::Draft), (1, AssessmentState::Submitted)] {
        let change = StateChange {
            state,
            reopened: false,
            reason: "",
        };
        let officer = Actor("cb.stp".to_owned());
        assessments::set_state(
            db,
            &period,
            &unit(OTHER_UNIT),
            version,
            &change,
            &officer,
            SELF_NOW,
        )
        .await
        .expect("state");
    }

    let in_period = |role: Role| Grant::in_period(role, period.clone());
    let roles: [(Who, Option<Grant>); 7] = [
        (Who::NoRole, None),
        (
            Who::Officer,
            Some(in_period(Role::UnitOfficer { unit: unit(UNIT) })),
        ),
        (
            Who::Leader,
            Some(in_period(Role::UnitLeader { unit: unit(UNIT) })),
        ),
        (
            Who::OtherOfficer,
            Some(in_period(Role::UnitOfficer {
                unit: unit(OTHER_UNIT),
            })),
        ),
        (
            Who::Appraiser,
            Some(in_period(Role::Appraiser {
                scope: AppraiserScope::units([unit(UNIT), unit(OTHER_UNIT)]),
            })),
        ),
        (Who::Chair, Some(in_period(Role::CouncilChair))),
        (Who::Admin, None),
    ];
    for (who, grant) in roles {
        users::create(
            db,
            who.login(),
            who.login(),
            password_hash,
            who == Who::Admin,
            &a,
            at,
        )
        .await
        .expect("user");
        if let Some(g) = grant {
            grants::grant(db, who.login(), &g, &a, at)
                .await
                .expect("grant");
        }
    }
}

/// What a refused request must not change: the assessments, their leaves, the survey and
/// data scores, explanation requests, periods, index sets and the audit log — except the
/// record of an API token's use, which is written for every attempted change, refused or not.
pub async fn snapshot(db: &Db) -> String {
    let period = PeriodCode::parse(PERIOD).unwrap();
    let mut out = String::new();
    for u in [UNIT, OTHER_UNIT] {
        out.push_str(&format!(
            "{:?}\n{:?}\n",
            assessments::get(db, &period, &unit(u)).await.unwrap(),
            leaves::list(db, &period, &unit(u)).await.unwrap(),
        ));
    }
    out.push_str(&format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n",
        scores::list(db, &period).await.unwrap(),
        explanations::list(db, &period, None).await.unwrap(),
        periods::list(db).await.unwrap(),
        index_sets::list(db).await.unwrap(),
        audit::list(db, &AuditFilter::default())
            .await
            .unwrap()
            .iter()
            .filter(|e| !(e.entity == "api_token" && e.action == "use"))
            .map(|e| format!("{} {} {}", e.action, e.entity, e.entity_key))
            .collect::<Vec<_>>(),
    ));
    out
}
