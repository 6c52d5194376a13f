//! The words of notification e-mails, in `locales/{vi,en}/mail.yml`: one subject and body per
//! kind of event. A message is written in Vietnamese, with a one-line English summary under
//! the signature for readers who need it.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chiso_domain::notify::Event;
use chiso_services::outbox::Described;

type Catalog = BTreeMap<String, String>;

fn load(name: &str, text: &str) -> Catalog {
    serde_yaml_ng::from_str(text)
        .unwrap_or_else(|e| panic!("locale file {name} is not a flat `key: text` map: {e}"))
}

static VI: LazyLock<Catalog> =
    LazyLock::new(|| load("vi/mail.yml", include_str!("../locales/vi/mail.yml")));
static EN: LazyLock<Catalog> =
    LazyLock::new(|| load("en/mail.yml", include_str!("../locales/en/mail.yml")));

/// A language of the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    fn catalog(self) -> &'static Catalog {
        match self {
            Lang::Vi => &VI,
            Lang::En => &EN,
        }
    }

    /// The text of `key` with `{unit}`, `{period}` and `{leaf}` filled in; the key itself when
    /// missing (a test keeps that from happening).
    pub fn text(self, key: &str, about: &Described) -> String {
        let raw = self.catalog().get(key).map_or(key, String::as_str);
        raw.replace("{unit}", &about.unit)
            .replace("{period}", &about.period)
            .replace("{leaf}", &about.leaf)
    }

    /// Every key of the language's catalog, sorted.
    pub fn keys(self) -> Vec<&'static str> {
        self.catalog().keys().map(String::as_str).collect()
    }
}

/// A message ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub subject: String,
    pub body: String,
}

/// The message telling someone about `event`.
pub fn mail(event: &Event, about: &Described) -> Mail {
    let kind = event.kind();
    let subject = Lang::Vi.text(&format!("{kind}.subject"), about);
    let body = format!(
        "{}\n\n{}\n\n-- \n{}\n",
        Lang::Vi.text(&format!("{kind}.body"), about),
        Lang::Vi.text("footer", about),
        Lang::En.text(&format!("{kind}.body"), about),
    );
    Mail { subject, body }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chiso_domain::{NodeCode, PeriodCode, UnitCode};

    fn events() -> Vec<Event> {
        let period = PeriodCode::parse("2025").unwrap();
        let unit = UnitCode::parse("SNV").unwrap();
        vec![
            Event::SelfAssessmentSubmitted {
                period: period.clone(),
                unit: unit.clone(),
            },
            Event::ExplanationRequested {
                period: period.clone(),
                unit,
                leaf: NodeCode::parse("2.3").unwrap(),
            },
            Event::PeriodApproved { period },
        ]
    }

    #[test]
    fn both_languages_have_the_same_keys_and_a_subject_and_body_for_every_event() {
        assert_eq!(Lang::Vi.keys(), Lang::En.keys());
        for lang in [Lang::Vi, Lang::En] {
            for e in events() {
                for part in ["subject", "body"] {
                    let key = format!("{}.{part}", e.kind());
                    assert!(lang.catalog().contains_key(&key), "{lang:?} {key}");
                }
            }
        }
    }

    #[test]
    fn a_message_names_the_unit_period_and_leaf_in_vietnamese_with_an_english_summary() {
        let about = Described {
            period: "Chỉ số CCHC năm 2025 (2025)".to_owned(),
            unit: "Sở Nội vụ (SNV)".to_owned(),
            leaf: "2.3".to_owned(),
        };
        let m = mail(&events()[1], &about);
        assert_eq!(
            m.subject,
            "[Chỉ số CCHC] Đề nghị giải trình kết quả tự đánh giá kỳ Chỉ số CCHC năm 2025 (2025)"
        );
        for needle in [
            "đơn vị Sở Nội vụ (SNV) giải trình tiêu chí 2.3",
            "đề nghị không trả lời",
            "Sở Nội vụ (SNV) is asked to explain criterion 2.3",
        ] {
            assert!(m.body.contains(needle), "{needle:?} in {}", m.body);
        }
        assert!(
            !m.body.contains('{'),
            "every placeholder filled: {}",
            m.body
        );
    }
}
