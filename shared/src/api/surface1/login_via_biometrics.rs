//! `POST /login_via_biometrics`: `{"email"}` → `{"challengeId", "pollToken"}` for any address;
//! the account's enrolled `BIOMETRIC` device is asked to approve the login.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, ctx: Ctx, body: Result<Body, ApiError>) -> Answer {
    let app: &App = &app;
    crate::app::limits::per_ip(app, &ctx, "login").await?;
    let Body(mut f) = body?;
    let email = crate::api::fields::email_field(&mut f, "email");
    f.finish()?;
    let email = email.ok_or_else(|| DomainError::internal("an e-mail field read without an error or a value"))?;
    let started = crate::app::push_login::start(app, &ctx, &email, app.now()).await?;
    Ok(ok(&serde_json::json!({ "challengeId": started.challenge_id, "pollToken": started.poll_token })))
}
