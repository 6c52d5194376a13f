//! Each report typeset and read back the way its reader sees it: text with Vietnamese
//! diacritics intact (`pdftotext`), every font embedded (`pdffonts`), long tables continuing
//! across pages under their repeated header, and "Trang x/y" on every page.

use chiso_domain::fmt::vi_decimal;
use chiso_pdf::poppler::{fonts, pages_text, text};
use chiso_pdf::{
    AppraisalMinutes, AppraisalRow, CriterionRow, Fact, Heading, PdfError, ResultsGroup,
    ResultsReport, ResultsRow, Round, SelfAssessmentReport, Signature, UnitNodeRow,
    UnitResultReport,
};
use rust_decimal::Decimal;

fn heading(kind: &str, title: &str) -> Heading {
    Heading {
        above: "UBND tỉnh Hà Giang".into(),
        issuer: "Sở Nội vụ".into(),
        number: "Số: 15/BC-SNV".into(),
        place_date: chiso_pdf::place_and_date("Hà Giang", 2025, 3, 5),
        kind: kind.into(),
        title: title.into(),
        subtitle: vec!["Kèm theo Quyết định số 125/QĐ-UBND ngày 05/03/2025".into()],
    }
}

fn signature() -> Signature {
    Signature {
        role: "KT. Giám đốc".into(),
        title: "Phó Giám đốc".into(),
        name: "Nguyễn Thị Hằng".into(),
    }
}

/// Index of unit `i` of 90, falling with the rank so that figures differ row by row.
fn index_of(i: usize) -> Decimal {
    Decimal::new(9_650, 2) - Decimal::new(i64::try_from(i).unwrap() * 37, 2)
}

fn results_report(units: usize) -> ResultsReport {
    let rows: Vec<ResultsRow> = (0..units)
        .map(|i| ResultsRow {
            rank: (i + 1).to_string(),
            unit: format!("Ủy ban nhân dân xã Phú Lương số {}", i + 1),
            total: vi_decimal(index_of(i), 2),
            max: "100,00".into(),
            index: vi_decimal(index_of(i), 2),
            class: if i < 10 {
                "Tốt".into()
            } else {
                "Khá".into()
            },
            delta: "+1,25".into(),
        })
        .collect();
    let bars: Vec<chiso_charts::BarRow> = (0..units)
        .map(|i| chiso_charts::BarRow {
            rank: Some(u32::try_from(i + 1).unwrap()),
            label: format!("Xã Phú Lương số {}", i + 1),
            value: index_of(i),
            value_label: vi_decimal(index_of(i), 2),
            fill: chiso_charts::class_fill(Some(1)).into(),
        })
        .collect();
    ResultsReport {
        heading: heading("Báo cáo", "Kết quả Chỉ số cải cách hành chính năm 2024"),
        warning: String::new(),
        intro: vec![
            "Sở Nội vụ báo cáo kết quả xác định Chỉ số cải cách hành chính như sau:".into(),
        ],
        groups: vec![ResultsGroup {
            name: "UBND cấp xã".into(),
            facts: vec![Fact {
                label: "Chỉ số trung bình".into(),
                value: "79,85".into(),
            }],
            chart_svg: Some(chiso_charts::bar_chart(
                &bars,
                &chiso_charts::BarChartOptions {
                    title: "Xếp hạng UBND cấp xã".into(),
                    ..Default::default()
                },
            )),
            rows,
        }],
        recipients: vec!["UBND tỉnh (để báo cáo)".into(), "Lưu: VT, CCHC.".into()],
        signature: signature(),
    }
}

#[test]
fn a_results_report_keeps_its_vietnamese_text_and_embeds_every_font() {
    let pdf = chiso_pdf::results_report(&results_report(12)).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let t = text(&pdf);
    for expected in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "UBND TỈNH HÀ GIANG",
        "SỞ NỘI VỤ",
        "Hà Giang, ngày 05 tháng 3 năm 2025",
        "Kết quả Chỉ số cải cách hành chính năm 2024",
        "Kèm theo Quyết định số 125/QĐ-UBND ngày 05/03/2025",
        "Ủy ban nhân dân xã Phú Lương số 12",
        "92,43",
        "Nguyễn Thị Hằng",
        "PHÓ GIÁM ĐỐC",
    ] {
        assert!(t.contains(expected), "{expected:?} missing from:\n{t}");
    }
    let pages = pages_text(&pdf).len();
    assert!(t.contains(&format!("Trang 1/{pages}")), "{t}");
    let fonts = fonts(&pdf);
    assert!(!fonts.is_empty());
    for f in &fonts {
        assert!(f.embedded, "{} is not embedded", f.name);
        assert!(f.name.contains("NotoSans"), "{} is not Noto Sans", f.name);
    }
}

#[test]
fn a_ninety_unit_table_continues_across_pages_under_its_repeated_header() {
    let pdf = chiso_pdf::results_report(&results_report(90)).unwrap();
    let pages = pages_text(&pdf);
    let n = pages.len();
    assert!(n >= 3, "90 units and a chart fit in {n} pages");
    for (i, page) in pages.iter().enumerate() {
        assert!(
            page.contains(&format!("Trang {}/{n}", i + 1)),
            "page {} has no footer:\n{page}",
            i + 1
        );
    }
    let table_pages: Vec<&String> = pages
        .iter()
        .filter(|p| p.contains("Ủy ban nhân dân xã Phú Lương số"))
        .collect();
    assert!(table_pages.len() >= 2, "the table sits on one page");
    for page in &table_pages {
        assert!(
            page.contains("Đơn vị") && page.contains("Xếp loại"),
            "no header on:\n{page}"
        );
    }
    let all = pages.join("\n");
    for i in [1, 45, 90] {
        let row = format!("Ủy ban nhân dân xã Phú Lương số {i}\n");
        assert!(all.contains(&row), "{row:?} missing from:\n{all}");
    }
    assert!(all.contains(&vi_decimal(index_of(89), 2)));
}

#[test]
fn text_typed_by_people_is_printed_as_written_never_read_as_markup() {
    let mut report = results_report(2);
    report.groups[0].rows[0].unit = "Phòng #1 *in đậm* $x$ [a] \\ <b> = \"trích\"".into();
    let pdf = chiso_pdf::results_report(&report).unwrap();
    let t = text(&pdf);
    assert!(
        t.contains("Phòng #1 *in đậm* $x$ [a] \\ <b> = \"trích\""),
        "{t}"
    );
}

fn criteria() -> Vec<(String, String, u8)> {
    vec![
        (
            "1".into(),
            "Công tác chỉ đạo, điều hành cải cách hành chính".into(),
            0,
        ),
        ("1.1".into(), "Kế hoạch cải cách hành chính năm".into(), 1),
        (
            "1.2".into(),
            "Báo cáo cải cách hành chính định kỳ".into(),
            1,
        ),
        ("2".into(), "Cải cách thủ tục hành chính".into(), 0),
        (
            "2.1".into(),
            "Công khai thủ tục hành chính đúng quy định".into(),
            1,
        ),
    ]
}

#[test]
fn a_self_assessment_report_lists_every_criterion_with_the_units_points() {
    let doc = SelfAssessmentReport {
        heading: Heading {
            above: "UBND huyện Bắc Mê".into(),
            issuer: "UBND xã Yên Phong".into(),
            number: String::new(),
            place_date: chiso_pdf::place_and_date("Yên Phong", 2025, 1, 15),
            kind: "Báo cáo".into(),
            title: "Tự đánh giá, chấm điểm Chỉ số cải cách hành chính năm 2024".into(),
            subtitle: vec![],
        },
        warning: "Chưa nộp: bản nháp, chưa có giá trị".into(),
        intro: vec!["Thực hiện hướng dẫn của Sở Nội vụ, UBND xã báo cáo như sau:".into()],
        facts: vec![Fact {
            label: "Tổng điểm tự đánh giá".into(),
            value: "7,50".into(),
        }],
        rows: criteria()
            .into_iter()
            .map(|(code, title, depth)| CriterionRow {
                code,
                title,
                depth,
                max: "2,00".into(),
                points: "1,50".into(),
                evidence: "2".into(),
                note: "Đã ban hành đúng hạn".into(),
            })
            .collect(),
        recipients: vec!["Sở Nội vụ".into()],
        signature: Signature {
            role: "TM. Ủy ban nhân dân".into(),
            title: "Chủ tịch".into(),
            name: "Lý Văn Sùng".into(),
        },
    };
    let pdf = chiso_pdf::self_assessment_report(&doc).unwrap();
    let t = text(&pdf);
    for expected in [
        "Độc lập - Tự do - Hạnh phúc",
        "UBND XÃ YÊN PHONG",
        "Yên Phong, ngày 15 tháng 01 năm 2025",
        "Tự đánh giá, chấm điểm Chỉ số cải cách hành chính năm 2024",
        "Chưa nộp: bản nháp, chưa có giá trị",
        "Công khai thủ tục hành chính đúng quy định",
        "Điểm tự đánh giá",
        "Đã ban hành đúng hạn",
        "Tổng điểm tự đánh giá: 7,50",
        "TM. ỦY BAN NHÂN DÂN",
        "Lý Văn Sùng",
    ] {
        assert!(t.contains(expected), "{expected:?} missing from:\n{t}");
    }
    assert!(fonts(&pdf).iter().all(|f| f.embedded));
}

#[test]
fn appraisal_minutes_set_own_and_appraised_points_side_by_side_with_reasons() {
    let doc = AppraisalMinutes {
        heading: heading(
            "Biên bản",
            "Thẩm định kết quả tự đánh giá của UBND xã Yên Phong",
        ),
        warning: String::new(),
        intro: vec!["Hôm nay, Hội đồng thẩm định tiến hành thẩm định.".into()],
        facts: vec![
            Fact {
                label: "Tổng điểm tự đánh giá".into(),
                value: "7,50".into(),
            },
            Fact {
                label: "Tổng điểm thẩm định".into(),
                value: "6,75".into(),
            },
        ],
        rows: criteria()
            .into_iter()
            .map(|(code, title, depth)| AppraisalRow {
                code,
                title,
                depth,
                max: "2,00".into(),
                own: "1,50".into(),
                appraised: "1,25".into(),
                difference: "-0,25".into(),
                reason: "Thiếu tài liệu kiểm chứng".into(),
            })
            .collect(),
        rounds: vec![Round {
            title: "Lần 1 (20/01/2025 – 27/01/2025)".into(),
            lines: vec!["1.1: Đề nghị bổ sung quyết định ban hành kế hoạch — Đã bổ sung".into()],
        }],
        closing: vec!["Biên bản lập thành 02 bản có giá trị như nhau.".into()],
        signatures: vec![
            Signature {
                role: "Đại diện đơn vị".into(),
                title: "Chủ tịch UBND xã".into(),
                name: "Lý Văn Sùng".into(),
            },
            Signature {
                role: "Đại diện Hội đồng thẩm định".into(),
                title: "Trưởng phòng CCHC".into(),
                name: "Trần Đức Mạnh".into(),
            },
        ],
    };
    let pdf = chiso_pdf::appraisal_minutes(&doc).unwrap();
    let t = text(&pdf);
    for expected in [
        "BIÊN BẢN",
        "Thẩm định kết quả tự đánh giá của UBND xã Yên Phong",
        "Tự đánh giá",
        "Thẩm định",
        "Chênh lệch",
        "-0,25",
        "Thiếu tài liệu kiểm chứng",
        "Lần 1 (20/01/2025 – 27/01/2025)",
        "Đề nghị bổ sung quyết định ban hành kế hoạch",
        "ĐẠI DIỆN HỘI ĐỒNG THẨM ĐỊNH",
        "Trần Đức Mạnh",
        "Lý Văn Sùng",
    ] {
        assert!(t.contains(expected), "{expected:?} missing from:\n{t}");
    }
    assert!(fonts(&pdf).iter().all(|f| f.embedded));
}

fn unit_sheet(benchmarks: bool) -> UnitResultReport {
    UnitResultReport {
        heading: heading(
            "Kết quả",
            "Chỉ số cải cách hành chính năm 2024 của UBND xã Yên Phong",
        ),
        warning: String::new(),
        intro: vec!["Mạnh nhất: 1 Công tác chỉ đạo, điều hành (95,00 %).".into()],
        facts: vec![
            Fact {
                label: "Chỉ số".into(),
                value: "89,83".into(),
            },
            Fact {
                label: "Xếp hạng trong nhóm".into(),
                value: "3/17".into(),
            },
        ],
        chart_svg: Some(chiso_charts::line_chart(
            &[
                chiso_charts::LinePoint {
                    label: "2023".into(),
                    value: Decimal::new(8_512, 2),
                    value_label: "85,12".into(),
                    note: Some("5/17".into()),
                    fill: chiso_charts::class_fill(Some(1)).into(),
                },
                chiso_charts::LinePoint {
                    label: "2024".into(),
                    value: Decimal::new(8_983, 2),
                    value_label: "89,83".into(),
                    note: Some("3/17".into()),
                    fill: chiso_charts::class_fill(Some(1)).into(),
                },
            ],
            &chiso_charts::LineChartOptions {
                title: "Chỉ số qua các năm".into(),
                description: "2023: 85,12; 2024: 89,83".into(),
                ..Default::default()
            },
        )),
        benchmarks,
        rows: criteria()
            .into_iter()
            .map(|(code, title, depth)| UnitNodeRow {
                code,
                title,
                depth,
                max: "2,00".into(),
                points: "1,50".into(),
                share: "75,00".into(),
                mean: if benchmarks {
                    "1,72".into()
                } else {
                    String::new()
                },
                best: if benchmarks {
                    "2,00".into()
                } else {
                    String::new()
                },
            })
            .collect(),
        recipients: vec!["UBND xã Yên Phong".into()],
        signature: signature(),
    }
}

#[test]
fn a_unit_result_sheet_prints_every_criterion_beside_its_groups_mean_and_best() {
    let pdf = chiso_pdf::unit_result_report(&unit_sheet(true)).unwrap();
    let t = text(&pdf);
    for expected in [
        "Độc lập - Tự do - Hạnh phúc",
        "Chỉ số cải cách hành chính năm 2024 của UBND xã Yên Phong",
        "Chỉ số: 89,83",
        "Xếp hạng trong nhóm: 3/17",
        "Chỉ số (%) qua các năm",
        "Công khai thủ tục hành chính đúng quy định",
        "Trung bình nhóm",
        "Cao nhất nhóm",
        "1,72",
        "Trang 1/",
    ] {
        assert!(t.contains(expected), "{expected:?} missing from:\n{t}");
    }
    assert!(fonts(&pdf).iter().all(|f| f.embedded));
}

#[test]
fn a_unit_result_sheet_without_the_groups_figures_leaves_their_columns_out() {
    let pdf = chiso_pdf::unit_result_report(&unit_sheet(false)).unwrap();
    let t = text(&pdf);
    assert!(t.contains("Kế hoạch cải cách hành chính năm"), "{t}");
    assert!(!t.contains("Trung bình nhóm"), "{t}");
}

#[test]
fn a_report_larger_than_any_province_is_refused_before_typesetting() {
    let mut report = results_report(1);
    let row = report.groups[0].rows[0].clone();
    report.groups[0].rows = vec![row; chiso_pdf::MAX_ROWS + 1];
    assert!(matches!(
        chiso_pdf::results_report(&report),
        Err(PdfError::TooLarge { .. })
    ));
}
