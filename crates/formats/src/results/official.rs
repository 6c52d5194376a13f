//! The official Excel workbook of a period's results (bảng tổng hợp kết quả Chỉ số CCHC), the
//! file a Department of Home Affairs attaches to its decision: a summary sheet of every unit,
//! one sheet per group with a native Excel bar chart of its ranking, and a sheet of the points
//! of every leaf criterion of every unit.
//!
//! Figures are the published values (2 decimals, half away from zero) written as numeric cells
//! with a `0.00` format, so Excel shows them in the reader's locale (89,83) and they can be
//! summed and sorted. Every sheet has the period and its decision in title rows that are
//! repeated on each printed page, a frozen header row, an autofilter and an A4 landscape print
//! set-up fitted to the page width.
//!
//! This workbook is for people; the machine table that `--previous` reads back is
//! [`super::results_xlsx`].

use chiso_domain::{GroupName, GroupStats, IndexSet, Node, NodeCode, UnitResult};
use rust_decimal::Decimal;
use rust_xlsxwriter::{
    Chart, ChartDataLabel, ChartType, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
};

use super::write::{area_points, fixed2};
use crate::error::ExportError;

/// One group of units as the workbook shows it.
#[derive(Debug, Clone, Copy)]
pub struct OfficialGroup<'a> {
    /// The group's name (a sheet is named after it).
    pub name: &'a GroupName,
    /// The index set the group was scored under: area columns, leaf titles and maxima.
    pub set: Option<&'a IndexSet>,
    /// The group's statistics, when computed (and readable by the reader).
    pub stats: Option<&'a GroupStats>,
    /// The units in rank order, unranked last.
    pub units: &'a [UnitResult],
}

/// What the workbook is made of.
#[derive(Debug, Clone)]
pub struct OfficialWorkbook<'a> {
    /// The period's name ("Chỉ số CCHC năm 2025").
    pub period_name: &'a str,
    /// The line under the title: the decision that published the results ("Quyết định số
    /// 567/QĐ-UBND ngày 20/03/2025"), or why there is none (confidential results).
    pub decision: &'a str,
    /// The groups, in the order of the period's plan.
    pub groups: Vec<OfficialGroup<'a>>,
}

/// Rows of the title block above every table: the period, then the decision line.
const TITLE_ROWS: u32 = 2;
/// Excel's paper size code of A4.
const A4: u8 = 9;
/// The longest sheet name Excel accepts.
const SHEET_NAME_MAX: usize = 31;
const SUMMARY: &str = "Tổng hợp";
const CRITERIA: &str = "Chi tiết tiêu chí";

fn xerr(e: rust_xlsxwriter::XlsxError) -> ExportError {
    ExportError::Xlsx(e.to_string())
}

/// A published figure as the double Excel stores, from its exact 2-decimal text.
fn number(d: Decimal) -> f64 {
    fixed2(d).parse().unwrap_or_default()
}

/// The cell formats of the workbook.
struct Formats {
    title: Format,
    subtitle: Format,
    header: Format,
    text: Format,
    num2: Format,
    int: Format,
    delta: Format,
    delta_int: Format,
}

impl Formats {
    fn new() -> Self {
        let cell = Format::new().set_border(FormatBorder::Thin);
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            subtitle: Format::new().set_italic(),
            header: cell
                .clone()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color("#DDE7F3"),
            text: cell.clone(),
            num2: cell.clone().set_num_format("0.00"),
            int: cell.clone().set_num_format("0"),
            delta: cell.clone().set_num_format("+0.00;-0.00;0.00"),
            delta_int: cell.set_num_format("+0;-0;0"),
        }
    }
}

/// A sheet name Excel accepts from `raw`: no `[]:*?/\`, at most 31 characters, not one of
/// `taken` (a number is added to tell two apart).
fn sheet_name(raw: &str, taken: &[String]) -> String {
    let clean: String = raw
        .chars()
        .map(|c| match c {
            '[' | ']' | ':' | '*' | '?' | '/' | '\\' => '-',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let clean = clean.trim().trim_matches('\'').trim();
    let base: String = if clean.is_empty() {
        "Nhóm".to_owned()
    } else {
        clean.chars().take(SHEET_NAME_MAX).collect()
    };
    let free = |n: &str| !taken.iter().any(|t| t.to_lowercase() == n.to_lowercase());
    if free(&base) {
        return base;
    }
    (2..)
        .map(|i| {
            let suffix = format!(" ({i})");
            let keep = SHEET_NAME_MAX - suffix.chars().count();
            format!("{}{suffix}", base.chars().take(keep).collect::<String>())
        })
        .find(|n| free(n))
        .unwrap_or(base)
}

/// A sheet's title rows, print set-up and the header row at `TITLE_ROWS + extra`; returns the
/// header's row.
fn start_sheet(
    ws: &mut Worksheet,
    w: &OfficialWorkbook<'_>,
    subtitle: Option<&str>,
    headers: &[(String, f64)],
    f: &Formats,
    freeze_cols: u16,
) -> Result<u32, ExportError> {
    ws.write_string_with_format(0, 0, w.period_name, &f.title)
        .map_err(xerr)?;
    ws.write_string_with_format(1, 0, w.decision, &f.subtitle)
        .map_err(xerr)?;
    let mut header = TITLE_ROWS;
    if let Some(s) = subtitle {
        ws.write_string_with_format(header, 0, s, &f.subtitle.clone().set_bold())
            .map_err(xerr)?;
        header += 1;
    }
    for (c, (h, width)) in headers.iter().enumerate() {
        let c = col(c);
        ws.write_string_with_format(header, c, h, &f.header)
            .map_err(xerr)?;
        ws.set_column_width(c, *width).map_err(xerr)?;
    }
    ws.set_row_height(header, 45).map_err(xerr)?;
    ws.set_freeze_panes(header + 1, freeze_cols).map_err(xerr)?;
    ws.set_paper_size(A4);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, header).map_err(xerr)?;
    ws.set_footer("&CTrang &P/&N");
    Ok(header)
}

/// A column index as Excel's type; sheets here never have more than a few hundred columns.
fn col(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// A row index as Excel's type (a sheet holds at most about a million rows).
fn row(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// The areas of a group's set, in order, with their titles.
fn areas_of(set: Option<&IndexSet>, units: &[UnitResult]) -> Vec<(NodeCode, String)> {
    if let Some(set) = set {
        return set
            .nodes
            .iter()
            .map(|n| (n.code.clone(), n.title.clone()))
            .collect();
    }
    let mut codes: Vec<NodeCode> = units
        .iter()
        .flat_map(|u| {
            u.nodes
                .iter()
                .map(|n| &n.code)
                .chain(u.leaves.iter().map(|l| &l.code))
        })
        .filter(|c| c.depth() == 1)
        .cloned()
        .collect();
    codes.sort();
    codes.dedup();
    codes.into_iter().map(|c| (c, String::new())).collect()
}

/// The header of an area column: "1. Công tác chỉ đạo… (30)".
fn area_header(code: &NodeCode, title: &str, set: Option<&IndexSet>) -> String {
    let max = set
        .and_then(|s| s.find(code))
        .map(|n| format!(" ({})", chiso_domain::fmt::vi_plain(n.max.0)));
    let title = if title.is_empty() {
        format!("Lĩnh vực {code}")
    } else {
        format!("{code}. {title}")
    };
    format!("{title}{}", max.unwrap_or_default())
}

/// Writes the figures of one unit from column `first` on: areas, total, max, index, class,
/// Δ index, Δ rank. Returns nothing; the caller knows the layout.
fn write_figures(
    ws: &mut Worksheet,
    r: u32,
    first: u16,
    u: &UnitResult,
    areas: &[(NodeCode, String)],
    f: &Formats,
) -> Result<(), ExportError> {
    let mut c = first;
    for (code, _) in areas {
        match area_points(u, code) {
            Some(p) => ws.write_number_with_format(r, c, number(p), &f.num2),
            None => ws.write_blank(r, c, &f.text),
        }
        .map_err(xerr)?;
        c += 1;
    }
    ws.write_number_with_format(r, c, number(u.total.0), &f.num2)
        .map_err(xerr)?;
    ws.write_number_with_format(r, c + 1, number(u.max.0), &f.num2)
        .map_err(xerr)?;
    ws.write_number_with_format(r, c + 2, number(u.index), &f.num2)
        .map_err(xerr)?;
    ws.write_string_with_format(r, c + 3, u.class.as_deref().unwrap_or(""), &f.text)
        .map_err(xerr)?;
    match u.delta_index {
        Some(d) => ws.write_number_with_format(r, c + 4, number(d), &f.delta),
        None => ws.write_blank(r, c + 4, &f.text),
    }
    .map_err(xerr)?;
    match u.delta_rank {
        Some(d) => ws.write_number_with_format(r, c + 5, f64::from(d), &f.delta_int),
        None => ws.write_blank(r, c + 5, &f.text),
    }
    .map_err(xerr)?;
    Ok(())
}

/// The headers of [`write_figures`].
fn figure_headers(areas: &[(NodeCode, String)], set: Option<&IndexSet>) -> Vec<(String, f64)> {
    let mut h: Vec<(String, f64)> = areas
        .iter()
        .map(|(code, title)| (area_header(code, title, set), 14.0))
        .collect();
    h.extend([
        ("Tổng điểm".to_owned(), 10.0),
        ("Điểm tối đa".to_owned(), 10.0),
        ("Chỉ số (%)".to_owned(), 10.0),
        ("Xếp loại".to_owned(), 12.0),
        ("Tăng/giảm chỉ số so với năm trước".to_owned(), 12.0),
        ("Tăng/giảm hạng so với năm trước".to_owned(), 11.0),
    ]);
    h
}

fn write_rank(
    ws: &mut Worksheet,
    r: u32,
    c: u16,
    u: &UnitResult,
    f: &Formats,
) -> Result<(), ExportError> {
    match u.rank {
        Some(rank) => ws.write_number_with_format(r, c, f64::from(rank), &f.int),
        None => ws.write_blank(r, c, &f.text),
    }
    .map_err(xerr)?;
    Ok(())
}

/// The summary sheet: every unit of every group, with its group.
fn summary_sheet(
    wb: &mut Workbook,
    w: &OfficialWorkbook<'_>,
    f: &Formats,
) -> Result<(), ExportError> {
    // Area columns: every group's areas by code, in the order first met.
    let mut areas: Vec<(NodeCode, String)> = Vec::new();
    for g in &w.groups {
        for a in areas_of(g.set, g.units) {
            if !areas.iter().any(|(c, _)| c == &a.0) {
                areas.push(a);
            }
        }
    }
    // With several sets an area code may have several titles: the header says only the code.
    let one_set = {
        let mut sets = w.groups.iter().filter_map(|g| g.set.map(|s| &s.code));
        let first = sets.next();
        sets.all(|s| Some(s) == first)
    };
    let set = if one_set {
        w.groups.iter().find_map(|g| g.set)
    } else {
        None
    };
    if !one_set {
        for a in &mut areas {
            a.1.clear();
        }
    }
    let ws = wb.add_worksheet();
    ws.set_name(SUMMARY).map_err(xerr)?;
    let mut headers: Vec<(String, f64)> = vec![
        ("Nhóm".into(), 20.0),
        ("Hạng trong nhóm".into(), 8.0),
        ("Mã đơn vị".into(), 12.0),
        ("Tên đơn vị".into(), 32.0),
    ];
    headers.extend(figure_headers(&areas, set));
    let header = start_sheet(ws, w, None, &headers, f, 4)?;
    let mut r = header + 1;
    for g in &w.groups {
        for u in g.units {
            ws.write_string_with_format(r, 0, g.name.as_str(), &f.text)
                .map_err(xerr)?;
            write_rank(ws, r, 1, u, f)?;
            ws.write_string_with_format(r, 2, u.unit.as_str(), &f.text)
                .map_err(xerr)?;
            ws.write_string_with_format(r, 3, &u.name, &f.text)
                .map_err(xerr)?;
            write_figures(ws, r, 4, u, &areas, f)?;
            r += 1;
        }
    }
    ws.autofilter(
        header,
        0,
        r.saturating_sub(1).max(header),
        col(headers.len() - 1),
    )
    .map_err(xerr)?;
    Ok(())
}

/// One group's sheet: its ranking, its statistics under the table and a bar chart of the
/// indexes to the right.
fn group_sheet(
    wb: &mut Workbook,
    w: &OfficialWorkbook<'_>,
    g: &OfficialGroup<'_>,
    name: &str,
    f: &Formats,
) -> Result<(), ExportError> {
    let areas = areas_of(g.set, g.units);
    let ws = wb.add_worksheet();
    ws.set_name(name).map_err(xerr)?;
    let mut headers: Vec<(String, f64)> = vec![
        ("Hạng".into(), 7.0),
        ("Mã đơn vị".into(), 12.0),
        ("Tên đơn vị".into(), 32.0),
    ];
    headers.extend(figure_headers(&areas, g.set));
    let subtitle = match g.set {
        Some(s) => format!("Nhóm: {} — Bộ chỉ số: {}", g.name, s.name),
        None => format!("Nhóm: {}", g.name),
    };
    let header = start_sheet(ws, w, Some(&subtitle), &headers, f, 3)?;
    let first = header + 1;
    for (i, u) in g.units.iter().enumerate() {
        let r = first + row(i);
        write_rank(ws, r, 0, u, f)?;
        ws.write_string_with_format(r, 1, u.unit.as_str(), &f.text)
            .map_err(xerr)?;
        ws.write_string_with_format(r, 2, &u.name, &f.text)
            .map_err(xerr)?;
        write_figures(ws, r, 3, u, &areas, f)?;
    }
    let last = first + row(g.units.len()).saturating_sub(1);
    ws.autofilter(header, 0, last.max(header), col(headers.len() - 1))
        .map_err(xerr)?;

    if let Some(s) = g.stats {
        let mut r = last + 2;
        let label = Format::new().set_bold();
        ws.write_string_with_format(r, 2, "Chỉ số bình quân của nhóm (%)", &label)
            .map_err(xerr)?;
        ws.write_number_with_format(r, 3, number(s.mean_index), &f.num2)
            .map_err(xerr)?;
        r += 1;
        for (text, n) in [
            ("Số đơn vị", s.units),
            ("Số đơn vị được xếp hạng", s.ranked),
            ("Số đơn vị tăng chỉ số", s.improved),
            ("Số đơn vị giảm chỉ số", s.declined),
            ("Số đơn vị không đổi", s.unchanged),
        ] {
            ws.write_string_with_format(r, 2, text, &label)
                .map_err(xerr)?;
            ws.write_number_with_format(r, 3, f64::from(n), &f.int)
                .map_err(xerr)?;
            r += 1;
        }
        for (class, n) in &s.per_class {
            ws.write_string_with_format(r, 2, format!("Xếp loại {class}"), &label)
                .map_err(xerr)?;
            ws.write_number_with_format(r, 3, f64::from(*n), &f.int)
                .map_err(xerr)?;
            r += 1;
        }
    }

    if !g.units.is_empty() {
        // The index column: after rank, code, name and the areas, then total and max.
        let index_col = 3 + col(areas.len()) + 2;
        let series = format!("Chỉ số CCHC (%) — {}", g.name);
        let title = format!("Xếp hạng Chỉ số CCHC — {}", g.name);
        let mut chart = Chart::new(ChartType::Bar);
        chart
            .add_series()
            .set_name(&series)
            .set_categories((name, first, 2, last, 2))
            .set_values((name, first, index_col, last, index_col))
            .set_data_label(ChartDataLabel::new().show_value().set_num_format("0.00"));
        chart.title().set_name(&title);
        // A bar chart draws its first category at the bottom: reversed, rank 1 is on top.
        chart.x_axis().set_reverse();
        chart.y_axis().set_min(0).set_max(100).set_num_format("0");
        chart.legend().set_hidden();
        chart.set_width(640);
        let height = 24u32
            .saturating_mul(row(g.units.len()))
            .saturating_add(120)
            .min(4000);
        chart.set_height(height);
        ws.insert_chart(header, col(headers.len()) + 1, &chart)
            .map_err(xerr)?;
    }
    Ok(())
}

/// The criteria sheet: one row per unit and leaf criterion, with the leaf's title and maximum
/// from the unit's set, so a reader filters by unit or by criterion.
fn criteria_sheet(
    wb: &mut Workbook,
    w: &OfficialWorkbook<'_>,
    f: &Formats,
) -> Result<(), ExportError> {
    let ws = wb.add_worksheet();
    ws.set_name(CRITERIA).map_err(xerr)?;
    let headers: Vec<(String, f64)> = vec![
        ("Nhóm".into(), 20.0),
        ("Mã đơn vị".into(), 12.0),
        ("Tên đơn vị".into(), 28.0),
        ("Mã tiêu chí".into(), 10.0),
        ("Tiêu chí".into(), 50.0),
        ("Điểm".into(), 9.0),
        ("Điểm tối đa".into(), 9.0),
        ("Ghi chú".into(), 16.0),
    ];
    let header = start_sheet(ws, w, None, &headers, f, 3)?;
    let mut r = header + 1;
    for g in &w.groups {
        let by_code: std::collections::HashMap<&NodeCode, &Node> = g
            .set
            .map(|s| s.walk().into_iter().map(|n| (&n.code, n)).collect())
            .unwrap_or_default();
        for u in g.units {
            for leaf in &u.leaves {
                let node = by_code.get(&leaf.code);
                ws.write_string_with_format(r, 0, g.name.as_str(), &f.text)
                    .map_err(xerr)?;
                ws.write_string_with_format(r, 1, u.unit.as_str(), &f.text)
                    .map_err(xerr)?;
                ws.write_string_with_format(r, 2, &u.name, &f.text)
                    .map_err(xerr)?;
                ws.write_string_with_format(r, 3, leaf.code.as_str(), &f.text)
                    .map_err(xerr)?;
                ws.write_string_with_format(r, 4, node.map_or("", |n| n.title.as_str()), &f.text)
                    .map_err(xerr)?;
                ws.write_number_with_format(r, 5, number(leaf.points.0), &f.num2)
                    .map_err(xerr)?;
                match node {
                    Some(n) => ws.write_number_with_format(r, 6, number(n.max.0), &f.num2),
                    None => ws.write_blank(r, 6, &f.text),
                }
                .map_err(xerr)?;
                let note = if leaf.applicable {
                    ""
                } else {
                    "Không phát sinh (không tính vào điểm tối đa)"
                };
                ws.write_string_with_format(r, 7, note, &f.text)
                    .map_err(xerr)?;
                r += 1;
            }
        }
    }
    ws.autofilter(
        header,
        0,
        r.saturating_sub(1).max(header),
        col(headers.len() - 1),
    )
    .map_err(xerr)?;
    Ok(())
}

/// The official workbook: "Tổng hợp", one sheet per group (named after it) with its ranking
/// chart, and "Chi tiết tiêu chí".
pub fn official_xlsx(w: &OfficialWorkbook<'_>) -> Result<Vec<u8>, ExportError> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    summary_sheet(&mut wb, w, &f)?;
    let mut taken = vec![SUMMARY.to_owned(), CRITERIA.to_owned()];
    for g in &w.groups {
        let name = sheet_name(g.name.as_str(), &taken);
        group_sheet(&mut wb, w, g, &name, &f)?;
        taken.push(name);
    }
    criteria_sheet(&mut wb, w, &f)?;
    wb.save_to_buffer().map_err(xerr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_what_excel_accepts_and_never_repeat() {
        assert_eq!(sheet_name("Sở, ban, ngành", &[]), "Sở, ban, ngành");
        assert_eq!(sheet_name("Xã/phường [2025]?", &[]), "Xã-phường -2025--");
        let long = "Ủy ban nhân dân các xã, phường, đặc khu của tỉnh";
        assert_eq!(sheet_name(long, &[]).chars().count(), SHEET_NAME_MAX);
        let taken = vec!["Tổng hợp".to_owned()];
        assert_eq!(sheet_name("tổng hợp", &taken), "tổng hợp (2)");
        assert_eq!(sheet_name("  ", &[]), "Nhóm");
    }
}
