//! File-system errors in words a user reads: the operating system's messages are English
//! ("No such file or directory (os error 2)"); messages that name a file say in Vietnamese
//! what is wrong with it, once.

use std::io::{Error, ErrorKind};
use std::path::Path;

/// What was being done to the file when the error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// The whole message for `error` on `path`, e.g. "không có tệp scores.csv" or "không đủ quyền
/// ghi vào /var/kq.csv".
pub fn describe(error: &Error, path: &Path, access: Access) -> String {
    let p = path.display();
    match (error.kind(), access) {
        (ErrorKind::NotFound, Access::Read) => format!("không có tệp {p}"),
        (ErrorKind::NotFound, Access::Write) => {
            format!("không ghi được {p}: thư mục chứa tệp không tồn tại")
        }
        (ErrorKind::PermissionDenied, Access::Read) => format!("không đủ quyền đọc {p}"),
        (ErrorKind::PermissionDenied, Access::Write) => format!("không đủ quyền ghi vào {p}"),
        (ErrorKind::IsADirectory, _) => format!("{p} là thư mục, không phải tệp"),
        (ErrorKind::NotADirectory, _) => {
            format!("đường dẫn {p} không hợp lệ: một phần của nó là tệp, không phải thư mục")
        }
        (ErrorKind::StorageFull, _) => format!("hết chỗ trên đĩa khi ghi {p}"),
        (ErrorKind::ReadOnlyFilesystem, _) => {
            format!("không ghi được {p}: ổ đĩa chỉ cho phép đọc")
        }
        (kind, Access::Read) => format!("không đọc được {p}: {}", kind_text(error, kind)),
        (kind, Access::Write) => format!("không ghi được {p}: {}", kind_text(error, kind)),
    }
}

/// The reason alone, for an error whose file is already named by the message around it.
pub fn reason(error: &Error) -> String {
    kind_text(error, error.kind())
}

fn kind_text(error: &Error, kind: ErrorKind) -> String {
    let text = match kind {
        ErrorKind::NotFound => "không tồn tại",
        ErrorKind::PermissionDenied => "không đủ quyền truy cập",
        ErrorKind::AlreadyExists => "đã tồn tại",
        ErrorKind::IsADirectory => "là thư mục, không phải tệp",
        ErrorKind::NotADirectory => "một phần của đường dẫn là tệp, không phải thư mục",
        ErrorKind::DirectoryNotEmpty => "thư mục không trống",
        ErrorKind::StorageFull => "hết chỗ trên đĩa",
        ErrorKind::ReadOnlyFilesystem => "ổ đĩa chỉ cho phép đọc",
        ErrorKind::InvalidFilename => "tên tệp không hợp lệ",
        ErrorKind::InvalidData => "nội dung không đọc được",
        ErrorKind::UnexpectedEof => "tệp bị cắt cụt",
        ErrorKind::Interrupted => "bị ngắt giữa chừng",
        ErrorKind::TimedOut => "quá thời gian chờ",
        ErrorKind::ConnectionRefused => "máy chủ từ chối kết nối",
        ErrorKind::AddrInUse => "địa chỉ đã được dùng",
        ErrorKind::AddrNotAvailable => "địa chỉ không dùng được trên máy này",
        // The code identifies the cause for an administrator without English text.
        _ => {
            return match error.raw_os_error() {
                Some(code) => format!("lỗi hệ thống (mã {code})"),
                None => "lỗi vào/ra".to_owned(),
            };
        }
    };
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_named_in_vietnamese_without_the_os_text() {
        let e = std::fs::read("/khong/co/tep.csv").unwrap_err();
        let msg = describe(&e, Path::new("/khong/co/tep.csv"), Access::Read);
        assert_eq!(msg, "không có tệp /khong/co/tep.csv");
        assert!(!msg.contains("os error"));
    }

    #[test]
    fn a_file_without_permission_says_which_access_is_missing() {
        let e = Error::from(ErrorKind::PermissionDenied);
        let p = Path::new("/srv/kq.csv");
        assert_eq!(
            describe(&e, p, Access::Read),
            "không đủ quyền đọc /srv/kq.csv"
        );
        assert_eq!(
            describe(&e, p, Access::Write),
            "không đủ quyền ghi vào /srv/kq.csv"
        );
    }

    #[test]
    fn an_unlisted_kind_gives_the_system_code_not_english() {
        let e = Error::from_raw_os_error(5);
        let msg = describe(&e, Path::new("a.csv"), Access::Write);
        assert_eq!(msg, "không ghi được a.csv: lỗi hệ thống (mã 5)");
    }
}
