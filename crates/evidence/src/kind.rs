//! What a file really is, judged by its content: the allow-list of evidence formats
//! ([`FileKind`]) and their detection ([`detect`]).
//!
//! A name's extension is a claim made by the uploader; the bytes are the fact. Detection reads
//! magic numbers for PDF, PNG and JPEG, the archive directory of ZIP files (an OOXML document is
//! a ZIP whose entries live under `word/` or `xl/` next to `[Content_Types].xml`), and the
//! stream names of legacy Office files (compound files holding `WordDocument` or `Workbook`).
//! Anything else is described in Vietnamese (with the `infer` crate's signatures) so that a
//! refusal can say what the file actually was. Archives are only listed, never decompressed, so
//! a ZIP bomb costs nothing here.

use std::borrow::Cow;
use std::fmt;
use std::io::Cursor;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A format accepted as evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// PDF document.
    Pdf,
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
    /// Word document (Office Open XML).
    Docx,
    /// Excel workbook (Office Open XML).
    Xlsx,
    /// ZIP archive.
    Zip,
    /// Word 97-2003 document (compound file).
    Doc,
    /// Excel 97-2003 workbook (compound file).
    Xls,
}

impl FileKind {
    /// Every accepted kind, in the order they are listed to users.
    pub const ALL: [Self; 8] = [
        Self::Pdf,
        Self::Png,
        Self::Jpeg,
        Self::Docx,
        Self::Xlsx,
        Self::Zip,
        Self::Doc,
        Self::Xls,
    ];

    /// The stable code used in storage and the API (`"pdf"`, `"docx"`, …).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Png => "png",
            Self::Jpeg => "jpeg",
            Self::Docx => "docx",
            Self::Xlsx => "xlsx",
            Self::Zip => "zip",
            Self::Doc => "doc",
            Self::Xls => "xls",
        }
    }

    /// The file name extensions (lowercase, without the dot) that claim this kind; the first is
    /// the usual one.
    #[must_use]
    pub const fn extensions(self) -> &'static [&'static str] {
        match self {
            Self::Pdf => &["pdf"],
            Self::Png => &["png"],
            Self::Jpeg => &["jpg", "jpeg"],
            Self::Docx => &["docx"],
            Self::Xlsx => &["xlsx"],
            Self::Zip => &["zip"],
            Self::Doc => &["doc"],
            Self::Xls => &["xls"],
        }
    }

    /// The kind an extension claims (case-insensitive, without the dot), if it is accepted.
    #[must_use]
    pub fn from_extension(extension: &str) -> Option<Self> {
        let extension = extension.to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|kind| kind.extensions().contains(&extension.as_str()))
    }

    /// The media type to send on download (with `X-Content-Type-Options: nosniff`).
    #[must_use]
    pub const fn mime(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Zip => "application/zip",
            Self::Doc => "application/msword",
            Self::Xls => "application/vnd.ms-excel",
        }
    }

    /// The Vietnamese name of the format, as used in messages.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Pdf => "PDF",
            Self::Png => "ảnh PNG",
            Self::Jpeg => "ảnh JPEG",
            Self::Docx => "văn bản Word (DOCX)",
            Self::Xlsx => "bảng tính Excel (XLSX)",
            Self::Zip => "tệp nén ZIP",
            Self::Doc => "văn bản Word 97-2003 (DOC)",
            Self::Xls => "bảng tính Excel 97-2003 (XLS)",
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for FileKind {
    type Err = UnknownFileKind;

    /// Parses the stable code written by [`FileKind::as_str`].
    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == code)
            .ok_or_else(|| UnknownFileKind(code.to_owned()))
    }
}

/// A stored kind code that is not one of [`FileKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("loại tệp không hợp lệ: {0:?}")]
pub struct UnknownFileKind(pub String);

/// What [`detect`] found in a file's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    kind: Option<FileKind>,
    description: Cow<'static, str>,
    zip_archive: bool,
}

impl Detected {
    fn kind(kind: FileKind) -> Self {
        Self {
            kind: Some(kind),
            description: Cow::Borrowed(kind.label()),
            zip_archive: matches!(kind, FileKind::Docx | FileKind::Xlsx | FileKind::Zip),
        }
    }

    fn other(description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind: None,
            description: description.into(),
            zip_archive: false,
        }
    }

    fn other_zip(description: &'static str) -> Self {
        Self {
            zip_archive: true,
            ..Self::other(description)
        }
    }

    /// The accepted kind the content is, if any.
    #[must_use]
    pub const fn file_kind(&self) -> Option<FileKind> {
        self.kind
    }

    /// Whether the content is a readable ZIP archive (plain, OOXML or another ZIP-based format).
    #[must_use]
    pub const fn is_zip_archive(&self) -> bool {
        self.zip_archive
    }

    /// A Vietnamese description of the content ("ảnh PNG", "chương trình Windows (EXE/DLL)"…).
    #[must_use]
    pub fn description(&self) -> &str {
        &self.description
    }
}

impl fmt::Display for Detected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description)
    }
}

const ZIP_LOCAL_HEADER: &[u8] = b"PK\x03\x04";
const ZIP_EMPTY_ARCHIVE: &[u8] = b"PK\x05\x06";
const PDF: &[u8] = b"%PDF-";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF];
const COMPOUND_FILE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Detects what `content` is. Give it the whole file: OOXML archives are told apart by their
/// directory, which sits at the end, and legacy Office files by their stream table.
#[must_use]
pub fn detect(content: &[u8]) -> Detected {
    if content.starts_with(ZIP_LOCAL_HEADER) || content.starts_with(ZIP_EMPTY_ARCHIVE) {
        detect_zip(content)
    } else if content.starts_with(PDF) {
        Detected::kind(FileKind::Pdf)
    } else if content.starts_with(PNG) {
        Detected::kind(FileKind::Png)
    } else if content.starts_with(JPEG) {
        Detected::kind(FileKind::Jpeg)
    } else if content.starts_with(COMPOUND_FILE) {
        detect_compound_file(content)
    } else if content.is_empty() {
        Detected::other("tệp rỗng")
    } else {
        infer::get(content).map_or_else(
            || Detected::other("văn bản thuần hoặc dữ liệu không rõ loại"),
            |found| Detected::other(describe_other(&found)),
        )
    }
}

/// Lists the archive's entries (no decompression) and reads OOXML structure from the names.
fn detect_zip(content: &[u8]) -> Detected {
    let Ok(archive) = zip::ZipArchive::new(Cursor::new(content)) else {
        return Detected::other("dữ liệu ZIP bị hỏng, không đọc được danh mục tệp");
    };
    let names: Vec<&[u8]> = archive.file_names_raw().collect();
    let has = |prefix: &[u8]| names.iter().any(|name| name.starts_with(prefix));
    if !has(b"[Content_Types].xml") {
        return Detected::kind(FileKind::Zip);
    }
    // Macro projects cannot be saved in a .docx/.xlsx; their presence means a renamed
    // .docm/.xlsm, a classic carrier of malware.
    let macros = names.iter().any(|name| name.ends_with(b"vbaProject.bin"));
    match (has(b"word/"), has(b"xl/"), has(b"ppt/")) {
        (true, false, false) if macros => Detected::other_zip("văn bản Word có macro (DOCM)"),
        (true, false, false) => Detected::kind(FileKind::Docx),
        (false, true, false) if macros => Detected::other_zip("bảng tính Excel có macro (XLSM)"),
        (false, true, false) => Detected::kind(FileKind::Xlsx),
        (false, false, true) => Detected::other_zip("bản trình chiếu PowerPoint (PPTX)"),
        _ => Detected::kind(FileKind::Zip),
    }
}

/// Reads the stream table of a compound file: Word keeps its text in `WordDocument`, Excel its
/// sheets in `Workbook` (`Book` before Excel 97).
fn detect_compound_file(content: &[u8]) -> Detected {
    let Ok(file) = cfb::CompoundFile::open(Cursor::new(content)) else {
        return Detected::other("tệp Office 97-2003 bị hỏng");
    };
    if file.is_stream("/WordDocument") {
        if file.exists("/Macros") {
            Detected::other("văn bản Word 97-2003 có macro")
        } else {
            Detected::kind(FileKind::Doc)
        }
    } else if file.is_stream("/Workbook") || file.is_stream("/Book") {
        if file.exists("/_VBA_PROJECT_CUR") {
            Detected::other("bảng tính Excel 97-2003 có macro")
        } else {
            Detected::kind(FileKind::Xls)
        }
    } else if file.is_stream("/PowerPoint Document") {
        Detected::other("bản trình chiếu PowerPoint 97-2003 (PPT)")
    } else {
        Detected::other("tệp Microsoft OLE khác (không phải DOC hay XLS)")
    }
}

/// Says in Vietnamese what a refused format is, so the uploader understands the refusal.
fn describe_other(found: &infer::Type) -> String {
    let extension = found.extension().to_uppercase();
    match found.mime_type() {
        "application/vnd.microsoft.portable-executable" => {
            "chương trình Windows (EXE/DLL)".to_owned()
        }
        "application/x-executable" => "chương trình Linux (ELF)".to_owned(),
        "application/x-mach-binary" => "chương trình macOS (Mach-O)".to_owned(),
        "text/html" => "trang web HTML".to_owned(),
        "text/xml" => "dữ liệu XML".to_owned(),
        "text/x-shellscript" => "tập lệnh shell".to_owned(),
        _ => match found.matcher_type() {
            infer::MatcherType::Image => format!("ảnh {extension}"),
            infer::MatcherType::Video => format!("video {extension}"),
            infer::MatcherType::Audio => format!("âm thanh {extension}"),
            infer::MatcherType::Archive => format!("tệp nén {extension}"),
            infer::MatcherType::App => format!("chương trình hoặc thư viện ({extension})"),
            infer::MatcherType::Font => format!("phông chữ {extension}"),
            infer::MatcherType::Book => format!("sách điện tử {extension}"),
            infer::MatcherType::Doc | infer::MatcherType::Text | infer::MatcherType::Custom => {
                format!("tệp {extension} ({})", found.mime_type())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_map_to_kinds_case_insensitively() {
        assert_eq!(FileKind::from_extension("PDF"), Some(FileKind::Pdf));
        assert_eq!(FileKind::from_extension("jpg"), Some(FileKind::Jpeg));
        assert_eq!(FileKind::from_extension("Jpeg"), Some(FileKind::Jpeg));
        assert_eq!(FileKind::from_extension("exe"), None);
        assert_eq!(FileKind::from_extension(""), None);
    }

    #[test]
    fn kind_codes_round_trip() {
        for kind in FileKind::ALL {
            assert_eq!(kind.as_str().parse::<FileKind>(), Ok(kind));
        }
        assert!("pptx".parse::<FileKind>().is_err());
    }

    #[test]
    fn magic_numbers_identify_pdf_png_and_jpeg() {
        assert_eq!(detect(b"%PDF-1.7\n").file_kind(), Some(FileKind::Pdf));
        assert_eq!(
            detect(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").file_kind(),
            Some(FileKind::Png)
        );
        assert_eq!(
            detect(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F']).file_kind(),
            Some(FileKind::Jpeg)
        );
    }

    #[test]
    fn executables_and_web_pages_are_described_in_vietnamese() {
        let exe = detect(b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff");
        assert_eq!(exe.file_kind(), None);
        assert_eq!(exe.description(), "chương trình Windows (EXE/DLL)");
        let html = detect(b"<html><body>x</body></html>");
        assert_eq!(html.description(), "trang web HTML");
        let text = detect(b"just some text");
        assert_eq!(
            text.description(),
            "văn bản thuần hoặc dữ liệu không rõ loại"
        );
    }

    #[test]
    fn a_truncated_zip_is_reported_as_damaged() {
        let found = detect(b"PK\x03\x04garbage");
        assert_eq!(found.file_kind(), None);
        assert!(!found.is_zip_archive());
        assert!(found.description().contains("ZIP bị hỏng"));
    }
}
