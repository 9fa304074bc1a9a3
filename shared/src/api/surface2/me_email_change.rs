//! `POST /auth/me/email/change` `{"newEmail", "password": {"value"}}` (idToken; `x-otp` from a
//! validated method while the account has one, else 403 `OTP_REQUIRED`): 204, and a code goes
//! to the new address, whether or not another account has it.

use crate::api::prelude::*;
use crate::app::email_change::{self, Changer};

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    IdCaller { claims, user, spender, .. }: IdCaller,
    MaybeXOtp(x_otp): MaybeXOtp,
    Body(mut f): Body,
) -> Answer {
    let app: &App = &app;
    let ctx = ctx.spending_as(spender);
    let email = crate::api::fields::email_field(&mut f, "newEmail");
    let password = f.secret("password.value", 1, 1024);
    f.finish()?;
    let (Some(email), Some(password)) = (email, password) else {
        return Err(ApiError::field("body", FieldErrorKind::Required));
    };
    let family_id = claims.sid.as_deref().unwrap_or_default();
    let changer = Changer::IdToken { user: &user, family_id, x_otp: x_otp.as_deref() };
    email_change::request(app, &ctx, changer, &email, password, app.now()).await?;
    Ok(no_content())
}
