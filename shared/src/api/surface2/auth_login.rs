//! `POST /auth/login`: email and password for an idToken and a refresh token. Shares the
//! account, the password and the lockout with `/login_with_password`.

use crate::api::prelude::*;

use crate::app::limits;

pub async fn handle(State(app): State<AppState>, ctx: Ctx, body: Result<Body, ApiError>) -> Answer {
    let app: &App = &app;
    // The budget is charged before the body is read: a malformed request costs the same.
    limits::per_ip(app, &ctx, "login").await?;
    let Body(mut f) = body?;
    let email = crate::api::fields::email_field(&mut f, "email");
    let password = f.secret("password", 1, 1024);
    f.finish()?;
    let (Some(email), Some(password)) = (email, password) else { return Err(DomainError::BadCredentials.into()) };
    let (id_token, refresh_token) = crate::app::id_tokens::login(app, &ctx, &email, password, app.now()).await?;
    Ok(ok(&serde_json::json!({ "idToken": id_token, "refreshToken": refresh_token })))
}
