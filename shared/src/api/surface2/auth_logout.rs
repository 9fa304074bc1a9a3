//! `POST /auth/logout` (not in the seed): revokes a refresh token. Always 204 for a token of
//! the right form, so the answer says nothing about whether it was known.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, ctx: Ctx, Body(mut f): Body) -> Answer {
    let app: &App = &app;
    let token = f.string("refreshToken", 1, 200);
    f.finish()?;
    crate::app::id_tokens::revoke_refresh(app, &ctx, token.as_deref().unwrap_or_default()).await?;
    Ok(no_content())
}
