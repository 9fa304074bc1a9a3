//! `GET /login_via_biometrics/{challengeId}` with `x-poll-token`: `{"status"}`, and once,
//! when approved, the login (`token`, `tokenType`, `identity`, `credentials`) with a
//! `STEPPED_UP` AUTH token. A wrong poll token finds nothing (404).

use crate::api::prelude::*;

pub async fn handle(
    State(app): State<AppState>,
    ChallengeIdParam(id): ChallengeIdParam,
    PollToken(token): PollToken,
) -> Answer {
    let app: &App = &app;
    let polled = crate::app::push_login::poll(app, &id, &token, app.now()).await?;
    let mut body = match &polled.login {
        Some(opened) => super::login_with_password::token_body(opened),
        None => serde_json::json!({}),
    };
    body["status"] = serde_json::json!(polled.status);
    Ok(ok(&body))
}
