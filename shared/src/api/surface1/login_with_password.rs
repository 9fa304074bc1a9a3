//! `POST /login_with_password`: email and password for an AUTH token, or a temporary token that
//! only updates an expired password (409 `{"token"}`). Unknown email and wrong password take the
//! same path, time and answer; consecutive failures lock the account (423).

use crate::api::prelude::*;
use crate::token::TokenType;

/// Answers the seeds' 401 to a body without both fields (surface 1 names no field errors on
/// login: it tells nothing about what was wrong).
const BAD_CREDENTIALS: &str = "The authentication credentials are not found or are incorrect.";

pub async fn handle(State(app): State<AppState>, ctx: Ctx, body: Result<Body, ApiError>) -> Answer {
    let app: &App = &app;
    // The budget is charged before the body is read: a malformed request costs the same.
    crate::app::limits::per_ip(app, &ctx, "login").await?;
    let Body(mut f) = body?;
    let email = crate::api::fields::email_field(&mut f, "email");
    let pw = f.secret("password.value", 1, 1024);
    f.finish()?;
    let (Some(email), Some(pw)) = (email, pw) else {
        return Err(DomainError::Unauthenticated(BAD_CREDENTIALS).into());
    };

    let opened = crate::app::sessions::login(app, &ctx, &email, pw).await?;
    Ok(match opened.kind {
        TokenType::PasswordUpdate => json(StatusCode::CONFLICT, &serde_json::json!({ "token": opened.token })),
        _ => ok(&token_body(&opened)),
    })
}

/// The seeds' answer that carries a new session's token.
pub fn token_body(opened: &crate::app::sessions::Opened) -> serde_json::Value {
    serde_json::json!({
        "token": opened.token,
        "tokenType": opened.kind,
        "identity": opened.session.identity,
        "credentials": { "type": "ROOT", "id": opened.session.user_id },
    })
}
