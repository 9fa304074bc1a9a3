//! `POST /authentication_factors/otp/{channel}`: starts enrolling the SMS factor by sending a
//! code to the mobile number on the account; `.../verify` completes it.

use crate::api::prelude::*;

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    Caller(principal, _): Caller<Access>,
    OtpChannel(channel): OtpChannel,
) -> Answer {
    let app: &App = &app;
    crate::app::factors::enrol_sms(app, &ctx, &principal, channel).await?;
    Ok(no_content())
}
