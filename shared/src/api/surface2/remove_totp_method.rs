//! `DELETE /auth/otp/methods/totp`: removes the TOTP secret, on a current code in `x-otp` (or a
//! recovery code: the way out for a lost authenticator).

use crate::api::prelude::*;

use crate::profile;

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    IdCaller { user, lockout, spender, .. }: IdCaller,
    XOtpProof(code): XOtpProof,
) -> Answer {
    let app: &App = &app;
    let ctx = ctx.spending_as(spender);
    let saved = crate::app::methods::remove_totp(app, &ctx, &user, &code).await?;
    Ok(ok(&profile::profile(&saved, &lockout, app.now())))
}
