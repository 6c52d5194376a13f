//! Published pages rendered once, over HTTP, on SQLite and (with `CHISO_TEST_PG`) PostgreSQL:
//! anonymous readers of a published ranking or unit page get the kept page with a validator,
//! `304` when they hold it, gzip when they accept it; signed-in readers and confidential
//! results are never kept; a change made through this node shows on its next request, one
//! made behind its back (another node, the command line) once the recheck interval passes.

use crate::common;

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use chiso_domain::authz::{Grant, Principal, Role};
use chiso_domain::{FixedClock, PeriodCode};
use chiso_services::publication::{self, Publish};
use chiso_store::{Actor, users};
use chiso_web::WebConfig;
use common::browser::Browser;
use common::fixtures;
use common::{TestApp, backends, cheap_hash};
use reqwest::StatusCode;
use time::OffsetDateTime;
use time::macros::{date, datetime};

const PASSWORD: &str = "mat-khau-dung-123";
/// 02/04/2025 10:00 in Vietnam.
const NOW: OffsetDateTime = datetime!(2025-04-02 03:00 UTC);

/// The app with 2024 published, an administrator, and public data rechecked only every
/// `recheck`.
async fn start(backend: &common::Backend, recheck: Duration) -> TestApp {
    let config = WebConfig {
        clock: Arc::new(FixedClock(NOW)),
        public_recheck: recheck,
        ..WebConfig::default()
    };
    let app = TestApp::start_with(backend, config, true).await;
    users::create(
        app.db(),
        "admin",
        "Quản trị viên",
        &cheap_hash(PASSWORD),
        true,
        &Actor::system(),
        NOW,
    )
    .await
    .expect("admin");
    fixtures::publish_2024(app.db()).await;
    app
}

/// A correction of 2024 published straight in the database, as another node would: version
/// 2 by decision 90/QĐ-UBND.
async fn correct_behind_the_server(app: &TestApp) {
    let admin = Principal::new("khac", vec![Grant::all_periods(Role::Admin)]);
    let period = PeriodCode::parse("2024").unwrap();
    publication::open_correction(app.db(), &admin, &period, "Sai tên đơn vị", NOW)
        .await
        .expect("correction");
    let cmd = Publish {
        period,
        decision: "90/QĐ-UBND".to_owned(),
        decided_on: date!(2025 - 04 - 01),
        reason: Some("Đính chính tên đơn vị".to_owned()),
    };
    publication::publish(app.db(), &admin, &cmd, NOW)
        .await
        .expect("version 2");
}

#[tokio::test]
async fn a_published_page_is_kept_with_a_validator_and_answers_304_to_a_reader_holding_it() {
    for backend in backends() {
        let app = start(&backend, Duration::from_secs(3600)).await;
        for path in ["/ky/2024", "/ky/2024/don-vi/SNV", "/"] {
            let first = app.page(path).await;
            let etag = first.header("etag").to_owned();
            assert!(
                etag.starts_with("W/\""),
                "[{}] {path}: {etag:?}",
                app.backend
            );
            assert_eq!(first.header("cache-control"), "public, no-cache", "{path}");
            assert!(first.header("vary").contains("Accept-Encoding"), "{path}");
            // The same page again, from memory: same validator, same bytes.
            let again = app.page(path).await;
            assert_eq!(again.header("etag"), etag, "{path}");
            assert_eq!(again.body, first.body, "{path}");
            // A reader holding it gets 304 without a body.
            let held = app.get_with(path, &[("if-none-match", &etag)]).await;
            assert_eq!(
                held.status,
                StatusCode::NOT_MODIFIED,
                "[{}] {path}",
                app.backend
            );
            assert!(held.body.is_empty(), "{path}");
            assert_eq!(held.header("etag"), etag, "{path}");
            let other = app
                .get_with(path, &[("if-none-match", "W/\"autre\"")])
                .await;
            assert_eq!(other.status, StatusCode::OK, "{path}");
            // Gzip for whoever accepts it: the same page.
            let resp = app
                .client
                .get(format!("{}{path}", app.base))
                .header("accept-encoding", "gzip")
                .send()
                .await
                .expect("gzip GET");
            assert_eq!(resp.headers()["content-encoding"], "gzip", "{path}");
            let bytes = resp.bytes().await.expect("body");
            let mut html = String::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_string(&mut html)
                .expect("gunzip");
            assert_eq!(html, first.body, "{path}");
        }
        let ranking = app.page("/ky/2024").await;
        ranking.assert_contains(&["Sở Nội vụ", "89,83", "567/QĐ-UBND"]);

        // English is another page; choosing it sets a cookie, which no shared cache may keep.
        let english = app.page("/ky/2024?lang=en").await;
        assert!(english.body.contains("lang=\"en\""), "{}", english.body);
        assert_ne!(english.header("etag"), ranking.header("etag"));
        assert_eq!(english.header("cache-control"), "private, no-cache");

        // A signed-in reader's page names them: never kept, never cached.
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        let own = admin.get("/ky/2024").await;
        assert_eq!(own.status, StatusCode::OK);
        own.assert_has(&["Quản trị viên", "89,83"]);
        assert!(own.headers.get("etag").is_none(), "[{}]", app.backend);
        assert_eq!(own.headers["cache-control"], "no-store");
        app.stop().await;
    }
}

#[tokio::test]
async fn confidential_results_are_never_kept_and_their_publication_shows_at_once() {
    for backend in backends() {
        let app = TestApp::start_with(
            &backend,
            WebConfig {
                clock: Arc::new(FixedClock(NOW)),
                ..WebConfig::default()
            },
            true,
        )
        .await;
        let before = app.get("/ky/2024").await;
        assert!(before.header("etag").is_empty(), "[{}]", app.backend);
        assert!(
            before.body.contains("Kết quả kỳ 2024 chưa được công bố."),
            "{}",
            before.body
        );
        assert!(
            app.get("/ky/2024/don-vi/SNV")
                .await
                .header("etag")
                .is_empty()
        );
        fixtures::publish_2024(app.db()).await;
        let after = app.page("/ky/2024").await;
        after.assert_contains(&["Sở Nội vụ", "89,83"]);
        assert!(!after.header("etag").is_empty());
        app.stop().await;
    }
}

#[tokio::test]
async fn a_change_behind_the_servers_back_shows_after_the_recheck_and_a_write_through_it_at_once() {
    for backend in backends() {
        let app = start(&backend, Duration::from_secs(3600)).await;
        let v1 = app.page("/ky/2024").await;
        v1.assert_contains(&["567/QĐ-UBND"]);
        correct_behind_the_server(&app).await;
        // Kept: the recheck is an hour away and nothing was written through this node.
        let kept = app.page("/ky/2024").await;
        assert_eq!(kept.header("etag"), v1.header("etag"), "[{}]", app.backend);
        assert!(!kept.body.contains("phiên bản 2"), "[{}]", app.backend);
        // Any write through this node (here a failed sign-in) makes it look again.
        let mut anonymous = Browser::new(&app.base);
        anonymous.login("admin", "sai-mat-khau").await;
        let fresh = app.page("/ky/2024").await;
        assert_ne!(fresh.header("etag"), v1.header("etag"), "[{}]", app.backend);
        fresh.assert_contains(&["90/QĐ-UBND", "phiên bản 2"]);
        app.stop().await;

        // With a short recheck, the change shows once it passes, with no write at all.
        let app = start(&backend, Duration::from_millis(200)).await;
        let v1 = app.page("/ky/2024").await;
        correct_behind_the_server(&app).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let fresh = app.page("/ky/2024").await;
        assert_ne!(fresh.header("etag"), v1.header("etag"), "[{}]", app.backend);
        fresh.assert_contains(&["90/QĐ-UBND"]);
        app.stop().await;
    }
}

#[tokio::test]
async fn readers_arriving_together_on_a_fresh_page_all_get_the_same_page() {
    for backend in backends() {
        let app = start(&backend, Duration::from_secs(3600)).await;
        let fetches = (0..24).map(|i| {
            let path = if i % 2 == 0 {
                "/ky/2024"
            } else {
                "/ky/2024/don-vi/SNV"
            };
            app.get(path)
        });
        let pages = futures_util::future::join_all(fetches).await;
        for (i, p) in pages.iter().enumerate() {
            assert_eq!(p.status, StatusCode::OK, "[{}] reader {i}", app.backend);
            let first = &pages[i % 2];
            assert_eq!(p.header("etag"), first.header("etag"), "reader {i}");
            assert_eq!(p.body, first.body, "reader {i}");
        }
        assert_ne!(pages[0].header("etag"), pages[1].header("etag"));
        app.stop().await;
    }
}
