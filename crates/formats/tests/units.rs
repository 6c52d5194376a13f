//! Unit lists: units, memberships and lineage, and the errors that name row and column.

use std::path::PathBuf;

use chiso_domain::{LineageKind, UnitKind};
use chiso_formats::{read_units, read_units_bytes, units_csv};
use time::macros::date;

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

#[test]
fn the_example_unit_list_reads_with_its_mergers_and_rename() {
    let f = read_units(&examples().join("units.csv")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.units.len(), 9);
    assert_eq!(f.memberships.len(), 9);
    assert!(
        f.memberships
            .iter()
            .all(|m| m.group.as_str() == "UBND cấp xã" && m.ranked)
    );
    assert_eq!(f.units[0].kind, UnitKind::Commune);
    let an_binh: Vec<_> = f
        .lineage
        .iter()
        .filter(|l| l.successor.as_str() == "XA-AN-BINH")
        .collect();
    assert_eq!(an_binh.len(), 2);
    assert!(
        an_binh
            .iter()
            .all(|l| l.kind == LineageKind::Merger && l.effective == Some(date!(2025 - 07 - 01)))
    );
    let duc_hoa = f
        .lineage
        .iter()
        .find(|l| l.successor.as_str() == "XA-DUC-HOA")
        .expect("rename");
    assert_eq!(duc_hoa.kind, LineageKind::Rename);
    assert_eq!(duc_hoa.predecessor.as_str(), "XA-DUC-LAP");
    assert_eq!(duc_hoa.effective, Some(date!(2025 - 07 - 01)));
    assert_eq!(f.lineage.len(), 6);
}

#[test]
fn vietnamese_headers_in_any_case_are_accepted() {
    let csv = "STT,MÃ,Tên,Nhóm,Loại,Đơn vị cha,Đơn vị tiền thân\n1,H1,Huyện Một,UBND cấp huyện,huyện,,\n2,X1,Xã Một,UBND cấp xã,xã,H1,X0\n";
    let f = read_units_bytes("don-vi.csv", csv.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.units[1].parent.as_ref().map(|p| p.as_str()), Some("H1"));
    assert_eq!(f.units[0].kind, UnitKind::District);
    assert_eq!(f.lineage[0].kind, LineageKind::Rename);
    assert_eq!(f.lineage[0].predecessor.as_str(), "X0");
}

#[test]
fn a_predecessor_split_between_several_units_is_a_split() {
    let csv = "code,name,group,predecessors\nA,Xã A,G,OLD\nB,Xã B,G,OLD\n";
    let f = read_units_bytes("u.csv", csv.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert!(f.lineage.iter().all(|l| l.kind == LineageKind::Split));
}

#[test]
fn an_empty_group_is_reported_with_its_row_and_column() {
    let csv = "code,name,group\nA,Xã A,G\nB,Xã B,G\nC,Xã C,\n";
    let errs = read_units_bytes("units.csv", csv.as_bytes()).expect_err("error");
    assert_eq!(
        errs.to_string(),
        "units.csv, dòng 4, cột \"group\": thiếu tên nhóm"
    );
}

#[test]
fn every_kind_of_unit_error_names_its_row_and_column() {
    let csv = "\
code,name,group,kind,parent,predecessors,ranked,valid_from,valid_to
A,Xã A,G,xã,,,,,
A,Xã A bis,G,xã,,,,,
B,,G,xã,,,,,
C,Xã C,G,galaxy,,,,,
D,Xã D,G,xã,NOPE,,,,
E,Xã E,G,xã,,E,,,
F,Xã F,G,xã,,,maybe,,
G1,Xã G,G,xã,,,,31/02/2025,
H,Xã H,G,xã,,,,01/07/2025,01/01/2025
I J,Xã I,G,xã,,,,,
";
    let errs = read_units_bytes("units.csv", csv.as_bytes()).expect_err("errors");
    let places: Vec<(Option<usize>, Option<&str>)> = errs
        .errors()
        .iter()
        .map(|e| (e.row, e.column.as_deref()))
        .collect();
    assert_eq!(
        places,
        [
            (Some(3), Some("code")),
            (Some(4), Some("name")),
            (Some(5), Some("kind")),
            (Some(7), Some("predecessors")),
            (Some(8), Some("ranked")),
            (Some(9), Some("valid_from")),
            (Some(10), Some("valid_to")),
            (Some(11), Some("code")),
            (Some(6), Some("parent")),
        ],
        "{errs}"
    );
    let text = errs.to_string();
    assert!(
        text.contains("units.csv, dòng 3, cột \"code\": mã đơn vị A bị trùng (đã có ở dòng 2)"),
        "{text}"
    );
    assert!(
        text.contains("units.csv, dòng 6, cột \"parent\": đơn vị cha NOPE không có trong tệp"),
        "{text}"
    );
}

#[test]
fn a_unit_file_with_three_errors_reports_three() {
    let csv = "code,name,group\n,Xã A,G\nB,,G\nC,Xã C,\n";
    let errs = read_units_bytes("units.csv", csv.as_bytes()).expect_err("errors");
    assert_eq!(errs.len(), 3, "{errs}");
}

#[test]
fn a_missing_required_column_is_named() {
    let errs = read_units_bytes("units.csv", b"code,name\nA,B\n").expect_err("error");
    assert_eq!(
        errs.to_string(),
        "units.csv, dòng 1, cột \"group\": thiếu cột \"group\""
    );
}

#[test]
fn the_unit_list_can_be_an_xlsx_file() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in [
        ["code", "name", "group"],
        ["A", "Xã A", "G"],
        ["B", "Xã B", "G"],
    ]
    .iter()
    .enumerate()
    {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    let bytes = wb.save_to_buffer().unwrap();
    let f = read_units_bytes("units.xlsx", &bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.units.len(), 2);
}

#[test]
fn a_unit_list_written_as_csv_reads_back_unchanged() {
    let f = read_units(&examples().join("units.csv")).unwrap_or_else(|e| panic!("{e}"));
    let text = units_csv(&f.units, &f.memberships, &f.lineage);
    let back = read_units_bytes("u.csv", text.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back, f);
}
