//! `POST /passwords/lost_password/start`: mails a single-use nonce (valid 10 minutes) to the
//! account of the address. 204 whether or not the address has an account, in the same time.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, ctx: Ctx, body: Result<Body, ApiError>) -> Answer {
    let app: &App = &app;
    crate::app::limits::per_ip(app, &ctx, "lost-password").await?;
    let Body(mut f) = body?;
    let email = crate::api::fields::email_field(&mut f, "email");
    f.finish()?;
    let Some(email) = email else { return Err(ApiError::field("email", FieldErrorKind::Required)) };
    crate::app::mailbox::start_password_reset(app, &ctx, &email).await?;
    Ok(no_content())
}
