//! `POST /auth/login/passkey`: `{"challengeId", "credential"}` → `{"idToken", "refreshToken"}`
//! with `amr` `["hwk", "user"]`. Shares the account, its passkeys and its lockout with surface 1.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, ctx: Ctx, body: Result<Body, ApiError>) -> Answer {
    let app: &App = &app;
    crate::app::limits::per_ip(app, &ctx, "login").await?;
    let (challenge_id, credential) = crate::api::fields::passkey_login(body?.0)?;
    let now = app.now();
    let (user, proof) = crate::app::passkeys::login(app, &ctx, &challenge_id, &credential, now).await?;
    let (id_token, refresh_token) = crate::app::id_tokens::open_family(app, &ctx, user, proof, now).await?;
    Ok(ok(&serde_json::json!({ "idToken": id_token, "refreshToken": refresh_token })))
}
