//! Sizes written for people, the way Vietnamese users read them ("20 MB", "1,5 MB"): used in the
//! messages that refuse an upload, so the limit a user sees is the limit configured.

const KB: u64 = 1024;
const MB: u64 = 1024 * KB;
const GB: u64 = 1024 * MB;

/// Writes a size in bytes with the largest unit that keeps it readable, binary multiples
/// (1 MB = 1 048 576 bytes, as operating systems show file sizes), at most one decimal, decimal
/// comma: `20 MB`, `1,5 MB`, `512 KB`, `900 byte`.
#[must_use]
pub fn format_size(bytes: u64) -> String {
    for (unit, name) in [(GB, "GB"), (MB, "MB"), (KB, "KB")] {
        if bytes >= unit {
            // Tenths of the unit, rounded down so that a limit is never shown larger than it is.
            let tenths = u128::from(bytes) * 10 / u128::from(unit);
            let (whole, tenth) = (tenths / 10, tenths % 10);
            return if tenth == 0 {
                format!("{whole} {name}")
            } else {
                format!("{whole},{tenth} {name}")
            };
        }
    }
    format!("{bytes} byte")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_written_with_a_decimal_comma_and_binary_units() {
        assert_eq!(format_size(20 * MB), "20 MB");
        assert_eq!(format_size(MB + MB / 2), "1,5 MB");
        assert_eq!(format_size(512 * KB), "512 KB");
        assert_eq!(format_size(900), "900 byte");
        assert_eq!(format_size(2 * GB), "2 GB");
        assert_eq!(format_size(20 * MB - 1), "19,9 MB");
    }
}
