//! The printed reports (PDF): the period's results report, a unit's self-assessment report and
//! the appraisal minutes of a unit. Each is built from what its page shows, under the page's
//! access rules — the results report from the same report as the results page and its
//! downloads ([`crate::results::period_report`]: the published snapshot, or the confidential
//! results for the staff before publication); the self-assessment report from the unit's
//! dossier ([`crate::dossier::load`]); the minutes from the appraisal file
//! ([`crate::review::unit_file`]) — so a PDF never says what its reader could not read on a
//! page.
//!
//! Who issues a report (province, issuing body, signer, place) is not data of the periods: it
//! comes from the deployment's configuration as a [`ReportIssuer`].
//!
//! Typesetting takes a good part of a second of CPU: callers run [`render`] off their async
//! workers (`spawn_blocking`).

use std::collections::HashMap;

use chiso_domain::authz::Principal;
use chiso_domain::fmt::{vi_date, vi_decimal, vi_delta, vi_int};
use chiso_domain::workflow::{AssessmentState, VN_OFFSET};
use chiso_domain::{GroupName, IndexSet, Node, NodeCode, PeriodCode, Points, UnitCode};
use chiso_pdf::{
    AppraisalMinutes, AppraisalRow, CriterionRow, Fact, Heading, ResultsGroup, ResultsReport,
    ResultsRow, Round, SelfAssessmentReport, Signature, UnitNodeRow, UnitResultReport,
};
use chiso_store::Db;
use chiso_store::publications::Publication;
use rust_decimal::Decimal;
use time::{Date, OffsetDateTime};

use crate::analysis::UnitProfile;
use crate::dossier::{self, Dossier};
use crate::downloads::{Download, results_stem, unit_stem};
use crate::error::{ServiceError, ServiceResult};
use crate::publication::decision_text;
use crate::results::{PeriodReport, Source};
use crate::review::{self, UnitFile};

/// The media type of every report.
pub const PDF: &str = "application/pdf";

/// Who issues the reports of this deployment, as printed in their heading and signature
/// block. Set by `chiso serve --report-*` (`CHISO_REPORT_*`); the default is the demo
/// province's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportIssuer {
    /// The province's people's committee, above the issuing body (`UBND tỉnh Mẫu`).
    pub province: String,
    /// The body issuing results reports and appraisal minutes (`Sở Nội vụ`).
    pub issuer: String,
    /// The signer's title (`Giám đốc`).
    pub signer_title: String,
    /// The signer's name; empty leaves it to be written by hand.
    pub signer: String,
    /// The place in the date line (`Tỉnh Mẫu`).
    pub place: String,
}

impl Default for ReportIssuer {
    fn default() -> Self {
        ReportIssuer {
            province: "UBND tỉnh Mẫu".to_owned(),
            issuer: "Sở Nội vụ".to_owned(),
            signer_title: "Giám đốc".to_owned(),
            signer: String::new(),
            place: "Tỉnh Mẫu".to_owned(),
        }
    }
}

/// A report ready to typeset ([`render`]), with the name to save it under.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The file name (`bao-cao-chi-so-cchc-2024.pdf`).
    pub name: String,
    /// True when anybody may keep a copy (published figures).
    pub public: bool,
    document: Document,
}

#[derive(Debug, Clone)]
enum Document {
    Results(Box<ResultsReport>),
    SelfAssessment(Box<SelfAssessmentReport>),
    Minutes(Box<AppraisalMinutes>),
    Unit(Box<UnitResultReport>),
}

/// Typesets a prepared report: CPU-bound, run it on a blocking thread.
pub fn render(prepared: Prepared) -> ServiceResult<Download> {
    let bytes = match &prepared.document {
        Document::Results(d) => chiso_pdf::results_report(d),
        Document::SelfAssessment(d) => chiso_pdf::self_assessment_report(d),
        Document::Minutes(d) => chiso_pdf::appraisal_minutes(d),
        Document::Unit(d) => chiso_pdf::unit_result_report(d),
    }
    .map_err(ServiceError::internal)?;
    Ok(Download {
        name: prepared.name,
        content_type: PDF,
        bytes,
        public: prepared.public,
    })
}

fn date_line(issuer: &ReportIssuer, d: Date) -> String {
    chiso_pdf::place_and_date(&issuer.place, d.year(), u8::from(d.month()), d.day())
}

fn vn_date(at: OffsetDateTime) -> Date {
    at.to_offset(VN_OFFSET).date()
}

fn points(p: Option<Points>) -> String {
    p.map(|p| p.to_string()).unwrap_or_default()
}

fn fact(label: &str, value: impl Into<String>) -> Fact {
    Fact {
        label: label.to_owned(),
        value: value.into(),
    }
}

/// The signature of the issuing body's head.
fn issuer_signature(issuer: &ReportIssuer) -> Signature {
    Signature {
        role: String::new(),
        title: issuer.signer_title.clone(),
        name: issuer.signer.clone(),
    }
}

/// The period's results report from `report`, the one its results page shows, of every group
/// or of `group` only: the file name is [`results_report_name`]. `results_not_published`
/// before results exist.
pub fn results_report(
    report: &PeriodReport,
    group: Option<&GroupName>,
    issuer: &ReportIssuer,
    now: OffsetDateTime,
) -> ServiceResult<Prepared> {
    let shown: Vec<&crate::results::GroupReport> = report
        .groups
        .iter()
        .filter(|g| !g.units.is_empty() && group.is_none_or(|only| &g.group == only))
        .collect();
    if !report.computed || shown.is_empty() {
        return Err(ServiceError::new(crate::codes::RESULTS_NOT_PUBLISHED)
            .arg("period", &report.period.code));
    }
    let publication = report.source.publication();
    let day = publication.map_or_else(|| vn_date(now), |p| p.decided_on);
    let mut subtitle = Vec::new();
    let warning = match publication {
        Some(p) => {
            subtitle.push(attached_to(p));
            String::new()
        }
        None => UNPUBLISHED.to_owned(),
    };
    let units: usize = shown.iter().map(|g| g.units.len()).sum();
    let units = vi_int(i64::try_from(units).unwrap_or(i64::MAX));
    let intro = vec![match group {
        None => format!(
            "{} báo cáo kết quả xác định Chỉ số cải cách hành chính {} của {units} đơn vị, \
             chia theo {} nhóm, như sau:",
            issuer.issuer,
            report.period.name,
            vi_int(i64::try_from(report.groups.len()).unwrap_or(i64::MAX)),
        ),
        Some(group) => format!(
            "{} báo cáo kết quả xác định Chỉ số cải cách hành chính {} của {units} đơn vị \
             thuộc nhóm {group}, như sau:",
            issuer.issuer, report.period.name,
        ),
    }];
    let groups = shown
        .iter()
        .map(|g| results_group(g.set.as_deref(), &g.group, g))
        .collect();
    let document = ResultsReport {
        heading: Heading {
            above: issuer.province.clone(),
            issuer: issuer.issuer.clone(),
            number: "Số:      /BC".to_owned(),
            place_date: date_line(issuer, day),
            kind: "Báo cáo".to_owned(),
            title: match group {
                None => format!("Kết quả Chỉ số cải cách hành chính {}", report.period.name),
                Some(g) => format!(
                    "Kết quả Chỉ số cải cách hành chính {} — {g}",
                    report.period.name
                ),
            },
            subtitle,
        },
        warning,
        intro,
        groups,
        recipients: vec![
            issuer.province.clone() + " (để báo cáo)",
            "Các cơ quan, đơn vị được đánh giá".to_owned(),
            "Lưu: VT.".to_owned(),
        ],
        signature: issuer_signature(issuer),
    };
    Ok(Prepared {
        name: results_report_name(report, group),
        public: publication.is_some(),
        document: Document::Results(Box::new(document)),
    })
}

/// The warning over results printed before their publication.
const UNPUBLISHED: &str = "KẾT QUẢ CHƯA CÔNG BỐ — TÀI LIỆU MẬT, CHỈ DÙNG NỘI BỘ";

/// The line under a results document's title: the decision it goes with, and the version
/// when the results were corrected.
fn attached_to(p: &Publication) -> String {
    let decision = decision_text(&p.decision, p.decided_on);
    if p.version > 1 {
        format!("(Kèm theo {decision}, phiên bản {})", p.version)
    } else {
        format!("(Kèm theo {decision})")
    }
}

/// The most units a ranking chart draws one bar each for: beyond it the bars of a printed page
/// are too thin to read, and the group's chart shows the distribution of indexes instead.
const MAX_BARS: usize = 40;

/// Position of a class among the bands of `group` (0 = highest), which picks its colour.
fn class_band(set: Option<&IndexSet>, group: &GroupName, class: Option<&str>) -> Option<usize> {
    let class = class?;
    match set {
        Some(set) => set
            .classes
            .bands_for(group)
            .iter()
            .position(|b| b.label == class),
        None => chiso_domain::ClassScheme::common_default()
            .default
            .iter()
            .position(|b| b.label == class),
    }
}

fn results_group(
    set: Option<&IndexSet>,
    group: &GroupName,
    g: &crate::results::GroupReport,
) -> ResultsGroup {
    let rows = g
        .units
        .iter()
        .map(|u| ResultsRow {
            rank: u.rank.map_or_else(|| "—".to_owned(), |r| r.to_string()),
            unit: u.name.clone(),
            total: u.total.to_string(),
            max: u.max.to_string(),
            index: vi_decimal(u.index, 2),
            class: u.class.clone().unwrap_or_default(),
            delta: u.delta_index.map(vi_delta).unwrap_or_default(),
        })
        .collect();
    let chart = if g.units.len() <= MAX_BARS {
        let bars: Vec<chiso_charts::BarRow> = g
            .units
            .iter()
            .map(|u| chiso_charts::BarRow {
                rank: u.rank,
                label: u.name.clone(),
                value: u.index,
                value_label: vi_decimal(u.index, 2),
                fill: chiso_charts::class_fill(class_band(set, group, u.class.as_deref()))
                    .to_owned(),
            })
            .collect();
        chiso_charts::bar_chart(
            &bars,
            &chiso_charts::BarChartOptions {
                title: format!("Xếp hạng {group}"),
                ..Default::default()
            },
        )
    } else {
        let indexes: Vec<Decimal> = g.units.iter().map(|u| u.index).collect();
        let bins: Vec<chiso_charts::HistogramBin> = chiso_domain::analysis::histogram(&indexes, 10)
            .into_iter()
            .map(|b| chiso_charts::HistogramBin {
                label: format!("{}–{}", b.low, b.high),
                count: b.count,
            })
            .collect();
        let description = bins
            .iter()
            .map(|b| format!("{}: {}", b.label, b.count))
            .collect::<Vec<_>>()
            .join("; ");
        chiso_charts::histogram(&bins, &format!("Phân bố chỉ số {group}"), &description)
    };
    let mut facts = Vec::new();
    if let Some(s) = &g.stats {
        facts.push(fact("Số đơn vị", vi_int(i64::from(s.units))));
        facts.push(fact("Chỉ số trung bình", vi_decimal(s.mean_index, 2)));
        if !s.per_class.is_empty() {
            let classes = s
                .per_class
                .iter()
                .map(|(label, n)| format!("{label}: {}", vi_int(i64::from(*n))))
                .collect::<Vec<_>>()
                .join("; ");
            facts.push(fact("Xếp loại", classes));
        }
    }
    if let Some(set) = set {
        facts.push(fact("Bộ chỉ số", set.name.clone()));
    }
    ResultsGroup {
        name: group.to_string(),
        facts,
        chart_svg: Some(chart),
        rows,
    }
}

/// Every node of `set` in tree order with its depth (0 for an area).
fn nodes_with_depth(set: &IndexSet) -> Vec<(&Node, u8)> {
    fn push<'a>(n: &'a Node, depth: u8, out: &mut Vec<(&'a Node, u8)>) {
        out.push((n, depth));
        for c in &n.children {
            push(c, depth.saturating_add(1), out);
        }
    }
    let mut out = Vec::new();
    for area in &set.nodes {
        push(area, 0, &mut out);
    }
    out
}

/// The sum over the leaves under `node` of what `leaf` gives; `None` when no leaf gives any.
fn sum_under(node: &Node, leaf: &impl Fn(&Node) -> Option<Decimal>) -> Option<Decimal> {
    if node.is_leaf() {
        return leaf(node);
    }
    node.children
        .iter()
        .filter_map(|c| sum_under(c, leaf))
        .reduce(|a, b| a + b)
}

fn sum_text(d: Option<Decimal>) -> String {
    points(d.map(Points))
}

fn display_name(names: &HashMap<String, String>, login: Option<&str>) -> String {
    login
        .map(|l| names.get(l).cloned().unwrap_or_else(|| l.to_owned()))
        .unwrap_or_default()
}

/// The self-assessment report of `unit` in `period`: what its leader signs when submitting.
/// Refused as the self-assessment page is ([`dossier::load`]).
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit))]
pub async fn self_assessment_report(
    db: &Db,
    viewer: &Principal,
    period: &PeriodCode,
    unit: &UnitCode,
    issuer: &ReportIssuer,
    now: OffsetDateTime,
) -> ServiceResult<Prepared> {
    let d = dossier::load(db, viewer, period, unit, now).await?;
    let names = dossier::names(db).await?;
    Ok(self_assessment_of(&d, &names, issuer, now))
}

fn self_assessment_of(
    d: &Dossier,
    names: &HashMap<String, String>,
    issuer: &ReportIssuer,
    now: OffsetDateTime,
) -> Prepared {
    let a = &d.assessment;
    let own = |n: &Node| {
        (dossier::unit_enters(n) && d.visible(&n.code))
            .then(|| d.leaves.get(&n.code))
            .flatten()
            .and_then(|l| l.self_assessment.points)
            .map(Points::value)
    };
    let evidence = |code: &NodeCode| d.evidence.iter().filter(|e| &e.key.node == code).count();
    let rows = nodes_with_depth(&d.set)
        .into_iter()
        .filter(|(n, _)| d.visible(&n.code) || !n.is_leaf())
        .map(|(n, depth)| {
            let stored = d.leaves.get(&n.code);
            let note = stored
                .map(|l| {
                    [
                        l.self_assessment.note.as_deref(),
                        l.self_assessment.explanation.as_deref(),
                    ]
                    .into_iter()
                    .flatten()
                    .filter(|s| !s.trim().is_empty())
                    .collect::<Vec<_>>()
                    .join(" — ")
                })
                .unwrap_or_default();
            CriterionRow {
                code: n.code.to_string(),
                title: n.title.clone(),
                depth,
                max: n.max.to_string(),
                points: sum_text(sum_under(n, &own)),
                evidence: if n.is_leaf() && dossier::unit_enters(n) {
                    vi_int(i64::try_from(evidence(&n.code)).unwrap_or(i64::MAX))
                } else {
                    String::new()
                },
                note,
            }
        })
        .collect();
    let total: Option<Decimal> = d
        .set
        .nodes
        .iter()
        .filter_map(|n| sum_under(n, &own))
        .reduce(|x, y| x + y);
    let entered = d
        .set
        .leaves()
        .into_iter()
        .filter(|n| dossier::unit_enters(n))
        .count();
    let answered = d
        .set
        .leaves()
        .into_iter()
        .filter(|n| own(n).is_some())
        .count();
    let submitted = a.submitted_at.map(vn_date);
    let day = submitted.unwrap_or_else(|| vn_date(now));
    let warning = match (a.state, submitted) {
        (AssessmentState::NotStarted | AssessmentState::Draft, _) | (_, None) => {
            format!(
                "BẢN NHÁP — CHƯA NỘP ({}): chưa có giá trị để ký",
                a.state.label_vi()
            )
        }
        _ => String::new(),
    };
    let mut facts = vec![
        fact("Tổng điểm tự đánh giá", sum_text(total)),
        fact(
            "Tiêu chí đơn vị tự chấm đã có điểm",
            format!(
                "{}/{}",
                vi_int(i64::try_from(answered).unwrap_or(i64::MAX)),
                vi_int(i64::try_from(entered).unwrap_or(i64::MAX))
            ),
        ),
        fact(
            "Tài liệu kiểm chứng",
            vi_int(i64::try_from(d.evidence.len()).unwrap_or(i64::MAX)),
        ),
        fact("Trạng thái", a.state.label_vi()),
    ];
    if let Some(on) = submitted {
        facts.push(fact(
            "Ngày nộp",
            format!(
                "{} ({})",
                vi_date(on),
                display_name(names, a.submitted_by.as_deref())
            ),
        ));
    }
    let document = SelfAssessmentReport {
        heading: Heading {
            above: issuer.province.clone(),
            issuer: d.unit.name.clone(),
            number: String::new(),
            place_date: date_line(issuer, day),
            kind: "Báo cáo".to_owned(),
            title: format!(
                "Tự đánh giá, chấm điểm Chỉ số cải cách hành chính {}",
                d.period.name
            ),
            subtitle: vec![format!("Bộ chỉ số: {}", d.set.name)],
        },
        warning,
        intro: vec![format!(
            "{} báo cáo kết quả tự đánh giá, chấm điểm các tiêu chí, tiêu chí thành phần \
             của Chỉ số cải cách hành chính {} như sau:",
            d.unit.name, d.period.name
        )],
        facts,
        rows,
        recipients: vec![issuer.issuer.clone(), "Lưu: VT.".to_owned()],
        signature: Signature {
            role: String::new(),
            title: "Thủ trưởng đơn vị".to_owned(),
            name: display_name(names, a.submitted_by.as_deref()),
        },
    };
    Prepared {
        name: format!(
            "bao-cao-tu-danh-gia-{}-{}.pdf",
            chiso_formats::file_slug(d.period.code.as_str()),
            file_slug_or_code(&d.unit.name, d.unit.code.as_str())
        ),
        public: false,
        document: Document::SelfAssessment(Box::new(document)),
    }
}

fn file_slug_or_code(name: &str, code: &str) -> String {
    let slug = chiso_formats::file_slug(name);
    if slug.is_empty() {
        chiso_formats::file_slug(code)
    } else {
        slug
    }
}

/// The appraisal minutes of `unit` in `period`: its own points next to the appraised ones,
/// with the appraisers' reasons and the explanation rounds. Refused as the appraisal file is
/// ([`review::unit_file`]); an appraiser assigned by area gets the areas they see.
#[tracing::instrument(skip_all, fields(period = %period, unit = %unit))]
pub async fn appraisal_minutes(
    db: &Db,
    viewer: &Principal,
    period: &PeriodCode,
    unit: &UnitCode,
    issuer: &ReportIssuer,
    now: OffsetDateTime,
) -> ServiceResult<Prepared> {
    let f = review::unit_file(db, viewer, period, unit, now).await?;
    Ok(minutes_of(&f, issuer, now))
}

fn minutes_of(f: &UnitFile, issuer: &ReportIssuer, now: OffsetDateTime) -> Prepared {
    let a = &f.assessment;
    let visible = |n: &Node| f.may.visible.contains(&n.code);
    let own = |n: &Node| {
        visible(n)
            .then(|| f.leaves.get(&n.code))
            .flatten()
            .and_then(|l| l.self_assessment.points)
            .map(Points::value)
    };
    let official = |n: &Node| {
        visible(n)
            .then(|| review::official_points(f.leaves.get(&n.code)))
            .flatten()
            .map(Points::value)
    };
    let rows: Vec<AppraisalRow> = nodes_with_depth(&f.set)
        .into_iter()
        .filter(|(n, _)| !n.is_leaf() || visible(n))
        .map(|(n, depth)| {
            let stored = f.leaves.get(&n.code);
            let (mine, theirs) = (sum_under(n, &own), sum_under(n, &official));
            let difference = match (mine, theirs) {
                (Some(x), Some(y)) if x != y => vi_delta(y - x),
                _ => String::new(),
            };
            AppraisalRow {
                code: n.code.to_string(),
                title: n.title.clone(),
                depth,
                max: n.max.to_string(),
                own: sum_text(mine),
                appraised: sum_text(theirs),
                difference,
                reason: stored
                    .filter(|l| l.is_appraised())
                    .and_then(|l| l.appraisal.comment.clone())
                    .unwrap_or_default(),
            }
        })
        .collect();
    let total = |g: &dyn Fn(&Node) -> Option<Decimal>| {
        f.set
            .nodes
            .iter()
            .filter_map(|n| sum_under(n, &g))
            .reduce(|x, y| x + y)
    };
    let (own_total, official_total) = (total(&own), total(&official));
    let changed = f
        .visible_leaves()
        .into_iter()
        .filter(|n| {
            f.leaves
                .get(&n.code)
                .is_some_and(|l| l.is_appraised() && l.appraisal.points != l.self_assessment.points)
        })
        .count();
    let mut appraisers: Vec<String> = f
        .visible_leaves()
        .into_iter()
        .filter_map(|n| f.leaves.get(&n.code))
        .filter(|l| l.is_appraised())
        .filter_map(|l| l.appraised_by.as_deref())
        .map(|login| display_name(&f.names, Some(login)))
        .collect();
    appraisers.sort();
    appraisers.dedup();

    let mut requests: Vec<_> = f
        .requests
        .values()
        .filter(|r| f.may.visible.contains(&r.key.node))
        .collect();
    requests.sort_by_key(|x| (x.requested_at, x.id));
    let rounds = if requests.is_empty() {
        Vec::new()
    } else {
        let first = requests.first().map(|r| vn_date(r.requested_at));
        let last = requests
            .iter()
            .filter_map(|r| r.answered_at.or(Some(r.requested_at)))
            .max()
            .map(vn_date);
        let span = match (first, last) {
            (Some(x), Some(y)) if x != y => format!(" ({} – {})", vi_date(x), vi_date(y)),
            (Some(x), _) => format!(" ({})", vi_date(x)),
            _ => String::new(),
        };
        vec![Round {
            title: format!("Yêu cầu giải trình{span}"),
            lines: requests
                .iter()
                .map(|r| {
                    let answer = r
                        .answer
                        .as_deref()
                        .filter(|s| !s.trim().is_empty())
                        .map_or_else(|| "chưa trả lời".to_owned(), |s| format!("trả lời: {s}"));
                    format!("{}: {} — {answer}", r.key.node, r.request)
                })
                .collect(),
        }]
    };

    let finalised = a.state == AssessmentState::Finalised;
    let day = a
        .finalised_at
        .filter(|_| finalised)
        .map_or_else(|| vn_date(now), vn_date);
    let warning = if finalised {
        String::new()
    } else {
        format!(
            "BIÊN BẢN TẠM — hồ sơ chưa được phê duyệt ({})",
            a.state.label_vi()
        )
    };
    let mut intro = vec![format!(
        "Thẩm định kết quả tự đánh giá Chỉ số cải cách hành chính {} của {} (nhóm {}, bộ chỉ số {}).",
        f.period.name, f.unit_name, f.group, f.set.name
    )];
    if let Some(on) = a.submitted_at {
        intro.push(format!(
            "Đơn vị nộp bản tự đánh giá ngày {}.",
            vi_date(vn_date(on))
        ));
    }
    if !appraisers.is_empty() {
        intro.push(format!("Người thẩm định: {}.", appraisers.join(", ")));
    }
    let facts = vec![
        fact("Tổng điểm tự đánh giá", sum_text(own_total)),
        fact("Tổng điểm sau thẩm định", sum_text(official_total)),
        fact(
            "Chênh lệch",
            match (own_total, official_total) {
                (Some(x), Some(y)) => vi_delta(y - x),
                _ => String::new(),
            },
        ),
        fact(
            "Tiêu chí thành phần được điều chỉnh",
            vi_int(i64::try_from(changed).unwrap_or(i64::MAX)),
        ),
    ];
    let mut closing = Vec::new();
    if finalised {
        closing.push(format!(
            "Kết quả thẩm định được phê duyệt ngày {}.",
            vi_date(day)
        ));
    }
    closing.push(
        "Biên bản được lập thành 02 bản, đơn vị giữ 01 bản, cơ quan thẩm định giữ 01 bản."
            .to_owned(),
    );
    let document = AppraisalMinutes {
        heading: Heading {
            above: issuer.province.clone(),
            issuer: issuer.issuer.clone(),
            number: String::new(),
            place_date: date_line(issuer, day),
            kind: "Biên bản".to_owned(),
            title: format!("Thẩm định kết quả tự đánh giá của {}", f.unit_name),
            subtitle: vec![format!("Chỉ số cải cách hành chính {}", f.period.name)],
        },
        warning,
        intro,
        facts,
        rows,
        rounds,
        closing,
        signatures: vec![
            Signature {
                role: "Đại diện đơn vị".to_owned(),
                title: "Thủ trưởng đơn vị".to_owned(),
                name: display_name(&f.names, a.submitted_by.as_deref()),
            },
            Signature {
                role: format!("Đại diện {}", issuer.issuer),
                title: issuer.signer_title.clone(),
                name: issuer.signer.clone(),
            },
        ],
    };
    Prepared {
        name: format!(
            "bien-ban-tham-dinh-{}-{}.pdf",
            chiso_formats::file_slug(f.period.code.as_str()),
            file_slug_or_code(&f.unit_name, f.unit.as_str())
        ),
        public: false,
        document: Document::Minutes(Box::new(document)),
    }
}

/// A unit's result sheet from its profile — what its page on the results portal shows, the
/// same snapshot under the same access rules ([`crate::analysis::unit_profile`]): totals,
/// rank and class, the history of its index, and every area, criterion and sub-criterion with
/// the group's mean and best when the reader may compare. The file name is the unit page's
/// download stem (`chi-so-cchc-2024-so-tai-chinh.pdf`).
pub fn unit_result_report(
    profile: &UnitProfile,
    issuer: &ReportIssuer,
    now: OffsetDateTime,
) -> Prepared {
    let r = &profile.report;
    let u = &r.result;
    let set = r.set.as_deref();
    let publication = r.source.publication();
    let day = publication.map_or_else(|| vn_date(now), |p| p.decided_on);
    let subtitle = publication.map(attached_to).into_iter().collect();
    let warning = if publication.is_none() {
        UNPUBLISHED.to_owned()
    } else {
        String::new()
    };
    let mut facts = vec![
        fact("Nhóm", u.group.to_string()),
        fact("Điểm đạt / tối đa", format!("{} / {}", u.total, u.max)),
        fact("Chỉ số (%)", vi_decimal(u.index, 2)),
    ];
    if let Some(class) = &u.class {
        facts.push(fact("Xếp loại", class.clone()));
    }
    facts.push(fact(
        "Xếp hạng trong nhóm",
        u.rank.map_or_else(
            || "không xếp hạng".to_owned(),
            |rank| format!("{rank}/{}", u.group_size),
        ),
    ));
    if let Some(delta) = u.delta_index {
        facts.push(fact("Tăng/giảm chỉ số so với năm trước", vi_delta(delta)));
    }
    let mut intro = Vec::new();
    if let Some((strong, weak)) = profile.strongest_weakest() {
        let share = |f: &chiso_domain::analysis::NodeFigure| {
            f.share()
                .map_or_else(|| "—".to_owned(), |s| vi_decimal(s, 2))
        };
        intro.push(format!(
            "Tiêu chí đạt tỷ lệ điểm cao nhất: {} ({} % điểm tối đa); thấp nhất: {} ({} %).",
            profile.named(strong),
            share(strong),
            profile.named(weak),
            share(weak),
        ));
    }
    if let Some((rank, n)) = profile.rank_streak().filter(|(_, n)| *n >= 2) {
        intro.push(format!("Hạng {rank}: {n} năm liên tiếp."));
    }
    if let Some((class, n)) = profile.streaks.class.as_ref().filter(|(_, n)| *n >= 2) {
        intro.push(format!("Xếp loại {class}: {n} năm liên tiếp."));
    }
    let chart_svg = (profile.history.len() >= 2).then(|| history_chart(profile));
    let benchmarks = profile.benchmarks.as_ref();
    let rows = profile
        .figures
        .iter()
        .map(|f| {
            let b = benchmarks.and_then(|m| m.get(&f.code));
            let shown = f.applicable || !f.max.0.is_zero();
            UnitNodeRow {
                code: f.code.to_string(),
                title: set
                    .and_then(|s| s.find(&f.code))
                    .map(|n| n.title.clone())
                    .unwrap_or_default(),
                depth: u8::try_from(f.depth.saturating_sub(1)).unwrap_or(u8::MAX),
                max: if shown {
                    f.max.to_string()
                } else {
                    "—".to_owned()
                },
                points: f.points.to_string(),
                share: f
                    .share()
                    .filter(|_| f.applicable)
                    .map_or_else(|| "—".to_owned(), |s| vi_decimal(s, 2)),
                mean: b.map(|b| vi_decimal(b.mean, 2)).unwrap_or_default(),
                best: b.map(|b| vi_decimal(b.best, 2)).unwrap_or_default(),
            }
        })
        .collect();
    let document = UnitResultReport {
        heading: Heading {
            above: issuer.province.clone(),
            issuer: issuer.issuer.clone(),
            number: String::new(),
            place_date: date_line(issuer, day),
            kind: "Kết quả".to_owned(),
            title: format!(
                "Chỉ số cải cách hành chính năm {} của {}",
                r.period.year, u.name
            ),
            subtitle,
        },
        warning,
        intro,
        facts,
        chart_svg,
        benchmarks: benchmarks.is_some(),
        rows,
        recipients: vec![u.name.clone(), "Lưu: VT.".to_owned()],
        signature: issuer_signature(issuer),
    };
    Prepared {
        name: unit_result_report_name(r),
        public: publication.is_some(),
        document: Document::Unit(Box::new(document)),
    }
}

/// The name of a unit's result sheet: its page's download stem, `.pdf`.
pub fn unit_result_report_name(report: &crate::results::UnitReport) -> String {
    format!("{}.pdf", unit_stem(report))
}

/// The unit's index over the years, points coloured by class, rank under each year.
fn history_chart(profile: &UnitProfile) -> String {
    let u = &profile.report.result;
    let set = profile.report.set.as_deref();
    let points: Vec<chiso_charts::LinePoint> = profile
        .history
        .iter()
        .map(|h| chiso_charts::LinePoint {
            label: h.point.year.to_string(),
            value: h.point.index,
            value_label: vi_decimal(h.point.index, 2),
            note: h.point.rank.map(|rank| match h.group_size {
                Some(size) => format!("{rank}/{size}"),
                None => rank.to_string(),
            }),
            fill: chiso_charts::class_fill(class_band(set, &u.group, h.point.class.as_deref()))
                .to_owned(),
        })
        .collect();
    let description = profile
        .history
        .iter()
        .map(|h| format!("{}: {}", h.point.year, vi_decimal(h.point.index, 2)))
        .collect::<Vec<_>>()
        .join("; ");
    chiso_charts::line_chart(
        &points,
        &chiso_charts::LineChartOptions {
            title: "Chỉ số (%) qua các năm".to_owned(),
            description,
            ..Default::default()
        },
    )
}

/// The name of the period's results report (or of one group's) as its page links it: the
/// results page's stem (`chi-so-cchc-2024-so-ban-nganh`) behind `bao-cao-`.
pub fn results_report_name(report: &PeriodReport, group: Option<&GroupName>) -> String {
    format!("bao-cao-{}.pdf", results_stem(report, group))
}

/// The group of the period's results report named `file` (`None` for the whole period's), or
/// nothing when no report of `report` has that name.
pub fn match_results_report(report: &PeriodReport, file: &str) -> Option<Option<GroupName>> {
    if file == results_report_name(report, None) {
        return Some(None);
    }
    report
        .groups
        .iter()
        .filter(|g| !g.units.is_empty())
        .find(|g| results_report_name(report, Some(&g.group)) == file)
        .map(|g| Some(g.group.clone()))
}

/// True when `report` has results a report can be made of (what [`results_report`] accepts).
pub fn has_results_report(report: &PeriodReport) -> bool {
    report.computed && report.groups.iter().any(|g| !g.units.is_empty())
}

/// Whether the results shown are published (the report may be cached and shared).
pub fn is_published(report: &PeriodReport) -> bool {
    matches!(report.source, Source::Published { .. })
}
