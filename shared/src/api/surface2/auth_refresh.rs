//! `POST /auth/login/refresh`: a new idToken for a live refresh token (not rotated: the seed
//! returns none). Refused once the token is revoked or expired, or the password has changed.

use crate::api::prelude::*;

use crate::app::sessions as session;

const INVALID: &str = "The refresh token is invalid, expired or revoked.";

pub async fn handle(State(app): State<AppState>, Body(mut f): Body) -> Answer {
    let app: &App = &app;
    let token = f.string("refreshToken", 1, 200);
    f.finish()?;
    let (user_id, hash) =
        token.as_deref().and_then(crate::app::id_tokens::refresh_token_parts).ok_or(DomainError::Denied(INVALID))?;
    let now = app.now();
    let record = app
        .store
        .get_refresh(user_id, &hash)
        .await?
        .filter(|r| !r.revoked && now < r.expires_at)
        .ok_or(DomainError::Denied(INVALID))?;
    let user = app
        .store
        .get_user(&record.email)
        .await?
        .filter(|u| u.user_id == record.user_id && u.credentials_version == record.credentials_version && !u.blocked)
        .ok_or(DomainError::Denied(INVALID))?;
    let id_token = session::id_token(app, &user, &["pwd"])?;
    Ok(ok(&serde_json::json!({ "idToken": id_token })))
}
