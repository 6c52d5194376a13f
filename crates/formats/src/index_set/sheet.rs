//! The spreadsheet form of an index set: one row per node (`code, title, max, source, method,
//! params` and optionally `parent, rule, evidence, not_applicable`). A node's parent is the
//! `parent` cell when filled, else the one its dotted code names (`1.2` under `1`); a code
//! without a dot and without a parent cell is an area.
//! The set's own fields are `# key: value` lines above the header (CSV and XLSX) or, in XLSX,
//! key/value rows on a sheet named `set`.

use std::collections::HashMap;
use std::fmt::Write as _;

use chiso_domain::{ClassScheme, IndexSet, NaPolicy, NodeCode, TieBreaker};

use super::{
    Draft, GroupBands, Meta, Seen, finish, parse_bands, parse_bool, parse_group, parse_max,
    parse_na, parse_set_code, parse_source, parse_tie_breaker, parse_year,
};
use crate::codes;
use crate::error::{ImportError, ImportErrors, Problem, id_problem};
use crate::params::{method_params, parse_method, plain};
use crate::table::{Table, XlsxBook, csv_table, header_key};

/// The columns of the node table and the headers accepted for each (English or Vietnamese).
const COLUMNS: &[(&str, &[&str], bool)] = &[
    ("code", &["code", "mã", "mã tiêu chí"], true),
    (
        "title",
        &["title", "tên", "tên tiêu chí", "nội dung", "tiêu chí"],
        true,
    ),
    ("max", &["max", "điểm tối đa"], true),
    ("source", &["source", "nguồn", "nguồn điểm"], true),
    (
        "method",
        &["method", "phương pháp", "phương pháp chấm điểm"],
        true,
    ),
    ("params", &["params", "tham số"], false),
    (
        "parent",
        &["parent", "mã cha", "tiêu chí cha", "mã tiêu chí cha"],
        false,
    ),
    ("rule", &["rule", "cách tính điểm", "cách chấm điểm"], false),
    ("evidence", &["evidence", "tài liệu kiểm chứng"], false),
    (
        "not_applicable",
        &["not_applicable", "không phát sinh"],
        false,
    ),
];

/// Metadata keys and their Vietnamese names; `classes[Nhóm]` keeps the group name as written.
fn meta_key(raw: &str) -> Option<String> {
    let t = raw.trim();
    if let Some((head, rest)) = t.split_once('[') {
        let group = rest.strip_suffix(']')?;
        return matches!(header_key(head).as_str(), "classes" | "xếploại")
            .then(|| format!("classes[{}]", group.trim()));
    }
    Some(
        match header_key(t).as_str() {
            "code" | "mã" | "mãbộchỉsố" => "code",
            "name" | "tên" | "tênbộchỉsố" => "name",
            "year" | "năm" => "year",
            "decision" | "quyếtđịnh" => "decision",
            "classes" | "xếploại" => "classes",
            "ranking" | "xếphạng" => "ranking",
            "renormaliseabsentareas" => "renormalise_absent_areas",
            _ => return None,
        }
        .to_owned(),
    )
}

/// One metadata entry with where it was written.
struct MetaLine {
    row: usize,
    /// The sheet the entry is on when it is not the sheet of nodes, named in its problems.
    sheet: Option<String>,
    key: String,
    value: String,
}

/// Reads the CSV form.
pub(super) fn read_csv(file: &str, bytes: &[u8]) -> Result<IndexSet, ImportErrors> {
    let (comments, table) = csv_table(file, bytes)?;
    let mut errors = ImportErrors::default();
    let lines = comment_meta(file, comments, &mut errors);
    read_table(table, lines, errors)
}

/// Reads the XLSX form: the sheet `nodes` (or the first sheet other than `set`) and the
/// optional sheet `set`.
pub(super) fn read_xlsx(file: &str, bytes: &[u8]) -> Result<IndexSet, ImportErrors> {
    let mut book = XlsxBook::open(file, bytes)?;
    let set_sheet = book.find_sheet(&["set", "bộ chỉ số"]);
    let nodes_sheet = book.find_sheet(&["nodes", "tiêu chí"]).or_else(|| {
        book.sheet_names()
            .into_iter()
            .find(|s| Some(s) != set_sheet.as_ref())
    });
    let Some(nodes_sheet) = nodes_sheet else {
        return Err(ImportError::file(file, Problem::new(codes::XLSX_NO_CRITERIA_SHEET)).into());
    };
    let (comments, table) = book.table(&nodes_sheet)?;
    let mut errors = ImportErrors::default();
    let mut lines = comment_meta(file, comments, &mut errors);
    if let Some(sheet) = set_sheet {
        for row in book.rows(&sheet)? {
            let (k, v) = (row.get(0), row.get(1));
            if k.is_empty()
                || matches!(header_key(k).as_str(), "key" | "khóa")
                || k.starts_with('#')
            {
                continue;
            }
            match meta_key(k) {
                Some(key) => lines.push(MetaLine {
                    row: row.number,
                    sheet: Some(sheet.clone()),
                    key,
                    value: v.to_owned(),
                }),
                None => errors.push(ImportError::cell(
                    file,
                    row.number,
                    "A",
                    Problem::new(codes::ON_SHEET)
                        .arg("sheet", &sheet)
                        .because(Problem::new(codes::META_KEY_INVALID).arg("key", k)),
                )),
            }
        }
    }
    read_table(table, lines, errors)
}

/// `# key: value` lines; `##` lines are free comments.
fn comment_meta(
    file: &str,
    comments: Vec<(usize, String)>,
    errors: &mut ImportErrors,
) -> Vec<MetaLine> {
    let mut out = Vec::new();
    for (row, text) in comments {
        if text.starts_with('#') || text.is_empty() {
            continue;
        }
        let Some((k, v)) = text.split_once(':') else {
            errors.push(ImportError::row(
                file,
                row,
                Problem::new(codes::META_LINE_MALFORMED).arg("text", &text),
            ));
            continue;
        };
        match meta_key(k) {
            Some(key) => out.push(MetaLine {
                row,
                sheet: None,
                key,
                value: v.trim().to_owned(),
            }),
            None => errors.push(ImportError::row(
                file,
                row,
                Problem::new(codes::META_LINE_KEY_INVALID).arg("key", k.trim()),
            )),
        }
    }
    out
}

/// Builds the set's fields from metadata lines.
fn meta_from(file: &str, lines: &[MetaLine], errors: &mut ImportErrors) -> Meta {
    let mut meta = Meta::default();
    let mut default_bands = None;
    let mut groups = GroupBands::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for l in lines {
        let err = |errors: &mut ImportErrors, problem: Problem| {
            let problem = match &l.sheet {
                Some(s) => Problem::new(codes::ON_SHEET)
                    .arg("sheet", s)
                    .because(problem),
                None => problem,
            };
            let col = l.sheet.as_ref().map(|_| "B".to_owned());
            errors.push(ImportError::at(file, Some(l.row), col, problem));
        };
        if let Some(first) = seen.insert(&l.key, l.row) {
            err(
                errors,
                Problem::new(codes::META_KEY_TWICE)
                    .arg("key", &l.key)
                    .arg("first_row", first),
            );
            continue;
        }
        let v = l.value.trim();
        match l.key.as_str() {
            "code" => match parse_set_code(v) {
                Ok(c) => meta.code = Some(c),
                Err(e) => err(errors, e),
            },
            "name" if !v.is_empty() => meta.name = Some(v.to_owned()),
            "name" => {}
            "year" => match parse_year(v) {
                Ok(y) => meta.year = Some(y),
                Err(e) => err(errors, e),
            },
            "decision" => meta.decision = (!v.is_empty()).then(|| v.to_owned()),
            "renormalise_absent_areas" => match parse_bool(v) {
                Some(b) => meta.renormalise = b,
                None => err(errors, Problem::new(codes::RENORMALISE_INVALID)),
            },
            "classes" => match parse_bands(v) {
                Ok(b) => default_bands = Some(b),
                Err(es) => es
                    .into_iter()
                    .for_each(|e| err(errors, Problem::new(codes::CLASSES_INVALID).because(e))),
            },
            "ranking" => {
                if v.is_empty() || v.eq_ignore_ascii_case("shared") {
                    continue;
                }
                for item in v.split('|').map(str::trim).filter(|s| !s.is_empty()) {
                    let (kind, value) = item.split_once('=').unwrap_or(("", item));
                    match parse_tie_breaker(kind.trim(), value.trim()) {
                        Ok(t) => meta.ranking.tie_breakers.push(t),
                        Err(e) => err(
                            errors,
                            Problem::new(codes::RANKING_ITEM_INVALID)
                                .arg("item", item)
                                .because(e),
                        ),
                    }
                }
            }
            key => {
                // `classes[Nhóm]`.
                let name = key
                    .strip_prefix("classes[")
                    .and_then(|k| k.strip_suffix(']'))
                    .unwrap_or(key);
                match (parse_group(name), parse_bands(v)) {
                    (Ok(g), Ok(b)) => {
                        groups.insert(g, b);
                    }
                    (g, b) => {
                        if let Err(e) = g {
                            err(errors, e);
                        }
                        if let Err(es) = b {
                            es.into_iter().for_each(|e| {
                                err(
                                    errors,
                                    Problem::new(codes::GROUP_CLASSES_INVALID)
                                        .arg("group", name)
                                        .because(e),
                                );
                            });
                        }
                    }
                }
            }
        }
    }
    if default_bands.is_some() || !groups.is_empty() {
        meta.classes = Some(ClassScheme {
            default: default_bands.unwrap_or_else(|| ClassScheme::common_default().default),
            groups,
        });
    }
    meta
}

/// One parsed row.
struct RowNode {
    row: usize,
    parent: Option<NodeCode>,
    draft: Draft,
}

fn read_table(
    table: Table,
    lines: Vec<MetaLine>,
    mut errors: ImportErrors,
) -> Result<IndexSet, ImportErrors> {
    let file = table.file.clone();
    let meta = meta_from(&file, &lines, &mut errors);
    meta.require(&mut |key, problem| {
        errors.push(ImportError::file(
            &file,
            Problem::new(codes::META_REQUIRED)
                .arg("key", key)
                .because(problem),
        ));
    });
    // Column positions.
    let mut cols: HashMap<&str, usize> = HashMap::new();
    for (name, aliases, required) in COLUMNS {
        match table.column(aliases) {
            Some(i) => {
                cols.insert(name, i);
            }
            None if *required => errors.push(ImportError::cell(
                &file,
                table.header_row,
                name,
                Problem::new(codes::MISSING_COLUMN).arg("column", name),
            )),
            None => {}
        }
    }
    for (i, h) in table.headers.iter().enumerate() {
        let known = cols.values().any(|c| *c == i);
        if !known && !table.skippable(i) {
            errors.push(ImportError::cell(
                &file,
                table.header_row,
                h,
                Problem::new(codes::COLUMN_UNSUPPORTED)
                    .arg("column", h)
                    .arg(
                        "accepted",
                        "code, title, max, source, method, params, parent, rule, evidence, \
                     not_applicable",
                    ),
            ));
        }
    }
    table.stray_cells(&mut errors);
    if COLUMNS
        .iter()
        .any(|(n, _, req)| *req && !cols.contains_key(n))
    {
        return Err(errors);
    }
    let header = |name: &str| {
        cols.get(name)
            .map(|i| table.headers[*i].clone())
            .unwrap_or_else(|| name.to_owned())
    };
    let cell = |row: &crate::table::TableRow, name: &str| {
        cols.get(name).map_or("", |i| row.get(*i)).to_owned()
    };

    let mut nodes: Vec<RowNode> = Vec::new();
    let mut seen = Seen::default();
    // Parents of every row with a valid code, even rows dropped for other errors, so their
    // parents are not mistaken for leaves.
    let mut parents: std::collections::HashSet<NodeCode> = std::collections::HashSet::new();
    for row in &table.rows {
        let n = row.number;
        let mut ok = true;
        let bad = |errors: &mut ImportErrors, col: &str, problem: Problem| {
            errors.push(ImportError::cell(&file, n, &header(col), problem));
        };
        let code = match NodeCode::parse(&cell(row, "code")) {
            Ok(c) => c,
            Err(e) => {
                bad(
                    &mut errors,
                    "code",
                    Problem::new(codes::CRITERION_CODE_INVALID).because(id_problem(&e)),
                );
                continue;
            }
        };
        let parent = match cell(row, "parent").as_str() {
            "" => code.parent(),
            raw => match NodeCode::parse(raw) {
                Ok(p) if p == code => {
                    bad(
                        &mut errors,
                        "parent",
                        Problem::new(codes::CRITERION_OWN_PARENT).arg("criterion", &code),
                    );
                    continue;
                }
                Ok(p) => Some(p),
                Err(e) => {
                    bad(
                        &mut errors,
                        "parent",
                        Problem::new(codes::PARENT_CRITERION_CODE_INVALID).because(id_problem(&e)),
                    );
                    continue;
                }
            },
        };
        if let Some(p) = &parent {
            parents.insert(p.clone());
        }
        if let Some(first) = seen.first_row(&code, n) {
            bad(
                &mut errors,
                "code",
                Problem::new(codes::CRITERION_CODE_DUPLICATE)
                    .arg("criterion", &code)
                    .arg("first_row", first),
            );
            continue;
        }
        let title = cell(row, "title");
        if title.is_empty() {
            bad(
                &mut errors,
                "title",
                Problem::new(codes::CRITERION_TITLE_MISSING),
            );
            ok = false;
        }
        let max_text = cell(row, "max");
        let max = if max_text.is_empty() {
            None
        } else {
            match parse_max(&max_text) {
                Ok(m) => Some(m),
                Err(e) => {
                    bad(&mut errors, "max", e);
                    ok = false;
                    None
                }
            }
        };
        let source_text = cell(row, "source");
        let source = if source_text.is_empty() {
            None
        } else {
            match parse_source(&source_text) {
                Ok(s) => Some(s),
                Err(e) => {
                    bad(&mut errors, "source", e);
                    ok = false;
                    None
                }
            }
        };
        let method_text = cell(row, "method");
        let params = cell(row, "params");
        let method = if method_text.is_empty() {
            if !params.is_empty() {
                bad(
                    &mut errors,
                    "params",
                    Problem::new(codes::PARAMS_WITHOUT_METHOD),
                );
                ok = false;
            }
            None
        } else {
            match parse_method(&method_text, &params) {
                Ok(m) => Some(m),
                Err(es) => {
                    let col = if es.iter().any(|e| e.code == codes::METHOD_UNKNOWN) {
                        "method"
                    } else {
                        "params"
                    };
                    for e in es {
                        bad(&mut errors, col, e);
                    }
                    ok = false;
                    None
                }
            }
        };
        let not_applicable = match parse_na(&cell(row, "not_applicable")) {
            Ok(na) => na,
            Err(e) => {
                bad(&mut errors, "not_applicable", e);
                ok = false;
                None
            }
        };
        if !ok {
            continue;
        }
        let text = |name: &str| Some(cell(row, name)).filter(|s| !s.is_empty());
        nodes.push(RowNode {
            row: n,
            parent,
            draft: Draft {
                code,
                title,
                max,
                source,
                method,
                rule: text("rule"),
                evidence: text("evidence"),
                not_applicable,
                children: Vec::new(),
            },
        });
    }
    // The tree from the codes, children in file order.
    let index: HashMap<NodeCode, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.draft.code.clone(), i))
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    let mut roots = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        match &n.parent {
            None => roots.push(i),
            Some(p) => match index.get(p) {
                Some(pi) => children[*pi].push(i),
                None => errors.push(ImportError::cell(
                    &file,
                    n.row,
                    &header("code"),
                    Problem::new(codes::PARENT_CRITERION_NOT_IN_TABLE)
                        .arg("parent", p)
                        .arg("criterion", &n.draft.code),
                )),
            },
        }
    }
    if table.rows.is_empty() {
        errors.push(ImportError::file(
            &file,
            Problem::new(codes::TABLE_NO_CRITERIA),
        ));
    }
    let rows: HashMap<NodeCode, usize> = nodes
        .iter()
        .map(|n| (n.draft.code.clone(), n.row))
        .collect();
    let mut slots: Vec<Option<Draft>> = nodes.into_iter().map(|n| Some(n.draft)).collect();
    fn build(i: usize, slots: &mut [Option<Draft>], children: &[Vec<usize>]) -> Option<Draft> {
        let mut d = slots[i].take()?;
        d.children = children[i]
            .iter()
            .filter_map(|c| build(*c, slots, children))
            .collect();
        Some(d)
    }
    let drafts: Vec<Draft> = roots
        .iter()
        .filter_map(|i| build(*i, &mut slots, &children))
        .collect();
    for d in &drafts {
        d.check_leaves(&|c| parents.contains(c), &mut |code, field, problem| {
            let row = rows.get(code).copied().unwrap_or(table.header_row);
            errors.push(ImportError::cell(&file, row, &header(field), problem));
        });
    }
    let set = finish(&file, meta, drafts, &mut errors, &|code, field| {
        let row = match code {
            Some(c) => rows.get(c).copied(),
            // Set-level issues (classes, ranking) point at their metadata line when on this sheet.
            None => lines
                .iter()
                .find(|l| l.sheet.is_none() && l.key.starts_with(field) && !field.is_empty())
                .map(|l| l.row),
        };
        let column = if field.is_empty() || !cols.contains_key(field) {
            None
        } else {
            Some(header(field))
        };
        (row, column)
    });
    match set {
        Some(set) => Ok(set),
        None => Err(errors),
    }
}

/// The CSV text of an index set in the spreadsheet form (metadata as `# key: value` lines).
pub fn index_set_csv(set: &IndexSet) -> String {
    let mut out = String::new();
    let mut meta = |k: &str, v: &str| {
        let line = format!("# {k}: {v}");
        let _ = if line.contains([',', '"']) {
            writeln!(out, "\"{}\"", line.replace('"', "\"\""))
        } else {
            writeln!(out, "{line}")
        };
    };
    meta("code", set.code.as_str());
    meta("name", &set.name);
    meta("year", &set.year.to_string());
    if let Some(d) = &set.decision {
        meta("decision", d);
    }
    let bands = |b: &[chiso_domain::ClassBand]| {
        b.iter()
            .map(|b| format!("{}:{}", b.label, plain(b.min)))
            .collect::<Vec<_>>()
            .join("|")
    };
    if set.classes != ClassScheme::common_default() {
        meta("classes", &bands(&set.classes.default));
        for (g, b) in &set.classes.groups {
            meta(&format!("classes[{g}]"), &bands(b));
        }
    }
    if !set.ranking.tie_breakers.is_empty() {
        let items: Vec<String> = set
            .ranking
            .tie_breakers
            .iter()
            .map(|t| match t {
                TieBreaker::SourcePoints(s) => format!("source={}", s.as_str()),
                TieBreaker::NodePoints(c) => format!("node={c}"),
            })
            .collect();
        meta("ranking", &items.join("|"));
    }
    if set.renormalise_absent_areas {
        meta("renormalise_absent_areas", "true");
    }
    // Nodes with their parent in tree order; the parent column is written only when some
    // parent is not the one the code names (`1` under `I`).
    fn collect<'a>(
        nodes: &'a [chiso_domain::Node],
        parent: Option<&'a NodeCode>,
        out: &mut Vec<(&'a chiso_domain::Node, Option<&'a NodeCode>)>,
    ) {
        for n in nodes {
            out.push((n, parent));
            collect(&n.children, Some(&n.code), out);
        }
    }
    let mut rows = Vec::new();
    collect(&set.nodes, None, &mut rows);
    let with_parent = rows.iter().any(|(n, p)| n.code.parent().as_ref() != *p);
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let mut header = vec!["code", "title", "max", "source", "method", "params"];
    if with_parent {
        header.push("parent");
    }
    header.extend(["rule", "evidence", "not_applicable"]);
    let _ = w.write_record(&header);
    for (n, parent) in rows {
        let (name, params) = n
            .method
            .as_ref()
            .map(method_params)
            .unwrap_or(("", String::new()));
        let na = match n.not_applicable {
            Some(NaPolicy::Exclude) => "exclude",
            Some(NaPolicy::FullPoints) => "full_points",
            None => "",
        };
        let max = plain(n.max.0);
        let mut record = vec![
            n.code.as_str(),
            &n.title,
            &max,
            n.source.as_str(),
            name,
            &params,
        ];
        if with_parent {
            record.push(parent.map_or("", NodeCode::as_str));
        }
        record.extend([
            n.rule.as_deref().unwrap_or(""),
            n.evidence.as_deref().unwrap_or(""),
            na,
        ]);
        let _ = w.write_record(&record);
    }
    let body = w
        .into_inner()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    out.push_str(&body);
    out
}
