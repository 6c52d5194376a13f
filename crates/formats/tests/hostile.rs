//! Hostile files, kept as regression fixtures: each is refused with a message naming what is
//! wrong, without a panic and within [`MEMORY_BOUND_MIB`] of peak resident memory while it is
//! read. The large ones are generated here rather than committed.

use crate::support;

use std::io::{Cursor, Write};

use chiso_formats::limits::{MAX_COLUMNS, MAX_FILE_BYTES, MAX_ROWS, MAX_YAML_BYTES};
use chiso_formats::{
    ImportErrors, read_index_set_bytes, read_results_bytes, read_scores_bytes, read_units_bytes,
};
use support::{example, rezip, unzip, with_entry, with_peak_mib, xlsx_from_csv};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Peak resident memory a hostile file may cost while it is read and refused.
const MEMORY_BOUND_MIB: u64 = 256;

/// Reads with `read`, asserts a refusal within the memory bound and returns its text.
fn refused<T: std::fmt::Debug>(read: impl FnOnce() -> Result<T, ImportErrors>) -> String {
    let (result, peak) = with_peak_mib(read);
    let errors = result.expect_err("a hostile file must be refused");
    let text = errors.to_string();
    eprintln!("peak {peak} MiB: {}", text.lines().next().unwrap_or(""));
    assert!(
        peak < MEMORY_BOUND_MIB,
        "peak {peak} MiB over {MEMORY_BOUND_MIB} MiB"
    );
    text
}

fn units_csv() -> String {
    String::from_utf8(example("units.csv")).unwrap()
}

fn units_xlsx() -> Vec<u8> {
    xlsx_from_csv(&[("units", &units_csv())])
}

// ---- Spreadsheets: far cells, densified ranges, bombs ----

#[test]
fn a_far_cell_is_refused_by_name_without_allocating_the_range() {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "code").unwrap();
    sheet.write_string(1_048_575, 16_383, "x").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    assert!(bytes.len() < 8 * 1024, "a tiny file: {} bytes", bytes.len());
    let text = refused(|| read_units_bytes("far.xlsx", &bytes));
    assert!(text.contains("far.xlsx"), "{text}");
    assert!(
        text.contains("trang tính \"Sheet1\", ô XFD1048576"),
        "{text}"
    );
    assert!(text.contains("ngoài vùng đọc được"), "{text}");
}

#[test]
fn a_formatted_but_empty_far_cell_is_ignored() {
    let csv = units_csv();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, line) in csv.lines().enumerate() {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(line.as_bytes());
        for rec in reader.records() {
            for (c, cell) in rec.unwrap().iter().enumerate() {
                sheet.write_string(r as u32, c as u16, cell).unwrap();
            }
        }
    }
    let bold = rust_xlsxwriter::Format::new().set_bold();
    sheet.write_blank(1_048_575, 16_383, &bold).unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let (read, peak) = with_peak_mib(|| read_units_bytes("u.xlsx", &bytes));
    let units = read.unwrap();
    assert_eq!(units.units.len(), csv.lines().count() - 1);
    assert!(peak < MEMORY_BOUND_MIB, "{peak} MiB");
}

/// The first worksheet's XML with `rows` inserted before the end of its data.
fn with_rows(xlsx: &[u8], rows: &str) -> Vec<u8> {
    let sheet = unzip(xlsx)
        .into_iter()
        .find(|(n, _)| n == "xl/worksheets/sheet1.xml")
        .unwrap()
        .1;
    let sheet = String::from_utf8(sheet)
        .unwrap()
        .replace("</sheetData>", &format!("{rows}</sheetData>"));
    with_entry(xlsx, "xl/worksheets/sheet1.xml", sheet.into_bytes())
}

#[test]
fn rows_widened_to_a_far_column_are_refused_when_the_cells_add_up() {
    // One value per row at the last column read: every row would be as wide as the sheet.
    let last = support_column_letter(MAX_COLUMNS - 1);
    let rows: String = (100..5_200)
        .map(|r| format!("<row r=\"{r}\"><c r=\"{last}{r}\"><v>1</v></c></row>"))
        .collect();
    let bytes = with_rows(&units_xlsx(), &rows);
    let text = refused(|| read_units_bytes("wide.xlsx", &bytes));
    assert!(text.contains("trang tính quá lớn"), "{text}");
    assert!(text.contains(&format!("ô {last}")), "{text}");
}

/// Column letters as a spreadsheet writes them.
fn support_column_letter(mut col: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap()
}

/// A sheet of inline-string cells: a header row `code, name, group`, then `body`.
fn sheet_xml(body: &str) -> Vec<u8> {
    let header: String = ["code", "name", "group"]
        .iter()
        .zip(["A", "B", "C"])
        .map(|(h, c)| format!("<c r=\"{c}1\" t=\"inlineStr\"><is><t>{h}</t></is></c>"))
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData><row r=\"1\">{header}</row>{body}</sheetData></worksheet>"
    )
    .into_bytes()
}

#[test]
fn one_long_shared_string_used_in_every_cell_is_refused_once_the_text_adds_up() {
    let long = "A".repeat(30_000);
    let shared = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"1\" uniqueCount=\"1\"><si><t>{long}</t></si></sst>"
    );
    let rows: String = (2..2_600)
        .map(|r| format!("<row r=\"{r}\"><c r=\"B{r}\" t=\"s\"><v>0</v></c></row>"))
        .collect();
    let mut bytes = with_entry(&units_xlsx(), "xl/sharedStrings.xml", shared.into_bytes());
    bytes = with_entry(&bytes, "xl/worksheets/sheet1.xml", sheet_xml(&rows));
    assert!(
        bytes.len() < 64 * 1024,
        "small on disk: {} bytes",
        bytes.len()
    );
    let text = refused(|| read_units_bytes("text.xlsx", &bytes));
    assert!(text.contains("trang tính quá lớn"), "{text}");
}

#[test]
fn a_cell_longer_than_excel_allows_is_refused_by_name() {
    let long = "B".repeat(40_000);
    let bytes = with_rows(
        &units_xlsx(),
        &format!("<row r=\"90\"><c r=\"B90\" t=\"inlineStr\"><is><t>{long}</t></is></c></row>"),
    );
    let text = refused(|| read_units_bytes("long.xlsx", &bytes));
    assert!(text.contains("ô B90"), "{text}");
    assert!(text.contains("40.000 ký tự"), "{text}");
}

/// A package whose `xl/sharedStrings.xml` inflates to `size` bytes of one string, written in
/// chunks so the test itself stays small.
fn string_bomb(size: usize) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in unzip(&units_xlsx()) {
        if name == "xl/sharedStrings.xml" {
            continue;
        }
        w.start_file(name, SimpleFileOptions::default()).unwrap();
        w.write_all(&data).unwrap();
    }
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(true);
    w.start_file("xl/sharedStrings.xml", options).unwrap();
    w.write_all(b"<?xml version=\"1.0\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" uniqueCount=\"1\"><si><t>")
        .unwrap();
    let chunk = vec![b'A'; 1 << 20];
    for _ in 0..size / chunk.len() {
        w.write_all(&chunk).unwrap();
    }
    w.write_all(b"</t></si></sst>").unwrap();
    w.finish().unwrap().into_inner()
}

#[test]
fn a_shared_string_inflating_to_a_gibibyte_is_refused_before_it_is_read() {
    let bytes = string_bomb(1 << 30);
    assert!(
        bytes.len() < 16 << 20,
        "small on disk: {} bytes",
        bytes.len()
    );
    let text = refused(|| read_units_bytes("bomb.xlsx", &bytes));
    assert!(text.contains("bomb.xlsx"), "{text}");
    assert!(text.contains("giải nén ra 1 GiB"), "{text}");
}

/// Sets the uncompressed size of `entry` in both the local and the central header.
fn lie_about_size(mut zip: Vec<u8>, entry: &str, size: u32) -> Vec<u8> {
    let name = entry.as_bytes();
    let mut i = 0;
    while i + 46 <= zip.len() {
        let sig = u32::from_le_bytes(zip[i..i + 4].try_into().unwrap());
        let (name_at, size_at, len_at) = match sig {
            0x0403_4b50 => (i + 30, i + 22, i + 26),
            0x0201_4b50 => (i + 46, i + 24, i + 28),
            _ => {
                i += 1;
                continue;
            }
        };
        let len = usize::from(u16::from_le_bytes(
            zip[len_at..len_at + 2].try_into().unwrap(),
        ));
        if zip.get(name_at..name_at + len) == Some(name) {
            zip[size_at..size_at + 4].copy_from_slice(&size.to_le_bytes());
        }
        i += 4;
    }
    zip
}

#[test]
fn an_entry_larger_than_its_declared_size_stops_at_the_declared_size() {
    // Without the zip64 extra field the headers hold the sizes themselves.
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in unzip(&units_xlsx()) {
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        w.start_file(name.as_str(), options).unwrap();
        if name == "xl/sharedStrings.xml" {
            w.write_all(b"<sst uniqueCount=\"1\"><si><t>").unwrap();
            let chunk = vec![b'A'; 1 << 20];
            for _ in 0..200 {
                w.write_all(&chunk).unwrap();
            }
            w.write_all(b"</t></si></sst>").unwrap();
        } else {
            w.write_all(&data).unwrap();
        }
    }
    let honest = w.finish().unwrap().into_inner();
    let bytes = lie_about_size(honest, "xl/sharedStrings.xml", 4_000);
    let text = refused(|| read_units_bytes("liar.xlsx", &bytes));
    assert!(text.contains("không mở được tệp Excel"), "{text}");
}

#[test]
fn a_huge_announced_count_of_shared_strings_is_refused_before_memory_is_reserved() {
    let shared = b"<?xml version=\"1.0\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"1\" uniqueCount=\"99999999999999\"><si><t>x</t></si></sst>".to_vec();
    let bytes = with_entry(&units_xlsx(), "xl/sharedStrings.xml", shared);
    let text = refused(|| read_units_bytes("count.xlsx", &bytes));
    assert!(text.contains("99.999.999.999.999 chữ dùng chung"), "{text}");
}

#[test]
fn a_cell_reference_that_overflows_the_spreadsheet_library_is_refused() {
    let bytes = with_rows(
        &units_xlsx(),
        "<row r=\"90\"><c r=\"ZZZZZZZZZZ90\"><v>1</v></c></row>",
    );
    let text = refused(|| read_units_bytes("ref.xlsx", &bytes));
    assert!(text.contains("ref.xlsx"), "{text}");
}

#[test]
fn a_workbook_of_too_many_entries_is_refused() {
    let mut entries = unzip(&units_xlsx());
    for i in 0..10_001 {
        entries.push((format!("x/{i}"), Vec::new()));
    }
    let bytes = rezip(&entries, false);
    let text = refused(|| read_units_bytes("many.xlsx", &bytes));
    assert!(text.contains("vượt giới hạn 10.000"), "{text}");
}

// ---- Text files: size, rows, cells, control characters ----

#[test]
fn files_over_the_size_bound_are_refused_before_they_are_decoded() {
    let big = vec![b'a'; MAX_FILE_BYTES + 1];
    let text = refused(|| read_units_bytes("big.csv", &big));
    assert!(text.contains("tệp quá lớn"), "{text}");
    let yaml = vec![b' '; MAX_YAML_BYTES + 1];
    let text = refused(|| read_index_set_bytes("big.yaml", &yaml));
    assert!(text.contains("tối đa 2 MiB"), "{text}");
}

#[test]
fn a_csv_with_more_rows_than_a_sheet_holds_is_refused() {
    let mut csv = units_csv();
    csv.push_str(&"x\n".repeat(MAX_ROWS + 10));
    let text = refused(|| read_units_bytes("rows.csv", csv.as_bytes()));
    assert!(text.contains("hơn 1.048.576 dòng"), "{text}");
}

#[test]
fn a_huge_csv_row_is_refused_by_its_row() {
    let mut csv = units_csv();
    csv.push_str(&",".repeat(4_000_000));
    csv.push('\n');
    let text = refused(|| read_units_bytes("row.csv", csv.as_bytes()));
    assert!(text.contains("vượt giới hạn 1.024 cột"), "{text}");
    assert!(text.contains(", dòng "), "{text}");
}

#[test]
fn a_huge_csv_cell_is_refused_by_its_row_and_column() {
    let csv = format!("code,name,group\nX,{},G\n", "n".repeat(40_000));
    let text = refused(|| read_units_bytes("cell.csv", csv.as_bytes()));
    assert!(text.contains("dòng 2, cột \"B\""), "{text}");
}

#[test]
fn nul_and_control_characters_are_refused_naming_row_and_column() {
    let csv = "code,name,group\nXA-1,Xã\u{0}Một,UBND cấp xã\nXA-2,Xã Hai,UBND\u{1b} cấp xã\n";
    let text = refused(|| read_units_bytes("nul.csv", csv.as_bytes()));
    assert!(text.contains("nul.csv, dòng 2, cột \"B\""), "{text}");
    assert!(text.contains("U+0000"), "{text}");
    assert!(text.contains("dòng 3, cột \"C\""), "{text}");

    let set = String::from_utf8(example("index-set-xa.csv"))
        .unwrap()
        .replacen("Kế hoạch cải cách", "Kế hoạch\u{7} cải cách", 1);
    let text = refused(|| read_index_set_bytes("s.csv", set.as_bytes()));
    assert!(text.contains("U+0007"), "{text}");

    let xlsx = with_rows(
        &units_xlsx(),
        "<row r=\"90\"><c r=\"B90\" t=\"inlineStr\"><is><t>a_x0000_b</t></is></c></row>",
    );
    let text = refused(|| read_units_bytes("nul.xlsx", &xlsx));
    assert!(text.contains("ô B90"), "{text}");
    assert!(text.contains("U+0000"), "{text}");

    let yaml = String::from_utf8(example("index-set-xa.yaml"))
        .unwrap()
        .replacen("name: ", "name: \"Tên\\0\"\nx_name: ", 1);
    let text = refused(|| read_index_set_bytes("nul.yaml", yaml.as_bytes()));
    assert!(text.contains("U+0000"), "{text}");
    assert!(text.contains("dòng "), "{text}");

    let raw = b"code: X\nname: \"a\x00b\"\n".to_vec();
    refused(|| read_index_set_bytes("raw.yaml", &raw));

    let json = r#"{"units": [{"unit": "XA-1", "group": "UBND\u0000", "index": "90"}]}"#;
    let text = refused(|| read_results_bytes("nul.json", json.as_bytes()));
    assert!(text.contains("U+0000"), "{text}");
    assert!(text.contains("\"group\""), "{text}");
}

// ---- YAML: nesting and aliases ----

#[test]
fn deeply_nested_yaml_is_refused_with_a_clear_message() {
    let yaml = format!("code: X\nnodes: {}", "[".repeat(10_000));
    let text = refused(|| read_index_set_bytes("deep.yaml", yaml.as_bytes()));
    assert!(text.contains("lồng quá sâu"), "{text}");
    let block: String = (0..300)
        .map(|i| format!("{}- a:\n", "  ".repeat(i)))
        .collect();
    let text = refused(|| read_index_set_bytes("deep2.yaml", block.as_bytes()));
    assert!(text.contains("lồng quá sâu"), "{text}");
}

#[test]
fn a_yaml_alias_bomb_is_refused() {
    // Nine levels of ten aliases: a billion strings if expanded.
    let mut yaml = String::from(
        "a0: &a0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n",
    );
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        yaml.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    let text = refused(|| read_index_set_bytes("laughs.yaml", yaml.as_bytes()));
    assert!(text.contains("bí danh"), "{text}");

    // Few aliases of one long string: within the parser's repetition limit, but 150 MiB.
    let long = "x".repeat(1_500_000);
    let yaml = format!(
        "big: &b \"{long}\"\nuse: [{}]\n",
        vec!["*b"; 100].join(", ")
    );
    let text = refused(|| read_index_set_bytes("wide.yaml", yaml.as_bytes()));
    assert!(text.contains("mở rộng ra quá lớn"), "{text}");
}

// ---- Unquoted decimal commas ----

fn set() -> chiso_domain::IndexSet {
    read_index_set_bytes("s.yaml", &example("index-set-xa.yaml")).unwrap()
}

#[test]
fn a_decimal_comma_split_into_value_and_note_is_refused_naming_the_row() {
    let csv = "unit,criterion,value,note\nXA-AN-BINH,1.3,2,\nXA-AN-BINH,1.5,1,74\n";
    let text = refused(|| read_scores_bytes("s.csv", csv.as_bytes(), &set(), None));
    assert!(text.contains("s.csv, dòng 3, cột \"value\""), "{text}");
    assert!(text.contains("1,74"), "{text}");
    assert!(text.contains("ngoặc kép"), "{text}");
    assert!(text.contains("dấu phân cách ;"), "{text}");
    // Quoted, or with `;` as the delimiter, the same value reads as 1,74.
    for ok in [
        "unit,criterion,value,note\nXA-AN-BINH,1.5,\"1,74\",\n",
        "unit;criterion;value;note\nXA-AN-BINH;1.5;1,74;74\n",
    ] {
        let read = read_scores_bytes("s.csv", ok.as_bytes(), &set(), None).unwrap();
        assert_eq!(read.units[0].values.len(), 1, "{ok}");
    }
}

#[test]
fn a_row_with_more_fields_than_the_header_names_the_likely_decimal_comma() {
    let long = "unit,criterion,value\nXA-AN-BINH,1.5,1,74\n";
    let text = refused(|| read_scores_bytes("s.csv", long.as_bytes(), &set(), None));
    assert!(text.contains("dòng 2"), "{text}");
    assert!(text.contains("nhiều ô hơn dòng tiêu đề"), "{text}");
    assert!(text.contains("dấu phẩy"), "{text}");
    let wide = "unit,1.5,2.3\nXA-AN-BINH,1,74,1\n";
    let text = refused(|| read_scores_bytes("w.csv", wide.as_bytes(), &set(), None));
    assert!(text.contains("w.csv, dòng 2"), "{text}");
    assert!(text.contains("ngoặc kép"), "{text}");
}
