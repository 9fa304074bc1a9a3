//! `POST /auth/login/refresh`: a new idToken for a live refresh token (not rotated: the seed
//! returns none). Refused once the token is revoked or expired, or the password has changed.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, Body(mut f): Body) -> Answer {
    let app: &App = &app;
    let token = f.string("refreshToken", 1, 200);
    f.finish()?;
    let token = token.unwrap_or_default();
    let id_token = crate::app::id_tokens::refresh(app, &token, app.now()).await?;
    Ok(ok(&serde_json::json!({ "idToken": id_token })))
}
