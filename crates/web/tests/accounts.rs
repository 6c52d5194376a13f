//! Accounts and sessions as people meet them: signing in and out, sessions shared by two
//! application nodes through the database, CSRF refusals, the limit on failed sign-ins,
//! changing a password, and the administrators' user list. SQLite always, PostgreSQL when
//! `CHISO_TEST_PG` is set.

use crate::common;

use common::cheap_hash;

use chiso_store::{Actor, Db, users};
use chiso_web::WebConfig;
use chiso_web::auth::LoginLimits;
use common::browser::{Browser, csrf_of};
use common::{TestApp, backends};
use reqwest::StatusCode;
use time::macros::datetime;

const PASSWORD: &str = "mat-khau-dung-123";

async fn add_user(db: &Db, login: &str, name: &str, admin: bool) {
    users::create(
        db,
        login,
        name,
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

#[tokio::test]
async fn a_session_lives_in_the_database_serves_a_second_node_and_ends_at_sign_out() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        add_user(app.db(), "lan", "Nguyễn Thị Lan", false).await;
        let mut b = Browser::new(&app.base);
        assert!(b.get("/").await.body.contains("href=\"/dang-nhap\""));

        let r = b.login("lan", PASSWORD).await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "[{}] {}",
            app.backend,
            r.body
        );
        assert_eq!(r.location, "/");
        let cookie = r
            .set_cookie
            .lines()
            .find(|l| l.starts_with("chiso_session="))
            .expect("session cookie");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(cookie.contains("Path=/"), "{cookie}");
        assert!(
            !cookie.contains("Secure"),
            "plain HTTP by default: {cookie}"
        );
        let home = b.get("/").await;
        assert!(home.body.contains("Nguyễn Thị Lan"), "{}", home.body);
        assert!(home.body.contains("action=\"/dang-xuat\""));
        assert_eq!(sessions_in_db(app.db()).await, 1);

        // A second node on the same database knows the session.
        let db2 = Db::connect(&app.db_url).await.expect("second pool");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base2 = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let node2 = tokio::spawn(chiso_web::serve(
            db2,
            WebConfig::default(),
            listener,
            async {
                let _ = rx.await;
            },
        ));
        let mut b2 = b.on(&base2);
        assert!(b2.get("/").await.body.contains("Nguyễn Thị Lan"));

        // Signing out on the second node ends the session on the first.
        let out = b2.submit("/", "/dang-xuat", &[]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert_eq!(sessions_in_db(app.db()).await, 0);
        let mut stale = Browser::new(&app.base);
        stale.cookie = b.cookie.clone();
        let after = stale.get("/").await;
        assert!(!after.body.contains("Nguyễn Thị Lan"));
        assert!(after.body.contains("href=\"/dang-nhap\""));

        tx.send(()).unwrap();
        node2.await.unwrap().unwrap();
        app.stop().await;
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_login_get_the_same_answer_and_disabled_users_stay_out() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        add_user(app.db(), "lan", "Lan", false).await;
        add_user(app.db(), "cu", "Cũ", false).await;
        users::set_disabled(
            app.db(),
            "cu",
            true,
            &Actor::system(),
            datetime!(2025-01-02 00:00 UTC),
        )
        .await
        .unwrap();
        let mut b = Browser::new(&app.base);
        let wrong = b.login("lan", "not-the-password").await;
        let unknown = b.login("ai-do", "not-the-password").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert_eq!(unknown.status, wrong.status);
        for r in [&wrong, &unknown] {
            assert!(r.body.contains("Tên đăng nhập hoặc mật khẩu không đúng."));
        }
        let disabled = b.login("cu", PASSWORD).await;
        assert_eq!(disabled.status, StatusCode::FORBIDDEN);
        assert!(disabled.body.contains("đã bị khóa"));
        assert!(!b.get("/").await.body.contains("dang-xuat"));
        app.stop().await;
    }
}

#[tokio::test]
async fn a_post_without_a_csrf_token_or_from_another_site_is_refused_and_changes_nothing() {
    for backend in backends() {
        let app = TestApp::start(&backend).await;
        add_user(app.db(), "admin", "Quản trị", true).await;
        let mut b = Browser::new(&app.base);
        assert_eq!(
            b.login("admin", PASSWORD).await.status,
            StatusCode::SEE_OTHER
        );

        let form = [
            ("login", "moi"),
            ("display_name", "Mới"),
            ("password", "mot-mat-khau-dai"),
        ];
        let no_token = b.post("/quan-tri/nguoi-dung", &form).await;
        assert_eq!(no_token.status, StatusCode::FORBIDDEN);
        assert!(
            no_token.body.contains("Yêu cầu bị từ chối"),
            "{}",
            no_token.body
        );
        let forged = b
            .post(
                "/quan-tri/nguoi-dung",
                &[&form[..], &[("csrf", &"0".repeat(64))]].concat(),
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);

        let token = csrf_of(&b.get("/quan-tri/nguoi-dung").await.body);
        let fields = [&form[..], &[("csrf", token.as_str())]].concat();
        let cross = b
            .client
            .post(format!("{}/quan-tri/nguoi-dung", app.base))
            .header("cookie", b.cookie.clone().unwrap())
            .header("origin", "https://evil.example")
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(cross.status(), StatusCode::FORBIDDEN);
        assert!(
            users::find_by_login(app.db(), "moi")
                .await
                .unwrap()
                .is_none()
        );

        // Without a token, nobody can even be signed out.
        let logout = b.post("/dang-xuat", &[]).await;
        assert_eq!(logout.status, StatusCode::FORBIDDEN);
        assert!(b.get("/").await.body.contains("Quản trị"));
        app.stop().await;
    }
}

#[tokio::test]
async fn too_many_failed_sign_ins_are_refused_with_429_even_with_the_right_password() {
    for backend in backends() {
        let config = WebConfig {
            login_limits: LoginLimits {
                per_login: 3,
                ..LoginLimits::default()
            },
            ..WebConfig::default()
        };
        let app = TestApp::start_with(&backend, config, false).await;
        add_user(app.db(), "lan", "Lan", false).await;
        let mut b = Browser::new(&app.base);
        for _ in 0..3 {
            assert_eq!(
                b.login("lan", "sai-mat-khau").await.status,
                StatusCode::UNAUTHORIZED
            );
        }
        let refused = b.login("LAN", PASSWORD).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(
            refused.body.contains("Đăng nhập sai quá nhiều lần"),
            "{}",
            refused.body
        );
        // Other accounts are not locked out by this one.
        add_user(app.db(), "binh", "Bình", false).await;
        assert_eq!(
            b.login("binh", PASSWORD).await.status,
            StatusCode::SEE_OTHER
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_changed_password_works_and_the_old_one_no_longer_does() {
    for backend in backends() {
        let app = TestApp::start_with(&backend, WebConfig::default(), false).await;
        add_user(app.db(), "lan", "Lan", false).await;
        let mut b = Browser::new(&app.base);
        b.login("lan", PASSWORD).await;
        let mut other = Browser::new(&app.base);
        other.login("lan", PASSWORD).await;

        let page = "/tai-khoan/mat-khau";
        let short = b
            .submit(
                page,
                page,
                &[("current", PASSWORD), ("new", "ngan"), ("confirm", "ngan")],
            )
            .await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(short.body.contains("ít nhất 10 ký tự"));
        let new = "mat-khau-moi-456";
        let ok = b
            .submit(
                page,
                page,
                &[("current", PASSWORD), ("new", new), ("confirm", new)],
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        assert!(ok.body.contains("Đã đổi mật khẩu"));
        assert!(
            b.get("/").await.body.contains("dang-xuat"),
            "this session goes on"
        );
        assert!(
            !other.get("/").await.body.contains("dang-xuat"),
            "other sessions end"
        );

        let mut fresh = Browser::new(&app.base);
        assert_eq!(
            fresh.login("lan", PASSWORD).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(fresh.login("lan", new).await.status, StatusCode::SEE_OTHER);
        app.stop().await;
    }
}

#[tokio::test]
async fn only_admins_manage_users_and_a_created_user_can_sign_in() {
    for backend in backends() {
        let app = TestApp::start_with(&backend, WebConfig::default(), false).await;
        add_user(app.db(), "admin", "Quản trị viên", true).await;
        add_user(app.db(), "lan", "Lan", false).await;

        let mut anon = Browser::new(&app.base);
        let r = anon.get("/quan-tri/nguoi-dung").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location, "/dang-nhap?next=/quan-tri/nguoi-dung");

        let mut lan = Browser::new(&app.base);
        lan.login("lan", PASSWORD).await;
        let denied = lan.get("/quan-tri/nguoi-dung").await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
        assert!(denied.body.contains("không có quyền"));
        assert!(
            denied.body.contains("<h1>Không có quyền truy cập</h1>"),
            "{}",
            denied.body
        );
        // Refused, not signed out: the header still names the person and offers to sign out.
        assert!(
            denied.body.contains(">Lan</a>") && denied.body.contains("action=\"/dang-xuat\""),
            "{}",
            denied.body
        );

        let mut admin = Browser::new(&app.base);
        let r = admin.login("admin", PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let list = admin.get("/quan-tri/nguoi-dung").await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.body.contains("Quản trị viên") && list.body.contains(">lan<"));
        // The role column says what each person does, not "Người dùng" for everyone.
        assert!(
            list.body
                .contains("<td data-label=\"Vai trò\">Chưa có vai trò</td>"),
            "{}",
            list.body
        );
        chiso_store::grants::grant(
            app.db(),
            "lan",
            &chiso_domain::authz::Grant::all_periods(chiso_domain::authz::Role::Observer),
            &Actor("admin".into()),
            datetime!(2026-02-01 08:00 UTC),
        )
        .await
        .expect("grant");
        let list = admin.get("/quan-tri/nguoi-dung").await;
        assert!(
            list.body
                .contains("<td data-label=\"Vai trò\">Theo dõi (chỉ xem)</td>"),
            "{}",
            list.body
        );

        let page = "/quan-tri/nguoi-dung";
        let created = admin
            .submit(
                page,
                page,
                &[
                    ("login", "hoa"),
                    ("display_name", "Trần Thị Hoa"),
                    ("password", "mat-khau-cua-hoa"),
                ],
            )
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
        assert!(
            admin
                .get(&created.location)
                .await
                .body
                .contains("Đã thêm người dùng “hoa”")
        );
        let taken = admin
            .submit(
                page,
                page,
                &[
                    ("login", "hoa"),
                    ("display_name", "X"),
                    ("password", "mat-khau-cua-hoa"),
                ],
            )
            .await;
        assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(taken.body.contains("đã có người dùng"));

        let mut hoa = Browser::new(&app.base);
        assert_eq!(
            hoa.login("hoa", "mat-khau-cua-hoa").await.status,
            StatusCode::SEE_OTHER
        );
        assert!(hoa.get("/").await.body.contains("Trần Thị Hoa"));

        // Disabling ends her session at once.
        let off = admin
            .submit(page, "/quan-tri/nguoi-dung/hoa/khoa", &[])
            .await;
        assert_eq!(off.status, StatusCode::SEE_OTHER);
        assert!(!hoa.get("/").await.body.contains("Trần Thị Hoa"));
        app.stop().await;
    }
}

#[tokio::test]
async fn a_role_granted_in_the_database_counts_at_the_next_request_until_it_is_revoked() {
    use chiso_domain::authz::{Grant, Role};
    for backend in backends() {
        let app = TestApp::start_with(&backend, WebConfig::default(), false).await;
        add_user(app.db(), "binh", "Bình", false).await;
        let mut binh = Browser::new(&app.base);
        binh.login("binh", PASSWORD).await;
        assert_eq!(
            binh.get("/quan-tri/nguoi-dung").await.status,
            StatusCode::FORBIDDEN
        );

        let at = datetime!(2025-02-01 08:00 UTC);
        let id = chiso_store::grants::grant(
            app.db(),
            "binh",
            &Grant::all_periods(Role::Admin),
            &Actor("admin".into()),
            at,
        )
        .await
        .expect("grant");
        let page = binh.get("/quan-tri/nguoi-dung").await;
        assert_eq!(
            page.status,
            StatusCode::OK,
            "[{}] granted role counts",
            backend.name()
        );

        chiso_store::grants::revoke(app.db(), id, "hết nhiệm vụ", &Actor("admin".into()), at)
            .await
            .expect("revoke");
        let page = binh.get("/quan-tri/nguoi-dung").await;
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "[{}] revoked role is gone",
            backend.name()
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn the_new_user_form_names_every_mistake_at_once_and_keeps_what_was_typed() {
    for backend in backends() {
        let app = TestApp::start_with(&backend, WebConfig::default(), false).await;
        add_user(app.db(), "admin", "Quản trị viên", true).await;
        add_user(app.db(), "lan", "Lan", false).await;
        let mut admin = Browser::new(&app.base);
        admin.login("admin", PASSWORD).await;
        let page = "/quan-tri/nguoi-dung";
        let r = admin
            .submit(
                page,
                page,
                &[
                    ("login", "lan"),
                    ("display_name", "  "),
                    ("password", "ngan"),
                    ("email", "khong-phai-thu"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        for (field, message) in [
            ("login", "Tên đăng nhập “lan” đã có người dùng."),
            ("display_name", "Hãy nhập họ và tên."),
            ("password", "Mật khẩu phải có ít nhất"),
            (
                "email",
                "Địa chỉ thư điện tử “khong-phai-thu” không hợp lệ.",
            ),
        ] {
            assert!(
                r.body
                    .contains(&format!("id=\"new-{field}-error\" class=\"field-error\"")),
                "{field}: {}",
                r.body
            );
            assert!(r.body.contains(message), "{message}: {}", r.body);
        }
        assert!(r.body.contains("value=\"khong-phai-thu\""));
        assert!(
            users::find_by_login(app.db(), "khong-phai-thu")
                .await
                .unwrap()
                .is_none()
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_role_granted_from_the_command_line_says_so_in_words() {
    for backend in backends() {
        let app = TestApp::start_with(&backend, WebConfig::default(), false).await;
        add_user(app.db(), "admin", "Quản trị viên", true).await;
        add_user(app.db(), "lan", "Lan", false).await;
        for (actor, login) in [("cli:root", "lan"), ("admin", "admin")] {
            chiso_store::grants::grant(
                app.db(),
                login,
                &chiso_domain::authz::Grant::all_periods(chiso_domain::authz::Role::Observer),
                &Actor(actor.into()),
                datetime!(2026-02-01 08:00 UTC),
            )
            .await
            .expect("grant");
        }
        let mut admin = Browser::new(&app.base);
        admin.login("admin", PASSWORD).await;
        let lan = admin.get("/quan-tri/nguoi-dung/lan/vai-tro").await;
        assert!(
            lan.body.contains(
                "Quản trị hệ thống (dòng lệnh trên máy chủ, tài khoản root), ngày 01/02/2026"
            ),
            "{}",
            lan.body
        );
        let own = admin.get("/quan-tri/nguoi-dung/admin/vai-tro").await;
        assert!(
            own.body.contains("Quản trị viên (admin), ngày 01/02/2026"),
            "{}",
            own.body
        );
        app.stop().await;
    }
}
