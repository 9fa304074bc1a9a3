//! `POST /auth/login/refresh`: a new idToken and the next refresh token for a live refresh
//! token, which is spent (rotation, RFC 9700 §4.14.2). A spent one presented again ends its
//! family: 403 `REFRESH_TOKEN_REUSED`.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, ctx: Ctx, Body(mut f): Body) -> Answer {
    let app: &App = &app;
    let token = f.string("refreshToken", 1, 200);
    f.finish()?;
    let token = token.unwrap_or_default();
    let (id_token, refresh_token) = crate::app::id_tokens::refresh(app, &ctx, &token, app.now()).await?;
    Ok(ok(&serde_json::json!({ "idToken": id_token, "refreshToken": refresh_token })))
}
