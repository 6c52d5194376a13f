//! Helpers shared by the integration tests: walking a store's directory, building small
//! Office files in memory, and readers that misbehave like real networks do.

#![allow(dead_code)]

use std::io::{self, Cursor, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};

/// Every regular file under `root`, recursively (directories themselves are not listed).
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                pending.push(entry.path());
            } else {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    found
}

/// A ZIP archive holding the named entries (tiny contents, stored uncompressed).
pub fn zip_with(entries: &[&str]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for name in entries {
        writer.start_file(*name, options).unwrap();
        writer.write_all(b"<x/>").unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// The entries of a minimal Word document.
pub fn docx() -> Vec<u8> {
    zip_with(&[
        "[Content_Types].xml",
        "_rels/.rels",
        "word/document.xml",
        "word/_rels/document.xml.rels",
        "docProps/core.xml",
    ])
}

/// The entries of a minimal Excel workbook.
pub fn xlsx() -> Vec<u8> {
    zip_with(&[
        "[Content_Types].xml",
        "_rels/.rels",
        "xl/workbook.xml",
        "xl/worksheets/sheet1.xml",
        "docProps/core.xml",
    ])
}

/// A compound file (Office 97-2003 container) holding the named streams.
pub fn compound_file(streams: &[&str]) -> Vec<u8> {
    let mut file = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
    for name in streams {
        let mut stream = file.create_stream(name).unwrap();
        stream.write_all(&[0_u8; 600]).unwrap();
    }
    file.flush().unwrap();
    file.into_inner().into_inner()
}

/// The start of a Windows executable.
pub fn exe() -> Vec<u8> {
    let mut bytes = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    bytes.resize(512, 0);
    bytes
}

/// A small PDF.
pub fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

/// Deterministic filler bytes.
pub fn bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Yields `good` bytes in small chunks, then fails as a dropped connection does.
#[derive(Debug)]
pub struct InterruptedReader {
    remaining: Vec<u8>,
}

impl InterruptedReader {
    pub fn new(good: Vec<u8>) -> Self {
        Self { remaining: good }
    }
}

impl AsyncRead for InterruptedReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.remaining.is_empty() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "connection reset by peer",
            )));
        }
        let n = self.remaining.len().min(buf.remaining()).min(4096);
        let chunk: Vec<u8> = self.remaining.drain(..n).collect();
        buf.put_slice(&chunk);
        Poll::Ready(Ok(()))
    }
}

/// Yields `first` bytes, then never anything again (a client that stalled).
#[derive(Debug)]
pub struct StalledReader {
    first: Option<Vec<u8>>,
}

impl StalledReader {
    pub fn new(first: Vec<u8>) -> Self {
        Self { first: Some(first) }
    }
}

impl AsyncRead for StalledReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.first.take() {
            Some(first) => {
                buf.put_slice(&first[..first.len().min(buf.remaining())]);
                Poll::Ready(Ok(()))
            }
            None => Poll::Pending,
        }
    }
}

/// Fails the test if read at all.
#[derive(Debug)]
pub struct UntouchableReader;

impl AsyncRead for UntouchableReader {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        _buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        panic!("the upload should have been refused before reading its content");
    }
}
