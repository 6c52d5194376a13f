//! The unit profile, the criteria analysis and the what-if over HTTP, on SQLite and (with
//! `CHISO_TEST_PG`) PostgreSQL, with the small province of `common::fixtures` (2024 published
//! by `each_backend!`) and with the demo province.
//!
//! Figures of the fixture, departments in 2024 (leaves 1.1.1, 1.2.1, 2.1.1, 2.2.1, 3.1):
//! SNV 10, 18,5, 25, 11,33, 25; STP 10, 15, 25, 5, 22,25; SKHCN 10, 10, 25, 3,5, 20.

use crate::common;

use chiso_domain::authz::{Grant, Principal, Role};
use chiso_domain::{NodeCode, PeriodCode, UnitCode};
use chiso_store::{Actor, Db, grants, users};
use common::browser::Browser;
use common::{TestApp, cheap_hash};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use time::macros::datetime;

const PASSWORD: &str = "mat-khau-dung-123";

async fn officer(db: &Db, login: &str, unit: &str, period: &str) {
    let at = datetime!(2025-01-02 01:00 UTC);
    users::create(
        db,
        login,
        login,
        &cheap_hash(PASSWORD),
        false,
        &Actor::system(),
        at,
    )
    .await
    .expect("user");
    let grant = Grant::in_period(
        Role::UnitOfficer {
            unit: UnitCode::parse(unit).unwrap(),
        },
        PeriodCode::parse(period).unwrap(),
    );
    grants::grant(db, login, &grant, &Actor::system(), at)
        .await
        .expect("grant");
}

/// The `<svg …>…</svg>` elements of `body` whose class list contains `class`.
fn svgs<'a>(body: &'a str, class: &str) -> Vec<&'a str> {
    body.match_indices("<svg")
        .map(|(i, _)| &body[i..i + body[i..].find("</svg>").unwrap() + 6])
        .filter(|s| s.contains(class))
        .collect()
}

/// The table row of `body` that starts with the cell of `code`.
fn row_of<'a>(body: &'a str, code: &str) -> &'a str {
    let cell = format!("<td class=\"indent\">{code}</td>");
    let at = body
        .find(&cell)
        .unwrap_or_else(|| panic!("no row {code}: {body}"));
    let start = body[..at].rfind("<tr").unwrap();
    &body[start..at + body[at..].find("</tr>").unwrap()]
}

#[tokio::test]
async fn the_profile_shows_every_sub_criterion_with_the_group_mean_and_best_and_the_strengths() {
    each_backend!(|app| {
        let page = app.page("/ky/2024/don-vi/SNV").await;
        let sub = row_of(&page.body, "1.2.1");
        assert!(sub.contains("class=\"sub-row\""), "{sub}");
        assert!(sub.contains("Báo cáo đúng hạn, đủ nội dung"), "{sub}");
        // Points, maximum, share, group mean ((18,5 + 15 + 10) ÷ 3) and best.
        assert!(
            sub.contains(
                "<td class=\"num\">18,50</td>\n        <td class=\"num\">20,00</td>\n        <td class=\"num\">92,50</td>\n        <td class=\"num\">14,50</td><td class=\"num\">18,50</td>"
            ),
            "{sub}"
        );
        let crit = row_of(&page.body, "2.2");
        assert!(crit.contains("class=\"criterion-row\""), "{crit}");
        assert!(
            crit.contains("<td class=\"num\">6,61</td>"),
            "mean of 11,33, 5 and 3,5: {crit}"
        );
        page.assert_contains(&[
            "Mạnh nhất: 1.1 Kế hoạch cải cách hành chính (100,00 % điểm tối đa); yếu nhất: 2.2 Dịch vụ công trực tuyến (75,53 %).",
            "Hạng 1: 3 năm liên tiếp",
            "Tốt 2 năm liên tiếp",
            "<details class=\"area-tree\" open>",
        ]);
        let history = svgs(&page.body, "chart-line");
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].matches("<circle").count(), 2, "2023 and 2024");
        assert!(history[0].contains("<desc>2023: 89,62 (Tốt, 1); 2024: 89,83 (Tốt, 1)</desc>"));
        assert!(
            history[0].contains(">1/3</text>"),
            "the rank under the year"
        );

        let en = app.page("/ky/2024/don-vi/SNV?lang=en").await;
        en.assert_contains(&[
            "Strongest: 1.1 Kế hoạch cải cách hành chính (100,00 % of the maximum); weakest: 2.2 Dịch vụ công trực tuyến (75,53 %).",
            "Group mean",
        ]);
        // A visitor gets no what-if link; the group's analysis is linked.
        assert!(!page.body.contains("/gia-dinh"));
        assert!(
            page.body
                .contains("href=\"/ky/2024/phan-tich?nhom=S%E1%BB%9F%2C%20ban%2C%20ng%C3%A0nh\"")
        );
    });
}

#[tokio::test]
async fn before_publication_a_unit_reads_its_profile_without_the_groups_figures() {
    for backend in common::backends() {
        let app = TestApp::start(&backend).await;
        officer(app.db(), "cb.stp", "STP", "2024").await;
        let mut b = Browser::signed_in(&app.base, "cb.stp", PASSWORD).await;
        let page = b.page("/ky/2024/don-vi/STP").await;
        assert!(page.body.contains("Báo cáo đúng hạn, đủ nội dung"));
        assert!(
            !page.body.contains("TB nhóm"),
            "no comparison before publication"
        );
        assert!(
            page.body.contains("/ky/2024/don-vi/STP/gia-dinh"),
            "the officer's what-if"
        );
        assert!(!page.body.contains("/phan-tich"));
        assert_eq!(
            b.get("/ky/2024/phan-tich").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.get("/ky/2024/phan-tich").await.status,
            StatusCode::NOT_FOUND
        );
        // The what-if starts from the results as computed, and says so.
        let w = b.page("/ky/2024/don-vi/STP/gia-dinh").await;
        assert!(
            w.body
                .contains("Tính từ kết quả tính gần nhất ngày 10/03/2025, chưa công bố."),
            "{}",
            w.body
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn the_criteria_analysis_lists_the_criteria_losing_the_most_points_with_their_totals() {
    each_backend!(|app| {
        let period = app.page("/ky/2024").await;
        let link = "/ky/2024/phan-tich?nhom=S%E1%BB%9F%2C%20ban%2C%20ng%C3%A0nh";
        assert!(
            period.body.contains(&format!("href=\"{link}\"")),
            "linked from the period"
        );
        let page = app.page(link).await;
        let cards: Vec<&str> = page
            .body
            .split("<li class=\"loss-card\">")
            .skip(1)
            .collect();
        assert_eq!(cards.len(), 3, "1.1 and 2.1 lost nothing");
        for (card, (code, lost)) in
            cards
                .iter()
                .zip([("2.2", "25,17"), ("3.1", "22,75"), ("1.2", "16,50")])
        {
            assert!(
                card.contains(&format!("<strong>{code}</strong>")),
                "{code}: {card}"
            );
            assert!(
                card.contains(&format!("<dd class=\"strong lost\">{lost}</dd>")),
                "{code}: {card}"
            );
            assert!(card.contains("3/3 (100,00 %)"), "{card}");
        }
        assert!(
            cards[0].contains("Công nghệ</a> <span class=\"num\">−11,50</span>"),
            "{}",
            cards[0]
        );
        page.assert_contains(&[
            "chart-heatmap",
            "chart-histogram",
            "<desc>0–10: 0; 10–20: 0; 20–30: 0; 30–40: 0; 40–50: 0; 50–60: 0; 60–70: 1; 70–80: 1; 80–90: 1; 90–100: 0</desc>",
            "<dd class=\"trend-up movers-improved\">1</dd>",
            "<dd class=\"trend-down movers-declined\">2</dd>",
            "<span class=\"num trend-down\">-12,50</span>",
        ]);
        // The heatmap's table: SNV has 28,5 of 30 in area 1.
        assert!(page.body.contains("<td class=\"num\">95,00</td>"));
        let districts = app
            .page("/ky/2024/phan-tich?nhom=UBND%20c%E1%BA%A5p%20huy%E1%BB%87n")
            .await;
        assert!(
            districts
                .body
                .contains("Chưa có kết quả năm trước để so sánh"),
            "H-DONG is new"
        );
        assert_eq!(
            app.get("/ky/2024/phan-tich?nhom=Kh%C3%B4ng").await.status,
            StatusCode::NOT_FOUND
        );
    });
}

#[tokio::test]
async fn the_analysis_of_the_demo_province_totals_the_points_lost_per_criterion() {
    for backend in common::backends() {
        let demo = TestApp::start_with(&backend, chiso_web::WebConfig::default(), false).await;
        chiso_services::demo::load_demo(demo.db(), datetime!(2026-01-05 08:00 UTC))
            .await
            .expect("the demo province loads");
        let period = PeriodCode::parse("2025").unwrap();
        let report = chiso_services::results::period_report(
            demo.db(),
            &Principal::new("", vec![]),
            &period,
            None,
        )
        .await
        .unwrap();
        let group = report.groups.iter().find(|g| !g.units.is_empty()).unwrap();
        let set = group.set.as_deref().unwrap();
        // Points lost per criterion, added up here from the published nodes and leaves.
        let mut lost: Vec<(NodeCode, Decimal, usize, usize)> = Vec::new();
        for node in set.walk().into_iter().filter(|n| n.code.depth() == 2) {
            let (mut sum, mut losers, mut applicable) = (Decimal::ZERO, 0, 0);
            for u in &group.units {
                let (points, max) = match u.nodes.iter().find(|s| s.code == node.code) {
                    Some(s) => (s.points.0, s.max.0),
                    None => {
                        let l = u.leaves.iter().find(|l| l.code == node.code).unwrap();
                        let counts = l.applicable && node.source.counts_in_max();
                        (l.points.0, if counts { node.max.0 } else { Decimal::ZERO })
                    }
                };
                if max > Decimal::ZERO {
                    applicable += 1;
                }
                if max > points && max > Decimal::ZERO {
                    sum += max - points;
                    losers += 1;
                }
            }
            lost.push((node.code.clone(), sum, losers, applicable));
        }
        lost.sort_by_key(|l| std::cmp::Reverse(l.1));
        let page = demo.page("/ky/2025/phan-tich").await;
        let cards: Vec<&str> = page
            .body
            .split("<li class=\"loss-card\">")
            .skip(1)
            .collect();
        assert!(!cards.is_empty());
        for (card, (code, sum, losers, applicable)) in cards.iter().zip(&lost).take(3) {
            assert!(
                card.contains(&format!("<strong>{code}</strong>")),
                "{code}: {card}"
            );
            let shown = chiso_domain::fmt::vi_decimal(*sum, 2);
            assert!(
                card.contains(&format!(">{shown}</dd>")),
                "{code} {shown}: {card}"
            );
            assert!(card.contains(&format!("{losers}/{applicable}")), "{card}");
        }
        demo.stop().await;
    }
}

#[tokio::test]
async fn the_what_if_recomputes_index_class_and_rank_with_the_other_units_fixed() {
    each_backend!(|app| {
        officer(app.db(), "cb.stp", "STP", "2024").await;
        let mut b = Browser::signed_in(&app.base, "cb.stp", PASSWORD).await;
        let unit = b.page("/ky/2024/don-vi/STP").await;
        assert!(unit.body.contains("href=\"/ky/2024/don-vi/STP/gia-dinh\""));
        let blank = b.page("/ky/2024/don-vi/STP/gia-dinh").await;
        assert!(blank.body.contains("Tính từ kết quả đã công bố (phiên bản 1, Quyết định số 567/QĐ-UBND ngày 20/03/2025)."), "{}", blank.body);
        assert!(
            blank.body.contains("name=\"p-2.2.1\" value=\"5\""),
            "{}",
            blank.body
        );
        // Most at stake: 2.2.1 (15 − 5), then 3.1 (30 − 22,25), then 1.2.1 (20 − 15).
        let stake = &blank.body[blank.body.find("<ol class=\"at-stake\">").unwrap()..];
        let order: Vec<usize> = [
            "<strong>2.2.1</strong>",
            "<strong>3.1</strong>",
            "<strong>1.2.1</strong>",
        ]
        .iter()
        .map(|c| stake.find(c).unwrap())
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{stake}");
        assert!(stake.contains("10,00"));

        // 2.2.1 at its maximum and 3.1 at 30: 77,25 + 10 + 7,75 = 95, above SNV's 89,83.
        let w = b
            .page("/ky/2024/don-vi/STP/gia-dinh?p-2.2.1=15&p-3.1=30&p-1.1.1=10")
            .await;
        let outcome = &w.body[w.body.find("class=\"data outcome\"").unwrap()..];
        for cell in [
            "77,25",
            "95,00",
            "+17,75",
            "Khá",
            "Xuất sắc",
            "2/3",
            "1/3",
            "+1",
        ] {
            assert!(outcome.contains(cell), "{cell}: {outcome}");
        }
        assert!(w.body.contains("Số tiêu chí thay đổi: <strong>2</strong>"));
        // Nothing was written: the unit page still reads as published.
        b.page("/ky/2024/don-vi/STP").await;
        assert!(app.page("/ky/2024").await.body.contains("77,25"));
        assert!(!app.page("/ky/2024").await.body.contains("95,00"));
    });
}

#[tokio::test]
async fn the_what_if_refuses_another_units_officer_and_an_anonymous_visitor() {
    each_backend!(|app| {
        officer(app.db(), "cb.snv", "SNV", "2024").await;
        let mut other = Browser::signed_in(&app.base, "cb.snv", PASSWORD).await;
        let r = other.get("/ky/2024/don-vi/STP/gia-dinh?p-3.1=30").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(
            !other
                .page("/ky/2024/don-vi/STP")
                .await
                .body
                .contains("/gia-dinh")
        );
        let anonymous = app.get("/ky/2024/don-vi/STP/gia-dinh").await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
        assert!(anonymous.header("location").starts_with("/dang-nhap?next="));
    });
}

#[tokio::test]
async fn hypothetical_points_outside_zero_to_the_maximum_are_refused_naming_the_field() {
    each_backend!(|app| {
        officer(app.db(), "cb.stp", "STP", "2024").await;
        let mut b = Browser::signed_in(&app.base, "cb.stp", PASSWORD).await;
        let r = b
            .get("/ky/2024/don-vi/STP/gia-dinh?p-3.1=31&p-2.2.1=-1&p-1.2.1=abc&p-1.1.1=10")
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        for (field, text) in [
            (
                "p-3.1",
                "Điểm giả định «31» của tiêu chí 3.1 phải là số từ 0 đến 30,00.",
            ),
            (
                "p-2.2.1",
                "Điểm giả định «-1» của tiêu chí 2.2.1 phải là số từ 0 đến 15,00.",
            ),
            (
                "p-1.2.1",
                "Điểm giả định «abc» của tiêu chí 1.2.1 phải là số từ 0 đến 20,00.",
            ),
        ] {
            assert!(
                r.body
                    .contains(&format!("<li data-field=\"{field}\">{text}</li>")),
                "{field}: {}",
                r.body
            );
            assert!(r.body.contains(&format!("name=\"{field}\"")));
        }
        assert!(r.body.contains("aria-invalid=\"true\""));
        assert!(r.body.contains("id=\"p-3-1-err\""));
        assert!(
            !r.body.contains("class=\"data outcome\""),
            "nothing computed"
        );
        // The maximum itself and a decimal comma are fine.
        let ok = b
            .get("/ky/2024/don-vi/STP/gia-dinh?p-3.1=30&p-2.2.1=7,5")
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        assert!(ok.body.contains("87,50"), "77,25 + 7,75 + 2,5");
    });
}
