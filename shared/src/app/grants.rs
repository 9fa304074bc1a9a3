//! ACCESS grants (surface 1's `/access_token`): an AUTH session's holder acts as one of the
//! account's identities. A grant hangs off its session (logout ends it) with its own idle
//! expiry; a session holds a bounded number of live grants.

use crate::app::App;
use crate::app::principal::Principal;
use crate::crypto;
use crate::domain::Epoch;
use crate::domain::error::{DomainError, Rule};
use crate::model::{Grant, IdentityId, User};
use crate::store::StoreError;
use crate::token::{self, SessionClaims, TokenType};

/// Grants the caller's session the right to act as `wanted`; returns the ACCESS token and the
/// account.
pub async fn grant_access(
    app: &App,
    principal: &Principal,
    wanted: IdentityId,
    now: Epoch,
) -> Result<(String, User), DomainError> {
    let session = &principal.session;
    let (user, lockout) = app.store.load_login(&session.email, now).await?;
    crate::app::lockout::refuse_if_locked(&lockout, now)?;
    let user = user.ok_or(DomainError::Unauthenticated("The account no longer exists."))?;
    crate::app::accounts::refuse_blocked(&user)?;
    if !user.identities.iter().any(|i| i.id == wanted) {
        return Err(DomainError::Denied("The identity is not one of the token holder's."));
    }
    // Drop grants that have idled out, and refuse to hold more than a bounded number of live ones.
    let expired: Vec<String> =
        session.grants.iter().filter(|(_, g)| now >= g.idle_expires_at).map(|(id, _)| id.clone()).take(50).collect();
    if session.grants.len() - expired.len() >= app.config.max_access_tokens_per_session {
        return Err(Rule::TooManyAccessTokens.into());
    }
    let grant_id = crypto::random_token_id()?;
    let grant = Grant {
        identity: wanted.clone(),
        idle_expires_at: (now + app.config.access_idle_timeout_secs).min(session.absolute_expires_at),
    };
    match app.store.add_grant(&session.session_id, &grant_id, &grant, &expired, now).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(DomainError::Unauthenticated("The session has ended.")),
        Err(e) => return Err(e.into()),
    }
    let claims = SessionClaims {
        sid: session.session_id.clone(),
        typ: TokenType::Access,
        gid: Some(grant_id),
        iat: now,
        exp: session.absolute_expires_at,
    };
    let token = token::issue_session_token(&app.keys(), &claims).map_err(DomainError::Internal)?;
    Ok((token, user))
}
