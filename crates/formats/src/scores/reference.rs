//! The score file reader as it was before streaming, kept for tests only: it builds a whole
//! [`Table`] of strings and checks it, and serves as the reference the streaming reader must
//! agree with, value for value and error for error.

use std::collections::{HashMap, HashSet};

use chiso_domain::{IndexSet, Node, NodeCode, UnitCode};

use super::{CRITERION, NAME, NOTE, ScoreShape, ScoresFile, UNIT, UnitScores, VALUE};
use crate::codes;
use crate::error::{ImportError, ImportErrors, Problem, id_problem, input_problem};
use crate::table::{
    FileFormat, Table, TableRow, XlsxBook, csv_table, format_or_error, header_key,
    is_ignored_header,
};

/// Reads a score file the way the reader did before it streamed.
pub(super) fn read_table(
    file_name: &str,
    bytes: &[u8],
    set: &IndexSet,
    known_units: Option<&[UnitCode]>,
) -> Result<ScoresFile, ImportErrors> {
    let table = match format_or_error(file_name, bytes.len(), &[FileFormat::Csv, FileFormat::Xlsx])?
    {
        FileFormat::Csv => csv_table(file_name, bytes)?.1,
        _ => XlsxBook::open(file_name, bytes)?.first_table()?.1,
    };
    Reader::new(&table, set, known_units).read()
}

struct Reader<'a> {
    table: &'a Table,
    leaves: HashMap<&'a str, &'a Node>,
    inner: HashSet<&'a str>,
    known: Option<HashSet<&'a UnitCode>>,
    errors: ImportErrors,
    out: Vec<UnitScores>,
    index: HashMap<UnitCode, usize>,
    /// First row of each (unit, criterion), to report duplicates.
    seen: HashMap<(UnitCode, NodeCode), usize>,
}

impl<'a> Reader<'a> {
    fn new(table: &'a Table, set: &'a IndexSet, known: Option<&'a [UnitCode]>) -> Self {
        let mut leaves = HashMap::new();
        let mut inner = HashSet::new();
        for n in set.nodes.iter().flat_map(Node::walk) {
            if n.is_leaf() {
                leaves.insert(n.code.as_str(), n);
            } else {
                inner.insert(n.code.as_str());
            }
        }
        Reader {
            table,
            leaves,
            inner,
            known: known.map(|k| k.iter().collect()),
            errors: ImportErrors::default(),
            out: Vec::new(),
            index: HashMap::new(),
            seen: HashMap::new(),
        }
    }

    fn err(&mut self, row: usize, column: &str, problem: Problem) {
        self.errors
            .push(ImportError::cell(&self.table.file, row, column, problem));
    }

    fn read(mut self) -> Result<ScoresFile, ImportErrors> {
        let t = self.table;
        let Some(unit_col) = t.column(UNIT) else {
            self.err(
                t.header_row,
                "unit",
                Problem::new(codes::SCORES_UNIT_COLUMN_MISSING),
            );
            return Err(self.errors);
        };
        let crit = t.column(CRITERION);
        let value = t.column(VALUE);
        let shape = match (crit, value) {
            (Some(c), Some(v)) => {
                self.long(unit_col, c, v, t.column(NOTE));
                ScoreShape::Long
            }
            (Some(_), None) => {
                self.err(
                    t.header_row,
                    "value",
                    Problem::new(codes::SCORES_VALUE_COLUMN_MISSING),
                );
                ScoreShape::Long
            }
            (None, Some(_)) => {
                self.err(
                    t.header_row,
                    "criterion",
                    Problem::new(codes::SCORES_CRITERION_COLUMN_MISSING),
                );
                ScoreShape::Long
            }
            (None, None) => {
                self.wide(unit_col);
                ScoreShape::Wide
            }
        };
        t.stray_cells(&mut self.errors);
        let units = self.out;
        self.errors.into_result(ScoresFile { shape, units })
    }

    /// The unit of a row, checked against the unit list.
    fn unit(&mut self, row: &TableRow, col: usize) -> Option<UnitCode> {
        let header = &self.table.headers[col];
        match UnitCode::parse(row.get(col)) {
            Ok(u) => {
                if self.known.as_ref().is_some_and(|k| !k.contains(&u)) {
                    self.err(
                        row.number,
                        header,
                        Problem::new(codes::UNIT_UNKNOWN).arg("unit", &u),
                    );
                    return None;
                }
                Some(u)
            }
            Err(chiso_domain::IdError::Empty) => {
                self.err(row.number, header, Problem::new(codes::UNIT_CODE_MISSING));
                None
            }
            Err(e) => {
                self.err(
                    row.number,
                    header,
                    Problem::new(codes::UNIT_CODE_INVALID).because(id_problem(&e)),
                );
                None
            }
        }
    }

    /// The leaf of a criterion code, or the problem saying why it is not one.
    fn leaf(&self, raw: &str) -> Result<&'a Node, Problem> {
        let code = NodeCode::parse(raw)
            .map_err(|e| Problem::new(codes::CRITERION_CODE_INVALID).because(id_problem(&e)))?;
        if let Some(n) = self.leaves.get(code.as_str()) {
            return Ok(n);
        }
        if self.inner.contains(code.as_str()) {
            return Err(Problem::new(codes::CRITERION_NOT_LEAF).arg("criterion", &code));
        }
        Err(Problem::new(codes::CRITERION_UNKNOWN).arg("criterion", &code))
    }

    /// Parses and test-scores one value; records it unless something is wrong.
    fn value(
        &mut self,
        row: usize,
        column: &str,
        unit: &UnitCode,
        leaf: &Node,
        raw: &str,
        note: Option<&str>,
    ) {
        let Some(method) = &leaf.method else { return };
        let parsed = method.parse_input(raw).and_then(|v| {
            method
                .score(leaf.max, leaf.source, leaf.not_applicable, &v)
                .map(|_| v)
        });
        let value = match parsed {
            Ok(v) => v,
            Err(e) => {
                self.err(
                    row,
                    column,
                    Problem::new(codes::CRITERION)
                        .arg("criterion", &leaf.code)
                        .because(input_problem(&e)),
                );
                return;
            }
        };
        let key = (unit.clone(), leaf.code.clone());
        if let Some(first) = self.seen.get(&key) {
            let first = *first;
            self.err(
                row,
                column,
                Problem::new(codes::VALUE_TWICE)
                    .arg("unit", unit)
                    .arg("criterion", &leaf.code)
                    .arg("first_row", first),
            );
            return;
        }
        self.seen.insert(key, row);
        let i = self.unit_slot(unit);
        self.out[i].values.push((leaf.code.clone(), value));
        if let Some(n) = note.filter(|n| !n.is_empty()) {
            self.out[i].notes.push((leaf.code.clone(), n.to_owned()));
        }
    }

    fn unit_slot(&mut self, unit: &UnitCode) -> usize {
        if let Some(i) = self.index.get(unit) {
            return *i;
        }
        self.out.push(UnitScores {
            unit: unit.clone(),
            values: Vec::new(),
            notes: Vec::new(),
        });
        self.index.insert(unit.clone(), self.out.len() - 1);
        self.out.len() - 1
    }

    fn long(
        &mut self,
        unit_col: usize,
        crit_col: usize,
        value_col: usize,
        note_col: Option<usize>,
    ) {
        let t = self.table;
        for (i, h) in t.headers.iter().enumerate() {
            if ![Some(unit_col), Some(crit_col), Some(value_col), note_col].contains(&Some(i))
                && !is_ignored_header(h)
                && !NAME.iter().any(|n| header_key(n) == header_key(h))
            {
                self.err(
                    t.header_row,
                    h,
                    Problem::new(codes::COLUMN_UNSUPPORTED)
                        .arg("column", h)
                        .arg("accepted", "unit, criterion, value, note"),
                );
            }
        }
        let crit_header = t.headers[crit_col].clone();
        let value_header = t.headers[value_col].clone();
        for row in &t.rows {
            let unit = self.unit(row, unit_col);
            let leaf = match self.leaf(row.get(crit_col)) {
                Ok(l) => Some(l),
                Err(e) => {
                    self.err(row.number, &crit_header, e);
                    None
                }
            };
            let raw = row.get(value_col);
            let note = note_col.map(|c| row.get(c));
            if t.delimiter == Some(b',')
                && let Some(n) = note
                && split_decimal(raw, n)
            {
                self.err(
                    row.number,
                    &value_header,
                    Problem::new(codes::VALUE_SPLIT_BY_COMMA)
                        .arg("value", raw)
                        .arg("note", n),
                );
                continue;
            }
            let (Some(unit), Some(leaf)) = (unit, leaf) else {
                continue;
            };
            if raw.is_empty() {
                // A note without a value is kept; the leaf simply has no input.
                if let Some(n) = note.filter(|n| !n.is_empty()) {
                    let i = self.unit_slot(&unit);
                    self.out[i].notes.push((leaf.code.clone(), n.to_owned()));
                }
                continue;
            }
            self.value(row.number, &value_header, &unit, leaf, raw, note);
        }
    }

    fn wide(&mut self, unit_col: usize) {
        let t = self.table;
        let mut columns: Vec<(usize, &'a Node)> = Vec::new();
        for (i, h) in t.headers.iter().enumerate() {
            if i == unit_col
                || is_ignored_header(h)
                || NAME.iter().any(|n| header_key(n) == header_key(h))
            {
                continue;
            }
            if h.is_empty() && t.rows.iter().all(|r| r.get(i).is_empty()) {
                continue;
            }
            match self.leaf(h) {
                Ok(leaf) => {
                    if let Some((first, _)) = columns.iter().find(|(_, l)| l.code == leaf.code) {
                        let first = crate::table::column_letter(*first);
                        self.err(
                            t.header_row,
                            h,
                            Problem::new(codes::CRITERION_TWO_COLUMNS)
                                .arg("criterion", &leaf.code)
                                .arg("first_column", first),
                        );
                    } else {
                        columns.push((i, leaf));
                    }
                }
                Err(e) => self.err(
                    t.header_row,
                    h,
                    Problem::new(codes::COLUMN_NOT_LEAF)
                        .arg("column", h)
                        .because(e),
                ),
            }
        }
        let mut rows_of: HashMap<UnitCode, usize> = HashMap::new();
        for row in &t.rows {
            let Some(unit) = self.unit(row, unit_col) else {
                continue;
            };
            if let Some(first) = rows_of.get(&unit) {
                let first = *first;
                self.err(
                    row.number,
                    &t.headers[unit_col],
                    Problem::new(codes::UNIT_TWICE)
                        .arg("unit", &unit)
                        .arg("first_row", first),
                );
                continue;
            }
            rows_of.insert(unit.clone(), row.number);
            self.unit_slot(&unit);
            for (col, leaf) in &columns {
                let raw = row.get(*col);
                if !raw.is_empty() {
                    self.value(row.number, &t.headers[*col], &unit, leaf, raw, None);
                }
            }
        }
    }
}

/// True when a value and its note read as one number split by an unquoted decimal comma
/// (`1` and `74` from `1,74`): a whole number followed by a note of digits only. Real notes
/// name a document, so a bare number there is a split value far more often than a note.
fn split_decimal(value: &str, note: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(value.strip_prefix('-').unwrap_or(value)) && digits(note)
}
