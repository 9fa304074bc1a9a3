//! `POST /login_with_passkey/options`: a login attempt (`challengeId`) and request options
//! (`publicKey`) naming no credential: the browser offers the user's passkeys, no e-mail asked.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, ctx: Ctx) -> Answer {
    let app: &App = &app;
    crate::app::limits::per_ip(app, &ctx, "login").await?;
    let (challenge_id, options) = crate::app::passkeys::start_login(app, app.now()).await?;
    Ok(ok(&serde_json::json!({ "challengeId": challenge_id, "publicKey": options["publicKey"] })))
}
