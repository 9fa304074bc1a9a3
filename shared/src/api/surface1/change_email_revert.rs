//! `POST /users/email/change/revert` `{"email", "nonce"}` (no token): with the nonce mailed to
//! the old address, takes an e-mail change back: 204, the old address is restored, every login
//! ends and the password must be reset. 409 `NONCE_INVALID` for anything else, alike.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, ctx: Ctx, body: Result<Body, ApiError>) -> Answer {
    let app: &App = &app;
    crate::app::limits::per_ip(app, &ctx, "email-change-revert").await?;
    let Body(mut f) = body?;
    let email = crate::api::fields::email_field(&mut f, "email");
    let nonce = f.string("nonce", 1, 128);
    f.finish()?;
    let (Some(email), Some(nonce)) = (email, nonce) else {
        return Err(ApiError::field("body", FieldErrorKind::Required));
    };
    crate::app::email_change::revert(app, &ctx, &email, &nonce, app.now()).await?;
    Ok(no_content())
}
