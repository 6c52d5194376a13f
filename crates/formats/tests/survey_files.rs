//! Survey files: the questionnaire workbook and its JSON form, the XLSForm for ODK and
//! KoboToolbox, and the answer files that come back from them.

use crate::support;

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
        [
            "Câu hỏi",
            "Nhóm đối tượng",
            "Phương án",
            "Tiêu chí",
            "Đợt điều tra"
        ]
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
        (
            "Đợt điều tra",
            &[&["Mã", "XHH-2025"], &["Tên", "Điều tra 2025"]],
        ),
        (
            "Nhóm đối tượng",
            &[
                &[
                    "STT",
                    "ma_nhom",
                    "ten_nhom",
                    "nhom_don_vi",
                    "loai",
                    "tieu_chi_sipas",
                ],
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
                &[
                    "ma_nhom",
                    "ten_nhom",
                    "nhom_don_vi",
                    "loai",
                    "tieu_chi_sipas",
                    "mau",
                ],
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

// ---- answers ---------------------------------------------------------------------------

/// Every record of a file, or its errors.
fn answers(
    file: &str,
    bytes: &[u8],
    group: Option<&str>,
) -> Result<(Vec<AnswerRecord>, AnswerStats), (ImportErrors, Option<AnswerStats>)> {
    let def = definition();
    let units = units();
    let ctx = AnswerContext {
        definition: &def,
        units: &units,
        group,
    };
    let mut out = Vec::new();
    let read = read_answers_bytes(
        file,
        bytes,
        &ctx,
        |r| {
            out.push(r);
            Ok::<(), String>(())
        },
        |_| {},
    );
    match read {
        Ok(stats) => Ok((out, stats)),
        Err(AnswerFileError::Invalid { errors, stats }) => {
            // Only the answers of rows before the first problem were handed over.
            let first = errors.errors()[0].row.unwrap_or(0);
            assert!(out.iter().all(|r| r.row < first), "{out:?}");
            Err((errors, stats))
        }
        Err(AnswerFileError::Stopped(e)) => panic!("stopped: {e}"),
    }
}

/// A record as `respondent group unit question=answer`.
fn short(r: &AnswerRecord) -> String {
    format!(
        "{} {} {} {}={}",
        r.respondent, r.group, r.unit, r.question, r.answer
    )
}

#[test]
fn a_kobo_csv_export_separated_by_semicolons_reads_one_answer_per_question_and_unit() {
    // Profile fields (`tuoi`, the respondent's own workplace `don_vi`) are ignored.
    let csv = "\
start;end;nhom;grp_u_SYT/C1__SYT;grp_u_SYT/C2__SYT;grp_u_STC/C1__STC;grp_u_STC/C2__STC;grp_u_SGDDT/C1__SGDDT;grp_u_SGDDT/C2__SGDDT;tuoi;don_vi;_id;_uuid;_submission_time;_validation_status;_notes;_status;_submitted_by;__version__;_tags;_index
2025-05-02T08:01:11.000+07:00;2025-05-02T08:09:40.000+07:00;DBHDND;A;B;C;;D;E;45;Trường THPT Chu Văn An;101;7b1c0a52-1f4e-4c1e-9d0a-1a2b3c4d5e6f;2025-05-02T01:09:41;;;submitted_via_web;;vQ8u;;1
2025-05-02T09:12:00.000+07:00;2025-05-02T09:20:05.000+07:00;DBHDND;Rất tốt;  tốt ;a;b;;;38;UBND xã An Bình;102;9e8d7c6b-5a49-4838-2716-0f1e2d3c4b5a;2025-05-02T02:20:06;;;submitted_via_web;;vQ8u;;2
";
    let (records, stats) = answers("kobo.csv", csv.as_bytes(), None).unwrap();
    let got: Vec<String> = records.iter().map(short).collect();
    let a = "7b1c0a52-1f4e-4c1e-9d0a-1a2b3c4d5e6f";
    let b = "9e8d7c6b-5a49-4838-2716-0f1e2d3c4b5a";
    assert_eq!(
        got,
        [
            format!("{a} DBHDND SYT C1=A"),
            format!("{a} DBHDND SYT C2=B"),
            format!("{a} DBHDND STC C1=C"),
            format!("{a} DBHDND SGDDT C1=D"),
            format!("{a} DBHDND SGDDT C2=E"),
            format!("{b} DBHDND SYT C1=A"),
            format!("{b} DBHDND SYT C2=B"),
            format!("{b} DBHDND STC C1=A"),
            format!("{b} DBHDND STC C2=B"),
        ]
    );
    assert_eq!(records[0].row, 2);
    assert_eq!(records[8].row, 3);
    assert_eq!(
        stats,
        AnswerStats {
            rows: 2,
            rejected_rows: 0,
            respondents: 2,
            answers: 9,
            shape: AnswerShape::Wide,
        }
    );
}

#[test]
fn an_odk_central_csv_export_reads_with_the_group_chosen_for_the_file() {
    // ODK Central joins group and field with `-`; this export has no `nhom` column (an older
    // form), so the group chosen at import applies.
    let csv = "\
SubmissionDate,start,end,u_SYT-C1__SYT,u_SYT-C2__SYT,u_STC-C1__STC,u_STC-C2__STC,u_SGDDT-C1__SGDDT,u_SGDDT-C2__SGDDT,meta-instanceID,KEY,SubmitterID,SubmitterName,AttachmentsPresent,AttachmentsExpected,Status,ReviewState,DeviceID,Edits,FormVersion
2025-05-03T02:00:00.000Z,2025-05-03T08:55:00.000+07:00,2025-05-03T09:00:00.000+07:00,B,B,A,,,,uuid:0b5e2a5c-7d3f-4e8a-9c1b-2d4f6a8b0c1e,uuid:0b5e2a5c-7d3f-4e8a-9c1b-2d4f6a8b0c1e,5,enum01,0,0,,,collect:abc,0,2025050301
";
    let (records, stats) = answers("odk.csv", csv.as_bytes(), Some("dbhdnd")).unwrap();
    let got: Vec<String> = records.iter().map(short).collect();
    let id = "uuid:0b5e2a5c-7d3f-4e8a-9c1b-2d4f6a8b0c1e";
    assert_eq!(
        got,
        [
            format!("{id} DBHDND SYT C1=B"),
            format!("{id} DBHDND SYT C2=B"),
            format!("{id} DBHDND STC C1=A"),
        ]
    );
    assert_eq!(stats.respondents, 1);
    // Without a chosen group, the file is refused as a whole, saying why.
    let (e, _) = answers("odk.csv", csv.as_bytes(), None).unwrap_err();
    assert_eq!(places(&e), ["||respondent_group_needed"]);
}

#[test]
fn a_kobo_xlsx_export_of_a_sipas_form_reads_levels_labels_and_no_answer() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Người dân làm thủ tục").unwrap();
    let headers = [
        "start",
        "end",
        "nhom",
        "u_XA-AN-BINH/S1__XA-AN-BINH",
        "u_XA-AN-BINH/_2.1__XA-AN-BINH",
        "u_XA-BINH-MINH/S1__XA-BINH-MINH",
        "u_XA-BINH-MINH/_2.1__XA-BINH-MINH",
        "_id",
        "_uuid",
        "_submission_time",
        "_index",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    // Levels as numbers (as Kobo writes choice names that look like numbers), a label, and
    // 0 for "không trả lời".
    ws.write_string(1, 2, "SIPAS").unwrap();
    ws.write_number(1, 3, 4).unwrap();
    ws.write_number(1, 4, 5).unwrap();
    ws.write_string(1, 5, "Rất không hài lòng").unwrap();
    ws.write_number(1, 6, 0).unwrap();
    ws.write_number(1, 7, 9001).unwrap();
    ws.write_string(1, 8, "c0ffee00-0000-4000-8000-000000000001")
        .unwrap();
    ws.write_number(1, 10, 1).unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let (records, stats) = answers("kobo.xlsx", &bytes, None).unwrap();
    let got: Vec<String> = records
        .iter()
        .map(|r| format!("{} {}={}", r.unit, r.question, r.answer))
        .collect();
    assert_eq!(
        got,
        [
            "XA-AN-BINH S1=4",
            "XA-AN-BINH 2.1=5",
            "XA-BINH-MINH S1=1",
            "XA-BINH-MINH 2.1="
        ]
    );
    assert_eq!(
        &*records[0].respondent,
        "c0ffee00-0000-4000-8000-000000000001"
    );
    assert_eq!(stats.shape, AnswerShape::Wide);
}

#[test]
fn a_long_csv_with_a_byte_order_mark_reads_from_disk_with_progress() {
    let csv = "\u{feff}ma_phieu,nhom,don_vi,cau_hoi,tra_loi\n\
               P1,DBHDND,SYT,C1,A\n\
               P1,DBHDND,syt,c2,c\n\
               P2,NGUOIDAN,STC,C1,Một phần\n\
               P2,NGUOIDAN,STC,C1,\n\
               P3,SIPAS,XA-AN-BINH,2.1,4\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload-1234");
    std::fs::write(&path, csv).unwrap();
    let def = definition();
    let units = units();
    let ctx = AnswerContext {
        definition: &def,
        units: &units,
        group: None,
    };
    let mut records = Vec::new();
    let mut progress: Vec<Progress> = Vec::new();
    let stats = read_answers(
        &path,
        "tra-loi.csv",
        &ctx,
        |r| {
            records.push(short(&r));
            Ok::<(), String>(())
        },
        |p| progress.push(p),
    )
    .unwrap();
    assert_eq!(
        records,
        [
            "P1 DBHDND SYT C1=A",
            "P1 DBHDND SYT C2=C",
            "P2 NGUOIDAN STC C1=MOTPHAN",
            "P3 SIPAS XA-AN-BINH 2.1=4",
        ]
    );
    assert_eq!(
        stats,
        AnswerStats {
            rows: 5,
            rejected_rows: 0,
            respondents: 3,
            answers: 4,
            shape: AnswerShape::Long,
        }
    );
    let last = progress.last().unwrap();
    assert_eq!((last.rows, last.bytes_read), (5, csv.len() as u64));
    assert_eq!(last.bytes_total, csv.len() as u64);
}

#[test]
fn labels_are_accepted_as_answers_whatever_their_case() {
    let csv = "respondent;group;unit;question;answer\n\
               P1;NGUOIDAN;SYT;C1;  CÓ \n\
               P2;NGUOIDAN;SYT;C1;không biết\n\
               P3;DBHDND;SYT;C1;Trung bình\n\
               P4;SIPAS;XA-AN-BINH;S1;hài lòng\n";
    let (records, _) = answers("long.csv", csv.as_bytes(), None).unwrap();
    let got: Vec<&str> = records.iter().map(|r| &*r.answer).collect();
    assert_eq!(got, ["CO", "KB", "C", "4"]);
}

#[test]
fn every_kind_of_bad_row_of_a_long_file_is_reported_at_once_with_row_and_column() {
    let csv = "respondent,group,unit,question,answer\n\
               P1,DBHDND,SYT,C1,A\n\
               P2,CANBO,SYT,C1,A\n\
               P3,DBHDND,SXD,C1,A\n\
               P4,DBHDND,XA-AN-BINH,C1,A\n\
               P5,DBHDND,SYT,C9,A\n\
               P6,DBHDND,SYT,C1,F\n\
               P7,SIPAS,XA-AN-BINH,S1,6\n\
               ,DBHDND,SYT,C1,A\n\
               P1,DBHDND,SYT,C1,B\n\
               P1,NGUOIDAN,STC,C1,CO\n\
               P8,DBHDND,STC,C1,B\n";
    let (e, stats) = answers("xau.csv", csv.as_bytes(), None).unwrap_err();
    assert_eq!(
        places(&e),
        [
            "3|group|respondent_group_unknown",
            "4|unit|unit_unknown",
            "5|unit|unit_not_evaluated",
            "6|question|question_unknown",
            "7|answer|answer_not_option",
            "8|answer|sipas_level_invalid",
            "9|respondent|respondent_missing",
            "10|question|answer_twice",
            "11|group|respondent_two_groups",
        ]
    );
    let stats = stats.unwrap();
    assert_eq!((stats.rows, stats.rejected_rows), (11, 9));
    let text = e.to_string();
    for line in [
        "xau.csv, dòng 5, cột \"unit\": nhóm đối tượng \"DBHDND\" không đánh giá đơn vị \
         XA-AN-BINH (nhóm này đánh giá các đơn vị thuộc \"Sở, ban, ngành\")",
        "xau.csv, dòng 7, cột \"answer\": \"F\" không phải là phương án trả lời (dùng: A, B, \
         C, D, E)",
        "xau.csv, dòng 10, cột \"question\": phiếu \"P1\" đã trả lời câu C1 về đơn vị SYT ở \
         dòng 2",
        "xau.csv, dòng 11, cột \"group\": phiếu \"P1\" thuộc nhóm \"NGUOIDAN\" nhưng ở dòng 2 \
         thuộc nhóm \"DBHDND\"",
    ] {
        assert!(text.contains(line), "{line}\nnot in\n{text}");
    }
}

#[test]
fn every_kind_of_bad_row_of_a_wide_export_is_reported_at_once_with_row_and_column() {
    let csv = "\
nhom,u_SYT/C1__SYT,u_SYT/C2__SYT,u_XA-AN-BINH/S1__XA-AN-BINH,_uuid
DBHDND,A,B,,u1
DBHDND,A,X,,u1
DBHDND,A,,,
CANBO,A,,,u3
DBHDND,,,5,u4
SIPAS,,,9,u5
";
    let (e, stats) = answers("kobo.csv", csv.as_bytes(), None).unwrap_err();
    assert_eq!(
        places(&e),
        [
            "3|_uuid|submission_twice",
            "3|u_SYT/C2__SYT|answer_not_option",
            "4|_uuid|respondent_missing",
            "5|nhom|respondent_group_unknown",
            "6|u_XA-AN-BINH/S1__XA-AN-BINH|answer_other_group",
            "7|u_XA-AN-BINH/S1__XA-AN-BINH|sipas_level_invalid",
        ]
    );
    assert_eq!(stats.unwrap().rejected_rows, 5);
}

#[test]
fn a_file_without_submission_ids_or_answer_columns_is_refused_as_a_whole() {
    let (e, _) = answers("x.csv", b"start,end,C1\n1,2,A\n", Some("DBHDND")).unwrap_err();
    assert_eq!(places(&e), ["||submission_column_missing"]);
    let (e, _) = answers("x.csv", b"_uuid,tuoi\nu1,40\n", Some("DBHDND")).unwrap_err();
    assert_eq!(places(&e), ["||answer_columns_none"]);
    assert!(e.to_string().contains("C1__SGDDT"), "{e}");
    let (e, _) = answers("x.csv", b"respondent,unit,answer\n", None).unwrap_err();
    assert_eq!(places(&e), ["1|question|missing_column"]);
    let (e, _) = answers("x.ods", b"", None).unwrap_err();
    assert_eq!(places(&e), ["||format_unsupported"]);
}

#[test]
fn an_error_of_the_record_callback_stops_reading_at_once() {
    let csv = "respondent,group,unit,question,answer\nP1,DBHDND,SYT,C1,A\nP2,DBHDND,SYT,C1,A\n\
               P3,DBHDND,SYT,C1,A\n";
    let def = definition();
    let units = units();
    let ctx = AnswerContext {
        definition: &def,
        units: &units,
        group: None,
    };
    let mut calls = 0;
    let read = read_answers_bytes(
        "x.csv",
        csv.as_bytes(),
        &ctx,
        |_| {
            calls += 1;
            if calls == 2 { Err("đầy") } else { Ok(()) }
        },
        |_| {},
    );
    assert!(matches!(read, Err(AnswerFileError::Stopped("đầy"))));
    assert_eq!(calls, 2);
}

#[test]
fn a_utf16_export_with_a_byte_order_mark_reads() {
    let text = "respondent\tgroup\tunit\tquestion\tanswer\r\nP1\tNGUOIDAN\tSYT\tC1\tCó\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        bytes.extend(u.to_le_bytes());
    }
    let (records, _) = answers("unicode.txt", &bytes, None).unwrap();
    assert_eq!(
        records.iter().map(short).collect::<Vec<_>>(),
        ["P1 NGUOIDAN SYT C1=CO"]
    );
}

#[test]
fn a_million_answers_stream_within_the_memory_bound() {
    // 50 000 respondents, each answering 10 questions about 2 of 100 departments.
    let units_of_group: BTreeSet<UnitCode> = (0..100).map(|i| unit(&format!("S{i:03}"))).collect();
    let units = BTreeMap::from([(group_name("Sở, ban, ngành"), units_of_group)]);
    let mut def = definition();
    def.groups.truncate(1);
    def.groups[0].questions = (1..=10)
        .map(|i| {
            question(
                &format!("C{i}"),
                "Câu hỏi",
                QuestionTarget::Leaf(node("5.1")),
            )
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lon.csv");
    {
        use std::io::Write;
        let mut w = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        writeln!(w, "respondent,group,unit,question,answer").unwrap();
        let codes = ["A", "B", "C", "D", "E"];
        for r in 0..50_000u32 {
            for k in 0..2 {
                let u = (r * 7 + k * 13) % 100;
                for q in 1..=10u32 {
                    let a = codes[((r + q) % 5) as usize];
                    writeln!(w, "5f0c{r:08}-aaaa-4bbb-8ccc,DBHDND,S{u:03},C{q},{a}").unwrap();
                }
            }
        }
    }
    let ctx = AnswerContext {
        definition: &def,
        units: &units,
        group: None,
    };
    let (stats, peak) = support::with_peak_mib(|| {
        let mut n = 0u64;
        let stats = read_answers(
            &path,
            "lon.csv",
            &ctx,
            |_| {
                n += 1;
                Ok::<(), String>(())
            },
            |_| {},
        )
        .unwrap();
        assert_eq!(n, 1_000_000);
        stats
    });
    eprintln!("peak {peak} MiB");
    assert_eq!((stats.answers, stats.respondents), (1_000_000, 50_000));
    assert!(peak < 150, "peak {peak} MiB");
}

fn long_csv(rows: &[(u8, u8, u8, u8)]) -> String {
    let units = ["SYT", "STC", "SGDDT"];
    let answers = ["A", "B", "C", "D", "E"];
    let mut out = String::from("respondent,group,unit,question,answer\n");
    for (r, u, q, a) in rows {
        out.push_str(&format!(
            "P{r},DBHDND,{},C{},{}\n",
            units[usize::from(*u)],
            q + 1,
            answers[usize::from(*a)]
        ));
    }
    out
}

proptest! {
    #[test]
    fn shuffling_the_rows_of_a_long_csv_yields_the_same_answers(
        rows in prop::collection::btree_map((0u8..20, 0u8..3, 0u8..2), 0u8..5, 0..40),
        seed in any::<u64>(),
    ) {
        let rows: Vec<(u8, u8, u8, u8)> =
            rows.into_iter().map(|((r, u, q), a)| (r, u, q, a)).collect();
        let mut shuffled = rows.clone();
        // A Fisher–Yates shuffle driven by the seed.
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let read = |rows: &[(u8, u8, u8, u8)]| {
            let (records, _) = answers("p.csv", long_csv(rows).as_bytes(), None).unwrap();
            let mut got: Vec<String> = records.iter().map(short).collect();
            got.sort();
            got
        };
        prop_assert_eq!(read(&rows), read(&shuffled));
    }
}

// ---- XLSForm ---------------------------------------------------------------------------

#[test]
fn the_xlsform_of_a_group_asks_every_question_about_each_unit_on_its_own_page() {
    let units = [
        (unit("SYT"), "Sở Y tế".to_owned()),
        (unit("STC"), "Sở Tài chính".to_owned()),
    ];
    let bytes = xlsform_xlsx(&definition(), "dbhdnd", &units).unwrap();
    let s = sheets(&bytes);
    let rows = |sheet: &str| -> Vec<String> { s[sheet].iter().map(|r| r.join("|")).collect() };
    assert_eq!(
        rows("survey"),
        [
            "type|name|label|appearance|calculation",
            "start|start|||",
            "end|end|||",
            "calculate|nhom|||'DBHDND'",
            "begin_group|u_SYT|Sở Y tế|field-list|",
            "select_one phuong_an|C1__SYT|Việc công khai thủ tục hành chính||",
            "select_one phuong_an|C2__SYT|Tinh thần phục vụ của công chức||",
            "end_group|u_SYT|||",
            "begin_group|u_STC|Sở Tài chính|field-list|",
            "select_one phuong_an|C1__STC|Việc công khai thủ tục hành chính||",
            "select_one phuong_an|C2__STC|Tinh thần phục vụ của công chức||",
            "end_group|u_STC|||",
        ]
    );
    assert_eq!(
        rows("choices"),
        [
            "list_name|name|label",
            "phuong_an|A|Rất tốt",
            "phuong_an|B|Tốt",
            "phuong_an|C|Trung bình",
            "phuong_an|D|Kém",
            "phuong_an|E|Không biết / không trả lời",
        ]
    );
    let settings = &s["settings"];
    assert_eq!(
        settings[0].join("|"),
        "form_title|form_id|version|default_language"
    );
    assert_eq!(
        settings[1][..2].join("|"),
        "Điều tra xã hội học năm 2025 – Đại biểu HĐND tỉnh|XHH-2025_DBHDND"
    );
    // The version follows the form: the same form keeps it, another one changes it.
    let again = sheets(&xlsform_xlsx(&definition(), "DBHDND", &units).unwrap());
    assert_eq!(again["settings"][1][2], settings[1][2]);
    let fewer = sheets(&xlsform_xlsx(&definition(), "DBHDND", &units[..1]).unwrap());
    assert_ne!(fewer["settings"][1][2], settings[1][2]);
}

#[test]
fn a_sipas_xlsform_uses_the_five_levels_and_field_names_valid_in_xml() {
    let units = [(unit("XA-AN-BINH"), "Xã An Bình".to_owned())];
    let s = sheets(&xlsform_xlsx(&definition(), "SIPAS", &units).unwrap());
    let names: Vec<&str> = s["survey"].iter().map(|r| r[1].as_str()).collect();
    assert_eq!(
        names,
        [
            "name",
            "start",
            "end",
            "nhom",
            "u_XA-AN-BINH",
            "S1__XA-AN-BINH",
            "_2.1__XA-AN-BINH",
            "u_XA-AN-BINH"
        ]
    );
    let choices: Vec<String> = s["choices"][1..].iter().map(|r| r.join("|")).collect();
    assert_eq!(
        choices,
        [
            "muc_hai_long|1|Rất không hài lòng",
            "muc_hai_long|2|Không hài lòng",
            "muc_hai_long|3|Bình thường",
            "muc_hai_long|4|Hài lòng",
            "muc_hai_long|5|Rất hài lòng",
        ]
    );
    // A group's own options are its choices, labelled as defined.
    let s = sheets(&xlsform_xlsx(&definition(), "NGUOIDAN", &units).unwrap());
    assert_eq!(s["choices"][2].join("|"), "phuong_an|MOTPHAN|Một phần");
    assert!(xlsform_xlsx(&definition(), "KHAC", &units).is_err());
}

#[test]
fn the_fields_of_the_xlsform_are_the_columns_the_answer_readers_recognise() {
    // A Kobo export names each column `{page}/{field}`, ODK Central `{page}-{field}`.
    let units = [(unit("XA-AN-BINH"), "Xã An Bình".to_owned())];
    let s = sheets(&xlsform_xlsx(&definition(), "SIPAS", &units).unwrap());
    let fields: Vec<String> = s["survey"]
        .iter()
        .filter(|r| r[0].starts_with("select_one"))
        .map(|r| r[1].clone())
        .collect();
    for sep in ["/", "-"] {
        let header: Vec<String> = fields
            .iter()
            .map(|f| format!("u_XA-AN-BINH{sep}{f}"))
            .collect();
        let csv = format!("nhom,{},KEY\nSIPAS,5,3,k1\n", header.join(","));
        let (records, _) = answers("x.csv", csv.as_bytes(), None).unwrap();
        let got: Vec<String> = records.iter().map(short).collect();
        assert_eq!(
            got,
            ["k1 SIPAS XA-AN-BINH S1=5", "k1 SIPAS XA-AN-BINH 2.1=3"]
        );
    }
}
