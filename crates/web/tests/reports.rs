//! The printed reports over HTTP, on SQLite and (with `CHISO_TEST_PG`) PostgreSQL, with the
//! small province of `common::fixtures`: the period page links its results report once it
//! has results; the PDF follows the page's access rules and version, its cache rules, and
//! holds the page's figures; a unit's self-assessment report and appraisal minutes go to the
//! unit's people and the staff, never to another unit's.

use crate::common;

use std::sync::Arc;

use chiso_domain::authz::{Grant, Role};
use chiso_domain::{FixedClock, PeriodCode, UnitCode};
use chiso_pdf::poppler::{fonts, text};
use chiso_services::reports::ReportIssuer;
use chiso_store::{Actor, Db, grants, users};
use chiso_web::WebConfig;
use common::browser::{Browser, Reply};
use common::fixtures;
use common::{TestApp, backends, cheap_hash};
use reqwest::StatusCode;
use time::OffsetDateTime;
use time::macros::datetime;

const PASSWORD: &str = "mat-khau-dung-123";
/// 02/04/2025 10:00 in Vietnam.
const NOW: OffsetDateTime = datetime!(2025-04-02 03:00 UTC);

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
        report_issuer: ReportIssuer {
            signer: "Hoàng Minh Đức".to_owned(),
            ..ReportIssuer::default()
        },
        ..WebConfig::default()
    };
    let app = TestApp::start_with(backend, config, true).await;
    person(app.db(), "admin", true, None).await;
    for u in ["SNV", "STP"] {
        let unit = UnitCode::parse(u).unwrap();
        person(
            app.db(),
            &format!("cb.{}", u.to_lowercase()),
            false,
            Some(Role::UnitOfficer { unit }),
        )
        .await;
    }
    app
}

/// The `href` of the page's first PDF download link, if any.
fn pdf_link(page: &str) -> Option<String> {
    pdf_links(page).into_iter().next()
}

/// The `href` of every PDF download link of the page, in order.
fn pdf_links(page: &str) -> Vec<String> {
    page.split("<a href=\"")
        .skip(1)
        .filter(|chunk| {
            chunk
                .split('>')
                .next()
                .is_some_and(|tag| tag.contains("download-pdf"))
        })
        .map(|chunk| chunk.split('"').next().unwrap_or("").replace("&amp;", "&"))
        .collect()
}

/// A PDF sent as an attachment named `name`.
fn assert_pdf(r: &Reply, name: &str) {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.content_type, "application/pdf");
    assert!(r.bytes.starts_with(b"%PDF"), "not a PDF");
    assert!(
        r.disposition.contains(&format!("filename=\"{name}\"")),
        "{}",
        r.disposition
    );
}

#[tokio::test]
async fn a_published_period_offers_a_pdf_of_what_its_page_shows() {
    for backend in backends() {
        let app = start(&backend).await;
        fixtures::publish_2024(app.db()).await;
        let mut anonymous = Browser::new(&app.base);
        let page = anonymous.page("/ky/2024").await;
        let link = pdf_link(&page.body).expect("a PDF link on the period page");
        assert_eq!(link, "/ky/2024/bao-cao-ket-qua.pdf", "[{}]", backend.name());
        page.assert_has(&["Báo cáo kết quả (.pdf)", "bao-cao-chi-so-cchc-2024.pdf"]);
        let r = anonymous.get(&link).await;
        assert_pdf(&r, "bao-cao-chi-so-cchc-2024.pdf");
        assert_eq!(r.headers["cache-control"], "public, max-age=300");
        let s = text(&r.bytes);
        for expected in [
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "Kèm theo Quyết định số 567/QĐ-UBND ngày 20/03/2025",
            "Sở Khoa học & Công nghệ",
            "Thành phố Mẫu",
            "89,83",
            "96,89",
            "+0,21",
            "Hoàng Minh Đức",
            "Trang 1/",
        ] {
            assert!(s.contains(expected), "{expected:?} missing from:\n{s}");
        }
        // The figures of the page, the Vietnamese way.
        page.assert_has(&["89,83", "96,89"]);
        assert!(fonts(&r.bytes).iter().all(|f| f.embedded));
        app.stop().await;
    }
}

#[tokio::test]
async fn each_group_and_each_unit_page_offers_its_own_pdf() {
    for backend in backends() {
        let app = start(&backend).await;
        fixtures::publish_2024(app.db()).await;
        let mut anonymous = Browser::new(&app.base);
        let page = anonymous.page("/ky/2024").await;
        let links = pdf_links(&page.body);
        let group = "/ky/2024/tai-ve/bao-cao-chi-so-cchc-2024-ubnd-cap-huyen.pdf";
        assert!(
            links.iter().any(|l| l == group),
            "[{}] {links:?}",
            backend.name()
        );
        let r = anonymous.get(group).await;
        assert_pdf(&r, "bao-cao-chi-so-cchc-2024-ubnd-cap-huyen.pdf");
        let s = text(&r.bytes);
        for expected in ["UBND cấp huyện", "Thành phố Mẫu", "96,89", "Hoàng Minh Đức"]
        {
            assert!(s.contains(expected), "{expected:?} missing from:\n{s}");
        }
        assert!(!s.contains("Sở Tư pháp"), "only the group's units: {s}");

        let page = anonymous.page("/ky/2024/don-vi/SNV").await;
        let link = "/ky/2024/don-vi/SNV/tai-ve/chi-so-cchc-2024-so-noi-vu.pdf";
        assert_eq!(pdf_links(&page.body), [link]);
        page.assert_has(&["Phiếu kết quả của đơn vị (.pdf)"]);
        let r = anonymous.get(link).await;
        assert_pdf(&r, "chi-so-cchc-2024-so-noi-vu.pdf");
        assert_eq!(r.headers["cache-control"], "public, max-age=300");
        let s = text(&r.bytes);
        for expected in [
            "Chỉ số cải cách hành chính năm 2024 của Sở Nội vụ",
            "Kèm theo Quyết định số 567/QĐ-UBND ngày 20/03/2025",
            "Chỉ số (%): 89,83",
            "Xếp hạng trong nhóm: 1/3",
            "Trung bình nhóm",
            "Cao nhất nhóm",
            "Trang 1/",
        ] {
            assert!(s.contains(expected), "{expected:?} missing from:\n{s}");
        }
        assert!(fonts(&r.bytes).iter().all(|f| f.embedded));

        // Names no page links are not found, before any typesetting.
        for wrong in [
            "/ky/2024/tai-ve/bao-cao-chi-so-cchc-2024-khong-co.pdf",
            "/ky/2024/don-vi/SNV/tai-ve/chi-so-cchc-2024-so-tu-phap.pdf",
            "/ky/2024/don-vi/SNV/tai-ve/chi-so-cchc-2024-so-noi-vu.exe",
        ] {
            assert_eq!(
                anonymous.get(wrong).await.status,
                StatusCode::NOT_FOUND,
                "{wrong}"
            );
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn a_units_result_sheet_before_publication_goes_to_its_people_without_the_groups_figures() {
    for backend in backends() {
        let app = start(&backend).await;
        let link = "/ky/2024/don-vi/SNV/tai-ve/chi-so-cchc-2024-so-noi-vu.pdf";
        let mut anonymous = Browser::new(&app.base);
        assert_eq!(anonymous.get(link).await.status, StatusCode::NOT_FOUND);
        let mut other = Browser::signed_in(&app.base, "cb.stp", PASSWORD).await;
        assert_ne!(other.get(link).await.status, StatusCode::OK);

        let mut officer = Browser::signed_in(&app.base, "cb.snv", PASSWORD).await;
        let r = officer.get(link).await;
        assert_pdf(&r, "chi-so-cchc-2024-so-noi-vu.pdf");
        assert_eq!(r.headers["cache-control"], "private, no-store");
        let s = text(&r.bytes);
        assert!(s.contains("KẾT QUẢ CHƯA CÔNG BỐ"), "{s}");
        assert!(!s.contains("Trung bình nhóm"), "{s}");

        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        let s = text(&admin.get(link).await.bytes);
        assert!(s.contains("Trung bình nhóm"), "the staff compare: {s}");
        app.stop().await;
    }
}

#[tokio::test]
async fn the_results_report_before_publication_is_only_for_who_may_read_the_results() {
    for backend in backends() {
        let app = start(&backend).await;
        let mut anonymous = Browser::new(&app.base);
        let r = anonymous.get("/ky/2024/bao-cao-ket-qua.pdf").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{}]", backend.name());

        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        let page = admin.page("/ky/2024").await;
        assert_eq!(
            pdf_link(&page.body).as_deref(),
            Some("/ky/2024/bao-cao-ket-qua.pdf")
        );
        let r = admin.get("/ky/2024/bao-cao-ket-qua.pdf").await;
        assert_pdf(&r, "bao-cao-chi-so-cchc-2024.pdf");
        assert_eq!(r.headers["cache-control"], "private, no-store");
        let s = text(&r.bytes);
        assert!(s.contains("KẾT QUẢ CHƯA CÔNG BỐ"), "{s}");
        assert!(s.contains("Sở Tư pháp") && s.contains("Huyện Tây"), "{s}");

        // A unit's people get their own unit, as on the page, and nobody else's.
        let mut officer = Browser::signed_in(&app.base, "cb.snv", PASSWORD).await;
        let r = officer.get("/ky/2024/bao-cao-ket-qua.pdf").await;
        assert_pdf(&r, "bao-cao-chi-so-cchc-2024.pdf");
        let s = text(&r.bytes);
        assert!(s.contains("Sở Nội vụ") && s.contains("89,83"), "{s}");
        assert!(!s.contains("Sở Tư pháp") && !s.contains("77,25"), "{s}");

        let r = anonymous.get("/ky/2099/bao-cao-ket-qua.pdf").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        app.stop().await;
    }
}

#[tokio::test]
async fn a_units_self_assessment_report_and_minutes_go_to_its_people_and_the_staff_only() {
    for backend in backends() {
        let app = start(&backend).await;
        let mut officer = Browser::signed_in(&app.base, "cb.snv", PASSWORD).await;
        let page = officer.page("/ky/2024/tu-danh-gia/SNV").await;
        assert_eq!(
            pdf_link(&page.body).as_deref(),
            Some("/ky/2024/tu-danh-gia/SNV/bao-cao.pdf"),
            "[{}]",
            backend.name()
        );
        let r = officer.get("/ky/2024/tu-danh-gia/SNV/bao-cao.pdf").await;
        assert_pdf(&r, "bao-cao-tu-danh-gia-2024-so-noi-vu.pdf");
        assert_eq!(r.headers["cache-control"], "private, no-store");
        let s = text(&r.bytes);
        for expected in [
            "SỞ NỘI VỤ",
            "Tự đánh giá, chấm điểm Chỉ số cải cách hành chính",
            "Ban hành kế hoạch CCHC năm",
            "BẢN NHÁP — CHƯA NỘP",
            "Thủ trưởng đơn vị".to_uppercase().as_str(),
        ] {
            assert!(s.contains(expected), "{expected:?} missing from:\n{s}");
        }
        let r = officer.get("/ky/2024/tham-dinh/SNV/bien-ban.pdf").await;
        assert_pdf(&r, "bien-ban-tham-dinh-2024-so-noi-vu.pdf");
        let s = text(&r.bytes);
        assert!(
            s.contains("Thẩm định kết quả tự đánh giá của Sở Nội vụ"),
            "{s}"
        );

        // Another unit's officer is refused both.
        let mut other = Browser::signed_in(&app.base, "cb.stp", PASSWORD).await;
        for path in [
            "/ky/2024/tu-danh-gia/SNV/bao-cao.pdf",
            "/ky/2024/tham-dinh/SNV/bien-ban.pdf",
        ] {
            let r = other.get(path).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
        }
        // The staff read both; the appraisal page links the minutes.
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        let page = admin.page("/ky/2024/tham-dinh/SNV").await;
        assert_eq!(
            pdf_link(&page.body).as_deref(),
            Some("/ky/2024/tham-dinh/SNV/bien-ban.pdf")
        );
        page.assert_has(&["Biên bản thẩm định (.pdf)"]);
        let r = admin.get("/ky/2024/tham-dinh/SNV/bien-ban.pdf").await;
        assert_pdf(&r, "bien-ban-tham-dinh-2024-so-noi-vu.pdf");
        let r = admin.get("/ky/2024/tu-danh-gia/STP/bao-cao.pdf").await;
        assert_pdf(&r, "bao-cao-tu-danh-gia-2024-so-tu-phap.pdf");

        // Nobody signed in: sent to sign in, never given the file.
        let mut anonymous = Browser::new(&app.base);
        let r = anonymous.get("/ky/2024/tu-danh-gia/SNV/bao-cao.pdf").await;
        assert_ne!(r.status, StatusCode::OK);
        assert!(!r.bytes.starts_with(b"%PDF"));
        app.stop().await;
    }
}
