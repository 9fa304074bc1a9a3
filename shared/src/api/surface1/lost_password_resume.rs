//! `POST /passwords/lost_password/resume`: the mailed nonce and a new password. The password is
//! replaced, every other login of the account ends, every way in that is not anchored to the
//! mailbox is removed (the anchored ones stay), a failed-login lock is cleared, and the answer carries an AUTH token as a login's does. 409 `NONCE_INVALID` for a
//! wrong, used or expired nonce (five wrong tries kill it), or the password policy's codes.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, ctx: Ctx, body: Result<Body, ApiError>) -> Answer {
    let app: &App = &app;
    crate::app::limits::per_ip(app, &ctx, "lost-password").await?;
    let Body(mut f) = body?;
    let email = crate::api::fields::email_field(&mut f, "email");
    let nonce = f.string("nonce", 1, 128);
    let new = f.secret("newPassword.value", 1, 1024);
    f.finish()?;
    let (Some(email), Some(nonce), Some(new)) = (email, nonce, new) else {
        return Err(ApiError::field("body", FieldErrorKind::Required));
    };
    let opened = crate::app::mailbox::resume_password_reset(app, &ctx, &email, &nonce, new, app.now()).await?;
    Ok(ok(&super::login_with_password::token_body(&opened)))
}
