//! The account record: reading it for an authenticated caller (a blocked account is refused
//! here), changing it with the version check, and the operator's block, which ends every live
//! session at once, so no token of the account works after the block has answered, on either
//! surface or through the authorizer.

use crate::app::App;
use crate::domain::error::DomainError;
use crate::model::User;
use crate::store::StoreError;

/// Blocks or unblocks the account of `email`; blocking also revokes every session. Surface-2
/// tokens need no revocation: idTokens and refresh tokens are refused for a blocked account
/// wherever they are used.
pub async fn set_blocked(app: &App, email: &str, blocked: bool) -> Result<User, DomainError> {
    let mut saved = None;
    for _ in 0..5 {
        let mut user = app.store.get_user(email).await?.ok_or(DomainError::NotFound)?;
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
    let saved = saved.ok_or_else(|| DomainError::kept_changing("the account kept changing"))?;
    if blocked {
        let ended = crate::app::sessions::revoke_sessions(app, &saved.user_id, None).await?;
        tracing::warn!(user_id = %saved.user_id, ended_sessions = ended, "account blocked");
    } else {
        tracing::info!(user_id = %saved.user_id, "account unblocked");
    }
    Ok(saved)
}

/// The account behind an authenticated session; a blocked account is refused here, for every
/// operation that reads or changes it.
pub async fn load_user(app: &App, email: &str) -> Result<User, DomainError> {
    let user = app.store.get_user(email).await?.ok_or(DomainError::Unauthenticated("The account no longer exists."))?;
    refuse_blocked(&user)?;
    Ok(user)
}

/// Refuses a blocked account, wherever its session, grant or refresh token is used.
pub fn refuse_blocked(user: &User) -> Result<(), DomainError> {
    if user.blocked {
        return Err(DomainError::Blocked);
    }
    Ok(())
}

/// Read, change, write with the version check, retrying when another writer got in between.
/// `change` sees the freshest record each time and may refuse with an error.
pub async fn update_user_with<F>(app: &App, email: &str, mut change: F) -> Result<User, DomainError>
where
    F: FnMut(&mut User) -> Result<(), DomainError>,
{
    for _ in 0..5 {
        let mut user = load_user(app, email).await?;
        change(&mut user)?;
        match app.store.update_user(&user).await {
            Ok(saved) => return Ok(saved),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(DomainError::kept_changing("the account kept changing"))
}
