//! `GET /auth/otp/code?method=SMS|EMAIL`: sends a fresh one-time code to the account's phone or
//! email address.

use axum::extract::RawQuery;

use crate::api::extract::query_param;
use crate::api::prelude::*;
use crate::app::methods::Method;

use crate::profile;

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    IdCaller { user, spender, .. }: IdCaller,
    MaybeXOtp(x_otp): MaybeXOtp,
    RawQuery(query): RawQuery,
) -> Answer {
    let app: &App = &app;
    let ctx = ctx.spending_as(spender);
    let method = query_param(query.as_deref(), "method").unwrap_or_default();
    let method = match method.as_str() {
        "SMS" => Method::Sms,
        "EMAIL" => Method::Email,
        _ => return Err(ApiError::malformed("INVALID_METHOD", "method must be SMS or EMAIL.")),
    };
    let (valid_until, validated) = crate::app::methods::send_code(app, &ctx, &user, method, x_otp.as_deref()).await?;
    let channel = if method == Method::Sms { "SMS" } else { "EMAIL" };
    Ok(ok(&serde_json::json!({
        "validUntil": profile::iso8601(valid_until),
        "channel": channel,
        "validated": validated,
    })))
}
