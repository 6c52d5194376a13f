//! The success notice a page shows after the redirect that follows a change (post, redirect,
//! get): the redirect names what was done in the query (`?ok=saved&n=3`) and the page words it.
//! Only the outcomes a page lists are worded; anything else in `ok` comes from an edited
//! address and shows nothing.

use serde::Deserialize;

use crate::i18n::Lang;

/// What a page says was done, and the arguments its text names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Notice {
    /// The catalog key of the text.
    key: &'static str,
    args: Vec<(&'static str, String)>,
}

impl Notice {
    /// The notice for `ok` among a page's `known` outcomes (what the query says, its key).
    pub(crate) fn of(ok: Option<&str>, known: &[(&str, &'static str)]) -> Option<Notice> {
        let ok = ok?;
        let (_, key) = known.iter().find(|(what, _)| *what == ok)?;
        Some(Notice {
            key,
            args: Vec::new(),
        })
    }

    /// The notice with one more argument of its text.
    pub(crate) fn arg(mut self, name: &'static str, value: impl ToString) -> Notice {
        self.args.push((name, value.to_string()));
        self
    }

    /// The text in `lang`.
    pub(crate) fn text(&self, lang: Lang) -> String {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        lang.tf(self.key, &args)
    }
}

/// The query of a page after a change: `?ok=<what>`, with a count for the outcomes that
/// have one (`&n=3`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Done {
    pub ok: Option<String>,
    pub n: Option<String>,
}

impl Done {
    /// The notice for this query among a page's `known` outcomes.
    pub(crate) fn notice(&self, known: &[(&str, &'static str)]) -> Option<Notice> {
        Notice::of(self.ok.as_deref(), known)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[(&str, &str)] = &[("saved", "cycle.ok.saved")];

    #[test]
    fn a_listed_outcome_is_worded_with_its_arguments() {
        let notice = Notice::of(Some("saved"), KNOWN).map(|n| n.arg("n", 3));
        let expected = Lang::Vi.tf("cycle.ok.saved", &[("n", "3")]);
        assert_eq!(notice.map(|n| n.text(Lang::Vi)), Some(expected));
    }

    #[test]
    fn an_outcome_the_page_does_not_list_shows_nothing() {
        assert_eq!(Notice::of(Some("hacked"), KNOWN), None);
        assert_eq!(Notice::of(None, KNOWN), None);
    }
}
