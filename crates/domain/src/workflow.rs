//! The assessment workflow of one unit in one period (domain.md §2): which state its
//! self-assessment and appraisal are in, which steps may happen next, and when.
//!
//! This module answers **when** and **in which order**: a step is allowed or refused from the
//! assessment's [`AssessmentState`] and the period's [`Phase`] (derived from its [`Milestones`]).
//! **Who** may take a step is a separate question, answered by [`crate::authz::can`];
//! [`Transition::action`] names the action a step needs. The service layer asks both before
//! changing anything, so the HTML pages and the API share one set of rules and these rules can
//! be tested exhaustively without a database.
//!
//! The order of the cycle: the unit saves drafts and its leader submits inside the
//! self-assessment window; appraisers appraise and may request explanations inside the
//! appraisal window; the unit answers inside the explanation window; appraisers re-appraise
//! the answered leaves until the approval milestone; the council chair then approves, which
//! locks the scores; publication makes the results immutable (a correction is a new version).
//! An administrator may reopen one unit; a reopened unit is no longer bound by the milestones
//! until it is approved again (publication still binds it).
//!
//! A unit that never submits does not block the period: after the self-assessment deadline the
//! administrator closes its self-assessment ([`Transition::CloseUnsubmitted`], "hết hạn, không
//! nộp"). The unit can no longer edit it, and appraisers appraise it like a submitted one from
//! the evidence it has; a leaf without a self-assessed value has no value until an appraiser
//! gives one, and a leaf without a value scores 0 (see [`crate::compute`]).

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime, Time, UtcOffset};

use crate::authz::Action;
use crate::fmt::vi_date;
use crate::ids::NodeCode;
use crate::indexset::Source;
use crate::points::Points;

/// Where the assessment of one unit in one period stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentState {
    /// Nothing has been saved yet.
    NotStarted,
    /// The unit has saved a self-assessment that is not submitted (bản nháp).
    Draft,
    /// The unit's leader has submitted the self-assessment; the unit can no longer edit it.
    Submitted,
    /// The self-assessment deadline passed without a submission and the administrator closed
    /// it (hết hạn, không nộp): the unit can no longer edit it; appraisers appraise it as it is.
    ClosedUnsubmitted,
    /// Appraisers are entering appraised scores.
    UnderAppraisal,
    /// Appraisers asked the unit to explain one or more leaves (yêu cầu giải trình).
    ExplanationRequested,
    /// The unit has answered the requests; appraisers re-appraise the answered leaves.
    Explained,
    /// The council approved the appraisal; every score is locked.
    Finalised,
}

impl AssessmentState {
    /// Every state, in the order of the cycle.
    pub const ALL: [AssessmentState; 8] = [
        Self::NotStarted,
        Self::Draft,
        Self::Submitted,
        Self::ClosedUnsubmitted,
        Self::UnderAppraisal,
        Self::ExplanationRequested,
        Self::Explained,
        Self::Finalised,
    ];

    /// Stable machine name (stored in the database and files).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotStarted => "not_started",
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::ClosedUnsubmitted => "closed_unsubmitted",
            Self::UnderAppraisal => "under_appraisal",
            Self::ExplanationRequested => "explanation_requested",
            Self::Explained => "explained",
            Self::Finalised => "finalised",
        }
    }

    /// Parses a name written by [`AssessmentState::as_str`].
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::NotStarted => "Chưa bắt đầu",
            Self::Draft => "Đang tự đánh giá (bản nháp)",
            Self::Submitted => "Đã nộp",
            Self::ClosedUnsubmitted => "Hết hạn, không nộp",
            Self::UnderAppraisal => "Đang thẩm định",
            Self::ExplanationRequested => "Đã yêu cầu giải trình",
            Self::Explained => "Đã giải trình",
            Self::Finalised => "Đã phê duyệt",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::NotStarted => "Not started",
            Self::Draft => "Draft",
            Self::Submitted => "Submitted",
            Self::ClosedUnsubmitted => "Closed, not submitted",
            Self::UnderAppraisal => "Under appraisal",
            Self::ExplanationRequested => "Explanation requested",
            Self::Explained => "Explained",
            Self::Finalised => "Finalised",
        }
    }

    /// Whether the assessment waits for appraisers to start: submitted, or closed without a
    /// submission after the deadline.
    pub fn awaits_appraisal(self) -> bool {
        matches!(self, Self::Submitted | Self::ClosedUnsubmitted)
    }
}

/// One milestone of a period's plan (Kế hoạch xác định Chỉ số CCHC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    /// Self-assessment opens.
    SelfOpen,
    /// Self-assessment closes (the units' deadline).
    SelfClose,
    /// Appraisal opens.
    AppraisalOpen,
    /// Appraisal closes.
    AppraisalClose,
    /// The explanation window opens.
    ExplanationOpen,
    /// The explanation window closes; re-appraisal continues until approval.
    ExplanationClose,
    /// The council approves (no more re-appraisal from here).
    Approval,
    /// Results are published.
    Publication,
}

impl Milestone {
    /// Every milestone, in the order a valid plan has them.
    pub const ALL: [Milestone; 8] = [
        Self::SelfOpen,
        Self::SelfClose,
        Self::AppraisalOpen,
        Self::AppraisalClose,
        Self::ExplanationOpen,
        Self::ExplanationClose,
        Self::Approval,
        Self::Publication,
    ];

    /// Stable machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SelfOpen => "self_open",
            Self::SelfClose => "self_close",
            Self::AppraisalOpen => "appraisal_open",
            Self::AppraisalClose => "appraisal_close",
            Self::ExplanationOpen => "explanation_open",
            Self::ExplanationClose => "explanation_close",
            Self::Approval => "approval",
            Self::Publication => "publication",
        }
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::SelfOpen => "mở tự đánh giá",
            Self::SelfClose => "hết hạn tự đánh giá",
            Self::AppraisalOpen => "mở thẩm định",
            Self::AppraisalClose => "hết hạn thẩm định",
            Self::ExplanationOpen => "mở giải trình",
            Self::ExplanationClose => "hết hạn giải trình",
            Self::Approval => "phê duyệt",
            Self::Publication => "công bố",
        }
    }

    /// The phase that begins when this milestone is reached.
    pub fn starts(self) -> Phase {
        match self {
            Self::SelfOpen => Phase::SelfAssessment,
            Self::SelfClose => Phase::SelfAssessmentClosed,
            Self::AppraisalOpen => Phase::Appraisal,
            Self::AppraisalClose => Phase::AppraisalClosed,
            Self::ExplanationOpen => Phase::Explanation,
            Self::ExplanationClose => Phase::ExplanationClosed,
            Self::Approval => Phase::Approval,
            Self::Publication => Phase::Published,
        }
    }
}

/// Where a period stands in its yearly cycle at a given instant. Each phase begins at a
/// [`Milestone`] and lasts until the next milestone that is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Before self-assessment opens (the plan and index sets are being prepared).
    Preparation,
    /// Units enter, save and submit their self-assessment.
    SelfAssessment,
    /// Self-assessment has closed; appraisal has not opened yet.
    SelfAssessmentClosed,
    /// Appraisers appraise and request explanations.
    Appraisal,
    /// Appraisal has closed; the explanation window has not opened yet.
    AppraisalClosed,
    /// Units answer explanation requests; appraisers may re-appraise answered leaves.
    Explanation,
    /// The explanation window has closed; appraisers finish re-appraising.
    ExplanationClosed,
    /// The council chair approves the appraisal.
    Approval,
    /// Results are published and immutable.
    Published,
}

impl Phase {
    /// Every phase, in the order of the cycle.
    pub const ALL: [Phase; 9] = [
        Self::Preparation,
        Self::SelfAssessment,
        Self::SelfAssessmentClosed,
        Self::Appraisal,
        Self::AppraisalClosed,
        Self::Explanation,
        Self::ExplanationClosed,
        Self::Approval,
        Self::Published,
    ];

    /// Stable machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Preparation => "preparation",
            Self::SelfAssessment => "self_assessment",
            Self::SelfAssessmentClosed => "self_assessment_closed",
            Self::Appraisal => "appraisal",
            Self::AppraisalClosed => "appraisal_closed",
            Self::Explanation => "explanation",
            Self::ExplanationClosed => "explanation_closed",
            Self::Approval => "approval",
            Self::Published => "published",
        }
    }

    /// Parses a name written by [`Phase::as_str`].
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        Self::ALL.into_iter().find(|p| p.as_str() == raw)
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Preparation => "Chuẩn bị",
            Self::SelfAssessment => "Tự đánh giá",
            Self::SelfAssessmentClosed => "Đã hết hạn tự đánh giá, chờ thẩm định",
            Self::Appraisal => "Thẩm định",
            Self::AppraisalClosed => "Đã hết hạn thẩm định, chờ giải trình",
            Self::Explanation => "Giải trình",
            Self::ExplanationClosed => "Thẩm định lại sau giải trình",
            Self::Approval => "Phê duyệt",
            Self::Published => "Đã công bố",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::Preparation => "Preparation",
            Self::SelfAssessment => "Self-assessment",
            Self::SelfAssessmentClosed => "Self-assessment closed, awaiting appraisal",
            Self::Appraisal => "Appraisal",
            Self::AppraisalClosed => "Appraisal closed, awaiting explanations",
            Self::Explanation => "Explanation",
            Self::ExplanationClosed => "Re-appraisal after explanations",
            Self::Approval => "Approval",
            Self::Published => "Published",
        }
    }
}

/// A span of phases in which some step is allowed; named in refusals ("đã hết hạn …").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    /// [`Phase::SelfAssessment`].
    SelfAssessment,
    /// [`Phase::Appraisal`].
    Appraisal,
    /// [`Phase::Explanation`].
    Explanation,
    /// [`Phase::Explanation`] and [`Phase::ExplanationClosed`]: re-appraising answered leaves.
    Reappraisal,
    /// [`Phase::Approval`].
    Approval,
}

impl Window {
    /// Vietnamese name, as it reads after "chưa đến thời gian" / "đã hết hạn".
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::SelfAssessment => "tự đánh giá",
            Self::Appraisal => "thẩm định",
            Self::Explanation => "giải trình",
            Self::Reappraisal => "thẩm định lại",
            Self::Approval => "phê duyệt",
        }
    }

    /// English name.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::SelfAssessment => "self-assessment",
            Self::Appraisal => "appraisal",
            Self::Explanation => "explanation",
            Self::Reappraisal => "re-appraisal",
            Self::Approval => "approval",
        }
    }

    /// First and last phase of the window.
    pub fn phases(self) -> (Phase, Phase) {
        match self {
            Self::SelfAssessment => (Phase::SelfAssessment, Phase::SelfAssessment),
            Self::Appraisal => (Phase::Appraisal, Phase::Appraisal),
            Self::Explanation => (Phase::Explanation, Phase::Explanation),
            Self::Reappraisal => (Phase::Explanation, Phase::ExplanationClosed),
            Self::Approval => (Phase::Approval, Phase::Approval),
        }
    }
}

/// A period's milestones. Each is the instant its phase begins, so a close milestone is
/// exclusive: a deadline "đến hết ngày 15/12" is the start of 16/12 (see [`vn_day_end`]).
/// Unset milestones are skipped: the phase before them lasts until the next milestone set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Milestones {
    /// See [`Milestone::SelfOpen`].
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub self_open: Option<OffsetDateTime>,
    /// See [`Milestone::SelfClose`].
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub self_close: Option<OffsetDateTime>,
    /// See [`Milestone::AppraisalOpen`].
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub appraisal_open: Option<OffsetDateTime>,
    /// See [`Milestone::AppraisalClose`].
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub appraisal_close: Option<OffsetDateTime>,
    /// See [`Milestone::ExplanationOpen`].
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub explanation_open: Option<OffsetDateTime>,
    /// See [`Milestone::ExplanationClose`].
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub explanation_close: Option<OffsetDateTime>,
    /// See [`Milestone::Approval`].
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub approval: Option<OffsetDateTime>,
    /// See [`Milestone::Publication`].
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub publication: Option<OffsetDateTime>,
}

/// Vietnam's offset (UTC+7, no daylight saving).
pub const VN_OFFSET: UtcOffset = time::macros::offset!(+7);

/// 00:00 of `date` in Vietnam: the instant a window "từ ngày dd/mm" opens.
pub fn vn_day_start(date: Date) -> OffsetDateTime {
    date.with_time(Time::MIDNIGHT).assume_offset(VN_OFFSET)
}

/// The end of `date` in Vietnam (00:00 of the next day): the instant a window "đến hết ngày
/// dd/mm" closes. The last representable date closes at its own start.
pub fn vn_day_end(date: Date) -> OffsetDateTime {
    vn_day_start(date.next_day().unwrap_or(date))
}

/// A problem found by [`Milestones::validate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MilestoneIssue {
    /// A milestone is set earlier than one that must precede it.
    #[error(
        "mốc \"{}\" ({}) sớm hơn mốc \"{}\" ({}) đứng trước nó",
        .later.label_vi(), vi_instant(*.later_at), .earlier.label_vi(), vi_instant(*.earlier_at)
    )]
    OutOfOrder {
        earlier: Milestone,
        earlier_at: OffsetDateTime,
        later: Milestone,
        later_at: OffsetDateTime,
    },
    /// A window opens and closes at the same instant.
    #[error("thời gian {} không có ngày nào: mốc mở trùng mốc đóng", .0.label_vi())]
    EmptyWindow(Window),
    /// A window has a close milestone but no open milestone.
    #[error("có mốc hết hạn {} nhưng chưa có mốc mở", .0.label_vi())]
    CloseWithoutOpen(Window),
}

/// `dd/mm/yyyy HH:MM` in Vietnam time, for messages.
fn vi_instant(at: OffsetDateTime) -> String {
    let at = at.to_offset(VN_OFFSET);
    format!("{} {:02}:{:02}", vi_date(at.date()), at.hour(), at.minute())
}

impl Milestones {
    /// The instant of one milestone, if set.
    pub fn get(&self, milestone: Milestone) -> Option<OffsetDateTime> {
        match milestone {
            Milestone::SelfOpen => self.self_open,
            Milestone::SelfClose => self.self_close,
            Milestone::AppraisalOpen => self.appraisal_open,
            Milestone::AppraisalClose => self.appraisal_close,
            Milestone::ExplanationOpen => self.explanation_open,
            Milestone::ExplanationClose => self.explanation_close,
            Milestone::Approval => self.approval,
            Milestone::Publication => self.publication,
        }
    }

    /// The milestones that are set, in plan order.
    pub fn set(&self) -> Vec<(Milestone, OffsetDateTime)> {
        Milestone::ALL
            .into_iter()
            .filter_map(|m| self.get(m).map(|at| (m, at)))
            .collect()
    }

    /// Every problem of the plan: milestones out of order (each set milestone must not be
    /// earlier than the set one before it), windows that open and close at the same instant,
    /// and windows that close without opening. Empty when the plan is usable.
    pub fn validate(&self) -> Vec<MilestoneIssue> {
        let mut issues = Vec::new();
        let set = self.set();
        for pair in set.windows(2) {
            let ((earlier, earlier_at), (later, later_at)) = (pair[0], pair[1]);
            if later_at < earlier_at {
                issues.push(MilestoneIssue::OutOfOrder {
                    earlier,
                    earlier_at,
                    later,
                    later_at,
                });
            }
        }
        let windows = [
            (Window::SelfAssessment, self.self_open, self.self_close),
            (Window::Appraisal, self.appraisal_open, self.appraisal_close),
            (
                Window::Explanation,
                self.explanation_open,
                self.explanation_close,
            ),
        ];
        for (window, open, close) in windows {
            match (open, close) {
                (Some(o), Some(c)) if o == c => issues.push(MilestoneIssue::EmptyWindow(window)),
                (None, Some(_)) => issues.push(MilestoneIssue::CloseWithoutOpen(window)),
                _ => {}
            }
        }
        issues
    }

    /// The phase at instant `at`: the phase begun by the last milestone (in plan order) that
    /// is set and reached; [`Phase::Preparation`] before any. Meaningful for plans that
    /// [`Milestones::validate`] accepts.
    pub fn phase_at(&self, at: OffsetDateTime) -> Phase {
        Milestone::ALL
            .into_iter()
            .rev()
            .find(|m| self.get(*m).is_some_and(|t| t <= at))
            .map_or(Phase::Preparation, Milestone::starts)
    }
}

/// A step of the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    /// The unit saves its self-assessment as a draft (any number of times).
    SaveDraft,
    /// The unit's leader submits the self-assessment.
    Submit,
    /// An appraiser opens the submitted self-assessment for appraisal.
    StartAppraisal,
    /// An appraiser saves appraised scores: first appraisal, or re-appraisal after answers.
    Appraise,
    /// An appraiser asks the unit to explain one or more leaves.
    RequestExplanation,
    /// The unit sends its answers to the explanation requests (text and new evidence).
    AnswerExplanation,
    /// The council chair approves the appraisal; scores lock.
    Finalise,
    /// The administrator reopens the unit's self-assessment (recorded in the audit log).
    Reopen,
    /// After the self-assessment deadline, the administrator closes the self-assessment of a
    /// unit that did not submit (hết hạn, không nộp; recorded in the audit log).
    CloseUnsubmitted,
}

impl Transition {
    /// Every step.
    pub const ALL: [Transition; 9] = [
        Self::SaveDraft,
        Self::Submit,
        Self::StartAppraisal,
        Self::Appraise,
        Self::RequestExplanation,
        Self::AnswerExplanation,
        Self::Finalise,
        Self::Reopen,
        Self::CloseUnsubmitted,
    ];

    /// Stable machine name (audit log, API).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SaveDraft => "save_draft",
            Self::Submit => "submit",
            Self::StartAppraisal => "start_appraisal",
            Self::Appraise => "appraise",
            Self::RequestExplanation => "request_explanation",
            Self::AnswerExplanation => "answer_explanation",
            Self::Finalise => "finalise",
            Self::Reopen => "reopen",
            Self::CloseUnsubmitted => "close_unsubmitted",
        }
    }

    /// Parses a name written by [`Transition::as_str`].
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }

    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            Self::SaveDraft => "Lưu nháp",
            Self::Submit => "Nộp tự đánh giá",
            Self::StartAppraisal => "Bắt đầu thẩm định",
            Self::Appraise => "Ghi điểm thẩm định",
            Self::RequestExplanation => "Yêu cầu giải trình",
            Self::AnswerExplanation => "Gửi giải trình",
            Self::Finalise => "Phê duyệt kết quả thẩm định",
            Self::Reopen => "Mở lại",
            Self::CloseUnsubmitted => "Đóng tự đánh giá (hết hạn, không nộp)",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::SaveDraft => "Save draft",
            Self::Submit => "Submit self-assessment",
            Self::StartAppraisal => "Start appraisal",
            Self::Appraise => "Enter appraised scores",
            Self::RequestExplanation => "Request explanation",
            Self::AnswerExplanation => "Send explanation",
            Self::Finalise => "Approve appraisal",
            Self::Reopen => "Reopen",
            Self::CloseUnsubmitted => "Close self-assessment (not submitted)",
        }
    }

    /// The authorization action whoever takes this step must hold (see [`crate::authz::can`]).
    pub fn action(self) -> Action {
        match self {
            Self::SaveDraft => Action::EditSelfAssessment,
            Self::Submit => Action::SubmitSelfAssessment,
            Self::StartAppraisal | Self::Appraise => Action::Appraise,
            Self::RequestExplanation => Action::RequestExplanation,
            Self::AnswerExplanation => Action::AnswerExplanation,
            Self::Finalise => Action::ApproveAppraisal,
            Self::Reopen => Action::Reopen,
            Self::CloseUnsubmitted => Action::ManagePeriods,
        }
    }
}

/// Why a step is refused. Messages are shown to users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("chưa đến thời gian {}", .0.label_vi())]
    NotOpen(Window),
    #[error("đã hết hạn {}", .0.label_vi())]
    Closed(Window),
    #[error("đơn vị đã nộp, không thể sửa")]
    AlreadySubmitted,
    #[error("chưa có nội dung tự đánh giá để nộp")]
    NothingToSubmit,
    #[error("đơn vị chưa nộp tự đánh giá")]
    NotSubmitted,
    #[error("hồ sơ chưa được bắt đầu thẩm định")]
    AppraisalNotStarted,
    #[error("hồ sơ đã được bắt đầu thẩm định")]
    AppraisalAlreadyStarted,
    #[error("đơn vị đã giải trình; mỗi kỳ chỉ có một vòng giải trình")]
    ExplanationRoundOver,
    #[error("không có yêu cầu giải trình nào đối với đơn vị")]
    NoExplanationRequested,
    #[error("đơn vị chưa được thẩm định, chưa thể phê duyệt")]
    NotAppraised,
    #[error("kết quả thẩm định đã được phê duyệt, điểm đã khoá")]
    Locked,
    #[error("kết quả đã công bố, không thể thay đổi; đính chính bằng một phiên bản mới")]
    Published,
    #[error("đơn vị vẫn đang tự đánh giá, không cần mở lại")]
    NothingToReopen,
    #[error(
        "chưa hết hạn tự đánh giá; chỉ đóng được tự đánh giá của đơn vị không nộp sau thời hạn"
    )]
    DeadlineNotReached,
    #[error("đã hết hạn tự đánh giá, đơn vị không nộp; không thể sửa")]
    ClosedUnsubmitted,
    #[error("tự đánh giá của đơn vị đã được đóng (hết hạn, không nộp)")]
    AlreadyClosed,
}

/// What a step is judged against besides the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Context {
    /// The period's phase now ([`Milestones::phase_at`]).
    pub phase: Phase,
    /// The administrator reopened this unit and it has not been approved since (see
    /// [`reopened_after`]). A reopened unit is not bound by the milestones, only by publication.
    pub reopened: bool,
}

impl Context {
    /// A unit that follows the period's milestones.
    pub fn at(phase: Phase) -> Self {
        Context {
            phase,
            reopened: false,
        }
    }

    /// A unit the administrator has reopened.
    pub fn reopened(phase: Phase) -> Self {
        Context {
            phase,
            reopened: true,
        }
    }
}

/// Span of phases in which an edge may be taken; `window` names it in refusals.
#[derive(Debug, Clone, Copy)]
struct Gate {
    window: Window,
    first: Phase,
    last: Phase,
}

impl Gate {
    fn of(window: Window) -> Self {
        let (first, last) = window.phases();
        Gate {
            window,
            first,
            last,
        }
    }

    fn check(self, phase: Phase) -> Result<(), WorkflowError> {
        if phase < self.first {
            Err(WorkflowError::NotOpen(self.window))
        } else if phase > self.last {
            Err(WorkflowError::Closed(self.window))
        } else {
            Ok(())
        }
    }
}

/// Reopening is possible from the moment self-assessment opens until publication.
const REOPEN_GATE: Gate = Gate {
    window: Window::SelfAssessment,
    first: Phase::SelfAssessment,
    last: Phase::Approval,
};

/// Closing an unsubmitted self-assessment is possible from the end of self-assessment until
/// publication; before the deadline it is refused with [`WorkflowError::DeadlineNotReached`].
const CLOSE_GATE: Gate = Gate {
    window: Window::SelfAssessment,
    first: Phase::SelfAssessmentClosed,
    last: Phase::Approval,
};

/// The edge a step would take from a state, ignoring time; refusals that depend on the
/// state alone.
fn edge(
    state: AssessmentState,
    step: Transition,
) -> Result<(AssessmentState, Gate), WorkflowError> {
    use AssessmentState as S;
    use Transition as T;
    use WorkflowError as E;
    let to = |s: S, w: Window| Ok((s, Gate::of(w)));
    match (step, state) {
        (T::Reopen, S::NotStarted) => Ok((S::NotStarted, REOPEN_GATE)),
        (T::Reopen, _) => Ok((S::Draft, REOPEN_GATE)),
        (_, S::Finalised) => Err(E::Locked),

        (T::CloseUnsubmitted, S::NotStarted | S::Draft) => Ok((S::ClosedUnsubmitted, CLOSE_GATE)),
        (T::CloseUnsubmitted, S::ClosedUnsubmitted) => Err(E::AlreadyClosed),
        (
            T::CloseUnsubmitted,
            S::Submitted | S::UnderAppraisal | S::ExplanationRequested | S::Explained,
        ) => Err(E::AlreadySubmitted),
        (T::SaveDraft | T::Submit, S::ClosedUnsubmitted) => Err(E::ClosedUnsubmitted),

        (T::SaveDraft, S::NotStarted | S::Draft) => to(S::Draft, Window::SelfAssessment),
        (
            T::SaveDraft,
            S::Submitted | S::UnderAppraisal | S::ExplanationRequested | S::Explained,
        ) => Err(E::AlreadySubmitted),

        (T::Submit, S::Draft) => to(S::Submitted, Window::SelfAssessment),
        (T::Submit, S::NotStarted) => Err(E::NothingToSubmit),
        (T::Submit, S::Submitted | S::UnderAppraisal | S::ExplanationRequested | S::Explained) => {
            Err(E::AlreadySubmitted)
        }

        (T::StartAppraisal, S::Submitted | S::ClosedUnsubmitted) => {
            to(S::UnderAppraisal, Window::Appraisal)
        }
        (T::StartAppraisal, S::NotStarted | S::Draft) => Err(E::NotSubmitted),
        (T::StartAppraisal, S::UnderAppraisal | S::ExplanationRequested | S::Explained) => {
            Err(E::AppraisalAlreadyStarted)
        }

        (T::Appraise, S::UnderAppraisal) => to(S::UnderAppraisal, Window::Appraisal),
        (T::Appraise, S::ExplanationRequested) => to(S::ExplanationRequested, Window::Appraisal),
        (T::Appraise, S::Explained) => to(S::Explained, Window::Reappraisal),

        (T::RequestExplanation, S::UnderAppraisal | S::ExplanationRequested) => {
            to(S::ExplanationRequested, Window::Appraisal)
        }
        (T::RequestExplanation, S::Explained) => Err(E::ExplanationRoundOver),

        (T::Appraise | T::RequestExplanation, S::NotStarted | S::Draft) => Err(E::NotSubmitted),
        (T::Appraise | T::RequestExplanation, S::Submitted | S::ClosedUnsubmitted) => {
            Err(E::AppraisalNotStarted)
        }

        (T::AnswerExplanation, S::ExplanationRequested | S::Explained) => {
            to(S::Explained, Window::Explanation)
        }
        (
            T::AnswerExplanation,
            S::NotStarted | S::Draft | S::Submitted | S::ClosedUnsubmitted | S::UnderAppraisal,
        ) => Err(E::NoExplanationRequested),

        (T::Finalise, S::UnderAppraisal | S::ExplanationRequested | S::Explained) => {
            to(S::Finalised, Window::Approval)
        }
        (T::Finalise, S::NotStarted | S::Draft | S::Submitted | S::ClosedUnsubmitted) => {
            Err(E::NotAppraised)
        }
    }
}

/// Applies one step to a unit's assessment: the new state, or why the step is refused now.
///
/// Checks, in order: nothing changes once the period is published; the state must allow the
/// step; the phase must be inside the step's window unless the unit is reopened. Reopening is
/// itself bound to the period (from self-assessment opening until publication) and is refused
/// while the unit can still edit anyway. Closing an unsubmitted self-assessment is bound to the
/// period too (from the self-assessment deadline until publication), reopened unit or not.
pub fn apply(
    state: AssessmentState,
    step: Transition,
    ctx: Context,
) -> Result<AssessmentState, WorkflowError> {
    if ctx.phase == Phase::Published {
        return Err(WorkflowError::Published);
    }
    let (to, gate) = edge(state, step)?;
    if step == Transition::Reopen {
        gate.check(ctx.phase)?;
        let editable = matches!(state, AssessmentState::NotStarted | AssessmentState::Draft)
            && (ctx.reopened || ctx.phase == Phase::SelfAssessment);
        if editable {
            return Err(WorkflowError::NothingToReopen);
        }
    } else if step == Transition::CloseUnsubmitted {
        if ctx.phase < gate.first {
            return Err(WorkflowError::DeadlineNotReached);
        }
        gate.check(ctx.phase)?;
    } else if !ctx.reopened {
        gate.check(ctx.phase)?;
    }
    Ok(to)
}

/// Reopening the council's approval of a whole period, before publication: a finalised unit
/// goes back to appraisal (and counts as reopened, so the appraisal windows no longer bind
/// it) until the chair approves again; any other state has nothing to reopen. After
/// publication only a correction changes results.
pub fn reopen_approval(
    state: AssessmentState,
    phase: Phase,
) -> Result<AssessmentState, WorkflowError> {
    if phase == Phase::Published {
        return Err(WorkflowError::Published);
    }
    match state {
        AssessmentState::Finalised => Ok(AssessmentState::UnderAppraisal),
        _ => Err(WorkflowError::NothingToReopen),
    }
}

/// Whether the unit counts as reopened after `step` succeeded: reopening sets it, the
/// council's approval clears it, every other step keeps it.
pub fn reopened_after(step: Transition, reopened: bool) -> bool {
    match step {
        Transition::Reopen => true,
        Transition::Finalise => false,
        _ => reopened,
    }
}

/// Whether the unit may change its self-assessment now: values, evidence, and explanations of
/// missing evidence.
pub fn unit_may_edit(state: AssessmentState, ctx: Context) -> bool {
    apply(state, Transition::SaveDraft, ctx).is_ok()
}

/// Whether the unit's leader may submit now (see also [`submission_issues`]).
pub fn unit_may_submit(state: AssessmentState, ctx: Context) -> bool {
    apply(state, Transition::Submit, ctx).is_ok()
}

/// Whether the administrator may close the unit's self-assessment as not submitted now.
pub fn may_close_unsubmitted(state: AssessmentState, ctx: Context) -> bool {
    apply(state, Transition::CloseUnsubmitted, ctx).is_ok()
}

/// Whether explanations were requested on one leaf, and answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeafExplanation {
    /// No explanation was requested on this leaf.
    #[default]
    NotRequested,
    /// An appraiser asked the unit to explain this leaf.
    Requested,
    /// The unit answered the request.
    Answered,
}

/// Whether the unit may write or amend its answer to a leaf's explanation request now.
pub fn unit_may_answer(state: AssessmentState, ctx: Context, leaf: LeafExplanation) -> bool {
    leaf != LeafExplanation::NotRequested
        && apply(state, Transition::AnswerExplanation, ctx).is_ok()
}

/// Whether appraisers may change a leaf's appraised value and comment now. A submitted
/// assessment counts (the first value starts the appraisal); during re-appraisal only the
/// leaves the unit answered may change.
pub fn appraiser_may_edit(state: AssessmentState, ctx: Context, leaf: LeafExplanation) -> bool {
    let step = if state.awaits_appraisal() {
        Transition::StartAppraisal
    } else {
        Transition::Appraise
    };
    apply(state, step, ctx).is_ok()
        && (state != AssessmentState::Explained || leaf == LeafExplanation::Answered)
}

/// Whether an appraiser may request an explanation on a leaf now (one request per leaf).
pub fn appraiser_may_request(state: AssessmentState, ctx: Context, leaf: LeafExplanation) -> bool {
    leaf == LeafExplanation::NotRequested
        && apply(state, Transition::RequestExplanation, ctx).is_ok()
}

/// Whether an appraised value needs a comment: it differs from the unit's own score, or the
/// unit proposed none. Values are compared exactly (`1,5` equals `1,50`).
pub fn comment_required(self_points: Option<Points>, appraised: Points) -> bool {
    self_points != Some(appraised)
}

/// One appraised value as an appraiser saves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppraisalEntry<'a> {
    /// The unit's proposed score, if it proposed one.
    pub self_points: Option<Points>,
    /// The appraiser's score.
    pub appraised: Points,
    /// The appraiser's comment (nhận xét).
    pub comment: &'a str,
}

/// Why an appraised value cannot be saved as entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AppraisalIssue {
    #[error(
        "điểm thẩm định {} khác điểm tự đánh giá {}; cần ghi nhận xét",
        vi_points(Some(*.appraised)), vi_points(*.self_points)
    )]
    CommentRequired {
        self_points: Option<Points>,
        appraised: Points,
    },
}

/// Exact points for messages, `(chưa chấm)` when absent.
fn vi_points(p: Option<Points>) -> String {
    p.map_or_else(
        || "(chưa chấm)".to_owned(),
        |p| crate::fmt::vi_plain(p.value()),
    )
}

/// Checks an appraised value: a comment is required where it differs from the self score.
pub fn check_appraisal(entry: &AppraisalEntry<'_>) -> Result<(), AppraisalIssue> {
    if comment_required(entry.self_points, entry.appraised) && entry.comment.trim().is_empty() {
        return Err(AppraisalIssue::CommentRequired {
            self_points: entry.self_points,
            appraised: entry.appraised,
        });
    }
    Ok(())
}

/// One leaf of a unit's self-assessment, as far as submission is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelfLeaf<'a> {
    pub node: &'a NodeCode,
    /// The leaf's source; only `assessed` and `bonus` leaves are entered by the unit.
    pub source: Source,
    /// The unit entered a value (or declared the leaf not applicable).
    pub answered: bool,
    /// The index set requires evidence for this leaf (yêu cầu tài liệu kiểm chứng).
    pub evidence_required: bool,
    /// Evidence files attached.
    pub evidence_files: usize,
    /// The unit's written explanation (giải trình).
    pub explanation: &'a str,
}

/// Whether the unit must write an explanation for a leaf: the leaf requires evidence and none
/// is attached (domain.md §2.3). An unclaimed bonus leaf needs nothing.
pub fn explanation_required(leaf: &SelfLeaf<'_>) -> bool {
    let entered = match leaf.source {
        Source::Assessed => true,
        Source::Bonus => leaf.answered,
        Source::Survey | Source::Data | Source::Deduction => false,
    };
    entered && leaf.evidence_required && leaf.evidence_files == 0
}

/// What keeps a self-assessment from being submitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmissionIssue {
    #[error("tiêu chí {0}: chưa nhập kết quả tự đánh giá")]
    MissingValue(NodeCode),
    #[error("tiêu chí {0}: chưa có tài liệu kiểm chứng theo yêu cầu; cần giải trình lý do")]
    MissingExplanation(NodeCode),
}

/// Every problem of a self-assessment before its submission: assessed leaves left empty and
/// leaves without required evidence or an explanation. Empty when it may be submitted.
pub fn submission_issues<'a>(
    leaves: impl IntoIterator<Item = SelfLeaf<'a>>,
) -> Vec<SubmissionIssue> {
    let mut issues = Vec::new();
    for leaf in leaves {
        if leaf.source == Source::Assessed && !leaf.answered {
            issues.push(SubmissionIssue::MissingValue(leaf.node.clone()));
        }
        if explanation_required(&leaf) && leaf.explanation.trim().is_empty() {
            issues.push(SubmissionIssue::MissingExplanation(leaf.node.clone()));
        }
    }
    issues
}

/// The phase of a period at `at`: [`Phase::Published`] once the period is published, whatever
/// its milestones say (a published period is immutable), else the phase its plan gives. The one
/// place the phase is derived; pages, the API and the services all ask here.
pub fn period_phase(published: bool, plan: &Milestones, at: OffsetDateTime) -> Phase {
    if published {
        Phase::Published
    } else {
        plan.phase_at(at)
    }
}

/// The milestone an assessment in `state` waits for; `None` once it is approved. A unit that
/// has not submitted waits for the end of self-assessment, a submitted one for the end of
/// appraisal, a unit asked to explain for the end of the explanation window, and an appraised
/// one for publication.
pub fn awaited(state: AssessmentState) -> Option<Milestone> {
    use AssessmentState as S;
    match state {
        S::NotStarted | S::Draft => Some(Milestone::SelfClose),
        S::Submitted | S::ClosedUnsubmitted => Some(Milestone::AppraisalClose),
        S::ExplanationRequested => Some(Milestone::ExplanationClose),
        S::UnderAppraisal | S::Explained => Some(Milestone::Publication),
        S::Finalised => None,
    }
}

/// The deadline of an assessment: the milestone it waits for and its instant, when the plan
/// sets it and the unit is bound by the plan. A reopened unit is not bound by the milestones
/// (see [`Context`]), so it has none.
pub fn deadline(
    state: AssessmentState,
    reopened: bool,
    plan: &Milestones,
) -> Option<(Milestone, OffsetDateTime)> {
    if reopened {
        return None;
    }
    let milestone = awaited(state)?;
    plan.get(milestone).map(|at| (milestone, at))
}

/// Whether the assessment is overdue (quá hạn) at `now`: its deadline has been reached and it
/// is still in the state that waited for it.
pub fn is_overdue(
    state: AssessmentState,
    reopened: bool,
    plan: &Milestones,
    now: OffsetDateTime,
) -> bool {
    deadline(state, reopened, plan).is_some_and(|(_, at)| at <= now)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal_macros::dec;
    use time::macros::{date, datetime};

    use super::*;

    use crate::authz::{AppraiserScope, Grant, Principal, Resource, Role, can};
    use crate::ids::{PeriodCode, UnitCode};

    use AssessmentState as S;
    use Transition as T;
    use Window as W;
    use WorkflowError as E;

    #[test]
    fn reopening_an_approval_sends_finalised_units_back_to_appraisal_until_publication() {
        assert_eq!(
            reopen_approval(S::Finalised, Phase::Approval),
            Ok(S::UnderAppraisal)
        );
        assert_eq!(
            reopen_approval(S::Finalised, Phase::Published),
            Err(WorkflowError::Published)
        );
        for s in [
            S::NotStarted,
            S::Draft,
            S::Submitted,
            S::UnderAppraisal,
            S::Explained,
        ] {
            assert_eq!(
                reopen_approval(s, Phase::Approval),
                Err(WorkflowError::NothingToReopen)
            );
        }
    }

    /// What the table expects of one (state, step) pair, before publication.
    #[derive(Debug, Clone, Copy)]
    enum Expect {
        /// Allowed inside the window (always, when reopened), leading to this state.
        To(S, Window),
        /// Refused in every phase for this reason.
        No(E),
        /// The administrator's reopening, leading to this state.
        Reopens(S),
        /// The administrator's closing after the deadline, leading to this state.
        Closes(S),
    }
    use Expect::{Closes, No, Reopens, To};

    /// Every (state, step) pair, written out by hand from the rules of domain.md §2.
    #[rustfmt::skip]
    const TABLE: [(S, T, Expect); 72] = [
        (S::NotStarted,           T::SaveDraft,          To(S::Draft, W::SelfAssessment)),
        (S::NotStarted,           T::Submit,             No(E::NothingToSubmit)),
        (S::NotStarted,           T::StartAppraisal,     No(E::NotSubmitted)),
        (S::NotStarted,           T::Appraise,           No(E::NotSubmitted)),
        (S::NotStarted,           T::RequestExplanation, No(E::NotSubmitted)),
        (S::NotStarted,           T::AnswerExplanation,  No(E::NoExplanationRequested)),
        (S::NotStarted,           T::Finalise,           No(E::NotAppraised)),
        (S::NotStarted,           T::Reopen,             Reopens(S::NotStarted)),
        (S::NotStarted,           T::CloseUnsubmitted,   Closes(S::ClosedUnsubmitted)),
        (S::Draft,                T::SaveDraft,          To(S::Draft, W::SelfAssessment)),
        (S::Draft,                T::Submit,             To(S::Submitted, W::SelfAssessment)),
        (S::Draft,                T::StartAppraisal,     No(E::NotSubmitted)),
        (S::Draft,                T::Appraise,           No(E::NotSubmitted)),
        (S::Draft,                T::RequestExplanation, No(E::NotSubmitted)),
        (S::Draft,                T::AnswerExplanation,  No(E::NoExplanationRequested)),
        (S::Draft,                T::Finalise,           No(E::NotAppraised)),
        (S::Draft,                T::Reopen,             Reopens(S::Draft)),
        (S::Draft,                T::CloseUnsubmitted,   Closes(S::ClosedUnsubmitted)),
        (S::Submitted,            T::SaveDraft,          No(E::AlreadySubmitted)),
        (S::Submitted,            T::Submit,             No(E::AlreadySubmitted)),
        (S::Submitted,            T::StartAppraisal,     To(S::UnderAppraisal, W::Appraisal)),
        (S::Submitted,            T::Appraise,           No(E::AppraisalNotStarted)),
        (S::Submitted,            T::RequestExplanation, No(E::AppraisalNotStarted)),
        (S::Submitted,            T::AnswerExplanation,  No(E::NoExplanationRequested)),
        (S::Submitted,            T::Finalise,           No(E::NotAppraised)),
        (S::Submitted,            T::Reopen,             Reopens(S::Draft)),
        (S::Submitted,            T::CloseUnsubmitted,   No(E::AlreadySubmitted)),
        (S::ClosedUnsubmitted,    T::SaveDraft,          No(E::ClosedUnsubmitted)),
        (S::ClosedUnsubmitted,    T::Submit,             No(E::ClosedUnsubmitted)),
        (S::ClosedUnsubmitted,    T::StartAppraisal,     To(S::UnderAppraisal, W::Appraisal)),
        (S::ClosedUnsubmitted,    T::Appraise,           No(E::AppraisalNotStarted)),
        (S::ClosedUnsubmitted,    T::RequestExplanation, No(E::AppraisalNotStarted)),
        (S::ClosedUnsubmitted,    T::AnswerExplanation,  No(E::NoExplanationRequested)),
        (S::ClosedUnsubmitted,    T::Finalise,           No(E::NotAppraised)),
        (S::ClosedUnsubmitted,    T::Reopen,             Reopens(S::Draft)),
        (S::ClosedUnsubmitted,    T::CloseUnsubmitted,   No(E::AlreadyClosed)),
        (S::UnderAppraisal,       T::SaveDraft,          No(E::AlreadySubmitted)),
        (S::UnderAppraisal,       T::Submit,             No(E::AlreadySubmitted)),
        (S::UnderAppraisal,       T::StartAppraisal,     No(E::AppraisalAlreadyStarted)),
        (S::UnderAppraisal,       T::Appraise,           To(S::UnderAppraisal, W::Appraisal)),
        (S::UnderAppraisal,       T::RequestExplanation, To(S::ExplanationRequested, W::Appraisal)),
        (S::UnderAppraisal,       T::AnswerExplanation,  No(E::NoExplanationRequested)),
        (S::UnderAppraisal,       T::Finalise,           To(S::Finalised, W::Approval)),
        (S::UnderAppraisal,       T::Reopen,             Reopens(S::Draft)),
        (S::UnderAppraisal,       T::CloseUnsubmitted,   No(E::AlreadySubmitted)),
        (S::ExplanationRequested, T::SaveDraft,          No(E::AlreadySubmitted)),
        (S::ExplanationRequested, T::Submit,             No(E::AlreadySubmitted)),
        (S::ExplanationRequested, T::StartAppraisal,     No(E::AppraisalAlreadyStarted)),
        (S::ExplanationRequested, T::Appraise,           To(S::ExplanationRequested, W::Appraisal)),
        (S::ExplanationRequested, T::RequestExplanation, To(S::ExplanationRequested, W::Appraisal)),
        (S::ExplanationRequested, T::AnswerExplanation,  To(S::Explained, W::Explanation)),
        (S::ExplanationRequested, T::Finalise,           To(S::Finalised, W::Approval)),
        (S::ExplanationRequested, T::Reopen,             Reopens(S::Draft)),
        (S::ExplanationRequested, T::CloseUnsubmitted,   No(E::AlreadySubmitted)),
        (S::Explained,            T::SaveDraft,          No(E::AlreadySubmitted)),
        (S::Explained,            T::Submit,             No(E::AlreadySubmitted)),
        (S::Explained,            T::StartAppraisal,     No(E::AppraisalAlreadyStarted)),
        (S::Explained,            T::Appraise,           To(S::Explained, W::Reappraisal)),
        (S::Explained,            T::RequestExplanation, No(E::ExplanationRoundOver)),
        (S::Explained,            T::AnswerExplanation,  To(S::Explained, W::Explanation)),
        (S::Explained,            T::Finalise,           To(S::Finalised, W::Approval)),
        (S::Explained,            T::Reopen,             Reopens(S::Draft)),
        (S::Explained,            T::CloseUnsubmitted,   No(E::AlreadySubmitted)),
        (S::Finalised,            T::SaveDraft,          No(E::Locked)),
        (S::Finalised,            T::Submit,             No(E::Locked)),
        (S::Finalised,            T::StartAppraisal,     No(E::Locked)),
        (S::Finalised,            T::Appraise,           No(E::Locked)),
        (S::Finalised,            T::RequestExplanation, No(E::Locked)),
        (S::Finalised,            T::AnswerExplanation,  No(E::Locked)),
        (S::Finalised,            T::Finalise,           No(E::Locked)),
        (S::Finalised,            T::Reopen,             Reopens(S::Draft)),
        (S::Finalised,            T::CloseUnsubmitted,   No(E::Locked)),
    ];

    /// The phases of each window, written out independently of [`Window::phases`].
    fn window_phases(w: Window) -> &'static [Phase] {
        match w {
            Window::SelfAssessment => &[Phase::SelfAssessment],
            Window::Appraisal => &[Phase::Appraisal],
            Window::Explanation => &[Phase::Explanation],
            Window::Reappraisal => &[Phase::Explanation, Phase::ExplanationClosed],
            Window::Approval => &[Phase::Approval],
        }
    }

    fn expected(state: S, expect: Expect, ctx: Context) -> Result<S, E> {
        if ctx.phase == Phase::Published {
            return Err(E::Published);
        }
        match expect {
            No(e) => Err(e),
            To(to, w) => {
                let phases = window_phases(w);
                if ctx.reopened || phases.contains(&ctx.phase) {
                    Ok(to)
                } else if ctx.phase < phases[0] {
                    Err(E::NotOpen(w))
                } else {
                    Err(E::Closed(w))
                }
            }
            Closes(to) => {
                if ctx.phase <= Phase::SelfAssessment {
                    Err(E::DeadlineNotReached)
                } else {
                    Ok(to)
                }
            }
            Reopens(to) => {
                if ctx.phase == Phase::Preparation {
                    Err(E::NotOpen(Window::SelfAssessment))
                } else if matches!(state, S::NotStarted | S::Draft)
                    && (ctx.reopened || ctx.phase == Phase::SelfAssessment)
                {
                    Err(E::NothingToReopen)
                } else {
                    Ok(to)
                }
            }
        }
    }

    #[test]
    fn a_published_period_is_in_the_published_phase_whatever_its_plan() {
        let plan = Milestones::default();
        let at = datetime!(2025-06-01 0:00 +7);
        assert_eq!(period_phase(false, &plan, at), Phase::Preparation);
        assert_eq!(period_phase(true, &plan, at), Phase::Published);
    }

    #[test]
    fn each_state_is_overdue_once_the_milestone_it_waits_for_has_passed() {
        let plan = Milestones {
            self_close: Some(datetime!(2024-12-15 17:00 UTC)),
            appraisal_close: Some(datetime!(2025-01-15 17:00 UTC)),
            explanation_close: Some(datetime!(2025-02-01 17:00 UTC)),
            ..Milestones::default()
        };
        let now = datetime!(2025-01-20 00:00 UTC);
        assert!(is_overdue(S::NotStarted, false, &plan, now));
        assert!(is_overdue(S::Draft, false, &plan, now));
        assert!(is_overdue(S::Submitted, false, &plan, now));
        assert!(!is_overdue(S::ExplanationRequested, false, &plan, now));
        assert!(
            !is_overdue(S::UnderAppraisal, false, &plan, now),
            "no publication set"
        );
        assert!(!is_overdue(S::Finalised, false, &plan, now));
        assert!(
            !is_overdue(S::Draft, true, &plan, now),
            "a reopened unit has no deadline"
        );
        assert!(!is_overdue(
            S::Draft,
            false,
            &plan,
            datetime!(2024-12-15 16:59 UTC)
        ));
    }

    #[test]
    fn the_table_lists_every_state_and_step_exactly_once() {
        for s in S::ALL {
            for t in T::ALL {
                let n = TABLE
                    .iter()
                    .filter(|(ts, tt, _)| *ts == s && *tt == t)
                    .count();
                assert_eq!(n, 1, "{s:?} × {t:?}");
            }
        }
    }

    #[test]
    fn every_step_from_every_state_in_every_phase_is_allowed_or_refused_as_the_table_says() {
        let mut allowed = 0;
        let mut refused = 0;
        for (state, step, expect) in TABLE {
            for phase in Phase::ALL {
                for reopened in [false, true] {
                    let ctx = Context { phase, reopened };
                    let want = expected(state, expect, ctx);
                    assert_eq!(
                        apply(state, step, ctx),
                        want,
                        "{state:?} × {step:?} in {phase:?}, reopened {reopened}"
                    );
                    if want.is_ok() {
                        allowed += 1;
                    } else {
                        refused += 1;
                    }
                }
            }
        }
        assert_eq!(allowed + refused, 8 * 9 * 9 * 2);
        assert!(allowed > 0 && refused > allowed);
    }

    #[test]
    fn refusals_explain_themselves_in_vietnamese() {
        let closed = apply(
            S::Draft,
            T::SaveDraft,
            Context::at(Phase::SelfAssessmentClosed),
        );
        assert_eq!(closed.unwrap_err().to_string(), "đã hết hạn tự đánh giá");
        let submitted = apply(
            S::Submitted,
            T::SaveDraft,
            Context::at(Phase::SelfAssessment),
        );
        assert_eq!(
            submitted.unwrap_err().to_string(),
            "đơn vị đã nộp, không thể sửa"
        );
        let early = apply(
            S::Submitted,
            T::StartAppraisal,
            Context::at(Phase::SelfAssessment),
        );
        assert_eq!(
            early.unwrap_err().to_string(),
            "chưa đến thời gian thẩm định"
        );
        let published = apply(S::Finalised, T::Reopen, Context::at(Phase::Published));
        assert!(published.unwrap_err().to_string().contains("đã công bố"));
    }

    #[test]
    fn a_unit_goes_from_nothing_to_approval_through_every_window() {
        let plan = plan_2024();
        assert_eq!(plan.validate(), []);
        let at = |dt: OffsetDateTime| Context::at(plan.phase_at(dt));
        let mut s = S::NotStarted;
        let steps = [
            (T::SaveDraft, datetime!(2024-11-02 09:00 +7)),
            (T::SaveDraft, datetime!(2024-11-20 09:00 +7)),
            (T::Submit, datetime!(2024-12-15 23:59 +7)),
            (T::StartAppraisal, datetime!(2025-01-06 08:00 +7)),
            (T::Appraise, datetime!(2025-01-06 09:00 +7)),
            (T::RequestExplanation, datetime!(2025-01-10 10:00 +7)),
            (T::AnswerExplanation, datetime!(2025-01-22 16:00 +7)),
            (T::Appraise, datetime!(2025-01-28 10:00 +7)),
            (T::Finalise, datetime!(2025-02-10 14:00 +7)),
        ];
        let mut seen = vec![s];
        for (step, when) in steps {
            s = apply(s, step, at(when)).unwrap_or_else(|e| panic!("{step:?} at {when}: {e}"));
            seen.push(s);
        }
        assert_eq!(s, S::Finalised);
        assert!(seen.contains(&S::Explained) && seen.contains(&S::Submitted));
        let late = apply(S::Draft, T::SaveDraft, at(datetime!(2024-12-16 00:00 +7)));
        assert_eq!(late, Err(E::Closed(Window::SelfAssessment)));
    }

    #[test]
    fn a_unit_that_never_submits_is_closed_after_the_deadline_then_appraised_and_approved() {
        let plan = plan_2024();
        let at = |dt: OffsetDateTime| Context::at(plan.phase_at(dt));
        let early = apply(
            S::Draft,
            T::CloseUnsubmitted,
            at(datetime!(2024-12-15 23:59 +7)),
        );
        assert_eq!(early, Err(E::DeadlineNotReached));
        assert_eq!(
            early.unwrap_err().to_string(),
            "chưa hết hạn tự đánh giá; chỉ đóng được tự đánh giá của đơn vị không nộp sau thời hạn"
        );
        let mut s = S::NotStarted;
        for (step, when) in [
            (T::CloseUnsubmitted, datetime!(2024-12-16 08:00 +7)),
            (T::StartAppraisal, datetime!(2025-01-06 08:00 +7)),
            (T::Appraise, datetime!(2025-01-07 09:00 +7)),
            (T::Finalise, datetime!(2025-02-10 14:00 +7)),
        ] {
            s = apply(s, step, at(when)).unwrap_or_else(|e| panic!("{step:?} at {when}: {e}"));
        }
        assert_eq!(s, S::Finalised);
        let closed = Context::at(Phase::Appraisal);
        assert_eq!(
            apply(
                S::ClosedUnsubmitted,
                T::SaveDraft,
                Context::reopened(Phase::Appraisal)
            ),
            Err(E::ClosedUnsubmitted)
        );
        assert!(appraiser_may_edit(
            S::ClosedUnsubmitted,
            closed,
            LeafExplanation::NotRequested
        ));
        assert_eq!(
            apply(S::Submitted, T::CloseUnsubmitted, closed),
            Err(E::AlreadySubmitted)
        );
        assert_eq!(
            apply(S::ClosedUnsubmitted, T::Reopen, closed),
            Ok(S::Draft),
            "the administrator may still give the unit another chance"
        );
        assert!(is_overdue(
            S::ClosedUnsubmitted,
            false,
            &plan,
            datetime!(2025-01-20 00:00 +7)
        ));
    }

    #[test]
    fn a_reopened_unit_may_resubmit_after_the_deadline_and_be_approved_again() {
        let mut reopened = false;
        let mut s = S::Finalised;
        for (step, phase) in [
            (T::Reopen, Phase::Approval),
            (T::SaveDraft, Phase::Approval),
            (T::Submit, Phase::Approval),
            (T::StartAppraisal, Phase::Approval),
            (T::Appraise, Phase::Approval),
            (T::Finalise, Phase::Approval),
        ] {
            s = apply(s, step, Context { phase, reopened }).unwrap();
            reopened = reopened_after(step, reopened);
        }
        assert_eq!(s, S::Finalised);
        assert!(!reopened, "approval ends the exception");
        let after = apply(
            s,
            T::SaveDraft,
            Context {
                phase: Phase::Approval,
                reopened,
            },
        );
        assert_eq!(after, Err(E::Locked));
    }

    #[test]
    fn nothing_changes_once_the_period_is_published_even_for_a_reopened_unit() {
        for s in S::ALL {
            for t in T::ALL {
                assert_eq!(
                    apply(s, t, Context::reopened(Phase::Published)),
                    Err(E::Published)
                );
            }
        }
    }

    #[test]
    fn the_unit_edits_only_its_unsubmitted_assessment_inside_the_window_or_when_reopened() {
        for s in S::ALL {
            for phase in Phase::ALL {
                let open = matches!(s, S::NotStarted | S::Draft) && phase != Phase::Published;
                assert_eq!(
                    unit_may_edit(s, Context::at(phase)),
                    open && phase == Phase::SelfAssessment,
                    "{s:?} in {phase:?}"
                );
                assert_eq!(unit_may_edit(s, Context::reopened(phase)), open);
                assert_eq!(
                    unit_may_submit(s, Context::at(phase)),
                    s == S::Draft && phase == Phase::SelfAssessment
                );
            }
        }
    }

    #[test]
    fn appraisers_edit_any_leaf_in_the_appraisal_window_but_only_answered_leaves_afterwards() {
        use LeafExplanation as L;
        let appraisal = Context::at(Phase::Appraisal);
        for leaf in [L::NotRequested, L::Requested, L::Answered] {
            assert!(appraiser_may_edit(S::Submitted, appraisal, leaf));
            assert!(appraiser_may_edit(S::ClosedUnsubmitted, appraisal, leaf));
            assert!(appraiser_may_edit(S::UnderAppraisal, appraisal, leaf));
            assert!(appraiser_may_edit(S::ExplanationRequested, appraisal, leaf));
            assert!(!appraiser_may_edit(S::Draft, appraisal, leaf));
            assert!(!appraiser_may_edit(S::Finalised, appraisal, leaf));
        }
        for phase in [Phase::Explanation, Phase::ExplanationClosed] {
            let ctx = Context::at(phase);
            assert!(appraiser_may_edit(S::Explained, ctx, L::Answered));
            assert!(!appraiser_may_edit(S::Explained, ctx, L::NotRequested));
            assert!(!appraiser_may_edit(S::Explained, ctx, L::Requested));
            assert!(!appraiser_may_edit(S::UnderAppraisal, ctx, L::NotRequested));
        }
        assert!(!appraiser_may_edit(
            S::Explained,
            Context::at(Phase::Approval),
            L::Answered
        ));
        assert!(!appraiser_may_edit(
            S::Submitted,
            Context::at(Phase::SelfAssessment),
            L::NotRequested
        ));
    }

    #[test]
    fn explanations_are_requested_once_per_leaf_and_answered_only_where_requested() {
        use LeafExplanation as L;
        let appraisal = Context::at(Phase::Appraisal);
        assert!(appraiser_may_request(
            S::UnderAppraisal,
            appraisal,
            L::NotRequested
        ));
        assert!(appraiser_may_request(
            S::ExplanationRequested,
            appraisal,
            L::NotRequested
        ));
        assert!(!appraiser_may_request(
            S::ExplanationRequested,
            appraisal,
            L::Requested
        ));
        assert!(!appraiser_may_request(
            S::Submitted,
            appraisal,
            L::NotRequested
        ));
        assert!(!appraiser_may_request(
            S::UnderAppraisal,
            Context::at(Phase::Explanation),
            L::NotRequested
        ));

        let window = Context::at(Phase::Explanation);
        assert!(unit_may_answer(
            S::ExplanationRequested,
            window,
            L::Requested
        ));
        assert!(unit_may_answer(S::Explained, window, L::Answered));
        assert!(!unit_may_answer(
            S::ExplanationRequested,
            window,
            L::NotRequested
        ));
        assert!(!unit_may_answer(
            S::ExplanationRequested,
            Context::at(Phase::ExplanationClosed),
            L::Requested
        ));
        assert!(!unit_may_answer(S::UnderAppraisal, window, L::Requested));
    }

    #[test]
    fn a_comment_is_required_exactly_where_the_appraised_score_differs_from_the_self_score() {
        let p = |d| Points::new(d);
        assert!(!comment_required(Some(p(dec!(1.5))), p(dec!(1.50))));
        assert!(comment_required(Some(p(dec!(1.5))), p(dec!(1.25))));
        assert!(comment_required(None, p(dec!(0))));
        let ok = AppraisalEntry {
            self_points: Some(p(dec!(2))),
            appraised: p(dec!(2.00)),
            comment: "",
        };
        assert_eq!(check_appraisal(&ok), Ok(()));
        let lowered = AppraisalEntry {
            appraised: p(dec!(1.25)),
            comment: "  ",
            ..ok
        };
        let err = check_appraisal(&lowered).unwrap_err();
        assert_eq!(
            err.to_string(),
            "điểm thẩm định 1,25 khác điểm tự đánh giá 2; cần ghi nhận xét"
        );
        let explained = AppraisalEntry {
            comment: "Kế hoạch ban hành muộn",
            ..lowered
        };
        assert_eq!(check_appraisal(&explained), Ok(()));
    }

    #[test]
    fn a_leaf_without_its_required_evidence_needs_an_explanation_before_submission() {
        let n = |s| NodeCode::parse(s).unwrap();
        let (a, b, c, d, e) = (n("1.1"), n("1.2"), n("2.1"), n("3.1"), n("9.1"));
        let leaf = |node, source, answered, files, explanation| SelfLeaf {
            node,
            source,
            answered,
            evidence_required: true,
            evidence_files: files,
            explanation,
        };
        let leaves = [
            leaf(&a, Source::Assessed, true, 2, ""),
            leaf(&b, Source::Assessed, true, 0, ""),
            leaf(&c, Source::Assessed, false, 0, "Chưa phát sinh văn bản"),
            leaf(&d, Source::Survey, false, 0, ""),
            leaf(&e, Source::Bonus, false, 0, ""),
        ];
        assert!(!explanation_required(&leaves[0]));
        assert!(explanation_required(&leaves[1]));
        assert!(
            !explanation_required(&leaves[3]),
            "survey leaves are not self-assessed"
        );
        assert!(
            !explanation_required(&leaves[4]),
            "an unclaimed bonus needs nothing"
        );
        assert!(explanation_required(&SelfLeaf {
            answered: true,
            ..leaves[4]
        }));
        assert_eq!(
            submission_issues(leaves),
            [
                SubmissionIssue::MissingExplanation(b.clone()),
                SubmissionIssue::MissingValue(c.clone()),
            ]
        );
        assert_eq!(
            SubmissionIssue::MissingExplanation(b).to_string(),
            "tiêu chí 1.2: chưa có tài liệu kiểm chứng theo yêu cầu; cần giải trình lý do"
        );
    }

    fn plan_2024() -> Milestones {
        Milestones {
            self_open: Some(vn_day_start(date!(2024 - 11 - 01))),
            self_close: Some(vn_day_end(date!(2024 - 12 - 15))),
            appraisal_open: Some(vn_day_start(date!(2025 - 01 - 06))),
            appraisal_close: Some(vn_day_end(date!(2025 - 01 - 15))),
            explanation_open: Some(vn_day_start(date!(2025 - 01 - 20))),
            explanation_close: Some(vn_day_end(date!(2025 - 01 - 24))),
            approval: Some(vn_day_start(date!(2025 - 02 - 10))),
            publication: Some(vn_day_start(date!(2025 - 03 - 01))),
        }
    }

    #[test]
    fn each_phase_begins_exactly_at_its_milestone_and_deadlines_last_the_whole_day() {
        let plan = plan_2024();
        assert_eq!(
            plan.phase_at(datetime!(2024-10-31 23:59:59 +7)),
            Phase::Preparation
        );
        assert_eq!(
            plan.phase_at(datetime!(2024-11-01 00:00 +7)),
            Phase::SelfAssessment
        );
        assert_eq!(
            plan.phase_at(datetime!(2024-12-15 23:59:59 +7)),
            Phase::SelfAssessment
        );
        assert_eq!(
            plan.phase_at(datetime!(2024-12-15 17:00 UTC)),
            Phase::SelfAssessmentClosed
        );
        assert_eq!(
            plan.phase_at(datetime!(2025-01-10 12:00 +7)),
            Phase::Appraisal
        );
        assert_eq!(
            plan.phase_at(datetime!(2025-01-17 12:00 +7)),
            Phase::AppraisalClosed
        );
        assert_eq!(
            plan.phase_at(datetime!(2025-01-21 12:00 +7)),
            Phase::Explanation
        );
        assert_eq!(
            plan.phase_at(datetime!(2025-01-30 12:00 +7)),
            Phase::ExplanationClosed
        );
        assert_eq!(
            plan.phase_at(datetime!(2025-02-10 12:00 +7)),
            Phase::Approval
        );
        assert_eq!(
            plan.phase_at(datetime!(2030-01-01 00:00 +7)),
            Phase::Published
        );
    }

    #[test]
    fn unset_milestones_are_skipped_so_the_phase_before_them_lasts_longer() {
        let plan = Milestones {
            self_open: Some(vn_day_start(date!(2024 - 11 - 01))),
            appraisal_open: Some(vn_day_start(date!(2025 - 01 - 06))),
            approval: Some(vn_day_start(date!(2025 - 02 - 10))),
            ..Milestones::default()
        };
        assert_eq!(plan.validate(), []);
        assert_eq!(
            plan.phase_at(datetime!(2025-01-05 12:00 +7)),
            Phase::SelfAssessment
        );
        assert_eq!(
            plan.phase_at(datetime!(2025-02-09 12:00 +7)),
            Phase::Appraisal
        );
        assert_eq!(
            plan.phase_at(datetime!(2099-01-01 00:00 +7)),
            Phase::Approval
        );
        assert_eq!(
            Milestones::default().phase_at(datetime!(2025-01-01 0:00 UTC)),
            Phase::Preparation
        );
    }

    #[test]
    fn a_plan_with_milestones_out_of_order_or_empty_windows_is_reported() {
        let mut plan = plan_2024();
        plan.appraisal_open = Some(vn_day_start(date!(2024 - 12 - 01)));
        plan.explanation_close = plan.explanation_open;
        plan.self_open = None;
        let issues = plan.validate();
        assert_eq!(issues.len(), 3, "{issues:?}");
        assert_eq!(
            issues[0].to_string(),
            "mốc \"mở thẩm định\" (01/12/2024 00:00) sớm hơn mốc \"hết hạn tự đánh giá\" \
             (16/12/2024 00:00) đứng trước nó"
        );
        assert!(issues.contains(&MilestoneIssue::EmptyWindow(Window::Explanation)));
        assert!(issues.contains(&MilestoneIssue::CloseWithoutOpen(Window::SelfAssessment)));
    }

    #[test]
    fn milestones_round_trip_through_json_as_rfc3339_and_may_be_omitted() {
        let plan = plan_2024();
        let json = serde_json::to_string(&plan).unwrap();
        assert!(
            json.contains("\"self_open\":\"2024-11-01T00:00:00+07:00\""),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Milestones>(&json).unwrap(), plan);
        let sparse: Milestones =
            serde_json::from_str(r#"{"publication":"2025-03-01T00:00:00+07:00"}"#).unwrap();
        assert_eq!(sparse.set().len(), 1);
    }

    #[test]
    fn names_are_stable_and_parse_back_and_match_the_serialised_form() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
            assert!(!s.label_vi().is_empty() && !s.label_en().is_empty());
        }
        for p in Phase::ALL {
            assert_eq!(Phase::parse(p.as_str()), Some(p));
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.as_str())
            );
            assert!(!p.label_vi().is_empty() && !p.label_en().is_empty());
        }
        for t in T::ALL {
            assert_eq!(T::parse(t.as_str()), Some(t));
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{}\"", t.as_str())
            );
            assert!(!t.label_vi().is_empty() && !t.label_en().is_empty());
        }
        for m in Milestone::ALL {
            assert_eq!(
                serde_json::to_string(&m).unwrap(),
                format!("\"{}\"", m.as_str())
            );
            assert!(!m.label_vi().is_empty());
        }
        assert_eq!(S::parse("submitted "), Some(S::Submitted));
        assert_eq!(S::parse("nộp"), None);
    }

    #[test]
    fn every_step_needs_an_action_some_role_holds_on_a_leaf() {
        let period = PeriodCode::parse("2024").unwrap();
        let unit = UnitCode::parse("SNV").unwrap();
        let leaf = Resource::Leaf {
            period: period.clone(),
            unit: unit.clone(),
            node: NodeCode::parse("1.1").unwrap(),
        };
        let roles = [
            Role::Admin,
            Role::UnitLeader { unit },
            Role::Appraiser {
                scope: AppraiserScope::everything(),
            },
            Role::CouncilChair,
        ];
        for t in T::ALL {
            let holders = roles
                .iter()
                .filter(|r| {
                    let who =
                        Principal::new("x", vec![Grant::in_period((*r).clone(), period.clone())]);
                    can(&who, t.action(), &leaf)
                })
                .count();
            assert_eq!(holders, 1, "{t:?} is taken by exactly one kind of role");
        }
    }

    /// What has happened since the last reopening, to judge whether a state is possible.
    #[derive(Debug, Default)]
    struct History {
        ever_saved: bool,
        submitted: bool,
        closed: bool,
        appraisal_started: bool,
        requested: bool,
        answered: bool,
    }

    fn any_step() -> impl Strategy<Value = (T, Phase)> {
        (0..T::ALL.len(), 0..Phase::ALL.len()).prop_map(|(t, p)| (T::ALL[t], Phase::ALL[p]))
    }

    proptest! {
        #[test]
        fn random_steps_never_reach_an_impossible_state(
            steps in prop::collection::vec(any_step(), 0..80)
        ) {
            let mut state = S::NotStarted;
            let mut reopened = false;
            let mut h = History::default();
            for (step, phase) in steps {
                let Ok(to) = apply(state, step, Context { phase, reopened }) else { continue };
                prop_assert_ne!(phase, Phase::Published);
                if state == S::Finalised {
                    prop_assert_eq!(step, T::Reopen, "only reopening leaves Finalised");
                }
                if to == S::Finalised {
                    prop_assert_eq!(step, T::Finalise);
                }
                match step {
                    T::SaveDraft => h.ever_saved = true,
                    T::Submit => h.submitted = true,
                    T::CloseUnsubmitted => h.closed = true,
                    T::StartAppraisal => h.appraisal_started = true,
                    T::RequestExplanation => h.requested = true,
                    T::AnswerExplanation => h.answered = true,
                    T::Reopen => {
                        h = History { ever_saved: h.ever_saved, ..History::default() };
                    }
                    T::Appraise | T::Finalise => {}
                }
                match to {
                    S::NotStarted => prop_assert!(!h.ever_saved),
                    S::Draft => prop_assert!(!h.submitted && !h.closed),
                    S::Submitted => prop_assert!(h.submitted && !h.closed && !h.appraisal_started),
                    S::ClosedUnsubmitted => {
                        prop_assert!(h.closed && !h.submitted && !h.appraisal_started)
                    }
                    S::UnderAppraisal => prop_assert!(h.appraisal_started && !h.requested),
                    S::ExplanationRequested => prop_assert!(h.requested && !h.answered),
                    S::Explained => prop_assert!(h.requested && h.answered),
                    S::Finalised => prop_assert!((h.submitted || h.closed) && h.appraisal_started),
                }
                if matches!(to, S::UnderAppraisal | S::ExplanationRequested | S::Explained) {
                    prop_assert!(h.submitted != h.closed, "submitted or closed, never both");
                }
                reopened = reopened_after(step, reopened);
                state = to;
            }
        }

        #[test]
        fn only_an_unsubmitted_assessment_is_closed_and_only_after_the_deadline(
            state in 0..S::ALL.len(), phase in 0..Phase::ALL.len(), reopened in any::<bool>()
        ) {
            let (state, phase) = (S::ALL[state], Phase::ALL[phase]);
            let out = apply(state, T::CloseUnsubmitted, Context { phase, reopened });
            let unsubmitted = matches!(state, S::NotStarted | S::Draft);
            let after_deadline = phase > Phase::SelfAssessment && phase < Phase::Published;
            prop_assert_eq!(out.is_ok(), unsubmitted && after_deadline);
            if let Ok(to) = out {
                prop_assert_eq!(to, S::ClosedUnsubmitted);
                let ctx = Context { phase, reopened };
                prop_assert!(!unit_may_edit(to, ctx));
                prop_assert!(!unit_may_submit(to, ctx));
            }
            if unsubmitted && phase <= Phase::SelfAssessment {
                prop_assert_eq!(out, Err(E::DeadlineNotReached));
            }
        }

        #[test]
        fn a_finalised_assessment_moves_only_when_the_administrator_reopens_it(
            step in 0..T::ALL.len(), phase in 0..Phase::ALL.len(), reopened in any::<bool>()
        ) {
            let (step, phase) = (T::ALL[step], Phase::ALL[phase]);
            let out = apply(S::Finalised, step, Context { phase, reopened });
            if step == T::Reopen && phase != Phase::Preparation && phase != Phase::Published {
                prop_assert_eq!(out, Ok(S::Draft));
            } else {
                prop_assert!(out.is_err());
            }
        }

        #[test]
        fn in_a_valid_plan_the_phase_never_goes_back_as_time_passes(
            mut offsets in prop::collection::vec(0i64..400, 8),
            keep in prop::collection::vec(any::<bool>(), 8),
            a in 0i64..420, b in 0i64..420,
        ) {
            offsets.sort_unstable();
            let base = datetime!(2024-11-01 00:00 +7);
            let day = |d: i64| base + time::Duration::days(d);
            let mut plan = Milestones::default();
            let slots = [
                &mut plan.self_open, &mut plan.self_close, &mut plan.appraisal_open,
                &mut plan.appraisal_close, &mut plan.explanation_open,
                &mut plan.explanation_close, &mut plan.approval, &mut plan.publication,
            ];
            for ((slot, off), k) in slots.into_iter().zip(&offsets).zip(&keep) {
                *slot = k.then(|| day(*off));
            }
            let ordered = plan
                .validate()
                .iter()
                .all(|i| !matches!(i, MilestoneIssue::OutOfOrder { .. }));
            prop_assert!(ordered);
            let (early, late) = (a.min(b), a.max(b));
            prop_assert!(plan.phase_at(day(early)) <= plan.phase_at(day(late)));
        }
    }
}
