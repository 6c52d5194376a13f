//! Index set files: YAML and the spreadsheet form (CSV, XLSX), their errors and round trips.

use std::path::PathBuf;

use chiso_domain::{
    ClassBand, IndexSet, Method, NaPolicy, NodeCode, Points, Source, TieBreaker, TierBasis,
};
use chiso_formats::{
    ImportErrors, index_set_csv, index_set_yaml, read_index_set, read_index_set_bytes,
};
use rust_decimal_macros::dec;

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn example_set() -> IndexSet {
    read_index_set(&examples().join("index-set-xa.yaml")).unwrap_or_else(|e| panic!("{e}"))
}

fn node<'a>(set: &'a IndexSet, code: &str) -> &'a chiso_domain::Node {
    set.nodes
        .iter()
        .flat_map(chiso_domain::Node::walk)
        .find(|n| n.code.as_str() == code)
        .unwrap_or_else(|| panic!("no node {code}"))
}

fn yaml_err(text: &str) -> ImportErrors {
    read_index_set_bytes("set.yaml", text.as_bytes()).expect_err("should fail")
}

const HEAD: &str = "code: T-2024\nname: Thử\nyear: 2024\n";

#[test]
fn the_example_commune_set_reads_with_every_method() {
    let set = example_set();
    assert_eq!(set.code.as_str(), "XA-2025");
    assert_eq!(set.year, 2025);
    assert_eq!(set.decision.as_deref(), Some("2161/QĐ-UBND ngày 11/6/2025"));
    assert_eq!(set.nodes.len(), 8);
    assert_eq!(set.total_max(), Points(dec!(100)));
    let leaves: Vec<_> = set
        .nodes
        .iter()
        .flat_map(chiso_domain::Node::walk)
        .filter(|n| n.is_leaf())
        .collect();
    let counted: Points = leaves
        .iter()
        .filter(|n| n.source.counts_in_max())
        .map(|n| n.max)
        .sum();
    assert_eq!(counted, Points(dec!(100)));
    let survey: Points = leaves
        .iter()
        .filter(|n| n.source == Source::Survey)
        .map(|n| n.max)
        .sum();
    assert_eq!(survey, Points(dec!(35)));
    let mut names: Vec<&str> = leaves
        .iter()
        .filter_map(|n| n.method.as_ref())
        .map(Method::name)
        .collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(
        names,
        [
            "bonus",
            "count",
            "deduction",
            "graded",
            "manual",
            "proportional",
            "survey",
            "tiers",
            "yes_no"
        ]
    );
    assert_eq!(
        node(&set, "1.3").method,
        Some(Method::Count {
            per: dec!(0.5),
            cap: Some(dec!(2))
        })
    );
    assert!(matches!(
        node(&set, "1.2").method,
        Some(Method::Tiers {
            basis: TierBasis::DaysLate { .. },
            ..
        })
    ));
    assert!(matches!(
        node(&set, "5.1").method,
        Some(Method::Tiers {
            basis: TierBasis::Count,
            ..
        })
    ));
    assert_eq!(
        node(&set, "1.4").method,
        Some(Method::Graded {
            grades: Method::default_grades()
        })
    );
    assert_eq!(node(&set, "2.1").not_applicable, Some(NaPolicy::FullPoints));
    assert_eq!(node(&set, "3.4").not_applicable, Some(NaPolicy::Exclude));
    assert_eq!(
        node(&set, "4.2").method,
        Some(Method::Manual {
            step: Some(dec!(0.25))
        })
    );
}

#[test]
fn an_inner_node_without_a_source_takes_the_source_most_of_its_leaves_have() {
    let set = example_set();
    assert_eq!(node(&set, "1").source, Source::Assessed);
    assert_eq!(node(&set, "8").source, Source::Survey);
}

#[test]
fn yaml_decimals_are_exact_whether_written_with_a_point_or_a_quoted_comma() {
    let text = format!(
        "{HEAD}nodes:\n  - code: 1\n    title: A\n    max: 0.3\n    children:\n      - {{code: 1.1, title: B, max: 0.1, source: assessed, method: yes_no}}\n      - {{code: 1.2, title: C, max: \"0,2\", source: assessed, method: {{manual: {{step: \"0,05\"}}}}}}\n"
    );
    let set = read_index_set_bytes("set.yml", text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(node(&set, "1.1").max, Points(dec!(0.1)));
    assert_eq!(node(&set, "1.2").max, Points(dec!(0.2)));
    assert_eq!(node(&set, "1").max, Points(dec!(0.3)));
    assert_eq!(
        node(&set, "1.2").method,
        Some(Method::Manual {
            step: Some(dec!(0.05))
        })
    );
}

#[test]
fn a_node_code_like_1_10_keeps_its_text_and_is_not_read_as_1_1() {
    let mut children = String::new();
    for i in 1..=10 {
        children.push_str(&format!(
            "      - {{code: 1.{i}, title: T{i}, max: 1, source: assessed, method: yes_no}}\n"
        ));
    }
    let text =
        format!("{HEAD}nodes:\n  - code: 1\n    title: A\n    max: 10\n    children:\n{children}");
    let set = read_index_set_bytes("set.yaml", text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(set.nodes[0].children[9].code.as_str(), "1.10");
}

#[test]
fn tiers_are_accepted_as_a_list_or_with_a_basis_and_graded_as_a_name() {
    let text = format!(
        "{HEAD}nodes:
  - code: 1
    title: A
    max: 6
    children:
      - code: 1.1
        title: list
        max: 2
        source: data
        method: {{tiers: [{{min: 100, points: 2}}, {{min: 95, points: 1.5}}, {{min: 0, points: 0}}]}}
      - code: 1.2
        title: basis
        max: 2
        source: assessed
        method: {{tiers: {{basis: count, levels: [{{min: 3, points: 2}}, {{min: 0, points: 0}}]}}}}
      - code: 1.3
        title: graded
        max: 2
        source: assessed
        method: {{graded: [{{code: XS, percent: 100}}, {{code: KHT, label: Kém, percent: 0}}]}}
"
    );
    let set = read_index_set_bytes("set.yaml", text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let Some(Method::Tiers {
        basis: TierBasis::Percent,
        tiers,
    }) = &node(&set, "1.1").method
    else {
        panic!("tiers")
    };
    assert_eq!(tiers[1].points, dec!(1.5));
    assert!(matches!(
        node(&set, "1.2").method,
        Some(Method::Tiers {
            basis: TierBasis::Count,
            ..
        })
    ));
    let Some(Method::Graded { grades }) = &node(&set, "1.3").method else {
        panic!("graded")
    };
    assert_eq!(grades[0].label, "Hoàn thành xuất sắc");
    assert_eq!(grades[1].label, "Kém");
}

#[test]
fn classes_per_group_and_tie_breakers_are_read_and_written_back() {
    let text = format!(
        "{HEAD}classes:
  default:
    - {{label: A, min: 90}}
    - {{label: B, min: 0}}
  groups:
    Sở, ban, ngành:
      - {{label: A, min: 80}}
      - {{label: B, min: 0}}
ranking:
  tie_breakers: [{{source: assessed}}, {{node: \"1\"}}]
renormalise_absent_areas: true
nodes:
  - {{code: 1, title: A, max: 1, source: assessed, method: yes_no}}
"
    );
    let set = read_index_set_bytes("set.yaml", text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        set.classes.default[0],
        ClassBand {
            label: "A".into(),
            min: dec!(90)
        }
    );
    let g = chiso_domain::GroupName::parse("Sở, ban, ngành").unwrap();
    assert_eq!(set.classes.bands_for(&g)[0].min, dec!(80));
    assert_eq!(
        set.ranking.tie_breakers,
        [
            TieBreaker::SourcePoints(Source::Assessed),
            TieBreaker::NodePoints(NodeCode::parse("1").unwrap())
        ]
    );
    assert!(set.renormalise_absent_areas);
    let csv = index_set_csv(&set);
    assert_eq!(
        read_index_set_bytes("x.csv", csv.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{csv}")),
        set
    );
    let yaml = index_set_yaml(&set);
    assert_eq!(
        read_index_set_bytes("x.yaml", yaml.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{yaml}")),
        set
    );
}

#[test]
fn unknown_keys_are_named_with_the_node_code_and_its_line() {
    let text = format!(
        "{HEAD}colour: red\nnodes:\n  - code: \"1\"\n    title: A\n    max: 1\n    source: assessed\n    method: yes_no\n    weight: 2\n"
    );
    let errs = yaml_err(&text);
    assert_eq!(errs.len(), 2, "{errs}");
    let msg = errs.to_string();
    assert!(msg.contains("set.yaml, dòng 4: khóa \"colour\""), "{msg}");
    assert!(
        msg.contains("set.yaml, dòng 6: tiêu chí 1: khóa \"weight\" không hợp lệ"),
        "{msg}"
    );
}

#[test]
fn a_yaml_file_with_three_mistakes_reports_all_three() {
    let text = format!(
        "{HEAD}nodes:
  - code: 1
    title: A
    max: 3
    children:
      - {{code: 1.1, title: B, max: abc, source: assessed, method: yes_no}}
      - {{code: 1.2, title: C, max: 1, source: somewhere, method: yes_no}}
      - {{code: 1.3, title: D, max: 1, source: assessed, method: {{count: {{per: x}}}}}}
"
    );
    let errs = yaml_err(&text);
    assert_eq!(errs.len(), 3, "{errs}");
    assert!(errs.errors()[0].message().contains("tiêu chí 1.1"));
    assert!(errs.errors()[1].message().contains("somewhere"));
    assert!(errs.errors()[2].message().contains("per"));
}

#[test]
fn a_parent_max_that_is_not_the_sum_of_its_children_is_reported_on_the_parent() {
    let text = format!(
        "{HEAD}nodes:\n  - code: \"1\"\n    title: A\n    max: 5\n    children:\n      - {{code: \"1.1\", title: B, max: 1, source: assessed, method: yes_no}}\n"
    );
    let errs = yaml_err(&text);
    assert_eq!(errs.len(), 1, "{errs}");
    assert_eq!(errs.errors()[0].row, Some(5));
    assert!(
        errs.errors()[0].message().contains("tổng điểm tối đa"),
        "{errs}"
    );
}

#[test]
fn leaves_must_say_their_method_and_parameters_must_fit_the_leaf() {
    let text = format!(
        "{HEAD}nodes:
  - code: 1
    title: A
    max: 2
    children:
      - {{code: 1.1, title: B, max: 1, source: assessed}}
      - {{code: 1.2, title: C, max: 1, source: assessed, method: {{tiers: [{{min: 50, points: 1}}]}}}}
"
    );
    let errs = yaml_err(&text);
    assert_eq!(errs.len(), 2, "{errs}");
    assert!(errs.errors()[0].message().contains("phương pháp"), "{errs}");
    assert!(
        errs.errors()[1].message().contains("tiêu chí 1.2"),
        "{errs}"
    );
}

#[test]
fn a_yaml_syntax_error_names_its_line() {
    let errs = yaml_err("code: X\nname: [unclosed\nyear: 2024\n");
    assert_eq!(errs.len(), 1);
    assert!(errs.errors()[0].row.is_some());
    assert!(errs.to_string().starts_with("set.yaml, dòng"));
}

#[test]
fn the_spreadsheet_example_is_the_same_set_as_the_yaml_example() {
    let from_csv =
        read_index_set(&examples().join("index-set-xa.csv")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_csv, example_set());
}

#[test]
fn a_set_written_as_yaml_or_csv_reads_back_unchanged() {
    let set = example_set();
    let yaml = index_set_yaml(&set);
    let back =
        read_index_set_bytes("x.yaml", yaml.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    assert_eq!(back, set);
    let csv = index_set_csv(&set);
    let back =
        read_index_set_bytes("x.csv", csv.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{csv}"));
    assert_eq!(back, set);
}

#[test]
fn spreadsheet_errors_name_the_row_and_the_column() {
    let csv = "\
# code: T-2024
# name: Thử
# year: 2024
code,title,max,source,method,params
1,Lĩnh vực,3,,,
1.1,A,abc,assessed,yes_no,
1.2,B,1,assessed,count,per=x
2.1,C,1,somewhere,yes_no,
";
    let errs = read_index_set_bytes("set.csv", csv.as_bytes()).expect_err("errors");
    let lines: Vec<String> = errs.errors().iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "set.csv, dòng 6, cột \"max\": điểm tối đa \"abc\" không phải là số",
            "set.csv, dòng 7, cột \"params\": per \"x\" không phải là số",
            "set.csv, dòng 8, cột \"source\": nguồn điểm \"somewhere\" không hợp lệ (dùng assessed, survey, data, bonus hoặc deduction)",
        ]
    );
}

#[test]
fn a_spreadsheet_row_whose_parent_is_missing_is_reported() {
    let csv = "# code: T\n# name: T\n# year: 2024\ncode,title,max,source,method\n1,A,1,assessed,yes_no\n2.1,B,1,assessed,yes_no\n";
    let errs = read_index_set_bytes("set.csv", csv.as_bytes()).expect_err("errors");
    assert_eq!(
        errs.to_string(),
        "set.csv, dòng 6, cột \"code\": không có tiêu chí cha 2 của 2.1 trong bảng"
    );
}

#[test]
fn spreadsheet_headers_may_be_vietnamese_and_the_metadata_may_be_quoted_by_excel() {
    let csv = "\
\"# name: Bộ chỉ số, cấp xã\";;;;;
# code: T-2024;;;;;
# year: 2024;;;;;
## ghi chú tự do;;;;;
# classes: Đạt:50|Chưa đạt:0;;;;;
Mã;Tên tiêu chí;Điểm tối đa;Nguồn;Phương pháp;Tham số
1;Lĩnh vực;2;;;
1.1;A;1;thẩm định;tiers;100:1|95:0,5|0:0
1.2;B;1;điều tra;survey;
";
    let set = read_index_set_bytes("set.csv", csv.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(set.name, "Bộ chỉ số, cấp xã");
    assert_eq!(set.classes.default.len(), 2);
    assert_eq!(node(&set, "1.2").source, Source::Survey);
}

#[test]
fn an_xlsx_set_reads_its_nodes_and_its_set_sheet() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("nodes").unwrap();
    let rows: [[&str; 6]; 3] = [
        ["code", "title", "max", "source", "method", "params"],
        ["1", "Lĩnh vực", "", "", "", ""],
        ["1.1", "A", "", "assessed", "manual", "step=0.25"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32, c as u16, *v).unwrap();
            }
        }
    }
    ws.write_number(1, 2, 1.5).unwrap();
    ws.write_number(2, 2, 1.5).unwrap();
    let meta = wb.add_worksheet();
    meta.set_name("set").unwrap();
    for (r, (k, v)) in [
        ("key", "value"),
        ("code", "T-2024"),
        ("name", "Thử"),
        ("year", "2024"),
    ]
    .iter()
    .enumerate()
    {
        meta.write_string(r as u32, 0, *k).unwrap();
        meta.write_string(r as u32, 1, *v).unwrap();
    }
    let bytes = wb.save_to_buffer().unwrap();
    let set = read_index_set_bytes("set.xlsx", &bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(node(&set, "1.1").max, Points(dec!(1.5)));
    assert_eq!(set.code.as_str(), "T-2024");
}

#[test]
fn an_unsupported_extension_is_refused_by_name() {
    let errs = read_index_set_bytes("set.docx", b"").expect_err("refused");
    assert!(
        errs.to_string()
            .starts_with("set.docx: định dạng tệp không được hỗ trợ")
    );
}

/// A summary-table set coded as real ones are: Roman numerals for parts, numbers and letters
/// below them, abbreviations for the survey and appraisal blocks.
const REAL_CODES_YAML: &str = "\
code: TONG-HOP-2025
name: Bảng tổng hợp
year: 2025
nodes:
  - code: I
    title: Công tác chỉ đạo
    children:
      - code: 1
        title: Kế hoạch
        children:
          - {code: 1.a, title: Ban hành, max: 1, source: assessed, method: yes_no}
          - {code: 1.b, title: Thực hiện, max: 1, source: assessed, method: yes_no}
      - {code: TC-3, title: Kiểm tra, max: 2, source: assessed, method: yes_no}
  - code: II
    title: Thể chế
    children:
      - {code: II.1, title: Văn bản, max: 2, source: assessed, method: yes_no}
      - {code: II.10, title: Rà soát, max: 2, source: assessed, method: yes_no}
  - code: XHH
    title: Điều tra xã hội học
    children:
      - {code: TD, title: Hài lòng, max: 2, source: survey, method: survey}
";

#[test]
fn codes_of_real_sets_and_summary_tables_are_read_from_yaml() {
    let set = read_index_set_bytes("t.yaml", REAL_CODES_YAML.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let codes: Vec<&str> = set.walk().iter().map(|n| n.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "I", "1", "1.a", "1.b", "TC-3", "II", "II.1", "II.10", "XHH", "TD"
        ]
    );
    assert_eq!(node(&set, "I").max, Points(dec!(4)));
    assert_eq!(node(&set, "1").children.len(), 2);
}

#[test]
fn codes_of_real_sets_round_trip_through_csv_with_a_parent_column() {
    let set = read_index_set_bytes("t.yaml", REAL_CODES_YAML.as_bytes()).unwrap();
    let csv = index_set_csv(&set);
    assert!(
        csv.contains("code,title,max,source,method,params,parent,"),
        "{csv}"
    );
    let back =
        read_index_set_bytes("t.csv", csv.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{csv}"));
    assert_eq!(back, set);
    let yaml = index_set_yaml(&set);
    let back =
        read_index_set_bytes("t.yaml", yaml.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    assert_eq!(back, set);
    // Numbered sets need no parent column: their codes say it.
    assert!(!index_set_csv(&example_set()).contains("parent"));
}

#[test]
fn an_xlsx_set_with_roman_numerals_and_a_parent_column_is_read() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let rows: [[&str; 6]; 8] = [
        ["# code: T-2025", "", "", "", "", ""],
        ["# name: Thử", "", "", "", "", ""],
        ["# year: 2025", "", "", "", "", ""],
        [
            "Mã",
            "Tên tiêu chí",
            "Điểm tối đa",
            "Nguồn",
            "Phương pháp",
            "Mã cha",
        ],
        ["I", "Phần một", "", "", "", ""],
        ["1", "Mục", "2", "assessed", "yes_no", "I"],
        ["II", "Phần hai", "", "", "", ""],
        ["II.1", "Mục", "3", "survey", "survey", ""],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32, c as u16, *v).unwrap();
            }
        }
    }
    let bytes = wb.save_to_buffer().unwrap();
    let set = read_index_set_bytes("t.xlsx", &bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(node(&set, "I").children[0].code.as_str(), "1");
    assert_eq!(node(&set, "II").max, Points(dec!(3)));
}

#[test]
fn a_parent_cell_that_contradicts_a_dotted_code_or_names_nothing_is_reported() {
    let csv = "\
# code: T
# name: T
# year: 2024
code,title,max,source,method,parent
I,A,,,,
II,B,,,,
II.1,C,1,assessed,yes_no,I
II.2,F,1,assessed,yes_no,
2,D,1,assessed,yes_no,III
I.1,E,1,assessed,yes_no,
";
    let errs = read_index_set_bytes("set.csv", csv.as_bytes()).expect_err("errors");
    let text = errs.to_string();
    assert!(
        text.contains("set.csv, dòng 9, cột \"code\": không có tiêu chí cha III của 2 trong bảng"),
        "{text}"
    );
    let errs = read_index_set_bytes(
        "set.csv",
        csv.replace("2,D,1,assessed,yes_no,III\n", "").as_bytes(),
    )
    .expect_err("errors");
    let text = errs.to_string();
    assert!(
        text.contains("dòng 7, cột \"code\": tiêu chí II.1: mã không thuộc tiêu chí cha I"),
        "{text}"
    );
}

#[test]
fn a_code_with_accents_or_spaces_is_refused_with_the_allowed_characters() {
    let errs = yaml_err(&format!(
        "{HEAD}nodes:\n  - {{code: \"TĐ\", title: A, max: 1, source: assessed, method: yes_no}}\n"
    ));
    let text = errs.to_string();
    assert!(text.contains("chữ cái không dấu"), "{text}");
    assert!(text.contains("TĐ"), "{text}");
}

#[test]
fn score_files_name_criteria_by_the_codes_of_real_sets() {
    let set = read_index_set_bytes("t.yaml", REAL_CODES_YAML.as_bytes()).unwrap();
    let wide = "unit,1.a,1.b,TC-3,II.1,II.10,TD\nXA-1,có,không,có,có,không,\"1,5\"\n";
    let read = chiso_formats::read_scores_bytes("s.csv", wide.as_bytes(), &set, None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(read.units[0].values.len(), 6);
    let long = "unit,criterion,value\nXA-1,II.10,có\nXA-1,XHH,1\n";
    let errs = chiso_formats::read_scores_bytes("s.csv", long.as_bytes(), &set, None)
        .expect_err("XHH is not a leaf");
    assert!(
        errs.to_string().contains("tiêu chí XHH có tiêu chí con"),
        "{errs}"
    );
    let _: NodeCode = NodeCode::parse("II.10").unwrap();
}
