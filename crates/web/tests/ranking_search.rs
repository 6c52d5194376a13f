//! Finding a unit in a published ranking over HTTP, on SQLite and (with `CHISO_TEST_PG`)
//! PostgreSQL, with the small province of `common::fixtures` (2023 and 2024 published by
//! `each_backend!`) and with the demo province: a search typed without diacritics, the group
//! filter, the column headings that order the tables, the pages kept for anonymous readers
//! (one search is never served for another), bounded input, and the links between years.
//!
//! 2024 in the fixture: departments SNV Sở Nội vụ 1/3 (89,83), STP Sở Tư pháp 2/3 (77,25),
//! SKHCN Sở Khoa học & Công nghệ 3/3 (68,50); districts TP-MAU Thành phố Mẫu 1/3 (96,89),
//! H-DONG Huyện Đông 2/3 (84,50), H-TAY Huyện Tây 3/3 (71,00).

use crate::common;

use common::TestApp;
use reqwest::StatusCode;
use time::macros::datetime;

/// One line of a ranking table as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    rank: String,
    name: String,
    index: String,
}

/// The text of `html` without its tags, trimmed.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_owned()
}

/// The rows of every ranking table of `body`, table after table, in the order shown.
fn rows(body: &str) -> Vec<Row> {
    let mut out = Vec::new();
    for table in body.split("<table class=\"data ranking\">").skip(1) {
        let table = &table[..table.find("</table>").expect("table end")];
        let tbody = &table[table.find("<tbody>").expect("tbody")..];
        for tr in tbody.split("<tr>").skip(1) {
            // The first line of the cell opened by `marker`: its figure, not the interval
            // under it.
            let cell = |marker: &str| {
                let at = tr
                    .find(marker)
                    .unwrap_or_else(|| panic!("{marker} in {tr}"));
                let rest = &tr[at + marker.len()..];
                let end = rest.find("</t").expect("cell end");
                text(rest[..end].split("<br>").next().unwrap_or(""))
            };
            // The unit's name is the text of the row heading's link, before any badge.
            let heading = "<th scope=\"row\">";
            let link = &tr[tr.find(heading).expect("row heading") + heading.len()..];
            let start = link.find("\">").expect("link") + 2;
            let end = start + link[start..].find("</a>").expect("link end");
            out.push(Row {
                rank: cell("<td class=\"num rank\">"),
                name: unescape(&link[start..end]),
                index: cell("<td class=\"num strong\">"),
            });
        }
    }
    out
}

/// `html` with the escapes of `&` undone, as a reader sees it.
fn unescape(html: &str) -> String {
    html.replace("&#38;", "&").replace("&amp;", "&")
}

fn names(rows: &[Row]) -> Vec<&str> {
    rows.iter().map(|r| r.name.as_str()).collect()
}

/// Asserts `body` contains every needle, naming the missing one.
fn assert_contains(body: &str, needles: &[&str]) {
    for n in needles {
        assert!(body.contains(n), "expected {n:?} in the page:\n{body}");
    }
}

/// The `<th …>` opening tags of the ranking tables' headings that carry `aria-sort`.
fn sorted_heads(body: &str) -> Vec<String> {
    body.match_indices("<th scope=\"col\"")
        .map(|(i, _)| &body[i..i + body[i..].find("</th>").unwrap()])
        .filter(|th| th.contains("aria-sort"))
        .map(text_and_sort)
        .collect()
}

fn text_and_sort(th: &str) -> String {
    let sort = th
        .split("aria-sort=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or("");
    let label = text(th);
    let label = label.trim_end_matches(['▲', '▼', ' ']);
    format!("{label}: {sort}")
}

#[tokio::test]
async fn a_search_without_diacritics_finds_so_noi_vu_whatever_the_case() {
    each_backend!(|app| {
        for typed in [
            "so+noi+vu",
            "SO+NOI+VU",
            "s%E1%BB%9F+n%E1%BB%99i+v%E1%BB%A5",
            "snv",
        ] {
            let page = app.page(&format!("/ky/2024?tim={typed}")).await;
            let found = rows(&page.body);
            assert_eq!(
                found,
                vec![Row {
                    rank: "1/3".into(),
                    name: "Sở Nội vụ".into(),
                    index: "89,83".into()
                }],
                "[{}] {typed}",
                app.backend
            );
            page.assert_contains(&["Tìm thấy 1 đơn vị khớp với", "role=\"search\""]);
        }
    });
}

#[tokio::test]
async fn a_search_keeps_the_official_ranks_and_hides_groups_without_a_match() {
    each_backend!(|app| {
        let page = app.page("/ky/2024?tim=tu+phap").await;
        let found = rows(&page.body);
        assert_eq!(names(&found), ["Sở Tư pháp"]);
        assert_eq!(found[0].rank, "2/3", "the rank is the group's, not 1/1");
        assert!(
            !page.body.contains("id=\"nhom-2\""),
            "the districts' section is left out: {}",
            page.body
        );

        let page = app.page("/ky/2024?tim=huyen").await;
        let found = rows(&page.body);
        assert_eq!(names(&found), ["Huyện Đông", "Huyện Tây"]);
        assert_eq!(
            found.iter().map(|r| r.rank.as_str()).collect::<Vec<_>>(),
            ["2/3", "3/3"]
        );
        page.assert_contains(&["Tìm thấy 2 đơn vị khớp với «huyen»."]);
    });
}

#[tokio::test]
async fn a_search_finding_nothing_says_so_plainly() {
    each_backend!(|app| {
        let page = app.page("/ky/2024?tim=khong+co+don+vi+nay").await;
        assert!(rows(&page.body).is_empty());
        page.assert_contains(&[
            "Không tìm thấy đơn vị nào khớp với «khong co don vi nay».",
            "Xem toàn bộ bảng xếp hạng",
        ]);
    });
}

#[tokio::test]
async fn the_group_filter_shows_one_group_with_its_ranks() {
    each_backend!(|app| {
        let page = app
            .page("/ky/2024?nhom=UBND+c%E1%BA%A5p+huy%E1%BB%87n")
            .await;
        assert_eq!(
            names(&rows(&page.body)),
            ["Thành phố Mẫu", "Huyện Đông", "Huyện Tây"]
        );
        page.assert_contains(&["Tìm thấy 3 đơn vị.", "selected>UBND cấp huyện</option>"]);
        // Typed without diacritics in an address, the group still answers.
        let page = app.page("/ky/2024?nhom=ubnd+cap+huyen&tim=dong").await;
        assert_eq!(names(&rows(&page.body)), ["Huyện Đông"]);
    });
}

#[tokio::test]
async fn the_tables_sort_by_index_either_way_and_by_name_in_vietnamese_order() {
    each_backend!(|app| {
        let page = app.page("/ky/2024?sap-xep=chi-so&thu-tu=tang").await;
        let found = rows(&page.body);
        assert_eq!(
            names(&found),
            [
                "Sở Khoa học & Công nghệ",
                "Sở Tư pháp",
                "Sở Nội vụ",
                "Huyện Tây",
                "Huyện Đông",
                "Thành phố Mẫu"
            ]
        );
        assert_eq!(found[0].rank, "3/3", "ranks stay the official ones");
        assert_eq!(sorted_heads(&page.body), ["Chỉ số (%): ascending"; 2]);

        let page = app.page("/ky/2024?sap-xep=chi-so&thu-tu=giam").await;
        let found = rows(&page.body);
        assert_eq!(
            found.iter().map(|r| r.index.as_str()).collect::<Vec<_>>(),
            ["89,83", "77,25", "68,50", "96,89", "84,50", "71,00"]
        );
        assert_eq!(sorted_heads(&page.body), ["Chỉ số (%): descending"; 2]);

        // Đ is a letter of its own right after D, so "Huyện Đông" comes before "Huyện Tây".
        let page = app.page("/ky/2024?sap-xep=ten&thu-tu=tang").await;
        assert_eq!(
            names(&rows(&page.body)),
            [
                "Sở Khoa học & Công nghệ",
                "Sở Nội vụ",
                "Sở Tư pháp",
                "Huyện Đông",
                "Huyện Tây",
                "Thành phố Mẫu"
            ]
        );
        let page = app.page("/ky/2024?sap-xep=ten&thu-tu=giam").await;
        assert_eq!(
            names(&rows(&page.body))[3..],
            ["Thành phố Mẫu", "Huyện Tây", "Huyện Đông"]
        );
    });
}

#[tokio::test]
async fn the_headings_link_to_their_order_keeping_the_search_and_the_default_is_by_rank() {
    each_backend!(|app| {
        let page = app.page("/ky/2024").await;
        assert_eq!(sorted_heads(&page.body), ["Hạng: ascending"; 2]);
        // Rank ascending is the default; its heading offers the other way.
        let body = unescape(&page.body);
        assert_contains(
            &body,
            &[
                "href=\"/ky/2024?sap-xep=hang&thu-tu=giam#nhom-1\"",
                "href=\"/ky/2024?sap-xep=chi-so&thu-tu=giam#nhom-1\"",
                "href=\"/ky/2024?sap-xep=ten&thu-tu=tang#nhom-2\"",
            ],
        );

        let page = app.page("/ky/2024?tim=so&sap-xep=chi-so&thu-tu=giam").await;
        assert_contains(
            &unescape(&page.body),
            &[
                // The sorted column flips; the search is kept.
                "href=\"/ky/2024?tim=so&sap-xep=chi-so&thu-tu=tang#nhom-1\"",
                "href=\"/ky/2024?tim=so#nhom-1\"",
                // The form sends the order back.
                "<input type=\"hidden\" name=\"sap-xep\" value=\"chi-so\">",
                "<input type=\"hidden\" name=\"thu-tu\" value=\"giam\">",
            ],
        );
        // An unknown column or order is the default order, not an error.
        let page = app.page("/ky/2024?sap-xep=%3Cscript%3E&thu-tu=ngang").await;
        assert_eq!(sorted_heads(&page.body), ["Hạng: ascending"; 2]);
        assert!(!page.body.contains("<script>"));
    });
}

#[tokio::test]
async fn the_page_kept_for_one_search_is_never_served_for_another() {
    each_backend!(|app| {
        // Anonymous readers, who get the kept pages: each query twice, interleaved.
        let mut seen = Vec::new();
        for _ in 0..2 {
            for query in [
                "",
                "?tim=noi+vu",
                "?tim=tu+phap",
                "?tim=T%C6%AF+PH%C3%81P",
                "?sap-xep=chi-so&thu-tu=tang",
                "?sap-xep=chi-so&thu-tu=giam",
                "?nhom=UBND+c%E1%BA%A5p+huy%E1%BB%87n",
            ] {
                let page = app.page(&format!("/ky/2024{query}")).await;
                let etag = page.header("etag").to_owned();
                assert!(!etag.is_empty(), "[{}] {query} is a kept page", app.backend);
                seen.push((query, names(&rows(&page.body)).join(" | "), etag));
            }
        }
        let expected = [
            "Sở Nội vụ | Sở Tư pháp | Sở Khoa học & Công nghệ | Thành phố Mẫu | Huyện Đông | Huyện Tây",
            "Sở Nội vụ",
            "Sở Tư pháp",
            "Sở Tư pháp",
            "Sở Khoa học & Công nghệ | Sở Tư pháp | Sở Nội vụ | Huyện Tây | Huyện Đông | Thành phố Mẫu",
            "Sở Nội vụ | Sở Tư pháp | Sở Khoa học & Công nghệ | Thành phố Mẫu | Huyện Đông | Huyện Tây",
            "Thành phố Mẫu | Huyện Đông | Huyện Tây",
        ];
        for (i, (query, got, _)) in seen.iter().enumerate() {
            assert_eq!(
                got,
                expected[i % expected.len()],
                "[{}] {query}",
                app.backend
            );
        }
        // The second round was served from the kept pages: the same validators, one page
        // per query (the two spellings of "tư pháp" show what was typed, so they differ too).
        let (first, second) = seen.split_at(expected.len());
        for (a, b) in first.iter().zip(second) {
            assert_eq!(a.2, b.2, "[{}] {} kept once", app.backend, a.0);
        }
        let mut etags: Vec<&str> = first.iter().map(|s| s.2.as_str()).collect();
        etags.sort_unstable();
        etags.dedup();
        assert_eq!(etags.len(), expected.len(), "one kept page per query");
        // The search typed is shown back as typed, not as another query spelled it.
        let upper = app.page("/ky/2024?tim=T%C6%AF+PH%C3%81P").await;
        upper.assert_contains(&["value=\"TƯ PHÁP\""]);
        let lower = app.page("/ky/2024?tim=tu+phap").await;
        lower.assert_contains(&["value=\"tu phap\""]);
    });
}

#[tokio::test]
async fn a_search_of_ten_thousand_characters_is_cut_without_an_error() {
    each_backend!(|app| {
        let long = "a".repeat(10_000);
        let res = app.get(&format!("/ky/2024?tim={long}")).await;
        assert!(
            res.status == StatusCode::OK || res.status.is_client_error(),
            "[{}] {}",
            app.backend,
            res.status
        );
        if res.status == StatusCode::OK {
            let shown = res
                .body
                .split("name=\"tim\" value=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .expect("the search field");
            assert_eq!(shown.chars().count(), 100);
            assert!(res.body.contains("Không tìm thấy đơn vị nào"));
        }
        // Diacritics count as characters, not bytes: the cut never splits a letter.
        let long = "%E1%BB%99".repeat(5_000);
        let res = app.get(&format!("/ky/2024?tim={long}")).await;
        assert!(res.status != StatusCode::INTERNAL_SERVER_ERROR);
    });
}

#[tokio::test]
async fn the_period_page_links_the_years_before_and_after_and_the_unit_page_its_other_years() {
    each_backend!(|app| {
        let page = app.page("/ky/2024").await;
        page.assert_contains(&[
            "<a href=\"/ky/2023\" rel=\"prev\">",
            "Năm trước: Chỉ số CCHC năm 2023",
        ]);
        assert!(!page.body.contains("rel=\"next\""), "2024 is the last year");
        let page = app.page("/ky/2023").await;
        page.assert_contains(&[
            "<a href=\"/ky/2024\" rel=\"next\">",
            "Năm sau: Chỉ số CCHC năm 2024",
        ]);
        assert!(
            !page.body.contains("rel=\"prev\""),
            "2023 is the first year"
        );

        let unit = app.page("/ky/2024/don-vi/SNV").await;
        unit.assert_contains(&[
            "<a href=\"/ky/2023/don-vi/SNV\" rel=\"prev\">",
            "2023: Sở Nội vụ",
        ]);
        let unit = app.page("/ky/2023/don-vi/SNV").await;
        unit.assert_contains(&["<a href=\"/ky/2024/don-vi/SNV\" rel=\"next\">"]);
    });
}

#[tokio::test]
async fn a_visitor_is_not_led_to_a_year_not_yet_published() {
    for backend in common::backends() {
        // 2024 computed, not published.
        let app = TestApp::start(&backend).await;
        let page = app.page("/ky/2023").await;
        assert!(
            !page.body.contains("href=\"/ky/2024\""),
            "[{}] {}",
            app.backend,
            page.body
        );
        let unit = app.page("/ky/2023/don-vi/SNV").await;
        assert!(!unit.body.contains("rel=\"next\""));
        app.stop().await;
    }
}

#[tokio::test]
async fn a_unit_that_merged_links_to_the_unit_that_took_over_and_back() {
    for backend in common::backends() {
        let demo = TestApp::start_with(&backend, chiso_web::WebConfig::default(), false).await;
        chiso_services::demo::load_demo(demo.db(), datetime!(2026-01-05 08:00 UTC))
            .await
            .expect("the demo province loads");
        // The Department of Labour merged into the new Department of Home Affairs in 2025.
        let page = demo.page("/ky/2024/don-vi/SLDTBXH").await;
        page.assert_contains(&[
            "<a href=\"/ky/2025/don-vi/SNV-2025\" rel=\"next\">",
            "2025: Sở Nội vụ (đơn vị kế thừa)",
            "<a href=\"/ky/2023/don-vi/SLDTBXH\" rel=\"prev\">",
        ]);
        // The new department reads its 2024 through its predecessors, as its history does.
        let page = demo.page("/ky/2025/don-vi/SNV-2025").await;
        page.assert_contains(&[
            "<a href=\"/ky/2024/don-vi/SLDTBXH\" rel=\"prev\">",
            "2024: Sở Lao động - Thương binh và Xã hội, Sở Nội vụ",
        ]);
        demo.stop().await;
    }
}
