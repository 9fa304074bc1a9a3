//! `POST /login_with_passkey`: `{"challengeId", "credential"}`, the assertion of a login
//! attempt; answers as `/login_with_password` does, with a `STEPPED_UP` AUTH token (a passkey
//! with its user verified is two factors). Unknown credentials answer like wrong ones.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, ctx: Ctx, body: Result<Body, ApiError>) -> Answer {
    let app: &App = &app;
    crate::app::limits::per_ip(app, &ctx, "login").await?;
    let (challenge_id, credential) = crate::api::fields::passkey_login(body?.0)?;
    let (user, proof) = crate::app::passkeys::login(app, &ctx, &challenge_id, &credential, app.now()).await?;
    let opened = crate::app::sessions::open_by(app, &ctx, user, proof, None).await?;
    Ok(ok(&super::login_with_password::token_body(&opened)))
}
