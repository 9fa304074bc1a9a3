//! `POST /authentication_factors/passkey/verify`: the new credential, as the browser's
//! `PublicKeyCredential.toJSON()` gives it; the passkey becomes an ACTIVE factor.

use crate::api::prelude::*;

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    Caller(principal, _): Caller<Access>,
    Body(f): Body,
) -> Answer {
    let app: &App = &app;
    crate::app::passkeys::finish_enrolment(app, &ctx, &principal, &f.whole(), app.now()).await?;
    Ok(no_content())
}
