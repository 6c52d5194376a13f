//! Installation-wide settings kept in the database, so every app node sees the same values.
//! The first one says whether the data is the fictional demo province, which every page must
//! then label as such.

use time::OffsetDateTime;

use crate::audit::{self, NewEntry};
use crate::codec;
use crate::{Actor, Db, StoreError};

/// Audit entity of a setting (key: the setting's key).
pub const ENTITY: &str = "setting";

/// Key of the demo flag.
pub const DEMO: &str = "demo";

/// The value of a setting, if set.
#[tracing::instrument(skip_all, fields(key = %key))]
pub async fn get(db: &Db, key: &str) -> Result<Option<String>, StoreError> {
    let mut c = db.conn().await?;
    sql!(c, scalar_optional String, "SELECT value FROM settings WHERE key = $1", key)
        .map_err(StoreError::from)
}

/// Sets a setting (audited with its old and new value).
#[tracing::instrument(skip_all, fields(key = %key))]
pub async fn set(
    db: &Db,
    key: &str,
    value: &str,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let old = sql!(tx, scalar_optional String, "SELECT value FROM settings WHERE key = $1", key)?;
    if old.as_deref() == Some(value) {
        return tx.commit().await;
    }
    let stamp = codec::ts(at);
    sql!(
        tx,
        execute,
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET value = $2, updated_at = $3",
        key,
        value,
        stamp.as_str(),
    )?;
    audit::record(
        &mut tx,
        NewEntry::new(actor, at, "update", ENTITY, key).values(
            old.map(serde_json::Value::String),
            Some(serde_json::Value::String(value.to_owned())),
        ),
    )
    .await?;
    tx.commit().await
}

/// True when the database holds the demo province.
pub async fn is_demo(db: &Db) -> Result<bool, StoreError> {
    Ok(get(db, DEMO).await?.as_deref() == Some("true"))
}
