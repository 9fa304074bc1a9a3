//! `POST /authentication_factors/otp/{channel}/verify`: completes SMS enrolment with the code.

use crate::api::prelude::*;

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    Caller(principal, _): Caller<Access>,
    OtpChannel(channel): OtpChannel,
    Body(mut f): Body,
) -> Answer {
    let app: &App = &app;
    let code = f.string("verificationCode", 1, 32);
    f.finish()?;
    crate::app::factors::verify_sms(app, &ctx, &principal, channel, &code.unwrap_or_default(), app.now()).await?;
    Ok(no_content())
}
