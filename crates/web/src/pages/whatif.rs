//! The what-if page of a unit (`/ky/{period}/don-vi/{unit}/gia-dinh`): a plain form with each
//! improvable leaf's current points and maximum, where the unit's people type hypothetical
//! points and read the total, index, class and rank the unit would get, the other units
//! unchanged; and the leaves with the most points at stake. The form is sent with GET: the
//! page computes, never writes, so it can be bookmarked and needs no script.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chiso_domain::{NodeCode, PeriodCode, UnitCode, UnitResult};
use chiso_services::whatif::{self, WhatIfBasis};
use rust_decimal::Decimal;

use super::views::{period_href, unit_href};
use super::{PageCtx, render};
use crate::auth::SignedIn;
use crate::error::service_message;
use crate::format::{self, DASH};
use crate::service::{self, nodes_by_code};
use crate::{AppError, AppState};
use chiso_services::publication::decision_text;

/// Most query fields read: every leaf of the largest real set many times over.
const MAX_FIELDS: usize = 2_000;

/// How many leaves the "most points at stake" list shows.
const TOP_AT_STAKE: usize = 10;

/// The page's route.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/ky/{period}/don-vi/{unit}/gia-dinh", get(page))
}

/// The what-if page of `unit` in `period`.
pub(crate) fn href(period: &PeriodCode, unit: &UnitCode) -> String {
    format!("{}/gia-dinh", unit_href(period.as_str(), unit.as_str()))
}

/// `GET /ky/{period}/don-vi/{unit}/gia-dinh[?p-1.1=…]`.
async fn page(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(viewer): SignedIn,
    Path((period, unit)): Path<(String, String)>,
    Query(mut form): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let period = service::parse_period(&period)?;
    let unit = service::parse_unit(&unit)?;
    form.truncate(MAX_FIELDS);
    let basis = whatif::basis(state.db(), &viewer, &period, &unit).await?;
    let submitted = form.iter().any(|(k, _)| k.starts_with("p-"));
    let (outcome, errors, changes) = if submitted {
        match whatif::read_changes(&basis, &form) {
            Ok(changes) => {
                let w = whatif::run(&basis, &changes)?;
                (Some((w.before, w.after)), Vec::new(), changes)
            }
            Err(errors) => (None, errors, Vec::new()),
        }
    } else {
        (None, Vec::new(), Vec::new())
    };
    let errors: Vec<(String, String)> = errors
        .iter()
        .map(|e| {
            (
                e.get("field").unwrap_or_default().to_owned(),
                service_message(ctx.lang, e),
            )
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = WhatIfPage::new(ctx, &basis, &form, &changes, outcome.as_ref(), errors);
    Ok((status, render(&page)?).into_response())
}

/// One leaf of the form.
pub(crate) struct FormLeaf {
    pub code: String,
    pub title: String,
    pub field: String,
    /// The `id` of the input (codes have dots, which ids may hold, but CSS selectors not).
    pub id: String,
    pub value: String,
    pub current: String,
    pub max: String,
    pub error: Option<String>,
    pub changed: bool,
}

/// One area of the form, collapsible.
pub(crate) struct FormArea {
    pub code: String,
    pub title: String,
    /// Open when one of its leaves was changed or refused.
    pub open: bool,
    pub leaves: Vec<FormLeaf>,
}

/// One figure before and after.
pub(crate) struct Compared {
    pub label: String,
    pub before: String,
    pub after: String,
    pub change: String,
    pub trend: &'static str,
}

/// One leaf with points at stake.
pub(crate) struct StakeRow {
    pub code: String,
    pub title: String,
    pub current: String,
    pub max: String,
    pub at_stake: String,
}

/// `GET /ky/{period}/don-vi/{unit}/gia-dinh`.
#[derive(Template)]
#[template(path = "whatif.html")]
pub(crate) struct WhatIfPage {
    pub ctx: PageCtx,
    pub title: String,
    pub period_name: String,
    pub period_href: String,
    pub unit_name: String,
    pub unit_href: String,
    pub action: String,
    pub basis: String,
    pub errors: Vec<(String, String)>,
    pub outcome: Vec<Compared>,
    pub changed: usize,
    pub areas: Vec<FormArea>,
    pub at_stake: Vec<StakeRow>,
}

fn rank_of(u: &UnitResult) -> String {
    match u.rank {
        Some(r) => format!("{r}/{}", u.group_size),
        None => DASH.to_owned(),
    }
}

fn compared(ctx: &PageCtx, before: &UnitResult, after: &UnitResult) -> Vec<Compared> {
    let diff = |a: Decimal, b: Decimal| {
        let d = b - a;
        (format::delta(Some(d)), format::trend(Some(d)))
    };
    let (total_change, total_trend) = diff(before.total.0, after.total.0);
    let (index_change, index_trend) = diff(
        chiso_domain::points::round_display(before.index),
        chiso_domain::points::round_display(after.index),
    );
    let rank_delta = match (before.rank, after.rank) {
        (Some(b), Some(a)) => i32::try_from(i64::from(b) - i64::from(a)).ok(),
        _ => None,
    };
    let class = |u: &UnitResult| u.class.clone().unwrap_or_else(|| DASH.to_owned());
    vec![
        Compared {
            label: ctx.t("col.total").to_owned(),
            before: before.total.to_string(),
            after: after.total.to_string(),
            change: total_change,
            trend: total_trend,
        },
        Compared {
            label: ctx.t("col.index").to_owned(),
            before: format::num(before.index),
            after: format::num(after.index),
            change: index_change,
            trend: index_trend,
        },
        Compared {
            label: ctx.t("col.class").to_owned(),
            before: class(before),
            after: class(after),
            change: String::new(),
            trend: if before.class == after.class {
                "same"
            } else {
                index_trend
            },
        },
        Compared {
            label: ctx.t("col.rank").to_owned(),
            before: rank_of(before),
            after: rank_of(after),
            change: format::delta_rank(rank_delta),
            trend: format::trend(rank_delta),
        },
    ]
}

impl WhatIfPage {
    fn new(
        ctx: PageCtx,
        basis: &WhatIfBasis,
        form: &[(String, String)],
        changes: &[(NodeCode, Decimal)],
        outcome: Option<&(UnitResult, UnitResult)>,
        errors: Vec<(String, String)>,
    ) -> Self {
        let u = &basis.unit;
        let set = &basis.set;
        let by_code = nodes_by_code(set);
        let title_of = |c: &NodeCode| by_code.get(c).map_or_else(String::new, |n| n.title.clone());
        let mut areas: Vec<FormArea> = Vec::new();
        for leaf in basis.improvable() {
            let field = whatif::field_of(&leaf.code);
            let typed = form
                .iter()
                .find(|(k, _)| k == &field)
                .map(|(_, v)| v.chars().take(whatif::MAX_POINTS_LEN).collect::<String>());
            let error = errors
                .iter()
                .find(|(f, _)| f == &field)
                .map(|(_, m)| m.clone());
            let changed = changes.iter().any(|(c, _)| c == &leaf.code);
            let area_code = leaf
                .code
                .as_str()
                .split('.')
                .next()
                .unwrap_or("")
                .to_owned();
            if areas.last().is_none_or(|a| a.code != area_code) {
                let title = NodeCode::parse(&area_code)
                    .map(|c| title_of(&c))
                    .unwrap_or_default();
                areas.push(FormArea {
                    code: area_code,
                    title,
                    open: false,
                    leaves: Vec::new(),
                });
            }
            let area = areas.last_mut().expect("pushed above");
            area.open |= changed || error.is_some();
            area.leaves.push(FormLeaf {
                code: leaf.code.to_string(),
                title: title_of(&leaf.code),
                id: format!("p-{}", leaf.code.as_str().replace('.', "-")),
                value: typed.unwrap_or_else(|| chiso_domain::number::vi_input(leaf.points.0)),
                current: leaf.points.to_string(),
                max: leaf.max.to_string(),
                field,
                error,
                changed,
            });
        }
        let at_stake = basis
            .most_at_stake()
            .into_iter()
            .take(TOP_AT_STAKE)
            .map(|l| StakeRow {
                code: l.code.to_string(),
                title: title_of(&l.code),
                current: l.points.to_string(),
                max: l.max.to_string(),
                at_stake: format::num(l.at_stake()),
            })
            .collect();
        let basis_text = match &basis.publication {
            Some(p) => ctx.lang.tf(
                "whatif.basis_published",
                &[
                    ("version", &p.version.to_string()),
                    ("decision", &decision_text(&p.decision, p.decided_on)),
                ],
            ),
            None => ctx.lang.tf(
                "whatif.basis_computed",
                &[(
                    "date",
                    &basis
                        .period
                        .computed_at
                        .map_or_else(|| DASH.to_owned(), format::date),
                )],
            ),
        };
        let unit_page = unit_href(basis.period.code.as_str(), u.unit.as_str());
        WhatIfPage {
            title: ctx.lang.tf("whatif.title", &[("unit", &u.name)]),
            period_name: basis.period.name.clone(),
            period_href: period_href(basis.period.code.as_str()),
            unit_name: u.name.clone(),
            action: format!("{unit_page}/gia-dinh"),
            unit_href: unit_page,
            basis: basis_text,
            outcome: outcome
                .map(|(b, a)| compared(&ctx, b, a))
                .unwrap_or_default(),
            changed: changes.len(),
            errors,
            areas,
            at_stake,
            ctx,
        }
    }
}
