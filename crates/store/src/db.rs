//! The database handle: connecting (with the SQLite settings chiso relies on), migrating, and
//! handing out connections and transactions that the `sql!` macro runs queries on.

use std::str::FromStr;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};

use crate::error::StoreError;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// A connection pool to SQLite (embedded, single node) or PostgreSQL (production).
/// Cloning is cheap and shares the pool.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A borrowed connection of either backend; what `sql!` dispatches on.
pub(crate) enum Ex<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

impl Ex<'_> {
    /// Reborrows, so one `Ex` can run several queries.
    pub(crate) fn ex(&mut self) -> Ex<'_> {
        match self {
            Ex::Sqlite(c) => Ex::Sqlite(c),
            Ex::Postgres(c) => Ex::Postgres(c),
        }
    }
}

/// How many rows one multi-row statement writes. Far below the bound-parameter limits of both
/// backends; larger statements measured slower on SQLite (21 000 scores: 0,7 s at 50 rows per
/// statement, 4,6 s at 500) and no faster on PostgreSQL.
pub(crate) const ROWS_PER_STATEMENT: usize = 50;

/// `($4, $5), ($6, $7)` for `rows` rows of `cols` columns, numbering from `$first`.
pub(crate) fn values_list(rows: usize, cols: usize, first: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(first + r * cols + c).to_string());
        }
        out.push(')');
    }
    out
}

/// `sql` with its numbered parameters made anonymous (`$1, $2` → `?, ?`) when they appear
/// exactly in the order 1, 2, 3…, as multi-row statements write them; otherwise `sql` as it
/// is. SQLite binds anonymous parameters by position, while every numbered one is looked up
/// by name among all the statement's parameters: a statement of a thousand values spent more
/// time in those lookups than in writing its rows.
pub(crate) fn positional(sql: &str) -> std::borrow::Cow<'_, str> {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut expected = 1_u64;
    let mut last = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let start = i + 1;
            let mut end = start;
            while end < bytes.len() && bytes[end].is_ascii_digit() {
                end += 1;
            }
            if end > start {
                match sql[start..end].parse::<u64>() {
                    Ok(n) if n == expected => {
                        out.push_str(&sql[last..i]);
                        out.push('?');
                        expected += 1;
                        last = end;
                        i = end;
                        continue;
                    }
                    _ => return std::borrow::Cow::Borrowed(sql),
                }
            }
        }
        i += 1;
    }
    out.push_str(&sql[last..]);
    std::borrow::Cow::Owned(out)
}

/// A pooled connection for reads outside a transaction.
pub(crate) enum Conn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Conn {
    pub(crate) fn ex(&mut self) -> Ex<'_> {
        match self {
            Conn::Sqlite(c) => Ex::Sqlite(c),
            Conn::Postgres(c) => Ex::Postgres(c),
        }
    }
}

/// An open transaction; dropped without [`Tx::commit`] it rolls back.
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) fn ex(&mut self) -> Ex<'_> {
        match self {
            Tx::Sqlite(t) => Ex::Sqlite(t),
            Tx::Postgres(t) => Ex::Postgres(t),
        }
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

impl Db {
    /// Connects to `sqlite://path/to/file.db` (the file and its folder are created when
    /// missing) or `postgres://…` / `postgresql://…`.
    ///
    /// SQLite runs in WAL mode with `synchronous=NORMAL`, foreign keys on, a 5 s busy
    /// timeout, temporary data in memory and a page cache of up to 32 MiB per connection. An in-memory SQLite database (`sqlite::memory:`) gets a single connection that
    /// is never closed, since every new connection would see a different, empty database.
    #[tracing::instrument(skip_all, fields(backend))]
    pub async fn connect(url: &str) -> Result<Db, StoreError> {
        if url.starts_with("sqlite:") {
            tracing::Span::current().record("backend", "sqlite");
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
                // Statement journals in memory, and a cache (up to 32 MiB per connection)
                // that holds a large import's pages until it commits rather than spilling
                // them to the file mid-transaction.
                .pragma("temp_store", "memory")
                .pragma("cache_size", "-32768");
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let pool = if in_memory {
                SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .connect_with(opts)
                    .await?
            } else {
                if let Some(dir) = opts.get_filename().parent()
                    && !dir.as_os_str().is_empty()
                {
                    tokio::fs::create_dir_all(dir)
                        .await
                        .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
                }
                SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(opts)
                    .await?
            };
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            tracing::Span::current().record("backend", "postgres");
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(10)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            Err(StoreError::Database(sqlx::Error::Configuration(
                format!("unsupported database URL (use sqlite://… or postgres://…): {url}").into(),
            )))
        }
    }

    /// Applies the pending migrations of this backend.
    #[tracing::instrument(skip_all, fields(backend = self.backend_name()))]
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
            Db::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    /// Applies the migrations up to `version` only: a database as an older release left it,
    /// to test that upgrading keeps its data.
    #[cfg(feature = "testing")]
    pub async fn migrate_to(&self, version: i64) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(p) => SQLITE_MIGRATIONS.run_to(version, p).await?,
            Db::Postgres(p) => POSTGRES_MIGRATIONS.run_to(version, p).await?,
        }
        Ok(())
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// True when no unit and no period is stored (a fresh installation).
    #[tracing::instrument(skip_all)]
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        let mut c = self.conn().await?;
        let n = sql!(
            c,
            scalar i64,
            "SELECT (SELECT COUNT(*) FROM units) + (SELECT COUNT(*) FROM periods)"
        )?;
        Ok(n == 0)
    }

    /// Checks that the database answers (health endpoints).
    #[tracing::instrument(skip_all)]
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut c = self.conn().await?;
        sql!(c, scalar i64, "SELECT CAST(1 AS BIGINT)")?;
        Ok(())
    }

    /// Deletes every data row (units, index sets, periods, scores, results, the assessment
    /// cycle and their audit entries) in one transaction, keeping the schema, the users, their
    /// grants that name no unit and no period, their audit entries and the sessions. Used to
    /// reload the demonstration data.
    #[tracing::instrument(skip_all)]
    pub async fn reset(&self) -> Result<(), StoreError> {
        self.reset_tables(false).await
    }

    /// Like [`Db::reset`] but also deletes users, their grants, sessions and the whole audit log.
    #[tracing::instrument(skip_all)]
    pub async fn reset_including_users(&self) -> Result<(), StoreError> {
        self.reset_tables(true).await
    }

    async fn reset_tables(&self, users: bool) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        if users {
            crate::audit::purge(&mut tx, &[]).await?;
            sql!(tx, execute, "DELETE FROM role_grants")?;
            sql!(tx, execute, "DELETE FROM sessions")?;
            sql!(tx, execute, "DELETE FROM users")?;
        } else {
            crate::audit::purge(&mut tx, &[crate::users::ENTITY, crate::grants::ENTITY]).await?;
            // Grants tied to a unit or a period go with them; the others stay with the users.
            sql!(
                tx,
                execute,
                "DELETE FROM role_grants WHERE unit IS NOT NULL OR period IS NOT NULL"
            )?;
        }
        // Publications are immutable; reloading the data deletes them under the audit
        // log's permit (migrations 0005 and 0013).
        sql!(tx, execute, "INSERT INTO audit_log_purge (id) VALUES (1)")?;
        sql!(tx, execute, "DELETE FROM published_results")?;
        sql!(tx, execute, "DELETE FROM publications")?;
        sql!(tx, execute, "DELETE FROM audit_log_purge")?;
        sql!(tx, execute, "DELETE FROM survey_intervals")?;
        sql!(tx, execute, "DELETE FROM survey_counts")?;
        sql!(tx, execute, "DELETE FROM survey_unit_respondents")?;
        sql!(tx, execute, "DELETE FROM survey_decisions")?;
        sql!(tx, execute, "DELETE FROM survey_links")?;
        sql!(tx, execute, "DELETE FROM survey_respondents")?;
        sql!(tx, execute, "DELETE FROM surveys")?;
        sql!(tx, execute, "DELETE FROM outbox_deliveries")?;
        sql!(tx, execute, "DELETE FROM outbox_events")?;
        sql!(tx, execute, "DELETE FROM evidence")?;
        sql!(tx, execute, "DELETE FROM explanation_requests")?;
        sql!(tx, execute, "DELETE FROM assessment_leaves")?;
        sql!(tx, execute, "DELETE FROM assessments")?;
        sql!(tx, execute, "DELETE FROM withdrawals")?;
        sql!(tx, execute, "DELETE FROM period_milestones")?;
        sql!(tx, execute, "DELETE FROM settings")?;
        sql!(tx, execute, "DELETE FROM result_groups")?;
        sql!(tx, execute, "DELETE FROM results")?;
        sql!(tx, execute, "DELETE FROM scores")?;
        sql!(tx, execute, "DELETE FROM memberships")?;
        sql!(tx, execute, "DELETE FROM period_groups")?;
        sql!(tx, execute, "DELETE FROM periods")?;
        sql!(tx, execute, "DELETE FROM index_nodes")?;
        sql!(tx, execute, "DELETE FROM index_sets")?;
        sql!(tx, execute, "DELETE FROM lineage")?;
        sql!(tx, execute, "DELETE FROM units")?;
        tx.commit().await
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }

    /// A pooled connection for reads.
    pub(crate) async fn conn(&self) -> Result<Conn, StoreError> {
        Ok(match self {
            Db::Sqlite(p) => Conn::Sqlite(p.acquire().await?),
            Db::Postgres(p) => Conn::Postgres(p.acquire().await?),
        })
    }

    /// Begins a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`) so that a transaction that reads before it writes waits for the
    /// busy timeout instead of failing when another writer got there first.
    pub(crate) async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_numbered_parameters_become_anonymous_and_others_stay() {
        assert_eq!(
            positional("INSERT INTO t VALUES ($1, $2), ($3, $4)"),
            "INSERT INTO t VALUES (?, ?), (?, ?)"
        );
        let shuffled = "UPDATE t SET a = $1 FROM (VALUES ($3, $4)) WHERE k = $2";
        assert_eq!(positional(shuffled), shuffled);
        let repeated = "SELECT $1, $1";
        assert_eq!(positional(repeated), repeated);
        assert_eq!(positional("DELETE FROM t"), "DELETE FROM t");
        assert_eq!(
            positional(&format!("INSERT INTO t VALUES {}", values_list(2, 3, 1))),
            "INSERT INTO t VALUES (?, ?, ?), (?, ?, ?)"
        );
    }
}
