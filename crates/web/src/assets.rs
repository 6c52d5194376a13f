//! Static files (the stylesheet, the icon) embedded in the binary, so one executable is the
//! whole application. Pages link them with a content hash in the query string, which lets
//! browsers cache them for a year and still see a new version at once.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::AppError;

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// File name under `/static/`.
    pub name: &'static str,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The bytes.
    pub body: &'static [u8],
}

/// Every static file the pages use.
pub static ASSETS: &[Asset] = &[
    Asset {
        name: "chiso.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../static/chiso.css"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../static/favicon.svg"),
    },
    Asset {
        name: "forms.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../static/forms.js"),
    },
    Asset {
        name: "cycle.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../static/cycle.js"),
    },
];

/// FNV-1a of every asset, as hex: changes whenever any embedded file changes.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for a in ASSETS {
        for b in a.body {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{:08x}", h >> 32)
});

/// The URL of an asset for use in pages: `/static/chiso.css?v=1a2b3c4d`.
pub fn url(name: &str) -> String {
    format!("/static/{name}?v={}", *VERSION)
}

/// `GET /static/{file}`.
pub(crate) async fn serve(Path(file): Path<String>) -> Result<Response, AppError> {
    let asset = ASSETS
        .iter()
        .find(|a| a.name == file)
        .ok_or(AppError::PageNotFound)?;
    let mut resp = asset.body.into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    Ok(resp)
}
