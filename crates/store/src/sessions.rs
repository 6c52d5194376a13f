//! Web sessions kept in the database, so several application nodes behind a load balancer
//! share them. Opaque bytes with an expiry; not audited (they are not business data).

use time::OffsetDateTime;

use crate::codec;
use crate::{Db, StoreError};

/// Stores a new session; `false` (nothing written) if the id is already taken.
#[tracing::instrument(skip_all)]
pub async fn insert_new(
    db: &Db,
    id: &str,
    data: &[u8],
    expiry: OffsetDateTime,
) -> Result<bool, StoreError> {
    let mut c = db.conn().await?;
    let n = sql!(
        c,
        execute,
        "INSERT INTO sessions (id, data, expiry) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
        id,
        data,
        codec::ts(expiry),
    )?;
    Ok(n == 1)
}

/// Stores or replaces a session.
#[tracing::instrument(skip_all)]
pub async fn save(
    db: &Db,
    id: &str,
    data: &[u8],
    expiry: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut c = db.conn().await?;
    sql!(
        c,
        execute,
        "INSERT INTO sessions (id, data, expiry) VALUES ($1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET data = excluded.data, expiry = excluded.expiry",
        id,
        data,
        codec::ts(expiry),
    )?;
    Ok(())
}

/// The session's data if it exists and has not expired at `now`.
#[tracing::instrument(skip_all)]
pub async fn load(db: &Db, id: &str, now: OffsetDateTime) -> Result<Option<Vec<u8>>, StoreError> {
    let mut c = db.conn().await?;
    Ok(sql!(
        c,
        scalar_optional Vec<u8>,
        "SELECT data FROM sessions WHERE id = $1 AND expiry > $2",
        id,
        codec::ts(now),
    )?)
}

/// Deletes a session.
#[tracing::instrument(skip_all)]
pub async fn delete(db: &Db, id: &str) -> Result<(), StoreError> {
    let mut c = db.conn().await?;
    sql!(c, execute, "DELETE FROM sessions WHERE id = $1", id)?;
    Ok(())
}

/// Deletes every session expired at `now`; returns how many.
#[tracing::instrument(skip_all)]
pub async fn delete_expired(db: &Db, now: OffsetDateTime) -> Result<u64, StoreError> {
    let mut c = db.conn().await?;
    Ok(sql!(
        c,
        execute,
        "DELETE FROM sessions WHERE expiry <= $1",
        codec::ts(now)
    )?)
}

/// Setting holding the key that signs sign-in form tokens.
pub const FORM_KEY: &str = "form_key";

/// The key (text) every node signs sign-in form tokens with: `candidate` if no node stored one yet,
/// else the one stored first. Kept as an installation-wide setting (every node must use the
/// same) but written here, without the audit entry settings otherwise get, so that the secret
/// never shows in the audit log.
#[tracing::instrument(skip_all)]
pub async fn shared_key(
    db: &Db,
    candidate: &str,
    now: OffsetDateTime,
) -> Result<String, StoreError> {
    let mut c = db.conn().await?;
    // Two nodes starting together: the first insert wins and both read it back.
    sql!(
        c,
        execute,
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO NOTHING",
        FORM_KEY,
        candidate,
        codec::ts(now),
    )?;
    Ok(sql!(
        c,
        scalar String,
        "SELECT value FROM settings WHERE key = $1",
        FORM_KEY,
    )?)
}
