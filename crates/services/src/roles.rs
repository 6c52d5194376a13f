//! Role assignment: which roles a person holds (administrator, unit officer or leader of a
//! unit, appraiser by unit and/or area, council chair, observer), each for one period or for
//! all, and granting or revoking them. One validation for the web page and `chiso user grant`:
//! which role takes a unit, a scope, the units and period named must exist, a role is held
//! once. Checked against [`Action::ManageUsers`]; every grant and revocation is audited by the
//! store in the same transaction.

use std::collections::HashMap;

use chiso_domain::authz::{Action, AppraiserScope, Grant, Principal, Resource, Role};
use chiso_domain::{NodeCode, PeriodCode, UnitCode};
use chiso_store::grants::{self, StoredGrant};
use chiso_store::periods::{self, Period};
use chiso_store::users::{self, User};
use chiso_store::{Actor, Db, StoreError, units};
use time::OffsetDateTime;

use crate::authz::authorize;
use crate::codes;
use crate::error::{Detail, Problem, ServiceError, ServiceResult};

/// Longest revocation reason kept.
pub const MAX_REASON: usize = 500;

/// The kinds of role, in the order forms list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleKind {
    /// Administrator (Sở Nội vụ).
    Admin,
    /// Unit officer: fills in the self-assessment of one unit.
    UnitOfficer,
    /// Unit leader: also submits it.
    UnitLeader,
    /// Appraiser, by units and/or areas (none named: every one).
    Appraiser,
    /// Council chair: approves the appraisal.
    CouncilChair,
    /// Read-only observer.
    Observer,
}

impl RoleKind {
    /// Every kind, in form order.
    pub const ALL: [RoleKind; 6] = [
        RoleKind::Admin,
        RoleKind::UnitOfficer,
        RoleKind::UnitLeader,
        RoleKind::Appraiser,
        RoleKind::CouncilChair,
        RoleKind::Observer,
    ];

    /// The stable name (`unit_officer`), as stored and posted by forms.
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Admin => "admin",
            RoleKind::UnitOfficer => "unit_officer",
            RoleKind::UnitLeader => "unit_leader",
            RoleKind::Appraiser => "appraiser",
            RoleKind::CouncilChair => "council_chair",
            RoleKind::Observer => "observer",
        }
    }

    /// The kind named `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name.trim())
    }

    fn takes_one_unit(self) -> bool {
        matches!(self, RoleKind::UnitOfficer | RoleKind::UnitLeader)
    }
}

/// Give `login` a role. `units` is the unit of an officer or leader (exactly one), or an
/// appraiser's units (none: every unit); `areas` an appraiser's areas or criteria (none:
/// every area); `period` limits the role to one period (none: every period).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRole {
    /// The person receiving the role.
    pub login: String,
    /// Which role.
    pub role: RoleKind,
    /// Units, as above.
    pub units: Vec<UnitCode>,
    /// Areas, as above.
    pub areas: Vec<NodeCode>,
    /// One period, or every period.
    pub period: Option<PeriodCode>,
}

/// Take grant `grant` away from `login`, with a reason for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokeRole {
    /// The person holding the grant.
    pub login: String,
    /// The grant's id.
    pub grant: i64,
    /// Why (kept in the audit log; whitespace runs collapsed).
    pub reason: String,
}

/// What the role page of one person shows, with what the reader may do there.
#[derive(Debug, Clone)]
pub struct RolesOverview {
    /// The person.
    pub user: User,
    /// Roles held now.
    pub grants: Vec<StoredGrant>,
    /// Periods a grant may be limited to, newest first.
    pub periods: Vec<Period>,
    /// Names of the units the grants name.
    pub unit_names: HashMap<UnitCode, String>,
}

fn require(principal: &Principal) -> ServiceResult<()> {
    authorize(principal, Action::ManageUsers, &Resource::System)
}

async fn user(db: &Db, login: &str) -> ServiceResult<User> {
    users::find_by_login(db, login)
        .await?
        .ok_or_else(|| ServiceError::new(codes::ROLE_USER_NOT_FOUND).arg("login", login))
}

fn refused(problems: Vec<Problem>) -> ServiceError {
    ServiceError::new(codes::ROLE_REFUSED)
        .arg("count", problems.len())
        .detail(Detail::Problems(problems))
}

/// The person `login` and their grants; `role_user_not_found` when nobody has this login.
#[tracing::instrument(skip_all, fields(login = %login))]
pub async fn overview(db: &Db, principal: &Principal, login: &str) -> ServiceResult<RolesOverview> {
    require(principal)?;
    let user = user(db, login).await?;
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

/// Checks a grant against the role's shape and the stored units and periods, without
/// writing: every problem at once (`role_refused` with one problem per field, the field
/// named first: `unit` for an officer's or leader's unit, `units` and `areas` for an
/// appraiser's scope, `period`). Forms call it to show every mistake together.
pub async fn check_grant(db: &Db, cmd: &GrantRole) -> ServiceResult<Grant> {
    let known: HashMap<UnitCode, String> = units::list(db)
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    let periods = periods::list(db).await?;
    let mut problems = Vec::new();
    let unit_field = if cmd.role == RoleKind::Appraiser {
        "units"
    } else {
        "unit"
    };
    if cmd.role.takes_one_unit() {
        match cmd.units.len() {
            0 => problems.push(Problem::new(codes::ROLE_UNIT_REQUIRED).arg("field", "unit")),
            1 => {}
            _ => problems.push(Problem::new(codes::ROLE_ONE_UNIT).arg("field", "unit")),
        }
    } else if cmd.role != RoleKind::Appraiser && !cmd.units.is_empty() {
        problems.push(Problem::new(codes::ROLE_UNIT_NOT_FOR_ROLE).arg("field", "unit"));
    }
    if cmd.role.takes_one_unit() || cmd.role == RoleKind::Appraiser {
        for u in &cmd.units {
            if !known.contains_key(u) {
                problems.push(
                    Problem::new(codes::ROLE_UNKNOWN_UNIT)
                        .arg("field", unit_field)
                        .arg("unit", u),
                );
            }
        }
    }
    if cmd.role != RoleKind::Appraiser && !cmd.areas.is_empty() {
        problems.push(Problem::new(codes::ROLE_SCOPE_NOT_FOR_ROLE).arg("field", "areas"));
    }
    if let Some(p) = &cmd.period
        && !periods.iter().any(|x| &x.code == p)
    {
        problems.push(
            Problem::new(codes::ROLE_UNKNOWN_PERIOD)
                .arg("field", "period")
                .arg("period", p),
        );
    }
    if !problems.is_empty() {
        return Err(refused(problems));
    }
    let dedup = |list: &[UnitCode]| {
        let mut out: Vec<UnitCode> = Vec::new();
        for u in list {
            if !out.contains(u) {
                out.push(u.clone());
            }
        }
        out
    };
    let role = match cmd.role {
        RoleKind::Admin => Role::Admin,
        RoleKind::CouncilChair => Role::CouncilChair,
        RoleKind::Observer => Role::Observer,
        RoleKind::UnitOfficer => Role::UnitOfficer {
            unit: cmd.units[0].clone(),
        },
        RoleKind::UnitLeader => Role::UnitLeader {
            unit: cmd.units[0].clone(),
        },
        RoleKind::Appraiser => {
            let mut areas: Vec<NodeCode> = Vec::new();
            for a in &cmd.areas {
                if !areas.contains(a) {
                    areas.push(a.clone());
                }
            }
            Role::Appraiser {
                scope: AppraiserScope {
                    units: (!cmd.units.is_empty()).then(|| dedup(&cmd.units)),
                    areas: (!areas.is_empty()).then_some(areas),
                },
            }
        }
    };
    Ok(Grant {
        role,
        period: cmd.period.clone(),
    })
}

/// Gives `login` the role: `role_user_not_found`, `role_refused` with every problem of the grant
/// ([`check_grant`]), or `role_refused` with `role_duplicate` when the person holds exactly
/// this role already.
#[tracing::instrument(skip_all, fields(login = %cmd.login))]
pub async fn grant(
    db: &Db,
    principal: &Principal,
    cmd: &GrantRole,
    at: OffsetDateTime,
) -> ServiceResult<Grant> {
    require(principal)?;
    user(db, &cmd.login).await?;
    let grant = check_grant(db, cmd).await?;
    match grants::grant(db, &cmd.login, &grant, &Actor(principal.login.clone()), at).await {
        Ok(_) => Ok(grant),
        Err(StoreError::Conflict(_)) => Err(refused(vec![
            Problem::new(codes::ROLE_DUPLICATE).arg("field", "role"),
        ])),
        Err(e) => Err(e.into()),
    }
}

/// Takes a grant away. Administrators cannot take their own administrator role away, so
/// that the last one cannot lock everybody out (`role_refused` with `role_own_admin`); a
/// reason longer than [`MAX_REASON`] is refused (`role_reason_too_long`); a grant the person
/// does not hold is `role_grant_not_found`.
#[tracing::instrument(skip_all, fields(login = %cmd.login, id = cmd.grant))]
pub async fn revoke(
    db: &Db,
    principal: &Principal,
    cmd: &RevokeRole,
    at: OffsetDateTime,
) -> ServiceResult<Grant> {
    require(principal)?;
    let not_found = || {
        ServiceError::new(codes::ROLE_GRANT_NOT_FOUND)
            .arg("login", &cmd.login)
            .arg("grant", cmd.grant)
    };
    let held = grants::stored_for_user(db, &cmd.login).await?;
    let Some(g) = held.into_iter().find(|g| g.id == cmd.grant) else {
        return Err(not_found());
    };
    if cmd.login == principal.login && g.grant.role == Role::Admin {
        return Err(refused(vec![
            Problem::new(codes::ROLE_OWN_ADMIN).arg("field", "revoke"),
        ]));
    }
    let reason: String = cmd.reason.split_whitespace().collect::<Vec<_>>().join(" ");
    if reason.chars().count() > MAX_REASON {
        return Err(refused(vec![
            Problem::new(codes::ROLE_REASON_TOO_LONG)
                .arg("field", "reason")
                .arg("max", MAX_REASON),
        ]));
    }
    match grants::revoke(db, cmd.grant, &reason, &Actor(principal.login.clone()), at).await {
        Ok(()) => Ok(g.grant),
        Err(StoreError::NotFound(_)) => Err(not_found()),
        Err(e) => Err(e.into()),
    }
}
