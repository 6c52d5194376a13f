//! Helpers shared by the robustness tests: the example files, workbooks built from CSV text,
//! opening and re-zipping XLSX packages, and peak memory of the test process.

#![allow(dead_code)]

use std::io::{Cursor, Read, Write};
use std::path::PathBuf;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// An example file shipped in `examples/`.
pub fn example(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples")
            .join(name),
    )
    .unwrap()
}

/// A workbook with one sheet per `(name, csv text)`: numbers written as numbers (a decimal
/// comma read as in the CSV examples), everything else as text, as a user's Excel file holds
/// them.
pub fn xlsx_from_csv(sheets: &[(&str, &str)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, text) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*name).unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        for (r, record) in reader.records().enumerate() {
            let record = record.unwrap();
            for (c, cell) in record.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                let number = cell.replace(',', ".").parse::<f64>().ok();
                match number {
                    Some(n) if !cell.is_empty() && !cell.contains('/') => {
                        sheet.write_number(r, c, n).unwrap();
                    }
                    _ if cell.is_empty() => {}
                    _ => {
                        sheet.write_string(r, c, cell).unwrap();
                    }
                }
            }
        }
    }
    book.save_to_buffer().unwrap()
}

/// The entries of a zip package, in order.
pub fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().unwrap().to_string(), data)
        })
        .collect()
}

/// A zip package of `entries`, deflated or stored.
pub fn rezip(entries: &[(String, Vec<u8>)], deflate: bool) -> Vec<u8> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let method = if deflate {
        CompressionMethod::Deflated
    } else {
        CompressionMethod::Stored
    };
    for (name, data) in entries {
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .large_file(data.len() as u64 >= u32::MAX as u64);
        w.start_file(name.as_str(), options).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Replaces (or adds) one entry of a package.
pub fn with_entry(bytes: &[u8], name: &str, data: Vec<u8>) -> Vec<u8> {
    let mut entries = unzip(bytes);
    match entries.iter_mut().find(|(n, _)| n == name) {
        Some(e) => e.1 = data,
        None => entries.push((name.to_owned(), data)),
    }
    rezip(&entries, true)
}

/// Peak resident memory of this process since the last [`reset_peak_rss`], in KiB
/// (`VmHWM`), or 0 where `/proc` does not say.
pub fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Resets the peak resident memory to the current one (Linux `clear_refs` value 5), so the
/// next [`peak_rss_kib`] measures what ran in between.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Runs `f` and returns its result with the peak resident memory while it ran, in MiB.
pub fn with_peak_mib<T>(f: impl FnOnce() -> T) -> (T, u64) {
    reset_peak_rss();
    let out = f();
    (out, peak_rss_kib() / 1024)
}
