//! Bounds on what an imported file may hold or expand to. Each reader checks them before it
//! trusts the file (the zip directory of a workbook before opening it, the size of a text
//! file before decoding it) and while reading (rows, cells, text), so a small hostile file
//! is refused with a message instead of exhausting memory. The figures leave room for the
//! largest real files (a national score file has about a million values) and are documented
//! in `docs/formats.md`.

/// Largest CSV, XLSX or JSON file read, in bytes (32 MiB): ten times a province's score file.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;

/// What a CSV file read as a stream may hold. A streamed file costs memory independent of its
/// size (each record is checked and handed over before the next is read), so a file the
/// administrator imports from the server's own disk may be far larger than an upload, which
/// the web keeps whole until it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamBounds {
    /// Largest file, in bytes.
    pub bytes: u64,
    /// Most rows.
    pub rows: usize,
    /// Most cells in all.
    pub cells: usize,
}

impl StreamBounds {
    /// The bounds of any file read whole: [`MAX_FILE_BYTES`], [`MAX_ROWS`], [`MAX_CELLS`].
    pub const WHOLE: StreamBounds = StreamBounds {
        bytes: MAX_FILE_BYTES as u64,
        rows: MAX_ROWS,
        cells: MAX_CELLS,
    };

    /// The bounds of a score file streamed from a local disk (`chiso import scores`): 2 GiB,
    /// 50 million rows, 250 million cells, ten times a national file of every commune with
    /// a thousand criteria; time, not memory, grows with the file.
    pub const LOCAL_FILE: StreamBounds = StreamBounds {
        bytes: 2 * 1024 * 1024 * 1024,
        rows: 50_000_000,
        cells: 250_000_000,
    };
}

/// Largest YAML index set read, in bytes (2 MiB): a 300-criterion set is about 100 KiB.
pub const MAX_YAML_BYTES: usize = 2 * 1024 * 1024;

/// Largest total text a YAML document may expand to, counting every use of an alias (16 MiB),
/// so that `&a` referenced ten thousand times ("alias bomb") is refused.
pub const MAX_YAML_EXPANDED_BYTES: usize = 16 * 1024 * 1024;

/// Most values (scalars, lists and mappings) a YAML document may hold after aliases are
/// expanded.
pub const MAX_YAML_VALUES: usize = 1_000_000;

/// Most entries in an XLSX package (a workbook has a few dozen).
pub const MAX_XLSX_ENTRIES: usize = 10_000;

/// Largest total uncompressed size of an XLSX package's entries (256 MiB). The sizes the zip
/// directory declares are summed before anything is decompressed, and decompression stops
/// with an error where an entry outgrows its declared size, so a lying directory gains
/// nothing.
pub const MAX_XLSX_UNCOMPRESSED_BYTES: u64 = 256 * 1024 * 1024;

/// Largest uncompressed `sharedStrings.xml` (64 MiB): the spreadsheet reader keeps every
/// shared string in memory as soon as the workbook is opened.
pub const MAX_SHARED_STRINGS_BYTES: u64 = 64 * 1024 * 1024;

/// Most shared strings a workbook may announce (`uniqueCount`); the spreadsheet reader
/// reserves room for the announced count up front.
pub const MAX_SHARED_STRINGS: u64 = 1_000_000;

/// Most rows of a sheet or CSV file (Excel's own limit, 1 048 576). A cell further down is
/// refused by name.
pub const MAX_ROWS: usize = 1_048_576;

/// Most columns read (1 024, column `AMJ`): a score file has one column per leaf criterion,
/// a few hundred at most. A value further right (such as a stray cell at `XFD`) is refused
/// by name rather than widening every row to it.
pub const MAX_COLUMNS: usize = 1_024;

/// Most cells of a table, counting the empty ones before the last value of each row
/// (5 000 000: a million rows of the long score shape).
pub const MAX_CELLS: usize = 5_000_000;

/// Longest text of one cell, in characters (32 767, Excel's own limit).
pub const MAX_CELL_CHARS: usize = 32_767;

/// Largest total text of a table's cells (64 MiB), so that one long shared string used in
/// every cell cannot be copied a million times.
pub const MAX_TABLE_TEXT_BYTES: usize = 64 * 1024 * 1024;

/// Most problems listed for one file; the list ends with a line saying more were found.
pub const MAX_REPORTED_ERRORS: usize = 1_000;

/// Largest CSV file of survey answers read, in bytes (512 MiB). Answer files are streamed
/// row by row, never held whole, so they may be far larger than other files: a Kobo export
/// of a province's citizen survey runs to hundreds of megabytes. An XLSX answer file is
/// loaded whole by the spreadsheet reader and keeps [`MAX_FILE_BYTES`].
pub const MAX_ANSWER_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// Most answers one answer file may hold (4 000 000). What a streamed file costs in memory is
/// what is kept to find duplicates (a few bytes per answer and per respondent), so this bounds
/// it: a million answers stay well under 150 MB.
pub const MAX_ANSWERS: usize = 4_000_000;

/// Most columns of a CSV answer file (16 384, Excel's own limit): a wide export has one
/// column per question and evaluated unit. An XLSX answer file keeps [`MAX_COLUMNS`].
pub const MAX_ANSWER_COLUMNS: usize = 16_384;

/// `1 048 576` with the Vietnamese thousands separator, for problem arguments.
pub(crate) fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// A size in bytes for problem arguments: `2 MiB`, `1,5 GiB` rounded down to one decimal.
pub(crate) fn size_text(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (name, unit) in UNITS {
        if bytes >= unit {
            let tenths = bytes * 10 / unit;
            return if tenths.is_multiple_of(10) {
                format!("{} {name}", tenths / 10)
            } else {
                format!("{},{} {name}", tenths / 10, tenths % 10)
            };
        }
    }
    format!("{bytes} byte")
}

/// The first character of `text` that a file may not carry: a control character other than
/// tab, line feed and carriage return (NUL is refused by PostgreSQL, the others are
/// invisible and come from damaged or hostile files).
pub(crate) fn forbidden_char(text: &str) -> Option<char> {
    text.chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// The problem of a forbidden character, named by its code point (`U+0000`).
pub(crate) fn forbidden_char_problem(c: char) -> crate::Problem {
    crate::Problem::new(crate::codes::CONTROL_CHAR).arg("char", format!("U+{:04X}", u32::from(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_counts_read_as_a_vietnamese_user_writes_them() {
        assert_eq!(grouped(1_048_576), "1.048.576");
        assert_eq!(grouped(999), "999");
        assert_eq!(size_text(2 * 1024 * 1024), "2 MiB");
        assert_eq!(size_text(3 * (1 << 29)), "1,5 GiB");
        assert_eq!(size_text(12), "12 byte");
    }

    #[test]
    fn only_tab_and_line_breaks_among_control_characters_are_allowed() {
        assert_eq!(forbidden_char("a\tb\r\nc"), None);
        assert_eq!(forbidden_char("a\u{0}b"), Some('\u{0}'));
        assert_eq!(forbidden_char("x\u{1b}[31m"), Some('\u{1b}'));
        assert_eq!(forbidden_char("\u{85}"), Some('\u{85}'));
        assert_eq!(forbidden_char("Tiếng Việt"), None);
    }
}
