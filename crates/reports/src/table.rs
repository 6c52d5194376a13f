//! Reading tabular files into one shape: rows of trimmed text cells with the row number a
//! spreadsheet would show. CSV (UTF-8 with or without BOM, UTF-16 with BOM as Excel's "Unicode
//! text", comma, semicolon or tab delimited) and XLSX sheets both end up as a [`Table`], so each
//! reader checks its columns once whatever the file type.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use rust_decimal::Decimal;

use crate::error::{ImportError, ImportErrors};

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

/// The format of `file_name`, or an error listing the extensions a reader accepts.
pub(crate) fn format_or_error(
    file_name: &str,
    accepted: &[FileFormat],
) -> Result<FileFormat, ImportErrors> {
    match FileFormat::of(file_name) {
        Some(f) if accepted.contains(&f) => Ok(f),
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
                format!(
                    "định dạng tệp không được hỗ trợ ở đây (dùng {})",
                    names.join(", ")
                ),
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
    match std::fs::read(path) {
        Ok(bytes) => Ok((name, bytes)),
        Err(e) => Err(ImportError::file(&name, format!("không đọc được tệp: {e}")).into()),
    }
}

/// Decodes text: UTF-8 with or without BOM, UTF-16 LE/BE with BOM.
pub(crate) fn decode_text(file: &str, bytes: &[u8]) -> Result<String, ImportError> {
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        if had_errors {
            return Err(ImportError::file(
                file,
                format!("tệp có ký tự không đọc được theo mã {}", encoding.name()),
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
            Err(ImportError::row(
                file,
                line,
                "tệp không được mã hóa UTF-8; trong Excel hãy lưu bằng \"CSV UTF-8 (Comma \
                 delimited)\" hoặc \"Unicode Text\"",
            ))
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
    pub fn stray_cells(&self, errors: &mut ImportErrors) {
        for row in &self.rows {
            for (col, cell) in row.cells.iter().enumerate().skip(self.headers.len()) {
                if !cell.is_empty() {
                    errors.push(ImportError::cell(
                        &self.file,
                        row.number,
                        &column_letter(col),
                        format!("giá trị \"{cell}\" nằm ở cột không có tiêu đề"),
                    ));
                }
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
    let mut errors = ImportErrors::default();
    for (i, record) in reader.records().enumerate() {
        let number = line_no + i + 1;
        match record {
            Ok(r) => rows.push(TableRow {
                number,
                cells: r.iter().map(|c| c.trim().to_owned()).collect(),
            }),
            Err(e) => errors.push(ImportError::row(
                file,
                number,
                format!("dòng CSV không đọc được: {e}"),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let (_, table) = Table::from_rows(file, rows);
    match table {
        Some(t) => Ok((comments, t)),
        None => Err(ImportError::file(file, "tệp trống (không có dòng tiêu đề)").into()),
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
    /// Opens an XLSX file from bytes.
    pub fn open(file: &str, bytes: &[u8]) -> Result<XlsxBook, ImportError> {
        match open_workbook_from_rs::<Xlsx<_>, _>(Cursor::new(bytes.to_vec())) {
            Ok(book) => Ok(XlsxBook {
                file: file.to_owned(),
                book,
            }),
            Err(e) => Err(ImportError::file(
                file,
                format!("không mở được tệp Excel: {e}"),
            )),
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
    pub fn rows(&mut self, sheet: &str) -> Result<Vec<TableRow>, ImportError> {
        let range = self.book.worksheet_range(sheet).map_err(|e| {
            ImportError::file(
                &self.file,
                format!("không đọc được trang tính \"{sheet}\": {e}"),
            )
        })?;
        // Styles tell percent-formatted numbers (0,952 shown as 95,2 %) apart; without them
        // the raw number is used.
        let styles = self.book.worksheet_style(sheet).ok();
        let Some((r0, c0)) = range.start() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for (i, cells) in range.rows().enumerate() {
            let abs_row = r0 + i as u32;
            let cells = cells
                .iter()
                .enumerate()
                .map(|(j, cell)| {
                    let percent = styles
                        .as_ref()
                        .and_then(|s| s.get((abs_row, c0 + j as u32)))
                        .and_then(|s| s.number_format.as_ref())
                        .is_some_and(|f| f.format_code.contains('%'));
                    cell_text(cell, percent)
                })
                .collect();
            out.push(TableRow {
                number: abs_row as usize + 1,
                cells,
            });
        }
        Ok(out)
    }

    /// A sheet as a table (comment rows first, then the header).
    pub fn table(&mut self, sheet: &str) -> Result<(Vec<(usize, String)>, Table), ImportErrors> {
        let rows = self.rows(sheet)?;
        match Table::from_rows(&self.file, rows) {
            (comments, Some(t)) => Ok((comments, t)),
            (_, None) => Err(ImportError::file(
                &self.file,
                format!("trang tính \"{sheet}\" trống (không có dòng tiêu đề)"),
            )
            .into()),
        }
    }

    /// The first sheet as a table.
    pub fn first_table(&mut self) -> Result<(Vec<(usize, String)>, Table), ImportErrors> {
        let Some(first) = self.sheet_names().into_iter().next() else {
            return Err(ImportError::file(&self.file, "tệp Excel không có trang tính nào").into());
        };
        self.table(&first)
    }
}

/// The text a cell shows, in the form the parsers accept: numbers with a decimal point and at
/// most 15 significant digits (as Excel keeps them), dates as dd/mm/yyyy.
fn cell_text(cell: &Data, percent: bool) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(i) => {
            if percent {
                format!("{}%", Decimal::from(*i) * Decimal::ONE_HUNDRED)
            } else {
                i.to_string()
            }
        }
        Data::Float(f) => {
            let Some(d) = f64_to_decimal(*f) else {
                return f.to_string();
            };
            if percent {
                format!("{}%", (d * Decimal::ONE_HUNDRED).normalize())
            } else {
                d.to_string()
            }
        }
        Data::Bool(b) => if *b { "true" } else { "false" }.to_owned(),
        Data::DateTime(dt) => {
            if dt.is_datetime() {
                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                format!("{d:02}/{m:02}/{y:04}")
            } else {
                f64_to_decimal(dt.as_f64())
                    .map_or_else(|| dt.as_f64().to_string(), |d| d.to_string())
            }
        }
        Data::DateTimeIso(s) => s.split('T').next().unwrap_or(s).to_owned(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
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
