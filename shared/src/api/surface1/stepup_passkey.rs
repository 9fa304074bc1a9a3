//! `POST /stepup/challenges/passkey`: request options (`{"publicKey": …}`) limited to the
//! account's passkeys, bound to the caller's session for 5 minutes.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, Caller(principal, _): Caller<Access>) -> Answer {
    let app: &App = &app;
    let options = crate::app::passkeys::start_step_up(app, &principal, app.now()).await?;
    Ok(ok(&options))
}
