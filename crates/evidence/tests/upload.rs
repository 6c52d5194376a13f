//! What a unit officer sees when uploading evidence: the right files are kept, disguised,
//! oversized, badly named and interrupted ones are refused with a Vietnamese message, and a
//! refusal leaves nothing in the store.

use crate::support;

use chiso_evidence::{
    BlobId, BlobStore, DEFAULT_UPLOAD_LIMIT, FileBudget, FileKind, LocalDiskStore,
    MAX_FILES_PER_LEAF, MAX_FILES_PER_REQUEST, UploadError, check_upload, detect, receive_upload,
    sanitize_file_name,
};
use support::{
    InterruptedReader, UntouchableReader, compound_file, docx, exe, files_under, pdf, xlsx,
    zip_with,
};

const LIMIT: u64 = 1024 * 1024;

fn refusal(name: &str, content: &[u8]) -> String {
    check_upload(name, content, LIMIT).unwrap_err().to_string()
}

#[test]
fn a_pdf_named_pdf_is_accepted() {
    let checked = check_upload("Biên bản kiểm tra.pdf", &pdf(), LIMIT).unwrap();
    assert_eq!(checked.file_name, "Biên bản kiểm tra.pdf");
    assert_eq!(checked.kind, FileKind::Pdf);
    assert_eq!(checked.len, pdf().len() as u64);
}

#[test]
fn an_exe_disguised_as_pdf_is_refused_naming_both() {
    assert_eq!(
        refusal("hoa_don.pdf", &exe()),
        "tệp \"hoa_don.pdf\" không phải PDF (nội dung là chương trình Windows (EXE/DLL))"
    );
}

#[test]
fn an_html_page_disguised_as_pdf_is_refused() {
    let page = b"<!DOCTYPE html>\n<html><script>alert(1)</script></html>";
    assert_eq!(
        refusal("ket_qua.pdf", page),
        "tệp \"ket_qua.pdf\" không phải PDF (nội dung là trang web HTML)"
    );
}

#[test]
fn plain_text_renamed_to_pdf_is_refused() {
    assert_eq!(
        refusal("ghi_chu.pdf", "chỉ là văn bản".as_bytes()),
        "tệp \"ghi_chu.pdf\" không phải PDF (nội dung là văn bản thuần hoặc dữ liệu không rõ loại)"
    );
}

#[test]
fn an_image_must_carry_its_own_extension() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
    assert_eq!(
        check_upload("anh.png", png, LIMIT).unwrap().kind,
        FileKind::Png
    );
    assert_eq!(
        refusal("anh.jpg", png),
        "tệp \"anh.jpg\" không phải ảnh JPEG (nội dung là ảnh PNG)"
    );
}

#[test]
fn docx_and_xlsx_are_told_apart_by_their_entries() {
    assert_eq!(detect(&docx()).file_kind(), Some(FileKind::Docx));
    assert_eq!(detect(&xlsx()).file_kind(), Some(FileKind::Xlsx));
    assert_eq!(
        check_upload("bao_cao.docx", &docx(), LIMIT).unwrap().kind,
        FileKind::Docx
    );
    assert_eq!(
        check_upload("so_lieu.xlsx", &xlsx(), LIMIT).unwrap().kind,
        FileKind::Xlsx
    );
    assert_eq!(
        refusal("so_lieu.xlsx", &docx()),
        "tệp \"so_lieu.xlsx\" không phải bảng tính Excel (XLSX) (nội dung là văn bản Word (DOCX))"
    );
    assert_eq!(
        refusal("bao_cao.docx", &xlsx()),
        "tệp \"bao_cao.docx\" không phải văn bản Word (DOCX) (nội dung là bảng tính Excel (XLSX))"
    );
}

#[test]
fn an_ooxml_entry_far_from_the_start_is_still_found() {
    // Many entries before the first `word/` one: the archive directory is read, not a prefix.
    let mut entries: Vec<String> = (0..300).map(|i| format!("customXml/item{i}.xml")).collect();
    entries.insert(0, "[Content_Types].xml".to_owned());
    entries.push("word/document.xml".to_owned());
    let names: Vec<&str> = entries.iter().map(String::as_str).collect();
    assert_eq!(detect(&zip_with(&names)).file_kind(), Some(FileKind::Docx));
}

#[test]
fn a_plain_zip_is_not_a_docx_but_a_docx_may_be_sent_as_zip() {
    let archive = zip_with(&["minh_chung/anh1.jpg", "minh_chung/qd.pdf"]);
    assert_eq!(
        check_upload("ho_so.zip", &archive, LIMIT).unwrap().kind,
        FileKind::Zip
    );
    assert_eq!(
        refusal("ho_so.docx", &archive),
        "tệp \"ho_so.docx\" không phải văn bản Word (DOCX) (nội dung là tệp nén ZIP)"
    );
    assert_eq!(
        check_upload("ho_so.zip", &docx(), LIMIT).unwrap().kind,
        FileKind::Zip
    );
}

#[test]
fn a_macro_workbook_renamed_to_xlsx_is_refused() {
    let xlsm = zip_with(&[
        "[Content_Types].xml",
        "xl/workbook.xml",
        "xl/vbaProject.bin",
    ]);
    assert_eq!(
        refusal("so_lieu.xlsx", &xlsm),
        "tệp \"so_lieu.xlsx\" không phải bảng tính Excel (XLSX) (nội dung là bảng tính Excel có macro (XLSM))"
    );
}

#[test]
fn a_damaged_zip_is_refused() {
    let mut archive = docx();
    archive.truncate(archive.len() / 2);
    assert_eq!(
        refusal("bao_cao.docx", &archive),
        "tệp \"bao_cao.docx\" không phải văn bản Word (DOCX) \
         (nội dung là dữ liệu ZIP bị hỏng, không đọc được danh mục tệp)"
    );
}

#[test]
fn legacy_doc_and_xls_are_told_apart_by_their_streams() {
    let doc = compound_file(&["/WordDocument", "/1Table"]);
    let xls = compound_file(&["/Workbook"]);
    assert_eq!(
        check_upload("cong_van.doc", &doc, LIMIT).unwrap().kind,
        FileKind::Doc
    );
    assert_eq!(
        check_upload("bang.xls", &xls, LIMIT).unwrap().kind,
        FileKind::Xls
    );
    assert_eq!(
        refusal("bang.xls", &doc),
        "tệp \"bang.xls\" không phải bảng tính Excel 97-2003 (XLS) \
         (nội dung là văn bản Word 97-2003 (DOC))"
    );
}

#[test]
fn an_oversized_file_is_refused_with_the_configured_limit() {
    let mut content = pdf();
    content.resize(usize::try_from(DEFAULT_UPLOAD_LIMIT).unwrap() + 1, b' ');
    assert_eq!(
        check_upload("scan.pdf", &content, DEFAULT_UPLOAD_LIMIT)
            .unwrap_err()
            .to_string(),
        "tệp \"scan.pdf\" vượt quá dung lượng cho phép 20 MB"
    );
}

#[test]
fn an_empty_file_is_refused() {
    assert_eq!(refusal("trong.pdf", b""), "tệp \"trong.pdf\" rỗng");
}

#[test]
fn a_format_off_the_list_is_refused_listing_what_is_accepted() {
    assert_eq!(
        refusal("cai_dat.exe", &exe()),
        "không nhận tệp \"cai_dat.exe\" (loại .exe); \
         chỉ nhận PDF, PNG, JPG, JPEG, DOCX, XLSX, ZIP, DOC, XLS"
    );
}

#[test]
fn path_traversal_names_are_refused_and_directories_dropped() {
    for raw in [
        "../../etc/passwd",
        "..\\x.pdf",
        "a/../b.pdf",
        "a\\..\\..\\b.pdf",
    ] {
        let error = sanitize_file_name(raw).unwrap_err();
        assert!(
            matches!(error, UploadError::PathTraversal { .. }),
            "{raw:?}: {error:?}"
        );
    }
    assert_eq!(
        sanitize_file_name("../../etc/passwd")
            .unwrap_err()
            .to_string(),
        "tên tệp \"../../etc/passwd\" chứa \"..\" (trỏ ra ngoài thư mục) nên không được chấp nhận"
    );
    assert_eq!(sanitize_file_name("a/b/c.pdf").unwrap(), "c.pdf");
    assert_eq!(
        sanitize_file_name("C:\\Users\\cán bộ\\Desktop\\Báo cáo.pdf").unwrap(),
        "Báo cáo.pdf"
    );
    assert_eq!(sanitize_file_name("/etc/passwd").unwrap(), "passwd");
    assert_eq!(
        sanitize_file_name("  Quyết định số 12.pdf  ").unwrap(),
        "Quyết định số 12.pdf"
    );
}

#[test]
fn check_upload_applies_the_name_rules_first() {
    assert!(matches!(
        check_upload("../x.pdf", &pdf(), LIMIT),
        Err(UploadError::PathTraversal { .. })
    ));
    let checked = check_upload("tai_lieu/2025/qd.pdf", &pdf(), LIMIT).unwrap();
    assert_eq!(checked.file_name, "qd.pdf");
}

async fn new_store() -> (tempfile::TempDir, LocalDiskStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalDiskStore::open(dir.path()).await.unwrap();
    (dir, store)
}

#[tokio::test]
async fn an_accepted_upload_is_stored_under_its_hash() {
    let (dir, store) = new_store().await;
    let content = docx();
    let stored = receive_upload(&store, "Báo cáo.docx", &mut content.as_slice(), LIMIT)
        .await
        .unwrap();
    assert_eq!(stored.file_name, "Báo cáo.docx");
    assert_eq!(stored.kind, FileKind::Docx);
    assert_eq!(stored.blob.id, BlobId::of(&content));
    assert!(stored.blob.created);
    assert_eq!(store.get_bytes(&stored.blob.id).await.unwrap(), content);
    assert_eq!(
        files_under(dir.path()),
        vec![store.path_of(&stored.blob.id)]
    );
}

#[tokio::test]
async fn the_same_evidence_uploaded_under_two_names_is_stored_once() {
    let (dir, store) = new_store().await;
    let content = pdf();
    let first = receive_upload(&store, "a.pdf", &mut content.as_slice(), LIMIT)
        .await
        .unwrap();
    let second = receive_upload(&store, "b.pdf", &mut content.as_slice(), LIMIT)
        .await
        .unwrap();
    assert_eq!(first.blob.id, second.blob.id);
    assert_eq!(
        (first.file_name.as_str(), second.file_name.as_str()),
        ("a.pdf", "b.pdf")
    );
    assert!(!second.blob.created);
    assert_eq!(files_under(dir.path()).len(), 1);
}

#[tokio::test]
async fn refused_uploads_leave_the_store_empty() {
    let (dir, store) = new_store().await;
    let big = {
        let mut content = pdf();
        content.resize(usize::try_from(LIMIT).unwrap() + 10, b' ');
        content
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("hoa_don.pdf", exe()),
        ("so_lieu.xlsx", docx()),
        ("scan.pdf", big),
        ("trong.pdf", Vec::new()),
    ];
    for (name, content) in cases {
        let outcome = receive_upload(&store, name, &mut content.as_slice(), LIMIT).await;
        assert!(outcome.is_err(), "{name} should be refused");
    }
    let mut interrupted = InterruptedReader::new(pdf());
    let error = receive_upload(&store, "dang_tai.pdf", &mut interrupted, LIMIT)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "việc tải tệp \"dang_tai.pdf\" lên bị gián đoạn"
    );
    assert!(error.is_uploaders_fault());
    assert!(files_under(dir.path()).is_empty());
}

#[tokio::test]
async fn a_bad_name_is_refused_before_any_content_is_read() {
    let (dir, store) = new_store().await;
    for name in [
        "../../etc/passwd",
        "virus.exe",
        "khong_duoi",
        "a\u{202E}fdp.exe",
    ] {
        let outcome = receive_upload(&store, name, &mut UntouchableReader, LIMIT).await;
        assert!(outcome.is_err(), "{name:?} should be refused");
    }
    assert!(files_under(dir.path()).is_empty());
}

#[tokio::test]
async fn uploads_work_through_a_shared_trait_object() {
    let (_dir, store) = new_store().await;
    let store: std::sync::Arc<dyn BlobStore> = std::sync::Arc::new(store);
    let content = xlsx();
    let stored = receive_upload(&*store, "so_lieu.xlsx", &mut content.as_slice(), LIMIT)
        .await
        .unwrap();
    assert_eq!(stored.kind, FileKind::Xlsx);
    assert!(store.exists(&stored.blob.id).await.unwrap());
}

#[test]
fn the_file_one_over_the_request_limit_is_refused_and_nothing_before_it() {
    let mut budget = FileBudget::new(3, 100, 0);
    for _ in 0..3 {
        budget.admit().unwrap();
    }
    let error = budget.admit().unwrap_err();
    assert!(matches!(error, UploadError::TooManyFiles { limit: 3 }));
    assert!(error.is_uploaders_fault());
    assert_eq!(
        error.to_string(),
        "mỗi lần chỉ tải lên được tối đa 3 tệp; hãy chia thành nhiều lần"
    );
}

#[test]
fn a_leaf_holding_documents_has_room_only_for_the_rest_of_its_limit() {
    let mut budget = FileBudget::new(20, 50, 48);
    budget.admit().unwrap();
    budget.admit().unwrap();
    assert_eq!(budget.admitted(), 2);
    let error = budget.admit().unwrap_err();
    assert!(matches!(
        error,
        UploadError::LeafFull {
            limit: 50,
            held: 48
        }
    ));
    assert_eq!(
        error.to_string(),
        "mỗi tiêu chí có tối đa 50 tài liệu kiểm chứng; tiêu chí này đã có 48 tài liệu"
    );
}

#[test]
fn the_default_limits_are_twenty_per_request_and_fifty_per_leaf() {
    assert_eq!((MAX_FILES_PER_REQUEST, MAX_FILES_PER_LEAF), (20, 50));
    let mut budget = FileBudget::for_leaf(0);
    for _ in 0..MAX_FILES_PER_REQUEST {
        budget.admit().unwrap();
    }
    assert!(budget.admit().is_err());
    // Counting never wraps, however many parts a hostile body holds.
    let mut full = FileBudget::for_leaf(usize::MAX);
    assert!(full.admit().is_err());
}
