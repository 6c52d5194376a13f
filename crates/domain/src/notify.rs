//! Notifications about the assessment cycle: which events are worth an e-mail, who receives
//! each, and how often a failed delivery is tried again.
//!
//! The rules are pure so that the services (which record an event in the same transaction as
//! the change causing it) and the background worker (which delivers it) agree, and so that the
//! recipient rule can be tested as a table. An e-mail is only a reminder: the to-do list in the
//! application stays the reference.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::authz::{Grant, Role};
use crate::ids::{NodeCode, PeriodCode, UnitCode};

/// Something that happened in the cycle and is worth telling people about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// The leader submitted the unit's self-assessment: the appraisers covering the unit have
    /// work to do.
    SelfAssessmentSubmitted { period: PeriodCode, unit: UnitCode },
    /// An appraiser asked the unit to explain a leaf: its officers and leaders must answer.
    ExplanationRequested {
        period: PeriodCode,
        unit: UnitCode,
        leaf: NodeCode,
    },
    /// The council chair approved the period's appraisal: every unit learns its result.
    PeriodApproved { period: PeriodCode },
}

impl Event {
    /// Stable machine name, stored with the event and used to pick the message's text.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::SelfAssessmentSubmitted { .. } => "self_assessment_submitted",
            Event::ExplanationRequested { .. } => "explanation_requested",
            Event::PeriodApproved { .. } => "period_approved",
        }
    }

    /// The period the event belongs to.
    pub fn period(&self) -> &PeriodCode {
        match self {
            Event::SelfAssessmentSubmitted { period, .. }
            | Event::ExplanationRequested { period, .. }
            | Event::PeriodApproved { period } => period,
        }
    }

    /// The unit concerned, if the event is about one unit.
    pub fn unit(&self) -> Option<&UnitCode> {
        match self {
            Event::SelfAssessmentSubmitted { unit, .. }
            | Event::ExplanationRequested { unit, .. } => Some(unit),
            Event::PeriodApproved { .. } => None,
        }
    }

    /// The leaf concerned, if the event is about one leaf.
    pub fn leaf(&self) -> Option<&NodeCode> {
        match self {
            Event::ExplanationRequested { leaf, .. } => Some(leaf),
            _ => None,
        }
    }

    /// Rebuilds an event from its stored parts; `None` when they do not make one (an unknown
    /// kind or a missing unit or leaf).
    pub fn from_parts(
        kind: &str,
        period: PeriodCode,
        unit: Option<UnitCode>,
        leaf: Option<NodeCode>,
    ) -> Option<Event> {
        match kind {
            "self_assessment_submitted" => Some(Event::SelfAssessmentSubmitted {
                period,
                unit: unit?,
            }),
            "explanation_requested" => Some(Event::ExplanationRequested {
                period,
                unit: unit?,
                leaf: leaf?,
            }),
            "period_approved" => Some(Event::PeriodApproved { period }),
            _ => None,
        }
    }

    /// Whether a person holding `grant` is told about this event: the appraisers whose scope
    /// covers the submitting unit; the officers and leaders of the unit asked to explain; every
    /// unit officer and leader of the approved period. A grant for another period never
    /// qualifies; the administrator and the council see the same in their to-do lists and are
    /// not written to.
    pub fn concerns(&self, grant: &Grant) -> bool {
        if grant.period.as_ref().is_some_and(|p| p != self.period()) {
            return false;
        }
        match (self, &grant.role) {
            (Event::SelfAssessmentSubmitted { unit, .. }, Role::Appraiser { scope }) => {
                scope.covers_unit(unit)
            }
            (
                Event::ExplanationRequested { unit, .. },
                Role::UnitOfficer { unit: u } | Role::UnitLeader { unit: u },
            ) => u == unit,
            (Event::PeriodApproved { .. }, Role::UnitOfficer { .. } | Role::UnitLeader { .. }) => {
                true
            }
            _ => false,
        }
    }

    /// The logins to tell, sorted and each once, among `grants` (login and grant pairs).
    pub fn recipients<'a>(
        &self,
        grants: impl IntoIterator<Item = (&'a str, &'a Grant)>,
    ) -> Vec<String> {
        let mut out: Vec<String> = grants
            .into_iter()
            .filter(|(_, g)| self.concerns(g))
            .map(|(login, _)| login.to_owned())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// How many times a delivery is tried before it is given up ("dead"); an operator can try it
/// again by hand. With the delays of [`retry_delay`] from one minute, the last try comes about
/// two hours after the first.
pub const MAX_ATTEMPTS: u32 = 8;

/// The longest wait between two tries.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(6 * 3600);

/// A reminder sent this long after its event is noise: a delivery still waiting then (the
/// server had no mail relay for a week) is dropped as expired instead of sent.
pub const EXPIRES_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// How long to wait after the `attempts`-th failed try (1, 2, …): `first`, then doubling, never
/// more than [`MAX_RETRY_DELAY`].
pub fn retry_delay(first: Duration, attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(30);
    first
        .checked_mul(1 << doublings)
        .unwrap_or(MAX_RETRY_DELAY)
        .min(MAX_RETRY_DELAY)
}

/// What to do after a failed try: try again at the given instant, or give up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryAt(OffsetDateTime),
    GiveUp,
}

/// The next step after the `attempts`-th try failed at `now`.
pub fn after_failure(first: Duration, attempts: u32, now: OffsetDateTime) -> AfterFailure {
    if attempts >= MAX_ATTEMPTS {
        AfterFailure::GiveUp
    } else {
        AfterFailure::RetryAt(now + retry_delay(first, attempts))
    }
}

/// Whether an event created at `created` is too old to be worth sending at `now`.
pub fn expired(created: OffsetDateTime, now: OffsetDateTime) -> bool {
    now - created > EXPIRES_AFTER
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::AppraiserScope;
    use proptest::prelude::*;
    use time::macros::datetime;

    fn p(s: &str) -> PeriodCode {
        PeriodCode::parse(s).unwrap()
    }
    fn u(s: &str) -> UnitCode {
        UnitCode::parse(s).unwrap()
    }

    fn people() -> Vec<(&'static str, Grant)> {
        vec![
            ("admin", Grant::all_periods(Role::Admin)),
            ("chu-tich", Grant::all_periods(Role::CouncilChair)),
            ("theo-doi", Grant::all_periods(Role::Observer)),
            (
                "td-snv",
                Grant::in_period(
                    Role::Appraiser {
                        scope: AppraiserScope::units([u("SNV")]),
                    },
                    p("2025"),
                ),
            ),
            (
                "td-stp",
                Grant::in_period(
                    Role::Appraiser {
                        scope: AppraiserScope::units([u("STP")]),
                    },
                    p("2025"),
                ),
            ),
            (
                "td-all",
                Grant::all_periods(Role::Appraiser {
                    scope: AppraiserScope::everything(),
                }),
            ),
            (
                "td-2024",
                Grant::in_period(
                    Role::Appraiser {
                        scope: AppraiserScope::everything(),
                    },
                    p("2024"),
                ),
            ),
            (
                "cb-snv",
                Grant::all_periods(Role::UnitOfficer { unit: u("SNV") }),
            ),
            (
                "ld-snv",
                Grant::in_period(Role::UnitLeader { unit: u("SNV") }, p("2025")),
            ),
            (
                "ld-snv",
                Grant::all_periods(Role::UnitLeader { unit: u("SNV") }),
            ),
            (
                "cb-stp",
                Grant::all_periods(Role::UnitOfficer { unit: u("STP") }),
            ),
        ]
    }

    fn to(event: &Event) -> Vec<String> {
        let people = people();
        event.recipients(people.iter().map(|(l, g)| (*l, g)))
    }

    #[test]
    fn a_submission_is_told_to_the_appraisers_covering_the_unit_in_that_period() {
        let e = Event::SelfAssessmentSubmitted {
            period: p("2025"),
            unit: u("SNV"),
        };
        assert_eq!(to(&e), ["td-all", "td-snv"]);
    }

    #[test]
    fn an_explanation_request_is_told_to_the_units_officers_and_leaders_once_each() {
        let e = Event::ExplanationRequested {
            period: p("2025"),
            unit: u("SNV"),
            leaf: NodeCode::parse("1.1").unwrap(),
        };
        assert_eq!(to(&e), ["cb-snv", "ld-snv"]);
    }

    #[test]
    fn an_approval_is_told_to_every_unit_officer_and_leader_of_the_period() {
        let e = Event::PeriodApproved { period: p("2025") };
        assert_eq!(to(&e), ["cb-snv", "cb-stp", "ld-snv"]);
        let other = Event::PeriodApproved { period: p("2024") };
        assert_eq!(
            to(&other),
            ["cb-snv", "cb-stp", "ld-snv"],
            "all-period grants"
        );
    }

    #[test]
    fn an_event_rebuilt_from_its_parts_is_the_same_event() {
        let events = [
            Event::SelfAssessmentSubmitted {
                period: p("2025"),
                unit: u("SNV"),
            },
            Event::ExplanationRequested {
                period: p("2025"),
                unit: u("SNV"),
                leaf: NodeCode::parse("2.3").unwrap(),
            },
            Event::PeriodApproved { period: p("2025") },
        ];
        for e in events {
            let back = Event::from_parts(
                e.kind(),
                e.period().clone(),
                e.unit().cloned(),
                e.leaf().cloned(),
            );
            assert_eq!(back, Some(e));
        }
        assert_eq!(Event::from_parts("unknown", p("2025"), None, None), None);
        assert_eq!(
            Event::from_parts("self_assessment_submitted", p("2025"), None, None),
            None
        );
    }

    #[test]
    fn failed_deliveries_wait_one_two_four_minutes_and_are_given_up_after_the_eighth_try() {
        let first = Duration::from_secs(60);
        let now = datetime!(2025-02-10 03:00 UTC);
        let waits: Vec<u64> = (1..MAX_ATTEMPTS)
            .map(|a| retry_delay(first, a).as_secs() / 60)
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64]);
        assert_eq!(
            after_failure(first, 1, now),
            AfterFailure::RetryAt(datetime!(2025-02-10 03:01 UTC))
        );
        assert_eq!(
            after_failure(first, MAX_ATTEMPTS, now),
            AfterFailure::GiveUp
        );
    }

    #[test]
    fn an_event_older_than_a_week_has_expired() {
        let at = datetime!(2025-02-10 03:00 UTC);
        assert!(!expired(at, datetime!(2025-02-17 03:00 UTC)));
        assert!(expired(at, datetime!(2025-02-17 03:01 UTC)));
    }

    proptest! {
        #[test]
        fn the_wait_never_shrinks_and_never_passes_six_hours(first in 1u64..100_000, a in 1u32..1000) {
            let first = Duration::from_secs(first);
            let now = retry_delay(first, a);
            let next = retry_delay(first, a + 1);
            prop_assert!(next >= now);
            prop_assert!(next <= MAX_RETRY_DELAY);
            prop_assert!(now >= first.min(MAX_RETRY_DELAY));
        }
    }
}
