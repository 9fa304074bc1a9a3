//! `DELETE /authentication_factors/otp/{channel}`: removes the SMS factor and the phone's
//! validation (a step-up, spent; none from the session the lost-password reset opened).

use crate::api::prelude::*;

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    Caller(principal, _): Caller<Access>,
    OtpChannel(channel): OtpChannel,
) -> Answer {
    let app: &App = &app;
    crate::app::factors::remove_sms(app, &ctx, &principal, channel).await?;
    Ok(no_content())
}
