//! `GET /authentication_factors`: the account's enrolled factors and their status.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, Caller(principal, _): Caller<Access>) -> Answer {
    let app: &App = &app;
    let user = crate::app::accounts::load_user(app, &principal.session.email).await?;
    let factors: Vec<_> = user
        .factors
        .iter()
        .map(|f| serde_json::json!({ "type": f.kind, "channel": f.channel, "status": f.status }))
        .collect();
    Ok(ok(&serde_json::json!({ "factors": factors })))
}
