//! The application as people and programs use it: the real server on 127.0.0.1:0, a seeded
//! database (SQLite always, PostgreSQL when `CHISO_TEST_PG` is set), plain HTTP requests.

use crate::common;

use common::{Backend, Fetched, TestApp};
use reqwest::StatusCode;

/// The `<svg …>…</svg>` blocks of a page whose opening tag contains `class_attr`.
fn svgs<'a>(body: &'a str, class_attr: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("<svg") {
        let tail = &rest[start..];
        let end = tail
            .find("</svg>")
            .map_or(tail.len(), |e| e + "</svg>".len());
        let block = &tail[..end];
        let open_tag = &block[..block.find('>').unwrap_or(block.len())];
        if open_tag.contains(class_attr) {
            out.push(block);
        }
        rest = &tail[end..];
    }
    out
}

/// Texts of the unit-name labels of a bar chart, in drawing order.
fn bar_labels(svg: &str) -> Vec<String> {
    svg.split("<g>")
        .skip(1)
        .filter_map(|g| {
            let after = g.split("text-anchor=\"end\"").nth(1)?;
            let text = after.split_once('>')?.1;
            Some(text.split_once("</text>")?.0.to_owned())
        })
        .collect()
}

#[tokio::test]
async fn home_page_lists_every_period_with_its_publication_date_and_unit_count() {
    each_backend!(|app| {
        let page = app.page("/").await;
        assert!(page.header("content-type").starts_with("text/html"));
        page.assert_contains(&[
            "<html lang=\"vi\">",
            "Các kỳ đánh giá",
            "href=\"/ky/2024\"",
            "Chỉ số CCHC năm 2024",
            "href=\"/ky/2023\"",
            "Chỉ số CCHC năm 2023",
            "<td class=\"num\">20/03/2025</td>",
            "<td class=\"num\">20/05/2024</td>",
            "Ngày công bố",
            "Đã công bố",
            "Quyết định số 1234/QĐ-UBND ngày 20/05/2024",
            "Quyết định số 567/QĐ-UBND ngày 20/03/2025",
        ]);
        assert!(
            !page.body.contains("10/03/2025"),
            "the day the results were computed is not a date readers need on the list"
        );
        let newest = page.body.find("/ky/2024").unwrap();
        let older = page.body.find("/ky/2023").unwrap();
        assert!(newest < older, "periods are listed newest first");
        assert!(
            page.body.contains(">6</td>") && page.body.contains(">5</td>"),
            "unit counts"
        );
    });
}

#[tokio::test]
async fn ranking_page_shows_ranks_vietnamese_numbers_streaks_and_group_statistics() {
    each_backend!(|app| {
        let page = app.page("/ky/2024").await;
        page.assert_contains(&[
            "Sở, ban, ngành",
            "UBND cấp huyện",
            "Bảng xếp hạng: Sở, ban, ngành",
            ">1/3<",
            ">2/3<",
            ">3/3<",
            "89,83",
            "96,89",
            "68,50",
            "+0,21",
            "-12,50",
            "Hạng 1: 9 năm liên tiếp",
            "Hạng 1: 3 năm liên tiếp",
            "Xuất sắc",
            "Trung bình",
            "78,53",
            "84,13",
            "Tăng/giảm chỉ số",
            "Tăng/giảm hạng",
            "href=\"/ky/2024/don-vi/SNV\"",
            "Sở Khoa học &amp; Công nghệ",
            "10/03/2025",
        ]);
        assert!(
            !page.body.contains("Hạng 1: 0 năm"),
            "no badge below a streak of 2"
        );
        let departments = page.body.find("id=\"nhom-1\"").unwrap();
        let districts = page.body.find("id=\"nhom-2\"").unwrap();
        assert!(departments < districts, "groups in the period's order");
    });
}

#[tokio::test]
async fn ranking_chart_has_one_bar_per_ranked_unit_in_rank_order() {
    each_backend!(|app| {
        let page = app.page("/ky/2024").await;
        let charts = svgs(&page.body, "chart-bars");
        assert_eq!(charts.len(), 2, "one chart per group");
        for chart in &charts {
            assert_eq!(chart.matches("<rect class=\"bar\"").count(), 3, "{chart}");
            assert!(chart.contains("role=\"img\""));
        }
        assert_eq!(
            bar_labels(charts[0]),
            ["Sở Nội vụ", "Sở Tư pháp", "Sở Khoa học &amp; Công nghệ"]
        );
        assert!(charts[0].contains(">89,83</text>"));
        assert!(charts[1].contains(">96,89</text>"));
        assert!(
            charts[1].contains("fill=\"#1a7f37\""),
            "xuất sắc has the top band's colour"
        );
    });
}

#[tokio::test]
async fn english_is_chosen_by_a_link_and_remembered_by_a_cookie() {
    each_backend!(|app| {
        let vi = app.page("/ky/2024").await;
        assert!(
            vi.body.contains("href=\"/ky/2024?lang=en\""),
            "switch link to English"
        );

        let en = app.page("/ky/2024?lang=en").await;
        en.assert_contains(&[
            "<html lang=\"en\">",
            "Ranking: Sở, ban, ngành",
            "Rank 1: 9 years in a row",
            "Group statistics",
            "89,83",
            "href=\"/ky/2024?lang=vi\"",
        ]);
        let cookie = en.header("set-cookie").to_owned();
        assert!(cookie.starts_with("lang=en"), "{cookie}");
        assert!(cookie.contains("Path=/"));

        let later = app.get_with("/", &[("cookie", "lang=en")]).await;
        assert_eq!(later.status, StatusCode::OK);
        assert!(
            later.body.contains("Assessment periods"),
            "cookie read on later requests"
        );
        assert!(
            later.header("set-cookie").is_empty(),
            "no cookie without an explicit choice"
        );

        let ignored = app
            .get_with("/", &[("accept-language", "en-US,en;q=0.9")])
            .await;
        assert!(
            ignored.body.contains("Các kỳ đánh giá"),
            "Accept-Language is not used"
        );

        let back = app.get_with("/?lang=vi", &[("cookie", "lang=en")]).await;
        assert!(back.body.contains("Các kỳ đánh giá"));
        assert!(back.header("set-cookie").starts_with("lang=vi"));
        assert!(back.header("vary").to_ascii_lowercase().contains("cookie"));
    });
}

#[tokio::test]
async fn unit_page_shows_areas_criteria_and_history() {
    each_backend!(|app| {
        let page = app.page("/ky/2024/don-vi/SNV").await;
        page.assert_contains(&[
            "<h1>Sở Nội vụ</h1>",
            "Sở, ban, ngành",
            ">1/3<",
            "89,83",
            "89,83 / 100,00",
            "+0,21",
            "Hạng 1: 3 năm liên tiếp",
            "Kết quả theo lĩnh vực",
            "Công tác chỉ đạo, điều hành cải cách hành chính",
            "Cải cách thủ tục hành chính",
            "Xây dựng chính quyền điện tử, chính quyền số",
            "36,33",
            "90,83",
            "Báo cáo cải cách hành chính",
            "18,50",
            "Hạ tầng và nền tảng số",
            "83,33",
            "Kết quả qua các năm",
            "href=\"/ky/2023/don-vi/SNV\"",
            "89,62",
        ]);
        assert_eq!(
            page.body.matches("class=\"mini-bar\"").count(),
            3,
            "one small bar per area"
        );
        let history = svgs(&page.body, "chart-line");
        assert_eq!(history.len(), 1);
        assert_eq!(
            history[0].matches("<circle class=\"point\"").count(),
            2,
            "2023 and 2024"
        );
        let y2023 = history[0].find(">2023</text>").unwrap();
        let y2024 = history[0].find(">2024</text>").unwrap();
        assert!(y2023 < y2024, "oldest year first");

        let new_unit = app.page("/ky/2024/don-vi/H-DONG").await;
        new_unit.assert_contains(&["Huyện Đông", "84,50"]);
        assert_eq!(
            svgs(&new_unit.body, "chart-line")[0]
                .matches("<circle class=\"point\"")
                .count(),
            1
        );
    });
}

#[tokio::test]
async fn unknown_period_unit_or_page_gives_a_localized_404_page() {
    each_backend!(|app| {
        let p = app.get("/ky/2099").await;
        assert_eq!(p.status, StatusCode::NOT_FOUND);
        assert!(p.header("content-type").starts_with("text/html"));
        p.assert_contains(&[
            "Không tìm thấy trang",
            "Không tìm thấy kỳ đánh giá “2099”",
            "Về trang chủ",
        ]);

        let en = app.get_with("/ky/2099", &[("cookie", "lang=en")]).await;
        assert_eq!(en.status, StatusCode::NOT_FOUND);
        en.assert_contains(&["Page not found", "No assessment period “2099”"]);

        let unit = app.get("/ky/2024/don-vi/KHONG-CO").await;
        assert_eq!(unit.status, StatusCode::NOT_FOUND);
        unit.assert_contains(&["Đơn vị “KHONG-CO” không có kết quả trong kỳ đánh giá “2024”"]);

        let bad = app.get("/ky/a%20b").await;
        assert_eq!(bad.status, StatusCode::NOT_FOUND);

        let nowhere = app.get("/khong-co-trang-nay").await;
        assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
        nowhere.assert_contains(&["Không tìm thấy trang bạn yêu cầu"]);

        let escaped = app.get("/ky/%3Cb%3E").await;
        assert_eq!(escaped.status, StatusCode::NOT_FOUND);
        assert!(
            !escaped.body.contains("<b>"),
            "request text is escaped in error pages"
        );
    });
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_pages_have_no_inline_code() {
    each_backend!(|app| {
        for path in [
            "/",
            "/ky/2024",
            "/ky/2024/don-vi/SNV",
            "/ky/2099",
            "/api/v1/periods",
            "/static/chiso.css",
        ] {
            let f = app.get(path).await;
            assert_eq!(f.header("x-content-type-options"), "nosniff", "{path}");
            assert_eq!(f.header("x-frame-options"), "DENY", "{path}");
            assert!(!f.header("referrer-policy").is_empty(), "{path}");
            let csp = f.header("content-security-policy");
            assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
            assert!(csp.contains("script-src 'self'") && csp.contains("style-src 'self'"));
            assert!(!csp.contains("unsafe-inline"));
            assert!(
                !f.header("x-request-id").is_empty(),
                "{path}: request id echoed"
            );
        }
        for path in ["/", "/ky/2024", "/ky/2024/don-vi/SNV", "/ky/2099"] {
            let body = app.get(path).await.body;
            assert!(!body.contains("<script"), "{path}: no script");
            assert!(!body.contains("<style"), "{path}: no inline style element");
            assert!(!body.contains(" style="), "{path}: no style attribute");
        }
    });
}

#[tokio::test]
async fn stylesheet_is_embedded_and_cached_and_pages_are_compressed() {
    let app = TestApp::start(&Backend::Sqlite).await;
    let home = app.page("/").await;
    let href = home
        .body
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(href.starts_with("/static/chiso.css?v="), "{href}");
    let css = app.page(href).await;
    assert!(css.header("content-type").starts_with("text/css"));
    assert!(css.header("cache-control").contains("immutable"));
    assert!(css.body.contains(".ranking") || css.body.contains("table.data"));

    let gz = app
        .get_with("/ky/2024", &[("accept-encoding", "gzip")])
        .await;
    assert_eq!(gz.header("content-encoding"), "gzip");

    assert_eq!(
        app.get("/static/nothing.js").await.status,
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}

#[tokio::test]
async fn a_merged_unit_says_what_its_change_is_computed_against_and_ranks_carry_their_group_sizes()
{
    for backend in common::backends() {
        let demo = TestApp::start_with(&backend, chiso_web::WebConfig::default(), false).await;
        chiso_services::demo::load_demo(demo.db(), time::macros::datetime!(2026-01-05 08:00 UTC))
            .await
            .expect("the demo province loads");
        let page = demo.get("/ky/2025/don-vi/STC-2025").await;
        assert_eq!(page.status, 200);
        assert!(
            page.body
                .contains("Thay đổi so với năm trước được tính theo kết quả của"),
            "{}",
            page.body
        );
        for (code, name) in [("STC", "Sở Tài chính"), ("SKHDT", "Sở Kế hoạch và Đầu tư")]
        {
            assert!(
                page.body.contains(&format!(
                    "<a href=\"/ky/2024/don-vi/{code}\">{name} ({code})</a>"
                )),
                "{code} is linked as a predecessor"
            );
        }

        // A department that kept its code: its 2024 rank among the 16 departments of then,
        // next to its rank among the fewer departments of 2025.
        let api = demo.get("/api/v1/periods/2025/results").await.json();
        let units = api["units"].as_array().unwrap();
        let kept = units
            .iter()
            .find(|u| u["unit"] == "SCT")
            .expect("SCT is ranked in 2025");
        let (before, size_before) = (&kept["previous_rank"], &kept["previous_group_size"]);
        assert!(before.is_u64() && size_before.is_u64(), "{kept}");
        assert_ne!(
            size_before, &kept["group_size"],
            "the mergers shrank the group"
        );
        let path = format!(
            "{before}/{size_before} → {}/{}",
            kept["rank"], kept["group_size"]
        );
        assert!(demo.get("/ky/2025").await.body.contains(&path), "{path}");
        let merged = units.iter().find(|u| u["unit"] == "STC-2025").unwrap();
        assert_eq!(merged["compared_with"], serde_json::json!(["SKHDT", "STC"]));
        assert_eq!(merged["previous_rank"], serde_json::Value::Null);
        for u in units {
            if u["rank_move"] == "up" && u["previous_group_size"] != u["group_size"] {
                assert!(
                    u["delta_index"].as_f64().unwrap() > 0.0,
                    "a gain of rank in a resized group reads as one only with a higher index: {u}"
                );
            }
        }
        demo.stop().await;
    }
}

#[tokio::test]
async fn demo_banner_is_shown_only_in_demo_mode() {
    for backend in common::backends() {
        let config = chiso_web::WebConfig {
            demo: true,
            ..Default::default()
        };
        let demo = TestApp::start_with(&backend, config, true).await;
        for path in ["/", "/ky/2024", "/ky/2024/don-vi/SNV", "/ky/2099"] {
            let f = demo.get(path).await;
            assert!(
                f.body.contains("Dữ liệu mẫu — Tỉnh Mẫu là tỉnh giả định"),
                "{path}"
            );
        }
        let en = demo.get("/?lang=en").await;
        assert!(
            en.body
                .contains("Demo data — Tỉnh Mẫu is a fictitious province")
        );
        demo.stop().await;

        let real = TestApp::start(&backend).await;
        assert!(!real.page("/").await.body.contains("Dữ liệu mẫu"));
        real.stop().await;
    }
}

#[tokio::test]
async fn a_database_failure_gives_an_opaque_500_with_a_request_id() {
    use sqlx::Connection;
    let app = TestApp::start(&Backend::Sqlite).await;
    let mut c = sqlx::SqliteConnection::connect(&app.db_url).await.unwrap();
    sqlx::raw_sql("ALTER TABLE periods RENAME TO periods_gone")
        .execute(&mut c)
        .await
        .unwrap();
    c.close().await.unwrap();

    let page = app.get("/").await;
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    let id = page.header("x-request-id").to_owned();
    assert!(!id.is_empty());
    page.assert_contains(&["Lỗi máy chủ", "Mã yêu cầu", &id]);
    assert!(
        !page.body.contains("periods"),
        "no internals in the page: {}",
        page.body
    );
    assert!(!page.body.to_lowercase().contains("sql"));

    let api = app.get("/api/v1/periods").await;
    assert_eq!(api.status, StatusCode::INTERNAL_SERVER_ERROR);
    let v = api.json();
    assert_eq!(v["error"]["code"], "internal");
    assert!(!v.to_string().contains("periods_gone") && !v.to_string().contains("sql"));
    assert_eq!(
        app.get("/healthz").await.status,
        StatusCode::OK,
        "the database still answers"
    );
    app.stop().await;
}

#[tokio::test]
async fn health_check_answers_ok_after_a_database_round_trip() {
    each_backend!(|app| {
        let f = app.page("/healthz").await;
        assert_eq!(f.body, "ok");
    });
}

#[tokio::test]
async fn an_empty_database_shows_an_empty_period_list() {
    for backend in common::backends() {
        let app = TestApp::start_with(&backend, chiso_web::WebConfig::default(), false).await;
        app.page("/")
            .await
            .assert_contains(&["Chưa có kỳ đánh giá nào."]);
        let api = app.page("/api/v1/periods").await.json();
        assert_eq!(api["periods"], serde_json::json!([]));
        app.stop().await;
    }
}

// ---------------------------------------------------------------------------------------------
// JSON API

fn unit<'a>(results: &'a serde_json::Value, code: &str) -> &'a serde_json::Value {
    results["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit"] == code)
        .unwrap_or_else(|| panic!("unit {code} in {results}"))
}

#[tokio::test]
async fn api_lists_periods_newest_first() {
    each_backend!(|app| {
        let f = app.page("/api/v1/periods").await;
        assert!(f.header("content-type").starts_with("application/json"));
        let v = f.json();
        let periods = v["periods"].as_array().unwrap();
        assert_eq!(periods.len(), 2);
        assert_eq!(periods[0]["code"], "2024");
        assert_eq!(periods[0]["year"], 2024);
        assert_eq!(periods[0]["previous"], "2023");
        assert_eq!(periods[0]["units"], 6);
        assert_eq!(periods[0]["computed_at"], "2025-03-10T03:00:00Z");
        assert_eq!(periods[1]["code"], "2023");
        assert_eq!(periods[1]["status"], "published");
        assert_eq!(periods[1]["units"], 5);
    });
}

#[tokio::test]
async fn api_results_carry_the_published_figures_and_group_statistics() {
    each_backend!(|app| {
        let v = app.page("/api/v1/periods/2024/results").await.json();
        assert_eq!(v["computed"], true);
        assert_eq!(v["period"]["code"], "2024");
        assert_eq!(v["units"].as_array().unwrap().len(), 6);
        let snv = unit(&v, "SNV");
        assert_eq!(
            *snv,
            serde_json::json!({
                "unit": "SNV",
                "name": "Sở Nội vụ",
                "group": "Sở, ban, ngành",
                "ranked": true,
                "rank": 1,
                "group_size": 3,
                "total": 89.83,
                "max": 100.0,
                "index": 89.83,
                "class": "Tốt",
                "previous_index": 89.62,
                "delta_index": 0.21,
                "delta_rank": 0,
                "previous_rank": 1,
                "previous_group_size": 3,
                "rank_move": "same",
                "compared_with": [],
                "streak": 3,
                "areas": {"1": 28.5, "2": 36.33, "3": 25.0}
            })
        );
        let dong = unit(&v, "H-DONG");
        assert_eq!(dong["delta_index"], serde_json::Value::Null);
        assert_eq!(dong["rank"], 2);
        assert_eq!(unit(&v, "SKHCN")["delta_rank"], -1);

        let groups = v["groups"].as_array().unwrap();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0]["group"], "Sở, ban, ngành");
        assert_eq!(groups[0]["set"], "BCS-MAU");
        assert_eq!(groups[0]["mean_index"], 78.53);
        assert_eq!(groups[0]["improved"], 1);
        assert_eq!(groups[0]["declined"], 2);
        assert_eq!(
            groups[0]["per_class"][1],
            serde_json::json!({"class": "Tốt", "units": 1})
        );
        assert_eq!(groups[1]["mean_index"], 84.13);
    });
}

#[tokio::test]
async fn api_unit_result_has_titled_nodes_and_leaves() {
    each_backend!(|app| {
        let v = app.page("/api/v1/periods/2024/units/SNV").await.json();
        assert_eq!(v["period"], "2024");
        assert_eq!(v["set"], "BCS-MAU");
        assert_eq!(v["result"]["index"], 89.83);
        let nodes = v["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 7);
        assert_eq!(
            nodes[3],
            serde_json::json!({
                "code": "2",
                "title": "Cải cách thủ tục hành chính",
                "level": 1,
                "points": 36.33,
                "max": 40.0,
                "index": 90.83
            })
        );
        let leaves = v["leaves"].as_array().unwrap();
        assert_eq!(leaves.len(), 5);
        assert_eq!(leaves[4]["code"], "3.1");
        assert_eq!(leaves[4]["title"], "Hạ tầng và nền tảng số");
        assert_eq!(leaves[4]["max"], 30.0);
        assert_eq!(leaves[4]["applicable"], true);
    });
}

#[tokio::test]
async fn api_unit_history_is_oldest_first() {
    each_backend!(|app| {
        let v = app.page("/api/v1/units/SNV/history").await.json();
        assert_eq!(v["unit"], "SNV");
        assert_eq!(v["name"], "Sở Nội vụ");
        let entries = v["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0]["period"], "2023");
        assert_eq!(entries[0]["year"], 2023);
        assert_eq!(entries[0]["result"]["index"], 89.62);
        assert_eq!(entries[1]["period"], "2024");
        assert_eq!(entries[1]["result"]["streak"], 3);

        let dong = app.page("/api/v1/units/H-DONG/history").await.json();
        assert_eq!(dong["entries"].as_array().unwrap().len(), 1);
    });
}

#[tokio::test]
async fn api_errors_are_json_with_a_code_and_a_localized_message() {
    each_backend!(|app| {
        let check = |f: &Fetched, code: &str, message: &str| {
            assert_eq!(f.status, StatusCode::NOT_FOUND, "{}", f.body);
            assert!(f.header("content-type").starts_with("application/json"));
            let v = f.json();
            assert_eq!(v["error"]["code"], code, "{v}");
            let m = v["error"]["message"].as_str().unwrap();
            assert!(m.contains(message), "{m}");
        };
        check(
            &app.get("/api/v1/periods/2099/results").await,
            "period_not_found",
            "“2099”",
        );
        check(
            &app.get("/api/v1/periods/2099/units/SNV").await,
            "period_not_found",
            "2099",
        );
        check(
            &app.get("/api/v1/periods/2024/units/NOPE").await,
            "unit_not_in_period",
            "không có kết quả",
        );
        check(
            &app.get("/api/v1/units/NOPE/history").await,
            "unit_not_found",
            "NOPE",
        );
        check(&app.get("/api/v1/nothing").await, "not_found", "");
        check(
            &app.get("/api/v1/periods/2099/results?lang=en").await,
            "period_not_found",
            "No assessment period",
        );

        let patch = app
            .client
            .patch(format!("{}/api/v1/periods", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(patch.status(), StatusCode::METHOD_NOT_ALLOWED);
        let v: serde_json::Value = patch.json().await.unwrap();
        assert_eq!(v["error"]["code"], "method_not_allowed");
    });
}

#[tokio::test]
async fn request_bodies_above_the_limit_are_refused() {
    let config = chiso_web::WebConfig {
        body_limit: 1024,
        ..Default::default()
    };
    let app = TestApp::start_with(&Backend::Sqlite, config, false).await;
    let resp = app
        .client
        .post(format!("{}/api/v1/periods", app.base))
        .body(vec![b'x'; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    app.stop().await;
}

#[tokio::test]
async fn a_survey_answer_file_may_outgrow_the_body_limit_up_to_its_own_limit() {
    let config = chiso_web::WebConfig {
        body_limit: 1024,
        answer_file_limit: 8 * 1024,
        ..Default::default()
    };
    let app = TestApp::start_with(&Backend::Sqlite, config, false).await;
    let post = |path: &str, len: usize| {
        app.client
            .post(format!("{}{path}", app.base))
            .header("content-type", "multipart/form-data; boundary=x")
            .body(vec![b'x'; len])
            .send()
    };
    let answers = "/api/v1/periods/2026/surveys/KS-2026/answers";
    let page = "/ky/2026/dieu-tra/KS-2026/nhap-phieu";
    // Past the body limit, an answer file is let through to sign-in and its own checks …
    for path in [answers, page] {
        let status = post(path, 4096).await.unwrap().status();
        assert_ne!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }
    // … anything else is not, and neither is an answer file past its own limit plus the form.
    let status = post("/api/v1/periods/2026/surveys/KS-2026/close", 4096)
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    for path in [answers, page] {
        let status = post(path, 8 * 1024 + 1024 * 1024 + 1)
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn served_openapi_document_matches_the_committed_file() {
    let app = TestApp::start_with(&Backend::Sqlite, chiso_web::WebConfig::default(), false).await;
    let served = app.page("/api/v1/openapi.json").await.json();
    app.stop().await;

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let pretty = format!("{}\n", serde_json::to_string_pretty(&served).unwrap());
    assert_eq!(
        pretty,
        chiso_web::api::openapi_json(),
        "served document = generated document"
    );
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &pretty).expect("write openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == pretty,
        "crates/web/openapi.json differs from the served OpenAPI document.\n\
         If the API change is intended, regenerate the file with\n    \
         UPDATE_OPENAPI=1 cargo test -p chiso-web --test integration app::served_openapi\n\
         and commit it."
    );
    for path in [
        "/api/v1/periods",
        "/api/v1/periods/{period}/results",
        "/api/v1/periods/{period}/units/{unit}",
        "/api/v1/units/{unit}/history",
    ] {
        assert!(served["paths"].get(path).is_some(), "{path} documented");
    }
}

#[tokio::test]
async fn the_home_page_links_a_period_in_progress_only_for_those_who_may_open_it() {
    for backend in common::backends() {
        let demo = TestApp::start_with(&backend, chiso_web::WebConfig::default(), false).await;
        let at = time::macros::datetime!(2026-01-05 08:00 UTC);
        chiso_services::demo::load_demo(demo.db(), at)
            .await
            .expect("the demo province loads");
        for (login, admin) in [("quan-tri", true), ("can-bo", false)] {
            chiso_store::users::create(
                demo.db(),
                login,
                login,
                &common::cheap_hash("mat-khau-dung-123"),
                admin,
                &chiso_store::Actor::system(),
                at,
            )
            .await
            .expect("create user");
        }
        let officer = chiso_domain::authz::Grant::in_period(
            chiso_domain::authz::Role::UnitOfficer {
                unit: chiso_domain::UnitCode::parse("STP").unwrap(),
            },
            chiso_domain::PeriodCode::parse("2026").unwrap(),
        );
        chiso_store::grants::grant(
            demo.db(),
            "can-bo",
            &officer,
            &chiso_store::Actor::system(),
            at,
        )
        .await
        .expect("grant");

        // A visitor and a unit's officer: 2026 is listed as in progress, not as a link to a
        // page that has nothing for them; published years are links.
        let visitor = demo.get("/").await;
        let mut officer =
            common::browser::Browser::signed_in(&demo.base, "can-bo", "mat-khau-dung-123").await;
        let officer_home = officer.get("/").await;
        for body in [&visitor.body, &officer_home.body] {
            assert!(!body.contains("href=\"/ky/2026\""), "{body}");
            assert!(
                body.contains("Đang đánh giá, kết quả chưa công bố"),
                "{body}"
            );
            assert!(body.contains("href=\"/ky/2025\""), "{body}");
        }
        assert_eq!(officer.get("/ky/2026").await.status, StatusCode::NOT_FOUND);

        // The administrator opens the period in progress.
        let mut admin =
            common::browser::Browser::signed_in(&demo.base, "quan-tri", "mat-khau-dung-123").await;
        let home = admin.get("/").await;
        assert!(home.body.contains("href=\"/ky/2026\""), "{}", home.body);
        assert_eq!(admin.get("/ky/2026").await.status, StatusCode::OK);
        demo.stop().await;
    }
}
