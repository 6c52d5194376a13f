//! Personal API tokens over HTTP: created by a signed-in person (secret shown once), used as
//! `Authorization: Bearer`, carrying exactly the owner's roles, read-only tokens refused any
//! change, revoked and unknown tokens refused with 401, each change audited under the owner.
//! SQLite always, PostgreSQL when `CHISO_TEST_PG` is set.

use crate::common;

use chiso_store::audit::{self, AuditFilter};
use chiso_store::{Actor, Db, users};
use common::browser::Browser;
use common::{TestApp, backends, cheap_hash};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::macros::datetime;

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

/// Signs `login` in and creates a token through the API; returns its secret and id.
async fn token_of(app: &TestApp, login: &str, scope: &str) -> (String, i64) {
    let mut b = Browser::new(&app.base);
    let r = b.login(login, PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let body = json!({"name": "Phần mềm một cửa", "scope": scope, "valid_days": 30});
    let r = b.json(Method::POST, "/api/v1/tokens", Some(&body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v: Value = serde_json::from_str(&r.body).unwrap();
    let secret = v["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("chiso_"));
    assert_eq!(v["token"]["scope"], scope);
    (secret, v["token"]["id"].as_i64().unwrap())
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    secret: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app
        .client
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(secret);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_token_acts_with_its_owners_roles_and_is_refused_once_revoked() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        add_user(app.db(), "quantri", true).await;
        add_user(app.db(), "canbo", false).await;
        let (admin_secret, _) = token_of(&app, "quantri", "write").await;
        let (officer_secret, officer_id) = token_of(&app, "canbo", "write").await;

        // The owner's roles: everyone's tokens are for user administrators only.
        let (s, all) = call(
            &app,
            Method::GET,
            "/api/v1/tokens?owner=*",
            &admin_secret,
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "[{}]", app.backend);
        assert_eq!(all.as_array().unwrap().len(), 2);
        assert!(
            all.as_array()
                .unwrap()
                .iter()
                .all(|t| t.get("secret").is_none()),
            "a secret is shown once, never listed"
        );
        let (s, e) = call(
            &app,
            Method::GET,
            "/api/v1/tokens?owner=*",
            &officer_secret,
            None,
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert_eq!(e["error"]["code"], "denied_no_role");
        let (s, own) = call(&app, Method::GET, "/api/v1/tokens", &officer_secret, None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(own[0]["login"], "canbo");
        assert!(own[0]["last_used_at"].is_string(), "the use is recorded");

        // Public data stays readable with a token.
        let (s, _) = call(&app, Method::GET, "/api/v1/periods", &officer_secret, None).await;
        assert_eq!(s, StatusCode::OK);

        // A token cannot mint another one.
        let body = json!({"name": "x", "scope": "read", "valid_days": 30});
        let (s, e) = call(
            &app,
            Method::POST,
            "/api/v1/tokens",
            &officer_secret,
            Some(body),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert_eq!(e["error"]["code"], "token_needs_sign_in");

        // Revoked by an administrator: refused from then on, with 401.
        let path = format!("/api/v1/tokens/{officer_id}");
        let (s, _) = call(&app, Method::DELETE, &path, &admin_secret, None).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, e) = call(&app, Method::GET, "/api/v1/tokens", &officer_secret, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(e["error"]["code"], "token_invalid");

        // The administrator's change was audited under their login.
        let log = audit::list(app.db(), &AuditFilter::default())
            .await
            .unwrap();
        assert!(
            log.iter()
                .any(|e| e.entity == "api_token" && e.action == "use" && e.actor == "quantri"),
            "[{}] the write use is audited",
            app.backend
        );
        assert!(
            log.iter()
                .any(|e| e.entity == "api_token" && e.action == "revoke" && e.actor == "quantri")
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_read_only_token_changes_nothing_and_a_forged_one_gets_401() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        add_user(app.db(), "quansat", false).await;
        let (secret, id) = token_of(&app, "quansat", "read").await;
        let (s, e) = call(
            &app,
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            &secret,
            None,
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "[{}]", app.backend);
        assert_eq!(e["error"]["code"], "token_read_only");
        let (s, list) = call(&app, Method::GET, "/api/v1/tokens", &secret, None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(list[0]["revoked_at"].is_null(), "still valid");

        let forged = format!("chiso_{}", "0".repeat(48));
        for bad in [forged.as_str(), "chiso_abc", "khong-phai-ma"] {
            let (s, e) = call(&app, Method::GET, "/api/v1/periods", bad, None).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{bad}");
            assert_eq!(e["error"]["code"], "token_invalid");
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn a_token_request_names_the_wrong_field_and_a_stranger_cannot_revoke() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        add_user(app.db(), "canbo", false).await;
        add_user(app.db(), "khac", false).await;
        let mut b = Browser::new(&app.base);
        b.login("canbo", PASSWORD).await;
        let body = json!({"name": "  ", "scope": "write", "valid_days": 30});
        let r = b.json(Method::POST, "/api/v1/tokens", Some(&body)).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}]",
            app.backend
        );
        assert!(r.body.contains("token_name_required"), "{}", r.body);
        let body = json!({"name": "a", "scope": "write", "valid_days": 1000});
        let r = b.json(Method::POST, "/api/v1/tokens", Some(&body)).await;
        assert!(r.body.contains("token_validity_invalid") && r.body.contains("365"));
        let body = json!({"name": "a", "scope": "admin", "valid_days": 10});
        let r = b.json(Method::POST, "/api/v1/tokens", Some(&body)).await;
        assert!(r.body.contains("token_scope_invalid"), "{}", r.body);

        let (_, id) = token_of(&app, "canbo", "write").await;
        let (other, _) = token_of(&app, "khac", "write").await;
        let (s, e) = call(
            &app,
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            &other,
            None,
        )
        .await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "another person's token is not revealed"
        );
        assert_eq!(e["error"]["code"], "token_not_found");
        app.stop().await;
    }
}

/// The secret shown on the page answering a creation (the read-only field `secret`).
fn secret_on_page(body: &str) -> String {
    let at = body.find("id=\"secret\"").expect("the secret is shown");
    let rest = &body[at..];
    let v = rest.find("value=\"").expect("value") + 7;
    rest[v..v + rest[v..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn the_account_page_creates_a_token_shown_once_and_revokes_it() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        add_user(app.db(), "canbo", false).await;
        add_user(app.db(), "khac", false).await;

        let mut anonymous = Browser::new(&app.base);
        let r = anonymous.get("/tai-khoan/khoa-api").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location, "/dang-nhap?next=/tai-khoan/khoa-api");

        let mut b = Browser::signed_in(&app.base, "canbo", PASSWORD).await;
        let r = b.get("/tai-khoan/khoa-api").await;
        assert_eq!(r.status, StatusCode::OK, "[{}]", app.backend);
        r.assert_has(&["Khóa API", "Chưa có khóa nào."]);

        // A wrong form names what is wrong and keeps what was typed.
        let r = b
            .post_csrf(
                "/tai-khoan/khoa-api",
                &[
                    ("name", "Báo cáo tuần"),
                    ("scope", "read"),
                    ("days", "1000"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_has(&["365", "value=\"Báo cáo tuần\""]);
        assert!(!r.has("id=\"secret\""));

        let r = b
            .post_csrf(
                "/tai-khoan/khoa-api",
                &[("name", "Một cửa"), ("scope", "read"), ("days", "30")],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let secret = secret_on_page(&r.body);
        assert!(secret.starts_with("chiso_"), "{secret}");
        r.assert_has(&["lần duy nhất", "Một cửa", "Chỉ đọc", "Đang dùng"]);

        let (s, list) = call(&app, Method::GET, "/api/v1/tokens", &secret, None).await;
        assert_eq!(s, StatusCode::OK);
        let id = list[0]["id"].as_i64().unwrap();

        // Shown once: the list page never carries it again.
        let r = b.get("/tai-khoan/khoa-api").await;
        assert!(!r.has(&secret) && !r.has("id=\"secret\""));

        // Another person cannot revoke it (nor learn it exists) and cannot see the list.
        let mut other = Browser::signed_in(&app.base, "khac", PASSWORD).await;
        let r = other
            .post_csrf(&format!("/tai-khoan/khoa-api/{id}/thu-hoi"), &[])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = other.get("/quan-tri/nguoi-dung/canbo/khoa-api").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let (s, _) = call(&app, Method::GET, "/api/v1/tokens", &secret, None).await;
        assert_eq!(s, StatusCode::OK, "still valid");

        let r = b
            .post_csrf(&format!("/tai-khoan/khoa-api/{id}/thu-hoi"), &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location, "/tai-khoan/khoa-api?ok=revoked");
        let r = b.get(&r.location).await;
        r.assert_has(&["Đã thu hồi khóa.", "Đã thu hồi"]);
        let (s, _) = call(&app, Method::GET, "/api/v1/tokens", &secret, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_user_administrator_manages_another_persons_tokens_from_the_users_page() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        add_user(app.db(), "quantri", true).await;
        add_user(app.db(), "canbo", false).await;
        let mut admin = Browser::signed_in(&app.base, "quantri", PASSWORD).await;
        let r = admin.get("/quan-tri/nguoi-dung").await;
        r.assert_has(&["/quan-tri/nguoi-dung/canbo/khoa-api"]);
        let r = admin
            .post_csrf(
                "/quan-tri/nguoi-dung/canbo/khoa-api",
                &[("name", "Đồng bộ"), ("scope", "write"), ("days", "7")],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "[{}] {}", app.backend, r.body);
        let secret = secret_on_page(&r.body);
        // The token is canbo's: it acts with canbo's roles, not the administrator's.
        let (s, all) = call(&app, Method::GET, "/api/v1/tokens?owner=*", &secret, None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{all}");
        let (s, own) = call(&app, Method::GET, "/api/v1/tokens", &secret, None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(own[0]["login"], "canbo");
        let id = own[0]["id"].as_i64().unwrap();
        let r = admin
            .post_csrf(
                &format!("/quan-tri/nguoi-dung/canbo/khoa-api/{id}/thu-hoi"),
                &[],
            )
            .await;
        assert_eq!(r.location, "/quan-tri/nguoi-dung/canbo/khoa-api?ok=revoked");
        let (s, _) = call(&app, Method::GET, "/api/v1/tokens", &secret, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_new_period_with_several_mistakes_is_refused_listing_each_with_its_field() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        add_user(app.db(), "quantri", true).await;
        let (secret, _) = token_of(&app, "quantri", "write").await;
        let body = json!({"code": "2027 ?", "name": " ", "year": 3000, "previous": "1999"});
        let (s, e) = call(&app, Method::POST, "/api/v1/periods", &secret, Some(body)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["code"], "period_code_invalid", "{e}");
        let fields: Vec<&str> = e["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["args"]["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["code", "name", "year", "previous"], "{e}");
        app.stop().await;
    }
}
