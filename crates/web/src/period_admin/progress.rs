//! Where a unit's assessment stands against the period's plan, and the plan as people type it.
//!
//! Each state of an assessment waits for one milestone: a unit that has not submitted waits
//! for the end of self-assessment, a submitted one for the end of appraisal, a unit asked to
//! explain for the end of the explanation window, and an appraised one for the council's
//! approval before publication. Once that milestone has passed and the state has not moved on,
//! the unit is overdue (quá hạn). A unit the administrator reopened is no longer bound by the
//! milestones (see [`chiso_domain::workflow::Context`]), so it is never overdue.
//!
//! Milestones are typed as days (dd/mm/yyyy, Vietnam time): an opening milestone is reached at
//! the start of its day ("từ ngày"), a closing one at the end of its day ("đến hết ngày"), which
//! is how plans are written (Kế hoạch … "tự đánh giá đến hết ngày 15/12").

use chiso_domain::fmt::parse_date;
use chiso_domain::workflow::{
    Milestone, MilestoneIssue, Milestones, Window, vn_day_end, vn_day_start,
};
use time::{Duration, OffsetDateTime};

use crate::error::FormError;
use crate::format;

/// True for milestones typed as the last day of a window ("đến hết ngày").
pub(crate) fn closes(m: Milestone) -> bool {
    matches!(
        m,
        Milestone::SelfClose | Milestone::AppraisalClose | Milestone::ExplanationClose
    )
}

/// The instant a typed day stands for: its start, or for a closing milestone its end.
pub(crate) fn instant_of(m: Milestone, day: time::Date) -> OffsetDateTime {
    if closes(m) {
        vn_day_end(day)
    } else {
        vn_day_start(day)
    }
}

/// The day shown for a milestone's instant: the day it starts, or for a closing milestone the
/// last day before it (the end of 15/12 is 00:00 on 16/12, shown as 15/12).
pub(crate) fn day_of(m: Milestone, at: OffsetDateTime) -> String {
    if closes(m) {
        format::date(at.checked_sub(Duration::SECOND).unwrap_or(at))
    } else {
        format::date(at)
    }
}

/// The plan as typed in the form, one text per milestone (empty: not set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PlanDraft {
    pub(crate) days: [String; 8],
}

impl PlanDraft {
    /// The stored plan as the form shows it.
    pub(crate) fn of(plan: &Milestones) -> Self {
        let mut draft = PlanDraft::default();
        for (i, m) in Milestone::ALL.into_iter().enumerate() {
            draft.days[i] = plan.get(m).map(|at| day_of(m, at)).unwrap_or_default();
        }
        draft
    }

    /// The text typed for `m`.
    pub(crate) fn day(&self, m: Milestone) -> &str {
        &self.days[index(m)]
    }
}

fn index(m: Milestone) -> usize {
    Milestone::ALL.iter().position(|x| *x == m).unwrap_or(0)
}

/// Turns the typed days into a plan, or says for each field what is wrong: a text that is not
/// a date, and every issue [`Milestones::validate`] finds among the days that are, each
/// attached to the milestone it concerns.
pub(crate) fn parse_plan(draft: &PlanDraft) -> Result<Milestones, Vec<(Milestone, FormError)>> {
    let mut plan = Milestones::default();
    let mut errors = Vec::new();
    for m in Milestone::ALL {
        let raw = draft.day(m).trim();
        if raw.is_empty() {
            continue;
        }
        match parse_date(raw) {
            Some(day) => set(&mut plan, m, instant_of(m, day)),
            None => errors.push((m, FormError::new("periods.ms.bad_date").arg("value", raw))),
        }
    }
    // The days that could be read are checked together, so every problem shows at once.
    errors.extend(plan.validate().into_iter().map(issue_error));
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}

fn set(plan: &mut Milestones, m: Milestone, at: OffsetDateTime) {
    let slot = match m {
        Milestone::SelfOpen => &mut plan.self_open,
        Milestone::SelfClose => &mut plan.self_close,
        Milestone::AppraisalOpen => &mut plan.appraisal_open,
        Milestone::AppraisalClose => &mut plan.appraisal_close,
        Milestone::ExplanationOpen => &mut plan.explanation_open,
        Milestone::ExplanationClose => &mut plan.explanation_close,
        Milestone::Approval => &mut plan.approval,
        Milestone::Publication => &mut plan.publication,
    };
    *slot = Some(at);
}

/// The opening and closing milestones of a window.
fn window_fields(w: Window) -> (Milestone, Milestone) {
    match w {
        Window::SelfAssessment => (Milestone::SelfOpen, Milestone::SelfClose),
        Window::Appraisal => (Milestone::AppraisalOpen, Milestone::AppraisalClose),
        Window::Explanation | Window::Reappraisal => {
            (Milestone::ExplanationOpen, Milestone::ExplanationClose)
        }
        Window::Approval => (Milestone::Approval, Milestone::Publication),
    }
}

/// Locale key of a milestone's name.
pub(crate) fn milestone_key(m: Milestone) -> &'static str {
    match m {
        Milestone::SelfOpen => "periods.ms.self_open",
        Milestone::SelfClose => "periods.ms.self_close",
        Milestone::AppraisalOpen => "periods.ms.appraisal_open",
        Milestone::AppraisalClose => "periods.ms.appraisal_close",
        Milestone::ExplanationOpen => "periods.ms.explanation_open",
        Milestone::ExplanationClose => "periods.ms.explanation_close",
        Milestone::Approval => "periods.ms.approval",
        Milestone::Publication => "periods.ms.publication",
    }
}

/// Locale key of a window's name.
fn window_key(w: Window) -> &'static str {
    match w {
        Window::SelfAssessment => "periods.window.self_assessment",
        Window::Appraisal => "periods.window.appraisal",
        Window::Explanation => "periods.window.explanation",
        Window::Reappraisal => "periods.window.reappraisal",
        Window::Approval => "periods.window.approval",
    }
}

/// An issue of the plan as a message on the field it concerns. Names and days are filled in
/// by the page in the reader's language; the `@`-prefixed arguments are locale keys.
fn issue_error(issue: MilestoneIssue) -> (Milestone, FormError) {
    match issue {
        MilestoneIssue::OutOfOrder {
            earlier,
            earlier_at,
            later,
            later_at,
        } => (
            later,
            // A window closes at the end of its day: what follows it must start on a later day.
            FormError::new(if closes(earlier) && !closes(later) {
                "periods.ms.out_of_order_end"
            } else {
                "periods.ms.out_of_order"
            })
            .arg("later", format!("@{}", milestone_key(later)))
            .arg("later_day", day_of(later, later_at))
            .arg("earlier", format!("@{}", milestone_key(earlier)))
            .arg("earlier_day", day_of(earlier, earlier_at)),
        ),
        MilestoneIssue::EmptyWindow(w) => (
            window_fields(w).1,
            FormError::new("periods.ms.empty_window").arg("window", format!("@{}", window_key(w))),
        ),
        MilestoneIssue::CloseWithoutOpen(w) => (
            window_fields(w).0,
            FormError::new("periods.ms.close_without_open")
                .arg("window", format!("@{}", window_key(w))),
        ),
    }
}

/// The message of a plan error in `lang`, with the names it refers to translated.
pub(crate) fn message(e: &FormError, lang: crate::Lang) -> String {
    let args: Vec<(&str, String)> = e
        .args
        .iter()
        .map(|(k, v)| {
            let value = v
                .strip_prefix('@')
                .and_then(|key| lang.lookup(key))
                .map_or_else(|| v.clone(), str::to_owned);
            (*k, value)
        })
        .collect();
    let refs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    lang.tf(&e.key, &refs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;
    use time::macros::{date, datetime};

    fn draft(days: &[(Milestone, &str)]) -> PlanDraft {
        let mut d = PlanDraft::default();
        for (m, s) in days {
            d.days[index(*m)] = (*s).to_owned();
        }
        d
    }

    #[test]
    fn a_closing_day_lasts_until_its_end_in_vietnam_and_shows_as_that_day() {
        let end = instant_of(Milestone::SelfClose, date!(2024 - 12 - 15));
        assert_eq!(end, datetime!(2024-12-15 17:00 UTC));
        assert_eq!(day_of(Milestone::SelfClose, end), "15/12/2024");
        let start = instant_of(Milestone::SelfOpen, date!(2024 - 11 - 01));
        assert_eq!(start, datetime!(2024-10-31 17:00 UTC));
        assert_eq!(day_of(Milestone::SelfOpen, start), "01/11/2024");
    }

    #[test]
    fn a_typed_plan_round_trips_through_the_form() {
        let typed = draft(&[
            (Milestone::SelfOpen, "1/11/2024"),
            (Milestone::SelfClose, "15/12/2024"),
            (Milestone::AppraisalOpen, "2024-12-16"),
            (Milestone::Publication, "31/03/2025"),
        ]);
        let plan = parse_plan(&typed).unwrap();
        let shown = PlanDraft::of(&plan);
        assert_eq!(shown.day(Milestone::SelfOpen), "01/11/2024");
        assert_eq!(shown.day(Milestone::SelfClose), "15/12/2024");
        assert_eq!(shown.day(Milestone::AppraisalOpen), "16/12/2024");
        assert_eq!(shown.day(Milestone::AppraisalClose), "");
        assert_eq!(parse_plan(&shown).unwrap(), plan);
    }

    #[test]
    fn each_problem_of_the_plan_is_attached_to_its_field_in_vietnamese() {
        let bad = draft(&[(Milestone::SelfOpen, "32/13/2024")]);
        let errors = parse_plan(&bad).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, Milestone::SelfOpen);
        assert!(message(&errors[0].1, Lang::Vi).contains("32/13/2024"));

        let order = draft(&[
            (Milestone::SelfOpen, "01/11/2024"),
            (Milestone::SelfClose, "15/12/2024"),
            (Milestone::AppraisalOpen, "10/12/2024"),
        ]);
        let errors = parse_plan(&order).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, Milestone::AppraisalOpen);
        let text = message(&errors[0].1, Lang::Vi);
        assert!(
            text.contains("Mở thẩm định") && text.contains("10/12/2024"),
            "{text}"
        );
        assert!(
            text.contains("Hết hạn tự đánh giá") && text.contains("15/12/2024"),
            "{text}"
        );
        assert!(message(&errors[0].1, Lang::En).contains("Appraisal opens"));

        let close_only = draft(&[(Milestone::ExplanationClose, "15/01/2025")]);
        let errors = parse_plan(&close_only).unwrap_err();
        assert_eq!(errors[0].0, Milestone::ExplanationOpen);

        let empty = draft(&[
            (Milestone::AppraisalOpen, "16/12/2024"),
            (Milestone::AppraisalClose, "15/12/2024"),
        ]);
        let errors = parse_plan(&empty).unwrap_err();
        assert_eq!(errors[0].0, Milestone::AppraisalClose);
    }
}
