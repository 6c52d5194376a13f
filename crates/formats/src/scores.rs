//! Score files: each unit's raw input per leaf criterion, in the long shape
//! (`unit,criterion,value[,note]`, one value per row) or the wide shape (`unit` then one column
//! per criterion code). Every value is parsed with its leaf's method and test-scored, so a value
//! above the maximum, off the step or with a numerator above its denominator is reported with
//! its row and column at import time, not later during computation.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chiso_domain::fmt::vi_date;
use chiso_domain::{IndexSet, Node, NodeCode, RawValue, UnitCode, UnitInput};

use crate::codes;
use crate::error::{ExportError, ImportError, ImportErrors, Problem, id_problem, input_problem};
use crate::params::plain;
use crate::table::{
    FileFormat, Table, TableRow, XlsxBook, csv_table, format_or_error, header_key,
    is_ignored_header, read_path,
};
use crate::units::UnitsFile;

/// Which layout a score file used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreShape {
    /// `unit,criterion,value[,note]`.
    Long,
    /// `unit,<code>,<code>,…`.
    Wide,
}

/// One unit's values, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitScores {
    pub unit: UnitCode,
    pub values: Vec<(NodeCode, RawValue)>,
    /// Notes written next to values (long shape), e.g. the document a score relies on.
    pub notes: Vec<(NodeCode, String)>,
}

/// The content of a score file, units in order of first appearance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoresFile {
    pub shape: ScoreShape,
    pub units: Vec<UnitScores>,
}

impl ScoresFile {
    /// Every value as `(unit, criterion, value)`.
    pub fn into_values(self) -> Vec<(UnitCode, NodeCode, RawValue)> {
        self.units
            .into_iter()
            .flat_map(|u| {
                let unit = u.unit;
                u.values.into_iter().map(move |(n, v)| (unit.clone(), n, v))
            })
            .collect()
    }

    /// The computation inputs of every unit with a group in `units` (in the unit list's
    /// order): units without scores take part with no values, as in a period where a unit
    /// sent nothing.
    pub fn unit_inputs(&self, units: &UnitsFile) -> Vec<UnitInput> {
        let values: HashMap<&UnitCode, &UnitScores> =
            self.units.iter().map(|u| (&u.unit, u)).collect();
        let names: HashMap<&UnitCode, &str> = units
            .units
            .iter()
            .map(|u| (&u.code, u.name.as_str()))
            .collect();
        units
            .memberships
            .iter()
            .map(|m| UnitInput {
                unit: m.unit.clone(),
                name: names
                    .get(&m.unit)
                    .map(|n| (*n).to_owned())
                    .unwrap_or_default(),
                group: m.group.clone(),
                ranked: m.ranked,
                values: values
                    .get(&m.unit)
                    .map(|s| s.values.clone())
                    .unwrap_or_default(),
            })
            .collect()
    }
}

/// Reads a score file (`.csv` or `.xlsx`) against `set`; when `known_units` is given, unit
/// codes outside it are errors.
pub fn read_scores(
    path: &Path,
    set: &IndexSet,
    known_units: Option<&[UnitCode]>,
) -> Result<ScoresFile, ImportErrors> {
    let (name, bytes) = read_path(path)?;
    read_scores_bytes(&name, &bytes, set, known_units)
}

/// Reads an uploaded score file; see [`read_scores`].
pub fn read_scores_bytes(
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

const UNIT: &[&str] = &["unit", "đơn vị", "mã đơn vị"];
const CRITERION: &[&str] = &["criterion", "tiêu chí", "mã tiêu chí"];
const VALUE: &[&str] = &["value", "giá trị"];
const NOTE: &[&str] = &["note", "ghi chú"];
const NAME: &[&str] = &["name", "tên", "tên đơn vị"];

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

/// The text of a raw value as [`chiso_domain::Method::parse_input`] reads it back.
pub fn raw_value_text(v: &RawValue) -> String {
    match v {
        RawValue::Yes => "có".to_owned(),
        RawValue::No => "không".to_owned(),
        RawValue::NotApplicable => "không phát sinh".to_owned(),
        RawValue::Count(d) | RawValue::Points(d) => plain(*d),
        RawValue::Ratio { num, den } => format!("{}/{}", plain(*num), plain(*den)),
        RawValue::Percent(p) => format!("{}%", plain(*p)),
        RawValue::Grade(g) => g.to_string(),
        RawValue::Date(d) => vi_date(*d),
    }
}

/// The long-shape CSV text of every unit's values.
pub fn scores_long_csv(inputs: &[UnitInput]) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record(["unit", "criterion", "value"]);
    for u in inputs {
        for (code, v) in &u.values {
            let _ = w.write_record([u.unit.as_str(), code.as_str(), &raw_value_text(v)]);
        }
    }
    w.into_inner()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// Writes [`scores_long_csv`] to `path`.
pub fn write_scores_long_csv(path: &Path, inputs: &[UnitInput]) -> Result<(), ExportError> {
    std::fs::write(path, scores_long_csv(inputs)).map_err(|source| ExportError::Io {
        path: path.display().to_string(),
        source,
    })
}
