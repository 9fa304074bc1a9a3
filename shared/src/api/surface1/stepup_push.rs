//! `POST /stepup/challenges/push/{channel}`: sends a step-up request to the enrolled device.
//! One push challenge at most is in flight per session, even under concurrent requests, and at
//! most `AUTH_PUSH_PER_ACCOUNT_PER_10_MINUTES` per account whatever session asks. The push
//! carries the requesting device's user agent, source IP and time, so the user can tell whose
//! request they approve.

use crate::api::prelude::*;

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    Caller(principal, _): Caller<Access>,
    PushChannel(channel): PushChannel,
) -> Answer {
    let app: &App = &app;
    let challenge = crate::app::push_step_up::start(app, &ctx, &principal, channel, app.now()).await?;
    Ok(ok(&serde_json::json!({ "id": challenge.id })))
}
