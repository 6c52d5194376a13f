//! Starting the real application for tests: a fresh database (a SQLite file in a temporary
//! folder, and a fresh PostgreSQL database when `CHISO_TEST_PG` holds an admin URL), seeded
//! through the store with a small hand-built province, served by `chiso_web::serve` on
//! 127.0.0.1:0.

#![allow(dead_code)]

pub mod browser;
pub mod fixtures;
pub mod smtp;

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use std::time::Duration;

use chiso_web::{WebConfig, serve};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use chiso_store::testing::TestDb;
pub use chiso_store::testing::{Backend, backends};

/// A running application with its own database.
pub struct TestApp {
    pub base: String,
    /// The database URL the application uses.
    pub db_url: String,
    pub backend: &'static str,
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    test_db: Option<TestDb>,
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
    /// Tests change the database behind the server's back (through the store), as another
    /// node would: unless the test chose its own interval, the server checks for public
    /// changes on every request.
    pub async fn start_with(backend: &Backend, mut config: WebConfig, seed: bool) -> TestApp {
        if config.public_recheck == WebConfig::default().public_recheck {
            config.public_recheck = Duration::ZERO;
        }
        let test_db = TestDb::new(backend).await;
        let db = test_db.db.clone();
        let url = test_db.url.clone();
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
            test_db: Some(test_db),
        }
    }

    /// The application's database.
    pub fn db(&self) -> &chiso_store::Db {
        &self.test_db.as_ref().expect("running").db
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
        if let Some(t) = self.test_db.take() {
            t.drop_database().await;
        }
    }
}

/// Runs `scenario` against every backend, each on a freshly started application.
macro_rules! each_backend {
    (|$app:ident| $body:block) => {
        for backend in $crate::common::backends() {
            let $app = $crate::common::TestApp::start(&backend).await;
            $crate::common::fixtures::publish_2024($app.db()).await;
            $body
            $app.stop().await;
        }
    };
}

/// A real Argon2id hash with tiny parameters: verified like any other, in microseconds, so
/// that tests signing many people in stay fast in debug builds.
pub fn cheap_hash(password: &str) -> String {
    let params = Params::new(8, 1, 1, None).expect("params");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(
            password.as_bytes(),
            &SaltString::from_b64("c2FsdHNhbHRzYWx0").expect("salt"),
        )
        .expect("hash")
        .to_string()
}
