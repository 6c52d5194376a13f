//! Accounts and sessions: the session store on the database, the session cookie, who is
//! signed in, CSRF protection and the limits on failed sign-ins. See `docs/security.md`.

pub mod csrf;
pub mod signed_in;
pub mod store;
pub mod throttle;
pub mod user;

use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub use signed_in::{SignedIn, to_sign_in};
pub use store::DbSessionStore;
pub use throttle::{LoginLimits, LoginThrottle, MemoryThrottle};
pub use user::{ClientIp, CurrentUser, principal};

use crate::AppState;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "chiso_session";

/// The session layer: cookie `chiso_session`, HttpOnly (scripts cannot read it), SameSite=Lax
/// (not sent on cross-site form posts), Secure when the site is served over HTTPS, and an
/// expiry on inactivity.
pub(crate) fn session_layer(state: &AppState) -> SessionManagerLayer<DbSessionStore> {
    let config = state.config();
    SessionManagerLayer::new(state.sessions().clone())
        .with_name(SESSION_COOKIE)
        .with_path("/")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.secure_cookies)
        .with_expiry(Expiry::OnInactivity(config.session_idle))
}
