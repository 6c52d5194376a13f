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
mod cycle;
pub mod error;
mod format;
pub mod i18n;
mod layers;
mod measured;
mod multipart;
mod navigator;
mod notice;
mod pages;
mod paths;
mod period_admin;
mod public_pages;
mod review;
pub mod service;
mod set_admin;
mod surveys;
mod unit_admin;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chiso_domain::Clock;
use chiso_services::Db;

pub use chiso_evidence::{BlobStore, DEFAULT_UPLOAD_LIMIT, LocalDiskStore};
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
    /// Largest answer file of a survey accepted on the pages and through the API, in bytes:
    /// exports of a large campaign outgrow the body limit. Requests carrying one may be this
    /// size plus 1 MiB; the file is held in memory while it is checked, for at most a few
    /// imports at once (see `surveys::jobs`). Larger files go through `chiso survey import`,
    /// which streams them from disk.
    pub answer_file_limit: u64,
    /// Runs the outbox worker beside the server, delivering the e-mail notifications the
    /// services record (submitted self-assessments, explanation requests, approval). `None`,
    /// the default, sends nothing: the notifications wait in the outbox for a node that sends.
    pub outbox: Option<chiso_jobs::OutboxConfig>,
    /// The gate in front of password hashing: how many Argon2id runs at once (one per core by
    /// default) and how long the others may wait before a 503.
    pub hashing: Arc<accounts::PasswordHashing>,
    /// A client must send a request's whole header within this long after the connection
    /// opens or the previous response, or the connection is closed; idle keep-alive
    /// connections end after it too.
    pub header_timeout: std::time::Duration,
    /// A request body that sends nothing for this long is cut off (the wait restarts with
    /// every chunk received, so a large upload on a slow line still gets through).
    pub body_timeout: std::time::Duration,
    /// Connections served at once; more wait in the system's queue until one closes. Keep it
    /// well under the process's open-file limit, which the database and files also use.
    pub max_connections: usize,
    /// How long this node trusts that public data is unchanged before it asks the database
    /// again, when the change was made elsewhere (another node, the command line): published
    /// pages rendered once are served for at most this long after such a change. Changes
    /// made through this node are seen at once.
    pub public_recheck: std::time::Duration,
    /// Who issues the printed reports (province, body, signer, place): not data of the
    /// periods, so set per deployment (`chiso serve --report-*`).
    pub report_issuer: chiso_services::reports::ReportIssuer,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            demo: false,
            body_limit: 2 * 1024 * 1024,
            answer_file_limit: 64 * 1024 * 1024,
            secure_cookies: false,
            session_idle: time::Duration::hours(8),
            login_limits: auth::LoginLimits::default(),
            trust_forwarded_for: false,
            clock: Arc::new(SystemClock),
            evidence_store: None,
            evidence_limit: DEFAULT_UPLOAD_LIMIT,
            outbox: None,
            hashing: Arc::new(accounts::PasswordHashing::default()),
            header_timeout: std::time::Duration::from_secs(15),
            body_timeout: std::time::Duration::from_secs(30),
            max_connections: 256,
            public_recheck: public_pages::PublicPages::RECHECK,
            report_issuer: chiso_services::reports::ReportIssuer::default(),
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
    /// The key signing sign-in form tokens, read from the database once.
    form_key: tokio::sync::OnceCell<Vec<u8>>,
    /// Scores files previewed and awaiting their confirmation.
    previews: measured::Previews,
    /// Answer files being read or imported in the background.
    survey_jobs: surveys::jobs::Jobs,
    /// Published pages rendered once for anonymous readers.
    public_pages: public_pages::PublicPages,
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
                form_key: tokio::sync::OnceCell::new(),
                previews: measured::Previews::default(),
                survey_jobs: surveys::jobs::Jobs::default(),
                public_pages: public_pages::PublicPages::default(),
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

    /// The key every node signs sign-in form tokens with (see [`auth::csrf`]).
    pub(crate) async fn form_key(&self) -> Result<&[u8], AppError> {
        let key = self
            .inner
            .form_key
            .get_or_try_init(|| async {
                let candidate = rand::random::<[u8; 32]>();
                let now = self.inner.config.clock.now();
                chiso_services::sessions::form_key(&self.inner.db, &candidate, now).await
            })
            .await?;
        Ok(key)
    }

    /// Scores files previewed and awaiting their confirmation.
    pub(crate) fn previews(&self) -> &measured::Previews {
        &self.inner.previews
    }

    /// Answer files being read or imported in the background.
    pub(crate) fn survey_jobs(&self) -> &surveys::jobs::Jobs {
        &self.inner.survey_jobs
    }

    /// Published pages rendered once for anonymous readers.
    pub(crate) fn public_pages(&self) -> &public_pages::PublicPages {
        &self.inner.public_pages
    }

    /// The gate in front of password hashing.
    pub fn hashing(&self) -> &accounts::PasswordHashing {
        &self.inner.config.hashing
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
        .merge(measured::router())
        .merge(unit_admin::router())
        .merge(set_admin::router())
        .merge(period_admin::router())
        .merge(surveys::router())
        .merge(api.route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::user::bearer,
        )))
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
///
/// Connections are accepted by our own loop rather than `axum::serve`, for the limits a
/// public server needs: at most [`WebConfig::max_connections`] at once (the next ones wait in
/// the system's queue, costing no file descriptor here), and a connection that does not send
/// a whole request header within [`WebConfig::header_timeout`] is closed, so clients that
/// never finish their requests cannot hold the server's connections or files.
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
        max_connections = state.config().max_connections,
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
    // The worker stops after the server, so a notification of a request still finishing is
    // recorded before the worker's last look (and sent by the next start otherwise).
    let (stop_worker, worker_stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = state.config().outbox.clone().map(|config| {
        let worker = chiso_jobs::Worker::new(
            state.db().clone(),
            Arc::clone(&state.config().clock),
            config,
        );
        tokio::spawn(worker.run(async {
            let _ = worker_stopped.await;
        }))
    });
    accept_loop(&listener, app, state.config(), shutdown).await;
    purge.abort();
    drop(stop_worker);
    if let Some(worker) = worker
        && let Err(e) = worker.await
    {
        tracing::warn!(error = %e, "outbox worker failed");
    }
    state.db().close().await;
    Ok(())
}

/// Accepts connections until `shutdown`, then waits for the open ones to finish their
/// current request (idle ones are closed at once).
async fn accept_loop(
    listener: &tokio::net::TcpListener,
    app: Router,
    config: &WebConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};

    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    // Plain-text HTTP/2 is only ever spoken by special clients (browsers use HTTP/2 over TLS,
    // which a proxy in front terminates); HTTP/1 only also means no protocol sniffing, which
    // would wait for a silent client's first bytes without any timeout.
    builder = builder.http1_only();
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout);
    let slots = Arc::new(tokio::sync::Semaphore::new(config.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // Take a slot before accepting: beyond the limit, connections stay in the listen queue.
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        // The peer address feeds the per-address limit on failed sign-ins.
        let service = hyper::service::service_fn(move |mut req: axum::http::Request<_>| {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            tower::ServiceExt::oneshot(app.clone(), req)
        });
        let conn = builder
            // Not `serve_connection_with_upgrades`: it ignores `http1_only` and sniffs
            // the protocol first. The application upgrades no connection (no WebSockets).
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, peer = %peer, "connection ended with an error");
            }
            drop(slot);
        });
    }
    graceful.shutdown().await;
}

/// Liveness and readiness in one: answers "ok" only after a round trip to the database, so a
/// load balancer stops sending traffic to a node that lost its database.
async fn healthz(State(state): State<AppState>) -> Result<&'static str, AppError> {
    chiso_services::system::ping(state.db()).await?;
    Ok("ok")
}

/// Every unknown path: a 404 rendered as a page or as JSON by the error layer.
async fn not_found() -> AppError {
    AppError::PageNotFound
}
