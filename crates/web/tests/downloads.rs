//! Downloads of results pages and the methodology page over HTTP, on SQLite and (with
//! `CHISO_TEST_PG`) PostgreSQL, with the small province of `common::fixtures`: the files a
//! page links hold what the page shows (CSV rows, JSON, the official workbook read back with
//! calamine and opened as a zip), carry their names and media types, follow the page's access
//! rules and version; the methodology page states each leaf's rule and the year's class bands.

use crate::common;

use std::io::{Cursor, Read};
use std::sync::Arc;

use calamine::{Data, Reader, Xlsx};
use chiso_domain::authz::{Grant, Role};
use chiso_domain::{ClassBand, FixedClock, GroupName, Membership, PeriodCode, SetCode, UnitCode};
use chiso_store::{Actor, Db, grants, index_sets, periods, users};
use chiso_web::WebConfig;
use common::browser::{Browser, Reply};
use common::fixtures::{self, DEPARTMENTS, DISTRICTS};
use common::{TestApp, backends, cheap_hash};
use reqwest::StatusCode;
use rust_decimal_macros::dec;
use time::OffsetDateTime;
use time::macros::datetime;

const PASSWORD: &str = "mat-khau-dung-123";
/// 02/04/2025 10:00 in Vietnam.
const NOW: OffsetDateTime = datetime!(2025-04-02 03:00 UTC);
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

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

/// Every `href` of the page's links to files of `kind` (`xlsx`, `csv`, `json`).
fn file_links(page: &str, kind: &str) -> Vec<String> {
    let class = format!("class=\"download download-{kind}\"");
    page.split("<a href=\"")
        .skip(1)
        .filter(|chunk| {
            chunk
                .split('>')
                .next()
                .is_some_and(|tag| tag.contains(&class))
        })
        .map(|chunk| chunk.split('"').next().unwrap_or("").replace("&amp;", "&"))
        .collect()
}

/// Asserts a file download: 200, the media type, an attachment named `name`.
fn assert_file(r: &Reply, content_type: &str, name: &str) {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.content_type, content_type);
    assert!(
        r.disposition.starts_with("attachment;")
            && r.disposition.contains(&format!("filename=\"{name}\"")),
        "{}",
        r.disposition
    );
}

fn csv_rows(bytes: &[u8]) -> Vec<csv::StringRecord> {
    csv::Reader::from_reader(bytes)
        .records()
        .map(|r| r.expect("csv row"))
        .collect()
}

/// A figure of a file (`89.83`) as the page writes it (`89,83`).
fn vi(figure: &str) -> String {
    figure.replace('.', ",")
}

fn zip_text(bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).expect("xlsx is a zip");
    let mut f = z
        .by_name(name)
        .unwrap_or_else(|_| panic!("{name} in the workbook"));
    let mut s = String::new();
    f.read_to_string(&mut s).expect("utf-8 part");
    s
}

fn zip_names(bytes: &[u8]) -> Vec<String> {
    let z = zip::ZipArchive::new(Cursor::new(bytes)).expect("xlsx is a zip");
    z.file_names()
        .map(|n| n.expect("entry name").into_owned())
        .collect()
}

#[tokio::test]
async fn the_published_results_page_links_files_holding_exactly_its_rows() {
    for backend in backends() {
        let app = start(&backend).await;
        fixtures::publish_2024(app.db()).await;
        let mut anonymous = Browser::new(&app.base);
        let page = anonymous.page("/ky/2024").await;
        page.assert_has(&["Tải kết quả", "/ky/2024/phuong-phap"]);
        let csv_links = file_links(&page.body, "csv");
        assert_eq!(
            csv_links,
            [
                "/ky/2024/tai-ve/chi-so-cchc-2024.csv",
                "/ky/2024/tai-ve/chi-so-cchc-2024-so-ban-nganh.csv",
                "/ky/2024/tai-ve/chi-so-cchc-2024-ubnd-cap-huyen.csv",
            ],
            "[{}]",
            backend.name()
        );

        // CSV of one group: its rows are the page's rows of that group, in the same order.
        let r = anonymous.get(&csv_links[1]).await;
        assert_file(
            &r,
            "text/csv; charset=utf-8",
            "chi-so-cchc-2024-so-ban-nganh.csv",
        );
        assert_eq!(r.headers["cache-control"], "public, max-age=300");
        let rows = csv_rows(&r.bytes);
        let got: Vec<(&str, &str, &str, &str)> =
            rows.iter().map(|r| (&r[1], &r[2], &r[3], &r[6])).collect();
        assert_eq!(
            got,
            [
                ("1", "SNV", "Sở Nội vụ", "89.83"),
                ("2", "STP", "Sở Tư pháp", "77.25"),
                ("3", "SKHCN", "Sở Khoa học & Công nghệ", "68.50"),
            ]
        );
        for row in &rows {
            assert_eq!(&row[0], DEPARTMENTS);
            // The page shows the same figures, the Vietnamese way.
            page.assert_has(&[&vi(&row[6]), &vi(&row[4])]);
        }
        // The whole period: every unit the page shows.
        let all = csv_rows(&anonymous.get(&csv_links[0]).await.bytes);
        assert_eq!(all.len(), 6);
        assert!(all.iter().any(|r| &r[2] == "TP-MAU" && &r[6] == "96.89"));

        // JSON of the other group.
        let json_links = file_links(&page.body, "json");
        let r = anonymous.get(&json_links[2]).await;
        assert_file(
            &r,
            "application/json",
            "chi-so-cchc-2024-ubnd-cap-huyen.json",
        );
        let v: serde_json::Value = serde_json::from_slice(&r.bytes).expect("json");
        let units = v["units"].as_array().expect("units");
        assert_eq!(units.len(), 3);
        assert_eq!(units[0]["unit"], "TP-MAU");
        assert_eq!(units[0]["index"], 96.89);
        assert_eq!(units[0]["group"], DISTRICTS);
        assert_eq!(v["groups"][0]["group"], DISTRICTS);

        // The official workbook of the period.
        let xlsx_links = file_links(&page.body, "xlsx");
        let r = anonymous.get(&xlsx_links[0]).await;
        assert_file(&r, XLSX, "chi-so-cchc-2024.xlsx");
        let mut book = Xlsx::new(Cursor::new(r.bytes.clone())).expect("workbook");
        assert_eq!(
            book.sheet_names(),
            ["Tổng hợp", DEPARTMENTS, DISTRICTS, "Chi tiết tiêu chí"]
        );
        let summary = book.worksheet_range("Tổng hợp").expect("summary");
        assert_eq!(
            summary.get_value((0, 0)),
            Some(&Data::String("Chỉ số CCHC năm 2024".into()))
        );
        let decision = summary
            .get_value((1, 0))
            .expect("decision line")
            .to_string();
        assert!(
            decision.contains("Quyết định số 567/QĐ-UBND ngày 20/03/2025"),
            "{decision}"
        );
        let header: Vec<String> = (0..13)
            .map(|c| {
                summary
                    .get_value((2, c))
                    .map(ToString::to_string)
                    .unwrap_or_default()
            })
            .collect();
        let col = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("{name} in {header:?}")) as u32
        };
        assert_eq!(
            summary.get_value((3, 3)),
            Some(&Data::String("Sở Nội vụ".into()))
        );
        assert_eq!(summary.get_value((3, 1)), Some(&Data::Float(1.0)));
        assert_eq!(
            summary.get_value((3, col("Chỉ số (%)"))),
            Some(&Data::Float(89.83))
        );
        assert_eq!(
            summary.get_value((3, col("Tổng điểm"))),
            Some(&Data::Float(89.83))
        );
        assert_eq!(
            summary.get_value((3, col("Tăng/giảm chỉ số so với năm trước"))),
            Some(&Data::Float(0.21))
        );
        assert_eq!(
            summary.get_value((3, col("Xếp loại"))),
            Some(&Data::String("Tốt".into()))
        );
        assert_eq!(
            summary.get_value((3, 4)),
            Some(&Data::Float(28.5)),
            "area 1"
        );
        // A group's sheet: title, group line, header, its units by rank.
        let group = book.worksheet_range(DISTRICTS).expect("group sheet");
        assert_eq!(
            group.get_value((4, 2)),
            Some(&Data::String("Thành phố Mẫu".into()))
        );
        assert_eq!(group.get_value((6, 0)), Some(&Data::Float(3.0)));
        // The criteria sheet: one row per unit and leaf.
        let criteria = book.worksheet_range("Chi tiết tiêu chí").expect("criteria");
        let snv_111 = criteria
            .rows()
            .find(|r| r[1] == Data::String("SNV".into()) && r[3] == Data::String("1.1.1".into()))
            .expect("SNV 1.1.1");
        assert_eq!(
            snv_111[4],
            Data::String("Ban hành kế hoạch CCHC năm".into())
        );
        assert!(matches!(snv_111[5], Data::Float(_)), "{:?}", snv_111[5]);
        assert_eq!(snv_111[6], Data::Float(10.0));

        // Inside the file: the charts, number formats, frozen panes, filters, print set-up.
        let names = zip_names(&r.bytes);
        assert!(
            names.contains(&"xl/charts/chart1.xml".to_owned()),
            "{names:?}"
        );
        assert!(
            names.contains(&"xl/charts/chart2.xml".to_owned()),
            "{names:?}"
        );
        let chart = zip_text(&r.bytes, "xl/charts/chart1.xml");
        assert!(
            chart.contains("<c:barChart>") && chart.contains("<c:barDir val=\"bar\"/>"),
            "{chart}"
        );
        assert!(zip_text(&r.bytes, "xl/styles.xml").contains("formatCode=\"0.00\""));
        for sheet in 1..=4 {
            let xml = zip_text(&r.bytes, &format!("xl/worksheets/sheet{sheet}.xml"));
            assert!(xml.contains("state=\"frozen\""), "sheet {sheet} frozen");
            assert!(xml.contains("<autoFilter "), "sheet {sheet} filter");
            assert!(
                xml.contains("paperSize=\"9\"") && xml.contains("orientation=\"landscape\""),
                "sheet {sheet} A4 landscape"
            );
            assert!(
                xml.contains("fitToPage=\"1\"") && xml.contains("fitToHeight=\"0\""),
                "sheet {sheet} fit to width"
            );
        }
        let workbook = zip_text(&r.bytes, "xl/workbook.xml");
        assert!(workbook.contains("_xlnm.Print_Titles"), "{workbook}");
        assert!(workbook.contains("_xlnm._FilterDatabase"), "{workbook}");

        // A name no page links is no file.
        for bad in [
            "tai-ve/chi-so-cchc-2024.pdf",
            "tai-ve/khac.csv",
            "tai-ve/chi-so-cchc-2023.csv",
        ] {
            let r = anonymous.get(&format!("/ky/2024/{bad}")).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}");
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn a_unit_page_links_its_result_as_csv_json_and_xlsx() {
    for backend in backends() {
        let app = start(&backend).await;
        fixtures::publish_2024(app.db()).await;
        let mut anonymous = Browser::new(&app.base);
        let page = anonymous.page("/ky/2024/don-vi/SNV").await;
        page.assert_has(&["Tải kết quả của đơn vị", "/ky/2024/phuong-phap"]);
        let csv = file_links(&page.body, "csv");
        assert_eq!(
            csv,
            ["/ky/2024/don-vi/SNV/tai-ve/chi-so-cchc-2024-so-noi-vu.csv"]
        );

        let r = anonymous.get(&csv[0]).await;
        assert_file(
            &r,
            "text/csv; charset=utf-8",
            "chi-so-cchc-2024-so-noi-vu.csv",
        );
        let rows = csv_rows(&r.bytes);
        assert_eq!(
            (
                &rows[0][0],
                &rows[0][1],
                &rows[0][5],
                &rows[0][6],
                &rows[0][8]
            ),
            ("total", "SNV", "89.83", "1", "Tốt")
        );
        // Every area and criterion the page shows, with the page's figures.
        let area1 = rows.iter().find(|r| &r[1] == "1").expect("area 1");
        assert_eq!(
            (&area1[0], &area1[3], &area1[4]),
            ("area", "28.50", "30.00")
        );
        let c31 = rows.iter().find(|r| &r[1] == "3.1").expect("3.1");
        assert_eq!((&c31[0], &c31[3], &c31[4]), ("criterion", "25.00", "30.00"));
        for r in rows
            .iter()
            .filter(|r| matches!(&r[0], "area" | "criterion"))
        {
            page.assert_has(&[&r[2], &vi(&r[3])]);
        }

        let r = anonymous.get(&file_links(&page.body, "json")[0]).await;
        assert_file(&r, "application/json", "chi-so-cchc-2024-so-noi-vu.json");
        let v: serde_json::Value = serde_json::from_slice(&r.bytes).expect("json");
        assert_eq!(v["unit"], "SNV");
        assert_eq!(v["index"], 89.83);
        assert_eq!(v["rank"], 1);
        assert_eq!(v["nodes"][0]["code"], "1");
        assert_eq!(v["nodes"][0]["points"], 28.5);

        let r = anonymous.get(&file_links(&page.body, "xlsx")[0]).await;
        assert_file(&r, XLSX, "chi-so-cchc-2024-so-noi-vu.xlsx");
        let mut book = Xlsx::new(Cursor::new(r.bytes.clone())).expect("workbook");
        let sheet = book.worksheet_range("Kết quả đơn vị").expect("sheet");
        let index = sheet
            .rows()
            .find(|r| r[0] == Data::String("Chỉ số (%)".into()))
            .expect("index row");
        assert_eq!(index[2], Data::Float(89.83));
        let area = sheet
            .rows()
            .find(|r| r[0] == Data::String("2".into()))
            .expect("area 2");
        assert_eq!(area[2], Data::Float(36.33));

        // Another unit's name on this unit's address is no file.
        let r = anonymous
            .get("/ky/2024/don-vi/SNV/tai-ve/chi-so-cchc-2024-so-tu-phap.csv")
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        app.stop().await;
    }
}

#[tokio::test]
async fn files_of_unpublished_results_follow_the_page_access_rules() {
    for backend in backends() {
        let app = start(&backend).await;
        let mut anonymous = Browser::new(&app.base);
        for path in [
            "/ky/2024/tai-ve/chi-so-cchc-2024.csv",
            "/ky/2024/tai-ve/chi-so-cchc-2024.xlsx",
            "/ky/2024/tai-ve/chi-so-cchc-2024-so-ban-nganh.json",
            "/ky/2024/don-vi/SNV/tai-ve/chi-so-cchc-2024-so-noi-vu.csv",
        ] {
            let r = anonymous.get(path).await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "[{}] {path}",
                backend.name()
            );
        }
        // The staff download the confidential results, kept out of shared caches.
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        let page = admin.page("/ky/2024").await;
        let links = file_links(&page.body, "xlsx");
        assert_eq!(links[0], "/ky/2024/tai-ve/chi-so-cchc-2024.xlsx");
        let r = admin.get(&links[0]).await;
        assert_file(&r, XLSX, "chi-so-cchc-2024.xlsx");
        assert_eq!(r.headers["cache-control"], "private, no-store");
        let mut book = Xlsx::new(Cursor::new(r.bytes.clone())).expect("workbook");
        let summary = book.worksheet_range("Tổng hợp").expect("summary");
        assert!(
            summary
                .get_value((1, 0))
                .unwrap()
                .to_string()
                .contains("chưa công bố")
        );
        // A unit's people get their own unit only, as on their page.
        let mut officer = Browser::signed_in(&app.base, "cb.snv", PASSWORD).await;
        let r = officer.get("/ky/2024/tai-ve/chi-so-cchc-2024.csv").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let rows = csv_rows(&r.bytes);
        assert_eq!(rows.len(), 1);
        assert_eq!(&rows[0][2], "SNV");
        let r = officer
            .get("/ky/2024/don-vi/STP/tai-ve/chi-so-cchc-2024-so-tu-phap.csv")
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        app.stop().await;
    }
}

/// Gives 2024's groups a set of their own whose "Khá" band starts at 72,5 (2023's at 70).
async fn stricter_bands_for_2024(db: &Db) {
    let mut set = fixtures::index_set();
    set.code = SetCode::parse("BCS-2024").unwrap();
    set.name = "Bộ chỉ số CCHC năm 2024".to_owned();
    set.year = 2024;
    for b in &mut set.classes.default {
        if b.label == "Khá" {
            *b = ClassBand {
                label: "Khá".to_owned(),
                min: dec!(72.5),
            };
        }
    }
    let actor = Actor::system();
    index_sets::save(db, &set, &actor, NOW).await.expect("set");
    let code = PeriodCode::parse("2024").unwrap();
    let groups = vec![
        (GroupName::parse(DEPARTMENTS).unwrap(), set.code.clone()),
        (GroupName::parse(DISTRICTS).unwrap(), set.code.clone()),
    ];
    let members: Vec<Membership> = fixtures::results_2024()
        .units
        .iter()
        .map(|u| Membership {
            unit: u.unit.clone(),
            group: u.group.clone(),
            ranked: true,
        })
        .collect();
    periods::set_groups(db, &code, &groups, &members, &actor, NOW)
        .await
        .expect("groups");
}

#[tokio::test]
async fn the_methodology_page_states_each_rule_and_the_class_bands_of_its_year() {
    for backend in backends() {
        let app = start(&backend).await;
        stricter_bands_for_2024(app.db()).await;
        // Not published: nothing for the public, everything for the staff.
        let mut anonymous = Browser::new(&app.base);
        let r = anonymous.get("/ky/2024/phuong-phap").await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "[{}] {}",
            backend.name(),
            r.body
        );
        let mut officer = Browser::signed_in(&app.base, "cb.snv", PASSWORD).await;
        assert_eq!(
            officer.get("/ky/2024/phuong-phap").await.status,
            StatusCode::NOT_FOUND
        );
        let mut admin = Browser::signed_in(&app.base, "admin", PASSWORD).await;
        admin.page("/ky/2024/phuong-phap").await.assert_has(&[
            "Phương pháp tính — Chỉ số CCHC năm 2024",
            "Kết quả chưa công bố",
        ]);

        fixtures::publish_2024(app.db()).await;
        let page = anonymous.page("/ky/2024/phuong-phap").await;
        page.assert_has(&[
            "Phương pháp tính — Chỉ số CCHC năm 2024",
            "Quyết định số 567/QĐ-UBND ngày 20/03/2025",
            // The tree with maxima and each leaf's rule in words.
            "Ban hành kế hoạch CCHC năm",
            "Chấm điểm trực tiếp từ 0 đến 10 điểm",
            "Không phát sinh: không tính vào điểm tối đa",
            "Không được khai không phát sinh",
            "Điểm bằng tổng điểm các tiêu chí bên dưới.",
            // This year's bands, with Vietnamese numbers, next to last year's.
            "Áp dụng năm 2024 — Bộ chỉ số CCHC năm 2024",
            "Từ 72,5 đến dưới 80",
            "Từ 50 đến dưới 72,5",
            "Từ 90 trở lên",
            "Dưới 50",
            "Áp dụng năm 2023 — Bộ chỉ số CCHC mẫu",
            "Từ 70 đến dưới 80",
            "Các mức xếp loại năm nay khác năm trước",
            // How survey points are computed.
            "điểm tối đa của tiêu chí × mức đánh giá bình quân",
            "A = 100 %, B = 60 %, C = 20 %, D = 0 %",
            "SIPAS",
        ]);
        page.assert_lacks(&["72.5"]);
        let en = anonymous.page("/ky/2024/phuong-phap?lang=en").await;
        en.assert_has(&[
            "Methodology — Chỉ số CCHC năm 2024",
            "From 72,5 to below 80",
            "Applied in 2023",
        ]);
        // The results pages link it.
        anonymous
            .page("/ky/2024")
            .await
            .assert_has(&["href=\"/ky/2024/phuong-phap\""]);
        anonymous
            .page("/ky/2024/don-vi/H-TAY")
            .await
            .assert_has(&["href=\"/ky/2024/phuong-phap\""]);
        assert_eq!(
            anonymous.get("/ky/2099/phuong-phap").await.status,
            StatusCode::NOT_FOUND
        );
        app.stop().await;
    }
}
