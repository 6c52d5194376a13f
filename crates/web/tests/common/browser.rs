//! The one test browser of the web tests: keeps the session and language cookies, reads CSRF
//! tokens from forms, posts forms, JSON and multipart bodies, and follows no redirects (so
//! tests can assert them). Page-specific steps (uploading to a leaf, appraising a value) are
//! small extension traits in the test files that need them.

use reqwest::StatusCode;

/// A browser: keeps the session cookie, reads CSRF tokens from forms.
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
    pub cookie: Option<String>,
    /// The language cookie, once a page was asked for in a language.
    pub lang: Option<String>,
    /// The session's CSRF token once signed in with [`Browser::signed_in`]; added by
    /// [`Browser::post_csrf`].
    pub csrf: String,
}

/// One answer, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub set_cookie: String,
    pub location: String,
    pub content_type: String,
    pub disposition: String,
    /// Every header of the answer.
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
    pub bytes: Vec<u8>,
}

impl Reply {
    /// Whether the body contains `needle`.
    pub fn has(&self, needle: &str) -> bool {
        self.body.contains(needle)
    }

    /// Fails, showing the page, unless the body contains every needle.
    #[track_caller]
    pub fn assert_has(&self, needles: &[&str]) {
        for n in needles {
            assert!(self.has(n), "expected {n:?} in the page:\n{}", self.body);
        }
    }

    /// Fails, showing the page, if the body contains any of the needles.
    #[track_caller]
    pub fn assert_lacks(&self, needles: &[&str]) {
        for n in needles {
            assert!(
                !self.has(n),
                "did not expect {n:?} in the page:\n{}",
                self.body
            );
        }
    }

    /// The body as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.body))
    }
}

/// The boundary of the multipart bodies tests build by hand.
pub const BOUNDARY: &str = "chiso-test-boundary-5f3a9c";

/// One part of a multipart form.
pub enum Part<'a> {
    /// A text field: name, value.
    Text(&'a str, &'a str),
    /// A file: field name, file name, content.
    File(&'a str, &'a str, &'a [u8]),
}

/// A multipart body with [`BOUNDARY`].
pub fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match p {
            Part::Text(name, value) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                        .as_bytes(),
                );
            }
            Part::File(name, file_name, content) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(content);
                body.extend_from_slice(b"\r\n");
            }
        }
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

impl Browser {
    /// A visitor who is not signed in.
    pub fn new(base: &str) -> Browser {
        Browser {
            base: base.to_owned(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookie: None,
            lang: None,
            csrf: String::new(),
        }
    }

    /// `login` signed in with `password`, the session's CSRF token kept.
    pub async fn signed_in(base: &str, login: &str, password: &str) -> Browser {
        let mut b = Browser::new(base);
        let r = b.login(login, password).await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "sign-in of {login}: {}",
            r.body
        );
        b.csrf = b.token().await;
        b
    }

    /// The same cookie, on another node.
    pub fn on(&self, base: &str) -> Browser {
        Browser {
            cookie: self.cookie.clone(),
            lang: self.lang.clone(),
            csrf: self.csrf.clone(),
            ..Browser::new(base)
        }
    }

    pub async fn send(&mut self, req: reqwest::RequestBuilder) -> Reply {
        let cookies = [self.cookie.clone(), self.lang.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("; ");
        let req = if cookies.is_empty() {
            req
        } else {
            req.header("cookie", cookies)
        };
        let resp = req.send().await.expect("request");
        let header = |name: &str| {
            resp.headers()
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect::<Vec<_>>()
                .join("\n")
        };
        let set_cookie = header("set-cookie");
        let location = header("location");
        let content_type = header("content-type");
        let disposition = header("content-disposition");
        for line in set_cookie.lines() {
            if let Some(rest) = line.strip_prefix("chiso_session=") {
                let value = rest.split(';').next().unwrap_or("");
                let removed = value.is_empty() || line.contains("Max-Age=0");
                self.cookie = (!removed).then(|| format!("chiso_session={value}"));
            }
            if let Some(rest) = line.strip_prefix("lang=") {
                self.lang = Some(format!("lang={}", rest.split(';').next().unwrap_or("")));
            }
        }
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap_or_default().to_vec();
        Reply {
            status,
            set_cookie,
            location,
            content_type,
            disposition,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        let req = self.client.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    /// GET `path`, asserting 200.
    pub async fn page(&mut self, path: &str) -> Reply {
        let r = self.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "GET {path}: {}", r.body);
        r
    }

    /// Posts `form` as it is (a test of the CSRF check sends none).
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Reply {
        let req = self.client.post(format!("{}{path}", self.base)).form(form);
        self.send(req).await
    }

    /// Posts `form` with the session's kept CSRF token first.
    pub async fn post_csrf(&mut self, path: &str, form: &[(&str, &str)]) -> Reply {
        let token = self.csrf.clone();
        let mut fields = vec![("csrf", token.as_str())];
        fields.extend_from_slice(form);
        self.post(path, &fields).await
    }

    /// Loads `page` and submits `form` to `action` with the page's CSRF token.
    pub async fn submit(&mut self, page: &str, action: &str, form: &[(&str, &str)]) -> Reply {
        let token = csrf_of(&self.get(page).await.body);
        let mut fields = vec![("csrf", token.as_str())];
        fields.extend_from_slice(form);
        self.post(action, &fields).await
    }

    /// The CSRF token of this session (from the home page).
    pub async fn token(&mut self) -> String {
        csrf_of(&self.get("/").await.body)
    }

    /// Sends a JSON request with the session cookie.
    pub async fn json(
        &mut self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Reply {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(b);
        }
        self.send(req).await
    }

    /// Posts a multipart form built from `parts`.
    pub async fn post_multipart(&mut self, path: &str, parts: &[Part<'_>]) -> Reply {
        self.post_raw_multipart(path, multipart(parts)).await
    }

    /// Posts a hand-built multipart body with [`BOUNDARY`].
    pub async fn post_raw_multipart(&mut self, path: &str, body: Vec<u8>) -> Reply {
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body);
        self.send(req).await
    }

    /// Fills and posts the sign-in form.
    pub async fn login(&mut self, login: &str, password: &str) -> Reply {
        self.submit(
            "/dang-nhap",
            "/dang-nhap",
            &[("login", login), ("password", password)],
        )
        .await
    }
}

/// The CSRF token of the first form on a page.
pub fn csrf_of(body: &str) -> String {
    let start = body
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no CSRF field in:\n{body}"))
        + "name=\"csrf\" value=\"".len();
    body[start..start + 64].to_owned()
}

/// The value of the hidden input `name` on a page.
pub fn hidden(body: &str, name: &str) -> String {
    hidden_or_none(body, name).unwrap_or_else(|| panic!("no field {name} in:\n{body}"))
}

/// The value of the hidden input `name`, if the page has it (a refused page has none).
pub fn hidden_or_none(body: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker)? + marker.len();
    body[start..].split('"').next().map(str::to_owned)
}
