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
    #[error(
        "mã tiêu chí \"{0}\" không hợp lệ: chỉ dùng chữ cái không dấu, chữ số và '.', '-', '_', \
         không để trống giữa hai dấu chấm (ví dụ 1.2, II.1, 1.a, TC-3)"
    )]
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

/// Code of a node of an index set as the set writes it: `1`, `1.2`, `1.2.3`, but also the
/// Roman numerals, letters and abbreviations real sets and summary tables use (`I`, `II.1`,
/// `1.a`, `TD`, `XHH`, `TC-3`). ASCII letters, digits and `.`, `-`, `_` only.
///
/// The tree comes from the set (the YAML nesting, or the spreadsheet's parent column), not
/// from the code. A dotted code still names its parent by what precedes its last dot (`1.2`
/// sits under `1`), which the set's validation checks, so a typo in numbered sets is caught.
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

    /// Parses a code: trimmed, a trailing `.` dropped (`1.` as tables number rows), ASCII
    /// letters, digits, `.`, `-` and `_` only, no empty part between dots.
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let s = raw.trim().trim_end_matches('.');
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        let chars_ok = s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !chars_ok || s.split('.').any(str::is_empty) {
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

    /// How many dot-separated parts the code has: `1` → 1, `1.2` → 2, `TD` → 1. For numbered
    /// sets this is the depth in the tree; in general the tree says the depth.
    pub fn depth(&self) -> usize {
        self.0.split('.').count()
    }

    /// The parent a dotted code names (`1.2.3` → `1.2`, `II.1` → `II`); `None` for a code
    /// without a dot, whose parent only the tree knows.
    pub fn parent(&self) -> Option<NodeCode> {
        self.0
            .rsplit_once('.')
            .and_then(|(p, _)| ArrayString::from(p).ok())
            .map(NodeCode)
    }

    /// True for the numbered form (`1`, `1.2`, `3a.1`): every part starts with a digit. A
    /// numbered node's children extend its code, so `2` under `1` is a mistake.
    pub fn is_numbered(&self) -> bool {
        self.0
            .split('.')
            .all(|seg| seg.bytes().next().is_some_and(|b| b.is_ascii_digit()))
    }

    /// A key that sorts as codes do (the code itself: `Ord` is the natural order).
    pub fn sort_key(&self) -> NodeCode {
        self.clone()
    }
}

impl PartialOrd for NodeCode {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Roman numerals up to 39, as summary tables number their parts (`I`…`XXXIX`); a list
/// rather than a parser, so only canonical forms count.
const ROMAN: [&str; 39] = [
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV",
    "XVI", "XVII", "XVIII", "XIX", "XX", "XXI", "XXII", "XXIII", "XXIV", "XXV", "XXVI", "XXVII",
    "XXVIII", "XXIX", "XXX", "XXXI", "XXXII", "XXXIII", "XXXIV", "XXXV", "XXXVI", "XXXVII",
    "XXXVIII", "XXXIX",
];

/// Splits a part into runs of digits and of other characters (`TC-10` → `TC-`, `10`).
fn runs(seg: &str) -> impl Iterator<Item = &str> {
    let b = seg.as_bytes();
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= b.len() {
            return None;
        }
        let digit = b[start].is_ascii_digit();
        let len = b[start..]
            .iter()
            .take_while(|c| c.is_ascii_digit() == digit)
            .count();
        let run = &seg[start..start + len];
        start += len;
        Some(run)
    })
}

/// Natural order of two parts: digit runs by value (`9` < `10`), before letters; other runs
/// by their bytes. Equal-looking parts (`01`, `1`) fall back to their bytes, so the order is
/// total and agrees with equality.
fn natural(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (mut ra, mut rb) = (runs(a), runs(b));
    loop {
        let ord = match (ra.next(), rb.next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let (dx, dy) = (
                    x.as_bytes()[0].is_ascii_digit(),
                    y.as_bytes()[0].is_ascii_digit(),
                );
                match (dx, dy) {
                    (true, true) => {
                        let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                        x.len().cmp(&y.len()).then_with(|| x.cmp(y))
                    }
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) => x.cmp(y),
                }
            }
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
}

/// One part's order: numbered parts first, then Roman numerals by value, then the rest.
fn segment_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let class = |s: &str| {
        if s.bytes().next().is_some_and(|c| c.is_ascii_digit()) {
            (0, 0)
        } else {
            match ROMAN.iter().position(|r| *r == s) {
                Some(v) => (1, v),
                None => (2, 0),
            }
        }
    };
    class(a).cmp(&class(b)).then_with(|| natural(a, b))
}

impl Ord for NodeCode {
    /// Part by part (`1` < `1.1` < `1.2` < `1.10` < `2`), each part in natural order:
    /// numbers by value, Roman numerals by value (`IV` < `IX` < `X`), other codes by their
    /// text with embedded numbers by value (`TC-2` < `TC-10`). Allocation-free, as codes are
    /// sorted often.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let (mut a, mut b) = (self.0.split('.'), other.0.split('.'));
        loop {
            match (a.next(), b.next()) {
                (None, None) => return std::cmp::Ordering::Equal,
                (None, Some(_)) => return std::cmp::Ordering::Less,
                (Some(_), None) => return std::cmp::Ordering::Greater,
                (Some(x), Some(y)) => match segment_cmp(x, y) {
                    std::cmp::Ordering::Equal => {}
                    ord => return ord,
                },
            }
        }
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
        by_key.reverse();
        by_key.sort_by_key(NodeCode::sort_key);
        assert_eq!(by_key, v);
        let a = NodeCode::parse("3a").unwrap();
        let b = NodeCode::parse("3b").unwrap();
        assert!(a < b && NodeCode::parse("3").unwrap() < a);
    }

    #[test]
    fn node_code_knows_the_parent_a_dotted_code_names() {
        assert!(NodeCode::parse("").is_err());
        let c = NodeCode::parse("1.2.3").unwrap();
        assert_eq!(c.parent().unwrap().as_str(), "1.2");
        assert_eq!(c.depth(), 3);
        assert!(NodeCode::parse("3a").is_ok());
        assert_eq!(
            NodeCode::parse("II.1").unwrap().parent().unwrap().as_str(),
            "II"
        );
        assert_eq!(NodeCode::parse("TC-3").unwrap().parent(), None);
        assert_eq!(NodeCode::parse("1.").unwrap().as_str(), "1");
    }

    #[test]
    fn codes_of_real_sets_and_summary_tables_are_accepted() {
        for raw in [
            "I", "II.1", "1.a", "TD", "XHH", "TC-3", "a.b", "A_1", "3a.2",
        ] {
            assert_eq!(NodeCode::parse(raw).unwrap().as_str(), raw);
        }
        assert!(NodeCode::parse("3a.2").unwrap().is_numbered());
        assert!(!NodeCode::parse("II.1").unwrap().is_numbered());
        assert!(!NodeCode::parse("1.a").unwrap().is_numbered());
    }

    #[test]
    fn node_codes_with_spaces_accents_controls_or_empty_parts_are_refused() {
        for raw in ["1 2", "TĐ", "1..2", ".1", "1/2", "1,5", "a\u{0}b", "1\t2"] {
            assert!(
                matches!(NodeCode::parse(raw), Err(IdError::BadNodeCode(_))),
                "{raw:?}"
            );
        }
        let msg = NodeCode::parse("TĐ").unwrap_err().to_string();
        assert!(msg.contains("chữ cái không dấu"), "{msg}");
    }

    #[test]
    fn other_codes_sort_in_a_natural_and_stable_order() {
        let sorted = |codes: &[&str]| {
            let mut v: Vec<NodeCode> = codes.iter().map(|s| NodeCode::parse(s).unwrap()).collect();
            v.sort();
            v.iter().map(|c| c.as_str().to_owned()).collect::<Vec<_>>()
        };
        assert_eq!(
            sorted(&["X", "IX", "IV", "V", "II", "I", "III", "II.10", "II.2"]),
            ["I", "II", "II.2", "II.10", "III", "IV", "V", "IX", "X"]
        );
        assert_eq!(
            sorted(&[
                "TC-10", "TC-2", "XHH", "TD", "1.b", "1.a", "1.10", "1.9", "2", "1"
            ]),
            [
                "1", "1.9", "1.10", "1.a", "1.b", "2", "TC-2", "TC-10", "TD", "XHH"
            ]
        );
        let a = NodeCode::parse("01").unwrap();
        let b = NodeCode::parse("1").unwrap();
        assert_ne!(
            a.cmp(&b),
            std::cmp::Ordering::Equal,
            "order agrees with equality"
        );
        assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
    }

    #[test]
    fn node_codes_round_trip_through_json_as_plain_strings() {
        let c = NodeCode::parse("1.2.3").unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, "\"1.2.3\"");
        assert_eq!(serde_json::from_str::<NodeCode>(&json).unwrap(), c);
        assert!(serde_json::from_str::<NodeCode>("\"1..2\"").is_err());
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
