//! Accounts as people manage them on the web: signing in, changing one's own password, and the
//! administrators' user list (create, reset a password, disable, enable). Passwords are
//! verified and hashed with Argon2id on the blocking pool, never on an async worker.
//! Authorization is decided here, not in handlers, so the pages and a future API agree.

use chiso_domain::authz::{self, Action, Principal, Resource};
use chiso_store::users::{self, User};
use chiso_store::{Actor, Db, StoreError};
use time::OffsetDateTime;

use crate::AppError;
use crate::error::FormError;

pub use chiso_app::users::MIN_PASSWORD_LEN;

/// Longest password accepted: generous for passphrases, short enough that nobody can make the
/// server hash megabytes.
pub const MAX_PASSWORD_LEN: usize = 256;

/// An Argon2id hash (default parameters, like real ones) of a password nobody knows. Signing in
/// with an unknown login is verified against it, so that the answer takes as long as for a
/// real account and response times do not reveal which logins exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$XyCEh2W9/BtbEDSf6GK2aA$NnQE2Bq0dcoT5XgjhW4jlaRavPD7xqZ9uZMRs7TQLX0";

/// The outcome of a sign-in attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    /// The password matches an enabled account.
    Valid(User),
    /// The password matches, but the account is disabled.
    Disabled,
    /// Unknown login or wrong password: deliberately indistinguishable.
    Invalid,
}

/// Whether `password` matches the PHC `hash`.
pub async fn verify(password: String, hash: String) -> bool {
    let checked = tokio::task::spawn_blocking(move || {
        password_auth::verify_password(password, &hash).is_ok()
    })
    .await;
    checked.unwrap_or_else(|e| {
        tracing::error!(error = %e, "password verification did not finish");
        false
    })
}

/// An Argon2id hash of `password`.
async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || password_auth::generate_hash(password))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing did not finish");
            AppError::Form(FormError::new("error.internal"))
        })
}

/// Checks a login and password. A password is always verified, against a fixed hash when the
/// login is unknown, so that timing reveals nothing.
#[tracing::instrument(skip_all)]
pub async fn authenticate(db: &Db, login: &str, password: String) -> Result<SignIn, AppError> {
    let user = users::find_by_login(db, login.trim()).await?;
    let hash = user
        .as_ref()
        .map_or_else(|| DUMMY_HASH.to_owned(), |u| u.password_hash.clone());
    let matches = verify(password, hash).await;
    Ok(match user {
        Some(u) if matches && u.disabled => SignIn::Disabled,
        Some(u) if matches => SignIn::Valid(u),
        _ => SignIn::Invalid,
    })
}

/// The rules for a new password: length within bounds, typed the same twice.
pub fn check_new_password(new: &str, confirm: &str) -> Result<(), FormError> {
    let len = new.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(FormError::new("account.password_too_short").arg("n", MIN_PASSWORD_LEN));
    }
    if len > MAX_PASSWORD_LEN {
        return Err(FormError::new("account.password_too_long").arg("n", MAX_PASSWORD_LEN));
    }
    if new != confirm {
        return Err(FormError::new("account.password_mismatch"));
    }
    Ok(())
}

/// Changes the signed-in user's own password after checking the current one; returns the user
/// with the new hash.
#[tracing::instrument(skip_all, fields(login = %user.login))]
pub async fn change_password(
    db: &Db,
    user: &User,
    current: String,
    new: String,
    confirm: &str,
    at: OffsetDateTime,
) -> Result<User, AppError> {
    if !verify(current, user.password_hash.clone()).await {
        return Err(FormError::new("account.current_wrong").into());
    }
    check_new_password(&new, confirm)?;
    let hashed = hash(new).await?;
    users::set_password(db, &user.login, &hashed, &Actor(user.login.clone()), at).await?;
    Ok(User {
        password_hash: hashed,
        ..user.clone()
    })
}

/// Refuses anyone who may not manage users.
pub fn require_user_admin(p: &Principal) -> Result<(), AppError> {
    authz::check(p, Action::ManageUsers, &Resource::System).map_err(|_| AppError::Forbidden)
}

fn actor(p: &Principal) -> Actor {
    Actor(p.login.clone())
}

/// Every user, by login.
pub async fn list_users(db: &Db, p: &Principal) -> Result<Vec<User>, AppError> {
    require_user_admin(p)?;
    Ok(users::list(db).await?)
}

/// A user to create, as typed in the form.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login: letters, digits, `.`, `_`, `-`, `@`.
    pub login: String,
    /// Name shown in the interface.
    pub display_name: String,
    /// Initial password, handed to the person out of band.
    pub password: String,
    /// Administrators manage users, units, index sets and periods.
    pub is_admin: bool,
}

/// Creates a user.
#[tracing::instrument(skip_all, fields(login = %new.login))]
pub async fn create_user(
    db: &Db,
    p: &Principal,
    new: NewUser,
    at: OffsetDateTime,
) -> Result<(), AppError> {
    require_user_admin(p)?;
    let login = new.login.trim();
    if login.is_empty()
        || login.chars().count() > 64
        || !login
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err(FormError::new("admin.login_invalid").into());
    }
    let name = new.display_name.trim();
    if name.is_empty() {
        return Err(FormError::new("admin.name_required").into());
    }
    check_new_password(&new.password, &new.password)?;
    let added =
        chiso_app::users::add_user(db, login, name, new.password, new.is_admin, &actor(p), at)
            .await;
    match added {
        Ok(_) => Ok(()),
        Err(chiso_app::AppError::Store(StoreError::Conflict(_))) => {
            Err(FormError::new("admin.login_taken")
                .arg("login", login)
                .into())
        }
        Err(chiso_app::AppError::Store(e)) => Err(e.into()),
        Err(e) => {
            tracing::error!(error = %e, "creating a user failed");
            Err(FormError::new("error.internal").into())
        }
    }
}

fn not_found(login: &str) -> impl FnOnce(StoreError) -> AppError + '_ {
    move |e| match e {
        StoreError::NotFound(_) => FormError::new("admin.user_not_found")
            .arg("login", login)
            .into(),
        e => e.into(),
    }
}

/// Sets a new password for another user (who forgot theirs); their sessions end.
#[tracing::instrument(skip_all, fields(login = %login))]
pub async fn reset_password(
    db: &Db,
    p: &Principal,
    login: &str,
    password: String,
    at: OffsetDateTime,
) -> Result<(), AppError> {
    require_user_admin(p)?;
    check_new_password(&password, &password)?;
    let hashed = hash(password).await?;
    users::set_password(db, login, &hashed, &actor(p), at)
        .await
        .map_err(not_found(login))
}

/// Disables or enables sign-in for a user; a disabled user's sessions stop counting at once.
/// Administrators cannot disable themselves, so the last one cannot lock everybody out.
#[tracing::instrument(skip_all, fields(login = %login, disabled))]
pub async fn set_disabled(
    db: &Db,
    p: &Principal,
    login: &str,
    disabled: bool,
    at: OffsetDateTime,
) -> Result<(), AppError> {
    require_user_admin(p)?;
    if disabled && login == p.login {
        return Err(FormError::new("admin.cannot_disable_self").into());
    }
    users::set_disabled(db, login, disabled, &actor(p), at)
        .await
        .map_err(not_found(login))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_is_a_valid_default_argon2id_hash() {
        assert!(matches!(
            password_auth::verify_password("anything", DUMMY_HASH),
            Err(password_auth::VerifyError::PasswordInvalid)
        ));
        assert!(!password_auth::is_hash_obsolete(DUMMY_HASH).unwrap());
    }

    #[test]
    fn new_passwords_need_the_minimum_length_and_the_same_text_twice() {
        assert_eq!(
            check_new_password("short", "short").unwrap_err().key,
            "account.password_too_short"
        );
        assert_eq!(
            check_new_password("long enough 1", "long enough 2")
                .unwrap_err()
                .key,
            "account.password_mismatch"
        );
        assert!(check_new_password("long enough 1", "long enough 1").is_ok());
    }
}
