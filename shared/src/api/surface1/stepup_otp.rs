//! `POST /stepup/challenges/otp/{channel}`: sends a step-up code by SMS to the enrolled number,
//! or by e-mail to the verified address while that is the account's one second factor.

use crate::api::prelude::*;

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    Caller(principal, _): Caller<Access>,
    StepUpChannel(channel): StepUpChannel,
) -> Answer {
    let app: &App = &app;
    crate::app::otp_step_up::start(app, &ctx, &principal, channel).await?;
    Ok(no_content())
}
