//! View models of the survey and data pages: the sheet of values and the preview of a file,
//! as the exact strings the templates lay out (Vietnamese numbers and dates, translated
//! labels and messages).

use std::collections::BTreeMap;

use askama::Template;
use chiso_domain::fmt::vi_plain;
use chiso_domain::{NodeCode, Points, RawValue, Source, UnitCode};
use chiso_services::measured::{MeasuredPreview, PreviewProblem, Sheet};

use crate::error::{problem_text, service_key};
use crate::format::{self, DASH};
use crate::i18n::Lang;
use crate::pages::PageCtx;
use crate::review::views::{input_text, vi_datetime};

/// The sheet's address for `period`.
pub(crate) fn sheet_href(period: &str) -> String {
    format!("/ky/{}/diem-khao-sat-so-lieu", format::segment(period))
}

/// The form field of a unit's value for a leaf, and of its version.
pub(crate) fn value_field(unit: &str, node: &str) -> String {
    format!("v:{unit}:{node}")
}

pub(crate) fn version_field(unit: &str, node: &str) -> String {
    format!("version:{unit}:{node}")
}

fn points(p: Option<Points>) -> String {
    p.map_or_else(|| DASH.to_owned(), |p| format::num(p.value()))
}

fn value_text(v: Option<&RawValue>, lang: Lang) -> String {
    v.map_or_else(|| DASH.to_owned(), |v| input_text(v, lang))
}

fn source_label(lang: Lang, source: Source) -> &'static str {
    match source {
        Source::Survey => lang.t("measured.source_survey"),
        _ => lang.t("measured.source_data"),
    }
}

/// The message of one refused value (`error.<code>` with its arguments).
pub(crate) fn problem_message(lang: Lang, p: &chiso_services::Problem) -> String {
    let args: Vec<(&str, &str)> = p.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    lang.tf(&service_key(p.code), &args)
}

/// What a refused save brings back to the sheet: the values as typed, a message per field
/// and the messages of the form as a whole.
#[derive(Debug, Default)]
pub(crate) struct Draft {
    pub typed: BTreeMap<(String, String), String>,
    pub fields: BTreeMap<(String, String), String>,
    pub messages: Vec<String>,
    pub reason: String,
}

/// One cell of the sheet.
pub(crate) struct CellView {
    /// The person may see the value (inside their areas).
    pub present: bool,
    pub editable: bool,
    pub id: String,
    pub name: String,
    pub version_name: String,
    pub version: String,
    pub value: String,
    pub points: String,
    pub changed: String,
    pub label: String,
    pub error: Option<String>,
}

pub(crate) struct RowView {
    pub code: String,
    pub name: String,
    pub approved: bool,
    pub cells: Vec<CellView>,
}

pub(crate) struct LeafHead {
    pub code: String,
    pub title: String,
    pub source: &'static str,
    pub max: String,
}

pub(crate) struct GroupView {
    pub name: String,
    pub set: String,
    pub leaves: Vec<LeafHead>,
    pub rows: Vec<RowView>,
}

/// `GET /ky/{period}/diem-khao-sat-so-lieu`.
#[derive(Template)]
#[template(path = "measured_sheet.html")]
pub(crate) struct SheetPage {
    pub ctx: PageCtx,
    pub title: String,
    pub period_name: String,
    pub period_href: String,
    pub save_href: String,
    pub upload_href: String,
    pub notice: Option<String>,
    /// Messages of a refused save, at the top of the form.
    pub messages: Vec<String>,
    /// Why an upload or a confirmation was refused.
    pub upload_error: Option<String>,
    pub published: bool,
    /// Some value may be changed now.
    pub editable: bool,
    pub reason: String,
    pub groups: Vec<GroupView>,
}

impl SheetPage {
    pub fn new(ctx: PageCtx, sheet: &Sheet, notice: Option<String>, draft: Draft) -> Self {
        let lang = ctx.lang;
        let code = sheet.period.code.as_str();
        let mut editable = false;
        let groups = sheet
            .groups
            .iter()
            .map(|g| GroupView {
                name: g.group.to_string(),
                set: g.set.to_string(),
                leaves: g
                    .leaves
                    .iter()
                    .map(|l| LeafHead {
                        code: l.code.to_string(),
                        title: l.title.clone(),
                        source: source_label(lang, l.source),
                        max: vi_plain(l.max.value()),
                    })
                    .collect(),
                rows: g
                    .rows
                    .iter()
                    .map(|r| RowView {
                        code: r.unit.to_string(),
                        name: r.name.clone(),
                        approved: r.approved,
                        cells: r
                            .cells
                            .iter()
                            .zip(&g.leaves)
                            .map(|(c, leaf)| {
                                let (u, n) = (r.unit.as_str(), leaf.code.as_str());
                                let key = (u.to_owned(), n.to_owned());
                                let Some(c) = c else {
                                    return CellView {
                                        present: false,
                                        editable: false,
                                        id: String::new(),
                                        name: String::new(),
                                        version_name: String::new(),
                                        version: String::new(),
                                        value: String::new(),
                                        points: String::new(),
                                        changed: String::new(),
                                        label: String::new(),
                                        error: None,
                                    };
                                };
                                editable |= c.editable;
                                let stored = c
                                    .input
                                    .as_ref()
                                    .map(|v| input_text(v, lang))
                                    .unwrap_or_default();
                                CellView {
                                    present: true,
                                    editable: c.editable,
                                    id: format!("m-{u}-{n}"),
                                    name: value_field(u, n),
                                    version_name: version_field(u, n),
                                    version: c.version.to_string(),
                                    value: draft.typed.get(&key).cloned().unwrap_or(stored),
                                    points: lang.tf(
                                        "measured.points",
                                        &[
                                            ("points", &points(c.points)),
                                            ("max", &vi_plain(leaf.max.value())),
                                        ],
                                    ),
                                    changed: c.changed.as_ref().map_or_else(
                                        String::new,
                                        |(by, at)| {
                                            lang.tf(
                                                "measured.changed",
                                                &[("by", by.as_str()), ("at", &vi_datetime(*at))],
                                            )
                                        },
                                    ),
                                    label: lang.tf(
                                        "measured.cell_label",
                                        &[("unit", &r.name), ("node", n)],
                                    ),
                                    error: draft.fields.get(&key).cloned(),
                                }
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect();
        SheetPage {
            title: lang.tf("measured.title", &[("period", &sheet.period.name)]),
            period_name: sheet.period.name.clone(),
            period_href: format!("/ky/{}", format::segment(code)),
            save_href: format!("{}/luu", sheet_href(code)),
            upload_href: format!("{}/nhap-tep", sheet_href(code)),
            notice,
            messages: draft.messages,
            upload_error: None,
            published: sheet.published,
            editable,
            reason: draft.reason,
            groups,
            ctx,
        }
    }

    /// The page with a refused upload or confirmation.
    pub fn upload_refused(mut self, message: String) -> Self {
        self.upload_error = Some(message);
        self
    }
}

/// One change of a previewed file.
pub(crate) struct ChangeView {
    pub unit: String,
    pub unit_name: String,
    pub node: String,
    pub title: String,
    pub old: String,
    pub new: String,
}

/// One problem of a previewed file.
pub(crate) struct ProblemView {
    pub row: String,
    pub column: String,
    pub unit: String,
    pub node: String,
    pub message: String,
}

/// `POST /ky/{period}/diem-khao-sat-so-lieu/nhap-tep`: what the file would change.
#[derive(Template)]
#[template(path = "measured_preview.html")]
pub(crate) struct PreviewPage {
    pub ctx: PageCtx,
    pub title: String,
    pub period_name: String,
    pub period_href: String,
    pub sheet_href: String,
    pub confirm_href: String,
    pub summary: String,
    pub changes: Vec<ChangeView>,
    pub problems: Vec<ProblemView>,
    pub problems_title: String,
    pub id: String,
    pub digest: String,
    pub confirm: String,
}

fn described(v: Option<&RawValue>, p: Option<Points>, lang: Lang) -> String {
    if v.is_none() && p.is_none() {
        return DASH.to_owned();
    }
    lang.tf(
        "measured.value_points",
        &[("value", &value_text(v, lang)), ("points", &points(p))],
    )
}

impl PreviewPage {
    pub fn new(ctx: PageCtx, period_name: &str, preview: &MeasuredPreview, id: String) -> Self {
        let lang = ctx.lang;
        let code = preview.period.as_str();
        let changes = preview
            .changes
            .iter()
            .map(|c| ChangeView {
                unit: c.unit.to_string(),
                unit_name: c.unit_name.clone(),
                node: c.node.to_string(),
                title: c.title.clone(),
                old: described(c.old_input.as_ref(), c.old_points, lang),
                new: described(c.new_input.as_ref(), c.new_points, lang),
            })
            .collect();
        let problems = preview
            .problems
            .iter()
            .map(|p| match p {
                PreviewProblem::File(e) => ProblemView {
                    row: e.row.map_or_else(|| DASH.to_owned(), |r| r.to_string()),
                    column: e.column.clone().unwrap_or_else(|| DASH.to_owned()),
                    unit: DASH.to_owned(),
                    node: DASH.to_owned(),
                    message: problem_text(lang, &e.problem),
                },
                PreviewProblem::Value {
                    unit,
                    node,
                    problem,
                } => ProblemView {
                    row: DASH.to_owned(),
                    column: DASH.to_owned(),
                    unit: unit_text(unit),
                    node: node_text(node),
                    message: problem_message(lang, problem),
                },
            })
            .collect();
        let n = |k: usize| format::count(i64::try_from(k).unwrap_or(i64::MAX));
        PreviewPage {
            title: lang.tf("measured.preview_title", &[("file", &preview.file_name)]),
            period_name: period_name.to_owned(),
            period_href: format!("/ky/{}", format::segment(code)),
            sheet_href: sheet_href(code),
            confirm_href: format!("{}/xac-nhan", sheet_href(code)),
            summary: lang.tf(
                "measured.preview_summary",
                &[
                    ("changes", &n(preview.changes.len())),
                    ("unchanged", &n(preview.unchanged)),
                ],
            ),
            changes,
            problems_title: lang.tf(
                "measured.problems_title",
                &[("n", &n(preview.problems.len()))],
            ),
            problems,
            id,
            digest: preview.digest.clone(),
            confirm: lang.tf("measured.confirm", &[("n", &n(preview.changes.len()))]),
            ctx,
        }
    }
}

fn unit_text(u: &UnitCode) -> String {
    u.to_string()
}

fn node_text(n: &NodeCode) -> String {
    n.to_string()
}
