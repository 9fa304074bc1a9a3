//! `POST /passwords/validate`: whether a password passes the policy (204), or which of its
//! rules it breaks (409 with the code the policy gives everywhere). No token; rate-limited per
//! IP.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, ctx: Ctx, body: Result<Body, ApiError>) -> Answer {
    let app: &App = &app;
    crate::app::limits::per_ip(app, &ctx, "password-validate").await?;
    let Body(mut f) = body?;
    let password = f.secret("password.value", 1, 1024);
    f.finish()?;
    let Some(password) = password else { return Err(ApiError::field("password.value", FieldErrorKind::Required)) };
    crate::app::mailbox::validate_password(&password)?;
    Ok(no_content())
}
