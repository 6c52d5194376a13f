//! The web front of chiso: server-rendered pages that publish a period's results (rankings,
//! group statistics, charts, unit breakdowns and history) and a JSON API with its OpenAPI
//! document, both fed by the same service functions so they can never disagree.
//!
//! The launch seam is [`serve`]: the binary and the tests start the very same application on
//! a listener they choose (port 0 in tests), with a shutdown future they control.

pub mod accounts;
pub mod api;
pub mod assets;
pub mod auth;
pub mod chart;
mod cycle;
pub mod error;
mod format;
pub mod i18n;
mod layers;
pub mod notify;
mod pages;
mod period_admin;
mod review;
pub mod service;
mod set_admin;
mod unit_admin;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chiso_domain::Clock;
use chiso_store::Db;

pub use chiso_files::{BlobStore, DEFAULT_UPLOAD_LIMIT, LocalDiskStore};
pub use error::AppError;
pub use i18n::Lang;

/// Settings of the web application that are not data.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Shows the "Dữ liệu mẫu / Demo data" banner on every page, so that nobody mistakes the
    /// fictitious province of the demo for published results.
    pub demo: bool,
    /// Largest request body accepted, in bytes; larger requests get 413 before any handler
    /// reads them.
    pub body_limit: usize,
    /// Marks the session cookie `Secure` (sent over HTTPS only). Off by default so that the
    /// demo works on `http://127.0.0.1`; every deployment behind HTTPS must turn it on.
    pub secure_cookies: bool,
    /// A session ends after this long without a request.
    pub session_idle: time::Duration,
    /// Failed sign-ins tolerated per account and per address.
    pub login_limits: auth::LoginLimits,
    /// Takes the client address for rate limiting from the last `X-Forwarded-For` entry. Only
    /// for deployments behind a proxy that sets it; otherwise clients could pick their own.
    pub trust_forwarded_for: bool,
    /// The source of "now" for session expiry and rate limits.
    pub clock: Arc<dyn Clock>,
    /// Where evidence files (tài liệu kiểm chứng) are kept, content-addressed. `None` refuses
    /// uploads and downloads with a clear message; `chiso serve` opens a [`LocalDiskStore`]
    /// under its data directory, tests one in a temporary folder.
    pub evidence_store: Option<Arc<dyn BlobStore>>,
    /// Largest evidence file accepted, in bytes. Requests carrying files must also fit in
    /// [`WebConfig::body_limit`].
    pub evidence_limit: u64,
    /// Sends e-mail notifications about the cycle's to-do items (submitted self-assessments,
    /// explanation requests, approval). `None`, the default, sends nothing.
    pub notifier: Option<Arc<dyn notify::Notifier>>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            demo: false,
            body_limit: 2 * 1024 * 1024,
            secure_cookies: false,
            session_idle: time::Duration::hours(8),
            login_limits: auth::LoginLimits::default(),
            trust_forwarded_for: false,
            clock: Arc::new(SystemClock),
            evidence_store: None,
            evidence_limit: DEFAULT_UPLOAD_LIMIT,
            notifier: None,
        }
    }
}

/// The wall clock, the default of [`WebConfig::clock`].
#[derive(Debug, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    // The web server lives in real time; tests that need fixed time pass their own clock.
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::now_utc()
    }
}

/// What every handler can reach: the database, the settings, the session store and the
/// sign-in throttle. Cheap to clone (one `Arc`). Sessions live in the database, so any number
/// of application nodes can serve the same database; the default throttle counts failures per
/// node (see [`auth::LoginThrottle`]).
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: Db,
    config: WebConfig,
    sessions: auth::DbSessionStore,
    throttle: Arc<dyn auth::LoginThrottle>,
}

impl AppState {
    /// Wraps a connected, migrated database and the settings, with failed sign-ins counted in
    /// memory.
    pub fn new(db: Db, config: WebConfig) -> Self {
        let throttle = Arc::new(auth::MemoryThrottle::new(config.login_limits));
        Self::with_throttle(db, config, throttle)
    }

    /// Like [`AppState::new`] with another way of counting failed sign-ins (e.g. shared by
    /// several nodes).
    pub fn with_throttle(
        db: Db,
        config: WebConfig,
        throttle: Arc<dyn auth::LoginThrottle>,
    ) -> Self {
        let sessions = auth::DbSessionStore::new(db.clone(), Arc::clone(&config.clock));
        AppState {
            inner: Arc::new(Inner {
                db,
                config,
                sessions,
                throttle,
            }),
        }
    }

    /// The session store.
    pub fn sessions(&self) -> &auth::DbSessionStore {
        &self.inner.sessions
    }

    /// The sign-in throttle.
    pub fn throttle(&self) -> &dyn auth::LoginThrottle {
        self.inner.throttle.as_ref()
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The settings.
    pub fn config(&self) -> &WebConfig {
        &self.inner.config
    }

    /// The store of evidence files, if one is configured.
    pub fn evidence_store(&self) -> Option<&Arc<dyn BlobStore>> {
        self.inner.config.evidence_store.as_ref()
    }
}

/// The whole application: pages, API, static files and health check, wrapped in the
/// middleware stack (request id, tracing, panics → 500, body limit, compression, security
/// headers, sessions, language cookie, error pages, CSRF checks).
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api::router().split_for_parts();
    let openapi = Arc::new(openapi);
    let app = Router::new()
        .merge(pages::router())
        .merge(cycle::router())
        .merge(review::router())
        .merge(unit_admin::router())
        .merge(set_admin::router())
        .merge(period_admin::router())
        .merge(api)
        .route(
            api::OPENAPI_PATH,
            get(move || {
                let doc = Arc::clone(&openapi);
                async move { axum::Json(doc) }
            }),
        )
        .route("/healthz", get(healthz))
        .route("/static/{file}", get(assets::serve))
        .fallback(not_found);
    layers::wrap(app, state)
}

/// How often expired sessions are deleted from the database.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Serves the application on `listener` until `shutdown` completes, then lets in-flight
/// requests finish and closes the database. Expired sessions are purged hourly meanwhile.
pub async fn serve(
    db: Db,
    config: WebConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = AppState::new(db, config);
    let app = router(state.clone());
    tracing::info!(
        addr = ?listener.local_addr().ok(),
        backend = state.db().backend_name(),
        demo = state.config().demo,
        "serving"
    );
    let sessions = state.sessions().clone();
    let purge = tokio::spawn(async move {
        let mut every = tokio::time::interval(PURGE_EVERY);
        loop {
            every.tick().await;
            match sessions.purge_expired().await {
                Ok(n) => tracing::debug!(deleted = n, "expired sessions purged"),
                Err(e) => tracing::warn!(error = %e, "purging expired sessions failed"),
            }
        }
    });
    // The peer address feeds the per-address limit on failed sign-ins.
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    purge.abort();
    state.db().close().await;
    served
}

/// Liveness and readiness in one: answers "ok" only after a round trip to the database, so a
/// load balancer stops sending traffic to a node that lost its database.
async fn healthz(State(state): State<AppState>) -> Result<&'static str, AppError> {
    state.db().ping().await?;
    Ok("ok")
}

/// Every unknown path: a 404 rendered as a page or as JSON by the error layer.
async fn not_found() -> AppError {
    AppError::PageNotFound
}
