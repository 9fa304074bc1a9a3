//! Operator actions on an account, for support tooling (and the admin function that will
//! expose them): blocking ends every live session at once, so no token of the account works
//! after the block has answered, on either surface or through the authorizer.

use crate::app::App;
use crate::error::AuthError;
use crate::model::User;
use crate::store::StoreError;

/// Blocks or unblocks the account of `email`; blocking also revokes every session. Surface-2
/// tokens need no revocation: idTokens and refresh tokens are refused for a blocked account
/// wherever they are used.
pub async fn set_blocked(app: &App, email: &str, blocked: bool) -> Result<User, AuthError> {
    let mut saved = None;
    for _ in 0..5 {
        let mut user = app.store.get_user(email).await?.ok_or(AuthError::NotFound)?;
        user.blocked = blocked;
        match app.store.update_user(&user).await {
            Ok(s) => {
                saved = Some(s);
                break;
            }
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let saved =
        saved.ok_or_else(|| AuthError::Unavailable { retry_after: 1, source: "the account kept changing".into() })?;
    if blocked {
        let ended = crate::session::revoke_sessions(app, &saved.user_id, None).await?;
        tracing::warn!(user_id = %saved.user_id, ended_sessions = ended, "account blocked");
    } else {
        tracing::info!(user_id = %saved.user_id, "account unblocked");
    }
    Ok(saved)
}
