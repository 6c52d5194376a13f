//! Identifier newtypes. Every typed concept is parsed once at the boundary (files, forms, API)
//! so nothing below it handles a raw `String` that might be a unit code or a criterion code.

use smol_str::SmolStr;
use std::fmt;

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
/// Immutable text kept inline (codes are short): every unit's result repeats every code of
/// the set, so a clone must neither allocate nor touch a shared reference count (a national
/// computation clones and drops it more than half a million times).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NodeCode(SmolStr);

impl NodeCode {
    /// Parses `1`, `1.2`, `1.2.3` (segments are digits, optionally followed by one letter
    /// such as `3a` as some sets number them).
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let s = raw.trim().trim_end_matches('.');
        if s.is_empty() {
            return Err(IdError::Empty);
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
        Ok(Self(SmolStr::new(s)))
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
            .map(|(p, _)| NodeCode(SmolStr::new(p)))
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
    fn unit_codes_reject_spaces() {
        assert!(UnitCode::parse("SO NV").is_err());
        assert_eq!(UnitCode::parse(" SNV ").unwrap().as_str(), "SNV");
    }
}
