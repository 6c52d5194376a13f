//! Reading tabular files into one shape: rows of trimmed text cells with the row number a
//! spreadsheet would show. CSV (UTF-8 with or without BOM, UTF-16 with BOM as Excel's "Unicode
//! text", comma, semicolon or tab delimited) and XLSX sheets both end up as a [`Table`], so each
//! reader checks its columns once whatever the file type.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, Xlsx, open_workbook_from_rs};
use rust_decimal::Decimal;

use crate::codes;
use crate::error::{ImportError, ImportErrors, Problem};
use crate::limits::{
    MAX_CELL_CHARS, MAX_CELLS, MAX_COLUMNS, MAX_FILE_BYTES, MAX_ROWS, MAX_SHARED_STRINGS,
    MAX_SHARED_STRINGS_BYTES, MAX_TABLE_TEXT_BYTES, MAX_XLSX_ENTRIES, MAX_XLSX_UNCOMPRESSED_BYTES,
    MAX_YAML_BYTES, forbidden_char, forbidden_char_problem, grouped, size_text,
};

/// The formats chiso reads and writes, chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// `.yaml`, `.yml`.
    Yaml,
    /// `.csv` (also `.txt` and `.tsv`, as Excel names "Unicode text" exports).
    Csv,
    /// `.xlsx`.
    Xlsx,
    /// `.json`.
    Json,
}

impl FileFormat {
    /// The format of a file name by its extension (case-insensitive).
    pub fn of(file_name: &str) -> Option<FileFormat> {
        let ext = file_name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "yaml" | "yml" => FileFormat::Yaml,
            "csv" | "txt" | "tsv" => FileFormat::Csv,
            "xlsx" | "xlsm" => FileFormat::Xlsx,
            "json" => FileFormat::Json,
            _ => return None,
        })
    }
}

/// The format of `file_name`, or an error listing the extensions a reader accepts; a file of
/// `len` bytes above the format's bound ([`MAX_YAML_BYTES`], [`MAX_FILE_BYTES`]) is refused
/// before anything is decoded.
pub(crate) fn format_or_error(
    file_name: &str,
    len: usize,
    accepted: &[FileFormat],
) -> Result<FileFormat, ImportErrors> {
    match FileFormat::of(file_name) {
        Some(f) if accepted.contains(&f) => {
            let max = if f == FileFormat::Yaml {
                MAX_YAML_BYTES
            } else {
                MAX_FILE_BYTES
            };
            if len > max {
                return Err(ImportError::file(
                    file_name,
                    Problem::new(codes::FILE_TOO_LARGE)
                        .arg("size", size_text(len as u64))
                        .arg("max", size_text(max as u64)),
                )
                .into());
            }
            Ok(f)
        }
        _ => {
            let names: Vec<&str> = accepted
                .iter()
                .map(|f| match f {
                    FileFormat::Yaml => ".yaml",
                    FileFormat::Csv => ".csv",
                    FileFormat::Xlsx => ".xlsx",
                    FileFormat::Json => ".json",
                })
                .collect();
            Err(ImportError::file(
                file_name,
                Problem::new(codes::FORMAT_UNSUPPORTED).arg("accepted", names.join(", ")),
            )
            .into())
        }
    }
}

/// Reads a file for a path-based entry point; the error names the file as the user gave it.
pub(crate) fn read_path(path: &std::path::Path) -> Result<(String, Vec<u8>), ImportErrors> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    // One byte more than any reader accepts is enough for the size check to refuse it.
    let mut bytes = Vec::new();
    match std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes))
    {
        Ok(_) => Ok((name, bytes)),
        Err(e) => Err(ImportError::file(
            &name,
            Problem::new(codes::FILE_UNREADABLE).arg("error", e),
        )
        .into()),
    }
}

/// Decodes text: UTF-8 with or without BOM, UTF-16 LE/BE with BOM.
pub(crate) fn decode_text(file: &str, bytes: &[u8]) -> Result<String, ImportError> {
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        if had_errors {
            return Err(ImportError::file(
                file,
                Problem::new(codes::ENCODING_INVALID).arg("encoding", encoding.name()),
            ));
        }
        return Ok(text.into_owned());
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_owned()),
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            Err(ImportError::row(file, line, Problem::new(codes::NOT_UTF8)))
        }
    }
}

/// One row of a table: its spreadsheet row number and its trimmed cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableRow {
    pub number: usize,
    pub cells: Vec<String>,
}

impl TableRow {
    /// The cell at `col`, empty when the row is shorter.
    pub fn get(&self, col: usize) -> &str {
        self.cells.get(col).map_or("", String::as_str)
    }

    fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.is_empty())
    }
}

/// A header row and the data rows below it (blank rows dropped).
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub file: String,
    pub header_row: usize,
    pub headers: Vec<String>,
    pub rows: Vec<TableRow>,
    /// The delimiter of a CSV file, `None` for a sheet: an unquoted decimal comma in a
    /// comma-delimited file splits a number in two, which messages then name as the cause.
    pub delimiter: Option<u8>,
}

impl Table {
    /// Builds a table from raw rows: leading blank rows and rows whose first cell starts with
    /// `#` are returned as comment lines (row number, text after `#`); the next row is the
    /// header. `None` when there is no header at all.
    pub fn from_rows(file: &str, raw: Vec<TableRow>) -> (Vec<(usize, String)>, Option<Table>) {
        let mut comments = Vec::new();
        let mut it = raw.into_iter();
        for row in it.by_ref() {
            if row.is_blank() {
                continue;
            }
            let first = row.get(0);
            if let Some(rest) = first.strip_prefix('#') {
                let others: Vec<&str> = row.cells[1..]
                    .iter()
                    .map(String::as_str)
                    .filter(|c| !c.is_empty())
                    .collect();
                let mut text = rest.trim().to_owned();
                if !others.is_empty() {
                    // A `# key: value` line split by the delimiter (unquoted comma).
                    text = format!("{text}, {}", others.join(", "));
                }
                comments.push((row.number, text));
                continue;
            }
            let mut headers: Vec<String> = row.cells.iter().map(|c| c.trim().to_owned()).collect();
            while headers.last().is_some_and(String::is_empty) {
                headers.pop();
            }
            let rows = it.filter(|r| !r.is_blank()).collect();
            return (
                comments,
                Some(Table {
                    file: file.to_owned(),
                    header_row: row.number,
                    headers,
                    rows,
                    delimiter: None,
                }),
            );
        }
        (comments, None)
    }

    /// Finds the column whose header matches one of `names` (case-insensitive, spaces and
    /// `_` ignored).
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        self.headers.iter().position(|h| {
            let h = header_key(h);
            names.iter().any(|n| header_key(n) == h)
        })
    }

    /// True for a column that carries no data to check: a row-number column (`STT`) or a
    /// column without header and without any value.
    pub fn skippable(&self, col: usize) -> bool {
        let h = self.headers.get(col).map_or("", String::as_str);
        is_ignored_header(h) || (h.is_empty() && self.rows.iter().all(|r| r.get(col).is_empty()))
    }

    /// Errors for cells that hold data below no header, so nothing typed is silently lost.
    /// In a comma-delimited CSV file such a row has more fields than the header, most often
    /// because a decimal comma (`1,5`) or a name with a comma was not quoted: one error names
    /// the row and says so.
    pub fn stray_cells(&self, errors: &mut ImportErrors) {
        for row in &self.rows {
            let stray: Vec<(usize, &String)> = row
                .cells
                .iter()
                .enumerate()
                .skip(self.headers.len())
                .filter(|(_, c)| !c.is_empty())
                .collect();
            let Some((first_col, _)) = stray.first() else {
                continue;
            };
            if self.delimiter == Some(b',') {
                let values: Vec<&str> = stray.iter().map(|(_, c)| c.as_str()).collect();
                errors.push(ImportError::cell(
                    &self.file,
                    row.number,
                    &column_letter(*first_col),
                    Problem::new(codes::ROW_WIDER_THAN_HEADER)
                        .arg("columns", self.headers.len())
                        .arg("values", values.join("\", \"")),
                ));
                continue;
            }
            for (col, cell) in stray {
                errors.push(ImportError::cell(
                    &self.file,
                    row.number,
                    &column_letter(col),
                    Problem::new(codes::CELL_WITHOUT_HEADER).arg("value", cell),
                ));
            }
        }
    }
}

/// Normalised header for matching: lowercase, without spaces, `_`, `-` or a trailing `(…)`
/// such as `(%)`.
pub(crate) fn header_key(h: &str) -> String {
    let h = h.split('(').next().unwrap_or(h);
    h.to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-'))
        .collect()
}

/// Headers that carry no data and are accepted in every file (row numbers).
pub(crate) fn is_ignored_header(h: &str) -> bool {
    matches!(header_key(h).as_str(), "stt" | "tt" | "#" | "sốthứtự")
}

/// Spreadsheet column letters for a 0-based index: 0 → `A`, 27 → `AB`.
pub(crate) fn column_letter(mut col: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// Counts `delim` outside double quotes.
fn count_outside_quotes(line: &str, delim: char) -> usize {
    let mut quoted = false;
    let mut n = 0;
    for c in line.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if c == delim && !quoted {
            n += 1;
        }
    }
    n
}

/// The delimiter of a header line: the most frequent of `,`, `;` and tab outside quotes
/// (Excel writes `;` in the Vietnamese locale and tabs in "Unicode text").
pub(crate) fn sniff_delimiter(header_line: &str) -> u8 {
    let candidates = [(b',', ','), (b';', ';'), (b'\t', '\t')];
    let mut best = (b',', 0);
    for (byte, ch) in candidates {
        let n = count_outside_quotes(header_line, ch);
        if n > best.1 {
            best = (byte, n);
        }
    }
    best.0
}

/// Parses CSV bytes into comment lines and a table.
pub(crate) fn csv_table(
    file: &str,
    bytes: &[u8],
) -> Result<(Vec<(usize, String)>, Table), ImportErrors> {
    let text = decode_text(file, bytes)?;
    // Leading blank and `#` lines are read as text, since an unquoted comma inside a comment
    // must not split it.
    let mut comments = Vec::new();
    let mut offset = 0;
    let mut line_no = 0;
    let mut header_line = "";
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        let unquoted = trimmed.strip_prefix('"').unwrap_or(trimmed);
        if trimmed.is_empty() || trimmed.chars().all(|c| matches!(c, ',' | ';' | '\t')) {
            line_no += 1;
            offset += line.len();
            continue;
        }
        if unquoted.starts_with('#') {
            line_no += 1;
            offset += line.len();
            comments.push((line_no, trimmed.to_owned()));
            continue;
        }
        header_line = line;
        break;
    }
    let delimiter = sniff_delimiter(header_line);
    let mut errors = ImportErrors::default();
    for (n, line) in &comments {
        if let Some(c) = forbidden_char(line) {
            errors.push(ImportError::row(file, *n, forbidden_char_problem(c)));
        }
    }
    let comments = comments
        .into_iter()
        .map(|(n, line)| (n, comment_text(&line, delimiter)))
        .collect();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(&text.as_bytes()[offset..]);
    let mut rows = Vec::new();
    let mut cells_total = 0usize;
    let mut record = csv::StringRecord::new();
    let mut index = 0;
    while !errors.is_full() {
        index += 1;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                // The line the record starts on, so a quoted cell spanning lines does not
                // shift the numbers of the rows below it.
                let number = line_no + record.position().map_or(index, |p| p.line() as usize);
                if rows.len() >= MAX_ROWS {
                    errors.push(ImportError::row(
                        file,
                        number,
                        Problem::new(codes::TOO_MANY_ROWS).arg("max", grouped(MAX_ROWS as u64)),
                    ));
                    break;
                }
                if record.len() > MAX_COLUMNS {
                    errors.push(ImportError::row(
                        file,
                        number,
                        Problem::new(codes::ROW_TOO_MANY_COLUMNS)
                            .arg("cells", grouped(record.len() as u64))
                            .arg("max", grouped(MAX_COLUMNS as u64)),
                    ));
                    continue;
                }
                cells_total += record.len();
                if cells_total > MAX_CELLS {
                    errors.push(ImportError::row(
                        file,
                        number,
                        Problem::new(codes::TOO_MANY_CELLS).arg("max", grouped(MAX_CELLS as u64)),
                    ));
                    break;
                }
                let cells = record
                    .iter()
                    .enumerate()
                    .map(|(col, cell)| match checked_text(cell) {
                        Ok(()) => cell.trim().to_owned(),
                        Err(problem) => {
                            errors.push(ImportError::cell(
                                file,
                                number,
                                &column_letter(col),
                                problem,
                            ));
                            String::new()
                        }
                    })
                    .collect();
                rows.push(TableRow { number, cells });
            }
            Err(e) => errors.push(ImportError::row(
                file,
                line_no + e.position().map_or(index, |p| p.line() as usize),
                Problem::new(codes::CSV_ROW_UNREADABLE).arg("error", e),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let (_, table) = Table::from_rows(file, rows);
    match table {
        Some(t) => Ok((
            comments,
            Table {
                delimiter: Some(delimiter),
                ..t
            },
        )),
        None => Err(ImportError::file(file, Problem::new(codes::FILE_EMPTY)).into()),
    }
}

/// The text a cell may hold: at most [`MAX_CELL_CHARS`] characters and no control character
/// but tab and line breaks; the problem says what is wrong otherwise.
pub(crate) fn checked_text(text: &str) -> Result<(), Problem> {
    // Bytes bound characters from above: the count is only needed for long cells.
    if text.len() > MAX_CELL_CHARS && text.chars().count() > MAX_CELL_CHARS {
        return Err(Problem::new(codes::CELL_TOO_LONG)
            .arg("length", grouped(text.chars().count() as u64))
            .arg("max", grouped(MAX_CELL_CHARS as u64)));
    }
    match forbidden_char(text) {
        Some(c) => Err(forbidden_char_problem(c)),
        None => Ok(()),
    }
}

/// The text of a `# key: value` comment line, unquoting it when a spreadsheet quoted it and
/// dropping the empty cells a spreadsheet appends.
fn comment_text(line: &str, delimiter: u8) -> String {
    let body = if line.starts_with('"') {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(line.as_bytes());
        let mut rec = csv::StringRecord::new();
        match r.read_record(&mut rec) {
            Ok(true) => rec
                .iter()
                .filter(|c| !c.trim().is_empty())
                .collect::<Vec<_>>()
                .join(", "),
            _ => line.to_owned(),
        }
    } else {
        line.trim_end_matches([',', ';', '\t', ' ']).to_owned()
    };
    let body = body.trim();
    body.strip_prefix('#').unwrap_or(body).trim().to_owned()
}

/// An opened XLSX workbook.
pub(crate) struct XlsxBook {
    file: String,
    book: Xlsx<Cursor<Vec<u8>>>,
}

impl std::fmt::Debug for XlsxBook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XlsxBook")
            .field("file", &self.file)
            .finish()
    }
}

impl XlsxBook {
    /// Opens an XLSX file from bytes, after checking from the zip directory that it does not
    /// expand beyond the bounds of [`crate::limits`].
    pub fn open(file: &str, bytes: &[u8]) -> Result<XlsxBook, ImportError> {
        check_package(file, bytes)?;
        let opened = guarded(file, || {
            open_workbook_from_rs::<Xlsx<_>, _>(Cursor::new(bytes.to_vec())).map_err(|e| {
                ImportError::file(file, Problem::new(codes::XLSX_UNOPENABLE).arg("error", e)).into()
            })
        });
        match opened {
            Ok(book) => Ok(XlsxBook {
                file: file.to_owned(),
                book,
            }),
            Err(mut e) => Err(e.0.remove(0)),
        }
    }

    /// Sheet names in workbook order.
    pub fn sheet_names(&self) -> Vec<String> {
        self.book.sheet_names()
    }

    /// The sheet whose name matches one of `names` (case-insensitive).
    pub fn find_sheet(&self, names: &[&str]) -> Option<String> {
        self.sheet_names()
            .into_iter()
            .find(|s| names.iter().any(|n| header_key(n) == header_key(s)))
    }

    /// All rows of a sheet as text cells, numbered as Excel shows them.
    ///
    /// Cells are streamed one by one and only those with a value are kept, so a sheet whose
    /// used range spans `A1:XFD1048576` costs what its values cost; a value beyond
    /// [`MAX_ROWS`] or [`MAX_COLUMNS`], or more than [`MAX_CELLS`] cells or
    /// [`MAX_TABLE_TEXT_BYTES`] of text, is refused naming the sheet and the cell.
    pub fn rows(&mut self, sheet: &str) -> Result<Vec<TableRow>, ImportErrors> {
        let file = self.file.clone();
        guarded(&file, || self.stream_rows(sheet))
    }

    fn stream_rows(&mut self, sheet: &str) -> Result<Vec<TableRow>, ImportErrors> {
        let file = self.file.clone();
        let unreadable = |e: calamine::XlsxError| {
            ImportError::file(
                &file,
                Problem::new(codes::SHEET_UNREADABLE)
                    .arg("sheet", sheet)
                    .arg("error", e),
            )
        };
        let mut reader = self
            .book
            .worksheet_cells_reader(sheet)
            .map_err(unreadable)?;
        // Styles tell percent-formatted numbers (0,952 shown as 95,2 %) apart.
        let percent: Vec<bool> = reader
            .styles()
            .iter()
            .map(|s| {
                s.number_format
                    .as_ref()
                    .is_some_and(|f| f.format_code.contains('%'))
            })
            .collect();
        let mut rows: BTreeMap<u32, Vec<String>> = BTreeMap::new();
        let mut errors = ImportErrors::default();
        let (mut slots, mut text_bytes) = (0usize, 0usize);
        while !errors.is_full() {
            let Some((cell, style)) = reader.next_cell_with_style_id().map_err(unreadable)? else {
                break;
            };
            let value = cell.get_value();
            if matches!(value, DataRef::Empty) {
                continue;
            }
            let (r, c) = cell.get_position();
            let (row, col) = (r as usize, c as usize);
            let at = format!("{}{}", column_letter(col), row + 1);
            let refuse = |problem: Problem| {
                ImportError::cell(
                    &file,
                    row + 1,
                    &column_letter(col),
                    Problem::new(codes::SHEET_CELL)
                        .arg("sheet", sheet)
                        .arg("cell", &at)
                        .because(problem),
                )
            };
            if row >= MAX_ROWS || col >= MAX_COLUMNS {
                errors.push(refuse(
                    Problem::new(codes::OUTSIDE_READABLE_AREA)
                        .arg("rows", grouped(MAX_ROWS as u64))
                        .arg("columns", grouped(MAX_COLUMNS as u64))
                        .arg("last_column", column_letter(MAX_COLUMNS - 1)),
                ));
                return Err(errors);
            }
            let raw_text = match value {
                DataRef::String(t) => Some(t.as_str()),
                DataRef::SharedString(t) => Some(*t),
                _ => None,
            };
            if let Some(t) = raw_text
                && let Err(problem) = checked_text(t)
            {
                errors.push(refuse(problem));
                continue;
            }
            let t = cell_text(value, percent.get(style).copied().unwrap_or(false));
            text_bytes += t.len();
            let cells = rows.entry(r).or_default();
            if cells.len() <= col {
                slots += col + 1 - cells.len();
                cells.resize(col + 1, String::new());
            }
            if slots > MAX_CELLS || text_bytes > MAX_TABLE_TEXT_BYTES {
                errors.push(refuse(
                    Problem::new(codes::SHEET_TOO_LARGE)
                        .arg("cells", grouped(MAX_CELLS as u64))
                        .arg("text", size_text(MAX_TABLE_TEXT_BYTES as u64)),
                ));
                return Err(errors);
            }
            cells[col] = t;
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(rows
            .into_iter()
            .map(|(r, cells)| TableRow {
                number: r as usize + 1,
                cells,
            })
            .collect())
    }

    /// A sheet as a table (comment rows first, then the header).
    pub fn table(&mut self, sheet: &str) -> Result<(Vec<(usize, String)>, Table), ImportErrors> {
        let rows = self.rows(sheet)?;
        match Table::from_rows(&self.file, rows) {
            (comments, Some(t)) => Ok((comments, t)),
            (_, None) => Err(ImportError::file(
                &self.file,
                Problem::new(codes::SHEET_EMPTY).arg("sheet", sheet),
            )
            .into()),
        }
    }

    /// The first sheet as a table.
    pub fn first_table(&mut self) -> Result<(Vec<(usize, String)>, Table), ImportErrors> {
        let Some(first) = self.sheet_names().into_iter().next() else {
            return Err(ImportError::file(&self.file, Problem::new(codes::XLSX_NO_SHEETS)).into());
        };
        self.table(&first)
    }
}

/// The text a cell shows, in the form the parsers accept: numbers with a decimal point and at
/// most 15 significant digits (as Excel keeps them), dates as dd/mm/yyyy.
fn cell_text(cell: &DataRef<'_>, percent: bool) -> String {
    match cell {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.trim().to_owned(),
        DataRef::SharedString(s) => s.trim().to_owned(),
        DataRef::Int(i) => {
            if percent {
                format!("{}%", Decimal::from(*i) * Decimal::ONE_HUNDRED)
            } else {
                i.to_string()
            }
        }
        DataRef::Float(f) => {
            let Some(d) = f64_to_decimal(*f) else {
                return f.to_string();
            };
            if percent {
                // Checked: a huge double times a hundred overflows the decimal.
                d.checked_mul(Decimal::ONE_HUNDRED)
                    .map_or_else(|| f.to_string(), |p| format!("{}%", p.normalize()))
            } else {
                d.to_string()
            }
        }
        DataRef::Bool(b) => if *b { "true" } else { "false" }.to_owned(),
        DataRef::DateTime(dt) => {
            if dt.is_datetime() {
                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                format!("{d:02}/{m:02}/{y:04}")
            } else {
                f64_to_decimal(dt.as_f64())
                    .map_or_else(|| dt.as_f64().to_string(), |d| d.to_string())
            }
        }
        DataRef::DateTimeIso(s) => s.split('T').next().unwrap_or(s).to_owned(),
        DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => format!("#{e:?}"),
    }
}

/// Runs a call into the spreadsheet library and turns a panic into an error about the file.
/// The library is third-party code parsing untrusted bytes and some malformed references
/// (a column such as `ZZZZZZZZ1`) overflow its arithmetic; an import must then be refused,
/// not take the process or the request down. The library's state is dropped with the error.
fn guarded<T>(file: &str, f: impl FnOnce() -> Result<T, ImportErrors>) -> Result<T, ImportErrors> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let why = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(ImportError::file(file, Problem::new(codes::XLSX_BROKEN).arg("error", why)).into())
        }
    }
}

/// Checks an XLSX package from its zip directory before the spreadsheet reader opens it:
/// the number of entries, their total uncompressed size, the size of the shared strings and
/// the count they announce (the reader reserves memory for it up front). Declared sizes are
/// enough here because decompression fails where an entry outgrows its declared size.
fn check_package(file: &str, bytes: &[u8]) -> Result<(), ImportError> {
    let bad = |e: &dyn std::fmt::Display| {
        ImportError::file(file, Problem::new(codes::XLSX_UNOPENABLE).arg("error", e))
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| bad(&e))?;
    if zip.len() > MAX_XLSX_ENTRIES {
        return Err(ImportError::file(
            file,
            Problem::new(codes::XLSX_TOO_MANY_ENTRIES)
                .arg("entries", grouped(zip.len() as u64))
                .arg("max", grouped(MAX_XLSX_ENTRIES as u64)),
        ));
    }
    let mut total: u64 = 0;
    let mut shared = Vec::new();
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(|e| bad(&e))?;
        total = total.saturating_add(entry.size());
        let name = entry.name().map_err(|e| bad(&e))?;
        if name
            .rsplit('/')
            .next()
            .is_some_and(|n| n.eq_ignore_ascii_case("sharedStrings.xml"))
        {
            if entry.size() > MAX_SHARED_STRINGS_BYTES {
                return Err(ImportError::file(
                    file,
                    Problem::new(codes::XLSX_SHARED_STRINGS_TOO_LARGE)
                        .arg("size", size_text(entry.size()))
                        .arg("max", size_text(MAX_SHARED_STRINGS_BYTES)),
                ));
            }
            shared.push(i);
        }
    }
    if total > MAX_XLSX_UNCOMPRESSED_BYTES {
        return Err(ImportError::file(
            file,
            Problem::new(codes::XLSX_TOO_LARGE_UNCOMPRESSED)
                .arg("size", size_text(total))
                .arg("max", size_text(MAX_XLSX_UNCOMPRESSED_BYTES)),
        ));
    }
    for i in shared {
        let entry = zip.by_index(i).map_err(|e| bad(&e))?;
        if let Some(count) = announced_strings(entry)
            && count > MAX_SHARED_STRINGS
        {
            return Err(ImportError::file(
                file,
                Problem::new(codes::XLSX_TOO_MANY_SHARED_STRINGS)
                    .arg("count", grouped(count))
                    .arg("max", grouped(MAX_SHARED_STRINGS)),
            ));
        }
    }
    Ok(())
}

/// The `uniqueCount` of a `sharedStrings.xml`, read from the start of its root element
/// (an unreadable or absent count is left for the spreadsheet reader to judge).
fn announced_strings(entry: impl Read) -> Option<u64> {
    use quick_xml::events::Event;
    // The root element comes first; a few KiB hold it in any real file.
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(entry.take(64 * 1024)));
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf).ok()? {
            Event::Start(e) | Event::Empty(e) => {
                if e.local_name().as_ref() != "sst" {
                    return None;
                }
                let attr = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.local_name().as_ref() == "uniqueCount")?;
                let text: &str = &attr.value;
                // A count too large for u64 is over the bound too.
                return Some(text.trim().parse::<u64>().unwrap_or(u64::MAX));
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// The decimal Excel shows for a stored double: 15 significant digits, trailing zeros removed.
/// Goes through the decimal text, never through floating-point arithmetic.
pub(crate) fn f64_to_decimal(f: f64) -> Option<Decimal> {
    if !f.is_finite() {
        return None;
    }
    let sci = format!("{f:.14e}");
    Decimal::from_scientific(&sci).ok().map(|d| d.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_follow_the_spreadsheet() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
    }

    #[test]
    fn the_delimiter_is_sniffed_from_the_header_line() {
        assert_eq!(sniff_delimiter("unit;1.1;1.2"), b';');
        assert_eq!(sniff_delimiter("unit,1.1,1.2"), b',');
        assert_eq!(sniff_delimiter("unit\t1.1\t1.2"), b'\t');
        assert_eq!(sniff_delimiter("\"a;b\",c"), b',');
    }

    #[test]
    fn doubles_become_the_decimal_excel_shows() {
        assert_eq!(
            f64_to_decimal(0.300_000_000_000_000_04)
                .unwrap()
                .to_string(),
            "0.3"
        );
        assert_eq!(f64_to_decimal(96.89).unwrap().to_string(), "96.89");
        assert_eq!(f64_to_decimal(100.0).unwrap().to_string(), "100");
        assert_eq!(f64_to_decimal(-1.25).unwrap().to_string(), "-1.25");
    }

    #[test]
    fn headers_match_ignoring_case_spaces_and_units() {
        assert_eq!(header_key("Chỉ số (%)"), header_key("chỉ số"));
        assert_eq!(header_key("Đơn vị cha"), "đơnvịcha");
    }
}
