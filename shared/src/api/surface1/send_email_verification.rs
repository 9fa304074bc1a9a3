//! `POST /users/verification/email/send`: mails a code that proves the address to its account.
//! 204 whether or not the address has an account, in the same time.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, ctx: Ctx, body: Result<Body, ApiError>) -> Answer {
    let app: &App = &app;
    crate::app::limits::per_ip(app, &ctx, "email-verification").await?;
    let Body(mut f) = body?;
    let email = crate::api::fields::email_field(&mut f, "email");
    f.finish()?;
    let Some(email) = email else { return Err(ApiError::field("email", FieldErrorKind::Required)) };
    crate::app::mailbox::send_email_verification(app, &ctx, &email).await?;
    Ok(no_content())
}
