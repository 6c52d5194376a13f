//! View models: the service's reports turned into the exact strings a page shows (Vietnamese
//! number formats, translated labels, links, SVG charts), so templates only lay them out.

use askama::Template;
use axum::http::StatusCode;
use chiso_domain::{RankMove, ResultNote, UnitCode, UnitResult};
use chiso_services::records::Period;
use chiso_services::results::ReportIntervals;

use super::PageCtx;
use crate::format::{self, DASH};
use crate::service::{PeriodReport, PeriodSummary, Source, class_band};
use chiso_charts::{self as chart, BarChartOptions, BarRow};
use chiso_services::publication::decision_text;

pub(crate) fn period_href(code: &str) -> String {
    format!("/ky/{}", format::segment(code))
}

pub(crate) fn unit_href(period: &str, unit: &str) -> String {
    format!(
        "/ky/{}/don-vi/{}",
        format::segment(period),
        format::segment(unit)
    )
}

/// CSS class of a class band: `tone-0` (highest) … `tone-4`, `tone-none`.
pub(crate) fn tone(band: Option<usize>) -> String {
    band.map_or_else(|| "tone-none".to_owned(), |b| format!("tone-{}", b.min(4)))
}

fn rank_label(u: &UnitResult) -> String {
    match u.rank {
        Some(r) => format!("{r}/{}", u.group_size),
        None => DASH.to_owned(),
    }
}

/// The note shown next to a unit ("Hết hạn, không nộp tự đánh giá"), if its result has one.
fn result_note(ctx: &PageCtx, u: &UnitResult) -> Option<String> {
    u.note.map(|n| match n {
        ResultNote::ClosedUnsubmitted => ctx.t("rank.note.closed_unsubmitted").to_owned(),
    })
}

/// A change of rank as shown: the difference with the colour of its reading, the ranks with
/// their group sizes ("12/16 → 11/11"), and why a move in a group that changed size is not
/// read as a gain or a loss.
pub(crate) struct RankChange {
    pub delta: String,
    pub trend: &'static str,
    pub path: Option<String>,
    pub note: Option<String>,
}

fn rank_change(ctx: &PageCtx, u: &UnitResult) -> RankChange {
    let path = u.previous_rank.map(|before| {
        let before = match u.previous_group_size {
            Some(size) => format!("{before}/{size}"),
            None => before.to_string(),
        };
        format!("{before} → {}", rank_label(u))
    });
    let reading = u.rank_move();
    let note = (reading == Some(RankMove::NotComparable)).then(|| {
        ctx.lang.tf(
            "rank.not_comparable",
            &[
                (
                    "before",
                    &u.previous_group_size.unwrap_or_default().to_string(),
                ),
                ("now", &u.group_size.to_string()),
            ],
        )
    });
    RankChange {
        delta: format::delta_rank(u.delta_rank),
        trend: match reading {
            None | Some(RankMove::NotComparable) => "none",
            Some(RankMove::Up) => "up",
            Some(RankMove::Down) => "down",
            Some(RankMove::Same) => "same",
        },
        path,
        note,
    }
}

fn streak_badge(ctx: &PageCtx, streak: u32) -> Option<String> {
    (streak >= 2).then(|| ctx.lang.tf("rank.streak", &[("n", &streak.to_string())]))
}

fn status_label(ctx: &PageCtx, status: &str) -> String {
    ctx.lang
        .lookup(&format!("status.{status}"))
        .map_or_else(|| status.to_owned(), str::to_owned)
}

/// The heading facts of a period.
pub(crate) struct PeriodHead {
    pub name: String,
    pub year: String,
    pub href: String,
    pub decision: Option<String>,
    /// Where the signed decision of the version shown is downloaded, when it was kept.
    pub decision_file_href: Option<String>,
    pub computed_on: String,
    /// The day of the decision that published the version shown; a dash before publication.
    pub published_on: String,
    pub status: String,
    /// Why the figures read as they do: confidential before publication, or a correction.
    pub notice: Option<String>,
    /// Every published version, when there are several.
    pub versions: Vec<VersionLink>,
}

/// A link to one published version.
pub(crate) struct VersionLink {
    pub label: String,
    pub href: String,
    pub current: bool,
}

impl PeriodHead {
    /// The facts of a period as its report shows them: a published version's own (decision,
    /// date of publication), so later changes never alter them; the live ones otherwise.
    pub(crate) fn new(ctx: &PageCtx, p: &Period, source: Option<&Source>) -> Self {
        let mut head = PeriodHead {
            name: p.name.clone(),
            // A year is a label, not a quantity: never "2.024".
            year: p.year.to_string(),
            href: period_href(p.code.as_str()),
            decision: p.decision.clone(),
            decision_file_href: None,
            computed_on: p.computed_at.map_or_else(|| DASH.to_owned(), format::date),
            published_on: DASH.to_owned(),
            status: status_label(ctx, &p.status),
            notice: None,
            versions: Vec::new(),
        };
        match source {
            Some(Source::Published { shown, versions }) => {
                head.decision = Some(decision_text(&shown.decision, shown.decided_on));
                head.published_on = chiso_domain::fmt::vi_date(shown.decided_on);
                if shown.decision_file.is_some() {
                    head.decision_file_href =
                        Some(format!("{}/quyet-dinh/{}", head.href, shown.version));
                }
                head.computed_on = shown
                    .computed_at
                    .map_or_else(|| DASH.to_owned(), format::date);
                let latest = versions.last().map_or(shown.version, |l| l.version);
                head.status = status_label(ctx, "published");
                if shown.version < latest {
                    head.notice = Some(ctx.lang.tf(
                        "period.superseded",
                        &[
                            ("n", &shown.version.to_string()),
                            ("latest", &latest.to_string()),
                        ],
                    ));
                } else if shown.version > 1 {
                    head.notice = Some(ctx.lang.tf(
                        "period.corrected",
                        &[
                            ("n", &shown.version.to_string()),
                            ("reason", shown.reason.as_deref().unwrap_or("")),
                        ],
                    ));
                }
                if versions.len() > 1 {
                    head.versions = versions
                        .iter()
                        .map(|v| VersionLink {
                            label: ctx.lang.tf(
                                "period.version",
                                &[
                                    ("n", &v.version.to_string()),
                                    ("decision", &decision_text(&v.decision, v.decided_on)),
                                ],
                            ),
                            href: format!("{}?phien-ban={}", head.href, v.version),
                            current: v.version == shown.version,
                        })
                        .collect();
                }
            }
            Some(Source::Confidential { own_only }) => {
                head.notice = Some(
                    ctx.t(if *own_only {
                        "period.confidential_own"
                    } else {
                        "period.confidential"
                    })
                    .to_owned(),
                );
            }
            None => {}
        }
        head
    }
}

/// `GET /`.
#[derive(Template)]
#[template(path = "home.html")]
pub(crate) struct HomePage {
    pub ctx: PageCtx,
    pub title: &'static str,
    pub periods: Vec<PeriodItem>,
}

/// One line of the period list.
pub(crate) struct PeriodItem {
    pub head: PeriodHead,
    pub units: String,
    /// Whether the period's page has something for the reader (see
    /// [`chiso_services::results::may_open`]); otherwise its name is not a link.
    pub linked: bool,
}

impl HomePage {
    pub fn new(
        ctx: PageCtx,
        list: &[PeriodSummary],
        viewer: &chiso_domain::authz::Principal,
    ) -> Self {
        let periods = list
            .iter()
            .map(|s| PeriodItem {
                linked: chiso_services::results::may_open(viewer, s),
                head: PeriodHead::new(
                    &ctx,
                    &s.period,
                    s.publication
                        .as_ref()
                        .map(|p| Source::Published {
                            shown: Box::new(p.clone()),
                            versions: Vec::new(),
                        })
                        .as_ref(),
                ),
                units: format::count(i64::try_from(s.units).unwrap_or(i64::MAX)),
            })
            .collect();
        HomePage {
            title: ctx.t("home.title"),
            ctx,
            periods,
        }
    }
}

/// `GET /ky/{period}`.
#[derive(Template)]
#[template(path = "period.html")]
pub(crate) struct PeriodPage {
    pub ctx: PageCtx,
    pub title: String,
    pub head: PeriodHead,
    pub computed: bool,
    pub groups: Vec<GroupView>,
    /// What the 90 % intervals under the indexes and ranks mean, when the period has them.
    pub intervals_note: Option<String>,
    /// The intervals were computed before the results shown were computed again.
    pub intervals_stale: bool,
    /// The files of the page (official workbook, CSV, JSON) and the methodology link.
    pub downloads: super::downloads::DownloadBlock,
    /// The search form and what it found.
    pub search: super::ranking::SearchView,
    /// The periods before and after this one.
    pub years: super::ranking::YearLinks,
}

/// One group's section.
pub(crate) struct GroupView {
    pub name: String,
    pub anchor: String,
    pub set_name: Option<String>,
    pub caption: String,
    /// The column headings, each a link ordering the tables.
    pub heads: Vec<super::ranking::SortHead>,
    /// The units the search shows, in the order asked for.
    pub rows: Vec<RankRow>,
    /// The group has results (whether or not the search shows some).
    pub has_results: bool,
    /// The section is shown: the search found units in it, or nothing is searched.
    pub shown: bool,
    pub stats: Option<StatsView>,
    pub chart: String,
    /// Neighbours whose order the survey data do not settle: "A và B".
    pub unsettled: Vec<String>,
    /// The group's files.
    pub downloads: super::downloads::DownloadBlock,
    /// The group's criteria analysis, when the reader may compare its units.
    pub analysis_href: Option<String>,
}

/// One line of a ranking table.
pub(crate) struct RankRow {
    pub rank: String,
    pub code: String,
    pub name: String,
    pub href: String,
    pub total: String,
    pub max: String,
    pub index: String,
    pub class: String,
    pub tone: String,
    pub delta_index: String,
    pub delta_index_trend: &'static str,
    pub rank_change: RankChange,
    pub streak: Option<String>,
    pub note: Option<String>,
    /// The 90 % intervals of the index and the rank, when the survey data give them.
    pub index_interval: Option<String>,
    pub rank_interval: Option<String>,
}

/// A group's statistics.
pub(crate) struct StatsView {
    pub units: String,
    pub ranked: String,
    pub mean_index: String,
    pub per_class: Vec<ClassCount>,
    pub improved: String,
    pub declined: String,
    pub unchanged: String,
}

/// Units in one class.
pub(crate) struct ClassCount {
    pub label: String,
    pub count: String,
    pub tone: String,
}

/// What the intervals of a report rest on, in a sentence.
fn intervals_note(ctx: &PageCtx, i: &ReportIntervals) -> String {
    ctx.lang.tf(
        "period.intervals_note",
        &[
            ("surveys", &i.intervals.surveys.join(", ")),
            ("draws", &format::count(i.intervals.draws)),
        ],
    )
}

impl PeriodPage {
    /// The page of `r` as `query` narrows and orders it, read at `version` (latest when
    /// `None`), with links to the `years` around.
    pub fn new(
        ctx: PageCtx,
        r: &PeriodReport,
        query: &chiso_services::ranking::RankingQuery,
        version: Option<i64>,
        years: &chiso_services::ranking::Neighbours,
    ) -> Self {
        let tools = super::ranking::Tools::new(r, query, version);
        let selection = chiso_services::ranking::select_all(r, query);
        let found: usize = selection.iter().map(Vec::len).sum();
        let period = r.period.code.as_str();
        let intervals = r.intervals.as_ref().map(|i| &i.intervals);
        let interval_of = |u: &UnitCode| intervals.and_then(|i| i.unit(u));
        let groups = r
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let set = g.set.as_deref();
                let band = |u: &UnitResult| class_band(set, &g.group, u.class.as_deref());
                let anchor = format!("nhom-{}", i + 1);
                let rows: Vec<RankRow> = selection[i]
                    .iter()
                    .map(|&k| &g.units[k])
                    .map(|u| RankRow {
                        rank: rank_label(u),
                        code: u.unit.to_string(),
                        name: u.name.clone(),
                        href: unit_href(period, u.unit.as_str()),
                        total: u.total.to_string(),
                        max: u.max.to_string(),
                        index: format::num(u.index),
                        class: u.class.clone().unwrap_or_else(|| DASH.to_owned()),
                        tone: tone(band(u)),
                        delta_index: format::delta(u.delta_index),
                        delta_index_trend: format::trend(u.delta_index),
                        rank_change: rank_change(&ctx, u),
                        streak: streak_badge(&ctx, u.streak),
                        note: result_note(&ctx, u),
                        index_interval: interval_of(&u.unit)
                            .map(|i| format::num_range(i.index.low, i.index.high)),
                        rank_interval: interval_of(&u.unit)
                            .and_then(|i| i.rank)
                            .map(|r| format::rank_range(r.low, r.high)),
                    })
                    .collect();
                let name = |code: &UnitCode| {
                    g.units
                        .iter()
                        .find(|u| &u.unit == code)
                        .map_or_else(|| code.to_string(), |u| u.name.clone())
                };
                let unsettled = intervals
                    .map(|i| {
                        i.unsettled_in(&g.group)
                            .map(|(a, b)| {
                                ctx.lang.tf(
                                    "period.unsettled_pair",
                                    &[("a", &name(a)), ("b", &name(b))],
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let bars: Vec<BarRow> = g
                    .units
                    .iter()
                    .map(|u| BarRow {
                        rank: u.rank,
                        label: u.name.clone(),
                        value: u.index,
                        value_label: format::num(u.index),
                        fill: chart::class_fill(band(u)).to_owned(),
                    })
                    .collect();
                let chart_title = ctx.lang.tf("chart.ranking", &[("group", g.group.as_str())]);
                let stats = g.stats.as_ref().map(|s| StatsView {
                    units: format::count(s.units),
                    ranked: format::count(s.ranked),
                    mean_index: format::num(s.mean_index),
                    per_class: s
                        .per_class
                        .iter()
                        .map(|(label, n)| ClassCount {
                            label: label.clone(),
                            count: format::count(*n),
                            tone: tone(class_band(set, &g.group, Some(label))),
                        })
                        .collect(),
                    improved: format::count(s.improved),
                    declined: format::count(s.declined),
                    unchanged: format::count(s.unchanged),
                });
                let comparable = !matches!(r.source, Source::Confidential { own_only: true });
                GroupView {
                    downloads: super::downloads::group_block(&ctx, r, &g.group),
                    analysis_href: (comparable && !g.units.is_empty())
                        .then(|| super::analysis::href(&r.period.code, Some(&g.group))),
                    name: g.group.to_string(),
                    heads: tools.heads(&ctx, &anchor),
                    anchor,
                    set_name: set.map(|s| s.name.clone()),
                    caption: ctx
                        .lang
                        .tf("period.table_caption", &[("group", g.group.as_str())]),
                    has_results: !g.units.is_empty(),
                    shown: !query.filters() || !rows.is_empty(),
                    rows,
                    stats,
                    unsettled,
                    chart: chart::bar_chart(
                        &bars,
                        &BarChartOptions {
                            title: chart_title,
                            ..BarChartOptions::default()
                        },
                    ),
                }
            })
            .collect();
        PeriodPage {
            search: tools.search(&ctx, r, found),
            years: super::ranking::YearLinks::new(&ctx, years),
            downloads: super::downloads::period_block(&ctx, r),
            title: r.period.name.clone(),
            head: PeriodHead::new(&ctx, &r.period, Some(&r.source)),
            computed: r.computed,
            groups,
            intervals_note: r.intervals.as_ref().map(|i| intervals_note(&ctx, i)),
            intervals_stale: r.intervals.as_ref().is_some_and(|i| i.stale),
            ctx,
        }
    }
}

/// `GET /ky/{period}/don-vi/{unit}`.
#[derive(Template)]
#[template(path = "unit.html")]
pub(crate) struct UnitPage {
    pub ctx: PageCtx,
    pub title: String,
    pub head: PeriodHead,
    pub unit: UnitHead,
    /// Areas to sub-criteria, the strengths sentence, streaks and history.
    pub profile: super::profile::ProfileView,
    /// The what-if page, for the people who may try one on this unit.
    pub what_if_href: Option<String>,
    /// The criteria analysis of the unit's group, when the viewer may read it.
    pub analysis_href: Option<String>,
    /// The unit's 90 % intervals in a sentence, and what they rest on.
    pub intervals: Option<(String, String)>,
    pub intervals_stale: bool,
    /// The unit's files and the methodology link.
    pub downloads: super::downloads::DownloadBlock,
    /// The same unit (or the units it comes from, or went on as) the year before and after.
    pub years: UnitYears,
}

/// Links to the unit's neighbouring years: label and address.
pub(crate) struct UnitYears {
    pub previous: Option<(String, String)>,
    pub next: Vec<(String, String)>,
}

impl UnitYears {
    /// The nearest earlier and later years of the unit's history (read through its
    /// predecessors), and, after its last year, the years its successors went on in.
    fn new(ctx: &PageCtx, p: &chiso_services::analysis::UnitProfile) -> Self {
        let u = &p.report.result;
        let shown = p.report.period.year;
        let link = |h: &chiso_services::analysis::ProfileYear| {
            let name = if h.via_names.is_empty() {
                u.name.clone()
            } else {
                h.via_names.join(", ")
            };
            (
                ctx.lang.tf(
                    "years.unit_year",
                    &[("year", &h.point.year.to_string()), ("name", &name)],
                ),
                unit_href(
                    h.period.as_str(),
                    h.point.via.first().map_or(u.unit.as_str(), |c| c.as_str()),
                ),
            )
        };
        let previous = p
            .history
            .iter()
            .filter(|h| h.point.year < shown)
            .max_by_key(|h| h.point.year)
            .map(link);
        let next = match p
            .history
            .iter()
            .filter(|h| h.point.year > shown)
            .min_by_key(|h| h.point.year)
        {
            Some(h) => vec![link(h)],
            None => p
                .successors
                .iter()
                .map(|s| {
                    (
                        ctx.lang.tf(
                            "years.successor",
                            &[("year", &s.year.to_string()), ("name", &s.name)],
                        ),
                        unit_href(s.period.as_str(), s.unit.as_str()),
                    )
                })
                .collect(),
        };
        UnitYears { previous, next }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.previous.is_none() && self.next.is_empty()
    }
}

/// The unit's headline figures.
pub(crate) struct UnitHead {
    pub code: String,
    pub name: String,
    pub group: String,
    pub rank: String,
    pub class: String,
    pub tone: String,
    pub index: String,
    pub total: String,
    pub max: String,
    pub delta_index: String,
    pub delta_index_trend: &'static str,
    pub rank_change: RankChange,
    pub note: Option<String>,
    /// The units the deltas compare with (a merger's predecessors), linked where published.
    pub compared_with: Vec<Link>,
}

/// A label with an optional link.
pub(crate) struct Link {
    pub label: String,
    pub href: Option<String>,
}

impl UnitPage {
    pub fn new(
        ctx: PageCtx,
        p: &chiso_services::analysis::UnitProfile,
        what_if_href: Option<String>,
        analysis_href: Option<String>,
    ) -> Self {
        let r = &p.report;
        let u = &r.result;
        let set = r.set.as_deref();
        let band = class_band(set, &u.group, u.class.as_deref());
        let unit = UnitHead {
            code: u.unit.to_string(),
            name: u.name.clone(),
            group: u.group.to_string(),
            rank: rank_label(u),
            class: u.class.clone().unwrap_or_else(|| DASH.to_owned()),
            tone: tone(band),
            index: format::num(u.index),
            total: u.total.to_string(),
            max: u.max.to_string(),
            delta_index: format::delta(u.delta_index),
            delta_index_trend: format::trend(u.delta_index),
            rank_change: rank_change(&ctx, u),
            note: result_note(&ctx, u),
            compared_with: r
                .compared_with
                .iter()
                .map(|p| Link {
                    label: format!("{} ({})", p.name, p.unit),
                    href: p
                        .period
                        .as_ref()
                        .map(|period| unit_href(period.as_str(), p.unit.as_str())),
                })
                .collect(),
        };
        let intervals = r.intervals.as_ref().and_then(|i| {
            let mine = i.intervals.unit(&u.unit)?;
            let index = format::num_range(mine.index.low, mine.index.high);
            let sentence = match mine.rank {
                Some(rank) => ctx.lang.tf(
                    "unit.intervals",
                    &[
                        ("index", &index),
                        ("rank", &format::rank_range(rank.low, rank.high)),
                    ],
                ),
                None => ctx.lang.tf("unit.intervals_unranked", &[("index", &index)]),
            };
            Some((sentence, intervals_note(&ctx, i)))
        });
        UnitPage {
            years: UnitYears::new(&ctx, p),
            downloads: super::downloads::unit_block(&ctx, r),
            intervals_stale: r.intervals.as_ref().is_some_and(|i| i.stale),
            intervals,
            title: format!("{} — {}", u.name, r.period.name),
            head: PeriodHead::new(&ctx, &r.period, Some(&r.source)),
            profile: super::profile::ProfileView::new(&ctx, p),
            what_if_href,
            analysis_href,
            unit,
            ctx,
        }
    }
}

/// Any error, as a page.
#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage {
    pub ctx: PageCtx,
    pub title: &'static str,
    pub status: u16,
    pub message: String,
    pub request_id: Option<String>,
}

impl ErrorPage {
    pub fn new(
        ctx: PageCtx,
        status: StatusCode,
        message: String,
        request_id: Option<String>,
    ) -> Self {
        let title = if status == StatusCode::NOT_FOUND {
            ctx.t("error.title_not_found")
        } else if status == StatusCode::FORBIDDEN {
            ctx.t("error.title_forbidden")
        } else if status.is_server_error() {
            ctx.t("error.title_internal")
        } else {
            ctx.t("error.title")
        };
        ErrorPage {
            ctx,
            title,
            status: status.as_u16(),
            message,
            request_id,
        }
    }
}

/// `GET /dang-nhap`, and the form again after a refusal.
#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage {
    pub ctx: PageCtx,
    pub title: &'static str,
    pub login: String,
    pub next: String,
    pub error: Option<String>,
}

impl LoginPage {
    pub fn new(ctx: PageCtx, login: String, next: String, error: Option<String>) -> Self {
        LoginPage {
            title: ctx.t("login.title"),
            ctx,
            login,
            next,
            error,
        }
    }
}

/// `GET /tai-khoan/mat-khau`.
#[derive(Template)]
#[template(path = "password.html")]
pub(crate) struct PasswordPage {
    pub ctx: PageCtx,
    pub title: &'static str,
    pub min_len: usize,
    pub hint: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}

impl PasswordPage {
    pub fn new(ctx: PageCtx, notice: Option<String>, error: Option<String>) -> Self {
        let min_len = crate::accounts::MIN_PASSWORD_LEN;
        PasswordPage {
            title: ctx.t("account.title"),
            hint: ctx
                .lang
                .tf("account.min_len", &[("n", &min_len.to_string())]),
            ctx,
            min_len,
            notice,
            error,
        }
    }
}

/// What the administrator typed into the create form, kept when it is refused.
#[derive(Debug, Default)]
pub(crate) struct UserDraft {
    pub login: String,
    pub display_name: String,
    pub is_admin: bool,
    /// Optional address for e-mail notifications.
    pub email: String,
}

/// One line of the user list.
pub(crate) struct UserRow {
    pub login: String,
    pub name: String,
    pub role: String,
    pub status: &'static str,
    pub disabled: bool,
    pub is_self: bool,
    pub href: String,
}

/// `GET /quan-tri/nguoi-dung`.
#[derive(Template)]
#[template(path = "admin_users.html")]
pub(crate) struct UsersPage {
    pub ctx: PageCtx,
    pub title: &'static str,
    pub rows: Vec<UserRow>,
    pub min_len: usize,
    pub notice: Option<String>,
    pub error: Option<String>,
    /// Every mistake of the creation form, next to its field and listed above it.
    pub errors: crate::unit_admin::FieldErrors,
    pub draft: UserDraft,
}

impl UsersPage {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ctx: PageCtx,
        users: &[chiso_services::records::User],
        roles: &std::collections::BTreeMap<String, String>,
        me: &str,
        notice: Option<String>,
        error: Option<String>,
        errors: crate::unit_admin::FieldErrors,
        draft: UserDraft,
    ) -> Self {
        let rows = users
            .iter()
            .map(|u| UserRow {
                login: u.login.clone(),
                name: u.display_name.clone(),
                role: match roles.get(&u.login) {
                    Some(r) if !r.is_empty() => r.clone(),
                    _ if u.is_admin => ctx.t("admin.role_admin").to_owned(),
                    _ => ctx.t("admin.role_none").to_owned(),
                },
                status: ctx.t(if u.disabled {
                    "admin.status_disabled"
                } else {
                    "admin.status_active"
                }),
                disabled: u.disabled,
                is_self: u.login == me,
                href: format!("/quan-tri/nguoi-dung/{}", format::segment(&u.login)),
            })
            .collect();
        UsersPage {
            title: ctx.t("admin.users_title"),
            ctx,
            rows,
            min_len: crate::accounts::MIN_PASSWORD_LEN,
            notice,
            error,
            errors,
            draft,
        }
    }
}

/// `GET /tai-khoan/khoa-api` and `/quan-tri/nguoi-dung/{login}/khoa-api`.
#[derive(Template)]
#[template(path = "tokens.html")]
pub(crate) struct TokensPage {
    pub ctx: PageCtx,
    pub title: &'static str,
    /// Another person's login when an administrator manages their tokens.
    pub owner: Option<String>,
    /// Where the forms post to.
    pub action: String,
    pub rows: Vec<super::tokens::TokenRow>,
    pub form: super::tokens::TokenForm,
    pub min_days: i64,
    pub max_days: i64,
    /// The secret of the token just created, shown this once.
    pub secret: Option<String>,
    pub notice: Option<String>,
    pub error: Option<String>,
}
