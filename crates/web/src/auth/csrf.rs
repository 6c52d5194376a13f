//! Protection against cross-site request forgery, checked in one middleware for every
//! state-changing request (POST, PUT, PATCH, DELETE), before any body is read:
//!
//! 1. requests a browser marks as sent from another site (`Sec-Fetch-Site: cross-site`), or
//!    whose `Origin` names another host than the one addressed, are refused outright;
//! 2. pages (everything outside `/api/`) must also carry the session's random token, in the
//!    `X-CSRF-Token` header or the hidden form field `csrf`: anywhere in a URL-encoded form
//!    (read up to [`FORM_LIMIT`] only), or as the *first* part of a multipart form (only that
//!    part is read; the files behind it stream on to the handler untouched);
//! 3. a request without a session is refused without reading its body, except the sign-in
//!    form: showing it to an anonymous visitor stores nothing, so its token is instead signed
//!    with a key shared by all nodes and valid for [`WebConfig::session_idle`]; the session
//!    is only created once the sign-in succeeds.
//!
//! The API (`/api/`) passes check 1 only: integrations sign with a bearer token, which browsers
//! never attach on their own, and the session cookie is `SameSite=Lax`, so another site cannot
//! make a browser send it with a write.
//!
//! [`WebConfig::session_idle`]: crate::WebConfig::session_idle

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use blake2::digest::{KeyInit, Mac};
use futures_util::StreamExt;
use http_body_util::BodyExt;
use rand::Rng;
use tower_sessions::Session;

use crate::{AppError, AppState};

/// Session key of the token.
pub(crate) const CSRF_KEY: &str = "csrf";
/// Name of the hidden form field.
pub const CSRF_FIELD: &str = "csrf";
/// Header accepted instead of the form field (scripts, future API writes).
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The one page whose form an anonymous visitor posts: the sign-in.
pub(crate) const LOGIN_PATH: &str = "/dang-nhap";
/// Largest URL-encoded form accepted, in bytes. Such forms carry typed text only (files go
/// in multipart forms), and it is axum's own limit for form bodies.
pub const FORM_LIMIT: usize = 2 * 1024 * 1024;
/// How much of a multipart form is read to find the token in its first part.
const FIRST_PART_LIMIT: usize = 8 * 1024;

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

/// The token for the sign-in form: the session's if the visitor has one, else a signed token
/// that needs no session (so that showing the form to anyone stores nothing). Both are 64 hex
/// digits; a signed one is 4 bytes of expiry (Unix seconds), 8 random bytes and a 20-byte
/// keyed BLAKE2s of the two.
pub(crate) async fn login_token(session: &Session, state: &AppState) -> Result<String, AppError> {
    if let Some(t) = token(session).await? {
        return Ok(t);
    }
    let key = state.form_key().await?;
    let expires = state.config().clock.now() + state.config().session_idle;
    let expires = u32::try_from(expires.unix_timestamp()).unwrap_or(u32::MAX);
    let mut head = [0u8; 12];
    head[..4].copy_from_slice(&expires.to_be_bytes());
    head[4..].copy_from_slice(&rand::rng().random::<[u8; 8]>());
    let mac = signer(key, &head).finalize().into_bytes();
    Ok(format!("{}{}", hex::encode(head), hex::encode(mac)))
}

/// Keyed BLAKE2s with a 160-bit tag.
type FormMac = blake2::Blake2sMac<blake2::digest::consts::U20>;

fn signer(key: &[u8], head: &[u8]) -> FormMac {
    // A 32-byte key always fits BLAKE2s; a bad one only comes from a damaged database row.
    let mut mac = <FormMac as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <FormMac as KeyInit>::new(&Default::default()));
    mac.update(b"chiso sign-in form|");
    mac.update(head);
    mac
}

/// Whether `given` is a sign-in token signed with `key` that has not expired at `now`.
fn signed_valid(key: &[u8], given: &str, now: i64) -> bool {
    let Ok(bytes) = hex::decode(given) else {
        return false;
    };
    if bytes.len() != 32 {
        return false;
    }
    let (head, mac) = bytes.split_at(12);
    let expires = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    // `verify_slice` compares in constant time.
    i64::from(expires) > now && signer(key, head).verify_slice(mac).is_ok()
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

/// The body's declared length, if any.
pub(crate) fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// Whether a body error, or one of its causes, is a length limit (ours, or the overall one of
/// the body-limit layer further out).
pub(crate) fn is_length_limit(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cur = err.source();
    }
    false
}

/// Reads a URL-encoded form, at most [`FORM_LIMIT`] bytes: [`AppError::TooLarge`] beyond.
pub(crate) async fn read_form(headers: &HeaderMap, body: Body) -> Result<Bytes, AppError> {
    if content_length(headers).is_some_and(|n| n > FORM_LIMIT as u64) {
        return Err(AppError::TooLarge);
    }
    match http_body_util::Limited::new(body, FORM_LIMIT)
        .collect()
        .await
    {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if is_length_limit(e.as_ref()) => Err(AppError::TooLarge),
        // The client went away or stalled past the body timeout.
        Err(e) => {
            tracing::debug!(error = %e, "reading a form failed");
            Err(AppError::BodyIncomplete)
        }
    }
}

fn is_form(headers: &HeaderMap, kind: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(kind))
}

/// The token of a multipart form, read from its first part only, and the whole body again
/// (the part read, then the rest still streaming) for the handler.
async fn first_part_token(headers: &HeaderMap, body: Body) -> (Option<String>, Body) {
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| multer::parse_boundary(v).ok());
    let Some(boundary) = boundary else {
        return (None, body);
    };
    let end = format!("\r\n--{boundary}");
    let mut stream = body.into_data_stream();
    let mut read = Vec::new();
    let mut broken = false;
    // Up to the delimiter closing the first part, and the two bytes after it that tell
    // whether more parts follow.
    let first_part_read = |read: &[u8]| {
        read.windows(end.len())
            .position(|w| w == end.as_bytes())
            .is_some_and(|at| read.len() >= at + end.len() + 2)
    };
    while read.len() < FIRST_PART_LIMIT && !first_part_read(&read) {
        match stream.next().await {
            Some(Ok(chunk)) => read.extend_from_slice(&chunk),
            Some(Err(_)) => {
                broken = true;
                break;
            }
            None => break,
        }
    }
    let prefix = Bytes::from(read);
    let token = if broken {
        None
    } else {
        let once = futures_util::stream::once({
            let p = prefix.clone();
            async move { Ok::<_, std::convert::Infallible>(p) }
        });
        let mut form = multer::Multipart::new(once, boundary);
        match form.next_field().await {
            Ok(Some(field)) if field.name() == Some(CSRF_FIELD) => field.text().await.ok(),
            _ => None,
        }
    };
    let head = futures_util::stream::once(async move { Ok::<_, axum::Error>(prefix) });
    (token, Body::from_stream(head.chain(stream)))
}

/// Middleware: refuses forged state-changing requests with 403 before any handler runs, and
/// before reading more of the body than the token needs.
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
    let sign_in = expected.is_none() && req.uri().path() == LOGIN_PATH;
    let refuse = |why: &str, path: &str| {
        tracing::warn!(path = %path, reason = why, "request without a valid CSRF token refused");
        AppError::CsrfRejected.into_response()
    };
    if expected.is_none() && !sign_in {
        return refuse("no session", req.uri().path());
    }
    let key = if sign_in {
        match state.form_key().await {
            Ok(k) => Some(k),
            Err(e) => return e.into_response(),
        }
    } else {
        None
    };
    let now = state.config().clock.now().unix_timestamp();
    let valid = |given: Option<&str>| match (&expected, given, key) {
        (Some(e), Some(g), _) => same(e.as_bytes(), g.as_bytes()),
        (None, Some(g), Some(k)) => signed_valid(k, g, now),
        _ => false,
    };
    let header_token = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if header_token.is_some() {
        if !valid(header_token.as_deref()) {
            return refuse("wrong header token", req.uri().path());
        }
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    if is_form(&parts.headers, "application/x-www-form-urlencoded") {
        let bytes = match read_form(&parts.headers, body).await {
            Ok(b) => b,
            Err(e) => return e.into_response(),
        };
        let given = form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.into_owned());
        if !valid(given.as_deref()) {
            return refuse("wrong form token", &path);
        }
        return next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
    }
    if is_form(&parts.headers, "multipart/form-data") {
        let (given, body) = first_part_token(&parts.headers, body).await;
        if !valid(given.as_deref()) {
            return refuse("wrong multipart token", &path);
        }
        return next.run(Request::from_parts(parts, body)).await;
    }
    refuse("no token", &path)
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
    fn a_signed_sign_in_token_holds_until_it_expires_and_not_under_another_key() {
        let key = [7u8; 32];
        let mut head = [0u8; 12];
        head[..4].copy_from_slice(&1000u32.to_be_bytes());
        let mac = hex::encode(signer(&key, &head).finalize().into_bytes());
        let token = format!("{}{mac}", hex::encode(head));
        assert_eq!(token.len(), 64, "shaped like a session token");
        assert!(signed_valid(&key, &token, 999));
        assert!(!signed_valid(&key, &token, 1000), "expired");
        assert!(!signed_valid(&[8u8; 32], &token, 999), "another key");
        head[..4].copy_from_slice(&2000u32.to_be_bytes());
        let moved = format!("{}{mac}", hex::encode(head));
        assert!(!signed_valid(&key, &moved, 999), "moved expiry");
        assert!(!signed_valid(&key, &token[..62], 999));
        assert!(!signed_valid(&key, "", 999));
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
