//! Results of a period as files: written as CSV, XLSX and JSON (one row per unit), and read
//! back as the previous period's results for deltas and streaks; the official workbook of a
//! period; one unit's result as files; and the names such files are saved under.

mod official;
mod read;
mod unit;
mod write;

pub use official::{OfficialGroup, OfficialWorkbook, official_xlsx};
pub use read::{read_results, read_results_bytes};
pub use unit::{BreakdownRow, UnitFile, unit_breakdown, unit_csv, unit_json, unit_xlsx};
pub use write::{
    previous_csv, results_csv, results_json, results_xlsx, write_previous_csv, write_results,
};

/// The longest slug of a file name, so a long group or unit name keeps names manageable.
const SLUG_MAX: usize = 80;

/// A name as a piece of a file name: without diacritics (đ → d), lower case, words joined by
/// `-`, at most 80 characters: "UBND cấp xã" → `ubnd-cap-xa`.
pub fn file_slug(name: &str) -> String {
    let ascii = deunicode::deunicode(name).to_lowercase();
    let mut out = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out: String = out.chars().take(SLUG_MAX).collect();
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::file_slug;

    #[test]
    fn slugs_drop_diacritics_and_join_words_with_dashes() {
        assert_eq!(file_slug("UBND cấp xã"), "ubnd-cap-xa");
        assert_eq!(file_slug("Sở, ban, ngành"), "so-ban-nganh");
        assert_eq!(file_slug("Đặc khu Phú Quốc"), "dac-khu-phu-quoc");
        assert_eq!(
            file_slug("  Sở Khoa học & Công nghệ  "),
            "so-khoa-hoc-cong-nghe"
        );
        assert_eq!(file_slug("***"), "");
        assert!(file_slug(&"Xã ".repeat(100)).len() <= 80);
    }
}
