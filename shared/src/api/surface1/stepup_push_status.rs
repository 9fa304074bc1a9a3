//! `GET /stepup/challenges/push/{channel}/{id}`: how the session's push challenge stands.

use crate::api::prelude::*;

pub async fn handle(
    State(app): State<AppState>,
    Caller(principal, _): Caller<Access>,
    PushChannel(channel): PushChannel,
    PathId(id): PathId,
) -> Answer {
    let app: &App = &app;
    let challenge = crate::app::push_step_up::status(app, &principal, channel, &id, app.now()).await?;
    Ok(ok(&serde_json::json!({
        "status": challenge.status_at(app.now()),
        "requestedAt": challenge.created_at,
        "userAgent": challenge.requested_by.user_agent,
        "sourceIp": challenge.requested_by.source_ip,
    })))
}
