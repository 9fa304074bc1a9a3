//! `POST /stepup/challenges/otp/{channel}/verify`: the step-up code; the session becomes
//! `STEPPED_UP`.

use crate::api::prelude::*;

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    Caller(principal, _): Caller<Access>,
    StepUpChannel(channel): StepUpChannel,
    Body(mut f): Body,
) -> Answer {
    let app: &App = &app;
    let code = f.string("verificationCode", 1, 32);
    f.finish()?;
    crate::app::otp_step_up::verify(app, &ctx, &principal, channel, &code.unwrap_or_default(), app.now()).await?;
    Ok(no_content())
}
