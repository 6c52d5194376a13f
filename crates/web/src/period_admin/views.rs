//! View models of period administration and the to-do list: the service's data turned into
//! the exact strings the pages show (dd/mm/yyyy dates, translated names, links), so templates
//! only lay them out.

use askama::Template;
use chiso_domain::UnitKind;
use chiso_domain::workflow::{self, AssessmentState, Context, Milestone, Phase};
use chiso_services::records::Period;
use time::OffsetDateTime;

use super::progress::{self, PlanDraft};
use crate::error::FormError;
use crate::format::{self, DASH, segment};
use crate::i18n::Lang;
use crate::pages::PageCtx;
use crate::unit_admin::FieldErrors;
use chiso_services::periods::{PeriodsOverview, Setup};
use chiso_services::todo::{Place, Shortcut, Task, TodoItem};

pub(crate) const LIST: &str = "/quan-tri/ky-danh-gia";

/// Address of a period's setup page.
pub(crate) fn setup_href(code: &str) -> String {
    format!("{LIST}/{}", segment(code))
}

fn state_key(s: AssessmentState) -> &'static str {
    match s {
        AssessmentState::NotStarted => "periods.state.not_started",
        AssessmentState::Draft => "periods.state.draft",
        AssessmentState::Submitted => "periods.state.submitted",
        AssessmentState::ClosedUnsubmitted => "periods.state.closed_unsubmitted",
        AssessmentState::UnderAppraisal => "periods.state.under_appraisal",
        AssessmentState::ExplanationRequested => "periods.state.explanation_requested",
        AssessmentState::Explained => "periods.state.explained",
        AssessmentState::Finalised => "periods.state.finalised",
    }
}

fn phase_key(p: Phase) -> &'static str {
    match p {
        Phase::Preparation => "periods.phase.preparation",
        Phase::SelfAssessment => "periods.phase.self_assessment",
        Phase::SelfAssessmentClosed => "periods.phase.self_assessment_closed",
        Phase::Appraisal => "periods.phase.appraisal",
        Phase::AppraisalClosed => "periods.phase.appraisal_closed",
        Phase::Explanation => "periods.phase.explanation",
        Phase::ExplanationClosed => "periods.phase.explanation_closed",
        Phase::Approval => "periods.phase.approval",
        Phase::Published => "periods.phase.published",
    }
}

fn kind_key(k: UnitKind) -> &'static str {
    match k {
        UnitKind::Province => "periods.kind.province",
        UnitKind::Ministry => "periods.kind.ministry",
        UnitKind::Department => "periods.kind.department",
        UnitKind::District => "periods.kind.district",
        UnitKind::Commune => "periods.kind.commune",
        UnitKind::Ward => "periods.kind.ward",
        UnitKind::Township => "periods.kind.township",
        UnitKind::SpecialZone => "periods.kind.special_zone",
        UnitKind::Other => "periods.kind.other",
    }
}

use chiso_services::publication::{STATUS_CORRECTING, decision_text};

/// Status of a published period (frozen).
const STATUS_PUBLISHED: &str = "published";

fn status_label(lang: Lang, p: &Period) -> String {
    lang.lookup(&format!("periods.status.{}", p.status))
        .map_or_else(|| p.status.clone(), str::to_owned)
}

/// "hết ngày 15/12/2024" for a closing milestone, "ngày 16/12/2024" otherwise.
fn deadline_label(lang: Lang, m: Milestone, at: OffsetDateTime) -> String {
    let key = if progress::closes(m) {
        "periods.until_day"
    } else {
        "periods.on_day"
    };
    lang.tf(key, &[("day", &progress::day_of(m, at))])
}

/// An option of a `<select>`.
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One line of the list of periods.
pub(crate) struct PeriodRow {
    pub code: String,
    pub name: String,
    pub year: String,
    pub status: String,
    pub phase: String,
    pub members: String,
    pub href: String,
}

/// The creation form as typed.
#[derive(Debug, Clone, Default)]
pub(crate) struct PeriodDraft {
    pub code: String,
    pub name: String,
    pub year: String,
    pub previous: String,
}

/// `GET /quan-tri/ky-danh-gia`.
#[derive(Template)]
#[template(path = "periods_list.html")]
pub(crate) struct PeriodsPage {
    pub ctx: PageCtx,
    pub title: &'static str,
    pub rows: Vec<PeriodRow>,
    pub may_create: bool,
    pub previous: Vec<Choice>,
    pub draft: PeriodDraft,
    pub notice: Option<String>,
    /// A refusal that is not about one field (shown above the form).
    pub error: Option<String>,
    /// Every mistake of the form, next to its field and listed above the form.
    pub errors: FieldErrors,
}

impl PeriodsPage {
    pub fn new(
        ctx: PageCtx,
        overview: &PeriodsOverview,
        draft: PeriodDraft,
        notice: Option<String>,
        error: Option<String>,
        errors: FieldErrors,
    ) -> Self {
        let lang = ctx.lang;
        let rows = overview
            .periods
            .iter()
            .map(|l| PeriodRow {
                code: l.period.code.to_string(),
                name: l.period.name.clone(),
                year: l.period.year.to_string(),
                status: status_label(lang, &l.period),
                phase: lang.t(phase_key(l.phase)).to_owned(),
                members: format::count(i64::try_from(l.members).unwrap_or(i64::MAX)),
                href: setup_href(l.period.code.as_str()),
            })
            .collect();
        let previous = overview
            .periods
            .iter()
            .map(|l| Choice {
                value: l.period.code.to_string(),
                label: format!("{} ({})", l.period.name, l.period.code),
                selected: draft.previous == l.period.code.as_str(),
            })
            .collect();
        PeriodsPage {
            title: ctx.t("periods.title"),
            ctx,
            rows,
            may_create: overview.may_create,
            previous,
            draft,
            notice,
            error,
            errors,
        }
    }
}

/// A group in the setup page.
pub(crate) struct GroupView {
    pub name: String,
    pub set: String,
    pub set_name: String,
    pub sets: Vec<Choice>,
    pub count: String,
    pub empty: bool,
    pub members: Vec<MemberView>,
}

/// A participating unit in the setup page.
pub(crate) struct MemberView {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub ranked: bool,
    pub ranked_label: &'static str,
    pub state: &'static str,
    pub groups: Vec<Choice>,
    pub href: String,
    pub removable: bool,
}

/// A unit that can be added.
pub(crate) struct CandidateView {
    pub code: String,
    pub name: String,
    pub kind: String,
}

/// A milestone field of the plan form.
pub(crate) struct MilestoneField {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub value: String,
    pub error: Option<String>,
}

impl MilestoneField {
    /// The id of the hint below the field, which describes it.
    pub fn hint_id(&self) -> String {
        format!("ms-{}-hint", self.name)
    }
}

/// A count on the dashboard, linking to the units it counts.
pub(crate) struct CountView {
    pub label: &'static str,
    pub count: String,
    pub href: String,
    pub state: &'static str,
    pub current: bool,
}

/// A line of the progress dashboard.
pub(crate) struct ProgressRow {
    pub code: String,
    pub name: String,
    pub group: String,
    pub state: &'static str,
    pub state_class: &'static str,
    pub reopened: bool,
    pub deadline: String,
    pub overdue: bool,
    pub self_href: String,
    pub appraisal_href: String,
    /// The unit did not submit and the deadline has passed: the administrator may close its
    /// self-assessment (hết hạn, không nộp) with this form.
    pub closable: bool,
    pub close_href: String,
    /// "Đóng ngày dd/mm/yyyy (login): lý do" once closed as not submitted.
    pub closed: Option<String>,
}

/// A unit withdrawn from the period, listed under the progress table.
pub(crate) struct WithdrawnView {
    pub code: String,
    pub name: String,
    pub when: String,
    pub who: String,
    pub reason: String,
}

/// Which part of the setup page an error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Groups,
    Members,
    Plan,
    Publication,
    Progress,
}

/// `GET /quan-tri/ky-danh-gia/{period}`.
#[derive(Template)]
#[template(path = "periods_setup.html")]
pub(crate) struct SetupPage {
    pub ctx: PageCtx,
    pub title: String,
    pub code: String,
    pub href: String,
    pub year: String,
    pub status: String,
    pub previous: String,
    pub phase: String,
    /// "Giai đoạn ngày dd/mm/yyyy".
    pub phase_on: String,
    pub notice: Option<String>,
    pub groups_error: Option<String>,
    pub members_error: Option<String>,
    pub plan_error: Option<String>,
    pub groups: Vec<GroupView>,
    pub all_sets: Vec<Choice>,
    pub group_choices: Vec<Choice>,
    pub query: String,
    pub candidates: Vec<CandidateView>,
    pub candidates_more: bool,
    /// "N units are not in the period".
    pub outside: String,
    /// Some unit is not in the period yet (else there is nothing to search).
    pub has_outside: bool,
    pub kinds: Vec<Choice>,
    pub fields: Vec<MilestoneField>,
    pub counts: Vec<CountView>,
    pub overdue_count: String,
    pub overdue_href: String,
    pub overdue_current: bool,
    pub all_href: String,
    /// No filter is applied to the dashboard.
    pub all_current: bool,
    /// "N units take part; phase …".
    pub progress_lead: String,
    pub rows: Vec<ProgressRow>,
    pub total: String,
    pub publication: PublicationView,
    /// A refused closing, shown above the progress table.
    pub progress_error: Option<String>,
    /// Units withdrawn from the period, oldest first.
    pub withdrawn: Vec<WithdrawnView>,
}

/// The publication section: versions so far, and the form that fits the period's state.
pub(crate) struct PublicationView {
    /// "Phiên bản 1 — Quyết định số … (lý do)", oldest first.
    pub versions: Vec<String>,
    /// Not published yet, or a correction is open: the publish form is offered.
    pub may_publish: bool,
    /// A correction is open: the publish form asks for the reason.
    pub correcting: bool,
    /// Published: the correction form is offered.
    pub may_correct: bool,
    pub draft: PublishDraft,
    pub error: Option<String>,
    /// Where the public reads the results.
    pub public_href: String,
}

/// The publish form as typed.
#[derive(Debug, Default, Clone)]
pub(crate) struct PublishDraft {
    pub decision: String,
    pub date: String,
    pub reason: String,
}

/// What the setup page shows besides the stored data.
#[derive(Debug, Default)]
pub(crate) struct SetupExtras {
    pub(crate) query: String,
    /// `tt`: the state (or `overdue`) the dashboard is filtered on.
    pub(crate) filter: String,
    pub(crate) notice: Option<String>,
    /// A rejected form: where, and its message.
    pub(crate) error: Option<(Section, String)>,
    /// A rejected plan: the typed days and a message per field.
    pub(crate) plan: Option<(PlanDraft, Vec<(Milestone, FormError)>)>,
    /// A rejected publication or correction: what was typed.
    pub(crate) publish: Option<PublishDraft>,
}

impl SetupPage {
    pub fn new(ctx: PageCtx, s: &Setup, now: OffsetDateTime, extras: SetupExtras) -> Self {
        let lang = ctx.lang;
        let code = s.period.code.to_string();
        let href = setup_href(&code);
        let group_names: Vec<String> = s.groups.iter().map(|g| g.name.to_string()).collect();
        let group_choices = |selected: &str| -> Vec<Choice> {
            group_names
                .iter()
                .map(|g| Choice {
                    value: g.clone(),
                    label: g.clone(),
                    selected: g == selected,
                })
                .collect()
        };
        let set_choices = |selected: &str| -> Vec<Choice> {
            s.sets
                .iter()
                .map(|x| Choice {
                    value: x.code.to_string(),
                    label: format!("{} — {} ({})", x.code, x.name, x.year),
                    selected: x.code.as_str() == selected,
                })
                .collect()
        };
        let groups = s
            .groups
            .iter()
            .map(|g| GroupView {
                name: g.name.to_string(),
                set: g.set.to_string(),
                set_name: g.set_name.clone().unwrap_or_default(),
                sets: set_choices(g.set.as_str()),
                count: format::count(i64::try_from(g.members.len()).unwrap_or(i64::MAX)),
                empty: g.members.is_empty(),
                members: g
                    .members
                    .iter()
                    .map(|m| MemberView {
                        code: m.unit.to_string(),
                        name: m.name.clone(),
                        kind: m
                            .kind
                            .map_or_else(String::new, |k| lang.t(kind_key(k)).to_owned()),
                        ranked: m.ranked,
                        ranked_label: lang.t(if m.ranked {
                            "periods.ranked_yes"
                        } else {
                            "periods.ranked_no"
                        }),
                        state: lang.t(state_key(m.state)),
                        groups: group_choices(g.name.as_str()),
                        href: format!("{href}/don-vi/{}", segment(m.unit.as_str())),
                        removable: m.state == AssessmentState::NotStarted,
                    })
                    .collect(),
            })
            .collect();

        let draft = extras
            .plan
            .as_ref()
            .map_or_else(|| PlanDraft::of(&s.plan), |(d, _)| d.clone());
        let field_errors = extras
            .plan
            .as_ref()
            .map(|(_, e)| e.as_slice())
            .unwrap_or(&[]);
        let fields = Milestone::ALL
            .into_iter()
            .map(|m| {
                let errors: Vec<String> = field_errors
                    .iter()
                    .filter(|(f, _)| *f == m)
                    .map(|(_, e)| progress::message(e, lang))
                    .collect();
                MilestoneField {
                    name: m.as_str(),
                    label: lang.t(progress::milestone_key(m)),
                    hint: lang.t(if progress::closes(m) {
                        "periods.ms.hint_until"
                    } else {
                        "periods.ms.hint_from"
                    }),
                    value: draft.day(m).to_owned(),
                    error: (!errors.is_empty()).then(|| errors.join(" ")),
                }
            })
            .collect();

        let filter = extras.filter.as_str();
        let progress_href = |tt: &str| {
            if tt.is_empty() {
                format!("{href}#tien-do")
            } else {
                format!("{href}?tt={tt}#tien-do")
            }
        };
        let counts = s
            .progress
            .counts
            .iter()
            .map(|(state, n)| CountView {
                label: lang.t(state_key(*state)),
                count: format::count(i64::try_from(*n).unwrap_or(i64::MAX)),
                href: progress_href(state.as_str()),
                state: state.as_str(),
                current: filter == state.as_str(),
            })
            .collect();
        let rows = s
            .progress
            .lines
            .iter()
            .filter(|l| match filter {
                "" => true,
                "overdue" => l.overdue,
                f => l.assessment.state.as_str() == f,
            })
            .map(|l| ProgressRow {
                closable: l.group.is_some()
                    && workflow::may_close_unsubmitted(
                        l.assessment.state,
                        Context {
                            phase: s.progress.phase,
                            reopened: l.assessment.reopened,
                        },
                    ),
                close_href: format!("{href}/don-vi/{}/dong", segment(l.unit.as_str())),
                closed: l.assessment.closed.as_ref().map(|c| {
                    let mut text = lang.tf(
                        "periods.close.closed_on",
                        &[("day", &format::date(c.at)), ("who", &c.by)],
                    );
                    if let Some(r) = &c.reason {
                        text.push_str(": ");
                        text.push_str(r);
                    }
                    text
                }),
                code: l.unit.to_string(),
                name: l.name.clone(),
                group: l.group.as_ref().map_or_else(
                    || lang.t("periods.left_period").to_owned(),
                    |g| g.to_string(),
                ),
                state: lang.t(state_key(l.assessment.state)),
                state_class: l.assessment.state.as_str(),
                reopened: l.assessment.reopened,
                deadline: l
                    .deadline
                    .map_or_else(|| DASH.to_owned(), |(m, at)| deadline_label(lang, m, at)),
                overdue: l.overdue,
                self_href: format!(
                    "/ky/{}/tu-danh-gia/{}",
                    segment(&code),
                    segment(l.unit.as_str())
                ),
                appraisal_href: format!(
                    "/ky/{}/tham-dinh/{}",
                    segment(&code),
                    segment(l.unit.as_str())
                ),
            })
            .collect();

        let error_in = |section: Section| {
            extras
                .error
                .as_ref()
                .filter(|(s, _)| *s == section)
                .map(|(_, m)| m.clone())
        };
        let plan_error = error_in(Section::Plan).or_else(|| {
            extras
                .plan
                .as_ref()
                .map(|_| lang.t("periods.ms.rejected").to_owned())
        });
        SetupPage {
            title: s.period.name.clone(),
            year: s.period.year.to_string(),
            status: status_label(lang, &s.period),
            previous: s
                .period
                .previous
                .as_ref()
                .map_or_else(|| DASH.to_owned(), ToString::to_string),
            phase: lang.t(phase_key(s.progress.phase)).to_owned(),
            phase_on: lang.tf("periods.phase_on", &[("day", &format::date(now))]),
            notice: extras.notice,
            groups_error: error_in(Section::Groups),
            members_error: error_in(Section::Members),
            plan_error,
            groups,
            all_sets: set_choices(""),
            group_choices: group_choices(""),
            query: extras.query.clone(),
            candidates: s
                .candidates
                .iter()
                .map(|u| CandidateView {
                    code: u.code.to_string(),
                    name: u.name.clone(),
                    kind: lang.t(kind_key(u.kind)).to_owned(),
                })
                .collect(),
            has_outside: s.outside > 0,
            candidates_more: s.candidates.len() >= chiso_services::periods::MAX_CANDIDATES,
            outside: lang.tf(
                "periods.outside",
                &[(
                    "n",
                    &format::count(i64::try_from(s.outside).unwrap_or(i64::MAX)),
                )],
            ),
            kinds: s
                .kinds
                .iter()
                .map(|(k, n)| Choice {
                    value: k.as_str().to_owned(),
                    label: format!(
                        "{} ({})",
                        lang.t(kind_key(*k)),
                        format::count(i64::try_from(*n).unwrap_or(i64::MAX))
                    ),
                    selected: false,
                })
                .collect(),
            fields,
            counts,
            overdue_count: format::count(i64::try_from(s.progress.overdue).unwrap_or(i64::MAX)),
            overdue_href: progress_href("overdue"),
            overdue_current: filter == "overdue",
            all_href: progress_href(""),
            all_current: filter.is_empty(),
            progress_lead: lang.tf(
                "periods.progress_lead",
                &[
                    (
                        "n",
                        &format::count(i64::try_from(s.progress.lines.len()).unwrap_or(i64::MAX)),
                    ),
                    ("phase", lang.t(phase_key(s.progress.phase))),
                ],
            ),
            total: format::count(i64::try_from(s.progress.lines.len()).unwrap_or(i64::MAX)),
            rows,
            progress_error: error_in(Section::Progress),
            withdrawn: s
                .progress
                .withdrawn
                .iter()
                .map(|w| WithdrawnView {
                    code: w.unit.to_string(),
                    name: w.name.clone(),
                    when: format::date(w.withdrawal.at),
                    who: w.withdrawal.by.clone(),
                    reason: w.withdrawal.reason.clone(),
                })
                .collect(),
            publication: PublicationView {
                versions: s
                    .publications
                    .iter()
                    .map(|v| {
                        let decision = decision_text(&v.decision, v.decided_on);
                        match &v.reason {
                            Some(r) => lang.tf(
                                "periods.pub.version_reason",
                                &[
                                    ("n", &v.version.to_string()),
                                    ("decision", &decision),
                                    ("reason", r),
                                ],
                            ),
                            None => lang.tf(
                                "periods.pub.version",
                                &[("n", &v.version.to_string()), ("decision", &decision)],
                            ),
                        }
                    })
                    .collect(),
                may_publish: s.period.status != STATUS_PUBLISHED,
                correcting: s.period.status == STATUS_CORRECTING,
                may_correct: s.period.status == STATUS_PUBLISHED,
                draft: extras.publish.clone().unwrap_or_default(),
                error: error_in(Section::Publication),
                public_href: format!("/ky/{}", segment(&code)),
            },
            code,
            href,
            ctx,
        }
    }
}

/// A line of the to-do list.
pub(crate) struct TodoRow {
    pub what: String,
    pub period: String,
    pub deadline: String,
    pub overdue: bool,
    pub href: String,
}

/// `GET /viec-can-lam`.
#[derive(Template)]
#[template(path = "todo.html")]
pub(crate) struct TodoPage {
    pub ctx: PageCtx,
    pub title: &'static str,
    pub rows: Vec<TodoRow>,
    /// "N tasks are overdue", when any is.
    pub summary: Option<String>,
    /// The pages the person's roles lead to, as (label, period, address).
    pub shortcuts: Vec<(String, String, String)>,
}

impl TodoPage {
    pub fn new(ctx: PageCtx, items: &[TodoItem], shortcuts: &[Shortcut]) -> Self {
        let lang = ctx.lang;
        let rows = items
            .iter()
            .map(|i| {
                let unit = i.unit.as_ref().map_or("", |(_, n)| n.as_str());
                let n = |n: usize| n.to_string();
                let what = match i.task {
                    Task::FillIn => lang.tf("todo.fill_in", &[("unit", unit)]),
                    Task::Submit => lang.tf("todo.submit", &[("unit", unit)]),
                    Task::Answer(k) => lang.tf("todo.answer", &[("unit", unit), ("n", &n(k))]),
                    Task::Appraise => lang.tf("todo.appraise", &[("unit", unit)]),
                    Task::Reappraise(k) => {
                        lang.tf("todo.reappraise", &[("unit", unit), ("n", &n(k))])
                    }
                    Task::Approve(k) => lang.tf("todo.approve", &[("n", &n(k))]),
                    Task::Overdue(k) => lang.tf("todo.overdue_units", &[("n", &n(k))]),
                };
                TodoRow {
                    what,
                    period: i.period_name.clone(),
                    deadline: i.deadline.map_or_else(
                        || lang.t("todo.no_deadline").to_owned(),
                        |(m, at)| deadline_label(lang, m, at),
                    ),
                    overdue: i.overdue,
                    href: todo_href(i),
                }
            })
            .collect();
        let overdue = items.iter().filter(|i| i.overdue).count();
        TodoPage {
            title: ctx.t("todo.title"),
            summary: (overdue > 0)
                .then(|| lang.tf("todo.overdue_summary", &[("n", &overdue.to_string())])),
            shortcuts: shortcuts
                .iter()
                .map(|s| {
                    let period = segment(s.period.as_str());
                    let (label, href) = match &s.place {
                        Place::SelfAssessment(u, name) => (
                            lang.tf("todo.place_self", &[("unit", name)]),
                            format!("/ky/{period}/tu-danh-gia/{}", segment(u.as_str())),
                        ),
                        Place::Appraisal => (
                            lang.t("todo.place_appraisal").to_owned(),
                            format!("/ky/{period}/tham-dinh"),
                        ),
                        Place::Approval => (
                            lang.t("todo.place_approval").to_owned(),
                            format!("/ky/{period}/phe-duyet"),
                        ),
                    };
                    (label, s.period_name.clone(), href)
                })
                .collect(),
            ctx,
            rows,
        }
    }
}

/// Where the work of a to-do item is done.
fn todo_href(i: &TodoItem) -> String {
    let period = segment(i.period.as_str());
    match (i.task, &i.unit) {
        (Task::FillIn | Task::Submit | Task::Answer(_), Some((u, _))) => {
            format!("/ky/{period}/tu-danh-gia/{}", segment(u.as_str()))
        }
        (Task::Appraise | Task::Reappraise(_), Some((u, _))) => {
            format!("/ky/{period}/tham-dinh/{}", segment(u.as_str()))
        }
        (Task::Approve(_), _) => format!("/ky/{period}/phe-duyet"),
        _ => format!("/quan-tri/ky-danh-gia/{period}#tien-do"),
    }
}
