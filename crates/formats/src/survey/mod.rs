//! Survey files (domain.md §6): the questionnaire workbook an administrator edits (or its
//! JSON form), the XLSForm handed to ODK or KoboToolbox to collect answers, and the answer
//! files that come back (a long CSV, or the wide export of a Kobo or ODK server).
//!
//! The questionnaire readers check the file's own structure (codes, numbers, references from
//! one sheet to another); whether the questions fit the period's groups and sets is
//! [`chiso_domain::questionnaire::SurveyDefinition::check`], which the caller runs. The answer
//! readers check every answer against the definition and the units each respondent group
//! evaluates, and stream: a file of a million answers is never held in memory.

mod answers;
mod questionnaire;
mod xlsform;

use chiso_domain::survey::Factor;

pub use answers::{
    AnswerContext, AnswerFileError, AnswerRecord, AnswerShape, AnswerStats, Progress, read_answers,
    read_answers_bytes,
};
pub use questionnaire::{questionnaire_xlsx, read_questionnaire, read_questionnaire_bytes};
pub use xlsform::xlsform_xlsx;

use crate::table::header_key;

/// The code of a SIPAS factor in the questionnaire workbook (`yeu_to`).
pub fn factor_code(f: Factor) -> &'static str {
    match f {
        Factor::Access => "tiep_can",
        Factor::Procedure => "thu_tuc",
        Factor::CivilServant => "cong_chuc",
        Factor::Result => "ket_qua",
        Factor::Feedback => "phan_anh",
    }
}

/// A SIPAS factor as written in a workbook: its code (`tiep_can`), its Vietnamese label in
/// full or short (`Tiếp cận dịch vụ`, `tiếp cận`) or its English name (`access`), so that a
/// sheet typed by hand in either language reads.
pub fn parse_factor(raw: &str) -> Option<Factor> {
    let key = header_key(raw);
    Factor::ALL.into_iter().find(|f| {
        let short = match f {
            Factor::Access => ["tiếpcận", "access"],
            Factor::Procedure => ["thủtục", "procedure"],
            Factor::CivilServant => ["côngchức", "civilservant"],
            Factor::Result => ["kếtquả", "result"],
            Factor::Feedback => ["phảnánh", "feedback"],
        };
        key == header_key(factor_code(*f))
            || key == header_key(f.label_vi())
            || short.iter().any(|s| key == *s)
    })
}

/// Labels of the standard options A–E, shown to respondents when a questionnaire sets no
/// options of its own (weights 100 %, 60 %, 20 %, 0 % and "không biết", excluded).
pub const STANDARD_LABELS: [(&str, &str); 5] = [
    ("A", "Rất tốt"),
    ("B", "Tốt"),
    ("C", "Trung bình"),
    ("D", "Kém"),
    ("E", "Không biết / không trả lời"),
];

/// The five satisfaction levels of a SIPAS questionnaire, as the form shows them.
pub const SIPAS_LEVELS: [(&str, &str); 5] = [
    ("1", "Rất không hài lòng"),
    ("2", "Không hài lòng"),
    ("3", "Bình thường"),
    ("4", "Hài lòng"),
    ("5", "Rất hài lòng"),
];

/// A unit code as it may stand in an XLSForm field name: ASCII letters, digits, `-`, `_`
/// and `.` kept, anything else (an accented letter of a hand-made code) turned into `_`, so
/// the form is valid XML for every server and the answer columns name the unit recognisably.
pub fn field_unit(unit: &str) -> String {
    unit.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The XLSForm field of one question about one unit: `{question}__{UNIT}`. An XML name
/// cannot start with a digit, `-` or `.`, so such a question code is preceded by `_`, which
/// the answer readers drop again.
pub fn field_name(question: &str, unit: &str) -> String {
    let q = question.trim();
    let lead = q
        .chars()
        .next()
        .is_some_and(|c| !(c.is_ascii_alphabetic() || c == '_'));
    format!("{}{q}__{}", if lead { "_" } else { "" }, field_unit(unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_read_by_code_vietnamese_label_or_english_name() {
        assert_eq!(parse_factor("tiep_can"), Some(Factor::Access));
        assert_eq!(parse_factor("Thủ tục hành chính"), Some(Factor::Procedure));
        assert_eq!(parse_factor("công chức"), Some(Factor::CivilServant));
        assert_eq!(parse_factor("RESULT"), Some(Factor::Result));
        assert_eq!(parse_factor("phan-anh"), Some(Factor::Feedback));
        assert_eq!(parse_factor("khác"), None);
        for f in Factor::ALL {
            assert_eq!(parse_factor(factor_code(f)), Some(f));
            assert_eq!(parse_factor(f.label_vi()), Some(f));
        }
    }

    #[test]
    fn field_names_are_xml_names() {
        assert_eq!(field_name("C1", "SYT"), "C1__SYT");
        assert_eq!(field_name("1.2", "XA-AN.BINH"), "_1.2__XA-AN.BINH");
        assert_eq!(field_name("C1", "SỞ-YT"), "C1__S_-YT");
    }
}
