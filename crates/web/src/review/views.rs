//! View models of the appraisal pages: the service's records turned into the exact strings a
//! page shows (Vietnamese numbers and dates, translated labels, links), so the templates only
//! lay them out.

use std::collections::BTreeMap;

use askama::Template;
use chiso_domain::completeness::GapKind;
use chiso_domain::fmt::{vi_date, vi_plain};
use chiso_domain::workflow::{AssessmentState, LeafExplanation, Phase, VN_OFFSET};
use chiso_domain::{NaPolicy, Node, NodeCode, Points, RawValue, Source};
use chiso_services::review::records::{AuditEntry, Period};
use rust_decimal::Decimal;
use time::OffsetDateTime;

use crate::error::service_message;
use crate::format::{self, DASH};
use crate::i18n::Lang;
use crate::navigator::{self, NavItem};
use crate::pages::PageCtx;
use chiso_services::review::{ApprovalOverview, UnitFile, UnitList, official_points};

/// `dd/mm/yyyy HH:MM` in Vietnam time: when a change was made.
pub(crate) fn vi_datetime(at: OffsetDateTime) -> String {
    let at = at.to_offset(VN_OFFSET);
    format!("{} {:02}:{:02}", vi_date(at.date()), at.hour(), at.minute())
}

/// Points rounded for display (`89,83`), or a dash.
fn points(p: Option<Points>) -> String {
    p.map_or_else(|| DASH.to_owned(), |p| format::num(p.value()))
}

/// True when `input` declares the leaf not applicable and the set then drops it from the
/// maximum: such a leaf shows "không áp dụng", not 0,00 out of its maximum.
fn excluded(node: &Node, input: Option<&RawValue>) -> bool {
    matches!(input, Some(RawValue::NotApplicable)) && node.not_applicable == Some(NaPolicy::Exclude)
}

/// A signed difference for display (`+0,50`, `-1,25`, `0,00`), or a dash.
fn delta(d: Option<Decimal>) -> String {
    format::delta(d)
}

/// A number as typed in a form: decimal comma, no thousands separator (so that it reads back
/// as the same number).
fn typed(d: Decimal) -> String {
    chiso_domain::number::vi_input(d)
}

/// A raw value as people type it, so that it reads back through the leaf's method.
pub(crate) fn input_text(v: &RawValue, lang: Lang) -> String {
    let words = |vi: &str, en: &str| match lang {
        Lang::Vi => vi.to_owned(),
        Lang::En => en.to_owned(),
    };
    match v {
        RawValue::Yes => words("có", "yes"),
        RawValue::No => words("không", "no"),
        RawValue::NotApplicable => words("không phát sinh", "not applicable"),
        RawValue::Count(d) | RawValue::Points(d) => typed(*d),
        RawValue::Ratio { num, den } => format!("{}/{}", typed(*num), typed(*den)),
        RawValue::Percent(p) => format!("{} %", typed(*p)),
        RawValue::Grade(g) => g.to_string(),
        RawValue::Date(d) => vi_date(*d),
    }
}

/// The engine's sentence for a value of a leaf ("45/47 = 95,74 % ≥ 95 % → 1,5/2 điểm").
fn sentence(node: &Node, input: Option<&RawValue>) -> Option<String> {
    let (method, input) = (node.method.as_ref()?, input?);
    let outcome = method
        .score(node.max, node.source, node.not_applicable, input)
        .ok()?;
    Some(method.explain(node.max, input, &outcome))
}

fn state_label(lang: Lang, s: AssessmentState) -> &'static str {
    match lang {
        Lang::Vi => s.label_vi(),
        Lang::En => s.label_en(),
    }
}

fn phase_label(lang: Lang, p: Phase) -> &'static str {
    match lang {
        Lang::Vi => p.label_vi(),
        Lang::En => p.label_en(),
    }
}

/// CSS hook of a state, so the list can tint finished and pending units.
fn state_class(s: AssessmentState) -> &'static str {
    s.as_str()
}

/// The URLs of the pages about one unit.
pub(crate) struct Links {
    pub period: String,
    pub list: String,
    pub unit: String,
    pub diff: String,
    pub log: String,
    /// The appraisal minutes (PDF).
    pub minutes: String,
    pub self_assessment: String,
    pub approval: String,
}

impl Links {
    pub fn new(period: &str, unit: &str) -> Self {
        let (p, u) = (format::segment(period), format::segment(unit));
        Links {
            period: format!("/ky/{p}"),
            list: format!("/ky/{p}/tham-dinh"),
            unit: format!("/ky/{p}/tham-dinh/{u}"),
            diff: format!("/ky/{p}/tham-dinh/{u}/so-sanh"),
            log: format!("/ky/{p}/nhat-ky/{u}"),
            minutes: format!("/ky/{p}/tham-dinh/{u}/bien-ban.pdf"),
            self_assessment: format!("/ky/{p}/tu-danh-gia/{u}"),
            approval: format!("/ky/{p}/phe-duyet"),
        }
    }

    fn leaf_action(&self, node: &NodeCode) -> String {
        format!("{}/tieu-chi/{}", self.unit, format::segment(node.as_str()))
    }

    fn evidence(&self, id: i64) -> String {
        format!("{}/minh-chung/{id}", self.self_assessment)
    }

    fn leaf_log(&self, node: &NodeCode) -> String {
        format!("{}?tieu-chi={}", self.log, format::segment(node.as_str()))
    }
}

/// The id of a leaf's section, the target of links and redirects.
pub(crate) fn anchor(node: &NodeCode) -> String {
    format!("tc-{node}")
}

// ---------------------------------------------------------------------------------------------
// GET /ky/{period}/tham-dinh

/// `GET /ky/{period}/tham-dinh`.
#[derive(Template)]
#[template(path = "review_list.html")]
pub(crate) struct ListPage {
    pub ctx: PageCtx,
    pub title: String,
    pub period_name: String,
    pub period_href: String,
    pub approval_href: String,
    /// The person may open the approval page (the council, administrators, observers).
    pub show_approval: bool,
    /// The sheet of survey and data values, for those who may enter them.
    pub measured_href: Option<String>,
    /// The period's surveys, for those who run them.
    pub surveys_href: Option<String>,
    pub phase: &'static str,
    pub rows: Vec<ListLine>,
}

/// One unit of the list.
pub(crate) struct ListLine {
    pub code: String,
    pub name: String,
    pub group: String,
    pub state: &'static str,
    pub state_class: &'static str,
    pub progress: String,
    pub requests: String,
    pub href: String,
    pub diff_href: String,
    pub log_href: String,
}

impl ListPage {
    /// Links the sheet of survey and data values.
    pub fn with_measured(mut self, href: String) -> Self {
        self.measured_href = Some(href);
        self
    }

    pub fn with_surveys(mut self, href: String) -> Self {
        self.surveys_href = Some(href);
        self
    }

    pub fn new(ctx: PageCtx, list: &UnitList) -> Self {
        let lang = ctx.lang;
        let (period, phase) = (&list.period, list.phase);
        let show_approval = list.may_view_approval;
        let lines = list
            .rows
            .iter()
            .map(|r| {
                let links = Links::new(period.code.as_str(), r.unit.as_str());
                ListLine {
                    code: r.unit.to_string(),
                    name: r.name.clone(),
                    group: r.group.to_string(),
                    state: state_label(lang, r.state),
                    state_class: state_class(r.state),
                    progress: format!("{}/{}", r.appraised, r.leaves),
                    requests: lang.tf(
                        "review.list_requests",
                        &[
                            ("open", &r.open_requests.to_string()),
                            ("answered", &r.answered.to_string()),
                        ],
                    ),
                    href: links.unit,
                    diff_href: links.diff,
                    log_href: links.log,
                }
            })
            .collect();
        let links = Links::new(period.code.as_str(), "");
        ListPage {
            title: lang.tf("review.list_title", &[("period", &period.name)]),
            period_name: period.name.clone(),
            period_href: links.period,
            approval_href: links.approval,
            show_approval,
            measured_href: None,
            surveys_href: None,
            phase: phase_label(lang, phase),
            rows: lines,
            ctx,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// GET /ky/{period}/tham-dinh/{unit}

/// `GET /ky/{period}/tham-dinh/{unit}`.
#[derive(Template)]
#[template(path = "review_unit.html")]
pub(crate) struct UnitPage {
    pub ctx: PageCtx,
    pub title: String,
    pub period_name: String,
    pub links: Links,
    pub unit_code: String,
    pub unit_name: String,
    pub group: String,
    pub state: &'static str,
    pub phase: &'static str,
    pub self_total: String,
    pub official_total: String,
    pub notice: Option<String>,
    /// Why the person's appraisal forms are not offered now.
    pub blocked: Option<String>,
    pub areas: Vec<AreaBlock>,
    pub reopen: Option<ReopenForm>,
    /// Where the "đồng ý với tự đánh giá" forms post.
    pub confirm_action: String,
    /// Leaves the person may agree with now (not appraised yet, with the unit's value).
    pub confirm_count: usize,
    /// The button agreeing with all of them, and its confirmation.
    pub confirm_all: String,
    pub confirm_all_prompt: String,
    /// Why the last agreement was refused.
    pub confirm_error: Option<String>,
    /// The "còn thiếu" bar: each kind of work left, with a link to the next criterion.
    pub todo_nav: Vec<NavItem>,
    /// The appraisal page has no values form for the bar to save.
    pub save_form: &'static str,
}

/// The leaves of one area.
pub(crate) struct AreaBlock {
    pub code: String,
    pub title: String,
    pub leaves: Vec<LeafBlock>,
    /// Codes of the area's leaves the person may agree with now, and the button's label.
    pub confirm: Vec<String>,
    pub confirm_label: String,
}

/// One leaf: the unit's side, the appraisal side, explanations, and the forms.
pub(crate) struct LeafBlock {
    pub code: String,
    pub anchor: String,
    pub title: String,
    pub max: String,
    pub rule: Option<String>,
    pub evidence_rule: Option<String>,
    pub source_note: Option<String>,
    pub self_value: String,
    pub self_points: String,
    pub self_sentence: Option<String>,
    pub declared: Option<String>,
    pub note: Option<String>,
    pub explanation: Option<String>,
    pub self_by: Option<String>,
    pub evidence: Vec<EvidenceLink>,
    pub appraised: bool,
    pub appraised_value: String,
    pub appraised_points: String,
    pub appraised_sentence: Option<String>,
    pub comment: Option<String>,
    pub appraised_by: Option<String>,
    /// The appraised points differ from the unit's.
    pub differs: bool,
    pub form: Option<AppraisalForm>,
    /// The person may appraise the leaf now and has not yet.
    pub to_appraise: bool,
    /// The leaf to work on next after the one just saved or agreed with: its value input
    /// takes the focus, so that Enter saves and the next criterion is ready for typing.
    pub arrive: bool,
    /// The person may agree with the unit's value as it is ("đồng ý với tự đánh giá").
    pub confirmable: bool,
    pub request: Option<RequestView>,
    pub request_form: Option<RequestForm>,
    pub log_href: String,
}

/// A document attached to a leaf.
pub(crate) struct EvidenceLink {
    pub name: String,
    pub href: String,
    pub meta: String,
}

/// The appraised value form of a leaf.
pub(crate) struct AppraisalForm {
    pub action: String,
    pub value: String,
    pub comment: String,
    pub version: i64,
    pub error: Option<String>,
    /// The error is a stale save (shown as a conflict).
    pub stale: bool,
}

/// An explanation request and its answer.
pub(crate) struct RequestView {
    pub text: String,
    pub by: String,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    pub status: &'static str,
    /// Asked and not yet settled by a new appraisal.
    pub open: bool,
}

/// The form asking the unit to explain a leaf.
pub(crate) struct RequestForm {
    pub action: String,
    pub text: String,
    pub error: Option<String>,
}

/// The administrator's reopening form.
pub(crate) struct ReopenForm {
    pub action: String,
    pub reason: String,
    pub error: Option<String>,
}

/// What was typed into one of the page's forms, kept when it is refused.
#[derive(Debug, Clone)]
pub(crate) enum Draft {
    Appraisal {
        node: NodeCode,
        value: String,
        comment: String,
        error: String,
        stale: bool,
    },
    Request {
        node: NodeCode,
        text: String,
        error: String,
    },
    Reopen {
        reason: String,
        error: String,
    },
    /// An agreement with the unit's values was refused.
    Confirm {
        error: String,
    },
}

fn who_when(
    lang: Lang,
    names: &std::collections::HashMap<String, String>,
    by: Option<&str>,
    at: Option<OffsetDateTime>,
) -> Option<String> {
    let by = crate::format::actor(lang, names, by?);
    let by = by.as_str();
    let at = at.map(vi_datetime).unwrap_or_default();
    Some(lang.tf("review.by_at", &[("by", by), ("at", &at)]))
}

fn request_status(lang: Lang, s: LeafExplanation) -> &'static str {
    lang.t(match s {
        LeafExplanation::NotRequested => "review.expl_none",
        LeafExplanation::Requested => "review.expl_requested",
        LeafExplanation::Answered => "review.expl_answered",
    })
}

impl UnitPage {
    /// `arrive` is the leaf to work on next (see [`next_to_appraise`]): its value field gets
    /// the focus.
    pub fn new(
        ctx: PageCtx,
        file: &UnitFile,
        notice: Option<String>,
        draft: Option<Draft>,
        arrive: Option<&NodeCode>,
    ) -> Self {
        let lang = ctx.lang;
        let links = Links::new(file.period.code.as_str(), file.unit.as_str());
        let visible = file.visible_leaves();
        let mut blocked = None;
        let mut self_total = Decimal::ZERO;
        let mut official_total = Decimal::ZERO;
        let mut areas: Vec<AreaBlock> = Vec::new();
        for area in &file.set.nodes {
            let mut block = AreaBlock {
                code: area.code.to_string(),
                title: area.title.clone(),
                leaves: Vec::new(),
                confirm: Vec::new(),
                confirm_label: String::new(),
            };
            for node in area.walk().into_iter().filter(|n| n.is_leaf()) {
                if !visible.iter().any(|v| v.code == node.code) {
                    continue;
                }
                let stored = file.leaves.get(&node.code);
                if let Some(s) = stored.and_then(|l| l.self_assessment.points) {
                    self_total += s.value();
                }
                if let Some(o) = official_points(stored) {
                    official_total += o.value();
                }
                let leaf = leaf_block(&ctx, file, &links, node, draft.as_ref());
                if file.may_appraise(node)
                    && blocked.is_none()
                    && let Some(e) = file.appraisal_blocked(&node.code)
                {
                    blocked = Some(service_message(lang, &e));
                }
                if leaf.confirmable {
                    block.confirm.push(leaf.code.clone());
                }
                block.leaves.push(leaf);
            }
            if !block.leaves.is_empty() {
                block.confirm_label = lang.tf(
                    "review.confirm_area",
                    &[("n", &block.confirm.len().to_string())],
                );
                areas.push(block);
            }
        }
        let reopen = file.may.may_reopen.then(|| {
            let (reason, error) = match &draft {
                Some(Draft::Reopen { reason, error }) => (reason.clone(), Some(error.clone())),
                _ => (String::new(), None),
            };
            ReopenForm {
                action: format!("{}/mo-lai", links.unit),
                reason,
                error,
            }
        });
        if let Some(code) = arrive.map(ToString::to_string) {
            for leaf in areas.iter_mut().flat_map(|a| a.leaves.iter_mut()) {
                leaf.arrive = leaf.to_appraise && leaf.code == code;
            }
        }
        let ids = |pick: &dyn Fn(&LeafBlock) -> bool| -> Vec<String> {
            areas
                .iter()
                .flat_map(|a| a.leaves.iter())
                .filter(|l| pick(l))
                .map(|l| l.anchor.clone())
                .collect()
        };
        let todo_nav = [
            navigator::item(
                lang.t("review.nav.unappraised").to_owned(),
                ids(&|l: &LeafBlock| l.to_appraise),
            ),
            navigator::item(
                lang.t("review.nav.requests").to_owned(),
                ids(&|l: &LeafBlock| l.request.as_ref().is_some_and(|r| r.open)),
            ),
            navigator::item(
                lang.t("review.nav.differs").to_owned(),
                ids(&|l: &LeafBlock| l.differs),
            ),
        ]
        .into_iter()
        .flatten()
        .collect();
        let confirm_count: usize = areas.iter().map(|a| a.confirm.len()).sum();
        let n = confirm_count.to_string();
        let confirm_error = match &draft {
            Some(Draft::Confirm { error }) => Some(error.clone()),
            _ => None,
        };
        UnitPage {
            confirm_action: format!("{}/dong-y", links.unit),
            confirm_count,
            confirm_all: lang.tf("review.confirm_all", &[("n", &n)]),
            confirm_all_prompt: lang.tf("review.confirm_all_confirm", &[("n", &n)]),
            confirm_error,
            todo_nav,
            save_form: "",
            title: lang.tf("review.unit_title", &[("unit", &file.unit_name)]),
            period_name: file.period.name.clone(),
            unit_code: file.unit.to_string(),
            unit_name: file.unit_name.clone(),
            group: file.group.to_string(),
            state: state_label(lang, file.assessment.state),
            phase: phase_label(lang, file.phase),
            self_total: format::num(self_total),
            official_total: format::num(official_total),
            notice,
            blocked,
            areas,
            reopen,
            links,
            ctx,
        }
    }
}

/// Whether the person may appraise `node` now and has not yet: where the keyboard flow and
/// the "còn thiếu" bar lead.
fn to_appraise(file: &UnitFile, node: &Node) -> bool {
    file.may_appraise(node)
        && file.appraisal_blocked(&node.code).is_none()
        && !file
            .leaves
            .get(&node.code)
            .is_some_and(|l| l.is_appraised())
        && chiso_services::review::appraisable(node.source)
}

/// The criterion to go to once `after` is saved or agreed with: the next one to appraise in
/// the order of the page, round to the first; `None` when none is left.
pub(crate) fn next_to_appraise(file: &UnitFile, after: &NodeCode) -> Option<NodeCode> {
    let leaves = file.visible_leaves();
    let start = leaves
        .iter()
        .position(|n| &n.code == after)
        .map_or(0, |i| i + 1);
    (0..leaves.len())
        .map(|k| leaves[(start + k) % leaves.len()])
        .find(|n| to_appraise(file, n))
        .map(|n| n.code.clone())
}

fn leaf_block(
    ctx: &PageCtx,
    file: &UnitFile,
    links: &Links,
    node: &Node,
    draft: Option<&Draft>,
) -> LeafBlock {
    let lang = ctx.lang;
    let stored = file.leaves.get(&node.code);
    let own = stored.map(|l| &l.self_assessment);
    let appraised = stored.filter(|l| l.is_appraised());
    let appr = appraised.map(|l| &l.appraisal);
    let self_points = own.and_then(|s| s.points);
    let appraised_points = appr.and_then(|a| a.points);
    let text = |v: Option<&RawValue>| v.map_or_else(|| DASH.to_owned(), |v| input_text(v, lang));
    let form =
        (file.may_appraise(node) && file.appraisal_blocked(&node.code).is_none()).then(|| {
            let version = stored.map_or(0, |l| l.appraisal_version);
            let current_value = appr
                .and_then(|a| a.input.as_ref())
                .map(|v| input_text(v, lang))
                .unwrap_or_default();
            let current_comment = appr.and_then(|a| a.comment.clone()).unwrap_or_default();
            match draft {
                // A stale save shows the value stored now, to be reviewed and saved again.
                Some(Draft::Appraisal {
                    node: n,
                    error,
                    stale: true,
                    ..
                }) if *n == node.code => AppraisalForm {
                    action: links.leaf_action(&node.code),
                    value: current_value,
                    comment: current_comment,
                    version,
                    error: Some(error.clone()),
                    stale: true,
                },
                Some(Draft::Appraisal {
                    node: n,
                    value,
                    comment,
                    error,
                    stale: false,
                }) if *n == node.code => AppraisalForm {
                    action: links.leaf_action(&node.code),
                    value: value.clone(),
                    comment: comment.clone(),
                    version,
                    error: Some(error.clone()),
                    stale: false,
                },
                _ => AppraisalForm {
                    action: links.leaf_action(&node.code),
                    value: current_value,
                    comment: current_comment,
                    version,
                    error: None,
                    stale: false,
                },
            }
        });
    let request = file.requests.get(&node.code).map(|r| RequestView {
        text: r.request.clone(),
        by: who_when(
            lang,
            &file.names,
            Some(&r.requested_by),
            Some(r.requested_at),
        )
        .unwrap_or_default(),
        answer: r.answer.clone(),
        answered_by: who_when(lang, &file.names, r.answered_by.as_deref(), r.answered_at),
        status: request_status(lang, r.status),
        // Waiting for the unit, or answered and not appraised again since.
        open: match r.status {
            LeafExplanation::Requested => true,
            LeafExplanation::Answered => stored
                .and_then(|l| l.appraised_at)
                .is_none_or(|at| r.answered_at.is_some_and(|answered| at < answered)),
            LeafExplanation::NotRequested => false,
        },
    });
    let request_form =
        (file.may_request(node) && file.request_blocked(&node.code).is_none()).then(|| {
            let (text, error) = match draft {
                Some(Draft::Request {
                    node: n,
                    text,
                    error,
                }) if *n == node.code => (text.clone(), Some(error.clone())),
                _ => (String::new(), None),
            };
            RequestForm {
                action: format!("{}/giai-trinh", links.leaf_action(&node.code)),
                text,
                error,
            }
        });
    let source_note = (!matches!(node.source, Source::Assessed)).then(|| {
        lang.t(match node.source {
            Source::Survey => "review.source_survey",
            Source::Data => "review.source_data",
            Source::Bonus => "review.source_bonus",
            Source::Deduction => "review.source_deduction",
            Source::Assessed => "review.source_assessed",
        })
        .to_owned()
    });
    let evidence = file
        .evidence
        .get(&node.code)
        .map(|list| {
            list.iter()
                .map(|e| EvidenceLink {
                    name: e.file_name.clone(),
                    href: links.evidence(e.id),
                    meta: lang.tf(
                        "review.evidence_meta",
                        &[
                            ("size", &kilobytes(e.size)),
                            (
                                "by",
                                &crate::format::actor(lang, &file.names, &e.uploaded_by),
                            ),
                            ("at", &vi_datetime(e.uploaded_at)),
                        ],
                    ),
                })
                .collect()
        })
        .unwrap_or_default();
    LeafBlock {
        code: node.code.to_string(),
        anchor: anchor(&node.code),
        title: node.title.clone(),
        max: format::num(node.max.value()),
        rule: node.rule.clone(),
        evidence_rule: node.evidence.clone(),
        source_note,
        self_value: text(own.and_then(|s| s.input.as_ref())),
        self_points: points(self_points),
        self_sentence: sentence(node, own.and_then(|s| s.input.as_ref())),
        declared: own.and_then(|s| s.declared_data.clone()),
        note: own.and_then(|s| s.note.clone()),
        explanation: own.and_then(|s| s.explanation.clone()),
        self_by: stored.and_then(|l| who_when(lang, &file.names, l.self_by.as_deref(), l.self_at)),
        evidence,
        appraised: appraised.is_some(),
        appraised_value: text(appr.and_then(|a| a.input.as_ref())),
        appraised_points: points(appraised_points),
        appraised_sentence: sentence(node, appr.and_then(|a| a.input.as_ref())),
        comment: appr.and_then(|a| a.comment.clone()),
        appraised_by: appraised
            .and_then(|l| who_when(lang, &file.names, l.appraised_by.as_deref(), l.appraised_at)),
        differs: appraised.is_some() && appraised_points != self_points,
        confirmable: form.is_some()
            && appraised.is_none()
            && own.is_some_and(|s| s.input.is_some())
            && chiso_services::review::appraisable(node.source),
        to_appraise: to_appraise(file, node),
        form,
        arrive: false,
        request,
        request_form,
        log_href: links.leaf_log(&node.code),
    }
}

/// A size in kilobytes, Vietnamese style: `12,5 KB`.
fn kilobytes(bytes: u64) -> String {
    let kb = Decimal::from(bytes) / Decimal::from(1024);
    format!("{} KB", vi_plain(kb.round_dp(1)))
}

// ---------------------------------------------------------------------------------------------
// GET /ky/{period}/tham-dinh/{unit}/so-sanh

/// `GET /ky/{period}/tham-dinh/{unit}/so-sanh`.
#[derive(Template)]
#[template(path = "review_diff.html")]
pub(crate) struct DiffPage {
    pub ctx: PageCtx,
    pub title: String,
    pub period_name: String,
    pub links: Links,
    pub unit_name: String,
    pub state: &'static str,
    pub areas: Vec<DiffArea>,
    pub total: DiffTotals,
    pub changed: usize,
}

/// One area: its leaves and totals.
pub(crate) struct DiffArea {
    pub code: String,
    pub title: String,
    pub rows: Vec<DiffRow>,
    pub totals: DiffTotals,
}

/// Totals of an area or of the unit.
pub(crate) struct DiffTotals {
    pub max: String,
    pub own: String,
    pub official: String,
    pub delta: String,
    pub trend: &'static str,
    pub differs: bool,
}

/// One leaf compared.
pub(crate) struct DiffRow {
    pub code: String,
    pub title: String,
    pub max: String,
    pub own: String,
    pub appraised: String,
    pub delta: String,
    pub trend: &'static str,
    pub differs: bool,
    pub reason: Option<String>,
    pub by: Option<String>,
    pub href: String,
}

#[derive(Default)]
struct Sums {
    max: Decimal,
    own: Decimal,
    official: Decimal,
}

impl Sums {
    fn view(&self) -> DiffTotals {
        let d = self.official - self.own;
        DiffTotals {
            max: format::num(self.max),
            own: format::num(self.own),
            official: format::num(self.official),
            delta: delta(Some(d)),
            trend: format::trend(Some(d)),
            differs: !d.is_zero(),
        }
    }
}

impl DiffPage {
    pub fn new(ctx: PageCtx, file: &UnitFile) -> Self {
        let lang = ctx.lang;
        let links = Links::new(file.period.code.as_str(), file.unit.as_str());
        let visible = file.visible_leaves();
        let mut total = Sums::default();
        let mut changed = 0;
        let mut areas = Vec::new();
        for area in &file.set.nodes {
            let mut sums = Sums::default();
            let mut rows = Vec::new();
            for node in area.walk().into_iter().filter(|n| n.is_leaf()) {
                if !visible.iter().any(|v| v.code == node.code) {
                    continue;
                }
                let stored = file.leaves.get(&node.code);
                let own = stored.and_then(|l| l.self_assessment.points);
                let appraised = stored
                    .filter(|l| l.is_appraised())
                    .and_then(|l| l.appraisal.points);
                let official = official_points(stored);
                let d = appraised.map(|a| a.value() - own.map_or(Decimal::ZERO, Points::value));
                let differs =
                    d.is_some_and(|d| !d.is_zero()) || (appraised.is_some() && own.is_none());
                if differs {
                    changed += 1;
                }
                let own_na = excluded(node, stored.and_then(|l| l.self_assessment.input.as_ref()));
                let appraised_na = excluded(
                    node,
                    stored
                        .filter(|l| l.is_appraised())
                        .and_then(|l| l.appraisal.input.as_ref()),
                );
                // A leaf declared not applicable (and excluded by the set) leaves the maximum.
                if node.source.counts_in_max()
                    && !excluded(node, stored.and_then(|l| l.official().0))
                {
                    sums.max += node.max.value();
                }
                let na = || lang.t("review.not_applicable").to_owned();
                sums.own += own.map_or(Decimal::ZERO, Points::value);
                sums.official += official.map_or(Decimal::ZERO, Points::value);
                rows.push(DiffRow {
                    code: node.code.to_string(),
                    title: node.title.clone(),
                    max: format::num(node.max.value()),
                    own: if own_na { na() } else { points(own) },
                    appraised: if appraised_na {
                        na()
                    } else {
                        points(appraised)
                    },
                    delta: delta(d),
                    trend: format::trend(d),
                    differs,
                    reason: stored
                        .filter(|l| l.is_appraised())
                        .and_then(|l| l.appraisal.comment.clone()),
                    by: stored.and_then(|l| {
                        l.is_appraised()
                            .then(|| {
                                who_when(
                                    lang,
                                    &file.names,
                                    l.appraised_by.as_deref(),
                                    l.appraised_at,
                                )
                            })
                            .flatten()
                    }),
                    href: format!("{}#{}", links.unit, anchor(&node.code)),
                });
            }
            if rows.is_empty() {
                continue;
            }
            total.max += sums.max;
            total.own += sums.own;
            total.official += sums.official;
            areas.push(DiffArea {
                code: area.code.to_string(),
                title: area.title.clone(),
                rows,
                totals: sums.view(),
            });
        }
        DiffPage {
            title: lang.tf("review.diff_title", &[("unit", &file.unit_name)]),
            period_name: file.period.name.clone(),
            unit_name: file.unit_name.clone(),
            state: state_label(lang, file.assessment.state),
            areas,
            total: total.view(),
            changed,
            links,
            ctx,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// GET /ky/{period}/phe-duyet

/// `GET /ky/{period}/phe-duyet`.
#[derive(Template)]
#[template(path = "review_approval.html")]
pub(crate) struct ApprovalPage {
    pub ctx: PageCtx,
    pub title: String,
    pub period_name: String,
    pub period_href: String,
    pub list_href: String,
    pub action: String,
    pub phase: &'static str,
    pub rows: Vec<ApprovalLine>,
    pub ready: usize,
    pub pending: usize,
    pub finalised: usize,
    pub computed_on: String,
    pub may_approve: bool,
    /// The administrator may reopen the approval: some unit is approved, none published.
    pub may_reopen: bool,
    pub reopen_action: String,
    /// Why the chair cannot approve now, shown instead of the button.
    pub blocked: Option<String>,
    pub all_finalised: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
    /// What is incomplete, each with the field of the chair's reason.
    pub gaps: Vec<GapLine>,
}

/// One incomplete leaf of one unit on the approval page.
pub(crate) struct GapLine {
    /// "Đơn vị SNV, tiêu chí 6.1: chưa có điểm …".
    pub text: String,
    pub field: String,
    /// The reason typed before a refusal.
    pub reason: String,
}

/// One unit on the approval page.
pub(crate) struct ApprovalLine {
    pub code: String,
    pub name: String,
    pub state: &'static str,
    pub state_class: &'static str,
    pub note: String,
    pub problem: bool,
    pub href: String,
}

impl ApprovalPage {
    pub fn new(
        ctx: PageCtx,
        o: &ApprovalOverview,
        notice: Option<String>,
        error: Option<String>,
        typed: &[(String, String)],
    ) -> Self {
        let lang = ctx.lang;
        let period = o.period.code.as_str();
        let links = Links::new(period, "");
        let mut ready = 0;
        let mut pending = 0;
        let mut finalised = 0;
        let rows = o
            .rows
            .iter()
            .map(|r| {
                let note = match r.blocked {
                    _ if r.state == AssessmentState::Finalised => {
                        finalised += 1;
                        lang.t("review.approval_done").to_owned()
                    }
                    None => {
                        ready += 1;
                        lang.t("review.approval_ready").to_owned()
                    }
                    Some(e) => {
                        pending += 1;
                        service_message(lang, &chiso_services::review::workflow_error(e))
                    }
                };
                ApprovalLine {
                    code: r.unit.to_string(),
                    name: r.name.clone(),
                    state: state_label(lang, r.state),
                    state_class: state_class(r.state),
                    problem: r.blocked.is_some(),
                    note,
                    href: Links::new(period, r.unit.as_str()).unit,
                }
            })
            .collect();
        ApprovalPage {
            title: lang.tf("review.approval_title", &[("period", &o.period.name)]),
            period_name: o.period.name.clone(),
            period_href: links.period,
            list_href: links.list,
            reopen_action: format!("{}/mo-lai", links.approval),
            action: links.approval,
            phase: phase_label(lang, o.phase),
            rows,
            ready,
            pending,
            finalised,
            computed_on: o
                .period
                .computed_at
                .map_or_else(|| DASH.to_owned(), vi_datetime),
            may_approve: o.may_approve,
            may_reopen: o.may_reopen
                && o.phase != chiso_domain::workflow::Phase::Published
                && finalised > 0,
            blocked: o.blocker().map(|e| service_message(lang, &e)),
            all_finalised: o.all_finalised(),
            notice,
            error,
            gaps: o
                .gaps
                .iter()
                .map(|g| {
                    let field = chiso_services::review::gap_field(g);
                    let key = match g.kind {
                        GapKind::NoValue => "error.gap_no_value",
                        GapKind::OpenExplanation => "error.gap_open_explanation",
                    };
                    GapLine {
                        text: lang.tf(key, &[("unit", g.unit.as_str()), ("node", g.leaf.as_str())]),
                        reason: typed
                            .iter()
                            .find(|(k, _)| *k == field)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default(),
                        field,
                    }
                })
                .collect(),
            ctx,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// GET /ky/{period}/nhat-ky/{unit}

/// `GET /ky/{period}/nhat-ky/{unit}`.
#[derive(Template)]
#[template(path = "review_log.html")]
pub(crate) struct LogPage {
    pub ctx: PageCtx,
    pub title: String,
    pub period_name: String,
    pub links: Links,
    pub unit_name: String,
    pub node: Option<String>,
    pub rows: Vec<LogRow>,
}

/// One change.
pub(crate) struct LogRow {
    pub when: String,
    pub who: String,
    pub what: String,
    pub node: Option<String>,
    pub node_href: Option<String>,
    pub changes: Vec<FieldChange>,
    pub reason: Option<String>,
}

/// One field of a change: old → new.
pub(crate) struct FieldChange {
    pub field: String,
    pub old: String,
    pub new: String,
}

impl LogPage {
    pub fn new(
        ctx: PageCtx,
        period: &Period,
        unit: &str,
        unit_name: &str,
        node: Option<&NodeCode>,
        entries: &[AuditEntry],
        names: &std::collections::HashMap<String, String>,
    ) -> Self {
        let lang = ctx.lang;
        let links = Links::new(period.code.as_str(), unit);
        let rows = entries
            .iter()
            .map(|e| {
                let node_code = e.node.as_deref().and_then(|n| NodeCode::parse(n).ok());
                LogRow {
                    when: vi_datetime(e.at),
                    // "Nguyễn Văn An (can-bo)": people by name, the login to tell two apart.
                    who: crate::format::actor(lang, names, &e.actor),
                    what: action_label(lang, &e.entity, &e.action),
                    node_href: node_code.as_ref().map(|n| links.leaf_log(n)),
                    node: e.node.clone(),
                    changes: field_changes(lang, e.old.as_ref(), e.new.as_ref()),
                    reason: e.reason.clone(),
                }
            })
            .collect();
        let title = match node {
            Some(n) => lang.tf(
                "review.log_title_leaf",
                &[("unit", unit_name), ("node", n.as_str())],
            ),
            None => lang.tf("review.log_title", &[("unit", unit_name)]),
        };
        LogPage {
            title,
            period_name: period.name.clone(),
            unit_name: unit_name.to_owned(),
            node: node.map(ToString::to_string),
            rows,
            links,
            ctx,
        }
    }
}

/// What a change was, in words: "Ghi điểm thẩm định", "Chuyển trạng thái"…
fn action_label(lang: Lang, entity: &str, action: &str) -> String {
    lang.lookup(&format!("review.log_{entity}_{action}"))
        .map_or_else(|| format!("{entity} · {action}"), str::to_owned)
}

/// The fields that differ between the old and the new value of an entry, in the order the
/// new value lists them (the version counter is left out: it changes every time).
fn field_changes(
    lang: Lang,
    old: Option<&serde_json::Value>,
    new: Option<&serde_json::Value>,
) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let as_map = |v: Option<&serde_json::Value>| match v {
        Some(serde_json::Value::Object(m)) => Some(m.clone()),
        _ => None,
    };
    let (o, n) = (as_map(old), as_map(new));
    if o.is_none() && n.is_none() {
        // Not an object: show the whole values.
        return match (old, new) {
            (None, None) => Vec::new(),
            _ => vec![FieldChange {
                field: lang.t("review.field_value").to_owned(),
                old: old.map_or_else(|| DASH.to_owned(), |v| value_text(lang, "", v)),
                new: new.map_or_else(|| DASH.to_owned(), |v| value_text(lang, "", v)),
            }],
        };
    }
    let o = o.unwrap_or_else(|| empty.clone());
    let n = n.unwrap_or(empty);
    let mut keys: Vec<&String> = n.keys().collect();
    keys.extend(o.keys().filter(|k| !n.contains_key(*k)));
    let mut seen = BTreeMap::new();
    keys.into_iter()
        // Internal bookkeeping: the row's version, and the content hash a document is stored
        // under (the file's name and size say what it is to a person).
        .filter(|k| !matches!(k.as_str(), "version" | "blob_id"))
        .filter(|k| seen.insert((*k).clone(), ()).is_none())
        .filter(|k| o.get(*k) != n.get(*k))
        .filter(|k| {
            // A field that is absent on one side and empty on the other did not change.
            let blank = |v: Option<&serde_json::Value>| v.is_none_or(serde_json::Value::is_null);
            !(blank(o.get(*k)) && blank(n.get(*k)))
        })
        .map(|k| FieldChange {
            field: lang
                .lookup(&format!("review.field_{k}"))
                .map_or_else(|| k.clone(), str::to_owned),
            old: o
                .get(k)
                .map_or_else(|| DASH.to_owned(), |v| value_text(lang, k, v)),
            new: n
                .get(k)
                .map_or_else(|| DASH.to_owned(), |v| value_text(lang, k, v)),
        })
        .collect()
}

/// One stored value as people read it: states and statuses by name, points as Vietnamese
/// numbers, raw inputs as typed.
fn value_text(lang: Lang, key: &str, v: &serde_json::Value) -> String {
    use serde_json::Value;
    match (key, v) {
        (_, Value::Null) => DASH.to_owned(),
        ("state", Value::String(s)) => AssessmentState::parse(s)
            .map_or_else(|| s.clone(), |st| state_label(lang, st).to_owned()),
        ("status", Value::String(s)) => {
            match serde_json::from_value::<LeafExplanation>(v.clone()) {
                Ok(st) => request_status(lang, st).to_owned(),
                Err(_) => s.clone(),
            }
        }
        ("points", Value::String(s)) => s.parse::<Decimal>().map_or_else(|_| s.clone(), vi_plain),
        ("input", _) => serde_json::from_value::<RawValue>(v.clone())
            .map_or_else(|_| v.to_string(), |r| input_text(&r, lang)),
        (_, Value::Bool(b)) => lang
            .t(if *b { "review.yes" } else { "review.no" })
            .to_owned(),
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}
