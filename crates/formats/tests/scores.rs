//! Score files in both shapes, every encoding Excel writes, and errors found by test-scoring.

use std::path::PathBuf;

use chiso_domain::{IndexSet, NodeCode, RawValue, UnitCode};
use chiso_formats::{
    ScoreShape, read_index_set, read_scores, read_scores_bytes, read_units, scores_long_csv,
};
use rust_decimal_macros::dec;

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn set() -> IndexSet {
    read_index_set(&examples().join("index-set-xa.yaml")).unwrap_or_else(|e| panic!("{e}"))
}

fn units() -> Vec<UnitCode> {
    ["XA-AN-BINH", "XA-TAN-LAP"]
        .iter()
        .map(|u| UnitCode::parse(u).unwrap())
        .collect()
}

fn value(file: &chiso_formats::ScoresFile, unit: &str, code: &str) -> Option<RawValue> {
    file.units
        .iter()
        .find(|u| u.unit.as_str() == unit)?
        .values
        .iter()
        .find(|(c, _)| c.as_str() == code)
        .map(|(_, v)| v.clone())
}

#[test]
fn the_long_and_wide_examples_hold_the_same_values() {
    let set = set();
    let units = read_units(&examples().join("units.csv")).unwrap_or_else(|e| panic!("{e}"));
    let known: Vec<UnitCode> = units.units.iter().map(|u| u.code.clone()).collect();
    let long = read_scores(&examples().join("scores-long.csv"), &set, Some(&known))
        .unwrap_or_else(|e| panic!("{e}"));
    let wide = read_scores(&examples().join("scores-wide.csv"), &set, Some(&known))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(long.shape, ScoreShape::Long);
    assert_eq!(wide.shape, ScoreShape::Wide);
    assert_eq!(long.units.len(), 9);
    for (l, w) in long.units.iter().zip(&wide.units) {
        assert_eq!(l.unit, w.unit);
        assert_eq!(l.values, w.values);
    }
    assert!(long.units[0].notes.iter().any(|(c, _)| c.as_str() == "1.6"));
    let inputs = long.unit_inputs(&units);
    assert_eq!(inputs.len(), 9);
    assert_eq!(inputs[0].name, "Xã An Bình");
    assert_eq!(
        long.into_values().len(),
        inputs.iter().map(|i| i.values.len()).sum::<usize>()
    );
}

#[test]
fn a_long_file_reads_each_method_input() {
    let csv = "unit,criterion,value,note\n\
XA-AN-BINH,1.1.1,có,\n\
XA-AN-BINH,1.1.2,45/47,\n\
XA-AN-BINH,1.2,20/12/2025,trễ\n\
XA-AN-BINH,1.4,T,\n\
XA-AN-BINH,3.2,\"95,2\",\n\
XA-AN-BINH,4.2,\"3,75\",\n\
XA-AN-BINH,8.1,\"86,5%\",\n\
XA-AN-BINH,3.4,không phát sinh,\n";
    let f = read_scores_bytes("s.csv", csv.as_bytes(), &set(), Some(&units()))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(value(&f, "XA-AN-BINH", "1.1.1"), Some(RawValue::Yes));
    assert_eq!(
        value(&f, "XA-AN-BINH", "1.1.2"),
        Some(RawValue::Ratio {
            num: dec!(45),
            den: dec!(47)
        })
    );
    assert_eq!(
        value(&f, "XA-AN-BINH", "1.4"),
        Some(RawValue::Grade(
            chiso_domain::GradeCode::parse("T").unwrap()
        ))
    );
    assert_eq!(
        value(&f, "XA-AN-BINH", "3.2"),
        Some(RawValue::Percent(dec!(95.2)))
    );
    assert_eq!(
        value(&f, "XA-AN-BINH", "4.2"),
        Some(RawValue::Points(dec!(3.75)))
    );
    assert_eq!(
        value(&f, "XA-AN-BINH", "8.1"),
        Some(RawValue::Percent(dec!(86.5)))
    );
    assert_eq!(
        value(&f, "XA-AN-BINH", "3.4"),
        Some(RawValue::NotApplicable)
    );
    assert_eq!(
        f.units[0].notes,
        [(NodeCode::parse("1.2").unwrap(), "trễ".to_owned())]
    );
}

#[test]
fn a_semicolon_file_with_decimal_commas_as_excel_writes_it_in_vietnamese_is_read() {
    let csv = "unit;4.2;6.2;3.2\nXA-AN-BINH;3,75;1,5;95,2\nXA-TAN-LAP;4;2;100\n";
    let f =
        read_scores_bytes("s.csv", csv.as_bytes(), &set(), None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.shape, ScoreShape::Wide);
    assert_eq!(
        value(&f, "XA-AN-BINH", "4.2"),
        Some(RawValue::Points(dec!(3.75)))
    );
    assert_eq!(
        value(&f, "XA-AN-BINH", "3.2"),
        Some(RawValue::Percent(dec!(95.2)))
    );
}

#[test]
fn utf8_with_bom_and_utf16_with_bom_read_the_same() {
    let text = "unit,criterion,value\nXA-AN-BINH,1.4,Hoàn thành tốt\n";
    let plain =
        read_scores_bytes("s.csv", text.as_bytes(), &set(), None).unwrap_or_else(|e| panic!("{e}"));
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(text.as_bytes());
    let mut le = vec![0xFF, 0xFE];
    let mut be = vec![0xFE, 0xFF];
    for u in text.replace(',', "\t").encode_utf16() {
        le.extend_from_slice(&u.to_le_bytes());
        be.extend_from_slice(&u.to_be_bytes());
    }
    for (name, bytes) in [("bom", bom), ("utf-16 le", le), ("utf-16 be", be)] {
        let f = read_scores_bytes("s.txt", &bytes, &set(), None)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(f, plain, "{name}");
    }
    assert_eq!(
        value(&plain, "XA-AN-BINH", "1.4"),
        Some(RawValue::Grade(
            chiso_domain::GradeCode::parse("T").unwrap()
        ))
    );
}

#[test]
fn a_file_that_is_not_utf8_is_refused_with_advice() {
    let bytes = b"unit,criterion,value\nX\xe0,1.4,T\n";
    let errs = read_scores_bytes("s.csv", bytes, &set(), None).expect_err("refused");
    assert!(errs.to_string().contains("UTF-8"), "{errs}");
    assert_eq!(errs.errors()[0].row, Some(2));
}

#[test]
fn every_kind_of_value_error_names_its_row_and_column() {
    let csv = "\
unit,criterion,value
XA-NOWHERE,1.1.1,có
XA-AN-BINH,7.7,1
XA-AN-BINH,1.1,1
XA-AN-BINH,4.2,\"4,5\"
XA-AN-BINH,6.2,\"1,1\"
XA-AN-BINH,1.1.2,48/47
XA-AN-BINH,1.1.1,có lẽ
XA-AN-BINH,2.2,1/2
XA-AN-BINH,2.2,1/2
XA-AN-BINH,1.1.1,không phát sinh
XA-AN-BINH,1.2,hôm qua
";
    let errs = read_scores_bytes("scores.csv", csv.as_bytes(), &set(), Some(&units()))
        .expect_err("errors");
    let lines: Vec<String> = errs.errors().iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "scores.csv, dòng 2, cột \"unit\": đơn vị XA-NOWHERE không có trong danh sách đơn vị",
            "scores.csv, dòng 3, cột \"criterion\": không có tiêu chí 7.7 trong bộ chỉ số",
            "scores.csv, dòng 4, cột \"criterion\": tiêu chí 1.1 có tiêu chí con, chỉ nhập giá trị cho tiêu chí lá",
            "scores.csv, dòng 5, cột \"value\": tiêu chí 4.2: điểm 4,5 vượt điểm tối đa 4",
            "scores.csv, dòng 6, cột \"value\": tiêu chí 6.2: điểm 1,1 không phải bội số của bước chấm 0,25",
            "scores.csv, dòng 7, cột \"value\": tiêu chí 1.1.2: tỷ lệ 48/47: tử số lớn hơn mẫu số",
            "scores.csv, dòng 8, cột \"value\": tiêu chí 1.1.1: \"có lẽ\" không phải giá trị có/không (dùng: có, không, hoặc không phát sinh)",
            "scores.csv, dòng 10, cột \"value\": đơn vị XA-AN-BINH, tiêu chí 2.2 nhập hai lần (đã có ở dòng 9)",
            "scores.csv, dòng 11, cột \"value\": tiêu chí 1.1.1: tiêu chí này không cho phép khai \"không phát sinh\"",
            "scores.csv, dòng 12, cột \"value\": tiêu chí 1.2: \"hôm qua\" không phải ngày hợp lệ (dùng dd/mm/yyyy)",
        ]
    );
}

#[test]
fn a_score_file_with_three_errors_reports_three() {
    let csv = "unit,4.2,6.2\nXA-AN-BINH,9,9\nXA-TAN-LAP,x,1\n";
    let errs = read_scores_bytes("s.csv", csv.as_bytes(), &set(), None).expect_err("errors");
    assert_eq!(errs.len(), 3, "{errs}");
    assert_eq!(errs.errors()[2].column.as_deref(), Some("4.2"));
    assert_eq!(errs.errors()[2].row, Some(3));
}

#[test]
fn a_wide_file_names_columns_that_are_not_leaves() {
    let csv = "unit,1,4.2,xyz\nXA-AN-BINH,1,2,3\n";
    let errs = read_scores_bytes("s.csv", csv.as_bytes(), &set(), None).expect_err("errors");
    let cols: Vec<_> = errs
        .errors()
        .iter()
        .map(|e| (e.row, e.column.clone()))
        .collect();
    assert_eq!(
        cols,
        [
            (Some(1), Some("1".to_owned())),
            (Some(1), Some("xyz".to_owned()))
        ],
        "{errs}"
    );
}

#[test]
fn an_xlsx_score_file_reads_numbers_percent_cells_and_dates() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["unit", "4.2", "3.2", "1.2", "1.1.2"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "XA-AN-BINH").unwrap();
    ws.write_number(1, 1, 3.75).unwrap();
    let pct = rust_xlsxwriter::Format::new().set_num_format("0.0%");
    ws.write_number_with_format(1, 2, 0.952, &pct).unwrap();
    let date = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    let d = rust_xlsxwriter::ExcelDateTime::from_ymd(2025, 12, 20).unwrap();
    ws.write_datetime_with_format(1, 3, &d, &date).unwrap();
    ws.write_string(1, 4, "45/47").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let f = read_scores_bytes("s.xlsx", &bytes, &set(), None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        value(&f, "XA-AN-BINH", "4.2"),
        Some(RawValue::Points(dec!(3.75)))
    );
    assert_eq!(
        value(&f, "XA-AN-BINH", "3.2"),
        Some(RawValue::Percent(dec!(95.2)))
    );
    assert_eq!(
        value(&f, "XA-AN-BINH", "1.2"),
        Some(RawValue::Date(time::macros::date!(2025 - 12 - 20)))
    );
    assert_eq!(
        value(&f, "XA-AN-BINH", "1.1.2"),
        Some(RawValue::Ratio {
            num: dec!(45),
            den: dec!(47)
        })
    );
}

#[test]
fn values_written_in_the_long_shape_read_back_unchanged() {
    let set = set();
    let units = read_units(&examples().join("units.csv")).unwrap_or_else(|e| panic!("{e}"));
    let f = read_scores(&examples().join("scores-long.csv"), &set, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let inputs = f.unit_inputs(&units);
    let text = scores_long_csv(&inputs);
    let back =
        read_scores_bytes("s.csv", text.as_bytes(), &set, None).unwrap_or_else(|e| panic!("{e}"));
    for (a, b) in f.units.iter().zip(&back.units) {
        assert_eq!(a.values, b.values);
    }
}
