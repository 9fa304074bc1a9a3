//! `GET /identities`: the identities the token's holder can act as.

use crate::api::prelude::*;

pub async fn handle(State(app): State<AppState>, Caller(principal, _): Caller<AuthOrAccess>) -> Answer {
    let app: &App = &app;
    let user = crate::app::accounts::load_user(app, &principal.session.email).await?;
    Ok(ok(&user.identities))
}
