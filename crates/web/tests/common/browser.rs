//! A browser for tests: keeps the session cookie, reads CSRF tokens from forms, follows no
//! redirects (so tests can assert them).

use reqwest::StatusCode;

/// A browser: keeps the session cookie, reads CSRF tokens from forms.
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
    pub cookie: Option<String>,
}

pub struct Reply {
    pub status: StatusCode,
    pub set_cookie: String,
    pub location: String,
    pub body: String,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Browser {
            base: base.to_owned(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookie: None,
        }
    }

    /// The same cookie, on another node.
    pub fn on(&self, base: &str) -> Browser {
        Browser {
            cookie: self.cookie.clone(),
            ..Browser::new(base)
        }
    }

    pub async fn send(&mut self, req: reqwest::RequestBuilder) -> Reply {
        let req = match &self.cookie {
            Some(c) => req.header("cookie", c),
            None => req,
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
        for line in set_cookie.lines() {
            if let Some(rest) = line.strip_prefix("chiso_session=") {
                let value = rest.split(';').next().unwrap_or("");
                let removed = value.is_empty() || line.contains("Max-Age=0");
                self.cookie = (!removed).then(|| format!("chiso_session={value}"));
            }
        }
        Reply {
            status: resp.status(),
            set_cookie,
            location,
            body: resp.text().await.unwrap_or_default(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        let req = self.client.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Reply {
        let req = self.client.post(format!("{}{path}", self.base)).form(form);
        self.send(req).await
    }

    /// Loads `page` and submits `form` to `action` with the page's CSRF token.
    pub async fn submit(&mut self, page: &str, action: &str, form: &[(&str, &str)]) -> Reply {
        let token = csrf_of(&self.get(page).await.body);
        let mut fields = vec![("csrf", token.as_str())];
        fields.extend_from_slice(form);
        self.post(action, &fields).await
    }

    /// Sends a JSON request with the session cookie and the page's CSRF header when the
    /// session has one.
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

    pub async fn login(&mut self, login: &str, password: &str) -> Reply {
        self.submit(
            "/dang-nhap",
            "/dang-nhap",
            &[("login", login), ("password", password)],
        )
        .await
    }
}

pub fn csrf_of(body: &str) -> String {
    let start = body
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no CSRF field in:\n{body}"))
        + "name=\"csrf\" value=\"".len();
    body[start..start + 64].to_owned()
}
