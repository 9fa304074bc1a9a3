//! `POST /passwords/update`: changes the password, with an ACCESS token or the temporary token
//! of an expired password. A wrong old password counts toward the lockout; the new one must
//! pass the policy and differ from the last five. Every other session of the user ends, and the
//! answer carries a fresh AUTH token.

use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::error::AuthError;
use crate::http::{self, Ctx, Fields, HandlerResult};
use crate::password;
use crate::principal::authenticate;
use crate::store::StoreError;
use crate::token::TokenType;

/// How many passwords back a new one must differ from (the current one included).
pub const HISTORY: usize = 5;

pub async fn handle(app: &App, req: Request) -> HandlerResult {
    http::serve(req, "update_password", |ctx, req| run(app, ctx, req)).await
}

async fn run(app: &App, ctx: Ctx, req: Request) -> Result<Response<Body>, AuthError> {
    let principal = authenticate(app, &req, &[TokenType::Access, TokenType::PasswordUpdate]).await?;
    let mut f = Fields::from_request(&req)?;
    let old = f.string("oldPassword.value", 1, 1024);
    let new = f.string("newPassword.value", 1, 1024);
    f.finish()?;
    let (Some(old), Some(new)) = (old, new) else { return Err(AuthError::bad_request("INVALID_REQUEST", "passwords")) };
    let session = &principal.session;

    let now = app.now();
    let (user, lockout) = app.store.load_login(&session.email, now).await?;
    let mut user = user.ok_or(AuthError::Unauthorized("The account no longer exists."))?;
    super::refuse_blocked(&user)?;
    // The password is how the account proves itself too: with a second factor, changing it
    // from a live session needs that factor (a stepped-up session). The temporary token of an
    // expired password cannot step up; that flow stays as the seed defines it.
    if principal.token_type == TokenType::Access {
        crate::proof::require_step_up(&user, &principal)?;
    }
    let reserved = crate::attempts::reserve(app, &session.email, lockout).await?;
    if !password::verify_blocking(old, Some(user.password_hash.clone())).await? {
        return Err(crate::attempts::failed(app, &reserved, AuthError::Conflict("PASSWORD_INCORRECT")));
    }
    // The old password was right: that check is over, whatever the new one turns out to be.
    crate::attempts::succeeded(app, &user.email).await?;
    password::check_policy(&new, &[&user.email, &user.name]).map_err(|v| AuthError::Conflict(v.error_code()))?;
    let earlier: Vec<String> = std::iter::once(user.password_hash.clone())
        .chain(user.password_history.iter().cloned())
        .take(HISTORY)
        .collect();
    let (reused, new_hash) = tokio::task::spawn_blocking(move || {
        let reused = earlier.iter().any(|h| password::verify(&new, h));
        (reused, if reused { Ok(String::new()) } else { password::hash(&new) })
    })
    .await
    .map_err(AuthError::internal)?;
    if reused {
        return Err(AuthError::Conflict("PASSWORD_ALREADY_USED"));
    }
    let new_hash = new_hash.map_err(AuthError::Internal)?;

    // Sessions end *before* the password changes, and the change is written only if the account
    // is still at the version read after they ended: every login bumps that version, so a
    // session opened meanwhile makes the write fail and the round start again. A write that
    // fails midway leaves the old password in place, never a changed password with old
    // sessions alive. The caller's own session ends too (it was opened before the change): the
    // answer carries the token of a fresh one.
    let before = user.clone();
    let change = async {
        let verified_version = user.credentials_version;
        let mut saved = None;
        for round in 0..12 {
            if round > 0 {
                // Logins kept bumping the account: wait a little, a different little each time.
                let jitter = crate::crypto::random_bytes::<1>().map(|b| u64::from(b[0] % 20)).unwrap_or(10);
                tokio::time::sleep(std::time::Duration::from_millis(5 + jitter)).await;
            }
            let ended = crate::session::revoke_sessions(app, &user.user_id, None).await?;
            crate::session::end_step_ups(app, &user.user_id).await?;
            let mut next = user.clone();
            next.password_history.insert(0, std::mem::replace(&mut next.password_hash, new_hash.clone()));
            next.password_history.truncate(HISTORY - 1);
            next.password_changed_at = now;
            next.password_expired = false;
            next.credentials_version += 1;
            match app.store.update_user(&next).await {
                Ok(s) => {
                    tracing::info!(user_id = %s.user_id, ended_sessions = ended, "password changed");
                    saved = Some(s);
                    break;
                }
                Err(StoreError::Conflict) => {
                    user = super::load_user(app, &user.email).await?;
                    // If the password itself changed meanwhile, this request's old password is stale.
                    if user.credentials_version != verified_version {
                        return Err(AuthError::Conflict("PASSWORD_INCORRECT"));
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        saved.ok_or_else(|| AuthError::Unavailable {
            retry_after: 1,
            source: "account changed during password update".into(),
        })
    };
    // Announced like any change of how the account proves itself, and never silently.
    let saved = crate::proof::noticed(app, &before, change).await?;
    crate::proof::announce_change(app, &before, "the password was changed").await?;
    let opened = crate::session::open(app, &ctx, saved).await?;
    let expiry_ms = match app.config.password_max_age_secs {
        0 => 0,
        max_age => (now + max_age) * 1000,
    };
    Ok(http::ok(&serde_json::json!({
        "passwordInfo": { "identityId": principal.identity().id, "expiryDate": expiry_ms },
        "token": opened.token,
    })))
}
