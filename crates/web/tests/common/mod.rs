//! Starting the real application for tests: a fresh database (a SQLite file in a temporary
//! folder, and a fresh PostgreSQL database when `CHISO_TEST_PG` holds an admin URL), seeded
//! through the store with a small hand-built province, served by `chiso_web::serve` on
//! 127.0.0.1:0.

#![allow(dead_code)]

pub mod fixtures;

use std::time::Duration;

use chiso_store::Db;
use chiso_web::{WebConfig, serve};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use sqlx::Connection;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A database backend to run a scenario against.
#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    /// Admin URL of a PostgreSQL server, from `CHISO_TEST_PG`.
    Postgres(String),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }
}

/// SQLite always; PostgreSQL too when `CHISO_TEST_PG` is set (and then it must work: an
/// unreachable server fails the test instead of skipping it).
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if let Ok(url) = std::env::var("CHISO_TEST_PG")
        && !url.trim().is_empty()
    {
        v.push(Backend::Postgres(url.trim().to_owned()));
    }
    v
}

/// A running application with its own database.
pub struct TestApp {
    pub base: String,
    /// The database URL the application uses.
    pub db_url: String,
    pub backend: &'static str,
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

/// A fetched page or document.
pub struct Fetched {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Fetched {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// Asserts the body contains every needle, naming the missing one.
    pub fn assert_contains(&self, needles: &[&str]) {
        for n in needles {
            assert!(
                self.body.contains(n),
                "expected {n:?} in the page:\n{}",
                self.body
            );
        }
    }
}

impl TestApp {
    /// Starts the application on the seeded province.
    pub async fn start(backend: &Backend) -> TestApp {
        Self::start_with(backend, WebConfig::default(), true).await
    }

    /// Starts the application with `config`, seeding the province when `seed`.
    pub async fn start_with(backend: &Backend, config: WebConfig, seed: bool) -> TestApp {
        let dir = tempfile::tempdir().expect("temporary folder");
        let (url, pg) = match backend {
            Backend::Sqlite => (format!("sqlite://{}/t.db", dir.path().display()), None),
            Backend::Postgres(admin) => {
                let name = format!("chiso_web_{:016x}", rand::random::<u64>());
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
        db.migrate().await.expect("migrate");
        if seed {
            fixtures::seed(&db).await;
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(serve(db, config, listener, async {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        TestApp {
            base,
            db_url: url,
            backend: backend.name(),
            client,
            shutdown: Some(tx),
            server: Some(server),
            _dir: dir,
            pg,
        }
    }

    /// GET `path` with extra headers.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Fetched {
        let mut req = self.client.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.text().await.unwrap_or_default();
        Fetched {
            status,
            headers,
            body,
        }
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> Fetched {
        self.get_with(path, &[]).await
    }

    /// GET `path`, asserting 200.
    pub async fn page(&self, path: &str) -> Fetched {
        let f = self.get(path).await;
        assert_eq!(
            f.status,
            StatusCode::OK,
            "[{}] GET {path}: {}",
            self.backend,
            f.body
        );
        f
    }

    /// Stops the server, waits for it, and drops the PostgreSQL database.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task")
                .expect("server stopped cleanly");
        }
        if let Some((admin, name)) = self.pg.take() {
            let mut c = sqlx::PgConnection::connect(&admin)
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
fn with_database(admin: &str, name: &str) -> String {
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

/// Runs `scenario` against every backend, each on a freshly started application.
#[macro_export]
macro_rules! each_backend {
    (|$app:ident| $body:block) => {
        for backend in $crate::common::backends() {
            let $app = $crate::common::TestApp::start(&backend).await;
            $body
            $app.stop().await;
        }
    };
}
