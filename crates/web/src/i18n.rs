//! Languages of the interface: Vietnamese by default, English second. Every string people read
//! lives in the catalogs under `locales/` (flat `key: text` maps embedded in the binary, one
//! file per area of the interface and language: `vi/results.yml`, `en/results.yml`…), never in
//! code or templates.
//!
//! The language is chosen by a link (`?lang=en`), remembered in a `lang` cookie and read from
//! it on later requests. `Accept-Language` is deliberately ignored: public officials often use
//! browsers set to English and still expect the Vietnamese official wording by default.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::LazyLock;

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::middleware::Next;
use axum::response::Response;

/// A language of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// Tiếng Việt, the default.
    #[default]
    Vi,
    /// English.
    En,
}

/// Name of the cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "lang";

type Catalog = BTreeMap<String, String>;

/// The areas of the interface, one catalog file each per language. Splitting them keeps each
/// file about one subject; a key defined in two files of a language is a build-time mistake
/// caught on first use (and by the tests).
macro_rules! catalog_files {
    ($lang:literal: $($area:literal),* $(,)?) => {
        [$(
            (
                concat!($lang, "/", $area, ".yml"),
                include_str!(concat!("../locales/", $lang, "/", $area, ".yml")),
            )
        ),*]
    };
}

fn load(files: &[(&str, &str)]) -> Catalog {
    let mut catalog = Catalog::new();
    for (name, text) in files {
        let part: Option<Catalog> = serde_yaml_ng::from_str(text)
            .unwrap_or_else(|e| panic!("locale file {name} is not a flat `key: text` map: {e}"));
        for (key, value) in part.unwrap_or_default() {
            if catalog.insert(key.clone(), value).is_some() {
                panic!("locale key {key} is defined twice (again in {name})");
            }
        }
    }
    catalog
}

// The texts of file problems live with their codes in `chiso-formats` and join the catalogs.
static VI: LazyLock<Catalog> = LazyLock::new(|| {
    let own = catalog_files!("vi": "results", "accounts", "cycle", "review", "units", "sets", "periods", "notify", "errors", "tokens", "measured", "surveys", "survey_form", "downloads", "methodology", "analysis", "ranking");
    let mut files = own.to_vec();
    files.push(("formats vi/files.yml", chiso_formats::TEXTS_VI));
    load(&files)
});
static EN: LazyLock<Catalog> = LazyLock::new(|| {
    let own = catalog_files!("en": "results", "accounts", "cycle", "review", "units", "sets", "periods", "notify", "errors", "tokens", "measured", "surveys", "survey_form", "downloads", "methodology", "analysis", "ranking");
    let mut files = own.to_vec();
    files.push(("formats en/files.yml", chiso_formats::TEXTS_EN));
    load(&files)
});

impl Lang {
    /// Every language, default first.
    pub const ALL: [Lang; 2] = [Lang::Vi, Lang::En];

    /// The code used in URLs, cookies and `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// Parses `vi` or `en`.
    pub fn parse(raw: &str) -> Option<Lang> {
        match raw.trim() {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language the switch link offers.
    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    fn catalog(self) -> &'static Catalog {
        match self {
            Lang::Vi => &VI,
            Lang::En => &EN,
        }
    }

    /// The language of a request: an explicit `?lang=` first, then the cookie, else Vietnamese.
    pub fn from_request(uri: &Uri, headers: &HeaderMap) -> Lang {
        query_lang(uri)
            .or_else(|| cookie_lang(headers))
            .unwrap_or_default()
    }

    /// The text for `key`; the key itself when missing (a test keeps that from happening).
    pub fn t(self, key: &'static str) -> &'static str {
        self.lookup(key).unwrap_or(key)
    }

    /// The text for a key built at run time (e.g. a status name), if the catalog has it.
    pub fn lookup(self, key: &str) -> Option<&'static str> {
        self.catalog().get(key).map(String::as_str)
    }

    /// The text for `key` with `{name}` placeholders replaced.
    pub fn tf(self, key: &str, args: &[(&str, &str)]) -> String {
        let mut s = self.lookup(key).unwrap_or(key).to_owned();
        for (name, value) in args {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        s
    }
}

/// The keys of a language's catalog, sorted.
pub fn keys(lang: Lang) -> Vec<&'static str> {
    lang.catalog().keys().map(String::as_str).collect()
}

fn query_lang(uri: &Uri) -> Option<Lang> {
    uri.query()?
        .split('&')
        .filter_map(|pair| pair.strip_prefix("lang="))
        .find_map(Lang::parse)
}

fn cookie_lang(headers: &HeaderMap) -> Option<Lang> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix("lang="))
        .find_map(Lang::parse)
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::from_request(&parts.uri, &parts.headers))
    }
}

/// Middleware: when a request carries `?lang=`, remembers it in a cookie for a year; every
/// response says it varies by cookie so that shared caches keep the languages apart.
pub(crate) async fn remember_lang(req: Request, next: Next) -> Response {
    let chosen = query_lang(req.uri());
    let mut resp = next.run(req).await;
    if let Some(lang) = chosen {
        let cookie = format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly",
            lang.code()
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
        // A response setting a cookie is this reader's own: no shared cache may keep it.
        let public = resp
            .headers()
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("public"));
        if public {
            resp.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-cache"),
            );
        }
    }
    let says_cookie = resp
        .headers()
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("cookie"));
    if !says_cookie {
        resp.headers_mut()
            .append(header::VARY, HeaderValue::from_static("Cookie"));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_wins_over_cookie_and_vietnamese_is_the_default() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::from_request(&"/".parse().unwrap(), &h), Lang::Vi);
        h.insert(header::COOKIE, HeaderValue::from_static("a=b; lang=en"));
        assert_eq!(Lang::from_request(&"/".parse().unwrap(), &h), Lang::En);
        assert_eq!(
            Lang::from_request(&"/?x=1&lang=vi".parse().unwrap(), &h),
            Lang::Vi
        );
        assert_eq!(
            Lang::from_request(&"/?lang=fr".parse().unwrap(), &h),
            Lang::En
        );
    }

    #[test]
    fn placeholders_are_filled() {
        assert!(
            Lang::Vi
                .tf("error.period_not_found", &[("period", "2099")])
                .contains("2099")
        );
    }
}
