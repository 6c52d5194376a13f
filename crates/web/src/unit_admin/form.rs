//! What the administration forms of units and roles share: refusals that name each field at
//! fault, so a page can show every mistake next to its field at once (422) instead of one
//! mistake per submission.

use crate::AppError;
use crate::error::FormError;
use crate::i18n::Lang;

/// One mistake in one field of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    /// The form field's `name` (also the suffix of the input's id).
    pub field: &'static str,
    pub error: FormError,
}

impl FieldError {
    pub(crate) fn new(field: &'static str, error: FormError) -> Self {
        FieldError { field, error }
    }
}

/// Why a service refused a form: mistakes to show next to the fields, or anything else
/// (403, 404, a database failure), which becomes an error page.
#[derive(Debug)]
pub(crate) enum Refusal {
    Fields(Vec<FieldError>),
    App(AppError),
}

impl From<AppError> for Refusal {
    fn from(e: AppError) -> Self {
        Refusal::App(e)
    }
}

impl From<chiso_services::ServiceError> for Refusal {
    fn from(e: chiso_services::ServiceError) -> Self {
        Refusal::App(e.into())
    }
}

impl From<Vec<FieldError>> for Refusal {
    fn from(e: Vec<FieldError>) -> Self {
        Refusal::Fields(e)
    }
}

/// The field mistakes of a form in the reader's language, ready for a template.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldErrors {
    items: Vec<(&'static str, String)>,
}

impl FieldErrors {
    pub(crate) fn new(lang: Lang, errors: &[FieldError]) -> Self {
        FieldErrors {
            items: errors
                .iter()
                .map(|e| (e.field, e.error.message(lang)))
                .collect(),
        }
    }

    /// The messages for one field, one after the other, if it has mistakes.
    pub fn get(&self, field: &str) -> Option<String> {
        let messages: Vec<&str> = self
            .items
            .iter()
            .filter(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join(" "))
    }

    /// True when the field has a mistake (for `aria-invalid`).
    pub fn has(&self, field: &str) -> bool {
        self.items.iter().any(|(f, _)| *f == field)
    }

    /// True when nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Every mistake as (field, message), in the order of the form.
    pub fn all(&self) -> &[(&'static str, String)] {
        &self.items
    }
}

impl FieldErrors {
    /// The mistakes of a service refusal that lists them ([`Detail::Problems`], each with a
    /// `field` argument), in the service's words and in the order of `fields` (the form's
    /// field names, top to bottom); `None` when the error is not such a refusal, or names a
    /// field the form does not have, so that it is shown as the error it is.
    pub(crate) fn of_service(
        lang: Lang,
        e: &chiso_services::ServiceError,
        fields: &[&'static str],
    ) -> Option<Self> {
        let Some(chiso_services::Detail::Problems(problems)) = e.details() else {
            return None;
        };
        let mut items = problems
            .iter()
            .map(|p| {
                let named = p.args.iter().find(|(k, _)| *k == "field")?;
                let field = fields.iter().find(|f| **f == named.1)?;
                let args: Vec<(&str, &str)> =
                    p.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
                Some((*field, lang.tf(&crate::error::service_key(p.code), &args)))
            })
            .collect::<Option<Vec<_>>>()?;
        items.sort_by_key(|(f, _)| fields.iter().position(|x| x == f));
        Some(FieldErrors { items })
    }
}

/// Puts mistakes in the order of the fields on the form (`order`), so that the summary at the
/// top reads like the form; fields not listed go last, mistakes of one field keep their order.
pub(crate) fn in_form_order(errors: &mut [FieldError], order: &[&str]) {
    errors.sort_by_key(|e| {
        order
            .iter()
            .position(|f| *f == e.field)
            .unwrap_or(order.len())
    });
}

/// Splits a list typed into one field: codes separated by commas, semicolons, spaces or new
/// lines, blanks dropped.
pub(crate) fn split_list(raw: &str) -> Vec<&str> {
    raw.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mistakes_follow_the_form_and_a_field_shows_all_of_its_own() {
        let mut errors = vec![
            FieldError::new("effective", FormError::new("a")),
            FieldError::new("basis", FormError::new("b")),
            FieldError::new("predecessors", FormError::new("c")),
            FieldError::new("predecessors", FormError::new("d")),
        ];
        in_form_order(&mut errors, &["predecessors", "effective"]);
        let fields: Vec<_> = errors.iter().map(|e| e.error.key.as_ref()).collect();
        assert_eq!(fields, ["c", "d", "a", "b"]);
        let shown = FieldErrors::new(Lang::Vi, &errors);
        assert_eq!(shown.get("predecessors").as_deref(), Some("c d"));
        assert!(shown.has("basis") && !shown.has("successor"));
        assert_eq!(shown.get("successor"), None);
    }

    #[test]
    fn a_typed_list_is_split_at_commas_semicolons_and_spaces() {
        assert_eq!(
            split_list(" XA-A, XA-B;XA-C\nXA-D  ,, "),
            vec!["XA-A", "XA-B", "XA-C", "XA-D"]
        );
        assert!(split_list("  ").is_empty());
    }
}
