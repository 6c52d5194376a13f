//! The self-assessment page and the live preview, shaped for people: every figure in the
//! Vietnamese format, every label and problem worded in the person's language, links and form
//! field names ready, so the template only lays them out.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use chiso_domain::number::{NumberError, vi_input};
use chiso_domain::workflow::{LeafExplanation, SubmissionIssue, Window, WorkflowError};
use chiso_domain::{InputError, Method, Node, NodeCode, RawValue, Source};
use chiso_evidence::{FileKind, UploadError, format_size};
use chiso_services::dossier::StoredLeaf;
use rust_decimal::Decimal;
use serde::Serialize;
use time::{OffsetDateTime, UtcOffset};

use super::fields::{self, FieldProblem, InputKind, LeafFields, NumberField};
use super::service::{PreviewLeaves, Problem, Refusal, Sheet, Totals};
use crate::format::{self, DASH};
use crate::i18n::Lang;
use crate::navigator::{self, NavItem};
use crate::notice::Done;
use crate::pages::PageCtx;

/// Vietnam's offset, for times shown on the page.
const VIETNAM: UtcOffset = chiso_domain::workflow::VN_OFFSET;

/// The URL of a unit's self-assessment page.
pub(crate) fn base_href(period: &str, unit: &str) -> String {
    format!(
        "/ky/{}/tu-danh-gia/{}",
        format::segment(period),
        format::segment(unit)
    )
}

/// Points as shown: `89,83`.
fn pts(d: Decimal) -> String {
    format::num(d)
}

/// A time in Vietnam: `11/06/2024 08:30`.
fn when(t: OffsetDateTime) -> String {
    let t = t.to_offset(VIETNAM);
    format!("{} {:02}:{:02}", format::date(t), t.hour(), t.minute())
}

/// The last moment of a window that closes at `close`: "hết ngày 15/12/2024" when it closes at
/// midnight, else the exact time.
fn deadline(lang: Lang, close: OffsetDateTime) -> String {
    let local = close.to_offset(VIETNAM);
    if local.time() == time::Time::MIDNIGHT {
        let day = local - time::Duration::seconds(1);
        lang.tf("cycle.deadline_day", &[("date", &format::date(day))])
    } else {
        lang.tf("cycle.deadline_time", &[("time", &when(close))])
    }
}

/// Display names by login, for "saved by".
pub(crate) type Names = HashMap<String, String>;

fn name_of(lang: Lang, names: &Names, login: &str) -> String {
    crate::format::actor(lang, names, login)
}

/// One of several choices (a grade, yes/no).
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A document attached to a leaf.
pub(crate) struct FileView {
    pub id: i64,
    pub name: String,
    pub href: String,
    pub kind: String,
    pub size: String,
    pub by: String,
    pub at: String,
    pub removable: bool,
    pub remove_action: String,
    pub form_id: String,
}

/// One leaf's block.
pub(crate) struct LeafView {
    pub code: String,
    pub anchor: String,
    pub title: String,
    pub max: String,
    pub source: String,
    pub rule: Option<String>,
    pub evidence_rule: Option<String>,
    pub kind: &'static str,
    pub editable: bool,
    pub f: LeafFields,
    pub version: i64,
    pub sig: String,
    pub grades: Vec<Choice>,
    pub allow_na: bool,
    pub step: Option<String>,
    pub points: String,
    pub sentence: String,
    pub percent: String,
    pub value_text: String,
    pub errors: Vec<String>,
    pub saved: Option<String>,
    pub files: Vec<FileView>,
    pub can_upload: bool,
    pub upload_form: String,
    pub upload_action: String,
    pub needs_explanation: bool,
    pub explanation_missing: bool,
    pub request_anchor: Option<String>,
    pub readonly_note: Option<String>,
}

/// One area with its leaves.
pub(crate) struct AreaView {
    pub code: String,
    pub anchor: String,
    pub title: String,
    pub points: String,
    pub max: String,
    pub leaves: Vec<LeafView>,
}

/// One explanation request with its answer.
pub(crate) struct RequestView {
    pub id: i64,
    pub anchor: String,
    pub node: String,
    pub node_href: String,
    pub title: String,
    pub text: String,
    pub by: String,
    pub at: String,
    pub status: String,
    pub answer: Option<String>,
    pub answered: Option<String>,
    pub may_answer: bool,
    pub action: String,
    pub version: i64,
    pub draft: String,
    pub errors: Vec<String>,
}

/// A problem listed at the top of the page, linked to its leaf or request when it has one.
pub(crate) struct ProblemView {
    pub href: Option<String>,
    pub text: String,
}

/// A link to a leaf with a label.
pub(crate) struct LeafLink {
    pub href: String,
    pub label: String,
}

/// `GET /ky/{period}/tu-danh-gia/{unit}`.
#[derive(Template)]
#[template(path = "cycle_page.html")]
pub(crate) struct SelfPage {
    pub ctx: PageCtx,
    pub title: String,
    pub base: String,
    pub unit_name: String,
    pub unit_code: String,
    pub period_name: String,
    pub period_href: String,
    pub state: String,
    pub phase: String,
    pub deadline: Option<String>,
    pub submitted: Option<String>,
    pub version: i64,
    pub notice: Option<String>,
    pub problems: Vec<ProblemView>,
    pub editable: bool,
    pub closed: Option<String>,
    pub total_points: String,
    pub total_max: String,
    pub unfilled: Vec<LeafLink>,
    pub missing_explanation: Vec<LeafLink>,
    pub missing_evidence: Vec<LeafLink>,
    pub open_requests: Vec<LeafLink>,
    /// The "còn thiếu" bar: each kind of work left, with a link to the next criterion.
    pub todo_nav: Vec<NavItem>,
    /// The id of the values form the bar saves ("" when nothing can be edited).
    pub save_form: &'static str,
    pub show_submit: bool,
    pub can_submit: bool,
    pub submit_blocked: Option<String>,
    pub requests: Vec<RequestView>,
    pub areas: Vec<AreaView>,
    pub script: Option<String>,
    pub preview_url: String,
    pub accept: String,
    pub limit: String,
}

/// The messages of a workflow refusal, by locale key.
fn workflow_key(e: WorkflowError) -> &'static str {
    use Window as W;
    use WorkflowError as E;
    match e {
        E::NotOpen(W::SelfAssessment) => "cycle.wf.not_open_self_assessment",
        E::NotOpen(W::Appraisal) => "cycle.wf.not_open_appraisal",
        E::NotOpen(W::Explanation) => "cycle.wf.not_open_explanation",
        E::NotOpen(W::Reappraisal) => "cycle.wf.not_open_reappraisal",
        E::NotOpen(W::Approval) => "cycle.wf.not_open_approval",
        E::Closed(W::SelfAssessment) => "cycle.wf.closed_self_assessment",
        E::Closed(W::Appraisal) => "cycle.wf.closed_appraisal",
        E::Closed(W::Explanation) => "cycle.wf.closed_explanation",
        E::Closed(W::Reappraisal) => "cycle.wf.closed_reappraisal",
        E::Closed(W::Approval) => "cycle.wf.closed_approval",
        E::AlreadySubmitted => "cycle.wf.already_submitted",
        E::NothingToSubmit => "cycle.wf.nothing_to_submit",
        E::NotSubmitted => "cycle.wf.not_submitted",
        E::AppraisalNotStarted => "cycle.wf.appraisal_not_started",
        E::AppraisalAlreadyStarted => "cycle.wf.appraisal_already_started",
        E::ExplanationRoundOver => "cycle.wf.explanation_round_over",
        E::NoExplanationRequested => "cycle.wf.no_explanation_requested",
        E::NotAppraised => "cycle.wf.not_appraised",
        E::Locked => "cycle.wf.locked",
        E::Published => "cycle.wf.published",
        E::NothingToReopen => "cycle.wf.nothing_to_reopen",
        E::DeadlineNotReached => "cycle.wf.deadline_not_reached",
        E::ClosedUnsubmitted => "cycle.wf.closed_unsubmitted",
        E::AlreadyClosed => "cycle.wf.already_closed",
    }
}

/// A workflow refusal in `lang`.
pub(crate) fn workflow_message(lang: Lang, e: WorkflowError) -> String {
    lang.t(workflow_key(e)).to_owned()
}

/// A scoring method's refusal in `lang`.
fn input_message(lang: Lang, e: &InputError) -> String {
    match e {
        InputError::NotYesNo(v) => lang.tf("cycle.input.not_yes_no", &[("value", v)]),
        InputError::NotANumber(v) => lang.tf("cycle.input.not_a_number", &[("value", v)]),
        InputError::NotARatio(v) => lang.tf("cycle.input.not_a_ratio", &[("value", v)]),
        InputError::ZeroDenominator { num, den } => lang.tf(
            "cycle.input.zero_denominator",
            &[("num", num), ("den", den)],
        ),
        InputError::NumeratorAboveDenominator { num, den } => {
            lang.tf("cycle.input.numerator_above", &[("num", num), ("den", den)])
        }
        InputError::PercentOutOfRange(v) => {
            lang.tf("cycle.input.percent_out_of_range", &[("value", v)])
        }
        InputError::Negative(v) => lang.tf("cycle.input.negative", &[("value", v)]),
        InputError::UnknownGrade { given, allowed } => lang.tf(
            "cycle.input.unknown_grade",
            &[("value", given), ("allowed", allowed)],
        ),
        InputError::NotADate(v) => lang.tf("cycle.input.not_a_date", &[("value", v)]),
        InputError::AboveMax { value, max } => {
            lang.tf("cycle.input.above_max", &[("value", value), ("max", max)])
        }
        InputError::NotOnStep { value, step } => lang.tf(
            "cycle.input.not_on_step",
            &[("value", value), ("step", step)],
        ),
        InputError::NotApplicableRefused => lang.t("cycle.input.na_refused").to_owned(),
        InputError::WrongKind(kind) => lang.tf("cycle.input.wrong_kind", &[("kind", kind)]),
    }
}

/// A refused number in `lang`; numbers are written the Vietnamese way in both languages.
pub(crate) fn number_message(lang: Lang, e: &NumberError) -> String {
    match e {
        NumberError::NotANumber(v) => lang.tf("cycle.number.not_a_number", &[("value", v)]),
        NumberError::NotWhole(v) => lang.tf("cycle.number.not_whole", &[("value", v)]),
        NumberError::Ambiguous {
            typed,
            thousands,
            decimal,
        } => lang.tf(
            "cycle.number.ambiguous",
            &[
                ("value", typed),
                ("thousands", &vi_input(*thousands)),
                ("decimal", &vi_input(*decimal)),
            ],
        ),
    }
}

/// A leaf field's problem in `lang`.
pub(crate) fn field_message(lang: Lang, p: &FieldProblem) -> String {
    match p {
        FieldProblem::Input(e) => input_message(lang, e),
        FieldProblem::Number { field, error } => {
            let message = number_message(lang, error);
            match field {
                NumberField::Value => message,
                NumberField::Numerator => format!("{}: {message}", lang.t("cycle.numerator")),
                NumberField::Denominator => {
                    format!("{}: {message}", lang.t("cycle.denominator"))
                }
            }
        }
        FieldProblem::RatioIncomplete => lang.t("cycle.input.ratio_incomplete").to_owned(),
        FieldProblem::TextTooLong => lang.tf(
            "cycle.input.text_too_long",
            &[("max", &fields::MAX_TEXT_CHARS.to_string())],
        ),
    }
}

/// "PDF, PNG, JPG, …".
fn accepted_list() -> String {
    FileKind::ALL
        .iter()
        .flat_map(|k| k.extensions())
        .map(|e| e.to_uppercase())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `accept` attribute of file inputs.
fn accept_attr() -> String {
    FileKind::ALL
        .iter()
        .flat_map(|k| k.extensions())
        .map(|e| format!(".{e}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn kind_label(lang: Lang, kind: FileKind) -> String {
    match lang {
        Lang::Vi => kind.label().to_owned(),
        Lang::En => kind.as_str().to_uppercase(),
    }
}

/// An upload's refusal in `lang`, naming the file.
fn upload_message(lang: Lang, e: &UploadError) -> String {
    match e {
        UploadError::ForbiddenCharacter { name, found } => lang.tf(
            "cycle.upload.forbidden_character",
            &[
                ("name", name),
                ("char", &format!("U+{:04X}", u32::from(*found))),
            ],
        ),
        UploadError::PathTraversal { name } => {
            lang.tf("cycle.upload.path_traversal", &[("name", name)])
        }
        UploadError::EmptyName { name } => lang.tf("cycle.upload.empty_name", &[("name", name)]),
        UploadError::NameTooLong { chars, max } => lang.tf(
            "cycle.upload.name_too_long",
            &[("chars", &chars.to_string()), ("max", &max.to_string())],
        ),
        UploadError::MissingExtension { name } => lang.tf(
            "cycle.upload.missing_extension",
            &[("name", name), ("accepted", &accepted_list())],
        ),
        UploadError::ExtensionNotAllowed { name, extension } => lang.tf(
            "cycle.upload.extension_not_allowed",
            &[
                ("name", name),
                ("extension", extension),
                ("accepted", &accepted_list()),
            ],
        ),
        UploadError::TooLarge { name, limit } => lang.tf(
            "cycle.upload.too_large",
            &[("name", name), ("limit", &format_size(*limit))],
        ),
        UploadError::Empty { name } => lang.tf("cycle.upload.empty", &[("name", name)]),
        UploadError::KindMismatch {
            name,
            expected,
            found,
        } => lang.tf(
            "cycle.upload.kind_mismatch",
            &[
                ("name", name),
                ("expected", &kind_label(lang, *expected)),
                ("found", found),
            ],
        ),
        UploadError::Interrupted { name, .. } => {
            lang.tf("cycle.upload.interrupted", &[("name", name)])
        }
        UploadError::TooManyFiles { limit } => lang.tf(
            "cycle.upload.too_many_files",
            &[(
                "limit",
                &format::count(i64::try_from(*limit).unwrap_or(i64::MAX)),
            )],
        ),
        UploadError::LeafFull { limit, held } => lang.tf(
            "cycle.upload.leaf_full",
            &[
                (
                    "limit",
                    &format::count(i64::try_from(*limit).unwrap_or(i64::MAX)),
                ),
                (
                    "held",
                    &format::count(i64::try_from(*held).unwrap_or(i64::MAX)),
                ),
            ],
        ),
        UploadError::Storage { name, .. } => lang.tf("cycle.upload.storage", &[("name", name)]),
    }
}

fn issue_message(lang: Lang, issue: &SubmissionIssue) -> String {
    match issue {
        SubmissionIssue::MissingValue(node) => {
            lang.tf("cycle.issue.missing_value", &[("node", node.as_str())])
        }
        SubmissionIssue::MissingExplanation(node) => lang.tf(
            "cycle.issue.missing_explanation",
            &[("node", node.as_str())],
        ),
    }
}

/// A leaf's value as a short text: `Có`, `45/47 (95,74 %)`, `Hoàn thành tốt`, `(chưa nhập)`.
fn raw_text(lang: Lang, node: &Node, raw: Option<&RawValue>) -> String {
    let Some(raw) = raw else {
        return lang.t("cycle.value_empty").to_owned();
    };
    match raw {
        RawValue::Yes => lang.t("cycle.yes").to_owned(),
        RawValue::No => lang.t("cycle.no").to_owned(),
        RawValue::NotApplicable => lang.t("cycle.na").to_owned(),
        RawValue::Count(n) | RawValue::Points(n) => chiso_domain::fmt::vi_plain(*n),
        RawValue::Ratio { num, den } => {
            let pct = fields::ratio_percent(raw)
                .map_or_else(String::new, |p| format!(" ({} %)", format::num(p)));
            format!(
                "{}/{}{pct}",
                chiso_domain::fmt::vi_plain(*num),
                chiso_domain::fmt::vi_plain(*den)
            )
        }
        RawValue::Percent(p) => format!("{} %", format::num(*p)),
        RawValue::Grade(code) => match &node.method {
            Some(Method::Graded { grades }) => grades
                .iter()
                .find(|g| g.code == code.as_str())
                .map_or_else(|| code.to_string(), |g| g.label.clone()),
            _ => code.to_string(),
        },
        RawValue::Date(d) => chiso_domain::fmt::vi_date(*d),
    }
}

/// Typed fields as a short text, for a refusal that did not save them.
fn typed_text(lang: Lang, kind: &InputKind, f: &LeafFields) -> String {
    if f.na {
        return lang.t("cycle.na").to_owned();
    }
    let text = match kind {
        InputKind::YesNo => match f.value.trim() {
            "yes" => lang.t("cycle.yes").to_owned(),
            "no" => lang.t("cycle.no").to_owned(),
            "na" => lang.t("cycle.na").to_owned(),
            other => other.to_owned(),
        },
        InputKind::Ratio if !f.num.trim().is_empty() || !f.den.trim().is_empty() => {
            format!("{}/{}", f.num.trim(), f.den.trim())
        }
        _ => f.value.trim().to_owned(),
    };
    if text.is_empty() {
        lang.t("cycle.value_empty").to_owned()
    } else {
        text
    }
}

fn source_label(lang: Lang, s: Source) -> &'static str {
    match s {
        Source::Assessed => lang.t("cycle.source.assessed"),
        Source::Survey => lang.t("cycle.source.survey"),
        Source::Data => lang.t("cycle.source.data"),
        Source::Bonus => lang.t("cycle.source.bonus"),
        Source::Deduction => lang.t("cycle.source.deduction"),
    }
}

fn leaf_href(base: &str, node: &NodeCode) -> String {
    format!("{base}#leaf-{node}")
}

/// What a refused change leaves on the page.
#[derive(Debug, Default)]
pub(crate) struct Feedback {
    pub notice: Option<String>,
    pub refusal: Option<Refusal>,
}

impl SelfPage {
    /// Builds the page of `sheet` as its reader may see it.
    pub(crate) fn new(
        ctx: PageCtx,
        sheet: &Sheet,
        names: &Names,
        limit: u64,
        feedback: Feedback,
    ) -> Self {
        let lang = ctx.lang;
        let base = base_href(sheet.period.code.as_str(), sheet.unit.code.as_str());
        let editable = sheet.may_edit();
        let refusal = feedback.refusal.unwrap_or_else(|| Refusal {
            status: axum::http::StatusCode::OK,
            problems: Vec::new(),
            drafts: BTreeMap::new(),
            answers: BTreeMap::new(),
        });

        // Problems: those of a leaf go next to it, the rest at the top; every one is listed at
        // the top too, with a link, so nothing goes unnoticed on a long page.
        let mut problems = Vec::new();
        let mut leaf_errors: BTreeMap<NodeCode, Vec<String>> = BTreeMap::new();
        let mut answer_errors: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        let at_leaf = |node: &NodeCode, text: String| ProblemView {
            href: Some(leaf_href(&base, node)),
            text,
        };
        for p in &refusal.problems {
            match p {
                Problem::Field { node, problem } => {
                    let m = field_message(lang, problem);
                    problems.push(at_leaf(
                        node,
                        lang.tf(
                            "cycle.problem.leaf",
                            &[("node", node.as_str()), ("message", &m)],
                        ),
                    ));
                    leaf_errors.entry(node.clone()).or_default().push(m);
                }
                Problem::Stale { node, typed } => {
                    let Some(n) = sheet.set.find(node) else {
                        continue;
                    };
                    let stored = sheet.leaves.get(node);
                    let m = stale_message(lang, n, stored, typed, names);
                    problems.push(at_leaf(
                        node,
                        lang.tf(
                            "cycle.problem.leaf",
                            &[("node", node.as_str()), ("message", &m)],
                        ),
                    ));
                    leaf_errors.entry(node.clone()).or_default().push(m);
                }
                Problem::StaleAnswer { id, typed } => {
                    let r = sheet.requests.iter().find(|r| r.id == *id);
                    let m = lang.tf(
                        "cycle.problem.stale_answer",
                        &[
                            (
                                "who",
                                &r.and_then(|r| r.answered_by.as_deref())
                                    .map_or_else(|| DASH.to_owned(), |l| name_of(lang, names, l)),
                            ),
                            (
                                "at",
                                &r.and_then(|r| r.answered_at)
                                    .map_or_else(|| DASH.to_owned(), when),
                            ),
                            ("typed", typed),
                        ],
                    );
                    problems.push(ProblemView {
                        href: Some(format!("{base}#request-{id}")),
                        text: m.clone(),
                    });
                    answer_errors.entry(*id).or_default().push(m);
                }
                Problem::Issue(
                    issue @ (SubmissionIssue::MissingValue(node)
                    | SubmissionIssue::MissingExplanation(node)),
                ) => problems.push(at_leaf(node, issue_message(lang, issue))),
                Problem::Service(p) if p.args.first().is_some_and(|(k, _)| *k == "field") => {
                    let m = problem_message(lang, &Problem::Service(p.clone()));
                    match p.args.first().and_then(|(_, v)| NodeCode::parse(v).ok()) {
                        Some(node) => {
                            problems.push(at_leaf(&node, m.clone()));
                            leaf_errors.entry(node).or_default().push(m);
                        }
                        None => problems.push(ProblemView {
                            href: None,
                            text: m,
                        }),
                    }
                }
                other => problems.push(ProblemView {
                    href: None,
                    text: problem_message(lang, other),
                }),
            }
        }

        let closed = if editable {
            None
        } else if sheet.may_edit_at_all() {
            sheet.edit_refusal().map(|e| workflow_message(lang, e))
        } else {
            None
        };

        let totals = sheet.totals(&BTreeMap::new());
        let mut areas = Vec::new();
        for (area, leaves) in sheet.leaves_by_area() {
            let visible: Vec<&Node> = leaves
                .into_iter()
                .filter(|n| sheet.visible(&n.code))
                .collect();
            if visible.is_empty() {
                continue;
            }
            let (ap, am) = totals.areas.get(&area.code).copied().unwrap_or_default();
            areas.push(AreaView {
                code: area.code.to_string(),
                anchor: format!("area-{}", area.code),
                title: area.title.clone(),
                points: pts(ap),
                max: pts(am),
                leaves: visible
                    .into_iter()
                    .map(|n| {
                        leaf_view(
                            lang,
                            sheet,
                            n,
                            &base,
                            editable,
                            refusal.drafts.get(&n.code),
                            leaf_errors.remove(&n.code).unwrap_or_default(),
                            names,
                        )
                    })
                    .collect(),
            });
        }

        let link = |node: &NodeCode| LeafLink {
            href: leaf_href(&base, node),
            label: sheet
                .set
                .find(node)
                .map_or_else(|| node.to_string(), |n| format!("{} {}", n.code, n.title)),
        };
        let mut unfilled = Vec::new();
        let mut missing_explanation = Vec::new();
        let mut missing_evidence = Vec::new();
        // Both kinds of missing evidence, in the order of the page, for the navigator.
        let mut evidence_ids = Vec::new();
        for node in sheet.set.leaves() {
            if !fields::unit_enters(node) || !sheet.visible(&node.code) {
                continue;
            }
            let stored = sheet.leaves.get(&node.code).map(|l| &l.self_assessment);
            if super::service::required_leaf(node) && stored.is_none_or(|s| s.input.is_none()) {
                unfilled.push(link(&node.code));
            }
            if sheet.explanation_required(node) {
                evidence_ids.push(navigator::anchor_of(&link(&node.code).href));
                if stored
                    .and_then(|s| s.explanation.as_deref())
                    .is_none_or(|e| e.trim().is_empty())
                {
                    missing_explanation.push(link(&node.code));
                } else {
                    missing_evidence.push(link(&node.code));
                }
            }
        }
        let open_requests: Vec<LeafLink> = sheet
            .requests
            .iter()
            .filter(|r| r.status == LeafExplanation::Requested)
            .filter(|r| sheet.visible(&r.key.node))
            .map(|r| LeafLink {
                href: format!("{base}#request-{}", r.id),
                label: link(&r.key.node).label,
            })
            .collect();

        let ids = |links: &[LeafLink]| {
            links
                .iter()
                .map(|l| navigator::anchor_of(&l.href))
                .collect()
        };
        let todo_nav = [
            navigator::item(lang.t("cycle.nav.unfilled").to_owned(), ids(&unfilled)),
            navigator::item(lang.t("cycle.nav.evidence").to_owned(), evidence_ids),
            navigator::item(lang.t("cycle.nav.requests").to_owned(), ids(&open_requests)),
        ]
        .into_iter()
        .flatten()
        .collect();

        let show_submit = sheet.may_submit_at_all();
        let issues = sheet.submission_issues();
        let submit_blocked = match sheet.submit_refusal() {
            Some(e) => Some(workflow_message(lang, e)),
            None if !issues.is_empty() => Some(lang.tf(
                "cycle.submit_incomplete",
                &[("n", &issues.len().to_string())],
            )),
            None => None,
        };

        let requests = sheet
            .requests
            .iter()
            .filter(|r| sheet.visible(&r.key.node))
            .map(|r| {
                let may = sheet.may_answer(r);
                RequestView {
                    id: r.id,
                    anchor: format!("request-{}", r.id),
                    node: r.key.node.to_string(),
                    node_href: leaf_href(&base, &r.key.node),
                    title: sheet
                        .set
                        .find(&r.key.node)
                        .map(|n| n.title.clone())
                        .unwrap_or_default(),
                    text: r.request.clone(),
                    by: name_of(lang, names, &r.requested_by),
                    at: when(r.requested_at),
                    status: match r.status {
                        LeafExplanation::Answered => lang.t("cycle.request_answered").to_owned(),
                        _ => lang.t("cycle.request_open").to_owned(),
                    },
                    answer: r.answer.clone(),
                    answered: match (&r.answered_by, r.answered_at) {
                        (Some(by), Some(at)) => Some(lang.tf(
                            "cycle.answered_by",
                            &[("who", &name_of(lang, names, by)), ("at", &when(at))],
                        )),
                        _ => None,
                    },
                    may_answer: may,
                    action: format!("{base}/giai-trinh/{}", r.id),
                    version: r.version,
                    draft: refusal
                        .answers
                        .get(&r.id)
                        .cloned()
                        .or_else(|| r.answer.clone())
                        .unwrap_or_default(),
                    errors: answer_errors.remove(&r.id).unwrap_or_default(),
                }
            })
            .collect::<Vec<RequestView>>();
        let answering = requests.iter().any(|r| r.may_answer);

        let a = &sheet.assessment;
        SelfPage {
            title: lang.tf("cycle.title", &[("unit", &sheet.unit.name)]),
            preview_url: format!("{base}/xem-truoc"),
            base,
            unit_name: sheet.unit.name.clone(),
            unit_code: sheet.unit.code.to_string(),
            period_name: sheet.period.name.clone(),
            period_href: format!("/ky/{}", format::segment(sheet.period.code.as_str())),
            state: match lang {
                Lang::Vi => a.state.label_vi(),
                Lang::En => a.state.label_en(),
            }
            .to_owned(),
            phase: match lang {
                Lang::Vi => sheet.context.phase.label_vi(),
                Lang::En => sheet.context.phase.label_en(),
            }
            .to_owned(),
            deadline: sheet.milestones.self_close.map(|c| deadline(lang, c)),
            submitted: match (&a.submitted_by, a.submitted_at) {
                (Some(by), Some(at)) if a.state != chiso_domain::AssessmentState::Draft => {
                    Some(lang.tf(
                        "cycle.submitted_by",
                        &[("who", &name_of(lang, names, by)), ("at", &when(at))],
                    ))
                }
                _ => None,
            },
            version: a.version,
            notice: feedback.notice,
            problems,
            editable,
            closed,
            total_points: pts(totals.points),
            total_max: pts(totals.max),
            unfilled,
            missing_explanation,
            missing_evidence,
            open_requests,
            todo_nav,
            save_form: if editable { "cycle-values" } else { "" },
            show_submit,
            can_submit: show_submit && submit_blocked.is_none(),
            submit_blocked,
            requests,
            areas,
            script: (editable || answering).then(|| crate::assets::url("cycle.js")),
            accept: accept_attr(),
            limit: lang.tf(
                "cycle.upload_limits",
                &[
                    ("size", &format_size(limit)),
                    (
                        "per_request",
                        &chiso_evidence::MAX_FILES_PER_REQUEST.to_string(),
                    ),
                    ("per_leaf", &chiso_evidence::MAX_FILES_PER_LEAF.to_string()),
                ],
            ),
            ctx,
        }
    }
}

/// A problem that belongs to no leaf, in `lang`.
fn problem_message(lang: Lang, p: &Problem) -> String {
    match p {
        Problem::Workflow(e) => workflow_message(lang, *e),
        Problem::Moved => lang.t("cycle.problem.moved").to_owned(),
        Problem::Issue(issue) => issue_message(lang, issue),
        Problem::Upload(e) => upload_message(lang, e),
        Problem::NoFile => lang.t("cycle.problem.no_file").to_owned(),
        Problem::ValuesHeld => lang.t("cycle.values_held").to_owned(),
        Problem::StorageMissing => lang.t("cycle.problem.storage_missing").to_owned(),
        Problem::AnswerRequired => lang.t("cycle.problem.answer_required").to_owned(),
        Problem::AnswerTooLong => lang.tf(
            "cycle.problem.answer_too_long",
            &[("max", &super::service::MAX_ANSWER_CHARS.to_string())],
        ),
        Problem::AlreadyRemoved => lang.t("cycle.problem.already_removed").to_owned(),
        Problem::Service(p) => {
            let args: Vec<(&str, &str)> = p.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            lang.tf(&crate::error::service_key(p.code), &args)
        }
        Problem::Field { node, problem } => lang.tf(
            "cycle.problem.leaf",
            &[
                ("node", node.as_str()),
                ("message", &field_message(lang, problem)),
            ],
        ),
        Problem::Stale { node, .. } => lang.tf(
            "cycle.problem.leaf",
            &[
                ("node", node.as_str()),
                ("message", lang.t("cycle.problem.moved")),
            ],
        ),
        Problem::StaleAnswer { typed, .. } => lang.tf(
            "cycle.problem.stale_answer",
            &[("who", DASH), ("at", DASH), ("typed", typed)],
        ),
    }
}

/// "Saved meanwhile by …: the current value is …; yours (not saved) was …".
fn stale_message(
    lang: Lang,
    node: &Node,
    stored: Option<&StoredLeaf>,
    typed: &LeafFields,
    names: &Names,
) -> String {
    let kind = InputKind::of(node);
    let current = raw_text(
        lang,
        node,
        stored.and_then(|l| l.self_assessment.input.as_ref()),
    );
    let who = stored
        .and_then(|l| l.self_by.as_deref())
        .map_or_else(|| DASH.to_owned(), |l| name_of(lang, names, l));
    let at = stored
        .and_then(|l| l.self_at)
        .map_or_else(|| DASH.to_owned(), when);
    lang.tf(
        "cycle.problem.stale",
        &[
            ("who", &who),
            ("at", &at),
            ("version", &stored.map_or(0, |l| l.self_version).to_string()),
            ("current", &current),
            ("typed", &typed_text(lang, &kind, typed)),
        ],
    )
}

#[allow(clippy::too_many_arguments)]
fn leaf_view(
    lang: Lang,
    sheet: &Sheet,
    node: &Node,
    base: &str,
    editable: bool,
    draft: Option<&LeafFields>,
    errors: Vec<String>,
    names: &Names,
) -> LeafView {
    let kind = InputKind::of(node);
    let stored = sheet.leaves.get(&node.code);
    let shown = LeafFields::from_stored(&kind, stored);
    let sig = shown.signature();
    let f = draft.cloned().unwrap_or(shown);
    let current = sheet.current(node);
    let mut errors = errors;
    if let Some(e) = &current.error {
        errors.push(input_message(lang, e));
    }
    let (points, sentence, percent) = match &current.scored {
        Some((raw, outcome)) => (
            pts(outcome.points.value()),
            fields::explain(node, raw, outcome),
            fields::ratio_percent(raw).map_or_else(String::new, |p| format!("{} %", pts(p))),
        ),
        None => (DASH.to_owned(), String::new(), String::new()),
    };
    let grades = match &node.method {
        Some(Method::Graded { grades }) => grades
            .iter()
            .map(|g| Choice {
                value: g.code.clone(),
                label: format!("{} ({} %)", g.label, chiso_domain::fmt::vi_plain(g.percent)),
                selected: f.value == g.code,
            })
            .collect(),
        _ => Vec::new(),
    };
    let leaf_editable = editable && kind != InputKind::ReadOnly && sheet.leaf(&node.code).may_edit;
    let attach = sheet.leaf(&node.code).attach;
    let answer_mode = attach == Some(super::service::Attach::Answer);
    let can_upload = attach == Some(super::service::Attach::SelfAssessment);
    let submitted_at = sheet.assessment.submitted_at;
    let files = sheet
        .files_of(&node.code)
        .map(|e| FileView {
            id: e.id,
            name: e.file_name.clone(),
            href: format!("{base}/minh-chung/{}", e.id),
            kind: kind_label(lang, e.kind),
            size: format_size(e.size),
            by: name_of(lang, names, &e.uploaded_by),
            at: when(e.uploaded_at),
            removable: can_upload || answer_mode && submitted_at.is_some_and(|s| e.uploaded_at > s),
            remove_action: format!("{base}/minh-chung/{}/go-bo", e.id),
            form_id: format!("rm-{}", e.id),
        })
        .collect();
    let needs_explanation = fields::unit_enters(node) && fields::evidence_required(node);
    let explanation_missing = sheet.explanation_required(node)
        && stored
            .and_then(|l| l.self_assessment.explanation.as_deref())
            .is_none_or(|e| e.trim().is_empty());
    LeafView {
        code: node.code.to_string(),
        anchor: format!("leaf-{}", node.code),
        title: node.title.clone(),
        max: pts(node.max.value()),
        source: source_label(lang, node.source).to_owned(),
        rule: node.rule.clone().filter(|r| !r.trim().is_empty()),
        evidence_rule: node.evidence.clone().filter(|r| !r.trim().is_empty()),
        kind: kind.name(),
        editable: leaf_editable,
        version: stored.map_or(0, |l| l.self_version),
        sig,
        grades,
        allow_na: node.not_applicable.is_some(),
        step: match kind {
            InputKind::Points { step: Some(s) } => Some(chiso_domain::fmt::vi_plain(s)),
            _ => None,
        },
        points,
        sentence,
        percent,
        value_text: raw_text(
            lang,
            node,
            stored.and_then(|l| l.self_assessment.input.as_ref()),
        ),
        errors,
        saved: stored
            .filter(|l| l.self_version > 0)
            .and_then(|l| match (&l.self_by, l.self_at) {
                (Some(by), Some(at)) => Some(lang.tf(
                    "cycle.saved_by",
                    &[
                        ("who", &name_of(lang, names, by)),
                        ("at", &when(at)),
                        ("version", &l.self_version.to_string()),
                    ],
                )),
                _ => None,
            }),
        files,
        can_upload,
        upload_form: format!("up-{}", node.code),
        upload_action: format!("{base}/tieu-chi/{}/minh-chung", node.code),
        needs_explanation,
        explanation_missing,
        request_anchor: sheet
            .request_on(&node.code)
            .map(|r| format!("#request-{}", r.id)),
        readonly_note: (kind == InputKind::ReadOnly).then(|| {
            match node.source {
                Source::Survey => lang.t("cycle.readonly_survey"),
                _ => lang.t("cycle.readonly_data"),
            }
            .to_owned()
        }),
        f,
    }
}

/// One leaf of the preview.
#[derive(Debug, Serialize)]
pub(crate) struct PreviewLeaf {
    pub node: String,
    pub points: String,
    pub sentence: String,
    pub percent: String,
    pub error: Option<String>,
}

/// One area's subtotal in the preview.
#[derive(Debug, Serialize)]
pub(crate) struct PreviewArea {
    pub code: String,
    pub points: String,
    pub max: String,
}

/// `POST /ky/{period}/tu-danh-gia/{unit}/xem-truoc`: points, sentences and totals of the
/// values being typed, formatted for display.
#[derive(Debug, Serialize)]
pub(crate) struct Preview {
    pub leaves: Vec<PreviewLeaf>,
    pub total: String,
    pub max: String,
    pub areas: Vec<PreviewArea>,
}

impl Preview {
    pub(crate) fn new(lang: Lang, sheet: &Sheet, leaves: PreviewLeaves, totals: &Totals) -> Self {
        let leaves = leaves
            .into_iter()
            .filter_map(|(code, read)| {
                let node = sheet.set.find(&code)?;
                Some(match read {
                    Ok(Some((raw, outcome))) => PreviewLeaf {
                        node: code.to_string(),
                        points: pts(outcome.points.value()),
                        sentence: fields::explain(node, &raw, &outcome),
                        percent: fields::ratio_percent(&raw)
                            .map_or_else(String::new, |p| format!("{} %", pts(p))),
                        error: None,
                    },
                    Ok(None) => PreviewLeaf {
                        node: code.to_string(),
                        points: DASH.to_owned(),
                        sentence: String::new(),
                        percent: String::new(),
                        error: None,
                    },
                    Err(p) => PreviewLeaf {
                        node: code.to_string(),
                        points: DASH.to_owned(),
                        sentence: String::new(),
                        percent: String::new(),
                        error: Some(field_message(lang, &p)),
                    },
                })
            })
            .collect();
        Preview {
            leaves,
            total: pts(totals.points),
            max: pts(totals.max),
            areas: totals
                .areas
                .iter()
                .map(|(code, (p, m))| PreviewArea {
                    code: code.to_string(),
                    points: pts(*p),
                    max: pts(*m),
                })
                .collect(),
        }
    }
}

/// The notices after a redirect (`?ok=<what>`).
const NOTICES: &[(&str, &str)] = &[
    ("saved", "cycle.ok.saved"),
    ("unchanged", "cycle.ok.unchanged"),
    ("uploaded", "cycle.ok.uploaded"),
    ("uploaded_saved", "cycle.ok.uploaded_saved"),
    ("removed", "cycle.ok.removed"),
    ("submitted", "cycle.ok.submitted"),
    ("answered", "cycle.ok.answered"),
];

/// The notice after a redirect (`?ok=saved&n=3`); one thing when the count is missing.
pub(crate) fn notice(lang: Lang, done: &Done) -> Option<String> {
    let n = done.n.as_deref().unwrap_or("1");
    done.notice(NOTICES)
        .map(|notice| notice.arg("n", n).text(lang))
}
