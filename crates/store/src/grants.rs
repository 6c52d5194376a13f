//! Roles held by people (domain.md §1): administrator, unit officer and leader of a unit,
//! appraiser of some units and/or areas, council chair, observer; each for one period or for
//! every period. One person may hold several. Authorization itself is decided by
//! [`chiso_domain::can`] from the [`Grant`]s read here.

use chiso_domain::{AppraiserScope, Grant, PeriodCode, Role, UnitCode};
use serde::Serialize;
use sqlx::types::Json;
use time::OffsetDateTime;

use crate::audit::{self, NewEntry};
use crate::codec;
use crate::{Actor, Db, StoreError};

/// Audit entity of a role grant (key: the login of the person holding it).
pub const ENTITY: &str = "role_grant";

/// A grant as stored, with who gave it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredGrant {
    /// Names the grant when it is revoked.
    pub id: i64,
    /// The person holding it.
    pub login: String,
    pub grant: Grant,
    pub granted_by: String,
    pub granted_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    login: String,
    role: String,
    unit: Option<String>,
    scope: Option<Json<AppraiserScope>>,
    period: Option<String>,
    granted_by: String,
    granted_at: String,
}

impl Row {
    fn into_grant(self) -> Result<StoredGrant, StoreError> {
        let unit = || -> Result<UnitCode, StoreError> {
            let u = self.unit.as_deref().ok_or_else(|| {
                StoreError::Corrupt(format!("vai trò {} không có đơn vị", self.role))
            })?;
            codec::id(u, UnitCode::parse)
        };
        let role = match self.role.as_str() {
            "admin" => Role::Admin,
            "unit_officer" => Role::UnitOfficer { unit: unit()? },
            "unit_leader" => Role::UnitLeader { unit: unit()? },
            "appraiser" => Role::Appraiser {
                scope: self.scope.clone().map(|j| j.0).unwrap_or_default(),
            },
            "council_chair" => Role::CouncilChair,
            "observer" => Role::Observer,
            other => return Err(StoreError::Corrupt(format!("vai trò \"{other}\""))),
        };
        Ok(StoredGrant {
            id: self.id,
            login: self.login,
            grant: Grant {
                role,
                period: self
                    .period
                    .as_deref()
                    .map(|p| codec::id(p, PeriodCode::parse))
                    .transpose()?,
            },
            granted_by: self.granted_by,
            granted_at: codec::parse_ts(&self.granted_at)?,
        })
    }
}

/// The unit and the appraiser scope of a role, as their own columns so that grants can be
/// found by unit and checked against the units table.
fn columns(role: &Role) -> (Option<&UnitCode>, Option<&AppraiserScope>) {
    match role {
        Role::UnitOfficer { unit } | Role::UnitLeader { unit } => (Some(unit), None),
        Role::Appraiser { scope } => (None, Some(scope)),
        Role::Admin | Role::CouncilChair | Role::Observer => (None, None),
    }
}

/// The whole grant in one canonical text, so that a person cannot hold the same grant twice
/// while an appraiser may hold several grants with different scopes.
fn grant_key(grant: &Grant) -> Result<String, StoreError> {
    Ok(serde_json::to_string(grant)?)
}

/// Gives `login` the grant and returns its id. [`StoreError::Conflict`] if the person already
/// holds exactly this grant, or the person, unit or period does not exist.
#[tracing::instrument(skip_all, fields(login = %login, role = grant.role.as_str()))]
pub async fn grant(
    db: &Db,
    login: &str,
    grant: &Grant,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    let (unit, scope) = columns(&grant.role);
    let key = grant_key(grant)?;
    let id = sql!(
        tx,
        scalar_optional i64,
        "INSERT INTO role_grants (login, role, unit, scope, period, grant_key, granted_by, \
         granted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (login, grant_key) DO NOTHING RETURNING id",
        login,
        grant.role.as_str(),
        unit.map(UnitCode::as_str),
        scope.map(Json),
        grant.period.as_ref().map(PeriodCode::as_str),
        key.as_str(),
        actor.as_str(),
        codec::ts(at),
    )?
    .ok_or_else(|| {
        StoreError::Conflict(format!(
            "người dùng \"{login}\" đã có vai trò {} này",
            grant.role.label_vi()
        ))
    })?;
    let mut entry =
        NewEntry::new(actor, at, "grant", ENTITY, login).values(None, Some(codec::json(grant)));
    entry.period = grant.period.as_ref().map(PeriodCode::as_str);
    entry.unit = unit.map(UnitCode::as_str);
    audit::record(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(id)
}

/// Takes a grant away (the row is deleted; the audit log keeps what it was and `reason`).
/// [`StoreError::NotFound`] if no grant has this id.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn revoke(
    db: &Db,
    id: i64,
    reason: &str,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let old = sql!(
        tx,
        optional Row,
        "DELETE FROM role_grants WHERE id = $1 \
         RETURNING id, login, role, unit, scope, period, granted_by, granted_at",
        id,
    )?
    .ok_or_else(|| StoreError::NotFound(format!("vai trò số {id}")))?
    .into_grant()?;
    let (unit, _) = columns(&old.grant.role);
    let mut entry = NewEntry::new(actor, at, "revoke", ENTITY, old.login.as_str())
        .values(Some(codec::json(&old.grant)), None);
    entry.period = old.grant.period.as_ref().map(PeriodCode::as_str);
    entry.unit = unit.map(UnitCode::as_str);
    entry.reason = Some(reason).filter(|r| !r.trim().is_empty());
    audit::record(&mut tx, entry).await?;
    tx.commit().await
}

/// Every grant `login` holds, in the order they were given: what the service turns into a
/// [`chiso_domain::Principal`] at sign-in.
#[tracing::instrument(skip_all, fields(login = %login))]
pub async fn for_user(db: &Db, login: &str) -> Result<Vec<Grant>, StoreError> {
    let mut c = db.conn().await?;
    sql!(
        c,
        all Row,
        "SELECT id, login, role, unit, scope, period, granted_by, granted_at FROM role_grants \
         WHERE login = $1 ORDER BY id",
        login,
    )?
    .into_iter()
    .map(|r| r.into_grant().map(|g| g.grant))
    .collect()
}

/// Every grant of every person, by login then in the order they were given.
#[tracing::instrument(skip_all)]
pub async fn list(db: &Db) -> Result<Vec<StoredGrant>, StoreError> {
    let mut c = db.conn().await?;
    let mut out = sql!(
        c,
        all Row,
        "SELECT id, login, role, unit, scope, period, granted_by, granted_at FROM role_grants \
         ORDER BY id",
    )?
    .into_iter()
    .map(Row::into_grant)
    .collect::<Result<Vec<_>, _>>()?;
    // Sorted here rather than in SQL: PostgreSQL orders text by the database's locale.
    out.sort_by(|a, b| a.login.cmp(&b.login).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// Every grant `login` holds, with who gave it and when, in the order they were given: what
/// the role administration page lists (each with the id that revokes it).
#[tracing::instrument(skip_all, fields(login = %login))]
pub async fn stored_for_user(db: &Db, login: &str) -> Result<Vec<StoredGrant>, StoreError> {
    let mut c = db.conn().await?;
    sql!(
        c,
        all Row,
        "SELECT id, login, role, unit, scope, period, granted_by, granted_at FROM role_grants \
         WHERE login = $1 ORDER BY id",
        login,
    )?
    .into_iter()
    .map(Row::into_grant)
    .collect()
}
