//! One unit's result as files (CSV, JSON, XLSX): its headline figures and the points of every
//! node of its index set — areas, criteria, sub-criteria and leaves, in the set's order — as
//! its results page shows them. Figures are published values (2 decimals, half away from
//! zero): decimal point in CSV and JSON, numeric `0.00` cells in XLSX.

use chiso_domain::points::percent;
use chiso_domain::{IndexSet, NodeCode, UnitResult};
use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
use serde_json::{Map, Value, json};

use super::write::fixed2;
use crate::error::ExportError;

/// What a unit's file is made of.
#[derive(Debug, Clone, Copy)]
pub struct UnitFile<'a> {
    /// The period's name.
    pub period_name: &'a str,
    /// The decision line ("Quyết định số … ngày …"), or why there is none.
    pub decision: &'a str,
    /// The unit's result.
    pub result: &'a UnitResult,
    /// The set its group was scored under (titles and leaf maxima).
    pub set: Option<&'a IndexSet>,
}

/// One line of the breakdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakdownRow {
    /// `area`, `criterion`, `sub_criterion` or `leaf` (a node without children below level 3).
    pub level: &'static str,
    pub code: NodeCode,
    pub title: String,
    pub points: Decimal,
    /// `None` for a leaf the set does not know.
    pub max: Option<Decimal>,
    /// Component index (points ÷ max × 100); `None` when not applicable or without maximum.
    pub index: Option<Decimal>,
    /// False for a leaf declared not applicable (dropped from the maximum).
    pub applicable: bool,
}

fn level_name(code: &NodeCode) -> &'static str {
    match code.depth() {
        1 => "area",
        2 => "criterion",
        3 => "sub_criterion",
        _ => "leaf",
    }
}

/// Every node of the unit's result in tree order (the set's order when it is known).
pub fn unit_breakdown(u: &UnitResult, set: Option<&IndexSet>) -> Vec<BreakdownRow> {
    let node_row = |code: &NodeCode| -> Option<BreakdownRow> {
        let title = set
            .and_then(|s| s.find(code))
            .map_or_else(String::new, |n| n.title.clone());
        if let Some(n) = u.nodes.iter().find(|n| &n.code == code) {
            return Some(BreakdownRow {
                level: level_name(code),
                code: code.clone(),
                title,
                points: n.points.0,
                max: Some(n.max.0),
                index: n.index(),
                applicable: true,
            });
        }
        let leaf = u.leaves.iter().find(|l| &l.code == code)?;
        let max = set.and_then(|s| s.find(code)).map(|n| n.max.0);
        Some(BreakdownRow {
            level: level_name(code),
            code: code.clone(),
            title,
            points: leaf.points.0,
            max,
            index: match (leaf.applicable, max) {
                (true, Some(m)) => percent(leaf.points.0, m),
                _ => None,
            },
            applicable: leaf.applicable,
        })
    };
    let codes: Vec<NodeCode> = match set {
        Some(s) => s.walk().into_iter().map(|n| n.code.clone()).collect(),
        None => {
            let mut c: Vec<NodeCode> = u
                .nodes
                .iter()
                .map(|n| n.code.clone())
                .chain(u.leaves.iter().map(|l| l.code.clone()))
                .collect();
            c.sort();
            c
        }
    };
    codes.iter().filter_map(node_row).collect()
}

fn opt(d: Option<Decimal>) -> String {
    d.map(fixed2).unwrap_or_default()
}

/// The unit's result as CSV: a first `total` line (the unit's name, total, maximum, index,
/// rank, group size, class and changes), then one line per node.
pub fn unit_csv(f: &UnitFile<'_>) -> String {
    let u = f.result;
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record([
        "level",
        "code",
        "title",
        "points",
        "max",
        "index",
        "rank",
        "group_size",
        "class",
        "delta_index",
        "delta_rank",
    ]);
    let _ = w.write_record([
        "total".to_owned(),
        u.unit.to_string(),
        u.name.clone(),
        fixed2(u.total.0),
        fixed2(u.max.0),
        fixed2(u.index),
        u.rank.map(|r| r.to_string()).unwrap_or_default(),
        u.group_size.to_string(),
        u.class.clone().unwrap_or_default(),
        opt(u.delta_index),
        u.delta_rank.map(|d| d.to_string()).unwrap_or_default(),
    ]);
    for r in unit_breakdown(u, f.set) {
        let _ = w.write_record([
            r.level.to_owned(),
            r.code.to_string(),
            r.title,
            fixed2(r.points),
            opt(r.max),
            opt(r.index),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
    w.into_inner()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// A published figure as a JSON number, printed as its exact 2-decimal text (89.83).
fn jnum(d: Decimal) -> Value {
    fixed2(d)
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

fn jopt(d: Option<Decimal>) -> Value {
    d.map_or(Value::Null, jnum)
}

/// The unit's result as JSON: the period, the unit's figures and `nodes` (one object per
/// node, in tree order).
pub fn unit_json(f: &UnitFile<'_>) -> String {
    let u = f.result;
    let nodes: Vec<Value> = unit_breakdown(u, f.set)
        .into_iter()
        .map(|r| {
            json!({
                "level": r.level,
                "code": r.code.as_str(),
                "title": r.title,
                "points": jnum(r.points),
                "max": jopt(r.max),
                "index": jopt(r.index),
                "applicable": r.applicable,
            })
        })
        .collect();
    let mut o = Map::new();
    o.insert("period".into(), json!(f.period_name));
    o.insert("decision".into(), json!(f.decision));
    o.insert("unit".into(), json!(u.unit.as_str()));
    o.insert("name".into(), json!(u.name));
    o.insert("group".into(), json!(u.group.as_str()));
    o.insert("set".into(), json!(f.set.map(|s| s.code.as_str())));
    o.insert("rank".into(), json!(u.rank));
    o.insert("group_size".into(), json!(u.group_size));
    o.insert("ranked".into(), json!(u.ranked));
    o.insert("total".into(), jnum(u.total.0));
    o.insert("max".into(), jnum(u.max.0));
    o.insert("index".into(), jnum(u.index));
    o.insert("class".into(), json!(u.class));
    o.insert("delta_index".into(), jopt(u.delta_index));
    o.insert("delta_rank".into(), json!(u.delta_rank));
    o.insert("streak".into(), json!(u.streak));
    o.insert("nodes".into(), Value::Array(nodes));
    let mut s = serde_json::to_string_pretty(&Value::Object(o)).unwrap_or_default();
    s.push('\n');
    s
}

fn xerr(e: rust_xlsxwriter::XlsxError) -> ExportError {
    ExportError::Xlsx(e.to_string())
}

fn number(d: Decimal) -> f64 {
    fixed2(d).parse().unwrap_or_default()
}

/// The unit's result as a one-sheet workbook: title rows, the headline figures, then the
/// breakdown table (frozen header, autofilter, A4 landscape fitted to the page width).
pub fn unit_xlsx(f: &UnitFile<'_>) -> Result<Vec<u8>, ExportError> {
    let u = f.result;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Kết quả đơn vị").map_err(xerr)?;
    let cell = Format::new().set_border(FormatBorder::Thin);
    let bold = Format::new().set_bold();
    let num2 = cell.clone().set_num_format("0.00");
    let header = cell
        .clone()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_background_color("#DDE7F3");
    ws.write_string_with_format(0, 0, f.period_name, &bold.clone().set_font_size(14))
        .map_err(xerr)?;
    ws.write_string_with_format(1, 0, f.decision, &Format::new().set_italic())
        .map_err(xerr)?;
    ws.write_string_with_format(2, 0, format!("{} ({})", u.name, u.unit), &bold)
        .map_err(xerr)?;
    let mut r = 3;
    let facts: [(&str, Option<f64>, &Format, Option<String>); 7] = [
        ("Nhóm", None, &cell, Some(u.group.to_string())),
        ("Hạng", u.rank.map(f64::from), &cell, None),
        (
            "Số đơn vị xếp hạng của nhóm",
            Some(f64::from(u.group_size)),
            &cell,
            None,
        ),
        ("Tổng điểm", Some(number(u.total.0)), &num2, None),
        ("Điểm tối đa", Some(number(u.max.0)), &num2, None),
        ("Chỉ số (%)", Some(number(u.index)), &num2, None),
        (
            "Xếp loại",
            None,
            &cell,
            Some(u.class.clone().unwrap_or_default()),
        ),
    ];
    for (label, value, format, text) in facts {
        ws.write_string_with_format(r, 0, label, &bold)
            .map_err(xerr)?;
        match (value, text) {
            (Some(v), _) => {
                ws.write_number_with_format(r, 2, v, format).map_err(xerr)?;
            }
            (None, Some(t)) => {
                ws.write_string_with_format(r, 2, t, format).map_err(xerr)?;
            }
            (None, None) => {}
        }
        r += 1;
    }
    if let Some(d) = u.delta_index {
        ws.write_string_with_format(r, 0, "Tăng/giảm chỉ số so với năm trước", &bold)
            .map_err(xerr)?;
        ws.write_number_with_format(
            r,
            2,
            number(d),
            &num2.clone().set_num_format("+0.00;-0.00;0.00"),
        )
        .map_err(xerr)?;
        r += 1;
    }
    r += 1;
    let head = r;
    for (c, (h, w)) in [
        ("Mã", 9.0),
        ("Lĩnh vực, tiêu chí", 60.0),
        ("Điểm", 10.0),
        ("Điểm tối đa", 10.0),
        ("Chỉ số thành phần (%)", 12.0),
    ]
    .into_iter()
    .enumerate()
    {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        ws.write_string_with_format(head, c, h, &header)
            .map_err(xerr)?;
        ws.set_column_width(c, w).map_err(xerr)?;
    }
    r += 1;
    for b in unit_breakdown(u, f.set) {
        let fmt = if b.level == "area" {
            num2.clone().set_bold()
        } else {
            num2.clone()
        };
        let text = if b.level == "area" {
            cell.clone().set_bold()
        } else {
            cell.clone()
        };
        ws.write_string_with_format(r, 0, b.code.as_str(), &text)
            .map_err(xerr)?;
        let indent = "  ".repeat(b.code.depth().saturating_sub(1));
        ws.write_string_with_format(r, 1, format!("{indent}{}", b.title), &text)
            .map_err(xerr)?;
        ws.write_number_with_format(r, 2, number(b.points), &fmt)
            .map_err(xerr)?;
        match b.max {
            Some(m) => ws.write_number_with_format(r, 3, number(m), &fmt),
            None => ws.write_blank(r, 3, &text),
        }
        .map_err(xerr)?;
        match b.index {
            Some(i) => ws.write_number_with_format(r, 4, number(i), &fmt),
            None => ws.write_blank(r, 4, &text),
        }
        .map_err(xerr)?;
        r += 1;
    }
    ws.autofilter(head, 0, r.saturating_sub(1).max(head), 4)
        .map_err(xerr)?;
    ws.set_freeze_panes(head + 1, 0).map_err(xerr)?;
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(head, head).map_err(xerr)?;
    wb.save_to_buffer().map_err(xerr)
}
