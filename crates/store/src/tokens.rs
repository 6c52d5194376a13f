//! Personal API tokens. Only a digest of each secret is stored; creating and revoking a token
//! and every state-changing use of it are audited under the owner's login.

use serde::Serialize;
use time::OffsetDateTime;

use crate::audit::{self, NewEntry};
use crate::codec;
use crate::{Actor, Db, StoreError};

/// Audit entity of an API token (key: its id).
pub const ENTITY: &str = "api_token";

/// A token as stored, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredToken {
    pub id: i64,
    /// The owner: the token acts with exactly this person's roles.
    pub login: String,
    /// What the owner called it ("phần mềm một cửa", "báo cáo tuần").
    pub name: String,
    /// `read` or `write`.
    pub scope: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_by: Option<String>,
}

/// A new token to store.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub login: &'a str,
    pub name: &'a str,
    /// Digest of the secret (the secret itself is never stored).
    pub secret_digest: &'a str,
    pub scope: &'a str,
    pub expires_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    login: String,
    name: String,
    scope: String,
    created_at: String,
    expires_at: String,
    last_used_at: Option<String>,
    revoked_at: Option<String>,
    revoked_by: Option<String>,
}

impl Row {
    fn into_token(self) -> Result<StoredToken, StoreError> {
        Ok(StoredToken {
            id: self.id,
            login: self.login,
            name: self.name,
            scope: self.scope,
            created_at: codec::parse_ts(&self.created_at)?,
            expires_at: codec::parse_ts(&self.expires_at)?,
            last_used_at: codec::opt_ts(self.last_used_at)?,
            revoked_at: codec::opt_ts(self.revoked_at)?,
            revoked_by: self.revoked_by,
        })
    }
}

/// `SELECT <every column but the digest> FROM api_tokens <rest>`, as one literal.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT id, login, name, scope, created_at, expires_at, last_used_at, revoked_at, ",
            "revoked_by FROM api_tokens ",
            $rest
        )
    };
}

fn audit_value(t: &NewToken<'_>) -> serde_json::Value {
    serde_json::json!({
        "login": t.login,
        "name": t.name,
        "scope": t.scope,
        "expires_at": codec::ts(t.expires_at),
    })
}

/// Stores a token and returns its id.
#[tracing::instrument(skip_all, fields(login = %token.login))]
pub async fn create(
    db: &Db,
    token: &NewToken<'_>,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    let id = sql!(
        tx,
        scalar i64,
        "INSERT INTO api_tokens (login, name, secret_digest, scope, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        token.login,
        token.name,
        token.secret_digest,
        token.scope,
        codec::ts(at),
        codec::ts(token.expires_at),
    )?;
    audit::record(
        &mut tx,
        NewEntry::new(actor, at, "create", ENTITY, id.to_string())
            .values(None, Some(audit_value(token))),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The token whose secret has this digest, revoked or expired or not (the caller decides).
#[tracing::instrument(skip_all)]
pub async fn find_by_digest(db: &Db, digest: &str) -> Result<Option<StoredToken>, StoreError> {
    let mut c = db.conn().await?;
    sql!(c, optional Row, select!("WHERE secret_digest = $1"), digest)?
        .map(Row::into_token)
        .transpose()
}

/// One token by id.
#[tracing::instrument(skip_all, fields(id))]
pub async fn get(db: &Db, id: i64) -> Result<Option<StoredToken>, StoreError> {
    let mut c = db.conn().await?;
    sql!(c, optional Row, select!("WHERE id = $1"), id)?
        .map(Row::into_token)
        .transpose()
}

/// The tokens of one person (`Some`) or of everyone (`None`), newest first.
#[tracing::instrument(skip_all)]
pub async fn list(db: &Db, login: Option<&str>) -> Result<Vec<StoredToken>, StoreError> {
    let mut c = db.conn().await?;
    let rows = match login {
        Some(login) => sql!(c, all Row, select!("WHERE login = $1 ORDER BY id DESC"), login)?,
        None => sql!(c, all Row, select!("ORDER BY id DESC"))?,
    };
    rows.into_iter().map(Row::into_token).collect()
}

/// Revokes a token (no effect on one already revoked). [`StoreError::NotFound`] for an unknown
/// id.
#[tracing::instrument(skip_all, fields(id))]
pub async fn revoke(db: &Db, id: i64, actor: &Actor, at: OffsetDateTime) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let n = sql!(
        tx,
        execute,
        "UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 \
         WHERE id = $3 AND revoked_at IS NULL",
        codec::ts(at),
        actor.as_str(),
        id,
    )?;
    if n == 0 {
        let exists = sql!(
            tx,
            scalar_optional i64,
            "SELECT id FROM api_tokens WHERE id = $1",
            id,
        )?;
        return match exists {
            Some(_) => Ok(()),
            None => Err(StoreError::NotFound(format!("api_token {id}"))),
        };
    }
    audit::record(
        &mut tx,
        NewEntry::new(actor, at, "revoke", ENTITY, id.to_string()),
    )
    .await?;
    tx.commit().await
}

/// Records a use of the token: its last use always, and for a state-changing request an audit
/// entry under the owner's login naming the request (`POST /api/v1/...`).
#[tracing::instrument(skip_all, fields(id = token.id))]
pub async fn record_use(
    db: &Db,
    token: &StoredToken,
    change: Option<&str>,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    sql!(
        tx,
        execute,
        "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2",
        codec::ts(at),
        token.id,
    )?;
    if let Some(request) = change {
        let actor = Actor(token.login.clone());
        audit::record(
            &mut tx,
            NewEntry::new(&actor, at, "use", ENTITY, token.id.to_string())
                .values(None, Some(serde_json::json!({ "request": request }))),
        )
        .await?;
    }
    tx.commit().await
}
