//! Publication by decision over HTTP, on SQLite and (with `CHISO_TEST_PG`) PostgreSQL, with the
//! small province of `common::fixtures` (2024 computed, not published): before publication
//! anonymous visitors and other units get 404 on the pages and the API while the staff read
//! the confidential results; the administrator publishes on the period's page (confirmation
//! required); published pages and API answers stay byte-identical when units and sets change;
//! a correction publishes version 2 through the API, version 1 staying readable.

use crate::common;

use std::sync::Arc;

use chiso_domain::authz::{Grant, Role};
use chiso_domain::{FixedClock, PeriodCode, Unit, UnitCode, UnitKind};
use chiso_store::{Actor, Db, grants, units, users};
use chiso_web::WebConfig;
use common::browser::{Browser, Part};
use common::{TestApp, backends, cheap_hash};
use reqwest::{Method, StatusCode};
use serde_json::json;
use time::OffsetDateTime;
use time::macros::datetime;

const PASSWORD: &str = "mat-khau-dung-123";
/// 02/04/2025 10:00 in Vietnam.
const NOW: OffsetDateTime = datetime!(2025-04-02 03:00 UTC);
const SETUP: &str = "/quan-tri/ky-danh-gia/2024";

async fn person(db: &Db, login: &str, admin: bool, role: Option<Role>) {
    let at = datetime!(2025-01-02 01:00 UTC);
    users::create(
        db,
        login,
        login,
        &cheap_hash(PASSWORD),
        admin,
        &Actor::system(),
        at,
    )
    .await
    .expect("user");
    if let Some(role) = role {
        let grant = Grant::in_period(role, PeriodCode::parse("2024").unwrap());
        grants::grant(db, login, &grant, &Actor::system(), at)
            .await
            .expect("grant");
    }
}

async fn start(backend: &common::Backend) -> TestApp {
    let config = WebConfig {
        clock: Arc::new(FixedClock(NOW)),
        ..WebConfig::default()
    };
    let app = TestApp::start_with(backend, config, true).await;
    person(app.db(), "admin", true, None).await;
    let snv = UnitCode::parse("SNV").unwrap();
    person(
        app.db(),
        "cb.snv",
        false,
        Some(Role::UnitOfficer { unit: snv }),
    )
    .await;
    app
}

/// Posts the publication form of 2024 as the browser does (multipart, the token first), with
/// the signed decision when given.
async fn publish_form(
    browser: &mut Browser,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> common::browser::Reply {
    let token = browser.token().await;
    let mut parts = vec![Part::Text("csrf", &token)];
    parts.extend(fields.iter().map(|(k, v)| Part::Text(k, v)));
    parts.push(match file {
        Some((name, content)) => Part::File("file", name, content),
        None => Part::File("file", "", b""),
    });
    browser
        .post_multipart(&format!("{SETUP}/cong-bo"), &parts)
        .await
}

/// What the public reads of 2024: the ranking, one unit's page, the API's results and unit.
async fn public_bodies(app: &TestApp) -> Vec<(StatusCode, String)> {
    let mut anonymous = Browser::new(&app.base);
    let mut out = Vec::new();
    for path in [
        "/ky/2024",
        "/ky/2024/don-vi/SNV",
        "/api/v1/periods/2024/results",
        "/api/v1/periods/2024/units/SNV",
    ] {
        let r = anonymous.get(path).await;
        out.push((r.status, r.body));
    }
    out
}

#[tokio::test]
async fn results_are_confidential_until_the_administrator_publishes_them_by_decision() {
    for backend in backends() {
        let app = start(&backend).await;
        // Nobody outside sees anything yet.
        for (status, body) in public_bodies(&app).await {
            assert_eq!(status, StatusCode::NOT_FOUND, "[{}] {body}", backend.name());
        }
        let mut anonymous = Browser::new(&app.base);
        anonymous
            .get("/ky/2024")
            .await
            .assert_has(&["Kết quả kỳ 2024 chưa được công bố."]);
        let api = anonymous.get("/api/v1/periods/2024/results").await;
        assert_eq!(
            api.json()["error"]["code"],
            "results_not_published",
            "{}",
            api.body
        );
        // A unit reads its own result only.
        let mut officer = Browser::signed_in(&app.base, "cb.snv", PASSWORD).await;
        let own = officer.page("/ky/2024").await;
        own.assert_has(&["Sở Nội vụ", "89,83", "chỉ xem được kết quả của đơn vị mình"]);
        own.assert_lacks(&["Sở Tư pháp", "77,25"]);
        assert_eq!(
            officer.get("/ky/2024/don-vi/STP").await.status,
            StatusCode::NOT_FOUND
        );
        // The administrator reads everything, marked confidential.
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        admin
            .page("/ky/2024")
            .await
            .assert_has(&["Kết quả chưa công bố", "Sở Tư pháp", "77,25"]);

        // Publishing needs the confirmation, a valid date and a decision number.
        let fields = [("decision", "77/QĐ-UBND"), ("ngay", "01/04/2025")];
        let r = publish_form(&mut admin, &fields, None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        r.assert_has(&["Hãy đánh dấu ô xác nhận", "value=\"77/QĐ-UBND\""]);
        let r = publish_form(
            &mut admin,
            &[
                ("decision", "77/QĐ-UBND"),
                ("ngay", "31/02/2025"),
                ("xac-nhan", "1"),
            ],
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_has(&["không đúng dạng dd/mm/yyyy"]);
        let r = publish_form(
            &mut admin,
            &[
                ("decision", "77/QĐ-UBND"),
                ("ngay", "03/04/2025"),
                ("xac-nhan", "1"),
            ],
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_has(&["ở sau ngày hôm nay"]);
        for (status, _) in public_bodies(&app).await {
            assert_eq!(status, StatusCode::NOT_FOUND, "refusals published nothing");
        }
        let r = publish_form(
            &mut admin,
            &[
                ("decision", "77/QĐ-UBND"),
                ("ngay", "01/04/2025"),
                ("xac-nhan", "1"),
            ],
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        admin.page(&r.location).await.assert_has(&[
            "Đã công bố kết quả (phiên bản 1).",
            "Phiên bản 1 — Quyết định số 77/QĐ-UBND ngày 01/04/2025",
        ]);

        let public = public_bodies(&app).await;
        for (status, body) in &public {
            assert_eq!(*status, StatusCode::OK, "{body}");
        }
        assert!(
            public[0]
                .1
                .contains("Quyết định số 77/QĐ-UBND ngày 01/04/2025")
        );
        assert!(public[0].1.contains("Sở Tư pháp"));
        let api: serde_json::Value = serde_json::from_str(&public[2].1).unwrap();
        assert_eq!(api["publication"]["version"], 1);
        assert_eq!(api["publication"]["decided_on"], "2025-04-01");

        // Later changes to units and sets never alter what was published.
        let renamed = Unit {
            code: UnitCode::parse("SNV").unwrap(),
            name: "Sở Nội vụ và Lao động".to_owned(),
            kind: UnitKind::Department,
            parent: None,
            valid_from: None,
            valid_to: None,
        };
        units::upsert_many(app.db(), &[renamed], &[], &Actor::system(), NOW)
            .await
            .unwrap();
        let mut set = common::fixtures::index_set();
        set.nodes[0].title = "Một tiêu đề khác".to_owned();
        let _ = chiso_store::index_sets::save(app.db(), &set, &Actor::system(), NOW).await;
        assert_eq!(
            public_bodies(&app).await,
            public,
            "byte-identical after the changes"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn a_correction_through_the_api_publishes_version_two_and_keeps_version_one_readable() {
    for backend in backends() {
        let app = start(&backend).await;
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        let publish = |decision: &str, reason: Option<&str>| json!({ "decision": decision, "decided_on": "2025-04-01", "reason": reason });
        let path = "/api/v1/periods/2024/publications";
        let r = admin
            .json(Method::POST, path, Some(&publish("77/QĐ-UBND", None)))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.json()["version"], 1);
        // Published: a second publication needs a correction first.
        let r = admin
            .json(Method::POST, path, Some(&publish("78/QĐ-UBND", None)))
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert_eq!(r.json()["error"]["code"], "publication_exists");
        let r = admin
            .json(
                Method::POST,
                "/api/v1/periods/2024/correction",
                Some(&json!({ "reason": "Sai tên đơn vị" })),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        // The correction changes the results (a new computation), then version 2.
        let mut results = chiso_store::results::load(app.db(), &PeriodCode::parse("2024").unwrap())
            .await
            .unwrap()
            .unwrap();
        results.units[0].name = "Sở Nội vụ (đã đính chính)".to_owned();
        chiso_store::results::save(
            app.db(),
            &PeriodCode::parse("2024").unwrap(),
            &results,
            &Actor::system(),
            NOW,
        )
        .await
        .unwrap();
        let r = admin
            .json(Method::POST, path, Some(&publish("90/QĐ-UBND", None)))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.json()["error"]["code"], "publication_reason_required");
        let r = admin
            .json(
                Method::POST,
                path,
                Some(&publish("90/QĐ-UBND", Some("Đính chính tên đơn vị"))),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.json()["version"], 2);

        let mut anonymous = Browser::new(&app.base);
        let latest = anonymous.page("/ky/2024").await;
        latest.assert_has(&[
            "Sở Nội vụ (đã đính chính)",
            "Đã đính chính (phiên bản 2): Đính chính tên đơn vị",
            "href=\"/ky/2024?phien-ban=1\"",
        ]);
        let first = anonymous.page("/ky/2024?phien-ban=1").await;
        first.assert_has(&["Đây là phiên bản 1, đã được đính chính bằng phiên bản 2."]);
        first.assert_lacks(&["Sở Nội vụ (đã đính chính)"]);
        let v1 = anonymous
            .get("/api/v1/periods/2024/results?version=1")
            .await;
        assert_eq!(v1.json()["publication"]["version"], 1);
        assert_eq!(v1.json()["versions"].as_array().unwrap().len(), 2);
        let versions = anonymous.get(path).await;
        assert_eq!(versions.json().as_array().unwrap().len(), 2);
        assert_eq!(versions.json()[1]["reason"], "Đính chính tên đơn vị");
        assert_eq!(
            anonymous.get("/ky/2024?phien-ban=7").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            anonymous.get("/ky/2024?phien-ban=abc").await.status,
            StatusCode::NOT_FOUND
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn the_signed_decision_uploaded_with_the_publication_is_public_and_a_non_pdf_is_refused() {
    for backend in backends() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = chiso_web::LocalDiskStore::open(dir.path())
            .await
            .expect("store");
        let config = WebConfig {
            clock: Arc::new(FixedClock(NOW)),
            evidence_store: Some(Arc::new(store)),
            ..WebConfig::default()
        };
        let app = TestApp::start_with(&backend, config, true).await;
        person(app.db(), "admin", true, None).await;
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        admin
            .page(SETUP)
            .await
            .assert_has(&["enctype=\"multipart/form-data\"", "name=\"file\""]);
        let fields = [
            ("decision", "77/QĐ-UBND"),
            ("ngay", "01/04/2025"),
            ("xac-nhan", "1"),
        ];

        let r = publish_form(
            &mut admin,
            &fields,
            Some(("quyet-dinh.docx", b"PK\x03\x04")),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{}] {}",
            backend.name(),
            r.body
        );
        r.assert_has(&["không phải tệp PDF", "value=\"77/QĐ-UBND\""]);
        let r = Browser::new(&app.base).get("/ky/2024").await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "the refusal published nothing"
        );

        let pdf =
            b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
        let r = publish_form(&mut admin, &fields, Some(("QĐ 77 đã ký.pdf", pdf))).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        let mut anonymous = Browser::new(&app.base);
        let page = anonymous.page("/ky/2024").await;
        page.assert_has(&[
            "Quyết định số 77/QĐ-UBND ngày 01/04/2025",
            "href=\"/ky/2024/quyet-dinh/1\"",
            "Tải quyết định (PDF)",
        ]);
        let file = anonymous.get("/ky/2024/quyet-dinh/1").await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(file.content_type, "application/pdf");
        assert!(
            file.disposition.contains("quyet-dinh-cong-bo-2024-v1.pdf"),
            "{}",
            file.disposition
        );
        assert_eq!(file.bytes, pdf);
        let api = anonymous.get("/api/v1/periods/2024/publications").await;
        assert_eq!(
            api.json()[0]["decision_file_url"],
            "/ky/2024/quyet-dinh/1",
            "{}",
            api.body
        );
        for missing in [
            "/ky/2024/quyet-dinh/2",
            "/ky/2024/quyet-dinh/0",
            "/ky/2024/quyet-dinh/x",
        ] {
            assert_eq!(
                anonymous.get(missing).await.status,
                StatusCode::NOT_FOUND,
                "{missing}"
            );
        }
        app.stop().await;
    }
}
