//! The application layer: every use case of chiso, once. Web pages, the JSON API, the CLI and
//! background jobs are adapters that parse their input into the typed commands taken here,
//! call a service and present its result; they never reach the store themselves.
//!
//! A service authorizes through the domain's matrix ([`authz::authorize`]), composes the pure
//! rules of `chiso-domain`, the file formats of `chiso-formats` and the persistence of
//! `chiso-store`, and returns a typed result or one [`ServiceError`]: a stable code with named
//! arguments, never prose, which each adapter translates for its readers.

pub mod analysis;
pub mod assessment;
pub mod authz;
pub mod codes;
pub mod compute;
pub mod demo;
pub mod dossier;
pub mod downloads;
pub mod error;
pub mod import;
pub mod index_sets;
pub mod measured;
pub mod methodology;
pub mod outbox;
pub mod periods;
pub mod publication;
pub mod ranking;
pub mod records;
pub mod reports;
pub mod results;
pub mod review;
pub mod roles;
pub mod sessions;
pub mod surveys;
pub mod system;
pub mod todo;
pub mod tokens;
pub mod units;
pub mod users;
pub mod whatif;

pub use error::{Code, Detail, Kind, Problem, ServiceError, ServiceResult};

/// The database handle: adapters receive one from the composition root and pass it on.
pub use chiso_store::Db;

/// Who made a change, as the audit log records it.
pub use chiso_store::Actor;
