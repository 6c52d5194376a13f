//! A CSV score file read as a stream of byte records: the text decoded on the fly (UTF-8 with
//! or without BOM, UTF-16 with BOM), the delimiter sniffed from the header line, and each
//! record checked in a reused buffer and handed to [`Check`] before the next is read. The
//! bounds and messages are those of the table reader (`crate::table::csv_table`): a file
//! whose text is damaged is refused with those problems alone, as it was when the whole file
//! was decoded first.

use std::io::{self, BufRead, BufReader, Cursor, Read};

use super::check::{Cells, Check, Sink};
use crate::codes;
use crate::error::{ImportError, ImportErrors, Problem};
use crate::limits::{
    MAX_COLUMNS, MAX_FILE_BYTES, StreamBounds, forbidden_char, forbidden_char_problem, grouped,
    size_text,
};
use crate::table::{checked_text, column_letter, sniff_delimiter};
use crate::text_stream::{csv_io, decoded};

/// Counts the bytes read, so a stream longer than its bound is refused by its size (reading
/// stops one byte past the bound).
struct Counted<R> {
    inner: io::Take<R>,
    read: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// The problem of a file above `max` bytes.
pub(super) fn too_large(file: &str, size: u64, max: u64) -> ImportErrors {
    ImportError::file(
        file,
        Problem::new(codes::FILE_TOO_LARGE)
            .arg("size", size_text(size))
            .arg("max", size_text(max)),
    )
    .into()
}

/// Reads CSV text from `input` into `check`. `Err` holds the problems of the text itself
/// (encoding, control characters, bounds, unreadable records): when there are any, the rows'
/// own problems are not reported, as the table reader never got to them.
pub(super) fn read_csv(
    file: &str,
    input: impl Read,
    bounds: StreamBounds,
    check: &mut Check<'_>,
    sink: &mut impl Sink,
) -> Result<(), ImportErrors> {
    let mut counted = Counted {
        inner: input.take(bounds.bytes.saturating_add(1)),
        read: 0,
    };
    let result = read_text(file, &mut counted, bounds, check, sink);
    // Whatever was found in a truncated text, the size is the reason.
    if counted.read > bounds.bytes {
        return Err(too_large(file, counted.read, bounds.bytes));
    }
    result
}

fn read_text(
    file: &str,
    input: impl Read,
    bounds: StreamBounds,
    check: &mut Check<'_>,
    sink: &mut impl Sink,
) -> Result<(), ImportErrors> {
    let unreadable = |e: io::Error| -> ImportErrors {
        ImportError::file(file, Problem::new(codes::FILE_UNREADABLE).arg("error", e)).into()
    };
    let (text, encoding, _) = decoded(input).map_err(unreadable)?;
    let mut text = BufReader::with_capacity(1 << 16, text);
    let mut errors = ImportErrors::default();
    // Leading blank and `#` lines are read as text, since an unquoted comma inside a comment
    // must not split it; the next line is the header, read ahead to sniff the delimiter and
    // put back.
    let mut line_no = 0;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut text)
            .take(MAX_FILE_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| ImportErrors::from(csv_io(file, encoding, &e)))?;
        if n == 0 {
            break;
        }
        let Ok(s) = std::str::from_utf8(&line) else {
            // The line of the first byte that is not UTF-8, as the table reader names it.
            return Err(ImportError::row(file, line_no + 1, Problem::new(codes::NOT_UTF8)).into());
        };
        let trimmed = s.trim();
        let unquoted = trimmed.strip_prefix('"').unwrap_or(trimmed);
        if trimmed.is_empty() || trimmed.chars().all(|c| matches!(c, ',' | ';' | '\t')) {
            line_no += 1;
            continue;
        }
        if unquoted.starts_with('#') {
            line_no += 1;
            if let Some(c) = forbidden_char(trimmed) {
                errors.push(ImportError::row(file, line_no, forbidden_char_problem(c)));
            }
            continue;
        }
        break;
    }
    let delimiter = sniff_delimiter(&String::from_utf8_lossy(&line));
    check.delimiter(delimiter);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(1 << 16)
        .from_reader(Cursor::new(line).chain(text));
    let mut bytes = csv::ByteRecord::new();
    let mut rows = 0usize;
    let mut cells_total = 0usize;
    let mut index = 0;
    while !errors.is_full() {
        index += 1;
        match reader.read_byte_record(&mut bytes) {
            Ok(false) => break,
            Ok(true) => {
                // The line the record starts on, so a quoted cell spanning lines does not
                // shift the numbers of the rows below it.
                let number = line_no + bytes.position().map_or(index, |p| p.line() as usize);
                if rows >= bounds.rows {
                    errors.push(ImportError::row(
                        file,
                        number,
                        Problem::new(codes::TOO_MANY_ROWS).arg("max", grouped(bounds.rows as u64)),
                    ));
                    break;
                }
                if bytes.len() > MAX_COLUMNS {
                    errors.push(ImportError::row(
                        file,
                        number,
                        Problem::new(codes::ROW_TOO_MANY_COLUMNS)
                            .arg("cells", grouped(bytes.len() as u64))
                            .arg("max", grouped(MAX_COLUMNS as u64)),
                    ));
                    continue;
                }
                rows += 1;
                cells_total += bytes.len();
                if cells_total > bounds.cells {
                    errors.push(ImportError::row(
                        file,
                        number,
                        Problem::new(codes::TOO_MANY_CELLS)
                            .arg("max", grouped(bounds.cells as u64)),
                    ));
                    break;
                }
                // The record's bytes are validated once and then read in place; the buffer
                // goes back to the reader for the next record.
                let record = match csv::StringRecord::from_byte_record(std::mem::take(&mut bytes)) {
                    Ok(r) => r,
                    Err(_) => {
                        return Err(
                            ImportError::row(file, number, Problem::new(codes::NOT_UTF8)).into(),
                        );
                    }
                };
                for (col, cell) in record.iter().enumerate() {
                    // Printable ASCII needs no look at characters.
                    if cell.len() <= 4096 && cell.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                        continue;
                    }
                    if let Err(problem) = checked_text(cell) {
                        errors.push(ImportError::cell(
                            file,
                            number,
                            &column_letter(col),
                            problem,
                        ));
                    }
                }
                if errors.is_empty() {
                    if !check.has_header() {
                        let first = record.cell(0);
                        if !record.is_blank() && !first.starts_with('#') {
                            check.header(number, &record);
                        }
                    } else if !record.is_blank() {
                        check.row(number, &record, sink);
                    }
                }
                bytes = record.into_byte_record();
            }
            Err(e) => {
                if let csv::ErrorKind::Io(io) = e.kind() {
                    // Text that does not decode: the table reader refused the whole file.
                    return Err(csv_io(file, encoding, io).into());
                }
                errors.push(ImportError::row(
                    file,
                    line_no + e.position().map_or(index, |p| p.line() as usize),
                    Problem::new(codes::CSV_ROW_UNREADABLE).arg("error", e),
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if !check.has_header() {
        return Err(ImportError::file(file, Problem::new(codes::FILE_EMPTY)).into());
    }
    Ok(())
}
