//! `POST /stepup/challenges/passkey/verify`: the assertion; the session becomes `STEPPED_UP`.
//! A wrong or replayed assertion counts toward the lockout.

use crate::api::prelude::*;

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    Caller(principal, _): Caller<Access>,
    Body(f): Body,
) -> Answer {
    let app: &App = &app;
    crate::app::passkeys::finish_step_up(app, &ctx, &principal, &f.whole(), app.now()).await?;
    Ok(no_content())
}
