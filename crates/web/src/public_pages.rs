//! Published pages rendered once. On publication day everybody reads the same few pages (the
//! ranking, the units' profiles), and what they show is an immutable published snapshot: a
//! page rendered for one anonymous reader is the page for every anonymous reader in the same
//! language until something public changes. So anonymous responses of published pages are
//! kept in memory, whole and gzipped, with a validator (`ETag`), and served again without
//! touching the database or the templates; a browser or proxy that revalidates gets `304`.
//!
//! When to forget them: the store gives a short fingerprint of everything public (versions
//! published, periods, units, lineage). It is read again at most once per
//! [`crate::WebConfig::public_recheck`] (a second by default), and at once after any request of this process that may have
//! written (any method other than GET and HEAD), so a publication made on this node shows on
//! its next request and one made on another node (or by the command line) within a second.
//! Each kept page carries the generation it was rendered under; a page rendered while the
//! fingerprint changed is never kept, so an old page cannot outlive the change.
//!
//! Bounded: the pages kept weigh at most [`PublicPages::CAPACITY`] bytes (least recently used
//! go first); readers of a page being rendered wait for it rather than render it again, and
//! only a few public pages (one per core, 2 to 8) are rendered at once; the key is built from
//! parsed path values, never from the raw query string, so odd query strings cannot fill it.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::{AppError, AppState};

/// Which public page, with the values that pick its content. The language is part of it: the
/// same path renders in Vietnamese or English.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PageKey {
    page: &'static str,
    lang: &'static str,
    parts: Vec<String>,
}

impl PageKey {
    /// The key of `page` (a route name) in `lang` for these parsed values.
    pub(crate) fn new(page: &'static str, lang: &'static str, parts: Vec<String>) -> Self {
        PageKey { page, lang, parts }
    }
}

/// A page as rendered, with what the response needs.
#[derive(Debug, Clone)]
struct Kept {
    generation: u64,
    etag: HeaderValue,
    content_type: HeaderValue,
    html: Bytes,
    gzip: Bytes,
}

/// Weighs kept pages by their bytes, so the capacity is a memory bound.
#[derive(Debug, Clone, Copy)]
struct ByBytes;

impl quick_cache::Weighter<PageKey, Arc<Kept>> for ByBytes {
    fn weight(&self, key: &PageKey, page: &Arc<Kept>) -> u64 {
        let key_len: usize = key.parts.iter().map(String::len).sum();
        (page.html.len() + page.gzip.len() + key_len + 256) as u64
    }
}

/// The fingerprint last read and when.
#[derive(Debug)]
struct Checked {
    fingerprint: Option<String>,
    at: Option<Instant>,
}

/// The pages kept and the generation they belong to (see the module documentation).
#[derive(Debug)]
pub(crate) struct PublicPages {
    pages: quick_cache::sync::Cache<PageKey, Arc<Kept>, ByBytes>,
    generation: AtomicU64,
    /// Set after a request that may have written: the next read checks the fingerprint.
    dirty: AtomicBool,
    checked: tokio::sync::Mutex<Checked>,
    /// Public pages rendered at once: rendering a national ranking holds its whole report, so
    /// their number bounds the memory a burst of different pages can take.
    renders: tokio::sync::Semaphore,
}

impl Default for PublicPages {
    fn default() -> Self {
        PublicPages {
            pages: quick_cache::sync::Cache::with_weighter(1024, Self::CAPACITY, ByBytes),
            generation: AtomicU64::new(0),
            dirty: AtomicBool::new(true),
            checked: tokio::sync::Mutex::new(Checked {
                fingerprint: None,
                at: None,
            }),
            renders: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8)),
            ),
        }
    }
}

/// A rendered page offered for keeping.
pub(crate) struct Rendered {
    /// The HTML.
    pub(crate) html: String,
    /// True when the page shows published results only, so anybody may be given it.
    pub(crate) public: bool,
}

impl PublicPages {
    /// Most bytes kept (HTML and gzip together).
    pub(crate) const CAPACITY: u64 = 64 * 1024 * 1024;
    /// How long a fingerprint is trusted before the store is asked again, by default (see
    /// [`crate::WebConfig::public_recheck`]).
    pub(crate) const RECHECK: Duration = Duration::from_secs(1);
    /// What browsers and proxies are told: keep it, but ask before each use (a correction can
    /// replace the latest version at any time, and its readers must see it at once); the
    /// question costs a `304` without a body.
    const CACHE_CONTROL: &'static str = "public, no-cache";

    /// Marks the fingerprint for checking on the next read.
    pub(crate) fn touch(&self) {
        self.dirty.store(true, Ordering::Release);
    }

    /// The current generation, reading the fingerprint first when it is due. When the
    /// fingerprint cannot be read, nothing kept is served (and nothing new is kept).
    async fn generation(&self, state: &AppState) -> Option<u64> {
        let recheck = state.config().public_recheck;
        let due = |c: &Checked| {
            self.dirty.load(Ordering::Acquire) || c.at.is_none_or(|t| t.elapsed() >= recheck)
        };
        {
            // Another request is reading it: serve what is kept meanwhile, unless nothing was
            // ever read.
            let Ok(mut checked) = self.checked.try_lock() else {
                return self.trusted();
            };
            if !due(&checked) {
                return Some(self.generation.load(Ordering::Acquire));
            }
            self.dirty.store(false, Ordering::Release);
            match chiso_services::publication::public_fingerprint(state.db()).await {
                Ok(fp) => {
                    if checked.fingerprint.as_ref() != Some(&fp) {
                        self.generation.fetch_add(1, Ordering::AcqRel);
                        self.pages.clear();
                        checked.fingerprint = Some(fp);
                    }
                    checked.at = Some(Instant::now());
                }
                Err(e) => {
                    tracing::warn!(error = %e, "public fingerprint unreadable; pages not kept");
                    checked.fingerprint = None;
                    checked.at = None;
                    self.dirty.store(true, Ordering::Release);
                    self.generation.fetch_add(1, Ordering::AcqRel);
                    self.pages.clear();
                    return None;
                }
            }
        }
        Some(self.generation.load(Ordering::Acquire))
    }

    /// The generation while another request reads the fingerprint: valid only once one was
    /// read.
    fn trusted(&self) -> Option<u64> {
        (!self.dirty.load(Ordering::Acquire)).then(|| self.generation.load(Ordering::Acquire))
    }

    /// Serves the page of `key` (None: a signed-in reader, never kept) from memory, or renders
    /// it with `render` and keeps it when it is public.
    pub(crate) async fn serve<F, Fut>(
        state: &AppState,
        headers: &HeaderMap,
        key: Option<PageKey>,
        render: F,
    ) -> Result<Response, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Rendered, AppError>>,
    {
        let Some(key) = key else {
            return Ok(html_response(render().await?.html));
        };
        let this = state.public_pages();
        let Some(generation) = this.generation(state).await else {
            let _turn = this.renders.acquire().await;
            return Ok(html_response(render().await?.html));
        };
        // Readers of a page being rendered wait for it instead of rendering it too: on
        // publication day thousands ask for the new ranking within the same second.
        let guard = match this.pages.get_value_or_guard_async(&key).await {
            Ok(page) if page.generation == generation => return Ok(respond(&page, headers)),
            Ok(_) => None,
            Err(guard) => Some(guard),
        };
        let rendered = {
            let _turn = this.renders.acquire().await;
            render().await?
        };
        if !rendered.public {
            return Ok(html_response(rendered.html));
        }
        let page = Arc::new(keep(generation, rendered.html));
        // Kept only if nothing changed while it was rendered.
        if this.generation.load(Ordering::Acquire) == generation {
            match guard {
                Some(guard) => {
                    let _ = guard.insert(Arc::clone(&page));
                }
                None => this.pages.insert(key, Arc::clone(&page)),
            }
        }
        Ok(respond(&page, headers))
    }
}

/// A page that is not kept (signed-in readers, confidential results): what the handlers
/// returned before.
fn html_response(html: String) -> Response {
    axum::response::Html(html).into_response()
}

/// Prepares a page for keeping: its validator and its gzipped bytes.
fn keep(generation: u64, html: String) -> Kept {
    let digest = Sha256::digest(html.as_bytes());
    // Weak: the plain and gzipped bodies are the same page, with different bytes.
    let etag = format!("W/\"{}\"", hex::encode(&digest[..12]));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let gzip = gz
        .write_all(html.as_bytes())
        .and_then(|()| gz.finish())
        .unwrap_or_default();
    Kept {
        generation,
        etag: HeaderValue::from_str(&etag).unwrap_or_else(|_| HeaderValue::from_static("W/\"\"")),
        content_type: HeaderValue::from_static("text/html; charset=utf-8"),
        html: Bytes::from(html),
        gzip: Bytes::from(gzip),
    }
}

/// The response for a kept page: `304` when the client holds it already, else the page,
/// gzipped when the client accepts it.
fn respond(page: &Kept, headers: &HeaderMap) -> Response {
    let mut resp = if holds(headers, &page.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if accepts_gzip(headers) && !page.gzip.is_empty() {
        let mut r = Response::new(Body::from(page.gzip.clone()));
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r.headers_mut()
            .insert(header::CONTENT_TYPE, page.content_type.clone());
        r
    } else {
        let mut r = Response::new(Body::from(page.html.clone()));
        r.headers_mut()
            .insert(header::CONTENT_TYPE, page.content_type.clone());
        r
    };
    let h = resp.headers_mut();
    h.insert(header::ETAG, page.etag.clone());
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(PublicPages::CACHE_CONTROL),
    );
    // The language comes from a cookie; the encoding from the request.
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Encoding, Cookie"),
    );
    resp
}

/// True when `If-None-Match` names `etag` (or is `*`). Weak comparison, as RFC 9110 asks for
/// `If-None-Match`.
fn holds(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let ours = etag.to_str().unwrap_or_default();
    let ours = ours.strip_prefix("W/").unwrap_or(ours);
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == ours)
}

/// True when `Accept-Encoding` lists gzip (or `*`) with a non-zero weight.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut fields = item.split(';').map(str::trim);
            let coding = fields.next().unwrap_or_default();
            let zero = fields.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !zero
        })
}

/// Middleware: after any request that may have written (not GET, HEAD or OPTIONS), the
/// fingerprint of public data is read again before the next kept page is served.
pub(crate) async fn forget_after_writes(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let reads = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let resp = next.run(req).await;
    if !reads {
        state.public_pages().touch();
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k.clone(), HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn a_client_holding_the_page_is_recognised_by_its_validator() {
        let page = keep(1, "<p>xin chào</p>".to_owned());
        let tag = page.etag.to_str().expect("ascii").to_owned();
        assert!(holds(
            &headers(&[(header::IF_NONE_MATCH, &tag)]),
            &page.etag
        ));
        let strong = tag.trim_start_matches("W/").to_owned();
        assert!(holds(
            &headers(&[(header::IF_NONE_MATCH, &format!("\"x\", {strong}"))]),
            &page.etag
        ));
        assert!(holds(&headers(&[(header::IF_NONE_MATCH, "*")]), &page.etag));
        assert!(!holds(
            &headers(&[(header::IF_NONE_MATCH, "W/\"other\"")]),
            &page.etag
        ));
        assert!(!holds(&HeaderMap::new(), &page.etag));
    }

    #[test]
    fn gzip_is_sent_only_to_clients_that_accept_it() {
        assert!(accepts_gzip(&headers(&[(
            header::ACCEPT_ENCODING,
            "gzip, deflate, br"
        )])));
        assert!(accepts_gzip(&headers(&[(
            header::ACCEPT_ENCODING,
            "br;q=1.0, GZIP;q=0.5"
        )])));
        assert!(accepts_gzip(&headers(&[(header::ACCEPT_ENCODING, "*")])));
        assert!(!accepts_gzip(&headers(&[(
            header::ACCEPT_ENCODING,
            "gzip;q=0"
        )])));
        assert!(!accepts_gzip(&headers(&[(
            header::ACCEPT_ENCODING,
            "br, identity"
        )])));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn a_kept_page_gzips_to_the_same_html() {
        let html = "<h1>Chỉ số cải cách hành chính</h1>".repeat(100);
        let page = keep(3, html.clone());
        let mut out = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&page.gzip[..]), &mut out)
            .expect("gunzip");
        assert_eq!(out, html);
        assert!(page.gzip.len() < page.html.len());
        assert_eq!(page.generation, 3);
    }
}
