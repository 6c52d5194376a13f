//! Protection against cross-site request forgery, checked in one middleware for every
//! state-changing request (POST, PUT, PATCH, DELETE):
//!
//! 1. requests a browser marks as sent from another site (`Sec-Fetch-Site: cross-site`), or
//!    whose `Origin` names another host than the one addressed, are refused outright;
//! 2. pages (everything outside `/api/`) must also carry the session's random token, in the
//!    hidden form field `csrf` (URL-encoded or multipart forms) or the `X-CSRF-Token` header.
//!
//! The API is read-only today; when it gains writes they will send the token in
//! `X-CSRF-Token` (or use bearer tokens, which browsers do not attach on their own).

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use tower::{Layer, ServiceExt};
use tower_sessions::Session;

use crate::{AppError, AppState};

/// Session key of the token.
pub(crate) const CSRF_KEY: &str = "csrf";
/// Name of the hidden form field.
pub const CSRF_FIELD: &str = "csrf";
/// Header accepted instead of the form field (scripts, future API writes).
pub const CSRF_HEADER: &str = "x-csrf-token";

/// 256 random bits, hex-encoded.
pub(crate) fn new_token() -> String {
    hex::encode(rand::rng().random::<[u8; 32]>())
}

/// The session's token, created (and the session with it) when missing, so that a form can
/// always be rendered with one.
pub(crate) async fn ensure_token(session: &Session) -> Result<String, AppError> {
    if let Some(t) = session.get::<String>(CSRF_KEY).await? {
        return Ok(t);
    }
    let t = new_token();
    session.insert(CSRF_KEY, &t).await?;
    Ok(t)
}

/// The session's token if it has one (pages of signed-in people always do).
pub(crate) async fn token(session: &Session) -> Result<Option<String>, AppError> {
    Ok(session.get::<String>(CSRF_KEY).await?)
}

/// Equal in time independent of where the first difference is, so the token cannot be
/// guessed byte by byte from response times.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// True when the browser says the request comes from another site.
pub(crate) fn cross_site(headers: &HeaderMap, authority: Option<&str>) -> bool {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if fetch_site.is_some_and(|v| v.eq_ignore_ascii_case("cross-site")) {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Some(origin) = origin.to_str().ok() else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or(authority);
    let origin_host = origin.split_once("://").map(|(_, rest)| rest);
    match (origin_host, host) {
        (Some(o), Some(h)) => !o.eq_ignore_ascii_case(h),
        // `Origin: null` (sandboxed frames, some redirects) or no host to compare with.
        _ => true,
    }
}

#[derive(serde::Deserialize)]
struct Field {
    csrf: Option<String>,
}

/// The token a request carries: header first, else the form field.
async fn submitted(headers: &HeaderMap, body: &axum::body::Bytes) -> Option<String> {
    if let Some(h) = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return Some(h.to_owned());
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let rebuilt = || {
        Request::builder()
            .method(Method::POST)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.clone()))
            .ok()
    };
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let axum::Form(f) = axum::Form::<Field>::from_request(rebuilt()?, &())
            .await
            .ok()?;
        return f.csrf;
    }
    if content_type.starts_with("multipart/form-data") {
        // The body is already within the application's limit; the multipart reader's own
        // default limit (2 MB) would refuse larger uploads (evidence files) before the token.
        let read = DefaultBodyLimit::disable().layer(tower::service_fn(|req: Request| async {
            Ok::<_, std::convert::Infallible>(Multipart::from_request(req, &()).await)
        }));
        let mut form = read.oneshot(rebuilt()?).await.ok()?.ok()?;
        while let Ok(Some(field)) = form.next_field().await {
            if field.name() == Some(CSRF_FIELD) {
                return field.text().await.ok();
            }
        }
    }
    None
}

/// Middleware: refuses forged state-changing requests with 403 before any handler runs.
pub(crate) async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if is_safe(req.method()) {
        return next.run(req).await;
    }
    if cross_site(req.headers(), req.uri().authority().map(|a| a.as_str())) {
        tracing::warn!(path = %req.uri().path(), "cross-site request refused");
        return AppError::CsrfRejected.into_response();
    }
    if req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let expected = match req.extensions().get::<Session>() {
        Some(s) => match token(s).await {
            Ok(t) => t,
            Err(e) => return e.into_response(),
        },
        None => None,
    };
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, state.config().body_limit).await {
        Ok(b) => b,
        Err(_) => return AppError::CsrfRejected.into_response(),
    };
    let given = submitted(&parts.headers, &bytes).await;
    let valid =
        matches!((&expected, &given), (Some(e), Some(g)) if same(e.as_bytes(), g.as_bytes()));
    if !valid {
        tracing::warn!(
            path = %parts.uri.path(),
            has_session_token = expected.is_some(),
            has_token = given.is_some(),
            "request without a valid CSRF token refused"
        );
        return AppError::CsrfRejected.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn same_origin_and_origin_less_requests_pass_the_site_check() {
        assert!(!cross_site(&headers(&[("host", "a.vn")]), None));
        assert!(!cross_site(
            &headers(&[("host", "a.vn:8080"), ("origin", "https://a.vn:8080")]),
            None
        ));
        assert!(!cross_site(
            &headers(&[("host", "a.vn"), ("sec-fetch-site", "same-origin")]),
            None
        ));
    }

    #[test]
    fn other_sites_null_origins_and_cross_site_fetches_are_refused() {
        assert!(cross_site(
            &headers(&[("host", "a.vn"), ("origin", "https://evil.example")]),
            None
        ));
        assert!(cross_site(
            &headers(&[("host", "a.vn"), ("origin", "null")]),
            None
        ));
        assert!(cross_site(
            &headers(&[("host", "a.vn"), ("sec-fetch-site", "cross-site")]),
            None
        ));
    }

    #[test]
    fn tokens_compare_whole() {
        let t = new_token();
        assert_eq!(t.len(), 64);
        assert!(same(t.as_bytes(), t.clone().as_bytes()));
        assert!(!same(t.as_bytes(), &t.as_bytes()[..63]));
        assert!(!same(t.as_bytes(), new_token().as_bytes()));
    }
}
