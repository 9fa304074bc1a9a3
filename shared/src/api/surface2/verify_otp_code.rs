//! `POST /auth/otp/code`: a code in `x-otp` validates a method (`SMS`, `EMAIL` or `TOTP`).

use crate::api::prelude::*;
use crate::app::methods::Method;

use crate::profile;

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    IdCaller { user, lockout, spender, .. }: IdCaller,
    XOtp(code): XOtp,
    Body(mut f): Body,
) -> Answer {
    let app: &App = &app;
    let ctx = ctx.spending_as(spender);
    let channel = f.one_of("channel", &["SMS", "EMAIL", "TOTP"]);
    f.finish()?;
    let method = match channel.unwrap_or_default() {
        "SMS" => Method::Sms,
        "EMAIL" => Method::Email,
        _ => Method::Totp,
    };
    let now = app.now();
    let saved = crate::app::methods::validate(app, &ctx, &user, method, &code, now).await?;
    Ok(ok(&profile::profile(&saved, &lockout, now)))
}
