//! Writes computed results. Figures are published values: rounded once to 2 decimals, half
//! away from zero (domain.md §5), written with a decimal point in CSV and JSON and as numeric
//! cells with a `0.00` format in XLSX so Excel shows them in the reader's locale (89,83).
//!
//! When the period's closed surveys give intervals, every format also carries each unit's
//! 90 % interval of index (low, high) and rank (best, worst), after the other columns so
//! that readers of the earlier files read these alike.

use std::fmt::Write as _;
use std::path::Path;

use chiso_domain::points::round_display;
use chiso_domain::uncertainty::{ResultInterval, ResultIntervals};
use chiso_domain::{IndexSet, NodeCode, PeriodResults, PreviousResult, UnitResult};
use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};

use crate::error::ExportError;
use crate::table::FileFormat;

/// A published figure with exactly 2 decimals and a decimal point: `96.89`, `100.00`.
pub(crate) fn fixed2(d: Decimal) -> String {
    let mut r = round_display(d);
    if r.is_zero() {
        r = Decimal::ZERO;
    }
    r.rescale(2);
    r.to_string()
}

/// The top-level codes shown as `area:<code>` columns: every set's areas in order, then any
/// other area found in the results.
fn area_codes(results: &PeriodResults, sets: &[IndexSet]) -> Vec<NodeCode> {
    let mut out: Vec<NodeCode> = Vec::new();
    for set in sets {
        for n in &set.nodes {
            if !out.contains(&n.code) {
                out.push(n.code.clone());
            }
        }
    }
    let mut extra: Vec<NodeCode> = results
        .units
        .iter()
        .flat_map(|u| {
            u.nodes
                .iter()
                .map(|n| &n.code)
                .chain(u.leaves.iter().map(|l| &l.code))
        })
        .filter(|c| c.depth() == 1 && !out.contains(c))
        .cloned()
        .collect();
    extra.sort();
    extra.dedup();
    out.extend(extra);
    out
}

/// A unit's points in an area (an inner node, or a top-level leaf).
pub(crate) fn area_points(u: &UnitResult, code: &NodeCode) -> Option<Decimal> {
    u.nodes
        .iter()
        .find(|n| &n.code == code)
        .map(|n| n.points.0)
        .or_else(|| {
            u.leaves
                .iter()
                .find(|l| &l.code == code)
                .map(|l| l.points.0)
        })
}

/// The interval columns, in CSV and JSON.
const INTERVAL_COLUMNS: [&str; 4] = ["index_low", "index_high", "rank_best", "rank_worst"];

/// A unit's interval figures as text (`index_low`, `index_high`, `rank_best`, `rank_worst`),
/// empty where there is none.
fn interval_texts(i: Option<&ResultInterval>) -> [String; 4] {
    let Some(i) = i else {
        return Default::default();
    };
    let rank = |r: Option<u32>| r.map(|r| r.to_string()).unwrap_or_default();
    [
        fixed2(i.index.low),
        fixed2(i.index.high),
        rank(i.rank.map(|r| r.low)),
        rank(i.rank.map(|r| r.high)),
    ]
}

/// The machine column names, shared by CSV and JSON and read back by the results reader.
fn csv_headers(areas: &[NodeCode], with_previous: bool) -> Vec<String> {
    let mut h: Vec<String> = [
        "group", "rank", "unit", "name", "total", "max", "index", "class",
    ]
    .map(String::from)
    .to_vec();
    if with_previous {
        h.push("delta_index".into());
        h.push("delta_rank".into());
    }
    h.push("streak".into());
    h.extend(areas.iter().map(|a| format!("area:{a}")));
    h
}

/// The results as CSV (UTF-8, comma, decimal point, 2 decimals), with the units' intervals
/// when `intervals` are given.
pub fn results_csv(
    results: &PeriodResults,
    sets: &[IndexSet],
    with_previous: bool,
    intervals: Option<&ResultIntervals>,
) -> String {
    let mut out = Vec::new();
    // Writing into memory cannot fail.
    let _ = write_results_csv(&mut out, results, sets, with_previous, intervals);
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes [`results_csv`] to `out` row by row, without holding the text.
fn write_results_csv(
    out: impl std::io::Write,
    results: &PeriodResults,
    sets: &[IndexSet],
    with_previous: bool,
    intervals: Option<&ResultIntervals>,
) -> std::io::Result<()> {
    let areas = area_codes(results, sets);
    let mut w = csv::WriterBuilder::new().from_writer(out);
    let mut headers = csv_headers(&areas, with_previous);
    if intervals.is_some() {
        headers.extend(INTERVAL_COLUMNS.map(String::from));
    }
    w.write_record(headers)?;
    for u in &results.units {
        let mut rec: Vec<String> = vec![
            u.group.to_string(),
            u.rank.map(|r| r.to_string()).unwrap_or_default(),
            u.unit.to_string(),
            u.name.clone(),
            fixed2(u.total.0),
            fixed2(u.max.0),
            fixed2(u.index),
            u.class.clone().unwrap_or_default(),
        ];
        if with_previous {
            rec.push(u.delta_index.map(fixed2).unwrap_or_default());
            rec.push(u.delta_rank.map(|d| d.to_string()).unwrap_or_default());
        }
        rec.push(u.streak.to_string());
        rec.extend(
            areas
                .iter()
                .map(|a| area_points(u, a).map(fixed2).unwrap_or_default()),
        );
        if let Some(i) = intervals {
            rec.extend(interval_texts(i.unit(&u.unit)));
        }
        w.write_record(&rec)?;
    }
    w.flush()
}

/// A JSON string literal.
fn js(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// The results as JSON: `{"sets": […], "units": […], "groups": […]}`, figures as JSON numbers
/// written from their exact 2-decimal text. With `intervals`, each unit that has some gets
/// `"interval": {"index_low", "index_high", "rank_best", "rank_worst"}` and the file ends with
/// `"intervals": {"surveys", "draws", "unsettled"}`.
pub fn results_json(
    results: &PeriodResults,
    sets: &[IndexSet],
    with_previous: bool,
    intervals: Option<&ResultIntervals>,
) -> String {
    let areas = area_codes(results, sets);
    let opt_num = |v: Option<String>| v.unwrap_or_else(|| "null".to_owned());
    let mut out = String::from("{\n  \"sets\": [");
    for (i, s) in sets.iter().enumerate() {
        let _ = write!(
            out,
            "{}\n    {{\"code\": {}, \"name\": {}, \"year\": {}, \"decision\": {}}}",
            if i > 0 { "," } else { "" },
            js(s.code.as_str()),
            js(&s.name),
            s.year,
            s.decision.as_deref().map_or_else(|| "null".to_owned(), js),
        );
    }
    out.push_str(if sets.is_empty() {
        "],\n  \"units\": ["
    } else {
        "\n  ],\n  \"units\": ["
    });
    for (i, u) in results.units.iter().enumerate() {
        let mut o = format!(
            "{{\"group\": {}, \"rank\": {}, \"group_size\": {}, \"unit\": {}, \"name\": {}, \"ranked\": {}, \"total\": {}, \"max\": {}, \"index\": {}, \"class\": {}",
            js(u.group.as_str()),
            opt_num(u.rank.map(|r| r.to_string())),
            u.group_size,
            js(u.unit.as_str()),
            js(&u.name),
            u.ranked,
            fixed2(u.total.0),
            fixed2(u.max.0),
            fixed2(u.index),
            u.class.as_deref().map_or_else(|| "null".to_owned(), js),
        );
        if with_previous {
            let _ = write!(
                o,
                ", \"delta_index\": {}, \"delta_rank\": {}",
                opt_num(u.delta_index.map(fixed2)),
                opt_num(u.delta_rank.map(|d| d.to_string()))
            );
        }
        let _ = write!(o, ", \"streak\": {}, \"areas\": {{", u.streak);
        let mut first = true;
        for a in &areas {
            if let Some(p) = area_points(u, a) {
                let _ = write!(
                    o,
                    "{}{}: {}",
                    if first { "" } else { ", " },
                    js(a.as_str()),
                    fixed2(p)
                );
                first = false;
            }
        }
        o.push('}');
        if let Some(iv) = intervals.and_then(|x| x.unit(&u.unit)) {
            let texts = interval_texts(Some(iv));
            let fields: Vec<String> = INTERVAL_COLUMNS
                .iter()
                .zip(&texts)
                .map(|(k, v)| format!("{}: {}", js(k), if v.is_empty() { "null" } else { v }))
                .collect();
            let _ = write!(o, ", \"interval\": {{{}}}", fields.join(", "));
        }
        o.push('}');
        let _ = write!(out, "{}\n    {o}", if i > 0 { "," } else { "" });
    }
    out.push_str(if results.units.is_empty() {
        "],\n  \"groups\": ["
    } else {
        "\n  ],\n  \"groups\": ["
    });
    for (i, g) in results.groups.iter().enumerate() {
        let classes: Vec<String> = g
            .per_class
            .iter()
            .map(|(label, n)| format!("{}: {n}", js(label)))
            .collect();
        let _ = write!(
            out,
            "{}\n    {{\"group\": {}, \"units\": {}, \"ranked\": {}, \"mean_index\": {}, \"classes\": {{{}}}, \"improved\": {}, \"declined\": {}, \"unchanged\": {}}}",
            if i > 0 { "," } else { "" },
            js(g.group.as_str()),
            g.units,
            g.ranked,
            fixed2(g.mean_index),
            classes.join(", "),
            g.improved,
            g.declined,
            g.unchanged,
        );
    }
    out.push_str(if results.groups.is_empty() {
        "]"
    } else {
        "\n  ]"
    });
    if let Some(iv) = intervals {
        let surveys: Vec<String> = iv.surveys.iter().map(|s| js(s)).collect();
        let pairs: Vec<String> = iv
            .unsettled
            .iter()
            .map(|(a, b)| format!("[{}, {}]", js(a.as_str()), js(b.as_str())))
            .collect();
        let _ = write!(
            out,
            ",\n  \"intervals\": {{\"surveys\": [{}], \"draws\": {}, \"unsettled\": [{}]}}",
            surveys.join(", "),
            iv.draws,
            pairs.join(", ")
        );
    }
    out.push_str("\n}\n");
    out
}

/// A published figure as the double Excel stores, from its exact 2-decimal text.
fn xlsx_number(d: Decimal) -> f64 {
    fixed2(d).parse().unwrap_or_default()
}

fn xerr(e: XlsxError) -> ExportError {
    ExportError::Xlsx(e.to_string())
}

/// The results as an XLSX workbook: "Kết quả" (one row per unit, with its intervals when
/// `intervals` are given), "Thống kê nhóm" (group statistics), "Bộ chỉ số" (the sets'
/// metadata and areas) and, with intervals, "Độ tin cậy" (what they rest on and the unsettled
/// orders).
pub fn results_xlsx(
    results: &PeriodResults,
    sets: &[IndexSet],
    with_previous: bool,
    intervals: Option<&ResultIntervals>,
) -> Result<Vec<u8>, ExportError> {
    let areas = area_codes(results, sets);
    let mut wb = Workbook::new();
    let bold = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center);
    let num2 = Format::new().set_num_format("0.00");
    let delta = Format::new().set_num_format("+0.00;-0.00;0.00");
    let int = Format::new().set_num_format("0");
    let delta_int = Format::new().set_num_format("+0;-0;0");

    let ws = wb.add_worksheet();
    ws.set_name("Kết quả").map_err(xerr)?;
    let mut headers: Vec<(String, f64)> = vec![
        ("Nhóm".into(), 24.0),
        ("Hạng".into(), 7.0),
        ("Mã đơn vị".into(), 14.0),
        ("Tên đơn vị".into(), 32.0),
        ("Tổng điểm".into(), 11.0),
        ("Điểm tối đa".into(), 11.0),
        ("Chỉ số (%)".into(), 11.0),
        ("Xếp loại".into(), 13.0),
    ];
    if with_previous {
        headers.push(("Tăng/giảm chỉ số".into(), 11.0));
        headers.push(("Tăng/giảm hạng".into(), 10.0));
    }
    headers.push(("Số năm liên tiếp hạng 1".into(), 11.0));
    for a in &areas {
        headers.push((format!("Lĩnh vực {a}"), 10.0));
    }
    let interval_col = headers.len() as u16;
    if intervals.is_some() {
        for h in [
            "Chỉ số thấp nhất (khoảng tin cậy 90 %)",
            "Chỉ số cao nhất (khoảng tin cậy 90 %)",
            "Hạng cao nhất (khoảng tin cậy 90 %)",
            "Hạng thấp nhất (khoảng tin cậy 90 %)",
        ] {
            headers.push((h.into(), 12.0));
        }
    }
    write_header(ws, &headers, &bold)?;
    for (i, u) in results.units.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, u.group.as_str()).map_err(xerr)?;
        if let Some(rank) = u.rank {
            ws.write_number_with_format(r, 1, f64::from(rank), &int)
                .map_err(xerr)?;
        }
        ws.write_string(r, 2, u.unit.as_str()).map_err(xerr)?;
        ws.write_string(r, 3, &u.name).map_err(xerr)?;
        ws.write_number_with_format(r, 4, xlsx_number(u.total.0), &num2)
            .map_err(xerr)?;
        ws.write_number_with_format(r, 5, xlsx_number(u.max.0), &num2)
            .map_err(xerr)?;
        ws.write_number_with_format(r, 6, xlsx_number(u.index), &num2)
            .map_err(xerr)?;
        if let Some(c) = &u.class {
            ws.write_string(r, 7, c).map_err(xerr)?;
        }
        let mut col = 8;
        if with_previous {
            if let Some(d) = u.delta_index {
                ws.write_number_with_format(r, col, xlsx_number(d), &delta)
                    .map_err(xerr)?;
            }
            if let Some(d) = u.delta_rank {
                ws.write_number_with_format(r, col + 1, f64::from(d), &delta_int)
                    .map_err(xerr)?;
            }
            col += 2;
        }
        ws.write_number_with_format(r, col, f64::from(u.streak), &int)
            .map_err(xerr)?;
        for (j, a) in areas.iter().enumerate() {
            if let Some(p) = area_points(u, a) {
                ws.write_number_with_format(r, col + 1 + j as u16, xlsx_number(p), &num2)
                    .map_err(xerr)?;
            }
        }
        if let Some(iv) = intervals.and_then(|x| x.unit(&u.unit)) {
            ws.write_number_with_format(r, interval_col, xlsx_number(iv.index.low), &num2)
                .map_err(xerr)?;
            ws.write_number_with_format(r, interval_col + 1, xlsx_number(iv.index.high), &num2)
                .map_err(xerr)?;
            if let Some(rank) = iv.rank {
                ws.write_number_with_format(r, interval_col + 2, f64::from(rank.low), &int)
                    .map_err(xerr)?;
                ws.write_number_with_format(r, interval_col + 3, f64::from(rank.high), &int)
                    .map_err(xerr)?;
            }
        }
    }
    if !results.units.is_empty() {
        ws.autofilter(0, 0, results.units.len() as u32, headers.len() as u16 - 1)
            .map_err(xerr)?;
    }

    // Group statistics: one column per class label, in band order as first met.
    let mut labels: Vec<&str> = Vec::new();
    for g in &results.groups {
        for (l, _) in &g.per_class {
            if !labels.contains(&l.as_str()) {
                labels.push(l);
            }
        }
    }
    let ws = wb.add_worksheet();
    ws.set_name("Thống kê nhóm").map_err(xerr)?;
    let mut headers: Vec<(String, f64)> = vec![
        ("Nhóm".into(), 24.0),
        ("Số đơn vị".into(), 9.0),
        ("Số đơn vị xếp hạng".into(), 10.0),
        ("Chỉ số bình quân (%)".into(), 12.0),
    ];
    headers.extend(labels.iter().map(|l| ((*l).to_owned(), 11.0)));
    headers.extend([
        ("Tăng".into(), 8.0),
        ("Giảm".into(), 8.0),
        ("Không đổi".into(), 9.0),
    ]);
    write_header(ws, &headers, &bold)?;
    for (i, g) in results.groups.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, g.group.as_str()).map_err(xerr)?;
        ws.write_number_with_format(r, 1, f64::from(g.units), &int)
            .map_err(xerr)?;
        ws.write_number_with_format(r, 2, f64::from(g.ranked), &int)
            .map_err(xerr)?;
        ws.write_number_with_format(r, 3, xlsx_number(g.mean_index), &num2)
            .map_err(xerr)?;
        for (j, l) in labels.iter().enumerate() {
            let n = g
                .per_class
                .iter()
                .find(|(x, _)| x == l)
                .map_or(0, |(_, n)| *n);
            ws.write_number_with_format(r, 4 + j as u16, f64::from(n), &int)
                .map_err(xerr)?;
        }
        let c = 4 + labels.len() as u16;
        ws.write_number_with_format(r, c, f64::from(g.improved), &int)
            .map_err(xerr)?;
        ws.write_number_with_format(r, c + 1, f64::from(g.declined), &int)
            .map_err(xerr)?;
        ws.write_number_with_format(r, c + 2, f64::from(g.unchanged), &int)
            .map_err(xerr)?;
    }

    // The sets the results were computed with.
    let ws = wb.add_worksheet();
    ws.set_name("Bộ chỉ số").map_err(xerr)?;
    ws.set_column_width(0, 18).map_err(xerr)?;
    ws.set_column_width(1, 60).map_err(xerr)?;
    ws.set_column_width(2, 12).map_err(xerr)?;
    let mut r = 0u32;
    for set in sets {
        let bands = set
            .classes
            .default
            .iter()
            .map(|b| format!("{} ≥ {}", b.label, chiso_domain::fmt::vi_plain(b.min)))
            .collect::<Vec<_>>()
            .join("; ");
        let max: Decimal = set
            .nodes
            .iter()
            .flat_map(chiso_domain::Node::walk)
            .filter(|n| n.is_leaf() && n.source.counts_in_max())
            .map(|n| n.max.0)
            .sum();
        for (k, v) in [
            ("Mã bộ chỉ số", set.code.to_string()),
            ("Tên", set.name.clone()),
            ("Năm", set.year.to_string()),
            ("Quyết định", set.decision.clone().unwrap_or_default()),
            ("Xếp loại", bands),
        ] {
            ws.write_string_with_format(r, 0, k, &Format::new().set_bold())
                .map_err(xerr)?;
            ws.write_string(r, 1, &v).map_err(xerr)?;
            r += 1;
        }
        for (g, b) in &set.classes.groups {
            let text = b
                .iter()
                .map(|b| format!("{} ≥ {}", b.label, chiso_domain::fmt::vi_plain(b.min)))
                .collect::<Vec<_>>()
                .join("; ");
            ws.write_string_with_format(r, 0, format!("Xếp loại ({g})"), &Format::new().set_bold())
                .map_err(xerr)?;
            ws.write_string(r, 1, &text).map_err(xerr)?;
            r += 1;
        }
        ws.write_string_with_format(r, 0, "Điểm tối đa", &Format::new().set_bold())
            .map_err(xerr)?;
        ws.write_number_with_format(r, 2, xlsx_number(max), &num2)
            .map_err(xerr)?;
        r += 2;
        for (c, h) in ["Mã", "Lĩnh vực", "Điểm tối đa"].iter().enumerate() {
            ws.write_string_with_format(r, c as u16, *h, &bold)
                .map_err(xerr)?;
        }
        r += 1;
        for n in &set.nodes {
            ws.write_string(r, 0, n.code.as_str()).map_err(xerr)?;
            ws.write_string(r, 1, &n.title).map_err(xerr)?;
            ws.write_number_with_format(r, 2, xlsx_number(n.max.0), &num2)
                .map_err(xerr)?;
            r += 1;
        }
        r += 1;
    }

    if let Some(iv) = intervals {
        write_intervals_sheet(&mut wb, iv, results, &bold)?;
    }
    wb.save_to_buffer().map_err(xerr)
}

/// The "Độ tin cậy" sheet: what the intervals rest on, then each pair of neighbours whose
/// order the survey data do not settle.
fn write_intervals_sheet(
    wb: &mut Workbook,
    iv: &ResultIntervals,
    results: &PeriodResults,
    bold: &Format,
) -> Result<(), ExportError> {
    let ws = wb.add_worksheet();
    ws.set_name("Độ tin cậy").map_err(xerr)?;
    ws.set_column_width(0, 40).map_err(xerr)?;
    ws.set_column_width(1, 40).map_err(xerr)?;
    let label = Format::new().set_bold();
    ws.write_string_with_format(0, 0, "Đợt điều tra", &label)
        .map_err(xerr)?;
    ws.write_string(0, 1, iv.surveys.join(", ")).map_err(xerr)?;
    ws.write_string_with_format(1, 0, "Số lần chọn lại người trả lời", &label)
        .map_err(xerr)?;
    ws.write_number(1, 1, f64::from(iv.draws)).map_err(xerr)?;
    ws.write_string(
        2,
        0,
        "Thứ tự của các cặp đơn vị liền kề sau chưa được dữ liệu điều tra khẳng định \
         (khoảng thứ hạng chồng nhau):",
    )
    .map_err(xerr)?;
    ws.write_string_with_format(3, 0, "Đơn vị xếp trên", bold)
        .map_err(xerr)?;
    ws.write_string_with_format(3, 1, "Đơn vị xếp dưới", bold)
        .map_err(xerr)?;
    let name = |code: &chiso_domain::UnitCode| {
        results
            .units
            .iter()
            .find(|u| &u.unit == code)
            .map_or_else(|| code.to_string(), |u| format!("{} ({code})", u.name))
    };
    for (i, (a, b)) in iv.unsettled.iter().enumerate() {
        let r = 4 + i as u32;
        ws.write_string(r, 0, name(a)).map_err(xerr)?;
        ws.write_string(r, 1, name(b)).map_err(xerr)?;
    }
    Ok(())
}

/// A bold, wrapped, frozen header row and the column widths.
fn write_header(
    ws: &mut Worksheet,
    headers: &[(String, f64)],
    bold: &Format,
) -> Result<(), ExportError> {
    for (c, (h, width)) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, bold)
            .map_err(xerr)?;
        ws.set_column_width(c as u16, *width).map_err(xerr)?;
    }
    ws.set_freeze_panes(1, 0).map_err(xerr)?;
    Ok(())
}

/// Writes the results to `path` as `.csv`, `.xlsx` or `.json` by its extension, with the
/// units' intervals when `intervals` are given.
pub fn write_results(
    path: &Path,
    results: &PeriodResults,
    sets: &[IndexSet],
    with_previous: bool,
    intervals: Option<&ResultIntervals>,
) -> Result<(), ExportError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let io = |source| ExportError::Io {
        path: path.display().to_string(),
        source,
    };
    let bytes = match FileFormat::of(&name) {
        Some(FileFormat::Csv) => {
            // Written as it is formatted: a national file is never held as text.
            let file = std::fs::File::create(path).map_err(io)?;
            let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
            write_results_csv(&mut out, results, sets, with_previous, intervals).map_err(io)?;
            return std::io::Write::flush(&mut out).map_err(io);
        }
        Some(FileFormat::Json) => {
            results_json(results, sets, with_previous, intervals).into_bytes()
        }
        Some(FileFormat::Xlsx) => results_xlsx(results, sets, with_previous, intervals)?,
        _ => return Err(ExportError::UnsupportedFormat(name)),
    };
    std::fs::write(path, bytes).map_err(io)
}

/// Previous results as CSV (`unit,group,index,rank,streak`), the minimal file the results
/// reader accepts; the index keeps its full precision.
pub fn previous_csv(previous: &[PreviousResult]) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record(["unit", "group", "index", "rank", "streak"]);
    for p in previous {
        let _ = w.write_record([
            p.unit.to_string(),
            p.group.to_string(),
            p.index.normalize().to_string(),
            p.rank.map(|r| r.to_string()).unwrap_or_default(),
            p.streak.to_string(),
        ]);
    }
    w.into_inner()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// Writes [`previous_csv`] to `path`.
pub fn write_previous_csv(path: &Path, previous: &[PreviousResult]) -> Result<(), ExportError> {
    std::fs::write(path, previous_csv(previous)).map_err(|source| ExportError::Io {
        path: path.display().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn published_figures_have_exactly_two_decimals_rounded_half_away_from_zero() {
        assert_eq!(fixed2(dec!(89.825)), "89.83");
        assert_eq!(fixed2(dec!(100)), "100.00");
        assert_eq!(fixed2(dec!(-0.001)), "0.00");
        assert_eq!(fixed2(dec!(-0.125)), "-0.13");
        assert_eq!(fixed2(dec!(96.8949999)), "96.89");
    }
}
