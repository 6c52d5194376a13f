//! Identifier newtypes. Every typed concept is parsed once at the boundary (files, forms, API)
//! so nothing below it handles a raw `String` that might be a unit code or a criterion code.

use std::fmt;

use arrayvec::ArrayString;

use serde::{Deserialize, Serialize};

/// Why a string is not a valid identifier; the message is shown to users (Vietnamese first).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("giá trị trống")]
    Empty,
    #[error("mã \"{0}\" chứa ký tự không hợp lệ (chỉ dùng chữ, số, '-', '_', '.')")]
    BadChars(String),
    #[error("mã tiêu chí \"{0}\" không đúng dạng số phân cấp như 1, 1.2, 1.2.3")]
    BadNodeCode(String),
    #[error("\"{0}\" quá dài (tối đa {1} ký tự)")]
    TooLong(String, usize),
}

macro_rules! code_newtype {
    ($(#[$meta:meta])* $name:ident, $max:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses a code: trimmed, non-empty, letters/digits/`-`/`_`/`.` only.
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                let s = raw.trim();
                if s.is_empty() {
                    return Err(IdError::Empty);
                }
                if s.chars().count() > $max {
                    return Err(IdError::TooLong(s.to_owned(), $max));
                }
                if !s.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.')) {
                    return Err(IdError::BadChars(s.to_owned()));
                }
                Ok(Self(s.to_owned()))
            }

            /// The code as written.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

code_newtype!(
    /// Code of a unit (đơn vị), e.g. `SNV` or `XA-TAN-AN`; stable across periods.
    UnitCode, 64
);
code_newtype!(
    /// Code of an index set (bộ chỉ số), e.g. `XA-2024`.
    SetCode, 64
);
code_newtype!(
    /// Code of an assessment period (kỳ đánh giá), usually the year: `2024`.
    PeriodCode, 32
);

/// Code of a node of an index set: dot-separated positive integers (`1`, `1.2`, `1.2.3`).
/// A child's code extends its parent's by one segment, so the tree can be checked from codes.
///
/// Kept inline in a fixed buffer of [`NodeCode::MAX_LEN`] bytes (codes are short ASCII):
/// every unit's result repeats every code of the set, so a clone is a plain copy and dropping
/// half a million of them in a national computation costs nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NodeCode(ArrayString<{ NodeCode::MAX_LEN }>);

impl NodeCode {
    /// The longest code accepted (`1.2.3.4.5.6.7.8.9.10` is 20 characters; real sets use 4
    /// levels at most).
    pub const MAX_LEN: usize = 20;

    /// Parses `1`, `1.2`, `1.2.3` (segments are digits, optionally followed by one letter
    /// such as `3a` as some sets number them).
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let s = raw.trim().trim_end_matches('.');
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        if s.len() > Self::MAX_LEN {
            return Err(IdError::TooLong(s.to_owned(), Self::MAX_LEN));
        }
        let ok = s.split('.').all(|seg| {
            let digits = seg.trim_end_matches(|c: char| c.is_ascii_lowercase());
            !digits.is_empty()
                && digits.chars().all(|c| c.is_ascii_digit())
                && seg.len() - digits.len() <= 1
        });
        if !ok {
            return Err(IdError::BadNodeCode(s.to_owned()));
        }
        ArrayString::from(s)
            .map(Self)
            .map_err(|_| IdError::TooLong(s.to_owned(), Self::MAX_LEN))
    }

    /// The code as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Depth in the tree: `1` → 1, `1.2` → 2.
    pub fn depth(&self) -> usize {
        self.0.split('.').count()
    }

    /// The parent's code (`1.2.3` → `1.2`), `None` for an area.
    pub fn parent(&self) -> Option<NodeCode> {
        self.0
            .rsplit_once('.')
            .and_then(|(p, _)| ArrayString::from(p).ok())
            .map(NodeCode)
    }

    /// Segment-wise key so that `1.10` sorts after `1.9`.
    pub fn sort_key(&self) -> Vec<(u32, String)> {
        self.0
            .split('.')
            .map(|seg| {
                let digits: String = seg.chars().take_while(char::is_ascii_digit).collect();
                let rest: String = seg.chars().skip(digits.len()).collect();
                (digits.parse().unwrap_or(u32::MAX), rest)
            })
            .collect()
    }
}

impl PartialOrd for NodeCode {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// One segment's part of [`NodeCode::sort_key`], borrowed instead of allocated.
fn segment_key(seg: &str) -> (u32, &str) {
    let n = seg.bytes().take_while(u8::is_ascii_digit).count();
    (seg[..n].parse().unwrap_or(u32::MAX), &seg[n..])
}

impl Ord for NodeCode {
    /// The order of [`NodeCode::sort_key`], without allocating (codes are sorted often).
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0
            .split('.')
            .map(segment_key)
            .cmp(other.0.split('.').map(segment_key))
    }
}

impl fmt::Display for NodeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for NodeCode {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<NodeCode> for String {
    fn from(value: NodeCode) -> Self {
        value.0.as_str().to_owned()
    }
}

/// Code of a grade of a graded leaf (`XS`, `T`, `HT`, `KHT`), as a unit's input carries it.
/// Inline like [`NodeCode`]: inputs are copied into every unit's result, and a heap string per
/// graded leaf would be an allocation and a free per unit and leaf.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GradeCode(ArrayString<{ GradeCode::CAPACITY }>);

impl GradeCode {
    /// The longest grade code accepted, in characters (codes are abbreviations such as
    /// `HTXS`; the label carries the words).
    pub const MAX_CHARS: usize = 7;
    /// Bytes for [`Self::MAX_CHARS`] characters of any script.
    const CAPACITY: usize = 4 * Self::MAX_CHARS;

    /// Parses a trimmed, non-empty code of at most [`Self::MAX_CHARS`] characters.
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(IdError::TooLong(s.to_owned(), Self::MAX_CHARS));
        }
        ArrayString::from(s)
            .map(Self)
            .map_err(|_| IdError::TooLong(s.to_owned(), Self::MAX_CHARS))
    }

    /// The code as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GradeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for GradeCode {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<GradeCode> for String {
    fn from(value: GradeCode) -> Self {
        value.0.as_str().to_owned()
    }
}

/// Name of the group a unit is ranked in for a period ("Sở, ban, ngành", "UBND cấp xã"…).
/// Free text (Vietnamese with spaces and commas), trimmed and with inner spaces collapsed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GroupName(String);

impl GroupName {
    /// Parses a non-empty group name of at most 200 characters.
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        if s.chars().count() > 200 {
            return Err(IdError::TooLong(s, 200));
        }
        Ok(Self(s))
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GroupName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for GroupName {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<GroupName> for String {
    fn from(value: GroupName) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_codes_sort_numerically_by_segment() {
        let mut v: Vec<NodeCode> = ["1.10", "1.9", "2", "1", "1.2.1"]
            .iter()
            .map(|s| NodeCode::parse(s).unwrap())
            .collect();
        v.sort();
        let s: Vec<&str> = v.iter().map(NodeCode::as_str).collect();
        assert_eq!(s, ["1", "1.2.1", "1.9", "1.10", "2"]);
        let mut by_key = v.clone();
        by_key.sort_by_key(NodeCode::sort_key);
        assert_eq!(by_key, v);
        let a = NodeCode::parse("3a").unwrap();
        let b = NodeCode::parse("3b").unwrap();
        assert!(a < b && NodeCode::parse("3").unwrap() < a);
    }

    #[test]
    fn node_code_rejects_words_and_knows_its_parent() {
        assert!(NodeCode::parse("a.b").is_err());
        assert!(NodeCode::parse("").is_err());
        let c = NodeCode::parse("1.2.3").unwrap();
        assert_eq!(c.parent().unwrap().as_str(), "1.2");
        assert_eq!(c.depth(), 3);
        assert!(NodeCode::parse("3a").is_ok());
    }

    #[test]
    fn node_codes_round_trip_through_json_as_plain_strings() {
        let c = NodeCode::parse("1.2.3").unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, "\"1.2.3\"");
        assert_eq!(serde_json::from_str::<NodeCode>(&json).unwrap(), c);
        assert!(serde_json::from_str::<NodeCode>("\"a.b\"").is_err());
        assert_eq!(String::from(c.clone()), "1.2.3");
        assert_eq!(format!("{c:?}"), "NodeCode(\"1.2.3\")");
    }

    #[test]
    fn codes_kept_inline_refuse_what_does_not_fit() {
        let longest = "1.2.3.4.5.6.7.8.9.10";
        assert_eq!(NodeCode::parse(longest).unwrap().as_str(), longest);
        assert_eq!(
            NodeCode::parse("1.2.3.4.5.6.7.8.9.10.11"),
            Err(IdError::TooLong("1.2.3.4.5.6.7.8.9.10.11".to_owned(), 20))
        );
        assert_eq!(GradeCode::parse(" Tốt ").unwrap().as_str(), "Tốt");
        assert_eq!(GradeCode::parse("𝐗𝐒𝐗𝐒𝐗𝐒𝐗").unwrap().as_str(), "𝐗𝐒𝐗𝐒𝐗𝐒𝐗");
        assert_eq!(GradeCode::parse("Ưu tú").unwrap().as_str(), "Ưu tú");
        assert!(matches!(
            GradeCode::parse("Xuất sắc"),
            Err(IdError::TooLong(_, 7))
        ));
        assert_eq!(GradeCode::parse("  "), Err(IdError::Empty));
        let json = serde_json::to_string(&GradeCode::parse("XS").unwrap()).unwrap();
        assert_eq!(json, "\"XS\"");
        assert!(serde_json::from_str::<GradeCode>("\"Xuất sắc\"").is_err());
    }

    #[test]
    fn unit_codes_reject_spaces() {
        assert!(UnitCode::parse("SO NV").is_err());
        assert_eq!(UnitCode::parse(" SNV ").unwrap().as_str(), "SNV");
    }
}
