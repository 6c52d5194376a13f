//! How a failed command's error reaches the terminal: the message and each cause once, with
//! the operating system's English file and network errors put into Vietnamese.

use crate::io_text;

/// The error and its causes joined by ": ", skipping a cause whose text the message already
/// holds (a wrapper that prints its source would otherwise repeat it), and replacing each
/// English I/O error text ("No such file or directory (os error 2)") by its Vietnamese reason.
pub fn message(error: &anyhow::Error) -> String {
    let mut out = String::new();
    let mut io_texts = Vec::new();
    for cause in error.chain() {
        let text = match cause.downcast_ref::<std::io::Error>() {
            Some(io) => {
                io_texts.push((io.to_string(), io_text::reason(io)));
                io_text::reason(io)
            }
            None => cause.to_string(),
        };
        if text.is_empty() || out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    // A cause that printed its I/O source itself (e.g. a database driver error).
    for (english, vietnamese) in io_texts {
        if out.contains(&english) {
            out = out.replace(&english, &vietnamese);
        }
    }
    dedup_repeats(&out)
}

/// Drops a ": "-separated part equal to the part before it ("x: y: y" → "x: y").
fn dedup_repeats(text: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in text.split(": ") {
        if parts.last() != Some(&part) {
            parts.push(part);
        }
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn a_context_over_an_io_error_prints_each_part_once_in_vietnamese() {
        let e = std::fs::read("/khong/co/thu-muc/x.csv")
            .context("không tạo được thư mục dữ liệu /khong/co")
            .unwrap_err();
        assert_eq!(
            message(&e),
            "không tạo được thư mục dữ liệu /khong/co: không tồn tại"
        );
    }

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        #[derive(Debug, thiserror::Error)]
        #[error("lỗi cơ sở dữ liệu: {0}")]
        struct Wrapper(#[source] std::io::Error);
        let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let e = anyhow::Error::new(Wrapper(io)).context("không kết nối được cơ sở dữ liệu");
        let msg = message(&e);
        assert_eq!(
            msg,
            "không kết nối được cơ sở dữ liệu: lỗi cơ sở dữ liệu: máy chủ từ chối kết nối"
        );
    }
}
