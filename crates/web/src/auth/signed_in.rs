//! The one way a page handler asks for a signed-in person. A visitor who is not signed in never
//! reaches the handler: they are sent to the sign-in page, which brings them back afterwards.
//! Every module of pages uses this extractor, so the sign-in redirect is written once.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use chiso_domain::authz::Principal;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::CurrentUser;
use crate::AppState;

/// The signed-in person of a page request, as the authorization rules see them.
///
/// Rejection: a redirect to `/dang-nhap?next=…`, back to the page asked for; after a form post,
/// to the page the form was on (a post address is not a page one can come back to).
#[derive(Debug, Clone)]
pub struct SignedIn(pub Principal);

/// What stays readable in the `next` parameter: letters, digits and the characters of our
/// paths; everything else, including `?`, `&` and `%`, is escaped so that the parameter is
/// one value.
const NEXT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.');

/// The sign-in page, returning to `path` (a local path) afterwards.
pub fn to_sign_in(path: &str) -> Redirect {
    Redirect::to(&format!(
        "/dang-nhap?next={}",
        utf8_percent_encode(path, NEXT)
    ))
}

/// Where the visitor goes back to after signing in: the page itself for a read; for a post,
/// the local page it was sent from when the browser says so, else the home page.
fn back(parts: &Parts) -> String {
    if parts.method == Method::GET || parts.method == Method::HEAD {
        return parts.uri.path().to_owned();
    }
    parts
        .headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.parse::<axum::http::Uri>().ok())
        .map(|u| u.path().to_owned())
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".to_owned())
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let current = CurrentUser::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if current.user().is_some() {
            Ok(SignedIn(current.principal()))
        } else {
            Err(to_sign_in(&back(parts)).into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(r: Redirect) -> String {
        r.into_response().headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn the_return_path_keeps_slashes_and_escapes_what_would_end_the_parameter() {
        assert_eq!(
            location(to_sign_in("/ky/2025/tu-danh-gia/SNV")),
            "/dang-nhap?next=/ky/2025/tu-danh-gia/SNV"
        );
        assert_eq!(
            location(to_sign_in("/a b?x=1&y=%")),
            "/dang-nhap?next=/a%20b%3Fx%3D1%26y%3D%25"
        );
        assert_eq!(
            location(to_sign_in("/đơn-vị")),
            "/dang-nhap?next=/%C4%91%C6%A1n-v%E1%BB%8B"
        );
    }
}
