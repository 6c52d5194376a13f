//! Reads a previous period's results (`--previous RESULTS.csv|json|xlsx`) for deltas and
//! streaks. Any results file chiso wrote is accepted, and so is a hand-made table with just
//! `unit, group, index` (plus `rank`, `streak` when known).

use std::collections::HashMap;
use std::path::Path;

use chiso_domain::points::parse_decimal;
use chiso_domain::{GroupName, PreviousResult, UnitCode};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::codes;
use crate::error::{ImportError, ImportErrors, Problem, id_problem};
use crate::limits::{forbidden_char, forbidden_char_problem};
use crate::table::{
    FileFormat, Table, XlsxBook, csv_table, decode_text, format_or_error, read_path,
};

/// Reads previous results from a `.csv`, `.xlsx` or `.json` file.
pub fn read_results(path: &Path) -> Result<Vec<PreviousResult>, ImportErrors> {
    let (name, bytes) = read_path(path)?;
    read_results_bytes(&name, &bytes)
}

/// Reads previous results from an uploaded file.
pub fn read_results_bytes(
    file_name: &str,
    bytes: &[u8],
) -> Result<Vec<PreviousResult>, ImportErrors> {
    match format_or_error(
        file_name,
        bytes.len(),
        &[FileFormat::Csv, FileFormat::Xlsx, FileFormat::Json],
    )? {
        FileFormat::Csv => from_table(&csv_table(file_name, bytes)?.1),
        FileFormat::Json => from_json(file_name, bytes),
        _ => {
            let mut book = XlsxBook::open(file_name, bytes)?;
            let sheet = book.find_sheet(&["Kết quả", "results"]);
            let table = match sheet {
                Some(s) => book.table(&s)?.1,
                None => book.first_table()?.1,
            };
            from_table(&table)
        }
    }
}

/// One row's fields as text, before checking.
struct Fields<'a> {
    unit: &'a str,
    group: &'a str,
    index: &'a str,
    rank: &'a str,
    streak: &'a str,
}

/// Checks one row; `report(field, problem)` for each problem.
fn parse_fields(f: &Fields<'_>, report: &mut dyn FnMut(&str, Problem)) -> Option<PreviousResult> {
    // A JSON string may carry `\u0000`; tables were checked cell by cell already.
    let texts = [
        ("unit", f.unit),
        ("group", f.group),
        ("index", f.index),
        ("rank", f.rank),
        ("streak", f.streak),
    ];
    let mut clean = true;
    for (field, text) in texts {
        if let Some(c) = forbidden_char(text) {
            report(field, forbidden_char_problem(c));
            clean = false;
        }
    }
    if !clean {
        return None;
    }
    let unit = UnitCode::parse(f.unit)
        .map_err(|e| {
            report(
                "unit",
                Problem::new(codes::UNIT_CODE_INVALID).because(id_problem(&e)),
            );
        })
        .ok();
    let group = GroupName::parse(f.group)
        .map_err(|e| {
            report(
                "group",
                Problem::new(codes::GROUP_INVALID).because(id_problem(&e)),
            );
        })
        .ok();
    let index = match parse_decimal(f.index) {
        Some(i) if i >= Decimal::ZERO => Some(i),
        _ if f.index.is_empty() => {
            report("index", Problem::new(codes::INDEX_MISSING));
            None
        }
        _ => {
            report(
                "index",
                Problem::new(codes::INDEX_INVALID).arg("value", f.index),
            );
            None
        }
    };
    // `5/9` as published is read as rank 5.
    let rank_text = f.rank.split('/').next().unwrap_or("").trim();
    let rank = match rank_text {
        "" => Some(None),
        r => match r.parse::<u32>() {
            Ok(n) if n > 0 => Some(Some(n)),
            _ => {
                report(
                    "rank",
                    Problem::new(codes::RANK_INVALID).arg("value", f.rank),
                );
                None
            }
        },
    };
    let streak = match (f.streak.trim(), rank) {
        ("", Some(r)) => Some(u32::from(r == Some(1))),
        ("", None) => None,
        (s, _) => match s.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                report(
                    "streak",
                    Problem::new(codes::STREAK_INVALID).arg("value", s),
                );
                None
            }
        },
    };
    Some(PreviousResult {
        unit: unit?,
        group: group?,
        index: index?,
        rank: rank?,
        streak: streak?,
    })
}

const COLUMNS: &[(&str, &[&str], bool)] = &[
    ("unit", &["unit", "mã đơn vị", "đơn vị"], true),
    ("group", &["group", "nhóm"], true),
    ("index", &["index", "chỉ số"], true),
    ("rank", &["rank", "hạng", "thứ hạng", "xếp hạng"], false),
    (
        "streak",
        &["streak", "số năm liên tiếp hạng 1", "số năm liên tiếp"],
        false,
    ),
];

fn from_table(table: &Table) -> Result<Vec<PreviousResult>, ImportErrors> {
    let file = table.file.as_str();
    let mut errors = ImportErrors::default();
    let mut cols: HashMap<&str, usize> = HashMap::new();
    for (name, aliases, required) in COLUMNS {
        match table.column(aliases) {
            Some(i) => {
                cols.insert(name, i);
            }
            None if *required => {
                errors.push(ImportError::cell(
                    file,
                    table.header_row,
                    name,
                    Problem::new(codes::MISSING_COLUMN).arg("column", name),
                ));
            }
            None => {}
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut out = Vec::new();
    let mut seen: HashMap<UnitCode, usize> = HashMap::new();
    for row in &table.rows {
        let cell = |name: &str| cols.get(name).map_or("", |i| row.get(*i));
        let fields = Fields {
            unit: cell("unit"),
            group: cell("group"),
            index: cell("index"),
            rank: cell("rank"),
            streak: cell("streak"),
        };
        let mut report = |field: &str, p: Problem| {
            let col = cols
                .get(field)
                .map_or_else(|| field.to_owned(), |i| table.headers[*i].clone());
            errors.push(ImportError::cell(file, row.number, &col, p));
        };
        if let Some(p) = parse_fields(&fields, &mut report) {
            if let Some(first) = seen.insert(p.unit.clone(), row.number) {
                report(
                    "unit",
                    Problem::new(codes::UNIT_TWICE)
                        .arg("unit", &p.unit)
                        .arg("first_row", first),
                );
                continue;
            }
            out.push(p);
        }
    }
    errors.into_result(out)
}

/// The text of a JSON scalar: numbers from their shortest decimal text.
fn json_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn from_json(file: &str, bytes: &[u8]) -> Result<Vec<PreviousResult>, ImportErrors> {
    let text = decode_text(file, bytes)?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| {
        ImportError::row(
            file,
            e.line(),
            Problem::new(codes::JSON_INVALID).arg("error", &e),
        )
    })?;
    let units = match &doc {
        Value::Array(a) => a,
        Value::Object(o) => match o.get("units") {
            Some(Value::Array(a)) => a,
            _ => {
                return Err(
                    ImportError::file(file, Problem::new(codes::JSON_UNITS_MISSING)).into(),
                );
            }
        },
        _ => {
            return Err(ImportError::file(file, Problem::new(codes::JSON_NOT_OBJECT)).into());
        }
    };
    let mut errors = ImportErrors::default();
    let mut out = Vec::new();
    let mut seen: HashMap<UnitCode, usize> = HashMap::new();
    for (i, u) in units.iter().enumerate() {
        let obj = u.as_object();
        let get = |k: &str| json_text(obj.and_then(|o| o.get(k)));
        let (unit, group, index, rank, streak) = (
            get("unit"),
            get("group"),
            get("index"),
            get("rank"),
            get("streak"),
        );
        let fields = Fields {
            unit: &unit,
            group: &group,
            index: &index,
            rank: &rank,
            streak: &streak,
        };
        let mut report = |field: &str, p: Problem| {
            errors.push(ImportError::at(
                file,
                None,
                Some(field.to_owned()),
                Problem::new(codes::JSON_ITEM).arg("item", i + 1).because(p),
            ));
        };
        if let Some(p) = parse_fields(&fields, &mut report) {
            if let Some(first) = seen.insert(p.unit.clone(), i + 1) {
                report(
                    "unit",
                    Problem::new(codes::UNIT_TWICE_ITEM)
                        .arg("unit", &p.unit)
                        .arg("first_item", first),
                );
                continue;
            }
            out.push(p);
        }
    }
    errors.into_result(out)
}
