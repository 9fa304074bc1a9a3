//! `POST /auth/logout` (not in the seed): revokes a refresh token. Always 204 for a token of
//! the right form, so the answer says nothing about whether it was known.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, Body(mut f): Body) -> Answer {
    let app: &App = &app;
    let token = f.string("refreshToken", 1, 200);
    f.finish()?;
    if let Some((user_id, hash)) = token.as_deref().and_then(crate::app::id_tokens::refresh_token_parts) {
        app.store.revoke_refresh(user_id, &hash).await?;
    }
    Ok(no_content())
}
