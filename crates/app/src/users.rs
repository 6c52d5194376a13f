//! Accounts: creating users with an Argon2id password hash. Hashing is deliberately slow, so it
//! runs on the blocking pool and never on an async worker.

use chiso_store::{Actor, Db, users};
use time::OffsetDateTime;

use crate::error::{AppError, AppResult};

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Adds a user; the password is hashed with Argon2id.
pub async fn add_user(
    db: &Db,
    login: &str,
    display_name: &str,
    password: String,
    is_admin: bool,
    actor: &Actor,
    at: OffsetDateTime,
) -> AppResult<i64> {
    let login = login.trim();
    if login.is_empty()
        || !login
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err(AppError::Invalid(format!(
            "tên đăng nhập \"{login}\" không hợp lệ (chỉ dùng chữ, số, '.', '_', '-', '@')"
        )));
    }
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AppError::Invalid(format!(
            "mật khẩu phải có ít nhất {MIN_PASSWORD_LEN} ký tự"
        )));
    }
    let hash = tokio::task::spawn_blocking(move || password_auth::generate_hash(password))
        .await
        .map_err(|e| AppError::Invalid(format!("không tạo được mật khẩu: {e}")))?;
    Ok(users::create(db, login, display_name, &hash, is_admin, actor, at).await?)
}
