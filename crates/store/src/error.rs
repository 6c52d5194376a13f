//! The one error type of the store. Constraint violations become [`StoreError::Conflict`],
//! undecodable stored values [`StoreError::Corrupt`]; everything else stays a database error.

use sqlx::error::ErrorKind;

/// What can go wrong when reading or writing the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named row does not exist.
    #[error("không tìm thấy {0}")]
    NotFound(String),
    /// The change contradicts stored state: a stale version, a duplicate key, a reference to
    /// a row that does not exist.
    #[error("xung đột dữ liệu: {0}")]
    Conflict(String),
    /// The row is frozen (a frozen index set, a published period) and cannot change.
    #[error("{0} đã khóa, không thể sửa")]
    Frozen(String),
    /// The database failed or refused the statement.
    #[error("lỗi cơ sở dữ liệu: {0}")]
    Database(#[source] sqlx::Error),
    /// A stored value cannot be read back (bad JSON, a malformed decimal or timestamp).
    #[error("dữ liệu lưu trữ không đọc được: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(d) => match d.kind() {
                ErrorKind::UniqueViolation => {
                    StoreError::Conflict(format!("trùng khóa ({})", d.message()))
                }
                ErrorKind::ForeignKeyViolation => {
                    StoreError::Conflict(format!("tham chiếu không tồn tại ({})", d.message()))
                }
                _ => StoreError::Database(e),
            },
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
                StoreError::Corrupt(e.to_string())
            }
            _ => StoreError::Database(e),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Database(sqlx::Error::Migrate(Box::new(e)))
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}
