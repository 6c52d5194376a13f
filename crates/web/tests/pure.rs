//! Checks that need no server: the SVG charts (pure functions) and the locale catalogs.

use std::path::{Path, PathBuf};

use chiso_charts::{
    BarChartOptions, BarRow, ColumnChartOptions, ColumnRow, bar_chart, class_fill, column_chart,
    mini_bar,
};
use chiso_web::Lang;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn bar(rank: Option<u32>, label: &str, value: Decimal) -> BarRow {
    BarRow {
        rank,
        label: label.to_owned(),
        value,
        value_label: chiso_domain::fmt::vi_decimal(value, 2),
        fill: class_fill(Some(0)).to_owned(),
    }
}

/// The value of `attr` in every `<rect class="bar" …>` tag, in document order.
fn bar_attr(svg: &str, attr: &str) -> Vec<Decimal> {
    svg.split("<rect class=\"bar\"")
        .skip(1)
        .map(|tag| {
            let tag = &tag[..tag.find("/>").unwrap()];
            let value = tag
                .split(&format!(" {attr}=\""))
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            value.parse().unwrap()
        })
        .collect()
}

/// Texts of the name labels (the text right-aligned before each bar), in document order.
fn labels(svg: &str) -> Vec<String> {
    svg.split("text-anchor=\"end\"")
        .skip(1)
        .map(|t| {
            t.split_once('>')
                .unwrap()
                .1
                .split_once("</text>")
                .unwrap()
                .0
                .to_owned()
        })
        .collect()
}

#[test]
fn bars_are_drawn_in_rank_order_with_unranked_units_last() {
    let rows = [
        bar(Some(3), "Ba", dec!(70)),
        bar(None, "Không xếp hạng", dec!(99)),
        bar(Some(1), "Một", dec!(95)),
        bar(Some(2), "Hai", dec!(80)),
        bar(Some(2), "Hai bis", dec!(80)),
    ];
    let svg = bar_chart(&rows, &BarChartOptions::default());
    assert_eq!(
        labels(&svg),
        ["Một", "Hai", "Hai bis", "Ba", "Không xếp hạng"]
    );
    assert_eq!(svg.matches("<rect class=\"bar\"").count(), rows.len());
    assert!(svg.contains(">95,00</text>"), "value labels as given");
    let ys = bar_attr(&svg, "y");
    assert!(
        ys.windows(2).all(|w| w[0] < w[1]),
        "bars go down the page: {ys:?}"
    );
}

#[test]
fn bar_widths_are_proportional_to_values_and_clamped_to_the_plot() {
    let opts = BarChartOptions {
        width: 700,
        label_width: 200,
        value_width: 100,
        ..BarChartOptions::default()
    };
    let rows = [
        bar(Some(1), "a", dec!(100)),
        bar(Some(2), "b", dec!(50)),
        bar(Some(3), "c", dec!(89.83)),
        bar(Some(4), "d", dec!(120)),
        bar(Some(5), "e", dec!(-3)),
    ];
    let widths = bar_attr(&bar_chart(&rows, &opts), "width");
    assert_eq!(
        widths,
        [dec!(400), dec!(200), dec!(359.32), dec!(400), dec!(0)]
    );
}

#[test]
fn every_text_in_a_chart_is_escaped() {
    let nasty = "<script>alert(\"x\")</script> & 'Sở'";
    let rows = [BarRow {
        rank: Some(1),
        label: nasty.to_owned(),
        value: dec!(50),
        value_label: "<b>50</b>".to_owned(),
        fill: "red\" onload=\"alert(1)".to_owned(),
    }];
    let opts = BarChartOptions {
        title: "A < B & \"C\"".to_owned(),
        ..BarChartOptions::default()
    };
    let svg = bar_chart(&rows, &opts);
    assert!(!svg.contains("<script"), "{svg}");
    assert!(!svg.contains("<b>"));
    assert!(!svg.contains("\" onload"));
    assert!(svg.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;Sở&#39;"));
    assert!(svg.contains("aria-label=\"A &lt; B &amp; &quot;C&quot;\""));

    let columns = column_chart(
        &[ColumnRow {
            label: "<2024>".to_owned(),
            value: dec!(10),
            value_label: "&".to_owned(),
            fill: "#000".to_owned(),
        }],
        &ColumnChartOptions::default(),
    );
    assert!(columns.contains("&lt;2024&gt;") && !columns.contains("<2024>"));
    assert!(mini_bar(dec!(5), dec!(10), "\"><x").contains("&quot;&gt;&lt;x"));
}

#[test]
fn a_chart_is_a_standalone_accessible_svg_without_style_attributes() {
    let svg = bar_chart(
        &[bar(Some(1), "Sở Nội vụ", dec!(89.83))],
        &BarChartOptions {
            title: "Chỉ số".to_owned(),
            ..BarChartOptions::default()
        },
    );
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.ends_with("</svg>"));
    assert!(svg.contains("role=\"img\"") && svg.contains("<title>Chỉ số</title>"));
    assert_eq!(svg.matches("<g>").count(), svg.matches("</g>").count());
    assert!(
        !svg.contains("style="),
        "a strict CSP forbids style attributes"
    );
}

#[test]
fn columns_keep_the_given_order_and_heights_are_proportional() {
    let col = |label: &str, value| ColumnRow {
        label: label.to_owned(),
        value,
        value_label: chiso_domain::fmt::vi_decimal(value, 2),
        fill: "#0b5cad".to_owned(),
    };
    let svg = column_chart(
        &[
            col("2022", dec!(50)),
            col("2023", dec!(100)),
            col("2024", dec!(75)),
        ],
        &ColumnChartOptions {
            plot_height: 200,
            ..ColumnChartOptions::default()
        },
    );
    assert_eq!(bar_attr(&svg, "height"), [dec!(100), dec!(200), dec!(150)]);
    let (a, b, c) = (
        svg.find(">2022<").unwrap(),
        svg.find(">2023<").unwrap(),
        svg.find(">2024<").unwrap(),
    );
    assert!(a < b && b < c);
    assert!(svg.contains(">75,00</text>"));
}

#[test]
fn a_mini_bar_is_decorative_and_proportional() {
    let svg = mini_bar(dec!(45), dec!(90), "#0b5cad");
    assert!(svg.contains("aria-hidden=\"true\""));
    assert_eq!(bar_attr(&svg, "width"), [dec!(40)]);
}

#[test]
fn class_colours_follow_the_band_and_fall_back_to_grey() {
    assert_ne!(class_fill(Some(0)), class_fill(Some(1)));
    assert_eq!(class_fill(Some(99)), class_fill(Some(4)));
    assert_eq!(class_fill(None), chiso_charts::NO_CLASS_FILL);
}

// ---------------------------------------------------------------------------------------------
// Locales

fn placeholders(text: &str) -> Vec<&str> {
    let mut v: Vec<&str> = text
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(name, _)| name))
        .collect();
    v.sort_unstable();
    v
}

#[test]
fn both_languages_have_the_same_keys_and_placeholders() {
    let vi = chiso_web::i18n::keys(Lang::Vi);
    let en = chiso_web::i18n::keys(Lang::En);
    let only_vi: Vec<_> = vi.iter().filter(|k| !en.contains(k)).collect();
    let only_en: Vec<_> = en.iter().filter(|k| !vi.contains(k)).collect();
    assert!(
        only_vi.is_empty() && only_en.is_empty(),
        "the vi and en catalogs differ: only in vi {only_vi:?}, only in en {only_en:?}"
    );
    for key in vi {
        let (v, e) = (Lang::Vi.lookup(key).unwrap(), Lang::En.lookup(key).unwrap());
        assert!(
            !v.trim().is_empty() && !e.trim().is_empty(),
            "{key} is empty"
        );
        assert_eq!(
            placeholders(v),
            placeholders(e),
            "{key}: placeholders differ"
        );
    }
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// Keys written as `t("…")`, `tf("…"` or as an `"error.…"` literal.
fn used_keys(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for marker in ["t(\"", "tf(\"", "\"error."] {
        for part in text.split(marker).skip(1) {
            let key = part.split('"').next().unwrap();
            let key = if marker == "\"error." {
                format!("error.{key}")
            } else {
                key.to_owned()
            };
            // `"error.html"` names a template, not a text.
            if key.contains('.')
                && !key.contains(' ')
                && !key.contains('{')
                && !key.ends_with(".html")
            {
                keys.push(key);
            }
        }
    }
    keys
}

#[test]
fn every_text_key_used_by_templates_and_code_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    files(&root.join("templates"), "html", &mut paths);
    files(&root.join("src"), "rs", &mut paths);
    let mut checked = 0;
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        for key in used_keys(&text) {
            assert!(
                Lang::Vi.lookup(&key).is_some(),
                "{}: unknown text key {key:?}",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 50, "the scan found the keys ({checked})");
    for status in [
        chiso_store::periods::STATUS_DRAFT,
        chiso_store::periods::STATUS_PUBLISHED,
    ] {
        assert!(
            Lang::Vi.lookup(&format!("status.{status}")).is_some(),
            "status {status}"
        );
    }
}

#[test]
fn every_service_error_code_and_file_problem_code_has_a_text_in_both_languages() {
    let service = chiso_services::codes::ALL
        .iter()
        .map(|c| chiso_web::error::service_key(*c));
    let file = chiso_formats::codes::ALL.iter().map(|c| c.key());
    let places = ["at_row_column", "at_row", "at_column", "at_file"].map(|k| format!("file.{k}"));
    for key in service.chain(file).chain(places) {
        for lang in Lang::ALL {
            assert!(
                lang.lookup(&key).is_some(),
                "{key} has no {} text",
                lang.code()
            );
        }
    }
}

#[test]
fn every_file_text_belongs_to_a_file_problem_code_or_a_place() {
    let known: Vec<String> = chiso_formats::codes::ALL.iter().map(|c| c.key()).collect();
    for key in chiso_web::i18n::keys(Lang::Vi)
        .into_iter()
        .filter(|k| k.starts_with("file."))
    {
        assert!(
            known.iter().any(|k| k == key) || key.starts_with("file.at_"),
            "{key} names no file problem code"
        );
    }
}

#[test]
fn a_file_problem_reads_with_its_place_in_either_language() {
    use chiso_formats::{ImportError, Problem, codes};
    let e = ImportError::cell("units.csv", 4, "group", Problem::new(codes::GROUP_MISSING));
    assert_eq!(
        chiso_web::error::import_line(Lang::Vi, &e),
        "units.csv, dòng 4, cột \"group\": thiếu tên nhóm"
    );
    assert_eq!(
        chiso_web::error::import_line(Lang::En, &e),
        "units.csv, row 4, column \"group\": the group name is missing"
    );
    // A nested reason is worded in the same language, and `Display` stays Vietnamese.
    let e = ImportError::cell(
        "units.csv",
        5,
        "code",
        Problem::new(codes::UNIT_CODE_INVALID)
            .because(Problem::new(codes::ID_BAD_CHARS).arg("value", "A B")),
    );
    assert_eq!(
        chiso_web::error::import_line(Lang::En, &e),
        "units.csv, row 5, column \"code\": unit code: the code \"A B\" contains invalid \
         characters (use only letters, digits, '-', '_', '.')"
    );
    assert_eq!(e.to_string(), chiso_web::error::import_line(Lang::Vi, &e));
    assert!(
        e.to_string().contains("mã đơn vị: mã \"A B\" chứa ký tự"),
        "{e}"
    );
    let args = chiso_web::error::problem_args(&e.problem);
    assert_eq!(args.get("reason").map(String::as_str), Some("id_bad_chars"));
    assert_eq!(args.get("reason.value").map(String::as_str), Some("A B"));
}

#[test]
fn a_service_error_reads_with_its_arguments_in_either_language() {
    use chiso_services::{ServiceError, codes};
    let e = ServiceError::new(codes::UNITS_APPROVED)
        .arg("period", "2025")
        .arg("count", 2)
        .arg("units", "SO-NV, SO-TC");
    let vi = chiso_web::error::service_message(Lang::Vi, &e);
    let en = chiso_web::error::service_message(Lang::En, &e);
    assert!(
        vi.contains("Kỳ 2025 đã phê duyệt") && vi.contains("SO-NV, SO-TC"),
        "{vi}"
    );
    assert!(
        en.contains("Period 2025 is approved") && en.contains("SO-NV, SO-TC"),
        "{en}"
    );
}
