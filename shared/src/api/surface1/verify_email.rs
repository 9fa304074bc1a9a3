//! `POST /users/verification/email/verify`: the mailed code and its reference; the account's
//! e-mail becomes verified on both surfaces (204). 409 `VERIFICATION_CODE_INVALID`,
//! `VERIFICATION_CODE_EXPIRED` or `CHALLENGE_LIMIT_EXCEEDED`, the same for an address without
//! an account.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, ctx: Ctx, body: Result<Body, ApiError>) -> Answer {
    let app: &App = &app;
    crate::app::limits::per_ip(app, &ctx, "email-verification").await?;
    let Body(mut f) = body?;
    let email = crate::api::fields::email_field(&mut f, "email");
    let code = f.string("verificationCode", 1, 32);
    let reference = f.optional_string("reference", 1, 32);
    f.finish()?;
    let (Some(email), Some(code)) = (email, code) else {
        return Err(ApiError::field("body", FieldErrorKind::Required));
    };
    crate::app::mailbox::verify_email(app, &ctx, &email, &code, reference.as_deref(), app.now()).await?;
    Ok(no_content())
}
