//! `GET /stepup/challenges/push/{channel}/{id}`: how the session's push challenge stands.

use crate::api::prelude::*;

pub async fn handle(
    State(app): State<AppState>,
    Caller(principal, _): Caller<Access>,
    PushChannel(channel): PushChannel,
    ChallengeId(id): ChallengeId,
) -> Answer {
    let app: &App = &app;
    // Another session's challenge is as good as missing.
    let challenge = app
        .store
        .get_push_challenge(&id)
        .await?
        .filter(|c| c.session_id == principal.session.session_id && c.channel == channel)
        .ok_or(DomainError::NotFound)?;
    Ok(ok(&serde_json::json!({
        "status": challenge.status_at(app.now()),
        "requestedAt": challenge.created_at,
        "userAgent": challenge.requested_by.user_agent,
        "sourceIp": challenge.requested_by.source_ip,
    })))
}
