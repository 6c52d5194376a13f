//! Services: the operations a person asks of chiso (import a file, compute a period, load the
//! demo province, add a user), composed from the pure rules in `chiso-domain`, the file formats
//! in `chiso-reports` and the persistence in `chiso-store`. The CLI and the web handlers call
//! these so that both front ends behave the same.

pub mod compute;
pub mod demo;
pub mod error;
pub mod import;
pub mod io_text;
pub mod users;

pub use error::AppError;
