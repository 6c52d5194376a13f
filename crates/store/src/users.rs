//! People who sign in. Password hashes are stored as given (hashing happens above the store)
//! and never written to the audit log or to debug output.

use std::fmt;

use time::OffsetDateTime;

use crate::audit::{self, NewEntry};
use crate::codec;
use crate::{Actor, Db, StoreError};

/// Audit entity of a user (key: the login).
pub const ENTITY: &str = "user";

/// A user account.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    /// PHC string (Argon2id); never shown.
    pub password_hash: String,
    pub is_admin: bool,
    pub disabled: bool,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("login", &self.login)
            .field("display_name", &self.display_name)
            .field("password_hash", &"[redacted]")
            .field("is_admin", &self.is_admin)
            .field("disabled", &self.disabled)
            .finish()
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    login: String,
    display_name: String,
    password_hash: String,
    is_admin: bool,
    disabled: bool,
}

impl From<Row> for User {
    fn from(r: Row) -> Self {
        User {
            id: r.id,
            login: r.login,
            display_name: r.display_name,
            password_hash: r.password_hash,
            is_admin: r.is_admin,
            disabled: r.disabled,
        }
    }
}

fn audit_value(
    login: &str,
    display_name: &str,
    is_admin: bool,
    disabled: bool,
) -> serde_json::Value {
    serde_json::json!({
        "login": login,
        "display_name": display_name,
        "is_admin": is_admin,
        "disabled": disabled,
    })
}

/// Creates an enabled user and returns its id. [`StoreError::Conflict`] if the login is taken.
#[tracing::instrument(skip_all, fields(login = %login))]
pub async fn create(
    db: &Db,
    login: &str,
    display_name: &str,
    password_hash: &str,
    is_admin: bool,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    let stamp = codec::ts(at);
    let id = sql!(
        tx,
        scalar_optional i64,
        "INSERT INTO users (login, display_name, password_hash, is_admin, disabled, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
         ON CONFLICT (login) DO NOTHING RETURNING id",
        login,
        display_name,
        password_hash,
        is_admin,
        false,
        stamp.as_str(),
    )?
    .ok_or_else(|| StoreError::Conflict(format!("tên đăng nhập \"{login}\" đã có người dùng")))?;
    audit::record(
        &mut tx,
        NewEntry::new(actor, at, "create", ENTITY, login).values(
            None,
            Some(audit_value(login, display_name, is_admin, false)),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The user with this login, enabled or not.
#[tracing::instrument(skip_all, fields(login = %login))]
pub async fn find_by_login(db: &Db, login: &str) -> Result<Option<User>, StoreError> {
    let mut c = db.conn().await?;
    Ok(sql!(
        c,
        optional Row,
        "SELECT id, login, display_name, password_hash, is_admin, disabled FROM users \
         WHERE login = $1",
        login,
    )?
    .map(User::from))
}

/// Every user, by login.
#[tracing::instrument(skip_all)]
pub async fn list(db: &Db) -> Result<Vec<User>, StoreError> {
    let mut c = db.conn().await?;
    Ok(sql!(
        c,
        all Row,
        "SELECT id, login, display_name, password_hash, is_admin, disabled FROM users \
         ORDER BY login",
    )?
    .into_iter()
    .map(User::from)
    .collect())
}

/// Replaces the password hash. [`StoreError::NotFound`] for an unknown login. The audit entry
/// records that the password changed, not the hash.
#[tracing::instrument(skip_all, fields(login = %login))]
pub async fn set_password(
    db: &Db,
    login: &str,
    password_hash: &str,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let n = sql!(
        tx,
        execute,
        "UPDATE users SET password_hash = $1, updated_at = $2 WHERE login = $3",
        password_hash,
        codec::ts(at),
        login,
    )?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("người dùng \"{login}\"")));
    }
    audit::record(
        &mut tx,
        NewEntry::new(actor, at, "set_password", ENTITY, login),
    )
    .await?;
    tx.commit().await
}

/// Enables or disables sign-in. [`StoreError::NotFound`] for an unknown login.
#[tracing::instrument(skip_all, fields(login = %login, disabled))]
pub async fn set_disabled(
    db: &Db,
    login: &str,
    disabled: bool,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let old = sql!(
        tx,
        optional Row,
        "SELECT id, login, display_name, password_hash, is_admin, disabled FROM users \
         WHERE login = $1",
        login,
    )?
    .ok_or_else(|| StoreError::NotFound(format!("người dùng \"{login}\"")))?;
    if old.disabled == disabled {
        return Ok(());
    }
    sql!(
        tx,
        execute,
        "UPDATE users SET disabled = $1, updated_at = $2 WHERE login = $3",
        disabled,
        codec::ts(at),
        login,
    )?;
    audit::record(
        &mut tx,
        NewEntry::new(
            actor,
            at,
            if disabled { "disable" } else { "enable" },
            ENTITY,
            login,
        )
        .values(
            Some(audit_value(
                login,
                &old.display_name,
                old.is_admin,
                old.disabled,
            )),
            Some(audit_value(
                login,
                &old.display_name,
                old.is_admin,
                disabled,
            )),
        ),
    )
    .await?;
    tx.commit().await
}

#[derive(sqlx::FromRow)]
struct EmailRow {
    login: String,
    email: Option<String>,
    disabled: bool,
}

/// The e-mail address of a user, if one is set. [`StoreError::NotFound`] for an unknown login.
#[tracing::instrument(skip_all, fields(login = %login))]
pub async fn email(db: &Db, login: &str) -> Result<Option<String>, StoreError> {
    let mut c = db.conn().await?;
    sql!(
        c,
        optional EmailRow,
        "SELECT login, email, disabled FROM users WHERE login = $1",
        login,
    )?
    .map(|r| r.email)
    .ok_or_else(|| StoreError::NotFound(format!("người dùng \"{login}\"")))
}

/// Enabled users with an e-mail address among `logins`, as `(login, email)` by login; for
/// notifications. Unknown logins are skipped.
#[tracing::instrument(skip_all, fields(n = logins.len()))]
pub async fn emails_of(db: &Db, logins: &[String]) -> Result<Vec<(String, String)>, StoreError> {
    let mut c = db.conn().await?;
    let all = sql!(
        c,
        all EmailRow,
        "SELECT login, email, disabled FROM users ORDER BY login",
    )?;
    Ok(all
        .into_iter()
        .filter(|r| !r.disabled && logins.contains(&r.login))
        .filter_map(|r| r.email.map(|e| (r.login, e)))
        .collect())
}

/// Sets or clears (`None`) the e-mail address of a user. [`StoreError::NotFound`] for an
/// unknown login. The audit entry records the old and new address.
#[tracing::instrument(skip_all, fields(login = %login))]
pub async fn set_email(
    db: &Db,
    login: &str,
    email: Option<&str>,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let old = sql!(
        tx,
        optional EmailRow,
        "SELECT login, email, disabled FROM users WHERE login = $1",
        login,
    )?
    .ok_or_else(|| StoreError::NotFound(format!("người dùng \"{login}\"")))?
    .email;
    if old.as_deref() == email {
        return Ok(());
    }
    sql!(
        tx,
        execute,
        "UPDATE users SET email = $1, updated_at = $2 WHERE login = $3",
        email,
        codec::ts(at),
        login,
    )?;
    audit::record(
        &mut tx,
        NewEntry::new(actor, at, "set_email", ENTITY, login).values(
            Some(serde_json::json!({ "email": old })),
            Some(serde_json::json!({ "email": email })),
        ),
    )
    .await?;
    tx.commit().await
}
