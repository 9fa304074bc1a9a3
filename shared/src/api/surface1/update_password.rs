//! `POST /passwords/update`: changes the password, with an ACCESS token or the temporary token
//! of an expired password. A wrong old password counts toward the lockout; the new one must
//! pass the policy and differ from the last five. Every other session of the user ends, and the
//! answer carries a fresh AUTH token.

use crate::api::prelude::*;

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    Caller(principal, _): Caller<AccessOrPasswordUpdate>,
    Body(mut f): Body,
) -> Answer {
    let app: &App = &app;
    let old = f.secret("oldPassword.value", 1, 1024);
    let new = f.secret("newPassword.value", 1, 1024);
    f.finish()?;
    let (Some(old), Some(new)) = (old, new) else { return Err(ApiError::malformed("INVALID_REQUEST", "passwords")) };
    let now = app.now();
    let opened = crate::app::passwords::change_password(app, &ctx, &principal, old, new, now).await?;
    let expiry_ms = match app.config.password_max_age_secs {
        0 => 0,
        max_age => (now + max_age) * 1000,
    };
    Ok(ok(&serde_json::json!({
        "passwordInfo": { "identityId": principal.identity().id, "expiryDate": expiry_ms },
        "token": opened.token,
    })))
}
