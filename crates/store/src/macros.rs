//! `sql!`: writes a query once and runs it on whichever backend a connection or transaction
//! belongs to. The query text and the bound values are the same for both; the macro expands
//! one arm per backend so each is type-checked against its own driver.
//!
//! ```text
//! sql!(tx, execute, "UPDATE t SET a = $1 WHERE k = $2", a, k)?      -> rows affected
//! sql!(conn, all Row, "SELECT … WHERE k = $1", k)?                   -> Vec<Row>
//! sql!(conn, optional Row, "SELECT …", …)?                           -> Option<Row>
//! sql!(conn, one Row, "SELECT …", …)?                                -> Row
//! sql!(conn, scalar i64, "SELECT COUNT(*) …", …)?                    -> i64
//! ```
//!
//! `Row` is any `sqlx::FromRow` type whose derive is generic over the row type (a plain
//! struct or a tuple of portable column types: `String`, `i64`, `bool`, `Vec<u8>`,
//! `sqlx::types::Json<T>` and their `Option`s).

macro_rules! sql {
    (@arms $ex:expr, |$c:ident| $run:expr) => {
        match $ex.ex() {
            $crate::db::Ex::Sqlite($c) => $run,
            $crate::db::Ex::Postgres($c) => $run,
        }
    };
    ($ex:expr, execute, $sql:expr $(, $arg:expr)* $(,)?) => {
        sql!(@arms $ex, |c| ::sqlx::query($sql)
            $(.bind($arg))*
            .execute(c)
            .await
            .map(|r| r.rows_affected()))
    };
    ($ex:expr, all $row:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        sql!(@arms $ex, |c| ::sqlx::query_as::<_, $row>($sql)
            $(.bind($arg))*
            .fetch_all(c)
            .await)
    };
    ($ex:expr, optional $row:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        sql!(@arms $ex, |c| ::sqlx::query_as::<_, $row>($sql)
            $(.bind($arg))*
            .fetch_optional(c)
            .await)
    };
    ($ex:expr, one $row:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        sql!(@arms $ex, |c| ::sqlx::query_as::<_, $row>($sql)
            $(.bind($arg))*
            .fetch_one(c)
            .await)
    };
    ($ex:expr, scalar $t:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        sql!(@arms $ex, |c| ::sqlx::query_scalar::<_, $t>($sql)
            $(.bind($arg))*
            .fetch_one(c)
            .await)
    };
}
