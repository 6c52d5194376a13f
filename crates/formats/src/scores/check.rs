//! The checks of a score file's rows, whatever the file type: the header names the shape
//! (long or wide) and the columns, then every row's unit, criterion and value are checked
//! against the unit list and the index set, and each value that passes is handed to a
//! [`Sink`] in file order.
//!
//! Rows are read once and forgotten. What is kept is what finds duplicates: unit codes and
//! leaves interned to small numbers, and the first row of each (unit, leaf) pair, in a dense
//! table when the unit list is known (4 bytes a pair) and in a hash map sized up front
//! otherwise. A national file of half a million values costs a few megabytes here.

use chiso_domain::{IdError, IndexSet, Node, NodeCode, RawValue, UnitCode};

use super::{CRITERION, NAME, NOTE, ScoreShape, UNIT, VALUE};
use crate::codes;
use crate::error::{ImportError, ImportErrors, Problem, id_problem, input_problem};
use crate::table::{column_letter, header_key, is_ignored_header};

/// Maps keyed by what a file says, hashed with a per-process random key (files are untrusted:
/// no crafted collisions) and a fast function (one lookup per cell).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Largest dense duplicate table (known units × leaves), in pairs: 16 Mi pairs are 64 MiB,
/// forty thousand units of a national period with four hundred leaves. Its size follows the
/// period, not the file; a longer unit list uses the hash map, whose size follows the file.
const MAX_DENSE_PAIRS: usize = 16 << 20;

/// Most entries reserved up front for the duplicate map, whatever the file announces.
const MAX_RESERVED_PAIRS: usize = 1 << 21;

/// The cells of one row, trimmed; an absent cell reads as empty.
pub(super) trait Cells {
    fn cell(&self, i: usize) -> &str;
    fn width(&self) -> usize;
    fn is_blank(&self) -> bool {
        (0..self.width()).all(|i| self.cell(i).is_empty())
    }
}

impl Cells for csv::StringRecord {
    fn cell(&self, i: usize) -> &str {
        self.get(i).map_or("", str::trim)
    }
    fn width(&self) -> usize {
        self.len()
    }
}

impl Cells for crate::table::TableRow {
    fn cell(&self, i: usize) -> &str {
        self.get(i)
    }
    fn width(&self) -> usize {
        self.cells.len()
    }
}

/// Where checked values go. `unit` is the unit's interned number (dense, from 0), so a sink
/// can keep per-unit state in a vector.
pub(super) trait Sink {
    /// A unit takes part in the file (a wide row, or a long row with a value or a note).
    fn unit(&mut self, _id: u32, _unit: &UnitCode) {}
    /// A checked value, with its note when the row has one.
    fn value(&mut self, id: u32, unit: &UnitCode, leaf: &NodeCode, value: RawValue, note: &str);
    /// A note written on a row without a value.
    fn note(&mut self, _id: u32, _unit: &UnitCode, _leaf: &NodeCode, _note: &str) {}
}

/// The columns of the file, once the header is read.
enum Layout<'a> {
    /// No header read yet.
    Unread,
    /// A required column is missing: no row is checked, nor any stray cell.
    Fatal,
    /// A required column is missing: no row is checked, stray cells still are.
    Broken,
    Long {
        unit: usize,
        criterion: usize,
        value: usize,
        note: Option<usize>,
    },
    Wide {
        unit: usize,
        /// Value columns and their leaves.
        columns: Vec<(usize, u32, &'a Node)>,
        /// Columns without a header, and whether a row has a value in one (which makes the
        /// column an error: nothing typed is silently dropped).
        blank: Vec<(usize, bool)>,
        /// The row of each unit, to refuse a unit given twice (0: not yet).
        rows: Vec<u32>,
    },
}

/// The first row of each (unit, leaf) value.
enum Seen {
    /// `rows[unit * leaves + leaf]`, 0 when not yet seen.
    Dense {
        rows: Vec<u32>,
        leaves: usize,
    },
    Map(HashMap<(u32, u32), u32>),
}

impl Seen {
    /// The first row of `(unit, leaf)`, or records `row` as it.
    fn first_or_insert(&mut self, unit: u32, leaf: u32, row: u32) -> Option<u32> {
        match self {
            Seen::Dense { rows, leaves } => {
                let slot = &mut rows[unit as usize * *leaves + leaf as usize];
                if *slot != 0 {
                    return Some(*slot);
                }
                *slot = row;
                None
            }
            Seen::Map(map) => match map.entry((unit, leaf)) {
                std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(row);
                    None
                }
            },
        }
    }
}

/// The checks of one file.
pub(super) struct Check<'a> {
    file: &'a str,
    /// The delimiter of a CSV file, `None` for a sheet: an unquoted decimal comma splits a
    /// number in a comma-delimited file, which messages then name as the cause.
    delimiter: Option<u8>,
    /// Each leaf with its number (its position among the set's leaves).
    leaves: HashMap<&'a str, (u32, &'a Node)>,
    inner: HashMap<&'a str, ()>,
    /// Interned unit codes: number → code.
    units: Vec<UnitCode>,
    unit_ids: HashMap<Box<str>, u32>,
    /// True when the unit list is known: other codes are errors, not new units.
    closed: bool,
    seen: Seen,
    layout: Layout<'a>,
    headers: Vec<String>,
    header_row: usize,
    /// Problems of the header, with their column, reported first in column order.
    head: Vec<(usize, ImportError)>,
    /// Problems of the rows, in file order.
    errors: ImportErrors,
    /// Cells below no header, reported last.
    stray: ImportErrors,
    shape: ScoreShape,
}

impl<'a> Check<'a> {
    /// Checks against `set` and, when given, the unit list; `expected_values` sizes the
    /// duplicate map (a guess from the file size is enough).
    pub fn new(
        file: &'a str,
        set: &'a IndexSet,
        known: Option<&[UnitCode]>,
        expected_values: usize,
    ) -> Self {
        let mut leaves = HashMap::default();
        let mut inner = HashMap::default();
        for n in set.nodes.iter().flat_map(Node::walk) {
            if n.is_leaf() {
                let id = leaves.len() as u32;
                leaves.entry(n.code.as_str()).or_insert((id, n));
            } else {
                inner.insert(n.code.as_str(), ());
            }
        }
        let mut units = Vec::new();
        let mut unit_ids = HashMap::default();
        for u in known.unwrap_or_default() {
            if !unit_ids.contains_key(u.as_str()) {
                unit_ids.insert(Box::from(u.as_str()), units.len() as u32);
                units.push(u.clone());
            }
        }
        let pairs = units.len().saturating_mul(leaves.len());
        let seen = if known.is_some() && pairs <= MAX_DENSE_PAIRS {
            Seen::Dense {
                rows: vec![0; pairs],
                leaves: leaves.len(),
            }
        } else {
            let reserve = expected_values.min(MAX_RESERVED_PAIRS);
            Seen::Map(HashMap::with_capacity_and_hasher(
                reserve,
                Default::default(),
            ))
        };
        Check {
            file,
            delimiter: None,
            leaves,
            inner,
            units,
            unit_ids,
            closed: known.is_some(),
            seen,
            layout: Layout::Unread,
            headers: Vec::new(),
            header_row: 0,
            head: Vec::new(),
            errors: ImportErrors::default(),
            stray: ImportErrors::default(),
            shape: ScoreShape::Long,
        }
    }

    /// Sets the delimiter of a CSV file.
    pub fn delimiter(&mut self, delimiter: u8) {
        self.delimiter = Some(delimiter);
    }

    /// True once a header has been read.
    pub fn has_header(&self) -> bool {
        !matches!(self.layout, Layout::Unread)
    }

    /// True when nothing is wrong so far, so values may still be handed over.
    fn clean(&self) -> bool {
        self.head.is_empty() && self.errors.is_empty() && self.stray.is_empty()
    }

    fn err(&mut self, row: usize, column: &str, problem: Problem) {
        self.errors
            .push(ImportError::cell(self.file, row, column, problem));
    }

    fn head_err(&mut self, col: usize, problem: Problem) {
        let column = self.headers.get(col).map_or("", String::as_str);
        let e = ImportError::cell(self.file, self.header_row, column, problem);
        self.head.push((col, e));
    }

    /// Reads the header row: its trimmed cells, trailing empty ones dropped.
    pub fn header(&mut self, row: usize, cells: &impl Cells) {
        let mut headers: Vec<String> = (0..cells.width())
            .map(|i| cells.cell(i).to_owned())
            .collect();
        while headers.last().is_some_and(String::is_empty) {
            headers.pop();
        }
        self.headers = headers;
        self.header_row = row;
        let column = |names: &[&str]| {
            self.headers.iter().position(|h| {
                let h = header_key(h);
                names.iter().any(|n| header_key(n) == h)
            })
        };
        let Some(unit) = column(UNIT) else {
            self.layout = Layout::Fatal;
            let e = ImportError::cell(
                self.file,
                row,
                "unit",
                Problem::new(codes::SCORES_UNIT_COLUMN_MISSING),
            );
            self.head.push((0, e));
            return;
        };
        let (criterion, value, note) = (column(CRITERION), column(VALUE), column(NOTE));
        let missing =
            |name: &str, code| ImportError::cell(self.file, row, name, Problem::new(code));
        match (criterion, value) {
            (Some(criterion), Some(value)) => self.long_header(unit, criterion, value, note),
            (Some(_), None) => {
                let e = missing("value", codes::SCORES_VALUE_COLUMN_MISSING);
                self.head.push((0, e));
                self.layout = Layout::Broken;
            }
            (None, Some(_)) => {
                let e = missing("criterion", codes::SCORES_CRITERION_COLUMN_MISSING);
                self.head.push((0, e));
                self.layout = Layout::Broken;
            }
            (None, None) => self.wide_header(unit),
        }
    }

    fn long_header(&mut self, unit: usize, criterion: usize, value: usize, note: Option<usize>) {
        self.shape = ScoreShape::Long;
        for i in 0..self.headers.len() {
            let h = &self.headers[i];
            if ![Some(unit), Some(criterion), Some(value), note].contains(&Some(i))
                && !is_ignored_header(h)
                && !NAME.iter().any(|n| header_key(n) == header_key(h))
            {
                let problem = Problem::new(codes::COLUMN_UNSUPPORTED)
                    .arg("column", h)
                    .arg("accepted", "unit, criterion, value, note");
                self.head_err(i, problem);
            }
        }
        self.layout = Layout::Long {
            unit,
            criterion,
            value,
            note,
        };
    }

    fn wide_header(&mut self, unit: usize) {
        self.shape = ScoreShape::Wide;
        let mut columns: Vec<(usize, u32, &'a Node)> = Vec::new();
        let mut blank = Vec::new();
        for i in 0..self.headers.len() {
            let h = &self.headers[i];
            if i == unit
                || is_ignored_header(h)
                || NAME.iter().any(|n| header_key(n) == header_key(h))
            {
                continue;
            }
            if h.is_empty() {
                // Skipped when no row has a value in it, which only the end of the file tells.
                blank.push((i, false));
                continue;
            }
            match self.leaf(h) {
                Ok((id, leaf)) => {
                    if let Some((first, ..)) = columns.iter().find(|(_, l, _)| *l == id) {
                        let problem = Problem::new(codes::CRITERION_TWO_COLUMNS)
                            .arg("criterion", &leaf.code)
                            .arg("first_column", column_letter(*first));
                        self.head_err(i, problem);
                    } else {
                        columns.push((i, id, leaf));
                    }
                }
                Err(e) => {
                    let problem = Problem::new(codes::COLUMN_NOT_LEAF)
                        .arg("column", h)
                        .because(e);
                    self.head_err(i, problem);
                }
            }
        }
        self.layout = Layout::Wide {
            unit,
            columns,
            blank,
            rows: Vec::new(),
        };
    }

    /// The leaf of a criterion code, or the problem saying why it is not one.
    fn leaf(&self, raw: &str) -> Result<(u32, &'a Node), Problem> {
        if let Some(n) = self.leaves.get(raw) {
            return Ok(*n);
        }
        let code = NodeCode::parse(raw)
            .map_err(|e| Problem::new(codes::CRITERION_CODE_INVALID).because(id_problem(&e)))?;
        if let Some(n) = self.leaves.get(code.as_str()) {
            return Ok(*n);
        }
        if self.inner.contains_key(code.as_str()) {
            return Err(Problem::new(codes::CRITERION_NOT_LEAF).arg("criterion", &code));
        }
        Err(Problem::new(codes::CRITERION_UNKNOWN).arg("criterion", &code))
    }

    /// The number of the unit a row names, checked against the unit list.
    fn unit(&mut self, row: usize, col: usize, raw: &str) -> Option<u32> {
        if let Some(id) = self.unit_ids.get(raw) {
            return Some(*id);
        }
        let header = col;
        match UnitCode::parse(raw) {
            Ok(u) => {
                if self.closed {
                    let problem = Problem::new(codes::UNIT_UNKNOWN).arg("unit", &u);
                    self.err(row, &self.headers[header].clone(), problem);
                    return None;
                }
                let id = self.units.len() as u32;
                self.unit_ids.insert(Box::from(u.as_str()), id);
                self.units.push(u);
                if let Layout::Wide { rows, .. } = &mut self.layout {
                    rows.push(0);
                }
                Some(id)
            }
            Err(IdError::Empty) => {
                let column = self.headers[header].clone();
                self.err(row, &column, Problem::new(codes::UNIT_CODE_MISSING));
                None
            }
            Err(e) => {
                let column = self.headers[header].clone();
                let problem = Problem::new(codes::UNIT_CODE_INVALID).because(id_problem(&e));
                self.err(row, &column, problem);
                None
            }
        }
    }

    /// Checks one data row (not blank).
    pub fn row(&mut self, row: usize, cells: &impl Cells, sink: &mut impl Sink) {
        match &self.layout {
            Layout::Long {
                unit,
                criterion,
                value,
                note,
            } => {
                let (u, c, v, n) = (*unit, *criterion, *value, *note);
                self.long_row(row, cells, (u, c, v, n), sink);
            }
            Layout::Wide { .. } => self.wide_row(row, cells, sink),
            Layout::Broken => {}
            Layout::Fatal | Layout::Unread => return,
        }
        self.stray_cells(row, cells);
    }

    fn long_row(
        &mut self,
        row: usize,
        cells: &impl Cells,
        (unit_col, crit_col, value_col, note_col): (usize, usize, usize, Option<usize>),
        sink: &mut impl Sink,
    ) {
        let unit = self.unit(row, unit_col, cells.cell(unit_col));
        let leaf = match self.leaf(cells.cell(crit_col)) {
            Ok(l) => Some(l),
            Err(e) => {
                let column = self.headers[crit_col].clone();
                self.err(row, &column, e);
                None
            }
        };
        let raw = cells.cell(value_col);
        let note = note_col.map(|c| cells.cell(c));
        if self.delimiter == Some(b',')
            && let Some(n) = note
            && split_decimal(raw, n)
        {
            let column = self.headers[value_col].clone();
            let problem = Problem::new(codes::VALUE_SPLIT_BY_COMMA)
                .arg("value", raw)
                .arg("note", n);
            self.err(row, &column, problem);
            return;
        }
        let (Some(unit), Some(leaf)) = (unit, leaf) else {
            return;
        };
        if raw.is_empty() {
            // A note without a value is kept; the leaf simply has no input.
            if let Some(n) = note.filter(|n| !n.is_empty())
                && self.clean()
            {
                let code = &self.units[unit as usize];
                sink.unit(unit, code);
                sink.note(unit, code, &leaf.1.code, n);
            }
            return;
        }
        let note = note.unwrap_or("");
        self.value((row, value_col), (unit, leaf.0), leaf.1, raw, note, sink);
    }

    fn wide_row(&mut self, row: usize, cells: &impl Cells, sink: &mut impl Sink) {
        let Layout::Wide { unit: unit_col, .. } = self.layout else {
            return;
        };
        if let Layout::Wide { blank, .. } = &mut self.layout {
            for (col, has_value) in blank.iter_mut() {
                *has_value |= !cells.cell(*col).is_empty();
            }
        }
        let Some(unit) = self.unit(row, unit_col, cells.cell(unit_col)) else {
            return;
        };
        let Layout::Wide { rows, columns, .. } = &mut self.layout else {
            return;
        };
        if rows.len() <= unit as usize {
            rows.resize(unit as usize + 1, 0);
        }
        let first = rows[unit as usize];
        if first != 0 {
            let column = self.headers[unit_col].clone();
            let problem = Problem::new(codes::UNIT_TWICE)
                .arg("unit", &self.units[unit as usize])
                .arg("first_row", first);
            self.err(row, &column, problem);
            return;
        }
        rows[unit as usize] = row as u32;
        // The columns are few (one per leaf) and copied once per row: cheaper than holding
        // the layout borrowed while values are checked.
        let columns = columns.clone();
        if self.clean() {
            sink.unit(unit, &self.units[unit as usize]);
        }
        for (col, leaf_id, leaf) in columns {
            let raw = cells.cell(col);
            if !raw.is_empty() {
                self.value((row, col), (unit, leaf_id), leaf, raw, "", sink);
            }
        }
    }

    /// Parses and test-scores one value; hands it over unless something is wrong.
    fn value(
        &mut self,
        (row, col): (usize, usize),
        (unit, leaf_id): (u32, u32),
        leaf: &'a Node,
        raw: &str,
        note: &str,
        sink: &mut impl Sink,
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
                let column = self.headers[col].clone();
                let problem = Problem::new(codes::CRITERION)
                    .arg("criterion", &leaf.code)
                    .because(input_problem(&e));
                self.err(row, &column, problem);
                return;
            }
        };
        if let Some(first) = self.seen.first_or_insert(unit, leaf_id, row as u32) {
            let column = self.headers[col].clone();
            let problem = Problem::new(codes::VALUE_TWICE)
                .arg("unit", &self.units[unit as usize])
                .arg("criterion", &leaf.code)
                .arg("first_row", first);
            self.err(row, &column, problem);
            return;
        }
        if self.clean() {
            let code = &self.units[unit as usize];
            sink.unit(unit, code);
            sink.value(unit, code, &leaf.code, value, note);
        }
    }

    /// Errors for cells that hold data below no header, so nothing typed is silently lost
    /// (see `Table::stray_cells`, whose messages these are).
    fn stray_cells(&mut self, row: usize, cells: &impl Cells) {
        let width = self.headers.len();
        if cells.width() <= width {
            return;
        }
        let Some(first) = (width..cells.width()).find(|&i| !cells.cell(i).is_empty()) else {
            return;
        };
        if self.delimiter == Some(b',') {
            let values: Vec<&str> = (first..cells.width())
                .map(|i| cells.cell(i))
                .filter(|c| !c.is_empty())
                .collect();
            let problem = Problem::new(codes::ROW_WIDER_THAN_HEADER)
                .arg("columns", width)
                .arg("values", values.join("\", \""));
            self.stray.push(ImportError::cell(
                self.file,
                row,
                &column_letter(first),
                problem,
            ));
            return;
        }
        for col in first..cells.width() {
            let cell = cells.cell(col);
            if !cell.is_empty() {
                let problem = Problem::new(codes::CELL_WITHOUT_HEADER).arg("value", cell);
                self.stray.push(ImportError::cell(
                    self.file,
                    row,
                    &column_letter(col),
                    problem,
                ));
            }
        }
    }

    /// The shape, or every problem found: the header's first (in column order), then the
    /// rows' (in file order), then cells below no header.
    pub fn finish(mut self) -> Result<ScoreShape, ImportErrors> {
        if let Layout::Wide { blank, .. } = &self.layout {
            let used: Vec<usize> = blank.iter().filter(|(_, v)| *v).map(|(c, _)| *c).collect();
            for col in used {
                let problem = match self.leaf("") {
                    Ok(_) => continue,
                    Err(e) => Problem::new(codes::COLUMN_NOT_LEAF)
                        .arg("column", "")
                        .because(e),
                };
                self.head_err(col, problem);
            }
        }
        let fatal = matches!(self.layout, Layout::Fatal);
        self.head.sort_by_key(|(col, _)| *col);
        let mut all = ImportErrors::default();
        for (_, e) in self.head {
            all.push(e);
        }
        if !fatal {
            for e in self.errors.0.into_iter().chain(self.stray.0) {
                all.push(e);
            }
        }
        all.into_result(self.shape)
    }
}

/// True when a value and its note read as one number split by an unquoted decimal comma
/// (`1` and `74` from `1,74`): a whole number followed by a note of digits only. Real notes
/// name a document, so a bare number there is a split value far more often than a note.
fn split_decimal(value: &str, note: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(value.strip_prefix('-').unwrap_or(value)) && digits(note)
}
