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
//! sql!(conn, scalar_optional String, "SELECT a …", …)?               -> Option<String>
//! sql!(conn, scalar_all String, "SELECT a …", …)?                    -> Vec<String>
//! ```
//!
//! Bulk writes build a multi-row statement at run time (see `db::values_list`), bind the
//! leading values in brackets (`$1`, `$2`…), then each item's values in turn:
//!
//! ```text
//! sql!(tx, execute_rows, sql_text, [x, y], &items, |q, item| q.bind(&item.a).bind(&item.b))?
//! sql!(tx, all_rows Row, sql_text, [x], &keys, |q, k| q.bind(&k.a))?  -> Vec<Row>
//! ```
//!
//! Read one column with the `scalar` forms rather than a one-element tuple: formatters may
//! drop the tuple's comma inside the macro call.
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
    (
        $ex:expr, execute_rows, $sql:expr, [$($arg:expr),* $(,)?], $rows:expr,
        |$q:ident, $item:ident| $bind:expr
    ) => {
        match $ex.ex() {
            // SQLite looks every numbered parameter up by name, which grows with the size of
            // the statement: in-order `$n` become anonymous `?` (see `db::positional`).
            $crate::db::Ex::Sqlite(c) => {
                let text = $crate::db::positional($sql);
                let mut $q = ::sqlx::query(::sqlx::AssertSqlSafe(text.as_ref()))$(.bind($arg))*;
                for $item in $rows {
                    $q = $bind;
                }
                $q.execute(c).await.map(|r| r.rows_affected())
            }
            $crate::db::Ex::Postgres(c) => {
                let mut $q = ::sqlx::query(::sqlx::AssertSqlSafe($sql))$(.bind($arg))*;
                for $item in $rows {
                    $q = $bind;
                }
                $q.execute(c).await.map(|r| r.rows_affected())
            }
        }
    };
    (
        $ex:expr, all_rows $row:ty, $sql:expr, [$($arg:expr),* $(,)?], $rows:expr,
        |$q:ident, $item:ident| $bind:expr
    ) => {
        match $ex.ex() {
            $crate::db::Ex::Sqlite(c) => {
                let text = $crate::db::positional($sql);
                let mut $q = ::sqlx::query_as::<_, $row>(::sqlx::AssertSqlSafe(text.as_ref()))
                    $(.bind($arg))*;
                for $item in $rows {
                    $q = $bind;
                }
                $q.fetch_all(c).await
            }
            $crate::db::Ex::Postgres(c) => {
                let mut $q = ::sqlx::query_as::<_, $row>(::sqlx::AssertSqlSafe($sql))$(.bind($arg))*;
                for $item in $rows {
                    $q = $bind;
                }
                $q.fetch_all(c).await
            }
        }
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
    ($ex:expr, scalar_optional $t:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        sql!(@arms $ex, |c| ::sqlx::query_scalar::<_, $t>($sql)
            $(.bind($arg))*
            .fetch_optional(c)
            .await)
    };
    ($ex:expr, scalar_all $t:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        sql!(@arms $ex, |c| ::sqlx::query_scalar::<_, $t>($sql)
            $(.bind($arg))*
            .fetch_all(c)
            .await)
    };
    ($ex:expr, scalar $t:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        sql!(@arms $ex, |c| ::sqlx::query_scalar::<_, $t>($sql)
            $(.bind($arg))*
            .fetch_one(c)
            .await)
    };
}
