//! The composition root's few needs: opening the database (connect, then bring its schema up
//! to date), checking it answers, and whether it holds the demo province. Adapters get their
//! [`Db`] here and never name the store.

use chiso_store::{Db, settings};

use crate::error::ServiceResult;

/// Connects to the database at `url` (`sqlite://…` or `postgres://…`).
pub async fn connect(url: &str) -> ServiceResult<Db> {
    Ok(Db::connect(url).await?)
}

/// Brings the schema up to date; safe to run on every start.
pub async fn migrate(db: &Db) -> ServiceResult<()> {
    Ok(db.migrate().await?)
}

/// One round trip to the database, for health checks.
pub async fn ping(db: &Db) -> ServiceResult<()> {
    Ok(db.ping().await?)
}

/// Whether the database holds no data yet (a first start).
pub async fn is_empty(db: &Db) -> ServiceResult<bool> {
    Ok(db.is_empty().await?)
}

/// Whether the database holds the fictitious demo province, which every page must then say.
pub async fn is_demo(db: &Db) -> ServiceResult<bool> {
    Ok(settings::is_demo(db).await?)
}
