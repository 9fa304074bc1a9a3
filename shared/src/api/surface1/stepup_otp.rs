//! `POST /stepup/challenges/otp/{channel}`: sends a step-up code by SMS to the enrolled number.

use crate::api::prelude::*;

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    Caller(principal, _): Caller<Access>,
    OtpChannel(channel): OtpChannel,
) -> Answer {
    let app: &App = &app;
    crate::app::sms_step_up::start(app, &ctx, &principal, channel).await?;
    Ok(no_content())
}
