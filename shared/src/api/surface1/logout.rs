//! `POST /logout`: ends the session of the token; the AUTH token and every ACCESS token derived
//! from it stop working at once.

use axum::http::HeaderMap;

use crate::api::extract::bearer;
use crate::api::prelude::*;
use crate::app::principal::verify_claims;

pub async fn handle(State(app): State<AppState>, headers: HeaderMap) -> Answer {
    let app: &App = &app;
    let token = bearer(&headers)
        .ok_or(DomainError::Unauthenticated("A bearer token is required in the Authorization header."))?;
    // Any token of the session ends it, the temporary password-update token included.
    let claims = verify_claims(app, token).await?;
    // One conditional write both checks that the session is unrevoked and within its absolute
    // lifetime and ends it: a token that has idled out can still end its session, and with it
    // every ACCESS token derived from it.
    if !app.store.end_session(&claims.sid, app.now()).await? {
        return Err(DomainError::Unauthenticated("The access token is missing, invalid or expired.").into());
    }
    tracing::info!("logged out");
    Ok(no_content())
}
