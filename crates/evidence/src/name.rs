//! The display name of an uploaded file: cleaned once at upload ([`sanitize_file_name`]) and
//! written safely into the download response ([`content_disposition`]).
//!
//! The name is metadata only — storage paths come from the content hash — but it is shown to
//! other users and handed back to their browsers and operating systems, so directory parts,
//! `..`, control characters and bidirectional overrides (which make `hóa_đơn` + U+202E +
//! `fdp.exe` look like a PDF) are not allowed through. Vietnamese letters are kept, normalised to the composed
//! form (NFC) so the same name typed on different systems compares equal.

use unicode_normalization::UnicodeNormalization;

use crate::UploadError;

/// The longest display name accepted, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 200;

/// Cleans the name a browser sent for an upload into the name kept for downloads.
///
/// * Directory parts are dropped, whether written with `/` or `\` (`a/b/c.pdf` → `c.pdf`),
///   but any `..` part refuses the name (`../../etc/passwd`): such a name was crafted.
/// * Control characters and invisible direction/format marks are refused.
/// * Characters that Windows forbids in file names (`<>:"|?*`) become `_`, so the name can be
///   saved again as is.
/// * Surrounding spaces are trimmed; an empty result, `.`, or a name over
///   [`MAX_FILE_NAME_CHARS`] characters is refused.
pub fn sanitize_file_name(raw: &str) -> Result<String, UploadError> {
    let composed: String = raw.nfc().collect();
    if let Some(found) = composed.chars().find(|&c| is_forbidden_char(c)) {
        return Err(UploadError::ForbiddenCharacter {
            name: raw.to_owned(),
            found,
        });
    }
    let parts: Vec<&str> = composed.split(['/', '\\']).collect();
    if parts.iter().any(|part| part.trim() == "..") {
        return Err(UploadError::PathTraversal {
            name: raw.to_owned(),
        });
    }
    let last = parts.last().copied().unwrap_or_default();
    let cleaned: String = last
        .trim()
        .chars()
        .map(|c| if r#"<>:"|?*"#.contains(c) { '_' } else { c })
        .collect();
    if cleaned.is_empty() || cleaned.chars().all(|c| c == '.') {
        return Err(UploadError::EmptyName {
            name: raw.to_owned(),
        });
    }
    let chars = cleaned.chars().count();
    if chars > MAX_FILE_NAME_CHARS {
        return Err(UploadError::NameTooLong {
            chars,
            max: MAX_FILE_NAME_CHARS,
        });
    }
    Ok(cleaned)
}

/// Control characters, and format characters that are invisible yet change how a name reads:
/// bidirectional embeddings/overrides/isolates, zero-width characters, the BOM.
fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// The `Content-Disposition` header value that makes a browser save a download under `name`
/// (a name from [`sanitize_file_name`]): an ASCII fallback for old clients and the exact UTF-8
/// name in `filename*` (RFC 6266, RFC 8187), so "Báo cáo quý 1.pdf" keeps its accents.
#[must_use]
pub fn content_disposition(name: &str) -> String {
    let fallback: String = deunicode::deunicode(name)
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::with_capacity(name.len() * 3);
    for byte in name.bytes() {
        // RFC 8187 attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~"; everything else percent-encoded.
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_names_are_kept_and_composed() {
        assert_eq!(
            sanitize_file_name("Báo cáo tự chấm điểm năm 2025.pdf").unwrap(),
            "Báo cáo tự chấm điểm năm 2025.pdf"
        );
        // "ế" typed as e + combining circumflex + combining acute (as macOS sends it).
        let decomposed = "Quy\u{0065}\u{0302}\u{0301}t định.pdf";
        assert_eq!(sanitize_file_name(decomposed).unwrap(), "Quyết định.pdf");
    }

    #[test]
    fn windows_reserved_punctuation_becomes_underscore() {
        assert_eq!(
            sanitize_file_name(r#"a"b<c>:d|e?f*.pdf"#).unwrap(),
            "a_b_c__d_e_f_.pdf"
        );
    }

    #[test]
    fn direction_overrides_and_control_characters_are_refused() {
        assert!(matches!(
            sanitize_file_name("hoa_don\u{202E}fdp.exe"),
            Err(UploadError::ForbiddenCharacter {
                found: '\u{202E}',
                ..
            })
        ));
        assert!(matches!(
            sanitize_file_name("a\0.pdf"),
            Err(UploadError::ForbiddenCharacter { found: '\0', .. })
        ));
        assert!(matches!(
            sanitize_file_name("a\nb.pdf"),
            Err(UploadError::ForbiddenCharacter { .. })
        ));
    }

    #[test]
    fn empty_and_dot_only_names_are_refused() {
        for raw in ["", "   ", ".", "a/", "dir\\", "..."] {
            assert!(
                matches!(sanitize_file_name(raw), Err(UploadError::EmptyName { .. })),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn names_over_two_hundred_characters_are_refused() {
        let ok = format!("{}.pdf", "ệ".repeat(MAX_FILE_NAME_CHARS - 4));
        assert_eq!(sanitize_file_name(&ok).unwrap(), ok);
        let long = format!("{}.pdf", "ệ".repeat(MAX_FILE_NAME_CHARS - 3));
        assert!(matches!(
            sanitize_file_name(&long),
            Err(UploadError::NameTooLong { chars, max: MAX_FILE_NAME_CHARS })
                if chars == MAX_FILE_NAME_CHARS + 1
        ));
    }

    #[test]
    fn content_disposition_keeps_the_utf8_name_and_an_ascii_fallback() {
        assert_eq!(
            content_disposition("Báo cáo.pdf"),
            "attachment; filename=\"Bao cao.pdf\"; filename*=UTF-8''B%C3%A1o%20c%C3%A1o.pdf"
        );
    }
}
