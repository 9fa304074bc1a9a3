//! `DELETE /authentication_factors/push/{channel}`: removes the enrolled push device.

use crate::api::prelude::*;

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    Caller(principal, _): Caller<Access>,
    PushChannel(channel): PushChannel,
) -> Answer {
    let app: &App = &app;
    crate::app::factors::remove_push(app, &ctx, &principal, channel).await?;
    Ok(no_content())
}
