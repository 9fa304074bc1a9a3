//! `GET /auth/me`: the caller's profile.

use crate::api::prelude::*;

use crate::profile;

pub async fn handle(State(app): State<AppState>, IdCaller { user, lockout, .. }: IdCaller) -> Answer {
    let app: &App = &app;
    Ok(ok(&profile::profile(&user, &lockout, app.now())))
}
