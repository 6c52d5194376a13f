//! The stored records that services return inside their results, named here so that adapters
//! (pages, the API, the command line) can present them without depending on the store.
//! A view may name a record type, but only through this module.

pub use chiso_store::IndexSetSummary;
pub use chiso_store::audit::AuditEntry;
pub use chiso_store::periods::Period;
pub use chiso_store::users::User;
