//! Results files: CSV, JSON and XLSX written from computed results, and read back as the
//! previous period.

use std::io::Cursor;
use std::path::PathBuf;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chiso_domain::{
    GroupName, GroupStats, IndexSet, NodeCode, NodeScore, PeriodResults, Points, PreviousResult,
    UnitCode, UnitResult,
};
use chiso_formats::{
    previous_csv, read_index_set, read_results, read_results_bytes, results_csv, results_json,
    results_xlsx, write_results,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn set() -> IndexSet {
    read_index_set(&examples().join("index-set-xa.yaml")).unwrap_or_else(|e| panic!("{e}"))
}

fn unit(code: &str, name: &str, index: Decimal, rank: Option<u32>, class: &str) -> UnitResult {
    let area = |c: &str, p: Decimal, m: Decimal| NodeScore {
        code: NodeCode::parse(c).unwrap(),
        points: Points(p),
        max: Points(m),
    };
    UnitResult {
        unit: UnitCode::parse(code).unwrap(),
        name: name.to_owned(),
        group: GroupName::parse("UBND cấp xã").unwrap(),
        ranked: rank.is_some(),
        total: Points(index),
        max: Points(dec!(100)),
        index,
        class: Some(class.to_owned()),
        rank,
        group_size: 2,
        nodes: vec![
            area("1", dec!(8.125), dec!(10)),
            area("2", dec!(6.5), dec!(7)),
        ],
        leaves: Vec::new(),
        previous_index: Some(dec!(96.68)),
        delta_index: Some(dec!(0.21)),
        delta_rank: Some(0),
        previous_rank: rank,
        previous_group_size: Some(2),
        compared_with: Vec::new(),
        streak: if rank == Some(1) { 9 } else { 0 },
        note: None,
    }
}

fn results() -> PeriodResults {
    PeriodResults {
        units: vec![
            unit(
                "XA-TAN-LAP",
                "Xã Tân Lập",
                dec!(96.885),
                Some(1),
                "Xuất sắc",
            ),
            unit(
                "XA-HOA-PHU",
                "Xã Hòa Phú, \"mới\"",
                dec!(89.8249),
                Some(2),
                "Tốt",
            ),
            unit("XA-MY-LOC", "Xã Mỹ Lộc", dec!(70), None, "Khá"),
        ],
        groups: vec![GroupStats {
            group: GroupName::parse("UBND cấp xã").unwrap(),
            units: 3,
            ranked: 2,
            mean_index: dec!(85.569966),
            per_class: vec![
                ("Xuất sắc".into(), 1),
                ("Tốt".into(), 1),
                ("Khá".into(), 1),
                ("Trung bình".into(), 0),
                ("Yếu".into(), 0),
            ],
            improved: 2,
            declined: 1,
            unchanged: 0,
        }],
    }
}

#[test]
fn the_csv_has_one_row_per_unit_with_two_decimal_figures() {
    let csv = results_csv(&results(), &[set()], true, None);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "group,rank,unit,name,total,max,index,class,delta_index,delta_rank,streak,area:1,area:2,area:3,area:4,area:5,area:6,area:7,area:8"
    );
    assert_eq!(
        lines.next().unwrap(),
        "UBND cấp xã,1,XA-TAN-LAP,Xã Tân Lập,96.89,100.00,96.89,Xuất sắc,0.21,0,9,8.13,6.50,,,,,,"
    );
    assert_eq!(
        lines.next().unwrap(),
        "UBND cấp xã,2,XA-HOA-PHU,\"Xã Hòa Phú, \"\"mới\"\"\",89.82,100.00,89.82,Tốt,0.21,0,0,8.13,6.50,,,,,,"
    );
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("UBND cấp xã,,XA-MY-LOC,Xã Mỹ Lộc,70.00,")
    );
}

#[test]
fn without_a_previous_period_the_delta_columns_are_left_out() {
    let csv = results_csv(&results(), &[set()], false, None);
    assert!(csv.starts_with("group,rank,unit,name,total,max,index,class,streak,area:1"));
}

#[test]
fn the_json_has_units_and_groups_with_numbers_of_two_decimals() {
    let json = results_json(&results(), &[set()], true, None);
    assert!(json.contains("\"index\": 96.89,"), "{json}");
    assert!(json.contains("\"max\": 100.00,"), "{json}");
    assert!(json.contains("\"mean_index\": 85.57,"), "{json}");
    let v: serde_json::Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}\n{json}"));
    assert_eq!(v["units"].as_array().unwrap().len(), 3);
    assert_eq!(v["units"][0]["rank"], 1);
    assert!(v["units"][2]["rank"].is_null());
    assert_eq!(v["units"][0]["areas"]["1"].as_f64(), Some(8.13));
    assert_eq!(v["groups"][0]["classes"]["Xuất sắc"], 1);
    assert_eq!(v["sets"][0]["code"], "XA-2025");
}

#[test]
fn the_xlsx_holds_numeric_cells_with_a_two_decimal_format_and_three_sheets() {
    let bytes = results_xlsx(&results(), &[set()], true, None).unwrap();
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(wb.sheet_names(), ["Kết quả", "Thống kê nhóm", "Bộ chỉ số"]);
    let range = wb.worksheet_range("Kết quả").unwrap();
    assert_eq!(range.get((0, 6)), Some(&Data::String("Chỉ số (%)".into())));
    assert_eq!(range.get((1, 6)), Some(&Data::Float(96.89)));
    assert_eq!(range.get((1, 1)), Some(&Data::Float(1.0)));
    assert_eq!(range.get((1, 4)), Some(&Data::Float(96.89)));
    assert_eq!(range.get((3, 1)), Some(&Data::Empty));
    let styles = wb.worksheet_style("Kết quả").unwrap();
    let format = |r: u32, c: u32| {
        styles
            .get((r, c))
            .and_then(|s| s.number_format.as_ref())
            .map(|f| f.format_code.clone())
    };
    assert_eq!(format(1, 6).as_deref(), Some("0.00"));
    assert_eq!(format(1, 11).as_deref(), Some("0.00"));
    assert!(format(1, 8).unwrap().contains("0.00"));
    let header_bold = styles
        .get((0, 0))
        .and_then(|s| s.font.as_ref())
        .is_some_and(|f| f.is_bold());
    assert!(header_bold);
    let stats = wb.worksheet_range("Thống kê nhóm").unwrap();
    assert_eq!(stats.get((1, 3)), Some(&Data::Float(85.57)));
    assert_eq!(stats.get((0, 4)), Some(&Data::String("Xuất sắc".into())));
    let meta = wb.worksheet_range("Bộ chỉ số").unwrap();
    assert_eq!(meta.get((0, 1)), Some(&Data::String("XA-2025".into())));
}

#[test]
fn results_written_as_csv_json_or_xlsx_read_back_as_the_previous_period() {
    let dir = tempfile::tempdir().unwrap();
    let expected = vec![
        PreviousResult {
            unit: UnitCode::parse("XA-TAN-LAP").unwrap(),
            group: GroupName::parse("UBND cấp xã").unwrap(),
            index: dec!(96.89),
            rank: Some(1),
            streak: 9,
        },
        PreviousResult {
            unit: UnitCode::parse("XA-HOA-PHU").unwrap(),
            group: GroupName::parse("UBND cấp xã").unwrap(),
            index: dec!(89.82),
            rank: Some(2),
            streak: 0,
        },
        PreviousResult {
            unit: UnitCode::parse("XA-MY-LOC").unwrap(),
            group: GroupName::parse("UBND cấp xã").unwrap(),
            index: dec!(70),
            rank: None,
            streak: 0,
        },
    ];
    for name in ["r.csv", "r.json", "r.xlsx"] {
        let path = dir.path().join(name);
        write_results(&path, &results(), &[set()], true, None).unwrap();
        let back = read_results(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let back: Vec<PreviousResult> = back
            .into_iter()
            .map(|p| PreviousResult {
                index: p.index.normalize(),
                ..p
            })
            .collect();
        assert_eq!(back, expected, "{name}");
    }
}

#[test]
fn a_previous_file_without_streaks_counts_one_year_for_the_first() {
    let csv = "unit,group,index,rank\nA,G,\"90,5\",1\nB,G,80,2/9\n";
    let p = read_results_bytes("prev.csv", csv.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p[0].streak, 1);
    assert_eq!(p[0].index, dec!(90.5));
    assert_eq!(p[1].streak, 0);
    assert_eq!(p[1].rank, Some(2));
}

#[test]
fn the_example_previous_period_reads() {
    let p = read_results(&examples().join("previous.csv")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.len(), 12);
    assert_eq!(p[0].streak, 3);
}

#[test]
fn previous_results_errors_name_row_and_column() {
    let csv = "unit,group,index,rank,streak\nA,G,abc,1,1\nB,,80,x,\nA,G,70,3,0\n";
    let errs = read_results_bytes("prev.csv", csv.as_bytes()).expect_err("errors");
    let lines: Vec<String> = errs.errors().iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "prev.csv, dòng 2, cột \"index\": chỉ số \"abc\" không phải là số không âm",
            "prev.csv, dòng 3, cột \"group\": tên nhóm: giá trị trống",
            "prev.csv, dòng 3, cột \"rank\": hạng \"x\" không phải số nguyên dương",
        ]
    );
    let errs = read_results_bytes(
        "prev.json",
        b"{\"units\": [{\"unit\": \"A\", \"group\": \"G\"}]}",
    )
    .expect_err("errors");
    assert_eq!(
        errs.to_string(),
        "prev.json, cột \"index\": units, mục thứ 1: thiếu chỉ số"
    );
}

#[test]
fn previous_results_written_as_csv_keep_their_full_precision() {
    let prev = vec![PreviousResult {
        unit: UnitCode::parse("A").unwrap(),
        group: GroupName::parse("G").unwrap(),
        index: dec!(89.8249999),
        rank: Some(3),
        streak: 0,
    }];
    let back = read_results_bytes("p.csv", previous_csv(&prev).as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, prev);
}

/// Intervals for the first two units: Tân Lập 95,10–97,35 rank 1–2, Hòa Phú 88,004–91,996
/// rank 1–2, their order unsettled.
fn intervals() -> chiso_domain::uncertainty::ResultIntervals {
    use chiso_domain::uncertainty::{Interval, ResultInterval, ResultIntervals};
    let r = results();
    let unit = |i: usize, low, high| ResultInterval {
        unit: r.units[i].unit.clone(),
        group: r.units[i].group.clone(),
        index: Interval { low, high },
        rank: Some(Interval { low: 1, high: 2 }),
        survey_points: None,
        total: Interval { low, high },
    };
    ResultIntervals {
        surveys: vec!["XHH-2025".into()],
        draws: 400,
        units: vec![
            unit(0, dec!(95.1), dec!(97.35)),
            unit(1, dec!(88.004), dec!(91.996)),
        ],
        unsettled: vec![(r.units[0].unit.clone(), r.units[1].unit.clone())],
    }
}

#[test]
fn intervals_add_their_columns_to_every_format_numbers_as_numbers_in_xlsx() {
    let iv = intervals();
    let csv = results_csv(&results(), &[set()], false, Some(&iv));
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .ends_with("area:8,index_low,index_high,rank_best,rank_worst")
    );
    assert!(lines.next().unwrap().ends_with(",95.10,97.35,1,2"));
    assert!(lines.next().unwrap().ends_with(",88.00,92.00,1,2"));
    assert!(
        lines.next().unwrap().ends_with(",,,,"),
        "no interval, empty cells"
    );

    let json = results_json(&results(), &[set()], false, Some(&iv));
    let v: serde_json::Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}\n{json}"));
    assert_eq!(v["units"][0]["interval"]["index_low"].as_f64(), Some(95.1));
    assert_eq!(v["units"][1]["interval"]["rank_worst"], 2);
    assert!(v["units"][2].get("interval").is_none());
    assert_eq!(v["intervals"]["draws"], 400);
    assert_eq!(v["intervals"]["unsettled"][0][1], "XA-HOA-PHU");
    // Without intervals nothing changes.
    assert!(!results_json(&results(), &[set()], false, None).contains("interval"));

    let bytes = results_xlsx(&results(), &[set()], false, Some(&iv)).unwrap();
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(
        wb.sheet_names(),
        ["Kết quả", "Thống kê nhóm", "Bộ chỉ số", "Độ tin cậy"]
    );
    let range = wb.worksheet_range("Kết quả").unwrap();
    let header: Vec<String> = (0..range.width() as u32)
        .map(|c| {
            range
                .get((0, c as usize))
                .map(|d| d.to_string())
                .unwrap_or_default()
        })
        .collect();
    let col = header
        .iter()
        .position(|h| h == "Chỉ số thấp nhất (khoảng tin cậy 90 %)")
        .expect("an index low column");
    assert_eq!(range.get((1, col)), Some(&Data::Float(95.1)));
    assert_eq!(range.get((2, col + 1)), Some(&Data::Float(92.0)));
    assert_eq!(range.get((2, col + 3)), Some(&Data::Float(2.0)));
    let sheet = wb.worksheet_range("Độ tin cậy").unwrap();
    assert_eq!(
        sheet.get((4, 1)),
        Some(&Data::String("Xã Hòa Phú, \"mới\" (XA-HOA-PHU)".into()))
    );
}
