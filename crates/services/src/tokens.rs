//! Personal API tokens for integrations (a one-stop-shop system posting data leaves, a
//! provincial dashboard reading results). A token acts with exactly its owner's roles, read
//! only or read and write, until it expires or is revoked. The secret is shown once, at
//! creation; only its SHA-256 digest is stored, so a leaked database holds no usable token.
//!
//! Owners create, list and revoke their own tokens; user administrators do so for anyone.

use chiso_domain::authz::{Action, Principal, Resource};
/// A token as stored, without its secret; re-exported so adapters need not reach the store.
pub use chiso_store::tokens::StoredToken;
use chiso_store::tokens::{self, NewToken};
use chiso_store::{Actor, Db, users};
use rand::Rng;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::authz::authorize;
use crate::codes;
use crate::error::{ServiceError, ServiceResult};

/// Prefix of every secret: lets secret scanners recognise a leaked chiso token.
pub const SECRET_PREFIX: &str = "chiso_";

/// Shortest and longest validity, in days. A token never lives forever: a forgotten
/// integration stops working within a year at most instead of holding access indefinitely.
pub const VALIDITY_DAYS: std::ops::RangeInclusive<i64> = 1..=365;

/// Longest token name kept.
const MAX_NAME_CHARS: usize = 100;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// Reading only: every request that would change something is refused.
    Read,
    /// Reading and writing, within the owner's roles.
    Write,
}

impl TokenScope {
    /// Stable name (`read`, `write`), as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Write => "write",
        }
    }

    /// Parses a name written by [`TokenScope::as_str`].
    pub fn parse(raw: &str) -> ServiceResult<Self> {
        match raw.trim() {
            "read" => Ok(TokenScope::Read),
            "write" => Ok(TokenScope::Write),
            other => Err(ServiceError::new(codes::TOKEN_SCOPE_INVALID).arg("value", other)),
        }
    }
}

/// Create a token.
#[derive(Debug, Clone)]
pub struct CreateToken {
    /// Whose token; `None` for the caller's own.
    pub owner: Option<String>,
    /// A name saying what uses it.
    pub name: String,
    pub scope: TokenScope,
    /// Days until it expires, within [`VALIDITY_DAYS`].
    pub valid_days: i64,
    /// The request creating it was itself signed with a token. Refused: a token must not be
    /// able to mint its successors and so outlive its expiry; a person signs in to create one.
    pub with_token: bool,
}

/// A token just created: the only time its secret is known.
#[derive(Debug, Clone)]
pub struct CreatedToken {
    /// The secret to give the integration (`Authorization: Bearer <secret>`).
    pub secret: String,
    pub token: StoredToken,
}

/// A request signed with a valid token: who it acts for, and the token.
#[derive(Debug, Clone)]
pub struct TokenPrincipal {
    /// The owner's account.
    pub user: chiso_store::users::User,
    pub principal: Principal,
    pub scope: TokenScope,
    pub token: StoredToken,
}

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether `p` may manage `owner`'s tokens: their own, or anyone's for a user administrator.
fn may_manage(p: &Principal, owner: &str) -> ServiceResult<()> {
    if !p.login.is_empty() && p.login == owner {
        return Ok(());
    }
    authorize(p, Action::ManageUsers, &Resource::System)
}

/// Creates a token for the caller (or, for a user administrator, for another person).
pub async fn create_token(
    db: &Db,
    p: &Principal,
    cmd: CreateToken,
    now: OffsetDateTime,
) -> ServiceResult<CreatedToken> {
    if cmd.with_token {
        return Err(ServiceError::new(codes::TOKEN_NEEDS_SIGN_IN));
    }
    let owner = cmd.owner.unwrap_or_else(|| p.login.clone());
    may_manage(p, &owner)?;
    let name: String = cmd.name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(ServiceError::new(codes::TOKEN_NAME_REQUIRED).arg("field", "name"));
    }
    let name: String = name.chars().take(MAX_NAME_CHARS).collect();
    if !VALIDITY_DAYS.contains(&cmd.valid_days) {
        return Err(ServiceError::new(codes::TOKEN_VALIDITY_INVALID)
            .arg("value", cmd.valid_days)
            .arg("min", VALIDITY_DAYS.start())
            .arg("max", VALIDITY_DAYS.end()));
    }
    match users::find_by_login(db, &owner).await? {
        Some(u) if !u.disabled => {}
        _ => return Err(ServiceError::new(codes::USER_NOT_FOUND).arg("login", &owner)),
    }
    let secret = format!(
        "{SECRET_PREFIX}{}",
        hex::encode(rand::rng().random::<[u8; 24]>())
    );
    let expires_at = now + Duration::days(cmd.valid_days);
    let new = NewToken {
        login: &owner,
        name: &name,
        secret_digest: &digest(&secret),
        scope: cmd.scope.as_str(),
        expires_at,
    };
    let id = tokens::create(db, &new, &Actor(p.login.clone()), now).await?;
    let token = tokens::get(db, id)
        .await?
        .ok_or_else(|| ServiceError::new(codes::TOKEN_NOT_FOUND).arg("id", id))?;
    Ok(CreatedToken { secret, token })
}

/// The caller's tokens (`owner: None`), another person's (user administrators), or everyone's
/// (`owner: Some("*")`, user administrators), newest first.
pub async fn list_tokens(
    db: &Db,
    p: &Principal,
    owner: Option<&str>,
) -> ServiceResult<Vec<StoredToken>> {
    match owner {
        Some("*") => {
            authorize(p, Action::ManageUsers, &Resource::System)?;
            Ok(tokens::list(db, None).await?)
        }
        Some(login) => {
            may_manage(p, login)?;
            Ok(tokens::list(db, Some(login)).await?)
        }
        None => {
            may_manage(p, &p.login)?;
            Ok(tokens::list(db, Some(&p.login)).await?)
        }
    }
}

/// Revokes a token of the caller's (or anyone's, for a user administrator). A token the caller
/// may not manage is reported as not found, so ids reveal nothing about others' tokens.
pub async fn revoke_token(
    db: &Db,
    p: &Principal,
    id: i64,
    now: OffsetDateTime,
) -> ServiceResult<()> {
    let not_found = || ServiceError::new(codes::TOKEN_NOT_FOUND).arg("id", id);
    let token = tokens::get(db, id).await?.ok_or_else(not_found)?;
    if may_manage(p, &token.login).is_err() {
        return Err(not_found());
    }
    tokens::revoke(db, id, &Actor(p.login.clone()), now).await?;
    Ok(())
}

/// The principal a secret signs for, refusing unknown, expired and revoked tokens and tokens of
/// disabled accounts alike (one code: the caller learns nothing about which).
pub async fn authenticate_token(
    db: &Db,
    secret: &str,
    now: OffsetDateTime,
) -> ServiceResult<TokenPrincipal> {
    let invalid = || ServiceError::new(codes::TOKEN_INVALID);
    let well_formed = secret
        .strip_prefix(SECRET_PREFIX)
        .is_some_and(|rest| rest.len() == 48 && rest.bytes().all(|b| b.is_ascii_hexdigit()));
    if !well_formed {
        return Err(invalid());
    }
    let token = tokens::find_by_digest(db, &digest(secret))
        .await?
        .ok_or_else(invalid)?;
    if token.revoked_at.is_some() || token.expires_at <= now {
        return Err(invalid());
    }
    let user = users::find_by_login(db, &token.login)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(invalid)?;
    let scope = TokenScope::parse(&token.scope).map_err(|_| invalid())?;
    Ok(TokenPrincipal {
        principal: crate::users::principal_for(db, &user).await?,
        user,
        scope,
        token,
    })
}

/// Checks that the token may make a request that changes data (`changes`), and records the
/// use: the last use always, and an audit entry under the owner's login for a change.
/// `request` names it (`POST /api/v1/...`).
pub async fn use_token(
    db: &Db,
    who: &TokenPrincipal,
    changes: bool,
    request: &str,
    now: OffsetDateTime,
) -> ServiceResult<()> {
    if changes && who.scope == TokenScope::Read {
        return Err(ServiceError::new(codes::TOKEN_READ_ONLY));
    }
    tokens::record_use(db, &who.token, changes.then_some(request), now).await?;
    Ok(())
}
