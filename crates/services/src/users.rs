//! Accounts: creating users with an Argon2id password hash. Hashing is deliberately slow, so it
//! runs on the blocking pool and never on an async worker.

use chiso_domain::authz::{Grant, Principal, Role};
use chiso_store::users::User;
use chiso_store::{Actor, Db, grants, users};
use time::OffsetDateTime;

use crate::codes;
use crate::error::{ServiceError, ServiceResult};

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Adds a user; the password is hashed with Argon2id.
pub async fn add_user(
    db: &Db,
    login: &str,
    display_name: &str,
    password: String,
    is_admin: bool,
    actor: &Actor,
    at: OffsetDateTime,
) -> ServiceResult<i64> {
    let login = login.trim();
    if login.is_empty()
        || !login
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err(ServiceError::new(codes::LOGIN_INVALID).arg("login", login));
    }
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(ServiceError::new(codes::PASSWORD_TOO_SHORT).arg("min", MIN_PASSWORD_LEN));
    }
    let hash = tokio::task::spawn_blocking(move || password_auth::generate_hash(password))
        .await
        .map_err(ServiceError::internal)?;
    Ok(users::create(db, login, display_name, &hash, is_admin, actor, at).await?)
}

/// The roles of a user: the account's administrator flag gives [`Role::Admin`] in every
/// period, and every role granted in the database is added to it. Sessions and tokens both
/// get their principal here, so they can never carry different roles.
pub fn principal_of(user: &User, granted: &[Grant]) -> Principal {
    let mut all = Vec::with_capacity(granted.len() + 1);
    if user.is_admin {
        all.push(Grant::all_periods(Role::Admin));
    }
    all.extend_from_slice(granted);
    Principal::new(user.login.clone(), all)
}

/// The principal of an enabled user, read now (so a revoked role stops working at once).
pub async fn principal_for(db: &Db, user: &User) -> ServiceResult<Principal> {
    let granted = grants::for_user(db, &user.login).await?;
    Ok(principal_of(user, &granted))
}
