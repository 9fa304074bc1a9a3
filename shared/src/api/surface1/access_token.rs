//! `POST /access_token`: exchanges an AUTH token for an ACCESS token scoped to one of the
//! holder's identities. The ACCESS token hangs off the same session (logout kills it), with
//! its own idle expiry and its own signing key.

use crate::api::prelude::*;

use crate::crypto;
use crate::model::{Grant, IdentityId, IdentityType};
use crate::store::StoreError;
use crate::token::{self, SessionClaims, TokenType};

pub async fn handle(State(app): State<AppState>, Caller(principal, _): Caller<Auth>, Body(mut f): Body) -> Answer {
    let app: &App = &app;
    let kind = f.one_of("identity.type", &IdentityType::NAMES).and_then(IdentityType::parse);
    let id = f.string("identity.id", 1, 30);
    if id.as_deref().is_some_and(|i| !i.bytes().all(|b| b.is_ascii_digit())) {
        f.error("identity.id", FieldErrorKind::Regex, &["^[0-9]+$"]);
    }
    f.finish()?;
    let (Some(kind), Some(id)) = (kind, id) else { return Err(ApiError::malformed("INVALID_REQUEST", "identity")) };
    let wanted = IdentityId { kind, id };

    let now = app.now();
    let session = &principal.session;
    let (user, lockout) = app.store.load_login(&session.email, now).await?;
    crate::app::lockout::refuse_if_locked(app, &lockout)?;
    let user = user.ok_or(DomainError::Unauthenticated("The account no longer exists."))?;
    crate::app::accounts::refuse_blocked(&user)?;
    if !user.identities.iter().any(|i| i.id == wanted) {
        return Err(DomainError::Denied("The identity is not one of the token holder's.").into());
    }
    // Drop grants that have idled out, and refuse to hold more than a bounded number of live ones.
    let expired: Vec<String> =
        session.grants.iter().filter(|(_, g)| now >= g.idle_expires_at).map(|(id, _)| id.clone()).take(50).collect();
    if session.grants.len() - expired.len() >= app.config.max_access_tokens_per_session {
        return Err(DomainError::Refused(Rule::TooManyAccessTokens).into());
    }
    let grant_id = crypto::random_token_id()?;
    let grant = Grant {
        identity: wanted.clone(),
        idle_expires_at: (now + app.config.access_idle_timeout_secs).min(session.absolute_expires_at),
    };
    match app.store.add_grant(&session.session_id, &grant_id, &grant, &expired, now).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(DomainError::Unauthenticated("The session has ended.").into()),
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
    Ok(ok(&serde_json::json!({
        "token": token,
        "tokenType": TokenType::Access,
        "identity": wanted,
        "credentials": { "type": "ROOT", "id": user.user_id },
        "status": session.status,
    })))
}
