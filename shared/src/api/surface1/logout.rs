//! `POST /logout`: ends the session of the token; the AUTH token and every ACCESS token derived
//! from it stop working at once.

use axum::http::HeaderMap;

use crate::api::extract::bearer;
use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, ctx: Ctx, headers: HeaderMap) -> Answer {
    let app: &App = &app;
    let token = bearer(&headers)
        .ok_or(DomainError::Unauthenticated("A bearer token is required in the Authorization header."))?;
    crate::app::sessions::logout(app, &ctx, token, app.now()).await?;
    Ok(no_content())
}
