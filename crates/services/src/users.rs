//! Accounts: signing in, changing one's own password, and the administrators' user list
//! (create, reset a password, disable, enable), with the rules for logins and passwords in one
//! place for the pages, the API and the command line.
//!
//! Passwords are Argon2id hashes. Hashing is deliberately slow and memory-hungry, so it goes
//! through [`Passwords`]: the web server runs it on a few threads of its own behind a gate
//! that refuses with `busy` when too many wait; the command line and tests use
//! [`BlockingPasswords`] (tokio's blocking pool).

use std::future::Future;

use chiso_domain::authz::{Action, Grant, Principal, Resource, Role};
use chiso_store::{Actor, Db, StoreError, grants, users};
use time::OffsetDateTime;

use crate::authz::authorize;
use crate::codes;
use crate::error::{Problem, ServiceError, ServiceResult};
use crate::records::User;

/// Longest password accepted: generous for passphrases, short enough that nobody can make the
/// server hash megabytes.
pub const MAX_PASSWORD_LEN: usize = 256;

/// Longest login accepted.
pub const MAX_LOGIN_LEN: usize = 64;

/// An Argon2id hash (default parameters, like real ones) of a password nobody knows. Signing in
/// with an unknown login is verified against it, so that the answer takes as long as for a
/// real account and response times do not reveal which logins exist.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$XyCEh2W9/BtbEDSf6GK2aA$NnQE2Bq0dcoT5XgjhW4jlaRavPD7xqZ9uZMRs7TQLX0";

/// Hashing and verifying passwords. Both are slow on purpose; an implementation decides where
/// they run and may refuse with `busy` when too many wait.
pub trait Passwords: Send + Sync {
    /// Whether `password` matches the PHC string `hash`.
    fn verify(
        &self,
        password: String,
        hash: String,
    ) -> impl Future<Output = ServiceResult<bool>> + Send;

    /// An Argon2id hash of `password`.
    fn hash(&self, password: String) -> impl Future<Output = ServiceResult<String>> + Send;
}

/// [`Passwords`] on tokio's blocking pool, without a limit: for the command line and tests,
/// where nobody floods the server with sign-ins.
#[derive(Debug, Clone, Copy, Default)]
pub struct BlockingPasswords;

impl Passwords for BlockingPasswords {
    async fn verify(&self, password: String, hash: String) -> ServiceResult<bool> {
        tokio::task::spawn_blocking(move || password_auth::verify_password(password, &hash).is_ok())
            .await
            .map_err(ServiceError::internal)
    }

    async fn hash(&self, password: String) -> ServiceResult<String> {
        tokio::task::spawn_blocking(move || password_auth::generate_hash(password))
            .await
            .map_err(ServiceError::internal)
    }
}

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 10;

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

/// An account by login, disabled or not; `None` when nobody has it.
pub async fn find(db: &Db, login: &str) -> ServiceResult<Option<User>> {
    Ok(users::find_by_login(db, login).await?)
}

/// The roles granted to `login` in the database (per unit, area and period), read now.
pub async fn granted(db: &Db, login: &str) -> ServiceResult<Vec<Grant>> {
    Ok(grants::for_user(db, login).await?)
}

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

/// Checks a login and password. A password is always verified, against [`DUMMY_HASH`] when
/// the login is unknown, so that timing reveals nothing. Throttling failed attempts is the
/// adapter's (it knows the client's address).
#[tracing::instrument(skip_all)]
pub async fn authenticate(
    db: &Db,
    passwords: &impl Passwords,
    login: &str,
    password: String,
) -> ServiceResult<SignIn> {
    let user = users::find_by_login(db, login.trim()).await?;
    let hash = user
        .as_ref()
        .map_or_else(|| DUMMY_HASH.to_owned(), |u| u.password_hash.clone());
    let matches = passwords.verify(password, hash).await?;
    Ok(match user {
        Some(u) if matches && u.disabled => SignIn::Disabled,
        Some(u) if matches => SignIn::Valid(u),
        _ => SignIn::Invalid,
    })
}

/// The rules for a new password: `password_too_short` (`{min}`), `password_too_long`
/// (`{max}`), or `password_mismatch` when `confirm` differs.
pub fn check_new_password(new: &str, confirm: &str) -> ServiceResult<()> {
    let len = new.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(ServiceError::new(codes::PASSWORD_TOO_SHORT).arg("min", MIN_PASSWORD_LEN));
    }
    if len > MAX_PASSWORD_LEN {
        return Err(ServiceError::new(codes::PASSWORD_TOO_LONG).arg("max", MAX_PASSWORD_LEN));
    }
    if new != confirm {
        return Err(ServiceError::new(codes::PASSWORD_MISMATCH));
    }
    Ok(())
}

/// Changes the user's own password after checking the current one (`current_password_wrong`);
/// returns the user with the new hash. Every other session of the account ends, since they
/// remember the old hash.
#[tracing::instrument(skip_all, fields(login = %user.login))]
pub async fn change_password(
    db: &Db,
    passwords: &impl Passwords,
    user: &User,
    current: String,
    new: String,
    confirm: &str,
    at: OffsetDateTime,
) -> ServiceResult<User> {
    if !passwords
        .verify(current, user.password_hash.clone())
        .await?
    {
        return Err(ServiceError::new(codes::CURRENT_PASSWORD_WRONG));
    }
    check_new_password(&new, confirm)?;
    let hashed = passwords.hash(new).await?;
    users::set_password(db, &user.login, &hashed, &Actor(user.login.clone()), at).await?;
    Ok(User {
        password_hash: hashed,
        ..user.clone()
    })
}

/// Refuses anyone who may not manage users.
pub fn require_manage(principal: &Principal) -> ServiceResult<()> {
    authorize(principal, Action::ManageUsers, &Resource::System)
}

/// Every user, by login.
pub async fn list(db: &Db, principal: &Principal) -> ServiceResult<Vec<User>> {
    require_manage(principal)?;
    Ok(users::list(db).await?)
}

/// The kinds of role each person holds (stable names such as `appraiser`, each once, in the
/// order first given, with the period when the grant has one), for the user list: who does
/// what matters more there than the account flag. Same permission as [`list`].
pub async fn roles_by_user(
    db: &Db,
    principal: &Principal,
) -> ServiceResult<std::collections::BTreeMap<String, Vec<(&'static str, Option<String>)>>> {
    require_manage(principal)?;
    let mut out: std::collections::BTreeMap<String, Vec<(&'static str, Option<String>)>> =
        std::collections::BTreeMap::new();
    for g in chiso_store::grants::list(db).await? {
        let entry = (
            g.grant.role.as_str(),
            g.grant.period.as_ref().map(ToString::to_string),
        );
        let list = out.entry(g.login).or_default();
        if !list.contains(&entry) {
            list.push(entry);
        }
    }
    Ok(out)
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login: letters, digits, `.`, `_`, `-`, `@`, at most [`MAX_LOGIN_LEN`].
    pub login: String,
    /// Name shown in the interface.
    pub display_name: String,
    /// Initial password, handed to the person out of band.
    pub password: String,
    /// Administrators manage users, units, index sets and periods.
    pub is_admin: bool,
    /// Address for e-mail notifications; empty for none.
    pub email: String,
}

/// Creates a user. Every mistake is reported at once ([`ServiceError::from_problems`], each
/// problem naming its `field`): `login_invalid` or `login_taken`, `user_name_required`, the
/// password rules ([`check_new_password`]) and `email_invalid`.
#[tracing::instrument(skip_all, fields(login = %new.login))]
pub async fn create(
    db: &Db,
    passwords: &impl Passwords,
    principal: &Principal,
    new: NewUser,
    at: OffsetDateTime,
) -> ServiceResult<()> {
    require_manage(principal)?;
    let mut problems = Vec::new();
    let login = new.login.trim();
    if login.is_empty()
        || login.chars().count() > MAX_LOGIN_LEN
        || !login
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        problems.push(
            Problem::new(codes::LOGIN_INVALID)
                .arg("login", login)
                .arg("field", "login"),
        );
    } else if users::find_by_login(db, login).await?.is_some() {
        problems.push(
            Problem::new(codes::LOGIN_TAKEN)
                .arg("login", login)
                .arg("field", "login"),
        );
    }
    let name = new.display_name.trim();
    if name.is_empty() {
        problems.push(Problem::new(codes::USER_NAME_REQUIRED).arg("field", "display_name"));
    }
    if let Err(e) = check_new_password(&new.password, &new.password) {
        let mut p = Problem::new(e.code());
        p.args = e.args().to_vec();
        problems.push(p.arg("field", "password"));
    }
    let email = new.email.trim();
    if let Err(e) = check_email(email) {
        let mut p = Problem::new(e.code());
        p.args = e.args().to_vec();
        problems.push(p);
    }
    if !problems.is_empty() {
        return Err(ServiceError::from_problems(problems));
    }
    let hash = passwords.hash(new.password).await?;
    let actor = Actor(principal.login.clone());
    match users::create(db, login, name, &hash, new.is_admin, &actor, at).await {
        Ok(_) if email.is_empty() => Ok(()),
        Ok(_) => Ok(users::set_email(db, login, Some(email), &actor, at).await?),
        Err(StoreError::Conflict(_)) => {
            Err(ServiceError::new(codes::LOGIN_TAKEN).arg("login", login))
        }
        Err(e) => Err(e.into()),
    }
}

fn user_not_found(login: &str) -> impl FnOnce(StoreError) -> ServiceError + '_ {
    move |e| match e {
        StoreError::NotFound(_) => ServiceError::new(codes::USER_NOT_FOUND).arg("login", login),
        e => e.into(),
    }
}

/// Sets a new password for another user (who forgot theirs); their sessions end.
#[tracing::instrument(skip_all, fields(login = %login))]
pub async fn reset_password(
    db: &Db,
    passwords: &impl Passwords,
    principal: &Principal,
    login: &str,
    password: String,
    at: OffsetDateTime,
) -> ServiceResult<()> {
    require_manage(principal)?;
    check_new_password(&password, &password)?;
    let hashed = passwords.hash(password).await?;
    users::set_password(db, login, &hashed, &Actor(principal.login.clone()), at)
        .await
        .map_err(user_not_found(login))
}

/// Disables or enables sign-in for a user; a disabled user's sessions stop counting at once.
/// Administrators cannot disable themselves (`cannot_disable_self`), so that the last one
/// cannot lock everybody out.
#[tracing::instrument(skip_all, fields(login = %login, disabled))]
pub async fn set_disabled(
    db: &Db,
    principal: &Principal,
    login: &str,
    disabled: bool,
    at: OffsetDateTime,
) -> ServiceResult<()> {
    require_manage(principal)?;
    if disabled && login == principal.login {
        return Err(ServiceError::new(codes::CANNOT_DISABLE_SELF));
    }
    users::set_disabled(db, login, disabled, &Actor(principal.login.clone()), at)
        .await
        .map_err(user_not_found(login))
}

/// Longest e-mail address accepted (the limit of the SMTP path).
pub const MAX_EMAIL_LEN: usize = 254;

/// Refuses an e-mail address that is neither empty nor one valid address (`email_invalid`,
/// with `{email}` and `field` = `email`).
pub fn check_email(email: &str) -> ServiceResult<()> {
    if email.is_empty()
        || (email.len() <= MAX_EMAIL_LEN && email.parse::<lettre::Address>().is_ok())
    {
        Ok(())
    } else {
        Err(ServiceError::new(codes::EMAIL_INVALID)
            .arg("email", email)
            .arg("field", "email"))
    }
}

/// Sets the e-mail address notifications of `login` go to; an empty one clears it (the person
/// gets none). For administrators; audited with the old and new address.
#[tracing::instrument(skip_all, fields(login = %login))]
pub async fn set_email(
    db: &Db,
    principal: &Principal,
    login: &str,
    email: &str,
    at: OffsetDateTime,
) -> ServiceResult<()> {
    require_manage(principal)?;
    let email = email.trim();
    check_email(email)?;
    let email = Some(email).filter(|e| !e.is_empty());
    users::set_email(db, login, email, &Actor(principal.login.clone()), at)
        .await
        .map_err(user_not_found(login))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_address_is_empty_or_one_valid_address_of_at_most_254_bytes() {
        assert!(check_email("").is_ok());
        assert!(check_email("lanh-dao@snv.example.vn").is_ok());
        for bad in ["khong-phai-dia-chi", "a@b@c", "hai@mot.vn, ba@bon.vn"] {
            assert_eq!(
                check_email(bad).unwrap_err().code(),
                codes::EMAIL_INVALID,
                "{bad}"
            );
        }
        let long = format!("{}@example.vn", "a".repeat(250));
        assert_eq!(check_email(&long).unwrap_err().code(), codes::EMAIL_INVALID);
    }

    #[test]
    fn the_dummy_hash_is_a_valid_default_argon2id_hash() {
        assert!(matches!(
            password_auth::verify_password("anything", DUMMY_HASH),
            Err(password_auth::VerifyError::PasswordInvalid)
        ));
        assert!(!password_auth::is_hash_obsolete(DUMMY_HASH).unwrap());
    }

    #[test]
    fn new_passwords_need_the_minimum_length_at_most_the_maximum_and_the_same_text_twice() {
        let code = |new: &str, confirm: &str| check_new_password(new, confirm).unwrap_err().code();
        assert_eq!(code("short", "short"), codes::PASSWORD_TOO_SHORT);
        let long = "x".repeat(MAX_PASSWORD_LEN + 1);
        assert_eq!(code(&long, &long), codes::PASSWORD_TOO_LONG);
        assert_eq!(
            code("long enough 1", "long enough 2"),
            codes::PASSWORD_MISMATCH
        );
        assert!(check_new_password("long enough 1", "long enough 1").is_ok());
    }
}
