//! Web sessions kept in the database, so that any application node behind a load balancer can
//! serve any signed-in person and a restart signs nobody out; and the key every node signs
//! its sign-in form tokens with. Sessions are opaque bytes with an expiry to this layer: what
//! they hold is the web adapter's business.

use chiso_store::{Db, sessions};
use time::OffsetDateTime;

use crate::error::{ServiceError, ServiceResult};

/// Stores a new session; `false` (nothing written) when the id is taken already, so that a
/// new session can never take over an existing one.
pub async fn insert_new(
    db: &Db,
    id: &str,
    data: &[u8],
    expiry: OffsetDateTime,
) -> ServiceResult<bool> {
    Ok(sessions::insert_new(db, id, data, expiry).await?)
}

/// Stores or replaces a session.
pub async fn save(db: &Db, id: &str, data: &[u8], expiry: OffsetDateTime) -> ServiceResult<()> {
    Ok(sessions::save(db, id, data, expiry).await?)
}

/// The session's data if it exists and has not expired at `now`.
pub async fn load(db: &Db, id: &str, now: OffsetDateTime) -> ServiceResult<Option<Vec<u8>>> {
    Ok(sessions::load(db, id, now).await?)
}

/// Ends a session.
pub async fn delete(db: &Db, id: &str) -> ServiceResult<()> {
    Ok(sessions::delete(db, id).await?)
}

/// Deletes every session expired at `now`; returns how many.
pub async fn purge_expired(db: &Db, now: OffsetDateTime) -> ServiceResult<u64> {
    Ok(sessions::delete_expired(db, now).await?)
}

/// The key every node signs sign-in form tokens with: `candidate` (random bytes) when no node
/// stored one yet, else the one stored first, so that a form shown by one node is accepted by
/// another. A stored key that is not hex is a server fault.
pub async fn form_key(db: &Db, candidate: &[u8], now: OffsetDateTime) -> ServiceResult<Vec<u8>> {
    let stored = sessions::shared_key(db, &hex::encode(candidate), now).await?;
    hex::decode(&stored).map_err(|e| {
        tracing::error!(setting = sessions::FORM_KEY, "stored form key is not hex");
        ServiceError::internal(e)
    })
}
