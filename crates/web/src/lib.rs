//! The web front of chiso: server-rendered pages that publish a period's results (rankings,
//! group statistics, charts, unit breakdowns and history) and a JSON API with its OpenAPI
//! document, both fed by the same service functions so they can never disagree.
//!
//! The launch seam is [`serve`]: the binary and the tests start the very same application on
//! a listener they choose (port 0 in tests), with a shutdown future they control.

pub mod api;
pub mod assets;
pub mod chart;
pub mod error;
mod format;
pub mod i18n;
mod layers;
mod pages;
pub mod service;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chiso_store::Db;

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
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            demo: false,
            body_limit: 2 * 1024 * 1024,
        }
    }
}

/// What every handler can reach: the database and the settings. Cheap to clone (one `Arc`);
/// holds no other in-process state, so any number of application nodes can serve the same
/// database.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: Db,
    config: WebConfig,
}

impl AppState {
    /// Wraps a connected, migrated database and the settings.
    pub fn new(db: Db, config: WebConfig) -> Self {
        AppState {
            inner: Arc::new(Inner { db, config }),
        }
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The settings.
    pub fn config(&self) -> &WebConfig {
        &self.inner.config
    }
}

/// The whole application: pages, API, static files and health check, wrapped in the
/// middleware stack (request id, tracing, panics → 500, body limit, compression, security
/// headers, language cookie, error pages).
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api::router().split_for_parts();
    let openapi = Arc::new(openapi);
    let app = Router::new()
        .merge(pages::router())
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

/// Serves the application on `listener` until `shutdown` completes, then lets in-flight
/// requests finish and closes the database.
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
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
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
