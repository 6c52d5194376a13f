//! The middleware stack around every route, outermost first: request id (set, then echoed in
//! the response), tracing span carrying that id, security headers, compression, then the
//! session, the language cookie, `Cache-Control: no-store` on personal responses, the error
//! pages, the request body limit and body timeout (inside the error pages, so a refusal gets
//! a localized 413 page), the CSRF check (likewise a localized 403), the refusal of control
//! characters and undecodable paths in every input, and panics turned into an opaque 500
//! (inside the error pages, so a panic still gets a localized page quoting its request id).

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::{HeaderName, HeaderValue, Request, Response, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::auth::csrf;
use crate::{AppError, AppState};

/// Only our own files may be loaded: no inline script or style, no framing, no plugins.
/// Inline SVG in the page is markup, not a resource, so the charts need no exception.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; font-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps the routes in the middleware stack and binds the state.
pub(crate) fn wrap(app: Router<AppState>, state: AppState) -> Router {
    let body_timeout = state.config().body_timeout;
    let secure = state.config().secure_cookies;
    let app = app
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            refuse_controls,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::auth::csrf::guard,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), limit_body))
        .layer(RequestBodyTimeoutLayer::new(body_timeout))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::error::render_errors,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::public_pages::forget_after_writes,
        ))
        .layer(middleware::from_fn(no_store))
        .layer(middleware::from_fn(crate::i18n::remember_lang))
        .layer(crate::auth::session_layer(&state))
        .with_state(state);

    let security = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
        ))
        // Served over HTTPS (the cookie is Secure): browsers must never fall back to HTTP.
        .option_layer(secure.then(|| {
            SetResponseHeaderLayer::overriding(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=31536000"),
            )
        }));

    app.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|req: &Request<_>| {
                        let id = req
                            .headers()
                            .get(REQUEST_ID)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-");
                        tracing::info_span!(
                            "http",
                            method = %req.method(),
                            path = %req.uri().path(),
                            request_id = %id,
                        )
                    })
                    .on_response(DefaultOnResponse::new().level(Level::INFO)),
            )
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(security)
            .layer(CompressionLayer::new()),
    )
}

/// Middleware: `Cache-Control: no-store` on every API response and on every response to a
/// request carrying a session cookie (what a signed-in person sees must not stay in shared
/// or browser caches), unless the handler chose its own caching. Public pages seen without a
/// session and the static files keep theirs.
async fn no_store(req: Request<Body>, next: Next) -> Response<Body> {
    let api = req.uri().path().starts_with("/api/");
    let static_file = req.uri().path().starts_with("/static/");
    let session = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| {
            c.trim_start()
                .starts_with(&format!("{}=", crate::auth::SESSION_COOKIE))
        });
    let mut resp = next.run(req).await;
    if (api || (session && !static_file)) && !resp.headers().contains_key(header::CACHE_CONTROL) {
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// True for characters no text of the application may hold: the C0 and C1 controls and DEL,
/// except tabs and line breaks (which multi-line fields do hold). PostgreSQL cannot even
/// store NUL, and the others only ever come from tampering.
fn forbidden_char(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The first name/value pair of a URL-encoded text (query string or form) whose name or value
/// holds a forbidden character: its name, made printable.
fn bad_pair(encoded: &[u8]) -> Option<String> {
    form_urlencoded::parse(encoded)
        .find(|(k, v)| k.chars().any(forbidden_char) || v.chars().any(forbidden_char))
        .map(|(k, _)| printable(&k))
}

/// A name as it can be shown in a message: controls escaped.
fn printable(name: &str) -> String {
    name.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_unicode().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// The dotted path (`a.b.0`) of the first JSON string, or object key, holding a forbidden
/// character.
fn bad_json(value: &serde_json::Value, at: &str) -> Option<String> {
    let join = |k: &str| {
        if at.is_empty() {
            k.to_owned()
        } else {
            format!("{at}.{k}")
        }
    };
    match value {
        serde_json::Value::String(s) => s.chars().any(forbidden_char).then(|| at.to_owned()),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| bad_json(v, &join(&i.to_string()))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.chars().any(forbidden_char) {
                Some(join(&printable(k)))
            } else {
                bad_json(v, &join(k))
            }
        }),
        _ => None,
    }
}

/// Middleware: refuses, before any handler, path parameters that are not UTF-8 once decoded
/// (400) and control characters in path parameters, query strings, URL-encoded forms and JSON
/// bodies (422), naming the field at fault. Both databases thus see the same inputs, and a
/// NUL never reaches PostgreSQL (which refuses it with an error). Multipart bodies are left to
/// their handlers: they carry files, whose bytes are their own business.
async fn refuse_controls(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request<Body>,
    next: Next,
) -> Response<Body> {
    let (mut parts, body) = req.into_parts();
    match RawPathParams::from_request_parts(&mut parts, &()).await {
        Ok(params) => {
            if let Some((name, _)) = params.iter().find(|(_, v)| v.chars().any(forbidden_char)) {
                return AppError::ControlChar(name.to_owned()).into_response();
            }
        }
        Err(axum::extract::rejection::RawPathParamsRejection::InvalidUtf8InPathParam(_)) => {
            return AppError::BadPath.into_response();
        }
        // No parameters on this route (or none matched): nothing to check.
        Err(_) => {}
    }
    if let Some(name) = parts.uri.query().and_then(|q| bad_pair(q.as_bytes())) {
        return AppError::ControlChar(name).into_response();
    }
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let form = content_type.starts_with("application/x-www-form-urlencoded");
    let json = content_type.starts_with("application/json")
        || (content_type.starts_with("application/") && content_type.contains("+json"));
    if !form && !json {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let bytes = if form {
        csrf::read_form(&parts.headers, body).await
    } else {
        let limit = state.config().body_limit;
        axum::body::to_bytes(body, limit).await.map_err(|e| {
            if csrf::is_length_limit(&e) {
                AppError::TooLarge
            } else {
                AppError::BodyIncomplete
            }
        })
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let bad = if form {
        bad_pair(&bytes)
    } else {
        // Malformed JSON is the handler's to refuse, with its own message.
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| bad_json(&v, ""))
    };
    if let Some(name) = bad {
        return AppError::ControlChar(name).into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// A panicking handler is a bug: log it and answer a bare 500 (no body, no content type),
/// which the error layer renders like any other server fault, instead of dropping the
/// connection.
fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response<String> {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = detail, "handler panicked");
    let mut resp = Response::new(String::new());
    *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    resp
}

/// Whether a request carries a survey's answer file (a page upload or the API import).
fn answer_upload(path: &str) -> bool {
    (path.starts_with("/ky/") && path.contains("/dieu-tra/") && path.ends_with("/nhap-phieu"))
        || (path.starts_with("/api/v1/periods/")
            && path.contains("/surveys/")
            && path.ends_with("/answers"))
}

/// The largest body of a request: [`WebConfig::body_limit`], or for an answer file of a
/// survey [`WebConfig::answer_file_limit`] plus 1 MiB for the rest of the form. A declared
/// length over it is refused at once with 413; a body that grows past it is cut off where it
/// does, and its reader refuses it as too large.
///
/// [`WebConfig::body_limit`]: crate::WebConfig::body_limit
/// [`WebConfig::answer_file_limit`]: crate::WebConfig::answer_file_limit
async fn limit_body(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request<Body>,
    next: Next,
) -> Response<Body> {
    let config = state.config();
    let limit = if answer_upload(req.uri().path()) {
        usize::try_from(config.answer_file_limit)
            .unwrap_or(usize::MAX)
            .saturating_add(1024 * 1024)
            .max(config.body_limit)
    } else {
        config.body_limit
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let req = req.map(|body| Body::new(http_body_util::Limited::new(body, limit)));
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_gets_the_localized_500_page_with_its_request_id() {
        let db = chiso_services::system::connect("sqlite::memory:")
            .await
            .unwrap();
        let state = AppState::new(db, crate::WebConfig::default());
        let app: Router<AppState> = Router::new().route(
            "/boom",
            get(|| async {
                if true {
                    panic!("secret detail");
                }
                "never"
            }),
        );
        let resp = wrap(app, state)
            .oneshot(
                axum::http::Request::get("/boom")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let id = resp
            .headers()
            .get("x-request-id")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(body.contains("Lỗi máy chủ") && body.contains(&id), "{body}");
        assert!(!body.contains("secret detail"));
    }
}
