//! `POST /authentication_factors/passkey`: creation options (`{"publicKey": …}`) for a new
//! passkey, bound to the caller's session for 5 minutes. Needs a stepped-up session once the
//! account has a second factor.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, Caller(principal, _): Caller<Access>) -> Answer {
    let app: &App = &app;
    let options = crate::app::passkeys::start_enrolment(app, &principal, app.now()).await?;
    Ok(ok(&options))
}
