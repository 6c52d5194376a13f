//! Sessions kept in the database through [`chiso_services::sessions`], so that any application node
//! behind a load balancer can serve any signed-in person, and a restart signs nobody out.

use std::sync::Arc;

use async_trait::async_trait;
use chiso_domain::Clock;
use chiso_services::{Db, ServiceError, sessions};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// A `tower-sessions` store on the application's database. The whole record (id, data,
/// expiry) is stored as JSON bytes; the expiry is also a column so expired rows are never
/// loaded and can be purged in one statement.
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl DbSessionStore {
    /// A store on `db`; `clock` decides what has expired.
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        DbSessionStore { db, clock }
    }

    /// Deletes every expired session; returns how many. Run periodically by the server.
    pub async fn purge_expired(&self) -> Result<u64, ServiceError> {
        sessions::purge_expired(&self.db, self.clock.now()).await
    }
}

fn backend(e: ServiceError) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn encode(record: &Record) -> session_store::Result<Vec<u8>> {
    serde_json::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))
}

#[async_trait]
impl SessionStore for DbSessionStore {
    /// Inserts under a fresh id, drawing another one in the (astronomically unlikely) case of
    /// a collision, so that a new session can never take over an existing one.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let bytes = encode(record)?;
            let id = record.id.to_string();
            if sessions::insert_new(&self.db, &id, &bytes, record.expiry_date)
                .await
                .map_err(backend)?
            {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let bytes = encode(record)?;
        sessions::save(&self.db, &record.id.to_string(), &bytes, record.expiry_date)
            .await
            .map_err(backend)
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let Some(bytes) = sessions::load(&self.db, &session_id.to_string(), self.clock.now())
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| session_store::Error::Decode(e.to_string()))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        sessions::delete(&self.db, &session_id.to_string())
            .await
            .map_err(backend)
    }
}
