//! Survey files: the questionnaire workbook and its JSON form, the XLSForm for ODK and
//! KoboToolbox, and the answer files that come back from them.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chiso_domain::questionnaire::{
    LeafRule, OptionDef, Question, QuestionTarget, QuestionnaireKind, RespondentGroup,
    SurveyDefinition,
};
use chiso_domain::survey::Factor;
use chiso_domain::{GroupName, NodeCode, UnitCode};
use chiso_formats::survey::{
    AnswerContext, AnswerFileError, AnswerRecord, AnswerShape, AnswerStats, Progress,
    questionnaire_xlsx, read_answers, read_answers_bytes, read_questionnaire,
    read_questionnaire_bytes, xlsform_xlsx,
};
use chiso_formats::{ImportErrors, codes};
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn node(code: &str) -> NodeCode {
    NodeCode::parse(code).unwrap()
}

fn group_name(name: &str) -> GroupName {
    GroupName::parse(name).unwrap()
}

fn unit(code: &str) -> UnitCode {
    UnitCode::parse(code).unwrap()
}

fn question(code: &str, text: &str, target: QuestionTarget) -> Question {
    Question {
        code: code.into(),
        text: text.into(),
        target,
    }
}

/// Provincial council deputies and citizens rate the departments; citizens who went through a
/// procedure rate the communes' one-stop shops (SIPAS).
fn definition() -> SurveyDefinition {
    SurveyDefinition {
        code: "XHH-2025".into(),
        name: "Điều tra xã hội học năm 2025".into(),
        groups: vec![
            RespondentGroup {
                code: "DBHDND".into(),
                name: "Đại biểu HĐND tỉnh".into(),
                target: Some(50),
                evaluates: group_name("Sở, ban, ngành"),
                kind: QuestionnaireKind::Sociological,
                questions: vec![
                    question(
                        "C1",
                        "Việc công khai thủ tục hành chính",
                        QuestionTarget::Leaf(node("5.1")),
                    ),
                    question(
                        "C2",
                        "Tinh thần phục vụ của công chức",
                        QuestionTarget::Leaf(node("5.2")),
                    ),
                ],
                options: vec![],
            },
            RespondentGroup {
                code: "NGUOIDAN".into(),
                name: "Người dân".into(),
                target: None,
                evaluates: group_name("Sở, ban, ngành"),
                kind: QuestionnaireKind::Sociological,
                questions: vec![question(
                    "C1",
                    "Việc công khai thủ tục hành chính",
                    QuestionTarget::Leaf(node("5.1")),
                )],
                options: vec![
                    OptionDef {
                        code: "CO".into(),
                        label: "Có".into(),
                        weight: Some(dec!(1)),
                    },
                    OptionDef {
                        code: "MOTPHAN".into(),
                        label: "Một phần".into(),
                        weight: Some(dec!(0.5)),
                    },
                    OptionDef {
                        code: "KB".into(),
                        label: "Không biết".into(),
                        weight: None,
                    },
                ],
            },
            RespondentGroup {
                code: "SIPAS".into(),
                name: "Người dân làm thủ tục".into(),
                target: Some(300),
                evaluates: group_name("UBND cấp xã"),
                kind: QuestionnaireKind::Sipas { leaf: node("6.1") },
                questions: vec![
                    question(
                        "S1",
                        "Nơi ngồi chờ có đủ chỗ",
                        QuestionTarget::Factor(Factor::Access),
                    ),
                    question(
                        "2.1",
                        "Thủ tục được niêm yết công khai",
                        QuestionTarget::Factor(Factor::Procedure),
                    ),
                ],
                options: vec![],
            },
        ],
        leaves: vec![
            LeafRule {
                leaf: node("5.1"),
                minimum: 30,
                group_weights: BTreeMap::from([
                    ("DBHDND".into(), dec!(1)),
                    ("NGUOIDAN".into(), dec!(3)),
                ]),
            },
            LeafRule {
                leaf: node("5.2"),
                minimum: 10,
                group_weights: BTreeMap::new(),
            },
        ],
    }
}

fn units() -> BTreeMap<GroupName, BTreeSet<UnitCode>> {
    BTreeMap::from([
        (
            group_name("Sở, ban, ngành"),
            BTreeSet::from([unit("SYT"), unit("STC"), unit("SGDDT")]),
        ),
        (
            group_name("UBND cấp xã"),
            BTreeSet::from([unit("XA-AN-BINH"), unit("XA-BINH-MINH")]),
        ),
    ])
}

/// A workbook with one sheet per `(name, rows)`, every cell written as text.
fn book(sheets: &[(&str, &[&[&str]])]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.is_empty() {
                    ws.write_string(r as u32, c as u16, *cell).unwrap();
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

/// Every sheet of a workbook as rows of text.
fn sheets(bytes: &[u8]) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    wb.sheet_names()
        .into_iter()
        .map(|name| {
            let range = wb.worksheet_range(&name).unwrap();
            let rows = range
                .rows()
                .map(|r| {
                    r.iter()
                        .map(|c| match c {
                            Data::Empty => String::new(),
                            Data::Float(f) => f.to_string(),
                            Data::Int(i) => i.to_string(),
                            other => other.to_string(),
                        })
                        .collect()
                })
                .collect();
            (name, rows)
        })
        .collect()
}

/// Each error as `row|column|code`, for comparing whole lists.
fn places(e: &ImportErrors) -> Vec<String> {
    e.errors()
        .iter()
        .map(|e| {
            let code = e.problem.nested("reason").map_or(e.code(), |p| p.code);
            format!(
                "{}|{}|{}",
                e.row.map(|r| r.to_string()).unwrap_or_default(),
                e.column.clone().unwrap_or_default(),
                code
            )
        })
        .collect()
}

// ---- questionnaire ---------------------------------------------------------------------

#[test]
fn a_questionnaire_written_to_a_workbook_reads_back_the_same() {
    let def = definition();
    let bytes = questionnaire_xlsx(&def).unwrap();
    let back = read_questionnaire_bytes("phieu.xlsx", &bytes).unwrap();
    assert_eq!(back, def);
    // And from a path, as the command line reads it.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phieu.xlsx");
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(read_questionnaire(&path).unwrap(), def);
}

#[test]
fn the_questionnaire_workbook_holds_the_sheets_and_cells_an_administrator_edits() {
    let s = sheets(&questionnaire_xlsx(&definition()).unwrap());
    assert_eq!(
        s.keys().map(String::as_str).collect::<Vec<_>>(),
        ["Câu hỏi", "Nhóm đối tượng", "Phương án", "Tiêu chí", "Đợt điều tra"]
    );
    let row = |sheet: &str, r: usize| s[sheet][r].join("|");
    assert_eq!(row("Đợt điều tra", 0), "Thông tin|Giá trị");
    assert_eq!(row("Đợt điều tra", 1), "Mã (code)|XHH-2025");
    assert_eq!(
        row("Đợt điều tra", 2),
        "Tên (name)|Điều tra xã hội học năm 2025"
    );
    assert_eq!(
        row("Nhóm đối tượng", 0),
        "Mã nhóm (ma_nhom)|Tên nhóm (ten_nhom)|Nhóm đơn vị được đánh giá (nhom_don_vi)|\
         Loại phiếu (loai)|Tiêu chí SIPAS (tieu_chi_sipas)|Số phiếu mục tiêu (so_phieu_muc_tieu)"
    );
    assert_eq!(
        row("Nhóm đối tượng", 1),
        "DBHDND|Đại biểu HĐND tỉnh|Sở, ban, ngành|xhh||50"
    );
    assert_eq!(
        row("Nhóm đối tượng", 3),
        "SIPAS|Người dân làm thủ tục|UBND cấp xã|sipas|6.1|300"
    );
    assert_eq!(
        row("Câu hỏi", 0),
        "Nhóm đối tượng (nhom)|Mã câu hỏi (ma_cau_hoi)|Nội dung câu hỏi (noi_dung)|\
         Tiêu chí (tieu_chi)|Yếu tố SIPAS (yeu_to)"
    );
    assert_eq!(
        row("Câu hỏi", 1),
        "DBHDND|C1|Việc công khai thủ tục hành chính|5.1|"
    );
    assert_eq!(
        row("Câu hỏi", 5),
        "SIPAS|2.1|Thủ tục được niêm yết công khai||thu_tuc"
    );
    assert_eq!(
        row("Phương án", 0),
        "Nhóm đối tượng (nhom)|Mã phương án (ma)|Nội dung (noi_dung)|Trọng số (%) (trong_so)"
    );
    assert_eq!(row("Phương án", 2), "NGUOIDAN|MOTPHAN|Một phần|50");
    assert_eq!(row("Phương án", 3), "NGUOIDAN|KB|Không biết|");
    assert_eq!(
        row("Tiêu chí", 0),
        "Tiêu chí (tieu_chi)|Số câu trả lời tối thiểu (toi_thieu)|Nhóm đối tượng (nhom)|\
         Trọng số nhóm (trong_so)"
    );
    assert_eq!(row("Tiêu chí", 1), "5.1|30|DBHDND|1");
    assert_eq!(row("Tiêu chí", 2), "5.1|30|NGUOIDAN|3");
    assert_eq!(row("Tiêu chí", 3), "5.2|10||");
    assert_eq!(s["Tiêu chí"].len(), 4);
}

#[test]
fn a_hand_made_workbook_with_ascii_headers_percent_weights_and_labels_reads() {
    let bytes = book(&[
        ("Đợt điều tra", &[&["Mã", "XHH-2025"], &["Tên", "Điều tra 2025"]]),
        (
            "Nhóm đối tượng",
            &[
                &["STT", "ma_nhom", "ten_nhom", "nhom_don_vi", "loai", "tieu_chi_sipas"],
                &["1", "CB", "Cán bộ", "Sở, ban, ngành", "", ""],
                &["2", "DN", "Doanh nghiệp", "Sở, ban, ngành", "SIPAS", "6.1"],
            ],
        ),
        (
            "Câu hỏi",
            &[
                &["nhom", "ma_cau_hoi", "noi_dung", "tieu_chi", "yeu_to"],
                &["cb", "C1", "Câu một", "5.1", ""],
                &["DN", "S1", "Tiếp cận", "", "Tiếp cận dịch vụ"],
                &["DN", "S2", "Kết quả", "", "ket_qua"],
            ],
        ),
        (
            "Phương án",
            &[
                &["nhom", "ma", "noi_dung", "trong_so"],
                &["CB", "A", "Tốt", "100%"],
                &["CB", "B", "Khá", "62,5"],
                &["CB", "E", "Không biết", ""],
            ],
        ),
        (
            "Tiêu chí",
            &[
                &["tieu_chi", "toi_thieu", "nhom", "trong_so"],
                &["5.1", "20", "", ""],
                &["5.1", "", "CB", "2,5"],
            ],
        ),
    ]);
    let def = read_questionnaire_bytes("tay.xlsx", &bytes).unwrap();
    assert_eq!(def.groups[0].code, "CB");
    assert_eq!(def.groups[0].questions[0].code, "C1");
    assert_eq!(
        def.groups[1].kind,
        QuestionnaireKind::Sipas { leaf: node("6.1") }
    );
    assert_eq!(
        def.groups[1].questions[0].target,
        QuestionTarget::Factor(Factor::Access)
    );
    let weights: Vec<_> = def.groups[0].options.iter().map(|o| o.weight).collect();
    assert_eq!(weights, [Some(dec!(1)), Some(dec!(0.625)), None]);
    assert_eq!(def.leaves.len(), 1);
    assert_eq!(def.leaves[0].minimum, 20);
    assert_eq!(def.leaves[0].group_weights["CB"], dec!(2.5));
}

#[test]
fn every_bad_cell_of_a_questionnaire_is_named_by_sheet_row_and_column() {
    let bytes = book(&[
        ("Đợt điều tra", &[&["Mã", "XHH 2025"], &["Năm", "2025"]]),
        (
            "Nhóm đối tượng",
            &[
                &["ma_nhom", "ten_nhom", "nhom_don_vi", "loai", "tieu_chi_sipas", "mau"],
                &["CB", "Cán bộ", "Sở, ban, ngành", "xhh", "6.1", ""],
                &["cb", "", "", "phiếu", "", ""],
                &["DN", "Doanh nghiệp", "Sở, ban, ngành", "sipas", "", ""],
            ],
        ),
        (
            "Câu hỏi",
            &[
                &["nhom", "ma_cau_hoi", "noi_dung", "tieu_chi", "yeu_to"],
                &["CB", "C1", "Câu một", "5.1", ""],
                &["CB", "c1", "Câu một lần nữa", "5..1", ""],
                &["XX", "C2", "", "", ""],
                &["DN", "S1", "Tiếp cận", "6.1", "tiep_can"],
                &["DN", "S2", "Khác", "", "thái độ"],
            ],
        ),
        (
            "Phương án",
            &[
                &["nhom", "ma", "noi_dung", "trong_so"],
                &["CB", "A", "Tốt", "120"],
                &["CB", "a", "Tốt", "100"],
            ],
        ),
        (
            "Tiêu chí",
            &[
                &["tieu_chi", "toi_thieu", "nhom", "trong_so"],
                &["5.1", "ba mươi", "", "2"],
                &["5.1", "30", "CB", ""],
                &["5.1", "20", "CB", "-1"],
            ],
        ),
    ]);
    let e = read_questionnaire_bytes("loi.xlsx", &bytes).unwrap_err();
    assert_eq!(
        places(&e),
        [
            "1|B|survey_code_invalid",
            "2|A|survey_key_invalid",
            "||survey_field_missing",
            "1|mau|column_unsupported",
            "2|tieu_chi_sipas|sipas_leaf_not_sipas",
            "3|ma_nhom|respondent_group_twice",
            "3|ten_nhom|survey_cell_empty",
            "3|nhom_don_vi|group_missing",
            "3|loai|questionnaire_kind_invalid",
            "4|tieu_chi_sipas|sipas_leaf_missing",
            "3|ma_cau_hoi|question_twice",
            "3|tieu_chi|criterion_code_invalid",
            "4|nhom|respondent_group_unknown",
            "4|noi_dung|survey_cell_empty",
            "4|tieu_chi|question_target_missing",
            "5|yeu_to|question_target_both",
            "6|yeu_to|factor_invalid",
            "2|trong_so|option_weight_invalid",
            "3|ma|option_twice",
            "2|toi_thieu|minimum_invalid",
            "2|nhom|group_weight_without_group",
            "3|trong_so|group_weight_missing",
            "4|trong_so|group_weight_invalid",
            "4|toi_thieu|minimum_conflict",
        ]
    );
    let text = e.to_string();
    assert!(
        text.contains(
            "loi.xlsx, dòng 3, cột \"ma_cau_hoi\": trang tính \"Câu hỏi\": câu hỏi \"c1\" của \
             nhóm này đã có ở dòng 2"
        ),
        "{text}"
    );
    assert!(
        text.contains("trang tính \"Phương án\": trọng số \"120\" không hợp lệ"),
        "{text}"
    );
}

#[test]
fn a_workbook_without_its_sheets_says_which_are_missing() {
    let bytes = book(&[("Sheet1", &[&["x"]])]);
    let e = read_questionnaire_bytes("trong.xlsx", &bytes).unwrap_err();
    let missing: Vec<_> = e
        .errors()
        .iter()
        .filter(|e| e.code() == codes::SURVEY_SHEET_MISSING)
        .map(|e| e.problem.get("sheet").unwrap().to_owned())
        .collect();
    assert_eq!(missing, ["Đợt điều tra", "Nhóm đối tượng", "Câu hỏi"]);
}

#[test]
fn a_json_questionnaire_reads_as_its_definition() {
    let def = definition();
    let json = serde_json::to_vec_pretty(&def).unwrap();
    assert_eq!(read_questionnaire_bytes("phieu.json", &json).unwrap(), def);
    let e = read_questionnaire_bytes("phieu.json", b"{\n  \"code\": 1\n}").unwrap_err();
    assert_eq!(e.errors()[0].code(), codes::JSON_INVALID);
    assert_eq!(e.errors()[0].row, Some(2));
    let e = read_questionnaire_bytes("phieu.docx", b"").unwrap_err();
    assert_eq!(e.errors()[0].code(), codes::FORMAT_UNSUPPORTED);
}
