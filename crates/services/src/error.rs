//! The one error type of the service layer: a stable [`Code`] with named arguments, never
//! prose. Adapters decide how it reads: the web maps the code's [`Kind`] to an HTTP status and
//! the code to a message in the visitor's language; the CLI prints the Vietnamese message.
//! API clients switch on the code, which does not change when a wording does.

use std::fmt;

use chiso_domain::ScoreError;
use chiso_domain::authz::Denied;
use chiso_formats::ImportErrors;
use chiso_store::StoreError;

use crate::codes;

/// What sort of failure a code is; decides the HTTP status and the CLI exit path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Something the request names does not exist (404).
    NotFound,
    /// The request carries credentials that are not valid (401): an unknown, expired or
    /// revoked API token.
    Unauthenticated,
    /// The caller may not do this (403).
    Forbidden,
    /// The input is wrong; the same request will fail again (422).
    Invalid,
    /// The request contradicts the current state: a stale version, a locked period, a set in
    /// use (409). The caller may reload and decide again.
    Conflict,
    /// The server cannot do it right now; retry later (503).
    Unavailable,
    /// What was sent is larger than accepted (413); the same content will fail again.
    TooLarge,
    /// A fault of the server or the database; details go to the log only (500).
    Internal,
}

/// A stable machine code of a refusal or failure, e.g. `period_not_found`. The set of codes is
/// closed ([`codes::ALL`]) so that a test can check every code has a text in each language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code {
    name: &'static str,
    kind: Kind,
}

impl Code {
    /// Declared only through the catalog in [`crate::codes`].
    pub(crate) const fn new(name: &'static str, kind: Kind) -> Self {
        Code { name, kind }
    }

    /// The code as API clients see it (`snake_case`, stable).
    pub fn as_str(self) -> &'static str {
        self.name
    }

    /// Its kind.
    pub fn kind(self) -> Kind {
        self.kind
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// Details too structured for a named argument, kept whole for adapters that list them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// Every problem found in an imported file (file, row, column, and a problem code with
    /// its arguments from `chiso_formats::codes`).
    Import(ImportErrors),
    /// Stored values that could not be scored.
    Score(Vec<ScoreError>),
    /// Several refusals found at once (e.g. every inconsistency of a units file with the
    /// database), so that all can be fixed in one pass.
    Problems(Vec<Problem>),
}

/// One of several refusals reported together: a code with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong.
    pub code: Code,
    /// Its named arguments.
    pub args: Vec<(&'static str, String)>,
}

impl Problem {
    /// A problem without arguments.
    pub fn new(code: Code) -> Self {
        Problem {
            code,
            args: Vec::new(),
        }
    }

    /// Adds a named argument.
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }
}

/// A refusal or failure of a service call: a code, its named arguments (values already in
/// display form: codes, dates `dd/mm/yyyy`, counts) and, for server faults, the cause.
#[derive(Debug)]
pub struct ServiceError {
    code: Code,
    args: Vec<(&'static str, String)>,
    detail: Option<Detail>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl ServiceError {
    /// A refusal without arguments.
    pub fn new(code: Code) -> Self {
        ServiceError {
            code,
            args: Vec::new(),
            detail: None,
            source: None,
        }
    }

    /// Adds a named argument (`{name}` in the adapters' message texts).
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// Attaches structured details.
    pub fn detail(mut self, detail: Detail) -> Self {
        self.detail = Some(detail);
        self
    }

    /// Attaches the underlying cause (logged, never shown to a client).
    pub fn source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// A server fault with its cause.
    pub fn internal(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        ServiceError::new(codes::INTERNAL).source(source)
    }

    /// The code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// Shorthand for `code().kind()`.
    pub fn kind(&self) -> Kind {
        self.code.kind
    }

    /// The named arguments, in the order they were added.
    pub fn args(&self) -> &[(&'static str, String)] {
        &self.args
    }

    /// The value of one argument.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Structured details, if any.
    pub fn details(&self) -> Option<&Detail> {
        self.detail.as_ref()
    }

    /// A refusal of a form with several mistakes found at once: the first mistake is the
    /// error (its code and arguments, as when it is alone), and every mistake rides along as
    /// [`Detail::Problems`] so that the form can show all of them in one pass.
    ///
    /// # Panics
    /// When `problems` is empty: a refusal names at least one mistake.
    pub fn from_problems(problems: Vec<Problem>) -> Self {
        let first = problems.first().expect("a refusal names a mistake").clone();
        let mut e = ServiceError::new(first.code);
        e.args = first.args;
        e.detail(Detail::Problems(problems))
    }

    /// Whether this is `code`.
    pub fn is(&self, code: Code) -> bool {
        self.code == code
    }
}

impl fmt::Display for ServiceError {
    /// `code(name=value, …)`: for logs and test failures. People read the adapters'
    /// translations instead.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code.name)?;
        if !self.args.is_empty() {
            f.write_str("(")?;
            for (i, (k, v)) in self.args.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{k}={v}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServiceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<StoreError> for ServiceError {
    /// The store's refusals become codes; its text stays in the log as the cause.
    fn from(e: StoreError) -> Self {
        let code = match &e {
            StoreError::NotFound(_) => codes::NOT_FOUND,
            StoreError::Conflict(_) => codes::CONFLICT,
            StoreError::Frozen(_) => codes::FROZEN,
            StoreError::Database(db) if is_busy(db) => codes::BUSY,
            StoreError::Database(_) | StoreError::Corrupt(_) => codes::INTERNAL,
        };
        ServiceError::new(code).source(e)
    }
}

/// Whether the database refused for being too busy rather than for a fault: no connection
/// free in time, SQLite's file locked by another writer (`SQLITE_BUSY`, `SQLITE_LOCKED`), or
/// PostgreSQL out of connections. The request may succeed if retried.
fn is_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(d) => {
            let code = d.code();
            let code = code.as_deref().unwrap_or_default();
            // SQLite extended codes keep the primary code in the low byte.
            let sqlite = code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6));
            sqlite || code == "53300"
        }
        _ => false,
    }
}

impl From<ImportErrors> for ServiceError {
    fn from(e: ImportErrors) -> Self {
        ServiceError::new(codes::FILE_INVALID)
            .arg("count", e.len())
            .detail(Detail::Import(e))
    }
}

impl From<Denied> for ServiceError {
    /// Keeps the reason of a refusal: a client learns whether the role, the unit, the scope or
    /// the period was wrong.
    fn from(d: Denied) -> Self {
        match d {
            Denied::NoRole => ServiceError::new(codes::DENIED_NO_ROLE),
            Denied::NotPermitted(action) => {
                ServiceError::new(codes::DENIED_NOT_PERMITTED).arg("action", action.as_str())
            }
            Denied::NoUnit => ServiceError::new(codes::DENIED_NO_UNIT),
            Denied::OtherUnit => ServiceError::new(codes::DENIED_OTHER_UNIT),
            Denied::OutOfScope => ServiceError::new(codes::DENIED_OUT_OF_SCOPE),
            Denied::OtherPeriod => ServiceError::new(codes::DENIED_OTHER_PERIOD),
        }
    }
}

/// Result of a service call.
pub type ServiceResult<T> = Result<T, ServiceError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for code in codes::ALL {
            assert!(seen.insert(code.as_str()), "{code} declared twice");
            assert!(
                code.as_str()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{code} is not snake_case"
            );
        }
    }

    #[test]
    fn a_refusal_keeps_its_reason_as_a_code_with_arguments() {
        let e = ServiceError::from(Denied::NotPermitted(
            chiso_domain::authz::Action::ApproveAppraisal,
        ));
        assert_eq!(e.code(), codes::DENIED_NOT_PERMITTED);
        assert_eq!(e.kind(), Kind::Forbidden);
        assert_eq!(e.get("action"), Some("approve_appraisal"));
    }

    #[test]
    fn a_database_out_of_connections_is_busy_not_a_fault() {
        let e = ServiceError::from(StoreError::Database(sqlx::Error::PoolTimedOut));
        assert!(e.is(codes::BUSY));
        assert_eq!(e.kind(), Kind::Unavailable);
        let e = ServiceError::from(StoreError::Database(sqlx::Error::RowNotFound));
        assert_eq!(e.kind(), Kind::Internal);
    }

    #[test]
    fn store_faults_are_internal_and_keep_their_cause() {
        let e = ServiceError::from(StoreError::Corrupt("x".into()));
        assert_eq!(e.kind(), Kind::Internal);
        assert!(std::error::Error::source(&e).is_some());
    }
}
