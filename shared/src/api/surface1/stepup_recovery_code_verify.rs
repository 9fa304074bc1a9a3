//! `POST /stepup/challenges/recovery_code/verify`: a recovery code, used once; the session
//! becomes `STEPPED_UP`.

use crate::api::prelude::*;

pub async fn handle(
    State(app): State<AppState>,
    ctx: Ctx,
    Caller(principal, _): Caller<Access>,
    Body(mut f): Body,
) -> Answer {
    let app: &App = &app;
    let code = f.string("verificationCode", 1, 32);
    f.finish()?;
    // Not a recovery code's form: wrong, as any code that is not in the set (and counted).
    let typed = code.as_deref().and_then(crate::model::recovery::normalize).unwrap_or_default();
    crate::app::recovery::step_up(app, &ctx, &principal, &typed, app.now()).await?;
    Ok(no_content())
}
