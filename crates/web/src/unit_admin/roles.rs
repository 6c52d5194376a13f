//! Role assignment pages' adapter: the grant form as typed is parsed into
//! [`chiso_services::roles::GrantRole`] (which box a code was typed in, codes that do not
//! parse), then the roles service decides (the role's shape, units and periods that exist, a
//! role held once) with the same rules as `chiso user grant`. Its refusals are shown next to
//! the fields they name.
//!
//! The grants take effect at the person's next request: the signed-in user's roles are read
//! from the database on every request.

use chiso_domain::authz::{Grant, Principal};
use chiso_domain::{NodeCode, PeriodCode, UnitCode};
use chiso_services::Db;
use chiso_services::roles::{self, GrantRole, RevokeRole, RoleKind};
use chiso_services::{Detail, Problem, ServiceError, codes};
use time::OffsetDateTime;

use super::form::{FieldError, Refusal, in_form_order, split_list};
use crate::AppError;
use crate::error::FormError;

pub(crate) use chiso_services::roles::RolesOverview;

/// The kinds of role a form can grant, in the order the form lists them.
pub(crate) const ROLE_KINDS: [&str; 6] = [
    "admin",
    "unit_officer",
    "unit_leader",
    "appraiser",
    "council_chair",
    "observer",
];

/// The fields of the grant form, in the order mistakes are listed.
const FORM_ORDER: [&str; 5] = ["role", "unit", "units", "areas", "period"];

/// The person `login` and their grants; 404 when nobody has this login.
pub(crate) async fn overview(
    db: &Db,
    p: &Principal,
    login: &str,
) -> Result<RolesOverview, AppError> {
    Ok(roles::overview(db, p, login).await?)
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

/// Parses the form: what was typed into a box that does not belong to the role, and codes
/// that do not parse, are the form's own mistakes; the rest is for the service to judge.
fn parse_draft(login: &str, draft: &GrantDraft) -> (Option<GrantRole>, Vec<FieldError>) {
    let mut errors = Vec::new();
    let kind = RoleKind::parse(&draft.role);
    if kind.is_none() {
        errors.push(FieldError::new(
            "role",
            FormError::new("roles.role_required"),
        ));
    }
    let appraiser = kind == Some(RoleKind::Appraiser);
    let mut units: Vec<UnitCode> = Vec::new();
    let unit = |raw: &str, field: &'static str, errors: &mut Vec<FieldError>| {
        UnitCode::parse(raw)
            .map_err(|e| {
                errors.push(FieldError::new(
                    field,
                    FormError::new("roles.unit_invalid").arg("reason", e),
                ));
            })
            .ok()
    };
    let typed_unit = draft.unit.trim();
    if !typed_unit.is_empty() {
        if appraiser {
            errors.push(FieldError::new(
                "unit",
                FormError::new("roles.unit_not_for_role"),
            ));
        } else if let Some(u) = unit(typed_unit, "unit", &mut errors) {
            units.push(u);
        }
    }
    let mut areas: Vec<NodeCode> = Vec::new();
    if appraiser {
        for raw in split_list(&draft.units) {
            units.extend(unit(raw, "units", &mut errors));
        }
        for raw in split_list(&draft.areas) {
            match NodeCode::parse(raw) {
                Ok(n) => areas.push(n),
                Err(e) => errors.push(FieldError::new(
                    "areas",
                    FormError::new("roles.area_invalid").arg("reason", e),
                )),
            }
        }
    } else {
        for (field, typed) in [("units", &draft.units), ("areas", &draft.areas)] {
            if !typed.trim().is_empty() {
                errors.push(FieldError::new(
                    field,
                    FormError::new("roles.scope_not_for_role"),
                ));
            }
        }
    }
    let period = match draft.period.trim() {
        "" => None,
        raw => match PeriodCode::parse(raw) {
            Ok(c) => Some(c),
            Err(_) => {
                errors.push(FieldError::new(
                    "period",
                    FormError::new("roles.unknown_period").arg("period", raw),
                ));
                None
            }
        },
    };
    let cmd = kind.map(|role| GrantRole {
        login: login.to_owned(),
        role,
        units,
        areas,
        period,
    });
    (cmd, errors)
}

/// A form field named by a service problem.
fn field_of(name: &str) -> Option<&'static str> {
    [
        "role", "unit", "units", "areas", "period", "revoke", "reason",
    ]
    .into_iter()
    .find(|f| *f == name)
}

/// A service problem as the form's message next to its field.
fn field_error(p: &Problem) -> Option<FieldError> {
    let arg = |name: &str| {
        p.args
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let field = field_of(&arg("field"))?;
    let error = match p.code {
        c if c == codes::ROLE_UNIT_REQUIRED || c == codes::ROLE_ONE_UNIT => {
            FormError::new("roles.unit_required")
        }
        c if c == codes::ROLE_UNIT_NOT_FOR_ROLE => FormError::new("roles.unit_not_for_role"),
        c if c == codes::ROLE_SCOPE_NOT_FOR_ROLE => FormError::new("roles.scope_not_for_role"),
        c if c == codes::ROLE_UNKNOWN_UNIT => {
            FormError::new("roles.unknown_unit").arg("code", arg("unit"))
        }
        c if c == codes::ROLE_UNKNOWN_PERIOD => {
            FormError::new("roles.unknown_period").arg("period", arg("period"))
        }
        c if c == codes::ROLE_DUPLICATE => FormError::new("roles.duplicate"),
        c if c == codes::ROLE_OWN_ADMIN => FormError::new("roles.cannot_revoke_own_admin"),
        c if c == codes::ROLE_REASON_TOO_LONG => {
            FormError::new("roles.reason_too_long").arg("n", arg("max"))
        }
        _ => return None,
    };
    Some(FieldError::new(field, error))
}

/// The field mistakes of a `role_refused` error, or the error itself for an error page.
fn field_errors(e: ServiceError) -> Result<Vec<FieldError>, AppError> {
    if !e.is(codes::ROLE_REFUSED) {
        return Err(e.into());
    }
    let Some(Detail::Problems(problems)) = e.details() else {
        return Err(e.into());
    };
    match problems.iter().map(field_error).collect::<Option<Vec<_>>>() {
        Some(errors) => Ok(errors),
        None => Err(e.into()),
    }
}

/// Gives `login` the role of the form; every mistake of the form at once.
#[tracing::instrument(skip_all, fields(login = %login))]
pub(crate) async fn grant(
    db: &Db,
    p: &Principal,
    login: &str,
    draft: &GrantDraft,
    at: OffsetDateTime,
) -> Result<Grant, Refusal> {
    // Who may not manage roles, or names nobody, learns nothing about the form.
    overview(db, p, login).await?;
    let (cmd, mut errors) = parse_draft(login, draft);
    let outcome = match &cmd {
        Some(cmd) if errors.is_empty() => roles::grant(db, p, cmd, at).await,
        Some(cmd) => roles::check_grant(db, cmd).await,
        None => return Err(Refusal::Fields(errors)),
    };
    match outcome {
        Ok(g) if errors.is_empty() => return Ok(g),
        Ok(_) => {}
        Err(e) => errors.extend(field_errors(e)?),
    }
    in_form_order(&mut errors, &FORM_ORDER);
    Err(Refusal::Fields(errors))
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
    let cmd = RevokeRole {
        login: login.to_owned(),
        grant: id,
        reason: reason.to_owned(),
    };
    match roles::revoke(db, p, &cmd, at).await {
        Ok(g) => Ok(g),
        Err(e) if e.is(codes::ROLE_GRANT_NOT_FOUND) => Err(AppError::PageNotFound.into()),
        Err(e) => Err(Refusal::Fields(field_errors(e)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(role: &str) -> GrantDraft {
        GrantDraft {
            role: role.into(),
            ..GrantDraft::default()
        }
    }

    fn keys(errors: &[FieldError]) -> Vec<(&'static str, &str)> {
        errors
            .iter()
            .map(|e| (e.field, e.error.key.as_ref()))
            .collect()
    }

    #[test]
    fn an_appraisers_boxes_are_parsed_and_blank_means_everything() {
        let mut d = draft("appraiser");
        let (cmd, errors) = parse_draft("canbo", &d);
        let cmd = cmd.unwrap();
        assert!(errors.is_empty());
        assert!(cmd.units.is_empty() && cmd.areas.is_empty() && cmd.period.is_none());
        d.units = "STP, STP SNV".into();
        d.areas = "2; 3.1".into();
        d.period = "2024".into();
        let (cmd, errors) = parse_draft("canbo", &d);
        let cmd = cmd.unwrap();
        assert!(errors.is_empty());
        assert_eq!((cmd.units.len(), cmd.areas.len()), (3, 2));
        assert_eq!(cmd.period, Some(PeriodCode::parse("2024").unwrap()));
        d.areas = "hai ba!".into();
        assert_eq!(
            keys(&parse_draft("canbo", &d).1),
            vec![("areas", "roles.area_invalid")]
        );
    }

    #[test]
    fn boxes_that_do_not_belong_to_the_role_are_refused_rather_than_ignored() {
        let mut d = draft("observer");
        d.unit = "SNV".into();
        d.areas = "1".into();
        let (cmd, errors) = parse_draft("canbo", &d);
        assert_eq!(keys(&errors), vec![("areas", "roles.scope_not_for_role")]);
        assert_eq!(cmd.unwrap().units.len(), 1, "the service refuses the unit");
        let (cmd, errors) = parse_draft("canbo", &draft("emperor"));
        assert!(cmd.is_none());
        assert_eq!(keys(&errors), vec![("role", "roles.role_required")]);
    }

    #[test]
    fn every_refusal_of_the_roles_service_is_shown_next_to_its_field() {
        let problems = [
            Problem::new(codes::ROLE_UNIT_REQUIRED).arg("field", "unit"),
            Problem::new(codes::ROLE_UNKNOWN_UNIT)
                .arg("field", "units")
                .arg("unit", "KHONG-CO"),
            Problem::new(codes::ROLE_UNKNOWN_PERIOD)
                .arg("field", "period")
                .arg("period", "2099"),
            Problem::new(codes::ROLE_DUPLICATE).arg("field", "role"),
            Problem::new(codes::ROLE_OWN_ADMIN).arg("field", "revoke"),
            Problem::new(codes::ROLE_REASON_TOO_LONG)
                .arg("field", "reason")
                .arg("max", 500),
        ];
        for p in &problems {
            let e = field_error(p).unwrap_or_else(|| panic!("{p:?}"));
            assert!(!e.error.message(crate::Lang::Vi).contains('{'), "{p:?}");
        }
    }
}
