//! Score files: each unit's raw input per leaf criterion, in the long shape
//! (`unit,criterion,value[,note]`, one value per row) or the wide shape (`unit` then one column
//! per criterion code). Every value is parsed with its leaf's method and test-scored, so a value
//! above the maximum, off the step or with a numerator above its denominator is reported with
//! its row and column at import time, not later during computation.
//!
//! A CSV file is streamed ([`stream_scores`]): each record is checked in a reused buffer and
//! its value handed over before the next is read, so the national file (half a million
//! values) is read in a few megabytes besides the values kept. An XLSX file is read whole
//! through the spreadsheet reader. Both go through the same checks (`check`).

mod check;
#[cfg(test)]
mod reference;
mod stream;

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use chiso_domain::fmt::vi_date;
use chiso_domain::{IndexSet, NodeCode, RawValue, UnitCode, UnitInput};

use crate::codes;
use crate::error::{ExportError, ImportError, ImportErrors, Problem};
use crate::limits::{MAX_FILE_BYTES, StreamBounds};
use crate::params::plain;
use crate::table::{FileFormat, XlsxBook, format_or_error};
use crate::units::UnitsFile;
use check::{Cells, Check, Sink};

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
/// codes outside it are errors. A CSV file is streamed (see [`stream_scores`]).
pub fn read_scores(
    path: &Path,
    set: &IndexSet,
    known_units: Option<&[UnitCode]>,
) -> Result<ScoresFile, ImportErrors> {
    let mut collect = Collect::default();
    let shape = read_path_into(
        path,
        StreamBounds::WHOLE,
        set,
        known_units,
        None,
        &mut collect,
    )?;
    Ok(collect.into_file(shape))
}

/// Reads an uploaded score file; see [`read_scores`].
pub fn read_scores_bytes(
    file_name: &str,
    bytes: &[u8],
    set: &IndexSet,
    known_units: Option<&[UnitCode]>,
) -> Result<ScoresFile, ImportErrors> {
    let mut collect = Collect::default();
    let shape = read_into(
        file_name,
        bytes,
        Some(bytes.len() as u64),
        StreamBounds::WHOLE,
        set,
        known_units,
        &mut collect,
    )?;
    Ok(collect.into_file(shape))
}

/// One checked value of a score file, as [`stream_scores`] hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreRecord<'a> {
    pub unit: &'a UnitCode,
    /// The leaf criterion.
    pub node: &'a NodeCode,
    pub value: RawValue,
    /// The note written next to the value (long shape), when there is one.
    pub note: Option<&'a str>,
}

/// Reads a score file (CSV streamed from `source`; XLSX read whole) against `set`, calling
/// `each` with every checked value in file order. Errors (row and column named) are collected
/// up to [`crate::limits::MAX_REPORTED_ERRORS`] and returned at the end; values are handed
/// over only until the first problem is found, and when there is any the caller must discard
/// what it received. Notes written on rows without a value are not handed over.
///
/// A CSV file costs memory independent of its size but for what finds duplicates: 4 bytes
/// per (unit, leaf) of a known unit list, or about 16 bytes per value without one. The file
/// may hold at most [`crate::limits::MAX_FILE_BYTES`].
pub fn stream_scores<R: Read>(
    file_name: &str,
    source: R,
    set: &IndexSet,
    known_units: Option<&[UnitCode]>,
    each: impl FnMut(ScoreRecord<'_>),
) -> Result<ScoreShape, ImportErrors> {
    read_into(
        file_name,
        source,
        None,
        StreamBounds::WHOLE,
        set,
        known_units,
        &mut Each(each),
    )
}

/// [`stream_scores`] of the file at `path` on the local disk: a CSV file is streamed within
/// [`StreamBounds::LOCAL_FILE`] (a file of several million rows is read in the memory of a
/// small one); an XLSX file is read whole within the usual bounds. The bytes read so far are
/// added to `bytes_read` as the file is read, for another thread to show progress.
pub fn stream_scores_path(
    path: &Path,
    set: &IndexSet,
    known_units: Option<&[UnitCode]>,
    bytes_read: &AtomicU64,
    each: impl FnMut(ScoreRecord<'_>),
) -> Result<ScoreShape, ImportErrors> {
    read_path_into(
        path,
        StreamBounds::LOCAL_FILE,
        set,
        known_units,
        Some(bytes_read),
        &mut Each(each),
    )
}

/// A file whose bytes read so far are published in a counter another thread may read.
struct Tallied<'a, R> {
    inner: R,
    read: Option<&'a AtomicU64>,
}

impl<R: Read> Read for Tallied<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(read) = self.read {
            read.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// Reads the score file at `path` straight into the computation inputs of every unit with a
/// group in `units`, as [`ScoresFile::unit_inputs`] gives them, without holding the file or
/// its values twice: the national file of half a million values is read in a few tens of
/// megabytes.
pub fn read_unit_inputs(
    path: &Path,
    set: &IndexSet,
    units: &UnitsFile,
) -> Result<(ScoreShape, Vec<UnitInput>), ImportErrors> {
    let known: Vec<UnitCode> = units.units.iter().map(|u| u.code.clone()).collect();
    let mut inputs = Inputs::new(units);
    let shape = read_path_into(
        path,
        StreamBounds::WHOLE,
        set,
        Some(&known),
        None,
        &mut inputs,
    )?;
    Ok((shape, inputs.inputs))
}

/// Opens `path` and reads it into `sink`; a CSV file is streamed from the disk.
fn read_path_into(
    path: &Path,
    bounds: StreamBounds,
    set: &IndexSet,
    known_units: Option<&[UnitCode]>,
    bytes_read: Option<&AtomicU64>,
    sink: &mut impl Sink,
) -> Result<ScoreShape, ImportErrors> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let unreadable = |e: std::io::Error| -> ImportErrors {
        ImportError::file(&name, Problem::new(codes::FILE_UNREADABLE).arg("error", e)).into()
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let len = file.metadata().map_err(unreadable)?.len();
    let file = Tallied {
        inner: file,
        read: bytes_read,
    };
    read_into(&name, file, Some(len), bounds, set, known_units, sink)
}

/// Reads a score file of `len` bytes (when known) from `source` into `sink`; a CSV file within
/// `bounds`, an XLSX file within the bounds of a file read whole.
fn read_into(
    file_name: &str,
    source: impl Read,
    len: Option<u64>,
    bounds: StreamBounds,
    set: &IndexSet,
    known_units: Option<&[UnitCode]>,
    sink: &mut impl Sink,
) -> Result<ScoreShape, ImportErrors> {
    let format = format_or_error(file_name, 0, &[FileFormat::Csv, FileFormat::Xlsx])?;
    // A file known to be too large is refused before a byte of it is read.
    match (format, len) {
        (FileFormat::Csv, Some(l)) if l > bounds.bytes => {
            return Err(stream::too_large(file_name, l, bounds.bytes));
        }
        (FileFormat::Xlsx, Some(l)) => {
            format_or_error(
                file_name,
                usize::try_from(l).unwrap_or(usize::MAX),
                &[FileFormat::Xlsx],
            )?;
        }
        _ => {}
    }
    // A long row is about 20 bytes: enough to size the duplicate map from the file's size.
    let expected = len.map_or(1 << 16, |l| usize::try_from(l / 16).unwrap_or(usize::MAX));
    let mut check = Check::new(file_name, set, known_units, expected);
    if format == FileFormat::Csv {
        stream::read_csv(file_name, source, bounds, &mut check, sink)?;
        return check.finish();
    }
    let mut bytes = Vec::new();
    source
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            ImportErrors::from(ImportError::file(
                file_name,
                Problem::new(codes::FILE_UNREADABLE).arg("error", e),
            ))
        })?;
    format_or_error(file_name, bytes.len(), &[FileFormat::Xlsx])?;
    let table = XlsxBook::open(file_name, &bytes)?.first_table()?.1;
    drop(bytes);
    check.header(table.header_row, &Headers(&table.headers));
    for row in &table.rows {
        check.row(row.number, row, sink);
    }
    check.finish()
}

/// A header row already split into cells.
struct Headers<'a>(&'a [String]);

impl Cells for Headers<'_> {
    fn cell(&self, i: usize) -> &str {
        self.0.get(i).map_or("", String::as_str)
    }
    fn width(&self) -> usize {
        self.0.len()
    }
}

/// Gathers a [`ScoresFile`]: units in order of first appearance.
#[derive(Default)]
struct Collect {
    /// The place in `units` of each unit number, `u32::MAX` when not there yet.
    slots: Vec<u32>,
    units: Vec<UnitScores>,
}

impl Collect {
    fn into_file(self, shape: ScoreShape) -> ScoresFile {
        ScoresFile {
            shape,
            units: self.units,
        }
    }

    fn slot(&mut self, id: u32) -> &mut UnitScores {
        &mut self.units[self.slots[id as usize] as usize]
    }
}

impl Sink for Collect {
    fn unit(&mut self, id: u32, unit: &UnitCode) {
        let id = id as usize;
        if self.slots.len() <= id {
            self.slots.resize(id + 1, u32::MAX);
        }
        if self.slots[id] == u32::MAX {
            self.slots[id] = self.units.len() as u32;
            self.units.push(UnitScores {
                unit: unit.clone(),
                values: Vec::new(),
                notes: Vec::new(),
            });
        }
    }

    fn value(&mut self, id: u32, _: &UnitCode, leaf: &NodeCode, value: RawValue, note: &str) {
        let u = self.slot(id);
        u.values.push((leaf.clone(), value));
        if !note.is_empty() {
            u.notes.push((leaf.clone(), note.to_owned()));
        }
    }

    fn note(&mut self, id: u32, _: &UnitCode, leaf: &NodeCode, note: &str) {
        self.slot(id).notes.push((leaf.clone(), note.to_owned()));
    }
}

/// Hands every value to a closure.
struct Each<F>(F);

impl<F: FnMut(ScoreRecord<'_>)> Sink for Each<F> {
    fn value(&mut self, _: u32, unit: &UnitCode, node: &NodeCode, value: RawValue, note: &str) {
        (self.0)(ScoreRecord {
            unit,
            node,
            value,
            note: (!note.is_empty()).then_some(note),
        });
    }
}

/// Puts values straight into the computation inputs of the units that have a group.
struct Inputs<'u> {
    inputs: Vec<UnitInput>,
    /// The inputs of each unit code (a unit has one group a period; the list keeps the
    /// reader exact if a file gives it more).
    by_code: HashMap<&'u UnitCode, Vec<usize>>,
    /// The inputs of each unit number, found on the unit's first value.
    by_id: Vec<Option<Vec<usize>>>,
}

impl<'u> Inputs<'u> {
    fn new(units: &'u UnitsFile) -> Self {
        let names: HashMap<&UnitCode, &str> = units
            .units
            .iter()
            .map(|u| (&u.code, u.name.as_str()))
            .collect();
        let mut by_code: HashMap<&UnitCode, Vec<usize>> = HashMap::new();
        let inputs = units
            .memberships
            .iter()
            .enumerate()
            .map(|(i, m)| {
                by_code.entry(&m.unit).or_default().push(i);
                UnitInput {
                    unit: m.unit.clone(),
                    name: names
                        .get(&m.unit)
                        .map(|n| (*n).to_owned())
                        .unwrap_or_default(),
                    group: m.group.clone(),
                    ranked: m.ranked,
                    values: Vec::new(),
                }
            })
            .collect();
        Inputs {
            inputs,
            by_code,
            by_id: Vec::new(),
        }
    }
}

impl Sink for Inputs<'_> {
    fn unit(&mut self, id: u32, unit: &UnitCode) {
        let id = id as usize;
        if self.by_id.len() <= id {
            self.by_id.resize(id + 1, None);
        }
        if self.by_id[id].is_none() {
            self.by_id[id] = Some(self.by_code.get(unit).cloned().unwrap_or_default());
        }
    }

    fn value(&mut self, id: u32, _: &UnitCode, leaf: &NodeCode, value: RawValue, _: &str) {
        let Some(Some(targets)) = self.by_id.get(id as usize) else {
            return;
        };
        if let [one] = targets.as_slice() {
            self.inputs[*one].values.push((leaf.clone(), value));
            return;
        }
        for &i in targets {
            self.inputs[i].values.push((leaf.clone(), value.clone()));
        }
    }
}

const UNIT: &[&str] = &["unit", "đơn vị", "mã đơn vị"];
const CRITERION: &[&str] = &["criterion", "tiêu chí", "mã tiêu chí"];
const VALUE: &[&str] = &["value", "giá trị"];
const NOTE: &[&str] = &["note", "ghi chú"];
const NAME: &[&str] = &["name", "tên", "tên đơn vị"];

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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn examples() -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples")
    }

    fn set() -> IndexSet {
        crate::read_index_set(&examples().join("index-set-xa.yaml"))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn known() -> Vec<UnitCode> {
        ["XA-AN-BINH", "XA-TAN-LAP", "XA-PHU-MY"]
            .iter()
            .map(|u| UnitCode::parse(u).unwrap())
            .collect()
    }

    /// What a reader gave, comparable across readers: every value, or every error line.
    type Outcome =
        Result<(ScoreShape, Vec<(String, String, RawValue, Option<String>)>), Vec<String>>;

    fn flatten(r: Result<ScoresFile, ImportErrors>) -> Outcome {
        match r {
            Ok(f) => {
                let mut out = Vec::new();
                for u in f.units {
                    for (node, value) in u.values {
                        let note = u
                            .notes
                            .iter()
                            .find(|(n, _)| *n == node)
                            .map(|(_, t)| t.clone());
                        out.push((u.unit.to_string(), node.to_string(), value, note));
                    }
                }
                Ok((f.shape, out))
            }
            Err(e) => Err(e.errors().iter().map(ToString::to_string).collect()),
        }
    }

    fn streamed(name: &str, bytes: &[u8], set: &IndexSet, known: Option<&[UnitCode]>) -> Outcome {
        let mut out = Vec::new();
        let r = stream_scores(name, bytes, set, known, |r| {
            out.push((
                r.unit.to_string(),
                r.node.to_string(),
                r.value,
                r.note.map(str::to_owned),
            ));
        });
        match r {
            Ok(shape) => Ok((shape, out)),
            Err(e) => Err(e.errors().iter().map(ToString::to_string).collect()),
        }
    }

    /// The three readers agree: the table reader of old, the `ScoresFile` reader and the
    /// stream, with and without a unit list.
    fn assert_same(name: &str, bytes: &[u8]) {
        let set = set();
        let known = known();
        for k in [None, Some(known.as_slice())] {
            let reference = flatten(reference::read_table(name, bytes, &set, k));
            let file = read_scores_bytes(name, bytes, &set, k);
            assert_eq!(
                flatten(file.clone()),
                reference,
                "{name} against the table reader:\n{}",
                String::from_utf8_lossy(bytes)
            );
            if let Ok(f) = &file {
                assert_eq!(
                    Ok(f.clone()),
                    reference::read_table(name, bytes, &set, k),
                    "{name}: units, order and notes"
                );
            }
            assert_eq!(streamed(name, bytes, &set, k), reference, "{name} streamed");
        }
    }

    #[test]
    fn the_example_files_read_the_same_streamed_as_through_a_table() {
        for name in ["scores-long.csv", "scores-wide.csv"] {
            let bytes = std::fs::read(examples().join(name)).unwrap();
            assert_same(name, &bytes);
        }
    }

    #[test]
    fn files_with_errors_report_the_same_problems_streamed_as_through_a_table() {
        let files: &[&str] = &[
            "unit,criterion,value\nXA-NOWHERE,1.1.1,có\nXA-AN-BINH,7.7,1\nXA-AN-BINH,1.1,1\n\
             XA-AN-BINH,4.2,\"4,5\"\nXA-AN-BINH,6.2,\"1,1\"\nXA-AN-BINH,1.1.2,48/47\n\
             XA-AN-BINH,1.1.1,có lẽ\nXA-AN-BINH,2.2,1/2\nXA-AN-BINH,2.2,1/2\n\
             XA-AN-BINH,1.1.1,không phát sinh\nXA-AN-BINH,1.2,hôm qua\n",
            "unit,4.2,6.2\nXA-AN-BINH,9,9\nXA-TAN-LAP,x,1\n",
            "unit,1,4.2,xyz\nXA-AN-BINH,1,2,3\n",
            "unit,criterion,value,note\nXA-AN-BINH,1.3,2,\nXA-AN-BINH,1.5,1,74\n",
            "unit,criterion,value\nXA-AN-BINH,1.5,1,74\n",
            "unit,1.5,2.3\nXA-AN-BINH,1,74,1\n",
            "unit;1.5;;2.3\nXA-AN-BINH;1;5;1\n",
            "unit;1.5;;2.3\nXA-AN-BINH;1;;1\nXA-AN-BINH;1;;1\n",
            "# kỳ: 2025\n\n,,\nunit,criterion,value,note\n\nXA-AN-BINH,1.3.,2,ok\nXA-AN-BINH,1.6,,nháp\n",
            "unit,criterion\nXA-AN-BINH,1.3\n",
            "unit,value,x\nXA-AN-BINH,1.3,4\n",
            "criterion,value\n1.3,2\n",
            "unit,criterion,value,extra\nXA-AN-BINH,1.3,2,\u{1}\n",
            "",
            "# only a comment\n",
            "unit\tcriterion\tvalue\nXA-AN-BINH\t1.4\tHoàn thành tốt\n",
            "STT,unit,name,criterion,value\n1,XA-AN-BINH,An Bình,1.3,2\n2,,x,1.3,2\n3,a b,x,1.3,2\n",
        ];
        for (i, f) in files.iter().enumerate() {
            assert_same(&format!("f{i}.csv"), f.as_bytes());
        }
        assert_same("bad.csv", b"unit,criterion,value\nX\xe0,1.4,T\n");
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "unit\tcriterion\tvalue\nXA-AN-BINH\t1.4\tT\n".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        assert_same("u.txt", &utf16);
        utf16.push(0xD8);
        assert_same("u.txt", &utf16);
    }

    #[test]
    fn an_xlsx_file_reads_the_same_as_through_a_table() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        let rows: &[&[&str]] = &[
            &["unit", "4.2", "", "1.1.2", "xyz"],
            &["XA-AN-BINH", "3,75", "", "45/47", ""],
            &["XA-TAN-LAP", "9", "", "1/2", "", "stray"],
            &["XA-AN-BINH", "1", "", "", ""],
        ];
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string(r as u32, c as u16, *v).unwrap();
                }
            }
        }
        assert_same("s.xlsx", &wb.save_to_buffer().unwrap());
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "unit").unwrap();
        ws.write_string(0, 1, "1.3").unwrap();
        ws.write_string(1, 0, "XA-AN-BINH").unwrap();
        ws.write_number(1, 1, 2.0).unwrap();
        assert_same("ok.xlsx", &wb.save_to_buffer().unwrap());
    }

    #[test]
    fn a_file_above_the_size_bound_is_refused_by_its_size_when_streamed() {
        let big = std::io::repeat(b'a').take(MAX_FILE_BYTES as u64 + 10);
        let errs = stream_scores("s.csv", big, &set(), None, |_| {}).expect_err("refused");
        assert_eq!(errs.len(), 1, "{errs}");
        assert!(errs.to_string().contains("32 MiB"), "{errs}");
    }

    #[test]
    fn values_reach_the_computation_inputs_as_the_scores_file_gives_them() {
        let set = set();
        let units = crate::read_units(&examples().join("units.csv")).unwrap();
        let known: Vec<UnitCode> = units.units.iter().map(|u| u.code.clone()).collect();
        let path = examples().join("scores-long.csv");
        let file = read_scores(&path, &set, Some(&known)).unwrap();
        let (shape, inputs) = read_unit_inputs(&path, &set, &units).unwrap();
        assert_eq!(shape, ScoreShape::Long);
        assert_eq!(inputs, file.unit_inputs(&units));
    }

    /// One cell of a generated file, drawn from what real and broken files hold.
    fn unit_cell() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "XA-AN-BINH",
            "XA-TAN-LAP",
            "XA-PHU-MY",
            "XA-NOWHERE",
            "",
            " XA-AN-BINH ",
            "a b",
            "STT",
        ])
        .prop_map(str::to_owned)
    }

    fn criterion_cell() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "1.1.1", "1.1.2", "1.2", "1.3", "1.3.", "1.4", "4.2", "6.2", "8.1", "1.1", "7.7", "",
            "x y", "3.4",
        ])
        .prop_map(str::to_owned)
    }

    fn value_cell() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "có",
            "không",
            "2",
            "1",
            "0",
            "3,75",
            "\"3,75\"",
            "45/47",
            "48/47",
            "T",
            "XS",
            "20/12/2025",
            "hôm qua",
            "không phát sinh",
            "86,5%",
            "-1",
            "",
            "9",
            "1,5",
        ])
        .prop_map(str::to_owned)
    }

    fn note_cell() -> impl Strategy<Value = String> {
        prop::sample::select(vec!["", "", "QĐ 12/2025", "74", "\"a, b\"", "\u{7}"])
            .prop_map(str::to_owned)
    }

    fn long_file() -> impl Strategy<Value = String> {
        let row = (
            unit_cell(),
            criterion_cell(),
            value_cell(),
            note_cell(),
            0..8u8,
        );
        (
            prop::sample::select(vec![',', ';']),
            prop::bool::ANY,
            prop::collection::vec(row, 0..25),
        )
            .prop_map(|(d, with_note, rows)| {
                let mut s = String::new();
                if with_note {
                    s.push_str(&format!("unit{d}criterion{d}value{d}note\n"));
                } else {
                    s.push_str(&format!("unit{d}criterion{d}value\n"));
                }
                for (u, c, v, n, extra) in rows {
                    match extra {
                        0 => s.push('\n'),
                        1 => s.push_str(&format!("{u}{d}{c}{d}{v}{d}{n}{d}stray\n")),
                        _ => s.push_str(&format!("{u}{d}{c}{d}{v}{d}{n}\n")),
                    }
                }
                s
            })
    }

    fn wide_file() -> impl Strategy<Value = String> {
        let header = prop::collection::vec(criterion_cell(), 0..6);
        (
            header,
            prop::collection::vec(
                (unit_cell(), prop::collection::vec(value_cell(), 0..7)),
                0..10,
            ),
        )
            .prop_map(|(header, rows)| {
                let mut s = format!("unit;{}\n", header.join(";"));
                for (u, values) in rows {
                    s.push_str(&format!("{u};{}\n", values.join(";")));
                }
                s
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn generated_long_files_read_the_same_streamed_as_through_a_table(f in long_file()) {
            assert_same("g.csv", f.as_bytes());
        }

        #[test]
        fn generated_wide_files_read_the_same_streamed_as_through_a_table(f in wide_file()) {
            assert_same("g.csv", f.as_bytes());
        }
    }
}
