//! Fresh databases for the tests of every crate: a SQLite file in a temporary folder always,
//! and a new PostgreSQL database when `CHISO_TEST_PG` holds an admin URL. An unreachable
//! server then fails the test instead of skipping it, so CI cannot pass without PostgreSQL.
//! Available with the `testing` feature (dev-dependencies only).

use sqlx::Connection;

use crate::Db;

/// A database backend to run a scenario against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    /// Admin URL of a PostgreSQL server, from `CHISO_TEST_PG`.
    Postgres(String),
}

impl Backend {
    /// `sqlite` or `postgres`, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }
}

/// SQLite always; PostgreSQL too when `CHISO_TEST_PG` is set.
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if let Ok(url) = std::env::var("CHISO_TEST_PG")
        && !url.trim().is_empty()
    {
        v.push(Backend::Postgres(url.trim().to_owned()));
    }
    v
}

/// A migrated, empty database that lives as long as this value; call [`TestDb::drop_database`]
/// at the end to remove a PostgreSQL database (a SQLite file goes with its folder).
#[derive(Debug)]
pub struct TestDb {
    pub db: Db,
    /// The URL the database was opened with (for a second process, e.g. the CLI).
    pub url: String,
    pub backend: Backend,
    dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// Creates and migrates a fresh database on `backend`.
    pub async fn new(backend: &Backend) -> TestDb {
        Self::migrated(backend, None).await
    }

    /// Creates a fresh database on `backend` with the migrations up to `version` only.
    pub async fn at_migration(backend: &Backend, version: i64) -> TestDb {
        Self::migrated(backend, Some(version)).await
    }

    async fn migrated(backend: &Backend, version: Option<i64>) -> TestDb {
        let dir = tempfile::tempdir().expect("temporary folder");
        let (url, pg) = match backend {
            Backend::Sqlite => (format!("sqlite://{}/test.db", dir.path().display()), None),
            Backend::Postgres(admin) => {
                let name = format!("chiso_test_{:016x}", random_u64());
                let mut c = sqlx::PgConnection::connect(admin)
                    .await
                    .unwrap_or_else(|e| panic!("CHISO_TEST_PG={admin} is unreachable: {e}"));
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut c)
                    .await
                    .expect("create test database");
                c.close().await.ok();
                (with_database(admin, &name), Some((admin.clone(), name)))
            }
        };
        let db = Db::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("connect {url}: {e}"));
        match version {
            Some(v) => db.migrate_to(v).await.expect("migrate"),
            None => db.migrate().await.expect("migrate"),
        }
        TestDb {
            db,
            url,
            backend: backend.clone(),
            dir,
            pg,
        }
    }

    /// The temporary folder that holds a SQLite file (and anything else the test writes).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Closes the pool and drops a PostgreSQL database.
    pub async fn drop_database(self) {
        self.db.close().await;
        if let Some((admin, name)) = &self.pg {
            let mut c = sqlx::PgConnection::connect(admin)
                .await
                .expect("admin connection");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut c)
            .await
            .expect("drop test database");
            c.close().await.ok();
        }
    }
}

/// The admin URL with its database name replaced by `name`.
pub fn with_database(admin: &str, name: &str) -> String {
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map(|i| authority_start + i);
    let host = path_start.map_or(base, |i| &base[..i]);
    match query {
        Some(q) => format!("{host}/{name}?{q}"),
        None => format!("{host}/{name}"),
    }
}

/// A name suffix unique enough for parallel test processes: the std hasher is seeded randomly
/// per process.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::Instant::now().elapsed().as_nanos());
    h.write_u32(std::process::id());
    h.finish()
}

/// Sở Nội vụ (`SNV`) and the draft period `2025` ("Chỉ số CCHC năm 2025"): the least an
/// assessment's change of state needs, for tests of what happens around one.
pub async fn snv_in_2025(db: &Db, at: time::OffsetDateTime) {
    use chiso_domain::{PeriodCode, Unit, UnitCode, UnitKind};
    let actor = crate::Actor("test".to_owned());
    let unit = Unit {
        code: UnitCode::parse("SNV").expect("code"),
        name: "Sở Nội vụ".to_owned(),
        kind: UnitKind::Department,
        parent: None,
        valid_from: None,
        valid_to: None,
    };
    crate::units::upsert_many(db, &[unit], &[], &actor, at)
        .await
        .expect("unit");
    let period = crate::periods::Period {
        code: PeriodCode::parse("2025").expect("code"),
        year: 2025,
        name: "Chỉ số CCHC năm 2025".to_owned(),
        previous: None,
        status: crate::periods::STATUS_DRAFT.to_owned(),
        decision: None,
        computed_at: None,
    };
    crate::periods::create(db, &period, &actor, at)
        .await
        .expect("period");
}
