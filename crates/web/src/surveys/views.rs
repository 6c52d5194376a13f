//! View models of the survey pages, as the exact strings the templates lay out (Vietnamese
//! numbers, translated labels): the list of a period's surveys, one survey (sample, points,
//! answer import, links), the answers behind one number, a file's preview, the links just
//! issued, and the questionnaire respondents fill in.

use askama::Template;
use chiso_domain::fmt::vi_plain;
use chiso_domain::questionnaire::QuestionnaireKind;
use chiso_services::surveys::{
    AnswersPreview, Breakdown, Link, Overview, Questionnaire, STATUS_CLOSED, STATUS_OPEN, Survey,
};
use rust_decimal::Decimal;

use crate::format::{self, DASH};
use crate::i18n::Lang;
use crate::pages::PageCtx;

/// `/ky/{period}/dieu-tra`.
pub(crate) fn list_href(period: &str) -> String {
    format!("/ky/{}/dieu-tra", format::segment(period))
}

/// `/ky/{period}/dieu-tra/{survey}`.
pub(crate) fn survey_href(period: &str, survey: &str) -> String {
    format!("{}/{}", list_href(period), format::segment(survey))
}

fn period_href(period: &str) -> String {
    format!("/ky/{}", format::segment(period))
}

fn percent(d: Option<Decimal>) -> String {
    d.map_or_else(
        || DASH.to_owned(),
        |d| format!("{} %", format::num(d * Decimal::ONE_HUNDRED)),
    )
}

fn status_label(lang: Lang, status: &str) -> &'static str {
    if status == STATUS_CLOSED {
        lang.t("survey.status_closed")
    } else {
        lang.t("survey.status_open")
    }
}

/// One survey in the list.
pub(crate) struct SurveyItem {
    pub code: String,
    pub name: String,
    pub href: String,
    pub status: &'static str,
    pub groups: usize,
}

/// `GET /ky/{period}/dieu-tra`.
#[derive(Template)]
#[template(path = "surveys_list.html")]
pub(crate) struct ListPage {
    pub ctx: PageCtx,
    pub title: String,
    pub period_href: String,
    pub period_name: String,
    pub create_href: String,
    pub compose_href: String,
    pub template_href: String,
    pub surveys: Vec<SurveyItem>,
    pub errors: Vec<String>,
}

impl ListPage {
    pub(crate) fn new(
        ctx: PageCtx,
        period: &str,
        period_name: &str,
        surveys: &[Survey],
        errors: Vec<String>,
    ) -> Self {
        let lang = ctx.lang;
        ListPage {
            title: format!("{} – {period_name}", lang.t("survey.list_title")),
            period_href: period_href(period),
            period_name: period_name.to_owned(),
            create_href: format!("{}/tao", list_href(period)),
            compose_href: format!("{}/soan", list_href(period)),
            template_href: format!("{}/mau.xlsx", list_href(period)),
            surveys: surveys
                .iter()
                .map(|s| SurveyItem {
                    code: s.code.clone(),
                    name: s.name.clone(),
                    href: survey_href(period, &s.code),
                    status: status_label(lang, &s.status),
                    groups: s.definition.groups.len(),
                })
                .collect(),
            errors,
            ctx,
        }
    }
}

/// One respondent group's sample.
pub(crate) struct GroupRow {
    pub code: String,
    pub name: String,
    pub evaluates: String,
    pub kind: &'static str,
    pub target: String,
    pub respondents: String,
    /// Share of the target reached, `—` without a target.
    pub reached: String,
    pub short: bool,
    pub form_href: String,
    /// Units with the respondents who answered about each.
    pub units: Vec<(String, String, String)>,
}

/// One cell of the points table.
pub(crate) struct CellView {
    pub present: bool,
    pub points: String,
    pub valid: String,
    pub href: String,
    pub flagged: bool,
    pub decided: Option<String>,
    pub label: String,
}

pub(crate) struct RowView {
    pub code: String,
    pub name: String,
    pub cells: Vec<CellView>,
}

/// The points table of one group of units: only the leaves its units have.
pub(crate) struct PointsTable {
    pub group: String,
    pub leaves: Vec<(String, String)>,
    pub rows: Vec<RowView>,
}

pub(crate) struct LinkView {
    pub label: String,
    pub group: String,
    pub uses: String,
    pub revoked: bool,
    pub digest: String,
}

/// `GET /ky/{period}/dieu-tra/{survey}`.
#[derive(Template)]
#[template(path = "survey.html")]
pub(crate) struct SurveyPage {
    pub ctx: PageCtx,
    pub title: String,
    pub period_href: String,
    pub period_name: String,
    pub list_href: String,
    pub href: String,
    pub status: &'static str,
    pub open: bool,
    pub published: bool,
    pub notice: Option<String>,
    pub errors: Vec<String>,
    pub groups: Vec<GroupRow>,
    pub group_codes: Vec<(String, String)>,
    pub tables: Vec<PointsTable>,
    pub undecided: usize,
    pub left_out: String,
    pub links: Vec<LinkView>,
    pub closed_at: Option<String>,
}

impl SurveyPage {
    pub(crate) fn new(
        ctx: PageCtx,
        period_name: &str,
        ov: &Overview,
        links: &[Link],
        notice: Option<String>,
        errors: Vec<String>,
    ) -> Self {
        let lang = ctx.lang;
        let s = &ov.survey;
        let period = s.period.as_str();
        let href = survey_href(period, &s.code);
        let groups = ov
            .groups
            .iter()
            .map(|g| {
                let reached = g.target.filter(|t| *t > 0).map(|t| {
                    Decimal::from(g.respondents) / Decimal::from(t) * Decimal::ONE_HUNDRED
                });
                let kind = s
                    .definition
                    .group(&g.code)
                    .map_or(QuestionnaireKind::Sociological, |d| d.kind.clone());
                GroupRow {
                    code: g.code.clone(),
                    name: g.name.clone(),
                    evaluates: g.evaluates.to_string(),
                    kind: match kind {
                        QuestionnaireKind::Sipas { .. } => lang.t("survey.kind_sipas"),
                        QuestionnaireKind::Sociological => lang.t("survey.kind_social"),
                    },
                    target: g.target.map_or_else(|| DASH.to_owned(), format::count),
                    respondents: format::count(i64::try_from(g.respondents).unwrap_or(0)),
                    reached: reached
                        .map_or_else(|| DASH.to_owned(), |r| format!("{} %", format::num(r))),
                    short: reached.is_some_and(|r| r < Decimal::ONE_HUNDRED),
                    form_href: format!("{href}/xlsform.xlsx?nhom={}", format::segment(&g.code)),
                    units: g
                        .units
                        .iter()
                        .map(|(u, n, c)| {
                            (
                                u.to_string(),
                                n.clone(),
                                format::count(i64::try_from(*c).unwrap_or(0)),
                            )
                        })
                        .collect(),
                }
            })
            .collect();
        let rows: Vec<(String, RowView)> = ov
            .rows
            .iter()
            .map(|r| {
                (
                    r.group.to_string(),
                    RowView {
                        code: r.unit.to_string(),
                        name: r.name.clone(),
                        cells: r
                            .cells
                            .iter()
                            .zip(&ov.leaves)
                            .map(|(c, l)| match c {
                                None => CellView {
                                    present: false,
                                    points: DASH.to_owned(),
                                    valid: String::new(),
                                    href: String::new(),
                                    flagged: false,
                                    decided: None,
                                    label: String::new(),
                                },
                                Some(c) => CellView {
                                    present: true,
                                    points: c.points().map_or_else(
                                        || DASH.to_owned(),
                                        |p| format::num(p.value()),
                                    ),
                                    valid: format::count(
                                        i64::try_from(c.result.valid).unwrap_or(0),
                                    ),
                                    href: format!(
                                        "{href}/{}/{}",
                                        format::segment(r.unit.as_str()),
                                        format::segment(l.leaf.as_str())
                                    ),
                                    flagged: c.result.below_minimum,
                                    decided: c.decision.as_ref().map(|d| match d.points {
                                        Some(_) => lang.t("survey.decided_manual").to_owned(),
                                        None => lang.t("survey.decided_keep").to_owned(),
                                    }),
                                    label: lang.tf(
                                        "survey.cell_label",
                                        &[("unit", &r.name), ("leaf", l.leaf.as_str())],
                                    ),
                                },
                            })
                            .collect(),
                    },
                )
            })
            .collect();
        let leaves: Vec<(String, String)> = ov
            .leaves
            .iter()
            .map(|l| (l.leaf.to_string(), l.title.clone()))
            .collect();
        let mut tables: Vec<PointsTable> = Vec::new();
        for (group, row) in rows {
            match tables.iter_mut().find(|t| t.group == group) {
                Some(t) => t.rows.push(row),
                None => tables.push(PointsTable {
                    group,
                    leaves: Vec::new(),
                    rows: vec![row],
                }),
            }
        }
        // Each group's table keeps the columns of leaves some of its units have.
        for t in &mut tables {
            let keep: Vec<usize> = (0..leaves.len())
                .filter(|i| t.rows.iter().any(|r| r.cells[*i].present))
                .collect();
            t.leaves = keep.iter().map(|i| leaves[*i].clone()).collect();
            for r in &mut t.rows {
                let mut cells = std::mem::take(&mut r.cells);
                let mut k = 0;
                cells.retain(|_| {
                    k += 1;
                    keep.contains(&(k - 1))
                });
                r.cells = cells;
            }
        }
        tables.retain(|t| !t.leaves.is_empty());
        SurveyPage {
            title: s.name.clone(),
            period_href: period_href(period),
            period_name: period_name.to_owned(),
            list_href: list_href(period),
            status: status_label(lang, &s.status),
            open: s.status == STATUS_OPEN,
            published: ov.published,
            notice,
            errors,
            groups,
            group_codes: s
                .definition
                .groups
                .iter()
                .map(|g| (g.code.clone(), g.name.clone()))
                .collect(),
            tables,
            undecided: ov.undecided().len(),
            left_out: if ov.left_out > 0 {
                format::count(i64::try_from(ov.left_out).unwrap_or(0))
            } else {
                String::new()
            },
            links: links
                .iter()
                .map(|l| LinkView {
                    label: l.label.clone(),
                    group: l.grp.clone(),
                    uses: format!("{}/{}", format::count(l.used), format::count(l.max_uses)),
                    revoked: l.revoked_at.is_some(),
                    digest: l.token_hash.clone(),
                })
                .collect(),
            closed_at: s.closed_at.map(format::date),
            href,
            ctx,
        }
    }
}

/// One respondent group's answers on the breakdown page.
pub(crate) struct GroupAnswers {
    pub name: String,
    /// Option code, label, weight, count.
    pub options: Vec<(String, String, String, String)>,
    pub valid: String,
    pub mean: String,
    pub weight: String,
}

/// `GET /ky/{period}/dieu-tra/{survey}/{unit}/{node}`.
#[derive(Template)]
#[template(path = "survey_cell.html")]
pub(crate) struct CellPage {
    pub ctx: PageCtx,
    pub title: String,
    pub period_href: String,
    pub period_name: String,
    pub list_href: String,
    pub survey_href: String,
    pub survey_name: String,
    pub decide_href: String,
    pub points: String,
    pub max: String,
    pub valid: String,
    pub flagged: bool,
    pub decision: Option<String>,
    pub groups: Vec<GroupAnswers>,
    pub sipas: Vec<(String, String)>,
    pub errors: Vec<String>,
    pub typed_points: String,
    pub typed_reason: String,
}

impl CellPage {
    pub(crate) fn new(ctx: PageCtx, period_name: &str, b: &Breakdown) -> Self {
        let lang = ctx.lang;
        let s = &b.survey;
        let period = s.period.as_str();
        let href = survey_href(period, &s.code);
        let cell = b.cell.as_ref();
        CellPage {
            title: lang.tf(
                "survey.cell_title",
                &[
                    ("unit", &b.unit_name),
                    ("leaf", b.leaf.as_str()),
                    ("title", &b.title),
                ],
            ),
            period_href: period_href(period),
            period_name: period_name.to_owned(),
            list_href: list_href(period),
            decide_href: format!(
                "{href}/{}/{}/quyet-dinh",
                format::segment(b.unit.as_str()),
                format::segment(b.leaf.as_str())
            ),
            survey_href: href,
            survey_name: s.name.clone(),
            points: cell
                .and_then(|c| c.points())
                .map_or_else(|| DASH.to_owned(), |p| format::num(p.value())),
            max: cell.map_or_else(|| DASH.to_owned(), |c| format::num(c.max.value())),
            valid: format::count(cell.map_or(0, |c| i64::try_from(c.result.valid).unwrap_or(0))),
            flagged: cell.is_some_and(|c| c.result.below_minimum),
            decision: cell.and_then(|c| c.decision.as_ref()).map(|d| {
                let what = match d.points {
                    Some(p) => lang.tf("survey.decision_manual", &[("points", &format::num(p))]),
                    None => lang.t("survey.decision_keep").to_owned(),
                };
                format!(
                    "{what} — {} ({}, {})",
                    d.reason,
                    d.decided_by,
                    format::date(d.decided_at)
                )
            }),
            groups: b
                .groups
                .iter()
                .map(|g| GroupAnswers {
                    name: format!("{} ({})", g.name, g.code),
                    options: g
                        .options
                        .iter()
                        .map(|(code, label, weight, count)| {
                            (
                                code.clone(),
                                label.clone(),
                                weight.map_or_else(
                                    || lang.t("survey.excluded").to_owned(),
                                    |w| format!("{} %", vi_plain(w * Decimal::ONE_HUNDRED)),
                                ),
                                format::count(i64::try_from(*count).unwrap_or(0)),
                            )
                        })
                        .collect(),
                    valid: format::count(i64::try_from(g.valid).unwrap_or(0)),
                    mean: percent(g.mean),
                    weight: g.weight.map_or_else(|| DASH.to_owned(), vi_plain),
                })
                .collect(),
            sipas: b
                .sipas
                .iter()
                .map(|(label, share)| {
                    (
                        label.clone(),
                        share.map_or_else(|| DASH.to_owned(), |p| format!("{} %", format::num(p))),
                    )
                })
                .collect(),
            errors: Vec::new(),
            typed_points: String::new(),
            typed_reason: String::new(),
            ctx,
        }
    }
}

/// The preview of an answer file.
#[derive(Template)]
#[template(path = "survey_preview.html")]
pub(crate) struct PreviewPage {
    pub ctx: PageCtx,
    pub title: String,
    pub survey_href: String,
    pub confirm_href: String,
    pub summary: String,
    pub id: String,
    pub new_respondents: usize,
}

impl PreviewPage {
    pub(crate) fn new(ctx: PageCtx, survey: &Survey, preview: &AnswersPreview, id: String) -> Self {
        let lang = ctx.lang;
        let href = survey_href(survey.period.as_str(), &survey.code);
        let n = |v: usize| format::count(i64::try_from(v).unwrap_or(0));
        PreviewPage {
            title: lang.tf("survey.preview_title", &[("file", &preview.file_name)]),
            confirm_href: format!("{href}/xac-nhan"),
            survey_href: href,
            summary: lang.tf(
                "survey.preview_summary",
                &[
                    ("rows", &n(preview.stats.rows)),
                    ("answers", &n(preview.stats.answers)),
                    ("respondents", &n(preview.stats.respondents)),
                    ("new", &n(preview.new_respondents)),
                    ("stored", &n(preview.stored_respondents)),
                ],
            ),
            id,
            new_respondents: preview.new_respondents,
            ctx,
        }
    }
}

/// The links just issued, shown once.
#[derive(Template)]
#[template(path = "survey_links.html")]
pub(crate) struct LinksPage {
    pub ctx: PageCtx,
    pub title: String,
    pub survey_href: String,
    pub links: Vec<(String, String)>,
    pub all: String,
}

/// `GET /phieu/{token}`: the questionnaire.
#[derive(Template)]
#[template(path = "questionnaire.html")]
pub(crate) struct QuestionnairePage {
    pub ctx: PageCtx,
    pub title: String,
    pub period_name: String,
    pub group_name: String,
    pub action: String,
    pub questions: Vec<QuestionView>,
    pub options: Vec<(String, String)>,
    pub submitted: bool,
    pub notice: Option<String>,
    pub errors: Vec<String>,
}

/// One question with its grid of units.
pub(crate) struct QuestionView {
    pub code: String,
    pub text: String,
    /// Per unit: its code, name, the field name and the option chosen.
    pub units: Vec<(String, String, String, String)>,
}

/// The field of the answer to `question` about `unit`.
pub(crate) fn answer_field(unit: &str, question: &str) -> String {
    format!("a:{unit}:{question}")
}

impl QuestionnairePage {
    pub(crate) fn new(
        ctx: PageCtx,
        q: &Questionnaire,
        action: String,
        typed: Option<&[(String, String, String)]>,
    ) -> Self {
        let saved: &[(String, String, String)] = match (typed, &q.response) {
            (Some(t), _) => t,
            (None, Some(r)) => &r.answers,
            (None, None) => &[],
        };
        let chosen = |u: &str, question: &str| {
            saved
                .iter()
                .find(|(su, sq, _)| su == u && sq.eq_ignore_ascii_case(question))
                .map(|(_, _, a)| a.clone())
                .unwrap_or_default()
        };
        QuestionnairePage {
            title: q.survey_name.clone(),
            period_name: q.period_name.clone(),
            group_name: q.group.name.clone(),
            action,
            questions: q
                .group
                .questions
                .iter()
                .map(|question| QuestionView {
                    code: question.code.clone(),
                    text: question.text.clone(),
                    units: q
                        .units
                        .iter()
                        .map(|(u, name)| {
                            (
                                u.to_string(),
                                name.clone(),
                                answer_field(u.as_str(), &question.code),
                                chosen(u.as_str(), &question.code),
                            )
                        })
                        .collect(),
                })
                .collect(),
            options: q.options.clone(),
            submitted: q.response.as_ref().is_some_and(|r| r.submitted),
            notice: None,
            errors: Vec::new(),
            ctx,
        }
    }
}

/// One unit's line on the intervals page.
pub(crate) struct IntervalRow {
    pub code: String,
    pub name: String,
    pub survey: String,
    pub survey_interval: String,
    pub total: String,
    pub total_interval: String,
    pub rank: String,
}

/// One group's intervals.
pub(crate) struct IntervalTable {
    pub group: String,
    pub rows: Vec<IntervalRow>,
    pub unsettled: Vec<String>,
    pub survey_only: bool,
}

/// `GET /ky/{period}/dieu-tra/{survey}/do-tin-cay`.
#[derive(Template)]
#[template(path = "survey_intervals.html")]
pub(crate) struct IntervalsPage {
    pub ctx: PageCtx,
    pub title: String,
    pub survey_href: String,
    pub survey_name: String,
    pub draws: String,
    pub tables: Vec<IntervalTable>,
}

impl IntervalsPage {
    pub(crate) fn new(
        ctx: PageCtx,
        survey: &Survey,
        groups: &[chiso_services::surveys::GroupIntervals],
    ) -> Self {
        let lang = ctx.lang;
        let range =
            |low: Decimal, high: Decimal| format!("{} – {}", format::num(low), format::num(high));
        let tables = groups
            .iter()
            .map(|g| {
                let name = |code: &chiso_domain::UnitCode| {
                    g.units
                        .iter()
                        .find(|u| &u.unit == code)
                        .map_or_else(|| code.to_string(), |u| u.name.clone())
                };
                IntervalTable {
                    group: g.group.to_string(),
                    survey_only: !g.with_results,
                    rows: g
                        .units
                        .iter()
                        .map(|u| IntervalRow {
                            code: u.unit.to_string(),
                            name: u.name.clone(),
                            survey: format::num(u.survey_points),
                            survey_interval: u
                                .uncertainty
                                .survey_points
                                .map_or_else(|| DASH.to_owned(), |i| range(i.low, i.high)),
                            total: format::num(u.total),
                            total_interval: range(
                                u.uncertainty.total.low,
                                u.uncertainty.total.high,
                            ),
                            rank: u.uncertainty.rank.map_or_else(
                                || DASH.to_owned(),
                                |r| format::rank_range(r.low, r.high),
                            ),
                        })
                        .collect(),
                    unsettled: g
                        .unsettled
                        .iter()
                        .map(|(a, b)| {
                            lang.tf("survey.unsettled", &[("a", &name(a)), ("b", &name(b))])
                        })
                        .collect(),
                }
            })
            .collect();
        IntervalsPage {
            title: lang.tf("survey.intervals_title", &[("survey", &survey.name)]),
            survey_href: survey_href(survey.period.as_str(), &survey.code),
            survey_name: survey.name.clone(),
            draws: format::count(i64::from(chiso_services::surveys::DRAWS)),
            tables,
            ctx,
        }
    }
}

/// The page following a file being read or imported; it reloads itself every second.
#[derive(Template)]
#[template(path = "survey_progress.html")]
pub(crate) struct ProgressPage {
    pub ctx: PageCtx,
    pub title: String,
    pub survey_href: String,
    pub percent: u64,
    pub summary: String,
}

impl ProgressPage {
    pub(crate) fn new(
        ctx: PageCtx,
        survey_href: String,
        (percent, rows, rejected, left): (u64, usize, usize, Option<i64>),
    ) -> Self {
        let lang = ctx.lang;
        let n = |v: usize| format::count(i64::try_from(v).unwrap_or(0));
        let left = left.map_or_else(
            || lang.t("survey.progress_left_unknown").to_owned(),
            |s| lang.tf("survey.progress_left", &[("seconds", &format::count(s))]),
        );
        ProgressPage {
            title: lang.t("survey.progress_title").to_owned(),
            ctx,
            survey_href,
            percent,
            summary: lang.tf(
                "survey.progress_summary",
                &[
                    ("rows", &n(rows)),
                    ("rejected", &n(rejected)),
                    ("left", &left),
                ],
            ),
        }
    }
}
