//! Answer files: what respondents answered, in the long shape (one answer per row:
//! `respondent,group,unit,question,answer`) or as the wide export of a Kobo or ODK server
//! (one submission per row, one column per question and evaluated unit, named as the
//! XLSForm of [`super::xlsform_xlsx`] names its fields).
//!
//! A CSV file is streamed: rows are read one at a time and only what finds duplicates is
//! kept (respondent ids interned to numbers, units and questions to small indexes), so a file
//! of a million answers costs tens of megabytes. The caller reads a file twice, once to
//! preview it and once to store it in one transaction; every answer is handed to a callback,
//! and every problem is collected and returned at the end.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::Path;
use std::sync::Arc;

use chiso_domain::questionnaire::{QuestionnaireKind, RespondentGroup, SurveyDefinition};
use chiso_domain::survey::satisfaction_level;
use chiso_domain::{GroupName, UnitCode};

use super::{SIPAS_LEVELS, STANDARD_LABELS, field_name, field_unit};
use crate::codes;
use crate::error::{ImportError, ImportErrors, Problem};
use crate::limits::{
    MAX_ANSWER_COLUMNS, MAX_ANSWER_FILE_BYTES, MAX_ANSWERS, MAX_FILE_BYTES, MAX_ROWS, grouped,
    size_text,
};
use crate::table::{FileFormat, XlsxBook, checked_text, column_letter, header_key};
use crate::text_stream::{csv_io, decoded};

/// Maps keyed by what a file says, hashed with a per-process random key (files are untrusted:
/// no crafted collisions) and a fast function (a million answers make a million lookups).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// One answer of one respondent about one unit. Its texts are shared with the other answers
/// naming the same respondent, group, unit, question or option: a million answers are not
/// five million strings.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AnswerRecord {
    /// The row of the file it was read from (the header is row 1).
    pub row: usize,
    /// The respondent: the long file's `respondent` cell, or the submission id of a wide
    /// export.
    pub respondent: Arc<str>,
    /// The respondent group's code as the definition writes it.
    pub group: Arc<str>,
    pub unit: Arc<UnitCode>,
    /// The question's code as the definition writes it.
    pub question: Arc<str>,
    /// The option's code as the definition writes it; for a SIPAS questionnaire the level
    /// `1`–`5`, or empty for "không trả lời" (`0`).
    pub answer: Arc<str>,
}

/// What answers are checked against.
#[derive(Debug, Clone, Copy)]
pub struct AnswerContext<'a> {
    pub definition: &'a SurveyDefinition,
    /// The units of each group of units of the period.
    pub units: &'a BTreeMap<GroupName, BTreeSet<UnitCode>>,
    /// The respondent group of rows that do not say theirs (a wide export of one group's
    /// form without its `nhom` field, or a long file without a `group` column).
    pub group: Option<&'a str>,
}

/// The layout of an answer file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerShape {
    /// `respondent,group,unit,question,answer`, one answer per row.
    Long,
    /// One submission per row, one column per question and unit.
    Wide,
}

/// What a file held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerStats {
    /// Data rows read (the header and blank rows not counted).
    pub rows: usize,
    /// Rows with at least one problem.
    pub rejected_rows: usize,
    /// Distinct respondents (submissions).
    pub respondents: usize,
    /// Answers read (empty cells are no answer and not counted).
    pub answers: usize,
    pub shape: AnswerShape,
}

/// How far reading has come, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub rows: usize,
    pub rejected_rows: usize,
    pub bytes_read: u64,
    pub bytes_total: u64,
}

/// Why an answer file was not read through.
#[derive(Debug)]
pub enum AnswerFileError<E> {
    /// The file has problems, all of them listed (up to
    /// [`crate::limits::MAX_REPORTED_ERRORS`]); `stats` says what was read when the file
    /// could be read at all.
    Invalid {
        errors: ImportErrors,
        stats: Option<AnswerStats>,
    },
    /// The record callback failed; reading stopped there.
    Stopped(E),
}

impl<E: std::fmt::Display> std::fmt::Display for AnswerFileError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnswerFileError::Invalid { errors, .. } => errors.fmt(f),
            AnswerFileError::Stopped(e) => e.fmt(f),
        }
    }
}

impl<E: std::fmt::Debug + std::fmt::Display> std::error::Error for AnswerFileError<E> {}

/// Rows between two progress reports.
const PROGRESS_EVERY: usize = 4096;

/// Reads the answer file at `path`, named `file_name` as the user knows it (the format
/// follows its extension: `.csv`, `.txt`, `.tsv` or `.xlsx`).
///
/// Each valid answer goes to `on_record`, in file order, as long as no problem has been
/// found: once one is, the rest of the file is still checked (so every problem is listed) but
/// nothing more is handed over, and the result is [`AnswerFileError::Invalid`], so a caller
/// writing inside a transaction rolls it back. An error of `on_record` stops reading at once.
pub fn read_answers<E>(
    path: &Path,
    file_name: &str,
    ctx: &AnswerContext<'_>,
    mut on_record: impl FnMut(AnswerRecord) -> Result<(), E>,
    mut on_progress: impl FnMut(Progress),
) -> Result<AnswerStats, AnswerFileError<E>> {
    let invalid = |e: ImportError| AnswerFileError::Invalid {
        errors: e.into(),
        stats: None,
    };
    let unreadable = |e: io::Error| {
        invalid(ImportError::file(
            file_name,
            Problem::new(codes::FILE_UNREADABLE).arg("error", e),
        ))
    };
    let format = answer_format(file_name).map_err(invalid)?;
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let total = file.metadata().map_err(unreadable)?.len();
    check_size(file_name, format, total).map_err(invalid)?;
    match format {
        FileFormat::Xlsx => {
            let mut bytes = Vec::new();
            file.take(MAX_FILE_BYTES as u64 + 1)
                .read_to_end(&mut bytes)
                .map_err(unreadable)?;
            read_xlsx(file_name, &bytes, ctx, &mut on_record, &mut on_progress)
        }
        _ => read_csv(
            file_name,
            file,
            total,
            ctx,
            &mut on_record,
            &mut on_progress,
        ),
    }
}

/// Reads an uploaded answer file held in memory; see [`read_answers`].
pub fn read_answers_bytes<E>(
    file_name: &str,
    bytes: &[u8],
    ctx: &AnswerContext<'_>,
    mut on_record: impl FnMut(AnswerRecord) -> Result<(), E>,
    mut on_progress: impl FnMut(Progress),
) -> Result<AnswerStats, AnswerFileError<E>> {
    let invalid = |e: ImportError| AnswerFileError::Invalid {
        errors: e.into(),
        stats: None,
    };
    let format = answer_format(file_name).map_err(invalid)?;
    check_size(file_name, format, bytes.len() as u64).map_err(invalid)?;
    match format {
        FileFormat::Xlsx => read_xlsx(file_name, bytes, ctx, &mut on_record, &mut on_progress),
        _ => read_csv(
            file_name,
            bytes,
            bytes.len() as u64,
            ctx,
            &mut on_record,
            &mut on_progress,
        ),
    }
}

fn answer_format(file: &str) -> Result<FileFormat, ImportError> {
    match FileFormat::of(file) {
        Some(f @ (FileFormat::Csv | FileFormat::Xlsx)) => Ok(f),
        _ => Err(ImportError::file(
            file,
            Problem::new(codes::FORMAT_UNSUPPORTED).arg("accepted", ".csv, .xlsx"),
        )),
    }
}

/// A CSV file is streamed and may reach [`MAX_ANSWER_FILE_BYTES`]; a workbook is loaded whole
/// and keeps [`MAX_FILE_BYTES`].
fn check_size(file: &str, format: FileFormat, len: u64) -> Result<(), ImportError> {
    let max = match format {
        FileFormat::Xlsx => MAX_FILE_BYTES as u64,
        _ => MAX_ANSWER_FILE_BYTES,
    };
    if len > max {
        return Err(ImportError::file(
            file,
            Problem::new(codes::FILE_TOO_LARGE)
                .arg("size", size_text(len))
                .arg("max", size_text(max)),
        ));
    }
    Ok(())
}

/// The cells of one row, whatever the file type.
trait Cells {
    fn cell(&self, i: usize) -> &str;
}

impl Cells for csv::StringRecord {
    fn cell(&self, i: usize) -> &str {
        self.get(i).map_or("", str::trim)
    }
}

impl Cells for crate::table::TableRow {
    fn cell(&self, i: usize) -> &str {
        self.get(i)
    }
}

fn read_xlsx<E>(
    file: &str,
    bytes: &[u8],
    ctx: &AnswerContext<'_>,
    on_record: &mut dyn FnMut(AnswerRecord) -> Result<(), E>,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<AnswerStats, AnswerFileError<E>> {
    let invalid = |errors: ImportErrors| AnswerFileError::Invalid {
        errors,
        stats: None,
    };
    let mut book = XlsxBook::open(file, bytes).map_err(|e| invalid(e.into()))?;
    let (_, table) = book.first_table().map_err(invalid)?;
    let total = bytes.len() as u64;
    let mut check = Check::new(file, ctx);
    check.header(table.header_row, &table.headers);
    let count = table.rows.len().max(1);
    for (i, row) in table.rows.iter().enumerate() {
        if check.fatal {
            break;
        }
        check.row(row.number, row);
        check.emit(on_record)?;
        if (i + 1) % PROGRESS_EVERY == 0 {
            on_progress(check.progress(total * (i as u64 + 1) / count as u64, total));
        }
    }
    on_progress(check.progress(total, total));
    check.finish()
}

fn read_csv<E>(
    file: &str,
    input: impl Read,
    total: u64,
    ctx: &AnswerContext<'_>,
    on_record: &mut dyn FnMut(AnswerRecord) -> Result<(), E>,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<AnswerStats, AnswerFileError<E>> {
    let invalid = |e: ImportError| AnswerFileError::Invalid {
        errors: e.into(),
        stats: None,
    };
    let unreadable = |e: io::Error| {
        invalid(ImportError::file(
            file,
            Problem::new(codes::FILE_UNREADABLE).arg("error", e),
        ))
    };
    let (text, encoding, bom_len) = decoded(input).map_err(unreadable)?;
    let mut text = BufReader::with_capacity(1 << 16, text);
    // The delimiter is sniffed from the header line, which is read ahead and put back.
    let mut skipped = 0;
    let mut header_line = Vec::new();
    loop {
        header_line.clear();
        let n = (&mut text)
            .take(4 << 20)
            .read_until(b'\n', &mut header_line)
            .map_err(|e| csv_io(file, encoding, &e))
            .map_err(invalid)?;
        let blank = header_line
            .iter()
            .all(|b| b.is_ascii_whitespace() || matches!(b, b',' | b';' | b'\t'));
        if n == 0 || !blank {
            break;
        }
        skipped += 1;
    }
    if header_line.is_empty() {
        return Err(invalid(ImportError::file(
            file,
            Problem::new(codes::FILE_EMPTY),
        )));
    }
    let delimiter = crate::table::sniff_delimiter(&String::from_utf8_lossy(&header_line));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(Cursor::new(header_line).chain(text));
    let mut check = Check::new(file, ctx);
    let mut record = csv::StringRecord::new();
    let mut first = true;
    let mut index = 0;
    while !check.fatal {
        index += 1;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let number = skipped + record.position().map_or(index, |p| p.line() as usize);
                if record.len() > MAX_ANSWER_COLUMNS {
                    check.push(ImportError::row(
                        file,
                        number,
                        Problem::new(codes::ROW_TOO_MANY_COLUMNS)
                            .arg("cells", grouped(record.len() as u64))
                            .arg("max", grouped(MAX_ANSWER_COLUMNS as u64)),
                    ));
                    check.fatal = true;
                    break;
                }
                if first {
                    first = false;
                    let headers: Vec<String> = record.iter().map(|h| h.trim().to_owned()).collect();
                    check.header(number, &headers);
                    continue;
                }
                if record.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                check.row(number, &record);
                check.emit(on_record)?;
                if check.stats.rows.is_multiple_of(PROGRESS_EVERY) {
                    let read = bom_len + reader.position().byte();
                    on_progress(check.progress(read.min(total), total));
                }
            }
            Err(e) => {
                let line = skipped + e.position().map_or(index, |p| p.line() as usize);
                match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => {
                        check.push(ImportError::row(file, line, Problem::new(codes::NOT_UTF8)));
                        check.fatal = true;
                    }
                    csv::ErrorKind::Io(io) => {
                        check.push(csv_io(file, encoding, io));
                        check.fatal = true;
                    }
                    _ => {
                        check.stats.rows += 1;
                        check.stats.rejected_rows += 1;
                        check.push(ImportError::row(
                            file,
                            line,
                            Problem::new(codes::CSV_ROW_UNREADABLE).arg("error", e),
                        ));
                    }
                }
            }
        }
    }
    if first && !check.fatal {
        check.push(ImportError::file(file, Problem::new(codes::FILE_EMPTY)));
    }
    on_progress(check.progress(total, total));
    check.finish()
}

/// A respondent group made ready for lookups.
struct GroupPlan<'a> {
    def: &'a RespondentGroup,
    /// The group's code, shared by its answers.
    code: Arc<str>,
    sipas: bool,
    /// Lower-case question code → global question index.
    questions: HashMap<String, u32>,
    /// Lower-case unit code (and its field form) → global unit index, for the units this
    /// group evaluates.
    units: HashMap<String, u32>,
    /// (code as defined, lower-case code, lower-case label).
    options: Vec<(Arc<str>, String, String)>,
    /// A SIPAS "không trả lời", kept as an empty answer.
    no_answer: Arc<str>,
    /// The codes of the options, for messages.
    options_text: String,
    /// An answer column as the form names it, for messages.
    example: String,
}

/// The definition and units made ready for lookups: units and questions interned to small
/// numbers.
struct Plan<'a> {
    groups: Vec<GroupPlan<'a>>,
    units: Vec<Arc<UnitCode>>,
    all_units: HashMap<String, u32>,
    questions: Vec<Arc<str>>,
}

impl<'a> Plan<'a> {
    fn new(ctx: &AnswerContext<'a>) -> Self {
        let mut units: Vec<Arc<UnitCode>> = Vec::new();
        let mut all_units: HashMap<String, u32> = HashMap::default();
        for set in ctx.units.values() {
            for u in set {
                let i = *all_units
                    .entry(u.as_str().to_lowercase())
                    .or_insert_with(|| {
                        units.push(Arc::new(u.clone()));
                        units.len() as u32 - 1
                    });
                // Codes as written are found without lower-casing each cell.
                all_units.entry(u.as_str().to_owned()).or_insert(i);
            }
        }
        let mut questions = Vec::new();
        let mut groups = Vec::new();
        for g in &ctx.definition.groups {
            let mut qs = HashMap::default();
            for q in &g.questions {
                let i = *qs.entry(q.code.trim().to_lowercase()).or_insert_with(|| {
                    questions.push(Arc::from(q.code.trim()));
                    questions.len() as u32 - 1
                });
                qs.entry(q.code.trim().to_owned()).or_insert(i);
            }
            let mut us = HashMap::default();
            let evaluated = ctx.units.get(&g.evaluates);
            for u in evaluated.into_iter().flatten() {
                let i = all_units[&u.as_str().to_lowercase()];
                us.insert(u.as_str().to_lowercase(), i);
                us.entry(u.as_str().to_owned()).or_insert(i);
                us.entry(field_unit(u.as_str()).to_lowercase()).or_insert(i);
            }
            let sipas = matches!(g.kind, QuestionnaireKind::Sipas { .. });
            let options: Vec<(Arc<str>, String, String)> = if sipas {
                SIPAS_LEVELS
                    .iter()
                    .map(|(c, l)| (Arc::from(*c), (*c).to_owned(), l.to_lowercase()))
                    .collect()
            } else if g.options.is_empty() {
                STANDARD_LABELS
                    .iter()
                    .map(|(c, l)| (Arc::from(*c), c.to_lowercase(), l.to_lowercase()))
                    .collect()
            } else {
                g.options
                    .iter()
                    .map(|o| {
                        let code = o.code.trim();
                        (
                            Arc::from(code),
                            code.to_lowercase(),
                            o.label.trim().to_lowercase(),
                        )
                    })
                    .collect()
            };
            let options_text = options.iter().map(|o| &*o.0).collect::<Vec<_>>().join(", ");
            let example = match (g.questions.first(), evaluated.and_then(|s| s.first())) {
                (Some(q), Some(u)) => field_name(&q.code, u.as_str()),
                _ => "C1__MA_DON_VI".to_owned(),
            };
            groups.push(GroupPlan {
                def: g,
                code: Arc::from(g.code.as_str()),
                no_answer: Arc::from(""),
                sipas,
                questions: qs,
                units: us,
                options,
                options_text,
                example,
            });
        }
        Plan {
            groups,
            units,
            all_units,
            questions,
        }
    }

    /// The group with this code (without regard to case).
    fn group(&self, raw: &str) -> Option<usize> {
        let raw = raw.trim();
        self.groups
            .iter()
            .position(|g| g.def.code.trim().eq_ignore_ascii_case(raw))
    }

    fn group_codes(&self) -> String {
        self.groups
            .iter()
            .map(|g| g.def.code.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl GroupPlan<'_> {
    /// The question and unit an answer column of a wide export holds: its header ends with
    /// `{question}__{UNIT}`, preceded by the start, `/` (Kobo's `group/field`), `-` (ODK
    /// Central's `group-field`) or `.`. A question code may itself hold `-` or `.`, so the
    /// longest code that is a question wins.
    fn column(&self, header: &str) -> Option<(u32, u32)> {
        let h = header.trim().to_lowercase();
        let mut from = 0;
        while let Some(p) = h[from..].find("__").map(|p| p + from) {
            from = p + 1;
            let Some(&unit) = self.units.get(&h[p + 2..]) else {
                continue;
            };
            let prefix = &h[..p];
            let starts = std::iter::once(0).chain(
                prefix
                    .char_indices()
                    .filter(|(_, c)| matches!(c, '/' | '-' | '.'))
                    .map(|(i, c)| i + c.len_utf8()),
            );
            for s in starts {
                let candidate = &prefix[s..];
                let found = self.questions.get(candidate).or_else(|| {
                    candidate
                        .strip_prefix('_')
                        .and_then(|c| self.questions.get(c))
                });
                if let Some(&q) = found {
                    return Some((q, unit));
                }
            }
        }
        None
    }

    /// The canonical answer for a non-empty cell: an option's code or label, or for SIPAS
    /// a level (`0` is no answer, kept as an empty answer).
    fn answer(&self, raw: &str) -> Result<Arc<str>, Problem> {
        let raw = raw.trim();
        if self.sipas
            && let Some(level) = satisfaction_level(raw)
        {
            let code = level.and_then(|l| {
                let l = l.to_string();
                self.options
                    .iter()
                    .find(|o| *o.0 == *l)
                    .map(|o| o.0.clone())
            });
            return Ok(code.unwrap_or_else(|| self.no_answer.clone()));
        }
        if let Some(o) = self.options.iter().find(|o| *o.0 == *raw) {
            return Ok(o.0.clone());
        }
        let lower = raw.to_lowercase();
        if let Some(o) = self
            .options
            .iter()
            .find(|o| o.1 == lower || (!o.2.is_empty() && o.2 == lower))
        {
            return Ok(o.0.clone());
        }
        Err(if self.sipas {
            Problem::new(codes::SIPAS_LEVEL_INVALID).arg("value", raw)
        } else {
            Problem::new(codes::ANSWER_NOT_OPTION)
                .arg("value", raw)
                .arg("options", &self.options_text)
        })
    }
}

/// The columns of a long file.
const RESPONDENT: &[&str] = &["respondent", "ma_phieu", "mã phiếu", "phiếu", "submission"];
const GROUP: &[&str] = &["group", "nhom", "nhóm", "nhóm đối tượng"];
const UNIT: &[&str] = &["unit", "don_vi", "đơn vị", "mã đơn vị"];
const QUESTION: &[&str] = &["question", "cau_hoi", "câu hỏi", "mã câu hỏi"];
const ANSWER: &[&str] = &["answer", "tra_loi", "trả lời", "câu trả lời"];

/// Submission id columns of wide exports, in order of preference, by the last segment of
/// their name: Kobo's `_uuid`, the form's `meta/instanceID` (ODK Central's
/// `meta-instanceID`), ODK Central's `KEY`, Kobo's `_id`.
const SUBMISSION_IDS: &[&str] = &["_uuid", "instanceid", "key", "_id", "_submission__uuid"];

/// The last segment of a wide export's column name (`grp/nhom`, `grp-nhom` → `nhom`).
fn last_segment(h: &str) -> String {
    h.rsplit(['/', '-'])
        .next()
        .unwrap_or(h)
        .trim()
        .to_lowercase()
}

/// Per respondent group, the (question, unit) an answer column holds for it.
type PerGroup = Vec<Option<(u32, u32)>>;

enum Layout {
    Long {
        respondent: usize,
        group: Option<usize>,
        unit: usize,
        question: usize,
        answer: usize,
    },
    Wide {
        id: usize,
        group: Option<usize>,
        /// Each answer column with, per respondent group, the (question, unit) it holds.
        columns: Vec<(usize, PerGroup)>,
        /// Whether each respondent group has any answer column.
        has_columns: Vec<bool>,
    },
}

/// The checks of one file, row after row.
struct Check<'a> {
    file: &'a str,
    plan: Plan<'a>,
    ctx_group: Option<usize>,
    headers: Vec<String>,
    layout: Option<Layout>,
    errors: ImportErrors,
    /// Problems found, listed or not.
    problems: usize,
    stats: AnswerStats,
    /// Nothing more can be read.
    fatal: bool,
    /// Long shape: respondent id → number; per number its group and first row.
    respondents: HashMap<Box<str>, u32>,
    respondent_info: Vec<(u32, u32)>,
    /// Long shape: (respondent, unit, question) → row of its answer.
    answered: HashMap<(u32, u32, u32), u32>,
    /// Wide shape: submission id → its row.
    submissions: HashMap<Box<str>, u32>,
    /// The answers of the current row, handed over once the whole row is checked.
    pending: Vec<AnswerRecord>,
    /// The respondent of the last answer recorded.
    last_respondent: Option<Arc<str>>,
}

impl<'a> Check<'a> {
    fn new(file: &'a str, ctx: &AnswerContext<'a>) -> Self {
        let plan = Plan::new(ctx);
        let mut errors = ImportErrors::default();
        let ctx_group = ctx.group.and_then(|g| {
            let found = plan.group(g);
            if found.is_none() {
                errors.push(ImportError::file(
                    file,
                    Problem::new(codes::RESPONDENT_GROUP_UNKNOWN)
                        .arg("group", g)
                        .arg("accepted", plan.group_codes()),
                ));
            }
            found
        });
        Check {
            file,
            plan,
            ctx_group,
            headers: Vec::new(),
            layout: None,
            problems: errors.len(),
            errors,
            stats: AnswerStats {
                rows: 0,
                rejected_rows: 0,
                respondents: 0,
                answers: 0,
                shape: AnswerShape::Wide,
            },
            fatal: false,
            respondents: HashMap::default(),
            respondent_info: Vec::new(),
            answered: HashMap::default(),
            submissions: HashMap::default(),
            pending: Vec::new(),
            last_respondent: None,
        }
    }

    fn progress(&self, bytes_read: u64, bytes_total: u64) -> Progress {
        Progress {
            rows: self.stats.rows,
            rejected_rows: self.stats.rejected_rows,
            bytes_read,
            bytes_total,
        }
    }

    fn at_header(&mut self, row: usize, col: usize, problem: Problem) {
        let h = self.header_text(col);
        self.push(ImportError::cell(self.file, row, &h, problem));
    }

    fn header_text(&self, col: usize) -> String {
        match self.headers.get(col) {
            Some(h) if !h.is_empty() => h.clone(),
            _ => column_letter(col),
        }
    }

    /// Reads the header: the long shape when it has the long columns, else a wide export.
    fn header(&mut self, row: usize, headers: &[String]) {
        self.headers = headers.to_vec();
        let find = |names: &[&str]| {
            headers.iter().position(|h| {
                let k = header_key(h);
                names.iter().any(|n| header_key(n) == k)
            })
        };
        let group_needed = |this: &mut Self, group: Option<usize>| {
            if group.is_none() && this.ctx_group.is_none() && this.errors.is_empty() {
                this.push(ImportError::file(
                    this.file,
                    Problem::new(codes::RESPONDENT_GROUP_NEEDED),
                ));
                this.fatal = true;
            }
        };
        let (unit, question, answer) = (find(UNIT), find(QUESTION), find(ANSWER));
        let segments: Vec<String> = headers.iter().map(|h| last_segment(h)).collect();
        let id = SUBMISSION_IDS
            .iter()
            .find_map(|name| segments.iter().position(|s| s == name));
        // A wide export may hold a profile field named like a long column (`don_vi`, the
        // respondent's own workplace): it is long only with all three, or without a
        // submission id.
        let long = [unit, question, answer];
        if long.iter().all(Option::is_some) || (id.is_none() && long.iter().any(Option::is_some)) {
            self.stats.shape = AnswerShape::Long;
            let respondent = find(RESPONDENT);
            let group = find(GROUP);
            let cols = [
                (respondent, "respondent"),
                (unit, "unit"),
                (question, "question"),
                (answer, "answer"),
            ];
            for (c, name) in cols {
                if c.is_none() {
                    self.push(ImportError::cell(
                        self.file,
                        row,
                        name,
                        Problem::new(codes::MISSING_COLUMN).arg("column", name),
                    ));
                    self.fatal = true;
                }
            }
            let known = [respondent, group, unit, question, answer];
            for (c, h) in headers.iter().enumerate() {
                if known.contains(&Some(c)) || h.is_empty() || crate::table::is_ignored_header(h) {
                    continue;
                }
                self.push(ImportError::cell(
                    self.file,
                    row,
                    h,
                    Problem::new(codes::COLUMN_UNSUPPORTED)
                        .arg("column", h)
                        .arg("accepted", "respondent, group, unit, question, answer"),
                ));
            }
            if let (Some(respondent), Some(unit), Some(question), Some(answer)) =
                (respondent, unit, question, answer)
            {
                group_needed(self, group);
                self.layout = Some(Layout::Long {
                    respondent,
                    group,
                    unit,
                    question,
                    answer,
                });
            }
            return;
        }
        self.stats.shape = AnswerShape::Wide;
        let Some(id) = id else {
            self.push(ImportError::file(
                self.file,
                Problem::new(codes::SUBMISSION_COLUMN_MISSING)
                    .arg("accepted", "_uuid, meta/instanceID, KEY, _id"),
            ));
            self.fatal = true;
            return;
        };
        let group = segments.iter().position(|s| s == "nhom" || s == "nhóm");
        group_needed(self, group);
        let mut columns = Vec::new();
        let mut has_columns = vec![false; self.plan.groups.len()];
        let mut first_column: Vec<HashMap<(u32, u32), usize>> =
            vec![HashMap::default(); self.plan.groups.len()];
        for (c, h) in headers.iter().enumerate() {
            if c == id || Some(c) == group || h.is_empty() {
                continue;
            }
            let per_group: Vec<Option<(u32, u32)>> =
                self.plan.groups.iter().map(|g| g.column(h)).collect();
            if per_group.iter().all(Option::is_none) {
                continue;
            }
            for (g, found) in per_group.iter().enumerate() {
                let Some(key) = found else { continue };
                has_columns[g] = true;
                if let Some(first) = first_column[g].insert(*key, c) {
                    let problem = Problem::new(codes::ANSWER_COLUMN_TWICE)
                        .arg("question", &self.plan.questions[key.0 as usize])
                        .arg("unit", &self.plan.units[key.1 as usize])
                        .arg("first_column", self.header_text(first));
                    self.at_header(row, c, problem);
                }
            }
            columns.push((c, per_group));
        }
        if columns.is_empty() {
            let example = self
                .ctx_group
                .or((!self.plan.groups.is_empty()).then_some(0))
                .map_or_else(
                    || "C1__MA_DON_VI".to_owned(),
                    |g| self.plan.groups[g].example.clone(),
                );
            self.push(ImportError::file(
                self.file,
                Problem::new(codes::ANSWER_COLUMNS_NONE).arg("example", example),
            ));
            self.fatal = true;
            return;
        }
        self.layout = Some(Layout::Wide {
            id,
            group,
            columns,
            has_columns,
        });
    }

    /// The respondent group of a row: its cell, else the one chosen for the file.
    fn row_group(&mut self, n: usize, col: Option<usize>, cells: &dyn Cells) -> Option<usize> {
        let raw = col.map_or("", |c| cells.cell(c));
        if raw.is_empty() {
            if self.ctx_group.is_none() {
                let h = col.map_or_else(|| "nhom".to_owned(), |c| self.header_text(c));
                self.push(ImportError::cell(
                    self.file,
                    n,
                    &h,
                    Problem::new(codes::RESPONDENT_GROUP_NEEDED),
                ));
            }
            return self.ctx_group;
        }
        let found = self.plan.group(raw);
        if found.is_none()
            && let Some(c) = col
        {
            let problem = Problem::new(codes::RESPONDENT_GROUP_UNKNOWN)
                .arg("group", raw)
                .arg("accepted", self.plan.group_codes());
            self.at_header(n, c, problem);
        }
        found
    }

    /// A cell's text once checked for length and control characters.
    fn text<'c>(&mut self, n: usize, col: usize, cells: &'c dyn Cells) -> Option<&'c str> {
        let v = cells.cell(col);
        match checked_text(v) {
            Ok(()) => Some(v),
            Err(p) => {
                self.at_header(n, col, p);
                None
            }
        }
    }

    fn row(&mut self, n: usize, cells: &dyn Cells) {
        if self.fatal {
            return;
        }
        self.stats.rows += 1;
        // Each row may add a respondent to what is kept: rows are bounded like answers in
        // the long shape, like any table's rows in the wide one.
        let max_rows = match self.stats.shape {
            AnswerShape::Long => MAX_ANSWERS,
            AnswerShape::Wide => MAX_ROWS,
        };
        if self.stats.rows > max_rows {
            self.push(ImportError::row(
                self.file,
                n,
                Problem::new(codes::TOO_MANY_ROWS).arg("max", grouped(max_rows as u64)),
            ));
            self.fatal = true;
            return;
        }
        let errors_before = self.problems;
        self.pending.clear();
        match &self.layout {
            Some(Layout::Long { .. }) => self.long_row(n, cells),
            Some(Layout::Wide { .. }) => self.wide_row(n, cells),
            None => {}
        }
        if self.problems != errors_before {
            self.stats.rejected_rows += 1;
            self.pending.clear();
        }
        if self.stats.answers > MAX_ANSWERS {
            self.push(ImportError::row(
                self.file,
                n,
                Problem::new(codes::TOO_MANY_ANSWERS).arg("max", grouped(MAX_ANSWERS as u64)),
            ));
            self.fatal = true;
        }
    }

    /// Records a problem, counting it even past the listed ones so rejected rows are all
    /// counted.
    fn push(&mut self, e: ImportError) {
        self.problems += 1;
        self.errors.push(e);
    }

    fn long_row(&mut self, n: usize, cells: &dyn Cells) {
        let Some(Layout::Long {
            respondent,
            group,
            unit,
            question,
            answer,
        }) = self.layout
        else {
            return;
        };
        let resp = self.text(n, respondent, cells);
        if resp == Some("") {
            self.at_header(n, respondent, Problem::new(codes::RESPONDENT_MISSING));
        }
        let g = self.row_group(n, group, cells);
        let unit_idx = self
            .text(n, unit, cells)
            .and_then(|raw| self.unit(n, unit, g, raw));
        let q = match (g, self.text(n, question, cells)) {
            (_, None) => None,
            (_, Some("")) => {
                self.at_header(n, question, Problem::new(codes::QUESTION_MISSING));
                None
            }
            (None, _) => None,
            (Some(g), Some(raw)) => {
                let questions = &self.plan.groups[g].questions;
                let found = questions
                    .get(raw)
                    .or_else(|| questions.get(&raw.to_lowercase()))
                    .copied();
                if found.is_none() {
                    let problem = Problem::new(codes::QUESTION_UNKNOWN)
                        .arg("question", raw)
                        .arg("group", &self.plan.groups[g].def.code);
                    self.at_header(n, question, problem);
                }
                found
            }
        };
        let value = match (g, self.text(n, answer, cells)) {
            (Some(g), Some(raw)) if !raw.is_empty() => match self.plan.groups[g].answer(raw) {
                Ok(a) => Some(a),
                Err(p) => {
                    self.at_header(n, answer, p);
                    None
                }
            },
            _ => None,
        };
        let (Some(resp), Some(g)) = (resp.filter(|r| !r.is_empty()), g) else {
            return;
        };
        let r = match self.respondents.get(resp) {
            Some(&r) => {
                let (first_group, first_row) = self.respondent_info[r as usize];
                if first_group as usize != g {
                    let problem = Problem::new(codes::RESPONDENT_TWO_GROUPS)
                        .arg("respondent", resp)
                        .arg("group", &self.plan.groups[g].def.code)
                        .arg(
                            "first_group",
                            &self.plan.groups[first_group as usize].def.code,
                        )
                        .arg("first_row", first_row);
                    let col = group.unwrap_or(respondent);
                    self.at_header(n, col, problem);
                }
                r
            }
            None => {
                let r = self.respondent_info.len() as u32;
                self.respondents.insert(resp.into(), r);
                self.respondent_info.push((g as u32, n as u32));
                r
            }
        };
        self.stats.respondents = self.respondents.len();
        let (Some(u), Some(q), Some(value)) = (unit_idx, q, value) else {
            return;
        };
        if let Some(&first) = self.answered.get(&(r, u, q)) {
            let problem = Problem::new(codes::ANSWER_TWICE)
                .arg("respondent", resp)
                .arg("question", &self.plan.questions[q as usize])
                .arg("unit", &self.plan.units[u as usize])
                .arg("first_row", first);
            self.at_header(n, question, problem);
            return;
        }
        self.answered.insert((r, u, q), n as u32);
        self.record(n, resp, g, u, q, value);
    }

    /// The unit of a long row, known to the period and evaluated by the row's group.
    fn unit(&mut self, n: usize, col: usize, g: Option<usize>, raw: &str) -> Option<u32> {
        if raw.is_empty() {
            self.at_header(n, col, Problem::new(codes::ANSWER_UNIT_MISSING));
            return None;
        }
        let key: std::borrow::Cow<'_, str> = if self.plan.all_units.contains_key(raw) {
            raw.into()
        } else {
            raw.to_lowercase().into()
        };
        let Some(&u) = self.plan.all_units.get(key.as_ref()) else {
            self.at_header(n, col, Problem::new(codes::UNIT_UNKNOWN).arg("unit", raw));
            return None;
        };
        let g = g?;
        let plan = &self.plan.groups[g];
        if !plan.units.contains_key(key.as_ref()) {
            let problem = Problem::new(codes::UNIT_NOT_EVALUATED)
                .arg("unit", &self.plan.units[u as usize])
                .arg("group", &plan.def.code)
                .arg("units", &plan.def.evaluates);
            self.at_header(n, col, problem);
            return None;
        }
        Some(u)
    }

    fn record(&mut self, n: usize, resp: &str, g: usize, u: u32, q: u32, answer: Arc<str>) {
        self.stats.answers += 1;
        // Rows of one respondent follow each other: its text is shared until it changes.
        let respondent = match &self.last_respondent {
            Some(r) if **r == *resp => r.clone(),
            _ => {
                let r: Arc<str> = Arc::from(resp);
                self.last_respondent = Some(r.clone());
                r
            }
        };
        self.pending.push(AnswerRecord {
            row: n,
            respondent,
            group: self.plan.groups[g].code.clone(),
            unit: self.plan.units[u as usize].clone(),
            question: self.plan.questions[q as usize].clone(),
            answer,
        });
    }

    fn wide_row(&mut self, n: usize, cells: &dyn Cells) {
        let Some(Layout::Wide {
            id,
            group,
            columns,
            has_columns,
        }) = self.layout.take()
        else {
            return;
        };
        let resp = self.text(n, id, cells);
        match resp {
            Some("") => self.at_header(n, id, Problem::new(codes::RESPONDENT_MISSING)),
            Some(r) => match self.submissions.get(r) {
                Some(&first) => {
                    let problem = Problem::new(codes::SUBMISSION_TWICE)
                        .arg("respondent", r)
                        .arg("first_row", first);
                    self.at_header(n, id, problem);
                }
                None => {
                    self.submissions.insert(r.into(), n as u32);
                    self.stats.respondents = self.submissions.len();
                }
            },
            None => {}
        }
        if let Some(g) = self.row_group(n, group, cells) {
            if !has_columns[g] {
                let plan = &self.plan.groups[g];
                let problem = Problem::new(codes::ANSWER_COLUMNS_NONE_FOR_GROUP)
                    .arg("group", &plan.def.code)
                    .arg("example", &plan.example);
                self.push(ImportError::row(self.file, n, problem));
            }
            for (c, per_group) in &columns {
                let Some(raw) = self.text(n, *c, cells) else {
                    continue;
                };
                if raw.is_empty() {
                    continue;
                }
                match per_group[g] {
                    Some((q, u)) => match self.plan.groups[g].answer(raw) {
                        Ok(a) => {
                            let resp = resp.unwrap_or_default();
                            self.record(n, resp, g, u, q, a);
                        }
                        Err(p) => self.at_header(n, *c, p),
                    },
                    None => {
                        let problem = Problem::new(codes::ANSWER_OTHER_GROUP)
                            .arg("group", &self.plan.groups[g].def.code);
                        self.at_header(n, *c, problem);
                    }
                }
            }
        }
        self.layout = Some(Layout::Wide {
            id,
            group,
            columns,
            has_columns,
        });
    }

    /// Hands the current row's answers over while the file has no problem.
    fn emit<E>(
        &mut self,
        on_record: &mut dyn FnMut(AnswerRecord) -> Result<(), E>,
    ) -> Result<(), AnswerFileError<E>> {
        if !self.errors.is_empty() {
            self.pending.clear();
            return Ok(());
        }
        for r in self.pending.drain(..) {
            on_record(r).map_err(AnswerFileError::Stopped)?;
        }
        Ok(())
    }

    fn finish<E>(self) -> Result<AnswerStats, AnswerFileError<E>> {
        if self.errors.is_empty() {
            Ok(self.stats)
        } else {
            Err(AnswerFileError::Invalid {
                errors: self.errors,
                stats: Some(self.stats),
            })
        }
    }
}
