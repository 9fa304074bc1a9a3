//! `GET /sessions`: the caller's live logins on both surfaces (surface-1 sessions, surface-2
//! refresh families), with an AUTH, ACCESS or idToken.

use crate::api::prelude::*;
use crate::app::logins::{self, Surface};
use crate::profile::iso8601;

pub async fn handle(State(app): State<AppState>, caller: AnyCaller) -> Answer {
    let app: &App = &app;
    let logins = logins::list(app, &caller.user_id, &caller.current, app.now()).await?;
    let body: Vec<serde_json::Value> = logins
        .into_iter()
        .map(|l| {
            serde_json::json!({
                "id": l.id,
                "surface": match l.surface { Surface::One => 1, Surface::Two => 2 },
                "createdAt": iso8601(l.created_at),
                "lastUsedAt": iso8601(l.last_used_at),
                "userAgent": l.user_agent,
                "sourceIp": l.source_ip,
                "current": l.current,
            })
        })
        .collect();
    Ok(ok(&body))
}
