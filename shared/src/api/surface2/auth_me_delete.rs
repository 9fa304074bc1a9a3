//! `POST /auth/me/delete` `{"password"}`, header `x-otp` (a current code of a validated method,
//! when the account has one): deletes the caller's account. 204; afterwards no token of the
//! account works and its address is free.

use crate::api::prelude::*;

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    IdCaller { user, spender, .. }: IdCaller,
    MaybeXOtp(x_otp): MaybeXOtp,
    Body(mut f): Body,
) -> Answer {
    let app: &App = &app;
    let ctx = ctx.spending_as(spender);
    let password = f.secret("password", 1, 1024);
    f.finish()?;
    let Some(password) = password else { return Err(ApiError::malformed("INVALID_REQUEST", "password")) };
    crate::app::erasure::delete_with_otp(app, &ctx, &user, password, x_otp.as_deref(), app.now()).await?;
    Ok(no_content())
}
