//! `COPY … FROM STDIN` on PostgreSQL for bulk writes: rows are written in COPY's text format
//! into a buffer that is sent to the server every [`FLUSH_BYTES`], so a half-million-row
//! import streams through a bounded buffer in one statement instead of thousands of
//! multi-row `INSERT`s. The rows are part of the caller's transaction like any other write.

use serde::Serialize;
use sqlx::PgConnection;
use sqlx::postgres::PgCopyIn;

use crate::StoreError;

/// Bytes gathered before they are sent to the server.
const FLUSH_BYTES: usize = 1 << 20;

/// A `COPY … FROM STDIN` in progress. [`CopyIn::finish`] must end it; dropped unfinished,
/// the connection reports an error on its next use and the transaction rolls back.
pub(crate) struct CopyIn<'c> {
    copy: PgCopyIn<&'c mut PgConnection>,
    row: Row,
}

/// The row being written: fields separated by tabs, in the statement's column order.
pub(crate) struct Row {
    buf: Vec<u8>,
    fields: usize,
}

impl<'c> CopyIn<'c> {
    /// Starts `statement` (a `COPY table (columns) FROM STDIN`, text format).
    pub(crate) async fn begin(
        conn: &'c mut PgConnection,
        statement: &str,
    ) -> Result<CopyIn<'c>, StoreError> {
        let copy = conn
            .copy_in_raw(statement)
            .await
            .map_err(StoreError::from)?;
        Ok(CopyIn {
            copy,
            row: Row {
                buf: Vec::with_capacity(FLUSH_BYTES + 4096),
                fields: 0,
            },
        })
    }

    /// The row to fill with the next fields.
    pub(crate) fn row(&mut self) -> &mut Row {
        &mut self.row
    }

    /// Ends the current row, sending the buffer when it is full.
    pub(crate) async fn end_row(&mut self) -> Result<(), StoreError> {
        self.row.buf.push(b'\n');
        self.row.fields = 0;
        if self.row.buf.len() >= FLUSH_BYTES {
            self.copy
                .send(self.row.buf.as_slice())
                .await
                .map_err(StoreError::from)?;
            self.row.buf.clear();
        }
        Ok(())
    }

    /// Sends what is left and ends the statement; the number of rows written.
    pub(crate) async fn finish(mut self) -> Result<u64, StoreError> {
        if !self.row.buf.is_empty() {
            self.copy
                .send(self.row.buf.as_slice())
                .await
                .map_err(StoreError::from)?;
        }
        self.copy.finish().await.map_err(StoreError::from)
    }
}

impl Row {
    fn separate(&mut self) {
        if self.fields > 0 {
            self.buf.push(b'\t');
        }
        self.fields += 1;
    }

    /// A text field, escaped as COPY's text format requires (backslash, tab, newline,
    /// carriage return).
    pub(crate) fn text(&mut self, s: &str) {
        self.separate();
        for &b in s.as_bytes() {
            match b {
                b'\\' => self.buf.extend_from_slice(b"\\\\"),
                b'\t' => self.buf.extend_from_slice(b"\\t"),
                b'\n' => self.buf.extend_from_slice(b"\\n"),
                b'\r' => self.buf.extend_from_slice(b"\\r"),
                _ => self.buf.push(b),
            }
        }
    }

    /// A text field or NULL.
    pub(crate) fn opt_text(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.text(s),
            None => {
                self.separate();
                self.buf.extend_from_slice(b"\\N");
            }
        }
    }

    /// An integer field.
    pub(crate) fn int(&mut self, n: i64) {
        self.separate();
        self.buf.extend_from_slice(n.to_string().as_bytes());
    }

    /// An integer field or NULL.
    pub(crate) fn opt_int(&mut self, n: Option<i64>) {
        match n {
            Some(n) => self.int(n),
            None => self.opt_text(None),
        }
    }

    /// A JSON field (`json`/`jsonb` column) holding `value` serialised, or NULL.
    pub(crate) fn json<T: Serialize>(&mut self, value: Option<T>) -> Result<(), StoreError> {
        match value {
            Some(v) => {
                let text = serde_json::to_string(&v)
                    .map_err(|e| StoreError::Corrupt(format!("JSON: {e}")))?;
                self.text(&text);
            }
            None => self.opt_text(None),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> Row {
        Row {
            buf: Vec::new(),
            fields: 0,
        }
    }

    #[test]
    fn fields_are_tab_separated_and_special_characters_escaped() {
        let mut r = row();
        r.text("a\tb\\c\nd\re");
        r.opt_text(None);
        r.int(-7);
        r.json(Some(serde_json::json!({"k": "x\ty"}))).unwrap();
        assert_eq!(
            String::from_utf8(r.buf).unwrap(),
            "a\\tb\\\\c\\nd\\re\t\\N\t-7\t{\"k\":\"x\\\\ty\"}"
        );
    }
}
