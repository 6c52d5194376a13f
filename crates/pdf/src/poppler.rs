//! Reading a PDF back with poppler-utils (`pdftotext`, `pdffonts`, `pdftoppm`), so that tests
//! check what a reader of the file sees: the text with its diacritics, the fonts embedded,
//! the first page as a picture. Only built with the `poppler` feature, which tests enable;
//! the programs are required there (CI installs poppler-utils), never skipped.

use std::path::Path;
use std::process::Command;

/// A font of a PDF as `pdffonts` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FontRow {
    /// The font's name (`ABCDEF+NotoSans-Regular`).
    pub name: String,
    /// Whether the font is embedded in the file.
    pub embedded: bool,
}

fn with_file<T>(pdf: &[u8], f: impl FnOnce(&Path) -> T) -> T {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, pdf).expect("the PDF written to a temporary file");
    f(&path)
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?} could not start ({e}): install poppler-utils"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("poppler writes UTF-8")
}

/// The text of every page, in reading order (`pdftotext`, UTF-8).
pub fn pages_text(pdf: &[u8]) -> Vec<String> {
    let text = with_file(pdf, |path| {
        run(Command::new("pdftotext")
            .args(["-enc", "UTF-8"])
            .arg(path)
            .arg("-"))
    });
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

/// The text of the whole document with every run of whitespace made one space, so that a
/// phrase is found however a table cell wrapped it.
pub fn text(pdf: &[u8]) -> String {
    pages_text(pdf)
        .join("\n")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The fonts of the document (`pdffonts`).
pub fn fonts(pdf: &[u8]) -> Vec<FontRow> {
    let listing = with_file(pdf, |path| run(Command::new("pdffonts").arg(path)));
    let mut lines = listing.lines();
    let header = lines.next().unwrap_or_default();
    let emb = header.find(" emb ").map(|i| i + 1).expect("an emb column");
    lines
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| FontRow {
            name: l.split_whitespace().next().unwrap_or_default().to_owned(),
            embedded: l.get(emb..emb + 3) == Some("yes"),
        })
        .collect()
}

/// Writes the first page of the document as a PNG at `dpi` to `out` (`pdftoppm`).
pub fn first_page_png(pdf: &[u8], dpi: u32, out: &Path) {
    with_file(pdf, |path| {
        let prefix = out.with_extension("");
        run(Command::new("pdftoppm")
            .args(["-png", "-singlefile", "-f", "1", "-l", "1", "-r"])
            .arg(dpi.to_string())
            .arg(path)
            .arg(&prefix));
    });
}
