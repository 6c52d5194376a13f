//! Role assignment: which roles a person holds (administrator, unit officer or leader of a
//! unit, appraiser by unit and/or area, council chair, observer), each for one period or for
//! all, and granting or revoking them. Checked against [`Action::ManageUsers`]; every grant
//! and revocation is audited by the store in the same transaction.
//!
//! The grants take effect at the person's next request: the signed-in user's roles are read
//! from the database on every request.

use std::collections::HashMap;

use chiso_domain::authz::{self, Action, AppraiserScope, Grant, Principal, Resource, Role};
use chiso_domain::{NodeCode, PeriodCode, UnitCode};
use chiso_store::grants::{self, StoredGrant};
use chiso_store::periods::{self, Period};
use chiso_store::users::{self, User};
use chiso_store::{Actor, Db, StoreError, units};
use time::OffsetDateTime;

use super::form::{FieldError, Refusal, in_form_order, split_list};
use crate::AppError;
use crate::error::FormError;

/// Longest revocation reason kept.
const MAX_REASON: usize = 500;

/// The kinds of role a form can grant, in the order the form lists them.
pub(crate) const ROLE_KINDS: [&str; 6] = [
    "admin",
    "unit_officer",
    "unit_leader",
    "appraiser",
    "council_chair",
    "observer",
];

fn require(p: &Principal) -> Result<(), AppError> {
    authz::check(p, Action::ManageUsers, &Resource::System).map_err(|_| AppError::Forbidden)
}

/// What the role page of one person shows.
#[derive(Debug, Clone)]
pub(crate) struct RolesOverview {
    pub user: User,
    pub grants: Vec<StoredGrant>,
    /// Periods a grant may be limited to, newest first.
    pub periods: Vec<Period>,
    /// Names of the units the grants name.
    pub unit_names: HashMap<UnitCode, String>,
}

/// The person `login` and their grants; 404 when nobody has this login.
#[tracing::instrument(skip_all, fields(login = %login))]
pub(crate) async fn overview(
    db: &Db,
    p: &Principal,
    login: &str,
) -> Result<RolesOverview, AppError> {
    require(p)?;
    let user = users::find_by_login(db, login)
        .await?
        .ok_or(AppError::PageNotFound)?;
    let grants = grants::stored_for_user(db, login).await?;
    let periods = periods::list(db).await?;
    let unit_names = units::list(db)
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    Ok(RolesOverview {
        user,
        grants,
        periods,
        unit_names,
    })
}

/// The grant form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub(crate) struct GrantDraft {
    /// One of [`ROLE_KINDS`].
    #[serde(default)]
    pub role: String,
    /// The unit of an officer or a leader.
    #[serde(default)]
    pub unit: String,
    /// An appraiser's units; blank: every unit.
    #[serde(default)]
    pub units: String,
    /// An appraiser's areas (or criteria); blank: every area.
    #[serde(default)]
    pub areas: String,
    /// Blank: every period.
    #[serde(default)]
    pub period: String,
}

/// Checks the grant form against the stored units and periods.
fn check_grant(
    draft: &GrantDraft,
    units: &HashMap<UnitCode, String>,
    periods: &[Period],
) -> Result<Grant, Vec<FieldError>> {
    let mut errors = Vec::new();
    let unit_code =
        |raw: &str, field: &'static str, errors: &mut Vec<FieldError>| match UnitCode::parse(raw) {
            Ok(c) if units.contains_key(&c) => Some(c),
            Ok(c) => {
                errors.push(FieldError::new(
                    field,
                    FormError::new("roles.unknown_unit").arg("code", &c),
                ));
                None
            }
            Err(e) => {
                errors.push(FieldError::new(
                    field,
                    FormError::new("roles.unit_invalid").arg("reason", e),
                ));
                None
            }
        };
    let kind = draft.role.trim();
    let takes_unit = matches!(kind, "unit_officer" | "unit_leader");
    let appraiser = kind == "appraiser";
    if !takes_unit && !draft.unit.trim().is_empty() {
        errors.push(FieldError::new(
            "unit",
            FormError::new("roles.unit_not_for_role"),
        ));
    }
    if !appraiser {
        for field in ["units", "areas"] {
            let typed = if field == "units" {
                &draft.units
            } else {
                &draft.areas
            };
            if !typed.trim().is_empty() {
                errors.push(FieldError::new(
                    field,
                    FormError::new("roles.scope_not_for_role"),
                ));
            }
        }
    }
    let role = match kind {
        "admin" => Some(Role::Admin),
        "council_chair" => Some(Role::CouncilChair),
        "observer" => Some(Role::Observer),
        "unit_officer" | "unit_leader" => {
            if draft.unit.trim().is_empty() {
                errors.push(FieldError::new(
                    "unit",
                    FormError::new("roles.unit_required"),
                ));
                None
            } else {
                unit_code(&draft.unit, "unit", &mut errors).map(|unit| {
                    if kind == "unit_officer" {
                        Role::UnitOfficer { unit }
                    } else {
                        Role::UnitLeader { unit }
                    }
                })
            }
        }
        "appraiser" => {
            let mut scope = AppraiserScope::everything();
            let typed_units = split_list(&draft.units);
            if !typed_units.is_empty() {
                let mut list: Vec<UnitCode> = Vec::new();
                for raw in typed_units {
                    if let Some(c) = unit_code(raw, "units", &mut errors)
                        && !list.contains(&c)
                    {
                        list.push(c);
                    }
                }
                scope.units = Some(list);
            }
            let typed_areas = split_list(&draft.areas);
            if !typed_areas.is_empty() {
                let mut list: Vec<NodeCode> = Vec::new();
                for raw in typed_areas {
                    match NodeCode::parse(raw) {
                        Ok(n) if !list.contains(&n) => list.push(n),
                        Ok(_) => {}
                        Err(e) => errors.push(FieldError::new(
                            "areas",
                            FormError::new("roles.area_invalid").arg("reason", e),
                        )),
                    }
                }
                scope.areas = Some(list);
            }
            Some(Role::Appraiser { scope })
        }
        _ => {
            errors.push(FieldError::new(
                "role",
                FormError::new("roles.role_required"),
            ));
            None
        }
    };
    let period = match draft.period.trim() {
        "" => Some(None),
        raw => match PeriodCode::parse(raw) {
            Ok(c) if periods.iter().any(|p| p.code == c) => Some(Some(c)),
            _ => {
                errors.push(FieldError::new(
                    "period",
                    FormError::new("roles.unknown_period").arg("period", raw),
                ));
                None
            }
        },
    };
    in_form_order(&mut errors, &["role", "unit", "units", "areas", "period"]);
    match (role, period) {
        (Some(role), Some(period)) if errors.is_empty() => Ok(Grant { role, period }),
        _ => Err(errors),
    }
}

/// Gives `login` the role of the form.
#[tracing::instrument(skip_all, fields(login = %login))]
pub(crate) async fn grant(
    db: &Db,
    p: &Principal,
    login: &str,
    draft: &GrantDraft,
    at: OffsetDateTime,
) -> Result<Grant, Refusal> {
    let RolesOverview {
        periods,
        unit_names,
        ..
    } = overview(db, p, login).await?;
    let grant = check_grant(draft, &unit_names, &periods)?;
    match grants::grant(db, login, &grant, &Actor(p.login.clone()), at).await {
        Ok(_) => Ok(grant),
        Err(StoreError::Conflict(_)) => Err(Refusal::Fields(vec![FieldError::new(
            "role",
            FormError::new("roles.duplicate"),
        )])),
        Err(e) => Err(e.into()),
    }
}

/// Takes the grant `id` away from `login`, with the reason given. Administrators cannot take
/// their own administrator role away, so that the last one cannot lock everybody out.
#[tracing::instrument(skip_all, fields(login = %login, id))]
pub(crate) async fn revoke(
    db: &Db,
    p: &Principal,
    login: &str,
    id: i64,
    reason: &str,
    at: OffsetDateTime,
) -> Result<Grant, Refusal> {
    require(p)?;
    let held = grants::stored_for_user(db, login).await?;
    let Some(g) = held.into_iter().find(|g| g.id == id) else {
        return Err(AppError::PageNotFound.into());
    };
    if login == p.login && g.grant.role == Role::Admin {
        return Err(Refusal::Fields(vec![FieldError::new(
            "revoke",
            FormError::new("roles.cannot_revoke_own_admin"),
        )]));
    }
    let reason: String = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    if reason.chars().count() > MAX_REASON {
        return Err(Refusal::Fields(vec![FieldError::new(
            "reason",
            FormError::new("roles.reason_too_long").arg("n", MAX_REASON),
        )]));
    }
    match grants::revoke(db, id, &reason, &Actor(p.login.clone()), at).await {
        Ok(()) => Ok(g.grant),
        Err(StoreError::NotFound(_)) => Err(AppError::PageNotFound.into()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units() -> HashMap<UnitCode, String> {
        [("SNV", "Sở Nội vụ"), ("STP", "Sở Tư pháp")]
            .into_iter()
            .map(|(c, n)| (UnitCode::parse(c).unwrap(), n.to_owned()))
            .collect()
    }

    fn periods() -> Vec<Period> {
        vec![Period {
            code: PeriodCode::parse("2024").unwrap(),
            year: 2024,
            name: "Chỉ số CCHC năm 2024".into(),
            previous: None,
            status: "draft".into(),
            decision: None,
            computed_at: None,
        }]
    }

    fn draft(role: &str) -> GrantDraft {
        GrantDraft {
            role: role.into(),
            ..GrantDraft::default()
        }
    }

    fn keys(r: Result<Grant, Vec<FieldError>>) -> Vec<(&'static str, &'static str)> {
        r.unwrap_err()
            .iter()
            .map(|e| (e.field, e.error.key))
            .collect()
    }

    #[test]
    fn an_officer_needs_a_known_unit_and_a_known_period() {
        let mut d = draft("unit_officer");
        assert_eq!(
            keys(check_grant(&d, &units(), &periods())),
            vec![("unit", "roles.unit_required")]
        );
        d.unit = "SYT".into();
        d.period = "2031".into();
        assert_eq!(
            keys(check_grant(&d, &units(), &periods())),
            vec![
                ("unit", "roles.unknown_unit"),
                ("period", "roles.unknown_period")
            ]
        );
        d.unit = "SNV".into();
        d.period = "2024".into();
        let g = check_grant(&d, &units(), &periods()).unwrap();
        assert_eq!(
            g,
            Grant::in_period(
                Role::UnitOfficer {
                    unit: UnitCode::parse("SNV").unwrap()
                },
                PeriodCode::parse("2024").unwrap()
            )
        );
    }

    #[test]
    fn an_appraiser_is_scoped_by_units_and_or_areas_and_blank_means_everything() {
        let mut d = draft("appraiser");
        assert_eq!(
            check_grant(&d, &units(), &periods()).unwrap().role,
            Role::Appraiser {
                scope: AppraiserScope::everything()
            }
        );
        d.units = "STP, STP SNV".into();
        d.areas = "2; 3.1".into();
        let Role::Appraiser { scope } = check_grant(&d, &units(), &periods()).unwrap().role else {
            panic!("an appraiser")
        };
        assert_eq!(scope.units.unwrap().len(), 2);
        assert_eq!(scope.areas.unwrap().len(), 2);
        d.areas = "hai ba!".into();
        assert_eq!(
            keys(check_grant(&d, &units(), &periods())),
            vec![("areas", "roles.area_invalid")]
        );
    }

    #[test]
    fn fields_that_do_not_belong_to_the_role_are_refused_rather_than_ignored() {
        let mut d = draft("observer");
        d.unit = "SNV".into();
        d.areas = "1".into();
        assert_eq!(
            keys(check_grant(&d, &units(), &periods())),
            vec![
                ("unit", "roles.unit_not_for_role"),
                ("areas", "roles.scope_not_for_role")
            ]
        );
        assert_eq!(
            keys(check_grant(&draft("emperor"), &units(), &periods())),
            vec![("role", "roles.role_required")]
        );
    }
}
