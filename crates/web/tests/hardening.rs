//! The server against hostile clients: parallel password guessing, floods of sign-in
//! attempts, clients that never finish their requests, anonymous requests that would store
//! sessions or make the server read huge bodies, control characters and undecodable paths in
//! every kind of input, caching of personal pages, and the localized 413. Each runs the real
//! application on port 0; SQLite always, PostgreSQL too when `CHISO_TEST_PG` is set.

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chiso_store::{Actor, Db, users};
use chiso_web::WebConfig;
use chiso_web::accounts::PasswordHashing;
use common::{TestApp, backends, cheap_hash};
use reqwest::StatusCode;
use time::macros::datetime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PASSWORD: &str = "mat-khau-dung-123";

async fn add_user(db: &Db, login: &str, admin: bool) {
    users::create(
        db,
        login,
        login,
        &cheap_hash(PASSWORD),
        admin,
        &Actor::system(),
        datetime!(2025-01-01 00:00 UTC),
    )
    .await
    .expect("create user");
}

async fn sessions_in_db(db: &Db) -> i64 {
    match db {
        Db::Sqlite(p) => sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
            .fetch_one(p)
            .await
            .expect("count"),
        Db::Postgres(p) => sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
            .fetch_one(p)
            .await
            .expect("count"),
    }
}

fn csrf_of(body: &str) -> String {
    let start = body
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no CSRF field in:\n{body}"))
        + "name=\"csrf\" value=\"".len();
    body[start..].split('"').next().unwrap_or("").to_owned()
}

/// The session cookie (`chiso_session=…`) set by a response, if any.
fn session_cookie(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|l| l.starts_with("chiso_session="))
        .map(|l| l.split(';').next().unwrap_or("").to_owned())
}

/// `host:port` of the application.
fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

/// Signs `login` in with a cookie-less client; returns the session cookie.
async fn sign_in(app: &TestApp, login: &str) -> String {
    let token = csrf_of(&app.get("/dang-nhap").await.body);
    let resp = app
        .client
        .post(format!("{}/dang-nhap", app.base))
        .form(&[
            ("csrf", token.as_str()),
            ("login", login),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("sign in");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "[{}]", app.backend);
    session_cookie(&resp).expect("session cookie")
}

/// Sends raw bytes on a fresh connection and returns what the server answered within
/// `wait` (the connection closing ends the read early).
async fn raw(app: &TestApp, request: &[u8], wait: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut conn = TcpStream::connect(addr(app)).await.expect("connect");
    conn.write_all(request).await.expect("write");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(Ok(n)) =
        tokio::time::timeout(wait.saturating_sub(started.elapsed()), conn.read(&mut buf)).await
    {
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
        // One response is all we want; the header says how long its body is.
        if response_complete(&got) {
            break;
        }
    }
    (
        String::from_utf8_lossy(&got).into_owned(),
        started.elapsed(),
    )
}

fn response_complete(got: &[u8]) -> bool {
    let text = String::from_utf8_lossy(got);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    head.lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|n| n.trim().parse::<usize>().unwrap_or(0))
        })
        .is_some_and(|n| body.len() >= n)
}

#[tokio::test]
async fn parallel_wrong_passwords_check_at_most_the_login_limit_and_the_right_one_then_fails() {
    for backend in backends() {
        let hashing = Arc::new(PasswordHashing::new(2, Duration::from_secs(30)));
        let config = WebConfig {
            hashing: Arc::clone(&hashing),
            ..WebConfig::default()
        };
        let app = TestApp::start_with(&backend, config, false).await;
        add_user(app.db(), "lan", false).await;
        let token = csrf_of(&app.get("/dang-nhap").await.body);
        let attempt = |password: String| {
            let req = app.client.post(format!("{}/dang-nhap", app.base)).form(&[
                ("csrf", token.as_str()),
                ("login", "lan"),
                ("password", password.as_str()),
            ]);
            async move { req.send().await.expect("attempt").status() }
        };

        let wrong: Vec<_> = (0..40).map(|i| attempt(format!("sai-{i}"))).collect();
        let statuses = futures_util::future::join_all(wrong).await;
        let checked = statuses
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED)
            .count();
        let refused = statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count();
        assert_eq!(
            (checked, refused),
            (5, 35),
            "[{}] {statuses:?}",
            app.backend
        );
        assert_eq!(hashing.verified(), 5, "[{}]", app.backend);

        // The limit is spent: the right password, sent among wrong ones, is not even checked.
        let mut mixed: Vec<_> = (0..19).map(|i| attempt(format!("lai-sai-{i}"))).collect();
        mixed.insert(7, attempt(PASSWORD.to_owned()));
        let statuses = futures_util::future::join_all(mixed).await;
        assert!(
            statuses.iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
            "[{}] {statuses:?}",
            app.backend
        );
        assert_eq!(hashing.verified(), 5, "[{}]", app.backend);
        assert_eq!(sessions_in_db(app.db()).await, 0, "[{}]", app.backend);
        app.stop().await;
    }
}

#[tokio::test]
async fn sign_ins_beyond_the_hashing_gate_get_a_localized_503_with_retry_after() {
    // One hash at a time and no patience: attempts on unknown logins (verified against the
    // real-strength fixed hash, ~19 MiB each) overlap, and the ones that find the gate taken
    // are refused instead of piling up memory.
    let hashing = Arc::new(PasswordHashing::new(1, Duration::from_millis(1)));
    let config = WebConfig {
        hashing: Arc::clone(&hashing),
        ..WebConfig::default()
    };
    let backend = backends().remove(0);
    let app = TestApp::start_with(&backend, config, false).await;
    let token = csrf_of(&app.get("/dang-nhap").await.body);
    let attempts: Vec<_> = (0..12)
        .map(|i| {
            let lang = if i % 2 == 0 { "vi" } else { "en" };
            let req = app
                .client
                .post(format!("{}/dang-nhap?lang={lang}", app.base))
                .form(&[
                    ("csrf", token.as_str()),
                    ("login", format!("khong-co-{i}").as_str()),
                    ("password", "bat-ky"),
                ]);
            async move {
                let resp = req.send().await.expect("attempt");
                let status = resp.status();
                let retry = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                (lang, status, retry, resp.text().await.unwrap_or_default())
            }
        })
        .collect();
    let answers = futures_util::future::join_all(attempts).await;
    let busy: Vec<_> = answers
        .iter()
        .filter(|(_, s, _, _)| *s == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(!busy.is_empty(), "no attempt found the gate busy");
    assert!(answers.iter().all(
        |(_, s, _, _)| *s == StatusCode::SERVICE_UNAVAILABLE || *s == StatusCode::UNAUTHORIZED
    ));
    for (lang, _, retry, body) in &busy {
        assert_eq!(retry.as_deref(), Some("1"));
        let expected = if *lang == "vi" {
            "Máy chủ đang bận kiểm tra nhiều mật khẩu cùng lúc"
        } else {
            "The server is busy checking many passwords at once"
        };
        assert!(body.contains(expected), "{body}");
    }
    let checked = answers.len() - busy.len();
    assert_eq!(hashing.verified(), checked as u64);
    assert!(checked >= 1);
    app.stop().await;
}

#[tokio::test]
async fn a_client_that_never_finishes_its_header_is_dropped_after_the_timeout() {
    let config = WebConfig {
        header_timeout: Duration::from_millis(500),
        ..WebConfig::default()
    };
    let backend = backends().remove(0);
    let app = TestApp::start_with(&backend, config, false).await;
    let (got, took) = raw(
        &app,
        b"GET /healthz HTTP/1.1\r\nHost: chiso\r\nX-Slow: ",
        Duration::from_secs(10),
    )
    .await;
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(5),
        "closed after {took:?}"
    );
    assert!(!got.contains("200 OK"), "{got}");
    // A silent connection (not a single byte) is dropped the same way.
    let (_, took) = raw(&app, b"", Duration::from_secs(10)).await;
    assert!(took < Duration::from_secs(5), "closed after {took:?}");
    // Prompt clients are served as usual.
    assert_eq!(app.get("/healthz").await.body, "ok");
    app.stop().await;
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_until_one_closes() {
    let config = WebConfig {
        max_connections: 2,
        header_timeout: Duration::from_secs(30),
        ..WebConfig::default()
    };
    let backend = backends().remove(0);
    let app = TestApp::start_with(&backend, config, false).await;
    let idle_a = TcpStream::connect(addr(&app)).await.expect("connect");
    let _idle_b = TcpStream::connect(addr(&app)).await.expect("connect");
    // Let the server take both slots.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let request = b"GET /healthz HTTP/1.1\r\nHost: chiso\r\nConnection: close\r\n\r\n";
    let third = {
        let a = addr(&app);
        tokio::spawn(async move {
            let started = Instant::now();
            let mut conn = TcpStream::connect(a).await.expect("connect");
            conn.write_all(request).await.expect("write");
            let mut got = String::new();
            conn.read_to_string(&mut got).await.expect("read");
            (got, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        !third.is_finished(),
        "the third connection was served at once"
    );
    drop(idle_a);
    let (got, took) = tokio::time::timeout(Duration::from_secs(5), third)
        .await
        .expect("served once a slot freed")
        .expect("task");
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    assert!(took >= Duration::from_millis(800), "{took:?}");
    app.stop().await;
}

#[tokio::test]
async fn control_characters_are_refused_with_422_naming_the_field_in_every_input() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        add_user(app.db(), "lan", false).await;

        // The anonymous sign-in form.
        let token = csrf_of(&app.get("/dang-nhap").await.body);
        let resp = app
            .client
            .post(format!("{}/dang-nhap", app.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf={token}&login=a%00b&password=x"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = resp.text().await.unwrap();
        assert!(
            body.contains("Trường “login” chứa ký tự điều khiển"),
            "[{}] {body}",
            app.backend
        );

        // A query string, on a page and on the API.
        let page = app.get("/dang-nhap?next=%2Fa%00b").await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        page.assert_contains(&["Trường “next”"]);
        let api = app.get("/api/v1/periods?x=1%01&lang=en").await;
        assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(api.json()["error"]["code"], "control_character");
        assert!(
            api.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Field “x” contains a control character")
        );

        // Path parameters, on a page and on the API.
        let page = app.get("/ky/2024%00").await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            page.body
        );
        page.assert_contains(&["Trường “period”"]);
        let api = app.get("/api/v1/periods/2024%00/results").await;
        assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", api.body);
        assert_eq!(api.json()["error"]["code"], "control_character");

        // A JSON body, nested.
        let resp = app
            .client
            .post(format!("{}/api/v1/periods", app.base))
            .json(&serde_json::json!({"unit": {"name": "a\u{0}b"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: serde_json::Value = resp.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("“unit.name”"),
            "{body}"
        );

        // A signed-in form, and multi-line text still goes through.
        let cookie = sign_in(&app, "lan").await;
        let page = app
            .get_with("/tai-khoan/mat-khau", &[("cookie", &cookie)])
            .await;
        let token = csrf_of(&page.body);
        let resp = app
            .client
            .post(format!("{}/tai-khoan/mat-khau", app.base))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf={token}&current=x%1By&new=a&confirm=a"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(resp.text().await.unwrap().contains("Trường “current”"));
        let resp = app
            .client
            .post(format!("{}/tai-khoan/mat-khau", app.base))
            .header("cookie", &cookie)
            .form(&[
                ("csrf", token.as_str()),
                ("current", "sai\r\nsai\tsai"),
                ("new", "a"),
                ("confirm", "a"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            resp.text()
                .await
                .unwrap()
                .contains("Mật khẩu hiện tại không đúng")
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn showing_the_sign_in_form_to_anonymous_visitors_stores_no_session() {
    for backend in backends() {
        let app = TestApp::start_with(&backend, WebConfig::default(), false).await;
        add_user(app.db(), "lan", false).await;
        let before = sessions_in_db(app.db()).await;
        let mut tokens = Vec::new();
        for chunk in 0..20 {
            let batch: Vec<_> = (0..100)
                .map(|_| {
                    let req = app.client.get(format!("{}/dang-nhap", app.base));
                    async move {
                        let resp = req.send().await.expect("form");
                        assert_eq!(resp.status(), StatusCode::OK);
                        assert!(session_cookie(&resp).is_none(), "a session cookie was set");
                        csrf_of(&resp.text().await.unwrap())
                    }
                })
                .collect();
            let got = futures_util::future::join_all(batch).await;
            if chunk == 0 {
                tokens = got;
            }
        }
        assert_eq!(sessions_in_db(app.db()).await, before, "[{}]", app.backend);

        // The form still protects itself: a forged or missing token is refused, a shown one
        // signs in (and only then is a session stored).
        let post = |token: &str| {
            app.client
                .post(format!("{}/dang-nhap", app.base))
                .form(&[("csrf", token), ("login", "lan"), ("password", PASSWORD)])
                .send()
        };
        let genuine = &tokens[0];
        assert_eq!(genuine.len(), 64);
        // Another tag, and a later expiry under the same tag.
        let forged_mac = format!("{}{}", &genuine[..24], "0".repeat(40));
        let later = format!("ff{}", &genuine[2..]);
        for bad in ["", "0", forged_mac.as_str(), later.as_str()] {
            let resp = post(bad).await.unwrap();
            assert_eq!(resp.status(), StatusCode::FORBIDDEN, "token {bad:?}");
        }
        assert_eq!(sessions_in_db(app.db()).await, before);
        let resp = post(genuine).await.unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "[{}]", app.backend);
        assert_eq!(sessions_in_db(app.db()).await, before + 1);
        app.stop().await;
    }
}

#[tokio::test]
async fn forged_posts_are_refused_before_their_bodies_are_read() {
    for backend in backends() {
        let config = WebConfig {
            body_limit: 32 * 1024 * 1024,
            body_timeout: Duration::from_secs(60),
            ..WebConfig::default()
        };
        let app = TestApp::start_with(&backend, config, false).await;
        add_user(app.db(), "admin", true).await;
        let cookie = sign_in(&app, "admin").await;
        let host = addr(&app);
        // Each announces 20 MB and sends a few bytes: reading the body would wait for the
        // body timeout (60 s); an answer within 3 s means it was not read.
        let cases: [(&str, String, &str); 4] = [
            (
                "no session",
                String::new(),
                "application/x-www-form-urlencoded",
            ),
            (
                "another site",
                format!("Cookie: {cookie}\r\nOrigin: https://evil.example\r\n"),
                "application/x-www-form-urlencoded",
            ),
            (
                "a form over the form limit",
                format!("Cookie: {cookie}\r\n"),
                "application/x-www-form-urlencoded",
            ),
            (
                "no session, multipart",
                String::new(),
                "multipart/form-data; boundary=XYZ",
            ),
        ];
        for (what, extra, content_type) in &cases {
            let request = format!(
                "POST /quan-tri/nguoi-dung HTTP/1.1\r\nHost: {host}\r\n{extra}\
                 Content-Type: {content_type}\r\nContent-Length: 20000000\r\n\r\ncsrf=abc&login="
            );
            let (got, took) = raw(&app, request.as_bytes(), Duration::from_secs(10)).await;
            assert!(
                took < Duration::from_secs(3),
                "{what}: answered after {took:?}"
            );
            let status = got.lines().next().unwrap_or("");
            let expected = if *what == "a form over the form limit" {
                "413"
            } else {
                "403"
            };
            assert!(status.contains(expected), "{what}: {got}");
        }
        // A multipart form whose first part is a wrong token: only that part is read.
        let request = format!(
            "POST /quan-tri/bo-chi-so HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n\
             Content-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: 20000000\r\n\r\n\
             --XYZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nnot-the-token\r\n\
             --XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.yaml\"\r\n\r\nabc"
        );
        let (got, took) = raw(&app, request.as_bytes(), Duration::from_secs(10)).await;
        assert!(took < Duration::from_secs(3), "answered after {took:?}");
        assert!(got.starts_with("HTTP/1.1 403"), "{got}");
        app.stop().await;
    }
}

#[tokio::test]
async fn an_undecodable_path_gets_the_json_error_on_the_api_and_a_page_elsewhere() {
    let backend = backends().remove(0);
    let app = TestApp::start(&backend).await;
    let api = app.get("/api/v1/periods/%FF%FE/results").await;
    assert_eq!(api.status, StatusCode::BAD_REQUEST);
    assert!(api.header("content-type").starts_with("application/json"));
    assert_eq!(api.json()["error"]["code"], "bad_path");
    let page = app.get("/ky/%FF").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.header("content-type").starts_with("text/html"));
    page.assert_contains(&["Địa chỉ chứa đoạn không đọc được"]);
    let page = app.get("/ky/%FF?lang=en").await;
    page.assert_contains(&["The address contains a part that cannot be read"]);
    app.stop().await;
}

#[tokio::test]
async fn personal_responses_are_not_stored_by_caches_and_public_ones_keep_their_caching() {
    let backend = backends().remove(0);
    let app = TestApp::start(&backend).await;
    add_user(app.db(), "lan", false).await;
    let public = app.get("/").await;
    assert_eq!(public.status, StatusCode::OK);
    // Public pages are rendered once and may be kept for a minute, then revalidated.
    assert_eq!(public.header("cache-control"), "public, no-cache");
    assert!(!public.header("etag").is_empty());
    let cookie = sign_in(&app, "lan").await;
    for path in ["/", "/tai-khoan/mat-khau"] {
        let page = app.get_with(path, &[("cookie", &cookie)]).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_eq!(page.header("cache-control"), "no-store", "{path}");
    }
    let api = app.get("/api/v1/periods").await;
    assert_eq!(api.status, StatusCode::OK);
    assert_eq!(api.header("cache-control"), "no-store");
    let css = app.page("/static/chiso.css").await;
    let with_cookie = app
        .get_with("/static/chiso.css", &[("cookie", &cookie)])
        .await;
    assert_eq!(
        with_cookie.header("cache-control"),
        css.header("cache-control")
    );
    assert_ne!(css.header("cache-control"), "no-store");
    app.stop().await;
}

#[tokio::test]
async fn a_body_over_the_limit_gets_a_localized_413() {
    let backend = backends().remove(0);
    let config = WebConfig {
        body_limit: 64 * 1024,
        ..WebConfig::default()
    };
    let app = TestApp::start_with(&backend, config, false).await;
    let big = "x".repeat(100 * 1024);
    for (query, text) in [
        ("", "Dữ liệu gửi lên quá lớn."),
        ("?lang=en", "The request body is too large."),
    ] {
        let resp = app
            .client
            .post(format!("{}/dang-nhap{query}", app.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("login={big}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let body = resp.text().await.unwrap();
        assert!(body.contains(text) && body.contains("<html"), "{body}");
    }
    let resp = app
        .client
        .post(format!("{}/api/v1/periods", app.base))
        .header("content-type", "application/json")
        .body(format!("\"{big}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");
    app.stop().await;
}
