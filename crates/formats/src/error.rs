//! Import errors: every problem found in a file, each naming the file, the row and the column
//! at fault in Vietnamese, so a user can fix the whole file in one pass instead of one error per
//! upload.

use std::fmt;

/// One problem in an imported file.
///
/// `row` is 1-based as a spreadsheet shows it (the header is row 1 in a plain CSV file); for a
/// YAML file it is the line number when it could be located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The file name as the user knows it (`units.csv`), not a full server path.
    pub file: String,
    pub row: Option<usize>,
    /// The column header as written in the file (`group`, `nhóm`, `1.2`).
    pub column: Option<String>,
    /// What is wrong, in Vietnamese.
    pub message: String,
}

impl ImportError {
    /// An error about the file as a whole.
    pub fn file(file: &str, message: impl Into<String>) -> Self {
        ImportError {
            file: file.to_owned(),
            row: None,
            column: None,
            message: message.into(),
        }
    }

    /// An error about one row.
    pub fn row(file: &str, row: usize, message: impl Into<String>) -> Self {
        ImportError {
            file: file.to_owned(),
            row: Some(row),
            column: None,
            message: message.into(),
        }
    }

    /// An error about one cell.
    pub fn cell(file: &str, row: usize, column: &str, message: impl Into<String>) -> Self {
        ImportError {
            file: file.to_owned(),
            row: Some(row),
            column: Some(column.to_owned()),
            message: message.into(),
        }
    }
}

impl fmt::Display for ImportError {
    /// `units.csv, dòng 4, cột "group": thiếu tên nhóm`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(row) = self.row {
            write!(f, ", dòng {row}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", cột \"{column}\"")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ImportError {}

/// All the problems found in one import; never empty when returned as an error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportErrors(pub Vec<ImportError>);

impl ImportErrors {
    /// The errors, in the order they were found (file order).
    pub fn errors(&self) -> &[ImportError] {
        &self.0
    }

    /// Number of errors.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Records a problem; past [`crate::limits::MAX_REPORTED_ERRORS`] one last line says more
    /// were found and the rest are dropped, so a hostile file cannot grow the list without end.
    pub(crate) fn push(&mut self, e: ImportError) {
        use crate::limits::{MAX_REPORTED_ERRORS, grouped};
        match self.0.len().cmp(&MAX_REPORTED_ERRORS) {
            std::cmp::Ordering::Less => self.0.push(e),
            std::cmp::Ordering::Equal => {
                let message = format!(
                    "còn nhiều lỗi khác (chỉ liệt kê {} lỗi đầu tiên); sửa các lỗi trên rồi nhập lại",
                    grouped(MAX_REPORTED_ERRORS as u64)
                );
                self.0.push(ImportError::file(&e.file, message));
            }
            std::cmp::Ordering::Greater => {}
        }
    }

    /// True once the list is full: readers stop early instead of checking rows no one will
    /// see.
    pub(crate) fn is_full(&self) -> bool {
        self.0.len() > crate::limits::MAX_REPORTED_ERRORS
    }

    /// `Ok(value)` when no error was collected, so a reader returns nothing usable otherwise.
    pub(crate) fn into_result<T>(self, value: T) -> Result<T, ImportErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl From<ImportError> for ImportErrors {
    fn from(e: ImportError) -> Self {
        ImportErrors(vec![e])
    }
}

impl fmt::Display for ImportErrors {
    /// One error per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportErrors {}

impl IntoIterator for ImportErrors {
    type Item = ImportError;
    type IntoIter = std::vec::IntoIter<ImportError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Why a results file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("không ghi được tệp {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("không tạo được tệp Excel: {0}")]
    Xlsx(String),
    #[error("định dạng tệp \"{0}\" không được hỗ trợ (dùng .csv, .xlsx hoặc .json)")]
    UnsupportedFormat(String),
}
