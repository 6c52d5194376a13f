//! The unit list (`units.csv` / `.xlsx`): units, their group for the period and their lineage
//! (domain.md §8). Predecessors may be historic units absent from the file; parents must be in
//! it, since the hierarchy of a period is described by that period's file.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use chiso_domain::fmt::{parse_date, vi_date};
use chiso_domain::{GroupName, Lineage, LineageKind, Membership, Unit, UnitCode, UnitKind};
use time::Date;

use crate::codes;
use crate::error::{ExportError, ImportError, ImportErrors, Problem, id_problem};
use crate::table::{FileFormat, Table, XlsxBook, csv_table, format_or_error, read_path};

/// What a unit list holds: the units, their membership in ranking groups and the lineage
/// edges declared by the `predecessors` column.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnitsFile {
    pub units: Vec<Unit>,
    pub memberships: Vec<Membership>,
    pub lineage: Vec<Lineage>,
}

const COLUMNS: &[(&str, &[&str])] = &[
    ("code", &["code", "mã", "mã đơn vị"]),
    ("name", &["name", "tên", "tên đơn vị"]),
    ("group", &["group", "nhóm"]),
    ("kind", &["kind", "loại", "loại đơn vị"]),
    ("parent", &["parent", "đơn vị cha", "mã đơn vị cha"]),
    (
        "predecessors",
        &["predecessors", "đơn vị tiền thân", "tiền thân"],
    ),
    ("ranked", &["ranked", "xếp hạng"]),
    ("valid_from", &["valid_from", "từ ngày", "hiệu lực từ"]),
    ("valid_to", &["valid_to", "đến ngày", "hiệu lực đến"]),
];

/// Reads a unit list from a `.csv` or `.xlsx` file.
pub fn read_units(path: &Path) -> Result<UnitsFile, ImportErrors> {
    let (name, bytes) = read_path(path)?;
    read_units_bytes(&name, &bytes)
}

/// Reads a unit list from an uploaded `.csv` or `.xlsx` file.
pub fn read_units_bytes(file_name: &str, bytes: &[u8]) -> Result<UnitsFile, ImportErrors> {
    let table = match format_or_error(file_name, bytes.len(), &[FileFormat::Csv, FileFormat::Xlsx])?
    {
        FileFormat::Csv => csv_table(file_name, bytes)?.1,
        _ => XlsxBook::open(file_name, bytes)?.first_table()?.1,
    };
    read_table(&table)
}

/// `có`/`không`, `yes`/`no`, `x`, `1`/`0`; empty means ranked.
fn parse_ranked(raw: &str) -> Option<bool> {
    match raw.trim().to_lowercase().as_str() {
        "" | "có" | "co" | "yes" | "y" | "x" | "1" | "true" => Some(true),
        "không" | "khong" | "no" | "n" | "0" | "false" => Some(false),
        _ => None,
    }
}

/// One row's predecessor: its code and the date it was continued from, when given.
fn parse_predecessors(raw: &str) -> Result<Vec<(UnitCode, Option<Date>)>, Vec<Problem>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for item in raw
        .split([';', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let (code, date) = match item.split_once('@') {
            Some((c, d)) => (c, Some(d)),
            None => (item, None),
        };
        let code = match UnitCode::parse(code) {
            Ok(c) => c,
            Err(e) => {
                errors.push(
                    Problem::new(codes::PREDECESSOR_CODE_INVALID)
                        .arg("code", code)
                        .because(id_problem(&e)),
                );
                continue;
            }
        };
        let date = match date.map(|d| parse_date(d).ok_or(d)) {
            Some(Ok(d)) => Some(d),
            Some(Err(d)) => {
                errors.push(
                    Problem::new(codes::PREDECESSOR_DATE_INVALID)
                        .arg("date", d.trim())
                        .arg("unit", &code),
                );
                continue;
            }
            None => None,
        };
        if out.iter().any(|(c, _)| *c == code) {
            errors.push(Problem::new(codes::PREDECESSOR_TWICE).arg("unit", &code));
            continue;
        }
        out.push((code, date));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// A row's declared predecessors, kept until every unit of the file is known:
/// (row, successor, predecessors with their dates, the successor's `valid_from`).
type PendingLineage = (usize, UnitCode, Vec<(UnitCode, Option<Date>)>, Option<Date>);

fn read_table(table: &Table) -> Result<UnitsFile, ImportErrors> {
    let file = table.file.as_str();
    let mut errors = ImportErrors::default();
    let mut cols: HashMap<&str, usize> = HashMap::new();
    for (name, aliases) in COLUMNS {
        if let Some(i) = table.column(aliases) {
            cols.insert(name, i);
        }
    }
    for required in ["code", "name", "group"] {
        if !cols.contains_key(required) {
            errors.push(ImportError::cell(
                file,
                table.header_row,
                required,
                Problem::new(codes::MISSING_COLUMN).arg("column", required),
            ));
        }
    }
    for (i, h) in table.headers.iter().enumerate() {
        if !cols.values().any(|c| *c == i) && !table.skippable(i) {
            errors.push(ImportError::cell(
                file,
                table.header_row,
                h,
                Problem::new(codes::COLUMN_UNSUPPORTED).arg("column", h).arg(
                    "accepted",
                    "code, name, group, kind, parent, predecessors, ranked, valid_from, valid_to",
                ),
            ));
        }
    }
    table.stray_cells(&mut errors);
    if ["code", "name", "group"]
        .iter()
        .any(|c| !cols.contains_key(c))
    {
        return Err(errors);
    }
    let header = |name: &str| {
        cols.get(name)
            .map_or_else(|| name.to_owned(), |i| table.headers[*i].clone())
    };
    let mut out = UnitsFile::default();
    let mut rows_of: HashMap<UnitCode, usize> = HashMap::new();
    // (row, successor, predecessors, valid_from) kept until every unit is known.
    let mut preds: Vec<PendingLineage> = Vec::new();
    let mut parents: Vec<(usize, UnitCode, UnitCode)> = Vec::new();
    for row in &table.rows {
        let n = row.number;
        let cell = |name: &str| cols.get(name).map_or("", |i| row.get(*i));
        let mut bad =
            |col: &str, p: Problem| errors.push(ImportError::cell(file, n, &header(col), p));
        let code = match UnitCode::parse(cell("code")) {
            Ok(c) => Some(c),
            Err(chiso_domain::IdError::Empty) => {
                bad("code", Problem::new(codes::UNIT_CODE_MISSING));
                None
            }
            Err(e) => {
                bad(
                    "code",
                    Problem::new(codes::UNIT_CODE_INVALID).because(id_problem(&e)),
                );
                None
            }
        };
        if let Some(c) = &code
            && let Some(first) = rows_of.get(c)
        {
            bad(
                "code",
                Problem::new(codes::UNIT_CODE_DUPLICATE)
                    .arg("unit", c)
                    .arg("first_row", first),
            );
        }
        let name = cell("name")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if name.is_empty() {
            bad("name", Problem::new(codes::UNIT_NAME_MISSING));
        }
        let group = match GroupName::parse(cell("group")) {
            Ok(g) => Some(g),
            Err(chiso_domain::IdError::Empty) => {
                bad("group", Problem::new(codes::GROUP_MISSING));
                None
            }
            Err(e) => {
                bad(
                    "group",
                    Problem::new(codes::GROUP_INVALID).because(id_problem(&e)),
                );
                None
            }
        };
        let kind = match cell("kind") {
            "" => Some(UnitKind::Other),
            k => UnitKind::parse(k).or_else(|| {
                bad(
                    "kind",
                    Problem::new(codes::UNIT_KIND_INVALID).arg("kind", k),
                );
                None
            }),
        };
        let ranked = parse_ranked(cell("ranked")).or_else(|| {
            bad(
                "ranked",
                Problem::new(codes::RANKED_INVALID).arg("value", cell("ranked")),
            );
            None
        });
        let mut date = |col: &str| -> Option<Option<Date>> {
            match cell(col) {
                "" => Some(None),
                d => match parse_date(d) {
                    Some(d) => Some(Some(d)),
                    None => {
                        bad(col, Problem::new(codes::DATE_INVALID).arg("value", d));
                        None
                    }
                },
            }
        };
        let valid_from = date("valid_from");
        let valid_to = date("valid_to");
        if let (Some(Some(f)), Some(Some(t))) = (valid_from, valid_to)
            && f > t
        {
            bad(
                "valid_to",
                Problem::new(codes::DATES_REVERSED)
                    .arg("end", vi_date(t))
                    .arg("start", vi_date(f)),
            );
        }
        let parent = match cell("parent") {
            "" => Some(None),
            p => match UnitCode::parse(p) {
                Ok(p) if code.as_ref() == Some(&p) => {
                    bad("parent", Problem::new(codes::UNIT_OWN_PARENT));
                    None
                }
                Ok(p) => Some(Some(p)),
                Err(e) => {
                    bad(
                        "parent",
                        Problem::new(codes::PARENT_CODE_INVALID).because(id_problem(&e)),
                    );
                    None
                }
            },
        };
        let predecessors = match parse_predecessors(cell("predecessors")) {
            Ok(p) => {
                if code.as_ref().is_some_and(|c| p.iter().any(|(q, _)| q == c)) {
                    bad("predecessors", Problem::new(codes::UNIT_OWN_PREDECESSOR));
                    None
                } else {
                    Some(p)
                }
            }
            Err(es) => {
                for e in es {
                    bad("predecessors", e);
                }
                None
            }
        };
        let Some(code) = code else { continue };
        rows_of.entry(code.clone()).or_insert(n);
        if let (
            false,
            Some(group),
            Some(kind),
            Some(ranked),
            Some(valid_from),
            Some(valid_to),
            Some(parent),
            Some(predecessors),
        ) = (
            name.is_empty(),
            group,
            kind,
            ranked,
            valid_from,
            valid_to,
            parent,
            predecessors,
        ) {
            if let Some(p) = &parent {
                parents.push((n, code.clone(), p.clone()));
            }
            if !predecessors.is_empty() {
                preds.push((n, code.clone(), predecessors, valid_from));
            }
            out.memberships.push(Membership {
                unit: code.clone(),
                group,
                ranked,
            });
            out.units.push(Unit {
                code,
                name,
                kind,
                parent,
                valid_from,
                valid_to,
            });
        }
    }
    let known: HashSet<&UnitCode> = rows_of.keys().collect();
    for (n, _, p) in &parents {
        if !known.contains(p) {
            errors.push(ImportError::cell(
                file,
                *n,
                &header("parent"),
                Problem::new(codes::PARENT_NOT_IN_FILE).arg("parent", p),
            ));
        }
    }
    // A cycle of parents would make the hierarchy endless.
    let parent_of: HashMap<&UnitCode, &UnitCode> = parents.iter().map(|(_, c, p)| (c, p)).collect();
    for (n, code, _) in &parents {
        let mut cur: &UnitCode = code;
        let mut steps = 0;
        while let Some(p) = parent_of.get(&cur) {
            if *p == code {
                errors.push(ImportError::cell(
                    file,
                    *n,
                    &header("parent"),
                    Problem::new(codes::PARENT_CYCLE).arg("unit", code),
                ));
                break;
            }
            cur = *p;
            steps += 1;
            if steps > parent_of.len() {
                break;
            }
        }
    }
    // A predecessor named as the only predecessor of several units was split among them.
    let mut single_successors: HashMap<&UnitCode, usize> = HashMap::new();
    for (_, _, p, _) in &preds {
        if let [(only, _)] = p.as_slice() {
            *single_successors.entry(only).or_default() += 1;
        }
    }
    let mut lineage = Vec::new();
    for (_, successor, p, valid_from) in &preds {
        let kind = match p.as_slice() {
            [(only, _)] if single_successors.get(only).copied().unwrap_or(0) > 1 => {
                LineageKind::Split
            }
            [_] => LineageKind::Rename,
            _ => LineageKind::Merger,
        };
        for (predecessor, date) in p {
            lineage.push(Lineage {
                predecessor: predecessor.clone(),
                successor: successor.clone(),
                kind,
                effective: date.or(*valid_from),
            });
        }
    }
    out.lineage = lineage;
    errors.into_result(out)
}

/// The CSV text of a unit list, in the columns [`read_units`] reads.
pub fn units_csv(units: &[Unit], memberships: &[Membership], lineage: &[Lineage]) -> String {
    let members: HashMap<&UnitCode, &Membership> =
        memberships.iter().map(|m| (&m.unit, m)).collect();
    let mut preds: BTreeMap<&UnitCode, Vec<&Lineage>> = BTreeMap::new();
    for l in lineage {
        preds.entry(&l.successor).or_default().push(l);
    }
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record([
        "code",
        "name",
        "group",
        "kind",
        "parent",
        "predecessors",
        "ranked",
        "valid_from",
        "valid_to",
    ]);
    for u in units {
        let m = members.get(&u.code);
        let p = preds
            .get(&u.code)
            .map(|ls| {
                ls.iter()
                    .map(|l| match l.effective {
                        Some(d) if Some(d) != u.valid_from => {
                            format!("{}@{}", l.predecessor, vi_date(d))
                        }
                        _ => l.predecessor.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(";")
            })
            .unwrap_or_default();
        let date = |d: Option<Date>| d.map(vi_date).unwrap_or_default();
        let _ = w.write_record([
            u.code.as_str(),
            &u.name,
            m.map_or("", |m| m.group.as_str()),
            u.kind.as_str(),
            u.parent.as_ref().map_or("", UnitCode::as_str),
            &p,
            if m.is_none_or(|m| m.ranked) {
                "có"
            } else {
                "không"
            },
            &date(u.valid_from),
            &date(u.valid_to),
        ]);
    }
    let mut s = w
        .into_inner()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    if s.is_empty() {
        let _ = writeln!(s, "code,name,group");
    }
    s
}

/// Writes [`units_csv`] to `path`.
pub fn write_units_csv(
    path: &Path,
    units: &[Unit],
    memberships: &[Membership],
    lineage: &[Lineage],
) -> Result<(), ExportError> {
    std::fs::write(path, units_csv(units, memberships, lineage)).map_err(|source| ExportError::Io {
        path: path.display().to_string(),
        source,
    })
}
