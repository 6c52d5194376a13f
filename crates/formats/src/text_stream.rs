//! Text files read as a stream: the byte order mark recognised (UTF-8, or UTF-16 as Excel's
//! "Unicode text" writes it) and the text decoded to UTF-8 on the fly, so the CSV readers of
//! large files (answers, scores) never hold a whole file or a decoded copy of it.

use std::io::{self, Cursor, Read};

use crate::codes;
use crate::error::{ImportError, Problem};

/// The problem of a read that failed: text that does not decode, or the system's error.
pub(crate) fn csv_io(
    file: &str,
    encoding: &'static encoding_rs::Encoding,
    e: &io::Error,
) -> ImportError {
    if e.kind() == io::ErrorKind::InvalidData {
        ImportError::file(
            file,
            Problem::new(codes::ENCODING_INVALID).arg("encoding", encoding.name()),
        )
    } else {
        ImportError::file(file, Problem::new(codes::FILE_UNREADABLE).arg("error", e))
    }
}

/// The text of a file as a UTF-8 stream: a UTF-8 byte order mark dropped, UTF-16 with a byte
/// order mark (Excel's "Unicode text") decoded on the fly; also the encoding and the length of
/// the mark.
pub(crate) fn decoded<'r>(
    mut input: impl Read + 'r,
) -> io::Result<(Box<dyn Read + 'r>, &'static encoding_rs::Encoding, u64)> {
    let mut head = [0u8; 3];
    let mut got = 0;
    while got < head.len() {
        match input.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let (encoding, bom) =
        encoding_rs::Encoding::for_bom(&head[..got]).unwrap_or((encoding_rs::UTF_8, 0));
    let rest = Cursor::new(head[bom..got].to_vec()).chain(input);
    if encoding == encoding_rs::UTF_8 {
        return Ok((Box::new(rest), encoding, bom as u64));
    }
    Ok((
        Box::new(Decode {
            inner: rest,
            decoder: encoding.new_decoder_without_bom_handling(),
            input: vec![0; 1 << 13],
            start: 0,
            end: 0,
            eof: false,
            done: false,
            out: vec![0; 1 << 15],
            out_start: 0,
            out_end: 0,
        }),
        encoding,
        bom as u64,
    ))
}

/// A stream decoded to UTF-8 as it is read; malformed text is an `InvalidData` error.
struct Decode<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    done: bool,
    out: Vec<u8>,
    out_start: usize,
    out_end: usize,
}

impl<R: Read> Read for Decode<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_start < self.out_end {
                let n = buf.len().min(self.out_end - self.out_start);
                buf[..n].copy_from_slice(&self.out[self.out_start..self.out_start + n]);
                self.out_start += n;
                return Ok(n);
            }
            if self.done {
                return Ok(0);
            }
            if self.start == self.end && !self.eof {
                let n = self.inner.read(&mut self.input)?;
                self.start = 0;
                self.end = n;
                self.eof = n == 0;
            }
            let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.input[self.start..self.end],
                &mut self.out,
                self.eof,
            );
            self.start += read;
            self.out_start = 0;
            self.out_end = written;
            match result {
                encoding_rs::DecoderResult::InputEmpty => self.done = self.eof,
                encoding_rs::DecoderResult::OutputFull => {}
                encoding_rs::DecoderResult::Malformed(..) => {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "malformed text"));
                }
            }
        }
    }
}
