//! Persistence of chiso: the only crate with SQL.
//!
//! A [`Db`] holds either a SQLite or a PostgreSQL pool and runs the same SQL text on both
//! (`$1` placeholders, `RETURNING`, `ON CONFLICT`). One module per aggregate; every change is
//! written to the audit log in the same transaction as the change itself.
//!
//! Column representations are the same on both backends: timestamps are RFC 3339 text in UTC,
//! dates ISO text, points exact decimal text, documents JSON (TEXT on SQLite, JSONB on
//! PostgreSQL).

#[macro_use]
mod macros;

pub mod assessments;
pub mod audit;
mod codec;
mod copy;
mod db;
mod error;
pub mod evidence;
pub mod explanations;
pub mod grants;
pub mod index_sets;
pub mod intervals;
pub mod leaves;
pub mod milestones;
pub mod outbox;
pub mod periods;
pub mod publications;
pub mod results;
pub mod scores;
pub mod sessions;
pub mod settings;
pub mod surveys;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tokens;
pub mod units;
pub mod users;

pub use db::Db;
pub use error::StoreError;
pub use index_sets::IndexSetSummary;

/// Who makes a change: the login of a user, or `system` for automatic work.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Actor(pub String);

impl Actor {
    /// The actor of changes nobody typed (imports run by the system, the demo loader).
    pub fn system() -> Self {
        Actor("system".to_owned())
    }

    /// The login.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
