//! `POST /auth/otp/methods/recovery`: ten recovery codes, shown this once, replacing any earlier
//! set; on a current code of a validated method (or a recovery code) in `x-otp`.

use crate::api::prelude::*;

/// The body is optional (`{}` or nothing), but when present it must be JSON.
pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    IdCaller { user, spender, .. }: IdCaller,
    MaybeXOtp(x_otp): MaybeXOtp,
    _: OptionalBody,
) -> Answer {
    let app: &App = &app;
    let ctx = ctx.spending_as(spender);
    let codes = crate::app::recovery::generate_by_otp(app, &ctx, &user, x_otp.as_deref(), app.now()).await?;
    Ok(ok(&serde_json::json!({ "codes": codes })))
}
