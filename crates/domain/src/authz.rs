//! Authorization: **who** may do what, on which unit, leaf and period (domain.md §1).
//!
//! One pure function, [`can`] (with [`check`] giving the reason for a refusal), decides for the
//! whole product. The service layer calls it before every read and write, for the HTML pages and
//! the API alike, so the two cannot diverge and the rules can be tested as a table.
//!
//! It answers only *who*: whether a person's roles let them take an action on a resource at all.
//! *When* an action is possible (the assessment's state, the period's milestones, a reopened
//! unit) is decided by [`crate::workflow::apply`]; the service asks both. Keeping them apart
//! keeps each table small: roles × actions × resources here, states × steps × phases there.
//!
//! Roles are granted per period or for all periods, and one person may hold several; an action
//! is allowed when any one grant allows it. Viewing published results is public.

use serde::{Deserialize, Serialize};

use crate::ids::{NodeCode, PeriodCode, UnitCode};

/// What an appraiser is assigned to: units and/or areas (appraisers are often assigned per area,
/// e.g. Sở Tư pháp for "cải cách thể chế", or per unit). Both lists restrict: with both set, only
/// those areas of those units.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct AppraiserScope {
    /// `None`: every unit of the period; `Some`: only these units.
    #[serde(default)]
    pub units: Option<Vec<UnitCode>>,
    /// `None`: every area; `Some`: only leaves under these nodes — usually areas (`2`), but a
    /// criterion (`2.3`) narrows further.
    #[serde(default)]
    pub areas: Option<Vec<NodeCode>>,
}

impl AppraiserScope {
    /// Every unit and every area of the period.
    pub fn everything() -> Self {
        AppraiserScope::default()
    }

    /// Every area of these units.
    pub fn units(units: impl IntoIterator<Item = UnitCode>) -> Self {
        AppraiserScope {
            units: Some(units.into_iter().collect()),
            areas: None,
        }
    }

    /// These areas of every unit.
    pub fn areas(areas: impl IntoIterator<Item = NodeCode>) -> Self {
        AppraiserScope {
            units: None,
            areas: Some(areas.into_iter().collect()),
        }
    }

    /// True when the unit is assigned (or units are not restricted).
    pub fn covers_unit(&self, unit: &UnitCode) -> bool {
        self.units.as_ref().is_none_or(|us| us.contains(unit))
    }

    /// True when the node lies under an assigned area (or areas are not restricted).
    pub fn covers_node(&self, node: &NodeCode) -> bool {
        self.areas
            .as_ref()
            .is_none_or(|areas| areas.iter().any(|a| is_within(node, a)))
    }
}

/// `node` is `ancestor` or one of its descendants (`1.2.3` is within `1` and `1.2`, not `10`).
fn is_within(node: &NodeCode, ancestor: &NodeCode) -> bool {
    let (n, a) = (node.as_str(), ancestor.as_str());
    n.strip_prefix(a)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// A role a person holds (domain.md §1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Role {
    /// System and index administrator (Sở Nội vụ; Phòng Nội vụ for communes).
    Admin,
    /// The unit's reform officer (cán bộ đầu mối CCHC): enters the self-assessment.
    UnitOfficer { unit: UnitCode },
    /// The unit's leader (lãnh đạo đơn vị): what the officer does, and submits.
    UnitLeader { unit: UnitCode },
    /// A member of the appraisal team or council (Tổ/Hội đồng thẩm định).
    Appraiser { scope: AppraiserScope },
    /// The council chair (Chủ tịch Hội đồng): approves the appraisal.
    CouncilChair,
    /// Read-only access to every assessment (e.g. inspectors, leaders of the province).
    Observer,
}

impl Role {
    /// Stable machine name of the kind of role.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::UnitOfficer { .. } => "unit_officer",
            Self::UnitLeader { .. } => "unit_leader",
            Self::Appraiser { .. } => "appraiser",
            Self::CouncilChair => "council_chair",
            Self::Observer => "observer",
        }
    }

    /// Vietnamese label.
    pub fn label_vi(&self) -> &'static str {
        match self {
            Self::Admin => "Quản trị (Sở Nội vụ)",
            Self::UnitOfficer { .. } => "Cán bộ đầu mối CCHC",
            Self::UnitLeader { .. } => "Lãnh đạo đơn vị",
            Self::Appraiser { .. } => "Thành viên thẩm định",
            Self::CouncilChair => "Chủ tịch Hội đồng thẩm định",
            Self::Observer => "Theo dõi (chỉ xem)",
        }
    }

    /// English label.
    pub fn label_en(&self) -> &'static str {
        match self {
            Self::Admin => "Administrator",
            Self::UnitOfficer { .. } => "Unit officer",
            Self::UnitLeader { .. } => "Unit leader",
            Self::Appraiser { .. } => "Appraiser",
            Self::CouncilChair => "Council chair",
            Self::Observer => "Observer (read-only)",
        }
    }
}

/// A role held in one period, or in every period.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    /// `None`: every period, and the system itself; `Some`: only that period's resources.
    #[serde(default)]
    pub period: Option<PeriodCode>,
}

impl Grant {
    /// A role held in every period.
    pub fn all_periods(role: Role) -> Self {
        Grant { role, period: None }
    }

    /// A role held in one period.
    pub fn in_period(role: Role, period: PeriodCode) -> Self {
        Grant {
            role,
            period: Some(period),
        }
    }

    /// True when the grant reaches a resource of `period` (`None`: a resource of no period,
    /// such as the list of units, which only an all-periods grant reaches).
    pub fn applies_to(&self, period: Option<&PeriodCode>) -> bool {
        match &self.period {
            None => true,
            Some(p) => period == Some(p),
        }
    }
}

/// A person acting, with every role they hold.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Principal {
    /// The login (written to the audit log as the actor); empty for an anonymous visitor.
    pub login: String,
    pub grants: Vec<Grant>,
}

impl Principal {
    /// A person with these grants.
    pub fn new(login: impl Into<String>, grants: Vec<Grant>) -> Self {
        Principal {
            login: login.into(),
            grants,
        }
    }

    /// A visitor who has not signed in: may only read published results.
    pub fn anonymous() -> Self {
        Principal::default()
    }
}

/// Something a person may want to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Read published results (public).
    ViewResults,
    /// Read a unit's self-assessment and appraisal.
    ViewAssessment,
    /// Enter or change self-assessment values and explanations of missing evidence.
    EditSelfAssessment,
    /// Submit the self-assessment (the leader's approval).
    SubmitSelfAssessment,
    /// Attach evidence documents.
    UploadEvidence,
    /// Download evidence documents: whoever may see the assessment.
    DownloadEvidence,
    /// Enter appraised scores and comments.
    Appraise,
    /// Ask the unit to explain a leaf.
    RequestExplanation,
    /// Answer an explanation request (text and new evidence).
    AnswerExplanation,
    /// Approve the period's appraisal (locks the scores).
    ApproveAppraisal,
    /// Reopen one unit's assessment.
    Reopen,
    ManageUnits,
    ManageIndexSets,
    ManagePeriods,
    ManageUsers,
    /// Read the audit log.
    ViewAudit,
    /// Enter or import the values of survey and monitoring-data leaves, which no unit enters
    /// (the administrator, and appraisers within their scope).
    EnterMeasured,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 17] = [
        Self::ViewResults,
        Self::ViewAssessment,
        Self::EditSelfAssessment,
        Self::SubmitSelfAssessment,
        Self::UploadEvidence,
        Self::DownloadEvidence,
        Self::Appraise,
        Self::RequestExplanation,
        Self::AnswerExplanation,
        Self::ApproveAppraisal,
        Self::Reopen,
        Self::ManageUnits,
        Self::ManageIndexSets,
        Self::ManagePeriods,
        Self::ManageUsers,
        Self::ViewAudit,
        Self::EnterMeasured,
    ];

    /// Stable machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ViewResults => "view_results",
            Self::ViewAssessment => "view_assessment",
            Self::EditSelfAssessment => "edit_self_assessment",
            Self::SubmitSelfAssessment => "submit_self_assessment",
            Self::UploadEvidence => "upload_evidence",
            Self::DownloadEvidence => "download_evidence",
            Self::Appraise => "appraise",
            Self::RequestExplanation => "request_explanation",
            Self::AnswerExplanation => "answer_explanation",
            Self::ApproveAppraisal => "approve_appraisal",
            Self::Reopen => "reopen",
            Self::ManageUnits => "manage_units",
            Self::ManageIndexSets => "manage_index_sets",
            Self::ManagePeriods => "manage_periods",
            Self::ManageUsers => "manage_users",
            Self::ViewAudit => "view_audit",
            Self::EnterMeasured => "enter_measured",
        }
    }

    /// Parses a name written by [`Action::as_str`].
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }

    /// Vietnamese label, as it reads after "được phép".
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::ViewResults => "xem kết quả công bố",
            Self::ViewAssessment => "xem hồ sơ đánh giá",
            Self::EditSelfAssessment => "nhập tự đánh giá",
            Self::SubmitSelfAssessment => "nộp tự đánh giá",
            Self::UploadEvidence => "tải lên tài liệu kiểm chứng",
            Self::DownloadEvidence => "tải xuống tài liệu kiểm chứng",
            Self::Appraise => "thẩm định",
            Self::RequestExplanation => "yêu cầu giải trình",
            Self::AnswerExplanation => "giải trình",
            Self::ApproveAppraisal => "phê duyệt kết quả thẩm định",
            Self::Reopen => "mở lại hồ sơ của đơn vị",
            Self::ManageUnits => "quản lý đơn vị",
            Self::ManageIndexSets => "quản lý bộ chỉ số",
            Self::ManagePeriods => "quản lý kỳ đánh giá",
            Self::ManageUsers => "quản lý người dùng",
            Self::ViewAudit => "xem nhật ký thay đổi",
            Self::EnterMeasured => "nhập điểm điều tra và số liệu",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::ViewResults => "view published results",
            Self::ViewAssessment => "view assessments",
            Self::EditSelfAssessment => "edit the self-assessment",
            Self::SubmitSelfAssessment => "submit the self-assessment",
            Self::UploadEvidence => "upload evidence",
            Self::DownloadEvidence => "download evidence",
            Self::Appraise => "appraise",
            Self::RequestExplanation => "request explanations",
            Self::AnswerExplanation => "answer explanation requests",
            Self::ApproveAppraisal => "approve the appraisal",
            Self::Reopen => "reopen a unit",
            Self::ManageUnits => "manage units",
            Self::ManageIndexSets => "manage index sets",
            Self::ManagePeriods => "manage periods",
            Self::ManageUsers => "manage users",
            Self::ViewAudit => "view the audit log",
            Self::EnterMeasured => "enter survey and monitoring-data values",
        }
    }
}

/// What an action is taken on. Check leaf-level actions (appraising a leaf, downloading its
/// evidence) on the [`Resource::Leaf`]: an appraiser assigned by area reaches the unit but only
/// the leaves of their areas.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Resource {
    /// The system itself: units, index sets, users, the audit log.
    System,
    /// One period as a whole (its plan, its approval).
    Period(PeriodCode),
    /// One unit's assessment in one period.
    UnitAssessment { period: PeriodCode, unit: UnitCode },
    /// One leaf of one unit's assessment; the area is the node's first segment.
    Leaf {
        period: PeriodCode,
        unit: UnitCode,
        node: NodeCode,
    },
}

impl Resource {
    /// The period the resource belongs to; `None` for the system.
    pub fn period(&self) -> Option<&PeriodCode> {
        match self {
            Self::System => None,
            Self::Period(p)
            | Self::UnitAssessment { period: p, .. }
            | Self::Leaf { period: p, .. } => Some(p),
        }
    }

    /// The unit whose assessment it is, if any.
    pub fn unit(&self) -> Option<&UnitCode> {
        match self {
            Self::System | Self::Period(_) => None,
            Self::UnitAssessment { unit, .. } | Self::Leaf { unit, .. } => Some(unit),
        }
    }

    /// The leaf, if the resource is one.
    pub fn node(&self) -> Option<&NodeCode> {
        match self {
            Self::Leaf { node, .. } => Some(node),
            _ => None,
        }
    }
}

/// Why an action is refused. When several roles refuse for different reasons, the reason of the
/// role that came closest is reported (a different period before a different unit before a
/// role that lacks the action entirely).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("tài khoản chưa được phân vai trò nào; hãy đăng nhập hoặc liên hệ quản trị")]
    NoRole,
    #[error("vai trò của bạn không được phép {}", .0.label_vi())]
    NotPermitted(Action),
    #[error("thao tác này phải gắn với hồ sơ của một đơn vị")]
    NoUnit,
    #[error("chỉ được thao tác trên hồ sơ của đơn vị mình")]
    OtherUnit,
    #[error("đơn vị hoặc lĩnh vực này không thuộc phạm vi được phân công thẩm định")]
    OutOfScope,
    #[error("vai trò của bạn không áp dụng cho kỳ đánh giá này")]
    OtherPeriod,
}

impl Denied {
    /// How close the refused grant came to allowing the action; the closest is reported.
    fn closeness(self) -> u8 {
        match self {
            Self::NoRole => 0,
            Self::NotPermitted(_) => 1,
            Self::NoUnit => 2,
            Self::OtherUnit | Self::OutOfScope => 3,
            Self::OtherPeriod => 4,
        }
    }
}

/// Whether `principal` may take `action` on `resource`, whatever the time. See [`check`].
/// Whether `principal` may read every computed result of `period` before it is published
/// (domain.md §2, step 8: results stay confidential until the decision): the administrator,
/// the council chair, appraisers and observers holding a role in that period. A unit reads
/// only its own result, as it reads its own assessment (see [`Action::ViewAssessment`]).
pub fn may_read_unpublished(principal: &Principal, period: &PeriodCode) -> bool {
    principal.grants.iter().any(|g| {
        g.applies_to(Some(period))
            && matches!(
                g.role,
                Role::Admin | Role::CouncilChair | Role::Appraiser { .. } | Role::Observer
            )
    })
}

pub fn can(principal: &Principal, action: Action, resource: &Resource) -> bool {
    check(principal, action, resource).is_ok()
}

/// Whether `principal` may take `action` on `resource`, or why not.
///
/// - Anyone, signed in or not, may view published results.
/// - The administrator manages units, index sets, periods and users, reads the audit log, views
///   every assessment and its evidence, may reopen a unit and enters survey and
///   monitoring-data values; entering self-assessed or appraised scores needs a unit or
///   appraiser role as well.
/// - A unit officer views, edits, uploads evidence for and answers explanation requests of
///   their own unit only; the unit leader does the same and also submits.
/// - An appraiser views, downloads evidence of, appraises and requests explanations on the
///   units and areas of their scope, and enters survey and monitoring-data values there.
/// - The council chair views every assessment and approves the appraisal.
/// - An observer views every assessment and its evidence, read-only.
///
/// A grant for one period reaches only that period's resources.
pub fn check(principal: &Principal, action: Action, resource: &Resource) -> Result<(), Denied> {
    if action == Action::ViewResults {
        return Ok(());
    }
    let mut closest = Denied::NoRole;
    for grant in &principal.grants {
        match grant_allows(grant, action, resource) {
            Ok(()) => return Ok(()),
            Err(d) if d.closeness() > closest.closeness() => closest = d,
            Err(_) => {}
        }
    }
    Err(closest)
}

/// One grant's decision: the role must allow the action, reach the resource's unit and leaf,
/// and be held in the resource's period.
fn grant_allows(grant: &Grant, action: Action, resource: &Resource) -> Result<(), Denied> {
    use Action as A;
    let permitted = match &grant.role {
        Role::Admin => matches!(
            action,
            A::ViewAssessment
                | A::DownloadEvidence
                | A::Reopen
                | A::ManageUnits
                | A::ManageIndexSets
                | A::ManagePeriods
                | A::ManageUsers
                | A::ViewAudit
                | A::EnterMeasured
        ),
        Role::UnitOfficer { .. } => matches!(
            action,
            A::ViewAssessment
                | A::EditSelfAssessment
                | A::UploadEvidence
                | A::DownloadEvidence
                | A::AnswerExplanation
        ),
        Role::UnitLeader { .. } => matches!(
            action,
            A::ViewAssessment
                | A::EditSelfAssessment
                | A::SubmitSelfAssessment
                | A::UploadEvidence
                | A::DownloadEvidence
                | A::AnswerExplanation
        ),
        Role::Appraiser { .. } => matches!(
            action,
            A::ViewAssessment
                | A::DownloadEvidence
                | A::Appraise
                | A::RequestExplanation
                | A::EnterMeasured
        ),
        Role::CouncilChair => matches!(
            action,
            A::ViewAssessment | A::DownloadEvidence | A::ApproveAppraisal
        ),
        Role::Observer => matches!(action, A::ViewAssessment | A::DownloadEvidence),
    };
    if !permitted {
        return Err(Denied::NotPermitted(action));
    }
    match &grant.role {
        Role::UnitOfficer { unit } | Role::UnitLeader { unit } => match resource.unit() {
            None => return Err(Denied::NoUnit),
            Some(u) if u != unit => return Err(Denied::OtherUnit),
            Some(_) => {}
        },
        Role::Appraiser { scope } => {
            let Some(unit) = resource.unit() else {
                return Err(Denied::NoUnit);
            };
            let node_covered = resource.node().is_none_or(|n| scope.covers_node(n));
            if !scope.covers_unit(unit) || !node_covered {
                return Err(Denied::OutOfScope);
            }
        }
        Role::Admin | Role::CouncilChair | Role::Observer => {}
    }
    if !grant.applies_to(resource.period()) {
        return Err(Denied::OtherPeriod);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(s: &str) -> PeriodCode {
        PeriodCode::parse(s).unwrap()
    }
    fn unit(s: &str) -> UnitCode {
        UnitCode::parse(s).unwrap()
    }
    fn node(s: &str) -> NodeCode {
        NodeCode::parse(s).unwrap()
    }
    fn leaf(p: &str, u: &str, n: &str) -> Resource {
        Resource::Leaf {
            period: period(p),
            unit: unit(u),
            node: node(n),
        }
    }
    fn assessment(p: &str, u: &str) -> Resource {
        Resource::UnitAssessment {
            period: period(p),
            unit: unit(u),
        }
    }

    /// The columns of the matrix: the unit of the roles below is `U1`, their period `2024`,
    /// the appraisers' area `1`.
    fn resources() -> [(&'static str, Resource); 10] {
        [
            ("system", Resource::System),
            ("this period", Resource::Period(period("2024"))),
            ("own unit", assessment("2024", "U1")),
            ("other unit", assessment("2024", "U2")),
            ("own unit, in-scope area", leaf("2024", "U1", "1.2.3")),
            ("own unit, out-of-scope area", leaf("2024", "U1", "2.1")),
            ("other unit, in-scope area", leaf("2024", "U2", "1.2.3")),
            ("other period", Resource::Period(period("2023"))),
            ("own unit, other period", assessment("2023", "U1")),
            ("own leaf, other period", leaf("2023", "U1", "1.2.3")),
        ]
    }

    /// The rows: one person per role, each granted for 2024 only except the first
    /// administrator, who holds the role for every period.
    fn people() -> Vec<(&'static str, Principal)> {
        let in_2024 = |role| Principal::new("x", vec![Grant::in_period(role, period("2024"))]);
        vec![
            (
                "admin",
                Principal::new("x", vec![Grant::all_periods(Role::Admin)]),
            ),
            ("admin of 2024", in_2024(Role::Admin)),
            ("officer", in_2024(Role::UnitOfficer { unit: unit("U1") })),
            ("leader", in_2024(Role::UnitLeader { unit: unit("U1") })),
            (
                "appraiser by unit",
                in_2024(Role::Appraiser {
                    scope: AppraiserScope::units([unit("U1")]),
                }),
            ),
            (
                "appraiser by area",
                in_2024(Role::Appraiser {
                    scope: AppraiserScope::areas([node("1")]),
                }),
            ),
            (
                "appraiser by unit and area",
                in_2024(Role::Appraiser {
                    scope: AppraiserScope {
                        units: Some(vec![unit("U1")]),
                        areas: Some(vec![node("1")]),
                    },
                }),
            ),
            ("chair", in_2024(Role::CouncilChair)),
            ("observer", in_2024(Role::Observer)),
        ]
    }

    /// Expected outcomes, one mask per action (row) and person (column, in the order of
    /// [`people`]); one character per column of [`resources`]: `Y` allowed, `.` refused.
    #[rustfmt::skip]
    const MATRIX: [(Action, [&str; 9]); 17] = {
        const ALL: &str = "YYYYYYYYYY";
        const NO: &str = "..........";
        const P24: &str = ".YYYYYY..."; // anything of 2024
        const U1: &str = "..Y.YY...."; // unit U1 in 2024
        const A1: &str = "..YYY.Y..."; // area 1 (and whole units) in 2024
        const U1A1: &str = "..Y.Y....."; // area 1 of U1 in 2024
        use Action as A;
        [
            // admin, admin of 2024, officer, leader, appraiser by unit/area/both, chair, observer
            (A::ViewResults,          [ALL, ALL,    ALL,    ALL,   ALL,    ALL,    ALL,  ALL, ALL]),
            (A::ViewAssessment,       [ALL, P24,    U1,     U1,    U1,     A1,     U1A1, P24, P24]),
            (A::EditSelfAssessment,   [NO,  NO,     U1,     U1,    NO,     NO,     NO,   NO,  NO ]),
            (A::SubmitSelfAssessment, [NO,  NO,     NO,     U1,    NO,     NO,     NO,   NO,  NO ]),
            (A::UploadEvidence,       [NO,  NO,     U1,     U1,    NO,     NO,     NO,   NO,  NO ]),
            (A::DownloadEvidence,     [ALL, P24,    U1,     U1,    U1,     A1,     U1A1, P24, P24]),
            (A::Appraise,             [NO,  NO,     NO,     NO,    U1,     A1,     U1A1, NO,  NO ]),
            (A::RequestExplanation,   [NO,  NO,     NO,     NO,    U1,     A1,     U1A1, NO,  NO ]),
            (A::AnswerExplanation,    [NO,  NO,     U1,     U1,    NO,     NO,     NO,   NO,  NO ]),
            (A::ApproveAppraisal,     [NO,  NO,     NO,     NO,    NO,     NO,     NO,   P24, NO ]),
            (A::Reopen,               [ALL, P24,    NO,     NO,    NO,     NO,     NO,   NO,  NO ]),
            (A::ManageUnits,          [ALL, P24,    NO,     NO,    NO,     NO,     NO,   NO,  NO ]),
            (A::ManageIndexSets,      [ALL, P24,    NO,     NO,    NO,     NO,     NO,   NO,  NO ]),
            (A::ManagePeriods,        [ALL, P24,    NO,     NO,    NO,     NO,     NO,   NO,  NO ]),
            (A::ManageUsers,          [ALL, P24,    NO,     NO,    NO,     NO,     NO,   NO,  NO ]),
            (A::ViewAudit,            [ALL, P24,    NO,     NO,    NO,     NO,     NO,   NO,  NO ]),
            (A::EnterMeasured,        [ALL, P24,    NO,     NO,    U1,     A1,     U1A1, NO,  NO ]),
        ]
    };

    #[test]
    fn unpublished_results_are_read_by_the_staff_of_the_period_only() {
        let p2025 = PeriodCode::parse("2025").unwrap();
        let p2024 = PeriodCode::parse("2024").unwrap();
        let who = |role: Role, period: Option<&PeriodCode>| {
            Principal::new(
                "x",
                vec![Grant {
                    role,
                    period: period.cloned(),
                }],
            )
        };
        let appraiser = Role::Appraiser {
            scope: AppraiserScope::everything(),
        };
        for role in [
            Role::Admin,
            Role::CouncilChair,
            appraiser.clone(),
            Role::Observer,
        ] {
            assert!(
                may_read_unpublished(&who(role.clone(), None), &p2025),
                "{role:?}"
            );
            assert!(may_read_unpublished(
                &who(role.clone(), Some(&p2025)),
                &p2025
            ));
            assert!(!may_read_unpublished(&who(role, Some(&p2024)), &p2025));
        }
        let unit = UnitCode::parse("SNV").unwrap();
        for role in [
            Role::UnitOfficer { unit: unit.clone() },
            Role::UnitLeader { unit },
        ] {
            assert!(!may_read_unpublished(&who(role, None), &p2025));
        }
        assert!(!may_read_unpublished(&Principal::anonymous(), &p2025));
    }

    #[test]
    fn every_role_may_take_exactly_the_actions_of_the_matrix_on_every_kind_of_resource() {
        let resources = resources();
        let people = people();
        assert!(MATRIX.iter().map(|(a, _)| *a).eq(Action::ALL));
        let mut cells = 0;
        for (action, masks) in MATRIX {
            for ((who, principal), mask) in people.iter().zip(masks) {
                assert_eq!(mask.len(), resources.len());
                for ((what, resource), want) in resources.iter().zip(mask.chars()) {
                    assert_eq!(
                        can(principal, action, resource),
                        want == 'Y',
                        "{who} × {action:?} on {what}"
                    );
                    cells += 1;
                }
            }
        }
        assert_eq!(cells, 17 * 9 * 10);
    }

    #[test]
    fn evidence_may_be_downloaded_by_exactly_those_who_may_see_the_assessment() {
        for (who, principal) in people() {
            for (what, resource) in resources() {
                assert_eq!(
                    can(&principal, Action::DownloadEvidence, &resource),
                    can(&principal, Action::ViewAssessment, &resource),
                    "{who} on {what}"
                );
            }
        }
    }

    #[test]
    fn an_anonymous_visitor_may_only_read_published_results() {
        let nobody = Principal::anonymous();
        for action in Action::ALL {
            for (_, resource) in resources() {
                assert_eq!(
                    can(&nobody, action, &resource),
                    action == Action::ViewResults
                );
            }
        }
        assert_eq!(
            check(&nobody, Action::ViewAssessment, &assessment("2024", "U1")),
            Err(Denied::NoRole)
        );
    }

    #[test]
    fn a_person_holding_several_roles_may_do_what_any_of_them_allows() {
        let p = period("2024");
        let both = Principal::new(
            "can.bo.stp",
            vec![
                Grant::in_period(Role::UnitOfficer { unit: unit("STP") }, p.clone()),
                Grant::in_period(
                    Role::Appraiser {
                        scope: AppraiserScope::areas([node("2")]),
                    },
                    p,
                ),
            ],
        );
        assert!(can(
            &both,
            Action::EditSelfAssessment,
            &leaf("2024", "STP", "1.1")
        ));
        assert!(can(&both, Action::Appraise, &leaf("2024", "SYT", "2.3.1")));
        assert!(!can(&both, Action::Appraise, &leaf("2024", "SYT", "1.1")));
        assert!(!can(
            &both,
            Action::EditSelfAssessment,
            &leaf("2024", "SYT", "2.3.1")
        ));
        assert!(!can(
            &both,
            Action::SubmitSelfAssessment,
            &assessment("2024", "STP")
        ));
    }

    #[test]
    fn an_area_covers_its_own_subtree_only_and_a_criterion_narrows_it_further() {
        let scope = AppraiserScope::areas([node("1"), node("3.2")]);
        assert!(scope.covers_node(&node("1")));
        assert!(scope.covers_node(&node("1.10.2")));
        assert!(
            !scope.covers_node(&node("10.1")),
            "area 10 is not under area 1"
        );
        assert!(!scope.covers_node(&node("1a")));
        assert!(scope.covers_node(&node("3.2.1")));
        assert!(!scope.covers_node(&node("3.20")));
        assert!(!scope.covers_node(&node("3")));
        assert!(AppraiserScope::everything().covers_node(&node("7.1")));
        assert!(AppraiserScope::everything().covers_unit(&unit("ANY")));
        let nothing = AppraiserScope {
            units: Some(vec![]),
            areas: None,
        };
        assert!(
            !nothing.covers_unit(&unit("U1")),
            "an empty list assigns nothing"
        );
    }

    #[test]
    fn a_refusal_names_the_closest_reason() {
        let officer = Principal::new(
            "x",
            vec![Grant::in_period(
                Role::UnitOfficer { unit: unit("U1") },
                period("2024"),
            )],
        );
        let edit = Action::EditSelfAssessment;
        assert_eq!(
            check(&officer, edit, &assessment("2024", "U2")),
            Err(Denied::OtherUnit)
        );
        assert_eq!(
            check(&officer, edit, &assessment("2023", "U1")),
            Err(Denied::OtherPeriod)
        );
        assert_eq!(
            check(&officer, edit, &Resource::Period(period("2024"))),
            Err(Denied::NoUnit)
        );
        assert_eq!(
            check(&officer, Action::Appraise, &assessment("2024", "U1")),
            Err(Denied::NotPermitted(Action::Appraise))
        );
        let appraiser = Principal::new(
            "y",
            vec![Grant::in_period(
                Role::Appraiser {
                    scope: AppraiserScope::areas([node("1")]),
                },
                period("2024"),
            )],
        );
        let out = check(&appraiser, Action::Appraise, &leaf("2024", "U1", "2.1"));
        assert_eq!(out, Err(Denied::OutOfScope));
        assert_eq!(
            out.unwrap_err().to_string(),
            "đơn vị hoặc lĩnh vực này không thuộc phạm vi được phân công thẩm định"
        );
        let mixed = Principal::new(
            "z",
            vec![
                Grant::in_period(Role::UnitOfficer { unit: unit("U1") }, period("2024")),
                Grant::in_period(Role::UnitOfficer { unit: unit("U2") }, period("2023")),
            ],
        );
        assert_eq!(
            check(&mixed, edit, &assessment("2024", "U2")),
            Err(Denied::OtherPeriod),
            "the U2 grant came closer than the U1 grant"
        );
        assert_eq!(
            Denied::NotPermitted(Action::ManageUsers).to_string(),
            "vai trò của bạn không được phép quản lý người dùng"
        );
    }

    #[test]
    fn roles_and_grants_serialise_with_stable_names() {
        let g = Grant::in_period(Role::UnitLeader { unit: unit("SNV") }, period("2024"));
        let json = serde_json::to_string(&g).unwrap();
        assert_eq!(
            json,
            r#"{"role":{"role":"unit_leader","unit":"SNV"},"period":"2024"}"#
        );
        assert_eq!(serde_json::from_str::<Grant>(&json).unwrap(), g);
        let admin: Grant = serde_json::from_str(r#"{"role":{"role":"admin"}}"#).unwrap();
        assert_eq!(admin, Grant::all_periods(Role::Admin));
        let appraiser: Role =
            serde_json::from_str(r#"{"role":"appraiser","scope":{"areas":["2"]}}"#).unwrap();
        assert_eq!(
            appraiser,
            Role::Appraiser {
                scope: AppraiserScope::areas([node("2")])
            }
        );
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
            assert_eq!(
                serde_json::to_string(&a).unwrap(),
                format!("\"{}\"", a.as_str())
            );
            assert!(!a.label_vi().is_empty() && !a.label_en().is_empty());
        }
        for (_, p) in people() {
            let role = &p.grants[0].role;
            assert!(!role.as_str().is_empty() && !role.label_vi().is_empty());
            assert!(!role.label_en().is_empty());
        }
    }
}
