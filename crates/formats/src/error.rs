//! Import errors: every problem found in a file, each naming the file, the row and the column
//! at fault, so a user can fix the whole file in one pass instead of one error per upload.
//!
//! What is wrong is a stable code with named arguments ([`Problem`], codes declared in
//! [`crate::codes`]), never a sentence: API clients switch on the code and the adapters say it
//! in the reader's language. The texts live with the adapters' other messages (the web's
//! `crates/formats/locales/{vi,en}/files.yml`, as `file.<code>`); the Vietnamese catalog is also read here so
//! that `Display`, used by logs and tests, reads as a Vietnamese user sees it.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use crate::codes;

/// A stable machine code of a file problem, e.g. `missing_column`. The set is closed
/// ([`crate::codes::ALL`]) so that a test can check every code has a text in each language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProblemCode(&'static str);

impl ProblemCode {
    /// Declared only through the catalog in [`crate::codes`].
    pub(crate) const fn new(name: &'static str) -> Self {
        ProblemCode(name)
    }

    /// The code as API clients see it (`snake_case`, stable).
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// The catalog key of its text: `file.<code>`.
    pub fn key(self) -> String {
        format!("file.{}", self.0)
    }
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// What is wrong: a code and its named arguments. Arguments are text already in display form
/// (codes as written, counts, dates `dd/mm/yyyy`) or, where a sentence embeds another one,
/// a nested problem: `mã đơn vị: {reason}` carries why the code is not valid as `reason`, and
/// a place inside a YAML file (`tiers, mức thứ 2`) is a problem of its own so that it too
/// reads in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong.
    pub code: ProblemCode,
    /// Its text arguments, in the order they were added.
    pub args: Vec<(&'static str, String)>,
    /// Its nested problems, by the name of the placeholder they fill (boxed, as most problems
    /// have none and an error travels in every `Result` of a reader).
    pub parts: Box<[(&'static str, Problem)]>,
}

impl Problem {
    /// A problem without arguments.
    pub fn new(code: ProblemCode) -> Self {
        Problem {
            code,
            args: Vec::new(),
            parts: Box::default(),
        }
    }

    /// Adds a named argument (`{name}` in the texts).
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// Adds a nested problem whose text fills `{name}`.
    pub fn part(mut self, name: &'static str, problem: Problem) -> Self {
        let mut parts = std::mem::take(&mut self.parts).into_vec();
        parts.push((name, problem));
        self.parts = parts.into_boxed_slice();
        self
    }

    /// Adds the nested problem that says why (`{reason}`).
    pub fn because(self, reason: Problem) -> Self {
        self.part("reason", reason)
    }

    /// The value of one text argument.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The nested problem filling `{name}`.
    pub fn nested(&self, name: &str) -> Option<&Problem> {
        self.parts.iter().find(|(k, _)| *k == name).map(|(_, p)| p)
    }

    /// The text in the language of `texts`, a lookup of catalog keys (`file.<code>`); a key
    /// the catalog lacks is shown as is, which a test keeps from happening.
    pub fn text(&self, texts: &dyn Fn(&str) -> Option<&'static str>) -> String {
        let key = self.code.key();
        let template = texts(&key).unwrap_or(&key);
        fill(template, &|name| {
            self.get(name)
                .map(str::to_owned)
                .or_else(|| self.nested(name).map(|p| p.text(texts)))
        })
    }
}

/// Replaces each `{name}` of `template` once, so a value holding braces is never read as a
/// placeholder; unknown names are left as written.
pub(crate) fn fill(template: &str, value: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close)
                if after[..close]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && close > 0 =>
            {
                let name = &after[..close];
                match value(name) {
                    Some(v) => out.push_str(&v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The texts of the problem codes, `file.<code>: text`, in Vietnamese: kept beside the codes
/// so that this crate owns them; the web adds them to its catalogs and `Display` reads them.
pub const TEXTS_VI: &str = include_str!("../locales/vi/files.yml");

/// The same in English.
pub const TEXTS_EN: &str = include_str!("../locales/en/files.yml");

/// The Vietnamese texts of the codes, for `Display`.
static VI: LazyLock<BTreeMap<String, String>> = LazyLock::new(|| {
    serde_yaml_ng::from_str(TEXTS_VI).expect("vi/files.yml is a flat `key: text` map")
});

/// A lookup of the Vietnamese texts.
fn vi(key: &str) -> Option<&'static str> {
    VI.get(key).map(String::as_str)
}

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
    /// What is wrong.
    pub problem: Problem,
}

impl ImportError {
    /// An error about the file as a whole.
    pub fn file(file: &str, problem: Problem) -> Self {
        ImportError::at(file, None, None, problem)
    }

    /// An error about one row.
    pub fn row(file: &str, row: usize, problem: Problem) -> Self {
        ImportError::at(file, Some(row), None, problem)
    }

    /// An error about one cell.
    pub fn cell(file: &str, row: usize, column: &str, problem: Problem) -> Self {
        ImportError::at(file, Some(row), Some(column.to_owned()), problem)
    }

    /// An error at a place known in part.
    pub fn at(file: &str, row: Option<usize>, column: Option<String>, problem: Problem) -> Self {
        ImportError {
            file: file.to_owned(),
            row,
            column,
            problem,
        }
    }

    /// The code of what is wrong.
    pub fn code(&self) -> ProblemCode {
        self.problem.code
    }

    /// Its named arguments.
    pub fn args(&self) -> &[(&'static str, String)] {
        &self.problem.args
    }

    /// The whole line in the language of `texts`: the place (`file.at_row_column` and the
    /// like, with `{file}`, `{row}`, `{column}`) then the problem as `{message}`.
    pub fn text(&self, texts: &dyn Fn(&str) -> Option<&'static str>) -> String {
        let message = self.problem.text(texts);
        let key = match (self.row, &self.column) {
            (Some(_), Some(_)) => "file.at_row_column",
            (Some(_), None) => "file.at_row",
            (None, Some(_)) => "file.at_column",
            (None, None) => "file.at_file",
        };
        let template = texts(key).unwrap_or(key);
        fill(template, &|name| match name {
            "file" => Some(self.file.clone()),
            "row" => self.row.map(|r| r.to_string()),
            "column" => self.column.clone(),
            "message" => Some(message.clone()),
            _ => None,
        })
    }

    /// The problem alone in Vietnamese, without the place.
    pub fn message(&self) -> String {
        self.problem.text(&vi)
    }
}

impl fmt::Display for ImportError {
    /// `units.csv, dòng 4, cột "group": thiếu tên nhóm`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(&vi))
    }
}

impl fmt::Display for Problem {
    /// The Vietnamese text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(&vi))
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
                let problem = Problem::new(codes::TOO_MANY_ERRORS)
                    .arg("max", grouped(MAX_REPORTED_ERRORS as u64));
                self.0.push(ImportError::file(&e.file, problem));
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

/// Why a code or name of the domain model is refused, as a problem.
pub(crate) fn id_problem(e: &chiso_domain::IdError) -> Problem {
    use chiso_domain::IdError;
    match e {
        IdError::Empty => Problem::new(codes::ID_EMPTY),
        IdError::BadChars(v) => Problem::new(codes::ID_BAD_CHARS).arg("value", v),
        IdError::BadNodeCode(v) => Problem::new(codes::ID_BAD_NODE_CODE).arg("value", v),
        IdError::TooLong(v, max) => Problem::new(codes::ID_TOO_LONG)
            .arg("value", v)
            .arg("max", max),
    }
}

/// Why a value cannot be scored by its criterion's method, as a problem.
pub(crate) fn input_problem(e: &chiso_domain::InputError) -> Problem {
    use chiso_domain::InputError;
    let value = |code, v: &String| Problem::new(code).arg("value", v);
    match e {
        InputError::NotYesNo(v) => value(codes::VALUE_NOT_YES_NO, v),
        InputError::NotANumber(v) => value(codes::VALUE_NOT_NUMBER, v),
        InputError::NotARatio(v) => value(codes::VALUE_NOT_RATIO, v),
        InputError::ZeroDenominator { num, den } => Problem::new(codes::RATIO_ZERO_DENOMINATOR)
            .arg("num", num)
            .arg("den", den),
        InputError::NumeratorAboveDenominator { num, den } => {
            Problem::new(codes::RATIO_NUMERATOR_ABOVE)
                .arg("num", num)
                .arg("den", den)
        }
        InputError::PercentOutOfRange(v) => value(codes::PERCENT_OUT_OF_RANGE, v),
        InputError::Negative(v) => value(codes::VALUE_NEGATIVE, v),
        InputError::UnknownGrade { given, allowed } => Problem::new(codes::GRADE_UNKNOWN)
            .arg("value", given)
            .arg("allowed", allowed),
        InputError::NotADate(v) => value(codes::DATE_INVALID, v),
        InputError::AboveMax { value, max } => Problem::new(codes::ABOVE_MAX)
            .arg("value", value)
            .arg("max", max),
        InputError::NotOnStep { value, step } => Problem::new(codes::NOT_ON_STEP)
            .arg("value", value)
            .arg("step", step),
        InputError::NotApplicableRefused => Problem::new(codes::NOT_APPLICABLE_REFUSED),
        InputError::WrongKind(kind) => Problem::new(codes::VALUE_WRONG_KIND).arg("kind", kind),
    }
}

/// A rule of the domain model that refused the file, in the model's own words: index set
/// checks ([`chiso_domain::SetIssue`]) and method parameters are worded there.
pub(crate) fn domain_problem(text: impl ToString) -> Problem {
    Problem::new(codes::DOMAIN_RULE).arg("text", text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_read_in_vietnamese() {
        let names: std::collections::HashSet<&str> =
            codes::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), codes::ALL.len(), "a code is declared twice");
        for code in codes::ALL {
            let name = code.as_str();
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit()),
                "{name} is not snake_case"
            );
            assert!(vi(&code.key()).is_some(), "{name} has no Vietnamese text");
        }
    }

    #[test]
    fn placeholders_are_filled_once_and_unknown_ones_are_left_as_written() {
        let value = |name: &str| (name == "a").then(|| "{b}".to_owned());
        assert_eq!(
            fill("x {a} {b} {count: 1} {", &value),
            "x {b} {b} {count: 1} {"
        );
    }

    #[test]
    fn a_nested_problem_reads_inside_the_one_that_names_it() {
        let e = ImportError::cell(
            "diem.csv",
            3,
            "value",
            Problem::new(codes::CRITERION)
                .arg("criterion", "1.2")
                .because(Problem::new(codes::VALUE_NOT_NUMBER).arg("value", "mười")),
        );
        assert_eq!(
            e.to_string(),
            "diem.csv, dòng 3, cột \"value\": tiêu chí 1.2: \"mười\" không phải là số"
        );
        assert_eq!(e.code(), codes::CRITERION);
        assert_eq!(
            e.problem.nested("reason").map(|p| p.code),
            Some(codes::VALUE_NOT_NUMBER)
        );
    }
}
